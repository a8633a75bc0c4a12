//! `RandomStreams` (`theano.tensor.shared_randomstreams`) against the real Theano 1.0.5 and
//! NumPy 1.23 (tests/random/shared.json, written by tests/random/gen_shared.py): the same
//! seed gives the same samples bit for bit, call after call, on the interpreter and the JIT;
//! the states (key, position, cached deviate) are NumPy's; the tutorial's sequence; seeding;
//! refusals; printing.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::shared_randomstreams::{
    rng_of, Dim, DrawArgs, RandomError, RandomState, RandomStreams, Size,
};
use theano::{compile, debugprint, grad, DType, LinkerKind, Mode, Tensor, Variable};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/random/shared.json"
        ))
        .expect("tests/random/shared.json");
        serde_json::from_str(&text).expect("valid JSON")
    })
}

fn ints(j: &Json) -> Vec<i64> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

/// A recorded array, compared bit for bit (NumPy's legacy samplers are exact: the same
/// words, the same IEEE operations, glibc's `log` and `exp` on both sides).
fn check(got: &Tensor, want: &Json, what: &str) {
    assert_eq!(
        got.dtype().name(),
        want["dtype"].as_str().unwrap(),
        "{what}: dtype"
    );
    let shape: Vec<usize> = ints(&want["shape"]).iter().map(|&v| v as usize).collect();
    assert_eq!(got.shape(), shape.as_slice(), "{what}: shape");
    let data = want["data"].as_array().unwrap();
    if got.dtype().is_float() {
        for (i, (a, b)) in got.to_f64_vec().iter().zip(data).enumerate() {
            let b = b.as_f64().unwrap();
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{what}: element {i}: {a:?} vs Theano's {b:?}"
            );
        }
    } else {
        assert_eq!(got.to_i64_vec(), ints(&want["data"]), "{what}");
    }
}

/// A RandomState against NumPy's recorded `get_state()`: the position, the cached deviate,
/// the key's first words and its sum.
fn check_state(got: &RandomState, want: &Json, what: &str) {
    let (key, pos, has_gauss, gauss) = got.get_state();
    assert_eq!(pos as i64, want["pos"].as_i64().unwrap(), "{what}: pos");
    assert_eq!(
        i64::from(has_gauss),
        want["has_gauss"].as_i64().unwrap(),
        "{what}: has_gauss"
    );
    assert_eq!(
        gauss.to_bits(),
        want["gauss"].as_f64().unwrap().to_bits(),
        "{what}: gauss"
    );
    let head: Vec<i64> = key[..4].iter().map(|&w| i64::from(w)).collect();
    assert_eq!(head, ints(&want["key_head"]), "{what}: key head");
    let sum: i64 = key.iter().map(|&w| i64::from(w)).sum();
    assert_eq!(sum, want["key_sum"].as_i64().unwrap(), "{what}: key sum");
}

fn state_of(rng: &Variable) -> RandomState {
    RandomState::from_tensor(&rng.get_value().unwrap()).unwrap()
}

/// A function on the interpreter, the JIT or the emulated GPU runtime (where the op runs
/// through the interpreter fallback and the state stays a shared variable).
fn compile_on(linker: Option<LinkerKind>, outs: Vec<Variable>) -> theano::Function {
    let b = compile(&[], outs);
    match linker {
        Some(l) => b.mode(mode(l)),
        None => b.linker(Box::new(theano_cuda::emulated::EmuLinker::default())),
    }
    .build()
    .unwrap()
}

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

