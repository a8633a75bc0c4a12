//! `theano.tensor.nnet.bn`'s builders: `batch_normalization_train`,
//! `batch_normalization_test` (the abstract ops, with Theano's handling of the normalized
//! axes and of the parameters' layout) and `batch_normalization` (elementwise).

use crate::op::{common_dtype, op, py_tuple, Kind};
use std::panic::Location;
use theano_ir::composite::Composite;
use theano_ir::config::float_x;
use theano_ir::tensor::{self as T, IntoVar};
use theano_ir::{GraphError, Result, ScalarOp, Tensor, Variable};

/// The axes to normalize over (Theano's `axes` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axes<'a> {
    /// `'per-activation'`: axis 0
    PerActivation,
    /// `'spatial'`: axis 0 and every axis past the second
    Spatial,
    /// explicit axes
    Given(&'a [usize]),
}

fn refuse(
    op: &str,
    ins: &[&Variable],
    msg: impl Into<String>,
    loc: &'static Location<'static>,
) -> GraphError {
    GraphError::new(op, ins.iter().map(|v| v.ty()).collect(), msg, loc)
}

/// Theano's `_prepare_batch_normalization_axes`: the sorted normalized axes and the others.
fn prepare_axes(
    axes: Axes<'_>,
    ndim: usize,
) -> std::result::Result<(Vec<usize>, Vec<usize>), String> {
    let mut a: Vec<usize> = match axes {
        Axes::PerActivation => vec![0],
        Axes::Spatial => std::iter::once(0).chain(2..ndim).collect(),
        Axes::Given(a) => a.to_vec(),
    };
    a.sort_unstable();
    if a.is_empty() {
        return Err("there should be at least one normalization axis".into());
    }
    if a.iter().any(|&x| x >= ndim) {
        return Err(format!(
            "axes should be less than ndim (<{ndim}), but {} given",
            py_tuple(&a)
        ));
    }
    let rest = (0..ndim).filter(|k| !a.contains(k)).collect();
    Ok((a, rest))
}

/// The normalized axes, the others, and the parameters' rank (the others' count, or the
/// input's when `gamma` has it), with Theano's checks; `ins` starts with x, gamma, beta.
fn layout(
    op: &str,
    axes: Axes<'_>,
    ins: &[&Variable],
    loc: &'static Location<'static>,
) -> Result<(Vec<usize>, Vec<usize>, usize)> {
    let (x, gamma, beta) = (ins[0], ins[1], ins[2]);
    let ndim = x.ndim();
    let (axes, rest) = prepare_axes(axes, ndim).map_err(|m| refuse(op, ins, m, loc))?;
    let params_ndim = if gamma.ndim() == ndim {
        ndim
    } else {
        rest.len()
    };
    if gamma.ndim() != params_ndim || beta.ndim() != params_ndim {
        return Err(refuse(
            op,
            ins,
            format!(
                "gamma and beta dimensionality must match the number of non-normalized axes, \
                 or have the same number of dimensions as the inputs; got {} and {} instead of \
                 {params_ndim}",
                gamma.ndim(),
                beta.ndim()
            ),
            loc,
        ));
    }
    Ok((axes, rest, params_ndim))
}

/// The parameters laid out as the input: a parameter of the non-normalized axes only gets
/// broadcastable axes at the normalized ones (`dimshuffle`); one of the input's rank is made
/// broadcastable there (`addbroadcast`: a `Rebroadcast`, checked when the function runs).
fn lay_out(p: &Variable, ndim: usize, rest: &[usize]) -> Result<Variable> {
    if p.ndim() == ndim {
        let axes: Vec<usize> = (0..ndim).filter(|a| !rest.contains(a)).collect();
        return T::addbroadcast(p, &axes);
    }
    let mut pattern: Vec<Option<usize>> = vec![None; ndim];
    for (i, &axis) in rest.iter().enumerate() {
        pattern[axis] = Some(i);
    }
    p.dimshuffle(&pattern)
}

/// `epsilon` as floatX, checked as Theano checks it (after the cast: float32's 1e-5 is below
/// 1e-5).
fn epsilon_of(
    op: &str,
    x: &Variable,
    eps: f64,
    loc: &'static Location<'static>,
) -> Result<Variable> {
    let e = Tensor::scalar(eps).cast(float_x());
    if e.to_f64_vec()[0] < 1e-5 {
        return Err(refuse(
            op,
            &[x],
            format!("epsilon must be at least 1e-5, got {}", e.to_numpy_str()),
            loc,
        ));
    }
    Ok(Variable::constant_bounded(e))
}

/// `vs` cast to their common dtype (Theano's `as_common_dtype`).
fn common(vs: &[&Variable]) -> Vec<Variable> {
    let d = common_dtype(vs);
    vs.iter()
        .map(|v| {
            if v.dtype() == d {
                (*v).clone()
            } else {
                T::cast(*v, d)
            }
        })
        .collect()
}

