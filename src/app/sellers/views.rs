//! A seller's qualifications and checks as a caller may see them, and the lookups the
//! other seller views share (a party's qualifications, licence, checks and platforms).

use super::*;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReviewView {
    pub result: &'static str,
    pub note: String,
    pub by: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QualificationView {
    pub id: String,
    pub party: String,
    /// `licence`, `trademark` or `certificate`.
    pub kind: &'static str,
    #[serde(flatten)]
    pub fields: QualificationFields,
    /// `valid` or `expired` (today, China time).
    pub state: &'static str,
    /// `unreviewed`, `confirmed` or `rejected`.
    pub review_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewView>,
    pub entered_by: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum QualificationFields {
    Licence {
        uscc: String,
        name: String,
        scope: String,
        valid_from: String,
        valid_to: String,
    },
    Trademark {
        reg_no: String,
        mark: String,
        class: u8,
        valid_to: String,
        authorised: Vec<String>,
    },
    Certificate {
        certificate: String,
        number: String,
        body: String,
        valid_to: String,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckView {
    pub id: String,
    pub seller: String,
    pub platform: String,
    pub kind: &'static str,
    pub result: &'static str,
    pub checked_at: String,
    pub next_due: String,
    pub note: String,
    pub created_at: String,
    /// The licence recorded with this check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence: Option<QualificationView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QualificationsView {
    pub party: PartyRef,
    /// The current licence (the newest not rejected), and its state.
    pub licence: Option<QualificationView>,
    /// `valid`, `expired` or `missing`.
    pub licence_state: &'static str,
    /// Marks it holds, and marks it is authorised to use (a collective mark's members).
    pub trademarks: Vec<QualificationView>,
    pub certificates: Vec<QualificationView>,
    /// The latest check by each platform.
    pub checks: Vec<CheckView>,
    /// Every qualification entered, newest first.
    pub history: Vec<QualificationView>,
}

impl<'w> Ctx<'w> {
    pub(crate) fn qualification_view(
        &self,
        id: NodeId,
        q: &Qualification,
        today: i32,
    ) -> QualificationView {
        let fields = match &q.kind {
            QualificationKind::Licence {
                uscc,
                name,
                scope,
                valid_from,
                valid_to,
            } => QualificationFields::Licence {
                uscc: uscc.to_string(),
                name: name.clone(),
                scope: scope.clone(),
                valid_from: fmt_day(*valid_from),
                valid_to: fmt_day(*valid_to),
            },
            QualificationKind::Trademark {
                reg_no,
                mark,
                class,
                valid_to,
                authorised,
            } => QualificationFields::Trademark {
                reg_no: reg_no.clone(),
                mark: mark.clone(),
                class: *class,
                valid_to: fmt_day(*valid_to),
                authorised: authorised.iter().map(|p| self.ids.id(*p)).collect(),
            },
            QualificationKind::Certificate {
                kind,
                number,
                body,
                valid_to,
            } => QualificationFields::Certificate {
                certificate: kind.clone(),
                number: number.clone(),
                body: body.clone(),
                valid_to: fmt_day(*valid_to),
            },
        };
        QualificationView {
            id: self.ids.format(NodeKind::Qualification, id),
            party: self.ids.id(q.party),
            kind: q.kind.name(),
            fields,
            state: if q.kind.valid_to() < today {
                "expired"
            } else {
                "valid"
            },
            review_state: q
                .review
                .as_ref()
                .map_or("unreviewed", |r| r.result.as_str()),
            review: q.review.as_ref().map(|r| ReviewView {
                result: r.result.as_str(),
                note: r.note.clone(),
                by: r.by.map(|b| self.ids.id(b)),
                at: fmt_time(r.at),
            }),
            entered_by: q.entered_by.map(|p| self.ids.id(p)),
            created_at: fmt_time(q.created_at),
        }
    }

    pub(crate) fn check_view(&self, id: NodeId, c: &SellerCheck) -> CheckView {
        CheckView {
            id: self.ids.format(NodeKind::Check, id),
            seller: self.ids.id(c.seller),
            platform: self.ids.id(c.platform),
            kind: c.kind.as_str(),
            result: c.result.as_str(),
            checked_at: fmt_time(c.checked_at),
            next_due: fmt_day(c.next_due),
            note: c.note.clone(),
            created_at: fmt_time(c.created_at),
            licence: None,
        }
    }

    /// A party's qualifications (held, or a trademark it is authorised to use), oldest
    /// first.
    pub(crate) fn qualifications_of(&self, party: NodeId) -> Vec<(NodeId, &'w Qualification)> {
        self.w
            .attached(party)
            .iter()
            .filter_map(|&n| match self.w.record(n).map(|r| &**r) {
                Some(Record::Qualification(q)) => Some((n, q)),
                _ => None,
            })
            .collect()
    }

    /// The current licence of a party: the newest not rejected.
    pub(crate) fn licence_of(&self, party: NodeId) -> Option<(NodeId, &'w Qualification)> {
        self.qualifications_of(party)
            .into_iter()
            .rev()
            .find(|(_, q)| {
                q.party.raw() == party
                    && matches!(q.kind, QualificationKind::Licence { .. })
                    && !q
                        .review
                        .as_ref()
                        .is_some_and(|r| r.result == ReviewResult::Rejected)
            })
    }

    /// The checks of a seller by one platform, oldest first.
    pub(crate) fn checks_of(
        &self,
        seller: NodeId,
        platform: NodeId,
    ) -> Vec<(NodeId, &'w SellerCheck)> {
        self.w
            .attached(seller)
            .iter()
            .filter_map(|&n| match self.w.record(n).map(|r| &**r) {
                Some(Record::Check(c))
                    if c.seller.raw() == seller && c.platform.raw() == platform =>
                {
                    Some((n, c))
                }
                _ => None,
            })
            .collect()
    }

    /// The platforms a seller has listings on.
    pub(crate) fn platforms_of(&self, seller: NodeId) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self
            .w
            .listings_of(seller)
            .iter()
            .filter_map(|&l| self.w.meta(l).map(|m| m.a))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
