//! The upstream view, built over one state of the world ([`Ctx`]): the DAG from a unit,
//! batch, lot or listing to the mills, every node with its label and fields, every edge
//! with its quantity, and the suppliers. One read of the world for the whole view; records
//! are borrowed from it, not copied.

use super::trace::input_qty;
use super::*;
use crate::app::trace_view::{
    Label, NodeFields, SupplierView, TraceEdge, TraceNode, TraceParty, UpstreamView,
};
use crate::app::views::failed_items;
use crate::app::views::UtcMillis;
use crate::core::domain::{ComplianceStatus, Verdict};
use crate::core::ids::PublicId;

/// What [`Ctx::node_read`] and [`Ctx::read_record`] read of one node of a view.
struct NodeRead<'w> {
    meta: Option<crate::core::graph::NodeMeta>,
    seq: Option<u64>,
    /// The node's record (a unit's: its batch's).
    record: Option<&'w Record>,
    /// [`record_tag`] of the record: reading it brings the record's first bytes into the
    /// cache in the pass, not one node at a time while the view is built.
    kind: u8,
    /// A batch's maker (named among the trace's producers; not itself a node of it).
    maker: Option<(NodeId, &'w crate::core::domain::Party)>,
}

/// A small number for a trace node's kind of record (0: not a trace node).
fn record_tag(r: &Record) -> u8 {
    match r {
        Record::Party(_) => 1,
        Record::Lot(_) => 2,
        Record::Batch(_) => 3,
        Record::Listing(_) => 4,
        Record::GoodsShipment(_) => 5,
        _ => 0,
    }
}

pub(crate) use super::names::Names;

