//! The `World`'s reads (kept beside it, in their own file): headers, natural keys,
//! holdings, attached records, marks, goods, listings and the walks.

use super::*;

impl World {
    /// The id the next created record gets.
    pub fn next_id(&self) -> NodeId {
        self.graph.len() as NodeId
    }

    pub fn meta(&self, id: NodeId) -> Option<NodeMeta> {
        self.graph.meta(id)
    }

    pub fn lookup(&self, key: &NaturalKey) -> Option<NodeId> {
        self.keys.get(&key_digest(&key.encode())).copied()
    }

    pub fn holding(&self, lot: NodeId, party: NodeId) -> Holding {
        self.holdings
            .get(&(lot, party))
            .copied()
            .unwrap_or_default()
    }

    pub fn outputs(&self, id: NodeId) -> &[NodeId] {
        self.graph.outputs(id)
    }

    /// Every lot a party made, received, consumed or shipped, with its holding.
    pub fn holdings_of(&self, party: NodeId) -> Vec<(NodeId, Holding)> {
        self.held_by
            .get(&party)
            .map(|lots| lots.iter().map(|&l| (l, self.holding(l, party))).collect())
            .unwrap_or_default()
    }

    pub fn attached(&self, id: NodeId) -> &[NodeId] {
        self.graph.attached(id)
    }

    pub fn ids_of(&self, kind: NodeKind) -> &[NodeId] {
        self.graph.ids_of(kind)
    }

    /// Failed inspections that marked a lot or supplier suspect.
    pub fn marks(&self, id: NodeId) -> &[NodeId] {
        self.marks.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The shipments a party sent, oldest first.
    pub fn shipments_from(&self, party: NodeId) -> &[NodeId] {
        self.shipped_by
            .get(&party)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The pieces of a batch a party received, shipped on and sold.
    pub fn goods(&self, batch: NodeId, party: NodeId) -> Goods {
        self.goods.get(&(batch, party)).copied().unwrap_or_default()
    }

    /// The goods shipments of a batch, oldest first.
    pub fn goods_moves(&self, batch: NodeId) -> &[NodeId] {
        self.goods_moves
            .get(&batch)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The listings a party sells through, oldest first.
    pub fn listings_of(&self, seller: NodeId) -> &[NodeId] {
        self.listings_of
            .get(&seller)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The parties a lot was shipped to, with their holdings of it.
    pub fn recipients(&self, lot: NodeId) -> Vec<(NodeId, Holding)> {
        self.recipients
            .get(&lot)
            .map(|r| r.iter().map(|&p| (p, self.holding(lot, p))).collect())
            .unwrap_or_default()
    }

    pub fn upstream(&self, root: NodeId) -> UpReach {
        self.graph.upstream(root)
    }

    /// [`World::upstream`], handing each batch of newly reached nodes to `visit` as the
    /// walk reaches them (see [`crate::core::graph::Graph::upstream_visiting`]).
    pub fn upstream_visiting(&self, root: NodeId, visit: impl FnMut(&[NodeId])) -> UpReach {
        self.graph.upstream_visiting(root, visit)
    }

    pub fn downstream(&self, root: NodeId) -> Reach {
        self.graph.downstream(root)
    }

    pub fn len(&self) -> usize {
        self.graph.len()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.is_empty()
    }

    pub fn edge_count(&self) -> u64 {
        self.graph.edge_count()
    }

    pub fn heap_bytes(&self) -> usize {
        self.graph.heap_bytes()
    }

    /// The ids of every stored record (units excluded), in order.
    pub fn record_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_some())
            .map(|(i, _)| i as NodeId)
    }
}
