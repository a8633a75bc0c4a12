//! The rewrite engine: named, tagged node rewriters grouped by phase, applied to a fixpoint by
//! a worklist driver.

use crate::pattern::{compiled, Guard, OpKey, Root};
use std::collections::{HashMap, VecDeque};
use theano_ir::fgraph::{FunctionGraph, Node, Value};
use theano_ir::{Op, ScalarOp};

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

/// A rewriter of any node, multi-output ones too: `(old output, replacement)` pairs, one per
/// output it replaces (empty when nothing matches).
pub type OutputsFn = fn(&mut FunctionGraph, Node) -> Vec<(Value, Value)>;

/// How a rewrite computes its replacement.
pub enum Run {
    /// A one-line pattern ([`crate::pattern`]) and an optional guard; tried on single-output
    /// nodes of its left-hand side's root op.
    Pattern(&'static str, Option<Guard>),
    /// Code, tried on the single-output nodes of the `roots` (op names of the pattern
    /// language; `Elemwise`: every elementwise node; `*`: every node).
    Node {
        roots: &'static [&'static str],
        f: RewriteFn,
    },
    /// Code for any node of the `roots`, multi-output ones included: it may replace any output.
    Outputs {
        roots: &'static [&'static str],
        f: OutputsFn,
    },
}

/// A named rewrite, registered in one phase with tags (`optimizer_excluding` matches either).
pub struct Rewrite {
    pub name: &'static str,
    pub phase: Phase,
    pub tags: &'static [&'static str],
    /// One line: what it does, as `x * 1 -> x`.
    pub doc: &'static str,
    pub run: Run,
}

impl Rewrite {
    /// The pattern of a one-line rewrite; `None` for code.
    pub fn pattern(&self) -> Option<&'static str> {
        match self.run {
            Run::Pattern(p, _) => Some(p),
            _ => None,
        }
    }

    /// The nodes it is tried on.
    ///
    /// # Panics
    /// On a pattern that does not parse, or an unknown root name.
    pub fn roots(&self) -> Vec<Root> {
        let names = match self.run {
            Run::Pattern(p, _) => return vec![Root::Key(compiled(p).root())],
            Run::Node { roots, .. } | Run::Outputs { roots, .. } => roots,
        };
        names
            .iter()
            .map(|r| {
                Root::parse(r).unwrap_or_else(|| panic!("rewrite {}: unknown root {r}", self.name))
            })
            .collect()
    }

    /// Whether `optimizer_excluding=name` names it (its name or one of its tags).
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.tags.contains(&name)
    }
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
    /// How many times `name` fired, or the rewrites tagged `name` (as `optimizer_excluding`
    /// matches): a rewrite split into forms counts under its former name too.
    pub fn count(&self, name: &str) -> usize {
        let tagged = |n: &str| {
            crate::REWRITES
                .iter()
                .chain(crate::FUSION_REWRITES)
                .any(|r| r.name == n && r.tags.contains(&name))
        };
        self.applied
            .iter()
            .filter(|(n, _)| *n == name || tagged(n))
            .map(|(_, c)| *c)
            .sum()
    }
}

