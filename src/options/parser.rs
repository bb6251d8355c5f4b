//! Reading `CITRIX.opt`: one directive a line, `#` comments, a trailing `\`
//! continues a line, keywords in any case, names as written (quote names
//! with spaces: `INCLUDE XDT_PLT_UD USER "Jack Smith"`).

use serde::Serialize;

use super::{Directive, NoLog, Options, Target, TargetKind};
use crate::license::Diagnostic;

/// The model, and what was wrong with the rest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParsedOptions {
    pub options: Options,
    /// Lines skipped, with why.
    pub errors: Vec<Diagnostic>,
    /// Lines kept but worth a look (unknown keywords, undefined groups).
    pub warnings: Vec<Diagnostic>,
}

/// A word of a line and the 1-based column it starts at.
type Word = (String, usize);

/// Splits a line into words; `"…"` quotes a word with spaces.
fn words(line: &str) -> Result<Vec<Word>, (usize, String)> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let column = line[..i].chars().count() + 1;
        let mut word = String::new();
        if c == '"' {
            chars.next();
            let mut closed = false;
            for (_, c) in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                word.push(c);
            }
            if !closed {
                return Err((
                    column,
                    "unterminated quoted name (expected a closing `\"`)".into(),
                ));
            }
        } else {
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        out.push((word, column));
    }
    Ok(out)
}

/// Joins `\` continuations; yields (first line number, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut acc) = pending.take().unwrap_or((n + 1, String::new()));
        if let Some(body) = raw.trim_end().strip_suffix('\\') {
            acc.push_str(body);
            acc.push(' ');
            pending = Some((start, acc));
        } else {
            acc.push_str(raw);
            out.push((start, acc));
        }
    }
    out.extend(pending);
    out
}

/// Parses an options file.
pub fn parse(text: &str) -> ParsedOptions {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = ParsedOptions::default();
    // Where each kept directive starts: (line, column).
    let mut at: Vec<(usize, usize)> = Vec::new();
    for (line, content) in logical_lines(text) {
        let trimmed = content.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let diag = |column: usize, message: String| Diagnostic {
            line,
            column,
            message,
        };
        let keyword = trimmed.split_whitespace().next().unwrap_or("");
        if let Some(why) = not_supported(keyword) {
            let column = content.len() - content.trim_start().len() + 1;
            parsed.warnings.push(diag(column, why));
            continue;
        }
        match words(&content).and_then(|w| directive(&w)) {
            Ok(Some(d)) => {
                parsed.options.directives.push(d);
                at.push((line, content.len() - content.trim_start().len() + 1));
            }
            Ok(None) => parsed.warnings.push(diag(
                content.len() - content.trim_start().len() + 1,
                format!(
                    "unknown keyword `{}`: line ignored",
                    trimmed.split_whitespace().next().unwrap_or("")
                ),
            )),
            Err((column, message)) => parsed.errors.push(diag(column, message)),
        }
    }
    check_groups(&mut parsed, &at);
    parsed
}

/// A GROUP or HOST_GROUP named by a directive but never defined: a warning
/// at the line of each directive that names it (`at` holds where each
/// directive starts).
fn check_groups(parsed: &mut ParsedOptions, at: &[(usize, usize)]) {
    let defined = |name: &str, hosts: bool| {
        parsed.options.directives.iter().any(|d| match d {
            Directive::Group { name: n, .. } => !hosts && n == name,
            Directive::HostGroup { name: n, .. } => hosts && n == name,
            _ => false,
        })
    };
    let mut missing = Vec::new();
    for (d, &(line, column)) in parsed.options.directives.iter().zip(at) {
        let target = match d {
            Directive::Include { target, .. }
            | Directive::Exclude { target, .. }
            | Directive::IncludeAll { target }
            | Directive::ExcludeAll { target }
            | Directive::Reserve { target, .. }
            | Directive::Max { target, .. } => target,
            _ => continue,
        };
        let hosts = target.kind == TargetKind::HostGroup;
        if matches!(target.kind, TargetKind::Group | TargetKind::HostGroup)
            && !defined(&target.name, hosts)
        {
            missing.push((line, column, target.name.clone()));
        }
    }
    for (line, column, name) in missing {
        parsed.warnings.push(Diagnostic {
            line,
            column,
            message: format!("group `{name}` is used but never defined"),
        });
    }
}

type Parse<T> = Result<T, (usize, String)>;

