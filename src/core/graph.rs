//! The resident supply graph: dense integer ids, a 12-byte header per node and adjacency
//! lists in both directions. Built by the events (from the snapshot and the log after it at
//! start) and updated by every committed one; the event log is the record of truth.
//!
//! Edges point downstream: producer → lot, lot → lot (input), lot → batch (input),
//! batch → listing. Units are not stored as edges: a batch's units are the `unit_count`
//! ids right after it, and a unit's header names its batch.

use crate::core::domain::{
    Batch, Id, Listing, ListingStatus, NodeId, NodeKind, Record, Role, Verdict,
};

/// The maps of the resident state: foldhash (fast, seeded per process) instead of SipHash;
/// their keys are dense ids and digests chosen by the server, not by callers.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeMeta {
    pub kind: NodeKind,
    /// Listing status (as `ListingStatus as u8`); party role for parties.
    pub flag: u8,
    /// Lot: producer. Shipment: lot. Batch: manufacturer. Unit: batch. Listing: platform.
    pub a: NodeId,
    /// Shipment: receiver. Batch: unit count. Unit: index in batch. Listing: seller.
    pub b: u32,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Graph {
    #[serde(deserialize_with = "crate::core::codec::exact_vec")]
    meta: Vec<Option<NodeMeta>>,
    /// Each id's inputs and outputs. Most nodes have at most four of each, kept inline in
    /// the 24-byte slot itself: a walk reads one slot per node, not a slot and a list
    /// elsewhere on the heap (serialised like a `Vec`, so snapshots keep their bytes).
    #[serde(deserialize_with = "crate::core::codec::exact_vec")]
    up: Vec<Adjacent>,
    #[serde(deserialize_with = "crate::core::codec::exact_vec")]
    down: Vec<Adjacent>,
    edge_count: u64,
    /// Ids of the low-volume kinds (parties, inspections, declarations, actions, cases),
    /// in id order, for listings and statistics without scanning every node.
    by_kind: Map<u8, Vec<NodeId>>,
    /// Records attached to a node that are not supply edges: a party's keys and
    /// declarations, a subject's inspections, a listing's actions.
    #[serde(deserialize_with = "crate::core::codec::exact_map")]
    attached: Map<NodeId, Vec<NodeId>>,
}

/// The ids next to one node, up to four inline.
type Adjacent = smallvec::SmallVec<[NodeId; 4]>;
const _: () = assert!(std::mem::size_of::<Adjacent>() == 24);

/// How many id slots the per-id vectors grow by at a time.
const GROW_STEP: usize = 64 * 1024;

/// Kinds indexed in `by_kind`.
fn indexed(kind: NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Party
            | NodeKind::Inspection
            | NodeKind::Declaration
            | NodeKind::Action
            | NodeKind::Case
            | NodeKind::Grant
            | NodeKind::Complaint
            | NodeKind::GoodsShipment
            | NodeKind::Request
            | NodeKind::Order
            | NodeKind::Qualification
            | NodeKind::Check
            | NodeKind::Plan
            | NodeKind::PlanSample
    )
}

fn role_code(r: Role) -> u8 {
    match r {
        Role::Supplier => 0,
        Role::Manufacturer => 1,
        Role::Platform => 2,
        Role::Regulator => 3,
        Role::Lab => 4,
        Role::Distributor => 5,
    }
}

pub fn role_from_code(c: u8) -> Role {
    match c {
        0 => Role::Supplier,
        1 => Role::Manufacturer,
        2 => Role::Platform,
        3 => Role::Regulator,
        5 => Role::Distributor,
        _ => Role::Lab,
    }
}

fn status_code(s: ListingStatus) -> u8 {
    s as u8
}

pub fn status_from_code(c: u8) -> ListingStatus {
    match c {
        0 => ListingStatus::Active,
        1 => ListingStatus::Deleted,
        2 => ListingStatus::Blocked,
        3 => ListingStatus::Disconnected,
        4 => ListingStatus::Suspended,
        _ => ListingStatus::Terminated,
    }
}

