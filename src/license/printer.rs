//! Writes a [`LicenseFile`] back as text.
//!
//! The output parses back to the same model. Long lines are wrapped with a
//! trailing `\` and four spaces of indentation, as license files are; a
//! quoted value is only broken at a single space, which reads back the same
//! inside quotes as outside.

use super::date::format_date;
use super::model::*;

/// Lines are wrapped before this width where a break is possible.
const WIDTH: usize = 76;
const INDENT: &str = "    ";

/// Prints a whole file, one item a line.
pub fn print(file: &LicenseFile) -> String {
    let mut out = String::new();
    for item in &file.items {
        out.push_str(&print_item(item));
        out.push('\n');
    }
    out
}

/// Prints one item, wrapped over several physical lines if long.
pub fn print_item(item: &Item) -> String {
    let words = match item {
        Item::Blank => return String::new(),
        Item::Comment { text } => return format!("#{text}"),
        Item::DisplayName(d) => {
            return format!(
                "#CITRIXTERM FEATURE {} {} {} {}|{}",
                d.format, d.feature, d.language, d.product, d.model
            );
        }
        Item::UseServer => return "USE_SERVER".to_owned(),
        Item::Server(s) => server_words(s),
        Item::Vendor(v) => vendor_words(v),
        Item::Feature(f) => feature_words(f),
        Item::Upgrade(u) => upgrade_words(u),
        Item::Package(p) => package_words(p),
    };
    wrap(&words)
}

fn server_words(s: &ServerLine) -> Vec<String> {
    let mut w = vec!["SERVER".to_owned(), positional(&s.host)];
    w.extend(s.host_ids.iter().map(host_id));
    w.extend(s.port.map(|p| p.to_string()));
    push_attributes(&mut w, &s.attributes);
    w
}

fn vendor_words(v: &VendorLine) -> Vec<String> {
    let keyword = match v.keyword {
        VendorKeyword::Vendor => "VENDOR",
        VendorKeyword::Daemon => "DAEMON",
    };
    let mut w = vec![keyword.to_owned(), positional(&v.name)];
    if let Some(path) = &v.daemon_path {
        w.push(positional(path));
    }
    if let Some(opt) = &v.options_path {
        w.push(format!("OPTIONS={}", value(opt)));
    }
    if let Some(port) = v.port {
        w.push(format!("PORT={port}"));
    }
    push_attributes(&mut w, &v.attributes);
    w
}

fn feature_words(f: &FeatureLine) -> Vec<String> {
    let keyword = match f.keyword {
        FeatureKeyword::Feature => "FEATURE",
        FeatureKeyword::Increment => "INCREMENT",
    };
    let mut w = vec![
        keyword.to_owned(),
        positional(&f.feature),
        positional(&f.vendor),
        f.version.to_string(),
        f.expiry.to_string(),
        count(f.count),
    ];
    w.extend(f.license_key.clone());
    push_attributes(&mut w, &f.attributes);
    w
}

fn upgrade_words(u: &UpgradeLine) -> Vec<String> {
    let mut w = vec![
        "UPGRADE".to_owned(),
        positional(&u.feature),
        positional(&u.vendor),
        u.from_version.to_string(),
        u.to_version.to_string(),
        u.expiry.to_string(),
        count(u.count),
    ];
    push_attributes(&mut w, &u.attributes);
    w
}

fn package_words(p: &PackageLine) -> Vec<String> {
    let mut w = vec![
        "PACKAGE".to_owned(),
        positional(&p.package),
        positional(&p.vendor),
    ];
    w.extend(p.version.as_ref().map(ToString::to_string));
    push_attributes(&mut w, &p.attributes);
    w
}

fn count(c: Count) -> String {
    match c {
        Count::Uncounted => "uncounted".to_owned(),
        Count::Licenses(n) => n.to_string(),
    }
}

