//! The text form of a [`FunctionGraph`]: a printer and a parser that reads it back.
//!
//! ```text
//! # comments start with `#`, anywhere outside a quoted name
//! function(%0: float64[?,?] "x", %1: float64[1,?] "y") {
//!   %2: int8[] = const 2
//!   %3: float64[?] = const [3] {1.5, nan, -inf}
//!   %4: float64[?,?] "W" = shared
//!   %5: int8[1,1] = InplaceDimShuffle{x,x}(%2)
//!   %6: float64[?,?] = Elemwise{mul,no_inplace}(%5, %0)
//!   %7: float64[?], %8: int64[?] = MaxAndArgmax{axis=(1,)}(%6)
//!   return %7, %1
//! }
//! ```
//!
//! - One statement a line. A value is `%label: type` with an optional quoted name (Rust string
//!   escapes). The printer numbers values densely in order of definition (inputs, then
//!   constants and shared variables in order of first use, then node outputs in topological
//!   order), so printing is deterministic and diffs stay small; the parser accepts any labels
//!   made of letters, digits, `_` and `.` (`%x`, `%h1`), each defined once before use.
//! - A type is the dtype and one entry per dimension: `1` broadcastable, `?` not.
//! - `const` takes a scalar, or `[shape] {values...}` in row-major order; floats print in
//!   Rust's shortest round-trip form (`0.1`, `1e-300`, `-0.0`, `inf`, `-inf`, `nan`, and
//!   `nan(0x7ff8000000000001)` for a NaN with other bits), so values round-trip exactly;
//!   booleans are `true`/`false`. The printed type must be the one `Variable::constant` gives
//!   the value (dimensions of length 1 broadcastable).
//! - `shared` refers to a shared variable by its name (or, when it has none, by its label such
//!   as `%4`); [`FunctionGraph::parse_with`] takes a resolver from that key to the user's
//!   shared [`Variable`], whose type must match. [`FunctionGraph::parse`] has no resolver and
//!   refuses `shared` lines.
//! - A node is its outputs, `=`, the op in Theano's display form (`Elemwise{add,no_inplace}`,
//!   `Elemwise{exp}[(0, 0)]`, `Sum{axis=[0, 1]}`, `IncSubtensor{InplaceSet;int64, ::}`, ... every
//!   variant of [`Op`]; a custom op as `name{params}`, read back through the constructor
//!   registered for its name), and its inputs in parentheses.
//!   The printed output types are checked against the op's type inference. A fused elemwise
//!   prints its scalar DAG in Theano's form, `Elemwise{Composite{((i0 * i1) + exp(i2))}}` (see
//!   [`crate::composite`] for the expression grammar), and parses back to an equal composite.
//! - `return` lists the outputs. Source locations are not part of the text (they would make
//!   every diff noisy); [`FunctionGraph::to_text_annotated`] adds them as comments, and the
//!   parser gives every node the location of its caller.

use super::{FgraphError, FunctionGraph, Loc, Value, ValueDef};
use crate::op::{AdvEntry, IdxEntry, Op, ReduceKind};
use crate::scalar::ScalarOp;
use crate::types::TensorType;
use crate::var::Variable;
use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;
use std::fmt::Write;
use std::panic::Location;
use theano_tensor::{DType, Element, Tensor};

/// A parse error: where (1-based line and column, in characters) and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

// ---------------------------------------------------------------------------------------------
// Printer

const NO_LABEL: u32 = u32::MAX;

struct Printer<'a> {
    fg: &'a FunctionGraph,
    label: Vec<u32>,
    next: u32,
    out: String,
}

impl Printer<'_> {
    fn define(&mut self, v: Value) {
        self.label[v.index()] = self.next;
        self.next += 1;
    }
    fn write_ref(&mut self, v: Value) {
        match self.label.get(v.index()) {
            Some(&l) if l != NO_LABEL => write!(self.out, "%{l}").unwrap(),
            // an undefined value (only in a corrupt graph): printed, refused by the parser
            _ => write!(self.out, "%undefined_{v}").unwrap(),
        }
    }
    fn write_decl(&mut self, v: Value) {
        self.write_ref(v);
        self.out.push_str(": ");
        write_type(&mut self.out, self.fg.ty(v));
        if let Some(n) = self.fg.name(v) {
            write!(self.out, " {n:?}").unwrap();
        }
    }
    fn declare_leaf(&mut self, v: Value) {
        if self.label.get(v.index()) != Some(&NO_LABEL) || !self.fg.is_leaf(v) {
            return;
        }
        self.define(v);
        self.out.push_str("  ");
        self.write_decl(v);
        match self.fg.def(v) {
            ValueDef::Constant => {
                self.out.push_str(" = const ");
                match self.fg.constant_value(v) {
                    Some(t) => write_tensor(&mut self.out, t),
                    None => self.out.push_str("<missing>"),
                }
            }
            ValueDef::Shared => self.out.push_str(" = shared"),
            _ => self.out.push_str(" = input"),
        }
        self.out.push('\n');
    }
}

