//! QR codes for labels: unguessable per-node tokens, SVG/PNG rendering, a render cache and
//! a parallel renderer for label sheets.
//!
//! - **Tokens** ([`Tokens`]): the record's kind and id sealed in one AES-128 block under a
//!   key derived from the QR key, lowercase base32 (26 characters). They are stable for a
//!   key, reveal nothing about the id, cannot be enumerated or made up without the key
//!   ([`QrKey`], kept in `data_dir/qr.key` or derived from `BOARDTRAIL_QR_KEY`), and
//!   decrypt back to the record: no index from tokens to ids is kept.
//! - **Rendering** ([`svg`], [`png`]): the `qrcode` crate, with the 4-module quiet zone of
//!   ISO/IEC 18004, integer module sizes (crisp edges), and the image padded with light
//!   pixels to exactly `size_px` square.
//! - **Caching** ([`QrCache`]): encoding, and above all choosing the mask, dominates the cost,
//!   so rendered bytes are kept by (format, ECC, size, data).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use crate::core::domain::{NodeId, NodeKind};
use crate::core::ids::IdCodec;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder, Luma};
use parking_lot::Mutex;
use qrcode::{EcLevel, QrCode};
use thiserror::Error;

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "qr.key";
/// Context string for deriving a key from a configured secret (blake3 `derive_key`).
const KEY_CONTEXT: &str = "boardtrail qr key v1";
/// Context for deriving the token cipher's key from the QR key (blake3 `derive_key`).
const TOKEN_CONTEXT: &str = "boardtrail 2026-12 qr tokens v2";
/// Characters of a token: one 128-bit block in base32, no padding.
pub const TOKEN_LEN: usize = crate::core::ids::ID_CHARS;
/// Smallest and largest accepted image sizes, in pixels.
pub const MIN_SIZE_PX: u32 = 64;
pub const MAX_SIZE_PX: u32 = 2048;
/// Longest payload accepted, in bytes (a version-40 code holds 2953 bytes at ECC L, far
/// fewer at H; URLs on labels are well under this).
pub const MAX_DATA_BYTES: usize = 2048;
/// Width of the quiet zone, in modules (ISO/IEC 18004).
pub const QUIET_ZONE: u32 = 4;

/// Errors of this module. [`QrError::is_invalid_input`] tells a caller's mistake (400) from
/// a server fault (500).
#[derive(Debug, Error)]
pub enum QrError {
    #[error("QR key: {0} (deleting it makes a new key, which invalidates printed codes)")]
    Key(#[from] crate::secret::SecretError),
    #[error("unknown error-correction level '{0}'; use L, M, Q or H")]
    Ecc(String),
    #[error("size {size} px is out of range; use {MIN_SIZE_PX} to {MAX_SIZE_PX}")]
    Size { size: u32 },
    #[error("{size} px is too small for this code ({modules} modules including the quiet zone); use at least {modules} px")]
    TooSmall { size: u32, modules: u32 },
    #[error("nothing to encode: the data is empty")]
    EmptyData,
    #[error("data has {len} bytes; at most {MAX_DATA_BYTES} are accepted")]
    DataTooLong { len: usize },
    #[error("cannot encode as a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("PNG encoding failed: {0}")]
    Png(#[from] image::ImageError),
    #[error("label sheet item {index}: {source}")]
    Item {
        index: usize,
        #[source]
        source: Box<QrError>,
    },
    #[error("a rendering thread panicked")]
    WorkerPanicked,
}

impl QrError {
    /// True when the request was at fault (bad data, size or ECC level), false for I/O,
    /// key and internal failures.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            QrError::Ecc(_)
            | QrError::Size { .. }
            | QrError::TooSmall { .. }
            | QrError::EmptyData
            | QrError::DataTooLong { .. }
            | QrError::Encode(_) => true,
            QrError::Item { source, .. } => source.is_invalid_input(),
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Key
// ---------------------------------------------------------------------------------------

/// The 256-bit secret the token cipher's key is derived from. Its `Debug` output does not
/// show the key.
#[derive(Clone)]
pub struct QrKey([u8; 32]);

impl std::fmt::Debug for QrKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QrKey(..)")
    }
}

impl QrKey {
    /// Reads `data_dir/qr.key` (32 raw bytes), or creates it with fresh random bytes and
    /// mode 0600. The new key is written and fsynced under a temporary name and then
    /// hard-linked into place, so a crash never leaves a short key file and two processes
    /// starting at once end up with the same key.
    ///
    /// Refuses a key file of the wrong length or one readable by group or others.
    pub fn load_or_create(data_dir: &Path) -> Result<QrKey, QrError> {
        Ok(QrKey(crate::secret::load_or_create(data_dir, KEY_FILE)?))
    }

