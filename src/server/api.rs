//! The web services: the protocol's requests over HTTPS, for callers that
//! present an API token (`Authorization: Bearer lmu_…`, docs/api.md).
//!
//! A request is the protocol's own [`Request`], answered with its own
//! [`Response`], through the same handlers as the control socket: a token
//! acts as its account, with the role that account has now, and every
//! change it makes is recorded as made by `account (token N)`. Products
//! check out over TCP, never here. Served only over TLS; failed
//! authentications are limited per client address. The reads with
//! parameters are `queries`'s table; installing a license file is
//! `licenses`'s route.

mod licenses;
mod queries;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use serde::Deserialize;

use super::authz::{Caller, account_role};
use super::context::Context;
use super::handlers::{Conn, answer};
use crate::flexnet::Code;
use crate::protocol::status::{StatusPart, StatusQuery};
use crate::protocol::{ErrorBody, Request, Response};

pub use super::login::SESSION_PATH;
pub use super::logins::Peer;

pub use licenses::{INSTALL_PARAMS, LICENSES_PATH, MAX_UPLOAD_BODY};
pub use queries::{ApiQuery, HISTORY_CSV_PATH, Param, QUERIES};

/// What the API's routes share.
#[derive(Clone)]
struct Api {
    ctx: Context,
}

/// A read served at `GET path`: the protocol request it makes. The
/// routes and the OpenAPI document (docs/openapi.json) are both made from
/// this table.
#[derive(Debug)]
pub struct ApiRead {
    pub path: &'static str,
    pub request: fn() -> Request,
    /// What it answers, for the OpenAPI document.
    pub summary: &'static str,
}

/// The reads without parameters (the status, with its parameters, is
/// [`STATUS_PATH`]).
pub static READS: &[ApiRead] = &[
    ApiRead {
        path: "/api/v1/whoami",
        request: || Request::Whoami,
        summary: "Who the token acts as, and its role (`identity`)",
    },
    ApiRead {
        path: "/api/v1/info",
        request: || Request::Info,
        summary: "The server: host, ports, license files, version (`info`)",
    },
    ApiRead {
        path: "/api/v1/pools",
        request: || Request::Pools,
        summary: "Every pool and its use (`pools`)",
    },
    ApiRead {
        path: "/api/v1/settings",
        request: || Request::Settings,
        summary: "Every setting with its value, default and values (`settings`)",
    },
    ApiRead {
        path: "/api/v1/accounts",
        request: || Request::Accounts,
        summary: "The accounts and groups with a role (`accounts`)",
    },
    ApiRead {
        path: "/api/v1/tokens",
        request: || Request::Tokens,
        summary: "Every API token, never its secret (`tokens`; admin)",
    },
];

/// `GET STATUS_PATH?feature=F&parts=pools,checkouts`: the status.
pub const STATUS_PATH: &str = "/api/v1/status";
/// `POST REQUEST_PATH`: any request of the protocol but a product's.
pub const REQUEST_PATH: &str = "/api/v1/request";

/// The API's routes, under `/api/v1/`.
pub(crate) fn routes(ctx: Context) -> Router {
    let api = Api { ctx };
    let mut router = Router::new()
        .route(REQUEST_PATH, post(request))
        .route(STATUS_PATH, get(status));
    for r in READS {
        let handler = move |State(api): State<Api>, Extension(p): Extension<Peer>, h: HeaderMap| async move {
            read(&api, p, &h, (r.request)()).await
        };
        router = router.route(r.path, get(handler));
    }
    for q in QUERIES {
        let handler = move |State(api): State<Api>,
                            Extension(p): Extension<Peer>,
                            h: HeaderMap,
                            Query(params): Query<HashMap<String, String>>| async move {
            queries::query(&api, q, p, &h, params).await
        };
        router = router.route(q.path, get(handler));
    }
    router = router.route(HISTORY_CSV_PATH, get(queries::history_csv));
    let upload = post(licenses::install).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY));
    router = router.route(LICENSES_PATH, upload);
    router.with_state(api)
}

/// `POST /api/v1/request`: any request of the protocol but a product's.
async fn request(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResponse {
    let caller = match authenticate(&api, &headers, peer).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let request: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let reason = format!("the body is not a request of the protocol: {e}");
            return reply(Response::Error(ErrorBody::new(Code::BAD_DATA, reason)));
        }
    };
    if is_product(&request) {
        let reason = "products check licenses out over TCP (the vendor daemon's port), \
                      not over the web services";
        return reply(Response::Error(ErrorBody::new(Code::NOT_ALLOWED, reason)));
    }
    reply(answer(request, &api.ctx, &caller, &mut Conn::default()).await)
}

/// Whether a request is a product's (a session, a checkout, a checkin).
fn is_product(request: &Request) -> bool {
    matches!(
        request,
        Request::StartSession { .. }
            | Request::Heartbeat { .. }
            | Request::Reconnect { .. }
            | Request::EndSession { .. }
            | Request::Checkout(_)
            | Request::Checkin { .. }
    )
}

