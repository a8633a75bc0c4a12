//! theano-rs: Theano in Rust.
//!
//! ```
//! use theano::tensor as T;
//! let x = T::dscalar("x");
//! let y = T::dscalar("y");
//! let z = &x + &y;
//! assert_eq!(z.ty(), T::DSCALAR);
//! ```

pub use theano_ir as ir;
pub use theano_ir::printing::{debugprint, debugprint_with, pp, pydotprint, pydotprint_dot};
pub use theano_ir::tensor;
pub use theano_ir::{DType, GraphError, Op, TensorType, Variable};
pub use theano_tensor::Tensor;
