//! Pure domain types and rules: no I/O, no clocks, no storage.
//!
//! Everything here is deterministic so that replaying the event log rebuilds exactly the
//! same projection. Quantities are fixed-point (thousandths) so mass balance is exact.

use serde::{Deserialize, Serialize};

mod complaint;
mod compliance;
mod qualification;
mod request;
mod resale;
pub use crate::core::codes::*;
pub use crate::core::id::{Id, Kind, Unit};
pub use crate::core::kind::{NodeId, NodeKind};
pub use crate::core::quantity::*;
pub use complaint::*;
pub use compliance::*;
pub use qualification::*;
pub use request::*;
pub use resale::*;

/// The kind each record type names (`Id<Lot>` is an id of a lot).
macro_rules! kinds {
    ($($t:ty => $k:ident),* $(,)?) => {
        $(impl Kind for $t { const KIND: NodeKind = NodeKind::$k; })*
    };
}
kinds!(
    Party => Party,
    Lot => Lot,
    Shipment => Shipment,
    Batch => Batch,
    Unit => Unit,
    Listing => Listing,
    ApiKey => Key,
    Inspection => Inspection,
    Declaration => Declaration,
    Action => Action,
    Case => Case,
    Grant => Grant,
    GoodsShipment => GoodsShipment,
    Sale => Sale,
    AssistanceRequest => Request,
    SampleOrder => Order,
    Qualification => Qualification,
    SellerCheck => Check,
    ListingClaims => Claims,
    SamplingPlan => Plan,
    PlanSample => PlanSample,
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Supplier,
    Manufacturer,
    Platform,
    Regulator,
    Lab,
    /// A reseller or online shop (经销商/网店) of other makers' finished goods.
    Distributor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supplier => "supplier",
            Role::Manufacturer => "manufacturer",
            Role::Platform => "platform",
            Role::Regulator => "regulator",
            Role::Lab => "lab",
            Role::Distributor => "distributor",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Material {
    Plywood,
    Particleboard,
    Mdf,
    Osb,
    SolidWood,
    Veneer,
    EdgeBanding,
    Adhesive,
    Other,
}

impl Material {
    pub fn as_str(self) -> &'static str {
        match self {
            Material::Plywood => "plywood",
            Material::Particleboard => "particleboard",
            Material::Mdf => "mdf",
            Material::Osb => "osb",
            Material::SolidWood => "solid_wood",
            Material::Veneer => "veneer",
            Material::EdgeBanding => "edge_banding",
            Material::Adhesive => "adhesive",
            Material::Other => "other",
        }
    }
}

/// Declared formaldehyde emission class (GB/T 39600-2021 grades).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FormaldehydeClass {
    #[serde(rename = "ENF")]
    Enf,
    E0,
    E1,
    #[serde(rename = "none")]
    NotDeclared,
}

impl FormaldehydeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FormaldehydeClass::Enf => "ENF",
            FormaldehydeClass::E0 => "E0",
            FormaldehydeClass::E1 => "E1",
            FormaldehydeClass::NotDeclared => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub role: Role,
    pub uscc: Uscc,
    pub city: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub lot: Id<Lot>,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lot {
    pub producer: Id<Party>,
    pub lot_code: String,
    pub material: Material,
    pub formaldehyde_class: FormaldehydeClass,
    pub quantity: Quantity,
    /// UTC milliseconds.
    pub produced_at: i64,
    pub gtin: Option<Gtin>,
    pub inputs: Vec<Input>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub lot: Id<Lot>,
    pub from: Id<Party>,
    pub to: Id<Party>,
    pub quantity: Quantity,
    pub shipped_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub name: String,
    pub model: String,
    pub gtin: Option<Gtin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub manufacturer: Id<Party>,
    pub batch_code: String,
    pub product: Product,
    /// Pieces made.
    pub quantity: u32,
    pub inputs: Vec<Input>,
    pub produced_at: i64,
    /// Units minted for this batch have the ids `first_unit .. first_unit + unit_count`.
    pub first_unit: Id<Unit>,
    pub unit_count: u32,
    pub created_at: i64,
}

