//! GS1 Application Identifiers and GS1 Digital Link URIs, as a pure module (no I/O).
//!
//! - [`ai`]: the AI table (formats, check digits, Digital Link roles) and [`ai::lookup`].
//! - [`dl`]: [`dl::parse`] for uncompressed GS1 Digital Link URIs or paths, with full
//!   validation, and [`dl::DigitalLink::canonical_path`].
//!
//! Compressed Digital Link URIs are decoded (and encoded) by [`compress`].

pub mod ai;
mod ai_def;
mod ai_table;
pub mod compress;
pub mod dl;

pub use ai::{lookup, AiDef};
pub use dl::{parse, DigitalLink, DlError, Element};
