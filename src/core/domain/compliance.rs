//! Compliance and enforcement records: inspections, declarations, actions on listings,
//! cases between the bureaus.

use super::{Id, ListingStatus, NodeId, Party};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------
// Compliance and enforcement
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

/// One measured test item of an inspection, with the verdict and the limit applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: String,
    pub value: f64,
    pub unit: String,
    pub method: Option<String>,
    /// What the lab said, if anything.
    pub lab_verdict: Option<Verdict>,
    pub verdict: Verdict,
    /// The limit applied and where it comes from, for items judged by a rule.
    pub limit: Option<f64>,
    pub limit_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub subject: NodeId,
    pub lab: Id<Party>,
    pub sampled_by: Id<Party>,
    pub report_no: String,
    pub sampled_at: i64,
    pub results: Vec<ItemResult>,
    pub verdict: Verdict,
    /// Lots and suppliers marked suspect by this (failed) inspection.
    pub marked: Vec<NodeId>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    Compliant,
    Suspect,
    Noncompliant,
}

impl ComplianceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Compliant => "compliant",
            ComplianceStatus::Suspect => "suspect",
            ComplianceStatus::Noncompliant => "noncompliant",
        }
    }
}

/// A regulator's declaration of a party's compliance status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    pub party: Id<Party>,
    pub status: ComplianceStatus,
    pub reason: String,
    pub case: Option<Id<Case>>,
    /// The declaring regulator (None: the operator).
    pub declared_by: Option<Id<Party>>,
    pub created_at: i64,
}

/// The five measures a platform takes against a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Delete,
    Block,
    Disconnect,
    Suspend,
    Terminate,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Delete => "delete",
            ActionKind::Block => "block",
            ActionKind::Disconnect => "disconnect",
            ActionKind::Suspend => "suspend",
            ActionKind::Terminate => "terminate",
        }
    }

    /// The listing status once the platform has carried the action out.
    pub fn listing_status(self) -> ListingStatus {
        match self {
            ActionKind::Delete => ListingStatus::Deleted,
            ActionKind::Block => ListingStatus::Blocked,
            ActionKind::Disconnect => ListingStatus::Disconnected,
            ActionKind::Suspend => ListingStatus::Suspended,
            ActionKind::Terminate => ListingStatus::Terminated,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Pending,
    Done,
    Rejected,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Pending => "pending",
            ActionStatus::Done => "done",
            ActionStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub listing: Id<super::Listing>,
    pub platform: Id<Party>,
    pub kind: ActionKind,
    pub reason: String,
    pub case: Option<Id<Case>>,
    pub due_at: Option<i64>,
    /// The issuing regulator (None: the operator).
    pub issued_by: Option<Id<Party>>,
    pub status: ActionStatus,
    pub note: Option<String>,
    pub acked_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Clue,
    Case,
    Joint,
    /// Opened by a consumer's complaint from the public scan page.
    Complaint,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Clue => "clue",
            CaseKind::Case => "case",
            CaseKind::Joint => "joint",
            CaseKind::Complaint => "complaint",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Investigating,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Investigating => "investigating",
            CaseStatus::Closed => "closed",
        }
    }
}

/// One step in a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CaseStep {
    Opened,
    Transferred {
        from: Id<Party>,
        to: Id<Party>,
    },
    /// A bureau on the case invited another to work on it jointly.
    Invited {
        bureau: Id<Party>,
    },
    /// An invited bureau accepted (it may then annotate, transfer and close the case).
    Joined {
        bureau: Id<Party>,
    },
    Noted,
    Status(CaseStatus),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEntry {
    pub at: i64,
    /// The acting bureau (None: the operator).
    pub by: Option<Id<Party>>,
    pub step: CaseStep,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub title: String,
    pub kind: CaseKind,
    pub opened_by: Id<Party>,
    /// The bureau that holds the case now (its inbox).
    pub holder: Id<Party>,
    /// The bureaus working on it, who may annotate, transfer and close it: the holder and,
    /// for a joint case, every bureau that accepted (the opener included).
    pub bureaus: Vec<Id<Party>>,
    /// Bureaus invited to a joint case that have not accepted yet.
    pub invited: Vec<Id<Party>>,
    pub subjects: Vec<NodeId>,
    pub status: CaseStatus,
    pub timeline: Vec<CaseEntry>,
    pub created_at: i64,
}

impl Case {
    /// Applies a timeline step (pure: used by the store projection and its replay).
    pub fn apply(&mut self, entry: CaseEntry) {
        match &entry.step {
            CaseStep::Transferred { from, to } => {
                self.holder = *to;
                // A plain case moves with its holder; a joint case keeps its partners.
                if self.kind != CaseKind::Joint {
                    self.bureaus.retain(|b| b != from);
                }
                if !self.bureaus.contains(to) {
                    self.bureaus.push(*to);
                }
                self.invited.retain(|b| b != to);
            }
            CaseStep::Invited { bureau } => {
                if !self.bureaus.contains(bureau) && !self.invited.contains(bureau) {
                    self.invited.push(*bureau);
                }
            }
            CaseStep::Joined { bureau } => {
                self.invited.retain(|b| b != bureau);
                if !self.bureaus.contains(bureau) {
                    self.bureaus.push(*bureau);
                }
                self.kind = CaseKind::Joint;
            }
            CaseStep::Status(s) => self.status = *s,
            CaseStep::Opened | CaseStep::Noted => {}
        }
        self.timeline.push(entry);
    }
}
