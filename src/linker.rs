//! The backend seam: the compile driver hands a [`Program`] (a linear schedule over numbered
//! storage slots) to a [`Linker`], which returns something that runs it. The interpreter
//! implements it here; the JIT and CUDA backends implement it in their own crates.

use crate::error::NodeError;
use std::sync::Arc;
use theano_ir::{Op, Tensor, TensorType};

/// One scheduled node.
#[derive(Clone, Debug)]
pub struct Step {
    pub op: Op,
    /// Slots read, in input order.
    pub inputs: Vec<usize>,
    /// Slots written, in output order.
    pub outputs: Vec<usize>,
    /// The inferred output types.
    pub out_types: Vec<TensorType>,
    /// The input types (for error messages).
    pub input_types: Vec<TensorType>,
    /// The node as `Elemwise{add,no_inplace}(x, y)` (for error messages).
    pub node: String,
    /// Where the user built the node.
    pub location: &'static std::panic::Location<'static>,
}

/// A linear schedule over storage slots, independent of any backend.
#[derive(Clone, Debug)]
pub struct Program {
    /// Number of storage slots.
    pub n_slots: usize,
    /// Slots filled from the run's arguments, in order (explicit inputs, then shared values).
    pub args: Vec<usize>,
    /// The type of each argument slot.
    pub arg_types: Vec<TensorType>,
    /// Slots holding constants.
    pub constants: Vec<(usize, Arc<Tensor>)>,
    /// The nodes in execution order.
    pub steps: Vec<Step>,
    /// Slots returned, in order (the function's outputs, then update values).
    pub results: Vec<usize>,
    /// How many of `results` are the function's outputs (the rest are update values).
    pub n_outputs: usize,
    /// For each update value (`results[n_outputs + j]`), the index into `args` of the shared
    /// variable it replaces.
    pub updates: Vec<usize>,
    /// What the caller observes of each step (`profile=True`, `mode=NanGuardMode`).
    pub watch: Watch,
}

/// How a step ran in a call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StepPath {
    /// A native kernel (generated code, BLAS, or a hand-written kernel).
    Kernel,
    /// A view of its input's storage (no computation).
    View,
    /// `theano_interp::perform` (the interpreter linker, or a fallback).
    Interp,
}

/// Per-step time and call counts, filled by the executable when the function is profiled.
/// Counters are atomic: concurrent calls of one function add to the same table.
#[derive(Debug, Default)]
pub struct StepTimes {
    steps: Vec<StepCounter>,
}

#[derive(Debug, Default)]
struct StepCounter {
    nanos: std::sync::atomic::AtomicU64,
    calls: std::sync::atomic::AtomicU64,
    interp: std::sync::atomic::AtomicU64,
}

impl StepTimes {
    /// A table for `n` steps.
    pub fn new(n: usize) -> StepTimes {
        StepTimes {
            steps: (0..n).map(|_| StepCounter::default()).collect(),
        }
    }
    /// Step `i` ran by `path` in `t`.
    pub fn record(&self, i: usize, t: std::time::Duration, path: StepPath) {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.steps[i];
        c.nanos
            .fetch_add(t.as_nanos().min(u64::MAX as u128) as u64, Relaxed);
        c.calls.fetch_add(1, Relaxed);
        if path == StepPath::Interp {
            c.interp.fetch_add(1, Relaxed);
        }
    }
    /// Step `i`: (total time, calls, calls that ran in the interpreter).
    pub fn get(&self, i: usize) -> (std::time::Duration, u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.steps[i];
        (
            std::time::Duration::from_nanos(c.nanos.load(Relaxed)),
            c.calls.load(Relaxed),
            c.interp.load(Relaxed),
        )
    }
}

/// `mode=NanGuardMode`: which values of a step's outputs are errors (Theano's `nan_is_error`,
/// `inf_is_error`, `big_is_error`; big means |x| > 1e10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NanGuard {
    pub nan_is_error: bool,
    pub inf_is_error: bool,
    pub big_is_error: bool,
}

impl Default for NanGuard {
    fn default() -> NanGuard {
        NanGuard {
            nan_is_error: true,
            inf_is_error: true,
            big_is_error: true,
        }
    }
}

impl NanGuard {
    /// The first forbidden value of `t` (output `k` of its node), described; float dtypes only
    /// (integers and bools cannot hold NaN or inf; Theano checks floats too).
    pub fn check(&self, k: usize, t: &Tensor) -> Result<(), String> {
        if !t.dtype().is_float() {
            return Ok(());
        }
        for (e, x) in t.to_f64_vec().into_iter().enumerate() {
            let what = if x.is_nan() {
                self.nan_is_error.then_some("NaN")
            } else if x.is_infinite() {
                self.inf_is_error
                    .then_some(if x > 0.0 { "inf" } else { "-inf" })
            } else if x.abs() > 1e10 {
                self.big_is_error.then_some("a big value (|x| > 1e10)")
            } else {
                None
            };
            if let Some(what) = what {
                let shape = theano_tensor::py_tuple(t.shape());
                return Err(format!(
                    "NanGuardMode: {what} detected in output {k} (shape {shape}, flat index {e}: {x})"
                ));
            }
        }
        Ok(())
    }
}

