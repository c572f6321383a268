//! A deterministic (seeded) generator of a realistic furniture supply graph, for the
//! benchmarks (`examples/bench.rs`, `examples/load.rs`) and the equivalence test.
//!
//! At scale `S = 1`: 200 Linyi board mills with Zipf(0.8) popularity, 300 furniture makers
//! in Suqian and Shaji (Zipf(0.7) size), the 3 platforms, the 4 bureaus and a lab; 150k raw
//! lots shipped (whole or split) to makers; 50k intermediate lots (cut or veneered panels)
//! each made by a maker from 2–3 raw lots it received, 30 % of them shipped on to another
//! maker; ~1M serialised units in batches of 1–10, each batch consuming 2–4 lots its maker
//! holds; 300k listings on JD, Taobao and Pinduoduo, each linking 1–5 batches of one product
//! model of its seller; and now and then a later batch linked to an existing listing.
//! Fractional scales shrink every count (with small floors so that `S = 0.001` still makes
//! a connected graph).
//!
//! Not part of the service: each benchmark and test that needs it includes this file as a
//! module (`#[path = …] mod synth;`), so not every user uses every item.
//!
//! The generator emits, in order, one [`Item`] per command: the NDJSON line that
//! `boardtrail import` (and [`boardtrail::app::App::import`]) reads, and the same change as rows
//! of the node/edge schema used for PostgreSQL (edges point downstream: producer → lot,
//! lot → lot, lot → batch, batch → unit, batch → listing; shipments are not graph nodes).
//! Ids are predicted exactly as an empty store assigns them (dense, from 0; a batch takes
//! one id plus one per unit), so the PostgreSQL ids equal boardtrail's. Every command obeys
//! the validation rules (check characters, unique codes, mass balance in exact thousandths,
//! roles, times in order), so an import of the whole stream succeeds.

#![allow(dead_code)]
use boardtrail::domain::{uscc_check_char, NodeKind};
use boardtrail::ids::IdCodec;
use serde::Serialize;
use std::collections::VecDeque;

// ---------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------

/// xoshiro256** seeded through SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below((hi - lo + 1) as usize) as u64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// `k` distinct values of `0..n` (`k <= n`), in drawing order.
    pub fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(k);
        if k * 2 >= n {
            let mut all: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = i + self.below(n - i);
                all.swap(i, j);
                out.push(all[i]);
            }
            return out;
        }
        while out.len() < k {
            let v = self.below(n);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }
}

/// Zipf(s) over ranks `0..n` (rank 0 the most popular), by inverse CDF.
#[derive(Debug, Clone)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for k in 1..=n {
            sum += 1.0 / (k as f64).powf(s);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Zipf { cdf }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------

/// Node kinds of the PostgreSQL schema (the same numbers as [`boardtrail::domain::NodeKind`]).
pub const KIND_PARTY: i16 = 0;
pub const KIND_LOT: i16 = 1;
pub const KIND_BATCH: i16 = 3;
pub const KIND_UNIT: i16 = 4;
pub const KIND_LISTING: i16 = 5;

/// Edge kinds of the PostgreSQL schema.
pub const EDGE_PRODUCED: i16 = 0;
pub const EDGE_INPUT: i16 = 1;
pub const EDGE_UNIT: i16 = 2;
pub const EDGE_LISTED: i16 = 3;

/// A row of `node (id, kind, ext_id, data)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgNode {
    pub id: u32,
    pub kind: i16,
    pub ext_id: String,
    /// A small JSON object with the node's key fields.
    pub data: String,
}

/// A row of `edge (src, dst, kind)`; `src` is upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgEdge {
    pub src: u32,
    pub dst: u32,
    pub kind: i16,
}

/// One command: the NDJSON line for `boardtrail import` and the same change as rows.
#[derive(Debug, Clone, Default)]
pub struct Item {
    pub line: String,
    pub nodes: Vec<PgNode>,
    pub edges: Vec<PgEdge>,
}

/// The sizes a scale stands for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Plan {
    pub suppliers: usize,
    pub manufacturers: usize,
    pub raw_lots: usize,
    pub intermediate_lots: usize,
    pub units: usize,
    pub listings: usize,
    pub rounds: usize,
}

impl Plan {
    pub fn for_scale(scale: f64) -> Plan {
        assert!(
            scale.is_finite() && scale > 0.0,
            "scale must be a positive number"
        );
        let n = |base: f64, floor: usize| ((base * scale).round() as usize).max(floor);
        let raw_lots = n(150_000.0, 60);
        Plan {
            suppliers: n(200.0, 8),
            manufacturers: n(300.0, 8),
            raw_lots,
            intermediate_lots: n(50_000.0, 10),
            units: n(1_000_000.0, 200),
            listings: n(300_000.0, 40),
            rounds: (raw_lots / 150).clamp(4, 1000),
        }
    }
}

