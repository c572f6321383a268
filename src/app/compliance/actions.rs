//! Actions: measures a regulator orders on listings (one or in bulk), the platforms' queues and acknowledgements.

use super::*;
use crate::core::domain::Id;

impl App {
    pub(crate) fn due(
        field: &str,
        t: &Option<DateTime<FixedOffset>>,
        now: i64,
    ) -> AppResult<Option<i64>> {
        match t {
            None => Ok(None),
            Some(t) if t.timestamp_millis() < now - 24 * 3600 * 1000 => {
                Err(AppError::rule(field, format!("{field} {t} is in the past")))
            }
            Some(t) => Ok(Some(t.timestamp_millis())),
        }
    }

    pub fn create_action(&self, caller: &Caller, req: NewAction) -> AppResult<ActionView> {
        let reason =
            clean_text("reason", &req.reason, 2000).map_err(|e| AppError::rule("reason", e))?;
        self.execute(caller, &CreateAction { req, reason })
    }

    /// One action per affected active listing of the supplier without a pending action,
    /// all in one event.
    pub fn bulk_action(&self, caller: &Caller, req: BulkAction) -> AppResult<BulkResult> {
        let reason =
            clean_text("reason", &req.reason, 2000).map_err(|e| AppError::rule("reason", e))?;
        self.execute(caller, &CreateBulkAction { req, reason })
    }

    pub fn list_actions(
        &self,
        caller: &Caller,
        q: &ActionsQuery,
    ) -> AppResult<(Vec<ActionView>, Option<String>)> {
        let platform = if let Some(own) = caller.platform_scope() {
            Some(own)
        } else {
            self.check_role(caller, &[Role::Regulator], "read actions")?;
            match &q.platform {
                Some(p) => Some(
                    self.resolve_party("platform", p, &[Role::Platform], "the platform")?
                        .0,
                ),
                None => None,
            }
        };
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let after = match &q.cursor {
            None => None,
            Some(c) => match self.ids.parse(c) {
                // An action the caller may read (another platform's does not position a page).
                Some((NodeKind::Action, n)) if self.can_read(caller, n) => Some(n),
                _ => {
                    return Err(AppError::bad(
                        "cursor",
                        "cursor must be an action id from the previous page",
                    ))
                }
            },
        };
        let now = self.now();
        let mut out = Vec::new();
        let mut next = None;
        let candidates = match &q.listing {
            Some(l) => {
                let l = self.resolve(caller, "listing", l, NodeKind::Listing)?;
                self.store
                    .attached(l)
                    .into_iter()
                    .filter(|&n| self.kind_of(n) == NodeKind::Action)
                    .collect()
            }
            None => self.store.ids_of(NodeKind::Action),
        };
        for a in candidates {
            if after.is_some_and(|c| a <= c) {
                continue;
            }
            let Some(m) = self.store.meta(a) else {
                continue;
            };
            if platform.is_some_and(|p| p != m.b) || q.status.is_some_and(|s| s as u8 != m.flag) {
                continue;
            }
            let Record::Action(act) = self.load(a)? else {
                continue;
            };
            let view = Self::action_view(&self.ids, caller, a, &act, now);
            if q.overdue == Some(true) && !view.overdue {
                continue;
            }
            if out.len() == limit {
                next = out.last().map(|v: &ActionView| v.id.clone());
                break;
            }
            out.push(view);
        }
        Ok((out, next))
    }

    /// An action as `caller` sees it: the case behind it only for the bureaus.
    pub(crate) fn action_view(
        ids: &IdCodec,
        caller: &Caller,
        id: NodeId,
        a: &Action,
        now: i64,
    ) -> ActionView {
        let mut view = ActionView::new(ids, id, a, now);
        if !caller.sees_all() {
            view.case = None;
        }
        view
    }

    pub fn get_action(&self, caller: &Caller, id: &str) -> AppResult<ActionView> {
        let n = self.visible(caller, id, NodeKind::Action)?;
        match self.load(n)? {
            Record::Action(a) => Ok(Self::action_view(&self.ids, caller, n, &a, self.now())),
            _ => Err(AppError::Internal("not an action".into())),
        }
    }

    /// A platform acknowledges an action addressed to it. Acknowledging again with the same
    /// result changes nothing; a different result is a conflict.
    pub fn ack_action(&self, caller: &Caller, id: &str, req: Ack) -> AppResult<(ActionView, bool)> {
        let note = req.note.trim().to_string();
        if note.chars().count() > 2000 {
            return Err(AppError::rule("note", "note has more than 2000 characters"));
        }
        let status = match req.result {
            AckResult::Done => ActionStatus::Done,
            AckResult::Rejected => ActionStatus::Rejected,
        };
        let cmd = AckAction {
            action: id.to_string(),
            status,
            note,
        };
        let done = self.execute(caller, &cmd)?;
        Ok((done.view, done.changed))
    }
}

/// A regulator orders a measure on one listing.
struct CreateAction {
    req: NewAction,
    reason: String,
}

