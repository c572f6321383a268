//! Response bodies: what the API returns, built from records. Times are RFC 3339 in UTC.

use crate::core::domain::{
    Batch, Inspection, Listing, Lot, NodeId, NodeKind, Party, Quantity, Shipment, Verdict,
};
use crate::core::ids::{IdCodec, PublicId};
use serde::Serialize;

/// What a QR code carries.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QrRef {
    pub token: String,
    /// The URL in the code: a GS1 Digital Link for products with a GTIN, else `/q/{token}`.
    pub url: String,
    /// The image, for signed-in callers.
    pub svg: String,
}

/// The failed items of an inspection as text: `formaldehyde_emission 2.2 mg/L > 1.5 (GB 18584-2001)`.
pub(crate) fn failed_items(ins: &Inspection) -> Vec<String> {
    ins.results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .map(|r| match (r.limit, &r.limit_source) {
            (Some(l), Some(src)) => format!("{} {} {} > {l} ({src})", r.item, r.value, r.unit),
            _ => format!("{} {} {}", r.item, r.value, r.unit)
                .trim()
                .to_string(),
        })
        .collect()
}

/// A UTC time as RFC 3339 with milliseconds and `Z` (`2026-03-01T08:00:00.000Z`): the
/// same text as chrono's `to_rfc3339_opts(Millis, true)` (see [`UtcMillis`]).
pub fn fmt_time(ms: i64) -> String {
    UtcMillis(ms).to_string()
}

/// A time (milliseconds since the epoch) that a view shows as [`fmt_time`] does, written
/// straight into the response: a view holds the number, not a string. Views write several
/// times per node, so years 0–9999 are written digit by digit from chrono's calendar
/// fields instead of through its general formatter (about a tenth of the cost); other
/// years go through chrono, and a time chrono cannot represent is the empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcMillis(pub i64);

impl std::fmt::Display for UtcMillis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::{Datelike, Timelike};
        let Some(t) = chrono::DateTime::from_timestamp_millis(self.0) else {
            return Ok(());
        };
        let year = t.year();
        if !(0..=9999).contains(&year) {
            return f.write_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        }
        let mut b = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut v: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year as u32);
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        put(20, 3, t.timestamp_subsec_millis().min(999));
        // Digits and ASCII punctuation only.
        f.write_str(std::str::from_utf8(&b).unwrap_or_default())
    }
}

