//! The merge phase: equal constants and nodes applying the same op to the same inputs become
//! one (common subexpression elimination).

use crate::engine::Report;
use std::collections::HashMap;
use theano_ir::fgraph::{FunctionGraph, Value, ValueDef};
use theano_ir::{Op, TensorType};

#[derive(PartialEq, Eq, Hash)]
struct ConstKey {
    ty: TensorType,
    shape: Vec<usize>,
    bits: Vec<u64>,
}

/// Merge equal constants, then equal nodes, in one topological sweep.
pub fn merge(fg: &mut FunctionGraph, verbose: bool, report: &mut Report) {
    let mut consts: HashMap<ConstKey, Value> = HashMap::new();
    for i in 0..fg.num_values() {
        let v = Value::from_index(i);
        if !fg.is_value_alive(v) || fg.def(v) != ValueDef::Constant || fg.n_uses(v) == 0 {
            continue;
        }
        let t = fg.constant_value(v).expect("constant");
        let key = ConstKey {
            ty: fg.ty(v),
            shape: t.shape().to_vec(),
            bits: t.to_f64_vec().iter().map(|x| x.to_bits()).collect(),
        };
        match consts.get(&key) {
            Some(&keep) => {
                if verbose {
                    eprintln!("rewriting: merge replaces constant {v} by {keep}");
                }
                if fg.replace(v, keep, "merge").is_ok() {
                    report.record("merge");
                }
            }
            None => {
                consts.insert(key, v);
            }
        }
    }
    let mut nodes: HashMap<(Op, Vec<Value>), theano_ir::fgraph::Node> = HashMap::new();
    for n in fg.toposort() {
        if !fg.is_alive(n) {
            continue;
        }
        let key = (fg.op(n).clone(), fg.node_inputs(n).to_vec());
        match nodes.get(&key) {
            Some(&keep) if fg.is_alive(keep) => {
                let olds = fg.node_outputs(n).to_vec();
                let news = fg.node_outputs(keep).to_vec();
                for (o, k) in olds.into_iter().zip(news) {
                    if fg.is_value_alive(o) && fg.replace(o, k, "merge").is_ok() {
                        report.record("merge");
                    }
                }
            }
            _ => {
                nodes.insert(key, n);
            }
        }
    }
}
