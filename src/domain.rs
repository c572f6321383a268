//! Pure domain types and rules: no I/O, no clocks, no storage.
//!
//! Everything here is deterministic so that replaying the event log rebuilds exactly the
//! same projection. Quantities are fixed-point (thousandths) so mass balance is exact.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Dense node id. Every entity (party, lot, shipment, batch, unit, listing, …) gets the next
/// integer. It never leaves the process: the public id is opaque (see [`crate::ids`]).
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
}

impl NodeKind {
    pub const ALL: [NodeKind; 12] = [
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
        }
    }

    pub fn from_prefix(p: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.prefix() == p)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Supplier,
    Manufacturer,
    Platform,
    Regulator,
    Lab,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supplier => "supplier",
            Role::Manufacturer => "manufacturer",
            Role::Platform => "platform",
            Role::Regulator => "regulator",
            Role::Lab => "lab",
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QtyUnit {
    Sheet,
    M3,
    Kg,
    Piece,
    Set,
}

impl QtyUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            QtyUnit::Sheet => "sheet",
            QtyUnit::M3 => "m3",
            QtyUnit::Kg => "kg",
            QtyUnit::Piece => "piece",
            QtyUnit::Set => "set",
        }
    }
}

/// A non-negative amount in thousandths of a unit: exact arithmetic for mass balance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Milli(pub u64);

/// Largest accepted amount (one thousand billion units): keeps sums far from overflow.
pub const MAX_AMOUNT: f64 = 1e12;

impl Milli {
    /// Converts a decimal amount, refusing what cannot be represented exactly enough:
    /// non-finite, non-positive, larger than [`MAX_AMOUNT`] or finer than 0.001.
    pub fn from_decimal(v: f64) -> Result<Milli, String> {
        if !v.is_finite() {
            return Err("must be a finite number".into());
        }
        if v <= 0.0 {
            return Err(format!("must be greater than 0 (got {v})"));
        }
        if v > MAX_AMOUNT {
            return Err(format!("must be at most {MAX_AMOUNT:e} (got {v})"));
        }
        let rounded = (v * 1000.0).round();
        // Exact or refused, never rounded: the amount must be the very number a decimal with
        // at most 3 places stands for (JSON numbers are parsed correctly rounded, see the
        // `float_roundtrip` feature of serde_json), i.e. dividing back gives `v` bit for bit.
        if rounded / 1000.0 != v {
            return Err(format!("has more than 3 decimal places (got {v})"));
        }
        if rounded < 1.0 {
            return Err(format!("must be at least 0.001 (got {v})"));
        }
        Ok(Milli(rounded as u64))
    }

    pub fn to_decimal(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub fn from_whole(n: u64) -> Milli {
        Milli(n.saturating_mul(1000))
    }
}

impl fmt::Display for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1000;
        let frac = self.0 % 1000;
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let s = format!("{frac:03}");
            write!(f, "{whole}.{}", s.trim_end_matches('0'))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity {
    pub amount: Milli,
    pub unit: QtyUnit,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub role: Role,
    pub uscc: String,
    pub city: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub lot: NodeId,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lot {
    pub producer: NodeId,
    pub lot_code: String,
    pub material: Material,
    pub formaldehyde_class: FormaldehydeClass,
    pub quantity: Quantity,
    /// UTC milliseconds.
    pub produced_at: i64,
    pub gtin: Option<String>,
    pub inputs: Vec<Input>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub lot: NodeId,
    pub from: NodeId,
    pub to: NodeId,
    pub quantity: Quantity,
    pub shipped_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub name: String,
    pub model: String,
    pub gtin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub manufacturer: NodeId,
    pub batch_code: String,
    pub product: Product,
    /// Pieces made.
    pub quantity: u32,
    pub inputs: Vec<Input>,
    pub produced_at: i64,
    /// Units minted for this batch have the ids `first_unit .. first_unit + unit_count`.
    pub first_unit: NodeId,
    pub unit_count: u32,
    pub created_at: i64,
}

impl Batch {
    /// The serial of the `n`-th unit (0-based): the batch code and a 1-based, zero-padded
    /// sequence number, unique within the manufacturer because batch codes are.
    pub fn serial(&self, n: u32) -> String {
        let width = self.unit_count.max(1).to_string().len().max(4);
        format!("{}-{:0width$}", self.batch_code, n + 1, width = width)
    }

    pub fn unit_ids(&self) -> std::ops::Range<NodeId> {
        self.first_unit..self.first_unit + self.unit_count
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
    pub platform: NodeId,
    pub seller: NodeId,
    pub shop: String,
    pub item_id: String,
    pub url: String,
    pub title: String,
    pub batches: Vec<NodeId>,
    pub status: ListingStatus,
    pub created_at: i64,
}

/// An API key: only a keyed hash of its token is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub party: NodeId,
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
    pub seller: NodeId,
    pub platform: NodeId,
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
        }
    }
}

