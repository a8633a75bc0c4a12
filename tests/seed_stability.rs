//! Issue 12: the seed's logistic regression (notebook cells 40-41, the formula verbatim) stays
//! finite at float32 and with large inputs. `grad` builds the gradient of
//! `p_1 = 1 / (1 + exp(u))` as `g / p_1 * exp(u) / sqr(1 + exp(u))`, which overflows once
//! `u` passes about 88 (float32) or 709 (float64); the stabilize phase (crates/opt/src/sigm.rs)
//! must leave no `exp` divided by a power of `1 + exp` in any optimized gradient.

mod common;

use common::randn;
use theano::ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano::ir::{Operand, ScalarOp};
use theano::tensor as T;
use theano::{compile, grad, DType, Function, Mode, Op, Tensor, Variable};
use theano_grad::{verify_grad, VerifyGradOptions};

/// The seed model at `dtype` (float32: float32 inputs, weights and literals).
struct Model {
    x: Variable,
    y: Variable,
    w: Variable,
    b: Variable,
    prediction: Variable,
    xent: Variable,
    cost: Variable,
    /// d cost / d (w, b, x)
    grads: Vec<Variable>,
    w_update: Variable,
    b_update: Variable,
}

fn model(dtype: DType, w0: &Tensor) -> Model {
    let f32 = dtype == DType::Float32;
    let (x, y) = if f32 {
        (T::fmatrix("x"), T::fvector("y"))
    } else {
        (T::dmatrix("x"), T::dvector("y"))
    };
    let w = theano::try_shared(w0.cast(dtype), Some("w")).unwrap();
    let b = theano::try_shared(Tensor::full(dtype, &[], 0.0), Some("b")).unwrap();
    // the notebook's formula, verbatim
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let prediction = T::gt(&p_1, 0.5);
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
    let l2 = w.pow(2).sum();
    let cost = xent.mean() + if f32 { 0.01f32 * l2 } else { 0.01 * l2 };
    let grads = grad(&cost, &[w.clone(), b.clone(), x.clone()]).unwrap();
    let (w_update, b_update) = if f32 {
        (&w - 0.1f32 * &grads[0], &b - 0.1f32 * &grads[1])
    } else {
        (&w - 0.1 * &grads[0], &b - 0.1 * &grads[1])
    };
    Model {
        x,
        y,
        w,
        b,
        prediction,
        xent,
        cost,
        grads,
        w_update,
        b_update,
    }
}

/// (x, y, w0): 400 x 784 standard-normal inputs times `scale`, 0/1 labels, standard-normal w.
fn data(dtype: DType, scale: f64) -> (Tensor, Tensor, Tensor) {
    let (n, feats) = (400, 784);
    let mut seed = 3;
    let x = randn(&mut seed, n * feats)
        .into_iter()
        .map(|v| v * scale)
        .collect();
    let x = Tensor::from_shape_vec(&[n, feats], x).unwrap().cast(dtype);
    let y = randn(&mut seed, n)
        .into_iter()
        .map(|v| (v > 0.0) as i64 as f64)
        .collect();
    let y = Tensor::from_shape_vec(&[n], y).unwrap().cast(dtype);
    let w0 = Tensor::from_shape_vec(&[feats], randn(&mut seed, feats)).unwrap();
    (x, y, w0)
}

// ---------------------------------------------------------------------------------------
// A structural view of the optimized graph: fgraph values and the instructions inside the
// Composites of fused nodes, one expression DAG.

#[derive(Clone, Copy, PartialEq, Debug)]
enum E {
    /// a value of the function graph
    V(Value),
    /// instruction `k` of the composite of node `n`
    I(Node, usize),
}

/// The scalar op and operands of `e`, when it is an elementwise expression.
fn op_args(fg: &FunctionGraph, e: E) -> Option<(ScalarOp, Vec<E>)> {
    match e {
        E::V(v) => {
            let ValueDef::Output { node, index: 0 } = fg.def(v) else {
                return None;
            };
            // DimShuffles are transparent: they move elements, the ops stay the same
            if let Op::DimShuffle { .. } = fg.op(node) {
                return op_args(fg, E::V(fg.node_inputs(node)[0]));
            }
            let Op::Elemwise { scalar, .. } = fg.op(node) else {
                return None;
            };
            if let ScalarOp::Composite(c) = scalar {
                return op_args(fg, E::I(node, c.instrs().len() - 1));
            }
            let args = fg.node_inputs(node).iter().map(|&i| E::V(i)).collect();
            Some((scalar.clone(), args))
        }
        E::I(node, k) => {
            let Op::Elemwise {
                scalar: ScalarOp::Composite(c),
                ..
            } = fg.op(node)
            else {
                unreachable!("an instruction of a composite node")
            };
            let ins = &c.instrs()[k];
            let args = ins
                .args
                .iter()
                .map(|a| match *a {
                    Operand::Input(i) => E::V(fg.node_inputs(node)[i]),
                    Operand::Temp(t) => E::I(node, t),
                })
                .collect();
            Some((ins.op.clone(), args))
        }
    }
}

