//! The three batch-norm ops: kinds, names, text form, types, gradients, shapes.

use crate::perform;
use std::sync::Arc;
use theano_ir::params::Params;
use theano_ir::tensor::{self as T};
use theano_ir::{CustomOp, DType, InnerGraph, Op, OpTable, ShapeDim, Tensor, TensorType, Variable};

/// Which op; `axes` are the normalized axes, sorted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `AbstractBatchNormTrain{axes}`: `(x, scale, bias, epsilon, running_average_factor[,
    /// running_mean, running_var])` to `(out, mean, invstd[, new running mean, new running
    /// var])`; `running` says whether the running averages are there (Theano's op is one
    /// class either way: the text form writes `running=True`, debugprint does not).
    Train { axes: Vec<usize>, running: bool },
    /// `AbstractBatchNormInference{axes}`: `(x, scale, bias, mean, var, epsilon)` to `out`.
    Inference { axes: Vec<usize> },
    /// `AbstractBatchNormTrainGrad{axes}`: `(x, dy, scale, x_mean, x_invstd, epsilon)` to
    /// the gradients with respect to `x`, `scale` and `bias`.
    TrainGrad { axes: Vec<usize> },
}

const NAMES: [&str; 3] = [
    "AbstractBatchNormTrain",
    "AbstractBatchNormInference",
    "AbstractBatchNormTrainGrad",
];

/// Python's tuple of ints: `(0,)`, `(0, 2, 3)`.
pub(crate) fn py_tuple(axes: &[usize]) -> String {
    if axes.len() == 1 {
        format!("({},)", axes[0])
    } else {
        theano_tensor::py_tuple(axes)
    }
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Train { .. } => NAMES[0],
            Kind::Inference { .. } => NAMES[1],
            Kind::TrainGrad { .. } => NAMES[2],
        }
    }
    pub fn axes(&self) -> &[usize] {
        match self {
            Kind::Train { axes, .. } | Kind::Inference { axes } | Kind::TrainGrad { axes } => axes,
        }
    }
    fn parse(name: &str, params: &str) -> Result<Kind, String> {
        // `axes=(0, 2, 3)`: the tuple holds commas, so it is read before the list
        let text = params.trim();
        let (tuple, rest) = text
            .strip_prefix("axes=(")
            .and_then(|r| r.split_once(')'))
            .ok_or_else(|| format!("{name}'s parameter is axes=(...), got `{text}`"))?;
        let rest = Params::parse(name, rest.trim_start_matches(','))?;
        rest.only(if name == NAMES[0] { &["running"] } else { &[] })?;
        let running = rest.flag("running", false)?;
        let axes: Vec<usize> = tuple
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| a.parse().map_err(|_| format!("{name}: bad axis `{a}`")))
            .collect::<Result<_, _>>()?;
        if axes.is_empty() {
            return Err("there should be at least one normalization axis".into());
        }
        Ok(match name {
            "AbstractBatchNormTrain" => Kind::Train { axes, running },
            "AbstractBatchNormInference" => Kind::Inference { axes },
            "AbstractBatchNormTrainGrad" => Kind::TrainGrad { axes },
            _ => return Err(format!("{name} is not a batch-norm op")),
        })
    }
}

/// The op of one [`Kind`].
#[derive(Debug)]
pub struct BnOp {
    pub kind: Kind,
}

/// The shared op of `kind`.
pub fn op(kind: Kind) -> Op {
    static OPS: OpTable<Kind> = OpTable::new();
    register();
    let k = kind.clone();
    OPS.get(kind, move || Arc::new(BnOp { kind: k }))
}

fn parse_op(name: &str, params: &str) -> Result<Arc<dyn CustomOp>, String> {
    match op(Kind::parse(name, params)?) {
        Op::Custom(c) => Ok(c.0),
        _ => unreachable!("op() gives a custom op"),
    }
}

pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for name in NAMES {
            theano_ir::register_custom_op(name, parse_op);
        }
    });
}

