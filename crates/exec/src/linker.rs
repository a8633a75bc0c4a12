//! The seam every backend implements: a [`Linker`] links a [`Program`] into an
//! [`Executable`], which runs it; and what every executable shares (the update protocol,
//! checked then committed all or nothing, over any backend's [`Results`]; the slots'
//! lifetimes).

use crate::program::{Arg, CellArg, OutSink, Program};
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
    /// Shared variable `cell` (an index into the call's cells) could not be copied between
    /// a device and the host.
    Transfer {
        cell: usize,
        message: String,
    },
}

/// [`Executable::call`] on top of [`Executable::run`]: every result computed into a fresh
/// tensor, then [`commit`]ted.
#[inline]
pub fn call_by_run(
    exe: &dyn Executable,
    p: &Program,
    args: &mut [Arg<'_>],
    out: OutSink<'_>,
) -> Result<(), RunError> {
    let refs: smallvec::SmallVec<[&Tensor; 12]> = args.iter().map(Arg::get).collect();
    let results = exe.run(&refs).map_err(RunError::Node)?;
    drop(refs);
    commit(results, p.n_outputs, &p.updates, &p.arg_types, args, out)
}

/// A backend's computed results (the outputs, then one value per update), as the update
/// protocol ([`commit_with`]) reads and moves them. `args` are the call's arguments.
pub trait Results {
    /// Whether update value `j` fits its target's type `ty`; the reason when it does not.
    fn check_update(&self, args: &[Arg<'_>], j: usize, ty: &TensorType) -> Result<(), String>;
    /// Deliver output `k` to `out` (moved when no later result names the same value).
    fn put_output(&mut self, args: &[Arg<'_>], k: usize, out: &mut OutSink<'_>);
    /// Make update value `j` independent of every argument other than its own target `a`
    /// (an update may read a variable another update replaces).
    fn detach_update(&mut self, args: &[Arg<'_>], j: usize, a: usize);
    /// Move update value `j` into its target `dst` (nothing to do when it was written there).
    fn apply_update(&mut self, j: usize, dst: &mut Tensor);
}

/// The update protocol, all or nothing, written once for every backend: update `j`
/// replaces argument `updates[j]` (an [`Arg::Update`]) of type `arg_types[updates[j]]`.
/// Every update value is checked against its target's type first (unless the backend
/// `checked` them already, before a destructive tail); only when all pass are the outputs
/// delivered (they may read the old values), the update values detached from the
/// arguments, and then moved in. On an error nothing is written.
#[inline]
pub fn commit_with(
    r: &mut impl Results,
    checked: bool,
    updates: &[usize],
    arg_types: &[TensorType],
    args: &mut [Arg<'_>],
    n_outputs: usize,
    mut out: OutSink<'_>,
) -> Result<(), RunError> {
    if !checked {
        for (j, &a) in updates.iter().enumerate() {
            r.check_update(args, j, &arg_types[a])
                .map_err(|message| RunError::Update { update: j, message })?;
        }
    }
    for k in 0..n_outputs {
        r.put_output(args, k, &mut out);
    }
    for (j, &a) in updates.iter().enumerate() {
        r.detach_update(args, j, a);
    }
    for (j, &a) in updates.iter().enumerate() {
        if let Arg::Update(dst) = &mut args[a] {
            r.apply_update(j, dst);
        }
    }
    Ok(())
}

/// Results computed into fresh tensors (the interpreter's, DebugMode's).
struct Fresh {
    values: Vec<Option<Tensor>>,
    n_outputs: usize,
}

impl Results for Fresh {
    fn check_update(&self, _: &[Arg<'_>], j: usize, ty: &TensorType) -> Result<(), String> {
        let v = self.values[self.n_outputs + j]
            .as_ref()
            .expect("checked before it is moved");
        ty.check_value(v.dtype(), v.shape())
    }
    fn put_output(&mut self, _: &[Arg<'_>], k: usize, out: &mut OutSink<'_>) {
        out.put(k, self.values[k].take().expect("delivered once"));
    }
    fn detach_update(&mut self, _: &[Arg<'_>], _: usize, _: usize) {}
    fn apply_update(&mut self, j: usize, dst: &mut Tensor) {
        *dst = self.values[self.n_outputs + j]
            .take()
            .expect("applied once");
    }
}

/// [`commit_with`] over `results`, fresh tensors: the outputs (the first `n_outputs`), then
/// one value per update.
#[inline]
pub fn commit(
    results: Vec<Tensor>,
    n_outputs: usize,
    updates: &[usize],
    arg_types: &[TensorType],
    args: &mut [Arg<'_>],
    out: OutSink<'_>,
) -> Result<(), RunError> {
    let mut r = Fresh {
        values: results.into_iter().map(Some).collect(),
        n_outputs,
    };
    commit_with(&mut r, false, updates, arg_types, args, n_outputs, out)
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
    /// [`Executable::call`] given the shared variables' storage itself (`cells`, the
    /// arguments after `inputs`). By default every value is brought to the host (copied back
    /// where a device holds a newer one; an updated cell's device copy dropped) and `call`
    /// runs; a backend with its own memory overrides it to keep the values there between
    /// calls ([`theano_ir::Mirror`]).
    fn call_cells(
        &self,
        inputs: &[&Tensor],
        cells: &mut [CellArg<'_>],
        out: OutSink<'_>,
    ) -> Result<(), RunError> {
        let mut args = host_args(inputs, cells)?;
        self.call(&mut args, out)
    }
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

/// The arguments of [`Executable::call`] from `inputs` and the shared variables' `cells`,
/// every value on the host: copied back where a device holds a newer one, and an updated
/// cell's device copy dropped (the host value is the one that will change).
pub fn host_args<'a>(
    inputs: &[&'a Tensor],
    cells: &'a mut [CellArg<'_>],
) -> Result<smallvec::SmallVec<[Arg<'a>; 12]>, RunError> {
    let mut args: smallvec::SmallVec<[Arg<'a>; 12]> =
        inputs.iter().map(|&t| Arg::Read(t)).collect();
    for (cell, c) in cells.iter_mut().enumerate() {
        let transfer = |message| RunError::Transfer { cell, message };
        args.push(if c.update {
            Arg::Update(c.value.host_mut().map_err(transfer)?)
        } else {
            Arg::Read(c.value.host().map_err(transfer)?)
        });
    }
    Ok(args)
}

/// A backend: turns a [`Program`] into something that runs it.
pub trait Linker {
    /// The name `linker=` selects it by (`interp`, `jit`, ...).
    fn name(&self) -> &'static str;
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, LinkError>;
    /// Whether the driver should link the inner graphs of the program's custom ops (a
    /// loop's body) with this linker too (`CustomOp::with_runners`). `false` (the default):
    /// they keep their interpreted programs, as on a backend whose values would have to
    /// cross to the host for each step anyway.
    fn links_inner_graphs(&self) -> bool {
        false
    }
}

/// An [`Executable`] as the runner of an op's inner graph ([`theano_ir::InnerRunner`]): a
/// loop's body linked by a backend.
pub struct ExecRunner {
    pub exe: Box<dyn Executable>,
    /// the linker that linked it
    pub linker: &'static str,
}

impl theano_ir::InnerRunner for ExecRunner {
    fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        self.exe.run(args).map_err(|e| e.to_string())
    }
    fn linker(&self) -> &'static str {
        self.linker
    }
}

/// Links the branch programs of every lazy `IfElse` step of `program` with `linker` (nested
/// ones through the linker's own call of this function), so that `interp_step` runs the
/// picked branch as the backend's code rather than in the interpreter.
pub fn link_branches(program: &mut Program, linker: &dyn Linker) -> Result<(), LinkError> {
    for step in &mut program.steps {
        let Some(b) = step.branches.clone() else {
            continue;
        };
        let [t, f] = b.programs.clone();
        let linked = [linker.link(t)?, linker.link(f)?];
        step.branches = Some(std::sync::Arc::new(crate::Branches {
            programs: b.programs.clone(),
            linked: Some(std::sync::Arc::new(linked)),
        }));
    }
    Ok(())
}

/// Why a backend could not link a program (it names the backend and the reason).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("linker={linker}: {message}")]
pub struct LinkError {
    pub linker: &'static str,
    pub message: String,
}

/// When each computed slot dies, for a program run in `order` (step indices): per position in
/// `order`, the slots to free right after that step. A slot lives until its last reader runs,
/// or until its producer has run when nothing reads it; the inputs of a step for which
/// `keeps_inputs` holds (a view of its input's storage) live as long as its output; results
/// live for the whole call. Argument and constant slots are never freed (the call does not
/// own them).
pub fn slot_frees(
    p: &Program,
    order: &[usize],
    keeps_inputs: impl Fn(usize) -> bool,
) -> Vec<Vec<usize>> {
    let n = p.n_slots;
    let mut produced_at: Vec<Option<usize>> = vec![None; n];
    let mut last_use: Vec<Option<usize>> = vec![None; n];
    for (k, &i) in order.iter().enumerate() {
        for &s in &p.steps[i].inputs {
            last_use[s] = Some(k);
        }
        for &s in &p.steps[i].outputs {
            produced_at[s] = Some(k);
        }
    }
    for &r in &p.results {
        last_use[r] = Some(usize::MAX);
    }
    for &i in order.iter().rev() {
        if keeps_inputs(i) {
            for &o in &p.steps[i].outputs {
                let v = last_use[o];
                for &x in &p.steps[i].inputs {
                    last_use[x] = last_use[x].max(v);
                }
            }
        }
    }
    let mut frees = vec![Vec::new(); order.len()];
    for s in 0..n {
        let Some(k0) = produced_at[s] else { continue };
        let k = last_use[s].unwrap_or(k0);
        if k != usize::MAX {
            frees[k].push(s);
        }
    }
    frees
}
