//! Numeric gradient checks (finite differences) of every differentiable op, float64 and
//! float32, with broadcast (row / col / scalar) inputs, evaluated by compiled functions.

use theano_grad::{verify_grad, Rng, VerifyGradOptions};
use theano_ir::tensor as T;
use theano_ir::{DType, Idx, Tensor, TensorType, Variable};

mod common;
use common::eval_compiled as eval;

/// One input: its shape and broadcastable pattern (`&[]` = none broadcastable).
type Spec<'a> = (&'a [usize], &'a [bool]);

/// verify_grad of `f` at random points of dtype `dt` in `[lo, hi)`.
fn check(dt: DType, specs: &[Spec], lo: f64, hi: f64, f: impl Fn(&[Variable]) -> Variable) {
    let mut rng = Rng::new(42);
    let points: Vec<Tensor> = specs
        .iter()
        .map(|(s, _)| rng.tensor(dt, s, lo, hi))
        .collect();
    let types = specs
        .iter()
        .map(|(s, b)| {
            if b.is_empty() {
                TensorType::with_ndim(dt, s.len()).unwrap()
            } else {
                TensorType::new(dt, b).unwrap()
            }
        })
        .collect();
    let opts = VerifyGradOptions {
        seed: 1,
        input_types: Some(types),
        ..Default::default()
    };
    verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{e}"));
}

fn ivec(v: &[i64]) -> Variable {
    T::try_constant(
        Tensor::from_f64_vec(
            DType::Int64,
            &[v.len()],
            v.iter().map(|&x| x as f64).collect(),
        )
        .unwrap(),
    )
    .unwrap()
}

const M: &[usize] = &[3, 4];
const ROW: Spec = (&[1, 4], &[true, false]);
const COL: Spec = (&[3, 1], &[false, true]);
const MAT: Spec = (M, &[]);
const VEC: Spec = (&[4], &[]);
const SCAL: Spec = (&[], &[]);

/// One test per dtype: `numeric!(name, |dt| body)`.
macro_rules! numeric {
    ($($name:ident => |$dt:ident| $body:block)*) => {$(
        mod $name {
            use super::*;
            #[allow(unused_variables)]
            fn run($dt: DType) $body
            #[test]
            fn float64() { run(DType::Float64) }
            #[test]
            fn float32() { run(DType::Float32) }
        }
    )*};
}

