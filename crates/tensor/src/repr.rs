//! numpy's `repr` and `str` for tensors.
//!
//! `format!("{t:?}")` (the `Debug` impl) gives numpy's `repr(a)` and `format!("{t}")` (the
//! `Display` impl, also [`Tensor::to_numpy_str`]) gives numpy's `str(a)`, both under numpy's
//! default print options (precision 8, linewidth 75, threshold 1000, edgeitems 3,
//! floatmode `maxprec`, sign `-`, no suppression, no legacy mode).
//!
//! Float digits follow numpy's Dragon4 rules: the shortest string that round-trips, unless
//! that needs more than `precision` digits, in which case the exact binary value is rounded
//! (half to even) to `precision` digits.

use crate::{with_array, DType, Tensor};
use ndarray::{ArrayD, ArrayViewD, Axis};
use std::fmt;

/// numpy's print options that this formatter honours (see `numpy.set_printoptions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrintOptions {
    /// Maximum number of fractional (positional) or mantissa (scientific) digits.
    pub precision: usize,
    /// Line width before wrapping.
    pub linewidth: usize,
    /// Arrays with more elements than this are summarized with `...`.
    pub threshold: usize,
    /// Number of items kept at each end of a summarized axis.
    pub edgeitems: usize,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            precision: 8,
            linewidth: 75,
            threshold: 1000,
            edgeitems: 3,
        }
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_numpy_repr_with(&PrintOptions::default()))
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_numpy_str_with(&PrintOptions::default()))
    }
}

impl Tensor {
    /// numpy's `repr(a)`, e.g. `array([1., 2.], dtype=float32)`. Same as `format!("{a:?}")`.
    pub fn to_numpy_repr(&self) -> String {
        self.to_numpy_repr_with(&PrintOptions::default())
    }

    /// numpy's `str(a)`, e.g. `[1. 2.]`. Same as `format!("{a}")`.
    pub fn to_numpy_str(&self) -> String {
        self.to_numpy_str_with(&PrintOptions::default())
    }

    /// numpy's `repr(a)` under the given print options.
    pub fn to_numpy_repr_with(&self, opts: &PrintOptions) -> String {
        let prefix = "array(";
        let size = self.len();
        let body = if size > 0 || self.shape() == [0] {
            with_array!(self, a => array_to_string(
                a.view(),
                opts,
                opts.linewidth as isize - 1,
                ", ",
                prefix
            ))
        } else {
            "[]".to_string()
        };
        // numpy >= 2.2: the shape is shown for empty arrays other than (0,) and for
        // summarized arrays; the dtype unless it is float64, int64 or bool (and not empty).
        let mut extras = Vec::new();
        if (size == 0 && self.shape() != [0]) || size > opts.threshold {
            extras.push(format!("shape={}", py_tuple(self.shape())));
        }
        if !matches!(self.dtype(), DType::Float64 | DType::Int64 | DType::Bool) || size == 0 {
            extras.push(format!("dtype={}", self.dtype().name()));
        }
        if extras.is_empty() {
            return format!("{prefix}{body})");
        }
        let mut out = format!("{prefix}{body},");
        let extra = format!("{})", extras.join(", "));
        let last_line_len = out.len() - out.rfind('\n').map_or(0, |i| i + 1);
        if last_line_len + extra.len() + 1 > opts.linewidth {
            out.push('\n');
            out.push_str(&" ".repeat(prefix.len()));
        } else {
            out.push(' ');
        }
        out.push_str(&extra);
        out
    }

    /// numpy's `str(a)` under the given print options.
    pub fn to_numpy_str_with(&self, opts: &PrintOptions) -> String {
        if self.ndim() == 0 {
            return with_array!(self, a => a.first().expect("0-d array has one element").scalar_str());
        }
        with_array!(self, a => array_to_string(a.view(), opts, opts.linewidth as isize, " ", ""))
    }
}

