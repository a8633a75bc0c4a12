//! Conversions between Rust values and [`Tensor`].
//!
//! Into a tensor:
//! - scalars (`f64`, `f32`, `i64`, `i32`, `i16`, `i8`, `u64`, `u32`, `u16`, `u8`, `bool`) → 0-d tensors (`From`);
//! - `Vec<T>` → 1-d (`From`); `Vec<Vec<T>>`, `Vec<Vec<Vec<T>>>` → 2-d/3-d (`TryFrom`, which
//!   fails with [`TensorError::Conversion`] naming the first ragged row);
//! - `[T; N]`, `[[T; N]; M]`, `[[[T; N]; M]; K]` → 1-d/2-d/3-d (`From`);
//! - ndarray `Array<T, D>` and `ArrayView<T, D>` of any dimension (`From`; views are copied).
//!
//! Out of a tensor: `TryFrom<&Tensor>` for each scalar type (size-1 tensors only, cast as
//! numpy's `astype`), [`Tensor::to_vec`] and [`Tensor::from_shape_vec`].

use crate::{Element, Tensor, TensorError};
use ndarray::{Array, ArrayD, ArrayView, Dimension, IxDyn};

impl Tensor {
    /// A tensor of `shape` from row-major `data`; fails when the lengths disagree.
    pub fn from_shape_vec<T: Element>(
        shape: &[usize],
        data: Vec<T>,
    ) -> Result<Tensor, TensorError> {
        let n = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| TensorError::ShapeMismatch {
                what: "from_shape_vec".into(),
                expected: format!(
                    "a shape whose size fits in usize, for {} values",
                    data.len()
                ),
                actual: format!("{shape:?}"),
            })?;
        if n != data.len() {
            return Err(TensorError::ShapeMismatch {
                what: "from_shape_vec".into(),
                expected: format!("{n} values for shape {shape:?}"),
                actual: format!("{} values", data.len()),
            });
        }
        Ok(T::into_tensor(
            ArrayD::from_shape_vec(IxDyn(shape), data).expect("length checked above"),
        ))
    }

    /// All values in row-major (logical) order, cast to `T` as numpy's `astype` would.
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        match T::array_of(self) {
            Some(a) => a.iter().copied().collect(),
            None => {
                let c = self.cast(T::DTYPE);
                T::array_of(&c)
                    .expect("cast produced the requested dtype")
                    .iter()
                    .copied()
                    .collect()
            }
        }
    }

    /// The single value of a size-1 tensor, cast to `T` as numpy's `astype` would.
    pub fn to_scalar<T: Element>(&self) -> Result<T, TensorError> {
        if self.len() != 1 {
            return Err(TensorError::Conversion {
                what: format!("tensor of shape {:?} to {}", self.shape(), T::DTYPE),
                detail: format!(
                    "only size-1 tensors convert to scalars (this one has {} elements)",
                    self.len()
                ),
            });
        }
        Ok(self.to_vec::<T>()[0])
    }
}

impl<T: Element> From<T> for Tensor {
    fn from(v: T) -> Tensor {
        Tensor::scalar(v)
    }
}

impl<T: Element> From<Vec<T>> for Tensor {
    fn from(v: Vec<T>) -> Tensor {
        T::into_tensor(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).expect("1-d shape matches"))
    }
}

fn ragged(what: &str, path: &str, len: usize, expected: usize) -> TensorError {
    TensorError::Conversion {
        what: what.into(),
        detail: format!("ragged nested Vec: row {path} has length {len}, expected {expected}"),
    }
}

impl<T: Element> TryFrom<Vec<Vec<T>>> for Tensor {
    type Error = TensorError;
    fn try_from(v: Vec<Vec<T>>) -> Result<Tensor, TensorError> {
        let rows = v.len();
        let cols = v.first().map_or(0, Vec::len);
        let mut data = Vec::with_capacity(rows * cols);
        for (i, row) in v.into_iter().enumerate() {
            if row.len() != cols {
                return Err(ragged(
                    "Vec<Vec<_>> to Tensor",
                    &format!("[{i}]"),
                    row.len(),
                    cols,
                ));
            }
            data.extend(row);
        }
        Tensor::from_shape_vec(&[rows, cols], data)
    }
}

impl<T: Element> TryFrom<Vec<Vec<Vec<T>>>> for Tensor {
    type Error = TensorError;
    fn try_from(v: Vec<Vec<Vec<T>>>) -> Result<Tensor, TensorError> {
        const WHAT: &str = "Vec<Vec<Vec<_>>> to Tensor";
        let d0 = v.len();
        let d1 = v.first().map_or(0, Vec::len);
        let d2 = v.first().and_then(|m| m.first()).map_or(0, Vec::len);
        let mut data = Vec::with_capacity(d0 * d1 * d2);
        for (i, mat) in v.into_iter().enumerate() {
            if mat.len() != d1 {
                return Err(ragged(WHAT, &format!("[{i}]"), mat.len(), d1));
            }
            for (j, row) in mat.into_iter().enumerate() {
                if row.len() != d2 {
                    return Err(ragged(WHAT, &format!("[{i}][{j}]"), row.len(), d2));
                }
                data.extend(row);
            }
        }
        Tensor::from_shape_vec(&[d0, d1, d2], data)
    }
}

