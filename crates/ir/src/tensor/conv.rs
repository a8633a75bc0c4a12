//! Builders of Theano 1.0's `theano.tensor.nnet.conv2d` and its two public gradients,
//! `conv2d_grad_wrt_inputs` (the transposed convolution) and `conv2d_grad_wrt_weights`,
//! node for node as Theano 1.0.5 builds them (the ops are in `crate::conv`).

use super::{apply1, make_vector_at, IntoVar, Loc, ShapeArg};
use crate::conv::{Border, ConvKind, ConvParams};
use crate::error::{GraphError, Result};
use crate::op::Op;
use crate::var::Variable;
use std::panic::Location;
use theano_tensor::{DType, Tensor};

/// `conv2d`'s keyword arguments, Theano's defaults in [`Conv2dArgs::default`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv2dArgs {
    /// The images' shape where known (`input_shape`), checked when the op runs.
    pub input_shape: Option<[Option<usize>; 4]>,
    /// The filters' shape where known (`filter_shape`), checked when the op runs.
    pub filter_shape: Option<[Option<usize>; 4]>,
    /// `'valid'`, `'full'`, `'half'`, or zeros per side ([`Border::pad`], [`Border::uniform`]).
    pub border_mode: Border,
    /// The output's stride (rows, columns).
    pub subsample: [usize; 2],
    /// Convolve (flip the filters, the default) rather than correlate.
    pub filter_flip: bool,
    /// The filters' dilation (rows, columns).
    pub filter_dilation: [usize; 2],
    /// Channels and filters in this many independent groups.
    pub num_groups: usize,
}

impl Default for Conv2dArgs {
    fn default() -> Conv2dArgs {
        Conv2dArgs {
            input_shape: None,
            filter_shape: None,
            border_mode: Border::Valid,
            subsample: [1, 1],
            filter_flip: true,
            filter_dilation: [1, 1],
            num_groups: 1,
        }
    }
}

impl Conv2dArgs {
    fn params(&self) -> ConvParams {
        ConvParams {
            border: self.border_mode,
            subsample: self.subsample,
            filter_flip: self.filter_flip,
            imshp: self.input_shape.unwrap_or([None; 4]),
            kshp: self.filter_shape.unwrap_or([None; 4]),
            dilation: self.filter_dilation,
            num_groups: self.num_groups,
        }
    }
}

fn conv_op(kind: ConvKind, params: ConvParams) -> Op {
    Op::AbstractConv2d {
        kind,
        params: Box::new(params),
    }
}

fn refuse(what: &'static str, ins: &[&Variable], why: String, loc: Loc) -> GraphError {
    GraphError::new(what, ins.iter().map(|v| v.ty()).collect(), why, loc)
}

/// Theano's `conv2d(input, filters)`: the 2-D convolution of a minibatch of images `(b, c,
/// h, w)` with filters `(o, c, kh, kw)`, output `(b, o, h', w')` (`'valid'`: `h - kh + 1`).
#[track_caller]
pub fn conv2d(input: impl IntoVar, filters: impl IntoVar) -> Result<Variable> {
    conv2d_at(
        input.into_var(),
        filters.into_var(),
        &Conv2dArgs::default(),
        Location::caller(),
    )
}

/// [`conv2d`] with Theano's keyword arguments.
#[track_caller]
pub fn conv2d_with(
    input: impl IntoVar,
    filters: impl IntoVar,
    args: &Conv2dArgs,
) -> Result<Variable> {
    conv2d_at(
        input.into_var(),
        filters.into_var(),
        args,
        Location::caller(),
    )
}

fn conv2d_at(x: Variable, w: Variable, args: &Conv2dArgs, loc: Loc) -> Result<Variable> {
    let p = args.params();
    p.check().map_err(|e| refuse("conv2d", &[&x, &w], e, loc))?;
    apply1(conv_op(ConvKind::Forward, p), vec![x, w], loc)
}

/// A 4-entry shape as Theano's gradient functions take it: the known lengths (the op's
/// hints) and the last two as the op's third input.
fn shape_hints(
    what: &'static str,
    shape: ShapeArg,
    refs: &[&Variable],
    loc: Loc,
) -> Result<([Option<usize>; 4], Variable)> {
    let bad = |why: String| refuse(what, refs, why, loc);
    match shape {
        ShapeArg::Const(v) => {
            if v.len() != 4 || v.iter().any(|&d| d < 0) {
                return Err(bad(format!(
                    "the shape must be four non-negative lengths, got {v:?}"
                )));
            }
            let mut hints = [None; 4];
            for (h, &d) in hints.iter_mut().zip(&v) {
                *h = Some(d as usize);
            }
            let last = Tensor::from_shape_vec(&[2], v[2..].to_vec()).expect("two lengths");
            Ok((hints, Variable::constant_bounded(last)))
        }
        ShapeArg::Scalars(v) => {
            if v.len() != 4 || v.iter().any(|d| d.ndim() != 0 || !d.dtype().is_int()) {
                return Err(bad(
                    "the shape must be four integer scalars or known lengths".into(),
                ));
            }
            let mut hints = [None; 4];
            for (h, d) in hints.iter_mut().zip(&v) {
                *h = d
                    .constant_value()
                    .and_then(|t| usize::try_from(t.to_i64_vec()[0]).ok());
            }
            Ok((hints, make_vector_at(v[2..].to_vec(), DType::Int64, loc)?))
        }
        ShapeArg::Vector(v) => Err(bad(format!(
            "give the shape as four lengths or scalars, not the vector {}",
            v.ty()
        ))),
    }
}

/// Theano's `conv2d_grad_wrt_inputs(output_grad, filters, input_shape)`: the gradient of a
/// [`conv2d`] with respect to its images of `input_shape` (known lengths or integer
/// scalars), given the gradient of its output: the transposed convolution.
#[track_caller]
pub fn conv2d_grad_wrt_inputs(
    output_grad: impl IntoVar,
    filters: impl IntoVar,
    input_shape: impl Into<ShapeArg>,
    args: &Conv2dArgs,
) -> Result<Variable> {
    let loc = Location::caller();
    let (g, w) = (output_grad.into_var(), filters.into_var());
    let (hints, hw) = shape_hints("conv2d_grad_wrt_inputs", input_shape.into(), &[&g, &w], loc)?;
    let mut p = args.params();
    p.imshp = hints;
    p.check()
        .map_err(|e| refuse("conv2d_grad_wrt_inputs", &[&g, &w], e, loc))?;
    apply1(conv_op(ConvKind::GradInputs, p), vec![w, g, hw], loc)
}

/// Theano's `conv2d_grad_wrt_weights(input, output_grad, filter_shape)`: the gradient of a
/// [`conv2d`] with respect to its filters of `filter_shape`, given the gradient of its
/// output.
#[track_caller]
pub fn conv2d_grad_wrt_weights(
    input: impl IntoVar,
    output_grad: impl IntoVar,
    filter_shape: impl Into<ShapeArg>,
    args: &Conv2dArgs,
) -> Result<Variable> {
    let loc = Location::caller();
    let (x, g) = (input.into_var(), output_grad.into_var());
    let (hints, hw) = shape_hints(
        "conv2d_grad_wrt_weights",
        filter_shape.into(),
        &[&x, &g],
        loc,
    )?;
    let mut p = args.params();
    p.kshp = hints;
    p.check()
        .map_err(|e| refuse("conv2d_grad_wrt_weights", &[&x, &g], e, loc))?;
    apply1(conv_op(ConvKind::GradWeights, p), vec![x, g, hw], loc)
}
