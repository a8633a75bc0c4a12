//! The text form: print, parse back, print again; every op and scalar op; constants of every
//! dtype; shared variables; parse errors.

use expect_test::expect;
use std::collections::HashMap;
use std::panic::Location;
use std::sync::Arc;
use theano_ir::fgraph::{parse_op, structurally_equal, FunctionGraph};
use theano_ir::tensor as T;
use theano_ir::{
    AdvEntry, ApplyRef, CumMode, CustomOp, CustomRef, DType, Idx, IdxEntry, Op, ReduceKind,
    ScalarOp, SortKind, Tensor, TensorType, Variable,
};

fn create(op: Op, inputs: Vec<Variable>) -> Variable {
    ApplyRef::create(op, inputs, Location::caller())
        .unwrap()
        .output(0)
}

/// Print, parse (resolving shared variables by name), print again; check text and structure.
fn round_trip(fg: &FunctionGraph, shared: &[Variable]) -> FunctionGraph {
    fg.verify().unwrap();
    let text = fg.to_text();
    let map: HashMap<String, Variable> = shared
        .iter()
        .map(|v| (v.name().unwrap().to_string(), v.clone()))
        .collect();
    let back = FunctionGraph::parse_with(&text, &|k| map.get(k).cloned())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    back.verify().unwrap();
    assert_eq!(back.to_text(), text);
    assert!(structurally_equal(fg, &back), "{text}");
    assert_eq!(fg, &back);
    // the annotated form parses to the same graph
    let annotated =
        FunctionGraph::parse_with(&fg.to_text_annotated(), &|k| map.get(k).cloned()).unwrap();
    assert_eq!(annotated.to_text(), text);
    back
}

/// One number per `Op` variant; exhaustive, so a new variant must be added to the test.
fn variant(op: &Op) -> usize {
    match op {
        Op::Elemwise { .. } => 0,
        Op::DimShuffle { .. } => 1,
        Op::Reduce { .. } => 2,
        Op::MaxAndArgmax { .. } => 3,
        Op::Dot => 4,
        Op::Softmax => 5,
        Op::LogSoftmax => 6,
        Op::Shape => 7,
        Op::ShapeI(_) => 8,
        Op::Reshape { .. } => 9,
        Op::Flatten { .. } => 10,
        Op::ARange { .. } => 11,
        Op::Alloc => 12,
        Op::Join { .. } => 13,
        Op::MakeVector { .. } => 14,
        Op::Subtensor { .. } => 15,
        Op::IncSubtensor { .. } => 16,
        Op::AdvancedSubtensor1 => 17,
        Op::AdvancedSubtensor { .. } => 18,
        Op::AdvancedIncSubtensor1 { .. } => 19,
        Op::AdvancedIncSubtensor { .. } => 20,
        Op::Gemv { .. } => 21,
        Op::Gemm { .. } => 22,
        Op::Ger { .. } => 23,
        Op::Dot22 => 24,
        Op::CrossentropySoftmaxArgmax1HotWithBias => 25,
        Op::CrossentropySoftmax1HotWithBiasDx => 26,
        Op::SpecifyShape => 27,
        Op::SoftmaxGrad => 28,
        Op::Argmax { .. } => 29,
        Op::CumOp { .. } => 30,
        Op::Sort { .. } => 31,
        Op::ArgSort { .. } => 32,
        Op::Repeat { .. } => 33,
        Op::Nonzero => 34,
        Op::Eye { .. } => 35,
        Op::Tri { .. } => 36,
        Op::ExtractDiag { .. } => 37,
        Op::AllocDiag { .. } => 38,
        Op::BatchedDot => 39,
        Op::SoftmaxWithBias => 40,
        Op::ProdWithoutZeros { .. } => 41,
        Op::AdvancedBooleanSubtensor => 42,
        Op::AdvancedBooleanIncSubtensor { .. } => 43,
        Op::DeepCopy => 44,
        Op::AllocEmpty { .. } => 45,
        Op::CrossentropyCategorical1Hot => 46,
        Op::CrossentropyCategorical1HotGrad => 47,
        Op::IfElse { .. } => 48,
        Op::PermuteRowElements => 49,
        Op::AbstractConv2d { .. } => 50,
        Op::Pool { .. } => 51,
        Op::Custom(_) => 52,
    }
}
const N_VARIANTS_PARSABLE: usize = 52;

