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
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

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
    /// the `ScalarFromTensor` node Theano puts on a symbolic index input (of this node, at
    /// this input position)
    ScalarFromTensor(u64, usize),
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
///
/// A loop (an op with an inner graph, a `scan`) is followed, as in Theano, by a section
/// `Inner graphs of the scan ops:` that prints the loop's line again and its body's outputs
/// under ` >`, each body input that takes an outer input's values written
/// `<input> [id X] -> [id Y]` (`Y` the outer input's id, its node's when it has one).
pub fn debugprint_with(outputs: &[Variable], opts: &DebugPrintOptions) -> String {
    let mut p = Printer {
        out: String::new(),
        ids: Ids {
            style: opts.ids,
            used: HashMap::new(),
        },
        done: HashSet::new(),
        loops: Vec::new(),
        opts,
    };
    for r in outputs {
        p.note_loop(r);
        p.tree(r, "", "", None);
    }
    let mut k = 0;
    if !p.loops.is_empty() {
        p.out.push_str("\nInner graphs of the scan ops:\n");
    }
    // a loop's body may hold loops of its own, printed after it
    while let Some(l) = p.loops.get(k).cloned() {
        k += 1;
        p.out.push('\n');
        p.tree(&l, "", "", None);
        let Some(node) = l.owner() else { continue };
        let Op::Custom(c) = node.op() else { continue };
        for g in c.0.inner_graphs() {
            let outer: HashMap<u64, Variable> = g
                .inputs
                .iter()
                .zip(&g.outer)
                .filter_map(|(i, o)| Some((i.id(), node.inputs().get((*o)?)?.clone())))
                .collect();
            for o in &g.outputs {
                p.note_loop(o);
                p.tree(o, " >", " >", Some(&outer));
            }
        }
    }
    p.out
}

/// What one `debugprint` call carries from tree to tree.
struct Printer<'a> {
    out: String,
    ids: Ids,
    /// nodes printed already (not expanded again), across all trees
    done: HashSet<u64>,
    /// outputs of loops met (an output, or an input of a node expanded), each loop once, in
    /// order: each gets a section at the end. Theano notes a loop each time it meets one;
    /// its loop outputs reach their readers through a `Subtensor` (the stored initial
    /// value cut off), so a loop read twice still gets one section there, as it does here.
    loops: Vec<Variable>,
    opts: &'a DebugPrintOptions,
}

