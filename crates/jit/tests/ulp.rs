//! Accuracy of the inline transcendentals: every function and float dtype compiled through
//! `KernelSet` and compared with Rust std's libm (the interpreter's formulas for sigmoid and
//! softplus) in ulps, on random samples (uniform bit patterns: every magnitude of both signs,
//! subnormals included; uniform on each function's interesting range) and on the edge list
//! (±0, ±inf, NaN, subnormals, overflow and underflow thresholds). Each sample runs through
//! the flat loop (vector body and scalar tail: odd lengths) and the strided row loop
//! (a reversed view). NaN must match NaN, infinities and zeros (with their sign) exactly;
//! everything else within 4 ulp.
//!
//! `cargo test -p theano-jit --test ulp` (2^17 samples per function and dtype);
//! `cargo test --release -p theano-jit --test ulp -- --ignored --nocapture` prints the
//! docs/JIT.md table from 10^7 samples each.

use rand::{Rng, SeedableRng};
use theano_interp::Num;
use theano_ir::ScalarOp;
use theano_jit::KernelSet;
use theano_tensor::ndarray::{ArrayD, Axis, IxDyn};
use theano_tensor::{DType, Tensor};

const MAX_ULP: u64 = 4;

/// Distance in ulps between two values of `d` (both given as f64); `u64::MAX` for a
/// mismatch that must be exact (NaN vs number, infinities, signed zeros).
fn ulps(d: DType, got: f64, want: f64) -> u64 {
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    if want.is_infinite() || got.is_infinite() || (want == 0.0 && got == 0.0) {
        return if want.to_bits() == got.to_bits() {
            0
        } else {
            u64::MAX
        };
    }
    let ord = |x: f64| -> i128 {
        let (bits, mag_mask, sign) = if d == DType::Float32 {
            let b = (x as f32).to_bits() as u64;
            (b, 0x7FFF_FFFFu64, 0x8000_0000u64)
        } else {
            (
                x.to_bits(),
                0x7FFF_FFFF_FFFF_FFFFu64,
                0x8000_0000_0000_0000u64,
            )
        };
        let m = (bits & mag_mask) as i128;
        if bits & sign != 0 {
            -m
        } else {
            m
        }
    };
    (ord(got) - ord(want)).unsigned_abs() as u64
}

/// The reference: std's libm in the dtype, the interpreter's formula for sigmoid/softplus.
fn reference(op: &ScalarOp, d: DType, x: f64, y: f64) -> f64 {
    use ScalarOp::*;
    if d == DType::Float32 {
        let (x, y) = (x as f32, y as f32);
        (match op {
            Exp => x.exp(),
            Log => x.ln(),
            Log1p => x.ln_1p(),
            Expm1 => x.exp_m1(),
            Tanh => x.tanh(),
            Sigmoid => <f32 as Num>::sigmoid(x),
            Softplus => <f32 as Num>::softplus(x),
            Pow => x.powf(y),
            _ => unreachable!("{op}"),
        }) as f64
    } else {
        match op {
            Exp => x.exp(),
            Log => x.ln(),
            Log1p => x.ln_1p(),
            Expm1 => x.exp_m1(),
            Tanh => x.tanh(),
            Sigmoid => <f64 as Num>::sigmoid(x),
            Softplus => <f64 as Num>::softplus(x),
            Pow => x.powf(y),
            _ => unreachable!("{op}"),
        }
    }
}

fn edges(d: DType) -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        1.0,
        -1.0,
        2.0,
        0.5,
        -0.5,
        std::f64::consts::LN_2 / 2.0,
        -std::f64::consts::LN_2 / 2.0,
        1e-300,
        -1e-300,
        1e-20,
        -1e-20,
        1e-8,
        -1e-8,
        19.06,
        20.0,
        22.0,
        9.0,
        10.0,
        -37.5,
        -40.0,
        -17.4,
        -20.0,
    ];
    let (thresholds, specials): (Vec<f64>, Vec<f64>) = if d == DType::Float32 {
        (
            vec![
                88.72283, 88.72284, 88.8, -87.33655, -103.27893, -103.97208, -104.0, -105.0,
            ],
            vec![
                f32::MIN_POSITIVE as f64,
                (f32::MIN_POSITIVE / 2.0) as f64,
                f32::from_bits(1) as f64,
                f32::MAX as f64,
                f32::EPSILON as f64,
                1.0 + f32::EPSILON as f64,
                1.0 - f32::EPSILON as f64 / 2.0,
                -1.0 + f32::EPSILON as f64 / 2.0,
            ],
        )
    } else {
        (
            vec![
                709.782712893384,
                709.7827128933841,
                709.79,
                709.5,
                -708.3964185322641,
                -744.4400719213812,
                -745.1332191019411,
                -745.1332191019412,
                -746.0,
                -750.0,
            ],
            vec![
                f64::MIN_POSITIVE,
                f64::MIN_POSITIVE / 2.0,
                f64::from_bits(1),
                f64::MAX,
                f64::EPSILON,
                1.0 + f64::EPSILON,
                1.0 - f64::EPSILON / 2.0,
                -1.0 + f64::EPSILON / 2.0,
            ],
        )
    };
    for t in thresholds.into_iter().chain(specials) {
        v.push(t);
        v.push(-t);
    }
    v
}

