//! The in-place pass, run last: `Gemv`, `Gemm`, `CGer`, elementwise and inc-subtensor nodes
//! take their in-place form where a small destroy handler (Theano's `DestroyHandler` idea)
//! proves it safe. The flags are for the backends; the interpreter always allocates.
//!
//! A node may overwrite an input `v` when, with `r` the value `v` views (through DimShuffle,
//! Subtensor, Reshape, Flatten: conservatively every view-like op) and `A` every value that
//! views `r`:
//! - `r` is not a constant nor a graph input, and a shared variable only when the caller lists
//!   it as mutable (it is updated by the function, so its old value is not needed after);
//! - no value of `A` is a graph output;
//! - `r` is not overwritten by another node (a value is destroyed at most once);
//! - every other reader of a value of `A` runs before the node: it is one of the node's
//!   ancestors, so any schedule runs it first; the node itself reads `A` only at that input.

use crate::engine::Report;
use std::collections::HashSet;
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::Op;

/// The input whose buffer the op's output may view (conservatively: every view-like op).
fn view_input(op: &Op) -> Option<usize> {
    match op {
        Op::DimShuffle { .. }
        | Op::Subtensor { .. }
        | Op::Reshape { .. }
        | Op::Flatten { .. }
        | Op::SpecifyShape => Some(0),
        _ => None,
    }
}

/// The value `v` is a view of (itself when it is no view).
fn view_root(fg: &FunctionGraph, v: Value) -> Value {
    let mut v = v;
    while let Some(n) = fg.owner(v) {
        match view_input(fg.op(n)) {
            Some(i) => v = fg.node_inputs(n)[i],
            None => break,
        }
    }
    v
}

/// `r` and every value that views it.
fn aliases(fg: &FunctionGraph, r: Value) -> Vec<Value> {
    let mut out = vec![r];
    let mut k = 0;
    while k < out.len() {
        let v = out[k];
        k += 1;
        for c in fg.clients(v) {
            if view_input(fg.op(c.node)) == Some(c.input as usize) {
                out.extend_from_slice(fg.node_outputs(c.node));
            }
        }
    }
    out
}

/// Whether every node of `readers` is an ancestor of `n` (`n` depends on it). With `pos`
/// (topological positions, `None` for a node placed after it was computed) the walk back from
/// `n` stops at the earliest reader's position: a node placed before it cannot lead to a
/// reader, and a reader placed after `n` is no ancestor. So the cost is the nodes between the
/// readers and `n`, not every ancestor of `n`.
fn all_ancestors(fg: &FunctionGraph, n: Node, readers: &[Node], pos: &[Option<usize>]) -> bool {
    let at = |m: Node| pos.get(m.index()).copied().flatten();
    let bound = match at(n) {
        Some(pn) => {
            let mut lo = pn;
            for &c in readers {
                match at(c) {
                    Some(pc) if pc < pn => lo = lo.min(pc),
                    Some(_) => return false,
                    None => {
                        lo = 0;
                        break;
                    }
                }
            }
            lo
        }
        None => 0,
    };
    let wanted: HashSet<Node> = readers.iter().copied().collect();
    let mut found = 0;
    let mut seen: HashSet<Node> = HashSet::new();
    let mut stack: Vec<Node> = vec![n];
    while let Some(m) = stack.pop() {
        for &v in fg.node_inputs(m) {
            let Some(o) = fg.owner(v) else { continue };
            if at(o).is_some_and(|p| p < bound) || !seen.insert(o) {
                continue;
            }
            if wanted.contains(&o) {
                found += 1;
                if found == wanted.len() {
                    return true;
                }
            }
            stack.push(o);
        }
    }
    found == wanted.len()
}

/// The destroy handler: which values are overwritten, and the check.
pub struct DestroyHandler<'a> {
    mutable: &'a [Value],
    destroyed: HashSet<Value>,
    /// by node: its position in the topological order when the handler was made
    pos: Vec<Option<usize>>,
}

