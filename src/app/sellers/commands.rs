//! The seller-file commands: qualifications entered and reviewed, seller checks recorded
//! (decided against the world, see [`command`](crate::app::command)).

use super::*;
use crate::app::command::{Command, Decision, Rejection};

/// Enter a qualification of a party; `kind` builds it from the party as the world has it.
pub(super) struct EnterQualification<F> {
    pub(super) party: String,
    pub(super) kind: F,
}

impl<F> Command for EnterQualification<F>
where
    F: Fn(&Party, &Ctx<'_>) -> AppResult<QualificationKind>,
{
    type Answer = QualificationView;

    fn decide(
        &self,
        cx: &Ctx<'_>,
        caller: &Caller,
    ) -> Result<Decision<QualificationView>, Rejection> {
        let party = cx.visible(caller, &self.party, NodeKind::Party)?;
        // Entered by the seller, a platform it sells on, or a regulator (and the operator).
        cx.policy().check_seller_file(
            caller,
            party,
            "a party's qualifications are entered by the party, a platform it sells on, or a regulator",
        )?;
        let q = Qualification {
            party: Id::new(party),
            kind: (self.kind)(cx.party(party)?, cx)?,
            entered_by: caller.party.map(Id::new),
            created_at: cx.now,
            review: None,
        };
        let view = cx.qualification_view(cx.id, &q, today(cx.now));
        Ok(Decision::record(
            EventBody::Created {
                id: cx.id,
                record: Record::Qualification(q),
            },
            Some(party),
            view,
        ))
    }
}

/// A regulator's review of a qualification.
pub(super) struct ReviewQualification {
    pub(super) qualification: String,
    pub(super) result: ReviewResult,
    pub(super) note: String,
}

impl Command for ReviewQualification {
    type Answer = QualificationView;

    fn decide(
        &self,
        cx: &Ctx<'_>,
        caller: &Caller,
    ) -> Result<Decision<QualificationView>, Rejection> {
        let n = cx.visible(caller, &self.qualification, NodeKind::Qualification)?;
        cx.policy()
            .check_role(caller, &[Role::Regulator], "review qualifications")?;
        let Record::Qualification(q) = cx.record(n)? else {
            return Err(AppError::Internal("not a qualification".into()));
        };
        let review = Review {
            result: self.result,
            note: self.note.clone(),
            by: caller.party.map(Id::new),
            at: cx.now,
        };
        let mut after = q.clone();
        after.review = Some(review.clone());
        let view = cx.qualification_view(n, &after, today(cx.now));
        Ok(Decision::record(
            EventBody::QualificationReviewed {
                qualification: Id::new(n),
                review,
            },
            Some(q.party.raw()),
            view,
        ))
    }
}

/// A platform's entry check or re-check of a seller (with the licence it saw, if any).
pub(super) struct RecordCheck {
    pub(super) seller: String,
    pub(super) req: NewCheck,
    pub(super) note: String,
    pub(super) next_due: i32,
}

impl Command for RecordCheck {
    type Answer = CheckView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<CheckView>, Rejection> {
        let (req, next_due) = (&self.req, self.next_due);
        let policy = cx.policy();
        policy.check_role(caller, &[Role::Platform], "record seller checks")?;
        let platform = policy.acting_party(
            caller,
            "a check is recorded by a platform: use a platform's key",
        )?;
        let (seller, party) = cx.resolve_party(
            "seller",
            &self.seller,
            &[Role::Manufacturer, Role::Distributor],
            "a checked seller",
        )?;
        let licence = match &req.licence {
            Some(l) => Some(licence_kind(party, l)?),
            None => None,
        };
        let checked_at = App::time("checked_at", &req.checked_at, cx.now)?;
        if next_due < today(checked_at) {
            return Err(AppError::rule(
                "next_due",
                format!(
                    "next_due {} is before the check ({})",
                    req.next_due,
                    fmt_time(checked_at)
                ),
            ));
        }
        let check = SellerCheck {
            seller: Id::new(seller),
            platform: Id::new(platform),
            kind: req.kind,
            result: req.result,
            checked_at,
            next_due,
            note: self.note.clone(),
            created_at: cx.now,
        };
        let mut view = cx.check_view(cx.id, &check);
        let body = match &licence {
            None => EventBody::Created {
                id: cx.id,
                record: Record::Check(check),
            },
            Some(kind) => {
                let q = Qualification {
                    party: Id::new(seller),
                    kind: kind.clone(),
                    entered_by: Some(Id::new(platform)),
                    created_at: cx.now,
                    review: None,
                };
                view.licence = Some(cx.qualification_view(cx.id + 1, &q, today(cx.now)));
                EventBody::CreatedMany {
                    records: vec![
                        (cx.id, Record::Check(check)),
                        (cx.id + 1, Record::Qualification(q)),
                    ],
                }
            }
        };
        Ok(Decision::record(body, Some(platform), view))
    }
}
