//! Samples bought online (样品确认): an inspection may record the order its sample was
//! bought with; the listing's platform confirms or disputes that the order was for that
//! listing, seller and batch. A confirmed order attributes the verdict to the seller and
//! the producers; an unconfirmed one is marked so in views and statistics.

use super::*;
use crate::app::{unknown_id, Ctx};
use crate::core::domain::{Confirmation, ConfirmationResult, Id, SampleOrder};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderIn {
    pub platform: String,
    pub listing: String,
    pub order_no: String,
    pub ordered_at: DateTime<FixedOffset>,
    /// Price paid, in yuan (at most two decimals).
    pub price: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationIn {
    pub result: ConfirmationResult,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConfirmationView {
    pub result: &'static str,
    pub note: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrderView {
    pub id: String,
    pub platform: String,
    pub listing: String,
    /// The listing's seller, for callers who may read the listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller: Option<String>,
    pub order_no: String,
    pub ordered_at: String,
    /// Yuan.
    pub price: f64,
    /// `unconfirmed`, `confirmed` or `disputed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<ConfirmationView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attribution {
    pub seller: String,
    pub producers: Vec<String>,
}

/// An order's status word.
pub(crate) fn order_status(o: &SampleOrder) -> &'static str {
    match &o.confirmation {
        None => "unconfirmed",
        Some(c) => c.result.as_str(),
    }
}

/// A price in yuan as fen, exactly (at most two decimals), or why not.
fn fen(price: f64) -> AppResult<u64> {
    let f = price * 100.0;
    if !price.is_finite() || !(0.0..=100_000_000.0).contains(&price) || (f - f.round()).abs() > 1e-6
    {
        return Err(AppError::rule(
            "order.price",
            format!("order.price is yuan with at most two decimals, 0 to 100000000 (got {price})"),
        ));
    }
    Ok(f.round() as u64)
}

impl<'w> Ctx<'w> {
    /// The order recorded with an inspection, if any.
    pub(crate) fn order_of(&self, inspection: NodeId) -> Option<(NodeId, &'w SampleOrder)> {
        self.w
            .attached(inspection)
            .iter()
            .find_map(|&n| match self.w.record(n).map(|r| &**r) {
                Some(Record::Order(o)) if o.inspection.raw() == inspection => Some((n, o)),
                _ => None,
            })
    }

    pub(crate) fn order_view(&self, id: NodeId, o: &SampleOrder) -> OrderView {
        OrderView {
            id: self.ids.format(NodeKind::Order, id),
            platform: self.ids.id(o.platform),
            listing: self.ids.id(o.listing),
            seller: Some(self.ids.id(o.seller)),
            order_no: o.order_no.clone(),
            ordered_at: fmt_time(o.ordered_at),
            price: o.price_fen as f64 / 100.0,
            status: order_status(o),
            confirmation: o.confirmation.as_ref().map(|c| ConfirmationView {
                result: c.result.as_str(),
                note: c.note.clone(),
                at: fmt_time(c.at),
            }),
        }
    }

    /// The makers behind an inspected subject: a batch's or unit's maker, a listing's
    /// batches' makers, a lot's producer.
    pub(crate) fn producers_of(&self, subject: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let Some(m) = self.w.meta(subject) else {
            return out;
        };
        match m.kind {
            NodeKind::Batch | NodeKind::Lot => out.push(m.a),
            NodeKind::Unit => out.extend(self.w.meta(m.a).map(|b| b.a)),
            NodeKind::Listing => {
                if let Some(Record::Listing(l)) = self.w.record(subject).map(|r| &**r) {
                    out.extend(
                        l.batches
                            .iter()
                            .filter_map(|b| self.w.meta(b.raw()).map(|x| x.a)),
                    );
                }
            }
            _ => {}
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Adds the order and the attribution to an inspection's view; who sold it only for a
    /// caller who may read the listing (a lab names the listing it was handed a sample of,
    /// which tells it nothing about the listing).
    pub(crate) fn with_order(
        &self,
        caller: &Caller,
        view: &mut InspectionView,
        id: NodeId,
        ins: &Inspection,
    ) {
        if let Some((n, o)) = self.order_of(id) {
            let mut v = self.order_view(n, o);
            if !self.policy().can_read(caller, o.listing.raw()) {
                v.seller = None;
                view.order = Some(v);
                return;
            }
            view.order = Some(v);
            view.attributed_to = self.attribution(o, ins);
        }
    }

    /// Who a sample's verdict is attributed to: the seller and the makers, once the
    /// platform confirmed the order.
    pub(crate) fn attribution(&self, o: &SampleOrder, ins: &Inspection) -> Option<Attribution> {
        let confirmed = o
            .confirmation
            .as_ref()
            .is_some_and(|c| c.result == ConfirmationResult::Confirmed);
        confirmed.then(|| Attribution {
            seller: self.ids.id(o.seller),
            producers: self
                .producers_of(ins.subject)
                .into_iter()
                .map(|p| self.ids.format(NodeKind::Party, p))
                .collect(),
        })
    }

    /// Builds an inspection's order from its checked request (its id and inspection are
    /// set when the inspection is recorded).
    pub(crate) fn sample_order(&self, o: &OrderIn, p: &OrderChecked) -> AppResult<SampleOrder> {
        let (platform, _) = self.resolve_party(
            "order.platform",
            &o.platform,
            &[Role::Platform],
            "an order's platform",
        )?;
        // Like the subject, a lab names the listing a sample was bought from, whoever's.
        let listing_id = self
            .existing(&o.listing, NodeKind::Listing)
            .ok_or_else(|| unknown_id(Some("order.listing"), "listing", &o.listing))?;
        let listing = self.listing(listing_id)?;
        if listing.platform.raw() != platform {
            return Err(AppError::rule(
                "order.listing",
                format!("listing {} is not on platform {}", o.listing, o.platform),
            ));
        }
        Ok(SampleOrder {
            inspection: Id::new(0),
            platform: Id::new(platform),
            listing: Id::new(listing_id),
            seller: listing.seller,
            order_no: p.order_no.clone(),
            ordered_at: p.ordered_at,
            price_fen: p.price_fen,
            confirmation: None,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    /// `unconfirmed`, `confirmed` or `disputed`.
    pub status: Option<String>,
}

/// A sample's order in a platform's queue, with the inspection it belongs to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrderItem {
    pub inspection: String,
    pub report_no: String,
    pub verdict: &'static str,
    pub sampled_at: String,
    #[serde(flatten)]
    pub order: OrderView,
}

impl App {
    /// The orders of samples bought on a platform (a platform its own, regulators all),
    /// newest first, optionally by status.
    pub fn list_orders(&self, caller: &Caller, q: &OrdersQuery) -> AppResult<Vec<OrderItem>> {
        self.check_role(
            caller,
            &[Role::Platform, Role::Regulator],
            "read samples' orders",
        )?;
        let status = match q.status.as_deref() {
            None => None,
            Some(s @ ("unconfirmed" | "confirmed" | "disputed")) => Some(s),
            Some(s) => {
                return Err(AppError::bad(
                    "status",
                    format!(
                        "status is unconfirmed, confirmed or disputed (got '{}')",
                        trunc(s)
                    ),
                ))
            }
        };
        let mine = (!caller.sees_all()).then_some(caller.party).flatten();
        Ok(self.read_ctx(|cx| {
            cx.w.ids_of(NodeKind::Order)
                .iter()
                .rev()
                .filter_map(|&n| {
                    let Some(Record::Order(o)) = cx.w.record(n).map(|r| &**r) else {
                        return None;
                    };
                    if mine.is_some_and(|p| p != o.platform.raw())
                        || status.is_some_and(|s| s != order_status(o))
                    {
                        return None;
                    }
                    let Some(Record::Inspection(i)) = cx.w.record(o.inspection.raw()).map(|r| &**r)
                    else {
                        return None;
                    };
                    Some(OrderItem {
                        inspection: cx.ids.id(o.inspection),
                        report_no: i.report_no.clone(),
                        verdict: i.verdict.as_str(),
                        sampled_at: fmt_time(i.sampled_at),
                        order: cx.order_view(n, o),
                    })
                })
                .collect()
        }))
    }
}

/// What of an inspection's order is checked without the world: its number, time (not
/// after the sampling) and price.
#[derive(Debug, Clone)]
pub(crate) struct OrderChecked {
    order_no: String,
    ordered_at: i64,
    price_fen: u64,
}

impl OrderIn {
    pub(crate) fn check(&self, sampled_at: i64) -> AppResult<OrderChecked> {
        let order_no = clean_text("order.order_no", &self.order_no, 100)
            .map_err(|e| AppError::rule("order.order_no", e))?;
        let ordered_at = self.ordered_at.timestamp_millis();
        if ordered_at > sampled_at {
            return Err(AppError::rule(
                "order.ordered_at",
                format!(
                    "the order ({}) is after the sampling time ({})",
                    fmt_time(ordered_at),
                    fmt_time(sampled_at)
                ),
            ));
        }
        Ok(OrderChecked {
            order_no,
            ordered_at,
            price_fen: fen(self.price)?,
        })
    }
}

impl App {
    /// The platform of a sample's order confirms or disputes it (once).
    pub fn confirm_order(
        &self,
        caller: &Caller,
        inspection: &str,
        req: ConfirmationIn,
    ) -> AppResult<InspectionView> {
        let note = crate::core::domain::clean_multiline("note", &req.note, 1, 2000)
            .map_err(|e| AppError::rule("note", e))?;
        let cmd = ConfirmOrder {
            inspection: inspection.to_string(),
            result: req.result,
            note,
        };
        self.execute(caller, &cmd)
    }
}

/// Confirm or dispute the order a sample was bought with.
struct ConfirmOrder {
    inspection: String,
    result: ConfirmationResult,
    note: String,
}

impl Command for ConfirmOrder {
    type Answer = InspectionView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<InspectionView>, Rejection> {
        let inspection = &self.inspection;
        let n = cx.visible(caller, inspection, NodeKind::Inspection)?;
        let Some((order_id, o)) = cx.order_of(n) else {
            return Err(AppError::rule(
                "inspection",
                format!("inspection {inspection} records no online order to confirm"),
            ));
        };
        cx.policy().check_is(
            caller,
            o.platform.raw(),
            "only the platform the sample was bought on confirms its order",
        )?;
        if o.confirmation.is_some() {
            return Err(AppError::conflict(
                "result",
                format!(
                    "the order of inspection {inspection} was {} already",
                    order_status(o)
                ),
            ));
        }
        let Record::Inspection(ins) = cx.record(n)? else {
            return Err(AppError::Internal("not an inspection".into()));
        };
        let confirmation = Confirmation {
            result: self.result,
            note: self.note.clone(),
            at: cx.now,
        };
        let mut after = o.clone();
        after.confirmation = Some(confirmation.clone());
        let mut view = cx.inspection_view(caller, n, ins);
        view.order = Some(cx.order_view(order_id, &after));
        view.attributed_to = cx.attribution(&after, ins);
        Ok(Decision::record(
            EventBody::OrderConfirmed {
                order: Id::new(order_id),
                confirmation,
            },
            Some(o.platform.raw()),
            view,
        ))
    }
}
