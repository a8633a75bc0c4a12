//! The rewrite table: one entry per rewrite, in the order they are tried within a phase.
//! Most are one-line patterns ([`crate::pattern`]) with an optional guard; the rest are code,
//! registered with the ops they are rooted at.
//!
//! A rewrite split into forms keeps its former name as a tag of each form, so that
//! `optimizer_excluding=<former name>` still excludes them all and `Report::count` counts them.

use crate::engine::{Phase, Rewrite, Run};
use crate::pattern::{Guard, Match};
use crate::util::{elemwise, ew_inputs, fit, konst, mk, scalar_const};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{DType, Op, ScalarOp as S, Tensor};

use Phase::*;

/// A one-line pattern: name, phase, tags, doc, `lhs => rhs` and an optional guard.
macro_rules! pat {
    ($name:literal, $phase:expr, [$($tag:literal),*], $doc:literal, $pat:literal) => {
        Rewrite { name: $name, phase: $phase, tags: &[$($tag),*], doc: $doc, run: Run::Pattern($pat, None) }
    };
    ($name:literal, $phase:expr, [$($tag:literal),*], $doc:literal, $pat:literal, $guard:expr) => {
        Rewrite { name: $name, phase: $phase, tags: &[$($tag),*], doc: $doc, run: Run::Pattern($pat, guard($guard)) }
    };
}

/// A rewrite in code: name, phase, tags, the root ops it is tried on, doc, function.
macro_rules! func {
    ($name:literal, $phase:expr, [$($tag:literal),*], [$($root:literal),*], $doc:literal, $f:expr) => {
        Rewrite { name: $name, phase: $phase, tags: &[$($tag),*], doc: $doc, run: Run::Node { roots: &[$($root),*], f: $f } }
    };
}

/// A rewrite in code of a multi-output node: like `func!`, its function gives the
/// (replaced output, replacement) pairs.
macro_rules! func_outputs {
    ($name:literal, $phase:expr, [$($tag:literal),*], [$($root:literal),*], $doc:literal, $f:expr) => {
        Rewrite { name: $name, phase: $phase, tags: &[$($tag),*], doc: $doc, run: Run::Outputs { roots: &[$($root),*], f: $f } }
    };
}

const fn guard(g: Guard) -> Option<Guard> {
    Some(g)
}

fn dtype(fg: &FunctionGraph, v: Value) -> DType {
    fg.ty(v).dtype
}

/// `?n` has the matched output's dtype (a neg computed in another dtype is not the sum's
/// negation: a uint8 `-u` is `256 - u`; found by the differential test).
fn same_dtype(fg: &FunctionGraph, m: &Match, n: &str) -> bool {
    dtype(fg, m[n]) == dtype(fg, m.out)
}

/// `log(1 - sigmoid(x))`, `log1p(-sigmoid(x))`: a float `x`, the sigmoid in the output dtype.
fn float_sigmoid(fg: &FunctionGraph, m: &Match) -> bool {
    dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "s")
}

