//! Routes of resale: goods shipments to distributors, a party's goods, sales and their
//! import, and the data comparison of sellers across platforms.

use super::*;
use crate::app::resale::*;

write_route!(
    create_goods_shipment,
    NewGoodsShipment,
    create_goods_shipment,
    Created
);
write_route!(create_sale, NewSale, create_sale, Created);
write_id_route!(correct_sale, SaleCorrection, correct_sale);
getter!(get_goods_shipment, get_goods_shipment);
getter!(get_sale, get_sale);
getter!(goods_of, goods_of);
getter!(compare_seller, compare_seller);

/// Largest sales file accepted by `POST /api/v1/sales/import`.
pub(super) const SALES_FILE: usize = 16 * 1024 * 1024;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SalesQuery {
    listing: String,
}

pub(super) async fn list_sales(
    s: web::Data<State>,
    c: Caller,
    q: web::Query<SalesQuery>,
) -> Result<HttpResponse, AppError> {
    s.app
        .sales_of_listing(&c, &q.listing)
        .map(|v| HttpResponse::Ok().json(serde_json::json!({ "sales": v })))
}

/// `POST /api/v1/sales/import`: a CSV (`text/csv`) or NDJSON (`application/x-ndjson`)
/// file of sales, all checked before any is recorded.
pub(super) async fn import_sales(
    s: web::Data<State>,
    c: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ndjson = match ct.as_str() {
        "text/csv" => false,
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" => true,
        other => {
            return Err(AppError::bad(
                "content-type",
                format!(
                    "send the sales file as text/csv or application/x-ndjson (got '{}')",
                    crate::app::trunc(other)
                ),
            ))
        }
    };
    let app = s.app.clone();
    blocking(move || app.import_sales(&c, &body, ndjson))
        .await
        .map(|v| HttpResponse::Ok().json(v))
}

pub(super) async fn compare_sellers(
    s: web::Data<State>,
    c: Caller,
) -> Result<HttpResponse, AppError> {
    let app = s.app.clone();
    blocking(move || app.compare_sellers(&c))
        .await
        .map(|v| HttpResponse::Ok().json(v))
}