/// Python's repr of a tuple, as numpy prints shapes: `()`, `(3,)`, `(2, 0, 3)`; also used
/// for any other tuple of displayable items (`(True, False)`).
pub fn py_tuple<D: fmt::Display>(items: &[D]) -> String {
    match items {
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = items.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// numpy's `array2string` (non-legacy) for one array.
fn array_to_string<T: ReprElem>(
    a: ArrayViewD<'_, T>,
    opts: &PrintOptions,
    linewidth: isize,
    separator: &str,
    prefix: &str,
) -> String {
    if a.is_empty() {
        return "[]".into();
    }
    let summarize = a.len() > opts.threshold;
    let shown: Vec<T> = if summarize {
        leading_trailing(a.view(), opts.edgeitems)
    } else {
        a.iter().copied().collect()
    };
    let format = T::formatter(&shown, a.ndim() == 0, opts);
    let next_line_prefix = format!(" {}", " ".repeat(prefix.len()));
    let ctx = Layout {
        format: &*format,
        separator,
        edgeitems: opts.edgeitems,
        summarize,
    };
    ctx.recurse(a, &next_line_prefix, linewidth)
}

/// The elements numpy looks at to pick widths when summarizing: the first and last
/// `edge` items along every axis longer than `2 * edge`.
fn leading_trailing<T: Copy>(a: ArrayViewD<'_, T>, edge: usize) -> Vec<T> {
    let mut out: Option<ArrayD<T>> = None;
    for ax in 0..a.ndim() {
        let n = a.len_of(Axis(ax));
        if n > 2 * edge {
            let idx: Vec<usize> = (0..edge).chain(n - edge..n).collect();
            // select from the already reduced copy, so only the shown corners are copied
            out = Some(match out {
                Some(o) => o.select(Axis(ax), &idx),
                None => a.select(Axis(ax), &idx),
            });
        }
    }
    match out {
        Some(o) => o.iter().copied().collect(),
        None => a.iter().copied().collect(),
    }
}

struct Layout<'f, T> {
    format: &'f dyn Fn(T) -> String,
    separator: &'f str,
    edgeitems: usize,
    summarize: bool,
}

impl<T: Copy> Layout<'_, T> {
    fn recurse(&self, a: ArrayViewD<'_, T>, hanging_indent: &str, curr_width: isize) -> String {
        if a.ndim() == 0 {
            return (self.format)(*a.first().expect("0-d array has one element"));
        }
        let next_hanging = format!("{hanging_indent} ");
        let next_width = curr_width - 1;
        let a_len = a.len_of(Axis(0));
        let show_summary = self.summarize && 2 * self.edgeitems < a_len;
        let (leading, trailing) = if show_summary {
            (self.edgeitems, self.edgeitems)
        } else {
            (0, a_len)
        };
        let sub = |i: usize| self.recurse(a.index_axis(Axis(0), i), &next_hanging, next_width);
        let sep_trimmed = self.separator.trim_end();
        let mut s = String::new();
        if a.ndim() == 1 {
            let elem_width = curr_width - sep_trimmed.len().max(1) as isize;
            let mut line = hanging_indent.to_string();
            for i in 0..leading {
                extend_line(&mut s, &mut line, &sub(i), elem_width, hanging_indent);
                line.push_str(self.separator);
            }
            if show_summary {
                extend_line(&mut s, &mut line, "...", elem_width, hanging_indent);
                line.push_str(self.separator);
            }
            for i in (2..=trailing).rev() {
                extend_line(
                    &mut s,
                    &mut line,
                    &sub(a_len - i),
                    elem_width,
                    hanging_indent,
                );
                line.push_str(self.separator);
            }
            extend_line(
                &mut s,
                &mut line,
                &sub(a_len - 1),
                elem_width,
                hanging_indent,
            );
            s.push_str(&line);
        } else {
            let line_sep = format!("{sep_trimmed}{}", "\n".repeat(a.ndim() - 1));
            for i in 0..leading {
                s.push_str(hanging_indent);
                s.push_str(&sub(i));
                s.push_str(&line_sep);
            }
            if show_summary {
                s.push_str(hanging_indent);
                s.push_str("...");
                s.push_str(&line_sep);
            }
            for i in (2..=trailing).rev() {
                s.push_str(hanging_indent);
                s.push_str(&sub(a_len - i));
                s.push_str(&line_sep);
            }
            s.push_str(hanging_indent);
            s.push_str(&sub(a_len - 1));
        }
        format!("[{}]", &s[hanging_indent.len()..])
    }
}

/// Append `word` to `line`, first flushing `line` into `s` when it would grow past `width`
/// (unless wrapping would not help because the line holds only the indent).
fn extend_line(s: &mut String, line: &mut String, word: &str, width: isize, next_prefix: &str) {
    let needs_wrap = (line.len() + word.len()) as isize > width && line.len() > next_prefix.len();
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        line.clear();
        line.push_str(next_prefix);
    }
    line.push_str(word);
}

