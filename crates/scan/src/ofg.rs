//! Theano's `OpFromGraph` (`theano.compile.builders`): an op whose computation is a graph,
//! applied like any op. Its shared variables become inputs the node reads after the given
//! ones (Theano's `shared_inputs`); it runs its graph as an inner program (interpreted, or
//! compiled by the function's linker through [`CustomOp::inner_graphs`]); its gradient is
//! another `OpFromGraph` of the graph's gradient (or of a `grad_overrides` callable's), its
//! R-operator one of the graph's R-operator; with `inline`, the optimizer's
//! `inline_ofg_expansion` writes the graph out in place of the node. It prints
//! `OpFromGraph{inline=False}` (or its name), as Theano's; its text form carries the graph.

use crate::op::{compile, ScanError};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use theano_grad::{DisconnectedInputs, GradOptions};
use theano_ir::fgraph::FunctionGraph;
use theano_ir::tensor as T;
use theano_ir::{
    register_custom_op, CustomOp, CustomRef, GraphError, InnerGraph, InnerRunner, Op, Tensor,
    TensorType, Variable,
};

type Result<T> = std::result::Result<T, ScanError>;

/// A gradient override (Theano's `grad_overrides` callable): from the op's inputs and the
/// gradients of its outputs, the gradient of each input (`None`: disconnected).
pub type GradOverride =
    Arc<dyn Fn(&[Variable], &[Variable]) -> Result<Vec<Option<Variable>>> + Send + Sync>;

/// The op: its inner graph and how it runs.
#[derive(Clone)]
pub struct OpFromGraph {
    name: Option<String>,
    inline: bool,
    /// the inner graph's inputs: the given ones, then one per shared variable
    inner_inputs: Vec<Variable>,
    inner_outputs: Vec<Variable>,
    /// the shared variables the graph reads, which every node reads after its given inputs
    /// (the last `n_shared` inner inputs stand for them)
    shared: Vec<Variable>,
    n_shared: usize,
    grad_override: Option<GradOverride>,
    exe: Arc<dyn InnerRunner>,
    lop: Arc<OnceLock<std::result::Result<Arc<OpFromGraph>, String>>>,
}

impl std::fmt::Debug for OpFromGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{{inline={}}}", self.op_name(), py_bool(self.inline))
    }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn invalid<T>(m: impl Into<String>) -> Result<T> {
    Err(ScanError::OpFromGraph(m.into()))
}

/// Theano's `OpFromGraph(inputs, outputs, inline=False, grad_overrides=..., name=None)`,
/// built in steps: `OpFromGraph::new(&[x, y], &[e]).inline(true).build()?.apply(&[a, b])`.
pub struct OfgBuilder {
    inputs: Vec<Variable>,
    outputs: Vec<Variable>,
    inline: bool,
    name: Option<String>,
    grad_override: Option<GradOverride>,
}

