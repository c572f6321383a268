//! Unit tests of `qr` (kept beside it, in their own file).
use super::*;

fn key(n: u8) -> QrKey {
    QrKey([n; 32])
}

/// Decodes a greyscale image with rqrr and returns the payload.
fn decode_luma(w: u32, h: u32, px: impl Fn(u32, u32) -> u8) -> String {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
            px(x as u32, y as u32)
        });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code");
    let (_meta, content) = grids[0].decode().unwrap();
    content
}

const URL: &str = "https://trace.example.com/01/09506000134352/10/A%2FB%201/21/0007";

#[test]
fn png_round_trips_through_a_decoder() {
    for ecc in [Ecc::L, Ecc::M, Ecc::Q, Ecc::H] {
        for size in [64, 256, 301] {
            let bytes = png(URL, ecc, size).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
            let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
                .unwrap()
                .to_luma8();
            assert_eq!(img.dimensions(), (size, size), "{ecc:?} {size}");
            let text = decode_luma(size, size, |x, y| img.get_pixel(x, y).0[0]);
            assert_eq!(text, URL, "{ecc:?} {size}");
        }
    }
}

#[test]
fn png_has_a_quiet_zone_of_four_modules() {
    let img = luma("https://t.example/u/abc", Ecc::M, 256).unwrap();
    let code = QrCode::with_error_correction_level("https://t.example/u/abc", EcLevel::M).unwrap();
    let modules = code.width() as u32 + 8;
    let m = 256 / modules;
    let offset = (256 - modules * m) / 2;
    // Everything up to the symbol (margin + 4 modules) is light; the finder pattern's
    // corner right after it is dark.
    let edge = offset + 4 * m;
    for y in 0..256 {
        for x in 0..edge {
            assert_eq!(img.get_pixel(x, y).0[0], 255, "({x},{y})");
            assert_eq!(img.get_pixel(y, x).0[0], 255, "({y},{x})");
        }
    }
    assert_eq!(img.get_pixel(edge, edge).0[0], 0);
}

