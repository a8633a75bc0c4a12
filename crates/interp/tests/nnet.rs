//! The crossentropy ops: values against the naive formulas on moderate logits, finiteness on
//! extreme ones, and every refusal as a typed error naming the argument.

mod common;

use common::*;
use theano_interp::{perform, PerformError};
use theano_ir::{Op, TensorType};
use theano_tensor::{DType, Tensor};

const XENT: Op = Op::CrossentropySoftmaxArgmax1HotWithBias;
const DX: Op = Op::CrossentropySoftmax1HotWithBiasDx;

/// softmax(x + b) row by row, the textbook way (exp then normalize).
fn naive_softmax(x: &[f64], b: &[f64], cols: usize) -> Vec<f64> {
    x.chunks(cols)
        .flat_map(|row| {
            let e: Vec<f64> = row.iter().zip(b).map(|(v, c)| (v + c).exp()).collect();
            let s: f64 = e.iter().sum();
            e.into_iter().map(move |v| v / s).collect::<Vec<_>>()
        })
        .collect()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

#[test]
fn forward_matches_the_naive_formulas() {
    let xv = [
        0.5, -1.0, 2.0, 0.25, 3.0, -2.0, 1.5, 1.5, 0.0, -0.5, 4.0, 1.0,
    ];
    let bv = [0.1, -0.2, 0.3, 0.0];
    let yv = [2i64, 0, 3];
    for d in [DType::Float64, DType::Float32] {
        let x = af(d, &[3, 4], &xv);
        let b = af(d, &[4], &bv);
        let y = ai(DType::Int32, &[3], &yv);
        let out = perform(&XENT, &[&x, &b, &y], &[]).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].dtype(), d);
        assert_eq!(out[1].dtype(), d);
        assert_eq!(out[2].dtype(), DType::Int64);
        assert_eq!(out[0].shape(), &[3]);
        assert_eq!(out[1].shape(), &[3, 4]);
        let sm = naive_softmax(&xv, &bv, 4);
        let tol = if d == DType::Float64 { 1e-12 } else { 1e-6 };
        assert!(close(&out[1].to_f64_vec(), &sm, tol), "{:?}", out[1]);
        let nll: Vec<f64> = (0..3).map(|i| -sm[i * 4 + yv[i] as usize].ln()).collect();
        assert!(
            close(&out[0].to_f64_vec(), &nll, tol),
            "{:?} vs {nll:?}",
            out[0]
        );
        // argmax of x + b per row
        let am: Vec<i64> = (0..3)
            .map(|i| {
                (0..4)
                    .max_by(|&a, &c| {
                        (xv[i * 4 + a] + bv[a])
                            .partial_cmp(&(xv[i * 4 + c] + bv[c]))
                            .unwrap()
                            .then(c.cmp(&a))
                    })
                    .unwrap() as i64
            })
            .collect();
        assert_eq!(out[2].to_i64_vec(), am);
    }
}

#[test]
fn a_length_one_bias_broadcasts_and_ties_take_the_first_maximum() {
    let x = af(DType::Float64, &[2, 3], &[1.0, 1.0, 0.0, -1.0, 2.0, 2.0]);
    let b = af(DType::Float64, &[1], &[0.0]);
    let y = ai(DType::Int64, &[2], &[1, 0]);
    let out = perform(&XENT, &[&x, &b, &y], &[]).unwrap();
    assert_eq!(out[2].to_i64_vec(), vec![0, 1]);
    let sm = naive_softmax(&x.to_f64_vec(), &[0.0; 3], 3);
    assert!(close(&out[1].to_f64_vec(), &sm, 1e-12));
}

#[test]
fn extreme_logits_stay_finite() {
    // the naive -log(softmax) gives inf here (exp underflows to 0 for the labelled class)
    let x = af(
        DType::Float64,
        &[2, 3],
        &[1000.0, -1000.0, 0.0, -800.0, 800.0, 790.0],
    );
    let b = af(DType::Float64, &[3], &[0.0, 0.0, 0.0]);
    let y = ai(DType::Int64, &[2], &[1, 0]);
    let out = perform(&XENT, &[&x, &b, &y], &[]).unwrap();
    let nll = out[0].to_f64_vec();
    let want = [2000.0, 1600.0 + (-10.0f64).exp().ln_1p()];
    assert!(close(&nll, &want, 1e-12), "{nll:?}");
    assert!(out[1].to_f64_vec().iter().all(|v| v.is_finite()));
    let f32_ = perform(
        &XENT,
        &[&x.cast(DType::Float32), &b.cast(DType::Float32), &y],
        &[],
    )
    .unwrap();
    assert!(f32_[0].to_f64_vec().iter().all(|v| v.is_finite()));
}

