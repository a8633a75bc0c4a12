//! `Composite`: a small scalar DAG, the body of a fused elementwise loop (Theano's
//! `theano.scalar.Composite`).
//!
//! A composite has `n_inputs` inputs (`i0`, `i1`, ...) and a list of instructions, each a
//! [`ScalarOp`] applied to earlier results or to inputs; the last instruction is the output.
//! It is dtype-polymorphic: each instruction computes in the dtype its scalar op gives for its
//! operands' dtypes, exactly as the unfused `Elemwise` nodes would, so the composite's output
//! dtype is the composition of the ops' `out_dtype` rules and fused results equal unfused ones.
//!
//! Invariants (enforced by [`Composite::new`], so structural equality is semantic equality):
//! - **operands refer only to inputs `< n_inputs` or to earlier instructions;**
//! - **every input is used and every instruction contributes to the output;**
//! - **instructions are in canonical order** (post-order of a left-to-right walk from the
//!   output) **and hash-consed** (no two instructions apply the same op to the same operands);
//! - **no instruction is itself a composite** (nested composites are inlined).
//!
//! Display is Theano's: `Composite{((i0 * i1) + exp(i2))}`, the output's expression with the
//! operators `+ - * / // **` infix and parenthesized, `-x` as `(-i0)`, casts as
//! `Cast{float32}(i0)` and every other op as `name(args)` with Theano's name for it
//! ([`ScalarOp::composite_name`]: `exp`, `LT`, `Switch`). [`Composite::parse`] reads
//! that form back; a shared sub-expression prints once per use and is merged again on parsing.

use crate::scalar::ScalarOp;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};
use theano_tensor::DType;

/// Where an instruction's operand comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Operand {
    /// the composite's input `i`
    Input(usize),
    /// the result of instruction `k`
    Temp(usize),
}

/// One instruction: `op(args...)`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Instr {
    pub op: ScalarOp,
    pub args: Vec<Operand>,
}

/// A scalar DAG with one output: see the module documentation.
#[derive(Clone)]
pub struct Composite {
    n_inputs: usize,
    instrs: Vec<Instr>,
    /// The last [`Composite::out_dtype`] answer: (input dtypes, output dtype). Not part of
    /// equality or hashing. It makes the output dtype of a nested composite
    /// ([`Composite::nested`]) cost its own instructions only: each nested level was asked
    /// for the same input dtypes when its node was built.
    out_memo: OnceLock<(Vec<DType>, DType)>,
}

impl PartialEq for Composite {
    fn eq(&self, other: &Composite) -> bool {
        self.n_inputs == other.n_inputs && self.instrs == other.instrs
    }
}

impl Eq for Composite {}

impl Hash for Composite {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.n_inputs.hash(state);
        self.instrs.hash(state);
    }
}

impl fmt::Debug for Composite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Composite")
            .field("n_inputs", &self.n_inputs)
            .field("instrs", &self.instrs)
            .finish()
    }
}

/// Nested composites ([`Composite::nested`]) are freed level by level, not recursively: a
/// fused chain of n nodes nests n deep.
impl Drop for Composite {
    fn drop(&mut self) {
        let mut stack: Vec<Arc<Composite>> = Vec::new();
        take_nested(&mut self.instrs, &mut stack);
        while let Some(c) = stack.pop() {
            if let Some(mut c) = Arc::into_inner(c) {
                take_nested(&mut c.instrs, &mut stack);
            }
        }
    }
}

fn take_nested(instrs: &mut Vec<Instr>, stack: &mut Vec<Arc<Composite>>) {
    if instrs
        .iter()
        .any(|i| matches!(i.op, ScalarOp::Composite(_)))
    {
        for ins in instrs.drain(..) {
            if let ScalarOp::Composite(c) = ins.op {
                stack.push(c);
            }
        }
    }
}

impl Composite {
    /// A composite computing the last of `instrs` from `n_inputs` inputs, normalized to the
    /// canonical form; refused when an operand is out of range or refers forward, an arity is
    /// wrong, or an input is unused.
    pub fn new(n_inputs: usize, instrs: Vec<Instr>) -> Result<Composite, String> {
        validate(n_inputs, &instrs)?;
        if instrs
            .iter()
            .any(|i| matches!(&i.op, ScalarOp::Composite(c) if c.is_nested()))
        {
            // inline every level at once
            return Composite::nested(n_inputs, instrs)?.flattened();
        }
        // Rebuild from the output: post-order, hash-consed, composites inlined.
        let mut b = Builder::default();
        let mut done: Vec<Option<Operand>> = vec![None; instrs.len()];
        let out = b.walk(&instrs, instrs.len() - 1, &mut done);
        let c = Composite {
            n_inputs,
            instrs: b.finish(out),
            out_memo: OnceLock::new(),
        };
        check_inputs_used(n_inputs, &c.instrs)?;
        Ok(c)
    }

