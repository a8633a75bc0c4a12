//! The rest of `theano.tensor.extra_ops` (`searchsorted`, `diff`, `compress`, `take`,
//! `bartlett`, `fill_diagonal`, `fill_diagonal_offset`, `Unique`, `unravel_index`,
//! `ravel_multi_index`) against the real Theano 1.0.5 (tests/extra/extra.json, written by
//! tests/extra/gen.py): values and gradients on the interpreter, the JIT and the emulated
//! GPU, debugprints, refusals; verify_grad; the text form; shapes.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::extra_ops as E;
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, recorded_inputs, tensor_of_json, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/extra/extra.json"))
}

fn build(name: &str, i: &[Variable]) -> Vec<Variable> {
    let one = |v: theano::ir::Result<Variable>| vec![v.unwrap()];
    match name {
        "searchsorted_left" => one(E::searchsorted(&i[0], &i[1], "left", None)),
        "searchsorted_right" => one(E::searchsorted(&i[0], &i[1], "right", None)),
        "searchsorted_sorter" => one(E::searchsorted(&i[0], &i[1], "left", Some(&i[2]))),
        "diff_vec" | "diff_int" => one(E::diff(&i[0], 1, -1)),
        "diff_vec_n2" | "diff_mat_n2" => one(E::diff(&i[0], 2, -1)),
        "diff_mat_axis0" => one(E::diff(&i[0], 1, 0)),
        "compress_axis0" => one(E::compress(&i[0], &i[1], Some(0))),
        "compress_axis1" => one(E::compress(&i[0], &i[1], Some(1))),
        "compress_flat" => one(E::compress(&i[0], &i[1], None)),
        "take_axis1" => one(T::take(&i[0], &i[1], Some(1))),
        "take_matrix_indices" => one(T::take(&i[0], &i[1], Some(0))),
        "take_flat" => one(T::take(&i[0], &i[1], None)),
        "bartlett_5" | "bartlett_8" | "bartlett_neg" => one(E::bartlett(&i[0])),
        "fill_diagonal" | "fill_diagonal_tall" | "fill_diagonal_3d" => {
            one(E::fill_diagonal(&i[0], &i[1]))
        }
        "fill_diagonal_offset_pos" | "fill_diagonal_offset_neg" | "fill_diagonal_offset_tall" => {
            one(E::fill_diagonal_offset(&i[0], &i[1], &i[2]))
        }
        "unique" => E::unique(&i[0], false, false, false, None).unwrap(),
        "unique_all" => E::unique(&i[0], true, true, true, None).unwrap(),
        "unique_inverse" => E::unique(&i[0], false, true, false, None).unwrap(),
        "unique_matrix" => E::unique(&i[0], true, false, true, None).unwrap(),
        "unique_axis0" => E::unique(&i[0], true, true, true, Some(0)).unwrap(),
        "unique_axis1" => E::unique(&i[0], false, true, false, Some(1)).unwrap(),
        "unravel_index" => E::unravel_index(&i[0], &i[1], "C", Some(3)).unwrap(),
        "unravel_index_scalar" => E::unravel_index(&i[0], &i[1], "C", Some(2)).unwrap(),
        "ravel_multi_index" => one(E::ravel_multi_index(&i[..2], &i[2], "raise", "C")),
        "ravel_multi_index_wrap" => one(E::ravel_multi_index(&i[..2], &i[2], "wrap", "C")),
        "ravel_multi_index_clip_f" => one(E::ravel_multi_index(&i[..2], &i[2], "clip", "F")),
        other => panic!("no builder for {other}"),
    }
}

/// Every recorded case: the outputs (exactly: integers and NumPy's own arithmetic) and the
/// gradients of `sum(out * W)` are Theano's, on every backend; the debugprints are Theano's.
#[test]
fn values_gradients_and_printing_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert!(cases.len() >= 34);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (vars, vals) = recorded_inputs(c);
        let outs = build(name, &vars);
        assert_eq!(
            theano::debugprint(&outs),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
        let mut all = outs.clone();
        let grad_of = c.get("grad_of").map(usizes).unwrap_or_default();
        if !grad_of.is_empty() {
            let w = Variable::constant_bounded(tensor_of_json(&c["weights"]));
            let wrt: Vec<Variable> = grad_of.iter().map(|&k| vars[k].clone()).collect();
            all.extend(grad(&T::sum(&outs[0] * w), &wrt).unwrap());
        }
        let refs: Vec<&Variable> = vars.iter().collect();
        for (l, got) in common::run_every_linker(&refs, &all, &vals)
            .iter()
            .enumerate()
        {
            for (k, want) in c["outputs"].as_array().unwrap().iter().enumerate() {
                close_to_json(
                    &got[k],
                    want,
                    0.0,
                    &format!("{name} output {k} (linker {l})"),
                );
            }
            for k in 0..grad_of.len() {
                close_to_json(
                    &got[outs.len() + k],
                    &c["grads"][k],
                    1e-15,
                    &format!("{name} gradient {k} (linker {l})"),
                );
            }
        }
    }
}

