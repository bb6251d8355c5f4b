//! The protocol's requests over the web services (`POST /api/v1/request`),
//! for the tools on another host: `-c https://host:port`.
//!
//! Every request presents an API token. The server's certificate is checked
//! before the handshake completes, so the token is sent to no other server:
//! against a CA the administrator names (the chain and the host name), or
//! against a SHA-256 fingerprint — given explicitly, or remembered in a
//! known-servers file at the first connection, as ssh remembers host keys
//! ([`KnownServers`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::protocol::{ErrorBody, Request, Response};

/// Where the web services take the protocol's requests.
pub const REQUEST_PATH: &str = "/api/v1/request";

/// The environment variable that names the known-servers file (the tests
/// use it; by default it is in the user's configuration directory).
pub const KNOWN_SERVERS_ENV: &str = "LMUTIL_KNOWN_SERVERS";

/// Why a request over HTTPS failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("cannot read the CA file {path}: {reason}")]
    Ca { path: PathBuf, reason: String },
    #[error("`{0}` is not a SHA-256 fingerprint (64 hexadecimal digits, colons optional)")]
    BadFingerprint(String),
    #[error(
        "the certificate of {server} is not the one {whence}: {how} {expected}, \
         presented {presented}; nothing was sent"
    )]
    Changed {
        server: String,
        /// `recorded in FILE`, or `pinned with --fingerprint`.
        whence: String,
        /// `recorded` or `pinned`.
        how: &'static str,
        expected: String,
        presented: String,
    },
    #[error("cannot read or write the known-servers file {path}: {source}")]
    KnownServers {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the TLS configuration is refused: {0}")]
    Tls(#[from] rustls::Error),
    #[error("{0}")]
    Transport(String),
    /// The server answered with the protocol's refusal.
    #[error("{}", .0.code)]
    Refused(ErrorBody),
    /// The server refused before the protocol: 401, 429 and the like.
    #[error("HTTP {status}: {reason}")]
    Denied { status: u16, reason: String },
    #[error("unexpected answer from the server: {0}")]
    Unexpected(String),
}

/// How the server's certificate is trusted.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Certificates of these CAs (PEM), with the host name checked.
    Ca(Vec<CertificateDer<'static>>),
    /// Exactly this fingerprint (`AB:CD:…`, as [`normalize_fingerprint`]
    /// writes it).
    Pinned(String),
    /// The fingerprint recorded in this known-servers file; the first
    /// connection records it.
    FirstUse(KnownServers),
}

impl Trust {
    /// The CA certificates of the PEM file `path`.
    pub fn ca_file(path: &Path) -> Result<Trust, HttpsError> {
        let fail = |reason: String| HttpsError::Ca {
            path: path.to_owned(),
            reason,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| fail(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(e.to_string()))?;
        if certs.is_empty() {
            return Err(fail("it holds no certificate".to_owned()));
        }
        Ok(Trust::Ca(certs))
    }
}

/// A SHA-256 fingerprint in lmgrd's form (uppercase hexadecimal pairs
/// joined by colons), from any case, with or without colons.
pub fn normalize_fingerprint(text: &str) -> Result<String, HttpsError> {
    let hex: String = text.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(HttpsError::BadFingerprint(text.to_owned()));
    }
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32).map(|i| &upper[2 * i..2 * i + 2]).collect();
    Ok(pairs.join(":"))
}

/// SHA-256 of a certificate (DER) in lmgrd's form, the one it prints and
/// writes to `lmgrd.status.json`: the server's own (`server::tls`), which
/// the client may not use; the tests compare the two through what lmutil
/// prints.
pub fn fingerprint(cert: &[u8]) -> String {
    use sha2::Digest;
    let pairs: Vec<String> = sha2::Sha256::digest(cert)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    pairs.join(":")
}

/// The fingerprints of the servers met, by `host:port`: one line each,
/// `host:port FINGERPRINT`.
#[derive(Debug, Clone)]
pub struct KnownServers {
    pub path: PathBuf,
}

impl KnownServers {
    /// `LMUTIL_KNOWN_SERVERS`, else `known_servers` in the user's
    /// configuration directory.
    pub fn default_file() -> KnownServers {
        let path = match std::env::var_os(KNOWN_SERVERS_ENV) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => crate::paths::PlatformDirs::current()
                .config
                .join("known_servers"),
        };
        KnownServers { path }
    }

    /// The fingerprint recorded for `server` (`host:port`), if any.
    pub fn lookup(&self, server: &str) -> Result<Option<String>, HttpsError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(self.error(source)),
        };
        let found = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once(char::is_whitespace))
            .find(|(name, _)| name.eq_ignore_ascii_case(server))
            .map(|(_, fp)| fp.trim().to_owned());
        Ok(found)
    }

    /// Records `fingerprint` for `server`, creating the file (and its
    /// directory) when there is none.
    pub fn record(&self, server: &str, fingerprint: &str) -> Result<(), HttpsError> {
        use std::io::Write;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.error(e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| self.error(e))?;
        writeln!(file, "{server} {fingerprint}").map_err(|e| self.error(e))
    }

    fn error(&self, source: std::io::Error) -> HttpsError {
        HttpsError::KnownServers {
            path: self.path.clone(),
            source,
        }
    }
}

