//! `Pool` and its gradient ops over the last `ndim` axes (Theano 1.0's values: each output
//! element its window's maximum, sum or mean; the gradient ops write back through the same
//! windows, a maximum's gradient to every element equal to it, as Theano's C code does).

use crate::error::{PerformError, R};
use crate::util::{check_size, py_shape};
use theano_ir::pool::{out_len, window, PoolKind, PoolMode};
use theano_tensor::Tensor;

/// The windows of one call: per pooled axis, per output position, the image range and the
/// count a mean divides by.
struct Windows {
    lead: usize,
    img: Vec<usize>,
    out: Vec<usize>,
    axes: Vec<Vec<(usize, usize, usize)>>,
}

impl Windows {
    fn img_len(&self) -> usize {
        self.img.iter().product()
    }
    fn out_len(&self) -> usize {
        self.out.iter().product()
    }
    /// The image offsets of output position `o`'s window (row-major in the image) into
    /// `window`, and its divisor.
    fn window_of(&self, o: usize, window: &mut Vec<usize>) -> f64 {
        let nd = self.img.len();
        window.clear();
        window.push(0usize);
        let mut count = 1.0;
        let mut rest = o;
        let mut r = vec![0usize; nd];
        for a in (0..nd).rev() {
            r[a] = rest % self.out[a];
            rest /= self.out[a];
        }
        for (a, &ra) in r.iter().enumerate() {
            let (lo, hi, c) = self.axes[a][ra];
            count *= c as f64;
            let stride: usize = self.img[a + 1..].iter().product();
            let prev = std::mem::take(window);
            for base in prev {
                for i in lo..hi {
                    window.push(base + i * stride);
                }
            }
        }
        count
    }

    /// Calls `f(lead index, output offset, image offsets of the window, divisor)` for every
    /// output element, each image whole before the next. The windows' offsets are listed once
    /// and read for every image when the list is small (most poolings); else each window is
    /// listed again where it is used, so memory stays that of one window.
    fn each(&self, mut f: impl FnMut(usize, usize, &[usize], f64)) {
        const LISTED: usize = 1 << 24;
        let out_n = self.out_len();
        if out_n == 0 || self.lead == 0 {
            return;
        }
        let total = self
            .axes
            .iter()
            .map(|ax| ax.iter().map(|(lo, hi, _)| hi - lo).sum::<usize>())
            .try_fold(1usize, |acc, n| acc.checked_mul(n));
        let mut window = Vec::new();
        if total.is_some_and(|t| t <= LISTED) {
            let mut taps: Vec<usize> = Vec::new();
            let mut starts = Vec::with_capacity(out_n + 1);
            let mut counts = Vec::with_capacity(out_n);
            for o in 0..out_n {
                counts.push(self.window_of(o, &mut window));
                starts.push(taps.len());
                taps.extend_from_slice(&window);
            }
            starts.push(taps.len());
            for l in 0..self.lead {
                for o in 0..out_n {
                    f(l, o, &taps[starts[o]..starts[o + 1]], counts[o]);
                }
            }
        } else {
            for l in 0..self.lead {
                for o in 0..out_n {
                    let count = self.window_of(o, &mut window);
                    f(l, o, &window, count);
                }
            }
        }
    }
}

fn params(t: &Tensor, nd: usize, what: &str) -> R<Vec<usize>> {
    let v = t.to_i64_vec();
    if t.ndim() != 1 || v.len() != nd || v.iter().any(|&d| d < 0 || d > i32::MAX as i64) {
        return Err(PerformError::input(format!(
            "{what} must be {nd} integers in 0..2**31, got {v:?}"
        )));
    }
    Ok(v.iter().map(|&d| d as usize).collect())
}

fn windows(
    x: &Tensor,
    nd: usize,
    ps: &[&Tensor],
    ignore_border: bool,
    inc_pad: bool,
) -> R<Windows> {
    let shape = x.shape();
    if shape.len() < nd {
        return Err(PerformError::input(format!(
            "Pool requires input with {nd} or more dimensions, got shape {}",
            py_shape(shape)
        )));
    }
    let ws = params(ps[0], nd, "ws")?;
    let st = params(ps[1], nd, "stride")?;
    let pad = params(ps[2], nd, "pad")?;
    if ws.contains(&0) || st.contains(&0) {
        return Err(PerformError::value(format!(
            "window sizes and strides must be positive, got {ws:?} and {st:?}"
        )));
    }
    if pad.iter().any(|&p| p != 0) && !ignore_border {
        return Err(PerformError::value(
            "padding works only with ignore_border=True",
        ));
    }
    if pad.iter().zip(&ws).any(|(p, w)| p >= w) {
        return Err(PerformError::value("padding must be smaller than strides"));
    }
    let k = shape.len() - nd;
    let img = shape[k..].to_vec();
    let out: Vec<usize> = (0..nd)
        .map(|a| out_len(img[a], ws[a], st[a], pad[a], ignore_border))
        .collect();
    let axes = (0..nd)
        .map(|a| {
            (0..out[a])
                .map(|j| window(j, img[a], ws[a], st[a], pad[a], inc_pad))
                .collect()
        })
        .collect();
    Ok(Windows {
        lead: shape[..k].iter().product(),
        img,
        out,
        axes,
    })
}

