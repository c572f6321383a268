//! The demo's supervision story: lab results, a declaration, a bulk suspension, an
//! acknowledgement and a clue between bureaus.

use super::*;

/// The supervision story on top of the supply chain: Shaji lab results (one pass, two
/// failures), the Linyi mill declared non-compliant, a bulk suspension of its listings,
/// JD's acknowledgement, and a clue moved from Xuzhou to Linyi.
pub(super) fn enforcement(app: &App, ids: &mut DemoIds) -> AppResult<()> {
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
