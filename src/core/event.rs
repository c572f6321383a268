//! Events: every accepted command becomes one, appended to a blake3 hash chain.
//!
//! A stored log entry is `hash (32) ‖ encoded event`, and
//! `hash = blake3(DOMAIN ‖ previous entry's hash ‖ encoded event)` (the first links to
//! [`GENESIS`]), so verification recomputes the chain from the stored bytes themselves
//! without re-encoding anything. The previous hash is not stored again: it is the previous
//! entry's.

use crate::core::codec::{self, CodecError};
use crate::core::domain::{
    Action, ActionStatus, ApiKey, AssistanceRequest, Batch, Case, CaseEntry, Confirmation, Grant,
    Id, Listing, NodeId, NodeKind, Party, Qualification, Record, Reply, Review, Sale, SampleOrder,
};
use serde::{Deserialize, Serialize};

pub type Hash = [u8; 32];

/// The hash that precedes the first event.
pub const GENESIS: Hash = [0u8; 32];
const DOMAIN: &[u8] = b"boardtrail/event/v1";

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Actor {
    /// The party the caller acted as (None for the operator acting for nobody in particular).
    pub party: Option<Id<Party>>,
    /// Public id of the key used (never the token), or "operator".
    pub key: String,
}

impl Actor {
    pub fn operator() -> Actor {
        Actor {
            party: None,
            key: "operator".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventBody {
    /// A party, lot, shipment, batch (with its minted units) or listing was recorded.
    Created { id: NodeId, record: Record },
    /// More batches were linked to a listing.
    ListingBatchesLinked {
        listing: Id<Listing>,
        batches: Vec<Id<Batch>>,
    },
    /// An API key was revoked (at the event's time).
    KeyRevoked { key: Id<ApiKey> },
    /// A seller withdrew a platform's grant to link its batches (at the event's time).
    GrantRevoked { grant: Id<Grant> },
    /// Several records at once (a bulk action: one action per affected listing).
    CreatedMany { records: Vec<(NodeId, Record)> },
    /// A platform acknowledged an action; if done, the listing takes the action's status.
    ActionAcknowledged {
        action: Id<Action>,
        status: ActionStatus,
        note: String,
    },
    /// A step in a case's timeline (transfer, join, note, status).
    CaseUpdated { case: Id<Case>, entry: CaseEntry },
    /// A platform corrected a sale it reported (pieces, and the batches they came from).
    SaleCorrected {
        sale: Id<Sale>,
        pieces: u32,
        batches: Vec<(Id<Batch>, u32)>,
        note: String,
    },
    /// The addressee answered or declined an assistance request (at the event's time).
    RequestReplied {
        request: Id<AssistanceRequest>,
        reply: Reply,
        by: String,
    },
    /// The platform confirmed or disputed a sample's order.
    OrderConfirmed {
        order: Id<SampleOrder>,
        confirmation: Confirmation,
    },
    /// A regulator confirmed or rejected a party's qualification.
    QualificationReviewed {
        qualification: Id<Qualification>,
        review: Review,
    },
}

impl EventBody {
    /// The records an event names (created or changed), with their kinds.
    pub fn subjects(&self) -> Vec<(NodeKind, NodeId)> {
        match self {
            EventBody::Created { id, record } => vec![(record.kind(), *id)],
            EventBody::CreatedMany { records } => {
                records.iter().map(|(id, r)| (r.kind(), *id)).collect()
            }
            EventBody::ListingBatchesLinked { listing, .. } => {
                vec![(NodeKind::Listing, listing.raw())]
            }
            EventBody::KeyRevoked { key } => vec![(NodeKind::Key, key.raw())],
            EventBody::GrantRevoked { grant } => vec![(NodeKind::Grant, grant.raw())],
            EventBody::ActionAcknowledged { action, .. } => vec![(NodeKind::Action, action.raw())],
            EventBody::CaseUpdated { case, .. } => vec![(NodeKind::Case, case.raw())],
            EventBody::SaleCorrected { sale, .. } => vec![(NodeKind::Sale, sale.raw())],
            EventBody::RequestReplied { request, .. } => {
                vec![(NodeKind::Request, request.raw())]
            }
            EventBody::OrderConfirmed { order, .. } => vec![(NodeKind::Order, order.raw())],
            EventBody::QualificationReviewed { qualification, .. } => {
                vec![(NodeKind::Qualification, qualification.raw())]
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            EventBody::Created { record, .. } => match record {
                Record::Party(_) => "party_registered",
                Record::Lot(_) => "lot_registered",
                Record::Shipment(_) => "lot_shipped",
                Record::Batch(_) => "batch_produced",
                Record::Listing(_) => "listing_created",
                Record::Key(_) => "key_issued",
                Record::Inspection(_) => "inspection_recorded",
                Record::Declaration(_) => "compliance_declared",
                Record::Action(_) => "action_issued",
                Record::Case(_) => "case_opened",
                Record::Grant(_) => "link_granted",
                Record::Complaint(_) => "complaint_filed",
                Record::GoodsShipment(_) => "goods_shipped",
                Record::Sale(_) => "sale_reported",
                Record::Request(_) => "request_sent",
                Record::Order(_) => "sample_order_recorded",
                Record::Qualification(_) => "qualification_entered",
                Record::Check(_) => "seller_checked",
                Record::Claims(_) => "claims_made",
                Record::Plan(_) => "plan_drafted",
                Record::PlanSample(_) => "plan_sample_recorded",
            },
            EventBody::CreatedMany { records } => match records.last() {
                Some((_, Record::Complaint(_))) => "complaint_filed",
                Some((_, Record::Order(_) | Record::PlanSample(_))) => "inspection_recorded",
                Some((_, Record::Claims(_))) => "listing_created",
                Some((_, Record::Qualification(_))) => "seller_checked",
                Some((_, Record::Sale(_))) => "sales_reported",
                _ => "actions_issued",
            },
            EventBody::ActionAcknowledged { .. } => "action_acknowledged",
            EventBody::CaseUpdated { .. } => "case_updated",
            EventBody::ListingBatchesLinked { .. } => "listing_batches_linked",
            EventBody::KeyRevoked { .. } => "key_revoked",
            EventBody::GrantRevoked { .. } => "grant_revoked",
            EventBody::SaleCorrected { .. } => "sale_corrected",
            EventBody::RequestReplied { .. } => "request_replied",
            EventBody::OrderConfirmed { .. } => "sample_order_confirmed",
            EventBody::QualificationReviewed { .. } => "qualification_reviewed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the log, from 1.
    pub seq: u64,
    /// UTC milliseconds when the event was accepted.
    pub at: i64,
    pub actor: Actor,
    pub body: EventBody,
}

pub fn chain_hash(prev: &Hash, encoded_event: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    h.update(prev);
    h.update(encoded_event);
    *h.finalize().as_bytes()
}

/// Encodes an event into its log entry and returns the entry and the new chain head.
pub fn seal(prev: &Hash, event: &Event) -> Result<(Vec<u8>, Hash), CodecError> {
    let body = codec::encode(event)?;
    let hash = chain_hash(prev, &body);
    let mut entry = Vec::with_capacity(32 + body.len());
    entry.extend_from_slice(&hash);
    entry.extend_from_slice(&body);
    Ok((entry, hash))
}

/// A log entry split into its parts.
pub struct Entry<'a> {
    pub hash: Hash,
    pub body: &'a [u8],
}

pub fn split_entry(entry: &[u8]) -> Option<Entry<'_>> {
    if entry.len() < 32 {
        return None;
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&entry[..32]);
    Some(Entry {
        hash,
        body: &entry[32..],
    })
}

pub fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::{Party, Role};

    fn ev(seq: u64) -> Event {
        Event {
            seq,
            at: 1_700_000_000_000,
            actor: Actor::operator(),
            body: EventBody::Created {
                id: seq as u32,
                record: Record::Party(Party {
                    name: "mill".into(),
                    role: Role::Supplier,
                    uscc: crate::core::codes::Uscc::parse("91350100M000100Y43").unwrap(),
                    city: "Linyi".into(),
                    created_at: 0,
                }),
            },
        }
    }

    #[test]
    fn chain_links_and_detects_tampering() {
        let (e1, h1) = seal(&GENESIS, &ev(1)).unwrap();
        let (e2, h2) = seal(&h1, &ev(2)).unwrap();
        let p1 = split_entry(&e1).unwrap();
        let p2 = split_entry(&e2).unwrap();
        assert_eq!(chain_hash(&GENESIS, p1.body), h1);
        assert_eq!(chain_hash(&h1, p2.body), h2);
        // The second entry does not follow another first one.
        let (_, other) = seal(&GENESIS, &ev(3)).unwrap();
        assert_ne!(chain_hash(&other, p2.body), h2);
        let mut tampered = e2.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let t = split_entry(&tampered).unwrap();
        assert_ne!(chain_hash(&h1, t.body), t.hash);
        let decoded: Event = crate::core::codec::decode(p2.body).unwrap();
        assert_eq!(decoded, ev(2));
    }
}
