//! Deciding commands: what a command reads of the world to decide, over a [`Ctx`] (the
//! world as it is, the public ids, the next id, the time) and nothing else. No storage is
//! touched and no clock read: the same world and command give the same event or rejection.

use super::*;
use crate::core::domain::Id;
use std::collections::BTreeSet;

impl<'w> Ctx<'w> {
    /// An id of kind `want` that exists (see [`App::resolve`] for the caller's view).
    pub(crate) fn existing(&self, s: &str, want: NodeKind) -> Option<NodeId> {
        let id = self.ids.parse_kind(s, want)?;
        (self.w.meta(id)?.kind == want).then_some(id)
    }

    /// A reference in a command to a record of kind `want` the caller may read; anything
    /// else gets the one answer for an unknown id.
    pub(crate) fn resolve(
        &self,
        caller: &Caller,
        field: &str,
        s: &str,
        want: NodeKind,
    ) -> AppResult<NodeId> {
        let unknown = || unknown_id(Some(field), want.name(), s);
        let id = self.existing(s, want).ok_or_else(unknown)?;
        self.policy()
            .check_read(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        Ok(id)
    }

    /// An id from a URL path to a record of kind `want` the caller may read; anything else
    /// gets the one answer for an unknown id (no field).
    pub(crate) fn visible(&self, caller: &Caller, s: &str, want: NodeKind) -> AppResult<NodeId> {
        let unknown = || unknown_id(None, want.name(), s);
        let id = self.existing(s, want).ok_or_else(unknown)?;
        self.policy()
            .check_read(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        Ok(id)
    }

    /// A party named in a command, whose role must be one of `roles` (the party directory
    /// is public to every signed-in caller: existence is no secret).
    pub(crate) fn resolve_party(
        &self,
        field: &str,
        s: &str,
        roles: &[Role],
        what: &str,
    ) -> AppResult<(NodeId, &'w Party)> {
        let id = self
            .existing(s, NodeKind::Party)
            .ok_or_else(|| unknown_id(Some(field), NodeKind::Party.name(), s))?;
        let party = self.party(id)?;
        if !roles.contains(&party.role) {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            return Err(AppError::rule(
                field,
                format!(
                    "{s} ({}) is a {}; {what} must be a {}",
                    party.name,
                    party.role.as_str(),
                    allowed.join(" or ")
                ),
            ));
        }
        Ok((id, party))
    }

    pub(crate) fn party(&self, id: NodeId) -> AppResult<&'w Party> {
        match self.record(id)? {
            Record::Party(p) => Ok(p),
            _ => Err(AppError::Internal(format!("{id} is not a party"))),
        }
    }

    pub(crate) fn record(&self, id: NodeId) -> AppResult<&'w Record> {
        self.w
            .record(id)
            .map(|r| &**r)
            .ok_or_else(|| AppError::Internal(format!("record {id} is missing from the world")))
    }

