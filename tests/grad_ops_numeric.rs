//! The derived gradient operators — `rop` (J·v), `lop` (u·J), `jacobian` and `hessian` —
//! checked against central finite differences (float64, h = 1e-6) at random points, every
//! graph evaluated by a compiled function.

use theano::tensor as T;
use theano_grad::{grad, hessian, jacobian, lop, rop, Rng};
use theano_ir::{DType, Idx, Tensor, TensorType, Variable};

const H: f64 = 1e-6;
const TOL: f64 = 1e-5;

/// Evaluate `out` (a graph over `inputs`) at `vals` with a compiled function, as f64 values in
/// row-major order, with the output's shape.
fn eval(inputs: &[Variable], out: &Variable, vals: &[Tensor]) -> (Vec<f64>, Vec<usize>) {
    let ins: Vec<&Variable> = inputs.iter().collect();
    let f = theano::compile(&ins, out)
        .on_unused_input(theano::OnUnused::Ignore)
        .build()
        .unwrap_or_else(|e| panic!("compiling {out}: {e}"));
    let o = f
        .call(vals)
        .unwrap_or_else(|e| panic!("evaluating {out}: {e}"))
        .remove(0);
    (o.to_f64_vec(), o.shape().to_vec())
}

/// `a ≈ b` element by element: absolute or relative error within `TOL`.
fn assert_close(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let abs = (x - y).abs();
        let rel = abs / x.abs().max(y.abs()).max(1e-300);
        assert!(
            x.is_finite() && y.is_finite() && (abs <= TOL || rel <= TOL),
            "{what}: element {i}: symbolic {x} vs finite differences {y} (abs err {abs:e}, \
             rel err {rel:e})\n  symbolic: {a:?}\n  numeric:  {b:?}"
        );
    }
}

/// One float64 input: its shape and broadcastable pattern (`&[]` = none broadcastable).
type Spec<'a> = (&'a [usize], &'a [bool]);

fn ty(spec: &Spec) -> TensorType {
    if spec.1.is_empty() {
        TensorType::with_ndim(DType::Float64, spec.0.len()).unwrap()
    } else {
        TensorType::new(DType::Float64, spec.1).unwrap()
    }
}

fn inputs(specs: &[Spec], prefix: &str) -> Vec<Variable> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| T::input(ty(s), &format!("{prefix}{i}")))
        .collect()
}

fn points(rng: &mut Rng, specs: &[Spec], lo: f64, hi: f64) -> Vec<Tensor> {
    specs
        .iter()
        .map(|(s, _)| rng.tensor(DType::Float64, s, lo, hi))
        .collect()
}

/// `x + t * v`, elementwise (same shapes).
fn axpy(x: &Tensor, t: f64, v: &Tensor) -> Tensor {
    let d: Vec<f64> = x
        .to_f64_vec()
        .iter()
        .zip(v.to_f64_vec())
        .map(|(a, b)| a + t * b)
        .collect();
    Tensor::from_f64_vec(DType::Float64, x.shape(), d).unwrap()
}

/// Central differences of `f` (over `xs`) at `x` along `v` (one direction per input).
fn directional(xs: &[Variable], f: &Variable, x: &[Tensor], v: &[Tensor]) -> Vec<f64> {
    let plus: Vec<Tensor> = x.iter().zip(v).map(|(a, d)| axpy(a, H, d)).collect();
    let minus: Vec<Tensor> = x.iter().zip(v).map(|(a, d)| axpy(a, -H, d)).collect();
    let (fp, _) = eval(xs, f, &plus);
    let (fm, _) = eval(xs, f, &minus);
    fp.iter()
        .zip(&fm)
        .map(|(p, m)| (p - m) / (2.0 * H))
        .collect()
}

fn zeros_as(x: &Tensor) -> Tensor {
    Tensor::zeros(DType::Float64, x.shape())
}