impl<'a> DestroyHandler<'a> {
    /// `mutable`: the shared variables the function updates, which may be overwritten.
    pub fn new(fg: &FunctionGraph, mutable: &'a [Value]) -> DestroyHandler<'a> {
        let mut destroyed = HashSet::new();
        let mut pos = vec![None; fg.num_nodes()];
        for (k, n) in fg.toposort().into_iter().enumerate() {
            pos[n.index()] = Some(k);
            if let Some(i) = fg.op(n).destroyed_input() {
                destroyed.insert(view_root(fg, fg.node_inputs(n)[i]));
            }
        }
        DestroyHandler {
            mutable,
            destroyed,
            pos,
        }
    }

    /// Whether node `n` may overwrite its input `i` (see the module documentation).
    pub fn can_destroy(&self, fg: &FunctionGraph, n: Node, i: usize) -> bool {
        let v = fg.node_inputs(n)[i];
        let r = view_root(fg, v);
        let leaf_ok = match fg.def(r) {
            ValueDef::Output { .. } => true,
            ValueDef::Shared => self.mutable.contains(&r),
            ValueDef::Input | ValueDef::Constant => false,
        };
        if !leaf_ok || self.destroyed.contains(&r) {
            return false;
        }
        let all = aliases(fg, r);
        if all.iter().any(|&a| fg.is_output(a)) {
            return false;
        }
        let mut readers: Vec<Node> = Vec::new();
        for &a in &all {
            for c in fg.clients(a) {
                if c.node == n {
                    if c.input as usize != i {
                        return false;
                    }
                    continue;
                }
                readers.push(c.node);
            }
        }
        readers.is_empty() || all_ancestors(fg, n, &readers, &self.pos)
    }

    /// Record that `n` now overwrites its input `i`.
    pub fn mark(&mut self, fg: &FunctionGraph, n: Node, i: usize) {
        self.destroyed.insert(view_root(fg, fg.node_inputs(n)[i]));
    }
}

/// The in-place forms of `op` to try: (destroyed input, op).
fn candidates(fg: &FunctionGraph, n: Node) -> Vec<(usize, Op, &'static str)> {
    let op = fg.op(n);
    match op {
        Op::Gemv { inplace: false } => vec![(0, Op::Gemv { inplace: true }, "inplace_gemv")],
        Op::Gemm { inplace: false } => vec![(0, Op::Gemm { inplace: true }, "inplace_gemm")],
        Op::Ger { destructive: false } => {
            vec![(0, Op::Ger { destructive: true }, "inplace_ger")]
        }
        Op::Elemwise {
            scalar,
            inplace: None,
        } => {
            let out = fg.ty(fg.node_outputs(n)[0]);
            fg.node_inputs(n)
                .iter()
                .enumerate()
                .filter(|&(_, &v)| fg.ty(v) == out)
                .map(|(i, _)| {
                    let op = Op::Elemwise {
                        scalar: scalar.clone(),
                        inplace: Some(i),
                    };
                    (i, op, "inplace_elemwise")
                })
                .collect()
        }
        Op::IncSubtensor {
            idx,
            set,
            inplace: false,
        } => {
            let op = Op::IncSubtensor {
                idx: idx.clone(),
                set: *set,
                inplace: true,
            };
            vec![(0, op, "inplace_incsubtensor")]
        }
        Op::AdvancedIncSubtensor1 {
            set,
            inplace: false,
        } => {
            let op = Op::AdvancedIncSubtensor1 {
                set: *set,
                inplace: true,
            };
            vec![(0, op, "inplace_incsubtensor")]
        }
        Op::AdvancedIncSubtensor {
            idx,
            set,
            inplace: false,
        } => {
            let op = Op::AdvancedIncSubtensor {
                idx: idx.clone(),
                set: *set,
                inplace: true,
            };
            vec![(0, op, "inplace_incsubtensor")]
        }
        _ => vec![],
    }
}

/// The names `optimizer_excluding` can give the in-place pass: all of it, or one rewrite.
pub const INPLACE_NAMES: &[&str] = &[
    "inplace",
    "inplace_gemv",
    "inplace_gemm",
    "inplace_ger",
    "inplace_elemwise",
    "inplace_incsubtensor",
];

/// Turn every node that safely can into its in-place form, in topological order; `mutable`
/// lists the shared variables the function updates. Returns how many nodes changed. Names
/// in `excluding` (`inplace`, or one of `inplace_gemv`, `inplace_gemm`, `inplace_ger`,
/// `inplace_elemwise`, `inplace_incsubtensor`) are skipped.
pub fn inplace(
    fg: &mut FunctionGraph,
    mutable: &[Value],
    excluding: &[String],
    verbose: bool,
    report: &mut Report,
) -> usize {
    if excluding.iter().any(|e| e == "inplace") {
        return 0;
    }
    let mut dh = DestroyHandler::new(fg, mutable);
    let mut changed = 0;
    for n in fg.toposort() {
        for (i, op, name) in candidates(fg, n) {
            if excluding.iter().any(|e| e == name) || !dh.can_destroy(fg, n, i) {
                continue;
            }
            if verbose {
                eprintln!("rewriting: rewrite {name} makes {} {op}", fg.op(n));
            }
            if fg.set_op(n, op).is_ok() {
                dh.mark(fg, n, i);
                report.record(name);
                changed += 1;
                break;
            }
        }
    }
    changed
}
