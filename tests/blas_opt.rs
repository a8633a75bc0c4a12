//! The specialize-phase BLAS rewrites and the in-place pass, end to end: each rewrite fires
//! (the optimized graph's op names), and the optimized function computes what the
//! unoptimized one does, in float64 and float32.

use theano::tensor as T;
use theano::{compile, debugprint, grad, shared_named, DType, Function, Mode, Tensor, Variable};

fn rand(seed: &mut u64, shape: &[usize], dtype: DType) -> Tensor {
    let n = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_shape_vec(shape, v).unwrap().cast(dtype)
}

fn build(ins: &[&Variable], out: &Variable, flags: &str) -> Function {
    compile(ins, out)
        .mode(Mode::parse_flags(flags).unwrap())
        .build()
        .unwrap()
}

fn op_names(f: &Function) -> Vec<String> {
    let fg = f.fgraph();
    fg.toposort().into_iter().map(|n| fg.op(n).name()).collect()
}

/// Compile `out` optimized and not, check the optimized graph has every op of `want` (and no
/// `dot`), run both on random values of the inputs' types and compare.
#[track_caller]
fn check(ins: &[&Variable], shapes: &[&[usize]], out: &Variable, want: &[&str]) -> Function {
    let opt = build(ins, out, "optimizer=fast_run");
    let plain = build(ins, out, "optimizer=None");
    let names = op_names(&opt);
    for w in want {
        assert!(
            names.iter().any(|n| n == w),
            "{w} missing from {names:?}\n{}",
            debugprint(&opt.fgraph_outputs().unwrap())
        );
    }
    assert!(!names.iter().any(|n| n == "dot"), "{names:?}");
    let mut seed = 7;
    let args: Vec<Tensor> = ins
        .iter()
        .zip(shapes)
        .map(|(v, s)| rand(&mut seed, s, v.dtype()))
        .collect();
    let a = opt.call(&args).unwrap().remove(0);
    let b = plain.call(&args).unwrap().remove(0);
    assert_eq!(a.dtype(), b.dtype());
    assert_eq!(a.dtype(), out.dtype());
    assert_eq!(a.shape(), b.shape());
    let tol = if a.dtype() == DType::Float32 {
        1e-5
    } else {
        1e-12
    };
    for (x, y) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
    opt
}

fn matrix(d: DType, name: &str) -> Variable {
    if d == DType::Float32 {
        T::fmatrix(name)
    } else {
        T::dmatrix(name)
    }
}
fn vector(d: DType, name: &str) -> Variable {
    if d == DType::Float32 {
        T::fvector(name)
    } else {
        T::dvector(name)
    }
}

/// A 0-d constant of `d` (a Python float literal would be float64 and upcast float32 terms).
fn k(v: f64, d: DType) -> Variable {
    Variable::constant(Tensor::full(d, &[], v)).unwrap()
}

const FLOATS: [DType; 2] = [DType::Float64, DType::Float32];

#[test]
fn plain_dots() {
    for d in FLOATS {
        let (a, b, x) = (matrix(d, "A"), matrix(d, "B"), vector(d, "x"));
        // dot(matrix, vector): Gemv on an uninitialized allocation (beta 0), in place on it
        let empty = format!("AllocEmpty{{dtype='{}'}}", d.name());
        let out = T::dot(&a, &x).unwrap();
        check(
            &[&a, &x],
            &[&[3, 4], &[4]],
            &out,
            &["Gemv{inplace}", &empty],
        );
        // dot(vector, vector): Gemv on AllocEmpty(1) and the row of one operand, as Theano
        let y = vector(d, "y");
        let out = T::dot(&x, &y).unwrap();
        let f = check(
            &[&x, &y],
            &[&[4], &[4]],
            &out,
            &["Gemv{inplace}", &empty, "InplaceDimShuffle{}"],
        );
        assert!(
            !op_names(&f).iter().any(|n| n == "Alloc"),
            "{:?}",
            op_names(&f)
        );
        // dot(vector, matrix): Gemv on A.T
        let out = T::dot(&x, &a).unwrap();
        check(
            &[&x, &a],
            &[&[3], &[3, 4]],
            &out,
            &["Gemv{inplace}", "InplaceDimShuffle{1,0}"],
        );
        // dot(matrix, matrix): Dot22
        let out = T::dot(&a, &b).unwrap();
        check(&[&a, &b], &[&[3, 4], &[4, 2]], &out, &["Dot22"]);
    }
}

