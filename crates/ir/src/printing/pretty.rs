//! `pp`: Theano 1.0's pretty printer (`theano.printing.pprint`).
//!
//! Theano picks a printer per op (`pprint.assign`); this module dispatches on [`Op`] the same
//! way:
//!
//! | op | printer | form |
//! |----|---------|------|
//! | Elemwise add, mul, sub, true_div, int_div, pow | `OperatorPrinter` | `(x + y)`, `(x ** y)` |
//! | Elemwise neg | `OperatorPrinter('-', 0)` | `(-x)` |
//! | Elemwise abs_ | `PatternPrinter('\|%(0)s\|')` | `\|x\|` |
//! | Elemwise second | `FunctionPrinter('fill')` | `fill(x, y)` |
//! | Elemwise Cast{d} | `FunctionPrinter(d)` | `float64(x)` |
//! | Elemwise identity (`tensor_copy`) | `IgnorePrinter` | `x` |
//! | every other Elemwise (`@_scal_elemwise`) | `FunctionPrinter(name)` | `exp(x)`, `gt(x, y)`, `mod(x, y)` |
//! | Elemwise in place (made by the optimizer) | `DefaultPrinter` | `Elemwise{TrueDiv}[(0, 0)](x, y)` |
//! | Elemwise of a fused Composite | `DefaultPrinter` | `Elemwise{Composite{(i0 * exp(i1))}}(x, y)` |
//! | DimShuffle | `DimShufflePrinter` | inserted broadcast dims invisible, `x.T`, `DimShuffle{1, x, 0}(x)` |
//! | Sum over all axes | `FunctionPrinter('sum')` | `sum(x)` |
//! | dot | `OperatorPrinter(special['middle_dot'])` | `(x \dot y)` |
//! | Alloc | `FunctionPrinter('alloc')` | `alloc(v, n, m)` |
//! | Join | `FunctionPrinter('join')` | `join(TensorConstant{0}, x, y)` (Theano's axis input) |
//! | MakeVector | `MakeVectorPrinter` | `[a, b]` |
//! | Subtensor | `SubtensorPrinter` | `x[1:n, ::2]` |
//! | everything else | `DefaultPrinter` | `str(op)(inputs...)`, e.g. `Softmax(x)`, `Shape_i{0}(x)` |
//! | leaves | `LeafPrinter` | the name (`alpha`..`epsilon` as `\alpha`..), else `str(var)` |
//!
//! As in Theano 1.0 (whose precedence logic was disabled, Theano issue #249), every operator
//! form is parenthesized, so the result never depends on the surrounding context, and a named
//! variable that is the output of a node is still printed as its expression.
//!
//! Two deliberate differences from Theano 1.0, where Theano printed something ambiguous:
//! - Subtensor: Theano printed a symbolic slice bound as its *type* (`x[int64:int64:]`) and
//!   took scalar index inputs in reverse order; we print every bound as its expression
//!   (`x[(i * TensorConstant{20}):((i + TensorConstant{1}) * TensorConstant{20})]`), constant
//!   integer bounds as plain numbers (`x[1:3]`, `x[-1]`), and a constant start of 0 as empty.
//! - Outputs of a multi-output op under the default printer carry their index
//!   (`MaxAndArgmax{axis=(0,)}.1(x)`); Theano printed the max and the argmax identically.

use crate::graph::ancestors;
use crate::op::{IdxEntry, Op};
use crate::scalar::ScalarOp;
use crate::var::{ApplyRef, Variable};
use std::collections::HashMap;

