//! The dispatcher from IR ops to native kernels: the runtime calls [`native_kernel`] for every
//! non-`Elemwise` step of a schedule and runs the interpreter where it answers
//! `None`.
//!
//! Lowered: `Softmax` / `LogSoftmax` (float32/float64, reduce.rs), `Dot` (ranks 1 and 2),
//! `Dot22`, `Gemv`, `Gemm`, `Ger` (float32/float64 with one dtype throughout, blas.rs), `Alloc`
//! of a value already in the output dtype (alloc.rs), and the multi-output kernels of nnet.rs:
//! `CrossentropySoftmaxArgmax1HotWithBias`, `CrossentropySoftmax1HotWithBiasDx` (float32/
//! float64). Not lowered: integer `Dot`, mixed-dtype `Dot`, everything else.
//! `Reduce{..}` (mean is `Sum` then an elementwise division) and `MaxAndArgmax` are not
//! here: their loops are generated into the function's module ([`crate::KernelSet::add_native`],
//! crate::gen_reduce).

use crate::alloc::alloc_kernel;
use crate::blas::blas_kernel;
use crate::reduce::softmax_kernel;
use crate::view::NativeKernel;
use theano_ir::{Op, TensorType};

/// The native kernel computing `op` on inputs of `in_types` into outputs of `out_types`, or `None`
/// when the op, its dtypes or its output count are not lowered (run the interpreter).
pub fn native_kernel(
    op: &Op,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn NativeKernel>> {
    if let Some(k) = crate::nnet::nnet_kernel(op, in_types, out_types) {
        return Some(k);
    }
    let [out] = out_types else { return None };
    let d = out.dtype;
    let k: Box<dyn NativeKernel> = match op {
        Op::Softmax => Box::new(softmax_kernel(false, in_types, d)?),
        Op::LogSoftmax => Box::new(softmax_kernel(true, in_types, d)?),
        Op::Dot | Op::Dot22 | Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. } => {
            Box::new(blas_kernel(op, in_types, d)?)
        }
        Op::Alloc => Box::new(alloc_kernel(in_types, out)?),
        _ => return None,
    };
    Some(k)
}
