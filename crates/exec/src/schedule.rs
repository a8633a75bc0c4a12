//! Scheduling: a [`FunctionGraph`] in topological order becomes a [`Program`], one storage
//! slot per value of the graph (a value's index is its slot).
//!
//! `IfElse` is lazy, as under Theano's lazy VM: the nodes that only one branch of an
//! `IfElse` needs (every path from them to the function's outputs enters the `IfElse`
//! through that branch's values) are not steps of the program but of that branch's own
//! program ([`Branches`]), which a call runs only when the condition picks it. Branches
//! nest: a node belongs to the innermost branch that alone needs it.

use crate::program::{Branches, Program, Step, Watch};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use theano_ir::fgraph::{node_str, FunctionGraph, Node, Value, ValueDef};
use theano_ir::{Op, TensorType};

/// What the driver decides about a program's arguments: the slots filled from the call's
/// arguments and their types (explicit inputs, then shared values), how many slots there are
/// (the graph's values, plus any slot given to an updated shared variable nothing reads),
/// how many of the graph's outputs are the function's outputs (the rest are update values),
/// and for each update value the index into `args` of the shared variable it replaces.
pub struct Interface {
    pub args: Vec<usize>,
    pub arg_types: Vec<TensorType>,
    pub n_slots: usize,
    pub n_outputs: usize,
    pub updates: Vec<usize>,
}

impl Interface {
    /// A program whose arguments are just the graph's inputs and whose results are all
    /// outputs: no shared variable, no update (an op's inner graph, a loop's body).
    pub fn inputs_only(fg: &FunctionGraph) -> Interface {
        Interface {
            args: fg.inputs().iter().map(|v| v.index()).collect(),
            arg_types: fg.inputs().iter().map(|&v| fg.ty(v)).collect(),
            n_slots: fg.num_values(),
            n_outputs: fg.outputs().len(),
            updates: vec![],
        }
    }
}

/// A branch: an `IfElse` node and 0 (true) or 1 (false).
type Scope = (Node, usize);

/// The program of `fg`: its live nodes in topological order as steps (each described for
/// error messages as Theano shows it), those only an `IfElse` branch needs inside that
/// branch, its constants in their slots, its outputs as results. Nothing is observed
/// (`watch` off) until the caller says so.
pub fn schedule(fg: &FunctionGraph, interface: Interface) -> Program {
    let order = fg.toposort();
    let scopes = branch_scopes(fg, &order);
    let builder = Builder {
        fg,
        order: &order,
        scopes: &scopes,
        n_slots: interface.n_slots,
    };
    let steps = builder.steps(None);
    Program {
        n_slots: interface.n_slots,
        args: interface.args,
        arg_types: interface.arg_types,
        constants: builder.constants(&steps, fg.outputs().iter().map(|v| v.index())),
        steps,
        results: fg.outputs().iter().map(|v| v.index()).collect(),
        n_outputs: interface.n_outputs,
        updates: interface.updates,
        watch: Watch::default(),
    }
}

/// The slots of branch `b`'s values among the inputs of `IfElse` node `n`.
fn branch_values(fg: &FunctionGraph, n: Node, b: usize) -> &[Value] {
    let Op::IfElse { n_outs } = fg.op(n) else {
        unreachable!("called for IfElse nodes")
    };
    &fg.node_inputs(n)[1 + b * n_outs..1 + (b + 1) * n_outs]
}

/// For each node only some `IfElse` branch needs, the innermost such branch.
fn branch_scopes(fg: &FunctionGraph, order: &[Node]) -> HashMap<Node, Scope> {
    let mut best: HashMap<Node, (Scope, usize)> = HashMap::new();
    for &n in order {
        if !matches!(fg.op(n), Op::IfElse { .. }) {
            continue;
        }
        for b in 0..2 {
            let only = needed_only_by(fg, n, b);
            let size = only.len();
            for m in only {
                let e = best.entry(m).or_insert(((n, b), usize::MAX));
                if size < e.1 {
                    *e = ((n, b), size);
                }
            }
        }
    }
    best.into_iter().map(|(m, (s, _))| (m, s)).collect()
}

