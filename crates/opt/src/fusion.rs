//! Elementwise fusion (Theano's `local_elemwise_fusion`): chains and trees of `Elemwise`
//! nodes become one `Elemwise{Composite{...}}`, the body of a single loop.
//!
//! The rewrite runs on each elemwise node (the root) in the fusion phase, after specialize,
//! at `FastRun` only. It absorbs a producer `p` of one of the group's inputs `v` when
//! - `p` is an `Elemwise` (a `Composite` too: it is inlined), and
//! - **`v` has exactly one reader** (one client, not a graph output): a value with two
//!   readers is computed once, by its own node, never duplicated into both consumers, and
//! - the group's distinct inputs stay within [`MAX_FUSED_INPUTS`] after the absorption, and
//! - the group's instructions stay within [`MAX_FUSED_INSTRS`] (each absorption rebuilds the
//!   composite, so an unbounded chain of 200,000 nodes cost a quadratic 2 * 10^10 steps; the
//!   bound makes it linear, one kernel per `MAX_FUSED_INSTRS` nodes).
//!
//! - `v` has the consumer's output's broadcastable pattern (Theano's condition, "to not redo
//!   computation due to broadcast"): a producer over broadcastable dimensions the output
//!   spans (`exp(row) + matrix`, a batch-norm statistic against the batch) stays a loop of
//!   its own over its own, smaller, shape instead of being recomputed per output element.
//!
//! `DimShuffle`s stay outside
//! the kernel as its inputs. The equilibrium driver visits producers before consumers, so a
//! chain grows one node at a time, each step absorbing the previous composite: one fused
//! elemwise per chain. A step nests the absorbed composite as one instruction
//! ([`Composite::nested`]) rather than inlining it (which copied the whole chain at every
//! step: n^2 / 2 instructions for a chain of n), and [`flatten_composites`] inlines every
//! level once at the end of the phase, giving the composite inlining at each step gave. Constants stay inputs (`TensorConstant{...}` in debugprint), as in
//! Theano 1.0.

use crate::engine::{Phase, Rewrite, Run};
use std::sync::Arc;
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{Composite, Instr, Op, Operand, ScalarOp};

/// The most inputs one fused kernel takes (Theano bounded a fused node's arguments too).
pub const MAX_FUSED_INPUTS: usize = 32;

/// The most scalar instructions one fused kernel computes.
pub const MAX_FUSED_INSTRS: usize = 128;

/// The instructions node `n`'s scalar op computes (a composite's, else one).
fn n_instrs(fg: &FunctionGraph, n: Node) -> usize {
    match scalar(fg, n) {
        Some(ScalarOp::Composite(c)) => flat_len(c),
        _ => 1,
    }
}

/// The instructions of `c` once flattened (a nested composite counts its own, at any depth):
/// what the kernel will compute, which [`MAX_FUSED_INSTRS`] bounds. Iterative; the bound keeps
/// the walk short for the composites fusion builds.
fn flat_len(c: &Composite) -> usize {
    let mut total = 0;
    let mut stack = vec![c];
    while let Some(c) = stack.pop() {
        for i in c.instrs() {
            match &i.op {
                ScalarOp::Composite(inner) => stack.push(inner),
                _ => total += 1,
            }
        }
    }
    total
}

/// The fusion phase's rewrites.
pub static FUSION_REWRITES: &[Rewrite] = &[Rewrite {
    name: "elemwise_fusion",
    phase: Phase::Fusion,
    tags: &["fast_run", "fusion"],
    doc: "ew1(ew2(x), y) -> Elemwise{Composite{ew1(ew2(i0), i1)}}(x, y) when ew2(x) has one reader",
    run: Run::Node {
        roots: &["Elemwise"],
        f: elemwise_fusion,
    },
}];

fn scalar(fg: &FunctionGraph, n: Node) -> Option<&ScalarOp> {
    match fg.op(n) {
        Op::Elemwise { scalar, .. } => Some(scalar),
        _ => None,
    }
}

/// The producer of `v` that may be absorbed into a group whose output has the broadcastable
/// pattern `bcast`.
fn fusable_producer(fg: &FunctionGraph, v: Value, bcast: &[bool]) -> Option<Node> {
    let ValueDef::Output { node, index: 0 } = fg.def(v) else {
        return None;
    };
    scalar(fg, node)?;
    (fg.node_outputs(node).len() == 1
        && fg.n_uses(v) == 1
        && !fg.is_output(v)
        && fg.ty(v).broadcastable() == bcast)
        .then_some(node)
}

