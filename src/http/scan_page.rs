//! The public scan page rendered on the server: the first response of `/q/{token}` (and of
//! a Digital Link asked for HTML) holds the whole public view, Chinese first with English,
//! readable without scripts (a weak warehouse connection, a messaging app's link preview, a
//! browser without JavaScript). `q.js` then only enhances it (language switch, the trace
//! link for a signed-in caller). The labels are those of `static/i18n.js`.

use crate::app::scan::{esc, PublicInspection, ScanView};

/// Both languages of a label: `中文 English`.
pub(super) fn bi(zh: &str, en: &str) -> String {
    format!("{zh} <span class=\"en\" lang=\"en\">{en}</span>")
}

fn material(m: &str) -> (&'static str, &'static str) {
    match m {
        "plywood" => ("胶合板", "plywood"),
        "particleboard" => ("刨花板", "particleboard"),
        "mdf" => ("中密度纤维板", "MDF"),
        "osb" => ("定向刨花板", "OSB"),
        "solid_wood" => ("实木", "solid wood"),
        "veneer" => ("单板/饰面", "veneer"),
        "edge_banding" => ("封边条", "edge banding"),
        "adhesive" => ("胶黏剂", "adhesive"),
        _ => ("其他", "other"),
    }
}

fn class(c: &str) -> (&'static str, &'static str) {
    match c {
        "ENF" => ("ENF 级", "ENF"),
        "E0" => ("E0 级", "E0"),
        "E1" => ("E1 级", "E1"),
        _ => ("未声明", "not declared"),
    }
}

fn verdict(v: &str) -> (&'static str, &'static str, &'static str) {
    match v {
        "fail" => ("不合格", "fail", "bad"),
        _ => ("合格", "pass", "ok"),
    }
}

fn listing_status(s: &str) -> (&'static str, &'static str) {
    match s {
        "active" => ("在售", "active"),
        "deleted" => ("已删除", "deleted"),
        "blocked" => ("已屏蔽", "blocked"),
        "disconnected" => ("已断开链接", "disconnected"),
        "suspended" => ("已暂停交易", "suspended"),
        _ => ("已终止交易和服务", "terminated"),
    }
}

/// The date (in China, UTC+8) of a time as the view gives it.
fn day(t: &str) -> String {
    let cn = crate::app::views::fmt_cn(t);
    cn.get(..10).unwrap_or(&cn).to_string()
}

fn banner(v: &ScanView) -> String {
    let lot_mark = |m: &str| v.lots.iter().any(|l| l.mark == Some(m));
    let mark = v.mark.or_else(|| {
        ["failed", "noncompliant", "suspect"]
            .into_iter()
            .find(|m| lot_mark(m))
    });
    let (class, zh, en) = match mark {
        Some("failed") => ("bad", "注意：该产品或其所用板材抽检不合格。", "Warning: this product or its boards failed an inspection."),
        Some("noncompliant") => ("bad", "注意：该产品的板材供应商已被认定为不合格供应商。", "Warning: the board supplier of this product was found non-compliant."),
        Some(_) => ("warn", "提示：该产品所用板材与抽检不合格产品同源，正在核查。", "Notice: the boards of this product share a source with a failed sample and are being checked."),
        None => ("ok", "未发现抽检不合格记录。", "No failed inspection on record."),
    };
    format!(
        "<div class=\"verdict-banner {class}\" id=\"q-banner\" role=\"status\">{}</div>",
        bi(zh, en)
    )
}

fn inspection(i: &PublicInspection) -> String {
    let (zh, en, class) = verdict(i.verdict);
    let mut s = format!(
        "<li><span class=\"badge {class}\">{zh} {en}</span> {} · 报告 {}",
        esc(&day(&i.sampled_at)),
        esc(&i.report_no)
    );
    if !i.failed.is_empty() {
        s.push_str("<ul class=\"small\">");
        for f in &i.failed {
            s.push_str(&format!("<li>{}</li>", esc(f)));
        }
        s.push_str("</ul>");
    }
    s.push_str("</li>");
    s
}

