//! Compile latency of the seed's logistic-regression train function (DESIGN.md §8): the graph
//! and its gradient are built once; each iteration times
//! - `compile`: `compile(..).updates(..).build()`: import into the IR, every rewrite phase,
//!   scheduling and linking, with the interpreter linker and with the JIT (Cranelift kernels);
//! - `optimize`: `theano_opt::optimize` alone, on a fresh clone of the imported graph.
//!
//! Compare with PyTensor's in-process recompile of the same function
//! (`../shared/anchors/run_all.sh compile`, row "2nd compile same process").

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use theano::ir::fgraph::FunctionGraph;
use theano::{compile, Tensor};

#[path = "../tests/common/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let s = common::seed_model(Tensor::from(vec![0.01; 784]));
    for linker in ["interp", "jit"] {
        let mode = theano::Mode::parse_flags(&format!("linker={linker}")).unwrap();
        c.bench_function(&format!("compile/seed_logreg_train/{linker}"), |bch| {
            bch.iter(|| {
                let f = compile(&[&s.x, &s.y], [&s.prediction, &s.xent])
                    .updates([(&s.w, &s.w_update), (&s.b, &s.b_update)])
                    .mode(mode.clone())
                    .build()
                    .unwrap();
                black_box(f)
            })
        });
    }
    let outs = [
        s.prediction.clone(),
        s.xent.clone(),
        s.w_update.clone(),
        s.b_update.clone(),
    ];
    let fg = FunctionGraph::from_outputs(&[s.x.clone(), s.y.clone()], &outs).unwrap();
    // the optimizer as compile runs it in release builds (no verifier)
    let cfg = theano_opt::Config {
        verify: false,
        ..theano_opt::Config::default()
    };
    c.bench_function("optimize/seed_logreg_train", |bch| {
        bch.iter_batched(
            || fg.clone(),
            |mut g| {
                let r = theano_opt::optimize(&mut g, &cfg).unwrap();
                black_box((g, r))
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("import/seed_logreg_train", |bch| {
        bch.iter(|| {
            black_box(FunctionGraph::from_outputs(&[s.x.clone(), s.y.clone()], &outs).unwrap())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