/// What the generator made, for choosing queries and follow-up writes. Complete once the
/// iterator is exhausted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub platforms: Vec<u32>,
    pub suppliers: Vec<u32>,
    pub manufacturers: Vec<u32>,
    /// Every unit id, in id order.
    #[serde(skip)]
    pub units: Vec<u32>,
    /// Batch ids of each manufacturer (same order as `manufacturers`).
    #[serde(skip)]
    pub batches_by_maker: Vec<Vec<u32>>,
    pub commands: u64,
    pub raw_lots: u64,
    pub intermediate_lots: u64,
    pub shipments: u64,
    pub batches: u64,
    pub unit_count: u64,
    pub listings: u64,
    pub links: u64,
    /// Rows of the PostgreSQL schema.
    pub pg_nodes: u64,
    pub pg_edges: u64,
    /// The id the next created entity gets (= boardtrail's node count after the import).
    pub next_id: u32,
}

impl Summary {
    /// `k` ids drawn (with replacement) from `from`, reproducibly for `seed`.
    pub fn sample(from: &[u32], k: usize, seed: u64) -> Vec<u32> {
        let mut rng = Rng::new(seed);
        (0..k).map(|_| from[rng.below(from.len())]).collect()
    }

    /// The `n`-th extra listing for a write benchmark: a listing of 4 batches of one seller
    /// (1 node and 4 edges), with an item id in a namespace the generator never uses.
    /// Returns the NDJSON line and the linked batch ids.
    pub fn extra_listing(&self, ids: &IdCodec, n: u64, tag: &str) -> (String, Vec<u32>) {
        let mut rng = Rng::new(n.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xB0A7_D7A1);
        let makers: Vec<usize> = (0..self.manufacturers.len())
            .filter(|&m| self.batches_by_maker[m].len() >= 4)
            .collect();
        assert!(!makers.is_empty(), "no maker has 4 batches");
        let m = makers[rng.below(makers.len())];
        let bs = &self.batches_by_maker[m];
        let picks = rng.distinct(bs.len(), 4);
        let batches: Vec<u32> = picks.iter().map(|&i| bs[i]).collect();
        let p = rng.below(self.platforms.len());
        let item = format!("{tag}-{n}");
        let body = ListingBody {
            platform: ids.format(NodeKind::Party, self.platforms[p]),
            seller: ids.format(NodeKind::Party, self.manufacturers[m]),
            shop: format!("bench shop {m}"),
            url: format!("https://example.com/item/{item}"),
            item_id: item,
            title: "压测商品 bench listing".into(),
            batches: batches
                .iter()
                .map(|&b| ids.format(NodeKind::Batch, b))
                .collect(),
        };
        let line = serde_json::to_string(&Cmd::Listing(body)).unwrap_or_default();
        (line, batches)
    }
}

// Command bodies as the import reads them (the API request bodies).

#[derive(Serialize)]
#[serde(tag = "op", content = "body", rename_all = "snake_case")]
enum Cmd {
    Party(PartyBody),
    Lot(LotBody),
    Shipment(ShipmentBody),
    Batch(BatchBody),
    Listing(ListingBody),
    LinkBatches {
        listing: String,
        batches: Vec<String>,
    },
}

#[derive(Serialize)]
struct PartyBody {
    name: String,
    role: &'static str,
    uscc: String,
    city: &'static str,
}

#[derive(Serialize, Clone, Copy)]
struct Qty {
    value: f64,
    unit: &'static str,
}

#[derive(Serialize)]
struct InputBody {
    lot: String,
    quantity: Qty,
}

#[derive(Serialize)]
struct LotBody {
    producer: String,
    lot_code: String,
    material: &'static str,
    formaldehyde_class: &'static str,
    quantity: Qty,
    produced_at: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<InputBody>,
}

#[derive(Serialize)]
struct ShipmentBody {
    lot: String,
    from: String,
    to: String,
    quantity: Qty,
    shipped_at: String,
}

#[derive(Serialize)]
struct ProductBody {
    name: &'static str,
    model: String,
}

#[derive(Serialize)]
struct BatchBody {
    manufacturer: String,
    batch_code: String,
    product: ProductBody,
    quantity: u32,
    inputs: Vec<InputBody>,
    produced_at: String,
    serials: bool,
}

#[derive(Serialize)]
struct ListingBody {
    platform: String,
    seller: String,
    shop: String,
    item_id: String,
    url: String,
    title: String,
    batches: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Sheet,
    M3,
    Kg,
    Piece,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Sheet => "sheet",
            Unit::M3 => "m3",
            Unit::Kg => "kg",
            Unit::Piece => "piece",
        }
    }
}

/// A lot a maker holds and how much of it is left (thousandths).
#[derive(Debug, Clone, Copy)]
struct Hold {
    lot: u32,
    avail: u64,
    unit: Unit,
}

struct Maker {
    id: u32,
    code: String,
    name: String,
    raw: Vec<Hold>,
    inter: Vec<Hold>,
    lots_made: u32,
    batches_made: u32,
    /// Product models: index into [`PRODUCTS`] and the model code.
    models: Vec<(usize, String)>,
    /// Batches made per model.
    batches_by_model: Vec<Vec<u32>>,
    /// Models that have at least one batch.
    models_with_batches: Vec<usize>,
    /// Listings per model.
    listings_by_model: Vec<Vec<u32>>,
}

