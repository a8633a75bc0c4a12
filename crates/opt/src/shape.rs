//! Shape inference (Theano's `infer_shape` and the shape feature): every op's output shapes as
//! symbolic dimensions, computed from its inputs' shapes and scalar inputs without evaluating
//! anything.
//!
//! Two levels:
//!
//! - [`infer_dims`] is pure: it reads the graph and returns [`Sym`] expressions (constants,
//!   `Shape_i{k}(v)` of the node's inputs, integer scalar values of the graph, and integer
//!   arithmetic over them). It never adds nodes, so analyses (the fill rewrite) leave no dead
//!   readers behind that would change `n_uses` for other rewrites.
//! - [`infer_shape`] materializes them: each dimension is a [`ShapeEntry`], a known constant
//!   or an int64 scalar value built in the graph (existing `Shape_i` nodes are reused).
//!
//! Broadcasting follows numpy, as the backends do at run time: an elementwise dimension where
//! several inputs are not broadcastable by type is `switch(d1 == 1, d2, d1)` folded over the
//! inputs (exact whenever the broadcast succeeds), simplified when the inputs' dimensions are
//! provably equal. [`canon`] lifts `Shape_i` through owners to the graph's inputs, so equal
//! dimensions compare equal structurally.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::Location;
use std::sync::Arc;

type Loc = &'static Location<'static>;
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{AdvEntry, DType, IdxEntry, Op, ScalarOp, Tensor};

use ScalarOp as S;

/// One symbolic dimension, materialized: a known length or an int64 scalar of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeEntry {
    Const(i64),
    Value(Value),
}

/// A symbolic integer: a dimension's length or arithmetic on lengths and integer scalars.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Sym {
    Const(i64),
    /// `Shape_i{k}(v)`.
    Dim(Value, usize),
    /// A scalar of the graph, as it is (an entry is cast to int64 when materialized).
    Val(Value),
    /// Entry `k` of an integer vector of the graph.
    Entry(Value, usize),
    /// An elementwise scalar op over int64 (and bool for `eq`/`lt`) scalars.
    Op(ScalarOp, SymArgs),
    /// numpy's broadcast of two or more lengths, none a constant (exact when the broadcast
    /// succeeds): a set, kept flat, without duplicates, in one order ([`Sym::broadcast`]), so
    /// a dimension that many broadcasts reach is as big as the set of lengths they join, and
    /// equal sets compare equal however they were joined. Built in the graph as
    /// `switch(d1 == 1, d2, d1)` folded over the set.
    Bcast(SymArgs),
}

/// The operands of a [`Sym::Op`]: shared, not copied. A broadcast dimension
/// `switch(d1 == 1, d2, d1)` reads each of `d1`, `d2` twice, so the symbols of a deep
/// elementwise DAG are DAGs: written out as trees they doubled at every level (a random DAG
/// of 40 elementwise nodes over vectors exhausted memory). Sharing keeps them the size of the
/// DAG; the hash is computed once, when the operands are built; equality is structural (a
/// comparison checks each pair of shared operand lists once).
#[derive(Clone)]
pub struct SymArgs(Arc<SymArgsData>);

struct SymArgsData {
    args: Vec<Sym>,
    hash: u64,
}

impl From<Vec<Sym>> for SymArgs {
    fn from(args: Vec<Sym>) -> SymArgs {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        args.hash(&mut h);
        SymArgs(Arc::new(SymArgsData {
            hash: h.finish(),
            args,
        }))
    }
}

impl std::ops::Deref for SymArgs {
    type Target = [Sym];
    fn deref(&self) -> &[Sym] {
        &self.0.args
    }
}

impl Hash for SymArgs {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash)
    }
}

thread_local! {
    /// During one comparison of [`SymArgs`] (its depth of nested comparisons, and the pairs
    /// of operand lists found equal so far): each pair is compared once, so comparing two
    /// equal DAGs built apart costs their size, not the size of their trees.
    static EQUAL_PAIRS: RefCell<(usize, HashSet<(usize, usize)>)> =
        RefCell::new((0, HashSet::new()));
}

impl PartialEq for SymArgs {
    fn eq(&self, other: &SymArgs) -> bool {
        if Arc::ptr_eq(&self.0, &other.0) {
            return true;
        }
        if self.0.hash != other.0.hash || self.0.args.len() != other.0.args.len() {
            return false;
        }
        // both lists are borrowed until the outermost comparison returns, which forgets
        // the pairs, so their addresses identify them meanwhile
        let key = (
            Arc::as_ptr(&self.0) as usize,
            Arc::as_ptr(&other.0) as usize,
        );
        let known = EQUAL_PAIRS.with(|m| {
            let mut m = m.borrow_mut();
            m.0 += 1;
            m.1.contains(&key)
        });
        let equal = known || self.0.args.iter().zip(&other.0.args).all(|(a, b)| a == b);
        EQUAL_PAIRS.with(|m| {
            let mut m = m.borrow_mut();
            if equal {
                m.1.insert(key);
            }
            m.0 -= 1;
            if m.0 == 0 {
                m.1.clear();
            }
        });
        equal
    }
}

impl Eq for SymArgs {}

impl fmt::Debug for SymArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

