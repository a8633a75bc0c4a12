//! Differential testing of the optimizer: random graphs over every op family the builders
//! offer (every scalar op incl. integer, bool, bitwise, comparison, floor-div and mod, casts to
//! every dtype, every reduction, max/argmax, mean, reshape/flatten, join, alloc, arange,
//! make_vector, shape, basic and advanced indexing with inc/set, dot in every rank, softmax,
//! and the patterns the stabilize/specialize rewrites look for) on inputs of all 8 dtypes,
//! evaluated with the interpreter (the DebugMode evaluator) before and after `optimize`.
//!
//! The outputs must agree: same dtype and shape; integers and booleans exactly; floats within
//! rounding (NaN equals NaN; float64 rtol 1e-12, float32 rtol 1e-5, each with a tiny atol;
//! float32 tolerance for every float output once the graph computes a float32 value). When
//! they do not (or the optimized graph fails where the original did not), the difference is
//! accepted only in two cases, decided by replaying the replacement log as DebugMode does,
//! each replacement in isolation (the later ones undone, [`isolated`]):
//!
//! - amplified rounding: every replacement computes its replaced value to rounding, and an
//!   ill-conditioned op downstream (`pow` of a negative base, `floor`, a comparison) made the
//!   rounding visible;
//! - a tagged rewrite's documented change: some replacement by a `stabilize` or `unsafe_math`
//!   rewrite differs, every such replacement differs only where its old value is non-finite,
//!   is the log of a subnormal number (`stabilize`), or, for a replaced sum or difference,
//!   within a few epsilons of its largest operand at that element (catastrophic cancellation:
//!   `1 - sigmoid(x)` that a stabilization removes, `(a + b) - a` that an `unsafe_math`
//!   cancellation drops), and the same graph
//!   optimized with `optimizer_excluding=unsafe_math,stabilize` agrees with the original.
//!
//! A graph whose unoptimized evaluation fails (a runtime shape mismatch, an index out of
//! range) is skipped, and so is one that broadcasts a dimension its type declares
//! non-broadcastable (Theano refuses that at run time and the BLAS rewrites rely on it; the
//! interpreter follows numpy). A dimension that is the constant 1 (`alloc(v, 1, n)`,
//! `reshape(x, (1, -1))`, which the generator builds) is typed broadcastable, as Theano types
//! it, so those graphs are checked, not skipped. A failure names the first replacement that differs. Failures
//! shrink to a minimal recipe and are kept in proptest-regressions/differential.txt; the
//! regression tests at the end replay the ones that were rewrite bugs.

#[path = "common/graphgen.rs"]
mod graphgen;

use graphgen::*;
use proptest::prelude::*;
use theano::debugmode::Evaluator;
use theano::ir::fgraph::FunctionGraph;
use theano::ir::{Idx, ScalarOp as S};
use theano::tensor as T;
use theano::{DType, Tensor, Variable};
use theano_opt::{optimize, Config, Report};

/// Rewrites this test found wrong and that are not fixed yet (none).
const KNOWN_BAD: &[&str] = &[];