/// Every rewrite, in the order they are tried within a phase.
#[rustfmt::skip]
pub static REWRITES: &[Rewrite] = &[
    func_outputs!("inline_sigmoid_binary_crossentropy", Canonicalize, ["fast_compile", "fast_run", "inline_ofg_expansion"], ["Custom"], "sigmoid_binary_crossentropy{inline=True}(o, t) -> softplus(-abs(o)) + o * ((o > 0) - t), its gradient op (o, t, out, g) -> g * (sigmoid(o) - t), g * -o (Theano inlines the OpFromGraphs)", crate::sigm::inline_sigmoid_binary_crossentropy),
    func_outputs!("inline_ofg_expansion", Canonicalize, ["fast_compile", "fast_run", "inline_ofg_expansion"], ["Custom"], "OpFromGraph{inline=True}(args) -> its graph over args (Theano's inline_ofg_expansion)", |fg, n| expand(fg, n, "inline_ofg_expansion")),
    func_outputs!("abstract_batch_norm", Canonicalize, ["fast_compile", "fast_run", "local_abstract_batch_norm_train", "local_abstract_batch_norm_train_grad", "local_abstract_batch_norm_inference"], ["Custom"], "AbstractBatchNormTrain/TrainGrad/Inference(args) -> their elementwise and reduction graphs (Theano's CPU rewrites of the abstract ops), which the fusion and the JIT then compile", |fg, n| expand(fg, n, "abstract_batch_norm")),
    pat!("remove_useless_assert", Canonicalize, ["fast_run", "local_remove_useless_assert"], "Assert(x, c...) -> x when every condition is a constant with no zero",
        "(Assert ?x ?c..) => ?x", |fg, m| is_assert(fg, m.node) && m.rest("c").iter().all(|&c| is_true_constant(fg, c))),
    func_outputs!("remove_useless_assert_conditions", Canonicalize, ["fast_run", "local_remove_useless_assert"], ["Custom"], "Assert(x, c1, c2) -> Assert(x, c2) when c1 is a constant with no zero and c2 is not", remove_useless_assert_conditions),
    pat!("useless_rebroadcast", Canonicalize, ["fast_compile", "fast_run", "local_useless_rebroadcast"], "Rebroadcast(x) -> x when it changes no broadcastable flag",
        "(Rebroadcast ?x) => ?x", |fg, m| is_rebroadcast(fg, m.node) && fg.ty(m["x"]) == fg.ty(m.out)),
    func!("useless_rebroadcast_flags", Canonicalize, ["fast_compile", "fast_run", "local_useless_rebroadcast"], ["Custom"], "Rebroadcast{1,0}(x) -> Rebroadcast{1}(x) when x's axis 1 is already not broadcastable (the flags that change something are kept)", useless_rebroadcast_flags),
    func!("rebroadcast_lift", Canonicalize, ["fast_run", "local_rebroadcast_lift"], ["Custom"], "Rebroadcast(f(x)) -> f(Rebroadcast(x)) for a one-input elemwise f read once; Rebroadcast{a}(Rebroadcast{b}(x)) -> Rebroadcast{b updated by a}(x)", rebroadcast_lift),
    func_outputs!("prune_unused_outputs", Canonicalize, ["fast_compile", "fast_run", "scan", "scan_save_mem"], ["Custom"], "op(...) -> op'(...) computing only the outputs something reads (a loop drops the bodies' unread outputs and stacks only the read ones: Theano's scan_save_mem)", prune_unused_outputs),
    func!("constant_folding", Canonicalize, ["fast_compile", "fast_run"], ["*"], "op(constants...) -> constant", constant_folding),
    func!("prod_without_zeros_expand", Canonicalize, ["fast_compile", "fast_run"], ["ProdWithoutZeros"], "ProdWithoutZeros(v) -> Prod(switch(eq(v, 0), 1, v))", crate::reduce::prod_without_zeros_expand),
    pat!("crossentropy_categorical_grad", Canonicalize, ["fast_run", "stabilize", "xent", "local_softmax_grad_to_crossentropy_with_softmax_grad"], "SoftmaxGrad(CrossentropyCategorical1HotGrad(g, sm, y), sm) -> CrossentropySoftmax1HotWithBiasDx(g, sm, y) (Theano's local_softmax_grad_to_crossentropy_with_softmax_grad; before softmax_grad_expand)",
        "(SoftmaxGrad (CrossentropyCategorical1HotGrad ?g ?sm ?y) ?sm) => (CrossentropySoftmax1HotWithBiasDx ?g ?sm ?y)"),
    func!("softmax_grad_expand", Canonicalize, ["fast_compile", "fast_run"], ["SoftmaxGrad"], "SoftmaxGrad(dy, sm) -> dy * sm - sum(dy * sm, last axis) * sm", crate::xent::softmax_grad_expand),
    pat!("useless_fill", Canonicalize, ["fast_run"], "fill(a, b) -> b when a adds no dimension",
        "(second ?a ?b) => ?b", |fg, m| (0..fg.ty(m["a"]).ndim()).all(|i| fg.ty(m["a"]).is_broadcastable(i)) && fg.ty(m["b"]) == fg.ty(m.out)),
    pat!("useless_fill_shape", Canonicalize, ["fast_run", "shape"], "fill(a, b) -> b when b has the output type and a's shape equals (or broadcasts into) b's",
        "(second ?a ?b) => ?b", |fg, m| crate::shape::fill_is_useless(fg, m["a"], m["b"], m.out)),
    pat!("useless_reshape", Canonicalize, ["fast_run", "shape"], "Reshape(x, shape) -> x when x has the output type and shape is provably x's own",
        "(Reshape ?x ?shape) => ?x", |fg, m| crate::shape::reshape_is_useless(fg, m.node)),
    func!("reshape_to_dimshuffle", Canonicalize, ["fast_run", "shape"], ["Reshape"], "Reshape{2}(x, [n, 1]) -> DimShuffle{0, x}(Reshape{1}(x, [n])) (constant-1 entries become broadcastable dimensions)", crate::shape::reshape_to_dimshuffle),
    pat!("useless_alloc", Canonicalize, ["fast_run", "shape"], "Alloc(v, dims...) -> v when v has the output type and provably the dims",
        "(Alloc ?v ?dims..) => ?v", |fg, m| crate::shape::alloc_is_useless(fg, m.node)),
    func!("fill_sink", Canonicalize, ["fast_run", "shape"], ["Elemwise"], "op(fill(a, b), c) -> fill(a, op(b, c))", crate::shape::fill_sink),
    func!("shape_i_lift", Canonicalize, ["fast_run", "shape"], ["Shape_i", "Shape"], "Shape_i{k}(op(x..)) -> op's inferred dimension k; Shape(v) -> MakeVector(dims)", crate::shape::shape_i_lift),
    func!("shape_to_shape_i", Canonicalize, ["fast_run", "shape"], ["Shape"], "Shape(x) -> [Shape_i{0}(x), ...] when shape_i_lift has not lifted it", crate::shape::shape_to_shape_i),
    func!("subtensor_lift", Canonicalize, ["fast_run"], ["Subtensor"], "unary(x)[idx] -> unary(x[idx]) when nothing else reads unary(x)", crate::lift::subtensor_lift),
    func!("subtensor_make_vector", Canonicalize, ["fast_run", "shape"], ["Subtensor"], "[a, b, c][k] -> the k-th entry; [a, b, c][i:j:k] -> the MakeVector of the entries it selects (constant k, bounds)", crate::lift::subtensor_make_vector),
    func!("subtensor_merge", Canonicalize, ["fast_run"], ["Subtensor"], "x[i][j] -> x[i, j] (the inner index all integers)", crate::lift::subtensor_merge),
    func!("useless_slice", Canonicalize, ["fast_run"], ["Subtensor"], "x[i, :, :] -> x[i] (trailing full slices dropped)", crate::lift::useless_slice),
    func!("join_make_vector", Canonicalize, ["fast_run", "shape"], ["Join"], "join(0, [a, b], [c]) -> [a, b, c]", crate::lift::join_make_vector),
    func!("subtensor_of_shape", Canonicalize, ["fast_run", "shape"], ["Subtensor"], "Shape(x)[k] -> Shape_i{k}(x) (k a constant)", crate::lift::subtensor_of_shape),
    pat!("dimshuffle_identity", Canonicalize, ["fast_run", "dimshuffle_merge"], "identity ds(x) -> x",
        "(DimShuffle ?x) => ?x", |fg, m| is_identity_ds(fg, m.node)),
    func!("dimshuffle_merge", Canonicalize, ["fast_run"], ["DimShuffle"], "ds(ds(x)) -> ds(x)", dimshuffle_merge),
    // Theano's local_cut_useless_reduce: a reduction that reduces no axis (of a 0-d input, or
    // over no axes) keeps its input's type and value
    pat!("useless_reduce", Canonicalize, ["fast_run"], "Sum/Prod/Max/Min/All/Any over no axis -> x when the types agree",
        "(Reduce ?x) => ?x", |fg, m| fg.ty(m["x"]) == fg.ty(m.out)),
    func!("sum_prod_all_to_none", Canonicalize, ["fast_run"], ["Reduce"], "Sum/Prod{axis=[every axis]}(x) -> Sum/Prod(x) (axes None, as Theano writes it)", crate::reduce::sum_prod_all_to_none),
    pat!("useless_cast", Canonicalize, ["fast_run"], "cast(x, x.dtype) -> x",
        "(cast ?x) => ?x", |fg, m| same_dtype(fg, m, "x")),
    // Theano's local_useless_switch and local_useless_elemwise: exact (the same value, or the
    // same element of it, NaN included); the result must have the output's type
    pat!("switch_true", Canonicalize, ["fast_run", "useless_switch"], "switch(1, a, b) -> a",
        "(switch 1 ?a ?b) => ?a", |fg, m| fg.ty(m["a"]) == fg.ty(m.out)),
    pat!("switch_false", Canonicalize, ["fast_run", "useless_switch"], "switch(0, a, b) -> b",
        "(switch 0 ?a ?b) => ?b", |fg, m| fg.ty(m["b"]) == fg.ty(m.out)),
    pat!("switch_same", Canonicalize, ["fast_run", "useless_switch"], "switch(c, a, a) -> a",
        "(switch ?c ?a ?a) => ?a", |fg, m| fg.ty(m["a"]) == fg.ty(m.out)),
    pat!("maximum_self", Canonicalize, ["fast_run", "useless_elemwise"], "maximum(x, x) -> x",
        "(maximum ?x ?x) => ?x"),
    pat!("minimum_self", Canonicalize, ["fast_run", "useless_elemwise"], "minimum(x, x) -> x",
        "(minimum ?x ?x) => ?x"),
    // Theano's local_useless_elemwise; not for floats (NaN == NaN is false)
    pat!("eq_self", Canonicalize, ["fast_run", "useless_elemwise"], "eq(x, x) -> fill(x, 1) (not floats)",
        "(eq ?x ?x) => (fill ?x 1)", |fg, m| !dtype(fg, m["x"]).is_float()),
    pat!("neq_self", Canonicalize, ["fast_run", "useless_elemwise"], "neq(x, x) -> fill(x, 0) (not floats)",
        "(neq ?x ?x) => (fill ?x 0)", |fg, m| !dtype(fg, m["x"]).is_float()),
    pat!("and_self", Canonicalize, ["fast_run", "useless_elemwise"], "x & x -> x",
        "(and_ ?x ?x) => ?x"),
    pat!("or_self", Canonicalize, ["fast_run", "useless_elemwise"], "x | x -> x",
        "(or_ ?x ?x) => ?x"),
    pat!("div_by_one", Canonicalize, ["fast_run", "useless_elemwise"], "x / 1 -> x (floats)",
        "(true_div ?x 1) => ?x", |fg, m| fg.ty(m["x"]) == fg.ty(m.out)),
    // x - 0 is x for every x (-0.0 - 0.0 is -0.0); x + 0 is not (-0.0 + 0.0 is +0.0)
    pat!("sub_zero", Canonicalize, ["fast_run", "useless_elemwise"], "x - 0 -> x",
        "(sub ?x 0) => ?x", |fg, m| fg.ty(m["x"]) == fg.ty(m.out)),
    pat!("abs_neg", Canonicalize, ["fast_run"], "|-x| -> |x|",
        "(abs_ (neg ?x)) => (abs_ ?x)", |fg, m| dtype(fg, m["x"]).is_float()),
    pat!("sqr_neg", Canonicalize, ["fast_run"], "sqr(-x) -> sqr(x)",
        "(sqr (neg ?x)) => (sqr ?x)", |fg, m| dtype(fg, m["x"]).is_float()),
    pat!("neg_neg", Canonicalize, ["fast_run"], "-(-x) -> x", "(neg (neg ?x)) => ?x"),
    // Theano's local_func_inv, for the pairs that are inverses wherever both are defined
    // (its tanh/arctanh and cosh/arccosh pairs change values outside a domain: not done;
    // arccosh(cosh(x)) is |x|)
    pat!("deg2rad_rad2deg", Canonicalize, ["fast_run", "local_func_inv"], "deg2rad(rad2deg(x)) -> x (floats)",
        "(deg2rad (rad2deg ?x)) => ?x", |fg, m| dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "x")),
    pat!("rad2deg_deg2rad", Canonicalize, ["fast_run", "local_func_inv"], "rad2deg(deg2rad(x)) -> x (floats)",
        "(rad2deg (deg2rad ?x)) => ?x", |fg, m| dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "x")),
    pat!("sinh_arcsinh", Canonicalize, ["fast_run", "local_func_inv"], "sinh(arcsinh(x)) -> x (floats)",
        "(sinh (arcsinh ?x)) => ?x", |fg, m| dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "x")),
    pat!("arcsinh_sinh", Canonicalize, ["fast_run", "local_func_inv"], "arcsinh(sinh(x)) -> x (floats)",
        "(arcsinh (sinh ?x)) => ?x", |fg, m| dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "x")),
    pat!("arccosh_cosh", Canonicalize, ["fast_run", "local_func_inv"], "arccosh(cosh(x)) -> |x| (floats)",
        "(arccosh (cosh ?x)) => (abs_ ?x)", |fg, m| dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "x")),
    pat!("inv_inv", Canonicalize, ["fast_run", "local_func_inv"], "inv(inv(x)) -> x (floats)",
        "(inv (inv ?x)) => ?x", |fg, m| dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "x")),
    // exact: only signs flip (floats; an integer -x wraps at the minimum)
    pat!("neg_div_neg", Canonicalize, ["fast_run"], "-((-x) / y) -> x / y when nothing else reads the quotient (Theano's local_neg_div_neg)",
        "(neg ?d@(true_div (neg ?x) ?y)) => (true_div ?x ?y)", |fg, m| dtype(fg, m["x"]).is_float() && fg.n_uses(m["d"]) == 1),
    pat!("intdiv_by_one", Canonicalize, ["fast_run", "useless_elemwise"], "x // 1 -> x (integers; a float's x // 1 is floor(x))",
        "(int_div ?x 1) => ?x", |fg, m| !dtype(fg, m["x"]).is_float() && fg.ty(m["x"]) == fg.ty(m.out)),
    // sub_neg_forms: each is exact in IEEE arithmetic (`a - b` is `a + (-b)` rounded once)
    // except `-(x - y) -> y - x` on floats: at `x == y` it turns `-0.0` into `+0.0`
    // (observable through `1 / r`), so that form is left to integer dtypes
    pat!("sub_neg", Canonicalize, ["fast_run", "sub_neg_forms"], "x - (-y) -> x + y",
        "(sub ?x ?n@(neg ?y)) => (add ?x ?y)", |fg, m| same_dtype(fg, m, "n")),
    pat!("add_neg", Canonicalize, ["fast_run", "sub_neg_forms"], "x + (-y) -> x - y",
        "(add ?x ?n@(neg ?y)) => (sub ?x ?y)", |fg, m| same_dtype(fg, m, "n")),
    pat!("neg_add", Canonicalize, ["fast_run", "sub_neg_forms"], "(-y) + x -> x - y",
        "(add ?n@(neg ?y) ?x) => (sub ?x ?y)", |fg, m| same_dtype(fg, m, "n")),
    pat!("neg_sub", Canonicalize, ["fast_run", "sub_neg_forms"], "-(x - y) -> y - x (not for floats)",
        "(neg ?d@(sub ?x ?y)) => (sub ?y ?x)", |fg, m| !dtype(fg, m.out).is_float() && fg.n_uses(m["d"]) == 1),
    // exact for finite x; `inf - inf` and NaN give NaN, as in Theano's canonizer. `x / x` is
    // not cancelled: `0 / 0` is NaN
    pat!("cancel_terms", Canonicalize, ["fast_run", "unsafe_math"], "x - x -> fill(x, 0)", "(sub ?x ?x) => (fill ?x 0)"),
    pat!("pow_one", Canonicalize, ["fast_run", "pow_canonicalize"], "x ** 1 -> x", "(pow ?x 1) => ?x"),
    pat!("pow_zero", Canonicalize, ["fast_run", "pow_canonicalize"], "x ** 0 -> fill(x, 1)", "(pow ?x 0) => (fill ?x 1)"),
    func!("mul_canonizer", Canonicalize, ["fast_run"], ["mul"], "flatten mul, fold constants first, drop * 1", |fg, n| canonize(fg, n, S::Mul)),
    func!("add_canonizer", Canonicalize, ["fast_run"], ["add"], "flatten add, fold constants first, drop + 0", |fg, n| canonize(fg, n, S::Add)),
    pat!("inv_1_plus_exp", Stabilize, ["fast_run", "stabilize"], "1 / (1 + exp(t)) -> sigmoid(-t)",
        "(true_div 1 (add 1 (exp ?t))) => (sigmoid! (fneg ?t))"),
    pat!("inv_exp_plus_1", Stabilize, ["fast_run", "stabilize", "inv_1_plus_exp"], "1 / (exp(t) + 1) -> sigmoid(-t)",
        "(true_div 1 (add (exp ?t) 1)) => (sigmoid! (fneg ?t))"),
    func!("exp_over_1_plus_exp", Stabilize, ["fast_run", "stabilize"], ["mul", "true_div"], "in a mul/div tree: c / (1 + exp(t))^k -> c * sigmoid(-t)^k (exp(t) / (1 + exp(t)) -> exp(t) * sigmoid(-t))", crate::sigm::exp_over_1_plus_exp),
    func!("sigm_times_exp", Stabilize, ["fast_run", "stabilize"], ["mul", "true_div"], "in a mul/div tree: exp(t) * sigmoid(-t) -> sigmoid(t); exp(t) / sigmoid(t) -> 1 / sigmoid(-t)", crate::sigm::sigm_times_exp),
    func!("sigmoid_cancel", Stabilize, ["fast_run", "stabilize"], ["mul", "true_div"], "in a mul/div tree: a * sigmoid(t) / sigmoid(t) -> a", crate::sigm::sigmoid_cancel),
    func!("sigmoid_distribute", Stabilize, ["fast_run", "stabilize"], ["mul", "true_div"], "(a - b) * sigmoid(t) * F -> a * (sigmoid(t) * F) - b * (sigmoid(t) * F) when a or b divides by sigmoid(t)", crate::sigm::sigmoid_distribute),
    pat!("one_minus_sigmoid", Stabilize, ["fast_run", "stabilize"], "1 - sigmoid(x) -> sigmoid(-x)",
        "(sub 1 (sigmoid ?x)) => (sigmoid! (fneg ?x))"),
    func!("one_minus_sigmoid_ds", Stabilize, ["fast_run", "stabilize", "one_minus_sigmoid"], ["sub"], "1 - ds(sigmoid(x)) -> ds(sigmoid(-x))", one_minus_sigmoid_ds),
    pat!("log_sigmoid", Stabilize, ["fast_run", "stabilize"], "log(sigmoid(x)) -> -softplus(-x)",
        "(log (sigmoid ?x)) => (neg! (softplus (fneg ?x)))"),
    pat!("log_1_minus_sigmoid", Stabilize, ["fast_run", "stabilize", "log1m_sigmoid"], "log(1 - sigmoid(x)) -> -softplus(x)",
        "(log (sub 1 ?s@(sigmoid ?x))) => (neg (softplus ?x))", float_sigmoid),
    pat!("log1p_neg_sigmoid", Stabilize, ["fast_run", "stabilize", "log1m_sigmoid"], "log1p(-sigmoid(x)) -> -softplus(x)",
        "(log1p (neg ?s@(sigmoid ?x))) => (neg (softplus ?x))", float_sigmoid),
    pat!("log1p_exp", Stabilize, ["fast_run", "stabilize"], "log1p(exp(x)) -> softplus(x)",
        "(log1p ?e@(exp ?x)) => (softplus ?x)", |fg, m| fg.ty(m["x"]) == fg.ty(m["e"]) && same_dtype(fg, m, "e")),
    pat!("log1p", Stabilize, ["fast_run", "stabilize"], "log(1 + x) -> log1p(x)",
        "(log (add 1 ?x)) => (log1p! ?x)", |fg, m| dtype(fg, m["x"]).is_float()),
    // Theano's local_log1p: log(1 - x) -> log1p(-x) (binary_crossentropy's log(1 - p))
    // Theano's local_expm1
    pat!("expm1", Stabilize, ["fast_run", "stabilize"], "exp(x) - 1 -> expm1(x)",
        "(sub ?e@(exp ?x) 1) => (expm1 ?x)", |fg, m| dtype(fg, m.out).is_float() && fg.ty(m["e"]) == fg.ty(m.out)),
    pat!("log_1_minus", Stabilize, ["fast_run", "stabilize", "log1p"], "log(1 - x) -> log1p(-x)",
        "(log (sub 1 ?x)) => (log1p! (fneg ?x))", |fg, m| dtype(fg, m["x"]).is_float() && same_dtype(fg, m, "x")),
    pat!("log_x_plus_1", Stabilize, ["fast_run", "stabilize", "log1p"], "log(x + 1) -> log1p(x)",
        "(log (add ?x 1)) => (log1p! ?x)", |fg, m| dtype(fg, m["x"]).is_float()),
    pat!("log_softmax", Stabilize, ["fast_run", "stabilize"], "log(softmax(x)) -> log_softmax(x)", "(log (Softmax ?x)) => (LogSoftmax ?x)"),
    func!("crossentropy_onehot", Stabilize, ["fast_run", "stabilize", "xent"], ["AdvancedSubtensor", "log"], "-log(softmax(x + b))[arange(len(y)), y] (also log_softmax, log of the picked) -> -CrossentropySoftmaxArgmax1HotWithBias(x, b, y)[0]", crate::xent::crossentropy_onehot),
    func!("crossentropy_categorical_softmax", Stabilize, ["fast_run", "stabilize", "xent", "crossentropy_to_crossentropy_with_softmax"], ["CrossentropyCategorical1Hot"], "CrossentropyCategorical1Hot(softmax(x), y) -> CrossentropySoftmaxArgmax1HotWithBias(x, fill(x[0], 0), y)[0] (softmax(x + b): bias b)", crate::xent::crossentropy_categorical_softmax),
    pat!("crossentropy_categorical_softmax_with_bias", Stabilize, ["fast_run", "stabilize", "xent", "crossentropy_to_crossentropy_with_softmax"], "CrossentropyCategorical1Hot(SoftmaxWithBias(x, b), y) -> CrossentropySoftmaxArgmax1HotWithBias(x, b, y)[0]",
        "(CrossentropyCategorical1Hot ?s@(SoftmaxWithBias ?x ?b) ?y) => (CrossentropySoftmaxArgmax1HotWithBias.0 ?x ?b ?y)", |fg, m| crate::xent::fused_softmax_type_is(fg, m["x"], m["b"], m["s"])),
    func!("crossentropy_onehot_grad", Stabilize, ["fast_run", "stabilize", "xent"], ["sub"], "softmax grad of (zeros[arange(len(y)), y] += g) / sm -> CrossentropySoftmax1HotWithBiasDx(-g, sm, y)", crate::xent::crossentropy_onehot_grad),
    pat!("crossentropy_dx_useless_fill", Stabilize, ["fast_run", "stabilize", "xent", "local_useless_crossentropy_softmax_1hot_with_bias_dx_alloc"], "CrossentropySoftmax1HotWithBiasDx(fill(a, c), sm, y) -> ..(c, sm, y) for a length-1 c when a has sm's rows or y's length (the op broadcasts c itself)",
        "(CrossentropySoftmax1HotWithBiasDx (fill ?a ?c) ?sm ?y) => (CrossentropySoftmax1HotWithBiasDx ?c ?sm ?y)", |fg, m| crate::xent::dnll_fill_is_useless(fg, m["a"], m["c"], m["sm"], m["y"])),
    pat!("neg_neg_stabilize", Stabilize, ["fast_run"], "-(-x) -> x", "(neg (neg ?x)) => ?x"),
    func!("crossentropy_softmax_share", Specialize, ["fast_run", "xent"], ["Softmax", "SoftmaxWithBias"], "softmax(x + b), SoftmaxWithBias(x, b) -> CrossentropySoftmaxArgmax1HotWithBias(x, b, _)[1] when the graph has one", crate::xent::crossentropy_softmax_share),
    pat!("pow_specialize", Specialize, ["fast_run"], "x ** 2 -> sqr(x)", "(pow ?x 2) => (sqr! ?x)"),
    // Theano's local_pow_specialize: x ** 0.5 -> sqrt(x), exact (both correctly rounded)
    // except at -inf (pow gives inf, sqrt NaN) and -0.0 (pow +0.0, sqrt -0.0), as in Theano
    pat!("pow_half_to_sqrt", Specialize, ["fast_run", "pow_specialize"], "x ** 0.5 -> sqrt(x) (floats)",
        "(pow ?x 0.5) => (sqrt! ?x)", |fg, m| dtype(fg, m.out).is_float()),
    pat!("pow_minus_half", Specialize, ["fast_run", "pow_specialize"], "x ** -0.5 -> inv(sqrt(x)) (floats)",
        "(pow ?x -0.5) => (inv! (sqrt! ?x))", |fg, m| dtype(fg, m.out).is_float()),
    pat!("pow_minus_two", Specialize, ["fast_run", "pow_specialize"], "x ** -2 -> inv(sqr(x)) (floats)",
        "(pow ?x -2) => (inv! (sqr! ?x))", |fg, m| dtype(fg, m.out).is_float()),
    // x ** -1 -> inv(x) (pow(x, -1) and 1 / x are both correctly rounded)
    pat!("pow_minus_one", Specialize, ["fast_run", "pow_specialize"], "x ** -1 -> inv(x) (floats)",
        "(pow ?x -1) => (inv! ?x)", |fg, m| dtype(fg, m.out).is_float()),
    // Theano's local_pow_specialize_device: small integer powers as products (a fused loop
    // would call pow per element; products are a few cycles)
    pat!("pow_three", Specialize, ["fast_run", "local_pow_specialize_device"], "x ** 3 -> x * sqr(x) (floats)",
        "(pow ?x 3) => (mul! ?x (sqr! ?x))", |fg, m| dtype(fg, m.out).is_float() && same_dtype(fg, m, "x")),
    pat!("pow_four", Specialize, ["fast_run", "local_pow_specialize_device"], "x ** 4 -> sqr(sqr(x)) (floats)",
        "(pow ?x 4) => (sqr! (sqr! ?x))", |fg, m| dtype(fg, m.out).is_float() && same_dtype(fg, m, "x")),
    pat!("mul_self_to_sqr", Specialize, ["fast_run"], "x * x -> sqr(x)", "(mul ?x ?x) => (sqr! ?x)"),
    // negate in the output's dtype: a bool has no negation, and an int8 -128 (or any uint8)
    // negated in its own dtype wraps (found by the differential test)
    pat!("mul_minus_one_to_neg", Specialize, ["fast_run"], "-1 * x -> -x",
        "(mul -1 ?x) => (neg! ?x)", |fg, m| dtype(fg, m.out).is_signed()),
    pat!("mul_by_minus_one", Specialize, ["fast_run", "mul_minus_one_to_neg"], "x * -1 -> -x",
        "(mul ?x -1) => (neg! ?x)", |fg, m| dtype(fg, m.out).is_signed()),
    func_outputs!("max_and_argmax_to_max", Specialize, ["fast_run", "uncanonicalize"], ["MaxAndArgmax"], "MaxAndArgmax(x).0 -> Reduce{maximum}(x) when the argmax is not read", crate::reduce::max_and_argmax_to_max),
    func_outputs!("argmax_only", Specialize, ["fast_run", "uncanonicalize", "max_and_argmax_to_max"], ["MaxAndArgmax"], "MaxAndArgmax(x).1 -> Argmax(x) when the max is not read", crate::reduce::argmax_only),
    func!("max_to_min", Specialize, ["fast_run", "uncanonicalize"], ["neg"], "-Reduce{maximum}(-x) -> Reduce{minimum}(x) (floats)", crate::reduce::max_to_min),
    pat!("dot22", Specialize, ["fast_run", "blas", "dot_to_blas"], "dot(A, B) -> Dot22(A, B) for float matrices",
        "(Dot ?a ?b) => (Dot22 ?a ?b)", |fg, m| crate::blas::is_float(fg.ty(m.out)) && [m["a"], m["b"]].iter().all(|&v| fg.ty(v).ndim() == 2 && dtype(fg, v) == dtype(fg, m.out))),
    func!("dot_to_blas", Specialize, ["fast_run", "blas"], ["Dot", "Dot22"], "dot(A, x) -> Gemv(AllocEmpty(n), 1, A, x, 0); dot(x, A) on A.T; dot(x, y) of vectors through a row; Dot22 of a column or a row, the same as a DimShuffle", crate::blas::dot_to_blas),
    pat!("useless_dimshuffle_in_reshape", Specialize, ["fast_run", "shape"], "Reshape(ds(v), shape) -> Reshape(v, shape) when ds only inserts or drops length-1 dimensions",
        "(Reshape ?d@(DimShuffle ?v) ?shape) => (same ?v ?shape)", |fg, m| crate::shape::ds_keeps_order(fg, m["d"])),
    func!("gemm_from_sum", Specialize, ["fast_run", "blas", "unsafe_math"], ["add", "sub", "neg", "mul"], "b * y + a * dot(A, x) -> Gemv(y, a, A, x, b) (Gemm for matrices), constants folded", crate::blas::gemm_from_sum),
    func!("add_cancel", Canonicalize, ["fast_run", "unsafe_math"], ["add", "sub", "neg"], "a + b - a -> b; (x + y) - (y + z) -> x - z (floats: fast-math, see cancel.rs)", crate::cancel::add_cancel),
    func!("mul_cancel", Canonicalize, ["fast_run", "unsafe_math"], ["mul", "true_div"], "x * y / x -> y; (a * b) / (a * c) -> b / c (floats only; fast-math, see cancel.rs)", crate::cancel::mul_cancel),
    func!("dimshuffle_lift", Canonicalize, ["fast_run"], ["DimShuffle"], "ds(op(x, y)) -> op(ds(x), ds(y)) when nothing else reads op(x, y)", crate::lift::dimshuffle_lift),
    func!("ger", Specialize, ["fast_run", "blas"], ["Gemm", "add", "sub", "neg", "mul"], "A + a * outer(x, y) -> CGer(A, a, x, y) (outer: dot(col, row) or col * row); Gemm too", crate::blas::ger),
];

