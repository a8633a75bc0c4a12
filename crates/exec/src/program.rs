//! The backend-neutral form of a compiled function: a [`Program`], a linear schedule of
//! [`Step`]s over numbered storage slots, with what the caller observes of each step
//! ([`Watch`]: `profile=True`'s times, `mode=NanGuardMode`'s checks), and the arguments and
//! output sinks of a call.

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
    /// For an `IfElse` step, the two lazy branches: its inputs are then the condition, the
    /// true branch's arguments and the false branch's, and a call runs only the branch the
    /// condition picks (see [`Branches`]).
    pub branches: Option<Arc<Branches>>,
}

/// The branches of a lazy `IfElse` step: each a [`Program`] over the same slot numbering as
/// the program holding the step, whose steps are the nodes only that branch needs, whose
/// arguments are the slots it reads that are computed outside it, and whose results are the
/// branch's values. `interp_step` (every backend's fallback) runs the picked one: as linked
/// by the backend when it linked them ([`crate::linker::link_branches`]), else in the
/// interpreter.
#[derive(Clone)]
pub struct Branches {
    /// `[true branch, false branch]`
    pub programs: [Program; 2],
    /// The programs as a backend linked them, if it did.
    pub linked: Option<Arc<[Box<dyn crate::Executable>; 2]>>,
}

impl std::fmt::Debug for Branches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Branches")
            .field("programs", &self.programs)
            .field("linked", &self.linked.is_some())
            .finish()
    }
}

impl Branches {
    /// How many of the step's inputs after the condition are the true branch's arguments.
    pub fn split(&self) -> usize {
        self.programs[0].args.len()
    }
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
    /// The step's own host code, as the backend planned it: a loop running the body the
    /// backend compiled, lazy branches running theirs (not a fallback).
    Host,
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
    #[inline]
    pub fn get(&self) -> &Tensor {
        match self {
            Arg::Read(t) => t,
            Arg::Update(t) => t,
        }
    }
}

/// A shared variable's storage as [`crate::Executable::call_cells`] is given it: the cell's
/// value (on the host, in a backend's memory, or both) and whether the call updates it.
pub struct CellArg<'a> {
    pub value: &'a mut theano_ir::CellValue,
    pub update: bool,
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
    #[inline]
    pub fn put(&mut self, k: usize, t: Tensor) {
        match self {
            OutSink::Push(v) => v.push(t),
            OutSink::Into(d) => d[k] = t,
        }
    }
}
