//! Assistance requests (协查): a bureau asks a platform or another bureau about listings,
//! sellers, batches, units or lots; the addressee answers with text, structured data and
//! attachments (for producer tracing boardtrail pre-fills the seller's registration data
//! and the producers the trace reaches), or declines with a reason. The addressee reads the
//! request and its subjects as the request names them, nothing more.

use super::*;
use crate::app::command::{Command, Decision, Rejection};
use crate::core::domain::{AssistanceRequest, Attachment, Reply, RequestKind, RequestState};
use serde::{Deserialize, Serialize};

mod views;
pub use views::{
    AttachmentView, Prefill, RequestList, RequestStat, RequestView, SubjectView, TimelineEntry,
};

/// Most subjects of one request.
pub const MAX_SUBJECTS: usize = 20;
/// Most attachments of one answer, and their total size (one log entry holds 64 KiB).
pub const MAX_ATTACHMENTS: usize = 4;
pub const MAX_ATTACHMENT_BYTES: usize = 40 * 1024;
/// Largest structured data of an answer (as JSON text).
pub const MAX_DATA_BYTES: usize = 8 * 1024;
const MEDIA_TYPES: [&str; 6] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/csv",
    "text/plain",
    "application/json",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub to: String,
    pub kind: RequestKind,
    pub subjects: Vec<String>,
    pub question: String,
    pub due_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentIn {
    pub name: String,
    pub media_type: String,
    /// The file, base64 (standard alphabet).
    pub content_base64: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestAnswer {
    pub answer: String,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
    #[serde(default)]
    pub attachments: Vec<AttachmentIn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestDecline {
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    /// `inbox` (addressed to the caller, the default) or `outbox` (sent by it).
    #[serde(rename = "box")]
    pub r#box: Option<String>,
    /// `open`, `answered`, `declined` or `overdue`.
    pub state: Option<String>,
}

impl App {
    pub fn create_request(&self, caller: &Caller, req: NewRequest) -> AppResult<RequestView> {
        let question = crate::core::domain::clean_multiline("question", &req.question, 1, 4000)
            .map_err(|e| AppError::rule("question", e))?;
        if req.subjects.is_empty() || req.subjects.len() > MAX_SUBJECTS {
            return Err(AppError::rule(
                "subjects",
                format!(
                    "a request names 1 to {MAX_SUBJECTS} subjects (got {})",
                    req.subjects.len()
                ),
            ));
        }
        self.execute(caller, &CreateRequest { req, question })
    }

    pub fn get_request(&self, caller: &Caller, id: &str) -> AppResult<RequestView> {
        let n = self.visible_request(caller, id)?;
        let now = self.now();
        self.read_ctx(|cx| Ok(cx.request_view(n, cx.request(n)?, now)))
    }

    /// A request the caller sent or was sent (regulators read every request between
    /// bureaus and platforms: they read everything).
    fn visible_request(&self, caller: &Caller, id: &str) -> AppResult<NodeId> {
        self.visible(caller, id, NodeKind::Request)
    }

    pub fn list_requests(&self, caller: &Caller, q: &RequestsQuery) -> AppResult<RequestList> {
        self.check_role(
            caller,
            &[Role::Regulator, Role::Platform],
            "read assistance requests",
        )?;
        let me = self.acting_party(
            caller,
            "requests are listed per party: use a bureau's or platform's key",
        )?;
        let outbox = match q.r#box.as_deref() {
            None | Some("inbox") => false,
            Some("outbox") => true,
            Some(b) => {
                return Err(AppError::bad(
                    "box",
                    format!("box is inbox or outbox (got '{}')", trunc(b)),
                ))
            }
        };
        let state = match q.state.as_deref() {
            None => None,
            Some(s @ ("open" | "answered" | "declined" | "overdue")) => Some(s),
            Some(s) => {
                return Err(AppError::bad(
                    "state",
                    format!(
                        "state is open, answered, declined or overdue (got '{}')",
                        trunc(s)
                    ),
                ))
            }
        };
        let now = self.now();
        Ok(self.read_ctx(|cx| {
            let mut ids: Vec<NodeId> = cx
                .w
                .attached(me)
                .iter()
                .copied()
                .filter(|&n| {
                    cx.w.meta(n).is_some_and(|m| {
                        m.kind == NodeKind::Request && if outbox { m.a == me } else { m.b == me }
                    })
                })
                .collect();
            ids.sort_unstable_by(|a, b| b.cmp(a));
            ids.dedup();
            let (mut open, mut overdue) = (0, 0);
            let mut items = Vec::new();
            for n in ids {
                let Ok(r) = cx.request(n) else { continue };
                let v = cx.request_view(n, r, now);
                open += u64::from(v.state == "open");
                overdue += u64::from(v.overdue);
                let keep = match state {
                    None => true,
                    Some("overdue") => v.overdue,
                    Some(s) => v.state == s,
                };
                if keep {
                    items.push(v);
                }
            }
            RequestList {
                r#box: if outbox { "outbox" } else { "inbox" },
                open,
                overdue,
                items,
            }
        }))
    }

    /// Answers or declines a request: its addressee, once.
    fn reply(&self, caller: &Caller, id: &str, reply: Reply) -> AppResult<RequestView> {
        self.execute(
            caller,
            &ReplyRequest {
                request: id.to_string(),
                reply,
            },
        )
    }

    pub fn answer_request(
        &self,
        caller: &Caller,
        id: &str,
        req: RequestAnswer,
    ) -> AppResult<RequestView> {
        let answer = crate::core::domain::clean_multiline("answer", &req.answer, 1, 8000)
            .map_err(|e| AppError::rule("answer", e))?;
        let data = match &req.data {
            None | Some(serde_json::Value::Null) => None,
            Some(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                let text = serde_json::to_string(v)
                    .map_err(|e| AppError::bad("data", format!("data cannot be encoded: {e}")))?;
                if text.len() > MAX_DATA_BYTES {
                    return Err(AppError::rule(
                        "data",
                        format!(
                            "data is at most {MAX_DATA_BYTES} bytes of JSON (got {})",
                            text.len()
                        ),
                    ));
                }
                Some(text)
            }
            Some(_) => return Err(AppError::bad("data", "data must be a JSON object or array")),
        };
        if req.attachments.len() > MAX_ATTACHMENTS {
            return Err(AppError::rule(
                "attachments",
                format!(
                    "at most {MAX_ATTACHMENTS} attachments (got {})",
                    req.attachments.len()
                ),
            ));
        }
        let mut files = Vec::with_capacity(req.attachments.len());
        let mut total = 0;
        for (i, a) in req.attachments.iter().enumerate() {
            let f = |x: &str| format!("attachments[{i}].{x}");
            let name =
                clean_text(&f("name"), &a.name, 200).map_err(|e| AppError::rule(f("name"), e))?;
            let media_type = a.media_type.trim().to_ascii_lowercase();
            if !MEDIA_TYPES.contains(&media_type.as_str()) {
                return Err(AppError::rule(
                    f("media_type"),
                    format!(
                        "media_type is one of {} (got '{}')",
                        MEDIA_TYPES.join(", "),
                        trunc(&a.media_type)
                    ),
                ));
            }
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(a.content_base64.trim())
                .map_err(|e| {
                    AppError::bad(
                        f("content_base64"),
                        format!("{} is not base64: {e}", f("content_base64")),
                    )
                })?;
            if bytes.is_empty() {
                return Err(AppError::rule(
                    f("content_base64"),
                    "an attachment is not empty",
                ));
            }
            total += bytes.len();
            files.push(Attachment {
                name,
                media_type,
                bytes,
            });
        }
        if total > MAX_ATTACHMENT_BYTES {
            return Err(AppError::rule(
                "attachments",
                format!("attachments are at most {} KiB together (got {} bytes); send a link for larger files", MAX_ATTACHMENT_BYTES / 1024, total),
            ));
        }
        self.reply(
            caller,
            id,
            Reply::Answered {
                answer,
                data,
                attachments: files,
            },
        )
    }

    pub fn decline_request(
        &self,
        caller: &Caller,
        id: &str,
        req: RequestDecline,
    ) -> AppResult<RequestView> {
        let reason = crate::core::domain::clean_multiline("reason", &req.reason, 1, 2000)
            .map_err(|e| AppError::rule("reason", e))?;
        self.reply(caller, id, Reply::Declined { reason })
    }

    /// An attachment of an answer: (media type, name, bytes).
    pub fn request_attachment(
        &self,
        caller: &Caller,
        id: &str,
        index: usize,
    ) -> AppResult<(String, String, Vec<u8>)> {
        let n = self.visible_request(caller, id)?;
        self.read_ctx(|cx| match &cx.request(n)?.reply {
            Some(Reply::Answered { attachments, .. }) if index < attachments.len() => {
                let a = &attachments[index];
                Ok((a.media_type.clone(), a.name.clone(), a.bytes.clone()))
            }
            _ => Err(AppError::not_found(
                "index",
                format!("request {id} has no attachment {index}"),
            )),
        })
    }

    /// Response times per addressee (platforms and bureaus), for `stats/cooperation`.
    pub(crate) fn request_stats(&self, from: i64, to: i64) -> Vec<RequestStat> {
        let now = self.now();
        self.read_ctx(|cx| {
            let mut per: BTreeMap<NodeId, (RequestStat, Vec<i64>)> = BTreeMap::new();
            for &n in cx.w.ids_of(NodeKind::Request) {
                let Ok(r) = cx.request(n) else { continue };
                if r.created_at < from || r.created_at >= to {
                    continue;
                }
                let a = r.to.raw();
                let e = per.entry(a).or_insert_with(|| {
                    let p = cx.party_ref_of(a);
                    (
                        RequestStat {
                            party: p.id.to_string(),
                            name: p.name,
                            role: p.role,
                            received: 0,
                            answered: 0,
                            declined: 0,
                            open: 0,
                            overdue: 0,
                            replied_on_time: 0,
                            median_response_hours: None,
                        },
                        vec![],
                    )
                });
                e.0.received += 1;
                match r.state() {
                    RequestState::Open => {
                        e.0.open += 1;
                        e.0.overdue += u64::from(now > r.due_at);
                    }
                    RequestState::Answered => e.0.answered += 1,
                    RequestState::Declined => e.0.declined += 1,
                }
                if let Some(at) = r.replied_at {
                    e.1.push(at - r.created_at);
                    e.0.replied_on_time += u64::from(at <= r.due_at);
                }
            }
            per.into_values()
                .map(|(mut s, mut times)| {
                    times.sort_unstable();
                    s.median_response_hours = (!times.is_empty()).then(|| {
                        let mid = times.len() / 2;
                        let ms = if times.len() % 2 == 1 {
                            times[mid] as f64
                        } else {
                            (times[mid - 1] + times[mid]) as f64 / 2.0
                        };
                        (ms / 36_000.0).round() / 100.0
                    });
                    s
                })
                .collect()
        })
    }
}

/// Send an assistance request.
struct CreateRequest {
    req: NewRequest,
    question: String,
}

impl Command for CreateRequest {
    type Answer = RequestView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<RequestView>, Rejection> {
        let req = &self.req;
        let policy = cx.policy();
        policy.check_role(caller, &[Role::Regulator], "send assistance requests")?;
        let from =
            policy.acting_party(caller, "a request is sent by a bureau: use a bureau's key")?;
        let (to, _) = cx.resolve_party(
            "to",
            &req.to,
            &[Role::Platform, Role::Regulator],
            "a request's addressee",
        )?;
        if to == from {
            return Err(AppError::rule(
                "to",
                "a bureau does not send a request to itself",
            ));
        }
        let mut subjects = Vec::with_capacity(req.subjects.len());
        for (i, s) in req.subjects.iter().enumerate() {
            let field = format!("subjects[{i}]");
            let id = match cx.ids.parse(s) {
                Some((k, id))
                    if matches!(
                        k,
                        NodeKind::Listing
                            | NodeKind::Party
                            | NodeKind::Batch
                            | NodeKind::Unit
                            | NodeKind::Lot
                    ) && cx.w.meta(id).map(|m| m.kind) == Some(k) =>
                {
                    id
                }
                _ => {
                    return Err(unknown_id(
                        Some(&field),
                        "listing, seller, batch, unit or lot",
                        s,
                    ))
                }
            };
            if !subjects.contains(&id) {
                subjects.push(id);
            }
        }
        let (id, now) = (cx.id, cx.now);
        let due_at = req.due_at.timestamp_millis();
        if due_at <= now || due_at > now + 366 * 86_400_000 {
            return Err(AppError::rule(
                "due_at",
                format!(
                    "due_at must be after now and within a year (got {})",
                    req.due_at
                ),
            ));
        }
        let r = AssistanceRequest {
            from: Id::new(from),
            to: Id::new(to),
            kind: req.kind,
            subjects,
            question: self.question.clone(),
            due_at,
            created_at: now,
            reply: None,
            replied_at: None,
            replied_by: None,
        };
        let view = cx.request_view(id, &r, now);
        Ok(Decision::record(
            EventBody::Created {
                id,
                record: Record::Request(r),
            },
            Some(from),
            view,
        ))
    }
}

/// Answer or decline a request.
struct ReplyRequest {
    request: String,
    reply: Reply,
}

impl Command for ReplyRequest {
    type Answer = RequestView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<RequestView>, Rejection> {
        let (id, reply) = (&self.request, &self.reply);
        let n = cx.visible(caller, id, NodeKind::Request)?;
        let r = cx.request(n)?;
        cx.policy().check_is(
            caller,
            r.to.raw(),
            "only the request's addressee answers or declines it",
        )?;
        if r.reply.is_some() {
            return Err(AppError::conflict(
                "request",
                format!("request {id} was {} already", r.state().as_str()),
            ));
        }
        let mut after = r.clone();
        after.reply = Some(reply.clone());
        after.replied_at = Some(cx.now);
        after.replied_by = Some(caller.key_id.clone());
        let view = cx.request_view(n, &after, cx.now);
        Ok(Decision::record(
            EventBody::RequestReplied {
                request: Id::new(n),
                reply: reply.clone(),
                by: caller.key_id.clone(),
            },
            Some(r.to.raw()),
            view,
        ))
    }
}
