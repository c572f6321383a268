use super::*;

#[test]
fn table_is_well_formed() {
    for d in all() {
        assert_eq!(d.first.len(), d.last.len(), "{}", d.first);
        assert!(d.first <= d.last, "{}", d.first);
        assert!(lookup(d.first).is_some_and(|l| l == d), "{}", d.first);
        let (last, init) = d.components.split_last().expect("has components");
        assert!(
            init.iter().all(|c| c.min == c.max && !c.optional),
            "AI {}: only the last component may vary",
            d.first
        );
        assert!(last.min >= 1 && last.min <= last.max, "{}", d.first);
        for (alt_i, alt) in d.dl_key.unwrap_or(&[]).iter().enumerate() {
            for q in alt.iter() {
                let qd =
                    lookup(q).unwrap_or_else(|| panic!("qualifier {q} of {} unknown", d.first));
                assert_eq!(
                    qd.role(),
                    Role::Qualifier,
                    "{q} (alt {alt_i} of {})",
                    d.first
                );
            }
        }
    }
    // Entries are in lexical order and do not overlap.
    for w in all().windows(2) {
        assert!(
            w[0].last < w[1].first || w[0].first.len() != w[1].first.len(),
            "{}",
            w[1].first
        );
    }
}

#[test]
fn lookup_single_ais_and_ranges() {
    assert_eq!(lookup("01").map(|d| d.title), Some("GTIN"));
    assert_eq!(lookup("3103").map(|d| d.title), Some("NET WEIGHT (kg)"));
    assert_eq!(lookup("3105").map(|d| d.first), Some("3100"));
    assert!(lookup("3106").is_none());
    assert_eq!(lookup("95").map(|d| d.first), Some("91"));
    assert!(lookup("99x").is_none());
    assert!(lookup("1").is_none());
    assert!(lookup("010").is_none());
    assert!(lookup("").is_none());
    assert!(lookup("01234").is_none());
}

#[test]
fn roles_follow_dlpkey() {
    for key in [
        "00", "01", "253", "255", "401", "402", "414", "415", "417", "8003", "8004", "8006",
        "8010", "8013", "8017", "8018",
    ] {
        assert_eq!(
            lookup(key).map(AiDef::role),
            Some(Role::PrimaryKey),
            "{key}"
        );
    }
    for q in [
        "22", "10", "21", "235", "254", "7040", "8020", "8011", "8019",
    ] {
        assert_eq!(lookup(q).map(AiDef::role), Some(Role::Qualifier), "{q}");
    }
    for attr in [
        "11", "13", "15", "17", "3100", "3169", "7003", "30", "90", "99", "410", "02",
    ] {
        let r = lookup(attr).map(AiDef::role);
        assert!(
            r == Some(Role::Attribute) || (attr == "3169" && r.is_none()),
            "{attr}: {r:?}"
        );
    }
    let gtin = lookup("01").expect("01");
    assert!(gtin.permits_qualifier("235") && gtin.permits_qualifier("10"));
    assert!(!gtin.permits_qualifier("254"));
}

#[test]
fn formats_and_check_digits() {
    let gtin = lookup("01").expect("01");
    assert_eq!(gtin.check_value("09506000134352"), Ok(()));
    assert_eq!(
        gtin.check_value("09506000134353"),
        Err(FormatError::CheckDigit {
            got: '3',
            expected: '2'
        })
    );
    assert_eq!(
        gtin.check_value("9506000134352"),
        Err(FormatError::Length {
            len: 13,
            min: 14,
            max: 14
        })
    );
    assert_eq!(
        gtin.check_value("0950600013435A"),
        Err(FormatError::Char {
            ch: 'A',
            cset: Cset::Numeric
        })
    );
    let lot = lookup("10").expect("10");
    assert_eq!(lot.check_value("AB-12/x"), Ok(()));
    assert!(matches!(
        lot.check_value("A B"),
        Err(FormatError::Char { ch: ' ', .. })
    ));
    assert!(matches!(
        lot.check_value(&"a".repeat(21)),
        Err(FormatError::Length { len: 21, .. })
    ));
    assert!(matches!(
        lot.check_value(""),
        Err(FormatError::Length { len: 0, .. })
    ));
    // GDTI: N13 with check digit, then optional X..17.
    let gdti = lookup("253").expect("253");
    assert_eq!(
        gdti.check_value("9506000134353"),
        Err(FormatError::CheckDigit {
            got: '3',
            expected: '2'
        })
    );
    assert_eq!(gdti.check_value("4000001000005abc"), Ok(()));
    assert_eq!(gdti.check_value("4000001000005"), Ok(()));
    // GRAI: the check digit is on the 13 digits after the leading zero.
    let grai = lookup("8003").expect("8003");
    assert_eq!(grai.check_value("04000001000005X1"), Ok(()));
    assert!(grai.check_value("04000001000006X1").is_err());
    // CPID uses character set 39: no lower case.
    let cpid = lookup("8010").expect("8010");
    assert_eq!(cpid.check_value("95060001343#-/A"), Ok(()));
    assert!(matches!(
        cpid.check_value("abc"),
        Err(FormatError::Char {
            ch: 'a',
            cset: Cset::Cset39
        })
    ));
    // Multi-component: 7003 is N6 N4.
    let t = lookup("7003").expect("7003");
    assert_eq!(t.check_value("2601011230"), Ok(()));
    assert!(t.check_value("260101123").is_err());
}

#[test]
fn check_character_pair_vectors() {
    // Vectors from the GS1 Syntax Dictionary's csumalpha tests and the General
    // Specifications' GMN example.
    for v in [
        "1987654Ad4X4bL5ttr2310c2K",
        "12345678901234567890123NT",
        "12345_ABCDEFGHIJKLMCP",
        "12345_abcdefghijklmN3",
        "12345_!\"%&'()*+,-./LC",
        "12345_0123456789:;<=>?62",
        "7907665Bm8v2AB",
        "00000!HV",
        "99999zzzzzzzzzzzzzzzzzzT2",
        "22",
    ] {
        let (data, pair) = v.split_at(v.len() - 2);
        assert_eq!(check_pair_of(data).as_deref(), Some(pair), "{v}");
    }
    let gmn = lookup("8013").expect("8013");
    assert_eq!(gmn.check_value("1987654Ad4X4bL5ttr2310c2K"), Ok(()));
    assert_eq!(
        gmn.check_value("1987654Ad4X4bL5ttr2310cXK"),
        Err(FormatError::CheckPair {
            got: "XK".into(),
            expected: "2K".into()
        })
    );
    assert!(matches!(
        gmn.check_value("2"),
        Err(FormatError::Length { len: 1, min: 2, .. })
    ));
}
