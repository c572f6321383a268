//! What an event writes: the records it creates or changes, and the natural keys it takes,
//! computed from the current records alone ([`super::World::project`] checks them).

use super::*;

pub(super) fn project(
    ev: &Event,
    current: impl Fn(NodeId) -> Option<Record>,
) -> Result<Projection, WorldError> {
    match &ev.body {
        EventBody::Created { id, record } => Ok(Projection {
            keys: natural_keys(record)
                .iter()
                .map(|k| (k.encode(), *id))
                .collect(),
            puts: vec![(*id, record.clone())],
        }),
        EventBody::ListingBatchesLinked { listing, batches } => {
            let Some(Record::Listing(mut l)) = current(listing.raw()) else {
                return Err(WorldError::Missing(listing.raw()));
            };
            for b in batches {
                if !l.batches.contains(b) {
                    l.batches.push(*b);
                }
            }
            Ok(Projection {
                puts: vec![(listing.raw(), Record::Listing(l))],
                keys: vec![],
            })
        }
        EventBody::CreatedMany { records } => Ok(Projection {
            keys: records
                .iter()
                .flat_map(|(id, r)| natural_keys(r).into_iter().map(move |k| (k.encode(), *id)))
                .collect(),
            puts: records.clone(),
        }),
        EventBody::ActionAcknowledged {
            action,
            status,
            note,
        } => {
            let Some(Record::Action(mut a)) = current(action.raw()) else {
                return Err(WorldError::Missing(action.raw()));
            };
            let Some(Record::Listing(mut l)) = current(a.listing.raw()) else {
                return Err(WorldError::Missing(a.listing.raw()));
            };
            a.status = *status;
            a.note = Some(note.clone());
            a.acked_at = Some(ev.at);
            let mut puts = Vec::with_capacity(2);
            if *status == crate::core::domain::ActionStatus::Done {
                l.status = a.kind.listing_status();
                puts.push((a.listing.raw(), Record::Listing(l)));
            }
            puts.insert(0, (action.raw(), Record::Action(a)));
            Ok(Projection { puts, keys: vec![] })
        }
        EventBody::CaseUpdated { case, entry } => {
            let Some(Record::Case(mut c)) = current(case.raw()) else {
                return Err(WorldError::Missing(case.raw()));
            };
            c.apply(entry.clone());
            Ok(Projection {
                puts: vec![(case.raw(), Record::Case(c))],
                keys: vec![],
            })
        }
        EventBody::KeyRevoked { key } => {
            let Some(Record::Key(mut k)) = current(key.raw()) else {
                return Err(WorldError::Missing(key.raw()));
            };
            k.revoked_at.get_or_insert(ev.at);
            Ok(Projection {
                puts: vec![(key.raw(), Record::Key(k))],
                keys: vec![],
            })
        }
        EventBody::GrantRevoked { grant } => {
            let Some(Record::Grant(mut g)) = current(grant.raw()) else {
                return Err(WorldError::Missing(grant.raw()));
            };
            g.revoked_at.get_or_insert(ev.at);
            Ok(Projection {
                puts: vec![(grant.raw(), Record::Grant(g))],
                keys: vec![],
            })
        }
    }
}
