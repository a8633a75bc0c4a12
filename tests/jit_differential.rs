//! Differential testing of the JIT linker, and of the GPU runtime on theano-ptx's emulator
//! (`gpu_runtime_on_the_emulator_agrees_with_the_interpreter`, a quarter of the cases; its
//! failures in proptest-regressions/cuda_differential.txt), against the interpreter:
//! random graphs from the
//! generator of tests/differential.rs (tests/common/graphgen.rs: every op family, all 8
//! dtypes), each compiled twice through the facade with the same optimizer (fast_run), once
//! on `linker=jit` and once on `linker=interp`, and called on the same values. The inputs'
//! shapes vary per case (a dimension of 3 becomes 0, 1, 3 or 4, one of 2 becomes 0, 1 or 2:
//! zero-size and length-1, broadcast, dimensions), and each input is laid out C-contiguous,
//! Fortran-order (a transposed buffer) or with a negative stride (a reversed view).
//!
//! The outputs must agree: same dtype and shape; integers and booleans exactly; floats NaN
//! where NaN, infinities exactly, and otherwise within `ULPS` = 4 ulp of the magnitude of
//! the computation (4 machine epsilons of the largest finite value the graph computes, or of
//! the value itself when larger). The JIT's inline transcendentals are within 4 ulp of libm
//! (docs/JIT.md); a fused chain can amplify that relative to its own result through
//! cancellation (a kept regression: 9 ulp of a result 1.8e-3 computed from values of 3e4), so
//! the bound is in ulps of the computation's magnitude, not of the result. It is also far
//! inside rtol 1e-12 (float64) and 1e-5 (float32) for reductions and dot products. Runs of
//! 40,000 cases pass at this bound.
//!
//! Elements where that bound cannot hold are not compared: the reference graph is evaluated
//! again four times with every value that the two linkers may round differently (the
//! transcendentals, softmax and the crossentropy ops, sums, products and dot products)
//! nudged by 4 ulp, or by 4 epsilons of the terms it is a difference of when larger (see
//! `rounding`: a log-softmax entry is `x - max - log(sum)`), up, down and in two random
//! sign patterns, and an element that any such nudge moves by more than twice the bound (or
//! into or out of NaN or infinity) is ill-conditioned at these inputs. Kept regressions:
//! `pow(expm1(1), 200)`, where expm1's last bit becomes 117 ulp of the result, and
//! `int_div(-1, log(softmax(r)))` where the largest softmax entry is 1 on one linker and
//! `1 - 2^-53` on the other, and `m*m / (m*log_softmax(r))` where an entry of -1.2e-16 is 0 on
//! one linker (a row sum rounded to 1). When both linkers fail, their messages must be equal,
//! or equal up to the numbers in them where a nudge changes the reference graph's message (an
//! index computed as `int(log1p(exp(x)))` was 38 on one linker and 39 on the other).
//! Float32 epsilon applies to every float output once the graph computes a float32 value.
//! Errors must agree: when one linker fails (a shape mismatch, an index out of range) the
//! other must fail too, with the same typed error and message, up to the numbers as above
//! (about a fifth of the cases fail; a panic fails the test). Failures
//! shrink and are kept in proptest-regressions/jit_differential.txt. Cases per run:
//! `PROPTEST_CASES` (500 by default).

#[path = "common/graphgen.rs"]
mod graphgen;

use graphgen::*;
use proptest::prelude::*;
use theano::debugmode::Evaluator;
use theano::ir::fgraph::FunctionGraph;
use theano::ir::{ReduceKind, ScalarOp};
use theano::{compile, DType, Function, LinkerKind, Mode, OnUnused, Op, Tensor, Variable};
use theano_tensor::ndarray::Axis;

/// Tolerance in machine epsilons of the computation's magnitude.
const ULPS: f64 = 4.0;

/// The linker compared with the interpreter: the JIT, or the GPU runtime (theano-cuda's, the
/// code `linker=cuda` runs) on theano-ptx's emulator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Other {
    Jit,
    GpuEmu,
}

