//! theano-rs: Theano in Rust.
pub use theano_ir as ir;
pub use theano_tensor::{DType, Tensor};
