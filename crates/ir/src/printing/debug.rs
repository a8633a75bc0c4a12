//! `debugprint`: Theano 1.0's `theano.printing.debugprint` (the line format of
//! `theano/compile/debugmode.py`).
//!
//! One line per variable, depth-first from each output, children indented under ` |`:
//!
//! ```text
//! Elemwise{add,no_inplace} [id A] ''   
//!  |x [id B]
//!  |y [id C]
//! ```
//!
//! - an output of a node prints `op[.index] [id X][ <type>] 'name'   ` (the index only when the
//!   node has several outputs, the name empty when unset, then Theano's three trailing spaces
//!   left by its empty destroy-map, view-map and toposort-order fields);
//! - a leaf prints `str(var) [id X][ <type>]`;
//! - a node met again prints its line with the id it got the first time and is not expanded
//!   again; ids are shared by every output given in one call.

use crate::op::Op;
use crate::var::Variable;
use std::collections::HashMap;
use std::fmt::Write;
use theano_tensor::Tensor;

/// How `[id ..]` identifiers are written (Theano's `ids` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IdStyle {
    /// `[id A]`, `[id B]`, ... `[id Z]`, `[id BA]` (Theano's default, `ids='CHAR'`).
    #[default]
    Char,
    /// `[id 0]`, `[id 1]`, ... (`ids='int'`).
    Int,
    /// The node's or variable's unique id in this process (`ids='id'`).
    Id,
    /// No identifier (`ids=''`).
    None,
}

/// Options of [`debugprint_with`], defaulting to Theano's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DebugPrintOptions {
    /// Print this many levels (`Some(1)`: the outputs only); `None` is unlimited (Theano's
    /// `depth=-1`).
    pub depth: Option<usize>,
    /// Append each variable's type, ` <TensorType(float64, matrix)>` (`print_type=True`).
    pub print_type: bool,
    /// The identifier style.
    pub ids: IdStyle,
    /// Do not expand below a variable that has a name (`stop_on_name=True`).
    pub stop_on_name: bool,
}

impl DebugPrintOptions {
    /// Theano's defaults: unlimited depth, no types, `[id A]` ids.
    pub fn new() -> DebugPrintOptions {
        DebugPrintOptions::default()
    }
    /// Limit the depth (`depth=n`).
    pub fn depth(mut self, n: usize) -> DebugPrintOptions {
        self.depth = Some(n);
        self
    }
    /// Print types (`print_type=True`).
    pub fn print_type(mut self, yes: bool) -> DebugPrintOptions {
        self.print_type = yes;
        self
    }
    /// Choose the id style.
    pub fn ids(mut self, ids: IdStyle) -> DebugPrintOptions {
        self.ids = ids;
        self
    }
    /// Stop at named variables (`stop_on_name=True`).
    pub fn stop_on_name(mut self, yes: bool) -> DebugPrintOptions {
        self.stop_on_name = yes;
        self
    }
    /// Print `outputs` with these options.
    pub fn print(&self, outputs: &[Variable]) -> String {
        debugprint_with(outputs, self)
    }
}

