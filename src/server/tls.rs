//! The HTTPS port's certificate: the one the administrator configures
//! (`--tls-cert` and `--tls-key`, PEM), or a self-signed pair lmgrd makes
//! at its first start and keeps in its data directory (`https.crt`,
//! `https.key`, the key readable by lmgrd's account only). Either way its
//! SHA-256 fingerprint is printed and written to `lmgrd.status.json`, so
//! that a client can pin it (as ssh pins a host key) when no CA vouches for
//! it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

/// The self-signed certificate's file, in the data directory.
pub const CERT_FILE: &str = "https.crt";
/// Its key's file, in the data directory.
pub const KEY_FILE: &str = "https.key";

/// Why the certificate could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{path} holds no certificate")]
    NoCertificate { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    #[error("--tls-cert and --tls-key go together: give both, or neither for a self-signed pair")]
    HalfGiven,
}

/// The certificate the HTTPS port presents.
#[derive(Debug, Clone)]
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the certificate (DER), as `openssl x509 -fingerprint
    /// -sha256` writes it: uppercase hex pairs joined by colons.
    pub fingerprint: String,
    /// The certificate file.
    pub cert: PathBuf,
    /// Whether lmgrd made it (at this start or an earlier one).
    pub self_signed: bool,
}

/// The configured certificate and key, or the self-signed pair of
/// `data_dir` (made now if there is none yet, for `names`: the host's name,
/// `localhost` and the loopback addresses).
pub fn load_or_make(
    given: (Option<&Path>, Option<&Path>),
    data_dir: &Path,
    names: &[String],
) -> Result<Tls, TlsError> {
    let (cert, key, self_signed) = match given {
        (Some(cert), Some(key)) => (cert.to_owned(), key.to_owned(), false),
        (None, None) => {
            let (cert, key) = (data_dir.join(CERT_FILE), data_dir.join(KEY_FILE));
            if !(cert.exists() && key.exists()) {
                make(&cert, &key, names)?;
            }
            (cert, key, true)
        }
        _ => return Err(TlsError::HalfGiven),
    };
    let chain = read_chain(&cert)?;
    let private = PrivateKeyDer::from_pem_file(&key).map_err(|source| TlsError::Read {
        path: key.clone(),
        source,
    })?;
    let fingerprint = fingerprint(&chain[0]);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, private)?;
    Ok(Tls {
        config: Arc::new(config),
        fingerprint,
        cert,
        self_signed,
    })
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read = |source| TlsError::Read {
        path: path.to_owned(),
        source,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

/// SHA-256 of a certificate, `AB:CD:…`.
pub fn fingerprint(cert: &[u8]) -> String {
    let digest = Sha256::digest(cert);
    let pairs: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    pairs.join(":")
}

/// Makes a self-signed pair and writes it: the key first, readable by
/// lmgrd's account only, each file whole or not at all.
fn make(cert: &Path, key: &Path, names: &[String]) -> Result<(), TlsError> {
    let made = rcgen::generate_simple_self_signed(names.to_vec())?;
    write_private(key, made.key_pair.serialize_pem().as_bytes(), 0o600)?;
    write_private(cert, made.cert.pem().as_bytes(), 0o644)
}

/// Writes `bytes` to a temporary file with `mode`, flushes it and renames
/// it into place.
fn write_private(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    let partial = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&partial)
        .map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&partial, path).map_err(failed)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn names() -> Vec<String> {
        vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
    }

    #[test]
    fn a_self_signed_pair_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_make((None, None), dir.path(), &names()).unwrap();
        assert!(first.self_signed);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is lmgrd's alone");
        let again = load_or_make((None, None), dir.path(), &names()).unwrap();
        assert_eq!(again.fingerprint, first.fingerprint, "the same pair, kept");
    }

    #[test]
    fn a_given_pair_is_used_and_a_half_or_bad_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let made = rcgen::generate_simple_self_signed(names()).unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
        let tls = load_or_make((Some(&cert), Some(&key)), dir.path(), &[]).unwrap();
        assert!(!tls.self_signed);
        assert_eq!(tls.fingerprint, fingerprint(made.cert.der()));
        assert!(!dir.path().join(CERT_FILE).exists(), "nothing made");
        let half = load_or_make((Some(&cert), None), dir.path(), &[]);
        assert!(matches!(half, Err(TlsError::HalfGiven)));
        std::fs::write(&cert, "not a certificate").unwrap();
        let bad = load_or_make((Some(&cert), Some(&key)), dir.path(), &[]).unwrap_err();
        assert!(bad.to_string().contains("c.pem"), "{bad}");
    }
}
