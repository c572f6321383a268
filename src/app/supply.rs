//! Supply: registering parties, lots, shipments, batches and listings, and linking batches to listings (with the seller's consent).

use super::*;
use crate::core::domain::Id;

impl App {
    // -----------------------------------------------------------------------------------
    // Commands
    // -----------------------------------------------------------------------------------

    pub fn create_party(&self, caller: &Caller, req: NewParty) -> AppResult<PartyView> {
        self.check_register(caller, req.role)?;
        let name = clean_text("name", &req.name, 200).map_err(|e| AppError::rule("name", e))?;
        let city = clean_text("city", &req.city, 100).map_err(|e| AppError::rule("city", e))?;
        let uscc = Uscc::parse(&req.uscc).map_err(|e| AppError::rule("uscc", e))?;
        self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            cx.unclaimed(
                &NaturalKey::Uscc(uscc.to_string()),
                "uscc",
                NodeKind::Party,
                |held| format!("a party with USCC {uscc} is already registered as {held}"),
            )?;
            let party = Party {
                name: name.clone(),
                role: req.role,
                uscc: uscc.clone(),
                city: city.clone(),
                created_at: now,
            };
            let view = PartyView::new(cx.ids, id, &party);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Party(party),
                },
                None,
                view,
            ))
        })
    }

    pub(crate) fn quantity(field: &str, q: QuantityIn) -> AppResult<Quantity> {
        let amount = Milli::from_decimal(q.value)
            .map_err(|e| AppError::rule(format!("{field}.value"), format!("{field}.value {e}")))?;
        Ok(Quantity {
            amount,
            unit: q.unit,
        })
    }

    pub(crate) fn time(field: &str, t: &DateTime<FixedOffset>, now: i64) -> AppResult<i64> {
        let ms = t.timestamp_millis();
        if ms < EARLIEST_MS {
            return Err(AppError::rule(
                field,
                format!("{field} {t} is before 2000-01-01"),
            ));
        }
        if ms > now + FUTURE_SLACK_MS {
            return Err(AppError::rule(
                field,
                format!("{field} {t} is in the future"),
            ));
        }
        Ok(ms)
    }

    pub(crate) fn gtin(field: &str, g: &Option<String>) -> AppResult<Option<Gtin>> {
        match g {
            None => Ok(None),
            Some(g) => Gtin::parse(g)
                .map(Some)
                .map_err(|e| AppError::rule(field, e)),
        }
    }

    pub fn create_lot(&self, caller: &Caller, req: NewLot) -> AppResult<LotView> {
        let (producer, _) = self.resolve_party(
            "producer",
            &req.producer,
            &[Role::Supplier, Role::Manufacturer],
            "a lot's producer",
        )?;
        self.check_act_for(caller, producer, "register a lot")?;
        let lot_code = clean_text("lot_code", &req.lot_code, 100)
            .map_err(|e| AppError::rule("lot_code", e))?;
        let quantity = Self::quantity("quantity", req.quantity)?;
        let gtin = Self::gtin("gtin", &req.gtin)?;
        if gtin.is_some() {
            // It is printed as AI 10 of the lot's Digital Link: it must resolve.
            gs1_code("lot_code", "10", &lot_code, "")?;
        }
        self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            let produced_at = Self::time("produced_at", &req.produced_at, now)?;
            let key = NaturalKey::LotCode {
                producer: Id::new(producer),
                code: lot_code.clone(),
            };
            cx.unclaimed(&key, "lot_code", NodeKind::Lot, |held| {
                format!(
                    "{} already has a lot with code '{lot_code}': {held}",
                    req.producer
                )
            })?;
            cx.check_gtin_lot(caller, &gtin, &lot_code, "lot_code")?;
            let inputs = cx.check_inputs(caller, producer, produced_at, &req.inputs)?;
            let lot = Lot {
                producer: Id::new(producer),
                lot_code: lot_code.clone(),
                material: req.material,
                formaldehyde_class: req.formaldehyde_class,
                quantity,
                produced_at,
                gtin: gtin.clone(),
                inputs,
                created_at: now,
            };
            let view = LotView::new(cx.ids, id, &lot);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Lot(lot),
                },
                Some(producer),
                view,
            ))
        })
        .map(|v| self.with_qr_ref(v))
    }

    pub fn create_shipment(&self, caller: &Caller, req: NewShipment) -> AppResult<ShipmentView> {
        let (from, from_party) = self.resolve_party(
            "from",
            &req.from,
            &[Role::Supplier, Role::Manufacturer],
            "the sender",
        )?;
        let (to, _) = self.resolve_party(
            "to",
            &req.to,
            &[Role::Supplier, Role::Manufacturer],
            "the receiver",
        )?;
        self.check_act_for(caller, from, "ship a lot")?;
        let lot_id = self.resolve(caller, "lot", &req.lot, NodeKind::Lot)?;
        if from == to {
            return Err(AppError::rule(
                "to",
                "a shipment goes from one party to another; from and to are the same",
            ));
        }
        let quantity = Self::quantity("quantity", req.quantity)?;
        self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            let shipped_at = Self::time("shipped_at", &req.shipped_at, now)?;
            let lot = cx.lot(lot_id)?;
            let unit = lot.quantity.unit.as_str();
            if quantity.unit != lot.quantity.unit {
                return Err(AppError::rule("quantity.unit", format!("lot {} ({}) is counted in {unit}, not {}", req.lot, lot.lot_code, quantity.unit.as_str())));
            }
            if shipped_at < lot.produced_at {
                return Err(AppError::rule("shipped_at", format!("lot {} was produced at {}, after the shipping time {}", req.lot, fmt_time(lot.produced_at), fmt_time(shipped_at))));
            }
            let h = cx.w.holding(lot_id, from);
            if h.produced.0 == 0 && h.received.0 == 0 {
                return Err(AppError::rule("from", format!("{} ({}) neither made nor received lot {} ({})", req.from, from_party.name, req.lot, lot.lot_code)));
            }
            let available = h.available();
            if quantity.amount > available {
                return Err(AppError::rule(
                    "quantity.value",
                    format!(
                        "lot {} ({}) has {} {unit} at {} ({}): {} {unit} {}, {} {unit} already shipped and {} {unit} consumed; cannot ship {} {unit}",
                        req.lot, lot.lot_code, available, req.from, from_party.name,
                        Milli(h.produced.0 + h.received.0),
                        if h.produced.0 > 0 { "made" } else { "received" },
                        h.shipped, h.consumed, quantity.amount
                    ),
                ));
            }
            let s = Shipment { lot: Id::new(lot_id), from: Id::new(from), to: Id::new(to), quantity, shipped_at, created_at: now };
            let view = ShipmentView::new(cx.ids, id, &s);
            Ok((EventBody::Created { id, record: Record::Shipment(s) }, Some(from), view))
        })
    }

    pub fn create_batch(&self, caller: &Caller, req: NewBatch) -> AppResult<BatchView> {
        let (manufacturer, _) = self.resolve_party(
            "manufacturer",
            &req.manufacturer,
            &[Role::Manufacturer],
            "a batch's manufacturer",
        )?;
        self.check_act_for(caller, manufacturer, "register a batch")?;
        let batch_code = clean_text("batch_code", &req.batch_code, 100)
            .map_err(|e| AppError::rule("batch_code", e))?;
        let product = Product {
            name: clean_text("product.name", &req.product.name, 200)
                .map_err(|e| AppError::rule("product.name", e))?,
            model: clean_text("product.model", &req.product.model, 100)
                .map_err(|e| AppError::rule("product.model", e))?,
            gtin: Self::gtin("product.gtin", &req.product.gtin)?,
        };
        if product.gtin.is_some() {
            // Printed as AI 10 of its Digital Links: it must resolve. (Units' serials, AI 21,
            // are 13 characters of base32 by construction: see `core::serials`.)
            gs1_code("batch_code", "10", &batch_code, "")?;
        }
        if req.quantity == 0 || req.quantity > MAX_PIECES {
            return Err(AppError::rule(
                "quantity",
                format!(
                    "quantity is the number of pieces, 1 to {MAX_PIECES} (got {})",
                    req.quantity
                ),
            ));
        }
        if req.serials && req.quantity > MAX_SERIALS {
            return Err(AppError::rule(
                "quantity",
                format!(
                    "at most {MAX_SERIALS} serialised units per batch (got {}); split the batch",
                    req.quantity
                ),
            ));
        }
        if req.inputs.is_empty() {
            return Err(AppError::rule(
                "inputs",
                "a batch must name the lots it consumed",
            ));
        }
        self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            let produced_at = Self::time("produced_at", &req.produced_at, now)?;
            let key = NaturalKey::BatchCode {
                manufacturer: Id::new(manufacturer),
                code: batch_code.clone(),
            };
            cx.unclaimed(&key, "batch_code", NodeKind::Batch, |held| {
                format!(
                    "{} already has a batch with code '{batch_code}': {held}",
                    req.manufacturer
                )
            })?;
            cx.check_gtin_lot(caller, &product.gtin, &batch_code, "batch_code")?;
            let inputs = cx.check_inputs(caller, manufacturer, produced_at, &req.inputs)?;
            let unit_count = if req.serials { req.quantity } else { 0 };
            let batch = Batch {
                manufacturer: Id::new(manufacturer),
                batch_code: batch_code.clone(),
                product: product.clone(),
                quantity: req.quantity,
                inputs,
                produced_at,
                first_unit: Id::new(id + 1),
                unit_count,
                created_at: now,
            };
            let view = BatchView::new(cx.ids, id, &batch);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Batch(batch),
                },
                Some(manufacturer),
                view,
            ))
        })
        .map(|v| self.with_qr_ref(v))
    }

    pub fn create_listing(&self, caller: &Caller, req: NewListing) -> AppResult<ListingView> {
        let (platform, _) = self.resolve_party(
            "platform",
            &req.platform,
            &[Role::Platform],
            "a listing's platform",
        )?;
        let (seller, _) = self.resolve_party(
            "seller",
            &req.seller,
            &[Role::Manufacturer, Role::Distributor],
            "a listing's seller",
        )?;
        self.check_act_for(caller, platform, "create a listing")?;
        let shop = clean_text("shop", &req.shop, 200).map_err(|e| AppError::rule("shop", e))?;
        let item_id =
            clean_text("item_id", &req.item_id, 100).map_err(|e| AppError::rule("item_id", e))?;
        let title = clean_text("title", &req.title, 500).map_err(|e| AppError::rule("title", e))?;
        let url = clean_text("url", &req.url, 2000).map_err(|e| AppError::rule("url", e))?;
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace)
        {
            return Err(AppError::rule(
                "url",
                format!(
                    "url must be an http(s) address without spaces (got '{}')",
                    trunc(&url)
                ),
            ));
        }
        let claims = match &req.claims {
            Some(c) => Some(crate::app::sellers::flags::claims_record(Id::new(0), c, 0)?),
            None => None,
        };
        self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            let batches = cx.check_batches(caller, platform, seller, &req.batches)?;
            let key = NaturalKey::ListingItem {
                platform: Id::new(platform),
                item_id: item_id.clone(),
            };
            cx.unclaimed(&key, "item_id", NodeKind::Listing, |held| {
                format!(
                    "{} already has a listing with item id '{item_id}': {held}",
                    req.platform
                )
            })?;
            let listing = Listing {
                platform: Id::new(platform),
                seller: Id::new(seller),
                shop: shop.clone(),
                item_id: item_id.clone(),
                url: url.clone(),
                title: title.clone(),
                batches: batches.into_iter().map(Id::new).collect(),
                status: ListingStatus::Active,
                created_at: now,
            };
            let view = ListingView::new(cx.ids, id, &listing);
            let body = match &claims {
                None => EventBody::Created {
                    id,
                    record: Record::Listing(listing),
                },
                // The listing and its claims in one event.
                Some(c) => {
                    let mut c = c.clone();
                    c.listing = Id::new(id);
                    c.created_at = now;
                    EventBody::CreatedMany {
                        records: vec![(id, Record::Listing(listing)), (id + 1, Record::Claims(c))],
                    }
                }
            };
            Ok((body, Some(platform), view))
        })
        .map(|v| self.with_qr_ref(v))
    }

    /// Links more batches to a listing. Returns the listing and whether anything changed
    /// (linking batches already linked is a no-op and writes no event).
    pub fn link_batches(
        &self,
        caller: &Caller,
        listing_id: &str,
        req: LinkBatches,
    ) -> AppResult<(ListingView, bool)> {
        let unknown = || unknown_id(None, NodeKind::Listing.name(), listing_id);
        let id = self
            .existing(listing_id, NodeKind::Listing)
            .ok_or_else(unknown)?;
        self.check_listing_write(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        if req.batches.is_empty() {
            return Err(AppError::rule("batches", "name at least one batch to link"));
        }
        let done = self.write_if(caller, |cx| {
            let mut current = cx.listing(id)?.clone();
            let batches = cx.check_batches(
                caller,
                current.platform.raw(),
                current.seller.raw(),
                &req.batches,
            )?;
            let new: Vec<Id<Batch>> = batches
                .iter()
                .map(|&b| Id::new(b))
                .filter(|b| !current.batches.contains(b))
                .collect();
            if new.is_empty() {
                let view = ListingView::new(cx.ids, id, &current);
                return Ok((
                    None,
                    None,
                    Changed {
                        view,
                        changed: false,
                    },
                ));
            }
            let platform = current.platform;
            current.batches.extend(&new);
            let view = ListingView::new(cx.ids, id, &current);
            Ok((
                Some(EventBody::ListingBatchesLinked {
                    listing: Id::new(id),
                    batches: new,
                }),
                Some(platform.raw()),
                Changed {
                    view,
                    changed: true,
                },
            ))
        })?;
        Ok((done.view, done.changed))
    }
}

