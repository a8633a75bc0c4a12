//! theano-ir: typed symbolic graphs.
//!
//! - [`TensorType`]: dtype + broadcastable pattern, displayed as Theano 1.0.
//! - [`Variable`] / [`ApplyRef`] / [`Op`]: the user's immutable graph (`Arc`s, edges towards
//!   inputs only), built by the functions of [`tensor`] (the `T` namespace) and operators.
//! - [`graph`]: ancestors, toposort and inputs of a graph.

pub mod assert_op;
mod blas;
pub mod composite;
pub mod config;
pub mod conv;
pub mod cumsort;
mod error;
pub mod fgraph;
pub mod graph;
pub mod ifelse;
pub mod matrix;
pub mod op;
mod operators;
pub mod params;
pub mod pool;
pub mod printing;
pub mod rebroadcast;
pub mod scalar;
mod sigmoid_xent;
pub mod special;
pub mod tensor;
mod types;
mod var;

pub use composite::{Composite, Instr, Operand};
pub use conv::{Border, ConvKind, ConvParams};
pub use cumsort::{CumMode, SortKind};
pub use error::{GraphError, Result};
pub use op::{
    custom_op_parser, py_slice, register_custom_op, AdvEntry, CustomOp, CustomOpParser, CustomRef,
    IdxEntry, InnerGraph, InnerRunner, Op, OpTable, ReduceKind, ShapeDim,
};
pub use pool::{PoolKind, PoolMode};
pub use scalar::ScalarOp;
pub use sigmoid_xent::{is_sigmoid_binary_crossentropy, is_sigmoid_binary_crossentropy_grad};
pub use tensor::{Idx, IntoVar};
pub use theano_tensor::{DType, Tensor};
pub use types::{py_bool_tuple, NdimError, TensorType, MAX_NDIM};
pub use var::{
    constant_str, known_ints, scalar_str, ApplyRef, CellValue, Mirror, SharedCell, VarKind,
    Variable,
};
