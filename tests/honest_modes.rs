//! Settings that are accepted do what they say or are refused (issue: nothing silently wrong):
//! profile, NanGuardMode, the GPU settings without a GPU backend, FAST_COMPILE, floatX in a
//! Mode, exception_verbosity=high; and the run-time checks that were silently wrong:
//! jacobian/hessian lengths, constant dimensions of 1 typed broadcastable, multi-output
//! custom ops.

mod common;

use common::{seed_model, values};
use std::sync::Arc;
use theano::flags::{DumpKind, ModeKind};
use theano::ir::{CustomOp, CustomRef, Op, TensorType};
use theano::tensor as T;
use theano::{compile, function, grad, shared_named, DType, Error, LinkerKind, Mode, Tensor};

fn mode(flags: &str) -> Mode {
    Mode::parse_flags(flags).unwrap()
}

fn both_linkers() -> [Mode; 2] {
    [mode("linker=jit"), mode("linker=interp")]
}

// ---------------------------------------------------------------------------------------------
// GPU settings without a GPU backend, dumps the linker cannot make, FAST_COMPILE, floatX

#[test]
fn gpu_settings_are_refused_not_run_on_the_cpu() {
    let x = T::dvector("x");
    for (flags, setting) in [
        ("device=cuda", "device=cuda"),
        ("device=cuda0", "device=cuda"),
        ("linker=cuda", "linker=cuda"),
        ("device=cuda,dump=ptx", "device=cuda"),
    ] {
        let r = compile(&[&x], &x).mode(mode(flags)).build();
        // with the `cuda` feature on a machine with a device, the GPU backend runs it
        if cfg!(feature = "cuda") && theano_cuda::probe().is_ok() {
            r.unwrap();
            continue;
        }
        let e = r.unwrap_err();
        match &e {
            Error::NoCudaBackend { setting: s } if !cfg!(feature = "cuda") => {
                assert_eq!(s, setting, "{flags}");
                assert!(e.to_string().contains("no CUDA runtime"), "{e}");
            }
            Error::NoCudaDevice { setting: s, reason } if cfg!(feature = "cuda") => {
                assert_eq!(s, setting, "{flags}");
                assert!(reason.contains("no CUDA device"), "{e}");
            }
            other => panic!("{flags}: {other:?}"),
        }
    }
}