/// A random value of `d` with uniformly random bits (finite, any magnitude and sign).
fn random_bits(rng: &mut impl Rng, d: DType) -> f64 {
    loop {
        let x = if d == DType::Float32 {
            f32::from_bits(rng.random::<u32>()) as f64
        } else {
            f64::from_bits(rng.random::<u64>())
        };
        if x.is_finite() {
            return x;
        }
    }
}

/// The interesting range of each function (where results are neither saturated nor trivial).
fn range(op: &ScalarOp, d: DType) -> (f64, f64) {
    use ScalarOp::*;
    let f32 = d == DType::Float32;
    match op {
        Exp | Sigmoid | Softplus | Expm1 if f32 => (-105.0, 89.0),
        Exp | Sigmoid | Softplus | Expm1 => (-750.0, 710.0),
        Log => (0.0, 4.0),
        Log1p => (-1.0, 4.0),
        Tanh if f32 => (-10.0, 10.0),
        Tanh => (-20.0, 20.0),
        _ => (-2.0, 2.0),
    }
}

/// `n` unary samples: a third uniform bits, a third on the range, a third near 0 / small.
fn unary_samples(rng: &mut impl Rng, op: &ScalarOp, d: DType, n: usize) -> Vec<f64> {
    let (lo, hi) = range(op, d);
    let mut v = edges(d);
    while v.len() < n {
        let x = match v.len() % 3 {
            0 => random_bits(rng, d),
            1 => rng.random_range(lo..hi),
            // log-uniform magnitudes in [2^-40, 2^4), both signs
            _ => {
                let e: f64 = rng.random_range(-40.0..4.0);
                let s = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                s * e.exp2()
            }
        };
        v.push(x);
    }
    v
}

/// `n` (x, y) samples for pow: the edge grid, random bits, bases near 1 with large
/// exponents (|y·log x| up to the overflow range), negative bases with integer exponents.
fn pow_samples(rng: &mut impl Rng, d: DType, n: usize) -> (Vec<f64>, Vec<f64>) {
    let big = if d == DType::Float32 { 88.0 } else { 709.0 };
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut ye = edges(d);
    ye.extend([
        3.0,
        -3.0,
        0.1,
        1023.0,
        1024.0,
        -1074.0,
        1075.0,
        1e300,
        -1e300,
        9007199254740993.0,
    ]);
    for &x in &edges(d) {
        for &y in &ye {
            xs.push(x);
            ys.push(y);
        }
    }
    while xs.len() < n {
        let (x, y) = match xs.len() % 4 {
            0 => (random_bits(rng, d), random_bits(rng, d)),
            1 => {
                let x: f64 = rng.random_range(0.6..1.5);
                let t: f64 = rng.random_range(-big..big);
                (x, t / x.ln())
            }
            2 => {
                let e: f64 = rng.random_range(-60.0..60.0);
                (e.exp2(), rng.random_range(-20.0..20.0))
            }
            _ => (
                -rng.random_range(0.1..4.0),
                rng.random_range(-60i32..60) as f64,
            ),
        };
        xs.push(x);
        ys.push(y);
    }
    (xs, ys)
}

fn tensor(d: DType, v: &[f64], reversed: bool) -> Tensor {
    let t = Tensor::from_f64_vec(d, &[v.len()], v.to_vec()).expect("tensor");
    if !reversed {
        return t;
    }
    // the same values reversed in memory, viewed back in order through a negative stride
    let rev: Vec<f64> = v.iter().rev().copied().collect();
    let t = Tensor::from_f64_vec(d, &[v.len()], rev).expect("tensor");
    match t {
        Tensor::F64(a) => {
            let mut a: ArrayD<f64> = a;
            a.invert_axis(Axis(0));
            Tensor::F64(a)
        }
        Tensor::F32(a) => {
            let mut a: ArrayD<f32> = a;
            a.invert_axis(Axis(0));
            Tensor::F32(a)
        }
        other => other,
    }
}

