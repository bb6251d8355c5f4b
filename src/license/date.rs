//! Dates and versions as license files write them.
//!
//! FlexNet dates are `d-mmm-yyyy` or `dd-mmm-yyyy` with the month in any case
//! (`1-may-2006`, `07-May-2006`); an expiry may also be `permanent`, or a date
//! whose year is zero (`1-jan-0`, `01-jan-0000`), which FlexNet also reads as
//! permanent. Versions are decimal numbers; Citrix writes them as a Customer
//! Success Services date `YYYY.MMDD`.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Why a date or version string was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("expected a date like 07-may-2026 (day-month-year), found `{0}`")]
    Shape(String),
    #[error("unknown month `{0}` (expected jan, feb, … dec)")]
    Month(String),
    #[error("no such day: `{0}`")]
    NoSuchDay(String),
    #[error("expected a version number like 2026.1201 (digits, one dot, no letters), found `{0}`")]
    Version(String),
}

/// Parses `d-mmm-yyyy` into its parts, the year as written (it may be 0).
fn parse_parts(text: &str) -> Result<(u32, u32, u32), DateError> {
    let shape = || DateError::Shape(text.to_owned());
    let mut parts = text.split('-');
    let (Some(day), Some(month), Some(year), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(shape());
    };
    let all_digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !all_digits(day, 2) || !all_digits(year, 4) {
        return Err(shape());
    }
    let month_index = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month))
        .ok_or_else(|| DateError::Month(month.to_owned()))?;
    let day: u32 = day.parse().map_err(|_| shape())?;
    let year: u32 = year.parse().map_err(|_| shape())?;
    Ok((day, month_index as u32 + 1, year))
}

/// Parses a calendar date written `d-mmm-yyyy` (month in any case).
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let (day, month, year) = parse_parts(text)?;
    if year == 0 {
        return Err(DateError::NoSuchDay(text.to_owned()));
    }
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| DateError::NoSuchDay(text.to_owned()))
}

/// Writes a date the way license files do: `07-may-2026`.
pub fn format_date(date: NaiveDate) -> String {
    format!(
        "{:02}-{}-{:04}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// When a license line stops granting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expiry {
    /// Granting until this day, inclusive.
    On(NaiveDate),
    /// Never expires.
    Permanent,
}

impl Expiry {
    /// Parses `permanent` (any case), a date, or a year-zero date (permanent).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        if text.eq_ignore_ascii_case("permanent") {
            return Ok(Expiry::Permanent);
        }
        let (_, _, year) = parse_parts(text)?;
        if year == 0 {
            return Ok(Expiry::Permanent);
        }
        parse_date(text).map(Expiry::On)
    }

    /// Whether a line with this expiry still grants on `today`.
    pub fn is_valid_on(self, today: NaiveDate) -> bool {
        match self {
            Expiry::Permanent => true,
            Expiry::On(last) => today <= last,
        }
    }

    /// ISO form for machine output: `2026-05-07` or `permanent`.
    pub fn iso(self) -> String {
        match self {
            Expiry::Permanent => "permanent".to_owned(),
            Expiry::On(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expiry::Permanent => f.write_str("permanent"),
            Expiry::On(d) => f.write_str(&format_date(*d)),
        }
    }
}

impl Serialize for Expiry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.iso())
    }
}

impl<'de> Deserialize<'de> for Expiry {
    /// Reads the ISO form [`Expiry::iso`] writes.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "permanent" {
            return Ok(Expiry::Permanent);
        }
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Expiry::On)
            .map_err(serde::de::Error::custom)
    }
}

/// A feature version: a decimal number such as `2026.1201` or `11.0`.
///
/// Kept as written so that files print back unchanged; compared as a
/// decimal number, so `2026.12` and `2026.1200` are equal in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    text: std::sync::Arc<str>,
    /// The number for ordering: the integer part, and the fraction's ten
    /// digits (the most `parse` accepts) right-padded with zeros. Derived
    /// from `text`, so equality and hashing are unchanged by it.
    order: (u64, u64),
}

impl Version {
    /// Accepts digits with at most one dot (FlexNet: "must be floating point
    /// number, with no letters").
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let bad = || DateError::Version(text.to_owned());
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || int.len() > 10 || frac.len() > 10 || !digits(int) || !digits(frac) {
            return Err(bad());
        }
        if text.ends_with('.') {
            return Err(bad());
        }
        // At most ten digits each: both fit in a u64.
        let number = |s: &str| s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        let padded = number(frac) * 10u64.pow(10 - frac.len() as u32);
        Ok(Version {
            text: text.into(),
            order: (number(int), padded),
        })
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn parts(&self) -> (&str, &str) {
        self.text.split_once('.').unwrap_or((&self.text, ""))
    }

