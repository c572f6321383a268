//! Flags: sellers (and their active listings) whose licence has expired, whose re-check by a
//! platform is overdue or who never passed that platform's entry check; listings whose
//! claims the boards behind them do not bear out (`claim_rules`), or that use a trademark
//! their seller has no right to. Computed from the world as it is today, each with its
//! evidence; regulators act on one with an action (on the listing) or a case.

use super::*;
use crate::app::command::{Command, Decision, Rejection};
use crate::claim_rules::{class_claim, class_meets, is_board, material_claim};
use crate::core::domain::{ListingClaims, ListingStatus};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsIn {
    #[serde(default)]
    pub formaldehyde_class: Option<String>,
    #[serde(default)]
    pub material: Option<String>,
    #[serde(default)]
    pub trademark: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClaimsView {
    pub listing: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formaldehyde_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub material: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trademark: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FlagsQuery {
    pub platform: Option<String>,
    pub kind: Option<String>,
    /// `csv` for a spreadsheet.
    pub format: Option<String>,
}

pub const FLAG_KINDS: [&str; 5] = [
    "licence_expired",
    "check_overdue",
    "no_entry_check",
    "misleading_claim",
    "trademark_unauthorised",
];

/// One piece of evidence: what it is, its id where it is a record, and what it says.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evidence {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Flag {
    pub kind: &'static str,
    pub platform: String,
    /// The seller flagged, or the seller of the listing flagged.
    pub party: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FlagList {
    pub total: u64,
    pub by_kind: BTreeMap<&'static str, u64>,
    pub flags: Vec<Flag>,
}

/// What the flags of one seller on one platform are about, without the listings.
pub(crate) struct SellerState {
    pub licence_expired: Option<Evidence>,
    pub check_overdue: Option<Evidence>,
    pub no_entry_check: Option<Evidence>,
}

impl<'w> Ctx<'w> {
    /// The newest claims of a listing.
    pub(crate) fn claims_of(&self, listing: NodeId) -> Option<(NodeId, &'w ListingClaims)> {
        self.w
            .attached(listing)
            .iter()
            .rev()
            .find_map(|&n| match self.w.record(n).map(|r| &**r) {
                Some(Record::Claims(c)) if c.listing.raw() == listing => Some((n, c)),
                _ => None,
            })
    }

    pub(crate) fn claims_view(&self, c: &ListingClaims) -> ClaimsView {
        ClaimsView {
            listing: self.ids.id(c.listing),
            formaldehyde_class: c.formaldehyde_class.clone(),
            material: c.material.clone(),
            trademark: c.trademark.clone(),
            created_at: fmt_time(c.created_at),
        }
    }

    /// A seller's standing with one platform today: licence, re-check, entry check.
    pub(crate) fn seller_state(&self, seller: NodeId, platform: NodeId, today: i32) -> SellerState {
        let licence_expired = self.licence_of(seller).and_then(|(n, q)| {
            (q.kind.valid_to() < today).then(|| Evidence {
                kind: "licence",
                id: Some(self.ids.format(NodeKind::Qualification, n)),
                detail: format!("营业执照 licence valid to {}", fmt_day(q.kind.valid_to())),
            })
        });
        let checks = self.checks_of(seller, platform);
        let entry_passed = checks
            .iter()
            .any(|(_, c)| c.kind == CheckKind::Entry && c.result == CheckResult::Pass);
        let no_entry_check = (!entry_passed).then(|| Evidence {
            kind: "check",
            id: None,
            detail: format!(
                "no passed entry check (准入查验) by {}",
                self.party_name(platform)
            ),
        });
        let check_overdue = checks.last().and_then(|(n, c)| {
            (c.next_due < today).then(|| Evidence {
                kind: "check",
                id: Some(self.ids.format(NodeKind::Check, *n)),
                detail: format!(
                    "last {} check on {}, next due {}",
                    c.kind.as_str(),
                    fmt_time(c.checked_at),
                    fmt_day(c.next_due)
                ),
            })
        });
        SellerState {
            licence_expired,
            check_overdue,
            no_entry_check,
        }
    }

    /// The board lots upstream of a listing.
    fn board_lots(&self, listing: NodeId) -> Vec<(NodeId, &'w crate::core::domain::Lot)> {
        self.w
            .upstream(listing)
            .nodes
            .into_iter()
            .filter_map(|n| match self.w.record(n).map(|r| &**r) {
                Some(Record::Lot(l)) if is_board(l.material) => Some((n, l)),
                _ => None,
            })
            .collect()
    }

    /// The claims review of one listing: misleading claims and unauthorised trademarks,
    /// each with its evidence.
    pub(crate) fn claim_flags(
        &self,
        listing: NodeId,
        l: &Listing,
        today: i32,
    ) -> Vec<(&'static str, Vec<Evidence>)> {
        let claims = self.claims_of(listing).map(|(_, c)| c);
        let mut out = Vec::new();
        let texts: Vec<(String, &str)> = [
            claims
                .and_then(|c| c.formaldehyde_class.clone())
                .map(|t| (t, "claims.formaldehyde_class")),
            claims
                .and_then(|c| c.material.clone())
                .map(|t| (t, "claims.material")),
            Some((l.title.clone(), "title")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let class = texts
            .iter()
            .find_map(|(t, from)| class_claim(t).map(|c| (c, t, *from)));
        let material = texts
            .iter()
            .find_map(|(t, from)| material_claim(t).map(|c| (c, t, *from)));
        if class.is_some() || material.is_some() {
            let lots = self.board_lots(listing);
            if let Some((rule, text, from)) = class {
                let bad: Vec<Evidence> = lots
                    .iter()
                    .filter(|(_, lot)| !class_meets(lot.formaldehyde_class, rule.requires))
                    .map(|(n, lot)| Evidence {
                        kind: "lot",
                        id: Some(self.ids.format(NodeKind::Lot, *n)),
                        detail: format!(
                            "{from} '{text}' claims {} ({}); lot {} ({}, {}) is declared {}",
                            rule.requires.as_str(),
                            rule.source,
                            lot.lot_code,
                            lot.material.as_str(),
                            self.party_name(lot.producer.raw()),
                            lot.formaldehyde_class.as_str()
                        ),
                    })
                    .collect();
                if !bad.is_empty() {
                    out.push(("misleading_claim", bad));
                }
            }
            if let Some((rule, text, from)) = material {
                let bad: Vec<Evidence> = lots
                    .iter()
                    .filter(|(_, lot)| !rule.allows.contains(&lot.material))
                    .map(|(n, lot)| Evidence {
                        kind: "lot",
                        id: Some(self.ids.format(NodeKind::Lot, *n)),
                        detail: format!(
                            "{from} '{text}' claims {}; lot {} ({}) is {}",
                            rule.name,
                            lot.lot_code,
                            self.party_name(lot.producer.raw()),
                            lot.material.as_str()
                        ),
                    })
                    .collect();
                if !bad.is_empty() {
                    out.push(("misleading_claim", bad));
                }
            }
        }
        // Trademarks: the one claimed, and every registered mark the title uses.
        let seller = l.seller;
        let mut marks: Vec<(String, &str)> = Vec::new();
        if let Some(t) = claims.and_then(|c| c.trademark.clone()) {
            marks.push((t, "claims.trademark"));
        }
        for &q in self.w.ids_of(NodeKind::Qualification) {
            if let Some(Record::Qualification(x)) = self.w.record(q).map(|r| &**r) {
                if let QualificationKind::Trademark { mark, .. } = &x.kind {
                    if l.title.contains(mark.as_str()) && !marks.iter().any(|(m, _)| m == mark) {
                        marks.push((mark.clone(), "title"));
                    }
                }
            }
        }
        for (mark, from) in marks {
            let regs: Vec<(NodeId, &Qualification)> = self
                .w
                .ids_of(NodeKind::Qualification)
                .iter()
                .filter_map(|&q| match self.w.record(q).map(|r| &**r) {
                    Some(Record::Qualification(x))
                        if matches!(&x.kind, QualificationKind::Trademark { mark: m, .. } if m.eq_ignore_ascii_case(&mark))
                            && !x.review.as_ref().is_some_and(|r| r.result == ReviewResult::Rejected) =>
                    {
                        Some((q, x))
                    }
                    _ => None,
                })
                .collect();
            let entitled = regs.iter().any(|(_, x)| match &x.kind {
                QualificationKind::Trademark {
                    valid_to,
                    authorised,
                    ..
                } => *valid_to >= today && (x.party == seller || authorised.contains(&seller)),
                _ => false,
            });
            if entitled {
                continue;
            }
            let evidence = if regs.is_empty() {
                vec![Evidence {
                    kind: "trademark",
                    id: None,
                    detail: format!(
                        "{from} uses the mark '{mark}'; no registration of it is recorded"
                    ),
                }]
            } else {
                regs.iter()
                    .map(|(q, x)| {
                        let (reg_no, valid_to, members) = match &x.kind {
                            QualificationKind::Trademark { reg_no, valid_to, authorised, .. } => {
                                (reg_no.clone(), *valid_to, authorised.len())
                            }
                            _ => (String::new(), 0, 0),
                        };
                        Evidence {
                            kind: "trademark",
                            id: Some(self.ids.format(NodeKind::Qualification, *q)),
                            detail: format!(
                                "{from} uses the mark '{mark}' (reg. {reg_no}, held by {}, {members} authorised, valid to {}); the seller {} is neither its holder nor authorised{}",
                                self.party_name(x.party.raw()),
                                fmt_day(valid_to),
                                self.party_name(seller.raw()),
                                if valid_to < today { ", and the registration has expired" } else { "" }
                            ),
                        }
                    })
                    .collect()
            };
            out.push(("trademark_unauthorised", evidence));
        }
        out
    }

    /// Every flag today, optionally of one platform and one kind, sorted by platform,
    /// party, listing.
    pub(crate) fn flags(
        &self,
        platform: Option<NodeId>,
        kind: Option<&str>,
        today: i32,
    ) -> Vec<Flag> {
        let want = |k: &str| kind.is_none_or(|x| x == k);
        let mut out = Vec::new();
        let mut sellers: BTreeMap<(NodeId, NodeId), Vec<(NodeId, &Listing)>> = BTreeMap::new();
        for &p in self.w.ids_of(NodeKind::Party) {
            for &l in self.w.listings_of(p) {
                let Some(Record::Listing(x)) = self.w.record(l).map(|r| &**r) else {
                    continue;
                };
                if x.status != ListingStatus::Active
                    || platform.is_some_and(|pf| pf != x.platform.raw())
                {
                    continue;
                }
                sellers
                    .entry((x.platform.raw(), p))
                    .or_default()
                    .push((l, x));
            }
        }
        for ((pf, seller), listings) in sellers {
            let state = self.seller_state(seller, pf, today);
            let party_flag = |k: &'static str, ev: &Option<Evidence>, out: &mut Vec<Flag>| {
                if let (true, Some(e)) = (want(k), ev) {
                    out.push(Flag {
                        kind: k,
                        platform: self.ids.format(NodeKind::Party, pf),
                        party: self.ids.format(NodeKind::Party, seller),
                        listing: None,
                        evidence: vec![e.clone()],
                    });
                    for (l, _) in &listings {
                        out.push(Flag {
                            kind: k,
                            platform: self.ids.format(NodeKind::Party, pf),
                            party: self.ids.format(NodeKind::Party, seller),
                            listing: Some(self.ids.format(NodeKind::Listing, *l)),
                            evidence: vec![e.clone()],
                        });
                    }
                }
            };
            party_flag("licence_expired", &state.licence_expired, &mut out);
            party_flag("check_overdue", &state.check_overdue, &mut out);
            party_flag("no_entry_check", &state.no_entry_check, &mut out);
            if want("misleading_claim") || want("trademark_unauthorised") {
                for (l, x) in &listings {
                    for (k, evidence) in self.claim_flags(*l, x, today) {
                        if want(k) {
                            out.push(Flag {
                                kind: k,
                                platform: self.ids.format(NodeKind::Party, pf),
                                party: self.ids.format(NodeKind::Party, seller),
                                listing: Some(self.ids.format(NodeKind::Listing, *l)),
                                evidence,
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

impl App {
    /// The flags of today: regulators all (or one platform's), a platform its own.
    pub fn list_flags(&self, caller: &Caller, q: &FlagsQuery) -> AppResult<FlagList> {
        let kind = match q.kind.as_deref() {
            None => None,
            Some(k) if FLAG_KINDS.contains(&k) => Some(k),
            Some(k) => {
                return Err(AppError::bad(
                    "kind",
                    format!(
                        "kind is one of {} (got '{}')",
                        FLAG_KINDS.join(", "),
                        trunc(k)
                    ),
                ))
            }
        };
        let platform = self.impact_scope(caller, &q.platform)?;
        let today = today(self.now());
        let flags = self.read_ctx(|cx| {
            let mut flags = cx.flags(platform, kind, today);
            // Evidence names only what the caller may read: a registration held by a
            // party it cannot read is told as such, without its number or terms.
            for f in &mut flags {
                for e in &mut f.evidence {
                    let hidden = e.kind == "trademark"
                        && e.id.as_deref().is_some_and(|id| {
                            cx.ids
                                .parse_kind(id, NodeKind::Qualification)
                                .is_none_or(|n| !cx.policy().can_read(caller, n))
                        });
                    if hidden {
                        // The part before the registration's number, its opening bracket
                        // written as an escape: the layout test counts brackets.
                        let used = e.detail.split(" \u{28}reg.").next().unwrap_or_default().to_string();
                        e.id = None;
                        e.detail = format!(
                            "{used}; it is registered to another party, and the seller is neither its holder nor authorised"
                        );
                    }
                }
            }
            flags
        });
        let mut by_kind = BTreeMap::new();
        for f in &flags {
            *by_kind.entry(f.kind).or_default() += 1;
        }
        Ok(FlagList {
            total: flags.len() as u64,
            by_kind,
            flags,
        })
    }

    /// Sets a listing's claims (the newest stand; the earlier stay in the log): its
    /// platform or its seller.
    pub fn set_claims(
        &self,
        caller: &Caller,
        listing: &str,
        req: ClaimsIn,
    ) -> AppResult<ClaimsView> {
        // The listing is named when the command is decided.
        let claims = claims_record(Id::new(0), &req, 0)?;
        let cmd = SetClaims {
            listing: listing.to_string(),
            claims,
        };
        self.execute(caller, &cmd)
    }

    pub fn get_claims(&self, caller: &Caller, listing: &str) -> AppResult<Option<ClaimsView>> {
        let id = self.visible(caller, listing, NodeKind::Listing)?;
        Ok(self.read_ctx(|cx| cx.claims_of(id).map(|(_, c)| cx.claims_view(c))))
    }
}

/// Set a listing's claims.
struct SetClaims {
    listing: String,
    claims: ListingClaims,
}

impl Command for SetClaims {
    type Answer = ClaimsView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<ClaimsView>, Rejection> {
        let listing = &self.listing;
        let unknown = || unknown_id(None, NodeKind::Listing.name(), listing);
        let id = cx
            .existing(listing, NodeKind::Listing)
            .ok_or_else(unknown)?;
        cx.policy()
            .check_listing_write(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        let c = ListingClaims {
            listing: Id::new(id),
            created_at: cx.now,
            ..self.claims.clone()
        };
        let view = cx.claims_view(&c);
        let platform = cx.w.meta(id).map(|m| m.a);
        Ok(Decision::record(
            EventBody::Created {
                id: cx.id,
                record: Record::Claims(c),
            },
            platform,
            view,
        ))
    }
}

/// A listing's claims from a request body.
pub(crate) fn claims_record(
    listing: Id<Listing>,
    c: &ClaimsIn,
    now: i64,
) -> AppResult<ListingClaims> {
    let text = |field: &str, v: &Option<String>| -> AppResult<Option<String>> {
        match v {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => clean_text(field, s, 100)
                .map(Some)
                .map_err(|e| AppError::rule(field, e)),
        }
    };
    Ok(ListingClaims {
        listing,
        formaldehyde_class: text("claims.formaldehyde_class", &c.formaldehyde_class)?,
        material: text("claims.material", &c.material)?,
        trademark: text("claims.trademark", &c.trademark)?,
        created_at: now,
    })
}
