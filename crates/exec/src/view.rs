//! The view ops, device-neutral: DimShuffle, Subtensor (basic indexing), Reshape, Flatten and
//! SpecifyShape compute an output [`View`] that describes their input's storage (no copy),
//! when the layout allows it; a backend runs them so, and falls back to the interpreter
//! where `apply` says no.

use crate::kernel::{View, MAX_NDIM};
use theano_ir::{IdxEntry, Op};

/// The zero-copy ops.
#[derive(Clone, Debug)]
pub enum ViewOp {
    DimShuffle(Vec<Option<usize>>),
    /// Basic indexing; inputs 1.. are the scalar bounds.
    Subtensor(Vec<IdxEntry>),
    /// Input 1 is the shape vector.
    Reshape,
    Flatten(usize),
    /// Input 0 itself, once its shape is input 1's.
    SpecifyShape,
}

impl ViewOp {
    pub fn of(op: &Op) -> Option<ViewOp> {
        match op {
            Op::DimShuffle { new_order, .. } => Some(ViewOp::DimShuffle(new_order.clone())),
            Op::Reshape { .. } => Some(ViewOp::Reshape),
            Op::Subtensor { idx } => Some(ViewOp::Subtensor(idx.clone())),
            Op::Flatten { outdim } => Some(ViewOp::Flatten(*outdim)),
            Op::SpecifyShape => Some(ViewOp::SpecifyShape),
            _ => None,
        }
    }

    /// Whether it reads element values of an input (Reshape reads its shape vector).
    pub fn reads_values(&self) -> bool {
        matches!(
            self,
            ViewOp::Reshape | ViewOp::Subtensor(_) | ViewOp::SpecifyShape
        )
    }

    /// The view of the output, or `None` when it is no view of input 0 (then the
    /// interpreter computes the step, or reports its error). Only the elements of inputs 1..
    /// (bounds, shape vectors) are read; input 0's pointer is offset, never dereferenced, so
    /// a backend may pass a device address there (theano-cuda's runtime does).
    ///
    /// # Safety
    /// Every view of `ins[1..]` is valid for reads over its shape and strides.
    pub unsafe fn apply(&self, ins: &[View]) -> Option<View> {
        let x = ins.first()?;
        match self {
            ViewOp::DimShuffle(order) => {
                if order.len() > MAX_NDIM {
                    return None;
                }
                // every dropped dimension must have length 1
                for d in 0..x.ndim {
                    if !order.contains(&Some(d)) && x.shape[d] != 1 {
                        return None;
                    }
                }
                let mut v = View {
                    ndim: order.len(),
                    ..*x
                };
                for (j, o) in order.iter().enumerate() {
                    match *o {
                        Some(d) if d < x.ndim => {
                            v.shape[j] = x.shape[d];
                            v.strides[j] = x.strides[d];
                        }
                        Some(_) => return None,
                        None => {
                            v.shape[j] = 1;
                            v.strides[j] = 0;
                        }
                    }
                }
                Some(v)
            }
            ViewOp::Subtensor(idx) => {
                if idx.len() > x.ndim {
                    return None;
                }
                let mut scalars = ins[1..].iter();
                let mut next = |present: bool| -> Option<Option<i64>> {
                    if !present {
                        return Some(None);
                    }
                    let v = scalars.next()?;
                    // SAFETY: `v` views a live tensor of the program.
                    (v.ndim == 0)
                        .then(|| unsafe { read_int(v, 0) })
                        .flatten()
                        .map(Some)
                };
                let mut v = View { ndim: 0, ..*x };
                let mut ptr = x.ptr;
                let es = x.dtype.itemsize() as isize;
                for (axis, e) in idx.iter().enumerate() {
                    let n = x.shape[axis] as i128;
                    let st = x.strides[axis] as i128;
                    match *e {
                        IdxEntry::Index(_) => {
                            let i = next(true)?? as i128;
                            let i = if i < 0 { i + n } else { i };
                            if i < 0 || i >= n {
                                return None;
                            }
                            ptr = ptr.wrapping_offset((i * st) as isize * es);
                        }
                        IdxEntry::Slice { start, stop, step } => {
                            let a = next(start.is_some())?;
                            let b = next(stop.is_some())?;
                            let c = next(step.is_some())?;
                            let (first, len, step) = theano_ir::py_slice(a, b, c, n as usize)?;
                            if len > 0 {
                                ptr = ptr.wrapping_offset((first * st) as isize * es);
                            }
                            v.shape[v.ndim] = len as usize;
                            v.strides[v.ndim] = (st * step) as isize;
                            v.ndim += 1;
                        }
                    }
                }
                if scalars.next().is_some() {
                    return None;
                }
                for axis in idx.len()..x.ndim {
                    v.shape[v.ndim] = x.shape[axis];
                    v.strides[v.ndim] = x.strides[axis];
                    v.ndim += 1;
                }
                v.ptr = ptr;
                Some(v)
            }
            ViewOp::Flatten(outdim) => {
                let k = *outdim;
                if k == 0 || k > x.ndim || !x.is_c_contiguous() {
                    return None;
                }
                let mut dims = [0usize; MAX_NDIM];
                dims[..k - 1].copy_from_slice(&x.shape[..k - 1]);
                dims[k - 1] = x.shape[k - 1..x.ndim].iter().product();
                View::contiguous(x.ptr, x.dtype, &dims[..k])
            }
            ViewOp::SpecifyShape => {
                let s = ins.get(1)?;
                if s.ndim != 1 || s.shape[0] != x.ndim {
                    return None;
                }
                for j in 0..x.ndim {
                    // SAFETY: as for Reshape below
                    let v = unsafe { read_int(s, j) }?;
                    if v != x.shape[j] as i64 {
                        return None; // the interpreter reports the mismatch
                    }
                }
                Some(*x)
            }
            ViewOp::Reshape => {
                let s = ins.get(1)?;
                if s.ndim != 1 || s.shape[0] > MAX_NDIM || !x.is_c_contiguous() {
                    return None;
                }
                let n = s.shape[0];
                let mut dims = [0usize; MAX_NDIM];
                let mut infer = None;
                let mut known = 1usize;
                for (j, d) in dims.iter_mut().enumerate().take(n) {
                    // SAFETY: `s` views a live int vector of `n` elements (by its shape and
                    // strides, which come from a tensor of the program).
                    let v = unsafe { read_int(s, j) }?;
                    if v == -1 && infer.is_none() {
                        infer = Some(j);
                    } else if v < 0 {
                        return None;
                    } else {
                        *d = v as usize;
                        known = known.checked_mul(*d)?;
                    }
                }
                let total = x.len();
                if let Some(j) = infer {
                    if known == 0 || total % known != 0 {
                        return None;
                    }
                    dims[j] = total / known;
                } else if known != total {
                    return None;
                }
                View::contiguous(x.ptr, x.dtype, &dims[..n])
            }
        }
    }
}

/// Element `j` of the int vector `v` (or the int scalar `v`, `j = 0`), as i64 (by
/// [`View::int_at`]).
///
/// # Safety
/// `v` is valid for reads over its shape and strides.
unsafe fn read_int(v: &View, j: usize) -> Option<i64> {
    let off = match v.ndim {
        0 if j == 0 => 0,
        1 if j < v.shape[0] => j as isize * v.strides[0],
        _ => return None,
    };
    // SAFETY: `j` is within the vector (checked above); the caller's contract.
    unsafe { v.int_at(off) }
}
