//! Theano 1.0's pooling ops (`theano/tensor/signal/pool.py`) over the last `ndim` axes:
//! `Pool` (inputs x, ws, stride, pad: the last three integer vectors of `ndim` lengths),
//! `MaxPoolGrad` (x, maxout, gz, ws, stride, pad), `AveragePoolGrad` (x, gz, ws, stride,
//! pad) and `DownsampleFactorMaxGradGrad` (x, maxout, ggx, ws, stride, pad). Their
//! parameters, window and length rules, type rules, Theano's names and the text form's
//! parser, kept together (the builders are `tensor/pool.rs`, the values theano-interp's
//! `pool.rs`, the gradients theano-grad's `rules/pool.rs`).

use crate::op::Op;
use crate::types::TensorType;
use std::fmt;
use theano_tensor::DType;

/// Which of the four ops.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PoolKind {
    Pool,
    MaxPoolGrad,
    AveragePoolGrad,
    /// `DownsampleFactorMaxGradGrad`: the gradient of `MaxPoolGrad` with respect to its
    /// output gradient (and the R-operator of max pooling).
    MaxPoolGradGrad,
}

impl PoolKind {
    pub const ALL: [PoolKind; 4] = [
        PoolKind::Pool,
        PoolKind::MaxPoolGrad,
        PoolKind::AveragePoolGrad,
        PoolKind::MaxPoolGradGrad,
    ];
    pub fn name(self) -> &'static str {
        match self {
            PoolKind::Pool => "Pool",
            PoolKind::MaxPoolGrad => "MaxPoolGrad",
            PoolKind::AveragePoolGrad => "AveragePoolGrad",
            PoolKind::MaxPoolGradGrad => "DownsampleFactorMaxGradGrad",
        }
    }
    /// The inputs before ws, stride and pad.
    pub fn n_tensors(self) -> usize {
        match self {
            PoolKind::Pool => 1,
            PoolKind::AveragePoolGrad => 2,
            PoolKind::MaxPoolGrad | PoolKind::MaxPoolGradGrad => 3,
        }
    }
}

/// What a window computes: its maximum, its sum, or its mean counting the padding's zeros
/// (`average_inc_pad`) or not (`average_exc_pad`). Max and sum never read the padding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PoolMode {
    Max,
    Sum,
    AverageIncPad,
    AverageExcPad,
}

