//! Replays every example of docs/protocol.md against a live server.

use lmutil::protocol::{read_message, write_message};
use serde_json::Value;

use crate::common::{License, TestDaemon, repo_path};

/// The examples: each a list of (request, expected answer) lines.
fn examples() -> Vec<(String, Vec<(Value, Value)>)> {
    let doc = std::fs::read_to_string(repo_path("docs/protocol.md")).unwrap();
    let mut out = Vec::new();
    let mut title = String::new();
    let mut pending: Option<Value> = None;
    for line in doc.lines() {
        if let Some(t) = line.strip_prefix("### ") {
            title = t.to_owned();
            out.push((title.clone(), Vec::new()));
        } else if let Some(req) = line.strip_prefix("→ ") {
            pending =
                Some(serde_json::from_str(req).unwrap_or_else(|e| panic!("{title}: {e}: {req}")));
        } else if let Some(resp) = line.strip_prefix("← ") {
            let expected =
                serde_json::from_str(resp).unwrap_or_else(|e| panic!("{title}: {e}: {resp}"));
            let req = pending.take().expect("an answer follows a request");
            out.last_mut().unwrap().1.push((req, expected));
        }
    }
    out.retain(|(_, steps)| !steps.is_empty());
    out
}

/// `"*"` in the expected answer matches any present value.
fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(s), _) if s == "*" => !actual.is_null(),
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|x| matches(v, x)))
        }
        _ => expected == actual,
    }
}

#[tokio::test]
async fn every_example_in_the_protocol_document_is_what_the_server_does() {
    let examples = examples();
    assert!(examples.len() >= 3, "the document has its examples");
    for (title, steps) in examples {
        // A fresh server for each example, so session and handle numbers hold.
        let root = TestDaemon::root();
        License::new()
            .increment("XDT_PLT_CCU", 2)
            .vendor_string(";LT=Eval")
            .dup_group("V")
            .install(root.path(), "ccu.lic");
        let d = TestDaemon::start(root);
        let mut stream = tokio::net::TcpStream::connect(d.vendor_addr())
            .await
            .unwrap();
        for (request, expected) in steps {
            write_message(&mut stream, &request).await.unwrap();
            let actual: Value = read_message(&mut stream).await.unwrap();
            assert!(
                matches(&expected, &actual),
                "{title}:\n  sent     {request}\n  expected {expected}\n  got      {actual}"
            );
        }
    }
}
