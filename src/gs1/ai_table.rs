//! The GS1 Application Identifier table, transcribed from the GS1 Barcode Syntax Dictionary
//! (`gs1-syntax-dictionary.txt` in github.com/gs1/gs1-syntax-dictionary, the stored version at
//! commit 0344bf488ec9c7b9d271f687a762a85c2dd7c04e, Apache-2.0).
//!
//! Each entry keeps the dictionary's AI (or AI range), its title, its components (`N14`,
//! `X..20`, `N6 [N6]`, …) with the `csum` (GS1 mod-10 check digit) and `csumalpha` (GS1 check
//! character pair) flags, and the `dlpkey` attribute: whether the AI is a GS1 Digital Link
//! primary key and, if so, its alternative sequences of key qualifiers (`dlpkey=22,10,21|235`).
//! The dictionary's other linters (dates, ISO country codes, `zero`, `hyphen`, GS1 Company
//! Prefix checks, …) and its `req=`/`ex=` pairing rules are not transcribed.

use super::ai_def::{AiDef, Check, Component, Cset};

const fn c(cset: Cset, min: u8, max: u8) -> Component {
    Component {
        cset,
        min,
        max,
        optional: false,
        check: Check::None,
    }
}
const fn n(len: u8) -> Component {
    c(Cset::Numeric, len, len)
}
const fn nv(max: u8) -> Component {
    c(Cset::Numeric, 1, max)
}
const fn x(len: u8) -> Component {
    c(Cset::Cset82, len, len)
}
const fn xv(max: u8) -> Component {
    c(Cset::Cset82, 1, max)
}
const fn csum(mut comp: Component) -> Component {
    comp.check = Check::Mod10;
    comp
}
const fn opt(mut comp: Component) -> Component {
    comp.optional = true;
    comp
}

const N6: &[Component] = &[n(6)];
const X20: &[Component] = &[xv(20)];
const X30: &[Component] = &[xv(30)];
const X35: &[Component] = &[xv(35)];
const X70: &[Component] = &[xv(70)];
const N13C: &[Component] = &[csum(n(13))];
const N1: &[Component] = &[n(1)];
const N3: &[Component] = &[n(3)];
const N3X27: &[Component] = &[n(3), xv(27)];
const X2X28: &[Component] = &[x(2), xv(28)];
const N6N4: &[Component] = &[n(6), n(4)];
const N6OX1: &[Component] = &[n(6), opt(x(1))];

