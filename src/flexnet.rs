//! FlexNet's error numbers and their texts: the one definition the license
//! inventory, the engine, the protocol, the client library and the commands
//! all use. A [`Code`] travels as its plain number (`-4`), so that scripts
//! and FlexNet's own parsers read it as they always have, and a number
//! this build does not name (from a newer server) is kept, not refused.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A FlexNet error number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Code(i32);

/// The numbers this server gives, each with FlexNet's text.
const KNOWN: [(Code, &str); 21] = [
    (Code::NO_LICENSE_FILE, "Cannot find license file."),
    (Code::BAD_FILE_SYNTAX, "Invalid license file syntax."),
    (
        Code::ALL_IN_USE,
        "Licensed number of users already reached.",
    ),
    (Code::NO_SUCH_FEATURE, "No such feature exists."),
    (
        Code::BAD_SIGNATURE,
        "Invalid license key (inconsistent authentication code).",
    ),
    (Code::INVALID_HOST, "Invalid host."),
    (Code::EXPIRED, "Feature has expired."),
    (
        Code::BAD_DATA,
        "Invalid returned data from license server system.",
    ),
    (Code::NO_SERVER_LINES, "No SERVER lines in license file."),
    (
        Code::CANNOT_CONNECT,
        "Cannot connect to license server system.",
    ),
    (
        Code::NOT_SUPPORTED,
        "License server system does not support this feature.",
    ),
    (
        Code::VERSION_TOO_NEW,
        "License file does not support this version.",
    ),
    (
        Code::NOT_YET_STARTED,
        "Feature start date is in the future.",
    ),
    (Code::EXCLUDED, "User/host on EXCLUDE list for feature."),
    (
        Code::NOT_INCLUDED,
        "User/host not on INCLUDE list for feature.",
    ),
    (Code::NOT_ALLOWED, "You are not a license administrator."),
    (
        Code::OVER_MAX,
        "Checkout exceeds MAX specified in options file.",
    ),
    (Code::VENDOR_DOWN, "The desired vendor daemon is down."),
    (Code::RESERVED, "All licenses are reserved for others."),
    (Code::BAD_HANDLE, "Invalid job handle."),
    (Code::BAD_PARAMETER, "Invalid parameter."),
];

impl Code {
    /// -1: cannot find license file.
    pub const NO_LICENSE_FILE: Code = Code(-1);
    /// -2: invalid license file syntax.
    pub const BAD_FILE_SYNTAX: Code = Code(-2);
    /// -4: licensed number of users already reached.
    pub const ALL_IN_USE: Code = Code(-4);
    /// -5: no such feature exists.
    pub const NO_SUCH_FEATURE: Code = Code(-5);
    /// -8: invalid license key (a signature that does not verify).
    pub const BAD_SIGNATURE: Code = Code(-8);
    /// -9: invalid host (bound to another host).
    pub const INVALID_HOST: Code = Code(-9);
    /// -10: feature has expired.
    pub const EXPIRED: Code = Code(-10);
    /// -12: invalid data from the peer (a malformed frame or request).
    pub const BAD_DATA: Code = Code(-12);
    /// -13: no SERVER lines in the license file.
    pub const NO_SERVER_LINES: Code = Code(-13);
    /// -15: cannot connect to the license server (or it cannot serve).
    pub const CANNOT_CONNECT: Code = Code(-15);
    /// -18: the server does not support this feature.
    pub const NOT_SUPPORTED: Code = Code(-18);
    /// -21: the license file does not support this version.
    pub const VERSION_TOO_NEW: Code = Code(-21);
    /// -31: the feature's start date is in the future.
    pub const NOT_YET_STARTED: Code = Code(-31);
    /// -38: user or host on the EXCLUDE list.
    pub const EXCLUDED: Code = Code(-38);
    /// -39: user or host not on the INCLUDE list.
    pub const NOT_INCLUDED: Code = Code(-39);
    /// -42: an invalid parameter (a request field out of its bounds).
    pub const BAD_PARAMETER: Code = Code(-42);
    /// -63 (FlexNet's LM_NOTLICADMIN): the caller may not make this
    /// request here: not an administrator, not over the control socket, or
    /// (for a product session) not on the connection that owns it. The
    /// reason says which.
    pub const NOT_ALLOWED: Code = Code(-63);
    /// -87: the checkout exceeds MAX in the options file.
    pub const OVER_MAX: Code = Code(-87);
    /// -97: the vendor daemon is down.
    pub const VENDOR_DOWN: Code = Code(-97);
    /// -101: all licenses are reserved for others.
    pub const RESERVED: Code = Code(-101);
    /// -134: invalid job handle (an unknown session or checkout).
    pub const BAD_HANDLE: Code = Code(-134);

    /// The code of a number, known or not.
    pub const fn of(number: i32) -> Code {
        Code(number)
    }

    /// The number, e.g. -4.
    pub const fn number(self) -> i32 {
        self.0
    }

    /// FlexNet's short text for it.
    pub fn text(self) -> &'static str {
        KNOWN
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("License server error.", |(_, t)| t)
    }

    /// The exit status FlexNet's utilities use for it: 256 + the number.
    pub const fn exit_status(self) -> i32 {
        256 + self.0
    }
}

/// `text (code,minor)` as FlexNet prints it; the minor is always 0.
impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({},0)", self.text(), self.0)
    }
}

/// The plain number, as it travels.
impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Compared with a plain number, as scripts and tests do.
impl PartialEq<i32> for Code {
    fn eq(&self, other: &i32) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Code> for i32 {
    fn eq(&self, other: &Code) -> bool {
        *self == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_has_its_text_and_travels_as_its_number() {
        assert_eq!(
            Code::ALL_IN_USE.text(),
            "Licensed number of users already reached."
        );
        assert_eq!(
            Code::CANNOT_CONNECT.to_string(),
            "Cannot connect to license server system. (-15,0)"
        );
        assert_eq!(Code::of(-999).text(), "License server error.");
        assert_eq!(serde_json::to_string(&Code::BAD_HANDLE).unwrap(), "-134");
        assert_eq!(serde_json::from_str::<Code>("-7").unwrap(), Code::of(-7));
        assert_eq!(Code::BAD_FILE_SYNTAX.exit_status(), 254);
        let numbers: std::collections::BTreeSet<i32> = KNOWN.iter().map(|(c, _)| c.0).collect();
        assert_eq!(numbers.len(), KNOWN.len(), "each number named once");
    }
}
