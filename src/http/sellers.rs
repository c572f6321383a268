//! Routes of seller qualification and platform checks: licences, trademarks, certificates
//! and their review, checks, claims, flags, quality records, the review per platform and
//! the check queue, and sampling plans.

use super::*;
use crate::app::sellers::flags::*;
use crate::app::sellers::plans::*;
use crate::app::sellers::review::*;
use crate::app::sellers::*;

write_id_route!(add_licence, NewLicence, add_licence, Created);
write_id_route!(add_trademark, NewTrademark, add_trademark, Created);
write_id_route!(add_certificate, NewCertificate, add_certificate, Created);
write_id_route!(record_check, NewCheck, record_check, Created);
write_id_route!(set_claims, ClaimsIn, set_claims, Created);
write_id_route!(review_qualification, NewReview, review_qualification);
write_route!(create_plan, NewPlan, create_plan, Created);
getter!(get_qualification, get_qualification);
getter!(qualifications, qualifications);
getter!(get_plan, get_plan);

pub(super) async fn get_claims(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    s.app
        .get_claims(&c, &id)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "claims": v })))
}

pub(super) async fn quality(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.quality(&c, &id))
        .await
        .map(|v| HttpResponse::Ok().json(v))
}

pub(super) async fn list_plans(s: web::Data<State>, c: Caller) -> Result<HttpResponse, AppError> {
    s.app
        .list_plans(&c)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "plans": v })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitQuery {
    limit: Option<usize>,
}

pub(super) async fn plan_candidates(
    s: web::Data<State>,
    c: Caller,
    id: web::Path<String>,
    q: web::Query<LimitQuery>,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.plan_candidates(&c, &id, q.limit))
        .await
        .map(|v| HttpResponse::Ok().json(v))
}

pub(super) async fn check_queue(s: web::Data<State>, c: Caller) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.check_queue(&c))
        .await
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "sellers": v })))
}

fn csv_response(
    name: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<HttpResponse, AppError> {
    let body = crate::sheet::write(header, rows.iter().map(|r| r.iter().map(String::as_str)))
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}

/// Flags as JSON, or as a spreadsheet (formula cells neutralised).
pub(super) async fn flags(
    req: HttpRequest,
    s: web::Data<State>,
    c: Caller,
    q: web::Query<FlagsQuery>,
) -> Result<HttpResponse, AppError> {
    let csv = wants_csv(&req, &q.format)?;
    let app = s.app.clone();
    let v = blocking(move || app.list_flags(&c, &q)).await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(v));
    }
    let rows = v
        .flags
        .iter()
        .map(|f| {
            vec![
                f.kind.to_string(),
                f.platform.clone(),
                f.party.clone(),
                f.listing.clone().unwrap_or_default(),
                f.evidence
                    .iter()
                    .map(|e| e.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    csv_response(
        "flags.csv",
        &["kind", "platform", "party", "listing", "evidence"],
        rows,
    )
}

/// The review per platform as JSON, or its seller rows as a spreadsheet.
pub(super) async fn review(
    req: HttpRequest,
    s: web::Data<State>,
    c: Caller,
    q: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let csv = wants_csv(&req, &q.format)?;
    let app = s.app.clone();
    let v = blocking(move || app.review(&c, &q)).await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(v));
    }
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let rows = v
        .platforms
        .iter()
        .flat_map(|p| p.rows.iter())
        .map(|r| {
            vec![
                r.platform_name.clone(),
                r.name.clone(),
                r.uscc.clone(),
                r.licence_state.to_string(),
                opt(&r.licence_valid_to),
                r.licence_review.unwrap_or("").to_string(),
                r.check_state.to_string(),
                opt(&r.last_check),
                opt(&r.next_due),
                r.active_listings.to_string(),
                r.claim_flags.to_string(),
                r.trademark_flags.to_string(),
            ]
        })
        .collect();
    csv_response(
        "review.csv",
        &[
            "platform",
            "seller",
            "uscc",
            "licence_state",
            "licence_valid_to",
            "licence_review",
            "check_state",
            "last_check",
            "next_due",
            "active_listings",
            "claim_flags",
            "trademark_flags",
        ],
        rows,
    )
}
