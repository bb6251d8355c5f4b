//! Browser logins for the console (docs/api.md, "Logging in from a
//! browser"). A person on the server's host asks for a login with
//! `lmutil lmtoken -login`: over the control socket, so the operating
//! system says who asks. The server answers a one-time URL; the browser
//! shows a page with a button, whose form trades the one-time token for a
//! session cookie (`HttpOnly; Secure; SameSite=Strict`, with an expiry).
//! A GET never spends the token, so link previews and scanners that fetch
//! URLs cannot use it up.
//!
//! Every request the cookie authenticates acts as the login's account, with
//! the role the account has at the time of the request. A state-changing
//! request authenticated by the cookie must also carry the session's CSRF
//! token in `X-Lmutil-Csrf` and, when it names one, come from the server's
//! own origin: another site's page cannot make one. Logins and sessions are
//! kept in memory only: a restart logs everyone out, which loses nothing.
//! Only SHA-256 digests of the secrets are kept.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::authz::account_role;
use super::context::Context;
use super::logins::{COOKIE, CSRF_HEADER, LOGIN_PREFIX, Peer, SESSION_LIFETIME, cookie};
use crate::protocol::Role;

/// The routes of logging in and out, and the session's own.
pub(crate) fn routes(ctx: Context) -> Router {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
        .route(SESSION_PATH, get(session))
        .with_state(ctx)
}

/// `GET SESSION_PATH`: the browser session's account, role and CSRF token.
pub const SESSION_PATH: &str = "/api/v1/session";

#[derive(Debug, Deserialize)]
struct LoginParams {
    token: Option<String>,
}

/// The headers every page of ours carries: nothing cached, framed, sniffed
/// or scripted from elsewhere, and no URL (with a token in it) sent on.
fn page(status: StatusCode, body: String) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        // Not no-referrer: a browser then sends `Origin: null` with the
        // page's form, which the guard refuses as another origin's. Same-
        // origin sends the URL (and its token) to this server only.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    (status, headers, body).into_response()
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\n<body><main>\n<h1>{title}</h1>\n{body}\n</main></body></html>\n"
    )
}

/// `GET /login?token=T`: a page whose button logs in; the token is spent
/// only by the button's POST.
async fn login_page(Query(params): Query<LoginParams>) -> Response {
    let Some(token) = params.token.filter(|t| t.starts_with(LOGIN_PREFIX)) else {
        let body = "<p>Ask for a login on the license server's host: \
                    <code>lmutil lmtoken -login</code> prints a URL to open here.</p>";
        return page(StatusCode::OK, document("Licensing Manager: log in", body));
    };
    let body = format!(
        "<form method=\"post\" action=\"/login\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <button type=\"submit\" id=\"login\" autofocus>Log in</button>\n</form>",
        escape(&token)
    );
    page(StatusCode::OK, document("Licensing Manager: log in", &body))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    token: String,
}

/// `POST /login` with `token=T`: spends the token, sets the session cookie
/// and sends the browser to the console.
async fn log_in(
    State(ctx): State<Context>,
    Extension(peer): Extension<Peer>,
    body: Bytes,
) -> Response {
    let failures = &ctx.logins.failures;
    if failures.blocked(peer.0) {
        let why = "<p>Too many failed logins from this address: wait a minute.</p>";
        return page(StatusCode::TOO_MANY_REQUESTS, document("Log in", why));
    }
    let form: Option<LoginForm> = serde_urlencoded::from_bytes(&body).ok();
    let redeemed = form.and_then(|f| ctx.logins.redeem(f.token.trim()));
    let Some((id, session)) = redeemed else {
        failures.failed(peer.0);
        let why = "<p>This login URL is unknown, used or expired: ask for a new one on the \
                   license server's host with <code>lmutil lmtoken -login</code>.</p>";
        return page(StatusCode::UNAUTHORIZED, document("Log in", why));
    };
    let line = format!("Console login by {} from {}", session.account, peer.0);
    ctx.say("lmgrd", line).await;
    let cookie = format!(
        "{COOKIE}={id}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    );
    let mut answer = StatusCode::SEE_OTHER.into_response();
    let headers = answer.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_static("/"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, v);
    }
    answer
}

/// `POST /logout`: ends the session and clears the cookie.
async fn log_out(State(ctx): State<Context>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers) {
        ctx.logins.end(id);
    }
    let clear = format!("{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
    let mut answer = StatusCode::SEE_OTHER.into_response();
    let h = answer.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_static("/login"));
    if let Ok(v) = HeaderValue::from_str(&clear) {
        h.insert(header::SET_COOKIE, v);
    }
    answer
}

/// What `GET /api/v1/session` answers.
#[derive(Debug, Serialize)]
struct SessionView {
    account: String,
    role: Role,
    csrf: String,
    expires: i64,
}

async fn session(State(ctx): State<Context>, headers: HeaderMap) -> Response {
    let Some(s) = cookie(&headers).and_then(|id| ctx.logins.session(id)) else {
        let why = "no browser session: log in with the URL `lmutil lmtoken -login` prints\n";
        return (StatusCode::UNAUTHORIZED, why).into_response();
    };
    let Some(role) = account_role(&ctx, &s.account).await else {
        let why = format!("the session's account {} has no role any more\n", s.account);
        return (StatusCode::UNAUTHORIZED, why).into_response();
    };
    let view = SessionView {
        account: s.account,
        role,
        csrf: s.csrf,
        expires: s.expires,
    };
    let body = serde_json::to_vec(&view).unwrap_or_default();
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    (StatusCode::OK, headers, body).into_response()
}

/// Refuses (403) a state-changing request that a session cookie would
/// authenticate unless it carries the session's CSRF token, and any
/// state-changing request whose `Origin` is not this server. Requests with
/// an API token (`Authorization`) are not the browser's: no cookie acts
/// for them.
pub(crate) async fn guard(State(ctx): State<Context>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    if safe {
        return next.run(request).await;
    }
    let headers = request.headers();
    if let Some(why) = cross_origin(headers) {
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    let bearer = headers.contains_key(header::AUTHORIZATION);
    let session = (!bearer && request.uri().path() != "/login")
        .then(|| cookie(headers).and_then(|id| ctx.logins.session(id)))
        .flatten();
    if let Some(s) = session {
        let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if presented != Some(s.csrf.as_str()) {
            let why = format!(
                "a change from a browser session carries the session's {CSRF_HEADER} header\n"
            );
            return (StatusCode::FORBIDDEN, why).into_response();
        }
    }
    next.run(request).await
}

/// Why a request's `Origin` is not this server's, when it names another.
fn cross_origin(headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("?");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same = origin
        .strip_prefix("https://")
        .is_some_and(|o| o.eq_ignore_ascii_case(host));
    (!same).then(|| format!("a change from origin {origin} is refused: it is not this server\n"))
}

/// The account and role of the browser session a request's cookie names.
pub async fn caller_of(ctx: &Context, headers: &HeaderMap) -> Option<(String, Option<Role>)> {
    let s = ctx.logins.session(cookie(headers)?)?;
    let role = account_role(ctx, &s.account).await;
    Some((s.account, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_origin_may_change_things() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "lic:8083".parse().unwrap());
        assert!(cross_origin(&h).is_none(), "no Origin: not a browser's");
        h.insert(header::ORIGIN, "https://lic:8083".parse().unwrap());
        assert!(cross_origin(&h).is_none());
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(cross_origin(&h).is_some());
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(cross_origin(&h).is_some());
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}
