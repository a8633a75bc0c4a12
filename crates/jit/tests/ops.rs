//! Every lowered scalar op against the interpreter (the oracle), on contiguous, broadcast,
//! transposed, reversed (negative-stride) and zero-size inputs.

use rand::{Rng, SeedableRng};
use theano_ir::{Composite, Op, ScalarOp, TensorType};
use theano_jit::{JitError, KernelSet};
use theano_tensor::ndarray::{ArrayD, Axis, IxDyn};
use theano_tensor::{with_dtype, DType, Element, Tensor};

#[derive(Clone, Copy, Debug)]
enum Layout {
    Contig,
    Transposed,
    Reversed,
}

fn values(rng: &mut impl Rng, n: usize, int: bool) -> Vec<f64> {
    const SPECIAL: [f64; 10] = [
        0.0,
        -0.0,
        0.5,
        1.5,
        2.5,
        -2.5,
        1.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
    ];
    (0..n)
        .map(|_| {
            if int {
                rng.random_range(-130i64..130) as f64
            } else if rng.random_bool(0.2) {
                SPECIAL[rng.random_range(0..SPECIAL.len())]
            } else {
                rng.random_range(-3.0..3.0)
            }
        })
        .collect()
}

fn make(rng: &mut impl Rng, d: DType, shape: &[usize], layout: Layout) -> Tensor {
    let mut s = shape.to_vec();
    if let Layout::Transposed = layout {
        s.reverse();
    }
    let n = s.iter().product();
    let v = values(rng, n, !d.is_float());
    let t = Tensor::from_f64_vec(DType::Float64, &s, v).unwrap().cast(d);
    with_dtype!(d, T => {
        let mut a: ArrayD<T> = T::array_of(&t).unwrap().clone();
        match layout {
            Layout::Contig => {}
            Layout::Transposed => a = a.reversed_axes(),
            Layout::Reversed => {
                if !a.shape().is_empty() {
                    a.invert_axis(Axis(0));
                }
            }
        }
        T::into_tensor(a)
    })
}

/// The ops lowered to inline polynomial code (docs/JIT.md): within 4 ulp of the interpreter
/// (which calls libm), not bit for bit.
fn is_math(op: &ScalarOp) -> bool {
    use ScalarOp::*;
    match op {
        Exp | Log | Log1p | Expm1 | Tanh | Sigmoid | Softplus | Pow => true,
        Composite(c) => c.instrs().iter().any(|i| is_math(&i.op)),
        _ => false,
    }
}

/// Distance in ulps of `d` between two finite, non-zero or equal values.
fn ulps(d: DType, p: f64, q: f64) -> u64 {
    let ord = |x: f64| -> i128 {
        let (bits, mask, sign) = if d == DType::Float32 {
            ((x as f32).to_bits() as u64, 0x7FFF_FFFFu64, 1u64 << 31)
        } else {
            (x.to_bits(), u64::MAX >> 1, 1u64 << 63)
        };
        let m = (bits & mask) as i128;
        if bits & sign != 0 {
            -m
        } else {
            m
        }
    };
    (ord(p) - ord(q)).unsigned_abs() as u64
}

/// Bitwise equal (NaN matches NaN); with `ulp_tol`, finite values may differ by that many
/// ulps, and composites (`abs_tol`) by that many machine epsilons absolutely (cancellation
/// after an inline function); infinities and signed zeros stay exact.
fn same_tol(a: &Tensor, b: &Tensor, ulp_tol: u64, abs_tol: f64) -> bool {
    if a.dtype() != b.dtype() || a.shape() != b.shape() {
        return false;
    }
    let d = a.dtype();
    let eps = if d == DType::Float32 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    };
    let (x, y) = (a.to_f64_vec(), b.to_f64_vec());
    x.iter().zip(&y).all(|(&p, &q)| {
        (p.is_nan() && q.is_nan())
            || p.to_bits() == q.to_bits()
            || (ulp_tol > 0
                && p.is_finite()
                && q.is_finite()
                && !(p == 0.0 && q == 0.0)
                && (ulps(d, p, q) <= ulp_tol || (p - q).abs() <= abs_tol * eps))
    })
}