struct Supplier {
    id: u32,
    code: String,
    lots_made: u32,
}

const PRODUCTS: [(&str, &str); 12] = [
    ("两门衣柜", "YG2"),
    ("三门衣柜", "YG3"),
    ("书柜", "SG"),
    ("电视柜", "DSG"),
    ("餐桌", "CZ"),
    ("床头柜", "CTG"),
    ("鞋柜", "XG"),
    ("办公桌", "BGZ"),
    ("儿童床", "ETC"),
    ("榻榻米床", "TTM"),
    ("电脑桌", "DNZ"),
    ("餐边柜", "CBG"),
];

const PLATFORMS: [(&str, &str, &str, &str, u64); 3] = [
    (
        "北京京东世纪贸易有限公司",
        "京东",
        "110000",
        "北京",
        100_000_000_000,
    ),
    (
        "浙江天猫网络有限公司",
        "淘宝",
        "330100",
        "杭州",
        600_000_000_000,
    ),
    (
        "上海寻梦信息技术有限公司",
        "拼多多",
        "310000",
        "上海",
        300_000_000_000,
    ),
];

const WORDS: [&str; 16] = [
    "鑫源", "森华", "恒达", "金林", "兴旺", "华美", "永固", "润丰", "宏图", "嘉木", "福临", "瑞祥",
    "盛世", "东方", "百川", "长青",
];

const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A valid USCC for party number `n` in the region `region` (6 digits).
pub fn uscc(region: &str, n: u64) -> String {
    let mut body = String::with_capacity(18);
    body.push_str("91");
    body.push_str(region);
    body.push_str("MA");
    let mut x = n.wrapping_mul(7_919) + 104_729;
    let mut tail = [b'0'; 7];
    for c in tail.iter_mut().rev() {
        *c = USCC_ALPHABET[(x % 31) as usize];
        x /= 31;
    }
    body.push_str(std::str::from_utf8(&tail).unwrap_or("0000000"));
    let check = uscc_check_char(&body).unwrap_or('0');
    body.push(check);
    body
}

fn qty(milli: u64, unit: Unit) -> Qty {
    Qty {
        value: milli as f64 / 1000.0,
        unit: unit.as_str(),
    }
}

/// Where the generator is.
enum Phase {
    Parties,
    Round(usize),
    Done,
}

/// The generator: an iterator of [`Item`]s. See the module documentation.
pub struct Generator {
    /// The public ids of the store the stream is meant for.
    ids: IdCodec,
    plan: Plan,
    rng: Rng,
    phase: Phase,
    queue: VecDeque<Item>,
    next_id: u32,
    /// Commands emitted so far; the event clock.
    clock: u64,
    start_ms: i64,
    step_ms: i64,
    suppliers: Vec<Supplier>,
    supplier_zipf: Zipf,
    makers: Vec<Maker>,
    maker_zipf: Zipf,
    platforms: Vec<u32>,
    item_counters: [u64; 3],
    raw_done: usize,
    inter_done: usize,
    units_done: usize,
    listings_done: usize,
    summary: Summary,
}

/// 2023-01-01T00:00:00+08:00.
const START_MS: i64 = 1_672_502_400_000;
/// 2025-12-31T00:00:00+08:00: the timeline ends before this.
const END_MS: i64 = 1_767_110_400_000;

impl Generator {
    /// A generator for a store whose public ids `ids` makes (the stream names the records
    /// it creates by the ids that store will give them).
    pub fn new(scale: f64, seed: u64, ids: IdCodec) -> Generator {
        let plan = Plan::for_scale(scale);
        // About 2.9 commands per raw lot (lot, ~1.4 shipments, a third of an intermediate,
        // 1.2 batches, 2 listings): spread them over the timeline, at most 30 s apart.
        let expected = (plan.raw_lots as f64 * 1.4
            + plan.intermediate_lots as f64 * 1.3
            + plan.units as f64 / 5.5 * 1.1
            + plan.listings as f64
            + plan.raw_lots as f64) as i64
            + 1000;
        let step_ms = ((END_MS - START_MS) / expected).clamp(1, 30_000);
        Generator {
            ids,
            plan,
            rng: Rng::new(seed),
            phase: Phase::Parties,
            queue: VecDeque::new(),
            next_id: 0,
            clock: 0,
            start_ms: START_MS,
            step_ms,
            suppliers: Vec::new(),
            supplier_zipf: Zipf::new(plan.suppliers, 0.8),
            makers: Vec::new(),
            maker_zipf: Zipf::new(plan.manufacturers, 0.7),
            platforms: Vec::new(),
            item_counters: [0; 3],
            raw_done: 0,
            inter_done: 0,
            units_done: 0,
            listings_done: 0,
            summary: Summary::default(),
        }
    }

