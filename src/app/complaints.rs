//! Consumers' complaints (消费维权): `POST /api/v1/complaints` from the public scan page, no
//! account. A complaint opens a case of kind `complaint` in the inbox of the bureau of the
//! maker's city, linked to what was scanned (and, for a unit, its batch); its text, contact
//! and photo go to regulators only. The complainant gets a random reference and reads the
//! case's status by it (`GET /api/v1/complaints/{reference}`), never the contact or notes.
//!
//! The bureau is found by the administrative division code inside the maker's USCC
//! (GB 32100: characters 3–8): the regulator registered for the maker's city (`xxxx00`),
//! else one registered for its exact division, else any in its city, else the province's
//! (`xx0000`), else any in its province; with none of these the complaint is refused (422,
//! naming 12315, the national hotline). The anti-abuse checks work offline: a honeypot field people leave empty, a
//! cap on links in the text, and (at the edge) limits per client address and per code.

use super::command::{Command, Decision, Rejection};
use super::scan::PublicParty;
use super::views::fmt_time;
use super::{App, Caller, Ctx};
use crate::core::domain::{
    Case, CaseEntry, CaseKind, CaseStatus, CaseStep, Complaint, Id, NaturalKey, NodeId, NodeKind,
    Photo, Record, Role,
};
use crate::core::event::EventBody;
use crate::core::graph::role_from_code;
use crate::core::World;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// Largest photo, decoded (the scan page shrinks photos to fit; one event is at most 64 KiB).
pub const MAX_PHOTO: usize = 48 * 1024;
const MIN_TEXT: usize = 4;
const MAX_TEXT: usize = 2000;
const MAX_CONTACT: usize = 200;
/// Links allowed in a complaint's text (spam carries many).
const MAX_LINKS: usize = 2;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    /// The scanned URL (`…/q/{token}` or a GS1 Digital Link) or the token alone.
    pub code: String,
    pub text: String,
    #[serde(default)]
    pub contact: Option<String>,
    /// A JPEG, PNG or WebP image as base64 or a `data:` URL, at most 48 KiB decoded.
    #[serde(default)]
    pub photo: Option<String>,
    /// A honeypot: the form hides it, so a person leaves it empty.
    #[serde(default)]
    pub website: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplaintSubject {
    pub kind: &'static str,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusStep {
    pub at: String,
    /// `received`, `transferred`, `open`, `investigating` or `closed`.
    pub step: &'static str,
}

/// What the complainant reads by its reference: no text, contact, notes or internal ids.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplaintStatus {
    pub reference: String,
    pub status: &'static str,
    pub filed_at: String,
    pub updated_at: String,
    /// The bureau handling it now.
    pub bureau: PublicParty,
    pub subject: ComplaintSubject,
    pub history: Vec<StatusStep>,
}

/// A complaint as regulators read it, inside its case.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplaintDetail {
    pub id: String,
    pub reference: String,
    pub subject: String,
    pub text: String,
    pub contact: Option<String>,
    /// `/api/v1/cases/{id}/photo` when a photo was sent.
    pub photo: Option<String>,
    pub filed_at: String,
}

/// A new reference: `TS-` and 16 base-32 characters (80 random bits) in groups of four.
pub fn new_reference() -> AppResult<String> {
    let mut b = [0u8; 10];
    getrandom::getrandom(&mut b).map_err(|e| AppError::Internal(format!("randomness: {e}")))?;
    let s = data_encoding::BASE32_NOPAD.encode(&b);
    let groups: Vec<&str> = (0..4).map(|i| &s[i * 4..i * 4 + 4]).collect();
    Ok(format!("TS-{}", groups.join("-")))
}

/// A reference as typed: case and spaces do not matter.
fn normalise_reference(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let body = compact.strip_prefix("TS")?;
    if body.len() != 16 || data_encoding::BASE32_NOPAD.decode(body.as_bytes()).is_err() {
        return None;
    }
    let groups: Vec<&str> = (0..4).map(|i| &body[i * 4..i * 4 + 4]).collect();
    Some(format!("TS-{}", groups.join("-")))
}

