//! The Cranelift backend: every `Elemwise` step (single scalar ops and fused composites)
//! whose op and dtypes theano-jit lowers runs as a native kernel, as does every op
//! `theano_jit::native_kernel` covers (multi-output ones included), `Shape`/`Shape_i` and
//! `DeepCopyOp` (the identity kernel: one copy, from any layout); DimShuffle, Reshape and
//! Flatten become views; every other step, and any step a kernel refuses, runs through the
//! interpreter. The program runs on the runtime of `runtime.rs`. One `KernelSet` (one
//! `JITModule`) per linked program, freed with it.

use crate::runtime::{Runtime, ShapeKernel};
use crate::KernelSet;
use crate::NativeKernel;
use std::collections::HashMap;
use std::path::PathBuf;
use theano_exec::{
    select_lowering, Arg, CodeDump, Executable, LinkError, Linker, Lowerer, Lowering, NodeError,
    OutSink, Program, RunError, Step,
};
use theano_ir::{DType, Op, ScalarOp, Tensor};

/// Links a program with theano-jit.
pub struct JitLinker {
    /// Print (or write under `dump_dir`) each kernel's Cranelift IR.
    pub dump_clif: bool,
    /// Print (or write under `dump_dir`) each kernel's machine code.
    pub dump_asm: bool,
    /// Where dumps go (stderr when `None`).
    pub dump_dir: Option<PathBuf>,
}

impl Linker for JitLinker {
    fn name(&self) -> &'static str {
        "jit"
    }
    /// A loop's body becomes JIT code of its own, as the function does.
    fn links_inner_graphs(&self) -> bool {
        true
    }
    fn link(&self, mut program: Program) -> Result<Box<dyn Executable>, LinkError> {
        // a lazy IfElse's branches become JIT programs of their own, run when picked
        theano_exec::linker::link_branches(&mut program, self)?;
        // the kernel text is kept (for `Function::dump_ir`/`dump_asm`) exactly when a dump asks
        let keep = self.dump_clif || self.dump_asm;
        let mut ks = KernelSet::new(keep).map_err(link_error)?;
        let mut elemwise = Vec::with_capacity(program.steps.len());
        // one kernel per distinct (scalar program, input dtypes, scalar flags, output dtype):
        // repeated elementwise nodes share their code, so it is compiled once
        let mut seen: HashMap<(ScalarOp, Vec<DType>, Vec<bool>, DType), Option<Compiled>> =
            HashMap::new();
        for step in &program.steps {
            // a DeepCopyOp is the identity elementwise kernel: one copy, from whatever view
            // its input is, into the output's buffer
            let copy = ScalarOp::Identity;
            let k = match &step.op {
                Op::Elemwise { .. } | Op::DeepCopy if step.out_types.len() == 1 => {
                    let scalar = match &step.op {
                        Op::Elemwise { scalar, .. } => scalar,
                        _ => &copy,
                    };
                    let dts: Vec<_> = step.input_types.iter().map(|t| t.dtype).collect();
                    let scal: Vec<bool> = step
                        .input_types
                        .iter()
                        .map(|t| (0..t.ndim()).all(|d| t.is_broadcastable(d)))
                        .collect();
                    let out = step.out_types[0].dtype;
                    *seen
                        .entry((scalar.clone(), dts, scal, out))
                        .or_insert_with_key(|(_, dts, scal, _)| {
                            ks.add(scalar, dts, scal, out).ok().map(Compiled::Elemwise)
                        })
                }
                // reductions, softmax, argmax and the crossentropy ops: loops generated into
                // the same module (theano_jit::KernelSet::add_native)
                _ => ks
                    .add_native(&step.op, &step.input_types, &step.out_types)
                    .ok()
                    .map(Compiled::Native),
            };
            elemwise.push(k);
        }
        ks.finalize().map_err(link_error)?;
        // the kernels, in the order this backend prefers them; exec's cascade keeps the first
        // that fits the step and falls back to a view or the interpreter
        let mut made = Vec::with_capacity(program.steps.len());
        for (step, k) in program.steps.iter().zip(&elemwise) {
            made.push(match k {
                Some(Compiled::Elemwise(k)) => Some(Box::new(
                    ks.elemwise(*k, step.op.destroyed_input())
                        .map_err(link_error)?,
                ) as Box<dyn NativeKernel>),
                Some(Compiled::Native(k)) => Some(ks.native(*k).map_err(link_error)?),
                None => None,
            });
        }
        let made = std::cell::RefCell::new(made);
        let compiled = |i: usize, _: &Step| made.borrow_mut()[i].take();
        let shape = |_: usize, step: &Step| -> Option<Box<dyn NativeKernel>> {
            match step.op {
                Op::ShapeI(i) => Some(Box::new(ShapeKernel { axis: Some(i) })),
                Op::Shape => Some(Box::new(ShapeKernel { axis: None })),
                _ => None,
            }
        };
        let native = |_: usize, step: &Step| {
            crate::native_kernel(&step.op, &step.input_types, &step.out_types)
        };
        let lowerers: [Lowerer<'_>; 3] = [&compiled, &shape, &native];
        let kinds: Vec<Lowering> = program
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| select_lowering(i, step, &lowerers))
            .collect();
        let exe = JitProgram {
            runtime: Runtime::new(program, kinds),
            ks,
        };
        if self.dump_clif || self.dump_asm {
            let n = theano_exec::dump::next_id();
            for (on, ext, text) in [
                (self.dump_clif, "clif", exe.dump(CodeDump::Ir)),
                (self.dump_asm, "asm", exe.dump(CodeDump::Asm)),
            ] {
                if on {
                    theano_exec::dump::write(self.dump_dir.as_deref(), "jit", n, ext, &text)
                        .map_err(link_error)?;
                }
            }
        }
        Ok(Box::new(exe))
    }
}

fn link_error(e: impl std::fmt::Display) -> LinkError {
    LinkError {
        linker: "jit",
        message: e.to_string(),
    }
}

/// What the first pass compiled for a step: an elementwise kernel (shared between equal
/// steps) or a generated native kernel, by index in the set.
#[derive(Clone, Copy)]
enum Compiled {
    Elemwise(usize),
    Native(usize),
}

struct JitProgram {
    runtime: Runtime,
    /// The kernels' module (their code lives until the runtime's kernels are dropped too).
    ks: KernelSet,
}

impl Executable for JitProgram {
    fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        self.runtime.run(args)
    }
    fn call(&self, args: &mut [Arg<'_>], out: OutSink<'_>) -> Result<(), RunError> {
        self.runtime.call(args, out)
    }
    fn dump(&self, what: CodeDump) -> String {
        match what {
            CodeDump::Ir => self.ks.clif_text(),
            CodeDump::Asm => self.ks.asm_text(),
        }
    }
    fn step_linkers(&self) -> Vec<&'static str> {
        self.runtime.step_linkers()
    }
}