fn floor_div(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let q = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

impl Sym {
    /// `op(args)`, folded when the arguments are constants or the identity is plain.
    pub fn op(op: ScalarOp, args: Vec<Sym>) -> Sym {
        use Sym::Const as C;
        let consts: Option<Vec<i64>> = args
            .iter()
            .map(|a| match a {
                C(c) => Some(*c),
                _ => None,
            })
            .collect();
        if let Some(c) = consts {
            let r = match (&op, &c[..]) {
                (S::Add, [a, b]) => Some(a.wrapping_add(*b)),
                (S::Sub, [a, b]) => Some(a.wrapping_sub(*b)),
                (S::Mul, [a, b]) => Some(a.wrapping_mul(*b)),
                (S::IntDiv, [a, b]) => Some(floor_div(*a, *b)),
                (S::Maximum, [a, b]) => Some(*a.max(b)),
                (S::Minimum, [a, b]) => Some(*a.min(b)),
                (S::Neg, [a]) => Some(a.wrapping_neg()),
                (S::Eq, [a, b]) => Some((a == b) as i64),
                (S::Lt, [a, b]) => Some((a < b) as i64),
                (S::Switch, [c, a, b]) => Some(if *c != 0 { *a } else { *b }),
                _ => None,
            };
            if let Some(r) = r {
                return C(r);
            }
        }
        match (&op, &args[..]) {
            (S::Add, [C(0), x]) | (S::Add, [x, C(0)]) => x.clone(),
            (S::Sub, [x, C(0)]) => x.clone(),
            (S::Mul, [C(1), x]) | (S::Mul, [x, C(1)]) => x.clone(),
            (S::Mul, [C(0), _]) | (S::Mul, [_, C(0)]) => C(0),
            (S::IntDiv, [x, C(1)]) => x.clone(),
            (S::Eq, [a, b]) if a == b => C(1),
            (S::Switch, [C(c), a, b]) => {
                if *c != 0 {
                    a.clone()
                } else {
                    b.clone()
                }
            }
            (S::Switch, [_, a, b]) if a == b => a.clone(),
            // switch(d == 1, 1, d) is d
            (S::Switch, [Sym::Op(S::Eq, e), C(1), b]) if e[..] == [b.clone(), C(1)] => b.clone(),
            _ => Sym::Op(op, args.into()),
        }
    }
    fn bin(op: ScalarOp, a: Sym, b: Sym) -> Sym {
        Sym::op(op, vec![a, b])
    }
    /// numpy's broadcast of two lengths (exact when the broadcast succeeds): 1 is the unit, a
    /// constant other than 1 absorbs the rest, and otherwise the set of lengths joined
    /// ([`Sym::Bcast`]: flat, each length once, ordered by hash).
    pub fn broadcast(a: Sym, b: Sym) -> Sym {
        match (&a, &b) {
            (Sym::Const(1), _) => return b,
            (_, Sym::Const(1)) => return a,
            (Sym::Const(_), _) => return a,
            (_, Sym::Const(_)) => return b,
            _ if a == b => return a,
            _ => {}
        }
        let mut set: Vec<Sym> = Vec::new();
        for s in [a, b] {
            match s {
                Sym::Bcast(args) => {
                    for x in args.iter() {
                        if !set.contains(x) {
                            set.push(x.clone());
                        }
                    }
                }
                s => {
                    if !set.contains(&s) {
                        set.push(s);
                    }
                }
            }
        }
        if set.len() == 1 {
            return set.pop().expect("one length");
        }
        set.sort_by_cached_key(|x| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            x.hash(&mut h);
            h.finish()
        });
        Sym::Bcast(set.into())
    }
    /// The lengths a dimension broadcasts (itself when it is not a [`Sym::Bcast`]).
    pub fn broadcast_terms(&self) -> &[Sym] {
        match self {
            Sym::Bcast(args) => args,
            s => std::slice::from_ref(s),
        }
    }
    /// A [`Sym::Bcast`] written out as `switch(d1 == 1, d2, d1)` folded over its lengths.
    fn broadcast_switches(args: &[Sym]) -> Sym {
        let mut it = args.iter().cloned();
        let first = it.next().unwrap_or(Sym::Const(1));
        it.fold(first, |acc, d| {
            let is1 = Sym::bin(S::Eq, acc.clone(), Sym::Const(1));
            Sym::op(S::Switch, vec![is1, d, acc])
        })
    }
}

/// Dimension `k` of `v` with no lifting: 1 where the type says so, the length of a
/// constant, else `Shape_i{k}(v)`.
pub fn dim(fg: &FunctionGraph, v: Value, k: usize) -> Sym {
    if fg.ty(v).is_broadcastable(k) {
        return Sym::Const(1);
    }
    if let Some(t) = fg.constant_value(v) {
        return Sym::Const(t.shape()[k] as i64);
    }
    Sym::Dim(v, k)
}

fn dims(fg: &FunctionGraph, v: Value) -> Vec<Sym> {
    (0..fg.ty(v).ndim()).map(|k| dim(fg, v, k)).collect()
}

/// An integer scalar input as a symbol (its value when constant).
fn scalar(fg: &FunctionGraph, v: Value) -> Sym {
    if let Some(t) = fg.constant_value(v) {
        if let Some(c) = t.scalar_i64() {
            return Sym::Const(c);
        }
    }
    Sym::Val(v)
}

fn product(ds: impl IntoIterator<Item = Sym>) -> Sym {
    ds.into_iter()
        .fold(Sym::Const(1), |a, d| Sym::bin(S::Mul, a, d))
}

/// The length of Python's `slice(start, stop, step)` over a dimension of length `n`
/// (`slice.indices`), as the interpreter computes it.
fn slice_len(n: Sym, start: Option<Sym>, stop: Option<Sym>, step: Option<Sym>) -> Sym {
    use Sym::Const as C;
    let branch = |neg: bool, step: Sym| -> Sym {
        let (lower, upper) = if neg {
            (C(-1), Sym::bin(S::Sub, n.clone(), C(1)))
        } else {
            (C(0), n.clone())
        };
        let clamp = |v: Option<Sym>, default: Sym| -> Sym {
            match v {
                None => default,
                Some(v) => {
                    let lt0 = Sym::bin(S::Lt, v.clone(), C(0));
                    let wrapped = Sym::bin(
                        S::Maximum,
                        Sym::bin(S::Add, v.clone(), n.clone()),
                        lower.clone(),
                    );
                    let capped = Sym::bin(S::Minimum, v, upper.clone());
                    Sym::op(S::Switch, vec![lt0, wrapped, capped])
                }
            }
        };
        let (d_start, d_stop) = if neg {
            (upper.clone(), lower.clone())
        } else {
            (lower.clone(), upper.clone())
        };
        let a = clamp(start.clone(), d_start);
        let b = clamp(stop.clone(), d_stop);
        // step > 0: (b - a + step - 1) // step; step < 0: (a - b - step - 1) // -step
        let (span, by) = if neg {
            (Sym::bin(S::Sub, a, b), Sym::op(S::Neg, vec![step]))
        } else {
            (Sym::bin(S::Sub, b, a), step)
        };
        let num = Sym::bin(S::Sub, Sym::bin(S::Add, span, by.clone()), C(1));
        Sym::bin(S::Maximum, C(0), Sym::bin(S::IntDiv, num, by))
    };
    match step {
        None => branch(false, C(1)),
        Some(C(s)) => branch(s < 0, C(s)),
        Some(s) => {
            let neg = Sym::bin(S::Lt, s.clone(), C(0));
            Sym::op(
                S::Switch,
                vec![neg, branch(true, s.clone()), branch(false, s)],
            )
        }
    }
}

