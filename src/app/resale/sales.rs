//! Sales: decided against what the seller holds, attributed to batches, corrected.

use super::*;
use crate::app::command::{Command, Decision, Rejection};

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
        self.policy().check_is(
            caller,
            listing.platform.raw(),
            "only the listing's platform reports its sales",
        )?;
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
    pub fn create_sale(&self, caller: &Caller, req: NewSale) -> AppResult<SaleView> {
        self.execute(caller, &CreateSale(SaleIn::parse(&req)?))
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
        let note = crate::core::domain::clean_multiline("note", &req.note, 1, 1000)
            .map_err(|e| AppError::rule("note", e))?;
        let cmd = CorrectSale {
            sale: id.to_string(),
            pieces: req.pieces,
            note,
        };
        self.execute(caller, &cmd)
    }
}

/// Report a sale.
struct CreateSale(SaleIn);

impl Command for CreateSale {
    type Answer = SaleView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<SaleView>, Rejection> {
        cx.policy()
            .check_role(caller, &[Role::Platform], "report sales")?;
        let s = &self.0;
        let mut taken = Taken::default();
        match cx.decide_sale(caller, s, &mut taken, &mut Vec::new())? {
            Some(sale) => {
                let view = cx.sale_view(cx.id, &sale);
                let platform = cx.w.meta(sale.listing.raw()).map(|m| m.a);
                Ok(Decision::record(
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
    }
}

/// Correct a sale's pieces.
struct CorrectSale {
    sale: String,
    pieces: u32,
    note: String,
}

impl Command for CorrectSale {
    type Answer = SaleView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<SaleView>, Rejection> {
        let n = cx.visible(caller, &self.sale, NodeKind::Sale)?;
        let note = &self.note;
        let pieces = self.pieces;
        let Record::Sale(old) = cx.record(n)? else {
            return Err(AppError::Internal("not a sale".into()));
        };
        let listing = cx.listing(old.listing.raw())?;
        cx.policy().check_is(
            caller,
            listing.platform.raw(),
            "only the listing's platform corrects its sales",
        )?;
        if (pieces as usize) < old.serials.len() || pieces > MAX_SALE_PIECES {
            return Err(AppError::rule(
                "pieces",
                format!(
                    "pieces must be {} (the serials named) to {MAX_SALE_PIECES} (got {})",
                    old.serials.len().max(1),
                    pieces
                ),
            ));
        }
        if pieces == 0 {
            return Err(AppError::rule("pieces", "pieces must be at least 1"));
        }
        // Decide again as if the old sale were not there: give its pieces back.
        let seller = listing.seller.raw();
        let mut batches: Vec<(Id<Batch>, u32)> = Vec::new();
        let mut need = pieces;
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
                    pieces,
                    cx.ids.id(old.listing)
                ),
            ));
        }
        let mut new = old.clone();
        new.pieces = pieces;
        new.batches = batches.clone();
        new.corrected_at = Some(cx.now);
        new.note = Some(note.clone());
        let view = cx.sale_view(n, &new);
        Ok(Decision::record(
            EventBody::SaleCorrected {
                sale: Id::new(n),
                pieces,
                batches,
                note: note.clone(),
            },
            Some(listing.platform.raw()),
            view,
        ))
    }
}
