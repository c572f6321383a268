//! Unit tests of `digital_link` (kept beside it, in their own file).
use super::*;
use crate::gs1;

const GTIN: &str = "09506000134352";

fn dl(lot: Option<&str>, serial: Option<&str>) -> DigitalLink {
    DigitalLink::new(GTIN, None, lot, serial).unwrap()
}

#[test]
fn gs1_example_gtin_is_accepted() {
    let d = parse_path("/01/09506000134352").unwrap();
    assert_eq!(d, dl(None, None));
    assert_eq!(
        parse_path("/01/09506000134352/22/2A/10/ABC1/21/12345").unwrap(),
        DigitalLink::new(GTIN, Some("2A"), Some("ABC1"), Some("12345")).unwrap()
    );
    // Any subset of the qualifiers lands in the right field.
    let d = parse_path("/01/09506000134352/22/2A/21/12345").unwrap();
    assert_eq!(
        (d.variant.as_deref(), d.lot, d.serial.as_deref()),
        (Some("2A"), None, Some("12345"))
    );
}

#[test]
fn parsing_needs_14_digits_but_new_pads() {
    // The DL grammar requires a 14-digit GTIN; `gs1::parse` does not pad.
    let e = parse_path("/01/9506000134352").unwrap_err();
    assert!(
        matches!(e, DlError::Gs1(gs1::DlError::Length { len: 13, .. })),
        "{e:?}"
    );
    // `new` pads GTIN-8/12/13, so what it formats parses back.
    for (short, gtin14) in [
        ("9506000134352", GTIN),
        ("4006381333931", "04006381333931"), // EAN-13
        ("036000291452", "00036000291452"),  // UPC-A (GTIN-12)
        ("96385074", "00000096385074"),      // EAN-8
    ] {
        let d = DigitalLink::new(short, None, Some("L1"), None).unwrap();
        assert_eq!(d.gtin14, gtin14);
        assert!(
            parse_path(&format!("/01/{short}/10/L1")).is_err(),
            "{short}"
        );
        let uri = format("https://t.example", &d);
        assert_eq!(parse_path(&uri["https://t.example".len()..]).unwrap(), d);
    }
}

#[test]
fn gs1_errors_are_wrapped_transparently() {
    let e = parse_path("/01/09506000134353").unwrap_err();
    assert!(
        matches!(e, DlError::Gs1(gs1::DlError::CheckDigit { .. })),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        gs1::parse("/01/09506000134353").unwrap_err().to_string()
    );
    assert!(e.to_string().contains("check digit"), "{e}");
    for p in ["/01/", "/01"] {
        assert!(
            matches!(parse_path(p), Err(DlError::Gs1(gs1::DlError::MissingValue { ref ai, .. })) if ai == "01"),
            "{p}"
        );
    }
    assert!(matches!(
        parse_path(""),
        Err(DlError::Gs1(gs1::DlError::NoPrimaryKey(_)))
    ));
    assert!(matches!(
        parse_path("/01/0950600013435A"),
        Err(DlError::Gs1(gs1::DlError::BadChar { ch: 'A', .. }))
    ));
}