    /// Reads `qr.key`, creating it only when `may_create` (see
    /// [`crate::secret::load_or_create_if`]).
    pub fn load_or_create_if(data_dir: &Path, may_create: bool) -> Result<QrKey, QrError> {
        Ok(QrKey(crate::secret::load_or_create_if(
            data_dir, KEY_FILE, may_create,
        )?))
    }

    /// The fingerprint the store keeps of this key.
    pub fn fingerprint(&self) -> [u8; 16] {
        crate::secret::fingerprint(&self.0)
    }

    /// Derives the key from a configured secret (the `BOARDTRAIL_QR_KEY` variable).
    pub fn from_secret(secret: &str) -> QrKey {
        QrKey(blake3::derive_key(KEY_CONTEXT, secret.as_bytes()))
    }
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

/// Turns records into QR tokens and tokens back into records, under the QR key. A token
/// is the record's kind and dense id sealed in one AES-128 block (the construction of the
/// public ids, [`IdCodec`], under a key of its own derived from the QR key): 26 base32
/// characters, unrelated for neighbouring ids, and refused unless the 88 zero bits inside
/// decrypt as zeros, so a made-up token resolves with probability 2^-88. Nothing has to
/// be indexed: resolving a token is one block decryption.
#[derive(Clone, Debug)]
pub struct Tokens {
    codec: IdCodec,
}

impl Tokens {
    pub fn new(key: &QrKey) -> Tokens {
        Tokens {
            codec: IdCodec::derived(TOKEN_CONTEXT, &key.0),
        }
    }

    /// The token of record `id` of `kind`: 26 lowercase base32 characters.
    pub fn token(&self, kind: NodeKind, id: NodeId) -> String {
        // The alphabet is ASCII.
        self.codec
            .code(kind, id)
            .iter()
            .map(|&c| c as char)
            .collect()
    }

    /// The record a scanned token names, in either case; `None` for a malformed token
    /// or one this key did not make. Whether the record exists is the caller's business.
    pub fn resolve(&self, token: &str) -> Option<(NodeKind, NodeId)> {
        let bytes = token.as_bytes();
        if bytes.len() != TOKEN_LEN {
            return None;
        }
        let mut lower = [0u8; TOKEN_LEN];
        for (l, b) in lower.iter_mut().zip(bytes) {
            *l = b.to_ascii_lowercase();
        }
        self.codec.parse_code(&lower)
    }
}

/// The QR token of record `id` of `kind` under `key` (see [`Tokens`]).
pub fn token(key: &QrKey, kind: NodeKind, id: NodeId) -> String {
    Tokens::new(key).token(kind, id)
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

/// Error-correction level: L ≈ 7 %, M ≈ 15 %, Q ≈ 25 %, H ≈ 30 % of codewords recoverable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ecc {
    L,
    #[default]
    M,
    Q,
    H,
}

impl Ecc {
    fn level(self) -> EcLevel {
        match self {
            Ecc::L => EcLevel::L,
            Ecc::M => EcLevel::M,
            Ecc::Q => EcLevel::Q,
            Ecc::H => EcLevel::H,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ecc::L => "L",
            Ecc::M => "M",
            Ecc::Q => "Q",
            Ecc::H => "H",
        }
    }
}

impl FromStr for Ecc {
    type Err = QrError;

