//! Builders of Theano 1.0's `theano.tensor.signal.pool`: `pool_2d`, `pool_3d` and the
//! general `pool_nd`, node for node as Theano 1.0.5 builds them (the ops are in
//! `crate::pool`).

use super::{apply1, IntoVar, Loc};
use crate::error::{GraphError, Result};
use crate::op::Op;
use crate::pool::{PoolKind, PoolMode};
use crate::var::Variable;
use std::panic::Location;
use theano_tensor::Tensor;

/// `pool_2d`'s keyword arguments. Theano 1.0.5 warns when `ignore_border` is not given and
/// then uses `False`, this default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolArgs {
    /// Drop the last partial window of an axis (`True`), or pool it too (`False`).
    pub ignore_border: bool,
    /// The step between windows (`None`: the window size, no overlap).
    pub stride: Option<Vec<usize>>,
    /// Zeros added on both sides of each axis (needs `ignore_border`; each smaller than its
    /// window).
    pub pad: Option<Vec<usize>>,
    /// What a window computes.
    pub mode: PoolMode,
}

impl Default for PoolArgs {
    fn default() -> PoolArgs {
        PoolArgs {
            ignore_border: false,
            stride: None,
            pad: None,
            mode: PoolMode::Max,
        }
    }
}

fn int_vector(v: &[usize]) -> Variable {
    let v: Vec<i64> = v.iter().map(|&d| d as i64).collect();
    Variable::constant_bounded(Tensor::from_shape_vec(&[v.len()], v).expect("a vector"))
}

/// Theano's `pool_2d(input, ws)`: each window of `ws` over the last two axes reduced to its
/// maximum (or sum, or mean).
#[track_caller]
pub fn pool_2d(input: impl IntoVar, ws: [usize; 2], args: &PoolArgs) -> Result<Variable> {
    pool_at("pool_2d", input.into_var(), &ws, args, Location::caller())
}

/// Theano's `pool_3d(input, ws)`: [`pool_2d`] over the last three axes.
#[track_caller]
pub fn pool_3d(input: impl IntoVar, ws: [usize; 3], args: &PoolArgs) -> Result<Variable> {
    pool_at("pool_3d", input.into_var(), &ws, args, Location::caller())
}

fn pool_at(
    what: &'static str,
    x: Variable,
    ws: &[usize],
    args: &PoolArgs,
    loc: Loc,
) -> Result<Variable> {
    let nd = ws.len();
    let refuse = |why: String| GraphError::new(what, vec![x.ty()], why, loc);
    if x.ndim() < nd {
        return Err(refuse(format!("{what} requires a dimension >= {nd}")));
    }
    let stride = args.stride.clone().unwrap_or_else(|| ws.to_vec());
    let pad = args.pad.clone().unwrap_or_else(|| vec![0; nd]);
    if stride.len() != nd || pad.len() != nd {
        return Err(refuse(format!(
            "ws, stride and pad must have {nd} entries each, got {ws:?}, {stride:?}, {pad:?}"
        )));
    }
    if ws
        .iter()
        .chain(&stride)
        .chain(&pad)
        .any(|&v| v > i32::MAX as usize)
    {
        return Err(refuse(format!(
            "ws, stride and pad must be at most 2**31 - 1, got {ws:?}, {stride:?}, {pad:?}"
        )));
    }
    if ws.contains(&0) || stride.contains(&0) {
        return Err(refuse(format!(
            "window sizes and strides must be positive, got {ws:?} and {stride:?}"
        )));
    }
    if pad.iter().any(|&p| p != 0) && !args.ignore_border {
        return Err(refuse("padding works only with ignore_border=True".into()));
    }
    if pad.iter().zip(ws).any(|(p, w)| p >= w) {
        return Err(refuse("padding must be smaller than strides".into()));
    }
    pool_nd_at(
        x.clone(),
        int_vector(ws),
        int_vector(&stride),
        int_vector(&pad),
        args.ignore_border,
        args.mode,
        loc,
    )
}

/// `Pool{ignore_border, mode, ndim}(x, ws, stride, pad)` with the window, stride and pad
/// as integer vectors of `ndim` entries, symbolic or constant (their values are checked when
/// the op runs).
#[track_caller]
pub fn pool_nd(
    x: impl IntoVar,
    ws: impl IntoVar,
    stride: impl IntoVar,
    pad: impl IntoVar,
    ignore_border: bool,
    mode: PoolMode,
) -> Result<Variable> {
    pool_nd_at(
        x.into_var(),
        ws.into_var(),
        stride.into_var(),
        pad.into_var(),
        ignore_border,
        mode,
        Location::caller(),
    )
}

fn pool_nd_at(
    x: Variable,
    ws: Variable,
    stride: Variable,
    pad: Variable,
    ignore_border: bool,
    mode: PoolMode,
    loc: Loc,
) -> Result<Variable> {
    if !ws.dtype().is_int() || ws.ndim() != 1 {
        return Err(GraphError::new(
            "pool_nd",
            vec![ws.ty()],
            "Pool downsample parameters must be ints.",
            loc,
        ));
    }
    let ndim = match crate::known_ints(&ws) {
        Some(v) => v.len(),
        None => {
            return Err(GraphError::new(
                "pool_nd",
                vec![ws.ty()],
                "the window's length (the number of pooled axes) must be known from the graph",
                loc,
            ))
        }
    };
    apply1(
        Op::Pool {
            kind: PoolKind::Pool,
            ignore_border,
            mode,
            ndim,
        },
        vec![x, ws, stride, pad],
        loc,
    )
}

/// Theano's `max_pool_2d_same_size(input, patch_size)`: `input` where each element is the
/// maximum of its (non-overlapping, `ignore_border`) `patch_size` window, and zero elsewhere
/// (the `MaxPoolGrad` of the pooled maxima with themselves as the gradient).
#[track_caller]
pub fn max_pool_2d_same_size(input: impl IntoVar, patch_size: [usize; 2]) -> Result<Variable> {
    let loc = Location::caller();
    let x = input.into_var();
    let args = PoolArgs {
        ignore_border: true,
        ..PoolArgs::default()
    };
    let out = pool_at("max_pool_2d_same_size", x.clone(), &patch_size, &args, loc)?;
    apply1(
        Op::Pool {
            kind: PoolKind::MaxPoolGrad,
            ignore_border: true,
            mode: PoolMode::Max,
            ndim: 2,
        },
        vec![
            x,
            out.clone(),
            out,
            int_vector(&patch_size),
            int_vector(&patch_size),
            int_vector(&[0, 0]),
        ],
        loc,
    )
}
