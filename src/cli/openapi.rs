//! The web services' OpenAPI document (docs/openapi.json), made from the
//! server's route table ([`crate::server::api::READS`]) and the protocol's
//! types: what the routes serve and what the document says cannot drift
//! apart (`tests/generated.rs` fails when the checked-in file is stale).

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::protocol::{Request, Response};
use crate::server::api::{
    HISTORY_CSV_PATH, INSTALL_PARAMS, LICENSES_PATH, Param, QUERIES, READS, REQUEST_PATH,
    STATUS_PATH,
};

/// The document, as JSON (OpenAPI 3.1: its schemas are JSON Schema 2020-12).
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let request = generator.subschema_for::<Request>();
    let response = generator.subschema_for::<Response>();
    let answer = |what: &str| {
        json!({
            "description": what,
            "content": {"application/json": {"schema": response}}
        })
    };
    let refusals = json!({
        "401": {"description": "No token, or an unknown, expired or revoked one, or one whose account has no role"},
        "403": answer("Refused (-63): the token's role may not, or a product's request"),
        "429": {"description": "Too many failed authentications from this address: wait a minute"},
        "503": answer("The server cannot serve now (-15) or is stopping (-97)"),
    });
    let with_refusals = |ok: Value| {
        let mut all = refusals.as_object().cloned().unwrap_or_default();
        all.insert("200".into(), ok);
        Value::Object(all)
    };
    let mut paths = Map::new();
    for r in READS {
        let op = json!({
            "summary": r.summary,
            "responses": with_refusals(answer(r.summary)),
        });
        paths.insert(r.path.into(), json!({ "get": op }));
    }
    for q in QUERIES {
        let parameters = query_parameters(q.params);
        let mut responses = with_refusals(answer(q.summary));
        if let Some(all) = responses.as_object_mut() {
            all.insert("400".into(), answer("A bad or unknown parameter (-42)"));
        }
        paths.insert(
            q.path.into(),
            json!({"get": {"summary": q.summary, "parameters": parameters, "responses": responses}}),
        );
    }
    let csv = json!({
        "description": "The daily usage report (docs/history.md), the bytes `lmutil lmhistory -export` writes",
        "content": {"text/csv": {"schema": {"type": "string"}}}
    });
    let history = &paths["/api/v1/history"]["get"];
    paths.insert(
        HISTORY_CSV_PATH.into(),
        json!({"get": {
            "summary": "The daily usage report as CSV (an attachment), as `lmhistory -export`",
            "parameters": history["parameters"].clone(),
            "responses": with_refusals(csv),
        }}),
    );
    let mut upload = with_refusals(answer(
        "`license_installed`: the file, its lines and whether each serves, and the reread's pools",
    ));
    if let Some(all) = upload.as_object_mut() {
        all.insert(
            "400".into(),
            answer("A bad name or parameter (-42), or a file too large (-12)"),
        );
        all.insert(
            "422".into(),
            answer("Refused: a line that does not parse (-2), a bad signature (-8), bound to another host (-9)"),
        );
        all.insert(
            "409".into(),
            answer("Refused with another FlexNet number (e.g. the file exists: replace it with replace=true)"),
        );
    }
    if let Some(licenses) = paths.get_mut(LICENSES_PATH).and_then(Value::as_object_mut) {
        licenses.insert(
            "post".into(),
            json!({
                "summary": "Install a license file (`install_license`; admin): checked, written atomically into the license directory, reread",
                "parameters": query_parameters(INSTALL_PARAMS),
                "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string"}}},
                                "description": "The license file's text (at most 256 KiB)"},
                "responses": upload,
            }),
        );
    }
    let parts = "Only these parts, separated by commas: pools, sessions, checkouts, assignments, connections, denials, alerts";
    paths.insert(
        STATUS_PATH.into(),
        json!({"get": {
            "summary": "The licensing state, or the parts and feature asked for (`status`)",
            "parameters": [
                {"name": "feature", "in": "query", "required": false, "schema": {"type": "string"},
                 "description": "Only this feature's pools, checkouts, assignments, connections and refusals"},
                {"name": "parts", "in": "query", "required": false, "schema": {"type": "string"},
                 "description": parts}
            ],
            "responses": with_refusals(answer("`status`")),
        }}),
    );
    let mut posted = with_refusals(answer("The protocol's answer to the request"));
    if let Some(all) = posted.as_object_mut() {
        all.insert(
            "400".into(),
            answer("Not a request of the protocol, or a bad parameter (-12, -42)"),
        );
        all.insert("409".into(), answer("Refused with another FlexNet number"));
    }
    paths.insert(
        REQUEST_PATH.into(),
        json!({"post": {
            "summary": "Any request of the protocol but a product's (docs/protocol.md): changes need the admin role",
            "requestBody": {"required": true, "content": {"application/json": {"schema": request}}},
            "responses": posted,
        }}),
    );
    browser_paths(&mut paths);
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "lmgrd web services",
            "version": crate::version::VERSION,
            "description": "The protocol's requests over HTTPS, authorised by API tokens (docs/api.md)."
        },
        "servers": [{"url": "https://localhost:8083"}],
        "security": [{"token": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "An API token made with `lmutil lmtoken -create` (docs/tokens.md)"},
                "session": {"type": "apiKey", "in": "cookie", "name": "lmutil_session",
                            "description": "A browser session, from a login URL `lmutil lmtoken -login` prints (docs/api.md); a change also carries X-Lmutil-Csrf"}
            }
        }
    })
}