    /// Parses `L`, `M`, `Q` or `H` (either case).
    fn from_str(s: &str) -> Result<Ecc, QrError> {
        match s {
            "L" | "l" => Ok(Ecc::L),
            "M" | "m" => Ok(Ecc::M),
            "Q" | "q" => Ok(Ecc::Q),
            "H" | "h" => Ok(Ecc::H),
            _ => Err(QrError::Ecc(s.chars().take(10).collect())),
        }
    }
}

/// Validates the inputs and encodes the symbol. Returns the code, its width in modules
/// including the quiet zone, and the module size in pixels that fits in `size_px`.
fn encode(data: &str, ecc: Ecc, size_px: u32) -> Result<(QrCode, u32, u32), QrError> {
    if !(MIN_SIZE_PX..=MAX_SIZE_PX).contains(&size_px) {
        return Err(QrError::Size { size: size_px });
    }
    if data.is_empty() {
        return Err(QrError::EmptyData);
    }
    if data.len() > MAX_DATA_BYTES {
        return Err(QrError::DataTooLong { len: data.len() });
    }
    let code = QrCode::with_error_correction_level(data.as_bytes(), ecc.level())?;
    // At most 177 + 8 modules, so the cast cannot truncate.
    let modules = code.width() as u32 + 2 * QUIET_ZONE;
    let module_px = size_px / modules;
    if module_px == 0 {
        return Err(QrError::TooSmall {
            size: size_px,
            modules,
        });
    }
    Ok((code, modules, module_px))
}

/// Renders `data` as an SVG document `size_px` wide and high. The drawing is in module
/// units (`viewBox="0 0 n n"`, `n` counting the quiet zone) with crisp edges, so it scales
/// to any print size.
pub fn svg(data: &str, ecc: Ecc, size_px: u32) -> Result<String, QrError> {
    let (code, modules, _) = encode(data, ecc, size_px)?;
    let doc = code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .build();
    // qrcode sizes the document in modules; state the requested size instead, keeping the
    // viewBox in modules.
    let from = format!(r#" width="{modules}" height="{modules}" viewBox"#);
    let to = format!(r#" width="{size_px}" height="{size_px}" viewBox"#);
    Ok(doc.replacen(&from, &to, 1))
}

/// The code as an 8-bit greyscale image exactly `size_px` square: integer-sized modules,
/// centred, the margin beyond the 4-module quiet zone filled light.
fn luma(data: &str, ecc: Ecc, size_px: u32) -> Result<GrayImage, QrError> {
    let (code, modules, module_px) = encode(data, ecc, size_px)?;
    let symbol = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(module_px, module_px)
        .build();
    let mut img = GrayImage::from_pixel(size_px, size_px, Luma([255]));
    let offset = i64::from((size_px - modules * module_px) / 2);
    image::imageops::replace(&mut img, &symbol, offset, offset);
    Ok(img)
}

/// Renders `data` as a greyscale PNG exactly `size_px` square.
pub fn png(data: &str, ecc: Ecc, size_px: u32) -> Result<Vec<u8>, QrError> {
    let img = luma(data, ecc, size_px)?;
    let mut out = Vec::with_capacity(4096);
    PngEncoder::new(&mut out).write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        ExtendedColorType::L8,
    )?;
    Ok(out)
}

/// A strong HTTP entity tag for a rendered body: the first 128 bits of its blake3 hash in
/// hex, quoted (`"4f1c…"`).
pub fn etag(bytes: &[u8]) -> String {
    let hex = blake3::hash(bytes).to_hex();
    format!("\"{}\"", &hex[..32])
}

/// Renders many SVGs (a label sheet) on all available cores, in order. Fails on the first
/// item that cannot be rendered, naming its index.
pub fn render_many_svg(items: &[String], ecc: Ecc, size_px: u32) -> Result<Vec<String>, QrError> {
    if !(MIN_SIZE_PX..=MAX_SIZE_PX).contains(&size_px) {
        return Err(QrError::Size { size: size_px });
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len())
        .max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    let render_chunk = |start: usize, part: &[String]| -> Result<Vec<String>, QrError> {
        part.iter()
            .enumerate()
            .map(|(i, data)| {
                svg(data, ecc, size_px).map_err(|e| QrError::Item {
                    index: start + i,
                    source: Box::new(e),
                })
            })
            .collect()
    };
    if threads == 1 {
        return render_chunk(0, items);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| s.spawn(move || render_chunk(n * chunk, part)))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().map_err(|_| QrError::WorkerPanicked)??);
        }
        Ok(out)
    })
}