    pub fn plan(&self) -> Plan {
        self.plan
    }

    /// What was generated so far (everything, once the iterator returned `None`).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub fn into_summary(self) -> Summary {
        self.summary
    }

    fn time(&mut self) -> String {
        let ms = self.start_ms + self.clock as i64 * self.step_ms;
        let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00");
        chrono::DateTime::from_timestamp_millis(ms)
            .expect("time in range")
            .with_timezone(&tz)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }

    fn push(&mut self, cmd: Cmd, nodes: Vec<PgNode>, edges: Vec<PgEdge>) {
        self.clock += 1;
        self.summary.commands += 1;
        self.summary.pg_nodes += nodes.len() as u64;
        self.summary.pg_edges += edges.len() as u64;
        let line = serde_json::to_string(&cmd).expect("commands serialise");
        self.queue.push_back(Item { line, nodes, edges });
    }

    fn take_id(&mut self, n: u32) -> u32 {
        let id = self.next_id;
        self.next_id += n;
        self.summary.next_id = self.next_id;
        id
    }

    fn party(&mut self, name: String, role: &'static str, uscc: String, city: &'static str) -> u32 {
        let id = self.take_id(1);
        let data = format!(r#"{{"name":"{name}","role":"{role}","uscc":"{uscc}"}}"#);
        let node = PgNode {
            id,
            kind: KIND_PARTY,
            ext_id: self.ids.format(NodeKind::Party, id),
            data,
        };
        self.push(
            Cmd::Party(PartyBody {
                name,
                role,
                uscc,
                city,
            }),
            vec![node],
            vec![],
        );
        id
    }

    fn gen_parties(&mut self) {
        let mut n = 0u64;
        for (name, _, region, city, _) in PLATFORMS {
            n += 1;
            let id = self.party(name.to_string(), "platform", uscc(region, n), city);
            self.platforms.push(id);
        }
        self.summary.platforms = self.platforms.clone();
        for (name, region, city) in [
            ("徐州市市场监督管理局", "320300", "徐州"),
            ("宿迁市市场监督管理局", "321300", "宿迁"),
            ("临沂市市场监督管理局", "371300", "临沂"),
            ("杭州市市场监督管理局", "330100", "杭州"),
        ] {
            n += 1;
            self.party(name.to_string(), "regulator", uscc(region, n), city);
        }
        n += 1;
        self.party(
            "睢宁县沙集镇家具质量检测中心".to_string(),
            "lab",
            uscc("320324", n),
            "睢宁",
        );
        for i in 0..self.plan.suppliers {
            n += 1;
            let w = WORDS[i % WORDS.len()];
            let name = format!("临沂{w}板材有限公司{:03}", i + 1);
            let id = self.party(name, "supplier", uscc("371300", n), "临沂");
            self.suppliers.push(Supplier {
                id,
                code: format!("LY{:03}", i + 1),
                lots_made: 0,
            });
            self.summary.suppliers.push(id);
        }
        for i in 0..self.plan.manufacturers {
            n += 1;
            let w = WORDS[(i * 7 + 3) % WORDS.len()];
            let (prefix, region, city) = if i % 5 < 3 {
                ("宿迁", "321300", "宿迁")
            } else {
                ("沙集", "320324", "睢宁")
            };
            let name = format!("{prefix}{w}家具有限公司{:03}", i + 1);
            let id = self.party(name.clone(), "manufacturer", uscc(region, n), city);
            let n_models = 3 + self.rng.below(8);
            let first = self.rng.below(PRODUCTS.len());
            let models: Vec<(usize, String)> = (0..n_models)
                .map(|k| {
                    let p = (first + k) % PRODUCTS.len();
                    (
                        p,
                        format!("M{:03}-{}-{}", i + 1, PRODUCTS[p].1, 100 + k * 10),
                    )
                })
                .collect();
            self.makers.push(Maker {
                id,
                code: format!("M{:03}", i + 1),
                name,
                raw: Vec::new(),
                inter: Vec::new(),
                lots_made: 0,
                batches_made: 0,
                batches_by_model: vec![Vec::new(); models.len()],
                listings_by_model: vec![Vec::new(); models.len()],
                models_with_batches: Vec::new(),
                models,
            });
            self.summary.manufacturers.push(id);
        }
        self.summary.batches_by_maker = vec![Vec::new(); self.makers.len()];
    }

    /// How many of `total` fall into round `r`.
    fn quota(&self, total: usize, r: usize) -> usize {
        let rounds = self.plan.rounds;
        total * (r + 1) / rounds - total * r / rounds
    }

    /// A maker, by size, that satisfies `ok`; the largest one that does if the draws miss.
    fn pick_maker(&mut self, ok: impl Fn(&Maker) -> bool) -> Option<usize> {
        for _ in 0..16 {
            let m = self.maker_zipf.sample(&mut self.rng);
            if ok(&self.makers[m]) {
                return Some(m);
            }
        }
        (0..self.makers.len()).find(|&m| ok(&self.makers[m]))
    }

    fn gen_raw_lot(&mut self) {
        let s = self.supplier_zipf.sample(&mut self.rng);
        let roll = self.rng.below(100);
        let (material, mat_code, unit, amount) = match roll {
            0..=34 => (
                "plywood",
                "PLY",
                Unit::Sheet,
                self.rng.range(200, 1500) * 1000,
            ),
            35..=64 => (
                "particleboard",
                "PB",
                Unit::Sheet,
                self.rng.range(200, 1500) * 1000,
            ),
            65..=84 => ("mdf", "MDF", Unit::Sheet, self.rng.range(200, 1500) * 1000),
            85..=89 => ("osb", "OSB", Unit::Sheet, self.rng.range(200, 1000) * 1000),
            90..=94 => ("solid_wood", "SW", Unit::M3, self.rng.range(10_000, 60_000)),
            95..=97 => (
                "veneer",
                "VN",
                Unit::Sheet,
                self.rng.range(500, 3000) * 1000,
            ),
            _ => (
                "edge_banding",
                "EB",
                Unit::Kg,
                self.rng.range(200, 2000) * 1000,
            ),
        };
        let class = match self.rng.below(20) {
            0..=2 => "ENF",
            3..=12 => "E0",
            _ => "E1",
        };
        let sup = &mut self.suppliers[s];
        sup.lots_made += 1;
        let (sid, code) = (
            sup.id,
            format!("{}-{mat_code}-{:06}", sup.code, sup.lots_made),
        );
        let at = self.time();
        let id = self.take_id(1);
        let data = format!(
            r#"{{"lot_code":"{code}","material":"{material}","class":"{class}","quantity":"{} {}"}}"#,
            amount as f64 / 1000.0,
            unit.as_str()
        );
        self.push(
            Cmd::Lot(LotBody {
                producer: self.ids.format(NodeKind::Party, sid),
                lot_code: code,
                material,
                formaldehyde_class: class,
                quantity: qty(amount, unit),
                produced_at: at,
                inputs: vec![],
            }),
            vec![PgNode {
                id,
                kind: KIND_LOT,
                ext_id: self.ids.format(NodeKind::Lot, id),
                data,
            }],
            vec![PgEdge {
                src: sid,
                dst: id,
                kind: EDGE_PRODUCED,
            }],
        );
        self.summary.raw_lots += 1;
        // Ship it, whole or split, to 1–3 makers; the mill keeps 0–10 %.
        let k = match self.rng.below(20) {
            0..=13 => 1,
            14..=18 => 2,
            _ => 3,
        }
        .min(self.makers.len());
        let mut to: Vec<usize> = Vec::with_capacity(k);
        while to.len() < k {
            let m = self.maker_zipf.sample(&mut self.rng);
            if !to.contains(&m) {
                to.push(m);
            }
        }
        let mut keep = amount * self.rng.below(11) as u64 / 100;
        if unit != Unit::M3 {
            keep = keep / 1000 * 1000;
        }
        let shipped = amount - keep;
        let weights: Vec<u64> = (0..k).map(|_| self.rng.range(1, 4)).collect();
        let wsum: u64 = weights.iter().sum();
        let mut left = shipped;
        for (i, &m) in to.iter().enumerate() {
            let part = if i + 1 == k {
                left
            } else {
                // Whole units where the lot counts whole units.
                let p = shipped * weights[i] / wsum;
                if unit == Unit::M3 {
                    p
                } else {
                    p / 1000 * 1000
                }
            };
            if part == 0 {
                continue;
            }
            left -= part;
            self.ship(id, sid, m, part, unit);
        }
    }

    fn ship(&mut self, lot: u32, from: u32, to_maker: usize, amount: u64, unit: Unit) {
        let at = self.time();
        let _shipment_id = self.take_id(1);
        let to = self.makers[to_maker].id;
        self.push(
            Cmd::Shipment(ShipmentBody {
                lot: self.ids.format(NodeKind::Lot, lot),
                from: self.ids.format(NodeKind::Party, from),
                to: self.ids.format(NodeKind::Party, to),
                quantity: qty(amount, unit),
                shipped_at: at,
            }),
            vec![],
            vec![],
        );
        self.summary.shipments += 1;
        let hold = Hold {
            lot,
            avail: amount,
            unit,
        };
        if unit == Unit::Piece {
            self.makers[to_maker].inter.push(hold);
        } else {
            self.makers[to_maker].raw.push(hold);
        }
    }

    /// How much of a holding one use takes, per piece made.
    fn per_piece(&mut self, unit: Unit) -> u64 {
        match unit {
            Unit::Sheet => self.rng.range(1, 3) * 1000,
            Unit::M3 => self.rng.range(20, 100),
            Unit::Kg => self.rng.range(1, 4) * 500,
            Unit::Piece => self.rng.range(1, 4) * 1000,
        }
    }

    /// Takes up to `want` from a maker's holding `idx` of `raw` (true) or `inter` stock;
    /// returns the lot and the amount taken (whole units where the lot counts whole
    /// units, never more than is left).
    fn consume(&mut self, m: usize, raw: bool, idx: usize, want: u64) -> (u32, u64, Unit) {
        let stock = if raw {
            &mut self.makers[m].raw
        } else {
            &mut self.makers[m].inter
        };
        let h = &mut stock[idx];
        let take = want.min(h.avail);
        h.avail -= take;
        (h.lot, take, h.unit)
    }

    fn drop_empty(&mut self, m: usize) {
        let maker = &mut self.makers[m];
        maker.raw.retain(|h| h.avail > 0);
        maker.inter.retain(|h| h.avail > 0);
    }

    fn gen_intermediate(&mut self) -> bool {
        let Some(m) = self.pick_maker(|mk| mk.raw.len() >= 3) else {
            return false;
        };
        let k = 2 + self.rng.below(2);
        let picks = self.rng.distinct(self.makers[m].raw.len(), k);
        let mut inputs = Vec::with_capacity(k);
        let mut edges = Vec::with_capacity(k + 1);
        let maker_id = self.makers[m].id;
        edges.push(PgEdge {
            src: maker_id,
            dst: 0,
            kind: EDGE_PRODUCED,
        });
        for &i in &picks {
            let unit = self.makers[m].raw[i].unit;
            let want = self.per_piece(unit) * self.rng.range(5, 20);
            let (lot, take, unit) = self.consume(m, true, i, want);
            inputs.push(InputBody {
                lot: self.ids.format(NodeKind::Lot, lot),
                quantity: qty(take, unit),
            });
            edges.push(PgEdge {
                src: lot,
                dst: 0,
                kind: EDGE_INPUT,
            });
        }
        self.drop_empty(m);
        let pieces = self.rng.range(100, 600) * 1000;
        let maker = &mut self.makers[m];
        maker.lots_made += 1;
        let code = format!("{}-P-{:06}", maker.code, maker.lots_made);
        let (material, class) = match self.rng.below(3) {
            0 => ("veneer", "E0"),
            1 => ("mdf", "E1"),
            _ => ("particleboard", "ENF"),
        };
        let at = self.time();
        let id = self.take_id(1);
        for e in &mut edges {
            e.dst = id;
        }
        let data = format!(
            r#"{{"lot_code":"{code}","material":"{material}","class":"{class}","quantity":"{} piece"}}"#,
            pieces / 1000
        );
        self.push(
            Cmd::Lot(LotBody {
                producer: self.ids.format(NodeKind::Party, maker_id),
                lot_code: code,
                material,
                formaldehyde_class: class,
                quantity: qty(pieces, Unit::Piece),
                produced_at: at,
                inputs,
            }),
            vec![PgNode {
                id,
                kind: KIND_LOT,
                ext_id: self.ids.format(NodeKind::Lot, id),
                data,
            }],
            edges,
        );
        self.summary.intermediate_lots += 1;
        // A panel processor ships 30 % of its panels on (part of the lot) to another maker.
        if self.makers.len() > 1 && self.rng.chance(0.3) {
            let mut other = self.maker_zipf.sample(&mut self.rng);
            if other == m {
                other = (m + 1) % self.makers.len();
            }
            let part = pieces * self.rng.range(30, 70) / 100 / 1000 * 1000;
            self.makers[m].inter.push(Hold {
                lot: id,
                avail: pieces - part,
                unit: Unit::Piece,
            });
            self.ship(id, maker_id, other, part, Unit::Piece);
        } else {
            self.makers[m].inter.push(Hold {
                lot: id,
                avail: pieces,
                unit: Unit::Piece,
            });
        }
        true
    }

    /// One batch; returns the number of units minted (0 if no maker could make one).
    fn gen_batch(&mut self) -> usize {
        let Some(m) = self.pick_maker(|mk| mk.raw.len() + mk.inter.len() >= 2) else {
            return 0;
        };
        let held = self.makers[m].raw.len() + self.makers[m].inter.len();
        let k = (2 + self.rng.below(3)).min(held);
        let pieces = 1 + self.rng.below(10) as u32;
        let picks = self.rng.distinct(held, k);
        let mut inputs = Vec::with_capacity(k);
        let mut input_lots = Vec::with_capacity(k);
        let n_raw = self.makers[m].raw.len();
        for &i in &picks {
            let (raw, idx) = if i < n_raw {
                (true, i)
            } else {
                (false, i - n_raw)
            };
            let unit = if raw {
                self.makers[m].raw[idx].unit
            } else {
                self.makers[m].inter[idx].unit
            };
            let want = self.per_piece(unit) * pieces as u64;
            let (lot, take, unit) = self.consume(m, raw, idx, want);
            inputs.push(InputBody {
                lot: self.ids.format(NodeKind::Lot, lot),
                quantity: qty(take, unit),
            });
            input_lots.push(lot);
        }
        self.drop_empty(m);
        let model = self.rng.below(self.makers[m].models.len());
        let maker = &mut self.makers[m];
        maker.batches_made += 1;
        let code = format!("{}-B{:06}", maker.code, maker.batches_made);
        let (product, model_code) = (
            PRODUCTS[maker.models[model].0].0,
            maker.models[model].1.clone(),
        );
        let maker_id = maker.id;
        let at = self.time();
        let id = self.take_id(1 + pieces);
        let mut nodes = Vec::with_capacity(1 + pieces as usize);
        let mut edges = Vec::with_capacity(k + pieces as usize);
        nodes.push(PgNode {
            id,
            kind: KIND_BATCH,
            ext_id: self.ids.format(NodeKind::Batch, id),
            data: format!(
                r#"{{"batch_code":"{code}","product":"{product}","model":"{model_code}","quantity":{pieces}}}"#
            ),
        });
        for lot in input_lots {
            edges.push(PgEdge {
                src: lot,
                dst: id,
                kind: EDGE_INPUT,
            });
        }
        let width = pieces.to_string().len().max(4);
        for n in 0..pieces {
            let u = id + 1 + n;
            nodes.push(PgNode {
                id: u,
                kind: KIND_UNIT,
                ext_id: self.ids.format(NodeKind::Unit, u),
                data: format!(r#"{{"serial":"{code}-{:0width$}"}}"#, n + 1),
            });
            edges.push(PgEdge {
                src: id,
                dst: u,
                kind: EDGE_UNIT,
            });
            self.summary.units.push(u);
        }
        self.push(
            Cmd::Batch(BatchBody {
                manufacturer: self.ids.format(NodeKind::Party, maker_id),
                batch_code: code,
                product: ProductBody {
                    name: product,
                    model: model_code,
                },
                quantity: pieces,
                inputs,
                produced_at: at,
                serials: true,
            }),
            nodes,
            edges,
        );
        self.summary.batches += 1;
        self.summary.unit_count += pieces as u64;
        self.summary.batches_by_maker[m].push(id);
        let maker = &mut self.makers[m];
        if maker.batches_by_model[model].is_empty() {
            maker.models_with_batches.push(model);
        }
        maker.batches_by_model[model].push(id);
        // Now and then a new batch is linked to a listing that already sells its model.
        if !maker.listings_by_model[model].is_empty() && self.rng.chance(0.1) {
            let ls = &self.makers[m].listings_by_model[model];
            let listing = ls[self.rng.below(ls.len())];
            self.push(
                Cmd::LinkBatches {
                    listing: self.ids.format(NodeKind::Listing, listing),
                    batches: vec![self.ids.format(NodeKind::Batch, id)],
                },
                vec![],
                vec![PgEdge {
                    src: id,
                    dst: listing,
                    kind: EDGE_LISTED,
                }],
            );
            self.summary.links += 1;
        }
        pieces as usize
    }

    fn gen_listing(&mut self) -> bool {
        let Some(m) = self.pick_maker(|mk| !mk.models_with_batches.is_empty()) else {
            return false;
        };
        let maker = &self.makers[m];
        let model = maker.models_with_batches[self.rng.below(maker.models_with_batches.len())];
        let bs = &self.makers[m].batches_by_model[model];
        // 1–5 of the model's most recent (up to 20) batches.
        let recent = &bs[bs.len().saturating_sub(20)..];
        let k = (1 + self.rng.below(5)).min(recent.len());
        let picks = self.rng.distinct(recent.len(), k);
        let batches: Vec<u32> = picks.iter().map(|&i| recent[i]).collect();
        let p = match self.rng.below(100) {
            0..=39 => 0,
            40..=74 => 1,
            _ => 2,
        };
        self.item_counters[p] += 1;
        let item = (PLATFORMS[p].4 + self.item_counters[p] * 37).to_string();
        let url = match p {
            0 => format!("https://item.jd.com/{item}.html"),
            1 => format!("https://item.taobao.com/item.htm?id={item}"),
            _ => format!("https://mobile.yangkeduo.com/goods.html?goods_id={item}"),
        };
        let maker = &self.makers[m];
        let (product, model_code) = (PRODUCTS[maker.models[model].0].0, &maker.models[model].1);
        let title = format!("{} {product} {model_code} E0级环保板材", maker.name);
        let shop = format!("{}{}旗舰店", maker.name, PLATFORMS[p].1);
        let (seller, platform) = (maker.id, self.platforms[p]);
        let id = self.take_id(1);
        let data = format!(
            r#"{{"item_id":"{item}","platform":"{}","title":"{title}"}}"#,
            PLATFORMS[p].1
        );
        let edges = batches
            .iter()
            .map(|&b| PgEdge {
                src: b,
                dst: id,
                kind: EDGE_LISTED,
            })
            .collect();
        self.push(
            Cmd::Listing(ListingBody {
                platform: self.ids.format(NodeKind::Party, platform),
                seller: self.ids.format(NodeKind::Party, seller),
                shop,
                item_id: item,
                url,
                title,
                batches: batches
                    .iter()
                    .map(|&b| self.ids.format(NodeKind::Batch, b))
                    .collect(),
            }),
            vec![PgNode {
                id,
                kind: KIND_LISTING,
                ext_id: self.ids.format(NodeKind::Listing, id),
                data,
            }],
            edges,
        );
        self.makers[m].listings_by_model[model].push(id);
        self.summary.listings += 1;
        true
    }

    fn gen_round(&mut self, r: usize) {
        let last = r + 1 == self.plan.rounds;
        let raw = self.quota(self.plan.raw_lots, r);
        for _ in 0..raw {
            self.gen_raw_lot();
            self.raw_done += 1;
        }
        // Work that could not be done in a round (no maker held enough yet) carries over.
        let inter_target = self.plan.intermediate_lots * (r + 1) / self.plan.rounds;
        while self.inter_done < inter_target && self.gen_intermediate() {
            self.inter_done += 1;
        }
        let unit_target = self.plan.units * (r + 1) / self.plan.rounds;
        while self.units_done < unit_target {
            let n = self.gen_batch();
            if n == 0 {
                break;
            }
            self.units_done += n;
        }
        let listing_target = self.plan.listings * (r + 1) / self.plan.rounds;
        while self.listings_done < listing_target && self.gen_listing() {
            self.listings_done += 1;
        }
        if last {
            self.summary.units.shrink_to_fit();
        }
    }
}

impl Iterator for Generator {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            match self.phase {
                Phase::Parties => {
                    self.gen_parties();
                    self.phase = Phase::Round(0);
                }
                Phase::Round(r) if r < self.plan.rounds => {
                    self.gen_round(r);
                    self.phase = Phase::Round(r + 1);
                }
                Phase::Round(_) | Phase::Done => {
                    self.phase = Phase::Done;
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_ids() -> IdCodec {
        IdCodec::new(&[9; 32])
    }
    use boardtrail::app::{App, Caller};
    use boardtrail::domain::validate_uscc;
    use boardtrail::store::{SledConfig, SledStore, Store};
    use std::sync::Arc;

    #[test]
    fn rng_and_zipf_are_deterministic_and_skewed() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let z = Zipf::new(200, 0.8);
        let mut counts = [0u32; 200];
        let mut r = Rng::new(1);
        for _ in 0..100_000 {
            counts[z.sample(&mut r)] += 1;
        }
        assert!(counts[0] > counts[9] && counts[9] > counts[199]);
        // Rank 1 against rank 100: 100^0.8 ≈ 40.
        let ratio = counts[0] as f64 / counts[99].max(1) as f64;
        assert!((25.0..60.0).contains(&ratio), "{ratio}");
        let d = r.distinct(10, 10);
        let mut s = d.clone();
        s.sort();
        assert_eq!(s, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn usccs_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..2000 {
            let u = uscc("371300", n);
            validate_uscc(&u).unwrap();
            assert!(seen.insert(u));
        }
    }

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<String> = Generator::new(0.002, 5, test_ids())
            .map(|i| i.line)
            .collect();
        let b: Vec<String> = Generator::new(0.002, 5, test_ids())
            .map(|i| i.line)
            .collect();
        assert_eq!(a, b);
        let c: Vec<String> = Generator::new(0.002, 6, test_ids())
            .map(|i| i.line)
            .collect();
        assert_ne!(a, c);
    }

    /// The whole stream imports, and the ids and edges the generator predicted are the
    /// ones the store assigned.
    #[test]
    fn stream_imports_and_predicts_ids() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SledStore::open(&SledConfig::new(dir.path().join("db"))).unwrap());
        let app = App::new(store.clone());
        let mut gen = Generator::new(0.002, 11, app.ids().clone());
        let mut text = String::new();
        let mut kinds = std::collections::HashMap::new();
        let mut edges = Vec::new();
        for item in gen.by_ref() {
            text.push_str(&item.line);
            text.push('\n');
            for n in item.nodes {
                kinds.insert(n.id, n.kind);
            }
            edges.extend(item.edges);
        }
        let s = gen.into_summary();
        let report = app
            .import(&Caller::operator(), text.as_bytes(), |_, _| {})
            .unwrap();
        assert_eq!(report.events, s.commands);
        assert_eq!(store.next_id(), s.next_id);
        for (&id, &k) in &kinds {
            assert_eq!(store.meta(id).unwrap().kind as i16, k, "node {id}");
        }
        // Every non-unit edge is in the resident graph (units are implied by batches).
        let graph_edges = edges.iter().filter(|e| e.kind != EDGE_UNIT).count();
        assert_eq!(store.stats().edges, graph_edges as u64);
        assert_eq!(s.units.len() as u64, s.unit_count);
        assert!(s.units.len() >= 2000);
        let (line, _) = s.extra_listing(app.ids(), 3, "t");
        let cmd: boardtrail::app::import::Command = serde_json::from_str(&line).unwrap();
        app.apply(&Caller::operator(), cmd).unwrap();
    }
}
