//! The settings as an administrator names, reads and changes them: one
//! table ([`ENTRIES`]) gives each setting its name, its values, a line of
//! description and whether it acts today or is only kept for a later
//! feature. Names are the anchor's where it has one (`UDUseDomain`,
//! `UDUserNameCase`, `UDDeviceNameCase`) and snake_case otherwise; a name
//! is found regardless of case, and the anchor's other names
//! (`SupplementalGracePeriod`, `SARenewalCheckOption`, `SLSProxy`) and the
//! snake_case forms of the UD names are accepted too. A set of changes is
//! applied whole or not at all: the first unknown name or bad value
//! refuses it.

use super::types::{DAY, Language, NameCase, RemoteRead, RenewalCheck, Settings, Time};

/// One setting: how it is named, shown, parsed and described.
#[derive(Debug)]
pub struct Entry {
    /// The name it is listed under.
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
    /// What it does, in one line.
    pub description: &'static str,
    /// The values it takes.
    pub values: &'static str,
    /// Whether the server acts on it today (else it is only stored, for a
    /// later feature).
    pub in_effect: bool,
    get: fn(&Settings) -> String,
    set: fn(&mut Settings, &str) -> Result<(), String>,
}

impl Entry {
    /// The setting's value in `settings`, as it is listed and set.
    pub fn value(&self, settings: &Settings) -> String {
        (self.get)(settings)
    }

    fn answers_to(&self, name: &str) -> bool {
        std::iter::once(&self.name)
            .chain(self.aliases)
            .any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// Why a set of changes was refused; nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting `{0}` (`lmsettings -list` lists them)")]
    Unknown(String),
    #[error("{name}: `{value}` is not a valid value: {why}")]
    BadValue {
        name: &'static str,
        value: String,
        why: String,
    },
}

/// The setting called `name` (any accepted spelling, any case).
pub fn find(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.answers_to(name.trim()))
}

impl Settings {
    /// These settings with `changes` (name, value) made, or why not.
    pub fn with_changes(&self, changes: &[(String, String)]) -> Result<Settings, SettingError> {
        let mut next = self.clone();
        for (name, value) in changes {
            let entry = find(name).ok_or_else(|| SettingError::Unknown(name.clone()))?;
            (entry.set)(&mut next, value.trim()).map_err(|why| SettingError::BadValue {
                name: entry.name,
                value: value.clone(),
                why,
            })?;
        }
        Ok(next)
    }
}

