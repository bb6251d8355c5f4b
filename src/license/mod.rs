//! License files: the model, the parser and printer, signatures, host IDs,
//! and which lines form which pools on a given day.

pub mod date;
pub mod hostid;
mod lexer;
pub mod load;
pub mod model;
pub mod models;
pub mod parser;
pub mod pool;
pub mod printer;
pub mod sign;

pub use date::{Expiry, Version};
pub use hostid::HostIdentity;
pub use lexer::Position;
pub use model::*;
pub use parser::{Diagnostic, Parsed, parse, parse_bytes};
pub use pool::{Inventory, LineStatus, LoadedFile, Pool, inventory};
pub use printer::print;
pub use sign::Keyring;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
