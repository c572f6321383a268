//! Access rules, in one place. Every `App` command and read asks here first, before any
//! rule about the content of a command is checked, so that a refusal never depends on (and
//! never tells) anything the caller may not read.
//!
//! - operator: everything (bootstrap, imports); registers regulators, labs and platforms
//!   and issues their keys.
//! - regulator: reads everything; registers suppliers, manufacturers and distributors and issues and
//!   revokes their keys; acts on a case only while it holds it or has accepted it as a
//!   joint case.
//! - supplier: registers and ships its own lots; reads its own lots and shipments.
//! - manufacturer: registers its own (intermediate) lots, shipments and batches; reads
//!   lots made by or shipped to it, its batches and units, and the listings that sell them;
//!   links its batches to listings, or grants a platform the right to do so.
//! - platform: creates listings on its own platform and links to them the batches of a
//!   seller that granted it that right; reads its listings and the batches and units they
//!   sell (authorised links only), and their upstream trace (to find the producer).
//! - distributor (a reseller or online shop): ships on and sells the finished goods it
//!   received by goods shipment; reads those batches and their units, the goods shipments
//!   it sent or received, its listings and their sales and upstream trace; links to its
//!   listings only batches it received (or grants a platform the right to).
//! - manufacturer, further: ships pieces of its batches to distributors.
//! - platform, further: reports the sales of its own listings; answers the assistance
//!   requests addressed to it and confirms or disputes the orders of samples bought on it.
//! - regulator, further: sends assistance requests to platforms and other bureaus, and
//!   answers those addressed to it.
//! - lab: records results for the samples handed to it; reads its own inspections.
//! - every signed-in party reads the party directory (names, roles, USCC and city are
//!   public business-licence data), and lists and revokes its own keys.
//!
//! Downstream, every party sees the same thing: its own records, and for what it shipped,
//! whom it shipped to, not what its customers made or sold.
//!
//! A caller that may not read an entity is told exactly what it would be told if the
//! entity did not exist ([`Denied::Hidden`]); one that may read it but not do what it asked
//! gets 403 ([`Denied::Forbidden`]).
//!
//! The rules are pure: a [`Policy`] answers from a [`World`] and a [`Caller`] alone, so a
//! command decides its access against exactly the state it decides the rest against.
//! `App` has one delegate per rule for its read paths (each takes the world for one
//! answer).

use super::{App, Caller};
use crate::core::domain::Id;
use crate::core::domain::{NodeId, NodeKind, Role};
use crate::core::graph::role_from_code;
use crate::core::World;
use crate::error::AppError;

mod writes;

/// How much of a downstream trace a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything downstream (regulators, the operator).
    Full,
    /// The caller's own records downstream, and whom it shipped to.
    Own(NodeId),
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Full => "full",
            Scope::Own(_) => "own",
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The caller may not know the entity exists: answer as for an unknown id.
    Hidden,
    /// The caller may know it, but may not do this.
    Forbidden(String),
}

impl Denied {
    /// The error to answer with; `unknown` builds the route's one "no such id" answer.
    pub fn into_error(self, unknown: impl FnOnce() -> AppError) -> AppError {
        match self {
            Denied::Hidden => unknown(),
            Denied::Forbidden(why) => AppError::Forbidden(why),
        }
    }
}

pub type Access = Result<(), Denied>;

impl Caller {
    pub(crate) fn sees_all(&self) -> bool {
        self.operator || self.role == Some(Role::Regulator)
    }

    /// A platform's reads of actions and impact are scoped to its own listings: the
    /// platform, for a platform's key (None for everyone else, who is scoped by role).
    pub(crate) fn platform_scope(&self) -> Option<NodeId> {
        if self.role == Some(Role::Platform) && !self.operator {
            self.party
        } else {
            None
        }
    }

    fn is(&self, party: NodeId) -> bool {
        self.party == Some(party)
    }

    fn me(&self) -> NodeId {
        self.party.unwrap_or(NodeId::MAX)
    }
}

