//! Theano 1.0.5's `nnet.sigmoid_binary_crossentropy(output, target)`: an `OpFromGraph` named
//! `sigmoid_binary_crossentropy` (`inline=True`) over `softplus(-abs(output)) + output *
//! ((output > 0) - target)`, with the gradient overridden to `g * (sigmoid(output) - target)`
//! and `g * -output` (the inner graph's own gradient is `-target` at `output == 0`).
//!
//! There is no `OpFromGraph` here, so it is a [`CustomOp`] with the same name, parameters,
//! types, values and gradient: it prints as Theano's does (`sigmoid_binary_crossentropy{
//! inline=True}(x, t)`), and, as Theano's, the optimizer inlines it (theano-opt's
//! `inline_sigmoid_binary_crossentropy` writes out the inner graph, which fuses into one
//! elementwise kernel); a graph run unoptimized computes it through the interpreter (its
//! `perform`).

use crate::op::{register_custom_op, CustomOp, CustomRef, Op};
use crate::scalar::ScalarOp;
use crate::tensor as T;
use crate::types::TensorType;
use crate::var::Variable;
use std::sync::{Arc, OnceLock};
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{broadcast_shapes, DType, Element, Tensor};

pub(crate) const NAME: &str = "sigmoid_binary_crossentropy";

#[derive(Debug)]
struct SigmoidXent;

/// The inner graph's output dtype for these input dtypes, as Theano 1.0's builders give it
/// (a bool target is refused: numpy has no boolean subtract).
fn out_dtype(o: DType, t: DType) -> Result<DType, String> {
    if t.is_bool() {
        return Err(
            "numpy boolean subtract, the `-` operator, is not supported (target is bool)".into(),
        );
    }
    let sp = ScalarOp::Softplus.out_dtype(&[o])?;
    let diff = ScalarOp::Sub.out_dtype(&[DType::Bool, t])?;
    let m = ScalarOp::Mul.out_dtype(&[o, diff])?;
    ScalarOp::Add.out_dtype(&[sp, m])
}

impl CustomOp for SigmoidXent {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        "inline=True".into()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let [o, t] = inputs else {
            return Err(format!("{NAME} takes 2 inputs, got {}", inputs.len()));
        };
        if o.ndim() != t.ndim() {
            return Err(format!(
                "{NAME}'s inputs have the same number of dimensions, got {o} and {t}"
            ));
        }
        let d = out_dtype(o.dtype, t.dtype)?;
        let b: Vec<bool> = (0..o.ndim())
            .map(|i| o.is_broadcastable(i) && t.is_broadcastable(i))
            .collect();
        Ok(vec![TensorType::new(d, &b).map_err(|e| e.to_string())?])
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        let (o, t, out) = (&inputs[0], &inputs[1], &outputs[0]);
        let Some(g) = output_grads.first().cloned().flatten() else {
            return Some(Ok(vec![None, None]));
        };
        // Theano's grad override is an OpFromGraph too: both gradients are the outputs of one
        // `sigmoid_binary_crossentropy_grad{inline=True}(o, t, out, g)` node
        let node = match T::apply_op(grad_op(), vec![o.clone(), t.clone(), out.clone(), g]) {
            Ok(v) => v,
            Err(e) => return Some(Err(e.to_string())),
        };
        Some(
            [(node[0].clone(), o), (node[1].clone(), t)]
                .into_iter()
                .map(|(gr, x)| sum_to(gr, x, out).map(Some))
                .collect(),
        )
    }
    fn rop(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        let (o, t) = (&inputs[0], &inputs[1]);
        let terms: Vec<Variable> = [
            eval_points[0].as_ref().map(|e| (T::sigmoid(o) - t) * e),
            eval_points[1].as_ref().map(|e| -o * e),
        ]
        .into_iter()
        .flatten()
        .collect();
        Some(Ok(vec![terms.into_iter().reduce(|a, b| a + b)]))
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<crate::op::ShapeDim>>> {
        let _ = input_ndims;
        // broadcasting picks either input's length per dimension: left to the values
        None
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(perform(inputs))
    }
}

pub(crate) const GRAD_NAME: &str = "sigmoid_binary_crossentropy_grad";

/// Theano's gradient override of `sigmoid_binary_crossentropy`, an `OpFromGraph` named
/// `sigmoid_binary_crossentropy_grad` (`inline=True`) with inputs `(output, target, out,
/// g)` and the two outputs `g * (sigmoid(output) - target)` and `g * -output` (`out`, the
/// forward result, is an input only, as in Theano's). The optimizer inlines it.
#[derive(Debug)]
struct SigmoidXentGrad;

