//! Builders of Theano 1.0's `theano.tensor.nnet.conv2d` and its two public gradients,
//! `conv2d_grad_wrt_inputs` (the transposed convolution) and `conv2d_grad_wrt_weights`,
//! node for node as Theano 1.0.5 builds them (the ops are in `crate::conv`).

use super::{apply1, concatenate, make_vector_at, Idx, IntoVar, Loc, ShapeArg};
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

/// Theano's `nnet.conv2d_transpose(input, filters, output_shape, ...)`: the transposed
/// convolution, [`conv2d_grad_wrt_inputs`] of `input` as the output gradient, with
/// `args.subsample` as the input dilation.
#[track_caller]
pub fn conv2d_transpose(
    input: impl IntoVar,
    filters: impl IntoVar,
    output_shape: impl Into<ShapeArg>,
    args: &Conv2dArgs,
) -> Result<Variable> {
    conv2d_grad_wrt_inputs(input, filters, output_shape, args)
}

/// Theano's `separable_conv2d(input, depthwise_filters, pointwise_filters, num_channels,
/// ...)`: a depthwise convolution (one group per input channel, `args`' border, stride and
/// dilation) followed by a 1x1 pointwise one; `args.input_shape`/`filter_shape` are the
/// images' and the depthwise filters' shapes where known, `pointwise_filter_shape` the
/// pointwise filters'.
#[track_caller]
pub fn separable_conv2d(
    input: impl IntoVar,
    depthwise_filters: impl IntoVar,
    pointwise_filters: impl IntoVar,
    num_channels: usize,
    pointwise_filter_shape: Option<[Option<usize>; 4]>,
    args: &Conv2dArgs,
) -> Result<Variable> {
    let loc = Location::caller();
    let (x, d, p) = (
        input.into_var(),
        depthwise_filters.into_var(),
        pointwise_filters.into_var(),
    );
    let depthwise_args = Conv2dArgs {
        num_groups: num_channels,
        ..args.clone()
    };
    let dp = depthwise_args.params();
    // the depthwise output's shape where both shapes are given (Theano's infer_shape)
    let depthwise_shape = match (args.input_shape, args.filter_shape) {
        (Some(i), Some(k)) => {
            let (Some(ih), Some(iw), Some(kh), Some(kw)) = (i[2], i[3], k[2], k[3]) else {
                return Err(refuse(
                    "separable_conv2d",
                    &[&x, &d],
                    "the shapes must give the images' and filters' lengths".into(),
                    loc,
                ));
            };
            let [h, w] = dp.out_len([ih, iw], [kh, kw]);
            Some([i[0], k[0], h, w])
        }
        _ => None,
    };
    let depthwise = conv2d_at(x, d, &depthwise_args, loc)?;
    let pointwise_args = Conv2dArgs {
        input_shape: depthwise_shape,
        filter_shape: pointwise_filter_shape,
        border_mode: Border::Valid,
        subsample: [1, 1],
        filter_flip: args.filter_flip,
        filter_dilation: [1, 1],
        num_groups: 1,
    };
    conv2d_at(depthwise, p, &pointwise_args, loc)
}