/// Theano's refusals, when the node is built and when the function runs.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let msg = |k: &str| e[k]["msg"].as_str().unwrap().to_string();
    let check = |got: String, key: &str| {
        let want = msg(key);
        assert!(got.contains(&want), "{key}: {got} (Theano: {want})");
    };
    let (x, m) = (T::dvector("x"), T::dmatrix("m"));
    let err = |r: theano::ir::Result<Variable>| r.expect_err("refused").to_string();
    let errs = |r: theano::ir::Result<Vec<Variable>>| r.expect_err("refused").to_string();
    check(
        err(E::searchsorted(&x, &x, "middle", None)),
        "searchsorted_side",
    );
    // Theano's message is a tuple: ('sorter must be an integer vector', <the type>)
    let got = err(E::searchsorted(&x, &x, "left", Some(&x)));
    assert!(msg("searchsorted_sorter_float").starts_with("('sorter must be an integer vector'"));
    assert!(
        got.contains("sorter must be an integer vector, got TensorType(float64, vector)"),
        "{got}"
    );
    let ge = grad(
        &T::sum(E::diff(&m, 1, -1).unwrap()),
        std::slice::from_ref(&m),
    )
    .unwrap_err()
    .to_string();
    check(ge, "diff_grad_matrix");
    check(err(E::bartlett(T::lvector("v"))), "bartlett_vector");
    check(err(E::bartlett(T::dscalar("s"))), "bartlett_float");
    check(err(E::fill_diagonal(&x, 1.0)), "fill_diagonal_vector");
    check(err(E::fill_diagonal(&m, &x)), "fill_diagonal_val_vector");
    check(
        err(E::fill_diagonal(T::imatrix("i"), 1.5)),
        "fill_diagonal_upcast",
    );
    check(
        err(E::fill_diagonal_offset(&m, 1.0, 0.5)),
        "fill_diagonal_offset_float_offset",
    );
    check(
        err(E::fill_diagonal_offset(T::dtensor3("t"), 1.0, 0i8)),
        "fill_diagonal_offset_3d",
    );
    check(
        errs(E::unique(&m, false, false, false, Some(2))),
        "unique_axis_out",
    );
    check(
        errs(E::unravel_index(&x, T::lvector("d"), "C", Some(2))),
        "unravel_float",
    );
    check(
        errs(E::unravel_index(
            T::lvector("i"),
            T::lmatrix("d"),
            "C",
            Some(2),
        )),
        "unravel_dims_matrix",
    );
    check(
        err(E::ravel_multi_index(
            &[x.clone(), x.clone()],
            T::lvector("d"),
            "raise",
            "C",
        )),
        "ravel_float",
    );
    check(
        errs(E::unravel_index(
            T::lvector("i"),
            T::lvector("d"),
            "C",
            Some(0),
        )),
        "unravel_ndim_zero",
    );
    // when the function runs, on every linker
    let (i, d) = (T::lvector("i"), T::lvector("d"));
    let v = |x: &[i64]| Tensor::from(x.to_vec());
    for mode in ["linker=py", "linker=cvm"] {
        let mode = theano::Mode::parse_flags(mode).unwrap();
        let f = theano::compile(&[&i, &d], E::unravel_index(&i, &d, "C", Some(2)).unwrap())
            .mode(mode.clone())
            .build()
            .unwrap();
        check(
            f.call(&[v(&[12]), v(&[3, 4])]).unwrap_err().to_string(),
            "unravel_out_of_bounds",
        );
        let f = theano::compile(
            &[&i, &d],
            E::ravel_multi_index(&[i.clone(), i.clone()], &d, "raise", "C").unwrap(),
        )
        .mode(mode.clone())
        .build()
        .unwrap();
        check(
            f.call(&[v(&[5]), v(&[3, 4])]).unwrap_err().to_string(),
            "ravel_out_of_bounds",
        );
        let f = theano::compile(&[&m, &i], E::compress(&i, &m, Some(0)).unwrap())
            .mode(mode.clone())
            .build()
            .unwrap();
        let ones = Tensor::from([[1.0, 1.0], [1.0, 1.0]]);
        check(
            f.call(&[ones, v(&[1, 1, 1])]).unwrap_err().to_string(),
            "compress_too_long",
        );
    }
    // the length of dims must be known (or ndim given)
    let got = errs(E::unravel_index(&i, &d, "C", None));
    assert!(got.contains("cannot be automatically determined"), "{got}");
    let known = E::unravel_index(&i, Variable::constant_bounded(v(&[3, 4])), "C", None).unwrap();
    assert_eq!(known.len(), 2);
}

