//! FunctionGraph: import, clients, replace, pruning, toposort, export, errors.

use std::panic::Location;
use theano_ir::fgraph::{Client, FgraphError, FunctionGraph, Node, Value, ValueDef};
use theano_ir::tensor as T;
use theano_ir::{DType, Op, ScalarOp, Tensor, TensorType, Variable};

fn here() -> &'static Location<'static> {
    Location::caller()
}

fn exp_of_sum() -> (FunctionGraph, Value, Value) {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let z = T::exp(&x + &y);
    let fg = FunctionGraph::from_outputs(&[x, y], &[z]).unwrap();
    let (a, b) = (fg.inputs()[0], fg.inputs()[1]);
    (fg, a, b)
}

#[test]
fn import_records_types_names_clients_and_locations() {
    let x = T::dmatrix("x");
    let s = (&x * &x).named("sq"); // x read twice by one node
    let out = T::sum(&s) + T::sum(&x);
    let line = line!() - 1;
    let fg = FunctionGraph::from_outputs(std::slice::from_ref(&x), &[out]).unwrap();
    fg.verify().unwrap();
    let xv = fg.inputs()[0];
    assert_eq!(fg.ty(xv), T::DMATRIX);
    assert_eq!(fg.name(xv), Some("x"));
    assert_eq!(fg.def(xv), ValueDef::Input);
    assert_eq!(fg.leaf_variable(xv), Some(&x));
    // mul reads x twice, the second Sum reads it once
    let cl = fg.clients(xv);
    assert_eq!(cl.len(), 3);
    let order = fg.toposort();
    let mul = order[0];
    assert_eq!(fg.op(mul), &Op::elemwise(ScalarOp::Mul));
    assert!(cl.contains(&Client {
        node: mul,
        input: 0
    }));
    assert!(cl.contains(&Client {
        node: mul,
        input: 1
    }));
    assert_eq!(fg.name(fg.node_outputs(mul)[0]), Some("sq"));
    assert!(!fg.is_output(xv));
    assert!(fg.is_output(fg.outputs()[0]));
    assert_eq!(fg.n_uses(fg.outputs()[0]), 1);
    // the final add was built on the line of `out`
    let add = *order.last().unwrap();
    assert_eq!(fg.location(add).line(), line);
    assert_eq!(fg.location(add).file(), file!());
    // every node is reachable
    assert_eq!(order.len(), fg.num_alive_nodes());
}

#[test]
fn missing_input_names_the_variable() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let z = T::exp(&x + &y);
    let e = FunctionGraph::from_outputs(&[x], &[z]).unwrap_err();
    assert!(matches!(&e, FgraphError::MissingInput { name, .. } if name == "y"));
    let msg = e.to_string();
    assert!(msg.starts_with("missing input: y (TensorType(float64, matrix)), needed by Elemwise{add,no_inplace} built at"), "{msg}");
    assert!(msg.contains(file!()), "{msg}");

    // unnamed inputs are named by their type, as Theano prints them
    let u = T::dvector("");
    let e = FunctionGraph::from_outputs(&[], &[T::exp(&u)]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("missing input: <TensorType(float64, vector)>"),
        "{e}"
    );

    // constants and shared variables need not be listed
    let w = Variable::shared(Tensor::zeros(DType::Float64, &[2]), Some("w")).unwrap();
    let fg = FunctionGraph::from_outputs(&[], &[&w * 2.0]).unwrap();
    fg.verify().unwrap();
    assert!(fg.inputs().is_empty());
}

#[test]
fn duplicate_inputs_are_refused() {
    let x = T::dmatrix("x");
    let e = FunctionGraph::from_outputs(&[x.clone(), x.clone()], &[x]).unwrap_err();
    assert_eq!(e.to_string(), "input x is listed twice");
}

#[test]
fn a_listed_input_with_an_owner_cuts_the_graph() {
    let x = T::dmatrix("x");
    let h = T::exp(&x).named("h");
    let out = T::log(&h);
    let fg = FunctionGraph::from_outputs(std::slice::from_ref(&h), &[out]).unwrap();
    fg.verify().unwrap();
    assert_eq!(fg.num_alive_nodes(), 1);
    assert_eq!(fg.op(fg.toposort()[0]), &Op::elemwise(ScalarOp::Log));
}