/// Every setting, in the order they are listed.
pub static ENTRIES: &[Entry] = &[
    Entry {
        name: "burst_mode",
        aliases: &["SupplementalGracePeriod"],
        description: "License burst mode (supplemental grace period): a pool out of licenses grants more for a while",
        values: "on | off",
        in_effect: true,
        get: |s| on_off(s.burst_enabled),
        set: |s, v| {
            s.burst_enabled = boolean(v)?;
            Ok(())
        },
    },
    Entry {
        name: "UDUseDomain",
        aliases: &["use_domain"],
        description: "1 keeps a user name's domain (MYCO\\jack); 0 counts MYCO\\jack and jack@myco.com as jack",
        values: "0 | 1",
        in_effect: true,
        get: |s| u8::from(s.use_domain).to_string(),
        set: |s, v| {
            s.use_domain = boolean(v)?;
            Ok(())
        },
    },
    Entry {
        name: "UDUserNameCase",
        aliases: &["user_name_case"],
        description: "Whether user names that differ only in case are one user (insensitive) or several",
        values: "insensitive | sensitive",
        in_effect: true,
        get: |s| case_name(s.user_name_case).to_owned(),
        set: |s, v| {
            s.user_name_case = name_case(v)?;
            Ok(())
        },
    },
    Entry {
        name: "UDDeviceNameCase",
        aliases: &["device_name_case"],
        description: "Whether device names that differ only in case are one device (insensitive) or several",
        values: "insensitive | sensitive",
        in_effect: true,
        get: |s| case_name(s.device_name_case).to_owned(),
        set: |s, v| {
            s.device_name_case = name_case(v)?;
            Ok(())
        },
    },
    Entry {
        name: "ud_lease",
        aliases: &["lease"],
        description: "How long a user/device license stays assigned after its last use",
        values: "1d to 3650d (s, m, h or d; a bare number is days)",
        in_effect: true,
        get: |s| show_duration(s.lease),
        set: |s, v| {
            s.lease = duration(v, DAY, (DAY, 3650 * DAY))?;
            Ok(())
        },
    },
    Entry {
        name: "reconnect_window",
        aliases: &[],
        description: "How long a dropped product's checkouts wait for it to reconnect",
        values: "1m to 30d (s, m, h or d; a bare number is minutes)",
        in_effect: true,
        get: |s| show_duration(s.reconnect_window),
        set: |s, v| {
            s.reconnect_window = duration(v, 60, (60, 30 * DAY))?;
            Ok(())
        },
    },
    Entry {
        name: "history_sample_period",
        aliases: &[],
        description: "How often the usage history is sampled",
        values: "1s to 1d (s, m, h or d; a bare number is minutes; 5m to 1h recommended)",
        in_effect: true,
        get: |s| show_duration(s.history_sample),
        set: |s, v| {
            s.history_sample = duration(v, 60, (1, DAY))?;
            Ok(())
        },
    },
    Entry {
        name: "history_retention",
        aliases: &[],
        description: "How long the usage history is kept",
        values: "1d to 3650d (s, m, h or d; a bare number is days)",
        in_effect: true,
        get: |s| show_duration(s.history_retention),
        set: |s, v| {
            s.history_retention = duration(v, DAY, (DAY, 3650 * DAY))?;
            Ok(())
        },
    },
    Entry {
        name: "renewal_check",
        aliases: &["SARenewalCheckOption"],
        description: "What to do when a CSS renewal is available",
        values: "notify | install | manual",
        in_effect: false,
        get: |s| renewal_name(s.renewal_check).to_owned(),
        set: |s, v| {
            s.renewal_check = renewal(v)?;
            Ok(())
        },
    },
    Entry {
        name: "proxy",
        aliases: &["SLSProxy"],
        description: "The proxy for outbound HTTPS calls",
        values: "none, or an http:// or https:// URL",
        in_effect: false,
        get: |s| s.proxy.clone().unwrap_or_else(|| "none".to_owned()),
        set: |s, v| {
            s.proxy = proxy(v)?;
            Ok(())
        },
    },
    Entry {
        name: "console_language",
        aliases: &["language"],
        description: "The web console's language",
        values: "en | fr | de | es | ja | zh-CN",
        in_effect: false,
        get: |s| language_name(s.language).to_owned(),
        set: |s, v| {
            s.language = language(v)?;
            Ok(())
        },
    },
    Entry {
        name: "remote_read",
        aliases: &[],
        description: "What a remote (TCP) client may read: flexnet (lmstat's status, lmdiag), products_only, or with_connections (also who holds user/device licenses)",
        values: "flexnet | products_only | with_connections",
        in_effect: true,
        get: |s| remote_name(s.remote_read).to_owned(),
        set: |s, v| {
            s.remote_read = remote(v)?;
            Ok(())
        },
    },
];

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_owned()
}

fn boolean(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Ok(true),
        "off" | "0" | "false" | "no" => Ok(false),
        _ => Err("expected on or off (1 or 0)".to_owned()),
    }
}

/// One of `names` (regardless of case), as the value it stands for.
fn one_of<T: Copy>(v: &str, names: &[(&str, T)]) -> Result<T, String> {
    names
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(v))
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let all: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
            format!("expected {}", all.join(", "))
        })
}

/// The name of `t` in `names`.
fn name_of<T: PartialEq>(t: T, names: &[(&'static str, T)]) -> &'static str {
    names.iter().find(|(_, x)| *x == t).map_or("", |(n, _)| n)
}

const CASES: &[(&str, NameCase)] = &[
    ("insensitive", NameCase::Insensitive),
    ("sensitive", NameCase::Sensitive),
];
const RENEWALS: &[(&str, RenewalCheck)] = &[
    ("notify", RenewalCheck::Notify),
    ("install", RenewalCheck::Install),
    ("manual", RenewalCheck::Manual),
];
const LANGUAGES: &[(&str, Language)] = &[
    ("en", Language::En),
    ("fr", Language::Fr),
    ("de", Language::De),
    ("es", Language::Es),
    ("ja", Language::Ja),
    ("zh-CN", Language::ZhCn),
];
const REMOTE: &[(&str, RemoteRead)] = &[
    ("flexnet", RemoteRead::Flexnet),
    ("products_only", RemoteRead::ProductsOnly),
    ("with_connections", RemoteRead::WithConnections),
];

fn name_case(v: &str) -> Result<NameCase, String> {
    one_of(v, CASES)
}
fn case_name(c: NameCase) -> &'static str {
    name_of(c, CASES)
}
fn renewal(v: &str) -> Result<RenewalCheck, String> {
    one_of(v, RENEWALS)
}
fn renewal_name(r: RenewalCheck) -> &'static str {
    name_of(r, RENEWALS)
}
fn language(v: &str) -> Result<Language, String> {
    one_of(v, LANGUAGES)
}
fn language_name(l: Language) -> &'static str {
    name_of(l, LANGUAGES)
}
fn remote(v: &str) -> Result<RemoteRead, String> {
    one_of(v, REMOTE)
}
/// The `remote_read` setting's value `r`, as it is written.
pub fn remote_name(r: RemoteRead) -> &'static str {
    name_of(r, REMOTE)
}

