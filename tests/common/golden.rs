//! Golden files: FlexNet-format text pinned under `tests/golden/`, with
//! placeholders for what changes from run to run (ports, host name, paths,
//! versions, dates and times). `LMUTIL_BLESS=1 cargo test` rewrites them
//! from what the commands print; otherwise a difference fails the test
//! with a line diff.

use std::path::PathBuf;

use super::{TestDaemon, hostname, repo_path};

/// The variable that rewrites the golden files instead of comparing.
const BLESS: &str = "LMUTIL_BLESS";

/// Lines of context around each difference.
const CONTEXT: usize = 3;

/// What to replace with placeholders before comparing.
pub struct Masks {
    /// (exact text, placeholder), longest text first.
    literals: Vec<(String, String)>,
    /// (start of a line, placeholder for the rest of it).
    line_rests: Vec<(String, String)>,
}

impl Masks {
    /// This machine's name as `{HOST}` and our version as `{VERSION}`.
    pub fn new() -> Masks {
        Masks {
            literals: Vec::new(),
            line_rests: Vec::new(),
        }
        .with(hostname(), "{HOST}")
        .with(env!("CARGO_PKG_VERSION"), "{VERSION}")
    }

    /// Also `d`'s ports as `{LM_PORT}` and `{VENDOR_PORT}`, and its root
    /// directory as `{ROOT}`.
    pub fn daemon(d: &TestDaemon) -> Masks {
        Masks::new()
            .with(d.lm_port.to_string(), "{LM_PORT}")
            .with(d.vendor_port.to_string(), "{VENDOR_PORT}")
            .with(d.root.path().to_str().unwrap(), "{ROOT}")
    }

    /// Also `value` as `placeholder`, wherever it is not part of a longer
    /// number or word (a port inside a longer number stays).
    pub fn with(mut self, value: impl Into<String>, placeholder: &str) -> Masks {
        self.literals.push((value.into(), placeholder.to_owned()));
        self.literals
            .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        self
    }

    /// Also the rest of every line that starts with `start` (after the
    /// other masks), as `placeholder`: for what differs from one machine
    /// to another in number as well as in value.
    pub fn line_rest(mut self, start: &str, placeholder: &str) -> Masks {
        self.line_rests
            .push((start.to_owned(), placeholder.to_owned()));
        self
    }

    /// `text` with the literals masked, then dates and times, then the
    /// rests of lines.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (value, placeholder) in &self.literals {
            out = replace_words(&out, value, placeholder);
        }
        let out = mask_dates_and_times(&out);
        let lines: Vec<String> = out.split('\n').map(|l| self.mask_rest(l)).collect();
        lines.join("\n")
    }

    /// `line` with its rest masked if it starts as one of `line_rests`.
    fn mask_rest(&self, line: &str) -> String {
        for (start, placeholder) in &self.line_rests {
            match line.strip_prefix(start.as_str()) {
                Some("") => break,
                Some(_) => return format!("{start}{placeholder}"),
                None => {}
            }
        }
        line.to_owned()
    }
}

/// `text` with every `value` that is not part of a longer number or word
/// replaced.
fn replace_words(text: &str, value: &str, placeholder: &str) -> String {
    // Two digits, or two letters, are one token; `v` and `0.1.0` are not.
    let kind = |c: char| {
        if c.is_ascii_digit() {
            1
        } else if c.is_alphabetic() || c == '_' {
            2
        } else {
            0
        }
    };
    let glued = |a: Option<char>, b: Option<char>| match (a, b) {
        (Some(a), Some(b)) => kind(a) != 0 && kind(a) == kind(b),
        _ => false,
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(value) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + value.len()..].chars().next();
        out.push_str(&rest[..at]);
        if glued(before, value.chars().next()) || glued(value.chars().last(), after) {
            out.push_str(value);
        } else {
            out.push_str(placeholder);
        }
        rest = &rest[at + value.len()..];
    }
    out.push_str(rest);
    out
}

/// Masks `12/2/2026` as `{DATE}`, `12/2` as `{M/D}`, `9:05` and `09:05:59`
/// as `{TIME}`, and a weekday before a date as `{DAY}`.
fn mask_dates_and_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let mut last: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_digit() || c == '/' || c == ':' {
            run.push(c);
            continue;
        }
        flush_run(&mut out, &mut run, last, Some(c));
        out.push(c);
        last = Some(c);
    }
    flush_run(&mut out, &mut run, last, None);
    for day in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] {
        for date in ["{DATE}", "{M/D}"] {
            out = out.replace(&format!("{day} {date}"), &format!("{{DAY}} {date}"));
        }
    }
    out
}

/// Writes a run of digits, `/` and `:` masked if it is a whole date or time.
fn flush_run(out: &mut String, run: &mut String, before: Option<char>, after: Option<char>) {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '.');
    let shape = if glued(before) || glued(after) {
        None
    } else {
        date_or_time(run)
    };
    out.push_str(shape.unwrap_or(run));
    run.clear();
}

