//! The demo's seller qualification, platform checks, claims, a collective mark and a joint
//! sampling plan.

use super::*;

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
pub(super) fn qualification(app: &App, ids: &mut DemoIds) -> AppResult<()> {
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