#[test]
fn dx_is_softmax_minus_onehot_times_dnll() {
    let sm = af(DType::Float64, &[2, 3], &[0.2, 0.3, 0.5, 0.6, 0.1, 0.3]);
    let y = ai(DType::Int32, &[2], &[2, 0]);
    let dnll = af(DType::Float64, &[2], &[2.0, -0.5]);
    let dx = perform(&DX, &[&dnll, &sm, &y], &[]).unwrap();
    let want = [0.4, 0.6, -1.0, 0.2, -0.05, -0.15];
    assert!(close(&dx[0].to_f64_vec(), &want, 1e-12), "{:?}", dx[0]);
    // one dnll for every row
    let one = af(DType::Float32, &[1], &[2.0]);
    let dx1 = perform(&DX, &[&one, &sm.cast(DType::Float32), &y], &[]).unwrap();
    assert_eq!(dx1[0].dtype(), DType::Float32);
    let want1 = [0.4, 0.6, -1.0, 1.2 - 2.0, 0.2, 0.6];
    assert!(close(&dx1[0].to_f64_vec(), &want1, 1e-6), "{:?}", dx1[0]);
}

fn refuse(op: &Op, ins: &[&Tensor]) -> PerformError {
    match perform(op, ins, &[]) {
        Err(e) => e,
        Ok(v) => panic!("{op} accepted {ins:?}: {v:?}"),
    }
}

