//! Physical lines to logical lines.
//!
//! A license file is text: a line ends with LF, CRLF or a run of CRs (the
//! CRCRLF of a file converted twice), and tab is the only other control
//! character a line may hold. The first other one (NUL, C0, DEL, C1) is
//! recorded with its position, for the parser to refuse the line.
//!
//! A trailing `\` continues a line. Outside quotes the joint reads as one
//! space; inside a quoted value the backslash and the next line's indentation
//! are dropped, so `"John \` + `    Doe"` is `"John Doe"` and re-wrapping a
//! signed line never changes what it says.
//!
//! Files in the field carry damage from e-mail and PDF copies, and the seeds
//! show it; each repair below is reported as a warning, never done silently:
//! a `\` followed by more text on the same line is read as a space; a quoted
//! value left open at the end of a line continues on the next line when that
//! line closes it; and a line that starts with `NAME=` right after a feature
//! line continues it.

use std::ops::Range;

/// Where a byte of a logical line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    /// Offset in the logical text where this segment starts.
    logical: usize,
    /// Offset in the whole source where it starts.
    source: usize,
    /// 1-based physical line number.
    line: usize,
    /// 1-based column (in characters) of `source` on that line.
    column: usize,
}

/// A line of the file after joining continuations.
#[derive(Debug, Clone)]
pub(crate) struct LogicalLine {
    pub text: String,
    /// Whether it is a `#` comment (never continued).
    pub comment: bool,
    /// The byte range of the source it covers, newline excluded.
    pub source: Range<usize>,
    segments: Vec<Segment>,
    pub warnings: Vec<(usize, String)>,
    /// The first control character in the line's physical lines (tab and
    /// the line ends aside), and where it is.
    pub control: Option<(Position, char)>,
}

/// A 1-based line and column in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl LogicalLine {
    /// The source position of byte `offset` of the logical text.
    pub fn position(&self, offset: usize) -> Position {
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.logical <= offset)
            .copied()
            .unwrap_or(self.segments[0]);
        let chars = self.text[seg.logical..offset.min(self.text.len())]
            .chars()
            .count();
        Position {
            line: seg.line,
            column: seg.column + chars,
        }
    }

    /// The source byte offset of byte `offset` of the logical text.
    pub fn source_offset(&self, offset: usize) -> usize {
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.logical <= offset)
            .copied()
            .unwrap_or(self.segments[0]);
        seg.source + (offset - seg.logical)
    }

    pub fn first_line(&self) -> usize {
        self.segments[0].line
    }
}

/// One physical line: its text without the line end, and where it starts.
struct Physical<'a> {
    text: &'a str,
    start: usize,
    number: usize,
}

impl Physical<'_> {
    /// The first control character other than tab, with its position.
    fn control(&self) -> Option<(Position, char)> {
        let (column, c) = self
            .text
            .chars()
            .enumerate()
            .find(|(_, c)| c.is_control() && *c != '\t')?;
        let position = Position {
            line: self.number,
            column: column + 1,
        };
        Some((position, c))
    }
}

fn physical_lines(src: &str) -> Vec<Physical<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (number, raw) in src.split_inclusive('\n').enumerate() {
        // Trailing CRs are part of the line end (CRLF, CRCRLF), also on a
        // last line without a newline.
        let text = raw.strip_suffix('\n').unwrap_or(raw);
        let text = text.trim_end_matches('\r');
        out.push(Physical {
            text,
            start,
            number: number + 1,
        });
        start += raw.len();
    }
    out
}

/// Splits `src` into logical lines.
pub(crate) fn logical_lines(src: &str) -> Vec<LogicalLine> {
    let lines = physical_lines(src);
    let mut out: Vec<LogicalLine> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = &lines[i];
        if first.text.trim_start().starts_with('#') {
            out.push(comment_line(first));
            i += 1;
            continue;
        }
        if continues_feature_line(out.last(), first.text) {
            let prev = out.last_mut().expect("checked by continues_feature_line");
            let at = prev.text.len();
            prev.warnings.push((
                at,
                "this line continues the feature line above, which does not end with `\\`"
                    .to_owned(),
            ));
            i = append_lines(prev, &lines, i, true);
            continue;
        }
        let mut line = LogicalLine {
            text: String::new(),
            comment: false,
            source: first.start..first.start,
            segments: Vec::new(),
            warnings: Vec::new(),
            control: None,
        };
        i = append_lines(&mut line, &lines, i, false);
        out.push(line);
    }
    out
}

