//! Replays the conformance corpus written by the real Theano 1.0.5 (tests/theano10/corpus.json,
//! see tests/theano10/README.md) through theano-rs's public API, and prints a score table per
//! column: the printed graph (`pp`, `debugprint`), the output type, the optimized graph's
//! `pp`, the values on both linkers, the gradient's `pp` and values, and the bad builds.
//!
//! Each record's `source` (a Python expression) is parsed (`theano10/pyexpr.rs`) and
//! evaluated by calling the Rust builder of the same name (`T.sum(x, axis=0)` ->
//! `T::sum_axes(&x, Some(&[0]), false)`); a name without a Rust builder, or an argument the
//! builder does not take (a negative transpose axis), fails that record's columns.
//! The floors at the end make the test fail when a score drops.

#[path = "theano10/pyexpr.rs"]
mod pyexpr;

use pyexpr::Expr;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use theano::tensor::{self as T, Idx, IntoVar};
use theano::{debugprint, grad, pp, DType, Mode, OnUnused, Tensor, TensorType, Variable};

/// A value while evaluating a source expression.
#[derive(Clone, Debug)]
enum Val {
    Var(Variable),
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    Str(String),
    Seq(Vec<Val>),
    Slice(Option<Box<Val>>, Option<Box<Val>>, Option<Box<Val>>),
    /// A module or function path: `T`, `T.nnet`, `T.nnet.relu`.
    Path(String),
    /// A bound method: `x.sum`.
    Method(Variable, String),
}

type R<T> = Result<T, String>;

fn var(v: &Val) -> R<Variable> {
    Ok(match v {
        Val::Var(x) => x.clone(),
        Val::Int(i) => (*i).into_var(),
        Val::Float(f) => (*f).into_var(),
        Val::Bool(b) => (*b).into_var(),
        Val::Seq(items) => {
            let vs: Vec<Variable> = items.iter().map(var).collect::<R<_>>()?;
            T::stack(&vs, 0).map_err(|e| e.to_string())?
        }
        other => return Err(format!("not a tensor: {other:?}")),
    })
}

fn int(v: &Val) -> R<i64> {
    match v {
        Val::Int(i) => Ok(*i),
        Val::Bool(b) => Ok(*b as i64),
        other => Err(format!("not an int: {other:?}")),
    }
}

/// An axis argument as the Rust API takes it (`None`: all axes; negative: from the end).
fn axes(v: Option<&Val>) -> R<Option<Vec<isize>>> {
    let one = |v: &Val| -> R<isize> { Ok(int(v)? as isize) };
    Ok(match v {
        None | Some(Val::None) => None,
        Some(Val::Seq(items)) => Some(items.iter().map(one).collect::<R<_>>()?),
        Some(v) => Some(vec![one(v)?]),
    })
}

/// One axis or `None` (all axes, or the flattened tensor).
fn opt_axis(v: Option<&Val>) -> R<Option<isize>> {
    match v {
        None | Some(Val::None) => Ok(None),
        Some(v) => Ok(Some(int(v)? as isize)),
    }
}

/// Positional argument `i`, else keyword `name`.
fn arg<'a>(args: &'a [Val], kw: &'a [(String, Val)], i: usize, name: &str) -> Option<&'a Val> {
    args.get(i)
        .or_else(|| kw.iter().find(|(k, _)| k == name).map(|(_, v)| v))
}

fn flag(args: &[Val], kw: &[(String, Val)], i: usize, name: &str) -> R<bool> {
    match arg(args, kw, i, name) {
        None => Ok(false),
        Some(Val::Bool(b)) => Ok(*b),
        Some(v) => Err(format!("{name}: not a bool: {v:?}")),
    }
}

fn e<T, E: std::fmt::Display>(r: Result<T, E>) -> R<T> {
    r.map_err(|e| e.to_string())
}

fn v1(args: &[Val]) -> R<Variable> {
    var(args.first().ok_or("an argument is missing")?)
}
fn v2(args: &[Val]) -> R<(Variable, Variable)> {
    Ok((
        var(args.first().ok_or("an argument is missing")?)?,
        var(args.get(1).ok_or("an argument is missing")?)?,
    ))
}