/// The output shapes of `node`, one list of symbolic dimensions per output, or `None` when
/// the op's shape is unknown (custom ops).
pub fn infer_dims(fg: &FunctionGraph, node: Node) -> Option<Vec<Vec<Sym>>> {
    let ins = fg.node_inputs(node);
    let out_ty: Vec<_> = fg.node_outputs(node).iter().map(|&o| fg.ty(o)).collect();
    let one = |d: Vec<Sym>| Some(vec![d]);
    let mut shapes = match fg.op(node) {
        Op::Elemwise { .. } => {
            let nd = out_ty[0].ndim();
            let d = (0..nd)
                .map(|k| {
                    ins.iter()
                        .map(|&v| dim(fg, v, k))
                        .fold(Sym::Const(1), Sym::broadcast)
                })
                .collect();
            one(d)
        }
        Op::DimShuffle { new_order, .. } => one(new_order
            .iter()
            .map(|e| match e {
                None => Sym::Const(1),
                Some(i) => dim(fg, ins[0], *i),
            })
            .collect()),
        Op::Reduce { axes, .. } | Op::ProdWithoutZeros { axes } => {
            let nd = fg.ty(ins[0]).ndim();
            let kept: Vec<Sym> = (0..nd)
                .filter(|i| axes.as_ref().is_some_and(|a| !a.contains(i)))
                .map(|i| dim(fg, ins[0], i))
                .collect();
            one(kept)
        }
        Op::MaxAndArgmax { axes } => {
            let nd = fg.ty(ins[0]).ndim();
            let kept: Vec<Sym> = (0..nd)
                .filter(|i| !axes.contains(i))
                .map(|i| dim(fg, ins[0], i))
                .collect();
            Some(vec![kept.clone(), kept])
        }
        Op::Argmax { axes } => {
            let nd = fg.ty(ins[0]).ndim();
            one((0..nd)
                .filter(|i| !axes.contains(i))
                .map(|i| dim(fg, ins[0], i))
                .collect())
        }
        Op::Dot => {
            let (a, b) = (ins[0], ins[1]);
            match (fg.ty(a).ndim(), fg.ty(b).ndim()) {
                (1, 1) => one(vec![]),
                (2, 1) => one(vec![dim(fg, a, 0)]),
                (1, 2) => one(vec![dim(fg, b, 1)]),
                _ => one(vec![dim(fg, a, 0), dim(fg, b, 1)]),
            }
        }
        Op::Dot22 => one(vec![dim(fg, ins[0], 0), dim(fg, ins[1], 1)]),
        Op::Softmax | Op::LogSoftmax => one(dims(fg, ins[0])),
        Op::SoftmaxGrad => one(dims(fg, ins[1])),
        // Theano's infer_shape: (y_idx.shape, x.shape, y_idx.shape); the softmax's columns
        // broadcast x's against the bias's
        Op::CrossentropySoftmaxArgmax1HotWithBias => {
            let rows = vec![dim(fg, ins[2], 0)];
            let sm = vec![
                dim(fg, ins[0], 0),
                Sym::broadcast(dim(fg, ins[0], 1), dim(fg, ins[1], 0)),
            ];
            Some(vec![rows.clone(), sm, rows])
        }
        Op::CrossentropySoftmax1HotWithBiasDx => one(dims(fg, ins[1])),
        // Theano's infer_shape: coding_dist's rows; the gradient coding_dist's shape
        Op::CrossentropyCategorical1Hot => one(vec![dim(fg, ins[0], 0)]),
        Op::CrossentropyCategorical1HotGrad => one(dims(fg, ins[1])),
        Op::Shape => one(vec![Sym::Const(fg.ty(ins[0]).ndim() as i64)]),
        Op::ShapeI(_) => one(vec![]),
        // the call checks that x's shape is the given one
        Op::SpecifyShape => {
            let entries = shape_entries(fg, ins[1], out_ty[0].ndim());
            if entries.len() != out_ty[0].ndim() {
                return None;
            }
            one(entries)
        }
        Op::Reshape { ndim } => {
            let entries = shape_entries(fg, ins[1], *ndim);
            if entries.len() != *ndim {
                return None;
            }
            let size = product(dims(fg, ins[0]));
            let known_nonneg =
                |e: &Sym| matches!(e, Sym::Const(c) if *c >= 0) || is_shape_value(fg, e);
            let d = (0..*ndim)
                .map(|k| {
                    let e = entries[k].clone();
                    if known_nonneg(&e) {
                        return e;
                    }
                    let others =
                        product((0..*ndim).filter(|&j| j != k).map(|j| entries[j].clone()));
                    let missing = Sym::bin(S::IntDiv, size.clone(), others);
                    let is_m1 = Sym::bin(S::Eq, e.clone(), Sym::Const(-1));
                    Sym::op(S::Switch, vec![is_m1, missing, e])
                })
                .collect();
            one(d)
        }
        Op::Flatten { outdim } => {
            let ds = dims(fg, ins[0]);
            let mut d: Vec<Sym> = ds[..outdim - 1].to_vec();
            d.push(product(ds[outdim - 1..].iter().cloned()));
            one(d)
        }
        Op::ARange { .. } => {
            let (a, b, s) = (ins[0], ins[1], ins[2]);
            let float =
                out_ty[0].dtype.is_float() || [a, b, s].iter().any(|&v| fg.ty(v).dtype.is_float());
            if float {
                // max(0, ceil((stop - start) / step)) in float64, as an int64 expression
                let f = |v: Value| Sym::Op(S::Cast(DType::Float64), vec![Sym::Val(v)].into());
                let q = Sym::Op(
                    S::TrueDiv,
                    vec![Sym::Op(S::Sub, vec![f(b), f(a)].into()), f(s)].into(),
                );
                let len = Sym::Op(
                    S::Cast(DType::Int64),
                    vec![Sym::Op(S::Ceil, vec![q].into())].into(),
                );
                one(vec![Sym::bin(S::Maximum, Sym::Const(0), len)])
            } else {
                // ceil((stop - start) / step) = -((start - stop) // step)
                let (a, b, s) = (scalar(fg, a), scalar(fg, b), scalar(fg, s));
                let q = Sym::bin(S::IntDiv, Sym::bin(S::Sub, a, b), s);
                one(vec![Sym::bin(
                    S::Maximum,
                    Sym::Const(0),
                    Sym::op(S::Neg, vec![q]),
                )])
            }
        }
        Op::Alloc => one(ins[1..].iter().map(|&v| scalar(fg, v)).collect()),
        Op::AllocEmpty { .. } => one(ins.iter().map(|&v| scalar(fg, v)).collect()),
        Op::DeepCopy => one(dims(fg, ins[0])),
        Op::Join { axis } => {
            let nd = out_ty[0].ndim();
            let d = (0..nd)
                .map(|k| {
                    if k == *axis {
                        ins.iter()
                            .map(|&v| dim(fg, v, k))
                            .fold(Sym::Const(0), |a, d| Sym::bin(S::Add, a, d))
                    } else {
                        dim(fg, ins[0], k)
                    }
                })
                .collect();
            one(d)
        }
        Op::MakeVector { .. } => one(vec![Sym::Const(ins.len() as i64)]),
        Op::Subtensor { idx } => {
            let x = ins[0];
            let mut scalars = ins[1..].iter().map(|&v| scalar(fg, v));
            let mut d = Vec::new();
            for (k, e) in idx.iter().enumerate() {
                match e {
                    IdxEntry::Index(_) => {
                        scalars.next();
                    }
                    IdxEntry::Slice { start, stop, step } => {
                        let mut take =
                            |p: &Option<DType>| p.map(|_| scalars.next().expect("typed"));
                        let (a, b, s) = (take(start), take(stop), take(step));
                        d.push(if a.is_none() && b.is_none() && s.is_none() {
                            dim(fg, x, k)
                        } else {
                            slice_len(dim(fg, x, k), a, b, s)
                        });
                    }
                }
            }
            d.extend((idx.len()..fg.ty(x).ndim()).map(|k| dim(fg, x, k)));
            one(d)
        }
        Op::IncSubtensor { .. }
        | Op::AdvancedIncSubtensor1 { .. }
        | Op::AdvancedIncSubtensor { .. }
        | Op::AdvancedBooleanIncSubtensor { .. } => one(dims(fg, ins[0])),
        // the number of selected elements is known only when computed
        Op::AdvancedBooleanSubtensor => None,
        Op::AdvancedSubtensor1 => {
            let mut d = vec![dim(fg, ins[1], 0)];
            d.extend((1..fg.ty(ins[0]).ndim()).map(|k| dim(fg, ins[0], k)));
            one(d)
        }
        Op::AdvancedSubtensor { idx } => {
            let x = ins[0];
            let arrays = &ins[1..];
            let bnd = arrays.iter().map(|&a| fg.ty(a).ndim()).max().unwrap_or(0);
            // the index arrays broadcast together (right-aligned)
            let adv: Vec<Sym> = (0..bnd)
                .map(|j| {
                    arrays
                        .iter()
                        .filter_map(|&a| {
                            let nd = fg.ty(a).ndim();
                            (j + nd >= bnd).then(|| dim(fg, a, j + nd - bnd))
                        })
                        .fold(Sym::Const(1), Sym::broadcast)
                })
                .collect();
            let positions: Vec<usize> = idx
                .iter()
                .enumerate()
                .filter(|(_, e)| **e == AdvEntry::Array)
                .map(|(i, _)| i)
                .collect();
            let contiguous = positions.windows(2).all(|w| w[1] == w[0] + 1);
            let mut d = Vec::new();
            if !contiguous {
                d.extend(adv.iter().cloned());
            }
            for (i, e) in idx.iter().enumerate() {
                match e {
                    AdvEntry::Full => d.push(dim(fg, x, i)),
                    AdvEntry::Array if contiguous && i == positions[0] => {
                        d.extend(adv.iter().cloned())
                    }
                    AdvEntry::Array => {}
                }
            }
            d.extend((idx.len()..fg.ty(x).ndim()).map(|k| dim(fg, x, k)));
            one(d)
        }
        Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. } => one(dims(fg, ins[0])),
        Op::CumOp { axis: None, .. } => one(vec![product(dims(fg, ins[0]))]),
        Op::CumOp { .. } | Op::Sort { .. } | Op::ArgSort { .. } => one(dims(fg, ins[0])),
        Op::Repeat { axis } => {
            let (x, r) = (ins[0], ins[1]);
            // the repeated length: n * repeats, or the sum of a constant vector of counts (a
            // symbolic vector's sum is known only when computed)
            let len = |n: Sym| -> Option<Sym> {
                if fg.ty(r).ndim() == 0 {
                    return Some(Sym::bin(S::Mul, n, scalar(fg, r)));
                }
                let c = fg.constant_value(r)?.to_i64_vec();
                match c[..] {
                    [one] => Some(Sym::bin(S::Mul, n, Sym::Const(one))),
                    _ => Some(Sym::Const(
                        c.iter().try_fold(0i64, |a, &b| a.checked_add(b))?,
                    )),
                }
            };
            match axis {
                None => one(vec![len(product(dims(fg, x)))?]),
                Some(a) => {
                    let k = theano_ir::cumsort::resolve_axis(*a, fg.ty(x).ndim())?;
                    let mut d = dims(fg, x);
                    d[k] = len(d[k].clone())?;
                    one(d)
                }
            }
        }
        // the number of non-zero elements is known only when computed
        Op::Nonzero => None,
        Op::AbstractConv2d { kind, params } => one(conv_shape(fg, *kind, params, ins)),
        Op::Pool {
            kind,
            ignore_border,
            ndim,
            ..
        } => one(pool_shape(fg, *kind, *ignore_border, *ndim, ins)?),
        // Theano's `maximum` of the two lengths: a length 1 takes the other's
        Op::PermuteRowElements => one(dims(fg, ins[0])
            .into_iter()
            .zip(dims(fg, ins[1]))
            .map(|(a, b)| Sym::broadcast(a, b))
            .collect()),
        // Theano builds an IfElse of the branches' shapes; a `switch` here would make the
        // unpicked branch's shape (and what it reads) needed outside that branch, so it
        // could no longer be skipped: the shape is read from the value instead
        Op::IfElse { .. } => None,
        Op::Eye { .. } | Op::Tri { .. } => one(vec![scalar(fg, ins[0]), scalar(fg, ins[1])]),
        Op::ExtractDiag {
            offset,
            axis1,
            axis2,
        } => {
            // Theano's ExtractDiag.infer_shape (numpy's PyArray_Diagonal)
            let x = ins[0];
            let (d1, d2) = (dim(fg, x, *axis1), dim(fg, x, *axis2));
            let clip =
                |v: Sym, hi: Sym| Sym::bin(S::Minimum, Sym::bin(S::Maximum, v, Sym::Const(0)), hi);
            let len = match offset.signum() {
                1 => clip(Sym::bin(S::Sub, d2, Sym::Const(*offset)), d1),
                -1 => clip(Sym::bin(S::Add, d1, Sym::Const(*offset)), d2),
                _ => Sym::bin(S::Minimum, d1, d2),
            };
            let mut d: Vec<Sym> = (0..fg.ty(x).ndim())
                .filter(|i| i != axis1 && i != axis2)
                .map(|i| dim(fg, x, i))
                .collect();
            d.push(len);
            one(d)
        }
        Op::AllocDiag {
            offset,
            axis1,
            axis2,
        } => {
            let x = ins[0];
            let nd = fg.ty(x).ndim();
            let side = Sym::bin(
                S::Add,
                dim(fg, x, nd - 1),
                Sym::Const(offset.checked_abs()?),
            );
            let d = theano_ir::matrix::alloc_diag_layout(nd, *axis1, *axis2)
                .into_iter()
                .map(|e| match e {
                    Some(i) => dim(fg, x, i),
                    None => side.clone(),
                })
                .collect();
            one(d)
        }
        Op::BatchedDot => {
            // (x.shape[0],) + x.shape[1:-1] + y.shape[2:]
            let (x, y) = (ins[0], ins[1]);
            let (nx, ny) = (fg.ty(x).ndim(), fg.ty(y).ndim());
            let mut d = vec![dim(fg, x, 0)];
            d.extend((1..nx - 1).map(|i| dim(fg, x, i)));
            d.extend((2..ny).map(|i| dim(fg, y, i)));
            one(d)
        }
        Op::SoftmaxWithBias => one(dims(fg, ins[0])),
        Op::Custom(c) => {
            let nd: Vec<usize> = ins.iter().map(|&v| fg.ty(v).ndim()).collect();
            let shapes = c.0.infer_shape(&nd)?;
            if shapes.len() != out_ty.len() {
                return None;
            }
            shapes
                .iter()
                .map(|out| {
                    out.iter()
                        .map(|d| match *d {
                            theano_ir::ShapeDim::Const(n) => Some(Sym::Const(n as i64)),
                            theano_ir::ShapeDim::Of { input, axis } => (input < ins.len()
                                && axis < nd[input])
                                .then(|| dim(fg, ins[input], axis)),
                        })
                        .collect::<Option<Vec<Sym>>>()
                })
                .collect::<Option<Vec<Vec<Sym>>>>()
        }
    }?;
    // the output types' broadcastable dimensions have length 1
    for (s, t) in shapes.iter_mut().zip(&out_ty) {
        if s.len() != t.ndim() {
            return None;
        }
        for (k, e) in s.iter_mut().enumerate() {
            if t.is_broadcastable(k) {
                *e = Sym::Const(1);
            }
        }
    }
    Some(shapes)
}