impl<T: Element, const N: usize> From<[T; N]> for Tensor {
    fn from(v: [T; N]) -> Tensor {
        Tensor::from(v.to_vec())
    }
}

impl<T: Element, const N: usize, const M: usize> From<[[T; N]; M]> for Tensor {
    fn from(v: [[T; N]; M]) -> Tensor {
        let data: Vec<T> = v.iter().flatten().copied().collect();
        Tensor::from_shape_vec(&[M, N], data).expect("fixed-size array shape")
    }
}

impl<T: Element, const N: usize, const M: usize, const K: usize> From<[[[T; N]; M]; K]> for Tensor {
    fn from(v: [[[T; N]; M]; K]) -> Tensor {
        let data: Vec<T> = v.iter().flatten().flatten().copied().collect();
        Tensor::from_shape_vec(&[K, M, N], data).expect("fixed-size array shape")
    }
}

impl<T: Element, D: Dimension> From<Array<T, D>> for Tensor {
    fn from(a: Array<T, D>) -> Tensor {
        T::into_tensor(a.into_dyn())
    }
}

/// A value whose number of dimensions its Rust type fixes, at most 6: a scalar, a `Vec`, a
/// fixed-size array of up to three levels, an ndarray `Array` of a fixed dimension (`Ix0` to
/// `Ix6`). Converting one can never give more dimensions than a graph type holds (32), so the
/// builders that take one (`T::constant`, `theano::shared`) cannot fail; a [`Tensor`] or an
/// `ArrayD` can have any number, and the builders that take those return a `Result`.
pub trait StaticRank: Into<Tensor> {}

impl<T: Element> StaticRank for T {}
impl<T: Element> StaticRank for Vec<T> {}
impl<T: Element, const N: usize> StaticRank for [T; N] {}
impl<T: Element, const N: usize, const M: usize> StaticRank for [[T; N]; M] {}
impl<T: Element, const N: usize, const M: usize, const K: usize> StaticRank for [[[T; N]; M]; K] {}
impl<T: Element, D: FixedDim> StaticRank for Array<T, D> {}

/// ndarray's dimensions of a fixed number of axes (`Ix0` to `Ix6`), not `IxDyn`.
pub trait FixedDim: Dimension {}
impl FixedDim for ndarray::Ix0 {}
impl FixedDim for ndarray::Ix1 {}
impl FixedDim for ndarray::Ix2 {}
impl FixedDim for ndarray::Ix3 {}
impl FixedDim for ndarray::Ix4 {}
impl FixedDim for ndarray::Ix5 {}
impl FixedDim for ndarray::Ix6 {}

impl<T: Element, D: Dimension> From<ArrayView<'_, T, D>> for Tensor {
    fn from(a: ArrayView<'_, T, D>) -> Tensor {
        T::into_tensor(a.to_owned().into_dyn())
    }
}

