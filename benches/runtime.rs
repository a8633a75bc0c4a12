//! Run-time workloads of DESIGN.md §8, each on the JIT linker and on the interpreter in the
//! same run: the call overhead of `f(x, y) = x + y` on float64 scalars, the seed's
//! logistic-regression training step (N=400, 784 features), `exp(x)*y + tanh(z)` on 10^7
//! elements (float64 and float32), `a*x + y` on 10^7 float64 elements, and dot at 1024^3
//! (float64 and float32). `jit_into` rows call `Function::call_into` (outputs reuse the caller's
//! tensors).
//!
//! `cargo bench --bench runtime`; compare with `../shared/anchors/run_all.sh call logreg
//! elemwise gemm` run in the same sitting.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use theano::tensor as T;
use theano::{compile, DType, Function, Mode, Tensor, Variable};

#[path = "../tests/common/mod.rs"]
mod common;

const LINKERS: [&str; 2] = ["jit", "interp"];

fn mode(linker: &str) -> Mode {
    Mode::parse_flags(&format!("linker={linker}")).unwrap()
}

fn build(ins: &[&Variable], out: &Variable, linker: &str) -> Function {
    compile(ins, out).mode(mode(linker)).build().unwrap()
}

/// Time `out` on `args` on each linker: a `call_refs` row per linker, and on the JIT a
/// `jit_into` row (`Function::call_into`, the output tensors reused across calls).
fn bench_linkers(
    g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    ins: &[&Variable],
    out: &Variable,
    args: &[&Tensor],
) {
    for l in LINKERS {
        let f = build(ins, out, l);
        g.bench_function(l, |bch| bch.iter(|| black_box(f.call_refs(args).unwrap())));
        if l == "jit" {
            let mut outs = vec![Tensor::from(0.0)];
            g.bench_function("jit_into", |bch| {
                bch.iter(|| f.call_into(args, &mut outs).unwrap())
            });
        }
    }
}

fn call_overhead(c: &mut Criterion) {
    let mut g = c.benchmark_group("call_overhead_add_scalars");
    let (x, y) = (T::dscalar("x"), T::dscalar("y"));
    let z = &x + &y;
    let (a, b) = (Tensor::from(2.0), Tensor::from(3.0));
    bench_linkers(&mut g, &[&x, &y], &z, &[&a, &b]);
    g.finish();
}

fn logreg_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("seed_logreg_step_400x784_f64");
    let (n, feats) = (400, 784);
    let d0 = common::values(DType::Float64, &[n, feats], 1);
    let d1 = Tensor::from_f64_vec(
        DType::Float64,
        &[n],
        (0..n).map(|i| (i % 2) as f64).collect(),
    )
    .unwrap();
    for l in LINKERS {
        let m = common::seed_model(common::values(DType::Float64, &[feats], 2));
        let train = compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
            .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
            .mode(mode(l))
            .build()
            .unwrap();
        g.bench_function(l, |bch| {
            bch.iter(|| black_box(train.call_refs(&[&d0, &d1]).unwrap()))
        });
    }
    g.finish();
}

fn elemwise(c: &mut Criterion) {
    for dtype in [DType::Float64, DType::Float32] {
        let mut g = c.benchmark_group(format!("exp_x_mul_y_plus_tanh_z_1e7_{dtype}"));
        g.sample_size(10);
        let n = 10_000_000;
        let ty = theano::TensorType::vector(dtype);
        let (x, y, z) = (T::input(ty, "x"), T::input(ty, "y"), T::input(ty, "z"));
        let out = T::exp(&x) * &y + T::tanh(&z);
        let (a, b, cc) = (
            common::values(dtype, &[n], 3),
            common::values(dtype, &[n], 4),
            common::values(dtype, &[n], 5),
        );
        bench_linkers(&mut g, &[&x, &y, &z], &out, &[&a, &b, &cc]);
        g.finish();
    }
}

