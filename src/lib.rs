//! theano-rs: Theano in Rust.
//!
//! ```
//! use theano::tensor as T;
//! use theano::{function, pp};
//! let x = T::dscalar("x");
//! let y = T::dscalar("y");
//! let z = &x + &y;
//! assert_eq!(x.ty(), T::DSCALAR);
//! ```

mod error;
pub mod flags;
mod function;
pub mod linker;

pub use error::{Error, NodeError};
pub use flags::{FlagError, LinkerKind, Mode, OptimizerLevel};
pub use function::{
    compile, function, shared, shared_named, Function, FunctionBuilder, IntoOutputs, OnUnused,
};
pub use theano_ir as ir;
pub use theano_ir::tensor;
pub use theano_ir::{DType, GraphError, Op, TensorType, Variable};
pub use theano_tensor::Tensor;
