//! Every kernel the op suite emits, assembled by NVIDIA's ptxas for sm_80 and sm_90.
//!
//! ptxas is found through `THEANO_PTXAS` or at `target/ptxas/bin/ptxas` (scripts/setup.sh
//! puts it there). When set-up ran (it leaves `target/ptxas/EXPECTED`) or `CI` is set, a
//! missing ptxas fails the test; otherwise the test says why it skips.

mod common;

use rand::Rng;
use theano_ir::{Composite, ScalarOp};
use theano_ptx::elemwise::{lower_elemwise, Layout};
use theano_ptx::reduce::{lower_reduce, ReduceKind, ReduceScheme};
use theano_ptx::{module, Kernel, Target};
use theano_tensor::DType;

/// Every kernel of the op suite: each scalar op on each dtype in each layout (both index
/// widths of the strided one, and the 32-bit one at every rank 1-6), a fused
/// composite in each float dtype, every reduction kind on every dtype in both schemes, the
/// softmax and crossentropy row kernels.
fn suite() -> Vec<Kernel> {
    let mut ks = Vec::new();
    let mut ops: Vec<ScalarOp> = ScalarOp::ALL.into_iter().collect();
    ops.extend(DType::ALL.map(ScalarOp::Cast));
    let mut n = 0;
    for op in &ops {
        for d in DType::ALL {
            let mut dts = vec![
                d;
                op.arity()
                    .max(2)
                    .min(if op.is_variadic() { 2 } else { op.arity() })
            ];
            if *op == ScalarOp::Switch {
                dts[0] = DType::Bool;
            }
            let Ok(out) = op.out_dtype(&dts) else {
                continue;
            };
            for layout in [
                Layout::Strided,
                Layout::Strided32,
                Layout::Contiguous,
                Layout::Vector,
            ] {
                let ndim = if layout.is_strided() { 3 } else { 1 };
                n += 1;
                match lower_elemwise(
                    &format!("k{n}"),
                    op,
                    &dts,
                    out,
                    ndim,
                    layout,
                    Default::default(),
                ) {
                    Ok(k) => ks.push(k.kernel),
                    Err(e) => assert!(
                        matches!(e, theano_ptx::PtxError::Unsupported { .. }),
                        "{op} {dts:?}: {e}"
                    ),
                }
            }
        }
    }
    // exp(x) * y + tanh(z), read from its display form
    let c = Composite::parse("((exp(i0) * i1) + tanh(i2))").unwrap();
    let op = ScalarOp::composite(c);
    for d in [DType::Float32, DType::Float64] {
        for fast_math in [false, true] {
            n += 1;
            let o = theano_ptx::scalar::MathOpts { fast_math };
            ks.push(
                lower_elemwise(&format!("k{n}"), &op, &[d; 3], d, 2, Layout::Vector, o)
                    .unwrap()
                    .kernel,
            );
        }
    }
    // the 32-bit-index strided kernel at ranks 1-6
    for rank in 1..=6 {
        for d in [DType::Float32, DType::Float64, DType::Int8, DType::UInt64] {
            n += 1;
            let k = lower_elemwise(
                &format!("k{n}"),
                &ScalarOp::Add,
                &[d, d],
                d,
                rank,
                Layout::Strided32,
                Default::default(),
            );
            ks.push(k.unwrap().kernel);
        }
    }
    // in place over input 0
    for d in [DType::Float32, DType::Float64, DType::Int8] {
        let (o, arity) = if d.is_float() {
            (op.clone(), 3)
        } else {
            (ScalarOp::Add, 2)
        };
        for layout in [
            Layout::Strided,
            Layout::Strided32,
            Layout::Contiguous,
            Layout::Vector,
        ] {
            n += 1;
            let name = format!("k{n}");
            let dts = vec![d; arity];
            let k = theano_ptx::elemwise::lower_elemwise_inplace(
                &name,
                &o,
                &dts,
                d,
                2,
                layout,
                Default::default(),
                0,
            );
            ks.push(k.unwrap().kernel);
        }
    }
    // random fused composites (the generator of tests/elemwise.rs)
    let mut r = common::rng(99);
    let pool = [
        DType::Float64,
        DType::Float32,
        DType::Int32,
        DType::Int8,
        DType::UInt8,
        DType::Bool,
        DType::Int16,
        DType::Int64,
    ];
    let mut made = 0;
    while made < 100 {
        let n_in = r.random_range(1..4);
        let dts: Vec<DType> = (0..n_in)
            .map(|_| pool[r.random_range(0..pool.len())])
            .collect();
        let Some(op) = common::random_composite(&mut r, &dts) else {
            continue;
        };
        let Ok(out) = op.out_dtype(&dts) else {
            continue;
        };
        let layout = [
            Layout::Strided,
            Layout::Vector,
            Layout::Strided32,
            Layout::Vector,
        ][made % 4];
        n += 1;
        match lower_elemwise(
            &format!("k{n}"),
            &op,
            &dts,
            out,
            2,
            layout,
            Default::default(),
        ) {
            Ok(k) => {
                ks.push(k.kernel);
                made += 1;
            }
            Err(theano_ptx::PtxError::Unsupported { .. }) => {}
            Err(e) => panic!("{op}: {e}"),
        }
    }
    for kind in ReduceKind::ALL {
        for d in DType::ALL {
            for scheme in [ReduceScheme::Row, ReduceScheme::Column] {
                n += 1;
                if let Ok(k) = lower_reduce(&format!("k{n}"), kind, d, 2, 2, scheme) {
                    ks.push(k.kernel);
                }
            }
        }
    }
    for d in [DType::Float32, DType::Float64] {
        for log in [false, true] {
            n += 1;
            ks.push(theano_ptx::softmax::lower_softmax(&format!("k{n}"), d, log).unwrap());
        }
        for yd in [DType::Int64, DType::Int32, DType::UInt8] {
            n += 1;
            ks.push(theano_ptx::softmax::lower_crossentropy(&format!("k{n}"), d, d, yd).unwrap());
            n += 1;
            ks.push(
                theano_ptx::softmax::lower_crossentropy_dx(&format!("k{n}"), d, d, yd).unwrap(),
            );
        }
    }
    ks
}

#[test]
fn ptxas_accepts_every_kernel() {
    // every kernel verifies, with or without ptxas
    let ks = suite();
    assert!(ks.len() > 1200, "{} kernels", ks.len());
    for k in &ks {
        k.verify().unwrap_or_else(|e| panic!("{}: {e}", k.name));
    }
    let Some(ptxas) = theano_ptx::ptxas::for_test().unwrap_or_else(|e| panic!("{e}")) else {
        println!("skipped: no ptxas (run scripts/setup.sh, or set THEANO_PTXAS)");
        return;
    };
    let refs: Vec<&Kernel> = ks.iter().collect();
    let dir = std::env::temp_dir().join(format!("theano-ptx-{}", std::process::id()));
    for sm in [80, 90] {
        let text = module(
            &refs,
            &Target {
                version: (7, 8),
                sm,
            },
        );
        theano_ptx::ptxas::assemble(&ptxas, &text, sm, &dir, "suite")
            .unwrap_or_else(|e| panic!("{} kernels: {e}", ks.len()));
        println!("ptxas sm_{sm}: {} kernels assembled", ks.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
