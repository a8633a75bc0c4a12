//! `mrg_uniform`, Theano's sampling op: inputs a stream-state matrix (int32, one row of six
//! words per stream) and a size (an integer vector); outputs the states after sampling and a
//! tensor of that size of uniform samples in (0, 1), element `i` drawn from stream
//! `i % n_streams`. It prints as Theano's, `mrg_uniform{TensorType(float64, matrix),no_inplace}`.
//!
//! It is an [`Op::Custom`]: the interpreter runs [`CustomOp::perform`] (the CPU and the GPU
//! backends run it through their interpreter fallback), and its knowledge lives here only.

use crate::{mrg, type_text};
use std::sync::{Arc, Once};
use theano_ir::{register_custom_op, CustomOp, CustomRef, Op, TensorType, Variable};
use theano_tensor::{DType, Tensor};

/// A buffer for `n` samples: a refusal, not an abort, when the allocator cannot give it.
pub(crate) fn sample_buffer<T>(n: usize) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        format!(
            "cannot allocate {n} samples of {} bytes",
            std::mem::size_of::<T>()
        )
    })?;
    Ok(v)
}

/// The op's name, as Theano's class.
pub const NAME: &str = "mrg_uniform";

/// The sampling op of one output type.
#[derive(Debug)]
pub struct MrgUniform {
    dtype: DType,
    /// The sample's broadcastable pattern: true where the size is the constant 1 (Theano's
    /// `make_node` reads it from the size's value; the type rule here sees only types).
    broadcastable: Vec<bool>,
}

static REGISTER: Once = Once::new();

/// Registers the IR text parser of `mrg_uniform` (done by the first [`mrg_uniform_op`]; a
/// program that parses IR text before building any sample calls it first).
pub fn register_ops() {
    REGISTER.call_once(|| register_custom_op(NAME, |_, p| parse(p)));
}

/// A new `mrg_uniform` op sampling `dtype` (float32 or float64) of the given broadcastable
/// pattern. Each op is its own instance: two sampling nodes never merge.
pub fn mrg_uniform_op(dtype: DType, broadcastable: &[bool]) -> Result<Op, String> {
    register_ops();
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(format!(
            "mrg_uniform samples float32 or float64, not {dtype}"
        ));
    }
    TensorType::new(dtype, broadcastable).map_err(|e| e.to_string())?;
    Ok(Op::Custom(CustomRef(Arc::new(MrgUniform {
        dtype,
        broadcastable: broadcastable.to_vec(),
    }))))
}

/// Whether `op` is `mrg_uniform`.
pub fn is_mrg_uniform(op: &Op) -> bool {
    matches!(op, Op::Custom(c) if c.0.name() == NAME)
}

/// The parameters' text: `TensorType(float64, matrix),no_inplace` as Theano prints the op
/// (its output type there is never broadcastable), then the broadcastable pattern when some
/// dimension is ([`crate::type_text`]).
fn params_text(dtype: DType, broadcastable: &[bool]) -> String {
    format!(
        "{},no_inplace{}",
        type_text::plain(dtype, broadcastable.len()),
        type_text::broadcastable_suffix(broadcastable)
    )
}

fn parse(params: &str) -> Result<Arc<dyn CustomOp>, String> {
    let bad = || {
        format!(
            "mrg_uniform takes `TensorType(<float dtype>, <pattern>),no_inplace` with an optional \
             `,broadcastable=(..)`, got {params:?}"
        )
    };
    let (dtype, ndim, rest) = type_text::parse_plain(params).ok_or_else(bad)?;
    let suffix = rest.strip_prefix(",no_inplace").ok_or_else(bad)?;
    let broadcastable = type_text::parse_broadcastable(suffix, ndim).ok_or_else(bad)?;
    match mrg_uniform_op(dtype, &broadcastable)? {
        Op::Custom(c) => Ok(c.0),
        _ => Err(bad()),
    }
}

