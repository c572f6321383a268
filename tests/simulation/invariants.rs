//! The invariants checked after every step of the simulation.

use super::sim::Sim;
use boardtrail::domain::{
    natural_keys, ActionStatus, ListingStatus, NodeId, NodeKind, Record, Role,
};
use boardtrail::store::{MemStore, Store};
use std::collections::{BTreeSet, HashSet};

impl Sim {
    pub(crate) fn check_invariants(&self, when: &str) {
        let s = &self.store;
        assert_eq!(
            s.stats().events,
            self.accepted,
            "{when}: one event per accepted command"
        );
        let all: Vec<NodeId> = (0..s.next_id()).collect();
        // Mass balance for every party and lot.
        for id in &all {
            if s.meta(*id).map(|m| m.kind) != Some(NodeKind::Party) {
                continue;
            }
            for (lot, h) in s.holdings_of(*id) {
                assert!(
                    h.consumed.0 + h.shipped.0 <= h.produced.0 + h.received.0,
                    "{when}: party {id} used more of lot {lot} than it had: {h:?}"
                );
            }
        }
        // Mass balance on finished pieces, from the records themselves: a party ships and
        // sells at most what it made or received of a batch; the world's counts agree.
        let mut moved: std::collections::HashMap<(NodeId, NodeId), (u64, u64, u64)> =
            Default::default();
        for &id in &all {
            match s.record(id) {
                Ok(Some(Record::GoodsShipment(g))) => {
                    moved.entry((g.batch.raw(), g.from.raw())).or_default().1 +=
                        u64::from(g.pieces);
                    moved.entry((g.batch.raw(), g.to.raw())).or_default().0 += u64::from(g.pieces);
                }
                Ok(Some(Record::Sale(x))) => {
                    let Ok(Some(Record::Listing(l))) = s.record(x.listing.raw()) else {
                        panic!("{when}: a sale of no listing");
                    };
                    assert_eq!(
                        x.batches.iter().map(|(_, n)| u64::from(*n)).sum::<u64>(),
                        u64::from(x.pieces),
                        "{when}: a sale's pieces all come from batches"
                    );
                    for (b, n) in &x.batches {
                        moved.entry((b.raw(), l.seller.raw())).or_default().2 += u64::from(*n);
                    }
                }
                _ => {}
            }
        }
        for ((b, p), (received, shipped, sold)) in moved {
            let made = match s.record(b) {
                Ok(Some(Record::Batch(x))) if x.manufacturer.raw() == p => u64::from(x.quantity),
                _ => 0,
            };
            assert!(
                shipped + sold <= made + received,
                "{when}: party {p} moved {shipped}+{sold} of batch {b}, had {made}+{received}"
            );
            let g = s.world().goods(b, p);
            assert_eq!(
                (g.received, g.shipped, g.sold),
                (received, shipped, sold),
                "{when}: the world's goods of ({b}, {p})"
            );
        }
        // A failed inspection marks exactly the lots upstream of its subject and their
        // suppliers (found here from the records), a passed one nothing; the world's marks
        // are those of the failed inspections.
        let mut marks: std::collections::BTreeMap<NodeId, Vec<NodeId>> = Default::default();
        for &id in &all {
            if let Ok(Some(Record::Inspection(i))) = s.record(id) {
                let marked: BTreeSet<NodeId> = i.marked.iter().copied().collect();
                let expected = if i.verdict == boardtrail::domain::Verdict::Fail {
                    upstream_lots_and_suppliers(s, i.subject)
                } else {
                    BTreeSet::new()
                };
                assert_eq!(marked, expected, "{when}: the marks of inspection {id}");
                for m in marked {
                    marks.entry(m).or_default().push(id);
                }
            }
        }
        for &id in &all {
            let mut world: Vec<NodeId> = s.world().marks(id).to_vec();
            world.sort_unstable();
            let records = marks.get(&id).cloned().unwrap_or_default();
            assert_eq!(world, records, "{when}: the world's marks of {id}");
        }
        // A listing's status is the measure of its latest action done (active without
        // one), in its record and in the graph.
        let mut done: std::collections::BTreeMap<NodeId, (i64, NodeId, ListingStatus)> =
            Default::default();
        for &id in &all {
            if let Ok(Some(Record::Action(a))) = s.record(id) {
                if a.status == ActionStatus::Done {
                    let at = (a.acked_at.expect("a done action's time"), id);
                    let e = done.entry(a.listing.raw()).or_insert((
                        at.0,
                        at.1,
                        a.kind.listing_status(),
                    ));
                    if at > (e.0, e.1) {
                        *e = (at.0, at.1, a.kind.listing_status());
                    }
                }
            }
        }
        for &id in &all {
            if let Ok(Some(Record::Listing(l))) = s.record(id) {
                let expected = done.get(&id).map_or(ListingStatus::Active, |d| d.2);
                assert_eq!(l.status, expected, "{when}: the status of listing {id}");
                let flag = s.meta(id).expect("a listing's header").flag;
                assert_eq!(
                    boardtrail::graph::status_from_code(flag),
                    expected,
                    "{when}: the graph's status of listing {id}"
                );
            }
        }
        // Acyclic: no walk along outputs comes back to where it started.
        let mut done = HashSet::new();
        for &root in &all {
            let mut on_path = HashSet::new();
            let mut stack = vec![(root, false)];
            while let Some((n, leaving)) = stack.pop() {
                if leaving {
                    on_path.remove(&n);
                    done.insert(n);
                    continue;
                }
                if done.contains(&n) {
                    continue;
                }
                assert!(on_path.insert(n), "{when}: a cycle through {n}");
                stack.push((n, true));
                for o in s.outputs(n) {
                    if !done.contains(&o) {
                        assert!(!on_path.contains(&o), "{when}: a cycle through {o}");
                        stack.push((o, false));
                    }
                }
            }
        }
        // Natural keys are unique.
        let mut keys = HashSet::new();
        for &id in &all {
            if let Ok(Some(r)) = s.record(id) {
                for k in natural_keys(&r) {
                    assert!(keys.insert(k.encode()), "{when}: key {k:?} twice ({id})");
                }
                if let Record::Lot(l) = &r {
                    assert!(
                        l.inputs.iter().all(|i| i.lot.raw() < id),
                        "{when}: a lot made from a later lot"
                    );
                }
            }
        }
        let report = s.verify().unwrap();
        assert!(report.ok(), "{when}: {:?}", report.problems);
    }
}

/// The lots upstream of `subject` (itself, if a lot), along the records' inputs, and their
/// producers that are suppliers.
fn upstream_lots_and_suppliers(s: &MemStore, subject: NodeId) -> BTreeSet<NodeId> {
    let (mut out, mut seen, mut stack) = (BTreeSet::new(), HashSet::new(), vec![subject]);
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        match s.record(n) {
            Ok(Some(Record::Lot(l))) => {
                out.insert(n);
                if let Ok(Some(Record::Party(p))) = s.record(l.producer.raw()) {
                    if p.role == Role::Supplier {
                        out.insert(l.producer.raw());
                    }
                }
                stack.extend(l.inputs.iter().map(|i| i.lot.raw()));
            }
            Ok(Some(Record::Batch(b))) => stack.extend(b.inputs.iter().map(|i| i.lot.raw())),
            _ => {}
        }
    }
    out
}
