//! Elementwise fusion: chains and trees become one `Elemwise{Composite{...}}`, a value with
//! two readers is not duplicated, broadcast inputs fuse, kernels respect the input cap, and
//! fused results equal unfused ones bit for bit in the interpreter.

use expect_test::{expect, Expect};
use theano::tensor as T;
use theano::{compile, function, Mode, Tensor, Variable};
use theano_ir::fgraph::{structurally_equal, tensors_bit_equal, FunctionGraph};
use theano_ir::printing::{debugprint, pp};
use theano_ir::{DType, Op, ScalarOp};
use theano_opt::{optimize, Config, MAX_FUSED_INPUTS};

fn optimized(inputs: &[&Variable], outputs: &[Variable]) -> FunctionGraph {
    let ins: Vec<Variable> = inputs.iter().map(|v| (*v).clone()).collect();
    let mut fg = FunctionGraph::from_outputs(&ins, outputs).unwrap();
    let report = optimize(&mut fg, &Config::default()).unwrap();
    assert!(report.count("elemwise_fusion") > 0 || fg.num_alive_nodes() <= 1);
    fg
}

fn check(fg: &FunctionGraph, expect: Expect) {
    expect.assert_eq(&debugprint(&fg.to_variables().unwrap()));
}

fn composites(fg: &FunctionGraph) -> Vec<String> {
    fg.toposort()
        .into_iter()
        .filter(|&n| {
            matches!(
                fg.op(n),
                Op::Elemwise {
                    scalar: ScalarOp::Composite(_),
                    ..
                }
            )
        })
        .map(|n| fg.op(n).to_string())
        .collect()
}

/// Deterministic pseudo-random numbers in [-2, 2) (splitmix64).
fn rnd(seed: &mut u64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
        })
        .collect()
}

fn data(seed: &mut u64, dtype: DType, shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    let mut v = rnd(seed, n);
    if !dtype.is_float() {
        v.iter_mut().for_each(|x| *x = (*x * 3.0).round());
    }
    Tensor::from_shape_vec(shape, v).unwrap().cast(dtype)
}

/// Compile `outputs` with and without fusion and compare on random data, bit for bit; the
/// fused function must contain a composite.
fn same_results(inputs: &[&Variable], outputs: &[Variable], shapes: &[&[usize]]) {
    let fused = function(inputs, outputs.to_vec()).unwrap();
    let plain = compile(inputs, outputs.to_vec())
        .mode(Mode::parse_flags("optimizer_excluding=elemwise_fusion").unwrap())
        .build()
        .unwrap();
    assert!(
        !composites(fused.fgraph()).is_empty(),
        "{}",
        fused.fgraph().to_text()
    );
    assert!(composites(plain.fgraph()).is_empty());
    let mut seed = 7;
    for _ in 0..3 {
        let args: Vec<Tensor> = inputs
            .iter()
            .zip(shapes)
            .map(|(v, s)| data(&mut seed, v.ty().dtype, s))
            .collect();
        let a = fused.call(&args).unwrap();
        let b = plain.call(&args).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!(tensors_bit_equal(x, y), "{x:?}\n!=\n{y:?}");
        }
    }
}