/// Every elementwise expression of the graph, composite instructions included.
fn expressions(fg: &FunctionGraph) -> Vec<E> {
    let mut out = Vec::new();
    for n in fg.toposort() {
        match fg.op(n) {
            Op::Elemwise {
                scalar: ScalarOp::Composite(c),
                ..
            } => out.extend((0..c.instrs().len()).map(|k| E::I(n, k))),
            Op::Elemwise { .. } => out.extend(fg.node_outputs(n).iter().map(|&v| E::V(v))),
            _ => {}
        }
    }
    out
}

fn is_op(fg: &FunctionGraph, e: E, op: &ScalarOp) -> bool {
    op_args(fg, e).is_some_and(|(o, _)| o == *op)
}

/// `e`'s factors through mul, true_div, neg, sqr and pow: (above the line, factor).
fn factors(fg: &FunctionGraph, e: E, above: bool, out: &mut Vec<(bool, E)>) {
    match op_args(fg, e) {
        Some((ScalarOp::Mul, args)) => args.iter().for_each(|&a| factors(fg, a, above, out)),
        Some((ScalarOp::TrueDiv, args)) => {
            factors(fg, args[0], above, out);
            factors(fg, args[1], !above, out);
        }
        Some((ScalarOp::Neg | ScalarOp::Sqr, args)) => factors(fg, args[0], above, out),
        Some((ScalarOp::Pow, args)) => {
            let neg_power = match args[1] {
                E::V(v) => theano_opt::util::scalar_const(fg, v).is_some_and(|c| c < 0.0),
                E::I(..) => false,
            };
            factors(fg, args[0], above != neg_power, out)
        }
        _ => out.push((above, e)),
    }
}

/// `1 + exp(t)` (any constant, any order): an add with an exp term.
fn is_sum_with_exp(fg: &FunctionGraph, e: E) -> bool {
    match op_args(fg, e) {
        Some((ScalarOp::Add, args)) => args.iter().any(|&a| is_op(fg, a, &ScalarOp::Exp)),
        _ => false,
    }
}

/// The expressions of `fg` that multiply by an `exp` and divide by a power of `1 + exp`.
fn exp_over_power_of_1pexp(fg: &FunctionGraph) -> Vec<String> {
    let mut bad = Vec::new();
    for e in expressions(fg) {
        if !matches!(op_args(fg, e), Some((ScalarOp::Mul | ScalarOp::TrueDiv, _))) {
            continue;
        }
        let mut fs = Vec::new();
        factors(fg, e, true, &mut fs);
        let exp_above = fs
            .iter()
            .any(|&(above, f)| above && is_op(fg, f, &ScalarOp::Exp));
        let pexp_below = fs
            .iter()
            .any(|&(above, f)| !above && is_sum_with_exp(fg, f));
        if exp_above && pexp_below {
            bad.push(format!("{e:?}"));
        }
    }
    bad
}

fn count_op(fg: &FunctionGraph, op: &ScalarOp) -> usize {
    expressions(fg)
        .into_iter()
        .filter(|&e| is_op(fg, e, op))
        .count()
}

fn train_fn(m: &Model) -> Function {
    compile(&[&m.x, &m.y], [&m.prediction, &m.xent, &m.cost])
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .build()
        .unwrap()
}

/// The structural check finds the unstable form in the unstabilized graph (so it can fail).
#[test]
fn the_check_sees_the_unstable_gradient_without_the_stabilize_phase() {
    let (_, _, w0) = data(DType::Float64, 1.0);
    let m = model(DType::Float64, &w0);
    let mode = Mode::parse_flags("optimizer_excluding=stabilize").unwrap();
    let f = compile(&[&m.x, &m.y], &m.grads[0])
        .mode(mode)
        .build()
        .unwrap();
    assert!(!exp_over_power_of_1pexp(f.fgraph()).is_empty());
}

