//! The license-file parser.
//!
//! Tokens are read with nom; each logical line is then read by its keyword.
//! A line that does not parse is reported with its line and column and what
//! was expected, and skipped: the other lines of the file still count.

use std::ops::Range;

use nom::IResult;
use nom::branch::alt;
use nom::bytes::complete::{take_till, take_till1, take_while1};
use nom::character::complete::{char, multispace0, multispace1};
use nom::combinator::{map, opt, recognize};
use nom::multi::many0;
use nom::sequence::{delimited, pair, preceded, terminated, tuple};
use serde::Serialize;

use super::date::{DateError, Expiry, Version, parse_date};
use super::lexer::{LogicalLine, Position, logical_lines};
use super::model::*;

/// Longest logical line accepted, in bytes.
pub const MAX_LINE_LEN: usize = 64 * 1024;
/// Largest license file accepted, in bytes.
pub const MAX_FILE_LEN: usize = 16 * 1024 * 1024;

/// A problem found in a license file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Where an item of the model stands in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSpan {
    /// Byte range of the whole logical line, line end excluded.
    pub source: Range<usize>,
    /// First physical line, 1-based.
    pub line: usize,
    /// Byte range of `SIGN=…` (name and value), if the line has one.
    pub sign: Option<Range<usize>>,
}

/// The result of parsing: the model, and what was wrong with the rest.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub file: LicenseFile,
    /// One span per item of `file`.
    pub spans: Vec<ItemSpan>,
    /// Lines that were skipped, and why.
    pub errors: Vec<Diagnostic>,
    /// Lines that were read after a repair, and which.
    pub warnings: Vec<Diagnostic>,
}

/// Parses license-file bytes. A UTF-8 byte-order mark is skipped; a line
/// that is not UTF-8 is reported and skipped.
pub fn parse_bytes(bytes: &[u8]) -> Parsed {
    if bytes.len() > MAX_FILE_LEN {
        return Parsed {
            errors: vec![Diagnostic {
                line: 1,
                column: 1,
                message: format!(
                    "file is {} bytes, larger than the {MAX_FILE_LEN} bytes a license file may have",
                    bytes.len()
                ),
            }],
            ..Parsed::default()
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(_) => parse_lossy(bytes),
    }
}

/// Parses text whose lines are not all UTF-8: bad lines become empty and are
/// reported, the others are read as usual.
fn parse_lossy(bytes: &[u8]) -> Parsed {
    let mut text = String::with_capacity(bytes.len());
    let mut bad = Vec::new();
    for (n, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(e) => {
                bad.push(Diagnostic {
                    line: n + 1,
                    column: e.valid_up_to() + 1,
                    message: "this line is not UTF-8 text".to_owned(),
                });
                if line.ends_with(b"\n") {
                    text.push('\n');
                }
            }
        }
    }
    let mut parsed = parse(&text);
    // A line replaced by an empty one reads as blank; drop those blanks so
    // the model only holds what the file says.
    parsed.errors.extend(bad);
    parsed.errors.sort_by_key(|d| (d.line, d.column));
    parsed
}

/// Parses license-file text.
pub fn parse(src: &str) -> Parsed {
    let bom = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut parsed = Parsed::default();
    for logical in logical_lines(&src[bom..]) {
        for (offset, message) in &logical.warnings {
            let p = logical.position(*offset);
            parsed.warnings.push(diag(p, message.clone()));
        }
        if let Some((at, c)) = logical.control {
            parsed.errors.push(diag(at, control_message(c)));
            continue;
        }
        match read_line(&logical) {
            Ok((item, sign)) => {
                let shift = |r: Range<usize>| r.start + bom..r.end + bom;
                parsed.file.items.push(item);
                parsed.spans.push(ItemSpan {
                    source: shift(logical.source.clone()),
                    line: logical.first_line(),
                    sign: sign.map(shift),
                });
            }
            Err(e) => parsed
                .errors
                .push(diag(logical.position(e.offset), e.message)),
        }
    }
    parsed
}