impl Batch {
    pub fn unit_ids(&self) -> std::ops::Range<NodeId> {
        self.first_unit.raw()..self.first_unit.raw() + self.unit_count
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Active,
    Deleted,
    Blocked,
    Disconnected,
    Suspended,
    Terminated,
}

impl ListingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingStatus::Active => "active",
            ListingStatus::Deleted => "deleted",
            ListingStatus::Blocked => "blocked",
            ListingStatus::Disconnected => "disconnected",
            ListingStatus::Suspended => "suspended",
            ListingStatus::Terminated => "terminated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub platform: Id<Party>,
    pub seller: Id<Party>,
    pub shop: String,
    pub item_id: String,
    pub url: String,
    pub title: String,
    pub batches: Vec<Id<Batch>>,
    pub status: ListingStatus,
    pub created_at: i64,
}

/// An API key: only a keyed hash of its token is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub party: Id<Party>,
    pub token_hash: [u8; 32],
    /// A read-only key may read what its party may read and change nothing.
    pub read_only: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A seller's standing permission for one platform to link the seller's batches to that
/// platform's listings (the seller's consent; revocable: links made before stay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub seller: Id<Party>,
    pub platform: Id<Party>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A stored entity. Units are not stored: they are derived from their batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    Party(Party),
    Lot(Lot),
    Shipment(Shipment),
    Batch(Batch),
    Listing(Listing),
    Key(ApiKey),
    Inspection(Inspection),
    Declaration(Declaration),
    Action(Action),
    Case(Case),
    Grant(Grant),
    Complaint(Complaint),
    GoodsShipment(GoodsShipment),
    Sale(Sale),
    Request(AssistanceRequest),
    Order(SampleOrder),
    Qualification(Qualification),
    Check(SellerCheck),
    Claims(ListingClaims),
    Plan(SamplingPlan),
    PlanSample(PlanSample),
}

impl Record {
    pub fn kind(&self) -> NodeKind {
        match self {
            Record::Party(_) => NodeKind::Party,
            Record::Lot(_) => NodeKind::Lot,
            Record::Shipment(_) => NodeKind::Shipment,
            Record::Batch(_) => NodeKind::Batch,
            Record::Listing(_) => NodeKind::Listing,
            Record::Key(_) => NodeKind::Key,
            Record::Inspection(_) => NodeKind::Inspection,
            Record::Declaration(_) => NodeKind::Declaration,
            Record::Action(_) => NodeKind::Action,
            Record::Case(_) => NodeKind::Case,
            Record::Grant(_) => NodeKind::Grant,
            Record::Complaint(_) => NodeKind::Complaint,
            Record::GoodsShipment(_) => NodeKind::GoodsShipment,
            Record::Sale(_) => NodeKind::Sale,
            Record::Request(_) => NodeKind::Request,
            Record::Order(_) => NodeKind::Order,
            Record::Qualification(_) => NodeKind::Qualification,
            Record::Check(_) => NodeKind::Check,
            Record::Claims(_) => NodeKind::Claims,
            Record::Plan(_) => NodeKind::Plan,
            Record::PlanSample(_) => NodeKind::PlanSample,
        }
    }
}

/// The natural keys that must be unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NaturalKey {
    Uscc(String),
    LotCode {
        producer: Id<Party>,
        code: String,
    },
    BatchCode {
        manufacturer: Id<Party>,
        code: String,
    },
    ListingItem {
        platform: Id<Party>,
        item_id: String,
    },
    /// The keyed hash of an API token.
    TokenHash([u8; 32]),
    /// A lab's report number.
    Report {
        lab: Id<Party>,
        report_no: String,
    },
    /// GTIN and batch/lot code (GS1 AI 01 + 10): what a Digital Link resolves.
    GtinLot {
        gtin14: String,
        code: String,
    },
    /// A complaint's reference.
    ComplaintRef(String),
    /// A listing's sales of one day to one province (or to no province named).
    SaleDay {
        listing: Id<Listing>,
        day: i32,
        province: Option<Province>,
    },
}