/// `e` is a `Shape_i` (a length, never negative).
fn is_shape_value(fg: &FunctionGraph, e: &Sym) -> bool {
    match e {
        Sym::Dim(..) => true,
        Sym::Val(v) => fg
            .owner(*v)
            .is_some_and(|n| matches!(fg.op(n), Op::ShapeI(_))),
        _ => false,
    }
}

/// Canonical form of a symbol: `Shape_i`s lifted through their owners' inferred shapes as far
/// as they go, `Shape_i` values read as dimensions, constants folded. Two dimensions whose
/// canonical forms are equal are equal at run time.
pub fn canon(fg: &FunctionGraph, s: &Sym) -> Sym {
    let mut memo = HashMap::new();
    canon_in(fg, s, &mut memo, 64)
}

/// The most symbols a canonical form lifted through an owner may have (see [`canon_in`]).
const MAX_CANON_SIZE: usize = 64;

impl Sym {
    /// Whether this expression has more than `limit` symbols (counted iteratively, stopping
    /// at the limit).
    fn size_exceeds(&self, limit: usize) -> bool {
        let mut stack = vec![self];
        let mut n = 0;
        while let Some(s) = stack.pop() {
            n += 1;
            if n > limit {
                return true;
            }
            if let Sym::Op(_, args) | Sym::Bcast(args) = s {
                stack.extend(args.iter());
            }
        }
        false
    }
}

