//! Python's `repr` of one float (what `str(np.float64(x))` prints): shortest round-trip
//! digits, fixed notation for exponents in [-4, 16), else `1e-05` / `1.5e+16`.

/// Python's repr of an f64: `1.0`, `0.1`, `1e-05`, `1.5e+16`, `inf`, `-inf`, `nan`.
pub fn py_float_repr(v: f64) -> String {
    format_shortest(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        &format!("{:e}", v.abs()),
    )
}

/// numpy's str of a float32 scalar: shortest digits that round-trip through f32.
pub fn py_float32_repr(v: f32) -> String {
    format_shortest(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        &format!("{:e}", v.abs()),
    )
}

fn format_shortest(nan: bool, inf: bool, neg: bool, sci: &str) -> String {
    if nan {
        return "nan".into();
    }
    let sign = if neg { "-" } else { "" };
    if inf {
        return format!("{sign}inf");
    }
    // `sci` is Rust's shortest scientific form of |v|: "1.2345e2", "1e-5", "0e0".
    let (mant, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    if digits == "0" {
        return format!("{sign}0.0");
    }
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let s = if exp >= 0 {
            let int_len = exp + 1;
            if n <= int_len {
                format!("{}{}.0", digits, "0".repeat((int_len - n) as usize))
            } else {
                format!(
                    "{}.{}",
                    &digits[..int_len as usize],
                    &digits[int_len as usize..]
                )
            }
        } else {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        };
        format!("{sign}{s}")
    } else {
        let m = if digits.len() == 1 {
            digits.clone()
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let es = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python() {
        let cases = [
            (1.0, "1.0"),
            (2.0, "2.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456.789, "123456.789"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (1.2345e-7, "1.2345e-07"),
        ];
        for (v, want) in cases {
            assert_eq!(py_float_repr(v), want, "{v}");
        }
        assert_eq!(py_float32_repr(0.1), "0.1");
        assert_eq!(py_float32_repr(1.0), "1.0");
    }
}
