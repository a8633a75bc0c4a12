//! `verify_grad`: the symbolic gradient checked against finite differences, with any
//! evaluator (the interpreter, a backend) passed in as a closure.

use crate::core::{grad_at, GradOptions};
use crate::VerifyGradError;
use std::panic::Location;
use theano_ir::{DType, Op, ReduceKind, Tensor, TensorType, Variable};

/// Evaluates `output` of the graph whose inputs are `inputs`, at `values` (one per input).
pub trait Evaluator: Fn(&[Variable], &Variable, &[Tensor]) -> Result<Tensor, String> {}
impl<F: Fn(&[Variable], &Variable, &[Tensor]) -> Result<Tensor, String>> Evaluator for F {}

/// A small deterministic generator (splitmix64) for projections and test inputs.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A tensor of `dtype` and `shape` with values uniform in `[lo, hi)`.
    pub fn tensor(&mut self, dtype: DType, shape: &[usize], lo: f64, hi: f64) -> Tensor {
        let n: usize = shape.iter().product();
        let v = (0..n).map(|_| lo + (hi - lo) * self.uniform()).collect();
        Tensor::from_f64_vec(dtype, shape, v).expect("length matches the shape")
    }
}

/// Settings of [`verify_grad`]; `None` picks the dtype's default (float64: step 1e-7,
/// tolerances 1e-4; float32: step 3e-4, tolerances 1e-2).
#[derive(Clone, Debug, Default)]
pub struct VerifyGradOptions {
    pub seed: u64,
    pub eps: Option<f64>,
    pub abs_tol: Option<f64>,
    pub rel_tol: Option<f64>,
    /// The input types (default: the points' dtypes, nothing broadcastable). Give these to
    /// test broadcastable inputs (`row`, `col`...).
    pub input_types: Option<Vec<TensorType>>,
}

/// Check the symbolic gradient of `f` at `points` by finite differences along a random
/// projection: with `o = f(inputs)` and a fixed random `r` of o's shape (uniform in
/// [0.5, 1.5)), the cost `sum(r * o)` is differentiated symbolically and numerically
/// (one-sided differences, as Theano's `numeric_grad`); each element passes when its absolute
/// or its relative error is within tolerance. A failure names the input, the worst element
/// and both values.
#[track_caller]
pub fn verify_grad(
    f: impl Fn(&[Variable]) -> Variable,
    points: &[Tensor],
    eval: impl Evaluator,
    opts: &VerifyGradOptions,
) -> Result<(), VerifyGradError> {
    let loc = Location::caller();
    if points.is_empty() {
        return Err(VerifyGradError::Invalid(
            "verify_grad needs at least one point".into(),
        ));
    }
    let types: Vec<TensorType> = match &opts.input_types {
        Some(t) if t.len() == points.len() => t.clone(),
        Some(t) => {
            return Err(VerifyGradError::Invalid(format!(
                "{} input types for {} points",
                t.len(),
                points.len()
            )))
        }
        None => points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                TensorType::of_value(p.dtype(), p.ndim())
                    .map_err(|e| VerifyGradError::Invalid(format!("point {i}: {e}")))
            })
            .collect::<Result<_, _>>()?,
    };
    let inputs: Vec<Variable> = types
        .iter()
        .enumerate()
        .map(|(i, t)| Variable::input(*t, Some(&format!("verify_grad_input_{i}"))))
        .collect();
    let out = f(&inputs);
    let o = eval(&inputs, &out, points).map_err(|m| VerifyGradError::Eval {
        what: "f".into(),
        message: m,
    })?;
    let odt = out.dtype();
    if !odt.is_float() {
        return Err(VerifyGradError::Invalid(format!(
            "f must return a float tensor, got {}",
            out.ty()
        )));
    }
    let low = odt == DType::Float32 || points.iter().any(|p| p.dtype() == DType::Float32);
    let eps = opts.eps.unwrap_or(if low { 3e-4 } else { 1e-7 });
    let atol = opts.abs_tol.unwrap_or(if low { 1e-2 } else { 1e-4 });
    let rtol = opts.rel_tol.unwrap_or(atol);
    let mut rng = Rng::new(opts.seed);
    let r = rng.tensor(odt, o.shape(), 0.5, 1.5);
    let rv = Variable::constant_bounded(r);
    let prod =
        theano_ir::ApplyRef::create(Op::elemwise(theano_ir::ScalarOp::Mul), vec![rv, out], loc)
            .map_err(|e| VerifyGradError::Grad(e.into()))?
            .output(0);
    let cost = theano_ir::ApplyRef::create(
        Op::Reduce {
            kind: ReduceKind::Sum,
            axes: None,
            dtype: None,
        },
        vec![prod],
        loc,
    )
    .map_err(|e| VerifyGradError::Grad(e.into()))?
    .output(0);
    let grads = grad_at(Some(&cost), &inputs, &GradOptions::new(), loc)?;
    let c0 = eval(&inputs, &cost, points)
        .map_err(|m| VerifyGradError::Eval {
            what: "the projected cost".into(),
            message: m,
        })?
        .to_f64_vec()[0];
    for (k, g) in grads.iter().enumerate() {
        let analytic = eval(&inputs, g, points)
            .map_err(|m| VerifyGradError::Eval {
                what: format!("the symbolic gradient of input {k}"),
                message: m,
            })?
            .to_f64_vec();
        let base = points[k].to_f64_vec();
        if analytic.len() != base.len() {
            return Err(VerifyGradError::Invalid(format!(
                "the gradient of input {k} has {} elements, the input {}",
                analytic.len(),
                base.len()
            )));
        }
        let mut worst: Option<(f64, usize, f64, f64, f64)> = None;
        let mut n_bad = 0;
        for j in 0..base.len() {
            let mut v = base.clone();
            v[j] += eps;
            let mut pts = points.to_vec();
            pts[k] =
                Tensor::from_f64_vec(points[k].dtype(), points[k].shape(), v).expect("same shape");
            let c1 = eval(&inputs, &cost, &pts)
                .map_err(|m| VerifyGradError::Eval {
                    what: "the perturbed cost".into(),
                    message: m,
                })?
                .to_f64_vec()[0];
            // the step actually taken (rounded to the input's dtype)
            let step = pts[k].to_f64_vec()[j] - points[k].to_f64_vec()[j];
            let numeric = (c1 - c0) / if step != 0.0 { step } else { eps };
            let a = analytic[j];
            let abs_err = (a - numeric).abs();
            let rel_err = abs_err / (a.abs() + numeric.abs()).max(1e-300);
            let score = (abs_err / atol).min(rel_err / rtol);
            if abs_err > atol && rel_err > rtol || !score.is_finite() {
                n_bad += 1;
            }
            if worst.is_none_or(|w| score > w.0 || !score.is_finite()) {
                worst = Some((score, j, a, numeric, abs_err));
            }
        }
        if n_bad > 0 {
            let (_, j, a, numeric, abs_err) = worst.expect("some element");
            let shape = points[k].shape();
            let mut pos = vec![0; shape.len()];
            let mut rest = j;
            for d in (0..shape.len()).rev() {
                pos[d] = rest % shape[d].max(1);
                rest /= shape[d].max(1);
            }
            return Err(VerifyGradError::Mismatch {
                input: k,
                ty: types[k],
                index: j,
                position: pos,
                analytic: a,
                numeric,
                abs_err,
                rel_err: abs_err / (a.abs() + numeric.abs()).max(1e-300),
                abs_tol: atol,
                rel_tol: rtol,
                n_bad,
                n_total: base.len(),
            });
        }
    }
    Ok(())
}
