//! The seam every backend implements: a [`Linker`] links a [`Program`] into an
//! [`Executable`], which runs it; and what every executable shares (the update check and the
//! all-or-nothing commit on top of [`Executable::run`], the slots' lifetimes).

use crate::program::{Arg, OutSink, Program};
use crate::NodeError;
use theano_ir::{Tensor, TensorType};

/// Which text of the generated code [`Executable::dump`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeDump {
    /// The kernels' intermediate form (Cranelift IR for the CPU backend, PTX for a GPU).
    Ir,
    /// The kernels' machine code.
    Asm,
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
pub fn check_update(
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
pub fn call_by_run(
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
    /// The text of the generated kernels: their IR (Cranelift IR, PTX) or their machine
    /// code, as the backend has it (empty for backends that generate none).
    fn dump(&self, what: CodeDump) -> String {
        let _ = what;
        String::new()
    }
    /// How each step is linked, for the profile: `jit kernel`, `BLAS`, `view`, `interpreter`
    /// (a fallback where the backend compiles most steps).
    fn step_linkers(&self) -> Vec<&'static str>;
}

/// A backend: turns a [`Program`] into something that runs it.
pub trait Linker {
    /// The name `linker=` selects it by (`interp`, `jit`, ...).
    fn name(&self) -> &'static str;
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, LinkError>;
}

/// Why a backend could not link a program (it names the backend and the reason).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("linker={linker}: {message}")]
pub struct LinkError {
    pub linker: &'static str,
    pub message: String,
}
