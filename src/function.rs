//! `function()`: from symbolic inputs and outputs (plus updates and givens) to a callable with
//! state.

use crate::error::Error;
use crate::flags::{DumpKind, Mode, ModeKind, OptimizerLevel};
use smallvec::SmallVec;
use std::collections::{HashMap, HashSet};
use std::panic::Location;
use std::sync::Arc;
use std::time::Instant;
use theano_exec::profile::{Profile, Recorder, Stopwatch};
use theano_exec::{
    Arg, CellArg, CodeDump, Executable, Interface, OutSink, RunError, StepTimes, Watch,
};
use theano_ir::fgraph::value_str;
use theano_ir::fgraph::{FgraphError, FunctionGraph, Node, Value, ValueDef};
use theano_ir::graph::clone_replace;
use theano_ir::{CellValue, SharedCell, Tensor, TensorType, VarKind, Variable};
use theano_tensor::py_tuple as shape_str;

/// `exception_verbosity=high`: the node with each input and output, their types and where
/// their values come from, as Theano's "Debugprint of the apply node".
fn node_detail(fg: &FunctionGraph, n: Node) -> String {
    let mut s = String::from("Debugprint of the apply node:\n");
    for &o in fg.node_outputs(n) {
        s += &format!("{} <{}> ''\n", fg.op(n), fg.ty(o));
    }
    for &v in fg.node_inputs(n) {
        let from = match fg.def(v) {
            ValueDef::Output { node, index } => format!(" (output {index} of {})", fg.op(node)),
            ValueDef::Input => " (input)".into(),
            ValueDef::Shared => " (shared variable)".into(),
            ValueDef::Constant => " (constant)".into(),
        };
        s += &format!(" |{} <{}>{from}\n", value_str(fg, v), fg.ty(v));
    }
    s
}

/// What to do with an input the outputs do not depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnUnused {
    #[default]
    Raise,
    Warn,
    Ignore,
}

/// The outputs of a function: one variable or several.
pub trait IntoOutputs {
    fn into_outputs(self) -> Vec<Variable>;
}
impl IntoOutputs for &Variable {
    fn into_outputs(self) -> Vec<Variable> {
        vec![self.clone()]
    }
}
impl IntoOutputs for Variable {
    fn into_outputs(self) -> Vec<Variable> {
        vec![self]
    }
}
impl IntoOutputs for &[&Variable] {
    fn into_outputs(self) -> Vec<Variable> {
        self.iter().map(|v| (*v).clone()).collect()
    }
}
impl IntoOutputs for &[Variable] {
    fn into_outputs(self) -> Vec<Variable> {
        self.to_vec()
    }
}
impl IntoOutputs for Vec<Variable> {
    fn into_outputs(self) -> Vec<Variable> {
        self
    }
}
impl<const N: usize> IntoOutputs for [&Variable; N] {
    fn into_outputs(self) -> Vec<Variable> {
        self.iter().map(|v| (*v).clone()).collect()
    }
}
impl<const N: usize> IntoOutputs for [Variable; N] {
    fn into_outputs(self) -> Vec<Variable> {
        self.to_vec()
    }
}

/// Compile `outputs` as a function of `inputs` with the default mode (THEANO_FLAGS).
#[track_caller]
pub fn function(inputs: &[&Variable], outputs: impl IntoOutputs) -> Result<Function, Error> {
    FunctionBuilder::new(inputs, outputs.into_outputs(), Location::caller()).build()
}

/// The builder form: `compile(&[&x], &cost).updates(..).givens(..).build()`.
#[track_caller]
pub fn compile(inputs: &[&Variable], outputs: impl IntoOutputs) -> FunctionBuilder {
    FunctionBuilder::new(inputs, outputs.into_outputs(), Location::caller())
}

/// Collects `function()`'s options.
pub struct FunctionBuilder {
    inputs: Vec<Variable>,
    outputs: Vec<Variable>,
    updates: Vec<(Variable, Variable)>,
    givens: Vec<(Variable, Variable)>,
    mode: Option<Mode>,
    on_unused: OnUnused,
    allow_downcast: bool,
    name: String,
    after_optimize: Option<fn(&mut FunctionGraph)>,
    linker: Option<Box<dyn theano_exec::Linker>>,
    no_default_updates: NoDefaultUpdates,
}

/// Which shared variables' default updates ([`Variable::set_default_update`]) `function()`
/// leaves out: Theano's `no_default_updates` argument (`False`, `True`, or a list).
#[derive(Clone, Debug, Default)]
pub enum NoDefaultUpdates {
    /// every default update of a shared variable in the graph is applied (Theano's `False`)
    #[default]
    Apply,
    /// none is (Theano's `True`)
    All,
    /// all but these variables' (Theano's list)
    These(Vec<Variable>),
}