#[test]
fn replace_redirects_clients_and_prunes() {
    let (mut fg, x, y) = exp_of_sum();
    let order = fg.toposort();
    let (add, exp) = (order[0], order[1]);
    let sum = fg.node_outputs(add)[0];
    let mul = fg
        .add_node1(Op::elemwise(ScalarOp::Mul), &[x, y], here())
        .unwrap();
    assert!(fg.clients(mul).is_empty());
    fg.replace(sum, mul, "test: add -> mul").unwrap();
    fg.verify().unwrap();
    assert_eq!(fg.node_inputs(exp), &[mul]);
    assert_eq!(
        fg.clients(mul),
        &[Client {
            node: exp,
            input: 0
        }]
    );
    assert!(fg.clients(sum).is_empty());
    // the add node lost its only reader: pruned, and no longer a client of x and y
    assert!(!fg.is_alive(add));
    assert!(!fg.is_value_alive(sum));
    assert_eq!(fg.clients(x).len(), 1);
    assert_eq!(fg.clients(y).len(), 1);
    assert_eq!(fg.num_alive_nodes(), 2);
    let h = &fg.history()[0];
    assert_eq!((&*h.reason, h.old, h.new), ("test: add -> mul", sum, mul));
    assert!(fg.to_text().contains("Elemwise{mul,no_inplace}(%0, %1)"));
    // a pruned value cannot be used again
    assert_eq!(
        fg.replace(sum, mul, "again"),
        Err(FgraphError::DeadValue(sum))
    );
}

#[test]
fn replace_outputs_and_chains_of_pruning() {
    let (mut fg, x, _) = exp_of_sum();
    let out = fg.outputs()[0];
    let neg = fg
        .add_node1(Op::elemwise(ScalarOp::Neg), &[x], here())
        .unwrap();
    fg.replace_all(&[(out, neg)], "outputs").unwrap();
    fg.verify().unwrap();
    assert_eq!(fg.outputs(), &[neg]);
    assert!(fg.is_output(neg) && !fg.is_output(out));
    // exp and add both went away
    assert_eq!(fg.num_alive_nodes(), 1);
    assert_eq!(fg.toposort().len(), 1);
    // set_output back to an input prunes neg as well
    fg.set_output(0, x).unwrap();
    fg.verify().unwrap();
    assert_eq!(fg.num_alive_nodes(), 0);
    assert_eq!(
        fg.to_text(),
        "function(%0: float64[?,?] \"x\", %1: float64[?,?] \"y\") {\n  return %0\n}\n"
    );
}

#[test]
fn replace_refuses_other_types_and_direct_cycles() {
    let (mut fg, x, _) = exp_of_sum();
    let out = fg.outputs()[0];
    let v = fg.add_input(TensorType::vector(DType::Float64), Some("v"));
    let e = fg.replace(x, v, "bad").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot replace v0 (TensorType(float64, matrix)) by v4 (TensorType(float64, vector)): the types differ (reason: bad)"
    );
    let sum = fg.node_inputs(fg.toposort()[1])[0];
    let e = fg.replace(sum, out, "cycle").unwrap_err();
    assert!(matches!(e, FgraphError::Cycle { .. }), "{e}");
    fg.verify().unwrap();
    assert!(fg.history().is_empty());
}

#[test]
fn change_input_and_set_op() {
    let (mut fg, x, y) = exp_of_sum();
    let add = fg.toposort()[0];
    fg.change_input(add, 1, x, "x + x").unwrap();
    fg.verify().unwrap();
    assert!(fg.clients(y).is_empty());
    assert_eq!(fg.clients(x).len(), 2);
    fg.set_op(
        add,
        Op::Elemwise {
            scalar: ScalarOp::Add,
            inplace: Some(0),
        },
    )
    .unwrap();
    fg.verify().unwrap();
    assert!(fg.to_text().contains("Elemwise{Add}[(0, 0)](%0, %0)"));
    // an op with other output types is refused
    let e = fg.set_op(add, Op::elemwise(ScalarOp::Gt)).unwrap_err();
    assert!(e.to_string().contains("output types"), "{e}");
    assert!(matches!(
        fg.change_input(add, 5, x, "r"),
        Err(FgraphError::Index { index: 5, len: 2 })
    ));
}

#[test]
fn add_node_infers_types_and_reports_refusals() {
    let (mut fg, x, _) = exp_of_sum();
    let n = fg
        .add_node(Op::MaxAndArgmax { axes: vec![0] }, &[x], here())
        .unwrap();
    let outs = fg.node_outputs(n);
    assert_eq!(fg.ty(outs[0]), T::DVECTOR);
    assert_eq!(fg.ty(outs[1]), T::LVECTOR);
    let e = fg.add_node(Op::Dot, &[x], here()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("dot: expects 2 inputs, got 1; input types: [TensorType(float64, matrix)]"),
        "{msg}"
    );
    assert!(msg.contains(file!()), "{msg}");
    // unused nodes stay until remove_unused
    assert_eq!(fg.num_alive_nodes(), 3);
    assert_eq!(fg.remove_unused(), 1);
    assert_eq!(fg.num_alive_nodes(), 2);
    assert!(fg.clients(x).len() == 1);
    fg.verify().unwrap();
}