/// Why a line holding control character `c` is refused.
fn control_message(c: char) -> String {
    match c {
        '\0' => "a NUL byte: a license file is text (one saved as UTF-16 must be \
                  saved again as UTF-8 or ASCII)"
            .to_owned(),
        '\r' => "a carriage return inside a line: lines end with LF or CRLF".to_owned(),
        _ => format!(
            "control character U+{:04X}: a license file is text, and tab is the only \
             control character a line may hold",
            u32::from(c)
        ),
    }
}

fn diag(p: Position, message: String) -> Diagnostic {
    Diagnostic {
        line: p.line,
        column: p.column,
        message,
    }
}

/// Why a line was not read, at a byte offset of the logical line.
#[derive(Debug)]
struct LineError {
    offset: usize,
    message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, LineError> {
    Err(LineError {
        offset,
        message: message.into(),
    })
}

type LineResult<T> = Result<T, LineError>;

/// Reads one logical line; also returns the source range of its SIGN.
fn read_line(line: &LogicalLine) -> LineResult<(Item, Option<Range<usize>>)> {
    let text = line.text.as_str();
    if line.comment {
        let body = text.trim_start();
        let body = &body[1..];
        return Ok((
            display_name(body).unwrap_or_else(|| Item::Comment {
                text: body.to_owned(),
            }),
            None,
        ));
    }
    if text.trim().is_empty() {
        return Ok((Item::Blank, None));
    }
    if text.len() > MAX_LINE_LEN {
        return err(0, format!("line is longer than {MAX_LINE_LEN} bytes"));
    }
    let tokens = tokenize(text)?;
    let mut r = Reader {
        tokens: &tokens,
        next: 1,
        end: text.len(),
    };
    let keyword = &tokens[0];
    let item = match keyword.bare() {
        Some("SERVER") => Item::Server(r.server()?),
        Some(k @ ("VENDOR" | "DAEMON")) => Item::Vendor(r.vendor(k)?),
        Some("USE_SERVER") => {
            r.finish()?;
            Item::UseServer
        }
        Some(k @ ("FEATURE" | "INCREMENT")) => Item::Feature(r.feature(k)?),
        Some("UPGRADE") => Item::Upgrade(r.upgrade()?),
        Some("PACKAGE") => Item::Package(r.package()?),
        _ => {
            return err(
                keyword.start,
                format!(
                    "unknown line type `{}` (expected SERVER, VENDOR, USE_SERVER, FEATURE, \
                     INCREMENT, UPGRADE, PACKAGE or a # comment)",
                    &text[keyword.start..keyword.end]
                ),
            );
        }
    };
    let sign = tokens
        .iter()
        .find(|t| t.name == Some("SIGN"))
        .map(|t| line.source_offset(t.start)..line.source_offset(t.end - 1) + 1);
    Ok((item, sign))
}

/// `CITRIXTERM FEATURE 2.0 <feature> <lang> <product>|<model>`, after `#`.
fn display_name(body: &str) -> Option<Item> {
    let mut rest = body.strip_prefix("CITRIXTERM")?;
    let mut word = || {
        let trimmed = rest.trim_start();
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (w, after) = trimmed.split_at(end);
        rest = after;
        (!w.is_empty()).then_some(w)
    };
    let (Some("FEATURE"), Some(format), Some(feature), Some(language)) =
        (word(), word(), word(), word())
    else {
        return None;
    };
    let (product, model) = rest.trim().split_once('|')?;
    Some(Item::DisplayName(DisplayName {
        format: format.to_owned(),
        feature: feature.to_owned(),
        language: language.to_owned(),
        product: product.trim().to_owned(),
        model: model.trim().to_owned(),
    }))
}

/// A value as written after `NAME=`, or a positional token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value<'a> {
    Bare(&'a str),
    Quoted(&'a str),
    /// `{ … }`: the whole list as written, braces included, and its items.
    Braced(&'a str, Vec<&'a str>),
}

impl<'a> Value<'a> {
    fn text(&self) -> &'a str {
        match self {
            Value::Bare(s) | Value::Quoted(s) | Value::Braced(s, _) => s,
        }
    }
}

/// One whitespace-separated token of a logical line.
#[derive(Debug, Clone)]
struct Token<'a> {
    start: usize,
    end: usize,
    /// `Some` for `NAME=value`.
    name: Option<&'a str>,
    value: Value<'a>,
}