/// Element types the formatter knows.
trait ReprElem: Copy + 'static {
    /// numpy's per-array element formatter, built from the (possibly summarized) data.
    fn formatter(data: &[Self], is_0d: bool, opts: &PrintOptions) -> Box<dyn Fn(Self) -> String>;
    /// `str()` of the numpy scalar.
    fn scalar_str(self) -> String;
}

impl ReprElem for bool {
    fn formatter(_: &[bool], is_0d: bool, _: &PrintOptions) -> Box<dyn Fn(bool) -> String> {
        let t = if is_0d { "True" } else { " True" };
        Box::new(move |b| if b { t.into() } else { "False".into() })
    }
    fn scalar_str(self) -> String {
        if self { "True" } else { "False" }.into()
    }
}

macro_rules! int_repr {
    ($($t:ty),*) => {$(
        impl ReprElem for $t {
            fn formatter(data: &[$t], _: bool, _: &PrintOptions) -> Box<dyn Fn($t) -> String> {
                let width = data.iter().map(|v| v.to_string().len()).max().unwrap_or(0);
                Box::new(move |v| format!("{v:>width$}"))
            }
            fn scalar_str(self) -> String {
                self.to_string()
            }
        }
    )*};
}
int_repr!(i64, i32, i16, i8, u64, u32, u16, u8);

/// A decimal number `±d.ddd × 10^exp` with no trailing zeros in `digits` (zero is `"0"`).
#[derive(Clone, Debug, PartialEq)]
struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

impl Decimal {
    /// Parse Rust's float formatting output: `-1.25e-5`, `1e16`, `0.00195312`, `-0e0`.
    fn parse(s: &str) -> Decimal {
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (mant, e) = match s.split_once('e') {
            Some((m, e)) => (m, e.parse::<i32>().expect("float exponent")),
            None => (s, 0),
        };
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
        match all.iter().position(|&d| d != b'0') {
            None => Decimal {
                neg,
                digits: vec![b'0'],
                exp: 0,
            },
            Some(k) => {
                let mut digits = all[k..].to_vec();
                while digits.len() > 1 && digits.last() == Some(&b'0') {
                    digits.pop();
                }
                Decimal {
                    neg,
                    digits,
                    exp: int.len() as i32 - 1 - k as i32 + e,
                }
            }
        }
    }

    fn sign(&self) -> &'static str {
        if self.neg {
            "-"
        } else {
            ""
        }
    }

    /// Positional integer part (with sign) and fractional digits.
    fn positional_parts(&self) -> (String, String) {
        let d = std::str::from_utf8(&self.digits).expect("ascii digits");
        if self.exp >= 0 {
            let e = self.exp as usize + 1;
            if d.len() <= e {
                (
                    format!("{}{d}{}", self.sign(), "0".repeat(e - d.len())),
                    String::new(),
                )
            } else {
                (format!("{}{}", self.sign(), &d[..e]), d[e..].to_string())
            }
        } else {
            (
                format!("{}0", self.sign()),
                format!("{}{d}", "0".repeat((-self.exp - 1) as usize)),
            )
        }
    }

    /// Scientific mantissa integer digit (with sign), mantissa fraction digits and exponent.
    fn scientific_parts(&self) -> (String, String, i32) {
        let d = std::str::from_utf8(&self.digits).expect("ascii digits");
        (
            format!("{}{}", self.sign(), &d[..1]),
            d[1..].to_string(),
            self.exp,
        )
    }
}

/// `e+05`-style exponent with at least `min_digits` digits.
fn exp_str(exp: i32, min_digits: usize) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("e{sign}{:0min_digits$}", exp.unsigned_abs())
}

/// The float types, with the operations the formatter needs done in their own precision.
trait ReprFloat:
    Copy + PartialOrd + fmt::LowerExp + fmt::Display + std::str::FromStr + 'static
{
    const ZERO: Self;
    /// numpy's scalar `str` switches to scientific notation at this magnitude.
    const SCALAR_SCI_ABOVE: f64;
    fn is_finite(self) -> bool;
    fn is_nan(self) -> bool;
    fn abs(self) -> Self;
    fn to_f64(self) -> f64;
    /// numpy's scientific-notation test on the nonzero finite magnitudes, in native precision.
    fn needs_exp(max: Self, min: Self) -> bool;

    /// Shortest round-trip digits; among equally short candidates the one nearest the exact
    /// value, ties to even (Dragon4's choice; Rust's own shortest formatting may round up).
    fn shortest(self) -> Decimal {
        let s = format!("{self:e}");
        let d = Decimal::parse(&s);
        let p = d.digits.len() - 1;
        let exact = format!("{self:.p$e}");
        if exact != s && exact.parse::<Self>().is_ok_and(|v| v == self) {
            Decimal::parse(&exact)
        } else {
            d
        }
    }
    /// Dragon4 positional, unique mode, at most `precision` fractional digits.
    fn positional(self, precision: usize) -> Decimal {
        let d = self.shortest();
        let frac = d.digits.len() as i32 - 1 - d.exp;
        if frac > precision as i32 {
            Decimal::parse(&format!("{self:.precision$}"))
        } else {
            d
        }
    }
    /// Dragon4 scientific, unique mode, at most `precision` mantissa fraction digits.
    fn scientific(self, precision: usize) -> Decimal {
        let d = self.shortest();
        if d.digits.len() - 1 > precision {
            Decimal::parse(&format!("{self:.precision$e}"))
        } else {
            d
        }
    }
}

