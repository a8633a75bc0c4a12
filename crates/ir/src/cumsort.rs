//! Theano 1.0's `CumOp` (`cumsum`, `cumprod`), `SortOp`/`ArgSortOp`, `RepeatOp`, `Nonzero` and
//! `PermuteRowElements`:
//! their parameters, type rules, printed names and text-form parameters, kept together (the
//! builders are in `tensor/cumsort.rs`, the values in theano-interp's `cumsort.rs`).

use crate::op::Op;
use crate::types::TensorType;
use std::fmt;
use theano_tensor::DType;

/// `CumOp`'s mode: a running sum (`cumsum`) or product (`cumprod`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CumMode {
    Add,
    Mul,
}

impl CumMode {
    pub fn name(self) -> &'static str {
        match self {
            CumMode::Add => "add",
            CumMode::Mul => "mul",
        }
    }
}

/// The algorithm a sort names (numpy's `kind`). Every kind sorts stably here, so `sort` gives
/// numpy's values for each and `argsort` numpy's indices wherever no two keys tie (docs/
/// ARCHITECTURE.md, Decisions).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SortKind {
    Quicksort,
    Mergesort,
    Heapsort,
    Stable,
}

impl SortKind {
    pub const ALL: [SortKind; 4] = [
        SortKind::Quicksort,
        SortKind::Mergesort,
        SortKind::Heapsort,
        SortKind::Stable,
    ];
    pub fn name(self) -> &'static str {
        match self {
            SortKind::Quicksort => "quicksort",
            SortKind::Mergesort => "mergesort",
            SortKind::Heapsort => "heapsort",
            SortKind::Stable => "stable",
        }
    }
    /// The kind numpy calls `name`.
    pub fn from_name(name: &str) -> Option<SortKind> {
        SortKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// An axis as Theano's ops keep it (negative from the end) resolved against `ndim`, or why not.
pub fn resolve_axis(axis: i64, ndim: usize) -> Option<usize> {
    let n = ndim as i64;
    if axis >= n || axis < -n {
        None
    } else {
        Some(axis.rem_euclid(n.max(1)) as usize)
    }
}

/// The output types of the ops of this module.
pub(crate) fn infer_types(op: &Op, ins: &[TensorType]) -> Result<Vec<TensorType>, String> {
    let n_in = |n: usize| -> Result<(), String> {
        if ins.len() == n {
            Ok(())
        } else {
            Err(format!("expects {n} inputs, got {}", ins.len()))
        }
    };
    match op {
        Op::CumOp { axis, .. } => {
            n_in(1)?;
            let x = ins[0];
            match axis {
                None => Ok(vec![TensorType::vector(x.dtype)]),
                Some(a) => {
                    if resolve_axis(*a, x.ndim()).is_none() {
                        return Err(format!(
                            "axis(={a}) out of bounds: x is {x}, whose axes are -{n}..{n}",
                            n = x.ndim()
                        ));
                    }
                    Ok(vec![x])
                }
            }
        }
        Op::Sort { .. } | Op::ArgSort { .. } => {
            n_in(2)?;
            let (x, axis) = (ins[0], ins[1]);
            if axis.ndim() != 0 || !axis.dtype.is_int() {
                return Err(format!("the axis must be an integer scalar, got {axis}"));
            }
            if x.ndim() == 0 {
                return Err(format!("cannot sort a scalar (x is {x})"));
            }
            let d = if matches!(op, Op::Sort { .. }) {
                x.dtype
            } else {
                DType::Int64
            };
            Ok(vec![TensorType::new(d, &x.broadcastable())?])
        }
        Op::Repeat { axis } => {
            n_in(2)?;
            let (x, r) = (ins[0], ins[1]);
            if !r.dtype.is_int() || r.ndim() > 1 {
                return Err(format!(
                    "repeats must be an integer scalar or vector, got {r}"
                ));
            }
            match axis {
                None => Ok(vec![TensorType::vector(x.dtype)]),
                Some(a) => {
                    let Some(k) = resolve_axis(*a, x.ndim()) else {
                        return Err(format!(
                            "axis(={a}) out of bounds: x is {x}, whose axes are -{n}..{n}",
                            n = x.ndim()
                        ));
                    };
                    let mut b = x.broadcastable();
                    b[k] = false;
                    Ok(vec![TensorType::new(x.dtype, &b)?])
                }
            }
        }
        Op::Nonzero => {
            n_in(1)?;
            if ins[0].ndim() == 0 {
                return Err(format!(
                    "Nonzero only supports non-scalar arrays, got {}",
                    ins[0]
                ));
            }
            Ok(vec![TensorType::matrix(DType::Int64)])
        }
        Op::PermuteRowElements => {
            n_in(3)?;
            let (x, y, inv) = (ins[0], ins[1], ins[2]);
            if !y.dtype.is_int() {
                return Err(format!(
                    "PermuteRowElements: the permutations must be integers, got {y}"
                ));
            }
            if !inv.dtype.is_int() || inv.ndim() != 0 {
                return Err(format!(
                    "PermuteRowElements: inverse must be an integer scalar, got {inv}"
                ));
            }
            if x.ndim() != y.ndim() || x.ndim() == 0 {
                return Err(format!(
                    "PermuteRowElements: x and the permutations must have one rank, at least \
                     1 (permute_row_elements pads the lower), got {x} and {y}"
                ));
            }
            let b: Vec<bool> = x
                .broadcastable()
                .iter()
                .zip(y.broadcastable())
                .map(|(a, b)| *a && b)
                .collect();
            Ok(vec![TensorType::new(x.dtype, &b)?])
        }
        _ => unreachable!("cumsort::infer_types called for {op}"),
    }
}

fn opt_axis(a: &Option<i64>) -> String {
    a.map_or_else(|| "None".to_string(), |a| a.to_string())
}

/// Theano's names: `CumOp{None, add}`, `SortOp{quicksort, None}`, `ArgSortOp{quicksort,
/// None}`, `RepeatOp{axis=1}`, `Nonzero`. The text form is the same and parses back.
pub(crate) fn fmt(op: &Op, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match op {
        Op::CumOp { axis, mode } => write!(f, "CumOp{{{}, {}}}", opt_axis(axis), mode.name()),
        Op::Sort { kind } => write!(f, "SortOp{{{}, None}}", kind.name()),
        Op::ArgSort { kind } => write!(f, "ArgSortOp{{{}, None}}", kind.name()),
        Op::Repeat { axis } => write!(f, "RepeatOp{{axis={}}}", opt_axis(axis)),
        Op::Nonzero => f.write_str("Nonzero"),
        Op::PermuteRowElements => f.write_str("PermuteRowElements"),
        _ => unreachable!("cumsort::fmt called for another op"),
    }
}

/// The op of this module named `head` with parameters `params` (the inside of the braces), or
/// `None` when `head` is none of its names.
pub(crate) fn parse(head: &str, params: Option<&str>) -> Option<Result<Op, String>> {
    let axis_of = |s: &str| -> Result<Option<i64>, String> {
        let s = s.trim();
        if s == "None" {
            return Ok(None);
        }
        s.parse::<i64>()
            .map(Some)
            .map_err(|_| format!("expected an axis or None, found `{s}`"))
    };
    let need = || params.ok_or_else(|| format!("`{head}` needs parameters in braces"));
    let sort_kind = |p: &str| -> Result<SortKind, String> {
        let (kind, order) = p
            .split_once(',')
            .ok_or_else(|| format!("expected `kind, None`, found `{p}`"))?;
        if order.trim() != "None" {
            return Err(format!(
                "only order None is supported, found `{}`",
                order.trim()
            ));
        }
        SortKind::from_name(kind.trim())
            .ok_or_else(|| format!("unknown sort kind `{}`", kind.trim()))
    };
    Some((|| -> Result<Op, String> {
        Ok(match head {
            "CumOp" => {
                let p = need()?;
                let (axis, mode) = p
                    .split_once(',')
                    .ok_or_else(|| format!("expected `axis, mode`, found `{p}`"))?;
                let mode = match mode.trim() {
                    "add" => CumMode::Add,
                    "mul" => CumMode::Mul,
                    m => return Err(format!("expected mode `add` or `mul`, found `{m}`")),
                };
                Op::CumOp {
                    axis: axis_of(axis)?,
                    mode,
                }
            }
            "SortOp" => Op::Sort {
                kind: sort_kind(need()?)?,
            },
            "ArgSortOp" => Op::ArgSort {
                kind: sort_kind(need()?)?,
            },
            "RepeatOp" => {
                let p = need()?;
                let a = p
                    .strip_prefix("axis=")
                    .ok_or_else(|| format!("expected `axis=...`, found `{p}`"))?;
                Op::Repeat { axis: axis_of(a)? }
            }
            "Nonzero" | "PermuteRowElements" => {
                if params.is_some() {
                    return Err(format!("`{head}` takes no parameters"));
                }
                if head == "Nonzero" {
                    Op::Nonzero
                } else {
                    Op::PermuteRowElements
                }
            }
            _ => return Err(String::new()),
        })
    })())
    .filter(|r| !matches!(r, Err(e) if e.is_empty()))
}
