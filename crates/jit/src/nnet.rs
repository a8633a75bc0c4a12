//! Native kernels for the fused crossentropy ops (`MaxAndArgmax` is generated:
//! crate::gen_reduce):
//! - `CrossentropySoftmaxArgmax1HotWithBias(x, b, y_idx)` -> `(nll, sm, argmax)`,
//! - `CrossentropySoftmax1HotWithBiasDx(dnll, sm, y_idx)` -> `dx`.
//!
//! Semantics are the interpreter's (crates/interp/src/nnet.rs), operation for
//! operation: the crossentropy ops compute in float64 (same order of operations, same `exp`
//! and `ln`) and round once to the output dtype, so results agree bit for bit. Everything
//! the interpreter refuses (shapes, a label out of `0..n_classes`) is
//! refused in `out_shapes` with a typed [`JitError::Args`]; the runtime then runs the
//! interpreter, which reports the error in its words. No kernel allocates: the softmax row
//! is recomputed where there is no float64 output to hold it.

use crate::blas::out_shape_of;
use crate::view::{NativeKernel, Shape, View};
use crate::JitError;
use theano_interp::Num;
use theano_ir::{Op, TensorType};
use theano_tensor::DType;

fn args(s: String) -> JitError {
    JitError::Args(s)
}

fn is_float(d: DType) -> bool {
    matches!(d, DType::Float32 | DType::Float64)
}

/// Label `i` of the integer vector `y` as i64.
///
/// # Safety
/// `y` is a 1-d integer view valid for reads over its shape and strides; `i < y.shape[0]`.
#[inline]
unsafe fn label(y: &View, i: usize) -> i64 {
    let off = i as isize * y.strides[0];
    // SAFETY: `i` is within the vector (the caller's contract).
    unsafe {
        match y.dtype {
            DType::Int64 => *(y.ptr as *const i64).offset(off),
            DType::Int32 => *(y.ptr as *const i32).offset(off) as i64,
            DType::Int16 => *(y.ptr as *const i16).offset(off) as i64,
            DType::Int8 => *(y.ptr as *const i8).offset(off) as i64,
            DType::UInt8 => *y.ptr.offset(off) as i64,
            _ => 0,
        }
    }
}

/// Check `y` is an integer vector of `rows` labels, each in `0..cols` (reads every label).
fn check_labels(what: &str, y: &View, rows: usize, cols: usize) -> Result<(), JitError> {
    if y.ndim != 1 || !y.dtype.is_int() {
        return Err(args(format!(
            "{what}: y_idx must be an integer vector, got {} of rank {}",
            y.dtype, y.ndim
        )));
    }
    if y.shape[0] != rows {
        return Err(args(format!(
            "{what}: y_idx has {} labels but there are {rows} rows",
            y.shape[0]
        )));
    }
    for i in 0..rows {
        // SAFETY: a live integer vector (checked above) and `i < rows = len`.
        let l = unsafe { label(y, i) };
        if l < 0 || l as u64 >= cols as u64 {
            return Err(args(format!(
                "{what}: label y_idx[{i}] = {l} is out of range for {cols} classes"
            )));
        }
    }
    Ok(())
}

