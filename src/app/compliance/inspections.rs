//! Inspections: results judged by the limits table, suspect marks upstream, the marks and latest verdicts shown on traces.

use super::*;
use crate::app::command::{Command, Decision, Rejection};
use crate::app::compliance::orders::OrderChecked;
use crate::core::domain::Id;

impl App {
    pub fn create_inspection(
        &self,
        caller: &Caller,
        req: NewInspection,
    ) -> AppResult<InspectionView> {
        self.execute(caller, &CreateInspection::parse(req)?)
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

impl<'w> Ctx<'w> {
    /// The lots and suppliers upstream of a subject: what a failed inspection marks.
    fn upstream_marks(&self, subject: NodeId) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = (self.w.upstream(subject).nodes.into_iter())
            .filter(|&n| match self.w.meta(n).map(|m| m.kind) {
                Some(NodeKind::Lot) => true,
                Some(NodeKind::Party) => self.policy().party_role(n) == Some(Role::Supplier),
                _ => false,
            })
            .collect();
        out.sort_unstable();
        out
    }
}

/// One result as given, its item and unit normalized.
struct ResultChecked {
    item: String,
    unit: String,
}

/// Record a lab's inspection (with the online order the sample was bought with and the
/// plan it was sampled under, if any).
pub(super) struct CreateInspection {
    req: NewInspection,
    report_no: String,
    results: Vec<ResultChecked>,
    order: Option<OrderChecked>,
}

impl CreateInspection {
    pub(super) fn parse(req: NewInspection) -> AppResult<CreateInspection> {
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
            results.push(ResultChecked { item, unit });
        }
        let order = match &req.order {
            Some(o) => Some(o.check(req.sampled_at.timestamp_millis())?),
            None => None,
        };
        Ok(CreateInspection {
            req,
            report_no,
            results,
            order,
        })
    }

    /// Judges each result against the limits for `subject` (the lab's verdict where no rule
    /// judges the item).
    fn judge(&self, subject: Subject) -> AppResult<Vec<ItemResult>> {
        let mut out = Vec::with_capacity(self.results.len());
        for (i, (r, c)) in self.req.results.iter().zip(&self.results).enumerate() {
            let f = |x: &str| format!("results[{i}].{x}");
            let judged = rules::judge(&c.item, &c.unit, subject, r.value)
                .map_err(|e| AppError::rule(f("unit"), e))?;
            let (verdict, limit, source) = match judged {
                Some((v, row)) => (v, Some(row.max), Some(row.source.to_string())),
                None => match r.verdict {
                    Some(v) => (v, None, None),
                    None => {
                        return Err(AppError::rule(
                            f("verdict"),
                            format!(
                                "no rule judges '{}'; give the lab's verdict (pass or fail)",
                                c.item
                            ),
                        ))
                    }
                },
            };
            out.push(ItemResult {
                item: c.item.clone(),
                value: r.value,
                unit: c.unit.clone(),
                method: r.method.clone(),
                lab_verdict: r.verdict,
                verdict,
                limit,
                limit_source: source,
            });
        }
        Ok(out)
    }
}

impl Command for CreateInspection {
    type Answer = InspectionView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<InspectionView>, Rejection> {
        let req = &self.req;
        // Who records first: nothing about the subject is looked at for anyone but a lab
        // (or the operator) acting for itself.
        let (lab, _) = cx.resolve_party("lab", &req.lab, &[Role::Lab], "the lab")?;
        cx.policy()
            .check_act_for(caller, lab, "record inspection results")?;
        let (sampled_by, _) = cx.resolve_party(
            "sampled_by",
            &req.sampled_by,
            &[Role::Regulator, Role::Platform],
            "the sampler",
        )?;
        // A lab may name the subject of a sample handed to it, whoever owns it; anything
        // that is not a lot, batch, unit or listing is answered like an unknown id.
        let subject = match cx.ids.parse(&req.subject) {
            Some((k, id))
                if matches!(
                    k,
                    NodeKind::Lot | NodeKind::Batch | NodeKind::Unit | NodeKind::Listing
                ) && cx.w.meta(id).map(|m| m.kind) == Some(k) =>
            {
                id
            }
            _ => {
                return Err(crate::app::unknown_id(
                    Some("subject"),
                    "lot, batch, unit or listing",
                    &req.subject,
                ))
            }
        };
        // Units have no record of their own (they are derived from their batch): only a
        // lot is a panel judged against its declared class.
        let subject_class = match cx.w.record(subject).map(|r| &**r) {
            Some(Record::Lot(l)) => Subject::Panel(l.formaldehyde_class),
            _ => Subject::Furniture,
        };
        let results = self.judge(subject_class)?;
        let verdict = if results.iter().any(|r| r.verdict == Verdict::Fail) {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        let marked = if verdict == Verdict::Fail {
            cx.upstream_marks(subject)
        } else {
            vec![]
        };
        let order = match (&req.order, &self.order) {
            (Some(o), Some(checked)) => Some(cx.sample_order(o, checked)?),
            _ => None,
        };
        // A plan is the bureaus' business: a lab names one it was told of; anything else is
        // answered like an unknown id.
        let plan = match &req.plan {
            Some(p) => Some(
                cx.existing(p, NodeKind::Plan)
                    .ok_or_else(|| crate::app::unknown_id(Some("plan"), "plan", p))?,
            ),
            None => None,
        };
        let (id, now) = (cx.id, cx.now);
        let sampled_at = App::time("sampled_at", &req.sampled_at, now)?;
        let report_no = &self.report_no;
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
            results,
            verdict,
            marked,
            created_at: now,
        };
        let mut view = cx.inspection_view(caller, id, &ins);
        let mut records = vec![(id, Record::Inspection(ins))];
        if let Some(mut o) = order {
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
        Ok(Decision::record(body, Some(lab), view))
    }
}
