//! Inspections: results judged by the limits table, suspect marks upstream, the marks and latest verdicts shown on traces.

use super::*;
use crate::core::domain::Id;

impl App {
    /// The lots and suppliers upstream of a subject: what a failed inspection marks.
    pub(crate) fn upstream_marks(&self, subject: NodeId) -> AppResult<Vec<NodeId>> {
        let reach = self.store.upstream(subject)?;
        let mut out = Vec::new();
        for n in reach.nodes {
            match self.store.meta(n) {
                Some(m) if m.kind == NodeKind::Lot => out.push(n),
                Some(m)
                    if m.kind == NodeKind::Party && self.party_role(n) == Some(Role::Supplier) =>
                {
                    out.push(n)
                }
                _ => {}
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    pub fn create_inspection(
        &self,
        caller: &Caller,
        req: NewInspection,
    ) -> AppResult<InspectionView> {
        // Who records first: nothing about the subject is looked at for anyone but a lab
        // (or the operator) acting for itself.
        let (lab, _) = self.resolve_party("lab", &req.lab, &[Role::Lab], "the lab")?;
        self.check_act_for(caller, lab, "record inspection results")?;
        let (sampled_by, _) = self.resolve_party(
            "sampled_by",
            &req.sampled_by,
            &[Role::Regulator, Role::Platform],
            "the sampler",
        )?;
        // A lab may name the subject of a sample handed to it, whoever owns it; anything
        // that is not a lot, batch, unit or listing is answered like an unknown id.
        let (_, subject) = match self.ids.parse(&req.subject) {
            Some((k, id))
                if matches!(
                    k,
                    NodeKind::Lot | NodeKind::Batch | NodeKind::Unit | NodeKind::Listing
                ) && self.store.meta(id).map(|m| m.kind) == Some(k) =>
            {
                (k, id)
            }
            _ => {
                return Err(crate::app::unknown_id(
                    Some("subject"),
                    "lot, batch, unit or listing",
                    &req.subject,
                ))
            }
        };
        let report_no = clean_text("report_no", &req.report_no, 100)
            .map_err(|e| AppError::rule("report_no", e))?;
        if req.results.is_empty() || req.results.len() > MAX_ITEMS {
            return Err(AppError::rule(
                "results",
                format!(
                    "an inspection has 1 to {MAX_ITEMS} results (got {})",
                    req.results.len()
                ),
            ));
        }
        // Units have no record of their own (they are derived from their batch): only a
        // lot is a panel judged against its declared class.
        let subject_class = match self.store.record_arc(subject).as_deref() {
            Some(Record::Lot(l)) => Subject::Panel(l.formaldehyde_class),
            _ => Subject::Furniture,
        };
        let mut results = Vec::with_capacity(req.results.len());
        for (i, r) in req.results.iter().enumerate() {
            let f = |x: &str| format!("results[{i}].{x}");
            let item = rules::normalize_item(&r.item);
            if item.is_empty() || item.chars().count() > 100 {
                return Err(AppError::rule(
                    f("item"),
                    "item must be 1 to 100 characters",
                ));
            }
            if !r.value.is_finite() || r.value < 0.0 {
                return Err(AppError::rule(
                    f("value"),
                    format!("value must be a finite number ≥ 0 (got {})", r.value),
                ));
            }
            let unit = rules::normalize_unit(&r.unit);
            if unit.is_empty() && rules::has_rule(&item) {
                return Err(AppError::rule(f("unit"), format!("{item} needs a unit")));
            }
            let judged = rules::judge(&item, &unit, subject_class, r.value)
                .map_err(|e| AppError::rule(f("unit"), e))?;
            let (verdict, limit, source) = match judged {
                Some((v, row)) => (v, Some(row.max), Some(row.source.to_string())),
                None => match r.verdict {
                    Some(v) => (v, None, None),
                    None => {
                        return Err(AppError::rule(
                            f("verdict"),
                            format!(
                                "no rule judges '{item}'; give the lab's verdict (pass or fail)"
                            ),
                        ))
                    }
                },
            };
            results.push(ItemResult {
                item,
                value: r.value,
                unit,
                method: r.method.clone(),
                lab_verdict: r.verdict,
                verdict,
                limit,
                limit_source: source,
            });
        }
        let verdict = if results.iter().any(|r| r.verdict == Verdict::Fail) {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        let marked = if verdict == Verdict::Fail {
            self.upstream_marks(subject)?
        } else {
            vec![]
        };
        let order = match &req.order {
            Some(o) => Some(self.check_order(o, req.sampled_at.timestamp_millis())?),
            None => None,
        };
        // A plan is the bureaus' business: a lab names one it was told of; anything else is
        // answered like an unknown id.
        let plan = match &req.plan {
            Some(p) => Some(
                self.existing(p, NodeKind::Plan)
                    .ok_or_else(|| crate::app::unknown_id(Some("plan"), "plan", p))?,
            ),
            None => None,
        };
        let view = self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            let sampled_at = Self::time("sampled_at", &req.sampled_at, now)?;
            let key = NaturalKey::Report {
                lab: Id::new(lab),
                report_no: report_no.clone(),
            };
            cx.unclaimed(&key, "report_no", NodeKind::Inspection, |held| {
                format!(
                    "{} already recorded report '{report_no}' as {held}",
                    req.lab
                )
            })?;
            let ins = Inspection {
                subject,
                lab: Id::new(lab),
                sampled_by: Id::new(sampled_by),
                report_no: report_no.clone(),
                sampled_at,
                results: results.clone(),
                verdict,
                marked: marked.clone(),
                created_at: now,
            };
            let mut view = cx.inspection_view(caller, id, &ins);
            let mut records = vec![(id, Record::Inspection(ins))];
            if let Some(o) = &order {
                let mut o = o.clone();
                o.inspection = Id::new(id);
                let mut v = cx.order_view(id + 1, &o);
                if !cx.policy().can_read(caller, o.listing.raw()) {
                    v.seller = None;
                }
                view.order = Some(v);
                records.push((id + 1, Record::Order(o)));
            }
            if let Some(p) = plan {
                let n = id + records.len() as NodeId;
                // Plans are the bureaus' business: to anyone else, a plan that does not fit
                // the sample is answered like one that does not exist.
                let s = cx.plan_sample(p, sampled_by, sampled_at, id).map_err(|e| {
                    match (&req.plan, cx.policy().can_read(caller, p)) {
                        (_, true) => e,
                        (Some(given), false) => crate::app::unknown_id(Some("plan"), "plan", given),
                        (None, false) => e,
                    }
                })?;
                view.plan = Some(cx.ids.id(s.plan));
                records.push((n, Record::PlanSample(s)));
            }
            let body = if records.len() == 1 {
                let (id, record) = records.remove(0);
                EventBody::Created { id, record }
            } else {
                EventBody::CreatedMany { records }
            };
            Ok((body, Some(lab), view))
        })?;
        Ok(view)
    }

    pub fn get_inspection(&self, caller: &Caller, id: &str) -> AppResult<InspectionView> {
        let n = self.visible(caller, id, NodeKind::Inspection)?;
        match self.load(n)? {
            Record::Inspection(i) => Ok(self.inspection_view(caller, n, &i)),
            _ => Err(AppError::Internal("not an inspection".into())),
        }
    }

    /// The mark and latest inspection of a node (see [`Ctx::marks_of`]).
    pub(crate) fn marks_of(
        &self,
        caller: Option<&Caller>,
        id: NodeId,
    ) -> (
        Option<&'static str>,
        Option<crate::app::views::LatestInspection>,
    ) {
        self.read_ctx(|cx| cx.marks_of(caller, id))
    }

    /// Inspections of a node, newest first.
    pub(crate) fn inspections_of(&self, id: NodeId) -> Vec<NodeId> {
        self.read_ctx(|cx| cx.inspections_of(id))
    }
}
