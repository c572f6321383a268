//! Beyond the makers: goods shipments of finished pieces to distributors (with mass balance
//! on pieces), and the sales platforms report for their listings (one at a time, corrected,
//! or imported in bulk from CSV or NDJSON).

use super::*;
use crate::core::domain::{GoodsShipment, Province, Sale};
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

impl<'w> Ctx<'w> {
    /// Pieces of `batch` that `party` may still ship or sell: made (if it is the maker) or
    /// received, minus shipped on and sold.
    pub(crate) fn pieces_available(&self, batch: NodeId, party: NodeId) -> u64 {
        let made = match self.w.record(batch).map(|r| &**r) {
            Some(Record::Batch(b)) if b.manufacturer.raw() == party => u64::from(b.quantity),
            _ => 0,
        };
        let g = self.w.goods(batch, party);
        (made + g.received).saturating_sub(g.shipped + g.sold)
    }

    /// Decides one sale: the listing is the caller's platform's, the day is not in the
    /// future, the serials are units of the listing's batches, and the pieces come from
    /// what the seller holds of those batches (serials first, then the batches in order).
    /// `Ok(None)`: the very same sale is recorded already.
    pub(crate) fn decide_sale(
        &self,
        caller: &Caller,
        s: &SaleIn,
        taken: &mut Taken,
        keys: &mut Vec<Vec<u8>>,
    ) -> AppResult<Option<Sale>> {
        let listing_id = self.resolve(caller, "listing", &s.listing, NodeKind::Listing)?;
        let listing = self.listing(listing_id)?;
        if !(caller.operator || caller.party == Some(listing.platform.raw())) {
            return Err(AppError::Forbidden(
                "only the listing's platform reports its sales".into(),
            ));
        }
        if s.day > china_day(self.now) {
            return Err(AppError::rule(
                "day",
                format!("day {} is in the future", fmt_day(s.day)),
            ));
        }
        if s.day < china_day(EARLIEST_MS) {
            return Err(AppError::rule(
                "day",
                format!("day {} is before 2000-01-01", fmt_day(s.day)),
            ));
        }
        let seller = listing.seller.raw();
        let mut units = Vec::with_capacity(s.serials.len());
        let mut batches: Vec<(Id<Batch>, u32)> = Vec::new();
        let add = |batches: &mut Vec<(Id<Batch>, u32)>, b: NodeId, n: u32| match batches
            .iter_mut()
            .find(|(x, _)| x.raw() == b)
        {
            Some((_, m)) => *m += n,
            None => batches.push((Id::new(b), n)),
        };
        for (i, serial) in s.serials.iter().enumerate() {
            let field = format!("serials[{i}]");
            let found = self.ids.parse_serial(serial.trim()).and_then(|(b, n)| {
                match self.w.record(b).map(|r| &**r) {
                    Some(Record::Batch(x))
                        if n < x.unit_count && listing.batches.contains(&Id::new(b)) =>
                    {
                        Some((b, x.first_unit.raw() + n))
                    }
                    _ => None,
                }
            });
            let Some((b, uid)) = found else {
                return Err(AppError::rule(
                    field,
                    format!(
                        "serial '{}' is not a unit of a batch linked to listing {}",
                        trunc(serial),
                        s.listing
                    ),
                ));
            };
            if units.contains(&Id::new(uid)) {
                return Err(AppError::rule(
                    field,
                    format!("serial '{}' is named twice", trunc(serial)),
                ));
            }
            units.push(Id::new(uid));
            add(&mut batches, b, 1);
        }
        // A day and province reported before: the same again is nothing to do (a file
        // imported twice), anything else a conflict.
        let key = NaturalKey::SaleDay {
            listing: Id::new(listing_id),
            day: s.day,
            province: s.province,
        };
        if let Some(existing) = self.w.lookup(&key) {
            if let Some(Record::Sale(old)) = self.w.record(existing).map(|r| &**r) {
                if old.pieces == s.pieces && old.serials == units {
                    return Ok(None);
                }
            }
            return Err(AppError::conflict(
                "day",
                format!(
                    "sales of listing {} on {}{} are recorded already as {}; correct them with POST /api/v1/sales/{}/correction",
                    s.listing,
                    fmt_day(s.day),
                    s.province.map(|p| format!(" to {}", p.name_en())).unwrap_or_default(),
                    self.ids.format(NodeKind::Sale, existing),
                    self.ids.format(NodeKind::Sale, existing)
                ),
            ));
        }
        let encoded = key.encode();
        if keys.contains(&encoded) {
            return Err(AppError::conflict(
                "day",
                format!(
                    "sales of listing {} on {} to this province are given twice",
                    s.listing,
                    fmt_day(s.day)
                ),
            ));
        }
        // Serials first (their batch is known), then the rest from the listing's batches in
        // order, each up to what the seller still holds.
        let mut need = s.pieces - s.serials.len() as u32;
        let mut held_total = 0u64;
        for b in &listing.batches {
            let key = (b.raw(), seller);
            let already = taken.get(&key).copied().unwrap_or(0)
                + u64::from(batches.iter().find(|(x, _)| x == b).map_or(0, |(_, n)| *n));
            let free = self
                .pieces_available(b.raw(), seller)
                .saturating_sub(already);
            held_total += free;
            let n = u32::try_from(free.min(u64::from(need))).unwrap_or(need);
            if n > 0 {
                add(&mut batches, b.raw(), n);
                need -= n;
            }
        }
        // Serials sold must be held too.
        for (b, n) in &batches {
            let key = (b.raw(), seller);
            let before = taken.get(&key).copied().unwrap_or(0);
            if before + u64::from(*n) > self.pieces_available(b.raw(), seller) {
                need = need.max(1);
            }
        }
        if need > 0 {
            return Err(AppError::rule(
                "pieces",
                format!(
                    "the seller {} ({}) holds {} pieces of the batches of listing {} (made or received, minus shipped on and sold); cannot sell {}",
                    self.ids.format(NodeKind::Party, seller),
                    self.party_name(seller),
                    held_total + s.serials.len() as u64,
                    s.listing,
                    s.pieces
                ),
            ));
        }
        keys.push(encoded);
        for (b, n) in &batches {
            *taken.entry((b.raw(), seller)).or_default() += u64::from(*n);
        }
        Ok(Some(Sale {
            listing: Id::new(listing_id),
            day: s.day,
            pieces: s.pieces,
            province: s.province,
            serials: units,
            batches,
            created_at: self.now,
            corrected_at: None,
            note: None,
        }))
    }

