//! rop, jacobian, hessian (structure), and verify_grad driven by a tiny test evaluator.

mod common;
use std::collections::HashMap;
use theano_grad::*;
use theano_ir::tensor as T;
use theano_ir::{DType, Op, ReduceKind, ScalarOp, Tensor, Variable};

#[test]
fn rop_types_and_rules() {
    let x = T::dmatrix("x");
    let v = T::dmatrix("v");
    let w = T::dmatrix("w");
    let exprs = vec![
        T::exp(&x),
        T::dot(&x, &w).unwrap(),
        T::softmax(&x).unwrap(),
        T::log_softmax(&x).unwrap(),
        T::sum_axes(&x, Some(&[1]), false).unwrap(),
        T::prod_axes(&x, Some(&[0]), false).unwrap(),
        T::max(&x, Some(&[1]), false).unwrap(),
        x.t(),
        x.at(1i64).unwrap(),
        x.flatten(1).unwrap(),
        &x * 2.0,
    ];
    for e in exprs {
        let r = rop(
            std::slice::from_ref(&e),
            std::slice::from_ref(&x),
            std::slice::from_ref(&v),
        )
        .unwrap_or_else(|err| panic!("{e}: {err}"));
        assert_eq!(r[0].ty(), e.ty(), "{e}");
        // the double-L-op placeholder never survives
        let leaves = theano_ir::graph::graph_inputs(&r);
        assert!(
            !leaves.iter().any(|l| l.name().as_deref() == Some("u")),
            "{e}"
        );
    }
    // an output that does not depend on x
    let e = rop(
        &[T::exp(&w)],
        std::slice::from_ref(&x),
        std::slice::from_ref(&v),
    )
    .unwrap_err();
    assert!(matches!(e, GradError::RopDisconnected { .. }));
}

#[test]
fn jacobian_and_hessian_shapes() {
    let x = T::dvector("x");
    let y = T::exp(&x);
    let j = jacobian(&y, std::slice::from_ref(&x), 3).unwrap();
    assert_eq!(j[0].ty(), T::DMATRIX);
    let h = hessian(&T::sum(T::sqr(&x)), std::slice::from_ref(&x), 3).unwrap();
    assert_eq!(h[0].ty(), T::DMATRIX);
    let s = jacobian(&T::sum(&x), std::slice::from_ref(&x), 0).unwrap();
    assert_eq!(s[0].ty(), T::DVECTOR);
    assert!(jacobian(&T::dmatrix("m"), std::slice::from_ref(&x), 2).is_err());
}

