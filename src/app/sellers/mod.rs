//! Seller qualification and platform checks (经营者资质、准入查验、证照复核): licences,
//! trademark registrations and quality certificates entered by a party or its platform and
//! reviewed by a regulator; a platform's entry checks and re-checks of its sellers; the
//! flags they raise with the claims review (`flags`); each seller's quality record
//! (`quality`); the bureaus' joint sampling plans (`plans`); the Hangzhou bureau's review
//! per platform and a platform's check queue (`review`).

mod commands;
pub mod flags;
pub mod plans;
pub mod quality;
pub mod review;
mod views;
pub use views::{
    CheckView, QualificationFields, QualificationView, QualificationsView, ReviewView,
};

use super::resale::{fmt_day, parse_day};
use super::*;
use crate::core::domain::{
    CheckKind, CheckResult, Qualification, QualificationKind, Review, ReviewResult, SellerCheck,
};
use serde::{Deserialize, Serialize};

/// Most parties a trademark authorises (a collective mark's members).
pub const MAX_AUTHORISED: usize = 5000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLicence {
    pub uscc: String,
    pub name: String,
    pub scope: String,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    pub valid_to: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTrademark {
    pub reg_no: String,
    pub mark: String,
    pub class: u8,
    pub valid_to: String,
    #[serde(default)]
    pub authorised: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    pub kind: String,
    pub number: String,
    pub body: String,
    pub valid_to: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCheck {
    pub kind: CheckKind,
    pub result: CheckResult,
    pub checked_at: DateTime<FixedOffset>,
    /// `YYYY-MM-DD`: when the next re-check is due.
    pub next_due: String,
    pub note: String,
    /// The licence as the platform saw it in this check (recorded as the seller's licence,
    /// entered by the platform).
    #[serde(default)]
    pub licence: Option<NewLicence>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    pub result: ReviewResult,
    pub note: String,
}

/// Today in China time, as days since 1970-01-01.
pub(crate) fn today(now_ms: i64) -> i32 {
    ((now_ms + 8 * 3600 * 1000).div_euclid(86_400_000)) as i32
}

/// Checks a licence body; its USCC must be the party's.
fn licence_kind(party: &Party, l: &NewLicence) -> AppResult<QualificationKind> {
    let uscc = Uscc::parse(&l.uscc).map_err(|e| AppError::rule("uscc", e))?;
    if uscc != party.uscc {
        return Err(AppError::rule(
            "uscc",
            format!(
                "the licence's USCC {uscc} is not the party's ({}); a licence is registered to its holder",
                party.uscc
            ),
        ));
    }
    let valid_from = parse_day(&l.valid_from).map_err(|e| rename(e, "valid_from"))?;
    let valid_to = parse_day(&l.valid_to).map_err(|e| rename(e, "valid_to"))?;
    if valid_to < valid_from {
        return Err(AppError::rule(
            "valid_to",
            format!(
                "valid_to {} is before valid_from {}",
                l.valid_to, l.valid_from
            ),
        ));
    }
    Ok(QualificationKind::Licence {
        uscc,
        name: clean_text("name", &l.name, 200).map_err(|e| AppError::rule("name", e))?,
        scope: clean_text("scope", &l.scope, 2000).map_err(|e| AppError::rule("scope", e))?,
        valid_from,
        valid_to,
    })
}

/// A day error on another field.
fn rename(e: AppError, field: &str) -> AppError {
    match e {
        AppError::BadRequest { detail, .. } => {
            AppError::bad(field, detail.replacen("day", field, 1))
        }
        e => e,
    }
}

impl App {
    fn enter_qualification(
        &self,
        caller: &Caller,
        party_id: &str,
        kind: impl Fn(&Party, &Ctx<'_>) -> AppResult<QualificationKind>,
    ) -> AppResult<QualificationView> {
        let cmd = commands::EnterQualification {
            party: party_id.to_string(),
            kind,
        };
        self.execute(caller, &cmd)
    }

    pub fn add_licence(
        &self,
        caller: &Caller,
        party: &str,
        req: NewLicence,
    ) -> AppResult<QualificationView> {
        self.enter_qualification(caller, party, |p, _| licence_kind(p, &req))
    }

    pub fn add_trademark(
        &self,
        caller: &Caller,
        party: &str,
        req: NewTrademark,
    ) -> AppResult<QualificationView> {
        let reg_no =
            clean_text("reg_no", &req.reg_no, 50).map_err(|e| AppError::rule("reg_no", e))?;
        let mark = clean_text("mark", &req.mark, 100).map_err(|e| AppError::rule("mark", e))?;
        if !(1..=45).contains(&req.class) {
            return Err(AppError::rule(
                "class",
                format!("class is a Nice class, 1 to 45 (got {})", req.class),
            ));
        }
        let valid_to = parse_day(&req.valid_to).map_err(|e| rename(e, "valid_to"))?;
        if req.authorised.len() > MAX_AUTHORISED {
            return Err(AppError::rule(
                "authorised",
                format!("at most {MAX_AUTHORISED} authorised parties"),
            ));
        }
        self.enter_qualification(caller, party, |_, cx| {
            let mut authorised = Vec::with_capacity(req.authorised.len());
            for (i, a) in req.authorised.iter().enumerate() {
                // The party directory is public: naming a party reveals nothing.
                let id = cx
                    .existing(a, NodeKind::Party)
                    .ok_or_else(|| unknown_id(Some(&format!("authorised[{i}]")), "party", a))?;
                if !authorised.contains(&Id::new(id)) {
                    authorised.push(Id::new(id));
                }
            }
            Ok(QualificationKind::Trademark {
                reg_no: reg_no.clone(),
                mark: mark.clone(),
                class: req.class,
                valid_to,
                authorised,
            })
        })
    }

    pub fn add_certificate(
        &self,
        caller: &Caller,
        party: &str,
        req: NewCertificate,
    ) -> AppResult<QualificationView> {
        let kind = clean_text("kind", &req.kind, 100).map_err(|e| AppError::rule("kind", e))?;
        let number =
            clean_text("number", &req.number, 100).map_err(|e| AppError::rule("number", e))?;
        let body = clean_text("body", &req.body, 200).map_err(|e| AppError::rule("body", e))?;
        let valid_to = parse_day(&req.valid_to).map_err(|e| rename(e, "valid_to"))?;
        self.enter_qualification(caller, party, |_, _| {
            Ok(QualificationKind::Certificate {
                kind: kind.clone(),
                number: number.clone(),
                body: body.clone(),
                valid_to,
            })
        })
    }

    /// A regulator confirms or rejects a qualification (again, if it must: the newest
    /// review stands, the event log keeps the earlier ones).
    pub fn review_qualification(
        &self,
        caller: &Caller,
        id: &str,
        req: NewReview,
    ) -> AppResult<QualificationView> {
        let note = crate::core::domain::clean_multiline("note", &req.note, 1, 2000)
            .map_err(|e| AppError::rule("note", e))?;
        let cmd = commands::ReviewQualification {
            qualification: id.to_string(),
            result: req.result,
            note,
        };
        self.execute(caller, &cmd)
    }

    pub fn get_qualification(&self, caller: &Caller, id: &str) -> AppResult<QualificationView> {
        let n = self.visible(caller, id, NodeKind::Qualification)?;
        let today = today(self.now());
        self.read_ctx(|cx| match cx.record(n)? {
            Record::Qualification(q) => Ok(cx.qualification_view(n, q, today)),
            _ => Err(AppError::Internal("not a qualification".into())),
        })
    }

    /// A platform records an entry check or a re-check of a seller (with the licence it
    /// saw, if it gives one: recorded in the same event).
    pub fn record_check(
        &self,
        caller: &Caller,
        seller_id: &str,
        req: NewCheck,
    ) -> AppResult<CheckView> {
        let note = crate::core::domain::clean_multiline("note", &req.note, 1, 2000)
            .map_err(|e| AppError::rule("note", e))?;
        let next_due = parse_day(&req.next_due).map_err(|e| rename(e, "next_due"))?;
        let cmd = commands::RecordCheck {
            seller: seller_id.to_string(),
            req,
            note,
            next_due,
        };
        self.execute(caller, &cmd)
    }

    /// A party's qualifications: the party, its platforms, regulators.
    pub fn qualifications(&self, caller: &Caller, party_id: &str) -> AppResult<QualificationsView> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        let today = today(self.now());
        self.read_ctx(|cx| {
            // Its platforms are those it sells on (a check a platform records itself grants
            // no right to read).
            cx.policy().check_seller_file(
                caller,
                party,
                "a party's qualifications are read by the party, its platforms and regulators",
            )?;
            // Only what the caller may read: another party's mark that authorises this one
            // is read by its holder's platforms, not by this one's.
            let all: Vec<(NodeId, &Qualification)> = cx
                .qualifications_of(party)
                .into_iter()
                .filter(|(n, _)| cx.policy().can_read(caller, *n))
                .collect();
            let view = |(n, q): &(NodeId, &Qualification)| cx.qualification_view(*n, q, today);
            let licence = cx.licence_of(party).map(|x| view(&x));
            let licence_state = licence.as_ref().map_or("missing", |l| l.state);
            let current = |kind: &str| -> Vec<QualificationView> {
                all.iter()
                    .filter(|(_, q)| q.kind.name() == kind)
                    .filter(|(_, q)| {
                        !q.review
                            .as_ref()
                            .is_some_and(|r| r.result == ReviewResult::Rejected)
                    })
                    .map(view)
                    .collect()
            };
            let mut platforms = cx.platforms_of(party);
            for &n in cx.w.attached(party) {
                if let Some(Record::Check(c)) = cx.w.record(n).map(|r| &**r) {
                    if c.seller.raw() == party && !platforms.contains(&c.platform.raw()) {
                        platforms.push(c.platform.raw());
                    }
                }
            }
            // A platform sees its own checks of the seller; the seller and regulators all.
            let all_checks = caller.sees_all() || caller.party == Some(party);
            let checks = platforms
                .into_iter()
                .filter(|&p| all_checks || caller.party == Some(p))
                .filter_map(|p| {
                    cx.checks_of(party, p)
                        .last()
                        .map(|(n, c)| cx.check_view(*n, c))
                })
                .collect();
            Ok(QualificationsView {
                party: cx.party_ref_of(party),
                licence,
                licence_state,
                trademarks: current("trademark"),
                certificates: current("certificate"),
                checks,
                history: all.iter().rev().map(view).collect(),
            })
        })
    }
}
