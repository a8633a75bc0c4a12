//! theano-opt: the graph optimizer.
//!
//! Rewrites are named, tagged, one-line-documented entries of a table ([`REWRITES`]),
//! registered by phase: most are one-line patterns (`(neg (neg ?x)) => ?x`, see [`pattern`]),
//! the rest code rooted at the ops they rewrite. An equilibrium driver applies each phase to
//! a fixpoint with a worklist, offering a node only the rules indexed under its op. The
//! pipeline is the table [`PIPELINE`], in Theano's order: merge, canonicalize (with constant
//! folding), stabilize, specialize, elementwise fusion ([`fusion`], `FastRun` only), each
//! followed by merge, then the in-place pass, and last Theano's `insert_deepcopy`
//! ([`deepcopy`]: outputs aliasing inputs, constants or other outputs are copied). Every
//! replacement carries its rewrite's name;
//! the graph is verified after each phase in debug builds.

mod blas;
mod cancel;
pub mod deepcopy;
mod engine;
pub mod fusion;
mod inner;
mod inplace;
mod lift;
mod merge;
pub mod pattern;
mod reduce;
mod rewrites;
pub mod shape;
mod sigm;
pub mod util;
mod xent;

pub use engine::{equilibrium, OutputsFn, Phase, Report, Rewrite, RewriteFn, Run};
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
    !cfg.excluding.iter().any(|e| rw.is_named(e))
}

/// A pass of the pipeline.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pass {
    /// Merge equal nodes and constants (`optimizer_excluding=merge` skips it).
    Merge,
    /// The phase's rules of [`REWRITES`] and [`FUSION_REWRITES`] (and the rules named in
    /// `also`) to a fixpoint, then merge, pruning and (with `verify`) the verifier.
    Rewrites {
        phase: Phase,
        also: &'static [&'static str],
    },
    /// The in-place pass ([`inplace`]).
    Inplace,
    /// `DeepCopyOp` on the outputs that alias an input, a constant or another output
    /// ([`deepcopy::insert_deepcopy`]).
    DeepCopy,
}

/// One step of the pipeline: a pass, and whether `FastCompile` runs it (with its rules
/// tagged `fast_compile` only).
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub pass: Pass,
    pub fast_compile: bool,
}

/// The optimizer's pipeline, in order (`Level::None` runs nothing).
pub static PIPELINE: &[Step] = &[
    Step {
        pass: Pass::Merge,
        fast_compile: true,
    },
    Step {
        pass: Pass::Rewrites {
            phase: Phase::Canonicalize,
            also: &[],
        },
        fast_compile: true,
    },
    Step {
        pass: Pass::Rewrites {
            phase: Phase::Stabilize,
            also: &["constant_folding"],
        },
        fast_compile: false,
    },
    Step {
        pass: Pass::Rewrites {
            phase: Phase::Specialize,
            also: &["constant_folding"],
        },
        fast_compile: false,
    },
    Step {
        pass: Pass::Rewrites {
            phase: Phase::Fusion,
            also: &["constant_folding"],
        },
        fast_compile: false,
    },
    Step {
        pass: Pass::Inplace,
        fast_compile: false,
    },
    Step {
        pass: Pass::DeepCopy,
        fast_compile: true,
    },
];

/// The rules a rewrite pass runs at `level` (all of them, `FastCompile`: those tagged
/// `fast_compile`), before `optimizer_excluding`.
pub fn phase_rules(phase: Phase, also: &[&str], level: Level) -> Vec<&'static Rewrite> {
    REWRITES
        .iter()
        .chain(FUSION_REWRITES)
        .filter(|r| r.phase == phase || also.contains(&r.name))
        .filter(|r| level == Level::FastRun || r.tags.contains(&"fast_compile"))
        .collect()
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
    for step in PIPELINE {
        if cfg.level == Level::FastCompile && !step.fast_compile {
            continue;
        }
        match step.pass {
            Pass::Merge => {
                if merge_on {
                    merge(fg, cfg.verbose, &mut report);
                    check(fg, "merge")?;
                    lap(&mut report, "merge");
                }
            }
            Pass::Rewrites { phase, also } => {
                let rws: Vec<&Rewrite> = phase_rules(phase, also, cfg.level)
                    .into_iter()
                    .filter(|r| enabled(cfg, r))
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
            Pass::Inplace => {
                inplace(fg, &cfg.mutable, &cfg.excluding, cfg.verbose, &mut report);
                check(fg, "inplace")?;
                lap(&mut report, "inplace");
            }
            Pass::DeepCopy => {
                deepcopy::insert_deepcopy(fg, &cfg.mutable, cfg.verbose);
                check(fg, deepcopy::DEEPCOPY_NAME)?;
                lap(&mut report, deepcopy::DEEPCOPY_NAME);
            }
        }
    }
    Ok(report)
}
