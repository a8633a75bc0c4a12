//! The dtype-erased [`Tensor`] value.

use crate::{DType, Element, TensorError};
use ndarray::{ArrayD, IxDyn};

/// A dense n-d array of one of the supported dtypes. Cloning copies the data
/// (ndarray's owned arrays); share a tensor with `Arc<Tensor>` when that matters.
#[derive(Clone, PartialEq)]
pub enum Tensor {
    F64(ArrayD<f64>),
    F32(ArrayD<f32>),
    I64(ArrayD<i64>),
    I32(ArrayD<i32>),
    I16(ArrayD<i16>),
    I8(ArrayD<i8>),
    U8(ArrayD<u8>),
    U16(ArrayD<u16>),
    U32(ArrayD<u32>),
    U64(ArrayD<u64>),
    Bool(ArrayD<bool>),
}

/// Run `$body` with `$a` bound to the inner `ArrayD<T>` (and `T` bound as a type alias via
/// `$t`) of whichever variant `$x` holds.
#[macro_export]
macro_rules! with_array {
    ($x:expr, $a:ident => $body:expr) => {
        match $x {
            $crate::Tensor::F64($a) => $body,
            $crate::Tensor::F32($a) => $body,
            $crate::Tensor::I64($a) => $body,
            $crate::Tensor::I32($a) => $body,
            $crate::Tensor::I16($a) => $body,
            $crate::Tensor::I8($a) => $body,
            $crate::Tensor::U8($a) => $body,
            $crate::Tensor::U16($a) => $body,
            $crate::Tensor::U32($a) => $body,
            $crate::Tensor::U64($a) => $body,
            $crate::Tensor::Bool($a) => $body,
        }
    };
}

/// Run `$body` with `$a` the array of `$x`, then wrap the resulting array of the same element
/// type back into a Tensor of the same variant.
#[macro_export]
macro_rules! map_array {
    ($x:expr, $a:ident => $body:expr) => {
        match $x {
            $crate::Tensor::F64($a) => $crate::Tensor::F64($body),
            $crate::Tensor::F32($a) => $crate::Tensor::F32($body),
            $crate::Tensor::I64($a) => $crate::Tensor::I64($body),
            $crate::Tensor::I32($a) => $crate::Tensor::I32($body),
            $crate::Tensor::I16($a) => $crate::Tensor::I16($body),
            $crate::Tensor::I8($a) => $crate::Tensor::I8($body),
            $crate::Tensor::U8($a) => $crate::Tensor::U8($body),
            $crate::Tensor::U16($a) => $crate::Tensor::U16($body),
            $crate::Tensor::U32($a) => $crate::Tensor::U32($body),
            $crate::Tensor::U64($a) => $crate::Tensor::U64($body),
            $crate::Tensor::Bool($a) => $crate::Tensor::Bool($body),
        }
    };
}

/// Dispatch on a [`DType`] value: `$body` runs with `$t` a type alias of the element type.
#[macro_export]
macro_rules! with_dtype {
    ($dt:expr, $t:ident => $body:expr) => {
        match $dt {
            $crate::DType::Float64 => {
                type $t = f64;
                $body
            }
            $crate::DType::Float32 => {
                type $t = f32;
                $body
            }
            $crate::DType::Int64 => {
                type $t = i64;
                $body
            }
            $crate::DType::Int32 => {
                type $t = i32;
                $body
            }
            $crate::DType::Int16 => {
                type $t = i16;
                $body
            }
            $crate::DType::Int8 => {
                type $t = i8;
                $body
            }
            $crate::DType::UInt8 => {
                type $t = u8;
                $body
            }
            $crate::DType::UInt16 => {
                type $t = u16;
                $body
            }
            $crate::DType::UInt32 => {
                type $t = u32;
                $body
            }
            $crate::DType::UInt64 => {
                type $t = u64;
                $body
            }
            $crate::DType::Bool => {
                type $t = bool;
                $body
            }
        }
    };
}

impl Tensor {
    /// Wrap a typed array.
    pub fn from_array<T: Element>(a: ArrayD<T>) -> Tensor {
        T::into_tensor(a)
    }

    /// A 0-d tensor holding `v`.
    pub fn scalar<T: Element>(v: T) -> Tensor {
        T::into_tensor(ArrayD::from_elem(IxDyn(&[]), v))
    }

    /// A tensor of zeros of the given dtype and shape ([`Tensor::try_zeros`]).
    ///
    /// # Panics
    /// Where the allocator cannot provide it; code that may meet such sizes (shapes computed
    /// from values) calls `try_zeros`.
    pub fn zeros(dtype: DType, shape: &[usize]) -> Tensor {
        Tensor::try_zeros(dtype, shape)
            .unwrap_or_else(|| panic!("cannot allocate a {dtype} array of shape {shape:?}"))
    }

