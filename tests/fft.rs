//! `theano.tensor.fft` (`rfft`, `irfft`: `RFFTOp`, `IRFFTOp`) against the real Theano 1.0.5
//! (tests/fft/fft.json, written by tests/fft/gen.py): values and gradients on every backend,
//! debugprints, refusals; verify_grad; the text form.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::fft;
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, recorded_inputs_named, tensor_of_json};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/fft/fft.json"))
}

fn build(c: &Json, x: &Variable) -> Variable {
    let name = c["name"].as_str().unwrap();
    let norm = c["norm"].as_str();
    if name == "round_trip" {
        return fft::irfft(fft::rfft(x, None).unwrap(), None, false).unwrap();
    }
    if name.starts_with("rfft") {
        fft::rfft(x, norm).unwrap()
    } else {
        fft::irfft(x, norm, c["is_odd"].as_bool().unwrap()).unwrap()
    }
}

/// Every recorded case: values and the gradients of `sum(out * W)` to 1e-12 (float32 1e-5)
/// on every backend; the graphs print as Theano's.
#[test]
fn values_gradients_and_printing_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (vars, vals) = recorded_inputs_named(c, &["x"]);
        let out = build(c, &vars[0]);
        assert_eq!(
            theano::debugprint(std::slice::from_ref(&out)),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
        let w = Variable::constant_bounded(tensor_of_json(&c["weights"]));
        let g = grad(&T::sum(&out * w), &vars).unwrap();
        let tol = if vals[0].dtype() == DType::Float32 {
            1e-5
        } else {
            1e-12
        };
        let all = vec![out, g[0].clone()];
        for (l, got) in common::run_every_linker(&[&vars[0]], &all, &vals)
            .iter()
            .enumerate()
        {
            close_to_json(
                &got[0],
                &c["outputs"][0],
                tol,
                &format!("{name} (linker {l})"),
            );
            close_to_json(
                &got[1],
                &c["grads"][0],
                tol,
                &format!("{name} gradient (linker {l})"),
            );
        }
    }
}

/// Theano's refusals.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let msg = |k: &str| e[k]["msg"].as_str().unwrap().to_string();
    let got = fft::rfft(T::dvector("v"), None).unwrap_err().to_string();
    assert!(got.contains(&msg("rfft_vector")), "{got}");
    let got = fft::irfft(T::dmatrix("m"), None, false)
        .unwrap_err()
        .to_string();
    assert!(got.contains(&msg("irfft_matrix")), "{got}");
    let got = fft::rfft(T::dmatrix("m"), Some("unitary"))
        .unwrap_err()
        .to_string();
    assert!(got.contains(&msg("bad_norm")), "{got}");
    let op = theano_extra::ops::op(theano_extra::Kind::Rfft);
    let got = T::apply_op(op, vec![T::dmatrix("m"), T::dvector("s")])
        .unwrap_err()
        .to_string();
    assert!(got.contains(&msg("float_s")), "{got}");
    // integer input is refused here (Theano's output would be truncated to integers)
    assert!(fft::rfft(T::lmatrix("i"), None).is_err());
}

/// Gradients by finite differences, and the round trip's.
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(13);
    let opts = VerifyGradOptions {
        seed: 4,
        ..Default::default()
    };
    let x = rng.tensor(DType::Float64, &[2, 3, 5], -1.0, 1.0);
    let z = rng.tensor(DType::Float64, &[2, 4, 3, 2], -1.0, 1.0);
    type F = Box<dyn Fn(&[Variable]) -> Variable>;
    let cases: Vec<(&str, F, Vec<Tensor>)> = vec![
        (
            "rfft",
            Box::new(|i| fft::rfft(&i[0], None).unwrap()),
            vec![x.clone()],
        ),
        (
            "rfft ortho",
            Box::new(|i| fft::rfft(&i[0], Some("ortho")).unwrap()),
            vec![x.clone()],
        ),
        (
            "irfft",
            Box::new(|i| fft::irfft(&i[0], None, false).unwrap()),
            vec![z.clone()],
        ),
        (
            "irfft odd",
            Box::new(|i| fft::irfft(&i[0], Some("ortho"), true).unwrap()),
            vec![z.clone()],
        ),
    ];
    for (name, f, points) in cases {
        verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The text form writes both ops and reads them back.
#[test]
fn the_text_form_round_trips() {
    let x = T::dtensor3("x");
    let y = fft::irfft(fft::rfft(&x, Some("ortho")).unwrap(), Some("ortho"), false).unwrap();
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(std::slice::from_ref(&x), &[y]).unwrap();
    let text = fg.to_text();
    assert!(
        text.contains("RFFTOp(") && text.contains("IRFFTOp("),
        "{text}"
    );
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
}
