//! What an assistance request looks like to its sender and addressee: its subjects as it
//! names them, its answer, attachments and timeline, and the producer-tracing prefill.

use super::*;

/// A subject as the request shows it: what the addressee may know of it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubjectView {
    pub id: String,
    pub kind: &'static str,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<PartyRef>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttachmentView {
    pub name: String,
    pub media_type: String,
    pub size: usize,
    /// Where to fetch it.
    pub href: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineEntry {
    pub at: String,
    pub what: &'static str,
    pub by: String,
}

/// What boardtrail knows for a producer-tracing answer: the sellers' registration data and
/// the producers (and distributors, and board suppliers) their traces reach.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Prefill {
    pub sellers: Vec<PartyRef>,
    pub producers: Vec<PartyRef>,
    pub distributors: Vec<PartyRef>,
    pub suppliers: Vec<PartyRef>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestView {
    pub id: String,
    pub from: PartyRef,
    pub to: PartyRef,
    pub kind: &'static str,
    pub subjects: Vec<SubjectView>,
    pub question: String,
    pub due_at: String,
    pub created_at: String,
    pub state: &'static str,
    /// Open past its due time.
    pub overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replied_at: Option<String>,
    /// Hours from sending to the reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_hours: Option<f64>,
    pub timeline: Vec<TimelineEntry>,
    /// For producer tracing: what the trace says, to answer with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Prefill>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestList {
    #[serde(rename = "box")]
    pub r#box: &'static str,
    pub open: u64,
    pub overdue: u64,
    pub items: Vec<RequestView>,
}

/// Response times of one addressee.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestStat {
    pub party: String,
    pub name: String,
    pub role: &'static str,
    pub received: u64,
    pub answered: u64,
    pub declined: u64,
    pub open: u64,
    pub overdue: u64,
    /// Replies (answers and declines) by their due time.
    pub replied_on_time: u64,
    /// The median hours from sending to reply (of requests replied to).
    pub median_response_hours: Option<f64>,
}

impl<'w> Ctx<'w> {
    pub(crate) fn party_ref_of(&self, id: NodeId) -> PartyRef {
        let mut names = crate::app::names::Names::default();
        self.party_ref(id, &mut names).unwrap_or(PartyRef {
            id: self.ids.public(NodeKind::Party, id),
            name: String::new(),
            role: "",
            uscc: String::new(),
            city: String::new(),
        })
    }

    fn subject_view(&self, id: NodeId) -> SubjectView {
        let kind = self.kind_of(id);
        let (label, party) = match (kind, self.w.record(id).map(|r| &**r)) {
            (_, Some(Record::Listing(l))) => (
                format!(
                    "{} · {} · {} ({})",
                    l.title,
                    self.party_name(l.platform.raw()),
                    l.shop,
                    l.item_id
                ),
                Some(self.party_ref_of(l.seller.raw())),
            ),
            (_, Some(Record::Party(p))) => (p.name.clone(), Some(self.party_ref_of(id))),
            (_, Some(Record::Batch(b))) => (
                format!("{} {} {}", b.batch_code, b.product.name, b.product.model),
                Some(self.party_ref_of(b.manufacturer.raw())),
            ),
            (_, Some(Record::Lot(l))) => (
                format!(
                    "{} {} {}",
                    l.lot_code,
                    l.material.as_str(),
                    l.formaldehyde_class.as_str()
                ),
                Some(self.party_ref_of(l.producer.raw())),
            ),
            (NodeKind::Unit, _) => {
                let m = self.w.meta(id);
                (
                    m.map(|m| self.ids.serial(m.a, m.b)).unwrap_or_default(),
                    m.and_then(|m| self.w.meta(m.a))
                        .map(|b| self.party_ref_of(b.a)),
                )
            }
            _ => (String::new(), None),
        };
        SubjectView {
            id: self.ids.format(kind, id),
            kind: kind.name(),
            label,
            party,
        }
    }

