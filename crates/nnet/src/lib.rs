//! theano-nnet: Theano 1.0.5's batch normalization (`theano.tensor.nnet.bn`).
//! `batch_normalization_train` and `batch_normalization_test` build the abstract ops
//! `AbstractBatchNormTrain{axes}` and `AbstractBatchNormInference{axes}` (one
//! [`CustomOp`](theano_ir::CustomOp), [`op::BnOp`], whose [`Kind`] says which), whose
//! gradients are `AbstractBatchNormTrainGrad{axes}` and Theano's formulas; their values are
//! Theano's `perform`s (`perform.rs`), their names, types and shapes Theano's.
//! `batch_normalization` is Theano's elementwise form (`low_mem`: one `Composite`, or
//! `high_mem`: the plain expression).
//!
//! `neighbours` is Theano's `theano.tensor.nnet.neighbours`: `Images2Neibs{mode}` and the
//! builders `images2neibs` and `neibs2images`.

pub mod blocksparse;
pub mod bn;
pub mod neighbours;
pub mod op;
mod perform;

pub use blocksparse::{h_softmax, sparse_block_dot};
pub use neighbours::{images2neibs, neibs2images, NeibMode};
pub use op::Kind;

/// Registers the IR text parsers of these ops. Idempotent.
pub fn register_ops() {
    op::register();
    neighbours::register();
    blocksparse::register();
}
