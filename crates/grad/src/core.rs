//! Reverse mode: `grad`, `grad_with` (options), `lop`. Theano 1.0's `theano.gradient.grad`,
//! written iteratively (no recursion, so deep graphs cannot overflow the stack) but adding
//! terms in the same order, so the gradient graphs have Theano's structure.

use crate::build::{B, R};
use crate::rules::{connection_pattern, l_op, G};
use crate::GradError;
use std::collections::{HashMap, HashSet};
use std::panic::Location;
use theano_ir::config::float_x;
use theano_ir::{ApplyRef, Variable};

/// What to do when a `wrt` variable does not influence the cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DisconnectedInputs {
    /// A [`GradError::Disconnected`] naming the variable (Theano's default).
    #[default]
    Raise,
    /// Print a warning on stderr and return zeros.
    Warn,
    /// Return zeros (`zeros_like(wrt)`, float).
    Ignore,
}

/// Options of [`grad_with`]: Theano's keyword arguments of `T.grad`.
#[derive(Clone, Debug)]
pub struct GradOptions {
    pub consider_constant: Vec<Variable>,
    pub disconnected_inputs: DisconnectedInputs,
    pub known_grads: Vec<(Variable, Variable)>,
    /// Name gradients `(d<cost>/d<var>)` when both are named (Theano's `add_names`).
    pub add_names: bool,
}

impl Default for GradOptions {
    fn default() -> Self {
        GradOptions {
            consider_constant: Vec::new(),
            disconnected_inputs: DisconnectedInputs::Raise,
            known_grads: Vec::new(),
            add_names: true,
        }
    }
}

impl GradOptions {
    pub fn new() -> GradOptions {
        GradOptions::default()
    }
    /// Expressions not to backpropagate through.
    pub fn consider_constant(mut self, vars: &[Variable]) -> Self {
        self.consider_constant.extend(vars.iter().cloned());
        self
    }
    pub fn disconnected_inputs(mut self, d: DisconnectedInputs) -> Self {
        self.disconnected_inputs = d;
        self
    }
    /// Gradients already known: `(variable, d cost / d variable)`, in order.
    pub fn known_grads(mut self, pairs: &[(Variable, Variable)]) -> Self {
        self.known_grads.extend(pairs.iter().cloned());
        self
    }
    pub fn add_names(mut self, on: bool) -> Self {
        self.add_names = on;
        self
    }
}

/// The gradients of the scalar `cost` with respect to each of `wrt`, built as Theano 1.0
/// builds them: the cost's gradient is seeded with `fill(cost, 1.0)`, each node's rule gives
/// one term per input, and the terms of a variable used several times are added in the order
/// of its uses. A float `wrt` gets a gradient of its broadcastable pattern, in the dtype the
/// graph gives it (as Theano: a float32 input added to a float64 one gets a float64
/// gradient); an integer or bool `wrt` gets float zeros (`cast(fill(x, 0), floatX)`).
#[track_caller]
pub fn grad(cost: &Variable, wrt: &[Variable]) -> Result<Vec<Variable>, GradError> {
    grad_at(Some(cost), wrt, &GradOptions::default(), Location::caller())
}

/// [`grad`] for one variable.
#[track_caller]
pub fn grad1(cost: &Variable, wrt: &Variable) -> Result<Variable, GradError> {
    let mut v = grad_at(
        Some(cost),
        std::slice::from_ref(wrt),
        &GradOptions::default(),
        Location::caller(),
    )?;
    Ok(v.remove(0))
}

/// [`grad`] with options. `cost` may be `None` when `known_grads` is given (the gradients then
/// start from the known ones only).
#[track_caller]
pub fn grad_with(
    cost: Option<&Variable>,
    wrt: &[Variable],
    opts: &GradOptions,
) -> Result<Vec<Variable>, GradError> {
    grad_at(cost, wrt, opts, Location::caller())
}

/// The L-operator: `sum_i eval_points[i] · d f[i] / d wrt[j]` for each `wrt[j]` (the vector-
/// Jacobian product); `eval_points[i]` has the type of `f[i]`.
#[track_caller]
pub fn lop(
    f: &[Variable],
    wrt: &[Variable],
    eval_points: &[Variable],
) -> Result<Vec<Variable>, GradError> {
    lop_with(f, wrt, eval_points, &GradOptions::default())
}

/// [`lop`] with options (`consider_constant`, `disconnected_inputs`).
#[track_caller]
pub fn lop_with(
    f: &[Variable],
    wrt: &[Variable],
    eval_points: &[Variable],
    opts: &GradOptions,
) -> Result<Vec<Variable>, GradError> {
    if f.len() != eval_points.len() {
        return Err(GradError::Invalid(format!(
            "lop: {} expressions but {} evaluation points",
            f.len(),
            eval_points.len()
        )));
    }
    let mut o = opts.clone();
    o.known_grads = f.iter().cloned().zip(eval_points.iter().cloned()).collect();
    grad_at(None, wrt, &o, Location::caller())
}

