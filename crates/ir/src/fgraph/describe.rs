//! Nodes and values described as Theano's error messages show them (`Elemwise{add,no_inplace}(x,
//! y)`), bounded in size: the run-time errors of every backend, the verifier and DebugMode use
//! them.

use super::{FunctionGraph, Node, Value, ValueDef};

/// `Elemwise{add,no_inplace}(x, y)`: a node as Theano's error messages show it (each op cut
/// at [`MAX_SHOWN`] bytes).
pub fn node_str(fg: &FunctionGraph, n: Node) -> String {
    let ins: Vec<String> = fg
        .node_inputs(n)
        .iter()
        .map(|&v| value_str(fg, v))
        .collect();
    let types: Vec<_> = fg.node_inputs(n).iter().map(|&v| fg.ty(v)).collect();
    format!(
        "{}({})",
        shown(&fg.op(n).theano_name(&types)),
        ins.join(", ")
    )
}

/// A value as Theano prints a variable: its name, the leaf's own display, or `Op.i`.
pub fn value_str(fg: &FunctionGraph, v: Value) -> String {
    if let Some(n) = fg.name(v) {
        return n.to_string();
    }
    if let Some(var) = fg.leaf_variable(v) {
        return shown(var);
    }
    match fg.def(v) {
        ValueDef::Output { node, index } => format!("{}.{index}", shown(fg.op(node))),
        _ => format!("<{}>", fg.ty(v)),
    }
}

/// The most bytes of one op (or leaf) that [`node_str`] writes.
pub const MAX_SHOWN: usize = 4096;

/// `x` as displayed, cut at [`MAX_SHOWN`] bytes (then `...`). The schedule describes every
/// node for its error messages; a fused composite prints its whole expression, a
/// sub-expression it shares once per use, so written in full the descriptions of a big
/// graph's kernels grew with the kernels (and with the number of paths through a fused DAG,
/// exponentially). The printer stops at the cut.
fn shown(x: &dyn std::fmt::Display) -> String {
    struct Cut {
        s: String,
        left: usize,
    }
    impl std::fmt::Write for Cut {
        fn write_str(&mut self, t: &str) -> std::fmt::Result {
            if t.len() <= self.left {
                self.s.push_str(t);
                self.left -= t.len();
                return Ok(());
            }
            let mut k = self.left;
            while !t.is_char_boundary(k) {
                k -= 1;
            }
            self.s.push_str(&t[..k]);
            self.left = 0;
            Err(std::fmt::Error)
        }
    }
    let mut c = Cut {
        s: String::new(),
        left: MAX_SHOWN,
    };
    if std::fmt::write(&mut c, format_args!("{x}")).is_err() {
        c.s.push_str("...");
    }
    c.s
}
