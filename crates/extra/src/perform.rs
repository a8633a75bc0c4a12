//! The ops' values, as NumPy 1.23 computes them, with its messages.

use crate::ops::{resolve, Kind, RavelMode};
use theano_ir::{DType, Tensor};

type R<T> = Result<T, String>;

fn tensor(dtype: DType, shape: &[usize], v: Vec<f64>) -> Tensor {
    Tensor::from_f64_vec(DType::Float64, shape, v)
        .expect("a value of its own shape")
        .cast(dtype)
}

fn ints(shape: &[usize], v: Vec<i64>) -> Tensor {
    Tensor::from_shape_vec(shape, v).expect("a value of its own shape")
}

/// NumPy's sort order of floats: NaN after everything.
fn lt(a: f64, b: f64) -> bool {
    a < b || (b.is_nan() && !a.is_nan())
}

/// Row-major strides of `shape`, in elements.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        s[k] = s[k + 1] * shape[k + 1];
    }
    s
}

fn searchsorted(right: bool, ins: &[&Tensor]) -> R<Tensor> {
    let x = ins[0].to_f64_vec();
    let sorted: Vec<f64> = match ins.get(2) {
        None => x,
        Some(s) => {
            let s = s.to_i64_vec();
            if s.len() != x.len() {
                return Err("ValueError: sorter.size must equal a.size".into());
            }
            s.iter()
                .map(|&i| {
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| x.get(i).copied())
                        .ok_or_else(|| "ValueError: Sorter index out of range.".to_string())
                })
                .collect::<R<_>>()?
        }
    };
    let v = ins[1];
    let out = v
        .to_f64_vec()
        .iter()
        .map(|&q| {
            if right {
                sorted.partition_point(|&e| !lt(q, e)) as i64
            } else {
                sorted.partition_point(|&e| lt(e, q)) as i64
            }
        })
        .collect();
    Ok(ints(v.shape(), out))
}

/// One difference along `axis` of a row-major array of `shape`.
fn diff_once<T: Copy>(v: &[T], shape: &[usize], axis: usize, sub: impl Fn(T, T) -> T) -> Vec<T> {
    let len = shape[axis];
    if len == 0 {
        return Vec::new();
    }
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut out = Vec::with_capacity(outer * (len - 1) * inner);
    for o in 0..outer {
        for k in 0..len - 1 {
            for i in 0..inner {
                let at = |k: usize| v[(o * len + k) * inner + i];
                out.push(sub(at(k + 1), at(k)));
            }
        }
    }
    out
}

fn diff(n: usize, axis: i64, x: &Tensor) -> R<Tensor> {
    let axis = resolve(axis, x.ndim()).ok_or_else(|| {
        format!(
            "AxisError: axis {axis} is out of bounds for array of dimension {}",
            x.ndim()
        )
    })?;
    let mut shape = x.shape().to_vec();
    let d = x.dtype();
    macro_rules! run {
        ($v:expr, $sub:expr) => {{
            let mut v = $v;
            for _ in 0..n {
                if shape[axis] == 0 {
                    break;
                }
                v = diff_once(&v, &shape, axis, $sub);
                shape[axis] -= 1;
            }
            v
        }};
    }
    Ok(match d {
        DType::Float32 => {
            let v: Vec<f32> = x.to_f64_vec().iter().map(|&a| a as f32).collect();
            let v = run!(v, |a: f32, b: f32| a - b);
            tensor(d, &shape, v.into_iter().map(f64::from).collect())
        }
        DType::Float64 => {
            let v = run!(x.to_f64_vec(), |a: f64, b: f64| a - b);
            tensor(d, &shape, v)
        }
        // NumPy's diff of booleans is `!=`
        DType::Bool => {
            let v: Vec<bool> = x.to_f64_vec().iter().map(|&a| a != 0.0).collect();
            let v = run!(v, |a: bool, b: bool| a != b);
            tensor(d, &shape, v.into_iter().map(|b| b as u8 as f64).collect())
        }
        // integers wrap in their own width
        _ => {
            let v = run!(x.to_i64_vec(), |a: i64, b: i64| a.wrapping_sub(b));
            ints(&shape, v).cast(d)
        }
    })
}

fn bartlett(m: &Tensor) -> Tensor {
    let m = m.to_i64_vec()[0];
    let v: Vec<f64> = match m {
        m if m < 1 => vec![],
        1 => vec![1.0],
        m => {
            let mf = (m - 1) as f64;
            (0..m)
                .map(|k| {
                    let n = (1 - m + 2 * k) as f64;
                    if n <= 0.0 {
                        1.0 + n / mf
                    } else {
                        1.0 - n / mf
                    }
                })
                .collect()
        }
    };
    let n = v.len();
    tensor(DType::Float64, &[n], v)
}