numeric! {
    add => |dt| {
        check(dt, &[MAT, ROW], -1.0, 1.0, |i| &i[0] + &i[1]);
        check(dt, &[MAT, COL], -1.0, 1.0, |i| &i[0] + &i[1]);
        check(dt, &[MAT, SCAL], -1.0, 1.0, |i| &i[0] + &i[1]);
    }
    sub => |dt| { check(dt, &[MAT, ROW], -1.0, 1.0, |i| &i[0] - &i[1]); }
    mul => |dt| {
        check(dt, &[MAT, COL], -1.0, 1.0, |i| &i[0] * &i[1]);
        check(dt, &[MAT, ROW, COL], -1.0, 1.0, |i| {
            T::elemwise(theano_ir::ScalarOp::Mul, i.to_vec()).unwrap()
        });
        check(dt, &[MAT], -1.0, 1.0, |i| &i[0] * &i[0]);
    }
    true_div => |dt| { check(dt, &[MAT, ROW], 0.5, 2.0, |i| &i[0] / &i[1]); }
    pow => |dt| {
        check(dt, &[MAT, ROW], 0.5, 2.0, |i| i[0].pow(&i[1]));
        check(dt, &[MAT], 0.5, 2.0, |i| i[0].pow(3));
    }
    neg => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::neg(&i[0]).unwrap()); }
    exp => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::exp(&i[0])); }
    log => |dt| { check(dt, &[MAT], 0.5, 2.0, |i| T::log(&i[0])); }
    log1p => |dt| { check(dt, &[MAT], 0.1, 2.0, |i| T::log1p(&i[0])); }
    expm1 => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::expm1(&i[0])); }
    tanh => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::tanh(&i[0])); }
    sigmoid => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::sigmoid(&i[0])); }
    softplus => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::softplus(&i[0])); }
    abs => |dt| { check(dt, &[MAT], 0.2, 1.0, |i| T::abs(T::neg(&i[0]).unwrap())); }
    // Theano 1.0's catalogue, each on its domain (away from poles and branch points)
    sin => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::sin(&i[0])); }
    cos => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::cos(&i[0])); }
    tan => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::tan(&i[0])); }
    arcsin => |dt| { check(dt, &[MAT], -0.8, 0.8, |i| T::arcsin(&i[0])); }
    arccos => |dt| { check(dt, &[MAT], -0.8, 0.8, |i| T::arccos(&i[0])); }
    arctan => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::arctan(&i[0])); }
    arctan2 => |dt| {
        check(dt, &[MAT, ROW], 0.5, 2.0, |i| T::arctan2(&i[0], &i[1]));
        check(dt, &[COL, MAT], -2.0, -0.5, |i| T::arctan2(&i[0], &i[1]));
    }
    sinh => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::sinh(&i[0])); }
    cosh => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::cosh(&i[0])); }
    arcsinh => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::arcsinh(&i[0])); }
    arccosh => |dt| { check(dt, &[MAT], 1.5, 3.0, |i| T::arccosh(&i[0])); }
    arctanh => |dt| { check(dt, &[MAT], -0.8, 0.8, |i| T::arctanh(&i[0])); }
    exp2 => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::exp2(&i[0])); }
    log2 => |dt| { check(dt, &[MAT], 0.5, 2.0, |i| T::log2(&i[0])); }
    log10 => |dt| { check(dt, &[MAT], 0.5, 2.0, |i| T::log10(&i[0])); }
    erf => |dt| { check(dt, &[MAT], -1.5, 1.5, |i| T::erf(&i[0])); }
    erfc => |dt| { check(dt, &[MAT], -1.5, 1.5, |i| T::erfc(&i[0])); }
    erfinv => |dt| { check(dt, &[MAT], -0.8, 0.8, |i| T::erfinv(&i[0])); }
    erfcinv => |dt| { check(dt, &[MAT], 0.2, 1.8, |i| T::erfcinv(&i[0])); }
    gamma => |dt| { check(dt, &[MAT], 0.5, 3.0, |i| T::gamma(&i[0])); }
    gammaln => |dt| { check(dt, &[MAT], 0.5, 3.0, |i| T::gammaln(&i[0])); }
    psi => |dt| { check(dt, &[MAT], 0.5, 3.0, |i| T::psi(&i[0])); }
    inv => |dt| { check(dt, &[MAT], 0.5, 2.0, |i| T::inv(&i[0])); }
    deg2rad => |dt| { check(dt, &[MAT], -90.0, 90.0, |i| T::deg2rad(&i[0])); }
    rad2deg => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::rad2deg(&i[0])); }
    softsign => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::softsign(&i[0])); }
    relu => |dt| {
        check(dt, &[MAT], 0.2, 1.0, |i| T::relu(&i[0]) + T::relu(T::neg(&i[0]).unwrap()));
        check(dt, &[MAT, SCAL], 0.2, 1.0, |i| {
            T::relu_alpha(&i[0], &i[1]) + T::relu_alpha(T::neg(&i[0]).unwrap(), &i[1])
        });
    }
    elu => |dt| {
        check(dt, &[MAT], 0.2, 1.0, |i| T::elu(&i[0]) + T::elu(T::neg(&i[0]).unwrap()));
        check(dt, &[MAT, SCAL], -1.0, -0.2, |i| T::elu_alpha(&i[0], &i[1]));
    }
    hard_sigmoid => |dt| { check(dt, &[MAT], -2.0, 2.0, |i| T::hard_sigmoid(&i[0])); }
    sigmoid_binary_crossentropy => |dt| {
        check(dt, &[MAT, MAT], -2.0, 2.0, |i| {
            T::sigmoid_binary_crossentropy(&i[0], &i[1]).unwrap()
        });
        check(dt, &[MAT, ROW], -2.0, 2.0, |i| {
            T::sigmoid_binary_crossentropy(&i[0], &i[1]).unwrap()
        });
    }
    binary_crossentropy => |dt| {
        check(dt, &[MAT, MAT], 0.2, 0.8, |i| T::binary_crossentropy(&i[0], &i[1]));
    }
    sqr => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::sqr(&i[0])); }
    sqrt => |dt| { check(dt, &[MAT], 0.5, 2.0, |i| T::sqrt(&i[0])); }
    maximum_minimum => |dt| {
        check(dt, &[MAT, ROW], -1.0, 1.0, |i| T::maximum(&i[0], &i[1]));
        check(dt, &[MAT, COL], -1.0, 1.0, |i| T::minimum(&i[0], &i[1]));
    }
    clip => |dt| { check(dt, &[MAT], -1.0, 1.0, |i| T::clip(&i[0], -0.5, 0.5)); }
    switch => |dt| {
        check(dt, &[MAT, ROW], -1.0, 1.0, |i| T::switch(T::gt(&i[0], 0.0), &i[0], &i[1]));
    }
    fill_second => |dt| { check(dt, &[MAT, ROW], -1.0, 1.0, |i| &T::fill(&i[0], &i[1]) * &i[0]); }
    identity_and_cast => |dt| {
        let other = if dt == DType::Float64 { DType::Float32 } else { DType::Float64 };
        check(dt, &[MAT], -1.0, 1.0, |i| {
            T::sqr(T::elemwise(theano_ir::ScalarOp::Identity, vec![i[0].clone()]).unwrap())
        });
        check(dt, &[MAT], -1.0, 1.0, |i| T::sqr(T::cast(&i[0], other)));
    }
    piecewise_constant => |dt| {
        // floor, ceil, round, sgn have a zero gradient; mod's is 1 in x
        check(dt, &[MAT], 0.1, 0.4, |i| &i[0] * &T::floor(&i[0]));
        check(dt, &[MAT], 0.1, 0.4, |i| &i[0] * &T::ceil(&i[0]));
        check(dt, &[MAT], 0.1, 0.4, |i| &i[0] * &T::round(&i[0]).unwrap());
        check(dt, &[MAT], 0.1, 0.4, |i| &i[0] * &T::sgn(&i[0]).unwrap());
        check(dt, &[MAT], 0.1, 0.4, |i| &i[0] % 1.0);
        check(dt, &[MAT], 0.1, 0.4, |i| &i[0] + &T::int_div(&i[0], 1.0));
    }
    dimshuffle => |dt| {
        check(dt, &[(&[2, 3, 4], &[])], -1.0, 1.0, |i| {
            T::exp(i[0].dimshuffle(&[Some(2), None, Some(0), Some(1)]).unwrap())
        });
        check(dt, &[ROW], -1.0, 1.0, |i| T::exp(i[0].dimshuffle(&[Some(1)]).unwrap()));
    }
    sum => |dt| {
        check(dt, &[(&[2, 3, 4], &[])], -1.0, 1.0, |i| T::sqr(T::sum_axes(&i[0], Some(&[0, 2]), false).unwrap()));
        check(dt, &[MAT], -1.0, 1.0, |i| T::sqr(T::sum_axes(&i[0], Some(&[1]), true).unwrap()));
        check(dt, &[MAT], -1.0, 1.0, |i| T::sqr(T::mean(&i[0], Some(&[0]), false).unwrap()));
    }
    prod => |dt| {
        check(dt, &[MAT], 0.5, 1.5, |i| T::prod_axes(&i[0], Some(&[1]), false).unwrap());
        check(dt, &[MAT], 0.5, 1.5, |i| T::prod(&i[0]));
        // a single zero in a group (the ProdWithoutZeros branch)
        check(dt, &[MAT], 0.5, 1.5, |i| {
            let z = T::set_subtensor(&i[0].get(&[Idx::from(0i64), Idx::from(1i64)]).unwrap(), 0.0).unwrap();
            T::prod_axes(&z, Some(&[1]), false).unwrap()
        });
    }
    max_min => |dt| {
        check(dt, &[MAT], -1.0, 1.0, |i| T::max(&i[0], Some(&[1]), false).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| T::min(&i[0], Some(&[0]), false).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| T::max_and_argmax(&i[0], None).unwrap().0);
    }
    dot => |dt| {
        check(dt, &[VEC, VEC], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
        check(dt, &[MAT, VEC], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
        check(dt, &[(&[3], &[]), MAT], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
        check(dt, &[MAT, (&[4, 2], &[])], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
        check(dt, &[ROW, (&[4, 2], &[])], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
        check(dt, &[COL, (&[1, 5], &[true, false])], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
    }
    softmax => |dt| {
        check(dt, &[MAT], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
        check(dt, &[VEC], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| T::log_softmax(&i[0]).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| T::log(T::softmax(&i[0]).unwrap()));
    }
    reshape_flatten => |dt| {
        check(dt, &[MAT], -1.0, 1.0, |i| T::exp(i[0].reshape([2i64, 6]).unwrap()));
        check(dt, &[ROW], -1.0, 1.0, |i| T::exp(i[0].reshape([2i64, 2]).unwrap()));
        check(dt, &[(&[2, 3, 4], &[])], -1.0, 1.0, |i| T::exp(i[0].flatten(2).unwrap()));
    }
    subtensor => |dt| {
        check(dt, &[MAT], -1.0, 1.0, |i| T::exp(i[0].at(1i64).unwrap()));
        check(dt, &[MAT], -1.0, 1.0, |i| T::exp(i[0].get(&[Idx::all(), Idx::range(1i64, 3i64)]).unwrap()));
        check(dt, &[MAT], -1.0, 1.0, |i| T::exp(i[0].get(&[Idx::step(2i64)]).unwrap()));
    }
    advanced_subtensor => |dt| {
        // repeated indices accumulate
        check(dt, &[MAT], -1.0, 1.0, |i| T::exp(i[0].at(ivec(&[0, 2, 0, 1])).unwrap()));
        check(dt, &[MAT], -1.0, 1.0, |i| {
            T::exp(i[0].get(&[Idx::Array(ivec(&[0, 2, 0])), Idx::Array(ivec(&[1, 3, 1]))]).unwrap())
        });
        check(dt, &[MAT], -1.0, 1.0, |i| {
            T::exp(i[0].get(&[Idx::all(), Idx::Array(ivec(&[3, 3, 0]))]).unwrap())
        });
    }
    inc_set_subtensor => |dt| {
        for set in [false, true] {
            let op = move |sub: &Variable, y: &Variable| {
                if set { T::set_subtensor(sub, y).unwrap() } else { T::inc_subtensor(sub, y).unwrap() }
            };
            check(dt, &[MAT, VEC], -1.0, 1.0, move |i| T::sqr(op(&i[0].at(1i64).unwrap(), &i[1])));
            check(dt, &[MAT, SCAL], -1.0, 1.0, move |i| {
                T::sqr(op(&i[0].get(&[Idx::all(), Idx::range(0i64, 2i64)]).unwrap(), &i[1]))
            });
            check(dt, &[MAT, (&[2, 4], &[])], -1.0, 1.0, move |i| {
                T::sqr(op(&i[0].at(ivec(&[2, 0])).unwrap(), &i[1]))
            });
            // repeated indices: inc accumulates; set with repeats is last-wins (no gradient
            // is well defined there), so set uses distinct rows
            let rows: &'static [i64] = if set { &[1, 2] } else { &[1, 1] };
            check(dt, &[MAT, ROW], -1.0, 1.0, move |i| T::sqr(op(&i[0].at(ivec(rows)).unwrap(), &i[1])));
            check(dt, &[MAT, VEC], -1.0, 1.0, move |i| {
                let y = i[1].get(&[Idx::range(0i64, 2i64)]).unwrap();
                T::sqr(op(&i[0].get(&[Idx::Array(ivec(&[0, 2])), Idx::Array(ivec(&[1, 3]))]).unwrap(), &y))
            });
        }
    }
    join_stack_alloc => |dt| {
        check(dt, &[MAT, ROW], -1.0, 1.0, |i| T::sqr(T::concatenate(&[i[0].clone(), i[1].clone(), i[0].clone()], 0).unwrap()));
        check(dt, &[MAT, COL], -1.0, 1.0, |i| T::sqr(T::concatenate(&[i[1].clone(), i[0].clone()], 1).unwrap()));
        check(dt, &[VEC, VEC], -1.0, 1.0, |i| T::sqr(T::stack(&[i[0].clone(), i[1].clone()], 1).unwrap()));
        check(dt, &[VEC], -1.0, 1.0, |i| T::sqr(T::alloc_const(&i[0], &[3, 4]).unwrap()));
        check(dt, &[ROW], -1.0, 1.0, |i| T::sqr(T::alloc_const(&i[0], &[2, 3, 4]).unwrap()));
        check(dt, &[SCAL, SCAL], -1.0, 1.0, |i| {
            T::sqr(T::make_vector(&[i[0].clone(), i[1].clone(), i[0].clone()], i[0].dtype()).unwrap())
        });
    }
    notebook_models => |dt| {
        // logistic regression cost in x's dtype; softmax regression NLL
        check(dt, &[(&[5, 4], &[]), VEC, SCAL], -1.0, 1.0, |i| {
            let p_1 = 1.0 / (1.0 + T::exp(&(-T::dot(&i[0], &i[1]).unwrap() - &i[2])));
            T::log(&p_1).sum() + 0.01 * i[1].pow(2).sum()
        });
        check(dt, &[(&[5, 4], &[]), (&[4, 3], &[]), (&[3], &[])], -1.0, 1.0, |i| {
            let p = T::softmax(&(T::dot(&i[0], &i[1]).unwrap() + &i[2])).unwrap();
            let y = ivec(&[0, 2, 1, 1, 0]);
            let picked = T::log(&p).get(&[Idx::Array(T::arange(5i64).unwrap()), Idx::Array(y)]).unwrap();
            -T::mean(&picked, None, false).unwrap()
        });
    }
}

/// How a non-C-contiguous point is laid out in memory.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Column-major (Fortran order): the axes of a C array of the reversed shape, reversed.
    Fortran,
    /// The first axis reversed in place (a negative stride).
    Reversed,
    /// Every other element of the last axis of a twice-as-long array (gaps in memory).
    Strided,
}

/// A random point of `shape` and `dt` in `[lo, hi)`, laid out as `layout`; asserts that its
/// strides really are not C-contiguous.
fn noncontig(
    rng: &mut Rng,
    dt: DType,
    shape: &[usize],
    layout: Layout,
    lo: f64,
    hi: f64,
) -> Tensor {
    use theano_tensor::ndarray::{Axis, Slice};
    let n = shape.len();
    assert!(n >= 1, "a non-contiguous point needs at least one axis");
    // a vector in Fortran order is C-contiguous: take a strided one instead
    let layout = match layout {
        Layout::Fortran if n == 1 => Layout::Strided,
        l => l,
    };
    let base_shape: Vec<usize> = match layout {
        Layout::Fortran => shape.iter().rev().copied().collect(),
        Layout::Reversed => shape.to_vec(),
        Layout::Strided => {
            let mut s = shape.to_vec();
            s[n - 1] *= 2;
            s
        }
    };
    let base = rng.tensor(dt, &base_shape, lo, hi);
    let t = theano_tensor::map_array!(base, a => {
        let mut a = a;
        match layout {
            Layout::Fortran => a.reversed_axes(),
            Layout::Reversed => {
                a.invert_axis(Axis(0));
                a
            }
            Layout::Strided => {
                a.slice_axis_inplace(Axis(n - 1), Slice::new(0, None, 2));
                a
            }
        }
    });
    assert_eq!(t.shape(), shape);
    let mut c_strides = vec![1isize; n];
    for d in (0..n.saturating_sub(1)).rev() {
        c_strides[d] = c_strides[d + 1] * shape[d + 1] as isize;
    }
    assert_ne!(
        t.strides(),
        &c_strides[..],
        "{layout:?} point of shape {shape:?}"
    );
    assert!(
        !theano_tensor::with_array!(&t, a => a.is_standard_layout()),
        "{layout:?} point of shape {shape:?} has strides {:?}",
        t.strides()
    );
    t
}

/// verify_grad of `f` at non-contiguous points (one layout per input, `None` = a C-contiguous
/// point), after checking that `f` and its gradients give the same values at the
/// non-contiguous points as at C-contiguous copies of them.
fn check_noncontig(
    dt: DType,
    specs: &[(&[usize], Option<Layout>)],
    lo: f64,
    hi: f64,
    f: impl Fn(&[Variable]) -> Variable,
) {
    let mut rng = Rng::new(99);
    let points: Vec<Tensor> = specs
        .iter()
        .map(|(s, l)| match l {
            Some(l) => noncontig(&mut rng, dt, s, *l, lo, hi),
            None => rng.tensor(dt, s, lo, hi),
        })
        .collect();
    let contiguous: Vec<Tensor> = points.iter().map(Tensor::to_contiguous).collect();
    let inputs: Vec<Variable> = specs
        .iter()
        .enumerate()
        .map(|(i, (s, _))| {
            T::input(
                TensorType::with_ndim(dt, s.len()).unwrap(),
                &format!("x{i}"),
            )
        })
        .collect();
    let out = f(&inputs);
    // a random projection of the output, so that the gradients are not all-ones patterns
    let o0 = eval(&inputs, &out, &contiguous).unwrap_or_else(|e| panic!("{e}"));
    let r = T::try_constant(rng.tensor(out.dtype(), o0.shape(), 0.5, 1.5)).unwrap();
    let cost = (r * &out).sum();
    let grads = theano_grad::grad(&cost, &inputs).unwrap();
    let tol = if dt == DType::Float64 { 1e-12 } else { 1e-5 };
    for o in std::iter::once(&out).chain(&grads) {
        let a = eval(&inputs, o, &points).unwrap_or_else(|e| panic!("{e}"));
        let b = eval(&inputs, o, &contiguous).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            a.allclose(&b, tol, tol),
            "{o} at non-contiguous points:\n{a:?}\nat C-contiguous copies:\n{b:?}"
        );
    }
    let opts = VerifyGradOptions {
        seed: 1,
        ..Default::default()
    };
    verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{e}"));
}

const F: Option<Layout> = Some(Layout::Fortran);
const REV: Option<Layout> = Some(Layout::Reversed);
const STR: Option<Layout> = Some(Layout::Strided);

numeric! {
    noncontig_elemwise => |dt| {
        for l in [F, REV, STR] {
            check_noncontig(dt, &[(M, l), (M, None)], -1.0, 1.0, |i| T::tanh(&i[0] * &i[1]) + T::exp(&i[0]));
            check_noncontig(dt, &[(M, l), (M, l)], -1.0, 1.0, |i| &T::sqr(&i[0]) * &i[1]);
            check_noncontig(dt, &[(&[2, 3, 4], l)], -1.0, 1.0, |i| T::sigmoid(&i[0]) * &i[0]);
        }
        // a non-contiguous matrix against a broadcast row taken from a reversed vector
        check_noncontig(dt, &[(M, F), (&[4], REV)], -1.0, 1.0, |i| {
            &i[0] * &i[1].dimshuffle(&[None, Some(0)]).unwrap()
        });
    }
    noncontig_dot => |dt| {
        for l in [F, REV, STR] {
            check_noncontig(dt, &[(M, l), (&[4], l)], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
            check_noncontig(dt, &[(M, l), (&[4, 2], None)], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
            check_noncontig(dt, &[(M, None), (&[4, 2], l)], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
            check_noncontig(dt, &[(&[3], l), (M, l)], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
        }
    }
    noncontig_sum => |dt| {
        for l in [F, REV, STR] {
            check_noncontig(dt, &[(&[2, 3, 4], l)], -1.0, 1.0, |i| T::sqr(T::sum_axes(&i[0], Some(&[0, 2]), false).unwrap()));
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::sqr(T::sum_axes(&i[0], Some(&[1]), true).unwrap()));
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::sqr(T::sum_axes(&i[0], Some(&[0]), false).unwrap()));
            check_noncontig(dt, &[(M, l)], 0.5, 1.5, |i| T::prod_axes(&i[0], Some(&[1]), false).unwrap());
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::max(&i[0], Some(&[0]), false).unwrap());
        }
    }
    noncontig_softmax => |dt| {
        for l in [F, REV, STR] {
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::log_softmax(&i[0]).unwrap());
            check_noncontig(dt, &[(&[4], l)], -1.0, 1.0, |i| T::softmax(&i[0]).unwrap());
        }
    }
    noncontig_subtensor => |dt| {
        for l in [F, REV, STR] {
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::exp(i[0].at(1i64).unwrap()));
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| {
                T::exp(i[0].get(&[Idx::all(), Idx::range(1i64, 3i64)]).unwrap())
            });
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::exp(i[0].get(&[Idx::step(-1i64)]).unwrap()));
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::exp(i[0].at(ivec(&[0, 2, 0, 1])).unwrap()));
            check_noncontig(dt, &[(M, l), (&[4], l)], -1.0, 1.0, |i| {
                T::sqr(T::inc_subtensor(&i[0].at(1i64).unwrap(), &i[1]).unwrap())
            });
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::exp(i[0].reshape([2i64, 6]).unwrap()));
            check_noncontig(dt, &[(M, l)], -1.0, 1.0, |i| T::exp(i[0].t()));
        }
    }
}