/// What `mode=DebugMode` keeps to check each call.
struct DebugInfo {
    /// The outputs (then update values) of the graph before rewriting.
    original_outputs: Vec<Value>,
}

impl FunctionBuilder {
    fn new(
        inputs: &[&Variable],
        outputs: Vec<Variable>,
        loc: &'static Location<'static>,
    ) -> FunctionBuilder {
        FunctionBuilder {
            inputs: inputs.iter().map(|v| (*v).clone()).collect(),
            outputs,
            updates: vec![],
            givens: vec![],
            mode: None,
            on_unused: OnUnused::Raise,
            allow_downcast: false,
            name: format!("{}:{}", loc.file(), loc.line()),
            after_optimize: None,
            linker: None,
            no_default_updates: NoDefaultUpdates::Apply,
        }
    }

    /// Theano's `no_default_updates=True`: no shared variable is updated by its default
    /// update (a random stream's state stays, so every call draws the same numbers); `false`
    /// restores the default.
    pub fn no_default_updates(mut self, none: bool) -> Self {
        self.no_default_updates = if none {
            NoDefaultUpdates::All
        } else {
            NoDefaultUpdates::Apply
        };
        self
    }

    /// Theano's `no_default_updates=[v, ..]`: these shared variables keep their values; the
    /// others in the graph are updated by their default updates.
    pub fn no_default_updates_for(mut self, vars: &[&Variable]) -> Self {
        self.no_default_updates =
            NoDefaultUpdates::These(vars.iter().map(|v| (*v).clone()).collect());
        self
    }