/// Call the Rust builder named as the Python function `name` (`x.f` for methods, the
/// receiver first in `args`).
fn call(name: &str, args: &[Val], kw: &[(String, Val)]) -> R<Val> {
    let name = name
        .strip_prefix("theano.tensor.")
        .map_or_else(|| name.to_string(), |rest| format!("T.{rest}"));
    let red = |f: fn(&Variable, Option<&[isize]>, bool) -> theano::ir::Result<Variable>| -> R<Val> {
        let x = v1(args)?;
        let ax = axes(arg(args, kw, 1, "axis"))?;
        let keep = flag(args, kw, 2, "keepdims")?;
        Ok(Val::Var(e(f(&x, ax.as_deref(), keep))?))
    };
    macro_rules! un {
        ($f:path) => {
            Ok(Val::Var($f(&v1(args)?)))
        };
    }
    macro_rules! un_r {
        ($f:path) => {
            Ok(Val::Var(e($f(&v1(args)?))?))
        };
    }
    macro_rules! bin {
        ($f:path) => {{
            let (a, b) = v2(args)?;
            Ok(Val::Var($f(&a, &b)))
        }};
    }
    match name.as_str() {
        "T.exp" => un!(T::exp),
        "T.log" => un!(T::log),
        "T.log1p" => un!(T::log1p),
        "T.expm1" => un!(T::expm1),
        "T.tanh" => un!(T::tanh),
        "T.nnet.sigmoid" | "T.sigmoid" => un!(T::sigmoid),
        "T.nnet.softplus" | "T.softplus" => un!(T::softplus),
        "T.abs_" | "abs" => un!(T::abs),
        "T.sgn" => un_r!(T::sgn),
        "T.floor" => un!(T::floor),
        "T.ceil" => un!(T::ceil),
        "T.round" | "T.round_half_to_even" => un_r!(T::round),
        "T.round_half_away_from_zero" => un_r!(T::round_half_away_from_zero),
        "T.sqr" | "T.square" => un!(T::sqr),
        "T.sqrt" => un!(T::sqrt),
        "T.neg" => un_r!(T::neg),
        "T.invert" | "T.bitwise_not" => Ok(Val::Var(e(T::invert(&v1(args)?))?)),
        "T.sin" => un!(T::sin),
        "T.cos" => un!(T::cos),
        "T.tan" => un!(T::tan),
        "T.arcsin" => un!(T::arcsin),
        "T.arccos" => un!(T::arccos),
        "T.arctan" => un!(T::arctan),
        "T.sinh" => un!(T::sinh),
        "T.cosh" => un!(T::cosh),
        "T.arcsinh" => un!(T::arcsinh),
        "T.arccosh" => un!(T::arccosh),
        "T.arctanh" => un!(T::arctanh),
        "T.exp2" => un!(T::exp2),
        "T.log2" => un!(T::log2),
        "T.log10" => un!(T::log10),
        "T.erf" => un!(T::erf),
        "T.erfc" => un!(T::erfc),
        "T.erfinv" => un!(T::erfinv),
        "T.erfcinv" => un!(T::erfcinv),
        "T.gamma" => un!(T::gamma),
        "T.gammaln" => un!(T::gammaln),
        "T.psi" => un!(T::psi),
        "T.tri_gamma" => un!(T::tri_gamma),
        "T.inv" => un!(T::inv),
        "T.deg2rad" => un!(T::deg2rad),
        "T.rad2deg" => un!(T::rad2deg),
        "T.trunc" => un!(T::trunc),
        "T.isnan" => un!(T::isnan),
        "T.isinf" => un!(T::isinf),
        "T.nnet.softsign" => un!(T::softsign),
        "T.nnet.ultra_fast_sigmoid" => un!(T::ultra_fast_sigmoid),
        "T.nnet.hard_sigmoid" => un!(T::hard_sigmoid),
        "T.iround" => Ok(Val::Var(e(T::iround(&v1(args)?))?)),
        "T.arctan2" => bin!(T::arctan2),
        "T.nnet.relu" | "T.nnet.elu" => {
            let x = v1(args)?;
            let alpha = arg(args, kw, 1, "alpha");
            let relu = name == "T.nnet.relu";
            Ok(Val::Var(match alpha {
                None if relu => T::relu(&x),
                None => T::elu(&x),
                Some(a) if relu => T::relu_alpha(&x, var(a)?),
                Some(a) => T::elu_alpha(&x, var(a)?),
            }))
        }
        "T.nnet.binary_crossentropy" => bin!(T::binary_crossentropy),
        "T.nnet.sigmoid_binary_crossentropy" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::sigmoid_binary_crossentropy(&a, &b))?))
        }
        "T.where" => {
            let c = v1(args)?;
            let a = var(args.get(1).ok_or("where: a")?)?;
            let b = var(args.get(2).ok_or("where: b")?)?;
            Ok(Val::Var(T::where_(&c, &a, &b)))
        }
        "T.outer" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::outer(&a, &b))?))
        }
        "T.roll" => {
            let x = v1(args)?;
            let shift = var(arg(args, kw, 1, "shift").ok_or("roll: shift")?)?;
            let axis = arg(args, kw, 2, "axis")
                .filter(|v| !matches!(v, Val::None))
                .map(|v| int(v).map(|a| a as isize))
                .transpose()?;
            Ok(Val::Var(e(T::roll(&x, &shift, axis))?))
        }
        "T.cumsum" | "T.cumprod" | "x.cumsum" | "x.cumprod" => {
            let x = v1(args)?;
            let axis = opt_axis(arg(args, kw, 1, "axis"))?;
            let r = if name.ends_with("cumsum") {
                T::cumsum(&x, axis)
            } else {
                T::cumprod(&x, axis)
            };
            Ok(Val::Var(e(r)?))
        }
        "T.sort" | "T.argsort" | "x.sort" | "x.argsort" => {
            let x = v1(args)?;
            let axis = match arg(args, kw, 1, "axis") {
                None => Some(-1),
                v => opt_axis(v)?,
            };
            let r = if name.ends_with("argsort") {
                T::argsort(&x, axis)
            } else {
                T::sort(&x, axis)
            };
            Ok(Val::Var(e(r)?))
        }
        "T.tile" => {
            let x = v1(args)?;
            let reps: Vec<Variable> = match arg(args, kw, 1, "reps").ok_or("tile: reps")? {
                Val::Seq(items) => items.iter().map(var).collect::<R<_>>()?,
                v => vec![var(v)?],
            };
            let ndim = match arg(args, kw, 2, "ndim") {
                None | Some(Val::None) => None,
                Some(v) => Some(usize::try_from(int(v)?).map_err(|_| "tile: negative ndim")?),
            };
            Ok(Val::Var(e(T::tile(&x, &reps, ndim))?))
        }
        "T.repeat" | "x.repeat" => {
            let x = v1(args)?;
            let repeats = match arg(args, kw, 1, "repeats").ok_or("repeat: repeats")? {
                // Python's list of ints: numpy's int64 array
                Val::Seq(items) => {
                    let v: Vec<i64> = items.iter().map(int).collect::<R<_>>()?;
                    T::constant(v)
                }
                v => var(v)?,
            };
            let axis = opt_axis(arg(args, kw, 2, "axis"))?;
            Ok(Val::Var(e(T::repeat(&x, &repeats, axis))?))
        }
        "T.nonzero" | "x.nonzero" => {
            let x = v1(args)?;
            if flag(args, kw, 1, "return_matrix")? {
                Ok(Val::Var(e(T::nonzero_matrix(&x))?))
            } else {
                Ok(Val::Seq(
                    e(T::nonzero(&x))?.into_iter().map(Val::Var).collect(),
                ))
            }
        }
        "T.flatnonzero" | "x.flatnonzero" => Ok(Val::Var(e(T::flatnonzero(&v1(args)?))?)),
        "T.nonzero_values" | "x.nonzero_values" => Ok(Val::Var(e(T::nonzero_values(&v1(args)?))?)),
        "T.tensordot" => {
            let (a, b) = v2(args)?;
            let ax = match arg(args, kw, 2, "axes") {
                None => T::TensordotAxes::Count(2),
                Some(Val::Seq(pair)) if pair.len() == 2 => {
                    let list = |v: &Val| -> R<Vec<isize>> {
                        Ok(axes(Some(v))?.ok_or("tensordot: axes None")?)
                    };
                    T::TensordotAxes::Pairs(list(&pair[0])?, list(&pair[1])?)
                }
                Some(v) => T::TensordotAxes::Count(
                    usize::try_from(int(v)?).map_err(|_| "tensordot: negative axes")?,
                ),
            };
            Ok(Val::Var(e(T::tensordot(&a, &b, ax))?))
        }
        "T.batched_dot" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::batched_dot(&a, &b))?))
        }
        "T.diag" => {
            let x = v1(args)?;
            let k = arg(args, kw, 1, "k").map(int).transpose()?.unwrap_or(0);
            Ok(Val::Var(e(T::diag(&x, k))?))
        }
        "T.diagonal" | "x.diagonal" => {
            let x = v1(args)?;
            let i = |n: usize, name: &str, d: i64| -> R<i64> {
                Ok(arg(args, kw, n, name).map(int).transpose()?.unwrap_or(d))
            };
            let (off, a1, a2) = (i(1, "offset", 0)?, i(2, "axis1", 0)?, i(3, "axis2", 1)?);
            Ok(Val::Var(e(T::diagonal(&x, off, a1 as isize, a2 as isize))?))
        }
        "T.nlinalg.trace" | "x.trace" => Ok(Val::Var(e(T::trace(&v1(args)?))?)),
        "T.eye" | "T.tri" => {
            let n = v1(args)?;
            let m = arg(args, kw, 1, "m")
                .or_else(|| arg(args, kw, 1, "M"))
                .filter(|v| !matches!(v, Val::None))
                .map(var)
                .transpose()?;
            let k = match arg(args, kw, 2, "k") {
                None => 0i64.into_var(),
                Some(v) => var(v)?,
            };
            let dtype = match arg(args, kw, 3, "dtype") {
                None | Some(Val::None) => None,
                Some(Val::Str(s)) => Some(DType::from_name(s).ok_or("eye: dtype name")?),
                Some(v) => return Err(format!("eye: dtype {v:?}")),
            };
            let r = if name == "T.eye" {
                T::eye(n, m, k, dtype)
            } else {
                T::tri(n, m, k, dtype)
            };
            Ok(Val::Var(e(r)?))
        }
        "T.identity_like" => Ok(Val::Var(e(T::identity_like(&v1(args)?))?)),
        "T.tril" | "T.triu" => {
            let x = v1(args)?;
            let k = arg(args, kw, 1, "k").map(int).transpose()?.unwrap_or(0);
            let r = if name == "T.tril" {
                T::tril(&x, k)
            } else {
                T::triu(&x, k)
            };
            Ok(Val::Var(e(r)?))
        }
        "T.alloc" => {
            let x = v1(args)?;
            let shape: Vec<Variable> = args[1..].iter().map(var).collect::<R<_>>()?;
            Ok(Val::Var(e(T::alloc(&x, &shape))?))
        }
        "T.nnet.softmax_with_bias" => {
            let (x, b) = v2(args)?;
            Ok(Val::Var(e(T::softmax_with_bias(&x, &b))?))
        }
        "T.add" => bin!(T::add),
        "T.sub" => bin!(T::sub),
        "T.mul" => bin!(T::mul),
        "T.true_div" => bin!(T::true_div),
        "T.int_div" => bin!(T::int_div),
        "T.mod" => bin!(T::modulo),
        "T.pow" => bin!(T::pow),
        "T.maximum" => bin!(T::maximum),
        "T.minimum" => bin!(T::minimum),
        "T.gt" => bin!(T::gt),
        "T.lt" => bin!(T::lt),
        "T.ge" => bin!(T::ge),
        "T.le" => bin!(T::le),
        "T.eq" => bin!(T::eq),
        "T.neq" => bin!(T::neq),
        "T.and_" | "T.bitwise_and" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::and_(&a, &b))?))
        }
        "T.or_" | "T.bitwise_or" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::or_(&a, &b))?))
        }
        "T.xor" | "T.bitwise_xor" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::xor(&a, &b))?))
        }
        "T.clip" => {
            let x = v1(args)?;
            let lo = var(args.get(1).ok_or("clip: lo")?)?;
            let hi = var(args.get(2).ok_or("clip: hi")?)?;
            Ok(Val::Var(T::clip(&x, &lo, &hi)))
        }
        "T.switch" => {
            let c = v1(args)?;
            let a = var(args.get(1).ok_or("switch: a")?)?;
            let b = var(args.get(2).ok_or("switch: b")?)?;
            Ok(Val::Var(T::switch(&c, &a, &b)))
        }
        "T.cast" | "x.astype" => {
            let x = v1(args)?;
            match arg(args, kw, 1, "dtype").ok_or("cast: dtype")? {
                Val::Str(s) => Ok(Val::Var(e(T::cast(&x, s.as_str()))?)),
                v => Err(format!("cast: not a dtype name: {v:?}")),
            }
        }
        "T.sum" | "x.sum" | "T.prod" | "x.prod" => {
            let x = v1(args)?;
            let ax = axes(arg(args, kw, 1, "axis"))?;
            let keep = flag(args, kw, 3, "keepdims")?;
            let prod = name.ends_with("prod");
            let r = match arg(args, kw, 2, "dtype") {
                None | Some(Val::None) => {
                    if prod {
                        T::prod_axes(&x, ax.as_deref(), keep)
                    } else {
                        T::sum_axes(&x, ax.as_deref(), keep)
                    }
                }
                Some(Val::Str(d)) if prod => T::prod_dtype(&x, ax.as_deref(), keep, d.as_str()),
                Some(Val::Str(d)) => T::sum_dtype(&x, ax.as_deref(), keep, d.as_str()),
                Some(v) => return Err(format!("{name}: not a dtype name: {v:?}")),
            };
            Ok(Val::Var(e(r)?))
        }
        "T.all" | "x.all" => red(|x, a, k| T::all_axes(x, a, k)),
        "T.any" | "x.any" => red(|x, a, k| T::any_axes(x, a, k)),
        "T.max" | "x.max" => red(|x, a, k| T::max(x, a, k)),
        "T.min" | "x.min" => red(|x, a, k| T::min(x, a, k)),
        "T.argmax" | "x.argmax" => red(|x, a, k| T::argmax(x, a, k)),
        "T.argmin" | "x.argmin" => red(|x, a, k| T::argmin(x, a, k)),
        "T.mean" | "x.mean" => red(|x, a, k| T::mean(x, a, k)),
        "T.var" | "x.var" | "T.std" | "x.std" => {
            let x = v1(args)?;
            let ax = axes(arg(args, kw, 1, "axis"))?;
            let ddof = arg(args, kw, 2, "ddof").map(int).transpose()?.unwrap_or(0);
            let keep = flag(args, kw, 3, "keepdims")?;
            let corrected = flag(args, kw, 4, "corrected")?;
            let r = if name.ends_with("var") {
                T::var_ddof(&x, ax.as_deref(), ddof, keep, corrected)
            } else {
                T::std_ddof(&x, ax.as_deref(), ddof, keep, corrected)
            };
            Ok(Val::Var(e(r)?))
        }
        "T.dot" | "x.dot" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::dot(&a, &b))?))
        }
        "T.nnet.softmax" => Ok(Val::Var(e(T::softmax(&v1(args)?))?)),
        "T.nnet.logsoftmax" => Ok(Val::Var(e(T::log_softmax(&v1(args)?))?)),
        "T.nnet.categorical_crossentropy" => {
            let (a, b) = v2(args)?;
            Ok(Val::Var(e(T::categorical_crossentropy(&a, &b))?))
        }
        "T.zeros_like" => un!(T::zeros_like),
        "T.ones_like" => un!(T::ones_like),
        "T.fill" => bin!(T::fill),
        "T.transpose" => {
            let x = v1(args)?;
            let ax: Option<Vec<usize>> = axes(arg(args, kw, 1, "axes"))?
                .map(|v| v.into_iter().map(usize::try_from).collect::<Result<_, _>>())
                .transpose()
                .map_err(|_| "transpose: negative axis".to_string())?;
            Ok(Val::Var(e(T::transpose(&x, ax.as_deref()))?))
        }
        "T.flatten" | "x.flatten" => {
            let x = v1(args)?;
            let nd = match arg(args, kw, 1, "ndim").or_else(|| arg(args, kw, 1, "outdim")) {
                None => 1,
                Some(v) => usize::try_from(int(v)?).map_err(|_| "negative ndim")?,
            };
            Ok(Val::Var(e(T::flatten(&x, nd))?))
        }
        "T.reshape" | "x.reshape" => {
            let x = v1(args)?;
            let items: Vec<Val> = if args.len() > 2 && name == "x.reshape" {
                args[1..].to_vec()
            } else {
                match arg(args, kw, 1, "newshape").ok_or("reshape: shape")? {
                    Val::Seq(items) => items.clone(),
                    Val::Var(s) if s.ndim() == 1 => {
                        let nd = arg(args, kw, 2, "ndim").ok_or("reshape: ndim")?;
                        let nd = usize::try_from(int(nd)?).map_err(|_| "negative ndim")?;
                        return Ok(Val::Var(e(T::reshape_ndim(&x, s, nd))?));
                    }
                    v => vec![v.clone()],
                }
            };
            let r = if items.iter().all(|v| matches!(v, Val::Int(_))) {
                T::reshape(&x, items.iter().map(int).collect::<R<Vec<i64>>>()?)
            } else {
                T::reshape(&x, items.iter().map(var).collect::<R<Vec<Variable>>>()?)
            };
            Ok(Val::Var(e(r)?))
        }
        "x.dimshuffle" => {
            let x = v1(args)?;
            let items: Vec<Val> = match args.get(1) {
                Some(Val::Seq(items)) if args.len() == 2 => items.clone(),
                _ => args[1..].to_vec(),
            };
            let order: Vec<Option<usize>> = items
                .iter()
                .map(|v| match v {
                    Val::Str(s) if s == "x" => Ok(None),
                    v => usize::try_from(int(v)?)
                        .map(Some)
                        .map_err(|_| "negative dimension".to_string()),
                })
                .collect::<R<_>>()?;
            Ok(Val::Var(e(T::dimshuffle(&x, &order))?))
        }
        "T.concatenate" | "T.stack" => {
            let xs: Vec<Variable> = match args.first() {
                Some(Val::Seq(items)) => items.iter().map(var).collect::<R<_>>()?,
                _ => return Err(format!("{name}: a list of tensors")),
            };
            let ax = match arg(args, kw, 1, "axis") {
                None => 0,
                Some(v) => int(v)? as isize,
            };
            let r = if name == "T.stack" {
                T::stack(&xs, ax)
            } else {
                T::concatenate(&xs, ax)
            };
            Ok(Val::Var(e(r)?))
        }
        "T.set_subtensor" | "T.inc_subtensor" => {
            let (a, b) = v2(args)?;
            let r = if name == "T.set_subtensor" {
                T::set_subtensor(&a, &b)
            } else {
                T::inc_subtensor(&a, &b)
            };
            Ok(Val::Var(e(r)?))
        }
        "T.arange" => match args {
            [stop] => Ok(Val::Var(e(T::arange(var(stop)?))?)),
            [a, b] => Ok(Val::Var(e(T::arange_full(var(a)?, var(b)?, 1i64))?)),
            [a, b, c] => Ok(Val::Var(e(T::arange_full(var(a)?, var(b)?, var(c)?))?)),
            _ => Err("arange: 1 to 3 arguments".into()),
        },
        _ => Err(format!("no Rust builder for {name}")),
    }
}

