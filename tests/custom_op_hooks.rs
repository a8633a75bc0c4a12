//! A user op with every hook a first-class op has: type inference, a reference
//! implementation, the gradient (L-op), the R-op, shape inference and a text form the IR
//! parser reads back through the registry. End to end: build, print, grad and verify_grad,
//! rop, shape rewrites through it, the text form round trip, and both linkers (the JIT runs
//! it through its interpreter fallback).

use std::sync::Arc;
use theano::ir::fgraph::FunctionGraph;
use theano::ir::{register_custom_op, CustomOp, CustomRef, ShapeDim};
use theano::tensor as T;
use theano::{compile, grad, pp, rop, Mode, Op, Tensor, TensorType, Variable};

mod common;

/// `Scale{factor=k}(x) = k * x`.
#[derive(Debug)]
struct Scale {
    factor: f64,
}

impl CustomOp for Scale {
    fn name(&self) -> String {
        "Scale".into()
    }
    fn params(&self) -> String {
        format!("factor={}", self.factor)
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        match inputs {
            [t] if t.dtype.is_float() => Ok(vec![*t]),
            _ => Err(format!("Scale expects one float tensor, got {inputs:?}")),
        }
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        let x = inputs[0];
        let v: Vec<f64> = x.to_f64_vec().iter().map(|a| a * self.factor).collect();
        Some(
            Tensor::from_f64_vec(x.dtype(), x.shape(), v)
                .map(|t| vec![t])
                .map_err(|e| e.to_string()),
        )
    }
    fn grad(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        g: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![g[0].as_ref().map(|g| g * self.factor)]))
    }
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        ev: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![ev[0].as_ref().map(|e| e * self.factor)]))
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        Some(vec![(0..input_ndims[0])
            .map(|axis| ShapeDim::Of { input: 0, axis })
            .collect()])
    }
}

fn parse_scale(_name: &str, params: &str) -> Result<Arc<dyn CustomOp>, String> {
    let k = params
        .strip_prefix("factor=")
        .ok_or_else(|| format!("expected factor=K, got `{params}`"))?;
    let factor = k.parse::<f64>().map_err(|e| format!("factor `{k}`: {e}"))?;
    Ok(Arc::new(Scale { factor }))
}

fn scale(x: &Variable, factor: f64) -> Variable {
    let op = Op::Custom(CustomRef(Arc::new(Scale { factor })));
    T::apply_op(op, vec![x.clone()]).unwrap().remove(0)
}

fn mode(flags: &str) -> Mode {
    Mode::parse_flags(flags).unwrap()
}

#[test]
fn prints_with_its_parameters() {
    let x = T::dvector("x");
    let y = scale(&x, 2.5);
    assert_eq!(pp(&y), "Scale{factor=2.5}(x)");
}

#[test]
fn values_gradient_and_rop_on_both_linkers() {
    let x = T::dvector("x");
    let y = scale(&x, 2.5);
    let xv = Tensor::from(vec![1.0, -2.0, 0.5]);
    let cost = (&y * &y).sum();
    let g = grad(&cost, std::slice::from_ref(&x)).unwrap().remove(0);
    let v = T::dvector("v");
    let r = rop(
        std::slice::from_ref(&y),
        std::slice::from_ref(&x),
        std::slice::from_ref(&v),
    )
    .unwrap()
    .remove(0);
    let vv = Tensor::from(vec![1.0, 10.0, 100.0]);
    for m in [mode("linker=jit"), mode("linker=interp")] {
        let f = compile(&[&x, &v], [&y, &g, &r]).mode(m).build().unwrap();
        let out = f.call(&[xv.clone(), vv.clone()]).unwrap();
        assert_eq!(out[0].to_f64_vec(), [2.5, -5.0, 1.25]);
        // d/dx sum((kx)^2) = 2 k^2 x
        assert_eq!(out[1].to_f64_vec(), [12.5, -25.0, 6.25]);
        assert_eq!(out[2].to_f64_vec(), [2.5, 25.0, 250.0]);
    }
    let f = |v: &[Variable]| -> Variable { (T::exp(scale(&v[0], -0.7)) * &v[0]).sum() };
    theano::verify_grad(
        f,
        &[xv],
        common::eval_compiled,
        &theano::VerifyGradOptions::default(),
    )
    .unwrap();
}

