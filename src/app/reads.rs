//! Reads of single records (for whoever may read them), the party directory, and the events of a record.

use super::*;
use crate::core::domain::Id;

impl App {
    /// The party directory (public business-licence data, readable by every signed-in
    /// party), optionally one role only: the web app's pickers (bureaus to transfer a case
    /// to, makers to ship to, platforms to filter by).
    pub fn list_parties(&self, _caller: &Caller, role: Option<Role>) -> AppResult<Vec<PartyView>> {
        let mut out = Vec::new();
        for n in self.store.ids_of(NodeKind::Party) {
            let p = self.party(n)?;
            if role.is_none_or(|r| r == p.role) {
                out.push(PartyView::new(&self.ids, n, &p));
            }
        }
        Ok(out)
    }

    pub fn get_party(&self, caller: &Caller, id: &str) -> AppResult<PartyView> {
        let n = self.visible(caller, id, NodeKind::Party)?;
        Ok(PartyView::new(&self.ids, n, &self.party(n)?))
    }

    pub fn get_lot(&self, caller: &Caller, id: &str) -> AppResult<LotView> {
        let n = self.visible(caller, id, NodeKind::Lot)?;
        let mut lot = self.lot(n)?;
        // Whoever received an intermediate lot sees what it is, not the maker's inputs.
        if !caller.sees_all() && caller.party != Some(lot.producer.raw()) {
            lot.inputs.retain(|i| self.can_read(caller, i.lot.raw()));
        }
        Ok(self.with_qr_ref(LotView::new(&self.ids, n, &lot)))
    }

    pub fn get_shipment(&self, caller: &Caller, id: &str) -> AppResult<ShipmentView> {
        let n = self.visible(caller, id, NodeKind::Shipment)?;
        match self.load(n)? {
            Record::Shipment(s) => Ok(ShipmentView::new(&self.ids, n, &s)),
            _ => Err(AppError::Internal(format!("{n} is not a shipment"))),
        }
    }

    pub fn get_batch(&self, caller: &Caller, id: &str) -> AppResult<BatchView> {
        let n = self.visible(caller, id, NodeKind::Batch)?;
        Ok(self.with_qr_ref(BatchView::new(&self.ids, n, &self.batch(n)?)))
    }

    pub fn get_unit(&self, caller: &Caller, id: &str) -> AppResult<UnitView> {
        let n = self.visible(caller, id, NodeKind::Unit)?;
        let meta = self
            .store
            .meta(n)
            .ok_or_else(|| AppError::Internal("unit vanished".into()))?;
        Ok(self.with_qr_ref(UnitView::new(
            &self.ids,
            n,
            meta.a,
            meta.b,
            &self.batch(meta.a)?,
        )))
    }

    pub fn get_listing(&self, caller: &Caller, id: &str) -> AppResult<ListingView> {
        let n = self.visible(caller, id, NodeKind::Listing)?;
        Ok(self.with_qr_ref(ListingView::new(&self.ids, n, &self.listing(n)?)))
    }

    /// The event log (regulators), or with `subject` the events that created and changed
    /// one record, for whoever may read that record. Each event names only the records the
    /// caller may read (a bulk action names every platform's actions: a platform sees its
    /// own), and only the caller's own key ids.
    pub fn events(&self, caller: &Caller, q: &EventsQuery) -> AppResult<Vec<EventView>> {
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let evs = match &q.subject {
            Some(s) => {
                let (_, id) = self.resolve_any(s)?;
                self.check_read(caller, id)
                    .map_err(|d| d.into_error(|| unknown_id(None, "record", s)))?;
                // A unit was created with its batch.
                let record = match self.store.meta(id) {
                    Some(m) if m.kind == NodeKind::Unit => m.a,
                    _ => id,
                };
                let mut evs = self.store.subject_events(record)?;
                evs.truncate(limit);
                evs
            }
            None => {
                self.check_role(caller, &[Role::Regulator], "read the event log")?;
                self.store.events(q.after.unwrap_or(0), limit)?
            }
        };
        let all = caller.sees_all();
        Ok(evs
            .into_iter()
            .map(|e| {
                let named = e.body.subjects();
                let visible: Vec<String> = named
                    .iter()
                    .filter(|&&(_, id)| all || self.can_read(caller, id))
                    .map(|&(k, id)| self.ids.format(k, id))
                    .collect();
                let subject = if visible.len() > 3 {
                    format!("{},…", visible[..3].join(","))
                } else {
                    visible.join(",")
                };
                let own_key = e.actor.party.is_some() && e.actor.party == caller.party.map(Id::new);
                EventView {
                    seq: e.seq,
                    at: fmt_time(e.at),
                    kind: e.body.name(),
                    actor_party: e.actor.party.map(|p| self.ids.id(p)),
                    actor_key: (all || own_key).then_some(e.actor.key),
                    subject,
                }
            })
            .collect())
    }
}
