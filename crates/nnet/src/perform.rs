//! The ops' values, as Theano's `perform`s compute them (NumPy's mean and var over the
//! axes, kept as length-1 dimensions), in float64 and rounded once to the outputs' dtype.

use crate::op::{py_tuple, Kind};
use theano_ir::{DType, Tensor};

type R<T> = Result<T, String>;

/// A value and its shape, in float64.
struct Arr {
    v: Vec<f64>,
    shape: Vec<usize>,
}

impl Arr {
    fn of(t: &Tensor) -> Arr {
        Arr {
            v: t.to_f64_vec(),
            shape: t.shape().to_vec(),
        }
    }
    fn into_tensor(self, dtype: DType) -> Tensor {
        Tensor::from_f64_vec(DType::Float64, &self.shape, self.v)
            .expect("a value of its own shape")
            .cast(dtype)
    }
}

/// For each element of an array of `shape`, the index of the element of `p` (which
/// broadcasts to `shape`: each of its lengths is the same or 1) it meets.
fn broadcast_index(shape: &[usize], p: &[usize]) -> R<Vec<usize>> {
    if p.len() != shape.len() || p.iter().zip(shape).any(|(&a, &b)| a != b && a != 1) {
        return Err(format!(
            "ValueError: operands could not be broadcast together with shapes {} {}",
            theano_tensor::py_tuple(shape),
            theano_tensor::py_tuple(p)
        ));
    }
    let n: usize = shape.iter().product();
    let mut pstr = vec![0usize; p.len()];
    let mut acc = 1;
    for k in (0..p.len()).rev() {
        pstr[k] = if p[k] == 1 { 0 } else { acc };
        acc *= p[k];
    }
    let mut idx = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(idx.iter().zip(&pstr).map(|(i, s)| i * s).sum());
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    Ok(out)
}

/// `op(a, b)` elementwise, `b` broadcast to `a`'s shape.
fn zip_b(a: &Arr, b: &Arr, f: impl Fn(f64, f64) -> f64) -> R<Arr> {
    let idx = broadcast_index(&a.shape, &b.shape)?;
    Ok(Arr {
        v: a.v.iter().zip(&idx).map(|(&x, &i)| f(x, b.v[i])).collect(),
        shape: a.shape.clone(),
    })
}

/// The sum over `axes`, kept as length-1 dimensions.
fn sum_keep(a: &Arr, axes: &[usize]) -> Arr {
    let shape: Vec<usize> = a
        .shape
        .iter()
        .enumerate()
        .map(|(k, &d)| if axes.contains(&k) { 1 } else { d })
        .collect();
    let idx = broadcast_index(&a.shape, &shape).expect("a reduced shape broadcasts");
    let mut v = vec![0.0; shape.iter().product()];
    for (x, &i) in a.v.iter().zip(&idx) {
        v[i] += x;
    }
    Arr { v, shape }
}

fn mean_keep(a: &Arr, axes: &[usize]) -> Arr {
    let mut s = sum_keep(a, axes);
    let n: usize = axes.iter().map(|&k| a.shape[k]).product();
    for x in &mut s.v {
        *x /= n as f64;
    }
    s
}

fn map(a: &Arr, f: impl Fn(f64) -> f64) -> Arr {
    Arr {
        v: a.v.iter().map(|&x| f(x)).collect(),
        shape: a.shape.clone(),
    }
}

fn check_axes(axes: &[usize], ndim: usize) -> R<()> {
    if axes.iter().any(|&a| a >= ndim) {
        return Err(format!(
            "ValueError: axes should be less than ndim (<{ndim}), but {} given",
            py_tuple(axes)
        ));
    }
    Ok(())
}

