//! A seller's quality record (质量评价): the spot checks platforms sampled (inspections
//! sampled by a platform), the bureaus' inspections, complaints about its goods, actions on
//! its listings and its open flags, with a score whose formula the answer states.

use super::*;
use crate::core::domain::{ActionStatus, CaseStatus, Verdict};

pub const FORMULA: &str = "Counted over what the reader may see (a platform: the seller's listings on it and the goods they sell). score = max(0, round(100 × passed ÷ inspected) − 10 × complaints taken up − 10 × actions done − 5 × open flags); with no inspection the first term is 100. Inspected: spot checks (sampled by a platform) and bureau inspections of its listings, of batches it made or received, and samples whose confirmed order names it; complaints taken up: complaint cases about its goods a bureau is investigating or has closed.";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QualityRecord {
    pub party: PartyRef,
    pub spot_checks: u64,
    pub spot_checks_passed: u64,
    pub regulator_inspections: u64,
    pub regulator_inspections_passed: u64,
    /// Passed ÷ inspected, over both; none without inspections.
    pub pass_rate: Option<f64>,
    pub complaints: u64,
    pub complaints_taken_up: u64,
    pub actions: u64,
    pub actions_done: u64,
    pub open_flags: u64,
    pub score: u64,
    pub formula: &'static str,
}

impl<'w> Ctx<'w> {
    /// Is a subject (listing, batch, unit) the seller's goods?
    fn goods_of_seller(&self, subject: NodeId, seller: NodeId) -> bool {
        let Some(m) = self.w.meta(subject) else {
            return false;
        };
        let batch = match m.kind {
            NodeKind::Listing => return m.b == seller,
            NodeKind::Batch => subject,
            NodeKind::Unit => m.a,
            _ => return false,
        };
        self.w.meta(batch).is_some_and(|b| b.a == seller)
            || self.w.goods(batch, seller).received > 0
    }

    /// Is a subject goods the seller sells through a listing on `platform`?
    fn sold_on(&self, subject: NodeId, seller: NodeId, platform: NodeId) -> bool {
        let Some(m) = self.w.meta(subject) else {
            return false;
        };
        let batch = match m.kind {
            NodeKind::Listing => return m.b == seller && m.a == platform,
            NodeKind::Batch => subject,
            NodeKind::Unit => m.a,
            _ => return false,
        };
        self.w.listings_of(seller).iter().any(|&l| {
            matches!(self.w.record(l).map(|r| &**r), Some(Record::Listing(x))
                if x.platform.raw() == platform && x.batches.contains(&Id::new(batch)))
        })
    }

    /// A seller's quality record; `scope`: as one platform may see it (what concerns the
    /// seller's listings on that platform only), else all of it.
    pub(crate) fn quality(
        &self,
        seller: NodeId,
        today: i32,
        scope: Option<NodeId>,
    ) -> QualityRecord {
        let concerns = |subject: NodeId| match scope {
            None => self.goods_of_seller(subject, seller),
            Some(p) => self.sold_on(subject, seller, p),
        };
        let (mut spot, mut spot_ok, mut reg, mut reg_ok) = (0, 0, 0, 0);
        for &i in self.w.ids_of(NodeKind::Inspection) {
            let Some(Record::Inspection(ins)) = self.w.record(i).map(|r| &**r) else {
                continue;
            };
            let confirmed_seller = self.order_of(i).is_some_and(|(_, o)| {
                o.seller.raw() == seller
                    && scope.is_none_or(|p| p == o.platform.raw())
                    && o.confirmation.as_ref().is_some_and(|c| {
                        c.result == crate::core::domain::ConfirmationResult::Confirmed
                    })
            });
            if !(confirmed_seller || concerns(ins.subject)) {
                continue;
            }
            let ok = u64::from(ins.verdict == Verdict::Pass);
            if self.policy().party_role(ins.sampled_by.raw()) == Some(Role::Platform) {
                spot += 1;
                spot_ok += ok;
            } else {
                reg += 1;
                reg_ok += ok;
            }
        }
        let (mut complaints, mut taken_up) = (0, 0);
        for &c in self.w.ids_of(NodeKind::Complaint) {
            let Some(Record::Complaint(x)) = self.w.record(c).map(|r| &**r) else {
                continue;
            };
            if !concerns(x.subject) {
                continue;
            }
            complaints += 1;
            if let Some(Record::Case(case)) = self.w.record(x.case.raw()).map(|r| &**r) {
                taken_up += u64::from(case.status != CaseStatus::Open);
            }
        }
        let (mut actions, mut done) = (0, 0);
        for &l in self.w.listings_of(seller) {
            if scope.is_some_and(|p| self.w.meta(l).is_none_or(|m| m.a != p)) {
                continue;
            }
            for &a in self.w.attached(l) {
                if let Some(Record::Action(x)) = self.w.record(a).map(|r| &**r) {
                    actions += 1;
                    done += u64::from(x.status == ActionStatus::Done);
                }
            }
        }
        // Its own flags, as `GET /flags` shows them: per platform it has an active listing
        // on, and its active listings' claims.
        let mut open_flags = 0u64;
        let mut platforms: Vec<NodeId> = self
            .w
            .listings_of(seller)
            .iter()
            .filter_map(|&l| match self.w.record(l).map(|r| &**r) {
                Some(Record::Listing(x))
                    if x.status == crate::core::domain::ListingStatus::Active
                        && scope.is_none_or(|p| p == x.platform.raw()) =>
                {
                    Some(x.platform.raw())
                }
                _ => None,
            })
            .collect();
        platforms.sort_unstable();
        platforms.dedup();
        for pf in platforms {
            let st = self.seller_state(seller, pf, today);
            open_flags += [st.licence_expired, st.check_overdue, st.no_entry_check]
                .iter()
                .filter(|e| e.is_some())
                .count() as u64;
        }
        for &l in self.w.listings_of(seller) {
            if let Some(Record::Listing(x)) = self.w.record(l).map(|r| &**r) {
                if x.status == crate::core::domain::ListingStatus::Active
                    && scope.is_none_or(|p| p == x.platform.raw())
                {
                    open_flags += self.claim_flags(l, x, today).len() as u64;
                }
            }
        }
        let inspected = spot + reg;
        let pass_rate = (inspected > 0).then(|| (spot_ok + reg_ok) as f64 / inspected as f64);
        let base = pass_rate.map_or(100, |r| (r * 100.0).round() as i64);
        let score = (base - 10 * taken_up as i64 - 10 * done as i64 - 5 * open_flags as i64).max(0);
        QualityRecord {
            party: self.party_ref_of(seller),
            spot_checks: spot,
            spot_checks_passed: spot_ok,
            regulator_inspections: reg,
            regulator_inspections_passed: reg_ok,
            pass_rate,
            complaints,
            complaints_taken_up: taken_up,
            actions,
            actions_done: done,
            open_flags,
            score: score as u64,
            formula: FORMULA,
        }
    }
}

impl App {
    /// A seller's quality record: the seller, its platforms, regulators.
    pub fn quality(&self, caller: &Caller, party: &str) -> AppResult<QualityRecord> {
        let p = self.visible(caller, party, NodeKind::Party)?;
        let today = today(self.now());
        self.read_ctx(|cx| {
            cx.policy().check_seller_file(
                caller,
                p,
                "a seller's quality record is read by the seller, its platforms and regulators",
            )?;
            // A platform sees what concerns the seller's listings on it; the seller and the
            // regulators all of it.
            let scope = (!caller.sees_all() && caller.party != Some(p))
                .then_some(caller.party)
                .flatten();
            Ok(cx.quality(p, today, scope))
        })
    }
}
