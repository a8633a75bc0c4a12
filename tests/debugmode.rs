//! `mode=DebugMode`: each call replays the optimizer's replacements on the call's values and
//! names the first rewrite that changed a value.

use theano::ir::fgraph::{FunctionGraph, ValueDef};
use theano::ir::{Op, ScalarOp};
use theano::tensor as T;
use theano::{compile, grad, shared_named, Error, Mode, Tensor};

fn debug_mode() -> Mode {
    Mode::parse_flags("mode=DebugMode").unwrap()
}

/// The injected faults look for a plain `exp` node: fusion (and in-place) would have folded it
/// into a Composite by the time the hook runs.
fn debug_mode_unfused() -> Mode {
    Mode::parse_flags("mode=DebugMode,optimizer_excluding=elemwise_fusion:inplace").unwrap()
}

/// A wrong rewrite, injected after the optimizer: `exp(x) -> log(x)`, logged under its name.
fn bogus_exp_to_log(fg: &mut FunctionGraph) {
    let n = fg
        .toposort()
        .into_iter()
        .find(|&n| {
            matches!(
                fg.op(n),
                Op::Elemwise {
                    scalar: ScalarOp::Exp,
                    ..
                }
            )
        })
        .expect("an exp node");
    let x = fg.node_inputs(n)[0];
    let old = fg.node_outputs(n)[0];
    let loc = fg.location(n);
    let new = fg
        .add_node1(Op::elemwise(ScalarOp::Log), &[x], loc)
        .unwrap();
    fg.replace(old, new, "bogus_exp_to_log").unwrap();
}

#[test]
fn a_wrong_rewrite_is_named_with_both_values() {
    let x = T::dvector("x");
    let y = T::exp(&x) * 2.0;
    let f = compile(&[&x], &y)
        .mode(debug_mode_unfused())
        .after_optimize(bogus_exp_to_log)
        .build()
        .unwrap();
    let err = f.call(&[Tensor::from(vec![1.0, 2.0])]).unwrap_err();
    match &err {
        Error::DebugMode {
            rewrite,
            old,
            new,
            old_value,
            new_value,
        } => {
            assert_eq!(rewrite, "bogus_exp_to_log");
            assert!(old.starts_with("Elemwise{exp"), "{old}");
            assert!(new.starts_with("Elemwise{log"), "{new}");
            assert!(old_value.contains("2.718"), "{old_value}");
            assert!(new_value.contains("0.693"), "{new_value}");
        }
        e => panic!("expected a DebugMode error, got {e}"),
    }
    assert!(err.to_string().contains("bogus_exp_to_log"), "{err}");
}

#[test]
fn without_debug_mode_the_wrong_rewrite_goes_unnoticed() {
    let x = T::dvector("x");
    let y = T::exp(&x) * 2.0;
    let f = compile(&[&x], &y)
        .mode(Mode::parse_flags("optimizer_excluding=elemwise_fusion:inplace").unwrap())
        .after_optimize(bogus_exp_to_log)
        .build()
        .unwrap();
    let out = f.call(&[Tensor::from(vec![1.0])]).unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![0.0]);
}

/// A corruption the replacement log does not show (the log cleared after a wrong replace) is
/// caught by the comparison of the final outputs with the unoptimized graph. (An op changed in
/// place with `set_op` would not be: the arena keeps no copy of the node as it was.)
#[test]
fn a_corruption_outside_the_log_is_caught_by_the_outputs() {
    fn corrupt(fg: &mut FunctionGraph) {
        let n = fg
            .toposort()
            .into_iter()
            .find(|&n| {
                matches!(
                    fg.op(n),
                    Op::Elemwise {
                        scalar: ScalarOp::Exp,
                        ..
                    }
                )
            })
            .unwrap();
        let (x, old, loc) = (fg.node_inputs(n)[0], fg.node_outputs(n)[0], fg.location(n));
        let new = fg
            .add_node1(Op::elemwise(ScalarOp::Log), &[x], loc)
            .unwrap();
        fg.replace(old, new, "silent").unwrap();
        fg.clear_history();
    }
    let x = T::dvector("x");
    let y = T::exp(&x) + 1.0;
    let f = compile(&[&x], &y)
        .mode(debug_mode_unfused())
        .after_optimize(corrupt)
        .build()
        .unwrap();
    let err = f.call(&[Tensor::from(vec![3.0])]).unwrap_err();
    assert!(
        matches!(&err, Error::DebugMode { rewrite, .. } if rewrite == "optimizer"),
        "{err}"
    );
}

/// The seed's training function, with shared variables and updates, passes DebugMode for
/// several steps: the stabilize rewrites change infinities into finite values, which is
/// accepted, and every other replacement keeps its value.
#[test]
fn the_seed_training_step_passes() {
    let (n, feats) = (40, 7);
    let xs: Vec<f64> = (0..n * feats)
        .map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0)
        .collect();
    let ys: Vec<f64> = (0..n).map(|i| (i % 3 == 0) as i64 as f64).collect();
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let w = theano::try_shared(Tensor::from(vec![0.1; feats]), Some("w")).unwrap();
    let b = shared_named(0., "b");
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let prediction = T::gt(&p_1, 0.5);
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
    let cost = xent.mean() + 0.01 * w.pow(2).sum();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let train = compile(&[&x, &y], [&prediction, &xent])
        .updates([(&w, &w - 0.1 * &g[0]), (&b, &b - 0.1 * &g[1])])
        .mode(debug_mode())
        .build()
        .unwrap();
    assert!(!train.fgraph().history().is_empty());
    let xt = Tensor::from_shape_vec(&[n, feats], xs).unwrap();
    let yt = Tensor::from(ys);
    for _ in 0..5 {
        train.call(&[xt.clone(), yt.clone()]).unwrap();
    }
    // the replayed history includes replaced leaves too (merge of constants)
    let fg = train.fgraph();
    assert!(fg
        .history()
        .iter()
        .any(|r| fg.def(r.old) != ValueDef::Input));
}
