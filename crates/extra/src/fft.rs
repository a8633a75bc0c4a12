//! Theano 1.0.5's `theano.tensor.fft`: `RFFTOp` and `IRFFTOp` (the real n-d FFT over every
//! axis but the batch axis, and its unnormalized inverse, complex values as a last axis of
//! real and imaginary parts), their gradients (Theano's), and the builders `rfft` and
//! `irfft` with NumPy's normalizations. Computed by rustfft in float64, each axis in turn,
//! as NumPy's `rfftn`/`irfftn` do (a length in `s` crops or zero-pads its axis).

use crate::ops::{op, Kind};
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use std::panic::Location;
use theano_ir::tensor::{self as T, Idx, IntoVar};
use theano_ir::{DType, GraphError, Result, Tensor, TensorType, Variable};

type C = Complex<f64>;

pub(crate) fn types(
    kind: Kind,
    ins: &[TensorType],
) -> std::result::Result<Vec<TensorType>, String> {
    let name = kind.name();
    let [a, s] = ins else {
        return Err(format!("{name} takes a and s, got {} inputs", ins.len()));
    };
    let (min, out_ndim) = match kind {
        Kind::Rfft => (2, a.ndim() + 1),
        _ => (3, a.ndim().saturating_sub(1)),
    };
    if a.ndim() < min {
        return Err(if kind == Kind::Rfft {
            format!("{name}: input must have dimension > 2, with first dimension batches")
        } else {
            format!(
                "{name}: input must have dimension >= 3,  with first dimension batches and \
                 last real/imag parts"
            )
        });
    }
    if !a.dtype.is_float() {
        return Err(format!("{name}: input must be float32 or float64, got {a}"));
    }
    if s.ndim() != 1 || !s.dtype.is_int() {
        return Err(format!(
            "{name}: length of the transformed axis must be of type integer (an integer \
             vector), got {s}"
        ));
    }
    Ok(vec![
        TensorType::with_ndim(a.dtype, out_ndim).map_err(|e| e.to_string())?
    ])
}

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut st = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        st[k] = st[k + 1] * shape[k + 1];
    }
    st
}

/// `data` (of `shape`) with axis `axis` cropped or zero-padded to `len`.
fn resize(data: &[C], shape: &[usize], axis: usize, len: usize) -> (Vec<C>, Vec<usize>) {
    let mut out_shape = shape.to_vec();
    out_shape[axis] = len;
    let (ist, ost) = (strides(shape), strides(&out_shape));
    let n: usize = out_shape.iter().product();
    let mut out = vec![C::new(0.0, 0.0); n];
    for (k, o) in out.iter_mut().enumerate() {
        let mut src = 0;
        let mut inside = true;
        for d in 0..shape.len() {
            let i = (k / ost[d]) % out_shape[d];
            if i >= shape[d] {
                inside = false;
                break;
            }
            src += i * ist[d];
        }
        if inside {
            *o = data[src];
        }
    }
    (out, out_shape)
}

/// The FFT (or unnormalized inverse) of every lane along `axis`, in place.
fn fft_axis(
    planner: &mut FftPlanner<f64>,
    data: &mut [C],
    shape: &[usize],
    axis: usize,
    inverse: bool,
) {
    let n = shape[axis];
    if n == 0 || data.is_empty() {
        return;
    }
    let fft = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    let st = strides(shape)[axis];
    let outer = data.len() / (n * st);
    let mut lane = vec![C::new(0.0, 0.0); n];
    for o in 0..outer {
        for i in 0..st {
            let base = o * n * st + i;
            for (j, l) in lane.iter_mut().enumerate() {
                *l = data[base + j * st];
            }
            fft.process(&mut lane);
            for (j, l) in lane.iter().enumerate() {
                data[base + j * st] = *l;
            }
        }
    }
}

fn lengths(s: &Tensor, want: usize, name: &str) -> std::result::Result<Vec<usize>, String> {
    let v = s.to_i64_vec();
    if v.len() != want {
        return Err(format!(
            "ValueError: {name}: s must give {want} lengths (one per transformed axis), got {}",
            v.len()
        ));
    }
    v.iter()
        .map(|&n| {
            usize::try_from(n).ok().filter(|&n| n > 0).ok_or_else(|| {
                format!("ValueError: Invalid number of FFT data points ({n}) specified.")
            })
        })
        .collect()
}

