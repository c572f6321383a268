//! Extractor configuration: body limits and an RFC 9457 problem+json for every extractor
//! error (JSON, form, path, query).

use super::{problem, MAX_BODY};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};

pub(super) fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let (status, detail) = match &err {
        JsonPayloadError::OverflowKnownLength { length, limit } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body of {length} bytes is larger than the {limit}-byte limit"),
        ),
        JsonPayloadError::Overflow { limit } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body is larger than the {limit}-byte limit"),
        ),
        JsonPayloadError::ContentType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as application/json".to_string(),
        ),
        JsonPayloadError::Deserialize(e) => {
            (StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}"))
        }
        other => (StatusCode::BAD_REQUEST, format!("invalid body: {other}")),
    };
    actix_web::error::InternalError::from_response(err, problem(status, detail, None)).into()
}

/// An extractor's error as problem+json with `status`, its message after `what`.
fn refused<E: std::fmt::Debug + std::fmt::Display + 'static>(
    err: E,
    status: StatusCode,
    what: &str,
) -> actix_web::Error {
    let detail = format!("{what}: {err}");
    actix_web::error::InternalError::from_response(err, problem(status, detail, None)).into()
}

fn form_error(err: actix_web::error::UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    refused(err, StatusCode::BAD_REQUEST, "invalid form")
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    refused(err, StatusCode::NOT_FOUND, "invalid path")
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    refused(err, StatusCode::BAD_REQUEST, "invalid query string")
}

/// Extractor configuration: limits and problem+json for every extractor error.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY)
            .error_handler(json_error),
    )
    .app_data(
        web::FormConfig::default()
            .limit(64 * 1024)
            .error_handler(form_error),
    )
    .app_data(web::PayloadConfig::new(MAX_BODY))
    .app_data(web::PathConfig::default().error_handler(path_error))
    .app_data(web::QueryConfig::default().error_handler(query_error));
}