#[test]
fn a_chain_becomes_one_composite() {
    let (x, y, z) = (T::dmatrix("x"), T::dmatrix("y"), T::dmatrix("z"));
    let out = T::exp(&x) * &y + T::tanh(&z);
    let fg = optimized(&[&x, &y, &z], std::slice::from_ref(&out));
    check(
        &fg,
        expect![[r#"
            Elemwise{Composite{((exp(i0) * i1) + tanh(i2))}} [id A] ''   
             |x [id B]
             |y [id C]
             |z [id D]
        "#]],
    );
    assert_eq!(fg.num_alive_nodes(), 1);
    assert_eq!(
        pp(&fg.to_variables().unwrap()[0]),
        "Elemwise{Composite{((exp(i0) * i1) + tanh(i2))}}(x, y, z)"
    );
    same_results(&[&x, &y, &z], &[out], &[&[3, 4], &[3, 4], &[3, 4]]);
}

#[test]
fn excluding_the_pass_keeps_the_nodes() {
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let out = T::exp(&x) * &y;
    let mut fg = FunctionGraph::from_outputs(&[x, y], &[out]).unwrap();
    let cfg = Config {
        excluding: vec!["elemwise_fusion".into()],
        ..Config::default()
    };
    optimize(&mut fg, &cfg).unwrap();
    assert!(composites(&fg).is_empty());
    assert_eq!(fg.num_alive_nodes(), 2);
}

#[test]
fn a_value_with_two_readers_is_not_fused_into_both() {
    let (x, y, z) = (T::dvector("x"), T::dvector("y"), T::dvector("z"));
    // exp(x) is read by two kernels: it stays its own node
    let e = T::exp(&x);
    let a = T::tanh(&(&e * &y));
    let b = T::sqrt(&(&e * &z));
    let fg = optimized(&[&x, &y, &z], &[a.clone(), b.clone()]);
    check(
        &fg,
        expect![[r#"
            Elemwise{Composite{tanh((i0 * i1))}} [id A] ''   
             |Elemwise{exp,no_inplace} [id B] ''   
             | |x [id C]
             |y [id D]
            Elemwise{Composite{sqrt((i0 * i1))}} [id E] ''   
             |Elemwise{exp,no_inplace} [id B] ''   
             |z [id F]
        "#]],
    );
    same_results(&[&x, &y, &z], &[a, b], &[&[5], &[5], &[5]]);
}

#[test]
fn a_tree_with_a_shared_subexpression_computes_it_once() {
    let (x, y, z) = (T::dvector("x"), T::dvector("y"), T::dvector("z"));
    // both readers of exp(x) end up in one kernel, which then absorbs exp(x) once: the
    // composite is a DAG (printed as a tree, as Theano's pprint does)
    let e = T::exp(&x);
    let out = T::tanh(&(&e * &y)) - T::sqrt(&(&e * &z));
    let fg = optimized(&[&x, &y, &z], std::slice::from_ref(&out));
    check(
        &fg,
        expect![[r#"
            Elemwise{Composite{(tanh((exp(i0) * i1)) - sqrt((exp(i0) * i2)))}} [id A] ''   
             |x [id B]
             |y [id C]
             |z [id D]
        "#]],
    );
    let n = fg.toposort()[0];
    let Op::Elemwise {
        scalar: ScalarOp::Composite(c),
        ..
    } = fg.op(n)
    else {
        panic!("not fused")
    };
    let exps = c.instrs().iter().filter(|i| i.op == ScalarOp::Exp).count();
    assert_eq!((c.instrs().len(), exps), (6, 1));
    same_results(&[&x, &y, &z], &[out], &[&[5], &[5], &[5]]);
}

#[test]
fn a_graph_output_read_by_another_node_is_not_absorbed() {
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let a = T::exp(T::neg(&x).unwrap());
    let b = T::tanh(&(&a * &y)) + 1.0;
    let fg = optimized(&[&x, &y], &[a.clone(), b.clone()]);
    check(
        &fg,
        expect![[r#"
            Elemwise{Composite{exp((-i0))}} [id A] ''   
             |x [id B]
            Elemwise{Composite{(i0 + tanh((i1 * i2)))}} [id C] ''   
             |TensorConstant{(1,) of 1.0} [id D]
             |Elemwise{Composite{exp((-i0))}} [id A] ''   
             |y [id E]
        "#]],
    );
    same_results(&[&x, &y], &[a, b], &[&[6], &[6]]);
}

#[test]
fn broadcast_producers_keep_their_own_loop() {
    let (r, m) = (T::drow("r"), T::dmatrix("m"));
    let s = T::dscalar("s");
    // exp(row) is a row: as in Theano, it is not fused into the matrix kernel (which would
    // recompute it for every row), but runs over the row and enters the kernel as an input;
    // the scalar enters through a DimShuffle
    let out = T::exp(&r) * &m + T::sqr(&(&m - &s));
    let fg = optimized(&[&r, &m, &s], std::slice::from_ref(&out));
    check(
        &fg,
        expect![[r#"
            Elemwise{Composite{((i0 * i1) + sqr((i1 - i2)))}} [id A] ''   
             |Elemwise{exp,no_inplace} [id B] ''   
             | |r [id C]
             |m [id D]
             |InplaceDimShuffle{x,x} [id E] ''   
               |s [id F]
        "#]],
    );
    same_results(&[&r, &m, &s], &[out], &[&[1, 4], &[3, 4], &[]]);
}

#[test]
fn kernels_respect_the_input_cap() {
    let xs: Vec<Variable> = (0..40).map(|i| T::dvector(&format!("x{i}"))).collect();
    let mut acc = T::exp(&xs[0]);
    for x in &xs[1..] {
        acc = T::tanh(&(&acc + x));
    }
    let refs: Vec<&Variable> = xs.iter().collect();
    let fg = optimized(&refs, std::slice::from_ref(&acc));
    let kernels = composites(&fg);
    assert_eq!(kernels.len(), 2, "{}", fg.to_text());
    for n in fg.toposort() {
        assert!(fg.node_inputs(n).len() <= MAX_FUSED_INPUTS, "{}", fg.op(n));
    }
    let shapes: Vec<&[usize]> = vec![&[3]; 40];
    same_results(&refs, &[acc], &shapes);
}

#[test]
fn mixed_dtypes_give_the_unfused_bits() {
    let x = T::fmatrix("x");
    let k = T::bmatrix("k");
    let three = T::try_constant(Tensor::full(DType::Int8, &[], 3.0)).unwrap();
    // int8 * int8 stays int8 (wrapping as numpy), exp(int8) is float32, then float32 math;
    // a true division of int8 by int8 goes to float64 and is cast back
    let out = (&k * &three) + &x * T::exp(&k) / 2.0;
    let q = T::cast(&(&k / &three), DType::Float32) * &x;
    same_results(&[&x, &k], &[out.clone(), q], &[&[4, 5], &[4, 5]]);
    let fg = optimized(&[&x, &k], std::slice::from_ref(&out));
    assert_eq!(fg.ty(fg.outputs()[0]), out.ty());
}

#[test]
fn fused_graphs_print_and_parse_back() {
    let (x, y, z) = (T::fmatrix("x"), T::fmatrix("y"), T::bmatrix("z"));
    let e = T::exp(&x);
    let three = T::try_constant(Tensor::full(DType::Int8, &[], 3.0)).unwrap();
    let out = T::switch(
        T::gt(&(&e * &y), 0.5),
        T::cast(T::int_div(&z, &three), DType::Float32),
        &(-(&e - &y)),
    );
    let fg = optimized(&[&x, &y, &z], std::slice::from_ref(&out));
    let text = fg.to_text();
    assert!(text.contains("Composite"), "{text}");
    let back = FunctionGraph::parse(&text).unwrap();
    assert!(structurally_equal(&fg, &back), "{text}\n{}", back.to_text());
    assert_eq!(back.to_text(), text);
}

/// A user-built composite is differentiated by writing its expression out (Theano's
/// `Composite.grad`): d/dx (x * exp(y)) = exp(y), d/dy = x * exp(y).
#[test]
fn a_composite_is_differentiated_through_its_expression() {
    let (x, y) = (T::dscalar("x"), T::dscalar("y"));
    let c = theano_ir::Composite::parse("Composite{(i0 * exp(i1))}").unwrap();
    let out = T::elemwise(ScalarOp::composite(c), vec![x.clone(), y.clone()]).unwrap();
    assert_eq!(
        out.owner().unwrap().op().name(),
        "Elemwise{Composite{(i0 * exp(i1))}}"
    );
    let g = theano::grad(&out, &[x.clone(), y.clone()]).unwrap();
    let f = theano::function(&[&x, &y], g).unwrap();
    let r = f
        .call(&[theano::Tensor::from(1.5), theano::Tensor::from(0.25)])
        .unwrap();
    let e = 0.25f64.exp();
    assert!((r[0].scalar_f64().unwrap() - e).abs() < 1e-12);
    assert!((r[1].scalar_f64().unwrap() - 1.5 * e).abs() < 1e-12);
}

#[test]
fn composite_op_names_parse_back() {
    use theano_ir::fgraph::parse_op;
    let c = theano_ir::Composite::parse("Composite{(i0 - (i1 * Cast{float32}(i2)))}").unwrap();
    for inplace in [None, Some(0), Some(2)] {
        let op = Op::Elemwise {
            scalar: ScalarOp::composite(c.clone()),
            inplace,
        };
        assert_eq!(parse_op(&op.to_string()).unwrap(), op, "{op}");
    }
    assert!(parse_op("Elemwise{Composite{(i0 - i1 - i2)}}").is_err());
}

/// A long chain fuses into flat composites of at most `MAX_FUSED_INSTRS` instructions each,
/// one instruction per node in all (each fusion step nests the previous composite, the end of
/// the phase flattens every level; the bound counts the flattened instructions), with the
/// verifier on and no deep recursion anywhere on the way.
#[test]
fn a_long_chain_fuses_into_bounded_flat_composites() {
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let n = 6000;
    let mut h = x.clone();
    for i in 0..n {
        h = match i % 3 {
            0 => T::tanh(&h),
            1 => &h * &y,
            _ => T::exp(&h),
        };
    }
    let mut fg = FunctionGraph::from_outputs(&[x, y], &[h]).unwrap();
    let cfg = Config {
        verify: true,
        ..Config::default()
    };
    optimize(&mut fg, &cfg).unwrap();
    let nodes = fg.toposort();
    let mut total = 0;
    for &node in &nodes {
        let Op::Elemwise {
            scalar: ScalarOp::Composite(c),
            ..
        } = fg.op(node)
        else {
            panic!("not a composite: {}", fg.op(node));
        };
        assert!(!c.is_nested());
        assert!(c.instrs().len() <= theano_opt::MAX_FUSED_INSTRS);
        total += c.instrs().len();
    }
    assert_eq!(total, n);
    // as few kernels as the bound allows
    assert_eq!(nodes.len(), n.div_ceil(theano_opt::MAX_FUSED_INSTRS));
}
