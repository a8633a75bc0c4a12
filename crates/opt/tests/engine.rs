//! The equilibrium driver: rules indexed by root op, multi-output nodes offered to
//! [`Run::Outputs`] rules (and only to them), patterns with guards.

use theano::tensor as T;
use theano::Variable;
use theano_ir::fgraph::{FunctionGraph, Node, Value};
use theano_ir::{Op, ScalarOp};
use theano_opt::{equilibrium, optimize, Config, Phase, Report, Rewrite, Run};

/// The fused cross-entropy node of the softmax-regression cost (three outputs: nll, sm, am).
fn xent_graph() -> (FunctionGraph, Node) {
    let (m, b, y) = (T::dmatrix("m"), T::dvector("b"), T::lvector("y"));
    let p = T::softmax(&m + &b).unwrap();
    let rows = T::arange(y.shape_i(0).unwrap()).unwrap();
    let picked = T::log(&p).get(&[(&rows).into(), (&y).into()]).unwrap();
    let cost = -T::mean(&picked, None, false).unwrap();
    let ins: [Variable; 3] = [m.clone(), b.clone(), y.clone()];
    let mut fg = FunctionGraph::from_outputs(&ins, &[cost, p]).unwrap();
    let cfg = Config {
        excluding: vec!["elemwise_fusion".into(), "inplace".into()],
        ..Config::default()
    };
    optimize(&mut fg, &cfg).unwrap();
    let x = fg
        .toposort()
        .into_iter()
        .find(|&n| *fg.op(n) == Op::CrossentropySoftmaxArgmax1HotWithBias)
        .expect("the fused op");
    (fg, x)
}

/// Replaces the fused op's softmax output (output 1) by `Softmax(x + b)`.
fn sm_as_softmax(fg: &mut FunctionGraph, n: Node) -> Vec<(Value, Value)> {
    let (ins, outs) = (fg.node_inputs(n).to_vec(), fg.node_outputs(n).to_vec());
    let loc = fg.location(n);
    let Some(z) = theano_opt::util::mk(fg, ScalarOp::Add, &ins[..2], loc) else {
        return vec![];
    };
    match fg.add_node1(Op::Softmax, &[z], loc) {
        Ok(sm) => vec![(outs[1], sm)],
        Err(_) => vec![],
    }
}

static SM_AS_SOFTMAX: Rewrite = Rewrite {
    name: "sm_as_softmax",
    phase: Phase::Specialize,
    tags: &[],
    doc: "CrossentropySoftmaxArgmax1HotWithBias(x, b, y)[1] -> Softmax(x + b)",
    run: Run::Outputs {
        roots: &["CrossentropySoftmaxArgmax1HotWithBias"],
        f: sm_as_softmax,
    },
};

/// A single-output rule on every node: it must never see the three-output node.
static NEVER_MULTI: Rewrite = Rewrite {
    name: "never_multi",
    phase: Phase::Specialize,
    tags: &[],
    doc: "panics on a multi-output node",
    run: Run::Node {
        roots: &["*"],
        f: |fg, n| {
            assert_eq!(fg.node_outputs(n).len(), 1, "{}", fg.op(n));
            None
        },
    },
};

#[test]
fn a_multi_output_node_is_rewritten_by_an_outputs_rule() {
    let (mut fg, x) = xent_graph();
    let mut report = Report::default();
    equilibrium(&mut fg, &[&NEVER_MULTI, &SM_AS_SOFTMAX], false, &mut report);
    assert_eq!(report.count("sm_as_softmax"), 1, "{:?}", report.applied);
    let text = fg.to_text();
    assert!(text.contains("= Softmax("), "{text}");
    // the cost still reads the fused node's first output
    assert!(fg.is_alive(x), "{text}");
    fg.verify().unwrap();
}

/// A pattern is offered only the nodes of its root op, and its guard decides.
#[test]
fn a_pattern_with_a_guard() {
    static EXP_LOG: Rewrite = Rewrite {
        name: "exp_log",
        phase: Phase::Canonicalize,
        tags: &[],
        doc: "exp(log(x)) -> x for x named \"keep\" only",
        run: Run::Pattern(
            "(exp (log ?x)) => ?x",
            Some(|fg, m| fg.name(m["x"]) == Some("keep")),
        ),
    };
    let (a, b) = (T::dvector("keep"), T::dvector("other"));
    let outs = [T::exp(T::log(&a)), T::exp(T::log(&b))];
    let mut fg = FunctionGraph::from_outputs(&[a.clone(), b.clone()], &outs).unwrap();
    let mut report = Report::default();
    equilibrium(&mut fg, &[&EXP_LOG], false, &mut report);
    assert_eq!(report.count("exp_log"), 1, "{:?}", report.applied);
    assert_eq!(fg.to_text().matches("Elemwise{exp").count(), 1);
}