impl<'a> Token<'a> {
    /// The token if it is a bare word (no `=`, no quotes).
    fn bare(&self) -> Option<&'a str> {
        match (&self.name, &self.value) {
            (None, Value::Bare(s)) => Some(s),
            _ => None,
        }
    }
}

fn quoted(i: &str) -> IResult<&str, &str> {
    delimited(char('"'), take_till(|c| c == '"'), char('"'))(i)
}

fn brace_item(i: &str) -> IResult<&str, &str> {
    alt((
        recognize(quoted),
        take_till1(|c: char| c.is_whitespace() || c == '}' || c == '"'),
    ))(i)
}

fn braced(i: &str) -> IResult<&str, (&str, Vec<&str>)> {
    let (rest, whole) = recognize(delimited(
        char('{'),
        pair(many0(preceded(multispace0, brace_item)), multispace0),
        char('}'),
    ))(i)?;
    let (_, items) = many0(preceded(multispace0, brace_item))(&whole[1..])?;
    Ok((rest, (whole, items)))
}

fn bare(i: &str) -> IResult<&str, &str> {
    take_till1(char::is_whitespace)(i)
}

fn attr_name(i: &str) -> IResult<&str, &str> {
    terminated(
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        char('='),
    )(i)
}

fn value(i: &str) -> IResult<&str, Value<'_>> {
    alt((
        map(quoted, Value::Quoted),
        map(braced, |(inner, items)| Value::Braced(inner, items)),
        map(bare, Value::Bare),
    ))(i)
}

/// A token must end at white space or the end of the line.
fn token_end(i: &str) -> IResult<&str, ()> {
    if i.is_empty() {
        return Ok((i, ()));
    }
    map(multispace1, |_| ())(i).map(|(_, ())| (i, ()))
}

fn token(i: &str) -> IResult<&str, (Option<&str>, Value<'_>)> {
    terminated(
        alt((
            map(tuple((attr_name, opt(value))), |(n, v)| {
                (Some(n), v.unwrap_or(Value::Bare("")))
            }),
            map(quoted, |q| (None, Value::Quoted(q))),
            map(bare, |b| (None, Value::Bare(b))),
        )),
        token_end,
    )(i)
}

/// Splits a logical line into tokens, or says where and why it cannot.
fn tokenize(text: &str) -> LineResult<Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let start = text.len() - rest.len();
        match token(rest) {
            Ok((after, (name, value))) => {
                if let Value::Bare(b) = &value {
                    if b.starts_with('"') || b.starts_with('{') {
                        return err(start, unreadable_token(b));
                    }
                    if b.contains('"') && b.ends_with('\\') {
                        return err(start, QUOTE_AND_BACKSLASH);
                    }
                }
                let end = text.len() - after.len();
                tokens.push(Token {
                    start,
                    end,
                    name,
                    value,
                });
                rest = after.trim_start();
            }
            Err(_) => return err(start, unreadable_token(rest)),
        }
    }
    Ok(tokens)
}

/// A bare word can hold a `"` (after its start) and can end in `\` (from
/// `\\` at the end of a line), but not both: written bare, its last `\`
/// would continue the line; quoted, its `"` would end the value.
const QUOTE_AND_BACKSLASH: &str = "a word with a `\"` in it that ends in `\\` cannot be \
                                   written back (remove the `\"`, or the `\\` at its end)";

/// Explains why a token that starts `rest` cannot be read.
fn unreadable_token(rest: &str) -> String {
    let value = attr_name(rest).map(|(v, _)| v).unwrap_or(rest);
    if value.starts_with('"') {
        "unterminated quoted value (expected a closing `\"`)".to_owned()
    } else if value.starts_with('{') {
        "unterminated `{` list (expected `}` after quoted items)".to_owned()
    } else {
        "expected white space after a quoted value".to_owned()
    }
}

