//! The graph evaluator: any value of a [`FunctionGraph`], live or pruned, computed with the
//! interpreter and memoised. DebugMode checks each rewrite with it, the filetests and the
//! differential tests use it as the oracle.

use std::collections::HashMap;
use theano_ir::fgraph::{FunctionGraph, Value, ValueDef};
use theano_ir::{DType, Tensor};

/// Evaluates values of a [`FunctionGraph`] (live or pruned) with the interpreter.
pub struct Evaluator<'g> {
    fg: &'g FunctionGraph,
    env: HashMap<Value, Tensor>,
}

/// Why a value could not be computed: the node (as text) and the interpreter's message.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub node: String,
    pub message: String,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.node, self.message)
    }
}

impl<'g> Evaluator<'g> {
    /// An evaluator with the graph inputs bound to `inputs` (in order). Shared values are read
    /// from their cells unless bound with [`Evaluator::bind`] first (DebugMode binds them, as
    /// the call holds their locks).
    pub fn new(fg: &'g FunctionGraph, inputs: &[&Tensor]) -> Evaluator<'g> {
        let mut env = HashMap::new();
        for (&v, &t) in fg.inputs().iter().zip(inputs) {
            env.insert(v, t.clone());
        }
        Evaluator { fg, env }
    }

    /// Give `v` a value.
    pub fn bind(&mut self, v: Value, t: Tensor) {
        self.env.insert(v, t);
    }

    /// The value of `v` (computing what it depends on, iteratively).
    pub fn eval(&mut self, v: Value) -> Result<&Tensor, EvalError> {
        let fg = self.fg;
        let mut stack = vec![v];
        while let Some(&top) = stack.last() {
            if self.env.contains_key(&top) {
                stack.pop();
                continue;
            }
            match fg.def(top) {
                ValueDef::Constant => {
                    let t = fg.constant_value(top).expect("constant").clone();
                    self.env.insert(top, t);
                    stack.pop();
                }
                ValueDef::Shared => {
                    let cell = fg.shared_cell(top).expect("shared");
                    let t = cell.lock().host().cloned().map_err(|message| EvalError {
                        node: format!("shared variable {top}"),
                        message,
                    })?;
                    self.env.insert(top, t);
                    stack.pop();
                }
                ValueDef::Input => {
                    return Err(EvalError {
                        node: format!("input {top}"),
                        message: "no value bound".into(),
                    })
                }
                ValueDef::Output { node, .. } => {
                    let ins = fg.node_inputs(node);
                    let missing: Vec<Value> = ins
                        .iter()
                        .copied()
                        .filter(|i| !self.env.contains_key(i))
                        .collect();
                    if !missing.is_empty() {
                        if stack.len() > 4 * fg.num_values() + 16 {
                            return Err(EvalError {
                                node: theano_ir::fgraph::node_str(fg, node),
                                message: "the graph has a cycle".into(),
                            });
                        }
                        stack.extend(missing);
                        continue;
                    }
                    let vals: Vec<&Tensor> = ins.iter().map(|i| &self.env[i]).collect();
                    let tys: Vec<_> = fg.node_outputs(node).iter().map(|&o| fg.ty(o)).collect();
                    let outs = crate::perform(fg.op(node), &vals, &tys).map_err(|e| EvalError {
                        node: theano_ir::fgraph::node_str(fg, node),
                        message: e.to_string(),
                    })?;
                    for (&o, t) in fg.node_outputs(node).iter().zip(outs) {
                        self.env.insert(o, t);
                    }
                    stack.pop();
                }
            }
        }
        Ok(&self.env[&v])
    }
}

/// Theano DebugMode's comparison: same dtype and shape, and elementwise close (NaN equals
/// NaN; integers and booleans exactly; float64 `rtol 1e-5, atol 1e-8`, float32 `rtol 1e-3,
/// atol 1e-5`). Where `old` is infinite or NaN and `new` is finite, the rewrite stabilized the
/// value (Theano's `values_eq_approx_remove_inf_nan`), which is accepted.
pub fn values_agree(old: &Tensor, new: &Tensor) -> bool {
    if old.dtype() != new.dtype() || old.shape() != new.shape() {
        return false;
    }
    let (rtol, atol) = match old.dtype() {
        DType::Float64 => (1e-5, 1e-8),
        DType::Float32 => (1e-3, 1e-5),
        _ => return old.to_i64_vec() == new.to_i64_vec(),
    };
    let (a, b) = (old.to_f64_vec(), new.to_f64_vec());
    a.iter().zip(&b).all(|(&x, &y)| {
        (x.is_nan() && y.is_nan())
            || x == y
            || (!x.is_finite() && y.is_finite())
            || (x - y).abs() <= atol + rtol * y.abs()
    })
}

/// Replay the replacement log of `fg` on the given inputs and return a wrong entry as
/// `(reason, old node, new node, old value, new value)`: the *last* entry whose old and new
/// values differ.
///
/// Why the last: the old value of entry `k` is a pruned node, frozen with the inputs it had at
/// time `k`, but the new value is usually still live, and a later `replace` rewires live nodes.
/// So once a wrong entry `w` has run, the new values of earlier entries downstream of it read
/// `w`'s wrong value and differ too, while entries after `w` see the wrong value on both sides
/// and agree (when they are right). The last differing entry is therefore a wrong rewrite (the
/// last of them, when several are wrong). Entries whose old value cannot be computed are
/// skipped (the unoptimized graph would have failed there); a new value that fails where the
/// old one did not is a difference.
pub fn first_bad_replacement(
    ev: &mut Evaluator<'_>,
) -> Option<(String, String, String, String, String)> {
    let fg = ev.fg;
    for r in fg.history().iter().rev() {
        let Ok(old) = ev.eval(r.old).cloned() else {
            continue;
        };
        let new = ev.eval(r.new).cloned();
        let agree = match &new {
            Ok(n) => values_agree(&old, n),
            Err(_) => false,
        };
        if !agree {
            return Some((
                r.reason.to_string(),
                describe(fg, r.old),
                describe(fg, r.new),
                format!("{old:?}"),
                match new {
                    Ok(n) => format!("{n:?}"),
                    Err(e) => format!("<error: {e}>"),
                },
            ));
        }
    }
    None
}

fn describe(fg: &FunctionGraph, v: Value) -> String {
    match fg.def(v) {
        ValueDef::Output { node, .. } => theano_ir::fgraph::node_str(fg, node),
        _ => theano_ir::fgraph::value_str(fg, v),
    }
}