/// Gradients by finite differences, and the gradients of the gradients.
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(31);
    let opts = VerifyGradOptions {
        seed: 5,
        ..Default::default()
    };
    let vec6 = rng.tensor(DType::Float64, &[6], -1.0, 1.0);
    let mat = rng.tensor(DType::Float64, &[3, 4], -1.0, 1.0);
    let tall = rng.tensor(DType::Float64, &[5, 3], -1.0, 1.0);
    let val = rng.tensor(DType::Float64, &[], -1.0, 1.0);
    type F = Box<dyn Fn(&[Variable]) -> Variable>;
    let cases: Vec<(&str, F, Vec<Tensor>)> = vec![
        (
            "diff",
            Box::new(|i| E::diff(&i[0], 1, -1).unwrap()),
            vec![vec6.clone()],
        ),
        (
            "diff n=3",
            Box::new(|i| E::diff(&i[0], 3, 0).unwrap()),
            vec![vec6.clone()],
        ),
        (
            "fill_diagonal",
            Box::new(|i| E::fill_diagonal(&i[0], &i[1]).unwrap()),
            vec![mat.clone(), val.clone()],
        ),
        (
            "fill_diagonal tall",
            Box::new(|i| E::fill_diagonal(&i[0], &i[1]).unwrap()),
            vec![tall.clone(), val.clone()],
        ),
        (
            "fill_diagonal_offset",
            Box::new(|i| E::fill_diagonal_offset(&i[0], &i[1], 1i8).unwrap()),
            vec![mat.clone(), val.clone()],
        ),
        (
            "fill_diagonal_offset below",
            Box::new(|i| E::fill_diagonal_offset(&i[0], &i[1], -2i8).unwrap()),
            vec![tall.clone(), val.clone()],
        ),
        (
            "take",
            Box::new(|i| {
                let idx = Variable::constant_bounded(Tensor::from([[2i64, 0], [3, 3]]));
                T::take(&i[0], idx, Some(1)).unwrap()
            }),
            vec![mat.clone()],
        ),
        (
            "compress",
            Box::new(|i| {
                let c = Variable::constant_bounded(Tensor::from([1i64, 0, 1]));
                E::compress(c, &i[0], Some(0)).unwrap()
            }),
            vec![mat.clone()],
        ),
        (
            "d2 diff",
            Box::new(|i| {
                let c = T::sum(T::sqr(E::diff(&i[0], 2, -1).unwrap()));
                grad(&c, &i[..1]).unwrap().remove(0)
            }),
            vec![vec6.clone()],
        ),
    ];
    for (name, f, points) in cases {
        verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // searchsorted's gradients are zeros (floatX for integer inputs)
    let (x, v) = (T::dvector("x"), T::lvector("v"));
    let s = E::searchsorted(&x, &v, "left", None).unwrap();
    let g = grad(
        &T::sum(T::cast(&s, DType::Float64) * 2.0),
        &[x.clone(), v.clone()],
    )
    .unwrap();
    assert_eq!(g[1].dtype(), theano::ir::config::float_x());
    let f = theano::function(&[&x, &v], g).unwrap();
    let out = f
        .call(&[Tensor::from([1.0, 2.0]), Tensor::from([0i64, 5])])
        .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![0.0, 0.0]);
}

/// The text form writes each op with its parameters and reads it back; bad parameters are
/// refused.
#[test]
fn the_text_form_round_trips() {
    let (x, m, i, d) = (
        T::dvector("x"),
        T::dmatrix("m"),
        T::lvector("i"),
        T::lvector("d"),
    );
    let (n, o) = (T::lscalar("n"), T::lscalar("o"));
    let mut outs = vec![
        E::searchsorted(&x, &x, "right", Some(&i)).unwrap(),
        E::diff(&m, 2, 0).unwrap(),
        E::bartlett(&n).unwrap(),
        E::fill_diagonal(&m, 0.5).unwrap(),
        E::fill_diagonal_offset(&m, 0.5, &o).unwrap(),
        E::ravel_multi_index(&[i.clone(), i.clone()], &d, "wrap", "F").unwrap(),
    ];
    outs.extend(E::unique(&m, true, false, true, Some(-1)).unwrap());
    outs.extend(E::unravel_index(&i, &d, "F", Some(2)).unwrap());
    let ins = [x, m, i, d, n, o];
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(&ins, &outs).unwrap();
    let text = fg.to_text();
    for op in [
        "SearchsortedOp{side='right'}",
        "DiffOp{n=2, axis=0}",
        "Bartlett(",
        "FillDiagonal(",
        "FillDiagonalOffset(",
        "Unique{return_index=True, return_inverse=False, return_counts=True, axis=-1}",
        "UnravelIndex{ndim=2, order='F'}",
        "RavelMultiIndex{mode='wrap', order='F'}",
    ] {
        assert!(text.contains(op), "{op}:\n{text}");
    }
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    for (good, bad) in [
        ("side='right'", "side='middle'"),
        ("DiffOp{n=2", "DiffOp{n=-2"),
        ("axis=-1}", "axis=x}"),
        ("ndim=2, order='F'", "ndim=0, order='F'"),
        ("mode='wrap'", "mode='fold'"),
        ("order='F'}", "order='K'}"),
    ] {
        assert!(text.contains(good), "{good}");
        let t = text.replacen(good, bad, 1);
        assert!(
            theano::ir::fgraph::FunctionGraph::parse(&t).is_err(),
            "{bad} parsed"
        );
    }
}
