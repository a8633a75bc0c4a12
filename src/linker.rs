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
            let outs = perform(i, step, &ins)?;
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
