//! Ops obtained from the graph builders (the `T` namespace), run node by node with the
//! node's own output types: the way the compile driver calls `perform`.

mod common;

use common::*;
use std::collections::HashMap;
use theano_interp::perform;
use theano_ir::tensor as T;
use theano_ir::{Idx, Variable};
use theano_tensor::{DType, Tensor};

/// Evaluate `out` given values for the graph's inputs (by variable id), node by node.
fn eval(out: &Variable, inputs: &[(&Variable, Tensor)]) -> Tensor {
    let mut memo: HashMap<u64, Tensor> = inputs.iter().map(|(v, t)| (v.id(), t.clone())).collect();
    go(out, &mut memo)
}

fn go(v: &Variable, memo: &mut HashMap<u64, Tensor>) -> Tensor {
    if let Some(t) = memo.get(&v.id()) {
        return t.clone();
    }
    if let Some(c) = v.constant_value() {
        return c.clone();
    }
    let node = v.owner().expect("an unbound input");
    let ins: Vec<Tensor> = node.inputs().iter().map(|i| go(i, memo)).collect();
    let refs: Vec<&Tensor> = ins.iter().collect();
    let types: Vec<_> = node.outputs().iter().map(|o| o.ty()).collect();
    let outs = perform(node.op(), &refs, &types).unwrap_or_else(|e| panic!("{e}"));
    for (o, t) in node.outputs().iter().zip(outs) {
        memo.insert(o.id(), t);
    }
    memo[&v.id()].clone()
}

fn vals(t: &Tensor) -> (DType, Vec<usize>, Vec<f64>) {
    (t.dtype(), t.shape().to_vec(), t.to_f64_vec())
}

#[test]
fn notebook_style_arithmetic() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let z = &x + &y;
    let xv = af(DType::Float64, &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let yv = af(DType::Float64, &[2, 2], &[10.0, 20.0, 30.0, 40.0]);
    let r = eval(&z, &[(&x, xv), (&y, yv)]);
    assert_eq!(
        vals(&r),
        (DType::Float64, vec![2, 2], vec![11.0, 22.0, 33.0, 44.0])
    );
}

