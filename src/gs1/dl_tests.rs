use super::*;
use proptest::prelude::*;

const GTIN: &str = "09506000134352";

fn el(ai: &str, value: &str) -> Element {
    Element {
        ai: ai.into(),
        value: value.into(),
    }
}

fn err(uri: &str) -> DlError {
    match parse(uri) {
        Ok(dl) => panic!("{uri} parsed: {dl:?}"),
        Err(e) => e,
    }
}

fn ok(uri: &str) -> DigitalLink {
    parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
}

#[test]
fn every_primary_key_with_a_valid_check_digit() {
    let cases = [
        ("/01/09506000134352", "01", "09506000134352"),
        ("/00/106141412345678908", "00", "106141412345678908"),
        ("/414/9520123456788", "414", "9520123456788"),
        ("/415/0614141000012", "415", "0614141000012"),
        ("/417/0614141000029", "417", "0614141000029"),
        ("/253/4000001000005abc", "253", "4000001000005abc"),
        ("/253/4000001000005", "253", "4000001000005"),
        ("/255/06141411234525678", "255", "06141411234525678"),
        ("/401/0614141xyz-1", "401", "0614141xyz-1"),
        ("/402/06141411234567890", "402", "06141411234567890"),
        ("/8003/04000001000005X1", "8003", "04000001000005X1"),
        ("/8004/0614141ABC123", "8004", "0614141ABC123"),
        ("/8006/095060001343520102", "8006", "095060001343520102"),
        ("/8010/0614141-AB%231", "8010", "0614141-AB#1"),
        (
            "/8013/1987654Ad4X4bL5ttr2310c2K",
            "8013",
            "1987654Ad4X4bL5ttr2310c2K",
        ),
        ("/8017/061414112345678902", "8017", "061414112345678902"),
        ("/8018/123456789012345675", "8018", "123456789012345675"),
    ];
    for (path, ai, value) in cases {
        let dl = ok(path);
        assert_eq!(dl.key, el(ai, value), "{path}");
        assert!(dl.qualifiers.is_empty() && dl.attributes.is_empty());
        assert_eq!(dl.canonical_path(), path, "{path}");
    }
}

#[test]
fn qualifiers_in_permitted_order() {
    let dl = ok("/01/09506000134352/22/2A/10/ABC/21/12345");
    assert_eq!(
        dl.qualifiers,
        vec![el("22", "2A"), el("10", "ABC"), el("21", "12345")]
    );
    for path in [
        "/01/09506000134352/10/ABC",
        "/01/09506000134352/21/12345",
        "/01/09506000134352/22/2A/21/12345",
        "/01/09506000134352/235/TPX-1",
        "/8006/095060001343520102/10/L1/21/S1",
        "/414/9520123456788/254/32a%2Fb",
        "/414/9520123456788/7040/1A2B",
        "/415/0614141000012/8020/REF-9",
        "/417/0614141000029/7040/1A2B",
        "/8004/0614141ABC123/7040/1A2B",
        "/8010/0614141-AB%231/8011/123",
        "/8017/061414112345678902/8019/12",
        "/8018/123456789012345675/8019/12",
    ] {
        assert_eq!(ok(path).canonical_path(), path, "{path}");
    }
}

#[test]
fn qualifiers_out_of_order_or_combined_are_rejected() {
    let e = err("/01/09506000134352/10/ABC/22/2A");
    assert_eq!(
        e,
        DlError::OutOfOrder {
            first: "10".into(),
            then: "22".into()
        }
    );
    assert_eq!(e.to_string(), "AI 10 may not come before AI 22");
    assert_eq!(
        err("/01/09506000134352/21/1/10/A"),
        DlError::OutOfOrder {
            first: "21".into(),
            then: "10".into()
        }
    );
    assert!(matches!(
        err("/01/09506000134352/22/2A/235/T"),
        DlError::Exclusive { ref ai, ref other, .. } if ai == "235" && other == "22"
    ));
    assert!(matches!(
        err("/01/09506000134352/235/T/21/1"),
        DlError::Exclusive { ref ai, ref other, .. } if ai == "21" && other == "235"
    ));
    assert!(matches!(
        err("/414/9520123456788/254/A/7040/1A2B"),
        DlError::Exclusive { .. }
    ));
}

