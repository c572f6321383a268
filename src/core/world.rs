//! The world: the resident state every read is answered from, changed only by applying
//! events. Pure: no I/O, no clock, no storage. The same events in the same order always give
//! the same world ([`World::digest`] tells), which is what replay, `verify`, the backends
//! and the simulation test rely on.
//!
//! Applying is two steps, so that a store can write an event's projection durably in between:
//! [`World::project`] computes what an event writes from the current state (and fails
//! without changing anything if the event does not apply), [`World::commit`] folds it in.

use crate::core::domain::{natural_keys, Id, Lot, NaturalKey, NodeId, NodeKind, Party, Record};
use crate::core::event::{Event, EventBody};
use crate::core::graph::{Graph, NodeMeta, Reach, UpReach};
use crate::core::quantity::Holding;
use std::sync::Arc;

/// The maps of the resident state (defined beside the graph, the lowest layer using them).
pub use crate::core::graph::Map;

/// A natural key as the world indexes it: the first 16 bytes of the blake3 of its encoding
/// (fixed size, no allocation per key; two of a million keys collide with probability
/// about 2^-88).
pub type KeyDigest = [u8; 16];

pub fn key_digest(encoded: &[u8]) -> KeyDigest {
    let mut d = [0u8; 16];
    d.copy_from_slice(&blake3::hash(encoded).as_bytes()[..16]);
    d
}

/// An event that does not apply to the world.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("the record {0} to update does not exist")]
    Missing(NodeId),
    /// An amount of lot `lot` held by `party` would no longer fit: refused, never wrapped.
    #[error("the amounts of lot {lot} held by party {party} would overflow")]
    Overflow { lot: NodeId, party: NodeId },
    /// A natural key the event takes is already held (by the given id).
    #[error("natural key already taken by id {0}")]
    KeyTaken(NodeId),
    /// The event creates a record under an id that is taken (it was decided over an
    /// older state of the world).
    #[error("id {0} is taken already")]
    IdTaken(NodeId),
}

/// The resident state: every record, the graph over them, holdings, suspect marks and
/// natural keys. Changed only by [`World::apply`] (or [`World::project`] then
/// [`World::commit`]); reads never touch storage.
#[derive(Default)]
pub struct World {
    pub(crate) graph: Graph,
    holdings: Map<(NodeId, NodeId), Holding>,
    /// Parties each lot was shipped to, in shipping order.
    recipients: Map<NodeId, Vec<NodeId>>,
    /// Failed inspections that marked a lot or supplier suspect.
    marks: Map<NodeId, Vec<NodeId>>,
    /// Lots each party has a holding of.
    held_by: Map<NodeId, Vec<NodeId>>,
    /// Every record, by id (units have none): reads never touch storage. The event log is
    /// the durable truth; this is the image its events build.
    records: Vec<Option<Arc<Record>>>,
    /// The natural keys (as [`KeyDigest`]s) and the ids that hold them.
    keys: Map<KeyDigest, NodeId>,
    /// The shipments each party sent (whom it shipped to: its downstream horizon).
    shipped_by: Map<NodeId, Vec<NodeId>>,
    /// The events (seq) that changed an existing record, oldest first (the event that
    /// created a record is found in the log: ids grow with seq).
    touched: Map<NodeId, Vec<u64>>,
    /// The seq of the event that created each id (units: their batch's), by dense id: the
    /// event a view names is one lookup.
    created: Vec<u32>,
    /// Finished goods (pieces of a batch) each party received, shipped on and sold, by
    /// (batch, party); a maker's own batch counts its pieces made on top.
    goods: Map<(NodeId, NodeId), Goods>,
    /// The goods shipments of each batch, oldest first.
    goods_moves: Map<NodeId, Vec<NodeId>>,
    /// The listings of each seller, oldest first.
    listings_of: Map<NodeId, Vec<NodeId>>,
}

/// Pieces of one batch at one party (besides what it made).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Goods {
    pub received: u64,
    pub shipped: u64,
    pub sold: u64,
}

impl World {
    fn holding_mut(&mut self, lot: NodeId, party: NodeId) -> &mut Holding {
        let held_by = &mut self.held_by;
        self.holdings.entry((lot, party)).or_insert_with(|| {
            held_by.entry(party).or_default().push(lot);
            Holding::default()
        })
    }

    fn keep(&mut self, id: NodeId, record: Arc<Record>) {
        let i = id as usize;
        if self.records.len() <= i {
            self.records.resize(i + 1, None);
        }
        self.records[i] = Some(record);
    }

    /// A record, shared (units have none: they are derived from their batch).
    pub fn record(&self, id: NodeId) -> Option<&Arc<Record>> {
        self.records.get(id as usize).and_then(Option::as_ref)
    }

