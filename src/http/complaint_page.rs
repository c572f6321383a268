//! The consumer's side of complaints, rendered on the server so that it works without
//! scripts: the "举报/投诉 Report a problem" form of the scan page (a plain form POST to
//! `/complaints`; `report.js` enhances it with a photo and an answer in place), the page a
//! filed complaint lands on, and `/complaints` to look one up by its reference.

use super::scan_page::bi;
use super::*;
use crate::app::complaints::{ComplaintStatus, NewComplaint};
use crate::app::scan::esc;

/// The report form for the code at `code` (the scanned path, or its URL).
pub(super) fn report_html(code: &str) -> String {
    format!(
        concat!(
            "<section class=\"card\" id=\"q-report\" aria-labelledby=\"q-report-h\">",
            "<h2 id=\"q-report-h\">{h}</h2>",
            "<p class=\"small muted\">{intro}</p>",
            "<form method=\"post\" action=\"/complaints\" id=\"q-report-form\" class=\"stack\">",
            "<input type=\"hidden\" name=\"code\" value=\"{code}\">",
            "<label for=\"r-text\">{what}</label>",
            "<textarea id=\"r-text\" name=\"text\" required minlength=\"4\" maxlength=\"2000\" rows=\"4\"></textarea>",
            "<div id=\"r-photo-row\" hidden><label for=\"r-photo\">{photo}</label>",
            "<input type=\"file\" id=\"r-photo\" accept=\"image/jpeg,image/png,image/webp\"></div>",
            "<label for=\"r-contact\">{contact}</label>",
            "<input id=\"r-contact\" name=\"contact\" maxlength=\"200\" autocomplete=\"tel\">",
            "<div class=\"sr-only\" aria-hidden=\"true\"><label for=\"r-website\">Website</label>",
            "<input id=\"r-website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>",
            "<p><button type=\"submit\" id=\"r-submit\">{submit}</button></p>",
            "<div id=\"r-result\" role=\"status\" aria-live=\"polite\"></div>",
            "</form>",
            "<p class=\"small\"><a href=\"/complaints\">{track}</a></p>",
            "</section>"
        ),
        h = bi("举报/投诉", "Report a problem"),
        intro = bi(
            "无需注册。投诉将转给生产企业所在地的市场监管部门。",
            "No account needed. The complaint goes to the market regulator of the maker's city."
        ),
        code = esc(code),
        what = bi("哪里有问题？", "What is wrong?"),
        photo = bi("照片（可选）", "Photo (optional)"),
        contact = bi(
            "联系方式（可选，仅监管部门可见）",
            "Contact (optional, seen by regulators only)"
        ),
        submit = bi("提交投诉", "Send"),
        track = bi("已投诉？凭投诉编号查询进度", "Filed one? Track it by its reference"),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        concat!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>{title} · 板材溯源 boardtrail</title>",
            "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">",
            "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body>",
            "<main id=\"main\" class=\"narrow\">{body}</main></body></html>"
        ),
        title = esc(title),
        body = body
    )
}

fn step_label(step: &str) -> (&'static str, &'static str) {
    match step {
        "received" => ("已受理", "received"),
        "transferred" => ("已转办", "transferred"),
        "investigating" => ("调查中", "investigating"),
        "closed" => ("已办结", "closed"),
        _ => ("待处理", "open"),
    }
}

/// The public status of a complaint as a page.
fn status_html(s: &ComplaintStatus, just_filed: bool) -> String {
    let (zh, en) = step_label(s.status);
    let mut b = String::new();
    if just_filed {
        b.push_str(&format!(
            "<div class=\"verdict-banner ok\" role=\"status\">{}</div>",
            bi(
                "投诉已提交。请保存投诉编号，凭它查询办理进度。",
                "Your complaint was sent. Keep its reference to follow it."
            )
        ));
    }
    b.push_str(&format!(
        "<h1>{}</h1><dl class=\"kv\"><dt>{}</dt><dd><code id=\"c-reference\">{}</code></dd><dt>{}</dt><dd id=\"c-status\">{zh} {en}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}<span class=\"muted\"> · {}</span></dd><dt>{}</dt><dd>{}</dd></dl>",
        bi("投诉办理进度", "Complaint status"),
        bi("投诉编号", "Reference"),
        esc(&s.reference),
        bi("状态", "Status"),
        bi("产品", "Product"),
        esc(&s.subject.title),
        bi("承办部门", "Handled by"),
        esc(&s.bureau.name),
        esc(&s.bureau.city),
        bi("提交时间", "Filed"),
        esc(&crate::app::views::fmt_cn(&s.filed_at)),
    ));
    b.push_str("<ol class=\"small\" id=\"c-history\">");
    for h in &s.history {
        let (zh, en) = step_label(h.step);
        b.push_str(&format!(
            "<li>{} · {zh} {en}</li>",
            esc(&crate::app::views::fmt_cn(&h.at))
        ));
    }
    b.push_str("</ol>");
    b.push_str(&format!(
        "<p class=\"small muted\">{}</p>",
        bi("紧急情况请拨打 12315。", "For anything urgent call 12315.")
    ));
    page("投诉办理进度 Complaint status", &b)
}