fn out0(fg: &FunctionGraph, n: Node) -> Value {
    fg.node_outputs(n)[0]
}

/// Nodes whose every input is a constant are computed now (by the interpreter). Big results
/// (allocations) are left to run time.
fn constant_folding(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    // AllocEmpty is not folded (Theano's do_constant_folding is False): a constant cannot be
    // the buffer a Gemv overwrites in place
    if matches!(fg.op(n), Op::Custom(_) | Op::AllocEmpty { .. }) || fg.node_outputs(n).len() != 1 {
        return None;
    }
    let ins = fg.node_inputs(n).to_vec();
    if ins.iter().any(|&v| fg.def(v) != ValueDef::Constant) {
        return None;
    }
    let vals: Vec<&Tensor> = ins
        .iter()
        .map(|&v| fg.constant_value(v).expect("constant"))
        .collect();
    let out = out0(fg, n);
    let ty = fg.ty(out);
    let mut r = theano_interp::perform(fg.op(n), &vals, &[ty]).ok()?;
    let t = r.pop()?;
    if t.len() > 1 << 16 {
        return None;
    }
    fg.add_constant_typed(t, ty).ok()
}

/// `ds(x)` reorders nothing.
fn is_identity_ds(fg: &FunctionGraph, n: Node) -> bool {
    let Op::DimShuffle { new_order, .. } = fg.op(n) else {
        return false;
    };
    let x = fg.node_inputs(n)[0];
    new_order.iter().enumerate().all(|(i, e)| *e == Some(i)) && new_order.len() == fg.ty(x).ndim()
}

