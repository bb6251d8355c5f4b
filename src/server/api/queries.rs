//! The reads that take parameters (`GET path?name=value&…`): each row of
//! [`QUERIES`] names its parameters and turns them into the protocol's
//! request, answered with the protocol's answer as JSON. The routes and
//! the OpenAPI document (docs/openapi.json) are both made from the table.
//! Beside it, `GET /api/v1/history.csv`: the daily usage report, the very
//! bytes `lmutil lmhistory -export` writes.

use std::collections::HashMap;
use std::str::FromStr;

use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde::de::DeserializeOwned;

use super::{Api, Peer, authenticate, reply};
use crate::flexnet::Code;
use crate::protocol::events::{EventKind, EventQuery};
use crate::protocol::history::HistoryQuery;
use crate::protocol::status::{Status, StatusPart, StatusQuery};
use crate::protocol::{ErrorBody, Request, Response};
use crate::server::handlers::{Conn, answer};

/// One query parameter, for the OpenAPI document and the refusal of an
/// unknown one.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub description: &'static str,
    /// The request is refused without it.
    pub required: bool,
}

/// A parameter that may be left out.
pub(super) const fn optional(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        description,
        required: false,
    }
}

/// A read served at `GET path?…`: its parameters and the protocol request
/// they make.
#[derive(Debug)]
pub struct ApiQuery {
    pub path: &'static str,
    /// What it answers, for the OpenAPI document.
    pub summary: &'static str,
    pub params: &'static [Param],
    /// The request the parameters make, or why they make none.
    pub request: fn(&Params) -> Result<Request, String>,
    /// What of the answer is kept (the user/device lookup keeps one name's
    /// part of the status); `None`: all of it.
    pub narrow: Option<fn(&Params, Response) -> Response>,
}

/// The query parameters of one request, by name.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// The parameter's text; none when absent or empty.
    pub(super) fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// The parameter as a number (or a `true`/`false`).
    pub(super) fn parsed<T: FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.text(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{name}={v}: not a valid value"))
            })
            .transpose()
    }

    /// The parameter as names separated by commas, each the protocol's
    /// name of a `T`.
    fn list<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>, String> {
        let Some(all) = self.text(name) else {
            return Ok(Vec::new());
        };
        all.split(',')
            .map(|one| {
                let quoted = serde_json::Value::String(one.trim().to_owned());
                serde_json::from_value(quoted).map_err(|_| format!("{name}: unknown `{one}`"))
            })
            .collect()
    }
}

/// `GET HISTORY_CSV_PATH?feature=&version=&from=&to=`: the daily usage
/// report as CSV.
pub const HISTORY_CSV_PATH: &str = "/api/v1/history.csv";
/// The events a page holds when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 1000;

const FEATURE: Param = optional("feature", "Only this feature");
const HISTORY_PARAMS: &[Param] = &[
    FEATURE,
    optional("version", "Only the pools of this css date (YYYY.MMDD)"),
    optional("from", "From this day on (YYYY-MM-DD, UTC), inclusive"),
    optional("to", "Up to this day (YYYY-MM-DD, UTC), inclusive"),
    optional(
        "samples",
        "true: also each sampling period (at most 200,000)",
    ),
];
const AFTER: Param = optional(
    "after",
    "Only events after this sequence number (an answer's `next`); 0 when absent",
);
const LIMIT: Param = optional(
    "limit",
    "At most this many events (1,000 when absent; at most 10,000)",
);
const SINCE: Param = optional("since", "Only events at or after this time (Unix seconds)");
const UNTIL: Param = optional("until", "Only events at or before this time (Unix seconds)");
const BY: Param = optional(
    "by",
    "Only changes asked for by this account: host\\user, or user alone (any host); any case",
);
const EVENT_PARAMS: &[Param] = &[
    AFTER,
    LIMIT,
    optional(
        "kinds",
        "Only these kinds (the events' `event` names, separated by commas)",
    ),
    FEATURE,
    optional(
        "models",
        "Only grants of these license models (separated by commas: user_device, per_user, concurrent, …)",
    ),
    SINCE,
    UNTIL,
    BY,
];
const AUDIT_PARAMS: &[Param] = &[
    AFTER,
    LIMIT,
    optional(
        "kinds",
        "Only these kinds of change (released, licenses_read, license_installed, settings_changed, account_set, account_removed, shutdown_requested, token_created, token_revoked; separated by commas)",
    ),
    optional("feature", "Only releases of this feature"),
    SINCE,
    UNTIL,
    BY,
];

