//! lmver: our own version, and the version embedded in a binary.

use crate::common::{Masks, assert_golden, lmgrd_bin, lmutil, run};

#[test]
fn lmver_alone_prints_our_version_revision_and_target() {
    let out = lmutil(["lmver"]).succeeds().stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "header plus one version line, as installers read it"
    );
    assert!(lines[0].starts_with("lmutil - Copyright (c)"));
    let expected = format!("lmutil v{}", env!("CARGO_PKG_VERSION"));
    assert!(lines[1].starts_with(&expected), "{}", lines[1]);
    assert!(lines[1].contains(" rev "));
}

#[test]
fn lmver_reads_the_version_built_into_lmgrd() {
    let json = lmutil(["lmver".as_ref(), lmgrd_bin().as_os_str(), "--json".as_ref()]).json();
    assert_eq!(json["product"], "lmutil");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let ours = lmutil(["lmver", "--json"]).json();
    assert_eq!(json["revision"], ours["revision"]);
    assert_eq!(json["target"], ours["target"]);
    run(lmgrd_bin(), ["-v"]).succeeds().stdout_has("lmgrd v");
}

#[test]
fn lmver_reads_a_flexnet_binary_and_refuses_a_file_without_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let flex = dir.path().join("lmgrd.flexnet");
    std::fs::write(
        &flex,
        b"\x7fELF\0\0FlexNet Licensing v11.16.6.0 build 1234 x64_lsb\0",
    )
    .unwrap();
    lmutil(["lmver".as_ref(), flex.as_os_str()])
        .succeeds()
        .stdout_has("FlexNet v11.16.6.0");
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"just text").unwrap();
    lmutil(["lmver".as_ref(), plain.as_os_str()])
        .fails_with_code(1)
        .stderr_has("no version information found");
    lmutil(["lmver", "/no/such/binary"])
        .fails_with_code(1)
        .stderr_has("no such file");
}

/// lmver's and `lmstat -v`'s text, pinned; the build's revision, build
/// number and target (as `lmver --json` gives them) masked.
#[test]
fn lmver_and_lmstat_v_match_their_golden_files() {
    let ours = lmutil(["lmver", "--json"]).succeeds().json();
    let masks = Masks::new()
        .with(ours["revision"].as_str().unwrap(), "{REVISION}")
        .with(ours["target"].as_str().unwrap(), "{TARGET}")
        .with(format!(" build {} ", ours["build"]), " build {BUILD} ");
    let lmver = lmutil(["lmver"]).succeeds().stdout();
    assert_golden("lmver.txt", &masks, &lmver);
    let lmstat_v = lmutil(["lmstat", "-v"]).succeeds().stdout();
    assert_golden("lmstat_v.txt", &masks, &lmstat_v);
}
