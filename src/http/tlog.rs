//! Routes of the verifiable log (`/log/…`): the signed checkpoint, the log's key, proofs,
//! the witnesses, and the tree as C2SP `tlog-tiles` (prefix `/log`). Hashes are public;
//! a leaf (an event's bytes) and entry bundles only for whoever may read those events.

use super::*;
use crate::tlog::hash::{b64, from_b64, Hash};
use crate::tlog::tiles::{parse_tile_path, TilePath, TILE_WIDTH};
use crate::transparency::Transparency;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/log/checkpoint", web::get().to(checkpoint))
        .route("/log/key", web::get().to(key))
        .route("/log/leaf/{seq}", web::get().to(leaf))
        .route("/log/proof/inclusion", web::get().to(inclusion))
        .route("/log/proof/consistency", web::get().to(consistency))
        .route("/log/witnesses", web::get().to(witnesses))
        .route("/log/tile/{tail:.*}", web::get().to(tile));
}

/// A public JSON answer (proofs, the witnesses): hashes only, readable from any origin.
fn public_json<T: serde::Serialize>(v: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(v)
}

fn log(s: &State) -> &Arc<Transparency> {
    &s.log
}

fn text(body: String, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body)
}

/// The latest checkpoint as a signed note, with the cosignatures collected (mutable:
/// cached for a second at most).
async fn checkpoint(s: web::Data<State>) -> Result<HttpResponse, AppError> {
    match log(&s).published() {
        Some(p) => Ok(text(p.note, "public, max-age=1")),
        None => Err(AppError::NotFound {
            field: None,
            detail: "no checkpoint has been signed yet: retry in a few seconds".into(),
        }),
    }
}

/// The log's verifier key, `name+keyid+base64(0x01 ‖ key)`.
async fn key(s: web::Data<State>) -> HttpResponse {
    text(format!("{}\n", log(&s).vkey()), "public, max-age=3600")
}

/// The size a proof is for: the one asked for (at most the durable tree), else the
/// published checkpoint's.
fn proof_size(log: &Transparency, asked: Option<u64>, field: &str) -> Result<u64, AppError> {
    let durable = log.store().durable_size();
    match asked {
        Some(n) if n > durable => Err(AppError::rule(
            field,
            format!("the log holds {durable} durable events; no tree of {n} exists yet"),
        )),
        Some(n) => Ok(n),
        None => log
            .published()
            .map(|p| p.checkpoint.size)
            .ok_or_else(|| AppError::bad(field, "no checkpoint is signed yet: give the size")),
    }
}

#[derive(serde::Serialize)]
struct LeafView {
    seq: u64,
    /// The stored entry (`blake3 chain hash ‖ encoded event`) in base64: its RFC 6962 leaf
    /// hash is `SHA-256(0x00 ‖ leaf)`.
    leaf: String,
    leaf_hash: String,
}

async fn leaf(
    s: web::Data<State>,
    c: Caller,
    seq: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let seq: u64 = seq
        .parse()
        .map_err(|_| AppError::bad("seq", format!("{seq:?} is not an event number")))?;
    let app = s.app.clone();
    let bytes = blocking(move || app.log_leaf(&c, seq)).await?;
    Ok(HttpResponse::Ok().json(LeafView {
        seq,
        leaf_hash: b64(&crate::tlog::hash::leaf_hash(&bytes)),
        leaf: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes),
    }))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    seq: Option<u64>,
    /// A leaf hash in base64 (standard or URL-safe alphabet), instead of `seq`.
    hash: Option<String>,
    size: Option<u64>,
}

#[derive(serde::Serialize)]
struct InclusionView {
    seq: u64,
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: String,
    root: String,
    proof: Vec<String>,
}

