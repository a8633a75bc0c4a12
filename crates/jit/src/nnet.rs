//! The native `MaxAndArgmax{axes}` -> `(max, int64 argmax)`, a multi-output [`NativeKernel`],
//! for every dtype over any axes (the crossentropy ops are generated: gen_softmax.rs).
//!
//! Semantics are the interpreter's (crates/interp/src/reduce.rs). An empty argmax is refused
//! in `out_shapes` with a typed [`JitError::Args`]; the runtime then runs the interpreter,
//! which reports the error in its words. The kernel does not allocate.

use crate::blas::out_shape_of;
use crate::view::{NativeKernel, Shape, View, MAX_NDIM};
use crate::JitError;
use theano_interp::Num;
use theano_ir::{Op, TensorType};
use theano_tensor::{with_dtype, DType};

fn args(s: String) -> JitError {
    JitError::Args(s)
}

// ---------------------------------------------------------------------------------------
// MaxAndArgmax

/// `MaxAndArgmax{axes}`: the max over `axes` (NaN counts as the max) and the index of its
/// first occurrence, the reduced axes flattened in C order.
pub struct MaxArgmaxKernel {
    dtype: DType,
    ndim: usize,
    /// sorted, unique, `< ndim`
    axes: Vec<usize>,
    name: String,
}

/// The kernel for `MaxAndArgmax{axes}` on these types, or `None`.
pub fn max_argmax_kernel(
    axes: &[usize],
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<MaxArgmaxKernel> {
    let [t] = in_types else { return None };
    let [m, i] = out_types else { return None };
    let mut ax = axes.to_vec();
    ax.sort_unstable();
    ax.dedup();
    if ax.len() != axes.len()
        || ax.iter().any(|&a| a >= t.ndim())
        || t.ndim() > MAX_NDIM
        || m.dtype != t.dtype
        || i.dtype != DType::Int64
    {
        return None;
    }
    Some(MaxArgmaxKernel {
        dtype: t.dtype,
        ndim: t.ndim(),
        name: format!("max_and_argmax axis={ax:?} {}", t.dtype),
        axes: ax,
    })
}

impl NativeKernel for MaxArgmaxKernel {
    fn name(&self) -> &str {
        &self.name
    }
    fn out_dtype(&self) -> DType {
        self.dtype
    }
    fn n_outputs(&self) -> usize {
        2
    }
    fn out_dtype_of(&self, i: usize) -> DType {
        if i == 1 {
            DType::Int64
        } else {
            self.dtype
        }
    }
    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let mut s = [Shape::default(); 2];
        self.out_shapes(ins, &mut s)?;
        Ok(s[0])
    }
    fn out_shapes(&self, ins: &[View], outs: &mut [Shape]) -> Result<(), JitError> {
        let [x] = ins else {
            return Err(args(format!("{}: expects 1 input", self.name)));
        };
        check_float_or_any(&self.name, x, self.dtype, self.ndim)?;
        if self.axes.iter().any(|&a| x.shape[a] == 0) {
            return Err(args(format!(
                "{}: argmax of an empty sequence (shape {:?})",
                self.name,
                x.shape()
            )));
        }
        let mut dims = [0usize; MAX_NDIM];
        let mut k = 0;
        for d in (0..x.ndim).filter(|d| !self.axes.contains(d)) {
            dims[k] = x.shape[d];
            k += 1;
        }
        let [o0, o1] = outs else {
            return Err(args(format!("{}: 2 outputs", self.name)));
        };
        *o0 = out_shape_of(&self.name, &dims[..k], self.dtype)?;
        *o1 = out_shape_of(&self.name, &dims[..k], DType::Int64)?;
        Ok(())
    }
    unsafe fn run(&self, _ins: &[View], _out: &View) {
        // two outputs: the runtime calls run_multi
    }
    // the dtype dispatch instantiates the loop for bool too, where `v > bv` is numpy's order
    #[allow(clippy::bool_comparison)]
    unsafe fn run_multi(&self, ins: &[View], outs: &[View]) {
        let ([x], [m, am]) = (ins, outs) else { return };
        // kept dims (outer, C order) and reduced dims (inner, C order)
        let mut kept = [(0usize, 0isize); MAX_NDIM];
        let mut red = [(0usize, 0isize); MAX_NDIM];
        let (mut nk, mut nr) = (0, 0);
        for d in 0..x.ndim {
            if self.axes.contains(&d) {
                red[nr] = (x.shape[d], x.strides[d]);
                nr += 1;
            } else {
                kept[nk] = (x.shape[d], x.strides[d]);
                nk += 1;
            }
        }
        let outer: usize = kept[..nk].iter().map(|d| d.0).product();
        let inner: usize = red[..nr].iter().map(|d| d.0).product();
        if outer == 0 || inner == 0 {
            return;
        }
        with_dtype!(self.dtype, T => {
            let xp = x.ptr as *const T;
            let mp = m.ptr as *mut T;
            let ip = am.ptr as *mut i64;
            let mut oidx = [0usize; MAX_NDIM];
            let mut base = 0isize;
            for o in 0..outer {
                let mut ridx = [0usize; MAX_NDIM];
                let mut off = base;
                // SAFETY: offsets stay within x's shape (odometer over the reduced dims).
                let mut bv: T = unsafe { *xp.offset(off) };
                let mut bi = 0usize;
                let mut done = bv.is_nan();
                for r in 1..inner {
                    // advance the reduced odometer
                    let mut k = nr;
                    while k > 0 {
                        k -= 1;
                        ridx[k] += 1;
                        off += red[k].1;
                        if ridx[k] < red[k].0 {
                            break;
                        }
                        off -= red[k].1 * red[k].0 as isize;
                        ridx[k] = 0;
                    }
                    if done {
                        break;
                    }
                    // SAFETY: as above.
                    let v: T = unsafe { *xp.offset(off) };
                    if v.is_nan() {
                        (bi, bv) = (r, v);
                        done = true;
                    } else if v > bv {
                        (bi, bv) = (r, v);
                    }
                }
                // SAFETY: o < outer elements of both C-contiguous outputs.
                unsafe {
                    *mp.add(o) = bv;
                    *ip.add(o) = bi as i64;
                }
                let mut k = nk;
                while k > 0 {
                    k -= 1;
                    oidx[k] += 1;
                    base += kept[k].1;
                    if oidx[k] < kept[k].0 {
                        break;
                    }
                    base -= kept[k].1 * kept[k].0 as isize;
                    oidx[k] = 0;
                }
            }
        });
    }
}

fn check_float_or_any(what: &str, v: &View, dtype: DType, ndim: usize) -> Result<(), JitError> {
    if v.dtype != dtype || v.ndim != ndim {
        return Err(args(format!(
            "{what}: expects a {dtype} array of rank {ndim}, got {} of rank {}",
            v.dtype, v.ndim
        )));
    }
    Ok(())
}

/// The multi-output kernels of this module for `op`, or `None`.
pub(crate) fn nnet_kernel(
    op: &Op,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn NativeKernel>> {
    Some(match op {
        Op::MaxAndArgmax { axes } => Box::new(max_argmax_kernel(axes, in_types, out_types)?),
        _ => return None,
    })
}
