//! The QR token index: built over every coded record (lots, batches, units, listings) on a
//! background thread at start, kept up to date by every write, and consulted when a code
//! is scanned (`/q/{token}`).

use super::{App, AppError, AppResult, NodeId, NodeKind};
use crate::qr::{QrCache, QrKey, TokenIndex};
use parking_lot::RwLock;
use std::sync::Arc;

/// QR state: the token key and index, the render cache and the public base URL.
pub struct QrState {
    pub(super) index: Arc<RwLock<TokenIndex>>,
    /// Set once the index covers every id that existed at start (built in the background:
    /// a restart answers traces before it is done; a token is resolved only after).
    ready: Arc<(parking_lot::Mutex<bool>, parking_lot::Condvar)>,
    /// The thread building the index (joined when the app goes, so that it never outlives
    /// the store it reads).
    builder: parking_lot::Mutex<Option<std::thread::JoinHandle<()>>>,
    pub(super) cache: QrCache,
    pub(super) public_url: String,
}

/// Entries kept in the render cache (SVG and PNG of popular codes).
const QR_CACHE_ENTRIES: usize = 20_000;

pub(crate) fn qr_able(kind: NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Lot | NodeKind::Batch | NodeKind::Unit | NodeKind::Listing
    )
}

impl QrState {
    pub fn new(key: QrKey, public_url: &str) -> QrState {
        QrState {
            index: Arc::new(RwLock::new(TokenIndex::new(key))),
            ready: Arc::new((parking_lot::Mutex::new(false), parking_lot::Condvar::new())),
            builder: parking_lot::Mutex::new(None),
            cache: QrCache::new(QR_CACHE_ENTRIES),
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }
}

impl Drop for QrState {
    fn drop(&mut self) {
        if let Some(h) = self.builder.lock().take() {
            let _ = h.join();
        }
    }
}

impl App {
    /// Turns on QR codes: builds the token index over every lot, batch, unit and listing,
    /// on a background thread (about a second for two million ids); new ids are indexed
    /// as they are written, and resolving a token waits until the build is done.
    pub fn with_qr(mut self, key: QrKey, public_url: &str) -> App {
        let state = QrState::new(key.clone(), public_url);
        let (store, index, ready) = (self.store.clone(), state.index.clone(), state.ready.clone());
        let end = self.store.next_id();
        let build = move || {
            // The coded ids first (in chunks, so that writers waiting for the world are
            // not held up long), then their tokens on every core.
            let mut ids = Vec::new();
            for start in (0..end).step_by(1 << 16) {
                let w = store.world();
                for id in start..end.min(start.saturating_add(1 << 16)) {
                    if w.meta(id).is_some_and(|m| qr_able(m.kind)) {
                        ids.push(id);
                    }
                }
            }
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let built = TokenIndex::build(key, &ids, threads);
            index.write().absorb(built);
            let (done, cv) = &*ready;
            *done.lock() = true;
            cv.notify_all();
        };
        // Run once: on the thread, or here if no thread can be started.
        type Build = Box<dyn FnOnce() + Send>;
        let once: Arc<parking_lot::Mutex<Option<Build>>> =
            Arc::new(parking_lot::Mutex::new(Some(Box::new(build))));
        let run = |once: &parking_lot::Mutex<Option<Build>>| {
            if let Some(f) = once.lock().take() {
                f()
            }
        };
        let theirs = once.clone();
        let spawned = std::thread::Builder::new()
            .name("qr-index".into())
            .spawn(move || run(&theirs));
        match spawned {
            Ok(handle) => *state.builder.lock() = Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "no thread for the QR index: building it now");
                run(&once);
            }
        }
        self.qr = Some(state);
        self
    }

    /// Indexes the QR tokens of ids `from..to` (called after every write).
    pub(crate) fn index_qr(&self, from: NodeId, to: NodeId) {
        let Some(q) = &self.qr else { return };
        let mut idx = q.index.write();
        for id in from..to {
            if self.store.meta(id).is_some_and(|m| qr_able(m.kind)) {
                idx.insert(id);
            }
        }
    }

    pub(crate) fn qr_state(&self) -> AppResult<&QrState> {
        self.qr
            .as_ref()
            .ok_or_else(|| AppError::Internal("QR codes are not configured".into()))
    }

    /// Resolves a scanned token.
    pub fn resolve_token(&self, token: &str) -> AppResult<NodeId> {
        let q = self.qr_state()?;
        {
            let (done, cv) = &*q.ready;
            let mut d = done.lock();
            while !*d {
                cv.wait(&mut d);
            }
        }
        q.index
            .read()
            .resolve(token)
            .ok_or_else(|| AppError::NotFound {
                field: None,
                detail: "no product has this code".into(),
            })
    }
}