impl BnOp {
    fn types(&self, ins: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let name = self.kind.name();
        let (tensors, scalars, n_out): (&[usize], &[usize], usize) = match self.kind {
            Kind::Train { running: true, .. } => (&[0, 1, 2, 5, 6], &[3, 4], 5),
            Kind::Train { .. } => (&[0, 1, 2], &[3, 4], 3),
            Kind::Inference { .. } => (&[0, 1, 2, 3, 4], &[5], 1),
            Kind::TrainGrad { .. } => (&[0, 1, 2, 3, 4], &[5], 3),
        };
        let want = tensors.len() + scalars.len();
        if ins.len() != want {
            return Err(format!("{name} takes {want} inputs, got {}", ins.len()));
        }
        let x = ins[0];
        for &i in tensors {
            let t = &ins[i];
            if !t.dtype.is_float() || t.ndim() != x.ndim() || t.dtype != x.dtype {
                return Err(format!(
                    "{name}'s tensor inputs are floats of one dtype and x's dimensions, got {t} \
                     (input {i}) and x {x}"
                ));
            }
        }
        for &i in scalars {
            if ins[i].ndim() != 0 || !ins[i].dtype.is_float() {
                return Err(format!(
                    "{name}'s input {i} is a float scalar, got {}",
                    ins[i]
                ));
            }
        }
        if let Some(&a) = self.kind.axes().iter().find(|&&a| a >= x.ndim()) {
            return Err(format!(
                "axes should be less than ndim (<{}), but {} given (axis {a})",
                x.ndim(),
                py_tuple(self.kind.axes())
            ));
        }
        // outputs: x's type, then the parameters' (scale's) type
        let scale = if matches!(self.kind, Kind::TrainGrad { .. }) {
            ins[2]
        } else {
            ins[1]
        };
        let mut out = vec![x];
        out.extend(std::iter::repeat_n(scale, n_out - 1));
        Ok(out)
    }
}

fn e(err: theano_ir::GraphError) -> String {
    err.to_string()
}

fn mean_keep(x: &Variable, axes: &[isize]) -> Result<Variable, String> {
    T::mean(x, Some(axes), true).map_err(e)
}

fn sum_keep(x: &Variable, axes: &[isize]) -> Result<Variable, String> {
    T::sum_axes(x, Some(axes), true).map_err(e)
}

