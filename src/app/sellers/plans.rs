//! Sampling plans (质量监督抽查, 联查联动): a bureau drafts a plan for a period, product
//! categories and a quota per bureau, shared with its partner bureaus (Xuzhou and Suqian
//! co-own a joint plan); boardtrail proposes candidate listings ranked by risk, each with its
//! reasons; inspections taken under the plan count as each bureau's progress.

use super::*;
use crate::app::command::{Command, Decision, Rejection};
use crate::core::domain::{PlanSample, SamplingPlan, Verdict};

/// Most owners of a plan.
pub const MAX_OWNERS: usize = 20;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PeriodIn {
    /// `{"from": "2026-10-01", "to": "2026-12-31"}`.
    Range { from: String, to: String },
    /// An ISO 8601 interval of dates: `2026-10-01/2026-12-31`.
    Interval(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum QuotaIn {
    /// The same number of samples for every owner.
    Each(u32),
    /// Samples per owner: `{"pty_…": 10, …}`.
    Per(BTreeMap<String, u32>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub title: String,
    pub period: PeriodIn,
    pub owners: Vec<String>,
    pub quota: QuotaIn,
    #[serde(default)]
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BureauProgress {
    pub bureau: String,
    pub name: String,
    pub quota: u32,
    pub taken: u64,
    pub passed: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlanView {
    pub id: String,
    pub title: String,
    pub period: String,
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub owners: Vec<String>,
    pub progress: Vec<BureauProgress>,
    /// The inspections taken under the plan.
    pub inspections: Vec<String>,
    pub created_by: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Candidate {
    pub listing: String,
    pub title: String,
    pub platform: String,
    pub seller: String,
    pub product: String,
    pub score: f64,
    /// Why, term by term (Chinese, then English).
    pub reason: String,
    pub failed_upstream: u64,
    pub suspect_upstream: u64,
    pub complaints: u64,
    pub claim_flags: u64,
    pub pieces_sold: u64,
    /// Days since it (or a batch it sells) was last sampled; none if never.
    pub days_since_sampled: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Candidates {
    pub plan: String,
    /// How the score is made.
    pub formula: &'static str,
    pub candidates: Vec<Candidate>,
}

pub const RISK_FORMULA: &str = "score = 5 × failed inspections upstream or of it + 3 × suspect marks upstream + 3 × complaints + 4 × claim flags + log2(1 + pieces sold) + min(days since last sampled, 365) ÷ 30 (never sampled: 365 ÷ 30)";

impl<'w> Ctx<'w> {
    pub(crate) fn plan(&self, id: NodeId) -> AppResult<&'w SamplingPlan> {
        match self.record(id)? {
            Record::Plan(p) => Ok(p),
            _ => Err(AppError::Internal(format!("{id} is not a plan"))),
        }
    }

    pub(crate) fn plan_view(&self, id: NodeId, p: &SamplingPlan) -> PlanView {
        let mut per: BTreeMap<NodeId, (u64, u64, u64)> = BTreeMap::new();
        let mut inspections = Vec::new();
        for &n in self.w.attached(id) {
            if let Some(Record::PlanSample(s)) = self.w.record(n).map(|r| &**r) {
                if s.plan.raw() != id {
                    continue;
                }
                inspections.push(self.ids.id(s.inspection));
                let e = per.entry(s.bureau.raw()).or_default();
                e.0 += 1;
                if let Some(Record::Inspection(i)) = self.w.record(s.inspection.raw()).map(|r| &**r)
                {
                    if i.verdict == Verdict::Pass {
                        e.1 += 1;
                    } else {
                        e.2 += 1;
                    }
                }
            }
        }
        PlanView {
            id: self.ids.format(NodeKind::Plan, id),
            title: p.title.clone(),
            period: format!("{}/{}", fmt_day(p.period_from), fmt_day(p.period_to)),
            from: fmt_day(p.period_from),
            to: fmt_day(p.period_to),
            categories: p.categories.clone(),
            owners: p.quota.iter().map(|(b, _)| self.ids.id(*b)).collect(),
            progress: p
                .quota
                .iter()
                .map(|(b, q)| {
                    let (taken, passed, failed) = per.get(&b.raw()).copied().unwrap_or_default();
                    BureauProgress {
                        bureau: self.ids.id(*b),
                        name: self.party_name(b.raw()).to_string(),
                        quota: *q,
                        taken,
                        passed,
                        failed,
                    }
                })
                .collect(),
            inspections,
            created_by: p.created_by.map(|b| self.ids.id(b)),
            created_at: fmt_time(p.created_at),
        }
    }

    /// Active listings of the plan's categories, ranked by risk (highest first).
    pub(crate) fn candidates(&self, p: &SamplingPlan, today: i32, limit: usize) -> Vec<Candidate> {
        let mut out = Vec::new();
        for &party in self.w.ids_of(NodeKind::Party) {
            for &l in self.w.listings_of(party) {
                let Some(Record::Listing(x)) = self.w.record(l).map(|r| &**r) else {
                    continue;
                };
                if x.status != crate::core::domain::ListingStatus::Active {
                    continue;
                }
                let products: Vec<&str> = x
                    .batches
                    .iter()
                    .filter_map(|b| match self.w.record(b.raw()).map(|r| &**r) {
                        Some(Record::Batch(b)) => Some(b.product.name.as_str()),
                        _ => None,
                    })
                    .collect();
                let hit = p.categories.is_empty()
                    || p.categories.iter().any(|c| {
                        x.title.contains(c.as_str())
                            || products.iter().any(|n| n.contains(c.as_str()))
                    });
                if hit {
                    out.push(self.candidate(l, x, &products, today));
                }
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.listing.cmp(&b.listing)));
        out.truncate(limit);
        out
    }

    fn candidate(&self, l: NodeId, x: &Listing, products: &[&str], today: i32) -> Candidate {
        let reach = self.w.upstream(l);
        let (mut failed, mut suspect, mut complaints) = (0u64, 0u64, 0u64);
        let mut last_sampled: Option<i64> = None;
        for &n in &reach.nodes {
            for &a in self.w.attached(n) {
                match self.w.record(a).map(|r| &**r) {
                    Some(Record::Inspection(i)) => {
                        failed += u64::from(i.verdict == Verdict::Fail);
                        if self.kind_of(n) != NodeKind::Lot {
                            last_sampled =
                                Some(last_sampled.map_or(i.sampled_at, |t| t.max(i.sampled_at)));
                        }
                    }
                    Some(Record::Complaint(_)) => complaints += 1,
                    _ => {}
                }
            }
            suspect += self.w.marks(n).len() as u64;
        }
        let claim_flags = self.claim_flags(l, x, today).len() as u64;
        let pieces: u64 = self.sales_of(l).map(|(_, s)| u64::from(s.pieces)).sum();
        let days =
            last_sampled.map(|t| (i64::from(today) - i64::from(super::today(t))).max(0) as u64);
        let age = days.unwrap_or(365).min(365) as f64 / 30.0;
        let score = 5.0 * failed as f64
            + 3.0 * suspect as f64
            + 3.0 * complaints as f64
            + 4.0 * claim_flags as f64
            + (1.0 + pieces as f64).log2()
            + age;
        let mut why = Vec::new();
        if failed > 0 {
            why.push(format!(
                "不合格检验 {failed} failed inspection(s) upstream or of it"
            ));
        }
        if suspect > 0 {
            why.push(format!("可疑标记 {suspect} suspect mark(s) upstream"));
        }
        if complaints > 0 {
            why.push(format!("投诉 {complaints} complaint(s)"));
        }
        if claim_flags > 0 {
            why.push(format!("宣称存疑 {claim_flags} claim flag(s)"));
        }
        if pieces > 0 {
            why.push(format!("已售 {pieces} piece(s) sold"));
        }
        why.push(match days {
            None => "从未抽检 never sampled".to_string(),
            Some(d) => format!("{d} 天前抽检 last sampled {d} day(s) ago"),
        });
        Candidate {
            listing: self.ids.format(NodeKind::Listing, l),
            title: x.title.clone(),
            platform: self.ids.id(x.platform),
            seller: self.ids.id(x.seller),
            product: products.first().copied().unwrap_or_default().to_string(),
            score: (score * 100.0).round() / 100.0,
            reason: why.join("; "),
            failed_upstream: failed,
            suspect_upstream: suspect,
            complaints,
            claim_flags,
            pieces_sold: pieces,
            days_since_sampled: days,
        }
    }

    /// The plan an inspection is taken under, checked: the sampler owns the plan and the
    /// sample falls in its period.
    pub(crate) fn plan_sample(
        &self,
        plan: NodeId,
        sampled_by: NodeId,
        sampled_at: i64,
        inspection: NodeId,
    ) -> AppResult<PlanSample> {
        let p = self.plan(plan)?;
        if !p.quota.iter().any(|(b, _)| b.raw() == sampled_by) {
            return Err(AppError::rule(
                "plan",
                format!(
                    "{} ({}) is not among the plan's bureaus",
                    self.ids.format(NodeKind::Party, sampled_by),
                    self.party_name(sampled_by)
                ),
            ));
        }
        let day = super::today(sampled_at);
        if day < p.period_from || day > p.period_to {
            return Err(AppError::rule(
                "plan",
                format!(
                    "the sample ({}) is outside the plan's period {}/{}",
                    fmt_time(sampled_at),
                    fmt_day(p.period_from),
                    fmt_day(p.period_to)
                ),
            ));
        }
        Ok(PlanSample {
            plan: Id::new(plan),
            inspection: Id::new(inspection),
            bureau: Id::new(sampled_by),
        })
    }
}

impl App {
    pub fn create_plan(&self, caller: &Caller, req: NewPlan) -> AppResult<PlanView> {
        self.execute(caller, &CreatePlan::parse(&req)?)
    }

    pub fn get_plan(&self, caller: &Caller, id: &str) -> AppResult<PlanView> {
        let n = self.visible(caller, id, NodeKind::Plan)?;
        self.read_ctx(|cx| Ok(cx.plan_view(n, cx.plan(n)?)))
    }

    pub fn list_plans(&self, caller: &Caller) -> AppResult<Vec<PlanView>> {
        self.check_role(caller, &[Role::Regulator], "read sampling plans")?;
        Ok(self.read_ctx(|cx| {
            cx.w.ids_of(NodeKind::Plan)
                .iter()
                .rev()
                .filter_map(|&n| cx.plan(n).ok().map(|p| cx.plan_view(n, p)))
                .collect()
        }))
    }

    pub fn plan_candidates(
        &self,
        caller: &Caller,
        id: &str,
        limit: Option<usize>,
    ) -> AppResult<Candidates> {
        let n = self.visible(caller, id, NodeKind::Plan)?;
        let limit = limit.unwrap_or(50);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let today = today(self.now());
        self.read_ctx(|cx| {
            let p = cx.plan(n)?;
            Ok(Candidates {
                plan: cx.ids.format(NodeKind::Plan, n),
                formula: RISK_FORMULA,
                candidates: cx.candidates(p, today, limit),
            })
        })
    }
}

/// Draft a sampling plan.
struct CreatePlan {
    title: String,
    period_from: i32,
    period_to: i32,
    /// The owning bureaus as named, with their quotas.
    owners: Vec<(String, u32)>,
    categories: Vec<String>,
}

impl CreatePlan {
    fn parse(req: &NewPlan) -> AppResult<CreatePlan> {
        let title = clean_text("title", &req.title, 200).map_err(|e| AppError::rule("title", e))?;
        let (from, to) = match &req.period {
            PeriodIn::Range { from, to } => (from.clone(), to.clone()),
            PeriodIn::Interval(s) => match s.split_once('/') {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => return Err(AppError::bad(
                    "period",
                    "period is {\"from\": YYYY-MM-DD, \"to\": YYYY-MM-DD} or YYYY-MM-DD/YYYY-MM-DD",
                )),
            },
        };
        let period_from = parse_day(&from).map_err(|e| AppError::bad("period", e.to_string()))?;
        let period_to = parse_day(&to).map_err(|e| AppError::bad("period", e.to_string()))?;
        if period_to < period_from || period_to - period_from > 731 {
            return Err(AppError::rule(
                "period",
                format!("the period {from}/{to} must end after it starts, within two years"),
            ));
        }
        if req.owners.is_empty() || req.owners.len() > MAX_OWNERS {
            return Err(AppError::rule(
                "owners",
                format!("a plan has 1 to {MAX_OWNERS} owning bureaus"),
            ));
        }
        let mut owners = Vec::with_capacity(req.owners.len());
        for o in &req.owners {
            let n = match &req.quota {
                QuotaIn::Each(n) => *n,
                QuotaIn::Per(m) => *m.get(o).ok_or_else(|| {
                    AppError::rule("quota", format!("quota names no number of samples for {o}"))
                })?,
            };
            if n == 0 || n > 100_000 {
                return Err(AppError::rule(
                    "quota",
                    format!("a quota is 1 to 100000 samples (got {n} for {o})"),
                ));
            }
            owners.push((o.clone(), n));
        }
        if let QuotaIn::Per(m) = &req.quota {
            if let Some(extra) = m.keys().find(|k| !req.owners.contains(k)) {
                return Err(AppError::rule(
                    "quota",
                    format!("quota names {} which is not an owner", trunc(extra)),
                ));
            }
        }
        let categories = req
            .categories
            .iter()
            .map(|c| clean_text("categories", c, 50).map_err(|e| AppError::rule("categories", e)))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(CreatePlan {
            title,
            period_from,
            period_to,
            owners,
            categories,
        })
    }
}

impl Command for CreatePlan {
    type Answer = PlanView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<PlanView>, Rejection> {
        cx.policy()
            .check_role(caller, &[Role::Regulator], "draft sampling plans")?;
        let mut quota: Vec<(Id<Party>, u32)> = Vec::with_capacity(self.owners.len());
        for (i, (o, n)) in self.owners.iter().enumerate() {
            let (b, _) = cx.resolve_party(
                &format!("owners[{i}]"),
                o,
                &[Role::Regulator],
                "a plan's owner",
            )?;
            if !quota.iter().any(|(x, _)| x.raw() == b) {
                quota.push((Id::new(b), *n));
            }
        }
        if !caller.operator && !quota.iter().any(|(b, _)| caller.party == Some(b.raw())) {
            return Err(AppError::rule(
                "owners",
                "the bureau drafting a plan is one of its owners",
            ));
        }
        let p = SamplingPlan {
            title: self.title.clone(),
            period_from: self.period_from,
            period_to: self.period_to,
            categories: self.categories.clone(),
            quota,
            created_by: caller.party.map(Id::new),
            created_at: cx.now,
        };
        let view = cx.plan_view(cx.id, &p);
        Ok(Decision::record(
            EventBody::Created {
                id: cx.id,
                record: Record::Plan(p),
            },
            caller.party,
            view,
        ))
    }
}
