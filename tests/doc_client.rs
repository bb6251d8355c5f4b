//! A product client written from docs/protocol.md alone
//! (tests/clients/product.py, Python's standard library only) is run against
//! a real lmgrd: wherever the document and the server disagree, it fails.
//! The frames a live server exchanges fit the envelope schemas the
//! document points to (docs/schemas/protocol/request.json, response.json).

use std::process::Command;

use lmutil::protocol::frame::read_answer;
use lmutil::protocol::write_message;
use serde_json::{Value, json};

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

/// The checked-in envelope schema `protocol/<name>.json`, compiled.
fn envelope_schema(name: &str) -> jsonschema::Validator {
    let path = repo_path(&format!("docs/schemas/protocol/{name}.json"));
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is valid JSON Schema")
}

#[track_caller]
fn fits(validator: &jsonschema::Validator, frame: &Value) {
    let wrong: Vec<String> = validator
        .iter_errors(frame)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}\n{frame:#}");
}

/// Sends each request as written (validated against request.json) and
/// validates the answer as received against response.json; returns the
/// answers' bodies.
async fn exchange<S>(stream: &mut S, bodies: &[Value]) -> Vec<Value>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (requests, responses) = (envelope_schema("request"), envelope_schema("response"));
    let mut answers = Vec::new();
    for (id, body) in (1..).zip(bodies) {
        let request = json!({"v": 1, "id": id, "body": body});
        fits(&requests, &request);
        write_message(stream, &request).await.unwrap();
        let answer: Value = read_answer(stream).await.unwrap();
        fits(&responses, &answer);
        assert_eq!(answer["id"], id);
        answers.push(answer["body"].clone());
    }
    answers
}

fn kinds(answers: &[Value]) -> Vec<&str> {
    answers
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect()
}

/// Every request and every kind of answer, as they travel between a live
/// server and its clients, fits the envelope schemas the document points
/// to.
#[tokio::test]
async fn frames_exchanged_with_a_live_server_fit_the_envelope_schemas() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 1)
        .vendor_string(";LT=Retail")
        .dup_group("V")
        .increment("XDT_ENT_UD", 1)
        .vendor_string(";LT=Eval")
        .install(root.path(), "mixed.lic");
    let d = TestDaemon::start(root);
    let mut tcp = tokio::net::TcpStream::connect(d.vendor_addr())
        .await
        .unwrap();
    let co = |user: &str, device: &str, feature: &str| {
        json!({"type": "checkout", "session": 1, "feature": feature, "version": "2026.0101",
               "user": user, "device": device, "host": "ddc1", "display": "", "count": 1})
    };
    let answers = exchange(
        &mut tcp,
        &[
            json!({"type": "hello", "client": "schema-check"}),
            json!({"type": "start_session", "host": "ddc1"}),
            json!({"type": "checkout", "session": 1, "feature": "XDT_PLT_CCU",
                   "version": "2026.0101", "user": "ann", "device": "d1", "host": "ddc1"}),
            co("bob", "d2", "XDT_PLT_CCU"),
            co("ann", "d1", "XDT_ENT_UD"),
            co("bob", "d2", "XDT_ENT_UD"),
            co("ann", "d1", "NO_SUCH"),
            json!({"type": "heartbeat", "session": 1}),
            json!({"type": "status"}),
            json!({"type": "status", "feature": "XDT_PLT_CCU", "parts": ["pools", "checkouts"]}),
            json!({"type": "pools"}),
            json!({"type": "info"}),
            json!({"type": "diagnose"}),
            json!({"type": "diagnose", "feature": "XDT_PLT_CCU"}),
            json!({"type": "whoami"}),
            json!({"type": "accounts"}),
            json!({"type": "events", "after": 0, "limit": 100}),
            json!({"type": "reread"}),
            json!({"type": "checkin", "session": 1, "handle": 1}),
            json!({"type": "end_session", "session": 1}),
        ],
    )
    .await;
    assert_eq!(
        kinds(&answers),
        [
            "hello",
            "session_started",
            "granted",
            "granted",
            "granted",
            "error",
            "error",
            "ok",
            "status",
            "status",
            "pools",
            "info",
            "diagnosis",
            "diagnosis",
            "identity",
            "error",
            "error",
            "error",
            "ok",
            "ok"
        ]
    );
    // The second device bursts the full retail pool; the Eval pool does not.
    assert_eq!(answers[3]["burst"], true);
    assert_eq!(answers[5]["code"], -4);

    let mut local = tokio::net::UnixStream::connect(&d.socket).await.unwrap();
    let answers = exchange(
        &mut local,
        &[
            json!({"type": "whoami"}),
            json!({"type": "set_account", "name": "MYCO\\ann", "role": "user"}),
            json!({"type": "set_account", "name": "MYCO\\ann", "role": "owner"}),
            json!({"type": "accounts"}),
            json!({"type": "remove_account", "name": "MYCO\\ann"}),
            json!({"type": "remove_account", "name": "MYCO\\ann"}),
            json!({"type": "events", "after": 0, "limit": 100}),
            json!({"type": "status", "parts": ["connections"]}),
            json!({"type": "release", "user": "ann", "feature": "XDT_ENT_UD"}),
            json!({"type": "settings"}),
            json!({"type": "set_settings", "settings": {"reconnect_window": "2h"}}),
            json!({"type": "set_settings", "settings": {"no_such_setting": "1"}}),
        ],
    )
    .await;
    assert_eq!(
        kinds(&answers),
        [
            "identity", "ok", "error", "accounts", "ok", "error", "events", "status", "ok",
            "settings", "settings", "error"
        ]
    );
    assert_eq!(answers[11]["code"], -42);
    assert_eq!(answers[0]["role"], "admin");
    assert_eq!(answers[2]["code"], -12);
    assert_eq!(answers[5]["code"], -42);
    let listed = answers[3]["accounts"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|a| a["name"] == "MYCO\\ann" && !a["built_in"].as_bool().unwrap())
    );
}

/// The envelope schemas are not vacuous: an answer missing a field, or of
/// an unknown type, does not fit.
#[test]
fn the_envelope_schemas_refuse_what_the_server_never_sends() {
    let responses = envelope_schema("response");
    let granted = json!({"v": 1, "id": 3, "body": {"type": "granted", "handle": 1,
        "pool": {"feature": "F", "version": "2026.0101", "expiry": "permanent",
                 "license_type": null, "vendor_string": null},
        "shared": false, "burst": false}});
    fits(&responses, &granted);
    let mut without_burst = granted.clone();
    without_burst["body"]
        .as_object_mut()
        .unwrap()
        .remove("burst");
    assert!(!responses.is_valid(&without_burst));
    assert!(!responses.is_valid(&json!({"v": 1, "id": 1, "body": {"type": "granted2"}})));
    let requests = envelope_schema("request");
    assert!(requests.is_valid(&json!({"v": 1, "id": 1, "body": {"type": "pools"}})));
    let no_user = json!({"v": 1, "id": 1, "body": {"type": "checkout", "session": 1,
        "feature": "F", "version": "2026.0101", "device": "d", "host": "h"}});
    assert!(!requests.is_valid(&no_user));
}