impl Printer<'_> {
    /// Remember `v` when it is an output of a loop not met before (Theano's
    /// `scan_ops.append`).
    fn note_loop(&mut self, v: &Variable) {
        let Some(node) = v.owner() else { return };
        let has_body = matches!(node.op(), Op::Custom(c) if c.0.prints_inner_graphs());
        let met = || {
            self.loops
                .iter()
                .any(|l| l.owner().is_some_and(|n| n.id() == node.id()))
        };
        if has_body && !met() {
            self.loops.push(v.clone());
        }
    }

    /// The tree of `root`, depth first; `outer` maps a loop body's inputs to the outer
    /// inputs they take their values from.
    fn tree(
        &mut self,
        root: &Variable,
        prefix: &str,
        prefix_child: &str,
        outer: Option<&HashMap<u64, Variable>>,
    ) {
        let opts = self.opts;
        // (variable, prefix of its line, prefix of its children's lines, depth left)
        // (.., for a Subtensor-family index input or a custom op's scalar input: its node,
        // position, and whether a constant too goes through ScalarFromTensor)
        let mut stack: Vec<(
            Variable,
            String,
            String,
            Option<usize>,
            Option<(u64, usize, bool)>,
        )> = vec![(
            root.clone(),
            prefix.to_string(),
            prefix_child.to_string(),
            opts.depth,
            None,
        )];
        let mut root = true;
        while let Some((r, prefix, prefix_child, depth, index_of)) = stack.pop() {
            // a loop met as an input is noted when its turn comes, as Theano does (the root
            // is the caller's to note)
            if !std::mem::take(&mut root) {
                self.note_loop(&r);
            }
            if depth == Some(0) {
                continue;
            }
            let is_index = index_of.is_some();
            // Theano's Subtensor holds a symbolic index through a ScalarFromTensor node
            if let Some((node, pos, always)) = index_of {
                if always || r.constant_value().is_none() {
                    let id_str = self.ids.get(Key::ScalarFromTensor(node, pos), node);
                    // Theano's scalar type prints as its dtype
                    let ty = if opts.print_type {
                        format!(" <{}>", r.dtype())
                    } else {
                        String::new()
                    };
                    let _ = writeln!(self.out, "{prefix}ScalarFromTensor {id_str}{ty} ''   ");
                    let child = (
                        r,
                        format!("{prefix_child} |"),
                        format!("{prefix_child}  "),
                        depth.map(|d| d - 1),
                        None,
                    );
                    stack.push(child);
                    continue;
                }
            }
            let type_str = if opts.print_type {
                format!(" <{}>", r.ty())
            } else {
                String::new()
            };
            match r.owner() {
                Some(a) => {
                    let already_printed = !self.done.insert(a.id());
                    let id_str = self.ids.get(Key::Node(a.id()), a.id());
                    let idx = if a.n_outputs() == 1 {
                        String::new()
                    } else {
                        format!(".{}", r.index().unwrap_or(0))
                    };
                    let name = r.name().map(|n| n.to_string()).unwrap_or_default();
                    let types: Vec<_> = a.inputs().iter().map(Variable::ty).collect();
                    let _ = writeln!(
                        self.out,
                        "{prefix}{}{idx} {id_str}{type_str} '{name}'   ",
                        if a.is_unnamed() {
                            a.op().unnamed_name(&types)
                        } else {
                            a.op().theano_name(&types)
                        }
                    );
                    if already_printed || (opts.stop_on_name && r.name().is_some()) {
                        continue;
                    }
                    let mut inputs = a.inputs().to_vec();
                    // Theano's Join takes its axis as a first input, a TensorConstant
                    if let Op::Join { axis } = a.op() {
                        let t = theano_tensor::Tensor::scalar(*axis as i64)
                            .cast(theano_tensor::DType::smallest_int_for(*axis as i64));
                        inputs.insert(0, Variable::constant_bounded(t));
                    }
                    let n = inputs.len();
                    let child_depth = depth.map(|d| d - 1);
                    // Theano's Subtensor holds constant indices as scalar constants; a custom
                    // op's scalar inputs are Theano's `as_scalar`, a ScalarFromTensor node
                    let first_index = match a.op() {
                        Op::Subtensor { .. } => 1,
                        Op::IncSubtensor { .. } => 2,
                        _ => n,
                    };
                    let scalar_inputs = match a.op() {
                        Op::Custom(c) => c.0.scalar_inputs(),
                        _ => Vec::new(),
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
                            if scalar_inputs.contains(&i) {
                                Some((a.id(), i, true))
                            } else {
                                (i >= first_index).then_some((a.id(), i, false))
                            },
                        ));
                    }
                }
                None => {
                    let id_str = self.ids.get(Key::Var(r.id()), r.id());
                    if let Some(o) = outer.and_then(|m| m.get(&r.id())) {
                        let outer_id = match o.owner() {
                            Some(n) => self.ids.get(Key::Node(n.id()), n.id()),
                            None => self.ids.get(Key::Var(o.id()), o.id()),
                        };
                        let _ = writeln!(self.out, "{prefix}{r} {id_str}{type_str} -> {outer_id}");
                        continue;
                    }
                    match r.constant_value() {
                        Some(t) if is_index && t.ndim() == 0 => {
                            let v = crate::var::scalar_str(t);
                            let _ =
                                writeln!(self.out, "{prefix}Constant{{{v}}} {id_str}{type_str}");
                        }
                        _ => {
                            let _ = writeln!(self.out, "{prefix}{r} {id_str}{type_str}");
                        }
                    }
                }
            }
        }
    }
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