    /// The producers, distributors and suppliers behind the subjects (listings: their
    /// traces; sellers: their listings on the addressee's platform; batches and units:
    /// their maker and trace).
    fn prefill(&self, r: &AssistanceRequest) -> Prefill {
        let mut roots: Vec<NodeId> = Vec::new();
        let mut sellers: Vec<NodeId> = Vec::new();
        for &s in &r.subjects {
            match self.kind_of(s) {
                NodeKind::Listing => {
                    roots.push(s);
                    if let Some(m) = self.w.meta(s) {
                        sellers.push(m.b);
                    }
                }
                NodeKind::Party => {
                    sellers.push(s);
                    // Its listings on the addressee's platform (or all, to a bureau).
                    for &l in self.w.listings_of(s) {
                        if self.w.meta(l).is_some_and(|m| m.a == r.to.raw())
                            || self.policy().party_role(r.to.raw()) == Some(Role::Regulator)
                        {
                            roots.push(l);
                        }
                    }
                }
                NodeKind::Batch | NodeKind::Unit | NodeKind::Lot => roots.push(s),
                _ => {}
            }
        }
        let (mut producers, mut distributors, mut suppliers) = (vec![], vec![], vec![]);
        for root in roots {
            let Ok(v) = self.upstream_view(&Caller::operator(), self.kind_of(root), root) else {
                continue;
            };
            producers.extend(v.producers.iter().map(|p| p.to_party_ref()));
            distributors.extend(v.distributors.iter().map(|p| p.to_party_ref()));
            for s in v.suppliers {
                if let Some(id) = self.ids.parse_kind(&s.id, NodeKind::Party) {
                    suppliers.push(self.party_ref_of(id));
                }
            }
        }
        let dedup = |mut v: Vec<PartyRef>| {
            v.sort_by_key(|a| a.id);
            v.dedup_by(|a, b| a.id == b.id);
            v
        };
        sellers.sort_unstable();
        sellers.dedup();
        Prefill {
            sellers: sellers.into_iter().map(|s| self.party_ref_of(s)).collect(),
            producers: dedup(producers),
            distributors: dedup(distributors),
            suppliers: dedup(suppliers),
        }
    }

    pub(crate) fn request_view(&self, id: NodeId, r: &AssistanceRequest, now: i64) -> RequestView {
        let state = r.state();
        let mut timeline = vec![TimelineEntry {
            at: fmt_time(r.created_at),
            what: "sent",
            by: self.party_name(r.from.raw()).to_string(),
        }];
        let (mut answer, mut data, mut attachments, mut decline_reason) =
            (None, None, vec![], None);
        match &r.reply {
            Some(Reply::Answered {
                answer: a,
                data: d,
                attachments: files,
            }) => {
                answer = Some(a.clone());
                data = d.as_deref().and_then(|d| serde_json::from_str(d).ok());
                attachments = files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| AttachmentView {
                        name: f.name.clone(),
                        media_type: f.media_type.clone(),
                        size: f.bytes.len(),
                        href: format!(
                            "/api/v1/requests/{}/attachments/{i}",
                            self.ids.format(NodeKind::Request, id)
                        ),
                    })
                    .collect();
            }
            Some(Reply::Declined { reason }) => decline_reason = Some(reason.clone()),
            None => {}
        }
        if let Some(at) = r.replied_at {
            timeline.push(TimelineEntry {
                at: fmt_time(at),
                what: state.as_str(),
                by: self.party_name(r.to.raw()).to_string(),
            });
        }
        RequestView {
            id: self.ids.format(NodeKind::Request, id),
            from: self.party_ref_of(r.from.raw()),
            to: self.party_ref_of(r.to.raw()),
            kind: r.kind.as_str(),
            subjects: r.subjects.iter().map(|&s| self.subject_view(s)).collect(),
            question: r.question.clone(),
            due_at: fmt_time(r.due_at),
            created_at: fmt_time(r.created_at),
            state: state.as_str(),
            overdue: state == RequestState::Open && now > r.due_at,
            answer,
            data,
            attachments,
            decline_reason,
            replied_at: r.replied_at.map(fmt_time),
            response_hours: r
                .replied_at
                .map(|at| ((at - r.created_at) as f64 / 36_000.0).round() / 100.0),
            timeline,
            prefill: (r.kind == RequestKind::ProducerTracing).then(|| self.prefill(r)),
        }
    }

    pub(super) fn request(&self, id: NodeId) -> AppResult<&'w AssistanceRequest> {
        match self.record(id)? {
            Record::Request(r) => Ok(r),
            _ => Err(AppError::Internal(format!("{id} is not a request"))),
        }
    }
}