/// Theano's `causal_conv1d(input, filters, filter_shape, input_shape, subsample,
/// filter_flip, filter_dilation, num_groups)`: the 1-D convolution of `(b, c, t)` sequences
/// whose output at `t` reads inputs up to `t` only (zeros padded on the left), as a 2-D
/// convolution over a length-1 last axis.
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn causal_conv1d(
    input: impl IntoVar,
    filters: impl IntoVar,
    filter_shape: [usize; 3],
    input_shape: Option<[Option<usize>; 3]>,
    subsample: usize,
    filter_flip: bool,
    filter_dilation: usize,
    num_groups: usize,
) -> Result<Variable> {
    let loc = Location::caller();
    let (x, w) = (input.into_var(), filters.into_var());
    if x.ndim() != 3 {
        return Err(refuse(
            "causal_conv1d",
            &[&x, &w],
            "Input should be 3D for causal convolution.".into(),
            loc,
        ));
    }
    if w.ndim() != 3 {
        return Err(refuse(
            "causal_conv1d",
            &[&x, &w],
            "Filters should be 3D for causal convolution".into(),
            loc,
        ));
    }
    let x4 = x.dimshuffle(&[Some(0), Some(1), Some(2), None])?;
    let w4 = w.dimshuffle(&[Some(0), Some(1), Some(2), None])?;
    let left_pad = filter_dilation * filter_shape[2].saturating_sub(1);
    let args = Conv2dArgs {
        input_shape: input_shape.map(|s| [s[0], s[1], s[2], Some(1)]),
        filter_shape: Some([
            Some(filter_shape[0]),
            Some(filter_shape[1]),
            Some(filter_shape[2]),
            Some(1),
        ]),
        border_mode: Border::pad((left_pad, 0), (0, 0)),
        subsample: [subsample, 1],
        filter_flip,
        filter_dilation: [filter_dilation, 1],
        num_groups,
    };
    let out = conv2d_at(x4, w4, &args, loc)?;
    out.get(&[
        Idx::all(),
        Idx::all(),
        Idx::all(),
        Idx::Int(Variable::index_constant(0)),
    ])
}

/// Theano's `bilinear_kernel_1D(ratio, normalize)`: `[1, 2, .., ratio, .., 2, 1]`, divided
/// by `ratio` when normalized (floatX).
#[track_caller]
pub fn bilinear_kernel_1d(ratio: usize, normalize: bool) -> Result<Variable> {
    kernel_1d(ratio, normalize, false)
}

/// [`bilinear_kernel_1d`]; `numpy_ratio`: the ratio is a NumPy int64 (an int64 constant, as
/// the fractional upsampling's reduced ratios are), not a Python int (an int8 one).
fn kernel_1d(ratio: usize, normalize: bool, numpy_ratio: bool) -> Result<Variable> {
    let fx = crate::config::float_x();
    // a NumPy int64 ratio makes `ratio + 1` an int64 constant too
    let stop = if numpy_ratio {
        Variable::constant_bounded(Tensor::scalar(ratio as i64 + 1))
    } else {
        (ratio as i64 + 1).into_var()
    };
    let half = super::arange_dtype(1i64, stop, 1i64, fx)?;
    let back = half.get(&[Idx::slice(
        Some(Variable::index_constant(-2)),
        None,
        Some(Variable::index_constant(-1)),
    )])?;
    let kern = concatenate(&[half, back], 0)?;
    let r = if numpy_ratio {
        Variable::constant_bounded(Tensor::scalar(ratio as i64))
    } else {
        (ratio as i64).into_var()
    };
    Ok(if normalize {
        kern / super::cast(r, fx)
    } else {
        kern
    })
}

/// Theano's `bilinear_kernel_2D(ratio, normalize)`: the outer product of two
/// [`bilinear_kernel_1d`]s (`ratio` rows, columns).
#[track_caller]
pub fn bilinear_kernel_2d(ratio: [usize; 2], normalize: bool) -> Result<Variable> {
    kernel_2d(ratio, normalize, false)
}

fn kernel_2d(ratio: [usize; 2], normalize: bool, numpy_ratio: bool) -> Result<Variable> {
    let h = kernel_1d(ratio[1], normalize, numpy_ratio)?.dimshuffle(&[None, Some(0)])?;
    let v = kernel_1d(ratio[0], normalize, numpy_ratio)?.dimshuffle(&[Some(0), None])?;
    Ok(h * v)
}

/// The images of `x` (b, c, h, w) as `(b * c, 1, h, w)` with their first and last rows and
/// columns repeated, as both upsamplings build them.
struct Bordered {
    row: Variable,
    col: Variable,
    up_input: Variable,
    concat_mat: Variable,
}