/// `ds(ds(x)) -> ds(x)` (the identity form is `dimshuffle_identity`).
fn dimshuffle_merge(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::DimShuffle { new_order, .. } = fg.op(n).clone() else {
        return None;
    };
    let x = fg.node_inputs(n)[0];
    let inner = fg.owner(x)?;
    let Op::DimShuffle {
        new_order: inner_order,
        ..
    } = fg.op(inner).clone()
    else {
        return None;
    };
    let composed: Vec<Option<usize>> = new_order
        .iter()
        .map(|e| e.and_then(|i| inner_order[i]))
        .collect();
    let y = fg.node_inputs(inner)[0];
    fg.add_node1(
        Op::DimShuffle {
            new_order: composed,
            inplace: true,
        },
        &[y],
        fg.location(n),
    )
    .ok()
}

/// Theano's add/mul canonizer, in its simplest form: nested same-op nodes read only here are
/// flattened, all constant operands are folded into one placed first, and the identity element
/// is dropped when that keeps the output's type.
fn canonize(fg: &mut FunctionGraph, n: Node, op: S) -> Option<Value> {
    let out = out0(fg, n);
    elemwise(fg, out, op.clone())?;
    let want = fg.ty(out);
    let loc = fg.location(n);
    let identity = if op == S::Mul { 1.0 } else { 0.0 };
    let mut terms = Vec::new();
    let mut changed = false;
    let mut stack: Vec<Value> = fg.node_inputs(n).iter().rev().copied().collect();
    while let Some(v) = stack.pop() {
        match elemwise(fg, v, op.clone()) {
            // an inner node of another dtype stays: an int8 sum inside an int16 one wraps at
            // int8, a float32 one rounds at float32
            Some(inner) if fg.n_uses(v) == 1 && fg.ty(v).dtype == want.dtype => {
                changed = true;
                stack.extend(fg.node_inputs(inner).iter().rev().copied());
            }
            _ => terms.push(v),
        }
    }
    let (consts, rest): (Vec<Value>, Vec<Value>) = terms
        .into_iter()
        .partition(|&v| scalar_const(fg, v).is_some());
    let folded = consts
        .iter()
        .map(|&v| scalar_const(fg, v).expect("partitioned"))
        .fold(identity, |a, c| if op == S::Mul { a * c } else { a + c });
    let cdtype = DType::upcast(&consts.iter().map(|&v| fg.ty(v).dtype).collect::<Vec<_>>());
    let rest_dtype = DType::upcast(&rest.iter().map(|&v| fg.ty(v).dtype).collect::<Vec<_>>());
    let drop_const = !consts.is_empty()
        && folded == identity
        && rest_dtype == Some(want.dtype)
        && !rest.is_empty();
    let first_is_const = consts.len() == 1 && fg.node_inputs(n).first() == consts.first();
    if !changed && (consts.len() <= 1) && !drop_const && (consts.is_empty() || first_is_const) {
        return None;
    }
    let mut ins = Vec::new();
    if !consts.is_empty() && !drop_const {
        let d = cdtype.expect("non-empty");
        let c = if d.is_float() { folded } else { folded.round() };
        let (c, d) = folded_constant(c, d, want.dtype);
        ins.push(konst(fg, c, d));
    }
    ins.extend(rest);
    let new = if ins.len() == 1 {
        ins[0]
    } else {
        mk(fg, op, &ins, loc)?
    };
    let new = if fg.ty(new).ndim() < want.ndim() {
        crate::util::pad(fg, new, want.ndim(), loc)?
    } else {
        new
    };
    fit(fg, new, want, loc)
}