/// The dtypes of the two gradients: `g * (sigmoid(o) - t)` and `g * -o`.
fn grad_dtypes(o: DType, t: DType, g: DType) -> Result<[DType; 2], String> {
    let s = ScalarOp::Sigmoid.out_dtype(&[o])?;
    let d = ScalarOp::Sub.out_dtype(&[s, t])?;
    let n = ScalarOp::Neg.out_dtype(&[o])?;
    Ok([
        ScalarOp::Mul.out_dtype(&[g, d])?,
        ScalarOp::Mul.out_dtype(&[g, n])?,
    ])
}

impl CustomOp for SigmoidXentGrad {
    fn name(&self) -> String {
        GRAD_NAME.into()
    }
    fn params(&self) -> String {
        "inline=True".into()
    }
    fn n_outputs(&self) -> usize {
        2
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let [o, t, out, g] = inputs else {
            return Err(format!("{GRAD_NAME} takes 4 inputs, got {}", inputs.len()));
        };
        let nd = o.ndim();
        if [t, out, g].iter().any(|x| x.ndim() != nd) {
            return Err(format!(
                "{GRAD_NAME}'s inputs have the same number of dimensions, got {o}, {t}, {out} \
                 and {g}"
            ));
        }
        let b: Vec<bool> = (0..nd)
            .map(|i| o.is_broadcastable(i) && t.is_broadcastable(i) && g.is_broadcastable(i))
            .collect();
        grad_dtypes(o.dtype, t.dtype, g.dtype)?
            .into_iter()
            .map(|d| TensorType::new(d, &b).map_err(|e| e.to_string()))
            .collect()
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        // d(g * (s - t)) = g * s * (1 - s) do - g dt + (s - t) dg, d(g * -o) = -g do - o dg
        let (o, t, g) = (&inputs[0], &inputs[1], &inputs[3]);
        let s = T::sigmoid(o);
        let (a, b) = (output_grads[0].clone(), output_grads[1].clone());
        let mut d_o: Option<Variable> = None;
        let mut d_t: Option<Variable> = None;
        let mut d_g: Option<Variable> = None;
        let add = |acc: &mut Option<Variable>, v: Variable| {
            *acc = Some(match acc.take() {
                None => v,
                Some(x) => x + v,
            });
        };
        if let Some(a) = &a {
            let ga = a * g;
            add(&mut d_o, &ga * &s * (1.0 - &s));
            add(&mut d_t, -&ga);
            add(&mut d_g, a * (&s - t));
        }
        if let Some(b) = &b {
            let gb = b * g;
            add(&mut d_o, -&gb);
            add(&mut d_g, -(b * o));
        }
        let out = &outputs[0];
        Some(
            [(d_o, o), (d_t, t), (None, &inputs[2]), (d_g, g)]
                .into_iter()
                .map(|(d, x)| d.map(|d| sum_to(d, x, out)).transpose())
                .collect(),
        )
    }
    fn rop(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        let (o, t, g) = (&inputs[0], &inputs[1], &inputs[3]);
        let s = T::sigmoid(o);
        let (eo, et, eg) = (&eval_points[0], &eval_points[1], &eval_points[3]);
        let sum = |v: Vec<Option<Variable>>| v.into_iter().flatten().reduce(|a, b| a + b);
        let r0 = sum(vec![
            eo.as_ref().map(|e| g * &s * (1.0 - &s) * e),
            et.as_ref().map(|e| -(g * e)),
            eg.as_ref().map(|e| e * (&s - t)),
        ]);
        let r1 = sum(vec![
            eo.as_ref().map(|e| -(g * e)),
            eg.as_ref().map(|e| -(e * o)),
        ]);
        Some(Ok(vec![r0, r1]))
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(perform_grad(inputs))
    }
}

fn perform_grad(inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
    let [o, t, out, g] = inputs else {
        return Err(format!("{GRAD_NAME} takes 4 inputs, got {}", inputs.len()));
    };
    let [d0, d1] = grad_dtypes(o.dtype(), t.dtype(), g.dtype())?;
    let mut shape = o.shape().to_vec();
    for x in [t, out, g] {
        shape = broadcast_shapes(&shape, x.shape()).ok_or_else(|| {
            format!(
                "shape mismatch: cannot broadcast {:?} with {:?}",
                shape,
                x.shape()
            )
        })?;
    }
    let f = |x: &Tensor| -> Result<ArrayD<f64>, String> {
        let c = x.cast(DType::Float64);
        let a = f64::array_of(&c).ok_or("float64")?;
        Ok(a.broadcast(IxDyn(&shape)).ok_or("broadcast")?.to_owned())
    };
    let (ov, tv, gv) = (f(o)?, f(t)?, f(g)?);
    let mut r0 = ArrayD::<f64>::zeros(IxDyn(&shape));
    let mut r1 = ArrayD::<f64>::zeros(IxDyn(&shape));
    theano_tensor::ndarray::Zip::from(&mut r0)
        .and(&mut r1)
        .and(&ov)
        .and(&tv)
        .and(&gv)
        .for_each(|r0, r1, &x, &t, &g| {
            *r0 = g * (1.0 / (1.0 + (-x).exp()) - t);
            *r1 = g * -x;
        });
    Ok(vec![
        f64::into_tensor(r0).cast(d0),
        f64::into_tensor(r1).cast(d1),
    ])
}