    /// Folds one new record into the resident state (graph, holdings, records).
    fn load(&mut self, id: NodeId, record: Arc<Record>) {
        self.apply_new(id, &record);
        self.keep(id, record);
    }

    fn apply_new(&mut self, id: NodeId, record: &Record) {
        self.graph.add(id, record);
        for k in natural_keys(record) {
            self.keys.insert(key_digest(&k.encode()), id);
        }
        // Checked by `check_amounts` before the event was accepted: the sums fit.
        let Ok(()) = each_flow(id, record, |lot, party, flow, q| {
            *flow.of(self.holding_mut(lot.raw(), party.raw())) += q;
            Ok::<(), std::convert::Infallible>(())
        });
        match record {
            Record::Shipment(s) => {
                self.shipped_by.entry(s.from.raw()).or_default().push(id);
                let r = self.recipients.entry(s.lot.raw()).or_default();
                if !r.contains(&s.to.raw()) {
                    r.push(s.to.raw());
                }
            }
            Record::Inspection(i) => {
                for &m in &i.marked {
                    self.marks.entry(m).or_default().push(id);
                }
            }
            Record::GoodsShipment(g) => {
                let (b, from, to) = (g.batch.raw(), g.from.raw(), g.to.raw());
                self.goods.entry((b, from)).or_default().shipped += u64::from(g.pieces);
                self.goods.entry((b, to)).or_default().received += u64::from(g.pieces);
                self.goods_moves.entry(b).or_default().push(id);
            }
            Record::Sale(x) => self.count_sold(x, true),
            Record::Listing(l) => self.listings_of.entry(l.seller.raw()).or_default().push(id),
            Record::Request(_)
            | Record::Order(_)
            | Record::Qualification(_)
            | Record::Check(_)
            | Record::Claims(_)
            | Record::Plan(_)
            | Record::PlanSample(_) => {}
            Record::Party(_)
            | Record::Lot(_)
            | Record::Batch(_)
            | Record::Key(_)
            | Record::Grant(_)
            | Record::Declaration(_)
            | Record::Action(_)
            | Record::Case(_)
            | Record::Complaint(_) => {}
        }
    }

    /// Adds (or takes back) a sale's pieces to what its listing's seller sold of each batch.
    fn count_sold(&mut self, sale: &crate::core::domain::Sale, add: bool) {
        let Some(Record::Listing(l)) = self.record(sale.listing.raw()).map(|r| &**r) else {
            return;
        };
        let seller = l.seller.raw();
        for &(b, n) in &sale.batches {
            let g = self.goods.entry((b.raw(), seller)).or_default();
            g.sold = if add {
                g.sold + u64::from(n)
            } else {
                g.sold.saturating_sub(u64::from(n))
            };
        }
    }

    /// Applies an event whose projection ([`World::project`]) is `puts`.
    pub fn commit(&mut self, ev: &Event, puts: &[(NodeId, Record)]) {
        match &ev.body {
            EventBody::Created { .. } | EventBody::CreatedMany { .. } => {
                for (id, r) in puts {
                    self.load(*id, Arc::new(r.clone()));
                }
                if let Some((first, end)) = created_range(ev) {
                    // Beyond 2^32 - 1 events the seq is not kept (0: views then name none)
                    // rather than a wrong one.
                    let seq = u32::try_from(ev.seq).unwrap_or(0);
                    let (first, end) = (first as usize, end as usize);
                    if self.created.len() < end {
                        self.created.resize(end, 0);
                    }
                    self.created[first..end].fill(seq);
                }
                return;
            }
            EventBody::ListingBatchesLinked { listing, batches } => {
                self.graph.link_batches(*listing, batches)
            }
            EventBody::KeyRevoked { key } => self.graph.revoke_key(key.raw()),
            EventBody::GrantRevoked { grant } => self.graph.revoke_grant(grant.raw()),
            EventBody::SaleCorrected { sale, .. } => {
                if let Some(Record::Sale(old)) = self.record(sale.raw()).map(|r| Record::clone(r)) {
                    self.count_sold(&old, false);
                }
                for (_, r) in puts {
                    if let Record::Sale(new) = r {
                        self.count_sold(new, true);
                        self.graph.set_b(sale.raw(), new.pieces);
                    }
                }
            }
            EventBody::RequestReplied { .. }
            | EventBody::OrderConfirmed { .. }
            | EventBody::QualificationReviewed { .. } => {
                for (id, r) in puts {
                    match r {
                        Record::Request(q) => self.graph.set_flag(*id, q.state() as u8),
                        Record::Order(o) => self.graph.set_flag(
                            *id,
                            o.confirmation.as_ref().map_or(0, |c| 1 + c.result as u8),
                        ),
                        Record::Qualification(q) => self
                            .graph
                            .set_flag(*id, q.review.as_ref().map_or(0, |r| 1 + r.result as u8)),
                        _ => {}
                    }
                }
            }
            EventBody::ActionAcknowledged { .. } | EventBody::CaseUpdated { .. } => {
                for (id, r) in puts {
                    match r {
                        Record::Action(a) => self.graph.set_flag(*id, a.status as u8),
                        Record::Listing(l) => self.graph.set_listing_status(*id, l.status),
                        Record::Case(c) => {
                            self.graph.set_flag(*id, c.status as u8);
                            self.graph.set_a(*id, c.holder.raw());
                        }
                        _ => {}
                    }
                }
            }
        }
        // Updated records replace their resident image.
        for (id, r) in puts {
            self.touched.entry(*id).or_default().push(ev.seq);
            self.keep(*id, Arc::new(r.clone()));
        }
    }

