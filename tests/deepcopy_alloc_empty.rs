//! `DeepCopyOp`, which the compiler puts on outputs that alias an input, a constant or another
//! output (Theano's `insert_deepcopy`), and `AllocEmpty`, the uninitialized `y` of the BLAS
//! products whose beta is 0: the graphs, their values on both linkers, the JIT's lowering
//! (one copy, by a kernel), the interpreter's values and errors, shapes and gradients.

use theano::ir::{ApplyRef, Op};
use theano::tensor as T;
use theano::{compile, grad, pp, shared_named, DType, Mode, Tensor, Variable};

fn mode(flags: &str) -> Mode {
    Mode::parse_flags(flags).unwrap()
}

fn opt_pp(ins: &[&Variable], outs: &[Variable]) -> Vec<String> {
    let f = compile(ins, outs).build().unwrap();
    f.fgraph_outputs().unwrap().iter().map(pp).collect()
}

fn m23() -> Tensor {
    Tensor::from_shape_vec(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap()
}

#[test]
fn outputs_aliasing_inputs_or_constants_are_copied() {
    let x = T::dmatrix("x");
    let t = x.t();
    assert_eq!(opt_pp(&[&x], std::slice::from_ref(&t)), ["DeepCopyOp(x.T)"]);
    assert_eq!(opt_pp(&[&x], std::slice::from_ref(&x)), ["DeepCopyOp(x)"]);
    // x * 1 is x
    assert_eq!(opt_pp(&[&x], &[&x * 1]), ["DeepCopyOp(x)"]);
    // a constant output, and a computed one (not copied)
    let c = T::constant(vec![1.0, 2.0]);
    assert_eq!(
        opt_pp(&[&x], &[c, T::exp(&x)]),
        ["DeepCopyOp(TensorConstant{[1. 2.]})", "exp(x)"]
    );
    // [y, y.T]: y is copied (the later output views it), y.T stays a view of it
    let y = T::exp(&x);
    assert_eq!(
        opt_pp(&[&x], &[y.clone(), y.t()]),
        ["DeepCopyOp(exp(x))", "exp(x).T"]
    );
    // a shared variable the function does not update is copied, an updated one is not
    let s = shared_named(vec![1.0, 2.0], "s");
    let f = compile(&[], [&s]).build().unwrap();
    assert_eq!(pp(&f.fgraph_outputs().unwrap()[0]), "DeepCopyOp(s)");
    let f = compile(&[], [&s])
        .updates([(&s, &s * 2.0)])
        .build()
        .unwrap();
    assert_eq!(pp(&f.fgraph_outputs().unwrap()[0]), "s");
    for _ in 0..2 {
        // the output is the value before the update
        let before = s.get_value().unwrap();
        assert_eq!(f.call(&[]).unwrap()[0], before);
    }
    assert_eq!(s.get_value().unwrap().to_f64_vec(), [4.0, 8.0]);
}

#[test]
fn copies_have_the_values_on_both_linkers_and_the_jit_runs_one_kernel() {
    let x = T::dmatrix("x");
    let outs = [x.t(), x.at(1i64).unwrap(), x.clone()];
    for flags in ["linker=jit,profile=True", "linker=interp"] {
        let f = compile(&[&x], &outs[..]).mode(mode(flags)).build().unwrap();
        let r = f.call(&[m23()]).unwrap();
        assert_eq!(r[0].shape(), [3, 2]);
        assert_eq!(r[0].to_f64_vec(), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(r[1].to_f64_vec(), [4.0, 5.0, 6.0]);
        assert_eq!(r[2], m23());
        if let Some(p) = f.profile() {
            // on the JIT, each copy is one kernel reading its input's view
            let copy = p
                .by_op_type()
                .into_iter()
                .find(|o| o.op_type == "DeepCopyOp")
                .expect("DeepCopyOp in the profile");
            assert_eq!(copy.applies, 3, "{p}");
            assert_eq!(copy.linker, "jit kernel", "{p}");
        }
    }
    // every dtype, bool included (the interpreter where the JIT has no identity kernel)
    for d in [DType::Bool, DType::Int8, DType::UInt8, DType::Float32] {
        let v = T::tensor(d.name(), &[false], "v").unwrap();
        let f = compile(&[&v], &v).build().unwrap();
        let t = Tensor::full(d, &[3], 1.0);
        assert_eq!(f.call(std::slice::from_ref(&t)).unwrap()[0], t);
    }
}

#[test]
fn deep_copy_op_values_errors_shapes_and_gradient() {
    let x = T::dvector("x");
    let c = ApplyRef::create(
        Op::DeepCopy,
        vec![x.clone()],
        std::panic::Location::caller(),
    )
    .unwrap()
    .output(0);
    assert_eq!(c.ty(), x.ty());
    assert_eq!(pp(&c), "DeepCopyOp(x)");
    // two inputs are refused when built
    assert!(ApplyRef::create(
        Op::DeepCopy,
        vec![x.clone(), x.clone()],
        std::panic::Location::caller()
    )
    .is_err());
    // the interpreter copies; two inputs are an error, not a panic
    let v = Tensor::from(vec![1.0, -2.0]);
    let out = theano_interp::perform(&Op::DeepCopy, &[&v], &[x.ty()]).unwrap();
    assert_eq!(out[0], v);
    assert!(theano_interp::perform(&Op::DeepCopy, &[&v, &v], &[x.ty()]).is_err());
    // the gradient passes through
    let g = grad(&T::sum(&(&c * 3.0)), std::slice::from_ref(&x)).unwrap();
    let f = compile(&[&x], g).build().unwrap();
    assert_eq!(
        f.call(std::slice::from_ref(&v)).unwrap()[0].to_f64_vec(),
        [3.0, 3.0]
    );
    // its shape is its input's: Shape_i of the copy lifts to x
    let f = compile(&[&x], c.shape_i(0).unwrap()).build().unwrap();
    assert_eq!(pp(&f.fgraph_outputs().unwrap()[0]), "Shape_i{0}(x)");
}

#[test]
fn alloc_empty_values_errors_and_shapes() {
    let (n, m) = (T::lscalar("n"), T::iscalar("m"));
    let op = Op::AllocEmpty {
        dtype: DType::Float32,
    };
    let e = ApplyRef::create(
        op.clone(),
        vec![n.clone(), m.clone()],
        std::panic::Location::caller(),
    )
    .unwrap()
    .output(0);
    assert_eq!(e.ty().to_string(), "TensorType(float32, matrix)");
    assert_eq!(pp(&e), "AllocEmpty{dtype='float32'}(n, m)");
    // a constant 1 makes the dimension broadcastable, as Alloc's
    let one = ApplyRef::create(
        op.clone(),
        vec![T::constant(1i64), n.clone()],
        std::panic::Location::caller(),
    )
    .unwrap()
    .output(0);
    assert_eq!(one.ty().broadcastable(), [true, false]);
    // a float shape entry is refused when built
    assert!(ApplyRef::create(
        op.clone(),
        vec![T::dscalar("f")],
        std::panic::Location::caller()
    )
    .is_err());
    // its values are unspecified; both linkers give the shape (and, today, zeros)
    for flags in ["linker=jit", "linker=interp"] {
        let f = compile(&[&n, &m], &e).mode(mode(flags)).build().unwrap();
        let r = f.call(&[Tensor::from(2i64), Tensor::from(3i32)]).unwrap();
        assert_eq!(r[0].shape(), [2, 3]);
        assert_eq!(r[0].dtype(), DType::Float32);
        // a negative length is an error naming it, not a panic
        let err = f
            .call(&[Tensor::from(-1i64), Tensor::from(3i32)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("negative"), "{flags}: {err}");
    }
    // shape inference: Shape_i of it is the shape input
    let f = compile(&[&n, &m], e.shape_i(1).unwrap()).build().unwrap();
    assert_eq!(pp(&f.fgraph_outputs().unwrap()[0]), "int64(m)");
}

/// `dot` with beta = 0 never reads the uninitialized `y`: NaN in a reused buffer does not
/// show in the result (the runtime reuses the AllocEmpty's buffer between calls).
#[test]
fn products_on_alloc_empty_ignore_its_values() {
    let (a, x) = (T::dmatrix("a"), T::dvector("x"));
    let out = T::dot(&a, &x).unwrap();
    let y = T::dvector("y");
    for flags in ["linker=jit", "linker=interp"] {
        let f = compile(&[&a, &x], &out).mode(mode(flags)).build().unwrap();
        let g = compile(&[&x, &y], T::dot(&x, &y).unwrap())
            .mode(mode(flags))
            .build()
            .unwrap();
        for _ in 0..3 {
            let r = f
                .call(&[m23(), Tensor::from(vec![1.0, 0.0, -1.0])])
                .unwrap();
            assert_eq!(r[0].to_f64_vec(), [-2.0, -2.0]);
            let r = g
                .call(&[
                    Tensor::from(vec![1.0, 2.0]),
                    Tensor::from(vec![3.0, f64::INFINITY]),
                ])
                .unwrap();
            assert_eq!(r[0].to_f64_vec(), [f64::INFINITY]);
            let r = g
                .call(&[Tensor::from(vec![1.0, 2.0]), Tensor::from(vec![3.0, 4.0])])
                .unwrap();
            assert_eq!(r[0].to_f64_vec(), [11.0]);
        }
    }
}
