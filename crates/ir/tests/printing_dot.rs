//! `pydotprint`: DOT text in Theano's drawing conventions, and rendering through graphviz.

use expect_test::expect;
use std::ffi::OsString;
use std::process::Command;
use theano_ir::printing::{pydotprint, pydotprint_dot, pydotprint_with, DotOptions, PrintError};
use theano_ir::tensor as T;
use theano_ir::{Tensor, Variable};

fn logistic_prediction() -> Variable {
    let x = T::dmatrix("x");
    let w = Variable::shared(Tensor::zeros(theano_ir::DType::Float64, &[3]), Some("w")).unwrap();
    let b = Variable::shared(Tensor::scalar(0.0f64), Some("b")).unwrap();
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    T::gt(&p_1, 0.5)
}

#[test]
fn dot_text_follows_theanos_pydotprint() {
    expect![[r##"
        digraph G {
          "n0" [label="InplaceDimShuffle{x}", shape="ellipse"];
          "v0" [label="val=1 TensorType(int8, scalar)", shape="box", style="filled", fillcolor="green"];
          "n1" [label="InplaceDimShuffle{x} id=1", shape="ellipse"];
          "n2" [label="dot", shape="ellipse"];
          "v3" [label="name=x TensorType(float64, matrix)", shape="box", style="filled", fillcolor="green"];
          "v4" [label="name=w TensorType(float64, vector)", shape="box", style="filled", fillcolor="cyan"];
          "n3" [label="Elemwise{neg,no_inplace}", shape="ellipse", style="filled", fillcolor="#FFAABB"];
          "n4" [label="InplaceDimShuffle{x} id=4", shape="ellipse"];
          "v7" [label="name=b TensorType(float64, scalar)", shape="box", style="filled", fillcolor="cyan"];
          "n5" [label="Elemwise{sub,no_inplace}", shape="ellipse", style="filled", fillcolor="#FFAABB"];
          "n6" [label="Elemwise{exp,no_inplace}", shape="ellipse", style="filled", fillcolor="#FFAABB"];
          "n7" [label="Elemwise{add,no_inplace}", shape="ellipse", style="filled", fillcolor="#FFAABB"];
          "n8" [label="Elemwise{true_div,no_inplace}", shape="ellipse", style="filled", fillcolor="#FFAABB"];
          "n9" [label="InplaceDimShuffle{x} id=9", shape="ellipse"];
          "v13" [label="val=0.5 TensorType(float32, scalar)", shape="box", style="filled", fillcolor="green"];
          "n10" [label="Elemwise{gt,no_inplace}", shape="ellipse", style="filled", fillcolor="#FFAABB"];
          "v15" [label="TensorType(bool, vector)", shape="box", style="filled", fillcolor="blue"];
          "v0" -> "n0" [color="blue"];
          "v0" -> "n1" [color="blue"];
          "v3" -> "n2" [label="0"];
          "v4" -> "n2" [label="1"];
          "n2" -> "n3" [label="TensorType(float64, vector)"];
          "v7" -> "n4" [color="blue"];
          "n3" -> "n5" [label="0 TensorType(float64, vector)"];
          "n4" -> "n5" [label="1 TensorType(float64, (True,))"];
          "n5" -> "n6" [label="TensorType(float64, vector)"];
          "n1" -> "n7" [label="0 TensorType(int8, (True,))"];
          "n6" -> "n7" [label="1 TensorType(float64, vector)"];
          "n0" -> "n8" [label="0 TensorType(int8, (True,))"];
          "n7" -> "n8" [label="1 TensorType(float64, vector)"];
          "v13" -> "n9" [color="blue"];
          "n8" -> "n10" [label="0 TensorType(float64, vector)"];
          "n9" -> "n10" [label="1 TensorType(float32, (True,))"];
          "n10" -> "v15";
        }
    "##]]
    .assert_eq(&pydotprint_dot(&[logistic_prediction()]));
}

#[test]
fn named_intermediates_outputs_and_unused_outputs() {
    let x = T::dmatrix("x");
    let (m, _a) = T::max_and_argmax(&x, Some(&[1])).unwrap();
    let h = T::exp(&m).named("h");
    let out = T::sum(&h);
    expect![[r##"
        digraph G {
          "n0" [label="MaxAndArgmax{axis=(1,)}", shape="ellipse"];
          "v0" [label="name=x TensorType(float64, matrix)", shape="box", style="filled", fillcolor="green"];
          "v2" [label="TensorType(int64, vector)", shape="box", style="filled", fillcolor="grey"];
          "n1" [label="Elemwise{exp,no_inplace}", shape="ellipse", style="filled", fillcolor="#FFAABB"];
          "v3" [label="name=h TensorType(float64, vector)", shape="box"];
          "n2" [label="Sum", shape="ellipse"];
          "v4" [label="TensorType(float64, scalar)", shape="box", style="filled", fillcolor="blue"];
          "v0" -> "n0";
          "n0" -> "v2" [label="1"];
          "n0" -> "n1" [label="TensorType(float64, vector)"];
          "n1" -> "v3" [label="TensorType(float64, vector)"];
          "v3" -> "n2";
          "n2" -> "v4";
        }
    "##]]
    .assert_eq(&pydotprint_dot(&[out]));
}

#[test]
fn render_svg_when_graphviz_is_installed() {
    let dir = std::env::temp_dir().join(format!("theano-rs-pydot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let g = [logistic_prediction()];

    // .dot needs no graphviz.
    let p = pydotprint(&g, dir.join("g.dot")).unwrap();
    assert!(std::fs::read_to_string(&p)
        .unwrap()
        .starts_with("digraph G {"));

    // An unknown extension is refused before anything runs.
    let e = pydotprint(&g, dir.join("g.txt")).unwrap_err();
    assert!(matches!(e, PrintError::UnsupportedFormat { .. }), "{e}");

    if Command::new("dot").arg("-V").output().is_err() {
        eprintln!("skipping the SVG/PNG rendering checks: graphviz `dot` is not on PATH");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let svg = pydotprint(&g, dir.join("g.svg")).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg") && text.contains("Elemwise{gt,no_inplace}"));
    // No extension: PNG, as Theano's default format, with `.png` appended.
    let png = pydotprint(&g, dir.join("graph")).unwrap();
    assert_eq!(png, dir.join("graph.png"));
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_graphviz_is_a_typed_error_saying_how_to_install() {
    let dir = std::env::temp_dir().join(format!("theano-rs-nodot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = DotOptions {
        dot_program: OsString::from("/nonexistent/graphviz/bin/dot"),
        ..DotOptions::default()
    };
    let e = pydotprint_with(&[logistic_prediction()], dir.join("g.svg"), &opts).unwrap_err();
    assert!(matches!(e, PrintError::GraphvizNotFound { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.starts_with("graphviz is not installed"), "{msg}");
    assert!(msg.contains("apt-get install graphviz"), "{msg}");
    assert!(!dir.join("g.svg").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