    /// A composite whose instructions may be composites themselves, kept as they are: not
    /// inlined, not canonical (equal only to the same nesting). Elementwise fusion grows a
    /// chain one node at a time, each step absorbing the previous step's composite; inlining
    /// it at every step cost a chain of n nodes n^2 / 2 instruction copies, nesting costs one
    /// instruction per absorbed node. [`Composite::flattened`] gives the canonical form, the
    /// one [`Composite::new`] builds from the same instructions; the optimizer flattens every
    /// nested composite at the end of its fusion phase, so none reaches a backend. Refused
    /// as [`Composite::new`] refuses.
    pub fn nested(n_inputs: usize, instrs: Vec<Instr>) -> Result<Composite, String> {
        validate(n_inputs, &instrs)?;
        check_inputs_used(n_inputs, &instrs)?;
        Ok(Composite {
            n_inputs,
            instrs,
            out_memo: OnceLock::new(),
        })
    }

    /// Whether an instruction is itself a composite (built by [`Composite::nested`]).
    pub fn is_nested(&self) -> bool {
        self.instrs
            .iter()
            .any(|i| matches!(i.op, ScalarOp::Composite(_)))
    }

    /// The canonical form: every nested composite inlined, at any depth (iteratively), then
    /// normalized as [`Composite::new`] does. A composite that nests nothing is returned as
    /// it is (a clone). Cost: the instructions of every level. Refused when an input is read
    /// only by instructions the output does not need.
    pub fn flattened(&self) -> Result<Composite, String> {
        if !self.is_nested() {
            return Ok(self.clone());
        }
        struct Frame<'a> {
            instrs: &'a [Instr],
            args: Vec<Operand>,
            map: Vec<Operand>,
        }
        let mut flat: Vec<Instr> = Vec::new();
        let mut stack = vec![Frame {
            instrs: &self.instrs,
            args: (0..self.n_inputs).map(Operand::Input).collect(),
            map: Vec::with_capacity(self.instrs.len()),
        }];
        while let Some(f) = stack.last_mut() {
            let instrs = f.instrs;
            let k = f.map.len();
            if k == instrs.len() {
                let r = *f.map.last().expect("a composite has instructions");
                stack.pop();
                if let Some(parent) = stack.last_mut() {
                    parent.map.push(r);
                }
                continue;
            }
            let ins = &instrs[k];
            let args: Vec<Operand> = ins
                .args
                .iter()
                .map(|a| match *a {
                    Operand::Input(i) => f.args[i],
                    Operand::Temp(t) => f.map[t],
                })
                .collect();
            match &ins.op {
                ScalarOp::Composite(c) => stack.push(Frame {
                    instrs: &c.instrs,
                    args,
                    map: Vec::with_capacity(c.instrs.len()),
                }),
                op => {
                    flat.push(Instr {
                        op: op.clone(),
                        args,
                    });
                    f.map.push(Operand::Temp(flat.len() - 1));
                }
            }
        }
        Composite::new(self.n_inputs, flat)
    }

    /// `op(i0, i1, ...)` over fresh inputs: the composite of a single scalar op.
    pub fn of_op(op: ScalarOp, n_inputs: usize) -> Result<Composite, String> {
        let args = (0..n_inputs).map(Operand::Input).collect();
        Composite::new(n_inputs, vec![Instr { op, args }])
    }

    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    /// The instructions; the last is the output.
    pub fn instrs(&self) -> &[Instr] {
        &self.instrs
    }

    /// The dtype of every instruction's result for these input dtypes (the last is the
    /// output's), or why they are refused.
    pub fn dtypes(&self, ins: &[DType]) -> Result<Vec<DType>, String> {
        if ins.len() != self.n_inputs {
            return Err(format!(
                "the composite takes {} inputs, got {}",
                self.n_inputs,
                ins.len()
            ));
        }
        let mut out: Vec<DType> = Vec::with_capacity(self.instrs.len());
        for ins_k in &self.instrs {
            let ds: Vec<DType> = ins_k
                .args
                .iter()
                .map(|a| match *a {
                    Operand::Input(i) => ins[i],
                    Operand::Temp(t) => out[t],
                })
                .collect();
            out.push(ins_k.op.out_dtype(&ds)?);
        }
        Ok(out)
    }

    /// The output dtype for these input dtypes (the last answer is remembered).
    pub fn out_dtype(&self, ins: &[DType]) -> Result<DType, String> {
        if let Some((memo_ins, d)) = self.out_memo.get() {
            if memo_ins.as_slice() == ins {
                return Ok(*d);
            }
        }
        let d = *self.dtypes(ins)?.last().expect("non-empty");
        // a composite asked for other dtypes keeps its first answer
        let _ = self.out_memo.set((ins.to_vec(), d));
        Ok(d)
    }

    /// Parse the display form `Composite{...}` (or just the expression inside the braces).
    pub fn parse(s: &str) -> Result<Composite, String> {
        let s = s.trim();
        let body = match s.strip_prefix("Composite{") {
            Some(r) => r
                .strip_suffix('}')
                .ok_or_else(|| format!("expected `}}` at the end of `{s}`"))?,
            None => s,
        };
        let mut p = ExprParser {
            s: body,
            pos: 0,
            instrs: Vec::new(),
            max_input: None,
        };
        let out = p.expr()?;
        p.ws();
        if p.pos != p.s.len() {
            return Err(p.err("unexpected text after the expression"));
        }
        let n_inputs = p.max_input.map_or(0, |m| m + 1);
        let mut instrs = p.instrs;
        if let Operand::Input(i) = out {
            // a bare input: the identity of it
            instrs.push(Instr {
                op: ScalarOp::Identity,
                args: vec![Operand::Input(i)],
            });
        }
        Composite::new(n_inputs, instrs)
    }

    /// Write instruction `root`'s expression; iterative (an explicit stack of what is left to
    /// write), so a composite of a long chain prints without deep recursion.
    fn write_instr(&self, f: &mut fmt::Formatter<'_>, root: usize) -> fmt::Result {
        enum Item {
            Operand(Operand),
            Text(&'static str),
            Name(String),
        }
        let mut stack = vec![Item::Operand(Operand::Temp(root))];
        while let Some(item) = stack.pop() {
            let k = match item {
                Item::Text(t) => {
                    f.write_str(t)?;
                    continue;
                }
                Item::Name(t) => {
                    f.write_str(&t)?;
                    continue;
                }
                Item::Operand(Operand::Input(i)) => {
                    write!(f, "i{i}")?;
                    continue;
                }
                Item::Operand(Operand::Temp(k)) => k,
            };
            // pushed in reverse: the last pushed is written first
            let ins = &self.instrs[k];
            stack.push(Item::Text(")"));
            if let Some(sym) = infix(&ins.op) {
                if ins.args.len() == 1 {
                    stack.push(Item::Operand(ins.args[0]));
                    stack.push(Item::Text(sym));
                } else {
                    for (j, a) in ins.args.iter().enumerate().rev() {
                        stack.push(Item::Operand(*a));
                        if j > 0 {
                            stack.push(Item::Text(" "));
                            stack.push(Item::Text(sym));
                            stack.push(Item::Text(" "));
                        }
                    }
                }
                stack.push(Item::Text("("));
            } else {
                for (j, a) in ins.args.iter().enumerate().rev() {
                    stack.push(Item::Operand(*a));
                    if j > 0 {
                        stack.push(Item::Text(", "));
                    }
                }
                stack.push(Item::Text("("));
                stack.push(Item::Name(fn_name(&ins.op)));
            }
        }
        Ok(())
    }
}

