//! `udadmin -export`: every user/device connection as CSV (the seed's
//! columns) or JSON, and where udadmin's output goes (`-o FILE`).
//!
//! The export streams: each row is made from the status as it is written.
//! When the rows go to a file (`-o FILE`, or standard output redirected to
//! one) and standard error is a terminal, a progress bar counts them there;
//! piped or without a terminal there is none.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::path::Path;

use chrono::DateTime;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use schemars::JsonSchema;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use super::CliResult;
use super::exit::{self, CliError};
use super::render::Report;
use crate::protocol::status::Holder;
use crate::protocol::status::Status;

/// `-export` as scripts decode it: every user/device connection.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Export {
    pub connections: Vec<ExportRow>,
}

/// One connection; the CSV row has these columns in this order.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportRow {
    pub feature: String,
    pub user_id: String,
    pub device_id: String,
    pub device_name: String,
    /// The highest version requested over this connection.
    pub version_requested: String,
    /// The css date of the license the user holds, or empty.
    pub version_user_allocated: String,
    /// The css date of the license the device holds, or empty.
    pub version_device_allocated: String,
    /// Last use, RFC 3339 (UTC).
    pub time: String,
}

/// What a user or device of a feature holds: its license's css date.
type Held<'a> = HashMap<(Holder, &'a str, &'a str), &'a str>;

/// `-export` as written: each row is made from the snapshot as it is
/// written, so a million connections are never held twice in memory, and
/// the progress bar advances row by row.
pub(crate) struct ExportStream<'a> {
    snapshot: &'a Status,
    held: Held<'a>,
    progress: ProgressBar,
}

impl<'a> ExportStream<'a> {
    /// The export of a status the server answered for `-f`'s feature only.
    pub(crate) fn new(snapshot: &'a Status, progress: ProgressBar) -> Self {
        let held = snapshot
            .assignments
            .iter()
            .map(|a| {
                let key = (a.kind, a.feature.as_str(), a.name.as_str());
                (key, a.version.as_str())
            })
            .collect();
        let stream = ExportStream {
            snapshot,
            held,
            progress,
        };
        stream
            .progress
            .set_length(stream.snapshot.connections.len() as u64);
        stream
    }

    fn held(&self, kind: Holder, feature: &str, name: &str) -> String {
        self.held
            .get(&(kind, feature, name))
            .map_or_else(String::new, |v| (*v).to_owned())
    }

    fn rows(&self) -> impl Iterator<Item = ExportRow> + '_ {
        self.snapshot.connections.iter().map(|c| {
            self.progress.inc(1);
            ExportRow {
                feature: c.feature.clone(),
                user_id: c.user.clone(),
                device_id: c.device.clone(),
                device_name: c.device.clone(),
                version_requested: c.version.clone(),
                version_user_allocated: self.held(Holder::User, &c.feature, &c.user),
                version_device_allocated: self.held(Holder::Device, &c.feature, &c.device),
                time: DateTime::from_timestamp(c.last_use, 0)
                    .unwrap_or_default()
                    .to_rfc3339(),
            }
        })
    }
}

/// Serializes as [`Export`] does, one row at a time.
impl Serialize for ExportStream<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Rows<'s, 'a>(&'s ExportStream<'a>);
        impl Serialize for Rows<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.rows())
            }
        }
        let mut st = s.serialize_struct("Export", 1)?;
        st.serialize_field("connections", &Rows(self))?;
        st.end()
    }
}

/// The CSV header, as the Citrix License Server writes it: the names of
/// [`ExportRow`]'s fields, in order.
const CSV_HEADER: [&str; 8] = [
    "feature",
    "userId",
    "deviceId",
    "deviceName",
    "versionRequested",
    "versionUserAllocated",
    "versionDeviceAllocated",
    "time",
];

/// The rows as CSV (RFC 4180 quoting, `\n` line ends), the header first
/// even when there is no row.
impl Report for ExportStream<'_> {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(w);
        csv.write_record(CSV_HEADER).map_err(io::Error::other)?;
        for row in self.rows() {
            csv.serialize(row).map_err(io::Error::other)?;
        }
        csv.flush()
    }
}

/// Where a report goes: the command's output, or a file (`-o`).
pub(crate) enum Sink<'a> {
    Out(&'a mut dyn Write),
    File(BufWriter<File>),
}

impl<'a> Sink<'a> {
    pub(crate) fn open(path: Option<&Path>, out: &'a mut dyn Write) -> Result<Self, CliError> {
        match path {
            None => Ok(Sink::Out(out)),
            Some(p) => File::create(p)
                .map(|f| Sink::File(BufWriter::new(f)))
                .map_err(|e| cannot_write(p, &e)),
        }
    }

    pub(crate) fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Out(w) => w,
            Sink::File(w) => w,
        }
    }

    /// Whether the rows land in a file: `-o`, or standard output
    /// redirected to one (not a pipe, not a terminal).
    pub(crate) fn is_file(&self) -> bool {
        match self {
            Sink::File(_) => true,
            Sink::Out(_) => io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map(File::from)
                .and_then(|f| f.metadata())
                .is_ok_and(|m| m.is_file()),
        }
    }

    /// Flushes what `written` left and says how it went; an error names
    /// the file.
    pub(crate) fn finish(self, written: io::Result<()>, path: Option<&Path>) -> CliResult {
        let done = written.and_then(|()| match self {
            Sink::Out(w) => w.flush(),
            Sink::File(w) => w
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all()),
        });
        match (done, path) {
            (Err(e), Some(p)) => Err(cannot_write(p, &e)),
            (Err(e), None) => Err(e.into()),
            (Ok(()), _) => Ok(exit::SUCCESS),
        }
    }
}

fn cannot_write(path: &Path, e: &io::Error) -> CliError {
    CliError::new(
        exit::FAILURE,
        format!("cannot write {}: {e}", path.display()),
    )
    .hint("check that the directory exists and is writable")
}

/// A bar on standard error when `visible`; otherwise one that draws nothing.
pub(crate) fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} exporting [{bar:40}] {pos}/{len} connections ({eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::{CSV_HEADER, ExportRow};

    /// The header written is the one the rows' fields would give.
    #[test]
    fn the_header_names_the_row_s_fields_in_order() {
        let row = ExportRow {
            feature: "XDT_PLT_UD".into(),
            user_id: "ann".into(),
            device_id: "d1".into(),
            device_name: "d1".into(),
            version_requested: "2026.0101".into(),
            version_user_allocated: "2026.1201".into(),
            version_device_allocated: String::new(),
            time: "2026-12-03T00:00:00+00:00".into(),
        };
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.serialize(&row).unwrap();
        let written = String::from_utf8(csv.into_inner().unwrap()).unwrap();
        assert_eq!(written.lines().next(), Some(CSV_HEADER.join(",").as_str()));
    }
}