/// `a` with `val` at flat positions `start, start + step, ...` below `end`.
fn fill_flat(a: &Tensor, val: &Tensor, start: usize, end: usize, step: usize) -> Tensor {
    let mut v = a.to_f64_vec();
    let x = val.to_f64_vec()[0];
    let end = end.min(v.len());
    let mut k = start;
    while k < end {
        v[k] = x;
        k += step;
    }
    tensor(a.dtype(), a.shape(), v)
}

fn fill_diagonal(a: &Tensor, val: &Tensor) -> R<Tensor> {
    let s = a.shape();
    if s.len() == 2 {
        // Theano's: `a.flat[:cols * cols:cols + 1]`, rectangular matrices included
        return Ok(fill_flat(a, val, 0, s[1] * s[1], s[1] + 1));
    }
    if s.iter().any(|&d| d != s[0]) {
        return Err("ValueError: All dimensions of input must be of equal length".into());
    }
    let step = 1 + strides(s)[..s.len() - 1].iter().sum::<usize>();
    Ok(fill_flat(a, val, 0, a.len(), step))
}

fn fill_diagonal_offset(a: &Tensor, val: &Tensor, offset: &Tensor) -> Tensor {
    let (h, w) = (a.shape()[0] as i64, a.shape()[1] as i64);
    let off = offset.to_i64_vec()[0];
    let (start, num) = if off >= 0 {
        (off, h.min(w).min(w - off))
    } else {
        (-off * w, h.min(w).min(h + off))
    };
    let step = w + 1;
    let end = start + step * num;
    if num <= 0 || start < 0 {
        return a.clone();
    }
    fill_flat(a, val, start as usize, end as usize, step as usize)
}

/// NumPy's `unique`: the values (or slices) sorted, then as asked first indices, inverse and
/// counts.
fn unique(kind: Kind, x: &Tensor) -> R<Vec<Tensor>> {
    let Kind::Unique {
        return_index,
        return_inverse,
        return_counts,
        axis,
    } = kind
    else {
        unreachable!("unique of another kind")
    };
    let d = x.dtype();
    let v = x.to_f64_vec();
    // the items compared: single elements, or the slices along the axis (as rows)
    let (n_items, item_len, ax) = match axis {
        None => (v.len(), 1, None),
        Some(a) => {
            let ax = resolve(a, x.ndim()).ok_or_else(|| {
                format!("Unique axis `{a}` is outside of input ndim = {}.", x.ndim())
            })?;
            let n = x.shape()[ax];
            (n, v.len().checked_div(n).unwrap_or(0), Some(ax))
        }
    };
    let shape = x.shape().to_vec();
    let st = strides(&shape);
    // the flat positions of item k's elements, in row-major order of the other axes
    let item = |k: usize| -> Vec<f64> {
        match ax {
            None => vec![v[k]],
            Some(ax) => {
                let mut out = Vec::with_capacity(item_len);
                let others: Vec<usize> = (0..shape.len()).filter(|&i| i != ax).collect();
                let mut idx = vec![0usize; others.len()];
                for _ in 0..item_len {
                    let flat: usize = k * st[ax]
                        + others
                            .iter()
                            .zip(&idx)
                            .map(|(&o, &i)| i * st[o])
                            .sum::<usize>();
                    out.push(v[flat]);
                    for j in (0..idx.len()).rev() {
                        idx[j] += 1;
                        if idx[j] < shape[others[j]] {
                            break;
                        }
                        idx[j] = 0;
                    }
                }
                out
            }
        }
    };
    let items: Vec<Vec<f64>> = (0..n_items).map(item).collect();
    let cmp = |a: &Vec<f64>, b: &Vec<f64>| {
        for (x, y) in a.iter().zip(b) {
            if lt(*x, *y) {
                return std::cmp::Ordering::Less;
            }
            if lt(*y, *x) {
                return std::cmp::Ordering::Greater;
            }
        }
        std::cmp::Ordering::Equal
    };
    // a stable sort: the first of equal items comes first (NumPy's mergesort when indices
    // are asked for)
    let mut order: Vec<usize> = (0..n_items).collect();
    order.sort_by(|&a, &b| cmp(&items[a], &items[b]));
    let mut firsts: Vec<usize> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    let mut inverse = vec![0i64; n_items];
    for (pos, &k) in order.iter().enumerate() {
        // NaN is never equal to NaN (NumPy 1.23 keeps each)
        let same = pos > 0 && {
            let prev = &items[order[pos - 1]];
            prev.iter().zip(&items[k]).all(|(a, b)| a == b)
        };
        if !same {
            firsts.push(k);
            counts.push(0);
        }
        *counts.last_mut().expect("one group") += 1;
        inverse[k] = firsts.len() as i64 - 1;
    }
    let values = match ax {
        None => tensor(d, &[firsts.len()], firsts.iter().map(|&k| v[k]).collect()),
        Some(ax) => {
            // the chosen slices back along the axis
            let mut out_shape = shape.clone();
            out_shape[ax] = firsts.len();
            let ost = strides(&out_shape);
            let mut out = vec![0.0; out_shape.iter().product()];
            let others: Vec<usize> = (0..shape.len()).filter(|&i| i != ax).collect();
            for (j, &k) in firsts.iter().enumerate() {
                let vals = &items[k];
                let mut idx = vec![0usize; others.len()];
                for &val in vals {
                    let flat: usize = j * ost[ax]
                        + others
                            .iter()
                            .zip(&idx)
                            .map(|(&o, &i)| i * ost[o])
                            .sum::<usize>();
                    out[flat] = val;
                    for q in (0..idx.len()).rev() {
                        idx[q] += 1;
                        if idx[q] < out_shape[others[q]] {
                            break;
                        }
                        idx[q] = 0;
                    }
                }
            }
            tensor(d, &out_shape, out)
        }
    };
    let mut outs = vec![values];
    if return_index {
        let f: Vec<i64> = firsts.iter().map(|&k| k as i64).collect();
        outs.push(ints(&[f.len()], f));
    }
    if return_inverse {
        outs.push(ints(&[n_items], inverse));
    }
    if return_counts {
        outs.push(ints(&[counts.len()], counts));
    }
    Ok(outs)
}

