//! Theano's `Assert` (`theano.tensor.opt.Assert`, `assert_op`): an op whose output is its
//! first input, and which refuses to compute when any of its conditions (integer or bool
//! tensors) has a zero (`AssertionError: <msg>`). `bincount(..., assert_nonneg=True)` guards
//! its input with one. The optimizer drops conditions that are constants and true
//! (theano-opt's `remove_useless_assert`, Theano's `local_remove_useless_assert`).

use crate::op::{register_custom_op, CustomOp, CustomRef, Op, ShapeDim};
use crate::tensor::IntoVar;
use crate::types::TensorType;
use crate::var::Variable;
use crate::{GraphError, Result};
use std::panic::Location;
use std::sync::Arc;
use theano_tensor::Tensor;

pub(crate) const NAME: &str = "Assert";

/// Theano's default message.
pub const DEFAULT_MSG: &str = "Theano Assert failed!";

/// The op, with its message.
#[derive(Debug)]
pub struct AssertOp {
    pub msg: String,
}

/// `assert_op(x, conds)`: `x`, checked when the function runs to have every condition
/// non-zero (Theano's message, "Theano Assert failed!").
#[track_caller]
pub fn assert_op(x: impl IntoVar, conds: &[Variable]) -> Result<Variable> {
    assert_with(DEFAULT_MSG, x, conds)
}

/// `Assert(msg)(x, *conds)`.
#[track_caller]
pub fn assert_with(msg: &str, x: impl IntoVar, conds: &[Variable]) -> Result<Variable> {
    let x = x.into_var();
    if conds.is_empty() {
        return Err(GraphError::new(
            NAME,
            vec![x.ty()],
            "an Assert needs at least one condition",
            Location::caller(),
        ));
    }
    let mut ins = vec![x];
    ins.extend(conds.iter().cloned());
    Ok(crate::tensor::apply_op(op(msg), ins)?.remove(0))
}

/// The `Assert` op with message `msg`.
pub fn op(msg: &str) -> Op {
    Op::Custom(CustomRef(Arc::new(AssertOp { msg: msg.into() })))
}

/// The message of `op` when it is an `Assert`.
pub fn assert_msg(op: &Op) -> Option<String> {
    match op {
        Op::Custom(c) if c.0.name() == NAME => parse_msg(&c.0.params()).ok(),
        _ => None,
    }
}

fn parse_msg(params: &str) -> std::result::Result<String, String> {
    let s = params
        .strip_prefix("msg=")
        .ok_or("Assert's parameter is msg='...'")?;
    let q = s.chars().next().ok_or("empty msg")?;
    if !(q == '\'' || q == '"') || !s.ends_with(q) || s.len() < 2 {
        return Err(format!("Assert's msg must be a quoted string, got {s}"));
    }
    Ok(s[1..s.len() - 1].replace(&format!("\\{q}"), &q.to_string()))
}

impl CustomOp for AssertOp {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        let q = if self.msg.contains('\'') && !self.msg.contains('"') {
            '"'
        } else {
            '\''
        };
        format!("msg={q}{}{q}", self.msg.replace(q, &format!("\\{q}")))
    }
    fn infer_types(&self, inputs: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        let Some((x, conds)) = inputs.split_first() else {
            return Err(format!("{NAME} takes a value and its conditions"));
        };
        if let Some(c) = conds
            .iter()
            .find(|c| !(c.dtype.is_int() || c.dtype.is_bool()))
        {
            return Err(format!(
                "{NAME}'s conditions are integer or bool tensors, got {c}"
            ));
        }
        Ok(vec![*x])
    }
    fn grad(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        // the conditions are disconnected, as Theano's
        let mut g = vec![output_grads[0].clone()];
        g.extend(std::iter::repeat_n(None, inputs.len() - 1));
        Some(Ok(g))
    }
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![eval_points[0].clone()]))
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        Some(vec![ShapeDim::all_of(0, input_ndims[0])])
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        let ok = inputs[1..]
            .iter()
            .all(|c| c.to_f64_vec().iter().all(|&v| v != 0.0));
        Some(if ok {
            Ok(vec![inputs[0].clone()])
        } else {
            Err(format!("AssertionError: {}", self.msg))
        })
    }
}

fn parse(params: &str) -> std::result::Result<Arc<dyn CustomOp>, String> {
    Ok(Arc::new(AssertOp {
        msg: parse_msg(params)?,
    }))
}

/// Registers `Assert`'s text-form parser.
pub(crate) fn register() {
    register_custom_op(NAME, |_, params| parse(params));
}