/// Checks free text (see [`crate::core::domain::clean_multiline`]).
fn clean_multiline(field: &str, s: &str, min: usize, max: usize) -> AppResult<String> {
    crate::core::domain::clean_multiline(field, s, min, max).map_err(|e| AppError::rule(field, e))
}

/// Decodes a photo (`data:image/…;base64,…` or bare base64) and checks its kind and size.
pub(crate) fn parse_photo(s: &str) -> AppResult<Photo> {
    use base64::Engine as _;
    let b64 = match s.trim().strip_prefix("data:") {
        Some(rest) => rest
            .split_once(";base64,")
            .map(|(_, d)| d)
            .ok_or_else(|| AppError::rule("photo", "a data: URL must be base64 (;base64,)"))?,
        None => s.trim(),
    };
    if b64.len() > MAX_PHOTO * 4 / 3 + 8 {
        return Err(AppError::rule(
            "photo",
            format!("the photo is larger than {} KiB", MAX_PHOTO / 1024),
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| AppError::rule("photo", format!("the photo is not valid base64: {e}")))?;
    if bytes.len() > MAX_PHOTO {
        return Err(AppError::rule(
            "photo",
            format!("the photo is larger than {} KiB", MAX_PHOTO / 1024),
        ));
    }
    let media_type = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return Err(AppError::rule(
            "photo",
            "the photo must be a JPEG, PNG or WebP image",
        ));
    };
    Ok(Photo {
        media_type: media_type.into(),
        bytes,
    })
}

/// The party whose bureau receives a complaint about `subject`: the maker of a unit, batch
/// or listed batch; the producer of a lot; a listing's seller when it lists no batch.
fn maker_of(w: &World, subject: NodeId) -> Option<NodeId> {
    let m = w.meta(subject)?;
    let batch_maker = |b: NodeId| match w.record(b).map(|r| &**r) {
        Some(Record::Batch(b)) => Some(b.manufacturer.raw()),
        _ => None,
    };
    match m.kind {
        NodeKind::Unit => batch_maker(m.a),
        NodeKind::Batch => batch_maker(subject),
        NodeKind::Lot => match w.record(subject).map(|r| &**r) {
            Some(Record::Lot(l)) => Some(l.producer.raw()),
            _ => None,
        },
        NodeKind::Listing => match w.record(subject).map(|r| &**r) {
            Some(Record::Listing(l)) => l
                .batches
                .first()
                .and_then(|b| batch_maker(b.raw()))
                .or(Some(l.seller.raw())),
            _ => None,
        },
        _ => None,
    }
}

/// The administrative division code of a party (characters 3–8 of its USCC).
fn division(w: &World, party: NodeId) -> Option<String> {
    match w.record(party).map(|r| &**r) {
        Some(Record::Party(p)) => p.uscc.as_str().get(2..8).map(str::to_string),
        _ => None,
    }
}

/// The bureau of a party's city (see the module documentation), lowest id first in a tier.
pub(crate) fn bureau_for(w: &World, party: NodeId) -> Option<NodeId> {
    let div = division(w, party)?;
    let regulators: Vec<(NodeId, String)> = w
        .ids_of(NodeKind::Party)
        .iter()
        .copied()
        .filter(|&p| {
            w.meta(p)
                .is_some_and(|m| role_from_code(m.flag) == Role::Regulator)
        })
        .filter_map(|p| Some((p, division(w, p)?)))
        .collect();
    let city = format!("{}00", &div[..4]);
    let province = format!("{}0000", &div[..2]);
    let tiers: [&dyn Fn(&str) -> bool; 5] = [
        &|d| d == city,
        &|d| d == div,
        &|d| d[..4] == div[..4],
        &|d| d == province,
        &|d| d[..2] == div[..2],
    ];
    tiers.iter().find_map(|t| {
        regulators
            .iter()
            .filter(|(_, d)| t(d))
            .map(|(p, _)| *p)
            .min()
    })
}

fn subject_title(w: &World, subject: NodeId) -> String {
    let m = w.meta(subject);
    let rec = match m {
        Some(m) if m.kind == NodeKind::Unit => w.record(m.a),
        _ => w.record(subject),
    };
    match rec.map(|r| &**r) {
        Some(Record::Batch(b)) => format!("{} {}", b.product.name, b.batch_code),
        Some(Record::Lot(l)) => l.lot_code.clone(),
        Some(Record::Listing(l)) => l.title.clone(),
        _ => String::new(),
    }
}

fn public_party(w: &World, p: NodeId) -> PublicParty {
    match w.record(p).map(|r| &**r) {
        Some(Record::Party(x)) => PublicParty {
            name: x.name.clone(),
            city: x.city.clone(),
        },
        _ => PublicParty {
            name: String::new(),
            city: String::new(),
        },
    }
}

/// The complaint behind a case of kind `complaint`, for regulators.
pub(crate) fn detail(
    w: &World,
    ids: &crate::core::ids::IdCodec,
    case: NodeId,
) -> Option<ComplaintDetail> {
    let id = w
        .attached(case)
        .iter()
        .copied()
        .find(|&n| w.meta(n).is_some_and(|m| m.kind == NodeKind::Complaint))?;
    let Some(Record::Complaint(c)) = w.record(id).map(|r| &**r) else {
        return None;
    };
    let kind = w.meta(c.subject)?.kind;
    Some(ComplaintDetail {
        id: ids.format(NodeKind::Complaint, id),
        reference: c.reference.clone(),
        subject: ids.format(kind, c.subject),
        text: c.text.clone(),
        contact: c.contact.clone(),
        photo: c
            .photo
            .as_ref()
            .map(|_| format!("/api/v1/cases/{}/photo", ids.format(NodeKind::Case, case))),
        filed_at: fmt_time(c.created_at),
    })
}

impl App {
    /// Resolves what a complainant scanned: a `/q/{token}` URL, a GS1 Digital Link or a token.
    fn resolve_code(&self, code: &str) -> AppResult<NodeId> {
        let code = code.trim();
        if code.is_empty() || code.len() > 2048 {
            return Err(AppError::rule(
                "code",
                "code is the scanned URL or its token (at most 2048 characters)",
            ));
        }
        let unknown = || AppError::NotFound {
            field: Some("code".into()),
            detail: "no product has this code".into(),
        };
        let path = match code.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => code,
        };
        let path = path.split('#').next().unwrap_or_default();
        // A scan page: `/q/{token}` (its first segment), or the token alone.
        let segments: Vec<&str> = path
            .split('?')
            .next()
            .unwrap_or_default()
            .trim_matches('/')
            .split('/')
            .collect();
        if let ["q", token] = segments.as_slice() {
            return self.resolve_token(token).map_err(|_| unknown());
        }
        if let [token] = segments.as_slice() {
            if !crate::gs1::compress::is_compressed(path) {
                return self.resolve_token(token).map_err(|_| unknown());
            }
        }
        // Anything else is a GS1 Digital Link (compressed or not).
        let link = if crate::gs1::parse(path).is_err() && crate::gs1::compress::is_compressed(path)
        {
            crate::gs1::compress::decompress_to_path(path).map_err(|e| {
                AppError::rule("code", format!("code is not a valid GS1 Digital Link: {e}"))
            })?
        } else {
            path.to_string()
        };
        match self.resolve_digital_link(&link) {
            Ok((id, _)) => Ok(id),
            Err(AppError::BadRequest { detail, .. }) => Err(AppError::rule(
                "code",
                format!("code is neither a scan link nor a valid GS1 Digital Link: {detail}"),
            )),
            Err(_) => Err(unknown()),
        }
    }

    /// Files a consumer's complaint. `admit` applies the per-code limit to the resolved code
    /// before anything is written.
    pub fn file_complaint(
        &self,
        req: NewComplaint,
        admit: impl Fn(NodeId) -> AppResult<()>,
    ) -> AppResult<ComplaintStatus> {
        if req.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
            return Err(AppError::rule(
                "website",
                "leave the field 'website' empty (it is there to catch automated submissions)",
            ));
        }
        let text = clean_multiline("text", &req.text, MIN_TEXT, MAX_TEXT)?;
        let lower = text.to_lowercase();
        if lower.matches("http://").count()
            + lower.matches("https://").count()
            + lower.matches("www.").count()
            > MAX_LINKS
        {
            return Err(AppError::rule(
                "text",
                format!("a complaint may carry at most {MAX_LINKS} links"),
            ));
        }
        let contact = match req.contact.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(clean_multiline("contact", c, 1, MAX_CONTACT)?),
        };
        let photo = req.photo.as_deref().map(parse_photo).transpose()?;
        let subject = self.resolve_code(&req.code)?;
        admit(subject)?;
        let reference = new_reference()?;
        let cmd = FileComplaint {
            subject,
            reference,
            text,
            contact,
            photo,
        };
        self.execute(&Caller::public(), &cmd)
    }

    /// The public status of a complaint by its reference.
    pub fn complaint_status(&self, reference: &str) -> AppResult<ComplaintStatus> {
        let unknown = || AppError::NotFound {
            field: None,
            detail: "no complaint has this reference".into(),
        };
        let r = normalise_reference(reference).ok_or_else(unknown)?;
        self.read_ctx(|cx| {
            let id =
                cx.w.lookup(&NaturalKey::ComplaintRef(r))
                    .ok_or_else(unknown)?;
            let Some(Record::Complaint(c)) = cx.w.record(id).map(|r| &**r) else {
                return Err(unknown());
            };
            let Some(Record::Case(case)) = cx.w.record(c.case.raw()).map(|r| &**r) else {
                return Err(AppError::Internal("a complaint's case is missing".into()));
            };
            Ok(status_of(cx.w, c, case))
        })
    }

    /// A complaint's photo, for regulators: the case id it belongs to.
    pub fn complaint_photo(&self, caller: &Caller, case: &str) -> AppResult<Photo> {
        let n = self.visible(caller, case, NodeKind::Case)?;
        self.read_ctx(|cx| {
            cx.w.attached(n)
                .iter()
                .find_map(|&x| match cx.w.record(x).map(|r| &**r) {
                    Some(Record::Complaint(c)) => c.photo.clone(),
                    _ => None,
                })
                .ok_or_else(|| AppError::NotFound {
                    field: None,
                    detail: "this case has no photo".into(),
                })
        })
    }
}

