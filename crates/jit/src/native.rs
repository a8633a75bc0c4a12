//! The dispatcher from IR ops to the hand-written native kernels: the JIT linker asks
//! [`crate::KernelSet::add_native`] first (reductions, MaxAndArgmax, softmax, log_softmax and
//! the crossentropy ops, whose loops are generated: crate::gen_reduce, crate::gen_softmax),
//! then [`native_kernel`], and runs the interpreter where both answer no.
//!
//! Lowered here: `Dot` (ranks 1 and 2), `Dot22`, `Gemv`, `Gemm`, `Ger` (float32/float64 with
//! one dtype throughout, blas.rs) and `Alloc` of a value already in the output dtype
//! (alloc.rs). Not lowered: integer `Dot`, mixed-dtype `Dot`, everything else.

use crate::alloc::{alloc_empty_kernel, alloc_kernel};
use crate::blas::blas_kernel;
use theano_exec::kernel::NativeKernel;
use theano_ir::{Op, TensorType};

/// The native kernel computing `op` on inputs of `in_types` into outputs of `out_types`, or `None`
/// when the op, its dtypes or its output count are not lowered (run the interpreter).
pub fn native_kernel(
    op: &Op,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn NativeKernel>> {
    let [out] = out_types else { return None };
    let d = out.dtype;
    let k: Box<dyn NativeKernel> = match op {
        Op::Dot | Op::Dot22 | Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. } => {
            Box::new(blas_kernel(op, in_types, d)?)
        }
        Op::Alloc => Box::new(alloc_kernel(in_types, out)?),
        Op::AllocEmpty { .. } => Box::new(alloc_empty_kernel(in_types, out)?),
        _ => return None,
    };
    Some(k)
}

/// The native kernel the JIT linker picks for `op`, in a module of its own: the generated one
/// ([`crate::KernelSet::generated`]) where a generator covers the op, else [`native_kernel`]'s;
/// `None` where neither does.
pub fn standalone_kernel(
    op: &Op,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn NativeKernel>> {
    crate::KernelSet::generated(op, in_types, out_types)
        .ok()
        .or_else(|| native_kernel(op, in_types, out_types))
}