/// The natural keys that must be unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NaturalKey {
    Uscc(String),
    LotCode {
        producer: NodeId,
        code: String,
    },
    BatchCode {
        manufacturer: NodeId,
        code: String,
    },
    ListingItem {
        platform: NodeId,
        item_id: String,
    },
    /// The keyed hash of an API token.
    TokenHash([u8; 32]),
    /// A lab's report number.
    Report {
        lab: NodeId,
        report_no: String,
    },
    /// GTIN and batch/lot code (GS1 AI 01 + 10): what a Digital Link resolves.
    GtinLot {
        gtin14: String,
        code: String,
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
            out.extend_from_slice(&p.to_be_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }
}

/// Which natural keys a record claims.
pub fn natural_keys(record: &Record) -> Vec<NaturalKey> {
    match record {
        Record::Party(p) => vec![NaturalKey::Uscc(p.uscc.clone())],
        Record::Lot(l) => {
            let mut keys = vec![NaturalKey::LotCode {
                producer: l.producer,
                code: l.lot_code.clone(),
            }];
            if let Some(g) = &l.gtin {
                keys.push(NaturalKey::GtinLot {
                    gtin14: g.clone(),
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
                    gtin14: g.clone(),
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
        Record::Shipment(_)
        | Record::Declaration(_)
        | Record::Action(_)
        | Record::Case(_)
        | Record::Grant(_) => vec![],
    }
}

// ---------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------

const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 32100-2015 check character for the first 17 characters of a USCC.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, b) in first17.bytes().enumerate() {
        let v = USCC_ALPHABET.iter().position(|&a| a == b)? as u32;
        sum += v * USCC_WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(USCC_ALPHABET[check as usize] as char)
}

/// Validates a unified social credit code (18 characters, GB 32100 alphabet and check).
pub fn validate_uscc(code: &str) -> Result<(), String> {
    if code.len() != 18 || !code.is_ascii() {
        return Err(format!(
            "a unified social credit code has 18 characters (got {})",
            code.chars().count()
        ));
    }
    if let Some(bad) = code.bytes().find(|b| !USCC_ALPHABET.contains(b)) {
        return Err(format!(
            "character '{}' is not allowed in a unified social credit code (alphabet 0-9 and A-Y without I, O, S, V, Z)",
            bad as char
        ));
    }
    let expected = uscc_check_char(&code[..17]).ok_or("invalid characters")?;
    let got = code.as_bytes()[17] as char;
    if expected != got {
        return Err(format!(
            "check character is '{got}' but GB 32100 gives '{expected}' for {}",
            &code[..17]
        ));
    }
    Ok(())
}

/// GS1 check digit of the data digits (everything but the check digit).
pub fn gs1_check_digit(data: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, b) in data.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = (b - b'0') as u32;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// Validates a GTIN-8/12/13/14 and returns it padded to 14 digits.
pub fn normalize_gtin(gtin: &str) -> Result<String, String> {
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) || !gtin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "a GTIN has 8, 12, 13 or 14 digits (got '{}')",
            gtin.chars().take(40).collect::<String>()
        ));
    }
    let padded = format!("{gtin:0>14}");
    let (data, check) = padded.split_at(13);
    let expected = gs1_check_digit(data).ok_or("digits only")?;
    if check.as_bytes()[0] - b'0' != expected {
        return Err(format!(
            "GTIN check digit is {check} but GS1 gives {expected} for {gtin}"
        ));
    }
    Ok(padded)
}

