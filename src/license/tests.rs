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
