//! Test helpers: a tiny Theano-1.0-style `pp` (only what the gradient tests print) until
//! `theano_ir::printing::pp` exists.
#![allow(dead_code)]

use theano_ir::{Op, Variable};

/// Theano 1.0's `pp` for elemwise arithmetic, `fill`, function-call elemwise ops and
/// DimShuffle (printed transparently when it only adds broadcastable dimensions on the left,
/// as Theano's `DimShufflePrinter` does).
pub fn pp(v: &Variable) -> String {
    if let Some(n) = v.name() {
        if v.owner().is_none() {
            return n.to_string();
        }
    }
    let Some(node) = v.owner() else {
        return v.to_string();
    };
    let ins = node.inputs();
    match node.op() {
        Op::Elemwise { scalar, .. } => {
            let args: Vec<String> = ins.iter().map(pp).collect();
            if let Some((sym, _, _)) = scalar.infix() {
                if args.len() == 1 {
                    format!("({sym}{})", args[0])
                } else {
                    format!("({})", args.join(&format!(" {sym} ")))
                }
            } else {
                format!("{}({})", scalar.pp_name(), args.join(", "))
            }
        }
        Op::DimShuffle { new_order, .. } => {
            let x = &ins[0];
            let mut order = new_order.as_slice();
            while let Some(None) = order.first() {
                order = &order[1..];
            }
            let ident: Vec<Option<usize>> = (0..x.ndim()).map(Some).collect();
            let rev: Vec<Option<usize>> = (0..x.ndim()).rev().map(Some).collect();
            if order == ident.as_slice() {
                pp(x)
            } else if order == rev.as_slice() {
                format!("{}.T", pp(x))
            } else {
                let items: Vec<String> = order
                    .iter()
                    .map(|e| e.map(|i| i.to_string()).unwrap_or_else(|| "x".into()))
                    .collect();
                format!("DimShuffle{{{}}}({})", items.join(", "), pp(x))
            }
        }
        op => {
            let args: Vec<String> = ins.iter().map(pp).collect();
            format!("{}({})", op, args.join(", "))
        }
    }
}

/// The op names of the graph, inputs before users (a structural fingerprint).
pub fn ops(v: &Variable) -> Vec<String> {
    theano_ir::graph::toposort(std::slice::from_ref(v))
        .iter()
        .map(|n| n.op().to_string())
        .collect()
}