    /// Adds the default updates (Theano's `rebuild_collect_shared`): every shared variable of
    /// the graph that the outputs and the updates need, found again in each added update's
    /// own graph, that has a default update, is not updated explicitly, not replaced by
    /// `givens` and not excluded. They come after the explicit updates, in graph order.
    fn add_default_updates(&mut self) {
        if matches!(self.no_default_updates, NoDefaultUpdates::All) {
            return;
        }
        let mut done: HashSet<u64> = self.updates.iter().map(|(k, _)| k.id()).collect();
        done.extend(self.givens.iter().map(|(k, _)| k.id()));
        if let NoDefaultUpdates::These(vs) = &self.no_default_updates {
            done.extend(vs.iter().map(|v| v.id()));
        }
        let mut frontier: Vec<Variable> = self.outputs.clone();
        frontier.extend(self.updates.iter().map(|(_, v)| v.clone()));
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for v in theano_ir::graph::ancestors(&frontier) {
                if !v.is_shared() || done.contains(&v.id()) {
                    continue;
                }
                done.insert(v.id());
                if let Some(u) = v.default_update() {
                    next.push(u.clone());
                    self.updates.push((v, u));
                }
            }
            frontier = next;
        }
    }

    /// `(shared variable, new value expression)` pairs applied after each call.
    pub fn updates<K: Into<Variable>, V: Into<Variable>>(
        mut self,
        u: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.updates
            .extend(u.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// `(variable, replacement)` pairs substituted into the graph before compiling.
    pub fn givens<K: Into<Variable>, V: Into<Variable>>(
        mut self,
        g: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.givens
            .extend(g.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Compile with these settings instead of THEANO_FLAGS.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = Some(m);
        self
    }

    pub fn on_unused_input(mut self, o: OnUnused) -> Self {
        self.on_unused = o;
        self
    }

    /// Accept arguments that lose precision when cast to their input's dtype.
    pub fn allow_input_downcast(mut self, a: bool) -> Self {
        self.allow_downcast = a;
        self
    }

    /// The function's name in error messages (default: the `file:line` that compiled it).
    pub fn name(mut self, n: &str) -> Self {
        self.name = n.into();
        self
    }

    /// Test hook: run `f` on the graph right after the optimizer (e.g. to inject a wrong
    /// replacement that `mode=DebugMode` must catch).
    #[doc(hidden)]
    pub fn after_optimize(mut self, f: fn(&mut FunctionGraph)) -> Self {
        self.after_optimize = Some(f);
        self
    }

    /// Link with this backend instead of the one the mode's `linker=` names (a backend
    /// outside the registry: `theano_cuda::emulated::EmuLinker`, the GPU runtime on
    /// theano-ptx's emulator, in tests).
    pub fn linker(mut self, l: Box<dyn theano_exec::Linker>) -> Self {
        self.linker = Some(l);
        self
    }

    /// Compile.
    pub fn build(mut self) -> Result<Function, Error> {
        let mode = match self.mode.clone() {
            Some(m) => m,
            None => Mode::current()?,
        };
        mode.check_effective()?;
        self.add_default_updates();
        // Inputs: distinct symbolic inputs.
        let mut seen: HashMap<u64, usize> = HashMap::new();
        for (i, v) in self.inputs.iter().enumerate() {
            let what = match v.kind() {
                VarKind::Input => None,
                VarKind::Constant(_) => Some("a constant"),
                VarKind::Shared(_) => {
                    Some("a shared variable (shared variables are implicit inputs)")
                }
                VarKind::Output(_) => Some("a computed variable"),
            };
            if let Some(what) = what {
                return Err(Error::BadInputVariable {
                    index: i,
                    name: v.to_string(),
                    what,
                });
            }
            if let Some(&first) = seen.get(&v.id()) {
                return Err(Error::DuplicateInput {
                    name: v.to_string(),
                    first,
                    second: i,
                });
            }
            seen.insert(v.id(), i);
        }
        // Updates: shared targets, matching types, each at most once.
        let mut targets = HashSet::new();
        for (k, v) in &self.updates {
            if !k.is_shared() {
                return Err(Error::BadUpdate {
                    target: k.to_string(),
                    reason: "only shared variables can be updated".into(),
                });
            }
            if !targets.insert(k.id()) {
                return Err(Error::BadUpdate {
                    target: k.to_string(),
                    reason: "updated twice".into(),
                });
            }
            let (kt, vt) = (k.ty(), v.ty());
            if !kt.accepts_update(vt) {
                return Err(Error::BadUpdate {
                    target: k.to_string(),
                    reason: format!(
                        "the update expression {v} has type {vt}, but the shared variable has type {kt}; \
                         an update must have the shared variable's type (cast it explicitly)"
                    ),
                });
            }
        }
        // Givens.
        let mut replace = HashMap::new();
        for (k, v) in &self.givens {
            if k.owner().is_some() || k.is_constant() {
                return Err(Error::BadGivens {
                    target: k.to_string(),
                    reason: "only inputs and shared variables can be replaced".into(),
                });
            }
            if k.ty() != v.ty() {
                return Err(Error::BadGivens {
                    target: k.to_string(),
                    reason: format!(
                        "{k} has type {} but its replacement {v} has type {}",
                        k.ty(),
                        v.ty()
                    ),
                });
            }
            replace.insert(k.clone(), v.clone());
        }
        let mut all: Vec<Variable> = self.outputs.clone();
        all.extend(self.updates.iter().map(|(_, v)| v.clone()));
        let all = clone_replace(&all, &replace)?;

        let mut watch = Stopwatch::start();
        // Import into the arena IR (cutting at the inputs, finding missing ones).
        let mut fg = FunctionGraph::from_outputs(&self.inputs, &all).map_err(|e| match e {
            FgraphError::MissingInput { name, ty, .. } => Error::MissingInput { name, ty },
            FgraphError::Graph(g) => Error::Graph(g),
            other => Error::Fgraph(other),
        })?;
        for (i, (v, &val)) in self.inputs.iter().zip(fg.inputs()).enumerate() {
            if fg.n_uses(val) == 0 {
                match self.on_unused {
                    OnUnused::Raise => return Err(Error::UnusedInput { index: i, name: v.to_string() }),
                    OnUnused::Warn => eprintln!(
                        "warning: function {}: input {i} ({v}) is not part of the graph needed to compute the outputs",
                        self.name
                    ),
                    OnUnused::Ignore => {}
                }
            }
        }
        let level = match mode.optimizer {
            OptimizerLevel::None => theano_opt::Level::None,
            OptimizerLevel::FastCompile => theano_opt::Level::FastCompile,
            OptimizerLevel::FastRun => theano_opt::Level::FastRun,
        };
        let cfg = theano_opt::Config {
            level,
            excluding: mode.optimizer_excluding.clone(),
            verbose: mode.optimizer_verbose,
            verify: cfg!(debug_assertions),
            // the updated shared variables: their old values may be overwritten in place
            mutable: (0..fg.num_values())
                .map(Value::from_index)
                .filter(|&v| {
                    fg.is_value_alive(v)
                        && fg.def(v) == ValueDef::Shared
                        && fg
                            .leaf_variable(v)
                            .is_some_and(|l| self.updates.iter().any(|(k, _)| k == l))
                })
                .collect(),
        };
        let original_outputs = fg.outputs().to_vec();
        let dump_n = theano_exec::dump::next_id();
        let dump_dir = mode.dump_dir.as_deref();
        if mode.dump.contains(&DumpKind::Ir) {
            theano_exec::dump::write(dump_dir, "ir", dump_n, "thir", &fg.to_text())
                .map_err(Error::Unsupported)?;
        }
        watch.lap("import");
        let report = theano_opt::optimize(&mut fg, &cfg)
            .map_err(|e| Error::Unsupported(format!("optimizer bug: {e}")))?;
        watch.add_laps(&report.phase_times);
        if mode.dump.contains(&DumpKind::Rewrites) {
            let log: String = fg
                .history()
                .iter()
                .map(|r| format!("{}: {} -> {}\n", r.reason, r.old, r.new))
                .collect();
            theano_exec::dump::write(dump_dir, "rewrites", dump_n, "log", &log)
                .map_err(Error::Unsupported)?;
        }
        if mode.dump.contains(&DumpKind::Opt) {
            theano_exec::dump::write(dump_dir, "opt", dump_n, "thir", &fg.to_text())
                .map_err(Error::Unsupported)?;
        }
        if let Some(f) = self.after_optimize {
            f(&mut fg);
        }
        let order = fg.toposort();
        let node_details = mode
            .exception_verbosity_high
            .then(|| order.iter().map(|&n| node_detail(&fg, n)).collect());
        // The shared variables the program reads, in order of first use.
        let mut shared_vars: Vec<Variable> = Vec::new();
        let mut shared_vals = Vec::new();
        let mut seen_leaf = HashSet::new();
        let leaves = order
            .iter()
            .flat_map(|&n| fg.node_inputs(n).iter().copied())
            .chain(fg.outputs().iter().copied());
        for v in leaves {
            if fg.def(v) == ValueDef::Shared && seen_leaf.insert(v) {
                shared_vars.push(
                    fg.leaf_variable(v)
                        .expect("shared leaves keep their variable")
                        .clone(),
                );
                shared_vals.push(v);
            }
        }
        // Updated shared variables are arguments even when nothing reads them: the call locks them.
        let mut n_slots = fg.num_values();
        for (k, _) in &self.updates {
            if !shared_vars.contains(k) {
                shared_vars.push(k.clone());
                shared_vals.push(Value::from_index(n_slots));
                n_slots += 1;
            }
        }
        let mut args: Vec<usize> = fg.inputs().iter().map(|v| v.index()).collect();
        args.extend(shared_vals.iter().map(|v| v.index()));
        let mut arg_types: Vec<TensorType> = self.inputs.iter().map(|v| v.ty()).collect();
        arg_types.extend(shared_vars.iter().map(|v| v.ty()));
        let update_args = self
            .updates
            .iter()
            .map(|(k, _)| {
                self.inputs.len()
                    + shared_vars
                        .iter()
                        .position(|s| s == k)
                        .expect("update targets are arguments")
            })
            .collect();
        let mut program = theano_exec::schedule(
            &fg,
            Interface {
                args,
                arg_types,
                n_slots,
                n_outputs: all.len() - self.updates.len(),
                updates: update_args,
            },
        );
        program.watch = Watch {
            times: mode.profile.then(|| Arc::new(StepTimes::new(order.len()))),
            guard: (mode.mode == ModeKind::NanGuardMode).then_some(mode.nan_guard),
        };
        let recorder_parts = mode
            .profile
            .then(|| (program.clone(), program.watch.times.clone()));
        watch.lap("schedule");

        let chosen;
        let linker: &dyn theano_exec::Linker = match &self.linker {
            Some(l) => &**l,
            None => {
                chosen = crate::backends::linker_for(&mode)?;
                &*chosen
            }
        };
        // a loop's body is compiled as the function is, where the linker says so (the JIT; on
        // the GPU runtime it stays interpreted on the host)
        if linker.links_inner_graphs() {
            compile_inner_graphs(&mut program, &cfg, linker)?;
        }
        // dump=ptx on a linker other than the GPU's: the module the GPU backend would load,
        // linked without a device
        let on_gpu = linker.name().starts_with("cuda");
        let ptx_program = (mode.dump.contains(&DumpKind::Ptx) && !on_gpu).then(|| program.clone());
        let exe = linker.link(program)?;
        watch.lap("link");
        let ptx = if let Some(p) = ptx_program {
            let text = match theano_cuda::link_program(&p) {
                Ok(linked) => linked.text,
                // the compile-only lowering, and why the runtime could not link it
                Err(e) => format!(
                    "// the GPU runtime cannot link this program: {e}\n{}",
                    theano_cuda::compile_program(&p, &Default::default()).ptx(&theano_ptx_target())
                ),
            };
            theano_exec::dump::write(dump_dir, "ptx", dump_n, "ptx", &text)
                .map_err(Error::Unsupported)?;
            Some(text)
        } else if mode.dump.contains(&DumpKind::Ptx) {
            Some(exe.dump(CodeDump::Ir))
        } else {
            None
        };
        let profile = recorder_parts.map(|(program, times)| {
            let r = Recorder::new(
                &self.name,
                watch.laps,
                &program,
                exe.step_linkers(),
                times.expect("a profiled program has step times"),
            );
            theano_exec::profile::print_at_exit(&r);
            r
        });
        let debug = (mode.mode == ModeKind::DebugMode).then_some(DebugInfo { original_outputs });

        let cells: Vec<Arc<SharedCell>> = shared_vars
            .iter()
            .map(|v| {
                v.shared_cell()
                    .expect("shared variables have cells")
                    .clone()
            })
            .collect();
        let mut lock_order: Vec<usize> = (0..cells.len()).collect();
        lock_order.sort_by_key(|&i| Arc::as_ptr(&cells[i]) as usize);
        let updates: Vec<(usize, usize)> = self
            .updates
            .iter()
            .enumerate()
            .map(|(j, (k, _))| {
                let i = shared_vars
                    .iter()
                    .position(|s| s == k)
                    .expect("update targets are arguments");
                (i, self.outputs.len() + j)
            })
            .collect();
        let is_update = (0..cells.len())
            .map(|i| updates.iter().any(|&(c, _)| c == i))
            .collect();
        Ok(Function {
            is_update,
            fgraph: fg,
            name: self.name,
            inputs: self.inputs,
            outputs: self.outputs,
            n_outputs: all.len() - self.updates.len(),
            shared_vars,
            cells,
            lock_order,
            updates,
            exe,
            ptx,
            allow_downcast: self.allow_downcast,
            mode,
            debug,
            profile,
            node_details,
        })
    }
}

/// Compiles the inner graphs of the program's custom ops (a `scan`'s body) with the
/// function's optimizer settings and `linker`, nested ones first, and gives each op its
/// compiled runners ([`theano_ir::CustomOp::with_runners`]).
fn compile_inner_graphs(
    program: &mut theano_exec::Program,
    cfg: &theano_opt::Config,
    linker: &dyn theano_exec::Linker,
) -> Result<(), Error> {
    for step in &mut program.steps {
        let theano_ir::Op::Custom(c) = &step.op else {
            continue;
        };
        let graphs = c.0.inner_graphs();
        if graphs.is_empty() {
            continue;
        }
        let mut runners: Vec<Arc<dyn theano_ir::InnerRunner>> = Vec::new();
        for g in graphs {
            let mut fg = FunctionGraph::from_outputs(&g.inputs, &g.outputs)
                .map_err(|e| Error::Unsupported(format!("a loop's body: {e}")))?;
            let inner_cfg = theano_opt::Config {
                mutable: Default::default(),
                ..cfg.clone()
            };
            theano_opt::optimize(&mut fg, &inner_cfg)
                .map_err(|e| Error::Unsupported(format!("optimizer bug in a loop's body: {e}")))?;
            let mut p = theano_exec::schedule(&fg, Interface::inputs_only(&fg));
            compile_inner_graphs(&mut p, cfg, linker)?;
            let exe = linker.link(p)?;
            runners.push(Arc::new(theano_exec::linker::ExecRunner {
                exe,
                linker: linker.name(),
            }));
        }
        if let Some(op) = c.0.with_runners(runners) {
            step.op = theano_ir::Op::Custom(theano_ir::CustomRef(op));
        }
    }
    Ok(())
}

/// A compiled function: call it with one tensor per input.
pub struct Function {
    fgraph: FunctionGraph,
    name: String,
    inputs: Vec<Variable>,
    outputs: Vec<Variable>,
    n_outputs: usize,
    shared_vars: Vec<Variable>,
    cells: Vec<Arc<SharedCell>>,
    /// Indices into `cells`, by address: every call locks in this global order (no deadlock).
    lock_order: Vec<usize>,
    /// (index into `cells`, index into the program's results)
    updates: Vec<(usize, usize)>,
    /// By cell: updated by the function.
    is_update: Vec<bool>,
    exe: Box<dyn Executable>,
    /// `dump=ptx`: the PTX the GPU backend generates (or would, on another linker).
    ptx: Option<String>,
    allow_downcast: bool,
    mode: Mode,
    debug: Option<DebugInfo>,
    /// `profile=True`: the counters the executable and `call` fill.
    profile: Option<Arc<Recorder>>,
    /// `exception_verbosity=high`: each step's node described, added to its errors.
    node_details: Option<Vec<String>>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Function({}, inputs={:?}, outputs={:?})",
            self.name, self.inputs, self.outputs
        )
    }
}

