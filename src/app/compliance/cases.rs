//! Cases and clues between bureaus: opening, transfers, invitations, notes.

use super::*;
use crate::core::domain::Id;

impl App {
    pub(crate) fn bureau(&self, field: &str, s: &str) -> AppResult<NodeId> {
        Ok(self
            .resolve_party(field, s, &[Role::Regulator], "a bureau")?
            .0)
    }

    pub fn create_case(&self, caller: &Caller, req: NewCase) -> AppResult<CaseView> {
        self.check_role(caller, &[Role::Regulator], "open cases")?;
        let opened_by = self.bureau("opened_by", &req.opened_by)?;
        self.check_act_for(caller, opened_by, "open a case")?;
        let title = clean_text("title", &req.title, 300).map_err(|e| AppError::rule("title", e))?;
        if req.subjects.len() > MAX_ITEMS {
            return Err(AppError::rule(
                "subjects",
                format!("at most {MAX_ITEMS} subjects"),
            ));
        }
        let mut subjects = Vec::new();
        for (i, s) in req.subjects.iter().enumerate() {
            match self.ids.parse(s) {
                Some((k, n)) if self.store.meta(n).map(|m| m.kind) == Some(k) => subjects.push(n),
                _ => {
                    return Err(AppError::not_found(
                        format!("subjects[{i}]"),
                        format!("no node with id '{}'", trunc(s)),
                    ))
                }
            }
        }
        // The other bureaus named are invited; each works on the case once it accepts.
        let mut invited = Vec::new();
        for (i, b) in req.bureaus.iter().enumerate() {
            let b = self.bureau(&format!("bureaus[{i}]"), b)?;
            if b != opened_by && !invited.contains(&b) {
                invited.push(b);
            }
        }
        if req.kind == Some(CaseKind::Complaint) {
            return Err(AppError::rule(
                "kind",
                "complaint cases are opened by consumers' complaints (POST /api/v1/complaints) only",
            ));
        }
        let kind = req.kind.unwrap_or(if invited.is_empty() {
            CaseKind::Case
        } else {
            CaseKind::Joint
        });
        if kind == CaseKind::Joint && invited.is_empty() {
            return Err(AppError::rule(
                "bureaus",
                "a joint case names at least one other bureau",
            ));
        }
        let note = req.note.trim().to_string();
        self.write(caller, |cx| {
            let (id, now) = (cx.id, cx.now);
            let c = Case {
                title: title.clone(),
                kind,
                opened_by: Id::new(opened_by),
                holder: Id::new(opened_by),
                bureaus: vec![Id::new(opened_by)],
                invited: invited.clone().into_iter().map(Id::new).collect(),
                subjects: subjects.clone(),
                status: CaseStatus::Open,
                timeline: vec![CaseEntry {
                    at: now,
                    by: Some(Id::new(opened_by)),
                    step: CaseStep::Opened,
                    note: note.clone(),
                }],
                created_at: now,
            };
            let view = CaseView::new(cx, id, &c);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Case(c),
                },
                Some(opened_by),
                view,
            ))
        })
    }

    pub(crate) fn case(&self, n: NodeId) -> AppResult<Case> {
        match self.load(n)? {
            Record::Case(c) => Ok(c),
            _ => Err(AppError::Internal("not a case".into())),
        }
    }

    pub fn get_case(&self, caller: &Caller, id: &str) -> AppResult<CaseView> {
        let n = self.visible(caller, id, NodeKind::Case)?;
        let c = self.case(n)?;
        Ok(self.read_ctx(|cx| CaseView::new(cx, n, &c)))
    }

    /// Moves a case to another bureau's inbox: by a bureau working on it.
    pub fn transfer_case(&self, caller: &Caller, id: &str, req: Transfer) -> AppResult<CaseView> {
        let n = self.visible(caller, id, NodeKind::Case)?;
        let to = self.bureau("to", &req.to)?;
        let note = req.note.trim().to_string();
        if note.chars().count() > 4000 {
            return Err(AppError::rule("note", "note has more than 4000 characters"));
        }
        self.write(caller, |cx| {
            let now = cx.now;
            let c = cx.case(n)?.clone();
            cx.policy()
                .check_case_member(caller, &c, false)
                .map_err(|d| d.into_error(|| crate::app::unknown_id(None, "case", id)))?;
            if c.holder == Id::new(to) {
                return Err(AppError::rule(
                    "to",
                    "the case is already held by that bureau",
                ));
            }
            if c.status == CaseStatus::Closed {
                return Err(AppError::rule("to", "a closed case is not transferred"));
            }
            let entry = CaseEntry {
                at: now,
                by: caller.party.or(Some(c.holder.raw())).map(Id::new),
                step: CaseStep::Transferred {
                    from: c.holder,
                    to: Id::new(to),
                },
                note: note.clone(),
            };
            let holder = c.holder;
            let view = cx.case_after(n, c, &entry);
            Ok((
                EventBody::CaseUpdated {
                    case: Id::new(n),
                    entry,
                },
                Some(holder.raw()),
                view,
            ))
        })
    }

    /// A note, a status change, an invitation (`join` naming another bureau) or an
    /// acceptance (`join` naming the invited bureau itself), by a bureau on the case.
    pub fn note_case(&self, caller: &Caller, id: &str, req: CaseNote) -> AppResult<CaseView> {
        let n = self.visible(caller, id, NodeKind::Case)?;
        let join = match &req.join {
            Some(b) => Some(self.bureau("join", b)?),
            None => None,
        };
        let note = req.note.trim().to_string();
        if note.chars().count() > 4000 {
            return Err(AppError::rule("note", "note has more than 4000 characters"));
        }
        if note.is_empty() && req.status.is_none() && join.is_none() {
            return Err(AppError::rule(
                "note",
                "give a note, a status or a bureau to join",
            ));
        }
        self.write(caller, |cx| {
            let now = cx.now;
            let c = cx.case(n)?.clone();
            let accepting = join.is_some() && join == caller.party;
            cx.policy()
                .check_case_member(caller, &c, accepting)
                .map_err(|d| d.into_error(|| crate::app::unknown_id(None, "case", id)))?;
            let step = match (join, req.status) {
                (Some(b), _) if c.bureaus.contains(&Id::new(b)) => {
                    return Err(AppError::rule(
                        "join",
                        "that bureau already works on the case",
                    ))
                }
                (Some(b), _)
                    if accepting || (caller.operator && c.invited.contains(&Id::new(b))) =>
                {
                    CaseStep::Joined { bureau: Id::new(b) }
                }
                (Some(b), _) => CaseStep::Invited { bureau: Id::new(b) },
                (None, Some(s)) => CaseStep::Status(s),
                (None, None) => CaseStep::Noted,
            };
            let entry = CaseEntry {
                at: now,
                by: caller.party.map(Id::new),
                step,
                note: note.clone(),
            };
            let view = cx.case_after(n, c, &entry);
            Ok((
                EventBody::CaseUpdated {
                    case: Id::new(n),
                    entry,
                },
                caller.party,
                view,
            ))
        })
    }

    pub fn list_cases(&self, caller: &Caller, q: &CasesQuery) -> AppResult<Vec<CaseView>> {
        self.check_role(caller, &[Role::Regulator], "read cases")?;
        let holder = match &q.holder {
            Some(h) => Some(self.bureau("holder", h)?),
            None => None,
        };
        let mut out = Vec::new();
        for c in self.store.ids_of(NodeKind::Case) {
            let Some(m) = self.store.meta(c) else {
                continue;
            };
            if holder.is_some_and(|h| h != m.a) || q.status.is_some_and(|s| s as u8 != m.flag) {
                continue;
            }
            let case = self.case(c)?;
            out.push(self.read_ctx(|cx| CaseView::new(cx, c, &case)));
        }
        Ok(out)
    }
}