/// Reads the tokens of one line in order.
struct Reader<'t, 'a> {
    tokens: &'t [Token<'a>],
    next: usize,
    /// Offset of the end of the line, for "missing" errors.
    end: usize,
}

const HOST_ID_TYPES: [&str; 12] = [
    "HOSTNAME",
    "INTERNET",
    "ID",
    "COMPOSITE",
    "FLEXID",
    "VM_UUID",
    "USER",
    "DISPLAY",
    "HOSTDOMAIN",
    "ETHER",
    "CONTAINER_ID",
    "INTERNET6",
];

impl<'t, 'a> Reader<'t, 'a> {
    fn peek(&self) -> Option<&'t Token<'a>> {
        self.tokens.get(self.next)
    }

    /// The next positional token (a bare or quoted word), or an error naming
    /// what was expected.
    fn positional(&mut self, what: &str) -> LineResult<(&'a str, usize)> {
        match self.peek() {
            Some(t) if t.name.is_none() => {
                self.next += 1;
                Ok((t.value.text(), t.start))
            }
            Some(t) => err(t.start, format!("expected {what}, found an attribute")),
            None => err(
                self.end,
                format!("expected {what} before the end of the line"),
            ),
        }
    }

    fn version(&mut self, what: &str) -> LineResult<Version> {
        let (text, at) = self.positional(what)?;
        Version::parse(text).or_else(|e| err(at, e.to_string()))
    }

    fn expiry(&mut self) -> LineResult<Expiry> {
        let (text, at) = self.positional("an expiry date (dd-mmm-yyyy or `permanent`)")?;
        Expiry::parse(text).or_else(|e| err(at, expiry_message(e)))
    }

    fn count(&mut self) -> LineResult<Count> {
        let (text, at) = self.positional("a license count or `uncounted`")?;
        if text.eq_ignore_ascii_case("uncounted") {
            return Ok(Count::Uncounted);
        }
        match text.parse::<u32>() {
            Ok(0) => Ok(Count::Uncounted),
            Ok(n) => Ok(Count::Licenses(n)),
            Err(_) => err(
                at,
                format!("expected a license count or `uncounted`, found `{text}`"),
            ),
        }
    }

    /// Fails when tokens are left.
    fn finish(&self) -> LineResult<()> {
        match self.peek() {
            Some(t) => err(t.start, "unexpected text after the end of this line"),
            None => Ok(()),
        }
    }

    /// The remaining tokens as attributes.
    fn attributes(&mut self) -> LineResult<Vec<Attribute>> {
        let mut out: Vec<Attribute> = Vec::new();
        while let Some(t) = self.peek() {
            self.next += 1;
            let attr = attribute(t)?;
            let repeatable = matches!(attr, Attribute::Other(_));
            if !repeatable && out.iter().any(|a| a.name() == attr.name()) {
                return err(t.start, format!("{} is given twice", attr.name()));
            }
            out.push(attr);
        }
        Ok(out)
    }

    fn server(&mut self) -> LineResult<ServerLine> {
        let (host, _) = self.positional("the server's host name")?;
        let mut host_ids = Vec::new();
        while let Some(t) = self.peek() {
            let is_type = t.name.is_some_and(|n| HOST_ID_TYPES.contains(&n));
            // The first bare word is a host ID whatever it looks like; later
            // ones only when they are unmistakably IDs, so that a flag such as
            // PRIMARY_IS_MASTER stays an attribute.
            let bare_id = t.bare().is_some_and(|b| {
                !looks_like_port(b)
                    && (host_ids.is_empty()
                        || matches!(
                            parse_host_id(b),
                            Ok(HostId::Ether(_) | HostId::Any | HostId::Demo)
                        ))
            });
            if !(is_type || bare_id) {
                break;
            }
            self.next += 1;
            host_ids.push(host_id_token(t)?);
        }
        if host_ids.is_empty() {
            return err(
                self.peek().map_or(self.end, |t| t.start),
                "expected a host ID after the host name (HOSTNAME=name, an Ethernet address or ANY)",
            );
        }
        let port = match self.peek().and_then(Token::bare) {
            Some(p) if looks_like_port(p) => {
                let at = self.tokens[self.next].start;
                self.next += 1;
                Some(port(p, at)?)
            }
            _ => None,
        };
        Ok(ServerLine {
            host: host.to_owned(),
            host_ids,
            port,
            attributes: self.attributes()?,
        })
    }