#[test]
fn only_the_gtin_key_and_its_handled_qualifiers_are_accepted() {
    // Valid Digital Links of other primary keys are refused by `from_gs1`.
    for (p, ai) in [
        ("/00/106141412345678908", "00"),
        ("/414/9520123456788", "414"),
        ("/8006/095060001343520102/10/L1", "8006"),
    ] {
        let e = parse_path(p).unwrap_err();
        assert_eq!(e, DlError::MissingPrimaryKey(format!("/{ai}/…")), "{p}");
        assert_eq!(
            e.to_string(),
            format!("a GS1 Digital Link path starts with /01/{{gtin}}; got '/{ai}/…'")
        );
    }
    // AI 235 is a valid qualifier of AI 01, but not one this module holds.
    assert_eq!(
        parse_path("/01/09506000134352/235/X").unwrap_err(),
        DlError::UnknownAi { ai: "235".into() }
    );
    // What `gs1::parse` refuses.
    let cases = [
        ("/01/09506000134352/17/250101", "AttributeInPath"),
        ("/01/09506000134352/lot/ABC", "UnknownAi"),
        ("/01/09506000134352/8011/1", "NotQualifierOf"),
        ("/01/09506000134352/21/1/01/09506000134352", "Repeated"),
        ("/01/09506000134352/10/x/10/y", "Repeated"),
        ("/01/09506000134352/10/x/22/y", "OutOfOrder"),
        ("/01/09506000134352/21/1/10/x", "OutOfOrder"),
        ("/01/09506000134352/21/1/22/x", "OutOfOrder"),
        ("/01/09506000134352/22/2A/235/T", "Exclusive"),
    ];
    for (p, variant) in cases {
        match parse_path(p) {
            Err(DlError::Gs1(e)) => assert!(format!("{e:?}").starts_with(variant), "{p}: {e:?}"),
            other => panic!("{p}: {other:?}"),
        }
    }
    // A free path prefix before the key is tolerated, as `gs1::parse` does.
    assert_eq!(
        parse_path("/10/ABC/01/09506000134352").unwrap(),
        dl(None, None)
    );
}

#[test]
fn values_are_checked() {
    assert!(matches!(
        parse_path("/01/09506000134352/10/"),
        Err(DlError::Gs1(gs1::DlError::MissingValue { ref ai, .. })) if ai == "10"
    ));
    let long = "A".repeat(21);
    assert!(matches!(
        parse_path(&format!("/01/09506000134352/21/{long}")),
        Err(DlError::Gs1(gs1::DlError::Length { len: 21, .. }))
    ));
    assert!(parse_path(&format!("/01/09506000134352/21/{}", "A".repeat(20))).is_ok());
    // 20 characters counted after decoding, not escaped bytes.
    assert_eq!(
        parse_path(&format!("/01/09506000134352/10/{}", "%2F".repeat(20)))
            .unwrap()
            .lot,
        Some("/".repeat(20))
    );
    assert!(matches!(
        parse_path("/01/09506000134352/10/A%zz"),
        Err(DlError::Gs1(gs1::DlError::BadEscape { .. }))
    ));
    assert!(matches!(
        parse_path("/01/09506000134352/10/%FF"),
        Err(DlError::Gs1(gs1::DlError::NotUtf8 { .. }))
    ));
    assert!(matches!(
        parse_path("/01/09506000134352/10/A%0AB"),
        Err(DlError::Gs1(gs1::DlError::BadChar { ch: '\n', .. }))
    ));
    assert!(matches!(
        parse_path("/01/09506000134352//10/A"),
        Err(DlError::Gs1(gs1::DlError::EmptySegment))
    ));
}

#[test]
fn query_and_fragment_are_refused() {
    for p in [
        "/01/09506000134352/10/A?17=250101",
        "/01/09506000134352?linkType=all",
        "/01/09506000134352/10/A#x",
    ] {
        assert_eq!(parse_path(p), Err(DlError::QueryInPath), "{p}");
    }
    // `gs1::parse` itself would take them.
    assert!(gs1::parse("/01/09506000134352/10/A?17=250101").is_ok());
}

#[test]
fn one_trailing_slash_is_tolerated() {
    assert_eq!(
        parse_path("/01/09506000134352/10/ABC/").unwrap(),
        dl(Some("ABC"), None)
    );
    assert!(parse_path("/01/09506000134352/10/ABC//").is_err());
}

#[test]
fn lot_codes_with_slash_round_trip() {
    let d = dl(Some("A/B-1"), Some("S+1%"));
    let uri = format("https://trace.example.com/", &d);
    assert_eq!(
        uri,
        "https://trace.example.com/01/09506000134352/10/A%2FB-1/21/S%2B1%25"
    );
    let path = uri.strip_prefix("https://trace.example.com").unwrap();
    assert_eq!(parse_path(path).unwrap(), d);
    assert_eq!(gs1::parse(path).unwrap().canonical_path(), path);
}