/// The folded constant `c` in the constants' dtype `d` when it holds it exactly, else in
/// `want`, the dtype the folded additions or multiplications computed in (every flattened
/// node has it), wrapped to its width for an integer `want` as those operations wrapped.
/// (Fix: 200,000 int8 ones added to a float64 `x` folded to an int8 200,000, i.e. 64.)
fn folded_constant(c: f64, d: DType, want: DType) -> (f64, DType) {
    let int_range = |d: DType| -> Option<(f64, f64)> {
        Some(match d {
            DType::Int64 => (i64::MIN as f64, i64::MAX as f64),
            DType::Int32 => (i32::MIN as f64, i32::MAX as f64),
            DType::Int16 => (i16::MIN as f64, i16::MAX as f64),
            DType::Int8 => (i8::MIN as f64, i8::MAX as f64),
            DType::UInt8 => (0.0, u8::MAX as f64),
            DType::UInt16 => (0.0, u16::MAX as f64),
            DType::UInt32 => (0.0, u32::MAX as f64),
            DType::UInt64 => (0.0, u64::MAX as f64),
            DType::Bool => (0.0, 1.0),
            DType::Float64 | DType::Float32 => return None,
        })
    };
    let holds = |d: DType| match (d, int_range(d)) {
        (DType::Float32, _) => c.is_nan() || f64::from(c as f32) == c,
        (_, None) => true,
        (_, Some((lo, hi))) => c.fract() == 0.0 && c >= lo && c <= hi,
    };
    if holds(d) {
        return (c, d);
    }
    match int_range(want) {
        Some((lo, hi)) if !holds(want) && c.is_finite() && want != DType::Bool => {
            // wrap to want's width, as the integer operations did
            let span = hi as i128 - lo as i128 + 1;
            let w = (c as i128 - lo as i128).rem_euclid(span) + lo as i128;
            (w as f64, want)
        }
        _ => (c, want),
    }
}

