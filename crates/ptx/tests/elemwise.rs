//! Every elementwise lowering on the emulator against the interpreter: each scalar op on
//! each dtype family, ranks 0-3 with broadcasting and strided / transposed / reversed
//! views, the three layouts, and 300+ random fused composites.

mod common;

use common::*;
use rand::Rng;
use theano_interp::perform;
use theano_ir::{Composite, Op, ScalarOp};
use theano_ptx::elemwise::Layout;
use theano_ptx::emu::Dims;
use theano_ptx::launch::{plan_elemwise, HostArray};
use theano_ptx::PtxError;
use theano_tensor::{DType, Tensor};

const DIMS: Dims = Dims { grid: 2, block: 32 };

/// Run `op` on `ins` in the given layout variant and compare; returns (compared, skipped).
fn check(
    op: &ScalarOp,
    ins: &[Tensor],
    variant: usize,
    force: Option<Layout>,
) -> Result<(bool, common::Cmp), String> {
    let arrays: Vec<HostArray> = ins
        .iter()
        .enumerate()
        .map(|(k, t)| layout_variant(t, variant + k))
        .collect();
    {
        let r: Vec<&Tensor> = ins.iter().collect();
        if perform(&Op::elemwise(op.clone()), &r, &[]).is_err() {
            // the interpreter refuses (bool subtract, negative integer power...): nothing to compare
            return Ok((false, common::Cmp::default()));
        }
    }
    match run_op(op, &arrays, force, DIMS) {
        Ok(got) => compare(op, ins, &got, TOL_ULP).map(|c| (true, c)),
        Err(PtxError::Unsupported { .. }) => Err(format!(
            "{op} on {:?}: unsupported",
            ins.iter().map(|t| t.dtype()).collect::<Vec<_>>()
        )),
        Err(e) => Err(format!("{op}: {e}")),
    }
}

#[test]
fn every_scalar_op_every_dtype() {
    let mut r = rng(15);
    // every op of the catalogue is lowered (gamma was the last)
    let mut ops: Vec<ScalarOp> = ScalarOp::ALL.into_iter().collect();
    for d in DType::ALL {
        ops.push(ScalarOp::Cast(d));
    }
    let (mut compared, mut refused) = (0, 0);
    for op in &ops {
        for (di, d) in DType::ALL.iter().enumerate() {
            // the op's inputs: all of dtype d, or (binary ops) d with a neighbour dtype
            let arity = if op.is_variadic() {
                2 + di % 2
            } else {
                op.arity()
            };
            let mut dts = vec![*d; arity];
            if *op == ScalarOp::Switch {
                dts[0] = DType::Bool;
            }
            if op.out_dtype(&dts).is_err() {
                // the type system refuses (bitwise ops on floats): the lowering must too
                let e = theano_ptx::elemwise::lower_elemwise(
                    "k",
                    op,
                    &dts,
                    DType::Float64,
                    1,
                    Layout::Strided,
                    Default::default(),
                );
                assert!(
                    e.is_err(),
                    "{op} on {dts:?} lowered though its type is refused"
                );
                refused += 1;
                continue;
            }
            for rank in 0..4 {
                let shape = random_shape(&mut r, rank);
                let ins: Vec<Tensor> = dts
                    .iter()
                    .enumerate()
                    .map(|(k, dt)| {
                        let s = if k == 0 {
                            shape.clone()
                        } else {
                            broadcast_of(&mut r, &shape)
                        };
                        tensor(&mut r, *dt, &s, true)
                    })
                    .collect();
                // integer powers: non-negative exponents (numpy refuses negative ones)
                let ins = if *op == ScalarOp::Pow && !d.is_float() {
                    ins.into_iter()
                        .enumerate()
                        .map(|(k, t)| {
                            if k == 1 {
                                let v: Vec<f64> =
                                    t.to_f64_vec().iter().map(|x| x.abs() % 9.0).collect();
                                Tensor::from_f64_vec(t.dtype(), t.shape(), v).unwrap()
                            } else {
                                t
                            }
                        })
                        .collect()
                } else {
                    ins
                };
                let (done, _) = check(op, &ins, rank + di, None).unwrap_or_else(|e| panic!("{e}"));
                if done {
                    compared += 1;
                }
            }
        }
    }
    println!("op suite: {compared} kernels compared, {refused} refused combinations");
    assert!(compared > 300, "only {compared} kernels compared");
}

