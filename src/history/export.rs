//! The daily usage report as CSV: one row per pool and day, with the
//! licenses in overdraft (docs/history.md lists the columns). Written here,
//! in the library, so that `lmutil lmhistory -export` and lmgrd's
//! `GET /api/v1/history.csv` make the very same bytes.

use std::io::{self, Write};

use serde::Serialize;

use crate::protocol::history::DayUsage;

/// One row of the daily usage report: the CSV's columns, in order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CsvRow<'a> {
    date: &'a str,
    feature: &'a str,
    css_date: &'a str,
    license_type: &'a str,
    expiry: String,
    installed: u64,
    peak: u64,
    overdraft_peak: u64,
    average: String,
    minimum: u64,
    denials: u64,
}

/// The CSV header: [`CsvRow`]'s fields, in order.
pub const CSV_HEADER: [&str; 11] = [
    "date",
    "feature",
    "cssDate",
    "licenseType",
    "expiry",
    "installed",
    "peak",
    "overdraftPeak",
    "average",
    "minimum",
    "denials",
];

/// Writes the days as CSV (RFC 4180 quoting, `\n` line ends), the header
/// first even when there is no row; `each_row` is called after each row
/// (for a progress bar).
pub fn write_csv(
    days: &[DayUsage],
    w: &mut dyn Write,
    mut each_row: impl FnMut(),
) -> io::Result<()> {
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    csv.write_record(CSV_HEADER).map_err(io::Error::other)?;
    for d in days {
        let row = CsvRow {
            date: &d.date,
            feature: &d.pool.feature,
            css_date: &d.pool.version,
            license_type: d.pool.license_type.as_deref().unwrap_or(""),
            expiry: d.pool.expiry.to_string(),
            installed: d.installed,
            peak: d.peak,
            overdraft_peak: d.overdraft_peak,
            average: format!("{:.2}", d.average),
            minimum: d.minimum,
            denials: d.denials,
        };
        csv.serialize(row).map_err(io::Error::other)?;
        each_row();
    }
    csv.flush()
}

/// The days as CSV, in memory.
pub fn to_csv(days: &[DayUsage]) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    write_csv(days, &mut bytes, || ())?;
    Ok(bytes)
}
