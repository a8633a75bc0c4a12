//! The rewrite engine: named, tagged node rewriters grouped by phase, applied to a fixpoint by
//! a worklist driver.

use std::collections::VecDeque;
use theano_ir::fgraph::{FunctionGraph, Node, Value};

/// Theano's rewrite phases, in the order they run.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Phase {
    Canonicalize,
    Stabilize,
    Specialize,
    /// Elementwise fusion (`FastRun` only), after specialize.
    Fusion,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Canonicalize => "canonicalize",
            Phase::Stabilize => "stabilize",
            Phase::Specialize => "specialize",
            Phase::Fusion => "fusion",
        }
    }
}

/// A node rewriter: given a node, return the value that replaces its (single) output, building
/// any new nodes it needs in the graph, or `None` when the pattern does not match.
pub type RewriteFn = fn(&mut FunctionGraph, Node) -> Option<Value>;

/// A named rewrite, registered in one phase with tags (`optimizer_excluding` matches either).
pub struct Rewrite {
    pub name: &'static str,
    pub phase: Phase,
    pub tags: &'static [&'static str],
    /// One line: the pattern, as `x * 1 -> x`.
    pub doc: &'static str,
    pub run: RewriteFn,
}

/// What one optimizer run did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// (rewrite name, how many times it fired)
    pub applied: Vec<(&'static str, usize)>,
    /// Node visits by the worklist drivers.
    pub visits: usize,
    /// Wall time of each phase `optimize` ran (merge, canonicalize, ..., inplace), in order;
    /// a phase's merge and verification count in it (`profile=True` prints them).
    pub phase_times: Vec<(&'static str, std::time::Duration)>,
}

impl Report {
    pub(crate) fn record(&mut self, name: &'static str) {
        match self.applied.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => self.applied.push((name, 1)),
        }
    }
    /// How many times `name` fired.
    pub fn count(&self, name: &str) -> usize {
        self.applied
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .unwrap_or(0)
    }
}

/// Apply `rewrites` to every node until none fires (or a bound on visits is reached): a
/// worklist seeded in topological order; a node that changed re-queues the readers of its new
/// value and the nodes the rewrite created.
pub fn equilibrium(
    fg: &mut FunctionGraph,
    rewrites: &[&Rewrite],
    verbose: bool,
    report: &mut Report,
) {
    let mut queue: VecDeque<Node> = fg.toposort().into();
    let bound = 64 * (fg.num_nodes() + 16);
    let mut visits = 0;
    while let Some(n) = queue.pop_front() {
        if !fg.is_alive(n) || fg.node_outputs(n).len() != 1 {
            continue;
        }
        visits += 1;
        if visits > bound {
            break;
        }
        for rw in rewrites {
            let before = fg.num_nodes();
            let old = fg.node_outputs(n)[0];
            let Some(new) = (rw.run)(fg, n) else { continue };
            if new == old || fg.ty(new) != fg.ty(old) {
                continue;
            }
            if verbose {
                eprintln!(
                    "rewriting: rewrite {} replaces {} by {}",
                    rw.name,
                    describe(fg, old),
                    describe(fg, new)
                );
            }
            if fg.replace(old, new, rw.name).is_err() {
                continue;
            }
            report.record(rw.name);
            for i in before..fg.num_nodes() {
                let m = Node::from_index(i);
                if fg.is_alive(m) {
                    queue.push_back(m);
                }
            }
            if let Some(o) = fg.owner(new) {
                queue.push_back(o);
            }
            for c in fg.clients(new).to_vec() {
                queue.push_back(c.node);
            }
            break;
        }
    }
    report.visits += visits;
}

fn describe(fg: &FunctionGraph, v: Value) -> String {
    match fg.owner(v) {
        Some(n) => format!(
            "{}({})",
            fg.op(n),
            fg.node_inputs(n)
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => fg
            .name(v)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
    }
}
