//! The IR text form of a loop: `for{cpu,<name>|<layout>|body=<body>}`, where the layout
//! gives the sequences' steps and heads, each output's state (`_`: none; `kL`: state `k`
//! kept at its last value only), the state and non-sequence counts, `until` and
//! `truncate_gradient`, and the body is the text form of its own function, escaped onto the
//! line (`\n` for a new line, `\<` `\>` for braces, `\!` for a bar, `\(` `\)` for brackets
//! inside names, `\\` for a backslash). It
//! parses back to the same op, so graphs with loops print, parse and run as filetests.
//! `debugprint` and `pp` print the loop as Theano does, `for{cpu,scan_fn}`.

use crate::op::{Parts, ScanOp};
use std::sync::{Arc, Once};
use theano_ir::fgraph::FunctionGraph;
use theano_ir::{register_custom_op, CustomOp, Variable};

/// The op's name (Theano's class `Scan` prints as `for`).
pub const NAME: &str = "for";

static REGISTER: Once = Once::new();

/// Registers the IR text parser of `for` (done by the first loop built).
pub fn register_ops() {
    REGISTER.call_once(|| register_custom_op(NAME, |_, p| parse(p)));
}

/// One character of the body's text as it is written on the op's line: no new line, no
/// brace and no bar stay as they are, nor a bracket inside a quoted name (outside names
/// brackets pair up, as the op scanner needs).
fn push_escaped(out: &mut String, c: char, in_name: bool) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '{' => out.push_str("\\<"),
        '}' => out.push_str("\\>"),
        '|' => out.push_str("\\!"),
        '[' if in_name => out.push_str("\\("),
        ']' if in_name => out.push_str("\\)"),
        c => out.push(c),
    }
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_name = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        push_escaped(&mut out, c, in_name);
        match c {
            // a name's escaped character (`\"`, `\\`) belongs to the name
            '\\' if in_name => {
                if let Some(d) = chars.next() {
                    push_escaped(&mut out, d, true);
                }
            }
            '"' => in_name = !in_name,
            _ => {}
        }
    }
    out
}

pub(crate) fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match it.next() {
            Some('\\') => '\\',
            Some('n') => '\n',
            Some('<') => '{',
            Some('>') => '}',
            Some('!') => '|',
            Some('(') => '[',
            Some(')') => ']',
            e => {
                return Err(format!(
                    "a bad escape `\\{}` in a loop's text",
                    e.unwrap_or(' ')
                ))
            }
        });
    }
    Ok(out)
}

/// An inner graph written with [`escape`]: its input variables and its outputs.
pub(crate) fn parse_body(text: &str) -> Result<(Vec<Variable>, Vec<Variable>), String> {
    let body = unescape(text)?;
    let fg = FunctionGraph::parse(&body).map_err(|e| format!("its body: {e}"))?;
    let inputs = fg
        .inputs()
        .iter()
        .map(|&v| fg.leaf_variable(v).cloned())
        .collect::<Option<Vec<_>>>()
        .ok_or("a body input is not a variable")?;
    let outputs = fg.to_variables().map_err(|e| e.to_string())?;
    Ok((inputs, outputs))
}

fn list<T: ToString>(v: impl IntoIterator<Item = T>) -> String {
    v.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The op's parameters in the text form.
pub(crate) fn write(op: &ScanOp) -> String {
    let p = op.parts();
    let outs = p.rec_of.iter().zip(&p.last).map(|(r, &last)| match r {
        None => "_".to_string(),
        Some(k) if last => format!("{k}L"),
        Some(k) => k.to_string(),
    });
    let body = FunctionGraph::from_outputs(&p.inner_inputs, &p.inner_outputs)
        .map(|fg| fg.to_text())
        .unwrap_or_default();
    format!(
        "cpu,{}|steps={}|heads={}|outs={}|states={}|nonseqs={}|until={}|truncate={}|body={}",
        escape(&p.name),
        list(&p.seq_steps),
        list(p.seq_heads.iter().map(|&h| u8::from(h))),
        list(outs),
        p.n_rec,
        p.n_nonseqs,
        u8::from(p.until),
        p.truncate_gradient.map_or("_".into(), |k| k.to_string()),
        escape(&body),
    )
}

fn parse(params: &str) -> Result<Arc<dyn CustomOp>, String> {
    let bad = |m: &str| format!("for: {m} in `{params}`");
    let mut fields = params.split('|');
    let name = fields
        .next()
        .and_then(|h| h.strip_prefix("cpu,"))
        .ok_or_else(|| bad("expected `cpu,<name>` first"))?;
    let mut field = |key: &str| -> Result<&str, String> {
        fields
            .next()
            .and_then(|f| f.strip_prefix(key)?.strip_prefix('='))
            .ok_or_else(|| bad(&format!("expected `{key}=`")))
    };
    let ints = |s: &str| -> Result<Vec<i64>, String> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(|x| {
                x.parse()
                    .map_err(|_| bad(&format!("`{x}` is not an integer")))
            })
            .collect()
    };
    let count = |s: &str| -> Result<usize, String> {
        s.parse().map_err(|_| bad(&format!("`{s}` is not a count")))
    };
    let seq_steps = ints(field("steps")?)?;
    let seq_heads = ints(field("heads")?)?.into_iter().map(|h| h != 0).collect();
    let mut rec_of = Vec::new();
    let mut last = Vec::new();
    for o in field("outs")?.split(',').filter(|x| !x.is_empty()) {
        let (k, l) = match o.strip_suffix('L') {
            Some(k) => (k, true),
            None => (o, false),
        };
        rec_of.push(if k == "_" { None } else { Some(count(k)?) });
        last.push(l);
    }
    let n_rec = count(field("states")?)?;
    let n_nonseqs = count(field("nonseqs")?)?;
    let until = field("until")? == "1";
    let truncate_gradient = match field("truncate")? {
        "_" => None,
        k => Some(count(k)?),
    };
    let (inner_inputs, inner_outputs) = parse_body(field("body")?).map_err(|e| bad(&e))?;
    let op = ScanOp::from_parts(Parts {
        name: unescape(name)?,
        seq_steps,
        seq_heads,
        rec_of,
        last,
        n_rec,
        n_nonseqs,
        inner_inputs,
        inner_outputs,
        until,
        truncate_gradient,
    })?;
    Ok(Arc::new(op))
}
