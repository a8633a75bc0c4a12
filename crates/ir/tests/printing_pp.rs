//! `pp` against the strings Theano 1.0 printed.

use theano_ir::printing::pp;
use theano_ir::tensor as T;
use theano_ir::{DType, Tensor};

fn c<V: Into<Tensor>>(v: V) -> theano_ir::Variable {
    T::try_constant(v).unwrap()
}

#[test]
fn notebook_cell_8_sum_of_scalars() {
    let x = T::dscalar("x");
    let y = T::dscalar("y");
    assert_eq!(pp(&(&x + &y)), "(x + y)");
}

/// Cell 38: `pp(T.grad(x ** 2, x))` before optimization, built here node by node as
/// Theano's grad builds it.
#[test]
fn notebook_cell_38_gradient_of_square() {
    let x = T::dscalar("x");
    let two = c(Tensor::scalar(2i8));
    let y = x.pow(&two);
    let one = c(Tensor::scalar(1.0f64));
    let g = T::fill(&y, &one) * &two;
    let gy = g * x.pow(&two - c(Tensor::scalar(1i8)));
    assert_eq!(
        pp(&gy),
        "((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) \
         * (x ** (TensorConstant{2} - TensorConstant{1})))"
    );
}

/// Cell 39: the optimized gradient.
#[test]
fn notebook_cell_39_optimized_gradient() {
    let x = T::dscalar("x");
    assert_eq!(
        pp(&(c(Tensor::scalar(2.0f64)) * &x)),
        "(TensorConstant{2.0} * x)"
    );
}

#[test]
fn broadcast_dimshuffle_is_invisible_and_transpose_is_dot_t() {
    let x = T::dmatrix("x");
    assert_eq!(pp(&(&x * 2)), "(x * TensorConstant{2})");
    assert_eq!(pp(&x.t()), "x.T");
    assert_eq!(pp(&(&x + &x.t())), "(x + x.T)");
    let v = T::dvector("v");
    assert_eq!(
        pp(&v.dimshuffle(&[Some(0), None]).unwrap()),
        "DimShuffle{0, x}(v)"
    );
    assert_eq!(pp(&v.dimshuffle(&[None, Some(0)]).unwrap()), "v");
    let t3 = T::dtensor3("t");
    assert_eq!(
        pp(&t3.dimshuffle(&[Some(1), Some(0), Some(2)]).unwrap()),
        "DimShuffle{1, 0, 2}(t)"
    );
    assert_eq!(
        pp(&t3.dimshuffle(&[None, Some(2), Some(1), Some(0)]).unwrap()),
        "t.T"
    );
}

#[test]
fn theano_function_and_operator_forms() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    assert_eq!(pp(&-&x), "(-x)");
    assert_eq!(pp(&(&x / &y)), "(x / y)");
    assert_eq!(pp(&T::int_div(&x, &y)), "(x // y)");
    assert_eq!(pp(&(&x % &y)), "mod(x, y)");
    assert_eq!(pp(&T::gt(&x, &y)), "gt(x, y)");
    assert_eq!(pp(&T::abs(&x)), "|x|");
    assert_eq!(pp(&T::exp(&x)), "exp(x)");
    assert_eq!(pp(&T::sigmoid(&x)), "sigmoid(x)");
    assert_eq!(pp(&T::cast(&x, DType::Int32)), "int32(x)");
    assert_eq!(pp(&T::fill(&x, &y)), "fill(x, y)");
    assert_eq!(pp(&T::sum(&x)), "Sum{acc_dtype=float64}(x)");
    assert_eq!(pp(&T::dot(&x, &y).unwrap()), "(x \\dot y)");
    assert_eq!(
        pp(&T::switch(T::lt(&x, 0.0), &x, &y)),
        "switch(lt(x, TensorConstant{0.0}), x, y)"
    );
}

#[test]
fn greek_leaf_names_print_as_tex() {
    let a = T::dscalar("alpha");
    let b = T::dscalar("beta");
    assert_eq!(pp(&(&a * &b)), "(\\alpha * \\beta)");
}

#[test]
fn named_intermediates_are_still_expanded() {
    let x = T::dscalar("x");
    let z = (&x + 1.0).named("z");
    assert_eq!(
        pp(&(&z * &z)),
        "((x + TensorConstant{1.0}) * (x + TensorConstant{1.0}))"
    );
}