    pub(crate) fn sale_view(&self, id: NodeId, x: &Sale) -> SaleView {
        let (platform, seller) = match self.w.record(x.listing.raw()).map(|r| &**r) {
            Some(Record::Listing(l)) => (self.ids.id(l.platform), self.ids.id(l.seller)),
            _ => (String::new(), String::new()),
        };
        SaleView {
            id: self.ids.format(NodeKind::Sale, id),
            listing: self.ids.id(x.listing),
            platform,
            seller,
            day: fmt_day(x.day),
            pieces: x.pieces,
            province: x.province.map(ProvinceView::from),
            serials: x
                .serials
                .iter()
                .filter_map(|u| {
                    let m = self.w.meta(u.raw())?;
                    Some(self.ids.serial(m.a, m.b))
                })
                .collect(),
            batches: x
                .batches
                .iter()
                .map(|(b, n)| BatchPieces {
                    batch: self.ids.id(*b),
                    pieces: *n,
                })
                .collect(),
            created_at: fmt_time(x.created_at),
            corrected_at: x.corrected_at.map(fmt_time),
            note: x.note.clone(),
        }
    }

    /// The sales of a listing, oldest first.
    pub(crate) fn sales_of(
        &self,
        listing: NodeId,
    ) -> impl Iterator<Item = (NodeId, &'w Sale)> + 'w {
        let w = self.w;
        w.attached(listing)
            .iter()
            .filter_map(move |&n| match w.record(n).map(|r| &**r) {
                Some(Record::Sale(x)) => Some((n, x)),
                _ => None,
            })
    }
}

impl App {
    pub fn create_goods_shipment(
        &self,
        caller: &Caller,
        req: NewGoodsShipment,
    ) -> AppResult<GoodsShipmentView> {
        let (from, from_party) = self.resolve_party(
            "from",
            &req.from,
            &[Role::Manufacturer, Role::Distributor],
            "the sender of goods",
        )?;
        self.check_act_for(caller, from, "ship goods")?;
        let (to, _) =
            self.resolve_party("to", &req.to, &[Role::Distributor], "the receiver of goods")?;
        let batch = self.resolve(caller, "batch", &req.batch, NodeKind::Batch)?;
        if from == to {
            return Err(AppError::rule(
                "to",
                "a goods shipment goes from one party to another; from and to are the same",
            ));
        }
        if req.pieces == 0 || req.pieces > MAX_PIECES {
            return Err(AppError::rule(
                "pieces",
                format!("pieces must be 1 to {MAX_PIECES} (got {})", req.pieces),
            ));
        }
        self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            let shipped_at = Self::time("shipped_at", &req.shipped_at, now)?;
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
            Ok((
                EventBody::Created {
                    id,
                    record: Record::GoodsShipment(gs),
                },
                Some(from),
                view,
            ))
        })
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
        if !(caller.sees_all() || caller.party == Some(p)) {
            return Err(AppError::Forbidden(
                "a party reads its own goods; regulators read any".into(),
            ));
        }
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

