//! The options file, `CITRIX.opt`: who may use what. Parsed with line and
//! column errors (a bad line is reported and skipped, an unknown keyword is
//! a warning), and applied by the engine.
//!
//! `DEBUGLOG` and `REPORTLOG` are FlexNet keywords this server does not
//! act on: each is a warning at its line saying so and where the same
//! information is (the debug log of `--log`, `udadmin -events`), never
//! silently ignored.

mod parser;

use serde::{Deserialize, Serialize};

pub use parser::{ParsedOptions, parse};

/// The file name in the license directory.
pub const FILE_NAME: &str = "CITRIX.opt";

/// What an option applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetKind {
    User,
    Host,
    Display,
    Internet,
    Project,
    /// A GROUP of users (also written USER_GROUP).
    Group,
    HostGroup,
}

/// `TYPE name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    pub name: String,
}

/// The kinds of debug-log lines NOLOG can suppress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoLog {
    In,
    Out,
    Denied,
    Queued,
    Unsupported,
}

/// One directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "keyword", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Directive {
    Include {
        feature: String,
        target: Target,
    },
    Exclude {
        feature: String,
        target: Target,
    },
    IncludeAll {
        target: Target,
    },
    ExcludeAll {
        target: Target,
    },
    Reserve {
        count: u32,
        feature: String,
        target: Target,
    },
    Max {
        count: u32,
        feature: String,
        target: Target,
    },
    Group {
        name: String,
        members: Vec<String>,
    },
    HostGroup {
        name: String,
        members: Vec<String>,
    },
    GroupCaseInsensitive {
        on: bool,
    },
    /// Reclaim a checkout whose product has been silent this long.
    Timeout {
        feature: String,
        seconds: u64,
    },
    TimeoutAll {
        seconds: u64,
    },
    NoLog {
        what: NoLog,
    },
}

/// A whole options file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Options {
    pub directives: Vec<Directive>,
}

/// Who is asking, as options see it.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    pub user: &'a str,
    pub host: &'a str,
    pub display: &'a str,
    pub internet: &'a str,
}

impl Options {
    fn case_insensitive(&self) -> bool {
        self.directives
            .iter()
            .any(|d| matches!(d, Directive::GroupCaseInsensitive { on: true }))
    }

    /// Every member of the groups (or host groups) named `name`.
    fn members(&self, name: &str, hosts: bool) -> impl Iterator<Item = &str> {
        self.directives
            .iter()
            .flat_map(move |d| match d {
                Directive::Group { name: n, members } if !hosts && n == name => members.as_slice(),
                Directive::HostGroup { name: n, members } if hosts && n == name => {
                    members.as_slice()
                }
                _ => &[],
            })
            .map(String::as_str)
    }

    /// Whether `target` names the requester.
    pub fn matches(&self, target: &Target, r: Requester<'_>) -> bool {
        let same = |a: &str, b: &str| {
            if self.case_insensitive() {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        match target.kind {
            TargetKind::User => target.name == r.user,
            TargetKind::Host => target.name == r.host,
            TargetKind::Display => target.name == r.display,
            TargetKind::Internet => internet_matches(&target.name, r.internet),
            TargetKind::Project => false,
            TargetKind::Group => self.members(&target.name, false).any(|m| same(m, r.user)),
            TargetKind::HostGroup => self.members(&target.name, true).any(|m| m == r.host),
        }
    }

    /// The idle timeout for a feature: TIMEOUT, else TIMEOUTALL.
    pub fn timeout(&self, feature: &str) -> Option<u64> {
        let own = self.directives.iter().find_map(|d| match d {
            Directive::Timeout {
                feature: f,
                seconds,
            } if f == feature => Some(*seconds),
            _ => None,
        });
        own.or_else(|| {
            self.directives.iter().find_map(|d| match d {
                Directive::TimeoutAll { seconds } => Some(*seconds),
                _ => None,
            })
        })
    }

    /// The seconds of every TIMEOUT and TIMEOUTALL: none, nothing times out.
    pub fn timeouts(&self) -> impl Iterator<Item = u64> + '_ {
        self.directives.iter().filter_map(|d| match d {
            Directive::Timeout { seconds, .. } | Directive::TimeoutAll { seconds } => {
                Some(*seconds)
            }
            _ => None,
        })
    }

    /// Whether NOLOG suppresses `what`.
    pub fn no_log(&self, what: NoLog) -> bool {
        self.directives
            .iter()
            .any(|d| matches!(d, Directive::NoLog { what: w } if *w == what))
    }
}

fn internet_matches(pattern: &str, address: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let a: Vec<&str> = address.split('.').collect();
    p.len() == a.len() && p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a)
}
