//! Pattern helpers shared by the rewrites: reading constants through broadcasts, matching
//! elementwise nodes, and building replacement nodes.

use std::panic::Location;
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{DType, Op, ScalarOp, Tensor, TensorType};

pub(crate) type Loc = &'static Location<'static>;

/// The value of `v` when it is a constant whose elements are all equal (looking through
/// `DimShuffle`s that only insert broadcast dimensions).
pub fn scalar_const(fg: &FunctionGraph, v: Value) -> Option<f64> {
    let mut v = v;
    loop {
        match fg.def(v) {
            ValueDef::Constant => {
                let t = fg.constant_value(v)?;
                let vals = t.to_f64_vec();
                let first = *vals.first()?;
                return vals
                    .iter()
                    .all(|x| x.to_bits() == first.to_bits())
                    .then_some(first);
            }
            ValueDef::Output { node, .. } => match fg.op(node) {
                Op::DimShuffle { .. } => v = fg.node_inputs(node)[0],
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// `v`'s node when it is `Elemwise{op}` (output 0).
pub fn elemwise(fg: &FunctionGraph, v: Value, op: ScalarOp) -> Option<Node> {
    match fg.def(v) {
        ValueDef::Output { node, index: 0 } => match fg.op(node) {
            Op::Elemwise { scalar, .. } if *scalar == op => Some(node),
            _ => None,
        },
        _ => None,
    }
}

/// The inputs of `v`'s node when it is `Elemwise{op}`.
pub fn ew_inputs(fg: &FunctionGraph, v: Value, op: ScalarOp) -> Option<Vec<Value>> {
    elemwise(fg, v, op).map(|n| fg.node_inputs(n).to_vec())
}

/// The scalar op of an elemwise node.
pub fn scalar_of(fg: &FunctionGraph, n: Node) -> Option<ScalarOp> {
    match fg.op(n) {
        Op::Elemwise { scalar, .. } => Some(scalar.clone()),
        _ => None,
    }
}

/// Insert broadcast dimensions on the left of `v` up to `ndim`.
pub fn pad(fg: &mut FunctionGraph, v: Value, ndim: usize, loc: Loc) -> Option<Value> {
    let nd = fg.ty(v).ndim();
    if nd >= ndim {
        return Some(v);
    }
    let order = (0..ndim - nd)
        .map(|_| None)
        .chain((0..nd).map(Some))
        .collect();
    fg.add_node1(
        Op::DimShuffle {
            new_order: order,
            inplace: true,
        },
        &[v],
        loc,
    )
    .ok()
}

/// A new `Elemwise{op}` node over `ins`, broadcasting lower-rank inputs.
pub fn mk(fg: &mut FunctionGraph, op: ScalarOp, ins: &[Value], loc: Loc) -> Option<Value> {
    let nd = ins.iter().map(|&v| fg.ty(v).ndim()).max().unwrap_or(0);
    let padded: Option<Vec<Value>> = ins.iter().map(|&v| pad(fg, v, nd, loc)).collect();
    fg.add_node1(Op::elemwise(op), &padded?, loc).ok()
}

/// A 0-d constant of `dtype`.
pub fn konst(fg: &mut FunctionGraph, value: f64, dtype: DType) -> Value {
    fg.add_constant(Tensor::full(dtype, &[], value))
}

/// `v` adapted to `want`: cast when only the dtype differs; `None` when the broadcastable
/// pattern differs (the replacement would not have the replaced value's type).
pub fn fit(fg: &mut FunctionGraph, v: Value, want: TensorType, loc: Loc) -> Option<Value> {
    let have = fg.ty(v);
    if have == want {
        return Some(v);
    }
    if have.ndim() != want.ndim() || have.broadcastable() != want.broadcastable() {
        return None;
    }
    let c = fg
        .add_node1(Op::elemwise(ScalarOp::Cast(want.dtype)), &[v], loc)
        .ok()?;
    (fg.ty(c) == want).then_some(c)
}

/// A new `Elemwise{op}` computing in `want`'s dtype: inputs of another dtype are cast to it
/// first (so `float32 ** 0.5` with a float64 result becomes
/// `sqrt(cast(x, float64))`, not a float32 sqrt cast up), then the result is fitted to `want`.
pub fn mk_in(
    fg: &mut FunctionGraph,
    op: ScalarOp,
    ins: &[Value],
    want: TensorType,
    loc: Loc,
) -> Option<Value> {
    let mut cast_ins = Vec::with_capacity(ins.len());
    for &v in ins {
        let d = fg.ty(v).dtype;
        // any dtype (found by the differential test: `uint8 ** 2` is int16, and a uint8
        // sqr wraps at 256; `-1.0 * bool` has no bool negation)
        let v = if d != want.dtype && !want.dtype.is_bool() {
            fg.add_node1(Op::elemwise(ScalarOp::Cast(want.dtype)), &[v], loc)
                .ok()?
        } else {
            v
        };
        cast_ins.push(v);
    }
    let r = mk(fg, op, &cast_ins, loc)?;
    fit(fg, r, want, loc)
}

/// `v` is zeros: a constant of zeros, `fill(a, 0)` or `alloc(0, ...)`.
pub fn is_zeros(fg: &FunctionGraph, v: Value) -> bool {
    if fg.constant_value(v).is_some() {
        return scalar_const(fg, v) == Some(0.0);
    }
    if let Some([_, c]) = ew_inputs(fg, v, ScalarOp::Second).as_deref() {
        return scalar_const(fg, *c) == Some(0.0);
    }
    match fg.owner(v) {
        Some(n) if *fg.op(n) == Op::Alloc => scalar_const(fg, fg.node_inputs(n)[0]) == Some(0.0),
        _ => false,
    }
}