/// The `<main>` content of the scan page for `v`.
pub(super) fn main_html(v: &ScanView) -> String {
    let mut h = String::with_capacity(4096);
    let title = v
        .product
        .as_ref()
        .map_or(v.title.as_str(), |p| p.name.as_str());
    h.push_str(&format!(
        "<p class=\"muted small\">{}</p><h1 id=\"q-title\">{}</h1>{}",
        bi("产品溯源信息", "Product trace"),
        esc(title),
        banner(v)
    ));
    h.push_str("<div class=\"grid two\"><section class=\"card\" aria-labelledby=\"q-product-h\">");
    h.push_str(&format!(
        "<h2 id=\"q-product-h\">{}</h2><dl class=\"kv\">",
        bi("产品", "Product")
    ));
    let mut kv = |zh: &str, en: &str, val: String| {
        if !val.is_empty() {
            h.push_str(&format!("<dt>{}</dt><dd>{val}</dd>", bi(zh, en)));
        }
    };
    if let Some(p) = &v.product {
        kv("型号", "Model", esc(&p.model));
        if let Some(g) = &p.gtin {
            kv(
                "GTIN",
                "GTIN",
                format!("<code>{}</code>", esc(&g.to_string())),
            );
        }
    }
    if let Some(s) = &v.serial {
        kv("序列号", "Serial", format!("<code>{}</code>", esc(s)));
    }
    if let Some(b) = &v.batch_code {
        kv("生产批次", "Batch", format!("<code>{}</code>", esc(b)));
    }
    if let Some(t) = &v.produced_at {
        kv("生产日期", "Produced", esc(&day(t)));
    }
    if let Some(m) = &v.maker {
        kv(
            "生产企业",
            "Maker",
            format!(
                "<span id=\"q-maker\">{}<span class=\"muted\"> · {}</span></span>",
                esc(&m.name),
                esc(&m.city)
            ),
        );
    }
    h.push_str("</dl></section><section class=\"card\" aria-labelledby=\"q-insp-h\">");
    h.push_str(&format!(
        "<h2 id=\"q-insp-h\">{}</h2>",
        bi("抽检结果", "Inspection results")
    ));
    if v.inspections.is_empty() {
        h.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            bi("暂无抽检记录。", "No inspection on record.")
        ));
    } else {
        h.push_str("<ul id=\"q-inspections\">");
        for i in &v.inspections {
            h.push_str(&inspection(i));
        }
        h.push_str("</ul>");
    }
    h.push_str(&format!("<h2>{}</h2>", bi("在售平台", "Sold on")));
    if v.listings.is_empty() {
        h.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            bi("暂无登记的商品链接。", "No listing on record.")
        ));
    } else {
        h.push_str("<ul id=\"q-listings\">");
        for l in &v.listings {
            let (zh, en) = listing_status(l.status);
            h.push_str(&format!(
                "<li><strong>{}</strong> · {} <span class=\"badge plain\">{zh} {en}</span></li>",
                esc(&l.platform),
                esc(&l.shop)
            ));
        }
        h.push_str("</ul>");
    }
    h.push_str("</section></div><section class=\"card\" aria-labelledby=\"q-lots-h\">");
    h.push_str(&format!(
        "<h2 id=\"q-lots-h\">{}</h2>",
        bi("所用板材", "Boards used")
    ));
    if v.lots.is_empty() {
        h.push_str("<p class=\"muted\">无 none</p>");
    } else {
        h.push_str("<ul class=\"lot-list\" id=\"q-lots\">");
        for l in &v.lots {
            let (mz, me) = material(l.material);
            let (cz, ce) = class(l.formaldehyde_class);
            h.push_str(&format!(
                "<li class=\"{}\"><div class=\"spread\"><strong>{}</strong></div><div>{mz} {me} · 甲醛释放等级 {cz} {ce}</div><div class=\"q-supplier\" elementtiming=\"q-supplier\">{}：<strong>{}</strong><span class=\"muted\"> · {}</span></div>",
                l.mark.unwrap_or(""),
                esc(&l.lot_code),
                bi("生产厂家", "Made by"),
                esc(&l.supplier.name),
                esc(&l.supplier.city)
            ));
            if let Some(i) = &l.inspection {
                let (zh, en, _) = verdict(i.verdict);
                h.push_str(&format!(
                    "<div class=\"small\">最近一次 Latest：{zh} {en}（{}）{}</div>",
                    esc(&day(&i.sampled_at)),
                    esc(&i.failed.join("；"))
                ));
            }
            h.push_str("</li>");
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>");
    if let Some(log) = &v.log {
        h.push_str(&format!(
            "<section class=\"card\" id=\"q-log\"><h2>{}</h2><p id=\"q-log-text\">",
            bi("公开记录", "Public record")
        ));
        match log.checkpoint_size.filter(|_| log.included) {
            Some(size) => h.push_str(&format!(
                "已记入公开日志：第 {} 条事件，包含在规模 {size} 的检查点中。 <span lang=\"en\">Recorded in the public log as event {}, in the checkpoint at size {size}.</span>",
                log.seq, log.seq
            )),
            None => h.push_str(&format!(
                "已记入日志（第 {} 条事件）。 <span lang=\"en\">Recorded as event {}.</span>",
                log.seq, log.seq
            )),
        }
        h.push_str("</p></section>");
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::scan::{PublicLot, PublicParty};

    #[test]
    fn the_view_is_in_the_html_and_escaped() {
        let v = ScanView {
            kind: "unit",
            title: "衣柜 <b>".into(),
            product: None,
            serial: Some("S-1".into()),
            batch_code: None,
            produced_at: None,
            maker: None,
            lots: vec![PublicLot {
                lot_code: "LY-01".into(),
                material: "plywood",
                formaldehyde_class: "E1",
                supplier: PublicParty {
                    name: "临沂板材 & Co".into(),
                    city: "临沂".into(),
                },
                mark: Some("suspect"),
                inspection: None,
            }],
            inspections: vec![],
            listings: vec![],
            mark: None,
            signed_in: false,
            trace: None,
            log: None,
        };
        let h = main_html(&v);
        assert!(h.contains("衣柜 &lt;b&gt;"), "{h}");
        assert!(h.contains("临沂板材 &amp; Co"), "{h}");
        assert!(h.contains("胶合板 plywood"), "{h}");
        assert!(h.contains("verdict-banner warn"), "a suspect lot: {h}");
    }
}
