//! Cases and clues between bureaus: opening, transfers, invitations, notes.

use super::*;
use crate::core::domain::Id;

impl App {
    pub(crate) fn bureau(&self, field: &str, s: &str) -> AppResult<NodeId> {
        self.read_ctx(|cx| cx.bureau(field, s))
    }

    pub fn create_case(&self, caller: &Caller, req: NewCase) -> AppResult<CaseView> {
        let title = clean_text("title", &req.title, 300).map_err(|e| AppError::rule("title", e))?;
        if req.subjects.len() > MAX_ITEMS {
            return Err(AppError::rule(
                "subjects",
                format!("at most {MAX_ITEMS} subjects"),
            ));
        }
        if req.kind == Some(CaseKind::Complaint) {
            return Err(AppError::rule(
                "kind",
                "complaint cases are opened by consumers' complaints (POST /api/v1/complaints) only",
            ));
        }
        let note = req.note.trim().to_string();
        self.execute(caller, &OpenCase { req, title, note })
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
        let note = case_note(&req.note)?;
        let cmd = TransferCase {
            case: id.to_string(),
            to: req.to,
            note,
        };
        self.execute(caller, &cmd)
    }

    /// A note, a status change, an invitation (`join` naming another bureau) or an
    /// acceptance (`join` naming the invited bureau itself), by a bureau on the case.
    pub fn note_case(&self, caller: &Caller, id: &str, req: CaseNote) -> AppResult<CaseView> {
        let note = case_note(&req.note)?;
        if note.is_empty() && req.status.is_none() && req.join.is_none() {
            return Err(AppError::rule(
                "note",
                "give a note, a status or a bureau to join",
            ));
        }
        let cmd = NoteCase {
            case: id.to_string(),
            req,
            note,
        };
        self.execute(caller, &cmd)
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

/// A case entry's note, trimmed: at most 4000 characters.
fn case_note(note: &str) -> AppResult<String> {
    let note = note.trim().to_string();
    if note.chars().count() > 4000 {
        return Err(AppError::rule("note", "note has more than 4000 characters"));
    }
    Ok(note)
}

impl Ctx<'_> {
    /// A regulator named in a command.
    pub(crate) fn bureau(&self, field: &str, s: &str) -> AppResult<NodeId> {
        Ok(self
            .resolve_party(field, s, &[Role::Regulator], "a bureau")?
            .0)
    }
}

/// A bureau opens a case (a joint one when it invites others).
struct OpenCase {
    req: NewCase,
    title: String,
    note: String,
}

impl Command for OpenCase {
    type Answer = CaseView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<CaseView>, Rejection> {
        let req = &self.req;
        cx.policy()
            .check_role(caller, &[Role::Regulator], "open cases")?;
        let opened_by = cx.bureau("opened_by", &req.opened_by)?;
        cx.policy()
            .check_act_for(caller, opened_by, "open a case")?;
        let mut subjects = Vec::new();
        for (i, s) in req.subjects.iter().enumerate() {
            match cx.ids.parse(s) {
                Some((k, n)) if cx.w.meta(n).map(|m| m.kind) == Some(k) => subjects.push(n),
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
            let b = cx.bureau(&format!("bureaus[{i}]"), b)?;
            if b != opened_by && !invited.contains(&b) {
                invited.push(b);
            }
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
        let (id, now) = (cx.id, cx.now);
        let c = Case {
            title: self.title.clone(),
            kind,
            opened_by: Id::new(opened_by),
            holder: Id::new(opened_by),
            bureaus: vec![Id::new(opened_by)],
            invited: invited.into_iter().map(Id::new).collect(),
            subjects,
            status: CaseStatus::Open,
            timeline: vec![CaseEntry {
                at: now,
                by: Some(Id::new(opened_by)),
                step: CaseStep::Opened,
                note: self.note.clone(),
            }],
            created_at: now,
        };
        let view = CaseView::new(cx, id, &c);
        let record = Record::Case(c);
        Ok(Decision::record(
            EventBody::Created { id, record },
            Some(opened_by),
            view,
        ))
    }
}

/// A bureau on a case moves it to another bureau's inbox.
struct TransferCase {
    case: String,
    to: String,
    note: String,
}

impl Command for TransferCase {
    type Answer = CaseView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<CaseView>, Rejection> {
        let n = cx.visible(caller, &self.case, NodeKind::Case)?;
        let to = cx.bureau("to", &self.to)?;
        let c = cx.case(n)?.clone();
        cx.policy()
            .check_case_member(caller, &c, false)
            .map_err(|d| d.into_error(|| crate::app::unknown_id(None, "case", &self.case)))?;
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
            at: cx.now,
            by: caller.party.or(Some(c.holder.raw())).map(Id::new),
            step: CaseStep::Transferred {
                from: c.holder,
                to: Id::new(to),
            },
            note: self.note.clone(),
        };
        let holder = c.holder;
        let view = cx.case_after(n, c, &entry);
        Ok(Decision::record(
            EventBody::CaseUpdated {
                case: Id::new(n),
                entry,
            },
            Some(holder.raw()),
            view,
        ))
    }
}

/// A bureau on a case notes it, changes its status, invites a bureau or accepts.
struct NoteCase {
    case: String,
    req: CaseNote,
    note: String,
}

impl Command for NoteCase {
    type Answer = CaseView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<CaseView>, Rejection> {
        let n = cx.visible(caller, &self.case, NodeKind::Case)?;
        let join = match &self.req.join {
            Some(b) => Some(cx.bureau("join", b)?),
            None => None,
        };
        let c = cx.case(n)?.clone();
        let accepting = join.is_some() && join == caller.party;
        cx.policy()
            .check_case_member(caller, &c, accepting)
            .map_err(|d| d.into_error(|| crate::app::unknown_id(None, "case", &self.case)))?;
        let step = match (join, self.req.status) {
            (Some(b), _) if c.bureaus.contains(&Id::new(b)) => {
                return Err(AppError::rule(
                    "join",
                    "that bureau already works on the case",
                ))
            }
            (Some(b), _) if accepting || (caller.operator && c.invited.contains(&Id::new(b))) => {
                CaseStep::Joined { bureau: Id::new(b) }
            }
            (Some(b), _) => CaseStep::Invited { bureau: Id::new(b) },
            (None, Some(s)) => CaseStep::Status(s),
            (None, None) => CaseStep::Noted,
        };
        let entry = CaseEntry {
            at: cx.now,
            by: caller.party.map(Id::new),
            step,
            note: self.note.clone(),
        };
        let view = cx.case_after(n, c, &entry);
        Ok(Decision::record(
            EventBody::CaseUpdated {
                case: Id::new(n),
                entry,
            },
            caller.party,
            view,
        ))
    }
}