/// `-t` as a float: `u` for `t = -u` on floats; an integer `t` is cast to `dtype` first (the
/// replaced op read it as a float: `exp(-u)` of a uint8 `u` is `exp(256 - u)`, and negating
/// in uint8 wraps). Found by the differential test.
pub(crate) fn float_neg(
    fg: &mut FunctionGraph,
    t: Value,
    dtype: DType,
    loc: crate::util::Loc,
) -> Option<Value> {
    if fg.ty(t).dtype.is_float() {
        if let Some([u]) = ew_inputs(fg, t, S::Neg).as_deref() {
            return Some(*u);
        }
        return mk(fg, S::Neg, &[t], loc);
    }
    let d = if dtype.is_float() {
        dtype
    } else {
        DType::Float64
    };
    let c = fg.add_node1(Op::elemwise(S::Cast(d)), &[t], loc).ok()?;
    mk(fg, S::Neg, &[c], loc)
}

/// `1 - ds(sigmoid(x)) -> ds(sigmoid(-x))`: the gradient with respect to `x` of `dot(x, w)`
/// reads the sigmoid as a column (`one_minus_sigmoid` is the form without a DimShuffle).
fn one_minus_sigmoid_ds(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [one, s] = ew_inputs(fg, out, S::Sub)?[..] else {
        return None;
    };
    if scalar_const(fg, one) != Some(1.0) {
        return None;
    }
    let (s, order) = crate::sigm::through_ds(fg, s);
    let order = order?;
    let [x] = ew_inputs(fg, s, S::Sigmoid)?[..] else {
        return None;
    };
    let loc = fg.location(n);
    let want = fg.ty(out);
    let nx = float_neg(fg, x, want.dtype, loc)?;
    if fg.ty(s).dtype != want.dtype {
        return None;
    }
    let r = mk(fg, S::Sigmoid, &[nx], loc)?;
    let r = crate::sigm::apply_ds(fg, r, Some(&order), loc)?;
    fit(fg, r, want, loc)
}

