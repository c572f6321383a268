//! HTTP: thin actix-web handlers over [`crate::app::App`]. This module alone maps errors
//! to statuses (RFC 9457 `application/problem+json`) and extracts the caller.

use crate::app::dto::*;
use crate::app::{App, Caller};
use crate::auth::Auth;
use crate::error::AppError;
use crate::store::{Failure, StoreError};
use actix_web::dev::HttpServiceFactory;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use std::future::{ready, Ready};
use std::sync::Arc;

/// Largest accepted JSON body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Largest body of a consumer's complaint (a 48 KiB photo in base64, 2,000 characters of
/// text, escaped).
pub const COMPLAINT_BODY: usize = 96 * 1024;

/// Shared state handed to every handler.
#[derive(Clone)]
pub struct State {
    pub app: Arc<App>,
    pub auth: Arc<Auth>,
    /// The verifiable log (checkpoints, proofs, witnesses).
    pub log: Arc<crate::transparency::Transparency>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

fn slug(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        409 => "conflict",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        422 => "rule-violated",
        429 => "rate-limited",
        503 => "unavailable",
        507 => "insufficient-storage",
        _ => "internal",
    }
}

/// Builds an RFC 9457 problem response.
pub fn problem(status: StatusCode, detail: impl Into<String>, field: Option<&str>) -> HttpResponse {
    let body = Problem {
        kind: format!("https://boardtrail.invalid/problems/{}", slug(status)),
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: detail.into(),
        field,
    };
    let mut resp = HttpResponse::build(status);
    resp.content_type("application/problem+json");
    if status == StatusCode::UNAUTHORIZED {
        resp.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"boardtrail\""));
    }
    resp.body(serde_json::to_vec(&body).unwrap_or_default())
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(StoreError::Failed(f)) if f.disk_full => {
                StatusCode::INSUFFICIENT_STORAGE
            }
            AppError::Store(StoreError::Failed(_) | StoreError::Unavailable(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Replayed { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::OK)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let AppError::Store(StoreError::Failed(f)) = self {
            return stopped(f);
        }
        if let AppError::Store(StoreError::Unavailable(why)) = self {
            tracing::warn!(reason = %why, "write refused: the database is not available");
            let mut resp = problem(
                status,
                "the database is not available: nothing was written; retry in a moment (with \
                 the same Idempotency-Key, a retry is safe)",
                None,
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return resp;
        }
        if let AppError::Replayed { body, .. } = self {
            // The first answer again, as it was sent.
            let mut resp = HttpResponse::build(status);
            resp.insert_header(("Idempotency-Replayed", "true"));
            if status == StatusCode::NO_CONTENT {
                return resp.finish();
            }
            resp.content_type(if status.is_client_error() {
                "application/problem+json"
            } else {
                "application/json"
            });
            return resp.body(body.clone());
        }
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            return problem(status, "internal error; see the server log", None);
        }
        let mut resp = problem(status, self.to_string(), self.field());
        if let AppError::RateLimited { retry_after_s } = self {
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

/// The answer to every request once the store stopped (fail-stop): 507 when the disk is
/// full, else 503. The write that failed was acknowledged to nobody; nothing is served until
/// a restart (or, on a shared database, until the node reloaded from it), so nothing
/// unacknowledged is ever read.
fn stopped(f: &Failure) -> HttpResponse {
    let status = if f.disk_full {
        StatusCode::INSUFFICIENT_STORAGE
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let when = if f.recovers {
        "in a moment"
    } else {
        "after the restart"
    };
    let full = if f.disk_full {
        " The disk holding the data is full: free space on it first."
    } else {
        ""
    };
    problem(
        status,
        format!(
            "{f}.{full} The request was not acknowledged; retry it {when} (with the same \
             Idempotency-Key, a write that did reach the log answers as it first did)"
        ),
        None,
    )
}

/// Fail-stop at the edge: once the store stopped, every request but `/healthz` gets the
/// stopped answer (reads too, so that nothing the failed write left in memory is served).
pub async fn fail_stop(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let failure = req
        .app_data::<web::Data<State>>()
        .and_then(|s| s.app.store().failure());
    match failure {
        Some(f) if req.path() != "/healthz" => {
            let (req, _) = req.into_parts();
            Ok(actix_web::dev::ServiceResponse::new(req, stopped(&f)))
        }
        _ => next.call(req).await.map(|r| r.map_into_boxed_body()),
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Ready<Result<Caller, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<State>>() else {
            return ready(Err(AppError::Internal("state missing".into())));
        };
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        let caller = state.auth.authenticate(header, &state.app);
        // A read-only key reads; every other method is a write (checked again where events
        // are written, so no path can slip past).
        let reads = matches!(
            *req.method(),
            actix_web::http::Method::GET | actix_web::http::Method::HEAD
        );
        ready(match caller {
            Ok(c) if c.read_only && !reads => {
                Err(AppError::Forbidden("this key is read-only".into()))
            }
            Ok(mut c) => idempotency(req, &c).map(|i| {
                c.idempotency = i;
                c
            }),
            other => other,
        })
    }
}

/// Runs blocking work (sled writes and flushes) off the async executor.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    web::block(f)
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
}

/// 201 with the created resource, which names the seq of the event that recorded it.
fn created<T: Serialize>(s: &State, v: &T) -> HttpResponse {
    match serde_json::to_value(v) {
        Ok(mut j) => {
            s.app.with_seq(&mut j);
            HttpResponse::Created().json(j)
        }
        Err(e) => AppError::Internal(format!("answer: {e}")).error_response(),
    }
}

/// Up or not, for anyone; the counters only for a regulator or the operator. A stopped
/// store answers 503 (507 when the disk is full) with the reason.
async fn healthz(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    if let Some(f) = state.app.store().failure() {
        let status = if f.disk_full {
            StatusCode::INSUFFICIENT_STORAGE
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        return HttpResponse::build(status).json(serde_json::json!({
            "status": "failed",
            "reason": f.to_string(),
            "disk_full": f.disk_full,
        }));
    }
    let caller = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| state.auth.authenticate(Some(h.as_bytes()), &state.app).ok());
    HttpResponse::Ok().json(state.app.health(caller.as_ref()))
}

/// A spreadsheet or JSON, as `?format=` (`csv`, `json`) or `Accept: text/csv` asks.
fn wants_csv(req: &HttpRequest, format: &Option<String>) -> Result<bool, AppError> {
    match format.as_deref() {
        Some("csv") => Ok(true),
        Some("json") | None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))),
        Some(other) => Err(AppError::bad(
            "format",
            format!("format is json or csv (got '{}')", crate::app::trunc(other)),
        )),
    }
}