fn write_type(out: &mut String, t: TensorType) {
    out.push_str(t.dtype.name());
    out.push('[');
    for i in 0..t.ndim() {
        if i > 0 {
            out.push(',');
        }
        out.push(if t.is_broadcastable(i) { '1' } else { '?' });
    }
    out.push(']');
}

fn fmt_f64(out: &mut String, x: f64) {
    if x.is_nan() {
        if x.to_bits() == f64::NAN.to_bits() {
            out.push_str("nan")
        } else {
            write!(out, "nan(0x{:016x})", x.to_bits()).unwrap()
        }
    } else {
        // Debug is the shortest representation that parses back to the same bits; it prints
        // `inf` and `-inf` for infinities.
        write!(out, "{x:?}").unwrap()
    }
}

fn fmt_f32(out: &mut String, x: f32) {
    if x.is_nan() {
        if x.to_bits() == f32::NAN.to_bits() {
            out.push_str("nan")
        } else {
            write!(out, "nan(0x{:08x})", x.to_bits()).unwrap()
        }
    } else {
        write!(out, "{x:?}").unwrap()
    }
}

fn write_elems<T: Copy>(out: &mut String, a: &ArrayD<T>, mut f: impl FnMut(&mut String, T)) {
    for (i, &x) in a.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        f(out, x);
    }
}

fn write_tensor(out: &mut String, t: &Tensor) {
    if t.ndim() > 0 {
        out.push('[');
        for (i, n) in t.shape().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write!(out, "{n}").unwrap();
        }
        out.push_str("] {");
    }
    let int = |o: &mut String, x: i64| write!(o, "{x}").unwrap();
    match t {
        Tensor::F64(a) => write_elems(out, a, fmt_f64),
        Tensor::F32(a) => write_elems(out, a, fmt_f32),
        Tensor::I64(a) => write_elems(out, a, int),
        Tensor::I32(a) => write_elems(out, a, |o, x| int(o, x as i64)),
        Tensor::I16(a) => write_elems(out, a, |o, x| int(o, x as i64)),
        Tensor::I8(a) => write_elems(out, a, |o, x| int(o, x as i64)),
        Tensor::U8(a) => write_elems(out, a, |o, x| int(o, x as i64)),
        Tensor::U16(a) => write_elems(out, a, |o, x| int(o, x as i64)),
        Tensor::U32(a) => write_elems(out, a, |o, x| int(o, x as i64)),
        Tensor::U64(a) => write_elems(out, a, |o, x| write!(o, "{x}").unwrap()),
        Tensor::Bool(a) => write_elems(out, a, |o, x| o.push_str(if x { "true" } else { "false" })),
    }
    if t.ndim() > 0 {
        out.push('}');
    }
}

impl FunctionGraph {
    /// The text form (see the `text` module): deterministic, parses back with
    /// [`FunctionGraph::parse`] / [`FunctionGraph::parse_with`].
    pub fn to_text(&self) -> String {
        self.print(false)
    }

    /// [`Self::to_text`] with each node's source location as a trailing comment.
    pub fn to_text_annotated(&self) -> String {
        self.print(true)
    }

    fn print(&self, annotate: bool) -> String {
        let mut p = Printer {
            fg: self,
            label: vec![NO_LABEL; self.num_values()],
            next: 0,
            out: String::with_capacity(64 * (self.num_alive_nodes() + 2)),
        };
        p.out.push_str("function(");
        for (k, &i) in self.inputs().iter().enumerate() {
            if k > 0 {
                p.out.push_str(", ");
            }
            if i.index() < self.num_values() {
                p.define(i);
                p.write_decl(i);
            } else {
                p.write_ref(i);
            }
        }
        p.out.push_str(") {\n");
        let order = self.toposort();
        for &n in &order {
            for &i in self.node_inputs(n) {
                if i.index() < self.num_values() {
                    p.declare_leaf(i);
                }
            }
        }
        for &o in self.outputs() {
            if o.index() < self.num_values() {
                p.declare_leaf(o);
            }
        }
        for &n in &order {
            p.out.push_str("  ");
            for (k, &o) in self.node_outputs(n).iter().enumerate() {
                if k > 0 {
                    p.out.push_str(", ");
                }
                p.define(o);
                p.write_decl(o);
            }
            match self.op(n) {
                // an op whose text form holds more than it prints (a loop's body)
                Op::Custom(c) if c.0.text_params().is_some() => {
                    let t = c.0.text_params().unwrap_or_default();
                    write!(p.out, " = {}{{{t}}}(", c.0.name()).unwrap();
                }
                op => write!(p.out, " = {op}(").unwrap(),
            }
            for (k, &i) in self.node_inputs(n).iter().enumerate() {
                if k > 0 {
                    p.out.push_str(", ");
                }
                p.write_ref(i);
            }
            p.out.push(')');
            if annotate {
                let l = self.location(n);
                write!(p.out, "  # {}:{}:{}", l.file(), l.line(), l.column()).unwrap();
            }
            p.out.push('\n');
        }
        p.out.push_str("  return");
        for (k, &o) in self.outputs().iter().enumerate() {
            p.out.push_str(if k > 0 { ", " } else { " " });
            p.write_ref(o);
        }
        p.out.push_str("\n}\n");
        p.out
    }
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Cur<'a> {
    s: &'a str,
    pos: usize,
    line: usize,
}

