//! The published vectors of GS1 Digital Link compression: the Trust Codes and Solidsoft
//! ports' tests and the reference's own examples, decoded and re-encoded byte for byte.

use super::*;

/// Vectors from Trust Codes' Python port of the reference (github.com/Trust-Codes-Ltd/
/// gs1-compression, tests/compress/test_core_functions.py and
/// tests/decompress/test_core_functions.py). Their `/gtin/9421902960055/lot/…/ser/…` input is
/// written here with numeric AIs and the 14-digit GTIN the reference pads it to.
#[test]
fn trust_codes_vectors() {
    both_ways(
        "/01/09421902960055/10/2010005828/21/xyz1234",
        "AREjalurbiAUO-cgohCz45Z67b8A",
    );
    both_ways("/00/106141412345678908", "ABeRcNWtKMPA");
    both_ways("/414/0614141123452", "QUCO_anbfA");
    both_ways(
        "/8003/09421012301014f9804dbf?240=qwe390023",
        "JAaasHt_dNNt4ADESMALumsUfMAm34",
    );
    assert_eq!(dec("https://id.gs1.org/ARHKVAdpQg"), "/01/09780345418913");
    // Element string (01)00614141123452(3103)000500, no optimisations.
    both_ways("/01/00614141123452?3103=000500", "AQEd-1O2-GIGAD6A");
    // Element string (3103)000189(01)05412345000013(3923)2172(10)ABC123, no optimisations.
    both_ways(
        "/01/05412345000013/10/ABC123?3103=000189&3923=2172",
        "AQnYUc1gmiCNV4JGYgYAF6ckaEPg",
    );
    // With the non-GS1 parameter k1=v1 compressed too (compressOtherKeyValuePairs).
    let link = "/01/05412345000013/10/ABC%26%2B123?7003=1903061658&k1=v1";
    let compressed = "AQnYUc1gmiERBhQ0ytiyZuAGOLc1TXgpNWCv1";
    assert_eq!(comp_with(link, false, true), compressed);
    assert_eq!(dec(&format!("http://example.org/{compressed}")), link);
}