impl Function {
    /// The intermediate form of the code the backend generated for the function, as the
    /// backend has it (`linker=jit` with `dump=clif` or `dump=asm`; empty otherwise).
    pub fn dump_ir(&self) -> String {
        self.exe.dump(CodeDump::Ir)
    }

    /// The machine code the backend generated for the function (`linker=jit` with
    /// `dump=clif` or `dump=asm`; empty otherwise).
    pub fn dump_asm(&self) -> String {
        self.exe.dump(CodeDump::Asm)
    }

    /// The PTX of the GPU backend's kernels, with a comment line per step saying what runs
    /// it (PTX kernels, cuBLAS, a view, the interpreter), when the mode has `dump=ptx`; empty
    /// otherwise. On a linker other than `cuda` it is what the GPU backend would generate
    /// (theano-cuda's compile-only path: no device needed).
    pub fn dump_ptx(&self) -> String {
        self.ptx.clone().unwrap_or_default()
    }

    /// The function's name (`file:line` of its compilation unless set).
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn inputs(&self) -> &[Variable] {
        &self.inputs
    }
    pub fn outputs(&self) -> &[Variable] {
        &self.outputs
    }
    /// The shared variables the function reads or updates.
    pub fn shared_variables(&self) -> &[Variable] {
        &self.shared_vars
    }
    /// `profile=True` (or `Mode::profile`): the profile so far (calls, compile time by phase,
    /// time per op type and per Apply node, and how each node was linked); `None` when the
    /// function was compiled without profiling.
    pub fn profile(&self) -> Option<Profile> {
        self.profile.as_ref().map(|p| p.snapshot())
    }
    pub fn mode(&self) -> &Mode {
        &self.mode
    }
    /// The compiled graph (Theano's `f.maker.fgraph`): outputs first, then update values.
    pub fn fgraph(&self) -> &FunctionGraph {
        &self.fgraph
    }
    /// The optimized graph's outputs (then update values) as variables, for `pp` and
    /// `debugprint` (Theano's `f.maker.fgraph.outputs`).
    pub fn fgraph_outputs(&self) -> Result<Vec<Variable>, theano_ir::GraphError> {
        self.fgraph.to_variables()
    }

