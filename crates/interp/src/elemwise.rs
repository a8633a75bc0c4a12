//! `Elemwise`: a scalar op mapped over numpy-broadcast inputs.
//!
//! The dtype is dispatched once per call: inputs are cast (numpy `astype`) to the dtype the
//! op computes in (the output dtype, or for comparisons the promotion of the inputs), then a
//! generic loop over `T: Num` runs with the scalar function inlined.

use crate::error::{PerformError, R};
use crate::num::Num;
use crate::util::{check_size, cow, py_shape};
use ndarray::{ArrayD, ArrayViewD, CowArray, IxDyn, Zip};
use theano_ir::ScalarOp;
use theano_tensor::{broadcast_shapes, with_dtype, DType, Element, Tensor};

/// numpy's broadcast shape of all inputs, or a shape error naming them.
pub fn broadcast_all(ins: &[&Tensor]) -> R<Vec<usize>> {
    let mut shape: Vec<usize> = Vec::new();
    for t in ins {
        shape = broadcast_shapes(&shape, t.shape()).ok_or_else(|| {
            let all: Vec<String> = ins.iter().map(|t| py_shape(t.shape())).collect();
            PerformError::shape(format!(
                "shape mismatch: cannot broadcast {} with {} (input shapes {})",
                py_shape(&shape),
                py_shape(t.shape()),
                all.join(", ")
            ))
        })?;
    }
    Ok(shape)
}

/// A broadcast view of `a` with `shape`.
pub fn bview<'a, T>(a: &'a CowArray<'_, T, IxDyn>, shape: &[usize]) -> R<ArrayViewD<'a, T>> {
    a.broadcast(IxDyn(shape)).ok_or_else(|| {
        PerformError::shape(format!(
            "shape mismatch: cannot broadcast {} to {}",
            py_shape(a.shape()),
            py_shape(shape)
        ))
    })
}

#[inline]
fn map1<A: Copy, O>(a: &ArrayViewD<A>, f: impl Fn(A) -> O) -> ArrayD<O> {
    if let Some(x) = a.as_slice() {
        // contiguous fast path: a plain slice loop the compiler can vectorize
        let v: Vec<O> = x.iter().map(|&x| f(x)).collect();
        if let Ok(r) = ArrayD::from_shape_vec(a.raw_dim(), v) {
            return r;
        }
    }
    a.map(|&x| f(x))
}

#[inline]
fn map2<A: Copy, B: Copy, O>(
    a: &ArrayViewD<A>,
    b: &ArrayViewD<B>,
    f: impl Fn(A, B) -> O,
) -> ArrayD<O> {
    if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
        // contiguous fast path (equal shapes, no broadcasting)
        let v: Vec<O> = x.iter().zip(y).map(|(&x, &y)| f(x, y)).collect();
        if let Ok(r) = ArrayD::from_shape_vec(a.raw_dim(), v) {
            return r;
        }
    }
    Zip::from(a).and(b).map_collect(|&x, &y| f(x, y))
}

#[inline]
fn map3<A: Copy, B: Copy, C: Copy, O>(
    a: &ArrayViewD<A>,
    b: &ArrayViewD<B>,
    c: &ArrayViewD<C>,
    f: impl Fn(A, B, C) -> O,
) -> ArrayD<O> {
    Zip::from(a)
        .and(b)
        .and(c)
        .map_collect(|&x, &y, &z| f(x, y, z))
}