/// Prints a host ID as a license file writes it.
pub fn host_id(id: &HostId) -> String {
    match id {
        HostId::Ether(e) => e.clone(),
        HostId::Hostname(h) => format!("HOSTNAME={h}"),
        HostId::Internet(i) => format!("INTERNET={i}"),
        HostId::Any => "ANY".to_owned(),
        HostId::Demo => "DEMO".to_owned(),
        HostId::Other(o) => o.clone(),
    }
}

fn push_attributes(words: &mut Vec<String>, attrs: &[Attribute]) {
    words.extend(attrs.iter().map(attribute));
}

/// Prints one attribute: `NAME=value`, or `NAME` for a flag.
pub fn attribute(a: &Attribute) -> String {
    let name = a.name();
    let v = match a {
        Attribute::VendorString(v) => value(&v.text),
        Attribute::DupGroup(s)
        | Attribute::Issuer(s)
        | Attribute::Notice(s)
        | Attribute::SerialNumber(s) => value(s),
        Attribute::Issued(d) | Attribute::Start(d) => format_date(*d),
        Attribute::Sign(s) => value(s),
        Attribute::Supersede(None) => return name.to_owned(),
        Attribute::Supersede(Some(list)) => value(&list.join(" ")),
        Attribute::SupersedeSign(lines) => {
            let items: Vec<String> = lines
                .iter()
                .map(|l| format!("\"{}:{}\"", l.feature, l.sign))
                .collect();
            format!("{{{}}}", items.join(" "))
        }
        Attribute::HostId(ids) => {
            let ids: Vec<String> = ids.iter().map(host_id).collect();
            match ids.as_slice() {
                [one] => one.clone(),
                _ => format!("\"{}\"", ids.join(" ")),
            }
        }
        Attribute::Other(o) => match &o.value {
            None => return o.name.clone(),
            Some(v) if super::parser::is_brace_list(v) => v.clone(),
            Some(v) => value(v),
        },
    };
    format!("{name}={v}")
}

/// A value after `NAME=`: quoted when it could not be read back bare.
///
/// There is no escape: a quoted value cannot hold `"`, and a `\` is
/// literal inside quotes except at the end of a line. The reader refuses the
/// one value neither form can hold (a `"` and a trailing `\`), and control
/// characters, which no value holds.
fn value(v: &str) -> String {
    let needs_quotes = v.is_empty()
        || v.contains(char::is_whitespace)
        || v.starts_with(['"', '{'])
        || v.ends_with('\\');
    if needs_quotes {
        format!("\"{v}\"")
    } else {
        v.to_owned()
    }
}

/// A positional word: quoted also when it would read as `NAME=value` or a
/// number where a path is meant.
fn positional(v: &str) -> String {
    let numeric = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    if super::parser::reads_as_attribute(v) || numeric {
        format!("\"{v}\"")
    } else {
        value(v)
    }
}

/// Joins words with spaces, breaking before a word (or at a single space
/// inside a quoted value) when the line would pass [`WIDTH`].
fn wrap(words: &[String]) -> String {
    let mut pieces: Vec<&str> = Vec::new();
    for w in words {
        if splittable(w) {
            pieces.extend(w.split(' '));
        } else {
            pieces.push(w);
        }
    }
    let mut out = String::new();
    let mut line_len = 0;
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            if line_len + 1 + piece.len() > WIDTH {
                out.push_str(" \\\n");
                out.push_str(INDENT);
                line_len = INDENT.len();
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(piece);
        line_len += piece.len();
    }
    out
}

/// A quoted word may be broken at its spaces when they are single spaces
/// between non-space text: the reader turns `a \` + indent + `b` back into
/// `a b` inside quotes.
fn splittable(word: &str) -> bool {
    let Some(start) = word.find('"') else {
        return false;
    };
    if !word.ends_with('"') || start + 1 >= word.len() {
        return false;
    }
    let inner = &word[start + 1..word.len() - 1];
    !inner.is_empty()
        && !inner.contains(['\t', '\n', '\r', '"'])
        && !inner.contains("  ")
        && !inner.starts_with(char::is_whitespace)
        && !inner.ends_with(char::is_whitespace)
        && !inner.chars().any(|c| c.is_whitespace() && c != ' ')
}