/// Answers a read made by an authenticated caller.
async fn read(api: &Api, peer: Peer, headers: &HeaderMap, request: Request) -> HttpResponse {
    match authenticate(api, headers, peer).await {
        Ok(caller) => reply(answer(request, &api.ctx, &caller, &mut Conn::default()).await),
        Err(refusal) => refusal,
    }
}

/// `GET /api/v1/status?feature=F&parts=pools,checkouts`.
#[derive(Debug, Deserialize)]
struct StatusParams {
    feature: Option<String>,
    parts: Option<String>,
}

async fn status(
    State(api): State<Api>,
    Extension(p): Extension<Peer>,
    h: HeaderMap,
    Query(params): Query<StatusParams>,
) -> HttpResponse {
    let mut parts = Vec::new();
    for name in params.parts.iter().flat_map(|p| p.split(',')) {
        let quoted = serde_json::Value::String(name.trim().to_owned());
        match serde_json::from_value::<StatusPart>(quoted) {
            Ok(part) => parts.push(part),
            Err(_) => {
                let reason = format!("unknown status part `{name}`");
                return reply(Response::Error(ErrorBody::new(Code::BAD_PARAMETER, reason)));
            }
        }
    }
    let query = StatusQuery {
        feature: params.feature,
        parts,
    };
    read(&api, p, &h, Request::Status(query)).await
}

/// The caller a request's token or browser session names, or the refusal
/// to send: 401 for a missing, unknown, expired or revoked token or session
/// (and for one whose account has no role any more), 429 once the address
/// failed too often. A token, when presented, is what counts.
async fn authenticate(api: &Api, headers: &HeaderMap, peer: Peer) -> Result<Caller, HttpResponse> {
    let failures = &api.ctx.logins.failures;
    if failures.blocked(peer.0) {
        let why = "too many failed authentications from this address: wait a minute";
        return Err(plain(StatusCode::TOO_MANY_REQUESTS, why));
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or("").trim());
    let Some(presented) = presented else {
        return browser(api, headers).await;
    };
    let digest = super::tokens::digest(presented);
    let found = match api.ctx.engine.find_token(digest).await {
        Ok(found) => found,
        Err(e) => return Err(plain(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())),
    };
    let Some(token) = found else {
        failures.failed(peer.0);
        return Err(unauthorized("the token is unknown, expired or revoked"));
    };
    let Some(role) = account_role(&api.ctx, &token.account).await else {
        failures.failed(peer.0);
        let why = format!("the token's account {} has no role", token.account);
        return Err(unauthorized(&why));
    };
    Ok(Caller::Web {
        name: format!("{} (token {})", token.account, token.id),
        role,
    })
}

/// The caller a browser session's cookie names. A cookie that names no
/// open session is not counted as a failure: sessions expire, and their
/// identifiers are too long to guess.
async fn browser(api: &Api, headers: &HeaderMap) -> Result<Caller, HttpResponse> {
    match super::login::caller_of(&api.ctx, headers).await {
        Some((account, Some(role))) => Ok(Caller::Web {
            name: format!("{account} (browser)"),
            role,
        }),
        Some((account, None)) => Err(unauthorized(&format!(
            "the session's account {account} has no role any more"
        ))),
        None => Err(unauthorized(
            "present an API token (Authorization: Bearer lmu_…) or log in \
             (lmutil lmtoken -login prints a login URL)",
        )),
    }
}

/// A protocol answer as HTTP: the answer's JSON, with a status that says
/// what a refusal was.
fn reply(response: Response) -> HttpResponse {
    let status = match &response {
        Response::Error(e) => error_status(e.code),
        _ => StatusCode::OK,
    };
    let body = serde_json::to_vec(&response).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The HTTP status of a refusal with FlexNet's number `code`.
fn error_status(code: Code) -> StatusCode {
    match code {
        Code::NOT_ALLOWED => StatusCode::FORBIDDEN,
        Code::BAD_DATA | Code::BAD_PARAMETER => StatusCode::BAD_REQUEST,
        // A license file that cannot be installed as it is.
        Code::BAD_FILE_SYNTAX | Code::BAD_SIGNATURE | Code::INVALID_HOST => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Code::CANNOT_CONNECT | Code::VENDOR_DOWN => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::CONFLICT,
    }
}

fn plain(status: StatusCode, why: &str) -> HttpResponse {
    (status, format!("{why}\n")).into_response()
}

fn unauthorized(why: &str) -> HttpResponse {
    let challenge = [(header::WWW_AUTHENTICATE, "Bearer realm=\"lmgrd\"")];
    (StatusCode::UNAUTHORIZED, challenge, format!("{why}\n")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_have_the_status_their_number_means() {
        assert_eq!(error_status(Code::NOT_ALLOWED), StatusCode::FORBIDDEN);
        assert_eq!(error_status(Code::BAD_PARAMETER), StatusCode::BAD_REQUEST);
        assert_eq!(
            error_status(Code::VENDOR_DOWN),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(error_status(Code::ALL_IN_USE), StatusCode::CONFLICT);
        assert_eq!(
            error_status(Code::BAD_SIGNATURE),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
