//! The pattern language of one-line rewrites: an S-expression `lhs => rhs`, parsed once per
//! process (the first time a rule is used; `every_pattern_parses` parses the whole table) and
//! matched against a node.
//!
//! ```text
//! (neg (neg ?x)) => ?x
//! (log (add 1 ?x)) => (log1p! ?x)
//! (sub ?x ?n@(neg ?y)) => (add ?x ?y)
//! (Alloc ?v ?dims..) => ?v
//! ```
//!
//! Left-hand side:
//! - `(op arg...)`: a value computed by output 0 of a node of `op` with exactly these
//!   arguments. `op` is a scalar op's name (`add`, `true_div`, `log1p`, `sigmoid`, ...;
//!   `cast` is any `Cast`, `fill` is `second`): an `Elemwise` of it, in place or not; or an
//!   op class (`Softmax`, `Reshape`, `Alloc`, `DimShuffle`, `Dot`, ...: any parameters).
//!   A last argument `?name..` takes the remaining arguments (any number).
//! - `?x`: any value; a repeated `?x` must be the same value.
//! - `?x@(...)`: the value matched by `(...)`, bound to `x` (for a guard to read).
//! - `?c:const`: a constant whose elements are all equal (through broadcasting
//!   DimShuffles, as [`crate::util::scalar_const`] reads it).
//! - a number (`1`, `0`, `-1`, `2`): such a constant equal to it.
//!
//! No matching is implicit: operands are matched in order (`1 + x` and `x + 1` are two rules),
//! and DimShuffles are looked through only by constants.
//!
//! Right-hand side:
//! - `?x`: the bound value; a number: a 0-d constant of the matched output's dtype;
//! - `(op arg...)`: a new node (`Elemwise` inputs of lower rank are broadcast); `(op! ...)`
//!   computes in the matched output's dtype (its inputs cast to it first, as
//!   [`crate::util::mk_in`]); an op class is built only when it has no parameters
//!   (`LogSoftmax`, `Dot22`, ...);
//! - `(same arg...)`: the matched node's own op (its parameters kept) on new inputs;
//! - `(fneg ?t)`: `-t` as a float: `u` for a float `t = -u`, an integer `t` cast to the
//!   output's float dtype first (`rewrites::float_neg`).
//!
//! The result is fitted to the matched output's type (cast when only the dtype differs); a
//! result of another broadcast pattern does not fire.

use crate::util::{fit, konst, mk, mk_in, scalar_const, Loc};
use std::collections::HashMap;
use std::mem::{discriminant, Discriminant};
use std::sync::{LazyLock, Mutex};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{DType, Op, ScalarOp};

/// The index key of a node's op: its `Op` variant, or for an `Elemwise` its scalar op's
/// variant (any `Cast` dtype, any in-place setting).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum OpKey {
    Op(Discriminant<Op>),
    Scalar(Discriminant<ScalarOp>),
    /// Any custom op (`Op::Custom`).
    Custom,
}

impl OpKey {
    pub fn of(op: &Op) -> OpKey {
        match op {
            Op::Elemwise { scalar, .. } => OpKey::Scalar(discriminant(scalar)),
            Op::Custom(_) => OpKey::Custom,
            _ => OpKey::Op(discriminant(op)),
        }
    }
}

/// Which nodes a rule is tried on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Root {
    /// Every node (`*`).
    Any,
    /// Every `Elemwise` node (`Elemwise`).
    AnyElemwise,
    Key(OpKey),
}

impl Root {
    pub fn admits(self, k: OpKey) -> bool {
        match self {
            Root::Any => true,
            Root::AnyElemwise => matches!(k, OpKey::Scalar(_)),
            Root::Key(r) => r == k,
        }
    }

    /// A root as the table writes it: `*`, `Elemwise`, `Custom` (any custom op), or an op name
    /// of the pattern language.
    pub fn parse(name: &str) -> Option<Root> {
        match name {
            "*" => Some(Root::Any),
            "Elemwise" => Some(Root::AnyElemwise),
            "Custom" => Some(Root::Key(OpKey::Custom)),
            _ => op_by_name(name).map(|(op, _)| Root::Key(OpKey::of(&op))),
        }
    }
}