/// See [`Program::watch`]: both are off by default.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    /// `profile=True`: the time of each step.
    pub times: Option<Arc<StepTimes>>,
    /// `mode=NanGuardMode`: the outputs of every step checked after it runs. An executable
    /// with a guard never writes a shared variable before the last check has passed.
    pub guard: Option<NanGuard>,
}

impl Watch {
    /// Whether anything is observed.
    pub fn is_on(&self) -> bool {
        self.times.is_some() || self.guard.is_some()
    }
}

/// One argument of [`Executable::call`].
pub enum Arg<'a> {
    /// An input, or a shared value the call only reads.
    Read(&'a Tensor),
    /// The value of a shared variable the call updates: on success the executable leaves
    /// the new value here (written in place, or swapped in); on error it is unchanged.
    Update(&'a mut Tensor),
}

impl Arg<'_> {
    pub fn get(&self) -> &Tensor {
        match self {
            Arg::Read(t) => t,
            Arg::Update(t) => t,
        }
    }
}

/// Where [`Executable::call`] puts the function's outputs.
pub enum OutSink<'a> {
    /// Push each output, in order.
    Push(&'a mut Vec<Tensor>),
    /// Output `k` replaces `[k]` (one tensor per output), reusing its storage when the
    /// dtype and shape match.
    Into(&'a mut [Tensor]),
}

impl OutSink<'_> {
    /// Deliver output `k`.
    pub(crate) fn put(&mut self, k: usize, t: Tensor) {
        match self {
            OutSink::Push(v) => v.push(t),
            OutSink::Into(d) => d[k] = t,
        }
    }
}

/// Why [`Executable::call`] failed; every update target is then unchanged.
#[derive(Debug)]
pub enum RunError {
    Node(NodeError),
    /// Update value `update` does not fit its shared variable.
    Update {
        update: usize,
        message: String,
    },
}

/// Whether a value of `dtype` and `shape` may be stored in a shared variable of type `ty`
/// (the check of `SharedCell::check`, in its words).
pub(crate) fn check_update(
    ty: TensorType,
    dtype: theano_ir::DType,
    shape: &[usize],
) -> Result<(), String> {
    if dtype != ty.dtype {
        return Err(format!(
            "expected dtype {}, got {} (shape {:?})",
            ty.dtype, dtype, shape
        ));
    }
    if !ty.accepts_shape(shape) {
        return Err(format!(
            "expected a value of type {} ({} dimension(s)), got shape {:?}",
            ty,
            ty.ndim(),
            shape
        ));
    }
    Ok(())
}

/// [`Executable::call`] on top of [`Executable::run`]: every result computed into a fresh
/// tensor, the updates checked, then moved into their shared variables.
pub(crate) fn call_by_run(
    exe: &dyn Executable,
    p: &Program,
    args: &mut [Arg<'_>],
    mut out: OutSink<'_>,
) -> Result<(), RunError> {
    let refs: smallvec::SmallVec<[&Tensor; 12]> = args.iter().map(Arg::get).collect();
    let mut results = exe.run(&refs).map_err(RunError::Node)?;
    drop(refs);
    for (j, &a) in p.updates.iter().enumerate() {
        let v = &results[p.n_outputs + j];
        check_update(p.arg_types[a], v.dtype(), v.shape())
            .map_err(|message| RunError::Update { update: j, message })?;
    }
    let vals = results.split_off(p.n_outputs);
    for (v, &a) in vals.into_iter().zip(&p.updates) {
        if let Arg::Update(t) = &mut args[a] {
            **t = v;
        }
    }
    for (k, t) in results.into_iter().enumerate() {
        out.put(k, t);
    }
    Ok(())
}

/// A linked, runnable program. `run` is given one tensor per [`Program::args`] slot, already
/// validated against `arg_types`, and returns one tensor per [`Program::results`] slot.
pub trait Executable: Send + Sync {
    /// Compute every result (outputs, then update values) into fresh tensors; no update is
    /// applied (`mode=DebugMode` compares them).
    fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError>;
    /// Run and apply the updates, all or nothing: `args` as for `run`, the update targets
    /// as [`Arg::Update`]; the outputs go to `out`.
    fn call(&self, args: &mut [Arg<'_>], out: OutSink<'_>) -> Result<(), RunError>;
    /// The Cranelift IR of the generated kernels (empty for backends without any).
    fn dump_clif(&self) -> String {
        String::new()
    }
    /// The machine code of the generated kernels (empty for backends without any).
    fn dump_asm(&self) -> String {
        String::new()
    }
    /// How each step is linked, for the profile: `jit kernel`, `BLAS`, `view`, `interpreter`
    /// (a fallback where the backend compiles most steps).
    fn step_linkers(&self) -> Vec<&'static str>;
}

/// A backend.
pub trait Linker {
    fn name(&self) -> &'static str;
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, crate::Error>;
}

/// The reference interpreter: runs each step with `theano_interp::perform`.
pub struct InterpLinker;

impl Linker for InterpLinker {
    fn name(&self) -> &'static str {
        "interp"
    }
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, crate::Error> {
        let frees = frees_of(&program);
        Ok(Box::new(InterpProgram { program, frees }))
    }
}

/// For each step, the slots whose last reader it is (freed right after it runs).
pub(crate) fn frees_of(program: &Program) -> Vec<Vec<usize>> {
    {
        let mut last_use = vec![usize::MAX; program.n_slots];
        for (i, s) in program.steps.iter().enumerate() {
            for &slot in &s.inputs {
                last_use[slot] = i;
            }
        }
        for &r in &program.results {
            last_use[r] = usize::MAX;
        }
        let mut frees = vec![Vec::new(); program.steps.len()];
        for (slot, &i) in last_use.iter().enumerate() {
            if i != usize::MAX {
                frees[i].push(slot);
            }
        }
        frees
    }
}

/// Run `step` with the interpreter, errors naming the node.
pub(crate) fn interp_step(
    i: usize,
    step: &Step,
    ins: &[&Tensor],
) -> Result<Vec<Tensor>, NodeError> {
    theano_interp::perform(&step.op, ins, &step.out_types).map_err(|e| NodeError {
        message: e.to_string(),
        node: step.node.clone(),
        toposort_index: i,
        input_types: step.input_types.clone(),
        input_shapes: ins.iter().map(|t| t.shape().to_vec()).collect(),
        location: step.location,
    })
}

/// The error of a step whose output `NanGuardMode` refuses.
pub(crate) fn guard_error(
    i: usize,
    step: &Step,
    message: String,
    input_shapes: Vec<Vec<usize>>,
) -> NodeError {
    NodeError {
        message,
        node: step.node.clone(),
        toposort_index: i,
        input_types: step.input_types.clone(),
        input_shapes,
        location: step.location,
    }
}

struct InterpProgram {
    program: Program,
    frees: Vec<Vec<usize>>,
}

enum Value<'a> {
    Borrowed(&'a Tensor),
    Owned(Tensor),
}

impl Value<'_> {
    fn get(&self) -> &Tensor {
        match self {
            Value::Borrowed(t) => t,
            Value::Owned(t) => t,
        }
    }
}

