//! `dimshuffle_lift` (Theano's `local_dimshuffle_lift`): a DimShuffle of an elementwise node
//! that nothing else reads moves to the elementwise node's inputs,
//! `ds(op(x, y)) -> op(ds(x), ds(y))`, where it meets (and `dimshuffle_merge` merges it with)
//! the DimShuffles the builders inserted for broadcasting, or a constant (which folds). The
//! elementwise node's inputs all have its ndim, and a dimension the DimShuffle drops is
//! broadcastable in the output, hence in every input: the same order applies to each input.
//! Exact: the same scalar op runs on the same elements.

use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::IdxEntry;
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

/// `subtensor_lift` (Theano's `local_subtensor_lift`, its unary case): an index of a unary
/// elementwise node that nothing else reads moves to the node's input,
/// `unary(x)[idx] -> unary(x[idx])`, so `float64(Shape(x))[0]` (how `mean` divides) becomes
/// `float64(Shape(x)[0])` and then `float64(Shape_i{0}(x))`. Exact: the same scalar op runs on
/// the same elements.
pub(crate) fn subtensor_lift(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let op @ Op::Subtensor { .. } = fg.op(n).clone() else {
        return None;
    };
    let ins = fg.node_inputs(n).to_vec();
    let u = ins[0];
    let ValueDef::Output { node: e, index: 0 } = fg.def(u) else {
        return None;
    };
    let Op::Elemwise { scalar, .. } = fg.op(e).clone() else {
        return None;
    };
    if scalar.arity() != 1 || fg.n_uses(u) != 1 || fg.is_output(u) {
        return None;
    }
    let loc = fg.location(n);
    let mut sub_ins = vec![fg.node_inputs(e)[0]];
    sub_ins.extend_from_slice(&ins[1..]);
    let x_idx = fg.add_node1(op, &sub_ins, loc).ok()?;
    let r = fg.add_node1(Op::elemwise(scalar), &[x_idx], loc).ok()?;
    (fg.ty(r) == fg.ty(fg.node_outputs(n)[0])).then_some(r)
}

/// `subtensor_make_vector` (Theano's `local_subtensor_make_vector`): a constant index into a
/// `MakeVector` is the entry it names, `[a, b, c][1] -> b` (a negative index counts from the
/// end).
pub(crate) fn subtensor_make_vector(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let (mv, k) = constant_entry(
        fg,
        n,
        |op| matches!(op, Op::MakeVector { .. }),
        |fg, mv| fg.node_inputs(mv).len(),
    )?;
    let r = fg.node_inputs(mv)[k];
    let want = fg.ty(fg.node_outputs(n)[0]);
    crate::util::fit(fg, r, want, fg.location(n))
}

/// For `v[k]` (node `n`, a `Subtensor` with one index, `k` a constant integer) where `v` is
/// output 0 of a node whose op `is_src` accepts and which has `len(src)` entries: that node
/// and `k` in `0..len` (a negative `k` counts from the end).
fn constant_entry(
    fg: &FunctionGraph,
    n: Node,
    is_src: impl Fn(&Op) -> bool,
    len: impl Fn(&FunctionGraph, Node) -> usize,
) -> Option<(Node, usize)> {
    let Op::Subtensor { idx } = fg.op(n) else {
        return None;
    };
    if !matches!(idx.as_slice(), [theano_ir::IdxEntry::Index(_)]) {
        return None;
    }
    let ins = fg.node_inputs(n);
    let ValueDef::Output {
        node: src,
        index: 0,
    } = fg.def(ins[0])
    else {
        return None;
    };
    if !is_src(fg.op(src)) {
        return None;
    }
    let k = crate::util::scalar_const(fg, ins[1])?;
    let len = len(fg, src) as f64;
    let k = if k < 0.0 { k + len } else { k };
    (k.fract() == 0.0 && (0.0..len).contains(&k)).then_some((src, k as usize))
}

/// `subtensor_of_shape`: a constant index into a shape vector is that dimension's length,
/// `Shape(x)[k] -> Shape_i{k}(x)` (a negative `k` counts from the end). Theano reaches the same
/// graph through `Shape(x) -> MakeVector(Shape_i..)` and `local_subtensor_make_vector`.
/// A constant-bounded slice of a shape, `Shape(x)[a:b:c][k] -> Shape_i{a + k*c}(x)` (the
/// form `flatten(x, outdim)` builds; Theano reaches it through `local_subtensor_merge`), is
/// that dimension's length too.
pub(crate) fn subtensor_of_shape(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let (x, k) = match constant_entry(
        fg,
        n,
        |op| matches!(op, Op::Shape),
        |fg, sh| fg.ty(fg.node_inputs(sh)[0]).ndim(),
    ) {
        Some((sh, k)) => (fg.node_inputs(sh)[0], k),
        None => {
            let (sl, k) = constant_entry(
                fg,
                n,
                |op| matches!(op, Op::Subtensor { idx } if matches!(idx[..], [IdxEntry::Slice { .. }])),
                |fg, sl| shape_slice(fg, sl).map_or(0, |(_, _, len, _)| len as usize),
            )?;
            let (x, first, _, step) = shape_slice(fg, sl)?;
            (x, usize::try_from(first + k as i128 * step).ok()?)
        }
    };
    let r = fg.add_node1(Op::ShapeI(k), &[x], fg.location(n)).ok()?;
    let want = fg.ty(fg.node_outputs(n)[0]);
    crate::util::fit(fg, r, want, fg.location(n))
}

/// `Shape(x)[a:b:c]` (node `sl`) with constant or absent bounds: `(x, first, len, step)` of
/// the dimensions it selects.
fn shape_slice(fg: &FunctionGraph, sl: Node) -> Option<(Value, i128, i128, i128)> {
    let Op::Subtensor { idx } = fg.op(sl) else {
        return None;
    };
    let [IdxEntry::Slice { start, stop, step }] = idx[..] else {
        return None;
    };
    let ins = fg.node_inputs(sl);
    let sh = fg.owner(ins[0])?;
    if *fg.op(sh) != Op::Shape {
        return None;
    }
    let x = fg.node_inputs(sh)[0];
    let mut next = 1;
    let mut bound = |present: Option<theano_ir::DType>| -> Option<Option<i64>> {
        if present.is_none() {
            return Some(None);
        }
        let v = *ins.get(next)?;
        next += 1;
        let t = fg.constant_value(v)?;
        Some(Some(t.scalar_i64()?))
    };
    let (a, b, c) = (bound(start)?, bound(stop)?, bound(step)?);
    let (first, len, step) = theano_ir::py_slice(a, b, c, fg.ty(x).ndim())?;
    Some((x, first, len, step))
}
