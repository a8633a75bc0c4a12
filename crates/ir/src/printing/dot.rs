//! `pydotprint`: Theano 1.0's graphviz drawing of a graph, as DOT text, and rendered by the
//! `dot` program.
//!
//! The drawing follows `theano.printing.pydotprint` with its defaults (`compact=True`,
//! `high_contrast=True`, `max_label_size=70`):
//! - Apply nodes are ellipses labelled with the op (`:` replaced by `_`); a label already used
//!   gets ` id=N`, its toposort index. Ops are filled by class: Elemwise dark pink `#FFAABB`,
//!   Subtensor-like purple `#FFAAFF`, Shape and Shape_i brown, Alloc orange `#FFAA22`.
//! - Variables are boxes: `name=x TensorType(float64, matrix)` when named,
//!   `val=2 TensorType(int8, scalar)` for constants, else the type. Graph inputs and constants
//!   are green, shared variables cyan, outputs blue, unused outputs grey.
//! - An edge into a node is labelled with the input's index when the node has several inputs;
//!   it is blue into a view (DimShuffle in place, Subtensor, Reshape, Flatten) and red into a
//!   destroyed input (in-place ops). Unnamed intermediate variables are not drawn (compact): the
//!   edge goes from node to node and its label adds the variable's type.

use crate::graph::toposort;
use crate::op::Op;
use crate::var::{scalar_str, ApplyRef, Variable};
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why a graph could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The graphviz `dot` program is not installed (or not on `PATH`).
    #[error(
        "graphviz is not installed: the program `{program}` was not found ({source}). \
         pydotprint needs graphviz's `dot` to render {format}: install it with \
         `apt-get install graphviz` (Debian/Ubuntu), `dnf install graphviz` (Fedora) or \
         `brew install graphviz` (macOS), or write a `.dot` file, which needs no graphviz"
    )]
    GraphvizNotFound {
        program: String,
        format: String,
        source: io::Error,
    },
    /// The file extension names no format `dot` renders.
    #[error(
        "cannot draw a graph to `{}`: unknown format `{ext}` (use .svg, .png, .pdf, .ps, .jpg, \
         .gif, or .dot for the DOT text)",
        path.display()
    )]
    UnsupportedFormat { path: PathBuf, ext: String },
    /// `dot` ran and failed.
    #[error("`{program}` failed ({status}) rendering `{}`: {stderr}", path.display())]
    DotFailed {
        program: String,
        path: PathBuf,
        status: String,
        stderr: String,
    },
    /// Writing the file (or talking to `dot`) failed.
    #[error("cannot write `{}`: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Options of [`pydotprint_dot_with`] and [`pydotprint_with`], defaulting to Theano's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DotOptions {
    /// Leave out unnamed intermediate variables (Theano's `compact=True`).
    pub compact: bool,
    /// Fill nodes with their color rather than coloring the border (`high_contrast=True`).
    pub high_contrast: bool,
    /// Add ` id=N` (the toposort index) to every apply label (`with_ids=False`).
    pub with_ids: bool,
    /// Longer labels are cut to this many characters, ending in `...` (70).
    pub max_label_size: usize,
    /// Label a named variable with its name only, without its type (`var_with_name_simple`).
    pub var_with_name_simple: bool,
    /// The graphviz program that renders (`dot`, looked up on `PATH`).
    pub dot_program: OsString,
}

impl Default for DotOptions {
    fn default() -> DotOptions {
        DotOptions {
            compact: true,
            high_contrast: true,
            with_ids: false,
            max_label_size: 70,
            var_with_name_simple: false,
            dot_program: OsString::from("dot"),
        }
    }
}

/// Theano's `default_colorCodes` (those that can occur here), in its dict order: the last key
/// contained in the class name wins.
const COLOR_CODES: [(&str, &str); 4] = [
    ("Shape", "brown"),
    ("Elemwise", "#FFAABB"),
    ("Subtensor", "#FFAAFF"),
    ("Alloc", "#FFAA22"),
];
const OUTPUT_COLOR: &str = "blue";

fn op_color(op: &Op) -> Option<&'static str> {
    let c = op.class_name();
    COLOR_CODES
        .iter()
        .filter(|(k, _)| c.contains(k))
        .map(|(_, v)| *v)
        .next_back()
}