    pub fn create_sale(&self, caller: &Caller, req: NewSale) -> AppResult<SaleView> {
        self.check_role(caller, &[Role::Platform], "report sales")?;
        let s = SaleIn::parse(&req)?;
        self.write(caller, |cx| {
            let mut taken = Taken::default();
            match cx.decide_sale(caller, &s, &mut taken, &mut Vec::new())? {
                Some(sale) => {
                    let view = cx.sale_view(cx.id, &sale);
                    let platform = cx.w.meta(sale.listing.raw()).map(|m| m.a);
                    Ok((
                        EventBody::Created {
                            id: cx.id,
                            record: Record::Sale(sale),
                        },
                        platform,
                        view,
                    ))
                }
                None => Err(AppError::conflict(
                    "day",
                    format!(
                        "this sale of listing {} on {} is recorded already",
                        s.listing,
                        fmt_day(s.day)
                    ),
                )),
            }
        })
    }

    pub fn get_sale(&self, caller: &Caller, id: &str) -> AppResult<SaleView> {
        let n = self.visible(caller, id, NodeKind::Sale)?;
        self.read_ctx(|cx| match cx.record(n)? {
            Record::Sale(x) => Ok(cx.sale_view(n, x)),
            _ => Err(AppError::Internal("not a sale".into())),
        })
    }

    /// The sales of a listing (its platform, its seller, regulators), oldest first.
    pub fn sales_of_listing(&self, caller: &Caller, listing: &str) -> AppResult<Vec<SaleView>> {
        let l = self.visible(caller, listing, NodeKind::Listing)?;
        Ok(self.read_ctx(|cx| cx.sales_of(l).map(|(n, x)| cx.sale_view(n, x)).collect()))
    }

    /// Corrects a sale: new pieces (the batches are decided again), with a note why.
    pub fn correct_sale(
        &self,
        caller: &Caller,
        id: &str,
        req: SaleCorrection,
    ) -> AppResult<SaleView> {
        let n = self.visible(caller, id, NodeKind::Sale)?;
        let note = crate::core::domain::clean_multiline("note", &req.note, 1, 1000)
            .map_err(|e| AppError::rule("note", e))?;
        self.write(caller, |cx| {
            let Record::Sale(old) = cx.record(n)? else {
                return Err(AppError::Internal("not a sale".into()));
            };
            let listing = cx.listing(old.listing.raw())?;
            if !(caller.operator || caller.party == Some(listing.platform.raw())) {
                return Err(AppError::Forbidden(
                    "only the listing's platform corrects its sales".into(),
                ));
            }
            if (req.pieces as usize) < old.serials.len() || req.pieces > MAX_SALE_PIECES {
                return Err(AppError::rule(
                    "pieces",
                    format!(
                        "pieces must be {} (the serials named) to {MAX_SALE_PIECES} (got {})",
                        old.serials.len().max(1),
                        req.pieces
                    ),
                ));
            }
            if req.pieces == 0 {
                return Err(AppError::rule("pieces", "pieces must be at least 1"));
            }
            // Decide again as if the old sale were not there: give its pieces back.
            let seller = listing.seller.raw();
            let mut batches: Vec<(Id<Batch>, u32)> = Vec::new();
            let mut need = req.pieces;
            for u in &old.serials {
                if let Some(m) = cx.w.meta(u.raw()) {
                    match batches.iter_mut().find(|(b, _)| b.raw() == m.a) {
                        Some((_, k)) => *k += 1,
                        None => batches.push((Id::new(m.a), 1)),
                    }
                    need -= 1;
                }
            }
            for b in &listing.batches {
                let given_back = u64::from(old.pieces_of(*b));
                let used = u64::from(batches.iter().find(|(x, _)| x == b).map_or(0, |(_, k)| *k));
                let free = (cx.pieces_available(b.raw(), seller) + given_back).saturating_sub(used);
                let k = u32::try_from(free.min(u64::from(need))).unwrap_or(need);
                if k > 0 {
                    match batches.iter_mut().find(|(x, _)| x == b) {
                        Some((_, m)) => *m += k,
                        None => batches.push((*b, k)),
                    }
                    need -= k;
                }
            }
            if need > 0 {
                return Err(AppError::rule(
                    "pieces",
                    format!(
                        "the seller holds {} pieces fewer than the corrected {} of listing {}",
                        need,
                        req.pieces,
                        cx.ids.id(old.listing)
                    ),
                ));
            }
            let mut new = old.clone();
            new.pieces = req.pieces;
            new.batches = batches.clone();
            new.corrected_at = Some(cx.now);
            new.note = Some(note.clone());
            let view = cx.sale_view(n, &new);
            Ok((
                EventBody::SaleCorrected {
                    sale: Id::new(n),
                    pieces: req.pieces,
                    batches,
                    note: note.clone(),
                },
                Some(listing.platform.raw()),
                view,
            ))
        })
    }