fn canon_in(fg: &FunctionGraph, s: &Sym, memo: &mut HashMap<Sym, Sym>, depth: usize) -> Sym {
    if let Some(r) = memo.get(s) {
        return r.clone();
    }
    if depth == 0 {
        return s.clone();
    }
    let depth = depth - 1;
    let r = match s {
        Sym::Const(_) => s.clone(),
        Sym::Dim(v, k) => match dim(fg, *v, *k) {
            Sym::Dim(v, k) => shape_of(fg, v).get(k).cloned().unwrap_or(Sym::Dim(v, k)),
            d => d,
        },
        Sym::Val(v) => match (fg.constant_value(*v), fg.owner(*v)) {
            (Some(t), _) if t.scalar_i64().is_some() && !t.dtype().is_float() => {
                Sym::Const(t.scalar_i64().expect("checked"))
            }
            (_, Some(n)) => match fg.op(n) {
                Op::ShapeI(k) => canon_in(fg, &Sym::Dim(fg.node_inputs(n)[0], *k), memo, depth),
                _ => s.clone(),
            },
            _ => s.clone(),
        },
        Sym::Entry(v, k) => match (fg.constant_value(*v), fg.owner(*v)) {
            (Some(t), _) => t.to_i64_vec().get(*k).map_or(s.clone(), |&c| Sym::Const(c)),
            (_, Some(n)) => match fg.op(n) {
                Op::MakeVector { .. } => {
                    let e = fg.node_inputs(n)[*k];
                    canon_in(fg, &Sym::Val(e), memo, depth)
                }
                Op::Shape => canon_in(fg, &Sym::Dim(fg.node_inputs(n)[0], *k), memo, depth),
                _ => s.clone(),
            },
            _ => s.clone(),
        },
        Sym::Op(op, args) => {
            let args = args.iter().map(|a| canon_in(fg, a, memo, depth)).collect();
            Sym::op(op.clone(), args)
        }
        Sym::Bcast(args) => args
            .iter()
            .map(|a| canon_in(fg, a, memo, depth))
            .fold(Sym::Const(1), Sym::broadcast),
    };
    memo.insert(s.clone(), r.clone());
    r
}

/// `s` built in the graph as an int64 scalar.
pub fn materialize_i64(fg: &mut FunctionGraph, s: &Sym, loc: Loc) -> Option<Value> {
    let v = materialize(fg, s, loc)?;
    let v = match fg.ty(v).dtype {
        DType::Int64 => v,
        _ => fg
            .add_node1(Op::elemwise(S::Cast(DType::Int64)), &[v], loc)
            .ok()?,
    };
    (fg.ty(v) == theano_ir::TensorType::scalar(DType::Int64)).then_some(v)
}

/// Build `s` in the graph (dtypes as the ops give them), reusing `Shape_i` nodes. An operand
/// list `s` shares is built once.
pub fn materialize(fg: &mut FunctionGraph, s: &Sym, loc: Loc) -> Option<Value> {
    materialize_in(fg, s, loc, &mut HashMap::new())
}

fn materialize_in(
    fg: &mut FunctionGraph,
    s: &Sym,
    loc: Loc,
    built: &mut HashMap<(*const SymArgsData, Option<ScalarOp>), Value>,
) -> Option<Value> {
    Some(match s {
        Sym::Const(c) => fg.add_constant(Tensor::scalar(*c)),
        Sym::Dim(v, k) => {
            let existing = fg.clients(*v).iter().find_map(|c| {
                (fg.is_alive(c.node) && *fg.op(c.node) == Op::ShapeI(*k))
                    .then(|| fg.node_outputs(c.node)[0])
            });
            match existing {
                Some(e) => e,
                None => fg.add_node1(Op::ShapeI(*k), &[*v], loc).ok()?,
            }
        }
        Sym::Val(v) => *v,
        // entry k of an int vector: Subtensor{int64}(v, k)
        Sym::Entry(v, k) => {
            let kv = fg.add_constant(Tensor::scalar(*k as i64));
            fg.add_node1(
                Op::Subtensor {
                    idx: vec![IdxEntry::Index(DType::Int64)],
                },
                &[*v, kv],
                loc,
            )
            .ok()?
        }
        Sym::Op(op, args) => {
            let key = (Arc::as_ptr(&args.0), Some(op.clone()));
            if let Some(&v) = built.get(&key) {
                return Some(v);
            }
            let ins: Option<Vec<Value>> = args
                .iter()
                .map(|a| materialize_in(fg, a, loc, built))
                .collect();
            let v = fg.add_node1(Op::elemwise(op.clone()), &ins?, loc).ok()?;
            built.insert(key, v);
            v
        }
        Sym::Bcast(args) => {
            // `None`: the broadcast of the operand list, not an op over it
            let key = (Arc::as_ptr(&args.0), None);
            if let Some(&v) = built.get(&key) {
                return Some(v);
            }
            let v = materialize_in(fg, &Sym::broadcast_switches(args), loc, built)?;
            built.insert(key, v);
            v
        }
    })
}

fn entry(fg: &mut FunctionGraph, s: &Sym, loc: Loc) -> Option<ShapeEntry> {
    Some(match s {
        Sym::Const(c) => ShapeEntry::Const(*c),
        _ => ShapeEntry::Value(materialize_i64(fg, s, loc)?),
    })
}

/// The output shapes of `node` built in the graph: per output, per dimension, a known length
/// or an int64 scalar value computing it from the node's inputs. `None` for custom ops.
pub fn infer_shape(fg: &mut FunctionGraph, node: Node) -> Option<Vec<Vec<ShapeEntry>>> {
    let shapes = infer_dims(fg, node)?;
    let loc = fg.location(node);
    shapes
        .iter()
        .map(|s| s.iter().map(|d| entry(fg, d, loc)).collect())
        .collect()
}

