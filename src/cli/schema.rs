//! The `--json` schemas: one JSON Schema per command, generated from the
//! report types, checked in under `docs/schemas/` (a test fails when they
//! are stale; `LMUTIL_UPDATE_GENERATED=1 cargo test generated` rewrites
//! them, with the completions and man pages).
//!
//! Every document carries `schema_version`. Within one version fields are
//! only ever added; removing, renaming or changing the type or meaning of a
//! field raises [`SCHEMA_VERSION`]. `docs/json.md` states these rules for
//! script authors.

use std::path::PathBuf;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use super::{
    accounts, lmaudit, lmcrypt, lmdiag, lmdown, lmhistory, lmhostid, lminstall, lmreread,
    lmsettings, lmstat, lmtoken, lmver, udadmin,
};

/// The version of the JSON interface every command writes.
pub const SCHEMA_VERSION: u32 = 1;

/// A `--json` document: the interface version, then the command's report.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Versioned<T> {
    /// The version of this interface; raised only by an incompatible change.
    #[schemars(extend("const" = SCHEMA_VERSION))]
    pub schema_version: u32,
    #[serde(flatten)]
    pub report: T,
}

/// Makes a command's schema with the given generator.
type SchemaFn = fn(SchemaGenerator) -> Schema;

/// The schema of a document holding a `T`.
fn document<T: JsonSchema>(generator: SchemaGenerator) -> Schema {
    generator.into_root_schema_for::<Versioned<T>>()
}

/// Every command with `--json`: its name, what it writes, its schema.
const SCHEMAS: &[(&str, &str, SchemaFn)] = &[
    (
        "lmstat",
        "lmstat --json: the server's status, with -i the INCREMENT lines of the license files, or with -v its version",
        document::<lmstat::Output>,
    ),
    (
        "lmdiag",
        "lmdiag --json: each license line, whether it can be checked out and why not, and which ports answer; or, when it fails, the error and what the license files say",
        document::<lmdiag::Output>,
    ),
    (
        "lmreread",
        "lmreread --json: the server that reread its files",
        document::<lmreread::Reread>,
    ),
    (
        "lminstall",
        "lminstall --json: the license file installed, its lines and whether each serves, and the pools served after the reread",
        document::<lminstall::Output>,
    ),
    (
        "lmdown",
        "lmdown --json: what was stopped",
        document::<lmdown::Down>,
    ),
    (
        "udadmin",
        "udadmin --json: -list and -a, -export, -events or -delete, told apart by their fields",
        document::<udadmin::Output>,
    ),
    (
        "CtxManageUserAndGroup",
        "CtxManageUserAndGroup --json: the accounts with a role (-list), or the change made",
        document::<accounts::Output>,
    ),
    (
        "lmaudit",
        "lmaudit --json: every change made to the server (releases, rereads, shutdowns, accounts, settings), oldest first, each with when and who asked",
        document::<lmaudit::Audit>,
    ),
    (
        "lmsettings",
        "lmsettings --json: every setting with its value, default, values and description, and the names -set changed",
        document::<lmsettings::Output>,
    ),
    (
        "lmhistory",
        "lmhistory --json: the usage history, one row per pool and day, with the sampling period and retention in force",
        document::<lmhistory::Output>,
    ),
    (
        "lmtoken",
        "lmtoken --json: every API token, and the one -create made (with its secret, shown once) or the one -revoke revoked",
        document::<lmtoken::Output>,
    ),
    (
        "lmhostid",
        "lmhostid --json: this host's binding identifiers",
        document::<lmhostid::HostIdReport>,
    ),
    (
        "lmver",
        "lmver --json: the version built into a binary",
        document::<lmver::VersionReport>,
    ),
    (
        "lmcrypt",
        "lmcrypt --json: the key pair made, the lines signed, or the verdict of --verify",
        document::<lmcrypt::Output>,
    ),
];

/// The schema of `command`'s `--json` output, if it has one.
pub fn schema(command: &str) -> Option<Schema> {
    let (_, description, make) = SCHEMAS.iter().find(|(name, ..)| *name == command)?;
    let mut schema = make(generator());
    schema.insert("title".into(), format!("{command} --json").into());
    schema.insert("description".into(), (*description).into());
    Some(schema)
}

