//! The supply commands: parsed from their requests (nothing of the world is read), then
//! decided against the world (see [`command`](crate::app::command)).

use super::*;
use crate::app::command::{Command, Decision, Rejection};

/// Register a party.
pub(super) struct CreateParty {
    role: Role,
    name: String,
    city: String,
    uscc: Uscc,
}

impl CreateParty {
    pub(super) fn parse(req: NewParty) -> AppResult<CreateParty> {
        Ok(CreateParty {
            role: req.role,
            name: clean_text("name", &req.name, 200).map_err(|e| AppError::rule("name", e))?,
            city: clean_text("city", &req.city, 100).map_err(|e| AppError::rule("city", e))?,
            uscc: Uscc::parse(&req.uscc).map_err(|e| AppError::rule("uscc", e))?,
        })
    }
}

impl Command for CreateParty {
    type Answer = PartyView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<PartyView>, Rejection> {
        cx.policy().check_register(caller, self.role)?;
        let (id, now) = (cx.id, cx.now);
        let uscc = &self.uscc;
        cx.unclaimed(
            &NaturalKey::Uscc(uscc.to_string()),
            "uscc",
            NodeKind::Party,
            |held| format!("a party with USCC {uscc} is already registered as {held}"),
        )?;
        let party = Party {
            name: self.name.clone(),
            role: self.role,
            uscc: uscc.clone(),
            city: self.city.clone(),
            created_at: now,
        };
        let view = PartyView::new(cx.ids, id, &party);
        let record = Record::Party(party);
        Ok(Decision::record(
            EventBody::Created { id, record },
            None,
            view,
        ))
    }
}

/// Register a lot of boards (with the lots it was made from, if any).
pub(super) struct CreateLot {
    req: NewLot,
    lot_code: String,
    quantity: Quantity,
    gtin: Option<Gtin>,
}

impl CreateLot {
    pub(super) fn parse(req: NewLot) -> AppResult<CreateLot> {
        let lot_code = clean_text("lot_code", &req.lot_code, 100)
            .map_err(|e| AppError::rule("lot_code", e))?;
        let quantity = App::quantity("quantity", req.quantity)?;
        let gtin = App::gtin("gtin", &req.gtin)?;
        if gtin.is_some() {
            // It is printed as AI 10 of the lot's Digital Link: it must resolve.
            gs1_code("lot_code", "10", &lot_code, "")?;
        }
        Ok(CreateLot {
            req,
            lot_code,
            quantity,
            gtin,
        })
    }
}

impl Command for CreateLot {
    type Answer = LotView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<LotView>, Rejection> {
        let req = &self.req;
        let (producer, _) = cx.resolve_party(
            "producer",
            &req.producer,
            &[Role::Supplier, Role::Manufacturer],
            "a lot's producer",
        )?;
        cx.policy()
            .check_act_for(caller, producer, "register a lot")?;
        let (id, now) = (cx.id, cx.now);
        let produced_at = App::time("produced_at", &req.produced_at, now)?;
        let lot_code = &self.lot_code;
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
        cx.check_gtin_lot(caller, &self.gtin, lot_code, "lot_code")?;
        let inputs = cx.check_inputs(caller, producer, produced_at, &req.inputs)?;
        let lot = Lot {
            producer: Id::new(producer),
            lot_code: lot_code.clone(),
            material: req.material,
            formaldehyde_class: req.formaldehyde_class,
            quantity: self.quantity,
            produced_at,
            gtin: self.gtin.clone(),
            inputs,
            created_at: now,
        };
        let view = LotView::new(cx.ids, id, &lot);
        let record = Record::Lot(lot);
        Ok(Decision::record(
            EventBody::Created { id, record },
            Some(producer),
            view,
        ))
    }
}

/// Ship part of a lot from one party to another.
pub(super) struct CreateShipment {
    req: NewShipment,
    quantity: Quantity,
}

impl CreateShipment {
    pub(super) fn parse(req: NewShipment) -> AppResult<CreateShipment> {
        let quantity = App::quantity("quantity", req.quantity)?;
        Ok(CreateShipment { req, quantity })
    }
}