/// Validates a free-text field: trimmed, not empty, at most `max` characters, no control
/// characters. Returns the trimmed text.
pub fn clean_text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    let n = v.chars().count();
    if n > max {
        return Err(format!(
            "{field} has {n} characters; at most {max} are allowed"
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uscc_worked_example_from_the_standard() {
        assert_eq!(uscc_check_char("91350100M000100Y4"), Some('3'));
        assert!(validate_uscc("91350100M000100Y43").is_ok());
        let err = validate_uscc("91350100M000100Y44").unwrap_err();
        assert!(err.contains("'3'"), "{err}");
    }

    #[test]
    fn uscc_rejects_bad_alphabet_and_length() {
        assert!(validate_uscc("91350100M000100Y4")
            .unwrap_err()
            .contains("18"));
        assert!(validate_uscc("91350100M000100O43")
            .unwrap_err()
            .contains("'O'"));
        assert!(validate_uscc("91350100m000100Y43").is_err());
    }

    #[test]
    fn gtin_check_digits() {
        assert_eq!(normalize_gtin("09506000134352").unwrap(), "09506000134352");
        assert!(normalize_gtin("09506000134353").is_err());
        // GTIN-13 padded to 14.
        assert_eq!(normalize_gtin("9506000134352").unwrap(), "09506000134352");
        assert!(normalize_gtin("12345").is_err());
        assert!(normalize_gtin("0950600013435a").is_err());
    }

    #[test]
    fn milli_is_exact() {
        assert_eq!(Milli::from_decimal(1.5).unwrap(), Milli(1500));
        assert_eq!(Milli::from_decimal(0.001).unwrap(), Milli(1));
        assert!(Milli::from_decimal(0.0001).is_err());
        assert!(Milli::from_decimal(-1.0).is_err());
        assert!(Milli::from_decimal(f64::NAN).is_err());
        assert!(Milli::from_decimal(1.2345).is_err());
        assert_eq!(Milli(1500).to_string(), "1.5");
        assert_eq!(Milli(2000).to_string(), "2");
        assert_eq!(Milli(2050).to_string(), "2.05");
    }

    #[test]
    fn serials_are_padded_and_ordered() {
        let b = Batch {
            manufacturer: 1,
            batch_code: "B1".into(),
            product: Product {
                name: "wardrobe".into(),
                model: "W1".into(),
                gtin: None,
            },
            quantity: 3,
            inputs: vec![],
            produced_at: 0,
            first_unit: 10,
            unit_count: 3,
            created_at: 0,
        };
        assert_eq!(b.serial(0), "B1-0001");
        assert_eq!(b.unit_ids(), 10..13);
    }

    #[test]
    fn clean_text_limits() {
        assert_eq!(clean_text("name", "  a ", 5).unwrap(), "a");
        assert!(clean_text("name", "   ", 5).is_err());
        assert!(clean_text("name", "abcdef", 5).is_err());
        assert!(clean_text("name", "a\u{0}b", 5).is_err());
    }
}

// ---------------------------------------------------------------------------------------
// Compliance and enforcement
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

/// One measured test item of an inspection, with the verdict and the limit applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: String,
    pub value: f64,
    pub unit: String,
    pub method: Option<String>,
    /// What the lab said, if anything.
    pub lab_verdict: Option<Verdict>,
    pub verdict: Verdict,
    /// The limit applied and where it comes from, for items judged by a rule.
    pub limit: Option<f64>,
    pub limit_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub subject: NodeId,
    pub lab: NodeId,
    pub sampled_by: NodeId,
    pub report_no: String,
    pub sampled_at: i64,
    pub results: Vec<ItemResult>,
    pub verdict: Verdict,
    /// Lots and suppliers marked suspect by this (failed) inspection.
    pub marked: Vec<NodeId>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    Compliant,
    Suspect,
    Noncompliant,
}

impl ComplianceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Compliant => "compliant",
            ComplianceStatus::Suspect => "suspect",
            ComplianceStatus::Noncompliant => "noncompliant",
        }
    }
}