/// Logging in and out from a browser, and the session's own route.
fn browser_paths(paths: &mut Map<String, Value>) {
    let html = |what: &str| json!({"description": what, "content": {"text/html": {"schema": {"type": "string"}}}});
    let to = |what: &str| json!({"description": what});
    paths.insert(
        "/login".into(),
        json!({
            "get": {
                "summary": "A page whose Log in button spends the one-time login token (GET never does)",
                "security": [],
                "parameters": [{"name": "token", "in": "query", "required": false, "schema": {"type": "string"},
                                "description": "The lml_… token of the URL `lmutil lmtoken -login` printed"}],
                "responses": {"200": html("The page")}
            },
            "post": {
                "summary": "Spends the one-time login token: sets the lmutil_session cookie (HttpOnly, Secure, SameSite=Strict) and redirects to /",
                "security": [],
                "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}}}},
                "responses": {
                    "303": to("Logged in: Set-Cookie lmutil_session, Location /"),
                    "401": html("The login URL is unknown, used or expired"),
                    "429": html("Too many failed authentications from this address")
                }
            }
        }),
    );
    paths.insert(
        "/logout".into(),
        json!({"post": {
            "summary": "Ends the browser session and clears its cookie (with X-Lmutil-Csrf)",
            "security": [{"session": []}],
            "responses": {"303": to("Logged out: Location /login")}
        }}),
    );
    paths.insert(
        crate::server::api::SESSION_PATH.into(),
        json!({"get": {
            "summary": "The browser session: its account, role, CSRF token (for X-Lmutil-Csrf) and end",
            "security": [{"session": []}],
            "responses": {
                "200": {"description": "The session", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["account", "role", "csrf", "expires"],
                    "properties": {
                        "account": {"type": "string"},
                        "role": {"enum": ["admin", "user"]},
                        "csrf": {"type": "string"},
                        "expires": {"type": "integer", "description": "Unix seconds"}
                    }}}}},
                "401": to("No browser session, or its account has no role any more")
            }
        }}),
    );
}

/// A route's query parameters, as OpenAPI describes them.
fn query_parameters(params: &[Param]) -> Vec<Value> {
    params
        .iter()
        .map(|p| {
            json!({"name": p.name, "in": "query", "required": p.required,
                   "schema": {"type": "string"}, "description": p.description})
        })
        .collect()
}

/// `docs/openapi.json`, pretty-printed.
pub fn artifact() -> (std::path::PathBuf, Vec<u8>) {
    let mut text = serde_json::to_vec_pretty(&document()).unwrap_or_default();
    text.push(b'\n');
    ("docs/openapi.json".into(), text)
}
