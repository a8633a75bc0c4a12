//! The fused crossentropy ops the optimizer introduces for the softmax-regression cost:
//! `CrossentropySoftmaxArgmax1HotWithBias` and its gradient `CrossentropySoftmax1HotWithBiasDx`;
//! and `categorical_crossentropy`'s `CrossentropyCategorical1Hot` with its gradient
//! `CrossentropyCategorical1HotGrad`.
//!
//! Both compute in float64 and leave the cast to the node's output dtypes to the caller. The
//! negative log likelihood is `log(sum(exp(z - max))) - (z[y] - max)` (log-sum-exp), finite for
//! any finite logits, where `-log(softmax(z))[y]` computed naively underflows to `inf`.

use crate::error::{PerformError, R};
use crate::util::py_shape;
use theano_tensor::{DType, Tensor};

fn float_input(t: &Tensor, what: &str, ndim: usize) -> R<()> {
    if t.ndim() != ndim || !t.dtype().is_float() {
        let kind = if ndim == 1 { "vector" } else { "matrix" };
        return Err(PerformError::input(format!(
            "{what} must be a float {kind}, got a {} array of shape {}",
            t.dtype(),
            py_shape(t.shape())
        )));
    }
    Ok(())
}

/// The labels as row indices: an integer vector with one label per row, each in `0..n_cols`.
fn labels(y: &Tensor, rows: usize, n_cols: usize) -> R<Vec<usize>> {
    labels_named(y, "y_idx", rows, n_cols)
}

/// [`labels`] of the argument `what`.
fn labels_named(y: &Tensor, what: &str, rows: usize, n_cols: usize) -> R<Vec<usize>> {
    if y.ndim() != 1 || !y.dtype().is_int() {
        return Err(PerformError::input(format!(
            "{what} (the labels) must be an integer vector, got a {} array of shape {}",
            y.dtype(),
            py_shape(y.shape())
        )));
    }
    if y.len() != rows {
        return Err(PerformError::shape(format!(
            "{what} has {} labels but there are {rows} rows (shape of {what} {}, rows of the \
             matrix {rows})",
            y.len(),
            py_shape(y.shape())
        )));
    }
    y.to_i64_vec()
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if l < 0 || l as u64 >= n_cols as u64 {
                Err(PerformError::index(format!(
                    "label {what}[{i}] = {l} is out of range for {n_cols} classes (labels must \
                     be in 0..{n_cols})"
                )))
            } else {
                Ok(l as usize)
            }
        })
        .collect()
}

/// `CrossentropySoftmaxArgmax1HotWithBias(x, b, y_idx)`: `[nll, sm, argmax]` (float64,
/// float64, int64).
pub fn crossentropy_softmax_argmax(x: &Tensor, b: &Tensor, y: &Tensor) -> R<Vec<Tensor>> {
    float_input(x, "x (the logits)", 2)?;
    float_input(b, "b (the bias)", 1)?;
    let (rows, cols) = (x.shape()[0], x.shape()[1]);
    if b.len() != cols && b.len() != 1 {
        return Err(PerformError::shape(format!(
            "the bias b has shape {} but x has shape {} ({cols} columns)",
            py_shape(b.shape()),
            py_shape(x.shape())
        )));
    }
    let labels = labels(y, rows, cols)?;
    let xv = x.to_contiguous().to_f64_vec();
    let bv = b.to_f64_vec();
    let bias = |j: usize| if bv.len() == 1 { bv[0] } else { bv[j] };
    let mut nll = Vec::with_capacity(rows);
    let mut sm = Vec::with_capacity(rows * cols);
    let mut am = Vec::with_capacity(rows);
    let mut z = vec![0.0f64; cols];
    for (i, &label) in labels.iter().enumerate() {
        for (j, zj) in z.iter_mut().enumerate() {
            *zj = xv[i * cols + j] + bias(j);
        }
        // numpy's argmax: the first maximum, or the first NaN
        let mut best = 0;
        for j in 1..cols {
            let (v, m) = (z[j], z[best]);
            if !m.is_nan() && (v > m || v.is_nan()) {
                best = j;
            }
        }
        am.push(best as i64);
        let m = z[best];
        let s: f64 = z.iter().map(|&v| (v - m).exp()).sum();
        sm.extend(z.iter().map(|&v| (v - m).exp() / s));
        nll.push(s.ln() - (z[label] - m));
    }
    let to = |shape: &[usize], v: Vec<f64>| {
        Tensor::from_f64_vec(DType::Float64, shape, v)
            .map_err(|e| PerformError::shape(e.to_string()))
    };
    Ok(vec![
        to(&[rows], nll)?,
        to(&[rows, cols], sm)?,
        Tensor::from_f64_vec(
            DType::Int64,
            &[rows],
            am.iter().map(|&a| a as f64).collect(),
        )
        .map_err(|e| PerformError::shape(e.to_string()))?,
    ])
}

