//! Property tests: printing any model and parsing it back gives the same
//! model; no input, however broken, makes the parser panic.

use chrono::NaiveDate;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::date::{Expiry, Version};
use super::model::*;
use super::{parse, parse_bytes, print};

const KNOWN: [&str; 11] = [
    "VENDOR_STRING",
    "DUP_GROUP",
    "ISSUED",
    "ISSUER",
    "NOTICE",
    "SN",
    "START",
    "SIGN",
    "SUPERSEDE",
    "SUPERSEDE_SIGN",
    "HOSTID",
];

fn ident() -> impl Strategy<Value = String> {
    "[A-Z][A-Z0-9_]{0,12}"
}

/// Free text as a value may hold it: no quote, no line end, any Unicode.
fn text() -> impl Strategy<Value = String> {
    "[ -!#-~é日本\\\\]{0,20}"
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1i32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn version() -> impl Strategy<Value = Version> {
    "[0-9]{1,4}(\\.[0-9]{1,4})?".prop_map(|v| Version::parse(&v).unwrap())
}

fn expiry() -> impl Strategy<Value = Expiry> {
    prop_oneof![Just(Expiry::Permanent), date().prop_map(Expiry::On)]
}

fn count() -> impl Strategy<Value = Count> {
    prop_oneof![Just(Count::Uncounted), (1u32..).prop_map(Count::Licenses)]
}

fn signature() -> impl Strategy<Value = String> {
    vec("[0-9A-F]{4}", 1..20).prop_map(|g| g.join(" "))
}

fn host_id() -> impl Strategy<Value = HostId> {
    prop_oneof![
        "[0-9a-f]{12}".prop_map(HostId::Ether),
        "[a-z0-9_.-]{1,12}".prop_map(HostId::Hostname),
        "[0-9*]{1,3}\\.[0-9*]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}".prop_map(HostId::Internet),
        Just(HostId::Any),
        Just(HostId::Demo),
        "[0-9]{1,8}".prop_map(|v| HostId::Other(format!("ID={v}"))),
    ]
}

fn other_attribute() -> impl Strategy<Value = Attribute> {
    let name = prop_oneof!["[A-Z]{2,6}_[A-Z]{2,6}", "[a-z]{2,6}_[a-z]{2,6}",]
        .prop_filter("not a known attribute or host ID type", |n| {
            !KNOWN.contains(&n.as_str()) && n != "VM_UUID"
        });
    (name, option::of(text()))
        .prop_map(|(name, value)| Attribute::Other(OtherAttribute { name, value }))
}

fn known_attributes() -> impl Strategy<Value = Vec<Attribute>> {
    (
        option::of(text().prop_map(|text| Attribute::VendorString(VendorString { text }))),
        option::of("[A-Z]{1,4}".prop_map(Attribute::DupGroup)),
        option::of(date().prop_map(Attribute::Issued)),
        option::of(text().prop_map(Attribute::Issuer)),
        option::of(text().prop_map(Attribute::Notice)),
        option::of(text().prop_map(Attribute::SerialNumber)),
        option::of(date().prop_map(Attribute::Start)),
        option::of(signature().prop_map(Attribute::Sign)),
        option::of(option::of(vec(ident(), 0..4)).prop_map(Attribute::Supersede)),
        option::of(vec((ident(), signature()), 0..3).prop_map(|l| {
            Attribute::SupersedeSign(
                l.into_iter()
                    .map(|(feature, sign)| SupersededLine { feature, sign })
                    .collect(),
            )
        })),
        option::of(vec(host_id(), 1..4).prop_map(Attribute::HostId)),
    )
        .prop_map(|t| {
            [t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9, t.10]
                .into_iter()
                .flatten()
                .collect()
        })
}

fn attributes() -> impl Strategy<Value = Vec<Attribute>> {
    (known_attributes(), vec(other_attribute(), 0..4)).prop_flat_map(|(mut known, others)| {
        known.extend(others);
        Just(known).prop_shuffle()
    })
}

/// A positional word (a host or a path): a `"` or a `\` may stand after its
/// first character, but not both a `"` and a trailing `\` (no spelling holds
/// that).
fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z_/.][a-zA-Z0-9_/.:\"\\\\-]{0,15}"
        .prop_filter("not a quote with a trailing backslash", |w| {
            !(w.contains('"') && w.ends_with('\\'))
        })
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        Just(Item::Blank),
        "[ -~é]{0,30}"
            .prop_filter("not a display name", |t| !t.starts_with("CITRIXTERM"))
            .prop_map(|text| Item::Comment { text }),
        (
            "[0-9]\\.[0-9]",
            ident(),
            "[A-Z]{2}",
            "[A-Za-z][A-Za-z ]{0,20}[a-z]",
            "[A-Z][a-z]{0,10}"
        )
            .prop_map(|(format, feature, language, product, model)| {
                Item::DisplayName(DisplayName {
                    format,
                    feature,
                    language,
                    product,
                    model,
                })
            }),
        Just(Item::UseServer),
        (
            word(),
            host_id(),
            vec(
                prop_oneof![
                    "[0-9a-f]{12}".prop_map(HostId::Ether),
                    "[a-z]{1,8}".prop_map(HostId::Hostname),
                    Just(HostId::Any),
                ],
                0..2,
            ),
            option::of(1u16..),
            vec(other_attribute(), 0..2)
        )
            .prop_map(|(host, first, more, port, attributes)| {
                let mut host_ids = vec![first];
                host_ids.extend(more);
                Item::Server(ServerLine {
                    host,
                    host_ids,
                    port,
                    attributes,
                })
            }),
        (
            prop_oneof![Just(VendorKeyword::Vendor), Just(VendorKeyword::Daemon)],
            ident(),
            option::of(word()),
            option::of(word()),
            option::of(1u16..),
            // A bare word after the name is positional: VENDOR lines take
            // no flags, only NAME=value attributes.
            vec(
                other_attribute().prop_filter("valued", |a| {
                    matches!(a, Attribute::Other(o) if o.value.is_some())
                }),
                0..2
            ),
        )
            .prop_map(
                |(keyword, name, daemon_path, options_path, port, attributes)| {
                    Item::Vendor(VendorLine {
                        keyword,
                        name,
                        daemon_path,
                        options_path,
                        port,
                        attributes,
                    })
                }
            ),
        (
            prop_oneof![
                Just(FeatureKeyword::Feature),
                Just(FeatureKeyword::Increment)
            ],
            ident(),
            ident(),
            version(),
            expiry(),
            count(),
            option::of(prop_oneof!["[0-9A-F]{12}", "[0-9A-F]{20}"]),
            attributes(),
        )
            .prop_map(
                |(keyword, feature, vendor, version, expiry, count, license_key, attributes)| {
                    Item::Feature(FeatureLine {
                        keyword,
                        feature,
                        vendor,
                        version,
                        expiry,
                        count,
                        license_key,
                        attributes,
                    })
                }
            ),
        (
            ident(),
            ident(),
            version(),
            version(),
            expiry(),
            count(),
            attributes()
        )
            .prop_map(
                |(feature, vendor, from_version, to_version, expiry, count, attributes)| {
                    Item::Upgrade(UpgradeLine {
                        feature,
                        vendor,
                        from_version,
                        to_version,
                        expiry,
                        count,
                        attributes,
                    })
                }
            ),
        (ident(), ident(), option::of(version()), attributes()).prop_map(
            |(package, vendor, version, attributes)| {
                Item::Package(PackageLine {
                    package,
                    vendor,
                    version,
                    attributes,
                })
            }
        ),
    ]
}