fn build_fn(
    ins: &[Variable],
    outs: &[Variable],
    linker: LinkerKind,
    emu: bool,
) -> Result<Function, String> {
    let refs: Vec<&Variable> = ins.iter().collect();
    let b = compile(&refs, outs.to_vec())
        .mode(Mode {
            linker,
            ..Mode::default()
        })
        .on_unused_input(OnUnused::Ignore);
    let b = if emu {
        b.linker(Box::new(theano_cuda::emulated::EmuLinker::default()))
    } else {
        b
    };
    b.build().map_err(|e| e.to_string())
}

/// The largest finite magnitude among the graph's inputs and every value it computes
/// (evaluated unoptimized by the interpreter), at least 1.
fn magnitude(fg: &FunctionGraph, args: &[Tensor]) -> f64 {
    let refs: Vec<&Tensor> = args.iter().collect();
    let mut ev = Evaluator::new(fg, &refs);
    let mut m = 1.0f64;
    let mut see = |t: &Tensor| {
        for x in t.to_f64_vec() {
            if x.is_finite() {
                m = m.max(x.abs());
            }
        }
    };
    for a in args {
        see(a);
    }
    for n in fg.toposort() {
        for &o in fg.node_outputs(n) {
            if let Ok(t) = ev.eval(o) {
                see(t);
            }
        }
    }
    m
}

/// `t` laid out per `layout`: 0 C-contiguous, 1 Fortran-order (rank 2), 2 reversed first axis
/// (a negative stride; the values are permuted, which does not matter for random values).
fn laid_out(t: Tensor, layout: u8) -> Tensor {
    match (t.shape().len(), layout % 3) {
        (2, 1) => theano_tensor::map_array!(&t, a => {
            let c = a.t().as_standard_layout().into_owned();
            c.reversed_axes()
        }),
        (n, 2) if n > 0 => theano_tensor::map_array!(&t, a => {
            let mut b = a.clone();
            b.invert_axis(Axis(0));
            b
        }),
        _ => t,
    }
}

/// Input values: the generator's pools, with the per-case shape scheme and layouts.
fn case_values(seed: u64, scheme: u8, layouts: u32) -> Vec<Tensor> {
    let n3 = [3usize, 3, 1, 0, 4][scheme as usize % 5];
    let n2 = [2usize, 2, 1, 0][(scheme / 5) as usize % 4];
    let specs = input_specs();
    values_shaped(seed, |name, shape| {
        let ty = &specs.iter().find(|s| s.0 == name).unwrap().1;
        shape
            .iter()
            .enumerate()
            .map(|(i, &d)| match d {
                _ if ty.is_broadcastable(i) => d,
                3 => n3,
                2 => n2,
                _ => d,
            })
            .collect()
    })
    .into_iter()
    .enumerate()
    .map(|(i, t)| laid_out(t, (layouts >> (2 * (i % 16))) as u8 & 3))
    .collect()
}

/// The largest finite magnitude in `t` (0 when it has none).
fn largest(t: &Tensor) -> f64 {
    t.to_f64_vec()
        .into_iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |m, x| m.max(x.abs()))
}

