//! What the compliance commands and reads derive from the world, over a [`Ctx`]: a party's
//! compliance status and its view, an inspection as a caller may see it, a case after a
//! step. Pure: the same world gives the same answer.

use super::*;
use crate::app::Ctx;

impl<'w> Ctx<'w> {
    /// A party's effective compliance status: a non-compliant declaration stands; otherwise
    /// the newer of the latest declaration and the latest suspect mark decides.
    pub(crate) fn compliance_status(
        &self,
        party: NodeId,
    ) -> (ComplianceStatus, Vec<NodeId>, Vec<NodeId>) {
        let decls: Vec<NodeId> = self
            .w
            .attached(party)
            .iter()
            .copied()
            .filter(|&n| self.kind_of(n) == NodeKind::Declaration)
            .collect();
        let marks = self.w.marks(party).to_vec();
        let status = self.status_from(decls.iter().max().copied(), marks.iter().max().copied());
        (status, marks, decls)
    }

    /// A party's status alone (what a trace shows on its node), without collecting its
    /// declarations and marks.
    pub(crate) fn party_status(&self, party: NodeId) -> ComplianceStatus {
        let latest_decl = self
            .w
            .attached(party)
            .iter()
            .copied()
            .filter(|&n| self.kind_of(n) == NodeKind::Declaration)
            .max();
        self.status_from(latest_decl, self.w.marks(party).iter().copied().max())
    }

    /// The status given a party's latest declaration and latest suspect mark: a
    /// non-compliant declaration stands; a mark newer than the latest declaration makes
    /// the party suspect; otherwise the declaration says (compliant without one).
    fn status_from(
        &self,
        latest_decl: Option<NodeId>,
        latest_mark: Option<NodeId>,
    ) -> ComplianceStatus {
        let decl_status = latest_decl
            .and_then(|d| self.w.meta(d))
            .map(|m| match m.flag {
                0 => ComplianceStatus::Compliant,
                1 => ComplianceStatus::Suspect,
                _ => ComplianceStatus::Noncompliant,
            });
        match (decl_status, latest_decl, latest_mark) {
            (Some(ComplianceStatus::Noncompliant), _, _) => ComplianceStatus::Noncompliant,
            (_, d, Some(m)) if d.is_none_or(|d| m > d) => ComplianceStatus::Suspect,
            (Some(s), _, _) => s,
            _ => ComplianceStatus::Compliant,
        }
    }

    pub(crate) fn compliance_view(&self, party: NodeId) -> AppResult<ComplianceView> {
        self.compliance_view_of(party, self.compliance_status(party))
    }

    /// The view of a status already computed by [`Ctx::compliance_status`].
    pub(crate) fn compliance_view_of(
        &self,
        party: NodeId,
        (status, marks, decls): (ComplianceStatus, Vec<NodeId>, Vec<NodeId>),
    ) -> AppResult<ComplianceView> {
        let p = match self.record(party)? {
            Record::Party(p) => p,
            _ => return Err(AppError::Internal(format!("{party} is not a party"))),
        };
        let mut history = Vec::with_capacity(decls.len());
        for d in decls {
            if let Record::Declaration(x) = self.record(d)? {
                history.push(DeclarationView::new(self.ids, d, x));
            }
        }
        Ok(ComplianceView {
            party: self.ids.format(NodeKind::Party, party),
            name: p.name.clone(),
            city: p.city.clone(),
            status: status.as_str(),
            evidence: marks
                .iter()
                .map(|&m| self.ids.format(NodeKind::Inspection, m))
                .collect(),
            history,
        })
    }

    /// An inspection as `caller` may see it: the lots and suppliers it marked suspect are
    /// the subject's upstream, so a lab or a sampling platform sees only those it may read
    /// (its own inspection and verdict, not the supply chain behind the sample).
    pub(crate) fn inspection_view(
        &self,
        caller: &Caller,
        id: NodeId,
        ins: &Inspection,
    ) -> InspectionView {
        let mut view = InspectionView::new(self.ids, id, ins, |n| self.kind_of(n));
        if !caller.sees_all() {
            view.marked = ins
                .marked
                .iter()
                .filter(|&&m| {
                    self.kind_of(m) != NodeKind::Party && self.policy().can_read(caller, m)
                })
                .map(|&m| self.ids.format(self.kind_of(m), m))
                .collect();
        }
        self.with_order(caller, &mut view, id, ins);
        if caller.sees_all() {
            view.plan =
                self.w
                    .attached(id)
                    .iter()
                    .find_map(|&n| match self.w.record(n).map(|r| &**r) {
                        Some(Record::PlanSample(s)) if s.inspection.raw() == id => {
                            Some(self.ids.id(s.plan))
                        }
                        _ => None,
                    });
        }
        view
    }

    /// A case as an event's step leaves it (the answer to that step).
    pub(crate) fn case_after(&self, n: NodeId, mut c: Case, entry: &CaseEntry) -> CaseView {
        c.apply(entry.clone());
        CaseView::new(self, n, &c)
    }
}