impl ReprFloat for f64 {
    const ZERO: f64 = 0.0;
    const SCALAR_SCI_ABOVE: f64 = 1e16;
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn needs_exp(max: f64, min: f64) -> bool {
        max >= 1e8 || min < 1e-4 || max / min > 1e3
    }
}

impl ReprFloat for f32 {
    const ZERO: f32 = 0.0;
    const SCALAR_SCI_ABOVE: f64 = 1e6;
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn needs_exp(max: f32, min: f32) -> bool {
        // numpy >= 2.3 caps the cutoff at 10**finfo(dtype).precision: 1e6 for float32
        max >= 1e6 || min < 1e-4 || max / min > 1e3
    }
}

/// numpy's `FloatingFormat` after `fillFormat` (floatmode `maxprec`, sign `-`).
#[derive(Clone, Copy, Debug)]
struct FloatFormat {
    exp_format: bool,
    precision: usize,
    pad_left: usize,
    pad_right: usize,
    exp_size: usize,
}

impl FloatFormat {
    fn new<F: ReprFloat>(data: &[F], precision: usize) -> FloatFormat {
        let finite: Vec<F> = data.iter().copied().filter(|v| v.is_finite()).collect();
        let mut nonzero = finite.iter().filter(|&&v| v != F::ZERO).map(|v| v.abs());
        let mut exp_format = false;
        if let Some(first) = nonzero.next() {
            let (mut max, mut min) = (first, first);
            for v in nonzero {
                if v > max {
                    max = v;
                }
                if v < min {
                    min = v;
                }
            }
            exp_format = F::needs_exp(max, min);
        }
        let mut f = FloatFormat {
            exp_format,
            precision,
            pad_left: 0,
            pad_right: 0,
            exp_size: 0,
        };
        if finite.is_empty() {
            // only nan/inf: widths come from the non-finite adjustment below
        } else if exp_format {
            let mut exp_digits = 0;
            let mut frac_len = 0;
            let mut int_len = 0;
            for &v in &finite {
                let (i, fr, e) = v.scientific(precision).scientific_parts();
                int_len = int_len.max(i.len());
                frac_len = frac_len.max(fr.len());
                exp_digits = exp_digits.max(e.unsigned_abs().to_string().len().max(2));
            }
            f.exp_size = exp_digits;
            f.precision = frac_len;
            f.pad_left = int_len;
            f.pad_right = exp_digits + 2 + frac_len;
        } else {
            for &v in &finite {
                let (i, fr) = v.positional(precision).positional_parts();
                f.pad_left = f.pad_left.max(i.len());
                f.pad_right = f.pad_right.max(fr.len());
            }
        }
        if finite.len() != data.len() {
            let neginf = data
                .iter()
                .any(|&v| !v.is_finite() && !v.is_nan() && v < F::ZERO);
            let offset = f.pad_right as isize + 1;
            let pad = (f.pad_left as isize)
                .max(3 - offset)
                .max(3 + neginf as isize - offset);
            f.pad_left = pad as usize;
        }
        f
    }

    fn format<F: ReprFloat>(&self, x: F) -> String {
        if !x.is_finite() {
            let s = if x.is_nan() {
                "nan"
            } else if x < F::ZERO {
                "-inf"
            } else {
                "inf"
            };
            let width = self.pad_left + self.pad_right + 1;
            return format!("{s:>width$}");
        }
        let (pl, pr) = (self.pad_left, self.pad_right);
        if self.exp_format {
            // All elements show exactly `precision` mantissa digits; numpy's Dragon4 fills
            // digits beyond the unique ones from the exact binary value (not with zeros).
            let p = self.precision;
            let mut d = x.shortest();
            if d.digits.len() - 1 != p {
                d = Decimal::parse(&format!("{x:.p$e}"));
            }
            let (i, fr, e) = d.scientific_parts();
            format!("{i:>pl$}.{fr:0<p$}{}", exp_str(e, self.exp_size))
        } else {
            let (i, fr) = x.positional(self.precision).positional_parts();
            format!("{i:>pl$}.{fr:<pr$}")
        }
    }
}

