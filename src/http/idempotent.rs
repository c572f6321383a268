//! Idempotent writes at the edge: a write with an `Idempotency-Key` is fingerprinted
//! (method, path, query, body) before its handler runs, and the key, scoped to the calling
//! API key, travels with the command so that a retry gets the first answer.

use super::*;

/// The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// What a request with an `Idempotency-Key` is, for recognising its retries: blake3 of
/// method, path, query and body (kept in the request's extensions by [`fingerprint`]).
#[derive(Debug, Clone, Copy)]
struct RequestFingerprint([u8; 32]);

/// Reads the body of a write that carries an `Idempotency-Key` (within the body limit),
/// fingerprints the request, and puts the body back for the handler's extractor.
pub async fn fingerprint(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let writes = !matches!(
        *req.method(),
        actix_web::http::Method::GET
            | actix_web::http::Method::HEAD
            | actix_web::http::Method::OPTIONS
    );
    if writes && req.headers().contains_key(IDEMPOTENCY_KEY) {
        // Routing comes after this middleware, so a route's own body limit is not seen here:
        // read what the route would read.
        let limit = body_limit(req.path());
        let payload = match req.extract::<web::Payload>().await {
            Ok(p) => p,
            Err(e) => return Ok(refuse(req, e.error_response())),
        };
        let body = match payload.to_bytes_limited(limit).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                let status = e.as_response_error().status_code();
                return Ok(refuse(
                    req,
                    problem(status, format!("cannot read the body: {e}"), None),
                ));
            }
            Err(_) => {
                let detail = format!("body is larger than the {limit}-byte limit");
                return Ok(refuse(
                    req,
                    problem(StatusCode::PAYLOAD_TOO_LARGE, detail, None),
                ));
            }
        };
        let mut h = blake3::Hasher::new();
        h.update(b"boardtrail idempotent request v1\0");
        h.update(req.method().as_str().as_bytes());
        h.update(b"\0");
        h.update(req.path().as_bytes());
        h.update(b"\0");
        h.update(req.query_string().as_bytes());
        h.update(b"\0");
        h.update(&body);
        req.extensions_mut()
            .insert(RequestFingerprint(*h.finalize().as_bytes()));
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    next.call(req).await.map(|r| r.map_into_boxed_body())
}

/// The most of a body a route reads: a sales file up to [`SALES_FILE`](super::resale::SALES_FILE),
/// any other body up to [`MAX_BODY`] (routes that read less refuse the rest themselves).
fn body_limit(path: &str) -> usize {
    if path == "/api/v1/sales/import" {
        super::resale::SALES_FILE
    } else {
        MAX_BODY
    }
}

/// Answers a request with `resp` before its handler runs.
fn refuse(
    req: actix_web::dev::ServiceRequest,
    resp: HttpResponse,
) -> actix_web::dev::ServiceResponse<actix_web::body::BoxBody> {
    let (req, _) = req.into_parts();
    actix_web::dev::ServiceResponse::new(req, resp)
}

/// The status a route answers a success with (what a replay answers again), for the
/// routes written by hand; the generated write routes set theirs (`answers_with`).
fn success_status(method: &actix_web::http::Method, pattern: &str) -> u16 {
    use actix_web::http::Method;
    match (method, pattern) {
        (&Method::DELETE, "/api/v1/keys/{id}") => 204,
        (&Method::DELETE, _) => 200,
        (
            &Method::POST,
            "/api/v1/listings/{id}/batches" | "/api/v1/actions/{id}/ack" | "/api/v1/sales/import",
        ) => 200,
        _ => 201,
    }
}

/// The `Idempotency-Key` of a write, scoped to the calling key: a token of 1 to 255 visible
/// ASCII characters, as a bare value or a quoted structured-field string.
pub(super) fn idempotency(
    req: &HttpRequest,
    caller: &Caller,
) -> Result<Option<crate::app::Idempotency>, AppError> {
    let Some(v) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let Some(fp) = req.extensions().get::<RequestFingerprint>().copied() else {
        return Ok(None); // a read: the key means nothing
    };
    let raw = v.to_str().unwrap_or("");
    let key = raw
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(raw);
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::BadRequest {
            field: Some("Idempotency-Key".into()),
            detail: "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        });
    }
    let mut scoped = Vec::with_capacity(caller.key_id.len() + 1 + key.len());
    scoped.extend_from_slice(caller.key_id.as_bytes());
    scoped.push(0);
    scoped.extend_from_slice(key.as_bytes());
    Ok(Some(crate::app::Idempotency {
        key: scoped,
        request: fp.0,
        status: success_status(req.method(), req.match_pattern().as_deref().unwrap_or("")),
    }))
}
