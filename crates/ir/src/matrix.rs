//! The matrix-construction and batched ops of Theano 1.0 (`Eye`, `Tri`, `ExtractDiag`,
//! `AllocDiag`, `BatchedDot`, nnet's `SoftmaxWithBias`): their type rules, their names as
//! Theano 1.0.5 prints them and the parameters' text form, kept here once.

use crate::op::Op;
use crate::types::{TensorType, MAX_NDIM};
use theano_tensor::DType;

/// The length of diagonal `offset` of a `d1 x d2` matrix (numpy's `PyArray_Diagonal`; Theano's
/// `ExtractDiag.infer_shape`): `clip(d2 - offset, 0, d1)` above the main diagonal,
/// `clip(d1 + offset, 0, d2)` below it, `min(d1, d2)` on it.
pub fn diag_len(d1: usize, d2: usize, offset: i64) -> usize {
    let (d1, d2) = (d1 as i128, d2 as i128);
    let off = offset as i128;
    let n = if off > 0 {
        (d2 - off).clamp(0, d1)
    } else if off < 0 {
        (d1 + off).clamp(0, d2)
    } else {
        d1.min(d2)
    };
    n as usize
}

/// For `AllocDiag{axis1, axis2}` of an input of `in_ndim` dimensions: where each output
/// dimension comes from (`Some(i)`: input dimension `i`; `None`: one of the two new
/// dimensions, of length `in[-1] + |offset|`), as Theano's `AllocDiag.perform` transposes it.
pub fn alloc_diag_layout(in_ndim: usize, axis1: usize, axis2: usize) -> Vec<Option<usize>> {
    let (lo, hi) = (axis1.min(axis2), axis1.max(axis2));
    let mut out: Vec<Option<usize>> = (0..in_ndim - 1).map(Some).collect();
    out.insert(lo.min(out.len()), None);
    out.insert(hi.min(out.len()), None);
    out
}

pub(crate) fn infer_types(op: &Op, ins: &[TensorType]) -> Result<Vec<TensorType>, String> {
    let n_in = |n: usize, names: &str| -> Result<(), String> {
        if ins.len() == n {
            Ok(())
        } else {
            Err(format!("expects {n} inputs ({names}), got {}", ins.len()))
        }
    };
    match op {
        Op::Eye { dtype } | Op::Tri { dtype } => {
            n_in(3, "n, m, k")?;
            for (t, what) in ins
                .iter()
                .zip(["n (rows)", "m (columns)", "k (the diagonal)"])
            {
                if t.ndim() != 0 || !t.dtype.is_int() {
                    return Err(format!("{what} must be an integer scalar, got {t}"));
                }
            }
            Ok(vec![TensorType::new(*dtype, &[false, false])?])
        }
        Op::ExtractDiag { axis1, axis2, .. } => {
            n_in(1, "x")?;
            let x = ins[0];
            if x.ndim() < 2 {
                return Err(format!(
                    "x must have 2 or more dimensions, got {x} (ndim {})",
                    x.ndim()
                ));
            }
            check_axes(*axis1, *axis2, x.ndim())?;
            Ok(vec![TensorType::with_ndim(x.dtype, x.ndim() - 1)?])
        }
        Op::AllocDiag { axis1, axis2, .. } => {
            n_in(1, "diag")?;
            let x = ins[0];
            if x.ndim() < 1 {
                return Err(format!(
                    "diag must have 1 or more dimensions, got {x} (ndim 0)"
                ));
            }
            if x.ndim() + 1 > MAX_NDIM {
                return Err(format!(
                    "the result would have {} dimensions; at most {MAX_NDIM} are supported",
                    x.ndim() + 1
                ));
            }
            check_axes(*axis1, *axis2, x.ndim() + 1)?;
            Ok(vec![TensorType::with_ndim(x.dtype, x.ndim() + 1)?])
        }
        Op::BatchedDot => {
            n_in(2, "x, y")?;
            let (a, b) = (ins[0], ins[1]);
            for (t, what) in [(a, "x (input 0)"), (b, "y (input 1)")] {
                if !(2..=3).contains(&t.ndim()) {
                    return Err(format!(
                        "{what} must have 2 or 3 dimensions, got {t} (ndim {}); \
                         batched_dot takes the other ranks",
                        t.ndim()
                    ));
                }
            }
            if a.dtype != b.dtype {
                return Err(format!(
                    "x and y must have one dtype (batched_dot casts them), got {a} and {b}"
                ));
            }
            // Theano: (x.b[0] or y.b[0],) + x.b[1:-1] + y.b[2:]
            let mut bc = vec![a.is_broadcastable(0) || b.is_broadcastable(0)];
            bc.extend((1..a.ndim() - 1).map(|i| a.is_broadcastable(i)));
            bc.extend((2..b.ndim()).map(|i| b.is_broadcastable(i)));
            Ok(vec![TensorType::new(a.dtype, &bc)?])
        }
        Op::SoftmaxWithBias => {
            n_in(2, "x, b")?;
            let (x, b) = (ins[0], ins[1]);
            if x.ndim() != 2 || !x.dtype.is_float() {
                return Err(format!("x must be a 2-d tensor of floats, got {x}"));
            }
            if b.ndim() != 1 || !b.dtype.is_float() {
                return Err(format!("b must be a 1-d tensor of floats, got {b}"));
            }
            Ok(vec![x])
        }
        _ => unreachable!("matrix::infer_types called for {op:?}"),
    }
}