pub(crate) fn perform(kind: &Kind, ins: &[&Tensor]) -> R<Vec<Tensor>> {
    let d = ins[0].dtype();
    let x = Arr::of(ins[0]);
    let axes = kind.axes();
    check_axes(axes, x.shape.len())?;
    let scalar = |k: usize| ins[k].to_f64_vec()[0];
    match kind {
        Kind::Train { running, .. } => {
            let (scale, bias) = (Arr::of(ins[1]), Arr::of(ins[2]));
            let (eps, factor) = (scalar(3), scalar(4));
            let mean = mean_keep(&x, axes);
            let diff = zip_b(&x, &mean, |a, m| a - m)?;
            let var = mean_keep(&map(&diff, |v| v * v), axes);
            let invstd = map(&var, |v| 1.0 / (v + eps).sqrt());
            let si = zip_b(&scale, &invstd, |s, i| s * i)?;
            let out = zip_b(&zip_b(&diff, &si, |a, b| a * b)?, &bias, |a, b| a + b)?;
            let mut outs = vec![out.into_tensor(d)];
            if *running {
                let (rm, rv) = (Arr::of(ins[5]), Arr::of(ins[6]));
                let m = x.v.len() as f64 / scale.v.len() as f64;
                let new_mean = zip_b(&rm, &mean, |r, b| r * (1.0 - factor) + b * factor)?;
                let new_var = zip_b(&rv, &var, |r, b| {
                    r * (1.0 - factor) + (m / (m - 1.0)) * b * factor
                })?;
                outs.push(mean.into_tensor(d));
                outs.push(invstd.into_tensor(d));
                outs.push(new_mean.into_tensor(d));
                outs.push(new_var.into_tensor(d));
            } else {
                outs.push(mean.into_tensor(d));
                outs.push(invstd.into_tensor(d));
            }
            Ok(outs)
        }
        Kind::Inference { .. } => {
            let [scale, bias, mean, var] = [1, 2, 3, 4].map(|k| Arr::of(ins[k]));
            let eps = scalar(5);
            let factor = zip_b(&scale, &var, |s, v| s / (v + eps).sqrt())?;
            let diff = zip_b(&x, &mean, |a, m| a - m)?;
            let out = zip_b(&zip_b(&diff, &factor, |a, b| a * b)?, &bias, |a, b| a + b)?;
            Ok(vec![out.into_tensor(d)])
        }
        Kind::TrainGrad { .. } => {
            let (dy, scale, x_mean, x_invstd) = (
                Arr::of(ins[1]),
                Arr::of(ins[2]),
                Arr::of(ins[3]),
                Arr::of(ins[4]),
            );
            if dy.shape != x.shape {
                return Err(format!(
                    "AbstractBatchNormTrainGrad: dy has shape {}, x {}",
                    theano_tensor::py_tuple(&dy.shape),
                    theano_tensor::py_tuple(&x.shape)
                ));
            }
            let x_diff = zip_b(&x, &x_mean, |a, m| a - m)?;
            let dy_diff = zip_b(&dy, &x_diff, |a, b| a * b)?;
            let mean_dy_x_diff = mean_keep(&dy_diff, axes);
            // c = dy * invstd - x_diff * mean_dy_x_diff * invstd ** 3
            let t1 = zip_b(&dy, &x_invstd, |a, i| a * i)?;
            let t2 = zip_b(
                &zip_b(&x_diff, &mean_dy_x_diff, |a, b| a * b)?,
                &x_invstd,
                |a, i| a * i.powi(3),
            )?;
            let c = zip_b(&t1, &t2, |a, b| a - b)?;
            let c_mean = mean_keep(&c, axes);
            let g_x = zip_b(&zip_b(&c, &c_mean, |a, b| a - b)?, &scale, |a, s| s * a)?;
            let g_scale = sum_keep(&zip_b(&dy_diff, &x_invstd, |a, i| a * i)?, axes);
            let g_bias = sum_keep(&dy, axes);
            let sd = ins[2].dtype();
            Ok(vec![
                g_x.into_tensor(d),
                g_scale.into_tensor(sd),
                g_bias.into_tensor(sd),
            ])
        }
    }
}