/// Strict closeness: rounding only. `loose`: the graph computes float32 intermediates, whose
/// rounding reaches float64 outputs too, so every float output is compared at float32's
/// tolerance.
fn close_elem(x: f64, y: f64, dtype: DType, loose: bool) -> bool {
    let (rtol, atol) = match dtype {
        DType::Float64 if !loose => (1e-12, 1e-12),
        _ => (1e-5, 1e-6),
    };
    (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= atol + rtol * y.abs()
}

/// The two values agree to rounding (integers and booleans exactly).
fn agree(a: &Tensor, b: &Tensor, loose: bool) -> bool {
    explained(a, b, loose, (false, false), &[])
}

/// Every element of `new` agrees with `old` to rounding, or differs in a way a rewrite with
/// the tags `(stabilize, unsafe_math)` may make: a non-finite `old` (either tag), an `old`
/// that is the log of a subnormal number (`log(softmax(x))` where `log_softmax` is exact;
/// `stabilize`), or an error within a few epsilons of `scale[e]` (the catastrophic cancellation
/// that a stabilization removes, `1 - sigmoid(x)`, or that an `unsafe_math` cancellation
/// drops, `(a + b) - a`).
fn explained(old: &Tensor, new: &Tensor, loose: bool, tags: (bool, bool), scale: &[f64]) -> bool {
    if old.dtype() != new.dtype() || old.shape() != new.shape() {
        return false;
    }
    let d = old.dtype();
    if !d.is_float() {
        return old.to_i64_vec() == new.to_i64_vec();
    }
    let eps = epsilon(d == DType::Float32 || loose);
    // the log of the smallest normal number: a log beyond it is the log of an underflowed
    // (subnormal) value, which has lost its precision
    let log_tiny = if d == DType::Float32 || loose {
        -(f32::MIN_POSITIVE as f64).ln()
    } else {
        -f64::MIN_POSITIVE.ln()
    };
    let (stabilize, unsafe_math) = tags;
    old.to_f64_vec()
        .iter()
        .zip(new.to_f64_vec())
        .enumerate()
        .all(|(e, (&x, y))| {
            let scale = scale.get(e).copied().unwrap_or(0.0);
            close_elem(x, y, d, loose)
                || (!x.is_finite() && (stabilize || unsafe_math))
                || (stabilize && x.abs() >= log_tiny)
                || ((stabilize || unsafe_math)
                    && x.is_finite()
                    && (x - y).abs() <= 16.0 * eps * scale)
        })
}

/// The tags `(stabilize, unsafe_math)` of the rewrite named `name`.
fn tags_of(name: &str) -> (bool, bool) {
    theano_opt::REWRITES
        .iter()
        .find(|r| r.name == name)
        .map_or((false, false), |r| {
            (
                r.tags.contains(&"stabilize"),
                r.tags.contains(&"unsafe_math"),
            )
        })
}

/// The values of replacement `k` of `fg`'s log, `(old, new)`, in the graph as it was right
/// after it: every later replacement undone (its new value bound to its old value, last first),
/// so a later rewrite's change does not show up as this one's.
fn isolated(
    fg: &FunctionGraph,
    args: &[Tensor],
    k: usize,
) -> (Result<Tensor, String>, Result<Tensor, String>, Vec<f64>) {
    let refs: Vec<&Tensor> = args.iter().collect();
    let h = fg.history();
    let mut bound: Vec<(theano::ir::fgraph::Value, Tensor)> = Vec::new();
    let fresh = |bound: &[(theano::ir::fgraph::Value, Tensor)]| {
        let mut ev = Evaluator::new(fg, &refs);
        for (v, t) in bound {
            ev.bind(*v, t.clone());
        }
        ev
    };
    // undoing replacement j changes what an earlier-undone one read (a fusion after a
    // stabilization froze the stabilized value), so repeat until nothing changes
    for _ in k + 1..h.len() {
        let mut next: Vec<(theano::ir::fgraph::Value, Tensor)> = Vec::new();
        for j in (k + 1..h.len()).rev() {
            if let Ok(t) = fresh(&bound).eval(h[j].old).cloned() {
                next.push((h[j].new, t));
            }
        }
        let same = next.len() == bound.len()
            && next
                .iter()
                .zip(&bound)
                .all(|(a, b)| a.0 == b.0 && theano::ir::fgraph::tensors_bit_equal(&a.1, &b.1));
        bound = next;
        if same {
            break;
        }
    }
    let mut ev = fresh(&bound);
    let old = ev.eval(h[k].old).cloned().map_err(|e| e.to_string());
    let new = ev.eval(h[k].new).cloned().map_err(|e| e.to_string());
    let scale = match &old {
        Ok(t) => cancellation_scale(fg, &mut ev, h[k].old, t.shape()),
        Err(_) => vec![],
    };
    (old, new, scale)
}

/// Per element of the value `v` of shape `shape`: when `v` is a sum or difference, the largest
/// finite magnitude among its operands there (the scale of a catastrophic cancellation in it);
/// 0 for any other op.
fn cancellation_scale(
    fg: &FunctionGraph,
    ev: &mut Evaluator<'_>,
    v: theano::ir::fgraph::Value,
    shape: &[usize],
) -> Vec<f64> {
    let n_el: usize = shape.iter().product();
    let mut m = vec![0.0f64; n_el];
    let Some(node) = fg.owner(v) else {
        return m;
    };
    if !matches!(
        fg.op(node),
        theano::ir::Op::Elemwise {
            scalar: S::Add | S::Sub | S::Neg,
            ..
        }
    ) {
        return m;
    }
    for &i in fg.node_inputs(node) {
        let Ok(t) = ev.eval(i) else { continue };
        let (ishape, vals) = (t.shape().to_vec(), t.to_f64_vec());
        if ishape.len() != shape.len() {
            continue;
        }
        for (e, slot) in m.iter_mut().enumerate() {
            // the input's element broadcast to output element e
            let (mut rem, mut idx, mut stride) = (e, 0, 1);
            for d in (0..shape.len()).rev() {
                let k = rem % shape[d];
                rem /= shape[d];
                if ishape[d] != 1 {
                    idx += k * stride;
                }
                stride *= ishape[d];
            }
            if let Some(x) = vals.get(idx).filter(|x| x.is_finite()) {
                *slot = slot.max(x.abs());
            }
        }
    }
    m
}

/// Every replacement made by a `stabilize` or `unsafe_math` rewrite changes its value only in
/// the ways its tag allows (`Ok(true)`: at least one such replacement differs at all).
fn tagged_replacements_explained(
    fg: &FunctionGraph,
    args: &[Tensor],
    loose: bool,
) -> Result<bool, String> {
    let mut any = false;
    for (k, r) in fg.history().iter().enumerate() {
        let tags = tags_of(&r.reason);
        if tags == (false, false) {
            continue;
        }
        let (Ok(old), new, scale) = isolated(fg, args, k) else {
            continue;
        };
        let new = &new.map_err(|e| format!("{} fails: {e}", r.reason))?;
        if !explained(&old, new, loose, tags, &scale) {
            return Err(format!(
                "{} ({} -> {}) changes {old:?} into {new:?}",
                r.reason, r.old, r.new
            ));
        }
        // differs at all (no absolute tolerance: `1 - sigmoid(x)` is 0 where `sigmoid(-x)`
        // is 1e-56, and a division downstream makes that inf against 1e55)
        any |= old.dtype() != new.dtype()
            || old.shape() != new.shape()
            || old
                .to_f64_vec()
                .iter()
                .zip(new.to_f64_vec())
                .any(|(&x, y)| !(x == y || x.is_nan() && y.is_nan()));
    }
    Ok(any)
}

fn eval(fg: &FunctionGraph, args: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let refs: Vec<&Tensor> = args.iter().collect();
    let mut ev = Evaluator::new(fg, &refs);
    fg.outputs()
        .iter()
        .map(|&o| ev.eval(o).cloned().map_err(|e| e.to_string()))
        .collect()
}

/// Whether a node of `fg` reads a value of more than 32 elements (node by node, before it
/// runs): repeated joins, aranges and outer products grow sizes geometrically, and such a
/// graph is skipped before it exhausts the memory.
fn too_big(fg: &FunctionGraph, args: &[Tensor]) -> bool {
    let refs: Vec<&Tensor> = args.iter().collect();
    let mut ev = Evaluator::new(fg, &refs);
    for n in fg.toposort() {
        for &i in fg.node_inputs(n) {
            if ev.eval(i).is_ok_and(|t| t.len() > 32) {
                return true;
            }
        }
        for &o in fg.node_outputs(n) {
            let _ = ev.eval(o);
        }
    }
    false
}

/// Whether an elementwise node of `fg` broadcasts a dimension its input's type declares
/// non-broadcastable (a length-1 `float64[?]` against length 3). Theano's Elemwise refuses
/// that at run time ("Input dimension mis-match") and the rewrites rely on it (a `Gemv` does
/// not broadcast `y`); the interpreter follows numpy and accepts it, so such a graph is skipped
/// like one that fails.
fn broadcasts_undeclared(fg: &FunctionGraph, args: &[Tensor]) -> bool {
    let refs: Vec<&Tensor> = args.iter().collect();
    let mut ev = Evaluator::new(fg, &refs);
    for n in fg.nodes() {
        if !matches!(fg.op(n), theano::ir::Op::Elemwise { .. }) {
            continue;
        }
        let Ok(out) = ev.eval(fg.node_outputs(n)[0]).map(|t| t.shape().to_vec()) else {
            continue;
        };
        for &i in fg.node_inputs(n) {
            let ty = fg.ty(i);
            let Ok(t) = ev.eval(i) else { continue };
            let shape = t.shape();
            if (0..ty.ndim()).any(|d| !ty.is_broadcastable(d) && shape[d] != out[d]) {
                return true;
            }
        }
    }
    false
}

/// The first replacement (in log order) whose replaced and replacing values, each taken in
/// isolation ([`isolated`]), differ beyond rounding (the outputs' own tolerance): the rewrite to blame. `None`: every replacement
/// computes its replaced value, so a difference in the outputs is rounding amplified by an
/// ill-conditioned op downstream (`pow` of a negative base, `floor`, a comparison).
fn blame(fg: &FunctionGraph, args: &[Tensor], loose: bool) -> Option<String> {
    for (k, r) in fg.history().iter().enumerate() {
        let (Ok(old), new, _) = isolated(fg, args, k) else {
            continue;
        };
        let agree = match new {
            Ok(new) => {
                old.dtype() == new.dtype()
                    && old.shape() == new.shape()
                    && old
                        .to_f64_vec()
                        .iter()
                        .zip(new.to_f64_vec())
                        .all(|(&x, y)| close_elem(x, y, old.dtype(), loose))
            }
            Err(_) => false,
        };
        if !agree {
            return Some(format!("{} ({} -> {})", r.reason, r.old, r.new));
        }
    }
    None
}

fn optimized(
    original: &FunctionGraph,
    excluding: &[&str],
) -> Result<(FunctionGraph, Report), TestCaseError> {
    let mut fg = original.clone();
    let cfg = Config {
        verify: true,
        excluding: excluding.iter().map(|s| s.to_string()).collect(),
        ..Config::default()
    };
    let report = optimize(&mut fg, &cfg)
        .map_err(|e| TestCaseError::fail(format!("{e}\nbefore:\n{}", original.to_text())))?;
    Ok((fg, report))
}

fn check(
    recipe: &[Step],
    n_out: usize,
    args: Vec<Tensor>,
    excluding: &[&str],
) -> Result<Option<Report>, TestCaseError> {
    let ins = inputs();
    let mut pool = ins.clone();
    for &st in recipe {
        if let Some(v) = build(&pool, st) {
            pool.push(v);
        }
    }
    if pool.len() == ins.len() {
        return Ok(None);
    }
    let outs: Vec<Variable> = pool[ins.len()..]
        .iter()
        .rev()
        .take(n_out)
        .cloned()
        .collect();
    check_outputs(&ins, &outs, args, excluding)
}

/// Optimize the graph of `outs` and compare it with the unoptimized one on `args`; `None`
/// when the unoptimized graph cannot be evaluated (and is skipped).
fn check_outputs(
    ins: &[Variable],
    outs: &[Variable],
    args: Vec<Tensor>,
    excluding: &[&str],
) -> Result<Option<Report>, TestCaseError> {
    let original = FunctionGraph::from_outputs(ins, outs).unwrap();
    let (fg, report) = optimized(&original, excluding)?;
    if too_big(&original, &args) {
        return Ok(None);
    }
    let Ok(before) = eval(&original, &args) else {
        return Ok(None);
    };
    if broadcasts_undeclared(&original, &args) {
        return Ok(None);
    }
    let loose = original
        .to_text()
        .lines()
        .skip(1)
        .any(|l| l.contains("float32"));
    let describe = |fg: &FunctionGraph| {
        format!(
            "rewrites: {:?}\nblame: {:?}\ninputs: {args:?}\nbefore:\n{}\nafter:\n{}",
            report.applied,
            blame(fg, &args, loose),
            original.to_text(),
            fg.to_text()
        )
    };
    // a value the optimized graph cannot compute is a difference too (it may come from a
    // tagged rewrite: `x * y / x` is `y` where the original's NaN indexed differently)
    let after = eval(&fg, &args);
    let same = |after: &Result<Vec<Tensor>, String>| match after {
        Ok(a) => before.iter().zip(a).all(|(x, y)| agree(x, y, loose)),
        Err(_) => false,
    };
    if same(&after) {
        return Ok(Some(report));
    }
    // rounding amplified by an ill-conditioned op downstream: every replacement agrees on its
    // own
    if after.is_ok() && blame(&fg, &args, loose).is_none() {
        return Ok(Some(report));
    }
    // a stabilize or unsafe_math rewrite made the difference: each of its replacements
    // changed only what its tag allows, and without those tags the graph agrees
    let tagged = tagged_replacements_explained(&fg, &args, loose);
    prop_assert!(
        tagged == Ok(true),
        "outputs differ: {before:?} before, {after:?} after\ntagged rewrites: {tagged:?}\n{}",
        describe(&fg)
    );
    let mut ex: Vec<&str> = excluding.to_vec();
    ex.extend(["unsafe_math", "stabilize"]);
    let (strict, _) = optimized(&original, &ex)?;
    let after = eval(&strict, &args);
    prop_assert!(
        same(&after) || (after.is_ok() && blame(&strict, &args, loose).is_none()),
        "outputs differ without unsafe_math and stabilize too: {before:?} before, {after:?} \
         after\n{}",
        describe(&strict)
    );
    Ok(Some(report))
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/differential.txt",
            ),
        )),
        ..ProptestConfig::with_cases(2000)
    })]
    #[test]
    fn optimized_graphs_compute_the_same_values(
        recipe in prop::collection::vec(step(), 1..20),
        n_out in 1usize..3,
        seed in any::<u64>(),
    ) {
        check(&recipe, n_out, values(seed), KNOWN_BAD)?;
    }
}