impl Serialize for UtcMillis {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A time as [`fmt_time`] gives it, shown in China Standard Time for pages rendered on the
/// server: `2026-03-05 08:30 (UTC+8)`. Anything that does not parse is shown as it is.
pub fn fmt_cn(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => match chrono::FixedOffset::east_opt(8 * 3600) {
            Some(cst) => t
                .with_timezone(&cst)
                .format("%Y-%m-%d %H:%M (UTC+8)")
                .to_string(),
            None => rfc3339.to_string(),
        },
        Err(_) => rfc3339.to_string(),
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct QuantityView {
    pub value: f64,
    pub unit: &'static str,
}

impl QuantityView {
    /// Pieces of finished goods.
    pub fn pieces(n: u32) -> QuantityView {
        QuantityView {
            value: f64::from(n),
            unit: "piece",
        }
    }
}

impl From<Quantity> for QuantityView {
    fn from(q: Quantity) -> Self {
        QuantityView {
            value: q.amount.to_decimal(),
            unit: q.unit.as_str(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartyView {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub uscc: String,
    pub city: String,
    pub created_at: String,
}

impl PartyView {
    pub fn new(ids: &IdCodec, id: NodeId, p: &Party) -> PartyView {
        PartyView {
            id: ids.format(NodeKind::Party, id),
            name: p.name.clone(),
            role: p.role.as_str(),
            uscc: p.uscc.to_string(),
            city: p.city.clone(),
            created_at: fmt_time(p.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputView {
    pub lot: String,
    pub quantity: QuantityView,
}

fn inputs(ids: &IdCodec, inputs: &[crate::core::domain::Input]) -> Vec<InputView> {
    inputs
        .iter()
        .map(|i| InputView {
            lot: ids.id(i.lot),
            quantity: i.quantity.into(),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LotView {
    pub id: String,
    pub producer: String,
    pub lot_code: String,
    pub material: &'static str,
    pub formaldehyde_class: &'static str,
    pub quantity: QuantityView,
    pub produced_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<crate::core::domain::Gtin>,
    pub inputs: Vec<InputView>,
    pub created_at: String,
    /// The QR code: token, the URL it carries, the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrRef>,
}

impl LotView {
    pub fn new(ids: &IdCodec, id: NodeId, l: &Lot) -> LotView {
        LotView {
            id: ids.format(NodeKind::Lot, id),
            producer: ids.id(l.producer),
            lot_code: l.lot_code.clone(),
            material: l.material.as_str(),
            formaldehyde_class: l.formaldehyde_class.as_str(),
            quantity: l.quantity.into(),
            produced_at: fmt_time(l.produced_at),
            gtin: l.gtin.clone(),
            inputs: inputs(ids, &l.inputs),
            created_at: fmt_time(l.created_at),
            qr: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ShipmentView {
    pub id: String,
    pub lot: String,
    pub from: String,
    pub to: String,
    pub quantity: QuantityView,
    pub shipped_at: String,
    pub created_at: String,
}

impl ShipmentView {
    pub fn new(ids: &IdCodec, id: NodeId, s: &Shipment) -> ShipmentView {
        ShipmentView {
            id: ids.format(NodeKind::Shipment, id),
            lot: ids.id(s.lot),
            from: ids.id(s.from),
            to: ids.id(s.to),
            quantity: s.quantity.into(),
            shipped_at: fmt_time(s.shipped_at),
            created_at: fmt_time(s.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProductView {
    pub name: String,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<crate::core::domain::Gtin>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitRef {
    pub id: String,
    pub serial: String,
    /// The QR code: token, the URL it carries, the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrRef>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BatchView {
    pub id: String,
    pub manufacturer: String,
    pub batch_code: String,
    pub product: ProductView,
    pub quantity: u32,
    pub inputs: Vec<InputView>,
    pub produced_at: String,
    pub serials: bool,
    pub unit_count: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitRef>,
    pub created_at: String,
    /// The QR code: token, the URL it carries, the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrRef>,
}

impl BatchView {
    pub fn new(ids: &IdCodec, id: NodeId, b: &Batch) -> BatchView {
        BatchView {
            id: ids.format(NodeKind::Batch, id),
            manufacturer: ids.id(b.manufacturer),
            batch_code: b.batch_code.clone(),
            product: ProductView {
                name: b.product.name.clone(),
                model: b.product.model.clone(),
                gtin: b.product.gtin.clone(),
            },
            quantity: b.quantity,
            inputs: inputs(ids, &b.inputs),
            produced_at: fmt_time(b.produced_at),
            serials: b.unit_count > 0,
            unit_count: b.unit_count,
            units: b
                .unit_ids()
                .enumerate()
                .map(|(n, u)| UnitRef {
                    id: ids.format(NodeKind::Unit, u),
                    serial: ids.serial(id, n as u32),
                    qr: None,
                })
                .collect(),
            created_at: fmt_time(b.created_at),
            qr: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitView {
    pub id: String,
    pub serial: String,
    pub batch: String,
    pub batch_code: String,
    pub manufacturer: String,
    pub product: ProductView,
    pub produced_at: String,
    /// The QR code: token, the URL it carries, the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrRef>,
}

impl UnitView {
    pub fn new(ids: &IdCodec, id: NodeId, batch_id: NodeId, n: u32, b: &Batch) -> UnitView {
        UnitView {
            id: ids.format(NodeKind::Unit, id),
            serial: ids.serial(batch_id, n),
            batch: ids.format(NodeKind::Batch, batch_id),
            batch_code: b.batch_code.clone(),
            manufacturer: ids.id(b.manufacturer),
            product: ProductView {
                name: b.product.name.clone(),
                model: b.product.model.clone(),
                gtin: b.product.gtin.clone(),
            },
            produced_at: fmt_time(b.produced_at),
            qr: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListingView {
    pub id: String,
    pub platform: String,
    pub seller: String,
    pub shop: String,
    pub item_id: String,
    pub url: String,
    pub title: String,
    pub batches: Vec<String>,
    pub status: &'static str,
    pub created_at: String,
    /// The QR code: token, the URL it carries, the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrRef>,
}

impl ListingView {
    pub fn new(ids: &IdCodec, id: NodeId, l: &Listing) -> ListingView {
        ListingView {
            id: ids.format(NodeKind::Listing, id),
            platform: ids.id(l.platform),
            seller: ids.id(l.seller),
            shop: l.shop.clone(),
            item_id: l.item_id.clone(),
            url: l.url.clone(),
            title: l.title.clone(),
            batches: l.batches.iter().map(|&b| ids.id(b)).collect(),
            status: l.status.as_str(),
            created_at: fmt_time(l.created_at),
            qr: None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Traces
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatestInspection {
    /// The inspection's id, for whoever may read it (its lab, its sampler, regulators).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub verdict: &'static str,
    pub report_no: String,
    pub sampled_at: String,
    /// Failed items, e.g. `formaldehyde_emission 2.2 mg/L > 1.5 (GB 18584-2001)`.
    pub failed: Vec<String>,
    /// For a sample bought online: `online_unconfirmed`, `online_confirmed` or
    /// `online_disputed` (its platform's word on the order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<&'static str>,
}

/// A party named in a view: public directory data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartyRef {
    pub id: PublicId,
    pub name: String,
    pub role: &'static str,
    pub uscc: String,
    pub city: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SellerCount {
    pub seller: String,
    pub name: String,
    pub listings: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlatformCount {
    pub platform: String,
    pub name: String,
    pub listings: u64,
    pub active: u64,
    pub sellers: Vec<SellerCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListingSummary {
    pub total: u64,
    pub active: u64,
    pub by_platform: Vec<PlatformCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum PageItem {
    Listing(ListingView),
    Batch(BatchSummary),
    Lot(LotSummary),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BatchSummary {
    pub id: String,
    pub batch_code: String,
    pub manufacturer: String,
    pub product: String,
    pub model: String,
    pub quantity: u32,
    pub unit_count: u32,
    pub produced_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LotSummary {
    pub id: String,
    pub lot_code: String,
    pub producer: String,
    pub material: &'static str,
    pub formaldehyde_class: &'static str,
    pub quantity: QuantityView,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Page {
    /// What the items are: listings, batches or lots.
    pub items_kind: &'static str,
    pub limit: usize,
    pub items: Vec<PageItem>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecipientView {
    pub party: String,
    pub name: String,
    /// How many of the root's lots went to this party.
    pub lots: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GoodsRecipientView {
    pub party: String,
    pub name: String,
    /// How many of the batches reached went to this party, and how many pieces.
    pub batches: u64,
    pub pieces: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DownstreamView {
    pub root: String,
    /// `full`, or `shipments` for a supplier (its lots and whom it shipped them to).
    pub scope: &'static str,
    /// Parties the root's own lots were shipped to.
    pub shipped_to: Vec<RecipientView>,
    /// Distributors the batches reached were shipped to as finished goods (a party sees
    /// its own goods shipments; regulators all of the batches reached).
    pub goods_to: Vec<GoodsRecipientView>,
    pub lot_count: u64,
    pub batch_count: u64,
    pub unit_count: u64,
    pub listings: ListingSummary,
    pub page: Page,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventView {
    pub seq: u64,
    pub at: String,
    pub kind: &'static str,
    pub actor_party: Option<String>,
    /// The key used: shown to regulators and to the party that owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_key: Option<String>,
    pub subject: String,
}

#[cfg(test)]
mod time_tests {
    use super::{fmt_cn, fmt_time};

    #[test]
    fn pages_show_china_time() {
        // 20:30 UTC is 04:30 the next day in China.
        assert_eq!(
            fmt_cn("2026-03-04T20:30:00.000Z"),
            "2026-03-05 04:30 (UTC+8)"
        );
        assert_eq!(fmt_cn("not a time"), "not a time");
    }

    #[test]
    fn times_read_as_chrono_writes_them() {
        let chrono = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default()
        };
        let mut ms: i64 = -62_167_219_200_000; // 0000-01-01
        while ms < 253_402_300_800_000 {
            assert_eq!(fmt_time(ms), chrono(ms), "{ms}");
            ms += 7_777_777_777; // every ~90 days, at ever-changing times of day
        }
        for ms in [
            0,
            1,
            999,
            1_772_323_200_000,
            1_772_323_199_999,
            -1,
            -62_167_219_200_001,
            253_402_300_800_000,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(fmt_time(ms), chrono(ms), "{ms}");
        }
    }
}
