//! `MRG_RandomStreams` against the real Theano 1.0.5 (tests/random/mrg.json, written by
//! tests/random/gen.py): the same seed gives the same samples, call after call, the same
//! stream states and the same printed graphs; seeds and sizes Theano refuses are refused;
//! default updates and `no_default_updates`; gradients; every linker (interpreter, JIT,
//! the emulated GPU).

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::sandbox::rng_mrg::{Dim, Draw, MrgRandomStreams, RandomError, Seed};
use theano::tensor as T;
use theano::{compile, debugprint, grad, pp, DType, LinkerKind, Mode, Tensor, Variable};
use theano_cuda::emulated::EmuLinker;

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/random/mrg.json"
        ))
        .expect("tests/random/mrg.json");
        serde_json::from_str(&text).expect("valid JSON")
    })
}

fn case(name: &str) -> &'static Json {
    corpus()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// A recorded array: dtype, shape, values.
fn array(j: &Json) -> (String, Vec<usize>, Vec<f64>) {
    (
        j["dtype"].as_str().unwrap().to_string(),
        j["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect(),
        j["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect(),
    )
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Exact {
    /// bit for bit
    Bits,
    /// within a relative tolerance (the graph's log, sqrt, cos, sin are ours, not libm's)
    Rtol(f64),
    /// float32 samples: within one float32 ulp (Theano's Python `perform` rounds through
    /// float64, its C and GPU code in float32, which this follows)
    F32Ulp,
}

fn check(got: &Tensor, want: &Json, exact: Exact, what: &str) {
    let (dtype, shape, data) = array(want);
    assert_eq!(got.dtype().name(), dtype, "{what}: dtype");
    assert_eq!(got.shape(), shape.as_slice(), "{what}: shape");
    let g = got.to_f64_vec();
    for (i, (&a, &b)) in g.iter().zip(&data).enumerate() {
        let ok = match exact {
            Exact::Bits => a.to_bits() == b.to_bits(),
            Exact::Rtol(r) => (a - b).abs() <= r * b.abs().max(1e-300),
            Exact::F32Ulp => {
                let (a, b) = (a as f32, b as f32);
                (a.to_bits() as i64 - b.to_bits() as i64).abs() <= 1
            }
        };
        assert!(
            ok,
            "{what}: element {i}: {a:?} vs Theano's {b:?} ({exact:?})"
        );
    }
}

/// The stream states Theano recorded after the calls: the whole matrix, or its length,
/// first and last rows and sum.
fn check_rstate(got: &Tensor, want: &Json, what: &str) {
    let g = got.to_i64_vec();
    if let Some(w) = want.get("whole") {
        check(got, w, Exact::Bits, what);
        return;
    }
    let rows = want["rows"].as_u64().unwrap() as usize;
    assert_eq!(got.shape(), &[rows, 6], "{what}");
    let first = array(&want["first"]).2;
    let last = array(&want["last"]).2;
    let row = |r: usize| {
        g[r * 6..r * 6 + 6]
            .iter()
            .map(|&v| v as f64)
            .collect::<Vec<_>>()
    };
    assert_eq!(row(0), first, "{what}: first row");
    assert_eq!(row(rows - 1), last, "{what}: last row");
    assert_eq!(
        g.iter().sum::<i64>(),
        want["sum"].as_i64().unwrap(),
        "{what}: sum"
    );
}

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

fn d(dtype: DType) -> Draw {
    Draw {
        dtype: Some(dtype),
        ..Draw::default()
    }
}

/// gen.py's `PVALS[:rows]`: a constant matrix of probabilities, one distribution per row.
fn pvals(rows: usize) -> Variable {
    let all = [
        0.1, 0.2, 0.7, 0.5, 0.25, 0.25, 0.3, 0.3, 0.4, 0.9, 0.05, 0.05,
    ];
    T::try_constant(Tensor::from_shape_vec(&[rows, 3], all[..rows * 3].to_vec()).unwrap()).unwrap()
}

/// Builds a recorded case's draws with the Rust API, as gen.py builds them.
fn build(name: &str, s: &MrgRandomStreams) -> (Vec<Variable>, Exact) {
    let bits = Exact::Bits;
    let normal = Exact::Rtol(1e-13);
    match name {
        "uniform_2x3" => (vec![s.uniform([2, 3], 0.0, 1.0).unwrap()], bits),
        "uniform_low_high" => (vec![s.uniform([4, 5], -2.0, 3.0).unwrap()], bits),
        "uniform_f32" => (
            vec![s.uniform_with([3, 7], 0.0, 1.0, d(DType::Float32)).unwrap()],
            Exact::F32Ulp,
        ),
        "uniform_vector_13" => (vec![s.uniform([13], 0.0, 1.0).unwrap()], bits),
        "uniform_nstreams_3" => {
            let draw = Draw {
                nstreams: Some(3),
                ..Draw::default()
            };
            (vec![s.uniform_with([2, 5], 0.0, 1.0, draw).unwrap()], bits)
        }
        "uniform_seed6" => (vec![s.uniform([2, 2], 0.0, 1.0).unwrap()], bits),
        "two_draws" => (
            vec![
                s.uniform([3], 0.0, 1.0).unwrap(),
                s.uniform([2, 2], 0.0, 1.0).unwrap(),
            ],
            bits,
        ),
        "normal_3x3" => (vec![s.normal([3, 3], 0.0, 1.0).unwrap()], normal),
        "normal_avg_std" => (vec![s.normal([2, 4], 1.5, 0.5).unwrap()], normal),
        "normal_f32" => {
            let draw = d(DType::Float32);
            let n = s.normal_with([5], 0.0, 1.0, draw, false).unwrap();
            (vec![n], Exact::Rtol(1e-6))
        }
        "binomial" => (vec![s.binomial([3, 4], 1, 0.3).unwrap()], bits),
        "binomial_f32" => (
            vec![s.binomial_with([6], 1, 0.5, d(DType::Float32)).unwrap()],
            bits,
        ),
        "truncated_normal" => (vec![s.truncated_normal([40], 0.0, 1.0).unwrap()], normal),
        "multinomial" => (vec![s.multinomial(pvals(4), 1).unwrap()], bits),
        "multinomial_n3" => (vec![s.multinomial(pvals(2), 3).unwrap()], bits),
        "choice_2" => (vec![s.choice(2i64, pvals(4)).unwrap()], bits),
        "choice_4_of_5" => {
            let pv5 = [
                0.1, 0.2, 0.3, 0.2, 0.2, 0.05, 0.05, 0.4, 0.3, 0.2, 0.5, 0.1, 0.1, 0.1, 0.2,
            ];
            let p = T::try_constant(Tensor::from_shape_vec(&[3, 5], pv5.to_vec()).unwrap());
            (vec![s.choice(4i64, p.unwrap()).unwrap()], bits)
        }
        "choice_f32" => {
            let pv5 = [
                0.1f32, 0.2, 0.3, 0.2, 0.2, 0.05, 0.05, 0.4, 0.3, 0.2, 0.5, 0.1, 0.1, 0.1, 0.2,
            ];
            let p = T::try_constant(Tensor::from_shape_vec(&[3, 5], pv5.to_vec()).unwrap());
            (vec![s.choice(3i64, p.unwrap()).unwrap()], bits)
        }
        "multinomial_float64" => (
            vec![s.multinomial_with(pvals(4), 1, d(DType::Float64)).unwrap()],
            bits,
        ),
        other => panic!("no builder for case {other}"),
    }
}

fn seed_of(c: &Json) -> Seed {
    match &c["seed"] {
        Json::Array(w) => {
            let w: Vec<i64> = w.iter().map(|v| v.as_i64().unwrap()).collect();
            Seed::Six(w.try_into().unwrap())
        }
        v => Seed::One(v.as_i64().unwrap()),
    }
}

/// Every recorded case, on the interpreter and on the JIT: two calls give Theano's two
/// samples (the default updates advance the streams), then the stream states and the
/// generator's next start are Theano's.
#[test]
fn samples_and_states_are_theanos() {
    let names: Vec<&str> = corpus()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .filter(|n| *n != "uniform_symbolic_size")
        .collect();
    assert!(names.len() >= 13);
    for linker in [LinkerKind::Interp, LinkerKind::Jit] {
        for name in &names {
            let c = case(name);
            let s = MrgRandomStreams::new(seed_of(c)).unwrap();
            let (outs, exact) = build(name, &s);
            let f = compile(&[], outs).mode(mode(linker)).build().unwrap();
            for (k, want) in c["calls"].as_array().unwrap().iter().enumerate() {
                let got = f.call(&[]).unwrap();
                for (j, (g, w)) in got.iter().zip(want.as_array().unwrap()).enumerate() {
                    check(
                        g,
                        w,
                        exact,
                        &format!("{name} ({linker:?}) call {k} output {j}"),
                    );
                }
            }
            let ups = s.state_updates();
            let want = c["rstates"].as_array().unwrap();
            assert_eq!(ups.len(), want.len(), "{name}: draws");
            for (u, w) in ups.iter().zip(want) {
                check_rstate(&u.rstate.get_value().unwrap(), w, &format!("{name} states"));
            }
            let next: Vec<f64> = s.rstate().iter().map(|&v| v as f64).collect();
            assert_eq!(next, array(&c["next_rstate"]).2, "{name}: next start");
        }
    }
}

/// A symbolic size (`x.shape`): Theano cannot guess a stream count and uses 60 * 256.
#[test]
fn a_symbolic_size_uses_15360_streams() {
    let c = case("uniform_symbolic_size");
    let s = MrgRandomStreams::new(99).unwrap();
    let x = T::dmatrix("x");
    let u = s.uniform(T::shape(&x), 0.0, 1.0).unwrap();
    assert_eq!(u.ty().to_string(), "TensorType(float64, matrix)");
    let f = compile(&[&x], &u).build().unwrap();
    let xv = Tensor::zeros(DType::Float64, &[3, 4]);
    for (k, want) in c["calls"].as_array().unwrap().iter().enumerate() {
        let got = f.call(std::slice::from_ref(&xv)).unwrap();
        check(&got[0], &want[0], Exact::Bits, &format!("call {k}"));
    }
    check_rstate(
        &s.state_updates()[0].rstate.get_value().unwrap(),
        &c["rstates"][0],
        "states",
    );
    // an unknown length needs ndim; with it, the draw's rank is ndim
    let v = T::lvector("v");
    let e = s.uniform(&v, 0.0, 1.0).unwrap_err();
    assert!(e.to_string().contains("give ndim"), "{e}");
    let u3 = s
        .uniform_with(
            &v,
            0.0,
            1.0,
            Draw {
                ndim: Some(3),
                ..Draw::default()
            },
        )
        .unwrap();
    assert_eq!(u3.ndim(), 3);
    let f = compile(&[&v], &u3).build().unwrap();
    let out = f.call(&[Tensor::from(vec![2i64, 1, 3])]).unwrap();
    assert_eq!(out[0].shape(), &[2, 1, 3]);
    // a mixed tuple: a known length and a scalar variable
    let n = T::lscalar("n");
    let u = s
        .uniform(vec![Dim::Int(2), Dim::Var(n.clone())], 0.0, 1.0)
        .unwrap();
    let f = compile(&[&n], &u).build().unwrap();
    assert_eq!(f.call(&[Tensor::scalar(5i64)]).unwrap()[0].shape(), &[2, 5]);
}

/// `seed(77)` gives every draw fresh streams from 77; `seed(None)` those of the first seed.
#[test]
fn reseeding_restarts_every_draw() {
    let r = &corpus()["reseed"];
    let s = MrgRandomStreams::new(234).unwrap();
    let u = s.uniform([2, 3], 0.0, 1.0).unwrap();
    let f = compile(&[], &u).build().unwrap();
    check(&f.call(&[]).unwrap()[0], &r["first"], Exact::Bits, "first");
    f.call(&[]).unwrap();
    s.seed(Some(Seed::One(77))).unwrap();
    check(
        &f.call(&[]).unwrap()[0],
        &r["after_seed_77"],
        Exact::Bits,
        "seed 77",
    );
    s.seed(None).unwrap();
    check(
        &f.call(&[]).unwrap()[0],
        &r["after_seed_default"],
        Exact::Bits,
        "seed again",
    );
    assert!(matches!(
        s.seed(Some(Seed::One(0))),
        Err(RandomError::Seed(_))
    ));
}

/// `no_default_updates`: the streams stay, so every call draws the same numbers; an
/// explicit update of the states wins over the default one; the list form excludes only
/// the variables named.
#[test]
fn default_updates_and_their_exclusions() {
    let nd = &corpus()["no_default_updates"];
    let s = MrgRandomStreams::new(234).unwrap();
    let u = s.uniform([2], 0.0, 1.0).unwrap();
    let g = compile(&[], &u).no_default_updates(true).build().unwrap();
    for (k, want) in nd["calls"].as_array().unwrap().iter().enumerate() {
        check(
            &g.call(&[]).unwrap()[0],
            want,
            Exact::Bits,
            &format!("call {k}"),
        );
    }
    let st = s.state_updates()[0].clone();
    let before = st.rstate.get_value().unwrap();
    let f = compile(&[], &u)
        .no_default_updates_for(&[&st.rstate])
        .build()
        .unwrap();
    let a = f.call(&[]).unwrap();
    let b = f.call(&[]).unwrap();
    assert_eq!(a[0].to_f64_vec(), b[0].to_f64_vec());
    assert_eq!(
        st.rstate.get_value().unwrap().to_i64_vec(),
        before.to_i64_vec()
    );
    // an explicit update replaces the default one: here it keeps the states as they are
    let f = compile(&[], &u)
        .updates([(st.rstate.clone(), st.rstate.clone())])
        .build()
        .unwrap();
    f.call(&[]).unwrap();
    assert_eq!(
        st.rstate.get_value().unwrap().to_i64_vec(),
        before.to_i64_vec()
    );
    // the default: the states advance
    let f = compile(&[], &u).build().unwrap();
    let x = f.call(&[]).unwrap();
    let y = f.call(&[]).unwrap();
    assert_ne!(x[0].to_f64_vec(), y[0].to_f64_vec());
    assert_ne!(
        st.rstate.get_value().unwrap().to_i64_vec(),
        before.to_i64_vec()
    );
    // a default update reaches the shared variables of an explicit update's graph too
    let acc = theano::shared_named(0.0f64, "acc");
    let t = T::sum(&u);
    let f = compile(&[], Vec::<Variable>::new())
        .updates([(acc.clone(), &acc + &t)])
        .build()
        .unwrap();
    let s0 = st.rstate.get_value().unwrap().to_i64_vec();
    f.call(&[]).unwrap();
    assert_ne!(st.rstate.get_value().unwrap().to_i64_vec(), s0);
}

/// `set_default_update` checks the type; a default update is held weakly, so the streams
/// and their samples do not keep one another alive.
#[test]
fn default_updates_are_typed_and_free_their_graphs() {
    let w = theano::shared_named(vec![1.0f64, 2.0], "w");
    let e = w
        .set_default_update(Some(&T::cast(&w, DType::Float32)))
        .unwrap_err();
    assert!(e.contains("has type TensorType(float32, vector)"), "{e}");
    let x = T::dscalar("x");
    assert!(x
        .set_default_update(Some(&x))
        .unwrap_err()
        .contains("not a shared variable"));
    let doubled = &w * 2.0;
    w.set_default_update(Some(&doubled)).unwrap();
    let f = compile(&[], T::sum(&w)).build().unwrap();
    assert_eq!(f.call(&[]).unwrap()[0].to_f64_vec(), vec![3.0]);
    assert_eq!(w.get_value().unwrap().to_f64_vec(), vec![2.0, 4.0]);
    drop(f);
    drop(doubled);
    assert!(
        w.default_update().is_none(),
        "the expression is gone with its last handle"
    );
    // streams, their draws and their states are freed together
    let s = MrgRandomStreams::new(5).unwrap();
    let u = s.normal([3], 0.0, 1.0).unwrap();
    let cell = std::sync::Arc::downgrade(s.state_updates()[0].rstate.shared_cell().unwrap());
    drop(u);
    drop(s);
    assert!(
        cell.upgrade().is_none(),
        "a cycle keeps the stream states alive"
    );
}

/// What Theano refuses, refused with its reasons.
#[test]
fn refusals_are_theanos() {
    let errs = &corpus()["errors"];
    let msg = |k: &str| errs[k].as_str().unwrap().to_string();
    let e = MrgRandomStreams::new(0).err().unwrap().to_string();
    assert!(
        msg("seed_0").contains("seed should not be 0") && e.contains("seed should not be 0"),
        "{e}"
    );
    let e = MrgRandomStreams::new(2147462579i64)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("seed should be less than 2147462579"), "{e}");
    let e = MrgRandomStreams::new([0, 0, 0, 1, 2, 3])
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg("seed_first_zero").contains("first 3 values")
            && e.contains("The first 3 values of seed should not be all 0"),
        "{e}"
    );
    let s = MrgRandomStreams::new(3).unwrap();
    let e = s.uniform([2, 0], 0.0, 1.0).unwrap_err().to_string();
    assert!(
        e.contains("The specified size contains a dimension with value <= 0"),
        "{e}"
    );
    assert!(msg("size_zero").contains("The specified size contains a dimension with value <= 0"));
    let e = s.binomial([2], 2, 0.5).unwrap_err();
    assert!(matches!(e, RandomError::NotImplemented(_)));
    assert!(msg("binomial_n2").contains(&e.to_string()), "{e}");
    let e = s.normal([2, -1], 0.0, 1.0).unwrap_err().to_string();
    assert!(e.contains("Non-positive dimensions"), "{e}");
    let e = s
        .uniform_with([2], 0.0, 1.0, d(DType::Int32))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not int32"), "{e}");
    // multinomial: Theano's refusals (it takes no size; ndim and 3-d pvals refused)
    let e = s
        .multinomial_with(
            pvals(1),
            1,
            Draw {
                ndim: Some(2),
                ..Draw::default()
            },
        )
        .unwrap_err()
        .to_string();
    assert!(
        msg("multinomial_ndim").ends_with(&e.replace("multinomial: ", "")),
        "{e}"
    );
    let cube = T::try_constant(Tensor::full(DType::Float64, &[2, 2, 2], 1.0)).unwrap();
    let e = s.multinomial(cube, 1).unwrap_err();
    assert!(matches!(e, RandomError::NotImplemented(_)));
    assert!(msg("multinomial_3d").ends_with(&e.to_string()), "{e}");
    assert!(msg("multinomial_size").contains("does not use the size argument"));
    let e = s
        .multinomial(T::lmatrix("counts"), 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("pvals must be probabilities"), "{e}");
    let e = s.multinomial(pvals(1), -1).unwrap_err().to_string();
    assert!(e.contains("must not be negative"), "{e}");
    // choice: only without replacement, ndim and 3-d p refused, as Theano
    let e = s
        .choice_with(2i64, pvals(4), true, Draw::default())
        .unwrap_err();
    assert!(msg("choice_replace").ends_with(&e.to_string()), "{e}");
    let nd = Draw {
        ndim: Some(1),
        ..Draw::default()
    };
    let e = s
        .choice_with(2i64, pvals(4), false, nd)
        .unwrap_err()
        .to_string();
    assert!(
        msg("choice_ndim").ends_with(&e.replace("choice: ", "")),
        "{e}"
    );
    let cube = T::try_constant(Tensor::full(DType::Float64, &[2, 2, 2], 1.0)).unwrap();
    let e = s.choice(1i64, cube).unwrap_err();
    assert!(msg("choice_3d").ends_with(&e.to_string()), "{e}");
    // more draws than outcomes: refused when run, naming the node
    let k = T::lscalar("k");
    let c = s.choice(&k, pvals(2)).unwrap();
    let f = compile(&[&k], &c).build().unwrap();
    let e = f.call(&[Tensor::scalar(4i64)]).unwrap_err().to_string();
    assert!(e.contains("Cannot sample without replacement"), "{e}");
    let m = T::dmatrix("m");
    let e = s.uniform(&m, 0.0, 1.0).unwrap_err().to_string();
    assert!(e.contains("integer vector"), "{e}");
    // at run time: a negative length from a symbolic size names it
    let n = T::lscalar("n");
    let u = s.uniform(vec![Dim::Var(n.clone())], 0.0, 1.0).unwrap();
    let f = compile(&[&n], &u).build().unwrap();
    let e = f.call(&[Tensor::scalar(-3i64)]).unwrap_err().to_string();
    assert!(e.contains("size[0] is -3"), "{e}");
    // the states keep their value after a failed call
    assert_eq!(f.call(&[Tensor::scalar(2i64)]).unwrap()[0].shape(), &[2]);
}

/// The graphs print as Theano's.
#[test]
fn graphs_print_as_theanos() {
    let p = &corpus()["printing"];
    let s = MrgRandomStreams::new(234).unwrap();
    let u = s.uniform([2, 3], 0.0, 1.0).unwrap();
    assert_eq!(
        debugprint(std::slice::from_ref(&u)),
        p["debugprint_uniform"].as_str().unwrap()
    );
    assert_eq!(pp(&u), p["pp_uniform"].as_str().unwrap());
    let m = s.multinomial(T::dmatrix("p"), 2).unwrap();
    assert_eq!(
        debugprint(std::slice::from_ref(&m)),
        p["debugprint_multinomial"].as_str().unwrap()
    );
    let c = s.choice(3i64, T::dmatrix("p")).unwrap();
    assert_eq!(
        debugprint(std::slice::from_ref(&c)),
        p["debugprint_choice"].as_str().unwrap()
    );
}

/// No gradient flows through sampling: through `low` it is an error; a cost that only reads
/// a sample has the sample as its gradient with respect to what multiplies it.
#[test]
fn gradients_stop_at_the_samples() {
    let s = MrgRandomStreams::new(11).unwrap();
    let lo = T::dscalar("lo");
    let u = s.uniform([4], &lo, 2.0).unwrap();
    let e = grad(&T::sum(&u), std::slice::from_ref(&lo))
        .unwrap_err()
        .to_string();
    assert!(e.to_lowercase().contains("undefined"), "{e}");
    let w = T::dvector("w");
    let v = s.uniform([4], 0.0, 1.0).unwrap();
    let g = grad(&T::sum(&(&v * &w)), std::slice::from_ref(&w)).unwrap();
    let f = compile(&[&w], vec![v.clone(), g[0].clone()])
        .build()
        .unwrap();
    let out = f.call(&[Tensor::from(vec![1.0, 2.0, 3.0, 4.0])]).unwrap();
    assert_eq!(out[0].to_f64_vec(), out[1].to_f64_vec());
}

/// On the emulated GPU the sampling op runs through the interpreter fallback, its states
/// stay a shared variable there, and the samples are the CPU's.
#[test]
fn the_gpu_runtime_draws_the_same_numbers() {
    let cpu_s = MrgRandomStreams::new(42).unwrap();
    let gpu_s = MrgRandomStreams::new(42).unwrap();
    let draw = |s: &MrgRandomStreams| {
        vec![
            s.uniform([5, 3], -1.0, 1.0).unwrap(),
            s.normal([7], 2.0, 3.0).unwrap(),
            s.binomial([8], 1, 0.25).unwrap(),
        ]
    };
    let cpu = compile(&[], draw(&cpu_s)).build().unwrap();
    let gpu = compile(&[], draw(&gpu_s))
        .linker(Box::new(EmuLinker::default()))
        .build()
        .unwrap();
    for _ in 0..3 {
        let (a, b) = (cpu.call(&[]).unwrap(), gpu.call(&[]).unwrap());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.shape(), y.shape());
            for (p, q) in x.to_f64_vec().iter().zip(y.to_f64_vec()) {
                assert!((p - q).abs() <= 1e-12 * (1.0 + p.abs()), "{p} vs {q}");
            }
        }
    }
    for (a, b) in cpu_s.state_updates().iter().zip(gpu_s.state_updates()) {
        assert_eq!(
            a.rstate.get_value().unwrap().to_i64_vec(),
            b.rstate.get_value().unwrap().to_i64_vec()
        );
    }
}

