//! The demo's resellers, sales, assistance requests and a confirmed online sample.

use super::*;

/// Beyond the makers: Shaji ships 12 bookshelves to a Hangzhou reseller, which sells them
/// on Taobao (the reseller links the batch it received; Taobao reports 8 sold, 5 to Jiangsu
/// and 3 to Zhejiang, and 4 of Shaji's own Taobao listing to Jiangsu). The reseller's
/// listing came after the bulk suspension, so it is an affected listing without a measure.
/// The Xuzhou bureau asks Taobao who made what the reseller sells (answered with what
/// boardtrail pre-filled) and JD for the wardrobe listing's sales (open); a bookshelf its
/// staff bought on Pinduoduo fails at the Shaji lab and Pinduoduo confirms the order.
pub(super) fn resale(app: &App, ids: &mut DemoIds) -> AppResult<()> {
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