    /// A tensor of zeros, or `None` where the allocator cannot provide it (or the shape's
    /// size overflows). One zeroed allocation (calloc): fresh pages from the OS are already
    /// zero, and stay untouched until the first write, instead of a loop writing every
    /// element.
    pub fn try_zeros(dtype: DType, shape: &[usize]) -> Option<Tensor> {
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
        with_dtype!(dtype, T => {
            let v = zeroed_vec::<T>(n)?;
            ArrayD::from_shape_vec(IxDyn(shape), v).ok().map(Tensor::from_array)
        })
    }

    /// A tensor filled with `v` (cast to `dtype` as numpy would).
    pub fn full(dtype: DType, shape: &[usize], v: f64) -> Tensor {
        with_dtype!(dtype, T => Tensor::from_array(ArrayD::<T>::from_elem(IxDyn(shape), T::from_f64(v))))
    }

    /// A tensor of `dtype` and `shape` from row-major f64 values (cast as numpy would).
    pub fn from_f64_vec(
        dtype: DType,
        shape: &[usize],
        data: Vec<f64>,
    ) -> Result<Tensor, TensorError> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(TensorError::ShapeMismatch {
                what: "from_f64_vec".into(),
                expected: format!("{n} values for shape {shape:?}"),
                actual: format!("{} values", data.len()),
            });
        }
        Ok(with_dtype!(dtype, T => Tensor::from_array(
            ArrayD::<T>::from_shape_vec(IxDyn(shape), data.into_iter().map(T::from_f64).collect())
                .expect("length checked above")
        )))
    }

    pub fn dtype(&self) -> DType {
        match self {
            Tensor::F64(_) => DType::Float64,
            Tensor::F32(_) => DType::Float32,
            Tensor::I64(_) => DType::Int64,
            Tensor::I32(_) => DType::Int32,
            Tensor::I16(_) => DType::Int16,
            Tensor::I8(_) => DType::Int8,
            Tensor::U8(_) => DType::UInt8,
            Tensor::U16(_) => DType::UInt16,
            Tensor::U32(_) => DType::UInt32,
            Tensor::U64(_) => DType::UInt64,
            Tensor::Bool(_) => DType::Bool,
        }
    }

    pub fn shape(&self) -> &[usize] {
        with_array!(self, a => a.shape())
    }

    /// Strides in elements (may be negative for reversed views).
    pub fn strides(&self) -> &[isize] {
        with_array!(self, a => a.strides())
    }

    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Borrow the typed array; `None` when the dtype differs.
    pub fn as_array<T: Element>(&self) -> Option<&ArrayD<T>> {
        T::array_of(self)
    }

    /// Mutably borrow the typed array; `None` when the dtype differs.
    pub fn as_array_mut<T: Element>(&mut self) -> Option<&mut ArrayD<T>> {
        T::array_of_mut(self)
    }

    /// The typed array, cast (copied) to `T` when the dtype differs.
    pub fn to_array<T: Element>(&self) -> ArrayD<T> {
        match T::array_of(self) {
            Some(a) => a.clone(),
            None => {
                let t = self.cast(T::DTYPE);
                T::array_of(&t)
                    .expect("cast produced the requested dtype")
                    .clone()
            }
        }
    }

    /// numpy's `astype(dtype)`: ints wrap, floats truncate toward zero, bool is `!= 0`.
    pub fn cast(&self, dtype: DType) -> Tensor {
        if self.dtype() == dtype {
            return self.clone();
        }
        // through f64 when either side is a float (uint64 values above int64's range
        // convert exactly that way), through i64 (wrapping) between integers
        let via_float = self.dtype().is_float() || dtype.is_float();
        with_dtype!(dtype, T => {
            let out: ArrayD<T> = if via_float {
                with_array!(self, a => a.mapv(|v| T::from_f64(v.to_f64())))
            } else {
                with_array!(self, a => a.mapv(|v| T::from_i64(v.to_i64())))
            };
            Tensor::from_array(out)
        })
    }

    /// All values as f64, in row-major (logical) order.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        with_array!(self, a => a.iter().map(|v| v.to_f64()).collect())
    }

    /// All values as i64, in row-major (logical) order (floats truncate toward zero).
    pub fn to_i64_vec(&self) -> Vec<i64> {
        with_array!(self, a => a.iter().map(|v| v.to_i64()).collect())
    }

    /// The single value of a size-1 tensor as f64.
    pub fn scalar_f64(&self) -> Option<f64> {
        (self.len() == 1).then(|| self.to_f64_vec()[0])
    }

    /// The single value of a size-1 tensor as i64.
    pub fn scalar_i64(&self) -> Option<i64> {
        (self.len() == 1).then(|| self.to_i64_vec()[0])
    }

    /// A C-contiguous copy (or the same data when already contiguous).
    pub fn to_contiguous(&self) -> Tensor {
        map_array!(self, a => if a.is_standard_layout() { a.clone() } else { a.as_standard_layout().into_owned() })
    }

    /// A tensor of `shape` and this dtype whose elements are this tensor's, read in C order
    /// at the flat positions `picks` gives (`None`: zero); `picks` gives one per element of
    /// `shape` and each lies below [`Tensor::len`] (the caller's index map).
    pub fn gather_flat(
        &self,
        shape: &[usize],
        picks: impl IntoIterator<Item = Option<usize>>,
    ) -> Tensor {
        map_array!(self, a => {
            let c = a.as_standard_layout();
            let flat = c.as_slice().expect("a standard-layout array");
            let v = picks.into_iter().map(|k| k.map_or_else(Default::default, |k| flat[k])).collect();
            ArrayD::from_shape_vec(IxDyn(shape), v).expect("one pick per element of the shape")
        })
    }

    /// Reshape (row-major) to `shape`; the element count must agree.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor, TensorError> {
        let n: usize = shape.iter().product();
        if n != self.len() {
            return Err(TensorError::ShapeMismatch {
                what: "reshape".into(),
                expected: format!("a shape with {} elements", self.len()),
                actual: format!("{shape:?} ({n} elements)"),
            });
        }
        Ok(map_array!(self, a => {
            let c = a.as_standard_layout().into_owned();
            c.into_shape_with_order(IxDyn(shape)).expect("element count checked above")
        }))
    }

    /// Exact equality of dtype, shape and values (NaN never equal).
    pub fn same_as(&self, other: &Tensor) -> bool {
        self == other
    }

    /// Equality of dtype and shape with values within `rtol`/`atol` (numpy `allclose`), NaN
    /// equal to NaN.
    pub fn allclose(&self, other: &Tensor, rtol: f64, atol: f64) -> bool {
        if self.shape() != other.shape() {
            return false;
        }
        let a = self.to_f64_vec();
        let b = other.to_f64_vec();
        a.iter().zip(&b).all(|(&x, &y)| {
            (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= atol + rtol * y.abs()
        })
    }
}