impl<'w> Ctx<'w> {
    /// Builds the trace node of `id` from what [`Ctx::read_record`] read of it, its
    /// strings borrowed from the world.
    fn trace_node(
        &self,
        id: NodeId,
        read: &NodeRead<'w>,
        names: &mut Names,
    ) -> AppResult<TraceNode<'w>> {
        let missing = || AppError::Internal(format!("record {id} is missing from the world"));
        let meta = read.meta.ok_or_else(missing)?;
        let record = read.record.ok_or_else(missing)?;
        if read.kind == 0 {
            return Err(AppError::Internal(format!("{id} is not a trace node")));
        }
        let seq = read.seq;
        if meta.kind == NodeKind::Unit {
            let Record::Batch(_) = record else {
                return Err(AppError::Internal(format!("{} is not a batch", meta.a)));
            };
            let serial = self.ids.serial_inline(meta.a, meta.b);
            return Ok(TraceNode {
                seq,
                mark: None,
                inspection: None,
                id: names.of(self.ids, NodeKind::Unit, id),
                kind: NodeKind::Unit.name(),
                label: Label::Serial(serial),
                fields: NodeFields::Unit {
                    serial,
                    batch: names.of(self.ids, NodeKind::Batch, meta.a),
                },
            });
        }
        let node = |kind: NodeKind, names: &mut Names, label, fields| TraceNode {
            seq,
            mark: None,
            inspection: None,
            id: names.of(self.ids, kind, id),
            kind: match kind {
                NodeKind::GoodsShipment => "goods_shipment",
                k => k.name(),
            },
            label,
            fields,
        };
        Ok(match record {
            Record::Party(p) => node(
                NodeKind::Party,
                names,
                Label::Text(&p.name),
                NodeFields::Party {
                    role: p.role.as_str(),
                    uscc: p.uscc.as_str(),
                    city: &p.city,
                },
            ),
            Record::Lot(l) => {
                let fields = NodeFields::Lot {
                    lot_code: &l.lot_code,
                    producer: names.party(self.ids, l.producer),
                    material: l.material.as_str(),
                    formaldehyde_class: l.formaldehyde_class.as_str(),
                    quantity: l.quantity.into(),
                    produced_at: UtcMillis(l.produced_at),
                };
                node(NodeKind::Lot, names, Label::Text(&l.lot_code), fields)
            }
            Record::Batch(b) => {
                let fields = NodeFields::Batch {
                    batch_code: &b.batch_code,
                    manufacturer: names.party(self.ids, b.manufacturer),
                    product: &b.product.name,
                    model: &b.product.model,
                    quantity: b.quantity,
                    produced_at: UtcMillis(b.produced_at),
                };
                let label = Label::Batch(&b.batch_code, &b.product.name);
                node(NodeKind::Batch, names, label, fields)
            }
            Record::Listing(l) => {
                let fields = NodeFields::Listing {
                    platform: names.party(self.ids, l.platform),
                    seller: names.party(self.ids, l.seller),
                    shop: &l.shop,
                    item_id: &l.item_id,
                    url: &l.url,
                    status: l.status.as_str(),
                };
                node(NodeKind::Listing, names, Label::Text(&l.title), fields)
            }
            Record::GoodsShipment(g) => {
                let fields = NodeFields::GoodsShipment {
                    batch: names.of(self.ids, NodeKind::Batch, g.batch.raw()),
                    from: names.party(self.ids, g.from),
                    to: names.party(self.ids, g.to),
                    pieces: g.pieces,
                    shipped_at: UtcMillis(g.shipped_at),
                };
                let label = Label::Pieces(g.pieces);
                node(NodeKind::GoodsShipment, names, label, fields)
            }
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
        })
    }

    /// The upstream view of `root` (of `kind`), for a caller already allowed to read it.
    pub(crate) fn upstream_view(
        &self,
        caller: &Caller,
        kind: NodeKind,
        root: NodeId,
    ) -> AppResult<UpstreamView<'w>> {
        // The nodes' headers, creating events and record slots are read a level at a time
        // as the walk reaches them, the previous level's records while the walk reads the
        // next level (independent loads: their cache misses overlap).
        let mut read: Vec<NodeRead<'w>> = Vec::with_capacity(16);
        let mut recorded = 0;
        let mut reach = self.w.upstream_visiting(root, |level| {
            let reached = read.len();
            read.extend(level.iter().map(|&n| self.node_read(n)));
            for r in &mut read[recorded..reached] {
                self.read_record(r);
            }
            recorded = reached;
        });
        // Only a listing can be reached through distributors.
        let chains = if kind == NodeKind::Listing {
            self.distribution(root)
        } else {
            vec![]
        };
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
        // Goods shipments on the way to a listing were added after the walk.
        let walked = read.len();
        read.extend(reach.nodes[walked..].iter().map(|&n| self.node_read(n)));
        for r in &mut read[recorded..] {
            self.read_record(r);
        }
        if read.len() != reach.nodes.len() {
            return Err(AppError::Internal(format!(
                "the walk from {root} read {} of its {} nodes",
                read.len(),
                reach.nodes.len()
            )));
        }
        // The nodes' ids and those their fields name (makers, platforms, sellers).
        let mut names = Names::with_capacity(reach.nodes.len() + 8);
        let named: Vec<(NodeKind, NodeId)> =
            reach.nodes.iter().map(|&n| (self.kind_of(n), n)).collect();
        names.prefill(self.ids, &named);
        // Edges before nodes: their quantities read the inputs of lots and batches, in a
        // short loop whose cache misses overlap. Every record was read by `read_record`.
        let rec = |n: NodeId| self.w.record(n).map(|r| &**r);
        let mut edges = Vec::with_capacity(reach.edges.len());
        for &(from, to) in &reach.edges {
            let from_kind = self.kind_of(from);
            let (kind, quantity) = match (from_kind, rec(to)) {
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
        let mut nodes = Vec::with_capacity(reach.nodes.len());
        for (&n, r) in reach.nodes.iter().zip(&read) {
            let mut node = self.trace_node(n, r, &mut names)?;
            self.annotate(caller, &mut node, n);
            nodes.push(node);
        }
        // Suppliers: producers of the raw lots (lots made from no other lot).
        let mut suppliers: Vec<(NodeId, Vec<PublicId>)> = Vec::new();
        for &n in &reach.nodes {
            match rec(n) {
                Some(Record::Lot(l)) if l.inputs.is_empty() => {
                    let lot = names.of(self.ids, NodeKind::Lot, n);
                    let p = l.producer.raw();
                    match suppliers.iter_mut().find(|(q, _)| *q == p) {
                        Some((_, lots)) => lots.push(lot),
                        None => suppliers.push((p, vec![lot])),
                    }
                }
                _ => {}
            }
        }
        suppliers.sort_unstable_by_key(|(p, _)| *p);
        let suppliers = suppliers
            .into_iter()
            .map(|(p, lots)| {
                let party = match self.record(p)? {
                    Record::Party(p) => p,
                    _ => return Err(AppError::Internal(format!("{p} is not a party"))),
                };
                Ok(SupplierView {
                    id: names.of(self.ids, NodeKind::Party, p),
                    name: &party.name,
                    uscc: party.uscc.as_str(),
                    city: &party.city,
                    lots,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        // The makers of the batches, as `read_record` found them.
        let mut makers: Vec<(NodeId, &'w crate::core::domain::Party)> =
            read.iter().filter_map(|r| r.maker).collect();
        makers.sort_unstable_by_key(|(id, _)| *id);
        makers.dedup_by_key(|(id, _)| *id);
        let mut via: Vec<NodeId> = chains
            .iter()
            .flat_map(|(_, m)| m.iter())
            .filter_map(|&g| match rec(g) {
                Some(Record::GoodsShipment(x)) => Some(x.to.raw()),
                _ => None,
            })
            .collect();
        via.sort_unstable();
        via.dedup();
        Ok(UpstreamView {
            root: names.of(self.ids, kind, root),
            nodes,
            edges,
            suppliers,
            producers: makers
                .into_iter()
                .map(|(id, p)| TraceParty {
                    id: names.of(self.ids, NodeKind::Party, id),
                    name: &p.name,
                    role: p.role.as_str(),
                    uscc: p.uscc.as_str(),
                    city: &p.city,
                })
                .collect(),
            distributors: via
                .into_iter()
                .filter_map(|p| self.trace_party(p, &mut names))
                .collect(),
        })
    }

    /// The first reads of a node of a view: its header, creating event and record slot
    /// (independent loads; the record itself is read by [`Ctx::read_record`]).
    fn node_read(&self, n: NodeId) -> NodeRead<'w> {
        NodeRead {
            meta: self.w.meta(n),
            seq: self.w.created_seq(n),
            record: self.w.record(n).map(|x| &**x),
            kind: 0,
            maker: None,
        }
    }

    /// The record of a node read by [`Ctx::node_read`] (a unit's: its batch's), and a
    /// batch's maker. A trace's time is mostly cache misses, so views read these for many
    /// nodes in a row, before building any.
    fn read_record(&self, r: &mut NodeRead<'w>) {
        if let Some(m) = r.meta.filter(|m| m.kind == NodeKind::Unit) {
            r.record = self.w.record(m.a).map(|x| &**x);
        }
        r.kind = r.record.map_or(0, record_tag);
        // A lot or batch record spans more than one cache line, and its inputs are a list of
        // their own: the fields the edges and nodes read later (quantity, producer, the
        // first input) are read here too, in this pass of independent loads.
        match r.record {
            Some(Record::Lot(l)) => {
                std::hint::black_box((l.quantity, l.producer, l.inputs.first().map(|i| i.lot)));
            }
            Some(Record::Batch(b)) => {
                std::hint::black_box((b.quantity, b.inputs.first().map(|i| i.lot)));
            }
            _ => {}
        }
        if let (Some(Record::Batch(b)), Some(m)) = (r.record, r.meta) {
            if m.kind == NodeKind::Batch {
                let maker = b.manufacturer.raw();
                if let Some(Record::Party(p)) = self.w.record(maker).map(|x| &**x) {
                    r.maker = Some((maker, p));
                }
            }
        }
    }

    /// A party named in a trace, borrowed.
    fn trace_party(&self, id: NodeId, names: &mut Names) -> Option<TraceParty<'w>> {
        match self.w.record(id).map(|r| &**r) {
            Some(Record::Party(p)) => Some(TraceParty {
                id: names.of(self.ids, NodeKind::Party, id),
                name: &p.name,
                role: p.role.as_str(),
                uscc: p.uscc.as_str(),
                city: &p.city,
            }),
            _ => None,
        }
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
    pub(crate) fn annotate(&self, caller: &Caller, node: &mut TraceNode<'w>, id: NodeId) {
        let (mark, inspection) = self.marks_of(Some(caller), id);
        node.mark = mark;
        node.inspection = inspection.map(Box::new);
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
