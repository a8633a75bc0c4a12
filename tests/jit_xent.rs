//! The tutorial's MNIST softmax-regression train step (600 x 784, 10 classes, float64) on
//! linker=jit, where the crossentropy ops run as native multi-output kernels, gives the
//! values linker=interp gives; a bad label is reported with the interpreter's error.

use theano::{compile, LinkerKind, Mode, Tensor};

#[path = "common/mod.rs"]
mod common;

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x == y || (x - y).abs() <= 1e-12 * y.abs().max(1.0),
            "{what}[{i}]: jit {x} vs interp {y}"
        );
    }
}

#[test]
fn mnist_train_step_jit_matches_interp() {
    let (n, feats, classes) = (600, 784, 10);
    let run = |linker| {
        let m = common::softmax_model(feats, classes);
        let train = compile(&[&m.x, &m.y], &m.cost)
            .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
            .mode(mode(linker))
            .build()
            .unwrap();
        // the same minibatch each step, so that the cost must fall
        let (x, y) = common::mnist_like(n, feats, classes, 5);
        let mut costs = Vec::new();
        for _ in 0..4 {
            costs.push(train.call_refs(&[&x, &y]).unwrap()[0].to_f64_vec()[0]);
        }
        (
            costs,
            m.w.get_value().unwrap().to_f64_vec(),
            m.b.get_value().unwrap().to_f64_vec(),
        )
    };
    let (cj, wj, bj) = run(LinkerKind::Jit);
    let (ci, wi, bi) = run(LinkerKind::Interp);
    close(&cj, &ci, "cost");
    close(&wj, &wi, "W");
    close(&bj, &bi, "b");
    // the model learns on its minibatch: the cost falls from log(10)
    assert!((ci[0] - 10f64.ln()).abs() < 1e-12, "{}", ci[0]);
    assert!(ci[3] < ci[2] && ci[2] < ci[1] && ci[1] < ci[0], "{ci:?}");
}

#[test]
fn bad_label_reports_the_interpreters_error() {
    let (n, feats, classes) = (6, 5, 4);
    let errs: Vec<String> = [LinkerKind::Jit, LinkerKind::Interp]
        .into_iter()
        .map(|linker| {
            let m = common::softmax_model(feats, classes);
            let train = compile(&[&m.x, &m.y], &m.cost)
                .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
                .mode(mode(linker))
                .build()
                .unwrap();
            let (x, _) = common::mnist_like(n, feats, classes, 1);
            let y = Tensor::from(vec![0i32, 1, 2, 4, 0, 1]);
            let e = train.call_refs(&[&x, &y]).unwrap_err().to_string();
            // nothing was updated
            assert!(m
                .w
                .get_value()
                .unwrap()
                .to_f64_vec()
                .iter()
                .all(|&v| v == 0.0));
            e
        })
        .collect();
    assert!(errs[0].contains("label y_idx[3] = 4"), "{}", errs[0]);
    assert!(
        errs[0].contains("CrossentropySoftmaxArgmax1HotWithBias"),
        "{}",
        errs[0]
    );
    assert_eq!(errs[0], errs[1]);
}