fn bordered(x: &Variable) -> Result<Bordered> {
    let rc = x.shape().get(&[Idx::start_at(2i64)])?;
    let (row, col) = (rc.at(0i64)?, rc.at(1i64)?);
    let up_input = x.reshape(vec![
        (-1i64).into_var(),
        1i64.into_var(),
        row.clone(),
        col.clone(),
    ])?;
    let all = Idx::all;
    let last = || Idx::slice(Some(Variable::index_constant(-1)), None, None);
    let concat_mat = concatenate(
        &[
            up_input.get(&[all(), all(), Idx::to(1i64), all()])?,
            up_input.clone(),
            up_input.get(&[all(), all(), last(), all()])?,
        ],
        2,
    )?;
    let concat_mat = concatenate(
        &[
            concat_mat.get(&[all(), all(), all(), Idx::to(1i64)])?,
            concat_mat.clone(),
            concat_mat.get(&[all(), all(), all(), last()])?,
        ],
        3,
    )?;
    Ok(Bordered {
        row,
        col,
        up_input,
        concat_mat,
    })
}

/// Theano's `bilinear_upsampling(input, ratio, batch_size, num_input_channels,
/// use_1D_kernel)`: images `(b, c, h, w)` upsampled `ratio` times on both axes by bilinear
/// interpolation (borders repeated), as transposed convolutions with the bilinear kernel
/// (two 1-D ones, or one 2-D one).
#[track_caller]
pub fn bilinear_upsampling(
    input: impl IntoVar,
    ratio: usize,
    batch_size: Option<usize>,
    num_input_channels: Option<usize>,
    use_1d_kernel: bool,
) -> Result<Variable> {
    let loc = Location::caller();
    let x = input.into_var();
    if ratio == 0 {
        return Err(refuse(
            "bilinear_upsampling",
            &[&x],
            "No ratio (or frac_ratio) provided".into(),
            loc,
        ));
    }
    let up_bs = batch_size.zip(num_input_channels).map(|(b, c)| b * c);
    let Bordered {
        row,
        col,
        up_input,
        concat_mat,
    } = bordered(&x)?;
    let concat_col = &col + 2i8;
    let pad = 2 * ratio - (ratio - 1) / 2 - 1;
    let r = ratio as i64;
    let bs = |v: Option<usize>| match v {
        Some(n) => (n as i64).into_var(),
        // not read: only the last two lengths become the op's input
        None => up_input.shape().at(0i64).expect("a 4-d shape"),
    };
    let shape4 =
        |a: Variable, b: Variable| ShapeArg::Scalars(vec![bs(up_bs), 1i8.into_var(), a, b]);
    let grad_args = |k: [Option<usize>; 4], border: Border, subsample: [usize; 2]| Conv2dArgs {
        input_shape: None,
        filter_shape: Some(k),
        border_mode: border,
        subsample,
        filter_flip: true,
        filter_dilation: [1, 1],
        num_groups: 1,
    };
    let upsampled = if use_1d_kernel {
        let kern = bilinear_kernel_1d(ratio, true)?;
        let kr = kern.dimshuffle(&[None, None, Some(0), None])?;
        let rows = conv2d_grad_wrt_inputs(
            concat_mat,
            kr,
            shape4(&row * r, concat_col),
            &grad_args(
                [Some(1), Some(1), None, Some(1)],
                Border::pad((pad, pad), (0, 0)),
                [ratio, 1],
            ),
        )?;
        let kc = kern.dimshuffle(&[None, None, None, Some(0)])?;
        conv2d_grad_wrt_inputs(
            rows,
            kc,
            shape4(&row * r, &col * r),
            &grad_args(
                [Some(1), Some(1), Some(1), None],
                Border::pad((0, 0), (pad, pad)),
                [1, ratio],
            ),
        )?
    } else {
        let kern = bilinear_kernel_2d([ratio, ratio], true)?;
        let k = kern.dimshuffle(&[None, None, Some(0), Some(1)])?;
        conv2d_grad_wrt_inputs(
            concat_mat,
            k,
            shape4(&row * r, &col * r),
            &grad_args(
                [Some(1), Some(1), None, None],
                Border::pad((pad, pad), (pad, pad)),
                [ratio, ratio],
            ),
        )?
    };
    // a Shape node per entry, as Theano's `input.shape[0], input.shape[1]`
    upsampled.reshape(vec![
        x.shape().at(0i64)?,
        x.shape().at(1i64)?,
        &row * r,
        &col * r,
    ])
}

