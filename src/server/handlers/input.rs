//! The bounds of what a product sends, checked before the engine sees it:
//! a name that is empty, longer than FlexNet's 1,024 bytes
//! (`MAX_LONGNAME_SIZE`) or holds a control character is refused (-42,
//! "Invalid parameter"), nothing is stored, and the connection goes on.

use crate::flexnet::Code;
use crate::protocol::{Checkout, ErrorBody};

/// The longest name a product may send, in bytes (FlexNet's bound for user,
/// host and display names).
pub const MAX_NAME: usize = 1024;

/// Whether a field may be sent empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    Refused,
    Allowed,
}

/// Checks one field: at most [`MAX_NAME`] bytes, no control character, and
/// not empty unless `empty` allows it.
pub fn name(field: &str, value: &str, empty: Empty) -> Result<(), ErrorBody> {
    let refuse = |why: String| {
        Err(ErrorBody::new(
            Code::BAD_PARAMETER,
            format!("{field}: {why}"),
        ))
    };
    if value.is_empty() && empty == Empty::Refused {
        return refuse("must not be empty".to_owned());
    }
    if value.len() > MAX_NAME {
        let len = value.len();
        return refuse(format!("{len} bytes is longer than {MAX_NAME}"));
    }
    if let Some((at, c)) = value.char_indices().find(|(_, c)| c.is_control()) {
        return refuse(format!("control character U+{:04X} at byte {at}", c as u32));
    }
    Ok(())
}

/// A checkout's names: user, device, feature, version and host must be
/// given; the display may be left out.
pub fn checkout(c: &Checkout) -> Result<(), ErrorBody> {
    name("user", &c.user, Empty::Refused)?;
    name("device", &c.device, Empty::Refused)?;
    name("feature", &c.feature, Empty::Refused)?;
    name("version", &c.version, Empty::Refused)?;
    name("host", &c.host, Empty::Refused)?;
    name("display", &c.display, Empty::Allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_at_and_over_the_bounds() {
        let table: &[(&str, Empty, bool)] = &[
            ("jack", Empty::Refused, true),
            ("", Empty::Refused, false),
            ("", Empty::Allowed, true),
            ("Ann Lee", Empty::Refused, true),
            ("MYCO\\jack", Empty::Refused, true),
            ("jäck", Empty::Refused, true),
            ("a\nb", Empty::Refused, false),
            ("a\0", Empty::Refused, false),
            ("\t", Empty::Allowed, false),
            ("a\u{7f}", Empty::Refused, false),
            ("a\u{85}", Empty::Refused, false),
        ];
        for (value, empty, ok) in table {
            let got = name("user", value, *empty);
            assert_eq!(got.is_ok(), *ok, "{value:?}: {got:?}");
            if let Err(e) = got {
                assert_eq!(e.code, -42);
                assert!(e.reason.starts_with("user: "), "{}", e.reason);
            }
        }
        assert!(name("user", &"x".repeat(MAX_NAME), Empty::Refused).is_ok());
        assert!(name("user", &"x".repeat(MAX_NAME + 1), Empty::Refused).is_err());
        // The bound is in bytes: 512 two-byte characters fit, 513 do not.
        assert!(name("user", &"é".repeat(512), Empty::Refused).is_ok());
        assert!(name("user", &"é".repeat(513), Empty::Refused).is_err());
    }

    proptest! {
        #[test]
        fn a_name_is_accepted_exactly_when_within_its_bounds(value in any::<String>(), pad in 0usize..1100) {
            let value = format!("{value}{}", "y".repeat(pad));
            let expected = !value.is_empty()
                && value.len() <= MAX_NAME
                && !value.chars().any(char::is_control);
            prop_assert_eq!(name("device", &value, Empty::Refused).is_ok(), expected);
            let allowed = value.is_empty() || expected;
            prop_assert_eq!(name("display", &value, Empty::Allowed).is_ok(), allowed);
        }
    }
}