/// Checks the server's certificate against one fingerprint, or (with none)
/// accepts it and keeps what it saw for the caller to record. Handshake
/// signatures are verified with the provider's algorithms, so the server
/// must hold the certificate's key.
#[derive(Debug)]
struct PinVerifier {
    expected: Option<String>,
    presented: Arc<Mutex<Option<String>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity);
        let matches = self.expected.as_ref().is_none_or(|e| *e == seen);
        *self.presented.lock().unwrap_or_else(|e| e.into_inner()) = Some(seen);
        if matches {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client of one server's web services.
pub struct HttpsClient {
    client: reqwest::Client,
    url: String,
    /// `host:port`, as the known-servers file names it.
    server: String,
    token: String,
    /// The fingerprint the server presented, once a handshake got that far.
    presented: Arc<Mutex<Option<String>>>,
    /// What the certificate was checked against.
    trust: Trust,
    recorded: Option<String>,
}

impl std::fmt::Debug for HttpsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsClient")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What the first connection to a server met (trust on first use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstUse {
    /// `host:port`.
    pub server: String,
    pub fingerprint: String,
    pub file: PathBuf,
}

impl HttpsClient {
    /// A client of `https://host:port` presenting `token`, its answers
    /// awaited at most `timeout` each. Connects at the first request.
    pub fn new(
        host: &str,
        port: u16,
        token: &str,
        trust: Trust,
        timeout: Duration,
    ) -> Result<HttpsClient, HttpsError> {
        let server = format!("{host}:{port}");
        let recorded = match &trust {
            Trust::FirstUse(known) => known.lookup(&server)?,
            Trust::Pinned(fp) => Some(fp.clone()),
            Trust::Ca(_) => None,
        };
        let presented = Arc::new(Mutex::new(None));
        let config = tls_config(&trust, recorded.clone(), presented.clone())?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| HttpsError::Transport(e.to_string()))?;
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            server.clone()
        };
        Ok(HttpsClient {
            client,
            url: format!("https://{authority}{REQUEST_PATH}"),
            server,
            token: token.to_owned(),
            presented,
            trust,
            recorded,
        })
    }

    /// Sends one request of the protocol; its answer, or the refusal.
    pub async fn request(&self, request: &Request) -> Result<Response, HttpsError> {
        let body =
            serde_json::to_vec(request).map_err(|e| HttpsError::Unexpected(e.to_string()))?;
        let sent = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let answer = match sent {
            Ok(a) => a,
            Err(e) => return Err(self.changed().unwrap_or_else(|| transport(&e))),
        };
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| transport(&e))?;
        match serde_json::from_str::<Response>(&text) {
            Ok(Response::Error(e)) => Err(HttpsError::Refused(e)),
            Ok(r) if status == 200 => Ok(r),
            _ if status == 200 => Err(HttpsError::Unexpected(text)),
            _ => Err(HttpsError::Denied {
                status,
                reason: text.trim().to_owned(),
            }),
        }
    }

    /// After a completed exchange under trust on first use, with nothing
    /// recorded yet: records the fingerprint the server presented, once,
    /// and says what was recorded where.
    pub fn remember(&mut self) -> Result<Option<FirstUse>, HttpsError> {
        let Trust::FirstUse(known) = &self.trust else {
            return Ok(None);
        };
        if self.recorded.is_some() {
            return Ok(None);
        }
        let presented = self.presented.lock().unwrap_or_else(|e| e.into_inner());
        let Some(fingerprint) = presented.clone() else {
            return Ok(None);
        };
        drop(presented);
        known.record(&self.server, &fingerprint)?;
        self.recorded = Some(fingerprint.clone());
        Ok(Some(FirstUse {
            server: self.server.clone(),
            fingerprint,
            file: known.path.clone(),
        }))
    }

    /// The refusal to report when the server presented another certificate
    /// than the one expected.
    fn changed(&self) -> Option<HttpsError> {
        let recorded = self.recorded.as_ref()?;
        let presented = self
            .presented
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        if presented == *recorded {
            return None;
        }
        let (whence, how) = match &self.trust {
            Trust::FirstUse(known) => (format!("recorded in {}", known.path.display()), "recorded"),
            _ => ("pinned with --fingerprint".to_owned(), "pinned"),
        };
        Some(HttpsError::Changed {
            server: self.server.clone(),
            whence,
            how,
            expected: recorded.clone(),
            presented,
        })
    }
}

/// A transport failure in words, with its causes.
fn transport(e: &reqwest::Error) -> HttpsError {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    HttpsError::Transport(text)
}

/// rustls with ring's algorithms, checking the certificate as `trust` says.
fn tls_config(
    trust: &Trust,
    expected: Option<String>,
    presented: Arc<Mutex<Option<String>>>,
) -> Result<rustls::ClientConfig, HttpsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = match trust {
        Trust::Ca(certs) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in certs {
                roots.add(c.clone())?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::Pinned(_) | Trust::FirstUse(_) => {
            let verifier = PinVerifier {
                expected,
                presented,
                provider,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_read_in_any_case_with_or_without_colons() {
        let plain = "ab".repeat(32);
        let want = vec!["AB"; 32].join(":");
        assert_eq!(normalize_fingerprint(&plain).unwrap(), want);
        assert_eq!(normalize_fingerprint(&want.to_lowercase()).unwrap(), want);
        assert!(normalize_fingerprint("AB:CD").is_err());
        assert!(normalize_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn known_servers_are_recorded_and_found_by_host_and_port() {
        let dir = tempfile::tempdir().unwrap();
        let known = KnownServers {
            path: dir.path().join("sub/known_servers"),
        };
        assert_eq!(known.lookup("lic1:8083").unwrap(), None);
        known.record("lic1:8083", "AA:BB").unwrap();
        known.record("lic2:8083", "CC:DD").unwrap();
        assert_eq!(known.lookup("LIC1:8083").unwrap().as_deref(), Some("AA:BB"));
        assert_eq!(known.lookup("lic2:8083").unwrap().as_deref(), Some("CC:DD"));
        assert_eq!(known.lookup("lic1:8084").unwrap(), None);
    }
}