/// Fuse the elemwise producers of `root` into one composite node: its output, or `None`
/// when nothing can be absorbed.
pub fn elemwise_fusion(fg: &mut FunctionGraph, root: Node) -> Option<Value> {
    scalar(fg, root)?;
    let out = fg.node_outputs(root)[0];
    let bcast = fg.ty(out).broadcastable();
    // Grow the group breadth-first, keeping the exact set of its inputs.
    let mut inputs: Vec<Value> = Vec::new();
    for &v in fg.node_inputs(root) {
        if !inputs.contains(&v) {
            inputs.push(v);
        }
    }
    if inputs.len() > MAX_FUSED_INPUTS {
        return None;
    }
    let mut absorbed: Vec<Node> = Vec::new();
    let mut instrs = n_instrs(fg, root);
    let mut queue: Vec<Value> = inputs.clone();
    let mut qi = 0;
    while qi < queue.len() {
        let v = queue[qi];
        qi += 1;
        let Some(p) = fusable_producer(fg, v, &bcast) else {
            continue;
        };
        if instrs + n_instrs(fg, p) > MAX_FUSED_INSTRS {
            continue;
        }
        let new: Vec<Value> = fg
            .node_inputs(p)
            .iter()
            .copied()
            .filter(|i| *i != v && !inputs.contains(i))
            .fold(Vec::new(), |mut acc, i| {
                if !acc.contains(&i) {
                    acc.push(i);
                }
                acc
            });
        if inputs.len() - 1 + new.len() > MAX_FUSED_INPUTS {
            continue;
        }
        instrs += n_instrs(fg, p);
        inputs.retain(|&i| i != v);
        inputs.extend(&new);
        queue.extend(&new);
        absorbed.push(p);
    }
    if absorbed.is_empty() {
        return None;
    }
    // Emit the instructions depth-first from the root; inputs are numbered in reading order.
    let mut b = Emit {
        absorbed: &absorbed,
        inputs: Vec::new(),
        instrs: Vec::new(),
    };
    b.emit(fg, root);
    // Nested: an absorbed composite stays one instruction (flatten_composites inlines it at
    // the end of the phase), so growing a chain by one node costs one node, not the chain.
    let c = Composite::nested(b.inputs.len(), b.instrs).ok()?;
    let loc = fg.location(root);
    let new = fg
        .add_node1(Op::elemwise(ScalarOp::composite(c)), &b.inputs, loc)
        .ok()?;
    Some(new)
}

/// Give every node whose composite nests others ([`Composite::nested`], as
/// [`elemwise_fusion`] builds them) the canonical, flat composite: the one inlining at every
/// fusion step would have built. Run once at the end of the fusion phase. Returns how many
/// nodes changed.
pub fn flatten_composites(fg: &mut FunctionGraph) -> usize {
    let nested: Vec<(Node, Option<usize>, Arc<Composite>)> = fg
        .nodes()
        .filter_map(|n| match fg.op(n) {
            Op::Elemwise {
                scalar: ScalarOp::Composite(c),
                inplace,
            } if c.is_nested() => Some((n, *inplace, c.clone())),
            _ => None,
        })
        .collect();
    let mut changed = 0;
    for (n, inplace, c) in nested {
        let Ok(flat) = c.flattened() else {
            debug_assert!(false, "a composite built by fusion flattens");
            continue;
        };
        let op = Op::Elemwise {
            scalar: ScalarOp::composite(flat),
            inplace,
        };
        let ok = fg.set_op(n, op).is_ok();
        debug_assert!(ok, "the flat composite infers the node's types");
        changed += usize::from(ok);
    }
    changed
}

struct Emit<'a> {
    absorbed: &'a [Node],
    inputs: Vec<Value>,
    instrs: Vec<Instr>,
}

impl Emit<'_> {
    /// The operand of a group input: numbered at its first reading.
    fn input(&mut self, v: Value) -> Operand {
        let i = match self.inputs.iter().position(|&x| x == v) {
            Some(i) => i,
            None => {
                self.inputs.push(v);
                self.inputs.len() - 1
            }
        };
        Operand::Input(i)
    }

    /// Emit `root` and the absorbed nodes it reads, operands before their readers, inputs
    /// numbered in reading order (depth-first, left to right). Iterative.
    fn emit(&mut self, fg: &FunctionGraph, root: Node) {
        // (node, next input to read, its operands so far)
        let mut stack: Vec<(Node, usize, Vec<Operand>)> = vec![(root, 0, Vec::new())];
        while let Some(top) = stack.last_mut() {
            let (n, k) = (top.0, top.1);
            if let Some(&v) = fg.node_inputs(n).get(k) {
                top.1 += 1;
                if let ValueDef::Output { node, .. } = fg.def(v) {
                    if self.absorbed.contains(&node) {
                        stack.push((node, 0, Vec::new()));
                        continue;
                    }
                }
                let a = self.input(v);
                stack.last_mut().expect("the top").2.push(a);
                continue;
            }
            let (n, _, args) = stack.pop().expect("the top");
            let op = scalar(fg, n).expect("an elemwise node").clone();
            self.instrs.push(Instr { op, args });
            let r = Operand::Temp(self.instrs.len() - 1);
            if let Some(parent) = stack.last_mut() {
                parent.2.push(r);
            }
        }
    }
}