#[test]
fn very_deep_graphs_do_not_overflow_the_stack() {
    let x = T::dscalar("x");
    let mut y = x.clone();
    for _ in 0..20_000 {
        y = T::exp(&y);
    }
    let y2 = y.clone();
    let s = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let s = pp(&y2);
            drop(y2);
            s
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(s == format!("{}x{}", "exp(".repeat(20_000), ")".repeat(20_000)));
    drop(y);
}

fn apply(op: theano_ir::Op, ins: Vec<theano_ir::Variable>) -> theano_ir::Variable {
    theano_ir::ApplyRef::create(op, ins, std::panic::Location::caller())
        .unwrap()
        .output(0)
}

/// In-place elemwise nodes are made by the optimizer's inplace phase, with new unnamed
/// scalar instances, so Theano's `+=`/`exp=` printers do not match them: the default printer
/// shows the op's class and its pattern (`Elemwise{TrueDiv}[(0, 0)]` in the corpus).
#[test]
fn inplace_elemwise_forms() {
    use theano_ir::{Op, ScalarOp};
    let x = T::dvector("x");
    let y = T::dvector("y");
    let ip = |s: ScalarOp, i: usize, ins: Vec<theano_ir::Variable>| {
        apply(
            Op::Elemwise {
                scalar: s,
                inplace: Some(i),
            },
            ins,
        )
    };
    assert_eq!(
        pp(&ip(ScalarOp::TrueDiv, 0, vec![x.clone(), y.clone()])),
        "Elemwise{TrueDiv}[(0, 0)](x, y)"
    );
    assert_eq!(
        pp(&ip(ScalarOp::Neg, 0, vec![x.clone()])),
        "Elemwise{Neg}[(0, 0)](x)"
    );
    assert_eq!(
        pp(&ip(ScalarOp::Exp, 0, vec![x.clone()])),
        "Elemwise{Exp}[(0, 0)](x)"
    );
    assert_eq!(
        pp(&ip(ScalarOp::Add, 1, vec![x.clone(), y.clone()])),
        "Elemwise{Add}[(0, 1)](x, y)"
    );
    assert_eq!(
        pp(&ip(ScalarOp::Sigmoid, 0, vec![x.clone()])),
        "Elemwise{ScalarSigmoid}[(0, 0)](x)"
    );
    assert_eq!(
        pp(&apply(Op::elemwise(ScalarOp::Identity), vec![x.clone()])),
        "x"
    );
}

#[test]
fn remaining_ops_use_the_default_printer() {
    use theano_ir::Idx;
    let x = T::dmatrix("x");
    let i = T::lvector("i");
    assert_eq!(
        pp(&x.get(&[Idx::Array(i.clone())]).unwrap()),
        "AdvancedSubtensor1(x, i)"
    );
    let u = T::bmatrix("u").astype(DType::UInt8);
    // Theano 1.0's min of an unsigned dtype: `M - max(M - x)`
    assert_eq!(
        pp(&T::min(&u, Some(&[0]), false).unwrap()),
        "(TensorConstant{255} - MaxAndArgmax{axis=(0,)}((TensorConstant{255} - uint8(u))))"
    );
    let min = T::apply_op(
        theano_ir::Op::Reduce {
            kind: theano_ir::ReduceKind::Min,
            axes: Some(vec![0]),
            dtype: None,
        },
        vec![u.clone()],
    )
    .unwrap();
    assert_eq!(pp(&min[0]), "Reduce{minimum}{0}(uint8(u))");
    assert_eq!(
        pp(&T::max(&x, None, false).unwrap()),
        "MaxAndArgmax{axis=(0, 1)}(x)"
    );
}

#[test]
fn custom_ops_print_their_name() {
    #[derive(Debug)]
    struct Twice;
    impl theano_ir::CustomOp for Twice {
        fn name(&self) -> String {
            "Twice".into()
        }
        fn infer_types(
            &self,
            ins: &[theano_ir::TensorType],
        ) -> Result<Vec<theano_ir::TensorType>, String> {
            Ok(ins.to_vec())
        }
    }
    let x = T::dvector("x");
    let op = theano_ir::Op::Custom(theano_ir::CustomRef(std::sync::Arc::new(Twice)));
    assert_eq!(
        pp(&(apply(op, vec![x]) + 1.0)),
        "(Twice(x) + TensorConstant{1.0})"
    );
}
