//! The license-file model: what a parsed file says, without layout.
//!
//! A [`LicenseFile`] is an ordered list of [`Item`]s, comments and blank lines
//! included, so that printing it gives a file that parses back to the same
//! model. Attributes keep their order, and attributes this program does not
//! know are kept and printed back, never dropped.

use chrono::NaiveDate;
use serde::Serialize;

use super::date::{Expiry, Version};

/// The built-in start-up license's feature name: every product session
/// holds one.
pub const STARTUP_FEATURE: &str = "CITRIX";
/// The built-in diagnostics license's feature name.
pub const DIAGNOSTICS_FEATURE: &str = "CTXLSDIAG";

/// A whole license file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LicenseFile {
    pub items: Vec<Item>,
}

/// One logical line of a license file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// An empty line.
    Blank,
    /// A `#` comment; the text after the `#`.
    Comment {
        text: String,
    },
    /// `#CITRIXTERM FEATURE 2.0 <feature> <lang> <product>|<model>`.
    DisplayName(DisplayName),
    Server(ServerLine),
    Vendor(VendorLine),
    UseServer,
    Feature(FeatureLine),
    Upgrade(UpgradeLine),
    Package(PackageLine),
}

/// A per-language display name given by a `#CITRIXTERM` comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayName {
    /// The format version written after `FEATURE` (`2.0`).
    pub format: String,
    pub feature: String,
    /// Language code, e.g. `EN`.
    pub language: String,
    pub product: String,
    pub model: String,
}

/// `SERVER host hostid… [port] [attributes]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerLine {
    pub host: String,
    pub host_ids: Vec<HostId>,
    pub port: Option<u16>,
    pub attributes: Vec<Attribute>,
}

/// Whether a vendor line was written `VENDOR` or the older `DAEMON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum VendorKeyword {
    Vendor,
    Daemon,
}

/// `VENDOR name [daemon_path] [[OPTIONS=]options_path] [[PORT=]port]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorLine {
    pub keyword: VendorKeyword,
    pub name: String,
    pub daemon_path: Option<String>,
    pub options_path: Option<String>,
    pub port: Option<u16>,
    pub attributes: Vec<Attribute>,
}

/// Whether a feature line was written `FEATURE` or `INCREMENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FeatureKeyword {
    /// Only the first FEATURE line of a feature counts.
    Feature,
    /// Every INCREMENT line adds its count.
    Increment,
}

/// How many licenses a line grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// `uncounted` (or 0): node-locked, no server count.
    Uncounted,
    Licenses(u32),
}

/// `FEATURE|INCREMENT feature vendor version exp_date count [key] attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureLine {
    pub keyword: FeatureKeyword,
    pub feature: String,
    pub vendor: String,
    /// The Customer Success Services date (`YYYY.MMDD`) for Citrix lines.
    pub version: Version,
    pub expiry: Expiry,
    pub count: Count,
    /// A legacy positional license key (12 or 20 hex digits), if written.
    pub license_key: Option<String>,
    pub attributes: Vec<Attribute>,
}

/// `UPGRADE feature vendor from_version to_version exp_date count attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpgradeLine {
    pub feature: String,
    pub vendor: String,
    pub from_version: Version,
    pub to_version: Version,
    pub expiry: Expiry,
    pub count: Count,
    pub attributes: Vec<Attribute>,
}

/// `PACKAGE package vendor [version] COMPONENTS=… attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageLine {
    pub package: String,
    pub vendor: String,
    pub version: Option<Version>,
    pub attributes: Vec<Attribute>,
}

/// A host identifier, on a SERVER line or in `HOSTID=`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum HostId {
    /// An Ethernet address: 12 lower-case hex digits.
    Ether(String),
    /// `HOSTNAME=name`, matched exactly (case-sensitive).
    Hostname(String),
    /// `INTERNET=a.b.c.d`, `*` wildcards allowed per part.
    Internet(String),
    /// `ANY`: any host.
    Any,
    /// `DEMO`: any host, uncounted lines only.
    Demo,
    /// Any other `TYPE=value` or bare id, kept as written.
    Other(String),
}

/// One attribute of a line, `NAME=value` or a bare `NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "name", content = "value")]
pub enum Attribute {
    #[serde(rename = "VENDOR_STRING")]
    VendorString(VendorString),
    #[serde(rename = "DUP_GROUP")]
    DupGroup(String),
    #[serde(rename = "ISSUED")]
    Issued(NaiveDate),
    #[serde(rename = "ISSUER")]
    Issuer(String),
    #[serde(rename = "NOTICE")]
    Notice(String),
    #[serde(rename = "SN")]
    SerialNumber(String),
    #[serde(rename = "START")]
    Start(NaiveDate),
    /// The signature, whitespace-separated groups as written.
    #[serde(rename = "SIGN")]
    Sign(String),
    /// `SUPERSEDE="F1 F2"`, or a bare `SUPERSEDE` (`None`: this feature only).
    #[serde(rename = "SUPERSEDE")]
    Supersede(Option<Vec<String>>),
    #[serde(rename = "SUPERSEDE_SIGN")]
    SupersedeSign(Vec<SupersededLine>),
    #[serde(rename = "HOSTID")]
    HostId(Vec<HostId>),
    /// Any other attribute, name kept as written.
    #[serde(untagged)]
    Other(OtherAttribute),
}

/// An attribute this program gives no meaning to; printed back as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherAttribute {
    pub name: String,
    pub value: Option<String>,
}

/// One entry of `SUPERSEDE_SIGN={"FEATURE:signature" …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupersededLine {
    pub feature: String,
    pub sign: String,
}