    /// Imports sales from a CSV file (header `listing,day,pieces,province,serials`; serials
    /// separated by `;` or spaces) or NDJSON (one `POST /api/v1/sales` body a line). Every
    /// row is checked first, as the API checks it, against the world and the rows before
    /// it: one bad row and nothing is written (the answer names the line). Rows equal to a
    /// sale recorded before are skipped, so a file imported twice records nothing twice
    /// (which is also how a retry after a lost answer is safe).
    pub fn import_sales(
        &self,
        caller: &Caller,
        body: &[u8],
        ndjson: bool,
    ) -> AppResult<SalesImport> {
        self.check_role(caller, &[Role::Platform], "import sales")?;
        let rows = parse_sales_file(body, ndjson)?;
        // Check every row against the world as it is now.
        let checked: Vec<(u64, SaleIn)> = rows
            .into_iter()
            .map(|(line, r)| {
                SaleIn::parse(&r)
                    .map(|s| (line, s))
                    .map_err(|e| at_line(line, e))
            })
            .collect::<AppResult<_>>()?;
        let mut report = SalesImport {
            rows: checked.len() as u64,
            recorded: 0,
            unchanged: 0,
            events: 0,
        };
        self.read_ctx_at(now_ms(), |cx| {
            let (mut taken, mut keys) = (Taken::default(), Vec::new());
            for (line, s) in &checked {
                cx.decide_sale(caller, s, &mut taken, &mut keys)
                    .map_err(|e| at_line(*line, e))?;
            }
            Ok::<(), AppError>(())
        })?;
        // Then record them in events of at most ~40 kB each (a log entry holds 64 KiB).
        let mut start = 0;
        while start < checked.len() {
            let mut end = start;
            let mut size = 0;
            while end < checked.len() && size < 40_000 {
                size += 48 + 6 * checked[end].1.serials.len();
                end += 1;
            }
            let chunk = &checked[start..end];
            let (recorded, unchanged) = self.write_if(caller, |cx| {
                let (mut taken, mut keys) = (Taken::default(), Vec::new());
                let mut records = Vec::with_capacity(chunk.len());
                let mut unchanged = 0u64;
                for (line, s) in chunk {
                    match cx
                        .decide_sale(caller, s, &mut taken, &mut keys)
                        .map_err(|e| at_line(*line, e))?
                    {
                        Some(mut sale) => {
                            sale.created_at = cx.now;
                            records.push((cx.id + records.len() as NodeId, Record::Sale(sale)));
                        }
                        None => unchanged += 1,
                    }
                }
                let n = records.len() as u64;
                let body = (!records.is_empty()).then_some(EventBody::CreatedMany { records });
                Ok((body, caller.party, (n, unchanged)))
            })
            .map_err(|e| match e {
                AppError::Rule { field, detail } => AppError::Rule {
                    field,
                    detail: format!("{detail} ({} sales of this file were recorded before this row; importing the file again records the rest)", report.recorded),
                },
                e => e,
            })?;
            report.recorded += recorded;
            report.unchanged += unchanged;
            report.events += u64::from(recorded > 0);
            start = end;
        }
        Ok(report)
    }
}

