//! The destroy handler of the in-place pass on hand-built graphs: a value with two readers is
//! never overwritten, a value is never overwritten twice, inputs and constants never.

use std::panic::Location;
use theano_ir::fgraph::{FunctionGraph, Value};
use theano_ir::{DType, Op, ReduceKind, ScalarOp, Tensor, TensorType};
use theano_opt::{inplace, DestroyHandler, Report};

#[track_caller]
fn node(fg: &mut FunctionGraph, op: Op, ins: &[Value]) -> Value {
    fg.add_node1(op, ins, Location::caller()).unwrap()
}

#[track_caller]
fn ew(fg: &mut FunctionGraph, s: ScalarOp, ins: &[Value]) -> Value {
    node(fg, Op::elemwise(s), ins)
}

fn ds(order: Vec<Option<usize>>) -> Op {
    Op::DimShuffle {
        new_order: order,
        inplace: true,
    }
}

fn ops(fg: &FunctionGraph) -> Vec<String> {
    fg.toposort().into_iter().map(|n| fg.op(n).name()).collect()
}

fn run(fg: &mut FunctionGraph) -> usize {
    let mut r = Report::default();
    let n = inplace(fg, &[], &[], false, &mut r);
    fg.verify().unwrap();
    n
}

fn dvector(fg: &mut FunctionGraph, name: &str) -> Value {
    fg.add_input(TensorType::vector(DType::Float64), Some(name))
}

#[test]
fn two_unordered_readers_block_destruction() {
    let mut fg = FunctionGraph::new();
    let a = dvector(&mut fg, "a");
    let b = dvector(&mut fg, "b");
    let u = ew(&mut fg, ScalarOp::Exp, &[a]);
    let v1 = ew(&mut fg, ScalarOp::Add, &[u, b]);
    let v2 = ew(&mut fg, ScalarOp::Mul, &[u, b]);
    fg.add_output(v1);
    fg.add_output(v2);
    // u has two readers, neither runs before the other; a and b are inputs
    assert_eq!(run(&mut fg), 0, "{:?}", ops(&fg));
}

#[test]
fn a_reader_that_runs_first_allows_destruction() {
    let mut fg = FunctionGraph::new();
    let a = dvector(&mut fg, "a");
    let u = ew(&mut fg, ScalarOp::Exp, &[a]);
    let sum = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: None,
        dtype: None,
    };
    let s = node(&mut fg, sum, &[u]);
    let sv = node(&mut fg, ds(vec![None]), &[s]);
    // sub(u, sum(u)): the sum is an ancestor of the sub, so the sub may overwrite u
    let d = ew(&mut fg, ScalarOp::Sub, &[u, sv]);
    fg.add_output(d);
    assert_eq!(run(&mut fg), 1);
    assert_eq!(
        ops(&fg),
        [
            "Elemwise{exp,no_inplace}",
            "Sum",
            "InplaceDimShuffle{x}",
            "Elemwise{Sub}[(0, 0)]"
        ]
    );
}

#[test]
fn a_node_reading_the_value_twice_does_not_destroy_it() {
    let mut fg = FunctionGraph::new();
    let a = dvector(&mut fg, "a");
    let u = ew(&mut fg, ScalarOp::Exp, &[a]);
    // u * view(u): the view aliases u
    let view = node(&mut fg, ds(vec![Some(0)]), &[u]);
    let m = ew(&mut fg, ScalarOp::Mul, &[u, view]);
    fg.add_output(m);
    assert_eq!(run(&mut fg), 0, "{:?}", ops(&fg));
}

#[test]
fn outputs_are_never_destroyed() {
    let mut fg = FunctionGraph::new();
    let a = dvector(&mut fg, "a");
    let u = ew(&mut fg, ScalarOp::Exp, &[a]);
    let n1 = ew(&mut fg, ScalarOp::Neg, &[u]);
    let n2 = ew(&mut fg, ScalarOp::Tanh, &[n1]);
    fg.add_output(n2);
    // u is also an output: neg must not overwrite it; tanh may overwrite neg's result
    fg.add_output(u);
    assert_eq!(run(&mut fg), 1);
    assert_eq!(
        ops(&fg),
        [
            "Elemwise{exp,no_inplace}",
            "Elemwise{neg,no_inplace}",
            "Elemwise{Tanh}[(0, 0)]"
        ]
    );
}

#[test]
fn a_value_is_destroyed_at_most_once() {
    let mut fg = FunctionGraph::new();
    let a = dvector(&mut fg, "a");
    let u = ew(&mut fg, ScalarOp::Exp, &[a]);
    let neg_ip = Op::Elemwise {
        scalar: ScalarOp::Neg,
        inplace: Some(0),
    };
    let d1 = node(&mut fg, neg_ip, &[u]);
    let c = fg.add_constant(Tensor::full(DType::Float64, &[1], 2.0));
    let d2 = ew(&mut fg, ScalarOp::Mul, &[d1, c]);
    fg.add_output(d2);
    let dh = DestroyHandler::new(&fg, &[]);
    let mul = fg.owner(d2).unwrap();
    let neg = fg.owner(d1).unwrap();
    let exp = fg.owner(u).unwrap();
    // mul may overwrite neg's output (its only reader), never the constant
    assert!(dh.can_destroy(&fg, mul, 0));
    assert!(!dh.can_destroy(&fg, mul, 1));
    // exp's output is already overwritten by neg: not a second time
    assert!(!dh.can_destroy(&fg, neg, 0));
    // graph inputs never
    assert!(!dh.can_destroy(&fg, exp, 0));
}