/// A representative op of `name` (its parameters arbitrary), and whether a right-hand side
/// may build it as is (an `Elemwise`, or an op class without parameters).
fn op_by_name(name: &str) -> Option<(Op, bool)> {
    let scalar = match name {
        "cast" => Some(ScalarOp::Cast(DType::Float64)),
        "fill" => Some(ScalarOp::Second),
        _ => ScalarOp::ALL.iter().find(|s| s.name() == name).cloned(),
    };
    if let Some(s) = scalar {
        return Some((Op::elemwise(s), name != "cast"));
    }
    let op = match name {
        "DimShuffle" => Op::DimShuffle {
            new_order: vec![],
            inplace: false,
        },
        "Dot" => Op::Dot,
        "Dot22" => Op::Dot22,
        "Softmax" => Op::Softmax,
        "LogSoftmax" => Op::LogSoftmax,
        "SoftmaxGrad" => Op::SoftmaxGrad,
        "Shape" => Op::Shape,
        "Shape_i" => Op::ShapeI(0),
        "Reshape" => Op::Reshape { ndim: 0 },
        "Alloc" => Op::Alloc,
        // any custom op matches (they share one key): a guard tells an Assert or a
        // Rebroadcast
        "Assert" => theano_ir::assert_op::op(theano_ir::assert_op::DEFAULT_MSG),
        "Rebroadcast" => theano_ir::rebroadcast::op(&[]),
        "AdvancedSubtensor" => Op::AdvancedSubtensor { idx: vec![] },
        "Subtensor" => Op::Subtensor { idx: vec![] },
        "MaxAndArgmax" => Op::MaxAndArgmax { axes: vec![] },
        "Argmax" => Op::Argmax { axes: vec![] },
        "ProdWithoutZeros" => Op::ProdWithoutZeros { axes: None },
        "Gemv" | "CGemv" => Op::Gemv { inplace: false },
        "Join" => Op::Join { axis: 0 },
        "Reduce" => Op::Reduce {
            kind: theano_ir::ReduceKind::Sum,
            axes: None,
            dtype: None,
        },
        "Gemm" => Op::Gemm { inplace: false },
        "CrossentropySoftmaxArgmax1HotWithBias" => Op::CrossentropySoftmaxArgmax1HotWithBias,
        "CrossentropyCategorical1Hot" => Op::CrossentropyCategorical1Hot,
        "CrossentropyCategorical1HotGrad" => Op::CrossentropyCategorical1HotGrad,
        "SoftmaxWithBias" => Op::SoftmaxWithBias,
        "CrossentropySoftmax1HotWithBiasDx" => Op::CrossentropySoftmax1HotWithBiasDx,
        _ => return None,
    };
    let buildable = matches!(
        op,
        Op::Dot
            | Op::Dot22
            | Op::Softmax
            | Op::LogSoftmax
            | Op::Shape
            | Op::Alloc
            | Op::CrossentropySoftmax1HotWithBiasDx
            | Op::CrossentropySoftmaxArgmax1HotWithBias
    );
    Some((op, buildable))
}