/// The gradient `g` of an output of `out`'s type summed over the dimensions `x` broadcasts.
fn sum_to(g: Variable, x: &Variable, out: &Variable) -> Result<Variable, String> {
    let axes: Vec<isize> = (0..x.ndim())
        .filter(|&i| x.ty().is_broadcastable(i) && !out.ty().is_broadcastable(i))
        .map(|i| i as isize)
        .collect();
    if axes.is_empty() {
        return Ok(g);
    }
    T::sum_axes(&g, Some(&axes), true).map_err(|e| e.to_string())
}

fn perform(inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
    let [o, t] = inputs else {
        return Err(format!("{NAME} takes 2 inputs, got {}", inputs.len()));
    };
    let d = out_dtype(o.dtype(), t.dtype())?;
    let shape = broadcast_shapes(o.shape(), t.shape()).ok_or_else(|| {
        format!(
            "shape mismatch: cannot broadcast {:?} with {:?}",
            o.shape(),
            t.shape()
        )
    })?;
    let of = o.cast(DType::Float64);
    let tf = t.cast(DType::Float64);
    let (of, tf) = (
        f64::array_of(&of).ok_or("float64")?,
        f64::array_of(&tf).ok_or("float64")?,
    );
    let (ob, tb) = (
        of.broadcast(IxDyn(&shape)).ok_or("broadcast")?,
        tf.broadcast(IxDyn(&shape)).ok_or("broadcast")?,
    );
    let mut r = ArrayD::<f64>::zeros(IxDyn(&shape));
    theano_tensor::ndarray::Zip::from(&mut r)
        .and(&ob)
        .and(&tb)
        .for_each(|r, &x, &t| {
            let pos = if x > 0.0 { 1.0 } else { 0.0 };
            *r = (-x.abs()).exp().ln_1p() + x * (pos - t);
        });
    Ok(vec![f64::into_tensor(r).cast(d)])
}

/// Whether `op` is `sigmoid_binary_crossentropy{inline=True}` (the optimizer inlines it, as
/// Theano inlines its `OpFromGraph`).
pub fn is_sigmoid_binary_crossentropy(op: &Op) -> bool {
    matches!(op, Op::Custom(_)) && *op == self::op()
}

/// Whether `op` is its gradient, `sigmoid_binary_crossentropy_grad{inline=True}` (two
/// outputs; inlined too).
pub fn is_sigmoid_binary_crossentropy_grad(op: &Op) -> bool {
    matches!(op, Op::Custom(_)) && *op == grad_op()
}

static OP: OnceLock<CustomRef> = OnceLock::new();
static GRAD_OP: OnceLock<CustomRef> = OnceLock::new();

/// The shared gradient op, its text form registered for the IR parser.
pub(crate) fn grad_op() -> Op {
    shared(
        &GRAD_OP,
        GRAD_NAME,
        |_, p| inline_only(GRAD_NAME, p, &GRAD_OP),
        || Arc::new(SigmoidXentGrad),
    )
}

/// The shared op (one instance, so equal nodes merge), its text form registered for the IR
/// parser.
pub(crate) fn op() -> Op {
    shared(
        &OP,
        NAME,
        |_, p| inline_only(NAME, p, &OP),
        || Arc::new(SigmoidXent),
    )
}

/// The one instance in `cell`, made (and its parser registered) on first use.
fn shared(
    cell: &'static OnceLock<CustomRef>,
    name: &str,
    parse: crate::op::CustomOpParser,
    make: fn() -> Arc<dyn CustomOp>,
) -> Op {
    let c = cell.get_or_init(|| {
        register_custom_op(name, parse);
        CustomRef(make())
    });
    Op::Custom(c.clone())
}

/// The parser of an `{inline=True}` op: the instance in `cell`.
fn inline_only(
    name: &str,
    params: &str,
    cell: &OnceLock<CustomRef>,
) -> Result<Arc<dyn CustomOp>, String> {
    if params == "inline=True" {
        Ok(cell.get().expect("initialised").0.clone())
    } else {
        Err(format!(
            "{name} takes the parameters inline=True, got {params:?}"
        ))
    }
}
