//! The kinds of record a dense id can name, and the dense id itself: what typed ids
//! (`id.rs`), public ids (`ids.rs`) and the domain's records (`domain/`) all build on.

use serde::{Deserialize, Serialize};

/// Dense node id. Every entity (party, lot, shipment, batch, unit, listing, …) gets the next
/// integer. It never leaves the process: the public id is opaque (see [`crate::core::ids`]).
pub type NodeId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum NodeKind {
    Party = 0,
    Lot = 1,
    Shipment = 2,
    Batch = 3,
    Unit = 4,
    Listing = 5,
    /// An API key of a party.
    Key = 6,
    Inspection = 7,
    /// A compliance declaration about a party.
    Declaration = 8,
    Action = 9,
    Case = 10,
    /// A seller's standing permission for a platform to link its batches to listings.
    Grant = 11,
    /// A consumer's complaint (its case is a `Case` of kind `complaint`).
    Complaint = 12,
    /// Pieces of a batch moved to a distributor.
    GoodsShipment = 13,
    /// Pieces sold through a listing on a day, reported by its platform.
    Sale = 14,
    /// A bureau's assistance request (协查) to a platform or another bureau.
    Request = 15,
    /// The online order of an inspected sample, confirmed or disputed by its platform.
    Order = 16,
    /// A licence, trademark registration or quality certificate of a party.
    Qualification = 17,
    /// A platform's entry check or re-check of a seller.
    Check = 18,
    /// What a listing claims (formaldehyde class, material, trademark).
    Claims = 19,
    /// A bureau's (joint) sampling plan.
    Plan = 20,
    /// An inspection taken under a plan.
    PlanSample = 21,
}

impl NodeKind {
    pub const ALL: [NodeKind; 22] = [
        NodeKind::Party,
        NodeKind::Lot,
        NodeKind::Shipment,
        NodeKind::Batch,
        NodeKind::Unit,
        NodeKind::Listing,
        NodeKind::Key,
        NodeKind::Inspection,
        NodeKind::Declaration,
        NodeKind::Action,
        NodeKind::Case,
        NodeKind::Grant,
        NodeKind::Complaint,
        NodeKind::GoodsShipment,
        NodeKind::Sale,
        NodeKind::Request,
        NodeKind::Order,
        NodeKind::Qualification,
        NodeKind::Check,
        NodeKind::Claims,
        NodeKind::Plan,
        NodeKind::PlanSample,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            NodeKind::Party => "pty",
            NodeKind::Lot => "lot",
            NodeKind::Shipment => "shp",
            NodeKind::Batch => "bat",
            NodeKind::Unit => "unt",
            NodeKind::Listing => "lst",
            NodeKind::Key => "key",
            NodeKind::Inspection => "ins",
            NodeKind::Declaration => "dec",
            NodeKind::Action => "act",
            NodeKind::Case => "case",
            NodeKind::Grant => "gnt",
            NodeKind::Complaint => "cpl",
            NodeKind::GoodsShipment => "gds",
            NodeKind::Sale => "sal",
            NodeKind::Request => "req",
            NodeKind::Order => "ord",
            NodeKind::Qualification => "qlf",
            NodeKind::Check => "chk",
            NodeKind::Claims => "clm",
            NodeKind::Plan => "pln",
            NodeKind::PlanSample => "pls",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Party => "party",
            NodeKind::Lot => "lot",
            NodeKind::Shipment => "shipment",
            NodeKind::Batch => "batch",
            NodeKind::Unit => "unit",
            NodeKind::Listing => "listing",
            NodeKind::Key => "key",
            NodeKind::Inspection => "inspection",
            NodeKind::Declaration => "declaration",
            NodeKind::Action => "action",
            NodeKind::Case => "case",
            NodeKind::Grant => "grant",
            NodeKind::Complaint => "complaint",
            NodeKind::GoodsShipment => "goods shipment",
            NodeKind::Sale => "sale",
            NodeKind::Request => "request",
            NodeKind::Order => "order",
            NodeKind::Qualification => "qualification",
            NodeKind::Check => "check",
            NodeKind::Claims => "claims",
            NodeKind::Plan => "plan",
            NodeKind::PlanSample => "plan sample",
        }
    }

    pub fn from_prefix(p: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.prefix() == p)
    }
}