/// A graph using every op (with its parameters in several forms) and every scalar op.
fn every_op_graph() -> (Vec<Variable>, Vec<Variable>, Vec<Variable>) {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let v = T::dvector("v");
    let i = T::lscalar("i");
    let j = T::iscalar("j");
    let iv = T::lvector("iv");
    let im = T::imatrix("im");
    let b = T::bmatrix("b");
    let w = Variable::shared(Tensor::zeros(DType::Float64, &[2, 3]), Some("W")).unwrap();
    let t4 = T::dtensor4("t4");
    let inputs = vec![
        t4.clone(),
        x.clone(),
        y.clone(),
        v.clone(),
        i.clone(),
        j.clone(),
        iv.clone(),
        im.clone(),
        b.clone(),
    ];
    let mut outs: Vec<Variable> = Vec::new();

    // every scalar op through the builders
    outs.extend([
        &x + &y,
        &x - &y,
        &x * &y,
        &x / &y,
        T::int_div(&x, &y),
        &x % &y,
        x.pow(&y),
        -&x,
        T::exp(&x),
        T::log(&x),
        T::log1p(&x),
        T::expm1(&x),
        T::tanh(&x),
        T::sigmoid(&x),
        T::softplus(&x),
        T::abs(&x),
        T::sgn(&x).unwrap(),
        T::floor(&x),
        T::ceil(&x),
        T::round(&x).unwrap(),
        T::round_half_away_from_zero(&x).unwrap(),
        T::sqr(&x),
        T::sqrt(&x),
        // Theano 1.0's catalogue
        T::sin(&x),
        T::cos(&x),
        T::tan(&x),
        T::arcsin(&x),
        T::arccos(&x),
        T::arctan(&x),
        T::arctan2(&x, &y),
        T::sinh(&x),
        T::cosh(&x),
        T::arcsinh(&x),
        T::arccosh(&x),
        T::arctanh(&x),
        T::exp2(&x),
        T::log2(&x),
        T::log10(&x),
        T::erf(&x),
        T::erfc(&x),
        T::erfinv(&x),
        T::erfcinv(&x),
        T::gamma(&x),
        T::gammaln(&x),
        T::psi(&x),
        T::tri_gamma(&x),
        T::inv(&x),
        T::deg2rad(&x),
        T::rad2deg(&x),
        T::trunc(&x),
        T::softsign(&x),
        T::ultra_fast_sigmoid(&x),
        T::cast(T::isnan(&x), DType::Int8),
        T::cast(T::isinf(&x), DType::Int8),
        T::maximum(&x, &y),
        T::minimum(&x, &y),
        T::clip(&x, 0.0, 1.0),
        T::switch(T::gt(&x, &y), &x, &y),
        T::cast(T::lt(&x, &y), DType::Int8),
        T::cast(T::ge(&x, &y), DType::Float32),
        T::le(&x, &y),
        T::eq(&x, &y),
        T::neq(&x, &y),
        T::and_(&b, &b).unwrap(),
        T::or_(&b, &b).unwrap(),
        T::xor(&b, &b).unwrap(),
        T::invert(&b).unwrap(),
        T::fill(&x, &y),
        T::elemwise(ScalarOp::Identity, vec![x.clone()]).unwrap(),
        T::elemwise(ScalarOp::Add, vec![x.clone(), y.clone(), w.clone()]).unwrap(),
    ]);
    for d in DType::ALL {
        outs.push(create(Op::elemwise(ScalarOp::Cast(d)), vec![x.clone()]));
        outs.push(create(
            Op::Elemwise {
                scalar: ScalarOp::Cast(d),
                inplace: Some(0),
            },
            vec![x.clone()],
        ));
    }
    outs.push(create(
        Op::Elemwise {
            scalar: ScalarOp::Mul,
            inplace: Some(1),
        },
        vec![x.clone(), y.clone()],
    ));

    // layout
    outs.push(x.t());
    outs.push(v.dimshuffle(&[None, Some(0), None]).unwrap());
    outs.push(create(
        Op::DimShuffle {
            new_order: vec![Some(1), Some(0)],
            inplace: false,
        },
        vec![x.clone()],
    ));
    outs.push(create(
        Op::DimShuffle {
            new_order: vec![],
            inplace: false,
        },
        vec![T::dscalar("")],
    ));
    outs.push(T::shape(&x));
    outs.push(x.shape_i(1).unwrap());
    outs.push(x.reshape([3, -1]).unwrap());
    outs.push(
        x.reshape(vec![i.clone(), T::cast(&j, DType::Int64)])
            .unwrap(),
    );
    outs.push(T::dtensor3("t").flatten(2).unwrap());
    outs.push(T::flatten(&x, 1).unwrap());
    // the Flatten op itself (the flatten builders build Theano 1.0.5's Reshape)
    outs.push(T::apply_op(Op::Flatten { outdim: 1 }, vec![x.clone()]).unwrap()[0].clone());
    outs.push(T::specify_shape(&x, [2, 3]).unwrap());
    // a constant 1 in a shape types the dimension broadcastable; the parser must agree
    outs.push(x.reshape([1, -1]).unwrap());
    outs.push(T::alloc(&v, &[T::constant(1i64), i.clone()]).unwrap());

    // reductions
    for kind in ReduceKind::ALL {
        for axes in [None, Some(vec![]), Some(vec![0]), Some(vec![0, 1])] {
            outs.push(create(
                Op::Reduce {
                    kind,
                    axes,
                    dtype: None,
                },
                vec![x.clone()],
            ));
        }
    }
    outs.push(T::sum(&x));
    outs.push(T::prod_axes(&x, Some(&[1]), true).unwrap());
    let (m, a) = T::max_and_argmax(&x, Some(&[1])).unwrap();
    outs.push(m);
    outs.push(a);
    let (m, a) = T::max_and_argmax(&x, None).unwrap();
    outs.push(a);
    outs.push(m);
    outs.push(create(Op::MaxAndArgmax { axes: vec![] }, vec![x.clone()]));

    // linear algebra, nnet
    outs.push(T::dot(&x, &y).unwrap());
    outs.push(T::dot(&x, &v).unwrap());
    outs.push(T::dot(&v, &v).unwrap());
    outs.push(T::softmax(&x).unwrap());
    // matrix constructions and batched products (negative offsets, every parameter)
    outs.push(T::eye(&i, Some(i.clone()), -1, Some(DType::Int32)).unwrap());
    outs.push(T::tri(&i, None, &j, None).unwrap());
    outs.push(T::tril(&x, -2).unwrap());
    outs.push(T::diagonal(T::dtensor3("t3"), -1, 2, 0).unwrap());
    outs.push(T::diag(&v, 2).unwrap());
    outs.push(create(
        Op::AllocDiag {
            offset: -3,
            axis1: 2,
            axis2: 0,
        },
        vec![x.clone()],
    ));
    outs.push(T::batched_dot(&x, T::dtensor3("t4")).unwrap());
    outs.push(T::softmax_with_bias(&x, &v).unwrap());
    // the BLAS ops (only the optimizer builds them), in place and not
    let s = T::dscalar("s");
    for inplace in [false, true] {
        outs.push(create(
            Op::Gemv { inplace },
            vec![v.clone(), s.clone(), x.clone(), v.clone(), s.clone()],
        ));
        outs.push(create(
            Op::Gemm { inplace },
            vec![x.clone(), s.clone(), x.clone(), y.clone(), s.clone()],
        ));
        outs.push(create(
            Op::Ger {
                destructive: inplace,
            },
            vec![x.clone(), s.clone(), v.clone(), v.clone()],
        ));
    }
    outs.push(create(Op::Dot22, vec![x.clone(), y.clone()]));
    outs.push(create(Op::DeepCopy, vec![x.clone()]));
    outs.extend(
        T::ifelse_many(
            T::lt(T::sum(&x), 1.0),
            &[x.clone(), T::sum(&x)],
            &[T::neg(&x).unwrap(), T::max(&x, None, false).unwrap()],
        )
        .unwrap(),
    );
    outs.push(create(
        Op::AllocEmpty {
            dtype: DType::Float32,
        },
        vec![i.clone(), T::constant(1i64)],
    ));
    outs.push(T::log_softmax(&x).unwrap());
    outs.push(T::apply_op(Op::Argmax { axes: vec![1] }, vec![x.clone()]).unwrap()[0].clone());
    outs.push(
        T::apply_op(Op::ProdWithoutZeros { axes: None }, vec![x.clone()]).unwrap()[0].clone(),
    );
    let picked = x.get(&[Idx::Array(T::gt(&x, 0.0))]).unwrap();
    outs.push(picked.clone());
    outs.push(T::set_subtensor(&picked, T::constant(1.0)).unwrap());
    outs.push(T::inc_subtensor(&picked, T::constant(2.0)).unwrap());
    outs.push(
        T::apply_op(
            Op::ProdWithoutZeros {
                axes: Some(vec![0]),
            },
            vec![x.clone()],
        )
        .unwrap()[0]
            .clone(),
    );
    outs.push(
        T::apply_op(Op::SoftmaxGrad, vec![y.clone(), T::softmax(&x).unwrap()]).unwrap()[0].clone(),
    );
    // the crossentropy ops: all three outputs, and the gradient op
    let (nll, sm, am) = T::crossentropy_softmax_argmax_1hot_with_bias(&x, &v, &iv).unwrap();
    outs.extend([nll.clone(), sm.clone(), am]);
    outs.push(T::crossentropy_softmax_1hot_with_bias_dx(&nll, &sm, &iv).unwrap());
    let cc = T::categorical_crossentropy(&x, &iv).unwrap();
    outs.push(T::crossentropy_categorical_1hot_grad(&cc, &x, &iv).unwrap());
    outs.push(cc);

    // construction
    outs.push(T::arange_full(&i, 10i64, 2i64).unwrap());
    outs.push(T::arange(2.5f64).unwrap());
    outs.push(T::alloc_const(1.5f64, &[2, 3]).unwrap());
    outs.push(T::alloc(&v, &[i.clone(), i.clone()]).unwrap());
    outs.push(T::concatenate(&[x.clone(), y.clone()], 1).unwrap());
    outs.push(T::stack(&[v.clone(), v.clone()], 0).unwrap());
    outs.push(T::make_vector(&[i.clone(), j.clone()], DType::Int64).unwrap());
    outs.push(T::make_vector(&[T::dscalar("s")], DType::Float32).unwrap());

    // basic indexing, every bound form
    outs.push(x.at(1i64).unwrap());
    outs.push(x.at(&j).unwrap());
    outs.push(x.get(&[Idx::all(), Idx::start_at(&i)]).unwrap());
    outs.push(x.get(&[Idx::to(2i64), Idx::step(&j)]).unwrap());
    outs.push(
        x.get(&[Idx::slice(
            Some(j.clone()),
            Some(i.clone()),
            Some(i.clone()),
        )])
        .unwrap(),
    );
    outs.push(x.slice_rows(&i, &i + 2i64).unwrap());
    let sub = x.get(&[Idx::start_at(1i64), Idx::Int(j.clone())]).unwrap();
    outs.push(T::set_subtensor(&sub, 0.0).unwrap());
    outs.push(T::inc_subtensor(&sub, &v).unwrap());
    outs.push(create(
        Op::IncSubtensor {
            idx: vec![IdxEntry::Index(DType::Int64)],
            set: true,
            inplace: true,
        },
        vec![x.clone(), v.clone(), i.clone()],
    ));
    outs.push(create(
        Op::IncSubtensor {
            idx: vec![],
            set: false,
            inplace: true,
        },
        vec![x.clone(), y.clone()],
    ));

    // advanced indexing
    let a1 = x.at(&iv).unwrap();
    outs.push(a1.clone());
    outs.push(T::set_subtensor(&a1, &v).unwrap());
    outs.push(T::inc_subtensor(&a1, 1.0).unwrap());
    outs.push(create(
        Op::AdvancedIncSubtensor1 {
            set: false,
            inplace: true,
        },
        vec![x.clone(), v.clone(), iv.clone()],
    ));
    let adv = x.get(&[Idx::all(), Idx::Array(im.clone())]).unwrap();
    outs.push(adv.clone());
    outs.push(T::set_subtensor(&adv, 2.0).unwrap());
    outs.push(T::inc_subtensor(&adv, 2.0).unwrap());
    outs.push(create(
        Op::AdvancedIncSubtensor {
            idx: vec![AdvEntry::Array, AdvEntry::Array],
            set: true,
            inplace: true,
        },
        vec![x.clone(), T::dscalar("yy"), iv.clone(), iv.clone()],
    ));
    outs.push(
        x.get(&[Idx::Array(iv.clone()), Idx::Array(iv.clone())])
            .unwrap(),
    );

    // extra_ops and sort: every parameter form
    for mode in [CumMode::Add, CumMode::Mul] {
        for axis in [None, Some(0), Some(-1)] {
            outs.push(create(Op::CumOp { axis, mode }, vec![x.clone()]));
        }
    }
    for kind in SortKind::ALL {
        outs.push(create(Op::Sort { kind }, vec![x.clone(), i.clone()]));
        outs.push(create(Op::ArgSort { kind }, vec![x.clone(), j.clone()]));
    }
    outs.push(T::sort(&x, None).unwrap());
    outs.push(T::argsort(&x, Some(-1)).unwrap());
    for axis in [None, Some(1), Some(-2)] {
        outs.push(create(Op::Repeat { axis }, vec![x.clone(), iv.clone()]));
        outs.push(create(Op::Repeat { axis }, vec![x.clone(), i.clone()]));
    }
    outs.push(T::repeat(&x, 2i64, Some(0)).unwrap());
    outs.push(T::tile(&x, &[T::constant(2i64), j.clone()], Some(3)).unwrap());
    outs.push(T::nonzero_matrix(&b).unwrap());
    outs.extend(T::nonzero(&x).unwrap());
    outs.push(T::nonzero_values(&x).unwrap());
    outs.push(T::permute_row_elements(&x, &iv, true).unwrap());
    outs.push(T::inverse_permutation(&im).unwrap());
    let conv = T::conv2d_with(
        &t4,
        &t4,
        &T::Conv2dArgs {
            border_mode: theano_ir::Border::pad((1, 0), (2, 2)),
            subsample: [2, 1],
            filter_flip: false,
            input_shape: Some([None, Some(3), None, None]),
            filter_dilation: [1, 2],
            num_groups: 3,
            ..T::Conv2dArgs::default()
        },
    )
    .unwrap();
    outs.push(conv.clone());
    let pooled = T::pool_2d(
        &t4,
        [2, 3],
        &T::PoolArgs {
            ignore_border: true,
            stride: Some(vec![1, 2]),
            pad: Some(vec![1, 0]),
            mode: theano_ir::PoolMode::AverageExcPad,
        },
    )
    .unwrap();
    outs.push(pooled);
    for kind in [
        theano_ir::PoolKind::MaxPoolGrad,
        theano_ir::PoolKind::MaxPoolGradGrad,
    ] {
        let p = T::pool_2d(&t4, [2, 2], &T::PoolArgs::default()).unwrap();
        let mut ins = vec![t4.clone(), p.clone(), p.clone()];
        ins.extend(p.owner().unwrap().inputs()[1..].iter().cloned());
        if kind == theano_ir::PoolKind::MaxPoolGradGrad {
            ins[2] = t4.clone();
        }
        let op = Op::Pool {
            kind,
            ignore_border: false,
            mode: theano_ir::PoolMode::Max,
            ndim: 2,
        };
        outs.push(T::apply_op(op, ins).unwrap().remove(0));
    }
    let sum = T::pool_3d(
        &t4,
        [1, 2, 2],
        &T::PoolArgs {
            mode: theano_ir::PoolMode::Sum,
            ..T::PoolArgs::default()
        },
    )
    .unwrap();
    let mut ins = vec![t4.clone(), sum.clone()];
    ins.extend(sum.owner().unwrap().inputs()[1..].iter().cloned());
    outs.push(
        T::apply_op(
            Op::Pool {
                kind: theano_ir::PoolKind::AveragePoolGrad,
                ignore_border: false,
                mode: theano_ir::PoolMode::Sum,
                ndim: 3,
            },
            ins,
        )
        .unwrap()
        .remove(0),
    );
    outs.push(
        T::conv2d_grad_wrt_inputs(&conv, &t4, [2i64, 3, 5, 5], &T::Conv2dArgs::default()).unwrap(),
    );
    outs.push(
        T::conv2d_grad_wrt_weights(&t4, &conv, vec![i.clone(); 4], &T::Conv2dArgs::default())
            .unwrap(),
    );

    // unnamed and named intermediates, shared, and leaves as outputs
    let named = (&x * 2.0).named("twice x");
    outs.push(T::exp(&named));
    outs.push(T::dot(&w, x.t()).unwrap());
    outs.push(w.clone());
    outs.push(x.clone());

    // the inputs used only by the unnamed scalar and tensor3 inputs built above are added
    let mut all_inputs = inputs;
    for leaf in theano_ir::graph::graph_inputs(&outs) {
        if matches!(leaf.kind(), theano_ir::VarKind::Input) && !all_inputs.contains(&leaf) {
            all_inputs.push(leaf);
        }
    }
    (all_inputs, outs, vec![w])
}