/// Theano's `bilinear_upsampling(input, frac_ratio=...)` (its `frac_bilinear_upsampling`):
/// images upsampled by a fractional ratio `p / q` per axis (`frac_ratio` `[(p_rows,
/// q_rows), (p_cols, q_cols)]`; Theano's single pair means both axes), by a strided,
/// dilated convolution of the zero-padded 2-D bilinear kernel with the border-repeated
/// images, node for node as Theano builds it.
#[track_caller]
pub fn frac_bilinear_upsampling(
    input: impl IntoVar,
    frac_ratio: [(usize, usize); 2],
) -> Result<Variable> {
    let loc = Location::caller();
    let x = input.into_var();
    if frac_ratio.iter().any(|&(p, q)| p == 0 || q == 0) {
        return Err(refuse(
            "bilinear_upsampling",
            &[&x],
            format!("frac_ratio must be positive, got {frac_ratio:?}"),
            loc,
        ));
    }
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let reduced = frac_ratio.map(|(p, q)| {
        let d = gcd(p, q);
        (p / d, q / d)
    });
    let ratio = [reduced[0].0, reduced[1].0];
    let subsample = [reduced[0].1, reduced[1].1];
    let Bordered {
        row,
        col,
        concat_mat,
        ..
    } = bordered(&x)?;
    // the pyramidal kernel's padding: ((2 [row, col] - 1) ratio + 1) // 2 on one side
    let rc_vec = make_vector_at(vec![row, col], DType::Int64, loc)?;
    let ratio_vec = Variable::constant_bounded(
        Tensor::from_shape_vec(&[2], vec![ratio[0] as i64, ratio[1] as i64]).expect("two"),
    );
    let double_pad = (2i8.into_var() * rc_vec - 1i8) * ratio_vec + 1i8;
    let pad = super::int_div(&double_pad, 2i8);
    let fx = crate::config::float_x();
    let mut kern = kernel_2d(ratio, true, true)?.dimshuffle(&[None, None, Some(0), Some(1)])?;
    if kern.dtype() != fx {
        kern = super::cast(&kern, fx);
    }
    let zero = Variable::constant_bounded(Tensor::scalar(0.0f64).cast(fx));
    // zeros before and after along `axis` (2 or 3), the kernel's other lengths kept
    // (each length read anew, as Theano's `tuple(k.shape[:axis]) + (...)` per zeros)
    let pad_along = |k: &Variable, axis: usize| -> Result<Variable> {
        let a = (axis - 2) as i64;
        let lead = |k: &Variable| -> Result<Vec<Variable>> {
            let l = k.shape().get(&[Idx::to(axis as i64)])?;
            (0..axis).map(|i| l.at(i as i64)).collect()
        };
        let mut before = lead(k)?;
        before.push(pad.at(a)?);
        let mut after = lead(k)?;
        after.push(double_pad.at(a)? - pad.at(a)?);
        if axis == 2 {
            before.push(k.shape().at(-1i64)?);
            after.push(k.shape().at(-1i64)?);
        }
        concatenate(
            &[
                super::alloc(&zero, &before)?,
                k.clone(),
                super::alloc(&zero, &after)?,
            ],
            axis as isize,
        )
    };
    let pad_kern = pad_along(&kern, 2)?;
    let pad_kern = pad_along(&pad_kern, 3)?;
    let args = Conv2dArgs {
        border_mode: Border::Valid,
        subsample,
        filter_dilation: ratio,
        ..Conv2dArgs::default()
    };
    let up = conv2d_at(pad_kern, concat_mat, &args, loc)?;
    up.reshape(vec![
        x.shape().at(0i64)?,
        x.shape().at(1i64)?,
        up.shape().at(2i64)?,
        up.shape().at(3i64)?,
    ])
}
