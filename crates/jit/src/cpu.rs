//! The CPU features native code may use: what the host has (detected at run time), capped by
//! `THEANO_JIT_CPU` (read once): `native` (the default: everything detected), `avx2` (no
//! AVX-512: the AVX2+FMA loops, no wide helpers, and Cranelift told the host has no AVX-512),
//! or `baseline` (x86-64's SSE2 only: portable loops, Cranelift's baseline ISA, which has no
//! FMA, so the transcendentals become calls to the Rust helpers).
//!
//! The cap is how a machine without AVX-512 (or without AVX2 and FMA) is tested on one that
//! has them: tests/numpy_cases_jit.rs and tests/jit_differential.rs re-run themselves under
//! each cap. The `gemm` crate does its own detection and is not capped.

use std::sync::OnceLock;

/// A level of x86-64 features, ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CpuLevel {
    /// SSE2 (every x86-64 CPU; any other architecture).
    Baseline,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 F, DQ and VL, with AVX2 and FMA.
    Avx512,
}

/// What the host has.
pub fn detected() -> CpuLevel {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        if avx2
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512vl")
        {
            return CpuLevel::Avx512;
        }
        if avx2 {
            return CpuLevel::Avx2;
        }
    }
    CpuLevel::Baseline
}

/// The cap `THEANO_JIT_CPU` asks for, read once per process (so every user of the level sees
/// the same): `Ok(None)` when unset or `native`, an error naming the variable, its value and
/// the accepted ones otherwise.
pub fn cap_from_env() -> Result<Option<CpuLevel>, String> {
    static CAP: OnceLock<Result<Option<CpuLevel>, String>> = OnceLock::new();
    CAP.get_or_init(read_cap).clone()
}

fn read_cap() -> Result<Option<CpuLevel>, String> {
    match std::env::var("THEANO_JIT_CPU") {
        Err(_) => Ok(None),
        Ok(v) => match v.as_str() {
            "" | "native" => Ok(None),
            "avx512" => Ok(Some(CpuLevel::Avx512)),
            "avx2" => Ok(Some(CpuLevel::Avx2)),
            "baseline" => Ok(Some(CpuLevel::Baseline)),
            _ => Err(format!(
                "THEANO_JIT_CPU={v:?}: expected one of native, avx512, avx2, baseline"
            )),
        },
    }
}

/// The level native code uses: [`detected`] capped by `THEANO_JIT_CPU` (an unreadable value
/// caps nothing here; [`crate::KernelSet::new`] reports it as an error).
pub fn level() -> CpuLevel {
    static LEVEL: OnceLock<CpuLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let d = detected();
        match cap_from_env() {
            Ok(Some(c)) => d.min(c),
            _ => d,
        }
    })
}