/// The output shape: the leading axes, then the pooled lengths.
fn out_shape(x: &Tensor, w: &Windows) -> Vec<usize> {
    let k = x.ndim() - w.img.len();
    let mut s = x.shape()[..k].to_vec();
    s.extend(&w.out);
    s
}

fn check_shape(t: &Tensor, want: &[usize], what: &str) -> R<()> {
    if t.shape() != want {
        return Err(PerformError::shape(format!(
            "{what} has shape {}, the pooled shape is {}",
            py_shape(t.shape()),
            py_shape(want)
        )));
    }
    Ok(())
}

fn finish(shape: &[usize], data: Vec<f64>, like: &Tensor) -> R<Tensor> {
    Tensor::from_f64_vec(like.dtype(), shape, data).map_err(|e| PerformError::value(e.to_string()))
}

/// The output of one of the four ops.
pub fn perform(
    kind: PoolKind,
    ignore_border: bool,
    mode: PoolMode,
    nd: usize,
    ins: &[&Tensor],
) -> R<Tensor> {
    let n = kind.n_tensors();
    crate::util::n_inputs(ins, n + 3)?;
    let x = ins[0];
    let inc_pad = mode == PoolMode::AverageIncPad;
    let w = windows(x, nd, &ins[n..], ignore_border, inc_pad)?;
    let oshape = out_shape(x, &w);
    let (img_n, out_n) = (w.img_len(), w.out_len());
    let xv = x.to_f64_vec();
    match kind {
        PoolKind::Pool => {
            if !ignore_border && w.out.contains(&0) {
                return Err(PerformError::value(format!(
                    "Pool with ignore_border=False gives no window for shape {}",
                    py_shape(x.shape())
                )));
            }
            check_size(&oshape, x.dtype())?;
            let mut out = vec![0.0; w.lead * out_n];
            let mut empty = false;
            w.each(|l, o, taps, count| {
                let img = &xv[l * img_n..];
                let v = match mode {
                    PoolMode::Max => {
                        if taps.is_empty() {
                            empty = true;
                            0.0
                        } else {
                            // NaN wins, as numpy's max
                            taps.iter()
                                .map(|&t| img[t])
                                .fold(f64::NEG_INFINITY, |m, v| {
                                    if m.is_nan() || v.is_nan() {
                                        f64::NAN
                                    } else {
                                        m.max(v)
                                    }
                                })
                        }
                    }
                    PoolMode::Sum => taps.iter().map(|&t| img[t]).sum(),
                    PoolMode::AverageIncPad | PoolMode::AverageExcPad => {
                        taps.iter().map(|&t| img[t]).sum::<f64>() / count
                    }
                };
                out[l * out_n + o] = v;
            });
            if empty {
                return Err(PerformError::value(
                    "zero-size array to reduction operation maximum which has no identity",
                ));
            }
            finish(&oshape, out, x)
        }
        PoolKind::MaxPoolGrad | PoolKind::MaxPoolGradGrad => {
            let (maxout, g) = (ins[1], ins[2]);
            check_shape(maxout, &oshape, "maxout")?;
            let m = maxout.to_f64_vec();
            let gv = g.to_f64_vec();
            if kind == PoolKind::MaxPoolGrad {
                check_shape(g, &oshape, "the output gradient")?;
                let mut gx = vec![0.0; xv.len()];
                w.each(|l, o, taps, _| {
                    let mo = m[l * out_n + o];
                    for &t in taps {
                        if xv[l * img_n + t] == mo {
                            gx[l * img_n + t] += gv[l * out_n + o];
                        }
                    }
                });
                finish(x.shape(), gx, x)
            } else {
                check_shape(g, x.shape(), "the input gradient")?;
                let mut gz = vec![0.0; m.len()];
                w.each(|l, o, taps, _| {
                    let mo = m[l * out_n + o];
                    for &t in taps {
                        if xv[l * img_n + t] == mo {
                            gz[l * out_n + o] += gv[l * img_n + t];
                        }
                    }
                });
                finish(&oshape, gz, x)
            }
        }
        PoolKind::AveragePoolGrad => {
            let g = ins[1];
            check_shape(g, &oshape, "the output gradient")?;
            let gv = g.to_f64_vec();
            let mut gx = vec![0.0; xv.len()];
            w.each(|l, o, taps, count| {
                let v = gv[l * out_n + o];
                let v = if mode == PoolMode::Sum { v } else { v / count };
                for &t in taps {
                    gx[l * img_n + t] += v;
                }
            });
            finish(x.shape(), gx, x)
        }
    }
}