/// The canonical symbolic shape of a value: its owner's inferred shape with its inputs'
/// dimensions replaced by their canonical shapes, down to the graph's inputs (a form of more
/// than `MAX_CANON_SIZE` symbols stays `Shape_i{k}(v)`, which is exact).
///
/// The graph's shape feature ([`ShapeMemo`]) keeps each value's canonical shape once
/// computed, and the first request computes the missing ones over the value's ancestors in
/// topological order, iteratively: so a shape costs its new ancestors, not its depth, and a
/// graph of any depth lifts to its inputs.
pub fn shape_of(fg: &FunctionGraph, v: Value) -> Vec<Sym> {
    if fg.owner(v).is_none() {
        return dims(fg, v);
    }
    if let Some(s) = cached_shape(fg, v) {
        return s.to_vec();
    }
    warm(fg, v);
    match cached_shape(fg, v) {
        Some(s) => s.to_vec(),
        None => dims(fg, v),
    }
}

/// The shape feature: each value's canonical shape ([`shape_of`]). Replacements keep a
/// canonical shape true (a rewrite replaces a value by an equal one), so an entry stays valid
/// while every value it names is alive (checked when it is read).
#[derive(Default)]
struct ShapeMemo(HashMap<Value, Arc<[Sym]>>);

fn value_alive(fg: &FunctionGraph, v: Value) -> bool {
    match fg.def(v) {
        ValueDef::Output { node, .. } => fg.is_alive(node),
        _ => true,
    }
}

/// Every value `s` names is alive.
fn names_alive(fg: &FunctionGraph, s: &Sym) -> bool {
    let mut stack = vec![s];
    while let Some(s) = stack.pop() {
        match s {
            Sym::Const(_) => {}
            Sym::Dim(v, _) | Sym::Val(v) | Sym::Entry(v, _) => {
                if !value_alive(fg, *v) {
                    return false;
                }
            }
            Sym::Op(_, args) | Sym::Bcast(args) => stack.extend(args.iter()),
        }
    }
    true
}

fn cached_shape(fg: &FunctionGraph, v: Value) -> Option<Arc<[Sym]>> {
    let s = fg.with_feature(|m: &mut ShapeMemo| m.0.get(&v).cloned())?;
    s.iter().all(|d| names_alive(fg, d)).then_some(s)
}

/// Compute the canonical shapes of `v` and of its ancestors that have none, inputs first
/// (an explicit stack: no recursion on the graph's depth).
fn warm(fg: &FunctionGraph, v: Value) {
    let mut stack = vec![(v, false)];
    let mut seen: HashSet<Node> = HashSet::new();
    while let Some((u, inputs_done)) = stack.pop() {
        let Some(n) = fg.owner(u) else { continue };
        if inputs_done {
            canonicalize_node(fg, n);
            continue;
        }
        if !seen.insert(n) || cached_shape(fg, u).is_some() {
            continue;
        }
        stack.push((u, true));
        for &i in fg.node_inputs(n) {
            if fg.owner(i).is_some() && cached_shape(fg, i).is_none() {
                stack.push((i, false));
            }
        }
    }
}

/// Record the canonical shapes of `n`'s outputs (its inputs' are known).
fn canonicalize_node(fg: &FunctionGraph, n: Node) {
    let inferred = infer_dims(fg, n);
    let mut memo = HashMap::new();
    let outs: Vec<(Value, Arc<[Sym]>)> = fg
        .node_outputs(n)
        .iter()
        .enumerate()
        .map(|(i, &o)| {
            let shape: Vec<Sym> = match &inferred {
                Some(sh) => sh[i]
                    .iter()
                    .enumerate()
                    .map(|(k, d)| {
                        let r = canon_in(fg, d, &mut memo, 64);
                        if r.size_exceeds(MAX_CANON_SIZE) {
                            Sym::Dim(o, k)
                        } else {
                            r
                        }
                    })
                    .collect(),
                None => dims(fg, o),
            };
            (o, shape.into())
        })
        .collect();
    fg.with_feature(|m: &mut ShapeMemo| m.0.extend(outs));
}

/// `Shape_i{k}(v) -> v's owner's inferred dimension k` (lifted as far as it goes);
/// `Shape(v) -> MakeVector(dimensions)` (a constant entry of a shape is
/// `crate::lift::subtensor_of_shape`'s).
pub(crate) fn shape_i_lift(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = fg.node_outputs(n)[0];
    let loc = fg.location(n);
    match *fg.op(n) {
        Op::ShapeI(k) => {
            let v = fg.node_inputs(n)[0];
            let here = dim(fg, v, k);
            let c = canon(fg, &here);
            if c == Sym::Dim(v, k) {
                return None;
            }
            let r = materialize_i64(fg, &c, loc)?;
            (fg.ty(r) == fg.ty(out)).then_some(r)
        }
        Op::Shape => {
            let v = fg.node_inputs(n)[0];
            fg.owner(v)?;
            let ValueDef::Output { node, .. } = fg.def(v) else {
                return None;
            };
            infer_dims(fg, node)?;
            let ds = shape_of(fg, v);
            let ins: Option<Vec<Value>> = ds.iter().map(|d| materialize_i64(fg, d, loc)).collect();
            let r = fg
                .add_node1(
                    Op::MakeVector {
                        dtype: DType::Int64,
                    },
                    &ins?,
                    loc,
                )
                .ok()?;
            (fg.ty(r) == fg.ty(out)).then_some(r)
        }
        _ => None,
    }
}

/// `useless_fill_shape`'s guard: `fill(a, b) -> b` when b has the output's type and every
/// dimension of a is 1 or provably equal to b's (b is a, or a fill through fills whose model
/// is a, or the canonical shapes say so).
pub(crate) fn fill_is_useless(fg: &FunctionGraph, a: Value, b: Value, out: Value) -> bool {
    if fg.ty(b) != fg.ty(out) {
        return false;
    }
    // b is a itself, or a fill (of a fill ...) with model a: b's shape is a's broadcast with
    // another already. Without this, fill_sink pushed one more fill(a, ..) through every
    // reader at each join of two paths carrying it, nesting fill(a, fill(a, ..)) once per
    // path: a number of nodes exponential in the depth of a DAG.
    let mut w = b;
    loop {
        if w == a {
            return true;
        }
        match crate::util::ew_inputs(fg, w, S::Second).as_deref() {
            Some(&[m, _]) if m == a => return true,
            Some(&[_, inner]) => w = inner,
            _ => break,
        }
    }
    covers(fg, a, b)
}

/// `useless_reshape`'s guard (Theano's `local_useless_reshape`): `Reshape(x, shape) -> x`
/// when x has the output's type and every requested entry is provably x's own dimension
/// (canonical forms equal; a `-1` entry is not looked into).
pub(crate) fn reshape_is_useless(fg: &FunctionGraph, n: Node) -> bool {
    let Op::Reshape { ndim } = *fg.op(n) else {
        return false;
    };
    let out = fg.node_outputs(n)[0];
    let x = fg.node_inputs(n)[0];
    if fg.ty(x) != fg.ty(out) || fg.ty(x).ndim() != ndim {
        return false;
    }
    // the requested entries, as infer_dims reads them
    let s = fg.node_inputs(n)[1];
    let entries: Vec<Sym> = if let Some(t) = fg.constant_value(s) {
        t.to_i64_vec().into_iter().map(Sym::Const).collect()
    } else if let Some(m) = fg
        .owner(s)
        .filter(|&m| matches!(fg.op(m), Op::MakeVector { .. }))
    {
        fg.node_inputs(m).iter().map(|&v| scalar(fg, v)).collect()
    } else {
        (0..ndim).map(|k| Sym::Entry(s, k)).collect()
    };
    let have = shape_of(fg, x);
    entries.len() == have.len() && entries.iter().zip(&have).all(|(e, d)| canon(fg, e) == *d)
}

