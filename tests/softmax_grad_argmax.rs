//! Theano's `SoftmaxGrad` and `Argmax` ops: types and refusals, values (the interpreter,
//! the compiled function with and without the optimizer) against formulas computed here,
//! shape inference against computed shapes, and gradients by finite differences.

use theano::ir::{Op, TensorType};
use theano::tensor as T;
use theano::{compile, DType, Mode, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::eval_compiled;

fn apply(op: Op, ins: Vec<Variable>) -> Variable {
    T::apply_op(op, ins).unwrap().remove(0)
}

/// The value of `out` with the default mode and with the optimizer off (the interpreter's
/// kernels), which must agree.
fn both(ins: &[Variable], out: &Variable, vals: &[Tensor]) -> Vec<f64> {
    let refs: Vec<&Variable> = ins.iter().collect();
    let opt = compile(&refs, out).build().unwrap().call(vals).unwrap();
    let none = compile(&refs, out)
        .mode(Mode::parse_flags("optimizer=None").unwrap())
        .build()
        .unwrap()
        .call(vals)
        .unwrap();
    let (a, b) = (opt[0].to_f64_vec(), none[0].to_f64_vec());
    assert_eq!(opt[0].shape(), none[0].shape());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
    a
}

fn softmax_rows(x: &[f64], cols: usize) -> Vec<f64> {
    x.chunks(cols)
        .flat_map(|r| {
            let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = r.iter().map(|v| (v - m).exp()).sum();
            r.iter().map(move |v| (v - m).exp() / s).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn softmax_grad_types_and_refusals() {
    let (dy, sm) = (T::dmatrix("dy"), T::dmatrix("sm"));
    assert_eq!(
        apply(Op::SoftmaxGrad, vec![dy, sm.clone()]).ty(),
        T::DMATRIX
    );
    let v = T::fvector("v");
    assert_eq!(apply(Op::SoftmaxGrad, vec![v.clone(), v]).ty(), T::FVECTOR);
    for (bad, want) in [
        (vec![T::fmatrix("f"), sm.clone()], "dy must have sm's dtype"),
        (vec![T::dvector("d"), sm.clone()], "dy must have sm's dtype"),
        (vec![T::dtensor3("t"), T::dtensor3("u")], "1-d or 2-d"),
        (vec![T::lmatrix("i"), T::lmatrix("j")], "tensor of floats"),
        (vec![sm.clone()], "input"),
    ] {
        let e = T::apply_op(Op::SoftmaxGrad, bad).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
}

#[test]
fn softmax_grad_values_and_shape() {
    let (dy, x) = (T::dmatrix("dy"), T::dmatrix("x"));
    let sm = T::softmax(&x).unwrap();
    let out = apply(Op::SoftmaxGrad, vec![dy.clone(), sm]);
    let mut rng = Rng::new(7);
    let (g, xv) = (
        rng.tensor(DType::Float64, &[3, 4], -1.0, 1.0),
        rng.tensor(DType::Float64, &[3, 4], -2.0, 2.0),
    );
    let got = both(&[dy.clone(), x.clone()], &out, &[g.clone(), xv.clone()]);
    let s = softmax_rows(&xv.to_f64_vec(), 4);
    let gv = g.to_f64_vec();
    for r in 0..3 {
        let dot: f64 = (0..4).map(|c| gv[r * 4 + c] * s[r * 4 + c]).sum();
        for c in 0..4 {
            let i = r * 4 + c;
            let want = gv[i] * s[i] - dot * s[i];
            assert!((got[i] - want).abs() < 1e-14, "{i}: {} vs {want}", got[i]);
        }
    }
    // the inferred shape is the computed one
    let mut fg = theano::ir::fgraph::FunctionGraph::from_outputs(&[dy, x], &[out]).unwrap();
    let o = fg.outputs()[0];
    let node = fg.owner(o).unwrap();
    let shape = theano_opt::infer_shape(&mut fg, node).unwrap();
    assert_eq!(shape.len(), 1);
    assert_eq!(shape[0].len(), 2);
}

#[test]
fn softmax_gradients_go_through_softmax_grad() {
    let x = T::dmatrix("x");
    let g = grad(
        &T::sum(T::sqr(T::softmax(&x).unwrap())),
        std::slice::from_ref(&x),
    )
    .unwrap();
    assert!(
        theano::ir::printing::pp(&g[0]).starts_with("SoftmaxGrad("),
        "{}",
        theano::ir::printing::pp(&g[0])
    );
}

#[test]
fn softmax_grad_verify_grad() {
    for dt in [DType::Float64, DType::Float32] {
        let mut rng = Rng::new(3);
        let points = vec![
            rng.tensor(dt, &[2, 3], -1.0, 1.0),
            rng.tensor(dt, &[2, 3], -2.0, 2.0),
        ];
        let opts = VerifyGradOptions {
            seed: 5,
            ..Default::default()
        };
        // SoftmaxGrad itself, in dy and through sm
        verify_grad(
            |i| {
                apply(
                    Op::SoftmaxGrad,
                    vec![i[0].clone(), T::softmax(&i[1]).unwrap()],
                )
            },
            &points,
            eval_compiled,
            &opts,
        )
        .unwrap_or_else(|e| panic!("{dt}: {e}"));
        // a second derivative of the softmax: the gradient of a gradient
        verify_grad(
            |i| {
                let sm = T::softmax(&i[1]).unwrap();
                let c = T::sum(&(&sm * &i[0]));
                grad(&c, std::slice::from_ref(&i[1])).unwrap().remove(0)
            },
            &points,
            eval_compiled,
            &opts,
        )
        .unwrap_or_else(|e| panic!("{dt}: {e}"));
    }
}

#[test]
fn argmax_op_types_values_and_shape() {
    let m = T::dmatrix("m");
    let a = apply(Op::Argmax { axes: vec![1] }, vec![m.clone()]);
    assert_eq!(a.ty(), TensorType::vector(DType::Int64));
    let e = T::apply_op(Op::Argmax { axes: vec![2] }, vec![m.clone()])
        .unwrap_err()
        .to_string();
    assert!(e.contains('2'), "{e}");
    let v = Tensor::from_shape_vec(&[2, 3], vec![1.0, 5.0, 5.0, -1.0, -3.0, -2.0]).unwrap();
    let ms = std::slice::from_ref(&m);
    assert_eq!(both(ms, &a, std::slice::from_ref(&v)), vec![1.0, 0.0]);
    let all = apply(Op::Argmax { axes: vec![0, 1] }, vec![m.clone()]);
    assert_eq!(both(ms, &all, &[v]), vec![1.0]);
    // argmax alone compiles to the Argmax op, and its gradient is zero
    let am = T::argmax(&m, Some(&[1]), false).unwrap();
    let f = compile(&[&m], &am).build().unwrap();
    let opt = theano::ir::printing::pp(&f.fgraph_outputs().unwrap()[0]);
    assert_eq!(opt, "Argmax{axis=(1,)}(m)");
    let c = T::sum(T::cast(&a, DType::Float64)) + T::sum(&m);
    let g = grad(&c, std::slice::from_ref(&m)).unwrap();
    let ones = Tensor::from_shape_vec(&[1, 2], vec![0.5, 2.0]).unwrap();
    assert_eq!(
        eval_compiled(&[m], &g[0], &[ones]).unwrap().to_f64_vec(),
        vec![1.0, 1.0]
    );
}

/// `ProdWithoutZeros` (the product gradient's op): the product of the non-zero elements, and
/// a gradient (Theano has none) so that a product's second derivatives work.
#[test]
fn prod_without_zeros_values_and_gradient() {
    let m = T::dmatrix("m");
    let p = apply(
        Op::ProdWithoutZeros {
            axes: Some(vec![1]),
        },
        vec![m.clone()],
    );
    assert_eq!(p.ty(), TensorType::vector(DType::Float64));
    let v = Tensor::from_shape_vec(&[2, 3], vec![2.0, 0.0, 3.0, 0.0, 0.0, 0.0]).unwrap();
    assert_eq!(both(std::slice::from_ref(&m), &p, &[v]), vec![6.0, 1.0]);
    let mut rng = Rng::new(11);
    let points = vec![rng.tensor(DType::Float64, &[2, 3], 0.5, 2.0)];
    verify_grad(
        |i| apply(Op::ProdWithoutZeros { axes: None }, vec![i[0].clone()]),
        &points,
        eval_compiled,
        &VerifyGradOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
}
