//! Seller qualification and platform checks: business licences, trademark registrations
//! (a collective mark such as "沙集镇" with its members), quality certificates, the
//! platforms' entry checks and re-checks of sellers, the claims a listing makes, and the
//! bureaus' joint sampling plans.

use super::{Id, Inspection, Listing, Party, Uscc};
use serde::{Deserialize, Serialize};

/// What a qualification is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QualificationKind {
    /// 营业执照.
    Licence {
        uscc: Uscc,
        name: String,
        scope: String,
        /// Days since 1970-01-01 (China time), inclusive.
        valid_from: i32,
        valid_to: i32,
    },
    /// 注册商标 (a collective mark lists its members as authorised).
    Trademark {
        reg_no: String,
        mark: String,
        /// Nice class, 1–45.
        class: u8,
        valid_to: i32,
        authorised: Vec<Id<Party>>,
    },
    /// A quality certificate (e.g. ISO 9001).
    Certificate {
        kind: String,
        number: String,
        body: String,
        valid_to: i32,
    },
}

impl QualificationKind {
    pub fn name(&self) -> &'static str {
        match self {
            QualificationKind::Licence { .. } => "licence",
            QualificationKind::Trademark { .. } => "trademark",
            QualificationKind::Certificate { .. } => "certificate",
        }
    }

    pub fn valid_to(&self) -> i32 {
        match self {
            QualificationKind::Licence { valid_to, .. }
            | QualificationKind::Trademark { valid_to, .. }
            | QualificationKind::Certificate { valid_to, .. } => *valid_to,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewResult {
    Confirmed,
    Rejected,
}

impl ReviewResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewResult::Confirmed => "confirmed",
            ReviewResult::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub result: ReviewResult,
    pub note: String,
    pub by: Option<Id<Party>>,
    pub at: i64,
}

/// One qualification of a party, as entered (by the party or its platform) and reviewed (by
/// a regulator). A newer one of the same kind and number supersedes it; the history stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    pub party: Id<Party>,
    pub kind: QualificationKind,
    /// Who entered it (None: the operator).
    pub entered_by: Option<Id<Party>>,
    pub created_at: i64,
    pub review: Option<Review>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// 准入查验.
    Entry,
    /// 证照强化复核.
    Recheck,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Entry => "entry",
            CheckKind::Recheck => "recheck",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Pass,
    Fail,
}

impl CheckResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Pass => "pass",
            CheckResult::Fail => "fail",
        }
    }
}

/// A platform's check of a seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerCheck {
    pub seller: Id<Party>,
    pub platform: Id<Party>,
    pub kind: CheckKind,
    pub result: CheckResult,
    /// UTC milliseconds.
    pub checked_at: i64,
    /// Days since 1970-01-01: when the next re-check is due.
    pub next_due: i32,
    pub note: String,
    pub created_at: i64,
}

/// What a listing claims about its goods (besides its title, which is read too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingClaims {
    pub listing: Id<Listing>,
    /// As claimed: `ENF`, `E0`, `E1`, `无醛`, `零甲醛`, …
    pub formaldehyde_class: Option<String>,
    /// As claimed: `实木`, `多层实木`, `颗粒板`, …
    pub material: Option<String>,
    /// The brand or trademark claimed.
    pub trademark: Option<String>,
    pub created_at: i64,
}

/// A bureau's sampling plan (抽查计划), shared with its partner bureaus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingPlan {
    pub title: String,
    /// Days since 1970-01-01, inclusive.
    pub period_from: i32,
    pub period_to: i32,
    /// Product categories (matched against product names); empty: every product.
    pub categories: Vec<String>,
    /// The bureaus that own it, each with its quota of samples.
    pub quota: Vec<(Id<Party>, u32)>,
    pub created_by: Option<Id<Party>>,
    pub created_at: i64,
}

/// An inspection taken under a plan, by one of its bureaus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSample {
    pub plan: Id<SamplingPlan>,
    pub inspection: Id<Inspection>,
    pub bureau: Id<Party>,
}