/// No optimized gradient of the seed (FAST_RUN, float64 and float32; the train function and
/// each gradient alone) multiplies by `exp` and divides by a power of `1 + exp`, inside
/// Composites included; in fact no `exp` is left at all.
#[test]
fn no_optimized_gradient_divides_exp_by_a_power_of_1_plus_exp() {
    for dtype in [DType::Float64, DType::Float32] {
        let (_, _, w0) = data(dtype, 1.0);
        let m = model(dtype, &w0);
        let mut fns = vec![("train", train_fn(&m))];
        for (name, g) in ["gw", "gb", "gx"].iter().zip(&m.grads) {
            let f = compile(&[&m.x, &m.y], g).build().unwrap();
            fns.push((name, f));
        }
        for (name, f) in &fns {
            let fg = f.fgraph();
            let bad = exp_over_power_of_1pexp(fg);
            assert!(bad.is_empty(), "{dtype} {name}: {bad:?}\n{fg}");
            assert_eq!(count_op(fg, &ScalarOp::Exp), 0, "{dtype} {name}:\n{fg}");
            assert!(
                count_op(fg, &ScalarOp::Sigmoid) > 0,
                "{dtype} {name}:\n{fg}"
            );
        }
    }
}

/// (training accuracy, every cost and xent finite, final weights finite) after `steps`.
fn train(dtype: DType, scale: f64, steps: usize) -> (usize, bool, bool) {
    let (x, y, w0) = data(dtype, scale);
    let m = model(dtype, &w0);
    let f = train_fn(&m);
    let mut finite = true;
    let mut pred = Tensor::zeros(DType::Bool, &[400]);
    for _ in 0..steps {
        let out = f.call_refs(&[&x, &y]).unwrap();
        finite &= out[1].to_f64_vec().iter().all(|v| v.is_finite());
        finite &= out[2].scalar_f64().unwrap().is_finite();
        pred = out[0].clone();
    }
    let w_finite =
        m.w.get_value()
            .unwrap()
            .to_f64_vec()
            .iter()
            .chain(&m.b.get_value().unwrap().to_f64_vec())
            .all(|v| v.is_finite());
    let correct = pred
        .to_f64_vec()
        .iter()
        .zip(y.to_f64_vec())
        .filter(|(p, t)| **p == *t)
        .count();
    (correct, finite, w_finite)
}

#[test]
fn float32_training_stays_finite_and_learns() {
    let (correct, finite, w_finite) = train(DType::Float32, 1.0, 1000);
    assert!(
        finite && w_finite,
        "costs finite {finite}, weights finite {w_finite}"
    );
    assert_eq!(correct, 400);
}

#[test]
fn scale_100_training_stays_finite_at_both_widths() {
    for dtype in [DType::Float64, DType::Float32] {
        let (correct, finite, w_finite) = train(dtype, 100.0, 100);
        assert!(
            finite && w_finite,
            "{dtype}: costs finite {finite}, weights finite {w_finite}"
        );
        assert_eq!(correct, 400, "{dtype}");
    }
}

// ---------------------------------------------------------------------------------------
// Differential: optimized against unoptimized on moderate inputs.

fn run(f: &Function, args: &[Tensor]) -> Vec<Vec<f64>> {
    f.call(args)
        .unwrap()
        .iter()
        .map(|t| t.to_f64_vec())
        .collect()
}

fn assert_close(a: &[Vec<f64>], b: &[Vec<f64>], rtol: f64, what: &str) {
    for (k, (a, b)) in a.iter().zip(b).enumerate() {
        assert_eq!(a.len(), b.len());
        let scale = b.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-30);
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= rtol * (y.abs() + 1e-3 * scale),
                "{what}: output {k}[{i}]: optimized {x}, unoptimized {y}"
            );
        }
    }
}

/// The seed's cost, xent and gradients (w, b, x) on moderate inputs (|z| up to about 15):
/// FAST_RUN agrees with the unoptimized graph at both widths.
#[test]
fn seed_gradients_match_the_unoptimized_graph() {
    // float32's unoptimized log(1 - p) loses digits as p nears 1: smaller inputs there
    for (dtype, rtol, scale, tail) in [
        (DType::Float64, 1e-9, 0.15, 5.0),
        (DType::Float32, 2e-4, 0.05, 1.0),
    ] {
        let (x, y, w0) = data(dtype, scale);
        let m = model(dtype, &w0);
        let outs = [&m.cost, &m.xent, &m.grads[0], &m.grads[1], &m.grads[2]];
        let opt = compile(&[&m.x, &m.y], outs).build().unwrap();
        let none = compile(&[&m.x, &m.y], outs)
            .mode(Mode::parse_flags("optimizer=None").unwrap())
            .build()
            .unwrap();
        let args = [x, y];
        let want = run(&none, &args);
        let zmax = want[1].iter().fold(0f64, |a, v| a.max(*v));
        assert!(zmax > tail, "the data reach the tails: max xent {zmax}");
        assert_close(&run(&opt, &args), &want, rtol, &format!("{dtype}"));
    }
}

