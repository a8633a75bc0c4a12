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
//! interpreter follows numpy). A failure names the first replacement that differs. Failures
//! shrink to a minimal recipe and are kept in proptest-regressions/differential.txt; the
//! regression tests at the end replay the ones that were rewrite bugs.

use proptest::prelude::*;
use theano::debugmode::Evaluator;
use theano::ir::fgraph::FunctionGraph;
use theano::ir::{Idx, ScalarOp as S, TensorType};
use theano::tensor as T;
use theano::{DType, Tensor, Variable};
use theano_opt::{optimize, Config, Report};

/// One step of a recipe: an op code, three operand picks (indices into the pool of variables
/// built so far, taken modulo its length) and a parameter.
type Step = (u8, u8, u8, u8, u8);

const N_OPS: u8 = 30;

/// Rewrites this test found wrong and that are not fixed yet (none).
const KNOWN_BAD: &[&str] = &[];

const DTYPES: [DType; 8] = [
    DType::Bool,
    DType::Int8,
    DType::Int16,
    DType::Int32,
    DType::Int64,
    DType::UInt8,
    DType::Float32,
    DType::Float64,
];

const BINARY: [S; 19] = [
    S::Add,
    S::Sub,
    S::Mul,
    S::TrueDiv,
    S::IntDiv,
    S::Mod,
    S::Pow,
    S::Maximum,
    S::Minimum,
    S::Gt,
    S::Lt,
    S::Ge,
    S::Le,
    S::Eq,
    S::Neq,
    S::And,
    S::Or,
    S::Xor,
    S::Second,
];

const UNARY: [S; 18] = [
    S::Neg,
    S::Exp,
    S::Log,
    S::Log1p,
    S::Expm1,
    S::Tanh,
    S::Sigmoid,
    S::Softplus,
    S::Abs,
    S::Sgn,
    S::Floor,
    S::Ceil,
    S::RoundHalfToEven,
    S::RoundHalfAwayFromZero,
    S::Sqr,
    S::Sqrt,
    S::Invert,
    S::Identity,
];

const CONSTS: [f64; 8] = [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, -0.25, 1.5];

/// The inputs: (type, shape). Every dtype, ranks 0 to 2, a row and a column.
fn input_specs() -> Vec<(&'static str, TensorType, Vec<usize>)> {
    let t = TensorType::new;
    vec![
        ("m", t(DType::Float64, &[false, false]), vec![2, 3]),
        ("v", t(DType::Float64, &[false]), vec![3]),
        ("s", t(DType::Float64, &[]), vec![]),
        ("mf", t(DType::Float32, &[false, false]), vec![2, 3]),
        ("iv", t(DType::Int64, &[false]), vec![3]),
        ("r", t(DType::Float64, &[true, false]), vec![1, 3]),
        ("bv", t(DType::Bool, &[false]), vec![3]),
        ("bm", t(DType::Int8, &[false, false]), vec![2, 3]),
        ("wv", t(DType::Int16, &[false]), vec![3]),
        ("is", t(DType::Int32, &[]), vec![]),
        ("uv", t(DType::UInt8, &[false]), vec![3]),
        ("fv", t(DType::Float32, &[false]), vec![3]),
        ("x2", t(DType::Float64, &[false]), vec![2]),
        ("c", t(DType::Float64, &[false, true]), vec![2, 1]),
    ]
}

fn inputs() -> Vec<Variable> {
    input_specs()
        .into_iter()
        .map(|(n, ty, _)| T::input(ty, n))
        .collect()
}