/// `batch_normalization_train(inputs, gamma, beta, axes, epsilon, running_average_factor,
/// running)`: the inputs normalized by their own mean and variance over `axes`, scaled by
/// `gamma` and shifted by `beta`; with `running = Some((running_mean, running_var))`, also
/// their updated running averages. Gives `[out, mean, invstd]` (and the two new running
/// averages), the statistics in the parameters' layout.
#[track_caller]
pub fn batch_normalization_train(
    inputs: impl IntoVar,
    gamma: impl IntoVar,
    beta: impl IntoVar,
    axes: Axes<'_>,
    epsilon: f64,
    running_average_factor: f64,
    running: Option<(&Variable, &Variable)>,
) -> Result<Vec<Variable>> {
    let loc = Location::caller();
    const OP: &str = "batch_normalization_train";
    let (x, gamma, beta) = (inputs.into_var(), gamma.into_var(), beta.into_var());
    let ndim = x.ndim();
    let (axes, rest, params_ndim) = layout(OP, axes, &[&x, &gamma, &beta], loc)?;
    if let Some((m, v)) = running {
        for (what, r) in [("running_mean", m), ("running_var", v)] {
            if r.ndim() != params_ndim {
                return Err(refuse(
                    OP,
                    &[&x, r],
                    format!(
                        "{what} must be of the same dimensionality as gamma and beta; got {} \
                         instead of {params_ndim}",
                        r.ndim()
                    ),
                    loc,
                ));
            }
        }
    }
    let eps = epsilon_of(OP, &x, epsilon, loc)?;
    let g = lay_out(&gamma, ndim, &rest)?;
    let b = lay_out(&beta, ndim, &rest)?;
    // Theano passes the factor only with running averages (else the op's default, 0.1)
    let factor = if running.is_some() {
        running_average_factor
    } else {
        0.1
    }
    .into_var();
    let laid_running = match running {
        Some((m, v)) => Some((lay_out(m, ndim, &rest)?, lay_out(v, ndim, &rest)?)),
        None => None,
    };
    let mut ins = match &laid_running {
        Some((m, v)) => common(&[&x, &g, &b, m, v]),
        None => common(&[&x, &g, &b]),
    };
    let tail = ins.split_off(3);
    ins.extend([eps, factor]);
    ins.extend(tail);
    let mut outs = T::apply_op(
        op(Kind::Train {
            axes,
            running: running.is_some(),
        }),
        ins,
    )?;
    if let Some((m, v)) = &laid_running {
        // the new running averages keep the given ones' pattern (Theano's patternbroadcast)
        for (o, r) in outs[3..].iter_mut().zip([m, v]) {
            let want = r.ty().broadcastable();
            if o.ty().broadcastable() != want {
                *o = T::patternbroadcast(&*o, &want)?;
            }
        }
    }
    if params_ndim != ndim {
        // the statistics without the broadcast axes
        let order: Vec<Option<usize>> = rest.iter().map(|&a| Some(a)).collect();
        for o in &mut outs[1..] {
            *o = o.dimshuffle(&order)?;
        }
    }
    Ok(outs)
}

/// `batch_normalization_test(inputs, gamma, beta, mean, var, axes, epsilon)`: the inputs
/// normalized by the given mean and variance: `(x - mean) * gamma / sqrt(var + epsilon) +
/// beta`.
#[track_caller]
pub fn batch_normalization_test(
    inputs: impl IntoVar,
    gamma: impl IntoVar,
    beta: impl IntoVar,
    mean: impl IntoVar,
    var: impl IntoVar,
    axes: Axes<'_>,
    epsilon: f64,
) -> Result<Variable> {
    let loc = Location::caller();
    const OP: &str = "batch_normalization_test";
    let (x, gamma, beta, mean, var) = (
        inputs.into_var(),
        gamma.into_var(),
        beta.into_var(),
        mean.into_var(),
        var.into_var(),
    );
    let ndim = x.ndim();
    let all = [&x, &gamma, &beta, &mean, &var];
    let (axes, rest, params_ndim) = layout(OP, axes, &all, loc)?;
    if mean.ndim() != params_ndim || var.ndim() != params_ndim {
        return Err(refuse(
            OP,
            &all,
            format!(
                "mean and var must be of the same dimensionality as gamma and beta; got {} and \
                 {} instead of {params_ndim}",
                mean.ndim(),
                var.ndim()
            ),
            loc,
        ));
    }
    let eps = epsilon_of(OP, &x, epsilon, loc)?;
    let laid: Vec<Variable> = [&gamma, &beta, &mean, &var]
        .iter()
        .map(|p| lay_out(p, ndim, &rest))
        .collect::<Result<_>>()?;
    let mut ins = common(&[&x, &laid[0], &laid[1], &laid[2], &laid[3]]);
    ins.push(eps);
    Ok(T::apply_op(op(Kind::Inference { axes }), ins)?.remove(0))
}

/// `batch_normalization(inputs, gamma, beta, mean, std, mode)`: `(inputs - mean) / std *
/// gamma + beta` elementwise; `"low_mem"` as one `Composite` (Theano's `BNComposite`),
/// `"high_mem"` as `(inputs - mean) * (gamma / std) + beta`.
#[track_caller]
pub fn batch_normalization(
    inputs: impl IntoVar,
    gamma: impl IntoVar,
    beta: impl IntoVar,
    mean: impl IntoVar,
    std: impl IntoVar,
    mode: &str,
) -> Result<Variable> {
    let loc = Location::caller();
    let (x, gamma, beta, mean, std) = (
        inputs.into_var(),
        gamma.into_var(),
        beta.into_var(),
        mean.into_var(),
        std.into_var(),
    );
    match mode {
        "low_mem" => {
            let c = Composite::parse("((((i0 - i1) / i2) * i3) + i4)")
                .map_err(|m| refuse("BNComposite", &[&x], m, loc))?;
            T::elemwise(ScalarOp::composite(c), vec![x, mean, std, gamma, beta])
        }
        "high_mem" => Ok((&x - &mean) * (&gamma / &std) + &beta),
        _ => Err(refuse(
            "batch_normalization",
            &[&x],
            "mode must be either \"low_mem\", \"high_mem\"",
            loc,
        )),
    }
}