/// The values of `v` (named `what`), a gradient with one entry per row of `m` (named
/// `m_what`, `rows` rows) or one for all rows, as a per-row lookup.
fn per_row(
    v: &Tensor,
    what: &str,
    m: &Tensor,
    m_what: &str,
    rows: usize,
) -> R<impl Fn(usize) -> f64> {
    if v.len() != rows && v.len() != 1 {
        return Err(PerformError::shape(format!(
            "{what} has shape {} but {m_what} has shape {} ({rows} rows)",
            py_shape(v.shape()),
            py_shape(m.shape())
        )));
    }
    let d = v.to_f64_vec();
    Ok(move |i: usize| if d.len() == 1 { d[0] } else { d[i] })
}

/// `CrossentropySoftmax1HotWithBiasDx(dnll, sm, y_idx)`: `(sm - onehot(y_idx)) * dnll[:, None]`
/// (float64). `dnll` has one entry per row, or one for all rows.
pub fn crossentropy_dx(dnll: &Tensor, sm: &Tensor, y: &Tensor) -> R<Tensor> {
    float_input(dnll, "dnll (the gradient of the nll)", 1)?;
    float_input(sm, "sm (the softmax)", 2)?;
    let (rows, cols) = (sm.shape()[0], sm.shape()[1]);
    let d = per_row(dnll, "dnll", sm, "sm", rows)?;
    let labels = labels(y, rows, cols)?;
    let mut dx = sm.to_contiguous().to_f64_vec();
    for (i, &label) in labels.iter().enumerate() {
        let di = d(i);
        let row = &mut dx[i * cols..(i + 1) * cols];
        for v in row.iter_mut() {
            *v *= di;
        }
        row[label] -= di;
    }
    Tensor::from_f64_vec(DType::Float64, &[rows, cols], dx)
        .map_err(|e| PerformError::shape(e.to_string()))
}

/// `CrossentropyCategorical1Hot(coding_dist, true_one_of_n)`: `-log(coding_dist[i, t[i]])` per
/// row (float64; one label per row, each in `0..n_classes`).
pub fn categorical_1hot(p: &Tensor, t: &Tensor) -> R<Tensor> {
    float_input(p, "coding_dist (the probabilities)", 2)?;
    let (rows, cols) = (p.shape()[0], p.shape()[1]);
    let labels = labels_named(t, "true_one_of_n", rows, cols)?;
    let pv = p.to_contiguous().to_f64_vec();
    let y = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| -pv[i * cols + l].ln())
        .collect();
    Tensor::from_f64_vec(DType::Float64, &[rows], y).map_err(|e| PerformError::shape(e.to_string()))
}

/// `CrossentropyCategorical1HotGrad(g_y, coding_dist, true_one_of_n)`: zeros of coding_dist's
/// shape but `-g_y[i] / coding_dist[i, t[i]]` at each row's label (float64). `g_y` has one
/// entry per row, or one for all rows.
pub fn categorical_1hot_grad(g: &Tensor, p: &Tensor, t: &Tensor) -> R<Tensor> {
    float_input(g, "g_y (the gradient of the crossentropy)", 1)?;
    float_input(p, "coding_dist (the probabilities)", 2)?;
    let (rows, cols) = (p.shape()[0], p.shape()[1]);
    let gv = per_row(g, "g_y", p, "coding_dist", rows)?;
    let labels = labels_named(t, "true_one_of_n", rows, cols)?;
    let pv = p.to_contiguous().to_f64_vec();
    let mut out = vec![0.0f64; rows * cols];
    for (i, &l) in labels.iter().enumerate() {
        out[i * cols + l] = -gv(i) / pv[i * cols + l];
    }
    Tensor::from_f64_vec(DType::Float64, &[rows, cols], out)
        .map_err(|e| PerformError::shape(e.to_string()))
}