    fn vendor(&mut self, keyword: &str) -> LineResult<VendorLine> {
        let (name, _) = self.positional("the vendor daemon's name")?;
        let mut line = VendorLine {
            keyword: if keyword == "VENDOR" {
                VendorKeyword::Vendor
            } else {
                VendorKeyword::Daemon
            },
            name: name.to_owned(),
            daemon_path: None,
            options_path: None,
            port: None,
            attributes: Vec::new(),
        };
        let mut positionals = 0;
        while let Some(t) = self.peek() {
            self.next += 1;
            let text = t.value.text();
            match t.name.map(str::to_ascii_uppercase).as_deref() {
                Some("PORT") => line.port = Some(port(text, t.start)?),
                Some("OPTIONS") => line.options_path = Some(text.to_owned()),
                Some(_) => line.attributes.push(attribute(t)?),
                None if t
                    .bare()
                    .is_some_and(|b| b.bytes().all(|c| c.is_ascii_digit())) =>
                {
                    line.port = Some(port(text, t.start)?)
                }
                None => {
                    positionals += 1;
                    match positionals {
                        1 => line.daemon_path = Some(text.to_owned()),
                        2 => line.options_path = Some(text.to_owned()),
                        _ => return err(t.start, "expected PORT=n or an attribute"),
                    }
                }
            }
        }
        Ok(line)
    }

    fn feature(&mut self, keyword: &str) -> LineResult<FeatureLine> {
        let (feature, _) = self.positional("a feature name")?;
        let (vendor, _) = self.positional("a vendor name")?;
        let version = self.version("a version (YYYY.MMDD)")?;
        let expiry = self.expiry()?;
        let count = self.count()?;
        let license_key = match self.peek().and_then(Token::bare) {
            Some(k) if is_license_key(k) => {
                self.next += 1;
                Some(k.to_owned())
            }
            _ => None,
        };
        Ok(FeatureLine {
            keyword: if keyword == "FEATURE" {
                FeatureKeyword::Feature
            } else {
                FeatureKeyword::Increment
            },
            feature: feature.to_owned(),
            vendor: vendor.to_owned(),
            version,
            expiry,
            count,
            license_key,
            attributes: self.attributes()?,
        })
    }

    fn upgrade(&mut self) -> LineResult<UpgradeLine> {
        let (feature, _) = self.positional("a feature name")?;
        let (vendor, _) = self.positional("a vendor name")?;
        Ok(UpgradeLine {
            feature: feature.to_owned(),
            vendor: vendor.to_owned(),
            from_version: self.version("the version upgraded from")?,
            to_version: self.version("the version upgraded to")?,
            expiry: self.expiry()?,
            count: self.count()?,
            attributes: self.attributes()?,
        })
    }

    fn package(&mut self) -> LineResult<PackageLine> {
        let (package, _) = self.positional("a package name")?;
        let (vendor, _) = self.positional("a vendor name")?;
        let version = match self.peek() {
            Some(t) if t.bare().is_some() && Version::parse(t.value.text()).is_ok() => {
                self.next += 1;
                Version::parse(t.value.text()).ok()
            }
            _ => None,
        };
        Ok(PackageLine {
            package: package.to_owned(),
            vendor: vendor.to_owned(),
            version,
            attributes: self.attributes()?,
        })
    }
}