/// `Elemwise{op}` on `ins`, giving a tensor of dtype `out`.
pub fn elemwise(op: &ScalarOp, ins: &[&Tensor], out: DType) -> R<Tensor> {
    use ScalarOp::*;
    if let Composite(c) = op {
        return crate::composite::composite(c, ins, out);
    }
    let arity_ok = if op.is_variadic() {
        !ins.is_empty()
    } else {
        ins.len() == op.arity()
    };
    if !arity_ok {
        return Err(PerformError::input(format!(
            "{} takes {} inputs, got {}",
            op.name(),
            op.arity(),
            ins.len()
        )));
    }
    let shape = broadcast_all(ins)?;
    check_size(&shape, out)?;
    let t = match op {
        Cast(_) | Identity => with_dtype!(out, T => {
            let c = cow::<T>(ins[0]);
            T::into_tensor(bview(&c, &shape)?.to_owned())
        }),
        Second => with_dtype!(out, T => {
            let c = cow::<T>(ins[1]);
            T::into_tensor(bview(&c, &shape)?.to_owned())
        }),
        Switch => with_dtype!(out, T => T::into_tensor(switch::<T>(ins, &shape)?)),
        IsNan | IsInf => {
            let b = with_dtype!(ins[0].dtype(), T => classify::<T>(op, ins[0], &shape)?);
            Tensor::from_array(b)
        }
        Gt | Lt | Ge | Le | Eq | Neq => {
            let cd = DType::promote(ins[0].dtype(), ins[1].dtype());
            let b = with_dtype!(cd, T => compare::<T>(op, ins[0], ins[1], &shape)?);
            Tensor::from_array(b)
        }
        _ => with_dtype!(out, T => T::into_tensor(arith::<T>(op, ins, &shape)?)),
    };
    Ok(if t.dtype() == out { t } else { t.cast(out) })
}

fn switch<T: Num>(ins: &[&Tensor], shape: &[usize]) -> R<ArrayD<T>> {
    let c = cow::<bool>(ins[0]);
    let a = cow::<T>(ins[1]);
    let b = cow::<T>(ins[2]);
    let (c, a, b) = (bview(&c, shape)?, bview(&a, shape)?, bview(&b, shape)?);
    Ok(map3(&c, &a, &b, |c, a, b| if c { a } else { b }))
}

fn compare<T: Num>(op: &ScalarOp, a: &Tensor, b: &Tensor, shape: &[usize]) -> R<ArrayD<bool>> {
    use ScalarOp::*;
    let a = cow::<T>(a);
    let b = cow::<T>(b);
    let (a, b) = (bview(&a, shape)?, bview(&b, shape)?);
    Ok(match op {
        Gt => map2(&a, &b, |x, y| x > y),
        Lt => map2(&a, &b, |x, y| x < y),
        Ge => map2(&a, &b, |x, y| x >= y),
        Le => map2(&a, &b, |x, y| x <= y),
        Eq => map2(&a, &b, |x, y| x == y),
        Neq => map2(&a, &b, |x, y| x != y),
        _ => return Err(PerformError::input(format!("{op} is not a comparison"))),
    })
}

/// isnan / isinf in the input's own dtype (false for integers and bools, as numpy).
fn classify<T: Num>(op: &ScalarOp, a: &Tensor, shape: &[usize]) -> R<ArrayD<bool>> {
    let a = cow::<T>(a);
    let a = bview(&a, shape)?;
    Ok(match op {
        ScalarOp::IsNan => map1(&a, |x| T::DTYPE.is_float() && x.to_f64().is_nan()),
        _ => map1(&a, |x| T::DTYPE.is_float() && x.to_f64().is_infinite()),
    })
}

