//! Unit tests of `digital_link` (kept beside it, in their own file).
use super::*;

const GTIN: &str = "09506000134352";

fn dl(lot: Option<&str>, serial: Option<&str>) -> DigitalLink {
    DigitalLink::new(GTIN, None, lot, serial).unwrap()
}

#[test]
fn gs1_example_gtin_is_accepted() {
    let d = parse_path("/01/09506000134352").unwrap();
    assert_eq!(d, dl(None, None));
    // The 13-digit form is padded to 14.
    assert_eq!(parse_path("/01/9506000134352").unwrap().gtin14, GTIN);
}

#[test]
fn gtin13_is_padded_and_gtin8_12_accepted() {
    // EAN-13 4006381333931 (valid check digit).
    assert_eq!(
        parse_path("/01/4006381333931").unwrap().gtin14,
        "04006381333931"
    );
    // UPC-A (GTIN-12) 036000291452 and EAN-8 96385074.
    assert_eq!(
        parse_path("/01/036000291452").unwrap().gtin14,
        "00036000291452"
    );
    assert_eq!(parse_path("/01/96385074").unwrap().gtin14, "00000096385074");
}

#[test]
fn wrong_check_digit_is_rejected() {
    let e = parse_path("/01/09506000134353").unwrap_err();
    assert!(matches!(e, DlError::Gtin(_)), "{e:?}");
    assert!(e.to_string().contains("check digit"), "{e}");
    assert!(parse_path("/01/0950600013435").is_err()); // 13 digits, wrong check
    assert!(parse_path("/01/95060001343X2").is_err());
    assert!(parse_path("/01/").is_err());
    assert!(parse_path("/01").is_err());
}

#[test]
fn primary_key_must_come_first() {
    for p in [
        "/10/ABC/01/09506000134352",
        "/21/1/01/09506000134352",
        "01/09506000134352",
        "",
    ] {
        assert!(
            matches!(parse_path(p), Err(DlError::MissingPrimaryKey(_))),
            "{p}"
        );
    }
    assert!(matches!(
        parse_path("/01/09506000134352/21/1/01/09506000134352"),
        Err(DlError::RepeatedPrimaryKey { after: "21" })
    ));
}

#[test]
fn qualifier_order_is_enforced() {
    let ok = parse_path("/01/09506000134352/22/2A/10/ABC1/21/12345").unwrap();
    assert_eq!(ok.variant.as_deref(), Some("2A"));
    assert_eq!(ok.lot.as_deref(), Some("ABC1"));
    assert_eq!(ok.serial.as_deref(), Some("12345"));
    // Any subset in order is fine.
    assert!(parse_path("/01/09506000134352/21/12345").is_ok());
    assert!(parse_path("/01/09506000134352/22/2A/21/12345").is_ok());

    let bad = [
        "/01/09506000134352/10/x/22/y",
        "/01/09506000134352/21/1/10/x",
        "/01/09506000134352/21/1/22/x",
        "/01/09506000134352/10/x/10/y",
    ];
    for p in bad {
        let e = parse_path(p).unwrap_err();
        assert!(matches!(e, DlError::OutOfOrder { .. }), "{p}: {e:?}");
    }
    let e = parse_path("/01/09506000134352/10/x/22/y").unwrap_err();
    assert_eq!(
        e.to_string(),
        "AI 22 (consumer product variant) cannot follow AI 10: key qualifiers go in the order 22, 10, 21, each at most once"
    );
}

#[test]
fn unknown_ai_is_rejected() {
    for p in [
        "/01/09506000134352/17/250101",
        "/01/09506000134352/lot/ABC",
        "/01/09506000134352/235/X",
    ] {
        let e = parse_path(p).unwrap_err();
        assert!(matches!(e, DlError::UnknownAi { .. }), "{p}: {e:?}");
    }
}

#[test]
fn values_are_checked() {
    assert!(matches!(
        parse_path("/01/09506000134352/10"),
        Err(DlError::MissingValue { ai: "10", .. })
    ));
    assert!(matches!(
        parse_path("/01/09506000134352/10/"),
        Err(DlError::MissingValue { ai: "10", .. })
    ));
    let long = "A".repeat(21);
    assert!(matches!(
        parse_path(&format!("/01/09506000134352/21/{long}")),
        Err(DlError::TooLong {
            len: 21,
            max: 20,
            ..
        })
    ));
    assert!(parse_path(&format!("/01/09506000134352/21/{}", "A".repeat(20))).is_ok());
    // 20 characters counted after decoding, not escaped bytes.
    assert!(parse_path(&format!("/01/09506000134352/10/{}", "%2F".repeat(20))).is_ok());
    assert!(matches!(
        parse_path("/01/09506000134352/10/A%2"),
        Err(DlError::BadEscape { .. })
    ));
    assert!(matches!(
        parse_path("/01/09506000134352/10/A%zz"),
        Err(DlError::BadEscape { .. })
    ));
    assert!(matches!(
        parse_path("/01/09506000134352/10/%FF"),
        Err(DlError::NotUtf8 { .. })
    ));
    assert!(matches!(
        parse_path("/01/09506000134352/10/A%0AB"),
        Err(DlError::ControlChar { .. })
    ));
    assert!(matches!(
        parse_path("/01/09506000134352//10/A"),
        Err(DlError::EmptySegment)
    ));
    assert!(matches!(
        parse_path("/01/09506000134352/10/A?17=250101"),
        Err(DlError::QueryInPath)
    ));
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
fn lot_codes_with_slash_and_space_round_trip() {
    let d = dl(Some("A/B 1"), Some("S+1%"));
    let uri = format("https://trace.example.com/", &d);
    assert_eq!(
        uri,
        "https://trace.example.com/01/09506000134352/10/A%2FB%201/21/S%2B1%25"
    );
    let path = uri.strip_prefix("https://trace.example.com").unwrap();
    assert_eq!(parse_path(path).unwrap(), d);

    // Non-ASCII lot codes survive too (though they are not GS1 CSET 82).
    let d = dl(Some("批次-7"), None);
    let uri = format("https://t.example", &d);
    assert_eq!(parse_path(&uri["https://t.example".len()..]).unwrap(), d);
    assert!(matches!(
        d.check_cset82(),
        Err(DlError::NotCset82 { ai: "10", .. })
    ));
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
fn new_validates_like_parse() {
    assert!(DigitalLink::new("9506000134352", None, None, None).is_ok());
    assert!(DigitalLink::new("09506000134353", None, None, None).is_err());
    assert!(DigitalLink::new(GTIN, None, Some(""), None).is_err());
    assert!(DigitalLink::new(GTIN, None, None, Some(&"9".repeat(21))).is_err());
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