/// Rebuilds the module matrix from the SVG path (`M{x} {y}h1v1H{x}V{y}` per dark
/// module) and decodes it.
#[test]
fn svg_is_well_formed_and_round_trips() {
    let doc = svg(URL, Ecc::M, 256).unwrap();
    let code = QrCode::with_error_correction_level(URL, EcLevel::M).unwrap();
    let n = code.width() + 8;
    assert!(doc.starts_with("<?xml"));
    assert!(doc.ends_with("</svg>"));
    assert!(doc.contains(r#" width="256" height="256" "#), "{doc}");
    assert!(doc.contains(&format!(r#"viewBox="0 0 {n} {n}""#)));

    let d_start = doc.find(" d=\"").unwrap() + 4;
    let d = &doc[d_start..doc.len() - "\"/></svg>".len()];
    let mut dark = vec![false; n * n];
    for cmd in d.split('M').filter(|c| !c.is_empty()) {
        let (xy, rest) = cmd.split_once('h').unwrap();
        assert!(rest.starts_with("1v1H"), "{cmd}");
        let (x, y) = xy.split_once(' ').unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        assert!(
            (4..n - 4).contains(&x) && (4..n - 4).contains(&y),
            "quiet zone"
        );
        dark[y * n + x] = true;
    }
    let scale = 8;
    let side = (n * scale) as u32;
    let text = decode_luma(side, side, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        if dark[my * n + mx] {
            0
        } else {
            255
        }
    });
    assert_eq!(text, URL);
}

#[test]
fn inputs_are_validated() {
    assert!(matches!(
        png(URL, Ecc::M, 63),
        Err(QrError::Size { size: 63 })
    ));
    assert!(matches!(svg(URL, Ecc::M, 2049), Err(QrError::Size { .. })));
    assert!(png(URL, Ecc::M, 64).is_ok());
    assert!(svg(URL, Ecc::M, 2048).is_ok());
    assert!(matches!(svg("", Ecc::M, 256), Err(QrError::EmptyData)));
    let big = "x".repeat(MAX_DATA_BYTES + 1);
    assert!(matches!(
        svg(&big, Ecc::L, 256),
        Err(QrError::DataTooLong { .. })
    ));
    // Fits the byte limit but not a QR code at ECC H.
    let e = svg(&"x".repeat(MAX_DATA_BYTES), Ecc::H, 2048).unwrap_err();
    assert!(
        matches!(e, QrError::Encode(_)) && e.is_invalid_input(),
        "{e}"
    );
    // 1000 bytes need a version-30-ish symbol: far more than 64 modules.
    let e = png(&"x".repeat(1000), Ecc::L, 64).unwrap_err();
    assert!(matches!(e, QrError::TooSmall { size: 64, .. }), "{e}");
    assert_eq!("q".parse::<Ecc>().unwrap(), Ecc::Q);
    assert_eq!("H".parse::<Ecc>().unwrap(), Ecc::H);
    assert!(matches!("X".parse::<Ecc>(), Err(QrError::Ecc(_))));
    assert!(matches!("".parse::<Ecc>(), Err(QrError::Ecc(_))));
}

#[test]
fn tokens_are_stable_keyed_and_not_sequential() {
    let k = key(1);
    let t = token(&k, NodeKind::Unit, 42);
    assert_eq!(t.len(), TOKEN_LEN);
    assert!(t
        .bytes()
        .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
    assert_eq!(t, token(&k, NodeKind::Unit, 42));
    assert_ne!(t, token(&k, NodeKind::Unit, 43));
    assert_ne!(t, token(&k, NodeKind::Batch, 42));
    assert_ne!(t, token(&key(2), NodeKind::Unit, 42));
    // Neighbouring ids share no visible structure.
    let (a, b) = (
        token(&k, NodeKind::Lot, 1000),
        token(&k, NodeKind::Lot, 1001),
    );
    let same = a.bytes().zip(b.bytes()).filter(|(x, y)| x == y).count();
    assert!(same < 8, "{a} vs {b}");
}

#[test]
fn tokens_resolve_to_their_record_and_refuse_any_change() {
    let k = QrKey::from_secret("test secret");
    let tokens = Tokens::new(&k);
    for kind in [
        NodeKind::Lot,
        NodeKind::Batch,
        NodeKind::Unit,
        NodeKind::Listing,
    ] {
        for id in [0, 1, 777, 1_000_000, u32::MAX] {
            let t = tokens.token(kind, id);
            assert_eq!(t, token(&k, kind, id));
            assert_eq!(tokens.resolve(&t), Some((kind, id)));
            assert_eq!(tokens.resolve(&t.to_ascii_uppercase()), Some((kind, id)));
        }
    }
    // Another key's token, and a public id's code (another purpose, another key), do
    // not resolve.
    let t = tokens.token(NodeKind::Unit, 777);
    assert_eq!(Tokens::new(&key(9)).resolve(&t), None);
    let public = crate::core::ids::IdCodec::new(&k.0).format(NodeKind::Unit, 777);
    assert_eq!(tokens.resolve(&public["unt_".len()..]), None);

    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bytes = t.as_bytes();
    for pos in 0..TOKEN_LEN {
        for &c in ALPHABET.iter().chain(b"018=-") {
            if c == bytes[pos] {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[pos] = c;
            let changed = String::from_utf8(changed).unwrap();
            assert_eq!(tokens.resolve(&changed), None, "{changed}");
        }
    }
    assert_eq!(tokens.resolve(&t[..TOKEN_LEN - 1]), None);
    assert_eq!(tokens.resolve(&format!("{t}a")), None);
    assert_eq!(tokens.resolve(""), None);
    assert_eq!(tokens.resolve("ö".repeat(13).as_str()), None);
}

#[test]
fn made_up_tokens_do_not_resolve() {
    let tokens = Tokens::new(&key(5));
    let mut hits = 0;
    for i in 0u32..50_000 {
        let h = blake3::hash(&i.to_le_bytes());
        let mut block = [0u8; 16];
        block.copy_from_slice(&h.as_bytes()[..16]);
        let made_up = data_encoding::BASE32_NOPAD
            .encode(&block)
            .to_ascii_lowercase();
        if tokens.resolve(&made_up).is_some() {
            hits += 1;
        }
    }
    assert_eq!(hits, 0);
}

#[test]
fn key_from_secret_is_deterministic() {
    assert_eq!(QrKey::from_secret("a").0, QrKey::from_secret("a").0);
    assert_ne!(QrKey::from_secret("a").0, QrKey::from_secret("b").0);
    assert_eq!(format!("{:?}", QrKey::from_secret("a")), "QrKey(..)");
}

#[test]
fn key_file_is_created_once_and_keeps_tokens_stable() {
    let dir = tempfile::tempdir().unwrap();
    let k1 = QrKey::load_or_create(dir.path()).unwrap();
    let k2 = QrKey::load_or_create(dir.path()).unwrap();
    assert_eq!(token(&k1, NodeKind::Unit, 9), token(&k2, NodeKind::Unit, 9));
    let missing = dir.path().join("no-such-dir");
    assert!(matches!(
        QrKey::load_or_create(&missing),
        Err(QrError::Key(_))
    ));
}

#[test]
fn cache_hits_and_stays_bounded() {
    let cache = QrCache::new(64);
    let a = cache.get_or_render_png(URL, Ecc::M, 256).unwrap();
    let b = cache.get_or_render_png(URL, Ecc::M, 256).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(&a[..], &png(URL, Ecc::M, 256).unwrap()[..]);
    // Same data, different format/size/ecc: different entries.
    let s = cache.get_or_render_svg(URL, Ecc::M, 256).unwrap();
    assert_eq!(
        std::str::from_utf8(&s).unwrap(),
        svg(URL, Ecc::M, 256).unwrap()
    );
    assert!(!Arc::ptr_eq(
        &a,
        &cache.get_or_render_png(URL, Ecc::H, 256).unwrap()
    ));
    assert_eq!(cache.len(), 3);
    // Errors are not cached.
    assert!(cache.get_or_render_png("", Ecc::M, 256).is_err());
    assert_eq!(cache.len(), 3);

    for i in 0..500 {
        cache
            .get_or_render_svg(&format!("u{i}"), Ecc::L, 64)
            .unwrap();
    }
    assert!(cache.len() <= 64, "{}", cache.len());
    assert!(!cache.is_empty());
}

#[test]
fn render_many_matches_single_renders_in_order() {
    let items: Vec<String> = (0..37)
        .map(|i| format!("https://t.example/u/{i}"))
        .collect();
    let many = render_many_svg(&items, Ecc::M, 128).unwrap();
    assert_eq!(many.len(), items.len());
    for (item, doc) in items.iter().zip(&many) {
        assert_eq!(doc, &svg(item, Ecc::M, 128).unwrap());
    }
    assert!(render_many_svg(&[], Ecc::M, 128).unwrap().is_empty());
    let mut bad = items.clone();
    bad[30] = String::new();
    let e = render_many_svg(&bad, Ecc::M, 128).unwrap_err();
    assert!(matches!(e, QrError::Item { index: 30, .. }), "{e}");
    assert!(e.is_invalid_input());
}

#[test]
fn etag_is_quoted_and_content_bound() {
    let e = etag(b"abc");
    assert_eq!(e.len(), 34);
    assert!(e.starts_with('"') && e.ends_with('"'));
    assert_eq!(e, etag(b"abc"));
    assert_ne!(e, etag(b"abd"));
}
