//! Request bodies. Unknown fields are refused so that a typo is an error, not a silently
//! ignored field.

use crate::core::domain::{FormaldehydeClass, Material, QtyUnit, Role};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewParty {
    pub name: String,
    pub role: Role,
    pub uscc: String,
    pub city: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityIn {
    pub value: f64,
    pub unit: QtyUnit,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputIn {
    pub lot: String,
    pub quantity: QuantityIn,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLot {
    pub producer: String,
    pub lot_code: String,
    pub material: Material,
    pub formaldehyde_class: FormaldehydeClass,
    pub quantity: QuantityIn,
    pub produced_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub gtin: Option<String>,
    #[serde(default)]
    pub inputs: Vec<InputIn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    pub lot: String,
    pub from: String,
    pub to: String,
    pub quantity: QuantityIn,
    pub shipped_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    pub name: String,
    pub model: String,
    #[serde(default)]
    pub gtin: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    pub manufacturer: String,
    pub batch_code: String,
    pub product: ProductIn,
    pub quantity: u32,
    pub inputs: Vec<InputIn>,
    pub produced_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub serials: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewListing {
    pub platform: String,
    pub seller: String,
    pub shop: String,
    pub item_id: String,
    pub url: String,
    pub title: String,
    #[serde(default)]
    pub batches: Vec<String>,
    /// What the listing claims (formaldehyde class, material, trademark).
    #[serde(default)]
    pub claims: Option<crate::app::sellers::flags::ClaimsIn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBatches {
    pub batches: Vec<String>,
}

/// What the `items` page of a downstream trace lists.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DownstreamItems {
    #[default]
    Listings,
    Batches,
    Lots,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DownstreamQuery {
    #[serde(default)]
    pub items: DownstreamItems,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<usize>,
    /// The last id of the previous page.
    pub cursor: Option<String>,
    /// Only listings of this platform.
    pub platform: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only the events that created or changed this record.
    pub subject: Option<String>,
    /// Events after this sequence number (default 0).
    pub after: Option<u64>,
    /// At most this many (1..=1000, default 100).
    pub limit: Option<usize>,
}

/// `POST /parties/{id}/keys` (the body is optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// A key that reads like its party and writes nothing.
    #[serde(default)]
    pub read_only: bool,
}

/// `POST /grants`: a seller lets a platform link the seller's batches to its listings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    pub platform: String,
    /// The granting seller; defaults to the caller's own party (the operator must name it).
    #[serde(default)]
    pub seller: Option<String>,
}