/// Every op code builds something for some operands (the generator reaches every family).
#[test]
fn every_op_code_builds() {
    let ins = inputs();
    for op in 0..N_OPS {
        let built = (0..=255u8).any(|p| {
            (0..ins.len() as u8).any(|a| build(&ins, (op, a, a.wrapping_add(1), 4, p)).is_some())
        });
        assert!(built, "op code {op} never builds");
    }
}

/// The generator is not degenerate: on a fixed sample of recipes most graphs evaluate (so
/// they are compared), and the rewrites the patterns aim at fire.
#[test]
fn the_generator_reaches_the_rewrites() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        prop::collection::vec(step(), 1..10),
        1usize..3,
        any::<u64>(),
    );
    let (mut compared, n) = (0, 400);
    let mut fired: Vec<&str> = Vec::new();
    for _ in 0..n {
        let (recipe, n_out, seed) = strategy.new_tree(&mut runner).unwrap().current();
        if let Some(report) = check(&recipe, n_out, values(seed), &[]).unwrap() {
            compared += 1;
            for (name, _) in report.applied {
                if !fired.contains(&name) {
                    fired.push(name);
                }
            }
        }
    }
    assert!(
        compared * 2 > n,
        "only {compared} of {n} graphs were compared"
    );
    for name in [
        "constant_folding",
        "add_cancel",
        "mul_cancel",
        "dimshuffle_lift",
        "dimshuffle_merge",
        "inv_1_plus_exp",
        "log_sigmoid",
        "log1p",
        "log_softmax",
        "dot_to_blas",
        "gemm_from_sum",
        "ger",
        "elemwise_fusion",
        "shape_i_lift",
    ] {
        assert!(
            fired.contains(&name),
            "{name} never fired; fired: {fired:?}"
        );
    }
}

