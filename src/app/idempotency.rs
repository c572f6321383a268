//! Writes made with an `Idempotency-Key`: the answer recorded with the event, and a retry
//! answered with it (see `App::write_answering`).

use super::App;
use crate::error::AppError;

/// An `Idempotency-Key` of a write: the first answer to it is recorded with its event, and
/// a retry of the same request gets that answer again instead of a second event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The key as sent, scoped to the caller's key (another caller's key never collides).
    pub key: Vec<u8>,
    /// blake3 of method, path, query and body: a key reused for another request is refused.
    pub request: [u8; 32],
    /// The status the route answers a success with.
    pub status: u16,
}

/// The recorded answer of a write whose answer is shown once (a new key's token).
pub(super) const NOT_SHOWN_TWICE: &str = r#"{"type":"https://boardtrail.invalid/problems/conflict","title":"Conflict","status":409,"detail":"this request was carried out under this Idempotency-Key, but its answer (a secret) is shown only once: revoke what it issued and ask again with a new key"}"#;

/// The answer of a write together with whether it changed anything; serialised (and so
/// recorded for `Idempotency-Key` retries) as the answer alone.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Changed<V> {
    #[serde(flatten)]
    pub view: V,
    #[serde(skip)]
    pub changed: bool,
}

impl Idempotency {
    pub(super) fn record(&self, status: u16, body: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(34 + body.len());
        v.extend_from_slice(&self.request);
        v.extend_from_slice(&status.to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    /// The replay of a recorded answer, or 422 if the key was used for another request.
    pub(super) fn replay(&self, stored: &[u8]) -> AppError {
        if stored.len() < 34 || stored[..32] != self.request {
            return AppError::Rule {
                field: None,
                detail:
                    "this Idempotency-Key was already used for a different request; use a new key"
                        .into(),
            };
        }
        AppError::Replayed {
            status: u16::from_be_bytes([stored[32], stored[33]]),
            body: stored[34..].to_vec(),
        }
    }
}

impl App {
    /// A recorded answer as it was sent: a created resource (201) carried its QR reference
    /// and the seq of its creating event, which are added after the write (they need the
    /// record in place) and are the same for the same record, so they are added again
    /// here. Other answers were sent as recorded.
    pub fn replayed_body(&self, status: u16, body: &[u8]) -> Vec<u8> {
        if status != 201 {
            return body.to_vec();
        }
        let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(body) else {
            return body.to_vec();
        };
        fn decorate(app: &App, v: &mut serde_json::Value) {
            let Some(obj) = v.as_object_mut() else { return };
            if !obj.contains_key("qr") {
                if let Some(qr) = obj
                    .get("id")
                    .and_then(|i| i.as_str())
                    .and_then(|i| app.qr_for(i))
                {
                    if let Ok(q) = serde_json::to_value(qr) {
                        obj.insert("qr".into(), q);
                    }
                }
            }
            if let Some(units) = obj.get_mut("units").and_then(|u| u.as_array_mut()) {
                for u in units {
                    decorate(app, u);
                }
            }
        }
        decorate(self, &mut v);
        self.with_seq(&mut v);
        serde_json::to_vec(&v).unwrap_or_else(|_| body.to_vec())
    }
}
