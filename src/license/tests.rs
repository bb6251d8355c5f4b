//! Tests of the parser and printer on the seeds' real files, and of the
//! rules that decide which lines serve.

use chrono::NaiveDate;

use super::model::*;
use super::{Expiry, parse, print};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

fn only_feature(file: &LicenseFile) -> &FeatureLine {
    let mut f = file.features();
    let first = f.next().expect("a feature line");
    assert!(f.next().is_none());
    first
}

#[test]
fn the_guides_example_file_parses_whole() {
    let parsed = parse(&fixture("seed_citrix_example.lic"));
    assert_eq!(parsed.errors, []);
    let file = &parsed.file;
    assert!(matches!(&file.items[2], Item::Server(s)
        if s.host == "this_host" && s.host_ids == [HostId::Hostname("license_server1".into())]));
    assert!(matches!(&file.items[3], Item::Vendor(v) if v.name == "CITRIX"));
    assert_eq!(file.items[4], Item::UseServer);
    let f = only_feature(file);
    assert_eq!(f.keyword, FeatureKeyword::Increment);
    assert_eq!(f.feature, "MPS_ENT_CCU");
    assert_eq!(f.version.css_date(), Some(d(2006, 4, 28)));
    assert_eq!(f.expiry, Expiry::On(d(2006, 5, 1)));
    assert_eq!(f.count, Count::Licenses(1000));
    let vs = f.vendor_string().unwrap();
    assert_eq!(vs.license_type(), Some("Retail"));
    assert_eq!(vs.grace_hours(), Some(720));
    assert_eq!(vs.editions(), ["ENT", "ADV", "STD"]);
    assert_eq!(vs.get("ODP"), Some("0"));
    assert_eq!(f.dup_group(), Some("V"));
    assert_eq!(f.issued(), Some(d(2004, 3, 12)));
    assert_eq!(f.start(), Some(d(2004, 3, 11)));
    assert_eq!(f.text("NOTICE"), Some("eMail Test - Citrix"));
    assert_eq!(f.text("SN"), Some("LA-0000150712-86261:872"));
    // The backslash right after "TS111" joins it to the next group.
    assert!(f.sign().unwrap().contains("BD44 TS111D79D 183D"));
    let names: Vec<_> = file.display_names().map(|n| n.product.as_str()).collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[2], "Citrix Presentation Server Enterprise");
    assert_eq!(
        file.display_names().next().unwrap().model,
        "Concurrent User"
    );
}

#[test]
fn the_guides_damaged_attribute_example_is_read_with_warnings() {
    let parsed = parse(&fixture("seed_attributes_example.lic"));
    assert_eq!(parsed.errors, []);
    assert_eq!(parsed.warnings.len(), 4, "{:#?}", parsed.warnings);
    let f = only_feature(&parsed.file);
    assert_eq!(f.expiry, Expiry::Permanent);
    assert_eq!(f.count, Count::Licenses(10));
    assert_eq!(f.dup_group(), Some("V"));
    assert_eq!(f.issued(), Some(d(2007, 6, 6)));
    assert_eq!(f.start(), Some(d(2007, 6, 6)));
    assert_eq!(f.text("SN"), Some("12345:67890"));
    assert_eq!(f.sign().unwrap().split(' ').count(), 15);
    assert_eq!(
        f.vendor_string().unwrap().editions(),
        ["ENT", "ADV", "STD", "AST"]
    );
}

#[test]
fn supersede_sign_names_the_older_lines_signature() {
    let parsed = parse(&fixture("seed_supersede_sign.lic"));
    assert_eq!(parsed.errors, []);
    let lines: Vec<_> = parsed.file.features().collect();
    assert_eq!(lines.len(), 2);
    let named = lines[1].supersede_sign();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].feature, "CBR_100_SSERVER");
    assert_eq!(named[0].sign, lines[0].sign().unwrap());
}

