//! Theano 1.0's 2-D convolution ops (`theano/tensor/nnet/abstract_conv.py`):
//! `AbstractConv2d` (a minibatch of images `(b, c, h, w)` with filters `(o, c / groups, kh,
//! kw)`), its gradient with respect to the filters (`AbstractConv2d_gradWeights`: inputs the
//! images, the output's gradient and the filters' `(kh, kw)`) and with respect to the images
//! (`AbstractConv2d_gradInputs`: inputs the filters, the output's gradient and the images'
//! `(h, w)`). Their parameters, padding and length rules, type rules, Theano's names and the
//! text form's parser, kept together (the builders are `tensor/conv.rs`, the values
//! theano-interp's `conv.rs`, the gradients theano-grad's `rules/conv.rs`).

use crate::op::Op;
use crate::types::TensorType;
use std::fmt;

/// The largest stride, dilation, padding or group count (a C int, as in Theano's C code).
pub const MAX_PARAM: usize = i32::MAX as usize;

/// Which of the three ops.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ConvKind {
    /// `AbstractConv2d`
    Forward,
    /// `AbstractConv2d_gradWeights`
    GradWeights,
    /// `AbstractConv2d_gradInputs`
    GradInputs,
}

impl ConvKind {
    pub fn name(self) -> &'static str {
        match self {
            ConvKind::Forward => "AbstractConv2d",
            ConvKind::GradWeights => "AbstractConv2d_gradWeights",
            ConvKind::GradInputs => "AbstractConv2d_gradInputs",
        }
    }
}

/// Theano's `border_mode`, normalized as its constructor normalizes it: an all-zero padding
/// is `Valid`, a pair of equal sides is one number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Border {
    Valid,
    Full,
    /// `filter size // 2` on each side (the output keeps an odd filter's input size).
    Half,
    /// Zeros added before and after, per axis (rows, columns).
    Pad([(usize, usize); 2]),
}

impl Border {
    /// A padding per axis as Theano's constructor keeps it.
    pub fn pad(rows: (usize, usize), cols: (usize, usize)) -> Border {
        if rows == (0, 0) && cols == (0, 0) {
            Border::Valid
        } else {
            Border::Pad([rows, cols])
        }
    }

    /// Theano's integer `border_mode`: `n` zeros on every side.
    pub fn uniform(n: usize) -> Border {
        Border::pad((n, n), (n, n))
    }

    /// The zeros before and after each axis for a dilated filter of `dil_k` rows and columns
    /// (Theano's `border_mode_to_pad`).
    pub fn sides(self, dil_k: [usize; 2]) -> [(usize, usize); 2] {
        match self {
            Border::Valid => [(0, 0); 2],
            Border::Full => dil_k.map(|k| (k - 1, k - 1)),
            Border::Half => dil_k.map(|k| (k / 2, k / 2)),
            Border::Pad(p) => p,
        }
    }
}

impl fmt::Display for Border {
    /// Theano's repr: `'valid'`, `'half'`, `(1, 2)`, `((1, 0), 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Border::Valid => f.write_str("'valid'"),
            Border::Full => f.write_str("'full'"),
            Border::Half => f.write_str("'half'"),
            Border::Pad(p) => {
                let side = |(a, b): (usize, usize)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("({a}, {b})")
                    }
                };
                write!(f, "({}, {})", side(p[0]), side(p[1]))
            }
        }
    }
}

/// The parameters the three ops share (Theano's `__props__` but `convdim`, always 2, and
/// `unshared`, always false).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ConvParams {
    pub border: Border,
    /// The output's stride (rows, columns).
    pub subsample: [usize; 2],
    /// Convolve (flip the filters) rather than correlate.
    pub filter_flip: bool,
    /// The images' shape as known when built (`None`: unknown).
    pub imshp: [Option<usize>; 4],
    /// The filters' shape as known when built.
    pub kshp: [Option<usize>; 4],
    /// The filters' dilation (rows, columns).
    pub dilation: [usize; 2],
    /// Channels and filters split into this many independent groups.
    pub num_groups: usize,
}