    /// The event (seq) that created `id` (for a unit: its batch's).
    pub fn created_seq(&self, id: NodeId) -> Option<u64> {
        match self.created.get(id as usize) {
            Some(&seq) if seq > 0 => Some(u64::from(seq)),
            _ => None,
        }
    }

    /// The events (seq) that changed an existing record since it was created, oldest first.
    pub fn touched(&self, id: NodeId) -> &[u64] {
        self.touched.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl World {
    /// What `ev` writes, computed from the current state; nothing changes. Refused if an
    /// amount would overflow (mass balance sums stay exact).
    pub fn project(&self, ev: &Event) -> Result<Projection, WorldError> {
        // New records take fresh ids only: an event decided over an older world (whose
        // next id another event has taken since) does not apply.
        let taken = |id: &NodeId| self.meta(*id).is_some();
        let reused = match &ev.body {
            EventBody::Created { id, .. } => Some(*id).filter(taken),
            EventBody::CreatedMany { records } => records.iter().map(|(id, _)| *id).find(taken),
            _ => None,
        };
        if let Some(id) = reused {
            return Err(WorldError::IdTaken(id));
        }
        let p = project(ev, |id| self.record(id).map(|r| Record::clone(r)))?;
        if matches!(
            ev.body,
            EventBody::Created { .. } | EventBody::CreatedMany { .. }
        ) {
            self.check_amounts(&p.puts)?;
        }
        // Natural keys stay unique: against the world and within the event.
        for (i, (k, _)) in p.keys.iter().enumerate() {
            if let Some(&taken) = self.keys.get(&key_digest(k)) {
                return Err(WorldError::KeyTaken(taken));
            }
            if let Some((_, id)) = p.keys[..i].iter().find(|(o, _)| o == k) {
                return Err(WorldError::KeyTaken(*id));
            }
        }
        Ok(p)
    }

    /// Every holding the new records change keeps `produced + received` and `consumed +
    /// shipped` within `u64` (so `available` is exact).
    fn check_amounts(&self, puts: &[(NodeId, Record)]) -> Result<(), WorldError> {
        let mut delta: Map<(NodeId, NodeId), Holding> = Map::default();
        for (id, r) in puts {
            each_flow(*id, r, |lot, party, flow, q| {
                let (lot, party) = (lot.raw(), party.raw());
                let slot = flow.of(delta.entry((lot, party)).or_default());
                *slot = slot
                    .checked_add(q)
                    .ok_or(WorldError::Overflow { lot, party })?;
                Ok(())
            })?;
        }
        for ((lot, party), d) in delta {
            let h = self.holding(lot, party);
            let fits = h
                .produced
                .0
                .checked_add(h.received.0)
                .and_then(|x| x.checked_add(d.produced.0))
                .and_then(|x| x.checked_add(d.received.0))
                .is_some()
                && h.consumed
                    .0
                    .checked_add(h.shipped.0)
                    .and_then(|x| x.checked_add(d.consumed.0))
                    .and_then(|x| x.checked_add(d.shipped.0))
                    .is_some();
            if !fits {
                return Err(WorldError::Overflow { lot, party });
            }
        }
        Ok(())
    }

    /// Applies one event: [`World::project`] then [`World::commit`].
    pub fn apply(&mut self, ev: &Event) -> Result<Projection, WorldError> {
        let p = self.project(ev)?;
        self.commit(ev, &p.puts);
        Ok(p)
    }

    /// A digest of the whole state (records, graph headers, holdings, marks, keys), equal
    /// for equal worlds: replay must give the digest the live world had.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        for seq in &self.created {
            h.update(&seq.to_be_bytes());
        }
        for (i, r) in self.records.iter().enumerate() {
            if let Some(r) = r {
                h.update(&(i as u32).to_be_bytes());
                h.update(&crate::core::codec::encode(&**r).unwrap_or_default());
            }
        }
        for id in 0..self.graph.len() as NodeId {
            if let Some(m) = self.graph.meta(id) {
                h.update(&[m.kind as u8, m.flag]);
                h.update(&m.a.to_be_bytes());
                h.update(&m.b.to_be_bytes());
            }
            // Edges as a set: a store that rebuilds from its records links in id order, a
            // replay in event order.
            let mut outs = self.graph.outputs(id).to_vec();
            outs.sort_unstable();
            for o in outs {
                h.update(&o.to_be_bytes());
            }
        }
        let mut holdings: Vec<_> = self.holdings.iter().collect();
        holdings.sort_unstable_by_key(|(k, _)| **k);
        for ((l, p), x) in holdings {
            for v in [
                *l as u64,
                *p as u64,
                x.produced.0,
                x.received.0,
                x.consumed.0,
                x.shipped.0,
            ] {
                h.update(&v.to_be_bytes());
            }
        }
        hash_lists(&mut h, &self.marks);
        hash_lists(&mut h, &self.touched);
        hash_lists(&mut h, &self.goods_moves);
        hash_lists(&mut h, &self.listings_of);
        let mut goods: Vec<_> = self.goods.iter().collect();
        goods.sort_unstable_by_key(|(k, _)| **k);
        for ((b, p), g) in goods {
            for v in [*b as u64, *p as u64, g.received, g.shipped, g.sold] {
                h.update(&v.to_be_bytes());
            }
        }
        let mut keys: Vec<_> = self.keys.iter().collect();
        keys.sort_unstable();
        for (k, v) in keys {
            h.update(k);
            h.update(&v.to_be_bytes());
        }
        *h.finalize().as_bytes()
    }
}