#[test]
fn flexnet_snippets_keep_every_oddity() {
    let parsed = parse(&fixture("flexnet_snippets.lic"));
    assert_eq!(parsed.errors, []);
    let items = &parsed.file.items;
    assert!(matches!(&items[0], Item::Vendor(v)
        if v.keyword == VendorKeyword::Daemon && v.port == Some(27001)));
    assert!(matches!(&items[1], Item::Server(s)
        if s.host_ids == [HostId::Ether("bd41fcf5de27".into())] && s.port == Some(27000)));
    let Item::Feature(sigasi) = &items[2] else {
        panic!()
    };
    assert_eq!(sigasi.count, Count::Uncounted);
    assert_eq!(
        sigasi.vendor_string().unwrap().text,
        "company:www.example.com;mac:10f2dd92c5ac;name:John Doe;type:trial"
    );
    assert_eq!(sigasi.host_ids(), Some([HostId::Any].as_slice()));
    let Item::Feature(matlab) = &items[3] else {
        panic!()
    };
    assert_eq!(matlab.expiry, Expiry::Permanent);
    assert_eq!(matlab.license_key.as_deref(), Some("BDCE64A22A1DEF56F919"));
    assert_eq!(matlab.text("asset_info"), Some("685559"));
    assert_eq!(matlab.text("NOTICE"), Some("product=MATLAB"));
    assert!(matches!(&items[4], Item::Package(p) if p.text("COMPONENTS") == Some("f1:1.0:2 f2")));
    assert!(matches!(&items[5], Item::Upgrade(u) if u.count == Count::Licenses(5)));
    let Item::Feature(f3) = &items[6] else {
        panic!()
    };
    assert_eq!(f3.keyword, FeatureKeyword::Feature);
    assert_eq!(
        f3.host_ids().unwrap(),
        [
            HostId::Ether("00123f7c25ed".into()),
            HostId::Hostname("box".into())
        ]
    );
    assert!(f3.attributes.iter().any(|a| a.name() == "TS_OK"));
}

#[test]
fn every_fixture_prints_back_to_the_same_model() {
    for name in [
        "seed_citrix_example.lic",
        "seed_attributes_example.lic",
        "seed_supersede_sign.lic",
        "flexnet_snippets.lic",
    ] {
        let first = parse(&fixture(name));
        let printed = print(&first.file);
        let second = parse(&printed);
        assert_eq!(second.errors, [], "{name}:\n{printed}");
        assert_eq!(second.warnings, [], "{name}:\n{printed}");
        assert_eq!(first.file, second.file, "{name}:\n{printed}");
    }
}

#[test]
fn a_bad_line_is_reported_with_line_and_column_and_the_rest_still_count() {
    let src = "SERVER this_host HOSTNAME=h\n\
               VENDOR CITRIX\n\
               INCREMENT A_B_CCU CITRIX 2026.0101 31-feb-2027 10 SIGN=\"00\"\n\
               INCREMENT C_D_CCU CITRIX 2026.0101 permanent \\\n    ten SIGN=\"00\"\n\
               increment E_F_CCU CITRIX 2026.0101 permanent 1\n\
               INCREMENT G_H_CCU CITRIX 2026.0101 permanent 5 SIGN=\"00\"\n";
    let parsed = parse(src);
    let errors: Vec<(usize, usize)> = parsed.errors.iter().map(|e| (e.line, e.column)).collect();
    assert_eq!(errors, [(3, 36), (5, 5), (6, 1)], "{:#?}", parsed.errors);
    assert!(parsed.errors[0].message.contains("no such day"));
    assert!(parsed.errors[1].message.contains("license count"));
    assert!(
        parsed.errors[2]
            .message
            .contains("unknown line type `increment`")
    );
    let good: Vec<_> = parsed.file.features().map(|f| f.feature.as_str()).collect();
    assert_eq!(good, ["G_H_CCU"]);
}

