//! API keys: issued to a party by a regulator or the operator, shown once, kept only as a
//! keyed blake3 hash of the token, revoked at once.

use super::views::fmt_time;
use super::{App, Caller};
use crate::domain::{format_id, ApiKey, NaturalKey, NodeKind, Record};
use crate::error::{AppError, AppResult};
use crate::event::EventBody;
use serde::Serialize;

/// Token prefix, so a leaked token is recognisable (and greppable by secret scanners).
pub const TOKEN_PREFIX: &str = "btk_";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IssuedKey {
    pub id: String,
    pub party: String,
    /// Shown once; only its keyed hash is stored.
    pub token: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyView {
    pub id: String,
    pub party: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl App {
    pub(crate) fn token_hash(&self, token: &str) -> [u8; 32] {
        *blake3::keyed_hash(&self.token_key, token.as_bytes()).as_bytes()
    }

    /// Issues a key for a party.
    pub fn create_key(&self, caller: &Caller, party_id: &str) -> AppResult<IssuedKey> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.authorize_admin(caller, "issue keys")?;
        let token = format!("{TOKEN_PREFIX}{}", crate::auth::random_token(24)?);
        let token_hash = self.token_hash(&token);
        self.write(caller, |id, now| {
            let issued = IssuedKey {
                id: format_id(NodeKind::Key, id),
                party: format_id(NodeKind::Party, party),
                token,
                created_at: fmt_time(now),
            };
            let record = Record::Key(ApiKey {
                party,
                token_hash,
                created_at: now,
                revoked_at: None,
            });
            Ok((EventBody::Created { id, record }, Some(party), issued))
        })
    }

    /// Lists a party's keys (never their tokens).
    pub fn list_keys(&self, caller: &Caller, party_id: &str) -> AppResult<Vec<KeyView>> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.authorize_keys(caller, party, "list another party's keys")?;
        let mut out = Vec::new();
        for id in self.store.attached(party) {
            if self.store.meta(id).map(|m| m.kind) != Some(NodeKind::Key) {
                continue;
            }
            if let Some(Record::Key(k)) = self.store.record(id)? {
                out.push(KeyView {
                    id: format_id(NodeKind::Key, id),
                    party: format_id(NodeKind::Party, k.party),
                    created_at: fmt_time(k.created_at),
                    revoked_at: k.revoked_at.map(fmt_time),
                });
            }
        }
        Ok(out)
    }

    /// Revokes a key; effective for the very next request. Revoking twice is a no-op.
    pub fn revoke_key(&self, caller: &Caller, key_id: &str) -> AppResult<()> {
        let key = self.resolve_path(key_id, NodeKind::Key)?;
        let owner = self
            .store
            .meta(key)
            .map(|m| m.a)
            .ok_or_else(|| AppError::Internal("key vanished".into()))?;
        if !self.can_read(caller, key) {
            return Err(AppError::NotFound {
                field: None,
                detail: format!("no key with id '{key_id}'"),
            });
        }
        self.authorize_keys(caller, owner, "revoke another party's keys")?;
        self.write_if(caller, |_, _| {
            let revoked = self.store.meta(key).map(|m| m.flag != 0).unwrap_or(false);
            let body = (!revoked).then_some(EventBody::KeyRevoked { key });
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
        Ok(Caller {
            party: Some(m.a),
            role: self.party_role(m.a),
            key_id: format_id(NodeKind::Key, id),
            operator: false,
        })
    }
}