/// (shapes, layouts, scalar flags) of the cases for `k` inputs; output shape (4, 5).
fn cases(k: usize) -> Vec<(Vec<Vec<usize>>, Vec<Layout>, Vec<bool>)> {
    use Layout::*;
    let m = vec![4usize, 5];
    let mut out = vec![
        (vec![m.clone(); k], vec![Contig; k], vec![false; k]),
        (vec![m.clone(); k], vec![Transposed; k], vec![false; k]),
        (vec![m.clone(); k], vec![Reversed; k], vec![false; k]),
        (vec![vec![0, 5]; k], vec![Contig; k], vec![false; k]),
        (vec![vec![3]; k], vec![Contig; k], vec![false; k]),
        (vec![vec![]; k], vec![Contig; k], vec![true; k]),
        (vec![vec![1003]; k], vec![Contig; k], vec![false; k]),
    ];
    if k >= 2 {
        // mixed: transposed, row broadcast, then 0-d scalars (flagged)
        let mut shapes = vec![m.clone(), vec![1, 5]];
        let mut lay = vec![Transposed, Contig];
        let mut sc = vec![false, false];
        for _ in 2..k {
            shapes.push(vec![]);
            lay.push(Contig);
            sc.push(true);
        }
        out.push((shapes, lay, sc));
        // contiguous with a flagged scalar last (the flat loop with a splat)
        let mut shapes = vec![vec![1001]; k];
        shapes[k - 1] = vec![];
        let mut sc = vec![false; k];
        sc[k - 1] = true;
        out.push((shapes, vec![Contig; k], sc));
        // column and lower-ndim broadcasting
        let mut shapes = vec![vec![4, 1]; k];
        shapes[0] = vec![5];
        out.push((shapes, vec![Reversed; k], vec![false; k]));
    }
    out
}

/// Check `op` on inputs of `dts` in every case; returns false when not lowered.
fn check(op: &ScalarOp, dts: &[DType]) -> Result<(), JitError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let out = op.out_dtype(dts).map_err(JitError::Type)?;
    for (shapes, layouts, scal) in cases(dts.len()) {
        let ins: Vec<Tensor> = shapes
            .iter()
            .zip(&layouts)
            .zip(dts)
            .map(|((s, &l), &d)| make(&mut rng, d, s, l))
            .collect();
        let refs: Vec<&Tensor> = ins.iter().collect();
        let nd = shapes.iter().map(Vec::len).max().unwrap();
        let oty = TensorType::with_ndim(out, nd).unwrap();
        let want = theano_interp::perform(&Op::elemwise(op.clone()), &refs, &[oty]);
        let Ok(want) = want else { continue };
        let mut ks = KernelSet::new(true)?;
        let k = ks.add(op, dts, &scal, out)?;
        ks.finalize()?;
        let got = ks.run(k, &refs)?;
        let (ulp_tol, abs_tol) = match op {
            ScalarOp::Composite(_) if is_math(op) => (4, 64.0),
            _ if is_math(op) => (4, 0.0),
            _ => (0, 0.0),
        };
        assert!(
            same_tol(&got, &want[0], ulp_tol, abs_tol),
            "{op} {dts:?} shapes {shapes:?} {layouts:?}:\n got {got:?}\nwant {:?}",
            want[0]
        );
    }
    Ok(())
}

/// Every scalar op that accepts float inputs (new ops are covered automatically), plus a cast
/// to each dtype.
fn float_ops() -> Vec<ScalarOp> {
    let mut ops: Vec<ScalarOp> = ScalarOp::ALL
        .into_iter()
        .filter(|op| {
            !matches!(op, ScalarOp::Cast(_))
                && op.out_dtype(&vec![DType::Float64; op.arity()]).is_ok()
        })
        .collect();
    ops.extend(DType::ALL.into_iter().map(ScalarOp::Cast));
    ops
}

