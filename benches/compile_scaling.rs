//! Compile time against graph size (issue 12, "Compile time that scales"): `function()` in the
//! default mode (FAST_RUN, JIT linker) on the graphs of `common/scaling_graphs.rs`: elementwise
//! chains and random DAGs of 1k, 4k, 16k and 64k nodes, and the unrolled RNN
//! `h = tanh(dot(h, W) + X[t])` over 100, 300 and 1000 steps. Each sample builds the function
//! once (the graph is built outside the timing). Few samples and a short measurement time:
//! the large sizes take seconds per build.
//!
//! `cargo bench --bench compile_scaling [-- chain]`; the table with the fitted growth
//! exponent: `cargo run --release --example compile_scaling`; PyTensor's side:
//! `benches/compile_scaling_pytensor.py`; figures in docs/COMPILE.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;

#[path = "common/scaling_graphs.rs"]
mod scaling_graphs;
use scaling_graphs::{chain, dag, rnn, Graph};

fn group(c: &mut Criterion, name: &str, sizes: &[usize], build: fn(usize) -> Graph) {
    let mut g = c.benchmark_group(format!("compile_scaling/{name}"));
    g.sample_size(10);
    for &n in sizes {
        g.measurement_time(Duration::from_secs(if n >= 16_000 { 20 } else { 5 }));
        g.warm_up_time(Duration::from_millis(500));
        let graph = build(n);
        let ins: Vec<&theano::Variable> = graph.inputs.iter().collect();
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(theano::function(&ins, &graph.output).unwrap()))
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    group(c, "chain", &[1_000, 4_000, 16_000, 64_000], chain);
    group(c, "dag", &[1_000, 4_000, 16_000, 64_000], dag);
    group(c, "rnn", &[100, 300, 1_000], rnn);
}

criterion_group!(benches, bench);
criterion_main!(benches);
