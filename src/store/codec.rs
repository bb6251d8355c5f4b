//! A compact binary form for the two events that make up nearly the whole
//! log: grants and checkins. Every other event is stored as JSON text, as
//! all events were before schema version 2; a row's SQLite type tells the
//! two apart (BLOB: this form; TEXT: JSON), so older rows read back as
//! they were written.
//!
//! The form: one tag byte, then the fields in declaration order. Integers
//! are LEB128 (signed ones zigzagged first), strings a length then UTF-8
//! bytes, an option a 0/1 byte before its value, an expiry 0 (permanent)
//! or 1 then the day number from the common era. A new layout takes a new
//! tag; a tag is never reused.
//!
//! Decoding checks everything: a truncated, overlong or invalid row is an
//! error naming what was wrong, never a panic, and no length is trusted
//! beyond the bytes actually present.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::engine::request::GrantEvent;
use crate::engine::{Event, LicenseModel};
use crate::license::pool::{PoolKey, VersionKey};
use crate::license::{Expiry, Version};

const GRANTED: u8 = 1;
const CHECKED_IN: u8 = 2;

/// The license models, by their one-byte code (the index).
const MODELS: [LicenseModel; 9] = [
    LicenseModel::StartUp,
    LicenseModel::Diagnostics,
    LicenseModel::Concurrent,
    LicenseModel::UserDevice,
    LicenseModel::PerUser,
    LicenseModel::PerDevice,
    LicenseModel::PerSocket,
    LicenseModel::NamedUser,
    LicenseModel::Server,
];

/// Why a stored row could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(&'static str);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for DecodeError {}

/// The binary form of `event`, when it has one (grants and checkins).
pub fn encode(event: &Event, out: &mut Vec<u8>) -> bool {
    match event {
        Event::Granted(g) => {
            out.push(GRANTED);
            put_u64(out, g.handle);
            put_u64(out, g.session);
            put_str(out, &g.feature);
            put_str(out, g.version.as_str());
            put_str(out, &g.user);
            put_str(out, &g.device);
            put_str(out, &g.sent.0);
            put_str(out, &g.sent.1);
            put_str(out, &g.host);
            put_str(out, &g.display);
            put_u64(out, u64::from(g.count));
            let model = MODELS.iter().position(|m| *m == g.model);
            out.push(model.expect("every model has a code") as u8);
            put_str(out, &g.pool.feature);
            put_str(out, g.pool.version.0.as_str());
            match g.pool.expiry {
                Expiry::Permanent => out.push(0),
                Expiry::On(day) => {
                    out.push(1);
                    put_i64(out, i64::from(day.num_days_from_ce()));
                }
            }
            put_opt(out, g.pool.license_type.as_deref());
            put_opt(out, g.pool.vendor_string.as_deref());
            out.push(u8::from(g.burst));
            put_i64(out, g.at);
            true
        }
        Event::CheckedIn { handle, at } => {
            out.push(CHECKED_IN);
            put_u64(out, *handle);
            put_i64(out, *at);
            true
        }
        _ => false,
    }
}

/// Reads rows back, sharing the versions it has already seen (most grants
/// carry the same one or two), so a long replay parses and allocates each
/// version once.
#[derive(Default)]
pub struct Decoder {
    versions: Vec<Version>,
}

/// Versions remembered by a [`Decoder`]: a handful is plenty.
const VERSIONS_KEPT: usize = 8;

impl Decoder {
    /// The event in `bytes`, written by [`encode`].
    pub fn decode(&mut self, bytes: &[u8]) -> Result<Event, DecodeError> {
        let mut r = Reader(bytes);
        let event = match r.u8()? {
            GRANTED => {
                let handle = r.u64()?;
                let session = r.u64()?;
                let feature = r.string()?;
                let version = self.version(r.str()?)?;
                let user = r.string()?;
                let device = r.string()?;
                let sent = (r.string()?, r.string()?);
                let host = r.string()?;
                let display = r.string()?;
                let count = u32::try_from(r.u64()?).map_err(|_| DecodeError("count too large"))?;
                let model = *MODELS
                    .get(usize::from(r.u8()?))
                    .ok_or(DecodeError("unknown license model"))?;
                let pool_feature = r.string()?;
                let pool_version = VersionKey(self.version(r.str()?)?);
                let expiry = match r.u8()? {
                    0 => Expiry::Permanent,
                    1 => {
                        let days = i32::try_from(r.i64()?)
                            .ok()
                            .and_then(NaiveDate::from_num_days_from_ce_opt)
                            .ok_or(DecodeError("expiry day out of range"))?;
                        Expiry::On(days)
                    }
                    _ => return Err(DecodeError("unknown expiry form")),
                };
                let license_type = r.opt()?;
                let vendor_string = r.opt()?;
                let burst = match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(DecodeError("burst flag is neither 0 nor 1")),
                };
                let at = r.i64()?;
                Event::Granted(Box::new(GrantEvent {
                    handle,
                    session,
                    feature,
                    version,
                    user,
                    device,
                    sent,
                    host,
                    display,
                    count,
                    model,
                    pool: PoolKey {
                        feature: pool_feature,
                        version: pool_version,
                        expiry,
                        license_type,
                        vendor_string,
                    },
                    burst,
                    at,
                }))
            }
            CHECKED_IN => Event::CheckedIn {
                handle: r.u64()?,
                at: r.i64()?,
            },
            _ => return Err(DecodeError("unknown event tag")),
        };
        if !r.0.is_empty() {
            return Err(DecodeError("bytes after the event"));
        }
        Ok(event)
    }

    fn version(&mut self, text: &str) -> Result<Version, DecodeError> {
        if let Some(v) = self.versions.iter().find(|v| v.as_str() == text) {
            return Ok(v.clone());
        }
        let v = Version::parse(text).map_err(|_| DecodeError("invalid version"))?;
        if self.versions.len() == VERSIONS_KEPT {
            self.versions.remove(0);
        }
        self.versions.push(v.clone());
        Ok(v)
    }
}

