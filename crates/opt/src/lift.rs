//! `dimshuffle_lift` (Theano's `local_dimshuffle_lift`): a DimShuffle of an elementwise node
//! that nothing else reads moves to the elementwise node's inputs,
//! `ds(op(x, y)) -> op(ds(x), ds(y))`, where it meets (and `dimshuffle_merge` merges it with)
//! the DimShuffles the builders inserted for broadcasting, or a constant (which folds). The
//! elementwise node's inputs all have its ndim, and a dimension the DimShuffle drops is
//! broadcastable in the output, hence in every input: the same order applies to each input.
//! Exact: the same scalar op runs on the same elements.

use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::Op;

pub(crate) fn dimshuffle_lift(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::DimShuffle { new_order, .. } = fg.op(n).clone() else {
        return None;
    };
    let x = fg.node_inputs(n)[0];
    let ValueDef::Output { node: e, index: 0 } = fg.def(x) else {
        return None;
    };
    let Op::Elemwise { scalar, .. } = fg.op(e).clone() else {
        return None;
    };
    if fg.node_outputs(e).len() != 1 || fg.n_uses(x) != 1 || fg.is_output(x) {
        return None;
    }
    let loc = fg.location(n);
    let mut ins = Vec::new();
    for v in fg.node_inputs(e).to_vec() {
        let ds = Op::DimShuffle {
            new_order: new_order.clone(),
            inplace: true,
        };
        ins.push(fg.add_node1(ds, &[v], loc).ok()?);
    }
    let r = fg.add_node1(Op::elemwise(scalar), &ins, loc).ok()?;
    (fg.ty(r) == fg.ty(fg.node_outputs(n)[0])).then_some(r)
}
