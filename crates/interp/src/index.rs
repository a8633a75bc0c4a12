//! Indexing: `Subtensor`, `IncSubtensor`, `AdvancedSubtensor1`, `AdvancedSubtensor`,
//! `AdvancedIncSubtensor1`, `AdvancedIncSubtensor`, with numpy's semantics.

use crate::error::{PerformError, R};
use crate::num::Num;
use crate::util::{check_size, cow, py_shape, scalar_int, try_full, view, wrap_index};
use ndarray::{ArrayBase, ArrayD, Axis, Data, IxDyn, Slice};
use theano_ir::{AdvEntry, IdxEntry};
use theano_tensor::{with_dtype, DType, Element, Tensor};

/// One resolved basic index entry.
#[derive(Clone, Copy, Debug)]
enum Sel {
    /// remove the axis at this index
    Index(usize),
    /// keep the axis, sliced
    Slice(Slice),
}

/// Python's `slice(start, stop, step).indices(n)` ([`theano_ir::py_slice`]) as an ndarray
/// [`Slice`] selecting the same elements in the same order.
fn py_slice(start: Option<i64>, stop: Option<i64>, step: Option<i64>, n: usize) -> R<Slice> {
    let (start, len, step) = theano_ir::py_slice(start, stop, step, n)
        .ok_or_else(|| PerformError::value("slice step cannot be zero"))?;
    if len == 0 {
        return Ok(Slice::new(0, Some(0), 1));
    }
    let last = start + (len - 1) * step;
    let st = step as isize;
    Ok(if step > 0 {
        Slice::new(start as isize, Some(last as isize + 1), st)
    } else {
        Slice::new(last as isize, Some(start as isize + 1), st)
    })
}

/// Resolve a basic index against `shape`, taking bound values from `scalars` in order.
fn plan(shape: &[usize], idx: &[IdxEntry], scalars: &[&Tensor]) -> R<Vec<Sel>> {
    if idx.len() > shape.len() {
        return Err(PerformError::index(format!(
            "too many indices for array: array is {}-dimensional, but {} were indexed",
            shape.len(),
            idx.len()
        )));
    }
    let want: usize = idx.iter().map(|e| e.n_inputs()).sum();
    if scalars.len() != want {
        return Err(PerformError::input(format!(
            "expects {want} index inputs, got {}",
            scalars.len()
        )));
    }
    let mut it = scalars.iter();
    let mut next = |present: bool, what: &str| -> R<Option<i64>> {
        if !present {
            return Ok(None);
        }
        match it.next() {
            Some(t) => scalar_int(t, what).map(Some),
            None => Err(PerformError::input("too few index inputs")),
        }
    };
    let mut out = Vec::with_capacity(idx.len());
    for (axis, e) in idx.iter().enumerate() {
        let n = shape[axis];
        out.push(match *e {
            IdxEntry::Index(_) => {
                let i = next(true, "an index")?.unwrap_or(0);
                Sel::Index(wrap_index(i, n, axis)?)
            }
            IdxEntry::Slice { start, stop, step } => {
                let a = next(start.is_some(), "a slice start")?;
                let b = next(stop.is_some(), "a slice stop")?;
                let c = next(step.is_some(), "a slice step")?;
                Sel::Slice(py_slice(a, b, c, n)?)
            }
        });
    }
    Ok(out)
}

/// Apply a resolved basic index to a view (shared or mutable).
fn apply_plan<S: Data>(v: &mut ArrayBase<S, IxDyn>, sels: &[Sel]) {
    let mut axis = 0;
    for s in sels {
        match *s {
            Sel::Index(i) => v.index_axis_inplace(Axis(axis), i),
            Sel::Slice(sl) => {
                v.slice_axis_inplace(Axis(axis), sl);
                axis += 1;
            }
        }
    }
}

