//! Unit tests of `graph` (kept beside it, in their own file).
use super::walk::Seen;
use super::*;
use crate::core::domain::*;

fn q(v: u64) -> Quantity {
    Quantity {
        amount: Milli::from_whole(v).expect("a test amount"),
        unit: QtyUnit::Sheet,
    }
}

fn party(role: Role) -> Record {
    Record::Party(Party {
        name: "p".into(),
        role,
        uscc: crate::core::codes::Uscc::with_check("91350100M000100Y4").unwrap(),
        city: String::new(),
        created_at: 0,
    })
}

fn lot(producer: NodeId, inputs: &[NodeId]) -> Record {
    Record::Lot(Lot {
        producer: Id::new(producer),
        lot_code: "l".into(),
        material: Material::Plywood,
        formaldehyde_class: FormaldehydeClass::E0,
        quantity: q(10),
        produced_at: 0,
        gtin: None,
        inputs: inputs
            .iter()
            .map(|&l| Input {
                lot: Id::new(l),
                quantity: q(1),
            })
            .collect(),
        created_at: 0,
    })
}

fn batch(m: NodeId, id: NodeId, inputs: &[NodeId], units: u32) -> Record {
    Record::Batch(Batch {
        manufacturer: Id::new(m),
        batch_code: "b".into(),
        product: Product {
            name: "n".into(),
            model: "m".into(),
            gtin: None,
        },
        quantity: units.max(1),
        inputs: inputs
            .iter()
            .map(|&l| Input {
                lot: Id::new(l),
                quantity: q(1),
            })
            .collect(),
        produced_at: 0,
        first_unit: Id::new(id + 1),
        unit_count: units,
        created_at: 0,
    })
}

fn listing(platform: NodeId, seller: NodeId, batches: &[NodeId]) -> Record {
    Record::Listing(Listing {
        platform: Id::new(platform),
        seller: Id::new(seller),
        shop: "s".into(),
        item_id: "i".into(),
        url: "https://x".into(),
        title: "t".into(),
        batches: batches.iter().map(|&b| Id::new(b)).collect(),
        status: ListingStatus::Active,
        created_at: 0,
    })
}

/// 0 supplier A, 1 supplier B, 2 maker, 3 platform; 4 lot(A), 5 lot(A), 6 lot(B);
/// 7 panel from 4+6 by maker; 8 batch from 7+5 with units 9,10; 11 batch from 6;
/// 12 listing of 8; 13 listing of 11.
fn sample() -> Graph {
    let mut g = Graph::default();
    g.add(0, &party(Role::Supplier));
    g.add(1, &party(Role::Supplier));
    g.add(2, &party(Role::Manufacturer));
    g.add(3, &party(Role::Platform));
    g.add(4, &lot(0, &[]));
    g.add(5, &lot(0, &[]));
    g.add(6, &lot(1, &[]));
    g.add(7, &lot(2, &[4, 6]));
    g.add(8, &batch(2, 8, &[7, 5], 2));
    g.add(11, &batch(2, 11, &[6], 0));
    g.add(12, &listing(3, 2, &[8]));
    g.add(13, &listing(3, 2, &[11]));
    g
}

#[test]
fn upstream_from_unit_reaches_each_lot_and_producer_once() {
    let g = sample();
    let up = g.upstream(9);
    let mut nodes = up.nodes.clone();
    nodes.sort();
    assert_eq!(nodes, vec![0, 1, 2, 4, 5, 6, 7, 8, 9]);
    assert_eq!(up.nodes[0], 9);
    assert!(up.edges.contains(&(8, 9)));
    assert!(up.edges.contains(&(4, 7)));
    assert!(up.edges.contains(&(2, 7)));
    assert_eq!(g.meta(10).unwrap().a, 8);
}

#[test]
fn downstream_from_supplier_and_lot() {
    let g = sample();
    let a = g.downstream(0);
    assert_eq!(a.lots, vec![4, 5, 7]);
    assert_eq!(a.batches, vec![8]);
    assert_eq!(a.listings, vec![12]);
    assert_eq!(a.units, 2);
    let b = g.downstream(1);
    assert_eq!(b.batches, vec![8, 11]);
    assert_eq!(b.listings, vec![12, 13]);
    let lot6 = g.downstream(6);
    assert_eq!(lot6.lots, vec![7]);
    assert_eq!(lot6.listings, vec![12, 13]);
    let l5 = g.downstream(5);
    assert_eq!(l5.listings, vec![12]);
}

#[test]
fn linking_and_status() {
    let mut g = sample();
    g.link_batches(Id::new(13), &[Id::new(8)]);
    assert_eq!(g.downstream(0).listings, vec![12, 13]);
    g.set_listing_status(13, ListingStatus::Suspended);
    assert_eq!(
        status_from_code(g.meta(13).unwrap().flag),
        ListingStatus::Suspended
    );
    assert_eq!(role_from_code(g.meta(2).unwrap().flag), Role::Manufacturer);
}

#[test]
fn seen_switches_to_hash_set() {
    let mut s = Seen::default();
    for i in 0..200 {
        assert!(s.insert(i));
    }
    for i in 0..200 {
        assert!(!s.insert(i));
    }
}

#[test]
fn upstream_walk_matches_a_plain_search_on_wide_and_shared_dags() {
    // Lots made from up to 7 earlier lots (past the four kept inline), shared between
    // batches; every walk must name each node once and each edge once, as a plain
    // depth-first search over `inputs` does.
    let mut g = Graph::default();
    g.add(0, &party(Role::Supplier));
    g.add(1, &party(Role::Manufacturer));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut lots: Vec<NodeId> = Vec::new();
    let mut id = 2;
    for _ in 0..60 {
        let k = if lots.is_empty() { 0 } else { next(8) as usize };
        let mut inputs: Vec<NodeId> = (0..k)
            .map(|_| lots[next(lots.len() as u64) as usize])
            .collect();
        inputs.sort_unstable();
        inputs.dedup();
        g.add(id, &lot(0, &inputs));
        lots.push(id);
        id += 1;
    }
    let mut batches = Vec::new();
    for _ in 0..10 {
        let inputs: Vec<NodeId> = (0..6)
            .map(|_| lots[next(lots.len() as u64) as usize])
            .collect();
        let mut inputs = inputs;
        inputs.sort_unstable();
        inputs.dedup();
        g.add(id, &batch(1, id, &inputs, 1));
        batches.push(id);
        id += 2;
    }
    assert!(
        lots.iter().any(|&l| g.inputs(l).len() > 5),
        "some list spills past the inline four"
    );
    for &root in lots.iter().chain(&batches) {
        let up = g.upstream(root);
        let (mut nodes, mut edges) = (vec![root], Vec::new());
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            for &src in g.inputs(n) {
                edges.push((src, n));
                if !nodes.contains(&src) {
                    nodes.push(src);
                    stack.push(src);
                }
            }
        }
        assert_eq!(up.nodes[0], root);
        let (mut got_nodes, mut got_edges) = (up.nodes.clone(), up.edges.clone());
        for v in [&mut nodes, &mut got_nodes] {
            v.sort_unstable();
        }
        edges.sort_unstable();
        got_edges.sort_unstable();
        assert_eq!(got_nodes, nodes, "nodes from {root}");
        assert_eq!(got_edges, edges, "edges from {root}");
    }
}
