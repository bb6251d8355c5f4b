//! API tokens: what scripts present instead of an operating-system identity.
//!
//! An administrator creates one for an account; the server draws the
//! secret, shows it once, and keeps only its SHA-256 digest (hex), so that
//! neither the state database nor a backup of it gives a token away. A
//! token acts with the role its account has when it is used, not when it
//! was made: taking the account's role away takes the token's too. A token
//! may expire; a revoked one is gone for good.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Time;

/// The longest token name.
pub const MAX_NAME: usize = 128;

/// A token as kept: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Its number, named by a revocation.
    pub id: u64,
    /// What the administrator called it (`nightly report`).
    pub name: String,
    /// The account it acts as (`host\user`, as accounts are written).
    pub account: String,
    /// SHA-256 of the whole token as presented, lowercase hex.
    pub digest: String,
    pub created: Time,
    /// When it stops being accepted; never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Time>,
    /// Who created it.
    pub by: String,
}

impl Token {
    /// Whether it is accepted at `now`.
    pub fn is_live(&self, now: Time) -> bool {
        self.expires.is_none_or(|t| now < t)
    }
}

/// The tokens, by number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    by_id: BTreeMap<u64, Token>,
    next: u64,
}

impl Tokens {
    /// The number the next token gets.
    pub fn next_id(&self) -> u64 {
        self.next.max(1)
    }

    pub fn insert(&mut self, token: Token) {
        self.next = self.next_id().max(token.id + 1);
        self.by_id.insert(token.id, token);
    }

    pub fn remove(&mut self, id: u64) -> Option<Token> {
        self.by_id.remove(&id)
    }

    pub fn get(&self, id: u64) -> Option<&Token> {
        self.by_id.get(&id)
    }

    /// Every token, by number.
    pub fn iter(&self) -> impl Iterator<Item = &Token> {
        self.by_id.values()
    }

    /// The live token whose digest is `digest`. Tokens are few (one per
    /// script): a scan costs less than a second index to keep.
    pub fn find(&self, digest: &str, now: Time) -> Option<&Token> {
        self.by_id
            .values()
            .find(|t| t.digest == digest && t.is_live(now))
    }
}

/// Why a token name is refused, if it is.
pub fn bad_name(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("a token needs a name".to_owned());
    }
    if name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Some(format!(
            "a token's name is at most {MAX_NAME} bytes of printable text"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: u64, digest: &str, expires: Option<Time>) -> Token {
        Token {
            id,
            name: format!("t{id}"),
            account: "host\\ann".into(),
            digest: digest.into(),
            created: 0,
            expires,
            by: "host\\root".into(),
        }
    }

    #[test]
    fn found_by_digest_while_live_and_numbered_past_the_highest() {
        let mut t = Tokens::default();
        assert_eq!(t.next_id(), 1);
        t.insert(token(1, "aa", None));
        t.insert(token(7, "bb", Some(100)));
        assert_eq!(t.next_id(), 8);
        assert_eq!(t.find("aa", 1_000_000).map(|t| t.id), Some(1));
        assert_eq!(t.find("bb", 99).map(|t| t.id), Some(7));
        assert!(t.find("bb", 100).is_none(), "expired");
        assert!(t.find("cc", 0).is_none());
        t.remove(7);
        assert_eq!(t.next_id(), 8, "a revoked number is not given again");
    }

    #[test]
    fn names_are_printable_and_bounded() {
        assert!(bad_name("nightly report").is_none());
        assert!(bad_name(" ").is_some());
        assert!(bad_name("a\nb").is_some());
        assert!(bad_name(&"x".repeat(MAX_NAME + 1)).is_some());
    }
}