/// The strides of `dims` in C or Fortran order.
fn dim_strides(dims: &[i64], fortran: bool) -> Vec<i64> {
    let n = dims.len();
    let mut s = vec![1i64; n];
    if fortran {
        for k in 1..n {
            s[k] = s[k - 1] * dims[k - 1];
        }
    } else {
        for k in (0..n.saturating_sub(1)).rev() {
            s[k] = s[k + 1] * dims[k + 1];
        }
    }
    s
}

fn check_dims(dims: &[i64]) -> R<()> {
    if dims.iter().any(|&d| d < 0) {
        return Err("ValueError: dimensions must be non-negative".into());
    }
    Ok(())
}

fn unravel(ndim: usize, fortran: bool, ins: &[&Tensor]) -> R<Vec<Tensor>> {
    let (idx, dims) = (ins[0], ins[1].to_i64_vec());
    check_dims(&dims)?;
    if dims.len() != ndim {
        return Err(format!(
            "UnravelIndex: dims has {} entries but the op was built for ndim = {ndim}",
            dims.len()
        ));
    }
    let size: i64 = dims.iter().product();
    let st = dim_strides(&dims, fortran);
    let flat = idx.to_i64_vec();
    let mut outs = vec![Vec::with_capacity(flat.len()); ndim];
    for &i in &flat {
        if i < 0 || i >= size {
            return Err(format!(
                "ValueError: index {i} is out of bounds for array with size {size}"
            ));
        }
        for k in 0..ndim {
            outs[k].push(if dims[k] == 0 {
                0
            } else {
                (i / st[k]) % dims[k]
            });
        }
    }
    Ok(outs.into_iter().map(|v| ints(idx.shape(), v)).collect())
}

fn ravel(mode: RavelMode, fortran: bool, ins: &[&Tensor]) -> R<Tensor> {
    let (idx, dims) = ins.split_at(ins.len() - 1);
    let dims = dims[0].to_i64_vec();
    check_dims(&dims)?;
    if idx.len() != dims.len() {
        return Err(format!(
            "ValueError: parameter multi_index must be a sequence of length {}",
            dims.len()
        ));
    }
    let shape = idx[0].shape().to_vec();
    if let Some(bad) = idx.iter().find(|t| t.shape() != &shape[..]) {
        return Err(format!(
            "ValueError: shape mismatch: objects cannot be broadcast to a single shape ({} and {})",
            theano_tensor::py_tuple(&shape),
            theano_tensor::py_tuple(bad.shape())
        ));
    }
    let st = dim_strides(&dims, fortran);
    let coords: Vec<Vec<i64>> = idx.iter().map(|t| t.to_i64_vec()).collect();
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    for e in 0..n {
        let mut flat = 0i64;
        for (k, c) in coords.iter().enumerate() {
            let (mut i, d) = (c[e], dims[k]);
            match mode {
                RavelMode::Raise => {
                    if i < 0 || i >= d {
                        return Err("ValueError: invalid entry in coordinates array".into());
                    }
                }
                RavelMode::Wrap => {
                    if d == 0 {
                        return Err("ValueError: cannot wrap into an empty dimension".into());
                    }
                    i = i.rem_euclid(d);
                }
                RavelMode::Clip => i = i.clamp(0, (d - 1).max(0)),
            }
            flat += i * st[k];
        }
        out.push(flat);
    }
    Ok(ints(&shape, out))
}