#[test]
fn every_op_round_trips() {
    let (inputs, outputs, shared) = every_op_graph();
    let fg = FunctionGraph::from_outputs(&inputs, &outputs).unwrap();
    // every parsable variant and every scalar op (and every cast) is present
    let mut seen_variants = vec![false; N_VARIANTS_PARSABLE];
    let mut seen_scalars = Vec::new();
    for n in fg.toposort() {
        let op = fg.op(n);
        seen_variants[variant(op)] = true;
        if let Op::Elemwise { scalar, .. } = op {
            seen_scalars.push(scalar.clone());
        }
        // every op's display form parses back to the op (`if{}` without its output count,
        // which the node's definitions give)
        let parsed = match parse_op(&op.to_string()).unwrap() {
            Op::IfElse { n_outs: 0 } => Op::IfElse {
                n_outs: fg.node_outputs(n).len(),
            },
            p => p,
        };
        assert_eq!(&parsed, op, "{op}");
    }
    assert!(seen_variants.iter().all(|&s| s), "{seen_variants:?}");
    for s in ScalarOp::ALL
        .into_iter()
        .chain(DType::ALL.map(ScalarOp::Cast))
    {
        assert!(seen_scalars.contains(&s), "{s} missing");
    }
    let back = round_trip(&fg, &shared);
    // the shared variable is the user's own cell
    let w = back
        .toposort()
        .iter()
        .flat_map(|&n| back.node_inputs(n).to_vec())
        .find(|&v| back.shared_cell(v).is_some())
        .unwrap();
    assert!(Arc::ptr_eq(
        back.shared_cell(w).unwrap(),
        shared[0].shared_cell().unwrap()
    ));
}