fn directive(w: &[Word]) -> Parse<Option<Directive>> {
    let keyword = w[0].0.to_ascii_uppercase();
    let arg = |i: usize, what: &str| -> Parse<&Word> {
        w.get(i)
            .ok_or_else(|| (w[w.len() - 1].1, format!("{keyword} needs {what}")))
    };
    let end = |n: usize| -> Parse<()> {
        match w.get(n) {
            Some((extra, col)) => Err((
                *col,
                format!("unexpected `{extra}` after {keyword}'s arguments"),
            )),
            None => Ok(()),
        }
    };
    let d = match keyword.as_str() {
        "INCLUDE" | "EXCLUDE" => {
            let feature = feature(arg(1, "a feature")?)?;
            let target = target(arg(2, "a type (USER, HOST, GROUP, …)")?, arg(3, "a name")?)?;
            end(4)?;
            if keyword == "INCLUDE" {
                Directive::Include { feature, target }
            } else {
                Directive::Exclude { feature, target }
            }
        }
        "INCLUDEALL" | "EXCLUDEALL" => {
            let target = target(arg(1, "a type")?, arg(2, "a name")?)?;
            end(3)?;
            if keyword == "INCLUDEALL" {
                Directive::IncludeAll { target }
            } else {
                Directive::ExcludeAll { target }
            }
        }
        "RESERVE" | "MAX" => {
            let count = arg(1, "a number of licenses")?;
            let count = u32::try_from(number(count, "a number of licenses")?).map_err(|_| {
                (
                    count.1,
                    format!("{} licenses is more than can be counted", count.0),
                )
            })?;
            let feature = feature(arg(2, "a feature")?)?;
            let target = target(arg(3, "a type")?, arg(4, "a name")?)?;
            end(5)?;
            if keyword == "RESERVE" {
                Directive::Reserve {
                    count,
                    feature,
                    target,
                }
            } else {
                Directive::Max {
                    count,
                    feature,
                    target,
                }
            }
        }
        "GROUP" | "USER_GROUP" | "HOST_GROUP" => {
            let name = arg(1, "a name")?.0.clone();
            let members: Vec<String> = w[2..].iter().map(|(m, _)| m.clone()).collect();
            if members.is_empty() {
                return Err((
                    w[1].1,
                    format!("{keyword} {name} needs at least one member"),
                ));
            }
            if keyword == "HOST_GROUP" {
                Directive::HostGroup { name, members }
            } else {
                Directive::Group { name, members }
            }
        }
        "GROUPCASEINSENSITIVE" => {
            let on = match arg(1, "ON or OFF")?.0.to_ascii_uppercase().as_str() {
                "ON" => true,
                "OFF" => false,
                _ => return Err((w[1].1, format!("expected ON or OFF, found `{}`", w[1].0))),
            };
            end(2)?;
            Directive::GroupCaseInsensitive { on }
        }
        "TIMEOUT" => {
            let feature = feature(arg(1, "a feature")?)?;
            let seconds = number(arg(2, "seconds")?, "a number of seconds")?;
            end(3)?;
            Directive::Timeout { feature, seconds }
        }
        "TIMEOUTALL" => {
            let seconds = number(arg(1, "seconds")?, "a number of seconds")?;
            end(2)?;
            Directive::TimeoutAll { seconds }
        }
        "NOLOG" => {
            let (what, col) = arg(1, "IN, OUT, DENIED, QUEUED or UNSUPPORTED")?;
            let what = match what.to_ascii_uppercase().as_str() {
                "IN" => NoLog::In,
                "OUT" => NoLog::Out,
                "DENIED" => NoLog::Denied,
                "QUEUED" => NoLog::Queued,
                "UNSUPPORTED" => NoLog::Unsupported,
                _ => {
                    return Err((
                        *col,
                        format!("expected IN, OUT, DENIED, QUEUED or UNSUPPORTED, found `{what}`"),
                    ));
                }
            };
            end(2)?;
            Directive::NoLog { what }
        }
        _ => return Ok(None),
    };
    Ok(Some(d))
}

/// Why a FlexNet keyword this server does not act on is refused at its
/// line: what becomes of it, and where the same information is.
fn not_supported(keyword: &str) -> Option<String> {
    let what = match keyword.to_ascii_uppercase().as_str() {
        "DEBUGLOG" => {
            "DEBUGLOG is not supported: the CITRIX vendor daemon writes to lmgrd's one debug \
             log (lmgrd --log, by default DATA_DIR/debug.log), not to a file of its own"
        }
        "REPORTLOG" => {
            "REPORTLOG is not supported: no report log is written; checkouts, checkins and \
             denials are in the debug log (OUT:, IN:, DENIED: lines) and in `udadmin -events`"
        }
        _ => return None,
    };
    Some(format!("{what}; line ignored"))
}

/// A feature name. FlexNet's `feature:KEYWORD=value` form, which narrows
/// an option to some lines of a feature, is refused with its column rather
/// than read as a feature name that would never match.
fn feature((text, col): &Word) -> Parse<String> {
    match text.find(':') {
        Some(at) if text[at + 1..].contains('=') => Err((
            col + text[..at].chars().count(),
            format!(
                "`{}`: options for some lines of a feature (`:KEYWORD=value`) are not \
                 supported; name the feature alone",
                text
            ),
        )),
        _ => Ok(text.clone()),
    }
}

fn number((text, col): &Word, what: &str) -> Parse<u64> {
    text.parse()
        .map_err(|_| (*col, format!("expected {what}, found `{text}`")))
}

