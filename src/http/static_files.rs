//! The web app's files (`static/`), embedded in the binary so that `boardtrail serve`
//! alone serves them (in debug builds rust-embed reads them from disk, handy while editing).

use super::problem;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct Assets;

/// Serves one embedded file with its content type and an ETag.
/// The text of an embedded file (the scan page's shell, filled on the server).
pub fn text(name: &str) -> Option<String> {
    Assets::get(name).and_then(|f| String::from_utf8(f.data.into_owned()).ok())
}

pub fn file(req: &HttpRequest, name: &str) -> HttpResponse {
    let Some(f) = Assets::get(name) else {
        return problem(StatusCode::NOT_FOUND, format!("no file {name}"), None);
    };
    let etag = format!(
        "\"{}\"",
        data_encoding::HEXLOWER.encode(&f.metadata.sha256_hash()[..16])
    );
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    HttpResponse::Ok()
        .content_type(format!("{mime}; charset=utf-8"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; media-src 'self' blob:",
        ))
        .body(f.data.into_owned())
}

async fn asset(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    if name.contains("..") || name.starts_with('/') {
        return problem(StatusCode::NOT_FOUND, "no such file", None);
    }
    file(&req, &name)
}

macro_rules! page {
    ($fn:ident, $file:expr) => {
        async fn $fn(req: HttpRequest) -> HttpResponse {
            file(&req, $file)
        }
    };
}

page!(index, "index.html");
page!(favicon, "icon.svg");
page!(scan, "scan.html");
page!(trace, "trace.html");
page!(regulator, "regulator.html");
page!(platform, "platform.html");
page!(factory, "factory.html");
page!(distributor, "distributor.html");
page!(review, "review.html");
page!(qualification, "qualification.html");

/// The pages: `/`, `/scan`, `/trace/{id}`, `/regulator`, `/platform`, `/manufacturer`, `/distributor`, `/review`, `/qualification`,
/// `/supplier`, and the assets under `/static/`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/scan", web::get().to(scan))
        .route("/trace/{id}", web::get().to(trace))
        .route("/regulator", web::get().to(regulator))
        .route("/platform", web::get().to(platform))
        .route("/manufacturer", web::get().to(factory))
        .route("/supplier", web::get().to(factory))
        .route("/distributor", web::get().to(distributor))
        .route("/review", web::get().to(review))
        .route("/qualification", web::get().to(qualification))
        .route("/static/{file:.*}", web::get().to(asset))
        .route("/favicon.ico", web::get().to(favicon));
}
