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
        EventBody::SaleCorrected {
            sale,
            pieces,
            batches,
            note,
        } => {
            let Some(Record::Sale(mut x)) = current(sale.raw()) else {
                return Err(WorldError::Missing(sale.raw()));
            };
            x.pieces = *pieces;
            x.batches = batches.clone();
            x.corrected_at = Some(ev.at);
            x.note = Some(note.clone());
            Ok(Projection {
                puts: vec![(sale.raw(), Record::Sale(x))],
                keys: vec![],
            })
        }
        EventBody::RequestReplied { request, reply, by } => {
            let Some(Record::Request(mut r)) = current(request.raw()) else {
                return Err(WorldError::Missing(request.raw()));
            };
            r.reply = Some(reply.clone());
            r.replied_at = Some(ev.at);
            r.replied_by = Some(by.clone());
            Ok(Projection {
                puts: vec![(request.raw(), Record::Request(r))],
                keys: vec![],
            })
        }
        EventBody::OrderConfirmed {
            order,
            confirmation,
        } => {
            let Some(Record::Order(mut o)) = current(order.raw()) else {
                return Err(WorldError::Missing(order.raw()));
            };
            o.confirmation = Some(confirmation.clone());
            Ok(Projection {
                puts: vec![(order.raw(), Record::Order(o))],
                keys: vec![],
            })
        }
        EventBody::QualificationReviewed {
            qualification,
            review,
        } => {
            let Some(Record::Qualification(mut q)) = current(qualification.raw()) else {
                return Err(WorldError::Missing(qualification.raw()));
            };
            q.review = Some(review.clone());
            Ok(Projection {
                puts: vec![(qualification.raw(), Record::Qualification(q))],
                keys: vec![],
            })
        }
    }
}