// The fused crossentropy ops (Theano's CrossentropySoftmaxArgmax1HotWithBias and its Dx).
numeric! {
    crossentropy_op => |dt| {
        let y = || ivec(&[0, 3, 1]);
        // the nll wrt x and b (through CrossentropySoftmax1HotWithBiasDx)
        check(dt, &[MAT, VEC], -3.0, 3.0, |i| {
            T::crossentropy_softmax_argmax_1hot_with_bias(&i[0], &i[1], y()).unwrap().0
        });
        // the softmax output wrt x and b
        check(dt, &[MAT, VEC], -3.0, 3.0, |i| {
            T::crossentropy_softmax_argmax_1hot_with_bias(&i[0], &i[1], y()).unwrap().1
        });
        // both outputs at once, and the argmax (no gradient) used alongside
        check(dt, &[MAT, VEC], -3.0, 3.0, |i| {
            let (nll, sm, am) =
                T::crossentropy_softmax_argmax_1hot_with_bias(&i[0], &i[1], y()).unwrap();
            let s = T::sum_axes(T::sqr(&sm), Some(&[1]), false).unwrap();
            &nll * 2.0 + s + am.astype(dt)
        });
        // a broadcastable (length-1) bias
        check(dt, &[MAT, (&[1], &[true])], -3.0, 3.0, |i| {
            T::crossentropy_softmax_argmax_1hot_with_bias(&i[0], &i[1], y()).unwrap().0
        });
        // the zero-bias form
        check(dt, &[MAT], -3.0, 3.0, |i| T::crossentropy_softmax_1hot(&i[0], y()).unwrap().0);
    }
    crossentropy_dx_op => |dt| {
        // linear in dnll and in sm (sm need not be normalized for the check)
        check(dt, &[(&[3], &[]), MAT], 0.1, 1.0, |i| {
            T::crossentropy_softmax_1hot_with_bias_dx(&i[0], &i[1], ivec(&[2, 0, 3])).unwrap()
        });
        check(dt, &[(&[1], &[true]), MAT], 0.1, 1.0, |i| {
            T::crossentropy_softmax_1hot_with_bias_dx(&i[0], &i[1], ivec(&[2, 0, 3])).unwrap()
        });
    }
    categorical_crossentropy => |dt| {
        // -log(softmax(x + b)[arange(n), y]): the optimizer rewrites the cost and its gradient
        check(dt, &[MAT, VEC], -3.0, 3.0, |i| {
            let p = T::softmax(&(&i[0] + &i[1])).unwrap();
            T::categorical_crossentropy(&p, ivec(&[1, 1, 3])).unwrap()
        });
        // a distribution as the target
        check(dt, &[MAT, MAT], 0.1, 1.0, |i| {
            T::categorical_crossentropy(T::softmax(&i[0]).unwrap(), &i[1]).unwrap()
        });
        // CrossentropyCategorical1Hot of probabilities (kept by the optimizer; its gradient
        // is CrossentropyCategorical1HotGrad), and of SoftmaxWithBias (the fused op)
        check(dt, &[MAT], 0.1, 1.0, |i| {
            T::categorical_crossentropy(&i[0], ivec(&[1, 1, 3])).unwrap()
        });
        check(dt, &[MAT, VEC], -3.0, 3.0, |i| {
            let p = T::softmax_with_bias(&i[0], &i[1]).unwrap();
            T::categorical_crossentropy(&p, ivec(&[2, 0, 3])).unwrap()
        });
    }
    categorical_crossentropy_grad_op => |dt| {
        // -g[i] / p[i, t[i]] at the labels: a gradient with respect to g and p
        check(dt, &[(&[3], &[]), MAT], 0.5, 1.5, |i| {
            T::crossentropy_categorical_1hot_grad(&i[0], &i[1], ivec(&[2, 0, 3])).unwrap()
        });
        check(dt, &[(&[1], &[true]), MAT], 0.5, 1.5, |i| {
            T::crossentropy_categorical_1hot_grad(&i[0], &i[1], ivec(&[2, 0, 3])).unwrap()
        });
    }
}

