//! The request bodies and queries of compliance and enforcement (inspections, declarations,
//! actions and their acknowledgements, cases, statistics), parsed strictly: unknown fields
//! are refused.

use crate::core::domain::{
    ActionKind, ActionStatus, CaseKind, CaseStatus, ComplianceStatus, Verdict,
};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

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
    /// The online order the sample was bought with, if it was bought online.
    #[serde(default)]
    pub order: Option<crate::app::compliance::orders::OrderIn>,
    /// The sampling plan it is taken under (its sampler must own the plan).
    #[serde(default)]
    pub plan: Option<String>,
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
    pub material: Option<crate::core::domain::Material>,
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
