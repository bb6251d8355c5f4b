//! Drawing API tokens and taking their digests. A token is `lmu_` and 64
//! hex digits (256 random bits from the operating system); the server keeps
//! only its SHA-256 digest. 256 random bits need no slow hash: no table or
//! search can find a preimage.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// What every token starts with: secret scanners can find leaked ones.
pub const PREFIX: &str = "lmu_";

/// A new token.
pub fn draw() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| format!("no random bits for a token: {e}"))?;
    Ok(format!("{PREFIX}{}", hex(&bytes)))
}

/// The digest kept for `token`: SHA-256 of its text, lowercase hex.
pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// `bytes` as lowercase hexadecimal digits.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_their_digest_is_sha256() {
        let (a, b) = (draw().unwrap(), draw().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        // SHA-256 of "abc", from FIPS 180-2's examples.
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