/// `useless_alloc`'s guard (Theano's `local_useless_alloc`): `Alloc(v, dims...) -> v` when v
/// has the output's type and its dimensions are provably the requested ones.
pub(crate) fn alloc_is_useless(fg: &FunctionGraph, n: Node) -> bool {
    if *fg.op(n) != Op::Alloc {
        return false;
    }
    let out = fg.node_outputs(n)[0];
    let ins = fg.node_inputs(n);
    let v = ins[0];
    if fg.ty(v) != fg.ty(out) {
        return false;
    }
    let have = shape_of(fg, v);
    ins.len() - 1 == have.len()
        && ins[1..]
            .iter()
            .zip(&have)
            .all(|(&e, d)| canon(fg, &scalar(fg, e)) == *d)
}

/// Every dimension of `a` is 1 or provably equal to `b`'s (so `b`'s shape is the broadcast of
/// both): equal forms, or every length `a`'s dimension broadcasts is one that `b`'s does (`b`
/// exists, so its broadcast succeeded: its lengths are 1 or one common length, `a`'s too).
fn covers(fg: &FunctionGraph, a: Value, b: Value) -> bool {
    let (sa, sb) = (shape_of(fg, a), shape_of(fg, b));
    sa.len() == sb.len()
        && sa.iter().zip(&sb).all(|(x, y)| {
            *x == Sym::Const(1)
                || x == y
                || x.broadcast_terms()
                    .iter()
                    .all(|t| y.broadcast_terms().contains(t))
        })
}

/// Theano's `local_fill_sink`: `op(fill(a, b), c...) -> fill(a, op(b, c...))`, so the fill
/// reaches a place where its value has a's shape and `useless_fill_shape` removes it; it is
/// left out at once when `op(b, c...)` has the output's type and provably a's shape (Theano
/// drops it on equal types alone, which numpy's run-time broadcasting would make unsound).
pub(crate) fn fill_sink(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Elemwise {
        scalar,
        inplace: None,
    } = fg.op(n).clone()
    else {
        return None;
    };
    if matches!(scalar, S::Second | S::Composite(_)) {
        return None;
    }
    let out = fg.node_outputs(n)[0];
    let mut ins = fg.node_inputs(n).to_vec();
    // every fill input at once, each model once (as PyTensor's local_fill_sink): sinking one
    // fill per visit re-rewrote a node once per path that brings it a fill, and on a DAG
    // those paths multiply
    let mut models: Vec<Value> = Vec::new();
    for v in ins.iter_mut() {
        let Some(fill) = crate::util::ew_inputs(fg, *v, S::Second) else {
            continue;
        };
        let [a, b] = fill[..] else {
            continue;
        };
        *v = b;
        if !models.contains(&a) {
            models.push(a);
        }
    }
    if models.is_empty() {
        return None;
    }
    let loc = fg.location(n);
    let inner = fg.add_node1(Op::elemwise(scalar), &ins, loc).ok()?;
    // a fill is useless on the new node already when its model's shape is covered (Theano
    // drops it when the types agree)
    let mut r = inner;
    for a in models {
        if fg.ty(r) == fg.ty(out) && covers(fg, a, r) {
            continue;
        }
        r = fg.add_node1(Op::elemwise(S::Second), &[a, r], loc).ok()?;
    }
    (fg.ty(r) == fg.ty(out)).then_some(r)
}

/// The entries of the integer shape vector `s` (of `n` entries): constants when it is a
/// constant, its scalars when it is a MakeVector, else `s[k]` symbolically.
fn shape_entries(fg: &FunctionGraph, s: Value, n: usize) -> Vec<Sym> {
    if let Some(t) = fg.constant_value(s) {
        t.to_i64_vec().into_iter().map(Sym::Const).collect()
    } else if let Some(node) = fg
        .owner(s)
        .filter(|&node| matches!(fg.op(node), Op::MakeVector { .. }))
    {
        fg.node_inputs(node)
            .iter()
            .map(|&v| scalar(fg, v))
            .collect()
    } else {
        (0..n).map(|k| Sym::Entry(s, k)).collect()
    }
}

/// `shape_to_shape_i` (Theano's `local_shape_to_shape_i`): the shape vector of a value whose
/// dimensions `shape_i_lift` cannot lift (a graph input, say) is the vector of its lengths,
/// `Shape(x) -> [Shape_i{0}(x), Shape_i{1}(x)]`, so that indexing and joining it simplify.
pub(crate) fn shape_to_shape_i(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    if *fg.op(n) != Op::Shape {
        return None;
    }
    let x = fg.node_inputs(n)[0];
    let out = fg.node_outputs(n)[0];
    let loc = fg.location(n);
    let dims: Vec<Value> = (0..fg.ty(x).ndim())
        .map(|k| fg.add_node1(Op::ShapeI(k), &[x], loc).ok())
        .collect::<Option<_>>()?;
    let r = fg
        .add_node1(
            Op::MakeVector {
                dtype: DType::Int64,
            },
            &dims,
            loc,
        )
        .ok()?;
    (fg.ty(r) == fg.ty(out)).then_some(r)
}

/// `reshape_to_dimshuffle` (Theano's `local_reshape_to_dimshuffle`): the entries of a
/// reshape's shape that are the constant 1 become DimShuffle's new broadcastable dimensions,
/// `Reshape{2}(x, [n, 1]) -> DimShuffle{0, x}(Reshape{1}(x, [n]))`, so that DimShuffles can
/// cancel them later (the BLAS rewrites read such a column as a vector).
pub(crate) fn reshape_to_dimshuffle(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Reshape { ndim } = *fg.op(n) else {
        return None;
    };
    let [x, shp] = fg.node_inputs(n)[..] else {
        return None;
    };
    let mv = fg.owner(shp)?;
    let Op::MakeVector { dtype } = *fg.op(mv) else {
        return None;
    };
    let entries = fg.node_inputs(mv).to_vec();
    if entries.len() != ndim {
        return None;
    }
    let ones: Vec<bool> = entries
        .iter()
        .map(|&e| crate::util::scalar_const(fg, e) == Some(1.0) && fg.ty(e).ndim() == 0)
        .collect();
    if !ones.contains(&true) || !ones.contains(&false) {
        return None;
    }
    let rest: Vec<Value> = entries
        .iter()
        .zip(&ones)
        .filter(|(_, &one)| !one)
        .map(|(&e, _)| e)
        .collect();
    let loc = fg.location(n);
    let shape = fg.add_node1(Op::MakeVector { dtype }, &rest, loc).ok()?;
    let r = fg
        .add_node1(Op::Reshape { ndim: rest.len() }, &[x, shape], loc)
        .ok()?;
    let mut k = 0;
    let new_order = ones
        .iter()
        .map(|&one| {
            (!one).then(|| {
                k += 1;
                k - 1
            })
        })
        .collect();
    let d = fg
        .add_node1(
            Op::DimShuffle {
                new_order,
                inplace: true,
            },
            &[r],
            loc,
        )
        .ok()?;
    (fg.ty(d) == fg.ty(fg.node_outputs(n)[0])).then_some(d)
}

