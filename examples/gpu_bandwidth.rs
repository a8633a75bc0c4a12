//! The GPU backend's elementwise bandwidth against the device's own copy bandwidth
//! (`cargo run --release --features cuda --example gpu_bandwidth`; scripts/gpu_check.sh runs
//! it). Two functions on `n` float32 elements (default 10^8, `GPU_BENCH_N` overrides):
//! `exp(x) * y + tanh(z)` (3 reads, 1 write: 16 bytes per element) and `a * x + y` (a
//! scalar; 2 reads, 1 write: 12 bytes per element). Each runs on `linker=cuda` with
//! `profile=True`, whose step times the runtime takes after synchronizing the stream, so
//! they are kernel times without the call's host-device copies (this runtime copies
//! arguments in and results out on every call). The reference is a device-to-device copy of
//! `4n` bytes (read plus write bytes per second). Exits 2 when no device can be used.

use std::time::Duration;
use theano::tensor as T;
use theano::{compile, Mode, Tensor, Variable};

fn elemwise_time(f: &theano::Function) -> (Duration, u64) {
    let p = f.profile().expect("profiled");
    p.nodes
        .iter()
        .filter(|n| n.op_type == "Elemwise")
        .fold((Duration::ZERO, 0), |(t, c), n| {
            (t + n.time, c.max(n.calls))
        })
}

fn bench(
    name: &str,
    ins: &[&Variable],
    out: &Variable,
    args: &[Tensor],
    bytes_per_elem: usize,
    n: usize,
    reps: usize,
    check: impl Fn(usize) -> f64,
) -> f64 {
    let mode = Mode::parse_flags("linker=cuda,profile=True").expect("flags");
    let f = compile(ins, out).mode(mode).build().unwrap_or_else(|e| {
        eprintln!("{name}: {e}");
        std::process::exit(2)
    });
    // warm-up (module load, first launch), then the timed calls
    let r = f.call(args).expect("call");
    let got = r[0].to_f64_vec();
    let mut worst = 0f64;
    for i in (0..n).step_by((n / 1000).max(1)) {
        let want = check(i);
        worst = worst.max((got[i] - want).abs() / (1.0 + want.abs()));
    }
    let (t0, c0) = elemwise_time(&f);
    for _ in 0..reps {
        f.call(args).expect("call");
    }
    let (t1, c1) = elemwise_time(&f);
    let per = (t1 - t0).as_secs_f64() / (c1 - c0).max(1) as f64;
    let gbs = (bytes_per_elem * n) as f64 / per / 1e9;
    println!(
        "{name}: {:.3} ms per call (kernel), {gbs:.1} GB/s; max relative error vs host {worst:.1e}",
        per * 1e3
    );
    assert!(worst < 1e-5, "{name}: results differ from the host's");
    gbs
}

fn main() {
    let n: usize = std::env::var("GPU_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000_000);
    let reps = 5;
    let dev = match theano_cuda::device::device() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("gpu_bandwidth: {e}");
            std::process::exit(2);
        }
    };
    println!("device: {}; n = {n} float32", dev.description);
    let copy = dev.copy_bandwidth(4 * n, reps).expect("copy bandwidth");
    println!(
        "device-to-device copy of {} MB: {copy:.1} GB/s",
        4 * n / 1_000_000
    );

    let gen = |seed: u32| -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 2000) as f32 / 1000.0
                    - 1.0
            })
            .collect()
    };
    let (xs, ys, zs) = (gen(1), gen(2), gen(3));
    let (x, y, z) = (T::fvector("x"), T::fvector("y"), T::fvector("z"));
    let e = T::exp(&x) * &y + T::tanh(&z);
    let args = [
        Tensor::from(xs.clone()),
        Tensor::from(ys.clone()),
        Tensor::from(zs.clone()),
    ];
    let g1 = bench(
        "exp(x)*y + tanh(z)",
        &[&x, &y, &z],
        &e,
        &args,
        16,
        n,
        reps,
        |i| ((xs[i] as f64).exp() * ys[i] as f64) + (zs[i] as f64).tanh(),
    );
    let a = T::fscalar("a");
    let axpy = &a * &x + &y;
    let args = [Tensor::from(2.5f32), args[0].clone(), args[1].clone()];
    let g2 = bench("a*x + y", &[&a, &x, &y], &axpy, &args, 12, n, reps, |i| {
        2.5 * xs[i] as f64 + ys[i] as f64
    });
    println!(
        "summary: exp(x)*y+tanh(z) {:.0}% and a*x+y {:.0}% of the copy bandwidth ({copy:.1} GB/s)",
        100.0 * g1 / copy,
        100.0 * g2 / copy
    );
}