macro_rules! getter {
    ($name:ident, $method:ident) => {
        pub(super) async fn $name(
            s: web::Data<State>,
            c: Caller,
            id: web::Path<String>,
        ) -> Result<HttpResponse, AppError> {
            s.app.$method(&c, &id).map(|v| HttpResponse::Ok().json(v))
        }
    };
}

/// The caller of a write that answers a success with `status`: what a replay under its
/// `Idempotency-Key` answers again (the routes generated below say so themselves).
fn answers_with(mut c: Caller, status: StatusCode) -> Caller {
    if let Some(i) = c.idempotency.as_mut() {
        i.status = status.as_u16();
    }
    c
}

macro_rules! write_route {
    ($name:ident, $body:ty, $method:ident, $status:ident) => {
        pub(super) async fn $name(
            s: web::Data<State>,
            c: Caller,
            body: web::Json<$body>,
        ) -> Result<HttpResponse, AppError> {
            let app = s.app.clone();
            let c = answers_with(c, HttpResponse::$status().finish().status());
            blocking(move || app.$method(&c, body.into_inner()))
                .await
                .map(|v| write_response!(s, $status, v))
        }
    };
}

/// A write's answer: a created resource names its event's seq.
macro_rules! write_response {
    ($s:ident, Created, $v:ident) => {
        created(&$s, &$v)
    };
    ($s:ident, $status:ident, $v:ident) => {
        HttpResponse::$status().json($v)
    };
}

macro_rules! write_id_route {
    ($name:ident, $body:ty, $method:ident) => {
        write_id_route!($name, $body, $method, Ok);
    };
    ($name:ident, $body:ty, $method:ident, $status:ident) => {
        pub(super) async fn $name(
            s: web::Data<State>,
            c: Caller,
            id: web::Path<String>,
            body: web::Json<$body>,
        ) -> Result<HttpResponse, AppError> {
            let app = s.app.clone();
            let c = answers_with(c, HttpResponse::$status().finish().status());
            blocking(move || app.$method(&c, &id, body.into_inner()))
                .await
                .map(|v| write_response!(s, $status, v))
        }
    };
}