/// `a * x + y` on 10^7 float64 elements (a scalar): memory-bound, split across the cores.
/// `jit_into` reuses the output tensor across calls (`Function::call_into`).
fn axpy(c: &mut Criterion) {
    let mut g = c.benchmark_group("axpy_1e7_f64");
    g.sample_size(10);
    let n = 10_000_000;
    let (a, x, y) = (T::dscalar("a"), T::dvector("x"), T::dvector("y"));
    let out = &a * &x + &y;
    let (av, xv, yv) = (
        Tensor::from(1.5),
        common::values(DType::Float64, &[n], 8),
        common::values(DType::Float64, &[n], 9),
    );
    bench_linkers(&mut g, &[&a, &x, &y], &out, &[&av, &xv, &yv]);
    g.finish();
}

fn dot(c: &mut Criterion) {
    for dtype in [DType::Float64, DType::Float32] {
        let mut g = c.benchmark_group(format!("dot_1024_{dtype}"));
        g.sample_size(10);
        let ty = theano::TensorType::matrix(dtype);
        let (x, y) = (T::input(ty, "x"), T::input(ty, "y"));
        let out = T::dot(&x, &y).unwrap();
        let (a, b) = (
            common::values(dtype, &[1024, 1024], 6),
            common::values(dtype, &[1024, 1024], 7),
        );
        bench_linkers(&mut g, &[&x, &y], &out, &[&a, &b]);
        g.finish();
    }
}

/// A spatial batch-norm training step on (64, 32, 16, 16) float32: the outputs, the new
/// running averages and the gradients of `sum(out^2)` with respect to x, gamma and beta.
/// `jit` has Theano's CPU rewrites of the abstract ops (elementwise and reduction graphs the
/// JIT fuses); `jit_abstract` excludes them (the ops' `perform`s). The JAX twin:
/// `benches/bn_jax.py`.
fn batchnorm_step(c: &mut Criterion) {
    use theano::tensor::nnet::bn::{self, Axes};
    let mut g = c.benchmark_group("batchnorm_train_step_64x32x16x16_f32");
    let x = T::ftensor4("x");
    let (gamma, beta) = (T::fvector("g"), T::fvector("b"));
    let (rm, rv) = (T::fvector("rm"), T::fvector("rv"));
    let outs = bn::batch_normalization_train(
        &x,
        &gamma,
        &beta,
        Axes::Spatial,
        1e-4,
        0.1,
        Some((&rm, &rv)),
    )
    .unwrap();
    let cost = T::sum(T::sqr(&outs[0]));
    let gs = theano::grad(&cost, &[x.clone(), gamma.clone(), beta.clone()]).unwrap();
    let mut all = vec![outs[0].clone(), outs[3].clone(), outs[4].clone()];
    all.extend(gs);
    let ins = [&x, &gamma, &beta, &rm, &rv];
    let mut rng = theano_grad::Rng::new(5);
    let vals = [
        rng.tensor(DType::Float32, &[64, 32, 16, 16], -1.0, 1.0),
        rng.tensor(DType::Float32, &[32], 0.5, 1.5),
        rng.tensor(DType::Float32, &[32], -0.5, 0.5),
        rng.tensor(DType::Float32, &[32], -0.5, 0.5),
        rng.tensor(DType::Float32, &[32], 0.5, 1.5),
    ];
    let args: Vec<&Tensor> = vals.iter().collect();
    for (row, flags) in [
        ("jit", "linker=jit"),
        (
            "jit_abstract",
            "linker=jit,optimizer_excluding=local_abstract_batch_norm_train",
        ),
    ] {
        let f = compile(&ins, all.clone())
            .mode(Mode::parse_flags(flags).unwrap())
            .build()
            .unwrap();
        g.bench_function(row, |bch| {
            bch.iter(|| black_box(f.call_refs(&args).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    call_overhead,
    logreg_step,
    elemwise,
    axpy,
    dot,
    batchnorm_step
);
criterion_main!(benches);