/// How output `out` of a node may differ between the linkers by rounding alone, as the
/// absolute scale of one epsilon at each element (`None`: not at all); `largest_in(i)` is
/// the largest finite magnitude in the node's input i.
/// Transcendentals and softmax values round relative to themselves (scale 0: the element's
/// own magnitude). The others are differences of larger terms, and their scale is those
/// terms': sums and products of their largest input, dot products of the product of their
/// inputs' largest, log-softmax and the crossentropy of `x + b - max - log(sum)` (a row's
/// sum is at least 1), its gradient of `dnll * (sm - 1)`. A log-softmax entry of -1.2e-16
/// is `log(1)` on one linker and `log(1 + 2^-52)` on the other (a kept regression).
fn rounding(op: &Op, out: usize, largest_in: &mut dyn FnMut(usize) -> f64) -> Option<f64> {
    match op {
        Op::Elemwise { scalar, .. } => matches!(
            scalar,
            ScalarOp::Exp
                | ScalarOp::Log
                | ScalarOp::Log1p
                | ScalarOp::Expm1
                | ScalarOp::Tanh
                | ScalarOp::Sigmoid
                | ScalarOp::Softplus
                | ScalarOp::Pow
        )
        .then_some(0.0),
        Op::Softmax => Some(0.0),
        Op::LogSoftmax => Some(largest_in(0).max(1.0)),
        Op::CrossentropySoftmaxArgmax1HotWithBias if out == 0 => {
            Some((largest_in(0) + largest_in(1)).max(1.0))
        }
        Op::CrossentropySoftmaxArgmax1HotWithBias => Some(0.0),
        Op::CrossentropySoftmax1HotWithBiasDx => Some(largest_in(0)),
        Op::Reduce {
            kind: ReduceKind::Sum | ReduceKind::Prod,
            ..
        } => Some(largest_in(0)),
        Op::Dot => Some(largest_in(0) * largest_in(1)),
        _ => None,
    }
}

/// `t` with every float element moved by `ULPS` epsilons of itself or of `scale` when
/// larger, in the direction `sign(i)` of element i.
fn nudged(t: &Tensor, scale: f64, sign: &dyn Fn(usize) -> f64) -> Tensor {
    let d = t.dtype();
    if !d.is_float() {
        return t.clone();
    }
    let eps = epsilon(d == DType::Float32);
    let v: Vec<f64> = t
        .to_f64_vec()
        .into_iter()
        .enumerate()
        .map(|(i, x)| x + sign(i) * ULPS * eps * scale.max(x.abs()))
        .collect();
    Tensor::from_f64_vec(d, t.shape(), v).unwrap()
}

/// The reference graph's outputs at `args`, or its error's message. With `sign`, every value
/// the linkers may round differently is nudged (see `rounding`) in the direction `sign(i)` of
/// its element i.
fn evaluate(
    fg: &FunctionGraph,
    args: &[Tensor],
    sign: Option<fn(usize) -> f64>,
) -> Result<Vec<Tensor>, String> {
    let refs: Vec<&Tensor> = args.iter().collect();
    let mut ev = Evaluator::new(fg, &refs);
    if let Some(sign) = sign {
        for n in fg.toposort() {
            let ins = fg.node_inputs(n);
            for (k, &o) in fg.node_outputs(n).iter().enumerate() {
                // an input that fails leaves this output failing too
                let mut largest_in = |i: usize| ev.eval(ins[i]).map_or(0.0, largest);
                let Some(scale) = rounding(fg.op(n), k, &mut largest_in) else {
                    continue;
                };
                let t = nudged(ev.eval(o).map_err(|e| e.to_string())?, scale, &sign);
                ev.bind(o, t);
            }
        }
    }
    fg.outputs()
        .iter()
        .map(|&o| ev.eval(o).cloned().map_err(|e| e.to_string()))
        .collect()
}

