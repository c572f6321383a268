//! QR rendering and token benchmarks.
//!
//! `cargo bench --bench qr` (add `-- --quick` for a faster, rougher run). Rendering is at
//! 256 px, ECC M, for a Digital Link URL of typical length; "cold" renders new data on
//! every iteration, "cached" hits a warm [`QrCache`].

use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use boardtrail::domain::NodeKind;
use boardtrail::qr::{self, Ecc, QrCache, QrKey, Tokens};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const SIZE: u32 = 256;
const ECC: Ecc = Ecc::M;

/// A unit's Digital Link URL, distinct for each `n`.
fn url(n: u64) -> String {
    format!("https://trace.example.com/01/09506000134352/10/LY-2024-0117/21/B0117-{n:06}")
}

fn render(c: &mut Criterion) {
    let mut g = c.benchmark_group("render");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));

    let n = Cell::new(0u64);
    let next = || {
        n.set(n.get() + 1);
        url(n.get())
    };
    g.bench_function("png_256_M_cold", |b| {
        b.iter_batched(next, |d| qr::png(&d, ECC, SIZE), BatchSize::SmallInput)
    });
    g.bench_function("svg_256_M_cold", |b| {
        b.iter_batched(next, |d| qr::svg(&d, ECC, SIZE), BatchSize::SmallInput)
    });

    let cache = QrCache::new(4096);
    let hot = url(0);
    let _ = cache.get_or_render_png(&hot, ECC, SIZE);
    let _ = cache.get_or_render_svg(&hot, ECC, SIZE);
    g.bench_function("png_256_M_cached", |b| {
        b.iter(|| cache.get_or_render_png(black_box(&hot), ECC, SIZE))
    });
    g.bench_function("svg_256_M_cached", |b| {
        b.iter(|| cache.get_or_render_svg(black_box(&hot), ECC, SIZE))
    });
    g.finish();

    let mut g = c.benchmark_group("sheet");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(1000));
    let items: Vec<String> = (0..1000).map(url).collect();
    g.bench_function("render_many_svg_1000", |b| {
        b.iter(|| qr::render_many_svg(black_box(&items), ECC, SIZE))
    });
    g.finish();
}

fn tokens(c: &mut Criterion) {
    let key = QrKey::from_secret("bench");
    let tokens = Tokens::new(&key);
    let mut g = c.benchmark_group("tokens");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    g.throughput(Throughput::Elements(100_000));
    g.bench_function("token_100k", |b| {
        b.iter(|| {
            for id in 0..100_000u32 {
                black_box(tokens.token(NodeKind::Unit, id));
            }
        })
    });

    // A scan: one block decryption (there is no index to build at start).
    let scanned: Vec<String> = (0..1024u32)
        .map(|i| tokens.token(NodeKind::Unit, i * 1409))
        .collect();
    let i = Cell::new(0usize);
    g.throughput(Throughput::Elements(1));
    g.bench_function("resolve", |b| {
        b.iter(|| {
            i.set((i.get() + 1) % scanned.len());
            tokens.resolve(black_box(&scanned[i.get()]))
        })
    });
    g.finish();
}

criterion_group!(benches, render, tokens);
criterion_main!(benches);
