//! lmutil: a license server and its FlexNet-compatible administration tools.
//!
//! The library holds all the logic; `lmgrd` and `lmutil` are thin binaries
//! over it.

pub mod alerts;
#[cfg(feature = "tools")]
pub mod cli;
pub mod client;
pub mod engine;
pub mod flexnet;
pub mod history;
pub mod license;
pub mod options;
pub mod paths;
pub mod protocol;
pub mod server;
pub mod single_dash;
pub mod store;
pub mod version;