type PResult<T> = Result<T, ParseError>;

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl<'a> Cur<'a> {
    fn err_at<T>(&self, pos: usize, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            line: self.line,
            column: self.s[..pos.min(self.s.len())].chars().count() + 1,
            message: message.into(),
        })
    }
    fn err<T>(&self, message: impl Into<String>) -> PResult<T> {
        self.err_at(self.pos, message)
    }
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }
    fn at_end(&mut self) -> bool {
        self.ws();
        self.rest().is_empty() || self.rest().starts_with('#')
    }
    fn end(&mut self) -> PResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            let shown: String = self.rest().chars().take(20).collect();
            self.err(format!("unexpected `{shown}`"))
        }
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.rest().starts_with(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, tok: &str) -> PResult<()> {
        if self.eat(tok) {
            Ok(())
        } else {
            let shown: String = self.rest().chars().take(20).collect();
            if shown.is_empty() {
                self.err(format!("expected `{tok}` at the end of the line"))
            } else {
                self.err(format!("expected `{tok}`, found `{shown}`"))
            }
        }
    }
    /// A keyword followed by a non-identifier character.
    fn eat_word(&mut self, w: &str) -> bool {
        self.ws();
        let r = self.rest();
        if r.starts_with(w) && !r[w.len()..].starts_with(is_label_char) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }
    fn label(&mut self) -> PResult<(&'a str, usize)> {
        self.ws();
        let start = self.pos;
        if !self.rest().starts_with('%') {
            return self.err("expected a value such as `%3`");
        }
        let r = &self.rest()[1..];
        let n = r.find(|c: char| !is_label_char(c)).unwrap_or(r.len());
        if n == 0 {
            return self.err_at(start + 1, "expected a label after `%`");
        }
        self.pos += 1 + n;
        Ok((&self.s[start..self.pos], start))
    }
    fn ty(&mut self) -> PResult<TensorType> {
        self.ws();
        let start = self.pos;
        let r = self.rest();
        let n = r
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(r.len());
        let Some(dtype) = DType::from_name(&r[..n]) else {
            return self.err(format!(
                "expected a dtype such as `float64`, found `{}`",
                &r[..n]
            ));
        };
        self.pos += n;
        self.expect("[")?;
        let mut b = Vec::new();
        if !self.eat("]") {
            loop {
                if self.eat("?") {
                    b.push(false);
                } else if self.eat("1") {
                    b.push(true);
                } else {
                    return self.err("expected `?` (any length) or `1` (broadcastable)");
                }
                if self.eat("]") {
                    break;
                }
                self.expect(",")?;
            }
        }
        match TensorType::new(dtype, &b) {
            Ok(t) => Ok(t),
            Err(e) => self.err_at(start, e.to_string()),
        }
    }
    /// An optional quoted name with Rust escapes.
    fn name(&mut self) -> PResult<Option<String>> {
        self.ws();
        if !self.rest().starts_with('"') {
            return Ok(None);
        }
        let start = self.pos;
        let mut out = String::new();
        let mut it = self.rest()[1..].char_indices();
        while let Some((i, c)) = it.next() {
            match c {
                '"' => {
                    self.pos += 1 + i + 1;
                    return Ok(Some(out));
                }
                '\\' => {
                    let Some((_, e)) = it.next() else { break };
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        '\\' | '"' | '\'' => out.push(e),
                        'u' => {
                            let body: String = it
                                .by_ref()
                                .map(|(_, c)| c)
                                .skip_while(|&c| c == '{')
                                .take_while(|&c| c != '}')
                                .collect();
                            match u32::from_str_radix(&body, 16).ok().and_then(char::from_u32) {
                                Some(ch) => out.push(ch),
                                None => {
                                    return self
                                        .err_at(start, format!("bad escape `\\u{{{body}}}`"))
                                }
                            }
                        }
                        other => return self.err_at(start, format!("unknown escape `\\{other}`")),
                    }
                }
                c => out.push(c),
            }
        }
        self.err_at(start, "unterminated name")
    }
    /// A token of a constant: up to a comma, a brace, a space or a comment.
    fn token(&mut self) -> (&'a str, usize) {
        self.ws();
        let start = self.pos;
        let r = self.rest();
        let n = r
            .find(|c: char| c == ',' || c == '}' || c == '#' || c.is_whitespace())
            .unwrap_or(r.len());
        self.pos += n;
        (&r[..n], start)
    }
    fn tensor(&mut self, dtype: DType) -> PResult<Tensor> {
        self.ws();
        let start = self.pos;
        let mut shape = Vec::new();
        let mut toks = Vec::new();
        if self.eat("[") {
            if !self.eat("]") {
                loop {
                    let (t, p) = self.token();
                    let t = t.trim_end_matches(']');
                    match t.parse::<usize>() {
                        Ok(n) => shape.push(n),
                        Err(_) => return self.err_at(p, format!("bad dimension length `{t}`")),
                    }
                    self.pos = p + t.len();
                    if self.eat("]") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            self.expect("{")?;
            if !self.eat("}") {
                loop {
                    let (t, p) = self.token();
                    if t.is_empty() {
                        return self.err("expected a value");
                    }
                    toks.push((t, p));
                    if self.eat("}") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
        } else {
            let (t, p) = self.token();
            if t.is_empty() {
                return self.err("expected a constant value");
            }
            toks.push((t, p));
        }
        if shape.len() > crate::types::MAX_NDIM {
            return self.err_at(
                start,
                format!(
                    "a constant has at most {} dimensions, got {}",
                    crate::types::MAX_NDIM,
                    shape.len()
                ),
            );
        }
        let Some(n) = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) else {
            return self.err_at(start, format!("shape {shape:?} is too large"));
        };
        if n != toks.len() {
            return self.err_at(
                start,
                format!("shape {shape:?} needs {n} values, got {}", toks.len()),
            );
        }
        fn build<T: Element>(
            c: &Cur<'_>,
            start: usize,
            shape: &[usize],
            toks: &[(&str, usize)],
            f: impl Fn(&str) -> Option<T>,
        ) -> PResult<Tensor> {
            let mut data = Vec::with_capacity(toks.len());
            for &(t, p) in toks {
                match f(t) {
                    Some(x) => data.push(x),
                    None => return c.err_at(p, format!("`{t}` is not a valid {} value", T::DTYPE)),
                }
            }
            match ArrayD::from_shape_vec(IxDyn(shape), data) {
                Ok(a) => Ok(Tensor::from_array(a)),
                // the element count was checked: what is left is a shape beyond isize::MAX
                // elements with a zero-length dimension, such as `[0, 2^62, 2^62]`
                Err(e) => c.err_at(start, format!("shape {shape:?}: {e}")),
            }
        }
        match dtype {
            DType::Float64 => build(self, start, &shape, &toks, parse_f64),
            DType::Float32 => build(self, start, &shape, &toks, parse_f32),
            DType::Int64 => build(self, start, &shape, &toks, |t| t.parse::<i64>().ok()),
            DType::Int32 => build(self, start, &shape, &toks, |t| t.parse::<i32>().ok()),
            DType::Int16 => build(self, start, &shape, &toks, |t| t.parse::<i16>().ok()),
            DType::Int8 => build(self, start, &shape, &toks, |t| t.parse::<i8>().ok()),
            DType::UInt8 => build(self, start, &shape, &toks, |t| t.parse::<u8>().ok()),
            DType::UInt16 => build(self, start, &shape, &toks, |t| t.parse::<u16>().ok()),
            DType::UInt32 => build(self, start, &shape, &toks, |t| t.parse::<u32>().ok()),
            DType::UInt64 => build(self, start, &shape, &toks, |t| t.parse::<u64>().ok()),
            DType::Bool => build(self, start, &shape, &toks, |t| match t {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            }),
        }
    }
}

fn parse_f64(t: &str) -> Option<f64> {
    if t == "nan" {
        return Some(f64::NAN);
    }
    if let Some(h) = t.strip_prefix("nan(0x").and_then(|r| r.strip_suffix(')')) {
        return u64::from_str_radix(h, 16)
            .ok()
            .map(f64::from_bits)
            .filter(|x| x.is_nan());
    }
    if t.eq_ignore_ascii_case("nan") || t.contains('_') {
        return None;
    }
    t.parse::<f64>().ok()
}

fn parse_f32(t: &str) -> Option<f32> {
    if t == "nan" {
        return Some(f32::NAN);
    }
    if let Some(h) = t.strip_prefix("nan(0x").and_then(|r| r.strip_suffix(')')) {
        return u32::from_str_radix(h, 16)
            .ok()
            .map(f32::from_bits)
            .filter(|x| x.is_nan());
    }
    if t.eq_ignore_ascii_case("nan") || t.contains('_') {
        return None;
    }
    t.parse::<f32>().ok()
}

fn fgraph_message(e: FgraphError) -> String {
    match e {
        FgraphError::Graph(g) => format!("{}: {}", g.op, g.message),
        other => other.to_string(),
    }
}

impl FunctionGraph {
    /// Parse the text form. `shared` lines are refused: use [`Self::parse_with`] for graphs
    /// with shared variables. Nodes get the caller's source location.
    #[track_caller]
    pub fn parse(text: &str) -> Result<FunctionGraph, ParseError> {
        parse_impl(text, &|_| None, false, Location::caller())
    }

    /// Parse the text form, resolving each `shared` line's key (the quoted name, or the
    /// label such as `%4` when unnamed) to the user's shared variable with `shared`.
    #[track_caller]
    pub fn parse_with(
        text: &str,
        shared: &dyn Fn(&str) -> Option<Variable>,
    ) -> Result<FunctionGraph, ParseError> {
        parse_impl(text, shared, true, Location::caller())
    }
}

fn parse_impl(
    text: &str,
    resolve: &dyn Fn(&str) -> Option<Variable>,
    has_resolver: bool,
    loc: Loc,
) -> Result<FunctionGraph, ParseError> {
    let mut fg = FunctionGraph::new();
    let mut labels: HashMap<&str, Value> = HashMap::new();
    // 0: before the header, 1: in the body, 2: after `return`, 3: after `}`
    let mut state = 0;
    let mut last_line = 0;
    for (ln, line) in text.lines().enumerate() {
        last_line = ln + 1;
        let mut c = Cur {
            s: line,
            pos: 0,
            line: ln + 1,
        };
        if c.at_end() {
            continue;
        }
        match state {
            0 => {
                if !c.eat_word("function") {
                    return c.err("expected `function(...) {`");
                }
                c.expect("(")?;
                if !c.eat(")") {
                    loop {
                        let (lab, p) = c.label()?;
                        c.expect(":")?;
                        let ty = c.ty()?;
                        let name = c.name()?;
                        let v = fg.add_input(ty, name.as_deref());
                        if labels.insert(lab, v).is_some() {
                            return c.err_at(p, format!("`{lab}` is already defined"));
                        }
                        if c.eat(")") {
                            break;
                        }
                        c.expect(",")?;
                    }
                }
                c.expect("{")?;
                c.end()?;
                state = 1;
            }
            1 if c.eat_word("return") => {
                if !c.at_end() {
                    loop {
                        let (lab, p) = c.label()?;
                        let Some(&v) = labels.get(lab) else {
                            return c.err_at(p, format!("`{lab}` is not defined"));
                        };
                        fg.add_output(v);
                        if c.at_end() {
                            break;
                        }
                        c.expect(",")?;
                    }
                }
                c.end()?;
                state = 2;
            }
            1 => statement(&mut c, &mut fg, &mut labels, resolve, has_resolver, loc)?,
            2 => {
                c.expect("}")?;
                c.end()?;
                state = 3;
            }
            _ => return c.err("text after the end of the function"),
        }
    }
    if state != 3 {
        let want = ["`function(...) {`", "`return`", "`}`"][state];
        return Err(ParseError {
            line: last_line + 1,
            column: 1,
            message: format!("unexpected end of text: expected {want}"),
        });
    }
    Ok(fg)
}

fn statement<'a>(
    c: &mut Cur<'a>,
    fg: &mut FunctionGraph,
    labels: &mut HashMap<&'a str, Value>,
    resolve: &dyn Fn(&str) -> Option<Variable>,
    has_resolver: bool,
    loc: Loc,
) -> PResult<()> {
    struct Def<'a> {
        label: &'a str,
        pos: usize,
        ty: TensorType,
        name: Option<String>,
    }
    let mut defs: Vec<Def<'a>> = Vec::new();
    loop {
        let (label, pos) = c.label()?;
        if labels.contains_key(label) || defs.iter().any(|d| d.label == label) {
            return c.err_at(pos, format!("`{label}` is already defined"));
        }
        c.expect(":")?;
        let ty = c.ty()?;
        let name = c.name()?;
        defs.push(Def {
            label,
            pos,
            ty,
            name,
        });
        if !c.eat(",") {
            break;
        }
    }
    c.expect("=")?;
    c.ws();
    let rhs = c.pos;
    let single = |c: &Cur<'_>, what: &str| -> PResult<()> {
        if defs.len() != 1 {
            return c.err_at(
                rhs,
                format!("`{what}` defines one value, not {}", defs.len()),
            );
        }
        Ok(())
    };
    if c.eat_word("const") {
        single(c, "const")?;
        let d = &defs[0];
        let t = c.tensor(d.ty.dtype)?;
        let want = match Variable::constant(t.clone()) {
            Ok(var) => var.ty(),
            Err(e) => return c.err_at(d.pos, e.to_string()),
        };
        if want != d.ty {
            return c.err_at(
                d.pos,
                format!(
                    "a constant of shape {:?} has type {}, not {}",
                    t.shape(),
                    type_str(want),
                    type_str(d.ty)
                ),
            );
        }
        let v = fg.add_constant(t);
        fg.set_name(v, d.name.as_deref());
        labels.insert(d.label, v);
    } else if c.eat_word("shared") {
        single(c, "shared")?;
        let d = &defs[0];
        let key = d.name.as_deref().unwrap_or(d.label);
        if !has_resolver {
            return c.err_at(rhs, format!("shared variable `{key}` needs a resolver: parse with FunctionGraph::parse_with"));
        }
        let Some(var) = resolve(key) else {
            return c.err_at(rhs, format!("unknown shared variable `{key}`"));
        };
        if !var.is_shared() {
            return c.err_at(
                rhs,
                format!("`{key}` resolves to {var}, which is not a shared variable"),
            );
        }
        if var.ty() != d.ty {
            return c.err_at(
                d.pos,
                format!(
                    "shared variable `{key}` has type {}, not {}",
                    type_str(var.ty()),
                    type_str(d.ty)
                ),
            );
        }
        let v = fg.import(&var).map_err(|e| ParseError {
            line: c.line,
            column: 1,
            message: fgraph_message(e),
        })?;
        fg.set_name(v, d.name.as_deref());
        labels.insert(d.label, v);
    } else if c.eat_word("input") {
        return c.err_at(rhs, "inputs are declared in the `function(...)` header");
    } else {
        // the op runs to the first `(` outside braces and brackets
        let r = c.rest();
        let mut depth = 0i32;
        let mut end = None;
        for (i, ch) in r.char_indices() {
            match ch {
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                '(' if depth == 0 => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return c.err("expected an op and its inputs, such as `Elemwise{exp,no_inplace}(%0)`");
        };
        let op_text = r[..end].trim_end();
        let op = match parse_op(op_text) {
            Ok(Op::IfElse { n_outs: 0 }) => Op::IfElse { n_outs: defs.len() },
            Ok(op) => op,
            Err(m) => return c.err_at(rhs, m),
        };
        c.pos += end;
        c.expect("(")?;
        let mut args = Vec::new();
        if !c.eat(")") {
            loop {
                let (lab, p) = c.label()?;
                let Some(&v) = labels.get(lab) else {
                    return c.err_at(p, format!("`{lab}` is not defined"));
                };
                args.push(v);
                if c.eat(")") {
                    break;
                }
                c.expect(",")?;
            }
        }
        let n_out = op.n_outputs();
        if defs.len() != n_out {
            return c.err_at(
                rhs,
                format!("{op} has {n_out} output(s), {} defined", defs.len()),
            );
        }
        let node = match fg.add_node(op, &args, loc) {
            Ok(n) => n,
            Err(e) => return c.err_at(rhs, fgraph_message(e)),
        };
        let outs = fg.node_outputs(node).to_vec();
        // a declared type the op accepts (a broadcastable dimension known when the graph was
        // built, which this text no longer shows) is kept as declared
        let plain = fg
            .op(node)
            .infer_types(&args.iter().map(|&a| fg.ty(a)).collect::<Vec<_>>());
        let declared: Vec<TensorType> = defs.iter().map(|d| d.ty).collect();
        if plain.is_ok_and(|p| fg.op(node).accepts_output_types(&p, &declared)) {
            for (d, &o) in defs.iter().zip(&outs) {
                fg.values[o.index()].ty = d.ty;
            }
        }
        for (d, &o) in defs.iter().zip(&outs) {
            if fg.ty(o) != d.ty {
                return c.err_at(
                    d.pos,
                    format!(
                        "type {} does not match the inferred {}",
                        type_str(d.ty),
                        type_str(fg.ty(o))
                    ),
                );
            }
            fg.set_name(o, d.name.as_deref());
            labels.insert(d.label, o);
        }
    }
    c.end()
}