/// `VENDOR_STRING`: Citrix writes `;`-separated `KEY=VALUE` fields.
///
/// The text is kept as written; fields are read from it on demand, so a
/// vendor string in another vendor's format survives untouched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "VendorStringView")]
pub struct VendorString {
    pub text: String,
}

/// How a vendor string serializes: its text and its fields.
#[derive(Serialize)]
struct VendorStringView {
    text: String,
    fields: Vec<(String, String)>,
}

impl From<VendorString> for VendorStringView {
    fn from(v: VendorString) -> Self {
        let fields = v
            .fields()
            .map(|(k, val)| (k.to_owned(), val.to_owned()))
            .collect();
        VendorStringView {
            text: v.text,
            fields,
        }
    }
}

impl VendorString {
    /// The `KEY=VALUE` fields in order; a part without `=` is a key with an
    /// empty value. Empty parts (the leading `;`) are skipped.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.text
            .split(';')
            .filter(|part| !part.is_empty())
            .map(|part| part.split_once('=').unwrap_or((part, "")))
    }

    /// The value of field `key` (exact, upper case), if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// `LT`: the license type (Retail, Eval, NFR, SYS, …).
    pub fn license_type(&self) -> Option<&str> {
        self.get("LT")
    }

    /// `GP`: hours a product may run in caching mode unconnected.
    pub fn grace_hours(&self) -> Option<u32> {
        self.get("GP")?.parse().ok()
    }

    /// `CL`: the editions this line covers.
    pub fn editions(&self) -> Vec<&str> {
        self.get("CL")
            .map(|cl| cl.split(',').filter(|e| !e.is_empty()).collect())
            .unwrap_or_default()
    }
}

impl Attribute {
    /// The attribute's name as written in a license file.
    pub fn name(&self) -> &str {
        match self {
            Attribute::VendorString(_) => "VENDOR_STRING",
            Attribute::DupGroup(_) => "DUP_GROUP",
            Attribute::Issued(_) => "ISSUED",
            Attribute::Issuer(_) => "ISSUER",
            Attribute::Notice(_) => "NOTICE",
            Attribute::SerialNumber(_) => "SN",
            Attribute::Start(_) => "START",
            Attribute::Sign(_) => "SIGN",
            Attribute::Supersede(_) => "SUPERSEDE",
            Attribute::SupersedeSign(_) => "SUPERSEDE_SIGN",
            Attribute::HostId(_) => "HOSTID",
            Attribute::Other(o) => &o.name,
        }
    }
}

/// Typed look-ups shared by every line that carries attributes.
pub trait Attributes {
    fn attributes(&self) -> &[Attribute];

    fn vendor_string(&self) -> Option<&VendorString> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::VendorString(v) => Some(v),
            _ => None,
        })
    }

    fn sign(&self) -> Option<&str> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::Sign(s) => Some(s.as_str()),
            _ => None,
        })
    }

    fn issued(&self) -> Option<NaiveDate> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::Issued(d) => Some(*d),
            _ => None,
        })
    }

    fn start(&self) -> Option<NaiveDate> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::Start(d) => Some(*d),
            _ => None,
        })
    }

    fn dup_group(&self) -> Option<&str> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::DupGroup(d) => Some(d.as_str()),
            _ => None,
        })
    }

    fn host_ids(&self) -> Option<&[HostId]> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::HostId(ids) => Some(ids.as_slice()),
            _ => None,
        })
    }

    fn supersede(&self) -> Option<&Option<Vec<String>>> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::Supersede(s) => Some(s),
            _ => None,
        })
    }

    fn supersede_sign(&self) -> &[SupersededLine] {
        self.attributes()
            .iter()
            .find_map(|a| match a {
                Attribute::SupersedeSign(s) => Some(s.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// A string-valued attribute by name (NOTICE, ISSUER, SN or any other).
    fn text(&self, name: &str) -> Option<&str> {
        self.attributes().iter().find_map(|a| match a {
            Attribute::Issuer(s) | Attribute::Notice(s) | Attribute::SerialNumber(s)
                if a.name() == name =>
            {
                Some(s.as_str())
            }
            Attribute::Other(o) if o.name == name => o.value.as_deref(),
            _ => None,
        })
    }
}

macro_rules! impl_attributes {
    ($($t:ty),*) => {$(
        impl Attributes for $t {
            fn attributes(&self) -> &[Attribute] {
                &self.attributes
            }
        }
    )*};
}
impl_attributes!(
    FeatureLine,
    UpgradeLine,
    PackageLine,
    ServerLine,
    VendorLine
);

impl Item {
    /// The keyword that starts this line in a file, if it is not a comment.
    pub fn keyword(&self) -> Option<&'static str> {
        Some(match self {
            Item::Blank | Item::Comment { .. } | Item::DisplayName(_) => return None,
            Item::Server(_) => "SERVER",
            Item::Vendor(v) => match v.keyword {
                VendorKeyword::Vendor => "VENDOR",
                VendorKeyword::Daemon => "DAEMON",
            },
            Item::UseServer => "USE_SERVER",
            Item::Feature(f) => match f.keyword {
                FeatureKeyword::Feature => "FEATURE",
                FeatureKeyword::Increment => "INCREMENT",
            },
            Item::Upgrade(_) => "UPGRADE",
            Item::Package(_) => "PACKAGE",
        })
    }
}

impl LicenseFile {
    /// Every FEATURE and INCREMENT line, in file order.
    pub fn features(&self) -> impl Iterator<Item = &FeatureLine> {
        self.items.iter().filter_map(|i| match i {
            Item::Feature(f) => Some(f),
            _ => None,
        })
    }

    /// Display names from `#CITRIXTERM` comments.
    pub fn display_names(&self) -> impl Iterator<Item = &DisplayName> {
        self.items.iter().filter_map(|i| match i {
            Item::DisplayName(d) => Some(d),
            _ => None,
        })
    }
}
