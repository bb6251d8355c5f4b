//! The browser logins and sessions lmgrd keeps, in memory, as SHA-256
//! digests of their secrets, and the failed web authentications by client
//! address (docs/api.md, "Logging in from a browser"). A leaf: the routes
//! that use them are in `login`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, header};

use super::tokens::{digest, hex};

/// What a one-time login token starts with.
pub const LOGIN_PREFIX: &str = "lml_";
/// How long a login URL may wait to be used.
pub const LOGIN_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How long a browser session lasts (a working day).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// The session cookie's name.
pub const COOKIE: &str = "lmutil_session";
/// The header a cookie-authenticated change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-lmutil-csrf";
/// Login URLs waiting to be used, at most.
const MAX_PENDING: usize = 1_000;
/// Browser sessions open at once, at most; past it the one nearest its
/// end is closed first.
const MAX_SESSIONS: usize = 10_000;

/// Failed authentications a client address may make in [`FAILURE_WINDOW`]
/// before it is refused (429) until the window ends.
pub const MAX_FAILURES: u32 = 10;
/// The window failed authentications are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Client addresses whose failures are remembered at once; past it the
/// oldest windows are forgotten first.
const FAILURE_ADDRESSES: usize = 10_000;

/// The address of the client on the other end of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub IpAddr);

/// The logins waiting to be used, the open sessions, and the failed
/// authentications by address (shared with the API tokens' checks).
#[derive(Debug, Default)]
pub struct Logins {
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, WebSession>>,
    pub failures: Failures,
}

#[derive(Debug)]
struct Pending {
    account: String,
    until: Instant,
}

/// An open browser session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The account it acts as (`host\user`).
    pub account: String,
    /// What a change it authenticates must carry in [`CSRF_HEADER`].
    pub csrf: String,
    until: Instant,
    /// When it ends, in seconds since the Unix epoch.
    pub expires: i64,
}

/// A login URL's token, and when it stops being accepted (Unix seconds).
#[derive(Debug)]
pub struct Minted {
    pub token: String,
    pub expires: i64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_in(d: Duration) -> i64 {
    let at = SystemTime::now() + d;
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// 256 random bits from the operating system, as hex.
fn secret() -> Result<String, String> {
    use rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| format!("no random bits for a login: {e}"))?;
    Ok(hex(&bytes))
}

impl Logins {
    /// A one-time login for `account`, valid [`LOGIN_LIFETIME`].
    pub fn mint(&self, account: &str) -> Result<Minted, String> {
        let token = format!("{LOGIN_PREFIX}{}", secret()?);
        let mut pending = lock(&self.pending);
        if pending.len() >= MAX_PENDING {
            let now = Instant::now();
            pending.retain(|_, p| p.until > now);
        }
        if pending.len() >= MAX_PENDING {
            return Err(format!(
                "{MAX_PENDING} login URLs are waiting to be used: try again in a few minutes"
            ));
        }
        let until = Instant::now() + LOGIN_LIFETIME;
        let account = account.to_owned();
        pending.insert(digest(&token), Pending { account, until });
        Ok(Minted {
            token,
            expires: unix_in(LOGIN_LIFETIME),
        })
    }

    /// Spends a one-time login: the new session's cookie value and the
    /// session, or `None` when the token is unknown, used or expired.
    pub fn redeem(&self, token: &str) -> Option<(String, WebSession)> {
        let pending = lock(&self.pending).remove(&digest(token))?;
        if pending.until <= Instant::now() {
            return None;
        }
        let (id, csrf) = (secret().ok()?, secret().ok()?);
        let session = WebSession {
            account: pending.account,
            csrf,
            until: Instant::now() + SESSION_LIFETIME,
            expires: unix_in(SESSION_LIFETIME),
        };
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= MAX_SESSIONS {
            let now = Instant::now();
            sessions.retain(|_, s| s.until > now);
        }
        if sessions.len() >= MAX_SESSIONS {
            let nearest = sessions
                .iter()
                .min_by_key(|(_, s)| s.until)
                .map(|(k, _)| k.clone());
            if let Some(k) = nearest {
                sessions.remove(&k);
            }
        }
        sessions.insert(digest(&id), session.clone());
        Some((id, session))
    }

    /// The open session a cookie value names.
    pub fn session(&self, id: &str) -> Option<WebSession> {
        let mut sessions = lock(&self.sessions);
        let key = digest(id);
        match sessions.get(&key) {
            Some(s) if s.until > Instant::now() => Some(s.clone()),
            Some(_) => {
                sessions.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends the session a cookie value names.
    pub fn end(&self, id: &str) {
        lock(&self.sessions).remove(&digest(id));
    }
}

/// Failed authentications by client address, in fixed windows.
#[derive(Debug, Default)]
pub struct Failures {
    by_address: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Failures {
    /// Whether `address` failed [`MAX_FAILURES`] times in its window.
    pub fn blocked(&self, address: IpAddr) -> bool {
        let map = lock(&self.by_address);
        map.get(&address)
            .is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < FAILURE_WINDOW)
    }

    /// Counts a failure of `address`.
    pub fn failed(&self, address: IpAddr) {
        let mut map = lock(&self.by_address);
        if map.len() >= FAILURE_ADDRESSES && !map.contains_key(&address) {
            map.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
            if map.len() >= FAILURE_ADDRESSES {
                map.clear();
            }
        }
        let entry = map.entry(address).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

/// The value of the session cookie a request carries.
pub fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_spent_once_and_its_session_found_by_its_cookie() {
        let logins = Logins::default();
        let minted = logins.mint("h\\ann").unwrap();
        assert!(minted.token.starts_with(LOGIN_PREFIX));
        let (id, session) = logins.redeem(&minted.token).unwrap();
        assert_eq!(session.account, "h\\ann");
        assert!(logins.redeem(&minted.token).is_none(), "spent");
        assert_eq!(logins.session(&id).unwrap().csrf, session.csrf);
        assert!(logins.session("nonsense").is_none());
        logins.end(&id);
        assert!(logins.session(&id).is_none());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; lmutil_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h), Some("xyz"));
        h.insert(header::COOKIE, "lmutil_sessionx=1".parse().unwrap());
        assert_eq!(cookie(&h), None);
    }

    #[test]
    fn an_address_is_blocked_after_its_failures_and_others_are_not() {
        let f = Failures::default();
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..MAX_FAILURES {
            assert!(!f.blocked(a));
            f.failed(a);
        }
        assert!(f.blocked(a));
        assert!(!f.blocked(b));
    }
}