fn expiry_message(e: DateError) -> String {
    match e {
        DateError::Shape(s) => {
            format!("expected an expiry date like 07-may-2026 or `permanent`, found `{s}`")
        }
        other => other.to_string(),
    }
}

fn port(text: &str, at: usize) -> LineResult<u16> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => err(
            at,
            format!("expected a TCP port from 1 to 65535, found `{text}`"),
        ),
    }
}

/// A TCP port as written: one to five digits (twelve digits are an
/// Ethernet address).
fn looks_like_port(word: &str) -> bool {
    (1..=5).contains(&word.len()) && word.bytes().all(|c| c.is_ascii_digit())
}

/// A legacy positional license key: 12 or 20 hex digits.
fn is_license_key(word: &str) -> bool {
    (word.len() == 12 || word.len() == 20) && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads one host ID as written: `HOSTNAME=x`, `0a1b2c3d4e5f`, `ANY`, ….
///
/// A host ID is one word with no quote; neither it nor its value (after
/// `TYPE=`) starts with `{`, nor does it end with `\`, so that it prints
/// back bare anywhere, also at the end of a line.
pub fn parse_host_id(word: &str) -> Result<HostId, String> {
    if word.is_empty() || word.contains(char::is_whitespace) || word.contains('"') {
        return Err(format!("`{word}` is not a host ID"));
    }
    let value = word.split_once('=').map_or(word, |(_, v)| v);
    if word.starts_with('{') || value.starts_with('{') || value.ends_with('\\') {
        return Err(format!(
            "`{word}` is not a host ID (a host ID does not start with `{{` or end with `\\`)"
        ));
    }
    if let Some((kind, value)) = word.split_once('=') {
        if value.is_empty() {
            return Err(format!("{kind}= needs a value"));
        }
        return Ok(match kind {
            "HOSTNAME" => HostId::Hostname(value.to_owned()),
            "INTERNET" => HostId::Internet(value.to_owned()),
            "ETHER" => ether(value).unwrap_or_else(|| HostId::Other(word.to_owned())),
            _ => HostId::Other(word.to_owned()),
        });
    }
    Ok(match word {
        "ANY" => HostId::Any,
        "DEMO" => HostId::Demo,
        _ => ether(word).unwrap_or_else(|| HostId::Other(word.to_owned())),
    })
}

/// An Ethernet address written as 12 hex digits, with or without `:`/`-`.
fn ether(word: &str) -> Option<HostId> {
    let hex: String = word.chars().filter(|c| *c != ':' && *c != '-').collect();
    let separators = word.len() - hex.len();
    let ok = hex.len() == 12
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && (separators == 0 || separators == 5);
    ok.then(|| HostId::Ether(hex.to_ascii_lowercase()))
}

fn host_id_token(t: &Token<'_>) -> LineResult<HostId> {
    let word = match t.name {
        Some(n) => format!("{n}={}", t.value.text()),
        None => t.value.text().to_owned(),
    };
    parse_host_id(&word).or_else(|m| err(t.start, m))
}

/// The attributes this reader gives a meaning to.
const KNOWN_ATTRIBUTES: [&str; 11] = [
    "VENDOR_STRING",
    "DUP_GROUP",
    "ISSUED",
    "ISSUER",
    "NOTICE",
    "SN",
    "START",
    "SIGN",
    "SUPERSEDE",
    "SUPERSEDE_SIGN",
    "HOSTID",
];

/// Whether a bare word would be read as `NAME=value` rather than a word.
pub(crate) fn reads_as_attribute(word: &str) -> bool {
    attr_name(word).is_ok()
}

/// Whether `text` is exactly one `{…}` list as the reader takes it.
pub(crate) fn is_brace_list(text: &str) -> bool {
    matches!(braced(text), Ok(("", _)))
}

/// Collapses runs of white space in a signature to single spaces.
pub(crate) fn normalize_sign(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn attribute(t: &Token<'_>) -> LineResult<Attribute> {
    let Some(name) = t.name else {
        return flag(t);
    };
    let text = t.value.text();
    let scalar = !matches!(name, "SUPERSEDE_SIGN") && KNOWN_ATTRIBUTES.contains(&name);
    if scalar && matches!(t.value, Value::Braced(..)) {
        return err(
            t.start + name.len() + 1,
            format!("{name} takes a value, not a {{…}} list (only SUPERSEDE_SIGN does)"),
        );
    }
    let needs_value = |what: &str| -> LineResult<()> {
        if text.is_empty() {
            return err(t.start, format!("{name} needs a value: {name}={what}"));
        }
        Ok(())
    };
    let date = |what: &str| -> LineResult<chrono::NaiveDate> {
        needs_value(what)?;
        parse_date(text).or_else(|e| err(t.start + name.len() + 1, e.to_string()))
    };
    Ok(match name {
        "VENDOR_STRING" => Attribute::VendorString(VendorString {
            text: text.to_owned(),
        }),
        "DUP_GROUP" => {
            needs_value("V")?;
            Attribute::DupGroup(text.to_owned())
        }
        "ISSUED" => Attribute::Issued(date("dd-mmm-yyyy")?),
        "START" => Attribute::Start(date("dd-mmm-yyyy")?),
        "ISSUER" => Attribute::Issuer(text.to_owned()),
        "NOTICE" => Attribute::Notice(text.to_owned()),
        "SN" => Attribute::SerialNumber(text.to_owned()),
        "SIGN" => {
            needs_value("\"XXXX XXXX …\"")?;
            Attribute::Sign(normalize_sign(text))
        }
        "SUPERSEDE" => {
            Attribute::Supersede(Some(text.split_whitespace().map(str::to_owned).collect()))
        }
        "SUPERSEDE_SIGN" => Attribute::SupersedeSign(superseded_lines(t)?),
        "HOSTID" => {
            // `HOSTID=" "` names no ID, as `HOSTID=` does.
            if text.trim().is_empty() {
                return err(t.start, format!("{name} needs a value: {name}=id"));
            }
            let ids = text
                .split_whitespace()
                .map(parse_host_id)
                .collect::<Result<Vec<_>, _>>()
                .or_else(|m| err(t.start, m))?;
            Attribute::HostId(ids)
        }
        _ => Attribute::Other(OtherAttribute {
            name: name.to_owned(),
            value: Some(t.value.text().to_owned()),
        }),
    })
}

/// A bare word in attribute position: a flag such as `SUPERSEDE` or `TS_OK`.
fn flag(t: &Token<'_>) -> LineResult<Attribute> {
    let word = match t.value {
        Value::Bare(w) => w,
        _ => {
            return err(
                t.start,
                "expected an attribute NAME=value, found a quoted value",
            );
        }
    };
    let is_name = word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && word.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if !is_name {
        return err(
            t.start,
            format!("expected an attribute NAME=value, found `{word}`"),
        );
    }
    Ok(match word {
        "SUPERSEDE" => Attribute::Supersede(None),
        _ => Attribute::Other(OtherAttribute {
            name: word.to_owned(),
            value: None,
        }),
    })
}

/// `SUPERSEDE_SIGN={"FEATURE:sign" …}` (a single quoted entry is accepted too).
fn superseded_lines(t: &Token<'_>) -> LineResult<Vec<SupersededLine>> {
    let items: Vec<&str> = match &t.value {
        Value::Braced(_, items) => items.iter().map(|i| i.trim_matches('"')).collect(),
        Value::Quoted(q) => vec![q],
        Value::Bare("") => Vec::new(),
        Value::Bare(b) => vec![b],
    };
    items
        .into_iter()
        .map(|item| match item.split_once(':') {
            Some((feature, sign))
                if !feature.is_empty() && !sign.trim().is_empty() && !item.contains('"') =>
            {
                Ok(SupersededLine {
                    feature: feature.to_owned(),
                    sign: normalize_sign(sign),
                })
            }
            _ => err(
                t.start,
                format!("expected \"FEATURE:signature\" in SUPERSEDE_SIGN, found `{item}`"),
            ),
        })
        .collect()
}