/// The op's outputs for these inputs (their types checked when the node was built).
pub(crate) fn perform(kind: Kind, ins: &[&Tensor]) -> R<Vec<Tensor>> {
    Ok(match kind {
        Kind::Searchsorted { right } => vec![searchsorted(right, ins)?],
        Kind::Diff { n, axis } => vec![diff(n, axis, ins[0])?],
        Kind::Bartlett => vec![bartlett(ins[0])],
        Kind::FillDiagonal => vec![fill_diagonal(ins[0], ins[1])?],
        Kind::FillDiagonalOffset => vec![fill_diagonal_offset(ins[0], ins[1], ins[2])],
        Kind::Unique { .. } => unique(kind, ins[0])?,
        Kind::UnravelIndex { ndim, fortran } => unravel(ndim, fortran, ins)?,
        Kind::RavelMultiIndex { mode, fortran } => vec![ravel(mode, fortran, ins)?],
        Kind::TopK {
            axis,
            sorted,
            idx_dtype,
        } => topk(axis, sorted, idx_dtype, ins[0], ins[1])?,
        Kind::Rfft | Kind::Irfft => vec![crate::fft::perform(kind, ins[0], ins[1])?],
    })
}

/// `TopKOp`'s values and indices, with the messages of Theano's `perform` (and of NumPy's
/// `argpartition` for a `-kth` beyond the axis). Along the axis: for `|kth|` the axis'
/// length, unsorted, `x`'s own order (as Theano's); else largest first (smallest first for
/// a negative `kth`), NaN the largest as in NumPy's sorts, ties by index.
fn topk(axis: i64, sorted: bool, idx_dtype: DType, x: &Tensor, kth: &Tensor) -> R<Vec<Tensor>> {
    let shape = x.shape().to_vec();
    let ax = resolve(axis, shape.len()).expect("checked when the node was built");
    let n = shape[ax];
    let k = kth.to_i64_vec()[0];
    if k == 0 {
        return Err("ValueError: topk: kth cannot be zero".into());
    }
    if k > n as i64 {
        return Err(format!(
            "ValueError: topk: kth cannot be larger than the size of specified axis {ax}"
        ));
    }
    if -k > n as i64 {
        return Err(format!("ValueError: kth(={}) out of bounds ({n})", -k));
    }
    let m = k.unsigned_abs() as usize;
    let keep_order = !sorted && m == n;
    let st = strides(&shape);
    let outer: usize = shape[..ax].iter().product();
    let inner: usize = shape[ax + 1..].iter().product();
    let v = x.to_f64_vec();
    let mut out_shape = shape.clone();
    out_shape[ax] = m;
    // for each output element (C order), the index along the axis it takes
    let mut picks = vec![0usize; outer * m * inner];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for o in 0..outer {
        for i in 0..inner {
            let base = o * n * inner + i;
            let at = |j: usize| v[base + j * st[ax]];
            order.clear();
            order.extend(0..n);
            if !keep_order {
                // NumPy's order (NaN last), largest first for a positive kth; the sort is
                // stable, so equal values keep their index order
                let cmp = |p: f64, q: f64| {
                    if lt(p, q) {
                        std::cmp::Ordering::Less
                    } else if lt(q, p) {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Equal
                    }
                };
                order.sort_by(|&a, &b| {
                    if k > 0 {
                        cmp(at(b), at(a))
                    } else {
                        cmp(at(a), at(b))
                    }
                });
            }
            for (r, &j) in order[..m].iter().enumerate() {
                picks[o * m * inner + r * inner + i] = j;
            }
        }
    }
    // the values, gathered in x's own dtype
    let values = x.gather_flat(
        &out_shape,
        picks.iter().enumerate().map(|(p, &j)| {
            let (o, i) = (p / (m * inner), p % inner);
            Some(o * n * inner + j * inner + i)
        }),
    );
    let idx = Tensor::from_f64_vec(
        DType::Float64,
        &out_shape,
        picks.iter().map(|&j| j as f64).collect(),
    )
    .expect("a value of its own shape")
    .cast(idx_dtype);
    Ok(vec![values, idx])
}
