//! Theano's `insert_deepcopy` (compile/function_module.py), run after the other passes: a
//! function output that would alias storage the caller owns or another output gets a
//! `DeepCopyOp` node, so every output is a fresh array:
//!
//! - an output whose alias root (followed through the view ops: DimShuffle, basic Subtensor,
//!   Reshape, Flatten, SpecifyShape, Theano's `view_map`) is a graph input, a constant or a
//!   shared variable the function does not update;
//! - an output whose alias root is also the alias root of a later output (`[y, y.T]`: `y` is
//!   copied, `y.T` stays a view of it).
//!
//! The copy is a real node: the interpreter clones its input, the JIT runs it as the identity
//! kernel from whatever view its input is; so the runtimes deliver it without a second copy.

use theano_ir::fgraph::{FunctionGraph, Value, ValueDef};
use theano_ir::Op;

/// The name the replacement of an output carries (and `optimizer_excluding` matches).
pub const DEEPCOPY_NAME: &str = "insert_deepcopy";

/// Input 0 of `op` when its output is a view of it (Theano's `view_map = {0: [0]}`).
pub fn is_view_op(op: &Op) -> bool {
    matches!(
        op,
        Op::DimShuffle { .. }
            | Op::Subtensor { .. }
            | Op::Reshape { .. }
            | Op::Flatten { .. }
            | Op::SpecifyShape
    )
}

/// The value whose storage `v` views (`v` itself when its op is not a view).
pub fn alias_root(fg: &FunctionGraph, mut v: Value) -> Value {
    while let ValueDef::Output { node, index: 0 } = fg.def(v) {
        if !is_view_op(fg.op(node)) {
            break;
        }
        v = fg.node_inputs(node)[0];
    }
    v
}

/// Put a `DeepCopyOp` on every output of `fg` that aliases a graph input, a constant, a shared
/// variable not in `mutable` (the updated ones, which the call replaces) or a later output.
/// Returns how many were inserted.
pub fn insert_deepcopy(fg: &mut FunctionGraph, mutable: &[Value], verbose: bool) -> usize {
    let outs = fg.outputs().to_vec();
    let roots: Vec<Value> = outs.iter().map(|&v| alias_root(fg, v)).collect();
    let mut inserted = 0;
    for (i, (&out, &root)) in outs.iter().zip(&roots).enumerate() {
        let aliased_later = roots[i + 1..].contains(&root);
        let caller_owned = match fg.def(root) {
            ValueDef::Input | ValueDef::Constant => true,
            ValueDef::Shared => !mutable.contains(&root),
            ValueDef::Output { .. } => false,
        };
        if !(aliased_later || caller_owned) {
            continue;
        }
        let loc = match fg.owner(out) {
            Some(n) => fg.location(n),
            None => std::panic::Location::caller(),
        };
        let Ok(copy) = fg.add_node1(Op::DeepCopy, &[out], loc) else {
            continue;
        };
        if fg.set_output(i, copy).is_ok() {
            inserted += 1;
            if verbose {
                eprintln!("{DEEPCOPY_NAME}: output {i} -> DeepCopyOp");
            }
        }
    }
    inserted
}
