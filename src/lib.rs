//! lmutil: a license server and its FlexNet-compatible administration tools.
//!
//! The library holds all the logic; `lmgrd` and `lmutil` are thin binaries
//! over it.

pub mod cli;
pub mod engine;
pub mod license;
pub mod server;
pub mod version;