fn put_u64(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_i64(out: &mut Vec<u8>, n: i64) {
    put_u64(out, ((n << 1) ^ (n >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

/// The bytes not yet read.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&b, rest) = self.0.split_first().ok_or(DecodeError("truncated"))?;
        self.0 = rest;
        Ok(b)
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(DecodeError("integer too large"));
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(DecodeError("integer too long"))
    }

    fn i64(&mut self) -> Result<i64, DecodeError> {
        let z = self.u64()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let len = self.u64()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.0.len())
            .ok_or(DecodeError("truncated string"))?;
        let (bytes, rest) = self.0.split_at(len);
        self.0 = rest;
        std::str::from_utf8(bytes).map_err(|_| DecodeError("string is not UTF-8"))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        self.str().map(str::to_owned)
    }

    fn opt(&mut self) -> Result<Option<String>, DecodeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            _ => Err(DecodeError("option flag is neither 0 nor 1")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn grant() -> impl Strategy<Value = Event> {
        let names = "\\PC{0,12}";
        let version = "[0-9]{1,10}(\\.[0-9]{1,10})?";
        (
            (any::<u64>(), any::<u64>(), names, version, names, names),
            (names, names, names, names, any::<u32>(), 0..MODELS.len()),
            (names, version, prop::option::of(-1_000_000i32..4_000_000)),
            (
                prop::option::of(names),
                prop::option::of(names),
                any::<bool>(),
                any::<i64>(),
            ),
        )
            .prop_map(|(a, b, c, d)| {
                let (handle, session, feature, version, user, device) = a;
                let (sent_user, sent_device, host, display, count, model) = b;
                let (pool_feature, pool_version, expiry) = c;
                let (license_type, vendor_string, burst, at) = d;
                Event::Granted(Box::new(GrantEvent {
                    handle,
                    session,
                    feature,
                    version: Version::parse(&version).unwrap(),
                    user,
                    device,
                    sent: (sent_user, sent_device),
                    host,
                    display,
                    count,
                    model: MODELS[model],
                    pool: PoolKey {
                        feature: pool_feature,
                        version: VersionKey(Version::parse(&pool_version).unwrap()),
                        expiry: expiry
                            .and_then(NaiveDate::from_num_days_from_ce_opt)
                            .map_or(Expiry::Permanent, Expiry::On),
                        license_type,
                        vendor_string,
                    },
                    burst,
                    at,
                }))
            })
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            grant(),
            (any::<u64>(), any::<i64>()).prop_map(|(handle, at)| Event::CheckedIn { handle, at }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// What is encoded reads back equal, through a decoder that has
        /// already seen other rows.
        #[test]
        fn events_read_back_as_written(events in prop::collection::vec(event(), 1..20)) {
            let mut decoder = Decoder::default();
            for e in &events {
                let mut bytes = Vec::new();
                prop_assert!(encode(e, &mut bytes));
                prop_assert_eq!(&decoder.decode(&bytes).unwrap(), e);
            }
        }

        /// Every cut of a row and every changed byte is an error or another
        /// valid event, never a panic.
        #[test]
        fn damaged_rows_are_errors_not_panics(e in event(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut bytes = Vec::new();
            encode(&e, &mut bytes);
            for cut in 0..bytes.len() {
                prop_assert!(Decoder::default().decode(&bytes[..cut]).is_err());
            }
            let i = at.index(bytes.len());
            bytes[i] = byte;
            let _ = Decoder::default().decode(&bytes);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = Decoder::default().decode(&bytes);
        }
    }

    #[test]
    fn other_events_have_no_binary_form() {
        let mut bytes = Vec::new();
        let e = Event::SessionSeen { session: 1, at: 2 };
        assert!(!encode(&e, &mut bytes));
        assert!(bytes.is_empty());
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let mut d = Decoder::default();
        assert_eq!(d.decode(&[]).unwrap_err().to_string(), "truncated");
        assert_eq!(d.decode(&[9]).unwrap_err().to_string(), "unknown event tag");
        assert_eq!(
            d.decode(&[CHECKED_IN, 1, 2, 3]).unwrap_err().to_string(),
            "bytes after the event"
        );
        let mut long = vec![CHECKED_IN];
        long.extend([0x80; 11]);
        assert_eq!(d.decode(&long).unwrap_err().to_string(), "integer too long");
        // A string's length beyond the row is refused before any allocation.
        let mut huge = vec![GRANTED, 1, 1];
        put_u64(&mut huge, u64::MAX / 2);
        assert_eq!(d.decode(&huge).unwrap_err().to_string(), "truncated string");
    }
}
