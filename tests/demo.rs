//! The demo world loads once and shows the whole workflow: a failed inspection, a
//! non-compliant supplier, pending and acknowledged actions, a transferred case.

use boardtrail::app::compliance::{ActionsQuery, CasesQuery, SuppliersQuery};
use boardtrail::app::dto::DownstreamQuery;
use boardtrail::app::{App, Caller};
use boardtrail::domain::{ActionStatus, ComplianceStatus};
use boardtrail::store::{SledConfig, SledStore, Store};
use std::sync::Arc;

#[test]
fn demo_world_shows_the_whole_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(&SledConfig::new(dir.path().join("db"))).unwrap());
    let app = App::new(store.clone()).with_qr(
        boardtrail::qr::QrKey::from_secret("demo"),
        "http://demo.invalid",
    );
    let op = Caller::operator();
    let ids = boardtrail::demo::load(&app)
        .unwrap()
        .expect("loads into an empty store");
    assert!(
        boardtrail::demo::load(&app).unwrap().is_none(),
        "loads only once"
    );

    let nc = app
        .suppliers_by_status(
            &op,
            &SuppliersQuery {
                status: Some(ComplianceStatus::Noncompliant),
            },
        )
        .unwrap();
    assert_eq!(nc.len(), 1);
    assert_eq!(nc[0].party, ids.mill_a);
    let failed = app.get_inspection(&op, &ids.failed_inspection).unwrap();
    assert_eq!(failed.verdict, "fail");
    let pending = app
        .list_actions(
            &op,
            &ActionsQuery {
                status: Some(ActionStatus::Pending),
                ..Default::default()
            },
        )
        .unwrap()
        .0;
    let done = app
        .list_actions(
            &op,
            &ActionsQuery {
                status: Some(ActionStatus::Done),
                ..Default::default()
            },
        )
        .unwrap()
        .0;
    assert_eq!((pending.len(), done.len()), (2, 1));
    assert_eq!(
        app.get_listing(&op, &ids.jd_listing).unwrap().status,
        "suspended"
    );
    let cases = app
        .list_cases(
            &op,
            &CasesQuery {
                holder: Some(ids.linyi.clone()),
                status: None,
            },
        )
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].timeline[1].step, "transferred");
    // The wardrobe carries a Digital Link that resolves to its unit.
    assert!(
        ids.wardrobe_scan
            .starts_with("http://demo.invalid/01/0690123456789"),
        "{}",
        ids.wardrobe_scan
    );
    let path = ids.wardrobe_scan.trim_start_matches("http://demo.invalid");
    let (unit, _) = app.resolve_digital_link(path).unwrap();
    let view = app.scan_view(None, unit).unwrap();
    assert!(view
        .lots
        .iter()
        .any(|l| l.supplier.name.contains("Linyi Xinyuan")));
    // Downstream of mill A reaches the three shelf/wardrobe listings, one suspended.
    let down = app
        .downstream(&op, &ids.mill_a, &DownstreamQuery::default())
        .unwrap();
    assert_eq!((down.listings.total, down.listings.active), (3, 2));

    // A QR token decrypts to its record; one naming the right id with another kind, or
    // a record that does not exist, is a 404 like a made-up one.
    let key = boardtrail::qr::QrKey::from_secret("demo");
    let tok = |kind, id| boardtrail::qr::token(&key, kind, id);
    use boardtrail::domain::NodeKind;
    let lot = app.ids().parse_kind(&ids.lot_mdf, NodeKind::Lot).unwrap();
    assert_eq!(app.resolve_token(&tok(NodeKind::Lot, lot)).unwrap(), lot);
    assert_eq!(
        app.resolve_token(&tok(NodeKind::Lot, lot).to_ascii_uppercase())
            .unwrap(),
        lot
    );
    assert_eq!(app.resolve_token(&tok(NodeKind::Unit, unit)).unwrap(), unit);
    for wrong in [
        tok(NodeKind::Unit, lot),
        tok(NodeKind::Lot, unit),
        tok(NodeKind::Unit, store.next_id() + 5),
        // A party has no code, even if its id is sealed correctly.
        tok(
            NodeKind::Party,
            app.ids().parse_kind(&ids.mill_a, NodeKind::Party).unwrap(),
        ),
    ] {
        let e = app.resolve_token(&wrong).unwrap_err();
        assert!(
            matches!(e, boardtrail::error::AppError::NotFound { .. }),
            "{e}"
        );
    }
    assert!(store.verify().unwrap().ok());
}

/// The world a store starts with is the same whether it is loaded from the snapshot (and
/// the log after it) or replayed from the whole log: same digest, same answers.
#[test]
fn snapshot_and_replay_give_the_same_world() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SledConfig::new(dir.path().join("db"));
    let open = |use_snapshot: bool| {
        let mut c = cfg.clone();
        c.use_snapshot = use_snapshot;
        let store = Arc::new(SledStore::open(&c).unwrap());
        let app = App::new(store.clone()).with_qr(
            boardtrail::qr::QrKey::from_secret("demo"),
            "http://demo.invalid",
        );
        (store, app)
    };
    let op = Caller::operator();
    let (store, app) = open(true);
    let ids = boardtrail::demo::load(&app).unwrap().unwrap();
    let down = |app: &App| {
        let d = app
            .downstream(&op, &ids.mill_a, &DownstreamQuery::default())
            .unwrap();
        serde_json::to_value(&d).unwrap()
    };
    // The demo in the snapshot, then a change after it (replayed from the log).
    store.flush().unwrap();
    assert!(dir.path().join("db.snapshot").exists());
    let code17 = "91371300MA3C9X7Y8";
    let check = boardtrail::domain::uscc_check_char(code17).unwrap();
    app.create_party(
        &op,
        boardtrail::app::dto::NewParty {
            name: "临沂后来板材".into(),
            role: boardtrail::domain::Role::Supplier,
            uscc: format!("{code17}{check}"),
            city: "临沂".into(),
        },
    )
    .unwrap();
    let digest = store.world().digest();
    let answer = down(&app);
    let listing = app.get_listing(&op, &ids.jd_listing).unwrap();
    drop((app, store));

    let (store, app) = open(true);
    assert_eq!(store.world().digest(), digest);
    // The QR index of a restarted app is built in the background; a token resolves once
    // it is done, to the same unit.
    let qr = |app: App| {
        app.with_qr(
            boardtrail::qr::QrKey::from_secret("demo"),
            "http://demo.invalid",
        )
    };
    let path = ids.wardrobe_scan.trim_start_matches("http://demo.invalid");
    let (unit, _) = app.resolve_digital_link(path).unwrap();
    let token = app.qr_ref(unit).unwrap().token;
    let again = qr(App::new(store.clone()));
    assert_eq!(again.resolve_token(&token).unwrap(), unit);
    assert_eq!(down(&app), answer);
    assert_eq!(
        app.get_listing(&op, &ids.jd_listing).unwrap().status,
        listing.status
    );
    let (store2, _) = {
        drop((app, again, store));
        open(false)
    };
    assert_eq!(store2.world().digest(), digest);
    assert!(store2.verify().unwrap().ok());
}
