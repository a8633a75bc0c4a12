//! Shape ops: `DimShuffle`, `Shape`, `Shape_i`, `Reshape`, `Flatten`, `ARange`, `Alloc`,
//! `Join`, `MakeVector`.

use crate::error::{PerformError, R};
use crate::num::conv;
use crate::util::{check_size, cow, py_shape, scalar_int, try_filled};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use theano_tensor::{map_array, with_array, with_dtype, DType, Element, Tensor};

/// `DimShuffle{new_order}`: permute the kept axes, drop the others (which must have length
/// 1) and insert length-1 axes where `new_order` has `None` (`'x'`).
pub fn dimshuffle(x: &Tensor, new_order: &[Option<usize>]) -> R<Tensor> {
    let nd = x.ndim();
    let mut seen = vec![false; nd];
    for &i in new_order.iter().flatten() {
        if i >= nd || seen[i] {
            return Err(PerformError::input(format!(
                "bad dimension {i} in new order {new_order:?} for an array of {nd} dimensions"
            )));
        }
        seen[i] = true;
    }
    let dropped: Vec<usize> = (0..nd).filter(|&i| !seen[i]).collect();
    if let Some(&i) = dropped.iter().find(|&&i| x.shape()[i] != 1) {
        return Err(PerformError::shape(format!(
            "cannot drop dimension {i} of an array of shape {}: a broadcastable dimension has length {}",
            py_shape(x.shape()),
            x.shape()[i]
        )));
    }
    // rank of each kept axis among the kept axes, in new order
    let kept: Vec<usize> = (0..nd).filter(|&i| seen[i]).collect();
    let perm: Vec<usize> = new_order
        .iter()
        .flatten()
        .map(|i| kept.iter().position(|k| k == i).unwrap_or(0))
        .collect();
    Ok(map_array!(x, a => {
        let mut v = a.view();
        for &d in dropped.iter().rev() {
            v.index_axis_inplace(Axis(d), 0);
        }
        let mut v = v.permuted_axes(IxDyn(&perm));
        for (pos, e) in new_order.iter().enumerate() {
            if e.is_none() {
                v.insert_axis_inplace(Axis(pos));
            }
        }
        v.as_standard_layout().into_owned()
    }))
}

/// `Shape`: the shape as an int64 vector.
pub fn shape(x: &Tensor) -> Tensor {
    let s: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
    Tensor::from_array(ArrayD::from_shape_vec(IxDyn(&[s.len()]), s).unwrap_or_default())
}

/// `Shape_i{i}`: one dimension's length as an int64 scalar.
pub fn shape_i(x: &Tensor, i: usize) -> R<Tensor> {
    match x.shape().get(i) {
        Some(&d) => Ok(Tensor::scalar(d as i64)),
        None => Err(PerformError::index(format!(
            "dimension {i} out of range for an array of shape {}",
            py_shape(x.shape())
        ))),
    }
}

/// Reshape a tensor (C order) to `shape`.
fn reshape_to(x: &Tensor, shape: &[usize]) -> R<Tensor> {
    Ok(map_array!(x, a => {
        let c = a.as_standard_layout();
        c.into_owned()
            .into_shape_with_order(IxDyn(shape))
            .map_err(|e| PerformError::shape(e.to_string()))?
    }))
}

/// The entries of a shape input (Reshape's, SpecifyShape's), which must be an integer vector.
fn shape_entries(shape_t: &Tensor) -> R<Vec<i64>> {
    if shape_t.ndim() != 1 || !shape_t.dtype().is_discrete() {
        return Err(PerformError::input(format!(
            "the shape must be an integer vector, got a {} array of shape {}",
            shape_t.dtype(),
            py_shape(shape_t.shape())
        )));
    }
    Ok(shape_t.to_i64_vec())
}