impl Ctx<'_> {
    /// Checks batches to link to a listing of `platform` sold by `seller`: each must be a
    /// batch of the seller that the caller may link (the seller's own say-so, or its grant
    /// to the platform). Anything else is answered like a batch that does not exist.
    /// Decided with the command (a grant may be revoked meanwhile).
    pub(crate) fn check_batches(
        &self,
        caller: &Caller,
        platform: NodeId,
        seller: NodeId,
        batches: &[String],
    ) -> AppResult<Vec<NodeId>> {
        if batches.len() > MAX_LINKS {
            return Err(AppError::rule(
                "batches",
                format!(
                    "at most {MAX_LINKS} batches per request (got {})",
                    batches.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(batches.len());
        for (i, b) in batches.iter().enumerate() {
            let field = format!("batches[{i}]");
            let unknown = || unknown_id(Some(&field), NodeKind::Batch.name(), b);
            let id = self.existing(b, NodeKind::Batch).ok_or_else(unknown)?;
            self.policy()
                .check_link(caller, platform, seller, id)
                .map_err(|d| d.into_error(unknown))?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }
}

/// Refuses (422) a code of an item with a GTIN that would not be a valid GS1 AI `ai` value
/// in its Digital Link: GS1's character set 82 and length.
fn gs1_code(field: &str, ai: &str, value: &str, why: &str) -> AppResult<()> {
    crate::gs1::dl::check_element(ai, value).map_err(|e| {
        AppError::rule(
            field,
            format!("with a GTIN, this code is printed in a GS1 Digital Link, where {e}{why}: choose a shorter code of A-Z a-z 0-9 and !\"%&'()*+,-./:;<=>?_"),
        )
    })
}
