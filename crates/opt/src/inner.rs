//! Rewriting inner graphs: the body of an `Elemwise{Composite}` node is opened as a graph of
//! its own (one 0-d input per composite input, one scalar `Elemwise` node per instruction),
//! the phase's rewrites run on it to their fixpoint, and the result, when it is still a graph
//! of scalar `Elemwise` nodes, is closed into a new composite. Constants a rewrite brings in
//! (`x * 0 -> 0`) become 0-d inputs of the new node. The same driver ([`equilibrium`]) runs
//! on the body, so a pattern written for tensors applies unchanged to a fused body.

use crate::engine::{equilibrium, Report, Rewrite};
use std::collections::HashMap;
use theano_ir::composite::{Composite, Instr, Operand};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{Op, ScalarOp, Tensor, TensorType};

/// The body of composite `c` over `inputs` (values of `fg`), as a graph: an input that is a
/// constant of one element is that constant (so `log(1 + i0)` reads a `1`), every other one
/// an input of the body. Also: the outer value of each body input.
fn open(
    fg: &FunctionGraph,
    c: &Composite,
    inputs: &[Value],
    loc: theano_ir::fgraph::Loc,
) -> Option<(FunctionGraph, Vec<Value>)> {
    let mut g = FunctionGraph::new();
    let mut outer = Vec::new();
    let ins: Vec<Value> = inputs
        .iter()
        .map(|&v| {
            let scalar = fg
                .constant_value(v)
                .filter(|t| t.len() == 1)
                .and_then(|t| t.reshape(&[]).ok());
            match scalar {
                Some(t) => g.add_constant(t),
                None => {
                    outer.push(v);
                    g.add_input(TensorType::fixed(fg.ty(v).dtype, []), None)
                }
            }
        })
        .collect();
    let mut temps: Vec<Value> = Vec::with_capacity(c.instrs().len());
    for ins_k in c.instrs() {
        let args: Vec<Value> = ins_k
            .args
            .iter()
            .map(|a| match *a {
                Operand::Input(i) => ins[i],
                Operand::Temp(t) => temps[t],
            })
            .collect();
        temps.push(
            g.add_node1(Op::elemwise(ins_k.op.clone()), &args, loc)
                .ok()?,
        );
    }
    g.add_output(*temps.last()?);
    Some((g, outer))
}

/// The instructions computing `g`'s output from its inputs, and the constants they read (as
/// extra inputs after `g`'s); `None` when a node is not a scalar `Elemwise` of one output or
/// the output is an input or a constant.
fn close(g: &FunctionGraph) -> Option<(Vec<Instr>, Vec<Tensor>)> {
    let out = *g.outputs().first()?;
    g.owner(out)?;
    let mut map: HashMap<Value, Operand> = g
        .inputs()
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, Operand::Input(i)))
        .collect();
    let mut consts: Vec<Tensor> = Vec::new();
    let mut instrs: Vec<Instr> = Vec::new();
    for n in g.toposort() {
        let Op::Elemwise {
            scalar,
            inplace: None,
        } = g.op(n)
        else {
            return None;
        };
        if matches!(scalar, ScalarOp::Composite(_)) || g.node_outputs(n).len() != 1 {
            return None;
        }
        let mut args = Vec::with_capacity(g.node_inputs(n).len());
        for &v in g.node_inputs(n) {
            if g.ty(v).ndim() != 0 {
                return None;
            }
            let a = match map.get(&v) {
                Some(&a) => a,
                None if g.def(v) == ValueDef::Constant => {
                    let a = Operand::Input(g.inputs().len() + consts.len());
                    consts.push(g.constant_value(v)?.clone());
                    map.insert(v, a);
                    a
                }
                None => return None,
            };
            args.push(a);
        }
        instrs.push(Instr {
            op: scalar.clone(),
            args,
        });
        map.insert(g.node_outputs(n)[0], Operand::Temp(instrs.len() - 1));
    }
    // the output's instruction last (the toposort may end elsewhere only when dead nodes
    // remain, which `close` never sees after `remove_unused`)
    if map.get(&out) != Some(&Operand::Temp(instrs.len().checked_sub(1)?)) {
        return None;
    }
    Some((instrs, consts))
}

/// Run `rewrites` inside the body of node `n` when it is a flat, not in-place
/// `Elemwise{Composite}`: its replacement when a rewrite fired and the body closes again.
pub(crate) fn rewrite_body(
    fg: &mut FunctionGraph,
    n: Node,
    rewrites: &[&Rewrite],
    verbose: bool,
    report: &mut Report,
) -> Option<Value> {
    let Op::Elemwise {
        scalar: ScalarOp::Composite(c),
        inplace: None,
    } = fg.op(n)
    else {
        return None;
    };
    if c.is_nested() {
        return None;
    }
    let c = c.clone();
    let loc = fg.location(n);
    let inputs = fg.node_inputs(n).to_vec();
    let ndim = fg.ty(fg.node_outputs(n)[0]).ndim();
    let (mut g, outer) = open(fg, &c, &inputs, loc)?;
    let mut inner = Report::default();
    equilibrium(&mut g, rewrites, verbose, &mut inner);
    if inner.applied.is_empty() {
        return None;
    }
    g.remove_unused();
    let (instrs, consts) = close(&g)?;
    // constants as inputs of the node's rank, broadcastable (Elemwise's inputs share a rank)
    let mut all_inputs = outer;
    for t in consts {
        let t = t.reshape(&vec![1; ndim]).ok()?;
        all_inputs.push(fg.add_constant(t));
    }
    // inputs the new body no longer reads are dropped (a composite reads every input)
    let mut renum = vec![None; all_inputs.len()];
    let mut new_inputs = Vec::new();
    let instrs: Vec<Instr> = instrs
        .into_iter()
        .map(|i| Instr {
            op: i.op,
            args: i
                .args
                .iter()
                .map(|a| match *a {
                    Operand::Input(k) => Operand::Input(*renum[k].get_or_insert_with(|| {
                        new_inputs.push(all_inputs[k]);
                        new_inputs.len() - 1
                    })),
                    t => t,
                })
                .collect(),
        })
        .collect();
    let body = Composite::new(new_inputs.len(), instrs).ok()?;
    if body == *c && new_inputs.as_slice() == fg.node_inputs(n) {
        return None;
    }
    let new = fg
        .add_node1(Op::elemwise(ScalarOp::composite(body)), &new_inputs, loc)
        .ok()?;
    for (name, k) in inner.applied {
        for _ in 0..k {
            report.record(name);
        }
    }
    report.visits += inner.visits;
    Some(new)
}

#[cfg(test)]
mod tests {
    use crate::{optimize, Config};
    use theano_ir::fgraph::FunctionGraph;

    fn optimized(text: &str) -> (String, crate::Report) {
        let mut fg = FunctionGraph::parse(text).expect("parses");
        let cfg = Config {
            verify: true,
            ..Config::default()
        };
        let r = optimize(&mut fg, &cfg).expect("optimizes");
        (fg.to_text(), r)
    }

    #[test]
    fn a_cancellation_inside_a_body_drops_the_input_it_no_longer_reads() {
        let (t, r) = optimized(
            "function(%0: float64[?] \"x\", %1: float64[?] \"y\") {\n  %2: float64[?] = Elemwise{Composite{(exp((i0 - i0)) + i1)}}(%0, %1)\n  return %2\n}\n",
        );
        assert!(r.count("composite_body") > 0, "{t}");
    }
}