#[test]
fn constants_of_every_dtype_round_trip_exactly() {
    let f64s = [
        0.0,
        -0.0,
        0.1,
        1.0 / 3.0,
        1e-300,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::from_bits(0xfff8_0000_0000_0001),
        123456789.125,
    ];
    let f32s = [
        0.1f32,
        -0.0,
        f32::MAX,
        1e-45,
        f32::NAN,
        f32::from_bits(0x7fc0_0001),
        f32::INFINITY,
        3.3,
    ];
    let consts = vec![
        Tensor::from_f64_vec(DType::Float64, &[f64s.len()], f64s.to_vec()).unwrap(),
        Tensor::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 4]), f32s.to_vec()).unwrap(),
        ),
        Tensor::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3]), vec![i64::MIN, i64::MAX, 0])
                .unwrap(),
        ),
        Tensor::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3, 1]), vec![i32::MIN, i32::MAX, -1])
                .unwrap(),
        ),
        Tensor::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2]), vec![i16::MIN, i16::MAX])
                .unwrap(),
        ),
        Tensor::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[1, 2]), vec![i8::MIN, i8::MAX])
                .unwrap(),
        ),
        Tensor::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2]), vec![0u8, 255]).unwrap(),
        ),
        Tensor::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2]), vec![true, false]).unwrap(),
        ),
        Tensor::scalar(2i8),
        Tensor::scalar(-1.5f64),
        Tensor::scalar(f64::NAN),
        Tensor::scalar(true),
        Tensor::zeros(DType::Float32, &[0, 3]),
        Tensor::zeros(DType::Int64, &[2, 0, 1]),
        Tensor::full(DType::UInt8, &[1, 1, 1], 7.0),
    ];
    let outs: Vec<Variable> = consts
        .iter()
        .cloned()
        .map(|t| Variable::constant(t).unwrap())
        .collect();
    let fg = FunctionGraph::from_outputs(&[], &outs).unwrap();
    let back = round_trip(&fg, &[]);
    for (k, &o) in back.outputs().iter().enumerate() {
        let t = back.constant_value(o).unwrap();
        assert!(theano_ir::fgraph::tensors_bit_equal(t, &consts[k]), "{k}");
    }
    let text = fg.to_text();
    assert!(text.contains("nan(0xfff8000000000001)"), "{text}");
    assert!(text.contains("%1: float32[?,?] = const [2,4] {0.1, -0.0, 3.4028235e38, 1e-45, nan, nan(0x7fc00001), inf, 3.3}"), "{text}");
}