fn check_axes(axis1: usize, axis2: usize, ndim: usize) -> Result<(), String> {
    for (a, what) in [(axis1, "axis1"), (axis2, "axis2")] {
        if a >= ndim {
            return Err(format!(
                "{what}={a} is out of range for {ndim} dimensions (expected 0..{ndim})"
            ));
        }
    }
    if axis1 == axis2 {
        return Err(format!(
            "axis1 and axis2 must differ, got axis1={axis1}, axis2={axis2}"
        ));
    }
    Ok(())
}

/// Theano's name of the op (its Display), for the ops of this module.
pub(crate) fn name(op: &Op) -> String {
    match op {
        Op::Eye { dtype } => format!("Eye{{dtype='{dtype}'}}"),
        Op::Tri { dtype } => format!("Tri{{dtype='{dtype}'}}"),
        Op::ExtractDiag {
            offset,
            axis1,
            axis2,
        } => format!("ExtractDiag{{offset={offset}, axis1={axis1}, axis2={axis2}, view=False}}"),
        Op::AllocDiag {
            offset,
            axis1,
            axis2,
        } => format!("AllocDiag{{offset={offset}, axis1={axis1}, axis2={axis2}}}"),
        Op::BatchedDot => "BatchedDot".into(),
        Op::SoftmaxWithBias => "SoftmaxWithBias".into(),
        _ => unreachable!("matrix::name called for {op:?}"),
    }
}

/// The op of this module named `head` with the parameters `params` (what [`name`] printed
/// inside the braces), for the IR parser; `None` when `head` is none of them.
pub(crate) fn parse(head: &str, params: Option<&str>) -> Option<Result<Op, String>> {
    let need = || params.ok_or_else(|| format!("`{head}` needs parameters in braces"));
    let plain = |op: Op| {
        if params.is_some() {
            Err(format!("`{head}` takes no parameters"))
        } else {
            Ok(op)
        }
    };
    let dtype = || -> Result<DType, String> {
        let p = need()?;
        let name = p
            .strip_prefix("dtype='")
            .and_then(|r| r.strip_suffix('\''))
            .ok_or_else(|| format!("expected `dtype='...'`, found `{p}`"))?;
        DType::from_name(name).ok_or_else(|| format!("unknown dtype `{name}`"))
    };
    let diag = |keys: &[&str]| -> Result<(i64, usize, usize), String> {
        let p = need()?;
        let parts: Vec<&str> = p.split(',').map(str::trim).collect();
        if parts.len() != keys.len() {
            return Err(format!("expected `{}`, found `{p}`", keys.join(", ")));
        }
        let mut vals = Vec::new();
        for (part, key) in parts.iter().zip(keys) {
            let v = part
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix('='))
                .ok_or_else(|| format!("expected `{key}=...`, found `{part}`"))?;
            vals.push(v);
        }
        if keys.len() == 4 && vals[3] != "False" {
            return Err(format!(
                "only view=False is supported, found `view={}`",
                vals[3]
            ));
        }
        let offset = vals[0]
            .parse::<i64>()
            .map_err(|_| format!("bad offset `{}`", vals[0]))?;
        let ax = |s: &str| s.parse::<usize>().map_err(|_| format!("bad axis `{s}`"));
        Ok((offset, ax(vals[1])?, ax(vals[2])?))
    };
    Some(match head {
        "Eye" => dtype().map(|dtype| Op::Eye { dtype }),
        "Tri" => dtype().map(|dtype| Op::Tri { dtype }),
        "ExtractDiag" => {
            diag(&["offset", "axis1", "axis2", "view"]).map(|(offset, axis1, axis2)| {
                Op::ExtractDiag {
                    offset,
                    axis1,
                    axis2,
                }
            })
        }
        "AllocDiag" => {
            diag(&["offset", "axis1", "axis2"]).map(|(offset, axis1, axis2)| Op::AllocDiag {
                offset,
                axis1,
                axis2,
            })
        }
        "BatchedDot" => plain(Op::BatchedDot),
        "SoftmaxWithBias" => plain(Op::SoftmaxWithBias),
        _ => return None,
    })
}