impl CustomOp for BnOp {
    fn name(&self) -> String {
        self.kind.name().into()
    }
    fn params(&self) -> String {
        format!("axes={}", py_tuple(self.kind.axes()))
    }
    fn text_params(&self) -> Option<String> {
        match self.kind {
            Kind::Train { running: true, .. } => Some(format!("{}, running=True", self.params())),
            _ => None,
        }
    }
    fn n_outputs(&self) -> usize {
        match self.kind {
            Kind::Inference { .. } => 1,
            Kind::Train { running: true, .. } => 5,
            Kind::Train { .. } | Kind::TrainGrad { .. } => 3,
        }
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        self.types(inputs)
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        let axes: Vec<isize> = self.kind.axes().iter().map(|&a| a as isize).collect();
        let r = || -> Result<Vec<Option<Variable>>, String> {
            match &self.kind {
                Kind::Train { axes: a, .. } => {
                    let mut g: Vec<Option<Variable>> = vec![None; inputs.len()];
                    let add = |acc: &mut Option<Variable>, v: Variable| {
                        *acc = Some(match acc.take() {
                            None => v,
                            Some(p) => p + v,
                        })
                    };
                    // the output's gradient: AbstractBatchNormTrainGrad, as Theano's L_op
                    if let Some(dy) = output_grads[0].clone() {
                        let ins = vec![
                            inputs[0].clone(),
                            dy,
                            inputs[1].clone(),
                            outputs[1].clone(),
                            outputs[2].clone(),
                            inputs[3].clone(),
                        ];
                        let d =
                            T::apply_op(op(Kind::TrainGrad { axes: a.clone() }), ins).map_err(e)?;
                        for (k, v) in d.into_iter().enumerate() {
                            g[k] = Some(v);
                        }
                    }
                    // the statistics' gradients, which Theano's L_op drops (so its second
                    // derivatives are wrong): mean = sum(x) / n, invstd = (var + eps)^-1/2,
                    // the running averages' blends
                    let x = &inputs[0];
                    let others: Vec<&Option<Variable>> = output_grads[1..].iter().collect();
                    if others.iter().any(|o| o.is_some()) {
                        let n = a
                            .iter()
                            .map(|&k| x.shape().at(k))
                            .collect::<theano_ir::Result<Vec<_>>>()
                            .map_err(e)?
                            .into_iter()
                            .reduce(|p, q| p * q)
                            .expect("at least one axis");
                        let n = T::cast(&n, x.dtype());
                        let diff = x - &outputs[1];
                        let factor = &inputs[4];
                        if let Some(gm) = &output_grads[1] {
                            add(&mut g[0], gm / &n);
                        }
                        if let Some(gi) = &output_grads[2] {
                            add(&mut g[0], -(gi * outputs[2].pow(3i8)) * &diff / &n);
                        }
                        if let Some(grm) = output_grads.get(3).cloned().flatten() {
                            add(&mut g[0], &grm * factor / &n);
                            g[5] = Some(&grm * (1.0f64 - factor));
                        }
                        if let Some(grv) = output_grads.get(4).cloned().flatten() {
                            let unbiased = &n / (&n - 1i8);
                            add(&mut g[0], &grv * factor * unbiased * 2i8 * &diff / &n);
                            g[6] = Some(&grv * (1.0f64 - factor));
                        }
                    }
                    Ok(g)
                }
                Kind::Inference { .. } => {
                    let Some(dy) = output_grads[0].clone() else {
                        return Ok(vec![None; 6]);
                    };
                    let [x, scale, _bias, est_mean, est_var, eps] = inputs else {
                        return Err("AbstractBatchNormInference takes 6 inputs".into());
                    };
                    let est_var_eps = est_var + eps;
                    let est_std = T::sqrt(&est_var_eps);
                    let two = T::constant(2.0f64);
                    let dx = &dy * (scale / &est_std);
                    let dy_diff = sum_keep(&(&dy * (x - est_mean)), &axes)?;
                    let dscale = &dy_diff / &est_std;
                    let dbias = sum_keep(&dy, &axes)?;
                    let dmean = -sum_keep(&dy, &axes)? * (scale / &est_std);
                    let dvar = -dy_diff * (scale / (two * &est_var_eps * &est_std));
                    Ok(vec![
                        Some(dx),
                        Some(dscale),
                        Some(dbias),
                        Some(dmean),
                        Some(dvar),
                        None,
                    ])
                }
                Kind::TrainGrad { .. } => {
                    let [x, dy, scale, x_mean, x_invstd, _eps] = inputs else {
                        return Err("AbstractBatchNormTrainGrad takes 6 inputs".into());
                    };
                    let (ddinputs, ddscale, ddbias) = (
                        output_grads[0].clone(),
                        output_grads[1].clone(),
                        output_grads[2].clone(),
                    );
                    let x_diff = x - x_mean;
                    let mean_dy_x_diff = mean_keep(&(dy * &x_diff), &axes)?;
                    let add = |acc: &mut Option<Variable>, v: Variable| {
                        *acc = Some(match acc.take() {
                            None => v,
                            Some(a) => a + v,
                        })
                    };
                    let (mut g_x, mut g_dy, mut g_scale, mut g_mean, mut g_invstd) =
                        (None, None, None, None, None);
                    let inv3 = x_invstd.pow(3i8);
                    if let Some(dd) = ddinputs {
                        let ccc = scale * (&dd - mean_keep(&dd, &axes)?);
                        let ddd = &inv3
                            * (&ccc * mean_keep(&(dy * &x_diff), &axes)?
                                + dy * mean_keep(&(&ccc * &x_diff), &axes)?);
                        add(&mut g_x, -&ddd);
                        add(
                            &mut g_dy,
                            &ccc * x_invstd
                                - &inv3 * &x_diff * mean_keep(&(&ccc * &x_diff), &axes)?,
                        );
                        let eee = dy * x_invstd - &inv3 * &x_diff * &mean_dy_x_diff;
                        add(
                            &mut g_scale,
                            sum_keep(&(&dd * (&eee - mean_keep(&eee, &axes)?)), &axes)?,
                        );
                        add(&mut g_mean, sum_keep(&ddd, &axes)?);
                        let three = 3i8 * x_invstd.pow(2i8);
                        add(
                            &mut g_invstd,
                            sum_keep(&(&ccc * (dy - three * &x_diff * &mean_dy_x_diff)), &axes)?,
                        );
                    }
                    if let Some(ds) = ddscale {
                        add(&mut g_x, x_invstd * &ds * dy);
                        add(&mut g_dy, x_invstd * &ds * &x_diff);
                        add(&mut g_mean, -(x_invstd * &ds * sum_keep(dy, &axes)?));
                        add(&mut g_invstd, &ds * sum_keep(&(dy * &x_diff), &axes)?);
                    }
                    if let Some(db) = ddbias {
                        add(&mut g_dy, T::fill(dy, &db));
                    }
                    Ok(vec![g_x, g_dy, g_scale, g_mean, g_invstd, None])
                }
            }
        };
        Some(r())
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        let nd = input_ndims[0];
        Some(match self.kind {
            Kind::Inference { .. } => vec![ShapeDim::all_of(0, nd)],
            Kind::TrainGrad { .. } => vec![
                ShapeDim::all_of(0, nd),
                ShapeDim::all_of(2, nd),
                ShapeDim::all_of(2, nd),
            ],
            Kind::Train { running, .. } => {
                let mut v = vec![ShapeDim::all_of(0, nd)];
                let n_out = if running { 5 } else { 3 };
                v.extend(std::iter::repeat_n(ShapeDim::all_of(1, nd), n_out - 1));
                v
            }
        })
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(perform::perform(&self.kind, inputs))
    }
    fn expansion(&self, rewrite: &str, input_types: &[TensorType]) -> Option<InnerGraph> {
        if rewrite != "abstract_batch_norm" {
            return None;
        }
        let outs = self.types(input_types).ok()?;
        let inputs: Vec<Variable> = input_types.iter().map(|t| T::input(*t, "")).collect();
        let outputs = self.expand(&inputs).ok()?;
        // each result with its output's pattern and dtype (Theano's patternbroadcast)
        let outputs = outputs
            .into_iter()
            .zip(&outs)
            .map(|(r, t)| {
                let r = if r.dtype() == t.dtype {
                    r
                } else {
                    T::cast(&r, t.dtype)
                };
                T::patternbroadcast(&r, &t.broadcastable())
            })
            .collect::<theano_ir::Result<Vec<_>>>()
            .ok()?;
        if outputs.iter().zip(&outs).any(|(r, t)| r.ty() != *t) {
            return None;
        }
        Some(InnerGraph {
            outer: (0..inputs.len()).map(Some).collect(),
            inputs,
            outputs,
        })
    }
}