impl NaturalKey {
    /// Byte encoding used as a storage key; the tag byte keeps the spaces apart and the
    /// numeric part is big-endian so keys of one parent sort together.
    pub fn encode(&self) -> Vec<u8> {
        if let NaturalKey::TokenHash(h) = self {
            let mut out = Vec::with_capacity(33);
            out.push(b'k');
            out.extend_from_slice(h);
            return out;
        }
        let (tag, parent, text) = match self {
            NaturalKey::Uscc(s) => (b'u', None, s.as_str()),
            NaturalKey::LotCode { producer, code } => (b'l', Some(*producer), code.as_str()),
            NaturalKey::BatchCode { manufacturer, code } => {
                (b'b', Some(*manufacturer), code.as_str())
            }
            NaturalKey::ListingItem { platform, item_id } => {
                (b'i', Some(*platform), item_id.as_str())
            }
            NaturalKey::TokenHash(_) => (b'k', None, ""),
            NaturalKey::Report { lab, report_no } => (b'r', Some(*lab), report_no.as_str()),
            NaturalKey::ComplaintRef(r) => (b'c', None, r.as_str()),
            NaturalKey::SaleDay {
                listing,
                day,
                province,
            } => {
                let mut out = Vec::with_capacity(10);
                out.push(b's');
                out.extend_from_slice(&listing.raw().to_be_bytes());
                out.extend_from_slice(&day.to_be_bytes());
                out.push(province.map_or(0, |p| p.code_u8()));
                return out;
            }
            NaturalKey::GtinLot { gtin14, code } => {
                let mut out = Vec::with_capacity(16 + code.len());
                out.push(b'g');
                out.extend_from_slice(gtin14.as_bytes());
                out.push(0);
                out.extend_from_slice(code.as_bytes());
                return out;
            }
        };
        let mut out = Vec::with_capacity(6 + text.len());
        out.push(tag);
        if let Some(p) = parent {
            out.extend_from_slice(&p.raw().to_be_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }
}

/// Which natural keys a record claims.
pub fn natural_keys(record: &Record) -> Vec<NaturalKey> {
    match record {
        Record::Party(p) => vec![NaturalKey::Uscc(p.uscc.to_string())],
        Record::Lot(l) => {
            let mut keys = vec![NaturalKey::LotCode {
                producer: l.producer,
                code: l.lot_code.clone(),
            }];
            if let Some(g) = &l.gtin {
                keys.push(NaturalKey::GtinLot {
                    gtin14: g.to_string(),
                    code: l.lot_code.clone(),
                });
            }
            keys
        }
        Record::Batch(b) => {
            let mut keys = vec![NaturalKey::BatchCode {
                manufacturer: b.manufacturer,
                code: b.batch_code.clone(),
            }];
            if let Some(g) = &b.product.gtin {
                keys.push(NaturalKey::GtinLot {
                    gtin14: g.to_string(),
                    code: b.batch_code.clone(),
                });
            }
            keys
        }
        Record::Listing(l) => vec![NaturalKey::ListingItem {
            platform: l.platform,
            item_id: l.item_id.clone(),
        }],
        Record::Key(k) => vec![NaturalKey::TokenHash(k.token_hash)],
        Record::Inspection(i) => vec![NaturalKey::Report {
            lab: i.lab,
            report_no: i.report_no.clone(),
        }],
        Record::Complaint(c) => vec![NaturalKey::ComplaintRef(c.reference.clone())],
        Record::Sale(s) => vec![NaturalKey::SaleDay {
            listing: s.listing,
            day: s.day,
            province: s.province,
        }],
        Record::Shipment(_)
        | Record::Declaration(_)
        | Record::Action(_)
        | Record::Case(_)
        | Record::Grant(_)
        | Record::GoodsShipment(_)
        | Record::Request(_)
        | Record::Order(_)
        | Record::Qualification(_)
        | Record::Check(_)
        | Record::Claims(_)
        | Record::Plan(_)
        | Record::PlanSample(_) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_their_first_id() {
        let b = Batch {
            manufacturer: Id::new(1),
            batch_code: "B1".into(),
            product: Product {
                name: "wardrobe".into(),
                model: "W1".into(),
                gtin: None,
            },
            quantity: 3,
            inputs: vec![],
            produced_at: 0,
            first_unit: Id::new(10),
            unit_count: 3,
            created_at: 0,
        };
        assert_eq!(b.unit_ids(), 10..13);
    }
}