fn target((kind, col): &Word, (name, _): &Word) -> Parse<Target> {
    let kind = match kind.to_ascii_uppercase().as_str() {
        "USER" => TargetKind::User,
        "HOST" => TargetKind::Host,
        "DISPLAY" => TargetKind::Display,
        "INTERNET" => TargetKind::Internet,
        "PROJECT" => TargetKind::Project,
        "GROUP" | "USER_GROUP" => TargetKind::Group,
        "HOST_GROUP" => TargetKind::HostGroup,
        _ => {
            return Err((
                *col,
                format!(
                    "expected USER, HOST, DISPLAY, INTERNET, PROJECT, GROUP or HOST_GROUP, found `{kind}`"
                ),
            ));
        }
    };
    Ok(Target {
        kind,
        name: name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_example_and_every_keyword() {
        let text = "# options\r\nRESERVE 1 compile USER robert\nRESERVE 3 compile HOST mainline\n\
                    EXCLUDE compile USER lori\nNOLOG QUEUED\ninclude XDT_PLT_UD USER \"Jack Smith\"\n\
                    GROUP admins 山田 ann \\\n  bob\nMAX 2 XDT_PLT_UD GROUP admins\nTIMEOUT XDT_PLT_CCU 3600\n\
                    TIMEOUTALL 7200\nGROUPCASEINSENSITIVE ON\nHOST_GROUP labs pc1 pc2\n\
                    EXCLUDEALL HOST_GROUP labs\nINCLUDEALL INTERNET 10.1.*.*\n";
        let p = parse(text);
        assert_eq!(p.errors, []);
        assert_eq!(p.warnings, []);
        let d = &p.options.directives;
        assert_eq!(d.len(), 13);
        assert!(matches!(&d[4], Directive::Include { target, .. } if target.name == "Jack Smith"));
        assert!(
            matches!(&d[5], Directive::Group { members, .. } if members == &["山田", "ann", "bob"])
        );
        assert_eq!(p.options.timeout("XDT_PLT_CCU"), Some(3600));
        assert_eq!(p.options.timeout("OTHER"), Some(7200));
        assert!(p.options.no_log(NoLog::Queued));
    }

    #[test]
    fn line_qualifiers_and_huge_counts_are_refused_where_they_are() {
        let text = "INCLUDE f1:VERSION=2026.1201 USER a\nRESERVE 4294967297 f USER a\n\
                    TIMEOUT f:KEY=1234 60\nMAX 1 odd:name USER b\n";
        let p = parse(text);
        let at: Vec<(usize, usize)> = p.errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(at, [(1, 11), (2, 9), (3, 10)], "{:#?}", p.errors);
        assert!(p.errors[0].message.contains("name the feature alone"));
        // A colon without `=` is part of a name.
        assert!(
            matches!(&p.options.directives[..], [Directive::Max { feature, .. }] if feature == "odd:name")
        );
    }

    #[test]
    fn a_file_full_of_errors_reports_each_line_and_keeps_the_rest() {
        let text = "RESERVE five f USER a\nINCLUDE f USR a\nMAX 2 f\nGROUP empty\nFOO bar\n\
                    INCLUDE f USER \"open\nNOLOG SOMETIMES\nEXCLUDE f USER ok\nINCLUDE f GROUP ghosts\n";
        let p = parse(text);
        let at: Vec<(usize, usize)> = p.errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            at,
            [(1, 9), (2, 11), (3, 7), (4, 7), (6, 16), (7, 7)],
            "{:#?}",
            p.errors
        );
        assert!(p.errors[0].message.contains("number of licenses"));
        assert!(p.errors[1].message.contains("expected USER, HOST"));
        assert_eq!(p.options.directives.len(), 2);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.line == 5 && w.message.contains("unknown keyword `FOO`"))
        );
        assert!(p.warnings.iter().any(|w| (w.line, w.column) == (9, 1)
            && w.message.contains("`ghosts` is used but never defined")));
    }

    #[test]
    fn debuglog_and_reportlog_are_warnings_at_their_line_never_silence() {
        let p = parse("NOLOG IN\n  debuglog +/var/log/citrix.log\nREPORTLOG +/var/log/report.rl\n");
        assert_eq!(p.errors, []);
        assert_eq!(p.options.directives.len(), 1);
        let at: Vec<(usize, usize)> = p.warnings.iter().map(|w| (w.line, w.column)).collect();
        assert_eq!(at, [(2, 3), (3, 1)]);
        assert!(
            p.warnings[0]
                .message
                .starts_with("DEBUGLOG is not supported: ")
        );
        assert!(
            p.warnings[1]
                .message
                .starts_with("REPORTLOG is not supported: ")
        );
        assert!(
            p.warnings
                .iter()
                .all(|w| w.message.ends_with("; line ignored"))
        );
    }

    #[test]
    fn arbitrary_text_never_panics() {
        use proptest::prelude::*;
        proptest!(|(text in "\\PC{0,300}")| { parse(&text); });
    }
}
