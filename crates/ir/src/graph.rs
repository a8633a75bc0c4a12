//! Walking the user's graph: ancestors, toposort, graph inputs. Iterative, so deep graphs do
//! not overflow the stack.

use crate::var::{ApplyRef, Variable};
use std::collections::HashSet;

/// Every variable the outputs depend on (outputs included), each once, inputs before users.
pub fn ancestors(outputs: &[Variable]) -> Vec<Variable> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    // (variable, children pushed?)
    let mut stack: Vec<(Variable, bool)> =
        outputs.iter().rev().map(|v| (v.clone(), false)).collect();
    while let Some((v, expanded)) = stack.pop() {
        if expanded {
            order.push(v);
            continue;
        }
        if !seen.insert(v.id()) {
            continue;
        }
        stack.push((v.clone(), true));
        if let Some(node) = v.owner() {
            for i in node.inputs().iter().rev() {
                if !seen.contains(&i.id()) {
                    stack.push((i.clone(), false));
                }
            }
        }
    }
    order
}

/// The Apply nodes computing `outputs`, each once, every node after the nodes it reads.
pub fn toposort(outputs: &[Variable]) -> Vec<ApplyRef> {
    let mut seen = HashSet::new();
    let mut nodes = Vec::new();
    for v in ancestors(outputs) {
        if let Some(n) = v.owner() {
            if seen.insert(n.id()) {
                nodes.push(n);
            }
        }
    }
    nodes
}

/// The leaves the outputs depend on (inputs, shared variables and constants), in order of
/// first appearance.
pub fn graph_inputs(outputs: &[Variable]) -> Vec<Variable> {
    ancestors(outputs)
        .into_iter()
        .filter(|v| v.owner().is_none())
        .collect()
}
