//! Fuzz target for the options-file (CITRIX.opt) parser.
//!
//! Properties checked:
//! 1. `parse` never panics on any text (the server reads the file with
//!    invalid UTF-8 replaced, as here), nor hangs, nor allocates without
//!    bound (libFuzzer's -timeout and -rss_limit_mb report those).
//! 2. Every error and warning points at a line of the file (1-based, at
//!    most the number of lines) and a column of at least 1.
//! 3. What parses survives the state database: the options serialize to
//!    JSON (as the `options_replaced` event stores them) and read back equal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lmutil::options::{Options, parse};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = parse(&text);
    let lines = text.lines().count().max(1);
    for d in parsed.errors.iter().chain(&parsed.warnings) {
        assert!(
            (1..=lines).contains(&d.line) && d.column >= 1,
            "diagnostic outside the file ({lines} lines): {d}"
        );
    }
    let json = serde_json::to_string(&parsed.options).expect("options serialize");
    let back: Options = serde_json::from_str(&json).expect("stored options read back");
    assert_eq!(back, parsed.options, "options changed through the store\n{json}");
});
