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
