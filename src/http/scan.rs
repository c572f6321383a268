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
        // The whole public view in the first response; the page's script only enhances it.
        if let Ok(id) = &resolved {
            let filled = s.app.scan_view(None, *id).ok().and_then(|v| {
                let shell = super::static_files::text("q.html")?;
                let (head, rest) = shell.split_once("<main id=\"main\" tabindex=\"-1\">")?;
                let (_, tail) = rest.split_once("</main>")?;
                Some(format!(
                    "{head}<main id=\"main\" tabindex=\"-1\" data-rendered=\"1\">{}{}</main>{tail}",
                    super::scan_page::main_html(&v),
                    super::complaint_page::report_html(req.path())
                ))
            });
            if let Some(html) = filled {
                return cors(
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .insert_header((header::CACHE_CONTROL, "no-store"))
                        .body(html),
                );
            }
        }
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

/// The per-client limit of anonymous scans (a request with a valid key has its key's
/// limit; any other `Authorization` header counts as none): the refusal to send, if over it.
pub(super) fn anonymous_limit(req: &HttpRequest, s: &State) -> Option<HttpResponse> {
    if let Some(h) = req.headers().get(header::AUTHORIZATION) {
        if s.auth.authenticate(Some(h.as_bytes()), &s.app).is_ok() {
            return None;
        }
    }
    let peer = req.peer_addr()?;
    s.auth
        .check_anonymous(peer.ip())
        .err()
        .map(|e| cors(e.error_response()))
}

pub(super) async fn scan_token(
    req: HttpRequest,
    s: web::Data<State>,
    token: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = anonymous_limit(&req, &s) {
        return refused;
    }
    let resolved = s.app.resolve_token(&token);
    scan_response(&req, &s, resolved)
}

#[derive(serde::Deserialize)]
pub(super) struct LinkTypeQuery {
    #[serde(rename = "linkType")]
    link_type: Option<String>,
}

/// GS1 Digital Link resolver: `/01/{gtin}[/10/{batch}][/21/{serial}]` (GS1-Conformant
/// Resolver 1.2). Every request is validated against the GS1 DL grammar and AI table (400
/// naming the fault). `linkType=linkset` (or the deprecated `all`), or `Accept:
/// application/linkset+json`, answers the RFC 9264 linkset; `linkType=<type>` redirects
/// (307) to that link, query string passed on, or 404; without one the default link's
/// content (the public scan view) is served at the Digital Link itself. Every answer for an
/// item links its linkset (`Link: …; rel="linkset"`).
pub(super) async fn digital_link(
    req: HttpRequest,
    s: web::Data<State>,
    q: web::Query<LinkTypeQuery>,
) -> HttpResponse {
    if let Some(refused) = anonymous_limit(&req, &s) {
        return refused;
    }
    // The query too: its data attributes are validated like the path.
    let link = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    // A compressed Digital Link (wholly, or after its key): answered as its uncompressed
    // form, which `Link: <…>; rel="owl:sameAs"` names.
    let (link, same_as) = match uncompressed(&link) {
        Ok(Some(full)) => (full.clone(), Some(full)),
        Ok(None) => (link, None),
        Err(e) => return cors(e.error_response()),
    };
    let resolved = s.app.resolve_digital_link(&link);
    if let Err(e @ AppError::BadRequest { .. }) = &resolved {
        return cors(e.error_response());
    }
    let path = link.split('?').next().unwrap_or_default();
    // The query passed on by a redirect: the request's, or a compressed link's own.
    let query = link.split_once('?').map_or("", |(_, q)| q).to_string();
    let mut links =
        format!("<{path}?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\"");
    if let Some(full) = &same_as {
        links.push_str(&format!(
            ", <{}{full}>; rel=\"owl:sameAs\"",
            s.app.public_url()
        ));
    }
    let linkset_link = links;
    let wants_linkset = matches!(q.link_type.as_deref(), Some("linkset" | "all"))
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/linkset+json"));
    let with_link = |mut r: HttpResponse| {
        if let Ok(v) = header::HeaderValue::from_str(&linkset_link) {
            r.headers_mut().insert(header::LINK, v);
        }
        cors(r)
    };
    if wants_linkset {
        let body = resolved.and_then(|(id, dl)| s.app.linkset(id, &dl));
        return match body {
            Ok(v) => with_link(
                HttpResponse::Ok()
                    .content_type("application/linkset+json")
                    .json(v),
            ),
            Err(e) => cors(e.error_response()),
        };
    }
    if let Some(kind) = q.link_type.as_deref() {
        let target = resolved
            .and_then(|(id, dl)| s.app.linkset(id, &dl))
            .map(|set| link_of_type(&set, &crate::digital_link::expand_rel(kind)));
        return match target {
            Ok(Some(href)) => with_link(
                HttpResponse::TemporaryRedirect()
                    .insert_header((header::LOCATION, pass_query(&href, &query)))
                    .finish(),
            ),
            Ok(None) => cors(problem(
                StatusCode::NOT_FOUND,
                format!("this item has no link of type {kind}"),
                Some("linkType"),
            )),
            Err(e) => cors(e.error_response()),
        };
    }
    // The default link: a client that asked for JSON gets the scan view here; any other
    // (a browser, a phone's camera app, a plain HTTP client) is sent to the scan page.
    if !wants_json(&req) {
        if let Ok((id, dl)) = &resolved {
            let target = s
                .app
                .linkset(*id, dl)
                .map(|set| link_of_type(&set, &crate::digital_link::expand_rel("gs1:defaultLink")));
            return match target {
                Ok(Some(href)) => with_link(
                    HttpResponse::TemporaryRedirect()
                        .insert_header((header::LOCATION, pass_query(&href, &query)))
                        .finish(),
                ),
                Ok(None) => cors(
                    AppError::Internal("a resolved item has no default link".into())
                        .error_response(),
                ),
                Err(e) => cors(e.error_response()),
            };
        }
    }
    let ok = resolved.is_ok();
    let resp = scan_response(&req, &s, resolved.map(|(id, _)| id));
    if ok {
        with_link(resp)
    } else {
        resp
    }
}