macro_rules! query_route {
    ($name:ident, $query:ty, $method:ident) => {
        pub(super) async fn $name(
            s: web::Data<State>,
            c: Caller,
            q: web::Query<$query>,
        ) -> Result<HttpResponse, AppError> {
            let app = s.app.clone();
            blocking(move || app.$method(&c, &q))
                .await
                .map(|v| HttpResponse::Ok().json(v))
        }
    };
}

mod complaint_page;
mod idempotent;
use idempotent::idempotency;
pub use idempotent::{fingerprint, IDEMPOTENCY_KEY};
mod complaints;
mod compliance;
pub(crate) mod consistency;
mod extract;
mod requests;
mod resale;
mod scan;
mod scan_page;
mod sellers;
pub(crate) mod static_files;
mod supply;
mod tlog;
use complaints::*;
use compliance::*;
pub use extract::extractor_config;
use extract::json_error;
use requests::*;
use resale::*;
use scan::*;
use sellers::*;
use supply::*;

/// Public routes: the scan page, the Digital Link resolver and the consumer's complaint pages.
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/complaints", web::post().to(complaint_page::post_form))
        .route("/complaints", web::get().to(complaint_page::lookup))
        .route(
            "/complaints/{reference}",
            web::get().to(complaint_page::status_page),
        );
    cfg.service(
        web::resource("/q/{token}")
            .route(web::get().to(scan_token))
            .route(web::head().to(scan_token))
            .route(web::method(actix_web::http::Method::OPTIONS).to(preflight)),
    )
    .service(
        web::resource("/.well-known/gs1resolver")
            .route(web::get().to(scan::resolver_description))
            .route(web::head().to(scan::resolver_description))
            .route(web::method(actix_web::http::Method::OPTIONS).to(preflight)),
    )
    .service(
        // Every path that starts with an AI (`/01/…`, `/00/…`, `/414/…`, a wrong one): the
        // resolver validates it (400) or resolves it (404 for keys it holds nothing under).
        web::resource("/{ai:[0-9]{2,4}}/{tail:.*}")
            .route(web::get().to(digital_link))
            .route(web::head().to(digital_link))
            .route(web::method(actix_web::http::Method::OPTIONS).to(preflight)),
    );
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        format!("no route for {} {}", req.method(), req.path()),
        None,
    )
}

