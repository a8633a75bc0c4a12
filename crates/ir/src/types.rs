//! `TensorType`: a dtype plus a broadcastable pattern, `Copy + Eq` as Theano's type objects.

use std::fmt;
pub use theano_tensor::DType;

/// The most dimensions a [`TensorType`] can have.
pub const MAX_NDIM: usize = 32;

/// The static type of a symbolic tensor: its dtype and, per dimension, whether that dimension
/// is known to have length 1 (broadcastable). `Copy + Eq`, so `x.ty() == T::DSCALAR` mirrors
/// Theano's `x.type is T.dscalar`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TensorType {
    pub dtype: DType,
    ndim: u8,
    /// bit i set = dimension i broadcastable
    bcast: u32,
}

impl TensorType {
    /// A type from a dtype and a broadcastable pattern. Panics (at compile time in `const`
    /// contexts) when `broadcastable` has more than [`MAX_NDIM`] entries.
    pub const fn new(dtype: DType, broadcastable: &[bool]) -> TensorType {
        assert!(broadcastable.len() <= MAX_NDIM, "too many dimensions");
        let mut bcast = 0u32;
        let mut i = 0;
        while i < broadcastable.len() {
            if broadcastable[i] {
                bcast |= 1 << i;
            }
            i += 1;
        }
        TensorType {
            dtype,
            ndim: broadcastable.len() as u8,
            bcast,
        }
    }
    /// A type with `ndim` non-broadcastable dimensions.
    pub const fn with_ndim(dtype: DType, ndim: usize) -> TensorType {
        assert!(ndim <= MAX_NDIM, "too many dimensions");
        TensorType {
            dtype,
            ndim: ndim as u8,
            bcast: 0,
        }
    }
    pub const fn scalar(dtype: DType) -> TensorType {
        TensorType::new(dtype, &[])
    }
    pub const fn vector(dtype: DType) -> TensorType {
        TensorType::new(dtype, &[false])
    }
    pub const fn matrix(dtype: DType) -> TensorType {
        TensorType::new(dtype, &[false, false])
    }
    pub const fn row(dtype: DType) -> TensorType {
        TensorType::new(dtype, &[true, false])
    }
    pub const fn col(dtype: DType) -> TensorType {
        TensorType::new(dtype, &[false, true])
    }
    pub const fn ndim(&self) -> usize {
        self.ndim as usize
    }
    pub const fn is_broadcastable(&self, dim: usize) -> bool {
        dim < self.ndim as usize && self.bcast & (1 << dim) != 0
    }
    pub fn broadcastable(&self) -> Vec<bool> {
        (0..self.ndim()).map(|i| self.is_broadcastable(i)).collect()
    }
    /// The same broadcastable pattern with another dtype.
    pub const fn with_dtype(self, dtype: DType) -> TensorType {
        TensorType { dtype, ..self }
    }
    /// Whether a value of `shape` (and this dtype) is an instance of this type.
    pub fn accepts_shape(&self, shape: &[usize]) -> bool {
        shape.len() == self.ndim()
            && shape
                .iter()
                .enumerate()
                .all(|(i, &n)| !self.is_broadcastable(i) || n == 1)
    }
    /// The type of a concrete value: broadcastable exactly where the dimension is 1? No:
    /// Theano types a value as non-broadcastable everywhere (`shared`, constants use their own rule).
    pub fn of_value(dtype: DType, ndim: usize) -> TensorType {
        TensorType::with_ndim(dtype, ndim)
    }
    /// Theano's name for the pattern: `scalar`, `vector`, `matrix`, `row`, `col`, `3D` when no
    /// dimension is broadcastable, else the Python tuple such as `(False, True, False)`.
    pub fn pattern_name(&self) -> String {
        let b = self.broadcastable();
        match b.as_slice() {
            [] => "scalar".into(),
            [false] => "vector".into(),
            [false, false] => "matrix".into(),
            [true, false] => "row".into(),
            [false, true] => "col".into(),
            _ if !b.iter().any(|&x| x) => format!("{}D", b.len()),
            _ => py_bool_tuple(&b),
        }
    }
}

/// A Python tuple of booleans: `(True,)`, `(False, True, False)`.
pub fn py_bool_tuple(b: &[bool]) -> String {
    let items: Vec<&str> = b
        .iter()
        .map(|&x| if x { "True" } else { "False" })
        .collect();
    theano_tensor::py_tuple(&items)
}

impl fmt::Display for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TensorType({}, {})", self.dtype, self.pattern_name())
    }
}

impl fmt::Debug for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_theano() {
        let cases = [
            (
                TensorType::scalar(DType::Float64),
                "TensorType(float64, scalar)",
            ),
            (
                TensorType::vector(DType::Int32),
                "TensorType(int32, vector)",
            ),
            (
                TensorType::matrix(DType::Float32),
                "TensorType(float32, matrix)",
            ),
            (TensorType::row(DType::Float64), "TensorType(float64, row)"),
            (TensorType::col(DType::Int8), "TensorType(int8, col)"),
            (
                TensorType::with_ndim(DType::Float64, 3),
                "TensorType(float64, 3D)",
            ),
            (
                TensorType::new(DType::Float64, &[false, true, false]),
                "TensorType(float64, (False, True, False))",
            ),
            (
                TensorType::new(DType::Bool, &[true]),
                "TensorType(bool, (True,))",
            ),
        ];
        for (t, want) in cases {
            assert_eq!(t.to_string(), want);
        }
    }

    #[test]
    fn shapes() {
        let r = TensorType::row(DType::Float64);
        assert!(r.accepts_shape(&[1, 5]));
        assert!(!r.accepts_shape(&[2, 5]));
        assert!(!r.accepts_shape(&[5]));
    }
}