    /// Call with one value per input. Outputs come back in order; then the updates are
    /// applied, all of them or (on any error) none.
    pub fn call(&self, args: &[Tensor]) -> Result<Vec<Tensor>, Error> {
        let refs: SmallVec<[&Tensor; 8]> = args.iter().collect();
        self.call_refs(&refs)
    }

    /// [`Function::call`] with borrowed arguments (no copy of a large input per call).
    pub fn call_refs(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, Error> {
        let mut outs = Vec::new();
        self.call_sink(args, OutSink::Push(&mut outs))?;
        Ok(outs)
    }

    /// [`Function::call_refs`] writing output `k` into `outs[k]` (one tensor per output):
    /// when `outs[k]` already has the output's dtype and shape (e.g. from the previous call),
    /// its storage is reused, so a steady-state call allocates nothing for its outputs
    /// (with `linker=jit`; see docs/ARCHITECTURE.md, "The runtime").
    pub fn call_into(&self, args: &[&Tensor], outs: &mut [Tensor]) -> Result<(), Error> {
        if outs.len() != self.n_outputs {
            return Err(Error::ArgumentCount(format!(
                "function {} has {} output(s), got {} output tensor(s)",
                self.name,
                self.n_outputs,
                outs.len()
            )));
        }
        self.call_sink(args, OutSink::Into(outs))
    }

    fn call_sink(&self, args: &[&Tensor], out: OutSink<'_>) -> Result<(), Error> {
        if args.len() < self.inputs.len() {
            return Err(Error::ArgumentCount(format!(
                "Missing required input: {}",
                self.inputs[args.len()]
            )));
        }
        if args.len() > self.inputs.len() {
            return Err(Error::ArgumentCount(format!(
                "function {} takes {} argument(s), got {}",
                self.name,
                self.inputs.len(),
                args.len()
            )));
        }
        let mut converted: SmallVec<[Option<Tensor>; 4]> = SmallVec::new();
        for (i, (a, v)) in args.iter().zip(&self.inputs).enumerate() {
            converted.push(self.convert(i, v, a)?);
        }
        let mut guards: SmallVec<[Option<std::sync::MutexGuard<'_, CellValue>>; 8]> =
            (0..self.cells.len()).map(|_| None).collect();
        for &i in &self.lock_order {
            guards[i] = Some(self.cells[i].lock());
        }
        let inputs: SmallVec<[&Tensor; 8]> = args
            .iter()
            .zip(&converted)
            .map(|(&a, c)| c.as_ref().unwrap_or(a))
            .collect();
        let mut cells: SmallVec<[CellArg<'_>; 8]> = guards
            .iter_mut()
            .zip(&self.is_update)
            .map(|(g, &update)| CellArg {
                value: g.as_deref_mut().expect("every cell is locked"),
                update,
            })
            .collect();
        let t0 = self.profile.as_ref().map(|_| Instant::now());
        let r = match &self.debug {
            Some(d) => self.call_debug(d, &inputs, &mut cells, out),
            None => self
                .exe
                .call_cells(&inputs, &mut cells, out)
                .map_err(|e| self.run_error(e)),
        };
        if let (Some(p), Some(t0)) = (&self.profile, t0) {
            p.record_call(t0.elapsed());
        }
        r
    }

    /// A failed call's error: the node's (with `exception_verbosity=high`'s detail), or the
    /// update that did not fit its shared variable.
    fn run_error(&self, e: RunError) -> Error {
        match e {
            RunError::Node(mut n) => {
                if let Some(d) = self
                    .node_details
                    .as_ref()
                    .and_then(|d| d.get(n.toposort_index))
                {
                    n.message = format!("{}\n{d}", n.message);
                }
                Error::from(n)
            }
            RunError::Update { update, message } => Error::SharedValue(format!(
                "update of shared variable {}: {message}",
                self.shared_vars[self.updates[update].0]
            )),
            RunError::Transfer { cell, message } => Error::SharedValue(format!(
                "shared variable {}: {message}",
                self.shared_vars[cell]
            )),
        }
    }

    /// `mode=DebugMode`: every result computed, checked against the unoptimized graph, then
    /// committed (all updates or none).
    fn call_debug(
        &self,
        d: &DebugInfo,
        inputs: &[&Tensor],
        cells: &mut [CellArg<'_>],
        out: OutSink<'_>,
    ) -> Result<(), Error> {
        let mut args =
            theano_exec::linker::host_args(inputs, cells).map_err(|e| self.run_error(e))?;
        let args = &mut args[..];
        let results = {
            let refs: Vec<&Tensor> = args.iter().map(Arg::get).collect();
            let results = self.exe.run(&refs)?;
            self.debug_check(d, &refs, &results)?;
            results
        };
        let targets: SmallVec<[usize; 8]> = self
            .updates
            .iter()
            .map(|&(cell, _)| self.inputs.len() + cell)
            .collect();
        let types: Vec<TensorType> = (self.inputs.iter().map(Variable::ty))
            .chain(self.shared_vars.iter().map(Variable::ty))
            .collect();
        theano_exec::linker::commit(results, self.n_outputs, &targets, &types, args, out)
            .map_err(|e| self.run_error(e))
    }

    /// `mode=DebugMode`: replay the rewrites on this call's values, then compare the
    /// unoptimized outputs with the program's results.
    fn debug_check(
        &self,
        d: &DebugInfo,
        args: &[&Tensor],
        results: &[Tensor],
    ) -> Result<(), Error> {
        use theano_interp::eval::{first_bad_replacement, values_agree, Evaluator};
        let fg = &self.fgraph;
        let mut ev = Evaluator::new(fg, &args[..self.inputs.len()]);
        // Every shared leaf, read or not by the compiled program, from the locked values (the
        // evaluator must not lock the cells again).
        for i in 0..fg.num_values() {
            let v = Value::from_index(i);
            let Some(cell) = fg.shared_cell(v) else {
                continue;
            };
            if let Some(k) = self.cells.iter().position(|c| Arc::ptr_eq(c, cell)) {
                ev.bind(v, args[self.inputs.len() + k].clone());
            }
        }
        if let Some((rewrite, old, new, old_value, new_value)) = first_bad_replacement(&mut ev) {
            return Err(Error::DebugMode {
                rewrite,
                old,
                new,
                old_value,
                new_value,
            });
        }
        for (k, (&v, r)) in d.original_outputs.iter().zip(results).enumerate() {
            let Ok(old) = ev.eval(v) else { continue };
            if !values_agree(old, r) {
                return Err(Error::DebugMode {
                    rewrite: "optimizer".into(),
                    old: format!("output {k} of the unoptimized graph"),
                    new: format!("output {k} of the compiled graph"),
                    old_value: format!("{old:?}"),
                    new_value: format!("{r:?}"),
                });
            }
        }
        Ok(())
    }

    /// Convert one argument by Theano's casting rules: same dtype as is; a safe upcast (ints
    /// into a float input) cast; an integer scalar that fits exactly cast (Python ints); other
    /// downcasts refused unless `allow_input_downcast`.
    fn convert(&self, i: usize, v: &Variable, a: &Tensor) -> Result<Option<Tensor>, Error> {
        let ty: TensorType = v.ty();
        let bad = |reason: String| Error::BadArgument {
            function: self.name.clone(),
            index: i,
            name: v.to_string(),
            expected: ty,
            reason,
        };
        if a.ndim() != ty.ndim() {
            return Err(bad(format!(
                "Wrong number of dimensions: expected {}, got {} with shape {}.",
                ty.ndim(),
                a.ndim(),
                shape_str(a.shape())
            )));
        }
        if !ty.accepts_shape(a.shape()) {
            return Err(bad(format!(
                "dimensions {:?} are broadcastable (length 1), got shape {}",
                (0..ty.ndim())
                    .filter(|&d| ty.is_broadcastable(d))
                    .collect::<Vec<_>>(),
                shape_str(a.shape())
            )));
        }
        if a.dtype() == ty.dtype {
            return Ok(None);
        }
        if a.dtype().can_cast_safely(ty.dtype) || self.allow_downcast {
            return Ok(Some(a.cast(ty.dtype)));
        }
        if a.ndim() == 0 && a.dtype().is_discrete() && ty.dtype.is_discrete() {
            let c = a.cast(ty.dtype);
            if c.to_i64_vec() == a.to_i64_vec() {
                return Ok(Some(c));
            }
        }
        Err(bad(format!(
            "a value of dtype {} (shape {}) cannot be stored in a {} input without risking loss of precision; \
             cast the value to {} or compile with allow_input_downcast(true)",
            a.dtype(),
            shape_str(a.shape()),
            ty.dtype,
            ty.dtype
        )))
    }
}

/// A value that can initialise a shared variable. Rust integer scalars become int64 and floats
/// float64 (f32 stays float32), as Python numbers do in Theano's `shared(0)` / `shared(0.)`;
/// Vecs and ndarray arrays of a fixed dimension keep their dtype. A [`Tensor`] is not one (its
/// rank is not bounded by its type): see [`try_shared`].
pub trait SharedValue {
    fn into_shared_tensor(self) -> Tensor;
}
macro_rules! shared_int {
    ($($t:ty),*) => {$(
        impl SharedValue for $t {
            fn into_shared_tensor(self) -> Tensor {
                Tensor::from(self as i64)
            }
        }
    )*};
}
shared_int!(i64, i32, i16, i8, u8, u16, u32, isize, usize);
impl SharedValue for f64 {
    fn into_shared_tensor(self) -> Tensor {
        Tensor::from(self)
    }
}
impl SharedValue for f32 {
    fn into_shared_tensor(self) -> Tensor {
        Tensor::from(self)
    }
}
impl SharedValue for bool {
    fn into_shared_tensor(self) -> Tensor {
        Tensor::from(self)
    }
}
impl<T: theano_tensor::Element> SharedValue for Vec<T>
where
    Tensor: From<Vec<T>>,
{
    fn into_shared_tensor(self) -> Tensor {
        Tensor::from(self)
    }
}
impl<T: theano_tensor::Element, D: theano_tensor::FixedDim> SharedValue for ndarray::Array<T, D>
where
    Tensor: From<ndarray::Array<T, D>>,
{
    fn into_shared_tensor(self) -> Tensor {
        Tensor::from(self)
    }
}

/// A shared variable holding `value`, typed by it (`shared(0)` is an int64 scalar,
/// `shared(0.0)` float64, see [`SharedValue`]). `get_value` returns a copy; `set_value`
/// replaces the value (a value of another dtype or ndim is refused). There is no
/// `borrow=True` aliasing: the library owns the storage, so a caller can never mutate it behind
/// a running function, and a call that fails leaves it untouched.
///
/// A [`SharedValue`]'s Rust type bounds its rank, so this cannot fail; a [`Tensor`] (which may
/// have any number of dimensions, read from a file, say) goes through [`try_shared`].
#[track_caller]
pub fn shared(value: impl SharedValue) -> Variable {
    Variable::shared_bounded(value.into_shared_tensor(), None)
}

/// [`shared`] with a name.
#[track_caller]
pub fn shared_named(value: impl SharedValue, name: &str) -> Variable {
    Variable::shared_bounded(value.into_shared_tensor(), Some(name))
}

/// A shared variable holding a [`Tensor`] (named when `name` is given); a value of more than
/// [`theano_ir::MAX_NDIM`] dimensions is a [`theano_ir::NdimError`].
pub fn try_shared(value: Tensor, name: Option<&str>) -> Result<Variable, theano_ir::NdimError> {
    Variable::shared(value, name)
}

/// The PTX target of dumps: sm_80 (PTX 7.8), which every device of compute capability 8.0
/// and later loads.
fn theano_ptx_target() -> theano_cuda::compile::Target {
    theano_cuda::compile::Target::default()
}