#[test]
fn mixed_dtypes_and_casts() {
    let mut r = rng(7);
    let mut n = 0;
    for a in DType::ALL {
        for b in DType::ALL {
            for op in [
                ScalarOp::Add,
                ScalarOp::Mul,
                ScalarOp::TrueDiv,
                ScalarOp::IntDiv,
                ScalarOp::Mod,
                ScalarOp::Lt,
                ScalarOp::Maximum,
            ] {
                let ins = vec![
                    tensor(&mut r, a, &[3, 4], true),
                    tensor(&mut r, b, &[4], true),
                ];
                if op.out_dtype(&[a, b]).is_err() {
                    continue;
                }
                if check(&op, &ins, n, None)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .0
                {
                    n += 1;
                }
            }
        }
    }
    assert!(n > 300, "{n}");
}

#[test]
fn layouts_agree() {
    // the same composite through every layout: vector (aligned), contiguous, strided
    let mut r = rng(3);
    // exp(x) * y + tanh(z), read from its display form
    let c = Composite::parse("((exp(i0) * i1) + tanh(i2))").unwrap();
    let op = ScalarOp::composite(c);
    for d in [
        DType::Float32,
        DType::Float64,
        DType::Int8,
        DType::UInt8,
        DType::Int16,
    ] {
        for n in [0usize, 1, 3, 4, 7, 64, 130] {
            let ins: Vec<Tensor> = (0..3).map(|_| tensor(&mut r, d, &[n], true)).collect();
            for layout in [Layout::Vector, Layout::Contiguous, Layout::Strided] {
                let (done, _) = check(&op, &ins, 0, Some(layout))
                    .unwrap_or_else(|e| panic!("{layout:?} n={n}: {e}"));
                assert!(done);
            }
        }
    }
}

#[test]
fn misaligned_vector_access_is_caught() {
    // the emulator faults on a v4 load that is not 16-byte aligned: the launcher's
    // alignment check is what keeps the vector layout safe
    let t = Tensor::from_f64_vec(DType::Float32, &[9], (0..9).map(|x| x as f64).collect()).unwrap();
    let mut a = HostArray::from_tensor(&t);
    a.offset = 1;
    a.shape = vec![8];
    assert_eq!(plan_elemwise(&[&a], 4).unwrap().layout, Layout::Contiguous);
    let k = theano_ptx::elemwise::lower_elemwise(
        "k",
        &ScalarOp::Neg,
        &[DType::Float32],
        DType::Float32,
        1,
        Layout::Vector,
        Default::default(),
    )
    .unwrap();
    let e = theano_ptx::launch::run_elemwise(&k, &[&a], DIMS).unwrap_err();
    assert!(e.to_string().contains("misaligned"), "{e}");
}

#[test]
fn unsupported_is_a_typed_error() {
    let e = theano_ptx::elemwise::lower_elemwise(
        "k",
        &ScalarOp::Neg,
        &[DType::Bool],
        DType::Bool,
        1,
        Layout::Strided,
        Default::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, PtxError::Unsupported { op, .. } if op == "neg"),
        "{e}"
    );
    let e = theano_ptx::elemwise::lower_elemwise(
        "k",
        &ScalarOp::And,
        &[DType::Float64, DType::Float64],
        DType::Float64,
        1,
        Layout::Strided,
        Default::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("and_"), "{e}");
    // numpy/Theano refuse and_ of a bool with an integer; so does the lowering
    let e = theano_ptx::elemwise::lower_elemwise(
        "k",
        &ScalarOp::And,
        &[DType::Bool, DType::Int8],
        DType::Int8,
        1,
        Layout::Strided,
        Default::default(),
    )
    .unwrap_err();
    assert!(matches!(e, PtxError::Unsupported { .. }), "{e}");
}

#[test]
fn random_fused_composites() {
    let seed = std::env::var("PTX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2026);
    let want: usize = std::env::var("PTX_GRAPHS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(320);
    let mut r = rng(seed);
    let (mut done, mut tries, mut elements, mut sensitive) = (0, 0, 0, 0);
    let float_heavy = [
        DType::Float64,
        DType::Float64,
        DType::Float32,
        DType::Float32,
        DType::Int32,
        DType::Int8,
        DType::UInt8,
        DType::Bool,
        DType::Int16,
        DType::Int64,
    ];
    while done < want {
        tries += 1;
        assert!(tries < want * 50, "too few valid random composites");
        let n_in = r.random_range(1..4);
        let dts: Vec<DType> = (0..n_in)
            .map(|_| float_heavy[r.random_range(0..float_heavy.len())])
            .collect();
        let Some(op) = random_composite(&mut r, &dts) else {
            continue;
        };
        let rank = r.random_range(0..4);
        let shape = random_shape(&mut r, rank);
        let ins: Vec<Tensor> = dts
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let s = if k == 0 {
                    shape.clone()
                } else {
                    broadcast_of(&mut r, &shape)
                };
                let sp = r.random_bool(0.3);
                tensor(&mut r, *d, &s, sp)
            })
            .collect();
        match check(&op, &ins, done, None) {
            Ok((true, c)) => {
                done += 1;
                elements += c.elements;
                sensitive += c.sensitive;
            }
            Ok((false, _)) => {}
            Err(e) => panic!("seed {seed}, composite {op}:\n{e}"),
        }
    }
    println!("random composites: {done} compared ({tries} drawn), {elements} elements, {sensitive} rounding-sensitive skipped");
    assert!(
        sensitive * 20 <= elements,
        "{sensitive} of {elements} elements skipped as sensitive"
    );
}

