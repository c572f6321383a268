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

/// The supervision story on top of the supply chain: Shaji lab results (one pass, two
/// failures), the Linyi mill declared non-compliant, a bulk suspension of its listings,
/// JD's acknowledgement, and a clue moved from Xuzhou to Linyi.
fn enforcement(app: &App, ids: &mut DemoIds) -> AppResult<()> {
    use crate::app::compliance::*;
    use crate::core::domain::{ActionKind, ComplianceStatus};
    let op = Caller::operator();
    let inspect = |subject: &str, report: &str, sampler: &str, at: &str, results: Vec<ResultIn>| {
        app.create_inspection(
            &op,
            NewInspection {
                subject: subject.into(),
                lab: ids.lab.clone(),
                sampled_by: sampler.into(),
                report_no: report.into(),
                sampled_at: t(at),
                results,
                order: None,
                plan: None,
            },
        )
    };
    let hcho = |value: f64, unit: &str, method: &str| ResultIn {
        item: "formaldehyde_emission".into(),
        value,
        unit: unit.into(),
        method: Some(method.into()),
        verdict: None,
    };
    inspect(
        &ids.lot_mdf,
        "SJ-2026-0311",
        &ids.xuzhou,
        "2026-04-01T10:00:00+08:00",
        vec![hcho(0.035, "mg/m3", "GB/T 17657-2013 4.60")],
    )?;
    inspect(
        &ids.lot_plywood,
        "SJ-2026-0312",
        &ids.xuzhou,
        "2026-04-02T10:00:00+08:00",
        vec![hcho(0.08, "mg/m3", "GB/T 17657-2013 4.60")],
    )?;
    ids.failed_inspection = inspect(
        &ids.jd_listing,
        "SJ-2026-0318",
        &ids.jd,
        "2026-04-08T15:00:00+08:00",
        vec![
            hcho(2.2, "mg/L", "GB/T 17657-2013 desiccator"),
            ResultIn {
                item: "loading_stability".into(),
                value: 0.0,
                unit: String::new(),
                method: None,
                verdict: Some(crate::core::domain::Verdict::Pass),
            },
        ],
    )?
    .id;
    let case = app.create_case(
        &op,
        NewCase {
            title: "电商家具甲醛超标线索 Formaldehyde clue: Linyi Xinyuan boards".into(),
            opened_by: ids.xuzhou.clone(),
            subjects: vec![ids.mill_a.clone(), ids.jd_listing.clone()],
            kind: Some(crate::core::domain::CaseKind::Clue),
            bureaus: vec![],
            note: "沙集抽检：衣柜甲醛 2.2 mg/L 超 GB 18584 限值 1.5".into(),
        },
    )?;
    ids.case = case.id.clone();
    app.transfer_case(
        &op,
        &case.id,
        Transfer {
            to: ids.linyi.clone(),
            note: "通报临沂市局处置板材供应商 Notify Linyi".into(),
        },
    )?;
    app.declare_compliance(
        &op,
        &ids.mill_a,
        NewDeclaration {
            status: ComplianceStatus::Noncompliant,
            reason: "E0 胶合板甲醛释放量超标 Plywood over its declared E0 limit".into(),
            case: Some(case.id.clone()),
        },
    )?;
    let bulk = app.bulk_action(
        &op,
        BulkAction {
            supplier: ids.mill_a.clone(),
            kind: ActionKind::Suspend,
            reason: "甲醛超标 暂停交易 Formaldehyde over the limit".into(),
            case: Some(case.id),
            due_at: None,
        },
    )?;
    // JD carries out its action; Taobao's and Pinduoduo's stay pending.
    for a in &bulk.actions {
        let v = app.get_action(&op, a)?;
        if v.listing == ids.jd_listing {
            app.ack_action(
                &op,
                a,
                Ack {
                    result: AckResult::Done,
                    note: "已暂停交易 Transactions suspended".into(),
                },
            )?;
        }
    }
    Ok(())
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

/// Beyond the makers: Shaji ships 12 bookshelves to a Hangzhou reseller, which sells them
/// on Taobao (the reseller links the batch it received; Taobao reports 8 sold, 5 to Jiangsu
/// and 3 to Zhejiang, and 4 of Shaji's own Taobao listing to Jiangsu). The reseller's
/// listing came after the bulk suspension, so it is an affected listing without a measure.
/// The Xuzhou bureau asks Taobao who made what the reseller sells (answered with what
/// boardtrail pre-filled) and JD for the wardrobe listing's sales (open); a bookshelf its
/// staff bought on Pinduoduo fails at the Shaji lab and Pinduoduo confirms the order.
fn resale(app: &App, ids: &mut DemoIds) -> AppResult<()> {
    use crate::app::compliance::orders::{ConfirmationIn, OrderIn};
    use crate::app::compliance::{NewInspection, ResultIn};
    use crate::app::requests::{NewRequest, RequestAnswer};
    use crate::app::resale::{NewGoodsShipment, NewSale};
    use crate::core::domain::{ConfirmationResult, RequestKind};
    let op = Caller::operator();
    ids.reseller = app
        .create_party(
            &op,
            NewParty {
                name: "杭州优家家居专营店 Hangzhou Youjia Home Store".into(),
                role: Role::Distributor,
                uscc: uscc("92330100MA2D4E0F4"),
                city: "杭州 Hangzhou".into(),
            },
        )?
        .id;
    ids.reseller_goods = app
        .create_goods_shipment(
            &op,
            NewGoodsShipment {
                batch: ids.bookshelf_batch.clone(),
                from: ids.shaji_maker.clone(),
                to: ids.reseller.clone(),
                pieces: 12,
                shipped_at: t("2026-03-25T09:00:00+08:00"),
            },
        )?
        .id;
    ids.reseller_listing = app
        .create_listing(
            &op,
            NewListing {
                platform: ids.taobao.clone(),
                seller: ids.reseller.clone(),
                shop: "优家家居专营店".into(),
                item_id: "699923456789".into(),
                url: "https://item.taobao.com/item.htm?id=699923456789".into(),
                title: "北欧 五层书架 落地置物架 YP-SJ-80".into(),
                batches: vec![],
                claims: None,
            },
        )?
        .id;
    // The holder of the goods says which batch its listing sells.
    app.link_batches(
        &as_party(app, &ids.reseller, Role::Distributor),
        &ids.reseller_listing,
        LinkBatches {
            batches: vec![ids.bookshelf_batch.clone()],
        },
    )?;
    let sale = |listing: &str, day: &str, pieces: u32, province: &str| {
        app.create_sale(
            &op,
            NewSale {
                listing: listing.into(),
                day: day.into(),
                pieces,
                province: Some(province.into()),
                serials: None,
            },
        )
    };
    sale(&ids.taobao_listing, "2026-03-26", 4, "江苏")?;
    ids.reseller_sales
        .push(sale(&ids.reseller_listing, "2026-03-28", 5, "江苏")?.id);
    // Zhejiang's come in Taobao's daily file.
    let file = format!(
        "listing,day,pieces,province\n{},2026-03-29,3,浙江\n",
        ids.reseller_listing
    );
    app.import_sales(&op, file.as_bytes(), false)?;
    if let Some(s) = app
        .sales_of_listing(&op, &ids.reseller_listing)?
        .into_iter()
        .find(|s| s.day == "2026-03-29")
    {
        ids.reseller_sales.push(s.id);
    }

    // Due dates are relative to now: a request is due after it is sent.
    let due = |days: i64| -> DateTime<FixedOffset> {
        (chrono::Utc::now() + chrono::Duration::days(days)).into()
    };
    let xuzhou = as_party(app, &ids.xuzhou, Role::Regulator);
    let asked = app.create_request(
        &xuzhou,
        NewRequest {
            to: ids.taobao.clone(),
            kind: RequestKind::ProducerTracing,
            subjects: vec![ids.reseller_listing.clone()],
            question: "请提供该链接所售书架的生产企业及进货来源 Who made the bookshelves of this listing, and where did the shop get them?".into(),
            due_at: due(7),
        },
    )?;
    ids.taobao_request = asked.id.clone();
    let taobao = as_party(app, &ids.taobao, Role::Platform);
    let prefill = app.get_request(&taobao, &ids.taobao_request)?.prefill;
    app.answer_request(
        &taobao,
        &ids.taobao_request,
        RequestAnswer {
            answer: "生产企业为睢宁沙集优品家具厂，店铺自其进货 Made by Shaji Youpin Furniture, bought from it by the shop".into(),
            data: prefill.map(|p| serde_json::to_value(p).unwrap_or_default()),
            attachments: vec![],
        },
    )?;
    ids.jd_request = app
        .create_request(
            &xuzhou,
            NewRequest {
                to: ids.jd.clone(),
                kind: RequestKind::TransactionRecords,
                subjects: vec![ids.jd_listing.clone()],
                question: "请提供该衣柜链接 2026 年 3 月以来的销量及买家所在省份 Sales of this wardrobe listing since March 2026, by the buyers' province".into(),
                due_at: due(14),
            },
        )?
        .id;

    // A bookshelf bought on Pinduoduo from Shaji's shop there, tested by the Shaji lab.
    ids.pdd_sample = app
        .create_inspection(
            &op,
            NewInspection {
                subject: ids.pdd_listing.clone(),
                lab: ids.lab.clone(),
                sampled_by: ids.xuzhou.clone(),
                report_no: "SJ-2026-0326".into(),
                sampled_at: t("2026-04-13T10:00:00+08:00"),
                results: vec![ResultIn {
                    item: "formaldehyde_emission".into(),
                    value: 1.9,
                    unit: "mg/L".into(),
                    method: Some("GB/T 17657-2013 desiccator".into()),
                    verdict: None,
                }],
                order: Some(OrderIn {
                    platform: ids.pinduoduo.clone(),
                    listing: ids.pdd_listing.clone(),
                    order_no: "PDD-260410-58812345".into(),
                    ordered_at: t("2026-04-10T21:30:00+08:00"),
                    price: 259.0,
                }),
                plan: None,
            },
        )?
        .id;
    app.confirm_order(
        &as_party(app, &ids.pinduoduo, Role::Platform),
        &ids.pdd_sample,
        ConfirmationIn {
            result: ConfirmationResult::Confirmed,
            note: "订单、链接与店铺一致 The order was for this listing and shop".into(),
        },
    )?;
    Ok(())
}

/// A day `offset` days from today, China time, as `YYYY-MM-DD`.
fn day(offset: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

/// `days` days before now (checks and samples may not be in the future).
fn ago(days: i64) -> DateTime<FixedOffset> {
    let t = chrono::Utc::now() - chrono::Duration::days(days);
    FixedOffset::east_opt(8 * 3600).map_or_else(|| t.fixed_offset(), |cst| t.with_timezone(&cst))
}

/// Seller qualification and platform checks. Licences: Suqian Musen's, seen by JD at its
/// entry check a year ago, expired ten days ago (flagged on Pinduoduo, where its desk is
/// active; its JD wardrobe is suspended); Shaji's, seen by Taobao at its re-check; the
/// reseller's, entered by itself and confirmed by the Hangzhou bureau. Taobao's entry check
/// of the reseller is overdue for its re-check; Pinduoduo has checked no one. Shaji claims
/// "无醛 ENF" for its Pinduoduo bookshelves, made of E1 particleboard (a misleading claim, the
/// lots its evidence). The Shaji township holds the "沙集镇" collective mark (class 20), Shaji
/// a member: Shaji's Taobao listing uses it rightly, the Hangzhou reseller's without being
/// one. Suqian Musen holds an ISO 9001 certificate. Xuzhou and Suqian share a sampling plan
/// (3 and 2 samples), and the Suqian bureau has sampled the Pinduoduo desk under it (passed).
/// Dates are relative to today: checks and samples may not be in the future, and what is
/// expired or overdue must stay so.
fn qualification(app: &App, ids: &mut DemoIds) -> AppResult<()> {
    use crate::app::compliance::{NewInspection, ResultIn};
    use crate::app::sellers::flags::ClaimsIn;
    use crate::app::sellers::plans::{NewPlan, PeriodIn, QuotaIn};
    use crate::app::sellers::{NewCertificate, NewCheck, NewLicence, NewReview, NewTrademark};
    use crate::core::domain::{CheckKind, CheckResult, ReviewResult};
    let op = Caller::operator();
    let (jd, taobao) = (
        as_party(app, &ids.jd, Role::Platform),
        as_party(app, &ids.taobao, Role::Platform),
    );
    let shaji = as_party(app, &ids.shaji_maker, Role::Manufacturer);
    let reseller = as_party(app, &ids.reseller, Role::Distributor);
    let licence = |code: &str, name: &str, scope: &str, from: String, to: String| NewLicence {
        uscc: uscc(code),
        name: name.into(),
        scope: scope.into(),
        valid_from: from,
        valid_to: to,
    };

    // JD's entry check of Suqian Musen a year ago, with the licence it saw then: it expired
    // ten days ago.
    let entry = app.record_check(
        &jd,
        &ids.suqian_maker,
        NewCheck {
            kind: CheckKind::Entry,
            result: CheckResult::Pass,
            checked_at: ago(380),
            next_due: day(165),
            note: "准入查验：营业执照、法定代表人身份已核验 Entry check: licence and legal representative verified".into(),
            licence: Some(licence(
                "91321300MA1M3C0P3",
                "宿迁木森家具有限公司",
                "家具制造；家具销售；木材加工",
                day(-3660),
                day(-10),
            )),
        },
    )?;
    ids.suqian_licence = entry.licence.map(|l| l.id).unwrap_or_default();
    // Taobao's entry checks: Shaji (re-checked since, with its licence) and the reseller,
    // whose re-check was due twenty days ago.
    app.record_check(
        &taobao,
        &ids.shaji_maker,
        NewCheck {
            kind: CheckKind::Entry,
            result: CheckResult::Pass,
            checked_at: ago(400),
            next_due: day(-35),
            note: "准入查验：营业执照已核验 Entry check: licence verified".into(),
            licence: None,
        },
    )?;
    let recheck = app.record_check(
        &taobao,
        &ids.shaji_maker,
        NewCheck {
            kind: CheckKind::Recheck,
            result: CheckResult::Pass,
            checked_at: ago(30),
            next_due: day(150),
            note: "证照强化复核：营业执照与经营场所一致 Re-check: the licence matches the premises"
                .into(),
            licence: Some(licence(
                "92320324MA1N4D0Q4",
                "睢宁县沙集镇优品家具厂",
                "家具制造；家具零售；互联网销售",
                "2019-05-10".into(),
                "2039-05-09".into(),
            )),
        },
    )?;
    ids.shaji_recheck = recheck.id;
    ids.shaji_licence = recheck.licence.map(|l| l.id).unwrap_or_default();
    ids.overdue_check = app
        .record_check(
            &taobao,
            &ids.reseller,
            NewCheck {
                kind: CheckKind::Entry,
                result: CheckResult::Pass,
                checked_at: ago(200),
                next_due: day(-20),
                note: "准入查验：营业执照、进货来源已核验 Entry check: licence and supply verified"
                    .into(),
                licence: None,
            },
        )?
        .id;
    // The reseller enters its licence; the Hangzhou bureau confirms it.
    ids.reseller_licence = app
        .add_licence(
            &reseller,
            &ids.reseller,
            licence(
                "92330100MA2D4E0F4",
                "杭州市上城区优家家居用品店",
                "家具零售；互联网销售",
                "2021-03-15".into(),
                "2041-03-14".into(),
            ),
        )?
        .id;
    app.review_qualification(
        &as_party(app, &ids.hangzhou, Role::Regulator),
        &ids.reseller_licence,
        NewReview {
            result: ReviewResult::Confirmed,
            note: "与国家企业信用信息公示系统一致 Matches the national enterprise credit register"
                .into(),
        },
    )?;
    ids.iso_certificate = app
        .add_certificate(
            &as_party(app, &ids.suqian_maker, Role::Manufacturer),
            &ids.suqian_maker,
            NewCertificate {
                kind: "ISO 9001:2015 质量管理体系 quality management".into(),
                number: "00124Q35678R0M".into(),
                body: "中国质量认证中心 China Quality Certification Centre (CQC)".into(),
                valid_to: day(650),
            },
        )?
        .id;

    // Shaji's "无醛 ENF" for its Pinduoduo bookshelves, of E1 particleboard panels.
    app.set_claims(
        &shaji,
        &ids.pdd_listing,
        ClaimsIn {
            formaldehyde_class: Some("无醛 ENF".into()),
            material: None,
            trademark: None,
        },
    )?;
    // The "沙集镇" collective mark: Shaji is a member, the Hangzhou reseller is not.
    ids.township = app
        .create_party(
            &op,
            NewParty {
                name: "睢宁县沙集镇人民政府 Shaji Township Government, Suining".into(),
                role: Role::Regulator,
                uscc: uscc("11320324MB1P5P0C5"),
                city: "徐州睢宁沙集 Shaji, Suining, Xuzhou".into(),
            },
        )?
        .id;
    ids.collective_mark = app
        .add_trademark(
            &as_party(app, &ids.township, Role::Regulator),
            &ids.township,
            NewTrademark {
                reg_no: "第23456789号".into(),
                mark: "沙集镇".into(),
                class: 20,
                valid_to: "2033-06-27".into(),
                authorised: vec![ids.shaji_maker.clone()],
            },
        )?
        .id;
    let mark = |listing: &str, caller: &Caller| {
        app.set_claims(
            caller,
            listing,
            ClaimsIn {
                formaldehyde_class: None,
                material: None,
                trademark: Some("沙集镇".into()),
            },
        )
    };
    mark(&ids.taobao_listing, &shaji)?;
    mark(&ids.reseller_listing, &reseller)?;

    // The joint plan: Xuzhou drafts it with Suqian, 3 and 2 samples of panel furniture.
    let xuzhou = as_party(app, &ids.xuzhou, Role::Regulator);
    ids.plan = app
        .create_plan(
            &xuzhou,
            NewPlan {
                title: "徐州—宿迁板式家具联合抽查 Xuzhou–Suqian joint sampling of panel furniture"
                    .into(),
                period: PeriodIn::Range {
                    from: day(-30),
                    to: day(60),
                },
                owners: vec![ids.xuzhou.clone(), ids.suqian.clone()],
                quota: QuotaIn::Per(
                    [(ids.xuzhou.clone(), 3), (ids.suqian.clone(), 2)]
                        .into_iter()
                        .collect(),
                ),
                categories: vec!["衣柜".into(), "书架".into(), "电脑桌".into()],
            },
        )?
        .id;
    ids.plan_sample = app
        .create_inspection(
            &op,
            NewInspection {
                subject: ids.pdd_desk_listing.clone(),
                lab: ids.lab.clone(),
                sampled_by: ids.suqian.clone(),
                report_no: "SJ-LH-0001".into(),
                sampled_at: ago(2),
                results: vec![ResultIn {
                    item: "formaldehyde_emission".into(),
                    value: 0.4,
                    unit: "mg/L".into(),
                    method: Some("GB/T 17657-2013 desiccator".into()),
                    verdict: None,
                }],
                order: None,
                plan: Some(ids.plan.clone()),
            },
        )?
        .id;
    Ok(())
}