#[test]
fn errors_say_what_was_expected() {
    let cases = [
        ("INCREMENT F CITRIX", "expected a version"),
        ("INCREMENT F CITRIX v1 permanent 1", "version number"),
        ("INCREMENT F CITRIX 1.0 someday 1", "expiry date"),
        (
            "INCREMENT F CITRIX 1.0 permanent 1 ISSUED=yesterday",
            "date like",
        ),
        (
            "INCREMENT F CITRIX 1.0 permanent 1 NOTICE=\"open",
            "unterminated quoted",
        ),
        (
            "INCREMENT F CITRIX 1.0 permanent 1 SIGN=\"1\" SIGN=\"2\"",
            "given twice",
        ),
        (
            "INCREMENT F CITRIX 1.0 permanent 1 SUPERSEDE_SIGN={\"x\"",
            "unterminated `{`",
        ),
        (
            "INCREMENT F CITRIX 1.0 permanent 1 HOSTID=\"  \"",
            "HOSTID needs a value",
        ),
        ("SERVER host", "expected a host ID"),
        ("SERVER host ANY 99999", "TCP port"),
        ("VENDOR CITRIX PORT=abc", "TCP port"),
        ("USE_SERVER now", "unexpected text"),
    ];
    for (line, expected) in cases {
        let parsed = parse(line);
        assert_eq!(parsed.errors.len(), 1, "{line}");
        assert!(
            parsed.errors[0].message.contains(expected),
            "{line}: {}",
            parsed.errors[0].message
        );
    }
}

#[test]
fn a_bom_and_crlf_line_ends_are_read() {
    let parsed = parse("\u{feff}VENDOR CITRIX\r\nUSE_SERVER\r\n");
    assert_eq!(parsed.errors, []);
    assert_eq!(parsed.file.items.len(), 2);
    assert_eq!(parsed.spans[0].source, 3..16);
}

#[test]
fn lines_that_are_not_utf8_are_reported_and_skipped() {
    let parsed = super::parse_bytes(b"VENDOR CITRIX\nNOTICE \xff\xfe\nUSE_SERVER\n");
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].line, 2);
    assert!(parsed.file.items.contains(&Item::UseServer));
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = vec![b'#'; super::parser::MAX_FILE_LEN + 1];
    let parsed = super::parse_bytes(&big);
    assert_eq!(parsed.file.items.len(), 0);
    assert!(parsed.errors[0].message.contains("larger than"));
}

mod signatures {
    use super::super::model::Attributes;
    use ed25519_dalek::SigningKey;

    use super::super::sign::{Keyring, bindings, sign_in_place};
    use super::super::{LicenseFile, parse};
    use super::fixture;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn keyring(seed: u8) -> Keyring {
        Keyring::new(vec![key(seed).verifying_key()])
    }

    /// Whether every feature line of `text` verifies with key `seed`.
    fn verdicts(text: &str, seed: u8) -> Vec<bool> {
        let parsed = parse(text);
        assert_eq!(parsed.errors, [], "{text}");
        let keys = keyring(seed);
        let binding = bindings(&parsed.file);
        parsed
            .file
            .items
            .iter()
            .zip(&binding)
            .filter_map(|(item, b)| match item {
                super::Item::Feature(f) => Some(keys.verify(item, b, f.sign().unwrap_or(""))),
                _ => None,
            })
            .collect()
    }

    fn signed(name: &str) -> String {
        let text = fixture(name);
        sign_in_place(&text, &parse(&text), &key(1))
    }