fn file() -> impl Strategy<Value = LicenseFile> {
    vec(item(), 0..12).prop_map(|items| LicenseFile { items })
}

fn fixtures() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    files.sort();
    files
}

/// One edit of a byte string, with bytes that matter to the grammar.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"\\\"\n\r{}=# -;:".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 0usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 0usize..200).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match *m {
        Mutation::Flip(i, b) if !bytes.is_empty() => bytes[i % len] = b,
        Mutation::Flip(_, b) => bytes.push(b),
        Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Mutation::Delete(i, n) => {
            let start = i % len;
            let end = (start + n).min(bytes.len());
            bytes.drain(start.min(end)..end);
        }
        Mutation::Duplicate(i, n) => {
            let start = i % len;
            let end = (start + n).min(bytes.len());
            let copy: Vec<u8> = bytes.get(start..end).unwrap_or_default().to_vec();
            bytes.splice(start..start, copy);
        }
    }
}

/// When a text parses cleanly, printing its model and parsing that again
/// gives the same model.
fn assert_reprints(text: &[u8]) -> Result<(), TestCaseError> {
    let parsed = parse_bytes(text);
    if parsed.errors.is_empty() && parsed.warnings.is_empty() {
        let printed = print(&parsed.file);
        let again = parse(&printed);
        let input = String::from_utf8_lossy(text);
        prop_assert_eq!(
            again.errors,
            vec![],
            "input:\n{}\nprinted:\n{}",
            input,
            printed
        );
        prop_assert_eq!(
            again.file,
            parsed.file,
            "input:\n{}\nprinted:\n{}",
            input,
            printed
        );
    }
    Ok(())
}