fn dotv(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

// ---------------------------------------------------------------------------------------------
// rop

/// `rop(f, xs, vs)` against central differences along `v`, at 3 random (x, v): once with all
/// inputs moving together and once per input alone (the others' directions zero).
fn check_rop(specs: &[Spec], lo: f64, hi: f64, f: impl Fn(&[Variable]) -> Variable) {
    let xs = inputs(specs, "x");
    let vs = inputs(specs, "v");
    let out = f(&xs);
    let r = rop(std::slice::from_ref(&out), &xs, &vs).unwrap_or_else(|e| panic!("rop: {e}"));
    assert_eq!(r.len(), 1);
    let r = &r[0];
    assert_eq!(r.ty(), out.ty(), "rop of {out} has the output's type");
    let all: Vec<Variable> = xs.iter().chain(&vs).cloned().collect();
    let mut rng = Rng::new(7);
    for trial in 0..3 {
        let x = points(&mut rng, specs, lo, hi);
        let v = points(&mut rng, specs, -1.0, 1.0);
        let mut dirs: Vec<Vec<Tensor>> = vec![v.clone()];
        if specs.len() > 1 {
            for k in 0..specs.len() {
                dirs.push(
                    v.iter()
                        .enumerate()
                        .map(|(j, t)| if j == k { t.clone() } else { zeros_as(t) })
                        .collect(),
                );
            }
        }
        for (d, dir) in dirs.iter().enumerate() {
            let vals: Vec<Tensor> = x.iter().chain(dir).cloned().collect();
            let (jv, shape) = eval(&all, r, &vals);
            let (_, oshape) = eval(&xs, &out, &x);
            assert_eq!(shape, oshape, "rop of {out}: shape");
            let fd = directional(&xs, &out, &x, dir);
            assert_close(
                &format!("rop of {out} (trial {trial}, direction {d})"),
                &jv,
                &fd,
            );
        }
    }
}

const M34: Spec = (&[3, 4], &[]);
const ROW4: Spec = (&[1, 4], &[true, false]);
const COL3: Spec = (&[3, 1], &[false, true]);
const V4: Spec = (&[4], &[]);
const V3: Spec = (&[3], &[]);
const S: Spec = (&[], &[]);

#[test]
fn rop_elemwise_broadcasting() {
    check_rop(&[M34, ROW4, COL3], -1.0, 1.0, |i| {
        T::tanh(&i[0] * &i[1]) + T::exp(&i[2]) * i[0].pow(2) - T::sigmoid(&i[1] / (2.0 + &i[2]))
    });
    check_rop(&[M34, S], 0.5, 1.5, |i| {
        T::log(&i[0] * &i[1]) * T::sqrt(&i[0])
    });
    check_rop(&[V4, V4], -1.0, 1.0, |i| {
        T::maximum(&i[0], &i[1]) * T::softplus(&i[0]) + T::sqr(T::expm1(&i[1]))
    });
}

/// Theano 1.0's catalogue: R-ops derived from the gradient rules, against differences.
#[test]
fn rop_catalogue() {
    check_rop(&[M34, ROW4], 0.2, 0.8, |i| {
        T::sin(&i[0]) * T::arctan2(&i[0], &i[1]) + T::erfinv(&i[1]) * T::arccos(&i[0])
    });
    check_rop(&[M34, COL3], 0.5, 2.0, |i| {
        T::gammaln(&i[0]) * T::psi(&i[1]) + T::log10(&i[0]) / T::cosh(&i[1])
            - T::softsign(&i[0]) * T::erfc(&i[1])
    });
    check_rop(&[V4, V4], 0.2, 0.8, |i| {
        T::binary_crossentropy(&i[0], &i[1])
            + T::elu(&i[0]) * T::deg2rad(&i[1])
            + T::inv(&i[0]) * T::exp2(&i[1])
    });
    check_rop(&[M34, ROW4], -2.0, 2.0, |i| {
        T::sigmoid_binary_crossentropy(&i[0], &i[1]).unwrap()
    });
}

#[test]
fn rop_dot() {
    // matrix · vector, matrix · matrix, vector · vector, vector · matrix
    check_rop(&[M34, V4], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
    check_rop(&[M34, (&[4, 2], &[])], -1.0, 1.0, |i| {
        T::dot(&i[0], &i[1]).unwrap()
    });
    check_rop(&[V4, V4], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
    check_rop(&[V3, M34], -1.0, 1.0, |i| {
        T::tanh(T::dot(&i[0], &i[1]).unwrap())
    });
    // x appears on both sides: d(x' A x)
    check_rop(&[V4, (&[4, 4], &[])], -1.0, 1.0, |i| {
        T::dot(&i[0], T::dot(&i[1], &i[0]).unwrap()).unwrap()
    });
}

/// Theano's BatchedDot.R_op, and the R-ops of the diagonal ops (linear), tensordot (dot and
/// reshapes) and SoftmaxWithBias (through the double L-op).
#[test]
fn rop_matrix_ops() {
    const T234: Spec = (&[2, 3, 4], &[]);
    check_rop(&[T234, (&[2, 4, 2], &[])], -1.0, 1.0, |i| {
        T::batched_dot(&i[0], &i[1]).unwrap()
    });
    check_rop(&[T234, (&[2, 4], &[])], -1.0, 1.0, |i| {
        T::batched_dot(&i[0], &i[1]).unwrap()
    });
    check_rop(&[T234, (&[3, 4], &[])], -1.0, 1.0, |i| {
        T::tensordot(&i[0], &i[1], 2).unwrap()
    });
    check_rop(&[M34], -1.0, 1.0, |i| T::diag(&i[0], 1).unwrap());
    check_rop(&[V4], -1.0, 1.0, |i| T::diag(T::tanh(&i[0]), -1).unwrap());
    check_rop(&[T234], -1.0, 1.0, |i| T::diagonal(&i[0], 0, 2, 1).unwrap());
    check_rop(&[M34, V4], -1.0, 1.0, |i| {
        T::softmax_with_bias(&i[0], &i[1]).unwrap()
    });
}

#[test]
fn rop_softmax() {
    check_rop(&[M34], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
    check_rop(&[V4], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
    check_rop(&[M34], -1.0, 1.0, |i| T::log_softmax(&i[0]).unwrap());
    check_rop(&[M34, ROW4], -1.0, 1.0, |i| {
        T::softmax(&i[0] * &i[1]).unwrap()
    });
}

#[test]
fn rop_reductions() {
    check_rop(&[M34], -1.0, 1.0, |i| {
        T::sum_axes(i[0].pow(2), Some(&[1]), false).unwrap()
    });
    check_rop(&[(&[2, 3, 4], &[])], -1.0, 1.0, |i| {
        T::sum_axes(T::exp(&i[0]), Some(&[0, 2]), true).unwrap()
    });
    check_rop(&[M34], -1.0, 1.0, |i| {
        T::mean(T::tanh(&i[0]), Some(&[0]), false).unwrap()
    });
    // through the double-L-op trick: prod, max
    check_rop(&[M34], 0.5, 1.5, |i| {
        T::prod_axes(&i[0], Some(&[1]), false).unwrap()
    });
    check_rop(&[M34], -1.0, 1.0, |i| {
        T::max(&i[0], Some(&[0]), false).unwrap()
    });
}

#[test]
fn rop_reshape_dimshuffle() {
    check_rop(&[M34], -1.0, 1.0, |i| {
        T::exp(&i[0]).reshape([2i64, 6]).unwrap()
    });
    check_rop(&[(&[2, 3, 4], &[])], -1.0, 1.0, |i| {
        T::tanh(i[0].dimshuffle(&[Some(2), None, Some(0), Some(1)]).unwrap())
    });
    check_rop(&[M34, V3], -1.0, 1.0, |i| {
        &i[0].t() * &T::sqr(&i[1]) + T::flatten(&i[0], 1).unwrap().reshape([4i64, 3]).unwrap()
    });
    check_rop(&[ROW4], -1.0, 1.0, |i| {
        T::exp(i[0].dimshuffle(&[Some(1)]).unwrap())
    });
}

#[test]
fn rop_subtensor() {
    check_rop(&[M34], -1.0, 1.0, |i| T::exp(i[0].at(1i64).unwrap()));
    check_rop(&[M34], -1.0, 1.0, |i| {
        T::exp(
            i[0].get(&[Idx::range(1i64, 3i64), Idx::step(2i64)])
                .unwrap(),
        )
    });
    check_rop(&[M34], -1.0, 1.0, |i| {
        T::sqr(
            i[0].get(&[Idx::step(-1i64), Idx::range(1i64, 4i64)])
                .unwrap(),
        )
    });
    check_rop(&[M34], -1.0, 1.0, |i| {
        T::exp(
            i[0].at(T::try_constant(Tensor::from(vec![2i64, 0, 2])).unwrap())
                .unwrap(),
        )
    });
    check_rop(&[M34, V4], -1.0, 1.0, |i| {
        T::sqr(T::inc_subtensor(&i[0].at(1i64).unwrap(), T::exp(&i[1])).unwrap())
    });
    check_rop(&[M34, ROW4], -1.0, 1.0, |i| {
        T::sqr(T::concatenate(&[i[0].clone(), T::exp(&i[1])], 0).unwrap())
    });
}

// ---------------------------------------------------------------------------------------------
// lop

/// `lop(f, xs, u)` against central differences: for each input k alone and for all together,
/// `sum_k <(u·J)_k, v_k>` ≈ `<u, (f(x + h v) - f(x - h v)) / 2h>`.
fn check_lop(specs: &[Spec], lo: f64, hi: f64, f: impl Fn(&[Variable]) -> Variable) {
    let xs = inputs(specs, "x");
    let out = f(&xs);
    let u = T::input(out.ty(), "u");
    let l = lop(std::slice::from_ref(&out), &xs, std::slice::from_ref(&u))
        .unwrap_or_else(|e| panic!("lop: {e}"));
    assert_eq!(l.len(), xs.len());
    for (g, x) in l.iter().zip(&xs) {
        assert_eq!(g.ty(), x.ty(), "lop of {out} wrt {x} has the input's type");
    }
    let all: Vec<Variable> = xs.iter().chain([&u]).cloned().collect();
    let mut rng = Rng::new(11);
    for trial in 0..3 {
        let x = points(&mut rng, specs, lo, hi);
        let (_, oshape) = eval(&xs, &out, &x);
        let uval = rng.tensor(DType::Float64, &oshape, -1.0, 1.0);
        let vals: Vec<Tensor> = x.iter().cloned().chain([uval.clone()]).collect();
        let uj: Vec<Vec<f64>> = l
            .iter()
            .zip(&x)
            .map(|(g, xk)| {
                let (gv, shape) = eval(&all, g, &vals);
                assert_eq!(shape, xk.shape(), "lop of {out}: shape");
                gv
            })
            .collect();
        let v = points(&mut rng, specs, -1.0, 1.0);
        let mut dirs: Vec<(String, Vec<Tensor>)> = vec![("all".into(), v.clone())];
        if specs.len() > 1 {
            for k in 0..specs.len() {
                dirs.push((
                    format!("input {k}"),
                    v.iter()
                        .enumerate()
                        .map(|(j, t)| if j == k { t.clone() } else { zeros_as(t) })
                        .collect(),
                ));
            }
        }
        for (name, dir) in dirs {
            let sym: f64 = uj
                .iter()
                .zip(&dir)
                .map(|(g, d)| dotv(g, &d.to_f64_vec()))
                .sum();
            let fd = dotv(&uval.to_f64_vec(), &directional(&xs, &out, &x, &dir));
            assert_close(
                &format!("lop of {out} (trial {trial}, direction {name})"),
                &[sym],
                &[fd],
            );
        }
    }
}

#[test]
fn lop_elemwise_broadcasting() {
    check_lop(&[M34, ROW4, COL3], -1.0, 1.0, |i| {
        T::tanh(&i[0] * &i[1]) + T::exp(&i[2]) * i[0].pow(2) - &i[1] / (2.0 + &i[2])
    });
    check_lop(&[M34, S], 0.5, 1.5, |i| {
        T::log(&i[0] * &i[1]) * T::sqrt(&i[0])
    });
}

#[test]
fn lop_dot() {
    check_lop(&[M34, V4], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
    check_lop(&[M34, (&[4, 2], &[])], -1.0, 1.0, |i| {
        T::dot(&i[0], &i[1]).unwrap()
    });
    check_lop(&[V3, M34], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
    check_lop(&[V4, V4], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
}

#[test]
fn lop_softmax_reductions() {
    check_lop(&[M34], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
    check_lop(&[V4], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
    check_lop(&[M34], -1.0, 1.0, |i| T::log_softmax(&i[0]).unwrap());
    check_lop(&[M34], -1.0, 1.0, |i| {
        T::sum_axes(i[0].pow(3), Some(&[0]), false).unwrap()
    });
    check_lop(&[M34], 0.5, 1.5, |i| {
        T::prod_axes(&i[0], Some(&[1]), true).unwrap()
    });
}

#[test]
fn lop_reshape_dimshuffle_subtensor() {
    check_lop(&[M34], -1.0, 1.0, |i| {
        T::exp(&i[0]).reshape([6i64, 2]).unwrap()
    });
    check_lop(&[(&[2, 3, 4], &[])], -1.0, 1.0, |i| {
        T::tanh(i[0].dimshuffle(&[Some(1), Some(2), None, Some(0)]).unwrap())
    });
    check_lop(&[M34], -1.0, 1.0, |i| {
        T::exp(
            i[0].get(&[Idx::range(0i64, 2i64), Idx::step(-2i64)])
                .unwrap(),
        )
    });
    check_lop(&[M34], -1.0, 1.0, |i| {
        T::exp(
            i[0].at(T::try_constant(Tensor::from(vec![2i64, 0, 2])).unwrap())
                .unwrap(),
        )
    });
    check_lop(&[M34, ROW4], -1.0, 1.0, |i| {
        T::sqr(T::concatenate(&[i[1].clone(), i[0].clone(), i[1].clone()], 0).unwrap())
    });
}

// ---------------------------------------------------------------------------------------------
// jacobian

/// `jacobian(expr, xs, n)` (expr a vector of length `n`) checked column by column: for each
/// element j of each input, `J[:, j] ≈ (f(x + h e_j) - f(x - h e_j)) / 2h`.
fn check_jacobian(specs: &[Spec], n: usize, lo: f64, hi: f64, f: impl Fn(&[Variable]) -> Variable) {
    let xs = inputs(specs, "x");
    let out = f(&xs);
    assert_eq!(out.ndim(), 1, "jacobian cases are vector-valued");
    let js = jacobian(&out, &xs, n).unwrap_or_else(|e| panic!("jacobian: {e}"));
    assert_eq!(js.len(), xs.len());
    let mut rng = Rng::new(13);
    for trial in 0..2 {
        let x = points(&mut rng, specs, lo, hi);
        let (o, _) = eval(&xs, &out, &x);
        assert_eq!(o.len(), n, "the expression's length");
        for (k, (jac, xk)) in js.iter().zip(&x).enumerate() {
            let (jv, shape) = eval(&xs, jac, &x);
            let mut want = vec![n];
            want.extend_from_slice(xk.shape());
            assert_eq!(shape, want, "jacobian of {out} wrt input {k}: shape");
            let size = xk.len();
            for j in 0..size {
                let dir: Vec<Tensor> = x
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let mut d = vec![0.0; t.len()];
                        if i == k {
                            d[j] = 1.0;
                        }
                        Tensor::from_f64_vec(DType::Float64, t.shape(), d).unwrap()
                    })
                    .collect();
                let fd = directional(&xs, &out, &x, &dir);
                let col: Vec<f64> = (0..n).map(|r| jv[r * size + j]).collect();
                assert_close(
                    &format!("jacobian of {out} wrt input {k}, column {j} (trial {trial})"),
                    &col,
                    &fd,
                );
            }
        }
    }
}

#[test]
fn jacobian_elemwise() {
    check_jacobian(&[V4, V4], 4, -1.0, 1.0, |i| T::exp(&i[0]) * &i[1]);
    check_jacobian(&[V4], 4, -1.0, 1.0, |i| T::tanh(&i[0]).pow(2));
    check_jacobian(&[V4, S], 4, 0.5, 1.5, |i| T::log(&i[0] * &i[1]) / &i[1]);
}

#[test]
fn jacobian_softmax() {
    // the softmax of a vector is a row (Theano's rule): flatten it
    check_jacobian(&[V4], 4, -1.0, 1.0, |i| {
        T::softmax(&i[0]).unwrap().flatten(1).unwrap()
    });
    check_jacobian(&[V4], 4, -1.0, 1.0, |i| {
        T::log_softmax(&i[0]).unwrap().flatten(1).unwrap()
    });
}

#[test]
fn jacobian_dot() {
    check_jacobian(&[M34, V4], 3, -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
    check_jacobian(&[V3, M34], 4, -1.0, 1.0, |i| {
        T::tanh(T::dot(&i[0], &i[1]).unwrap())
    });
}

#[test]
fn jacobian_cumulative_concatenate() {
    // cumulative sum and product, built from prefix reductions joined together
    check_jacobian(&[V4], 4, 0.5, 1.5, |i| {
        let parts: Vec<Variable> = (1..=4i64)
            .map(|k| T::sum_axes(i[0].get(&[Idx::to(k)]).unwrap(), Some(&[0]), true).unwrap())
            .collect();
        T::concatenate(&parts, 0).unwrap()
    });
    check_jacobian(&[V4], 4, 0.5, 1.5, |i| {
        let parts: Vec<Variable> = (1..=4i64)
            .map(|k| T::prod_axes(i[0].get(&[Idx::to(k)]).unwrap(), Some(&[0]), true).unwrap())
            .collect();
        T::concatenate(&parts, 0).unwrap()
    });
    check_jacobian(&[V3, V4], 7, -1.0, 1.0, |i| {
        T::concatenate(&[T::exp(&i[0]), &i[1] * &T::sum(&i[0])], 0).unwrap()
    });
}

#[test]
fn jacobian_subtensor_and_max() {
    check_jacobian(&[V4], 3, -1.0, 1.0, |i| {
        T::sqr(
            i[0].get(&[Idx::step(-1i64)])
                .unwrap()
                .get(&[Idx::to(3i64)])
                .unwrap(),
        )
    });
    check_jacobian(&[V4], 4, -1.0, 1.0, |i| {
        &i[0] * &T::max(&i[0], None, false).unwrap()
    });
}

// ---------------------------------------------------------------------------------------------
// hessian

/// `hessian(cost, [x], n)` checked column by column against central differences of the
/// (symbolic, compiled) gradient, and for symmetry. `extra` are further inputs (not
/// differentiated) with their values.
fn check_hessian(
    n: usize,
    lo: f64,
    hi: f64,
    extra: &[Spec],
    f: impl Fn(&Variable, &[Variable]) -> Variable,
) -> Vec<f64> {
    let x = T::input(TensorType::vector(DType::Float64), "x");
    let es = inputs(extra, "e");
    let cost = f(&x, &es);
    let h = hessian(&cost, std::slice::from_ref(&x), n).unwrap_or_else(|e| panic!("hessian: {e}"));
    assert_eq!(h.len(), 1);
    let g = grad(&cost, std::slice::from_ref(&x)).unwrap().remove(0);
    let all: Vec<Variable> = [x.clone()].into_iter().chain(es).collect();
    let mut rng = Rng::new(17);
    let mut last = Vec::new();
    for trial in 0..2 {
        let mut vals = vec![rng.tensor(DType::Float64, &[n], lo, hi)];
        vals.extend(points(&mut rng, extra, -1.0, 1.0));
        let (hv, shape) = eval(&all, &h[0], &vals);
        assert_eq!(shape, vec![n, n], "hessian of {cost}: shape");
        for r in 0..n {
            for c in 0..r {
                let (a, b) = (hv[r * n + c], hv[c * n + r]);
                assert!(
                    (a - b).abs() <= 1e-10 * (1.0 + a.abs()),
                    "hessian of {cost} is not symmetric: [{r},{c}] = {a}, [{c},{r}] = {b}"
                );
            }
        }
        for j in 0..n {
            let mut d = vec![0.0; n];
            d[j] = 1.0;
            let mut dir = vec![Tensor::from_f64_vec(DType::Float64, &[n], d).unwrap()];
            dir.extend(vals[1..].iter().map(zeros_as));
            let fd = directional(&all, &g, &vals, &dir);
            let col: Vec<f64> = (0..n).map(|r| hv[r * n + j]).collect();
            assert_close(
                &format!("hessian of {cost}, column {j} (trial {trial})"),
                &col,
                &fd,
            );
        }
        last = hv;
    }
    last
}

#[test]
fn hessian_elementwise_costs() {
    check_hessian(4, -1.0, 1.0, &[], |x, _| x.pow(3).sum());
    check_hessian(4, -1.0, 1.0, &[], |x, _| (T::exp(x) * x).sum());
    check_hessian(4, -1.0, 1.0, &[], |x, _| T::log(T::exp(x).sum()));
    check_hessian(3, 0.5, 1.5, &[], |x, _| T::prod(x) + T::sqrt(x).sum());
}

#[test]
fn hessian_quadratic_form_is_a_plus_a_transpose() {
    let n = 4;
    let x = T::dvector("x");
    let a = T::dmatrix("A");
    let cost = T::dot(&x, T::dot(&a, &x).unwrap()).unwrap();
    let h = hessian(&cost, std::slice::from_ref(&x), n)
        .unwrap()
        .remove(0);
    let mut rng = Rng::new(5);
    let xv = rng.tensor(DType::Float64, &[n], -1.0, 1.0);
    let av = rng.tensor(DType::Float64, &[n, n], -1.0, 1.0);
    let (hv, _) = eval(&[x.clone(), a.clone()], &h, &[xv, av.clone()]);
    let am = av.to_f64_vec();
    let want: Vec<f64> = (0..n * n)
        .map(|k| am[k] + am[(k % n) * n + k / n])
        .collect();
    assert_close("hessian of x'Ax", &hv, &want);
    // and by finite differences, with A an extra input
    check_hessian(n, -1.0, 1.0, &[(&[4, 4], &[])], |x, e| {
        T::dot(x, T::dot(&e[0], x).unwrap()).unwrap()
    });
}

#[test]
fn hessian_logistic_regression() {
    // a tiny data set: 6 examples, 3 features; w is the wrt, b an extra (undifferentiated) input
    let data = Tensor::from_f64_vec(
        DType::Float64,
        &[6, 3],
        vec![
            0.5, -1.0, 0.3, 1.2, 0.1, -0.7, -0.4, 0.8, 0.9, 0.0, -0.3, 1.5, 1.1, 1.0, -0.2, -0.9,
            0.6, 0.4,
        ],
    )
    .unwrap();
    let labels =
        Tensor::from_f64_vec(DType::Float64, &[6], vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0]).unwrap();
    let hv = check_hessian(3, -1.0, 1.0, &[S], |w, e| {
        let xd = T::try_constant(data.clone()).unwrap();
        let y = T::try_constant(labels.clone()).unwrap();
        let p_1 = 1.0 / (1.0 + T::exp(&(-T::dot(&xd, w).unwrap() - &e[0])));
        let xent = -&y * T::log(&p_1) - (1.0 - &y) * T::log(1.0 - &p_1);
        xent.mean() + 0.01 * w.pow(2).sum()
    });
    // the analytic form at the last point: X' diag(p(1-p)) X / m + 0.02 I is positive definite
    for i in 0..3 {
        assert!(
            hv[i * 3 + i] > 0.02 - 1e-12,
            "diagonal {i}: {}",
            hv[i * 3 + i]
        );
    }
}

#[test]
fn hessian_of_a_function_of_dot_and_softmax() {
    check_hessian(4, -1.0, 1.0, &[(&[3, 4], &[])], |x, e| {
        let s = T::softmax(T::dot(&e[0], x).unwrap()).unwrap();
        -T::log(s.get(&[Idx::all(), Idx::from(1i64)]).unwrap()).sum()
    });
}

#[test]
fn rop_lop_more_ops() {
    let ivec = |v: Vec<i64>| T::try_constant(Tensor::from(v)).unwrap();
    let cases: Vec<(&[Spec], f64, f64, Box<dyn Fn(&[Variable]) -> Variable>)> = vec![
        (
            &[M34, ROW4],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| T::switch(T::gt(&i[0], 0.0), T::sqr(&i[0]), &i[1] * &i[0])),
        ),
        (
            &[M34],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| T::clip(&i[0], -0.5, 0.5) * &i[0]),
        ),
        (
            &[M34, ROW4],
            0.5,
            1.5,
            Box::new(|i: &[Variable]| i[0].pow(&i[1])),
        ),
        (
            &[V4],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| T::sqr(T::alloc_const(&i[0], &[2, 3, 4]).unwrap())),
        ),
        (
            &[S, S],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| {
                T::exp(
                    T::make_vector(&[i[0].clone(), &i[1] * &i[0], i[1].clone()], DType::Float64)
                        .unwrap(),
                )
            }),
        ),
        (
            &[M34],
            -1.0,
            1.0,
            Box::new(move |i: &[Variable]| {
                T::exp(
                    i[0].get(&[
                        Idx::Array(ivec(vec![0, 2, 0])),
                        Idx::Array(ivec(vec![1, 3, 1])),
                    ])
                    .unwrap(),
                )
            }),
        ),
        (
            &[M34, V3],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| {
                let sub = i[0].get(&[Idx::all(), Idx::from(2i64)]).unwrap();
                T::sqr(T::set_subtensor(&sub, T::tanh(&i[1])).unwrap())
            }),
        ),
        (
            &[M34],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| {
                T::max_and_argmax(&i[0], Some(&[1])).unwrap().0
                    * T::min(&i[0], Some(&[1]), false).unwrap()
            }),
        ),
        (
            &[M34],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| T::stack(&[T::exp(&i[0]), i[0].clone()], 1).unwrap()),
        ),
        (
            &[M34],
            -1.0,
            1.0,
            Box::new(|i: &[Variable]| {
                T::var(&i[0], Some(&[1]), false).unwrap()
                    + T::std(&i[0], Some(&[0]), true).unwrap().sum()
            }),
        ),
    ];
    for (specs, lo, hi, f) in &cases {
        check_rop(specs, *lo, *hi, f);
        check_lop(specs, *lo, *hi, f);
    }
}

/// Several expressions and several variables at once: `rop` gives one J·v per expression,
/// `lop` sums u_i·J_i over the expressions.
#[test]
fn rop_lop_several_expressions() {
    let x = T::dmatrix("x");
    let w = T::dvector("w");
    let f1 = T::dot(&x, &w).unwrap();
    let f2 = T::softmax(&x * &w).unwrap();
    let f3 = T::sum(T::exp(&w));
    let fs = [f1, f2, f3];
    let xs = [x.clone(), w.clone()];
    let vx = T::dmatrix("vx");
    let vw = T::dvector("vw");
    let rs = rop(&fs, &xs, &[vx.clone(), vw.clone()]).unwrap();
    let us: Vec<Variable> = fs.iter().map(|f| T::input(f.ty(), "u")).collect();
    let ls = lop(&fs, &xs, &us).unwrap();
    let mut rng = Rng::new(3);
    let xv = [
        rng.tensor(DType::Float64, &[3, 4], -1.0, 1.0),
        rng.tensor(DType::Float64, &[4], -1.0, 1.0),
    ];
    let dv = [
        rng.tensor(DType::Float64, &[3, 4], -1.0, 1.0),
        rng.tensor(DType::Float64, &[4], -1.0, 1.0),
    ];
    let all: Vec<Variable> = xs.iter().chain([&vx, &vw]).cloned().collect();
    let vals: Vec<Tensor> = xv.iter().chain(&dv).cloned().collect();
    let mut lhs = 0.0;
    let mut uvals = Vec::new();
    for (f, r) in fs.iter().zip(&rs) {
        let (jv, _) = eval(&all, r, &vals);
        let fd = directional(&xs, f, &xv, &dv);
        assert_close(&format!("rop of {f} among several"), &jv, &fd);
        let (_, shape) = eval(&xs, f, &xv);
        let u = rng.tensor(DType::Float64, &shape, -1.0, 1.0);
        lhs += dotv(&u.to_f64_vec(), &fd);
        uvals.push(u);
    }
    let all: Vec<Variable> = xs.iter().chain(&us).cloned().collect();
    let vals: Vec<Tensor> = xv.iter().chain(&uvals).cloned().collect();
    let rhs: f64 = ls
        .iter()
        .zip(&dv)
        .map(|(l, d)| dotv(&eval(&all, l, &vals).0, &d.to_f64_vec()))
        .sum();
    assert_close("lop of several expressions", &[rhs], &[lhs]);
}

#[test]
fn hessian_of_several_variables() {
    let x = T::dvector("x");
    let y = T::dvector("y");
    let cost = (T::exp(&x) * &y).sum() + T::dot(&x, &y).unwrap().pow(2) + y.pow(4).sum();
    let hs = hessian(&cost, &[x.clone(), y.clone()], 3).unwrap();
    let mut rng = Rng::new(23);
    let xv = rng.tensor(DType::Float64, &[3], -1.0, 1.0);
    let yv = rng.tensor(DType::Float64, &[3], -1.0, 1.0);
    let (xa, ya) = (xv.to_f64_vec(), yv.to_f64_vec());
    let xs = [x.clone(), y.clone()];
    let (hx, _) = eval(&xs, &hs[0], &[xv.clone(), yv.clone()]);
    let (hy, _) = eval(&xs, &hs[1], &[xv, yv]);
    // analytic: d2/dx2 = diag(exp(x) y) + 2 y y';  d2/dy2 = 2 x x' + diag(12 y^2)
    let mut wx = vec![0.0; 9];
    let mut wy = vec![0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            wx[r * 3 + c] = 2.0 * ya[r] * ya[c] + if r == c { xa[r].exp() * ya[r] } else { 0.0 };
            wy[r * 3 + c] = 2.0 * xa[r] * xa[c] + if r == c { 12.0 * ya[r] * ya[r] } else { 0.0 };
        }
    }
    assert_close("hessian wrt x", &hx, &wx);
    assert_close("hessian wrt y", &hy, &wy);
}
