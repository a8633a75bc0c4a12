//! `theano.tensor.nnet.neighbours` (`images2neibs`, `neibs2images`) against the real Theano
//! 1.0.5 (tests/neighbours/neighbours.json, written by tests/neighbours/gen.py): values and
//! gradients on the interpreter, the JIT and the emulated GPU, debugprints, refusals;
//! verify_grad; the text form; shapes.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::nnet::neighbours::{images2neibs, neibs2images};
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, recorded_inputs_named, tensor_of_json, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/neighbours/neighbours.json"))
}

fn ints(j: &Json) -> Variable {
    let v: Vec<i64> = usizes(j).into_iter().map(|k| k as i64).collect();
    T::constant(v)
}

fn build(c: &Json, x: &Variable) -> Variable {
    let name = c["name"].as_str().unwrap();
    let mode = c["mode"].as_str().unwrap();
    if name == "docstring_round_trip" {
        let n = images2neibs(x, T::constant([5i64, 5]), None, mode).unwrap();
        return neibs2images(&n, T::constant([5i64, 5]), x.shape(), mode).unwrap();
    }
    if name.starts_with("neibs2images") {
        return neibs2images(x, ints(&c["shape"]), ints(&c["original"]), mode).unwrap();
    }
    let step = (!c["step"].is_null()).then(|| ints(&c["step"]));
    images2neibs(x, ints(&c["shape"]), step, mode).unwrap()
}

/// Every recorded case: the patches (exactly) and the gradients of `sum(out * W)` are
/// Theano's on every backend, and the graphs print as Theano's.
#[test]
fn values_gradients_and_printing_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 16);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (vars, vals) = recorded_inputs_named(c, &["x"]);
        let out = build(c, &vars[0]);
        assert_eq!(
            theano::debugprint(std::slice::from_ref(&out)),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
        let mut all = vec![out.clone()];
        let has_grad = c.get("grads").is_some();
        if has_grad {
            let w = Variable::constant_bounded(tensor_of_json(&c["weights"]));
            all.extend(grad(&T::sum(&out * w), &vars).unwrap());
        }
        let refs: Vec<&Variable> = vars.iter().collect();
        let tol = if vals[0].dtype() == DType::Float32 {
            1e-6
        } else {
            1e-14
        };
        for (l, got) in common::run_every_linker(&refs, &all, &vals)
            .iter()
            .enumerate()
        {
            close_to_json(
                &got[0],
                &c["outputs"][0],
                0.0,
                &format!("{name} output (linker {l})"),
            );
            if has_grad {
                close_to_json(
                    &got[1],
                    &c["grads"][0],
                    tol,
                    &format!("{name} gradient (linker {l})"),
                );
            }
        }
    }
}

/// Theano's refusals, when the node is built, when its gradient is asked for, and when the
/// function runs.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let msg = |k: &str| e[k]["msg"].as_str().unwrap().to_string();
    let check = |got: String, key: &str| {
        let want = msg(key);
        assert!(got.contains(want.trim()), "{key}: {got} (Theano: {want})");
    };
    let x4 = T::dtensor4("x");
    let two = || T::constant([2i64, 2]);
    let err = |r: theano::ir::Result<Variable>| r.expect_err("refused").to_string();
    check(err(images2neibs(&x4, two(), None, "foo")), "bad_mode");
    // Theano's is a bare assertion; ours names the argument
    assert_eq!(e["matrix_input"]["type"], "AssertionError");
    let got = err(images2neibs(T::dmatrix("m"), two(), None, "valid"));
    assert!(got.contains("ten4 must be a 4-d tensor"), "{got}");
    let got = err(images2neibs(&x4, T::constant([2.0, 2.0]), None, "valid"));
    assert!(
        got.contains("neib_shape must be an integer vector"),
        "{got}"
    );
    check(
        err(neibs2images(
            T::dmatrix("n"),
            two(),
            T::constant([1i64, 1, 4, 4]),
            "half",
        )),
        "neibs2images_half",
    );
    // gradients Theano does not implement; the message names the op and the input as its
    for mode in ["half", "full", "wrap_centered"] {
        let n = images2neibs(
            &x4,
            T::constant([3i64, 3]),
            Some(T::constant([1i64, 1])),
            mode,
        )
        .unwrap();
        let got = grad(&T::sum(&n), std::slice::from_ref(&x4))
            .unwrap_err()
            .to_string();
        let want = msg(&format!("grad_{mode}"));
        let core = want
            .split("because ")
            .nth(1)
            .unwrap()
            .trim()
            .trim_end_matches('.');
        assert!(got.contains(core), "{mode}: {got} (Theano: {want})");
    }
    let n = images2neibs(&x4, two(), Some(T::constant([1i64, 1])), "ignore_borders").unwrap();
    let got = grad(&T::sum(&n), std::slice::from_ref(&x4))
        .unwrap_err()
        .to_string();
    assert!(
        got.contains("of the Images2Neibs{ignore_borders} op is not implemented"),
        "{got}"
    );
    // run-time checks, on every backend
    let runs: [(&str, [i64; 2], Option<[i64; 2]>, &str, [usize; 4]); 9] = [
        (
            "valid_inconsistent_rows",
            [2, 2],
            None,
            "valid",
            [1, 1, 5, 4],
        ),
        (
            "valid_inconsistent_cols",
            [2, 2],
            None,
            "valid",
            [1, 1, 4, 5],
        ),
        ("valid_too_small", [3, 3], None, "valid", [1, 1, 2, 6]),
        (
            "half_inconsistent",
            [3, 3],
            Some([2, 2]),
            "half",
            [1, 1, 4, 5],
        ),
        (
            "full_inconsistent",
            [2, 2],
            Some([2, 2]),
            "full",
            [1, 1, 3, 3],
        ),
        ("wrap_even", [2, 3], None, "wrap_centered", [1, 1, 4, 4]),
        ("wrap_small", [5, 3], None, "wrap_centered", [1, 1, 4, 4]),
        ("step_zero", [2, 2], Some([0, 1]), "valid", [1, 1, 4, 4]),
        (
            "shape_zero",
            [0, 2],
            Some([1, 1]),
            "ignore_borders",
            [1, 1, 4, 4],
        ),
    ];
    for (key, shape, step, mode, xshape) in runs {
        let out = images2neibs(&x4, T::constant(shape), step.map(T::constant), mode).unwrap();
        for linker in [theano::LinkerKind::Interp, theano::LinkerKind::Jit] {
            let f = theano::compile(&[&x4], out.clone())
                .mode(theano::Mode {
                    linker,
                    ..Default::default()
                })
                .build()
                .unwrap();
            let got = f
                .call(&[Tensor::zeros(DType::Float64, &xshape)])
                .unwrap_err()
                .to_string();
            check(got, key);
        }
    }
}

