//! The verifier: every invariant of a [`FunctionGraph`], checked in time linear in its size.

use super::{Client, FunctionGraph, Loc, Node, Value, ValueDef};
use crate::var::VarKind;
use std::collections::HashSet;
use std::fmt;

/// A broken invariant: what, and the node or value involved (with the node's source line).
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyError {
    pub message: String,
    pub node: Option<Node>,
    pub value: Option<Value>,
    pub location: Option<Loc>,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid function graph: {}", self.message)?;
        if let Some(l) = self.location {
            write!(
                f,
                " (node built at {}:{}:{})",
                l.file(),
                l.line(),
                l.column()
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for VerifyError {}

impl FunctionGraph {
    /// Check every invariant: ids in range; each value's definition agrees with its node; each
    /// leaf's user variable has the value's kind and type; live nodes read only defined values
    /// and their output types are what `Op::infer_types` gives for their input types; the
    /// clients lists are exactly the live nodes' input slots; the output counts match the
    /// outputs; the outputs are defined; every input a live node or an output uses is a listed
    /// graph input; the graph is acyclic.
    pub fn verify(&self) -> Result<(), VerifyError> {
        let err = |message: String, node: Option<Node>, value: Option<Value>| {
            let location = node
                .filter(|n| n.index() < self.nodes.len())
                .map(|n| self.nodes[n.index()].location);
            Err(VerifyError {
                message,
                node,
                value,
                location,
            })
        };
        let nv = self.values.len();
        if self.clients.len() != nv || self.output_uses.len() != nv {
            return err(
                "side tables do not match the value table".into(),
                None,
                None,
            );
        }
        let in_range = |v: Value| v.index() < nv;

        // values
        for (i, vd) in self.values.iter().enumerate() {
            let v = Value::from_index(i);
            match vd.def {
                ValueDef::Output { node, index } => {
                    let ok = self
                        .nodes
                        .get(node.index())
                        .and_then(|n| n.outputs.get(index as usize))
                        == Some(&v);
                    if !ok {
                        return err(
                            format!(
                                "{v} claims to be output {index} of {node}, which does not list it"
                            ),
                            None,
                            Some(v),
                        );
                    }
                }
                def => {
                    let Some(var) = &vd.leaf else {
                        return err(format!("leaf {v} has no user variable"), None, Some(v));
                    };
                    let kind_ok = matches!(
                        (def, var.kind()),
                        (ValueDef::Constant, VarKind::Constant(_))
                            | (ValueDef::Shared, VarKind::Shared(_))
                            | (ValueDef::Input, _)
                    );
                    if !kind_ok || var.ty() != vd.ty {
                        return err(
                            format!(
                                "leaf {v} ({:?}, {}) does not match its variable {var} ({})",
                                def,
                                vd.ty,
                                var.ty()
                            ),
                            None,
                            Some(v),
                        );
                    }
                }
            }
        }

        // inputs
        let mut listed = vec![false; nv];
        for &i in &self.inputs {
            if !in_range(i) {
                return err(format!("input {i} does not exist"), None, Some(i));
            }
            if self.values[i.index()].def != ValueDef::Input {
                return err(
                    format!("graph input {i} is not an input value"),
                    None,
                    Some(i),
                );
            }
            if std::mem::replace(&mut listed[i.index()], true) {
                return err(format!("input {i} is listed twice"), None, Some(i));
            }
        }

        // nodes
        let mut n_alive = 0;
        let mut slots = 0usize;
        let mut tys = Vec::new();
        for (ni, nd) in self.nodes.iter().enumerate() {
            if !nd.alive {
                continue;
            }
            n_alive += 1;
            let n = Node::from_index(ni);
            tys.clear();
            for (k, &i) in nd.inputs.iter().enumerate() {
                if !in_range(i) {
                    return err(
                        format!("input {k} of {n} ({}) is {i}, which does not exist", nd.op),
                        Some(n),
                        Some(i),
                    );
                }
                if !self.is_value_alive(i) {
                    return err(
                        format!("input {k} of {n} ({}) is {i}, whose node was pruned", nd.op),
                        Some(n),
                        Some(i),
                    );
                }
                if self.values[i.index()].def == ValueDef::Input && !listed[i.index()] {
                    return err(
                        format!(
                            "{n} ({}) reads {i}, an input not listed in the graph inputs",
                            nd.op
                        ),
                        Some(n),
                        Some(i),
                    );
                }
                tys.push(self.values[i.index()].ty);
            }
            slots += nd.inputs.len();
            for (k, &o) in nd.outputs.iter().enumerate() {
                let ok = in_range(o)
                    && self.values[o.index()].def
                        == ValueDef::Output {
                            node: n,
                            index: k as u32,
                        };
                if !ok {
                    return err(
                        format!(
                            "output {k} of {n} ({}) is {o}, which is not defined by it",
                            nd.op
                        ),
                        Some(n),
                        Some(o),
                    );
                }
            }
            // the type a node was built with may know a constant its input no longer shows
            // (or the reverse, after constant folding): Op::accepts_output_types
            match nd.op.infer_types(&tys) {
                Err(m) => {
                    return err(
                        format!("{n} ({}) refuses its input types {tys:?}: {m}", nd.op),
                        Some(n),
                        None,
                    )
                }
                Ok(out) => {
                    let have: Vec<_> = nd
                        .outputs
                        .iter()
                        .map(|&o| self.values[o.index()].ty)
                        .collect();
                    if !nd.op.accepts_output_types(&out, &have) {
                        return err(
                            format!("{n} ({}) has output types {have:?} but its inputs {tys:?} give {out:?}", nd.op),
                            Some(n),
                            None,
                        );
                    }
                }
            }
        }
        if n_alive != self.n_alive {
            return err(
                format!(
                    "{} live nodes, but the count says {}",
                    n_alive, self.n_alive
                ),
                None,
                None,
            );
        }

        // clients: every entry is a distinct live input slot reading the value, and there are
        // as many entries as slots
        let mut seen: HashSet<Client> = HashSet::with_capacity(slots);
        let mut entries = 0usize;
        for (i, list) in self.clients.iter().enumerate() {
            let v = Value::from_index(i);
            for (p, &c) in list.iter().enumerate() {
                let ok = self
                    .nodes
                    .get(c.node.index())
                    .is_some_and(|nd| nd.alive && nd.inputs.get(c.input as usize) == Some(&v));
                if !ok {
                    return err(
                        format!(
                            "{v} lists client {}[{}], which does not read it",
                            c.node, c.input
                        ),
                        Some(c.node).filter(|n| n.index() < self.nodes.len()),
                        Some(v),
                    );
                }
                if !seen.insert(c) {
                    return err(
                        format!("{v} lists client {}[{}] twice", c.node, c.input),
                        Some(c.node),
                        Some(v),
                    );
                }
                if self.nodes[c.node.index()].client_pos[c.input as usize] as usize != p {
                    return err(
                        format!(
                            "the recorded position of client {}[{}] of {v} is not {p}",
                            c.node, c.input
                        ),
                        Some(c.node),
                        Some(v),
                    );
                }
                entries += 1;
            }
        }
        if entries != slots {
            // some slot is missing from its input's list: find it for the message
            for (ni, nd) in self.nodes.iter().enumerate().filter(|(_, n)| n.alive) {
                for (k, &i) in nd.inputs.iter().enumerate() {
                    let c = Client {
                        node: Node::from_index(ni),
                        input: k as u32,
                    };
                    if !self.clients[i.index()].contains(&c) {
                        return err(
                            format!(
                                "input {k} of {} reads {i}, which does not list it as a client",
                                c.node
                            ),
                            Some(c.node),
                            Some(i),
                        );
                    }
                }
            }
            return err(
                "clients lists do not match the node inputs".into(),
                None,
                None,
            );
        }

        // outputs
        let mut counts = vec![0u32; nv];
        for &o in &self.outputs {
            if !in_range(o) {
                return err(format!("output {o} does not exist"), None, Some(o));
            }
            if !self.is_value_alive(o) {
                return err(
                    format!("output {o} is computed by a pruned node"),
                    None,
                    Some(o),
                );
            }
            if self.values[o.index()].def == ValueDef::Input && !listed[o.index()] {
                return err(
                    format!("output {o} is an input not listed in the graph inputs"),
                    None,
                    Some(o),
                );
            }
            counts[o.index()] += 1;
        }
        if counts != self.output_uses {
            let v = (0..nv)
                .find(|&i| counts[i] != self.output_uses[i])
                .map(Value::from_index);
            return err("output counts do not match the outputs".into(), None, v);
        }

        // acyclic: depth-first search over all live nodes, 1 = on the path, 2 = done
        let mut state = vec![0u8; self.nodes.len()];
        let mut stack: Vec<(Node, usize)> = Vec::new();
        for start in 0..self.nodes.len() {
            if state[start] != 0 || !self.nodes[start].alive {
                continue;
            }
            state[start] = 1;
            stack.push((Node::from_index(start), 0));
            while let Some(top) = stack.last_mut() {
                let (n, k) = *top;
                let ins = &self.nodes[n.index()].inputs;
                if k < ins.len() {
                    top.1 += 1;
                    if let Some(m) = self.owner(ins[k]) {
                        match state[m.index()] {
                            0 => {
                                state[m.index()] = 1;
                                stack.push((m, 0));
                            }
                            1 => {
                                return err(
                                    format!(
                                        "cycle: {m} ({}) depends on itself",
                                        self.nodes[m.index()].op
                                    ),
                                    Some(m),
                                    None,
                                )
                            }
                            _ => {}
                        }
                    }
                } else {
                    stack.pop();
                    state[n.index()] = 2;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor as T;
    use crate::types::TensorType;
    use theano_tensor::DType;

    fn small() -> (FunctionGraph, Value, Value) {
        let x = T::dmatrix("x");
        let y = T::dmatrix("y");
        let z = T::exp(&x + &y);
        let fg = FunctionGraph::from_outputs(&[x, y], &[z]).unwrap();
        let (a, b) = (fg.inputs()[0], fg.inputs()[1]);
        fg.verify().unwrap();
        (fg, a, b)
    }

    fn add_node_of(fg: &FunctionGraph) -> Node {
        fg.toposort()[0]
    }

    #[test]
    fn catches_wrong_output_type() {
        let (mut fg, _, _) = small();
        let o = fg.outputs()[0];
        fg.corrupt_output_type(o, TensorType::vector(DType::Float64));
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("has output types"), "{e}");
        assert!(e.location.is_some());
    }

    #[test]
    fn catches_stale_clients() {
        let (mut fg, x, y) = small();
        let add = add_node_of(&fg);
        // input 0 of add now reads y, but clients still say it reads x
        fg.corrupt_node_input(add, 0, y);
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("does not read it"), "{e}");
        assert_eq!(e.value, Some(x));
    }

    #[test]
    fn catches_missing_client() {
        let (mut fg, x, _) = small();
        fg.corrupt_clients(x).clear();
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("does not list it as a client"), "{e}");
    }

    #[test]
    fn catches_duplicate_client() {
        let (mut fg, x, _) = small();
        let c = fg.clients(x)[0];
        fg.corrupt_clients(x).push(c);
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("twice"), "{e}");
    }

    #[test]
    fn catches_dangling_ids() {
        let (mut fg, _, _) = small();
        let add = add_node_of(&fg);
        fg.corrupt_node_input(add, 1, Value::from_index(999));
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("does not exist"), "{e}");

        let (mut fg, _, _) = small();
        fg.corrupt_outputs().push(Value::from_index(12345));
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("output v12345 does not exist"), "{e}");
    }

    #[test]
    fn catches_cycles() {
        let (mut fg, x, _) = small();
        let nodes = fg.toposort();
        let (add, exp) = (nodes[0], nodes[1]);
        let e_out = fg.node_outputs(exp)[0];
        // add reads exp's output: add -> exp -> add; keep the clients consistent
        fg.corrupt_node_input(add, 0, e_out);
        let c = Client {
            node: add,
            input: 0,
        };
        fg.corrupt_clients(x).retain(|k| *k != c);
        fg.corrupt_clients(e_out).push(c);
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("cycle"), "{e}");
    }

    #[test]
    fn catches_unlisted_input() {
        let (mut fg, _, _) = small();
        let z = fg.add_input(TensorType::matrix(DType::Float64), Some("z"));
        fg.inputs.pop();
        let add = add_node_of(&fg);
        fg.change_input(add, 0, z, "test").unwrap();
        let e = fg.verify().unwrap_err();
        assert!(e.message.contains("not listed in the graph inputs"), "{e}");
    }
}
