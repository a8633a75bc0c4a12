//! theano-extra: the ops of Theano 1.0.5's `theano.tensor.extra_ops` that are not built of
//! other ops: `SearchsortedOp`, `DiffOp`, `Bartlett`, `FillDiagonal`, `FillDiagonalOffset`,
//! `Unique`, `UnravelIndex`, `RavelMultiIndex`, and `theano.tensor.sort`'s `TopKOp`. Each is one [`Kind`] of one
//! [`CustomOp`](theano_ir::CustomOp), printed, typed, differentiated and shaped as Theano's,
//! computed as NumPy 1.23 computes it (`perform.rs`), with NumPy's messages. The builders
//! (`searchsorted`, `diff`, ...) are in [`ops`]; the facade's `theano::tensor::extra_ops`
//! gathers them with the extra ops theano-ir builds of existing ops (`cumsum`, `bincount`,
//! `repeat`, `compress`, `take`, ...).

pub mod fft;
pub mod ops;
mod perform;

pub use ops::{
    argtopk, bartlett, confusion_matrix, diff, fill_diagonal, fill_diagonal_offset,
    ravel_multi_index, searchsorted, topk, topk_and_argtopk, unique, unravel_index, Kind,
    RavelMode,
};

/// Registers the IR text parsers of these ops, so that text holding them parses before the
/// process has built any. Idempotent.
pub fn register_ops() {
    ops::register();
}