/// A regulator's declaration of a party's compliance status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    pub party: NodeId,
    pub status: ComplianceStatus,
    pub reason: String,
    pub case: Option<NodeId>,
    /// The declaring regulator (None: the operator).
    pub declared_by: Option<NodeId>,
    pub created_at: i64,
}

/// The five measures a platform takes against a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Delete,
    Block,
    Disconnect,
    Suspend,
    Terminate,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Delete => "delete",
            ActionKind::Block => "block",
            ActionKind::Disconnect => "disconnect",
            ActionKind::Suspend => "suspend",
            ActionKind::Terminate => "terminate",
        }
    }

    /// The listing status once the platform has carried the action out.
    pub fn listing_status(self) -> ListingStatus {
        match self {
            ActionKind::Delete => ListingStatus::Deleted,
            ActionKind::Block => ListingStatus::Blocked,
            ActionKind::Disconnect => ListingStatus::Disconnected,
            ActionKind::Suspend => ListingStatus::Suspended,
            ActionKind::Terminate => ListingStatus::Terminated,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Pending,
    Done,
    Rejected,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Pending => "pending",
            ActionStatus::Done => "done",
            ActionStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub listing: NodeId,
    pub platform: NodeId,
    pub kind: ActionKind,
    pub reason: String,
    pub case: Option<NodeId>,
    pub due_at: Option<i64>,
    /// The issuing regulator (None: the operator).
    pub issued_by: Option<NodeId>,
    pub status: ActionStatus,
    pub note: Option<String>,
    pub acked_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Clue,
    Case,
    Joint,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Clue => "clue",
            CaseKind::Case => "case",
            CaseKind::Joint => "joint",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Investigating,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Investigating => "investigating",
            CaseStatus::Closed => "closed",
        }
    }
}

/// One step in a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CaseStep {
    Opened,
    Transferred {
        from: NodeId,
        to: NodeId,
    },
    /// A bureau on the case invited another to work on it jointly.
    Invited {
        bureau: NodeId,
    },
    /// An invited bureau accepted (it may then annotate, transfer and close the case).
    Joined {
        bureau: NodeId,
    },
    Noted,
    Status(CaseStatus),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEntry {
    pub at: i64,
    /// The acting bureau (None: the operator).
    pub by: Option<NodeId>,
    pub step: CaseStep,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub title: String,
    pub kind: CaseKind,
    pub opened_by: NodeId,
    /// The bureau that holds the case now (its inbox).
    pub holder: NodeId,
    /// The bureaus working on it, who may annotate, transfer and close it: the holder and,
    /// for a joint case, every bureau that accepted (the opener included).
    pub bureaus: Vec<NodeId>,
    /// Bureaus invited to a joint case that have not accepted yet.
    pub invited: Vec<NodeId>,
    pub subjects: Vec<NodeId>,
    pub status: CaseStatus,
    pub timeline: Vec<CaseEntry>,
    pub created_at: i64,
}

impl Case {
    /// Applies a timeline step (pure: used by the store projection and its replay).
    pub fn apply(&mut self, entry: CaseEntry) {
        match &entry.step {
            CaseStep::Transferred { from, to } => {
                self.holder = *to;
                // A plain case moves with its holder; a joint case keeps its partners.
                if self.kind != CaseKind::Joint {
                    self.bureaus.retain(|b| b != from);
                }
                if !self.bureaus.contains(to) {
                    self.bureaus.push(*to);
                }
                self.invited.retain(|b| b != to);
            }
            CaseStep::Invited { bureau } => {
                if !self.bureaus.contains(bureau) && !self.invited.contains(bureau) {
                    self.invited.push(*bureau);
                }
            }
            CaseStep::Joined { bureau } => {
                self.invited.retain(|b| b != bureau);
                if !self.bureaus.contains(bureau) {
                    self.bureaus.push(*bureau);
                }
                self.kind = CaseKind::Joint;
            }
            CaseStep::Status(s) => self.status = *s,
            CaseStep::Opened | CaseStep::Noted => {}
        }
        self.timeline.push(entry);
    }
}
