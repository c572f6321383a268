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

impl RateLimit {
    /// No limit.
    pub const OFF: RateLimit = RateLimit {
        per_second: 0.0,
        burst: 0.0,
    };

    fn is_off(self) -> bool {
        self.per_second <= 0.0
    }
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
            // Still full of clients that asked recently: a new one waits (memory stays
            // bounded under a flood from many addresses).
            if table.len() >= MAX_CLIENTS && !table.contains_key(&key) {
                return Err(AppError::RateLimited {
                    retry_after_s: (1.0 / limit.per_second).ceil().max(1.0) as u64,
                });
            }
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
/// Complaints of one client about one code: 3 at once, then 3 an hour (so that no single
/// client, the maker say, can use up a code's share and silence real complainants).
const COMPLAINTS_PER_CLIENT_AND_CODE: RateLimit = RateLimit {
    per_second: 3.0 / 3600.0,
    burst: 3.0,
};
/// Complaints in all, whatever their addresses: 100 at once, then 600 an hour (what a
/// flood from many addresses can add to the log).
const COMPLAINTS_IN_ALL: RateLimit = RateLimit {
    per_second: 600.0 / 3600.0,
    burst: 100.0,
};

/// The address a client is limited by: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's network; its 2^64 addresses are one client).
pub fn client_key(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            std::net::IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

pub struct Auth {
    hash_key: [u8; 32],
    operator_hash: Option<[u8; 32]>,
    keys: Buckets<String>,
    /// Anonymous requests (scans of a code, Digital Links), per client address.
    clients: Buckets<std::net::IpAddr>,
    /// Consumers' complaints, per client address, per client and code, per code, in all.
    complaint_clients: Buckets<std::net::IpAddr>,
    complaint_client_codes: Buckets<(std::net::IpAddr, u32)>,
    complaint_codes: Buckets<u32>,
    complaints: Buckets<()>,
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
            complaint_client_codes: Buckets::new(COMPLAINTS_PER_CLIENT_AND_CODE),
            complaint_codes: Buckets::new(COMPLAINTS_PER_CODE),
            complaints: Buckets::new(COMPLAINTS_IN_ALL),
        })
    }

    /// The limit on anonymous requests per client address (0 per second: none).
    pub fn with_anonymous_limit(mut self, limit: RateLimit) -> Auth {
        self.clients = Buckets::new(limit);
        self
    }

    /// The limits on complaints per client address and per code (0 per second: none).
    /// (Turning a limit off, 0 per second, turns off the others of its kind too: the
    /// per-client-and-code one with either, the overall one with the per-code one.)
    pub fn with_complaint_limits(mut self, per_client: RateLimit, per_code: RateLimit) -> Auth {
        self.complaint_clients = Buckets::new(per_client);
        self.complaint_codes = Buckets::new(per_code);
        if per_client.is_off() || per_code.is_off() {
            self.complaint_client_codes = Buckets::new(RateLimit::OFF);
        }
        if per_code.is_off() {
            self.complaints = Buckets::new(RateLimit::OFF);
        }
        self
    }

    /// Applies the per-client limit of anonymous requests (a scanned code, a Digital Link):
    /// enumerating codes costs time.
    pub fn check_anonymous(&self, client: std::net::IpAddr) -> Result<(), AppError> {
        self.clients.take(client_key(client))
    }

    /// Applies the per-client limit of complaints (before the body is looked at).
    pub fn check_complaint_client(&self, client: std::net::IpAddr) -> Result<(), AppError> {
        self.complaint_clients.take(client_key(client))
    }

    /// Applies the limits of complaints about one code (the code resolved to its record):
    /// this client's about it, everyone's about it, and all complaints.
    pub fn check_complaint_code(
        &self,
        client: std::net::IpAddr,
        code: u32,
    ) -> Result<(), AppError> {
        self.complaint_client_codes
            .take((client_key(client), code))?;
        self.complaint_codes.take(code)?;
        self.complaints.take(())
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
    fn complaints_are_limited_per_client_and_code_per_code_and_in_all() {
        use std::net::IpAddr;
        let auth = Auth::new(None, RateLimit::default()).unwrap();
        let ip = |n: u8| IpAddr::from([10, 0, 0, n]);
        // One client gets 3 about a code, whoever else it is not.
        for _ in 0..3 {
            auth.check_complaint_code(ip(1), 7).unwrap();
        }
        assert!(matches!(
            auth.check_complaint_code(ip(1), 7),
            Err(AppError::RateLimited { .. })
        ));
        // Others go on until the code's own 10 are used.
        for n in 2..=8 {
            auth.check_complaint_code(ip(n), 7).unwrap();
        }
        match auth.check_complaint_code(ip(9), 7) {
            Err(AppError::RateLimited { retry_after_s }) => assert!(retry_after_s >= 300),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Another code has its own budget; all complaints share 100 at once.
        for code in 8..8 + 90 {
            auth.check_complaint_code(ip(1), code).unwrap();
        }
        assert!(matches!(
            auth.check_complaint_code(ip(2), 1000),
            Err(AppError::RateLimited { .. })
        ));
    }

    #[test]
    fn an_ipv6_network_is_one_client() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let v4: std::net::IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_key(v4), v4);
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
