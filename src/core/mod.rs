//! The pure core: no I/O, no clock, no storage.

pub mod world;

pub use world::{Projection, World, WorldError};
