//! Talking to the server from a command: `-c` and `-t` as FlexNet reads
//! them, and refusals turned into FlexNet exit statuses with a hint.

use std::time::Duration;

use super::exit::{self, CliError};
use crate::client::caching::connect;
use crate::client::select::{self, Target};
use crate::client::{ClientError, Connection};
use crate::protocol::{Request, Response, errors};

/// An open connection and where it goes.
pub struct Remote {
    runtime: tokio::runtime::Runtime,
    conn: Connection,
    timeout: Duration,
    /// The address as FlexNet prints it.
    pub target: String,
}

impl Remote {
    /// Connects as `-c` (else `LM_LICENSE_FILE`, else the local socket) says,
    /// giving up after `-t` seconds.
    pub fn connect(m: &clap::ArgMatches) -> Result<Remote, CliError> {
        let spec = m.get_one::<String>("c").map(String::as_str);
        let env = std::env::var("LM_LICENSE_FILE").ok();
        let socket = crate::server::config::default_socket();
        let targets = select::targets(spec, env.as_deref(), &socket)
            .map_err(|e| CliError::new(exit::USAGE, e.to_string()))?;
        let target = targets
            .iter()
            .map(Target::display)
            .collect::<Vec<_>>()
            .join(",");
        let timeout = Duration::from_secs(m.get_one::<u64>("t").copied().unwrap_or(10));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
        let conn = runtime
            .block_on(async { tokio::time::timeout(timeout, connect(&targets)).await })
            .map_err(|_| cannot_connect(&target, "no answer in time"))?
            .map_err(|e| cannot_connect(&target, &e.to_string()))?;
        Ok(Remote {
            runtime,
            conn,
            timeout,
            target,
        })
    }

    /// Sends a request; a refusal becomes the error to print.
    pub fn ask(&mut self, request: Request) -> Result<Response, CliError> {
        let (conn, timeout) = (&mut self.conn, self.timeout);
        let answer = self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, conn.request(request)).await });
        match answer {
            Err(_) => Err(cannot_connect(&self.target, "no answer in time")),
            Ok(Ok(r)) => Ok(r),
            Ok(Err(ClientError::Refused(e))) => Err(refused(e.code, &e.reason)),
            Ok(Err(e)) => Err(cannot_connect(&self.target, &e.to_string())),
        }
    }
}

/// No server answered: which address was tried, and how to start one.
pub fn cannot_connect(tried: &str, cause: &str) -> CliError {
    CliError::new(
        exit::flexnet(errors::CANNOT_CONNECT),
        format!("cannot connect to license server {tried}: {cause}"),
    )
    .hint("is lmgrd running? start it with `lmgrd`, or name the server with -c port@host")
}

/// The server said no: FlexNet's text, the reason, and what to do.
pub fn refused(code: i32, reason: &str) -> CliError {
    let e = CliError::new(
        exit::flexnet(code),
        format!("{} {reason}", errors::display(code)),
    );
    match code {
        errors::NOT_ALLOWED => e.hint("run it on the license server's host as an administrator (root or the account lmgrd runs as)"),
        _ => e,
    }
}
