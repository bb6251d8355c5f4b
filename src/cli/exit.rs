//! Exit statuses, and the one place errors become them.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | failure with no FlexNet number (e.g. a file could not be read) |
//! | 2 | usage error (unknown command, bad option) |
//! | 256 + n | FlexNet error n, e.g. 241 for -15 (cannot connect), 248 for -8 (invalid license key), 254 for -2 (invalid license file syntax) |
//!
//! Only `main` exits. A closed pipe on standard output ends the command
//! quietly with success, as `lmutil lmstat -a | head` should.

use std::io;

use crate::flexnet::Code;

pub const SUCCESS: i32 = 0;
pub const FAILURE: i32 = 1;
pub const USAGE: i32 = 2;

/// The exit status FlexNet's utilities use for error `code`.
pub const fn flexnet(code: Code) -> i32 {
    code.exit_status()
}

/// A command's failure: one line of cause, an optional hint, a status.
#[derive(Debug)]
pub struct CliError {
    pub status: i32,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(status: i32, message: impl Into<String>) -> Self {
        CliError {
            status,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError::new(FAILURE, e.to_string())
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::new(FAILURE, format!("{e:#}"))
    }
}

/// A command's outcome: an exit status (0, or a "found problems" status
/// after a complete report) or an error to print.
pub type CliResult = Result<i32, CliError>;

/// Prints the error, if any, once, and gives the exit status.
pub fn finish(name: &str, result: CliResult) -> i32 {
    match result {
        Ok(status) => status,
        Err(e) if is_broken_pipe(&e) => SUCCESS,
        Err(e) => {
            match e.hint {
                Some(h) => eprintln!("{name}: {} ({h})", e.message),
                None => eprintln!("{name}: {}", e.message),
            }
            e.status
        }
    }
}

fn is_broken_pipe(e: &CliError) -> bool {
    e.message.contains("Broken pipe") || e.message.contains("os error 32")
}