#[test]
fn gemv_forms() {
    for d in FLOATS {
        let (a, x, y) = (matrix(d, "A"), vector(d, "x"), vector(d, "y"));
        let dot = T::dot(&a, &x).unwrap();
        let sh: [&[usize]; 3] = [&[3, 4], &[4], &[3]];
        // y is a graph input: never overwritten
        let c = |v| k(v, d);
        for out in [
            &y - c(0.1) * &dot,
            &y + &dot,
            c(0.5) * &y + c(2.0) * &dot,
            -&dot + &y * c(3.0),
            &y - c(0.1) * (&dot + c(0.02) * &y),
        ] {
            let f = check(&[&a, &x, &y], &sh, &out, &["Gemv{no_inplace}"]);
            assert_eq!(
                op_names(&f)
                    .iter()
                    .filter(|n| n.starts_with("Gemv"))
                    .count(),
                1
            );
        }
        // a computed y with one reader is overwritten
        let out = T::exp(&y) - c(0.1) * &dot;
        check(&[&a, &x, &y], &sh, &out, &["Gemv{inplace}"]);
        // a scaled lone product folds the scale into alpha
        let out = c(-0.5) * &dot;
        let f = check(&[&a, &x], &sh[..2], &out, &["Gemv{inplace}"]);
        assert!(!op_names(&f).iter().any(|n| n.starts_with("Elemwise")));
        // extra terms are added after
        let out = &y - &dot + T::exp(&x).sum();
        check(&[&a, &x, &y], &sh, &out, &["Gemv{no_inplace}"]);
    }
}

#[test]
fn gemm_forms() {
    for d in FLOATS {
        let (x, y, z) = (matrix(d, "x"), matrix(d, "y"), matrix(d, "z"));
        let dot = T::dot(&x, &y).unwrap();
        let sh: [&[usize]; 3] = [&[3, 4], &[4, 2], &[3, 2]];
        let f = check(
            &[&x, &y, &z],
            &sh,
            &(k(0.5, d) * &z + k(2.0, d) * &dot),
            &["Gemm{no_inplace}"],
        );
        assert!(!op_names(&f).iter().any(|n| n == "Dot22"));
        check(
            &[&x, &y, &z],
            &sh,
            &(T::tanh(&z) - &dot),
            &["Gemm{inplace}"],
        );
    }
}

#[test]
fn a_value_with_two_readers_is_never_overwritten() {
    let (a, x, y) = (T::dmatrix("A"), T::dvector("x"), T::dvector("y"));
    let u = T::exp(&y);
    let dot = T::dot(&a, &x).unwrap();
    // u is also read by the sum, which the gemv does not depend on
    let out = (&u - &dot) * T::sum(&u);
    let f = check(
        &[&a, &x, &y],
        &[&[3, 4], &[4], &[3]],
        &out,
        &["Gemv{no_inplace}"],
    );
    assert!(op_names(&f).iter().all(|n| n != "Gemv{inplace}"));
    // u returned as an output is never overwritten either
    let g = compile(&[&a, &x, &y], [&(&u - &dot), &u])
        .mode(Mode::parse_flags("optimizer=fast_run").unwrap())
        .build()
        .unwrap();
    assert!(op_names(&g).contains(&"Gemv{no_inplace}".to_string()));
    // excluding the pass by name keeps every op out of place
    let h = build(
        &[&a, &x, &y],
        &(T::exp(&y) - &dot),
        "optimizer=fast_run,optimizer_excluding=inplace",
    );
    assert!(op_names(&h).contains(&"Gemv{no_inplace}".to_string()));
}