impl CustomOp for MrgUniform {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        params_text(self.dtype, &self.broadcastable)
    }
    fn n_outputs(&self) -> usize {
        2
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let [rstate, size] = inputs else {
            return Err(format!(
                "mrg_uniform takes two inputs (rstate, size), got {}",
                inputs.len()
            ));
        };
        if rstate.dtype != DType::Int32 || rstate.ndim() != 2 {
            return Err(format!(
                "mrg_uniform: rstate must be an int32 matrix (a stream state per row), got {rstate}"
            ));
        }
        if !size.dtype.is_int() || size.ndim() != 1 {
            return Err(format!(
                "mrg_uniform: size must be an integer vector, got {size}"
            ));
        }
        let out = TensorType::new(self.dtype, &self.broadcastable).map_err(|e| e.to_string())?;
        Ok(vec![*rstate, out])
    }
    /// Theano's `grad_undefined`: no gradient flows through sampling.
    fn grad(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        _output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Err(
            "No gradient defined through random sampling op (mrg_uniform)".into(),
        ))
    }
    /// Theano's `R_op`: the samples do not vary with anything.
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        _eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![None, None]))
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(match inputs {
            [rstate, size] => sample(self.dtype, rstate, size),
            _ => Err(format!(
                "mrg_uniform takes two inputs (rstate, size), got {}",
                inputs.len()
            )),
        })
    }
}

/// The reference implementation: copies the states, draws `prod(size)` samples (element `i`
/// from stream `i % n_streams`), returns the new states and the samples.
pub fn sample(dtype: DType, rstate: &Tensor, size: &Tensor) -> Result<Vec<Tensor>, String> {
    let states = rstate
        .as_array::<i32>()
        .filter(|a| a.ndim() == 2 && a.shape()[1] == 6);
    let Some(states) = states else {
        return Err(format!(
            "mrg_uniform: rstate must be an int32 matrix of 6 columns, got a {} array of shape {:?}",
            rstate.dtype(),
            rstate.shape()
        ));
    };
    if states.shape()[0] == 0 {
        return Err("mrg_uniform: rstate has no stream (0 rows)".into());
    }
    if !size.dtype().is_int() || size.ndim() != 1 {
        return Err(format!(
            "mrg_uniform: size must be an integer vector, got a {} array of shape {:?}",
            size.dtype(),
            size.shape()
        ));
    }
    let dims = size.to_i64_vec();
    let mut shape = Vec::with_capacity(dims.len());
    let mut n: u64 = 1;
    for (i, &d) in dims.iter().enumerate() {
        let d = u64::try_from(d)
            .map_err(|_| format!("mrg_uniform: size[{i}] is {d}; a length must not be negative"))?;
        n = n.saturating_mul(d);
        shape.push(d as usize);
    }
    if n > mrg::M1 as u64 {
        return Err(format!(
            "mrg_uniform: {n} samples asked for; rng_mrg does not support more than (2**31 -1) samples"
        ));
    }
    let mut rows: Vec<mrg::State> = states
        .rows()
        .into_iter()
        .map(|r| [r[0], r[1], r[2], r[3], r[4], r[5]])
        .collect();
    let n_streams = rows.len();
    let n = n as usize;
    let samples = match dtype {
        DType::Float64 => {
            let mut out = sample_buffer(n).map_err(|e| format!("{NAME}: {e}"))?;
            for i in 0..n {
                out.push(mrg::to_f64(mrg::next(&mut rows[i % n_streams])));
            }
            Tensor::from_shape_vec(&shape, out)
        }
        DType::Float32 => {
            let mut out = sample_buffer(n).map_err(|e| format!("{NAME}: {e}"))?;
            for i in 0..n {
                out.push(mrg::to_f32(mrg::next(&mut rows[i % n_streams])));
            }
            Tensor::from_shape_vec(&shape, out)
        }
        d => return Err(format!("mrg_uniform samples float32 or float64, not {d}")),
    }
    .map_err(|e| format!("mrg_uniform: {e}"))?;
    let flat: Vec<i32> = rows.iter().flatten().copied().collect();
    let new_states =
        Tensor::from_shape_vec(&[n_streams, 6], flat).map_err(|e| format!("mrg_uniform: {e}"))?;
    Ok(vec![new_states, samples])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text form parses back to the same op; a malformed one is refused.
    #[test]
    fn the_text_form_parses_back() {
        for b in [vec![false, false], vec![true, false], vec![]] {
            let Op::Custom(c) = mrg_uniform_op(DType::Float32, &b).unwrap() else {
                panic!("a custom op")
            };
            let text = c.0.params();
            assert_eq!(parse(&text).unwrap().params(), text);
        }
        for bad in [
            "TensorType(float64, matrix)",
            "TensorType(float64, matrix),inplace",
            "TensorType(float64, matrix),no_inplace,broadcastable=(True)",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