impl Command for CreateShipment {
    type Answer = ShipmentView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<ShipmentView>, Rejection> {
        let (req, quantity) = (&self.req, self.quantity);
        let boards = [Role::Supplier, Role::Manufacturer];
        let (from, from_party) = cx.resolve_party("from", &req.from, &boards, "the sender")?;
        let (to, _) = cx.resolve_party("to", &req.to, &boards, "the receiver")?;
        cx.policy().check_act_for(caller, from, "ship a lot")?;
        let lot_id = cx.resolve(caller, "lot", &req.lot, NodeKind::Lot)?;
        if from == to {
            return Err(AppError::rule(
                "to",
                "a shipment goes from one party to another; from and to are the same",
            ));
        }
        let (id, now) = (cx.id, cx.now);
        let shipped_at = App::time("shipped_at", &req.shipped_at, now)?;
        let lot = cx.lot(lot_id)?;
        let unit = lot.quantity.unit.as_str();
        if quantity.unit != lot.quantity.unit {
            return Err(AppError::rule(
                "quantity.unit",
                format!(
                    "lot {} ({}) is counted in {unit}, not {}",
                    req.lot,
                    lot.lot_code,
                    quantity.unit.as_str()
                ),
            ));
        }
        if shipped_at < lot.produced_at {
            return Err(AppError::rule(
                "shipped_at",
                format!(
                    "lot {} was produced at {}, after the shipping time {}",
                    req.lot,
                    fmt_time(lot.produced_at),
                    fmt_time(shipped_at)
                ),
            ));
        }
        let h = cx.w.holding(lot_id, from);
        if h.produced.0 == 0 && h.received.0 == 0 {
            return Err(AppError::rule(
                "from",
                format!(
                    "{} ({}) neither made nor received lot {} ({})",
                    req.from, from_party.name, req.lot, lot.lot_code
                ),
            ));
        }
        let available = h.available();
        if quantity.amount > available {
            return Err(AppError::rule(
                "quantity.value",
                format!(
                    "lot {} ({}) has {} {unit} at {} ({}): {} {unit} {}, {} {unit} already \
                     shipped and {} {unit} consumed; cannot ship {} {unit}",
                    req.lot,
                    lot.lot_code,
                    available,
                    req.from,
                    from_party.name,
                    h.incoming(),
                    if h.produced.0 > 0 { "made" } else { "received" },
                    h.shipped,
                    h.consumed,
                    quantity.amount
                ),
            ));
        }
        let s = Shipment {
            lot: Id::new(lot_id),
            from: Id::new(from),
            to: Id::new(to),
            quantity,
            shipped_at,
            created_at: now,
        };
        let view = ShipmentView::new(cx.ids, id, &s);
        let record = Record::Shipment(s);
        Ok(Decision::record(
            EventBody::Created { id, record },
            Some(from),
            view,
        ))
    }
}

/// Register a batch of furniture made from lots (with serialised units, if asked).
pub(super) struct CreateBatch {
    req: NewBatch,
    batch_code: String,
    product: Product,
}