/// The variables that connect `wrt` to the outputs, each with the nodes using it and the input
/// positions (Theano's `_populate_var_to_app_to_idx`), in first-use order.
struct Uses {
    index: HashMap<u64, usize>,
    entries: Vec<(Variable, Vec<(ApplyRef, Vec<usize>)>)>,
}

impl Uses {
    fn get(&self, v: &Variable) -> Option<&Vec<(ApplyRef, Vec<usize>)>> {
        self.index.get(&v.id()).map(|&i| &self.entries[i].1)
    }
    fn contains(&self, v: &Variable) -> bool {
        self.index.contains_key(&v.id())
    }
}

fn populate_uses(outputs: &[Variable], wrt: &[Variable], consider_constant: &[Variable]) -> Uses {
    let constant: HashSet<u64> = consider_constant.iter().map(|v| v.id()).collect();
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut entries: Vec<(Variable, Vec<(ApplyRef, Vec<usize>)>)> = Vec::new();
    let mut accounted: HashSet<u64> = HashSet::new();
    let mut patterns: HashMap<u64, Vec<Vec<bool>>> = HashMap::new();
    // An explicit stack reproducing Theano's recursive `account_for`: frames are
    // (node, output index, next input to look at).
    let mut stack: Vec<(ApplyRef, usize, usize)> = Vec::new();
    let mut start = |v: &Variable, stack: &mut Vec<(ApplyRef, usize, usize)>| {
        if !accounted.insert(v.id()) || constant.contains(&v.id()) {
            return;
        }
        if let (Some(node), Some(i)) = (v.owner(), v.index()) {
            stack.push((node, i, 0));
        }
    };
    for o in outputs {
        start(o, &mut stack);
        while let Some(top) = stack.last_mut() {
            let (node, out_i, next) = (top.0.clone(), top.1, top.2);
            if next >= node.inputs().len() {
                stack.pop();
                continue;
            }
            top.2 += 1;
            let pat = patterns
                .entry(node.id())
                .or_insert_with(|| connection_pattern(&node));
            if !pat[next][out_i] {
                continue;
            }
            let ipt = node.inputs()[next].clone();
            let k = *index.entry(ipt.id()).or_insert_with(|| {
                entries.push((ipt.clone(), Vec::new()));
                entries.len() - 1
            });
            let apps = &mut entries[k].1;
            match apps.iter_mut().find(|(a, _)| *a == node) {
                Some((_, idx)) => {
                    if !idx.contains(&next) {
                        idx.push(next)
                    }
                }
                None => apps.push((node.clone(), vec![next])),
            }
            start(&ipt, &mut stack);
        }
    }
    // keep only the variables that have a wrt as a true ancestor
    let mut visited: HashSet<u64> = HashSet::new();
    let mut todo: Vec<Variable> = wrt.to_vec();
    while let Some(v) = todo.pop() {
        let Some(&k) = index.get(&v.id()) else {
            continue;
        };
        if !visited.insert(v.id()) {
            continue;
        }
        for (node, idxs) in &entries[k].1 {
            let pat = patterns
                .entry(node.id())
                .or_insert_with(|| connection_pattern(node));
            for &i in idxs {
                for (j, out) in node.outputs().into_iter().enumerate() {
                    if pat[i][j] {
                        todo.push(out);
                    }
                }
            }
        }
    }
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|(v, _)| visited.contains(&v.id()))
        .collect();
    let index = entries
        .iter()
        .enumerate()
        .map(|(i, (v, _))| (v.id(), i))
        .collect();
    Uses { index, entries }
}

fn disconnected(var: &Variable, mode: DisconnectedInputs) -> Result<(), GradError> {
    let e = GradError::Disconnected {
        var: var.to_string(),
        ty: var.ty(),
    };
    match mode {
        DisconnectedInputs::Raise => Err(e),
        DisconnectedInputs::Warn => {
            eprintln!("warning: {e}");
            Ok(())
        }
        DisconnectedInputs::Ignore => Ok(()),
    }
}

