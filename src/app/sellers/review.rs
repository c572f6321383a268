//! The Hangzhou bureau's review per platform (sellers by qualification state, claim flags,
//! check coverage), and a platform's queue of sellers to check.

use super::*;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    pub platform: Option<String>,
    /// `csv` for a spreadsheet.
    pub format: Option<String>,
}

/// One seller on one platform.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SellerRow {
    pub platform: String,
    pub platform_name: String,
    pub seller: String,
    pub name: String,
    pub uscc: String,
    /// `valid`, `expired` or `missing` (`not_shown` to a platform that only checked it).
    pub licence_state: &'static str,
    pub licence_valid_to: Option<String>,
    /// `unreviewed`, `confirmed` or `rejected` (the current licence's).
    pub licence_review: Option<&'static str>,
    /// `current`, `due_soon` (within 30 days), `overdue` or `never` (no passed entry check).
    pub check_state: &'static str,
    pub last_check: Option<String>,
    pub next_due: Option<String>,
    pub active_listings: u64,
    pub claim_flags: u64,
    pub trademark_flags: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct PlatformReview {
    pub platform: String,
    pub name: String,
    pub sellers: u64,
    pub licence_valid: u64,
    pub licence_expired: u64,
    pub licence_missing: u64,
    pub licence_unreviewed: u64,
    pub checks_current: u64,
    pub checks_overdue: u64,
    pub checks_never: u64,
    /// Sellers with a passed entry check and no overdue re-check ÷ sellers.
    pub check_coverage: f64,
    pub claim_flags: u64,
    pub trademark_flags: u64,
    pub rows: Vec<SellerRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReviewView {
    pub platforms: Vec<PlatformReview>,
}

impl<'w> Ctx<'w> {
    /// A seller's row; its licence only if `licence_shown` (the platform sells its goods, or
    /// a regulator asks): a platform that only checked a seller reads its own check.
    fn seller_row(
        &self,
        platform: NodeId,
        seller: NodeId,
        today: i32,
        licence_shown: bool,
    ) -> SellerRow {
        let licence = self.licence_of(seller).filter(|_| licence_shown);
        let state = self.seller_state(seller, platform, today);
        let checks = self.checks_of(seller, platform);
        let last = checks.last().map(|(_, c)| *c);
        let check_state = if state.no_entry_check.is_some() {
            "never"
        } else if state.check_overdue.is_some() {
            "overdue"
        } else if last.is_some_and(|c| c.next_due <= today + 30) {
            "due_soon"
        } else {
            "current"
        };
        let (mut active, mut claims, mut marks) = (0, 0, 0);
        for &l in self.w.listings_of(seller) {
            let Some(Record::Listing(x)) = self.w.record(l).map(|r| &**r) else {
                continue;
            };
            if x.platform.raw() != platform
                || x.status != crate::core::domain::ListingStatus::Active
            {
                continue;
            }
            active += 1;
            for (k, _) in self.claim_flags(l, x, today) {
                if k == "misleading_claim" {
                    claims += 1;
                } else {
                    marks += 1;
                }
            }
        }
        let p = self.party_ref_of(seller);
        SellerRow {
            platform: self.ids.format(NodeKind::Party, platform),
            platform_name: self.party_name(platform).to_string(),
            seller: p.id.to_string(),
            name: p.name,
            uscc: p.uscc,
            licence_state: match licence {
                None if !licence_shown => "not_shown",
                None => "missing",
                Some((_, q)) if q.kind.valid_to() < today => "expired",
                Some(_) => "valid",
            },
            licence_valid_to: licence.map(|(_, q)| fmt_day(q.kind.valid_to())),
            licence_review: licence.map(|(_, q)| {
                q.review
                    .as_ref()
                    .map_or("unreviewed", |r| r.result.as_str())
            }),
            check_state,
            last_check: last.map(|c| fmt_time(c.checked_at)),
            next_due: last.map(|c| fmt_day(c.next_due)),
            active_listings: active,
            claim_flags: claims,
            trademark_flags: marks,
        }
    }

    /// The sellers of a platform: with a listing on it, or checked by it.
    fn sellers_of(&self, platform: NodeId) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self
            .w
            .ids_of(NodeKind::Party)
            .iter()
            .copied()
            .filter(|&p| {
                self.policy().sells_on(p, platform) || !self.checks_of(p, platform).is_empty()
            })
            .collect();
        out.sort_unstable();
        out
    }

    pub(crate) fn platform_review(
        &self,
        caller: &Caller,
        platform: NodeId,
        today: i32,
    ) -> PlatformReview {
        let rows: Vec<SellerRow> = self
            .sellers_of(platform)
            .into_iter()
            .map(|s| {
                let shown = caller.sees_all() || self.policy().sells_on(s, platform);
                self.seller_row(platform, s, today, shown)
            })
            .collect();
        let count = |f: &dyn Fn(&SellerRow) -> bool| rows.iter().filter(|r| f(r)).count() as u64;
        let covered = count(&|r| r.check_state == "current" || r.check_state == "due_soon");
        PlatformReview {
            platform: self.ids.format(NodeKind::Party, platform),
            name: self.party_name(platform).to_string(),
            sellers: rows.len() as u64,
            licence_valid: count(&|r| r.licence_state == "valid"),
            licence_expired: count(&|r| r.licence_state == "expired"),
            licence_missing: count(&|r| r.licence_state == "missing"),
            licence_unreviewed: count(&|r| r.licence_review == Some("unreviewed")),
            checks_current: covered,
            checks_overdue: count(&|r| r.check_state == "overdue"),
            checks_never: count(&|r| r.check_state == "never"),
            check_coverage: if rows.is_empty() {
                0.0
            } else {
                ((covered as f64 / rows.len() as f64) * 1000.0).round() / 1000.0
            },
            claim_flags: rows.iter().map(|r| r.claim_flags).sum(),
            trademark_flags: rows.iter().map(|r| r.trademark_flags).sum(),
            rows,
        }
    }
}

impl App {
    /// The review per platform (regulators; a platform its own).
    pub fn review(&self, caller: &Caller, q: &ReviewQuery) -> AppResult<ReviewView> {
        let platform = self.impact_scope(caller, &q.platform)?;
        let today = today(self.now());
        Ok(self.read_ctx(|cx| {
            let platforms: Vec<NodeId> = match platform {
                Some(p) => vec![p],
                None => {
                    cx.w.ids_of(NodeKind::Party)
                        .iter()
                        .copied()
                        .filter(|&p| cx.policy().party_role(p) == Some(Role::Platform))
                        .collect()
                }
            };
            ReviewView {
                platforms: platforms
                    .into_iter()
                    .map(|p| cx.platform_review(caller, p, today))
                    .collect(),
            }
        }))
    }

    /// A platform's sellers to check: never checked first, then overdue, due soon, current.
    pub fn check_queue(&self, caller: &Caller) -> AppResult<Vec<SellerRow>> {
        self.check_role(caller, &[Role::Platform], "read a seller-check queue")?;
        let me = self.acting_party(caller, "a queue is a platform's: use a platform's key")?;
        let today = today(self.now());
        Ok(self.read_ctx(|cx| {
            let mut rows = cx.platform_review(caller, me, today).rows;
            let rank = |s: &str| match s {
                "never" => 0,
                "overdue" => 1,
                "due_soon" => 2,
                _ => 3,
            };
            rows.sort_by(|a, b| {
                (rank(a.check_state), &a.next_due, &a.seller).cmp(&(
                    rank(b.check_state),
                    &b.next_due,
                    &b.seller,
                ))
            });
            rows
        }))
    }
}