fn type_str(t: TensorType) -> String {
    let mut s = String::new();
    write_type(&mut s, t);
    s
}

// ---------------------------------------------------------------------------------------------
// Ops

fn usize_of(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .map_err(|_| format!("expected a non-negative integer, found `{s}`"))
}

fn dtype_of(s: &str) -> Result<DType, String> {
    DType::from_name(s.trim()).ok_or_else(|| format!("unknown dtype `{}`", s.trim()))
}

fn items(s: &str) -> impl Iterator<Item = &str> {
    let s = s.trim();
    s.split(',').map(str::trim).filter(move |_| !s.is_empty())
}

fn strip<'a>(s: &'a str, pre: &str, post: &str) -> Result<&'a str, String> {
    s.strip_prefix(pre)
        .and_then(|r| r.strip_suffix(post))
        .ok_or_else(|| format!("expected `{pre}...{post}`, found `{s}`"))
}

fn inplace_set(flags: &str) -> Result<(bool, bool), String> {
    let mut it = flags.split(',').map(str::trim);
    let ip = match it.next() {
        Some("inplace") => true,
        Some("no_inplace") => false,
        _ => return Err(format!("expected `inplace` or `no_inplace` in `{flags}`")),
    };
    let set = match it.next() {
        Some("set") => true,
        Some("inc") => false,
        _ => return Err(format!("expected `set` or `inc` in `{flags}`")),
    };
    if it.next().is_some() {
        return Err(format!("unexpected flags in `{flags}`"));
    }
    Ok((ip, set))
}