/// Pieces of a hand-written value: the characters the grammar treats
/// specially (quotes, backslashes, braces, `=`), white space, line
/// continuations and ends, and control characters.
fn value_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "Z",
        "1",
        "é",
        " ",
        "\t",
        "\"",
        "\\",
        "{",
        "}",
        "=",
        "#",
        "\0",
        "\u{1}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\r",
        "\\\n    ",
        " \\\r\n  ",
        "\r\n",
    ]);
    vec(piece, 0..14).prop_map(|p| p.concat())
}

/// A line that puts `value_text` where a value, a positional word, a host ID
/// or a comment stands, quoted or not, then a second line.
fn line_with_value() -> impl Strategy<Value = String> {
    let shape = prop::sample::select(vec![
        "VENDOR {}",
        "VENDOR CITRIX {} PORT=7279",
        "VENDOR CITRIX OPTIONS=\"{}\"",
        "INCREMENT f CITRIX 1.0 permanent 1 NOTICE={}",
        "INCREMENT f CITRIX 1.0 permanent 1 NOTICE=\"{}\" SN=1",
        "INCREMENT f CITRIX 1.0 permanent 1 HOSTID=\"{}\"",
        "INCREMENT f CITRIX 1.0 permanent 1 SUPERSEDE={}",
        "SERVER h {}",
        "SERVER h ANY HOSTNAME=\"{}\" 27000",
        "#{}",
    ]);
    (shape, value_text())
        .prop_map(|(shape, v)| format!("{}\nUSE_SERVER\n", shape.replace("{}", &v)))
}

/// The line and column of the first control character of `src` that is
/// not tab nor part of a line end, counted as the reader counts.
fn first_control(src: &str) -> Option<(usize, usize)> {
    src.split('\n').enumerate().find_map(|(n, line)| {
        let (column, _) = line
            .trim_end_matches('\r')
            .chars()
            .enumerate()
            .find(|(_, c)| c.is_control() && *c != '\t')?;
        Some((n + 1, column + 1))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever a value holds, a line read cleanly prints back to itself,
    /// the first control character is an error at its line and column, and
    /// none reaches the model.
    #[test]
    fn values_with_quotes_backslashes_and_controls_read_back_or_are_refused(
        src in line_with_value(),
    ) {
        let parsed = parse(&src);
        if let Some(at) = first_control(&src) {
            let errors: Vec<(usize, usize)> =
                parsed.errors.iter().map(|e| (e.line, e.column)).collect();
            prop_assert!(errors.contains(&at), "{:?}: {:?}", src, parsed.errors);
        }
        let printed = print(&parsed.file);
        prop_assert!(
            !printed.contains(|c: char| c.is_control() && c != '\t' && c != '\n'),
            "{:?} -> {:?}",
            src,
            printed
        );
        assert_reprints(src.as_bytes())?;
    }

    #[test]
    fn printed_files_parse_back_to_the_same_model(f in file()) {
        let printed = print(&f);
        let parsed = parse(&printed);
        prop_assert_eq!(parsed.errors, vec![], "{}", printed);
        prop_assert_eq!(parsed.warnings, vec![], "{}", printed);
        prop_assert_eq!(parsed.file, f, "{}", printed);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..4096)) {
        let parsed = parse_bytes(&bytes);
        // Every diagnostic points inside the input.
        let lines = bytes.split(|b| *b == b'\n').count();
        for d in parsed.errors.iter().chain(&parsed.warnings) {
            prop_assert!(d.line >= 1 && d.line <= lines);
        }
        assert_reprints(&bytes)?;
    }

    #[test]
    fn mutated_real_files_never_panic(
        which in 0usize..4,
        edits in vec(mutation(), 1..8),
    ) {
        let fixtures = fixtures();
        let mut bytes = fixtures[which % fixtures.len()].clone();
        for m in &edits {
            apply(&mut bytes, m);
        }
        parse_bytes(&bytes);
        assert_reprints(&bytes)?;
    }
}

#[test]
fn a_huge_continued_line_is_one_bounded_error() {
    let mut src = String::from("INCREMENT F CITRIX 1.0 permanent 1 \\\n");
    while src.len() < 2 * 1024 * 1024 {
        src.push_str("    NOTICE=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \\\n");
    }
    src.push_str("VENDOR_STRING=a\nVENDOR CITRIX\n");
    let parsed = parse(&src);
    assert_eq!(parsed.errors.len(), 1);
    assert!(parsed.errors[0].message.contains("longer than"));
    assert_eq!(parsed.file.items.len(), 1);
}
