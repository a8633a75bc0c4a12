//! Every elementwise lowering on the emulator against the interpreter: each scalar op on
//! each dtype family, ranks 0-3 with broadcasting and strided / transposed / reversed
//! views, the four layouts (strided launches run with 32- and 64-bit indices, which must
//! agree bit for bit: `common::run_op`), ranks 1-6 and zero-size shapes in both index
//! widths, the planner's 32-bit condition at its boundaries, and 300+ random fused
//! composites.

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
            for layout in [
                Layout::Vector,
                Layout::Contiguous,
                Layout::Strided,
                Layout::Strided32,
            ] {
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
    // a transposed view keeps two dimensions (small: 32-bit indices)
    let b = t(&[3, 4]).permuted(&[1, 0]);
    let p = plan_elemwise(&[&b], 4).unwrap();
    assert_eq!(
        (p.layout, p.shape.clone(), p.strides.clone()),
        (Layout::Strided32, vec![4, 3], vec![vec![3, 1], vec![1, 4]])
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
        (Layout::Strided32, vec![6], vec![vec![1], vec![2]])
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
                // a strided plan runs in both index widths
                let layouts = if plan.layout.is_strided() {
                    assert_eq!(plan.layout, Layout::Strided32, "a small launch");
                    vec![Layout::Strided32, Layout::Strided]
                } else {
                    vec![plan.layout]
                };
                for layout in layouts {
                    let k = theano_ptx::elemwise::lower_elemwise_inplace(
                        "k",
                        &op,
                        &[d, d],
                        d,
                        plan.shape.len(),
                        layout,
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
                        .unwrap_or_else(|e| {
                            panic!("{d} rank {rank} variant {variant} {layout:?}: {e}")
                        });
                }
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

#[test]
fn strided_index_widths_on_every_dtype_rank_1_to_6() {
    // every dtype, ranks 1-6, each operand C-ordered, transposed, reversed (negative
    // strides) or stepped, the second broadcast, some shapes zero-size: the planner picks
    // 32-bit indices for every strided launch here, and run_op runs the 64-bit kernel
    // beside it (bit-identical results)
    let mut r = rng(64);
    let (mut strided, mut zero) = (0, 0);
    for d in DType::ALL {
        let op = if d == DType::Bool {
            ScalarOp::Or
        } else {
            ScalarOp::Add
        };
        for rank in 1..=6 {
            for variant in 0..4 {
                let mut shape: Vec<usize> = (0..rank).map(|_| r.random_range(1..4)).collect();
                if variant == 3 {
                    shape[r.random_range(0..rank)] = 0;
                }
                let ys = broadcast_of(&mut r, &shape);
                let ins = [
                    tensor(&mut r, d, &shape, true),
                    tensor(&mut r, d, &ys, true),
                ];
                let arrays: Vec<HostArray> = ins
                    .iter()
                    .enumerate()
                    .map(|(k, t)| layout_variant(t, variant + k))
                    .collect();
                let refs: Vec<&HostArray> = arrays.iter().collect();
                let plan = plan_elemwise(&refs, 4).unwrap();
                if plan.layout.is_strided() {
                    assert_eq!(plan.layout, Layout::Strided32, "{shape:?} {ys:?}");
                    strided += 1;
                }
                if shape.contains(&0) {
                    zero += 1;
                }
                let (done, _) = check(&op, &ins, variant, None)
                    .unwrap_or_else(|e| panic!("{d} {shape:?} {ys:?}: {e}"));
                assert!(done, "{op} on {d}: the interpreter refused");
                // and the 64-bit kernel on its own, forced (also for contiguous plans)
                let (done, _) = check(&op, &ins, variant, Some(Layout::Strided))
                    .unwrap_or_else(|e| panic!("{d} {shape:?} {ys:?} (64-bit): {e}"));
                assert!(done);
            }
        }
    }
    println!("{strided} strided launches, {zero} zero-size");
    assert!(
        strided > 100 && zero >= 30,
        "{strided} strided, {zero} zero-size"
    );
}

/// An operand view over no storage: the planner reads shapes, strides and offsets only, so
/// huge geometries are planned without allocating them.
fn view(shape: &[usize], strides: &[isize]) -> HostArray {
    HostArray {
        dtype: DType::Float32,
        shape: shape.to_vec(),
        strides: strides.to_vec(),
        offset: 0,
        data: Vec::new(),
    }
}

#[test]
fn index32_condition_at_its_boundaries() {
    use theano_ptx::launch::index32_fits;
    let max = i32::MAX as isize;
    // the element count: below 2^31 only
    assert!(index32_fits(&[(1 << 31) - 1], &[vec![1], vec![-1]]));
    assert!(!index32_fits(&[1 << 31], &[vec![1], vec![-1]]));
    assert!(!index32_fits(
        &[1 << 16, 1 << 15],
        &[vec![1 << 15, 1], vec![0, 0]]
    ));
    // an operand's extent, sum of |stride| * (dim - 1): up to i32::MAX, either sign
    assert!(index32_fits(&[2], &[vec![1], vec![max]]));
    assert!(index32_fits(&[2], &[vec![1], vec![-max]]));
    assert!(!index32_fits(&[2], &[vec![1], vec![max + 1]]));
    assert!(!index32_fits(&[2], &[vec![1], vec![-max - 1]]));
    // summed over dimensions: 2 * 1073741822 + 3 * 1 = i32::MAX
    assert!(index32_fits(&[3, 4], &[vec![4, 1], vec![1073741822, 1]]));
    assert!(!index32_fits(&[3, 4], &[vec![4, 1], vec![1073741823, 1]]));
    assert!(!index32_fits(&[3, 4], &[vec![4, 1], vec![1073741822, -2]]));
    // every operand counts, the output included
    assert!(!index32_fits(&[3, 4], &[vec![1073741823, 1], vec![4, 1]]));
    // a dimension of length 1 or 0 contributes nothing, whatever its stride
    assert!(index32_fits(
        &[1, 5],
        &[vec![isize::MAX, 1], vec![isize::MIN, 0]]
    ));
    assert!(index32_fits(&[0, 5], &[vec![isize::MAX, 1]]));
    // no overflow in the check itself
    assert!(!index32_fits(
        &[usize::MAX, usize::MAX],
        &[vec![isize::MAX, isize::MIN]]
    ));
    assert!(!index32_fits(&[3; 8], &[vec![isize::MAX; 8]]));

    // the planner: a reversed vector of 2^31 - 1 elements (extents 2^31 - 2) takes 32-bit
    // indices; of 2^31 elements, whose extents are exactly i32::MAX, the count rules them out
    let rev = |n: usize| view(&[n], &[-1]);
    let p = plan_elemwise(&[&rev((1 << 31) - 1)], 4).unwrap();
    assert_eq!(p.layout, Layout::Strided32);
    let p = plan_elemwise(&[&rev(1 << 31)], 4).unwrap();
    assert_eq!(p.layout, Layout::Strided);
    // six elements, the input's row stride taking its extent to i32::MAX and one past: a
    // huge-extent view gets the 64-bit kernel
    let p = plan_elemwise(&[&view(&[2, 3], &[max - 2, 1])], 4).unwrap();
    assert_eq!((p.layout, p.shape.clone()), (Layout::Strided32, vec![2, 3]));
    let p = plan_elemwise(&[&view(&[2, 3], &[max - 1, 1])], 4).unwrap();
    assert_eq!((p.layout, p.shape.clone()), (Layout::Strided, vec![2, 3]));
    let p = plan_elemwise(&[&view(&[2, 3], &[-(max - 1), 1])], 4).unwrap();
    assert_eq!(p.layout, Layout::Strided);
    // in place: the output's strides are the input's, and count the same
    let inp = theano_ptx::launch::plan_elemwise_inplace;
    let p = inp(&[&view(&[2, 3], &[max - 2, 1])], 4, 0).unwrap();
    assert_eq!(p.layout, Layout::Strided32);
    let p = inp(&[&view(&[2, 3], &[max - 1, 1])], 4, 0).unwrap();
    assert_eq!(p.layout, Layout::Strided);
    // a broadcast operand's zero strides add nothing
    let p = plan_elemwise(&[&view(&[2, 3], &[max - 2, 1]), &view(&[3], &[1])], 4).unwrap();
    assert_eq!(p.layout, Layout::Strided32);
}

#[test]
fn a_32_bit_kernel_is_refused_where_it_would_be_inexact() {
    // run_elemwise checks the plan before it launches a Strided32 kernel: a view whose
    // extent passes i32 (a one-element buffer, so nothing huge is allocated: the launch
    // must be refused before any access)
    let k = theano_ptx::elemwise::lower_elemwise(
        "k",
        &ScalarOp::Neg,
        &[DType::Float32],
        DType::Float32,
        1,
        Layout::Strided32,
        Default::default(),
    )
    .unwrap();
    let mut a = view(&[2], &[1 << 31]);
    a.data = vec![0; 4];
    let e = theano_ptx::launch::run_elemwise(&k, &[&a], DIMS).unwrap_err();
    assert!(e.to_string().contains("32-bit"), "{e}");
    // the same kernel on a small view runs
    let t = Tensor::from_f64_vec(DType::Float32, &[2], vec![1.0, 2.0]).unwrap();
    let b = HostArray::from_tensor(&t).reversed(0);
    let got = theano_ptx::launch::run_elemwise(&k, &[&b], DIMS).unwrap();
    assert_eq!(got.to_tensor().to_f64_vec(), vec![-2.0, -1.0]);
}
