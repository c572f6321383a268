//! Supply: registering parties, lots, shipments, batches and listings, and linking
//! batches to listings (with the seller's consent). Each write is parsed here into a
//! command and decided in [`commands`].

mod commands;

use super::*;
use commands::*;

impl App {
    pub fn create_party(&self, caller: &Caller, req: NewParty) -> AppResult<PartyView> {
        self.execute(caller, &CreateParty::parse(req)?)
    }

    pub fn create_lot(&self, caller: &Caller, req: NewLot) -> AppResult<LotView> {
        self.execute(caller, &CreateLot::parse(req)?)
            .map(|v| self.with_qr_ref(v))
    }

    pub fn create_shipment(&self, caller: &Caller, req: NewShipment) -> AppResult<ShipmentView> {
        self.execute(caller, &CreateShipment::parse(req)?)
    }

    pub fn create_batch(&self, caller: &Caller, req: NewBatch) -> AppResult<BatchView> {
        self.execute(caller, &CreateBatch::parse(req)?)
            .map(|v| self.with_qr_ref(v))
    }

    pub fn create_listing(&self, caller: &Caller, req: NewListing) -> AppResult<ListingView> {
        self.execute(caller, &CreateListing::parse(req)?)
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
        if req.batches.is_empty() {
            return Err(AppError::rule("batches", "name at least one batch to link"));
        }
        let cmd = LinkListingBatches {
            listing: listing_id.to_string(),
            batches: req.batches,
        };
        let done = self.execute(caller, &cmd)?;
        Ok((done.view, done.changed))
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
