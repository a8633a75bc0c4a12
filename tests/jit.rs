//! The Cranelift backend through the facade: dumps, memory, and random fused elementwise
//! chains against the interpreter.

use rand::{Rng, SeedableRng};
use theano::{compile, LinkerKind, Mode, Tensor};
use theano_ir::tensor as T;
use theano_ir::{DType, TensorType, Variable};

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

#[test]
fn reductions_dump_their_generated_loops() {
    // Reduce and MaxAndArgmax loops are Cranelift functions in the function's module
    let dir = std::env::temp_dir().join(format!("theano-jit-dump-red-{}", std::process::id()));
    let x = T::dmatrix("x");
    let s = T::sum_axes(&x, Some(&[0]), false).unwrap();
    let (m, i) = T::max_and_argmax(&x, Some(&[1])).unwrap();
    let mut md = Mode::parse_flags("linker=jit,dump=clif+asm").unwrap();
    md.dump_dir = Some(dir.clone());
    let f = compile(&[&x], [s, m, i]).mode(md).build().unwrap();
    let clif = f.dump_ir();
    for name in ["_fold", "_rows", "_comb", "_lane"] {
        assert!(clif.contains(name), "no {name} function in\n{clif}");
    }
    assert!(clif.contains("f64x2"), "{clif}");
    assert!(f.dump_asm().contains("_fold"));
    let _ = std::fs::remove_dir_all(&dir);
    let xv =
        Tensor::from_f64_vec(DType::Float64, &[2, 3], vec![1.0, 5.0, 2.0, 7.0, 0.0, 7.0]).unwrap();
    let r = f.call(&[xv]).unwrap();
    assert_eq!(r[0].to_f64_vec(), [8.0, 5.0, 9.0]);
    assert_eq!(r[1].to_f64_vec(), [5.0, 7.0]);
    assert_eq!(r[2].to_i64_vec(), [1, 0]);
}

#[test]
fn dumps_clif_and_asm() {
    let dir = std::env::temp_dir().join(format!("theano-jit-dump-{}", std::process::id()));
    let (x, y, z) = (T::dvector("x"), T::dvector("y"), T::dvector("z"));
    let out = &(&T::exp(&x) * &y) + &T::tanh(&z);
    let mut m = Mode::parse_flags("linker=jit,dump=ir+rewrites+opt+clif+asm").unwrap();
    m.dump_dir = Some(dir.clone());
    let f = compile(&[&x, &y, &z], &out).mode(m).build().unwrap();
    let ir = f.dump_ir();
    // exp and tanh are inline polynomial code (fma), not libm calls; on an AVX-512 host the
    // vector loop calls the wide helpers per block (the scalar tail stays inline)
    assert!(
        ir.contains("function") && ir.contains("f64x2") && ir.contains(" fma "),
        "{ir}"
    );
    assert_eq!(ir.contains("call "), theano_jit::wide_available(), "{ir}");
    assert!(!f.dump_asm().is_empty());
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.ends_with(".clif")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".asm")), "{names:?}");
    let read = |prefix: &str| {
        let n = names
            .iter()
            .find(|n| n.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} dump in {names:?}"));
        std::fs::read_to_string(dir.join(n)).unwrap()
    };
    // the IR before and after optimization (both parse back), and the rewrite log between
    let ir = read("ir-");
    assert!(ir.contains("Elemwise{exp,no_inplace}"), "{ir}");
    theano::ir::fgraph::FunctionGraph::parse(&ir).unwrap();
    let opt = read("opt-");
    assert!(
        opt.contains("Elemwise{Composite{((exp(i0) * i1) + tanh(i2))}}"),
        "{opt}"
    );
    theano::ir::fgraph::FunctionGraph::parse(&opt).unwrap();
    assert!(read("rewrites-").contains("elemwise_fusion"));
    let _ = std::fs::remove_dir_all(&dir);
    let r = f
        .call(&[
            vec![0.0, 1.0].into(),
            vec![2.0, 3.0].into(),
            vec![0.0, 0.5].into(),
        ])
        .unwrap();
    let want = [2.0, 1f64.exp() * 3.0 + 0.5f64.tanh()];
    let got = r[0].to_f64_vec();
    assert_eq!(got[0], want[0]);
    assert!(
        (got[1] - want[1]).abs() <= 4.0 * f64::EPSILON * want[1],
        "{got:?}"
    );
}