fn is_assert(fg: &FunctionGraph, n: Node) -> bool {
    theano_ir::assert_op::assert_msg(fg.op(n)).is_some()
}

/// A custom op whose expansion is `rewrite`'s (an `OpFromGraph` built with `inline=True`,
/// an abstract batch-norm op) gives way to its graph over the node's inputs.
fn expand(fg: &mut FunctionGraph, n: Node, rewrite: &str) -> Vec<(Value, Value)> {
    let Op::Custom(c) = fg.op(n) else {
        return vec![];
    };
    let types: Vec<theano_ir::TensorType> = fg.node_inputs(n).iter().map(|&v| fg.ty(v)).collect();
    let Some(g) = c.0.expansion(rewrite, &types) else {
        return vec![];
    };
    let (ins, outs, loc) = (
        fg.node_inputs(n).to_vec(),
        fg.node_outputs(n).to_vec(),
        fg.location(n),
    );
    let mut map: std::collections::HashMap<u64, Value> = g
        .inputs
        .iter()
        .zip(&ins)
        .map(|(v, &x)| (v.id(), x))
        .collect();
    // constants (and shared variables) of the graph come in as they are
    fn value_of(
        fg: &mut FunctionGraph,
        map: &std::collections::HashMap<u64, Value>,
        v: &theano_ir::Variable,
    ) -> Option<Value> {
        match map.get(&v.id()) {
            Some(&x) => Some(x),
            None => fg.import(v).ok(),
        }
    }
    for node in theano_ir::graph::toposort(&g.outputs) {
        let Some(args) = node
            .inputs()
            .iter()
            .map(|i| value_of(fg, &map, i))
            .collect::<Option<Vec<_>>>()
        else {
            return vec![];
        };
        let Ok(new) = fg.add_node(node.op().clone(), &args, loc) else {
            return vec![];
        };
        let new_outs = fg.node_outputs(new).to_vec();
        for (k, o) in new_outs.into_iter().enumerate() {
            map.insert(node.output(k).id(), o);
        }
    }
    outs.iter()
        .zip(&g.outputs)
        .map(|(&o, v)| value_of(fg, &map, v).map(|x| (o, x)))
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
}