#[test]
fn plans_collapse_dimensions() {
    let t = |shape: &[usize]| {
        let n = shape.iter().product();
        HostArray::from_tensor(&Tensor::from_f64_vec(DType::Float32, shape, vec![1.0; n]).unwrap())
    };
    // C-contiguous operands: one run
    let a = t(&[2, 3, 4]);
    let p = plan_elemwise(&[&a, &a], 4).unwrap();
    assert_eq!((p.layout, p.shape.clone()), (Layout::Vector, vec![24]));
    // a transposed view keeps two dimensions
    let b = t(&[3, 4]).permuted(&[1, 0]);
    let p = plan_elemwise(&[&b], 4).unwrap();
    assert_eq!(
        (p.layout, p.shape.clone(), p.strides.clone()),
        (Layout::Strided, vec![4, 3], vec![vec![3, 1], vec![1, 4]])
    );
    // broadcasting: a column and a row
    let (c, r) = (t(&[3, 1]), t(&[1, 4]));
    let p = plan_elemwise(&[&c, &r], 4).unwrap();
    assert_eq!(
        (p.shape.clone(), p.strides.clone()),
        (vec![3, 4], vec![vec![4, 1], vec![1, 0], vec![0, 1]])
    );
    // every other element of a (2, 6) buffer: uniformly strided, one dimension
    let s = t(&[2, 6]).stepped(1, 2);
    let p = plan_elemwise(&[&s], 4).unwrap();
    assert_eq!(
        (p.layout, p.shape.clone(), p.strides.clone()),
        (Layout::Strided, vec![6], vec![vec![1], vec![2]])
    );
    // length-1 dimensions vanish; a scalar is contiguous
    let p = plan_elemwise(&[&t(&[1, 5, 1])], 4).unwrap();
    assert_eq!((p.layout, p.shape.clone()), (Layout::Vector, vec![5]));
    let p = plan_elemwise(&[&t(&[])], 4).unwrap();
    assert_eq!((p.layout, p.shape.clone()), (Layout::Vector, vec![]));
}

#[test]
fn in_place_over_an_input() {
    // the output overwrites input 0 (any layout: C, transposed, reversed, stepped); the
    // other inputs broadcast
    let mut r = rng(31);
    let mut n = 0;
    for d in [DType::Float64, DType::Float32, DType::Int16, DType::UInt8] {
        let op = if d.is_float() {
            ScalarOp::from_name("Composite{((exp(i0) * i1) + tanh(i0))}").unwrap()
        } else {
            ScalarOp::from_name("Composite{((i0 * i1) + i0)}").unwrap()
        };
        for rank in 1..4 {
            for variant in 0..4 {
                let shape = random_shape(&mut r, rank);
                let x = tensor(&mut r, d, &shape, false);
                let ys = broadcast_of(&mut r, &shape);
                let y = tensor(&mut r, d, &ys, false);
                let hx = layout_variant(&x, variant);
                let hy = layout_variant(&y, variant + 1);
                let plan = theano_ptx::launch::plan_elemwise_inplace(&[&hx, &hy], 4, 0).unwrap();
                let k = theano_ptx::elemwise::lower_elemwise_inplace(
                    "k",
                    &op,
                    &[d, d],
                    d,
                    plan.shape.len(),
                    plan.layout,
                    Default::default(),
                    0,
                )
                .unwrap();
                let got = theano_ptx::launch::run_elemwise(&k, &[&hx, &hy], DIMS).unwrap();
                assert_eq!(
                    (got.strides.clone(), got.offset),
                    (hx.strides.clone(), hx.offset)
                );
                compare(&op, &[x.clone(), y.clone()], &got.to_tensor(), TOL_ULP)
                    .unwrap_or_else(|e| panic!("{d} rank {rank} variant {variant}: {e}"));
                n += 1;
            }
        }
    }
    assert_eq!(n, 48);
    // the output's dtype must be the overwritten input's
    assert!(theano_ptx::elemwise::lower_elemwise_inplace(
        "k",
        &ScalarOp::Add,
        &[DType::Int8, DType::Float64],
        DType::Float64,
        1,
        Layout::Strided,
        Default::default(),
        0
    )
    .is_err());
}