/// Every dtype appears: the first eight as inputs, the wide unsigned ones from op 34's casts.
#[test]
fn every_dtype_is_an_input() {
    let ins = inputs();
    for d in &DTYPES[..8] {
        assert!(ins.iter().any(|v| v.dtype() == *d), "no {d} input");
    }
    for (p, d) in DTYPES[8..].iter().enumerate() {
        let v = build(&ins, (34, 0, 0, 0, p as u8)).expect("a cast");
        assert_eq!(v.dtype(), *d);
    }
    assert_eq!(DType::ALL.len(), DTYPES.len());
}

/// `values(seed)` with input `name` replaced by `t`.
fn with(seed: u64, name: &str, t: Tensor) -> Vec<Tensor> {
    let mut v = values(seed);
    let i = input_specs().iter().position(|s| s.0 == name).unwrap();
    v[i] = t;
    v
}

fn uv(x: Vec<u8>) -> Tensor {
    Tensor::from(x)
}

// Regressions: the minimal cases this test found, each fixed in crates/opt.

/// `1 / (1 + exp(-u))` of a uint8 `u` became `sigmoid(u)`: the rewrite dropped the inner neg,
/// but `-u` wraps in uint8 (`-3` is 253). Fixed: an integer is cast to float before negating.
#[test]
fn inv_1_plus_exp_of_a_wrapped_neg() {
    check(
        &[(22, 10, 0, 0, 0)],
        1,
        with(1, "uv", uv(vec![3, 0, 200])),
        &[],
    )
    .unwrap();
}

