//! Typed ids: `Id<Lot>`, `Id<Party>`, … A record's dense id ([`NodeId`], its position in
//! the graph) carries the kind of record it names in its type, so a lot cannot be passed
//! where a party is expected, and a public id is formatted with the right kind without
//! anyone saying which ([`crate::core::ids::IdCodec::id`]).
//!
//! On disk and in snapshots an `Id<K>` is exactly its `u32` (serde transparent): typing
//! the ids changed no stored byte.

use crate::core::kind::{NodeId, NodeKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::marker::PhantomData;

/// A kind of record that ids can name.
pub trait Kind {
    const KIND: NodeKind;
}

/// Units are not stored records (they are derived from their batch): this names their kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {}

/// The dense id of a record of kind `K`. One kind is not another:
///
/// ```compile_fail
/// use boardtrail::domain::{Id, Lot, Party};
/// let lot: Id<Lot> = Id::new(1);
/// let party: Id<Party> = lot; // a lot is not a party
/// ```
///
/// ```
/// use boardtrail::domain::{Id, Lot};
/// let lot: Id<Lot> = Id::new(1);
/// assert_eq!(lot.raw(), 1);
/// ```
pub struct Id<K>(NodeId, PhantomData<fn() -> K>);

impl<K> Id<K> {
    /// The id of the record at `raw`. Whether it exists, and is a `K`, is the caller's
    /// claim: the world's typed lookups check it.
    pub const fn new(raw: NodeId) -> Id<K> {
        Id(raw, PhantomData)
    }

    /// The dense id, for the graph and the world's untyped maps.
    pub const fn raw(self) -> NodeId {
        self.0
    }
}

impl<K: Kind> Id<K> {
    pub const fn kind(self) -> NodeKind {
        K::KIND
    }
}

// Derives would ask `K` for the same traits; the id is a number whatever `K` is.
impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Id<K> {}
impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<K> Eq for Id<K> {}
impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}
impl<K> std::hash::Hash for Id<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}
impl<K: Kind> std::fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", K::KIND.prefix(), self.0)
    }
}
impl<K> From<Id<K>> for NodeId {
    fn from(id: Id<K>) -> NodeId {
        id.0
    }
}
impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
impl<'de, K> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id<K>, D::Error> {
        NodeId::deserialize(d).map(Id::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::Lot;

    #[test]
    fn an_id_is_stored_as_its_number() {
        let typed: Id<Lot> = Id::new(300_000);
        let a = crate::core::codec::encode(&typed).unwrap();
        let b = crate::core::codec::encode(&300_000u32).unwrap();
        assert_eq!(a, b);
        let back: Id<Lot> = crate::core::codec::decode(&a).unwrap();
        assert_eq!(back, typed);
        assert_eq!(back.raw(), 300_000);
        assert_eq!(back.kind(), NodeKind::Lot);
        assert_eq!(format!("{typed:?}"), "lot#300000");
        assert_eq!(Id::<Unit>::new(1).kind(), NodeKind::Unit);
    }
}