#[test]
fn a_custom_op_without_rop_is_a_typed_error() {
    #[derive(Debug)]
    struct NoRop;
    impl CustomOp for NoRop {
        fn name(&self) -> String {
            "NoRop".into()
        }
        fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
            Ok(vec![inputs[0]])
        }
    }
    let x = T::dvector("x");
    let y = T::apply_op(Op::Custom(CustomRef(Arc::new(NoRop))), vec![x.clone()])
        .unwrap()
        .remove(0);
    let e = rop(&[y], std::slice::from_ref(&x), std::slice::from_ref(&x)).unwrap_err();
    assert!(e.to_string().contains("NoRop"), "{e}");
    assert!(e.to_string().contains("CustomOp::rop"), "{e}");
}

#[test]
fn shape_inference_goes_through_it() {
    let x = T::dmatrix("x");
    let y = scale(&x, 3.0);
    let n = y.shape_i(1).unwrap();
    let f = compile(&[&x], &n).build().unwrap();
    let text = f.fgraph().to_text();
    // Shape_i{1}(Scale(x)) became Shape_i{1}(x): the op is not computed for its shape
    assert!(!text.contains("Scale"), "{text}");
    let out = f
        .call(&[Tensor::zeros(theano::DType::Float64, &[2, 7])])
        .unwrap();
    assert_eq!(out[0].to_f64_vec(), [7.0]);
    // without the hook the op stays
    #[derive(Debug)]
    struct Opaque;
    impl CustomOp for Opaque {
        fn name(&self) -> String {
            "Opaque".into()
        }
        fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
            Ok(vec![inputs[0]])
        }
        fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
            Some(Ok(vec![inputs[0].clone()]))
        }
    }
    let y = T::apply_op(Op::Custom(CustomRef(Arc::new(Opaque))), vec![x.clone()])
        .unwrap()
        .remove(0);
    let f = compile(&[&x], y.shape_i(1).unwrap()).build().unwrap();
    assert!(f.fgraph().to_text().contains("Opaque"));
}

#[test]
fn the_text_form_parses_back_through_the_registry() {
    let x = T::dvector("x");
    let y = T::exp(scale(&x, -1.5));
    let fg = FunctionGraph::from_outputs(std::slice::from_ref(&x), &[y]).unwrap();
    let text = fg.to_text();
    assert!(text.contains("Scale{factor=-1.5}"), "{text}");
    // unregistered names are refused with the reason
    #[derive(Debug)]
    struct Unregistered;
    impl CustomOp for Unregistered {
        fn name(&self) -> String {
            "Unregistered".into()
        }
        fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
            Ok(vec![inputs[0]])
        }
    }
    let u = T::apply_op(
        Op::Custom(CustomRef(Arc::new(Unregistered))),
        vec![x.clone()],
    )
    .unwrap()
    .remove(0);
    let fu = FunctionGraph::from_outputs(std::slice::from_ref(&x), &[u]).unwrap();
    let e = FunctionGraph::parse(&fu.to_text()).unwrap_err();
    assert!(e.to_string().contains("register_custom_op"), "{e}");
    register_custom_op("Scale", parse_scale);
    let back = FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    // bad parameters are the constructor's error
    let bad = text.replace("factor=-1.5", "factor=abc");
    let e = FunctionGraph::parse(&bad).unwrap_err();
    assert!(e.to_string().contains("custom op `Scale`"), "{e}");
    // the parsed graph computes what the original does
    let xv = Tensor::from(vec![0.0, 1.0, -2.0]);
    let value = |g: &FunctionGraph| {
        let mut ev = theano::debugmode::Evaluator::new(g, &[&xv]);
        ev.eval(g.outputs()[0]).unwrap().to_f64_vec()
    };
    assert_eq!(value(&fg), value(&back));
    assert_eq!(value(&back)[2], (3.0f64).exp());
}