/// The reads with parameters.
pub static QUERIES: &[ApiQuery] = &[
    ApiQuery {
        path: "/api/v1/history",
        summary: "The usage history per pool and day (`history`), as `lmhistory --json`",
        params: HISTORY_PARAMS,
        request: |p| Ok(Request::History(history_query(p)?)),
        narrow: None,
    },
    ApiQuery {
        path: "/api/v1/events",
        summary: "The server's events, oldest first, a page at a time (`events`), as `udadmin -events` asks for them",
        params: EVENT_PARAMS,
        request: |p| Ok(Request::Events(event_query(p, p.list("kinds")?)?)),
        narrow: None,
    },
    ApiQuery {
        path: "/api/v1/audit",
        summary: "Every change made to the server and who asked (`events` of the changes' kinds), as `lmaudit`",
        params: AUDIT_PARAMS,
        request: |p| Ok(Request::Events(audit_query(p)?)),
        narrow: None,
    },
    ApiQuery {
        path: "/api/v1/diagnosis",
        summary: "Every license line, whether it serves and why not, and whether a checkout would be granted now (`diagnosis`), as `lmdiag`",
        params: &[optional("feature", "Only this feature's lines")],
        request: |p| {
            Ok(Request::Diagnose {
                feature: p.text("feature"),
            })
        },
        narrow: None,
    },
    ApiQuery {
        path: super::licenses::LICENSES_PATH,
        summary: "The files in the license directory: size, when written (installed), whether read (`license_files`)",
        params: &[optional(
            "days",
            "Only the files written in the last this many days (the console's Update Licenses: 30)",
        )],
        request: |p| {
            Ok(Request::LicenseFiles {
                days: p.parsed("days")?,
            })
        },
        narrow: None,
    },
    ApiQuery {
        path: "/api/v1/user-device",
        summary: "One user's or device's user/device assignments and connections (`status` with those parts, of that name only)",
        params: &[
            Param {
                name: "name",
                description: "The user or device (any case)",
                required: true,
            },
            optional("feature", "Only this feature's"),
        ],
        request: user_device_query,
        narrow: Some(only_holder),
    },
];

/// The route of a row of [`QUERIES`]: its parameters checked and turned
/// into its request, answered as JSON.
pub(super) async fn query(
    api: &Api,
    q: &'static ApiQuery,
    peer: Peer,
    headers: &HeaderMap,
    params: HashMap<String, String>,
) -> HttpResponse {
    let caller = match authenticate(api, headers, peer).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let params = match checked(q.params, params) {
        Ok(p) => p,
        Err(why) => return reply(bad_parameter(why)),
    };
    let request = match (q.request)(&params) {
        Ok(r) => r,
        Err(why) => return reply(bad_parameter(why)),
    };
    let answered = answer(request, &api.ctx, &caller, &mut Conn::default()).await;
    match q.narrow {
        Some(narrow) if !matches!(answered, Response::Error(_)) => reply(narrow(&params, answered)),
        _ => reply(answered),
    }
}

