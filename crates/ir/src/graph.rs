//! Walking the user's graph: ancestors, toposort, graph inputs. Iterative, so deep graphs do
//! not overflow the stack.

use crate::var::{ApplyRef, Variable};
use std::collections::{HashMap, HashSet};

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

/// Rebuild `outputs` so that a node applying the same op to the same inputs as a node of
/// `base`'s graph is that node (merged transitively): a value both graphs compute is
/// computed once, in `base` (Theano's merge, across two graphs). A loop's gradient uses it to
/// find, in the L-operator of its body, the values the forward step already computed.
pub fn merge_onto(
    outputs: &[Variable],
    base: &[Variable],
) -> Result<Vec<Variable>, crate::GraphError> {
    let base_nodes = toposort(base);
    let in_base: HashSet<u64> = base_nodes.iter().map(ApplyRef::id).collect();
    let mut known: HashMap<(crate::Op, Vec<u64>), ApplyRef> = HashMap::new();
    for n in base_nodes {
        let key = (
            n.op().clone(),
            n.inputs().iter().map(Variable::id).collect(),
        );
        known.entry(key).or_insert(n);
    }
    let mut map: HashMap<u64, Variable> = HashMap::new();
    let mut replace = HashMap::new();
    for n in toposort(outputs) {
        if in_base.contains(&n.id()) {
            continue;
        }
        let ins: Vec<u64> = n
            .inputs()
            .iter()
            .map(|i| map.get(&i.id()).map_or(i.id(), Variable::id))
            .collect();
        if let Some(b) = known.get(&(n.op().clone(), ins)) {
            for (o, bo) in n.outputs().into_iter().zip(b.outputs()) {
                map.insert(o.id(), bo.clone());
                replace.insert(o, bo);
            }
        }
    }
    clone_replace(outputs, &replace)
}

/// Rebuild `outputs` with every variable in `replace` substituted (Theano's `clone` with
/// `replace=`). Nodes that read no replaced variable are shared with the original graph; the
/// rebuilt ones keep their op and source location. The replacement's type must equal the
/// replaced variable's type, else the error names both.
pub fn clone_replace(
    outputs: &[Variable],
    replace: &HashMap<Variable, Variable>,
) -> Result<Vec<Variable>, crate::GraphError> {
    for (old, new) in replace {
        if old.ty() != new.ty() {
            let loc = new
                .owner()
                .map(|n| n.location())
                .unwrap_or(std::panic::Location::caller());
            return Err(crate::GraphError::new(
                "givens",
                vec![old.ty(), new.ty()],
                format!(
                    "cannot replace {old} of type {} by {new} of type {}",
                    old.ty(),
                    new.ty()
                ),
                loc,
            ));
        }
    }
    if replace.is_empty() {
        return Ok(outputs.to_vec());
    }
    // The replacements' own graphs are not rewritten (a given may mention the variable it
    // replaces, as in Theano), so walk only the original graph.
    let mut map: HashMap<u64, Variable> =
        replace.iter().map(|(k, v)| (k.id(), v.clone())).collect();
    for node in toposort(outputs) {
        if node.outputs().iter().any(|o| map.contains_key(&o.id())) {
            continue; // an output of this node is itself replaced; its inputs don't matter
        }
        let new_inputs: Vec<Variable> = node
            .inputs()
            .iter()
            .map(|i| map.get(&i.id()).cloned().unwrap_or_else(|| i.clone()))
            .collect();
        if new_inputs.iter().zip(node.inputs()).all(|(a, b)| a == b) {
            continue;
        }
        let new_node = ApplyRef::create(node.op().clone(), new_inputs, node.location())?;
        for (old, new) in node.outputs().iter().zip(new_node.outputs()) {
            if let Some(n) = old.name() {
                new.set_name(&n);
            }
            map.insert(old.id(), new);
        }
    }
    Ok(outputs
        .iter()
        .map(|o| map.get(&o.id()).cloned().unwrap_or_else(|| o.clone()))
        .collect())
}