impl Default for ConvParams {
    fn default() -> ConvParams {
        ConvParams {
            border: Border::Valid,
            subsample: [1, 1],
            filter_flip: true,
            imshp: [None; 4],
            kshp: [None; 4],
            dilation: [1, 1],
            num_groups: 1,
        }
    }
}

impl ConvParams {
    /// Theano's constructor checks.
    pub fn check(&self) -> Result<(), String> {
        if self.subsample.contains(&0) {
            return Err(format!(
                "subsample must be positive, got {:?}",
                self.subsample
            ));
        }
        if self.dilation.contains(&0) {
            return Err(format!(
                "filter_dilation must be positive, got {:?}",
                self.dilation
            ));
        }
        if self.num_groups < 1 {
            return Err("num_groups must have value greater than zero".into());
        }
        // Theano's C code keeps these in C ints; bounding them keeps every length computed
        // from them inside i64
        let sides = match self.border {
            Border::Pad(p) => vec![p[0].0, p[0].1, p[1].0, p[1].1],
            _ => Vec::new(),
        };
        let big = self
            .subsample
            .iter()
            .chain(&self.dilation)
            .chain(&sides)
            .chain(std::iter::once(&self.num_groups))
            .any(|&v| v > MAX_PARAM);
        if big {
            return Err(format!(
                "subsample, filter_dilation, the padding and num_groups must be at most \
                 {MAX_PARAM}, got {:?}, {:?}, {}, {}",
                self.subsample, self.dilation, self.border, self.num_groups
            ));
        }
        Ok(())
    }

    /// A filter of `k` rows and columns as dilated (a zero length counts as one: the ops
    /// refuse filters without rows or columns before they compute).
    pub fn dilated(&self, k: [usize; 2]) -> [usize; 2] {
        [0, 1].map(|i| {
            (k[i].max(1) - 1)
                .saturating_mul(self.dilation[i])
                .saturating_add(1)
        })
    }

    /// The output's rows and columns for images of `img` and filters of `k` rows and
    /// columns (Theano's `get_conv_shape_1axis`), or `None` where the padded image is
    /// shorter than the dilated filter by more than a stride (NumPy's negative dimension).
    pub fn out_len(&self, img: [usize; 2], k: [usize; 2]) -> [Option<usize>; 2] {
        let dk = self.dilated(k);
        let pad = self.border.sides(dk);
        [0, 1].map(|i| {
            // Theano's perform: the stride-1 valid convolution of the padded image, then
            // every `subsample`-th position; a negative length is NumPy's error
            let full = img[i] as i128 + pad[i].0 as i128 + pad[i].1 as i128 - dk[i] as i128 + 1;
            if full < 0 {
                return None;
            }
            let s = self.subsample[i] as i128;
            usize::try_from((full + s - 1) / s).ok()
        })
    }
}

fn opt_tuple(v: &[Option<usize>; 4]) -> String {
    let s: Vec<String> = v
        .iter()
        .map(|d| d.map_or_else(|| "None".into(), |d| d.to_string()))
        .collect();
    format!("({})", s.join(", "))
}

/// Theano's name with every parameter: `AbstractConv2d{convdim=2, border_mode='valid',
/// subsample=(1, 1), filter_flip=True, imshp=(None, None, None, None), kshp=(None, None,
/// None, None), filter_dilation=(1, 1), num_groups=1, unshared=False}`. The text form is the
/// same and parses back.
pub(crate) fn fmt(kind: ConvKind, p: &ConvParams, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let py_bool = |b: bool| if b { "True" } else { "False" };
    write!(
        f,
        "{}{{convdim=2, border_mode={}, subsample=({}, {}), filter_flip={}, imshp={}, \
         kshp={}, filter_dilation=({}, {}), num_groups={}, unshared=False}}",
        kind.name(),
        p.border,
        p.subsample[0],
        p.subsample[1],
        py_bool(p.filter_flip),
        opt_tuple(&p.imshp),
        opt_tuple(&p.kshp),
        p.dilation[0],
        p.dilation[1],
        p.num_groups
    )
}

