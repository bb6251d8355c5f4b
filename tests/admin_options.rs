//! Options-file keywords of FlexNet's that this server does not act on
//! (`DEBUGLOG`, `REPORTLOG`) are never silently ignored: the debug log says
//! so at their line, at start and at every reread.

use crate::common::{License, TestDaemon, lmutil};

#[test]
fn debuglog_and_reportlog_are_refused_with_a_warning_at_their_line() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 3)
        .install(root.path(), "ccu.lic");
    let opt = root.path().join("licenses/CITRIX.opt");
    std::fs::write(
        &opt,
        "# logs\nDEBUGLOG +/var/log/citrix.log\nNOLOG QUEUED\nREPORTLOG +/var/log/report.rl\n",
    )
    .unwrap();
    let d = TestDaemon::start(root);
    let at = |line: usize| format!("{}:{line}:1: ", opt.display());
    let log = d.debug_log();
    assert!(
        log.contains(&format!("{}DEBUGLOG is not supported: ", at(2))),
        "{log}"
    );
    assert!(
        log.contains(&format!("{}REPORTLOG is not supported: ", at(4))),
        "{log}"
    );
    assert!(log.contains("`udadmin -events`; line ignored"), "{log}");
    // Said again at a reread, which reads the options file again.
    let socket = d.socket.to_str().unwrap().to_owned();
    lmutil(["lmreread", "-c", &socket]).succeeds();
    assert_eq!(
        d.debug_log().matches("DEBUGLOG is not supported").count(),
        2,
        "{}",
        d.debug_log()
    );
}