#[test]
fn float_ops_match_interpreter() {
    for d in [DType::Float64, DType::Float32] {
        for op in float_ops() {
            let dts = vec![d; op.arity()];
            check(&op, &dts).unwrap_or_else(|e| panic!("{op} {d}: {e}"));
        }
        // variadic add/mul, mixed dtypes
        check(&ScalarOp::Add, &[d, d, d]).unwrap();
        check(&ScalarOp::Mul, &[d, d, d, d]).unwrap();
        check(&ScalarOp::Add, &[d, DType::Int8]).unwrap();
        check(&ScalarOp::Mul, &[DType::Float64, d]).unwrap();
        check(&ScalarOp::Gt, &[d, DType::Int32]).unwrap();
        check(&ScalarOp::Switch, &[DType::Bool, d, DType::Int16]).unwrap();
    }
}

#[test]
fn integer_ops_match_interpreter() {
    use ScalarOp::*;
    let ops = [
        Add,
        Sub,
        Mul,
        Neg,
        Abs,
        Sqr,
        Maximum,
        Minimum,
        Gt,
        Lt,
        Ge,
        Le,
        Eq,
        Neq,
        Clip,
        Sgn,
        And,
        Or,
        Xor,
        Invert,
        Identity,
        Second,
        Switch,
        IsNan,
        IsInf,
        Cast(DType::Float64),
        Cast(DType::Float32),
        Cast(DType::Int64),
        Cast(DType::Int8),
        Cast(DType::UInt8),
        Cast(DType::Bool),
    ];
    for d in [
        DType::Int64,
        DType::Int32,
        DType::Int16,
        DType::Int8,
        DType::UInt8,
    ] {
        for op in &ops {
            let dts = vec![d; op.arity()];
            check(op, &dts).unwrap_or_else(|e| panic!("{op} {d}: {e}"));
        }
    }
    let b = DType::Bool;
    for op in [
        And,
        Or,
        Xor,
        Invert,
        Add,
        Mul,
        Maximum,
        Minimum,
        Eq,
        Gt,
        IsNan,
        Cast(DType::Float64),
    ] {
        let dts = vec![b; op.arity()];
        check(&op, &dts).unwrap_or_else(|e| panic!("{op} bool: {e}"));
    }
}

#[test]
fn unsupported_is_reported() {
    let e = check(&ScalarOp::IntDiv, &[DType::Int32, DType::Int32]).unwrap_err();
    assert!(matches!(e, JitError::Unsupported(_)), "{e}");
}

#[test]
fn composites_match_interpreter() {
    for src in [
        "((exp(i0) * i1) + tanh(i2))",
        "maximum((i0 - i1), (i0 * i1))",
        "clip(sqr(i0), i1, i2)",
        "switch(gt(i0, i1), sqrt(i0), (-i1))",
        "(Cast{float32}(i0) + i1)",
        "sigmoid(((i0 * i1) + i2))",
        // the catalogue: helper calls in a body, inline ones, and isnan/isinf of a broadcast
        // scalar operand (hoisted: it must keep its own dtype, not be cast to bool)
        "((sin(i0) * erf(i1)) + softsign(i2))",
        "switch(isnan(i0), deg2rad(i1), inv(i2))",
        "(arctan2(i0, trunc(i1)) + gammaln(i2))",
        "switch(isinf(i2), rad2deg(i0), erfinv(i1))",
    ] {
        let c = Composite::parse(src).unwrap();
        let op = ScalarOp::composite(c);
        for d in [DType::Float64, DType::Float32] {
            let dts = vec![d; op.arity()];
            check(&op, &dts).unwrap_or_else(|e| panic!("{src} {d}: {e}"));
        }
    }
}

#[test]
fn kernels_vectorize_and_dump() {
    let mut ks = KernelSet::new(true).unwrap();
    let dts = [DType::Float64, DType::Float64];
    let k = ks
        .add(&ScalarOp::Add, &dts, &[false, false], DType::Float64)
        .unwrap();
    ks.finalize().unwrap();
    let kern = &ks.kernels()[k];
    assert!(kern.vectorized);
    assert!(kern.clif.contains("f64x2"), "{}", kern.clif);
    assert!(!kern.asm.is_empty());
    let x = Tensor::from_f64_vec(DType::Float64, &[2, 3], vec![1.0; 6]).unwrap();
    let bad = Tensor::from_f64_vec(DType::Float64, &[4], vec![1.0; 4]).unwrap();
    assert!(matches!(ks.run(k, &[&x, &bad]), Err(JitError::Args(_))));
    let _ = IxDyn(&[1]);
}