/// A nested composite ([`Composite::nested`]) prints as its flattened form.
impl fmt::Display for Composite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_nested() {
            if let Ok(c) = self.flattened() {
                return c.fmt(f);
            }
        }
        f.write_str("Composite{")?;
        self.write_instr(f, self.instrs.len() - 1)?;
        f.write_str("}")
    }
}

/// The checks of [`Composite::new`] that need no rebuilding: at least one instruction, arities,
/// operands in range and referring backwards.
fn validate(n_inputs: usize, instrs: &[Instr]) -> Result<(), String> {
    if instrs.is_empty() {
        return Err("a composite needs at least one instruction".into());
    }
    for (k, ins) in instrs.iter().enumerate() {
        let ok = if ins.op.is_variadic() {
            !ins.args.is_empty()
        } else {
            ins.args.len() == ins.op.arity()
        };
        if !ok {
            return Err(format!(
                "instruction {k}: {} takes {} inputs, got {}",
                ins.op.name(),
                ins.op.arity(),
                ins.args.len()
            ));
        }
        for a in &ins.args {
            match *a {
                Operand::Input(i) if i >= n_inputs => {
                    return Err(format!(
                        "instruction {k}: input i{i} out of range ({n_inputs} inputs)"
                    ))
                }
                Operand::Temp(t) if t >= k => {
                    return Err(format!(
                        "instruction {k}: operand t{t} is not an earlier instruction"
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Every input is read by an instruction.
fn check_inputs_used(n_inputs: usize, instrs: &[Instr]) -> Result<(), String> {
    // The inputs used, sorted: the first gap is the first unused input. (Not a
    // `vec![false; n_inputs]`: `n_inputs` comes from the user, `i99999999999` in a parsed
    // composite, and must not size an allocation.)
    let mut used: Vec<usize> = instrs
        .iter()
        .flat_map(|ins| ins.args.iter())
        .filter_map(|a| match *a {
            Operand::Input(i) => Some(i),
            Operand::Temp(_) => None,
        })
        .collect();
    used.sort_unstable();
    used.dedup();
    match (0..n_inputs)
        .zip(used.iter().chain(std::iter::repeat(&usize::MAX)))
        .find(|(i, u)| i != *u)
    {
        Some((i, _)) => Err(format!("input i{i} is not used")),
        None => Ok(()),
    }
}

/// The infix operators of Theano's scalar pretty printer.
fn infix(op: &ScalarOp) -> Option<&'static str> {
    use ScalarOp::*;
    Some(match op {
        Add => "+",
        Sub | Neg => "-",
        Mul => "*",
        TrueDiv => "/",
        IntDiv => "//",
        Pow => "**",
        _ => return None,
    })
}

/// The function-style name: Theano's Composite printer's (`exp`, `LT`, `Cast{float32}`).
fn fn_name(op: &ScalarOp) -> String {
    op.composite_name()
}

/// Read a function-style name back: [`fn_name`]'s, the scalar op's own name, or the older
/// `convert_to_float32` form of a cast.
fn op_of_fn_name(name: &str) -> Option<ScalarOp> {
    if let Some(d) = name.strip_prefix("convert_to_") {
        return DType::from_name(d).map(ScalarOp::Cast);
    }
    match ScalarOp::from_name(name)? {
        ScalarOp::Composite(_) => None,
        op if infix(&op).is_some() => None,
        op => Some(op),
    }
}

/// Hash-consing rebuild in canonical order.
#[derive(Default)]
struct Builder {
    instrs: Vec<Instr>,
    index: HashMap<Instr, usize>,
}

impl Builder {
    fn push(&mut self, ins: Instr) -> Operand {
        if let Some(&k) = self.index.get(&ins) {
            return Operand::Temp(k);
        }
        let k = self.instrs.len();
        self.index.insert(ins.clone(), k);
        self.instrs.push(ins);
        Operand::Temp(k)
    }

    /// Rebuild instruction `k` of `src` (and its operands first); iterative, so deep chains
    /// do not overflow the stack.
    fn walk(&mut self, src: &[Instr], k: usize, done: &mut [Option<Operand>]) -> Operand {
        let mut stack: Vec<(usize, usize)> = vec![(k, 0)];
        while let Some((j, next)) = stack.pop() {
            if done[j].is_some() {
                continue;
            }
            let args = &src[j].args;
            if let Some(pos) = (next..args.len())
                .find(|&p| matches!(args[p], Operand::Temp(t) if done[t].is_none()))
            {
                let Operand::Temp(t) = args[pos] else {
                    unreachable!()
                };
                stack.push((j, pos + 1));
                stack.push((t, 0));
                continue;
            }
            let mapped: Vec<Operand> = args
                .iter()
                .map(|a| match *a {
                    Operand::Input(i) => Operand::Input(i),
                    Operand::Temp(t) => done[t].expect("operand rebuilt first"),
                })
                .collect();
            let r = match &src[j].op {
                ScalarOp::Composite(c) => {
                    // inline the (canonical) inner composite through the hash-consing table
                    let mut map: Vec<Operand> = Vec::with_capacity(c.instrs.len());
                    for ins in &c.instrs {
                        let args = ins
                            .args
                            .iter()
                            .map(|a| match *a {
                                Operand::Input(i) => mapped[i],
                                Operand::Temp(t) => map[t],
                            })
                            .collect();
                        let r = self.push(Instr {
                            op: ins.op.clone(),
                            args,
                        });
                        map.push(r);
                    }
                    *map.last().expect("a composite has instructions")
                }
                op => self.push(Instr {
                    op: op.clone(),
                    args: mapped,
                }),
            };
            done[j] = Some(r);
        }
        done[k].expect("rebuilt")
    }

    /// Keep only the instructions the output needs, renumbered in post-order.
    fn finish(self, out: Operand) -> Vec<Instr> {
        let Operand::Temp(root) = out else {
            unreachable!("an instruction's result")
        };
        let src = self.instrs;
        let mut b = Builder::default();
        let mut done = vec![None; src.len()];
        // `src` is already hash-consed; a second walk from the root renumbers in post-order
        // and drops what the root does not reach.
        b.walk(&src, root, &mut done);
        b.instrs
    }
}

struct ExprParser<'a> {
    s: &'a str,
    pos: usize,
    instrs: Vec<Instr>,
    max_input: Option<usize>,
}

impl ExprParser<'_> {
    fn err(&self, m: &str) -> String {
        format!("{m} at offset {} of composite `{}`", self.pos, self.s)
    }
    fn ws(&mut self) {
        let r = &self.s[self.pos..];
        self.pos += r.len() - r.trim_start().len();
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> &str {
        self.ws();
        let r = &self.s[self.pos..];
        let mut n = r
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        // `Cast{float64}`: a parameterised name
        if &r[..n] == "Cast" && r[n..].starts_with('{') {
            if let Some(close) = r[n..].find('}') {
                n += close + 1;
            }
        }
        self.pos += n;
        &r[..n]
    }
    fn push(&mut self, op: ScalarOp, args: Vec<Operand>) -> Operand {
        self.instrs.push(Instr { op, args });
        Operand::Temp(self.instrs.len() - 1)
    }

    /// The binary operator at the cursor, longest match first.
    fn operator(&mut self) -> Option<ScalarOp> {
        for (tok, op) in [
            ("**", ScalarOp::Pow),
            ("//", ScalarOp::IntDiv),
            ("+", ScalarOp::Add),
            ("-", ScalarOp::Sub),
            ("*", ScalarOp::Mul),
            ("/", ScalarOp::TrueDiv),
        ] {
            if self.eat(tok) {
                return Some(op);
            }
        }
        None
    }

    /// One expression. Iterative: each open parenthesis is a frame on an explicit stack, so
    /// text nested 100,000 deep parses without overflowing the thread's stack.
    fn expr(&mut self) -> Result<Operand, String> {
        enum Frame {
            /// `(-` read: the operand, then `)`
            Neg,
            /// `(` read: operands separated by one operator, then `)`
            Paren {
                op: Option<ScalarOp>,
                args: Vec<Operand>,
            },
            /// `name(` read: arguments separated by `,`, then `)`
            Call { op: ScalarOp, args: Vec<Operand> },
        }
        let mut stack: Vec<Frame> = Vec::new();
        'start: loop {
            // The start of an expression: a value, or a frame to fill.
            let mut v = if self.eat("(") {
                if self.eat("-") {
                    stack.push(Frame::Neg);
                } else {
                    stack.push(Frame::Paren {
                        op: None,
                        args: Vec::new(),
                    });
                }
                continue 'start;
            } else {
                let start = self.pos;
                let w = self.word().to_string();
                if w.is_empty() {
                    return Err(self.err("expected an expression"));
                }
                let input = w.strip_prefix('i').and_then(|d| d.parse::<usize>().ok());
                match input {
                    Some(i) if !self.s[self.pos..].trim_start().starts_with('(') => {
                        if i == usize::MAX {
                            self.pos = start;
                            return Err(self.err(&format!("input index `{w}` is too large")));
                        }
                        self.max_input = Some(self.max_input.map_or(i, |m| m.max(i)));
                        Operand::Input(i)
                    }
                    _ => {
                        let Some(op) = op_of_fn_name(&w) else {
                            self.pos = start;
                            return Err(self.err(&format!("unknown scalar op `{w}`")));
                        };
                        if !self.eat("(") {
                            return Err(self.err(&format!("expected `(` after `{w}`")));
                        }
                        if !self.eat(")") {
                            stack.push(Frame::Call {
                                op,
                                args: Vec::new(),
                            });
                            continue 'start;
                        }
                        self.push(op, Vec::new())
                    }
                }
            };
            // Hand the value to the innermost open frame, closing frames as they complete.
            loop {
                match stack.last_mut() {
                    None => return Ok(v),
                    Some(Frame::Neg) => {
                        if !self.eat(")") {
                            return Err(self.err("expected `)` after a negation"));
                        }
                        stack.pop();
                        v = self.push(ScalarOp::Neg, vec![v]);
                    }
                    Some(Frame::Paren { op, args }) => {
                        args.push(v);
                        let Some(cur) = op.clone() else {
                            let Some(o) = self.operator() else {
                                return Err(self.err("expected an operator (+ - * / // **)"));
                            };
                            *op = Some(o);
                            continue 'start;
                        };
                        if self.eat(")") {
                            let args = std::mem::take(args);
                            stack.pop();
                            v = self.push(cur, args);
                            continue;
                        }
                        match self.operator() {
                            Some(o) if o == cur && cur.is_variadic() => continue 'start,
                            Some(_) => {
                                return Err(self.err(
                                    "mixed or repeated non-associative operators need parentheses",
                                ))
                            }
                            None => return Err(self.err("expected an operator or `)`")),
                        }
                    }
                    Some(Frame::Call { args, .. }) => {
                        args.push(v);
                        if self.eat(")") {
                            let Some(Frame::Call { op, args }) = stack.pop() else {
                                unreachable!("the frame just matched")
                            };
                            v = self.push(op, args);
                        } else if self.eat(",") {
                            continue 'start;
                        } else {
                            return Err(self.err("expected `,` or `)`"));
                        }
                    }
                }
            }
        }
    }
}

impl ScalarOp {
    /// `Composite(c)` wrapped in its `Arc`.
    pub fn composite(c: Composite) -> ScalarOp {
        ScalarOp::Composite(Arc::new(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;
    use Operand::*;

    fn i(op: ScalarOp, args: Vec<Operand>) -> Instr {
        Instr { op, args }
    }

    #[test]
    fn display_and_parse() {
        // (i0 * i1) + exp(i2)
        let c = Composite::new(
            3,
            vec![
                i(ScalarOp::Mul, vec![Input(0), Input(1)]),
                i(ScalarOp::Exp, vec![Input(2)]),
                i(ScalarOp::Add, vec![Temp(0), Temp(1)]),
            ],
        )
        .unwrap();
        assert_eq!(c.to_string(), "Composite{((i0 * i1) + exp(i2))}");
        assert_eq!(Composite::parse(&c.to_string()).unwrap(), c);
        for s in [
            "Composite{(-(i0 ** i1))}",
            "Composite{(i0 + i1 + (i2 // i0))}",
            "Composite{Switch(GT(i0, i1), Cast{float32}(i2), (i1 - i0))}",
            "Composite{Abs((i0 / (i1 * i1 * i0)))}",
            "Composite{identity(i0)}",
            "Composite{scalar_sigmoid(sqr(i0))}",
        ] {
            let c = Composite::parse(s).unwrap();
            assert_eq!(c.to_string(), s);
        }
        // the scalar ops' own names (and the older cast form) parse to the same composites
        for (old, theano) in [
            (
                "Composite{switch(gt(i0, i1), convert_to_float32(i2), (i1 - i0))}",
                "Composite{Switch(GT(i0, i1), Cast{float32}(i2), (i1 - i0))}",
            ),
            (
                "Composite{sigmoid(abs_(i0))}",
                "Composite{scalar_sigmoid(Abs(i0))}",
            ),
        ] {
            assert_eq!(Composite::parse(old).unwrap().to_string(), theano);
        }
    }

    #[test]
    fn parse_errors() {
        for s in [
            "Composite{(i0 - i1 - i2)}",
            "Composite{(i0 + i1 * i2)}",
            "Composite{foo(i0)}",
            "Composite{exp(i1)}",
            "Composite{(i0 + i1}",
            "Composite{exp(i0) i1}",
        ] {
            assert!(Composite::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn canonical_and_hash_consed() {
        // exp(i0) computed twice, and a dead instruction
        let a = Composite::new(
            1,
            vec![
                i(ScalarOp::Tanh, vec![Input(0)]),
                i(ScalarOp::Exp, vec![Input(0)]),
                i(ScalarOp::Exp, vec![Input(0)]),
                i(ScalarOp::Mul, vec![Temp(1), Temp(2)]),
            ],
        )
        .unwrap();
        assert_eq!(a.instrs().len(), 2);
        assert_eq!(a.to_string(), "Composite{(exp(i0) * exp(i0))}");
        assert_eq!(Composite::parse(&a.to_string()).unwrap(), a);
    }

    #[test]
    fn nested_composites_are_inlined() {
        let inner = Composite::parse("Composite{(i0 * exp(i1))}").unwrap();
        let outer = Composite::new(
            3,
            vec![
                i(ScalarOp::composite(inner), vec![Input(2), Input(0)]),
                i(ScalarOp::Add, vec![Temp(0), Input(1)]),
            ],
        )
        .unwrap();
        assert_eq!(outer.to_string(), "Composite{((i2 * exp(i0)) + i1)}");
        assert!(outer
            .instrs()
            .iter()
            .all(|x| !matches!(x.op, ScalarOp::Composite(_))));
    }

    /// `exp(i0)` nested `depth` times: each level a composite applying exp to the previous,
    /// asked its output dtype as it is built (as fusion's new node is typed).
    fn nested_exp_chain(depth: usize) -> Composite {
        let mut c = Composite::of_op(ScalarOp::Exp, 1).unwrap();
        for _ in 1..depth {
            assert_eq!(c.out_dtype(&[Float32]), Ok(Float32));
            c = Composite::nested(
                1,
                vec![
                    i(ScalarOp::composite(c), vec![Input(0)]),
                    i(ScalarOp::Exp, vec![Temp(0)]),
                ],
            )
            .unwrap();
        }
        c
    }

    #[test]
    fn nested_composites_flatten_to_the_inlined_form() {
        // ((i1 * exp(i0)) + i1), built nested and inlined
        let inner = Composite::parse("Composite{(i0 * exp(i1))}").unwrap();
        let instrs = vec![
            i(ScalarOp::composite(inner), vec![Input(1), Input(0)]),
            i(ScalarOp::Add, vec![Temp(0), Input(1)]),
        ];
        let nested = Composite::nested(2, instrs.clone()).unwrap();
        assert!(nested.is_nested());
        let flat = nested.flattened().unwrap();
        assert!(!flat.is_nested());
        assert_eq!(flat, Composite::new(2, instrs).unwrap());
        assert_eq!(nested.to_string(), flat.to_string());
        assert_eq!(flat.to_string(), "Composite{((i1 * exp(i0)) + i1)}");
        // a nested composite inside Composite::new is inlined at every level
        let outer = Composite::new(
            1,
            vec![i(ScalarOp::composite(nested_exp_chain(3)), vec![Input(0)])],
        )
        .unwrap();
        assert_eq!(outer.to_string(), "Composite{exp(exp(exp(i0)))}");
    }

    #[test]
    fn deep_nesting_flattens_prints_and_drops_without_recursion() {
        // deep enough to overflow a test thread's stack if any of these recursed per level
        let depth = 200_000;
        let c = nested_exp_chain(depth);
        assert_eq!(c.out_dtype(&[Float32]), Ok(Float32));
        let flat = c.flattened().unwrap();
        assert_eq!(flat.instrs().len(), depth);
        let text = flat.to_string();
        assert!(text.starts_with("Composite{exp(exp("), "{}", &text[..40]);
        assert_eq!(
            text.len(),
            "Composite{}".len() + "exp()".len() * depth + "i0".len()
        );
        drop(c);
        drop(flat);
    }

    #[test]
    fn dtypes_compose() {
        let c = Composite::parse("Composite{((i0 * i1) + exp(i2))}").unwrap();
        assert_eq!(c.out_dtype(&[Int8, Float32, Int8]), Ok(Float32));
        assert_eq!(c.out_dtype(&[Int8, Int8, Int32]), Ok(Float64));
        assert_eq!(
            c.dtypes(&[Int8, Int16, Int8]),
            Ok(vec![Int16, Float32, Float32])
        );
        assert!(c.out_dtype(&[Int8, Int8]).is_err());
        assert!(Composite::new(2, vec![i(ScalarOp::Exp, vec![Input(0)])]).is_err());
        assert!(Composite::new(1, vec![i(ScalarOp::Exp, vec![Temp(0)])]).is_err());
    }
}