/// File a consumer's complaint about a product (its code resolved, and admitted by the
/// per-code limit, before it is decided).
struct FileComplaint {
    subject: NodeId,
    /// The complaint's public reference, drawn before deciding (deciding draws nothing).
    reference: String,
    text: String,
    contact: Option<String>,
    photo: Option<Photo>,
}

impl Command for FileComplaint {
    type Answer = ComplaintStatus;

    /// Decides a complaint against the world: its bureau, its case and the complaint record.
    fn decide(&self, cx: &Ctx<'_>, _: &Caller) -> Result<Decision<ComplaintStatus>, Rejection> {
        let FileComplaint {
            subject,
            reference,
            text,
            contact,
            photo,
        } = self;
        let subject = *subject;
        let bureau = maker_of(cx.w, subject)
            .and_then(|m| bureau_for(cx.w, m))
            .ok_or_else(|| AppError::Rule {
                field: Some("code".into()),
                detail:
                    "no market regulation bureau in boardtrail covers the maker of this product; \
                     call 12315 instead"
                        .into(),
            })?;
        let (case_id, complaint_id, now) = (cx.id, cx.id + 1, cx.now);
        let mut subjects = vec![subject];
        if let Some(m) = cx.w.meta(subject).filter(|m| m.kind == NodeKind::Unit) {
            subjects.push(m.a);
        }
        let title = format!(
            "消费者投诉 Consumer complaint: {}",
            subject_title(cx.w, subject)
        );
        let case = Case {
            title: title.chars().take(300).collect(),
            kind: CaseKind::Complaint,
            opened_by: Id::new(bureau),
            holder: Id::new(bureau),
            bureaus: vec![Id::new(bureau)],
            invited: vec![],
            subjects,
            status: CaseStatus::Open,
            timeline: vec![CaseEntry {
                at: now,
                by: None,
                step: CaseStep::Opened,
                note: "filed by a consumer from the public scan page 消费者扫码投诉".into(),
            }],
            created_at: now,
        };
        let complaint = Complaint {
            reference: reference.to_string(),
            case: Id::new(case_id),
            subject,
            text: text.to_string(),
            contact: contact.clone(),
            photo: photo.clone(),
            created_at: now,
        };
        let status = status_of(cx.w, &complaint, &case);
        Ok(Decision::record(
            EventBody::CreatedMany {
                records: vec![
                    (case_id, Record::Case(case)),
                    (complaint_id, Record::Complaint(complaint)),
                ],
            },
            None,
            status,
        ))
    }
}