/// Theano's `char_from_number`: base 26 with `A`..`Z` as digits (`0` is `A`, `26` is `BA`).
fn char_from_number(mut n: usize) -> String {
    if n == 0 {
        return "A".into();
    }
    let mut digits = Vec::new();
    while n != 0 {
        digits.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// What an id belongs to: an Apply node (shared by all its outputs) or a leaf variable.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Node(u64),
    Var(u64),
}

struct Ids {
    style: IdStyle,
    used: HashMap<Key, String>,
}

impl Ids {
    fn get(&mut self, key: Key, raw: u64) -> String {
        if let Some(s) = self.used.get(&key) {
            return s.clone();
        }
        let s = match self.style {
            IdStyle::Char => format!("[id {}]", char_from_number(self.used.len())),
            IdStyle::Int => format!("[id {}]", self.used.len()),
            IdStyle::Id => format!("[id {raw}]"),
            IdStyle::None => String::new(),
        };
        self.used.insert(key, s.clone());
        s
    }
}

/// Theano's `debugprint(outputs, file='str')` with default options.
///
/// ```
/// use theano_ir::tensor as T;
/// use theano_ir::printing::debugprint;
/// let x = T::dmatrix("x");
/// let y = T::dmatrix("y");
/// assert_eq!(
///     debugprint(&[&x + &y]),
///     "Elemwise{add,no_inplace} [id A] ''   \n |x [id B]\n |y [id C]\n"
/// );
/// ```
pub fn debugprint(outputs: &[Variable]) -> String {
    debugprint_with(outputs, &DebugPrintOptions::default())
}

/// Theano's `debugprint` with options (depth, print_type, ids, stop_on_name).
pub fn debugprint_with(outputs: &[Variable], opts: &DebugPrintOptions) -> String {
    let mut out = String::new();
    let mut ids = Ids {
        style: opts.ids,
        used: HashMap::new(),
    };
    // Nodes already printed (and so not to expand again), across all outputs.
    let mut done: HashMap<u64, ()> = HashMap::new();
    for r in outputs {
        // (variable, prefix of its line, prefix of its children's lines, depth left, whether
        // it is an index input of a Subtensor/IncSubtensor: Theano holds those as scalars, and
        // a constant one prints `Constant{1}`)
        let mut stack: Vec<(Variable, String, String, Option<usize>, bool)> =
            vec![(r.clone(), String::new(), String::new(), opts.depth, false)];
        while let Some((r, prefix, prefix_child, depth, index_input)) = stack.pop() {
            if depth == Some(0) {
                continue;
            }
            let type_str = if opts.print_type {
                format!(" <{}>", r.ty())
            } else {
                String::new()
            };
            match r.owner() {
                Some(a) => {
                    let already_printed = done.insert(a.id(), ()).is_some();
                    let id_str = ids.get(Key::Node(a.id()), a.id());
                    let idx = if a.n_outputs() == 1 {
                        String::new()
                    } else {
                        format!(".{}", r.index().unwrap_or(0))
                    };
                    let name = r.name().map(|n| n.to_string()).unwrap_or_default();
                    let types: Vec<_> = a.inputs().iter().map(Variable::ty).collect();
                    let _ = writeln!(
                        out,
                        "{prefix}{}{idx} {id_str}{type_str} '{name}'   ",
                        a.op().theano_name(&types)
                    );
                    if already_printed || (opts.stop_on_name && r.name().is_some()) {
                        continue;
                    }
                    let mut inputs = a.inputs().to_vec();
                    if let Op::Join { axis } = a.op() {
                        // Theano's Join takes its axis as its first input, a constant
                        let c = Variable::constant_bounded(Tensor::scalar(*axis as i64));
                        inputs.insert(0, c);
                    }
                    let n = inputs.len();
                    let child_depth = depth.map(|d| d - 1);
                    let first_index = match a.op() {
                        Op::Subtensor { .. } => 1,
                        Op::IncSubtensor { .. } => 2,
                        _ => usize::MAX,
                    };
                    for (i, input) in inputs.iter().enumerate().rev() {
                        let new_prefix = format!("{prefix_child} |");
                        let new_prefix_child = if i + 1 == n {
                            format!("{prefix_child}  ")
                        } else {
                            format!("{prefix_child} |")
                        };
                        stack.push((
                            input.clone(),
                            new_prefix,
                            new_prefix_child,
                            child_depth,
                            i >= first_index,
                        ));
                    }
                }
                None => {
                    let id_str = ids.get(Key::Var(r.id()), r.id());
                    match r.constant_value() {
                        Some(t) if index_input && t.ndim() == 0 => {
                            let v = crate::var::scalar_str(t);
                            let _ = writeln!(out, "{prefix}Constant{{{v}}} {id_str}{type_str}");
                        }
                        _ => {
                            let _ = writeln!(out, "{prefix}{r} {id_str}{type_str}");
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::char_from_number;

    #[test]
    fn char_ids_are_theanos_base_26() {
        let got: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 675, 676]
            .into_iter()
            .map(char_from_number)
            .collect();
        assert_eq!(
            got,
            ["A", "B", "Z", "BA", "BB", "BZ", "CA", "ZZ", "BAA"].map(String::from)
        );
    }
}