/// The types of a node's outputs (Theano's `make_node`s): images and filters are 4-d; the
/// output has the images' dtype (the forward op and `gradWeights`) or the filters'
/// (`gradInputs`); the lengths given to a gradient op are an integer vector.
pub(crate) fn infer_types(
    kind: ConvKind,
    p: &ConvParams,
    ins: &[TensorType],
) -> Result<Vec<TensorType>, String> {
    p.check()?;
    let want = if kind == ConvKind::Forward { 2 } else { 3 };
    if ins.len() != want {
        return Err(format!(
            "{} takes {want} inputs, got {}",
            kind.name(),
            ins.len()
        ));
    }
    let (names, out_dtype_from): (&[&str], usize) = match kind {
        ConvKind::Forward => (&["img", "kern"], 0),
        ConvKind::GradWeights => (&["img", "topgrad"], 0),
        ConvKind::GradInputs => (&["kern", "topgrad"], 0),
    };
    for (t, name) in ins.iter().zip(names) {
        if t.ndim() != 4 {
            return Err(format!("{name} must be 4D tensor, got {t}"));
        }
        if t.dtype == theano_tensor::DType::Bool {
            return Err(format!("{name} must be numeric, got {t}"));
        }
    }
    if kind != ConvKind::Forward && (ins[2].ndim() != 1 || !ins[2].dtype.is_int()) {
        return Err(format!(
            "the {} lengths must be an integer vector, got {}",
            if kind == ConvKind::GradWeights {
                "filters'"
            } else {
                "images'"
            },
            ins[2]
        ));
    }
    let (a, b) = (ins[0].broadcastable(), ins[1].broadcastable());
    let bcast = match kind {
        ConvKind::Forward => [a[0], b[0], false, false],
        ConvKind::GradWeights => [b[1], a[1], false, false],
        ConvKind::GradInputs => [b[0], p.num_groups == 1 && a[1], false, false],
    };
    Ok(vec![TensorType::new(ins[out_dtype_from].dtype, &bcast)?])
}

/// The op named `head` with parameters `params`, or `None` when `head` is none of this
/// module's names.
pub(crate) fn parse(head: &str, params: Option<&str>) -> Option<Result<Op, String>> {
    let kind = [
        ConvKind::Forward,
        ConvKind::GradWeights,
        ConvKind::GradInputs,
    ]
    .into_iter()
    .find(|k| k.name() == head)?;
    Some((|| {
        let text = params.ok_or_else(|| format!("`{head}` needs parameters in braces"))?;
        let params = parse_params(text)?;
        params.check()?;
        Ok(Op::AbstractConv2d {
            kind,
            params: Box::new(params),
        })
    })())
}

/// Splits `a=1, b=(1, 2), c='x'` at the top-level commas.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

fn parse_usize(s: &str) -> Result<usize, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected a non-negative integer, found `{}`", s.trim()))
}

fn parse_tuple(s: &str) -> Result<Vec<&str>, String> {
    let inner = s
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("expected a tuple, found `{s}`"))?;
    Ok(split_top(inner))
}

fn parse_pair(s: &str) -> Result<[usize; 2], String> {
    match parse_tuple(s)?[..] {
        [a, b] => Ok([parse_usize(a)?, parse_usize(b)?]),
        _ => Err(format!("expected a pair, found `{s}`")),
    }
}

fn parse_shape(s: &str) -> Result<[Option<usize>; 4], String> {
    let parts = parse_tuple(s)?;
    if parts.len() != 4 {
        return Err(format!("expected four lengths, found `{s}`"));
    }
    let mut out = [None; 4];
    for (o, p) in out.iter_mut().zip(parts) {
        *o = if p == "None" {
            None
        } else {
            Some(parse_usize(p)?)
        };
    }
    Ok(out)
}