/// The worst sample of `op` in `d`: (max ulp, x, y, got, want).
struct Worst {
    ulp: u64,
    x: f64,
    y: f64,
    got: f64,
    want: f64,
}

fn study(op: &ScalarOp, d: DType, n: usize, seed: u64, wide: bool) -> Worst {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let binary = op.arity() == 2;
    let (xs, ys) = if binary {
        pow_samples(&mut rng, d, n)
    } else {
        let xs = unary_samples(&mut rng, op, d, n);
        let ys = vec![0.0; xs.len()];
        (xs, ys)
    };
    // odd length: the flat loop's vector body and scalar tail
    let len = xs.len() - (1 - xs.len() % 2);
    let xs = &xs[..len];
    let ys = &ys[..xs.len()];
    let dts = vec![d; op.arity()];
    let mut ks = KernelSet::new(false).expect("jit");
    ks.set_wide(wide);
    let k = ks
        .add(op, &dts, &vec![false; dts.len()], d)
        .expect("lowered");
    ks.finalize().expect("finalize");
    assert!(
        ks.kernels()[k].vectorized,
        "{op} {d}: the flat loop should run vectors"
    );
    assert_eq!(
        ks.kernels()[k].wide,
        wide && has_wide(op),
        "{op} {d}: the wide path is used exactly where asked and available"
    );
    let mut worst = Worst {
        ulp: 0,
        x: 0.0,
        y: 0.0,
        got: 0.0,
        want: 0.0,
    };
    for reversed in [false, true] {
        let tx = tensor(d, xs, reversed);
        let ty = tensor(d, ys, reversed);
        let ins: Vec<&Tensor> = if binary { vec![&tx, &ty] } else { vec![&tx] };
        let out = ks.run(k, &ins).expect("run");
        assert_eq!(out.shape(), &[xs.len()]);
        let got = out.to_f64_vec();
        // inputs as stored (rounded to the dtype)
        let xv = tx.to_f64_vec();
        let yv = ty.to_f64_vec();
        for i in 0..xs.len() {
            let want = reference(op, d, xv[i], yv[i]);
            let u = ulps(d, got[i], want);
            if u > worst.ulp {
                worst = Worst {
                    ulp: u,
                    x: xv[i],
                    y: yv[i],
                    got: got[i],
                    want,
                };
            }
        }
    }
    worst
}

/// Whether `op` runs through a wide-path helper on this host.
fn has_wide(op: &ScalarOp) -> bool {
    theano_jit::wide_available()
        && matches!(
            op,
            ScalarOp::Exp | ScalarOp::Tanh | ScalarOp::Sigmoid | ScalarOp::Softplus
        )
}

fn ops() -> Vec<ScalarOp> {
    use ScalarOp::*;
    vec![Exp, Log, Log1p, Expm1, Tanh, Sigmoid, Softplus, Pow]
}