/// One pattern per new rewrite, over a vector `x` (and `y`, `z`): optimized equals
/// unoptimized on moderate values, and the optimized graph is finite where the unoptimized one
/// overflows.
#[test]
fn stabilized_patterns_match_the_unoptimized_graph() {
    type Pattern = fn(&Variable, &Variable, &Variable) -> Variable;
    let patterns: &[(&str, Pattern)] = &[
        ("exp(x) / (1 + exp(x))", |x, _, _| {
            T::exp(x) / (1 + T::exp(x))
        }),
        ("y * exp(x) / sqr(1 + exp(x))", |x, y, _| {
            y * T::exp(x) / T::sqr(1 + T::exp(x))
        }),
        ("exp(x) / ((1 + exp(x)) * (1 + exp(x)))", |x, _, _| {
            T::exp(x) / ((1 + T::exp(x)) * (1 + T::exp(x)))
        }),
        ("-(y / (1 + exp(x)) ** 2) * exp(x)", |x, y, _| {
            -(y / T::add(1, T::exp(x)).pow(2i64)) * T::exp(x)
        }),
        ("exp(-x) * sigmoid(x)", |x, _, _| T::exp(-x) * T::sigmoid(x)),
        ("y * sigmoid(-x) * exp(x)", |x, y, _| {
            y * T::sigmoid(-x) * T::exp(x)
        }),
        ("y * sigmoid(x) / exp(x)", |x, y, _| {
            y * T::sigmoid(x) / T::exp(x)
        }),
        ("y * sigmoid(x) / sigmoid(x)", |x, y, _| {
            y * T::sigmoid(x) / T::sigmoid(x)
        }),
        (
            "(y / sigmoid(x) - z / sigmoid(-x)) * sigmoid(x) * sigmoid(-x)",
            |x, y, z| (y / T::sigmoid(x) - z / T::sigmoid(-x)) * T::sigmoid(x) * T::sigmoid(-x),
        ),
        ("log(1 - sigmoid(x))", |x, _, _| T::log(1 - T::sigmoid(x))),
        ("log1p(-sigmoid(x))", |x, _, _| T::log1p(-T::sigmoid(x))),
        ("log1p(exp(x))", |x, _, _| T::log1p(T::exp(x))),
        ("log(1 + exp(x))", |x, _, _| T::log(1 + T::exp(x))),
        ("log(1 / (1 + exp(-x)))", |x, _, _| {
            T::log(1 / (1 + T::exp(-x)))
        }),
        (
            "sigmoid grad: y * sigmoid(x) * (1 - sigmoid(x))",
            |x, y, _| theano::grad1(&(y * T::sigmoid(x)).sum(), x).unwrap(),
        ),
        ("seed xent grad wrt z", |x, y, _| {
            let p = 1 / (1 + T::exp(-x));
            let xent = -y * T::log(&p) - (1 - y) * T::log(1 - &p);
            theano::grad1(&xent.sum(), x).unwrap()
        }),
    ];
    for dtype in [DType::Float64, DType::Float32] {
        let rtol = if dtype == DType::Float64 { 1e-10 } else { 1e-4 };
        let (x, y, z) = if dtype == DType::Float64 {
            (T::dvector("x"), T::dvector("y"), T::dvector("z"))
        } else {
            (T::fvector("x"), T::fvector("y"), T::fvector("z"))
        };
        let n = 41;
        // where the unoptimized graph is accurate (float32's `1 - sigmoid(x)` loses digits fast)
        let r = if dtype == DType::Float64 { 12.0 } else { 6.0 };
        let moderate: Vec<f64> = (0..n).map(|i| r * (i as f64 - 20.0) / 20.0).collect();
        let huge = if dtype == DType::Float64 {
            2000.0
        } else {
            200.0
        };
        let extreme: Vec<f64> = (0..n)
            .map(|i| huge * (i as f64 - 20.0) / 20.0 * 5.0)
            .collect();
        let vec = |v: &[f64]| {
            Tensor::from_shape_vec(&[v.len()], v.to_vec())
                .unwrap()
                .cast(dtype)
        };
        let ys = vec(&(0..n)
            .map(|i| ((i % 3) as f64) * 0.5 - 0.25)
            .collect::<Vec<_>>());
        let zs = vec(&(0..n)
            .map(|i| 0.75 - ((i % 4) as f64) * 0.5)
            .collect::<Vec<_>>());
        for (name, p) in patterns {
            let out = p(&x, &y, &z);
            let build = |mode: Option<&str>| {
                let mut b = compile(&[&x, &y, &z], &out).on_unused_input(theano::OnUnused::Ignore);
                if let Some(m) = mode {
                    b = b.mode(Mode::parse_flags(m).unwrap());
                }
                b.build().unwrap()
            };
            let (opt, none) = (build(None), build(Some("optimizer=None")));
            let what = format!("{dtype} {name}");
            let args = [vec(&moderate), ys.clone(), zs.clone()];
            assert_close(&run(&opt, &args), &run(&none, &args), rtol, &what);
            let big = run(&opt, &[vec(&extreme), ys.clone(), zs.clone()]);
            assert!(
                big[0].iter().all(|v| v.is_finite()),
                "{what}: not finite at |x| up to {}: {:?}\n{}",
                huge * 5.0,
                big[0],
                opt.fgraph()
            );
            assert_eq!(
                count_op(opt.fgraph(), &ScalarOp::Exp),
                0,
                "{what}\n{}",
                opt.fgraph()
            );
        }
    }
}

