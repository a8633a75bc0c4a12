//! theano-opt: the graph optimizer.
//!
//! Rewrites are named, tagged, one-line-documented entries of a table ([`REWRITES`]),
//! registered by phase; an equilibrium driver applies each phase to a fixpoint with a
//! worklist. The pipeline, in Theano's order: merge, canonicalize (with constant folding),
//! stabilize, specialize, elementwise fusion ([`fusion`], `FastRun` only), each followed by
//! merge, then the in-place pass. Every replacement carries its rewrite's name; the graph is
//! verified after each phase in debug builds.

mod blas;
mod cancel;
mod engine;
pub mod fusion;
mod inplace;
mod lift;
mod merge;
mod rewrites;
pub mod shape;
mod sigm;
pub mod util;
mod xent;

pub use engine::{equilibrium, Phase, Report, Rewrite, RewriteFn};
pub use fusion::{FUSION_REWRITES, MAX_FUSED_INPUTS, MAX_FUSED_INSTRS};
pub use inplace::{inplace, DestroyHandler, INPLACE_NAMES};
pub use merge::merge;
pub use rewrites::REWRITES;
pub use shape::{infer_dims, infer_shape, ShapeEntry, Sym, SymArgs};

use theano_ir::fgraph::{FunctionGraph, VerifyError};

/// How much to rewrite.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
    /// No rewriting at all.
    None,
    /// Merge and constant folding only.
    FastCompile,
    /// Every phase.
    FastRun,
}

/// Optimizer settings (from `Mode`).
#[derive(Clone, Debug)]
pub struct Config {
    pub level: Level,
    /// Rewrite names or tags to skip (`optimizer_excluding`).
    pub excluding: Vec<String>,
    /// Print each rewrite applied to stderr (`optimizer_verbose`).
    pub verbose: bool,
    /// Run the IR verifier after each phase (always in debug builds).
    pub verify: bool,
    /// The shared variables (their values in the graph) the function updates: the in-place
    /// pass may overwrite them once every other reader has run.
    pub mutable: Vec<theano_ir::fgraph::Value>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            level: Level::FastRun,
            excluding: vec![],
            verbose: false,
            verify: cfg!(debug_assertions),
            mutable: vec![],
        }
    }
}

/// Every name `optimizer_excluding` matches: each rewrite's name and tags, `merge`, and the
/// in-place pass's names ([`inplace::INPLACE_NAMES`]). A name outside it would exclude
/// nothing, so the facade refuses it.
pub fn excludable_names() -> Vec<&'static str> {
    let mut v = vec!["merge"];
    v.extend_from_slice(inplace::INPLACE_NAMES);
    for r in REWRITES.iter().chain(FUSION_REWRITES) {
        v.push(r.name);
        v.extend_from_slice(r.tags);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// A phase left the graph invalid: a bug in a rewrite.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the graph is invalid after the {phase} phase: {error}")]
pub struct OptError {
    pub phase: &'static str,
    pub error: VerifyError,
}

fn enabled(cfg: &Config, rw: &Rewrite) -> bool {
    !cfg.excluding
        .iter()
        .any(|e| e == rw.name || rw.tags.contains(&e.as_str()))
}

/// Optimize `fg` in place.
pub fn optimize(fg: &mut FunctionGraph, cfg: &Config) -> Result<Report, OptError> {
    let mut report = Report::default();
    if cfg.level == Level::None {
        return Ok(report);
    }
    let check = |fg: &FunctionGraph, phase: &'static str| -> Result<(), OptError> {
        if cfg.verify {
            fg.verify().map_err(|error| OptError { phase, error })?;
        }
        Ok(())
    };
    let merge_on = !cfg.excluding.iter().any(|e| e == "merge");
    let mut clock = std::time::Instant::now();
    let mut lap = |report: &mut Report, phase: &'static str| {
        let now = std::time::Instant::now();
        report.phase_times.push((phase, now - clock));
        clock = now;
    };
    if merge_on {
        merge(fg, cfg.verbose, &mut report);
        check(fg, "merge")?;
        lap(&mut report, "merge");
    }
    let phases: &[Phase] = match cfg.level {
        Level::FastCompile => &[Phase::Canonicalize],
        _ => &[
            Phase::Canonicalize,
            Phase::Stabilize,
            Phase::Specialize,
            Phase::Fusion,
        ],
    };
    for &phase in phases {
        let rws: Vec<&Rewrite> = REWRITES
            .iter()
            .chain(FUSION_REWRITES)
            .filter(|r| (r.phase == phase || r.name == "constant_folding") && enabled(cfg, r))
            .filter(|r| cfg.level == Level::FastRun || r.tags.contains(&"fast_compile"))
            .collect();
        equilibrium(fg, &rws, cfg.verbose, &mut report);
        if phase == Phase::Fusion {
            // fusion nests each absorbed composite; the phase's result is flat
            fusion::flatten_composites(fg);
        }
        if merge_on {
            merge(fg, cfg.verbose, &mut report);
        }
        fg.remove_unused();
        check(fg, phase.name())?;
        lap(&mut report, phase.name());
    }
    if cfg.level == Level::FastRun {
        inplace(fg, &cfg.mutable, &cfg.excluding, cfg.verbose, &mut report);
        check(fg, "inplace")?;
        lap(&mut report, "inplace");
    }
    Ok(report)
}
