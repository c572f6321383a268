//! The public ids one view names (see [`Names`]).

use crate::core::domain::{Id, NodeId, NodeKind};
use crate::core::ids::{IdCodec, PublicId};
use crate::core::world::Map;

/// The public ids of one view, each formatted (one AES block and base32) once however
/// many nodes, fields, edges and suppliers name it. A view names a few dozen ids: they
/// are found by a scan of a short list of dense ids, hashed only past [`Names::SCAN`].
#[derive(Default)]
pub(crate) struct Names {
    ids: Vec<NodeId>,
    formatted: Vec<PublicId>,
    index: Map<NodeId, u32>,
}

impl Names {
    /// Ids looked up by a linear scan before the index is built.
    const SCAN: usize = 48;

    pub(crate) fn with_capacity(n: usize) -> Names {
        Names {
            ids: Vec::with_capacity(n),
            formatted: Vec::with_capacity(n),
            index: Map::default(),
        }
    }

    pub(crate) fn of(&mut self, ids: &IdCodec, kind: NodeKind, id: NodeId) -> PublicId {
        let found = if self.ids.len() <= Self::SCAN {
            self.ids.iter().position(|&x| x == id)
        } else {
            if self.index.is_empty() {
                self.index = (0u32..).zip(&self.ids).map(|(i, &x)| (x, i)).collect();
            }
            self.index.get(&id).map(|&i| i as usize)
        };
        if let Some(i) = found {
            return self.formatted[i];
        }
        let name = ids.public(kind, id);
        if !self.index.is_empty() {
            self.index.insert(id, self.ids.len() as u32);
        }
        self.ids.push(id);
        self.formatted.push(name);
        name
    }

    /// Names ids not named yet, all at once (their blocks enciphered together: see
    /// [`IdCodec::public_many`]). Each id is named by the kind it comes with first.
    pub(crate) fn prefill(&mut self, ids: &IdCodec, items: &[(NodeKind, NodeId)]) {
        let mut fresh: Vec<(NodeKind, NodeId)> = Vec::with_capacity(items.len());
        for &(kind, id) in items {
            if !self.ids.contains(&id) && !fresh.iter().any(|&(_, x)| x == id) {
                fresh.push((kind, id));
            }
        }
        ids.public_many(&fresh, &mut self.formatted);
        self.ids.extend(fresh.iter().map(|&(_, id)| id));
        if !self.index.is_empty() {
            self.index = (0u32..).zip(&self.ids).map(|(i, &x)| (x, i)).collect();
        }
    }

    pub(crate) fn party(&mut self, ids: &IdCodec, id: Id<crate::core::domain::Party>) -> PublicId {
        self.of(ids, NodeKind::Party, id.raw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_formatted_once_and_found_past_the_scan() {
        let ids = IdCodec::new(&[9; 32]);
        let mut names = Names::with_capacity(4);
        // Past `Names::SCAN` distinct ids the index takes over; every answer stays the
        // formatted id, asked first or again.
        let many = (Names::SCAN as u32) * 3;
        for round in 0..2 {
            for id in 0..many {
                let kind = if id % 2 == 0 {
                    NodeKind::Lot
                } else {
                    NodeKind::Batch
                };
                assert_eq!(
                    names.of(&ids, kind, id).as_str(),
                    ids.format(kind, id),
                    "round {round}"
                );
            }
        }
        assert_eq!(names.ids.len(), many as usize);
        // Named at once, the same ids; ids already named and repeats are named once.
        let mut at_once = Names::with_capacity(4);
        at_once.of(&ids, NodeKind::Lot, 4);
        let items: Vec<(NodeKind, NodeId)> = [4, 7, 9, 7, 1]
            .iter()
            .map(|&i| (NodeKind::Batch, i))
            .collect();
        at_once.prefill(&ids, &items);
        assert_eq!(at_once.ids, [4, 7, 9, 1]);
        assert_eq!(
            at_once.of(&ids, NodeKind::Lot, 4).as_str(),
            ids.format(NodeKind::Lot, 4)
        );
        for i in [7, 9, 1] {
            assert_eq!(
                at_once.of(&ids, NodeKind::Batch, i).as_str(),
                ids.format(NodeKind::Batch, i)
            );
        }
        assert_eq!(names.index.len(), many as usize);
    }
}