/// Finite differences of the seed's cost agree with its optimized (stabilized) gradient.
#[test]
fn verify_grad_of_the_seed_cost() {
    let eval = common::eval_compiled;
    let (n, feats) = (12, 5);
    let mut seed = 11;
    let pts = vec![
        Tensor::from_shape_vec(&[n, feats], randn(&mut seed, n * feats)).unwrap(),
        Tensor::from_shape_vec(&[feats], randn(&mut seed, feats)).unwrap(),
        Tensor::scalar(0.3f64),
    ];
    let ys =
        Tensor::from_shape_vec(&[n], (0..n).map(|i| (i % 2) as f64).collect::<Vec<f64>>()).unwrap();
    let cost = move |v: &[Variable]| {
        let (x, w, b) = (&v[0], &v[1], &v[2]);
        let y = T::try_constant(ys.clone()).unwrap();
        let p_1 = 1 / (1 + T::exp(-T::dot(x, w).unwrap() - b));
        let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
        xent.mean() + 0.01 * w.pow(2).sum()
    };
    let opts = VerifyGradOptions {
        seed: 5,
        ..Default::default()
    };
    verify_grad(cost, &pts, eval, &opts).unwrap_or_else(|e| panic!("{e}"));
}

/// sigmoid and softplus are finite with the right limits for huge |x|, at both widths, on
/// both linkers (the JIT's short and long loops: 2048 elements reach the wide blocks).
#[test]
fn sigmoid_and_softplus_are_finite_for_huge_inputs() {
    let xs = [
        -1e30, -1e6, -800.0, -120.0, -90.0, -20.0, 0.0, 20.0, 90.0, 120.0, 800.0, 1e6, 1e30,
    ];
    for dtype in [DType::Float64, DType::Float32] {
        for linker in ["linker=jit", "linker=interp"] {
            for len in [xs.len(), 2048] {
                let vals: Vec<f64> = (0..len).map(|i| xs[i % xs.len()]).collect();
                let x = if dtype == DType::Float64 {
                    T::dvector("x")
                } else {
                    T::fvector("x")
                };
                let f = compile(&[&x], [T::sigmoid(&x), T::softplus(&x)])
                    .mode(Mode::parse_flags(linker).unwrap())
                    .build()
                    .unwrap();
                let arg = Tensor::from_shape_vec(&[len], vals.clone())
                    .unwrap()
                    .cast(dtype);
                let xv = arg.to_f64_vec();
                let out = run(&f, &[arg]);
                for (i, &v) in xv.iter().enumerate() {
                    let (s, sp) = (out[0][i], out[1][i]);
                    let what = format!("{dtype} {linker} len {len} x {v}");
                    assert!(
                        s.is_finite() && (0.0..=1.0).contains(&s),
                        "{what}: sigmoid {s}"
                    );
                    assert!(sp.is_finite() && sp >= 0.0, "{what}: softplus {sp}");
                    if v <= -120.0 {
                        assert!(s < 1e-40 && sp < 1e-40, "{what}: {s} {sp}");
                    }
                    if v >= 120.0 {
                        assert_eq!(s, 1.0, "{what}");
                        assert_eq!(sp, v, "{what}");
                    }
                }
            }
        }
    }
}