impl Graph {
    /// Ids of a low-volume kind (parties, inspections, declarations, actions, cases).
    pub fn ids_of(&self, kind: NodeKind) -> &[NodeId] {
        self.by_kind
            .get(&(kind as u8))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Sets a node's flag (action status, case status, declaration status, listing status).
    pub fn set_flag(&mut self, id: NodeId, flag: u8) {
        if let Some(Some(m)) = self.meta.get_mut(id as usize) {
            m.flag = flag;
        }
    }

    /// Sets a node's `b` field (a sale's pieces).
    pub fn set_b(&mut self, id: NodeId, b: NodeId) {
        if let Some(Some(m)) = self.meta.get_mut(id as usize) {
            m.b = b;
        }
    }

    /// Sets a node's `a` field (a case's holder).
    pub fn set_a(&mut self, id: NodeId, a: NodeId) {
        if let Some(Some(m)) = self.meta.get_mut(id as usize) {
            m.a = a;
        }
    }

    /// Number of id slots in use (the next free id).
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    pub fn edge_count(&self) -> u64 {
        self.edge_count
    }

    pub fn meta(&self, id: NodeId) -> Option<NodeMeta> {
        self.meta.get(id as usize).copied().flatten()
    }

    pub fn inputs(&self, id: NodeId) -> &[NodeId] {
        self.up
            .get(id as usize)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    pub fn outputs(&self, id: NodeId) -> &[NodeId] {
        self.down
            .get(id as usize)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    fn ensure(&mut self, id: NodeId) {
        let need = id as usize + 1;
        if self.meta.len() < need {
            // Grow in fixed steps, not by doubling: one node past a loaded graph of 1.9M ids
            // would otherwise reserve room for 1.9M more in each per-id vector.
            if self.meta.capacity() < need {
                let step = (need - self.meta.len()).max(GROW_STEP);
                self.meta.reserve_exact(step);
                self.up.reserve_exact(step);
                self.down.reserve_exact(step);
            }
            self.meta.resize(need, None);
            self.up.resize_with(need, Adjacent::new);
            self.down.resize_with(need, Adjacent::new);
        }
    }

    fn link(&mut self, from: NodeId, to: NodeId) {
        self.ensure(from.max(to));
        self.down[from as usize].push(to);
        self.up[to as usize].push(from);
        self.edge_count += 1;
    }

    /// Attaches a record to a node (not a supply edge; walks never see it).
    fn attach(&mut self, to: NodeId, record: NodeId) {
        self.attached.entry(to).or_default().push(record);
    }

    /// Records attached to a node, oldest first.
    pub fn attached(&self, id: NodeId) -> &[NodeId] {
        self.attached.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    fn set(&mut self, id: NodeId, m: NodeMeta) {
        self.ensure(id);
        if indexed(m.kind) && self.meta[id as usize].is_none() {
            self.by_kind.entry(m.kind as u8).or_default().push(id);
        }
        self.meta[id as usize] = Some(m);
    }

    /// Adds a recorded entity (and, for a batch, its units) with its edges.
    pub fn add(&mut self, id: NodeId, record: &Record) {
        match record {
            Record::Party(p) => self.set(
                id,
                NodeMeta {
                    kind: NodeKind::Party,
                    flag: role_code(p.role),
                    a: 0,
                    b: 0,
                },
            ),
            Record::Lot(l) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Lot,
                        flag: 0,
                        a: l.producer.raw(),
                        b: 0,
                    },
                );
                self.link(l.producer.raw(), id);
                for i in &l.inputs {
                    self.link(i.lot.raw(), id);
                }
            }
            Record::Shipment(s) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Shipment,
                        flag: 0,
                        a: s.lot.raw(),
                        b: s.to.raw(),
                    },
                );
            }
            Record::Batch(b) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Batch,
                        flag: 0,
                        a: b.manufacturer.raw(),
                        b: b.unit_count,
                    },
                );
                for i in &b.inputs {
                    self.link(i.lot.raw(), id);
                }
                for (n, u) in b.unit_ids().enumerate() {
                    self.set(
                        u,
                        NodeMeta {
                            kind: NodeKind::Unit,
                            flag: 0,
                            a: id,
                            b: n as u32,
                        },
                    );
                }
            }
            Record::Key(k) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Key,
                        flag: k.revoked_at.is_some() as u8,
                        a: k.party.raw(),
                        b: 0,
                    },
                );
                self.attach(k.party.raw(), id);
            }
            Record::Grant(g) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Grant,
                        flag: g.revoked_at.is_some() as u8,
                        a: g.seller.raw(),
                        b: g.platform.raw(),
                    },
                );
                self.attach(g.seller.raw(), id);
                self.attach(g.platform.raw(), id);
            }
            Record::Inspection(i) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Inspection,
                        flag: (i.verdict == Verdict::Fail) as u8,
                        a: i.subject,
                        b: i.lab.raw(),
                    },
                );
                self.attach(i.subject, id);
            }
            Record::Declaration(d) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Declaration,
                        flag: d.status as u8,
                        a: d.party.raw(),
                        b: 0,
                    },
                );
                self.attach(d.party.raw(), id);
            }
            Record::Action(a) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Action,
                        flag: a.status as u8,
                        a: a.listing.raw(),
                        b: a.platform.raw(),
                    },
                );
                self.attach(a.listing.raw(), id);
            }
            Record::Case(c) => self.set(
                id,
                NodeMeta {
                    kind: NodeKind::Case,
                    flag: c.status as u8,
                    a: c.holder.raw(),
                    b: c.opened_by.raw(),
                },
            ),
            Record::Complaint(c) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Complaint,
                        flag: 0,
                        a: c.case.raw(),
                        b: c.subject,
                    },
                );
                self.attach(c.case.raw(), id);
                self.attach(c.subject, id);
            }
            Record::GoodsShipment(g) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::GoodsShipment,
                        flag: 0,
                        a: g.batch.raw(),
                        b: g.to.raw(),
                    },
                );
                self.attach(g.from.raw(), id);
                self.attach(g.to.raw(), id);
            }
            Record::Sale(x) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Sale,
                        flag: 0,
                        a: x.listing.raw(),
                        b: x.pieces,
                    },
                );
                self.attach(x.listing.raw(), id);
            }
            Record::Request(r) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Request,
                        flag: r.state() as u8,
                        a: r.from.raw(),
                        b: r.to.raw(),
                    },
                );
                self.attach(r.from.raw(), id);
                self.attach(r.to.raw(), id);
            }
            Record::Order(o) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Order,
                        flag: o.confirmation.as_ref().map_or(0, |c| 1 + c.result as u8),
                        a: o.inspection.raw(),
                        b: o.platform.raw(),
                    },
                );
                self.attach(o.inspection.raw(), id);
                self.attach(o.listing.raw(), id);
            }
            Record::Qualification(q) => {
                let kind = match q.kind {
                    crate::core::domain::QualificationKind::Licence { .. } => 0,
                    crate::core::domain::QualificationKind::Trademark { .. } => 1,
                    crate::core::domain::QualificationKind::Certificate { .. } => 2,
                };
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Qualification,
                        flag: q.review.as_ref().map_or(0, |r| 1 + r.result as u8),
                        a: q.party.raw(),
                        b: kind,
                    },
                );
                self.attach(q.party.raw(), id);
                // A trademark's authorised users see it among their qualifications.
                if let crate::core::domain::QualificationKind::Trademark { authorised, .. } =
                    &q.kind
                {
                    for p in authorised {
                        if *p != q.party {
                            self.attach(p.raw(), id);
                        }
                    }
                }
            }
            Record::Check(c) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Check,
                        flag: c.result as u8,
                        a: c.seller.raw(),
                        b: c.platform.raw(),
                    },
                );
                self.attach(c.seller.raw(), id);
                self.attach(c.platform.raw(), id);
            }
            Record::Claims(c) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Claims,
                        flag: 0,
                        a: c.listing.raw(),
                        b: 0,
                    },
                );
                self.attach(c.listing.raw(), id);
            }
            Record::Plan(p) => self.set(
                id,
                NodeMeta {
                    kind: NodeKind::Plan,
                    flag: 0,
                    a: p.created_by.map_or(u32::MAX, |b| b.raw()),
                    b: 0,
                },
            ),
            Record::PlanSample(p) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::PlanSample,
                        flag: 0,
                        a: p.plan.raw(),
                        b: p.inspection.raw(),
                    },
                );
                self.attach(p.plan.raw(), id);
                self.attach(p.inspection.raw(), id);
            }
            Record::Listing(l) => {
                self.set(
                    id,
                    NodeMeta {
                        kind: NodeKind::Listing,
                        flag: status_code(l.status),
                        a: l.platform.raw(),
                        b: l.seller.raw(),
                    },
                );
                for &b in &l.batches {
                    self.link(b.raw(), id);
                }
            }
        }
    }

    /// Links more batches to an existing listing.
    pub fn link_batches(&mut self, listing: Id<Listing>, batches: &[Id<Batch>]) {
        for &b in batches {
            self.link(b.raw(), listing.raw());
        }
    }

    /// Marks a key revoked.
    pub fn revoke_key(&mut self, key: NodeId) {
        self.revoke(key, NodeKind::Key)
    }

    /// Marks a grant revoked.
    pub fn revoke_grant(&mut self, grant: NodeId) {
        self.revoke(grant, NodeKind::Grant)
    }

    fn revoke(&mut self, id: NodeId, kind: NodeKind) {
        if let Some(Some(m)) = self.meta.get_mut(id as usize) {
            if m.kind == kind {
                m.flag = 1;
            }
        }
    }

    pub fn set_listing_status(&mut self, listing: NodeId, status: ListingStatus) {
        if let Some(Some(m)) = self.meta.get_mut(listing as usize) {
            if m.kind == NodeKind::Listing {
                m.flag = status_code(status);
            }
        }
    }

    /// Approximate resident size of the graph in bytes.
    pub fn heap_bytes(&self) -> usize {
        let lists: usize = self
            .up
            .iter()
            .chain(self.down.iter())
            .filter(|v| v.spilled())
            .map(|v| v.capacity() * 4)
            .sum();
        self.meta.capacity() * std::mem::size_of::<Option<NodeMeta>>()
            + (self.up.capacity() + self.down.capacity()) * std::mem::size_of::<Adjacent>()
            + lists
    }
}

#[path = "graph_walk.rs"]
mod walk;
pub use walk::{Reach, UpReach};

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