/// `Subtensor{idx}`: `x[idx]` (a copy).
pub fn subtensor(x: &Tensor, idx: &[IdxEntry], scalars: &[&Tensor]) -> R<Tensor> {
    let sels = plan(x.shape(), idx, scalars)?;
    Ok(theano_tensor::map_array!(x, a => {
        let mut v = a.view();
        apply_plan(&mut v, &sels);
        v.to_owned()
    }))
}

fn value_mismatch(y: &[usize], region: &[usize]) -> PerformError {
    PerformError::shape(format!(
        "shape mismatch: value array of shape {} could not be broadcast to indexing result of shape {}",
        py_shape(y),
        py_shape(region)
    ))
}

/// `IncSubtensor{idx, set}`: a copy of `x` with `x[idx] = y` or `x[idx] += y`.
pub fn inc_subtensor(
    x: &Tensor,
    y: &Tensor,
    idx: &[IdxEntry],
    scalars: &[&Tensor],
    set: bool,
    out: DType,
) -> R<Tensor> {
    let sels = plan(x.shape(), idx, scalars)?;
    with_dtype!(out, T => {
        let mut o = cow::<T>(x).into_owned();
        {
            let mut v = o.view_mut();
            apply_plan(&mut v, &sels);
            let yc = cow::<T>(y);
            let yb = yc
                .broadcast(v.raw_dim())
                .ok_or_else(|| value_mismatch(y.shape(), v.shape()))?;
            if set {
                v.assign(&yb);
            } else {
                v.zip_mut_with(&yb, |o, &b| *o = T::add(*o, b));
            }
        }
        Ok(T::into_tensor(o))
    })
}

/// A resolved advanced index: integer arrays broadcast together and wrapped, and where the
/// advanced dimensions go.
struct AdvPlan {
    /// the axes of x indexed by arrays (ascending)
    positions: Vec<usize>,
    /// per array, the wrapped indices over the broadcast index shape (C order)
    idxs: Vec<Vec<usize>>,
    /// the broadcast shape of the index arrays
    bshape: Vec<usize>,
    /// the shape of the result with the advanced dimensions first
    bfirst_shape: Vec<usize>,
    /// when the array entries are adjacent and not first: where the advanced dims go
    insert_at: usize,
}

impl AdvPlan {
    fn new(xshape: &[usize], idx: &[AdvEntry], arrays: &[&Tensor]) -> R<AdvPlan> {
        if idx.len() > xshape.len() {
            return Err(PerformError::index(format!(
                "too many indices for array: array is {}-dimensional, but {} were indexed",
                xshape.len(),
                idx.len()
            )));
        }
        let positions: Vec<usize> = (0..idx.len())
            .filter(|&i| idx[i] == AdvEntry::Array)
            .collect();
        if positions.len() != arrays.len() {
            return Err(PerformError::input(format!(
                "expects {} index arrays, got {}",
                positions.len(),
                arrays.len()
            )));
        }
        if positions.is_empty() {
            return Err(PerformError::input(
                "advanced indexing needs at least one index array",
            ));
        }
        if let Some(a) = arrays.iter().find(|a| !a.dtype().is_int()) {
            return Err(PerformError::input(format!(
                "index arrays must be integer arrays, got {}",
                a.dtype()
            )));
        }
        let mut bshape: Vec<usize> = Vec::new();
        for a in arrays {
            bshape = theano_tensor::broadcast_shapes(&bshape, a.shape()).ok_or_else(|| {
                let all: Vec<String> = arrays.iter().map(|a| py_shape(a.shape())).collect();
                PerformError::shape(format!(
                    "shape mismatch: indexing arrays could not be broadcast together with shapes {}",
                    all.join(" ")
                ))
            })?;
        }
        check_size(&bshape, DType::Int64)?;
        let mut idxs = Vec::with_capacity(arrays.len());
        for (a, &p) in arrays.iter().zip(&positions) {
            let c = cow::<i64>(a);
            let b = c
                .broadcast(IxDyn(&bshape))
                .ok_or_else(|| PerformError::shape("index arrays do not broadcast"))?;
            let v = b
                .iter()
                .map(|&i| wrap_index(i, xshape[p], p))
                .collect::<R<Vec<usize>>>()?;
            idxs.push(v);
        }
        let contiguous = positions.windows(2).all(|w| w[1] == w[0] + 1);
        let insert_at = if contiguous { positions[0] } else { 0 };
        let mut bfirst_shape = bshape.clone();
        bfirst_shape.extend(
            (0..xshape.len())
                .filter(|i| !positions.contains(i))
                .map(|i| xshape[i]),
        );
        Ok(AdvPlan {
            positions,
            idxs,
            bshape,
            bfirst_shape,
            insert_at,
        })
    }

