//! The `Element` trait: the Rust types that back each [`DType`].

use crate::{DType, Tensor};
use ndarray::ArrayD;

/// A Rust scalar type stored in a [`Tensor`]. Implemented for f64, f32, i64, i32, i16, i8,
/// u8, u16, u32, u64 and bool.
pub trait Element:
    Copy + PartialEq + PartialOrd + std::fmt::Debug + Default + Send + Sync + 'static
{
    const DTYPE: DType;
    /// Wrap an array of this element type into a dtype-erased tensor.
    fn into_tensor(a: ArrayD<Self>) -> Tensor;
    /// Borrow the array when the tensor holds this element type.
    fn array_of(t: &Tensor) -> Option<&ArrayD<Self>>;
    /// Mutably borrow the array when the tensor holds this element type.
    fn array_of_mut(t: &mut Tensor) -> Option<&mut ArrayD<Self>>;
    /// numpy's `astype(float64)` of one value.
    fn to_f64(self) -> f64;
    /// numpy's `astype(int64)` of one value (floats truncate toward zero).
    fn to_i64(self) -> i64;
    /// numpy's cast from float64 (floats round, ints truncate toward zero, bool is `!= 0`).
    fn from_f64(v: f64) -> Self;
    /// numpy's cast from int64 (ints wrap, bool is `!= 0`).
    fn from_i64(v: i64) -> Self;
}

macro_rules! impl_element {
    ($t:ty, $dt:ident, $var:ident, float) => {
        impl_element!(@common $t, $dt, $var);
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            impl_element!(@body $var);
            fn to_f64(self) -> f64 { self as f64 }
            fn to_i64(self) -> i64 { self as i64 }
            fn from_f64(v: f64) -> Self { v as $t }
            fn from_i64(v: i64) -> Self { v as $t }
        }
    };
    ($t:ty, $dt:ident, $var:ident, int) => {
        impl_element!(@common $t, $dt, $var);
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            impl_element!(@body $var);
            fn to_f64(self) -> f64 { self as f64 }
            fn to_i64(self) -> i64 { self as i64 }
            // through int64, so negative values wrap as numpy's casts do
            fn from_f64(v: f64) -> Self { (v as i64) as $t }
            fn from_i64(v: i64) -> Self { v as $t }
        }
    };
    (@common $t:ty, $dt:ident, $var:ident) => {};
    (@body $var:ident) => {
        fn into_tensor(a: ArrayD<Self>) -> Tensor { Tensor::$var(a) }
        fn array_of(t: &Tensor) -> Option<&ArrayD<Self>> {
            match t { Tensor::$var(a) => Some(a), _ => None }
        }
        fn array_of_mut(t: &mut Tensor) -> Option<&mut ArrayD<Self>> {
            match t { Tensor::$var(a) => Some(a), _ => None }
        }
    };
}

impl_element!(f64, Float64, F64, float);
impl_element!(f32, Float32, F32, float);
impl_element!(i64, Int64, I64, int);
impl_element!(i32, Int32, I32, int);
impl_element!(i16, Int16, I16, int);
impl_element!(i8, Int8, I8, int);
impl_element!(u8, UInt8, U8, int);
impl_element!(u16, UInt16, U16, int);
impl_element!(u32, UInt32, U32, int);
// uint64 holds values above int64's range: those convert directly, the rest through int64
impl Element for u64 {
    const DTYPE: DType = DType::UInt64;
    impl_element!(@body U64);
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn to_i64(self) -> i64 {
        self as i64
    }
    fn from_f64(v: f64) -> Self {
        if v >= (1u64 << 63) as f64 {
            v as u64
        } else {
            (v as i64) as u64
        }
    }
    fn from_i64(v: i64) -> Self {
        v as u64
    }
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    impl_element!(@body Bool);
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    fn to_i64(self) -> i64 {
        self as i64
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn from_i64(v: i64) -> Self {
        v != 0
    }
}
