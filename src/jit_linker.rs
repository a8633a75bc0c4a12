//! The Cranelift backend: every `Elemwise` step (single scalar ops and fused composites)
//! whose op and dtypes theano-jit lowers runs as native code; every other step, and any
//! step the JIT refuses, runs through the interpreter. One `KernelSet` (one `JITModule`)
//! per linked program, freed with it.

use crate::error::NodeError;
use crate::linker::{frees_of, interp_step, run_schedule, Executable, Linker, Program};
use std::path::PathBuf;
use theano_ir::{Op, Tensor};
use theano_jit::KernelSet;

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
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, crate::Error> {
        // the kernel text is kept (for `Function::dump_ir`/`dump_asm`) exactly when a dump asks
        let keep = self.dump_clif || self.dump_asm;
        let mut ks = KernelSet::new(keep)
            .map_err(|e| crate::Error::Unsupported(format!("linker=jit: {e}")))?;
        let mut kernels = Vec::with_capacity(program.steps.len());
        for step in &program.steps {
            let k = match &step.op {
                Op::Elemwise { scalar, .. } if step.out_types.len() == 1 => {
                    let dts: Vec<_> = step.input_types.iter().map(|t| t.dtype).collect();
                    let scal: Vec<bool> = step
                        .input_types
                        .iter()
                        .map(|t| (0..t.ndim()).all(|d| t.is_broadcastable(d)))
                        .collect();
                    ks.add(scalar, &dts, &scal, step.out_types[0].dtype).ok()
                }
                _ => None,
            };
            kernels.push(k);
        }
        ks.finalize()
            .map_err(|e| crate::Error::Unsupported(format!("linker=jit: {e}")))?;
        let exe = JitProgram {
            frees: frees_of(&program),
            program,
            kernels,
            ks,
        };
        if self.dump_clif || self.dump_asm {
            let n = crate::dump::next_id();
            for (on, ext, text) in [
                (self.dump_clif, "clif", exe.dump_clif()),
                (self.dump_asm, "asm", exe.dump_asm()),
            ] {
                if on {
                    crate::dump::write(self.dump_dir.as_deref(), "jit", n, ext, &text)?;
                }
            }
        }
        Ok(Box::new(exe))
    }
}

struct JitProgram {
    program: Program,
    frees: Vec<Vec<usize>>,
    /// The kernel of each step, when it has one.
    kernels: Vec<Option<usize>>,
    ks: KernelSet,
}

impl Executable for JitProgram {
    fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        run_schedule(&self.program, &self.frees, args, |i, step, ins| {
            if let Some(k) = self.kernels[i] {
                // shapes and dtypes are checked before the kernel runs; on a refusal the
                // interpreter computes the value or reports the error in its words
                if let Ok(t) = self.ks.run(k, ins) {
                    return Ok(vec![t]);
                }
            }
            interp_step(i, step, ins)
        })
    }
    fn dump_clif(&self) -> String {
        self.ks.kernels().iter().map(|k| k.clif.as_str()).collect()
    }
    fn dump_asm(&self) -> String {
        self.ks.kernels().iter().map(|k| k.asm.as_str()).collect()
    }
}
