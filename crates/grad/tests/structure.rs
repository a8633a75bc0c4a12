//! Structural tests of the gradient rules: the notebook's exact graph, the types of the
//! gradients, and the errors.

mod common;
use common::pp;
use theano_grad::*;
use theano_ir::tensor as T;
use theano_ir::{DType, TensorType, Variable};

#[test]
fn cell_38_pp_is_theano_exact() {
    let x = T::dscalar("x");
    let y = x.pow(2);
    let gy = grad1(&y, &x).unwrap();
    assert_eq!(
        pp(&gy),
        "((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) * \
         (x ** (TensorConstant{2} - TensorConstant{1})))"
    );
    // built with the original objects: y's node and y's constant 2
    let top = gy.owner().unwrap();
    let left = top.inputs()[0].owner().unwrap();
    let fill = left.inputs()[0].owner().unwrap();
    assert_eq!(fill.inputs()[0], y);
    let two = y.owner().unwrap().inputs()[1].clone();
    assert_eq!(left.inputs()[1], two);
    assert_eq!(gy.ty(), T::DSCALAR);
}

/// grad of `cost` wrt each of `wrt` has exactly wrt's type.
fn assert_types(cost: &Variable, wrt: &[Variable]) -> Vec<Variable> {
    let g = grad(cost, wrt).unwrap_or_else(|e| panic!("{e}"));
    for (gi, w) in g.iter().zip(wrt) {
        assert_eq!(gi.ty(), w.ty(), "gradient of {w}: {}", common::pp(gi));
    }
    g
}

#[test]
fn accumulates_uses_in_order() {
    let x = T::dscalar("x");
    let y = &(&x * &x) + &x;
    let g = grad1(&y, &x).unwrap();
    let s = "fill(((x * x) + x), TensorConstant{1.0})";
    assert_eq!(pp(&g), format!("((({s} * x) + ({s} * x)) + {s})"));
}

#[test]
fn every_elemwise_scalar_op_has_the_input_type() {
    for dt in [DType::Float64, DType::Float32] {
        let x = T::input(TensorType::matrix(dt), "x");
        let y = T::input(TensorType::row(dt), "y");
        let z = T::input(TensorType::col(dt), "z");
        let unary: Vec<Variable> = vec![
            T::neg(&x).unwrap(),
            T::exp(&x),
            T::log(&x),
            T::log1p(&x),
            T::expm1(&x),
            T::tanh(&x),
            T::sigmoid(&x),
            T::softplus(&x),
            T::abs(&x),
            T::sqr(&x),
            T::sqrt(&x),
            T::sgn(&x).unwrap(),
            T::floor(&x),
            T::ceil(&x),
            T::round(&x).unwrap(),
            T::round_half_away_from_zero(&x).unwrap(),
            T::elemwise(theano_ir::ScalarOp::Identity, vec![x.clone()]).unwrap(),
        ];
        for e in unary {
            assert_types(&T::sum(&e), std::slice::from_ref(&x));
        }
        // a cast passes its output's gradient through uncast: Theano 1.0's
        // `grad(cast(x64, 'float32').sum(), x64)` is float32
        let other = if dt == DType::Float64 {
            DType::Float32
        } else {
            DType::Float64
        };
        let g = grad(&T::sum(T::cast(&x, other)), std::slice::from_ref(&x)).unwrap();
        assert_eq!(g[0].ty(), TensorType::matrix(other));
        let binary: Vec<Variable> = vec![
            &x + &y,
            &x - &y,
            &x * &y,
            &x / &y,
            x.pow(&y),
            T::maximum(&x, &y),
            T::minimum(&x, &y),
            &x % &y,
            &(&x * &y) * &z,
        ];
        for e in binary {
            assert_types(&T::sum(&e), &[x.clone(), y.clone()]);
        }
        // int_div's gradient is zeros of floatX (Theano's `IntDiv.grad`), whatever the dtype
        let g = grad(&T::sum(T::int_div(&x, &y)), &[x.clone(), y.clone()]).unwrap();
        assert_eq!(g[0].ty(), TensorType::matrix(DType::Float64));
        assert_eq!(g[1].ty(), TensorType::row(DType::Float64));
        assert_types(&T::sum(T::fill(&y, &x)), std::slice::from_ref(&x));
        let c = T::clip(&x, &y, &z);
        assert_types(&T::sum(&c), &[x.clone(), y.clone(), z.clone()]);
        let s = T::switch(T::gt(&x, 0.5), &y, &z);
        assert_types(&T::sum(&s), &[y.clone(), z.clone()]);
        // variadic mul with three operands
        let m = T::elemwise(
            theano_ir::ScalarOp::Mul,
            vec![x.clone(), y.clone(), z.clone()],
        )
        .unwrap();
        assert_types(&T::sum(&m), &[x.clone(), y.clone(), z.clone()]);
    }
}

