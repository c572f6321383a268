//! Routes of consumers' complaints: filing one without an account, reading its status by
//! its reference, and (for regulators) the photo sent with it.

use super::*;
use crate::app::complaints::NewComplaint;

/// `POST /api/v1/complaints`: 201 with the reference and the public status. Limited per
/// client address, then per code.
pub(super) async fn file_complaint(
    req: HttpRequest,
    s: web::Data<State>,
    body: web::Json<NewComplaint>,
) -> Result<HttpResponse, AppError> {
    if let Some(peer) = req.peer_addr() {
        s.auth.check_complaint_client(peer.ip())?;
    }
    let client = req
        .peer_addr()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    let (app, auth) = (s.app.clone(), s.auth.clone());
    let status = blocking(move || {
        app.file_complaint(body.into_inner(), |code| {
            auth.check_complaint_code(client, code)
        })
    })
    .await?;
    let location = format!("/api/v1/complaints/{}", status.reference);
    let mut resp = created(&s, &status);
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    // The reference reads the complaint's status: not for caches.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// `GET /api/v1/complaints/{reference}`: public, without the contact or the text.
pub(super) async fn complaint_status(
    req: HttpRequest,
    s: web::Data<State>,
    reference: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = super::scan::anonymous_limit(&req, &s) {
        return Ok(refused);
    }
    let app = s.app.clone();
    let status = blocking(move || app.complaint_status(&reference)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(status))
}

/// `GET /api/v1/cases/{id}/photo`: the photo of a complaint's case, for regulators.
pub(super) async fn complaint_photo(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    let photo = blocking(move || app.complaint_photo(&c, &id)).await?;
    Ok(HttpResponse::Ok()
        .content_type(photo.media_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'"))
        .body(photo.bytes))
}
