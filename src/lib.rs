//! boardtrail: traceability of the e-commerce furniture supply chain, from the board lots
//! of Linyi mills to the listings on JD, Taobao and Pinduoduo.
//!
//! Read `ARCHITECTURE.md` first. Layers, from the inside out:
//! [`domain`] (pure types and rules) → [`event`] / [`codec`] → [`graph`] (resident
//! adjacency) → [`store`] (the storage trait and the sled backend) → [`app`] (commands,
//! validation, traces) → [`api`] (HTTP) and the binary (`src/main.rs`).

pub mod api;
pub mod app;
pub mod auth;
pub mod codec;
pub mod core;
pub mod demo;
pub mod digital_link;
pub mod domain;
pub mod error;
pub mod event;
pub mod graph;
pub mod ids;
pub mod qr;
pub mod rules;
pub mod secret;
pub mod server;
pub mod sheet;
pub mod store;
pub mod web;