#[test]
fn broadcast_input_gradient_is_summed_and_dimshuffled_back() {
    let x = T::dmatrix("x");
    let r = T::drow("r");
    let g = assert_types(&T::sum(&(&x * &r)), std::slice::from_ref(&r));
    let ops = common::ops(&g[0]);
    assert!(ops.iter().any(|o| o == "Sum{axis=[0]}"), "{ops:?}");
    assert!(
        ops.last().unwrap().starts_with("InplaceDimShuffle{x,0}"),
        "{ops:?}"
    );
    // a scalar broadcast against a matrix
    let s = T::dscalar("s");
    let g = assert_types(&T::sum(&(&x * &s)), std::slice::from_ref(&s));
    assert_eq!(common::ops(&g[0]).last().unwrap(), "InplaceDimShuffle{}");
}

#[test]
fn comparisons_logic_and_integer_ops_give_zero_gradients() {
    let x = T::dvector("x");
    let c = T::cast(T::gt(&x, 0.0), DType::Float64);
    let g = assert_types(&T::sum(&c), std::slice::from_ref(&x));
    assert!(common::ops(&g[0])
        .iter()
        .any(|o| o == "Elemwise{second,no_inplace}"));
    // cast to int and back: zeros, not an error (as Theano)
    let c = T::cast(T::cast(&x, DType::Int32), DType::Float64);
    assert_types(&T::sum(&c), std::slice::from_ref(&x));
    let b = T::and_(T::gt(&x, 0.0), T::lt(&x, 1.0)).unwrap();
    assert_types(
        &T::sum(T::cast(&b, DType::Float64)),
        std::slice::from_ref(&x),
    );
}

#[test]
fn dimshuffle_and_reductions() {
    let x = T::dtensor3("x");
    let t = x.dimshuffle(&[Some(2), None, Some(0), Some(1)]).unwrap();
    assert_types(&T::sum(T::exp(&t)), std::slice::from_ref(&x));
    for axes in [None, Some(vec![0]), Some(vec![1, 2]), Some(vec![])] {
        let a = axes.as_deref();
        for e in [
            T::sum_axes(&x, a, false).unwrap(),
            T::prod_axes(&x, a, false).unwrap(),
            T::max(&x, a, false).unwrap(),
            T::min(&x, a, true).unwrap(),
            T::mean(&x, a, false).unwrap(),
        ] {
            assert_types(&T::sum(T::sqr(&e)), std::slice::from_ref(&x));
        }
    }
    let (m, am) = T::max_and_argmax(&x, Some(&[1])).unwrap();
    assert_types(&T::sum(&m), std::slice::from_ref(&x));
    // argmax alone: connected through an integer output only, so zeros
    let c = T::cast(&am, DType::Float64);
    assert_types(&T::sum(&c), std::slice::from_ref(&x));
}

