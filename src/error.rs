//! The library's error type. The HTTP layer maps each variant to one status code
//! (see `http::problem`); nothing else decides statuses.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed input: wrong types, bad syntax (400).
    #[error("{detail}")]
    BadRequest {
        field: Option<String>,
        detail: String,
    },
    /// An id that names nothing (404).
    #[error("{detail}")]
    NotFound {
        field: Option<String>,
        detail: String,
    },
    /// A natural key already taken (409).
    #[error("{detail}")]
    Conflict {
        field: Option<String>,
        detail: String,
    },
    /// Well-formed but breaks a rule: mass balance, roles, check characters (422).
    #[error("{detail}")]
    Rule {
        field: Option<String>,
        detail: String,
    },
    /// No valid credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Known caller, not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests for this key (429).
    #[error("rate limit exceeded; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A retried write (same `Idempotency-Key`, same request): its first answer, which the
    /// HTTP layer sends again as it was.
    #[error("the first answer to this request, replayed")]
    Replayed { status: u16, body: Vec<u8> },
    /// Internal failure that is not the caller's fault (500).
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn bad(field: impl Into<String>, detail: impl Into<String>) -> AppError {
        AppError::BadRequest {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }
    pub fn not_found(field: impl Into<String>, detail: impl Into<String>) -> AppError {
        AppError::NotFound {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }
    pub fn conflict(field: impl Into<String>, detail: impl Into<String>) -> AppError {
        AppError::Conflict {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }
    pub fn rule(field: impl Into<String>, detail: impl Into<String>) -> AppError {
        AppError::Rule {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }

    /// The request field the error concerns, as a JSON-pointer-like path (`inputs[1].quantity`).
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::BadRequest { field, .. }
            | AppError::NotFound { field, .. }
            | AppError::Conflict { field, .. }
            | AppError::Rule { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
