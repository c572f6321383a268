//! The demo world, loaded once by `boardtrail serve --demo` into an empty store: two Linyi
//! board mills, makers in Suqian and in Shaji (Suining, Xuzhou), the three platforms, the
//! four bureaus and the Shaji lab, with lots, shipments, cut panels, batches and listings;
//! then a Hangzhou reseller of Shaji bookshelves on Taobao with the sales Taobao reported,
//! the Xuzhou bureau's assistance requests to Taobao (answered) and JD (open), and a sample
//! bought on Pinduoduo whose order Pinduoduo confirmed; then the sellers' licences (one
//! expired, one confirmed by the Hangzhou bureau), the platforms' entry checks and re-checks
//! (one overdue), a "无醛 ENF" claim of E1 boards, the Shaji township's "沙集镇" collective
//! mark used by a non-member, an ISO 9001 certificate, and a joint Xuzhou–Suqian sampling
//! plan with a sample under it. Everything goes through the application layer, exactly as
//! API calls would.

use crate::app::dto::*;
use crate::app::{App, Caller};
use crate::core::domain::{uscc_check_char, FormaldehydeClass, Material, QtyUnit, Role};
use crate::error::AppResult;
use chrono::{DateTime, FixedOffset};

mod enforcement;
mod qualification;
mod resale;
use enforcement::enforcement;
use qualification::qualification;
use resale::resale;

/// Ids a newcomer can try.
#[derive(Debug, Clone, Default)]
pub struct DemoIds {
    pub mill_a: String,
    pub mill_b: String,
    pub suqian_maker: String,
    pub shaji_maker: String,
    pub jd: String,
    pub taobao: String,
    pub pinduoduo: String,
    pub lot_plywood: String,
    pub lot_particleboard: String,
    pub lot_mdf: String,
    pub panels: String,
    pub wardrobe_batch: String,
    pub wardrobe_unit: String,
    pub bookshelf_batch: String,
    pub desk_batch: String,
    pub jd_listing: String,
    pub taobao_listing: String,
    pub pdd_listing: String,
    pub pdd_desk_listing: String,
    pub xuzhou: String,
    pub linyi: String,
    pub lab: String,
    pub failed_inspection: String,
    pub case: String,
    /// The public scan URL path of the first wardrobe unit (a GS1 Digital Link).
    pub wardrobe_scan: String,
    /// 杭州优家家居专营店, a Hangzhou reseller (distributor) of Shaji bookshelves.
    pub reseller: String,
    /// Shaji's goods shipment of 12 bookshelves to the reseller.
    pub reseller_goods: String,
    /// The reseller's Taobao listing of the bookshelves it received.
    pub reseller_listing: String,
    /// Sales Taobao reported of the reseller's listing: to Jiangsu, to Zhejiang.
    pub reseller_sales: Vec<String>,
    /// Xuzhou's producer-tracing request to Taobao, answered with the pre-filled trace.
    pub taobao_request: String,
    /// Xuzhou's request to JD for the wardrobe listing's sales, still open.
    pub jd_request: String,
    /// A bookshelf bought on Pinduoduo as a sample: failed, its order confirmed by Pinduoduo.
    pub pdd_sample: String,
    pub suqian: String,
    pub hangzhou: String,
    /// 睢宁县沙集镇人民政府, the Shaji township, holder of the "沙集镇" collective mark.
    pub township: String,
    /// Suqian Musen's licence, seen by JD at its entry check, expired since.
    pub suqian_licence: String,
    /// Shaji's licence, seen by Taobao at its re-check.
    pub shaji_licence: String,
    /// The reseller's licence, entered by itself and confirmed by the Hangzhou bureau.
    pub reseller_licence: String,
    /// The "沙集镇" collective mark (class 20), Shaji authorised.
    pub collective_mark: String,
    /// Suqian Musen's ISO 9001 certificate.
    pub iso_certificate: String,
    /// Taobao's entry check of the reseller, its re-check overdue.
    pub overdue_check: String,
    /// Taobao's re-check of Shaji (with the licence it saw).
    pub shaji_recheck: String,
    /// The joint Xuzhou–Suqian sampling plan.
    pub plan: String,
    /// The Suqian bureau's sample of the Pinduoduo desk under the plan.
    pub plan_sample: String,
}

