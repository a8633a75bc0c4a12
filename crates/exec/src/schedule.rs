//! Scheduling: a [`FunctionGraph`] in topological order becomes a [`Program`], one storage
//! slot per value of the graph (a value's index is its slot).

use crate::program::{Program, Step, Watch};
use std::collections::HashSet;
use std::sync::Arc;
use theano_ir::fgraph::{node_str, FunctionGraph, ValueDef};
use theano_ir::TensorType;

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

/// The program of `fg`: its live nodes in topological order as steps (each described for
/// error messages as Theano shows it), its constants in their slots, its outputs as results.
/// Nothing is observed (`watch` off) until the caller says so.
pub fn schedule(fg: &FunctionGraph, interface: Interface) -> Program {
    let order = fg.toposort();
    let mut seen = HashSet::new();
    let mut constants = Vec::new();
    let leaves = order
        .iter()
        .flat_map(|&n| fg.node_inputs(n).iter().copied())
        .chain(fg.outputs().iter().copied());
    for v in leaves {
        if fg.def(v) == ValueDef::Constant && seen.insert(v) {
            let t = fg.constant_value(v).expect("a constant has its value");
            constants.push((v.index(), Arc::new(t.clone())));
        }
    }
    let steps = order
        .iter()
        .map(|&n| {
            let ins = fg.node_inputs(n);
            let outs = fg.node_outputs(n);
            Step {
                op: fg.op(n).clone(),
                inputs: ins.iter().map(|v| v.index()).collect(),
                outputs: outs.iter().map(|v| v.index()).collect(),
                out_types: outs.iter().map(|&v| fg.ty(v)).collect(),
                input_types: ins.iter().map(|&v| fg.ty(v)).collect(),
                node: node_str(fg, n),
                location: fg.location(n),
            }
        })
        .collect();
    Program {
        n_slots: interface.n_slots,
        args: interface.args,
        arg_types: interface.arg_types,
        constants,
        steps,
        results: fg.outputs().iter().map(|v| v.index()).collect(),
        n_outputs: interface.n_outputs,
        updates: interface.updates,
        watch: Watch::default(),
    }
}