    fn n_points(&self) -> usize {
        self.idxs.first().map(|v| v.len()).unwrap_or(0)
    }

    /// The permutation taking the advanced-first layout to numpy's result layout.
    fn to_final(&self) -> Vec<usize> {
        let nb = self.bshape.len();
        let n = self.bfirst_shape.len();
        let p = self.insert_at;
        (nb..nb + p).chain(0..nb).chain(nb + p..n).collect()
    }

    fn final_shape(&self) -> Vec<usize> {
        self.to_final()
            .iter()
            .map(|&i| self.bfirst_shape[i])
            .collect()
    }

    /// Index the array axes of `v` at point `j`.
    fn select<S: Data>(&self, v: &mut ArrayBase<S, IxDyn>, j: usize) {
        for (k, &p) in self.positions.iter().enumerate().rev() {
            v.index_axis_inplace(Axis(p), self.idxs[k][j]);
        }
    }
}

/// `AdvancedSubtensor{idx}` (and `AdvancedSubtensor1`): numpy integer-array indexing.
pub fn adv_subtensor(x: &Tensor, idx: &[AdvEntry], arrays: &[&Tensor]) -> R<Tensor> {
    let plan = AdvPlan::new(x.shape(), idx, arrays)?;
    with_dtype!(x.dtype(), T => {
        let r = gather::<T>(view::<T>(x)?, &plan)?;
        Ok(T::into_tensor(r))
    })
}

fn gather<T: Element>(x: ndarray::ArrayViewD<'_, T>, plan: &AdvPlan) -> R<ArrayD<T>> {
    let np = plan.n_points();
    let rest: Vec<usize> = plan.bfirst_shape[plan.bshape.len()..].to_vec();
    let mut flat_shape = vec![np];
    flat_shape.extend(&rest);
    let mut out = try_full::<T>(&flat_shape, T::default())?;
    for j in 0..np {
        let mut v = x.view();
        plan.select(&mut v, j);
        out.index_axis_mut(Axis(0), j).assign(&v);
    }
    let out = out
        .into_shape_with_order(IxDyn(&plan.bfirst_shape))
        .map_err(|e| PerformError::shape(e.to_string()))?;
    if plan.insert_at == 0 {
        return Ok(out);
    }
    Ok(out
        .permuted_axes(IxDyn(&plan.to_final()))
        .as_standard_layout()
        .into_owned())
}

