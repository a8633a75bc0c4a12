//! The interpreter linker: every step through `theano_interp::perform`, the reference every
//! other backend is checked against, and the fallback of any step a backend does not lower.

use crate::linker::{call_by_run, slot_frees, Executable, LinkError, Linker, RunError};
use crate::program::{Arg, OutSink, Program, Step, StepPath};
use crate::NodeError;
use theano_ir::Tensor;

/// The reference interpreter: runs each step with `theano_interp::perform`.
pub struct InterpLinker;

impl Linker for InterpLinker {
    fn name(&self) -> &'static str {
        "interp"
    }
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, LinkError> {
        let order: Vec<usize> = (0..program.steps.len()).collect();
        let frees = slot_frees(&program, &order, |_| false);
        Ok(Box::new(InterpProgram { program, frees }))
    }
}

/// Run `step` with the interpreter, errors naming the node. A lazy `IfElse` (one with
/// [`crate::Branches`]) runs the branch its condition picks, each of its steps by this
/// function, and nothing of the other.
#[inline]
pub fn interp_step(i: usize, step: &Step, ins: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
    if let Some(b) = &step.branches {
        return run_branch(i, step, b, ins);
    }
    theano_interp::perform(&step.op, ins, &step.out_types)
        .map_err(|e| step_error(i, step, e.to_string(), shapes_of(ins)))
}

fn shapes_of(ins: &[&Tensor]) -> Vec<Vec<usize>> {
    ins.iter().map(|t| t.shape().to_vec()).collect()
}

/// A lazy `IfElse`: the picked branch's program on its arguments (the step's inputs after
/// the condition: the true branch's, then the false branch's).
fn run_branch(
    i: usize,
    step: &Step,
    b: &crate::Branches,
    ins: &[&Tensor],
) -> Result<Vec<Tensor>, NodeError> {
    let error = |message: String| step_error(i, step, message, shapes_of(ins));
    let (cond, args) = ins
        .split_first()
        .ok_or_else(|| error("no condition".into()))?;
    let truth = theano_interp::ifelse_truth(cond).map_err(|e| error(e.to_string()))?;
    let (k, args) = if truth {
        (0, &args[..b.split()])
    } else {
        (1, &args[b.split()..])
    };
    if let Some(linked) = &b.linked {
        return linked[k].run(args);
    }
    let p = &b.programs[k];
    let order: Vec<usize> = (0..p.steps.len()).collect();
    let frees = slot_frees(p, &order, |_| false);
    run_schedule(p, &frees, args, interp_step)
}

/// The error of step `i` (its node, types, the shapes it was given, where it was built):
/// a refusal of the interpreter, of a lazy branch, or of `NanGuardMode`.
pub fn step_error(
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
pub fn run_schedule(
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
                        step_error(i, step, m, ins.iter().map(|t| t.shape().to_vec()).collect())
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