/// `1 - sigmoid(u)` and `log(sigmoid(u))` of a uint8 `u` negated `u` in uint8.
#[test]
fn sigmoid_forms_of_unsigned_integers() {
    for p in [1, 2] {
        check(
            &[(22, 10, 0, 0, p)],
            1,
            with(1, "uv", uv(vec![3, 0, 200])),
            &[],
        )
        .unwrap();
    }
}

/// `m + k * (col(x2) * row(max(r, axis=1)))`: the row is broadcastable (length 1) and the sum
/// broadcast it; `ger` made `CGer(m, k, x2, max)`, which fails on the shapes. Fixed: the outer
/// product must have the result's type.
#[test]
fn ger_of_a_broadcastable_row() {
    check(&[(6, 5, 0, 0, 135), (21, 0, 0, 14, 0)], 1, values(0), &[]).unwrap();
}

/// `-1.0 * dot(bv, bv)` (a bool) became `neg(bool)`, which has no value; and `-1.0 * bm` with
/// an int8 `-128` negated in int8 (wrapping to -128). Fixed: negate in the output's dtype.
#[test]
fn mul_minus_one_of_bool_and_int8() {
    let bm = Tensor::from_shape_vec(&[2, 3], vec![-128i8, 1, 2, 3, 4, 127]).unwrap();
    // -1.0 * dot(bv, bv); -1.0 * bm
    // op 4, p = 192: BINARY[2] (mul) with konst(192) = -1.0 placed first
    let neg_one = 192;
    check(
        &[(8, 6, 6, 0, 0), (4, 14, 0, 0, neg_one)],
        1,
        values(0),
        &[],
    )
    .unwrap();
    check(&[(4, 7, 0, 0, neg_one)], 1, with(0, "bm", bm), &[]).unwrap();
}