fn is_rebroadcast(fg: &FunctionGraph, n: Node) -> bool {
    theano_ir::rebroadcast::rebroadcast_axes(fg.op(n)).is_some()
}

/// Theano's `local_useless_rebroadcast`, for a rebroadcast some of whose flags change
/// nothing (with none changing anything, `useless_rebroadcast`'s pattern applies).
fn useless_rebroadcast_flags(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let axes = theano_ir::rebroadcast::rebroadcast_axes(fg.op(n))?;
    let x = fg.node_inputs(n)[0];
    let t = fg.ty(x);
    let kept: Vec<(usize, bool)> = axes
        .iter()
        .copied()
        .filter(|&(a, b)| t.is_broadcastable(a) != b)
        .collect();
    if kept.is_empty() || kept.len() == axes.len() {
        return None;
    }
    let loc = fg.location(n);
    fg.add_node1(theano_ir::rebroadcast::op(&kept), &[x], loc)
        .ok()
}

/// Theano's `local_rebroadcast_lift`: a rebroadcast moves below a one-input elemwise whose
/// output it alone reads, and two rebroadcasts become one.
fn rebroadcast_lift(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let axes = theano_ir::rebroadcast::rebroadcast_axes(fg.op(n))?;
    let input = fg.node_inputs(n)[0];
    let inner = fg.owner(input)?;
    let loc = fg.location(n);
    if let Some(mut merged) = theano_ir::rebroadcast::rebroadcast_axes(fg.op(inner)) {
        merged.extend(axes);
        let x = fg.node_inputs(inner)[0];
        return fg
            .add_node1(theano_ir::rebroadcast::op(&merged), &[x], loc)
            .ok();
    }
    let op = fg.op(inner).clone();
    if !matches!(op, Op::Elemwise { .. })
        || fg.node_inputs(inner).len() != 1
        || fg.n_uses(input) != 1
    {
        return None;
    }
    let x = fg.node_inputs(inner)[0];
    if fg.ty(x).ndim() != fg.ty(input).ndim() {
        return None;
    }
    let r = fg
        .add_node1(theano_ir::rebroadcast::op(&axes), &[x], loc)
        .ok()?;
    fg.add_node1(op, &[r], loc).ok()
}

/// A constant without a zero: a condition that always holds.
fn is_true_constant(fg: &FunctionGraph, c: Value) -> bool {
    fg.constant_value(c)
        .is_some_and(|t| !t.to_f64_vec().contains(&0.0))
}

/// An `Assert`'s conditions that always hold are dropped (Theano's
/// `local_remove_useless_assert`; with none left, `remove_useless_assert`'s pattern applies).
fn remove_useless_assert_conditions(fg: &mut FunctionGraph, n: Node) -> Vec<(Value, Value)> {
    if !is_assert(fg, n) {
        return vec![];
    }
    let ins = fg.node_inputs(n).to_vec();
    let kept: Vec<Value> = ins[1..]
        .iter()
        .copied()
        .filter(|&c| !is_true_constant(fg, c))
        .collect();
    if kept.is_empty() || kept.len() == ins.len() - 1 {
        return vec![];
    }
    let (op, loc, out) = (fg.op(n).clone(), fg.location(n), out0(fg, n));
    let mut new_ins = vec![ins[0]];
    new_ins.extend(kept);
    match fg.add_node1(op, &new_ins, loc) {
        Ok(v) => vec![(out, v)],
        Err(_) => vec![],
    }
}

/// A custom op computing only the outputs something reads ([`theano_ir::CustomOp::without_outputs`]).
fn prune_unused_outputs(fg: &mut FunctionGraph, n: Node) -> Vec<(Value, Value)> {
    let Op::Custom(c) = fg.op(n) else {
        return vec![];
    };
    let outs = fg.node_outputs(n).to_vec();
    let used: Vec<bool> = outs.iter().map(|&o| fg.n_uses(o) > 0).collect();
    let Some((op, map)) = c.0.without_outputs(&used) else {
        return vec![];
    };
    let ins = fg.node_inputs(n).to_vec();
    let loc = fg.location(n);
    let Ok(new) = fg.add_node(Op::Custom(theano_ir::CustomRef(op)), &ins, loc) else {
        return vec![];
    };
    let new_outs = fg.node_outputs(new).to_vec();
    outs.iter()
        .zip(&map)
        .zip(&used)
        .filter(|(_, &u)| u)
        .filter_map(|((&o, m), _)| Some((o, *new_outs.get((*m)?)?)))
        .collect()
}