impl BnOp {
    /// Theano's CPU rewrites of the abstract ops (`local_abstract_batch_norm_train`,
    /// `_train_grad`, `_inference`): the op's outputs as elementwise and reduction graphs of
    /// `ins`.
    fn expand(&self, ins: &[Variable]) -> theano_ir::Result<Vec<Variable>> {
        let axes: Vec<isize> = self.kind.axes().iter().map(|&a| a as isize).collect();
        let axes = Some(&axes[..]);
        // epsilon does not upcast a float32 variance
        let eps_for = |v: &Variable, eps: &Variable| {
            if v.dtype() == DType::Float32 && eps.dtype() == DType::Float64 {
                T::cast(eps, DType::Float32)
            } else {
                eps.clone()
            }
        };
        Ok(match self.kind {
            Kind::Train { running, .. } => {
                let (x, scale, bias, eps, factor) = (&ins[0], &ins[1], &ins[2], &ins[3], &ins[4]);
                let mean = T::mean(x, axes, true)?;
                let var = T::var(x, axes, true)?;
                let invstd = T::inv(T::sqrt(&var + eps_for(&var, eps)));
                let out = (x - &mean) * (scale * &invstd) + bias;
                let mut r = vec![out, mean.clone(), invstd];
                if running {
                    r.push(&ins[5] * (1.0f64 - factor) + &mean * factor);
                    let m = T::cast(
                        T::prod(x.shape()) / T::prod(scale.shape()),
                        theano_ir::config::float_x(),
                    );
                    let unbiased = &m / (&m - 1i8);
                    r.push(&ins[6] * (1.0f64 - factor) + unbiased * &var * factor);
                }
                r
            }
            Kind::TrainGrad { .. } => {
                let (x, dy, scale, x_mean, x_invstd) =
                    (&ins[0], &ins[1], &ins[2], &ins[3], &ins[4]);
                let x_diff = x - x_mean;
                let mean_dy_x_diff = T::mean(dy * &x_diff, axes, true)?;
                let c = dy * x_invstd - &x_diff * (&mean_dy_x_diff * T::pow(x_invstd, 3i8));
                let g_inputs = scale * (&c - T::mean(&c, axes, true)?);
                let g_scale = T::sum_axes(dy * x_invstd * &x_diff, axes, true)?;
                let g_bias = T::sum_axes(dy, axes, true)?;
                vec![g_inputs, g_scale, g_bias]
            }
            Kind::Inference { .. } => {
                let (x, scale, bias, mean, var, eps) =
                    (&ins[0], &ins[1], &ins[2], &ins[3], &ins[4], &ins[5]);
                let std = T::sqrt(var + eps_for(var, eps));
                vec![(x - mean) * (scale / std) + bias]
            }
        })
    }
}

/// `dtype` of every input, for the builders' `as_common_dtype`.
pub(crate) fn common_dtype(vs: &[&Variable]) -> DType {
    vs.iter()
        .map(|v| v.dtype())
        .reduce(DType::promote)
        .unwrap_or(DType::Float64)
}
