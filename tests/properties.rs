//! Property tests for the parsers and quantities: exact fixed-point amounts, GB 32100 check
//! characters, GS1 check digits, opaque ids and GS1 Digital Link paths.

use boardtrail::digital_link::{self, DigitalLink};
use boardtrail::domain::{normalize_gtin, uscc_check_char, validate_uscc, Milli, NodeKind};
use boardtrail::ids::IdCodec;
use proptest::prelude::*;

const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CSET82: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"%&'()*+,-./:;<=>?_";

fn from_set(set: &'static str, min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(set.chars().collect::<Vec<_>>()),
        min..=max,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every amount in thousandths parses exactly, and prints as a decimal that parses back.
    #[test]
    fn milli_is_exact_and_round_trips(n in 1u64..=1_000_000_000_000_000) {
        let m = Milli::from_decimal(n as f64 / 1000.0).unwrap();
        prop_assert_eq!(m, Milli(n));
        let shown = m.to_string();
        prop_assert_eq!(Milli::from_decimal(shown.parse::<f64>().unwrap()).unwrap(), m);
    }

    /// Finer than a thousandth, zero, negative or not finite: refused, never rounded.
    #[test]
    fn milli_refuses_what_it_cannot_hold(n in 1u64..1_000_000_000, frac in 1u64..10) {
        let v = n as f64 / 1000.0 + frac as f64 / 10_000.0;
        prop_assert!(Milli::from_decimal(v).is_err(), "{} accepted", v);
        prop_assert!(Milli::from_decimal(-(n as f64)).is_err());
    }

    /// The check character GB 32100 gives is accepted, and every other one refused.
    #[test]
    fn uscc_check_character(first17 in from_set(USCC_ALPHABET, 17, 17)) {
        let c = uscc_check_char(&first17).unwrap();
        let good = format!("{first17}{c}");
        prop_assert!(validate_uscc(&good).is_ok());
        for other in USCC_ALPHABET.chars().filter(|&o| o != c) {
            let bad = format!("{first17}{other}");
            prop_assert!(validate_uscc(&bad).is_err());
        }
    }

    /// Exactly one check digit makes a GTIN-13 valid; it normalises to 14 digits.
    #[test]
    fn gtin_has_one_check_digit(data in "[0-9]{12}") {
        let valid: Vec<String> = (0..10)
            .map(|d| format!("{data}{d}"))
            .filter(|g| normalize_gtin(g).is_ok())
            .collect();
        prop_assert_eq!(valid.len(), 1);
        prop_assert_eq!(normalize_gtin(&valid[0]).unwrap(), format!("0{}", valid[0]));
    }

    /// Ids round-trip, are distinct, and another key or kind reads nothing.
    #[test]
    fn ids_round_trip(seed in any::<[u8; 32]>(), a in any::<u32>(), b in any::<u32>(), k in 0usize..12) {
        let kind = NodeKind::ALL[k];
        let ids = IdCodec::new(&seed);
        let s = ids.format(kind, a);
        prop_assert_eq!(ids.parse(&s), Some((kind, a)));
        if a != b {
            prop_assert_ne!(&s, &ids.format(kind, b));
        }
        let mut other = seed;
        other[0] ^= 1;
        prop_assert_eq!(IdCodec::new(&other).parse(&s), None);
        let next = NodeKind::ALL[(k + 1) % 12];
        let swapped = s.replacen(kind.prefix(), next.prefix(), 1);
        prop_assert_eq!(ids.parse(&swapped), None);
    }

    /// A Digital Link of a valid GTIN with batch and serial from GS1's character set 82
    /// parses back to itself, and `format` writes the canonical path of `gs1::parse`.
    #[test]
    fn digital_link_round_trips(data in "[0-9]{12}", lot in from_set(CSET82, 1, 20), serial in from_set(CSET82, 1, 20)) {
        let gtin = (0..10).map(|d| format!("{data}{d}")).find(|g| normalize_gtin(g).is_ok()).unwrap();
        let dl = DigitalLink {
            gtin14: normalize_gtin(&gtin).unwrap(),
            variant: None,
            lot: Some(lot),
            serial: Some(serial),
        };
        let url = digital_link::format("https://id.example", &dl);
        let path = url.strip_prefix("https://id.example").unwrap();
        prop_assert_eq!(digital_link::parse_path(path).unwrap(), dl.clone());
        prop_assert_eq!(boardtrail::gs1::parse(path).unwrap().canonical_path(), path);
        prop_assert!(dl.check_cset82().is_ok());
    }
}