/// `GET /api/v1/history.csv`: the daily usage report, as
/// `lmhistory -export` writes it.
pub(super) async fn history_csv(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> HttpResponse {
    let query = checked(HISTORY_PARAMS, params).and_then(|p| history_query(&p));
    let query = match query {
        Ok(q) => q,
        Err(why) => return reply(bad_parameter(why)),
    };
    let history = match read_history(&api, peer, &headers, query).await {
        Ok(h) => h,
        Err(refusal) => return refusal,
    };
    match crate::history::export::to_csv(&history.days) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"usage.csv\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => reply(Response::Error(ErrorBody::new(
            Code::CANNOT_CONNECT,
            format!("the report could not be written: {e}"),
        ))),
    }
}

/// The history, or the HTTP answer that refuses it.
async fn read_history(
    api: &Api,
    peer: Peer,
    headers: &HeaderMap,
    query: HistoryQuery,
) -> Result<Box<crate::protocol::history::History>, HttpResponse> {
    let caller = authenticate(api, headers, peer).await?;
    let request = Request::History(query);
    match answer(request, &api.ctx, &caller, &mut Conn::default()).await {
        Response::History(h) => Ok(h),
        other => Err(reply(other)),
    }
}

fn bad_parameter(why: String) -> Response {
    Response::Error(ErrorBody::new(Code::BAD_PARAMETER, why))
}

/// The parameters, refused when one is not among `known`.
pub(super) fn checked(known: &[Param], given: HashMap<String, String>) -> Result<Params, String> {
    if let Some(unknown) = given.keys().find(|k| !known.iter().any(|p| p.name == *k)) {
        let names: Vec<&str> = known.iter().map(|p| p.name).collect();
        return Err(format!(
            "unknown parameter `{unknown}`: expected {}",
            names.join(", ")
        ));
    }
    if let Some(missing) = known
        .iter()
        .find(|p| p.required && !given.contains_key(p.name))
    {
        return Err(format!("{}: required", missing.name));
    }
    Ok(Params(given))
}

fn history_query(p: &Params) -> Result<HistoryQuery, String> {
    Ok(HistoryQuery {
        feature: p.text("feature"),
        version: p.text("version"),
        from: p.text("from"),
        to: p.text("to"),
        samples: p.parsed("samples")?.unwrap_or(false),
    })
}

fn event_query(p: &Params, kinds: Vec<EventKind>) -> Result<EventQuery, String> {
    Ok(EventQuery {
        after: p.parsed("after")?.unwrap_or(0),
        limit: p.parsed("limit")?.unwrap_or(DEFAULT_LIMIT),
        kinds,
        feature: p.text("feature"),
        models: p.list("models")?,
        since: p.parsed("since")?,
        until: p.parsed("until")?,
        by: p.text("by"),
    })
}

/// The changes' events: of the kinds asked for, each a change's kind.
fn audit_query(p: &Params) -> Result<EventQuery, String> {
    let kinds: Vec<EventKind> = p.list("kinds")?;
    if let Some(k) = kinds.iter().find(|k| !EventKind::CHANGES.contains(k)) {
        return Err(format!("kinds: {k:?} is not a change"));
    }
    let kinds = if kinds.is_empty() {
        EventKind::CHANGES.to_vec()
    } else {
        kinds
    };
    event_query(p, kinds)
}

fn user_device_query(p: &Params) -> Result<Request, String> {
    if p.text("name").is_none() {
        return Err("name: give the user or device to look up".to_owned());
    }
    Ok(Request::Status(StatusQuery {
        feature: p.text("feature"),
        parts: vec![StatusPart::Assignments, StatusPart::Connections],
    }))
}

/// The status's assignments and connections of the user or device `name`
/// (compared in any case), nothing else.
fn only_holder(p: &Params, answered: Response) -> Response {
    let Response::Status(mut status) = answered else {
        return answered;
    };
    let name = p.text("name").unwrap_or_default();
    let is = |n: &str| n.eq_ignore_ascii_case(&name);
    let Status {
        assignments,
        connections,
        ..
    } = &mut *status;
    assignments.retain(|a| is(&a.name));
    connections.retain(|c| is(&c.user) || is(&c.device));
    Response::Status(status)
}