/// numpy's broadcasting of two shapes; `None` when they cannot broadcast.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// `n` zeros of `T` in one zeroed allocation (calloc), or `None` where the allocator refuses.
fn zeroed_vec<T: Element>(n: usize) -> Option<Vec<T>> {
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new());
    }
    // SAFETY: the layout's size is not zero.
    let p = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` comes from the global allocator with `T`'s alignment and room for exactly
    // `n` values (`layout`), and every `Element` (the numeric types and bool) is valid, and
    // zero, as all-zero bytes.
    Some(unsafe { Vec::from_raw_parts(p, n, n) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_follows_numpy() {
        let t = Tensor::from_f64_vec(DType::Float64, &[4], vec![-1.7, 0.0, 2.9, 300.0]).unwrap();
        assert_eq!(t.cast(DType::Int64).to_i64_vec(), vec![-1, 0, 2, 300]);
        assert_eq!(t.cast(DType::Bool).to_i64_vec(), vec![1, 0, 1, 1]);
        let i = Tensor::from_f64_vec(DType::Int64, &[2], vec![300.0, -1.0]).unwrap();
        assert_eq!(i.cast(DType::UInt8).to_i64_vec(), vec![44, 255]);
        assert_eq!(i.cast(DType::Int8).to_i64_vec(), vec![44, -1]);
    }

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[2, 1], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast_shapes(&[], &[3, 4]), Some(vec![3, 4]));
        assert_eq!(broadcast_shapes(&[0, 1], &[1, 5]), Some(vec![0, 5]));
        assert_eq!(broadcast_shapes(&[2, 3], &[3, 2]), None);
    }

    #[test]
    fn reshape_checks_count() {
        let t = Tensor::zeros(DType::Int32, &[2, 3]);
        assert_eq!(t.reshape(&[3, 2]).unwrap().shape(), &[3, 2]);
        let e = t.reshape(&[4]).unwrap_err().to_string();
        assert!(e.contains("6 elements"), "{e}");
    }

    #[test]
    fn try_zeros_is_zeros_or_none() {
        for d in DType::ALL {
            let t = Tensor::try_zeros(d, &[2, 0, 3]).unwrap();
            assert_eq!((t.dtype(), t.shape()), (d, &[2, 0, 3][..]));
            let t = Tensor::try_zeros(d, &[3, 5]).unwrap();
            assert_eq!(t.shape(), &[3, 5]);
            assert!(t.to_f64_vec().iter().all(|&v| v == 0.0), "{d}");
        }
        // a size beyond the address space, beyond isize::MAX bytes, and beyond usize
        assert!(Tensor::try_zeros(DType::Float64, &[1 << 31, 1 << 28]).is_none());
        assert!(Tensor::try_zeros(DType::Float64, &[1 << 31, 1 << 30]).is_none());
        assert!(Tensor::try_zeros(DType::Int8, &[1 << 40, 1 << 40]).is_none());
    }
}