    #[test]
    fn signing_in_place_keeps_comments_and_layout() {
        let original = fixture("seed_citrix_example.lic");
        let text = signed("seed_citrix_example.lic");
        assert_eq!(verdicts(&text, 1), [true]);
        assert!(
            !verdicts(&text, 2)[0],
            "another vendor's key must not verify"
        );
        // Everything but the signature is byte for byte the same.
        let strip = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| {
                    !l.contains("SIGN=")
                        && !l.trim_start().starts_with(|c: char| c.is_ascii_hexdigit())
                })
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(strip(&original)[..5], strip(&text)[..5]);
        assert!(text.contains("#CITRIXTERM FEATURE 2.0 MPS_ENT_CCU EN Citrix"));
        assert!(text.ends_with("#\n"));
        // Signing again replaces the signature rather than adding one.
        let twice = sign_in_place(&text, &parse(&text), &key(1));
        assert_eq!(twice, text);
    }

    #[test]
    fn lines_without_sign_get_one_appended() {
        let text = "SERVER this_host HOSTNAME=h\nVENDOR CITRIX\n\
                    INCREMENT A_B_CCU CITRIX 2026.0101 permanent 10\n# end\n";
        let out = sign_in_place(text, &parse(text), &key(1));
        assert_eq!(verdicts(&out, 1), [true]);
        assert!(out.ends_with("\n# end\n"));
    }

    #[test]
    fn changing_any_significant_field_breaks_the_signature() {
        let text = signed("seed_citrix_example.lic");
        let edits = [
            ("1000", "1001"),
            ("01-may-2006", "02-may-2006"),
            ("2006.0428", "2007.0428"),
            ("INCREMENT MPS_ENT_CCU", "INCREMENT MPS_PLT_CCU"),
            ("HOSTNAME=license_server1", "HOSTNAME=license_server2"),
            ("LT=Retail", "LT=Eval"),
            ("START=11-mar-2004", "START=12-mar-2004"),
            ("ISSUED=12-Mar-2004", "ISSUED=13-Mar-2004"),
            ("DUP_GROUP=V", "DUP_GROUP=U"),
            ("INCREMENT MPS", "FEATURE MPS"),
        ];
        for (from, to) in edits {
            assert!(text.contains(from), "{from}");
            let changed = text.replacen(from, to, 1);
            assert_eq!(verdicts(&changed, 1), [false], "{from} -> {to}");
        }
    }

    #[test]
    fn comments_wrapping_and_attribute_order_do_not_matter() {
        let text = signed("seed_citrix_example.lic");
        let mut changed = text.replace("# This file is in UTF-8 format.", "# edited by hand");
        // Re-wrap: print the model (one layout) and re-order attributes.
        changed = changed.replace(
            "DUP_GROUP=V ISSUED=12-Mar-2004",
            "ISSUED=12-mar-2004   DUP_GROUP=V",
        );
        assert_eq!(verdicts(&changed, 1), [true]);
        let printed = super::super::print(&parse(&text).file);
        assert_eq!(verdicts(&printed, 1), [true]);
        let unwrapped = text.replace("\\\n    ", "");
        assert_eq!(verdicts(&unwrapped, 1), [true], "{unwrapped}");
    }

    #[test]
    fn an_empty_file_signs_to_itself() {
        assert_eq!(sign_in_place("", &parse(""), &key(1)), "");
        let _ = LicenseFile::default();
    }
}

mod pools {
    use super::super::model::Attributes;
    use chrono::NaiveDate;
    use ed25519_dalek::SigningKey;

    use super::super::pool::{LineStatus, LoadedFile, inventory};
    use super::super::sign::{Keyring, sign_in_place};
    use super::super::{HostIdentity, Inventory, parse};
    use super::d;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn host() -> HostIdentity {
        HostIdentity {
            hostname: "lic1".into(),
            ethers: vec!["0a0b0c0d0e0f".into()],
            addresses: vec![],
        }
    }

    fn load(files: &[(&str, &str)]) -> Vec<LoadedFile> {
        files
            .iter()
            .map(|(name, text)| {
                let signed = sign_in_place(text, &parse(text), &key());
                LoadedFile {
                    path: name.into(),
                    parsed: parse(&signed),
                }
            })
            .collect()
    }

