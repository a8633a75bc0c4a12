//! theano-tensor: the values of theano-rs.
//!
//! A [`Tensor`] is a dense n-d array of one of eight dtypes ([`DType`]) stored in an ndarray
//! `ArrayD`. This crate knows numpy's semantics for values: dtype promotion
//! ([`DType::promote`]), broadcasting ([`broadcast_shapes`]), casting ([`Tensor::cast`]),
//! numpy's `repr` (the `Debug` impl, [`Tensor::to_numpy_repr`]) and `str` (the `Display`
//! impl, [`Tensor::to_numpy_str`]), the `.npy` file format ([`Tensor::read_npy`],
//! [`Tensor::write_npy`], [`Tensor::load_npy`], [`Tensor::save_npy`]) and conversions from
//! Rust scalars, `Vec`s, fixed-size arrays and ndarray arrays (`From`/`TryFrom`,
//! [`Tensor::from_shape_vec`], [`Tensor::to_vec`]).
//!
//! ```
//! use theano_tensor::Tensor;
//! let t = Tensor::from([[1.0, 2.5], [3.0, 4.0]]);
//! assert_eq!(format!("{t:?}"), "array([[1. , 2.5],\n       [3. , 4. ]])");
//! assert_eq!(t.to_numpy_str(), "[[1.  2.5]\n [3.  4. ]]");
//! let back = Tensor::from_npy_bytes(&t.to_npy_bytes()).unwrap();
//! assert_eq!(back, t);
//! ```

mod convert;
mod dtype;
mod element;
mod error;
mod npy;
mod reduce;
mod repr;
mod tensor;

pub use convert::{FixedDim, StaticRank};
pub use dtype::DType;
pub use element::Element;
pub use error::TensorError;
pub use ndarray;
pub use reduce::numpy_sum;
pub use repr::{py_tuple, PrintOptions};
pub use tensor::{broadcast_shapes, Tensor};