/// Apply `rewrites` to every node until none fires (or a bound on visits is reached): a
/// worklist seeded in topological order; a node that changed re-queues the readers of its new
/// values and the nodes the rewrite created.
///
/// Rules are indexed by root op ([`OpKey`]): a node is offered only the rules whose root
/// admits its op, in table order, and the first that fires wins. Single-output rules
/// (patterns, [`Run::Node`]) skip multi-output nodes; [`Run::Outputs`] rules see them.
///
/// Inner graphs: an `Elemwise{Composite}` node's body is rewritten by the same rules
/// ([`crate::inner`]: opened as a graph of scalar nodes, driven to its fixpoint, closed into
/// a new composite that replaces the node). Not in the fusion phase, whose rules build the
/// composites: its bodies are made of nodes the pattern phases have rewritten already.
pub fn equilibrium(
    fg: &mut FunctionGraph,
    rewrites: &[&Rewrite],
    verbose: bool,
    report: &mut Report,
) {
    let roots: Vec<Vec<Root>> = rewrites.iter().map(|r| r.roots()).collect();
    // each pattern resolved once here, not through the cache's lock at every try
    let patterns: Vec<Option<&'static crate::pattern::Pattern>> =
        rewrites.iter().map(|r| r.pattern().map(compiled)).collect();
    let mut index: HashMap<OpKey, Vec<usize>> = HashMap::new();
    let mut queue: VecDeque<Node> = fg.toposort().into();
    let bound = 64 * (fg.num_nodes() + 16);
    let mut visits = 0;
    let descend = rewrites.iter().all(|r| r.phase != Phase::Fusion);
    while let Some(n) = queue.pop_front() {
        if !fg.is_alive(n) {
            continue;
        }
        if descend && is_composite(fg.op(n)) {
            let old = fg.node_outputs(n)[0];
            if let Some(new) = crate::inner::rewrite_body(fg, n, rewrites, verbose, report) {
                if fg.ty(new) == fg.ty(old) && fg.replace(old, new, "composite_body").is_ok() {
                    report.record("composite_body");
                    if let Some(o) = fg.owner(new) {
                        queue.push_back(o);
                    }
                    for c in fg.clients(new).to_vec() {
                        queue.push_back(c.node);
                    }
                    continue;
                }
            }
        }
        let key = OpKey::of(fg.op(n));
        let rules = index.entry(key).or_insert_with(|| {
            (0..rewrites.len())
                .filter(|&i| roots[i].iter().any(|r| r.admits(key)))
                .collect()
        });
        let single = fg.node_outputs(n).len() == 1;
        if !single
            && !rules
                .iter()
                .any(|&i| matches!(rewrites[i].run, Run::Outputs { .. }))
        {
            continue;
        }
        visits += 1;
        if visits > bound {
            break;
        }
        for &i in rules.iter() {
            let rw = rewrites[i];
            let before = fg.num_nodes();
            let pairs: Vec<(Value, Value)> = match rw.run {
                Run::Pattern(_, guard) if single => {
                    let p = patterns[i].expect("resolved above");
                    let Some(m) = p.matches(fg, n) else { continue };
                    if guard.is_some_and(|g| !g(fg, &m)) {
                        continue;
                    }
                    let Some(new) = p.build(fg, &m) else { continue };
                    vec![(m.out, new)]
                }
                Run::Node { f, .. } if single => {
                    let old = fg.node_outputs(n)[0];
                    let Some(new) = f(fg, n) else { continue };
                    vec![(old, new)]
                }
                Run::Outputs { f, .. } => f(fg, n),
                _ => continue,
            };
            let pairs: Vec<(Value, Value)> = pairs
                .into_iter()
                .filter(|&(old, new)| new != old && fg.ty(new) == fg.ty(old))
                .collect();
            let mut fired = false;
            for &(old, new) in &pairs {
                if verbose {
                    eprintln!(
                        "rewriting: rewrite {} replaces {} by {}",
                        rw.name,
                        describe(fg, old),
                        describe(fg, new)
                    );
                }
                if fg.replace(old, new, rw.name).is_ok() {
                    fired = true;
                }
            }
            if !fired {
                continue;
            }
            report.record(rw.name);
            for i in before..fg.num_nodes() {
                let m = Node::from_index(i);
                if fg.is_alive(m) {
                    queue.push_back(m);
                }
            }
            for &(_, new) in &pairs {
                if let Some(o) = fg.owner(new) {
                    queue.push_back(o);
                }
                for c in fg.clients(new).to_vec() {
                    queue.push_back(c.node);
                }
            }
            break;
        }
    }
    report.visits += visits;
}

fn is_composite(op: &Op) -> bool {
    matches!(
        op,
        Op::Elemwise {
            scalar: ScalarOp::Composite(_),
            ..
        }
    )
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
