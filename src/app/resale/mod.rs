//! Beyond the makers: goods shipments of finished pieces to distributors (with mass balance
//! on pieces) and a party's goods; the sales platforms report for their listings (`sales`:
//! one at a time and corrected; `import`: in bulk from CSV or NDJSON).

use super::*;
use crate::app::command::{Command, Decision, Rejection};
use crate::core::domain::{GoodsShipment, Province, Sale};

mod import;
mod sales;
use serde::{Deserialize, Serialize};

/// Most pieces in one reported sale.
pub const MAX_SALE_PIECES: u32 = 1_000_000;
/// Most serials named by one sale.
pub const MAX_SALE_SERIALS: usize = 1000;
/// Most rows of one sales import.
pub const MAX_IMPORT_ROWS: usize = 200_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGoodsShipment {
    pub batch: String,
    pub from: String,
    pub to: String,
    pub pieces: u32,
    pub shipped_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GoodsShipmentView {
    pub id: String,
    pub batch: String,
    pub from: String,
    pub to: String,
    pub pieces: u32,
    pub shipped_at: String,
    pub created_at: String,
}

impl GoodsShipmentView {
    pub fn new(ids: &IdCodec, id: NodeId, g: &GoodsShipment) -> GoodsShipmentView {
        GoodsShipmentView {
            id: ids.format(NodeKind::GoodsShipment, id),
            batch: ids.id(g.batch),
            from: ids.id(g.from),
            to: ids.id(g.to),
            pieces: g.pieces,
            shipped_at: fmt_time(g.shipped_at),
            created_at: fmt_time(g.created_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSale {
    pub listing: String,
    /// `YYYY-MM-DD`, the day of sale in China time.
    pub day: String,
    pub pieces: u32,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub serials: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleCorrection {
    pub pieces: u32,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProvinceView {
    pub code: String,
    pub name: &'static str,
    pub name_en: &'static str,
}

impl From<Province> for ProvinceView {
    fn from(p: Province) -> Self {
        ProvinceView {
            code: p.code(),
            name: p.name_zh(),
            name_en: p.name_en(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BatchPieces {
    pub batch: String,
    pub pieces: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SaleView {
    pub id: String,
    pub listing: String,
    pub platform: String,
    pub seller: String,
    pub day: String,
    pub pieces: u32,
    pub province: Option<ProvinceView>,
    pub serials: Vec<String>,
    /// The batches the pieces came from.
    pub batches: Vec<BatchPieces>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SalesImport {
    /// Rows read (header and blank lines not counted).
    pub rows: u64,
    /// Sales recorded now.
    pub recorded: u64,
    /// Rows equal to a sale recorded before (a file imported again): nothing to do.
    pub unchanged: u64,
    pub events: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GoodsHeld {
    pub batch: String,
    pub batch_code: String,
    pub product: String,
    pub manufacturer: String,
    pub received: u64,
    pub shipped: u64,
    pub sold: u64,
    pub available: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GoodsView {
    pub party: String,
    pub goods: Vec<GoodsHeld>,
    /// Goods shipments sent or received, newest first.
    pub shipments: Vec<GoodsShipmentView>,
}

/// A day `YYYY-MM-DD` as days since 1970-01-01.
pub(crate) fn parse_day(s: &str) -> AppResult<i32> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad(
            "day",
            format!("day must be YYYY-MM-DD (got '{}')", trunc(s)),
        )
    })?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((d - epoch).num_days())
        .map_err(|_| AppError::bad("day", format!("day {s} is out of range")))
}

pub(crate) fn fmt_day(day: i32) -> String {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(day))))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Today in China time, as days since 1970-01-01.
fn china_day(ms: i64) -> i32 {
    ((ms + 8 * 3600 * 1000).div_euclid(86_400_000)) as i32
}

/// A sale as checked before it is decided over the world (what needs no world).
#[derive(Debug, Clone)]
pub(crate) struct SaleIn {
    listing: String,
    day: i32,
    pieces: u32,
    province: Option<Province>,
    serials: Vec<String>,
}

impl SaleIn {
    pub(crate) fn parse(req: &NewSale) -> AppResult<SaleIn> {
        let day = parse_day(&req.day)?;
        if req.pieces == 0 || req.pieces > MAX_SALE_PIECES {
            return Err(AppError::rule(
                "pieces",
                format!("pieces must be 1 to {MAX_SALE_PIECES} (got {})", req.pieces),
            ));
        }
        let province = match &req.province {
            Some(p) if !p.trim().is_empty() => {
                Some(Province::parse(p).map_err(|e| AppError::rule("province", e))?)
            }
            _ => None,
        };
        let serials = req.serials.clone().unwrap_or_default();
        if serials.len() > MAX_SALE_SERIALS || serials.len() > req.pieces as usize {
            return Err(AppError::rule(
                "serials",
                format!(
                    "a sale names at most as many serials as pieces, and at most {MAX_SALE_SERIALS} (got {} for {} pieces)",
                    serials.len(),
                    req.pieces
                ),
            ));
        }
        Ok(SaleIn {
            listing: req.listing.trim().to_string(),
            day,
            pieces: req.pieces,
            province,
            serials,
        })
    }
}

/// Pieces this import (or command) already took of (batch, seller), beyond the world.
type Taken = Map<(NodeId, NodeId), u64>;
use crate::core::world::Map;

impl App {
    pub fn create_goods_shipment(
        &self,
        caller: &Caller,
        req: NewGoodsShipment,
    ) -> AppResult<GoodsShipmentView> {
        if req.pieces == 0 || req.pieces > MAX_PIECES {
            return Err(AppError::rule(
                "pieces",
                format!("pieces must be 1 to {MAX_PIECES} (got {})", req.pieces),
            ));
        }
        self.execute(caller, &CreateGoodsShipment(req))
    }

    pub fn get_goods_shipment(&self, caller: &Caller, id: &str) -> AppResult<GoodsShipmentView> {
        let n = self.visible(caller, id, NodeKind::GoodsShipment)?;
        match self.load(n)? {
            Record::GoodsShipment(g) => Ok(GoodsShipmentView::new(&self.ids, n, &g)),
            _ => Err(AppError::Internal("not a goods shipment".into())),
        }
    }

    /// The finished goods a party holds (received, or made and shipped on), and its goods
    /// shipments. A party reads its own; regulators any.
    pub fn goods_of(&self, caller: &Caller, party: &str) -> AppResult<GoodsView> {
        let p = self.visible(caller, party, NodeKind::Party)?;
        self.check_own_read(
            caller,
            p,
            "a party reads its own goods; regulators read any",
        )?;
        Ok(self.read_ctx(|cx| {
            let mut shipments: Vec<NodeId> =
                cx.w.attached(p)
                    .iter()
                    .copied()
                    .filter(|&n| cx.kind_of(n) == NodeKind::GoodsShipment)
                    .collect();
            shipments.sort_unstable_by(|a, b| b.cmp(a));
            let mut batches: Vec<NodeId> = shipments
                .iter()
                .filter_map(|&n| cx.w.meta(n).map(|m| m.a))
                .collect();
            batches.sort_unstable();
            batches.dedup();
            let goods = batches
                .into_iter()
                .filter_map(|b| {
                    let Some(Record::Batch(x)) = cx.w.record(b).map(|r| &**r) else {
                        return None;
                    };
                    let g = cx.w.goods(b, p);
                    Some(GoodsHeld {
                        batch: cx.ids.format(NodeKind::Batch, b),
                        batch_code: x.batch_code.clone(),
                        product: x.product.name.clone(),
                        manufacturer: cx.ids.id(x.manufacturer),
                        received: g.received,
                        shipped: g.shipped,
                        sold: g.sold,
                        available: cx.pieces_available(b, p),
                    })
                })
                .collect();
            GoodsView {
                party: cx.ids.format(NodeKind::Party, p),
                goods,
                shipments: shipments
                    .into_iter()
                    .filter_map(|n| match cx.w.record(n).map(|r| &**r) {
                        Some(Record::GoodsShipment(g)) => {
                            Some(GoodsShipmentView::new(cx.ids, n, g))
                        }
                        _ => None,
                    })
                    .collect(),
            }
        }))
    }
}

/// Ship finished goods from a maker or distributor to a distributor.
struct CreateGoodsShipment(NewGoodsShipment);

impl Command for CreateGoodsShipment {
    type Answer = GoodsShipmentView;

    fn decide(
        &self,
        cx: &Ctx<'_>,
        caller: &Caller,
    ) -> Result<Decision<GoodsShipmentView>, Rejection> {
        let req = &self.0;
        let (from, from_party) = cx.resolve_party(
            "from",
            &req.from,
            &[Role::Manufacturer, Role::Distributor],
            "the sender of goods",
        )?;
        cx.policy().check_act_for(caller, from, "ship goods")?;
        let (to, _) =
            cx.resolve_party("to", &req.to, &[Role::Distributor], "the receiver of goods")?;
        let batch = cx.resolve(caller, "batch", &req.batch, NodeKind::Batch)?;
        if from == to {
            return Err(AppError::rule(
                "to",
                "a goods shipment goes from one party to another; from and to are the same",
            ));
        }
        let (id, now) = (cx.id, cx.now);
        let shipped_at = App::time("shipped_at", &req.shipped_at, now)?;
        let Record::Batch(b) = cx.record(batch)? else {
            return Err(AppError::Internal(format!("{batch} is not a batch")));
        };
        if shipped_at < b.produced_at {
            return Err(AppError::rule(
                "shipped_at",
                format!(
                    "batch {} was produced at {}, after the shipping time {}",
                    req.batch,
                    fmt_time(b.produced_at),
                    fmt_time(shipped_at)
                ),
            ));
        }
        let g = cx.w.goods(batch, from);
        if b.manufacturer.raw() != from && g.received == 0 {
            return Err(AppError::rule(
                "from",
                format!(
                    "{} ({}) neither made nor received batch {} ({})",
                    req.from, from_party.name, req.batch, b.batch_code
                ),
            ));
        }
        let available = cx.pieces_available(batch, from);
        if u64::from(req.pieces) > available {
            return Err(AppError::rule(
                    "pieces",
                    format!(
                        "{} ({}) holds {available} pieces of batch {} ({}): {} {}, {} shipped on and {} sold; cannot ship {}",
                        req.from,
                        from_party.name,
                        req.batch,
                        b.batch_code,
                        if b.manufacturer.raw() == from { u64::from(b.quantity) } else { g.received },
                        if b.manufacturer.raw() == from { "made" } else { "received" },
                        g.shipped,
                        g.sold,
                        req.pieces
                    ),
                ));
        }
        let gs = GoodsShipment {
            batch: Id::new(batch),
            from: Id::new(from),
            to: Id::new(to),
            pieces: req.pieces,
            shipped_at,
            created_at: now,
        };
        let view = GoodsShipmentView::new(cx.ids, id, &gs);
        Ok(Decision::record(
            EventBody::Created {
                id,
                record: Record::GoodsShipment(gs),
            },
            Some(from),
            view,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        assert_eq!(parse_day("1970-01-02").ok(), Some(1));
        assert_eq!(fmt_day(parse_day("2026-11-30").unwrap_or(0)), "2026-11-30");
        assert!(parse_day("2026-13-01").is_err());
        assert!(parse_day("30/11/2026").is_err());
    }

    #[test]
    fn china_days_start_at_utc_16_00() {
        // 2026-11-30T15:59:59Z is 23:59:59 in China; a second later it is the 1st.
        let d = parse_day("2026-11-30").unwrap_or(0);
        let ms = i64::from(d) * 86_400_000 + 16 * 3600 * 1000;
        assert_eq!(china_day(ms - 1000), d);
        assert_eq!(china_day(ms), d + 1);
    }
}
