//! `lmcrypt`: the vendor's tool. Makes a key pair, signs license files in
//! place, and verifies them line by line.

use crate::flexnet::Code;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Arg, ArgAction, ArgGroup};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::render::{self, Format, Report};
use super::{CliResult, Ctx};
use crate::license::load::load_file;
use crate::license::model::{Attribute, Attributes, Count, FeatureLine, HostId, Item};
use crate::license::parser::Diagnostic;
use crate::license::sign::{self, Keyring, bindings, is_signable};
use crate::license::{LoadedFile, printer};

pub fn command() -> clap::Command {
    clap::Command::new("lmcrypt")
        .about("Vendor tool: make a signing key pair, sign license files, verify them")
        .arg(
            Arg::new("genkey")
                .long("genkey")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Write a new key pair: DIR/vendor.key (mode 0600) and DIR/vendor.pub"),
        )
        .arg(
            Arg::new("key")
                .long("key")
                .value_name("PRIVATE_KEY")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Sign every feature line of FILE… in place with this private key"),
        )
        .arg(
            Arg::new("verify")
                .long("verify")
                .action(ArgAction::SetTrue)
                .requires("pub")
                .help("Verify FILE… and report every line's fields and signature"),
        )
        .arg(
            Arg::new("pub")
                .long("pub")
                .value_name("PUBLIC_KEY")
                .value_parser(clap::value_parser!(PathBuf))
                .help("The public key to verify with: a .pub file, or a directory of them"),
        )
        .group(
            ArgGroup::new("mode")
                .args(["genkey", "key", "verify"])
                .required(true),
        )
        .arg(
            Arg::new("files")
                .value_name("FILE")
                .num_args(0..)
                .value_parser(clap::value_parser!(PathBuf))
                .required_unless_present("genkey")
                .help("License files"),
        )
        .arg(render::json_arg())
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let files: Vec<PathBuf> = m
        .get_many::<PathBuf>("files")
        .map(|f| f.cloned().collect())
        .unwrap_or_default();
    if let Some(dir) = m.get_one::<PathBuf>("genkey") {
        return genkey(dir, format, ctx);
    }
    if let Some(key) = m.get_one::<PathBuf>("key") {
        return sign_files(key, &files, format, ctx);
    }
    let public = m.get_one::<PathBuf>("pub").expect("required by --verify");
    verify_files(public, &files, format, ctx)
}

/// What `--genkey` made.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct GenkeyReport {
    /// Mode 0600: keep it secret.
    pub private_key: PathBuf,
    /// Copy it to the license server's keys directory.
    pub public_key: PathBuf,
}

/// A problem in a license file, where it is.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub message: String,
}

impl From<Diagnostic> for Problem {
    fn from(d: Diagnostic) -> Self {
        Problem {
            line: d.line,
            column: d.column,
            message: d.message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// What `lmcrypt --json` writes: the key pair made (`--genkey`), the lines
/// signed, or the verdict of `--verify`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    Genkey(GenkeyReport),
    Verify(VerifyReport),
    Sign(SignReport),
}

impl Report for GenkeyReport {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "private key: {} (keep it secret)",
            self.private_key.display()
        )?;
        writeln!(
            w,
            "public key:  {} (copy it to the license server's keys directory)",
            self.public_key.display()
        )
    }
}

fn genkey(dir: &Path, format: Format, ctx: &mut Ctx<'_>) -> CliResult {
    let (private_key, public_key) =
        sign::generate_key_pair(dir).map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
    let report = GenkeyReport {
        private_key,
        public_key,
    };
    render::emit(&report, format, ctx.invoked, ctx.out)?;
    Ok(exit::SUCCESS)
}

/// What signing did to one file.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct SignedFile {
    pub path: PathBuf,
    /// How many feature lines were signed.
    pub signed: usize,
    /// Lines that do not parse, left unsigned.
    pub errors: Vec<Problem>,
}