#[test]
fn qualifiers_of_another_key_are_rejected() {
    let e = err("/414/9520123456788/10/ABC");
    assert!(
        matches!(e, DlError::NotQualifierOf { ref ai, ref key, .. } if ai == "10" && key == "414")
    );
    assert_eq!(
        e.to_string(),
        "AI 10 (BATCH/LOT) is not a key qualifier of AI 414 (LOC No.); permitted after it: 254 or 7040"
    );
    assert!(matches!(
        err("/01/09506000134352/8011/1"),
        DlError::NotQualifierOf { .. }
    ));
    assert!(
        matches!(err("/00/106141412345678908/10/A"), DlError::NotQualifierOf { ref permitted, .. } if permitted == "none")
    );
}

#[test]
fn bad_check_digits() {
    let e = err("/01/09506000134353");
    assert_eq!(
        e.to_string(),
        "AI 01 (GTIN): check digit 3 is wrong, expected 2 (in 09506000134353)"
    );
    assert!(matches!(
        err("/00/106141412345678909"),
        DlError::CheckDigit {
            got: '9',
            expected: '8',
            ..
        }
    ));
    assert!(matches!(
        err("/414/9520123456789"),
        DlError::CheckDigit { expected: '8', .. }
    ));
    assert!(matches!(
        err("/8006/095060001343530102"),
        DlError::CheckDigit { .. }
    ));
    assert!(matches!(
        err("/8017/061414112345678903"),
        DlError::CheckDigit { .. }
    ));
    let e = err("/8013/1987654Ad4X4bL5ttr2310cXK");
    assert!(
        matches!(e, DlError::CheckPair { ref got, ref expected, .. } if got == "XK" && expected == "2K"),
        "{e}"
    );
}

#[test]
fn wrong_lengths() {
    let serial = "ABCDEFGHIJKLMNOPQRSTUVW";
    let e = err(&format!("/01/{GTIN}/21/{serial}"));
    assert_eq!(
        e.to_string(),
        format!("AI 21 (SERIAL): \"{serial}\" has 23 characters, at most 20")
    );
    assert_eq!(
        err("/01/9506000134352").to_string(),
        "AI 01 (GTIN): \"9506000134352\" has 13 characters, exactly 14"
    );
    assert!(matches!(
        err(&format!("/01/{GTIN}/10/{}", "1".repeat(21))),
        DlError::Length { len: 21, .. }
    ));
    assert!(matches!(
        err("/8006/09506000134352"),
        DlError::Length { len: 14, .. }
    ));
    assert!(
        ok(&format!("/01/{GTIN}/10/{}", "1".repeat(20)))
            .qualifiers
            .len()
            == 1
    );
}

#[test]
fn illegal_characters() {
    let e = err(&format!("/01/{GTIN}/10/AB%20C"));
    assert!(
        matches!(e, DlError::BadChar { ch: ' ', ref value, .. } if value == "AB C"),
        "{e}"
    );
    assert!(matches!(
        err(&format!("/01/{GTIN}/10/caf%C3%A9")),
        DlError::BadChar { ch: 'é', .. }
    ));
    assert!(matches!(
        err("/01/0950600013435A"),
        DlError::BadChar { ch: 'A', .. }
    ));
    assert!(matches!(err("/8010/abc"), DlError::BadChar { ch: 'a', .. }));
    assert!(matches!(
        err(&format!("/01/{GTIN}?17=26010A")),
        DlError::BadChar { ch: 'A', .. }
    ));
}

