//! Native kernels for non-elementwise ops (reductions, BLAS, softmax...). A stub here: every
//! op runs in the interpreter until the kernels land.

use crate::NativeKernel;
use theano_ir::{Op, TensorType};

/// A native kernel computing `op` for inputs of `in_types` giving `out_types`, when one
/// exists.
pub fn native_kernel(
    op: &Op,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn NativeKernel>> {
    let _ = (op, in_types, out_types);
    None
}