/// Gradients by finite differences (the disjoint windows' `neibs2images`, the loop of
/// overlapping windows, `neibs2images` itself), and a second derivative.
#[test]
fn gradients_by_finite_differences() {
    assert!(
        corpus()["errors"]["neibs2images_ignore_borders_grad"]["msg"]
            .as_str()
            .unwrap()
            .contains("You cannot drop a non-broadcastable dimension")
    );
    let mut rng = Rng::new(17);
    let opts = VerifyGradOptions {
        seed: 3,
        ..Default::default()
    };
    let img = rng.tensor(DType::Float64, &[2, 1, 4, 6], -1.0, 1.0);
    let odd = rng.tensor(DType::Float64, &[1, 2, 5, 7], -1.0, 1.0);
    let neibs = rng.tensor(DType::Float64, &[12, 4], -1.0, 1.0);
    type F = Box<dyn Fn(&[Variable]) -> Variable>;
    let cases: Vec<(&str, F, Vec<Tensor>)> = vec![
        (
            "valid, disjoint",
            Box::new(|i| images2neibs(&i[0], T::constant([2i64, 3]), None, "valid").unwrap()),
            vec![img.clone()],
        ),
        (
            "valid, overlapping",
            Box::new(|i| {
                images2neibs(
                    &i[0],
                    T::constant([3i64, 2]),
                    Some(T::constant([1i64, 2])),
                    "valid",
                )
                .unwrap()
            }),
            vec![img.clone()],
        ),
        (
            "ignore_borders",
            Box::new(|i| {
                images2neibs(&i[0], T::constant([2i64, 2]), None, "ignore_borders").unwrap()
            }),
            vec![odd.clone()],
        ),
        (
            "neibs2images",
            Box::new(|i| {
                neibs2images(
                    &i[0],
                    T::constant([2i64, 2]),
                    T::constant([1i64, 3, 4, 4]),
                    "valid",
                )
                .unwrap()
            }),
            vec![neibs.clone()],
        ),
        (
            // Theano 1.0.5 cannot differentiate this one (its graph fails with "You cannot
            // drop a non-broadcastable dimension"); the gradient here is the patches'
            "neibs2images, ignore_borders",
            Box::new(|i| {
                neibs2images(
                    &i[0],
                    T::constant([2i64, 2]),
                    T::constant([1i64, 2, 5, 7]),
                    "ignore_borders",
                )
                .unwrap()
            }),
            vec![neibs.clone()],
        ),
        (
            "d2 of squared patches",
            Box::new(|i| {
                let n = images2neibs(&i[0], T::constant([2i64, 2]), None, "valid").unwrap();
                grad(&T::sum(T::sqr(&n) * &n), &i[..1]).unwrap().remove(0)
            }),
            vec![img.clone()],
        ),
    ];
    for (name, f, points) in cases {
        verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The text form writes `Images2Neibs{mode}` and reads it back; a bad mode is refused.
#[test]
fn the_text_form_round_trips() {
    let x = T::dtensor4("x");
    let outs: Vec<Variable> = ["valid", "half", "full", "wrap_centered", "ignore_borders"]
        .iter()
        .map(|m| images2neibs(&x, T::constant([3i64, 3]), None, m).unwrap())
        .collect();
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(std::slice::from_ref(&x), &outs).unwrap();
    let text = fg.to_text();
    for m in ["valid", "half", "full", "wrap_centered", "ignore_borders"] {
        assert!(
            text.contains(&format!("Images2Neibs{{{m}}}")),
            "{m}:\n{text}"
        );
    }
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    let bad = text.replacen("Images2Neibs{half}", "Images2Neibs{quarter}", 1);
    assert!(theano::ir::fgraph::FunctionGraph::parse(&bad).is_err());
}

/// The shape the optimizer sees is the computed one, in every mode.
#[test]
fn shapes_are_the_computed_shapes() {
    let x = T::dtensor4("x");
    let img = Rng::new(2).tensor(DType::Float64, &[2, 3, 5, 5], -1.0, 1.0);
    for (mode, step) in [
        ("valid", [1i64, 1]),
        ("half", [1, 1]),
        ("full", [1, 1]),
        ("wrap_centered", [2, 2]),
        ("ignore_borders", [2, 2]),
    ] {
        let n = images2neibs(&x, T::constant([3i64, 3]), Some(T::constant(step)), mode).unwrap();
        let f = theano::function(&[&x], vec![n.clone(), n.shape()]).unwrap();
        let out = f.call(std::slice::from_ref(&img)).unwrap();
        let want: Vec<i64> = out[0].shape().iter().map(|&d| d as i64).collect();
        assert_eq!(out[1].to_i64_vec(), want, "{mode}");
    }
}