/// Builds a recorded case's draws with the Rust API, as gen_shared.py builds them.
fn build(name: &str, s: &RandomStreams) -> Vec<Variable> {
    let f32 = DrawArgs::dtype(DType::Float32);
    let one = |v: Result<Variable, RandomError>| vec![v.unwrap()];
    let none = DrawArgs::default();
    match name {
        "uniform_2x3" => one(s.uniform([2, 3], 0.0, 1.0)),
        "uniform_low_high" => one(s.uniform([4, 5], -2.0, 3.0)),
        "uniform_f32" => one(s.uniform_with([3, 7], 0.0, 1.0, f32)),
        "uniform_scalar" => one(s.uniform([0i64; 0], 0.0, 1.0)),
        "uniform_low_vector" => one(s.uniform([2, 3], T::constant(vec![0.0f64, 1.0, 2.0]), 5.0)),
        "uniform_seed_0" | "uniform_seed_max" => one(s.uniform([4], 0.0, 1.0)),
        "normal_3x3" => one(s.normal([3, 3], 0.0, 1.0)),
        "normal_avg_std" => one(s.normal([2, 4], 1.5, 0.5)),
        "normal_odd" => one(s.normal([5], 0.0, 1.0)),
        "normal_f32" => one(s.normal_with([5], 0.0, 1.0, f32)),
        "binomial_n1" => one(s.binomial([6], 1, 0.5)),
        "binomial_small" => one(s.binomial([3, 4], 5, 0.3)),
        "binomial_inversion_25" => one(s.binomial([10], 100, 0.25)),
        "binomial_btpe" => one(s.binomial([20], 1000, 0.4)),
        "binomial_btpe_high_p" => one(s.binomial([20], 500, 0.8)),
        "binomial_btpe_huge" => one(s.binomial([20], 100000, 0.3)),
        "binomial_f32" => one(s.binomial_with([6], 10, 0.5, f32)),
        "random_integers_default" => one(s.random_integers([8], 0, 1)),
        "random_integers_0_10" => one(s.random_integers([3, 4], 0, 10)),
        "random_integers_neg" => one(s.random_integers([10], -5, 5)),
        "random_integers_big" => one(s.random_integers([5], 0, 1i64 << 40)),
        "permutation_2" => one(s.permutation([2], 5)),
        "permutation_one" => one(s.permutation([0i64; 0], 7)),
        "two_draws" => vec![
            s.uniform([3], 0.0, 1.0).unwrap(),
            s.normal([2, 2], 0.0, 1.0).unwrap(),
        ],
        "poisson_small" => one(s.poisson([5], 3.0)),
        "poisson_ptrs" => one(s.poisson([20], 30.0)),
        "poisson_vec" => one(s.poisson([2, 3], T::constant([1.0f64, 20.0, 0.0]))),
        "poisson_huge" => one(s.poisson([10], 1e6)),
        "choice_int" => one(s.choice([5], 10)),
        "choice_p" => one(s.choice_with([5], 3, true, Some(T::constant([0.2f64, 0.3, 0.5])), none)),
        "choice_norep" => one(s.choice_with([5], 10, false, None, none)),
        "choice_norep_p" => one(s.choice_with(
            [4],
            6,
            false,
            Some(T::constant([0.1f64, 0.1, 0.2, 0.2, 0.2, 0.2])),
            none,
        )),
        "choice_vec" => one(s.choice([4], T::constant([5i64, 6, 7]))),
        "choice_vec_float" => one(s.choice_with(
            [2, 3],
            T::constant([0.5f64, 1.5, 2.5]),
            true,
            None,
            DrawArgs::dtype(DType::Float64),
        )),
        "choice_scalar" => one(s.choice([0i64; 0], 5)),
        "choice_big" => one(s.choice([6], 1i64 << 40)),
        "multinomial_3" => one(s.multinomial([3], 10, T::constant([0.2f64, 0.3, 0.5]))),
        "multinomial_none" => one(s.multinomial(
            Size::None,
            10,
            T::constant([[0.2f64, 0.3, 0.5], [0.5, 0.5, 0.0]]),
        )),
        "multinomial_default" => one(s.multinomial([2], 1, T::constant([0.5f64, 0.5]))),
        "multinomial_n_vec" => one(s.multinomial(
            [2],
            T::constant([5i64, 1000]),
            T::constant([0.1f64, 0.2, 0.3, 0.4]),
        )),
        "multinomial_nudge_sum" => {
            one(s.multinomial([3], 100, T::constant([0.3333334f64, 0.3333334, 0.3333334])))
        }
        "multinomial_f32_tiny_last" => {
            one(s.multinomial([3], 1000, T::constant([0.6f32, 0.39999, 0.00001])))
        }
        "multinomial_size_minus_1" => one(s.multinomial(
            [2, -1],
            5,
            T::constant([[0.5f64, 0.5], [0.1, 0.9], [0.3, 0.7]]),
        )),
        "uniform_none" => one(s.uniform(
            Size::None,
            T::constant([0.0f64, 1.0]),
            T::constant([[2.0f64], [3.0]]),
        )),
        "normal_none" => one(s.normal(Size::None, T::constant([0.0f64; 3]), 1.0)),
        "binomial_none" => one(s.binomial(Size::None, T::constant([5i64, 10]), 0.3)),
        "random_integers_none" => one(s.random_integers(Size::None, T::constant([0i64, 5]), 10)),
        other => panic!("no builder for case {other}"),
    }
}

