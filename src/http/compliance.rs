//! Routes of compliance and enforcement: inspections, declarations, affected listings, actions, cases, grants and statistics.

use super::*;
use crate::app::compliance::*;

write_route!(create_inspection, NewInspection, create_inspection, Created);
write_route!(create_grant, NewGrant, create_grant, Created);

pub(super) async fn list_grants(s: web::Data<State>, c: Caller) -> Result<HttpResponse, AppError> {
    s.app
        .list_grants(&c)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "grants": v })))
}

pub(super) async fn revoke_grant(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.revoke_grant(&c, &id))
        .await
        .map(|v| HttpResponse::Ok().json(v))
}
write_route!(create_action, NewAction, create_action, Created);
write_route!(create_case, NewCase, create_case, Created);
write_id_route!(declare_compliance, NewDeclaration, declare_compliance);
write_id_route!(transfer_case, Transfer, transfer_case);
write_id_route!(note_case, CaseNote, note_case);
getter!(get_inspection, get_inspection);
getter!(get_compliance, get_compliance);
getter!(get_action, get_action);
getter!(get_case, get_case);
query_route!(failing_items, FailingQuery, failing_items);
query_route!(cooperation, PeriodQuery, cooperation);

pub(super) async fn suppliers(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<SuppliersQuery>,
) -> Result<HttpResponse, AppError> {
    s.app
        .suppliers_by_status(&c, &q)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "suppliers": v })))
}

pub(super) async fn cases(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<CasesQuery>,
) -> Result<HttpResponse, AppError> {
    s.app
        .list_cases(&c, &q)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "cases": v })))
}

pub(super) async fn bulk_action(
    s: web::Data<State>,
    c: Caller,
    body: web::Json<BulkAction>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    let r = blocking(move || app.bulk_action(&c, body.into_inner())).await?;
    Ok(if r.created > 0 {
        HttpResponse::Created().json(r)
    } else {
        HttpResponse::Ok().json(r)
    })
}

pub(super) async fn list_actions(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<ActionsQuery>,
) -> Result<HttpResponse, AppError> {
    let (actions, next) = s.app.list_actions(&c, &q)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "actions": actions, "next_cursor": next })))
}

pub(super) async fn ack_action(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
    body: web::Json<Ack>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    let (view, changed) = blocking(move || app.ack_action(&c, &id, body.into_inner())).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "X-Boardtrail-Changed",
            if changed { "true" } else { "false" },
        ))
        .json(view))
}

/// Affected listings as JSON, or as a CSV spreadsheet (`?format=csv` or `Accept: text/csv`):
/// UTF-8 with a byte-order mark so that Excel shows the Chinese.
pub(super) async fn affected(
    req: HttpRequest,
    s: web::Data<State>,
    c: Caller,
    q: web::Query<AffectedQuery>,
) -> Result<HttpResponse, AppError> {
    let wants_csv = wants_csv(&req, &q.format)?;
    let app = s.app.clone();
    if !wants_csv {
        return blocking(move || app.affected_listings(&c, &q))
            .await
            .map(|v| HttpResponse::Ok().json(v));
    }
    let rows = blocking(move || app.affected_rows(&c, &q)).await?;
    let sold: Vec<String> = rows.iter().map(|r| r.pieces_sold.to_string()).collect();
    let body = crate::sheet::write(
        &[
            "platform",
            "shop",
            "item_id",
            "url",
            "seller",
            "batches",
            "lots",
            "supplier",
            "status",
            "pieces_sold",
            "sold_by_province",
        ],
        rows.iter().zip(&sold).map(|(r, sold)| {
            [
                r.platform.as_str(),
                &r.shop,
                &r.item_id,
                &r.url,
                &r.seller,
                &r.batches,
                &r.lots,
                &r.supplier,
                r.status,
                sold,
                &r.sold_by_province,
            ]
        }),
    )
    .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"affected-listings.csv\"",
        ))
        .body(body))
}