/// A pseudo-random sign for element `i`.
fn pattern(i: usize, salt: u64) -> f64 {
    let h = (i as u64 ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    if (h >> 32) & 1 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// The probe's nudges: every element up, every element down, and two sign patterns.
const NUDGES: [fn(usize) -> f64; 4] = [
    |_| 1.0,
    |_| -1.0,
    |i| pattern(i, 0x5151),
    |i| pattern(i, 0xA7A7),
];

/// By output, by element: whether a nudge of the values the linkers may round differently
/// moves the reference result by more than the comparison's bound (see the module's doc).
fn ill_conditioned(fg: &FunctionGraph, args: &[Tensor], eps: f64, mag: f64) -> Vec<Vec<bool>> {
    let Ok(base) = evaluate(fg, args, None) else {
        return Vec::new();
    };
    let mut bad: Vec<Vec<bool>> = base.iter().map(|t| vec![false; t.len()]).collect();
    for sign in NUDGES {
        let Ok(probe) = evaluate(fg, args, Some(sign)) else {
            continue;
        };
        for ((b, p), flags) in base.iter().zip(&probe).zip(&mut bad) {
            let eps = eps.max(epsilon(b.dtype() == DType::Float32));
            let float = b.dtype().is_float();
            for ((x, y), f) in b.to_f64_vec().into_iter().zip(p.to_f64_vec()).zip(flags) {
                *f |= if float {
                    !close(y, x, 2.0 * ULPS * eps * mag.max(x.abs()))
                } else {
                    x != y
                };
            }
        }
    }
    bad
}

/// Whether the reference graph's failure at `args` depends on rounding: under some nudge it
/// fails with another message, or not at all. `false` where the reference graph succeeds.
fn failure_is_ill_conditioned(fg: &FunctionGraph, args: &[Tensor]) -> bool {
    let Err(base) = evaluate(fg, args, None) else {
        return false;
    };
    NUDGES
        .iter()
        .any(|&sign| evaluate(fg, args, Some(sign)).err().as_ref() != Some(&base))
}

/// `s` with every run of digits replaced by `#`.
fn mask_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// Element `p` (JIT) agrees with `q` (interpreter) within `tol` absolute.
fn close(p: f64, q: f64, tol: f64) -> bool {
    if p.is_nan() || q.is_nan() {
        return p.is_nan() && q.is_nan();
    }
    if p.is_infinite() || q.is_infinite() {
        return p == q;
    }
    (p - q).abs() <= tol
}

/// `jit` agrees with `interp` within `ULPS` epsilons of `mag` (or of the value when larger),
/// except at the elements `skip` marks.
fn compare(
    jit: &Tensor,
    interp: &Tensor,
    tol_eps: f64,
    mag: f64,
    skip: &[bool],
) -> Result<(), String> {
    if jit.dtype() != interp.dtype() || jit.shape() != interp.shape() {
        return Err(format!(
            "dtype/shape {:?}{:?} (jit) vs {:?}{:?} (interp)",
            jit.dtype(),
            jit.shape(),
            interp.dtype(),
            interp.shape()
        ));
    }
    let d = jit.dtype();
    if !d.is_float() {
        let (p, q) = (jit.to_i64_vec(), interp.to_i64_vec());
        let same = p
            .iter()
            .zip(&q)
            .enumerate()
            .all(|(e, (a, b))| a == b || skip.get(e).copied().unwrap_or(false));
        return if same {
            Ok(())
        } else {
            Err(format!(
                "integers differ: {jit:?} (jit) vs {interp:?} (interp)"
            ))
        };
    }
    let eps = tol_eps.max(epsilon(d == DType::Float32));
    for (e, (p, q)) in jit
        .to_f64_vec()
        .into_iter()
        .zip(interp.to_f64_vec())
        .enumerate()
    {
        if !skip.get(e).copied().unwrap_or(false) && !close(p, q, ULPS * eps * mag.max(q.abs())) {
            return Err(format!(
                "element {e}: {p:e} (jit) vs {q:e} (interp), magnitude {mag:e}\n\
                 jit {jit:?}\ninterp {interp:?}"
            ));
        }
    }
    Ok(())
}

/// Build the recipe's graph, compile it on both linkers and compare the results on `args`.
fn check(
    recipe: &[Step],
    n_out: usize,
    args: Vec<Tensor>,
    other: Other,
) -> Result<(), TestCaseError> {
    let ins = inputs();
    let mut pool = ins.clone();
    for &st in recipe {
        if let Some(v) = build(&pool, st) {
            pool.push(v);
        }
    }
    if pool.len() == ins.len() {
        return Ok(());
    }
    let outs: Vec<Variable> = pool[ins.len()..]
        .iter()
        .rev()
        .take(n_out)
        .cloned()
        .collect();
    check_outputs(&ins, &outs, args, other)
}

fn check_outputs(
    ins: &[Variable],
    outs: &[Variable],
    args: Vec<Tensor>,
    other: Other,
) -> Result<(), TestCaseError> {
    let original = FunctionGraph::from_outputs(ins, outs).unwrap();
    let text = original.to_text();
    let fi = build_fn(ins, outs, LinkerKind::Interp, false);
    let fj = build_fn(ins, outs, LinkerKind::Jit, other == Other::GpuEmu);
    let (fi, fj) = match (fi, fj) {
        (Ok(i), Ok(j)) => (i, j),
        (Err(_), Err(_)) => return Ok(()),
        (i, j) => {
            return Err(TestCaseError::fail(format!(
                "compiles differently: interp {:?}, jit {:?}\n{text}",
                i.err(),
                j.err()
            )))
        }
    };
    let ri = fi.call(&args);
    let rj = fj.call(&args);
    let (ri, rj) = match (ri, rj) {
        (Ok(i), Ok(j)) => (i, j),
        // the same error: the JIT runs the interpreter for a step its kernel refuses; its
        // numbers may differ only where a nudge changes the reference's error (an index
        // computed from rounded values, as elements may; see the module's doc)
        (Err(i), Err(j)) => {
            let (i, j) = (i.to_string(), j.to_string());
            if i != j {
                prop_assert!(
                    mask_numbers(&i) == mask_numbers(&j)
                        && failure_is_ill_conditioned(&original, &args),
                    "errors differ: {} (interp) vs {} (jit)\ninputs {:?}\n{}",
                    i,
                    j,
                    args,
                    text
                );
            }
            return Ok(());
        }
        (i, j) => {
            return Err(TestCaseError::fail(format!(
                "fails differently: interp {:?}, jit {:?}\ninputs {args:?}\n{text}",
                i.err().map(|e| e.to_string()),
                j.err().map(|e| e.to_string())
            )))
        }
    };
    let loose = text.lines().skip(1).any(|l| l.contains("float32"));
    let eps = epsilon(loose);
    let mag = magnitude(&original, &args);
    let skip = ill_conditioned(&original, &args, eps, mag);
    prop_assert_eq!(ri.len(), rj.len());
    for (k, (j, i)) in rj.iter().zip(&ri).enumerate() {
        let skip = skip.get(k).map_or(&[][..], Vec::as_slice);
        if let Err(e) = compare(j, i, eps, mag, skip) {
            return Err(TestCaseError::fail(format!(
                "output {k}: {e}\ninputs {args:?}\n{text}\njit graph:\n{}",
                fj.dump_ir()
            )));
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/jit_differential.txt",
            ),
        )),
        ..ProptestConfig::with_cases(cases())
    })]
    #[test]
    fn jit_agrees_with_the_interpreter(
        recipe in prop::collection::vec(step(), 1..20),
        n_out in 1usize..3,
        seed in any::<u64>(),
        scheme in any::<u8>(),
        layouts in any::<u32>(),
    ) {
        check(&recipe, n_out, case_values(seed, scheme, layouts), Other::Jit)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/cuda_differential.txt",
            ),
        )),
        ..ProptestConfig::with_cases(cases() / 4)
    })]
    /// The same random graphs on the GPU runtime over theano-ptx's emulator (its PTX
    /// kernels, launch plans, BLAS calls in cuBLAS's terms and fallbacks), a quarter of the
    /// cases (the emulator interprets every GPU thread). The messages below say `jit` for
    /// the linker compared.
    #[test]
    fn gpu_runtime_on_the_emulator_agrees_with_the_interpreter(
        recipe in prop::collection::vec(step(), 1..20),
        n_out in 1usize..3,
        seed in any::<u64>(),
        scheme in any::<u8>(),
        layouts in any::<u32>(),
    ) {
        check(&recipe, n_out, case_values(seed, scheme, layouts), Other::GpuEmu)?;
    }
}

