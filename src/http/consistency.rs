//! Reading one's own writes across nodes. Every response carries `Boardtrail-Seq`, the
//! last event the answering node holds (after a write: at least that write's event). A
//! request with `Boardtrail-Min-Seq: N` (or `?min_seq=N`) is answered only once the node
//! holds event N: it catches up with the shared log and waits up to [`WAIT`], else 503.

use super::{problem, State};
use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;
use std::time::{Duration, Instant};

pub const SEQ_HEADER: &str = "boardtrail-seq";
pub const MIN_SEQ_HEADER: &str = "boardtrail-min-seq";
/// The longest a request waits for the event it asked to see.
pub const WAIT: Duration = Duration::from_secs(5);

/// The event a request asks to see: the header, else the `min_seq` query parameter.
/// `Err` for a value that is not a number.
fn wanted(req: &ServiceRequest) -> Result<Option<u64>, String> {
    let raw = match req.headers().get(MIN_SEQ_HEADER) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| "Boardtrail-Min-Seq is not text".to_string())?
                .to_string(),
        ),
        None => req
            .query_string()
            .split('&')
            .find_map(|kv| kv.strip_prefix("min_seq="))
            .map(str::to_string),
    };
    raw.map(|v| {
        v.trim().parse::<u64>().map_err(|_| {
            format!("min_seq must be an event number (a non-negative integer), not '{v}'")
        })
    })
    .transpose()
}

pub async fn read_after(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<State>>().cloned() else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let min = match wanted(&req) {
        Ok(m) => m,
        Err(detail) => {
            let (req, _) = req.into_parts();
            let resp = problem(StatusCode::BAD_REQUEST, detail, Some("min_seq"));
            return Ok(ServiceResponse::new(req, resp));
        }
    };
    if let Some(min) = min {
        let store = state.app.store().clone();
        let reached = web::block(move || {
            let until = Instant::now() + WAIT;
            loop {
                if store.head_seq() >= min {
                    return true;
                }
                let _ = store.catch_up();
                if store.head_seq() >= min || Instant::now() >= until {
                    return store.head_seq() >= min;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .await
        .unwrap_or(false);
        if !reached {
            let (req, _) = req.into_parts();
            let mut resp = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "this node does not hold event {min} yet (it holds up to {}); retry in a moment",
                    state.app.store().head_seq()
                ),
                None,
            );
            resp.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                HeaderValue::from_static("1"),
            );
            return Ok(ServiceResponse::new(req, resp));
        }
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Ok(v) = HeaderValue::from_str(&state.app.store().head_seq().to_string()) {
        res.headers_mut()
            .insert(HeaderName::from_static(SEQ_HEADER), v);
    }
    Ok(res)
}