/// The placeholder for `run` if it is a date or a time.
fn date_or_time(run: &str) -> Option<&'static str> {
    let digits = |part: &str, lens: &[usize]| {
        lens.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    let slash: Vec<&str> = run.split('/').collect();
    let colon: Vec<&str> = run.split(':').collect();
    match (slash.as_slice(), colon.as_slice()) {
        ([m, d, y], _) if digits(m, &[1, 2]) && digits(d, &[1, 2]) && digits(y, &[4]) => {
            Some("{DATE}")
        }
        ([m, d], _) if digits(m, &[1, 2]) && digits(d, &[1, 2]) => Some("{M/D}"),
        (_, [h, m]) if digits(h, &[1, 2]) && digits(m, &[2]) => Some("{TIME}"),
        (_, [h, m, s]) if digits(h, &[1, 2]) && digits(m, &[2]) && digits(s, &[2]) => {
            Some("{TIME}")
        }
        _ => None,
    }
}

fn golden_path(name: &str) -> PathBuf {
    repo_path(&format!("tests/golden/{name}"))
}

/// Compares `actual`, masked, with `tests/golden/NAME`; with
/// `LMUTIL_BLESS=1` writes it there instead.
#[track_caller]
pub fn assert_golden(name: &str, masks: &Masks, actual: &str) {
    let actual = masks.apply(actual);
    let path = golden_path(name);
    if std::env::var(BLESS).is_ok_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        eprintln!("{BLESS}: wrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nrun with {BLESS}=1 to write it from this output:\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "the output differs from {} (- golden, + now, | ends a line; \
             {BLESS}=1 rewrites it):\n{}",
            path.display(),
            diff(&expected, &actual)
        );
    }
}

/// A line diff of `a` and `b`: changed lines with some context.
fn diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.split('\n').collect();
    let b: Vec<&str> = b.split('\n').collect();
    let ops = edit_script(&a, &b);
    let near_change = |i: usize| {
        let lo = i.saturating_sub(CONTEXT);
        let hi = (i + CONTEXT + 1).min(ops.len());
        ops[lo..hi].iter().any(|(tag, _)| *tag != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (i, (tag, line)) in ops.iter().enumerate() {
        if near_change(i) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            // `|` ends each line, so trailing blanks show.
            out.push_str(&format!("{tag} {line}|\n"));
        } else {
            skipped = true;
        }
    }
    out
}

/// The longest common subsequence of lines, as (' ' | '-' | '+', line).
fn edit_script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(char, &'a str)> {
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j == b.len() || (i < a.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    ops
}

/// The helper's own checks: what is masked and what is not, and the diff.
mod checks {
    use super::{Masks, diff};

    #[test]
    fn only_whole_values_dates_and_times_are_masked() {
        let masks = Masks {
            literals: Vec::new(),
            line_rests: Vec::new(),
        }
        .with("4567", "{PORT}")
        .with("0.1.0", "{VERSION}")
        .line_rest("IDs: ", "{IDS}");
        let text = "4567@h 14567 45678 v0.1.0 127.0.0.1:4567 2026.1201 01-dec-2027\n\
                    start Wed 12/2 9:05, 2 licenses\n\
                    status on Sun 11/22/2026 21:30, at 10:41:02 (lmgrd)\n\
                    Sun 12 1/2/3 12/2/26 123:45\n\
                    IDs: 02fc00000001 INTERNET=192.0.2.2\nIDs: ";
        assert_eq!(
            masks.apply(text),
            "{PORT}@h 14567 45678 v{VERSION} 127.0.0.1:{PORT} 2026.1201 01-dec-2027\n\
             start {DAY} {M/D} {TIME}, 2 licenses\n\
             status on {DAY} {DATE} {TIME}, at {TIME} (lmgrd)\n\
             Sun 12 1/2/3 12/2/26 123:45\n\
             IDs: {IDS}\nIDs: "
        );
    }

    #[test]
    fn the_diff_shows_each_change_with_its_context() {
        let golden = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let now = "a\nb\nc\nd\ne\nf\ng\nH\ni\nj\nk\n";
        assert_eq!(
            diff(golden, now),
            "  ...\n  e|\n  f|\n  g|\n- h|\n+ H|\n  i|\n  j|\n+ k|\n  |\n"
        );
        assert_eq!(diff("x \n", "x\n"), "- x |\n+ x|\n  |\n");
    }
}

/// `table` with every run of spaces or of rules drawn as one: tables
/// whose columns are sized by this host's or this user's name then
/// compare on any host.
pub fn squeezed(table: &str) -> String {
    let mut out = String::with_capacity(table.len());
    for c in table.chars() {
        let run = matches!(c, ' ' | '─' | '═');
        if !(run && out.ends_with(c)) {
            out.push(c);
        }
    }
    out
}
