use super::bits::{bits_to_decimal, decimal_to_bits};
use super::*;

fn dec(compressed: &str) -> String {
    decompress_to_path(compressed).unwrap_or_else(|e| panic!("{compressed}: {e}"))
}

fn comp(uncompressed: &str) -> String {
    compress(uncompressed).unwrap_or_else(|e| panic!("{uncompressed}: {e}"))
}

fn comp_with(uncompressed: &str, optimise: bool, other_params: bool) -> String {
    let options = CompressOptions {
        optimise,
        other_params,
    };
    compress_with(uncompressed, options).unwrap_or_else(|e| panic!("{uncompressed}: {e}"))
}

fn dec_err(compressed: &str) -> CompressError {
    match decompress_to_path(compressed) {
        Ok(p) => panic!("{compressed} decompressed to {p}"),
        Err(e) => e,
    }
}

/// Both directions: `uncompressed` (canonical) compresses to `compressed` with the
/// reference's defaults, and `compressed` decompresses to `uncompressed`.
fn both_ways(uncompressed: &str, compressed: &str) {
    assert_eq!(comp(uncompressed), compressed, "compress {uncompressed}");
    assert_eq!(dec(compressed), uncompressed, "decompress {compressed}");
}

#[path = "compress_vector_tests.rs"]
mod vectors;

/// Solidsoft's "Decompress a partially compressed Digital Link" vectors: the primary key is
/// left uncompressed and the rest compressed into a last segment.
#[test]
fn partially_compressed() {
    let cases = [
        (
            "https://id.gs1.org/01/05412345000013/EEarwSM",
            "/01/05412345000013/10/ABC123",
        ),
        (
            "https://id.gs1.org/01/05412345000013/EEarwSMhC4an0V05E2gEsb6e897an8eg",
            "/01/05412345000013/22/AJY3095721P49/10/ABC123/21/72292641703",
        ),
        (
            "https://id.gs1.org/01/05412345000013/I1j3FSNWcOGeFywaR5CZm",
            "/01/05412345000013/235/8TFV883a904GH%263",
        ),
        (
            "https://id.gs1.org/414/5060917510004/cEBWUKu",
            "/414/5060917510004/7040/5KFX",
        ),
        (
            "https://id.gs1.org/8010/0541234537290A41%23GH33/gBGmLt9I1",
            "/8010/0541234537290A41%23GH33/8011/6639047221",
        ),
        (
            "https://id.gs1.org/8018/411369833821910265/gBlz0X5A",
            "/8018/411369833821910265/8019/4003812",
        ),
        // Solidsoft AdditionalUriContent.feature: 10 and 17 compressed, parameters passed
        // through, and then compressed as well.
        (
            "https://id.gs1.org/01/05412345000013/EEarwSMXRuGw?arv=true&donor=bmgf",
            "/01/05412345000013/10/ABC123?17=290331&arv=true&donor=bmgf",
        ),
        (
            "https://id.gs1.org/01/05412345000013/EEarwSMXRuG_BtV3sJbXc94V2ieithG5oHw",
            "/01/05412345000013/10/ABC123?17=290331&arv=true&donor=bmgf",
        ),
    ];
    for (compressed, uncompressed) in cases {
        assert_eq!(dec(compressed), uncompressed, "{compressed}");
        assert!(is_compressed(compressed), "{compressed}");
    }
}