pub(crate) fn perform(kind: Kind, a: &Tensor, s: &Tensor) -> std::result::Result<Tensor, String> {
    let mut planner = FftPlanner::<f64>::new();
    let dtype = a.dtype();
    let v = a.to_f64_vec();
    if kind == Kind::Rfft {
        let shape = a.shape().to_vec();
        let s = lengths(s, shape.len() - 1, "RFFTOp")?;
        let mut data: Vec<C> = v.iter().map(|&x| C::new(x, 0.0)).collect();
        let mut sh = shape;
        for (k, &n) in s.iter().enumerate() {
            (data, sh) = resize(&data, &sh, k + 1, n);
        }
        // the last axis first, keeping its n // 2 + 1 non-negative frequencies, then the rest
        let last = sh.len() - 1;
        fft_axis(&mut planner, &mut data, &sh, last, false);
        (data, sh) = resize(&data, &sh, last, sh[last] / 2 + 1);
        for axis in 1..last {
            fft_axis(&mut planner, &mut data, &sh, axis, false);
        }
        let mut out_shape = sh;
        out_shape.push(2);
        let flat = data.iter().flat_map(|c| [c.re, c.im]).collect();
        return Ok(Tensor::from_f64_vec(DType::Float64, &out_shape, flat)
            .expect("a value of its own shape")
            .cast(dtype));
    }
    // IRFFTOp: complex input of shape (batch, m1, .., mh), lengths s
    let shape = a.shape();
    let cshape = shape[..shape.len() - 1].to_vec();
    if shape[shape.len() - 1] != 2 {
        return Err(format!(
            "ValueError: IRFFTOp: the last axis holds real and imaginary parts (length 2), got {}",
            shape[shape.len() - 1]
        ));
    }
    let s = lengths(s, cshape.len() - 1, "IRFFTOp")?;
    let mut data: Vec<C> = v.chunks(2).map(|p| C::new(p[0], p[1])).collect();
    let mut sh = cshape;
    let last = sh.len() - 1;
    for axis in 1..last {
        (data, sh) = resize(&data, &sh, axis, s[axis - 1]);
        fft_axis(&mut planner, &mut data, &sh, axis, true);
    }
    // the last axis: its n // 2 + 1 frequencies completed by Hermitian symmetry
    let n = s[last - 1];
    (data, sh) = resize(&data, &sh, last, n / 2 + 1);
    let half = sh[last];
    let lanes = data.len() / half;
    let mut full = vec![C::new(0.0, 0.0); lanes * n];
    for l in 0..lanes {
        for k in 0..n {
            full[l * n + k] = if k < half {
                data[l * half + k]
            } else {
                data[l * half + (n - k)].conj()
            };
        }
    }
    sh[last] = n;
    fft_axis(&mut planner, &mut full, &sh, last, true);
    let flat = full.iter().map(|c| c.re).collect();
    Ok(Tensor::from_f64_vec(DType::Float64, &sh, flat)
        .expect("a value of its own shape")
        .cast(dtype))
}

/// `gf` with its frequencies `1 .. s[-1] // 2 + s[-1] % 2` (those whose conjugates the half
/// spectrum leaves out) scaled by `factor`, as Theano's gradients scale them.
fn scale_inner(gf: &Variable, s: &Variable, factor: f64) -> Result<Variable> {
    let n = gf.ndim();
    let last = s.at(-1i64)?;
    let stop = T::int_div(&last, 2i8) + T::modulo(&last, 2i8);
    let mut idx = vec![Idx::all(); n - 2];
    idx.push(Idx::slice(
        Some(Variable::index_constant(1)),
        Some(stop),
        None,
    ));
    idx.push(Idx::all());
    let region = gf.get(&idx)?;
    T::set_subtensor(&region, &region * factor)
}

pub(crate) fn grad(
    kind: Kind,
    inputs: &[Variable],
    g0: Option<Variable>,
) -> std::result::Result<Vec<Option<Variable>>, String> {
    let Some(gout) = g0 else {
        return Ok(vec![None, None]);
    };
    let s = &inputs[1];
    let e = |err: GraphError| err.to_string();
    let g = if kind == Kind::Rfft {
        let scaled = scale_inner(&gout, s, 0.5).map_err(e)?;
        rfft_node(Kind::Irfft, scaled, s.clone()).map_err(e)?
    } else {
        let gf = rfft_node(Kind::Rfft, gout, s.clone()).map_err(e)?;
        scale_inner(&gf, s, 2.0).map_err(e)?
    };
    Ok(vec![Some(g), None])
}

#[track_caller]
fn rfft_node(kind: Kind, a: Variable, s: Variable) -> Result<Variable> {
    Ok(T::apply_op(op(kind), vec![a, s])?.remove(0))
}

fn check_norm(norm: Option<&str>, x: &Variable, loc: &'static Location<'static>) -> Result<()> {
    match norm {
        None | Some("ortho") | Some("no_norm") => Ok(()),
        Some(n) => Err(GraphError::new(
            "fft",
            vec![x.ty()],
            format!("Invalid value {n} for norm, must be None, 'ortho' or 'no norm'"),
            loc,
        )),
    }
}

/// Theano's `fft.rfft(inp, norm)`: the real FFT of each of a batch of real arrays (every
/// axis but the first), `(batch, d1, .., dn // 2 + 1, 2)` with the real and imaginary parts
/// last; `norm` `None` (unscaled, as NumPy's) or `"ortho"` (divided by `sqrt(prod(d))`).
#[track_caller]
pub fn rfft(inp: impl IntoVar, norm: Option<&str>) -> Result<Variable> {
    let loc = Location::caller();
    let x = inp.into_var();
    check_norm(norm, &x, loc)?;
    let s = x.shape().get(&[Idx::start_at(1i64)])?;
    let scaling = if norm == Some("ortho") {
        T::sqrt(T::cast(T::prod(&s), x.dtype()))
    } else {
        1i8.into_var()
    };
    Ok(rfft_node(Kind::Rfft, x, s)? / scaling)
}

/// Theano's `fft.irfft(inp, norm, is_odd)`: the inverse of [`rfft`], the last transformed
/// axis of length `2 * (m - 1)` (`+ 1` with `is_odd`); `norm` `None` (divided by the number
/// of points, as NumPy's), `"ortho"` (by its square root) or `"no_norm"`.
#[track_caller]
pub fn irfft(inp: impl IntoVar, norm: Option<&str>, is_odd: bool) -> Result<Variable> {
    let loc = Location::caller();
    let x = inp.into_var();
    check_norm(norm, &x, loc)?;
    let s = x.shape().get(&[Idx::range(1i64, -1i64)])?;
    let last = (s.at(-1i64)? - 1i8) * 2i8;
    let last = if is_odd { last + 1i8 } else { last };
    let s = T::set_subtensor(&s.at(-1i64)?, last)?;
    let scaling = match norm {
        None => T::cast(T::prod(&s), x.dtype()),
        Some("ortho") => T::sqrt(T::cast(T::prod(&s), x.dtype())),
        _ => 1i8.into_var(),
    };
    Ok(rfft_node(Kind::Irfft, x, s)? / scaling)
}