// sigmoid_binary_crossentropy's gradient op (Theano's grad override, an OpFromGraph of two
// outputs): its own gradient, so second derivatives, and a non-constant output gradient.
numeric! {
    sigmoid_binary_crossentropy_grad_op => |dt| {
        check(dt, &[VEC, VEC], -3.0, 3.0, |i| {
            let out = T::sigmoid_binary_crossentropy(&i[0], &i[1]).unwrap();
            let g = theano_grad::grad(&out.sum(), &[i[0].clone(), i[1].clone()]).unwrap();
            &g[0] * 2.0 + &g[1] * &g[0]
        });
        check(dt, &[VEC, VEC, VEC], -3.0, 3.0, |i| {
            let out = T::sigmoid_binary_crossentropy(&i[0], &i[1]).unwrap();
            let g = theano_grad::grad(&(out * &i[2]).sum(), &[i[0].clone(), i[1].clone()])
                .unwrap();
            &g[0] + &g[1]
        });
    }
}

/// Theano 1.0.5's sigmoid_binary_crossentropy: the values of `binary_crossentropy(sigmoid(x),
/// t)` where that is accurate, finite where it overflows, and Theano's gradient
/// `sigmoid(x) - t` (also at `x == 0`, where its inner graph's own gradient is `-t`).
#[test]
fn sigmoid_binary_crossentropy_values_and_gradient() {
    let (x, t) = (T::dvector("x"), T::dvector("t"));
    let ins = [x.clone(), t.clone()];
    let xs = Tensor::from(vec![-3.0, -0.5, 0.0, 0.0, 0.7, 2.0, 800.0, -800.0]);
    let ts = Tensor::from(vec![0.0, 1.0, 0.3, 1.0, 0.5, 1.0, 0.25, 0.75]);
    let sbce = T::sigmoid_binary_crossentropy(&x, &t).unwrap();
    let got = eval(&ins, &sbce, &[xs.clone(), ts.clone()])
        .unwrap()
        .to_f64_vec();
    let bce = T::binary_crossentropy(T::sigmoid(&x), &t);
    let want = eval(&ins, &bce, &[xs.clone(), ts.clone()])
        .unwrap()
        .to_f64_vec();
    for i in 0..6 {
        assert!(
            (got[i] - want[i]).abs() <= 1e-12 * want[i].abs(),
            "{i}: {got:?} {want:?}"
        );
    }
    // |x| = 800: sigmoid saturates, the stable form does not
    assert_eq!(got[6], 800.0 * 0.75);
    assert_eq!(got[7], 800.0 * 0.75);
    let g = theano_grad::grad(&sbce.sum(), &[x.clone(), t.clone()]).unwrap();
    let gx = eval(&ins, &g[0], &[xs.clone(), ts.clone()])
        .unwrap()
        .to_f64_vec();
    let gt = eval(&ins, &g[1], &[xs.clone(), ts.clone()])
        .unwrap()
        .to_f64_vec();
    let (xv, tv) = (xs.to_f64_vec(), ts.to_f64_vec());
    for i in 0..8 {
        let s = 1.0 / (1.0 + (-xv[i]).exp());
        assert!(
            (gx[i] - (s - tv[i])).abs() < 1e-15,
            "d/dx at {}: {}",
            xv[i],
            gx[i]
        );
        assert_eq!(gt[i], -xv[i]);
    }
    // bool targets are refused, as in Theano
    let b = T::input(TensorType::new(DType::Bool, &[false]).unwrap(), "b");
    let e = T::sigmoid_binary_crossentropy(&x, &b).unwrap_err();
    assert!(e.to_string().contains("boolean subtract"), "{e}");
}