/// `useless_dimshuffle_in_reshape`'s guard (Theano's `local_useless_dimshuffle_in_reshape`):
/// the DimShuffle `d` only inserts or drops length-1 dimensions, keeping the order of the
/// others, so a reshape reads the same elements in the same order through it or without it.
pub(crate) fn ds_keeps_order(fg: &FunctionGraph, d: Value) -> bool {
    let Some(node) = fg.owner(d) else {
        return false;
    };
    let Op::DimShuffle { new_order, .. } = fg.op(node) else {
        return false;
    };
    let t = fg.ty(d);
    let kept: Vec<usize> = new_order
        .iter()
        .enumerate()
        .filter(|&(i, _)| !t.is_broadcastable(i))
        .filter_map(|(_, e)| *e)
        .collect();
    kept.windows(2).all(|w| w[0] <= w[1])
}

/// The length of dimension `k` of `v` as a graph value, lifted as `shape_i_lift` lifts
/// `Shape_i{k}(v)` (for the rewrites of later phases, which build shapes after it ran).
pub(crate) fn lifted_shape_i(
    fg: &mut FunctionGraph,
    v: Value,
    k: usize,
    loc: Loc,
) -> Option<Value> {
    let here = dim(fg, v, k);
    let c = canon(fg, &here);
    if c != Sym::Dim(v, k) {
        if let Some(r) = materialize_i64(fg, &c, loc) {
            if fg.ty(r) == theano_ir::TensorType::scalar(DType::Int64) {
                return Some(r);
            }
        }
    }
    fg.add_node1(Op::ShapeI(k), &[v], loc).ok()
}

/// The output shape of a convolution op (Theano's `infer_shape`s): a known length of the
/// op's shape hints is used as it is (the interpreter checks the hints), else the inputs'.
fn conv_shape(
    fg: &FunctionGraph,
    kind: theano_ir::ConvKind,
    p: &theano_ir::ConvParams,
    ins: &[Value],
) -> Vec<Sym> {
    use theano_ir::{Border, ConvKind};
    let hinted = |hint: Option<usize>, s: Sym| hint.map_or(s, |h| Sym::Const(h as i64));
    let c = |v: usize| Sym::Const(v as i64);
    match kind {
        ConvKind::Forward => {
            let (x, w) = (ins[0], ins[1]);
            let mut out = vec![
                hinted(p.imshp[0], dim(fg, x, 0)),
                hinted(p.kshp[0], dim(fg, w, 0)),
            ];
            for a in 0..2 {
                let h = hinted(p.imshp[a + 2], dim(fg, x, a + 2));
                let k = hinted(p.kshp[a + 2], dim(fg, w, a + 2));
                // the dilated filter: (k - 1) * d + 1
                let dk = Sym::bin(
                    S::Add,
                    Sym::bin(S::Mul, Sym::bin(S::Sub, k, c(1)), c(p.dilation[a])),
                    c(1),
                );
                let pads = match p.border {
                    Border::Valid => Sym::Const(0),
                    Border::Full => Sym::bin(S::Mul, Sym::bin(S::Sub, dk.clone(), c(1)), c(2)),
                    Border::Half => Sym::bin(S::Mul, Sym::bin(S::IntDiv, dk.clone(), c(2)), c(2)),
                    Border::Pad(sides) => c(sides[a].0 + sides[a].1),
                };
                let span = Sym::bin(S::Sub, Sym::bin(S::Add, h, pads), dk);
                out.push(Sym::bin(
                    S::Add,
                    Sym::bin(S::IntDiv, span, c(p.subsample[a])),
                    c(1),
                ));
            }
            out
        }
        ConvKind::GradWeights => {
            let (x, top, hw) = (ins[0], ins[1], ins[2]);
            vec![
                hinted(p.kshp[0], dim(fg, top, 1)),
                hinted(
                    p.kshp[1],
                    Sym::bin(S::IntDiv, dim(fg, x, 1), c(p.num_groups)),
                ),
                hinted(p.kshp[2], Sym::Entry(hw, 0)),
                hinted(p.kshp[3], Sym::Entry(hw, 1)),
            ]
        }
        ConvKind::GradInputs => {
            let (w, top, hw) = (ins[0], ins[1], ins[2]);
            vec![
                hinted(p.imshp[0], dim(fg, top, 0)),
                hinted(p.imshp[1], Sym::bin(S::Mul, dim(fg, w, 1), c(p.num_groups))),
                hinted(p.imshp[2], Sym::Entry(hw, 0)),
                hinted(p.imshp[3], Sym::Entry(hw, 1)),
            ]
        }
    }
}

/// The output shape of a pooling op (Theano's `out_shape`): the pooled lengths from the
/// windows, strides and pads when they are constants; the gradient ops keep x's shape
/// (`DownsampleFactorMaxGradGrad` the maxima's).
fn pool_shape(
    fg: &FunctionGraph,
    kind: theano_ir::PoolKind,
    ignore_border: bool,
    nd: usize,
    ins: &[Value],
) -> Option<Vec<Sym>> {
    use theano_ir::PoolKind;
    match kind {
        PoolKind::MaxPoolGrad | PoolKind::AveragePoolGrad => return Some(dims(fg, ins[0])),
        PoolKind::MaxPoolGradGrad => return Some(dims(fg, ins[1])),
        PoolKind::Pool => {}
    }
    let consts = |v: Value| -> Option<Vec<i64>> {
        let t = fg.constant_value(v)?.to_i64_vec();
        (t.len() == nd).then_some(t)
    };
    let (ws, st, pad) = (consts(ins[1])?, consts(ins[2])?, consts(ins[3])?);
    let x = ins[0];
    let k = fg.ty(x).ndim().checked_sub(nd)?;
    let c = Sym::Const;
    let mut out: Vec<Sym> = (0..k).map(|a| dim(fg, x, a)).collect();
    for a in 0..nd {
        let (w, s, p) = (ws[a], st[a], pad[a]);
        if s <= 0 {
            return None;
        }
        let v = Sym::bin(S::Add, dim(fg, x, k + a), c(2 * p));
        let floor_div = |e: Sym| Sym::bin(S::IntDiv, e, c(s));
        let n = if ignore_border {
            if w == s {
                floor_div(v)
            } else {
                let n = Sym::bin(S::Add, floor_div(Sym::bin(S::Sub, v, c(w))), c(1));
                Sym::bin(S::Maximum, n, c(0))
            }
        } else if s >= w {
            Sym::bin(S::Add, floor_div(Sym::bin(S::Sub, v, c(1))), c(1))
        } else {
            let n = floor_div(Sym::bin(S::Sub, v, c(1 + w - s)));
            Sym::bin(S::Add, Sym::bin(S::Maximum, n, c(0)), c(1))
        };
        out.push(n);
    }
    Some(out)
}