/// Every recorded case, on the interpreter, the JIT and the emulated GPU: the streams start in Theano's
/// states, the calls give Theano's samples (the default updates advance the states), and
/// the states after the calls are NumPy's.
#[test]
fn samples_and_states_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert!(cases.len() >= 48);
    for linker in [Some(LinkerKind::Interp), Some(LinkerKind::Jit), None] {
        for c in cases {
            let name = c["name"].as_str().unwrap();
            let s = RandomStreams::new(c["seed"].as_i64().unwrap()).unwrap();
            let outs = build(name, &s);
            let ups = s.updates();
            let start = c["start_states"].as_array().unwrap();
            assert_eq!(ups.len(), start.len(), "{name}: draws");
            for (k, ((rng, _), w)) in ups.iter().zip(start).enumerate() {
                check_state(&state_of(rng), w, &format!("{name} start state {k}"));
            }
            let f = compile_on(linker, outs);
            for (k, want) in c["calls"].as_array().unwrap().iter().enumerate() {
                let got = f.call(&[]).unwrap();
                for (j, (g, w)) in got.iter().zip(want.as_array().unwrap()).enumerate() {
                    check(g, w, &format!("{name} ({linker:?}) call {k} output {j}"));
                }
            }
            for (k, ((rng, _), w)) in ups.iter().zip(c["states"].as_array().unwrap()).enumerate() {
                check_state(&state_of(rng), w, &format!("{name} state {k} after"));
            }
        }
    }
}

/// The tutorial's "Using Random Numbers", step by step.
#[test]
fn the_tutorial_sequence_is_theanos() {
    let t = &corpus()["tutorial"];
    for linker in [LinkerKind::Interp, LinkerKind::Jit] {
        let srng = RandomStreams::new(234).unwrap();
        let rv_u = srng.uniform([2, 2], 0.0, 1.0).unwrap();
        let rv_n = srng.normal([2, 2], 0.0, 1.0).unwrap();
        let f = compile(&[], &rv_u).mode(mode(linker)).build().unwrap();
        let g = compile(&[], &rv_n)
            .no_default_updates(true)
            .mode(mode(linker))
            .build()
            .unwrap();
        let twice = &rv_u + &rv_u;
        let nearly_zeros = compile(&[], &twice - &(&rv_u * 2.0))
            .mode(mode(linker))
            .build()
            .unwrap();
        for (k, w) in t["f"].as_array().unwrap().iter().enumerate() {
            check(&f.call(&[]).unwrap()[0], w, &format!("f call {k}"));
        }
        for (k, w) in t["g"].as_array().unwrap().iter().enumerate() {
            check(&g.call(&[]).unwrap()[0], w, &format!("g call {k}"));
        }
        check(
            &nearly_zeros.call(&[]).unwrap()[0],
            &t["nearly_zeros"],
            "nearly_zeros",
        );
        // rng_val = rv_u.rng.get_value(borrow=True); rng_val.seed(89234);
        // rv_u.rng.set_value(rng_val, borrow=True)
        let rng = rng_of(&rv_u).expect("a draw has its state");
        let mut rng_val = RandomState::from_tensor(&rng.get_value().unwrap()).unwrap();
        rng_val.seed(89234).unwrap();
        rng.set_value(rng_val.to_tensor()).unwrap();
        check(
            &f.call(&[]).unwrap()[0],
            &t["f_after_state_seed"],
            "f after seeding its state",
        );
        srng.seed(Some(902340)).unwrap();
        check(&f.call(&[]).unwrap()[0], &t["f_after_seed"], "f after seed");
        check(&g.call(&[]).unwrap()[0], &t["g_after_seed"], "g after seed");
        for (k, ((r, _), w)) in srng
            .updates()
            .iter()
            .zip(t["states_after"].as_array().unwrap())
            .enumerate()
        {
            check_state(&state_of(r), w, &format!("state {k} after seed"));
        }
        srng.seed(None).unwrap();
        check(
            &f.call(&[]).unwrap()[0],
            &t["f_after_seed_default"],
            "f after seed()",
        );
        let late = srng.uniform([3], 0.0, 1.0).unwrap();
        let h = compile(&[], &late).mode(mode(linker)).build().unwrap();
        check(&h.call(&[]).unwrap()[0], &t["late"], "a draw after seed()");
        // srng[rv.rng] and srng[rv.rng] = state
        let before = srng.get(&rv_u).unwrap();
        let mut other = RandomState::new(5);
        srng.set(&rv_u, &other).unwrap();
        let a = f.call(&[]).unwrap()[0].to_f64_vec();
        assert_eq!(a[0], other.uniform(0.0, 1.0));
        assert_ne!(srng.get(&rv_u).unwrap(), before);
        assert_eq!(srng.get(&rng).unwrap(), srng.get(&rv_u).unwrap());
    }
}

