//! API tokens as the protocol shows them: never their secret, which the
//! server shows once, when the token is created.

use serde::{Deserialize, Serialize};

/// An API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct TokenInfo {
    /// Its number, named by `revoke_token`.
    pub id: u64,
    /// What the administrator called it.
    pub name: String,
    /// The account it acts as (`host\user`): it has that account's role
    /// when it is used.
    pub account: String,
    /// When it was created, in seconds since the Unix epoch.
    pub created: i64,
    /// When it stops being accepted, in seconds since the Unix epoch;
    /// never when absent or null.
    pub expires: Option<i64>,
    /// Who created it (`host\user`).
    pub created_by: String,
}
