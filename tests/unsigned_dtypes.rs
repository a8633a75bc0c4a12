//! uint16, uint32 and uint64 (Theano's unsigned dtypes beside uint8) and `sum`/`prod` with
//! Theano's `dtype=`: types, printing, values on the interpreter, the JIT (as native kernels,
//! not interpreter fallbacks) and the emulated GPU runtime, and the errors.

use theano::ir::fgraph::FunctionGraph;
use theano::tensor as T;
use theano::{compile, DType, Mode, Tensor, Variable};
use theano_cuda::emulated::EmuLinker;

fn uvec(d: DType, v: &[u64]) -> Tensor {
    Tensor::from(v.to_vec()).cast(d)
}

/// The function on the interpreter, the JIT and the emulated GPU runtime: the three agree
/// exactly; on the JIT every node ran as generated code.
fn run3(ins: &[&Variable], out: &Variable, args: &[Tensor]) -> Tensor {
    let interp = compile(ins, out)
        .mode(Mode::parse_flags("linker=interp").unwrap())
        .build()
        .unwrap();
    let jit = compile(ins, out)
        .mode(Mode::parse_flags("linker=jit,profile=True").unwrap())
        .build()
        .unwrap();
    let gpu = compile(ins, out)
        .linker(Box::new(EmuLinker::default()))
        .build()
        .unwrap();
    let want = interp.call(args).unwrap().remove(0);
    let got = jit.call(args).unwrap().remove(0);
    assert_eq!(got, want, "jit vs interpreter for {out}");
    let g = gpu.call(args).unwrap().remove(0);
    assert_eq!(g, want, "emulated GPU vs interpreter for {out}");
    for n in jit.profile().unwrap().nodes {
        assert_eq!(n.interp_calls, 0, "{} fell back to the interpreter", n.node);
    }
    want
}

#[test]
fn names_parse_and_promote_as_numpy() {
    for d in [DType::UInt16, DType::UInt32, DType::UInt64] {
        assert_eq!(DType::from_name(d.name()), Some(d));
        let x = T::tensor(d.name(), &[false], "x").unwrap();
        assert_eq!(x.dtype(), d);
        assert_eq!(
            x.ty().to_string(),
            format!("TensorType({}, vector)", d.name())
        );
    }
    let (a, b) = (T::tensor("uint64", &[false], "a").unwrap(), T::lvector("b"));
    assert_eq!((&a + &b).dtype(), DType::Float64);
    let c = T::tensor("uint32", &[false], "c").unwrap();
    assert_eq!((&c + &T::ivector("i")).dtype(), DType::Int64);
    assert_eq!((&c + &a).dtype(), DType::UInt64);
    // Theano's upgrade_to_float: 16-bit ints go to float32, wider ones to float64
    let h = T::tensor("uint16", &[false], "h").unwrap();
    assert_eq!(T::exp(&h).dtype(), DType::Float32);
    assert_eq!(T::exp(&c).dtype(), DType::Float64);
    // bitwise ops have no float64 form
    assert!(T::elemwise(theano::ir::ScalarOp::And, vec![a.clone(), b.clone()]).is_err());
}

#[test]
fn elementwise_wraps_on_every_backend() {
    let x = T::tensor("uint32", &[false], "x").unwrap();
    let y = T::tensor("uint32", &[false], "y").unwrap();
    let out = T::maximum(&x * &y, &x + &y) - &y;
    let got = run3(
        &[&x, &y],
        &out,
        &[
            uvec(DType::UInt32, &[4294967295, 65536, 3]),
            uvec(DType::UInt32, &[2, 65536, 5]),
        ],
    );
    // numpy: max(x*y, x+y) - y, wrapping in uint32
    assert_eq!(got, uvec(DType::UInt32, &[4294967292, 65536, 10]));
    // a Rust integer operand is an int8 constant: uint32 + int8 is int64, as numpy's
    let z = &x + 7u8;
    assert_eq!(z.dtype(), DType::Int64);
    let got = run3(&[&x], &z, &[uvec(DType::UInt32, &[4294967295])]);
    assert_eq!(got, Tensor::from(vec![4294967302i64]));

    let big = T::tensor("uint64", &[false], "big").unwrap();
    let out = T::gt(&big, T::constant(9223372036854775808u64));
    let got = run3(
        &[&big],
        &out,
        &[uvec(DType::UInt64, &[u64::MAX, 1, 1 << 63])],
    );
    assert_eq!(got, Tensor::from(vec![true, false, false]));

    let h = T::tensor("uint16", &[false], "h").unwrap();
    let out = T::cast(-&h, DType::Float64);
    let got = run3(&[&h], &out, &[uvec(DType::UInt16, &[0, 1, 65535])]);
    assert_eq!(got, Tensor::from(vec![0.0, 65535.0, 1.0]));

    let f = T::dvector("f");
    let out = T::cast(&f, DType::UInt64);
    let got = run3(&[&f], &out, &[Tensor::from(vec![1e19, 3.7, 0.0])]);
    assert_eq!(got, Tensor::from(vec![10_000_000_000_000_000_000u64, 3, 0]));
}