#[test]
fn lot_codes_outside_cset82_format_but_do_not_parse() {
    // `new` and `format` take a space or non-ASCII text; GS1 (and so the parser) does not,
    // and `check_cset82` says so beforehand.
    for (lot, ch) in [("A/B 1", ' '), ("批次-7", '批'), ("AB-12.x_y~z", '~')] {
        let d = dl(Some(lot), None);
        let uri = format("https://t.example", &d);
        assert_eq!(
            d.check_cset82(),
            Err(DlError::NotCset82 {
                ai: "10",
                name: "batch/lot",
                ch
            })
        );
        let e = parse_path(&uri["https://t.example".len()..]).unwrap_err();
        assert!(
            matches!(e, DlError::Gs1(gs1::DlError::BadChar { ch: c, .. }) if c == ch),
            "{lot}: {e:?}"
        );
    }
    assert!(format("https://t.example", &dl(Some("A B"), None)).ends_with("/10/A%20B"));
}

#[test]
fn unreserved_characters_stay_literal() {
    let d = dl(Some("AB-12.x_y~z"), None);
    assert!(format("https://t.example", &d).ends_with("/10/AB-12.x_y~z"));
    assert!(d.check_cset82().is_err(), "'~' is not in CSET 82");
    assert!(dl(Some("A/B-1(2)"), None).check_cset82().is_ok());
    assert!(dl(Some("A B"), None).check_cset82().is_err());
}

#[test]
fn new_validates() {
    assert!(DigitalLink::new("9506000134352", None, None, None).is_ok());
    assert!(matches!(
        DigitalLink::new("09506000134353", None, None, None),
        Err(DlError::Gtin(ref m)) if m.contains("check digit")
    ));
    assert!(matches!(
        DigitalLink::new("12345", None, None, None),
        Err(DlError::Gtin(_))
    ));
    assert_eq!(
        DigitalLink::new(GTIN, None, Some(""), None),
        Err(DlError::MissingValue {
            ai: "10",
            name: "batch/lot"
        })
    );
    assert_eq!(
        DigitalLink::new(GTIN, None, None, Some(&"9".repeat(21))),
        Err(DlError::TooLong {
            ai: "21",
            name: "serial number",
            len: 21,
            max: MAX_QUALIFIER_LEN
        })
    );
    // Counted in characters, not bytes.
    assert!(DigitalLink::new(GTIN, Some(&"批".repeat(20)), None, None).is_ok());
    assert_eq!(
        DigitalLink::new(GTIN, Some("A\tB"), None, None),
        Err(DlError::ControlChar {
            ai: "22",
            name: "consumer product variant"
        })
    );
}

#[test]
fn linkset_has_rfc9264_shape() {
    let d = dl(Some("L1"), None);
    let links = vec![
        (
            "gs1:traceability".to_string(),
            "https://t.example/trace/b1".to_string(),
            "Traceability".to_string(),
        ),
        (
            "gs1:certificationInfo".to_string(),
            "https://t.example/cert/1".to_string(),
            "E0 test report".to_string(),
        ),
        (
            "gs1:certificationInfo".to_string(),
            "https://t.example/cert/2".to_string(),
            String::new(),
        ),
    ];
    let v = linkset("https://t.example", &d, &links);
    let expected = json!({
        "linkset": [{
            "anchor": "https://t.example/01/09506000134352/10/L1",
            "https://gs1.org/voc/traceability": [
                {"href": "https://t.example/trace/b1", "title": "Traceability"}
            ],
            "https://gs1.org/voc/certificationInfo": [
                {"href": "https://t.example/cert/1", "title": "E0 test report"},
                {"href": "https://t.example/cert/2"}
            ]
        }]
    });
    assert_eq!(v, expected);

    let v = linkset_links(
        "https://t.example",
        &d,
        &[Link {
            rel: "gs1:pip",
            href: "https://t.example/p",
            title: "Product",
            media_type: Some("text/html"),
            hreflang: Some("zh-CN"),
        }],
    );
    assert_eq!(
        v["linkset"][0]["https://gs1.org/voc/pip"][0],
        json!({"href": "https://t.example/p", "title": "Product",
               "type": "text/html", "hreflang": ["zh-CN"]})
    );
}