/// Sizes from the graph: `x.shape`, and a tuple with an integer scalar.
#[test]
fn symbolic_sizes_draw_theanos_numbers() {
    let sym = &corpus()["symbolic_size"];
    let s = RandomStreams::new(99).unwrap();
    let x = T::dmatrix("x");
    let u = s.uniform(T::shape(&x), 0.0, 1.0).unwrap();
    assert_eq!(u.ty().to_string(), "TensorType(float64, matrix)");
    let n = T::lscalar("n");
    let v = s
        .normal(vec![Dim::Int(2), Dim::Var(n.clone())], 0.0, 1.0)
        .unwrap();
    let f = compile(&[&x, &n], vec![u, v]).build().unwrap();
    let args = [Tensor::zeros(DType::Float64, &[3, 4]), Tensor::scalar(3i64)];
    for (k, want) in sym["calls"].as_array().unwrap().iter().enumerate() {
        let got = f.call(&args).unwrap();
        for (j, (g, w)) in got.iter().zip(want.as_array().unwrap()).enumerate() {
            check(g, w, &format!("call {k} output {j}"));
        }
    }
    // a vector of unknown length needs ndim
    let lv = T::lvector("v");
    assert!(matches!(
        s.uniform(&lv, 0.0, 1.0),
        Err(RandomError::Size { .. })
    ));
    let w = s
        .uniform_with(
            &lv,
            0.0,
            1.0,
            DrawArgs {
                ndim: Some(3),
                ..DrawArgs::default()
            },
        )
        .unwrap();
    let f = compile(&[&lv], &w).build().unwrap();
    let out = f.call(&[Tensor::from(vec![2i64, 1, 3])]).unwrap();
    assert_eq!(out[0].shape(), &[2, 1, 3]);
    // at run time, a negative length is refused (and named), the state stays
    let e = f.call(&[Tensor::from(vec![2i64, -1, 3])]).unwrap_err();
    assert!(e.to_string().contains("size[1] is -1"), "{e}");
}

/// NumPy's `RandomState` itself: seeding by `init_genrand`, `randint(2**30)` (the streams'
/// seeds), `random_sample`, the polar normal with its cache, binomial (inversion and BTPE
/// over many parameters), permutation.
#[test]
fn random_state_is_numpys() {
    let d = &corpus()["numpy_direct"];
    for seed in [0i64, 1, 234, (1 << 32) - 1] {
        let c = &d[format!("seed_{seed}")];
        let mut rs = RandomState::from_seed(seed).unwrap();
        check_state(&rs, &c["start"], &format!("seed {seed}"));
        let got: Vec<i64> = (0..5).map(|_| rs.randint(0, 1 << 30).unwrap()).collect();
        assert_eq!(got, ints(&c["randint_2_30"]), "seed {seed} randint");
        for (k, w) in c["random_sample"].as_array().unwrap().iter().enumerate() {
            assert_eq!(
                rs.random_sample().to_bits(),
                w.as_f64().unwrap().to_bits(),
                "seed {seed} sample {k}"
            );
        }
        for (k, w) in c["gauss"].as_array().unwrap().iter().enumerate() {
            assert_eq!(
                rs.normal(0.0, 1.0).to_bits(),
                w.as_f64().unwrap().to_bits(),
                "seed {seed} gauss {k}"
            );
        }
        check_state(&rs, &c["after"], &format!("seed {seed} after"));
    }
    let mut rs = RandomState::new(2024);
    for b in d["binomial"].as_array().unwrap() {
        let (n, p) = (b["n"].as_i64().unwrap(), b["p"].as_f64().unwrap());
        let got: Vec<i64> = (0..50).map(|_| rs.binomial(n, p).unwrap()).collect();
        assert_eq!(got, ints(&b["draws"]), "binomial({n}, {p})");
    }
    for (k, w) in d["permutation"].as_array().unwrap().iter().enumerate() {
        let want = ints(w);
        assert_eq!(rs.permutation(want.len()), want, "permutation {k}");
    }
    check_state(&rs, &d["after_binomial_permutation"], "after");
}

