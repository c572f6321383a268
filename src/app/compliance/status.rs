//! Compliance status: declarations, suppliers by status, and the listings a supplier's boards reach (JSON and spreadsheet rows).

use super::*;
use crate::core::domain::Id;

impl App {
    /// A party's effective compliance status (see [`Ctx::compliance_status`]).
    pub(crate) fn compliance_status(
        &self,
        party: NodeId,
    ) -> (ComplianceStatus, Vec<NodeId>, Vec<NodeId>) {
        self.read_ctx(|cx| cx.compliance_status(party))
    }

    pub(crate) fn compliance_view(&self, party: NodeId) -> AppResult<ComplianceView> {
        self.read_ctx(|cx| cx.compliance_view(party))
    }

    /// An inspection as `caller` may see it (see [`Ctx::inspection_view`]).
    pub(crate) fn inspection_view(
        &self,
        caller: &Caller,
        id: NodeId,
        ins: &Inspection,
    ) -> InspectionView {
        self.read_ctx(|cx| cx.inspection_view(caller, id, ins))
    }

    pub fn declare_compliance(
        &self,
        caller: &Caller,
        party_id: &str,
        req: NewDeclaration,
    ) -> AppResult<ComplianceView> {
        let reason =
            clean_text("reason", &req.reason, 2000).map_err(|e| AppError::rule("reason", e))?;
        let cmd = DeclareCompliance {
            party: party_id.to_string(),
            req,
            reason,
        };
        self.execute(caller, &cmd)
    }