/// Theano's `pp(variable)`: the expression computing `v` on one line.
///
/// ```
/// use theano_ir::tensor as T;
/// use theano_ir::printing::pp;
/// let x = T::dscalar("x");
/// let y = T::dscalar("y");
/// assert_eq!(pp(&(&x + &y)), "(x + y)");
/// assert_eq!(pp(&T::exp(-&x)), "exp((-x))");
/// ```
pub fn pp(v: &Variable) -> String {
    // Each variable's string is its printer's text around its inputs' strings, each input's
    // string used whole. So each variable keeps only its own text, as pieces (literal text,
    // or "input k's string here"), computed inputs-first (the order `ancestors` returns)
    // without recursion; the result is then written out in one pass with an explicit stack.
    // Linear in the output: building each variable's whole string from its inputs' strings
    // copied a 200,000-node chain's prefixes again at every level (quadratic: minutes).
    let order = ancestors(std::slice::from_ref(v));
    let mut memo: HashMap<u64, Vec<Piece>> = HashMap::with_capacity(order.len());
    for var in order {
        let pieces = match var.owner() {
            None => vec![Piece::Text(leaf(&var))],
            Some(node) => node_pieces(&node, &memo),
        };
        memo.insert(var.id(), pieces);
    }
    let mut out = String::new();
    write_pieces(v.id(), &memo, &mut out);
    out
}

/// A part of a variable's printed form.
enum Piece {
    Text(String),
    /// the printed form of the variable with this id
    Var(u64),
}

/// Placeholders for the inputs' strings: private-use characters around the input's position.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// `node_string` with placeholders for the inputs, cut into pieces at the placeholders.
fn node_pieces(node: &ApplyRef, memo: &HashMap<u64, Vec<Piece>>) -> Vec<Piece> {
    let inputs = node.inputs();
    let empty = vec![""; inputs.len()];
    if node_string(node, &empty).contains([OPEN, CLOSE]) {
        // the node's own text has a placeholder character (a user's op or variable name):
        // print it with its inputs' strings written out
        let strs: Vec<String> = inputs
            .iter()
            .map(|i| {
                let mut s = String::new();
                write_pieces(i.id(), memo, &mut s);
                s
            })
            .collect();
        let refs: Vec<&str> = strs.iter().map(String::as_str).collect();
        return vec![Piece::Text(node_string(node, &refs))];
    }
    let marks: Vec<String> = (0..inputs.len())
        .map(|k| format!("{OPEN}{k}{CLOSE}"))
        .collect();
    let refs: Vec<&str> = marks.iter().map(String::as_str).collect();
    let s = node_string(node, &refs);
    let mut pieces = Vec::new();
    let mut rest = s.as_str();
    while let Some(a) = rest.find(OPEN) {
        if a > 0 {
            pieces.push(Piece::Text(rest[..a].to_string()));
        }
        let after = &rest[a + OPEN.len_utf8()..];
        let b = after.find(CLOSE).unwrap_or(after.len());
        let k: usize = after[..b].parse().unwrap_or(usize::MAX);
        if let Some(i) = inputs.get(k) {
            pieces.push(Piece::Var(i.id()));
        }
        rest = &after[(b + CLOSE.len_utf8()).min(after.len())..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    pieces
}

/// Append the printed form of variable `id`: an explicit stack of piece iterators, so the
/// depth of the graph is not the depth of the call stack.
fn write_pieces(id: u64, memo: &HashMap<u64, Vec<Piece>>, out: &mut String) {
    let mut stack: Vec<std::slice::Iter<'_, Piece>> = Vec::new();
    if let Some(p) = memo.get(&id) {
        stack.push(p.iter());
    }
    while let Some(it) = stack.last_mut() {
        match it.next() {
            None => {
                stack.pop();
            }
            Some(Piece::Text(s)) => out.push_str(s),
            Some(Piece::Var(i)) => match memo.get(i) {
                Some(p) => stack.push(p.iter()),
                None => out.push('?'),
            },
        }
    }
}

/// Theano's `LeafPrinter`: greek names as TeX, else `str(var)`.
fn leaf(v: &Variable) -> String {
    if let Some(n) = v.name() {
        if let Some(g) = greek(&n) {
            return g.to_string();
        }
    }
    v.to_string()
}

fn greek(name: &str) -> Option<&'static str> {
    Some(match name {
        "alpha" => "\\alpha",
        "beta" => "\\beta",
        "gamma" => "\\gamma",
        "delta" => "\\delta",
        "epsilon" => "\\epsilon",
        _ => return None,
    })
}

/// `OperatorPrinter`: `(a op b op c)`, or `(op a)` written `(-a)` for one input.
fn operator(op: &str, ins: &[&str]) -> String {
    if ins.len() == 1 {
        format!("({op}{})", ins[0])
    } else {
        format!("({})", ins.join(&format!(" {op} ")))
    }
}

/// `FunctionPrinter`: `name(a, b)`.
fn function(name: &str, ins: &[&str]) -> String {
    format!("{name}({})", ins.join(", "))
}

/// `DefaultPrinter`: `str(op)(a, b)`. As Theano's, it names the node, not which of its
/// outputs is meant (`max` and `argmax` both print `MaxAndArgmax{axis=(0,)}(x)`; debugprint
/// shows the output index).
fn default(node: &ApplyRef, ins: &[&str]) -> String {
    let types: Vec<_> = node.inputs().iter().map(Variable::ty).collect();
    function(&node.op().theano_name(&types), ins)
}

/// The infix operator Theano assigns to an Elemwise of `s`.
fn infix(s: &ScalarOp) -> Option<&'static str> {
    use ScalarOp::*;
    Some(match s {
        Add => "+",
        Mul => "*",
        Sub | Neg => "-",
        TrueDiv => "/",
        IntDiv => "//",
        Pow => "**",
        _ => return None,
    })
}