macro_rules! scalar_try_from {
    ($($t:ty),*) => {$(
        /// The single value of a size-1 tensor (any rank), cast as numpy's `astype` would.
        impl TryFrom<&Tensor> for $t {
            type Error = TensorError;
            fn try_from(t: &Tensor) -> Result<$t, TensorError> {
                t.to_scalar::<$t>()
            }
        }
        impl TryFrom<Tensor> for $t {
            type Error = TensorError;
            fn try_from(t: Tensor) -> Result<$t, TensorError> {
                t.to_scalar::<$t>()
            }
        }
    )*};
}
scalar_try_from!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8, bool);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;
    use ndarray::{arr2, s, Array3};

    #[test]
    fn scalars() {
        for (t, dt) in [
            (Tensor::from(1.5f64), DType::Float64),
            (Tensor::from(1.5f32), DType::Float32),
            (Tensor::from(3i64), DType::Int64),
            (Tensor::from(3i32), DType::Int32),
            (Tensor::from(3i16), DType::Int16),
            (Tensor::from(3i8), DType::Int8),
            (Tensor::from(3u8), DType::UInt8),
            (Tensor::from(true), DType::Bool),
        ] {
            assert_eq!(t.dtype(), dt);
            assert_eq!(t.shape(), &[] as &[usize]);
        }
        // unsuffixed literals fall back to i32 / f64, as in Rust generally
        assert_eq!(Tensor::from(3).dtype(), DType::Int32);
        assert_eq!(Tensor::from(vec![1.0, 2.0]).dtype(), DType::Float64);
        assert_eq!(f64::try_from(&Tensor::from(1.5f32)).unwrap(), 1.5);
        assert_eq!(i64::try_from(&Tensor::from(-2.7f64)).unwrap(), -2);
        assert!(bool::try_from(&Tensor::from(2i8)).unwrap());
        assert_eq!(u8::try_from(Tensor::from(vec![7i32])).unwrap(), 7);
        let e = f64::try_from(&Tensor::from(vec![1.0, 2.0])).unwrap_err();
        assert!(matches!(e, TensorError::Conversion { .. }), "{e}");
        assert!(e.to_string().contains("2 elements"), "{e}");
    }

    #[test]
    fn vecs_and_arrays() {
        let t = Tensor::from(vec![1i8, 2, 3]);
        assert_eq!((t.dtype(), t.shape()), (DType::Int8, &[3usize][..]));
        let t = Tensor::try_from(vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).unwrap();
        assert_eq!(t.shape(), &[3, 2]);
        assert_eq!(t.to_vec::<f64>(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = Tensor::try_from(vec![vec![vec![1u8, 2], vec![3, 4]]]).unwrap();
        assert_eq!(t.shape(), &[1, 2, 2]);
        assert_eq!(t.to_vec::<i64>(), vec![1, 2, 3, 4]);
        let empty: Vec<Vec<f32>> = vec![];
        assert_eq!(Tensor::try_from(empty).unwrap().shape(), &[0, 0]);

        assert_eq!(Tensor::from([1.0f32, 2.0]).shape(), &[2]);
        let t = Tensor::from([[1i16, 2, 3], [4, 5, 6]]);
        assert_eq!((t.dtype(), t.shape()), (DType::Int16, &[2usize, 3][..]));
        assert_eq!(t.to_vec::<i16>(), vec![1, 2, 3, 4, 5, 6]);
        let t = Tensor::from([[[true, false]], [[false, true]], [[true, true]]]);
        assert_eq!(t.shape(), &[3, 1, 2]);
        assert_eq!(
            t.to_vec::<bool>(),
            vec![true, false, false, true, true, true]
        );
    }

    #[test]
    fn ragged_rows_are_named() {
        let e = Tensor::try_from(vec![vec![1, 2], vec![3]]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Vec<Vec<_>> to Tensor: cannot convert: ragged nested Vec: row [1] has length 1, expected 2"
        );
        let e = Tensor::try_from(vec![vec![vec![1.0], vec![2.0]], vec![vec![3.0], vec![]]])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("row [1][1] has length 0, expected 1"),
            "{e}"
        );
        let e = Tensor::try_from(vec![vec![vec![1.0]], vec![]]).unwrap_err();
        assert!(
            e.to_string().contains("row [1] has length 0, expected 1"),
            "{e}"
        );
    }

    #[test]
    fn ndarray_arrays_and_views() {
        let a = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let t = Tensor::from(a.t());
        assert_eq!(t.shape(), &[3, 2]);
        assert_eq!(t.to_vec::<f64>(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let t = Tensor::from(a.slice(s![.., ..;2]));
        assert_eq!(t.to_vec::<i32>(), vec![1, 3, 4, 6]);
        let t = Tensor::from(Array3::<u8>::zeros((2, 3, 4)));
        assert_eq!((t.dtype(), t.shape()), (DType::UInt8, &[2usize, 3, 4][..]));
        let t = Tensor::from(a.clone());
        assert_eq!(t.as_array::<f64>().unwrap(), &a.into_dyn());
    }

    #[test]
    fn from_shape_vec_and_to_vec() {
        let t = Tensor::from_shape_vec(&[2, 2], vec![1i32, -2, 3, 4]).unwrap();
        assert_eq!(t.dtype(), DType::Int32);
        assert_eq!(t.to_vec::<f32>(), vec![1.0, -2.0, 3.0, 4.0]);
        assert_eq!(t.to_vec::<u8>(), vec![1, 254, 3, 4]);
        let e = Tensor::from_shape_vec(&[2, 3], vec![1.0; 5]).unwrap_err();
        assert!(matches!(e, TensorError::ShapeMismatch { .. }));
        assert!(e.to_string().contains("6 values"), "{e}");
        assert!(Tensor::from_shape_vec(&[usize::MAX, 3], vec![1.0]).is_err());
        let t = Tensor::from_shape_vec(&[], vec![2.5f64]).unwrap();
        assert_eq!(t.ndim(), 0);
        // logical order of a transposed tensor
        let t = Tensor::from(arr2(&[[1i64, 2], [3, 4]]).reversed_axes());
        assert_eq!(t.to_vec::<i64>(), vec![1, 3, 2, 4]);
    }
}
