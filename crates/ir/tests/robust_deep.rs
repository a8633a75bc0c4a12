//! No input may crash the process (issue 12): deep user graphs are walked iteratively, deeply
//! nested text parses iteratively, and sizes from the user are typed errors, never panics.
//!
//! The deep cases run on a thread with a 256 KiB stack, so a walk that recursed once per level
//! would overflow deterministically (and abort the test binary: that is the failure).

use theano_ir::fgraph::FunctionGraph;
use theano_ir::printing::{debugprint_with, pp, pydotprint_dot, DebugPrintOptions};
use theano_ir::tensor as T;
use theano_ir::{Composite, DType, Op, Tensor, TensorType, Variable, MAX_NDIM};

const SMALL_STACK: usize = 256 * 1024;

fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// `Composite{exp(exp(...exp(i0)...))}` nested `n` deep.
fn nested_calls(n: usize) -> String {
    format!("Composite{{{}i0{}}}", "exp(".repeat(n), ")".repeat(n))
}

/// `Composite{((...((i0 + i1) * i1)...) + i1)}` nested `n` deep, alternating operators.
fn nested_infix(n: usize) -> String {
    let mut s = String::from("Composite{");
    s.push_str(&"(".repeat(n));
    s.push_str("i0");
    for k in 0..n {
        s.push_str(if k % 2 == 0 { " + i1)" } else { " * i1)" });
    }
    s.push('}');
    s
}

#[test]
fn composite_nested_100k_deep_parses_and_prints_back() {
    on_small_stack(|| {
        for text in [nested_calls(100_000), nested_infix(100_000)] {
            let c = Composite::parse(&text).unwrap();
            assert_eq!(c.instrs().len(), 100_000);
            assert_eq!(c.to_string(), text);
        }
        // negation nests through `(-...)`
        let n = 50_000;
        let neg = format!("Composite{{{}i0{}}}", "(-".repeat(n), ")".repeat(n));
        let c = Composite::parse(&neg).unwrap();
        assert_eq!(c.to_string(), neg);
    });
}

#[test]
fn fgraph_text_with_a_100k_deep_composite_parses_and_prints_back() {
    on_small_stack(|| {
        let text = format!(
            "function(%0: float64[?]) {{\n  %1: float64[?] = Elemwise{{{}}}(%0)\n  return %1\n}}\n",
            nested_calls(100_000)
        );
        let fg = FunctionGraph::parse(&text).unwrap();
        fg.verify().unwrap();
        assert_eq!(fg.to_text(), text);
        // the op alone, as `parse_op` reads it
        let op = theano_ir::fgraph::parse_op(&format!("Elemwise{{{}}}", nested_infix(100_000)));
        assert!(matches!(op, Ok(Op::Elemwise { .. })), "{op:?}");
    });
}

#[test]
fn composite_input_index_is_not_an_allocation_size() {
    // `i99999999999999` made Composite::new allocate one flag per input (an abort), and
    // `i18446744073709551615` overflowed `max + 1`.
    let e = Composite::parse("Composite{(i0 + i99999999999999)}").unwrap_err();
    assert!(e.contains("input i1 is not used"), "{e}");
    let e = Composite::parse("Composite{exp(i18446744073709551615)}").unwrap_err();
    assert!(e.contains("too large"), "{e}");
}

fn chain(n: usize) -> (Variable, Variable) {
    let x = T::dscalar("x");
    let mut y = x.clone();
    for _ in 0..n {
        y = &y + 1;
    }
    (x, y)
}

#[test]
fn chain_of_200k_nodes_prints_and_drops() {
    on_small_stack(|| {
        let (x, y) = chain(200_000);
        // pp is linear in its output: about a second here in a debug build, where building
        // each level's whole string from its input's string took minutes (quadratic)
        let t = std::time::Instant::now();
        let s = pp(&y);
        assert!(t.elapsed().as_secs() < 20, "pp took {:?}", t.elapsed());
        let n = 200_000;
        assert!(s.starts_with(&format!("{}x + TensorConstant{{1}})", "(".repeat(n))));
        assert_eq!(s.len(), n * " + TensorConstant{1})".len() + n + 1);
        let dot = pydotprint_dot(std::slice::from_ref(&y));
        assert!(dot.contains("digraph"));
        // debugprint's output is quadratic in the depth (one indented line per level), so
        // the whole chain is printed to a bounded depth, and the walk still meets every node
        // id-wise through the shared-node rule when printing from the top.
        let d = debugprint_with(std::slice::from_ref(&y), &DebugPrintOptions::new().depth(3));
        assert_eq!(d.lines().count(), 5, "{d}");
        let fg = FunctionGraph::from_outputs(std::slice::from_ref(&x), std::slice::from_ref(&y))
            .unwrap();
        assert_eq!(fg.toposort().len(), 200_000);
        fg.verify().unwrap();
        let text = fg.to_text();
        let back = FunctionGraph::parse(&text).unwrap();
        assert_eq!(back, fg);
        drop((fg, back));
        drop(y);
    });
}

#[test]
fn too_many_dimensions_are_typed_errors() {
    let e = TensorType::with_ndim(DType::Float64, MAX_NDIM + 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ndim: a TensorType has at most 32 dimensions, got 33"
    );
    assert!(TensorType::new(DType::Float64, &[true; 33]).is_err());
    assert!(TensorType::of_value(DType::Float64, 1000).is_err());
    // a value of 33 dimensions: a constant or shared variable of it is an error, not a panic
    let t = Tensor::zeros(DType::Float64, &[1; 33]);
    let e = Variable::constant(t.clone()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the constant's shape: a TensorType has at most 32 dimensions, got 33"
    );
    let e = Variable::shared(t, Some("w")).unwrap_err();
    assert_eq!(e.ndim, 33);
    assert!(Variable::constant(Tensor::zeros(DType::Int8, &[1; 32])).is_ok());
}

#[test]
fn text_constants_of_bad_shapes_are_parse_errors() {
    let with_const =
        |c: &str| format!("function() {{\n  %0: float64[?] = const {c}\n  return %0\n}}\n");
    // 33 dimensions (Variable::constant panicked)
    let dims = vec!["1"; 33].join(", ");
    let e = FunctionGraph::parse(&with_const(&format!("[{dims}] {{0}}"))).unwrap_err();
    assert!(e.message.contains("at most 32 dimensions"), "{e}");
    // an element count beyond usize (the product overflowed)
    let e =
        FunctionGraph::parse(&with_const("[4294967296, 4294967296, 4294967296] {}")).unwrap_err();
    assert!(e.message.contains("too large"), "{e}");
    // zero elements, but beyond isize::MAX for the non-zero dimensions (ndarray refused it
    // and `expect` panicked)
    let e = FunctionGraph::parse(&with_const(
        "[0, 4611686018427387904, 4611686018427387904] {}",
    ))
    .unwrap_err();
    assert!(e.message.contains("shape"), "{e}");
}
