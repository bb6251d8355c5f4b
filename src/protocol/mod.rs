//! The wire protocol: framing and the messages of every version. One place
//! defines them; the daemon, the client library and the tools share them.
//! `docs/protocol.md` documents it with examples a test replays.

pub mod alerts;
pub mod diagnosis;
pub mod events;
pub mod frame;
pub mod history;
pub mod licenses;
pub mod message;
pub mod settings;
pub mod status;
pub mod tokens;

pub use diagnosis::{DiagLine, Diagnosis};
pub use frame::{FrameError, MAX_FRAME, decode, encode, read_message, write_message};
pub use message::{
    Account, Checkout, Code, Envelope, ErrorBody, Handle, PROTOCOL_VERSION, ProductName, Request,
    Response, Role, ServerInfo, SessionId,
};
pub use settings::{Setting, SettingsList};
