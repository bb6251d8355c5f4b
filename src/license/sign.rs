//! Signatures: Ed25519 over a canonical form of a line's significant fields.
//!
//! The canonical form names the line's keyword, feature, vendor, versions,
//! expiry, count, legacy key, the host IDs of the SERVER lines that bind it,
//! and every attribute but `SIGN`, sorted. Comments, layout, line wrapping,
//! quoting and attribute order are not part of it, so re-wrapping a file
//! keeps it valid; changing any field breaks it.
//!
//! A signature is printed as 32 groups of four upper-case hex digits.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::model::*;
use super::parser::{ItemSpan, Parsed};
use super::printer;

/// The file name of the vendor's private key in a key directory.
pub const PRIVATE_KEY_FILE: &str = "vendor.key";
/// The file name of the vendor's public key in a key directory.
pub const PUBLIC_KEY_FILE: &str = "vendor.pub";

const DOMAIN: &str = "lmutil license line signature v1";

/// Errors reading or writing keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write key file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path} is not a key file (expected 64 hex digits on a line of its own)")]
    Format { path: PathBuf },
    #[error("{path} exists already; remove it first to make a new key pair")]
    Exists { path: PathBuf },
}

/// The significant fields of a signable line, one per text line.
pub fn canonical(item: &Item, binding: &[HostId]) -> Option<String> {
    let mut out = format!("{DOMAIN}\n");
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(out, "{name} {value}");
    };
    let attributes = match item {
        Item::Feature(f) => {
            field("keyword", item.keyword().unwrap_or_default());
            field("feature", &f.feature);
            field("vendor", &f.vendor);
            field("version", f.version.as_str());
            field("expiry", &f.expiry.iso());
            field("count", &count(f.count));
            if let Some(key) = &f.license_key {
                field("key", key);
            }
            &f.attributes
        }
        Item::Upgrade(u) => {
            field("keyword", "UPGRADE");
            field("feature", &u.feature);
            field("vendor", &u.vendor);
            field("from", u.from_version.as_str());
            field("to", u.to_version.as_str());
            field("expiry", &u.expiry.iso());
            field("count", &count(u.count));
            &u.attributes
        }
        Item::Package(p) => {
            field("keyword", "PACKAGE");
            field("package", &p.package);
            field("vendor", &p.vendor);
            if let Some(v) = &p.version {
                field("version", v.as_str());
            }
            &p.attributes
        }
        _ => return None,
    };
    let mut ids: Vec<String> = binding.iter().map(printer::host_id).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        field("binding", &id);
    }
    let mut attrs: Vec<String> = attributes
        .iter()
        .filter(|a| !matches!(a, Attribute::Sign(_)))
        .map(printer::attribute)
        .collect();
    attrs.sort();
    for a in attrs {
        field("attribute", &a);
    }
    Some(out)
}

fn count(c: Count) -> String {
    match c {
        Count::Uncounted => "uncounted".to_owned(),
        Count::Licenses(n) => n.to_string(),
    }
}

/// Formats a signature as groups of four upper-case hex digits.
pub fn format_signature(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A signature as written, reduced to its hex digits in upper case, so that
/// two spellings of one signature compare equal.
pub fn signature_digits(sign: &str) -> String {
    sign.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn parse_signature(sign: &str) -> Option<Signature> {
    let digits = signature_digits(sign);
    let bytes = decode_hex(&digits)?;
    let bytes: [u8; 64] = bytes.try_into().ok()?;
    Some(Signature::from_bytes(&bytes))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The public keys a server trusts.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<VerifyingKey>,
}

impl Keyring {
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        Keyring { keys }
    }

    /// Loads every `*.pub` file of a directory. A missing directory is an
    /// empty keyring; a file that is not a key is an error naming it.
    pub fn load_dir(dir: &Path) -> Result<Self, KeyError> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Keyring::default()),
            Err(source) => {
                return Err(KeyError::Read {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "pub"))
            .collect();
        paths.sort();
        let keys = paths
            .iter()
            .map(|p| read_public_key(p))
            .collect::<Result<_, _>>()?;
        Ok(Keyring { keys })
    }

    /// Loads every `*.pub` file of a directory that holds a key, and names
    /// the others with why they are not keys: a server reports a bad file
    /// and keeps the good keys. A directory that cannot be read (missing,
    /// unreadable) is an empty keyring and the reason.
    pub fn load_dir_skipping(dir: &Path) -> (Self, Vec<(PathBuf, String)>) {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                let reason = format!("cannot read the keys directory: {e}");
                return (Keyring::default(), vec![(dir.to_owned(), reason)]);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "pub"))
            .collect();
        paths.sort();
        let mut keys = Vec::new();
        let mut bad = Vec::new();
        for path in paths {
            match read_public_key(&path) {
                Ok(key) => keys.push(key),
                Err(e) => bad.push((path, e.to_string())),
            }
        }
        (Keyring { keys }, bad)
    }

    /// How many keys it trusts.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `sign` is a valid signature of `item` bound to `binding` by
    /// any trusted key.
    pub fn verify(&self, item: &Item, binding: &[HostId], sign: &str) -> bool {
        let (Some(message), Some(signature)) = (canonical(item, binding), parse_signature(sign))
        else {
            return false;
        };
        self.keys
            .iter()
            .any(|k| k.verify(message.as_bytes(), &signature).is_ok())
    }
}