/// As in Theano 1.0: tri_gamma's gradient is undefined (an error only where it is needed,
/// in grad and in the R-op), ultra_fast_sigmoid has none.
#[test]
fn catalogue_missing_gradients_are_errors() {
    let x = T::dvector("x");
    let e = theano_grad::grad(&T::tri_gamma(&x).sum(), std::slice::from_ref(&x)).unwrap_err();
    assert!(e.to_string().contains("tri_gamma"), "{e}");
    let v = T::dvector("v");
    let e = theano_grad::rop(&[T::tri_gamma(&x)], std::slice::from_ref(&x), &[v]).unwrap_err();
    assert!(e.to_string().contains("tri_gamma"), "{e}");
    let e =
        theano_grad::grad(&T::ultra_fast_sigmoid(&x).sum(), std::slice::from_ref(&x)).unwrap_err();
    assert!(e.to_string().contains("ultra_fast_sigmoid"), "{e}");
    // psi's gradient (tri_gamma) itself is fine
    assert!(theano_grad::grad(&T::psi(&x).sum(), std::slice::from_ref(&x)).is_ok());
}

// Theano 1.0's matrix constructions and generalized products
const T3: Spec = (&[2, 3, 4], &[]);
const SQ: Spec = (&[3, 3], &[]);

fn alloc_diag(x: &Variable, offset: i64, axis1: usize, axis2: usize) -> Variable {
    T::apply_op(
        theano_ir::Op::AllocDiag {
            offset,
            axis1,
            axis2,
        },
        vec![x.clone()],
    )
    .unwrap()
    .remove(0)
}

