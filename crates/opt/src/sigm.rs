//! The sigmoid stabilizations on products and their logs (after Theano 1.0's
//! `theano/tensor/nnet/sigm.py`), all in the stabilize phase:
//!
//! - `exp_over_1_plus_exp`: in a mul/div tree, a divisor `(1 + exp(t))^k` becomes the factor
//!   `sigmoid(-t)^k` (`exp(t) / (1 + exp(t))` is `exp(t) * sigmoid(-t)`, which the next one
//!   turns into `sigmoid(t)`);
//! - `sigm_times_exp`: in a mul/div tree, `exp(t) * sigmoid(-t) -> sigmoid(t)` and
//!   `exp(t) / sigmoid(t) -> 1 / sigmoid(-t)` (for either sign of `t`, any power);
//! - `sigmoid_cancel`: in a mul/div tree, `sigmoid(t)` factors above and below the line cancel
//!   (`a * sigmoid(t) / sigmoid(t) -> a`);
//! - `sigmoid_distribute`: `(a - b) * s * F -> a * s * F - b * s * F` when a term of the sum
//!   divides by a sigmoid `s` the product multiplies, so that it can cancel.
//!
//! Together with the patterns `inv_1_plus_exp`, `one_minus_sigmoid`, `log_sigmoid`,
//! `log1m_sigmoid`'s forms (`log(1 - sigmoid(x))`, `log1p(-sigmoid(x)) -> -softplus(x)`) and
//! `log1p_exp` (`log1p(exp(x)) -> softplus(x)`) in rewrites.rs they turn the gradient of the
//! tutorial's `p = 1 / (1 + exp(-z))` cross-entropy, which `grad` builds as `g / p * exp(u) / sqr(1 + exp(u))` (`u = -z`), into sigmoids only: the
//! unoptimized form overflows (`inf / inf`, `0 * inf`) once `|z|` passes about 88 in float32
//! or 709 in float64.
//!
//! A mul/div tree is read as Theano's `parse_mul_tree` does: through `mul`, `true_div`, `neg`,
//! `sqr` and integer powers computed in the root's dtype, whether or not other nodes also read
//! an inner node (as in Theano, stability comes first: an inner node read elsewhere is
//! recomputed). Each rewrite fires only when its own step changes the tree, and then rebuilds
//! it as `±(num...) / (den...)` in the root's dtype.

use crate::util::{ew_inputs, fit, konst, mk, pad, scalar_const, scalar_of, Loc};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{DType, Op, ScalarOp as S, TensorType};

fn out0(fg: &FunctionGraph, n: Node) -> Value {
    fg.node_outputs(n)[0]
}

/// A DimShuffle's `new_order`.
type Order = Vec<Option<usize>>;

/// `outer` applied after `inner` (`None`: the identity).
fn compose(outer: Option<&Order>, inner: Option<&Order>) -> Option<Order> {
    match (outer, inner) {
        (None, i) => i.cloned(),
        (Some(o), None) => Some(o.clone()),
        (Some(o), Some(i)) => Some(o.iter().map(|e| e.and_then(|j| i[j])).collect()),
    }
}

/// `v` read through DimShuffles: (the value under them, their combined order).
pub(crate) fn through_ds(fg: &FunctionGraph, v: Value) -> (Value, Option<Order>) {
    let (mut v, mut order) = (v, None);
    while let Some(n) = fg.owner(v) {
        let Op::DimShuffle { new_order, .. } = fg.op(n) else {
            break;
        };
        order = compose(order.as_ref(), Some(new_order));
        v = fg.node_inputs(n)[0];
    }
    (v, order)
}

/// `ds(v)` for an order from `through_ds`.
pub(crate) fn apply_ds(
    fg: &mut FunctionGraph,
    v: Value,
    order: Option<&Order>,
    loc: Loc,
) -> Option<Value> {
    match order {
        None => Some(v),
        Some(o) => fg
            .add_node1(
                Op::DimShuffle {
                    new_order: o.clone(),
                    inplace: true,
                },
                &[v],
                loc,
            )
            .ok(),
    }
}