    pub(crate) fn lot(&self, id: NodeId) -> AppResult<&'w Lot> {
        match self.record(id)? {
            Record::Lot(l) => Ok(l),
            _ => Err(AppError::Internal(format!("{id} is not a lot"))),
        }
    }

    pub(crate) fn listing(&self, id: NodeId) -> AppResult<&'w Listing> {
        match self.record(id)? {
            Record::Listing(l) => Ok(l),
            _ => Err(AppError::Internal(format!("{id} is not a listing"))),
        }
    }

    pub(crate) fn kind_of(&self, id: NodeId) -> NodeKind {
        self.w.meta(id).map(|m| m.kind).unwrap_or(NodeKind::Party)
    }

    pub(crate) fn case(&self, id: NodeId) -> AppResult<&'w crate::core::domain::Case> {
        match self.record(id)? {
            Record::Case(c) => Ok(c),
            _ => Err(AppError::Internal(format!("{id} is not a case"))),
        }
    }

    pub(crate) fn grant(&self, id: NodeId) -> AppResult<&'w crate::core::domain::Grant> {
        match self.record(id)? {
            Record::Grant(g) => Ok(g),
            _ => Err(AppError::Internal(format!("{id} is not a grant"))),
        }
    }

    /// Pending actions on a listing.
    pub(crate) fn pending_actions(&self, listing: NodeId) -> Vec<NodeId> {
        self.w
            .attached(listing)
            .iter()
            .copied()
            .filter(|&n| {
                self.w.meta(n).is_some_and(|m| {
                    m.kind == NodeKind::Action
                        && m.flag == crate::core::domain::ActionStatus::Pending as u8
                })
            })
            .collect()
    }

    /// Active listings downstream of the suppliers, each with the supplier it is reached
    /// from (the first, when several), sorted by id; optionally one platform's only.
    pub(crate) fn affected(
        &self,
        suppliers: &[NodeId],
        platform: Option<NodeId>,
    ) -> Vec<(NodeId, NodeId)> {
        let mut map: BTreeMap<NodeId, NodeId> = BTreeMap::new();
        for &s in suppliers {
            for l in self.w.downstream(s).listings {
                let Some(m) = self.w.meta(l) else {
                    continue;
                };
                if status_from_code(m.flag) != ListingStatus::Active
                    || platform.is_some_and(|p| p != m.a)
                {
                    continue;
                }
                map.entry(l).or_insert(s);
            }
        }
        map.into_iter().collect()
    }

    /// The batches downstream of the suppliers.
    pub(crate) fn affected_batches(&self, suppliers: &[NodeId]) -> BTreeSet<NodeId> {
        suppliers
            .iter()
            .flat_map(|&s| self.w.downstream(s).batches)
            .collect()
    }

    /// What a listing sold of the given batches: pieces, by province, by batch.
    pub(crate) fn exposure(
        &self,
        listing: NodeId,
        batches: &BTreeSet<NodeId>,
    ) -> crate::app::compliance::Exposure {
        let mut e = crate::app::compliance::Exposure::default();
        for (_, sale) in self.sales_of(listing) {
            for &(b, n) in &sale.batches {
                if !batches.contains(&b.raw()) {
                    continue;
                }
                e.pieces += u64::from(n);
                let key = sale
                    .province
                    .map_or_else(|| "unknown".to_string(), |p| p.code());
                *e.by_province.entry(key).or_default() += u64::from(n);
                *e.by_batch.entry(b.raw()).or_default() += n;
            }
        }
        e
    }

    /// A natural key the command would take must be free; else a conflict on `field`, its
    /// text from `taken` given the holder's public id (of kind `kind`).
    pub(crate) fn unclaimed(
        &self,
        key: &NaturalKey,
        field: &str,
        kind: NodeKind,
        taken: impl FnOnce(&str) -> String,
    ) -> AppResult<()> {
        match self.w.lookup(key) {
            Some(holder) => Err(AppError::conflict(
                field,
                taken(&self.ids.format(kind, holder)),
            )),
            None => Ok(()),
        }
    }

    pub(crate) fn party_name(&self, id: NodeId) -> &'w str {
        match self.w.record(id).map(|r| &**r) {
            Some(Record::Party(p)) => &p.name,
            _ => "",
        }
    }

    /// A GTIN with a batch or lot code must be unique: it is what a GS1 Digital Link names.
    pub(crate) fn check_gtin_lot(
        &self,
        caller: &Caller,
        gtin: &Option<Gtin>,
        code: &str,
        field: &str,
    ) -> AppResult<()> {
        let Some(g) = gtin else { return Ok(()) };
        let key = NaturalKey::GtinLot {
            gtin14: g.to_string(),
            code: code.to_string(),
        };
        match self.w.lookup(&key) {
            // GTIN and batch/lot code are printed on the goods: the clash itself is no
            // secret, but whose record holds them is, unless the caller may read it.
            Some(existing) => Err(AppError::conflict(
                field,
                match self.w.meta(existing) {
                    Some(m) if self.policy().can_read(caller, existing) => format!(
                        "GTIN {g} with batch/lot '{code}' is already recorded ({})",
                        self.ids.format(m.kind, existing)
                    ),
                    _ => format!("GTIN {g} with batch/lot '{code}' is already recorded"),
                },
            )),
            None => Ok(()),
        }
    }

    /// Validates inputs consumed by `consumer` for an output made at `made_at`: each lot
    /// exists, units match, no lot twice, each was made no later than the output, and the
    /// consumer holds enough of it (made it, or received it by shipment, minus what it
    /// already consumed or shipped on).
    pub(crate) fn check_inputs(
        &self,
        caller: &Caller,
        consumer: NodeId,
        made_at: i64,
        inputs: &[InputIn],
    ) -> AppResult<Vec<Input>> {
        if inputs.len() > MAX_INPUTS {
            return Err(AppError::rule(
                "inputs",
                format!(
                    "at most {MAX_INPUTS} inputs are allowed (got {})",
                    inputs.len()
                ),
            ));
        }
        let consumer_name = self.party_name(consumer);
        let mut out: Vec<Input> = Vec::with_capacity(inputs.len());
        for (i, inp) in inputs.iter().enumerate() {
            let field = format!("inputs[{i}]");
            let lot_id = self.resolve(caller, &format!("{field}.lot"), &inp.lot, NodeKind::Lot)?;
            if out.iter().any(|o| o.lot == Id::new(lot_id)) {
                return Err(AppError::rule(
                    format!("{field}.lot"),
                    format!(
                        "lot {} is listed twice; give it once with the total quantity",
                        inp.lot
                    ),
                ));
            }
            let lot = self.lot(lot_id)?;
            let q = App::quantity(&format!("{field}.quantity"), inp.quantity)?;
            if q.unit != lot.quantity.unit {
                return Err(AppError::rule(
                    format!("{field}.quantity.unit"),
                    format!(
                        "lot {} ({}) is counted in {}, not {}",
                        inp.lot,
                        lot.lot_code,
                        lot.quantity.unit.as_str(),
                        q.unit.as_str()
                    ),
                ));
            }
            if lot.produced_at > made_at {
                return Err(AppError::rule(
                    format!("{field}.lot"),
                    format!(
                        "lot {} ({}) was produced at {}, after this output ({})",
                        inp.lot,
                        lot.lot_code,
                        fmt_time(lot.produced_at),
                        fmt_time(made_at)
                    ),
                ));
            }
            let h = self.w.holding(lot_id, consumer);
            if h.produced.0 == 0 && h.received.0 == 0 {
                return Err(AppError::rule(
                    format!("{field}.lot"),
                    format!(
                        "lot {} ({}) was never shipped to {} ({}); a maker may only consume lots shipped to it or made by it",
                        inp.lot, lot.lot_code, self.ids.format(NodeKind::Party, consumer), consumer_name
                    ),
                ));
            }
            let available = h.available();
            if q.amount > available {
                let unit = lot.quantity.unit.as_str();
                return Err(AppError::rule(
                    format!("{field}.quantity.value"),
                    format!(
                        "{} ({}) holds {} {unit} of lot {} ({}): {} {unit} {} minus {} {unit} consumed and {} {unit} shipped on; {} {unit} requested",
                        self.ids.format(NodeKind::Party, consumer),
                        consumer_name,
                        available,
                        inp.lot,
                        lot.lot_code,
                        h.incoming(),
                        if h.produced.0 > 0 { "made" } else { "received" },
                        h.consumed,
                        h.shipped,
                        q.amount
                    ),
                ));
            }
            out.push(Input {
                lot: Id::new(lot_id),
                quantity: q,
            });
        }
        Ok(out)
    }
}