#[test]
fn unknown_ais_and_missing_keys() {
    let e = err(&format!("/01/{GTIN}/99x/1"));
    assert_eq!(e.to_string(), "unknown AI 99x");
    assert_eq!(
        err(&format!("/01/{GTIN}/3106/000100")),
        DlError::UnknownAi("3106".into())
    );
    assert_eq!(
        err(&format!("/01/{GTIN}?3106=000100")),
        DlError::UnknownAi("3106".into())
    );
    assert!(matches!(err("/products/shelf"), DlError::NoPrimaryKey(_)));
    assert!(matches!(
        err("https://example.com"),
        DlError::NoPrimaryKey(_)
    ));
    assert!(matches!(err("/01"), DlError::MissingValue { .. }));
    assert!(
        matches!(err(&format!("/01/{GTIN}/10")), DlError::MissingValue { ref ai, .. } if ai == "10")
    );
}

#[test]
fn ais_in_the_wrong_place() {
    let e = err(&format!("/01/{GTIN}/17/260101"));
    assert_eq!(e.to_string(), "AI 17 (USE BY or EXPIRY) is a data attribute; it belongs in the query string, not the path");
    assert!(matches!(
        err(&format!("/01/{GTIN}/00/106141412345678908")),
        DlError::SecondKey { .. }
    ));
    let e = err(&format!("/01/{GTIN}?10=ABC"));
    assert_eq!(
        e.to_string(),
        "AI 10 (BATCH/LOT) is a key qualifier; it belongs in the path, not the query string"
    );
    assert!(matches!(
        err(&format!("/01/{GTIN}?00=106141412345678908")),
        DlError::NotInQuery {
            role: "primary key",
            ..
        }
    ));
}

#[test]
fn data_attributes_in_the_query() {
    let dl = ok(&format!(
        "/01/{GTIN}?17=260101&3103=000525&7003=2601011230&11=250101&90=a%2Fb"
    ));
    assert_eq!(
        dl.attributes,
        vec![
            el("17", "260101"),
            el("3103", "000525"),
            el("7003", "2601011230"),
            el("11", "250101"),
            el("90", "a/b")
        ]
    );
    assert!(matches!(
        err(&format!("/01/{GTIN}?17=2601")),
        DlError::Length { len: 4, .. }
    ));
    assert!(matches!(
        err(&format!("/01/{GTIN}?3103=525")),
        DlError::Length { .. }
    ));
    assert!(matches!(
        err(&format!("/01/{GTIN}?17=")),
        DlError::MissingValue { .. }
    ));
    assert!(matches!(
        err(&format!("/01/{GTIN}?7003=260101")),
        DlError::Length { .. }
    ));
}

#[test]
fn repeated_ais() {
    let e = err(&format!("/01/{GTIN}/10/A/10/B"));
    assert_eq!(e.to_string(), "AI 10 (BATCH/LOT) appears more than once");
    assert!(matches!(
        err(&format!("/01/{GTIN}?17=260101&17=260102")),
        DlError::Repeated { .. }
    ));
    assert!(matches!(
        err(&format!("/01/{GTIN}/01/{GTIN}")),
        DlError::Repeated { .. }
    ));
}

#[test]
fn trailing_slash_and_empty_segments() {
    assert_eq!(ok(&format!("/01/{GTIN}/")).key, el("01", GTIN));
    assert_eq!(
        ok(&format!("/01/{GTIN}/10/A/")).qualifiers,
        vec![el("10", "A")]
    );
    assert_eq!(
        ok(&format!("https://example.com/01/{GTIN}/?17=260101"))
            .attributes
            .len(),
        1
    );
    assert_eq!(err(&format!("/01/{GTIN}//")), DlError::EmptySegment);
    assert!(matches!(
        err(&format!("/01/{GTIN}/10//21/1")),
        DlError::MissingValue { .. }
    ));
}