// ---------------------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

const SHARDS: usize = 16;

/// One shard of a two-generation cache: lookups hit `hot` or `cold` (promoting to `hot`);
/// when `hot` reaches its share of the capacity it becomes `cold` and the old `cold` is
/// dropped. That is O(1) per operation and keeps recently used entries, approximating LRU.
#[derive(Default)]
struct Shard {
    hot: HashMap<[u8; 32], Arc<[u8]>>,
    cold: HashMap<[u8; 32], Arc<[u8]>>,
}

/// A bounded, sharded cache of rendered codes keyed by (format, ECC, size, data). At most
/// `capacity` entries are kept (a 256 px PNG is about 1 KB, an SVG 10–40 KB). Two threads
/// missing on the same key may both render it; the result is the same.
pub struct QrCache {
    shards: Vec<Mutex<Shard>>,
    /// Entries per generation per shard.
    generation: usize,
}

impl std::fmt::Debug for QrCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrCache")
            .field("capacity", &(self.generation * 2 * SHARDS))
            .field("len", &self.len())
            .finish()
    }
}

impl QrCache {
    /// A cache holding at most about `capacity` renders (at least 32).
    pub fn new(capacity: usize) -> QrCache {
        QrCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            generation: (capacity / (2 * SHARDS)).max(1),
        }
    }

    /// Entries currently cached.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock();
                s.hot.len() + s.cold.len()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key(format: Format, data: &str, ecc: Ecc, size_px: u32) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(match format {
            Format::Svg => b"svg\0",
            Format::Png => b"png\0",
        });
        h.update(ecc.as_str().as_bytes());
        h.update(&size_px.to_be_bytes());
        h.update(data.as_bytes());
        *h.finalize().as_bytes()
    }

    fn get_or_render(
        &self,
        format: Format,
        data: &str,
        ecc: Ecc,
        size_px: u32,
        render: impl FnOnce() -> Result<Vec<u8>, QrError>,
    ) -> Result<Arc<[u8]>, QrError> {
        let key = Self::key(format, data, ecc, size_px);
        let shard = &self.shards[usize::from(key[0]) % SHARDS];
        {
            let mut s = shard.lock();
            if let Some(v) = s.hot.get(&key) {
                return Ok(Arc::clone(v));
            }
            if let Some(v) = s.cold.remove(&key) {
                self.put(&mut s, key, Arc::clone(&v));
                return Ok(v);
            }
        }
        let value: Arc<[u8]> = render()?.into();
        self.put(&mut shard.lock(), key, Arc::clone(&value));
        Ok(value)
    }

    fn put(&self, s: &mut Shard, key: [u8; 32], value: Arc<[u8]>) {
        if s.hot.len() >= self.generation {
            s.cold = std::mem::take(&mut s.hot);
        }
        s.hot.insert(key, value);
    }

    /// The SVG of [`svg`], from the cache when possible. The bytes are UTF-8.
    pub fn get_or_render_svg(
        &self,
        data: &str,
        ecc: Ecc,
        size_px: u32,
    ) -> Result<Arc<[u8]>, QrError> {
        self.get_or_render(Format::Svg, data, ecc, size_px, || {
            svg(data, ecc, size_px).map(String::into_bytes)
        })
    }

    /// The PNG of [`png`], from the cache when possible.
    pub fn get_or_render_png(
        &self,
        data: &str,
        ecc: Ecc,
        size_px: u32,
    ) -> Result<Arc<[u8]>, QrError> {
        self.get_or_render(Format::Png, data, ecc, size_px, || png(data, ecc, size_px))
    }
}

#[cfg(test)]
#[path = "qr_tests.rs"]
mod tests;