#[test]
fn row_broadcast_via_dimshuffle() {
    // x + v: the builder inserts DimShuffle{x,0} on the vector, the output is (2, 3)
    let x = T::dmatrix("x");
    let v = T::dvector("v");
    let z = &x * &v;
    let r = eval(
        &z,
        &[
            (
                &x,
                af(DType::Float64, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            ),
            (&v, af(DType::Float64, &[3], &[1.0, 0.0, -1.0])),
        ],
    );
    assert_eq!(vals(&r).2, vec![1.0, 0.0, -3.0, 4.0, 0.0, -6.0]);
}

#[test]
fn int_constant_times_float_vector() {
    // `2 * x`: the constant 2 is int8; int8 * float32 -> float32
    let x = T::fvector("x");
    let z = T::mul(2i64, &x);
    let r = eval(&z, &[(&x, af(DType::Float32, &[2], &[1.5, -2.0]))]);
    assert_eq!(vals(&r), (DType::Float32, vec![2], vec![3.0, -4.0]));
}

#[test]
fn subtensor_from_get() {
    let x = T::dmatrix("x");
    let s = x.get(&[(-1i64).into(), Idx::step(-2i64)]).unwrap();
    let xv = flip(
        af(
            DType::Float64,
            &[2, 5],
            &(0..10).map(f64::from).collect::<Vec<_>>(),
        ),
        1,
    );
    // x = [[4,3,2,1,0],[9,8,7,6,5]]; x[-1, ::-2] = [5, 7, 9]
    let r = eval(&s, &[(&x, xv)]);
    assert_eq!(vals(&r), (DType::Float64, vec![3], vec![5.0, 7.0, 9.0]));
}

#[test]
fn slice_rows_with_symbolic_bounds() {
    let x = T::imatrix("x");
    let i = T::lscalar("i");
    let s = x.slice_rows(&i * 2i64, (&i + 1i64) * 2i64).unwrap();
    let xv = ai(DType::Int32, &[5, 2], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let r = eval(&s, &[(&x, xv.clone()), (&i, l(1))]);
    assert_eq!(
        vals(&r),
        (DType::Int32, vec![2, 2], vec![4.0, 5.0, 6.0, 7.0])
    );
    // the last minibatch is short: Python clips the slice
    let r = eval(&s, &[(&x, xv), (&i, l(2))]);
    assert_eq!(vals(&r), (DType::Int32, vec![1, 2], vec![8.0, 9.0]));
}

#[test]
fn inc_and_set_subtensor() {
    let x = T::dvector("x");
    let sub = x.get(&[Idx::range(1i64, 3i64)]).unwrap();
    let inc = T::inc_subtensor(&sub, 10.0).unwrap();
    let set = T::set_subtensor(&sub, 10.0).unwrap();
    let xv = af(DType::Float64, &[4], &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(
        vals(&eval(&inc, &[(&x, xv.clone())])).2,
        vec![1.0, 12.0, 13.0, 4.0]
    );
    assert_eq!(vals(&eval(&set, &[(&x, xv)])).2, vec![1.0, 10.0, 10.0, 4.0]);
}

#[test]
fn advanced_inc_accumulates() {
    let x = T::dvector("x");
    let i = T::lvector("i");
    let sub = x.get(&[(&i).into()]).unwrap();
    assert_eq!(sub.owner().unwrap().op().name(), "AdvancedSubtensor1");
    let inc = T::inc_subtensor(&sub, 1.0).unwrap();
    let r = eval(
        &inc,
        &[
            (&x, af(DType::Float64, &[3], &[0.0, 0.0, 0.0])),
            (&i, ai(DType::Int64, &[4], &[0, 2, 0, 0])),
        ],
    );
    assert_eq!(vals(&r).2, vec![3.0, 0.0, 1.0]);
}

#[test]
fn softmax_regression_step_shapes() {
    let x = T::dmatrix("x");
    let w = T::dmatrix("w");
    let b = T::dvector("b");
    let p = T::softmax(T::dot(&x, &w).unwrap() + &b).unwrap();
    let (_, am) = T::max_and_argmax(&p, Some(&[1])).unwrap();
    let xv = af(DType::Float64, &[2, 3], &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    let wv = af(DType::Float64, &[3, 2], &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    let bv = af(DType::Float64, &[2], &[0.0, 0.0]);
    let binds = [(&x, xv), (&w, wv), (&b, bv)];
    let pr = eval(&p, &binds);
    let e = std::f64::consts::E;
    assert!(pr.allclose(
        &af(
            DType::Float64,
            &[2, 2],
            &[
                e / (1.0 + e),
                1.0 / (1.0 + e),
                1.0 / (1.0 + e),
                e / (1.0 + e)
            ]
        ),
        1e-12,
        0.0
    ));
    assert_eq!(
        vals(&eval(&am, &binds)),
        (DType::Int64, vec![2], vec![0.0, 1.0])
    );
}

#[test]
fn reductions_and_shape_builders() {
    let x = T::dtensor3("x");
    let s = T::sum_axes(&x, Some(&[0, 2]), true).unwrap();
    let xv = af(
        DType::Float64,
        &[2, 2, 2],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    );
    let r = eval(&s, &[(&x, xv.clone())]);
    assert_eq!(vals(&r), (DType::Float64, vec![1, 2, 1], vec![14.0, 22.0]));
    let f = x.flatten(2).unwrap().reshape(&[-1i64][..]).unwrap();
    let r = eval(&f, &[(&x, tr(xv))]);
    assert_eq!(r.shape(), &[8]);
    assert_eq!(r.to_f64_vec()[..4], [1.0, 5.0, 3.0, 7.0]);
}