/// What signing did.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct SignReport {
    pub files: Vec<SignedFile>,
}

impl Report for SignReport {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        for f in &self.files {
            let lines = if f.signed == 1 { "line" } else { "lines" };
            writeln!(w, "{}: signed {} {lines}", f.path.display(), f.signed)?;
            for e in &f.errors {
                writeln!(w, "{}:{e}: not signed", f.path.display())?;
            }
        }
        Ok(())
    }
}

fn sign_files(key_path: &Path, files: &[PathBuf], format: Format, ctx: &mut Ctx<'_>) -> CliResult {
    let key = sign::read_private_key(key_path)
        .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
    let mut report = SignReport { files: Vec::new() };
    for path in files {
        report.files.push(sign_file(path, &key)?);
    }
    render::emit(&report, format, ctx.invoked, ctx.out)?;
    let errors = report.files.iter().any(|f| !f.errors.is_empty());
    Ok(if errors {
        exit::flexnet(Code::BAD_FILE_SYNTAX)
    } else {
        exit::SUCCESS
    })
}

fn sign_file(path: &Path, key: &ed25519_dalek::SigningKey) -> Result<SignedFile, CliError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        CliError::new(
            exit::FAILURE,
            format!("cannot {what} {}: {e}", path.display()),
        )
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail("read", &e))?;
    let parsed = crate::license::parse(&text);
    let signed_text = sign::sign_in_place(&text, &parsed, key);
    // Check our own work before replacing the file.
    let reparsed = crate::license::parse(&signed_text);
    let keyring = Keyring::new(vec![key.verifying_key()]);
    let binding = bindings(&reparsed.file);
    let all_valid = reparsed
        .file
        .items
        .iter()
        .zip(&binding)
        .filter(|(i, _)| is_signable(i))
        .all(|(i, b)| signature_of(i).is_some_and(|s| keyring.verify(i, b, s)));
    if !all_valid
        || sign::without_signatures(&reparsed.file) != sign::without_signatures(&parsed.file)
    {
        return Err(CliError::new(
            exit::FAILURE,
            format!(
                "signing {} did not give a file that verifies; left unchanged",
                path.display()
            ),
        ));
    }
    write_atomically(path, &signed_text).map_err(|e| fail("write", &e))?;
    Ok(SignedFile {
        path: path.to_owned(),
        signed: parsed.file.items.iter().filter(|i| is_signable(i)).count(),
        errors: parsed.errors.into_iter().map(Into::into).collect(),
    })
}

fn signature_of(item: &Item) -> Option<&str> {
    match item {
        Item::Feature(f) => f.sign(),
        Item::Upgrade(u) => u.sign(),
        Item::Package(p) => p.sign(),
        _ => None,
    }
}

/// Writes next to the file and renames over it, keeping its permissions.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The signature verdict of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    Valid,
    Invalid,
    Missing,
}

/// One feature line as `--verify` reports it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct VerifiedLine {
    pub line: usize,
    /// `INCREMENT`, `FEATURE`, …
    pub keyword: String,
    pub feature: String,
    pub vendor: String,
    /// The version field: a `YYYY.MMDD` Customer Success Services date for Citrix.
    pub css_date: String,
    /// ISO date, or `permanent`.
    pub expiry: String,
    /// A number, or `uncounted`.
    pub count: String,
    pub start: Option<NaiveDate>,
    pub issued: Option<NaiveDate>,
    /// The host IDs that bind the line, as a license file writes them.
    pub binding: Vec<String>,
    pub vendor_string: Vec<(String, String)>,
    pub display_names: Vec<DisplayNameOut>,
    /// Every attribute of the line, in the order written (NOTICE, SN,
    /// ISSUER, DUP_GROUP, SUPERSEDE, SUPERSEDE_SIGN, SIGN, and those this
    /// program gives no meaning to).
    pub attributes: Vec<AttributeOut>,
    pub signature: SignatureStatus,
}