/// The `/api/v1` routes.
pub fn api_v1() -> impl HttpServiceFactory {
    web::scope("/api/v1")
        .route("/parties", web::post().to(create_party))
        .route("/parties", web::get().to(list_parties))
        .route("/parties/{id}", web::get().to(get_party))
        .route("/parties/{id}/keys", web::post().to(create_key))
        .route("/parties/{id}/keys", web::get().to(list_keys))
        .route("/keys/{id}", web::delete().to(revoke_key))
        .route("/grants", web::post().to(create_grant))
        .route("/grants", web::get().to(list_grants))
        .route("/grants/{id}", web::delete().to(revoke_grant))
        .route("/lots", web::post().to(create_lot))
        .route("/lots/{id}", web::get().to(get_lot))
        .route("/shipments", web::post().to(create_shipment))
        .route("/shipments/{id}", web::get().to(get_shipment))
        .route("/batches", web::post().to(create_batch))
        .route("/batches/{id}", web::get().to(get_batch))
        .route("/units/{id}", web::get().to(get_unit))
        .route("/listings", web::post().to(create_listing))
        .route("/listings/{id}", web::get().to(get_listing))
        .route("/listings/{id}/batches", web::post().to(link_batches))
        .route("/trace/upstream/{id}", web::get().to(upstream))
        .route("/trace/downstream/{id}", web::get().to(downstream))
        .route("/events", web::get().to(events))
        .route("/inspections", web::post().to(create_inspection))
        .route("/inspections/{id}", web::get().to(get_inspection))
        .route(
            "/parties/{id}/compliance",
            web::post().to(declare_compliance),
        )
        .route("/parties/{id}/compliance", web::get().to(get_compliance))
        .route("/compliance/suppliers", web::get().to(suppliers))
        .route("/compliance/affected-listings", web::get().to(affected))
        .route("/actions", web::post().to(create_action))
        .route("/actions", web::get().to(list_actions))
        .route("/actions/bulk", web::post().to(bulk_action))
        .route("/actions/{id}", web::get().to(get_action))
        .route("/actions/{id}/ack", web::post().to(ack_action))
        .route("/cases", web::post().to(create_case))
        .route("/cases", web::get().to(cases))
        .route("/cases/{id}", web::get().to(get_case))
        .route("/cases/{id}/transfer", web::post().to(transfer_case))
        .route("/cases/{id}/notes", web::post().to(note_case))
        .route("/cases/{id}/photo", web::get().to(complaint_photo))
        .service(
            // A complaint's body is small (a photo is at most 48 KiB): read no more.
            web::resource("/complaints")
                .app_data(
                    web::JsonConfig::default()
                        .limit(COMPLAINT_BODY)
                        .error_handler(json_error),
                )
                .route(web::post().to(file_complaint)),
        )
        .route("/complaints/{reference}", web::get().to(complaint_status))
        .route("/goods-shipments", web::post().to(create_goods_shipment))
        .route("/goods-shipments/{id}", web::get().to(get_goods_shipment))
        .route("/parties/{id}/goods", web::get().to(goods_of))
        .route("/sales", web::post().to(create_sale))
        .route("/sales", web::get().to(list_sales))
        .service(
            // A sales file may be large (up to 16 MiB): read that much for this route only.
            web::resource("/sales/import")
                .app_data(web::PayloadConfig::new(SALES_FILE))
                .route(web::post().to(import_sales)),
        )
        .route("/sales/{id}", web::get().to(get_sale))
        .route("/sales/{id}/correction", web::post().to(correct_sale))
        .route("/requests", web::post().to(create_request))
        .route("/requests", web::get().to(list_requests))
        .route("/requests/{id}", web::get().to(get_request))
        .route("/requests/{id}/answer", web::post().to(answer_request))
        .route("/requests/{id}/decline", web::post().to(decline_request))
        .route(
            "/requests/{id}/attachments/{index}",
            web::get().to(request_attachment),
        )
        .route(
            "/inspections/{id}/confirmation",
            web::post().to(confirm_order),
        )
        .route("/orders", web::get().to(list_orders))
        .route("/parties/{id}/licences", web::post().to(add_licence))
        .route("/parties/{id}/trademarks", web::post().to(add_trademark))
        .route(
            "/parties/{id}/certificates",
            web::post().to(add_certificate),
        )
        .route("/parties/{id}/checks", web::post().to(record_check))
        .route(
            "/parties/{id}/qualifications",
            web::get().to(qualifications),
        )
        .route("/parties/{id}/quality", web::get().to(quality))
        .route("/qualifications/{id}", web::get().to(get_qualification))
        .route(
            "/qualifications/{id}/review",
            web::post().to(review_qualification),
        )
        .route("/listings/{id}/claims", web::post().to(set_claims))
        .route("/listings/{id}/claims", web::get().to(get_claims))
        .route("/flags", web::get().to(flags))
        .route("/review", web::get().to(review))
        .route("/checks/queue", web::get().to(check_queue))
        .route("/plans", web::post().to(create_plan))
        .route("/plans", web::get().to(list_plans))
        .route("/plans/{id}", web::get().to(get_plan))
        .route("/plans/{id}/candidates", web::get().to(plan_candidates))
        .route("/comparison", web::get().to(compare_sellers))
        .route("/sellers/{id}/comparison", web::get().to(compare_seller))
        .route("/stats/failing-items", web::get().to(failing_items))
        .route("/stats/cooperation", web::get().to(cooperation))
        .route("/me", web::get().to(me))
        .route("/parties/{id}/stock", web::get().to(stock))
        .route("/qr/{file}", web::get().to(qr_image))
        .route("/batches/{id}/labels", web::get().to(labels))
}

/// Everything the service answers: call from `HttpServer::new` or a test.
pub fn configure(state: State) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state.clone()))
            .configure(extractor_config)
            .route("/healthz", web::get().to(healthz))
            .service(api_v1())
            .configure(static_files::configure)
            .configure(public_routes)
            .configure(tlog::routes)
            .default_service(web::to(scan::unrouted));
    }
}