impl Command for CreateAction {
    type Answer = ActionView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<ActionView>, Rejection> {
        let req = &self.req;
        cx.policy()
            .check_role(caller, &[Role::Regulator], "issue actions")?;
        let listing = cx.resolve(caller, "listing", &req.listing, NodeKind::Listing)?;
        let case = cx.opt_case(caller, "case", &req.case)?;
        let (id, now) = (cx.id, cx.now);
        let due_at = App::due("due_at", &req.due_at, now)?;
        let m =
            cx.w.meta(listing)
                .ok_or_else(|| AppError::Internal("listing vanished".into()))?;
        let status = status_from_code(m.flag);
        if status != ListingStatus::Active {
            return Err(AppError::rule(
                "listing",
                format!(
                    "listing {} is already {}; an action needs an active listing",
                    req.listing,
                    status.as_str()
                ),
            ));
        }
        if let Some(p) = cx.pending_actions(listing).first() {
            return Err(AppError::conflict(
                "listing",
                format!(
                    "listing {} already has a pending action {}",
                    req.listing,
                    cx.ids.format(NodeKind::Action, *p)
                ),
            ));
        }
        let a = Action {
            listing: Id::new(listing),
            platform: Id::new(m.a),
            ..pending_action(req.kind, self.reason.clone(), case, due_at, caller, now)
        };
        let view = ActionView::new(cx.ids, id, &a, now);
        let record = Record::Action(a);
        Ok(Decision::record(
            EventBody::Created { id, record },
            caller.party,
            view,
        ))
    }
}

/// A regulator orders a measure on every affected active listing of a supplier.
struct CreateBulkAction {
    req: BulkAction,
    reason: String,
}

impl Command for CreateBulkAction {
    type Answer = BulkResult;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<BulkResult>, Rejection> {
        let req = &self.req;
        cx.policy()
            .check_role(caller, &[Role::Regulator], "issue actions")?;
        let (supplier, _) =
            cx.resolve_party("supplier", &req.supplier, &[Role::Supplier], "the supplier")?;
        let case = cx.opt_case(caller, "case", &req.case)?;
        let (first, now) = (cx.id, cx.now);
        let due_at = App::due("due_at", &req.due_at, now)?;
        let mut records = Vec::new();
        let mut result = BulkResult {
            created: 0,
            skipped_pending: 0,
            by_platform: BTreeMap::new(),
            actions: vec![],
        };
        for (l, _) in cx.affected(&[supplier], None) {
            if !cx.pending_actions(l).is_empty() {
                result.skipped_pending += 1;
                continue;
            }
            let Some(m) = cx.w.meta(l) else {
                continue;
            };
            let id = first + records.len() as NodeId;
            records.push((
                id,
                Record::Action(Action {
                    listing: Id::new(l),
                    platform: Id::new(m.a),
                    ..pending_action(req.kind, self.reason.clone(), case, due_at, caller, now)
                }),
            ));
            *result
                .by_platform
                .entry(cx.ids.format(NodeKind::Party, m.a))
                .or_default() += 1;
            result.actions.push(cx.ids.format(NodeKind::Action, id));
        }
        result.created = records.len() as u64;
        let event = (!records.is_empty()).then_some(EventBody::CreatedMany { records });
        Ok(Decision {
            event,
            acting_for: caller.party,
            answer: result,
        })
    }
}

/// The platform an action is addressed to acknowledges it.
struct AckAction {
    action: String,
    status: ActionStatus,
    note: String,
}

impl Command for AckAction {
    type Answer = crate::app::Changed<ActionView>;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<Self::Answer>, Rejection> {
        let (id, status) = (&self.action, self.status);
        let n = cx.visible(caller, id, NodeKind::Action)?;
        let platform =
            cx.w.meta(n)
                .map(|m| m.b)
                .ok_or_else(|| AppError::Internal("action vanished".into()))?;
        cx.policy().check_ack(caller, platform)?;
        let now = cx.now;
        let Record::Action(mut a) = cx.record(n)?.clone() else {
            return Err(AppError::Internal("not an action".into()));
        };
        if a.status == status {
            let view = App::action_view(cx.ids, caller, n, &a, now);
            return Ok(Decision::nothing(crate::app::Changed {
                view,
                changed: false,
            }));
        }
        if a.status != ActionStatus::Pending {
            return Err(AppError::conflict(
                "result",
                format!("{id} was already acknowledged as {}", a.status.as_str()),
            ));
        }
        // The answer is the action as the event leaves it.
        a.status = status;
        a.note = Some(self.note.clone());
        a.acked_at = Some(now);
        let view = App::action_view(cx.ids, caller, n, &a, now);
        Ok(Decision::record(
            EventBody::ActionAcknowledged {
                action: Id::new(n),
                status,
                note: self.note.clone(),
            },
            Some(platform),
            crate::app::Changed {
                view,
                changed: true,
            },
        ))
    }
}

/// A new action, pending, ordered by `caller` at `now` (listing and platform to be set).
fn pending_action(
    kind: ActionKind,
    reason: String,
    case: Option<NodeId>,
    due_at: Option<i64>,
    caller: &Caller,
    now: i64,
) -> Action {
    Action {
        listing: Id::new(0),
        platform: Id::new(0),
        kind,
        reason,
        case: case.map(Id::new),
        due_at,
        issued_by: caller.party.map(Id::new),
        status: ActionStatus::Pending,
        note: None,
        acked_at: None,
        created_at: now,
    }
}
