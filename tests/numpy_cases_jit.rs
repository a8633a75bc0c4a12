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
                theano::tensor::input(TensorType::new(t.dtype(), &bc), &format!("x{i}"))
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