#[test]
fn dot_in_every_rank_combination() {
    for (a, b) in [
        (T::dvector("a"), T::dvector("b")),
        (T::dmatrix("a"), T::dvector("b")),
        (T::dvector("a"), T::dmatrix("b")),
        (T::dmatrix("a"), T::dmatrix("b")),
        (T::drow("a"), T::dmatrix("b")),
        (T::dmatrix("a"), T::dcol("b")),
        (T::dcol("a"), T::drow("b")),
    ] {
        let d = T::dot(&a, &b).unwrap();
        assert_types(&T::sum(T::sqr(&d)), &[a, b]);
    }
    // mixed dtypes: the product is float64, and so is the float32 input's gradient (Theano
    // 1.0 casts the gradients flowing into a node, not the final ones)
    let (a, b) = (T::fmatrix("a"), T::dmatrix("b"));
    let d = T::dot(&a, &b).unwrap();
    let g = grad(&T::sum(T::sqr(&d)), &[a, b]).unwrap();
    assert_eq!(g[0].ty(), T::DMATRIX);
    assert_eq!(g[1].ty(), T::DMATRIX);
}

#[test]
fn nnet_and_layout_ops() {
    let x = T::dmatrix("x");
    assert_types(
        &T::sum(T::sqr(T::softmax(&x).unwrap())),
        std::slice::from_ref(&x),
    );
    assert_types(
        &T::sum(T::sqr(T::log_softmax(&x).unwrap())),
        std::slice::from_ref(&x),
    );
    let v = T::dvector("v");
    assert_types(
        &T::sum(T::sqr(T::softmax(&v).unwrap())),
        std::slice::from_ref(&v),
    );
    let r = T::drow("r");
    let re = r.reshape([2i64, -1]).unwrap();
    assert_types(&T::sum(T::sqr(&re)), std::slice::from_ref(&r));
    let t = T::dtensor3("t");
    assert_types(
        &T::sum(T::sqr(t.flatten(2).unwrap())),
        std::slice::from_ref(&t),
    );
    let j = T::concatenate(&[x.clone(), r.clone(), x.clone()], 0).unwrap();
    assert_types(&T::sum(T::sqr(&j)), &[x.clone(), r.clone()]);
    let j = T::concatenate(&[x.clone(), T::dcol("c")], 1).unwrap();
    assert_types(&T::sum(T::sqr(&j)), std::slice::from_ref(&x));
    let s = T::stack(&[v.clone(), v.clone()], 0).unwrap();
    assert_types(&T::sum(T::sqr(&s)), std::slice::from_ref(&v));
    let a = T::alloc(&v, &[T::lscalar("n"), T::shape_i(&v, 0).unwrap()]).unwrap();
    assert_types(&T::sum(T::sqr(&a)), std::slice::from_ref(&v));
    let a = T::alloc(&r, &[T::lscalar("n"), T::lscalar("m")]).unwrap();
    assert_types(&T::sum(T::sqr(&a)), std::slice::from_ref(&r));
    let sc = T::dscalar("sc");
    let mv = T::make_vector(&[sc.clone(), T::exp(&sc)], DType::Float64).unwrap();
    assert_types(&T::sum(T::sqr(&mv)), std::slice::from_ref(&sc));
    let start = T::dscalar("start");
    let ar = T::arange_full(&start, 10.0, 0.5).unwrap();
    assert_types(&T::sum(T::sqr(&ar)), std::slice::from_ref(&start));
}