#[test]
fn reductions_accumulate_in_uint64_as_theano() {
    let x = T::tensor("uint8", &[false, false], "x").unwrap();
    let s = T::sum(&x);
    assert_eq!(s.dtype(), DType::UInt64);
    assert_eq!(theano::pp(&s), "Sum{acc_dtype=uint64}(x)");
    let p = T::prod_axes(&x, Some(&[-1]), false).unwrap();
    assert_eq!(
        theano::pp(&p),
        "Prod{axis=(1,), dtype='uint64', acc_dtype='uint64'}(x)"
    );
    let v = Tensor::from_shape_vec(&[2, 3], vec![200u8, 200, 200, 255, 2, 1]).unwrap();
    assert_eq!(
        run3(&[&x], &s, std::slice::from_ref(&v)),
        Tensor::scalar(858u64)
    );
    assert_eq!(run3(&[&x], &p, &[v]), Tensor::from(vec![8_000_000u64, 510]));

    let w = T::tensor("uint64", &[false], "w").unwrap();
    let m = T::max(&w, None, false).unwrap();
    let args = [uvec(DType::UInt64, &[5, u64::MAX, 1 << 63])];
    assert_eq!(run3(&[&w], &m, &args), Tensor::scalar(u64::MAX));
    let m = T::min(&w, None, false).unwrap();
    assert_eq!(run3(&[&w], &m, &args), Tensor::scalar(5u64));
    let s = T::sum(&w);
    assert_eq!(run3(&[&w], &s, &args), Tensor::scalar(4u64 + (1 << 63)));
}

#[test]
fn sum_and_prod_take_theanos_dtype() {
    let x = T::bvector("x");
    let s = T::sum_dtype(&x, None, false, "int8").unwrap();
    assert_eq!(s.dtype(), DType::Int8);
    // Theano prints the accumulator; the output type is the dtype asked for
    assert_eq!(theano::pp(&s), "Sum{acc_dtype=int64}(x)");
    let v = Tensor::from(vec![100i8, 100, -5]);
    assert_eq!(run_interp(&x, &s, &v), Tensor::scalar(-61i8));
    let p = T::prod_dtype(&x, Some(&[0]), true, DType::Float32).unwrap();
    assert_eq!(p.dtype(), DType::Float32);
    assert!(
        theano::pp(&p).contains("Prod{axis=(0,), dtype='float32', acc_dtype='int64'}(x)"),
        "{}",
        theano::pp(&p)
    );
    assert_eq!(run_interp(&x, &p, &v), Tensor::from(vec![-50000.0f32]));
    // a float64 sum asked for float32 accumulates in float64 and rounds once
    let d = T::dvector("d");
    let s32 = T::sum_dtype(&d, None, false, "float32").unwrap();
    let args = Tensor::from(vec![1e8, 1.0, -1e8, 0.5]);
    assert_eq!(run_interp(&d, &s32, &args), Tensor::scalar(1.5f32));
    // the same values on the JIT (which runs such a sum in the interpreter) and the GPU model
    let one = std::slice::from_ref(&args);
    let jit = compile(&[&d], &s32).build().unwrap();
    assert_eq!(jit.call(one).unwrap()[0], Tensor::scalar(1.5f32));
    let gpu = compile(&[&d], &s32)
        .linker(Box::new(EmuLinker::default()))
        .build()
        .unwrap();
    assert_eq!(gpu.call(one).unwrap()[0], Tensor::scalar(1.5f32));
    // the IR text keeps the dtype
    let fg = FunctionGraph::from_outputs(std::slice::from_ref(&d), &[s32]).unwrap();
    let text = fg.to_text();
    assert!(text.contains("Sum{dtype=float32}"), "{text}");
    let back = FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
}

#[test]
fn bad_dtypes_are_refused_with_a_typed_error() {
    let x = T::dvector("x");
    let e = T::sum_dtype(&x, None, false, "float128").unwrap_err();
    assert!(e.to_string().contains("unknown dtype"), "{e}");
    let e = T::prod_dtype(&x, Some(&[3]), false, "int8").unwrap_err();
    assert!(e.to_string().contains("axis 3"), "{e}");
    // max, min, all and any take no dtype
    let op = theano::ir::Op::Reduce {
        kind: theano::ir::ReduceKind::Max,
        axes: None,
        dtype: Some(DType::Int8),
    };
    let e = T::apply_op(op, vec![x]).unwrap_err();
    assert!(e.to_string().contains("takes no dtype"), "{e}");
    let e = FunctionGraph::parse("function(%0: float64[?] \"x\") {\n  %1: float64[] = Sum{dtype=float7}(%0)\n  return %1\n}\n")
        .unwrap_err();
    assert!(e.to_string().contains("unknown dtype `float7`"), "{e}");
}

fn run_interp(x: &Variable, out: &Variable, v: &Tensor) -> Tensor {
    compile(&[x], out)
        .mode(Mode::parse_flags("linker=interp").unwrap())
        .build()
        .unwrap()
        .call(std::slice::from_ref(v))
        .unwrap()
        .remove(0)
}