/// An error of one row, named by its line.
fn at_line(line: u64, e: AppError) -> AppError {
    let field = |f: Option<String>| {
        Some(format!(
            "line {line}{}",
            f.map(|f| format!(": {f}")).unwrap_or_default()
        ))
    };
    match e {
        AppError::BadRequest { field: f, detail } => AppError::Rule {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        AppError::Rule { field: f, detail } => AppError::Rule {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        AppError::NotFound { field: f, detail } => AppError::NotFound {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        AppError::Conflict { field: f, detail } => AppError::Conflict {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        e => e,
    }
}

/// The rows of a sales file, with their line numbers.
fn parse_sales_file(body: &[u8], ndjson: bool) -> AppResult<Vec<(u64, NewSale)>> {
    let text = std::str::from_utf8(body)
        .map_err(|e| AppError::bad("body", format!("the file is not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    if ndjson {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r: NewSale = serde_json::from_str(line).map_err(|e| {
                AppError::bad(format!("line {}", i + 1), format!("line {}: {e}", i + 1))
            })?;
            rows.push((i as u64 + 1, r));
            if rows.len() > MAX_IMPORT_ROWS {
                break;
            }
        }
    } else {
        let mut rd = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rd
            .headers()
            .map_err(|e| AppError::bad("body", format!("cannot read the CSV header: {e}")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (Some(li), Some(di), Some(pi)) = (col("listing"), col("day"), col("pieces")) else {
            return Err(AppError::bad(
                "body",
                "the CSV header must name the columns listing, day and pieces (and optionally province and serials)",
            ));
        };
        let (vi, si) = (col("province"), col("serials"));
        let known = ["listing", "day", "pieces", "province", "serials"];
        if let Some(h) = headers
            .iter()
            .find(|h| !known.iter().any(|k| h.eq_ignore_ascii_case(k)))
        {
            return Err(AppError::bad(
                "body",
                format!("unknown CSV column '{}'; the columns are listing, day, pieces, province, serials", trunc(h)),
            ));
        }
        for rec in rd.records() {
            let rec =
                rec.map_err(|e| AppError::bad("body", format!("cannot read the CSV: {e}")))?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(|c| c.is_empty()) {
                continue;
            }
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").to_string();
            let pieces = get(Some(pi)).parse::<u32>().map_err(|_| {
                AppError::bad(
                    format!("line {line}: pieces"),
                    format!(
                        "line {line}: pieces must be a whole number (got '{}')",
                        trunc(&get(Some(pi)))
                    ),
                )
            })?;
            let serials: Vec<String> = get(si)
                .split([';', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let province = get(vi);
            rows.push((
                line,
                NewSale {
                    listing: get(Some(li)),
                    day: get(Some(di)),
                    pieces,
                    province: (!province.is_empty()).then_some(province),
                    serials: (!serials.is_empty()).then_some(serials),
                },
            ));
            if rows.len() > MAX_IMPORT_ROWS {
                break;
            }
        }
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(AppError::rule(
            "body",
            format!("at most {MAX_IMPORT_ROWS} rows per import; split the file"),
        ));
    }
    if rows.is_empty() {
        return Err(AppError::rule("body", "the file has no sales"));
    }
    Ok(rows)
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

    #[test]
    fn csv_files_name_their_columns_and_lines() {
        let f = b"listing,day,pieces,province\nlst_x,2026-11-01,3,32\n\nlst_y,2026-11-02,4,\n";
        let rows = parse_sales_file(f, false).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.province.as_deref(), Some("32"));
        assert_eq!(rows[1].1.province, None);
        assert!(parse_sales_file(b"listing,when,pieces\n", false).is_err());
        let bad = parse_sales_file(b"listing,day,pieces\nlst_x,2026-11-01,three\n", false);
        assert!(bad.is_err_and(|e| e.to_string().contains("line 2")));
        let nd = parse_sales_file(
            b"{\"listing\":\"a\",\"day\":\"2026-11-01\",\"pieces\":2}\n",
            true,
        )
        .unwrap_or_default();
        assert_eq!(nd.len(), 1);
        assert!(parse_sales_file(b"{\"listing\":1}\n", true).is_err());
    }
}
