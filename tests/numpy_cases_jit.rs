//! The numpy cases (crates/interp/tests/gen/numpy_case_table.rs, values computed by numpy) on the
//! JIT linker: each case's op is applied to symbolic inputs of its values' types (a length-1
//! dimension declared broadcastable), compiled through the facade with `linker=jit`, once with
//! the fast_run optimizer and once unoptimized (the op's own kernel or fallback), called on the
//! case's values (transposed, flipped and strided views included) and compared with numpy's:
//! dtype and shape exactly, integers and booleans exactly, floats NaN where NaN, infinities
//! exactly, elementwise results within 8 ulp (the JIT's transcendentals are within 4 ulp of
//! libm, docs/JIT.md), reductions, dot and the rest within rtol 1e-12 (float64) and 1e-5
//! (float32).

#[path = "../crates/interp/tests/common/mod.rs"]
mod interp_common;

mod common {
    pub use super::interp_common::{ab, af, ai, every2, flip, tr};
    use std::panic::Location;
    use theano::{compile, DType, LinkerKind, Mode, OnUnused, OptimizerLevel, Tensor};
    use theano_ir::{ApplyRef, Op, TensorType, Variable};

    fn close(got: &Tensor, want: &Tensor, ulps: Option<f64>) -> Result<(), String> {
        if got.dtype() != want.dtype() || got.shape() != want.shape() {
            return Err("dtype or shape".into());
        }
        if !got.dtype().is_float() {
            return if got.to_i64_vec() == want.to_i64_vec() {
                Ok(())
            } else {
                Err("integers".into())
            };
        }
        let f32 = got.dtype() == DType::Float32;
        let rtol = match (ulps, f32) {
            (Some(u), true) => u * f32::EPSILON as f64,
            (Some(u), false) => u * f64::EPSILON,
            (None, true) => 1e-5,
            (None, false) => 1e-12,
        };
        let tiny = if f32 {
            f32::MIN_POSITIVE as f64
        } else {
            f64::MIN_POSITIVE
        };
        for (e, (x, y)) in got
            .to_f64_vec()
            .into_iter()
            .zip(want.to_f64_vec())
            .enumerate()
        {
            let ok = if x.is_nan() || y.is_nan() {
                x.is_nan() && y.is_nan()
            } else if x.is_infinite() || y.is_infinite() {
                x == y
            } else {
                (x - y).abs() <= tiny + rtol * y.abs()
            };
            if !ok {
                return Err(format!("element {e}: {x:e} vs {y:e} (rtol {rtol:e})"));
            }
        }
        Ok(())
    }

    /// Compile `op` applied to inputs of `ins`' types on the JIT linker (fast_run and
    /// unoptimized) and compare its outputs on `ins` with `want`.
    #[track_caller]
    pub fn check(op: &Op, ins: &[&Tensor], want: &[Tensor]) {
        let vars: Vec<Variable> = ins
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let bc: Vec<bool> = t.shape().iter().map(|&d| d == 1).collect();
                theano::tensor::input(TensorType::new(t.dtype(), &bc).unwrap(), &format!("x{i}"))
            })
            .collect();
        // an elemwise op's inputs of lower rank are padded on the left (numpy's broadcasting,
        // which `perform` applies and the IR spells as a DimShuffle, as the builders do)
        let nd = vars.iter().map(Variable::ndim).max().unwrap_or(0);
        let operands: Vec<Variable> = match op {
            Op::Elemwise { .. } => vars
                .iter()
                .map(|v| {
                    let pad = nd - v.ndim();
                    let order: Vec<Option<usize>> = std::iter::repeat_n(None, pad)
                        .chain((0..v.ndim()).map(Some))
                        .collect();
                    v.dimshuffle(&order).unwrap()
                })
                .collect(),
            _ => vars.clone(),
        };
        let node = ApplyRef::create(op.clone(), operands, Location::caller())
            .unwrap_or_else(|e| panic!("{op}: make_node: {e}"));
        let outs = node.outputs();
        let ulps = matches!(op, Op::Elemwise { .. }).then_some(8.0);
        let args: Vec<Tensor> = ins.iter().map(|t| (*t).clone()).collect();
        for optimizer in [OptimizerLevel::FastRun, OptimizerLevel::None] {
            let refs: Vec<&Variable> = vars.iter().collect();
            let f = compile(&refs, outs.clone())
                .mode(Mode {
                    linker: LinkerKind::Jit,
                    optimizer,
                    ..Mode::default()
                })
                .on_unused_input(OnUnused::Ignore)
                .build()
                .unwrap_or_else(|e| panic!("{op} ({optimizer:?}): compile: {e}"));
            let got = f
                .call(&args)
                .unwrap_or_else(|e| panic!("{op} ({optimizer:?}): unexpected error: {e}"));
            assert_eq!(got.len(), want.len(), "{op}: number of outputs");
            for (k, (g, w)) in got.iter().zip(want).enumerate() {
                if let Err(e) = close(g, w, ulps) {
                    panic!(
                        "{op} ({optimizer:?}) output {k}: {e}\n  got  {g:?}\n  want {w:?}\n{}",
                        f.dump_ir()
                    );
                }
            }
        }
    }
}

#[path = "../crates/interp/tests/gen/numpy_case_table.rs"]
mod cases;

/// The native code at the level `THEANO_JIT_CPU` caps it to (a child run of the test below).
#[test]
fn cpu_level_follows_the_cap() {
    use theano_jit::cpu::{cap_from_env, detected, level, CpuLevel};
    let want = match cap_from_env().unwrap() {
        Some(c) => detected().min(c),
        None => detected(),
    };
    assert_eq!(level(), want);
    // without FMA the transcendentals are helper calls, not inline polynomials
    let mut ks = theano_jit::KernelSet::new(true).unwrap();
    let k = ks
        .add(
            &theano_ir::ScalarOp::Exp,
            &[theano::DType::Float64],
            &[false],
            theano::DType::Float64,
        )
        .unwrap();
    ks.finalize().unwrap();
    let clif = &ks.kernels()[k].clif;
    assert_eq!(
        clif.contains(" fma "),
        level() > CpuLevel::Baseline,
        "{clif}"
    );
}

/// Every case again with the native code capped at AVX2+FMA and at x86-64's baseline (SSE2,
/// no FMA: Cranelift's baseline ISA, libm-backed helpers for the transcendentals, the
/// portable BLAS and reduction loops): what a machine without AVX-512, or without AVX2, runs.
/// Each level is a child run of this test binary with `THEANO_JIT_CPU` set (the level is fixed
/// at first use in a process).
#[test]
fn cases_at_lower_cpu_levels() {
    if std::env::var_os("THEANO_JIT_CPU").is_some() {
        return; // a child run
    }
    for cap in ["avx2", "baseline"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--test-threads=2", "cases::", "cpu_level_follows_the_cap"])
            .env("THEANO_JIT_CPU", cap)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "THEANO_JIT_CPU={cap}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let passed: usize = stdout
            .lines()
            .find_map(|l| l.strip_prefix("test result: ok. "))
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(
            passed > 200,
            "THEANO_JIT_CPU={cap}: {passed} tests ran\n{stdout}"
        );
    }
}