impl CreateBatch {
    pub(super) fn parse(req: NewBatch) -> AppResult<CreateBatch> {
        let batch_code = clean_text("batch_code", &req.batch_code, 100)
            .map_err(|e| AppError::rule("batch_code", e))?;
        let product = Product {
            name: clean_text("product.name", &req.product.name, 200)
                .map_err(|e| AppError::rule("product.name", e))?,
            model: clean_text("product.model", &req.product.model, 100)
                .map_err(|e| AppError::rule("product.model", e))?,
            gtin: App::gtin("product.gtin", &req.product.gtin)?,
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
        Ok(CreateBatch {
            req,
            batch_code,
            product,
        })
    }
}

impl Command for CreateBatch {
    type Answer = BatchView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<BatchView>, Rejection> {
        let req = &self.req;
        let (manufacturer, _) = cx.resolve_party(
            "manufacturer",
            &req.manufacturer,
            &[Role::Manufacturer],
            "a batch's manufacturer",
        )?;
        cx.policy()
            .check_act_for(caller, manufacturer, "register a batch")?;
        let (id, now) = (cx.id, cx.now);
        let produced_at = App::time("produced_at", &req.produced_at, now)?;
        let batch_code = &self.batch_code;
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
        cx.check_gtin_lot(caller, &self.product.gtin, batch_code, "batch_code")?;
        let inputs = cx.check_inputs(caller, manufacturer, produced_at, &req.inputs)?;
        let unit_count = if req.serials { req.quantity } else { 0 };
        let batch = Batch {
            manufacturer: Id::new(manufacturer),
            batch_code: batch_code.clone(),
            product: self.product.clone(),
            quantity: req.quantity,
            inputs,
            produced_at,
            first_unit: Id::new(id + 1),
            unit_count,
            created_at: now,
        };
        let view = BatchView::new(cx.ids, id, &batch);
        let record = Record::Batch(batch);
        Ok(Decision::record(
            EventBody::Created { id, record },
            Some(manufacturer),
            view,
        ))
    }
}

/// List a product on a platform (with the batches it sells and what it claims).
pub(super) struct CreateListing {
    req: NewListing,
    shop: String,
    item_id: String,
    title: String,
    url: String,
    claims: Option<crate::core::domain::ListingClaims>,
}

impl CreateListing {
    pub(super) fn parse(req: NewListing) -> AppResult<CreateListing> {
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
        Ok(CreateListing {
            req,
            shop,
            item_id,
            title,
            url,
            claims,
        })
    }
}

impl Command for CreateListing {
    type Answer = ListingView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<ListingView>, Rejection> {
        let req = &self.req;
        let (platform, _) = cx.resolve_party(
            "platform",
            &req.platform,
            &[Role::Platform],
            "a listing's platform",
        )?;
        let (seller, _) = cx.resolve_party(
            "seller",
            &req.seller,
            &[Role::Manufacturer, Role::Distributor],
            "a listing's seller",
        )?;
        cx.policy()
            .check_act_for(caller, platform, "create a listing")?;
        let (id, now) = (cx.id, cx.now);
        let batches = cx.check_batches(caller, platform, seller, &req.batches)?;
        let item_id = &self.item_id;
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
            shop: self.shop.clone(),
            item_id: item_id.clone(),
            url: self.url.clone(),
            title: self.title.clone(),
            batches: batches.into_iter().map(Id::new).collect(),
            status: ListingStatus::Active,
            created_at: now,
        };
        let view = ListingView::new(cx.ids, id, &listing);
        let body = match &self.claims {
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
        Ok(Decision::record(body, Some(platform), view))
    }
}

/// Link more batches to a listing.
pub(super) struct LinkListingBatches {
    pub(super) listing: String,
    pub(super) batches: Vec<String>,
}

impl Command for LinkListingBatches {
    type Answer = Changed<ListingView>;

    fn decide(
        &self,
        cx: &Ctx<'_>,
        caller: &Caller,
    ) -> Result<Decision<Changed<ListingView>>, Rejection> {
        let unknown = || unknown_id(None, NodeKind::Listing.name(), &self.listing);
        let id = cx
            .existing(&self.listing, NodeKind::Listing)
            .ok_or_else(unknown)?;
        cx.policy()
            .check_listing_write(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        let mut current = cx.listing(id)?.clone();
        let (platform, seller) = (current.platform, current.seller);
        let batches = cx.check_batches(caller, platform.raw(), seller.raw(), &self.batches)?;
        let new: Vec<Id<Batch>> = batches
            .iter()
            .map(|&b| Id::new(b))
            .filter(|b| !current.batches.contains(b))
            .collect();
        if new.is_empty() {
            let view = ListingView::new(cx.ids, id, &current);
            return Ok(Decision::nothing(Changed {
                view,
                changed: false,
            }));
        }
        current.batches.extend(&new);
        let view = ListingView::new(cx.ids, id, &current);
        Ok(Decision::record(
            EventBody::ListingBatchesLinked {
                listing: Id::new(id),
                batches: new,
            },
            Some(platform.raw()),
            Changed {
                view,
                changed: true,
            },
        ))
    }
}
