//! The upstream view, built over one state of the world ([`Ctx`]): the DAG from a unit,
//! batch, lot or listing to the mills, every node with its label and fields, every edge
//! with its quantity, and the suppliers. One read of the world for the whole view; records
//! are borrowed from it, not copied.

use super::trace::input_qty;
use super::*;
use crate::app::compliance::failed_items;
use crate::core::domain::{ComplianceStatus, Verdict};
use crate::core::world::Map;

/// The public ids of one view, each formatted (one AES block and base32) once however
/// many nodes, fields, edges and suppliers name it.
#[derive(Default)]
pub(crate) struct Names {
    formatted: Map<NodeId, Arc<str>>,
}

impl Names {
    pub(crate) fn with_capacity(n: usize) -> Names {
        Names {
            formatted: Map::with_capacity_and_hasher(n, Default::default()),
        }
    }

    pub(crate) fn of(&mut self, ids: &IdCodec, kind: NodeKind, id: NodeId) -> Arc<str> {
        self.formatted
            .entry(id)
            .or_insert_with(|| ids.with_formatted(kind, id, |s| Arc::<str>::from(s)))
            .clone()
    }

    fn party(&mut self, ids: &IdCodec, id: Id<crate::core::domain::Party>) -> Arc<str> {
        self.of(ids, NodeKind::Party, id.raw())
    }
}

impl<'w> Ctx<'w> {
    /// Builds the trace node of `id`, caching records read (lots and batches are needed
    /// again for edge quantities).
    pub(crate) fn trace_node(
        &self,
        id: NodeId,
        cache: &mut Map<NodeId, &'w Record>,
        names: &mut Names,
    ) -> AppResult<TraceNode> {
        let meta = self
            .w
            .meta(id)
            .ok_or_else(|| AppError::Internal(format!("node {id} vanished")))?;
        if meta.kind == NodeKind::Unit {
            let rec = match cache.get(&meta.a) {
                Some(r) => *r,
                None => self.record(meta.a)?,
            };
            let Record::Batch(batch) = rec else {
                return Err(AppError::Internal(format!("{} is not a batch", meta.a)));
            };
            let _ = batch;
            let serial = self.ids.serial(meta.a, meta.b);
            return Ok(TraceNode {
                seq: self.w.created_seq(id),
                mark: None,
                inspection: None,
                id: names.of(self.ids, NodeKind::Unit, id),
                kind: NodeKind::Unit.name(),
                label: serial.clone(),
                fields: NodeFields::Unit {
                    serial,
                    batch: names.of(self.ids, NodeKind::Batch, meta.a),
                },
            });
        }
        let record = self.record(id)?;
        let seq = self.w.created_seq(id);
        let node = match record {
            Record::Party(p) => TraceNode {
                seq,
                mark: None,
                inspection: None,
                id: names.of(self.ids, NodeKind::Party, id),
                kind: "party",
                label: p.name.clone(),
                fields: NodeFields::Party {
                    role: p.role.as_str(),
                    uscc: p.uscc.to_string(),
                    city: p.city.clone(),
                },
            },
            Record::Lot(l) => TraceNode {
                seq,
                mark: None,
                inspection: None,
                id: names.of(self.ids, NodeKind::Lot, id),
                kind: "lot",
                label: l.lot_code.clone(),
                fields: NodeFields::Lot {
                    lot_code: l.lot_code.clone(),
                    producer: names.party(self.ids, l.producer),
                    material: l.material.as_str(),
                    formaldehyde_class: l.formaldehyde_class.as_str(),
                    quantity: l.quantity.into(),
                    produced_at: fmt_time(l.produced_at),
                },
            },
            Record::Batch(b) => TraceNode {
                seq,
                mark: None,
                inspection: None,
                id: names.of(self.ids, NodeKind::Batch, id),
                kind: "batch",
                label: format!("{} {}", b.batch_code, b.product.name),
                fields: NodeFields::Batch {
                    batch_code: b.batch_code.clone(),
                    manufacturer: names.party(self.ids, b.manufacturer),
                    product: b.product.name.clone(),
                    model: b.product.model.clone(),
                    quantity: b.quantity,
                    produced_at: fmt_time(b.produced_at),
                },
            },
            Record::Listing(l) => TraceNode {
                seq,
                mark: None,
                inspection: None,
                id: names.of(self.ids, NodeKind::Listing, id),
                kind: "listing",
                label: l.title.clone(),
                fields: NodeFields::Listing {
                    platform: names.party(self.ids, l.platform),
                    seller: names.party(self.ids, l.seller),
                    shop: l.shop.clone(),
                    item_id: l.item_id.clone(),
                    url: l.url.clone(),
                    status: l.status.as_str(),
                },
            },
            Record::GoodsShipment(g) => TraceNode {
                seq,
                mark: None,
                inspection: None,
                id: names.of(self.ids, NodeKind::GoodsShipment, id),
                kind: "goods_shipment",
                label: format!("{} pcs", g.pieces),
                fields: NodeFields::GoodsShipment {
                    batch: names.of(self.ids, NodeKind::Batch, g.batch.raw()),
                    from: names.party(self.ids, g.from),
                    to: names.party(self.ids, g.to),
                    pieces: g.pieces,
                    shipped_at: fmt_time(g.shipped_at),
                },
            },
            Record::Shipment(_)
            | Record::Qualification(_)
            | Record::Check(_)
            | Record::Claims(_)
            | Record::Plan(_)
            | Record::PlanSample(_)
            | Record::Sale(_)
            | Record::Request(_)
            | Record::Order(_)
            | Record::Key(_)
            | Record::Grant(_)
            | Record::Inspection(_)
            | Record::Declaration(_)
            | Record::Action(_)
            | Record::Case(_)
            | Record::Complaint(_) => {
                return Err(AppError::Internal(format!("{id} is not a trace node")))
            }
        };
        cache.insert(id, record);
        Ok(node)
    }

