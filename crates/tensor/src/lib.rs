//! theano-tensor: the values of theano-rs.
//!
//! A [`Tensor`] is a dense n-d array of one of eight dtypes ([`DType`]) stored in an ndarray
//! `ArrayD`. This crate knows numpy's semantics for values: dtype promotion
//! ([`DType::promote`]), broadcasting ([`broadcast_shapes`]), casting ([`Tensor::cast`]),
//! numpy's `repr` (the `Debug` impl) and the `.npy` file format.

mod convert;
mod dtype;
mod element;
mod error;
mod npy;
mod repr;
mod tensor;

pub use dtype::DType;
pub use element::Element;
pub use error::TensorError;
pub use ndarray;
pub use repr::PrintOptions;
pub use tensor::{broadcast_shapes, Tensor};