impl OfgBuilder {
    /// Expand the graph in place of each node when a function is optimized (Theano's
    /// `inline=True`).
    pub fn inline(mut self, inline: bool) -> Self {
        self.inline = inline;
        self
    }
    /// The op's printed name (Theano's `name=`; `OpFromGraph` by default).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The gradient as `f(inputs, output_grads)` gives it, in place of the graph's (Theano's
    /// `grad_overrides` callable).
    pub fn grad_overrides(
        mut self,
        f: impl Fn(&[Variable], &[Variable]) -> Result<Vec<Option<Variable>>> + Send + Sync + 'static,
    ) -> Self {
        self.grad_override = Some(Arc::new(f));
        self
    }
    /// The op, its graph checked (inputs are symbolic inputs, each once) and made an inner
    /// program; the shared variables it reads are found.
    pub fn build(self) -> Result<Arc<OpFromGraph>> {
        let mut seen = std::collections::HashSet::new();
        for x in &self.inputs {
            if x.owner().is_some() || x.is_constant() || x.is_shared() {
                return invalid(format!(
                    "OpFromGraph's inputs must be symbolic inputs, got {x} (a computed, \
                     constant or shared variable)"
                ));
            }
            if !seen.insert(x.id()) {
                return invalid(format!("OpFromGraph's input {x} is given twice"));
            }
        }
        if self.outputs.is_empty() {
            return invalid("OpFromGraph needs at least one output");
        }
        // the shared variables the graph reads become inputs, as placeholders of their type
        let shared: Vec<Variable> = theano_ir::graph::graph_inputs(&self.outputs)
            .into_iter()
            .filter(|v| v.is_shared())
            .collect();
        let holders: Vec<Variable> = shared
            .iter()
            .map(|s| T::input(s.ty(), &s.name().unwrap_or_default()))
            .collect();
        let replace: HashMap<Variable, Variable> = shared
            .iter()
            .cloned()
            .zip(holders.iter().cloned())
            .collect();
        let outputs = theano_ir::graph::clone_replace(&self.outputs, &replace)?;
        let mut inner_inputs = self.inputs;
        inner_inputs.extend(holders);
        OpFromGraph::from_parts(
            self.name,
            self.inline,
            inner_inputs,
            outputs,
            shared,
            self.grad_override,
        )
    }
}

impl OpFromGraph {
    /// Start an op of the graph from `inputs` to `outputs`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(inputs: &[Variable], outputs: &[Variable]) -> OfgBuilder {
        OfgBuilder {
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            inline: false,
            name: None,
            grad_override: None,
        }
    }

    fn from_parts(
        name: Option<String>,
        inline: bool,
        inner_inputs: Vec<Variable>,
        inner_outputs: Vec<Variable>,
        shared: Vec<Variable>,
        grad_override: Option<GradOverride>,
    ) -> Result<Arc<OpFromGraph>> {
        let exe = compile(&inner_inputs, &inner_outputs)?;
        let op = OpFromGraph {
            name,
            inline,
            inner_inputs,
            inner_outputs,
            n_shared: shared.len(),
            shared,
            grad_override,
            exe,
            lop: Arc::new(OnceLock::new()),
        };
        let name = op.op_name();
        if name != NAME {
            // a named op's text form is read back under its name
            register_custom_op(&name, parse);
        }
        Ok(Arc::new(op))
    }

    fn op_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| NAME.into())
    }

    /// The number of inputs a node is given (the shared variables are added).
    pub fn n_inputs(&self) -> usize {
        self.inner_inputs.len() - self.n_shared
    }

    /// The op applied to `args` (one per input, of its type), its shared variables read
    /// after them: its outputs.
    #[track_caller]
    pub fn apply(self: &Arc<Self>, args: &[Variable]) -> Result<Vec<Variable>> {
        if args.len() != self.n_inputs() {
            return invalid(format!(
                "Expected {} inputs, got {}",
                self.n_inputs(),
                args.len()
            ));
        }
        let mut ins = args.to_vec();
        ins.extend(self.shared.iter().cloned());
        let op = Op::Custom(CustomRef(self.clone() as Arc<dyn CustomOp>));
        Ok(T::apply_op(op, ins)?)
    }

    /// The op of the gradient: `OpFromGraph(inputs + outputs + output_grads -> input
    /// grads)`, as Theano's `_recompute_lop_op` (one per op, built when first needed).
    fn lop_op(&self) -> std::result::Result<Arc<OpFromGraph>, String> {
        self.lop
            .get_or_init(|| self.make_lop_op().map_err(|e| e.to_string()))
            .clone()
    }

    fn make_lop_op(&self) -> Result<Arc<OpFromGraph>> {
        let grads_in: Vec<Variable> = self
            .inner_outputs
            .iter()
            .map(|o| T::input(o.ty(), ""))
            .collect();
        let grads: Vec<Variable> = match &self.grad_override {
            Some(f) => {
                let g = f(&self.inner_inputs, &grads_in)?;
                if g.len() != self.inner_inputs.len() {
                    return invalid(format!(
                        "Gradient/L_op overriding function should return list of {} outputs, \
                         got {}",
                        self.inner_inputs.len(),
                        g.len()
                    ));
                }
                g.into_iter()
                    .zip(&self.inner_inputs)
                    .map(|(g, x)| g.unwrap_or_else(|| T::zeros_like(x)))
                    .collect()
            }
            None => {
                let known: Vec<(Variable, Variable)> = self
                    .inner_outputs
                    .iter()
                    .cloned()
                    .zip(grads_in.iter().cloned())
                    .collect();
                let opts = GradOptions::new()
                    .known_grads(&known)
                    .disconnected_inputs(DisconnectedInputs::Ignore)
                    .add_names(false);
                theano_grad::grad_with(None, &self.inner_inputs, &opts)
                    .map_err(|e| ScanError::OpFromGraph(format!("OpFromGraph's gradient: {e}")))?
            }
        };
        let mut inputs = self.inner_inputs.clone();
        inputs.extend(self.inner_outputs.iter().cloned());
        inputs.extend(grads_in);
        // the gradient graph reads the outputs as computed values: give it placeholders
        let n_in = self.inner_inputs.len();
        let out_holders: Vec<Variable> = self
            .inner_outputs
            .iter()
            .map(|o| T::input(o.ty(), ""))
            .collect();
        let replace: HashMap<Variable, Variable> = self
            .inner_outputs
            .iter()
            .cloned()
            .zip(out_holders.iter().cloned())
            .collect();
        let grads = theano_ir::graph::clone_replace(&grads, &replace)?;
        inputs.splice(n_in..n_in + out_holders.len(), out_holders);
        OpFromGraph::from_parts(
            self.name.as_ref().map(|n| format!("{n}_lop")),
            self.inline,
            inputs,
            grads,
            vec![],
            None,
        )
    }
}

