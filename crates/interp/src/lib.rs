//! theano-interp: the reference interpreter. STUB: replaced by the real implementation.
use theano_ir::{Op, TensorType};
use theano_tensor::Tensor;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct PerformError(pub String);

pub fn perform(
    op: &Op,
    _inputs: &[&Tensor],
    _out_types: &[TensorType],
) -> Result<Vec<Tensor>, PerformError> {
    Err(PerformError(format!("{op}: not implemented")))
}
