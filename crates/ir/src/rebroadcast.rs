//! Theano's `Rebroadcast` (`theano.compile.ops.Rebroadcast`): the input, with the
//! broadcastable flags of some axes set or cleared; setting one checks when the function runs
//! that the axis has length 1. `addbroadcast`, `unbroadcast` and `patternbroadcast` build it
//! as Theano's do (`apply_rebroadcast_opt`: flags that change nothing are dropped, nested
//! rebroadcasts merge); the optimizer's `useless_rebroadcast` and `rebroadcast_lift` are
//! Theano's `local_useless_rebroadcast` and `local_rebroadcast_lift` (theano-opt).

use crate::op::{register_custom_op, CustomOp, Op, OpTable, ShapeDim};
use crate::tensor::IntoVar;
use crate::types::TensorType;
use crate::var::Variable;
use crate::{GraphError, Result};
use std::panic::Location;
use std::sync::Arc;
use theano_tensor::Tensor;

pub(crate) const NAME: &str = "Rebroadcast";

/// The op: for some axes (sorted, each once), the broadcastable flag the output has.
#[derive(Debug)]
pub struct RebroadcastOp {
    pub axes: Vec<(usize, bool)>,
}

/// The shared op setting `axes`' flags (sorted by axis; a later entry for an axis wins).
pub fn op(axes: &[(usize, bool)]) -> Op {
    static OPS: OpTable<Vec<(usize, bool)>> = OpTable::new();
    register();
    let mut a: Vec<(usize, bool)> = Vec::new();
    for &(ax, b) in axes {
        match a.iter_mut().find(|(k, _)| *k == ax) {
            Some(e) => e.1 = b,
            None => a.push((ax, b)),
        }
    }
    a.sort_unstable();
    let key = a.clone();
    OPS.get(key, move || Arc::new(RebroadcastOp { axes: a }))
}

/// The flags `op` sets, when it is a `Rebroadcast`.
pub fn rebroadcast_axes(op: &Op) -> Option<Vec<(usize, bool)>> {
    match op {
        Op::Custom(c) if c.0.name() == NAME => parse_axes(&c.0.params()).ok(),
        _ => None,
    }
}

/// Theano's `Rebroadcast{?,1}`: per axis up to the largest set one, its flag or `?`.
fn pattern(axes: &[(usize, bool)]) -> String {
    let Some(&(last, _)) = axes.last() else {
        return String::new();
    };
    (0..=last)
        .map(|i| match axes.iter().find(|(k, _)| *k == i) {
            Some((_, b)) => (*b as u8).to_string(),
            None => "?".into(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_axes(params: &str) -> std::result::Result<Vec<(usize, bool)>, String> {
    if params.trim().is_empty() {
        return Ok(vec![]);
    }
    params
        .split(',')
        .enumerate()
        .filter_map(|(i, f)| match f.trim() {
            "?" => None,
            "0" => Some(Ok((i, false))),
            "1" => Some(Ok((i, true))),
            other => Some(Err(format!(
                "Rebroadcast's pattern holds 0, 1 or ? per axis, got `{other}`"
            ))),
        })
        .collect()
}

impl CustomOp for RebroadcastOp {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        pattern(&self.axes)
    }
    fn infer_types(&self, inputs: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        let [x] = inputs else {
            return Err(format!("{NAME} takes one input, got {}", inputs.len()));
        };
        if self.axes.last().is_some_and(|&(a, _)| a >= x.ndim()) {
            return Err(format!(
                "Trying to rebroadcast non-existent dimension (axes {:?} of {x})",
                self.axes.iter().map(|p| p.0).collect::<Vec<_>>()
            ));
        }
        let mut b = x.broadcastable();
        for &(a, f) in &self.axes {
            b[a] = f;
        }
        Ok(vec![
            TensorType::new(x.dtype, &b).map_err(|e| e.to_string())?
        ])
    }
    fn grad(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        // Theano's: the input's own flags restored on the same axes
        let Some(gz) = output_grads[0].clone() else {
            return Some(Ok(vec![None]));
        };
        let x = &inputs[0];
        let back: Vec<(usize, bool)> = self
            .axes
            .iter()
            .map(|&(a, _)| (a, x.ty().is_broadcastable(a)))
            .collect();
        Some(
            crate::tensor::apply_op(op(&back), vec![gz])
                .map(|mut v| vec![Some(v.remove(0))])
                .map_err(|e| e.to_string()),
        )
    }
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        let Some(e) = eval_points[0].clone() else {
            return Some(Ok(vec![None]));
        };
        Some(
            crate::tensor::apply_op(op(&self.axes), vec![e])
                .map(|mut v| vec![Some(v.remove(0))])
                .map_err(|e| e.to_string()),
        )
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        Some(vec![(0..input_ndims[0])
            .map(|axis| {
                if self.axes.contains(&(axis, true)) {
                    ShapeDim::Const(1)
                } else {
                    ShapeDim::Of { input: 0, axis }
                }
            })
            .collect()])
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        let x = inputs[0];
        for &(a, b) in &self.axes {
            if b && x.shape()[a] != 1 {
                return Some(Err(format!(
                    "ValueError: Dimension {a} in Rebroadcast's input was supposed to be 1 (got \
                     {} instead)",
                    x.shape()[a]
                )));
            }
        }
        Some(Ok(vec![x.clone()]))
    }
}

/// Registers `Rebroadcast`'s text-form parser.
pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        register_custom_op(NAME, |_, params| match op(&parse_axes(params)?) {
            Op::Custom(c) => Ok(c.0),
            _ => unreachable!("op() gives a custom op"),
        })
    });
}