fn uscc(first17: &str) -> String {
    let c = uscc_check_char(first17).unwrap_or('0');
    format!("{first17}{c}")
}

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_default()
}

fn q(value: f64, unit: QtyUnit) -> QuantityIn {
    QuantityIn { value, unit }
}

fn input(lot: &str, value: f64, unit: QtyUnit) -> InputIn {
    InputIn {
        lot: lot.to_string(),
        quantity: q(value, unit),
    }
}

/// Loads the demo world if the store holds no events yet. Returns None when it was
/// already loaded (or the store has other data).
pub fn load(app: &App) -> AppResult<Option<DemoIds>> {
    if app.store().stats().events > 0 {
        return Ok(None);
    }
    let op = Caller::operator();
    let party = |name: &str, role: Role, code: &str, city: &str| -> AppResult<String> {
        Ok(app
            .create_party(
                &op,
                NewParty {
                    name: name.into(),
                    role,
                    uscc: uscc(code),
                    city: city.into(),
                },
            )?
            .id)
    };
    let mut ids = DemoIds {
        mill_a: party(
            "临沂鑫源板材有限公司 Linyi Xinyuan Board Co.",
            Role::Supplier,
            "91371300MA3C1A0X1",
            "临沂 Linyi",
        )?,
        mill_b: party(
            "临沂华森木业有限公司 Linyi Huasen Wood Co.",
            Role::Supplier,
            "91371300MA3C2B0Y2",
            "临沂 Linyi",
        )?,
        suqian_maker: party(
            "宿迁木森家具有限公司 Suqian Musen Furniture Co.",
            Role::Manufacturer,
            "91321300MA1M3C0P3",
            "宿迁 Suqian",
        )?,
        shaji_maker: party(
            "睢宁沙集优品家具厂 Shaji Youpin Furniture",
            Role::Manufacturer,
            "92320324MA1N4D0Q4",
            "徐州睢宁沙集 Shaji, Suining, Xuzhou",
        )?,
        jd: party(
            "京东 JD.com",
            Role::Platform,
            "91110302MA0C5E0R5",
            "北京 Beijing",
        )?,
        taobao: party(
            "淘宝/天猫 Taobao/Tmall",
            Role::Platform,
            "91330100MA2C6F0T6",
            "杭州 Hangzhou",
        )?,
        pinduoduo: party(
            "拼多多 Pinduoduo",
            Role::Platform,
            "91310000MA1G7G0U7",
            "上海 Shanghai",
        )?,
        ..DemoIds::default()
    };
    ids.xuzhou = party(
        "徐州市市场监督管理局 Xuzhou Market Regulation Bureau",
        Role::Regulator,
        "11320300MB1H8H0W8",
        "徐州 Xuzhou",
    )?;
    ids.suqian = party(
        "宿迁市市场监督管理局 Suqian Market Regulation Bureau",
        Role::Regulator,
        "11321300MB1J9J0X9",
        "宿迁 Suqian",
    )?;
    ids.linyi = party(
        "临沂市市场监督管理局 Linyi Market Regulation Bureau",
        Role::Regulator,
        "11371300MB1K0K0Y0",
        "临沂 Linyi",
    )?;
    ids.hangzhou = party(
        "杭州市市场监督管理局 Hangzhou Market Regulation Bureau",
        Role::Regulator,
        "11330100MB1L1L0A1",
        "杭州 Hangzhou",
    )?;
    ids.lab = party(
        "沙集家具质量检验检测中心 Shaji Furniture Test Lab",
        Role::Lab,
        "12320324MB1M2M0B2",
        "徐州睢宁沙集 Shaji",
    )?;

    let lot = |producer: &str,
               code: &str,
               material: Material,
               class: FormaldehydeClass,
               qty: QuantityIn,
               at: &str,
               inputs: Vec<InputIn>|
     -> AppResult<String> {
        Ok(app
            .create_lot(
                &op,
                NewLot {
                    producer: producer.into(),
                    lot_code: code.into(),
                    material,
                    formaldehyde_class: class,
                    quantity: qty,
                    produced_at: t(at),
                    gtin: None,
                    inputs,
                },
            )?
            .id)
    };
    ids.lot_plywood = lot(
        &ids.mill_a,
        "XY-PLY-2603-01",
        Material::Plywood,
        FormaldehydeClass::E0,
        q(1000.0, QtyUnit::Sheet),
        "2026-03-02T08:00:00+08:00",
        vec![],
    )?;
    ids.lot_particleboard = lot(
        &ids.mill_a,
        "XY-PB-2603-02",
        Material::Particleboard,
        FormaldehydeClass::E1,
        q(800.0, QtyUnit::Sheet),
        "2026-03-05T08:00:00+08:00",
        vec![],
    )?;
    ids.lot_mdf = lot(
        &ids.mill_b,
        "HS-MDF-2603-07",
        Material::Mdf,
        FormaldehydeClass::E0,
        q(600.0, QtyUnit::Sheet),
        "2026-03-06T08:00:00+08:00",
        vec![],
    )?;

    let ship = |lot: &str, from: &str, to: &str, value: f64, at: &str| -> AppResult<String> {
        Ok(app
            .create_shipment(
                &op,
                NewShipment {
                    lot: lot.into(),
                    from: from.into(),
                    to: to.into(),
                    quantity: q(value, QtyUnit::Sheet),
                    shipped_at: t(at),
                },
            )?
            .id)
    };
    ship(
        &ids.lot_plywood,
        &ids.mill_a,
        &ids.suqian_maker,
        400.0,
        "2026-03-10T09:00:00+08:00",
    )?;
    ship(
        &ids.lot_plywood,
        &ids.mill_a,
        &ids.shaji_maker,
        300.0,
        "2026-03-11T09:00:00+08:00",
    )?;
    ship(
        &ids.lot_particleboard,
        &ids.mill_a,
        &ids.shaji_maker,
        500.0,
        "2026-03-12T09:00:00+08:00",
    )?;
    ship(
        &ids.lot_mdf,
        &ids.mill_b,
        &ids.suqian_maker,
        300.0,
        "2026-03-12T10:00:00+08:00",
    )?;

    // Shaji cuts 200 particleboard sheets into 800 shelf panels.
    ids.panels = lot(
        &ids.shaji_maker,
        "SJ-PANEL-2603-01",
        Material::Particleboard,
        FormaldehydeClass::E1,
        q(800.0, QtyUnit::Piece),
        "2026-03-15T08:00:00+08:00",
        vec![input(&ids.lot_particleboard, 200.0, QtyUnit::Sheet)],
    )?;

    let batch = |maker: &str,
                 code: &str,
                 name: &str,
                 model: &str,
                 qty: u32,
                 inputs: Vec<InputIn>,
                 at: &str,
                 gtin: Option<String>|
     -> AppResult<crate::app::views::BatchView> {
        app.create_batch(
            &op,
            NewBatch {
                manufacturer: maker.into(),
                batch_code: code.into(),
                product: ProductIn {
                    name: name.into(),
                    model: model.into(),
                    gtin,
                },
                quantity: qty,
                inputs,
                produced_at: t(at),
                serials: true,
            },
        )
    };
    let wardrobe = batch(
        &ids.suqian_maker,
        "MS-W2603-01",
        "两门衣柜 Two-door wardrobe",
        "MS-YG-120",
        20,
        vec![
            input(&ids.lot_plywood, 100.0, QtyUnit::Sheet),
            input(&ids.lot_mdf, 50.0, QtyUnit::Sheet),
        ],
        "2026-03-20T08:00:00+08:00",
        Some(gtin13("690123456789")),
    )?;
    ids.wardrobe_batch = wardrobe.id.clone();
    ids.wardrobe_unit = wardrobe
        .units
        .first()
        .map(|u| u.id.clone())
        .unwrap_or_default();
    ids.wardrobe_scan = wardrobe
        .units
        .first()
        .and_then(|u| u.qr.as_ref())
        .map(|q| q.url.clone())
        .unwrap_or_default();
    ids.bookshelf_batch = batch(
        &ids.shaji_maker,
        "YP-B2603-01",
        "五层书架 Five-tier bookshelf",
        "YP-SJ-80",
        30,
        vec![
            input(&ids.panels, 300.0, QtyUnit::Piece),
            input(&ids.lot_plywood, 50.0, QtyUnit::Sheet),
        ],
        "2026-03-22T08:00:00+08:00",
        None,
    )?
    .id;
    ids.desk_batch = batch(
        &ids.suqian_maker,
        "MS-D2603-02",
        "电脑桌 Computer desk",
        "MS-ZZ-100",
        15,
        vec![input(&ids.lot_mdf, 60.0, QtyUnit::Sheet)],
        "2026-03-23T08:00:00+08:00",
        None,
    )?
    .id;

    // The makers let the platforms they sell on link their batches (the seller's consent;
    // without it a platform cannot link a maker's batch).
    for (seller, platform) in [
        (&ids.suqian_maker, &ids.jd),
        (&ids.suqian_maker, &ids.pinduoduo),
        (&ids.shaji_maker, &ids.taobao),
        (&ids.shaji_maker, &ids.pinduoduo),
    ] {
        app.create_grant(
            &op,
            crate::app::dto::NewGrant {
                platform: platform.clone(),
                seller: Some(seller.clone()),
            },
        )?;
    }
    let listing = |platform: &str,
                   seller: &str,
                   shop: &str,
                   item: &str,
                   url: &str,
                   title: &str,
                   batch: &str|
     -> AppResult<String> {
        Ok(app
            .create_listing(
                &op,
                NewListing {
                    platform: platform.into(),
                    seller: seller.into(),
                    shop: shop.into(),
                    item_id: item.into(),
                    url: url.into(),
                    title: title.into(),
                    batches: vec![batch.into()],
                    claims: None,
                },
            )?
            .id)
    };
    ids.jd_listing = listing(
        &ids.jd,
        &ids.suqian_maker,
        "木森家具京东自营旗舰店",
        "100012345678",
        "https://item.jd.com/100012345678.html",
        "木森 两门衣柜 实木多层板 MS-YG-120",
        &ids.wardrobe_batch,
    )?;
    ids.taobao_listing = listing(
        &ids.taobao,
        &ids.shaji_maker,
        "沙集优品家具店",
        "688812345678",
        "https://item.taobao.com/item.htm?id=688812345678",
        "优品 五层书架 简约落地 YP-SJ-80",
        &ids.bookshelf_batch,
    )?;
    ids.pdd_listing = listing(
        &ids.pinduoduo,
        &ids.shaji_maker,
        "优品家具拼多多店",
        "3456789012",
        "https://mobile.yangkeduo.com/goods.html?goods_id=3456789012",
        "五层书架 落地置物架 YP-SJ-80",
        &ids.bookshelf_batch,
    )?;
    ids.pdd_desk_listing = listing(
        &ids.pinduoduo,
        &ids.suqian_maker,
        "木森家具拼多多店",
        "3456789099",
        "https://mobile.yangkeduo.com/goods.html?goods_id=3456789099",
        "电脑桌 MS-ZZ-100",
        &ids.desk_batch,
    )?;
    enforcement(app, &mut ids)?;
    resale(app, &mut ids)?;
    qualification(app, &mut ids)?;
    Ok(Some(ids))
}

/// A GTIN-13 from its 12 data digits.
fn gtin13(data: &str) -> String {
    let check = crate::core::domain::gs1_check_digit(data).unwrap_or(0);
    format!("{data}{check}")
}

/// A caller acting as one demo party (the operator loads the demo, so events name the
/// operator's key and that party), for the commands only a party's own key may give.
fn as_party(app: &App, party: &str, role: Role) -> Caller {
    Caller {
        party: app
            .ids()
            .parse_kind(party, crate::core::domain::NodeKind::Party),
        role: Some(role),
        key_id: "operator".into(),
        operator: false,
        read_only: false,
        idempotency: None,
    }
}
