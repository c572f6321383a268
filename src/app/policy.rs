//! Access rules, in one place. Every `App` command and read asks here first.
//!
//! - operator: everything (bootstrap, imports).
//! - regulator: reads everything; registers parties and their keys.
//! - supplier: registers and ships its own lots; reads its own lots and shipments, and the
//!   downstream of its own lots only as far as the parties it shipped to.
//! - manufacturer: registers its own (intermediate) lots, shipments, batches; reads lots
//!   shipped to it and the up- and downstream of its own lots, batches and units, and the
//!   upstream of listings that sell its batches.
//! - platform: creates and links listings on its own platform; reads them, the batches
//!   and units they sell, and their upstream trace (to find the producer).
//! - lab: reads the party directory; inspection rights come with inspections.
//! - every signed-in party reads the party directory (names, roles, USCC and city are
//!   public business-licence data); relationships, lots and quantities are not public.
//!
//! A caller that may not even know an entity exists gets 404, not 403.

use super::{App, Caller};
use crate::domain::{format_id, NodeId, NodeKind, Role};
use crate::error::{AppError, AppResult};

/// How much of a downstream trace a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Lots, batches, units and listings.
    Full,
    /// Only the caller's lots and whom they were shipped to.
    Shipments,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Full => "full",
            Scope::Shipments => "shipments",
        }
    }
}

impl Caller {
    fn sees_all(&self) -> bool {
        self.operator || self.role == Some(Role::Regulator)
    }

    fn is(&self, party: NodeId) -> bool {
        self.party == Some(party)
    }
}

impl App {
    fn not_found(id: NodeId, kind: NodeKind) -> AppError {
        AppError::NotFound {
            field: None,
            detail: format!("no {} with id '{}'", kind.name(), format_id(kind, id)),
        }
    }

    /// May the caller read this entity at all?
    pub(crate) fn can_read(&self, caller: &Caller, id: NodeId) -> bool {
        if caller.sees_all() {
            return true;
        }
        let Some(me) = caller.party else {
            return false;
        };
        let Some(m) = self.store.meta(id) else {
            return false;
        };
        match m.kind {
            NodeKind::Party => true,
            NodeKind::Lot => {
                let h = self.store.holding(id, me);
                m.a == me || h.received.0 > 0 || h.produced.0 > 0
            }
            NodeKind::Shipment => {
                m.b == me
                    || matches!(self.store.record(id), Ok(Some(crate::domain::Record::Shipment(s))) if s.from == me)
            }
            NodeKind::Batch => m.a == me || self.sells_batch(me, id),
            NodeKind::Unit => self.can_read(caller, m.a),
            NodeKind::Listing => m.a == me || m.b == me,
            NodeKind::Key => m.a == me,
            NodeKind::Inspection => {
                m.b == me
                    || matches!(self.store.record(id), Ok(Some(crate::domain::Record::Inspection(i))) if i.sampled_by == me)
            }
            NodeKind::Declaration => m.a == me,
            NodeKind::Action => m.b == me,
            // Cases move between bureaus only.
            NodeKind::Case => false,
        }
    }

    /// Does `platform` have a listing that sells `batch`?
    fn sells_batch(&self, platform: NodeId, batch: NodeId) -> bool {
        self.party_role(platform) == Some(Role::Platform)
            && self.store.outputs(batch).into_iter().any(|l| {
                self.store
                    .meta(l)
                    .is_some_and(|m| m.kind == NodeKind::Listing && m.a == platform)
            })
    }

    /// Read access to a single entity: 404 when the caller may not read it.
    pub(crate) fn authorize_read(
        &self,
        caller: &Caller,
        id: NodeId,
        kind: NodeKind,
    ) -> AppResult<()> {
        if self.can_read(caller, id) {
            Ok(())
        } else {
            Err(Self::not_found(id, kind))
        }
    }

    /// Refuses an operation the caller may not do: 403 if it may read the target, else 404.
    fn deny(&self, caller: &Caller, id: NodeId, kind: NodeKind, what: &str) -> AppError {
        if self.can_read(caller, id) {
            AppError::Forbidden(format!("{} may not {what}", caller_name(caller)))
        } else {
            Self::not_found(id, kind)
        }
    }