fn adv_list(s: &str) -> Result<Vec<AdvEntry>, String> {
    items(s)
        .map(|e| match e {
            "::" => Ok(AdvEntry::Full),
            "int" => Ok(AdvEntry::Array),
            other => Err(format!("expected `::` or `int`, found `{other}`")),
        })
        .collect()
}

fn idx_list(s: &str) -> Result<Vec<IdxEntry>, String> {
    items(s)
        .map(|e| {
            if e.contains(':') {
                let parts: Vec<&str> = e.split(':').collect();
                if parts.len() != 3 {
                    return Err(format!("a slice entry is `start:stop:step`, found `{e}`"));
                }
                let b = |p: &str| -> Result<Option<DType>, String> {
                    if p.is_empty() {
                        Ok(None)
                    } else {
                        dtype_of(p).map(Some)
                    }
                };
                Ok(IdxEntry::Slice {
                    start: b(parts[0])?,
                    stop: b(parts[1])?,
                    step: b(parts[2])?,
                })
            } else {
                dtype_of(e).map(IdxEntry::Index)
            }
        })
        .collect()
}

/// Parse an op from its display form (`Elemwise{add,no_inplace}`, `Sum{axis=[0]}`,
/// `InplaceDimShuffle{x,0}`, ...): the inverse of `Op`'s `Display`; a custom op
/// (`name{params}`) through the constructor registered for its name
/// ([`crate::register_custom_op`]). `if{}` gives `IfElse { n_outs: 0 }`: its output count is
/// not in its name, and the caller sets it (the node parser from its definitions).
pub fn parse_op(s: &str) -> Result<Op, String> {
    let s = s.trim();
    let (head, params, suffix) = match s.find('{') {
        None => (s, None, ""),
        Some(b) => {
            let mut depth = 0;
            let mut close = None;
            for (i, ch) in s[b..].char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(b + i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let close = close.ok_or_else(|| format!("unbalanced braces in `{s}`"))?;
            (&s[..b], Some(&s[b + 1..close]), &s[close + 1..])
        }
    };
    let need = || params.ok_or_else(|| format!("`{head}` needs parameters in braces"));
    let plain = |op: Op| -> Result<Op, String> {
        if params.is_some() || !suffix.is_empty() {
            Err(format!("`{head}` takes no parameters, found `{s}`"))
        } else {
            Ok(op)
        }
    };
    if head != "Elemwise" && !suffix.is_empty() {
        return Err(format!("unexpected `{suffix}` after the op"));
    }
    if let Some(op) = crate::matrix::parse(head, params) {
        return op;
    }
    // the reductions' optional `{axis=[..]}`
    let reduce_axes = || -> Result<Option<Vec<usize>>, String> {
        params
            .map(|p| {
                items(strip(p, "axis=[", "]")?)
                    .map(usize_of)
                    .collect::<Result<_, _>>()
            })
            .transpose()
    };
    if let Some(kind) = ReduceKind::ALL.into_iter().find(|k| k.name() == head) {
        // `{axis=[..]}`, `{dtype=D}` or `{axis=[..], dtype=D}`
        let (axes, dtype) = match params {
            None => (None, None),
            Some(p) => {
                let (ax, dt) = match p.rfind("dtype=") {
                    Some(i) => (
                        p[..i].trim().trim_end_matches(',').trim(),
                        Some(&p[i + "dtype=".len()..]),
                    ),
                    None => (p, None),
                };
                let axes = if ax.is_empty() {
                    None
                } else {
                    Some(
                        items(strip(ax, "axis=[", "]")?)
                            .map(usize_of)
                            .collect::<Result<_, _>>()?,
                    )
                };
                let dtype = dt
                    .map(|d| {
                        DType::from_name(d.trim())
                            .ok_or_else(|| format!("unknown dtype `{}` in `{s}`", d.trim()))
                    })
                    .transpose()?;
                (axes, dtype)
            }
        };
        return Ok(Op::Reduce { kind, axes, dtype });
    }
    if head == "ProdWithoutZeros" {
        return Ok(Op::ProdWithoutZeros {
            axes: reduce_axes()?,
        });
    }
    if let Some(op) = crate::cumsort::parse(head, params) {
        return op;
    }
    if let Some(op) = crate::conv::parse(head, params) {
        return op;
    }
    if let Some(op) = crate::pool::parse(head, params) {
        return op;
    }
    Ok(match head {
        "Elemwise" => {
            let p = need()?;
            let (name, no_inplace) = match p.strip_suffix(",no_inplace") {
                Some(n) => (n, true),
                None => (p, false),
            };
            let scalar = ScalarOp::from_name(name.trim())
                .ok_or_else(|| format!("unknown scalar op `{name}`"))?;
            let inplace = if suffix.is_empty() {
                None
            } else {
                Some(usize_of(strip(suffix.trim(), "[(0,", ")]")?)?)
            };
            if no_inplace && inplace.is_some() {
                return Err(format!("`{s}` is both in place and not"));
            }
            Op::Elemwise { scalar, inplace }
        }
        "DimShuffle" | "InplaceDimShuffle" => Op::DimShuffle {
            new_order: items(need()?)
                .map(|e| {
                    if e == "x" {
                        Ok(None)
                    } else {
                        usize_of(e).map(Some)
                    }
                })
                .collect::<Result<_, _>>()?,
            inplace: head == "InplaceDimShuffle",
        },
        "MaxAndArgmax" | "Argmax" => {
            let axes = strip(need()?, "axis=(", ")")?
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(usize_of)
                .collect::<Result<_, _>>()?;
            if head == "Argmax" {
                Op::Argmax { axes }
            } else {
                Op::MaxAndArgmax { axes }
            }
        }
        "dot" => plain(Op::Dot)?,
        "Dot22" => plain(Op::Dot22)?,
        // `CGemv`: the name Theano gives it with a linked BLAS, which this text used to print
        "Gemv" | "CGemv" | "Gemm" => {
            let inplace = match need()? {
                "inplace" => true,
                "no_inplace" => false,
                p => return Err(format!("expected `inplace` or `no_inplace`, found `{p}`")),
            };
            if head != "Gemm" {
                Op::Gemv { inplace }
            } else {
                Op::Gemm { inplace }
            }
        }
        "CGer" => Op::Ger {
            destructive: match need()? {
                "destructive" => true,
                "non-destructive" => false,
                p => {
                    return Err(format!(
                        "expected `destructive` or `non-destructive`, found `{p}`"
                    ))
                }
            },
        },
        "Softmax" => plain(Op::Softmax)?,
        "LogSoftmax" => plain(Op::LogSoftmax)?,
        "SoftmaxGrad" => plain(Op::SoftmaxGrad)?,
        "CrossentropySoftmaxArgmax1HotWithBias" => {
            plain(Op::CrossentropySoftmaxArgmax1HotWithBias)?
        }
        "CrossentropySoftmax1HotWithBiasDx" => plain(Op::CrossentropySoftmax1HotWithBiasDx)?,
        "CrossentropyCategorical1Hot" => plain(Op::CrossentropyCategorical1Hot)?,
        "CrossentropyCategorical1HotGrad" => plain(Op::CrossentropyCategorical1HotGrad)?,
        "Shape" => plain(Op::Shape)?,
        "Alloc" => plain(Op::Alloc)?,
        "DeepCopyOp" => plain(Op::DeepCopy)?,
        // `if{}` does not print its output count: the node's definitions give it (see
        // `parse_node`); 0 until then, which no node accepts
        "if" if params == Some("") && suffix.is_empty() => Op::IfElse { n_outs: 0 },
        "AllocEmpty" => Op::AllocEmpty {
            dtype: dtype_of(strip(need()?, "dtype='", "'")?)?,
        },
        "SpecifyShape" => plain(Op::SpecifyShape)?,
        "AdvancedSubtensor1" => plain(Op::AdvancedSubtensor1)?,
        "Shape_i" => Op::ShapeI(usize_of(need()?)?),
        "Reshape" => Op::Reshape {
            ndim: usize_of(need()?)?,
        },
        "Flatten" => Op::Flatten {
            outdim: usize_of(need()?)?,
        },
        "ARange" => Op::ARange {
            dtype: dtype_of(strip(need()?, "dtype='", "'")?)?,
        },
        "MakeVector" => Op::MakeVector {
            dtype: dtype_of(strip(need()?, "dtype='", "'")?)?,
        },
        "Join" => Op::Join {
            axis: usize_of(strip(need()?, "axis=", "")?)?,
        },
        "Subtensor" => Op::Subtensor {
            idx: idx_list(need()?)?,
        },
        "IncSubtensor" => {
            let p = need()?;
            let (mode, idx) = p
                .split_once(';')
                .ok_or_else(|| format!("expected `Set;...` or `Inc;...`, found `{p}`"))?;
            let (inplace, what) = match mode.strip_prefix("Inplace") {
                Some(r) => (true, r),
                None => (false, mode),
            };
            let set = match what {
                "Set" => true,
                "Inc" => false,
                _ => return Err(format!("expected `Set` or `Inc`, found `{mode}`")),
            };
            Op::IncSubtensor {
                idx: idx_list(idx)?,
                set,
                inplace,
            }
        }
        "AdvancedSubtensor" => Op::AdvancedSubtensor {
            idx: adv_list(need()?)?,
        },
        "AdvancedIncSubtensor1" => {
            let (inplace, set) = inplace_set(need()?)?;
            Op::AdvancedIncSubtensor1 { set, inplace }
        }
        "AdvancedBooleanSubtensor" => plain(Op::AdvancedBooleanSubtensor)?,
        "AdvancedBooleanIncSubtensor" => {
            let (inplace, set) = inplace_set(need()?)?;
            Op::AdvancedBooleanIncSubtensor { set, inplace }
        }
        "AdvancedIncSubtensor" => {
            let p = need()?;
            let (flags, idx) = p
                .split_once(';')
                .ok_or_else(|| format!("expected `flags;indices`, found `{p}`"))?;
            let (inplace, set) = inplace_set(flags)?;
            Op::AdvancedIncSubtensor {
                idx: adv_list(idx)?,
                set,
                inplace,
            }
        }
        _ => match crate::custom_op_parser(head) {
            Some(parse) if suffix.is_empty() => {
                let c = parse(head, params.unwrap_or(""))
                    .map_err(|e| format!("custom op `{head}`: {e}"))?;
                if c.name() != head {
                    return Err(format!(
                        "custom op `{head}`: its registered constructor made an op named `{}`",
                        c.name()
                    ));
                }
                Op::Custom(crate::CustomRef(c))
            }
            _ => {
                return Err(format!(
                    "unknown op `{s}` (a custom op is parsed only when its constructor is \
                     registered with register_custom_op)"
                ))
            }
        },
    })
}
