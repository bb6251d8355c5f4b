//! Alert deliveries to webhooks over HTTPS (`--webhook URL`, repeatable).
//!
//! Each webhook has a bounded queue and a task of its own on the runtime:
//! the reader thread only pushes onto the queue, so a slow or dead
//! receiver never holds up anything else (nor another webhook). A full
//! queue drops its oldest delivery, with a line in the debug log. A
//! delivery is one POST of a JSON body ([`WebhookBody`]); anything but a
//! 2xx answer (or no answer) is retried with exponential backoff and
//! jitter for [`RETRY_FOR`], then given up with a log line. Retries send
//! the same bytes and headers.
//!
//! The body is signed when a secret is configured
//! (`--webhook-secret-file`): `X-Lmutil-Signature: sha256=HEX`, the
//! HMAC-SHA256 of the exact body under the secret; `X-Lmutil-Timestamp`
//! and `X-Lmutil-Delivery` repeat the body's `timestamp` and `id`.
//! Receivers with a private CA are trusted through `--webhook-ca`.
//! docs/alerts.md has the receiver's side.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand_core::RngCore;
use sha2::Sha256;
use tokio::sync::Notify;

use super::debuglog::{DebugLog, say};
use crate::alerts::Change;
use crate::protocol::alerts::WebhookBody;

/// Deliveries waiting per webhook before the oldest is dropped.
pub const QUEUE_LIMIT: usize = 1024;
/// How long a delivery is retried before it is given up.
pub const RETRY_FOR: Duration = Duration::from_secs(600);
/// The wait before the first retry; it doubles up to [`MAX_RETRY_WAIT`].
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Lmutil-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Lmutil-Timestamp";
pub const DELIVERY_HEADER: &str = "X-Lmutil-Delivery";

/// Why the webhooks could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("cannot read the webhook secret file {path}: {source}")]
    Secret {
        path: String,
        source: std::io::Error,
    },
    #[error("the webhook secret file {0} is empty")]
    EmptySecret(String),
    #[error("cannot read the webhook CA certificate {path}: {why}")]
    Ca { path: String, why: String },
    #[error("cannot set up HTTPS for the webhooks: {0}")]
    Client(String),
}

/// One delivery, its bytes fixed once.
struct Delivery {
    id: String,
    timestamp: i64,
    body: Vec<u8>,
    signature: Option<String>,
}

/// One webhook: its queue and what wakes its task.
struct Target {
    url: reqwest::Url,
    queue: Mutex<VecDeque<Delivery>>,
    ready: Notify,
}

/// The configured webhooks (none: changes go nowhere).
#[derive(Clone, Default)]
pub struct Webhooks {
    targets: Vec<Arc<Target>>,
    secret: Option<Arc<Vec<u8>>>,
    server: String,
    log: Option<Arc<Mutex<DebugLog>>>,
}

/// What the webhooks are set up from (lmgrd's start options).
#[derive(Debug, Clone, Default)]
pub struct WebhookConfig {
    pub urls: Vec<reqwest::Url>,
    pub secret_file: Option<std::path::PathBuf>,
    pub ca: Option<std::path::PathBuf>,
}

impl Webhooks {
    /// Reads the secret and the CA, and starts one delivery task per
    /// webhook on the current runtime. `server` is this host's name, sent
    /// in every body.
    pub fn start(
        config: &WebhookConfig,
        server: String,
        log: Arc<Mutex<DebugLog>>,
    ) -> Result<Webhooks, WebhookError> {
        if config.urls.is_empty() {
            return Ok(Webhooks::default());
        }
        let secret = config.secret_file.as_deref().map(read_secret).transpose()?;
        let client = client(config.ca.as_deref())?;
        let mut targets = Vec::new();
        for url in &config.urls {
            let target = Arc::new(Target {
                url: url.clone(),
                queue: Mutex::new(VecDeque::new()),
                ready: Notify::new(),
            });
            tokio::spawn(deliver(target.clone(), client.clone(), log.clone()));
            targets.push(target);
        }
        Ok(Webhooks {
            targets,
            secret: secret.map(Arc::new),
            server,
            log: Some(log),
        })
    }

    /// Queues a change for every webhook; never waits.
    pub fn send(&self, change: &Change, now: i64) {
        if self.targets.is_empty() {
            return;
        }
        for target in &self.targets {
            let delivery = self.delivery(change, now);
            let dropped = {
                let mut queue = target.queue.lock().unwrap_or_else(|e| e.into_inner());
                let dropped = (queue.len() >= QUEUE_LIMIT).then(|| queue.pop_front());
                queue.push_back(delivery);
                dropped.flatten()
            };
            target.ready.notify_one();
            if let (Some(old), Some(log)) = (dropped, &self.log) {
                let line = format!(
                    "Webhook {}: {QUEUE_LIMIT} deliveries waiting; dropped the oldest ({})",
                    target.url, old.id
                );
                say(log, "lmgrd", &line);
            }
        }
    }

