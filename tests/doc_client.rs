//! A product client written from docs/protocol.md alone
//! (tests/clients/product.py, Python's standard library only) is run against
//! a real lmgrd: wherever the document and the server disagree, it fails.

use std::process::Command;

use crate::common::{License, TestDaemon, repo_path};

/// Runs a client of tests/clients/ against `d`'s vendor port.
fn run_client(file: &str, d: &TestDaemon) -> std::process::Output {
    let script = repo_path(&format!("tests/clients/{file}"));
    Command::new("python3")
        .arg(&script)
        .arg("127.0.0.1")
        .arg(d.vendor_port.to_string())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "python3 is needed to run the document's clients ({}): {e}; \
                 install Python 3 (standard library only)",
                script.display()
            )
        })
}

#[test]
fn a_product_written_from_the_protocol_document_works_against_the_server() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 2)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .install(root.path(), "ccu.lic");
    let d = TestDaemon::start(root);
    let out = run_client("product.py", &d);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the client disagrees with the server ({}):\n{stdout}{stderr}",
        out.status
    );
    assert!(stdout.contains("every answer is what docs/protocol.md says"));
}
