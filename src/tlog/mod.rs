//! The verifiable log: an RFC 6962 Merkle tree over the event log, C2SP signed notes,
//! checkpoints and cosignatures, tiles, and the witness. Pure code (no I/O, no clock)
//! except where a module says otherwise.

pub mod checkpoint;
pub mod cosig;
pub mod hash;
pub mod merkle;
pub mod note;
pub mod offline;
pub mod proof;
pub mod tiles;
pub mod vectors;
pub mod witness;
