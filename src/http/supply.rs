//! Routes of the supply chain: parties, lots, shipments, batches, listings, traces, keys and events.

use super::*;

pub(super) async fn create_party(
    s: web::Data<State>,
    c: Caller,
    body: web::Json<NewParty>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.create_party(&c, body.into_inner()))
        .await
        .map(|v| created(&s, &v))
}

pub(super) async fn create_lot(
    s: web::Data<State>,
    c: Caller,
    body: web::Json<NewLot>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.create_lot(&c, body.into_inner()))
        .await
        .map(|v| created(&s, &v))
}

pub(super) async fn create_shipment(
    s: web::Data<State>,
    c: Caller,
    body: web::Json<NewShipment>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.create_shipment(&c, body.into_inner()))
        .await
        .map(|v| created(&s, &v))
}

pub(super) async fn create_batch(
    s: web::Data<State>,
    c: Caller,
    body: web::Json<NewBatch>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.create_batch(&c, body.into_inner()))
        .await
        .map(|v| created(&s, &v))
}

pub(super) async fn create_listing(
    s: web::Data<State>,
    c: Caller,
    body: web::Json<NewListing>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.create_listing(&c, body.into_inner()))
        .await
        .map(|v| created(&s, &v))
}

pub(super) async fn link_batches(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
    body: web::Json<LinkBatches>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    let (view, changed) = blocking(move || app.link_batches(&c, &id, body.into_inner())).await?;
    // 200 either way; the header tells whether anything new was linked (idempotent retries).
    Ok(HttpResponse::Ok()
        .insert_header((
            "X-Boardtrail-Changed",
            if changed { "true" } else { "false" },
        ))
        .json(view))
}

getter!(get_party, get_party);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartiesQuery {
    role: Option<crate::core::domain::Role>,
}

pub(super) async fn list_parties(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<PartiesQuery>,
) -> Result<HttpResponse, AppError> {
    s.app
        .list_parties(&c, q.role)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "parties": v })))
}
getter!(get_lot, get_lot);
getter!(get_shipment, get_shipment);
getter!(get_batch, get_batch);
getter!(get_unit, get_unit);
getter!(get_listing, get_listing);

/// The upstream trace, written as JSON while its view borrows the world.
pub(super) async fn upstream(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    s.app.upstream_json(&c, &id).map(|body| {
        HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::json())
            .body(body)
    })
}

pub(super) async fn downstream(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
    q: web::Query<DownstreamQuery>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    // A large recall walks hundreds of thousands of nodes: keep it off the executor.
    blocking(move || app.downstream(&c, &id, &q))
        .await
        .map(|v| HttpResponse::Ok().json(v))
}

pub(super) async fn create_key(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // The body is optional: none (or `{}`) issues a full key, `{"read_only": true}` a
    // read-only one.
    let req: NewKey = if body.iter().all(u8::is_ascii_whitespace) {
        NewKey::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::bad("read_only", format!("invalid JSON body: {e}")))?
    };
    let app = s.app.clone();
    blocking(move || app.create_key(&c, &id, req.read_only))
        .await
        .map(|v| created(&s, &v))
}

pub(super) async fn list_keys(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    s.app
        .list_keys(&c, &id)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "keys": v })))
}

pub(super) async fn revoke_key(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.revoke_key(&c, &id))
        .await
        .map(|()| HttpResponse::NoContent().finish())
}

pub(super) async fn events(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<EventsQuery>,
) -> Result<HttpResponse, AppError> {
    // The log may be a database: read it off the executor.
    let (app, q) = (s.app.clone(), q.into_inner());
    blocking(move || app.events(&c, &q))
        .await
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "events": v })))
}
