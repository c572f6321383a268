//! API keys: issued to a party by the operator (any party) or a regulator (suppliers and
//! manufacturers), shown once, kept only as a keyed blake3 hash of the token, revoked at
//! once. A key may be read-only.

use super::command::{Command, Decision, Rejection};
use super::views::fmt_time;
use super::{App, Caller, Ctx};
use crate::core::domain::Id;
use crate::core::domain::{ApiKey, NaturalKey, NodeKind, Record};
use crate::core::event::EventBody;
use crate::error::{AppError, AppResult};
use serde::Serialize;

/// Token prefix, so a leaked token is recognisable (and greppable by secret scanners).
pub const TOKEN_PREFIX: &str = "btk_";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IssuedKey {
    pub id: String,
    pub party: String,
    pub read_only: bool,
    /// Shown once; only its keyed hash is stored.
    pub token: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyView {
    pub id: String,
    pub party: String,
    pub read_only: bool,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl App {
    pub(crate) fn token_hash(&self, token: &str) -> [u8; 32] {
        *blake3::keyed_hash(&self.token_key, token.as_bytes()).as_bytes()
    }

    /// Issues a key for a party (read-only if asked).
    pub fn create_key(
        &self,
        caller: &Caller,
        party_id: &str,
        read_only: bool,
    ) -> AppResult<IssuedKey> {
        let token = format!(
            "{TOKEN_PREFIX}{}",
            crate::secret::random_token(24)
                .map_err(|e| AppError::Internal(format!("no randomness: {e}")))?
        );
        let token_hash = self.token_hash(&token);
        self.execute(
            caller,
            &IssueKey {
                party: party_id.to_string(),
                read_only,
                token,
                token_hash,
            },
        )
    }

    /// Lists a party's keys (never their tokens).
    pub fn list_keys(&self, caller: &Caller, party_id: &str) -> AppResult<Vec<KeyView>> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.check_manage_keys(caller, party)?;
        let mut out = Vec::new();
        for id in self.store.attached(party) {
            if self.store.meta(id).map(|m| m.kind) != Some(NodeKind::Key) {
                continue;
            }
            if let Some(Record::Key(k)) = self.store.record(id)? {
                out.push(KeyView {
                    id: self.ids.format(NodeKind::Key, id),
                    party: self.ids.id(k.party),
                    read_only: k.read_only,
                    created_at: fmt_time(k.created_at),
                    revoked_at: k.revoked_at.map(fmt_time),
                });
            }
        }
        Ok(out)
    }

    /// Revokes a key; effective for the very next request. Revoking twice is a no-op.
    pub fn revoke_key(&self, caller: &Caller, key_id: &str) -> AppResult<()> {
        self.execute(
            caller,
            &RevokeKey {
                key: key_id.to_string(),
            },
        )
    }

    /// Authenticates a party's token. Unknown and revoked tokens are alike: 401.
    pub fn authenticate_token(&self, token: &str) -> AppResult<Caller> {
        let unknown = || AppError::Unauthorized("unknown or revoked token".into());
        let hash = self.token_hash(token);
        let id = self
            .store
            .lookup(&NaturalKey::TokenHash(hash))?
            .ok_or_else(unknown)?;
        let m = self.store.meta(id).ok_or_else(unknown)?;
        if m.kind != NodeKind::Key || m.flag != 0 {
            return Err(unknown());
        }
        let read_only =
            matches!(self.store.record_arc(id).as_deref(), Some(Record::Key(k)) if k.read_only);
        Ok(Caller {
            read_only,
            idempotency: None,
            party: Some(m.a),
            role: self.party_role(m.a),
            key_id: self.ids.format(NodeKind::Key, id),
            operator: false,
        })
    }
}

/// Issue a key for `party`; the token is drawn before deciding (deciding draws nothing).
struct IssueKey {
    party: String,
    read_only: bool,
    token: String,
    token_hash: [u8; 32],
}

impl Command for IssueKey {
    type Answer = IssuedKey;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<IssuedKey>, Rejection> {
        let party = cx.visible(caller, &self.party, NodeKind::Party)?;
        cx.policy().check_issue_key(caller, party)?;
        let (id, now) = (cx.id, cx.now);
        let issued = IssuedKey {
            id: cx.ids.format(NodeKind::Key, id),
            party: cx.ids.format(NodeKind::Party, party),
            read_only: self.read_only,
            token: self.token.clone(),
            created_at: fmt_time(now),
        };
        let record = Record::Key(ApiKey {
            party: Id::new(party),
            token_hash: self.token_hash,
            read_only: self.read_only,
            created_at: now,
            revoked_at: None,
        });
        Ok(Decision::record(
            EventBody::Created { id, record },
            Some(party),
            issued,
        ))
    }

    /// The token is shown once: a retry under the same `Idempotency-Key` is told the key
    /// was issued, not the token again (the store never holds it in clear).
    fn replay(&self, _: &IssuedKey) -> Result<Option<Vec<u8>>, Rejection> {
        Ok(None)
    }
}

/// Revoke a key; revoking a revoked key records nothing.
struct RevokeKey {
    key: String,
}

impl Command for RevokeKey {
    type Answer = ();

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<()>, Rejection> {
        let unknown = || super::unknown_id(None, NodeKind::Key.name(), &self.key);
        let key = cx.existing(&self.key, NodeKind::Key).ok_or_else(unknown)?;
        let m = cx.w.meta(key).ok_or_else(unknown)?;
        cx.policy()
            .check_revoke_key(caller, key, m.a)
            .map_err(|d| d.into_error(unknown))?;
        if m.flag != 0 {
            return Ok(Decision::nothing(()));
        }
        Ok(Decision::record(
            EventBody::KeyRevoked { key: Id::new(key) },
            Some(m.a),
            (),
        ))
    }
}
