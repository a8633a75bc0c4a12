//! Type inference of the BLAS ops (`Gemv`, `Gemm`, `Ger`, `Dot22`), which only the optimizer
//! introduces: every operand has one float dtype, alpha and beta are 0-d.

use crate::op::Op;
use crate::types::TensorType;

/// `inplace` / `no_inplace`, as Theano's Gemv and Gemm print it.
pub(crate) fn ip(inplace: bool) -> &'static str {
    if inplace {
        "inplace"
    } else {
        "no_inplace"
    }
}

/// (what, wanted ndim) for each input of `op`.
fn signature(op: &Op) -> &'static [(&'static str, usize)] {
    match op {
        Op::Gemv { .. } => &[("y", 1), ("alpha", 0), ("A", 2), ("x", 1), ("beta", 0)],
        Op::Gemm { .. } => &[("z", 2), ("alpha", 0), ("x", 2), ("y", 2), ("beta", 0)],
        Op::Ger { .. } => &[("A", 2), ("alpha", 0), ("x", 1), ("y", 1)],
        _ => &[("x", 2), ("y", 2)],
    }
}

pub(crate) fn infer_types(op: &Op, ins: &[TensorType]) -> Result<Vec<TensorType>, String> {
    let sig = signature(op);
    if ins.len() != sig.len() {
        let names: Vec<&str> = sig.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "expects {} inputs ({}), got {}",
            sig.len(),
            names.join(", "),
            ins.len()
        ));
    }
    for (&(what, nd), t) in sig.iter().zip(ins) {
        if t.ndim() != nd {
            let kind = ["a scalar", "a vector", "a matrix"][nd];
            return Err(format!("{what} must be {kind}, got {t}"));
        }
    }
    let d = ins[0].dtype;
    if !d.is_float() {
        return Err(format!("only float dtypes are supported, got {}", ins[0]));
    }
    if let Some((&(what, _), t)) = sig.iter().zip(ins).find(|(_, t)| t.dtype != d) {
        return Err(format!(
            "the dtypes must match: {} is {d} but {what} is {}",
            sig[0].0, t.dtype
        ));
    }
    let out = match op {
        Op::Gemv { .. } => {
            // Theano's Gemv.make_node: y and A must agree on the first dimension's pattern.
            if ins[0].is_broadcastable(0) != ins[2].is_broadcastable(0) {
                return Err(format!(
                    "broadcastable mismatch between y ({}) and A ({})",
                    ins[0], ins[2]
                ));
            }
            ins[0]
        }
        Op::Gemm { .. } | Op::Ger { .. } => ins[0],
        _ => TensorType::fixed(d, [ins[0].is_broadcastable(0), ins[1].is_broadcastable(1)]),
    };
    Ok(vec![out])
}