    /// The upstream view of `root` (of `kind`), for a caller already allowed to read it.
    pub(crate) fn upstream_view(
        &self,
        caller: &Caller,
        kind: NodeKind,
        root: NodeId,
    ) -> AppResult<UpstreamView> {
        let mut reach = self.w.upstream(root);
        let chains = self.distribution(root);
        for (batch, moves) in &chains {
            // Through distributors: batch → goods shipments → listing, not batch → listing.
            reach.edges.retain(|e| *e != (*batch, root));
            for &g in moves {
                reach.nodes.push(g);
                if let Some(Record::GoodsShipment(x)) = self.w.record(g).map(|r| &**r) {
                    let before = moves.iter().copied().filter(|&o| {
                        matches!(self.w.record(o).map(|r| &**r), Some(Record::GoodsShipment(y)) if y.to == x.from)
                    });
                    let mut any = false;
                    for o in before {
                        reach.edges.push((o, g));
                        any = true;
                    }
                    if !any {
                        reach.edges.push((*batch, g));
                    }
                    if self.listing_seller(root) == Some(x.to.raw()) {
                        reach.edges.push((g, root));
                    }
                }
            }
        }
        let mut cache = Map::with_capacity_and_hasher(reach.nodes.len(), Default::default());
        let mut names = Names::with_capacity(reach.nodes.len() + 4);
        let mut nodes = Vec::with_capacity(reach.nodes.len());
        for &n in &reach.nodes {
            let mut node = self.trace_node(n, &mut cache, &mut names)?;
            self.annotate(caller, &mut node, n);
            nodes.push(node);
        }
        let mut edges = Vec::with_capacity(reach.edges.len());
        for &(from, to) in &reach.edges {
            let from_kind = self.kind_of(from);
            let (kind, quantity) = match (from_kind, cache.get(&to).copied()) {
                (NodeKind::Party, Some(Record::Lot(l))) => ("produced", Some(l.quantity.into())),
                (_, Some(Record::Lot(l))) => ("input", input_qty(&l.inputs, from)),
                (_, Some(Record::Batch(b))) => ("input", input_qty(&b.inputs, from)),
                (_, Some(Record::Listing(_))) => ("listed", None),
                (_, Some(Record::GoodsShipment(g))) => (
                    "goods",
                    Some(crate::app::views::QuantityView::pieces(g.pieces)),
                ),
                _ => ("unit", None),
            };
            edges.push(TraceEdge {
                from: names.of(self.ids, from_kind, from),
                to: names.of(self.ids, self.kind_of(to), to),
                kind,
                quantity,
            });
        }
        // Suppliers: producers of the raw lots (lots made from no other lot).
        let mut suppliers: BTreeMap<NodeId, Vec<Arc<str>>> = BTreeMap::new();
        for &n in &reach.nodes {
            if let Some(Record::Lot(l)) = cache.get(&n).copied() {
                if l.inputs.is_empty() {
                    suppliers
                        .entry(l.producer.raw())
                        .or_default()
                        .push(names.of(self.ids, NodeKind::Lot, n));
                }
            }
        }
        let suppliers = suppliers
            .into_iter()
            .map(|(p, lots)| {
                let party = match self.record(p)? {
                    Record::Party(p) => p,
                    _ => return Err(AppError::Internal(format!("{p} is not a party"))),
                };
                Ok(SupplierView {
                    id: names.of(self.ids, NodeKind::Party, p),
                    name: party.name.clone(),
                    uscc: party.uscc.to_string(),
                    city: party.city.clone(),
                    lots,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let mut makers: Vec<NodeId> = reach
            .nodes
            .iter()
            .filter_map(|&n| match cache.get(&n).copied() {
                Some(Record::Batch(b)) => Some(b.manufacturer.raw()),
                _ => None,
            })
            .collect();
        makers.sort_unstable();
        makers.dedup();
        let mut via: Vec<NodeId> = chains
            .iter()
            .flat_map(|(_, m)| m.iter())
            .filter_map(|&g| match self.w.record(g).map(|r| &**r) {
                Some(Record::GoodsShipment(x)) => Some(x.to.raw()),
                _ => None,
            })
            .collect();
        via.sort_unstable();
        via.dedup();
        Ok(UpstreamView {
            root: names.of(self.ids, kind, root).to_string(),
            nodes,
            edges,
            suppliers,
            producers: makers
                .into_iter()
                .filter_map(|p| self.party_ref(p, &mut names))
                .collect(),
            distributors: via
                .into_iter()
                .filter_map(|p| self.party_ref(p, &mut names))
                .collect(),
        })
    }

    /// A party's directory data.
    pub(crate) fn party_ref(&self, id: NodeId, names: &mut Names) -> Option<PartyRef> {
        match self.w.record(id).map(|r| &**r) {
            Some(Record::Party(p)) => Some(PartyRef {
                id: names.of(self.ids, NodeKind::Party, id),
                name: p.name.clone(),
                role: p.role.as_str(),
                uscc: p.uscc.to_string(),
                city: p.city.clone(),
            }),
            _ => None,
        }
    }

    fn listing_seller(&self, id: NodeId) -> Option<NodeId> {
        match self.w.record(id).map(|r| &**r) {
            Some(Record::Listing(l)) => Some(l.seller.raw()),
            _ => None,
        }
    }

    /// For a listing whose seller did not make a batch it sells: per such batch, the goods
    /// shipments on the way from the maker to the seller (every path, oldest first).
    pub(crate) fn distribution(&self, listing: NodeId) -> Vec<(NodeId, Vec<NodeId>)> {
        let Some(Record::Listing(l)) = self.w.record(listing).map(|r| &**r) else {
            return vec![];
        };
        let mut out = Vec::new();
        for b in &l.batches {
            let Some(m) = self.w.meta(b.raw()) else {
                continue;
            };
            if m.a == l.seller.raw() {
                continue;
            }
            let moves = self.w.goods_moves(b.raw());
            // Backwards from the seller: each party's incoming shipments, until the maker.
            let mut parties = vec![l.seller.raw()];
            let mut taken: Vec<NodeId> = Vec::new();
            let mut i = 0;
            while i < parties.len() {
                let to = parties[i];
                i += 1;
                if to == m.a {
                    continue;
                }
                for &g in moves {
                    if let Some(Record::GoodsShipment(x)) = self.w.record(g).map(|r| &**r) {
                        if x.to.raw() == to && !taken.contains(&g) {
                            taken.push(g);
                            if !parties.contains(&x.from.raw()) {
                                parties.push(x.from.raw());
                            }
                        }
                    }
                }
            }
            if !taken.is_empty() {
                taken.sort_unstable();
                out.push((b.raw(), taken));
            }
        }
        out
    }

    /// Adds the compliance mark and the latest inspection to a trace node.
    pub(crate) fn annotate(
        &self,
        caller: &Caller,
        node: &mut crate::app::views::TraceNode,
        id: NodeId,
    ) {
        let (mark, inspection) = self.marks_of(Some(caller), id);
        node.mark = mark;
        node.inspection = inspection;
    }

    /// The mark of a node (`failed`: its latest inspection failed; `suspect`: upstream of a
    /// failed product; `noncompliant`: a party declared so) and its latest inspection.
    pub(crate) fn marks_of(
        &self,
        caller: Option<&Caller>,
        id: NodeId,
    ) -> (
        Option<&'static str>,
        Option<crate::app::views::LatestInspection>,
    ) {
        if self.kind_of(id) == NodeKind::Party {
            let mark = match self.party_status(id) {
                ComplianceStatus::Noncompliant => Some("noncompliant"),
                ComplianceStatus::Suspect => Some("suspect"),
                ComplianceStatus::Compliant => None,
            };
            return (mark, None);
        }
        let latest =
            self.latest_inspection(id)
                .and_then(|i| match self.w.record(i).map(|r| &**r) {
                    Some(Record::Inspection(ins)) => Some((i, ins)),
                    _ => None,
                });
        let mut mark = None;
        let inspection = latest.map(|(i, ins)| {
            if ins.verdict == Verdict::Fail {
                mark = Some("failed");
            }
            crate::app::views::LatestInspection {
                id: caller
                    .filter(|c| self.policy().can_read(c, i))
                    .map(|_| self.ids.format(NodeKind::Inspection, i)),
                verdict: ins.verdict.as_str(),
                report_no: ins.report_no.clone(),
                sampled_at: fmt_time(ins.sampled_at),
                failed: failed_items(ins),
                sample: self.order_of(i).map(|(_, o)| {
                    match o.confirmation.as_ref().map(|c| c.result) {
                        None => "online_unconfirmed",
                        Some(crate::core::domain::ConfirmationResult::Confirmed) => {
                            "online_confirmed"
                        }
                        Some(crate::core::domain::ConfirmationResult::Disputed) => {
                            "online_disputed"
                        }
                    }
                }),
            }
        });
        if mark.is_none() && !self.w.marks(id).is_empty() {
            mark = Some("suspect");
        }
        (mark, inspection)
    }

    /// The latest inspection of a node (the highest id: ids grow with time).
    pub(crate) fn latest_inspection(&self, id: NodeId) -> Option<NodeId> {
        self.w
            .attached(id)
            .iter()
            .copied()
            .filter(|&n| self.kind_of(n) == NodeKind::Inspection)
            .max()
    }

    /// Inspections of a node, newest first.
    pub(crate) fn inspections_of(&self, id: NodeId) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = self
            .w
            .attached(id)
            .iter()
            .copied()
            .filter(|&n| self.kind_of(n) == NodeKind::Inspection)
            .collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    }
}
