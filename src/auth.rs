//! Authentication: bearer tokens are compared as keyed blake3 hashes in constant time, so
//! no token is kept in clear and a timing side channel does not reveal prefixes.

use crate::app::Caller;
use crate::error::AppError;
use subtle::ConstantTimeEq;

pub struct Auth {
    /// Per-process key for hashing presented tokens.
    hash_key: [u8; 32],
    operator_hash: Option<[u8; 32]>,
}

/// A random 128-bit+ token, base64url without padding.
pub fn random_token(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf)
        .map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(base64url(&buf))
}

pub fn random_key() -> Result<[u8; 32], AppError> {
    let mut k = [0u8; 32];
    getrandom::getrandom(&mut k).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(k)
}

pub fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Auth {
    pub fn new(operator_token: Option<&str>) -> Result<Auth, AppError> {
        let hash_key = random_key()?;
        let operator_hash =
            operator_token.map(|t| *blake3::keyed_hash(&hash_key, t.as_bytes()).as_bytes());
        Ok(Auth {
            hash_key,
            operator_hash,
        })
    }

    fn hash(&self, token: &str) -> [u8; 32] {
        *blake3::keyed_hash(&self.hash_key, token.as_bytes()).as_bytes()
    }

    /// Authenticates an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&[u8]>) -> Result<Caller, AppError> {
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
        let presented = self.hash(token);
        if let Some(op) = &self.operator_hash {
            if bool::from(op.ct_eq(&presented)) {
                return Ok(Caller::operator());
            }
        }
        Err(AppError::Unauthorized("unknown or revoked token".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_token_and_rejections() {
        let auth = Auth::new(Some("s3cret")).unwrap();
        assert!(auth.authenticate(Some(b"Bearer s3cret")).unwrap().operator);
        assert!(matches!(
            auth.authenticate(Some(b"Bearer nope")),
            Err(AppError::Unauthorized(_))
        ));
        assert!(matches!(
            auth.authenticate(Some(b"Basic s3cret")),
            Err(AppError::Unauthorized(_))
        ));
        assert!(matches!(
            auth.authenticate(None),
            Err(AppError::Unauthorized(_))
        ));
    }

    #[test]
    fn base64url_encodes() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(random_token(16).unwrap().len(), 22);
    }
}