/// A tiny evaluator for float64 vectors and scalars: enough elemwise ops, 0-d/1-d
/// DimShuffles and full sums to check `verify_grad` itself.
fn tiny_eval(inputs: &[Variable], out: &Variable, vals: &[Tensor]) -> Result<Tensor, String> {
    let mut env: HashMap<u64, Vec<f64>> = HashMap::new();
    for (i, v) in inputs.iter().zip(vals) {
        env.insert(i.id(), v.to_f64_vec());
    }
    let get = |env: &HashMap<u64, Vec<f64>>, v: &Variable| -> Result<Vec<f64>, String> {
        if let Some(c) = v.constant_value() {
            return Ok(c.to_f64_vec());
        }
        env.get(&v.id())
            .cloned()
            .ok_or_else(|| format!("no value for {v}"))
    };
    for node in theano_ir::graph::toposort(std::slice::from_ref(out)) {
        let ins: Vec<Vec<f64>> = node
            .inputs()
            .iter()
            .map(|i| get(&env, i))
            .collect::<Result<_, _>>()?;
        let n = ins.iter().map(|v| v.len()).max().unwrap_or(1);
        let at = |k: usize, i: usize| {
            if ins[k].len() == 1 {
                ins[k][0]
            } else {
                ins[k][i]
            }
        };
        let r: Vec<f64> = match node.op() {
            Op::Elemwise { scalar, .. } => (0..n)
                .map(|i| {
                    let a = at(0, i);
                    let b = || at(1, i);
                    Ok(match scalar {
                        ScalarOp::Add => ins.iter().enumerate().map(|(k, _)| at(k, i)).sum(),
                        ScalarOp::Mul => ins.iter().enumerate().map(|(k, _)| at(k, i)).product(),
                        ScalarOp::Sub => a - b(),
                        ScalarOp::TrueDiv => a / b(),
                        ScalarOp::Pow => a.powf(b()),
                        ScalarOp::Neg => -a,
                        ScalarOp::Exp => a.exp(),
                        ScalarOp::Log => a.ln(),
                        ScalarOp::Tanh => a.tanh(),
                        ScalarOp::Sqr => a * a,
                        ScalarOp::Second => b(),
                        ScalarOp::Eq => (a == b()) as i64 as f64,
                        ScalarOp::Switch => {
                            if a != 0.0 {
                                b()
                            } else {
                                at(2, i)
                            }
                        }
                        ScalarOp::Cast(_) | ScalarOp::Identity => a,
                        other => return Err(format!("tiny_eval: no {other}")),
                    })
                })
                .collect::<Result<_, String>>()?,
            Op::DimShuffle { .. } => ins[0].clone(),
            Op::Reduce {
                kind: ReduceKind::Sum,
                axes: None,
                ..
            } => vec![ins[0].iter().sum()],
            other => return Err(format!("tiny_eval: no {other}")),
        };
        env.insert(node.output(0).id(), r);
    }
    let v = get(&env, out)?;
    let shape: Vec<usize> = if out.ndim() == 0 {
        vec![]
    } else {
        vec![v.len()]
    };
    Tensor::from_f64_vec(DType::Float64, &shape, v).map_err(|e| e.to_string())
}

#[test]
fn verify_grad_accepts_right_and_rejects_wrong_gradients() {
    let mut rng = Rng::new(7);
    let p = rng.tensor(DType::Float64, &[4], 0.5, 2.0);
    let opts = VerifyGradOptions::default();
    verify_grad(
        |i| &T::tanh(&i[0]) * &T::exp(i[0].pow(2)),
        std::slice::from_ref(&p),
        tiny_eval,
        &opts,
    )
    .unwrap();
    verify_grad(
        |i| T::log(&i[0]) / &i[1],
        &[p.clone(), p.clone()],
        tiny_eval,
        &opts,
    )
    .unwrap();
    // zero_grad changes the gradient but not the value: verify_grad must notice
    let e = verify_grad(
        |i| &i[0] * &zero_grad(&i[0]),
        std::slice::from_ref(&p),
        |ins: &[Variable], o: &Variable, v: &[Tensor]| {
            // evaluate ZeroGrad as the identity by rewriting through a tiny wrapper
            tiny_eval_with_markers(ins, o, v)
        },
        &opts,
    )
    .unwrap_err();
    let s = e.to_string();
    assert!(s.contains("analytic") && s.contains("numeric"), "{s}");
}

fn tiny_eval_with_markers(
    inputs: &[Variable],
    out: &Variable,
    vals: &[Tensor],
) -> Result<Tensor, String> {
    // replace marker nodes by their input, then evaluate
    let mut map: HashMap<u64, Variable> = HashMap::new();
    for node in theano_ir::graph::toposort(std::slice::from_ref(out)) {
        let ins: Vec<Variable> = node
            .inputs()
            .iter()
            .map(|i| map.get(&i.id()).cloned().unwrap_or_else(|| i.clone()))
            .collect();
        let new = if GradMarker::of(node.op()).is_some() {
            ins[0].clone()
        } else {
            theano_ir::ApplyRef::create(node.op().clone(), ins, node.location())
                .map_err(|e| e.to_string())?
                .output(0)
        };
        map.insert(node.output(0).id(), new);
    }
    let o = map.get(&out.id()).cloned().unwrap_or_else(|| out.clone());
    tiny_eval(inputs, &o, vals)
}
