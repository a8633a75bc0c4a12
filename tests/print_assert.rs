//! `theano.printing.Print` and `Assert` (`assert_op`, `bincount(assert_nonneg=True)`)
//! against the real Theano 1.0.5 (tests/printing/print_assert.json, written by
//! tests/printing/gen.py): the lines `Print` shows for each dtype and attribute, the
//! debugprints, the refusals; on the interpreter, the JIT and the emulated GPU; gradients,
//! the optimizer's handling, the text form.

use serde_json::Value as Json;
use std::sync::{Arc, Mutex, OnceLock};
use theano::printing::Print;
use theano::tensor as T;
use theano::{Tensor, TensorType, Variable};
use theano_grad::grad;

mod common;
use common::tensor_of_json;

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/printing/print_assert.json"))
}

/// A `Print` whose lines are collected.
fn capturing(message: &str, attrs: &[&str]) -> (Print, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let p = Print::new(message)
        .attrs(attrs)
        .unwrap()
        .global_fn("collect", move |l| sink.lock().unwrap().push(l.to_string()));
    (p, lines)
}

/// For every recorded value (each dtype, a scalar, a matrix, a long vector), `Print` shows
/// Theano's lines for every attribute, on every backend, each time the function runs.
#[test]
fn print_shows_theanos_lines() {
    for c in corpus()["prints"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let v = tensor_of_json(&c["value"]);
        let attrs: Vec<&str> = c["attrs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let want: Vec<String> = c["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let x = T::input(TensorType::with_ndim(v.dtype(), v.ndim()).unwrap(), "x");
        let (p, lines) = capturing("m", &attrs);
        let y = p.apply(&x).unwrap();
        let outs =
            common::run_every_linker(&[&x], std::slice::from_ref(&y), std::slice::from_ref(&v));
        let got = lines.lock().unwrap().clone();
        assert_eq!(got.len(), 3 * want.len(), "{name}: one set per backend");
        for (k, chunk) in got.chunks(want.len()).enumerate() {
            assert_eq!(chunk, &want[..], "{name} (backend {k})");
        }
        for o in outs {
            assert_eq!(
                o[0].to_f64_vec(),
                v.to_f64_vec(),
                "{name}: the value passes through"
            );
        }
    }
}

/// `Print` in the middle of a computation: it stays through the optimizer, shows the
/// intermediate value, and its gradient is the identity's.
#[test]
fn print_inside_a_graph_and_its_gradient() {
    let x = T::dvector("x");
    let (p, lines) = capturing("h", &["__str__", "shape"]);
    let h = p.apply(T::exp(&x)).unwrap();
    let cost = T::sum(&h * &h);
    let g = grad(&cost, std::slice::from_ref(&x)).unwrap().remove(0);
    let f = theano::function(&[&x], vec![cost, g]).unwrap();
    assert!(
        f.fgraph().to_text().contains("Print{"),
        "{}",
        f.fgraph().to_text()
    );
    let out = f.call(&[Tensor::from([0.0, 1.0])]).unwrap();
    let e = std::f64::consts::E;
    assert!((out[0].scalar_f64().unwrap() - (1.0 + e * e)).abs() < 1e-12);
    let gv = out[1].to_f64_vec();
    assert!(
        (gv[0] - 2.0).abs() < 1e-12 && (gv[1] - 2.0 * e * e).abs() < 1e-12,
        "{gv:?}"
    );
    // the forward Print runs once per call (the gradient reads its output)
    let got = lines.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1], "h shape = (2,)");
    assert!(got[0].starts_with("h __str__ = [1."), "{got:?}");
    // an unused Print is not computed, as in Theano
    let (p2, lines2) = capturing("unused", &["__str__"]);
    let _ = p2.apply(&x).unwrap();
    let f = theano::function(&[&x], T::sum(&x)).unwrap();
    f.call(&[Tensor::from([1.0])]).unwrap();
    assert!(lines2.lock().unwrap().is_empty());
}

/// The debugprints are Theano's (but for the Python function's address, which Theano
/// prints and a Rust function has not), the text form reads the default `Print` back and
/// refuses one whose function it cannot rebuild, and unknown attributes are refused.
#[test]
fn printing_and_text_form() {
    let dp = &corpus()["debugprints"];
    let x = T::dvector("x");
    let p = Print::new("hello").apply(&x).unwrap();
    let p2 = Print::new("it's")
        .attrs(&["shape", "min"])
        .unwrap()
        .apply(&x * 2i8)
        .unwrap();
    assert_eq!(
        theano::debugprint(&[p.clone(), p2.clone()]),
        dp["print"].as_str().unwrap()
    );
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(std::slice::from_ref(&x), &[p, p2])
        .unwrap();
    let text = fg.to_text();
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    let (custom, _) = capturing("c", &["__str__"]);
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(
        std::slice::from_ref(&x),
        &[custom.apply(&x).unwrap()],
    )
    .unwrap();
    let err = theano::ir::fgraph::FunctionGraph::parse(&fg.to_text())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("global_fn collect cannot be read back"),
        "{err}"
    );
    let err = Print::new("m").attrs(&["flags"]).unwrap_err().to_string();
    assert!(
        err.contains("'flags' is not an attribute Print can show"),
        "{err}"
    );
}