/// What Theano and NumPy refuse is refused, typed, with their reasons; never a panic.
#[test]
fn refusals_are_theanos() {
    let errs = &corpus()["errors"];
    let msg = |k: &str| errs[k].as_str().unwrap().to_string();
    for seed in [-1i64, 1 << 32] {
        let e = RandomStreams::new(seed).err().unwrap();
        assert!(matches!(e, RandomError::StreamsSeed(_)), "{e}");
        let reason = e.to_string().replace("RandomStreams seed: ", "");
        assert!(msg("seed_negative").contains(&reason), "{e}");
    }
    let s = RandomStreams::new(3).unwrap();
    let e = s.uniform(T::dmatrix("m"), 0.0, 1.0).unwrap_err();
    assert!(
        matches!(
            e,
            RandomError::Size {
                method: "uniform",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("shape must be an integer vector"),
        "{e}"
    );
    assert!(msg("size_matrix").contains("shape must be a vector"));
    let e = s.uniform(T::dvector("v"), 0.0, 1.0).unwrap_err();
    assert!(e.to_string().contains("TensorType(float64, vector)"), "{e}");
    let e = s.uniform([2, -2], 0.0, 1.0).unwrap_err();
    assert!(e.to_string().contains("negative shape -2"), "{e}");
    let e = s
        .normal_with([2], 0.0, 1.0, DrawArgs::dtype(DType::Int32))
        .unwrap_err();
    assert!(
        matches!(
            e,
            RandomError::Argument {
                method: "normal",
                ..
            }
        ) && e.to_string().contains("dtype"),
        "{e}"
    );
    let e = s
        .binomial_with([2], 3, 0.5, DrawArgs::dtype(DType::Bool))
        .unwrap_err();
    assert!(e.to_string().contains("dtype"), "{e}");
    let e = s.binomial([2], 3.0, 0.5).unwrap_err();
    assert!(e.to_string().contains("n must be an integer"), "{e}");
    let e = s.permutation([2], T::lvector("n")).unwrap_err();
    assert!(e.to_string().contains("n must be an integer scalar"), "{e}");
    let e = s
        .uniform_with(
            [2, 3],
            0.0,
            1.0,
            DrawArgs {
                ndim: Some(3),
                ..DrawArgs::default()
            },
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("ndim should be equal to len(shape)"),
        "{e}"
    );
    let e = s.uniform([2], T::dmatrix("lowm"), 2.0).unwrap_err();
    assert!(e.to_string().contains("at least as big"), "{e}");
    // Theano infers no size for poisson and choice, whose parameters do not give it
    for (label, e) in [
        ("poisson_no_size", s.poisson(Size::None, 1.0).unwrap_err()),
        ("choice_no_size", s.choice(Size::None, 3).unwrap_err()),
    ] {
        let want = "_infer_ndim_bcast cannot infer shape without either shape or args";
        assert!(
            msg(label).contains(want) && e.to_string().contains(want),
            "{e}"
        );
    }
    let none = DrawArgs::default();
    for e in [
        s.choice(Size::None, T::dmatrix("am")).unwrap_err(),
        s.choice_with([2], 3, true, Some(T::dmatrix("pm")), none)
            .unwrap_err(),
        s.choice(Size::None, true).unwrap_err(),
        s.multinomial([2], 3, 0.5).unwrap_err(),
        s.multinomial([2], 3.0, T::constant([0.5f64, 0.5]))
            .unwrap_err(),
        s.poisson([2], true).unwrap_err(),
    ] {
        assert!(matches!(e, RandomError::Argument { .. }), "{e}");
    }
    // MRG_RandomStreams needs a size, as in Theano
    let m = theano::sandbox::rng_mrg::MRG_RandomStreams::new(3).unwrap();
    let e = m.uniform(Size::None, 0.0, 1.0).unwrap_err().to_string();
    assert!(e.contains("got None"), "{e}");
    let e = m.normal(Size::None, 0.0, 1.0).unwrap_err().to_string();
    assert!(
        e.contains("Size must be a int, tuple, list or Theano variable."),
        "{e}"
    );
    // at run time, NumPy's ValueErrors
    for (label, draw, reason) in [
        (
            "normal_negative_std",
            s.normal([2], 0.0, -1.0).unwrap(),
            "ValueError: scale < 0",
        ),
        (
            "integers_low_above_high",
            s.random_integers([2], 5, 2).unwrap(),
            "ValueError: low >= high",
        ),
        (
            "binomial_p_above_1",
            s.binomial([2], 3, 1.5).unwrap(),
            "ValueError: p < 0, p > 1 or p is NaN",
        ),
        (
            "poisson_negative",
            s.poisson([2], -1.0).unwrap(),
            "ValueError: lam < 0 or lam is NaN",
        ),
        (
            "poisson_vector_negative",
            s.poisson([2], T::constant([1.0f64, -1.0])).unwrap(),
            "ValueError: lam < 0 or lam contains NaNs",
        ),
        (
            "choice_p_sum",
            s.choice_with([2], 2, true, Some(T::constant([0.3f64, 0.3])), none)
                .unwrap(),
            "ValueError: probabilities do not sum to 1",
        ),
        (
            "choice_too_many",
            s.choice_with([3], 2, false, None, none).unwrap(),
            "ValueError: Cannot take a larger sample than population when 'replace=False'",
        ),
        (
            "choice_a_zero",
            s.choice([3], 0).unwrap(),
            "ValueError: a must be greater than 0 unless no samples are taken",
        ),
        (
            "multinomial_negative_p",
            s.multinomial([2], 3, T::constant([-0.5f64, 1.5])).unwrap(),
            "AssertionError: ",
        ),
        (
            "multinomial_sum_above_1",
            s.multinomial([2], 3, T::constant([0.7f64, 0.7, 0.0]))
                .unwrap(),
            "AssertionError: 1.39993",
        ),
    ] {
        assert!(msg(label).starts_with(reason), "{label}: {}", msg(label));
        let reason = reason.trim_start_matches("ValueError: ");
        let rng = rng_of(&draw).unwrap();
        let before = rng.get_value().unwrap().to_i64_vec();
        let f = compile(&[], &draw).build().unwrap();
        let e = f.call(&[]).unwrap_err().to_string();
        assert!(e.contains(reason), "{label}: {e}");
        assert_eq!(rng.get_value().unwrap().to_i64_vec(), before, "{label}");
    }
    // a value that is not a state
    let rv = s.uniform([2], 0.0, 1.0).unwrap();
    let rng = rng_of(&rv).unwrap();
    rng.set_value(Tensor::from_shape_vec(&[628], vec![0u32; 628]).unwrap())
        .unwrap();
    let mut bad = vec![0u32; 628];
    bad[625] = 7;
    rng.set_value(Tensor::from_shape_vec(&[628], bad).unwrap())
        .unwrap();
    assert!(matches!(s.get(&rv), Err(RandomError::State(_))));
    let e = compile(&[], &rv).build().unwrap().call(&[]).unwrap_err();
    assert!(e.to_string().contains("has_gauss"), "{e}");
    assert!(rng.set_value(Tensor::from(vec![1.0f64])).is_err());
    assert!(matches!(
        s.get(&T::dscalar("x")),
        Err(RandomError::Argument { .. })
    ));
}

/// A draw prints as Theano's but for the two things this port spells out: the state's
/// type (a uint32 vector, where Theano has its own `RandomStateType`) and the op's output
/// type (which lets the text form parse back).
#[test]
fn draws_print_as_theanos() {
    let p = &corpus()["printing"];
    let s = RandomStreams::new(234).unwrap();
    let u = s.uniform([2, 2], 0.0, 1.0).unwrap();
    let b = s.binomial([3], 5, 0.25).unwrap();
    let po = s.poisson([5], 3.0).unwrap();
    let ch = s.choice([5], 10).unwrap();
    let mn = s
        .multinomial([3], 10, T::constant([0.2f64, 0.3, 0.5]))
        .unwrap();
    let un = s
        .uniform(
            Size::None,
            T::constant([0.0f64, 1.0]),
            T::constant([[2.0f64], [3.0]]),
        )
        .unwrap();
    for (v, key, ty) in [
        (
            &u,
            "debugprint_uniform",
            "uniform,TensorType(float64, matrix)",
        ),
        (
            &b,
            "debugprint_binomial",
            "binomial,TensorType(int64, vector)",
        ),
        (
            &po,
            "debugprint_poisson",
            "poisson,TensorType(int64, vector)",
        ),
        (
            &ch,
            "debugprint_choice",
            "choice_helper,TensorType(int64, vector)",
        ),
        (
            &mn,
            "debugprint_multinomial",
            "multinomial_helper,TensorType(int64, matrix)",
        ),
        (
            &un,
            "debugprint_uniform_none",
            "uniform,TensorType(float64, matrix)",
        ),
    ] {
        let want = p[key]
            .as_str()
            .unwrap()
            .replace("<RandomStateType>", "<TensorType(uint32, vector)>")
            .replace(
                &format!("RandomFunction{{{}}}", ty.split(',').next().unwrap()),
                &format!("RandomFunction{{{ty}}}"),
            );
        let got = debugprint(std::slice::from_ref(v));
        assert_eq!(got, want, "{key}");
    }
}

/// No gradient flows through a draw's parameters; a cost reading a draw differentiates
/// with respect to what multiplies it.
#[test]
fn gradients_stop_at_the_draws() {
    let s = RandomStreams::new(11).unwrap();
    let lo = T::dscalar("lo");
    let u = s.uniform([4], &lo, 2.0).unwrap();
    let e = grad(&T::sum(&u), std::slice::from_ref(&lo))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("No gradient defined through raw random numbers op"),
        "{e}"
    );
    let w = T::dvector("w");
    let v = s.uniform([4], 0.0, 1.0).unwrap();
    let g = grad(&T::sum(&(&v * &w)), std::slice::from_ref(&w)).unwrap();
    let f = compile(&[&w], vec![v.clone(), g[0].clone()])
        .build()
        .unwrap();
    let out = f.call(&[Tensor::from(vec![1.0, 2.0, 3.0, 4.0])]).unwrap();
    assert_eq!(out[0].to_f64_vec(), out[1].to_f64_vec());
}

/// A size no allocator can give is a typed error naming the node built on the user's line,
/// never an abort: for every draw of both generators.
#[test]
fn sizes_too_big_are_refused() {
    use theano::sandbox::rng_mrg::MRG_RandomStreams;
    use theano::tensor::shared_randomstreams::Dim;
    let n = T::lscalar("n");
    let s = RandomStreams::new(3).unwrap();
    let m = MRG_RandomStreams::new(3).unwrap();
    let size = || vec![Dim::from(&n)];
    let draws = [
        s.uniform(size(), 0.0, 1.0).unwrap(),
        s.normal(size(), 0.0, 1.0).unwrap(),
        s.binomial(size(), 3i64, 0.5).unwrap(),
        s.random_integers(size(), 0i64, 9i64).unwrap(),
        s.permutation(Vec::<Dim>::new(), &n).unwrap(),
        s.permutation(vec![Dim::from(1i64 << 40)], 1i64 << 40)
            .unwrap(),
        m.uniform(vec![theano::sandbox::rng_mrg::Dim::from(&n)], 0.0, 1.0)
            .unwrap(),
    ];
    for d in &draws {
        let f = compile(&[&n], d)
            .on_unused_input(theano::OnUnused::Ignore)
            .build()
            .unwrap();
        for big in [1i64 << 40, 1 << 62] {
            let e = f
                .call(&[Tensor::scalar(big).cast(DType::Int64)])
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("cannot allocate")
                    || e.contains("too many")
                    || e.contains("does not support more than"),
                "{e}"
            );
            assert!(e.contains("Node built at: tests/random_shared.rs"), "{e}");
        }
    }
}