fn parse_border(s: &str) -> Result<Border, String> {
    match s.trim() {
        "'valid'" => return Ok(Border::Valid),
        "'full'" => return Ok(Border::Full),
        "'half'" => return Ok(Border::Half),
        _ => {}
    }
    let parts = parse_tuple(s)?;
    if parts.len() != 2 {
        return Err(format!("expected a padding per axis, found `{s}`"));
    }
    let side = |p: &str| -> Result<(usize, usize), String> {
        if p.starts_with('(') {
            let [a, b] = parse_pair(p)?;
            Ok((a, b))
        } else {
            let a = parse_usize(p)?;
            Ok((a, a))
        }
    };
    Ok(Border::pad(side(parts[0])?, side(parts[1])?))
}

fn parse_params(text: &str) -> Result<ConvParams, String> {
    let mut p = ConvParams::default();
    let py_bool = |v: &str| match v {
        "True" => Ok(true),
        "False" => Ok(false),
        _ => Err(format!("expected True or False, found `{v}`")),
    };
    for part in split_top(text) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("expected `name=value`, found `{part}`"))?;
        let value = value.trim();
        match key.trim() {
            "convdim" if value == "2" => {}
            "unshared" if value == "False" => {}
            "convdim" | "unshared" => {
                return Err(format!(
                    "only convdim=2, unshared=False convolutions exist here, found `{part}`"
                ))
            }
            "border_mode" => p.border = parse_border(value)?,
            "subsample" => p.subsample = parse_pair(value)?,
            "filter_flip" => p.filter_flip = py_bool(value)?,
            "imshp" => p.imshp = parse_shape(value)?,
            "kshp" => p.kshp = parse_shape(value)?,
            "filter_dilation" => p.dilation = parse_pair(value)?,
            "num_groups" => p.num_groups = parse_usize(value)?,
            k => return Err(format!("unknown parameter `{k}`")),
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_pads_are_theanos() {
        let mut p = ConvParams::default();
        assert_eq!(p.out_len([5, 6], [2, 3]), [Some(4), Some(4)]);
        p.border = Border::Full;
        assert_eq!(p.out_len([4, 4], [3, 2]), [Some(6), Some(5)]);
        p.border = Border::Half;
        p.subsample = [2, 2];
        assert_eq!(p.out_len([7, 6], [3, 3]), [Some(4), Some(3)]);
        p.border = Border::pad((1, 1), (2, 2));
        p.subsample = [2, 1];
        p.dilation = [2, 1];
        assert_eq!(p.out_len([7, 8], [2, 3]), [Some(4), Some(10)]);
        // a filter longer than the image: an empty output, then NumPy's negative length
        let v = ConvParams::default();
        assert_eq!(v.out_len([5, 6], [6, 2]), [Some(0), Some(5)]);
        assert_eq!(v.out_len([5, 6], [8, 2]), [None, Some(5)]);
        // Theano's perform errs for a padded image shorter than the filter whatever the stride
        let strided = ConvParams {
            subsample: [2, 2],
            ..ConvParams::default()
        };
        assert_eq!(strided.out_len([4, 5], [6, 2]), [None, Some(2)]);
        assert_eq!(strided.out_len([5, 6], [6, 2]), [Some(0), Some(3)]);
        assert!(ConvParams {
            subsample: [1, MAX_PARAM + 1],
            ..ConvParams::default()
        }
        .check()
        .is_err());
        assert_eq!(Border::pad((0, 0), (0, 0)), Border::Valid);
        assert_eq!(Border::pad((1, 0), (2, 2)).to_string(), "((1, 0), 2)");
        assert_eq!(
            parse_border("((1, 0), 2)").unwrap(),
            Border::pad((1, 0), (2, 2))
        );
    }
}