    fn inv(files: &[(&str, &str)], today: NaiveDate) -> Inventory {
        let keys = Keyring::new(vec![key().verifying_key()]);
        inventory(&load(files), "CITRIX", &host(), &keys, today)
    }

    fn statuses(inv: &Inventory) -> Vec<(String, LineStatus)> {
        inv.lines
            .iter()
            .map(|l| {
                (
                    format!("{}:{}", l.line.feature, l.at.line),
                    l.status.clone(),
                )
            })
            .collect()
    }

    const HEAD: &str = "SERVER this_host HOSTNAME=lic1\nVENDOR CITRIX\n";

    #[test]
    fn increments_of_one_pool_add_up_and_other_fields_split_pools() {
        let text = format!(
            "{HEAD}INCREMENT XDT_PLT_UD CITRIX 2026.0101 permanent 10 VENDOR_STRING=;LT=Retail\n\
             INCREMENT XDT_PLT_UD CITRIX 2026.0101 permanent 5 VENDOR_STRING=;LT=Retail\n\
             INCREMENT XDT_PLT_UD CITRIX 2027.0101 permanent 7 VENDOR_STRING=;LT=Retail\n\
             INCREMENT XDT_PLT_UD CITRIX 2026.0101 permanent 3 VENDOR_STRING=;LT=Eval\n"
        );
        let inv = inv(&[("a.lic", &text)], d(2026, 6, 1));
        let counts: Vec<(String, Option<String>, u64)> = inv
            .pools
            .iter()
            .map(|p| {
                (
                    p.key.version.0.to_string(),
                    p.key.license_type.clone(),
                    p.count,
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("2026.0101".into(), Some("Eval".into()), 3),
                ("2026.0101".into(), Some("Retail".into()), 15),
                ("2027.0101".into(), Some("Retail".into()), 7),
            ]
        );
    }

    #[test]
    fn a_future_start_is_invisible_and_an_expired_line_grants_nothing_new() {
        let text = format!(
            "{HEAD}INCREMENT A_B_CCU CITRIX 2026.0101 permanent 10 START=01-jul-2026\n\
             INCREMENT C_D_CCU CITRIX 2026.0101 1-jun-2026 10\n"
        );
        let before = inv(&[("a.lic", &text)], d(2026, 6, 1));
        assert_eq!(
            statuses(&before),
            [
                (
                    "A_B_CCU:3".into(),
                    LineStatus::NotYetStarted {
                        start: d(2026, 7, 1)
                    }
                ),
                ("C_D_CCU:8".into(), LineStatus::Serving),
            ]
        );
        assert_eq!(before.pools.len(), 1);
        let after = inv(&[("a.lic", &text)], d(2026, 7, 1));
        assert_eq!(after.lines[0].status, LineStatus::Serving);
        assert!(matches!(after.lines[1].status, LineStatus::Expired { .. }));
        let expired = after
            .pools
            .iter()
            .find(|p| p.key.feature == "C_D_CCU")
            .unwrap();
        assert!(
            expired.expired,
            "an expired pool still exists for the checkouts it holds"
        );
    }

    #[test]
    fn supersede_retires_older_lines_of_the_named_features() {
        let text = format!(
            "{HEAD}INCREMENT MPS_STD_CCU CITRIX 2026.0101 permanent 10 ISSUED=01-jan-2026\n\
             INCREMENT MPS_ADV_CCU CITRIX 2026.0101 permanent 10 ISSUED=01-jan-2026\n\
             INCREMENT MPS_ENT_CCU CITRIX 2026.0101 permanent 4 ISSUED=01-jan-2026\n\
             INCREMENT MPS_ENT_CCU CITRIX 2026.0601 permanent 20 ISSUED=01-jun-2026 \
             SUPERSEDE=\"MPS_STD_CCU\"\n\
             INCREMENT MPS_ADV_CCU CITRIX 2026.0101 permanent 1 ISSUED=02-jun-2026\n"
        );
        let inv = inv(&[("a.lic", &text)], d(2026, 7, 1));
        let by = |line| LineStatus::Superseded {
            by: super::super::pool::LineRef {
                file: "a.lic".into(),
                line,
            },
        };
        let s: Vec<LineStatus> = inv.lines.iter().map(|l| l.status.clone()).collect();
        // Signing wrapped each line over five physical lines: the superseder is on line 18.
        assert_eq!(
            s,
            [
                by(18),
                LineStatus::Serving,
                by(18),
                LineStatus::Serving,
                LineStatus::Serving
            ]
        );
    }

    #[test]
    fn supersede_sign_retires_exactly_the_named_line() {
        let base = format!("{HEAD}INCREMENT CBR_100_SSERVER CITRIX 2016.1201 permanent 10\n");
        let files = load(&[("base.lic", &base)]);
        let old_sign = files[0]
            .parsed
            .file
            .features()
            .next()
            .unwrap()
            .sign()
            .unwrap()
            .to_owned();
        let renewal = format!(
            "{HEAD}INCREMENT CBR_100_SSERVER CITRIX 2017.1201 permanent 10 \
             SUPERSEDE_SIGN={{\"CBR_100_SSERVER:{old_sign}\"}}\n"
        );
        let inv = inv(
            &[("base.lic", &base), ("renewal.lic", &renewal)],
            d(2026, 1, 1),
        );
        assert!(matches!(
            inv.lines[0].status,
            LineStatus::SupersededBySign { .. }
        ));
        assert_eq!(inv.lines[1].status, LineStatus::Serving);
        assert_eq!(inv.pools.len(), 1);
        assert_eq!(inv.pools[0].key.version.0.as_str(), "2017.1201");
    }

    #[test]
    fn a_file_with_several_bindings_serves_the_lines_bound_here() {
        let text = "SERVER this_host HOSTNAME=other\nVENDOR CITRIX\n\
                    INCREMENT A_B_CCU CITRIX 2026.0101 permanent 10\n\
                    SERVER this_host HOSTNAME=lic1\nVENDOR CITRIX\n\
                    INCREMENT C_D_CCU CITRIX 2026.0101 permanent 10\n\
                    SERVER this_host 0a0b0c0d0e0f\n\
                    INCREMENT E_F_CCU CITRIX 2026.0101 permanent 10\n";
        let inv = inv(&[("multi.lic", text)], d(2026, 1, 1));
        let s: Vec<LineStatus> = inv.lines.iter().map(|l| l.status.clone()).collect();
        assert_eq!(
            s,
            [
                LineStatus::BoundElsewhere {
                    binding: vec![super::HostId::Hostname("other".into())]
                },
                LineStatus::Serving,
                LineStatus::Serving,
            ]
        );
        let (code, reason) = s[0].reason().unwrap();
        assert_eq!(code, -9);
        assert!(reason.contains("HOSTNAME=other"));
    }

    #[test]
    fn bad_signatures_other_vendors_and_duplicate_features_are_reported() {
        let text = format!(
            "{HEAD}FEATURE A_B_CCU CITRIX 2026.0101 permanent 10\n\
             FEATURE A_B_CCU CITRIX 2026.0101 permanent 10\n\
             INCREMENT F_G demo 1.0 permanent 10\n"
        );
        let mut files = load(&[("a.lic", &text)]);
        let unsigned = format!("{HEAD}INCREMENT X_Y_CCU CITRIX 2026.0101 permanent 10\n");
        files.push(LoadedFile {
            path: "b.lic".into(),
            parsed: parse(&unsigned),
        });
        let tampered = files[0].parsed.clone();
        let mut tampered_text = super::super::print(&tampered.file);
        tampered_text = tampered_text.replacen("permanent 10", "permanent 99", 1);
        files.push(LoadedFile {
            path: "c.lic".into(),
            parsed: parse(&tampered_text),
        });
        let keys = Keyring::new(vec![key().verifying_key()]);
        let inv = inventory(&files, "CITRIX", &host(), &keys, d(2026, 1, 1));
        let s: Vec<&LineStatus> = inv.lines.iter().map(|l| &l.status).collect();
        assert_eq!(s[0], &LineStatus::Serving);
        assert!(matches!(s[1], LineStatus::DuplicateFeature { .. }));
        assert_eq!(
            s[2],
            &LineStatus::OtherVendor {
                vendor: "demo".into()
            }
        );
        assert_eq!(s[3], &LineStatus::Unsigned);
        assert_eq!(s[4], &LineStatus::BadSignature);
        assert_eq!(s[4].reason().unwrap().0, -8);
    }
}

/// Reads `bytes`; when they read cleanly, prints the model and checks that
/// the text reads back, cleanly, to the same model (the fuzz target's
/// property).
fn assert_round_trip(bytes: &[u8]) -> super::Parsed {
    let first = super::parse_bytes(bytes);
    if first.errors.is_empty() && first.warnings.is_empty() {
        let printed = print(&first.file);
        let again = parse(&printed);
        let src = String::from_utf8_lossy(bytes);
        assert_eq!(again.errors, [], "{src:?} -> {printed:?}");
        assert_eq!(again.warnings, [], "{src:?} -> {printed:?}");
        assert_eq!(again.file, first.file, "{src:?} -> {printed:?}");
    }
    first
}

/// The line and column of each error.
fn error_positions(parsed: &super::Parsed) -> Vec<(usize, usize)> {
    parsed.errors.iter().map(|e| (e.line, e.column)).collect()
}

#[test]
fn words_that_fuzzing_found_hard_to_print_read_back() {
    for src in [
        "SERVER =\"m h\n",
        "SERVER a b ETHER=001b2c3d4e60\n",
        "VENDOR x\"\n",
        "INCREMENT C\"R CITRIX 1.0 permanent 1 NOTICE=\\\"Citrix\"\n",
        "VENDOR a\\\\\n",
        "VENDOR CITRIX C:\\flexlm\\\\\n    OPTIONS=\"C:\\a b\\\"\n",
    ] {
        let parsed = assert_round_trip(src.as_bytes());
        assert_eq!(parsed.errors, [], "{src}");
    }
}

/// Found by an optimised run of the license_parser fuzz target after 468,040
/// inputs: NUL bytes in a VENDOR line's name, and a `\` before its last `"`,
/// read cleanly, and the reprint did not read back (an unterminated quote).
#[test]
fn the_fuzzers_vendor_name_with_nuls_and_a_backslash_is_an_error() {
    let parsed = assert_round_trip(b"VENDOR 118888888888888\x00\x00\x002\"\\\\");
    assert_eq!(error_positions(&parsed), [(1, 23)], "{:?}", parsed.errors);
    assert!(parsed.errors[0].message.contains("NUL"));
    assert!(parsed.file.items.is_empty());
}

/// The same without the NULs: a `"` inside a bare word that ends in `\` (a
/// `\\` at the end of a line) has no spelling that reads back the same.
#[test]
fn a_word_with_a_quote_that_ends_in_a_backslash_is_an_error() {
    for (src, column) in [
        ("VENDOR 1188882\"\\\\", 8),
        ("VENDOR CITRIX a\"b\\\\\n  PORT=7279", 15),
        ("INCREMENT f v 1 permanent 1 NOTICE=x\"\\\\", 29),
    ] {
        let parsed = assert_round_trip(src.as_bytes());
        assert_eq!(error_positions(&parsed), [(1, column)], "{src}");
        assert!(
            parsed.errors[0].message.contains("ends in `\\`"),
            "{src}: {}",
            parsed.errors[0].message
        );
    }
}

/// A host ID that ends in `\` was printed bare at the end of a line, where the
/// `\` continues the line; host IDs never end so.
#[test]
fn a_host_id_that_ends_in_a_backslash_is_an_error() {
    for (src, column) in [
        ("SERVER h ab\\\\", 10),
        ("SERVER h HOSTNAME=ab\\\\", 10),
        ("SERVER h HOSTNAME=\"ab\\\"", 10),
        ("SERVER h ANY ID=\"1\\\"", 14),
        ("INCREMENT f v 1 permanent 1 HOSTID=ab\\\\", 29),
        ("INCREMENT f v 1 permanent 1 HOSTID=\"ANY ab\\\"", 29),
        ("INCREMENT f v 1 permanent 1 HOSTID=\"{ab\"", 29),
    ] {
        let parsed = assert_round_trip(src.as_bytes());
        assert_eq!(error_positions(&parsed), [(1, column)], "{src}");
        assert!(
            parsed.errors[0].message.contains("not a host ID"),
            "{src}: {}",
            parsed.errors[0].message
        );
    }
}

/// A license file is text: a control character other than tab is an error
/// at its line and column, in a comment too, and its line is skipped.
#[test]
fn control_characters_are_errors_at_their_line_and_column() {
    let cases: [(&str, (usize, usize), &str, usize); 10] = [
        ("VENDOR CI\0TRIX\n", (1, 10), "NUL", 0),
        ("VENDOR CITRIX\nUSE_SERVER \u{1}\n", (2, 12), "U+0001", 1),
        ("# a comment\u{7f}\n", (1, 12), "U+007F", 0),
        (
            "#CITRIXTERM FEATURE 2.0 \u{4}UPERSEDE=\n",
            (1, 25),
            "U+0004",
            0,
        ),
        ("VENDOR \"C\u{1b}[0m\"\nUSE_SERVER", (1, 10), "U+001B", 1),
        ("VENDOR CITRIX \\\n    PORT=1\u{c}\n", (2, 11), "U+000C", 0),
        ("VENDOR CITRIX\u{85}\n", (1, 14), "U+0085", 0),
        ("VENDOR CITRIX\rUSE_SERVER\n", (1, 14), "carriage return", 0),
        ("# com\r\0nVENOTIC\r\r\r", (1, 6), "carriage return", 0),
        (
            "\r\r#CITRIXTERM FEATURE 2.0 \u{4}UPERSEDE=\r\r\ru\t\r",
            (1, 1),
            "carriage return",
            0,
        ),
    ];
    for (src, at, says, kept) in cases {
        let parsed = assert_round_trip(src.as_bytes());
        assert_eq!(error_positions(&parsed), [at], "{src:?}");
        assert!(
            parsed.errors[0].message.contains(says),
            "{src:?}: {}",
            parsed.errors[0].message
        );
        assert_eq!(parsed.file.items.len(), kept, "{src:?}");
    }
}

#[test]
fn tabs_and_carriage_returns_before_a_line_end_are_allowed() {
    for (src, items) in [
        ("VENDOR\tCITRIX\tPORT=7279\r\nUSE_SERVER\r\n", 2),
        ("VENDOR CITRIX\r\r\nUSE_SERVER\r\r", 2),
        ("# a comment\r\r\r\nUSE_SERVER", 2),
        ("VENDOR CITRIX \\\r\n    PORT=7279\r\n", 1),
    ] {
        let parsed = assert_round_trip(src.as_bytes());
        assert_eq!(parsed.errors, [], "{src:?}");
        assert_eq!(parsed.file.items.len(), items, "{src:?}");
    }
    assert_eq!(
        parse("# a comment\r\r\r\n").file.items,
        [Item::Comment {
            text: " a comment".to_owned()
        }]
    );
    assert_eq!(
        parse("VENDOR CITRIX\r").file,
        parse("VENDOR CITRIX\r\n").file
    );
}
