//! Row-wise `Softmax` / `LogSoftmax` (float32, float64) with the interpreter's numpy
//! semantics. (The reductions' loops are generated: crate::gen_reduce.)

use crate::blas::{check_inputs, out_shape_of, via_aligned};
use crate::view::{NativeKernel, Shape, View};
use crate::JitError;
use theano_interp::Num;
use theano_ir::TensorType;
use theano_tensor::DType;

// ---------------------------------------------------------------------------------------
// Softmax

/// Row-wise `Softmax` / `LogSoftmax` over the last axis of a 1-d or 2-d float input.
pub struct SoftmaxKernel {
    log: bool,
    dtype: DType,
    ndim: usize,
    name: String,
}

pub fn softmax_kernel(log: bool, in_types: &[TensorType], out: DType) -> Option<SoftmaxKernel> {
    let [t] = in_types else { return None };
    if t.dtype != out
        || !matches!(out, DType::Float32 | DType::Float64)
        || !(1..=2).contains(&t.ndim())
    {
        return None;
    }
    Some(SoftmaxKernel {
        log,
        dtype: out,
        ndim: t.ndim(),
        name: format!("{} {out}", if log { "log_softmax" } else { "softmax" }),
    })
}

/// One row: exactly the interpreter's operations in its order (max from -inf with NaN
/// propagation, exp in T, the sum in float64), so results agree bit for bit.
///
/// # Safety
/// `x` valid for `n` reads `s` apart; `o` for `n` contiguous writes, disjoint from `x`.
#[inline(always)]
unsafe fn softmax_row<T: Num>(x: *const T, n: usize, s: isize, o: *mut T, log: bool) {
    // SAFETY: index i < n of the row.
    let at = |i: usize| unsafe { *x.offset(i as isize * s) };
    let mut m = T::LOWEST;
    for i in 0..n {
        m = T::maximum(m, at(i));
    }
    // SAFETY: n contiguous output elements, disjoint from x.
    let o = unsafe { std::slice::from_raw_parts_mut(o, n) };
    if log {
        let mut sum = 0.0f64;
        for (i, ov) in o.iter_mut().enumerate() {
            let d = T::sub(at(i), m);
            *ov = d;
            sum += T::exp(d).to_f64();
        }
        let ls = T::from_f64(sum.ln());
        for ov in o.iter_mut() {
            *ov = T::sub(*ov, ls);
        }
    } else {
        let mut sum = 0.0f64;
        for (i, ov) in o.iter_mut().enumerate() {
            let e = T::exp(T::sub(at(i), m));
            *ov = e;
            sum += e.to_f64();
        }
        let st = T::from_f64(sum);
        for ov in o.iter_mut() {
            *ov = T::true_div(*ov, st);
        }
    }
}

impl NativeKernel for SoftmaxKernel {
    fn name(&self) -> &str {
        &self.name
    }

    fn out_dtype(&self) -> DType {
        self.dtype
    }

    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        check_inputs(&self.name, ins, self.dtype, &[self.ndim])?;
        out_shape_of(&self.name, ins[0].shape(), self.dtype)
    }

    unsafe fn run(&self, ins: &[View], out: &View) {
        let x = &ins[0];
        if out.is_empty() {
            return;
        }
        let (rows, rs) = if x.ndim == 2 {
            (x.shape[0], x.strides[0])
        } else {
            (1, 0)
        };
        let (n, s) = (x.shape[x.ndim - 1], x.strides[x.ndim - 1]);
        let log = self.log;
        macro_rules! go {
            ($T:ty) => {{
                let rows_into = |o: &View| {
                    for r in 0..rows {
                        let xp = (x.ptr as *const $T).wrapping_offset(r as isize * rs);
                        // SAFETY: row r of the validated input and of the C-contiguous,
                        // aligned output (rows x n), disjoint by the caller's contract.
                        unsafe { softmax_row::<$T>(xp, n, s, (o.ptr as *mut $T).add(r * n), log) }
                    }
                };
                // SAFETY: out is valid for writes (the caller's contract); every row is
                // written.
                unsafe { via_aligned(out, rows_into) }
            }};
        }
        match self.dtype {
            DType::Float64 => go!(f64),
            DType::Float32 => go!(f32),
            _ => {}
        }
    }
}
