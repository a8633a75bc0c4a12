//! Cancellation in the add and mul canonizers (Theano's `Canonizer` simplification step):
//!
//! - `add_cancel`: an add/sub/neg tree is read as `sum(num) - sum(den)`; a term found in both
//!   lists cancels: `a + b - a -> b`, `(x + y) - (y + z) -> x - z`;
//! - `mul_cancel`: a mul/true_div tree is read as `prod(num) / prod(den)`; a factor found in
//!   both cancels: `x * y / x -> y`, `(a * b) / (a * c) -> b / c`.
//!
//! The result keeps the replaced value's type: the remaining terms are cast to its dtype
//! before they are combined (so integer wrapping and float rounding happen in the dtype the
//! original computed in), and it is `fill`ed with every cancelled term (`second(a, r)`), which
//! keeps the broadcast shape a cancelled term contributed (`useless_fill_shape` drops the fill
//! when the shapes are provably equal).
//!
//! Semantics (docs/ARCHITECTURE.md, Decisions): on integers `add_cancel` is exact (wrapping
//! arithmetic is a group). On floats both are `-ffast-math` rewrites, as in Theano's
//! `fast_run`: `(a + b) - a` is `b` only without rounding (`(1e20 + 1) - 1e20` is 0, `b` is 1)
//! and for finite `a` (`inf - inf` is NaN); `x * y / x` is `y` only for finite nonzero `x`
//! and without overflow or underflow of `x * y`. Both are tagged `unsafe_math`, which
//! `optimizer_excluding=unsafe_math` turns off. `mul_cancel` is left to float terms: integer
//! products wrap, so `x * y / x` is not `y` there.

use crate::util::{konst, scalar_of, Loc};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{Op, ScalarOp as S, TensorType};

fn out0(fg: &FunctionGraph, n: Node) -> Value {
    fg.node_outputs(n)[0]
}

/// Whether a nested node may be expanded into the terms of its reader: read only there (its
/// value is not needed elsewhere, so expanding it does not duplicate work) and computed in the
/// root's dtype (an int8 sum inside an int16 one wraps at int8; a float32 one rounds there).
fn expandable(fg: &FunctionGraph, v: Value, root: Value) -> bool {
    fg.n_uses(v) == 1 && !fg.is_output(v) && fg.ty(v).dtype == fg.ty(root).dtype
}

/// `v` split into added (`num`) and subtracted (`den`) terms through add, sub and neg (or into
/// multiplied and divided factors through mul and true_div when `mul`). Iterative (an
/// explicit stack, children pushed in reverse so terms come in left-to-right order): a chain
/// of 200,000 adds expands without overflowing the stack.
fn collect(fg: &FunctionGraph, v: Value, positive: bool, root: Value, mul: bool, acc: &mut Acc) {
    let mut stack = vec![(v, positive)];
    while let Some((v, positive)) = stack.pop() {
        let node = match fg.def(v) {
            ValueDef::Output { node, index: 0 } if v == root || expandable(fg, v, root) => node,
            _ => {
                acc.push(v, positive);
                continue;
            }
        };
        let ins = fg.node_inputs(node);
        match (scalar_of(fg, node), mul) {
            (Some(S::Add), false) | (Some(S::Mul), true) => {
                stack.extend(ins.iter().rev().map(|&i| (i, positive)));
            }
            (Some(S::Sub), false) | (Some(S::TrueDiv), true) if ins.len() == 2 => {
                stack.push((ins[1], !positive));
                stack.push((ins[0], positive));
            }
            (Some(S::Neg), false) => stack.push((ins[0], !positive)),
            _ => acc.push(v, positive),
        }
    }
}

#[derive(Default)]
struct Acc {
    num: Vec<Value>,
    den: Vec<Value>,
}

impl Acc {
    fn push(&mut self, v: Value, positive: bool) {
        if positive {
            self.num.push(v)
        } else {
            self.den.push(v)
        }
    }