#[test]
fn percent_encoding() {
    let dl = ok(&format!("/01/{GTIN}/10/A%2FB%25c/21/x%2Ay"));
    assert_eq!(dl.qualifiers, vec![el("10", "A/B%c"), el("21", "x*y")]);
    assert_eq!(
        dl.canonical_path(),
        format!("/01/{GTIN}/10/A%2FB%25c/21/x%2Ay")
    );
    // Literal sub-delimiters are decoded the same as their escapes and re-encoded.
    assert_eq!(
        ok(&format!("/01/{GTIN}/10/a*b")).canonical_path(),
        format!("/01/{GTIN}/10/a%2Ab")
    );
    assert!(matches!(
        err(&format!("/01/{GTIN}/10/A%G1")),
        DlError::BadEscape { .. }
    ));
    assert!(matches!(
        err(&format!("/01/{GTIN}/10/A%2")),
        DlError::BadEscape { .. }
    ));
    assert!(matches!(
        err(&format!("/01/{GTIN}/10/A%FF")),
        DlError::NotUtf8 { .. }
    ));
    assert!(matches!(
        err(&format!("/01/{GTIN}?linkType=%zz")),
        DlError::BadQueryParam(_)
    ));
}

#[test]
fn full_uri_with_prefix_and_non_gs1_parameters() {
    let dl = ok(&format!(
        "https://example.com/any/prefix/01/{GTIN}/10/ABC?17=260101&linkType=gs1:pip&context=x%20y#frag"
    ));
    assert_eq!(dl.key, el("01", GTIN));
    assert_eq!(dl.qualifiers, vec![el("10", "ABC")]);
    assert_eq!(dl.attributes, vec![el("17", "260101")]);
    assert_eq!(
        dl.other_params,
        vec![
            ("linkType".into(), "gs1:pip".into()),
            ("context".into(), "x y".into())
        ]
    );
    assert_eq!(dl.canonical_path(), format!("/01/{GTIN}/10/ABC"));
    assert_eq!(
        dl.to_uri("https://id.example/"),
        format!("https://id.example/01/{GTIN}/10/ABC?17=260101&linkType=gs1%3Apip&context=x%20y")
    );
    // An odd-length prefix, and a prefix segment that looks like a key AI.
    assert_eq!(
        ok(&format!("http://h:8080/a/b/c/01/{GTIN}")).key,
        el("01", GTIN)
    );
    assert_eq!(
        ok(&format!("/shop/414/01/{GTIN}/21/7")).qualifiers,
        vec![el("21", "7")]
    );
    // A path without a leading slash.
    assert_eq!(ok(&format!("01/{GTIN}")).key, el("01", GTIN));
}

#[test]
fn canonical_path_sorts_qualifiers() {
    let dl = DigitalLink {
        key: el("01", GTIN),
        qualifiers: vec![el("21", "S/1"), el("22", "V"), el("10", "L")],
        attributes: vec![],
        other_params: vec![],
    };
    assert_eq!(
        dl.canonical_path(),
        format!("/01/{GTIN}/22/V/10/L/21/S%2F1")
    );
}

const CSET82: &str =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

fn cset82_string() -> impl Strategy<Value = String> {
    let chars: Vec<char> = CSET82.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 1..=20)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn canonical_path_round_trips(
        data in "[0-9]{13}",
        lot in proptest::option::of(cset82_string()),
        serial in proptest::option::of(cset82_string()),
    ) {
        let check = crate::core::codes::gs1_check_digit(&data).expect("digits");
        let gtin = format!("{data}{check}");
        let mut qualifiers = Vec::new();
        if let Some(l) = &lot { qualifiers.push(el("10", l)); }
        if let Some(s) = &serial { qualifiers.push(el("21", s)); }
        let dl = DigitalLink { key: el("01", &gtin), qualifiers, attributes: vec![], other_params: vec![] };
        let path = dl.canonical_path();
        let parsed = parse(&path).map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
        prop_assert_eq!(&parsed, &dl);
        prop_assert_eq!(parsed.canonical_path(), path.clone());
        let uri = format!("https://example.com/p{path}");
        prop_assert_eq!(parse(&uri).map_err(|e| TestCaseError::fail(e.to_string()))?, dl);
    }
}
