//! The rules for writes (and for the reads of a party's own records): who acts for whom,
//! registers, issues keys, links, grants, works on a case, acknowledges an action.

use super::*;

impl Policy<'_> {
    /// The caller acts for `party` in a write: itself, or anyone for the operator.
    pub(crate) fn check_act_for(&self, caller: &Caller, party: NodeId, what: &str) -> Access {
        if caller.operator || caller.is(party) {
            Ok(())
        } else {
            forbid(format!("this caller may not {what} for another party"))
        }
    }

    /// The caller has one of `roles` (the operator has every role).
    pub(crate) fn check_role(&self, caller: &Caller, roles: &[Role], what: &str) -> Access {
        if caller.operator || caller.role.is_some_and(|r| roles.contains(&r)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            forbid(format!("only a {} may {what}", names.join(" or ")))
        }
    }

    /// Registering a party of `role`: the operator registers anyone; a regulator registers
    /// the suppliers and manufacturers it supervises.
    pub(crate) fn check_register(&self, caller: &Caller, role: Role) -> Access {
        if caller.operator || (caller.role == Some(Role::Regulator) && REGULATED.contains(&role)) {
            Ok(())
        } else if caller.role == Some(Role::Regulator) {
            forbid(format!(
                "only the operator registers a {}; a regulator registers suppliers, manufacturers and distributors",
                role.as_str()
            ))
        } else {
            forbid("only a regulator or the operator may register parties")
        }
    }

    /// Issuing a key for `party`: the operator for anyone; a regulator for suppliers and
    /// manufacturers only (never for a bureau, a lab or a platform).
    pub(crate) fn check_issue_key(&self, caller: &Caller, party: NodeId) -> Access {
        if caller.operator {
            return Ok(());
        }
        let role = self.party_role(party);
        if caller.role == Some(Role::Regulator) && role.is_some_and(|r| REGULATED.contains(&r)) {
            Ok(())
        } else if caller.role == Some(Role::Regulator) {
            forbid(format!(
                "only the operator issues keys for a {}",
                role.map(Role::as_str).unwrap_or("party")
            ))
        } else {
            forbid("only a regulator or the operator may issue keys")
        }
    }

    /// Listing or revoking the keys of `party`: the party itself, the operator, and a
    /// regulator for the parties it may issue keys for.
    pub(crate) fn check_manage_keys(&self, caller: &Caller, party: NodeId) -> Access {
        if caller.is(party) || self.check_issue_key(caller, party).is_ok() {
            Ok(())
        } else {
            forbid("this caller may not manage another party's keys")
        }
    }

    /// Revoking key `key` (owned by `owner`).
    pub(crate) fn check_revoke_key(&self, caller: &Caller, key: NodeId, owner: NodeId) -> Access {
        if !self.can_read(caller, key) {
            return Err(Denied::Hidden);
        }
        self.check_manage_keys(caller, owner)
    }

    /// Writing at all: a read-only key changes nothing.
    pub(crate) fn check_write(&self, caller: &Caller) -> Access {
        if caller.read_only {
            forbid("this key is read-only")
        } else {
            Ok(())
        }
    }

    /// May `caller` link `batch` to a listing of `platform` sold by `seller`? The holder of
    /// the goods says so: the seller links its own batch, or has granted that platform the
    /// right to. Anything else is hidden, exactly like a batch that does not exist.
    pub(crate) fn check_link(
        &self,
        caller: &Caller,
        platform: NodeId,
        seller: NodeId,
        batch: NodeId,
    ) -> Access {
        let Some(m) = self.w.meta(batch) else {
            return Err(Denied::Hidden);
        };
        // The seller made the batch, or received pieces of it.
        if m.kind != NodeKind::Batch || (m.a != seller && !self.received_goods(seller, batch)) {
            return Err(Denied::Hidden);
        }
        if caller.operator || caller.is(seller) {
            return Ok(());
        }
        if caller.is(platform) && self.active_grant(seller, platform).is_some() {
            return Ok(());
        }
        Err(Denied::Hidden)
    }

    /// The seller's active grant to `platform`, if any.
    pub(crate) fn active_grant(&self, seller: NodeId, platform: NodeId) -> Option<NodeId> {
        self.w.attached(seller).iter().copied().find(|&g| {
            self.w.meta(g).is_some_and(|m| {
                m.kind == NodeKind::Grant && m.a == seller && m.b == platform && m.flag == 0
            })
        })
    }

    /// Changing a listing (linking batches): its platform or its seller.
    pub(crate) fn check_listing_write(&self, caller: &Caller, listing: NodeId) -> Access {
        let Some(m) = self.w.meta(listing) else {
            return Err(Denied::Hidden);
        };
        if caller.operator || caller.is(m.a) || caller.is(m.b) {
            Ok(())
        } else {
            Err(self.refusal(
                caller,
                listing,
                "only the listing's platform or seller changes it",
            ))
        }
    }

    /// Granting a platform the right to link a seller's batches: the seller itself.
    pub(crate) fn check_grant(&self, caller: &Caller, seller: NodeId) -> Access {
        self.check_act_for(caller, seller, "grant link rights")?;
        match self.party_role(seller) {
            Some(Role::Manufacturer | Role::Distributor) => Ok(()),
            _ => forbid("only a seller (a manufacturer or distributor) grants link rights"),
        }
    }

    /// Revoking a grant: the seller that gave it.
    pub(crate) fn check_revoke_grant(&self, caller: &Caller, grant: NodeId) -> Access {
        let Some(m) = self.w.meta(grant) else {
            return Err(Denied::Hidden);
        };
        if caller.operator || caller.is(m.a) {
            Ok(())
        } else {
            Err(self.refusal(
                caller,
                grant,
                "only the seller that gave a grant revokes it",
            ))
        }
    }

    /// Acting on a case (transfer, note, status, invitation): the bureaus working on it (its
    /// holder, and for a joint case those that accepted). Accepting an invitation: the
    /// invited bureau. Every other regulator may read the case, not change it.
    pub(crate) fn check_case_member(
        &self,
        caller: &Caller,
        case: &crate::core::domain::Case,
        accepting: bool,
    ) -> Access {
        if caller.operator {
            return Ok(());
        }
        let me = caller.me();
        if caller.role != Some(Role::Regulator) {
            return Err(Denied::Hidden);
        }
        if case.bureaus.contains(&Id::new(me)) || (accepting && case.invited.contains(&Id::new(me)))
        {
            Ok(())
        } else if case.invited.contains(&Id::new(me)) {
            forbid("this bureau is invited to the case: accept by joining it first")
        } else {
            forbid("only the bureau holding the case, or one that accepted it as a joint case, changes it")
        }
    }

    /// A party's compliance status and history: regulators and the party itself.
    pub(crate) fn check_compliance_read(&self, caller: &Caller, party: NodeId) -> Access {
        self.check_own_read(
            caller,
            party,
            "only regulators and the party itself read its compliance history",
        )
    }

    /// Acknowledging an action: the platform it is addressed to.
    pub(crate) fn check_ack(&self, caller: &Caller, platform: NodeId) -> Access {
        if caller.operator || caller.is(platform) {
            Ok(())
        } else {
            forbid("only the platform an action is addressed to acknowledges it")
        }
    }

    /// Something only `party` itself (or the operator) does; anyone else is refused with
    /// `why`.
    pub(crate) fn check_is(&self, caller: &Caller, party: NodeId, why: &str) -> Access {
        if caller.operator || caller.is(party) {
            Ok(())
        } else {
            forbid(why)
        }
    }

    /// A party's own records (its stock, its goods, its compliance history): the party
    /// itself and regulators read them.
    pub(crate) fn check_own_read(&self, caller: &Caller, party: NodeId, why: &str) -> Access {
        if caller.sees_all() || caller.is(party) {
            Ok(())
        } else {
            forbid(why)
        }
    }

    /// A seller's file (its qualifications, its quality record): read, and qualifications
    /// entered, by the seller, the platforms it sells on and regulators. (A platform that
    /// only checked a seller records the licence it saw with its check.)
    pub(crate) fn check_seller_file(&self, caller: &Caller, party: NodeId, why: &str) -> Access {
        let platform = caller.role == Some(Role::Platform)
            && caller.party.is_some_and(|p| self.sells_on(party, p));
        if caller.sees_all() || caller.is(party) || platform {
            Ok(())
        } else {
            forbid(why)
        }
    }

    /// The party a caller acts as, for what only a party does (not the operator, who has
    /// none): a bureau's request, a platform's check or queue.
    pub(crate) fn acting_party(&self, caller: &Caller, why: &str) -> Result<NodeId, Denied> {
        caller.party.ok_or_else(|| Denied::Forbidden(why.into()))
    }
}