fn lookup_html(error: Option<&str>) -> String {
    let mut b = format!(
        concat!(
            "<h1>{h}</h1>",
            "<form method=\"get\" action=\"/complaints\" class=\"stack\">",
            "<label for=\"c-ref\">{label}</label>",
            "<input id=\"c-ref\" name=\"reference\" required placeholder=\"TS-XXXX-XXXX-XXXX-XXXX\" autocomplete=\"off\">",
            "<p><button type=\"submit\">{go}</button></p></form>"
        ),
        h = bi("查询投诉进度", "Track a complaint"),
        label = bi("投诉编号", "Reference"),
        go = bi("查询", "Look up"),
    );
    if let Some(e) = error {
        b.push_str(&format!(
            "<div class=\"form-error\" role=\"alert\">{}</div>",
            esc(e)
        ));
    }
    page("查询投诉进度 Track a complaint", &b)
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn error_page(e: &AppError) -> HttpResponse {
    let status = e.status_code();
    let shown = if status.is_server_error() {
        tracing::error!(error = %e, "complaint page failed");
        "服务暂时不可用，请稍后再试。The service is not available; try again in a moment."
            .to_string()
    } else {
        e.to_string()
    };
    let body = page(
        "投诉未提交 Not sent",
        &format!(
            "<h1>{}</h1><div class=\"form-error\" role=\"alert\">{}</div><p><a href=\"javascript:history.back()\">{}</a></p>",
            bi("投诉未提交", "The complaint was not sent"),
            esc(&shown),
            bi("返回修改", "Go back")
        ),
    );
    let mut r = html(status, body);
    if let AppError::RateLimited { retry_after_s } = e {
        r.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(*retry_after_s),
        );
    }
    r
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ComplaintForm {
    code: String,
    text: String,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    website: Option<String>,
}

/// `POST /complaints` (the form without scripts): files it and sends the browser to its
/// status page (303), or shows why not.
pub(super) async fn post_form(
    req: HttpRequest,
    s: web::Data<State>,
    form: web::Form<ComplaintForm>,
) -> HttpResponse {
    if let Some(peer) = req.peer_addr() {
        if let Err(e) = s.auth.check_complaint_client(peer.ip()) {
            return error_page(&e);
        }
    }
    let client = req
        .peer_addr()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    let f = form.into_inner();
    let req = NewComplaint {
        code: f.code,
        text: f.text,
        contact: f.contact,
        photo: None,
        website: f.website,
    };
    let (app, auth) = (s.app.clone(), s.auth.clone());
    match blocking(move || app.file_complaint(req, |code| auth.check_complaint_code(client, code)))
        .await
    {
        Ok(st) => HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/complaints/{}?filed=1", st.reference),
            ))
            .finish(),
        Err(e) => error_page(&e),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct LookupQuery {
    reference: Option<String>,
}

/// `GET /complaints[?reference=…]`: the lookup form, or a redirect to the status page.
pub(super) async fn lookup(q: web::Query<LookupQuery>) -> HttpResponse {
    match q.reference.as_deref().map(str::trim) {
        Some(r) if r.chars().any(|c| c.is_ascii_alphanumeric()) => {
            let r: String = r
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(40)
                .collect();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/complaints/{r}")))
                .finish()
        }
        _ => html(StatusCode::OK, lookup_html(None)),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct StatusQuery {
    filed: Option<u8>,
}

/// `GET /complaints/{reference}`: the status page.
pub(super) async fn status_page(
    req: HttpRequest,
    s: web::Data<State>,
    reference: web::Path<String>,
    q: web::Query<StatusQuery>,
) -> HttpResponse {
    if let Some(peer) = req.peer_addr() {
        if let Err(e) = s.auth.check_anonymous(peer.ip()) {
            return error_page(&e);
        }
    }
    let app = s.app.clone();
    match blocking(move || app.complaint_status(&reference)).await {
        Ok(st) => html(StatusCode::OK, status_html(&st, q.filed == Some(1))),
        Err(e @ AppError::NotFound { .. }) => html(
            StatusCode::NOT_FOUND,
            lookup_html(Some(&format!(
                "没有这个投诉编号。No complaint has this reference. ({e})"
            ))),
        ),
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_carries_the_code_escaped_and_a_honeypot() {
        let h = report_html("/q/a\"b<c");
        assert!(h.contains("value=\"/q/a&quot;b&lt;c\""), "{h}");
        assert!(h.contains("name=\"website\""), "{h}");
        assert!(h.contains("action=\"/complaints\""), "{h}");
    }
}
