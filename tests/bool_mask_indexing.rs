//! Boolean mask indexing, Theano 1.0.5's `AdvancedBooleanSubtensor` and
//! `AdvancedBooleanIncSubtensor`: `x[mask]`, `set_subtensor(x[mask], y)`,
//! `inc_subtensor(x[mask], y)`, against numpy's semantics worked out here, with and without
//! the optimizer; refusals; the gradient by finite differences; the dynamic shape.

use theano::tensor::{self as T, Idx};
use theano::{compile, DType, Mode, OnUnused, Tensor, Variable};
use theano_grad::{verify_grad, Rng, VerifyGradOptions};

mod common;
use common::eval_compiled;

/// `out` evaluated with the default mode and with the optimizer off, which must agree.
fn both(ins: &[&Variable], out: &Variable, vals: &[Tensor]) -> Tensor {
    let run = |flags: Option<&str>| {
        let mut b = compile(ins, out).on_unused_input(OnUnused::Ignore);
        if let Some(f) = flags {
            b = b.mode(Mode::parse_flags(f).unwrap());
        }
        b.build().unwrap().call(vals).unwrap().remove(0)
    };
    let (a, b) = (run(None), run(Some("optimizer=None")));
    assert_eq!(a.shape(), b.shape());
    assert_eq!(a.to_f64_vec(), b.to_f64_vec());
    a
}

fn m23() -> Tensor {
    Tensor::from_shape_vec(&[2, 3], vec![1.0, -2.0, 3.0, -4.0, 5.0, 0.0]).unwrap()
}

#[test]
fn mask_selects_in_row_major_order() {
    let x = T::dmatrix("x");
    let picked = x.get(&[Idx::Array(T::gt(&x, 0.0))]).unwrap();
    assert_eq!(picked.ty(), T::DVECTOR);
    assert_eq!(
        theano::ir::printing::pp(&picked),
        "AdvancedBooleanSubtensor(x, gt(x, TensorConstant{0.0}))"
    );
    let r = both(&[&x], &picked, &[m23()]);
    assert_eq!(r.to_f64_vec(), vec![1.0, 3.0, 5.0]);
    // a mask of the leading dimension selects rows
    let rows = T::bvector("rows");
    let rb = T::neq(&rows, 0i64);
    let sel = x.get(&[Idx::Array(rb)]).unwrap();
    assert_eq!(sel.ty(), T::DMATRIX);
    let rv = Tensor::from_shape_vec(&[2], vec![0i8, 1]).unwrap();
    let r = both(&[&x, &rows], &sel, &[m23(), rv]);
    assert_eq!(r.shape(), &[1, 3]);
    assert_eq!(r.to_f64_vec(), vec![-4.0, 5.0, 0.0]);
    // its length is known only when computed
    let f = compile(&[&x], T::shape(&picked)).build().unwrap();
    assert_eq!(f.call(&[m23()]).unwrap()[0].to_i64_vec(), vec![3]);
}

#[test]
fn set_and_inc_through_a_mask() {
    let x = T::dmatrix("x");
    let mask = T::lt(&x, 0.0);
    let sub = x.get(&[Idx::Array(mask)]).unwrap();
    let set = T::set_subtensor(&sub, T::constant(0.0)).unwrap();
    let inc = T::inc_subtensor(&sub, T::constant(10.0)).unwrap();
    assert_eq!(
        both(&[&x], &set, &[m23()]).to_f64_vec(),
        vec![1.0, 0.0, 3.0, 0.0, 5.0, 0.0]
    );
    assert_eq!(
        both(&[&x], &inc, &[m23()]).to_f64_vec(),
        vec![1.0, 8.0, 3.0, 6.0, 5.0, 0.0]
    );
}

#[test]
fn bad_masks_are_typed_errors() {
    let x = T::dmatrix("x");
    // more mask dimensions than x has
    let big = T::input(
        theano::ir::TensorType::with_ndim(DType::Bool, 3).unwrap(),
        "b",
    );
    let e = x.get(&[Idx::Array(big)]).unwrap_err().to_string();
    assert!(e.contains("1 to 2 dimensions"), "{e}");
    // a mask whose shape is not x's leading shape, at run time
    let m = T::input(
        theano::ir::TensorType::with_ndim(DType::Bool, 2).unwrap(),
        "m",
    );
    let picked = x.get(&[Idx::Array(m.clone())]).unwrap();
    let f = compile(&[&x, &m], &picked).build().unwrap();
    let mv = Tensor::from_shape_vec(&[3, 2], vec![true; 6]).unwrap();
    let e = f.call(&[m23(), mv]).unwrap_err().to_string();
    assert!(
        e.contains("boolean index did not match indexed array along dimension 0"),
        "{e}"
    );
}

#[test]
fn gradient_through_a_mask() {
    let mask = Tensor::from_shape_vec(&[2, 3], vec![true, false, true, false, true, true]).unwrap();
    for dt in [DType::Float64, DType::Float32] {
        let mut rng = Rng::new(4);
        let points = vec![rng.tensor(dt, &[2, 3], -1.0, 1.0)];
        let mk = mask.clone();
        verify_grad(
            move |i| {
                let m = T::try_constant(mk.clone()).unwrap();
                T::sqr(i[0].get(&[Idx::Array(m)]).unwrap())
            },
            &points,
            eval_compiled,
            &VerifyGradOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{dt}: {e}"));
        // and through the value of an increment
        let (mk, ys) = (mask.clone(), rng.tensor(dt, &[4], -1.0, 1.0));
        let points = vec![rng.tensor(dt, &[2, 3], -1.0, 1.0), ys];
        verify_grad(
            move |i| {
                let m = T::try_constant(mk.clone()).unwrap();
                let sub = i[0].get(&[Idx::Array(m)]).unwrap();
                T::sqr(T::inc_subtensor(&sub, &i[1]).unwrap())
            },
            &points,
            eval_compiled,
            &VerifyGradOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{dt}: {e}"));
    }
}