#[test]
fn out_of_range_labels_name_the_label_and_the_bound() {
    let x = af(DType::Float64, &[2, 3], &[0.0; 6]);
    let b = af(DType::Float64, &[3], &[0.0; 3]);
    for (bad, shown) in [(3i64, "y_idx[1] = 3"), (-1, "y_idx[1] = -1")] {
        let y = ai(DType::Int64, &[2], &[0, bad]);
        let e = refuse(&XENT, &[&x, &b, &y]);
        assert!(matches!(e, PerformError::Index { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains(shown) && msg.contains("3 classes"), "{msg}");
        assert!(
            msg.starts_with("CrossentropySoftmaxArgmax1HotWithBias: "),
            "{msg}"
        );
        let e = refuse(&DX, &[&af(DType::Float64, &[2], &[1.0, 1.0]), &x, &y]);
        assert!(matches!(e, PerformError::Index { .. }), "{e:?}");
        assert!(e.to_string().contains(shown), "{e}");
    }
}

#[test]
fn shape_and_type_mismatches_are_typed() {
    let x = af(DType::Float64, &[2, 3], &[0.0; 6]);
    let b = af(DType::Float64, &[3], &[0.0; 3]);
    let y = ai(DType::Int64, &[2], &[0, 1]);
    // labels per row
    let e = refuse(&XENT, &[&x, &b, &ai(DType::Int64, &[3], &[0, 1, 2])]);
    assert!(matches!(e, PerformError::Shape { .. }), "{e:?}");
    assert!(
        e.to_string().contains("3 labels but there are 2 rows"),
        "{e}"
    );
    // bias length
    let e = refuse(&XENT, &[&x, &af(DType::Float64, &[2], &[0.0; 2]), &y]);
    assert!(matches!(e, PerformError::Shape { .. }), "{e:?}");
    assert!(e.to_string().contains("the bias b has shape (2,)"), "{e}");
    // dnll length
    let e = refuse(&DX, &[&af(DType::Float64, &[3], &[0.0; 3]), &x, &y]);
    assert!(matches!(e, PerformError::Shape { .. }), "{e:?}");
    assert!(e.to_string().contains("dnll has shape (3,)"), "{e}");
    // dtypes and ranks, with explicit output types so the op itself checks
    let tys = [
        TensorType::vector(DType::Float64),
        TensorType::matrix(DType::Float64),
        TensorType::vector(DType::Int64),
    ];
    let e = perform(&XENT, &[&x, &b, &af(DType::Float64, &[2], &[0.0; 2])], &tys).unwrap_err();
    assert!(
        e.to_string()
            .contains("y_idx (the labels) must be an integer vector"),
        "{e}"
    );
    let e = perform(&XENT, &[&b, &b, &y], &tys).unwrap_err();
    assert!(
        e.to_string()
            .contains("x (the logits) must be a float matrix"),
        "{e}"
    );
    // inferred types: the op's type rule names the argument
    let e = refuse(&XENT, &[&x, &x, &y]);
    assert!(matches!(e, PerformError::Input { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("b (the bias) must be a float vector"),
        "{e}"
    );
}

#[test]
fn empty_batches_give_empty_results() {
    let x = af(DType::Float64, &[0, 3], &[]);
    let b = af(DType::Float64, &[3], &[0.0; 3]);
    let y = ai(DType::Int64, &[0], &[]);
    let out = perform(&XENT, &[&x, &b, &y], &[]).unwrap();
    assert_eq!(out[0].shape(), &[0]);
    assert_eq!(out[1].shape(), &[0, 3]);
    let dx = perform(&DX, &[&out[0], &out[1], &y], &[]).unwrap();
    assert_eq!(dx[0].shape(), &[0, 3]);
}

const CC: Op = Op::CrossentropyCategorical1Hot;
const CC_GRAD: Op = Op::CrossentropyCategorical1HotGrad;

/// `CrossentropyCategorical1Hot(p, t)` is `-log(p[i, t[i]])` in p's dtype, and its gradient
/// op puts `-g[i] / p[i, t[i]]` at each label (zeros elsewhere; a length-1 `g` broadcasts).
#[test]
fn categorical_1hot_and_its_gradient() {
    let pv = [0.2, 0.3, 0.5, 0.6, 0.1, 0.3];
    for d in [DType::Float64, DType::Float32] {
        let p = af(d, &[2, 3], &pv);
        for ld in [DType::Int64, DType::Int32] {
            let t = ai(ld, &[2], &[2, 0]);
            let y = perform(&CC, &[&p, &t], &[]).unwrap();
            assert_eq!(y[0].dtype(), d);
            let want = [-pv[2].ln(), -pv[3].ln()];
            let tol = if d == DType::Float64 { 1e-15 } else { 1e-7 };
            assert!(close(&y[0].to_f64_vec(), &want, tol), "{:?}", y[0]);
            let g = af(DType::Float64, &[2], &[2.0, -1.0]);
            let dp = perform(&CC_GRAD, &[&g, &p, &t], &[]).unwrap();
            assert_eq!(dp[0].dtype(), d);
            let want = [0.0, 0.0, -2.0 / pv[2], 1.0 / pv[3], 0.0, 0.0];
            assert!(close(&dp[0].to_f64_vec(), &want, tol), "{:?}", dp[0]);
            let g1 = af(DType::Float64, &[1], &[3.0]);
            let dp = perform(&CC_GRAD, &[&g1, &p, &t], &[]).unwrap();
            let want = [0.0, 0.0, -3.0 / pv[2], -3.0 / pv[3], 0.0, 0.0];
            assert!(close(&dp[0].to_f64_vec(), &want, tol), "{:?}", dp[0]);
        }
    }
    // an empty batch
    let p = af(DType::Float64, &[0, 3], &[]);
    let t = ai(DType::Int64, &[0], &[]);
    assert_eq!(perform(&CC, &[&p, &t], &[]).unwrap()[0].shape(), &[0]);
}

/// Bad labels and shapes are typed errors naming the argument, never a panic.
#[test]
fn categorical_1hot_refusals_name_the_argument() {
    let p = af(DType::Float64, &[2, 3], &[0.5; 6]);
    let g = af(DType::Float64, &[2], &[1.0, 1.0]);
    for (bad, shown) in [
        (3i64, "true_one_of_n[1] = 3"),
        (-1, "true_one_of_n[1] = -1"),
    ] {
        let t = ai(DType::Int64, &[2], &[0, bad]);
        for (op, ins) in [(&CC, vec![&p, &t]), (&CC_GRAD, vec![&g, &p, &t])] {
            let e = refuse(op, &ins);
            assert!(matches!(e, PerformError::Index { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(msg.contains(shown) && msg.contains("3 classes"), "{msg}");
            assert!(msg.starts_with(&format!("{op}: ")), "{msg}");
        }
    }
    // one label per row
    let t3 = ai(DType::Int64, &[3], &[0, 1, 2]);
    let e = refuse(&CC, &[&p, &t3]);
    assert!(matches!(e, PerformError::Shape { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("true_one_of_n has 3 labels but there are 2 rows"),
        "{e}"
    );
    // g_y per row
    let t = ai(DType::Int64, &[2], &[0, 1]);
    let e = refuse(&CC_GRAD, &[&af(DType::Float64, &[3], &[1.0; 3]), &p, &t]);
    assert!(matches!(e, PerformError::Shape { .. }), "{e:?}");
    assert!(e.to_string().contains("g_y has shape (3,)"), "{e}");
    // the type rule: a matrix of probabilities, int64 or int32 labels
    let e = refuse(&CC, &[&g, &t]);
    assert!(matches!(e, PerformError::Input { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("coding_dist (the probabilities) must be a float matrix"),
        "{e}"
    );
    let e = refuse(&CC, &[&p, &ai(DType::Int8, &[2], &[0, 1])]);
    assert!(
        e.to_string()
            .contains("true_one_of_n (the labels) must be an int64 or int32 vector"),
        "{e}"
    );
    // explicit output types: the op's own check of its inputs
    let tys = [TensorType::vector(DType::Float64)];
    let e = perform(&CC, &[&p, &af(DType::Float64, &[2], &[0.0; 2])], &tys).unwrap_err();
    assert!(
        e.to_string()
            .contains("true_one_of_n (the labels) must be an integer vector"),
        "{e}"
    );
}
