//! Authentication and per-key rate limiting for the HTTP layer. The operator token is
//! compared as a keyed blake3 hash in constant time; party tokens are looked up by their
//! keyed hash (see `app::keys`), so no token is ever stored or logged in clear.

use crate::app::{App, Caller};
use crate::error::AppError;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Instant;
use subtle::ConstantTimeEq;

pub use crate::secret::{base64url, random_token};

/// Token-bucket limits per key: `per_second` sustained, `burst` at once. 0 disables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 100.0,
            burst: 200.0,
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets under one limit, by key; full buckets are forgotten when the table grows
/// (a full bucket is a client that has not asked for a while: forgetting it changes nothing).
struct Buckets<K> {
    limit: RateLimit,
    table: Mutex<HashMap<K, Bucket>>,
}

/// Buckets kept before full ones are dropped.
const MAX_CLIENTS: usize = 100_000;

impl<K: std::hash::Hash + Eq> Buckets<K> {
    fn new(limit: RateLimit) -> Buckets<K> {
        Buckets {
            limit,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`, or says how long to wait (429). A limit of 0 per second
    /// admits everything.
    fn take(&self, key: K) -> Result<(), AppError> {
        let limit = self.limit;
        if limit.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut table = self.table.lock();
        if table.len() >= MAX_CLIENTS {
            table.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * limit.per_second < limit.burst
            });
        }
        let b = table.entry(key).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
        });
        take(b, limit, now).map_err(|wait| AppError::RateLimited {
            retry_after_s: wait,
        })
    }
}

/// Complaints per client address: 5 at once, then 20 an hour.
pub const COMPLAINTS_PER_CLIENT: RateLimit = RateLimit {
    per_second: 20.0 / 3600.0,
    burst: 5.0,
};
/// Complaints per scanned code: 10 at once, then 10 an hour.
pub const COMPLAINTS_PER_CODE: RateLimit = RateLimit {
    per_second: 10.0 / 3600.0,
    burst: 10.0,
};

pub struct Auth {
    hash_key: [u8; 32],
    operator_hash: Option<[u8; 32]>,
    keys: Buckets<String>,
    /// Anonymous requests (scans of a code, Digital Links), per client address.
    clients: Buckets<std::net::IpAddr>,
    /// Consumers' complaints, per client address and per code.
    complaint_clients: Buckets<std::net::IpAddr>,
    complaint_codes: Buckets<u32>,
}

/// Takes one token from `b` under `limit`; the seconds to wait if there is none.
fn take(b: &mut Bucket, limit: RateLimit, now: Instant) -> Result<(), u64> {
    let elapsed = now.duration_since(b.at).as_secs_f64();
    b.tokens = (b.tokens + elapsed * limit.per_second).min(limit.burst);
    b.at = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        Ok(())
    } else {
        Err(((1.0 - b.tokens) / limit.per_second).ceil().max(1.0) as u64)
    }
}

impl Auth {
    pub fn new(operator_token: Option<&str>, limit: RateLimit) -> Result<Auth, AppError> {
        let hash_key = crate::secret::random32().map_err(|e| AppError::Internal(e.to_string()))?;
        let operator_hash =
            operator_token.map(|t| *blake3::keyed_hash(&hash_key, t.as_bytes()).as_bytes());
        Ok(Auth {
            hash_key,
            operator_hash,
            keys: Buckets::new(limit),
            clients: Buckets::new(RateLimit {
                per_second: 20.0,
                burst: 60.0,
            }),
            complaint_clients: Buckets::new(COMPLAINTS_PER_CLIENT),
            complaint_codes: Buckets::new(COMPLAINTS_PER_CODE),
        })
    }

    /// The limit on anonymous requests per client address (0 per second: none).
    pub fn with_anonymous_limit(mut self, limit: RateLimit) -> Auth {
        self.clients = Buckets::new(limit);
        self
    }

    /// The limits on complaints per client address and per code (0 per second: none).
    pub fn with_complaint_limits(mut self, per_client: RateLimit, per_code: RateLimit) -> Auth {
        self.complaint_clients = Buckets::new(per_client);
        self.complaint_codes = Buckets::new(per_code);
        self
    }

    /// Applies the per-client limit of anonymous requests (a scanned code, a Digital Link):
    /// enumerating codes costs time.
    pub fn check_anonymous(&self, client: std::net::IpAddr) -> Result<(), AppError> {
        self.clients.take(client)
    }

    /// Applies the per-client limit of complaints (before the body is looked at).
    pub fn check_complaint_client(&self, client: std::net::IpAddr) -> Result<(), AppError> {
        self.complaint_clients.take(client)
    }

    /// Applies the per-code limit of complaints (the code resolved to its record).
    pub fn check_complaint_code(&self, code: u32) -> Result<(), AppError> {
        self.complaint_codes.take(code)
    }

    /// Authenticates an `Authorization` header value and applies the key's rate limit.
    pub fn authenticate(&self, header: Option<&[u8]>, app: &App) -> Result<Caller, AppError> {
        let Some(h) = header else {
            return Err(AppError::Unauthorized(
                "send Authorization: Bearer <token>".into(),
            ));
        };
        let token = std::str::from_utf8(h)
            .ok()
            .and_then(|s| s.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "malformed Authorization header; expected Bearer <token>".into(),
                )
            })?;
        if let Some(op) = &self.operator_hash {
            let presented = blake3::keyed_hash(&self.hash_key, token.as_bytes());
            if bool::from(op.ct_eq(presented.as_bytes())) {
                // The bootstrap operator is not rate limited (imports, onboarding).
                return Ok(Caller::operator());
            }
        }
        let caller = app.authenticate_token(token)?;
        self.check_rate(&caller.key_id)?;
        Ok(caller)
    }

    fn check_rate(&self, key: &str) -> Result<(), AppError> {
        self.keys.take(key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SledConfig, SledStore};
    use std::sync::Arc;

    fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(&SledConfig::new(dir.path().join("db"))).unwrap();
        (dir, App::new(Arc::new(store)))
    }

    #[test]
    fn complaints_are_limited_per_code() {
        let auth = Auth::new(None, RateLimit::default()).unwrap();
        for _ in 0..COMPLAINTS_PER_CODE.burst as usize {
            auth.check_complaint_code(7).unwrap();
        }
        match auth.check_complaint_code(7) {
            Err(AppError::RateLimited { retry_after_s }) => assert!(retry_after_s >= 300),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Another code has its own budget.
        auth.check_complaint_code(8).unwrap();
    }

    #[test]
    fn operator_token_and_rejections() {
        let (_d, app) = app();
        let auth = Auth::new(Some("s3cret-operator"), RateLimit::default()).unwrap();
        assert!(
            auth.authenticate(Some(b"Bearer s3cret-operator"), &app)
                .unwrap()
                .operator
        );
        for bad in [
            &b"Bearer nope"[..],
            b"Basic s3cret-operator",
            b"Bearer ",
            b"\xff\xfe",
        ] {
            assert!(matches!(
                auth.authenticate(Some(bad), &app),
                Err(AppError::Unauthorized(_))
            ));
        }
        assert!(matches!(
            auth.authenticate(None, &app),
            Err(AppError::Unauthorized(_))
        ));
    }

    #[test]
    fn rate_limit_refuses_past_the_burst() {
        let auth = Auth::new(
            None,
            RateLimit {
                per_second: 1.0,
                burst: 3.0,
            },
        )
        .unwrap();
        for _ in 0..3 {
            auth.check_rate("key_1").unwrap();
        }
        match auth.check_rate("key_1") {
            Err(AppError::RateLimited { retry_after_s }) => assert!(retry_after_s >= 1),
            other => panic!("expected 429, got {other:?}"),
        }
        // Other keys have their own bucket.
        auth.check_rate("key_2").unwrap();
    }

    #[test]
    fn base64url_encodes() {
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(random_token(16).unwrap().len(), 22);
    }
}