fn binop(o: &str, a: &Val, b: &Val) -> R<Val> {
    if let (Val::Int(x), Val::Int(y)) = (a, b) {
        let r = match o {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            _ => return Err(format!("python int {o}")),
        };
        return Ok(Val::Int(r));
    }
    let (x, y) = (var(a)?, var(b)?);
    Ok(Val::Var(match o {
        "+" => &x + &y,
        "-" => &x - &y,
        "*" => &x * &y,
        "/" => &x / &y,
        "//" => T::int_div(&x, &y),
        "%" => T::modulo(&x, &y),
        "**" => T::pow(&x, &y),
        "<" => T::lt(&x, &y),
        ">" => T::gt(&x, &y),
        "<=" => T::le(&x, &y),
        ">=" => T::ge(&x, &y),
        "==" => T::eq(&x, &y),
        "!=" => T::neq(&x, &y),
        "&" => e(T::and_(&x, &y))?,
        "|" => e(T::or_(&x, &y))?,
        "^" => e(T::xor(&x, &y))?,
        o => return Err(format!("operator {o}")),
    }))
}

fn index_item(v: &Val) -> R<Idx> {
    let bound = |b: &Option<Box<Val>>| -> R<Option<Variable>> {
        match b.as_deref() {
            None | Some(Val::None) => Ok(None),
            Some(Val::Int(i)) => Ok(Some(T::constant(*i))),
            Some(v) => Ok(Some(var(v)?)),
        }
    };
    Ok(match v {
        Val::Int(i) => Idx::Int(T::constant(*i)),
        Val::Slice(a, b, c) => Idx::slice(bound(a)?, bound(b)?, bound(c)?),
        Val::Var(x) if x.ndim() == 0 => Idx::Int(x.clone()),
        Val::Var(x) => Idx::Array(x.clone()),
        Val::Seq(_) => Idx::Array(var(v)?),
        other => return Err(format!("index {other:?}")),
    })
}

