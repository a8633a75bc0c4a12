//! Element types and numpy/Theano promotion rules.

use std::fmt;

/// The element type of a tensor. Order is the promotion lattice's rough order (bool lowest).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum DType {
    Bool,
    UInt8,
    Int8,
    UInt16,
    Int16,
    UInt32,
    Int32,
    UInt64,
    Int64,
    Float32,
    Float64,
}

impl DType {
    /// Every dtype, in promotion order.
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::UInt8,
        DType::Int8,
        DType::UInt16,
        DType::Int16,
        DType::UInt32,
        DType::Int32,
        DType::UInt64,
        DType::Int64,
        DType::Float32,
        DType::Float64,
    ];

    /// numpy's name: `float64`, `int8`, `bool`, ...
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::UInt8 => "uint8",
            DType::Int8 => "int8",
            DType::UInt16 => "uint16",
            DType::UInt32 => "uint32",
            DType::UInt64 => "uint64",
            DType::Int16 => "int16",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Float32 => "float32",
            DType::Float64 => "float64",
        }
    }

    /// Parse numpy's name (`float64`, `int32`, `bool`, ...).
    pub fn from_name(s: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == s)
    }

    pub const fn is_float(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }
    /// Signed or unsigned integer (not bool).
    pub const fn is_int(self) -> bool {
        matches!(
            self,
            DType::UInt8
                | DType::UInt16
                | DType::UInt32
                | DType::UInt64
                | DType::Int8
                | DType::Int16
                | DType::Int32
                | DType::Int64
        )
    }
    /// An unsigned integer (`uint8`..`uint64`; bool is not).
    pub const fn is_unsigned(self) -> bool {
        matches!(
            self,
            DType::UInt8 | DType::UInt16 | DType::UInt32 | DType::UInt64
        )
    }
    pub const fn is_bool(self) -> bool {
        matches!(self, DType::Bool)
    }
    /// Integer or bool: values that can index and that have no gradient.
    pub const fn is_discrete(self) -> bool {
        !self.is_float()
    }
    pub const fn is_signed(self) -> bool {
        matches!(
            self,
            DType::Int8
                | DType::Int16
                | DType::Int32
                | DType::Int64
                | DType::Float32
                | DType::Float64
        )
    }
    /// Size of one element in bytes.
    pub const fn itemsize(self) -> usize {
        match self {
            DType::Bool | DType::UInt8 | DType::Int8 => 1,
            DType::Int16 | DType::UInt16 => 2,
            DType::Int32 | DType::UInt32 | DType::Float32 => 4,
            DType::Int64 | DType::UInt64 | DType::Float64 => 8,
        }
    }

    /// numpy's `promote_types(a, b)` over the dtypes we support.
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        if a == b {
            return a;
        }
        match (a, b) {
            (Bool, x) | (x, Bool) => x,
            (Float64, _) | (_, Float64) => Float64,
            // float32 holds every integer of at most 16 bits
            (Float32, x) | (x, Float32) => {
                if x.itemsize() <= 2 {
                    Float32
                } else {
                    Float64
                }
            }
            // both integers
            (x, y) if x.is_unsigned() == y.is_unsigned() => {
                if x.itemsize() >= y.itemsize() {
                    x
                } else {
                    y
                }
            }
            (x, y) => {
                let (u, s) = if x.is_unsigned() { (x, y) } else { (y, x) };
                if s.itemsize() > u.itemsize() {
                    s
                } else {
                    // the signed type twice as wide as the unsigned one; none holds uint64
                    match u.itemsize() {
                        1 => Int16,
                        2 => Int32,
                        4 => Int64,
                        _ => Float64,
                    }
                }
            }
        }
    }

    /// The unsigned integer of the same width as a signed one (`int16 -> uint16`), or the
    /// dtype itself for any other.
    pub const fn unsigned_of(self) -> DType {
        match self {
            DType::Int8 => DType::UInt8,
            DType::Int16 => DType::UInt16,
            DType::Int32 => DType::UInt32,
            DType::Int64 => DType::UInt64,
            d => d,
        }
    }

    /// Promote a non-empty list of dtypes (Theano's `scalar.upcast`).
    pub fn upcast(dtypes: &[DType]) -> Option<DType> {
        let mut it = dtypes.iter().copied();
        let first = it.next()?;
        Some(it.fold(first, DType::promote))
    }

    /// The smallest of int8, int16, int32, int64 that holds `v` (Theano's `autocast_int`).
    pub fn smallest_int_for(v: i64) -> DType {
        if i8::try_from(v).is_ok() {
            DType::Int8
        } else if i16::try_from(v).is_ok() {
            DType::Int16
        } else if i32::try_from(v).is_ok() {
            DType::Int32
        } else {
            DType::Int64
        }
    }

    /// Whether every value of `self` is exactly representable in `to` (numpy `can_cast(.., 'safe')`).
    pub fn can_cast_safely(self, to: DType) -> bool {
        DType::promote(self, to) == to
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::DType::{self, *};

    #[test]
    fn promotion_matches_numpy() {
        let cases = [
            (Int64, Int32, Int64),
            (Int8, Float64, Float64),
            (Int8, Float32, Float32),
            (Int16, Float32, Float32),
            (Int32, Float32, Float64),
            (Int64, Float32, Float64),
            (UInt8, Int8, Int16),
            (UInt8, Int16, Int16),
            (UInt8, Int32, Int32),
            (UInt8, Int64, Int64),
            (Bool, Int8, Int8),
            (Bool, Bool, Bool),
            (Bool, Float32, Float32),
            (Float32, Float64, Float64),
            (UInt8, Float32, Float32),
            (UInt16, Int16, Int32),
            (UInt16, Int32, Int32),
            (UInt16, UInt8, UInt16),
            (UInt16, Float32, Float32),
            (UInt32, Int8, Int64),
            (UInt32, Int64, Int64),
            (UInt32, Float32, Float64),
            (UInt32, UInt64, UInt64),
            (UInt64, Int8, Float64),
            (UInt64, Int64, Float64),
            (UInt64, UInt8, UInt64),
            (UInt64, Float32, Float64),
            (Bool, UInt64, UInt64),
        ];
        for (a, b, want) in cases {
            assert_eq!(DType::promote(a, b), want, "{a} + {b}");
            assert_eq!(DType::promote(b, a), want, "{b} + {a}");
        }
    }

    #[test]
    fn smallest_int() {
        assert_eq!(DType::smallest_int_for(2), Int8);
        assert_eq!(DType::smallest_int_for(-128), Int8);
        assert_eq!(DType::smallest_int_for(128), Int16);
        assert_eq!(DType::smallest_int_for(40000), Int32);
        assert_eq!(DType::smallest_int_for(1 << 40), Int64);
    }

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_name(d.name()), Some(d));
        }
        assert_eq!(DType::from_name("complex64"), None);
    }
}