/// Theano's `apply_rebroadcast_opt` when a graph is built: the flags that change nothing are
/// dropped (no node when none is left), and a rebroadcast of a rebroadcast is one.
#[track_caller]
fn rebroadcast(x: Variable, axes: &[(usize, bool)]) -> Result<Variable> {
    let loc = Location::caller();
    if let Some(&(a, _)) = axes.iter().find(|(a, _)| *a >= x.ndim()) {
        return Err(GraphError::new(
            NAME,
            vec![x.ty()],
            format!("Trying to rebroadcast non-existent dimension {a}"),
            loc,
        ));
    }
    // a rebroadcast of a rebroadcast: the outer flags override the inner ones
    let (base, mut all) = match x
        .owner()
        .and_then(|n| rebroadcast_axes(n.op()).map(|inner| (n.inputs()[0].clone(), inner)))
    {
        Some((base, inner)) => (base, inner),
        None => (x.clone(), vec![]),
    };
    all.extend_from_slice(axes);
    let useful: Vec<(usize, bool)> = all
        .iter()
        .enumerate()
        .filter(|&(i, &(a, _))| !all[i + 1..].iter().any(|&(b, _)| b == a))
        .map(|(_, &p)| p)
        .filter(|&(a, b)| base.ty().is_broadcastable(a) != b)
        .collect();
    if useful.is_empty() {
        return Ok(base);
    }
    Ok(crate::tensor::apply_op(op(&useful), vec![base])?.remove(0))
}

/// Theano's `addbroadcast(x, *axes)`: `x` with `axes` broadcastable (checked to have length 1
/// when the function runs).
#[track_caller]
pub fn addbroadcast(x: impl IntoVar, axes: &[usize]) -> Result<Variable> {
    let pairs: Vec<(usize, bool)> = axes.iter().map(|&a| (a, true)).collect();
    rebroadcast(x.into_var(), &pairs)
}

/// Theano's `unbroadcast(x, *axes)`: `x` with `axes` no longer broadcastable.
#[track_caller]
pub fn unbroadcast(x: impl IntoVar, axes: &[usize]) -> Result<Variable> {
    let pairs: Vec<(usize, bool)> = axes.iter().map(|&a| (a, false)).collect();
    rebroadcast(x.into_var(), &pairs)
}

/// Theano's `patternbroadcast(x, broadcastable)`: `x` with the broadcastable pattern given
/// for its first `broadcastable.len()` axes.
#[track_caller]
pub fn patternbroadcast(x: impl IntoVar, broadcastable: &[bool]) -> Result<Variable> {
    let pairs: Vec<(usize, bool)> = broadcastable.iter().copied().enumerate().collect();
    rebroadcast(x.into_var(), &pairs)
}