/// `Reshape{ndim}`: `shape` is an integer vector of length `ndim` with at most one -1.
pub fn reshape(x: &Tensor, shape_t: &Tensor, ndim: usize) -> R<Tensor> {
    let want = shape_entries(shape_t)?;
    let bad = || {
        PerformError::shape(format!(
            "cannot reshape {} elements (shape {}) into {}",
            x.len(),
            py_shape(x.shape()),
            py_shape(&want)
        ))
    };
    if want.len() != ndim {
        return Err(PerformError::shape(format!(
            "the shape {} has {} entries, expected {ndim}",
            py_shape(&want),
            want.len()
        )));
    }
    let n_infer = want.iter().filter(|&&d| d == -1).count();
    if n_infer > 1 {
        return Err(PerformError::value(format!(
            "can only specify one unknown dimension (-1), got {}",
            py_shape(&want)
        )));
    }
    if let Some(d) = want.iter().find(|&&d| d < -1) {
        return Err(PerformError::value(format!(
            "negative dimension {d} in the shape {}",
            py_shape(&want)
        )));
    }
    let known = want
        .iter()
        .filter(|&&d| d != -1)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
        .ok_or_else(bad)?;
    let n = x.len();
    let shape: Vec<usize> = if n_infer == 1 {
        if known == 0 || !n.is_multiple_of(known) {
            return Err(bad());
        }
        want.iter()
            .map(|&d| if d == -1 { n / known } else { d as usize })
            .collect()
    } else {
        if known != n {
            return Err(bad());
        }
        want.iter().map(|&d| d as usize).collect()
    };
    reshape_to(x, &shape)
}

/// `SpecifyShape`: x itself when its shape is `shape_t`, else an error naming both.
pub fn specify_shape(x: &Tensor, shape_t: &Tensor) -> R<Tensor> {
    let want = shape_entries(shape_t)?;
    let have: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
    if want != have {
        return Err(PerformError::shape(format!(
            "SpecifyShape: the input has shape {}, expected shape {}",
            py_shape(x.shape()),
            py_shape(&want)
        )));
    }
    Ok(x.clone())
}

/// `Flatten{outdim}`: keep the first `outdim - 1` dimensions, collapse the rest.
pub fn flatten(x: &Tensor, outdim: usize) -> R<Tensor> {
    let s = x.shape();
    if outdim == 0 || outdim > s.len().max(1) {
        return Err(PerformError::input(format!(
            "outdim {outdim} out of range for an array of shape {}",
            py_shape(s)
        )));
    }
    let mut shape: Vec<usize> = s[..outdim - 1].to_vec();
    shape.push(s[outdim - 1..].iter().product());
    reshape_to(x, &shape)
}

/// `ARange{dtype}`: numpy's `arange(start, stop, step)`, length `ceil((stop - start) / step)`.
pub fn arange(start: &Tensor, stop: &Tensor, step: &Tensor, dtype: DType) -> R<Tensor> {
    for (t, what) in [(start, "start"), (stop, "stop"), (step, "step")] {
        if t.ndim() != 0 {
            return Err(PerformError::input(format!(
                "{what} must be a scalar, got shape {}",
                py_shape(t.shape())
            )));
        }
    }
    let any_float = [start, stop, step].iter().any(|t| t.dtype().is_float());
    if dtype.is_float() || any_float {
        let f = |t: &Tensor| t.scalar_f64().unwrap_or(0.0);
        let (a, b, s) = (f(start), f(stop), f(step));
        if s == 0.0 {
            return Err(PerformError::value("arange: step must not be zero"));
        }
        let len = ((b - a) / s).ceil();
        if !len.is_finite() {
            return Err(PerformError::value(format!(
                "arange: cannot compute length of arange({a}, {b}, {s})"
            )));
        }
        let len = if len > 0.0 { len as usize } else { 0 };
        check_size(&[len], dtype)?;
        with_dtype!(dtype, T => {
            let mut v = try_filled::<T>(len, T::default())?;
            for (i, o) in v.iter_mut().enumerate() {
                *o = T::from_f64(a + i as f64 * s);
            }
            Ok(T::into_tensor(ArrayD::from_shape_vec(IxDyn(&[len]), v).map_err(|e| PerformError::shape(e.to_string()))?))
        })
    } else {
        let f = |t: &Tensor| t.scalar_i64().unwrap_or(0) as i128;
        let (a, b, s) = (f(start), f(stop), f(step));
        if s == 0 {
            return Err(PerformError::value("arange: step must not be zero"));
        }
        let span = if s > 0 { b - a } else { a - b };
        let sa = s.abs();
        let len = if span > 0 { (span + sa - 1) / sa } else { 0 };
        let len = usize::try_from(len)
            .map_err(|_| PerformError::value(format!("arange({a}, {b}, {s}) is too long")))?;
        check_size(&[len], dtype)?;
        with_dtype!(dtype, T => {
            let mut v = try_filled::<T>(len, T::default())?;
            for (i, o) in v.iter_mut().enumerate() {
                *o = T::from_i64((a + i as i128 * s) as i64);
            }
            Ok(T::into_tensor(ArrayD::from_shape_vec(IxDyn(&[len]), v).map_err(|e| PerformError::shape(e.to_string()))?))
        })
    }
}