impl Executable for InterpProgram {
    fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        run_schedule(&self.program, &self.frees, args, interp_step)
    }
    fn call(&self, args: &mut [Arg<'_>], out: OutSink<'_>) -> Result<(), RunError> {
        call_by_run(self, &self.program, args, out)
    }
    fn step_linkers(&self) -> Vec<&'static str> {
        vec!["interpreter"; self.program.steps.len()]
    }
}

/// Run the schedule, each step by `perform(step index, step, inputs)`.
pub(crate) fn run_schedule(
    p: &Program,
    frees: &[Vec<usize>],
    args: &[&Tensor],
    perform: impl Fn(usize, &Step, &[&Tensor]) -> Result<Vec<Tensor>, NodeError>,
) -> Result<Vec<Tensor>, NodeError> {
    {
        let mut slots: Vec<Option<Value<'_>>> = (0..p.n_slots).map(|_| None).collect();
        for (&slot, &a) in p.args.iter().zip(args) {
            slots[slot] = Some(Value::Borrowed(a));
        }
        for (slot, c) in &p.constants {
            slots[*slot] = Some(Value::Borrowed(c));
        }
        for (i, step) in p.steps.iter().enumerate() {
            let ins: Vec<&Tensor> = step
                .inputs
                .iter()
                .map(|&s| {
                    slots[s]
                        .as_ref()
                        .map(Value::get)
                        .expect("schedule computes inputs before use")
                })
                .collect();
            let t0 = p.watch.times.as_ref().map(|_| std::time::Instant::now());
            let outs = perform(i, step, &ins)?;
            if let (Some(tm), Some(t0)) = (&p.watch.times, t0) {
                tm.record(i, t0.elapsed(), StepPath::Interp);
            }
            if let Some(g) = &p.watch.guard {
                for (k, t) in outs.iter().enumerate() {
                    g.check(k, t).map_err(|m| {
                        guard_error(i, step, m, ins.iter().map(|t| t.shape().to_vec()).collect())
                    })?;
                }
            }
            for (&slot, t) in step.outputs.iter().zip(outs) {
                slots[slot] = Some(Value::Owned(t));
            }
            for &slot in &frees[i] {
                slots[slot] = None;
            }
        }
        // Move each result out of its slot at its last mention; copy borrowed ones.
        let mut results = Vec::with_capacity(p.results.len());
        for (k, &s) in p.results.iter().enumerate() {
            let last = !p.results[k + 1..].contains(&s);
            let t = match slots[s].take().expect("results are computed") {
                Value::Owned(t) if last => t,
                Value::Owned(t) => {
                    let c = t.clone();
                    slots[s] = Some(Value::Owned(t));
                    c
                }
                Value::Borrowed(t) => {
                    slots[s] = Some(Value::Borrowed(t));
                    t.clone()
                }
            };
            results.push(t);
        }
        Ok(results)
    }
}
