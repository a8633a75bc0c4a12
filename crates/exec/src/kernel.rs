//! The kernel contract, device-neutral: the calling convention between a backend's runtime
//! and its native kernels.
//! a [`View`] describes one strided array by raw pointer, without allocating, and a
//! [`NativeKernel`] checks input views and computes its output(s) into caller-provided,
//! C-contiguous buffers. Elementwise kernels, reductions, softmax and BLAS calls all
//! implement it, so the runtime can plan and reuse every output buffer.

/// Why a kernel was not compiled or not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KernelError {
    /// The op/dtype combination is not lowered: run the interpreter for this node.
    #[error("not lowered by this backend: {0}")]
    Unsupported(String),
    /// The input dtypes are refused by the op's dtype rules.
    #[error("type error: {0}")]
    Type(String),
    /// The code generator refused the function (a bug in the lowering).
    #[error("code generation: {0}")]
    Codegen(String),
    /// The arguments do not fit the kernel (count, dtype, shape, size).
    #[error("{0}")]
    Args(String),
}

use theano_tensor::{with_array, DType, Tensor};
use KernelError as JitError;

/// Largest rank a native kernel handles; higher ranks run in the interpreter.
pub const MAX_NDIM: usize = 8;

/// One strided array: element `[i0, .., ik]` lives at
/// `ptr + itemsize * sum(i_j * strides[j])`. `Copy`, no heap: building views per call
/// allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct View {
    /// Address of element `[0, .., 0]` (meaningless when the array is empty).
    pub ptr: *mut u8,
    pub dtype: DType,
    pub ndim: usize,
    pub shape: [usize; MAX_NDIM],
    /// Strides in elements (not bytes); may be zero or negative.
    pub strides: [isize; MAX_NDIM],
}

// SAFETY: a View is a plain description; whoever dereferences its pointer upholds the
// aliasing rules (the runtime hands a kernel disjoint or identical buffers only).
unsafe impl Send for View {}
unsafe impl Sync for View {}

impl View {
    /// A view of `t`'s storage; `None` when `t` has more than [`MAX_NDIM`] dimensions.
    /// Writing through it is only allowed when the caller owns `t` exclusively.
    pub fn of(t: &Tensor) -> Option<View> {
        with_array!(t, a => View::raw(
            a.as_ptr() as *mut u8,
            t.dtype(),
            a.shape(),
            a.strides(),
        ))
    }

    /// A view from parts; `None` when `shape.len() > MAX_NDIM` or the lengths differ.
    pub fn raw(ptr: *mut u8, dtype: DType, shape: &[usize], strides: &[isize]) -> Option<View> {
        if shape.len() > MAX_NDIM || shape.len() != strides.len() {
            return None;
        }
        let mut v = View {
            ptr,
            dtype,
            ndim: shape.len(),
            shape: [0; MAX_NDIM],
            strides: [0; MAX_NDIM],
        };
        v.shape[..shape.len()].copy_from_slice(shape);
        v.strides[..shape.len()].copy_from_slice(strides);
        Some(v)
    }

    /// A C-contiguous view of `shape` at `ptr`.
    pub fn contiguous(ptr: *mut u8, dtype: DType, shape: &[usize]) -> Option<View> {
        let mut st = [0isize; MAX_NDIM];
        let mut acc = 1isize;
        for (j, &d) in shape.iter().enumerate().rev().take(MAX_NDIM) {
            st[j] = acc;
            acc = acc.wrapping_mul(d.max(1) as isize);
        }
        View::raw(ptr, dtype, shape, &st[..shape.len().min(MAX_NDIM)])
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape[..self.ndim]
    }

    pub fn strides(&self) -> &[isize] {
        &self.strides[..self.ndim]
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer element `off` elements (an offset from the strides) past `ptr`, as i64;
    /// `None` when the dtype is not an integer one. Read unaligned: a kernel's check may read
    /// values (shape scalars, labels) before anything has checked the view's alignment.
    ///
    /// # Safety
    /// The view's memory is valid for reads of that element.
    pub unsafe fn int_at(&self, off: isize) -> Option<i64> {
        let p = self.ptr as *const u8;
        // SAFETY: the element is readable (the contract), of the dtype matched here;
        // `read_unaligned` needs no alignment.
        unsafe {
            Some(match self.dtype {
                DType::Int8 => p.cast::<i8>().offset(off).read_unaligned() as i64,
                DType::Int16 => p.cast::<i16>().offset(off).read_unaligned() as i64,
                DType::Int32 => p.cast::<i32>().offset(off).read_unaligned() as i64,
                DType::Int64 => p.cast::<i64>().offset(off).read_unaligned(),
                DType::UInt8 => p.offset(off).read_unaligned() as i64,
                _ => return None,
            })
        }
    }

    /// Whether the elements are laid out in C order without gaps (size-1 dimensions may
    /// have any stride).
    pub fn is_c_contiguous(&self) -> bool {
        let mut acc = 1isize;
        for j in (0..self.ndim).rev() {
            let d = self.shape[j];
            if d != 1 && self.strides[j] != acc {
                return false;
            }
            acc *= d as isize;
        }
        true
    }
}

/// The shape of a kernel's output, without heap allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub ndim: usize,
    pub dims: [usize; MAX_NDIM],
}

