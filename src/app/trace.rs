//! Traces: the upstream DAG of a unit, batch, lot or listing, and what lies downstream of a party, lot, batch or listing (as far as the caller may see).

use super::*;
use crate::app::trace_view::UpstreamView;
use crate::core::domain::Id;

impl App {
    /// The upstream view of `id` serialised as JSON (the body of
    /// `GET /api/v1/trace/upstream/{id}`), written while the view borrows the world.
    pub fn upstream_json(&self, caller: &Caller, id: &str) -> AppResult<Vec<u8>> {
        self.upstream_with(caller, id, |v| {
            serde_json::to_vec(v).map_err(|e| AppError::Internal(format!("upstream view: {e}")))
        })?
    }

    /// Calls `f` with the upstream view of `id` (the DAG to the mills), for a caller allowed
    /// to read it. The view borrows the world's strings, so `f` runs under the world's
    /// read lock: keep it short (serialise, count), and let go of the lock by returning.
    pub fn upstream_with<T>(
        &self,
        caller: &Caller,
        id: &str,
        f: impl FnOnce(&UpstreamView<'_>) -> T,
    ) -> AppResult<T> {
        let (kind, root) = self.resolve_any(id)?;
        self.check_upstream(caller, root)
            .map_err(|d| d.into_error(|| unknown_id(None, "record", id)))?;
        if !matches!(
            kind,
            NodeKind::Unit | NodeKind::Batch | NodeKind::Lot | NodeKind::Listing
        ) {
            return Err(AppError::rule(
                "id",
                format!(
                    "an upstream trace starts from a unit, batch, lot or listing, not a {}",
                    kind.name()
                ),
            ));
        }
        self.read_ctx(|cx| cx.upstream_view(caller, kind, root).map(|v| f(&v)))
    }

    /// Everything downstream of a party, lot or batch (or listing), with listings counted
    /// per platform and seller and one page of items.
    pub fn downstream(
        &self,
        caller: &Caller,
        id: &str,
        q: &DownstreamQuery,
    ) -> AppResult<DownstreamView> {
        let (kind, root) = self.resolve_any(id)?;
        let scope = self
            .check_downstream(caller, root)
            .map_err(|d| d.into_error(|| unknown_id(None, "record", id)))?;
        if !matches!(
            kind,
            NodeKind::Party | NodeKind::Lot | NodeKind::Batch | NodeKind::Listing
        ) {
            return Err(AppError::rule(
                "id",
                format!(
                    "a downstream trace starts from a party, lot, batch or listing, not a {}",
                    kind.name()
                ),
            ));
        }
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let platform_filter = match &q.platform {
            Some(p) => Some(
                self.resolve_party("platform", p, &[Role::Platform], "the platform")?
                    .0,
            ),
            None => None,
        };
        let mut reach = match scope {
            // A party's downstream is what it made or holds and everything made from it: the
            // graph links a party to the lots it produced, not to its batches.
            // (A supplier's lots are already the graph's outputs of the supplier.)
            Scope::Full
                if kind == NodeKind::Party && self.party_role(root) == Some(Role::Manufacturer) =>
            {
                let mut r = self.store.downstream(root)?;
                let own = self.own_reach(root, root, kind);
                for (all, mine) in [
                    (&mut r.lots, own.lots),
                    (&mut r.batches, own.batches),
                    (&mut r.listings, own.listings),
                ] {
                    all.extend(mine);
                    all.sort_unstable();
                    all.dedup();
                }
                r.units = r
                    .batches
                    .iter()
                    .filter_map(|&b| self.store.meta(b))
                    .map(|m| m.b as u64)
                    .sum();
                r
            }
            Scope::Full => self.store.downstream(root)?,
            Scope::Own(me) => self.own_reach(me, root, kind),
        };
        if kind == NodeKind::Listing {
            reach.listings = vec![root];
        }
        let shipped_to = self.shipped_to(scope, root, kind, &reach);
        let goods_to = self.goods_to(scope, root, kind, &reach);
        if let Some(pf) = platform_filter {
            reach
                .listings
                .retain(|&l| self.store.meta(l).map(|m| m.a) == Some(pf));
        }
        // Counts per platform and seller, from the resident headers only.
        let mut per: BTreeMap<NodeId, (u64, u64, BTreeMap<NodeId, u64>)> = BTreeMap::new();
        let mut active = 0u64;
        for &l in &reach.listings {
            if let Some(m) = self.store.meta(l) {
                let e = per.entry(m.a).or_default();
                e.0 += 1;
                if status_from_code(m.flag) == ListingStatus::Active {
                    e.1 += 1;
                    active += 1;
                }
                *e.2.entry(m.b).or_default() += 1;
            }
        }
        let by_platform = per
            .into_iter()
            .map(|(p, (n, a, sellers))| PlatformCount {
                platform: self.ids.format(NodeKind::Party, p),
                name: self.party_name(p),
                listings: n,
                active: a,
                sellers: sellers
                    .into_iter()
                    .map(|(s, c)| SellerCount {
                        seller: self.ids.format(NodeKind::Party, s),
                        name: self.party_name(s),
                        listings: c,
                    })
                    .collect(),
            })
            .collect();
        let (ids, want) = match q.items {
            DownstreamItems::Listings => (&reach.listings, NodeKind::Listing),
            DownstreamItems::Batches => (&reach.batches, NodeKind::Batch),
            DownstreamItems::Lots => (&reach.lots, NodeKind::Lot),
        };
        // A cursor is an item of this very answer: any other id (another tenant's record
        // included) is refused alike, so a cursor tells nothing of where other records stand.
        let start = match &q.cursor {
            None => 0,
            Some(c) => match self.ids.parse(c) {
                Some((k, n)) if k == want && ids.binary_search(&n).is_ok() => {
                    ids.partition_point(|&x| x <= n)
                }
                _ => {
                    return Err(AppError::bad(
                        "cursor",
                        format!("cursor must be a {} id from the previous page", want.name()),
                    ))
                }
            },
        };
        let page_ids = &ids[start.min(ids.len())..(start + limit).min(ids.len())];
        let mut items = Vec::with_capacity(page_ids.len());
        for &n in page_ids {
            items.push(match self.load(n)? {
                Record::Listing(l) => PageItem::Listing(ListingView::new(&self.ids, n, &l)),
                Record::Batch(b) => PageItem::Batch(BatchSummary {
                    id: self.ids.format(NodeKind::Batch, n),
                    batch_code: b.batch_code,
                    manufacturer: self.ids.id(b.manufacturer),
                    product: b.product.name,
                    model: b.product.model,
                    quantity: b.quantity,
                    unit_count: b.unit_count,
                    produced_at: fmt_time(b.produced_at),
                }),
                Record::Lot(l) => PageItem::Lot(LotSummary {
                    id: self.ids.format(NodeKind::Lot, n),
                    lot_code: l.lot_code,
                    producer: self.ids.id(l.producer),
                    material: l.material.as_str(),
                    formaldehyde_class: l.formaldehyde_class.as_str(),
                    quantity: l.quantity.into(),
                }),
                _ => continue,
            });
        }
        let next_cursor = if start + limit < ids.len() {
            page_ids.last().map(|&n| self.ids.format(want, n))
        } else {
            None
        };
        Ok(DownstreamView {
            root: self.ids.format(kind, root),
            scope: scope.name(),
            shipped_to,
            goods_to,
            lot_count: reach.lots.len() as u64,
            batch_count: reach.batches.len() as u64,
            unit_count: reach.units,
            listings: ListingSummary {
                total: reach.listings.len() as u64,
                active,
                by_platform,
            },
            page: Page {
                items_kind: want.name(),
                limit,
                items,
                next_cursor,
            },
        })
    }

    /// What a party sees downstream of `root`: the walk goes on only through records of
    /// its own (lots it made or holds, its batches, the listings that sell them), so it
    /// never enters what a customer made from what the party shipped.
    pub(crate) fn own_reach(&self, me: NodeId, root: NodeId, kind: NodeKind) -> Reach {
        let mut stack: Vec<NodeId> = match kind {
            // From the party itself: everything it made or received.
            NodeKind::Party => {
                let mut start: Vec<NodeId> = self
                    .store
                    .holdings_of(me)
                    .into_iter()
                    .map(|(l, _)| l)
                    .chain(self.store.outputs(root))
                    .collect();
                // A seller's own listings (a reseller's too, even before it links a batch)
                // and the batches it received as goods.
                self.read_ctx(|cx| {
                    start.extend_from_slice(cx.w.listings_of(me));
                    for &g in cx.w.attached(me) {
                        if let Some(m) =
                            cx.w.meta(g)
                                .filter(|m| m.kind == NodeKind::GoodsShipment && m.b == me)
                        {
                            start.push(m.a);
                        }
                    }
                });
                start
            }
            _ => vec![root],
        };
        let mut seen: std::collections::HashSet<NodeId> = stack.iter().copied().collect();
        seen.insert(root);
        while let Some(n) = stack.pop() {
            for d in self.store.outputs(n) {
                if self.own_downstream(me, d) && seen.insert(d) {
                    stack.push(d);
                }
            }
        }
        seen.remove(&root);
        let mut own: Vec<NodeId> = seen.into_iter().collect();
        own.sort_unstable();
        let mut reach = Reach::default();
        for n in own {
            if let Some(m) = self.store.meta(n) {
                reach.add(n, m);
            }
        }
        if kind == NodeKind::Batch {
            reach.units += self.store.meta(root).map(|m| m.b as u64).unwrap_or(0);
        }
        reach
    }

    /// Whom the lots of a downstream answer were shipped to, and how many lots each got.
    /// A party sees its own shipments; a regulator those of the root's own lots.
    pub(crate) fn shipped_to(
        &self,
        scope: Scope,
        root: NodeId,
        kind: NodeKind,
        reach: &Reach,
    ) -> Vec<RecipientView> {
        let mut shipped: BTreeMap<NodeId, std::collections::BTreeSet<NodeId>> = BTreeMap::new();
        match scope {
            Scope::Own(me) => {
                let in_scope = |lot: NodeId| {
                    lot == root || reach.lots.binary_search(&lot).is_ok() || kind == NodeKind::Party
                };
                // A shipment's header holds its lot (a) and receiver (b).
                for s in self.store.shipments_from(me) {
                    if let Some(m) = self.store.meta(s).filter(|m| in_scope(m.a)) {
                        shipped.entry(m.b).or_default().insert(m.a);
                    }
                }
            }
            Scope::Full => {
                let own_lots: Vec<NodeId> = match kind {
                    NodeKind::Party => self
                        .store
                        .outputs(root)
                        .into_iter()
                        .filter(|&l| self.store.meta(l).map(|m| m.kind) == Some(NodeKind::Lot))
                        .collect(),
                    NodeKind::Lot => vec![root],
                    _ => vec![],
                };
                for lot in own_lots {
                    for (p, _) in self.store.recipients(lot) {
                        shipped.entry(p).or_default().insert(lot);
                    }
                }
            }
        }
        shipped
            .into_iter()
            .map(|(p, lots)| RecipientView {
                party: self.ids.format(NodeKind::Party, p),
                name: self.party_name(p),
                lots: lots.len() as u64,
            })
            .collect()
    }
}

impl App {
    /// Whom the batches of a downstream answer went to as goods: a party its own goods
    /// shipments, a regulator every goods shipment of the batches reached.
    pub(crate) fn goods_to(
        &self,
        scope: Scope,
        root: NodeId,
        kind: NodeKind,
        reach: &Reach,
    ) -> Vec<GoodsRecipientView> {
        let mut batches = reach.batches.clone();
        if kind == NodeKind::Batch && !batches.contains(&root) {
            batches.push(root);
        }
        self.read_ctx(|cx| {
            let mut to: BTreeMap<NodeId, (std::collections::BTreeSet<NodeId>, u64)> =
                BTreeMap::new();
            for &b in &batches {
                for &g in cx.w.goods_moves(b) {
                    let Some(Record::GoodsShipment(x)) = cx.w.record(g).map(|r| &**r) else {
                        continue;
                    };
                    if let Scope::Own(me) = scope {
                        if x.from.raw() != me {
                            continue;
                        }
                    }
                    let e = to.entry(x.to.raw()).or_default();
                    e.0.insert(b);
                    e.1 += u64::from(x.pieces);
                }
            }
            to.into_iter()
                .map(|(p, (bs, pieces))| GoodsRecipientView {
                    party: cx.ids.format(NodeKind::Party, p),
                    name: cx.party_name(p).to_string(),
                    batches: bs.len() as u64,
                    pieces,
                })
                .collect()
        })
    }
}

pub(super) fn input_qty(inputs: &[Input], lot: NodeId) -> Option<QuantityView> {
    inputs
        .iter()
        .find(|i| i.lot == Id::new(lot))
        .map(|i| i.quantity.into())
}