fn forbid(what: impl Into<String>) -> Access {
    Err(Denied::Forbidden(what.into()))
}

/// Roles a regulator may register and issue keys for; the operator handles the others
/// (bureaus, labs and platforms), so no bureau can mint a key for another.
const REGULATED: [Role; 3] = [Role::Supplier, Role::Manufacturer, Role::Distributor];

/// The access rules over one state of the world.
#[derive(Clone, Copy)]
pub struct Policy<'w> {
    w: &'w World,
}

impl<'w> Policy<'w> {
    pub fn new(w: &'w World) -> Policy<'w> {
        Policy { w }
    }

    /// May the caller read this entity at all?
    pub(crate) fn can_read(&self, caller: &Caller, id: NodeId) -> bool {
        if caller.sees_all() {
            return self.w.meta(id).is_some();
        }
        let Some(me) = caller.party else {
            return false;
        };
        let Some(m) = self.w.meta(id) else {
            return false;
        };
        match m.kind {
            NodeKind::Party => true,
            NodeKind::Lot => {
                let h = self.w.holding(id, me);
                m.a == me || h.received.0 > 0 || h.produced.0 > 0
            }
            NodeKind::Shipment => {
                m.b == me
                    || matches!(self.w.record(id).map(|r| &**r), Some(crate::core::domain::Record::Shipment(s)) if s.from == Id::new(me))
            }
            NodeKind::Batch => m.a == me || self.received_goods(me, id) || self.sells_batch(me, id),
            NodeKind::Unit => self.can_read(caller, m.a),
            NodeKind::Listing => m.a == me || m.b == me,
            NodeKind::Key => m.a == me,
            NodeKind::Inspection => {
                m.b == me
                    || matches!(self.w.record(id).map(|r| &**r), Some(crate::core::domain::Record::Inspection(i)) if i.sampled_by == Id::new(me))
                    // The platform a sample was bought on, asked to confirm its order.
                    || self.w.attached(id).iter().any(|&o| {
                        self.w.meta(o).is_some_and(|x| x.kind == NodeKind::Order && x.a == id && x.b == me)
                    })
            }
            NodeKind::Declaration => m.a == me,
            NodeKind::Action => m.b == me,
            // Cases move between bureaus only.
            NodeKind::Case => false,
            // A complaint (its contact above all) goes to regulators only.
            NodeKind::Complaint => false,
            NodeKind::Grant => m.a == me || m.b == me,
            // Goods shipments: their sender and receiver.
            NodeKind::GoodsShipment => {
                m.b == me
                    || matches!(self.w.record(id).map(|r| &**r), Some(crate::core::domain::Record::GoodsShipment(g)) if g.from == Id::new(me))
            }
            // A sale: the listing's platform (which reported it) and seller.
            NodeKind::Sale => self.w.meta(m.a).is_some_and(|l| l.a == me || l.b == me),
            // A request: the bureau that sent it and its addressee.
            NodeKind::Request => m.a == me || m.b == me,
            // A sample's order: the platform asked to confirm it, and whoever reads the
            // inspection.
            NodeKind::Order => {
                m.b == me
                    || (self
                        .w
                        .meta(m.a)
                        .is_some_and(|i| i.kind == NodeKind::Inspection)
                        && self.can_read(caller, m.a))
            }
            // A qualification: its party, who entered it, the platforms the party sells on,
            // and the parties a trademark authorises.
            NodeKind::Qualification => {
                m.a == me
                    || self.sells_on(m.a, me)
                    || matches!(self.w.record(id).map(|r| &**r), Some(crate::core::domain::Record::Qualification(q))
                        if q.entered_by == Some(Id::new(me))
                            || matches!(&q.kind, crate::core::domain::QualificationKind::Trademark { authorised, .. } if authorised.contains(&Id::new(me))))
            }
            // A check: the seller checked and the platform that checked it.
            NodeKind::Check => m.a == me || m.b == me,
            // A listing's claims: whoever reads the listing.
            NodeKind::Claims => self.can_read(caller, m.a),
            // Sampling plans are the bureaus' business.
            NodeKind::Plan | NodeKind::PlanSample => false,
        }
    }

    /// Does `seller` have a listing on `platform`?
    pub(crate) fn sells_on(&self, seller: NodeId, platform: NodeId) -> bool {
        self.party_role(platform) == Some(Role::Platform)
            && self
                .w
                .listings_of(seller)
                .iter()
                .any(|&l| self.w.meta(l).is_some_and(|x| x.a == platform))
    }

    /// Did `party` receive pieces of `batch` by a goods shipment?
    pub(crate) fn received_goods(&self, party: NodeId, batch: NodeId) -> bool {
        self.w.goods(batch, party).received > 0
    }

    /// Does `platform` have a listing that sells `batch`? (Links are authorised by the
    /// batch's seller, so this is a right the seller gave.)
    pub(crate) fn sells_batch(&self, platform: NodeId, batch: NodeId) -> bool {
        self.party_role(platform) == Some(Role::Platform)
            && self.w.outputs(batch).iter().copied().any(|l| {
                self.w
                    .meta(l)
                    .is_some_and(|m| m.kind == NodeKind::Listing && m.a == platform)
            })
    }

    /// The refusal of something the caller may not do to `id`: 403 if it may read `id`,
    /// else the answer for an unknown id.
    fn refusal(&self, caller: &Caller, id: NodeId, why: impl Into<String>) -> Denied {
        if self.can_read(caller, id) {
            Denied::Forbidden(why.into())
        } else {
            Denied::Hidden
        }
    }

    /// Read access to a single entity.
    pub(crate) fn check_read(&self, caller: &Caller, id: NodeId) -> Access {
        if self.can_read(caller, id) {
            Ok(())
        } else {
            Err(Denied::Hidden)
        }
    }

    /// May the caller trace this node upstream (to the mills behind it)?
    pub(crate) fn check_upstream(&self, caller: &Caller, id: NodeId) -> Access {
        if caller.sees_all() {
            return Ok(());
        }
        let me = caller.me();
        let Some(m) = self.w.meta(id) else {
            return Err(Denied::Hidden);
        };
        let allowed = match (caller.role, m.kind) {
            (Some(Role::Manufacturer), NodeKind::Batch) => m.a == me,
            (Some(Role::Manufacturer), NodeKind::Unit) => self.w.meta(m.a).map(|b| b.a) == Some(me),
            (Some(Role::Manufacturer), NodeKind::Lot) => m.a == me,
            (Some(Role::Manufacturer), NodeKind::Listing) => m.b == me,
            (Some(Role::Distributor), NodeKind::Listing) => m.b == me,
            (Some(Role::Distributor), NodeKind::Batch) => self.received_goods(me, id),
            (Some(Role::Distributor), NodeKind::Unit) => self.received_goods(me, m.a),
            (Some(Role::Supplier), NodeKind::Lot) => m.a == me,
            (Some(Role::Platform), NodeKind::Listing) => m.a == me,
            (Some(Role::Platform), NodeKind::Batch) => self.sells_batch(me, id),
            (Some(Role::Platform), NodeKind::Unit) => self.sells_batch(me, m.a),
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(self.refusal(caller, id, "this caller may not read this upstream trace"))
        }
    }

    /// May the caller trace this node downstream, and how far? The same rule for every
    /// party: from itself or a record of its own, seeing its own records and whom it
    /// shipped to.
    pub(crate) fn check_downstream(&self, caller: &Caller, id: NodeId) -> Result<Scope, Denied> {
        if caller.sees_all() {
            return self.w.meta(id).map(|_| Scope::Full).ok_or(Denied::Hidden);
        }
        let me = caller.me();
        let Some(m) = self.w.meta(id) else {
            return Err(Denied::Hidden);
        };
        let own = match m.kind {
            NodeKind::Party => id == me,
            NodeKind::Lot => self.can_read(caller, id),
            NodeKind::Batch => m.a == me || self.received_goods(me, id),
            NodeKind::Listing => m.b == me || m.a == me,
            _ => false,
        };
        if own && caller.party.is_some() {
            Ok(Scope::Own(me))
        } else {
            Err(self.refusal(caller, id, "this caller may not read this downstream trace"))
        }
    }

    /// Is `id` part of what a party sees downstream: a record of its own, or one it holds?
    pub(crate) fn own_downstream(&self, me: NodeId, id: NodeId) -> bool {
        let Some(m) = self.w.meta(id) else {
            return false;
        };
        match m.kind {
            NodeKind::Lot => {
                let h = self.w.holding(id, me);
                m.a == me || h.received.0 > 0 || h.produced.0 > 0
            }
            NodeKind::Batch => m.a == me || self.received_goods(me, id),
            NodeKind::Listing => m.b == me || m.a == me,
            _ => false,
        }
    }

    /// May the caller read an event's bytes (a Merkle leaf of the public log)? Regulators
    /// and the operator read every event; anyone else only one whose every subject it may
    /// read (the hashes are public, the events are not).
    pub(crate) fn can_read_event(&self, caller: &Caller, ev: &crate::core::event::Event) -> bool {
        if caller.sees_all() {
            return true;
        }
        let ids: Vec<NodeId> = ev.body.subjects().into_iter().map(|(_, id)| id).collect();
        !ids.is_empty() && ids.iter().all(|&id| self.can_read(caller, id))
    }

    /// Whether the caller may see the service's counters (`/healthz` details).
    pub(crate) fn may_see_stats(&self, caller: Option<&Caller>) -> bool {
        caller.is_some_and(Caller::sees_all)
    }

    /// The role of a party id.
    pub fn party_role(&self, id: NodeId) -> Option<Role> {
        self.w
            .meta(id)
            .filter(|m| m.kind == NodeKind::Party)
            .map(|m| role_from_code(m.flag))
    }
}

/// `App` delegates: each rule answered over the world as it is now.
macro_rules! delegate {
    ($($(#[$doc:meta])* $vis:vis fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl App {
            $(
                $(#[$doc])*
                $vis fn $name(&self $(, $arg: $ty)*) -> $ret {
                    Policy::new(&self.store.world()).$name($($arg),*)
                }
            )*
        }
    };
}

delegate! {
    pub(crate) fn can_read(&self, caller: &Caller, id: NodeId) -> bool;
    pub(crate) fn check_read(&self, caller: &Caller, id: NodeId) -> Access;
    pub(crate) fn check_upstream(&self, caller: &Caller, id: NodeId) -> Access;
    pub(crate) fn check_downstream(&self, caller: &Caller, id: NodeId) -> Result<Scope, Denied>;
    pub(crate) fn own_downstream(&self, me: NodeId, id: NodeId) -> bool;
    pub(crate) fn check_role(&self, caller: &Caller, roles: &[Role], what: &str) -> Access;
    pub(crate) fn check_manage_keys(&self, caller: &Caller, party: NodeId) -> Access;
    pub(crate) fn check_compliance_read(&self, caller: &Caller, party: NodeId) -> Access;
    pub(crate) fn check_own_read(&self, caller: &Caller, party: NodeId, why: &str) -> Access;
    pub(crate) fn acting_party(&self, caller: &Caller, why: &str) -> Result<NodeId, Denied>;
    pub(crate) fn may_see_stats(&self, caller: Option<&Caller>) -> bool;
    pub(crate) fn can_read_event(&self, caller: &Caller, ev: &crate::core::event::Event) -> bool;
    /// The role of a party id.
    pub fn party_role(&self, id: NodeId) -> Option<Role>;
}

impl From<Denied> for AppError {
    /// For checks that cannot hide anything (role and act-for rules); routes that may hide a
    /// record map [`Denied::Hidden`] to their own unknown-id answer with [`Denied::into_error`].
    fn from(d: Denied) -> AppError {
        match d {
            Denied::Hidden => AppError::NotFound {
                field: None,
                detail: "no such record".into(),
            },
            Denied::Forbidden(why) => AppError::Forbidden(why),
        }
    }
}