/// `uv ** 2` (uint8 ** int8 is int16) became `cast(sqr(uv), int16)`, squaring in uint8
/// (200 ** 2 wrapped to 64). Fixed: `util::mk_in` casts inputs of any other dtype to the
/// output's.
#[test]
fn pow_specialize_of_uint8() {
    // op 26, p = 20: x ** konst(20), 2 as an int8 constant
    check(
        &[(26, 10, 0, 0, 20)],
        1,
        with(0, "uv", uv(vec![2, 3, 200])),
        &[],
    )
    .unwrap();
}

/// `(bm + 1) + (m - outer(x2, v))` with an int8 `bm`: `ger` (and `gemm_from_sum`, which
/// shares the term expansion) expanded the int8 sum into the float64 one, losing its wrap
/// (127 + 1 is -128 in int8). Fixed: a node of another dtype is a term of its own.
#[test]
fn ger_keeps_an_inner_int8_sum() {
    let bm = Tensor::from_shape_vec(&[2, 3], vec![127i8, 1, 2, 3, 4, 127]).unwrap();
    let recipe = [(4, 7, 0, 0, 19), (21, 0, 12, 1, 0), (0, 14, 15, 0, 0)];
    let report = check(&recipe, 1, with(0, "bm", bm), &[]).unwrap().unwrap();
    assert!(report.count("ger") > 0, "{:?}", report.applied);
}