/// The default name (Theano's class name).
pub const NAME: &str = "OpFromGraph";

fn e(err: GraphError) -> String {
    err.to_string()
}

impl CustomOp for OpFromGraph {
    fn name(&self) -> String {
        self.op_name()
    }
    fn params(&self) -> String {
        format!("inline={}", py_bool(self.inline))
    }
    fn text_params(&self) -> Option<String> {
        let body = FunctionGraph::from_outputs(&self.inner_inputs, &self.inner_outputs)
            .map(|fg| fg.to_text())
            .unwrap_or_default();
        Some(format!(
            "inline={}|shared={}|body={}",
            py_bool(self.inline),
            self.n_shared,
            crate::text::escape(&body)
        ))
    }
    fn n_outputs(&self) -> usize {
        self.inner_outputs.len()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        if inputs.len() != self.inner_inputs.len() {
            return Err(format!(
                "Expected {} inputs, got {}",
                self.n_inputs(),
                inputs.len().saturating_sub(self.n_shared)
            ));
        }
        for (t, x) in inputs.iter().zip(&self.inner_inputs) {
            if *t != x.ty() {
                return Err(format!(
                    "Cannot convert Type {t} into Type {} (input {x} of {})",
                    x.ty(),
                    self.op_name()
                ));
            }
        }
        Ok(self.inner_outputs.iter().map(|o| o.ty()).collect())
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        let r = || -> std::result::Result<Vec<Option<Variable>>, String> {
            let lop = self.lop_op()?;
            let mut args = inputs.to_vec();
            args.extend(outputs.iter().cloned());
            // an output the cost does not read has a zero gradient, as Theano passes it
            args.extend(
                output_grads
                    .iter()
                    .zip(outputs)
                    .map(|(g, o)| g.clone().unwrap_or_else(|| T::zeros_like(o))),
            );
            let gs = lop.apply(&args).map_err(|e| e.to_string())?;
            Ok(gs
                .into_iter()
                .zip(inputs)
                .map(|(g, x)| x.dtype().is_float().then_some(g))
                .collect())
        };
        Some(r())
    }
    fn rop(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        // the graph's R-operator, substituted into the node's inputs
        let r = || -> std::result::Result<Vec<Option<Variable>>, String> {
            let (wrt, points): (Vec<Variable>, Vec<Variable>) = self
                .inner_inputs
                .iter()
                .zip(eval_points)
                .filter_map(|(x, p)| p.clone().map(|p| (x.clone(), p)))
                .unzip();
            if wrt.is_empty() {
                return Ok(vec![None; self.inner_outputs.len()]);
            }
            let holders: Vec<Variable> = points.iter().map(|p| T::input(p.ty(), "")).collect();
            let rops = theano_grad::rop(&self.inner_outputs, &wrt, &holders)
                .map_err(|e| format!("OpFromGraph's R-operator: {e}"))?;
            let mut replace: HashMap<Variable, Variable> = self
                .inner_inputs
                .iter()
                .cloned()
                .zip(inputs.iter().cloned())
                .collect();
            replace.extend(holders.into_iter().zip(points));
            let out = theano_ir::graph::clone_replace(&rops, &replace).map_err(e)?;
            Ok(out.into_iter().map(Some).collect())
        };
        Some(r())
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        Some(self.exe.run(inputs))
    }
    fn inner_graphs(&self) -> Vec<InnerGraph> {
        vec![InnerGraph {
            inputs: self.inner_inputs.clone(),
            outputs: self.inner_outputs.clone(),
            outer: (0..self.inner_inputs.len()).map(Some).collect(),
        }]
    }
    fn with_runners(&self, runners: Vec<Arc<dyn InnerRunner>>) -> Option<Arc<dyn CustomOp>> {
        let [exe] = <[_; 1]>::try_from(runners).ok()?;
        Some(Arc::new(OpFromGraph {
            exe,
            ..self.clone()
        }))
    }
    fn prints_inner_graphs(&self) -> bool {
        false
    }
    fn expansion(&self, rewrite: &str, _input_types: &[TensorType]) -> Option<InnerGraph> {
        (self.inline && rewrite == "inline_ofg_expansion").then(|| self.inner_graphs().remove(0))
    }
    fn inner_linkers(&self) -> Vec<&'static str> {
        vec![self.exe.linker()]
    }
}

