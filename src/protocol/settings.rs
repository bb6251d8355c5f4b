//! The server's settings as the `settings` and `set_settings` answers
//! carry them: every setting with its value, its default, the values it
//! takes and what it does (docs/settings.md).

use serde::{Deserialize, Serialize};

/// The body of the `settings` answer: every setting, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct SettingsList {
    pub settings: Vec<Setting>,
}

/// One setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Setting {
    /// Its name, as `set_settings` takes it: the anchor's where it has one
    /// (`UDUseDomain`), snake_case otherwise (`burst_mode`).
    pub name: String,
    /// Other names `set_settings` accepts for it (the anchor's, or the
    /// snake_case form of the anchor's name); any name in any case.
    pub aliases: Vec<String>,
    /// Its value now, written as `set_settings` takes it.
    pub value: String,
    /// Its value on a server where nobody changed it.
    pub default: String,
    /// The values it takes.
    pub values: String,
    /// What it does, in one line.
    pub description: String,
    /// Whether the server acts on it today; false for a setting only
    /// stored for a later feature.
    pub in_effect: bool,
}