/// Which amount of a holding a record moves.
#[derive(Clone, Copy)]
enum Flow {
    Produced,
    Received,
    Consumed,
    Shipped,
}

impl Flow {
    fn of(self, h: &mut Holding) -> &mut u64 {
        match self {
            Flow::Produced => &mut h.produced.0,
            Flow::Received => &mut h.received.0,
            Flow::Consumed => &mut h.consumed.0,
            Flow::Shipped => &mut h.shipped.0,
        }
    }
}

/// What a new record `id` does to the holdings, once per (lot, party, amount, thousandths):
/// a lot is produced by its producer and consumes its inputs, a shipment moves a lot from
/// one party to another, a batch consumes its inputs. The one place that says so, for
/// applying and for the overflow check before it.
fn each_flow<E>(
    id: NodeId,
    r: &Record,
    mut f: impl FnMut(Id<Lot>, Id<Party>, Flow, u64) -> Result<(), E>,
) -> Result<(), E> {
    match r {
        Record::Lot(l) => {
            f(Id::new(id), l.producer, Flow::Produced, l.quantity.amount.0)?;
            for i in &l.inputs {
                f(i.lot, l.producer, Flow::Consumed, i.quantity.amount.0)?;
            }
        }
        Record::Shipment(s) => {
            f(s.lot, s.from, Flow::Shipped, s.quantity.amount.0)?;
            f(s.lot, s.to, Flow::Received, s.quantity.amount.0)?;
        }
        Record::Batch(b) => {
            for i in &b.inputs {
                f(i.lot, b.manufacturer, Flow::Consumed, i.quantity.amount.0)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Hashes a map of lists in key order (for [`World::digest`]).
fn hash_lists<X: Copy + Into<u64>>(h: &mut blake3::Hasher, m: &Map<NodeId, Vec<X>>) {
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_unstable_by_key(|(k, _)| **k);
    for (k, v) in entries {
        h.update(&k.to_be_bytes());
        for &x in v {
            h.update(&x.into().to_be_bytes());
        }
    }
}

/// What an event writes: the records it creates or changes (whole, as they are after it)
/// and the natural keys it takes (encoded).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub puts: Vec<(NodeId, Record)>,
    pub keys: Vec<(Vec<u8>, NodeId)>,
}

/// The ids an event created: `[first, end)`.
pub fn created_range(ev: &Event) -> Option<(NodeId, NodeId)> {
    match &ev.body {
        EventBody::Created { id, record } => {
            let units = match record {
                Record::Batch(b) => b.unit_count,
                _ => 0,
            };
            Some((*id, id + 1 + units))
        }
        EventBody::CreatedMany { records } => {
            let first = records.iter().map(|(id, _)| *id).min()?;
            let last = records.iter().map(|(id, _)| *id).max()?;
            Some((first, last + 1))
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "world_tests.rs"]
mod tests;

#[path = "world_parts.rs"]
mod parts;

#[path = "world_reads.rs"]
mod reads;

#[path = "world_project.rs"]
mod projection;
use projection::project;