    /// A delivery of `change`: its id, body and signature.
    fn delivery(&self, change: &Change, now: i64) -> Delivery {
        let body = WebhookBody {
            id: delivery_id(),
            timestamp: now,
            server: self.server.clone(),
            change: change.change,
            alert: change.alert.clone(),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let signature = self.secret.as_deref().map(|key| signature(key, &bytes));
        Delivery {
            id: body.id,
            timestamp: now,
            body: bytes,
            signature,
        }
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// 128 random bits, in hex.
fn delivery_id() -> String {
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The secret: the file's bytes, less a trailing newline.
fn read_secret(path: &Path) -> Result<Vec<u8>, WebhookError> {
    let mut bytes = std::fs::read(path).map_err(|source| WebhookError::Secret {
        path: path.display().to_string(),
        source,
    })?;
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    if bytes.is_empty() {
        return Err(WebhookError::EmptySecret(path.display().to_string()));
    }
    Ok(bytes)
}

/// An HTTPS-only client trusting the system's CAs and `ca`, if given.
fn client(ca: Option<&Path>) -> Result<reqwest::Client, WebhookError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .https_only(true)
        .timeout(ATTEMPT_TIMEOUT)
        .user_agent(concat!("lmutil-lmgrd/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca {
        let ca_error = |why: String| WebhookError::Ca {
            path: path.display().to_string(),
            why,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate in it".to_owned()));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| WebhookError::Client(e.to_string()))
}

/// A webhook's task: delivers its queue in order, one at a time.
async fn deliver(target: Arc<Target>, client: reqwest::Client, log: Arc<Mutex<DebugLog>>) {
    loop {
        let next = target
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        match next {
            Some(delivery) => attempt(&client, &target.url, &delivery, &log).await,
            None => target.ready.notified().await,
        }
    }
}

/// Posts a delivery until it is accepted or [`RETRY_FOR`] has passed.
async fn attempt(
    client: &reqwest::Client,
    url: &reqwest::Url,
    d: &Delivery,
    log: &Mutex<DebugLog>,
) {
    let started = Instant::now();
    let mut wait = FIRST_RETRY;
    for tries in 1.. {
        let failed = match post(client, url, d).await {
            Ok(status) if status.is_success() => return,
            Ok(status) => format!("answered {status}"),
            Err(e) => e.to_string(),
        };
        if started.elapsed() + wait > RETRY_FOR {
            let line = format!(
                "Webhook {url}: gave up delivery {} after {tries} attempts: {failed}",
                d.id
            );
            say(log, "lmgrd", &line);
            return;
        }
        tokio::time::sleep(jitter(wait)).await;
        wait = (wait * 2).min(MAX_RETRY_WAIT);
    }
}

async fn post(
    client: &reqwest::Client,
    url: &reqwest::Url,
    d: &Delivery,
) -> reqwest::Result<reqwest::StatusCode> {
    let mut request = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, &d.id)
        .header(TIMESTAMP_HEADER, d.timestamp.to_string())
        .body(d.body.clone());
    if let Some(signature) = &d.signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    Ok(request.send().await?.status())
}

/// Between half and all of `wait`: receivers that failed together are
/// not retried together.
fn jitter(wait: Duration) -> Duration {
    let half = wait / 2;
    let extra = u64::from(rand_core::OsRng.next_u32()) % (half.as_millis() as u64 + 1);
    half + Duration::from_millis(extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2: the HMAC-SHA256 of a known key and message.
    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// A receiver that never answers leaves its queue full: the newest
    /// deliveries are kept, the oldest dropped (and logged), and `send`
    /// never waits.
    #[test]
    fn a_full_queue_drops_its_oldest_delivery_and_says_so() {
        let target = Arc::new(Target {
            url: reqwest::Url::parse("https://receiver.invalid/").unwrap(),
            queue: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("debug.log");
        let log = Arc::new(Mutex::new(DebugLog::open(&path).unwrap()));
        let hooks = Webhooks {
            targets: vec![target.clone()],
            secret: Some(Arc::new(b"key".to_vec())),
            server: "lic1".to_owned(),
            log: Some(log),
        };
        let change = |n: i64| Change {
            change: crate::protocol::alerts::AlertChange::Raised,
            alert: crate::protocol::alerts::Alert {
                kind: crate::protocol::alerts::AlertKind::PoolFull,
                feature: format!("F{n}"),
                version: None,
                expiry: None,
                since: n,
                detail: String::new(),
                file: None,
                line: None,
            },
        };
        for n in 0..(QUEUE_LIMIT as i64 + 3) {
            hooks.send(&change(n), n);
        }
        let queue = target.queue.lock().unwrap();
        assert_eq!(queue.len(), QUEUE_LIMIT);
        assert_eq!(queue.front().unwrap().timestamp, 3, "0, 1 and 2 dropped");
        let last = queue.back().unwrap();
        let body: WebhookBody = serde_json::from_slice(&last.body).unwrap();
        assert_eq!(body.alert.feature, format!("F{}", QUEUE_LIMIT + 2));
        assert_eq!(
            last.signature.as_deref(),
            Some(signature(b"key", &last.body).as_str())
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let dropped = text
            .lines()
            .filter(|l| l.contains("deliveries waiting; dropped the oldest"));
        assert_eq!(dropped.count(), 3, "{text}");
    }

    #[test]
    fn retries_wait_between_half_and_all_of_the_backoff() {
        for _ in 0..100 {
            let j = jitter(Duration::from_secs(4));
            assert!(
                j >= Duration::from_secs(2) && j <= Duration::from_secs(4),
                "{j:?}"
            );
        }
    }
}
