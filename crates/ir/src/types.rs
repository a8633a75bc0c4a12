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

/// A [`TensorType`] asked for with more than [`MAX_NDIM`] dimensions: the argument, the
/// limit and the number asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{argument}: a TensorType has at most {MAX_NDIM} dimensions, got {ndim}")]
pub struct NdimError {
    /// What gave the number of dimensions (`ndim`, `broadcastable`, `a value's shape`, ...).
    pub argument: &'static str,
    /// The number of dimensions asked for.
    pub ndim: usize,
}

impl From<NdimError> for String {
    fn from(e: NdimError) -> String {
        e.to_string()
    }
}

impl TensorType {
    /// A type from a dtype and a broadcastable pattern; more than [`MAX_NDIM`] entries is an
    /// [`NdimError`]. For a pattern fixed in the source, [`TensorType::fixed`] is `const` and
    /// infallible.
    pub fn new(dtype: DType, broadcastable: &[bool]) -> Result<TensorType, NdimError> {
        if broadcastable.len() > MAX_NDIM {
            return Err(NdimError {
                argument: "broadcastable",
                ndim: broadcastable.len(),
            });
        }
        Ok(TensorType::pattern(dtype, broadcastable))
    }
    /// A type from a pattern whose length is known at compile time (checked at compile time:
    /// `TensorType::fixed(d, [false; 33])` does not build).
    pub const fn fixed<const N: usize>(dtype: DType, broadcastable: [bool; N]) -> TensorType {
        const { assert!(N <= MAX_NDIM, "a TensorType has at most 32 dimensions") };
        TensorType::pattern(dtype, &broadcastable)
    }
    /// The pattern's type; the caller has checked its length.
    const fn pattern(dtype: DType, broadcastable: &[bool]) -> TensorType {
        let mut bcast = 0u32;
        let mut i = 0;
        while i < broadcastable.len() && i < MAX_NDIM {
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
    /// A type with `ndim` non-broadcastable dimensions; more than [`MAX_NDIM`] is an
    /// [`NdimError`].
    pub const fn with_ndim(dtype: DType, ndim: usize) -> Result<TensorType, NdimError> {
        if ndim > MAX_NDIM {
            return Err(NdimError {
                argument: "ndim",
                ndim,
            });
        }
        Ok(TensorType {
            dtype,
            ndim: ndim as u8,
            bcast: 0,
        })
    }
    /// [`TensorType::with_ndim`] for a number of dimensions known at compile time.
    pub const fn fixed_ndim<const N: usize>(dtype: DType) -> TensorType {
        TensorType::fixed(dtype, [false; N])
    }
    pub const fn scalar(dtype: DType) -> TensorType {
        TensorType::fixed(dtype, [])
    }
    pub const fn vector(dtype: DType) -> TensorType {
        TensorType::fixed(dtype, [false])
    }
    pub const fn matrix(dtype: DType) -> TensorType {
        TensorType::fixed(dtype, [false, false])
    }
    pub const fn row(dtype: DType) -> TensorType {
        TensorType::fixed(dtype, [true, false])
    }
    pub const fn col(dtype: DType) -> TensorType {
        TensorType::fixed(dtype, [false, true])
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
    /// Whether a value of `dtype` and `shape` is an instance of this type, as the error the
    /// update check and `set_value` give (expected and actual dtype, or type and shape).
    pub fn check_value(&self, dtype: DType, shape: &[usize]) -> Result<(), String> {
        if dtype != self.dtype {
            return Err(format!(
                "expected dtype {}, got {} (shape {:?})",
                self.dtype, dtype, shape
            ));
        }
        if !self.accepts_shape(shape) {
            return Err(format!(
                "expected a value of type {} ({} dimension(s)), got shape {:?}",
                self,
                self.ndim(),
                shape
            ));
        }
        Ok(())
    }

    /// Whether an expression of type `value` may update a shared variable of this type
    /// (Theano's rule): the same dtype and rank, broadcastable wherever this type is.
    pub fn accepts_update(&self, value: TensorType) -> bool {
        self.dtype == value.dtype
            && self.ndim() == value.ndim()
            && (0..self.ndim()).all(|i| !self.is_broadcastable(i) || value.is_broadcastable(i))
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
    pub fn of_value(dtype: DType, ndim: usize) -> Result<TensorType, NdimError> {
        TensorType::with_ndim(dtype, ndim).map_err(|e| NdimError {
            argument: "a value's shape",
            ..e
        })
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
                TensorType::fixed_ndim::<3>(DType::Float64),
                "TensorType(float64, 3D)",
            ),
            (
                TensorType::fixed(DType::Float64, [false, true, false]),
                "TensorType(float64, (False, True, False))",
            ),
            (
                TensorType::fixed(DType::Bool, [true]),
                "TensorType(bool, (True,))",
            ),
        ];
        for (t, want) in cases {
            assert_eq!(t.to_string(), want);
        }
    }

    #[test]
    fn too_many_dimensions_is_an_error_naming_the_argument() {
        let e = TensorType::with_ndim(DType::Float64, 33).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ndim: a TensorType has at most 32 dimensions, got 33"
        );
        let e = TensorType::new(DType::Int8, &[false; 33]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "broadcastable: a TensorType has at most 32 dimensions, got 33"
        );
        let e = TensorType::of_value(DType::Int8, usize::MAX).unwrap_err();
        assert_eq!(e.ndim, usize::MAX);
        let t = TensorType::with_ndim(DType::Float64, 32).unwrap();
        assert_eq!(t.ndim(), 32);
        let t = TensorType::new(DType::Float64, &[true; 32]).unwrap();
        assert!(t.is_broadcastable(31));
    }

    #[test]
    fn shapes() {
        let r = TensorType::row(DType::Float64);
        assert!(r.accepts_shape(&[1, 5]));
        assert!(!r.accepts_shape(&[2, 5]));
        assert!(!r.accepts_shape(&[5]));
    }
}