impl PoolMode {
    pub const ALL: [PoolMode; 4] = [
        PoolMode::Max,
        PoolMode::Sum,
        PoolMode::AverageIncPad,
        PoolMode::AverageExcPad,
    ];
    pub fn name(self) -> &'static str {
        match self {
            PoolMode::Max => "max",
            PoolMode::Sum => "sum",
            PoolMode::AverageIncPad => "average_inc_pad",
            PoolMode::AverageExcPad => "average_exc_pad",
        }
    }
    /// Theano's name (`max_deterministic` is `max`).
    pub fn from_name(s: &str) -> Option<PoolMode> {
        if s == "max_deterministic" {
            return Some(PoolMode::Max);
        }
        PoolMode::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// The output length of one pooled axis of `len` (padded by `pad` on both sides) with
/// windows of `ws` every `stride` (Theano's `Pool.out_shape`).
pub fn out_len(len: usize, ws: usize, stride: usize, pad: usize, ignore_border: bool) -> usize {
    let v = (len + 2 * pad) as i64;
    let (ws, st) = (ws as i64, stride.max(1) as i64);
    let n = if ignore_border {
        if ws == st {
            v.div_euclid(st)
        } else {
            ((v - ws).div_euclid(st) + 1).max(0)
        }
    } else if st >= ws {
        (v - 1).div_euclid(st) + 1
    } else {
        (v - 1 - ws + st).div_euclid(st).max(0) + 1
    };
    n.max(0) as usize
}

/// The window `j` of one axis in the original (unpadded) coordinates, and the count its
/// mean divides by: what `Pool` reads (and its gradients write). `inc_pad` windows run over
/// the padding too (its zeros count in the mean), others are cut to the image.
pub fn window(
    j: usize,
    len: usize,
    ws: usize,
    stride: usize,
    pad: usize,
    inc_pad: bool,
) -> (usize, usize, usize) {
    let padded = len + 2 * pad;
    let start = j * stride;
    let end = (start + ws).min(padded);
    let (s, e) = if inc_pad {
        (start, end)
    } else {
        (start.max(pad), end.min(padded - pad))
    };
    let count = e.saturating_sub(s);
    // back to the image's coordinates, cut to it (an inc_pad window's padding reads zeros)
    let lo = s.max(pad).min(pad + len) - pad;
    let hi = e.max(pad).min(pad + len) - pad;
    (lo, hi.max(lo), count)
}

/// Theano's name with its parameters: `Pool{ignore_border=True, mode='max', ndim=2}`.
pub(crate) fn fmt(
    kind: PoolKind,
    ignore_border: bool,
    mode: PoolMode,
    ndim: usize,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    write!(
        f,
        "{}{{ignore_border={}, mode='{}', ndim={ndim}}}",
        kind.name(),
        if ignore_border { "True" } else { "False" },
        mode.name()
    )
}

/// The op's checks (Theano's constructors and `make_node`s) and its output type: the pooled
/// input's dtype; `Pool` keeps the leading axes' pattern, the gradients are x's type, and
/// `DownsampleFactorMaxGradGrad` maxout's.
pub(crate) fn infer_types(
    kind: PoolKind,
    mode: PoolMode,
    ndim: usize,
    ins: &[TensorType],
) -> Result<Vec<TensorType>, String> {
    check_mode(kind, mode)?;
    let n = kind.n_tensors();
    if ins.len() != n + 3 {
        return Err(format!(
            "{} takes {} inputs, got {}",
            kind.name(),
            n + 3,
            ins.len()
        ));
    }
    if ndim == 0 {
        return Err("ndim must be positive".into());
    }
    let x = ins[0];
    if x.ndim() < ndim {
        return Err(format!(
            "{} requires input with {ndim} or more dimensions, got {x}",
            kind.name()
        ));
    }
    if x.dtype == DType::Bool {
        return Err(format!("{} pools numbers, got {x}", kind.name()));
    }
    for t in &ins[1..n] {
        if t.ndim() != x.ndim() {
            return Err(format!(
                "{}: x, maxout and the gradients must have one rank, got {x} and {t}",
                kind.name()
            ));
        }
    }
    for (t, what) in ins[n..].iter().zip(["downsample", "Stride", "Padding"]) {
        if !t.dtype.is_int() || t.ndim() != 1 {
            let what = if what == "downsample" {
                "Pool downsample"
            } else {
                what
            };
            return Err(format!("{what} parameters must be ints, got {t}"));
        }
    }
    let out = match kind {
        PoolKind::Pool => {
            let mut b = x.broadcastable();
            let k = b.len();
            for d in &mut b[k - ndim..] {
                *d = false;
            }
            TensorType::new(x.dtype, &b)?
        }
        PoolKind::MaxPoolGrad | PoolKind::AveragePoolGrad => x,
        PoolKind::MaxPoolGradGrad => TensorType::new(x.dtype, &ins[1].broadcastable())?,
    };
    Ok(vec![out])
}

fn check_mode(kind: PoolKind, mode: PoolMode) -> Result<(), String> {
    let ok = match kind {
        PoolKind::Pool => true,
        PoolKind::MaxPoolGrad | PoolKind::MaxPoolGradGrad => mode == PoolMode::Max,
        PoolKind::AveragePoolGrad => mode != PoolMode::Max,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{} has no mode '{}'", kind.name(), mode.name()))
    }
}

/// The op named `head` with parameters `params`, or `None` when `head` is none of this
/// module's names.
pub(crate) fn parse(head: &str, params: Option<&str>) -> Option<Result<Op, String>> {
    let kind = PoolKind::ALL.into_iter().find(|k| k.name() == head)?;
    Some((|| {
        let text = params.ok_or_else(|| format!("`{head}` needs parameters in braces"))?;
        let (mut ib, mut mode, mut ndim) = (None, None, None);
        for part in text.split(',') {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("expected `name=value`, found `{part}`"))?;
            let v = v.trim();
            match k.trim() {
                "ignore_border" => {
                    ib = Some(match v {
                        "True" => true,
                        "False" => false,
                        _ => return Err(format!("expected True or False, found `{v}`")),
                    })
                }
                "mode" => {
                    let m = v
                        .strip_prefix('\'')
                        .and_then(|r| r.strip_suffix('\''))
                        .and_then(PoolMode::from_name)
                        .ok_or_else(|| format!("unknown pooling mode {v}"))?;
                    mode = Some(m);
                }
                "ndim" => {
                    ndim = Some(
                        v.parse::<usize>()
                            .map_err(|_| format!("expected a number of axes, found `{v}`"))?,
                    )
                }
                other => return Err(format!("unknown parameter `{other}`")),
            }
        }
        let (Some(ignore_border), Some(mode), Some(ndim)) = (ib, mode, ndim) else {
            return Err(format!(
                "`{head}` needs ignore_border, mode and ndim, found `{text}`"
            ));
        };
        if ndim == 0 {
            return Err("ndim must be positive".into());
        }
        check_mode(kind, mode)?;
        Ok(Op::Pool {
            kind,
            ignore_border,
            mode,
            ndim,
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_windows_are_theanos() {
        // ignore_border: whole windows only; else a partial last window
        assert_eq!(out_len(6, 2, 2, 0, true), 3);
        assert_eq!(out_len(7, 2, 2, 0, true), 3);
        assert_eq!(out_len(7, 2, 2, 0, false), 4);
        assert_eq!(out_len(7, 3, 2, 0, true), 3);
        assert_eq!(out_len(6, 3, 2, 0, false), 3);
        assert_eq!(out_len(5, 3, 3, 2, true), 3);
        assert_eq!(out_len(1, 3, 1, 0, true), 0);
        assert_eq!(out_len(0, 2, 2, 0, false), 0);
        // a padded window: cut to the image, or counting the padding
        assert_eq!(window(0, 5, 3, 3, 2, false), (0, 1, 1));
        assert_eq!(window(0, 5, 3, 3, 2, true), (0, 1, 3));
        assert_eq!(window(2, 5, 3, 3, 2, false), (4, 5, 1));
        assert_eq!(window(1, 7, 2, 2, 0, false), (2, 4, 2));
        assert_eq!(window(3, 7, 2, 2, 0, false), (6, 7, 1));
    }
}