/// Registers the IR text parser of `OpFromGraph` (a named op registers its own name when
/// built).
pub fn register_ops() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| register_custom_op(NAME, parse));
}

fn parse(name: &str, params: &str) -> std::result::Result<Arc<dyn CustomOp>, String> {
    let bad = |m: &str| format!("{name}: {m} in `{params}`");
    let mut fields = params.splitn(3, '|');
    let inline = match fields.next().and_then(|f| f.strip_prefix("inline=")) {
        Some("True") => true,
        Some("False") => false,
        _ => return Err(bad("expected `inline=True` or `inline=False` first")),
    };
    let n_shared: usize = fields
        .next()
        .and_then(|f| f.strip_prefix("shared="))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("expected `shared=<count>`"))?;
    let body = fields
        .next()
        .and_then(|f| f.strip_prefix("body="))
        .ok_or_else(|| bad("expected `body=`"))?;
    let (inner_inputs, inner_outputs) = crate::text::parse_body(body).map_err(|e| bad(&e))?;
    if n_shared > inner_inputs.len() {
        return Err(bad("more shared inputs than inputs"));
    }
    let op = OpFromGraph::from_parts(
        (name != NAME).then(|| name.to_string()),
        inline,
        inner_inputs,
        inner_outputs,
        vec![],
        None,
    )
    .map_err(|e| e.to_string())?;
    // the node's text lists the shared variables' values as its trailing inputs
    let mut op = Arc::try_unwrap(op).unwrap_or_else(|a| (*a).clone());
    op.n_shared = n_shared;
    Ok(Arc::new(op))
}