    pub fn get_compliance(&self, caller: &Caller, party_id: &str) -> AppResult<ComplianceView> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.check_compliance_read(caller, party)?;
        let mut view = self.compliance_view(party)?;
        if !caller.sees_all() {
            // The party sees its status and the declarations about it, not the inspection
            // or case records behind them (other parties' and the bureaus').
            let (_, marks, _) = self.compliance_status(party);
            view.evidence = marks
                .iter()
                .filter(|&&m| self.can_read(caller, m))
                .map(|&m| self.ids.format(NodeKind::Inspection, m))
                .collect();
            for d in &mut view.history {
                d.case = None;
            }
        }
        Ok(view)
    }

    pub fn suppliers_by_status(
        &self,
        caller: &Caller,
        q: &SuppliersQuery,
    ) -> AppResult<Vec<ComplianceView>> {
        self.check_role(
            caller,
            &[Role::Regulator],
            "list suppliers by compliance status",
        )?;
        self.read_ctx(|cx| {
            let mut out = Vec::new();
            for &p in cx.w.ids_of(NodeKind::Party) {
                if cx.policy().party_role(p) != Some(Role::Supplier) {
                    continue;
                }
                let status = cx.compliance_status(p);
                if q.status.is_none_or(|s| s == status.0) {
                    out.push(cx.compliance_view_of(p, status)?);
                }
            }
            Ok(out)
        })
    }

    /// Suppliers an impact query covers: the one named, or every non-compliant one.
    pub(crate) fn impact_suppliers(&self, supplier: &Option<String>) -> AppResult<Vec<NodeId>> {
        match supplier {
            Some(s) => Ok(vec![
                self.resolve_party("supplier", s, &[Role::Supplier], "the supplier")?
                    .0,
            ]),
            None => Ok(self
                .store
                .ids_of(NodeKind::Party)
                .into_iter()
                .filter(|&p| {
                    self.party_role(p) == Some(Role::Supplier)
                        && self.compliance_status(p).0 == ComplianceStatus::Noncompliant
                })
                .collect()),
        }
    }

    /// Active listings downstream of the suppliers (see [`Ctx::affected`]).
    pub(crate) fn affected(
        &self,
        suppliers: &[NodeId],
        platform: Option<NodeId>,
    ) -> AppResult<Vec<(NodeId, NodeId)>> {
        Ok(self.read_ctx(|cx| cx.affected(suppliers, platform)))
    }

    pub(crate) fn impact_scope(
        &self,
        caller: &Caller,
        platform: &Option<String>,
    ) -> AppResult<Option<NodeId>> {
        // A platform sees its own listings only; regulators may filter by platform.
        if let Some(own) = caller.platform_scope() {
            return Ok(Some(own));
        }
        self.check_role(caller, &[Role::Regulator], "query the impact of a supplier")?;
        match platform {
            Some(p) => Ok(Some(
                self.resolve_party("platform", p, &[Role::Platform], "the platform")?
                    .0,
            )),
            None => Ok(None),
        }
    }

    pub fn affected_listings(&self, caller: &Caller, q: &AffectedQuery) -> AppResult<AffectedView> {
        let platform = self.impact_scope(caller, &q.platform)?;
        let suppliers = self.impact_suppliers(&q.supplier)?;
        let rows = self.affected(&suppliers, platform)?;
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let exposure = self.read_ctx(|cx| {
            let batches = cx.affected_batches(&suppliers);
            rows.iter()
                .map(|&(l, _)| (l, cx.exposure(l, &batches)))
                .collect::<BTreeMap<NodeId, Exposure>>()
        });
        let mut sold_by_platform: BTreeMap<NodeId, Exposure> = BTreeMap::new();
        for &(l, _) in &rows {
            if let (Some(m), Some(e)) = (self.store.meta(l), exposure.get(&l)) {
                let t = sold_by_platform.entry(m.a).or_default();
                t.pieces += e.pieces;
                for (p, n) in &e.by_province {
                    *t.by_province.entry(p.clone()).or_default() += n;
                }
            }
        }
        let mut per: BTreeMap<NodeId, BTreeMap<NodeId, u64>> = BTreeMap::new();
        for &(l, _) in &rows {
            if let Some(m) = self.store.meta(l) {
                *per.entry(m.a).or_default().entry(m.b).or_default() += 1;
            }
        }
        let by_platform = per
            .into_iter()
            .map(|(p, sellers)| PlatformGroup {
                platform: self.ids.format(NodeKind::Party, p),
                name: self.party_name(p),
                listings: sellers.values().sum(),
                pieces_sold: sold_by_platform.get(&p).map_or(0, |e| e.pieces),
                sold_by_province: sold_by_platform
                    .get(&p)
                    .map(|e| e.by_province.clone())
                    .unwrap_or_default(),
                sellers: sellers
                    .into_iter()
                    .map(|(s, n)| SellerGroup {
                        seller: self.ids.format(NodeKind::Party, s),
                        name: self.party_name(s),
                        listings: n,
                    })
                    .collect(),
            })
            .collect();
        let start = match &q.cursor {
            None => 0,
            Some(c) => match self.ids.parse(c) {
                // An item of this answer only (see `downstream`).
                Some((NodeKind::Listing, n))
                    if rows.binary_search_by_key(&n, |&(l, _)| l).is_ok() =>
                {
                    rows.partition_point(|&(l, _)| l <= n)
                }
                _ => {
                    return Err(AppError::bad(
                        "cursor",
                        "cursor must be a listing id from the previous page",
                    ))
                }
            },
        };
        let page = &rows[start.min(rows.len())..(start + limit).min(rows.len())];
        let mut items = Vec::with_capacity(page.len());
        for &(l, _) in page {
            let e = exposure.get(&l).cloned().unwrap_or_default();
            items.push(AffectedItem {
                listing: ListingView::new(&self.ids, l, &self.listing(l)?),
                pieces_sold: e.pieces,
                sold_by_province: e.by_province,
                sold_by_batch: e
                    .by_batch
                    .into_iter()
                    .map(|(b, n)| crate::app::resale::BatchPieces {
                        batch: self.ids.format(NodeKind::Batch, b),
                        pieces: n,
                    })
                    .collect(),
            });
        }
        // A platform is told only of the suppliers behind its own affected listings.
        let named: Vec<NodeId> = if caller.sees_all() {
            suppliers.clone()
        } else {
            let behind: std::collections::BTreeSet<NodeId> = rows.iter().map(|&(_, s)| s).collect();
            suppliers
                .iter()
                .copied()
                .filter(|s| behind.contains(s))
                .collect()
        };
        Ok(AffectedView {
            pieces_sold: exposure.values().map(|e| e.pieces).sum(),
            suppliers: named
                .iter()
                .map(|&s| self.ids.format(NodeKind::Party, s))
                .collect(),
            total: rows.len() as u64,
            by_platform,
            next_cursor: if start + limit < rows.len() {
                page.last()
                    .map(|&(l, _)| self.ids.format(NodeKind::Listing, l))
            } else {
                None
            },
            items,
        })
    }

    /// The affected listings as spreadsheet rows, sorted by platform, seller, item id.
    pub fn affected_rows(&self, caller: &Caller, q: &AffectedQuery) -> AppResult<Vec<AffectedRow>> {
        let platform = self.impact_scope(caller, &q.platform)?;
        let suppliers = self.impact_suppliers(&q.supplier)?;
        let mut out = Vec::new();
        let affected = self.affected(&suppliers, platform)?;
        let exposure = self.read_ctx(|cx| {
            let batches = cx.affected_batches(&suppliers);
            affected
                .iter()
                .map(|&(l, _)| (l, cx.exposure(l, &batches)))
                .collect::<BTreeMap<NodeId, Exposure>>()
        });
        for (l, s) in affected {
            let listing = self.listing(l)?;
            let e = exposure.get(&l).cloned().unwrap_or_default();
            let lots: Vec<String> = self
                .store
                .upstream(l)?
                .nodes
                .into_iter()
                .filter(|&n| {
                    self.store
                        .meta(n)
                        .is_some_and(|m| m.kind == NodeKind::Lot && suppliers.contains(&m.a))
                })
                .filter_map(|n| match self.store.record(n) {
                    Ok(Some(Record::Lot(lot))) => Some(lot.lot_code),
                    _ => None,
                })
                .collect();
            let batches: Vec<String> = listing
                .batches
                .iter()
                .filter_map(|&b| match self.store.record(b.raw()) {
                    Ok(Some(Record::Batch(x))) => Some(x.batch_code),
                    _ => None,
                })
                .collect();
            out.push(AffectedRow {
                platform: self.party_name(listing.platform.raw()),
                shop: listing.shop,
                item_id: listing.item_id,
                url: listing.url,
                seller: self.party_name(listing.seller.raw()),
                batches: batches.join("; "),
                lots: lots.join("; "),
                supplier: self.party_name(s),
                status: listing.status.as_str(),
                pieces_sold: e.pieces,
                sold_by_province: e
                    .by_province
                    .iter()
                    .map(|(code, n)| {
                        let name = crate::core::domain::Province::parse(code)
                            .map(|p| p.name_zh())
                            .unwrap_or("未知");
                        format!("{name} {code}: {n}")
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
        out.sort_by(|a, b| {
            (&a.platform, &a.seller, &a.item_id).cmp(&(&b.platform, &b.seller, &b.item_id))
        });
        Ok(out)
    }
}

/// A regulator declares a party's compliance status.
struct DeclareCompliance {
    party: String,
    req: NewDeclaration,
    reason: String,
}

impl Command for DeclareCompliance {
    type Answer = ComplianceView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<ComplianceView>, Rejection> {
        let party = cx.visible(caller, &self.party, NodeKind::Party)?;
        cx.policy()
            .check_role(caller, &[Role::Regulator], "declare compliance status")?;
        let case = cx.opt_case(caller, "case", &self.req.case)?;
        let (id, now) = (cx.id, cx.now);
        let d = Declaration {
            party: Id::new(party),
            status: self.req.status,
            reason: self.reason.clone(),
            case: case.map(Id::new),
            declared_by: caller.party.map(Id::new),
            created_at: now,
        };
        // The answer is the record as this declaration leaves it: the newest declaration
        // decides the status (no inspection is newer).
        let mut view = cx.compliance_view(party)?;
        view.status = d.status.as_str();
        view.history.push(DeclarationView::new(cx.ids, id, &d));
        let record = Record::Declaration(d);
        Ok(Decision::record(
            EventBody::Created { id, record },
            caller.party,
            view,
        ))
    }
}