#[test]
fn indexing_ops() {
    let x = T::dmatrix("x");
    let i = T::lscalar("i");
    let iv = T::lvector("iv");
    let y = T::dvector("y");
    for e in [
        x.at(1i64).unwrap(),
        x.get(&[theano_ir::Idx::all(), theano_ir::Idx::range(&i, 3i64)])
            .unwrap(),
        x.at(&iv).unwrap(),
        x.get(&[
            theano_ir::Idx::Array(iv.clone()),
            theano_ir::Idx::Array(iv.clone()),
        ])
        .unwrap(),
        x.get(&[theano_ir::Idx::all(), theano_ir::Idx::Array(iv.clone())])
            .unwrap(),
    ] {
        let g = assert_types(&T::sum(T::sqr(&e)), std::slice::from_ref(&x));
        let ops = common::ops(&g[0]);
        assert!(ops.iter().any(|o| o.contains("IncSubtensor")), "{ops:?}");
    }
    for set in [false, true] {
        for sub in [
            x.at(1i64).unwrap(),
            x.at(&iv).unwrap(),
            x.get(&[
                theano_ir::Idx::Array(iv.clone()),
                theano_ir::Idx::Array(iv.clone()),
            ])
            .unwrap(),
        ] {
            let yy = y.clone();
            let e = if set {
                T::set_subtensor(&sub, &yy).unwrap()
            } else {
                T::inc_subtensor(&sub, &yy).unwrap()
            };
            assert_types(&T::sum(T::sqr(&e)), &[x.clone(), yy.clone()]);
        }
    }
    // a scalar y broadcast into a slice: summed
    let s = T::dscalar("s");
    let e = T::inc_subtensor(&x.at(&iv).unwrap(), &s).unwrap();
    assert_types(&T::sum(T::sqr(&e)), &[x.clone(), s.clone()]);
}

#[test]
fn logistic_regression_of_the_notebook() {
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let w = Variable::shared(theano_ir::Tensor::zeros(DType::Float64, &[784]), Some("w")).unwrap();
    let b = Variable::shared(theano_ir::Tensor::scalar(0.0f64), Some("b")).unwrap();
    let p_1 = 1 / (1 + T::exp(&(-T::dot(&x, &w).unwrap() - &b)));
    let xent = &(-&y * T::log(&p_1)) - &((1 - &y) * T::log(1 - &p_1));
    let cost = &xent.mean() + &(0.01 * (w.pow(2)).sum());
    cost.set_name("cost");
    let g = assert_types(&cost, &[w.clone(), b.clone()]);
    assert_eq!(g[0].name().as_deref(), Some("(dcost/dw)"));
    assert_eq!(g[1].name().as_deref(), Some("(dcost/db)"));
}

#[test]
fn softmax_regression_nll_of_the_notebook() {
    let x = T::dmatrix("x");
    let y = T::ivector("y");
    let wm = Variable::shared(
        theano_ir::Tensor::zeros(DType::Float64, &[784, 10]),
        Some("W"),
    )
    .unwrap();
    let bv = Variable::shared(theano_ir::Tensor::zeros(DType::Float64, &[10]), Some("b")).unwrap();
    let p = T::softmax(&(T::dot(&x, &wm).unwrap() + &bv)).unwrap();
    let n = T::shape_i(&y, 0).unwrap();
    let lp = T::log(&p);
    let picked = lp
        .get(&[
            theano_ir::Idx::Array(T::arange(&n).unwrap()),
            theano_ir::Idx::Array(y.clone()),
        ])
        .unwrap();
    let cost = -T::mean(&picked, None, false).unwrap();
    assert_types(&cost, &[wm, bv]);
}