/// The inputs the op's output is a view of (`view_map`) and the inputs it destroys
/// (`destroy_map`).
fn view_destroy(op: &Op) -> (Option<usize>, Option<usize>) {
    match op {
        Op::DimShuffle { inplace: true, .. }
        | Op::Subtensor { .. }
        | Op::Reshape { .. }
        | Op::SpecifyShape
        | Op::Flatten { .. } => (Some(0), None),
        Op::Elemwise {
            inplace: Some(i), ..
        } => (None, Some(*i)),
        Op::IncSubtensor { inplace: true, .. }
        | Op::AdvancedIncSubtensor1 { inplace: true, .. }
        | Op::AdvancedIncSubtensor { inplace: true, .. } => (None, Some(0)),
        _ => (None, None),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let head: String = s.chars().take(max.saturating_sub(3)).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A DOT graph under construction: nodes keep their first definition, edges keep their order.
#[derive(Default)]
struct Dot {
    nodes: Vec<(String, Vec<(&'static str, String)>)>,
    node_seen: HashSet<String>,
    edges: Vec<(String, String, Vec<(&'static str, String)>)>,
}

impl Dot {
    fn node(&mut self, id: &str, attrs: Vec<(&'static str, String)>) {
        if self.node_seen.insert(id.to_string()) {
            self.nodes.push((id.to_string(), attrs));
        }
    }
    fn edge(&mut self, from: &str, to: &str, attrs: Vec<(&'static str, String)>) {
        self.edges.push((from.to_string(), to.to_string(), attrs));
    }
    fn render(&self) -> String {
        let attrs = |a: &[(&str, String)]| -> String {
            if a.is_empty() {
                return String::new();
            }
            let items: Vec<String> = a.iter().map(|(k, v)| format!("{k}={}", quote(v))).collect();
            format!(" [{}]", items.join(", "))
        };
        let mut s = String::from("digraph G {\n");
        for (id, a) in &self.nodes {
            let _ = writeln!(s, "  {}{};", quote(id), attrs(a));
        }
        for (from, to, a) in &self.edges {
            let _ = writeln!(s, "  {} -> {}{};", quote(from), quote(to), attrs(a));
        }
        s.push_str("}\n");
        s
    }
}

/// A box's style: filled with `color` (high contrast) or outlined in it.
fn styled(
    opts: &DotOptions,
    color: &str,
    label: String,
    shape: &str,
) -> Vec<(&'static str, String)> {
    if opts.high_contrast {
        vec![
            ("label", label),
            ("shape", shape.into()),
            ("style", "filled".into()),
            ("fillcolor", color.into()),
        ]
    } else {
        vec![
            ("label", label),
            ("shape", shape.into()),
            ("color", color.into()),
        ]
    }
}

/// Theano's `pydotprint` of `outputs` as DOT text, with Theano's default options.
pub fn pydotprint_dot(outputs: &[Variable]) -> String {
    pydotprint_dot_with(outputs, &DotOptions::default())
}

/// Theano's `pydotprint` of `outputs` as DOT text.
pub fn pydotprint_dot_with(outputs: &[Variable], opts: &DotOptions) -> String {
    let topo = toposort(outputs);
    let topo_index: HashMap<u64, usize> =
        topo.iter().enumerate().map(|(i, n)| (n.id(), i)).collect();
    let out_ids: HashSet<u64> = outputs.iter().map(|v| v.id()).collect();
    let mut n_clients: HashMap<u64, usize> = HashMap::new();
    for node in &topo {
        for i in node.inputs() {
            *n_clients.entry(i.id()).or_default() += 1;
        }
    }
    let max = opts.max_label_size;

    let mut all_strings: HashSet<String> = HashSet::new();
    let mut var_names: HashMap<u64, (String, String)> = HashMap::new();
    let mut apply_names: HashMap<u64, (String, String)> = HashMap::new();

    let mut var_name = |v: &Variable, all: &mut HashSet<String>| -> (String, String) {
        if let Some(r) = var_names.get(&v.id()) {
            return r.clone();
        }
        let s = if let Some(n) = v.name() {
            if opts.var_with_name_simple {
                n.to_string()
            } else {
                format!("name={n} {}", v.ty())
            }
        } else if let Some(t) = v.constant_value() {
            let val = if t.ndim() == 0 {
                scalar_str(t)
            } else {
                let s = t.to_numpy_str();
                s.lines().next().unwrap_or("").to_string()
            };
            format!("val={val} {}", v.ty())
        } else {
            v.ty().to_string()
        };
        let s = truncate(&s, max);
        let id = format!("v{}", var_names.len());
        all.insert(s.clone());
        var_names.insert(v.id(), (s.clone(), id.clone()));
        (s, id)
    };

    let mut apply_name = |node: &ApplyRef, all: &mut HashSet<String>| -> (String, String) {
        if let Some(r) = apply_names.get(&node.id()) {
            return r.clone();
        }
        let mut s = node.op().to_string().replace(':', "_");
        let k = topo_index.get(&node.id()).copied().unwrap_or(0);
        if all.contains(&s) || opts.with_ids {
            let idx = format!(" id={k}");
            if s.chars().count() + idx.len() > max {
                let head: String = s.chars().take(max.saturating_sub(3 + idx.len())).collect();
                s = format!("{head}{idx}...");
            } else {
                s.push_str(&idx);
            }
        } else if s.chars().count() > max {
            s = truncate(&s, max);
            let mut i = 1;
            while all.contains(&s) {
                i += 1;
                let suffix = format!(" id={i}");
                let head: String = s
                    .chars()
                    .take(max.saturating_sub(3 + suffix.len()))
                    .collect();
                s = format!("{head}...{suffix}");
            }
        }
        all.insert(s.clone());
        let id = format!("n{k}");
        apply_names.insert(node.id(), (s.clone(), id.clone()));
        (s, id)
    };

    let mut g = Dot::default();
    for node in &topo {
        let (astr, aid) = apply_name(node, &mut all_strings);
        let attrs = match op_color(node.op()) {
            None => vec![("label", astr), ("shape", "ellipse".into())],
            Some(c) => styled(opts, c, astr, "ellipse"),
        };
        g.node(&aid, attrs);

        let (view, destroy) = view_destroy(node.op());
        let n_in = node.inputs().len();
        for (idx, var) in node.inputs().iter().enumerate() {
            let (varstr, varid) = var_name(var, &mut all_strings);
            let mut label = if n_in > 1 {
                idx.to_string()
            } else {
                String::new()
            };
            let color = if view == Some(idx) {
                Some(OUTPUT_COLOR)
            } else if destroy == Some(idx) {
                Some("red")
            } else {
                None
            };
            let edge_attrs = |label: &str| {
                let mut a: Vec<(&'static str, String)> = Vec::new();
                if !label.is_empty() {
                    a.push(("label", label.to_string()));
                }
                if let Some(c) = color {
                    a.push(("color", c.to_string()));
                }
                a
            };
            match var.owner() {
                None => {
                    let c = if var.is_shared() { "cyan" } else { "green" };
                    g.node(&varid, styled(opts, c, varstr, "box"));
                    g.edge(&varid, &aid, edge_attrs(&label));
                }
                Some(_) if var.name().is_some() || !opts.compact || out_ids.contains(&var.id()) => {
                    g.edge(&varid, &aid, edge_attrs(&label));
                }
                Some(producer) => {
                    if !label.is_empty() {
                        label.push(' ');
                    }
                    label.push_str(&var.ty().to_string());
                    let label = truncate(&label, max);
                    let (_, pid) = apply_name(&producer, &mut all_strings);
                    g.edge(&pid, &aid, edge_attrs(&label));
                }
            }
        }

        let n_out = node.n_outputs();
        for (idx, var) in node.outputs().iter().enumerate() {
            let (varstr, varid) = var_name(var, &mut all_strings);
            let mut label = if n_out > 1 {
                idx.to_string()
            } else {
                String::new()
            };
            let label_attr = |l: &str| -> Vec<(&'static str, String)> {
                if l.is_empty() {
                    vec![]
                } else {
                    vec![("label", truncate(l, max))]
                }
            };
            if out_ids.contains(&var.id()) {
                g.edge(&aid, &varid, label_attr(&label));
                g.node(&varid, styled(opts, OUTPUT_COLOR, varstr, "box"));
            } else if n_clients.get(&var.id()).copied().unwrap_or(0) == 0 {
                g.edge(&aid, &varid, label_attr(&label));
                g.node(&varid, styled(opts, "grey", varstr, "box"));
            } else if var.name().is_some() || !opts.compact {
                if opts.compact {
                    if !label.is_empty() {
                        label.push(' ');
                    }
                    label.push_str(&var.ty().to_string());
                }
                g.edge(&aid, &varid, label_attr(&label));
                g.node(&varid, vec![("label", varstr), ("shape", "box".into())]);
            }
        }
    }
    g.render()
}

/// The graphviz output format for a path's extension; a path without one gets `.png`
/// appended, as Theano's default `format='png'` did.
fn format_of(path: &Path) -> Result<(PathBuf, String), PrintError> {
    let Some(ext) = path.extension().and_then(OsStr::to_str) else {
        let mut p = path.as_os_str().to_owned();
        p.push(".png");
        return Ok((PathBuf::from(p), "png".into()));
    };
    let ext = ext.to_ascii_lowercase();
    let fmt = match ext.as_str() {
        "svg" | "png" | "pdf" | "ps" | "gif" | "dot" => ext.clone(),
        "jpg" | "jpeg" => "jpg".into(),
        "gv" => "dot".into(),
        _ => {
            return Err(PrintError::UnsupportedFormat {
                path: path.to_path_buf(),
                ext,
            })
        }
    };
    Ok((path.to_path_buf(), fmt))
}

/// Draw `outputs` into `path` (Theano's `pydotprint(outputs, outfile=path)`): the format comes
/// from the extension (`.svg`, `.png`, `.pdf`, `.ps`, `.jpg`, `.gif` rendered by graphviz's
/// `dot`; `.dot`/`.gv` write the DOT text and need no graphviz; no extension renders PNG to
/// `path.png`). Returns the path written.
///
/// When graphviz is not installed the error is [`PrintError::GraphvizNotFound`], which says how
/// to install it.
pub fn pydotprint(outputs: &[Variable], path: impl AsRef<Path>) -> Result<PathBuf, PrintError> {
    pydotprint_with(outputs, path, &DotOptions::default())
}

/// [`pydotprint`] with options (including which `dot` program renders).
pub fn pydotprint_with(
    outputs: &[Variable],
    path: impl AsRef<Path>,
    opts: &DotOptions,
) -> Result<PathBuf, PrintError> {
    let (path, fmt) = format_of(path.as_ref())?;
    let text = pydotprint_dot_with(outputs, opts);
    if fmt == "dot" {
        std::fs::write(&path, text).map_err(|source| PrintError::Io {
            path: path.clone(),
            source,
        })?;
        return Ok(path);
    }
    render(&text, &path, &fmt, &opts.dot_program, None)?;
    Ok(path)
}

/// Run `program -T<fmt> -o <path>` on `text`. `path_env`, when given, is the `PATH` the program
/// is looked up in (tests use it to simulate a machine without graphviz).
pub(crate) fn render(
    text: &str,
    path: &Path,
    fmt: &str,
    program: &OsStr,
    path_env: Option<&OsStr>,
) -> Result<(), PrintError> {
    let prog_name = program.to_string_lossy().into_owned();
    let mut cmd = Command::new(program);
    cmd.arg(format!("-T{fmt}"))
        .arg("-o")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(p) = path_env {
        cmd.env("PATH", p);
    }
    let mut child = cmd.spawn().map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            PrintError::GraphvizNotFound {
                program: prog_name.clone(),
                format: fmt.to_string(),
                source,
            }
        } else {
            PrintError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let io_err = |source| PrintError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).map_err(io_err)?;
    }
    let out = child.wait_with_output().map_err(io_err)?;
    if !out.status.success() {
        return Err(PrintError::DotFailed {
            program: prog_name,
            path: path.to_path_buf(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor as T;

    #[test]
    fn missing_dot_on_path_is_a_typed_error_saying_how_to_install() {
        let x = T::dscalar("x");
        let text = pydotprint_dot(&[&x + 1.0]);
        let dir = std::env::temp_dir().join(format!("theano-rs-dot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("g.svg");
        let empty_path = dir.join("no-such-bin");
        let err = render(
            &text,
            &out,
            "svg",
            OsStr::new("dot"),
            Some(empty_path.as_os_str()),
        )
        .unwrap_err();
        assert!(
            matches!(err, PrintError::GraphvizNotFound { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("graphviz is not installed"), "{msg}");
        assert!(msg.contains("apt-get install graphviz"), "{msg}");
        assert!(!out.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