    /// The Customer Success Services date when written `YYYY.MMDD`.
    pub fn css_date(&self) -> Option<NaiveDate> {
        let (int, frac) = self.parts();
        if int.len() != 4 || frac.len() != 4 {
            return None;
        }
        let year = int.parse().ok()?;
        let month = frac[..2].parse().ok()?;
        let day = frac[2..].parse().ok()?;
        NaiveDate::from_ymd_opt(year, month, day)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order.cmp(&other.order)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Version::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Versions order as decimals: the integer parts by value, then the
    /// fractions digit by digit with trailing zeros ignored.
    fn decimal_order(a: &str, b: &str) -> Ordering {
        let (ai, af) = a.split_once('.').unwrap_or((a, ""));
        let (bi, bf) = b.split_once('.').unwrap_or((b, ""));
        let (ai, bi) = (ai.trim_start_matches('0'), bi.trim_start_matches('0'));
        ai.len()
            .cmp(&bi.len())
            .then_with(|| ai.cmp(bi))
            .then_with(|| af.trim_end_matches('0').cmp(bf.trim_end_matches('0')))
    }

    proptest! {
        #[test]
        fn versions_order_as_decimals(
            a in "[0-9]{1,10}(\\.[0-9]{1,10})?",
            b in "[0-9]{1,10}(\\.[0-9]{1,10})?",
        ) {
            let (va, vb) = (Version::parse(&a).unwrap(), Version::parse(&b).unwrap());
            prop_assert_eq!(va.cmp(&vb), decimal_order(&a, &b));
        }
    }

    #[test]
    fn versions_equal_as_numbers_order_equal() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("2026.12").cmp(&v("2026.1200")), Ordering::Equal);
        assert!(v("9.5") > v("9.45"));
        assert!(v("0010.1") == v("0010.1") && v("10.1").cmp(&v("0010.10")) == Ordering::Equal);
        assert!(v("9999999999.9999999999") > v("9999999999.999999999"));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_every_case_and_width() {
        assert_eq!(parse_date("1-may-2006"), Ok(d(2006, 5, 1)));
        assert_eq!(parse_date("07-May-2006"), Ok(d(2006, 5, 7)));
        assert_eq!(parse_date("6-JUN-2007"), Ok(d(2007, 6, 6)));
        assert_eq!(format_date(d(2006, 5, 1)), "01-may-2006");
    }

    #[test]
    fn a_one_digit_day_is_a_date_not_permanent() {
        assert_eq!(Expiry::parse("1-may-2006"), Ok(Expiry::On(d(2006, 5, 1))));
        assert_eq!(Expiry::parse("Permanent"), Ok(Expiry::Permanent));
        assert_eq!(Expiry::parse("1-jan-0"), Ok(Expiry::Permanent));
        assert_eq!(Expiry::parse("01-jan-0000"), Ok(Expiry::Permanent));
    }

    #[test]
    fn bad_dates_say_what_was_expected() {
        assert!(matches!(
            parse_date("31-feb-2020"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(parse_date("1-foo-2020"), Err(DateError::Month(_))));
        assert!(matches!(parse_date("2020-01-01"), Err(DateError::Shape(_))));
        assert!(matches!(
            parse_date("123-jan-2020"),
            Err(DateError::Shape(_))
        ));
    }

    #[test]
    fn expiry_is_inclusive_of_its_day() {
        let e = Expiry::On(d(2026, 5, 1));
        assert!(e.is_valid_on(d(2026, 5, 1)));
        assert!(!e.is_valid_on(d(2026, 5, 2)));
    }

    #[test]
    fn versions_compare_as_decimals() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("2026.1201") > v("2026.0428"));
        assert!(v("10.0") > v("9.99"));
        assert_eq!(v("2026.12").cmp(&v("2026.1200")), Ordering::Equal);
        assert_eq!(v("2006.0428").css_date(), Some(d(2006, 4, 28)));
        assert_eq!(v("24").css_date(), None);
        assert!(Version::parse("1.2.3").is_err());
        assert!(Version::parse("v1").is_err());
        assert!(Version::parse("1.").is_err());
    }
}
