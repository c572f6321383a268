//! The benchmark's queries give the same answers on boardtrail and on PostgreSQL: a small
//! generated graph is imported into boardtrail and COPYed into a throwaway PostgreSQL
//! cluster (the same harness as `examples/bench.rs`); for a sample of units the upstream
//! node sets are equal, and for every supplier the recalled listing sets are equal.
//!
//! PostgreSQL must be installed (scripts/test.sh installs it); if it cannot be started the
//! test fails, it does not skip.

#[path = "../examples/support/pg.rs"]
mod pg;
#[path = "../examples/support/synth.rs"]
mod synth;

use boardtrail::app::dto::DownstreamQuery;
use boardtrail::app::views::PageItem;
use boardtrail::app::{App, Caller};
use boardtrail::domain::NodeKind;
use boardtrail::store::{SledConfig, SledStore, Store};
use std::collections::BTreeSet;
use std::sync::Arc;
use synth::{Generator, Summary};

const SCALE: f64 = 0.005;
const SEED: u64 = 20260301;

#[test]
fn upstream_and_recall_equal_postgresql() {
    // boardtrail's store first: the stream names records by the ids it will give them.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SledStore::open(&SledConfig::new(dir.path().join("db"))).expect("open"));
    let app = App::new(store.clone());
    let caller = Caller::operator();
    let ids = app.ids().clone();
    let format_id = |k: NodeKind, n: u32| ids.format(k, n);
    let parse_id = |s: &str| ids.parse(s);
    // The same stream for both: NDJSON commands and node/edge rows.
    let mut gen = Generator::new(SCALE, SEED, app.ids().clone());
    let (mut ndjson, mut nodes, mut edges) = (String::new(), String::new(), String::new());
    for item in gen.by_ref() {
        ndjson.push_str(&item.line);
        ndjson.push('\n');
        for n in &item.nodes {
            pg::node_row(n, &mut nodes);
        }
        for e in &item.edges {
            pg::edge_row(e, &mut edges);
        }
    }
    let summary = gen.into_summary();

    // boardtrail, through the bulk import.
    let report = app
        .import(&caller, ndjson.as_bytes(), |_, _| {})
        .expect("the generated stream imports");
    assert_eq!(report.events, summary.commands);

    // PostgreSQL: fail, do not skip, when it cannot be started.
    let cluster = pg::Cluster::start(&pg::Settings::small(), false)
        .unwrap_or_else(|e| panic!("PostgreSQL could not be started: {e}"));
    let mut c = cluster.connect().expect("connect");
    pg::create_tables(&mut c).expect("tables");
    let n = pg::copy_from(&mut c, "node", nodes.as_bytes()).expect("COPY node");
    let m = pg::copy_from(&mut c, "edge", edges.as_bytes()).expect("COPY edge");
    assert_eq!((n, m), (summary.pg_nodes, summary.pg_edges));
    pg::build_indexes(&mut c).expect("indexes");
    let up = c.prepare(pg::UPSTREAM_SQL).expect("prepare upstream");
    let rec = c.prepare(pg::RECALL_SQL).expect("prepare recall");

    // Upstream from a sample of units: raw walk, full view and PostgreSQL agree.
    let mut biggest = 0;
    for u in Summary::sample(&summary.units, 150, SEED) {
        let ext = format_id(NodeKind::Unit, u);
        let pg_set: BTreeSet<u32> = pg::upstream_ids(&mut c, &up, &ext)
            .expect("pg upstream")
            .into_iter()
            .collect();
        let raw: BTreeSet<u32> = store
            .upstream(u)
            .expect("upstream")
            .nodes
            .into_iter()
            .collect();
        assert_eq!(raw, pg_set, "upstream of {ext}");
        let view_set: BTreeSet<u32> = app
            .upstream_with(&caller, &ext, |view| {
                view.nodes
                    .iter()
                    .map(|n| parse_id(&n.id).expect("public id").1)
                    .collect()
            })
            .expect("upstream view");
        assert_eq!(view_set, pg_set, "upstream view of {ext}");
        biggest = biggest.max(pg_set.len());
    }
    assert!(
        biggest >= 6,
        "upstream traces are trivially small ({biggest})"
    );

    // Recall from every supplier: raw walk, paged API view and PostgreSQL agree.
    let mut reached = 0;
    for &s in &summary.suppliers {
        let ext = format_id(NodeKind::Party, s);
        let pg_set: BTreeSet<String> = pg::recall_ext_ids(&mut c, &rec, &ext)
            .expect("pg recall")
            .into_iter()
            .collect();
        let raw: BTreeSet<String> = store
            .downstream(s)
            .expect("downstream")
            .listings
            .iter()
            .map(|&l| format_id(NodeKind::Listing, l))
            .collect();
        assert_eq!(raw, pg_set, "recall from {ext}");
        // The API view, paged through with its cursor.
        let mut paged = BTreeSet::new();
        let mut q = DownstreamQuery {
            limit: Some(1000),
            ..DownstreamQuery::default()
        };
        loop {
            let v = app.downstream(&caller, &ext, &q).expect("downstream view");
            assert_eq!(v.listings.total as usize, pg_set.len(), "total of {ext}");
            for item in &v.page.items {
                if let PageItem::Listing(l) = item {
                    paged.insert(l.id.clone());
                }
            }
            match v.page.next_cursor {
                Some(cur) => q.cursor = Some(cur),
                None => break,
            }
        }
        assert_eq!(paged, pg_set, "paged recall view from {ext}");
        reached += usize::from(!pg_set.is_empty());
    }
    assert!(
        reached * 2 >= summary.suppliers.len(),
        "most suppliers reach listings"
    );
    drop(c);
    drop(cluster);
}
