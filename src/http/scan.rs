//! Routes of QR codes, the public scan view and the GS1 Digital Link resolver, and the web app's helpers.

use super::*;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QrQuery {
    size: Option<u32>,
    ecc: Option<String>,
}

pub(super) async fn qr_image(
    req: HttpRequest,
    s: web::Data<State>,
    c: Caller,
    file: web::Path<String>,
    q: web::Query<QrQuery>,
) -> Result<HttpResponse, AppError> {
    let ecc = match &q.ecc {
        Some(e) => e
            .parse::<crate::qr::Ecc>()
            .map_err(|e| AppError::bad("ecc", e.to_string()))?,
        None => crate::qr::Ecc::M,
    };
    let size = q.size.unwrap_or(256);
    let app = s.app.clone();
    let (bytes, mime) = blocking(move || app.qr_image(&c, &file, size, ecc)).await?;
    let etag = crate::qr::etag(&bytes);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str());
    let mut resp = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"));
    Ok(if fresh {
        resp.finish()
    } else {
        resp.content_type(mime).body(bytes)
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LabelsQuery {
    columns: Option<u32>,
}

pub(super) async fn labels(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
    q: web::Query<LabelsQuery>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    let columns = q.columns.unwrap_or(3);
    let html = blocking(move || app.labels(&c, &id, columns)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

pub(super) async fn me(s: web::Data<State>, c: Caller) -> Result<HttpResponse, AppError> {
    s.app.me(&c).map(|v| HttpResponse::Ok().json(v))
}

getter!(stock, stock);

pub(super) fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

pub(super) fn cors(mut resp: HttpResponse) -> HttpResponse {
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    h.insert(header::VARY, header::HeaderValue::from_static("Accept"));
    resp
}

/// The public scan view: the page for a browser, JSON otherwise. A valid key shows more.
pub(super) fn scan_response(
    req: &HttpRequest,
    s: &State,
    resolved: Result<crate::core::domain::NodeId, AppError>,
) -> HttpResponse {
    if wants_html(req) {
        let mut page = super::static_files::file(req, "q.html");
        if resolved.is_err() && page.status() == StatusCode::OK {
            *page.status_mut() = StatusCode::NOT_FOUND;
        }
        return cors(page);
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let caller = header.and_then(|h| s.auth.authenticate(Some(h), &s.app).ok());
    let view = resolved.and_then(|id| s.app.scan_view(caller.as_ref(), id));
    cors(match view {
        Ok(v) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(v),
        Err(e) => e.error_response(),
    })
}

pub(super) async fn scan_token(
    req: HttpRequest,
    s: web::Data<State>,
    token: web::Path<String>,
) -> HttpResponse {
    let resolved = s.app.resolve_token(&token);
    scan_response(&req, &s, resolved)
}

#[derive(serde::Deserialize)]
pub(super) struct LinkTypeQuery {
    #[serde(rename = "linkType")]
    link_type: Option<String>,
}

/// GS1 Digital Link resolver: `/01/{gtin}[/10/{batch}][/21/{serial}]`.
pub(super) async fn digital_link(
    req: HttpRequest,
    s: web::Data<State>,
    q: web::Query<LinkTypeQuery>,
) -> HttpResponse {
    let resolved = s.app.resolve_digital_link(req.path());
    if q.link_type.as_deref() == Some("all") {
        let body = resolved.and_then(|(id, dl)| s.app.linkset(id, &dl));
        return cors(match body {
            Ok(v) => HttpResponse::Ok()
                .content_type("application/linkset+json")
                .json(v),
            Err(e) => e.error_response(),
        });
    }
    if let Err(e @ AppError::BadRequest { .. }) = &resolved {
        return cors(e.error_response());
    }
    scan_response(&req, &s, resolved.map(|(id, _)| id))
}

pub(super) async fn preflight() -> HttpResponse {
    cors(
        HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Accept, Authorization",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
            .finish(),
    )
}