#[test]
fn softmax_clif_is_dumped() {
    // softmax's row loops are generated into the function's module (gen_softmax.rs): its
    // functions appear in the clif dump beside the elementwise kernels
    let dir = std::env::temp_dir().join(format!("theano-jit-dump-sm-{}", std::process::id()));
    let x = T::dmatrix("x");
    let out = T::softmax(&x).unwrap();
    let mut m = Mode::parse_flags("linker=jit,dump=clif").unwrap();
    m.dump_dir = Some(dir.clone());
    let f = compile(&[&x], &out).mode(m).build().unwrap();
    let ir = f.dump_ir();
    assert!(
        ir.contains("softmax_float64_v") && ir.contains("softmax_float64_s"),
        "{ir}"
    );
    assert!(ir.contains("load.f64x2"), "{ir}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let clif = names
        .iter()
        .find(|n| n.ends_with(".clif"))
        .unwrap_or_else(|| panic!("no clif dump in {names:?}"));
    let text = std::fs::read_to_string(dir.join(clif)).unwrap();
    assert!(text.contains("softmax_float64_v"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
    let r = f
        .call(&[Tensor::from_f64_vec(DType::Float64, &[1, 2], vec![0.0, 0.0]).unwrap()])
        .unwrap();
    assert_eq!(r[0].to_f64_vec(), vec![0.5, 0.5]);
}

/// A random elementwise chain over three inputs (fused by the optimizer).
fn chain(rng: &mut impl Rng, ins: &[Variable], depth: usize) -> Variable {
    if depth == 0 || rng.random_bool(0.2) {
        return ins[rng.random_range(0..ins.len())].clone();
    }
    let a = chain(rng, ins, depth - 1);
    match rng.random_range(0..12) {
        0 => &a + &chain(rng, ins, depth - 1),
        1 => &a - &chain(rng, ins, depth - 1),
        2 => &a * &chain(rng, ins, depth - 1),
        3 => &a / &chain(rng, ins, depth - 1),
        4 => T::exp(&a),
        5 => T::tanh(&a),
        6 => T::sigmoid(&a),
        7 => T::sqr(&a),
        8 => T::abs(&a),
        9 => T::maximum(&a, chain(rng, ins, depth - 1)),
        10 => T::neg(&a).unwrap(),
        _ => T::log1p(T::sqr(&a)),
    }
}

/// Tolerance of a random chain against the interpreter, in machine epsilons relative to
/// max(|result|, 1).
const CHAIN_TOL: f64 = 64.0;

#[test]
fn random_chains_match_interpreter() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    // 500 random fused graphs per run, each on regular, zero-size, broadcast-row and
    // transposed (Fortran-order) inputs
    for case in 0..500 {
        let dt = if case % 2 == 0 {
            DType::Float64
        } else {
            DType::Float32
        };
        let x = T::input(TensorType::matrix(dt), "x");
        let y = T::input(TensorType::row(dt), "y");
        let z = T::input(TensorType::scalar(dt), "z");
        let ins = [x.clone(), y.clone(), z.clone()];
        let out = chain(&mut rng, &ins, 4);
        let fj = compile(&[&x, &y, &z], &out)
            .mode(mode(LinkerKind::Jit))
            .on_unused_input(theano::OnUnused::Ignore)
            .build()
            .unwrap();
        let fi = compile(&[&x, &y, &z], &out)
            .mode(mode(LinkerKind::Interp))
            .on_unused_input(theano::OnUnused::Ignore)
            .build()
            .unwrap();
        let vals = |rng: &mut rand::rngs::StdRng, s: &[usize]| {
            let n = s.iter().product();
            let v: Vec<f64> = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
            Tensor::from_f64_vec(DType::Float64, s, v).unwrap().cast(dt)
        };
        for (k, shape) in [[3usize, 5], [0, 5], [7, 1], [4, 6]]
            .into_iter()
            .enumerate()
        {
            let xv = if k == 3 {
                let t = vals(&mut rng, &[shape[1], shape[0]]);
                let t = theano_tensor::map_array!(&t, a => a.clone().reversed_axes());
                assert!(
                    !t.shape().is_empty() && t.strides()[0] == 1,
                    "transposed input"
                );
                t
            } else {
                vals(&mut rng, &shape)
            };
            let args = [xv, vals(&mut rng, &[1, shape[1]]), vals(&mut rng, &[])];
            let a = fj.call(&args).unwrap();
            let b = fi.call(&args).unwrap();
            let (a, b) = (a[0].to_f64_vec(), b[0].to_f64_vec());
            assert_eq!(a.len(), b.len());
            // the inline transcendentals are within 4 ulp of libm, not bit-exact: a chain may
            // amplify that by cancellation, so finite results compare with a relative
            // tolerance (infinities, NaN and zero signs exactly)
            let eps = if dt == DType::Float32 {
                f32::EPSILON as f64
            } else {
                f64::EPSILON
            };
            for (p, q) in a.iter().zip(&b) {
                let close = p.is_finite()
                    && q.is_finite()
                    && !(*p == 0.0 && *q == 0.0)
                    && (p - q).abs() <= CHAIN_TOL * eps * q.abs().max(1.0);
                assert!(
                    (p.is_nan() && q.is_nan()) || p.to_bits() == q.to_bits() || close,
                    "case {case} {shape:?}: {p} vs {q}"
                );
            }
        }
    }
}