#[test]
fn shared_update_becomes_inplace_gemv_on_w() {
    for d in FLOATS {
        let x = matrix(d, "x");
        let g = vector(d, "g");
        let w = theano::try_shared(Tensor::zeros(d, &[4]), Some("w")).unwrap();
        let upd = &w - k(0.1, d) * T::dot(x.t(), &g).unwrap();
        let f = compile(&[&x, &g], T::sum(&w))
            .updates([(&w, &upd)])
            .build()
            .unwrap();
        // w is also read by the sum, which the gemv does not depend on: no schedule-free
        // proof that the sum runs first, so the gemv stays out of place
        let text = debugprint(&f.fgraph_outputs().unwrap());
        assert!(text.contains("Gemv{no_inplace}"), "{text}");
        // when only the gemv reads w, it overwrites w
        let f2 = compile(&[&x, &g], T::sum(&x))
            .updates([(&w, &upd)])
            .build()
            .unwrap();
        let text2 = debugprint(&f2.fgraph_outputs().unwrap());
        assert!(text2.contains("Gemv{inplace} [id"), "{text2}");
        let mut seed = 1;
        let xv = rand(&mut seed, &[3, 4], d);
        let gv = rand(&mut seed, &[3], d);
        f2.call(&[xv.clone(), gv.clone()]).unwrap();
        let want = theano::function(&[&x, &g], T::dot(x.t(), &g).unwrap() * k(-0.1, d))
            .unwrap()
            .call(&[xv, gv])
            .unwrap()
            .remove(0);
        let got = w.get_value().unwrap();
        for (a, b) in got.to_f64_vec().iter().zip(want.to_f64_vec()) {
            assert!((a - b).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }
}

/// The seed's logistic regression (tests/seed_opt.rs): the gradient `dot(x.T, g)` and the
/// update `w - 0.1 * gw` become one Gemv overwriting w.
#[test]
fn seed_train_function_has_an_inplace_gemv_on_w() {
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let w = theano::try_shared(Tensor::zeros(DType::Float64, &[5]), Some("w")).unwrap();
    let b = shared_named(0., "b");
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let prediction = T::gt(&p_1, 0.5);
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
    let cost = xent.mean() + 0.01 * w.pow(2).sum();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let updates = [(&w, &w - 0.1 * &g[0]), (&b, &b - 0.1 * &g[1])];
    let train = compile(&[&x, &y], [&prediction, &xent])
        .updates(updates.clone())
        .build()
        .unwrap();
    let text = debugprint(&train.fgraph_outputs().unwrap());
    if std::env::var_os("SHOW_SEED").is_some() {
        eprintln!("{text}");
    }
    assert!(text.contains("Gemv{inplace} [id"), "{text}");
    // the optimized and unoptimized train steps agree
    let plain = compile(&[&x, &y], [&prediction, &xent])
        .updates(updates)
        .mode(Mode::parse_flags("optimizer=None").unwrap())
        .build()
        .unwrap();
    let mut seed = 5;
    let xv = rand(&mut seed, &[8, 5], DType::Float64);
    let yv = Tensor::from_shape_vec(&[8], vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0]).unwrap();
    let mut ws = vec![];
    for f in [&train, &plain] {
        w.set_value(Tensor::from_shape_vec(&[5], vec![0.1, -0.2, 0.3, 0.0, 0.5]).unwrap())
            .unwrap();
        b.set_value(Tensor::full(DType::Float64, &[], 0.25))
            .unwrap();
        for _ in 0..3 {
            f.call(&[xv.clone(), yv.clone()]).unwrap();
        }
        ws.push((
            w.get_value().unwrap().to_f64_vec(),
            b.get_value().unwrap().to_f64_vec(),
        ));
    }
    for (p, q) in ws[0]
        .0
        .iter()
        .chain(&ws[0].1)
        .zip(ws[1].0.iter().chain(&ws[1].1))
    {
        assert!((p - q).abs() < 1e-12, "{ws:?}");
    }
}

/// A Gemv already built for an inner sum is unfolded into the outer sum only when its y is
/// another term there (the seed's `w - 0.1 * (dot + 0.02 * w)` once the L2 fill is gone);
/// otherwise the outer sum is left as it is (no rewrite loop), and the values agree.
#[test]
fn nested_gemv_folds_only_into_its_own_y() {
    for d in FLOATS {
        let (a, x, y) = (matrix(d, "A"), vector(d, "x"), vector(d, "y"));
        let dot = T::dot(&a, &x).unwrap();
        let sh: [&[usize]; 3] = [&[3, 4], &[4], &[3]];
        let c = |v| k(v, d);
        let inner = &dot + c(0.02) * T::exp(&y);
        let out = T::exp(&y) - c(0.1) * &inner;
        let f = check(&[&a, &x, &y], &sh, &out, &["Gemv{inplace}"]);
        let n = |f: &Function| op_names(f).iter().filter(|n| n.starts_with("Gemv")).count();
        assert_eq!(n(&f), 1);
        let out = &y + c(2.0) * &inner;
        let f = check(&[&a, &x, &y], &sh, &out, &["Gemv{inplace}"]);
        assert_eq!(n(&f), 1);
    }
}