/// Input values drawn from per-dtype pools (wrap-around edges for the small integers, zeros,
/// negative numbers, large floats for overflow), by a small xorshift generator from `seed`.
fn values(seed: u64) -> Vec<Tensor> {
    let mut st = seed | 1;
    let mut next = move |n: usize| {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        (st % n as u64) as usize
    };
    input_specs()
        .into_iter()
        .map(|(_, ty, shape)| {
            let pool: &[f64] = match ty.dtype {
                DType::Bool => &[0.0, 1.0],
                DType::Int8 => &[-128.0, -3.0, -1.0, 0.0, 1.0, 2.0, 5.0, 100.0, 127.0],
                DType::UInt8 => &[0.0, 1.0, 2.0, 3.0, 7.0, 200.0, 255.0],
                DType::Int16 => &[-30000.0, -2.0, -1.0, 0.0, 1.0, 3.0, 300.0, 32767.0],
                // index-like values: in range for lengths 2 and 3, and one out of range
                DType::Int64 => &[-2.0, -1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 3.0],
                DType::Int32 => &[-3.0, -1.0, 0.0, 1.0, 1.0, 2.0, 4.0],
                _ => &[
                    -40.0, -3.0, -1.5, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.0, 2.0, 3.0, 40.0, 800.0,
                ],
            };
            let n: usize = shape.iter().product();
            let data = (0..n).map(|_| pool[next(pool.len())]).collect();
            Tensor::from_f64_vec(ty.dtype, &shape, data).unwrap()
        })
        .collect()
}

fn ew(op: S, ins: Vec<Variable>) -> Option<Variable> {
    T::elemwise(op, ins).ok()
}

fn konst(p: u8) -> Variable {
    let v = CONSTS[p as usize % CONSTS.len()];
    match (p / 8) % 3 {
        0 => T::constant(v),
        1 => T::constant(Tensor::full(DType::Float64, &[], v)),
        _ => T::constant(Tensor::full(DType::Int8, &[], v.round())),
    }
}

fn i64c(i: i64) -> Variable {
    T::constant(Tensor::from(i))
}

/// A 0-d integer derived from `x`: a dimension of it, minus a constant.
fn int_scalar(x: &Variable, p: u8) -> Option<Variable> {
    if x.ndim() == 0 {
        // clipped: an arange or alloc of a computed integer must stay small
        return if x.dtype().is_int() {
            ew(S::Clip, vec![x.clone(), i64c(-2), i64c(6)])
        } else {
            None
        };
    }
    let d = T::shape_i(x, p as usize % x.ndim()).ok()?;
    ew(S::Sub, vec![d, i64c((p as i64 / 3) % 3)])
}

fn axis(v: &Variable, p: u8) -> Option<usize> {
    (v.ndim() > 0).then(|| p as usize % v.ndim())
}

/// An index entry for `x`'s dimension: an integer (constant or symbolic) or a slice.
fn basic_idx(x: &Variable, y: &Variable, p: u8) -> Idx {
    match p % 6 {
        0 => Idx::from((p as i64 / 6) % 3 - 1),
        1 => Idx::start_at(1i64),
        2 => Idx::step(if p & 64 != 0 { -1i64 } else { 2 }),
        3 => match int_scalar(y, p) {
            Some(i) => Idx::Int(i),
            None => Idx::all(),
        },
        4 => Idx::slice(Some(i64c(-2)), int_scalar(x, p), Some(i64c(-1))),
        _ => Idx::range(0i64, -1i64),
    }
}

/// An int vector index: the int64 input or an integer cast of another vector.
fn index_vector(y: &Variable) -> Option<Variable> {
    match (y.ndim(), y.dtype()) {
        (1, d) if d.is_int() => Some(y.clone()),
        (1, _) => Some(T::cast(y, DType::Int64)),
        _ => None,
    }
}

fn indexed(x: &Variable, y: &Variable, z: &Variable, p: u8) -> Option<Variable> {
    if x.ndim() == 0 {
        return None;
    }
    let mut idx = vec![basic_idx(x, y, p)];
    if x.ndim() > 1 && p & 128 != 0 {
        idx.push(basic_idx(x, z, p / 2));
    }
    x.get(&idx).ok()
}