/// The argument of an exp or a sigmoid in a normal form: `±ds(base)`, the negations and
/// DimShuffles read through (they commute with each other and with elementwise ops), so that
/// `exp(ds(u))`, `ds(exp(u))` and `ds(sigmoid(-u))` are recognized as reading the same `u`
/// (the gradient of `dot(x, w)` with respect to `x` reads the sigmoids and exps as columns).
#[derive(Clone, PartialEq, Eq, Debug)]
struct Arg {
    base: Value,
    neg: bool,
    ds: Option<Order>,
}

impl Arg {
    fn flip(&self) -> Arg {
        Arg {
            neg: !self.neg,
            ..self.clone()
        }
    }

    /// The argument seen through a DimShuffle applied after it.
    fn shuffled(self, outer: Option<&Order>) -> Arg {
        Arg {
            ds: compose(outer, self.ds.as_ref()),
            ..self
        }
    }

    fn value(&self, fg: &mut FunctionGraph, loc: Loc) -> Option<Value> {
        let t = apply_ds(fg, self.base, self.ds.as_ref(), loc)?;
        if self.neg {
            mk(fg, S::Neg, &[t], loc)
        } else {
            Some(t)
        }
    }
}

fn arg_of(fg: &FunctionGraph, t: Value) -> Option<Arg> {
    let dtype = fg.ty(t).dtype;
    if !dtype.is_float() {
        return None;
    }
    let (mut v, mut neg, mut ds) = (t, false, None);
    loop {
        if let Some([u]) = ew_inputs(fg, v, S::Neg).as_deref() {
            if fg.ty(*u).dtype == dtype {
                neg = !neg;
                v = *u;
                continue;
            }
        }
        let (u, o) = through_ds(fg, v);
        if u == v {
            break;
        }
        ds = compose(ds.as_ref(), o.as_ref());
        v = u;
    }
    let nd = fg.ty(v).ndim();
    if ds
        .as_ref()
        .is_some_and(|o| o.len() == nd && o.iter().enumerate().all(|(i, e)| *e == Some(i)))
    {
        ds = None;
    }
    Some(Arg { base: v, neg, ds })
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Kind {
    /// `exp(t)`
    Exp(Arg),
    /// `sigmoid(t)`
    Sigm(Arg),
    /// `1 + exp(t)` (constant terms summing to 1)
    OnePExp(Arg),
    Other,
}

/// `f(t)` for a float `t` with `f(t)` of `t`'s type.
fn unary_arg(fg: &FunctionGraph, v: Value, op: S) -> Option<Arg> {
    let [t] = ew_inputs(fg, v, op)?[..] else {
        return None;
    };
    if fg.ty(t) != fg.ty(v) {
        return None;
    }
    arg_of(fg, t)
}

/// What `v` is, read through DimShuffles.
fn kind(fg: &FunctionGraph, v: Value) -> Kind {
    let (u, order) = through_ds(fg, v);
    let o = order.as_ref();
    if let Some(a) = unary_arg(fg, u, S::Exp) {
        return Kind::Exp(a.shuffled(o));
    }
    if let Some(a) = unary_arg(fg, u, S::Sigmoid) {
        return Kind::Sigm(a.shuffled(o));
    }
    if let Some(a) = one_plus_exp(fg, u) {
        return Kind::OnePExp(a.shuffled(o));
    }
    Kind::Other
}

/// `t` when `v` is `1 + exp(t)` (any order; constant terms that sum to 1), of exp's type.
fn one_plus_exp(fg: &FunctionGraph, v: Value) -> Option<Arg> {
    let ins = ew_inputs(fg, v, S::Add)?;
    let mut sum = 0.0;
    let mut rest = None;
    for &i in &ins {
        match scalar_const(fg, i) {
            Some(c) => sum += c,
            None if rest.is_none() => rest = Some(i),
            None => return None,
        }
    }
    let e = rest?;
    if sum != 1.0 || fg.ty(e) != fg.ty(v) {
        return None;
    }
    unary_arg(fg, e, S::Exp)
}

/// One factor of a product: `v ** k` (`v` is `None` for a sigmoid still to be built).
#[derive(Clone, Debug)]
struct Fac {
    v: Option<Value>,
    k: i32,
    kind: Kind,
}

/// `±(prod of factors)`.
#[derive(Default, Debug)]
struct Prod {
    neg: bool,
    facs: Vec<Fac>,
}

/// The most nodes one product or sum tree is read through: the trees these rewrites look for
/// are small, and a bound keeps a deep chain (a 5,000-level gradient) linear to rewrite, each
/// node reading at most this many below it.
const MAX_TREE: usize = 256;

/// `v ** k` split into factors through mul, true_div, neg, sqr and small integer powers
/// computed in `dtype` (the root is always expanded); iterative, left to right, at most
/// [`MAX_TREE`] nodes expanded (deeper ones are kept as factors).
fn parse(fg: &FunctionGraph, v: Value, k: i32, dtype: DType, root: bool, p: &mut Prod) {
    let mut stack = vec![(v, k, root)];
    let mut expanded = 0;
    while let Some((v, k, root)) = stack.pop() {
        let node = match fg.def(v) {
            ValueDef::Output { node, index: 0 }
                if expanded < MAX_TREE && (root || fg.ty(v).dtype == dtype) =>
            {
                Some(node)
            }
            _ => None,
        };
        if let Some(node) = node {
            let ins = fg.node_inputs(node);
            let children: Option<Vec<(Value, i32)>> = match scalar_of(fg, node) {
                Some(S::Mul) => Some(ins.iter().map(|&i| (i, k)).collect()),
                Some(S::TrueDiv) if ins.len() == 2 => Some(vec![(ins[0], k), (ins[1], -k)]),
                Some(S::Neg) => {
                    p.neg ^= k % 2 != 0;
                    Some(vec![(ins[0], k)])
                }
                Some(S::Sqr) => Some(vec![(ins[0], 2 * k)]),
                Some(S::Pow) if ins.len() == 2 => scalar_const(fg, ins[1])
                    .filter(|e| e == &e.round() && (1.0..=4.0).contains(&e.abs()) && k.abs() <= 4)
                    .map(|e| vec![(ins[0], k * e as i32)]),
                _ => None,
            };
            if let Some(children) = children {
                expanded += 1;
                stack.extend(children.into_iter().rev().map(|(c, k)| (c, k, false)));
                continue;
            }
        }
        p.facs.push(Fac {
            v: Some(v),
            k,
            kind: kind(fg, v),
        });
    }
}

/// The root's product tree, when the root is a float mul or true_div.
fn root_prod(fg: &FunctionGraph, n: Node) -> Option<(Prod, TensorType)> {
    if !matches!(scalar_of(fg, n)?, S::Mul | S::TrueDiv) {
        return None;
    }
    let out = out0(fg, n);
    let want = fg.ty(out);
    if !want.dtype.is_float() {
        return None;
    }
    let mut p = Prod::default();
    parse(fg, out, 1, want.dtype, true, &mut p);
    Some((p, want))
}

/// Step of `exp_over_1_plus_exp`: divisors `(1 + exp(t))^k` become `sigmoid(-t)^k`.
fn step_1pexp(p: &mut Prod) -> bool {
    let mut changed = false;
    for f in &mut p.facs {
        if let Kind::OnePExp(a) = &f.kind {
            if f.k < 0 {
                *f = Fac {
                    v: None,
                    k: -f.k,
                    kind: Kind::Sigm(a.flip()),
                };
                changed = true;
            }
        }
    }
    changed
}

/// Step of `sigm_times_exp`: `exp(t)^m * sigmoid(-t)^m -> sigmoid(t)^m` and
/// `exp(t)^m * sigmoid(t)^-m -> sigmoid(-t)^-m`.
fn step_sigm_times_exp(p: &mut Prod) -> bool {
    let mut changed = false;
    for i in 0..p.facs.len() {
        let Kind::Exp(a) = p.facs[i].kind.clone() else {
            continue;
        };
        for j in 0..p.facs.len() {
            let ki = p.facs[i].k;
            let kj = p.facs[j].k;
            if ki == 0 {
                break;
            }
            let Kind::Sigm(b) = &p.facs[j].kind else {
                continue;
            };
            if kj == 0 {
                continue;
            }
            let m = ki.signum() * ki.abs().min(kj.abs());
            if *b == a.flip() && ki.signum() == kj.signum() {
                // exp(t) * sigmoid(-t) = sigmoid(t)
                p.facs[i].k -= m;
                p.facs[j].k -= m;
                p.facs.push(Fac {
                    v: None,
                    k: m,
                    kind: Kind::Sigm(a.clone()),
                });
                changed = true;
            } else if *b == a && ki.signum() != kj.signum() {
                // exp(t) / sigmoid(t) = exp(t) + 1 = 1 / sigmoid(-t)
                p.facs[i].k -= m;
                p.facs[j].k += m;
                p.facs.push(Fac {
                    v: None,
                    k: -m,
                    kind: Kind::Sigm(a.flip()),
                });
                changed = true;
            }
        }
    }
    changed
}

/// Step of `sigmoid_cancel`: `sigmoid(t)` above and below the line cancel.
fn step_cancel(p: &mut Prod) -> bool {
    let mut changed = false;
    for i in 0..p.facs.len() {
        if !matches!(p.facs[i].kind, Kind::Sigm(_)) {
            continue;
        }
        for j in i + 1..p.facs.len() {
            let (ki, kj) = (p.facs[i].k, p.facs[j].k);
            if ki == 0 {
                break;
            }
            if p.facs[j].kind == p.facs[i].kind && kj != 0 && ki.signum() != kj.signum() {
                let m = ki.abs().min(kj.abs());
                p.facs[i].k -= ki.signum() * m;
                p.facs[j].k -= kj.signum() * m;
                changed = true;
            }
        }
    }
    changed
}

/// `sigmoid(a)`, reusing a sigmoid of the same argument the product already reads.
fn sigmoid_value(fg: &mut FunctionGraph, p: &Prod, a: &Arg, loc: Loc) -> Option<Value> {
    let same = Kind::Sigm(a.clone());
    if let Some(v) = p
        .facs
        .iter()
        .find_map(|f| (f.kind == same).then_some(f.v).flatten())
    {
        return Some(v);
    }
    let t = a.value(fg, loc)?;
    mk(fg, S::Sigmoid, &[t], loc)
}

fn as_dtype(fg: &mut FunctionGraph, v: Value, d: DType, loc: Loc) -> Option<Value> {
    if fg.ty(v).dtype == d {
        return Some(v);
    }
    fg.add_node1(Op::elemwise(S::Cast(d)), &[v], loc).ok()
}

/// `±(num...) / (den...)` in `dtype`; factors that are the constant 1 (broadcast) are left
/// out.
fn build(fg: &mut FunctionGraph, p: &Prod, dtype: DType, loc: Loc) -> Option<Value> {
    let mut num = Vec::new();
    let mut den = Vec::new();
    for f in &p.facs {
        if f.k == 0 {
            continue;
        }
        let v = match f.v {
            Some(v) => v,
            None => {
                let Kind::Sigm(a) = &f.kind else {
                    return None;
                };
                sigmoid_value(fg, p, a, loc)?
            }
        };
        let ty = fg.ty(v);
        if scalar_const(fg, v) == Some(1.0) && (0..ty.ndim()).all(|i| ty.is_broadcastable(i)) {
            continue;
        }
        let v = as_dtype(fg, v, dtype, loc)?;
        let side = if f.k > 0 { &mut num } else { &mut den };
        match f.k.abs() {
            1 => side.push(v),
            2 => side.push(mk(fg, S::Sqr, &[v], loc)?),
            k => side.extend(std::iter::repeat_n(v, k as usize)),
        }
    }
    let product = |fg: &mut FunctionGraph, vs: &[Value]| -> Option<Option<Value>> {
        Some(match vs {
            [] => None,
            [v] => Some(*v),
            _ => Some(mk(fg, S::Mul, vs, loc)?),
        })
    };
    let n = product(fg, &num)?;
    let d = product(fg, &den)?;
    let r = match (n, d) {
        (Some(n), None) => n,
        (Some(n), Some(d)) => mk(fg, S::TrueDiv, &[n, d], loc)?,
        (None, d) => {
            let one = konst(fg, 1.0, dtype);
            match d {
                Some(d) => mk(fg, S::TrueDiv, &[one, d], loc)?,
                None => one,
            }
        }
    };
    if p.neg {
        mk(fg, S::Neg, &[r], loc)
    } else {
        Some(r)
    }
}

/// `r` given the replaced value's type: broadcast dimensions that only dropped factors
/// contributed come back through `fill(dropped, r)`.
fn finish(
    fg: &mut FunctionGraph,
    r: Value,
    dropped: &[Value],
    want: TensorType,
    loc: Loc,
) -> Option<Value> {
    let mut r = pad(fg, r, want.ndim(), loc)?;
    for &d in dropped {
        if fg.ty(r).broadcastable() == want.broadcastable() {
            break;
        }
        r = mk(fg, S::Second, &[d, r], loc)?;
    }
    fit(fg, r, want, loc)
}

/// The graph values a rewritten product no longer multiplies by (for `finish`).
fn dropped(before: &[Value], p: &Prod) -> Vec<Value> {
    before
        .iter()
        .copied()
        .filter(|v| !p.facs.iter().any(|f| f.v == Some(*v) && f.k != 0))
        .collect()
}

fn rewrite_prod(fg: &mut FunctionGraph, n: Node, step: fn(&mut Prod) -> bool) -> Option<Value> {
    let (mut p, want) = root_prod(fg, n)?;
    let before: Vec<Value> = p.facs.iter().filter_map(|f| f.v).collect();
    if !step(&mut p) {
        return None;
    }
    let loc = fg.location(n);
    let r = build(fg, &p, want.dtype, loc)?;
    let gone = dropped(&before, &p);
    finish(fg, r, &gone, want, loc)
}

/// `exp(t) / (1 + exp(t)) -> exp(t) * sigmoid(-t)`, `c / (1 + exp(t))^k -> c * sigmoid(-t)^k`.
pub(crate) fn exp_over_1_plus_exp(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    rewrite_prod(fg, n, step_1pexp)
}

/// `exp(t) * sigmoid(-t) -> sigmoid(t)`, `exp(t) / sigmoid(t) -> 1 / sigmoid(-t)`.
pub(crate) fn sigm_times_exp(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    rewrite_prod(fg, n, step_sigm_times_exp)
}

/// `a * sigmoid(t) / sigmoid(t) -> a`.
pub(crate) fn sigmoid_cancel(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    rewrite_prod(fg, n, step_cancel)
}

/// `v`'s terms through add, sub and neg in `dtype`: (negated, term); iterative, left to
/// right, at most [`MAX_TREE`] nodes expanded.
fn terms(fg: &FunctionGraph, v: Value, neg: bool, dtype: DType, out: &mut Vec<(bool, Value)>) {
    let mut stack = vec![(v, neg)];
    let mut expanded = 0;
    while let Some((v, neg)) = stack.pop() {
        if fg.ty(v).dtype == dtype && expanded < MAX_TREE {
            if let Some(node) = fg.owner(v) {
                let ins = fg.node_inputs(node);
                let children: Option<Vec<(Value, bool)>> = match scalar_of(fg, node) {
                    Some(S::Add) => Some(ins.iter().map(|&i| (i, neg)).collect()),
                    Some(S::Sub) if ins.len() == 2 => Some(vec![(ins[0], neg), (ins[1], !neg)]),
                    Some(S::Neg) => Some(vec![(ins[0], !neg)]),
                    _ => None,
                };
                if let Some(children) = children {
                    expanded += 1;
                    stack.extend(children.into_iter().rev());
                    continue;
                }
            }
        }
        out.push((neg, v));
    }
}

/// `(a - b) * s * F -> a * (s * F) - b * (s * F)` when a term divides by a sigmoid `s` that
/// the product multiplies.
pub(crate) fn sigmoid_distribute(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let (p, want) = root_prod(fg, n)?;
    let dtype = want.dtype;
    let above: Vec<Arg> = p
        .facs
        .iter()
        .filter_map(|f| match &f.kind {
            Kind::Sigm(a) if f.k > 0 => Some(a.clone()),
            _ => None,
        })
        .collect();
    if above.is_empty() {
        return None;
    }
    let (idx, ts) = p.facs.iter().enumerate().find_map(|(i, f)| {
        let v = f.v?;
        if f.k != 1 || f.kind != Kind::Other || fg.ty(v).dtype != dtype {
            return None;
        }
        let node = fg.owner(v)?;
        if !matches!(scalar_of(fg, node)?, S::Add | S::Sub) {
            return None;
        }
        let mut ts = Vec::new();
        terms(fg, v, false, dtype, &mut ts);
        let helps = ts.iter().any(|&(_, t)| {
            if fg.ty(t).dtype != dtype {
                return false;
            }
            let mut tp = Prod::default();
            parse(fg, t, 1, dtype, true, &mut tp);
            tp.facs
                .iter()
                .any(|g| g.k < 0 && matches!(&g.kind, Kind::Sigm(b) if above.contains(b)))
        });
        (ts.len() >= 2 && helps).then_some((i, ts))
    })?;
    let loc = fg.location(n);
    let sum = p.facs[idx].v?;
    let mut rest = Prod {
        neg: false,
        facs: p.facs.clone(),
    };
    rest.facs.remove(idx);
    let r = build(fg, &rest, dtype, loc)?;
    let mut acc: Option<Value> = None;
    for (neg, t) in ts {
        let t = as_dtype(fg, t, dtype, loc)?;
        let prod = mk(fg, S::Mul, &[t, r], loc)?;
        acc = Some(match (acc, neg) {
            (None, false) => prod,
            (None, true) => mk(fg, S::Neg, &[prod], loc)?,
            (Some(a), false) => mk(fg, S::Add, &[a, prod], loc)?,
            (Some(a), true) => mk(fg, S::Sub, &[a, prod], loc)?,
        });
    }
    let mut r = acc?;
    if p.neg {
        r = mk(fg, S::Neg, &[r], loc)?;
    }
    finish(fg, r, &[sum], want, loc)
}

/// `inline_sigmoid_binary_crossentropy` (Theano's inlining of an `OpFromGraph` with
/// `inline=True`): `sigmoid_binary_crossentropy{inline=True}(o, t)` -> its inner graph,
/// `softplus(-abs(o)) + o * ((o > 0) - t)`, which the later phases see into (fusion makes it
/// one kernel, as Theano's `Composite{(scalar_softplus((-Abs(i0))) + (i0 * (GT(i0, i1) -
/// i2)))}`); its gradient `sigmoid_binary_crossentropy_grad{inline=True}(o, t, out, g)` ->
/// `g * (sigmoid(o) - t)` and `g * -o`.
pub(crate) fn inline_sigmoid_binary_crossentropy(
    fg: &mut FunctionGraph,
    n: Node,
) -> Vec<(Value, Value)> {
    let op = fg.op(n);
    let r = if theano_ir::is_sigmoid_binary_crossentropy(op) {
        inline_forward(fg, n).map(|v| vec![v])
    } else if theano_ir::is_sigmoid_binary_crossentropy_grad(op) {
        inline_grad(fg, n)
    } else {
        None
    };
    let outs = fg.node_outputs(n).to_vec();
    match r {
        Some(new) if new.len() == outs.len() => outs.into_iter().zip(new).collect(),
        _ => vec![],
    }
}

fn inline_forward(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let [o, t] = fg.node_inputs(n)[..] else {
        return None;
    };
    let want = fg.ty(fg.node_outputs(n)[0]);
    let loc = fg.location(n);
    let a = mk(fg, S::Abs, &[o], loc)?;
    let na = mk(fg, S::Neg, &[a], loc)?;
    let sp = mk(fg, S::Softplus, &[na], loc)?;
    // Theano's `output > 0`: an int8 0, broadcast
    let nd = fg.ty(o).ndim();
    let zero = fg.add_constant(theano_ir::Tensor::zeros(DType::Int8, &vec![1; nd]));
    let pos = mk(fg, S::Gt, &[o, zero], loc)?;
    let d = mk(fg, S::Sub, &[pos, t], loc)?;
    let m = mk(fg, S::Mul, &[o, d], loc)?;
    let r = mk(fg, S::Add, &[sp, m], loc)?;
    fit(fg, r, want, loc)
}

fn inline_grad(fg: &mut FunctionGraph, n: Node) -> Option<Vec<Value>> {
    let [o, t, _out, g] = fg.node_inputs(n)[..] else {
        return None;
    };
    let outs = fg.node_outputs(n).to_vec();
    let (want0, want1) = (fg.ty(outs[0]), fg.ty(outs[1]));
    let loc = fg.location(n);
    let s = mk(fg, S::Sigmoid, &[o], loc)?;
    let d = mk(fg, S::Sub, &[s, t], loc)?;
    let g0 = mk(fg, S::Mul, &[g, d], loc)?;
    let no = mk(fg, S::Neg, &[o], loc)?;
    let g1 = mk(fg, S::Mul, &[g, no], loc)?;
    Some(vec![fit(fg, g0, want0, loc)?, fit(fg, g1, want1, loc)?])
}