#[test]
fn errors_and_options() {
    let x = T::dvector("x");
    let z = T::dscalar("z");
    // non-scalar cost names its type
    let e = grad(&T::exp(&x), std::slice::from_ref(&x)).unwrap_err();
    assert!(matches!(e, GradError::NonScalarCost { .. }));
    assert!(e.to_string().contains("TensorType(float64, vector)"), "{e}");
    // a disconnected wrt is named
    let cost = T::sum(&x);
    let e = grad(&cost, &[x.clone(), z.clone()]).unwrap_err();
    assert!(
        matches!(&e, GradError::Disconnected { var, .. } if var == "z"),
        "{e}"
    );
    // ignore: zeros of z's type
    let g = grad_with(
        Some(&cost),
        &[x.clone(), z.clone()],
        &GradOptions::new().disconnected_inputs(DisconnectedInputs::Ignore),
    )
    .unwrap();
    assert_eq!(pp(&g[1]), "fill(z, TensorConstant{0.0})");
    // only through a shape: disconnected too
    let c = T::cast(T::shape_i(&x, 0).unwrap(), DType::Float64);
    assert!(matches!(
        grad(&c, std::slice::from_ref(&x)),
        Err(GradError::Disconnected { .. })
    ));
    // consider_constant stops at the variable
    let h = T::exp(&x);
    let cost = T::sum(&(&h * &x));
    let g = grad_with(
        Some(&cost),
        std::slice::from_ref(&x),
        &GradOptions::new().consider_constant(std::slice::from_ref(&h)),
    )
    .unwrap();
    // d(h*x)/dx with h constant: h * fill(...), no exp'(x) term (a single product)
    let s = "fill(((exp(x) * x)), TensorConstant{1.0})";
    let _ = s;
    assert_eq!(
        common::ops(&g[0])
            .iter()
            .filter(|o| o.contains("mul"))
            .count(),
        2
    );
    // known_grads: the gradient of h is given
    let gh = T::dvector("gh");
    let g = grad_with(
        None,
        std::slice::from_ref(&x),
        &GradOptions::new().known_grads(&[(h.clone(), gh.clone())]),
    )
    .unwrap();
    assert_eq!(pp(&g[0]), "(gh * exp(x))");
    // integer wrt: float zeros
    let i = T::ivector("i");
    let c = T::sum(&(&x * &i));
    let g = grad(&c, std::slice::from_ref(&i)).unwrap();
    assert_eq!(g[0].dtype(), DType::Float64);
    // an integer known gradient is refused
    let e = grad_with(
        None,
        std::slice::from_ref(&x),
        &GradOptions::new().known_grads(&[(h.clone(), T::lvector("k"))]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("must be floats"), "{e}");
}

#[test]
fn gradient_markers() {
    let x = T::dscalar("x");
    let y = &x * &zero_grad(&(&x * 3.0));
    let g = grad1(&y, &x).unwrap();
    assert!(common::ops(&g).iter().any(|o| o == "ZeroGrad"));
    // disconnected_grad: the only path is cut
    let y = T::exp(disconnected_grad(&x));
    assert!(matches!(grad1(&y, &x), Err(GradError::Disconnected { .. })));
    let y = &x * &disconnected_grad(&T::exp(&x));
    let g = grad1(&y, &x).unwrap();
    assert_eq!(g.ty(), T::DSCALAR);
    // undefined_grad: an error naming the variable
    let y = T::exp(undefined_grad(&x));
    let e = grad1(&y, &x).unwrap_err();
    assert!(
        matches!(&e, GradError::Undefined { var, .. } if var == "x"),
        "{e}"
    );
    assert_eq!(
        GradMarker::of(zero_grad(&x).owner().unwrap().op()),
        Some(GradMarker::ZeroGrad)
    );
}

#[test]
fn lop_and_type_coercion() {
    let x = T::fvector("x");
    let y = T::cast(&x, DType::Float64);
    let v = T::dvector("v");
    let g = lop(
        std::slice::from_ref(&y),
        std::slice::from_ref(&x),
        std::slice::from_ref(&v),
    )
    .unwrap();
    // Theano 1.0: `Lop(cast(x32, 'float64'), x32, v64)` is float64
    assert_eq!(g[0].ty(), T::DVECTOR);
}

#[test]
fn deep_graph_does_not_overflow() {
    let x = T::dscalar("x");
    let mut y = x.clone();
    for _ in 0..3000 {
        y = T::tanh(&y);
    }
    let g = grad1(&y, &x).unwrap();
    assert_eq!(g.ty(), T::DSCALAR);
}