fn comment_line(p: &Physical<'_>) -> LogicalLine {
    LogicalLine {
        text: p.text.to_owned(),
        comment: true,
        source: p.start..p.start + p.text.len(),
        segments: vec![Segment {
            logical: 0,
            source: p.start,
            line: p.number,
            column: 1,
        }],
        warnings: Vec::new(),
        control: p.control(),
    }
}

const CONTINUED_KEYWORDS: [&str; 4] = ["FEATURE", "INCREMENT", "UPGRADE", "PACKAGE"];

/// A line of the form `NAME=…` right after a feature line (no blank between)
/// was meant to continue it.
fn continues_feature_line(prev: Option<&LogicalLine>, text: &str) -> bool {
    let Some(prev) = prev else { return false };
    if prev.comment || !prev.text.contains(char::is_whitespace) {
        return false;
    }
    let keyword = prev.text.split_whitespace().next().unwrap_or("");
    if !CONTINUED_KEYWORDS.contains(&keyword) {
        return false;
    }
    let first = text.split_whitespace().next().unwrap_or("");
    let Some((name, _)) = first.split_once('=') else {
        return false;
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Appends physical line `i` and its continuations to `line`; returns the
/// index of the next unread physical line.
fn append_lines(
    line: &mut LogicalLine,
    lines: &[Physical<'_>],
    mut i: usize,
    joint: bool,
) -> usize {
    let mut in_quote = false;
    let mut need_space = joint;
    loop {
        let p = &lines[i];
        line.control = line.control.or_else(|| p.control());
        let mut text = p.text;
        let mut offset = 0;
        if need_space {
            // Outside quotes a joint is one space; inside, nothing, and the
            // continuation's indentation is not part of the value.
            let trimmed = text.trim_start();
            offset = text.len() - trimmed.len();
            text = trimmed;
            if !in_quote {
                line.text.push(' ');
            }
        }
        line.segments.push(Segment {
            logical: line.text.len(),
            source: p.start + offset,
            line: p.number,
            column: p.text[..offset].chars().count() + 1,
        });
        line.source.end = p.start + p.text.len();
        let next = lines.get(i + 1).map(|n| n.text);
        let continued = scan(line, text, next, &mut in_quote);
        i += 1;
        match continued {
            Continued::No => return i,
            Continued::OpenQuote => {
                line.warnings.push((
                    line.text.len(),
                    "a quoted value runs on to the next line without a `\\`".to_owned(),
                ));
                line.text.push(' ');
            }
            Continued::Backslash => {}
        }
        if i >= lines.len() {
            return i;
        }
        need_space = true;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Continued {
    No,
    Backslash,
    OpenQuote,
}

/// Where a `"` opens a quoted value, as the tokenizer reads it: at the
/// start of a word, right after the `=` of `NAME=`, or right after a `{`.
/// Anywhere else a `"` is an ordinary character of a bare word.
#[derive(Debug, Clone, Copy)]
struct QuoteRule {
    at_word_start: bool,
    name_so_far: bool,
    after_name_eq: bool,
    after_brace: bool,
}

impl QuoteRule {
    fn new() -> Self {
        QuoteRule {
            at_word_start: true,
            name_so_far: true,
            after_name_eq: false,
            after_brace: false,
        }
    }

    fn opens(&self) -> bool {
        self.at_word_start || self.after_name_eq || self.after_brace
    }

    /// Steps past a character outside quotes.
    fn step(&mut self, c: char) {
        if c.is_whitespace() {
            *self = QuoteRule::new();
            return;
        }
        let name_char = c.is_ascii_alphanumeric() || c == '_';
        self.after_brace = c == '{' && (self.at_word_start || self.after_name_eq);
        self.after_name_eq = c == '=' && self.name_so_far && !self.at_word_start;
        self.name_so_far = self.name_so_far && name_char;
        self.at_word_start = false;
    }
}

/// Appends one physical line's text to `line` and says whether the logical
/// line continues. `next` is the following physical line, for look-ahead.
fn scan(line: &mut LogicalLine, text: &str, next: Option<&str>, in_quote: &mut bool) -> Continued {
    let base = line.text.len();
    let mut rule = QuoteRule::new();
    for (k, c) in text.char_indices() {
        if c == '\\' {
            let rest = &text[k + 1..];
            if rest.trim().is_empty() {
                // A trailing `\` continues the line; on the last line it ends it.
                let body = &text[line.text.len() - base..k];
                line.text
                    .push_str(if *in_quote { body } else { body.trim_end() });
                return if next.is_some() {
                    Continued::Backslash
                } else {
                    Continued::No
                };
            }
            if !*in_quote && rest.starts_with(char::is_whitespace) {
                line.warnings.push((
                    base + k,
                    "a `\\` in the middle of a line is read as a space".to_owned(),
                ));
                line.text.push_str(&text[line.text.len() - base..k]);
                line.text.push(' ');
                rule = QuoteRule::new();
                continue;
            }
        }
        if *in_quote {
            if c == '"' {
                *in_quote = false;
                rule = QuoteRule::new();
                rule.at_word_start = false;
                rule.name_so_far = false;
            }
            continue;
        }
        if c == '"' && rule.opens() {
            *in_quote = true;
            continue;
        }
        rule.step(c);
    }
    line.text.push_str(&text[line.text.len() - base..]);
    // A quote left open continues only when the next line closes it, so one
    // stray quote cannot swallow the rest of the file.
    let closes = |n: &str| n.contains('"') && !n.trim_start().starts_with('#');
    if *in_quote && next.is_some_and(closes) {
        return Continued::OpenQuote;
    }
    Continued::No
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        logical_lines(src).into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn backslash_joins_with_one_space_outside_quotes() {
        assert_eq!(texts("A b \\\n    c d\nE"), ["A b c d", "E"]);
    }

    #[test]
    fn inside_quotes_the_joint_and_indentation_vanish() {
        assert_eq!(
            texts("X V=\"John \\\n        Doe;t\" Y"),
            ["X V=\"John Doe;t\" Y"]
        );
        assert_eq!(texts("S=\"AB12\\\n    CD\""), ["S=\"AB12CD\""]);
    }

    #[test]
    fn positions_map_back_to_physical_lines() {
        let lines = logical_lines("A b \\\n    c d\n");
        let l = &lines[0];
        let at = l.text.find('c').unwrap();
        assert_eq!(l.position(at), Position { line: 2, column: 5 });
        assert_eq!(l.position(0), Position { line: 1, column: 1 });
    }

    #[test]
    fn stray_backslash_is_a_space_with_a_warning() {
        let lines = logical_lines("INCREMENT a \\ B=1\n");
        assert_eq!(lines[0].text, "INCREMENT a   B=1");
        assert_eq!(lines[0].warnings.len(), 1);
    }

    #[test]
    fn open_quote_continues_only_when_the_next_line_closes_it() {
        assert_eq!(texts("A S=\"12\n34\" B\nC"), ["A S=\"12 34\" B", "C"]);
        assert_eq!(texts("A S=\"12\nC\nD"), ["A S=\"12", "C", "D"]);
    }

    #[test]
    fn attribute_line_after_a_feature_line_continues_it() {
        let src = "INCREMENT f v 1 permanent 1 A=1\nISSUED=1-jan-2020 X=2\nB=1\nVENDOR C\n";
        let lines = logical_lines(src);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0].text,
            "INCREMENT f v 1 permanent 1 A=1 ISSUED=1-jan-2020 X=2 B=1"
        );
        assert_eq!(lines[0].warnings.len(), 2);
    }

    #[test]
    fn comments_are_never_continued() {
        assert_eq!(texts("# a \\\nB"), ["# a \\", "B"]);
    }
}
