//! Theano's `IfElse` (`theano.ifelse`): inputs a scalar condition, then `n` values of the
//! true branch, then `n` of the false branch; outputs the `n` values of the branch the
//! condition picks (non-zero: the true branch). It prints as Theano's, `if{}`.
//!
//! It is lazy: the compiler (theano-exec's `schedule`) moves the nodes that only a branch
//! needs into that branch, so a call computes the branch the condition picks and nothing of
//! the other, as Theano's lazy VM. Evaluated eagerly (every input given), as the interpreter
//! does for a lone node, it picks the same values.

use crate::types::TensorType;

/// Theano's name of the op.
pub const NAME: &str = "if{}";

/// The output types of `IfElse { n_outs }` on `ins`: the true branch's types, which the
/// false branch must have too (Theano: "IfElse requires same types for true and false
/// return values").
pub(crate) fn infer_types(n_outs: usize, ins: &[TensorType]) -> Result<Vec<TensorType>, String> {
    if n_outs == 0 {
        return Err("IfElse needs at least one output".into());
    }
    if ins.len() != 1 + 2 * n_outs {
        return Err(format!(
            "IfElse with {n_outs} outputs takes {} inputs (the condition, then {n_outs} true and \
             {n_outs} false values), got {}",
            1 + 2 * n_outs,
            ins.len()
        ));
    }
    let cond = ins[0];
    if cond.ndim() != 0 {
        return Err(format!(
            "Condition given to the op has to be a scalar with 0 standing for False, anything \
             else for True, got {cond}"
        ));
    }
    let (then, els) = ins[1..].split_at(n_outs);
    for (i, (t, e)) in then.iter().zip(els).enumerate() {
        if t != e {
            return Err(format!(
                "The two branches should have identical types, but they are {t} and {e} \
                 respectively (value {i})"
            ));
        }
    }
    Ok(then.to_vec())
}
