//! theano-ptx: PTX code generation for theano-rs, without a device.
//!
//! - [`ir`]: the kernel IR (typed values, loads/stores with explicit addresses, special
//!   registers, labels and branches, barriers, warp shuffles), built with [`ir::Builder`];
//! - [`mod@print`]: the printer, one IR instruction to one PTX line (`.version 7.8`,
//!   `.target sm_80` by default, `.address_size 64`);
//! - [`elemwise`]: the lowering of `Elemwise` (any scalar op, composites included) to
//!   grid-stride kernels (strided N-d, contiguous, contiguous with vector accesses);
//!   [`scalar`] and [`math`] lower the scalar ops and the transcendentals;
//! - [`reduce`]: reductions (sum, prod, max, min, all, any, mean, argmax) as row and column
//!   kernels; [`softmax`]: softmax, log-softmax and the crossentropy ops as row kernels;
//! - [`emu`]: the emulator, an executable model of the IR that the tests run every
//!   lowering on against the interpreter;
//! - [`launch`]: the host side: kernel parameters from shapes and strides, and a helper
//!   that runs a kernel on host tensors through the emulator;
//! - [`ptxas`]: finding NVIDIA's assembler and assembling modules with it (the tests).
//!
//! See docs/GPU.md.

pub mod elemwise;
pub mod emu;
pub mod ir;
pub mod launch;
pub mod math;
pub mod print;
pub mod ptxas;
pub mod reduce;

pub mod scalar;
pub mod softmax;

use theano_tensor::DType;

/// Why a lowering refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PtxError {
    /// The op (or this op on these dtypes) has no PTX lowering.
    #[error("no PTX lowering for {op} on {dtypes}: {why}")]
    Unsupported {
        op: String,
        dtypes: String,
        why: String,
    },
    /// The request itself is malformed (wrong arity, rank too large...).
    #[error("bad PTX kernel request: {0}")]
    Invalid(String),
}

impl PtxError {
    pub(crate) fn unsupported(op: impl ToString, dtypes: &[DType], why: &str) -> PtxError {
        PtxError::Unsupported {
            op: op.to_string(),
            dtypes: dtypes
                .iter()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(", "),
            why: why.to_string(),
        }
    }
}

pub use ir::{Builder, Kernel};
pub use print::{module, Target};
