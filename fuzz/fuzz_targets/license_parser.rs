//! Fuzz target for the license-file parser.
//!
//! Properties checked:
//! 1. `parse_bytes` never panics (nor hangs, nor allocates without bound:
//!    libFuzzer's -timeout and -rss_limit_mb report those).
//! 2. A file read without any error or warning prints back to text that
//!    parses, without errors, to the same model (and `print` does not panic).

#![no_main]

use libfuzzer_sys::fuzz_target;
use lmutil::license::{parse, parse_bytes, print};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_bytes(data);
    if !parsed.errors.is_empty() || !parsed.warnings.is_empty() {
        return;
    }
    let printed = print(&parsed.file);
    let reparsed = parse(&printed);
    assert!(
        reparsed.errors.is_empty(),
        "the reprint of a clean file has errors: {:?}\n--- reprint ---\n{printed}",
        reparsed.errors
    );
    assert_eq!(
        reparsed.file, parsed.file,
        "the reprint does not parse back to the same model\n--- reprint ---\n{printed}"
    );
});