/// `Alloc`: `value` broadcast to a new array of the shape given by the scalar inputs.
pub fn alloc(value: &Tensor, dims: &[&Tensor], out: DType) -> R<Tensor> {
    let mut shape = Vec::with_capacity(dims.len());
    for (i, d) in dims.iter().enumerate() {
        let n = scalar_int(d, "each shape entry")?;
        if n < 0 {
            return Err(PerformError::value(format!(
                "negative dimensions are not allowed: dimension {i} is {n}"
            )));
        }
        shape.push(usize::try_from(n).map_err(|_| PerformError::value("dimension too large"))?);
    }
    if value.ndim() > shape.len() {
        return Err(PerformError::shape(format!(
            "the value of shape {} has more dimensions than the shape {}",
            py_shape(value.shape()),
            py_shape(&shape)
        )));
    }
    let n = check_size(&shape, out)?;
    with_dtype!(out, T => {
        let c = cow::<T>(value);
        let b = c.broadcast(IxDyn(&shape)).ok_or_else(|| {
            PerformError::shape(format!(
                "shape mismatch: cannot broadcast a value of shape {} to {}",
                py_shape(value.shape()),
                py_shape(&shape)
            ))
        })?;
        let mut v: Vec<T> = Vec::new();
        v.try_reserve_exact(n)
            .map_err(|_| PerformError::value(format!("cannot allocate an array of shape {}", py_shape(&shape))))?;
        v.extend(b.iter().copied());
        Ok(T::into_tensor(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| PerformError::shape(e.to_string()))?))
    })
}

/// `Join{axis}`: numpy's concatenate, inputs cast to `out`.
pub fn join(ins: &[&Tensor], axis: usize, out: DType) -> R<Tensor> {
    let first = ins
        .first()
        .ok_or_else(|| PerformError::input("join needs at least one array"))?;
    let nd = first.ndim();
    if axis >= nd {
        return Err(PerformError::index(format!(
            "axis {axis} is out of bounds for array of dimension {nd}"
        )));
    }
    for (k, t) in ins.iter().enumerate() {
        if t.ndim() != nd {
            return Err(PerformError::shape(format!(
                "all the input arrays must have same number of dimensions, but the array at index 0 has {nd} dimension(s) and the array at index {k} has {} dimension(s)",
                t.ndim()
            )));
        }
        for d in 0..nd {
            if d != axis && t.shape()[d] != first.shape()[d] {
                return Err(PerformError::shape(format!(
                    "all the input array dimensions except for the concatenation axis must match exactly, but along dimension {d}, the array at index 0 has size {} and the array at index {k} has size {}",
                    first.shape()[d],
                    t.shape()[d]
                )));
            }
        }
    }
    let mut shape = first.shape().to_vec();
    shape[axis] = ins.iter().map(|t| t.shape()[axis]).sum();
    check_size(&shape, out)?;
    with_dtype!(out, T => {
        let cows: Vec<_> = ins.iter().map(|t| cow::<T>(t)).collect();
        let views: Vec<ArrayViewD<'_, T>> = cows.iter().map(|c| c.view()).collect();
        let r = ndarray::concatenate(Axis(axis), &views).map_err(|e| PerformError::shape(e.to_string()))?;
        Ok(T::into_tensor(r))
    })
}

/// `MakeVector{dtype}`: scalars stacked into a vector (cast to `dtype`).
pub fn make_vector(ins: &[&Tensor], dtype: DType) -> R<Tensor> {
    if let Some(t) = ins.iter().find(|t| t.ndim() != 0) {
        return Err(PerformError::input(format!(
            "inputs must be scalars, got shape {}",
            py_shape(t.shape())
        )));
    }
    with_dtype!(dtype, T => {
        let v: Vec<T> = ins
            .iter()
            .map(|t| with_array!(t, a => a.iter().next().map(|&x| conv::<_, T>(x)).unwrap_or_default()))
            .collect();
        Ok(T::into_tensor(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).map_err(|e| PerformError::shape(e.to_string()))?))
    })
}
