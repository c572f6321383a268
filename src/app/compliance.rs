//! Compliance and enforcement: inspections judged by the limits table, suspect marks
//! propagated upstream, compliance declarations, the impact of a bad supplier on listings
//! (JSON and CSV), actions that platforms acknowledge, cases and clues between bureaus,
//! and the statistics the Shaji lab and the bureaus ask for.

use super::views::{fmt_time, ListingView};
use super::{now_ms, trunc, App, Caller, MAX_PAGE};
use crate::domain::{
    clean_text, Action, ActionKind, ActionStatus, Case, CaseEntry, CaseKind, CaseStatus, CaseStep,
    ComplianceStatus, Declaration, Inspection, ItemResult, ListingStatus, NaturalKey, NodeId,
    NodeKind, Record, Role, Verdict,
};
use crate::error::{AppError, AppResult};
use crate::event::EventBody;
use crate::graph::status_from_code;
use crate::ids::IdCodec;
use crate::rules::{self, Subject};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most result items per inspection, subjects per case.
const MAX_ITEMS: usize = 200;

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultIn {
    pub item: String,
    pub value: f64,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInspection {
    pub subject: String,
    pub lab: String,
    pub sampled_by: String,
    pub report_no: String,
    pub sampled_at: DateTime<FixedOffset>,
    pub results: Vec<ResultIn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeclaration {
    pub status: ComplianceStatus,
    pub reason: String,
    #[serde(default)]
    pub case: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SuppliersQuery {
    pub status: Option<ComplianceStatus>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AffectedQuery {
    pub supplier: Option<String>,
    pub platform: Option<String>,
    /// `csv` for a spreadsheet (also chosen by `Accept: text/csv`).
    pub format: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    pub listing: String,
    pub kind: ActionKind,
    pub reason: String,
    #[serde(default)]
    pub case: Option<String>,
    #[serde(default)]
    pub due_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkAction {
    pub supplier: String,
    pub kind: ActionKind,
    pub reason: String,
    #[serde(default)]
    pub case: Option<String>,
    #[serde(default)]
    pub due_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AckResult {
    Done,
    Rejected,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    pub result: AckResult,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionsQuery {
    pub platform: Option<String>,
    /// Only actions on this listing.
    pub listing: Option<String>,
    pub status: Option<ActionStatus>,
    /// Only pending actions past their due time.
    pub overdue: Option<bool>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub title: String,
    pub opened_by: String,
    #[serde(default)]
    pub subjects: Vec<String>,
    #[serde(default)]
    pub kind: Option<CaseKind>,
    /// Other bureaus of a joint case.
    #[serde(default)]
    pub bureaus: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub to: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseNote {
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub status: Option<CaseStatus>,
    /// A bureau joining the case (makes it joint).
    #[serde(default)]
    pub join: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    pub holder: Option<String>,
    pub status: Option<CaseStatus>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FailingQuery {
    pub material: Option<crate::domain::Material>,
    pub city: Option<String>,
    /// `YYYY-MM`, in China time.
    pub month: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    pub from: Option<DateTime<FixedOffset>>,
    pub to: Option<DateTime<FixedOffset>>,
}

// ---------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemView {
    pub item: String,
    pub value: f64,
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lab_verdict: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_source: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InspectionView {
    pub id: String,
    pub subject: String,
    pub lab: String,
    pub sampled_by: String,
    pub report_no: String,
    pub sampled_at: String,
    pub verdict: &'static str,
    pub results: Vec<ItemView>,
    /// The failed items with the limit applied and its source.
    pub failed: Vec<ItemView>,
    /// Lots and suppliers this inspection marked suspect.
    pub marked: Vec<String>,
    pub created_at: String,
}

impl InspectionView {
    pub fn new(
        ids: &IdCodec,
        id: NodeId,
        i: &Inspection,
        meta_kind: impl Fn(NodeId) -> NodeKind,
    ) -> InspectionView {
        let item = |r: &ItemResult| ItemView {
            item: r.item.clone(),
            value: r.value,
            unit: r.unit.clone(),
            method: r.method.clone(),
            verdict: r.verdict.as_str(),
            lab_verdict: r.lab_verdict.map(Verdict::as_str),
            limit: r.limit,
            limit_source: r.limit_source.clone(),
        };
        InspectionView {
            id: ids.format(NodeKind::Inspection, id),
            subject: ids.format(meta_kind(i.subject), i.subject),
            lab: ids.format(NodeKind::Party, i.lab),
            sampled_by: ids.format(NodeKind::Party, i.sampled_by),
            report_no: i.report_no.clone(),
            sampled_at: fmt_time(i.sampled_at),
            verdict: i.verdict.as_str(),
            results: i.results.iter().map(item).collect(),
            failed: i
                .results
                .iter()
                .filter(|r| r.verdict == Verdict::Fail)
                .map(item)
                .collect(),
            marked: i
                .marked
                .iter()
                .map(|&m| ids.format(meta_kind(m), m))
                .collect(),
            created_at: fmt_time(i.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeclarationView {
    pub id: String,
    pub party: String,
    pub status: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_by: Option<String>,
    pub created_at: String,
}

impl DeclarationView {
    fn new(ids: &IdCodec, id: NodeId, d: &Declaration) -> DeclarationView {
        DeclarationView {
            id: ids.format(NodeKind::Declaration, id),
            party: ids.format(NodeKind::Party, d.party),
            status: d.status.as_str(),
            reason: d.reason.clone(),
            case: d.case.map(|c| ids.format(NodeKind::Case, c)),
            declared_by: d.declared_by.map(|p| ids.format(NodeKind::Party, p)),
            created_at: fmt_time(d.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplianceView {
    pub party: String,
    pub name: String,
    pub city: String,
    pub status: &'static str,
    /// Failed inspections that marked this party suspect.
    pub evidence: Vec<String>,
    pub history: Vec<DeclarationView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionView {
    pub id: String,
    pub listing: String,
    pub platform: String,
    pub kind: &'static str,
    pub reason: String,
    pub status: &'static str,
    pub overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acked_at: Option<String>,
    pub created_at: String,
}

impl ActionView {
    pub fn new(ids: &IdCodec, id: NodeId, a: &Action, now: i64) -> ActionView {
        ActionView {
            id: ids.format(NodeKind::Action, id),
            listing: ids.format(NodeKind::Listing, a.listing),
            platform: ids.format(NodeKind::Party, a.platform),
            kind: a.kind.as_str(),
            reason: a.reason.clone(),
            status: a.status.as_str(),
            overdue: a.status == ActionStatus::Pending && a.due_at.is_some_and(|d| d < now),
            case: a.case.map(|c| ids.format(NodeKind::Case, c)),
            due_at: a.due_at.map(fmt_time),
            issued_by: a.issued_by.map(|p| ids.format(NodeKind::Party, p)),
            note: a.note.clone(),
            acked_at: a.acked_at.map(fmt_time),
            created_at: fmt_time(a.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntryView {
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub step: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseView {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub opened_by: String,
    pub holder: String,
    pub bureaus: Vec<String>,
    /// Bureaus invited to the joint case that have not accepted yet.
    pub invited: Vec<String>,
    pub subjects: Vec<String>,
    pub timeline: Vec<EntryView>,
    pub created_at: String,
}

impl CaseView {
    fn new(ids: &IdCodec, id: NodeId, c: &Case, kind_of: impl Fn(NodeId) -> NodeKind) -> CaseView {
        let p = |n: NodeId| ids.format(NodeKind::Party, n);
        CaseView {
            id: ids.format(NodeKind::Case, id),
            title: c.title.clone(),
            kind: c.kind.as_str(),
            status: c.status.as_str(),
            opened_by: p(c.opened_by),
            holder: p(c.holder),
            bureaus: c.bureaus.iter().map(|&b| p(b)).collect(),
            invited: c.invited.iter().map(|&b| p(b)).collect(),
            subjects: c
                .subjects
                .iter()
                .map(|&s| ids.format(kind_of(s), s))
                .collect(),
            timeline: c
                .timeline
                .iter()
                .map(|e| {
                    let (step, from, to, status) = match &e.step {
                        CaseStep::Opened => ("opened", None, None, None),
                        CaseStep::Transferred { from, to } => {
                            ("transferred", Some(p(*from)), Some(p(*to)), None)
                        }
                        CaseStep::Invited { bureau } => ("invited", None, Some(p(*bureau)), None),
                        CaseStep::Joined { bureau } => ("joined", None, Some(p(*bureau)), None),
                        CaseStep::Noted => ("note", None, None, None),
                        CaseStep::Status(s) => ("status", None, None, Some(s.as_str())),
                    };
                    EntryView {
                        at: fmt_time(e.at),
                        by: e.by.map(p),
                        step,
                        from,
                        to,
                        status,
                        note: e.note.clone(),
                    }
                })
                .collect(),
            created_at: fmt_time(c.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SellerGroup {
    pub seller: String,
    pub name: String,
    pub listings: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlatformGroup {
    pub platform: String,
    pub name: String,
    pub listings: u64,
    pub sellers: Vec<SellerGroup>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AffectedView {
    pub suppliers: Vec<String>,
    pub total: u64,
    pub by_platform: Vec<PlatformGroup>,
    pub items: Vec<ListingView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BulkResult {
    pub created: u64,
    pub skipped_pending: u64,
    pub by_platform: BTreeMap<String, u64>,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemStat {
    pub item: String,
    pub tested: u64,
    pub failed: u64,
    pub failure_rate: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailingItems {
    pub inspections: u64,
    pub failed_inspections: u64,
    pub items: Vec<ItemStat>,
    /// Failures per month (`YYYY-MM`, China time) and item.
    pub by_month: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PairStat {
    pub from: String,
    pub to: String,
    pub transfers: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JointStat {
    pub bureaus: Vec<String>,
    pub cases: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cooperation {
    pub transfers_total: u64,
    pub joint_cases_total: u64,
    pub transfers: Vec<PairStat>,
    pub joint_cases: Vec<JointStat>,
}

/// One row of the affected-listings spreadsheet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AffectedRow {
    pub platform: String,
    pub shop: String,
    pub item_id: String,
    pub url: String,
    pub seller: String,
    pub batches: String,
    pub lots: String,
    pub supplier: String,
    pub status: &'static str,
}

// ---------------------------------------------------------------------------------------
// Commands and reads
// ---------------------------------------------------------------------------------------

/// The failed items of an inspection as text: `formaldehyde_emission 2.2 mg/L > 1.5 (GB 18584-2001)`.
pub(crate) fn failed_items(ins: &Inspection) -> Vec<String> {
    ins.results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .map(|r| match (r.limit, &r.limit_source) {
            (Some(l), Some(src)) => format!("{} {} {} > {l} ({src})", r.item, r.value, r.unit),
            _ => format!("{} {} {}", r.item, r.value, r.unit)
                .trim()
                .to_string(),
        })
        .collect()
}

fn china() -> FixedOffset {
    use chrono::Offset;
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Utc.fix())
}

fn month_of(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&china()).format("%Y-%m").to_string())
        .unwrap_or_default()
}

impl App {
    fn kind_of(&self, id: NodeId) -> NodeKind {
        self.store
            .meta(id)
            .map(|m| m.kind)
            .unwrap_or(NodeKind::Party)
    }

    /// Resolves an optional case id given in a body.
    fn opt_case(
        &self,
        caller: &Caller,
        field: &str,
        case: &Option<String>,
    ) -> AppResult<Option<NodeId>> {
        match case {
            Some(c) => Ok(Some(self.resolve(caller, field, c, NodeKind::Case)?)),
            None => Ok(None),
        }
    }

    /// The lots and suppliers upstream of a subject: what a failed inspection marks.
    fn upstream_marks(&self, subject: NodeId) -> AppResult<Vec<NodeId>> {
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
                return Err(super::unknown_id(
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
        let view = self.write(caller, |id, now| {
            let sampled_at = Self::time("sampled_at", &req.sampled_at, now)?;
            if let Some(existing) = self.store.lookup(&NaturalKey::Report {
                lab,
                report_no: report_no.clone(),
            })? {
                return Err(AppError::conflict(
                    "report_no",
                    format!(
                        "{} already recorded report '{report_no}' as {}",
                        req.lab,
                        self.ids.format(NodeKind::Inspection, existing)
                    ),
                ));
            }
            let ins = Inspection {
                subject,
                lab,
                sampled_by,
                report_no,
                sampled_at,
                results,
                verdict,
                marked,
                created_at: now,
            };
            let view = self.inspection_view(caller, id, &ins);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Inspection(ins),
                },
                Some(lab),
                view,
            ))
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

    /// An inspection as `caller` may see it: the lots and suppliers it marked suspect are
    /// the subject's upstream, so a lab or a sampling platform sees only those it may read
    /// (its own inspection and verdict, not the supply chain behind the sample).
    fn inspection_view(&self, caller: &Caller, id: NodeId, ins: &Inspection) -> InspectionView {
        let mut view = InspectionView::new(&self.ids, id, ins, |n| self.kind_of(n));
        if !caller.sees_all() {
            view.marked = ins
                .marked
                .iter()
                .filter(|&&m| self.kind_of(m) != NodeKind::Party && self.can_read(caller, m))
                .map(|&m| self.ids.format(self.kind_of(m), m))
                .collect();
        }
        view
    }

    /// Adds the compliance mark and the latest inspection to a trace node.
    pub(crate) fn annotate(&self, caller: &Caller, node: &mut super::views::TraceNode, id: NodeId) {
        let (mark, inspection) = self.marks_of(Some(caller), id);
        node.mark = mark;
        node.inspection = inspection;
    }

    /// The mark of a node (`failed`: its latest inspection failed; `suspect`: upstream of a
    /// failed product; `noncompliant`: a party declared so) and its latest inspection.
    pub(crate) fn marks_of(
        &self,
        caller: Option<&Caller>,
        id: NodeId,
    ) -> (Option<&'static str>, Option<super::views::LatestInspection>) {
        if self.kind_of(id) == NodeKind::Party {
            let mark = match self.compliance_status(id).0 {
                ComplianceStatus::Noncompliant => Some("noncompliant"),
                ComplianceStatus::Suspect => Some("suspect"),
                ComplianceStatus::Compliant => None,
            };
            return (mark, None);
        }
        let latest = self
            .inspections_of(id)
            .first()
            .and_then(|&i| match self.store.record(i) {
                Ok(Some(Record::Inspection(ins))) => Some((i, ins)),
                _ => None,
            });
        let mut mark = None;
        let inspection = latest.map(|(i, ins)| {
            if ins.verdict == Verdict::Fail {
                mark = Some("failed");
            }
            super::views::LatestInspection {
                id: caller
                    .filter(|c| self.can_read(c, i))
                    .map(|_| self.ids.format(NodeKind::Inspection, i)),
                verdict: ins.verdict.as_str(),
                report_no: ins.report_no.clone(),
                sampled_at: fmt_time(ins.sampled_at),
                failed: failed_items(&ins),
            }
        });
        if mark.is_none() && !self.store.marks(id).is_empty() {
            mark = Some("suspect");
        }
        (mark, inspection)
    }

    /// Inspections of a node, newest first.
    pub(crate) fn inspections_of(&self, id: NodeId) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = self
            .store
            .attached(id)
            .into_iter()
            .filter(|&n| self.kind_of(n) == NodeKind::Inspection)
            .collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    }

    /// A party's effective compliance status: a non-compliant declaration stands; otherwise
    /// the newer of the latest declaration and the latest suspect mark decides.
    pub(crate) fn compliance_status(
        &self,
        party: NodeId,
    ) -> (ComplianceStatus, Vec<NodeId>, Vec<NodeId>) {
        let decls: Vec<NodeId> = self
            .store
            .attached(party)
            .into_iter()
            .filter(|&n| self.kind_of(n) == NodeKind::Declaration)
            .collect();
        let marks = self.store.marks(party);
        let latest_decl = decls.iter().max().copied();
        let latest_mark = marks.iter().max().copied();
        let decl_status = latest_decl
            .and_then(|d| self.store.meta(d))
            .map(|m| match m.flag {
                0 => ComplianceStatus::Compliant,
                1 => ComplianceStatus::Suspect,
                _ => ComplianceStatus::Noncompliant,
            });
        let status = match (decl_status, latest_decl, latest_mark) {
            (Some(ComplianceStatus::Noncompliant), _, _) => ComplianceStatus::Noncompliant,
            (_, d, Some(m)) if d.is_none_or(|d| m > d) => ComplianceStatus::Suspect,
            (Some(s), _, _) => s,
            _ => ComplianceStatus::Compliant,
        };
        (status, marks, decls)
    }

    fn compliance_view(&self, party: NodeId) -> AppResult<ComplianceView> {
        self.compliance_view_of(party, self.compliance_status(party))
    }

    /// The view of a status already computed by [`App::compliance_status`].
    fn compliance_view_of(
        &self,
        party: NodeId,
        (status, marks, decls): (ComplianceStatus, Vec<NodeId>, Vec<NodeId>),
    ) -> AppResult<ComplianceView> {
        let p = self.party(party)?;
        let mut history = Vec::with_capacity(decls.len());
        for d in decls {
            if let Record::Declaration(x) = self.load(d)? {
                history.push(DeclarationView::new(&self.ids, d, &x));
            }
        }
        Ok(ComplianceView {
            party: self.ids.format(NodeKind::Party, party),
            name: p.name,
            city: p.city,
            status: status.as_str(),
            evidence: marks
                .iter()
                .map(|&m| self.ids.format(NodeKind::Inspection, m))
                .collect(),
            history,
        })
    }

    pub fn declare_compliance(
        &self,
        caller: &Caller,
        party_id: &str,
        req: NewDeclaration,
    ) -> AppResult<ComplianceView> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.check_role(caller, &[Role::Regulator], "declare compliance status")?;
        let reason =
            clean_text("reason", &req.reason, 2000).map_err(|e| AppError::rule("reason", e))?;
        let case = self.opt_case(caller, "case", &req.case)?;
        self.write(caller, |id, now| {
            let d = Declaration {
                party,
                status: req.status,
                reason,
                case,
                declared_by: caller.party,
                created_at: now,
            };
            // The answer is the record as this declaration leaves it: the newest declaration
            // decides the status (no inspection is newer).
            let mut view = self.compliance_view(party)?;
            view.status = d.status.as_str();
            view.history.push(DeclarationView::new(&self.ids, id, &d));
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Declaration(d),
                },
                caller.party,
                view,
            ))
        })
    }

    pub fn get_compliance(&self, caller: &Caller, party_id: &str) -> AppResult<ComplianceView> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.check_compliance_read(caller, party)?;
        let mut view = self.compliance_view(party)?;
        if !caller.sees_all() {
            // The party sees its status and the declarations about it, not the inspection
            // or case records behind them (other parties' and the bureaus').
            let (_, marks, _) = self.compliance_status(party);
            view.evidence = marks
                .iter()
                .filter(|&&m| self.can_read(caller, m))
                .map(|&m| self.ids.format(NodeKind::Inspection, m))
                .collect();
            for d in &mut view.history {
                d.case = None;
            }
        }
        Ok(view)
    }

    pub fn suppliers_by_status(
        &self,
        caller: &Caller,
        q: &SuppliersQuery,
    ) -> AppResult<Vec<ComplianceView>> {
        self.check_role(
            caller,
            &[Role::Regulator],
            "list suppliers by compliance status",
        )?;
        let mut out = Vec::new();
        for p in self.store.ids_of(NodeKind::Party) {
            if self.party_role(p) != Some(Role::Supplier) {
                continue;
            }
            let status = self.compliance_status(p);
            if q.status.is_none_or(|s| s == status.0) {
                out.push(self.compliance_view_of(p, status)?);
            }
        }
        Ok(out)
    }

    /// Suppliers an impact query covers: the one named, or every non-compliant one.
    fn impact_suppliers(&self, supplier: &Option<String>) -> AppResult<Vec<NodeId>> {
        match supplier {
            Some(s) => Ok(vec![
                self.resolve_party("supplier", s, &[Role::Supplier], "the supplier")?
                    .0,
            ]),
            None => Ok(self
                .store
                .ids_of(NodeKind::Party)
                .into_iter()
                .filter(|&p| {
                    self.party_role(p) == Some(Role::Supplier)
                        && self.compliance_status(p).0 == ComplianceStatus::Noncompliant
                })
                .collect()),
        }
    }

    /// Active listings downstream of the suppliers, each with the supplier it is reached
    /// from (the first, when several), sorted by id; optionally one platform's only.
    fn affected(
        &self,
        suppliers: &[NodeId],
        platform: Option<NodeId>,
    ) -> AppResult<Vec<(NodeId, NodeId)>> {
        let mut map: BTreeMap<NodeId, NodeId> = BTreeMap::new();
        for &s in suppliers {
            for l in self.store.downstream(s)?.listings {
                let Some(m) = self.store.meta(l) else {
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
        Ok(map.into_iter().collect())
    }

    fn impact_scope(
        &self,
        caller: &Caller,
        platform: &Option<String>,
    ) -> AppResult<Option<NodeId>> {
        // A platform sees its own listings only; regulators may filter by platform.
        if caller.role == Some(Role::Platform) && !caller.operator {
            return Ok(caller.party);
        }
        self.check_role(caller, &[Role::Regulator], "query the impact of a supplier")?;
        match platform {
            Some(p) => Ok(Some(
                self.resolve_party("platform", p, &[Role::Platform], "the platform")?
                    .0,
            )),
            None => Ok(None),
        }
    }

    pub fn affected_listings(&self, caller: &Caller, q: &AffectedQuery) -> AppResult<AffectedView> {
        let platform = self.impact_scope(caller, &q.platform)?;
        let suppliers = self.impact_suppliers(&q.supplier)?;
        let rows = self.affected(&suppliers, platform)?;
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let mut per: BTreeMap<NodeId, BTreeMap<NodeId, u64>> = BTreeMap::new();
        for &(l, _) in &rows {
            if let Some(m) = self.store.meta(l) {
                *per.entry(m.a).or_default().entry(m.b).or_default() += 1;
            }
        }
        let by_platform = per
            .into_iter()
            .map(|(p, sellers)| PlatformGroup {
                platform: self.ids.format(NodeKind::Party, p),
                name: self.party_name(p),
                listings: sellers.values().sum(),
                sellers: sellers
                    .into_iter()
                    .map(|(s, n)| SellerGroup {
                        seller: self.ids.format(NodeKind::Party, s),
                        name: self.party_name(s),
                        listings: n,
                    })
                    .collect(),
            })
            .collect();
        let start = match &q.cursor {
            None => 0,
            Some(c) => match self.ids.parse(c) {
                // An item of this answer only (see `downstream`).
                Some((NodeKind::Listing, n))
                    if rows.binary_search_by_key(&n, |&(l, _)| l).is_ok() =>
                {
                    rows.partition_point(|&(l, _)| l <= n)
                }
                _ => {
                    return Err(AppError::bad(
                        "cursor",
                        "cursor must be a listing id from the previous page",
                    ))
                }
            },
        };
        let page = &rows[start.min(rows.len())..(start + limit).min(rows.len())];
        let mut items = Vec::with_capacity(page.len());
        for &(l, _) in page {
            items.push(ListingView::new(&self.ids, l, &self.listing(l)?));
        }
        // A platform is told only of the suppliers behind its own affected listings.
        let named: Vec<NodeId> = if caller.sees_all() {
            suppliers.clone()
        } else {
            let behind: std::collections::BTreeSet<NodeId> = rows.iter().map(|&(_, s)| s).collect();
            suppliers
                .iter()
                .copied()
                .filter(|s| behind.contains(s))
                .collect()
        };
        Ok(AffectedView {
            suppliers: named
                .iter()
                .map(|&s| self.ids.format(NodeKind::Party, s))
                .collect(),
            total: rows.len() as u64,
            by_platform,
            next_cursor: if start + limit < rows.len() {
                page.last()
                    .map(|&(l, _)| self.ids.format(NodeKind::Listing, l))
            } else {
                None
            },
            items,
        })
    }

    /// The affected listings as spreadsheet rows, sorted by platform, seller, item id.
    pub fn affected_rows(&self, caller: &Caller, q: &AffectedQuery) -> AppResult<Vec<AffectedRow>> {
        let platform = self.impact_scope(caller, &q.platform)?;
        let suppliers = self.impact_suppliers(&q.supplier)?;
        let mut out = Vec::new();
        for (l, s) in self.affected(&suppliers, platform)? {
            let listing = self.listing(l)?;
            let lots: Vec<String> = self
                .store
                .upstream(l)?
                .nodes
                .into_iter()
                .filter(|&n| {
                    self.store
                        .meta(n)
                        .is_some_and(|m| m.kind == NodeKind::Lot && suppliers.contains(&m.a))
                })
                .filter_map(|n| match self.store.record(n) {
                    Ok(Some(Record::Lot(lot))) => Some(lot.lot_code),
                    _ => None,
                })
                .collect();
            let batches: Vec<String> = listing
                .batches
                .iter()
                .filter_map(|&b| match self.store.record(b) {
                    Ok(Some(Record::Batch(x))) => Some(x.batch_code),
                    _ => None,
                })
                .collect();
            out.push(AffectedRow {
                platform: self.party_name(listing.platform),
                shop: listing.shop,
                item_id: listing.item_id,
                url: listing.url,
                seller: self.party_name(listing.seller),
                batches: batches.join("; "),
                lots: lots.join("; "),
                supplier: self.party_name(s),
                status: listing.status.as_str(),
            });
        }
        out.sort_by(|a, b| {
            (&a.platform, &a.seller, &a.item_id).cmp(&(&b.platform, &b.seller, &b.item_id))
        });
        Ok(out)
    }

    /// Pending actions on a listing.
    fn pending_actions(&self, listing: NodeId) -> Vec<NodeId> {
        self.store
            .attached(listing)
            .into_iter()
            .filter(|&n| {
                self.store.meta(n).is_some_and(|m| {
                    m.kind == NodeKind::Action && m.flag == ActionStatus::Pending as u8
                })
            })
            .collect()
    }

    fn due(field: &str, t: &Option<DateTime<FixedOffset>>, now: i64) -> AppResult<Option<i64>> {
        match t {
            None => Ok(None),
            Some(t) if t.timestamp_millis() < now - 24 * 3600 * 1000 => {
                Err(AppError::rule(field, format!("{field} {t} is in the past")))
            }
            Some(t) => Ok(Some(t.timestamp_millis())),
        }
    }

    pub fn create_action(&self, caller: &Caller, req: NewAction) -> AppResult<ActionView> {
        self.check_role(caller, &[Role::Regulator], "issue actions")?;
        let listing = self.resolve(caller, "listing", &req.listing, NodeKind::Listing)?;
        let reason =
            clean_text("reason", &req.reason, 2000).map_err(|e| AppError::rule("reason", e))?;
        let case = self.opt_case(caller, "case", &req.case)?;
        self.write(caller, |id, now| {
            let due_at = Self::due("due_at", &req.due_at, now)?;
            let m = self
                .store
                .meta(listing)
                .ok_or_else(|| AppError::Internal("listing vanished".into()))?;
            let status = status_from_code(m.flag);
            if status != ListingStatus::Active {
                return Err(AppError::rule(
                    "listing",
                    format!(
                        "listing {} is already {}; an action needs an active listing",
                        req.listing,
                        status.as_str()
                    ),
                ));
            }
            if let Some(p) = self.pending_actions(listing).first() {
                return Err(AppError::conflict(
                    "listing",
                    format!(
                        "listing {} already has a pending action {}",
                        req.listing,
                        self.ids.format(NodeKind::Action, *p)
                    ),
                ));
            }
            let a = Action {
                listing,
                platform: m.a,
                kind: req.kind,
                reason,
                case,
                due_at,
                issued_by: caller.party,
                status: ActionStatus::Pending,
                note: None,
                acked_at: None,
                created_at: now,
            };
            let view = ActionView::new(&self.ids, id, &a, now);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Action(a),
                },
                caller.party,
                view,
            ))
        })
    }

    /// One action per affected active listing of the supplier without a pending action,
    /// all in one event.
    pub fn bulk_action(&self, caller: &Caller, req: BulkAction) -> AppResult<BulkResult> {
        self.check_role(caller, &[Role::Regulator], "issue actions")?;
        let (supplier, _) =
            self.resolve_party("supplier", &req.supplier, &[Role::Supplier], "the supplier")?;
        let reason =
            clean_text("reason", &req.reason, 2000).map_err(|e| AppError::rule("reason", e))?;
        let case = self.opt_case(caller, "case", &req.case)?;
        self.write_if(caller, |first, now| {
            let due_at = Self::due("due_at", &req.due_at, now)?;
            let mut records = Vec::new();
            let mut result = BulkResult {
                created: 0,
                skipped_pending: 0,
                by_platform: BTreeMap::new(),
                actions: vec![],
            };
            for (l, _) in self.affected(&[supplier], None)? {
                if !self.pending_actions(l).is_empty() {
                    result.skipped_pending += 1;
                    continue;
                }
                let Some(m) = self.store.meta(l) else {
                    continue;
                };
                let id = first + records.len() as NodeId;
                records.push((
                    id,
                    Record::Action(Action {
                        listing: l,
                        platform: m.a,
                        kind: req.kind,
                        reason: reason.clone(),
                        case,
                        due_at,
                        issued_by: caller.party,
                        status: ActionStatus::Pending,
                        note: None,
                        acked_at: None,
                        created_at: now,
                    }),
                ));
                *result
                    .by_platform
                    .entry(self.ids.format(NodeKind::Party, m.a))
                    .or_default() += 1;
                result.actions.push(self.ids.format(NodeKind::Action, id));
            }
            result.created = records.len() as u64;
            let body = (!records.is_empty()).then_some(EventBody::CreatedMany { records });
            Ok((body, caller.party, result))
        })
    }

    pub fn list_actions(
        &self,
        caller: &Caller,
        q: &ActionsQuery,
    ) -> AppResult<(Vec<ActionView>, Option<String>)> {
        let platform = if caller.role == Some(Role::Platform) && !caller.operator {
            caller.party
        } else {
            self.check_role(caller, &[Role::Regulator], "read actions")?;
            match &q.platform {
                Some(p) => Some(
                    self.resolve_party("platform", p, &[Role::Platform], "the platform")?
                        .0,
                ),
                None => None,
            }
        };
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let after = match &q.cursor {
            None => None,
            Some(c) => match self.ids.parse(c) {
                // An action the caller may read (another platform's does not position a page).
                Some((NodeKind::Action, n)) if self.can_read(caller, n) => Some(n),
                _ => {
                    return Err(AppError::bad(
                        "cursor",
                        "cursor must be an action id from the previous page",
                    ))
                }
            },
        };
        let now = now_ms();
        let mut out = Vec::new();
        let mut next = None;
        let candidates = match &q.listing {
            Some(l) => {
                let l = self.resolve(caller, "listing", l, NodeKind::Listing)?;
                self.store
                    .attached(l)
                    .into_iter()
                    .filter(|&n| self.kind_of(n) == NodeKind::Action)
                    .collect()
            }
            None => self.store.ids_of(NodeKind::Action),
        };
        for a in candidates {
            if after.is_some_and(|c| a <= c) {
                continue;
            }
            let Some(m) = self.store.meta(a) else {
                continue;
            };
            if platform.is_some_and(|p| p != m.b) || q.status.is_some_and(|s| s as u8 != m.flag) {
                continue;
            }
            let Record::Action(act) = self.load(a)? else {
                continue;
            };
            let view = self.action_view(caller, a, &act, now);
            if q.overdue == Some(true) && !view.overdue {
                continue;
            }
            if out.len() == limit {
                next = out.last().map(|v: &ActionView| v.id.clone());
                break;
            }
            out.push(view);
        }
        Ok((out, next))
    }

    /// An action as `caller` sees it: the case behind it only for the bureaus.
    fn action_view(&self, caller: &Caller, id: NodeId, a: &Action, now: i64) -> ActionView {
        let mut view = ActionView::new(&self.ids, id, a, now);
        if !caller.sees_all() {
            view.case = None;
        }
        view
    }

    pub fn get_action(&self, caller: &Caller, id: &str) -> AppResult<ActionView> {
        let n = self.visible(caller, id, NodeKind::Action)?;
        match self.load(n)? {
            Record::Action(a) => Ok(self.action_view(caller, n, &a, now_ms())),
            _ => Err(AppError::Internal("not an action".into())),
        }
    }

    /// A platform acknowledges an action addressed to it. Acknowledging again with the same
    /// result changes nothing; a different result is a conflict.
    pub fn ack_action(&self, caller: &Caller, id: &str, req: Ack) -> AppResult<(ActionView, bool)> {
        let n = self.visible(caller, id, NodeKind::Action)?;
        let platform = self
            .store
            .meta(n)
            .map(|m| m.b)
            .ok_or_else(|| AppError::Internal("action vanished".into()))?;
        self.check_ack(caller, platform)?;
        let note = req.note.trim().to_string();
        if note.chars().count() > 2000 {
            return Err(AppError::rule("note", "note has more than 2000 characters"));
        }
        let status = match req.result {
            AckResult::Done => ActionStatus::Done,
            AckResult::Rejected => ActionStatus::Rejected,
        };
        let done = self.write_if(caller, |_, now| {
            let Record::Action(mut a) = self.load(n)? else {
                return Err(AppError::Internal("not an action".into()));
            };
            if a.status == status {
                let view = self.action_view(caller, n, &a, now);
                return Ok((
                    None,
                    None,
                    super::Changed {
                        view,
                        changed: false,
                    },
                ));
            }
            if a.status != ActionStatus::Pending {
                return Err(AppError::conflict(
                    "result",
                    format!("{id} was already acknowledged as {}", a.status.as_str()),
                ));
            }
            // The answer is the action as the event leaves it.
            a.status = status;
            a.note = Some(note.clone());
            a.acked_at = Some(now);
            let view = self.action_view(caller, n, &a, now);
            Ok((
                Some(EventBody::ActionAcknowledged {
                    action: n,
                    status,
                    note,
                }),
                Some(platform),
                super::Changed {
                    view,
                    changed: true,
                },
            ))
        })?;
        Ok((done.view, done.changed))
    }

    fn bureau(&self, field: &str, s: &str) -> AppResult<NodeId> {
        Ok(self
            .resolve_party(field, s, &[Role::Regulator], "a bureau")?
            .0)
    }

    pub fn create_case(&self, caller: &Caller, req: NewCase) -> AppResult<CaseView> {
        self.check_role(caller, &[Role::Regulator], "open cases")?;
        let opened_by = self.bureau("opened_by", &req.opened_by)?;
        self.check_act_for(caller, opened_by, "open a case")?;
        let title = clean_text("title", &req.title, 300).map_err(|e| AppError::rule("title", e))?;
        if req.subjects.len() > MAX_ITEMS {
            return Err(AppError::rule(
                "subjects",
                format!("at most {MAX_ITEMS} subjects"),
            ));
        }
        let mut subjects = Vec::new();
        for (i, s) in req.subjects.iter().enumerate() {
            match self.ids.parse(s) {
                Some((k, n)) if self.store.meta(n).map(|m| m.kind) == Some(k) => subjects.push(n),
                _ => {
                    return Err(AppError::not_found(
                        format!("subjects[{i}]"),
                        format!("no node with id '{}'", trunc(s)),
                    ))
                }
            }
        }
        // The other bureaus named are invited; each works on the case once it accepts.
        let mut invited = Vec::new();
        for (i, b) in req.bureaus.iter().enumerate() {
            let b = self.bureau(&format!("bureaus[{i}]"), b)?;
            if b != opened_by && !invited.contains(&b) {
                invited.push(b);
            }
        }
        let kind = req.kind.unwrap_or(if invited.is_empty() {
            CaseKind::Case
        } else {
            CaseKind::Joint
        });
        if kind == CaseKind::Joint && invited.is_empty() {
            return Err(AppError::rule(
                "bureaus",
                "a joint case names at least one other bureau",
            ));
        }
        let note = req.note.trim().to_string();
        self.write(caller, |id, now| {
            let c = Case {
                title,
                kind,
                opened_by,
                holder: opened_by,
                bureaus: vec![opened_by],
                invited,
                subjects,
                status: CaseStatus::Open,
                timeline: vec![CaseEntry {
                    at: now,
                    by: Some(opened_by),
                    step: CaseStep::Opened,
                    note,
                }],
                created_at: now,
            };
            let view = CaseView::new(&self.ids, id, &c, |n| self.kind_of(n));
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Case(c),
                },
                Some(opened_by),
                view,
            ))
        })
    }

    fn case(&self, n: NodeId) -> AppResult<Case> {
        match self.load(n)? {
            Record::Case(c) => Ok(c),
            _ => Err(AppError::Internal("not a case".into())),
        }
    }

    pub fn get_case(&self, caller: &Caller, id: &str) -> AppResult<CaseView> {
        let n = self.visible(caller, id, NodeKind::Case)?;
        Ok(CaseView::new(&self.ids, n, &self.case(n)?, |x| {
            self.kind_of(x)
        }))
    }

    /// Moves a case to another bureau's inbox: by a bureau working on it.
    pub fn transfer_case(&self, caller: &Caller, id: &str, req: Transfer) -> AppResult<CaseView> {
        let n = self.visible(caller, id, NodeKind::Case)?;
        let to = self.bureau("to", &req.to)?;
        let note = req.note.trim().to_string();
        if note.chars().count() > 4000 {
            return Err(AppError::rule("note", "note has more than 4000 characters"));
        }
        self.write(caller, |_, now| {
            let c = self.case(n)?;
            self.check_case_member(caller, &c, false)
                .map_err(|d| d.into_error(|| super::unknown_id(None, "case", id)))?;
            if c.holder == to {
                return Err(AppError::rule(
                    "to",
                    "the case is already held by that bureau",
                ));
            }
            if c.status == CaseStatus::Closed {
                return Err(AppError::rule("to", "a closed case is not transferred"));
            }
            let entry = CaseEntry {
                at: now,
                by: caller.party.or(Some(c.holder)),
                step: CaseStep::Transferred { from: c.holder, to },
                note,
            };
            let holder = c.holder;
            let view = self.case_after(n, c, &entry);
            Ok((
                EventBody::CaseUpdated { case: n, entry },
                Some(holder),
                view,
            ))
        })
    }

    /// A case as an event's step leaves it (the answer to that step).
    fn case_after(&self, n: NodeId, mut c: Case, entry: &CaseEntry) -> CaseView {
        c.apply(entry.clone());
        CaseView::new(&self.ids, n, &c, |x| self.kind_of(x))
    }

    /// A note, a status change, an invitation (`join` naming another bureau) or an
    /// acceptance (`join` naming the invited bureau itself), by a bureau on the case.
    pub fn note_case(&self, caller: &Caller, id: &str, req: CaseNote) -> AppResult<CaseView> {
        let n = self.visible(caller, id, NodeKind::Case)?;
        let join = match &req.join {
            Some(b) => Some(self.bureau("join", b)?),
            None => None,
        };
        let note = req.note.trim().to_string();
        if note.chars().count() > 4000 {
            return Err(AppError::rule("note", "note has more than 4000 characters"));
        }
        if note.is_empty() && req.status.is_none() && join.is_none() {
            return Err(AppError::rule(
                "note",
                "give a note, a status or a bureau to join",
            ));
        }
        self.write(caller, |_, now| {
            let c = self.case(n)?;
            let accepting = join.is_some() && join == caller.party;
            self.check_case_member(caller, &c, accepting)
                .map_err(|d| d.into_error(|| super::unknown_id(None, "case", id)))?;
            let step = match (join, req.status) {
                (Some(b), _) if c.bureaus.contains(&b) => {
                    return Err(AppError::rule(
                        "join",
                        "that bureau already works on the case",
                    ))
                }
                (Some(b), _) if accepting || (caller.operator && c.invited.contains(&b)) => {
                    CaseStep::Joined { bureau: b }
                }
                (Some(b), _) => CaseStep::Invited { bureau: b },
                (None, Some(s)) => CaseStep::Status(s),
                (None, None) => CaseStep::Noted,
            };
            let entry = CaseEntry {
                at: now,
                by: caller.party,
                step,
                note,
            };
            let view = self.case_after(n, c, &entry);
            Ok((
                EventBody::CaseUpdated { case: n, entry },
                caller.party,
                view,
            ))
        })
    }

    pub fn list_cases(&self, caller: &Caller, q: &CasesQuery) -> AppResult<Vec<CaseView>> {
        self.check_role(caller, &[Role::Regulator], "read cases")?;
        let holder = match &q.holder {
            Some(h) => Some(self.bureau("holder", h)?),
            None => None,
        };
        let mut out = Vec::new();
        for c in self.store.ids_of(NodeKind::Case) {
            let Some(m) = self.store.meta(c) else {
                continue;
            };
            if holder.is_some_and(|h| h != m.a) || q.status.is_some_and(|s| s as u8 != m.flag) {
                continue;
            }
            out.push(CaseView::new(&self.ids, c, &self.case(c)?, |x| {
                self.kind_of(x)
            }));
        }
        Ok(out)
    }

    /// The upstream lots of a subject with their producers' cities (for statistics).
    fn subject_lots(&self, subject: NodeId) -> AppResult<Vec<crate::domain::Lot>> {
        let mut lots = Vec::new();
        for n in self.store.upstream(subject)?.nodes {
            if let Ok(Some(Record::Lot(l))) = self.store.record(n) {
                lots.push(l);
            }
        }
        Ok(lots)
    }

    pub fn failing_items(&self, caller: &Caller, q: &FailingQuery) -> AppResult<FailingItems> {
        self.check_role(
            caller,
            &[Role::Regulator, Role::Lab],
            "read inspection statistics",
        )?;
        if let Some(m) = &q.month {
            let ok = m.len() == 7
                && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok();
            if !ok {
                return Err(AppError::bad(
                    "month",
                    format!("month is YYYY-MM (got '{}')", trunc(m)),
                ));
            }
        }
        let mut items: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut by_month: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let (mut total, mut failed) = (0, 0);
        // A lab counts its own inspections; regulators every lab's.
        let own_lab = (!caller.sees_all()).then_some(caller.party).flatten();
        for id in self.store.ids_of(NodeKind::Inspection) {
            let Record::Inspection(ins) = self.load(id)? else {
                continue;
            };
            if own_lab.is_some_and(|lab| lab != ins.lab) {
                continue;
            }
            let month = month_of(ins.sampled_at);
            if q.month.as_ref().is_some_and(|m| *m != month) {
                continue;
            }
            if q.material.is_some() || q.city.is_some() {
                let lots = self.subject_lots(ins.subject)?;
                if let Some(mat) = q.material {
                    if !lots.iter().any(|l| l.material == mat) {
                        continue;
                    }
                }
                if let Some(city) = &q.city {
                    let hit = lots.iter().any(|l| {
                        l.inputs.is_empty()
                            && self
                                .party(l.producer)
                                .map(|p| p.city.contains(city.as_str()))
                                .unwrap_or(false)
                    });
                    if !hit {
                        continue;
                    }
                }
            }
            total += 1;
            if ins.verdict == Verdict::Fail {
                failed += 1;
            }
            for r in &ins.results {
                let e = items.entry(r.item.clone()).or_default();
                e.0 += 1;
                if r.verdict == Verdict::Fail {
                    e.1 += 1;
                    *by_month
                        .entry(month.clone())
                        .or_default()
                        .entry(r.item.clone())
                        .or_default() += 1;
                }
            }
        }
        let mut items: Vec<ItemStat> = items
            .into_iter()
            .map(|(item, (t, f))| ItemStat {
                item,
                tested: t,
                failed: f,
                failure_rate: if t > 0 { f as f64 / t as f64 } else { 0.0 },
            })
            .collect();
        items.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.item.cmp(&b.item)));
        Ok(FailingItems {
            inspections: total,
            failed_inspections: failed,
            items,
            by_month,
        })
    }

    pub fn cooperation(&self, caller: &Caller, q: &PeriodQuery) -> AppResult<Cooperation> {
        self.check_role(caller, &[Role::Regulator], "read cooperation statistics")?;
        let from = q.from.map(|t| t.timestamp_millis()).unwrap_or(i64::MIN);
        let to = q.to.map(|t| t.timestamp_millis()).unwrap_or(i64::MAX);
        let mut pairs: BTreeMap<(NodeId, NodeId), u64> = BTreeMap::new();
        let mut joint: BTreeMap<Vec<NodeId>, u64> = BTreeMap::new();
        for c in self.store.ids_of(NodeKind::Case) {
            let case = self.case(c)?;
            for e in &case.timeline {
                if let CaseStep::Transferred { from: a, to: b } = e.step {
                    if e.at >= from && e.at < to {
                        *pairs.entry((a, b)).or_default() += 1;
                    }
                }
            }
            if case.kind == CaseKind::Joint && case.created_at >= from && case.created_at < to {
                let set: BTreeSet<NodeId> = case.bureaus.iter().copied().collect();
                *joint.entry(set.into_iter().collect()).or_default() += 1;
            }
        }
        let p = |n: NodeId| self.ids.format(NodeKind::Party, n);
        Ok(Cooperation {
            transfers_total: pairs.values().sum(),
            joint_cases_total: joint.values().sum(),
            transfers: pairs
                .into_iter()
                .map(|((a, b), n)| PairStat {
                    from: p(a),
                    to: p(b),
                    transfers: n,
                })
                .collect(),
            joint_cases: joint
                .into_iter()
                .map(|(bs, n)| JointStat {
                    bureaus: bs.into_iter().map(p).collect(),
                    cases: n,
                })
                .collect(),
        })
    }
}