/// An AI that is not a Digital Link primary key.
const fn a(
    first: &'static str,
    last: &'static str,
    title: &'static str,
    components: &'static [Component],
) -> AiDef {
    AiDef {
        first,
        last,
        title,
        components,
        dl_key: None,
    }
}
/// A Digital Link primary key with its alternative qualifier sequences (may be empty).
const fn k(
    ai: &'static str,
    title: &'static str,
    components: &'static [Component],
    qualifiers: &'static [&'static [&'static str]],
) -> AiDef {
    AiDef {
        first: ai,
        last: ai,
        title,
        components,
        dl_key: Some(qualifiers),
    }
}

/// The table, in the dictionary's lexical order.
pub(super) static AI_TABLE: &[AiDef] = &[
    k("00", "SSCC", &[csum(n(18))], &[]),
    k(
        "01",
        "GTIN",
        &[csum(n(14))],
        &[&["22", "10", "21"], &["235"]],
    ),
    a("02", "02", "CONTENT", &[csum(n(14))]),
    a("10", "10", "BATCH/LOT", X20),
    a("11", "11", "PROD DATE", N6),
    a("12", "12", "DUE DATE", N6),
    a("13", "13", "PACK DATE", N6),
    a("15", "15", "BEST BEFORE or BEST BY", N6),
    a("16", "16", "SELL BY", N6),
    a("17", "17", "USE BY or EXPIRY", N6),
    a("20", "20", "VARIANT", &[n(2)]),
    a("21", "21", "SERIAL", X20),
    a("22", "22", "CPV", X20),
    a("235", "235", "TPX", &[xv(28)]),
    a("240", "240", "ADDITIONAL ID", X30),
    a("241", "241", "CUST. PART No.", X30),
    a("242", "242", "MTO VARIANT", &[nv(6)]),
    a("243", "243", "PCN", X20),
    a("250", "250", "SECONDARY SERIAL", X30),
    a("251", "251", "REF. TO SOURCE", X30),
    k("253", "GDTI", &[csum(n(13)), opt(xv(17))], &[]),
    a("254", "254", "GLN EXTENSION COMPONENT", X20),
    k("255", "GCN", &[csum(n(13)), opt(nv(12))], &[]),
    a("30", "30", "VAR. COUNT", &[nv(8)]),
    a("3100", "3105", "NET WEIGHT (kg)", N6),
    a("3110", "3115", "LENGTH (m)", N6),
    a("3120", "3125", "WIDTH (m)", N6),
    a("3130", "3135", "HEIGHT (m)", N6),
    a("3140", "3145", "AREA (m²)", N6),
    a("3150", "3155", "NET VOLUME (l)", N6),
    a("3160", "3165", "NET VOLUME (m³)", N6),
    a("3200", "3205", "NET WEIGHT (lb)", N6),
    a("3210", "3215", "LENGTH (in)", N6),
    a("3220", "3225", "LENGTH (ft)", N6),
    a("3230", "3235", "LENGTH (yd)", N6),
    a("3240", "3245", "WIDTH (in)", N6),
    a("3250", "3255", "WIDTH (ft)", N6),
    a("3260", "3265", "WIDTH (yd)", N6),
    a("3270", "3275", "HEIGHT (in)", N6),
    a("3280", "3285", "HEIGHT (ft)", N6),
    a("3290", "3295", "HEIGHT (yd)", N6),
    a("3300", "3305", "GROSS WEIGHT (kg)", N6),
    a("3310", "3315", "LENGTH (m), log", N6),
    a("3320", "3325", "WIDTH (m), log", N6),
    a("3330", "3335", "HEIGHT (m), log", N6),
    a("3340", "3345", "AREA (m²), log", N6),
    a("3350", "3355", "VOLUME (l), log", N6),
    a("3360", "3365", "VOLUME (m³), log", N6),
    a("3370", "3375", "KG PER m²", N6),
    a("3400", "3405", "GROSS WEIGHT (lb)", N6),
    a("3410", "3415", "LENGTH (in), log", N6),
    a("3420", "3425", "LENGTH (ft), log", N6),
    a("3430", "3435", "LENGTH (yd), log", N6),
    a("3440", "3445", "WIDTH (in), log", N6),
    a("3450", "3455", "WIDTH (ft), log", N6),
    a("3460", "3465", "WIDTH (yd), log", N6),
    a("3470", "3475", "HEIGHT (in), log", N6),
    a("3480", "3485", "HEIGHT (ft), log", N6),
    a("3490", "3495", "HEIGHT (yd), log", N6),
    a("3500", "3505", "AREA (in²)", N6),
    a("3510", "3515", "AREA (ft²)", N6),
    a("3520", "3525", "AREA (yd²)", N6),
    a("3530", "3535", "AREA (in²), log", N6),
    a("3540", "3545", "AREA (ft²), log", N6),
    a("3550", "3555", "AREA (yd²), log", N6),
    a("3560", "3565", "NET WEIGHT (t oz)", N6),
    a("3570", "3575", "NET VOLUME (oz)", N6),
    a("3600", "3605", "NET VOLUME (qt)", N6),
    a("3610", "3615", "NET VOLUME (gal.)", N6),
    a("3620", "3625", "VOLUME (qt), log", N6),
    a("3630", "3635", "VOLUME (gal.), log", N6),
    a("3640", "3645", "VOLUME (in³)", N6),
    a("3650", "3655", "VOLUME (ft³)", N6),
    a("3660", "3665", "VOLUME (yd³)", N6),
    a("3670", "3675", "VOLUME (in³), log", N6),
    a("3680", "3685", "VOLUME (ft³), log", N6),
    a("3690", "3695", "VOLUME (yd³), log", N6),
    a("37", "37", "COUNT", &[nv(8)]),
    a("3900", "3909", "AMOUNT", &[nv(15)]),
    a("3910", "3919", "AMOUNT", &[n(3), nv(15)]),
    a("3920", "3929", "PRICE", &[nv(15)]),
    a("3930", "3939", "PRICE", &[n(3), nv(15)]),
    a("3940", "3943", "PRCNT OFF", &[n(4)]),
    a("3950", "3955", "PRICE/UoM", N6),
    a("400", "400", "ORDER NUMBER", X30),
    k("401", "GINC", X30, &[]),
    k("402", "GSIN", &[csum(n(17))], &[]),
    a("403", "403", "ROUTE", X30),
    a("410", "410", "SHIP TO LOC", N13C),
    a("411", "411", "BILL TO", N13C),
    a("412", "412", "PURCHASE FROM", N13C),
    a("413", "413", "SHIP FOR LOC", N13C),
    k("414", "LOC No.", N13C, &[&["254"], &["7040"]]),
    k("415", "PAY TO", N13C, &[&["8020"]]),
    a("416", "416", "PROD/SERV LOC", N13C),
    k("417", "PARTY", N13C, &[&["7040"]]),
    a("420", "420", "SHIP TO POST", X20),
    a("421", "421", "SHIP TO POST", &[n(3), xv(9)]),
    a("422", "422", "ORIGIN", N3),
    a("423", "423", "COUNTRY - INITIAL PROCESS", &[nv(15)]),
    a("424", "424", "COUNTRY - PROCESS", N3),
    a("425", "425", "COUNTRY - DISASSEMBLY", &[nv(15)]),
    a("426", "426", "COUNTRY - FULL PROCESS", N3),
    a("427", "427", "ORIGIN SUBDIVISION", &[xv(3)]),
    a("4300", "4300", "SHIP TO COMP", X35),
    a("4301", "4301", "SHIP TO NAME", X35),
    a("4302", "4302", "SHIP TO ADD1", X70),
    a("4303", "4303", "SHIP TO ADD2", X70),
    a("4304", "4304", "SHIP TO SUB", X70),
    a("4305", "4305", "SHIP TO LOC", X70),
    a("4306", "4306", "SHIP TO REG", X70),
    a("4307", "4307", "SHIP TO COUNTRY", &[x(2)]),
    a("4308", "4308", "SHIP TO PHONE", X30),
    a("4309", "4309", "SHIP TO GEO", &[n(10), n(10)]),
    a("4310", "4310", "RTN TO COMP", X35),
    a("4311", "4311", "RTN TO NAME", X35),
    a("4312", "4312", "RTN TO ADD1", X70),
    a("4313", "4313", "RTN TO ADD2", X70),
    a("4314", "4314", "RTN TO SUB", X70),
    a("4315", "4315", "RTN TO LOC", X70),
    a("4316", "4316", "RTN TO REG", X70),
    a("4317", "4317", "RTN TO COUNTRY", &[x(2)]),
    a("4318", "4318", "RTN TO POST", X20),
    a("4319", "4319", "RTN TO PHONE", X30),
    a("4320", "4320", "SRV DESCRIPTION", X35),
    a("4321", "4321", "DANGEROUS GOODS", N1),
    a("4322", "4322", "AUTH TO LEAVE", N1),
    a("4323", "4323", "SIG REQUIRED", N1),
    a("4324", "4324", "NOT BEF DEL DT", N6N4),
    a("4325", "4325", "NOT AFT DEL DT", N6N4),
    a("4326", "4326", "REL DATE", N6),
    a("4330", "4330", "MAX TEMP F.", N6OX1),
    a("4331", "4331", "MAX TEMP C.", N6OX1),
    a("4332", "4332", "MIN TEMP F.", N6OX1),
    a("4333", "4333", "MIN TEMP C.", N6OX1),
    a("7001", "7001", "NSN", &[n(13)]),
    a("7002", "7002", "MEAT CUT", X30),
    a("7003", "7003", "EXPIRY TIME", N6N4),
    a("7004", "7004", "ACTIVE POTENCY", &[nv(4)]),
    a("7005", "7005", "CATCH AREA", &[xv(12)]),
    a("7006", "7006", "FIRST FREEZE DATE", N6),
    a("7007", "7007", "HARVEST DATE", &[n(6), opt(n(6))]),
    a("7008", "7008", "AQUATIC SPECIES", &[xv(3)]),
    a("7009", "7009", "FISHING GEAR TYPE", &[xv(10)]),
    a("7010", "7010", "PROD METHOD", &[xv(2)]),
    a("7011", "7011", "TEST BY DATE", &[n(6), opt(n(4))]),
    a("7020", "7020", "REFURB LOT", X20),
    a("7021", "7021", "FUNC STAT", X20),
    a("7022", "7022", "REV STAT", X20),
    a("7023", "7023", "GIAI - ASSEMBLY", X30),
    a("7030", "7030", "PROCESSOR # 0", N3X27),
    a("7031", "7031", "PROCESSOR # 1", N3X27),
    a("7032", "7032", "PROCESSOR # 2", N3X27),
    a("7033", "7033", "PROCESSOR # 3", N3X27),
    a("7034", "7034", "PROCESSOR # 4", N3X27),
    a("7035", "7035", "PROCESSOR # 5", N3X27),
    a("7036", "7036", "PROCESSOR # 6", N3X27),
    a("7037", "7037", "PROCESSOR # 7", N3X27),
    a("7038", "7038", "PROCESSOR # 8", N3X27),
    a("7039", "7039", "PROCESSOR # 9", N3X27),
    a("7040", "7040", "UIC+EXT", &[n(1), x(1), x(1), x(1)]),
    a("710", "710", "NHRN PZN", X20),
    a("711", "711", "NHRN CIP", X20),
    a("712", "712", "NHRN CN", X20),
    a("713", "713", "NHRN DRN", X20),
    a("714", "714", "NHRN AIM", X20),
    a("715", "715", "NHRN NDC", X20),
    a("7230", "7230", "CERT # 1", X2X28),
    a("7231", "7231", "CERT # 2", X2X28),
    a("7232", "7232", "CERT # 3", X2X28),
    a("7233", "7233", "CERT # 4", X2X28),
    a("7234", "7234", "CERT # 5", X2X28),
    a("7235", "7235", "CERT # 6", X2X28),
    a("7236", "7236", "CERT # 7", X2X28),
    a("7237", "7237", "CERT # 8", X2X28),
    a("7238", "7238", "CERT # 9", X2X28),
    a("7239", "7239", "CERT # 10", X2X28),
    a("7240", "7240", "PROTOCOL", X20),
    a("7241", "7241", "AIDC MEDIA TYPE", &[n(2)]),
    a("7242", "7242", "VCN", &[xv(25)]),
    a(
        "8001",
        "8001",
        "DIMENSIONS",
        &[n(4), n(5), n(3), n(1), n(1)],
    ),
    a("8002", "8002", "CMT No.", X20),
    k("8003", "GRAI", &[n(1), csum(n(13)), opt(xv(16))], &[]),
    k("8004", "GIAI", X30, &[&["7040"]]),
    a("8005", "8005", "PRICE PER UNIT", N6),
    k("8006", "ITIP", &[csum(n(14)), n(4)], &[&["22", "10", "21"]]),
    a("8007", "8007", "IBAN", &[xv(34)]),
    a("8008", "8008", "PROD TIME", &[n(8), opt(nv(4))]),
    a("8009", "8009", "OPTSEN", &[xv(50)]),
    k("8010", "CPID", &[c(Cset::Cset39, 1, 30)], &[&["8011"]]),
    a("8011", "8011", "CPID SERIAL", &[nv(12)]),
    a("8012", "8012", "VERSION", X20),
    k(
        "8013",
        "GMN",
        &[Component {
            check: Check::AlphaPair,
            ..xv(25)
        }],
        &[],
    ),
    k("8017", "GSRN - PROVIDER", &[csum(n(18))], &[&["8019"]]),
    k("8018", "GSRN - RECIPIENT", &[csum(n(18))], &[&["8019"]]),
    a("8019", "8019", "SRIN", &[nv(10)]),
    a("8020", "8020", "REF No.", &[xv(25)]),
    a("8026", "8026", "ITIP CONTENT", &[csum(n(14)), n(4)]),
    a("8030", "8030", "DIGSIG", &[c(Cset::Cset64, 1, 90)]),
    // The dictionary gives 8110 and 8112 no title; these are the General Specifications' names.
    a("8110", "8110", "COUPON CODE", X70),
    a("8111", "8111", "POINTS", &[n(4)]),
    a("8112", "8112", "POSITIVE OFFER COUPON", X70),
    a("8200", "8200", "PRODUCT URL", X70),
    a("90", "90", "INTERNAL", X30),
    a("91", "99", "INTERNAL", &[xv(90)]),
];
