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
/// end); a slice with constant bounds, the `MakeVector` of the entries it selects.
pub(crate) fn subtensor_make_vector(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    if let Some(r) = subtensor_make_vector_slice(fg, n) {
        return Some(r);
    }
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

/// The slice half of `subtensor_make_vector` (Theano's `local_subtensor_make_vector`):
/// a slice with constant bounds of a `MakeVector` is the `MakeVector` of the entries it
/// selects, `[a, b, c][1:] -> [b, c]` (Python's slice semantics, negative bounds and steps
/// included).
fn subtensor_make_vector_slice(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Subtensor { idx } = fg.op(n) else {
        return None;
    };
    let [theano_ir::IdxEntry::Slice { start, stop, step }] = idx.as_slice() else {
        return None;
    };
    let (has_start, has_stop, has_step) = (start.is_some(), stop.is_some(), step.is_some());
    let ins = fg.node_inputs(n).to_vec();
    let mv = fg.owner(ins[0])?;
    let Op::MakeVector { dtype } = *fg.op(mv) else {
        return None;
    };
    let mut bounds = ins[1..].iter();
    let mut bound = |present: bool| -> Option<Option<i64>> {
        if !present {
            return Some(None);
        }
        let k = crate::util::scalar_const(fg, *bounds.next()?)?;
        (k.fract() == 0.0 && k.abs() < 1e15).then_some(Some(k as i64))
    };
    let (b0, b1, b2) = (bound(has_start)?, bound(has_stop)?, bound(has_step)?);
    let entries = fg.node_inputs(mv).to_vec();
    let (first, len, st) = theano_ir::py_slice(b0, b1, b2, entries.len())?;
    let picked: Vec<Value> = (0..len)
        .map(|i| entries[(first + i * st) as usize])
        .collect();
    let r = fg
        .add_node1(Op::MakeVector { dtype }, &picked, fg.location(n))
        .ok()?;
    let want = fg.ty(fg.node_outputs(n)[0]);
    crate::util::fit(fg, r, want, fg.location(n))
}

/// `join_make_vector` (Theano's `local_join_make_vector` and `local_join_1`): a join of
/// `MakeVector`s of one dtype is the `MakeVector` of all their entries,
/// `join(0, [a, b], [c]) -> [a, b, c]`.
pub(crate) fn join_make_vector(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Join { axis: 0 } = fg.op(n) else {
        return None;
    };
    let out = fg.node_outputs(n)[0];
    let want = fg.ty(out);
    let mut entries = Vec::new();
    for &v in fg.node_inputs(n) {
        let mv = fg.owner(v)?;
        match fg.op(mv) {
            Op::MakeVector { dtype } if *dtype == want.dtype => {
                entries.extend_from_slice(fg.node_inputs(mv));
            }
            _ => return None,
        }
    }
    let r = fg
        .add_node1(
            Op::MakeVector { dtype: want.dtype },
            &entries,
            fg.location(n),
        )
        .ok()?;
    (fg.ty(r) == want).then_some(r)
}

/// `useless_slice` (Theano's `local_useless_slice`): trailing full slices of a basic index
/// select everything and are dropped, `x[1:, :, :] -> x[1:]` (a step input that is the
/// constant 1 counts as absent).
pub(crate) fn useless_slice(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Subtensor { idx } = fg.op(n) else {
        return None;
    };
    let idx = idx.clone();
    let ins = fg.node_inputs(n).to_vec();
    // the input position of each entry's first scalar
    let mut pos = Vec::with_capacity(idx.len());
    let mut p = 1;
    for e in &idx {
        pos.push(p);
        p += e.n_inputs();
    }
    let mut keep = idx.len();
    while keep > 0 {
        let theano_ir::IdxEntry::Slice { start, stop, step } = idx[keep - 1] else {
            break;
        };
        let unit_step = match step {
            None => true,
            Some(_) => crate::util::scalar_const(fg, ins[pos[keep - 1]]) == Some(1.0),
        };
        if start.is_some() || stop.is_some() || !unit_step {
            break;
        }
        keep -= 1;
    }
    if keep == idx.len() {
        return None;
    }
    let end = pos.get(keep).copied().unwrap_or(ins.len());
    let op = Op::Subtensor {
        idx: idx[..keep].to_vec(),
    };
    let out = fg.node_outputs(n)[0];
    let r = if keep == 0 {
        ins[0]
    } else {
        fg.add_node1(op, &ins[..end], fg.location(n)).ok()?
    };
    (fg.ty(r) == fg.ty(out)).then_some(r)
}

/// `subtensor_merge` (Theano's `local_subtensor_merge`, its integer-index case): an index
/// into the result of integer indices indexes the remaining dimensions of the same array,
/// `x[i][j] -> x[i, j]` (so also `x[0][1:] -> x[0, 1:]`).
pub(crate) fn subtensor_merge(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Subtensor { idx: outer } = fg.op(n) else {
        return None;
    };
    let outer = outer.clone();
    let ins = fg.node_inputs(n).to_vec();
    let inner = fg.owner(ins[0])?;
    let Op::Subtensor { idx: first } = fg.op(inner) else {
        return None;
    };
    if !first
        .iter()
        .all(|e| matches!(e, theano_ir::IdxEntry::Index(_)))
    {
        return None;
    }
    let mut idx = first.clone();
    idx.extend_from_slice(&outer);
    let mut all = fg.node_inputs(inner).to_vec();
    all.extend_from_slice(&ins[1..]);
    let out = fg.node_outputs(n)[0];
    let r = fg
        .add_node1(Op::Subtensor { idx }, &all, fg.location(n))
        .ok()?;
    (fg.ty(r) == fg.ty(out)).then_some(r)
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