/// One attribute of a line: its name as written and its value.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct AttributeOut {
    pub name: String,
    /// The value without quotes (dates as the file writes them, a list as
    /// its items separated by spaces); `null` for a bare flag (`SUPERSEDE`).
    pub value: Option<String>,
    /// The attribute as a license file writes it, e.g. `NOTICE="Example Corp"`.
    pub text: String,
}

impl AttributeOut {
    fn of(a: &Attribute) -> Self {
        use crate::license::date::format_date;
        let value = match a {
            Attribute::VendorString(v) => Some(v.text.clone()),
            Attribute::DupGroup(s)
            | Attribute::Issuer(s)
            | Attribute::Notice(s)
            | Attribute::SerialNumber(s)
            | Attribute::Sign(s) => Some(s.clone()),
            Attribute::Issued(d) | Attribute::Start(d) => Some(format_date(*d)),
            Attribute::Supersede(list) => list.as_ref().map(|l| l.join(" ")),
            Attribute::SupersedeSign(lines) => Some(
                lines
                    .iter()
                    .map(|l| format!("{}:{}", l.feature, l.sign))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Attribute::HostId(ids) => Some(
                ids.iter()
                    .map(printer::host_id)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Attribute::Other(o) => o.value.clone(),
        };
        AttributeOut {
            name: a.name().to_owned(),
            value,
            text: printer::attribute(a),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct DisplayNameOut {
    pub language: String,
    pub product: String,
    pub model: String,
}

/// One file as `--verify` reports it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct VerifiedFile {
    pub path: PathBuf,
    pub lines: Vec<VerifiedLine>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// What `--verify` reports.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct VerifyReport {
    /// True when every line parsed and every signature is valid.
    pub valid: bool,
    pub files: Vec<VerifiedFile>,
}

impl Report for VerifyReport {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        for f in &self.files {
            writeln!(w, "{}:", f.path.display())?;
            for l in &f.lines {
                write_line(l, w)?;
            }
            for e in &f.errors {
                writeln!(w, "  {}:{e}: error: line skipped", f.path.display())?;
            }
            for e in &f.warnings {
                writeln!(w, "  {}:{e}: warning", f.path.display())?;
            }
        }
        let (lines, bad) = self
            .files
            .iter()
            .flat_map(|f| &f.lines)
            .fold((0, 0), |(n, bad), l| {
                (
                    n + 1,
                    bad + usize::from(l.signature != SignatureStatus::Valid),
                )
            });
        let errors: usize = self.files.iter().map(|f| f.errors.len()).sum();
        writeln!(
            w,
            "{}: {lines} lines, {} valid, {bad} invalid, {errors} parse errors",
            if self.valid { "OK" } else { "INVALID" },
            lines - bad
        )
    }
}

fn write_line(l: &VerifiedLine, w: &mut dyn Write) -> io::Result<()> {
    let verdict = match l.signature {
        SignatureStatus::Valid => "signature valid",
        SignatureStatus::Invalid => "SIGNATURE INVALID",
        SignatureStatus::Missing => "NO SIGNATURE",
    };
    writeln!(
        w,
        "  line {}: {} {} v{} expiry {} count {}: {verdict}",
        l.line, l.keyword, l.feature, l.css_date, l.expiry, l.count
    )?;
    let date = |d: Option<NaiveDate>| d.map_or("-".to_owned(), |d| d.to_string());
    writeln!(
        w,
        "    vendor {}, start {}, issued {}, binding {}",
        l.vendor,
        date(l.start),
        date(l.issued),
        if l.binding.is_empty() {
            "none".to_owned()
        } else {
            l.binding.join(" ")
        }
    )?;
    if !l.vendor_string.is_empty() {
        let fields: Vec<String> = l
            .vendor_string
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(w, "    vendor string: {}", fields.join(" "))?;
    }
    for d in &l.display_names {
        writeln!(
            w,
            "    display name ({}): {} | {}",
            d.language, d.product, d.model
        )?;
    }
    for a in &l.attributes {
        writeln!(w, "    attribute {}", a.text)?;
    }
    Ok(())
}

fn load_keyring(public: &Path) -> Result<Keyring, CliError> {
    let result = if public.is_dir() {
        Keyring::load_dir(public)
    } else {
        sign::read_public_key(public).map(|k| Keyring::new(vec![k]))
    };
    let keyring = result.map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
    if keyring.is_empty() {
        return Err(CliError::new(
            exit::FAILURE,
            format!("no public key (*.pub) in {}", public.display()),
        ));
    }
    Ok(keyring)
}

fn verify_files(public: &Path, files: &[PathBuf], format: Format, ctx: &mut Ctx<'_>) -> CliResult {
    let keyring = load_keyring(public)?;
    let mut report = VerifyReport {
        valid: true,
        files: Vec::new(),
    };
    let mut bad_signature = false;
    for path in files {
        let loaded = load_file(path).map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
        let file = verify_file(&loaded, &keyring);
        bad_signature |= file
            .lines
            .iter()
            .any(|l| l.signature != SignatureStatus::Valid);
        report.valid &= file.errors.is_empty();
        report.files.push(file);
    }
    report.valid &= !bad_signature;
    render::emit(&report, format, ctx.invoked, ctx.out)?;
    Ok(if bad_signature {
        exit::flexnet(Code::BAD_SIGNATURE)
    } else if !report.valid {
        exit::flexnet(Code::BAD_FILE_SYNTAX)
    } else {
        exit::SUCCESS
    })
}

fn verify_file(loaded: &LoadedFile, keyring: &Keyring) -> VerifiedFile {
    let file = &loaded.parsed.file;
    let binding = bindings(file);
    let mut lines = Vec::new();
    for ((item, span), binding) in file.items.iter().zip(&loaded.parsed.spans).zip(&binding) {
        let Item::Feature(f) = item else { continue };
        let signature = match f.sign() {
            None => SignatureStatus::Missing,
            Some(s) if keyring.verify(item, binding, s) => SignatureStatus::Valid,
            Some(_) => SignatureStatus::Invalid,
        };
        lines.push(describe(f, span.line, binding, file, signature));
    }
    VerifiedFile {
        path: loaded.path.clone(),
        lines,
        errors: loaded
            .parsed
            .errors
            .clone()
            .into_iter()
            .map(Into::into)
            .collect(),
        warnings: loaded
            .parsed
            .warnings
            .clone()
            .into_iter()
            .map(Into::into)
            .collect(),
    }
}

fn describe(
    f: &FeatureLine,
    line: usize,
    binding: &[HostId],
    file: &crate::license::LicenseFile,
    signature: SignatureStatus,
) -> VerifiedLine {
    let keyword = Item::Feature(f.clone()).keyword().unwrap_or("FEATURE");
    VerifiedLine {
        line,
        keyword: keyword.to_owned(),
        feature: f.feature.clone(),
        vendor: f.vendor.clone(),
        css_date: f.version.to_string(),
        expiry: f.expiry.iso(),
        count: match f.count {
            Count::Uncounted => "uncounted".to_owned(),
            Count::Licenses(n) => n.to_string(),
        },
        start: f.start(),
        issued: f.issued(),
        binding: binding.iter().map(printer::host_id).collect(),
        vendor_string: f
            .vendor_string()
            .map(|v| {
                v.fields()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        display_names: file
            .display_names()
            .filter(|d| d.feature == f.feature)
            .map(|d| DisplayNameOut {
                language: d.language.clone(),
                product: d.product.clone(),
                model: d.model.clone(),
            })
            .collect(),
        attributes: f.attributes.iter().map(AttributeOut::of).collect(),
        signature,
    }
}