/// Reads the first non-comment line of a key file as 32 bytes of hex.
fn read_key_bytes(path: &Path) -> Result<[u8; 32], KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_owned(),
        source,
    })?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(decode_hex)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| KeyError::Format {
            path: path.to_owned(),
        })
}

pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let bytes = read_key_bytes(path)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Format {
        path: path.to_owned(),
    })
}

pub fn read_private_key(path: &Path) -> Result<SigningKey, KeyError> {
    read_key_bytes(path).map(|b| SigningKey::from_bytes(&b))
}

/// Makes a new key pair in `dir`: `vendor.key` (mode 0600) and `vendor.pub`.
/// Refuses to overwrite an existing key.
pub fn generate_key_pair(dir: &Path) -> Result<(PathBuf, PathBuf), KeyError> {
    let private = dir.join(PRIVATE_KEY_FILE);
    let public = dir.join(PUBLIC_KEY_FILE);
    for path in [&private, &public] {
        if path.exists() {
            return Err(KeyError::Exists { path: path.clone() });
        }
    }
    fs::create_dir_all(dir).map_err(|source| KeyError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let private_text = format!(
        "# lmutil vendor signing key (Ed25519). Keep it secret: only lmcrypt needs it.\n{}\n",
        encode_hex(&key.to_bytes())
    );
    write_private(&private, &private_text)?;
    let public_text = format!(
        "# lmutil vendor public key (Ed25519). Copy it to the server's keys directory.\n{}\n",
        encode_hex(key.verifying_key().as_bytes())
    );
    fs::write(&public, public_text).map_err(|source| KeyError::Write {
        path: public.clone(),
        source,
    })?;
    Ok((private, public))
}

/// Creates the private key file readable by its owner only, from the start.
fn write_private(path: &Path, text: &str) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| KeyError::Write {
        path: path.to_owned(),
        source,
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyError::Write {
            path: path.to_owned(),
            source,
        })
}

/// The SERVER host IDs that bind each item of a file.
///
/// A feature line is bound by the nearest group of SERVER lines above it
/// (consecutive SERVER lines, as in a three-server set, form one group), or
/// by the first group of the file when none stands above it. A file that
/// joins several licenses, each under its own SERVER line, thus binds each
/// line to its own host.
pub fn bindings(file: &LicenseFile) -> Vec<Vec<HostId>> {
    let mut groups: Vec<(usize, Vec<HostId>)> = Vec::new();
    let mut in_group = false;
    for (i, item) in file.items.iter().enumerate() {
        match item {
            Item::Server(s) => {
                if !in_group {
                    groups.push((i, Vec::new()));
                    in_group = true;
                }
                if let Some((_, ids)) = groups.last_mut() {
                    ids.extend(s.host_ids.iter().cloned());
                }
            }
            Item::Blank | Item::Comment { .. } | Item::DisplayName(_) => {}
            _ => in_group = false,
        }
    }
    (0..file.items.len())
        .map(|i| {
            groups
                .iter()
                .rev()
                .find(|(start, _)| *start < i)
                .or(groups.first())
                .map(|(_, ids)| ids.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// The file with every `SIGN=` removed: what signing must not change.
pub fn without_signatures(file: &LicenseFile) -> LicenseFile {
    let mut file = file.clone();
    for item in &mut file.items {
        let attrs = match item {
            Item::Feature(f) => &mut f.attributes,
            Item::Upgrade(u) => &mut u.attributes,
            Item::Package(p) => &mut p.attributes,
            _ => continue,
        };
        attrs.retain(|a| !matches!(a, Attribute::Sign(_)));
    }
    file
}

/// Whether an item is one that carries a signature.
pub fn is_signable(item: &Item) -> bool {
    matches!(item, Item::Feature(_) | Item::Upgrade(_) | Item::Package(_))
}

/// Signs every signable line of a parsed file and returns the new text: the
/// `SIGN=` of each line is replaced, or added at its end, and everything
/// else (comments, layout, other lines) is kept byte for byte.
pub fn sign_in_place(source: &str, parsed: &Parsed, key: &SigningKey) -> String {
    let binding = bindings(&parsed.file);
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for ((item, span), binding) in parsed.file.items.iter().zip(&parsed.spans).zip(&binding) {
        let Some(message) = canonical(item, binding) else {
            continue;
        };
        let signature = format_signature(&key.sign(message.as_bytes()).to_bytes());
        edits.push(sign_edit(source, span, &signature));
    }
    let mut out = source.to_owned();
    for (range, text) in edits.into_iter().rev() {
        out.replace_range(range, &text);
    }
    out
}

/// Eight groups a physical line, continued inside the quotes.
fn sign_text(signature: &str) -> String {
    let groups: Vec<&str> = signature.split(' ').collect();
    let lines: Vec<String> = groups.chunks(8).map(|c| c.join(" ")).collect();
    format!("SIGN=\"{}\"", lines.join(" \\\n    "))
}

fn sign_edit(source: &str, span: &ItemSpan, signature: &str) -> (std::ops::Range<usize>, String) {
    match &span.sign {
        Some(range) => (range.clone(), sign_text(signature)),
        None => {
            let line = &source[span.source.clone()];
            let end = span.source.start + line.trim_end().len();
            (end..end, format!(" \\\n    {}", sign_text(signature)))
        }
    }
}