fn elemwise(node: &ApplyRef, s: &ScalarOp, inplace: Option<usize>, ins: &[&str]) -> String {
    if let ScalarOp::Composite(_) = s {
        // No printer is assigned to a fused Elemwise in Theano: the default printer,
        // `Elemwise{Composite{...}}(x, y)`.
        return default(node, ins);
    }
    match inplace {
        None => {
            if let Some(op) = infix(s) {
                return operator(op, ins);
            }
            match s {
                ScalarOp::Abs => format!("|{}|", ins[0]),
                ScalarOp::Identity => ins[0].to_string(),
                ScalarOp::Cast(d) => function(d.name(), ins),
                other => function(&other.pp_name(), ins),
            }
        }
        // In-place nodes come from the optimizer's inplace phase, whose scalar ops are new
        // unnamed instances: Theano's printers (`+=`, `exp=`) do not match them, and the
        // default printer shows `Elemwise{TrueDiv}[(0, 0)](x, y)`.
        Some(_) => default(node, ins),
    }
}

/// `DimShufflePrinter`: leading inserted dimensions are invisible, the identity order prints
/// the input, the reversed order prints `x.T`.
fn dimshuffle(order: &[Option<usize>], in_ndim: usize, x: &str) -> String {
    let mut o = order;
    while let [None, rest @ ..] = o {
        o = rest;
    }
    if o.iter().copied().eq((0..in_ndim).map(Some)) {
        return x.to_string();
    }
    if o.iter().copied().eq((0..in_ndim).rev().map(Some)) {
        return format!("{x}.T");
    }
    let items: Vec<String> = o
        .iter()
        .map(|e| e.map_or_else(|| "x".to_string(), |i| i.to_string()))
        .collect();
    format!("DimShuffle{{{}}}({x})", items.join(", "))
}

/// An index or slice bound: a constant integer as a plain number, else its expression.
/// `SubtensorPrinter`, as Theano 1.0.5's: a slice bound prints as its type (`x[int64:]`,
/// whether a constant or not; a start of `None` and a step of `None` print nothing), an index
/// as its variable (`Constant{1}`, `ScalarFromTensor(i)`), the indices taken from the end of
/// the node's inputs (so `x[1, :, -1]` prints `x[Constant{-1}, :, Constant{1}]`, as
/// Theano's does).
fn subtensor(node: &ApplyRef, idx: &[IdxEntry], ins: &[&str]) -> String {
    let vars = node.inputs();
    let mut rest: Vec<usize> = (1..vars.len()).collect();
    // inputs after x, in entry order: a bound's type is read in order, an index's input
    // skipped (it is printed from the end of `rest`)
    let mut k = 1;
    let mut parts = Vec::with_capacity(idx.len());
    for e in idx {
        match *e {
            IdxEntry::Index(_) => {
                k += 1;
                parts.push(match rest.pop() {
                    Some(p) => index_str(&vars[p], ins[p]),
                    None => "?".into(),
                });
            }
            IdxEntry::Slice { start, stop, step } => {
                let mut p = String::new();
                let mut bound = |p: &mut String| {
                    if let Some(v) = vars.get(k) {
                        p.push_str(v.dtype().name());
                    }
                    k += 1;
                };
                if start.is_some() {
                    bound(&mut p);
                }
                p.push(':');
                if stop.is_some() {
                    bound(&mut p);
                }
                if step.is_some() {
                    p.push(':');
                    bound(&mut p);
                }
                parts.push(p);
            }
        }
    }
    format!("{}[{}]", ins[0], parts.join(", "))
}