pub(crate) fn grad_at(
    cost: Option<&Variable>,
    wrt: &[Variable],
    opts: &GradOptions,
    loc: &'static Location<'static>,
) -> R<Vec<Variable>> {
    let b = B::new(loc);
    if cost.is_none() && opts.known_grads.is_empty() {
        return Err(GradError::Invalid(
            "grad needs a cost or known gradients".into(),
        ));
    }
    if let Some(c) = cost {
        if c.ndim() != 0 {
            return Err(GradError::NonScalarCost { ty: c.ty() });
        }
    }
    let mut outputs: Vec<Variable> = cost.into_iter().cloned().collect();
    outputs.extend(opts.known_grads.iter().map(|(v, _)| v.clone()));
    let uses = populate_uses(&outputs, wrt, &opts.consider_constant);

    let mut grads: HashMap<u64, G> = HashMap::new();
    let known: Option<&Variable> = cost.and_then(|c| {
        opts.known_grads
            .iter()
            .find(|(v, _)| v == c)
            .map(|(_, g)| g)
    });
    if let Some(c) = cost {
        let g = match known {
            Some(g) => g.clone(),
            None => {
                let d = if c.dtype().is_float() {
                    c.dtype()
                } else {
                    float_x()
                };
                b.ones_like(c, Some(d))?
            }
        };
        let g = if c.dtype().is_float() {
            b.cast(&g, c.dtype())?
        } else {
            g
        };
        grads.insert(c.id(), G::V(g));
    }
    for (v, g) in &opts.known_grads {
        if !g.dtype().is_float() {
            return Err(GradError::Invalid(format!(
                "gradients must be floats, but a known gradient of {v} has type {}",
                g.ty()
            )));
        }
        if g.ndim() != v.ndim() {
            return Err(GradError::Invalid(format!(
                "the known gradient of {v} (type {}) has type {}, with another number of \
                 dimensions",
                v.ty(),
                g.ty()
            )));
        }
        grads.insert(v.id(), G::V(b.patternbroadcast(g, v)?));
    }
    for w in wrt {
        if !uses.contains(w) && Some(w) != cost && !grads.contains_key(&w.id()) {
            disconnected(w, opts.disconnected_inputs)?;
            grads.insert(w.id(), G::Disc);
        }
    }
    let cost_name = if opts.add_names {
        cost.and_then(|c| c.name())
    } else {
        None
    };

    let mut st = State {
        b,
        uses: &uses,
        grads,
        terms: HashMap::new(),
        cost_name,
    };
    let mut rval = Vec::with_capacity(wrt.len());
    for w in wrt {
        if w.dtype().is_discrete() {
            // integer and bool inputs get no gradient: float zeros (when connected)
            rval.push(match st.grads.get(&w.id()) {
                Some(G::Disc) => G::Disc,
                _ => G::V(b.float_zeros_like(w)?),
            });
            continue;
        }
        rval.push(st.grad_of(w)?);
    }
    rval.into_iter()
        .zip(wrt)
        .map(|(g, w)| match g {
            // Theano casts the gradients flowing into a node to its outputs' dtypes, not the
            // final gradient to the variable's: `d(x32 + y64)/dx32` is float64, as in Theano
            G::V(v) => {
                if w.dtype().is_float() {
                    b.patternbroadcast(&v, w)
                } else {
                    Ok(v)
                }
            }
            G::Null(why) => Err(GradError::Undefined {
                var: w.to_string(),
                why,
            }),
            G::Disc => {
                disconnected(w, opts.disconnected_inputs)?;
                b.float_zeros_like(w)
            }
        })
        .collect()
}

struct State<'a> {
    b: B,
    uses: &'a Uses,
    grads: HashMap<u64, G>,
    terms: HashMap<u64, Vec<G>>,
    cost_name: Option<std::sync::Arc<str>>,
}

enum Task {
    Var(Variable),
    Node(ApplyRef),
}

