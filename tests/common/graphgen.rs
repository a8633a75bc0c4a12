//! The random graph generator shared by tests/differential.rs (optimizer against the
//! unoptimized graph, in the interpreter) and tests/jit_differential.rs (the JIT linker against
//! the interpreter): a recipe of steps over a pool of inputs of every dtype, built with the
//! tensor builders, a step the builders refuse skipped.
#![allow(dead_code)] // each test binary uses the parts it needs

use proptest::prelude::*;
use theano::ir::{Idx, ScalarOp as S, TensorType};
use theano::tensor as T;
use theano::{DType, Tensor, Variable};

/// One step of a recipe: an op code, three operand picks (indices into the pool of variables
/// built so far, taken modulo its length) and a parameter.
pub type Step = (u8, u8, u8, u8, u8);

pub const N_OPS: u8 = 36;

/// The first eight are the casts' targets of op 3 (recipes pin their order); op 34 casts to
/// the wide unsigned ones.
pub const DTYPES: [DType; 11] = [
    DType::Bool,
    DType::Int8,
    DType::Int16,
    DType::Int32,
    DType::Int64,
    DType::UInt8,
    DType::Float32,
    DType::Float64,
    DType::UInt16,
    DType::UInt32,
    DType::UInt64,
];

pub const BINARY: [S; 19] = [
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

pub const UNARY: [S; 18] = [
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

/// Theano 1.0's elementwise catalogue: the unary ops.
pub const CATALOGUE: [S; 30] = [
    S::Sin,
    S::Cos,
    S::Tan,
    S::ArcSin,
    S::ArcCos,
    S::ArcTan,
    S::Sinh,
    S::Cosh,
    S::ArcSinh,
    S::ArcCosh,
    S::ArcTanh,
    S::Exp2,
    S::Log2,
    S::Log10,
    S::Erf,
    S::Erfc,
    S::Erfinv,
    S::Erfcinv,
    S::Gamma,
    S::GammaLn,
    S::Psi,
    S::TriGamma,
    S::Inv,
    S::Deg2Rad,
    S::Rad2Deg,
    S::Trunc,
    S::Softsign,
    S::UltraFastSigmoid,
    S::IsNan,
    S::IsInf,
];

pub const CONSTS: [f64; 8] = [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, -0.25, 1.5];

/// Machine epsilon of float32 (`float32`) or float64, as f64: the unit of the differential
/// tests' tolerances.
pub fn epsilon(float32: bool) -> f64 {
    if float32 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    }
}

/// The inputs: (type, shape). Every dtype, ranks 0 to 2, a row and a column.
pub fn input_specs() -> Vec<(&'static str, TensorType, Vec<usize>)> {
    let t = |d, b: &[bool]| TensorType::new(d, b).unwrap();
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

pub fn inputs() -> Vec<Variable> {
    input_specs()
        .into_iter()
        .map(|(n, ty, _)| T::input(ty, n))
        .collect()
}

/// Input values drawn from per-dtype pools (wrap-around edges for the small integers, zeros,
/// negative numbers, large floats for overflow), by a small xorshift generator from `seed`.
pub fn values(seed: u64) -> Vec<Tensor> {
    values_shaped(seed, |_, s| s.to_vec())
}

/// [`values`] with each input's shape replaced by `shape(name, declared shape)`.
pub fn values_shaped(seed: u64, shape_of: impl Fn(&str, &[usize]) -> Vec<usize>) -> Vec<Tensor> {
    let mut st = seed | 1;
    let mut next = move |n: usize| {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        (st % n as u64) as usize
    };
    input_specs()
        .into_iter()
        .map(|(name, ty, shape)| {
            let shape = shape_of(name, &shape);
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

pub fn ew(op: S, ins: Vec<Variable>) -> Option<Variable> {
    T::elemwise(op, ins).ok()
}

pub fn konst(p: u8) -> Variable {
    let v = CONSTS[p as usize % CONSTS.len()];
    match (p / 8) % 3 {
        0 => T::constant(v),
        1 => T::try_constant(Tensor::full(DType::Float64, &[], v)).unwrap(),
        _ => T::try_constant(Tensor::full(DType::Int8, &[], v.round())).unwrap(),
    }
}

pub fn i64c(i: i64) -> Variable {
    T::try_constant(Tensor::from(i)).unwrap()
}

/// A 0-d integer derived from `x`: a dimension of it, minus a constant.
pub fn int_scalar(x: &Variable, p: u8) -> Option<Variable> {
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

/// Axis `a` of `x` as an isize, written from the end (`a - ndim`) when bit 5 of `p` is set.
pub fn py_axis(x: &Variable, a: usize, p: u8) -> isize {
    if p & 32 != 0 {
        a as isize - x.ndim() as isize
    } else {
        a as isize
    }
}

pub fn axis(v: &Variable, p: u8) -> Option<usize> {
    (v.ndim() > 0).then(|| p as usize % v.ndim())
}

/// An index entry for `x`'s dimension: an integer (constant or symbolic) or a slice.
pub fn basic_idx(x: &Variable, y: &Variable, p: u8) -> Idx {
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
pub fn index_vector(y: &Variable) -> Option<Variable> {
    match (y.ndim(), y.dtype()) {
        (1, d) if d.is_int() => Some(y.clone()),
        (1, _) => Some(T::cast(y, DType::Int64)),
        _ => None,
    }
}

pub fn indexed(x: &Variable, y: &Variable, z: &Variable, p: u8) -> Option<Variable> {
    if x.ndim() == 0 {
        return None;
    }
    let mut idx = vec![basic_idx(x, y, p)];
    if x.ndim() > 1 && p & 128 != 0 {
        idx.push(basic_idx(x, z, p / 2));
    }
    x.get(&idx).ok()
}

pub fn advanced(x: &Variable, y: &Variable, p: u8) -> Option<Variable> {
    let iv = index_vector(y)?;
    match (x.ndim(), p % 3) {
        (0, _) => None,
        (1, _) | (_, 0) => x.get(&[Idx::Array(iv)]).ok(),
        (_, 1) => x.get(&[Idx::all(), Idx::Array(iv)]).ok(),
        _ => x.get(&[Idx::Array(iv.clone()), Idx::Array(iv)]).ok(),
    }
}

pub fn scalar_of(x: &Variable) -> Option<Variable> {
    match x.ndim() {
        0 => Some(x.clone()),
        _ => T::sum_axes(x, None, false).ok(),
    }
}

/// `v`'s transpose (a matrix) or `v`.
pub fn t(v: &Variable) -> Variable {
    match v.ndim() {
        2 => v
            .dimshuffle(&[Some(1), Some(0)])
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

/// A dot of every rank: `x` with `y`, with a transpose to line the shapes up (the inputs are
/// 2x3 matrices and length-3 vectors), or with an input of a shape that fits.
pub fn dot_of(pool: &[Variable], x: &Variable, y: &Variable, p: u8) -> Option<Variable> {
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
pub fn build(pool: &[Variable], (op, a, b, c, p): Step) -> Option<Variable> {
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
            // a negative axis (Python's) names the same axis: half of them are written so
            let ax = axis(&x, p / 6).map(|a| py_axis(&x, a, p));
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
            let ax = axis(&x, p / 5).map(|a| vec![py_axis(&x, a, p)]);
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
            // the Flatten op itself (the flatten builder makes a Reshape, code 34)
            1 if x.ndim() >= 1 => {
                let op = theano::Op::Flatten {
                    outdim: 1 + (p as usize / 4) % x.ndim(),
                };
                T::apply_op(op, vec![x.clone()]).ok()?.pop()
            }
            2 if x.ndim() == 2 => {
                T::reshape(&x, vec![T::shape_i(&x, 1).ok()?, T::shape_i(&x, 0).ok()?]).ok()
            }
            _ => T::reshape(&x, [1, -1]).ok(),
        },
        11 => {
            let ax = py_axis(&x, axis(&x, p)?, p);
            T::concatenate(&[x, y], ax).ok()
        }
        12 => {
            let mut dims = Vec::new();
            for i in 0..x.ndim().max(p as usize % 3) {
                dims.push(match (i % 2, y.ndim()) {
                    (0, n) if n > 0 => T::shape_i(&y, i % n).ok()?,
                    // a constant 1 makes a broadcastable dimension (Theano's rule), which
                    // the rewrites then rely on (the Gemm of `zeros((1, n)) + dot(a, b)`)
                    _ if p & 32 != 0 => i64c(1),
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
        29 => Some(T::fill(&x, &y)),
        // Theano 1.0's catalogue (new codes at the end, so the kept regressions' steps, all
        // below 30, build the graphs they did)
        30 => ew(CATALOGUE[p as usize % CATALOGUE.len()].clone(), vec![x]),
        // extra_ops and sort: cumsum, cumprod, sort, argsort, repeat, tile, the nonzero family
        32 => {
            let ax = if p & 64 != 0 {
                None
            } else {
                Some(py_axis(&x, axis(&x, p / 8)?, p))
            };
            match p % 8 {
                0 => T::cumsum(&x, ax).ok(),
                1 => T::cumprod(&x, ax).ok(),
                2 => T::sort(&x, ax).ok(),
                3 => T::argsort(&x, ax).ok(),
                4 => T::repeat(&x, i64c(p as i64 % 3), ax).ok(),
                5 => T::repeat(&x, T::constant(vec![2i64; x.ndim().max(1)]), ax).ok(),
                6 => T::tile(&x, &[i64c(2), i64c(1 + p as i64 % 2)], None).ok(),
                _ if p & 32 != 0 => T::flatnonzero(&x).ok(),
                _ => T::nonzero_values(&x).ok(),
            }
        }
        // Theano 1.0's matrix constructions and generalized products
        33 => {
            let k = (p / 8) as i64 % 5 - 2;
            match p % 8 {
                0 => T::diag(&x, k).ok(),
                1 => T::diagonal(&x, k, 0, -1).ok(),
                2 => T::tril(&x, k).ok(),
                3 => T::triu(&x, k).ok(),
                4 => T::identity_like(&x).ok(),
                5 => {
                    let n = T::shape_i(&x, 0).ok()?;
                    let m = if p & 64 != 0 { Some(i64c(2)) } else { None };
                    T::eye(n, m, k, Some(DTYPES[p as usize / 8 % 8])).ok()
                }
                6 if p & 64 != 0 => T::softmax_with_bias(&x, &y).ok(),
                6 => T::batched_dot(&x, &y).ok(),
                _ => T::tensordot(&x, &y, (p as usize / 8) % 3).ok(),
            }
        }
        // the wide unsigned dtypes: a cast (negative values wrap to large ones), then one
        // op in that dtype or mixed with another
        34 => {
            let u = T::cast(&x, DTYPES[8 + p as usize % 3]);
            match (p / 3) % 4 {
                0 => Some(u),
                1 => ew(BINARY[p as usize / 12 % BINARY.len()].clone(), vec![u, y]),
                2 => ew(UNARY[p as usize / 12 % UNARY.len()].clone(), vec![u]),
                _ => {
                    let v = T::cast(&y, DTYPES[8 + p as usize / 12 % 3]);
                    ew(BINARY[p as usize / 36 % BINARY.len()].clone(), vec![u, v])
                }
            }
        }
        // nnet's categorical crossentropy with labels (the row argmax of a matrix, so they are
        // in range; or an operand, often refused or out of range) and its gradient op; flatten
        35 => {
            let labels = || {
                if p & 64 != 0 {
                    T::argmax(&x, Some(&[1]), false).ok()
                } else {
                    Some(y.clone())
                }
            };
            match p % 4 {
                0 => T::categorical_crossentropy(&x, labels()?).ok(),
                1 => T::categorical_crossentropy(T::softmax(&x).ok()?, labels()?).ok(),
                2 => T::crossentropy_categorical_1hot_grad(&z, &x, labels()?).ok(),
                _ => T::flatten(&x, 1 + (p as usize / 4) % 3).ok(),
            }
        }
        // code 31
        _ => match p % 6 {
            0 => ew(S::ArcTan2, vec![x, y]),
            1 => ew(S::ArcTan2, vec![k(), x]),
            2 => Some(T::relu(&x)),
            3 => Some(T::elu(&x)),
            4 => Some(T::hard_sigmoid(&x)),
            _ => Some(T::binary_crossentropy(&x, &y)),
        },
    }
}

/// A random step.
pub fn step() -> impl Strategy<Value = Step> {
    (0..N_OPS, any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
}