/// An index input as Theano's Subtensor holds it: a constant scalar `Constant{1}`, a symbolic
/// one converted from its tensor, `ScalarFromTensor(i)`.
fn index_str(v: &Variable, s: &str) -> String {
    match v.constant_value() {
        Some(t) if t.ndim() == 0 => format!("Constant{{{}}}", crate::var::scalar_str(t)),
        _ => format!("ScalarFromTensor({s})"),
    }
}

fn node_string(node: &ApplyRef, ins: &[&str]) -> String {
    match node.op() {
        Op::Elemwise { scalar, inplace } => elemwise(node, scalar, *inplace, ins),
        Op::DimShuffle { new_order, .. } => dimshuffle(new_order, node.inputs()[0].ndim(), ins[0]),
        Op::Dot => operator("\\dot", ins),
        Op::Alloc => function("alloc", ins),
        // blas.py: `pprint.assign(gemm_no_inplace, FunctionPrinter('gemm_no_inplace'))`
        Op::Gemm { inplace: false } => function("gemm_no_inplace", ins),
        Op::Gemm { inplace: true } => function("gemm_inplace", ins),
        Op::Join { axis } => {
            let axis = format!("TensorConstant{{{axis}}}");
            let mut all = vec![axis.as_str()];
            all.extend_from_slice(ins);
            function("join", &all)
        }
        Op::MakeVector { .. } => format!("[{}]", ins.join(", ")),
        Op::Subtensor { idx } => subtensor(node, idx, ins),
        // the default printer, its index inputs as the scalars Theano's IncSubtensor holds
        Op::IncSubtensor { .. } => {
            let inputs = node.inputs();
            let strs: Vec<String> = ins
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    if i >= 2 {
                        index_str(&inputs[i], s)
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            let refs: Vec<&str> = strs.iter().map(String::as_str).collect();
            default(node, &refs)
        }
        Op::Reduce { .. }
        | Op::MaxAndArgmax { .. }
        | Op::Argmax { .. }
        | Op::ProdWithoutZeros { .. }
        | Op::AdvancedBooleanSubtensor
        | Op::AdvancedBooleanIncSubtensor { .. }
        | Op::Softmax
        | Op::LogSoftmax
        | Op::SoftmaxGrad
        | Op::CrossentropySoftmaxArgmax1HotWithBias
        | Op::CrossentropySoftmax1HotWithBiasDx
        | Op::CrossentropyCategorical1Hot
        | Op::CrossentropyCategorical1HotGrad
        | Op::Shape
        | Op::ShapeI(_)
        | Op::Reshape { .. }
        | Op::Flatten { .. }
        | Op::SpecifyShape
        | Op::ARange { .. }
        | Op::AdvancedSubtensor1
        | Op::AdvancedSubtensor { .. }
        | Op::AdvancedIncSubtensor1 { .. }
        | Op::AdvancedIncSubtensor { .. }
        | Op::Gemv { .. }
        | Op::Ger { .. }
        | Op::Dot22
        | Op::CumOp { .. }
        | Op::Sort { .. }
        | Op::ArgSort { .. }
        | Op::Repeat { .. }
        | Op::Nonzero
        | Op::PermuteRowElements
        | Op::AbstractConv2d { .. }
        | Op::Pool { .. }
        | Op::Eye { .. }
        | Op::Tri { .. }
        | Op::ExtractDiag { .. }
        | Op::AllocDiag { .. }
        | Op::BatchedDot
        | Op::SoftmaxWithBias
        | Op::DeepCopy
        | Op::AllocEmpty { .. }
        | Op::IfElse { .. }
        | Op::Custom(_) => default(node, ins),
    }
}
