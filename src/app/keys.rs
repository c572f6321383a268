//! API keys: issued to a party by the operator (any party) or a regulator (suppliers and
//! manufacturers), shown once, kept only as a keyed blake3 hash of the token, revoked at
//! once. A key may be read-only.

use super::views::fmt_time;
use super::{App, Caller};
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
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.check_issue_key(caller, party)?;
        let token = format!(
            "{TOKEN_PREFIX}{}",
            crate::secret::random_token(24)
                .map_err(|e| AppError::Internal(format!("no randomness: {e}")))?
        );
        let token_hash = self.token_hash(&token);
        // The token is shown once: a retry under the same Idempotency-Key is told the key was
        // issued, not the token again (the store never holds it in clear).
        self.write_answering(
            caller,
            |_: &IssuedKey| Ok(None),
            |cx| {
                let (id, now) = (cx.id, cx.now);
                let issued = IssuedKey {
                    id: cx.ids.format(NodeKind::Key, id),
                    party: cx.ids.format(NodeKind::Party, party),
                    read_only,
                    token: token.clone(),
                    created_at: fmt_time(now),
                };
                let record = Record::Key(ApiKey {
                    party: Id::new(party),
                    token_hash,
                    read_only,
                    created_at: now,
                    revoked_at: None,
                });
                Ok((Some(EventBody::Created { id, record }), Some(party), issued))
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
        let unknown = || super::unknown_id(None, NodeKind::Key.name(), key_id);
        let key = self.existing(key_id, NodeKind::Key).ok_or_else(unknown)?;
        let owner = self.store.meta(key).map(|m| m.a).ok_or_else(unknown)?;
        self.check_revoke_key(caller, key, owner)
            .map_err(|d| d.into_error(unknown))?;
        self.write_if(caller, |cx| {
            let revoked = cx.w.meta(key).map(|m| m.flag != 0).unwrap_or(false);
            let body = (!revoked).then_some(EventBody::KeyRevoked { key: Id::new(key) });
            Ok((body, Some(owner), ()))
        })
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