/// Whether the client asked for JSON (`Accept: application/json` or a `+json` type) rather
/// than a page.
fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.split(',').any(|t| {
                let t = t.split(';').next().unwrap_or_default().trim();
                t == "application/json" || t.ends_with("+json")
            })
        })
}

/// The uncompressed form of a compressed Digital Link (GS1 DL compression), `None` for
/// anything else; 400 for a compressed link that does not decode.
fn uncompressed(link: &str) -> Result<Option<String>, AppError> {
    let path = link.split('?').next().unwrap_or_default();
    if crate::gs1::parse(link).is_ok() || !crate::gs1::compress::is_compressed(path) {
        return Ok(None);
    }
    crate::gs1::compress::decompress_to_path(link)
        .map(Some)
        .map_err(|e| AppError::bad("path", format!("compressed Digital Link: {e}")))
}

/// A request the routes do not know: a compressed Digital Link (a single base64 segment)
/// goes to the resolver, anything else is 404.
pub(super) async fn unrouted(req: HttpRequest, s: web::Data<State>) -> HttpResponse {
    use actix_web::http::Method;
    // The service's own areas are never Digital Links: a wrong path there is a 404.
    let own = ["/api/", "/log/", "/static/", "/complaints/", "/q/"]
        .iter()
        .any(|p| req.path().starts_with(p));
    if own {
        return super::not_found(req).await;
    }
    if let Some(refused) = anonymous_limit(&req, &s) {
        return refused;
    }
    let compressed = crate::gs1::compress::is_compressed(req.path());
    if compressed && req.method() == Method::OPTIONS {
        return preflight().await;
    }
    if compressed && (req.method() == Method::GET || req.method() == Method::HEAD) {
        if let Ok(q) = web::Query::<LinkTypeQuery>::from_query(req.query_string()) {
            return digital_link(req, s, q).await;
        }
    }
    super::not_found(req).await
}

/// The first target of relation `rel` in a linkset.
fn link_of_type(set: &serde_json::Value, rel: &str) -> Option<String> {
    set["linkset"][0][rel][0]["href"]
        .as_str()
        .map(str::to_string)
}

/// `href` with the request's query string passed on, less `linkType` (the resolver's own).
fn pass_query(href: &str, query: &str) -> String {
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("linkType="))
        .collect();
    if rest.is_empty() {
        return href.to_string();
    }
    let sep = if href.contains('?') { '&' } else { '?' };
    format!("{href}{sep}{}", rest.join("&"))
}

/// `/.well-known/gs1resolver`: the resolver description file (GS1-Conformant Resolver
/// 1.2, its description-file schema).
pub(super) async fn resolver_description(s: web::Data<State>) -> HttpResponse {
    cors(
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .json(serde_json::json!({
                "name": "boardtrail 板材溯源",
                "resolverRoot": s.app.public_url(),
                "supportedPrimaryKeys": ["01"],
                "supportedLinkType": [
                    {"namespace": crate::digital_link::GS1_VOC, "prefix": "gs1:"}
                ],
                "linkTypeDefaultCanBeLinkset": false,
            })),
    )
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