#[test]
fn dump_ptx_needs_no_device() {
    let x = T::dvector("x");
    let dir = std::env::temp_dir().join(format!("theano-honest-ptx-{}", std::process::id()));
    for flags in ["dump=ptx", "dump=ir+ptx", "linker=interp,dump=ptx"] {
        let mut m = mode(flags);
        m.dump_dir = Some(dir.clone());
        let f = compile(&[&x], T::exp(&x)).mode(m).build().unwrap();
        assert!(f.dump_ptx().contains(".visible .entry"), "{flags}");
        assert_eq!(f.call(&[vec![0.0].into()]).unwrap()[0].to_f64_vec(), [1.0]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn machine_code_dumps_need_the_jit_linker() {
    let x = T::dvector("x");
    for d in ["clif", "asm"] {
        let e = compile(&[&x], &x)
            .mode(mode(&format!("linker=interp,dump={d}")))
            .build()
            .unwrap_err();
        assert!(
            matches!(&e, Error::BadMode { setting, .. } if setting == &format!("dump={d}")),
            "{e:?}"
        );
        assert!(e.to_string().contains("needs linker=jit"), "{e}");
    }
}

#[test]
fn excluding_a_rewrite_that_does_not_exist_is_refused() {
    let x = T::dvector("x");
    let e = compile(&[&x], T::log(1.0 + &x))
        .mode(mode("optimizer_excluding=log1p:log_1p"))
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::BadMode { setting, .. } if setting == "optimizer_excluding=log_1p"),
        "{e:?}"
    );
    // names, tags, merge and the in-place names are all known
    for ok in [
        "log1p",
        "stabilize",
        "merge",
        "inplace_gemv",
        "elemwise_fusion",
    ] {
        compile(&[&x], T::log(1.0 + &x))
            .mode(mode(&format!("optimizer_excluding={ok}")))
            .build()
            .unwrap();
    }
}

#[test]
fn fast_compile_mode_is_the_fast_compile_optimizer_on_the_interpreter() {
    let m = mode("mode=FAST_COMPILE");
    assert_eq!(m.mode, ModeKind::FastCompile);
    assert_eq!(m.optimizer, theano::OptimizerLevel::FastCompile);
    assert_eq!(m.linker, LinkerKind::Interp);
    // a later key still overrides, as in THEANO_FLAGS
    assert_eq!(mode("mode=FAST_COMPILE,linker=jit").linker, LinkerKind::Jit);
    // and the function is compiled so: no fusion (a FAST_RUN rewrite), no kernels to dump
    let x = T::dvector("x");
    let f = compile(&[&x], T::exp(&x) + 1.0).mode(m).build().unwrap();
    let text = f.fgraph().to_text();
    assert!(!text.contains("Composite"), "{text}");
    assert_eq!(f.dump_asm(), "");
}

#[test]
fn a_mode_float_x_other_than_the_graphs_is_refused() {
    let x = T::dvector("x");
    let mut m = Mode::default();
    assert_eq!(m.float_x, theano::config::float_x());
    m.float_x = match m.float_x {
        DType::Float64 => DType::Float32,
        _ => DType::Float64,
    };
    let e = compile(&[&x], &x).mode(m).build().unwrap_err();
    assert!(
        matches!(&e, Error::BadMode { setting, .. } if setting.starts_with("floatX=")),
        "{e:?}"
    );
    assert!(e.to_string().contains("set it before building"), "{e}");
}

#[test]
fn exception_verbosity_high_describes_the_failing_node() {
    let x = T::dvector("x");
    let y = T::dvector("y");
    let args = [
        Tensor::from(vec![1.0, 2.0]),
        Tensor::from(vec![1.0, 2.0, 3.0]),
    ];
    let low = function(&[&x, &y], &x + &y).unwrap();
    let e = low.call(&args).unwrap_err().to_string();
    assert!(!e.contains("Debugprint of the apply node"), "{e}");
    let high = compile(&[&x, &y], &x + &y)
        .mode(mode("exception_verbosity=high"))
        .build()
        .unwrap();
    let e = high.call(&args).unwrap_err().to_string();
    assert!(e.contains("Debugprint of the apply node"), "{e}");
    assert!(
        e.contains(" |x <TensorType(float64, vector)> (input)"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// profile

#[test]
fn profile_of_the_seed_train_function_adds_up() {
    let (n, feats) = (400, 784);
    let m = seed_model(values(DType::Float64, &[feats], 1));
    let x = values(DType::Float64, &[n, feats], 2);
    let y = Tensor::from((0..n).map(|i| (i % 2) as f64).collect::<Vec<_>>());
    let train = compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .name("train")
        .mode(mode("profile=True"))
        .build()
        .unwrap();
    let calls = 30;
    for _ in 0..calls {
        train.call_refs(&[&x, &y]).unwrap();
    }
    let p = train.profile().expect("profiled");
    assert_eq!(p.calls, calls);
    assert_eq!(p.name, "train");
    // compile time: the import, every phase of FAST_RUN, the schedule and the link
    let phases: Vec<&str> = p.compile.iter().map(|(s, _)| s.as_str()).collect();
    for want in [
        "import",
        "merge",
        "canonicalize",
        "stabilize",
        "specialize",
        "fusion",
        "inplace",
        "schedule",
        "link",
    ] {
        assert!(phases.contains(&want), "{want} missing from {phases:?}");
    }
    // every node ran once per call, and the rows add up to the calls' time within 5%
    assert!(p.nodes.iter().all(|r| r.calls == calls), "{p}");
    let rows = p.node_time().as_secs_f64();
    let total = p.call_time.as_secs_f64();
    assert!(rows <= total, "{rows} > {total}");
    assert!(rows >= 0.95 * total, "rows {rows} s, calls {total} s\n{p}");
    // the op types' table partitions the nodes
    let types = p.by_op_type();
    assert_eq!(
        types.iter().map(|o| o.applies).sum::<usize>(),
        p.nodes.len()
    );
    // the linker column: the seed's products are BLAS, its fused arithmetic JIT kernels
    let linker_of = |ty: &str| {
        types
            .iter()
            .find(|o| o.op_type == ty)
            .map(|o| o.linker.clone())
    };
    assert_eq!(linker_of("Gemv").as_deref(), Some("BLAS"), "{p}");
    assert_eq!(linker_of("Elemwise").as_deref(), Some("jit kernel"), "{p}");
    let text = p.to_string();
    assert!(
        text.contains("Time in 30 calls to Function.__call__"),
        "{text}"
    );
    assert!(text.contains("Gemv"), "{text}");
}

#[test]
fn profile_names_interpreter_fallbacks_and_is_off_by_default() {
    let x = T::dvector("x");
    let f = function(&[&x], &x * 2.0).unwrap();
    assert!(f.profile().is_none());
    let c = Op::Custom(CustomRef(Arc::new(SplitAffine)));
    let outs = T::apply_op(c, vec![x.clone()]).unwrap();
    let f = compile(&[&x], &outs[0] + 1.0)
        .mode(mode("profile=True"))
        .build()
        .unwrap();
    f.call(&[Tensor::from(vec![1.0, 2.0])]).unwrap();
    let p = f.profile().unwrap();
    let row = p.nodes.iter().find(|r| r.op_type == "SplitAffine").unwrap();
    assert_eq!(row.linker, "interpreter");
    assert_eq!(row.interp_calls, 1);
    let i = compile(&[&x], &x * 2.0)
        .mode(mode("profile=True,linker=interp"))
        .build()
        .unwrap();
    i.call(&[Tensor::from(vec![1.0])]).unwrap();
    assert!(i
        .profile()
        .unwrap()
        .nodes
        .iter()
        .all(|r| r.linker == "interpreter" && r.calls == 1));
}

// ---------------------------------------------------------------------------------------------
// NanGuardMode

#[test]
fn nan_guard_names_the_node_and_line_and_updates_nothing() {
    for m in both_linkers() {
        let mut m = m;
        m.mode = ModeKind::NanGuardMode;
        let x = T::dvector("x");
        let w = theano::try_shared(Tensor::from(vec![1.0, 2.0, 3.0]), Some("w")).unwrap();
        let c = shared_named(0i64, "c");
        // (fused into one node with the update's sum: both are built on this line)
        let line = line!() + 1;
        let upd = &w + T::log(&x);
        let f = compile(&[&x], &x * 2.0)
            .updates([(&w, upd.clone()), (&c, &c + 1)])
            .mode(m.clone())
            .build()
            .unwrap();
        // finite: runs and updates
        f.call(&[Tensor::from(vec![1.0, 1.0, 1.0])]).unwrap();
        assert_eq!(w.get_value().unwrap().to_f64_vec(), [1.0, 2.0, 3.0]);
        assert_eq!(c.get_value().unwrap().to_i64_vec(), [1]);
        // log(0) = -inf: a typed error naming the op, the input shapes and the line
        let e = f.call(&[Tensor::from(vec![1.0, 0.0, 1.0])]).unwrap_err();
        let Error::Runtime(n) = &e else {
            panic!("{:?}: {e:?}", m.linker)
        };
        assert!(n.message.contains("-inf detected"), "{e}");
        assert!(n.node.contains("log"), "{e}");
        assert_eq!(n.input_shapes, vec![vec![3], vec![3]], "{e}");
        assert_eq!(n.location.line(), line, "{e}");
        assert_eq!(w.get_value().unwrap().to_f64_vec(), [1.0, 2.0, 3.0]);
        assert_eq!(c.get_value().unwrap().to_i64_vec(), [1]);
        // big values and NaN too; each check can be switched off
        let e = f
            .call(&[Tensor::from(vec![1.0, 1e30, 1.0])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("big value"), "{e}");
        let e = f
            .call(&[Tensor::from(vec![1.0, -1.0, 1.0])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("NaN detected"), "{e}");
        let mut lax = m.clone();
        lax.nan_guard.inf_is_error = false;
        let g = compile(&[&x], T::log(&x)).mode(lax).build().unwrap();
        let r = g.call(&[Tensor::from(vec![0.0])]).unwrap();
        assert_eq!(r[0].to_f64_vec(), [f64::NEG_INFINITY]);
        assert_eq!(c.get_value().unwrap().to_i64_vec(), [1]);
    }
}

#[test]
fn nan_guard_switches_parse_from_flags() {
    let m = mode("mode=NanGuardMode,NanGuardMode.big_is_error=False");
    assert_eq!(m.mode, ModeKind::NanGuardMode);
    assert!(m.nan_guard.nan_is_error && m.nan_guard.inf_is_error);
    assert!(!m.nan_guard.big_is_error);
    assert!(m.dump.is_empty() && !m.dump.contains(&DumpKind::Ptx));
}

// ---------------------------------------------------------------------------------------------
// jacobian and hessian lengths

#[test]
fn jacobian_and_hessian_check_the_length_at_run_time() {
    for m in both_linkers() {
        let x = T::dvector("x");
        let j = theano::jacobian(&(&x * &x), std::slice::from_ref(&x), 3).unwrap();
        let f = compile(&[&x], &j[0]).mode(m.clone()).build().unwrap();
        let r = f.call(&[Tensor::from(vec![1.0, 2.0, 3.0])]).unwrap();
        assert_eq!(r[0].shape(), &[3, 3]);
        for bad in [vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 2.0]] {
            let e = f
                .call(&[Tensor::from(bad.clone())])
                .unwrap_err()
                .to_string();
            let have = format!("({},)", bad.len());
            assert!(
                e.contains(&format!("has shape {have}, expected shape (3,)")),
                "{:?}: {e}",
                m.linker
            );
        }
        let cost = (&x * &x * &x).sum();
        let h = theano::hessian(&cost, std::slice::from_ref(&x), 2).unwrap();
        let f = compile(&[&x], &h[0]).mode(m.clone()).build().unwrap();
        let r = f.call(&[Tensor::from(vec![1.0, 2.0])]).unwrap();
        assert_eq!(r[0].to_f64_vec(), [6.0, 0.0, 0.0, 12.0]);
        let e = f
            .call(&[Tensor::from(vec![1.0, 2.0, 3.0])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("has shape (3,), expected shape (2,)"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// a constant dimension of 1 is broadcastable, as in Theano 1.0

#[test]
fn constant_ones_in_shapes_make_broadcastable_dimensions() {
    let n = T::lscalar("n");
    let x = T::dvector("x");
    let v = T::dscalar("v");
    let row = TensorType::row(DType::Float64);
    assert_eq!(T::zeros(&[1, 3], None).unwrap().ty(), row);
    assert_eq!(T::ones(&[1, 3], None).unwrap().ty(), row);
    assert_eq!(
        T::zeros(&[3, 1], None).unwrap().ty(),
        TensorType::col(DType::Float64)
    );
    assert_eq!(
        T::alloc(&v, &[T::constant(1i64), n.clone()]).unwrap().ty(),
        row
    );
    assert_eq!(
        T::alloc_const(0.0, &[1, 1]).unwrap().ty().broadcastable(),
        [true, true]
    );
    assert_eq!(T::reshape(&x, [1, -1]).unwrap().ty(), row);
    assert_eq!(
        T::reshape(&x, vec![T::constant(1i64), n.clone()])
            .unwrap()
            .ty(),
        row
    );
    // symbolic lengths stay unknown
    assert_eq!(
        T::alloc(&v, &[n.clone(), n.clone()]).unwrap().ty(),
        TensorType::matrix(DType::Float64)
    );
    assert_eq!(
        T::reshape(&x, [2, -1]).unwrap().ty(),
        TensorType::matrix(DType::Float64)
    );
}

/// The case the Gemm rewrite got wrong: `zeros((1, n)) + dot(a, b)` typed as a matrix became
/// `Gemm(zeros, ...)`, which cannot broadcast its first input, so the optimized function failed
/// where the unoptimized one ran.
#[test]
fn a_constant_row_plus_a_product_runs_optimized_as_unoptimized() {
    let a = T::dmatrix("a");
    let b = T::dmatrix("b");
    let v = T::dscalar("v");
    let bias = T::alloc(&v, &[T::constant(1i64), T::constant(3i64)]).unwrap();
    let out = &bias + T::dot(&a, &b).unwrap();
    let args = [
        values(DType::Float64, &[5, 4], 1),
        values(DType::Float64, &[4, 3], 2),
        Tensor::from(0.5),
    ];
    let reference = compile(&[&a, &b, &v], &out)
        .mode(mode("optimizer=None,linker=interp"))
        .build()
        .unwrap()
        .call(&args)
        .unwrap();
    for m in ["linker=jit", "linker=interp"] {
        let f = compile(&[&a, &b, &v], &out).mode(mode(m)).build().unwrap();
        let r = f.call(&args).unwrap();
        assert_eq!(r[0].shape(), &[5, 3]);
        let (p, q) = (r[0].to_f64_vec(), reference[0].to_f64_vec());
        assert!(
            p.iter().zip(&q).all(|(x, y)| (x - y).abs() < 1e-12),
            "{m}: {p:?} vs {q:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// multi-output custom ops

/// A user op with two outputs: (2x, x + 1), with its reference implementation and gradient.
#[derive(Debug)]
struct SplitAffine;

impl CustomOp for SplitAffine {
    fn name(&self) -> String {
        "SplitAffine".into()
    }
    fn n_outputs(&self) -> usize {
        2
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        match inputs {
            [t] if t.dtype.is_float() => Ok(vec![*t, *t]),
            _ => Err(format!("expects one float tensor, got {inputs:?}")),
        }
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        let x = inputs[0];
        let two: Vec<f64> = x.to_f64_vec().iter().map(|v| 2.0 * v).collect();
        let inc: Vec<f64> = x.to_f64_vec().iter().map(|v| v + 1.0).collect();
        Some(
            Tensor::from_f64_vec(x.dtype(), x.shape(), two)
                .and_then(|a| Ok((a, Tensor::from_f64_vec(x.dtype(), x.shape(), inc)?)))
                .map(|(a, b)| vec![a, b])
                .map_err(|e| e.to_string()),
        )
    }
    fn grad(
        &self,
        _inputs: &[theano::Variable],
        _outputs: &[theano::Variable],
        g: &[Option<theano::Variable>],
    ) -> Option<Result<Vec<Option<theano::Variable>>, String>> {
        // d(2x) = 2 g0, d(x + 1) = g1
        let gx = match (&g[0], &g[1]) {
            (Some(a), Some(b)) => Some(a * 2.0 + b),
            (Some(a), None) => Some(a * 2.0),
            (None, Some(b)) => Some(b.clone()),
            (None, None) => None,
        };
        Some(Ok(vec![gx]))
    }
}

/// An op that declares one output but infers two: refused when the node is built.
#[derive(Debug)]
struct Liar;

impl CustomOp for Liar {
    fn name(&self) -> String {
        "Liar".into()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        Ok(vec![inputs[0], inputs[0]])
    }
}

#[test]
fn multi_output_custom_ops_build_run_and_differentiate() {
    let x = T::dvector("x");
    let op = Op::Custom(CustomRef(Arc::new(SplitAffine)));
    let outs = T::apply_op(op, vec![x.clone()]).unwrap();
    assert_eq!(outs.len(), 2);
    let xv = Tensor::from(vec![1.0, -2.0, 3.5]);
    for m in both_linkers() {
        let f = compile(&[&x], [&outs[0], &outs[1], &(&outs[0] * &outs[1])])
            .mode(m.clone())
            .build()
            .unwrap();
        let r = f.call(std::slice::from_ref(&xv)).unwrap();
        assert_eq!(r[0].to_f64_vec(), [2.0, -4.0, 7.0], "{:?}", m.linker);
        assert_eq!(r[1].to_f64_vec(), [2.0, -1.0, 4.5]);
        assert_eq!(r[2].to_f64_vec(), [4.0, 4.0, 31.5]);
        // d/dx sum(2x * (x + 1)) = 4x + 2
        let cost = (&outs[0] * &outs[1]).sum();
        let g = grad(&cost, std::slice::from_ref(&x)).unwrap();
        let f = compile(&[&x], &g[0]).mode(m.clone()).build().unwrap();
        let r = f.call(std::slice::from_ref(&xv)).unwrap();
        assert_eq!(r[0].to_f64_vec(), [6.0, -6.0, 16.0]);
        // only the second output reaches the cost: its gradient alone
        let g = grad(&outs[1].sum(), std::slice::from_ref(&x)).unwrap();
        let f = compile(&[&x], &g[0]).mode(m).build().unwrap();
        assert_eq!(
            f.call(std::slice::from_ref(&xv)).unwrap()[0].to_f64_vec(),
            [1.0, 1.0, 1.0]
        );
    }
    let cost = |v: &[theano::Variable]| -> theano::Variable {
        let o = T::apply_op(Op::Custom(CustomRef(Arc::new(SplitAffine))), v.to_vec()).unwrap();
        (&o[0] * &o[1] + T::exp(&o[1])).sum()
    };
    theano::verify_grad(
        cost,
        &[xv],
        common::eval_compiled,
        &theano::VerifyGradOptions::default(),
    )
    .unwrap();
}

#[test]
fn a_custom_op_whose_types_contradict_its_output_count_is_refused_at_build() {
    let x = T::dvector("x");
    let e = T::apply_op(Op::Custom(CustomRef(Arc::new(Liar))), vec![x]).unwrap_err();
    assert!(e.to_string().contains("declares 1 outputs"), "{e}");
}
