//! Compliance and enforcement: inspections judged by the limits table, suspect marks
//! propagated upstream, compliance declarations, the impact of a bad supplier on listings
//! (JSON and CSV), actions that platforms acknowledge, cases and clues between bureaus,
//! and the statistics the Shaji lab and the bureaus ask for. One file a feature:
//! `inspections`, `status` (declarations and the impact of a supplier), `actions`, `cases`,
//! `stats`; the request bodies in `requests`, the answers here and in `views`.

mod actions;
mod requests;
pub use requests::*;
mod cases;
mod derive;
mod inspections;
pub mod orders;
mod stats;
mod status;

use super::command::{Command, Decision, Rejection};
use super::views::{fmt_time, ListingView};
use super::{trunc, App, Caller, Ctx, MAX_PAGE};
use crate::core::domain::{
    clean_text, Action, ActionKind, ActionStatus, Case, CaseEntry, CaseKind, CaseStatus, CaseStep,
    ComplianceStatus, Declaration, Inspection, ItemResult, ListingStatus, NaturalKey, NodeId,
    NodeKind, Record, Role, Verdict,
};
use crate::core::event::EventBody;
use crate::core::graph::status_from_code;
use crate::core::ids::IdCodec;
use crate::error::{AppError, AppResult};
use crate::rules::{self, Subject};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most result items per inspection, subjects per case.
pub(crate) const MAX_ITEMS: usize = 200;

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
    /// The online order of the sample, and whether its platform confirmed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<orders::OrderView>,
    /// Who the verdict is attributed to: the seller and producers of a confirmed order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<orders::Attribution>,
    /// The sampling plan it was taken under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
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
            lab: ids.id(i.lab),
            sampled_by: ids.id(i.sampled_by),
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
            order: None,
            attributed_to: None,
            plan: None,
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
            party: ids.id(d.party),
            status: d.status.as_str(),
            reason: d.reason.clone(),
            case: d.case.map(|c| ids.id(c)),
            declared_by: d.declared_by.map(|p| ids.id(p)),
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
            listing: ids.id(a.listing),
            platform: ids.id(a.platform),
            kind: a.kind.as_str(),
            reason: a.reason.clone(),
            status: a.status.as_str(),
            overdue: a.status == ActionStatus::Pending && a.due_at.is_some_and(|d| d < now),
            case: a.case.map(|c| ids.id(c)),
            due_at: a.due_at.map(fmt_time),
            issued_by: a.issued_by.map(|p| ids.id(p)),
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
    /// For a case of kind `complaint`: the complaint, contact included (regulators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint: Option<crate::app::complaints::ComplaintDetail>,
}

impl CaseView {
    fn new(cx: &crate::app::Ctx<'_>, id: NodeId, c: &Case) -> CaseView {
        let ids = cx.ids;
        let kind_of = |n: NodeId| cx.kind_of(n);
        let p = |n: NodeId| ids.format(NodeKind::Party, n);
        CaseView {
            id: ids.format(NodeKind::Case, id),
            title: c.title.clone(),
            kind: c.kind.as_str(),
            status: c.status.as_str(),
            opened_by: p(c.opened_by.raw()),
            holder: p(c.holder.raw()),
            bureaus: c.bureaus.iter().map(|&b| p(b.raw())).collect(),
            invited: c.invited.iter().map(|&b| p(b.raw())).collect(),
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
                            ("transferred", Some(p(from.raw())), Some(p(to.raw())), None)
                        }
                        CaseStep::Invited { bureau } => {
                            ("invited", None, Some(p(bureau.raw())), None)
                        }
                        CaseStep::Joined { bureau } => {
                            ("joined", None, Some(p(bureau.raw())), None)
                        }
                        CaseStep::Noted => ("note", None, None, None),
                        CaseStep::Status(s) => ("status", None, None, Some(s.as_str())),
                    };
                    EntryView {
                        at: fmt_time(e.at),
                        by: e.by.map(|b| p(b.raw())),
                        step,
                        from,
                        to,
                        status,
                        note: e.note.clone(),
                    }
                })
                .collect(),
            created_at: fmt_time(c.created_at),
            complaint: (c.kind == CaseKind::Complaint)
                .then(|| crate::app::complaints::detail(cx.w, ids, id))
                .flatten(),
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
    /// Pieces of the affected batches sold through its affected listings.
    pub pieces_sold: u64,
    pub sold_by_province: BTreeMap<String, u64>,
    pub sellers: Vec<SellerGroup>,
}

/// What of the affected batches a listing sold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Exposure {
    pub pieces: u64,
    /// By GB/T 2260 province code (`320000`), `unknown` where the platform named none.
    pub by_province: BTreeMap<String, u64>,
    pub by_batch: BTreeMap<NodeId, u32>,
}

/// An affected listing with what it sold of the affected batches.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AffectedItem {
    #[serde(flatten)]
    pub listing: ListingView,
    pub pieces_sold: u64,
    pub sold_by_province: BTreeMap<String, u64>,
    pub sold_by_batch: Vec<crate::app::resale::BatchPieces>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AffectedView {
    pub suppliers: Vec<String>,
    pub total: u64,
    /// Pieces of the affected batches sold through the affected listings (all pages).
    pub pieces_sold: u64,
    pub by_platform: Vec<PlatformGroup>,
    pub items: Vec<AffectedItem>,
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
    /// Of these, samples bought online, and those whose platform has not confirmed the
    /// order (none yet, or disputed): their verdicts are not attributed to a seller.
    pub online_samples: u64,
    pub unconfirmed_online_samples: u64,
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
    /// Assistance requests sent in the period.
    pub requests_total: u64,
    /// Per addressee (platform or bureau): requests received, replies and response times.
    pub requests: Vec<crate::app::requests::RequestStat>,
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
    pub pieces_sold: u64,
    pub sold_by_province: String,
}

// ---------------------------------------------------------------------------------------
// Commands and reads
// ---------------------------------------------------------------------------------------

pub(crate) fn china() -> FixedOffset {
    use chrono::Offset;
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Utc.fix())
}

pub(crate) fn month_of(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&china()).format("%Y-%m").to_string())
        .unwrap_or_default()
}

impl App {
    pub(crate) fn kind_of(&self, id: NodeId) -> NodeKind {
        self.read_ctx(|cx| cx.kind_of(id))
    }
}

impl super::Ctx<'_> {
    /// The case a command names, if any (a case the caller may read).
    pub(crate) fn opt_case(
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
}
