//! Routes of assistance requests (协查) and of the confirmation of samples bought online.

use super::*;
use crate::app::compliance::orders::{ConfirmationIn, OrdersQuery};
use crate::app::requests::*;

write_route!(create_request, NewRequest, create_request, Created);
write_id_route!(answer_request, RequestAnswer, answer_request);
write_id_route!(decline_request, RequestDecline, decline_request);
write_id_route!(confirm_order, ConfirmationIn, confirm_order);
getter!(get_request, get_request);

pub(super) async fn list_requests(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<RequestsQuery>,
) -> Result<HttpResponse, AppError> {
    s.app
        .list_requests(&c, &q)
        .map(|v| HttpResponse::Ok().json(v))
}

/// An attachment of an answer, served as a download (never rendered in the app's origin).
pub(super) async fn request_attachment(
    s: web::Data<State>,
    c: Caller,
    path: web::Path<(String, usize)>,
) -> Result<HttpResponse, AppError> {
    let (id, index) = path.into_inner();
    let (media_type, name, bytes) = s.app.request_attachment(&c, &id, index)?;
    let ascii: String = name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ".-_".contains(ch) {
                ch
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "sandbox"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\""),
        ))
        .body(bytes))
}

pub(super) async fn list_orders(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<OrdersQuery>,
) -> Result<HttpResponse, AppError> {
    s.app
        .list_orders(&c, &q)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "orders": v })))
}