/// The nodes whose every path to the graph's outputs enters `IfElse` node `n` through the
/// values of branch `b`.
fn needed_only_by(fg: &FunctionGraph, n: Node, b: usize) -> Vec<Node> {
    let cut = branch_values(fg, n, b).len();
    let first = 1 + b * cut;
    // what the outputs need without that branch's edges
    let mut elsewhere = vec![false; fg.num_nodes()];
    let mut stack: Vec<Value> = fg.outputs().to_vec();
    while let Some(v) = stack.pop() {
        let Some(m) = fg.owner(v) else { continue };
        if std::mem::replace(&mut elsewhere[m.index()], true) {
            continue;
        }
        for (k, &x) in fg.node_inputs(m).iter().enumerate() {
            if m == n && (first..first + cut).contains(&k) {
                continue;
            }
            stack.push(x);
        }
    }
    let mut seen = vec![false; fg.num_nodes()];
    let mut only = Vec::new();
    let mut stack: Vec<Value> = branch_values(fg, n, b).to_vec();
    while let Some(v) = stack.pop() {
        let Some(m) = fg.owner(v) else { continue };
        if elsewhere[m.index()] || std::mem::replace(&mut seen[m.index()], true) {
            continue;
        }
        only.push(m);
        stack.extend_from_slice(fg.node_inputs(m));
    }
    only
}

struct Builder<'a> {
    fg: &'a FunctionGraph,
    order: &'a [Node],
    scopes: &'a HashMap<Node, Scope>,
    n_slots: usize,
}

impl Builder<'_> {
    /// The steps of `scope` (`None`: the program's own), in topological order.
    fn steps(&self, scope: Option<Scope>) -> Vec<Step> {
        self.order
            .iter()
            .filter(|n| self.scopes.get(n).copied() == scope)
            .map(|&n| self.step(n))
            .collect()
    }

    fn step(&self, n: Node) -> Step {
        let fg = self.fg;
        let outs = fg.node_outputs(n);
        let (inputs, branches) = if matches!(fg.op(n), Op::IfElse { .. }) {
            let programs = [self.branch(n, 0), self.branch(n, 1)];
            let mut inputs = vec![fg.node_inputs(n)[0].index()];
            inputs.extend(programs.iter().flat_map(|p| p.args.iter().copied()));
            (
                inputs,
                Some(Arc::new(Branches {
                    programs,
                    linked: None,
                })),
            )
        } else {
            let inputs = fg.node_inputs(n).iter().map(|v| v.index()).collect();
            (inputs, None)
        };
        Step {
            op: fg.op(n).clone(),
            input_types: inputs
                .iter()
                .map(|&s| fg.ty(Value::from_index(s)))
                .collect(),
            inputs,
            outputs: outs.iter().map(|v| v.index()).collect(),
            out_types: outs.iter().map(|&v| fg.ty(v)).collect(),
            node: node_str(fg, n),
            location: fg.location(n),
            branches,
        }
    }

    /// Branch `b` of `IfElse` node `n` as a program: its nodes, the slots it reads that are
    /// computed outside it (its arguments), its values (its results).
    fn branch(&self, n: Node, b: usize) -> Program {
        let fg = self.fg;
        let steps = self.steps(Some((n, b)));
        let results: Vec<usize> = branch_values(fg, n, b).iter().map(|v| v.index()).collect();
        let produced: HashSet<usize> = steps
            .iter()
            .flat_map(|s| s.outputs.iter().copied())
            .collect();
        let mut args = Vec::new();
        let mut seen = HashSet::new();
        let reads = steps
            .iter()
            .flat_map(|s| s.inputs.iter().copied())
            .chain(results.iter().copied());
        for s in reads {
            let v = Value::from_index(s);
            if !produced.contains(&s) && fg.def(v) != ValueDef::Constant && seen.insert(s) {
                args.push(s);
            }
        }
        Program {
            n_slots: self.n_slots,
            arg_types: args.iter().map(|&s| fg.ty(Value::from_index(s))).collect(),
            args,
            constants: self.constants(&steps, results.iter().copied()),
            n_outputs: results.len(),
            results,
            steps,
            updates: vec![],
            watch: Watch::default(),
        }
    }

    /// The constants the steps read or the results are, each once.
    fn constants(
        &self,
        steps: &[Step],
        results: impl Iterator<Item = usize>,
    ) -> Vec<(usize, Arc<theano_ir::Tensor>)> {
        let fg = self.fg;
        let mut seen = HashSet::new();
        let mut constants = Vec::new();
        for s in steps
            .iter()
            .flat_map(|s| s.inputs.iter().copied())
            .chain(results)
        {
            let v = Value::from_index(s);
            if fg.def(v) == ValueDef::Constant && seen.insert(s) {
                let t = fg.constant_value(v).expect("a constant has its value");
                constants.push((s, Arc::new(t.clone())));
            }
        }
        constants
    }
}
