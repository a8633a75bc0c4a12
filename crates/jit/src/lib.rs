//! theano-jit: elementwise kernels compiled to native code with Cranelift.
//!
//! A [`KernelSet`] owns one `JITModule` (one per compiled `Function`); [`KernelSet::add`]
//! lowers one `Elemwise` scalar op (a single [`ScalarOp`] or a fused `Composite`) for given
//! input dtypes into two native functions:
//!
//! - the **flat** loop `fn(n, ins: *const *const u8, out: *mut u8)`: every input is either
//!   C-contiguous with the output's shape or (by its type) a size-1 broadcast scalar; runs
//!   128-bit vectors (f64x2, f32x4) with a scalar tail when the body allows;
//! - the **strided row** `fn(n, ins, strides: *const i64, out, out_stride)`: one row of `n`
//!   elements with arbitrary byte strides (0 for broadcasting, negative for reversed); Rust
//!   walks the outer dimensions.
//!
//! [`KernelSet::run`] checks dtypes and shapes in Rust (numpy broadcasting), allocates the
//! C-contiguous output and only then calls generated code. Anything not lowered is
//! [`JitError::Unsupported`]: the caller runs the interpreter for that node instead.

mod alloc;
pub mod blas;
pub mod cpu;
mod elemwise;
mod gen;
mod gen_reduce;
mod gen_softmax;
mod helpers;
mod hoist;
pub mod hot;
mod kernel_set;
mod linker;
mod loops;
mod lower;
mod math;
mod native;
mod runtime;
mod wide;

/// Whether this host has what the wide path's AVX-512 helpers need (`avx512f`, `avx512dq`,
/// `avx512vl`, `avx2`, `fma`, detected at run time); without it kernels keep the inline
/// 128-bit loop throughout.
pub fn wide_available() -> bool {
    wide::available()
}

pub use gen::KeepAlive;
pub use gen_reduce::PAR_REDUCE;
pub use linker::JitLinker;
pub use native::{native_kernel, standalone_kernel};
pub use theano_exec::kernel::{NativeKernel, Shape, View, MAX_NDIM, MAX_OUTPUTS};

use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};
use lower::{block_i64, clif_ty, mem, Calls, Emitter, Prog};
use std::collections::HashMap;
use std::sync::Arc;
use theano_ir::ScalarOp;
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{with_dtype, DType, Element, Tensor};

/// Why a kernel was not compiled or not run (the exec crate's kernel contract).
pub use theano_exec::kernel::KernelError as JitError;

type FlatFn = unsafe extern "C" fn(usize, *const *const u8, *mut u8);
type RowFn = unsafe extern "C" fn(usize, *const *const u8, *const isize, *mut u8, isize);

/// Most inputs an elementwise kernel takes through the [`NativeKernel`] interface (fusion
/// builds at most 32); the per-call pointer and stride tables live on the stack.
pub const MAX_KERNEL_INPUTS: usize = 64;

/// Loops over at least this many output elements are split across the threads of rayon's
/// global pool (one chunk per thread); smaller ones run on the calling thread and pay no
/// synchronisation (docs/JIT.md has the measurement behind the figure).
pub const PARALLEL_MIN_ELEMENTS: usize = 1 << 18;

/// A smaller flat loop whose estimated work (elements times [`Kernel::cost`]) reaches this
/// is split over the hot pool ([`hot`]): at the seed's 400 elements, the two-softplus and
/// the sigmoid/exp gradient composites (about 8 and 7 us on one thread); a plain `x - y` of
/// 400 elements stays on the calling thread.
pub const HOT_MIN_WORK: usize = 8000;

pub use elemwise::ElemwiseKernel;
#[allow(unused_imports)]
use elemwise::*;
#[allow(unused_imports)]
use kernel_set::*;
pub use kernel_set::{Kernel, KernelSet};
#[allow(unused_imports)]
use loops::*;