/// Dropout in a training step: the explicit updates of the weights and the default update
/// of the mask's streams are applied together, on every call; both linkers agree.
#[test]
fn dropout_training_applies_explicit_and_default_updates() {
    let run = |linker: LinkerKind| {
        let s = MrgRandomStreams::new(7).unwrap();
        let x = T::dmatrix("x");
        let y = T::dvector("y");
        let w = theano::shared_named(vec![0.0f64; 4], "w");
        let mask = s.binomial_with([3, 4], 1, 0.5, d(DType::Float64)).unwrap();
        let p = T::sigmoid(T::dot(&x * &mask, &w).unwrap());
        let cost = T::mean(T::sqr(&p - &y), None, false).unwrap();
        let g = grad(&cost, std::slice::from_ref(&w)).unwrap();
        let train = compile(&[&x, &y], &cost)
            .updates([(w.clone(), &w - &(&g[0] * 0.5))])
            .mode(mode(linker))
            .build()
            .unwrap();
        let xv =
            Tensor::from_shape_vec(&[3, 4], (0..12).map(|i| i as f64 * 0.1).collect()).unwrap();
        let yv = Tensor::from(vec![1.0, 0.0, 1.0]);
        let states0 = s.state_updates()[0]
            .rstate
            .get_value()
            .unwrap()
            .to_i64_vec();
        let costs: Vec<f64> = (0..4)
            .map(|_| train.call(&[xv.clone(), yv.clone()]).unwrap()[0].to_f64_vec()[0])
            .collect();
        let states = s.state_updates()[0]
            .rstate
            .get_value()
            .unwrap()
            .to_i64_vec();
        assert_ne!(states, states0, "the mask's streams advance");
        (costs, w.get_value().unwrap().to_f64_vec())
    };
    let (ci, wi) = run(LinkerKind::Interp);
    let (cj, wj) = run(LinkerKind::Jit);
    assert!(wi.iter().any(|&v| v != 0.0), "the weights are updated");
    for (a, b) in ci.iter().zip(&cj).chain(wi.iter().zip(&wj)) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + a.abs()), "{a} vs {b}");
    }
}
