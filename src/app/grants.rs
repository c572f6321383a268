//! Link grants: a seller's standing, revocable permission for one platform to link the
//! seller's batches to that platform's listings. Without one, only the seller links its
//! batches; a link nobody authorised is refused like an unknown batch.

use super::command::{Command, Decision, Rejection};
use super::views::fmt_time;
use super::{dto::NewGrant, unknown_id, App, Caller, Ctx};
use crate::core::domain::Id;
use crate::core::domain::{Grant, NodeId, NodeKind, Record, Role};
use crate::core::event::EventBody;
use crate::error::{AppError, AppResult};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GrantView {
    pub id: String,
    pub seller: String,
    pub platform: String,
    pub active: bool,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl App {
    fn grant_view(ids: &crate::core::ids::IdCodec, id: NodeId, g: &Grant) -> GrantView {
        GrantView {
            id: ids.format(NodeKind::Grant, id),
            seller: ids.id(g.seller),
            platform: ids.id(g.platform),
            active: g.revoked_at.is_none(),
            created_at: fmt_time(g.created_at),
            revoked_at: g.revoked_at.map(fmt_time),
        }
    }

    /// A seller grants a platform the right to link the seller's batches. Granting again
    /// while a grant is active is a conflict naming the active grant.
    pub fn create_grant(&self, caller: &Caller, req: NewGrant) -> AppResult<GrantView> {
        self.execute(caller, &CreateGrant(req))
    }

    /// The grants a caller gave (a seller) or holds (a platform); every grant for a
    /// regulator. Newest first.
    pub fn list_grants(&self, caller: &Caller) -> AppResult<Vec<GrantView>> {
        let ids: Vec<NodeId> = match caller.party {
            _ if caller.sees_all() => self.store.ids_of(NodeKind::Grant),
            Some(me) => self
                .store
                .attached(me)
                .into_iter()
                .filter(|&n| self.store.meta(n).map(|m| m.kind) == Some(NodeKind::Grant))
                .collect(),
            None => vec![],
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.into_iter().rev() {
            if self.can_read(caller, id) {
                let g = self.read_ctx(|cx| cx.grant(id).cloned())?;
                out.push(Self::grant_view(&self.ids, id, &g));
            }
        }
        Ok(out)
    }

    /// The seller withdraws a grant: the platform links nothing more on its authority
    /// (links already made stay; they were authorised when made). Revoking twice is a no-op.
    pub fn revoke_grant(&self, caller: &Caller, grant_id: &str) -> AppResult<GrantView> {
        self.execute(
            caller,
            &RevokeGrant {
                grant: grant_id.to_string(),
            },
        )
    }
}

/// A seller grants a platform the right to link its batches.
struct CreateGrant(NewGrant);

impl Command for CreateGrant {
    type Answer = GrantView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<GrantView>, Rejection> {
        let req = &self.0;
        let seller = match (&req.seller, caller.party) {
            (Some(s), _) => {
                cx.resolve_party(
                    "seller",
                    s,
                    &[Role::Manufacturer, Role::Distributor],
                    "the seller",
                )?
                .0
            }
            (None, Some(me)) => me,
            (None, None) => {
                return Err(AppError::rule(
                    "seller",
                    "name the seller that grants the right",
                ))
            }
        };
        cx.policy().check_grant(caller, seller)?;
        let (platform, _) =
            cx.resolve_party("platform", &req.platform, &[Role::Platform], "the grantee")?;
        let (id, now) = (cx.id, cx.now);
        if let Some(existing) = cx.policy().active_grant(seller, platform) {
            return Err(AppError::conflict(
                "platform",
                format!(
                    "this platform already holds an active grant: {}",
                    cx.ids.format(NodeKind::Grant, existing)
                ),
            ));
        }
        let g = Grant {
            seller: Id::new(seller),
            platform: Id::new(platform),
            created_at: now,
            revoked_at: None,
        };
        let view = App::grant_view(cx.ids, id, &g);
        let record = Record::Grant(g);
        Ok(Decision::record(
            EventBody::Created { id, record },
            Some(seller),
            view,
        ))
    }
}

/// The seller withdraws a grant; a revoked grant records nothing more.
struct RevokeGrant {
    grant: String,
}

impl Command for RevokeGrant {
    type Answer = GrantView;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<GrantView>, Rejection> {
        let unknown = || unknown_id(None, NodeKind::Grant.name(), &self.grant);
        let id = cx
            .existing(&self.grant, NodeKind::Grant)
            .ok_or_else(unknown)?;
        cx.policy()
            .check_revoke_grant(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        let mut g = cx.grant(id)?.clone();
        let event = g
            .revoked_at
            .is_none()
            .then_some(EventBody::GrantRevoked { grant: Id::new(id) });
        // The answer is the grant as the event leaves it.
        g.revoked_at.get_or_insert(cx.now);
        Ok(Decision {
            event,
            acting_for: Some(g.seller.raw()),
            answer: App::grant_view(cx.ids, id, &g),
        })
    }
}