/// Examples in the reference implementation itself (comments in
/// `extractFromCompressedGS1digitalLink` of GS1DigitalLinkToolkit.js): the second carries
/// `expdt` (the reference's old short name for 7003) and `k1` as compressed non-GS1 pairs.
#[test]
fn reference_source_examples() {
    assert_eq!(
        dec("http://example.org/AQnYUc1gmiERBhQ0ytiyZuAGOLc1TQ?expdt=1903061658&k1=v1"),
        "/01/05412345000013/10/ABC%26%2B123?7003=1903061658&expdt=1903061658&k1=v1"
    );
    assert_eq!(
        decompress("http://example.org/AQnYUc1gmiERBhQ0ytiyZuAGOLc1TXhXsaXbQKHFuaprwUmrBX6g")
            .unwrap(),
        [
            ("01", "05412345000013"),
            ("10", "ABC&+123"),
            ("7003", "1903061658"),
            ("expdt", "1903061658"),
            ("k1", "v1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
}

/// Vectors from Solidsoft Reply's .NET port of the reference (github.com/Solidsoft-Reply/
/// Gs1DigitalLinkLib, Tests/Features/CompressGs1DigitalLink.feature and
/// DecompressGs1DigitalLink.feature, "Compress a decompressed Digital Link").
#[test]
fn solidsoft_vectors_every_primary_key() {
    let cases = [
        ("/00/998440410914660971", "AN2yxDhfaiaw"),
        ("/01/05412345000013", "AQnYUc1gmg"),
        ("/01/05412345000013/10/ABC123", "AQnYUc1gmiCNV4JG"),
        (
            "/01/05412345000013/10/ABC123/21/72292641703",
            "AQnYUc1gmiCNV4JGQhcNT6K6c",
        ),
        (
            "/01/05412345000013/22/AJY3095721P49/10/ABC123/21/72292641703",
            "AQnYUc1gmiCNV4JGQhcNT6K6cibQCWN9Pee9tT-PQ",
        ),
        (
            "/01/05412345000013/22/AJY3095721P49/10/ABC123",
            "AQnYUc1gmiCNV4JGRNoBLG-nvPe2p_Ho",
        ),
        (
            "/01/05412345000013/235/8TFV883a904GH%263",
            "AQnYUc1gmkax7ipGrOHDPC5YNI8hMz",
        ),
        ("/01/05412345000013/21/72292641703", "AQnYUc1gmkIXDU-iun"),
        (
            "/01/05412345000013/22/AJY3095721P49/21/72292641703",
            "AQnYUc1gmkIXDU-iunIm0AljfT3nvbU_j0",
        ),
        (
            "/01/05412345000013/22/AJY3095721P49",
            "AQnYUc1gmkTaASxvp7z3tqfx6",
        ),
        ("/253/3060077601309", "JTLIetaiHYA"),
        ("/255/5678409730535", "JVUqG5hJ5wA"),
        (
            "/401/0541234537290A41%26GHpp33",
            "QBl2DVoxZM2jVm3ZOWEFoxTR5HDgzZg",
        ),
        ("/402/21173492661712079", "QCJZyW9mC6Z4"),
        ("/414/5060917510004", "QUSaVjC_dA"),
        (
            "/414/5060917510004/254/RP56J920471",
            "JUa0T-eifdtOO9UFEmlYwv3Q",
        ),
        ("/414/5060917510004/7040/5KFX", "QUSaVjC_dHBAVlCrg"),
        ("/415/5060917510004", "QVSaVjC_dA"),
        ("/417/5060917510004", "QXSaVjC_dA"),
        ("/417/5060917510004/7040/5KFX", "QXSaVjC_dHBAVlCrg"),
        (
            "/8004/0541234537290A41%26GHpp33/7040/7BVR",
            "cEB2CqjAAkuwatGLJm0as27JywgtGKaPI4cGbM",
        ),
        (
            "/8006/054123450000130201/22/AJY3095721P49/10/ABC123/21/72292641703",
            "EEarwSMhC4an0V05E2gEsb6e897an8ewAMGAkftmjYEy",
        ),
        (
            "/8006/054123450000130201/10/ABC123/21/72292641703",
            "EEarwSMhC4an0V08ADBgJH7Zo2BMg",
        ),
        (
            "/8006/054123450000130201/22/AJY3095721P49/10/ABC123",
            "EEarwSMibQCWN9Pee9tT-PYAGDASP2zRsCZ",
        ),
        ("/8006/054123450000130201/10/ABC123", "EEarwSOABgwEj9s0bAmQ"),
        ("/8003/04965031954585", "gAMJCAXukTMA"),
        (
            "/8004/0541234537290A41%26GHpp33",
            "gASXYNWjFkzaNWbdk5YQWjFNHkcODNm",
        ),
        ("/8006/054123450000130201", "gAYMBI_bNGwJk"),
        (
            "/8006/054123450000130201/22/AJY3095721P49",
            "Im0AljfT3nvbU_j2ABgwEj9s0bAmQ",
        ),
        (
            "/8006/054123450000130201/22/AJY3095721P49/21/72292641703",
            "IQuGp9FdORNoBLG-nvPe2p_HsADBgJH7Zo2BMg",
        ),
        (
            "/8006/054123450000130201/21/72292641703",
            "IQuGp9FdPAAwYCR-2aNgTI",
        ),
        (
            "/8010/0541234537290A41%23GH33/8011/6639047221",
            "gBCVYNWjFkzaNWbdk5YQWjFHHkM2cAI0xdvpGo",
        ),
        (
            "/8010/0541234537290A41%23GH33",
            "gBCVYNWjFkzaNWbdk5YQWjFHHkM2Y",
        ),
        ("/8017/817019610850151481", "gBe1ajAd9ATDk"),
        (
            "/8017/817019610850151481/8019/4003812",
            "gBe1ajAd9ATDmAGXPRfk",
        ),
        ("/8018/411369833821910265", "gBhbV6rzBENPk"),
        (
            "/8018/411369833821910265/8019/4003812",
            "gBhbV6rzBENPmAGXPRfk",
        ),
    ];
    for (uncompressed, compressed) in cases {
        both_ways(uncompressed, compressed);
        let uri = format!("https://id.gs1.org/{compressed}");
        assert!(is_compressed(&uri), "{uri}");
    }
}