/// Every field of every report is always written (an absent value is
/// `null`, never a missing field), so every property is required: scripts
/// may index any documented field without checking that it exists.
fn every_field_required(schema: &mut Schema) {
    if let Some(obj) = schema.as_object_mut() {
        let keys = match obj.get("properties") {
            Some(serde_json::Value::Object(props)) => props.keys().cloned().collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        if !keys.is_empty() {
            obj.insert("required".into(), keys.into());
        }
    }
    schemars::transform::transform_subschemas(&mut every_field_required, schema);
}

/// The bodies of the protocol's answers (docs/protocol.md), by the name of
/// the answer: the public types of [`crate::protocol`], as they travel.
const WIRE_SCHEMAS: &[(&str, &str, SchemaFn)] = &[
    (
        "status",
        "The body of the `status` answer: the licensing state at one instant",
        wire::<crate::protocol::status::Status>,
    ),
    (
        "pools",
        "The `pools` field of the `pools` answer: every pool and its use",
        wire::<Vec<crate::protocol::status::Pool>>,
    ),
    (
        "events",
        "The body of the `events` answer: a page of the server's history",
        wire::<crate::protocol::events::EventPage>,
    ),
    (
        "info",
        "The body of the `info` answer: the server, its ports and license files",
        wire::<crate::protocol::ServerInfo>,
    ),
    (
        "diagnosis",
        "The body of the `diagnosis` answer: every license line, whether a checkout would be granted now and why not",
        wire::<crate::protocol::diagnosis::Diagnosis>,
    ),
    (
        "history",
        "The body of the `history` answer: the usage history per pool and day, and per sampling period when asked",
        wire::<crate::protocol::history::History>,
    ),
    (
        "response",
        "Every frame the server sends: the envelope and each answer's body, told apart by its `type`",
        wire::<crate::protocol::Envelope<crate::protocol::Response>>,
    ),
    (
        "settings",
        "The body of the `settings` and `set_settings` answers: every setting with its value, default, values and description",
        wire::<crate::protocol::SettingsList>,
    ),
];

fn wire<T: JsonSchema>(generator: SchemaGenerator) -> Schema {
    generator.into_root_schema_for::<T>()
}

/// The schema of a protocol answer's body, or of the whole answer
/// envelope (`response`), or of the request envelope (`request`).
pub fn wire_schema(answer: &str) -> Option<Schema> {
    if answer == "request" {
        return Some(request_schema());
    }
    let (_, description, make) = WIRE_SCHEMAS.iter().find(|(name, ..)| *name == answer)?;
    let mut schema = make(generator());
    let title = match answer {
        "response" => "response (protocol answer envelope)".to_owned(),
        _ => format!("{answer} (protocol answer)"),
    };
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), (*description).into());
    Some(schema)
}

/// The request envelope. Unlike an answer, a request may leave out what
/// the server defaults (an optional field, `display`, `count`, the
/// filters of `status` and `events`), so only what it must send is
/// required.
fn request_schema() -> Schema {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema =
        generator.into_root_schema_for::<crate::protocol::Envelope<crate::protocol::Request>>();
    schema.insert("title".into(), "request (protocol request envelope)".into());
    let description = "Every frame a client sends: the envelope and each request's body, told apart by its `type`";
    schema.insert("description".into(), description.into());
    schema
}

fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(every_field_required)
        .into_generator()
}

/// Every checked-in schema: `docs/schemas/<command>.json` and
/// `docs/schemas/protocol/<answer>.json` (with `request.json` and
/// `response.json`, the envelopes), with their content.
pub fn artifacts() -> Vec<(PathBuf, Vec<u8>)> {
    let pretty = |schema: Schema| {
        let mut text = serde_json::to_vec_pretty(&schema).ok()?;
        text.push(b'\n');
        Some(text)
    };
    let commands = SCHEMAS.iter().filter_map(|(name, ..)| {
        let path = PathBuf::from(format!("docs/schemas/{name}.json"));
        Some((path, pretty(schema(name)?)?))
    });
    let names = WIRE_SCHEMAS.iter().map(|(name, ..)| *name);
    let answers = names.chain(["request"]).filter_map(|name| {
        let path = PathBuf::from(format!("docs/schemas/protocol/{name}.json"));
        Some((path, pretty(wire_schema(name)?)?))
    });
    commands.chain(answers).collect()
}

/// The commands that have a schema, in table order.
pub fn commands() -> impl Iterator<Item = &'static str> {
    SCHEMAS.iter().map(|(name, ..)| *name)
}
