//! Integration tests: the real binaries, driven as an administrator would.

mod common;

mod accounts;
mod admin;
mod caching;
mod connect;
mod dispatch;
mod generated;
mod json;
mod lmcrypt;
mod lmdiag;
mod lmgrd;
mod lmhostid;
mod lmstat;
mod lmver;
mod protocol_doc;
mod udadmin;