/// `Assert` passes its value when every condition holds and refuses with its message on
/// every backend when one does not; its debugprints are Theano's; the conditions carry no
/// gradient.
#[test]
fn assert_checks_and_refuses() {
    let dp = &corpus()["debugprints"];
    let errs = &corpus()["errors"];
    let x = T::dvector("x");
    let a = T::assert_op(&x, &[T::all(T::gt(&x, 0i8))]).unwrap();
    assert_eq!(
        theano::debugprint(std::slice::from_ref(&a)),
        dp["assert"].as_str().unwrap()
    );
    let a2 = T::assert_with(
        "custom message",
        &x,
        &[T::all(T::gt(&x, 0i8)), T::gt(T::sum(&x), 1i8)],
    )
    .unwrap();
    assert_eq!(
        theano::debugprint(std::slice::from_ref(&a2)),
        dp["assert_custom"].as_str().unwrap()
    );
    let ok = Tensor::from([1.0, 2.0]);
    for o in common::run_every_linker(&[&x], &[a.clone(), a2.clone()], std::slice::from_ref(&ok)) {
        assert_eq!(o[0].to_f64_vec(), vec![1.0, 2.0]);
        assert_eq!(o[1].to_f64_vec(), vec![1.0, 2.0]);
    }
    for mode in ["linker=py", "linker=cvm", "optimizer=None"] {
        let mode = theano::Mode::parse_flags(mode).unwrap();
        for (y, v, key) in [
            (&a, Tensor::from([-1.0, 2.0]), "default"),
            (&a2, Tensor::from([1.0, -2.0]), "custom"),
        ] {
            let f = theano::compile(&[&x], y.clone())
                .mode(mode.clone())
                .build()
                .unwrap();
            let e = f.call(&[v]).unwrap_err().to_string();
            let want = errs[key].as_str().unwrap();
            assert!(e.contains(&format!("AssertionError: {want}")), "{e}");
        }
    }
    let g = grad(&T::sum(&a2 * &a2), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    let f = theano::function(&[&x], g).unwrap();
    assert_eq!(f.call(&[ok]).unwrap()[0].to_f64_vec(), vec![2.0, 4.0]);
    // conditions must be integers or bools
    let e = T::assert_op(&x, std::slice::from_ref(&x))
        .unwrap_err()
        .to_string();
    assert!(e.contains("conditions are integer or bool tensors"), "{e}");
}

/// The optimizer drops conditions that are constants without a zero (Theano's
/// `local_remove_useless_assert`), and keeps the others.
#[test]
fn useless_asserts_are_removed() {
    let x = T::dvector("x");
    let truthy = Variable::constant_bounded(Tensor::from([1i64, 2]));
    let falsy = Variable::constant_bounded(Tensor::from([1i64, 0]));
    let f = theano::function(
        &[&x],
        T::assert_op(&x, std::slice::from_ref(&truthy)).unwrap(),
    )
    .unwrap();
    assert!(
        !f.fgraph().to_text().contains("Assert"),
        "{}",
        f.fgraph().to_text()
    );
    let live = T::all(T::gt(&x, 0i8));
    let f = theano::function(&[&x], T::assert_op(&x, &[truthy, live]).unwrap()).unwrap();
    let text = f.fgraph().to_text();
    assert_eq!(text.matches("Assert{").count(), 1, "{text}");
    assert!(f.call(&[Tensor::from([-1.0])]).is_err());
    let f = theano::function(&[&x], T::assert_op(&x, &[falsy]).unwrap()).unwrap();
    assert!(f.fgraph().to_text().contains("Assert{"));
    assert!(f.call(&[Tensor::from([1.0])]).is_err());
}

/// `bincount(x, assert_nonneg=True)` is Theano's graph, counts as Theano's and refuses a
/// negative value with Theano's message.
#[test]
fn bincount_asserts_nonnegative_input() {
    let v = T::lvector("v");
    let b = T::bincount(&v, None, None, true).unwrap();
    assert_eq!(
        theano::debugprint(std::slice::from_ref(&b)),
        corpus()["debugprints"]["bincount_assert"].as_str().unwrap()
    );
    let want: Vec<f64> = corpus()["values"]["bincount"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let args = [Tensor::from([1i64, 3, 1, 0])];
    for o in common::run_every_linker(&[&v], std::slice::from_ref(&b), &args) {
        assert_eq!(o[0].to_f64_vec(), want);
    }
    let f = theano::function(&[&v], b).unwrap();
    let e = f.call(&[Tensor::from([1i64, -2])]).unwrap_err().to_string();
    assert!(
        e.contains(corpus()["errors"]["bincount"].as_str().unwrap()),
        "{e}"
    );
}
