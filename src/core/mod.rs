//! The pure core: no I/O, no clock, no storage. Domain types and the codes they carry,
//! events and their hash chain, public ids, the resident graph and the [`World`] that
//! events change.

pub mod codec;
pub mod codes;
pub mod domain;
pub mod event;
pub mod graph;
pub mod id;
pub mod ids;
pub mod kind;
pub mod quantity;
pub mod serials;
pub mod world;

pub use world::{Projection, World, WorldError};
