//! Tests of [`super::World`]: refused overflows change nothing, equal events give equal worlds.

use super::*;
use crate::core::domain::{
    FormaldehydeClass, Lot, Material, Milli, Party, QtyUnit, Quantity, Role, Shipment,
};
use crate::core::event::Actor;

fn ev(seq: u64, body: EventBody) -> Event {
    Event {
        seq,
        at: 0,
        actor: Actor::operator(),
        body,
    }
}

fn party(id: NodeId, role: Role) -> EventBody {
    EventBody::Created {
        id,
        record: Record::Party(Party {
            name: format!("p{id}"),
            role,
            uscc: crate::core::codes::Uscc::with_check(&format!("9137130{id:010}")).unwrap(),
            city: "c".into(),
            created_at: 0,
        }),
    }
}

fn q(v: u64) -> Quantity {
    Quantity {
        amount: Milli(v),
        unit: QtyUnit::Sheet,
    }
}

#[test]
fn amounts_that_would_overflow_are_refused_and_change_nothing() {
    let mut w = World::default();
    w.apply(&ev(1, party(0, Role::Supplier))).unwrap();
    w.apply(&ev(2, party(1, Role::Manufacturer))).unwrap();
    let lot = EventBody::Created {
        id: 2,
        record: Record::Lot(Lot {
            producer: Id::new(0),
            lot_code: "L".into(),
            material: Material::Plywood,
            formaldehyde_class: FormaldehydeClass::E0,
            quantity: q(u64::MAX - 5),
            produced_at: 0,
            gtin: None,
            inputs: vec![],
            created_at: 0,
        }),
    };
    w.apply(&ev(3, lot)).unwrap();
    let before = w.digest();
    // Sent back to the producer: its made + received would pass u64::MAX.
    let back = EventBody::Created {
        id: 3,
        record: Record::Shipment(Shipment {
            lot: Id::new(2),
            from: Id::new(1),
            to: Id::new(0),
            quantity: q(10),
            shipped_at: 0,
            created_at: 0,
        }),
    };
    assert_eq!(
        w.apply(&ev(4, back)),
        Err(WorldError::Overflow { lot: 2, party: 0 })
    );
    assert_eq!(w.digest(), before, "a refused event changes nothing");
    assert_eq!(w.next_id(), 3);
}

#[test]
fn the_same_events_give_the_same_world() {
    let events = [party(0, Role::Supplier), party(1, Role::Platform)];
    let mut a = World::default();
    let mut b = World::default();
    for (i, e) in events.iter().enumerate() {
        a.apply(&ev(i as u64 + 1, e.clone())).unwrap();
        b.apply(&ev(i as u64 + 1, e.clone())).unwrap();
    }
    assert_eq!(a.digest(), b.digest());
    b.apply(&ev(3, party(2, Role::Lab))).unwrap();
    assert_ne!(a.digest(), b.digest());
}

#[test]
fn a_record_under_a_taken_id_is_refused_and_changes_nothing() {
    let mut w = World::default();
    w.apply(&ev(1, party(0, Role::Supplier))).unwrap();
    let before = w.digest();
    // Another party decided over the empty world: its id 0 is taken by now.
    let mut late = party(0, Role::Manufacturer);
    if let EventBody::Created {
        record: Record::Party(p),
        ..
    } = &mut late
    {
        p.uscc = crate::core::codes::Uscc::with_check("91371300000000009").unwrap();
    }
    assert_eq!(w.apply(&ev(2, late)), Err(WorldError::IdTaken(0)));
    assert_eq!(w.digest(), before);
    w.apply(&ev(2, party(1, Role::Manufacturer))).unwrap();
}

/// A maker's batch of 10 pieces (id 2, from lot-less inputs), 4 shipped to a distributor,
/// a listing of the distributor and a sale of 3 from it, then corrected to 1.
#[test]
fn goods_and_sales_count_pieces_and_survive_a_snapshot() {
    use crate::core::domain::{
        Batch, GoodsShipment, Listing, ListingStatus, Product, Province, Sale,
    };
    let mut w = World::default();
    w.apply(&ev(1, party(0, Role::Manufacturer))).unwrap();
    w.apply(&ev(2, party(1, Role::Distributor))).unwrap();
    let batch = Batch {
        manufacturer: Id::new(0),
        batch_code: "B".into(),
        product: Product {
            name: "wardrobe".into(),
            model: "W".into(),
            gtin: None,
        },
        quantity: 10,
        inputs: vec![],
        produced_at: 0,
        first_unit: Id::new(3),
        unit_count: 0,
        created_at: 0,
    };
    w.apply(&ev(
        3,
        EventBody::Created {
            id: 2,
            record: Record::Batch(batch),
        },
    ))
    .unwrap();
    let gs = GoodsShipment {
        batch: Id::new(2),
        from: Id::new(0),
        to: Id::new(1),
        pieces: 4,
        shipped_at: 0,
        created_at: 0,
    };
    w.apply(&ev(
        4,
        EventBody::Created {
            id: 3,
            record: Record::GoodsShipment(gs),
        },
    ))
    .unwrap();
    let listing = Listing {
        platform: Id::new(0),
        seller: Id::new(1),
        shop: "s".into(),
        item_id: "i".into(),
        url: "https://example.com".into(),
        title: "t".into(),
        batches: vec![Id::new(2)],
        status: ListingStatus::Active,
        created_at: 0,
    };
    w.apply(&ev(
        5,
        EventBody::Created {
            id: 4,
            record: Record::Listing(listing),
        },
    ))
    .unwrap();
    let sale = Sale {
        listing: Id::new(4),
        day: 20_000,
        pieces: 3,
        province: Province::parse("32").ok(),
        serials: vec![],
        batches: vec![(Id::new(2), 3)],
        created_at: 0,
        corrected_at: None,
        note: None,
    };
    w.apply(&ev(
        6,
        EventBody::Created {
            id: 5,
            record: Record::Sale(sale.clone()),
        },
    ))
    .unwrap();
    assert_eq!(
        w.goods(2, 0),
        Goods {
            received: 0,
            shipped: 4,
            sold: 0
        }
    );
    assert_eq!(
        w.goods(2, 1),
        Goods {
            received: 4,
            shipped: 0,
            sold: 3
        }
    );
    assert_eq!(w.goods_moves(2), &[3]);
    assert_eq!(w.listings_of(1), &[4]);
    // The same day and province again takes a taken key: refused, nothing changes.
    let before = w.digest();
    let again = EventBody::Created {
        id: 6,
        record: Record::Sale(sale),
    };
    assert!(matches!(
        w.apply(&ev(7, again)),
        Err(WorldError::KeyTaken(5))
    ));
    assert_eq!(w.digest(), before);
    let corrected = EventBody::SaleCorrected {
        sale: Id::new(5),
        pieces: 1,
        batches: vec![(Id::new(2), 1)],
        note: "cancelled".into(),
    };
    w.apply(&ev(7, corrected)).unwrap();
    assert_eq!(w.goods(2, 1).sold, 1);
    assert_eq!(w.touched(5), &[7]);
    // The snapshot's two parts give back the same world.
    let (mut records, mut indexes) = (Vec::new(), Vec::new());
    w.write_records(&mut records).unwrap();
    w.write_indexes(&mut indexes).unwrap();
    let back = World::from_parts(&records, &indexes).unwrap();
    assert_eq!(back.digest(), w.digest());
    assert_eq!(back.goods(2, 1), w.goods(2, 1));
}
