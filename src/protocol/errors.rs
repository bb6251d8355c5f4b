//! FlexNet's error numbers and texts, as utilities and logs print them.

/// Invalid data from the peer (malformed frame, unknown protocol version).
pub const BAD_DATA: i32 = -12;
/// Invalid parameter: a name that is empty, too long or holds control
/// characters.
pub const BAD_PARAM: i32 = -42;
/// Cannot connect to license server system.
pub const CANNOT_CONNECT: i32 = -15;
/// The request is not allowed on this connection.
pub const NOT_ALLOWED: i32 = -63;
/// The desired vendor daemon is down.
pub const VENDOR_DOWN: i32 = -97;

/// FlexNet's short text for an error number.
pub fn text(code: i32) -> &'static str {
    match code {
        -1 => "Cannot find license file.",
        -2 => "Invalid license file syntax.",
        -4 => "Licensed number of users already reached.",
        -5 => "No such feature exists.",
        -8 => "Invalid license key (inconsistent authentication code).",
        -9 => "Invalid host.",
        -10 => "Feature has expired.",
        -12 => "Invalid returned data from license server system.",
        -13 => "No SERVER lines in license file.",
        -15 => "Cannot connect to license server system.",
        -18 => "License server system does not support this feature.",
        -21 => "License file does not support this version.",
        -31 => "Feature start date is in the future.",
        -38 => "User/host on EXCLUDE list for feature.",
        -39 => "User/host not on INCLUDE list for feature.",
        -42 => "Invalid parameter.",
        -87 => "Checkout exceeds MAX specified in options file.",
        -101 => "All licenses are reserved for others.",
        -63 => "Request not allowed on this connection.",
        -97 => "The desired vendor daemon is down.",
        -134 => "Invalid job handle.",
        _ => "License server error.",
    }
}

/// `text (code,minor)` as FlexNet prints it; our minor is always 0.
pub fn display(code: i32) -> String {
    format!("{} ({code},0)", text(code))
}