/// The layouts reach what they claim: Fortran order, negative strides, zero-size and
/// length-1 dimensions.
#[test]
fn layouts_and_shapes_are_varied() {
    let mut fortran = false;
    let mut negative = false;
    let mut zero = false;
    let mut one = false;
    for scheme in 0..20u8 {
        for layouts in [0u32, 0x5555_5555, 0xAAAA_AAAA] {
            for t in case_values(7, scheme, layouts) {
                let s = t.strides();
                fortran |= t.shape().len() == 2 && t.shape()[0] > 1 && s[0] == 1;
                negative |= s.iter().any(|&x| x < 0);
                zero |= t.shape().contains(&0);
                one |= t.shape().len() == 2 && t.shape()[0] == 1 && t.shape()[1] == 1;
            }
        }
    }
    assert!(fortran && negative && zero && one);
}

/// The random graphs again with the native code capped at AVX2+FMA and at x86-64's baseline
/// (crates/jit/src/cpu.rs; 250 cases each), as child runs of this test binary with
/// `THEANO_JIT_CPU` set.
#[test]
fn agrees_at_lower_cpu_levels() {
    if std::env::var_os("THEANO_JIT_CPU").is_some() {
        return; // a child run
    }
    for cap in ["avx2", "baseline"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "jit_agrees_with_the_interpreter"])
            .env("THEANO_JIT_CPU", cap)
            .env("PROPTEST_CASES", "250")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("test result: ok. 1 passed"),
            "THEANO_JIT_CPU={cap}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The conditioning probe itself: a well-conditioned graph has no element skipped, so the