fn status_of(w: &World, c: &Complaint, case: &Case) -> ComplaintStatus {
    let history: Vec<StatusStep> = case
        .timeline
        .iter()
        .filter_map(|e| {
            let step = match &e.step {
                CaseStep::Opened => "received",
                CaseStep::Transferred { .. } => "transferred",
                CaseStep::Status(s) => s.as_str(),
                _ => return None,
            };
            Some(StatusStep {
                at: fmt_time(e.at),
                step,
            })
        })
        .collect();
    let kind = w.meta(c.subject).map_or("product", |m| m.kind.name());
    ComplaintStatus {
        reference: c.reference.clone(),
        status: case.status.as_str(),
        filed_at: fmt_time(c.created_at),
        updated_at: fmt_time(case.timeline.last().map_or(c.created_at, |e| e.at)),
        bureau: public_party(w, case.holder.raw()),
        subject: ComplaintSubject {
            kind,
            title: subject_title(w, c.subject),
        },
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_random_and_parse_back() {
        let a = new_reference().unwrap();
        let b = new_reference().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), "TS-XXXX-XXXX-XXXX-XXXX".len());
        assert_eq!(
            normalise_reference(&a.to_lowercase()).as_deref(),
            Some(a.as_str())
        );
        assert_eq!(
            normalise_reference(&a.replace('-', " ")).as_deref(),
            Some(a.as_str())
        );
        assert_eq!(normalise_reference("TS-AAAA"), None);
        assert_eq!(normalise_reference("XX-AAAA-AAAA-AAAA-AAAA"), None);
        assert_eq!(normalise_reference("TS-AAAA-AAAA-AAAA-AAA1"), None);
    }

    #[test]
    fn photos_are_sniffed_and_bounded() {
        use base64::Engine as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        assert_eq!(parse_photo(&b64(&jpeg)).unwrap().media_type, "image/jpeg");
        let png = b"\x89PNG\r\n\x1a\n0000";
        let url = format!("data:image/png;base64,{}", b64(png));
        assert_eq!(parse_photo(&url).unwrap().media_type, "image/png");
        assert!(parse_photo(&b64(b"GIF89a....")).is_err());
        assert!(parse_photo("not base64!").is_err());
        assert!(parse_photo("data:image/png,plain").is_err());
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_PHOTO + 1, 0);
        assert!(parse_photo(&b64(&big)).is_err());
        big.truncate(MAX_PHOTO);
        assert!(parse_photo(&b64(&big)).is_ok());
    }

    #[test]
    fn text_keeps_line_breaks_but_no_other_controls() {
        assert_eq!(
            clean_multiline("text", " a\r\nbc ", 2, 10).unwrap(),
            "a\nbc"
        );
        assert!(clean_multiline("text", "ab", 3, 10).is_err());
        assert!(clean_multiline("text", "abc\u{7}", 1, 10).is_err());
        assert!(clean_multiline("text", "abc\u{202E}def", 1, 10).is_err());
        assert!(clean_multiline("text", "a\u{200B}b", 1, 10).is_err());
        assert!(clean_multiline("text", "abcdefghijk", 1, 10).is_err());
    }
}
