//! QR codes and the inspector's scan: unguessable tokens for every lot, batch, unit and
//! listing; GS1 Digital Link URIs for products with a GTIN; the public scan view; label
//! sheets; `GET /api/v1/me` and a party's stock (for the web app).

use super::qr_state::qr_able;
use super::views::fmt_time;
use super::{App, Caller};
use crate::core::domain::{Batch, NaturalKey, NodeId, NodeKind, Record};
use crate::digital_link::{self, DigitalLink};
use crate::error::{AppError, AppResult};
use crate::qr::{self, Ecc};
use serde::Serialize;

pub use super::views::QrRef;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicParty {
    pub name: String,
    pub city: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicInspection {
    pub verdict: &'static str,
    pub report_no: String,
    pub sampled_at: String,
    pub failed: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicLot {
    pub lot_code: String,
    pub material: &'static str,
    pub formaldehyde_class: &'static str,
    pub supplier: PublicParty,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspection: Option<PublicInspection>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicProduct {
    pub name: String,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<crate::core::domain::Gtin>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicListing {
    pub platform: String,
    pub shop: String,
    pub status: &'static str,
}

/// The public scan view: what anyone holding the code may see. No quantities, keys,
/// contacts or internal ids.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScanView {
    pub kind: &'static str,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<PublicProduct>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produced_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maker: Option<PublicParty>,
    pub lots: Vec<PublicLot>,
    pub inspections: Vec<PublicInspection>,
    pub listings: Vec<PublicListing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark: Option<&'static str>,
    pub signed_in: bool,
    /// The full upstream trace, for a signed-in caller allowed to read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Where the record stands in the public, witnessed log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<super::log_reads::LogStanding>,
}

/// Escapes text for HTML.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn public_inspection(ins: &crate::core::domain::Inspection) -> PublicInspection {
    PublicInspection {
        verdict: ins.verdict.as_str(),
        report_no: ins.report_no.clone(),
        sampled_at: fmt_time(ins.sampled_at),
        failed: super::views::failed_items(ins),
    }
}

impl App {
    /// The Digital Link of a batch or unit whose product has a GTIN (or a lot with one).
    fn digital_link(&self, id: NodeId) -> Option<DigitalLink> {
        let m = self.store.meta(id)?;
        let (record_id, serial) = match m.kind {
            NodeKind::Unit => (m.a, Some(m.b)),
            _ => (id, None),
        };
        match self.store.record(record_id).ok()?? {
            Record::Batch(b) => {
                let gtin = b.product.gtin.clone()?;
                Some(DigitalLink {
                    gtin14: gtin.to_string(),
                    variant: None,
                    lot: Some(b.batch_code.clone()),
                    serial: serial.map(|n| self.ids.serial(record_id, n)),
                })
            }
            Record::Lot(l) if serial.is_none() => Some(DigitalLink {
                gtin14: l.gtin.as_ref()?.to_string(),
                variant: None,
                lot: Some(l.lot_code.clone()),
                serial: None,
            }),
            _ => None,
        }
    }

    /// The QR reference of a node (None for kinds without codes or without QR configured).
    pub fn qr_ref(&self, id: NodeId) -> Option<QrRef> {
        let q = self.qr.as_ref()?;
        let kind = self.store.meta(id)?.kind;
        if !qr_able(kind) {
            return None;
        }
        let token = q.tokens.token(kind, id);
        let url = match self.digital_link(id) {
            Some(dl) => digital_link::format(&q.public_url, &dl),
            None => format!("{}/q/{token}", q.public_url),
        };
        Some(QrRef {
            token,
            url,
            svg: format!("/api/v1/qr/{}.svg", self.ids.format(kind, id)),
        })
    }

    /// The image of a node's code. `format` is `svg` or `png`.
    pub fn qr_image(
        &self,
        caller: &Caller,
        file: &str,
        size: u32,
        ecc: Ecc,
    ) -> AppResult<(Vec<u8>, &'static str)> {
        let (id_part, format) = file.rsplit_once('.').ok_or_else(|| AppError::NotFound {
            field: None,
            detail: format!("no code '{}'", super::trunc(file)),
        })?;
        let (kind, id) = match self.ids.parse(id_part) {
            Some((k, n)) if qr_able(k) && self.store.meta(n).map(|m| m.kind) == Some(k) => (k, n),
            _ => {
                return Err(AppError::NotFound {
                    field: None,
                    detail: format!("no code for '{}'", super::trunc(id_part)),
                })
            }
        };
        self.check_read(caller, id).map_err(|d| {
            d.into_error(|| AppError::NotFound {
                field: None,
                detail: format!("no code for '{}'", super::trunc(id_part)),
            })
        })?;
        let _ = kind;
        let q = self.qr_state()?;
        let url = self
            .qr_ref(id)
            .map(|r| r.url)
            .ok_or_else(|| AppError::Internal("no QR reference".into()))?;
        let bad = |e: qr::QrError| {
            if e.is_invalid_input() {
                AppError::bad("size", e.to_string())
            } else {
                AppError::Internal(e.to_string())
            }
        };
        match format {
            "svg" => Ok((
                q.cache
                    .get_or_render_svg(&url, ecc, size)
                    .map_err(bad)?
                    .to_vec(),
                "image/svg+xml",
            )),
            "png" => Ok((
                q.cache
                    .get_or_render_png(&url, ecc, size)
                    .map_err(bad)?
                    .to_vec(),
                "image/png",
            )),
            other => Err(AppError::NotFound {
                field: None,
                detail: format!("no '{}' format; use .svg or .png", super::trunc(other)),
            }),
        }
    }

    /// Resolves a GS1 Digital Link path (raw, still percent-encoded): 400 when malformed,
    /// 404 when valid but unknown.
    pub fn resolve_digital_link(&self, path: &str) -> AppResult<(NodeId, DigitalLink)> {
        // Full syntactic validation against the GS1 DL grammar and AI table first: a link
        // that is not a GS1 Digital Link is a 400 naming what is wrong, never a 404.
        let parsed = crate::gs1::parse(path).map_err(|e| AppError::bad("path", e.to_string()))?;
        // A valid Digital Link of another key (an SSCC, a GLN…) or with a qualifier this
        // resolver keeps nothing under (22, 235): valid, but unknown here.
        let dl = DigitalLink::from_gs1(&parsed).map_err(|e| AppError::NotFound {
            field: None,
            detail: format!("this resolver knows GTINs with a batch/lot (and serial) only: {e}"),
        })?;
        let unknown = || AppError::NotFound {
            field: None,
            detail: format!(
                "no batch or lot {} of GTIN {}",
                dl.lot.clone().unwrap_or_default(),
                dl.gtin14
            ),
        };
        let Some(lot) = &dl.lot else {
            return Err(AppError::NotFound {
                field: None,
                detail: format!("GTIN {} alone names no batch; add /10/{{batch}}", dl.gtin14),
            });
        };
        let id = self
            .store
            .lookup(&NaturalKey::GtinLot {
                gtin14: dl.gtin14.clone(),
                code: lot.clone(),
            })?
            .ok_or_else(unknown)?;
        let Some(serial) = &dl.serial else {
            return Ok((id, dl));
        };
        let Some(Record::Batch(b)) = self.store.record(id)? else {
            return Err(unknown());
        };
        let unit = unit_by_serial(&self.ids, id, &b, serial).ok_or_else(|| AppError::NotFound {
            field: None,
            detail: format!("batch {lot} has no unit with serial {serial}"),
        })?;
        Ok((unit, dl))
    }

    /// The RFC 9264 linkset of a resolved Digital Link: the item's own links and those of
    /// every level above it up to the primary key (a unit's batch). Every target is a page
    /// in Chinese with English.
    pub fn linkset(&self, id: NodeId, dl: &DigitalLink) -> AppResult<serde_json::Value> {
        let q = self.qr_state()?;
        let m = self.store.meta(id).ok_or_else(|| {
            AppError::Internal(format!("record {id} of a resolved link is missing"))
        })?;
        let page =
            |kind: NodeKind, n: NodeId| format!("{}/q/{}", q.public_url, q.tokens.token(kind, n));
        let own = page(m.kind, id);
        let mut links: Vec<(&str, String, String)> = vec![
            (
                "gs1:defaultLink",
                own.clone(),
                "溯源信息 Trace: board lots and suppliers".into(),
            ),
            (
                "gs1:traceability",
                own.clone(),
                "溯源 Trace: board lots and suppliers".into(),
            ),
            (
                "gs1:certificationInfo",
                format!("{own}#q-insp-h"),
                "抽检结果 Inspection results".into(),
            ),
        ];
        if m.kind == NodeKind::Unit {
            // The batch level (GTIN + lot) of a serialised unit.
            let batch = page(NodeKind::Batch, m.a);
            links.push((
                "gs1:traceability",
                batch.clone(),
                "本批次溯源 Trace of the whole batch".into(),
            ));
            links.push((
                "gs1:certificationInfo",
                format!("{batch}#q-insp-h"),
                "本批次抽检结果 Inspection results of the batch".into(),
            ));
        }
        let links: Vec<digital_link::Link<'_>> = links
            .iter()
            .map(|(rel, href, title)| digital_link::Link {
                rel,
                href,
                title,
                media_type: Some("text/html"),
                hreflang: Some("zh-CN"),
            })
            .collect();
        Ok(digital_link::linkset_links(&q.public_url, dl, &links))
    }

    /// The public scan view of a node, richer for a signed-in caller allowed to trace it.
    pub fn scan_view(&self, caller: Option<&Caller>, id: NodeId) -> AppResult<ScanView> {
        let m = self
            .store
            .meta(id)
            .ok_or_else(|| AppError::Internal("node vanished".into()))?;
        let party = |p: NodeId| -> PublicParty {
            match self.store.record(p) {
                Ok(Some(Record::Party(x))) => PublicParty {
                    name: x.name,
                    city: x.city,
                },
                _ => PublicParty {
                    name: String::new(),
                    city: String::new(),
                },
            }
        };
        let mut view = ScanView {
            kind: m.kind.name(),
            title: String::new(),
            product: None,
            serial: None,
            batch_code: None,
            produced_at: None,
            maker: None,
            lots: vec![],
            inspections: vec![],
            listings: vec![],
            mark: None,
            signed_in: caller.is_some(),
            trace: None,
            log: self.log_standing(id),
        };
        let batch_info = |view: &mut ScanView, b: &Batch| {
            view.title = b.product.name.clone();
            view.product = Some(PublicProduct {
                name: b.product.name.clone(),
                model: b.product.model.clone(),
                gtin: b.product.gtin.clone(),
            });
            view.batch_code = Some(b.batch_code.clone());
            view.produced_at = Some(fmt_time(b.produced_at));
            view.maker = Some(party(b.manufacturer.raw()));
        };
        // Listings that sell the product (for a unit or batch: of its batch).
        let mut listing_ids: Vec<NodeId> = vec![];
        let record = if m.kind == NodeKind::Unit {
            None
        } else {
            Some(self.load(id)?)
        };
        match record {
            Some(Record::Batch(b)) => {
                batch_info(&mut view, &b);
                listing_ids = self.store.outputs(id);
            }
            Some(Record::Lot(l)) => {
                view.title = l.lot_code.clone();
                view.batch_code = Some(l.lot_code.clone());
                view.produced_at = Some(fmt_time(l.produced_at));
                view.maker = Some(party(l.producer.raw()));
            }
            Some(Record::Listing(l)) => {
                if let Some(&b) = l.batches.first() {
                    if let Record::Batch(b) = self.load(b.raw())? {
                        batch_info(&mut view, &b);
                    }
                }
                view.title = l.title.clone();
                listing_ids = vec![id];
            }
            _ => {}
        }
        if m.kind == NodeKind::Unit {
            // A unit is not a stored record: its batch is.
            let b = self.batch(m.a)?;
            batch_info(&mut view, &b);
            view.serial = Some(self.ids.serial(m.a, m.b));
            listing_ids = self.store.outputs(m.a);
        }
        for &l in &listing_ids {
            if let Ok(Some(Record::Listing(x))) = self.store.record(l) {
                view.listings.push(PublicListing {
                    platform: self.party_name(x.platform.raw()),
                    shop: x.shop,
                    status: x.status.as_str(),
                });
            }
        }
        // Upstream lots with their suppliers, marks and latest verdicts.
        for n in self.store.upstream(id)?.nodes {
            let Ok(Some(Record::Lot(l))) = self.store.record(n) else {
                continue;
            };
            let (mark, _) = self.marks_of(None, n);
            let latest = self
                .inspections_of(n)
                .first()
                .and_then(|&i| match self.store.record(i) {
                    Ok(Some(Record::Inspection(ins))) => Some(public_inspection(&ins)),
                    _ => None,
                });
            view.lots.push(PublicLot {
                lot_code: l.lot_code.clone(),
                material: l.material.as_str(),
                formaldehyde_class: l.formaldehyde_class.as_str(),
                supplier: party(l.producer.raw()),
                mark,
                inspection: latest,
            });
        }
        // Inspections of the subject, of its batch (for a unit) and of the listings that
        // sell it (furniture is often sampled from a listing), newest first.
        let mut subjects = vec![id];
        if m.kind == NodeKind::Unit {
            subjects.push(m.a);
        }
        subjects.extend(listing_ids.iter().copied().filter(|&l| l != id));
        let mut found: Vec<NodeId> = subjects
            .into_iter()
            .flat_map(|s| self.inspections_of(s))
            .collect();
        found.sort_unstable_by(|a, b| b.cmp(a));
        found.dedup();
        for i in found {
            if let Ok(Some(Record::Inspection(ins))) = self.store.record(i) {
                view.inspections.push(public_inspection(&ins));
            }
        }
        if view
            .inspections
            .first()
            .is_some_and(|i| i.verdict == "fail")
        {
            view.mark = Some("failed");
        }
        if let Some(c) = caller {
            if self.check_upstream(c, id).is_ok() {
                view.trace = Some(format!(
                    "/api/v1/trace/upstream/{}",
                    self.ids.format(m.kind, id)
                ));
            }
        }
        Ok(view)
    }

    /// A printable A4 sheet of a batch's unit codes.
    pub fn labels(&self, caller: &Caller, batch_id: &str, columns: u32) -> AppResult<String> {
        let id = self.visible(caller, batch_id, NodeKind::Batch)?;
        if !(1..=6).contains(&columns) {
            return Err(AppError::bad(
                "columns",
                format!("columns must be 1 to 6 (got {columns})"),
            ));
        }
        let b = self.batch(id)?;
        if b.unit_count == 0 {
            return Err(AppError::rule(
                "id",
                "this batch has no serialised units; create it with \"serials\": true",
            ));
        }
        let maker = self.party_name(b.manufacturer.raw());
        let urls: Vec<String> = b
            .unit_ids()
            .filter_map(|u| self.qr_ref(u).map(|r| r.url))
            .collect();
        let svgs = qr::render_many_svg(&urls, Ecc::M, 160)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut html =
            String::with_capacity(svgs.iter().map(|s| s.len() + 300).sum::<usize>() + 2000);
        html.push_str(&format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>标签 Labels {code}</title><style>\
             @page{{size:A4;margin:10mm}}body{{font-family:sans-serif;margin:0}}\
             .sheet{{display:grid;grid-template-columns:repeat({columns},1fr);gap:4mm}}\
             .label{{border:1px dashed #999;padding:2mm;text-align:center;break-inside:avoid;font-size:9pt}}\
             .label svg{{width:32mm;height:32mm}}.serial{{font-weight:bold;font-family:monospace}}\
             </style></head><body><div class=\"sheet\">",
            code = esc(&b.batch_code),
        ));
        for (n, svg) in svgs.iter().enumerate() {
            html.push_str(&format!(
                "<div class=\"label\">{svg}<div class=\"serial\">{}</div><div>{} {}</div><div>批次 {} · {}</div></div>",
                esc(&self.ids.serial(id, n as u32)),
                esc(&b.product.name),
                esc(&b.product.model),
                esc(&b.batch_code),
                esc(&maker),
            ));
        }
        html.push_str("</div></body></html>");
        Ok(html)
    }
}

/// Finds a unit of batch `batch` by its serial (see [`crate::core::serials`]).
fn unit_by_serial(
    ids: &crate::core::ids::IdCodec,
    batch: NodeId,
    b: &Batch,
    serial: &str,
) -> Option<NodeId> {
    match ids.parse_serial(serial) {
        Some((of, n)) if of == batch && n < b.unit_count => Some(b.first_unit.raw() + n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::{Id, Product};

    #[test]
    fn serials_resolve_to_units() {
        let b = Batch {
            manufacturer: Id::new(0),
            batch_code: "A/B 1".into(),
            product: Product {
                name: "x".into(),
                model: "y".into(),
                gtin: None,
            },
            quantity: 12,
            inputs: vec![],
            produced_at: 0,
            first_unit: Id::new(100),
            unit_count: 12,
            created_at: 0,
        };
        let ids = crate::core::ids::IdCodec::new(&[4; 32]);
        let batch = 99;
        // Every serial is a valid GS1 AI 21 value (character set 82, at most 20).
        for n in 0..1000 {
            let s = ids.serial(batch, n);
            assert!(crate::gs1::dl::check_element("21", &s).is_ok(), "{s}");
        }
        assert_eq!(
            unit_by_serial(&ids, batch, &b, &ids.serial(batch, 2)),
            Some(102)
        );
        assert_eq!(
            unit_by_serial(&ids, batch, &b, &ids.serial(batch, 11)),
            Some(111)
        );
        // Past the batch's units, another batch's serial, the old sequential form: none.
        assert_eq!(
            unit_by_serial(&ids, batch, &b, &ids.serial(batch, 12)),
            None
        );
        assert_eq!(unit_by_serial(&ids, batch, &b, &ids.serial(98, 2)), None);
        assert_eq!(unit_by_serial(&ids, batch, &b, "A/B 1-0003"), None);
        assert_eq!(
            esc("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