/// `str()` of a numpy float scalar: Python's float repr rules on the type's own shortest
/// digits, switching to scientific below 1e-4 and at 1e16 (float64) or 1e6 (float32).
fn float_scalar_str<F: ReprFloat>(x: F) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if !x.is_finite() {
        return if x < F::ZERO { "-inf" } else { "inf" }.into();
    }
    let d = x.shortest();
    let a = x.to_f64().abs();
    if a == 0.0 || (1e-4..F::SCALAR_SCI_ABOVE).contains(&a) {
        let (i, fr) = d.positional_parts();
        let fr = if fr.is_empty() { "0".to_string() } else { fr };
        format!("{i}.{fr}")
    } else {
        let (i, fr, e) = d.scientific_parts();
        let dot = if fr.is_empty() { "" } else { "." };
        format!("{i}{dot}{fr}{}", exp_str(e, 2))
    }
}

macro_rules! float_repr {
    ($($t:ty),*) => {$(
        impl ReprElem for $t {
            fn formatter(data: &[$t], _: bool, opts: &PrintOptions) -> Box<dyn Fn($t) -> String> {
                let f = FloatFormat::new(data, opts.precision);
                Box::new(move |v| f.format(v))
            }
            fn scalar_str(self) -> String {
                float_scalar_str(self)
            }
        }
    )*};
}
float_repr!(f64, f32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parse() {
        let d = Decimal::parse("-1.25e-5");
        assert_eq!((d.neg, d.digits.as_slice(), d.exp), (true, &b"125"[..], -5));
        let d = Decimal::parse("0.00195312");
        assert_eq!((d.digits.as_slice(), d.exp), (&b"195312"[..], -3));
        let d = Decimal::parse("100.00");
        assert_eq!((d.digits.as_slice(), d.exp), (&b"1"[..], 2));
        assert_eq!(d.positional_parts(), ("100".into(), "".into()));
        let d = Decimal::parse("-0e0");
        assert_eq!(d.positional_parts(), ("-0".into(), "".into()));
    }

    #[test]
    fn dragon4_rounding_is_half_even_on_exact_value() {
        assert_eq!(
            0.001953125f64.positional(8).positional_parts().1,
            "00195312"
        );
        assert_eq!(
            0.005859375f64.positional(8).positional_parts().1,
            "00585938"
        );
        assert_eq!(0.1f32.positional(8).positional_parts().1, "1");
    }

    #[test]
    fn non_contiguous_views_print_in_logical_order() {
        let a = ndarray::Array::from_shape_vec((2, 3), (0..6i64).collect()).unwrap();
        let t = Tensor::from(a.t());
        assert_eq!(
            format!("{t:?}"),
            "array([[0, 3],\n       [1, 4],\n       [2, 5]])"
        );
        // a reversed (negative-stride) view stored directly in the tensor
        let mut r = Tensor::from(vec![1i64, 2, 3]);
        r.as_array_mut::<i64>().unwrap().invert_axis(Axis(0));
        assert_eq!(format!("{r:?}"), "array([3, 2, 1])");
    }

    #[test]
    fn custom_print_options() {
        // numpy.set_printoptions(precision=3, linewidth=20, threshold=5, edgeitems=1)
        let o = PrintOptions {
            precision: 3,
            linewidth: 20,
            threshold: 5,
            edgeitems: 1,
        };
        let t = Tensor::from(vec![0.123456, 2.0]);
        assert_eq!(t.to_numpy_repr_with(&o), "array([0.123,\n       2.   ])");
        let t = Tensor::from((0..10i64).collect::<Vec<_>>());
        assert_eq!(
            t.to_numpy_repr_with(&o),
            "array([0, ..., 9],\n      shape=(10,))"
        );
        let t = Tensor::from((0..5i64).collect::<Vec<_>>());
        assert_eq!(t.to_numpy_repr_with(&o), "array([0, 1, 2, 3,\n       4])");
        assert_eq!(t.to_numpy_repr(), format!("{t:?}"));
        assert_eq!(t.to_numpy_str(), format!("{t}"));
    }
}