/// Solidsoft AdditionalUriContent.feature: a fully compressed link with the non-GS1
/// parameters passed through in the query string, or compressed into the segment.
#[test]
fn non_gs1_parameters() {
    let link = "/01/05412345000013/10/ABC123?17=290331&arv=true&donor=bmgf";
    assert_eq!(comp(link), "AQnYUc1gmiCNV4JGLo3DY");
    assert_eq!(
        dec("https://id.gs1.org/AQnYUc1gmiCNV4JGLo3DY?arv=true&donor=bmgf#chapter1"),
        link
    );
    let all = "AQnYUc1gmiCNV4JGLo3Dfg2q72Etrue8K7RPRWwjc0D4";
    assert_eq!(comp_with(link, false, true), all);
    assert_eq!(dec(all), link);
    assert_eq!(
        decompress(all).unwrap(),
        [
            ("01", "05412345000013"),
            ("10", "ABC123"),
            ("17", "290331"),
            ("arv", "true"),
            ("donor", "bmgf"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
}

#[test]
fn optimisation_codes() {
    // 01+10+21+17 is code 1A; then nothing is left to encode plainly.
    let link = "/01/05412345000013/10/ABC123/21/72292641703?17=290331";
    let c = comp_with(link, true, false);
    assert!(c.starts_with('G'), "{c}"); // 0001 1010 → "G…" (000110)
    assert_eq!(dec(&c), link);
    assert!(c.len() < comp(link).len());
    // The values follow in the table's order for 1A: 01, 10, 21, 17.
    let keys: Vec<String> = decompress(&c)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["01", "10", "21", "17"]);
    // 01+3103 (2D, six AI digits) beats 01+10 (0B, four); 10 stays a plain AI.
    let link = "/01/05412345000013/10/ABC123?3103=000189";
    let c = comp_with(link, true, false);
    let mut r = Reader::from_base64(&c).unwrap();
    assert_eq!(r.uint(8, &String::new).unwrap(), 0x2D);
    assert_eq!(r.value("01").unwrap(), "05412345000013");
    assert_eq!(r.value("3103").unwrap(), "000189");
    assert_eq!(r.uint(8, &String::new).unwrap(), 0x10);
    assert_eq!(dec(&c), link);
    // 01+7003 (0E) ties with 01+3920 (A0) and comes first in the table.
    let c = comp_with("/01/05412345000013?3920=1234&7003=1903061658", true, false);
    let mut r = Reader::from_base64(&c).unwrap();
    assert_eq!(r.uint(8, &String::new).unwrap(), 0x0E);
    // And 9B, 9C, 9A, 9D (414 then 254), C1, 1F.
    for link in [
        "/01/05412345000013?3920=1234&7003=1903061658",
        "/8017/817019610850151481/8019/4003812",
        "/8018/411369833821910265/8019/4003812",
        "/8010/0541234537290A41%23GH33/8011/6639047221",
        "/414/5060917510004/254/RP56J920471",
        "/255/5678409730535?3901=150",
        "/01/05412345000013/10/ABC123?15=260101&91=int",
    ] {
        let c = comp_with(link, true, false);
        assert_eq!(dec(&c), link, "{link} → {c}");
        assert_ne!(c, comp(link), "{link} has an optimisation");
    }
}

/// Round trips of every primary key, with qualifiers and data attributes, through both
/// encoders and with the non-GS1 parameters.
#[test]
fn round_trips() {
    let links = [
        "/01/09506000134352/22/2A/10/ABC%2F1/21/12345?15=251231&17=260101&3103=000189",
        "/01/09506000134352/235/TPX-0001?11=250101&7003=2601011230",
        "/00/106141412345678908?02=09506000134352&37=25&400=PO%2B7",
        "/414/9520123456788/254/A1-b?4300=Acme-Ltd",
        "/414/9520123456788/7040/1ABC",
        "/415/0614141000012/8020/INV-2024-1",
        "/417/0614141000029/7040/9xyz",
        "/253/4000001000005abc",
        "/253/4000001000005",
        "/255/06141411234525678?3900=500",
        "/401/0614141xyz-1",
        "/402/06141411234567890",
        "/8003/04000001000005X1",
        "/8003/04000001000005",
        "/8004/0614141ABC123/7040/1ABC",
        "/8006/095060001343520102/22/V2/10/LOT9/21/s%2Fn",
        "/8010/0614141-AB%231/8011/42",
        "/8013/1987654Ad4X4bL5ttr2310c2K",
        "/8017/061414112345678902/8019/1",
        "/8018/123456789012345675/8019/0001234567",
        "/01/09506000134352/10/0012?30=00000007&7007=250101&8008=25010112",
        "/01/09506000134352/21/%21%22%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F_",
        "/01/09506000134352/21/abcdef0123?91=DEADBEEF&92=abc-_XYZ&99=Zz0",
    ];
    for link in links {
        for optimise in [false, true] {
            let c = comp_with(link, optimise, false);
            assert_eq!(dec(&c), link, "{link} (optimise {optimise}) → {c}");
            assert!(is_compressed(&format!(
                "https://example.com/any/prefix/{c}"
            )));
            assert!(is_compressed(&format!("/{c}")));
        }
    }
    let with_params = "/01/09506000134352/10/ABC?17=260101&linkType=gs1%3Apip&context=x_1";
    let c = comp_with(with_params, true, true);
    assert_eq!(dec(&c), with_params);
    // Without other_params they are dropped.
    assert_eq!(
        dec(&comp(with_params)),
        "/01/09506000134352/10/ABC?17=260101"
    );
}

#[test]
fn leading_zeros_of_numeric_alphanumeric_values_are_kept() {
    let link = "/01/09506000134352/10/000123/21/0";
    assert_eq!(dec(&comp(link)), link);
    assert_eq!(
        decompress(&comp(link)).unwrap()[1],
        ("10".to_string(), "000123".to_string())
    );
}

#[test]
fn decompress_returns_pairs_in_encoded_order() {
    let pairs = decompress("/prefix/AQnYUc1gmiCNV4JGQhcNT6K6cibQCWN9Pee9tT-PQ?17=260101").unwrap();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["01", "10", "21", "22", "17"]);
}

#[test]
fn bad_base64_alphabet() {
    for (s, ch) in [
        ("AQnY.c1gmg", '.'),
        ("AQnY~c1gmg", '~'),
        ("AQnYé", 'é'),
        ("AQ+n", '+'),
    ] {
        match dec_err(&format!("/{s}")) {
            CompressError::BadBase64 { ch: got, .. } => assert_eq!(got, ch, "{s}"),
            e => panic!("{s}: {e}"),
        }
        assert!(!is_compressed(&format!("/{s}")));
    }
    let e = dec_err("/AQnY%41c1gmg");
    assert!(e.to_string().contains("'%'"), "{e}");
}

#[test]
fn truncated_bitstream() {
    let full = "AQnYUc1gmiCNV4JGQhcNT6K6c";
    for cut in [3, 5, 9, 12, 20, 24] {
        let s = &full[..cut];
        let e = dec_err(s);
        assert!(
            matches!(e, CompressError::Truncated { .. }),
            "{s}: {e} ({e:?})"
        );
        assert!(e.to_string().contains("truncated"), "{e}");
        assert!(!is_compressed(s), "{s}");
    }
    // Extra characters after the last element are not padding.
    // ("AQnYUc1gmiCNV4JG" is 95 bits and 1 padding bit; one more character makes 7.)
    assert!(matches!(
        dec_err("AQnYUc1gmiCNV4JGA"),
        CompressError::Trailing(7)
    ));
    // Non-zero bits in the padding (the last character of "AQnYUc1gmg" has 4 padding bits).
    assert!(matches!(
        dec_err("AQnYUc1gmh"),
        CompressError::NonZeroPadding
    ));
}

#[test]
fn bad_check_digit_inside_a_compressed_value() {
    let gs1 = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, v)| (a.to_string(), v.to_string()))
            .collect()
    };
    let c = encode(&gs1(&[("01", "05412345000012")]), &[], false).unwrap();
    let e = dec_err(&c);
    assert!(
        matches!(e, CompressError::Invalid(DlError::CheckDigit { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("check digit"), "{e}");
    assert!(decompress(&c).is_err());
    assert!(is_compressed(&c), "still shaped as a compressed link");
    // A lot with a space, a bad GSRN check digit, a qualifier of another key, two keys, no key.
    for pairs in [
        gs1(&[("01", "05412345000013"), ("10", "A B")]),
        gs1(&[("8018", "411369833821910264")]),
        gs1(&[("01", "05412345000013"), ("254", "X")]),
        gs1(&[("01", "05412345000013"), ("8018", "411369833821910265")]),
        gs1(&[("17", "260101")]),
    ] {
        let c = encode(&pairs, &[], false).unwrap();
        let e = dec_err(&c);
        assert!(
            matches!(e, CompressError::Invalid(_) | CompressError::NoPrimaryKey),
            "{pairs:?}: {e:?}"
        );
    }
    // The same AI twice.
    let c = encode(
        &gs1(&[("01", "05412345000013"), ("01", "05412345000013")]),
        &[],
        false,
    );
    assert!(matches!(dec_err(&c.unwrap()), CompressError::Repeated(ai) if ai == "01"));
}

#[test]
fn unknown_codes_and_encodings() {
    // 0xD7: h1h2 not decimal and not an optimisation code.
    assert!(matches!(dec_err("12345"), CompressError::UnknownOptimisation(c) if c == "D7"));
    // "14" is not an AI prefix in tableP.
    // 1111 0000 000: a non-GS1 parameter with an empty name.
    assert!(matches!(dec_err("8AAA"), CompressError::EmptyParamName));
    let mut w = Writer::default();
    w.hex_code("14").unwrap();
    w.uint(0, 20, "").unwrap();
    assert!(matches!(dec_err(&w.to_base64()), CompressError::UnknownAiPrefix(p) if p == "14"));
    // AI 10 with encoding indicator 6.
    let mut w = Writer::default();
    w.hex_code("10").unwrap();
    w.uint(6, 3, "").unwrap();
    w.uint(0, 12, "").unwrap();
    let e = dec_err(&w.to_base64());
    assert!(
        matches!(e, CompressError::BadEncoding { indicator: 6, .. }),
        "{e:?}"
    );
    // 3-digit prefix 23 followed by a hex nibble.
    let mut w = Writer::default();
    w.hex_code("23A").unwrap();
    w.uint(0, 12, "").unwrap();
    assert!(matches!(
        dec_err(&w.to_base64()),
        CompressError::NonNumericAi(_)
    ));
    // A fixed-length number whose bits exceed its digits (2^47 - 1 for a GTIN).
    let mut w = Writer::default();
    w.hex_code("01").unwrap();
    w.uint((1 << 47) - 1, 47, "").unwrap();
    assert!(matches!(
        dec_err(&w.to_base64()),
        CompressError::NumberTooLong { .. }
    ));
}

#[test]
fn is_compressed_is_not_fooled_by_ordinary_paths() {
    for path in [
        "/01/09506000134352/10/ABC",
        "/01/09506000134352",
        "https://example.com/01/09506000134352?17=260101",
        "/q/Zm9vYmFyYmF6cXV4",
        "/q/AbCdEfGhIjKlMnOp",
        "/q/3f9c2e7a-0b1d-4c5e-8f6a-7b8c9d0e1f2a",
        "/items/12345",
        "/health",
        "/",
        "",
        "/static/app.js",
        "/AQnYUc1gmg/",
    ] {
        let expect = path == "/AQnYUc1gmg/";
        assert_eq!(is_compressed(path), expect, "{path}");
    }
    assert!(is_compressed("/AQnYUc1gmg?linkType=all"));
    assert!(is_compressed("https://id.gs1.org/prefix/AQnYUc1gmg#frag"));
    // A compressed attribute alone has no primary key.
    let c = encode(&[("17".into(), "260101".into())], &[], false).unwrap();
    assert!(!is_compressed(&c));
}

#[test]
fn compress_rejects_what_it_cannot_encode() {
    assert!(matches!(
        compress("/01/5412345000013"),
        Err(CompressError::Invalid(_))
    ));
    assert!(matches!(
        compress("/nothing/here"),
        Err(CompressError::Invalid(_))
    ));
    // AI 715 is valid but has no entry in the reference's format table.
    let e = compress("/01/09506000134352?715=NDC1").unwrap_err();
    assert!(
        matches!(e, CompressError::NoFormat(ref ai) if ai == "715"),
        "{e:?}"
    );
    // Non-GS1 names must be base64 characters, values ASCII.
    let options = CompressOptions {
        optimise: false,
        other_params: true,
    };
    let e = compress_with("/01/09506000134352?a.b=1", options).unwrap_err();
    assert!(matches!(e, CompressError::Uncompressible { .. }), "{e:?}");
    let e = compress_with("/01/09506000134352?k=%C3%A9", options).unwrap_err();
    assert!(e.to_string().contains("not ASCII"), "{e}");
}

#[test]
fn bit_counts_match_the_reference_formulas() {
    // numberOfValueBits / numberOfLengthBits of the reference for the lengths in its tables.
    assert_eq!(value_bits(0), 1);
    assert_eq!(value_bits(1), 4);
    assert_eq!(value_bits(6), 20);
    assert_eq!(value_bits(13), 44);
    assert_eq!(value_bits(14), 47);
    assert_eq!(value_bits(18), 60);
    for (max, bits) in [
        (2, 2),
        (3, 2),
        (4, 3),
        (8, 4),
        (12, 4),
        (16, 5),
        (20, 5),
        (30, 5),
    ] {
        assert_eq!(length_bits(max), bits, "{max}");
    }
    assert_eq!(
        (length_bits(70), length_bits(90), length_bits(127)),
        (7, 7, 7)
    );
    // The float formulas against exact integer ones: the fewest bits for 10^n - 1, and the
    // bit length of the maximum.
    for n in 1..=127usize {
        // (At n = 59, n·log2 10 = 195.993…, so the margin adds a 197th bit.)
        let exact = (1..).find(|b: &usize| decimal_to_bits(&"9".repeat(n), *b).is_some());
        let margin = usize::from(n == 59);
        assert!(exact.is_some_and(|e| value_bits(n) == e + margin), "{n}");
        assert_eq!(
            length_bits(n),
            (usize::BITS - n.leading_zeros()) as usize,
            "{n}"
        );
    }
}

#[test]
fn big_numbers() {
    let digits = "1234567890".repeat(9);
    let bits = decimal_to_bits(&digits, value_bits(90)).unwrap();
    assert_eq!(bits_to_decimal(&bits), digits);
    assert_eq!(bits_to_decimal(&[]), "0");
    assert!(decimal_to_bits("16", 4).is_none());
    assert_eq!(decimal_to_bits("15", 4).unwrap(), [true; 4]);
}

#[test]
fn tables_agree_with_the_ai_table() {
    // Every AI of the format table and of the optimisation table is known to the AI table
    // (apart from the reference's 3956-3959), and has the length tableP gives its prefix.
    for ai in (0..10_000)
        .map(|n| format!("{n:04}"))
        .chain((0..1000).map(|n| format!("{n:03}")))
        .chain((0..100).map(|n| format!("{n:02}")))
    {
        if tables::format(&ai).is_some() {
            assert_eq!(tables::ai_length(&ai[..2]), Some(ai.len()), "{ai}");
            assert!(
                ai::lookup(&ai).is_some() || ("3956".."3960").contains(&ai.as_str()),
                "{ai}"
            );
        }
    }
    for (code, seq) in tables::TABLE_OPT {
        assert!(code.bytes().any(|b| b.is_ascii_uppercase()), "{code}");
        assert!(seq.iter().all(|ai| tables::format(ai).is_some()), "{code}");
    }
}