fn advanced(x: &Variable, y: &Variable, p: u8) -> Option<Variable> {
    let iv = index_vector(y)?;
    match (x.ndim(), p % 3) {
        (0, _) => None,
        (1, _) | (_, 0) => x.get(&[Idx::Array(iv)]).ok(),
        (_, 1) => x.get(&[Idx::all(), Idx::Array(iv)]).ok(),
        _ => x.get(&[Idx::Array(iv.clone()), Idx::Array(iv)]).ok(),
    }
}

fn scalar_of(x: &Variable) -> Option<Variable> {
    match x.ndim() {
        0 => Some(x.clone()),
        _ => T::sum_axes(x, None, false).ok(),
    }
}

/// `v`'s transpose (a matrix) or `v`.
fn t(v: &Variable) -> Variable {
    match v.ndim() {
        2 => v
            .dimshuffle(&[Some(1), Some(0)])
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

/// A dot of every rank: `x` with `y`, with a transpose to line the shapes up (the inputs are
/// 2x3 matrices and length-3 vectors), or with an input of a shape that fits.
fn dot_of(pool: &[Variable], x: &Variable, y: &Variable, p: u8) -> Option<Variable> {
    let input = |name: &str| {
        let i = input_specs().iter().position(|s| s.0 == name)?;
        pool.get(i).cloned()
    };
    match (p / 4) % 4 {
        0 => T::dot(x, y),
        1 => T::dot(x, t(y)),
        2 => T::dot(t(x), y),
        _ => match (x.ndim(), x.dtype()) {
            (2, DType::Float32) => T::dot(x, input("fv")?),
            (1, DType::Float32) => T::dot(input("mf")?, x),
            (2, _) => T::dot(x, input("v")?),
            (1, _) => T::dot(input("m")?, x),
            _ => T::dot(x, input("m")?),
        },
    }
    .ok()
}

/// Build one step; `None` when the builders refuse it (a type error), and the step is skipped.
fn build(pool: &[Variable], (op, a, b, c, p): Step) -> Option<Variable> {
    let pick = |i: u8| pool[i as usize % pool.len()].clone();
    let (x, y, z) = (pick(a), pick(b), pick(c));
    let k = || konst(p);
    let keep = p & 128 != 0;
    match op % N_OPS {
        0 => ew(BINARY[p as usize % BINARY.len()].clone(), vec![x, y]),
        1 => ew(UNARY[p as usize % UNARY.len()].clone(), vec![x]),
        2 => ew(if p % 2 == 0 { S::Clip } else { S::Switch }, vec![x, y, z]),
        3 => Some(T::cast(&x, DTYPES[p as usize % 8])),
        4 => {
            let op = BINARY[p as usize % BINARY.len()].clone();
            if p & 64 != 0 {
                ew(op, vec![k(), x])
            } else {
                ew(op, vec![x, k()])
            }
        }
        5 => {
            let ax = axis(&x, p / 6);
            let axes = if p & 64 != 0 {
                None
            } else {
                ax.map(|a| vec![a])
            };
            let axes = axes.as_deref();
            match p % 6 {
                0 => T::sum_axes(&x, axes, keep),
                1 => T::prod_axes(&x, axes, keep),
                2 => T::max(&x, axes, keep),
                3 => T::min(&x, axes, keep),
                4 => T::all_axes(&x, axes, keep),
                _ => T::any_axes(&x, axes, keep),
            }
            .ok()
        }
        6 => {
            let ax = axis(&x, p / 5).map(|a| vec![a]);
            let axes = if p & 64 != 0 { None } else { ax.as_deref() };
            match p % 5 {
                0 => T::max_and_argmax(&x, axes)
                    .ok()
                    .map(|(m, i)| if keep { m } else { i }),
                1 => T::argmax(&x, axes, keep).ok(),
                2 => T::argmin(&x, axes, keep).ok(),
                3 => T::mean(&x, axes, keep).ok(),
                _ => T::var(&x, axes, keep).ok(),
            }
        }
        7 => {
            let nd = x.ndim();
            let bc: Vec<usize> = (0..nd).filter(|&i| x.ty().is_broadcastable(i)).collect();
            let order: Vec<Option<usize>> = match (nd, p % 3) {
                // drop the broadcastable dimensions
                (_, 0) if !bc.is_empty() => (0..nd).filter(|i| !bc.contains(i)).map(Some).collect(),
                (0, _) => vec![None],
                (1, 1) => vec![None, Some(0)],
                (1, _) => vec![Some(0), None],
                (2, 1) => vec![Some(1), Some(0)],
                (2, _) => vec![Some(0), None, Some(1)],
                _ => (0..nd).rev().map(Some).collect(),
            };
            x.dimshuffle(&order).ok()
        }
        8 => dot_of(pool, &x, &y, p),
        9 => {
            if !x.dtype().is_float() || x.ndim() == 0 || x.ndim() > 2 {
                return None;
            }
            match p % 3 {
                0 => T::softmax(&x).ok(),
                1 => T::log_softmax(&x).ok(),
                // log(softmax(x)) -> log_softmax(x)
                _ => ew(S::Log, vec![T::softmax(&x).ok()?]),
            }
        }
        10 => match p % 4 {
            0 => T::reshape(&x, [-1]).ok(),
            1 if x.ndim() >= 1 => T::flatten(&x, 1).ok(),
            2 if x.ndim() == 2 => {
                T::reshape(&x, vec![T::shape_i(&x, 1).ok()?, T::shape_i(&x, 0).ok()?]).ok()
            }
            _ => T::reshape(&x, [1, -1]).ok(),
        },
        11 => {
            let ax = axis(&x, p)?;
            T::concatenate(&[x, y], ax).ok()
        }
        12 => {
            let mut dims = Vec::new();
            for i in 0..x.ndim().max(p as usize % 3) {
                dims.push(match (i % 2, y.ndim()) {
                    (0, n) if n > 0 => T::shape_i(&y, i % n).ok()?,
                    _ => i64c(2),
                });
            }
            let dims = if p & 64 != 0 && x.ndim() == 0 {
                vec![i64c(3)]
            } else {
                dims
            };
            T::alloc(&x, &dims).ok()
        }
        13 => match p % 3 {
            0 => T::arange(int_scalar(&x, p)?).ok(),
            1 => {
                let small = |v: Variable| ew(S::Clip, vec![v, i64c(-4), i64c(4)]);
                T::arange_full(small(scalar_of(&x)?)?, small(scalar_of(&y)?)?, k()).ok()
            }
            _ => T::arange_full(i64c(0), int_scalar(&x, p)?, i64c(1 + p as i64 % 2)).ok(),
        },
        14 => {
            let d = DTYPES[p as usize % 8];
            T::make_vector(&[scalar_of(&x)?, scalar_of(&y)?], d).ok()
        }
        15 => {
            if p % 2 == 0 || x.ndim() == 0 {
                Some(T::shape(&x))
            } else {
                T::shape_i(&x, p as usize % x.ndim()).ok()
            }
        }
        16 => indexed(&x, &y, &z, p),
        17 => {
            let sub = indexed(&x, &y, &z, p)?;
            if p & 32 != 0 {
                T::set_subtensor(&sub, &z).ok()
            } else {
                T::inc_subtensor(&sub, &z).ok()
            }
        }
        18 => advanced(&x, &y, p),
        19 => {
            let sub = advanced(&x, &y, p)?;
            if p & 32 != 0 {
                T::set_subtensor(&sub, &z).ok()
            } else {
                T::inc_subtensor(&sub, &z).ok()
            }
        }
        // y + k * dot(x, z): gemv / gemm / dot22
        20 => {
            let d = dot_of(pool, &x, &z, p)?;
            let kd = ew(S::Mul, vec![k(), d])?;
            ew(if p & 64 != 0 { S::Sub } else { S::Add }, vec![y, kd])
        }
        // x + k * outer(y, z): ger
        21 => {
            let input =
                |name: &str| pool[input_specs().iter().position(|s| s.0 == name).unwrap()].clone();
            let x = if x.ndim() == 2 { x } else { input("m") };
            let y = if y.ndim() == 1 && p & 32 == 0 {
                y
            } else {
                input("x2")
            };
            let z = if z.ndim() == 1 { z } else { input("v") };
            let col = y.dimshuffle(&[Some(0), None]).ok()?;
            let row = z.dimshuffle(&[None, Some(0)]).ok()?;
            let outer = if p & 64 != 0 {
                T::dot(&col, &row).ok()?
            } else {
                ew(S::Mul, vec![col, row])?
            };
            let ko = ew(S::Mul, vec![k(), outer])?;
            ew(S::Add, vec![x, ko])
        }
        // 1 / (1 + exp(-x)), 1 - sigmoid(x), log(sigmoid(x)), log(1 + exp(x))
        22 => {
            let one = T::constant(1.0);
            match p % 4 {
                0 => {
                    let e = ew(S::Exp, vec![ew(S::Neg, vec![x])?])?;
                    ew(S::TrueDiv, vec![one.clone(), ew(S::Add, vec![one, e])?])
                }
                1 => ew(S::Sub, vec![one, ew(S::Sigmoid, vec![x])?]),
                2 => ew(S::Log, vec![ew(S::Sigmoid, vec![x])?]),
                _ => ew(S::Log, vec![ew(S::Add, vec![one, ew(S::Exp, vec![x])?])?]),
            }
        }
        // log(1 + x)
        23 => ew(S::Log, vec![ew(S::Add, vec![k(), x])?]),
        // cancellations: (x + y) - x, (x * y) / x, (x + y) - (y + z), (x * y) / (x * z)
        24 => match p % 4 {
            0 => ew(S::Sub, vec![ew(S::Add, vec![x.clone(), y])?, x]),
            1 => ew(S::TrueDiv, vec![ew(S::Mul, vec![x.clone(), y])?, x]),
            2 => ew(
                S::Sub,
                vec![ew(S::Add, vec![x, y.clone()])?, ew(S::Add, vec![y, z])?],
            ),
            _ => ew(
                S::TrueDiv,
                vec![ew(S::Mul, vec![x.clone(), y])?, ew(S::Mul, vec![x, z])?],
            ),
        },
        // a DimShuffle of an elementwise result (dimshuffle_lift)
        25 => {
            let e = ew(BINARY[p as usize % BINARY.len()].clone(), vec![x, y])?;
            let order: Vec<Option<usize>> = match e.ndim() {
                0 => vec![None],
                1 => vec![None, Some(0)],
                n => (0..n).rev().map(Some).collect(),
            };
            e.dimshuffle(&order).ok()
        }
        // x ** k, k * x, x * x, -(-x), x - x
        26 => match p % 5 {
            0 => ew(S::Pow, vec![x, k()]),
            1 => ew(S::Mul, vec![k(), x]),
            2 => ew(S::Mul, vec![x.clone(), x]),
            3 => ew(S::Neg, vec![ew(S::Neg, vec![x])?]),
            _ => ew(S::Sub, vec![x.clone(), x]),
        },
        27 => Some(if p % 2 == 0 {
            T::zeros_like(&x)
        } else {
            T::ones_like(&x)
        }),
        28 => ew(S::Add, vec![ew(S::Add, vec![x, k()])?, y]),
        _ => Some(T::fill(&x, &y)),
    }
}

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
    let eps = if d == DType::Float32 || loose {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    };
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
/// that at run time ("Input dimension mis-match") and the rewrites rely on it (a `CGemv` does
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

fn step() -> impl Strategy<Value = Step> {
    (0..N_OPS, any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
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

/// Every input dtype appears.
#[test]
fn every_dtype_is_an_input() {
    let ins = inputs();
    for d in DTYPES {
        assert!(ins.iter().any(|v| v.dtype() == d), "no {d} input");
    }
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