/// The units a duration is written in, largest first.
const UNITS: [(char, Time); 4] = [('d', DAY), ('h', 3600), ('m', 60), ('s', 1)];

/// A duration: a whole number with a unit (`s`, `m`, `h`, `d`), or a bare
/// number of `unit` seconds; within `bounds` (inclusive).
fn duration(v: &str, unit: Time, (low, high): (Time, Time)) -> Result<Time, String> {
    let (digits, scale) = match UNITS.iter().find(|(c, _)| v.ends_with(*c)) {
        Some((c, scale)) => (v.trim_end_matches(*c), *scale),
        None => (v, unit),
    };
    let bounds = format!("expected {} to {}", show_duration(low), show_duration(high));
    let n: Time = digits.trim().parse().map_err(|_| bounds.clone())?;
    match n.checked_mul(scale) {
        Some(t) if (low..=high).contains(&t) => Ok(t),
        _ => Err(bounds),
    }
}

/// A duration in its largest whole unit: `90d`, `24h`, `15m`, `90s`.
fn show_duration(t: Time) -> String {
    let (c, scale) = UNITS
        .iter()
        .find(|(_, scale)| t != 0 && t % scale == 0)
        .unwrap_or(&('s', 1));
    format!("{}{c}", t / scale)
}

/// No proxy (`none` or empty), or an `http://` or `https://` URL with a
/// host and no spaces.
fn proxy(v: &str) -> Result<Option<String>, String> {
    if v.is_empty() || v.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let lower = v.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !v.contains(char::is_whitespace) => {
            Ok(Some(v.to_owned()))
        }
        _ => Err("expected none, or a URL such as http://proxy.example.com:3128".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        Settings::default().with_changes(&pairs)
    }

    #[test]
    fn every_default_reads_back_through_its_own_setter() {
        let d = Settings::default();
        for e in ENTRIES {
            let again = change(&[(e.name, &e.value(&d))]).unwrap();
            assert_eq!(again, d, "{}", e.name);
        }
    }

    #[test]
    fn names_are_found_in_any_case_and_by_the_anchors_other_names() {
        let s = change(&[
            ("uduSEDOMAIN", "1"),
            ("SupplementalGracePeriod", "off"),
            ("SLSProxy", "http://proxy:3128"),
            ("user_name_case", "Sensitive"),
            ("console_language", "ZH-cn"),
        ])
        .unwrap();
        assert!(s.use_domain && !s.burst_enabled);
        assert_eq!(s.proxy.as_deref(), Some("http://proxy:3128"));
        assert_eq!(s.user_name_case, NameCase::Sensitive);
        assert_eq!(s.language, Language::ZhCn);
        assert_eq!(find("CONSOLE_LANGUAGE").unwrap().value(&s), "zh-CN");
    }

    #[test]
    fn durations_take_units_or_the_settings_own_and_keep_to_bounds() {
        let s = change(&[("ud_lease", "30"), ("reconnect_window", "2h")]).unwrap();
        assert_eq!((s.lease, s.reconnect_window), (30 * DAY, 7200));
        assert_eq!(find("ud_lease").unwrap().value(&s), "30d");
        assert_eq!(find("history_sample_period").unwrap().value(&s), "15m");
        for bad in ["0", "3651d", "-1", "ten", "5x", ""] {
            assert!(change(&[("ud_lease", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_bad_change_refuses_them_all_and_names_the_setting() {
        let err = change(&[("burst_mode", "off"), ("renewal_check", "sometimes")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "renewal_check: `sometimes` is not a valid value: expected notify, install, manual"
        );
        let err = change(&[("burst_mode", "off"), ("colour", "blue")]).unwrap_err();
        assert_eq!(err, SettingError::Unknown("colour".to_owned()));
        assert!(change(&[("proxy", "ftp://x")]).is_err());
        assert!(change(&[("proxy", "http://")]).is_err());
    }

    #[test]
    fn settings_stored_before_the_new_ones_existed_read_as_their_defaults() {
        let old = r#"{"keep_domain":true,"burst_enabled":false,"lease":86400}"#;
        let s: Settings = serde_json::from_str(old).unwrap();
        assert!(s.use_domain && !s.burst_enabled);
        let d = Settings::default();
        assert_eq!((s.history_sample, s.history_retention), (900, 180 * DAY));
        assert_eq!((s.proxy, s.remote_read), (None, d.remote_read));
    }
}