numeric! {
    batched_dot => |dt| {
        check(dt, &[T3, (&[2, 4, 2], &[])], -1.0, 1.0, |i| T::batched_dot(&i[0], &i[1]).unwrap());
        check(dt, &[MAT, MAT], -1.0, 1.0, |i| T::batched_dot(&i[0], &i[1]).unwrap());
        check(dt, &[T3, (&[2, 4], &[])], -1.0, 1.0, |i| T::batched_dot(&i[0], &i[1]).unwrap());
        check(dt, &[(&[2, 3], &[]), T3], -1.0, 1.0, |i| T::batched_dot(&i[0], &i[1]).unwrap());
        check(dt, &[(&[3], &[]), MAT], -1.0, 1.0, |i| T::batched_dot(&i[0], &i[1]).unwrap());
        // a broadcastable batch dimension
        check(dt, &[((&[1, 3, 4]), &[true, false, false]), ((&[1, 4, 2]), &[true, false, false])],
              -1.0, 1.0, |i| T::batched_dot(&i[0], &i[1]).unwrap());
    }
    tensordot => |dt| {
        check(dt, &[MAT, (&[4, 2], &[])], -1.0, 1.0, |i| T::tensordot(&i[0], &i[1], 1).unwrap());
        check(dt, &[T3, (&[3, 4], &[])], -1.0, 1.0, |i| T::tensordot(&i[0], &i[1], 2).unwrap());
        check(dt, &[T3, (&[4, 2], &[])], -1.0, 1.0, |i| {
            T::tensordot(&i[0], &i[1], [[0, -1], [1, 0]]).unwrap()
        });
        check(dt, &[VEC, (&[2], &[])], -1.0, 1.0, |i| T::tensordot(&i[0], &i[1], 0).unwrap());
        check(dt, &[T3, (&[4, 2], &[])], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
        check(dt, &[(&[2, 3], &[]), T3], -1.0, 1.0, |i| T::dot(&i[0], &i[1]).unwrap());
    }
    diag_and_trace => |dt| {
        check(dt, &[VEC], -1.0, 1.0, |i| T::diag(&i[0], 0).unwrap());
        check(dt, &[VEC], -1.0, 1.0, |i| T::diag(&i[0], -2).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| T::diag(&i[0], 0).unwrap());
        check(dt, &[SQ], -1.0, 1.0, |i| T::diagonal(&i[0], -1, 0, 1).unwrap());
        check(dt, &[SQ], -1.0, 1.0, |i| T::diagonal(&i[0], 2, -2, -1).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| T::trace(&i[0]).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| alloc_diag(&i[0], 1, 0, 2));
        check(dt, &[MAT], -1.0, 1.0, |i| alloc_diag(&i[0], -1, 2, 0));
    }
    tril_triu => |dt| {
        check(dt, &[MAT], -1.0, 1.0, |i| T::tril(&i[0], 0).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| T::triu(&i[0], -1).unwrap());
        check(dt, &[MAT], -1.0, 1.0, |i| &T::identity_like(&i[0]).unwrap() * &i[0]);
    }
    softmax_with_bias => |dt| {
        check(dt, &[MAT, VEC], -2.0, 2.0, |i| T::softmax_with_bias(&i[0], &i[1]).unwrap());
        check(dt, &[MAT, VEC], -2.0, 2.0, |i| {
            T::log(T::softmax_with_bias(&i[0], &i[1]).unwrap())
        });
    }
}

/// Where Theano 1.0.5 has no gradient: ExtractDiag of more than 2 dimensions
/// (grad_not_implemented); identity_like's input reaches the output only through its shape
/// (disconnected).
#[test]
fn matrix_ops_missing_gradients_are_errors() {
    let x = T::dtensor3("x");
    let e = theano_grad::grad(&T::sum(T::diagonal(&x, 0, 1, 2).unwrap()), &[x])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ExtractDiag") && e.contains("3 dimensions"),
        "{e}"
    );
    let m = T::dmatrix("m");
    let e = theano_grad::grad(&T::sum(T::identity_like(&m).unwrap()), &[m])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not part of the computational graph of the cost"),
        "{e}"
    );
    // the gradient of an integer input is zero, as Theano's (Eye's undefined gradient does not
    // reach it: integer inputs take no gradient)
    let n = T::lscalar("n");
    let c = T::sum(T::eye(&n, None, 0, None).unwrap());
    let g = theano_grad::grad(&c, std::slice::from_ref(&n))
        .unwrap()
        .remove(0);
    let z = eval(&[n], &g, &[Tensor::scalar(3i64)]).unwrap();
    assert_eq!(z.to_f64_vec(), vec![0.0]);
}