async fn inclusion(
    s: web::Data<State>,
    q: web::Query<InclusionQuery>,
) -> Result<HttpResponse, AppError> {
    let log = log(&s);
    let size = proof_size(log, q.size, "size")?;
    // Finding a leaf by its hash scans the leaves: off the executor, a slice at a time.
    let by_hash = match (&q.seq, &q.hash) {
        (None, Some(h)) => {
            let h = parse_hash(h)
                .ok_or_else(|| AppError::bad("hash", "not a base64 SHA-256 hash (32 bytes)"))?;
            let store = log.store().clone();
            let found = web::block(move || find_leaf(store.as_ref(), &h, size))
                .await
                .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?;
            Some(found.ok_or_else(|| {
                AppError::not_found(
                    "hash",
                    format!("no leaf with that hash in the tree of {size}"),
                )
            })?)
        }
        _ => None,
    };
    let tree = log.store().tree();
    let index = match (&q.seq, &q.hash) {
        (Some(_), Some(_)) => return Err(AppError::bad("hash", "give seq or hash, not both")),
        (None, None) => return Err(AppError::bad("seq", "give seq (an event number) or hash")),
        (Some(0), None) => return Err(AppError::bad("seq", "events are numbered from 1")),
        (Some(seq), None) => seq - 1,
        (None, Some(_)) => by_hash.unwrap_or(size),
    };
    if index >= size {
        return Err(AppError::rule(
            "seq",
            format!("event {} is not in the tree of {size}", index + 1),
        ));
    }
    let proof = tree
        .inclusion_proof(index, size)
        .map_err(|e| AppError::rule("size", e.to_string()))?;
    let view = InclusionView {
        seq: index + 1,
        leaf_index: index,
        tree_size: size,
        leaf_hash: tree
            .leaf_hash_at(index)
            .map(|h| b64(&h))
            .unwrap_or_default(),
        root: tree.root_at(size).map(|h| b64(&h)).unwrap_or_default(),
        proof: proof.iter().map(b64).collect(),
    };
    Ok(public_json(&view))
}

/// The first leaf below `size` whose hash is `h`: a linear scan, the tree's read lock held
/// for one slice of leaves at a time (appends go on in between; leaves never move).
fn find_leaf(store: &dyn crate::store::Store, h: &Hash, size: u64) -> Option<u64> {
    const SLICE: u64 = 1 << 16;
    let mut from = 0;
    while from < size {
        let to = (from + SLICE).min(size);
        if let Some(i) = store.tree().position_in(h, from, to) {
            return Some(i);
        }
        from = to;
    }
    None
}

fn parse_hash(s: &str) -> Option<Hash> {
    from_b64(s).or_else(|| {
        use base64::Engine;
        let v = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .ok()?;
        v.try_into().ok()
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

#[derive(serde::Serialize)]
struct ConsistencyView {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Vec<String>,
}

async fn consistency(
    s: web::Data<State>,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, AppError> {
    let log = log(&s);
    let to = proof_size(log, q.to, "to")?;
    if q.from > to {
        return Err(AppError::rule(
            "from",
            format!("from ({}) is larger than to ({to})", q.from),
        ));
    }
    let tree = log.store().tree();
    let proof = tree
        .consistency_proof(q.from, to)
        .map_err(|e| AppError::rule("from", e.to_string()))?;
    let root = |n| tree.root_at(n).map(|h| b64(&h)).unwrap_or_default();
    let view = ConsistencyView {
        size1: q.from,
        size2: to,
        root1: root(q.from),
        root2: root(to),
        proof: proof.iter().map(b64).collect(),
    };
    Ok(public_json(&view))
}

async fn witnesses(s: web::Data<State>) -> HttpResponse {
    let log = log(&s);
    let published = log.published();
    public_json(&serde_json::json!({
            "origin": log.origin(),
            "checkpoint_size": published.as_ref().map(|p| p.checkpoint.size),
            "cosigned_by": published.map(|p| p.cosigned_by).unwrap_or_default(),
            "witnesses": log.witnesses(),
    }))
}

/// `tile/<L>/<N>[.p/<W>]` (hashes, public) and `tile/entries/<N>[.p/<W>]` (the events:
/// for whoever may read them all).
async fn tile(
    s: web::Data<State>,
    req: HttpRequest,
    tail: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let path = parse_tile_path(&tail).map_err(|e| AppError::bad("tile", e.to_string()))?;
    let durable = log(&s).store().durable_size();
    let not_there = || {
        AppError::not_found(
            "tile",
            format!("the durable tree of {durable} leaves has no tile {tail}"),
        )
    };
    let (bytes, cache) = match path {
        TilePath::Hashes {
            level,
            index,
            width,
        } => {
            // The leaves the tile covers must all be durable.
            let span = TILE_WIDTH
                .checked_pow(u32::from(level))
                .and_then(|p| (index * TILE_WIDTH + u64::from(width)).checked_mul(p))
                .ok_or_else(not_there)?;
            if span > durable {
                return Err(not_there());
            }
            let tile = log(&s).store().tree().tile(level, index, width);
            (
                tile.ok_or_else(not_there)?,
                "public, max-age=31536000, immutable",
            )
        }
        TilePath::Entries { index, width } => {
            let end = index * TILE_WIDTH + u64::from(width);
            if end > durable {
                return Err(not_there());
            }
            let caller = Caller::from_request(&req, &mut actix_web::dev::Payload::None).await?;
            let app = s.app.clone();
            let bundle =
                blocking(move || app.log_entries(&caller, index * TILE_WIDTH + 1, end)).await?;
            (bundle, "private, max-age=31536000, immutable")
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(bytes))
}