/// comparison still covers it; `pow(expm1(x), 200)` amplifies expm1's last bits ~200 times,
/// which is skipped where the result is the graph's magnitude (x = 1: 1e47) and not where it
/// is far below it (x = -1, 0.5: under 1e-37, where 4 ulp of the magnitude bound anything);
/// an input scaled is never skipped.
#[test]
fn the_probe_skips_only_ill_conditioned_elements() {
    use theano::tensor as T;
    let x = T::dvector("x");
    let probe_at = |values: Vec<f64>, out: Variable| {
        let args = [Tensor::from_f64_vec(DType::Float64, &[values.len()], values).unwrap()];
        let fg = FunctionGraph::from_outputs(std::slice::from_ref(&x), &[out]).unwrap();
        let mag = magnitude(&fg, &args);
        ill_conditioned(&fg, &args, f64::EPSILON, mag)
    };
    let probe = |out: Variable| probe_at(vec![-1.0, 0.5, 1.0], out);
    let smooth = T::exp(&x) * 2.0 + T::tanh(&x);
    assert_eq!(probe(smooth), vec![vec![false; 3]]);
    let amplified = T::expm1(&x).pow(200);
    assert_eq!(probe(amplified), vec![vec![false, false, true]]);
    assert_eq!(probe(&x * 3.0), vec![vec![false; 3]]);
    // The CI's regression: log_softmax([3, 2, 40, 0])[2] is -1.2e-16, the log of a row sum
    // that one linker rounds to 1 and the other to 1 + 2^-52, and a quotient by it is skipped.
    // The row's other entries are not (the last is 0/0, NaN under every nudge).
    let quotient = &x * &x / (&x * T::log_softmax(&x).unwrap());
    let skipped = probe_at(vec![3.0, 2.0, 40.0, 0.0], quotient);
    assert_eq!(skipped, vec![vec![false, false, true, false]]);
}

/// Errors: one whose numbers come from rounded values may differ between the linkers in those
/// numbers, one whose numbers do not may not. `alloc(0, -int(log1p(exp(x))))` fails with a
/// negative dimension; at x = 39 - 1 ulp that dimension is -38, and -39 once log1p's result
/// moves up by 4 ulp; at x = 20.5 it is -20 under every nudge, and at x = -50 the allocation
/// succeeds (a dimension of 0).
#[test]
fn the_probe_tells_which_errors_depend_on_rounding() {
    use theano::tensor as T;
    let x = T::dscalar("x");
    let n = T::cast(T::log1p(T::exp(&x)) * -1.0, DType::Int64);
    let out = T::alloc(0.0, &[n]).unwrap();
    let fg = FunctionGraph::from_outputs(std::slice::from_ref(&x), &[out]).unwrap();
    let at = |v: f64| failure_is_ill_conditioned(&fg, &[Tensor::from(v)]);
    assert!(at(39.0 - 2f64.powi(-47)));
    assert!(!at(20.5));
    assert!(!at(-50.0));
}