#[test]
fn snapshot_of_a_small_graph() {
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let w = Variable::shared(Tensor::zeros(DType::Float64, &[3, 3]), Some("W")).unwrap();
    let h = T::tanh(T::dot(&x, &w).unwrap() + &y).named("h");
    let (m, a) = T::max_and_argmax(&h, Some(&[1])).unwrap();
    let z = (&m * 2i64).named("z");
    let c =
        T::try_constant(Tensor::from_f64_vec(DType::Float64, &[3], vec![0.5, -1.0, 1e-7]).unwrap())
            .unwrap();
    let fg = FunctionGraph::from_outputs(&[x, y], &[z, a, c]).unwrap();
    let text = fg.to_text();
    expect![[r#"
        function(%0: float64[?,?] "x", %1: float64[?] "y") {
          %2: float64[?,?] "W" = shared
          %3: int8[] = const 2
          %4: float64[?] = const [3] {0.5, -1.0, 1e-7}
          %5: float64[?,?] = dot(%0, %2)
          %6: float64[1,?] = InplaceDimShuffle{x,0}(%1)
          %7: float64[?,?] = Elemwise{add,no_inplace}(%5, %6)
          %8: float64[?,?] "h" = Elemwise{tanh,no_inplace}(%7)
          %9: float64[?], %10: int64[?] = MaxAndArgmax{axis=(1,)}(%8)
          %11: int8[1] = InplaceDimShuffle{x}(%3)
          %12: float64[?] "z" = Elemwise{mul,no_inplace}(%9, %11)
          return %12, %10, %4
        }
    "#]]
    .assert_eq(&text);
    let shared = fg
        .shared_cell(fg.node_inputs(fg.toposort()[0])[1])
        .is_some();
    assert!(shared);
}

#[test]
fn hand_written_text_with_comments_and_names() {
    let text = r#"
# a hand-written graph
function(%x: float64[?] "x", %n: int64[]) {   # header comment
  %two: int8[] = const 2
  %b: int8[1] = InplaceDimShuffle{x}(%two)
  %y: float64[?] "y \"quoted\" \u{e9}" = Elemwise{pow,no_inplace}(%x, %b)
  %s: float64[] = Sum(%y)
  return %s, %n
}
"#;
    let fg = FunctionGraph::parse(text).unwrap();
    fg.verify().unwrap();
    assert_eq!(fg.inputs().len(), 2);
    let y = fg.node_inputs(fg.toposort()[2])[0];
    assert_eq!(fg.name(y), Some("y \"quoted\" é"));
    expect![[r#"
        function(%0: float64[?] "x", %1: int64[]) {
          %2: int8[] = const 2
          %3: int8[1] = InplaceDimShuffle{x}(%2)
          %4: float64[?] "y \"quoted\" é" = Elemwise{pow,no_inplace}(%0, %3)
          %5: float64[] = Sum(%4)
          return %5, %1
        }
    "#]]
    .assert_eq(&fg.to_text());
    round_trip(&fg, &[]);
}

fn parse_err(text: &str) -> String {
    FunctionGraph::parse(text).unwrap_err().to_string()
}

#[test]
fn parse_errors_have_line_and_column() {
    let head = "function(%0: float64[?,?] \"x\") {\n";
    let e = |body: &str| parse_err(&format!("{head}{body}\n  return %0\n}}\n"));
    expect!["line 2, column 22: unknown scalar op `nope`"]
        .assert_eq(&e("  %1: float64[?,?] = Elemwise{nope,no_inplace}(%0)"));
    expect!["line 2, column 22: unknown op `Frobnicate` (a custom op is parsed only when its constructor is registered with register_custom_op)"]
        .assert_eq(&e("  %1: float64[?,?] = Frobnicate(%0)"));
    expect!["line 2, column 47: `%9` is not defined"]
        .assert_eq(&e("  %1: float64[?,?] = Elemwise{exp,no_inplace}(%9)"));
    expect!["line 2, column 3: type float64[?] does not match the inferred float64[?,?]"]
        .assert_eq(&e("  %1: float64[?] = Elemwise{exp,no_inplace}(%0)"));
    expect!["line 2, column 19: dot: expects 2 inputs, got 1"]
        .assert_eq(&e("  %1: float64[] = dot(%0)"));
    expect!["line 2, column 3: `%0` is already defined"].assert_eq(&e("  %0: int8[] = const 1"));
    expect!["line 2, column 22: `2.5` is not a valid int8 value"]
        .assert_eq(&e("  %1: int8[] = const 2.5"));
    expect!["line 2, column 26: shape [2] needs 2 values, got 3"]
        .assert_eq(&e("  %1: float64[?] = const [2] {1, 2, 3}"));
    expect!["line 2, column 3: a constant of shape [1] has type float64[1], not float64[?]"]
        .assert_eq(&e("  %1: float64[?] = const [1] {1.0}"));
    expect!["line 2, column 26: shared variable `W` needs a resolver: parse with FunctionGraph::parse_with"]
        .assert_eq(&e("  %1: float64[?,?] \"W\" = shared"));
    expect!["line 2, column 7: expected a dtype such as `float64`, found `float65`"]
        .assert_eq(&e("  %1: float65[] = const 1"));
    expect!["line 2, column 51: unexpected `junk`"]
        .assert_eq(&e("  %1: float64[?,?] = Elemwise{exp,no_inplace}(%0) junk"));
    expect!["line 2, column 20: MaxAndArgmax{axis=(0,)} has 2 output(s), 1 defined"]
        .assert_eq(&e("  %1: float64[?] = MaxAndArgmax{axis=(0,)}(%0)"));
    expect!["line 1, column 1: expected `function(...) {`"].assert_eq(&parse_err("graph() {"));
    expect!["line 2, column 1: unexpected end of text: expected `return`"]
        .assert_eq(&parse_err(head));
    expect!["line 4, column 1: text after the end of the function"]
        .assert_eq(&parse_err(&format!("{head}  return %0\n}}\nmore\n")));
    expect!["line 2, column 26: unknown shared variable `V`"].assert_eq(
        &FunctionGraph::parse_with(
            &format!("{head}  %1: float64[?,?] \"V\" = shared\n  return %1\n}}\n"),
            &|_| None,
        )
        .unwrap_err()
        .to_string(),
    );
}

#[derive(Debug)]
struct Twice;
impl CustomOp for Twice {
    fn name(&self) -> String {
        "Twice".into()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        Ok(inputs.to_vec())
    }
}

#[test]
fn unregistered_custom_ops_print_but_do_not_parse() {
    let x = T::dvector("x");
    let y = create(Op::Custom(CustomRef(Arc::new(Twice))), vec![x.clone()]);
    let fg = FunctionGraph::from_outputs(&[x], &[y]).unwrap();
    fg.verify().unwrap();
    let text = fg.to_text();
    assert!(text.contains("%1: float64[?] = Twice(%0)"), "{text}");
    let e = FunctionGraph::parse(&text).unwrap_err();
    assert_eq!((e.line, e.column), (2, 20));
    assert!(e.message.contains("register_custom_op"), "{e}");
}

#[test]
fn parse_op_rejects_malformed_parameters() {
    for bad in [
        "Elemwise{add}[(1, 0)]",
        "Elemwise{add,no_inplace}[(0, 0)]",
        "Sum{axis=0}",
        "DimShuffle{y}",
        "Subtensor{int64:}",
        "IncSubtensor{Add;int64}",
        "AdvancedIncSubtensor1{inplace}",
        "AdvancedSubtensor{int, x}",
        "dot{}",
        "Softmax[0]",
        "ARange{dtype=int64}",
        "Join{axis=-1}",
        "Reshape{",
        "CumOp{1}",
        "CumOp{x, add}",
        "CumOp{0, sub}",
        "CumOp",
        "SortOp{quick, None}",
        "SortOp{quicksort, ['f']}",
        "ArgSortOp",
        "RepeatOp{1}",
        "RepeatOp{axis=one}",
        "Nonzero{}",
        "PermuteRowElements{0}",
    ] {
        assert!(parse_op(bad).is_err(), "{bad} parsed");
    }
}

/// nnet's sigmoid_binary_crossentropy (a named op with Theano's parameters) prints and parses
/// back to the same shared op.
#[test]
fn sigmoid_binary_crossentropy_round_trips() {
    let (x, t) = (T::dmatrix("x"), T::drow("t"));
    let out = T::sigmoid_binary_crossentropy(&x, &t).unwrap();
    // its gradient op (two outputs), through the op's gradient hook
    let g = T::dmatrix("g");
    let owner = out.owner().unwrap();
    let Op::Custom(c) = owner.op() else {
        panic!("{out}")
    };
    let grads =
        c.0.grad(
            &[x.clone(), t.clone()],
            std::slice::from_ref(&out),
            &[Some(g.clone())],
        )
        .unwrap()
        .unwrap();
    let mut outs = vec![out];
    outs.extend(grads.into_iter().flatten());
    let fg = FunctionGraph::from_outputs(&[x, t, g], &outs).unwrap();
    let back = round_trip(&fg, &[]);
    let text = back.to_text();
    assert!(
        text.contains("sigmoid_binary_crossentropy{inline=True}"),
        "{text}"
    );
    assert!(
        text.contains("= sigmoid_binary_crossentropy_grad{inline=True}("),
        "{text}"
    );
}

/// `Gemv` prints as Theano 1.0.5 without a linked BLAS names it; the `CGemv` of older IR
/// text still reads back as the same op.
#[test]
fn gemv_reads_both_names() {
    for (text, inplace) in [
        ("Gemv{inplace}", true),
        ("CGemv{inplace}", true),
        ("CGemv{no_inplace}", false),
    ] {
        assert_eq!(parse_op(text).unwrap(), Op::Gemv { inplace }, "{text}");
    }
    assert_eq!(Op::Gemv { inplace: true }.to_string(), "Gemv{inplace}");
    assert_eq!(
        Op::AllocEmpty {
            dtype: DType::Float64
        }
        .to_string(),
        "AllocEmpty{dtype='float64'}"
    );
    assert!(parse_op("AllocEmpty{dtype='float65'}").is_err());
    assert!(parse_op("AllocEmpty").is_err());
    assert_eq!(Op::DeepCopy.to_string(), "DeepCopyOp");
}
