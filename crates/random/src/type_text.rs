//! How both sampling ops write their output type in their parameters, and read it back:
//! Theano's `TensorType(float64, matrix)` (the type with no dimension broadcastable, as
//! Theano prints these ops), then `,broadcastable=(True, False)` when some dimension is, so
//! that the text form parses back to the same type.

use theano_ir::{py_bool_tuple, TensorType};
use theano_tensor::DType;

/// `TensorType(<dtype>, <pattern>)` for `ndim` dimensions.
pub(crate) fn plain(dtype: DType, ndim: usize) -> String {
    TensorType::with_ndim(dtype, ndim)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// `,broadcastable=(..)` when some dimension is broadcastable, else nothing.
pub(crate) fn broadcastable_suffix(broadcastable: &[bool]) -> String {
    if broadcastable.iter().any(|&b| b) {
        format!(",broadcastable={}", py_bool_tuple(broadcastable))
    } else {
        String::new()
    }
}

/// The dtype and rank of a leading `TensorType(<dtype>, <pattern>)`, and the text after it.
pub(crate) fn parse_plain(s: &str) -> Option<(DType, usize, &str)> {
    let (ty, rest) = s.strip_prefix("TensorType(")?.split_once(')')?;
    let (dt, pattern) = ty.split_once(", ")?;
    let dtype = DType::from_name(dt)?;
    let ndim = match pattern {
        "scalar" => 0,
        "vector" => 1,
        "matrix" => 2,
        p => p.strip_suffix('D')?.parse().ok()?,
    };
    Some((dtype, ndim, rest))
}

/// The pattern [`broadcastable_suffix`] wrote for `ndim` dimensions (`""`: none broadcastable).
pub(crate) fn parse_broadcastable(suffix: &str, ndim: usize) -> Option<Vec<bool>> {
    if suffix.is_empty() {
        return Some(vec![false; ndim]);
    }
    let tuple = suffix.strip_prefix(",broadcastable=(")?.strip_suffix(')')?;
    let b = tuple
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "True" => Some(true),
            "False" => Some(false),
            _ => None,
        })
        .collect::<Option<Vec<bool>>>()?;
    (b.len() == ndim).then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `plain` and `broadcastable_suffix` write reads back; malformed text is refused.
    #[test]
    fn the_type_text_reads_back() {
        for (dtype, b) in [
            (DType::Float64, vec![]),
            (DType::Float32, vec![false]),
            (DType::Int64, vec![true, false]),
            (DType::UInt8, vec![false, false, true, false]),
        ] {
            let text = format!("{}{}", plain(dtype, b.len()), broadcastable_suffix(&b));
            let (d, n, rest) = parse_plain(&text).unwrap();
            assert_eq!((d, n), (dtype, b.len()), "{text}");
            assert_eq!(parse_broadcastable(rest, n), Some(b), "{text}");
        }
        assert_eq!(plain(DType::Float64, 2), "TensorType(float64, matrix)");
        assert_eq!(
            broadcastable_suffix(&[false, true]),
            ",broadcastable=(False, True)"
        );
        assert!(parse_plain("TensorType(float65, matrix)").is_none());
        assert!(parse_plain("TensorType(float64, cube)").is_none());
        assert!(parse_broadcastable(",broadcastable=(True,)", 2).is_none());
        assert!(parse_broadcastable(",broadcastable=(Yes, No)", 2).is_none());
        assert!(parse_broadcastable(",x", 0).is_none());
    }
}