impl Shape {
    pub fn new(dims: &[usize]) -> Option<Shape> {
        (dims.len() <= MAX_NDIM).then(|| {
            let mut s = Shape {
                ndim: dims.len(),
                dims: [0; MAX_NDIM],
            };
            s.dims[..dims.len()].copy_from_slice(dims);
            s
        })
    }

    pub fn as_slice(&self) -> &[usize] {
        &self.dims[..self.ndim]
    }

    pub fn len(&self) -> usize {
        self.as_slice().iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A compiled kernel with one output, called by the runtime on views.
///
/// Contract: [`NativeKernel::out_shape`] validates everything a run depends on (input count,
/// dtypes, ranks, shapes) and is the only place a kernel refuses its inputs; after it
/// returned `Ok`, [`NativeKernel::run`] on the same inputs cannot fail. So the runtime can
/// check a whole tail of the schedule before mutating any shared storage.
pub trait NativeKernel: Send + Sync {
    /// A short name for dumps and errors, e.g. `elemwise k3`, `sum axis=(1,)`, `gemv`.
    fn name(&self) -> &str;
    /// The output dtype.
    fn out_dtype(&self) -> DType;
    /// Check the inputs and return the output's shape.
    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError>;
    /// If the output may be written into the buffer of input `i` (same shape, C-contiguous,
    /// owned by nobody else: the runtime decides that), `Some(i)`.
    fn inplace_input(&self) -> Option<usize> {
        None
    }
    /// Whether [`NativeKernel::out_shapes`] reads only the views' dtypes, shapes and strides,
    /// never an element, so the runtime may check a step on placeholder views before its
    /// inputs are computed (and refuse a bad call before any shared storage is written).
    /// `false` unless a kernel says otherwise: a kernel that reads values in its check
    /// (labels, shapes given as tensors) must keep the default.
    fn shape_only(&self) -> bool {
        false
    }
    /// Compute the output into `out`.
    ///
    /// # Safety
    /// `out_shape(ins)` returned `Ok(s)`; `out` is a C-contiguous view of shape `s` and dtype
    /// `out_dtype()`, valid for writes; every input view is valid for reads over its shape
    /// and strides; `out` overlaps no input, except that it may be exactly input
    /// `inplace_input()` when that is `Some`.
    unsafe fn run(&self, ins: &[View], out: &View);

    /// How many outputs the kernel computes (at most [`MAX_OUTPUTS`]). Multi-output kernels
    /// override this, [`NativeKernel::out_dtype_of`], [`NativeKernel::out_shapes`] and
    /// [`NativeKernel::run_multi`]; `out_dtype`/`out_shape`/`run` then describe output 0.
    fn n_outputs(&self) -> usize {
        1
    }
    /// The dtype of output `i` (`i < n_outputs()`).
    fn out_dtype_of(&self, i: usize) -> DType {
        let _ = i;
        self.out_dtype()
    }
    /// Check the inputs and write every output's shape into `outs` (`outs.len() ==
    /// n_outputs()`). The same contract as [`NativeKernel::out_shape`].
    fn out_shapes(&self, ins: &[View], outs: &mut [Shape]) -> Result<(), JitError> {
        let s = self.out_shape(ins)?;
        match outs.first_mut() {
            Some(o) => {
                *o = s;
                Ok(())
            }
            None => Err(JitError::Args(format!("{}: no output", self.name()))),
        }
    }
    /// Compute every output.
    ///
    /// # Safety
    /// `out_shapes(ins, ..)` returned `Ok` with shapes `s`; `outs.len() == n_outputs()` and
    /// `outs[i]` is a C-contiguous view of shape `s[i]` and dtype `out_dtype_of(i)`, valid
    /// for writes; the outputs overlap each other and the inputs nowhere (in-place is only
    /// for single-output kernels, as in [`NativeKernel::run`]); every input view is valid for
    /// reads over its shape and strides.
    unsafe fn run_multi(&self, ins: &[View], outs: &[View]) {
        if let Some(o) = outs.first() {
            // SAFETY: the caller's contract for output 0 is `run`'s.
            unsafe { self.run(ins, o) }
        }
    }
}

/// Most outputs a native kernel has (the runtime keeps their shapes on the stack).
pub const MAX_OUTPUTS: usize = 4;