    /// Remove the values found in both lists (one occurrence against one); the removed values,
    /// each once.
    fn cancel(&mut self) -> Vec<Value> {
        let mut gone = Vec::new();
        let mut i = 0;
        while i < self.num.len() {
            let v = self.num[i];
            match self.den.iter().position(|&u| u == v) {
                Some(j) => {
                    self.num.remove(i);
                    self.den.remove(j);
                    if !gone.contains(&v) {
                        gone.push(v);
                    }
                }
                None => i += 1,
            }
        }
        gone
    }
}

/// `v` as `want.dtype` (a cast node when it differs), broadcast pattern kept.
fn as_dtype(fg: &mut FunctionGraph, v: Value, want: TensorType, loc: Loc) -> Option<Value> {
    if fg.ty(v).dtype == want.dtype {
        return Some(v);
    }
    fg.add_node1(Op::elemwise(S::Cast(want.dtype)), &[v], loc)
        .ok()
}

/// `op` over `vs` (already of one dtype), or the single value; `None` for no value.
fn combine(fg: &mut FunctionGraph, op: S, vs: &[Value], loc: Loc) -> Option<Option<Value>> {
    Some(match vs {
        [] => None,
        [v] => Some(*v),
        _ => Some(crate::util::mk(fg, op, vs, loc)?),
    })
}

/// Rebuild `num (op) den` after cancellation, filled with the cancelled terms, typed `want`.
fn rebuild(
    fg: &mut FunctionGraph,
    acc: Acc,
    gone: &[Value],
    want: TensorType,
    loc: Loc,
    (join, inverse, identity): (S, S, f64),
) -> Option<Value> {
    let mut num = Vec::new();
    for &v in &acc.num {
        num.push(as_dtype(fg, v, want, loc)?);
    }
    let mut den = Vec::new();
    for &v in &acc.den {
        den.push(as_dtype(fg, v, want, loc)?);
    }
    let n = combine(fg, join.clone(), &num, loc)?;
    let d = combine(fg, join, &den, loc)?;
    let mut r = match (n, d) {
        (Some(n), None) => n,
        (Some(n), Some(d)) => crate::util::mk(fg, inverse, &[n, d], loc)?,
        (None, d) => {
            let id = konst(fg, identity, want.dtype);
            match d {
                Some(d) => crate::util::mk(fg, inverse, &[id, d], loc)?,
                None => id,
            }
        }
    };
    for &g in gone {
        r = crate::util::mk(fg, S::Second, &[g, r], loc)?;
    }
    r = crate::util::pad(fg, r, want.ndim(), loc)?;
    crate::util::fit(fg, r, want, loc)
}

/// `a + b - a -> b`, `(x + y) - (y + z) -> x - z` (see the module doc).
pub(crate) fn add_cancel(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let s = scalar_of(fg, n)?;
    if !matches!(s, S::Add | S::Sub | S::Neg) {
        return None;
    }
    let out = out0(fg, n);
    let want = fg.ty(out);
    if want.dtype.is_bool() {
        return None;
    }
    let mut acc = Acc::default();
    collect(fg, out, true, out, false, &mut acc);
    let gone = acc.cancel();
    if gone.is_empty() {
        return None;
    }
    let loc = fg.location(n);
    rebuild(fg, acc, &gone, want, loc, (S::Add, S::Sub, 0.0))
}

/// `x * y / x -> y`, `(a * b) / (a * c) -> b / c` on floats (see the module doc).
pub(crate) fn mul_cancel(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let s = scalar_of(fg, n)?;
    if !matches!(s, S::Mul | S::TrueDiv) {
        return None;
    }
    let out = out0(fg, n);
    let want = fg.ty(out);
    if !want.dtype.is_float() {
        return None;
    }
    let mut acc = Acc::default();
    collect(fg, out, true, out, true, &mut acc);
    if acc
        .num
        .iter()
        .chain(&acc.den)
        .any(|&v| !fg.ty(v).dtype.is_float())
    {
        return None;
    }
    let gone = acc.cancel();
    if gone.is_empty() {
        return None;
    }
    let loc = fg.location(n);
    rebuild(fg, acc, &gone, want, loc, (S::Mul, S::TrueDiv, 1.0))
}