#[test]
fn toposort_is_deterministic_and_covers_only_reachable_nodes() {
    let x = T::dvector("x");
    let a = T::exp(&x);
    let b = T::log(&x);
    let c = &a + &b;
    let d = &c * &a;
    let fg =
        FunctionGraph::from_outputs(std::slice::from_ref(&x), &[d.clone(), b.clone()]).unwrap();
    let ops: Vec<String> = fg
        .toposort()
        .iter()
        .map(|&n| fg.op(n).to_string())
        .collect();
    assert_eq!(
        ops,
        [
            "Elemwise{exp,no_inplace}",
            "Elemwise{log,no_inplace}",
            "Elemwise{add,no_inplace}",
            "Elemwise{mul,no_inplace}"
        ]
    );
    // the same graph imported twice sorts the same way
    let fg2 = FunctionGraph::from_outputs(&[x], &[d, b]).unwrap();
    assert_eq!(fg, fg2);
    assert_eq!(fg.to_text(), fg2.to_text());
    let ids: Vec<Node> = fg.toposort();
    assert_eq!(ids, fg2.toposort());
}

#[test]
fn to_variables_reuses_unchanged_nodes_and_rebuilds_rewritten_ones() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let s = &x + &y;
    let z = T::exp(&s).named("z");
    let w = T::sum(&z);
    let mut fg =
        FunctionGraph::from_outputs(&[x.clone(), y.clone()], &[z.clone(), w.clone()]).unwrap();
    let back = fg.to_variables().unwrap();
    assert_eq!(back, vec![z.clone(), w.clone()]); // identical user variables

    let (xv, yv) = (fg.inputs()[0], fg.inputs()[1]);
    let sum = fg.node_inputs(fg.toposort()[1])[0];
    let mul = fg
        .add_node1(Op::elemwise(ScalarOp::Mul), &[xv, yv], here())
        .unwrap();
    fg.replace(sum, mul, "rewrite").unwrap();
    let back = fg.to_variables().unwrap();
    assert_ne!(back[0], z);
    assert_eq!(back[0].name().as_deref(), Some("z"));
    let exp = back[0].owner().unwrap();
    assert_eq!(exp.op(), &Op::elemwise(ScalarOp::Exp));
    let mul_node = exp.inputs()[0].owner().unwrap();
    assert_eq!(mul_node.op(), &Op::elemwise(ScalarOp::Mul));
    // the leaves are the user's own inputs
    assert_eq!(mul_node.inputs(), &[x.clone(), y.clone()]);
    // the Sum node reads the rebuilt exp, so it is rebuilt too, sharing the exp output
    assert_eq!(back[1].owner().unwrap().inputs()[0], back[0]);
    // re-importing the exported graph gives the same graph
    let again = FunctionGraph::from_outputs(&[x, y], &back).unwrap();
    assert_eq!(again, fg);
}

#[test]
fn import_is_memoised_and_constants_can_be_added() {
    let (mut fg, _, _) = exp_of_sum();
    let out_var = T::dmatrix("q");
    assert!(matches!(
        fg.import(&out_var),
        Err(FgraphError::MissingInput { .. })
    ));
    let c = fg.add_constant(Tensor::scalar(2.0f64));
    assert_eq!(fg.constant_value(c).unwrap().scalar_f64(), Some(2.0));
    assert_eq!(fg.ty(c), T::DSCALAR);
    let k = T::try_constant(Tensor::scalar(3i8)).unwrap();
    let a = fg.import(&k).unwrap();
    let b = fg.import(&k).unwrap();
    assert_eq!(a, b);
}

#[test]
fn deep_graphs_do_not_overflow_and_replace_scales() {
    // a chain of 100k nodes: import, toposort, verify, print, parse, all iterative
    let x = T::dvector("x");
    let mut v = x.clone();
    for _ in 0..100_000 {
        v = T::exp(&v);
    }
    let mut fg =
        FunctionGraph::from_outputs(std::slice::from_ref(&x), std::slice::from_ref(&v)).unwrap();
    // Dropping the user's 100k-deep chain must not recurse (Apply's iterative Drop).
    drop(v);
    assert_eq!(fg.toposort().len(), 100_000);
    fg.verify().unwrap();
    let text = fg.to_text();
    let back = FunctionGraph::parse(&text).unwrap();
    assert_eq!(back, fg);
    // 100k replacements, each O(clients): replace every exp by a neg of its input
    let t = std::time::Instant::now();
    for n in fg.toposort() {
        let i = fg.node_inputs(n)[0];
        let o = fg.node_outputs(n)[0];
        let neg = fg
            .add_node1(Op::elemwise(ScalarOp::Neg), &[i], here())
            .unwrap();
        fg.replace(o, neg, "exp -> neg").unwrap();
    }
    assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
    assert_eq!(fg.num_alive_nodes(), 100_000);
    assert_eq!(fg.history().len(), 100_000);
    fg.verify().unwrap();
}

#[test]
fn graphs_are_send_and_sync() {
    fn check<G: Send + Sync + Clone>() {}
    check::<FunctionGraph>();
}