    pub(crate) fn authorize_upstream(
        &self,
        caller: &Caller,
        id: NodeId,
        kind: NodeKind,
    ) -> AppResult<()> {
        if caller.sees_all() {
            return Ok(());
        }
        let me = caller.party.unwrap_or(NodeId::MAX);
        let m = self
            .store
            .meta(id)
            .ok_or_else(|| Self::not_found(id, kind))?;
        let allowed = match (caller.role, m.kind) {
            (Some(Role::Manufacturer), NodeKind::Batch) => m.a == me,
            (Some(Role::Manufacturer), NodeKind::Unit) => {
                self.store.meta(m.a).map(|b| b.a) == Some(me)
            }
            (Some(Role::Manufacturer), NodeKind::Lot) => m.a == me,
            (Some(Role::Manufacturer), NodeKind::Listing) => m.b == me,
            (Some(Role::Supplier), NodeKind::Lot) => m.a == me,
            (Some(Role::Platform), NodeKind::Listing) => m.a == me,
            (Some(Role::Platform), NodeKind::Batch) => self.sells_batch(me, id),
            (Some(Role::Platform), NodeKind::Unit) => self.sells_batch(me, m.a),
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(self.deny(caller, id, kind, "read this upstream trace"))
        }
    }

    pub(crate) fn authorize_downstream(
        &self,
        caller: &Caller,
        id: NodeId,
        kind: NodeKind,
    ) -> AppResult<Scope> {
        if caller.sees_all() {
            return Ok(Scope::Full);
        }
        let me = caller.party.unwrap_or(NodeId::MAX);
        let m = self
            .store
            .meta(id)
            .ok_or_else(|| Self::not_found(id, kind))?;
        let own = match m.kind {
            NodeKind::Party => id == me,
            NodeKind::Lot | NodeKind::Batch => m.a == me,
            _ => false,
        };
        match caller.role {
            Some(Role::Supplier) if own => Ok(Scope::Shipments),
            Some(Role::Manufacturer) if own => Ok(Scope::Full),
            _ => Err(self.deny(caller, id, kind, "read this downstream trace")),
        }
    }

    /// The caller acts for `party` in a write: itself, or anyone for the operator.
    pub(crate) fn authorize_act_for(
        &self,
        caller: &Caller,
        party: NodeId,
        what: &str,
    ) -> AppResult<()> {
        if caller.operator || caller.is(party) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{} may not {what} for {}",
                caller_name(caller),
                format_id(NodeKind::Party, party)
            )))
        }
    }

    /// Registering parties and managing any party's keys.
    pub(crate) fn authorize_admin(&self, caller: &Caller, what: &str) -> AppResult<()> {
        if caller.sees_all() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "only a regulator or the operator may {what}"
            )))
        }
    }

    /// Listing or revoking the keys of `party`: admins, or the party itself.
    pub(crate) fn authorize_keys(
        &self,
        caller: &Caller,
        party: NodeId,
        what: &str,
    ) -> AppResult<()> {
        if caller.sees_all() || caller.is(party) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{} may not {what}",
                caller_name(caller)
            )))
        }
    }

    /// Changing a listing (linking batches): its platform only.
    pub(crate) fn authorize_listing_write(
        &self,
        caller: &Caller,
        listing: NodeId,
    ) -> AppResult<()> {
        let m = self
            .store
            .meta(listing)
            .ok_or_else(|| Self::not_found(listing, NodeKind::Listing))?;
        if caller.operator || caller.is(m.a) {
            Ok(())
        } else {
            Err(self.deny(
                caller,
                listing,
                NodeKind::Listing,
                "change a listing of another platform",
            ))
        }
    }
}

fn caller_name(c: &Caller) -> String {
    match (c.party, c.role) {
        (Some(p), Some(r)) => format!("{} (a {})", format_id(NodeKind::Party, p), r.as_str()),
        _ if c.operator => "the operator".into(),
        _ => "this caller".into(),
    }
}