struct Env<'a> {
    vars: &'a BTreeMap<String, Variable>,
}

impl Env<'_> {
    fn eval(&self, x: &Expr) -> R<Val> {
        Ok(match x {
            Expr::Name(n) => match n.as_str() {
                "T" | "tensor" => Val::Path("T".into()),
                "theano" | "np" => Val::Path(n.clone()),
                "nnet" => Val::Path("T.nnet".into()),
                "abs" | "sum" | "mean" => Val::Path(n.clone()),
                _ => Val::Var(self.vars.get(n).cloned().ok_or(format!("name {n}"))?),
            },
            Expr::Int(i) => Val::Int(*i),
            Expr::Float(f) => Val::Float(*f),
            Expr::Str(s) => Val::Str(s.clone()),
            Expr::NoneLit => Val::None,
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Tuple(v) | Expr::List(v) => {
                Val::Seq(v.iter().map(|x| self.eval(x)).collect::<R<_>>()?)
            }
            Expr::Attr(b, a) => match self.eval(b)? {
                Val::Path(p) => Val::Path(if p == "theano" && a == "tensor" {
                    "T".into()
                } else {
                    format!("{p}.{a}")
                }),
                Val::Var(v) => match a.as_str() {
                    "T" => Val::Var(v.t()),
                    "ndim" => Val::Int(v.ndim() as i64),
                    "shape" => Val::Var(v.shape()),
                    "dtype" => Val::Str(v.dtype().to_string()),
                    m => Val::Method(v, m.to_string()),
                },
                other => return Err(format!("attribute {a} of {other:?}")),
            },
            Expr::Call(f, args, kw) => {
                let args: Vec<Val> = args.iter().map(|x| self.eval(x)).collect::<R<_>>()?;
                let kw: Vec<(String, Val)> = kw
                    .iter()
                    .map(|(k, x)| Ok((k.clone(), self.eval(x)?)))
                    .collect::<R<_>>()?;
                match self.eval(f)? {
                    Val::Path(p) => call(&p, &args, &kw)?,
                    Val::Method(v, m) => {
                        let mut all = vec![Val::Var(v)];
                        all.extend(args);
                        call(&format!("x.{m}"), &all, &kw)?
                    }
                    other => return Err(format!("call of {other:?}")),
                }
            }
            Expr::Index(b, items) => {
                let base = self.eval(b)?;
                // a Python tuple of tensors (`T.nonzero(x)[0]`) indexed by an int
                if let (Val::Seq(vals), [Expr::Int(i)]) = (&base, &items[..]) {
                    let k = if *i < 0 { vals.len() as i64 + i } else { *i };
                    return usize::try_from(k)
                        .ok()
                        .and_then(|k| vals.get(k).cloned())
                        .ok_or_else(|| format!("tuple index {i} out of range"));
                }
                let x = var(&base)?;
                let idx: Vec<Idx> = items
                    .iter()
                    .map(|i| index_item(&self.eval(i)?))
                    .collect::<R<_>>()?;
                Val::Var(e(x.get(&idx))?)
            }
            Expr::Slice(a, b, c) => {
                let f = |x: &Option<Box<Expr>>| -> R<Option<Box<Val>>> {
                    x.as_deref().map(|x| self.eval(x).map(Box::new)).transpose()
                };
                Val::Slice(f(a)?, f(b)?, f(c)?)
            }
            Expr::Unary(o, x) => {
                let v = self.eval(x)?;
                match *o {
                    "-" => Val::Var(e(T::neg(&var(&v)?))?),
                    "+" => v,
                    "~" => Val::Var(e(T::invert(&var(&v)?))?),
                    o => return Err(format!("unary {o}")),
                }
            }
            Expr::Binary(o, a, b) => binop(o, &self.eval(a)?, &self.eval(b)?)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// JSON arrays

fn flat(j: &Json, out: &mut Vec<f64>) -> R<()> {
    match j {
        Json::Array(a) => {
            for x in a {
                flat(x, out)?;
            }
        }
        Json::Number(n) => out.push(n.as_f64().ok_or("number")?),
        Json::Bool(b) => out.push(*b as u8 as f64),
        Json::String(s) => out.push(match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            s => return Err(format!("value {s:?}")),
        }),
        other => return Err(format!("value {other}")),
    }
    Ok(())
}

fn array(j: &Json) -> R<Tensor> {
    let dt = DType::from_name(j["dtype"].as_str().ok_or("dtype")?).ok_or("dtype name")?;
    let shape: Vec<usize> = j["shape"]
        .as_array()
        .ok_or("shape")?
        .iter()
        .map(|d| d.as_u64().map(|d| d as usize).ok_or("dim"))
        .collect::<Result<_, _>>()?;
    let mut data = Vec::new();
    flat(&j["data"], &mut data)?;
    e(Tensor::from_f64_vec(dt, &shape, data))
}

/// Values agree: same dtype and shape, equal elements (NaN = NaN), floats within a relative
/// tolerance (float32: 1e-5, float64: 1e-10; Theano's are numpy's).
fn agree(got: &Tensor, want: &Tensor) -> bool {
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return false;
    }
    let tol = match got.dtype() {
        DType::Float32 => 1e-5,
        DType::Float64 => 1e-10,
        _ => 0.0,
    };
    got.to_f64_vec()
        .iter()
        .zip(want.to_f64_vec())
        .all(|(&a, b)| {
            a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * b.abs().max(1e-300)
        })
}

// ---------------------------------------------------------------------------------------------
// Scoring

#[derive(Default)]
struct Column {
    pass: usize,
    total: usize,
    fails: Vec<String>,
}

#[derive(Default)]
struct Score {
    cols: BTreeMap<&'static str, Column>,
}

impl Score {
    fn check(&mut self, col: &'static str, id: &str, ok: bool, detail: impl FnOnce() -> String) {
        let c = self.cols.entry(col).or_default();
        c.total += 1;
        if ok {
            c.pass += 1;
        } else if c.fails.len() < 400 {
            c.fails.push(format!("{id}: {}", detail()));
        }
    }
    fn pct(&self, col: &str) -> f64 {
        self.cols
            .get(col)
            .map_or(0.0, |c| 100.0 * c.pass as f64 / c.total.max(1) as f64)
    }
}

fn inputs_of(rec: &Json) -> R<(Vec<Variable>, Vec<Tensor>, BTreeMap<String, Variable>)> {
    let mut vars = Vec::new();
    let mut vals = Vec::new();
    let mut map = BTreeMap::new();
    for i in rec["inputs"].as_array().ok_or("inputs")? {
        let name = i["name"].as_str().ok_or("name")?;
        let dt = DType::from_name(i["dtype"].as_str().ok_or("dtype")?).ok_or("dtype name")?;
        let bc: Vec<bool> = i["broadcastable"]
            .as_array()
            .ok_or("broadcastable")?
            .iter()
            .map(|b| b.as_bool().unwrap_or(false))
            .collect();
        let v = T::input(e(TensorType::new(dt, &bc))?, name);
        map.insert(name.to_string(), v.clone());
        vars.push(v);
        vals.push(array(&i["value"])?);
    }
    Ok((vars, vals, map))
}

fn compile_run(ins: &[Variable], out: &Variable, vals: &[Tensor], mode: Mode) -> R<Tensor> {
    let refs: Vec<&Variable> = ins.iter().collect();
    let f = e(theano::compile(&refs, out)
        .mode(mode)
        .on_unused_input(OnUnused::Ignore)
        .build())?;
    let mut r = e(f.call(vals))?;
    Ok(r.remove(0))
}

/// Records where Theano 1.0.5 fails at run time and numpy does not, with numpy's value
/// (what the library computes instead, deliberately) and the reason.
#[allow(clippy::type_complexity)]
const DELIBERATE_VALUES: &[(&str, fn() -> Tensor, &str)] = &[
    (
        "argmax/float64/r0",
        || Tensor::scalar(0i64),
        "np.argmax(np.float64(1.833)) is 0; Theano's Argmax.perform raises a TypeError on a 0-d input",
    ),
    (
        "argmin/float64/r0",
        || Tensor::scalar(0i64),
        "np.argmin of a 0-d array is 0; Theano builds it as Argmax of -x, which fails the same way",
    ),
];

fn replay(rec: &Json, s: &mut Score) {
    let id = rec["id"].as_str().unwrap_or("?").to_string();
    if rec.get("missing").is_some() || rec["op"] == "seed_graph" {
        return;
    }
    let built = (|| -> R<_> {
        let (ins, vals, map) = inputs_of(rec)?;
        let ast = pyexpr::parse(rec["source"].as_str().ok_or("source")?)?;
        let out = var(&Env { vars: &map }.eval(&ast)?)?;
        Ok((ins, vals, out))
    })();
    if let Some(err) = rec.get("error") {
        // Theano refused the build: so must we
        s.check("refused as Theano", &id, built.is_err(), || {
            format!("Theano: {err}: {}; built here", rec["message"])
        });
        return;
    }
    let (ins, vals, out) = match built {
        Ok(b) => b,
        Err(m) => {
            for col in [
                "pp",
                "debugprint",
                "type",
                "opt pp",
                "values interp",
                "values jit",
            ] {
                s.check(col, &id, false, || format!("not built: {m}"));
            }
            return;
        }
    };
    let want = rec["pp"].as_str().unwrap_or("");
    let got = pp(&out);
    s.check("pp", &id, got == want, || format!("{got}  vs  {want}"));
    let want = rec["debugprint"].as_str().unwrap_or("");
    let got = debugprint(std::slice::from_ref(&out));
    s.check("debugprint", &id, got.trim_end() == want.trim_end(), || {
        format!("\n{got}vs\n{want}")
    });
    let want = rec["output_type"]["type"].as_str().unwrap_or("");
    let got = out.ty().to_string();
    s.check("type", &id, got == want, || format!("{got} vs {want}"));
    let refs: Vec<&Variable> = ins.iter().collect();
    let f = theano::compile(&refs, &out)
        .on_unused_input(OnUnused::Ignore)
        .build();
    let want = rec["optimized"]["pp"].as_str().unwrap_or("");
    match f.as_ref().map(|f| f.fgraph_outputs()) {
        Ok(Ok(o)) => {
            let got = pp(&o[0]);
            s.check("opt pp", &id, got == want, || format!("{got}  vs  {want}"));
        }
        _ => s.check("opt pp", &id, false, || "not compiled".into()),
    }
    let want = match rec["output"].get("error") {
        // a run-time failure of Theano's own code that numpy does not have: compared with
        // numpy's value, listed in DELIBERATE_VALUES (and docs/ARCHITECTURE.md "Decisions")
        Some(_) => DELIBERATE_VALUES
            .iter()
            .find(|d| d.0 == id)
            .map(|d| (d.1)()),
        None => array(&rec["output"]).ok(),
    };
    for (col, mode) in [
        ("values interp", Mode::interp()),
        ("values jit", Mode::default()),
    ] {
        let got = compile_run(&ins, &out, &vals, mode);
        let ok = match (&got, &want) {
            (Ok(g), Some(w)) => agree(g, w),
            (Err(_), None) => true,
            _ => false,
        };
        s.check(col, &id, ok, || format!("{got:?} vs {want:?}"));
    }
    // gradients of sum(out), one per float input
    let Some(gs) = rec["grad"].as_array() else {
        return;
    };
    for g in gs {
        let wrt = g["wrt"].as_str().unwrap_or("");
        let Some(w) = ins.iter().find(|v| v.name().as_deref() == Some(wrt)) else {
            continue;
        };
        let gid = format!("{id} d/d{wrt}");
        let got = grad(&T::sum(&out), std::slice::from_ref(w)).map(|mut v| v.remove(0));
        if let Some(err) = g.get("error") {
            s.check("grad refused as Theano", &gid, got.is_err(), || {
                format!("Theano: {err}")
            });
            continue;
        }
        let gv = match got {
            Ok(gv) => gv,
            Err(m) => {
                s.check("grad pp", &gid, false, || format!("no gradient: {m}"));
                s.check("grad values", &gid, false, || "no gradient".into());
                continue;
            }
        };
        let want = g["pp"].as_str().unwrap_or("");
        let got = pp(&gv);
        s.check("grad pp", &gid, got == want, || {
            format!("{got}  vs  {want}")
        });
        let want = match g["value"].get("error") {
            Some(_) => None,
            None => array(&g["value"]).ok(),
        };
        let got = compile_run(&ins, &gv, &vals, Mode::default());
        let ok = match (&got, &want) {
            (Ok(a), Some(b)) => agree(a, b),
            (Err(_), None) => true,
            _ => false,
        };
        s.check("grad values", &gid, ok, || format!("{got:?} vs {want:?}"));
    }
}

/// The bad builds of one expression (`phase` build/compile/run): refused here too, at any
/// phase, with a typed error (never a panic).
fn bad_build(b: &Json, s: &mut Score) {
    let id = b["id"].as_str().unwrap_or("?").to_string();
    let src = b["source"].as_str().unwrap_or("");
    if src.contains(';') {
        return; // a script (the call-argument checks): covered by tests/function_errors.rs
    }
    let r = (|| -> R<()> {
        let (ins, vals, map) = inputs_of(b)?;
        let out = var(&Env { vars: &map }.eval(&pyexpr::parse(src)?)?)?;
        compile_run(&ins, &out, &vals, Mode::default()).map(|_| ())
    })();
    let accepted_by_theano = b.get("no_error").and_then(Json::as_bool) == Some(true);
    s.check(
        "bad builds as Theano",
        &id,
        r.is_err() != accepted_by_theano,
        || format!("Theano: {} {}; here: {r:?}", b["error"], b["message"]),
    );
}

#[test]
fn theano10_corpus_scores() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/theano10/corpus.json"
    ))
    .expect("the corpus is committed");
    let corpus: Json = serde_json::from_str(&text).expect("the corpus is JSON");
    let records = corpus["records"].as_array().expect("records");
    let mut s = Score::default();
    for r in records {
        let id = r["id"].as_str().unwrap_or("?").to_string();
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| replay(r, &mut s))).is_err() {
            s.check("no panic", &id, false, || "panicked".into());
        } else {
            s.check("no panic", &id, true, String::new);
        }
    }
    for b in corpus["bad_builds"].as_array().expect("bad_builds") {
        bad_build(b, &mut s);
    }
    println!(
        "\nTheano 1.0.5 corpus ({} records): score per column",
        records.len()
    );
    println!("{:<26} {:>6} {:>6} {:>7}", "column", "pass", "total", "%");
    for (k, c) in &s.cols {
        println!(
            "{k:<26} {:>6} {:>6} {:>6.1}%",
            c.pass,
            c.total,
            100.0 * c.pass as f64 / c.total.max(1) as f64
        );
    }
    if let Ok(col) = std::env::var("THEANO10_SHOW") {
        for f in s
            .cols
            .get(col.as_str())
            .map(|c| &c.fails[..])
            .unwrap_or(&[])
        {
            println!("  {f}");
        }
    }
    // Floors: today's scores, rounded down; a drop below one fails the test.
    let floors: &[(&str, f64)] = &[
        ("pp", 100.0),
        ("debugprint", 99.5),
        ("type", 100.0),
        ("opt pp", 91.5),
        ("values interp", 100.0),
        ("values jit", 100.0),
        ("grad pp", 97.0),
        ("grad values", 99.0),
        ("bad builds as Theano", 93.0),
        ("no panic", 100.0),
    ];
    for (col, floor) in floors {
        assert!(
            s.pct(col) >= *floor,
            "{col}: {:.1}% < floor {floor}%",
            s.pct(col)
        );
    }
}