/// `(v - bm[0]) + 0.5 * dot(m.T, x2)` with an int8 `bm`: `gemm_from_sum` re-added the int8
/// term negated in int8 (`-(-128)` wrapped to -128). Fixed: a term is negated only in the
/// sum's dtype (otherwise multiplied by -1 there).
#[test]
fn gemm_from_sum_negates_in_the_sum_dtype() {
    let ins = inputs();
    let (m, v, bm) = (&ins[0], &ins[1], &ins[7]);
    let row = bm.get(&[Idx::from(0i64)]).unwrap();
    let d = T::dot(m.t(), &ins[12]).unwrap();
    let out = ew(
        S::Add,
        vec![
            ew(S::Sub, vec![v.clone(), row]).unwrap(),
            ew(S::Mul, vec![T::constant(0.5), d]).unwrap(),
        ],
    )
    .unwrap();
    let bmv = Tensor::from_shape_vec(&[2, 3], vec![-128i8, 1, 2, 3, -128, 127]).unwrap();
    let report = check_outputs(&ins, &[out], with(0, "bm", bmv), &[])
        .unwrap()
        .unwrap();
    assert!(report.count("gemm_from_sum") > 0, "{:?}", report.applied);
}

/// `(-dot(v, v)) + (-uv)`: `sub_neg_forms` made `(-dot(v, v)) - uv`, but the uint8 `-uv`
/// wraps (`-3` is 253). Fixed: only a neg computed in the sum's dtype is folded.
#[test]
fn sub_neg_forms_of_a_uint8_neg() {
    let ins = inputs();
    let (v, u) = (&ins[1], &ins[10]);
    let nu = ew(S::Neg, vec![u.clone()]).unwrap();
    let out = ew(
        S::Add,
        vec![ew(S::Neg, vec![T::dot(v, v).unwrap()]).unwrap(), nu],
    )
    .unwrap();
    let report = check_outputs(&ins, &[out], with(0, "uv", uv(vec![3, 0, 200])), &[])
        .unwrap()
        .unwrap();
    assert!(report.count("sub_neg_forms") > 0, "{:?}", report.applied);
}

/// `(log(mf - 1) + (m + outer(x2, v))) - log(mf - 1)`: `gemm_from_sum` combined the two log
/// terms to a zero coefficient and dropped them, also with `optimizer_excluding=unsafe_math`
/// (NaN where `mf < 1` became finite). Fixed: a zero coefficient declines; the cancellation is
/// `add_cancel`'s, tagged `unsafe_math`.
#[test]
fn gemm_from_sum_does_not_cancel() {
    let ins = inputs();
    let (m, mf, x2, v) = (&ins[0], &ins[3], &ins[12], &ins[1]);
    let l = ew(
        S::Log,
        vec![ew(S::Add, vec![T::constant(-1.0), mf.clone()]).unwrap()],
    )
    .unwrap();
    let col = x2.dimshuffle(&[Some(0), None]).unwrap();
    let row = v.dimshuffle(&[None, Some(0)]).unwrap();
    let a = ew(S::Add, vec![m.clone(), T::dot(&col, &row).unwrap()]).unwrap();
    let out = ew(S::Sub, vec![ew(S::Add, vec![l.clone(), a]).unwrap(), l]).unwrap();
    let mfv = Tensor::from_shape_vec(&[2, 3], vec![0.5f32, 2.0, -1.0, 3.0, 1.0, 0.0]).unwrap();
    for ex in [&[][..], &["unsafe_math"]] {
        check_outputs(
            &ins,
            std::slice::from_ref(&out),
            with(0, "mf", mfv.clone()),
            ex,
        )
        .unwrap();
    }
}
