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
//! Elemwise inputs all have the consumer's ndim, so a producer's output is absorbed even when
//! it is broadcastable where the consumer's output is not (`exp(row) + matrix`): the
//! composite broadcasts per instruction, as the unfused nodes did. `DimShuffle`s stay outside
//! the kernel as its inputs. The equilibrium driver visits producers before consumers, so a
//! chain grows one node at a time, each step inlining the previous composite: one fused
//! elemwise per chain. Constants stay inputs (`TensorConstant{...}` in debugprint), as in
//! Theano 1.0.

use crate::engine::{Phase, Rewrite};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{Composite, Instr, Op, Operand, ScalarOp};

/// The most inputs one fused kernel takes (Theano bounded a fused node's arguments too).
pub const MAX_FUSED_INPUTS: usize = 32;

/// The most scalar instructions one fused kernel computes.
pub const MAX_FUSED_INSTRS: usize = 128;

/// The instructions node `n`'s scalar op computes (a composite's, else one).
fn n_instrs(fg: &FunctionGraph, n: Node) -> usize {
    match scalar(fg, n) {
        Some(ScalarOp::Composite(c)) => c.instrs().len(),
        _ => 1,
    }
}

/// The fusion phase's rewrites.
pub static FUSION_REWRITES: &[Rewrite] = &[Rewrite {
    name: "elemwise_fusion",
    phase: Phase::Fusion,
    tags: &["fast_run", "fusion"],
    doc: "ew1(ew2(x), y) -> Elemwise{Composite{ew1(ew2(i0), i1)}}(x, y) when ew2(x) has one reader",
    run: elemwise_fusion,
}];

fn scalar(fg: &FunctionGraph, n: Node) -> Option<&ScalarOp> {
    match fg.op(n) {
        Op::Elemwise { scalar, .. } => Some(scalar),
        _ => None,
    }
}

/// The producer of `v` that may be absorbed into a group whose output has `ndim` dimensions.
fn fusable_producer(fg: &FunctionGraph, v: Value, ndim: usize) -> Option<Node> {
    let ValueDef::Output { node, index: 0 } = fg.def(v) else {
        return None;
    };
    scalar(fg, node)?;
    (fg.node_outputs(node).len() == 1
        && fg.n_uses(v) == 1
        && !fg.is_output(v)
        && fg.ty(v).ndim() == ndim)
        .then_some(node)
}

/// Fuse the elemwise producers of `root` into one composite node: its output, or `None`
/// when nothing can be absorbed.
pub fn elemwise_fusion(fg: &mut FunctionGraph, root: Node) -> Option<Value> {
    scalar(fg, root)?;
    let out = fg.node_outputs(root)[0];
    let ndim = fg.ty(out).ndim();
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
        let Some(p) = fusable_producer(fg, v, ndim) else {
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
    b.node(fg, root);
    let c = Composite::new(b.inputs.len(), b.instrs).ok()?;
    let loc = fg.location(root);
    let new = fg
        .add_node1(Op::elemwise(ScalarOp::composite(c)), &b.inputs, loc)
        .ok()?;
    Some(new)
}

struct Emit<'a> {
    absorbed: &'a [Node],
    inputs: Vec<Value>,
    instrs: Vec<Instr>,
}

impl Emit<'_> {
    fn operand(&mut self, fg: &FunctionGraph, v: Value) -> Operand {
        if let ValueDef::Output { node, .. } = fg.def(v) {
            if self.absorbed.contains(&node) {
                return self.node(fg, node);
            }
        }
        let i = match self.inputs.iter().position(|&x| x == v) {
            Some(i) => i,
            None => {
                self.inputs.push(v);
                self.inputs.len() - 1
            }
        };
        Operand::Input(i)
    }

    /// Recursion depth is bounded by the group, which has at most `MAX_FUSED_INPUTS` leaves
    /// but may be a long unary chain; chains of unary ops nest one frame per node.
    fn node(&mut self, fg: &FunctionGraph, n: Node) -> Operand {
        let args: Vec<Operand> = fg
            .node_inputs(n)
            .to_vec()
            .into_iter()
            .map(|v| self.operand(fg, v))
            .collect();
        let op = scalar(fg, n).expect("an elemwise node").clone();
        self.instrs.push(Instr { op, args });
        Operand::Temp(self.instrs.len() - 1)
    }
}