/// `wide == false`: the inline 128-bit code; `true`: the wide path's helpers where the host
/// has them (the functions without a helper are then left out).
fn check_all(n: usize, print: bool, wide: bool) {
    let mut bad = Vec::new();
    if print {
        let what = if wide { "wide path" } else { "inline" };
        println!("| function ({what}) | float64 max ulp | float32 max ulp |");
        println!("|---|---|---|");
    }
    for (i, op) in ops().iter().enumerate() {
        if wide && !has_wide(op) {
            continue;
        }
        let mut row = Vec::new();
        for d in [DType::Float64, DType::Float32] {
            let w = study(op, d, n, 1000 + i as u64, wide);
            if w.ulp > MAX_ULP {
                bad.push(format!(
                    "{op} {d}: {} ulp at x={:e} y={:e}: got {:e} want {:e}",
                    w.ulp, w.x, w.y, w.got, w.want
                ));
            }
            if print {
                eprintln!(
                    "{op} {d}: worst {} ulp at x={:e} y={:e}: got {:e} want {:e}",
                    w.ulp, w.x, w.y, w.got, w.want
                );
            }
            row.push(w.ulp);
        }
        if print {
            println!("| {op} | {} | {} |", row[0], row[1]);
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn transcendentals_within_4_ulp() {
    check_all(1 << 17, false, false);
}

#[test]
fn wide_transcendentals_within_4_ulp() {
    if !theano_jit::wide_available() {
        eprintln!("no AVX-512 on this host: the wide path is not built, nothing to check");
        return;
    }
    check_all(1 << 17, false, true);
}

#[test]
#[ignore = "10^7 samples per function and dtype: run in release for the docs table"]
fn transcendentals_table() {
    let n = std::env::var("ULP_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    check_all(n, true, false);
    if theano_jit::wide_available() {
        check_all(n, true, true);
    }
}

#[test]
fn ulp_metric_can_fail() {
    let d = DType::Float64;
    assert_eq!(ulps(d, 1.0, 1.0), 0);
    assert_eq!(ulps(d, 1.0 + f64::EPSILON, 1.0), 1);
    assert_eq!(ulps(d, f64::from_bits(1), -f64::from_bits(1)), 2);
    assert_eq!(ulps(d, 0.0, -0.0), u64::MAX);
    assert_eq!(ulps(d, f64::NAN, 1.0), u64::MAX);
    assert_eq!(ulps(d, f64::MAX, f64::INFINITY), u64::MAX);
    assert_eq!(ulps(DType::Float32, 1.0 + f32::EPSILON as f64, 1.0), 1);
    let _ = IxDyn(&[1]);
}

/// The worst distance, in ulps, of the catalogue's functions (Theano 1.0's sin ... tri_gamma:
/// helper calls into `theano_interp::special`'s table, so the JIT's values are the
/// interpreter's) from the correctly rounded values of `tests/catalogue/refs.txt` (mpmath at
/// 60 digits, `tests/catalogue/gen.py`), through `KernelSet` (flat loop and a reversed
/// strided view), per function and dtype: (name, float64 worst, float32 worst, worst x).
fn catalogue_study() -> Vec<(String, u64, u64, f64, f64)> {
    let text = include_str!("catalogue/refs.txt");
    let mut by_fn: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (x, y): (f64, f64) = (f[1].parse().expect("x"), f[2].parse().expect("f(x)"));
        match by_fn.last_mut() {
            Some((n, v)) if n == f[0] => v.push((x, y)),
            _ => by_fn.push((f[0].to_string(), vec![(x, y)])),
        }
    }
    let mut rows = Vec::new();
    for (name, pts) in by_fn {
        let op = ScalarOp::from_name(&name).expect("a catalogue op");
        let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let mut worst = [(0u64, 0.0f64); 2];
        for (k, d) in [DType::Float64, DType::Float32].into_iter().enumerate() {
            let mut ks = KernelSet::new(false).expect("jit");
            let kn = ks.add(&op, &[d], &[false], d).expect("lowered");
            ks.finalize().expect("finalize");
            for reversed in [false, true] {
                let tx = tensor(d, &xs, reversed);
                let got = ks.run(kn, &[&tx]).expect("run").to_f64_vec();
                for (i, &(x, want)) in pts.iter().enumerate() {
                    let want = if d == DType::Float32 {
                        want as f32 as f64
                    } else {
                        want
                    };
                    let u = ulps(d, got[i], want);
                    if u > worst[k].0 {
                        worst[k] = (u, x);
                    }
                }
            }
        }
        rows.push((name, worst[0].0, worst[1].0, worst[0].1, worst[1].1));
    }
    rows
}

/// The bound each catalogue function is held to (float64, float32): the measured worst
/// cases of docs/JIT.md's table, rounded up. psi cancels between its recurrence and series
/// below about 1.2 and above 1.7 (its Taylor series covers the root's neighbourhood), musl's
/// lgamma loses digits near its negative zeros; float32 computes in float64 and rounds once.
fn catalogue_bound(name: &str) -> (u64, u64) {
    match name {
        "psi" => (16, 1),
        "gammaln" => (32, 1),
        "gamma" | "tri_gamma" => (8, 1),
        _ => (2, 1),
    }
}

#[test]
fn catalogue_against_mpmath() {
    let mut bad = Vec::new();
    for (name, u64w, u32w, x64, x32) in catalogue_study() {
        let (b64, b32) = catalogue_bound(&name);
        if u64w > b64 || u32w > b32 {
            bad.push(format!(
                "{name}: float64 {u64w} ulp (at {x64:e}), float32 {u32w} ulp (at {x32:e})"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `cargo test -p theano-jit --test ulp catalogue_ulp_table -- --ignored --nocapture`: the
/// catalogue rows of docs/JIT.md.
#[test]
#[ignore]
fn catalogue_ulp_table() {
    println!(
        "| function | float64 max ulp | float32 max ulp | float64 worst x | float32 worst x |"
    );
    println!("|---|---|---|---|---|");
    for (name, a, b, xa, xb) in catalogue_study() {
        println!("| {name} | {a} | {b} | {xa:e} | {xb:e} |");
    }
}