/// A left-hand side term.
#[derive(Debug)]
enum Lhs {
    Var(&'static str),
    Const(&'static str),
    Num(f64),
    Bind(&'static str, Box<Lhs>),
    Node {
        key: OpKey,
        args: Vec<Lhs>,
        rest: Option<&'static str>,
    },
}

/// A right-hand side term.
#[derive(Debug)]
enum Rhs {
    Var(&'static str),
    Num(f64),
    FNeg(Box<Rhs>),
    /// The matched root's op on these inputs.
    Same(Vec<Rhs>),
    Node {
        op: Op,
        in_out_dtype: bool,
        args: Vec<Rhs>,
        /// The output it reads (`Op.k`; 0 for single-output ops).
        output: usize,
    },
}

/// A parsed `lhs => rhs`.
#[derive(Debug)]
pub struct Pattern {
    lhs: Lhs,
    rhs: Rhs,
    root: OpKey,
}

/// What a left-hand side bound: the matched node and output, and the variables.
#[derive(Debug)]
pub struct Match {
    pub node: Node,
    pub out: Value,
    vars: Vec<(&'static str, Value)>,
    rests: Vec<(&'static str, Vec<Value>)>,
}

impl Match {
    /// The value bound to `?name`.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
    /// The values bound to `?name..`.
    pub fn rest(&self, name: &str) -> &[Value] {
        self.rests
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[], |(_, v)| v)
    }
}

impl std::ops::Index<&str> for Match {
    type Output = Value;
    fn index(&self, name: &str) -> &Value {
        &self
            .vars
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no pattern variable ?{name}"))
            .1
    }
}

/// A guard: the rule fires only when it returns true for the match.
pub type Guard = fn(&FunctionGraph, &Match) -> bool;

// ---------------------------------------------------------------------------------------------
// Parsing

struct Parser {
    src: &'static str,
    pos: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pattern {src:?}, at byte {pos}: {msg}")]
pub struct ParseError {
    pub src: &'static str,
    pub pos: usize,
    pub msg: String,
}

impl Parser {
    fn err<T>(&self, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            src: self.src,
            pos: self.pos,
            msg: msg.into(),
        })
    }
    fn ws(&mut self) {
        while self.src[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }
    fn eat(&mut self, s: &str) -> bool {
        self.ws();
        if self.src[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }
    /// A run of name characters (letters, digits, `_`, `.`, `-`, `+`).
    fn word(&mut self) -> &'static str {
        self.ws();
        let start = self.pos;
        let rest = &self.src[start..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || "_.-+".contains(c)))
            .unwrap_or(rest.len());
        self.pos += len;
        &self.src[start..start + len]
    }
    fn var_name(&mut self) -> Result<&'static str, ParseError> {
        let start = self.pos;
        let rest = &self.src[start..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return self.err("a variable name after `?`");
        }
        self.pos += len;
        Ok(&self.src[start..start + len])
    }

    fn lhs(&mut self, vars: &mut Vec<&'static str>) -> Result<Lhs, ParseError> {
        if self.eat("(") {
            let name = self.word();
            let Some((op, _)) = op_by_name(name) else {
                return self.err(format!("unknown op {name:?}"));
            };
            let mut args = Vec::new();
            let mut rest = None;
            while !self.eat(")") {
                if self.pos >= self.src.len() {
                    return self.err("unclosed `(`");
                }
                if rest.is_some() {
                    return self.err("`?name..` must be the last argument");
                }
                let save = self.pos;
                if self.eat("?") {
                    let v = self.var_name()?;
                    if self.src[self.pos..].starts_with("..") {
                        self.pos += 2;
                        rest = Some(v);
                        continue;
                    }
                    self.pos = save;
                }
                args.push(self.lhs(vars)?);
            }
            return Ok(Lhs::Node {
                key: OpKey::of(&op),
                args,
                rest,
            });
        }
        if self.eat("?") {
            let v = self.var_name()?;
            vars.push(v);
            if self.src[self.pos..].starts_with(":const") {
                self.pos += ":const".len();
                return Ok(Lhs::Const(v));
            }
            if self.src[self.pos..].starts_with('@') {
                self.pos += 1;
                let inner = self.lhs(vars)?;
                return Ok(Lhs::Bind(v, Box::new(inner)));
            }
            return Ok(Lhs::Var(v));
        }
        let w = self.word();
        match w.parse::<f64>() {
            Ok(x) => Ok(Lhs::Num(x)),
            Err(_) => self.err(format!("expected `(`, `?var` or a number, found {w:?}")),
        }
    }

    fn rhs(&mut self, vars: &[&'static str]) -> Result<Rhs, ParseError> {
        if self.eat("(") {
            let mut name = self.word();
            let in_out_dtype = self.src[self.pos..].starts_with('!');
            if in_out_dtype {
                self.pos += 1;
            }
            let mut args = Vec::new();
            while !self.eat(")") {
                if self.pos >= self.src.len() {
                    return self.err("unclosed `(`");
                }
                args.push(self.rhs(vars)?);
            }
            if name == "fneg" {
                if args.len() != 1 || in_out_dtype {
                    return self.err("`fneg` takes one argument");
                }
                return Ok(Rhs::FNeg(Box::new(args.remove(0))));
            }
            if name == "same" {
                if in_out_dtype {
                    return self.err("`same` keeps the op's own dtype");
                }
                return Ok(Rhs::Same(args));
            }
            if name == "fill" {
                name = "second";
            }
            // `Op.k`: output k of a multi-output op
            let mut output = None;
            if let Some((n, k)) = name.rsplit_once('.') {
                if let Ok(k) = k.parse::<usize>() {
                    name = n;
                    output = Some(k);
                }
            }
            let Some((op, true)) = op_by_name(name) else {
                return self.err(format!("{name:?} cannot be built by a pattern"));
            };
            if in_out_dtype && !matches!(op, Op::Elemwise { .. }) {
                return self.err("`!` is for elementwise ops");
            }
            let n_out = op.n_outputs();
            let output = match output {
                None if n_out > 1 => {
                    return self.err(format!("{name} has {n_out} outputs: name one, `{name}.0`"))
                }
                Some(k) if k >= n_out => {
                    return self.err(format!("{name} has no output {k}"));
                }
                k => k.unwrap_or(0),
            };
            return Ok(Rhs::Node {
                op,
                in_out_dtype,
                args,
                output,
            });
        }
        if self.eat("?") {
            let v = self.var_name()?;
            if !vars.contains(&v) {
                return self.err(format!("?{v} is not bound by the left-hand side"));
            }
            return Ok(Rhs::Var(v));
        }
        let w = self.word();
        match w.parse::<f64>() {
            Ok(x) => Ok(Rhs::Num(x)),
            Err(_) => self.err(format!("expected `(`, `?var` or a number, found {w:?}")),
        }
    }
}

impl Pattern {
    /// Parse `lhs => rhs`; the left-hand side must be a node.
    pub fn parse(src: &'static str) -> Result<Pattern, ParseError> {
        let mut p = Parser { src, pos: 0 };
        let mut vars = Vec::new();
        let lhs = p.lhs(&mut vars)?;
        let Lhs::Node { key: root, .. } = lhs else {
            return p.err("the left-hand side must be `(op ...)`");
        };
        if !p.eat("=>") {
            return p.err("expected `=>`");
        }
        let rhs = p.rhs(&vars)?;
        p.ws();
        if p.pos != src.len() {
            return p.err("trailing text");
        }
        Ok(Pattern { lhs, rhs, root })
    }

    /// The op key of the left-hand side's root.
    pub fn root(&self) -> OpKey {
        self.root
    }

    /// Match the left-hand side at node `n` (output 0).
    pub fn matches(&self, fg: &FunctionGraph, n: Node) -> Option<Match> {
        let out = *fg.node_outputs(n).first()?;
        let mut m = Match {
            node: n,
            out,
            vars: Vec::new(),
            rests: Vec::new(),
        };
        match_node(fg, &self.lhs, n, &mut m).then_some(m)
    }

    /// Build the right-hand side for `m`, fitted to the matched output's type.
    pub fn build(&self, fg: &mut FunctionGraph, m: &Match) -> Option<Value> {
        let want = fg.ty(m.out);
        let loc = fg.location(m.node);
        let r = build(fg, &self.rhs, m, want.dtype, loc)?;
        fit(fg, r, want, loc)
    }
}

fn match_node(fg: &FunctionGraph, p: &Lhs, n: Node, m: &mut Match) -> bool {
    let Lhs::Node { key, args, rest } = p else {
        return false;
    };
    if OpKey::of(fg.op(n)) != *key {
        return false;
    }
    let ins = fg.node_inputs(n);
    let fixed = args.len();
    if ins.len() < fixed || (rest.is_none() && ins.len() != fixed) {
        return false;
    }
    let ins = ins.to_vec();
    if !args
        .iter()
        .zip(&ins)
        .all(|(a, &v)| match_value(fg, a, v, m))
    {
        return false;
    }
    if let Some(r) = rest {
        m.rests.push((r, ins[fixed..].to_vec()));
    }
    true
}

fn bind(m: &mut Match, name: &'static str, v: Value) -> bool {
    match m.get(name) {
        Some(w) => w == v,
        None => {
            m.vars.push((name, v));
            true
        }
    }
}

fn match_value(fg: &FunctionGraph, p: &Lhs, v: Value, m: &mut Match) -> bool {
    match p {
        Lhs::Var(x) => bind(m, x, v),
        Lhs::Const(x) => scalar_const(fg, v).is_some() && bind(m, x, v),
        Lhs::Num(c) => scalar_const(fg, v) == Some(*c),
        Lhs::Bind(x, inner) => match_value(fg, inner, v, m) && bind(m, x, v),
        Lhs::Node { .. } => match fg.def(v) {
            ValueDef::Output { node, index: 0 } => match_node(fg, p, node, m),
            _ => false,
        },
    }
}

fn build(fg: &mut FunctionGraph, r: &Rhs, m: &Match, dtype: DType, loc: Loc) -> Option<Value> {
    match r {
        Rhs::Var(x) => m.get(x),
        Rhs::Num(c) => Some(konst(fg, *c, dtype)),
        Rhs::FNeg(t) => {
            let t = build(fg, t, m, dtype, loc)?;
            crate::rewrites::float_neg(fg, t, dtype, loc)
        }
        Rhs::Same(args) => {
            let mut ins = Vec::with_capacity(args.len());
            for a in args {
                ins.push(build(fg, a, m, dtype, loc)?);
            }
            let op = fg.op(m.node).clone();
            fg.add_node1(op, &ins, loc).ok()
        }
        Rhs::Node {
            op,
            in_out_dtype,
            args,
            output,
        } => {
            let mut ins = Vec::with_capacity(args.len());
            for a in args {
                ins.push(build(fg, a, m, dtype, loc)?);
            }
            match op {
                Op::Elemwise { scalar, .. } if *in_out_dtype => {
                    let want = fg.ty(m.out);
                    mk_in(fg, scalar.clone(), &ins, want, loc)
                }
                Op::Elemwise { scalar, .. } => mk(fg, scalar.clone(), &ins, loc),
                _ if op.n_outputs() > 1 => {
                    let n = fg.add_node(op.clone(), &ins, loc).ok()?;
                    fg.node_outputs(n).get(*output).copied()
                }
                _ => fg.add_node1(op.clone(), &ins, loc).ok(),
            }
        }
    }
}

/// The parsed pattern of `src`, parsed once per process.
///
/// # Panics
/// On a pattern that does not parse (`every_pattern_parses` checks the table's).
pub fn compiled(src: &'static str) -> &'static Pattern {
    static CACHE: LazyLock<Mutex<HashMap<&'static str, &'static Pattern>>> =
        LazyLock::new(Default::default);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(src).or_insert_with(|| {
        let p = Pattern::parse(src).unwrap_or_else(|e| panic!("{e}"));
        Box::leak(Box::new(p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_are_reported() {
        for (src, want) in [
            ("(neg (neg ?x)) => ?y", "not bound"),
            ("(nope ?x) => ?x", "unknown op"),
            ("?x => ?x", "must be `(op ...)`"),
            ("(neg ?x) ?x", "expected `=>`"),
            ("(neg ?x => ?x", "expected"),
            ("(neg ?x) => (Reshape ?x)", "cannot be built"),
            ("(Reshape ?x ?s) => (same! ?x ?s)", "own dtype"),
            (
                "(neg ?x) => (CrossentropySoftmaxArgmax1HotWithBias ?x ?x ?x)",
                "name one",
            ),
            (
                "(neg ?x) => (CrossentropySoftmaxArgmax1HotWithBias.3 ?x ?x ?x)",
                "no output 3",
            ),
            ("(add ?r.. ?x) => ?x", "last argument"),
            ("(neg ?x) => ?x )", "trailing"),
        ] {
            let e = Pattern::parse(src).unwrap_err();
            assert!(e.to_string().contains(want), "{src}: {e}");
        }
    }
}
