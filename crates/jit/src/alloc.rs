//! `Alloc(value, *shape)` as a native kernel: the value broadcast to a shape read from integer
//! scalars (numpy's `broadcast_to(value, shape).copy()`), written into the runtime's buffer.
//! Its `out_shape` reads the shape scalars' values, so it keeps `shape_only() == false` (the
//! runtime never checks it ahead of the values).
//!
//! `AllocEmpty{dtype}(*shape)` is the same kernel without a value: its values are unspecified
//! (every reader overwrites them unread), and it writes zeros, as cheap as leaving the
//! buffer as it is once the allocation is reused, and a reused buffer's earlier values
//! (a NaN, say) never show (`NanGuardMode` checks every step's output).

use crate::JitError;
use theano_exec::kernel::{NativeKernel, Shape, View, MAX_NDIM};
use theano_ir::TensorType;
use theano_tensor::DType;

pub struct AllocKernel {
    dtype: DType,
    ndim: usize,
    /// `AllocEmpty`: no value input; zeros are written.
    empty: bool,
}

/// The kernel for `AllocEmpty` with these types.
pub fn alloc_empty_kernel(in_types: &[TensorType], out: &TensorType) -> Option<AllocKernel> {
    (in_types.len() == out.ndim()
        && out.ndim() <= MAX_NDIM
        && in_types.iter().all(|d| d.ndim() == 0 && d.dtype.is_int()))
    .then_some(AllocKernel {
        dtype: out.dtype,
        ndim: out.ndim(),
        empty: true,
    })
}

/// The kernel for `Alloc` with these types, when the value already has the output dtype.
pub fn alloc_kernel(in_types: &[TensorType], out: &TensorType) -> Option<AllocKernel> {
    let (value, dims) = in_types.split_first()?;
    (value.dtype == out.dtype
        && value.ndim() <= out.ndim()
        && dims.len() == out.ndim()
        && out.ndim() <= MAX_NDIM
        && dims.iter().all(|d| d.ndim() == 0 && d.dtype.is_int()))
    .then_some(AllocKernel {
        dtype: out.dtype,
        ndim: out.ndim(),
        empty: false,
    })
}

impl NativeKernel for AllocKernel {
    fn name(&self) -> &str {
        if self.empty {
            "alloc_empty"
        } else {
            "alloc"
        }
    }

    fn out_dtype(&self) -> DType {
        self.dtype
    }

    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let err = |m: String| JitError::Args(format!("{}: {m}", self.name()));
        let n_value = usize::from(!self.empty);
        if ins.len() != self.ndim + n_value {
            return Err(err(format!(
                "expects {} inputs, got {}",
                self.ndim + n_value,
                ins.len()
            )));
        }
        let (values, dim_ins) = ins.split_at(n_value);
        if let Some(value) = values.first() {
            if value.dtype != self.dtype || value.ndim > self.ndim {
                return Err(err(format!(
                    "the value is a {}-d {}, expected at most {}-d {}",
                    value.ndim, value.dtype, self.ndim, self.dtype
                )));
            }
        }
        let mut dims = [0usize; MAX_NDIM];
        for (i, d) in dim_ins.iter().enumerate() {
            if d.ndim != 0 {
                return Err(err(format!("shape entry {i} is not a scalar")));
            }
            // SAFETY: the caller's view of a live scalar (rank 0, checked above).
            let n = unsafe { d.int_at(0) }
                .ok_or_else(|| err(format!("shape entry {i} is not an integer")))?;
            dims[i] = usize::try_from(n).map_err(|_| {
                err(format!(
                    "negative dimensions are not allowed: dimension {i} is {n}"
                ))
            })?;
        }
        let shape = &dims[..self.ndim];
        // numpy broadcasting of the value to the shape (aligned on the right)
        if let Some(value) = values.first() {
            let pad = self.ndim - value.ndim;
            for (j, &vd) in value.shape().iter().enumerate() {
                if vd != 1 && vd != shape[pad + j] {
                    return Err(err(format!(
                        "cannot broadcast a value of shape {:?} to {:?}",
                        value.shape(),
                        shape
                    )));
                }
            }
        }
        let bytes = shape
            .iter()
            .try_fold(self.dtype.itemsize(), |a, &d| a.checked_mul(d))
            .filter(|&b| b <= isize::MAX as usize);
        if bytes.is_none() {
            return Err(err(format!("the shape {shape:?} is too large")));
        }
        Shape::new(shape).ok_or_else(|| err("too many dimensions".into()))
    }

    unsafe fn run(&self, ins: &[View], out: &View) {
        let n = out.len();
        if n == 0 {
            return;
        }
        let es = self.dtype.itemsize();
        if self.empty {
            // SAFETY: `out` holds `n` C-contiguous elements of `es` bytes; zero bytes are
            // every dtype's zero (false for bool)
            unsafe { std::ptr::write_bytes(out.ptr, 0, n * es) };
            return;
        }
        let value = &ins[0];
        let src = value.ptr as *const u8;
        let dst = out.ptr;
        if value.len() == 1 && (dst as usize).is_multiple_of(es) && matches!(es, 1 | 2 | 4 | 8) {
            // the common case (zeros, a scalar): one element repeated, as a fill of the
            // element's bit pattern (a per-element copy of a run-time size is a memcpy call)
            // SAFETY: `out` holds `n` elements of `es` bytes, C-contiguous, and is aligned for
            // them (checked above); the value holds one element.
            unsafe {
                match es {
                    8 => fill(dst.cast::<u64>(), n, src.cast::<u64>().read_unaligned()),
                    4 => fill(dst.cast::<u32>(), n, src.cast::<u32>().read_unaligned()),
                    2 => fill(dst.cast::<u16>(), n, src.cast::<u16>().read_unaligned()),
                    // 1 (checked above; other sizes take the general loop below)
                    _ => std::ptr::write_bytes(dst, *src, n),
                }
            }
            return;
        }
        // the value's strides over the output's dimensions (0 where it broadcasts)
        let nd = self.ndim;
        let pad = nd - value.ndim;
        let mut st = [0isize; MAX_NDIM];
        for j in 0..value.ndim {
            if value.shape[j] != 1 {
                st[pad + j] = value.strides[j];
            }
        }
        let mut idx = [0usize; MAX_NDIM];
        let mut off = 0isize;
        for i in 0..n {
            // SAFETY: `off` indexes an element of the value (checked broadcast in out_shape);
            // `i` an element of the output.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.wrapping_offset(off * es as isize),
                    dst.add(i * es),
                    es,
                )
            };
            let mut k = nd;
            while k > 0 {
                k -= 1;
                idx[k] += 1;
                off += st[k];
                if idx[k] < out.shape[k] {
                    break;
                }
                off -= st[k] * out.shape[k] as isize;
                idx[k] = 0;
            }
        }
    }
}

/// `n` copies of `v` from `p`.
///
/// # Safety
/// `p` is valid for `n` aligned writes of `T`.
unsafe fn fill<T: Copy>(p: *mut T, n: usize, v: T) {
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts_mut(p, n) }.fill(v);
}