fn check_float(
    what: &str,
    name: &str,
    v: &View,
    dtype: DType,
    ndim: usize,
) -> Result<(), JitError> {
    if v.dtype != dtype || v.ndim != ndim {
        return Err(args(format!(
            "{what}: {name} must be a {dtype} array of rank {ndim}, got {} of rank {}",
            v.dtype, v.ndim
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// CrossentropySoftmaxArgmax1HotWithBias

/// `(nll, sm, argmax)` of `x + b` with labels `y_idx`.
pub struct XentKernel {
    x: DType,
    b: DType,
    out: DType,
}

/// The kernel for `CrossentropySoftmaxArgmax1HotWithBias` on these types, or `None`.
pub fn xent_kernel(in_types: &[TensorType], out_types: &[TensorType]) -> Option<XentKernel> {
    let [x, b, y] = in_types else { return None };
    let [nll, sm, am] = out_types else {
        return None;
    };
    let out = DType::promote(x.dtype, b.dtype);
    (is_float(x.dtype)
        && is_float(b.dtype)
        && x.ndim() == 2
        && b.ndim() == 1
        && y.ndim() == 1
        && y.dtype.is_int()
        && nll.dtype == out
        && sm.dtype == out
        && am.dtype == DType::Int64)
        .then_some(XentKernel {
            x: x.dtype,
            b: b.dtype,
            out,
        })
}

const XENT: &str = "CrossentropySoftmaxArgmax1HotWithBias";

/// The rows of the op. `z[i, j] = x[i, j] + b[j or 0]` in float64.
///
/// # Safety
/// The views passed `out_shapes`; `nll`, `sm`, `am` point at C-contiguous outputs of
/// `rows`, `rows * cols`, `rows` elements, disjoint from each other and the inputs.
#[allow(clippy::too_many_arguments)]
unsafe fn xent_rows<X: Num, B: Num, O: Num>(
    x: &View,
    b: &View,
    y: &View,
    nll: *mut O,
    sm: *mut O,
    am: *mut i64,
) {
    let (rows, cols) = (x.shape[0], x.shape[1]);
    let (rs, cs) = (x.strides[0], x.strides[1]);
    let bs = if b.shape[0] == 1 { 0 } else { b.strides[0] };
    let xp = x.ptr as *const X;
    let bp = b.ptr as *const B;
    let f64_out = O::DTYPE == DType::Float64;
    for i in 0..rows {
        // SAFETY: (i, j) within x's shape; j within b's length (or b broadcast).
        let z = |j: usize| unsafe {
            (*xp.offset(i as isize * rs + j as isize * cs)).to_f64()
                + (*bp.offset(j as isize * bs)).to_f64()
        };
        // numpy's argmax: the first maximum, or the first NaN
        let mut best = 0;
        let mut m = z(0);
        for j in 1..cols {
            let v = z(j);
            if !m.is_nan() && (v > m || v.is_nan()) {
                best = j;
                m = v;
            }
        }
        // SAFETY: row i of C-contiguous outputs (the caller's contract).
        let row = unsafe { std::slice::from_raw_parts_mut(sm.add(i * cols), cols) };
        let mut s = 0.0f64;
        if f64_out {
            for (j, o) in row.iter_mut().enumerate() {
                let e = (z(j) - m).exp();
                *o = O::from_f64(e);
                s += e;
            }
            for o in row.iter_mut() {
                *o = O::from_f64(o.to_f64() / s);
            }
        } else {
            for j in 0..cols {
                s += (z(j) - m).exp();
            }
            for (j, o) in row.iter_mut().enumerate() {
                *o = O::from_f64((z(j) - m).exp() / s);
            }
        }
        // SAFETY: labels were checked in `out_shapes` to lie in 0..cols; i < rows.
        let l = unsafe { label(y, i) } as usize;
        let v = s.ln() - (z(l) - m);
        // SAFETY: element i of the rows-long outputs.
        unsafe {
            *nll.add(i) = O::from_f64(v);
            *am.add(i) = best as i64;
        }
    }
}

impl NativeKernel for XentKernel {
    fn name(&self) -> &str {
        XENT
    }
    fn out_dtype(&self) -> DType {
        self.out
    }
    fn n_outputs(&self) -> usize {
        3
    }
    fn out_dtype_of(&self, i: usize) -> DType {
        if i == 2 {
            DType::Int64
        } else {
            self.out
        }
    }
    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let mut s = [Shape::default(); 3];
        self.out_shapes(ins, &mut s)?;
        Ok(s[0])
    }
    fn out_shapes(&self, ins: &[View], outs: &mut [Shape]) -> Result<(), JitError> {
        let [x, b, y] = ins else {
            return Err(args(format!("{XENT}: expects 3 inputs, got {}", ins.len())));
        };
        check_float(XENT, "x", x, self.x, 2)?;
        check_float(XENT, "b", b, self.b, 1)?;
        let (rows, cols) = (x.shape[0], x.shape[1]);
        if b.shape[0] != cols && b.shape[0] != 1 {
            return Err(args(format!(
                "{XENT}: the bias has {} entries but x has {cols} columns",
                b.shape[0]
            )));
        }
        check_labels(XENT, y, rows, cols)?;
        let [o0, o1, o2] = outs else {
            return Err(args(format!("{XENT}: 3 outputs")));
        };
        *o0 = out_shape_of(XENT, &[rows], self.out)?;
        *o1 = out_shape_of(XENT, &[rows, cols], self.out)?;
        *o2 = out_shape_of(XENT, &[rows], DType::Int64)?;
        Ok(())
    }
    unsafe fn run(&self, _ins: &[View], _out: &View) {
        // three outputs: the runtime calls run_multi (n_outputs() == 3); nothing to do here
    }
    unsafe fn run_multi(&self, ins: &[View], outs: &[View]) {
        let ([x, b, y], [nll, sm, am]) = (ins, outs) else {
            return;
        };
        macro_rules! go {
            ($X:ty, $B:ty, $O:ty) => {
                // SAFETY: the caller's contract (out_shapes accepted the views; the outputs
                // are C-contiguous, aligned tensors of the announced shapes and dtypes).
                unsafe {
                    xent_rows::<$X, $B, $O>(
                        x,
                        b,
                        y,
                        nll.ptr as *mut $O,
                        sm.ptr as *mut $O,
                        am.ptr as *mut i64,
                    )
                }
            };
        }
        match (self.x, self.b) {
            (DType::Float64, DType::Float64) => go!(f64, f64, f64),
            (DType::Float64, DType::Float32) => go!(f64, f32, f64),
            (DType::Float32, DType::Float64) => go!(f32, f64, f64),
            (DType::Float32, DType::Float32) => go!(f32, f32, f32),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// CrossentropySoftmax1HotWithBiasDx

/// `dx = (sm - onehot(y_idx)) * dnll[:, None]`.
pub struct XentDxKernel {
    dnll: DType,
    sm: DType,
    out: DType,
}

const XENT_DX: &str = "CrossentropySoftmax1HotWithBiasDx";

/// The kernel for `CrossentropySoftmax1HotWithBiasDx` on these types, or `None`.
pub fn xent_dx_kernel(in_types: &[TensorType], out_types: &[TensorType]) -> Option<XentDxKernel> {
    let [d, sm, y] = in_types else { return None };
    let [o] = out_types else { return None };
    let out = DType::promote(d.dtype, sm.dtype);
    (is_float(d.dtype)
        && is_float(sm.dtype)
        && d.ndim() == 1
        && sm.ndim() == 2
        && y.ndim() == 1
        && y.dtype.is_int()
        && o.dtype == out)
        .then_some(XentDxKernel {
            dnll: d.dtype,
            sm: sm.dtype,
            out,
        })
}

/// # Safety
/// The views passed `out_shape`; `dx` points at a C-contiguous `rows x cols` output
/// disjoint from the inputs.
unsafe fn dx_rows<D: Num, S: Num, O: Num>(d: &View, sm: &View, y: &View, dx: *mut O) {
    let (rows, cols) = (sm.shape[0], sm.shape[1]);
    let (rs, cs) = (sm.strides[0], sm.strides[1]);
    let ds = if d.shape[0] == 1 { 0 } else { d.strides[0] };
    let (dp, sp) = (d.ptr as *const D, sm.ptr as *const S);
    for i in 0..rows {
        // SAFETY: i within dnll's length (or dnll broadcast).
        let di = unsafe { *dp.offset(i as isize * ds) }.to_f64();
        // SAFETY: row i of the C-contiguous output.
        let row = unsafe { std::slice::from_raw_parts_mut(dx.add(i * cols), cols) };
        // SAFETY: labels were checked in `out_shape`; i < rows.
        let l = unsafe { label(y, i) } as usize;
        for (j, o) in row.iter_mut().enumerate() {
            // SAFETY: (i, j) within sm's shape.
            let v = unsafe { *sp.offset(i as isize * rs + j as isize * cs) }.to_f64() * di;
            *o = O::from_f64(if j == l { v - di } else { v });
        }
    }
}

impl NativeKernel for XentDxKernel {
    fn name(&self) -> &str {
        XENT_DX
    }
    fn out_dtype(&self) -> DType {
        self.out
    }
    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let [d, sm, y] = ins else {
            return Err(args(format!(
                "{XENT_DX}: expects 3 inputs, got {}",
                ins.len()
            )));
        };
        check_float(XENT_DX, "dnll", d, self.dnll, 1)?;
        check_float(XENT_DX, "sm", sm, self.sm, 2)?;
        let (rows, cols) = (sm.shape[0], sm.shape[1]);
        if d.shape[0] != rows && d.shape[0] != 1 {
            return Err(args(format!(
                "{XENT_DX}: dnll has {} entries but sm has {rows} rows",
                d.shape[0]
            )));
        }
        check_labels(XENT_DX, y, rows, cols)?;
        out_shape_of(XENT_DX, &[rows, cols], self.out)
    }
    unsafe fn run(&self, ins: &[View], out: &View) {
        let [d, sm, y] = ins else { return };
        macro_rules! go {
            ($D:ty, $S:ty, $O:ty) => {
                // SAFETY: the caller's contract (see `dx_rows`).
                unsafe { dx_rows::<$D, $S, $O>(d, sm, y, out.ptr as *mut $O) }
            };
        }
        match (self.dnll, self.sm) {
            (DType::Float64, DType::Float64) => go!(f64, f64, f64),
            (DType::Float64, DType::Float32) => go!(f64, f32, f64),
            (DType::Float32, DType::Float64) => go!(f32, f64, f64),
            (DType::Float32, DType::Float32) => go!(f32, f32, f32),
            _ => {}
        }
    }
}

/// The multi-output (and crossentropy) kernels of this module for `op`, or `None`.
pub(crate) fn nnet_kernel(
    op: &Op,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn NativeKernel>> {
    Some(match op {
        Op::CrossentropySoftmaxArgmax1HotWithBias => Box::new(xent_kernel(in_types, out_types)?),
        Op::CrossentropySoftmax1HotWithBiasDx => Box::new(xent_dx_kernel(in_types, out_types)?),
        _ => return None,
    })
}
