//! QR state: the token codec, the render cache and the public base URL. A scanned code
//! (`/q/{token}`) decrypts to its record (see [`crate::qr::Tokens`]): there is no index
//! to build at start or to keep up to date on writes.

use super::{App, AppError, AppResult, NodeId, NodeKind};
use crate::qr::{QrCache, QrKey, Tokens};
use std::sync::Arc;

pub struct QrState {
    pub(super) tokens: Tokens,
    pub(super) cache: QrCache,
    pub(super) public_url: String,
}

/// Entries kept in the render cache (SVG and PNG of popular codes).
const QR_CACHE_ENTRIES: usize = 20_000;

/// The kinds of record a label carries a code for.
pub(crate) fn qr_able(kind: NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Lot | NodeKind::Batch | NodeKind::Unit | NodeKind::Listing
    )
}

impl QrState {
    pub fn new(key: &QrKey, public_url: &str) -> QrState {
        QrState {
            tokens: Tokens::new(key),
            cache: QrCache::new(QR_CACHE_ENTRIES),
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }
}

impl App {
    /// Turns on QR codes under `key`, with links under `public_url`.
    pub fn with_qr(mut self, key: QrKey, public_url: &str) -> App {
        self.qr = Some(QrState::new(&key, public_url));
        self
    }

    /// The base of the links the service prints (empty without QR codes).
    pub fn public_url(&self) -> &str {
        self.qr.as_ref().map_or("", |q| q.public_url.as_str())
    }

    /// Shows the verifiable log's checkpoints in views.
    pub fn with_log(mut self, log: Arc<crate::transparency::Transparency>) -> App {
        self.log = Some(log);
        self
    }

    pub(crate) fn log(&self) -> Option<&Arc<crate::transparency::Transparency>> {
        self.log.as_ref()
    }

    pub(crate) fn qr_state(&self) -> AppResult<&QrState> {
        self.qr
            .as_ref()
            .ok_or_else(|| AppError::Internal("QR codes are not configured".into()))
    }

    /// Resolves a scanned token to the record it names. A token that does not decode,
    /// names a kind without codes, or names a record that does not exist (yet, or of
    /// that kind) is the same 404.
    pub fn resolve_token(&self, token: &str) -> AppResult<NodeId> {
        let q = self.qr_state()?;
        q.tokens
            .resolve(token)
            .filter(|&(kind, id)| {
                qr_able(kind) && self.store.meta(id).is_some_and(|m| m.kind == kind)
            })
            .map(|(_, id)| id)
            .ok_or_else(|| AppError::NotFound {
                field: None,
                detail: "no product has this code".into(),
            })
    }
}