fn arith<T: Num>(op: &ScalarOp, ins: &[&Tensor], shape: &[usize]) -> R<ArrayD<T>> {
    use ScalarOp::*;
    if T::DTYPE == DType::Bool && matches!(op, Sub | Neg) {
        return Err(PerformError::input(format!(
            "numpy boolean {}, the `-` operator, is not supported; use xor or invert",
            if *op == Sub { "subtract" } else { "negative" }
        )));
    }
    let cows: Vec<CowArray<'_, T, IxDyn>> = ins.iter().map(|t| cow::<T>(t)).collect();
    let v: Vec<ArrayViewD<'_, T>> = cows.iter().map(|c| bview(c, shape)).collect::<R<_>>()?;
    // the catalogue's transcendentals compute in float64 (float32 rounds once)
    if let Some(f) = crate::special::unary_f64(op) {
        return Ok(map1(&v[0], |x| T::via_f64(x, f)));
    }
    // each arm passes its own fn item, so the scalar function inlines into the loop
    Ok(match op {
        Add | Mul => {
            let mut out = match v.len() {
                1 => v[0].to_owned(),
                _ if *op == Add => map2(&v[0], &v[1], T::add),
                _ => map2(&v[0], &v[1], T::mul),
            };
            for x in v.iter().skip(2) {
                if *op == Add {
                    Zip::from(&mut out)
                        .and(x)
                        .for_each(|o, &y| *o = T::add(*o, y));
                } else {
                    Zip::from(&mut out)
                        .and(x)
                        .for_each(|o, &y| *o = T::mul(*o, y));
                }
            }
            out
        }
        Sub => map2(&v[0], &v[1], T::sub),
        TrueDiv => map2(&v[0], &v[1], T::true_div),
        IntDiv => map2(&v[0], &v[1], T::int_div),
        Mod => map2(&v[0], &v[1], T::modulo),
        Pow => {
            if !T::DTYPE.is_float() && v[1].iter().any(|e| e.is_negative()) {
                return Err(PerformError::value(
                    "Integers to negative integer powers are not allowed.",
                ));
            }
            map2(&v[0], &v[1], T::pow)
        }
        Maximum => map2(&v[0], &v[1], T::maximum),
        Minimum => map2(&v[0], &v[1], T::minimum),
        And => map2(&v[0], &v[1], T::bit_and),
        Or => map2(&v[0], &v[1], T::bit_or),
        Xor => map2(&v[0], &v[1], T::bit_xor),
        Clip => map3(&v[0], &v[1], &v[2], |x, lo, hi| {
            T::minimum(T::maximum(x, lo), hi)
        }),
        Neg => map1(&v[0], T::neg),
        Abs => map1(&v[0], T::abs),
        Sgn => map1(&v[0], T::sgn),
        Sqr => map1(&v[0], |x| T::mul(x, x)),
        Invert => map1(&v[0], T::invert),
        Exp => map1(&v[0], T::exp),
        Log => map1(&v[0], T::log),
        Log1p => map1(&v[0], T::log1p),
        Expm1 => map1(&v[0], T::expm1),
        Tanh => map1(&v[0], T::tanh),
        Sigmoid => map1(&v[0], T::sigmoid),
        Softplus => map1(&v[0], T::softplus),
        Sqrt => map1(&v[0], T::sqrt),
        Floor => map1(&v[0], T::floor),
        Ceil => map1(&v[0], T::ceil),
        RoundHalfToEven => map1(&v[0], T::round_half_even),
        RoundHalfAwayFromZero => map1(&v[0], T::round_half_away),
        ArcTan2 => map2(&v[0], &v[1], |y, x| {
            T::from_f64(crate::special::arctan2(y.to_f64(), x.to_f64()))
        }),
        Trunc => map1(&v[0], |x| T::via_f64(x, f64::trunc)),
        // numpy computes these in the dtype: `1 / x`, `x * (pi / 180)`, `x * (180 / pi)` with
        // the constant's quotient taken in the dtype too
        Inv => map1(&v[0], |x| T::true_div(T::ONE, x)),
        Deg2Rad => {
            let c = T::true_div(T::from_f64(std::f64::consts::PI), T::from_f64(180.0));
            map1(&v[0], |x| T::mul(x, c))
        }
        Rad2Deg => {
            let c = T::true_div(T::from_f64(180.0), T::from_f64(std::f64::consts::PI));
            map1(&v[0], |x| T::mul(x, c))
        }
        Softsign => map1(&v[0], |x| T::true_div(x, T::add(T::ONE, T::abs(x)))),
        Sin | Cos | Tan | ArcSin | ArcCos | ArcTan | Sinh | Cosh | ArcSinh | ArcCosh | ArcTanh
        | Exp2 | Log2 | Log10 | Erf | Erfc | Erfinv | Erfcinv | Gamma | GammaLn | Psi
        | TriGamma | UltraFastSigmoid | IsNan | IsInf => {
            return Err(PerformError::input(format!(
                "{op}: internal dispatch error (computed through float64 above)"
            )))
        }
        Gt | Lt | Ge | Le | Eq | Neq | Switch | Second | Identity | Cast(_) | Composite(_) => {
            return Err(PerformError::input(format!(
                "{op} is not an arithmetic op (internal dispatch error)"
            )))
        }
    })
}
