//! The world in two parts for a snapshot — the records, and everything derived from them —
//! so that the two can be encoded and, above all, decoded on two threads at start.

use super::*;
use crate::core::codec::{self, CodecError};
use serde::{Deserialize, Serialize};

/// Everything but the records, borrowed for encoding.
#[derive(Serialize)]
struct IndexesRef<'a> {
    graph: &'a Graph,
    holdings: &'a Map<(NodeId, NodeId), Holding>,
    recipients: &'a Map<NodeId, Vec<NodeId>>,
    marks: &'a Map<NodeId, Vec<NodeId>>,
    held_by: &'a Map<NodeId, Vec<NodeId>>,
    keys: &'a Map<KeyDigest, NodeId>,
    shipped_by: &'a Map<NodeId, Vec<NodeId>>,
    touched: &'a Map<NodeId, Vec<u64>>,
    created: &'a [u32],
    goods: &'a Map<(NodeId, NodeId), Goods>,
    goods_moves: &'a Map<NodeId, Vec<NodeId>>,
    listings_of: &'a Map<NodeId, Vec<NodeId>>,
}

/// The same, owned, for decoding (field for field; the large containers reserve their
/// length at once).
#[derive(Deserialize)]
struct Indexes {
    graph: Graph,
    #[serde(deserialize_with = "codec::exact_map")]
    holdings: Map<(NodeId, NodeId), Holding>,
    #[serde(deserialize_with = "codec::exact_map")]
    recipients: Map<NodeId, Vec<NodeId>>,
    #[serde(deserialize_with = "codec::exact_map")]
    marks: Map<NodeId, Vec<NodeId>>,
    #[serde(deserialize_with = "codec::exact_map")]
    held_by: Map<NodeId, Vec<NodeId>>,
    #[serde(deserialize_with = "codec::exact_map")]
    keys: Map<KeyDigest, NodeId>,
    #[serde(deserialize_with = "codec::exact_map")]
    shipped_by: Map<NodeId, Vec<NodeId>>,
    #[serde(deserialize_with = "codec::exact_map")]
    touched: Map<NodeId, Vec<u64>>,
    #[serde(deserialize_with = "codec::exact_vec")]
    created: Vec<u32>,
    #[serde(deserialize_with = "codec::exact_map")]
    goods: Map<(NodeId, NodeId), Goods>,
    #[serde(deserialize_with = "codec::exact_map")]
    goods_moves: Map<NodeId, Vec<NodeId>>,
    #[serde(deserialize_with = "codec::exact_map")]
    listings_of: Map<NodeId, Vec<NodeId>>,
}

impl World {
    /// Encodes the first part: the records.
    pub fn write_records(&self, out: &mut impl std::io::Write) -> Result<(), CodecError> {
        bincode::serde::encode_into_std_write(&self.records, out, bincode::config::standard())?;
        Ok(())
    }

    /// Encodes the second part: everything derived from the records.
    pub fn write_indexes(&self, out: &mut impl std::io::Write) -> Result<(), CodecError> {
        let ix = IndexesRef {
            graph: &self.graph,
            holdings: &self.holdings,
            recipients: &self.recipients,
            marks: &self.marks,
            held_by: &self.held_by,
            keys: &self.keys,
            shipped_by: &self.shipped_by,
            touched: &self.touched,
            created: &self.created,
            goods: &self.goods,
            goods_moves: &self.goods_moves,
            listings_of: &self.listings_of,
        };
        bincode::serde::encode_into_std_write(&ix, out, bincode::config::standard())?;
        Ok(())
    }

    /// The world from its two encoded parts, decoded in parallel.
    pub fn from_parts(records: &[u8], indexes: &[u8]) -> Result<World, CodecError> {
        let (records, ix) = std::thread::scope(|s| {
            let r = s.spawn(|| World::decode_records(records));
            let ix = World::decode_indexes(indexes);
            let records = match r.join() {
                Ok(r) => r,
                Err(p) => std::panic::resume_unwind(p),
            };
            (records, ix)
        });
        Ok(World::from_decoded(records?, ix?))
    }

    /// Decodes the first part (on a thread of the caller's choosing).
    pub fn decode_records(part: impl std::io::Read) -> Result<RecordsPart, CodecError> {
        codec::decode_stream::<RecordsIn>(part).map(|r| RecordsPart(r.0))
    }

    /// Decodes the second part.
    pub fn decode_indexes(part: impl std::io::Read) -> Result<IndexesPart, CodecError> {
        codec::decode_stream::<Indexes>(part).map(IndexesPart)
    }

    /// The world from its two decoded parts.
    pub fn from_decoded(records: RecordsPart, ix: IndexesPart) -> World {
        let (records, ix) = (records.0, ix.0);
        World {
            graph: ix.graph,
            holdings: ix.holdings,
            recipients: ix.recipients,
            marks: ix.marks,
            held_by: ix.held_by,
            records,
            keys: ix.keys,
            shipped_by: ix.shipped_by,
            touched: ix.touched,
            created: ix.created,
            goods: ix.goods,
            goods_moves: ix.goods_moves,
            listings_of: ix.listings_of,
        }
    }
}

/// The records as decoded: one slot per id, reserved at once.
#[derive(Deserialize)]
#[serde(transparent)]
struct RecordsIn(#[serde(deserialize_with = "codec::exact_vec")] Vec<Option<Arc<Record>>>);

/// The records part of a snapshot, decoded.
pub struct RecordsPart(Vec<Option<Arc<Record>>>);
/// The derived part of a snapshot, decoded.
pub struct IndexesPart(Indexes);