impl State<'_> {
    /// Theano's `access_grad_cache(var)`, with an explicit stack.
    fn grad_of(&mut self, var: &Variable) -> R<G> {
        let mut stack = vec![Task::Var(var.clone())];
        while let Some(task) = stack.last() {
            match task {
                Task::Var(v) => {
                    if self.grads.contains_key(&v.id()) {
                        stack.pop();
                        continue;
                    }
                    let v = v.clone();
                    let Some(apps) = self.uses.get(&v) else {
                        self.grads.insert(v.id(), G::Disc);
                        stack.pop();
                        continue;
                    };
                    let missing: Vec<ApplyRef> = apps
                        .iter()
                        .filter(|(n, _)| !self.terms.contains_key(&n.id()))
                        .map(|(n, _)| n.clone())
                        .collect();
                    if !missing.is_empty() {
                        stack.extend(missing.into_iter().rev().map(Task::Node));
                        continue;
                    }
                    let g = self.sum_terms(&v, apps)?;
                    self.grads.insert(v.id(), g);
                    stack.pop();
                }
                Task::Node(n) => {
                    if self.terms.contains_key(&n.id()) {
                        stack.pop();
                        continue;
                    }
                    let n = n.clone();
                    let missing: Vec<Variable> = n
                        .outputs()
                        .into_iter()
                        .filter(|o| !self.grads.contains_key(&o.id()))
                        .collect();
                    if !missing.is_empty() {
                        stack.extend(missing.into_iter().rev().map(Task::Var));
                        continue;
                    }
                    let t = self.node_terms(&n)?;
                    self.terms.insert(n.id(), t);
                    stack.pop();
                }
            }
        }
        Ok(self.grads[&var.id()].clone())
    }

    fn sum_terms(&self, var: &Variable, apps: &[(ApplyRef, Vec<usize>)]) -> R<G> {
        let mut null = None;
        let mut acc: Option<Variable> = None;
        for (node, idxs) in apps {
            for &i in idxs {
                match &self.terms[&node.id()][i] {
                    G::Null(w) => {
                        null.get_or_insert_with(|| w.clone());
                    }
                    G::Disc => {}
                    G::V(t) => {
                        if t.ndim() != var.ndim() {
                            return Err(GradError::Invalid(format!(
                                "theano-grad internal error: the gradient term of {var} (type \
                                 {}) from {} has type {}",
                                var.ty(),
                                node.op(),
                                t.ty()
                            )));
                        }
                        acc = Some(match acc {
                            None => t.clone(),
                            Some(a) => self.b.add(&a, t)?,
                        });
                    }
                }
            }
        }
        if let Some(w) = null {
            return Ok(G::Null(w));
        }
        Ok(match acc {
            None => G::Disc,
            Some(g) => {
                if let (Some(c), Some(vn)) = (&self.cost_name, var.name()) {
                    g.set_name(&format!("(d{c}/d{vn})"));
                }
                G::V(g)
            }
        })
    }

    /// Theano's `access_term_cache(node)`.
    fn node_terms(&self, node: &ApplyRef) -> R<Vec<G>> {
        let b = &self.b;
        let outs = node.outputs();
        let ograds: Vec<G> = outs.iter().map(|o| self.grads[&o.id()].clone()).collect();
        let pat = connection_pattern(node);
        let out_connected: Vec<bool> = ograds.iter().map(|g| !matches!(g, G::Disc)).collect();
        let ograd_nan: Vec<bool> = ograds.iter().map(|g| matches!(g, G::Null(_))).collect();
        let in_connected: Vec<bool> = pat
            .iter()
            .map(|row| row.iter().zip(&out_connected).any(|(a, b)| *a && *b))
            .collect();
        let only_nan: Vec<bool> = pat
            .iter()
            .map(|row| {
                !row.iter()
                    .enumerate()
                    .any(|(j, &c)| c && out_connected[j] && !ograd_nan[j])
            })
            .collect();
        let ins = node.inputs();
        let mut terms: Vec<G> = if !in_connected.iter().any(|&c| c) {
            vec![G::Disc; ins.len()]
        } else if only_nan.iter().all(|&n| n) {
            let why = ograds
                .iter()
                .find_map(|g| match g {
                    G::Null(w) => Some(w.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            in_connected
                .iter()
                .map(|&c| if c { G::Null(why.clone()) } else { G::Disc })
                .collect()
        } else {
            // output gradients take the dtype of float outputs
            let og: Vec<G> = outs
                .iter()
                .zip(&ograds)
                .map(|(o, g)| match g {
                    G::V(v) if o.dtype().is_float() && v.dtype() != o.dtype() => {
                        Ok(G::V(b.cast(v, o.dtype())?))
                    }
                    other => Ok(other.clone()),
                })
                .collect::<R<_>>()?;
            let t = l_op(b, node, &og)?;
            if t.len() != ins.len() {
                return Err(GradError::Invalid(format!(
                    "theano-grad internal error: the rule of {} returned {} terms for {} inputs",
                    node.op(),
                    t.len(),
                    ins.len()
                )));
            }
            t
        };
        // undefined output gradients make the connected input gradients undefined
        for (i, t) in terms.iter_mut().enumerate() {
            for (j, g) in ograds.iter().enumerate() {
                if let G::Null(w) = g {
                    if pat[i][j] && !matches!(t, G::Disc) {
                        *t = G::Null(w.clone());
                    }
                }
            }
        }
        // type discipline: float terms, with the input's broadcastable pattern
        for (t, x) in terms.iter_mut().zip(ins) {
            if let G::V(v) = t {
                if !v.dtype().is_float() {
                    return Err(GradError::Invalid(format!(
                        "theano-grad internal error: the rule of {} returned an integer-valued \
                         gradient term of type {} for input {x}",
                        node.op(),
                        v.ty()
                    )));
                }
                if v.ndim() == x.ndim() && v.broadcastable() != x.broadcastable() {
                    *v = b.patternbroadcast(v, x)?;
                }
            }
        }
        Ok(terms)
    }
}
