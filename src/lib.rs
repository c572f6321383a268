//! boardtrail: traceability of the e-commerce furniture supply chain, from the board lots
//! of Linyi mills to the listings on JD, Taobao and Pinduoduo.
//!
//! Read `ARCHITECTURE.md` first. Layers, from the inside out:
//! [`core`] (pure: domain types and codes, events, ids, the resident graph and `World`) →
//! [`store`] (`EventLog` backends under one `Ledger`) → [`app`] (commands, validation,
//! traces, by feature) → [`http`] (actix-web, one routes file a feature) and the binary
//! (`src/main.rs`).

pub mod app;
pub mod auth;
pub(crate) mod claim_rules;
pub mod core;
pub mod demo;
pub mod digital_link;
pub mod error;
pub mod gs1;
pub mod http;
pub mod migrate;
pub mod qr;
pub(crate) mod rules;
pub mod secret;
pub mod server;
pub(crate) mod sheet;
pub mod store;
pub mod tlog;
pub mod transparency;

/// The core's modules under their short names (the library's API since before `core/`).
pub use crate::core::{codec, domain, event, graph, ids};