/// `AdvancedIncSubtensor{idx, set}` (and `AdvancedIncSubtensor1`): a copy of `x` with
/// `x[arrays] = y` (last write wins) or `x[arrays] += y` (repeated indices accumulate, as
/// `np.add.at`).
pub fn adv_inc_subtensor(
    x: &Tensor,
    y: &Tensor,
    idx: &[AdvEntry],
    arrays: &[&Tensor],
    set: bool,
    out: DType,
) -> R<Tensor> {
    let plan = AdvPlan::new(x.shape(), idx, arrays)?;
    let fshape = plan.final_shape();
    with_dtype!(out, T => {
        let mut o = cow::<T>(x).into_owned();
        let yc = cow::<T>(y);
        let yb = yc
            .broadcast(IxDyn(&fshape))
            .ok_or_else(|| value_mismatch(y.shape(), &fshape))?;
        // back to the advanced-first layout: invert the final permutation
        let fin = plan.to_final();
        let mut inv = vec![0; fin.len()];
        for (i, &p) in fin.iter().enumerate() {
            inv[p] = i;
        }
        let yb = yb.permuted_axes(IxDyn(&inv));
        let nb = plan.bshape.len();
        let mut multi = vec![0usize; nb];
        for j in 0..plan.n_points() {
            // unravel j over the broadcast index shape (C order)
            let mut r = j;
            for d in (0..nb).rev() {
                let n = plan.bshape[d].max(1);
                multi[d] = r % n;
                r /= n;
            }
            let mut yv = yb.view();
            for &m in &multi {
                yv.index_axis_inplace(Axis(0), m);
            }
            let mut xv = o.view_mut();
            plan.select(&mut xv, j);
            if set {
                xv.assign(&yv);
            } else {
                xv.zip_mut_with(&yv, |a, &b| *a = T::add(*a, b));
            }
        }
        Ok(T::into_tensor(o))
    })
}

/// numpy's `x[mask]` as its integer form `x[np.nonzero(mask)]`: the mask's shape must be
/// x's leading shape (numpy's IndexError otherwise); one int64 index array per mask
/// dimension, the true positions in row-major order.
fn mask_indices(x: &Tensor, mask: &Tensor) -> R<Vec<Tensor>> {
    if mask.dtype() != DType::Bool {
        return Err(PerformError::input(format!(
            "the mask must be a bool array, got {}",
            mask.dtype()
        )));
    }
    let (xs, ms) = (x.shape(), mask.shape());
    if ms.is_empty() || ms.len() > xs.len() {
        return Err(PerformError::index(format!(
            "a boolean index of shape {} cannot index an array of shape {}",
            py_shape(ms),
            py_shape(xs)
        )));
    }
    if let Some(d) = (0..ms.len()).find(|&d| ms[d] != xs[d]) {
        return Err(PerformError::index(format!(
            "boolean index did not match indexed array along dimension {d}; dimension is {} \
             but corresponding boolean dimension is {}",
            xs[d], ms[d]
        )));
    }
    let flags = mask.to_f64_vec();
    let mut cols: Vec<Vec<i64>> = vec![Vec::new(); ms.len()];
    for (flat, &f) in flags.iter().enumerate() {
        if f != 0.0 {
            let mut rest = flat;
            for d in (0..ms.len()).rev() {
                cols[d].push((rest % ms[d]) as i64);
                rest /= ms[d];
            }
        }
    }
    cols.into_iter()
        .map(|c| {
            let n = c.len();
            Tensor::from_shape_vec(&[n], c).map_err(|e| PerformError::shape(e.to_string()))
        })
        .collect()
}

/// Theano's `AdvancedBooleanSubtensor`: `x[mask]`.
pub fn bool_subtensor(x: &Tensor, mask: &Tensor) -> R<Tensor> {
    let arrays = mask_indices(x, mask)?;
    let refs: Vec<&Tensor> = arrays.iter().collect();
    adv_subtensor(x, &vec![AdvEntry::Array; refs.len()], &refs)
}

/// Theano's `AdvancedBooleanIncSubtensor`: a copy of x with `x[mask] = y` or `x[mask] += y`.
pub fn bool_inc_subtensor(
    x: &Tensor,
    y: &Tensor,
    mask: &Tensor,
    set: bool,
    out: DType,
) -> R<Tensor> {
    let arrays = mask_indices(x, mask)?;
    let refs: Vec<&Tensor> = arrays.iter().collect();
    adv_inc_subtensor(x, y, &vec![AdvEntry::Array; refs.len()], &refs, set, out)
}
