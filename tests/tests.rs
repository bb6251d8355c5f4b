//! Integration tests: the real binaries, driven as an administrator would.

mod common;

mod accounts;
mod admin;
mod admin_keys;
mod admin_local;
mod admin_options;
mod authz;
mod caching;
mod connect;
mod crash;
mod dispatch;
mod doc_client;
mod faults;
mod generated;
mod history;
mod hostile;
mod json;
mod layers;
mod lifecycle;
mod lmcrypt;
mod lmdiag;
mod lmgrd;
mod lmhostid;
mod lmstat;
mod lmver;
mod metrics;
mod names;
mod protocol_doc;
mod rules;
mod sessions;
mod settings;
mod store_fixtures;
mod tokens;
mod udadmin;
