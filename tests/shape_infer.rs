//! `theano_opt::infer_shape` checked against the computed shape (DESIGN §7): for every op, a
//! graph built with the tensor builders (the BLAS ops, which have none, added to the graph
//! directly), its inferred output shape entries built in the graph and compiled with the
//! facade as extra outputs, evaluated on random inputs and compared with the shape of the
//! output actually computed, with and without the optimizer.

use theano::ir::fgraph::{FunctionGraph, Value};
use theano::ir::Op;
use theano::tensor as T;
use theano::tensor::Idx;
use theano::{compile, DType, Mode, OnUnused, Tensor, Variable};
use theano_opt::{infer_shape, ShapeEntry};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64) * 2.0 - 1.0
    }
    fn f(&mut self, shape: &[usize]) -> Tensor {
        let n = shape.iter().product();
        Tensor::from_shape_vec(shape, (0..n).map(|_| self.next()).collect::<Vec<f64>>()).unwrap()
    }
}

fn l(v: i64) -> Tensor {
    Tensor::scalar(v)
}

fn lv(v: &[i64]) -> Tensor {
    Tensor::from_shape_vec(&[v.len()], v.to_vec()).unwrap()
}

/// Infer the shape of `out`'s owner in `fg`, compile the entries next to the outputs, and
/// compare with the computed shapes for each argument set.
fn check_fg(mut fg: FunctionGraph, out: Value, arg_sets: &[Vec<Tensor>]) {
    let node = fg.owner(out).expect("an op's output");
    let op = fg.op(node).to_string();
    let shapes = infer_shape(&mut fg, node).unwrap_or_else(|| panic!("no shape for {op}"));
    let outs = fg.node_outputs(node).to_vec();
    assert_eq!(shapes.len(), outs.len(), "{op}");
    // outputs: the node's outputs, then every symbolic entry
    let base = fg.outputs().len();
    for &o in &outs[1..] {
        fg.add_output(o);
    }
    let mut slots: Vec<Vec<Result<i64, usize>>> = Vec::new();
    for s in &shapes {
        let mut row = Vec::new();
        for e in s {
            match *e {
                ShapeEntry::Const(c) => row.push(Ok(c)),
                ShapeEntry::Value(v) => {
                    assert_eq!(
                        fg.ty(v),
                        theano::ir::TensorType::scalar(DType::Int64),
                        "{op}"
                    );
                    row.push(Err(fg.outputs().len()));
                    fg.add_output(v);
                }
            }
        }
        slots.push(row);
    }
    let vars = fg.to_variables().unwrap();
    let ins: Vec<Variable> = fg
        .inputs()
        .iter()
        .map(|&v| fg.leaf_variable(v).unwrap().clone())
        .collect();
    let in_refs: Vec<&Variable> = ins.iter().collect();
    let out_index = |k: usize| if k == 0 { 0 } else { base + k - 1 };
    for mode in ["optimizer=fast_run", "optimizer=None"] {
        let f = compile(&in_refs, vars.clone())
            .mode(Mode::parse_flags(mode).unwrap())
            .on_unused_input(OnUnused::Ignore)
            .build()
            .unwrap_or_else(|e| panic!("{op} ({mode}): {e}"));
        for args in arg_sets {
            let refs: Vec<&Tensor> = args.iter().collect();
            let res = f.call_refs(&refs).unwrap_or_else(|e| panic!("{op}: {e}"));
            for (k, row) in slots.iter().enumerate() {
                let actual: Vec<i64> = res[out_index(k)]
                    .shape()
                    .iter()
                    .map(|&d| d as i64)
                    .collect();
                let inferred: Vec<i64> = row
                    .iter()
                    .map(|e| match e {
                        Ok(c) => *c,
                        Err(i) => res[*i].scalar_i64().unwrap(),
                    })
                    .collect();
                assert_eq!(
                    inferred,
                    actual,
                    "{op} output {k} ({mode}), args {:?}",
                    args.iter().map(|a| a.shape().to_vec()).collect::<Vec<_>>()
                );
            }
        }
    }
}

fn check(ins: &[&Variable], y: &Variable, arg_sets: &[Vec<Tensor>]) {
    let ins: Vec<Variable> = ins.iter().map(|v| (*v).clone()).collect();
    let fg = FunctionGraph::from_outputs(&ins, std::slice::from_ref(y)).unwrap();
    let out = fg.outputs()[0];
    check_fg(fg, out, arg_sets);
}

#[test]
fn elemwise() {
    let mut r = Rng(1);
    let (x, y) = (T::dmatrix("x"), T::dmatrix("y"));
    let row = T::drow("row");
    check(
        &[&x],
        &T::exp(&x),
        &[vec![r.f(&[2, 3])], vec![r.f(&[0, 4])]],
    );
    check(
        &[&x, &row],
        &(&x * &row),
        &[vec![r.f(&[2, 3]), r.f(&[1, 3])]],
    );
    // both non-broadcastable by type: numpy broadcasting at run time
    let sets = vec![
        vec![r.f(&[2, 3]), r.f(&[2, 3])],
        vec![r.f(&[1, 3]), r.f(&[4, 3])],
        vec![r.f(&[4, 1]), r.f(&[4, 3])],
        vec![r.f(&[1, 0]), r.f(&[5, 1])],
    ];
    check(&[&x, &y], &(&x + &y), &sets);
    check(&[&x, &y], &T::fill(&x, &y), &sets);
    let s = T::dscalar("s");
    check(&[&s, &x], &(&s - &x), &[vec![r.f(&[]), r.f(&[3, 2])]]);
}

#[test]
fn dimshuffle_reduce_maxandargmax() {
    let mut r = Rng(2);
    let t = T::dtensor3("t");
    let sets = [vec![r.f(&[2, 3, 4])], vec![r.f(&[1, 0, 2])]];
    check(
        &[&t],
        &t.dimshuffle(&[Some(2), None, Some(0), Some(1)]).unwrap(),
        &sets,
    );
    check(&[&t], &T::sum_axes(&t, Some(&[1]), false).unwrap(), &sets);
    check(
        &[&t],
        &T::prod_axes(&t, Some(&[0, 2]), true).unwrap(),
        &sets,
    );
    check(&[&t], &t.sum(), &sets);
    let (m, _) = T::max_and_argmax(&t, Some(&[2])).unwrap();
    check(&[&t], &m, &[vec![r.f(&[2, 3, 4])]]);
}

#[test]
fn dot_and_blas() {
    let mut r = Rng(3);
    let (a, b) = (T::dmatrix("a"), T::dmatrix("b"));
    let (u, v) = (T::dvector("u"), T::dvector("v"));
    let ab = vec![r.f(&[2, 3]), r.f(&[3, 4])];
    check(
        &[&a, &b],
        &T::dot(&a, &b).unwrap(),
        std::slice::from_ref(&ab),
    );
    check(
        &[&a, &u],
        &T::dot(&a, &u).unwrap(),
        &[vec![r.f(&[2, 3]), r.f(&[3])]],
    );
    check(
        &[&u, &b],
        &T::dot(&u, &b).unwrap(),
        &[vec![r.f(&[3]), r.f(&[3, 4])]],
    );
    check(
        &[&u, &v],
        &T::dot(&u, &v).unwrap(),
        &[vec![r.f(&[3]), r.f(&[3])]],
    );
    // the BLAS ops, added to a graph directly
    let (y, z) = (T::dvector("y"), T::dmatrix("z"));
    let loc = std::panic::Location::caller();
    let blas: Vec<(Op, Vec<&Variable>, Vec<Tensor>)> = vec![
        (
            Op::Gemv { inplace: false },
            vec![&y, &a, &u],
            vec![r.f(&[2]), r.f(&[2, 3]), r.f(&[3])],
        ),
        (
            Op::Gemm { inplace: false },
            vec![&z, &a, &b],
            vec![r.f(&[2, 4]), r.f(&[2, 3]), r.f(&[3, 4])],
        ),
        (
            Op::Ger { destructive: false },
            vec![&a, &y, &u],
            vec![r.f(&[2, 3]), r.f(&[2]), r.f(&[3])],
        ),
        (Op::Dot22, vec![&a, &b], ab),
    ];
    for (op, ins, args) in blas {
        let owned: Vec<Variable> = ins.iter().map(|v| (*v).clone()).collect();
        let mut fg = FunctionGraph::from_outputs(&owned, &[]).unwrap();
        let vals: Vec<Value> = fg.inputs().to_vec();
        let k = |fg: &mut FunctionGraph, x: f64| fg.add_constant(Tensor::scalar(x));
        let node_ins = match op {
            Op::Gemv { .. } | Op::Gemm { .. } => {
                let (al, be) = (k(&mut fg, 0.5), k(&mut fg, 2.0));
                vec![vals[0], al, vals[1], vals[2], be]
            }
            Op::Ger { .. } => {
                let al = k(&mut fg, 0.5);
                vec![vals[0], al, vals[1], vals[2]]
            }
            _ => vals.clone(),
        };
        let o = fg.add_node1(op.clone(), &node_ins, loc).unwrap();
        fg.add_output(o);
        check_fg(fg, o, &[args]);
    }
}

#[test]
fn softmax_shape_reshape_flatten() {
    let mut r = Rng(4);
    let m = T::dmatrix("m");
    let sets = [vec![r.f(&[2, 6])], vec![r.f(&[3, 4])]];
    check(&[&m], &T::softmax(&m).unwrap(), &sets);
    check(&[&m], &T::log_softmax(&m).unwrap(), &sets);
    check(&[&m], &m.shape(), &sets);
    check(&[&m], &m.shape_i(1).unwrap(), &sets);
    check(&[&m], &m.reshape(&[-1i64, 2][..]).unwrap(), &sets);
    check(
        &[&m],
        &m.reshape(&[4i64, 3][..]).unwrap(),
        &[vec![r.f(&[2, 6])]],
    );
    check(&[&m], &m.reshape(&m.shape()).unwrap(), &sets);
    let (p, q) = (T::lscalar("p"), T::lscalar("q"));
    let y = m.reshape(vec![p.clone(), q.clone()]).unwrap();
    check(
        &[&m, &p, &q],
        &y,
        &[
            vec![r.f(&[2, 6]), l(3), l(-1)],
            vec![r.f(&[2, 6]), l(-1), l(6)],
            vec![r.f(&[2, 6]), l(12), l(1)],
        ],
    );
    let t = T::dtensor3("t");
    let tsets = [vec![r.f(&[2, 3, 4])], vec![r.f(&[0, 3, 2])]];
    check(&[&t], &t.flatten(1).unwrap(), &tsets);
    // flatten(x, 2) is Reshape{2}(x, [x.shape[0], -1]): like numpy's (and Theano's) it cannot
    // infer the -1 of zero elements when the leading length is 0
    let tsets = [vec![r.f(&[2, 3, 4])], vec![r.f(&[2, 0, 2])]];
    check(&[&t], &t.flatten(2).unwrap(), &tsets);
    let tsets = [vec![r.f(&[2, 3, 4])], vec![r.f(&[3, 1, 2])]];
    check(&[&t], &t.flatten(3).unwrap(), &tsets);
}

#[test]
fn arange_alloc_join_makevector() {
    let mut r = Rng(5);
    let (a, b, s) = (T::lscalar("a"), T::lscalar("b"), T::lscalar("s"));
    let y = T::arange_full(&a, &b, &s).unwrap();
    let sets: Vec<Vec<Tensor>> = [
        (0, 10, 3),
        (10, 0, -3),
        (5, 5, 1),
        (5, 2, 1),
        (-7, 4, 2),
        (3, -8, -5),
    ]
    .iter()
    .map(|&(x, y, z)| vec![l(x), l(y), l(z)])
    .collect();
    check(&[&a, &b, &s], &y, &sets);
    check(&[&b], &T::arange(&b).unwrap(), &[vec![l(7)], vec![l(-2)]]);
    let (fa, fb, fs) = (T::dscalar("fa"), T::dscalar("fb"), T::dscalar("fs"));
    let y = T::arange_full(&fa, &fb, &fs).unwrap();
    check(
        &[&fa, &fb, &fs],
        &y,
        &[
            vec![
                Tensor::scalar(0.5),
                Tensor::scalar(3.2),
                Tensor::scalar(0.7),
            ],
            vec![
                Tensor::scalar(3.0),
                Tensor::scalar(-1.0),
                Tensor::scalar(-0.25),
            ],
            vec![
                Tensor::scalar(3.0),
                Tensor::scalar(1.0),
                Tensor::scalar(0.5),
            ],
        ],
    );
    let v = T::dvector("v");
    let y = T::alloc(&v, &[a.clone(), T::constant(2i64), b.clone()]).unwrap();
    check(
        &[&v, &a, &b],
        &y,
        &[vec![r.f(&[3]), l(4), l(3)], vec![r.f(&[1]), l(0), l(5)]],
    );
    let (x1, x2) = (T::dmatrix("x1"), T::dmatrix("x2"));
    let j = T::concatenate(&[x1.clone(), x2.clone(), x1.clone()], 1).unwrap();
    check(&[&x1, &x2], &j, &[vec![r.f(&[2, 3]), r.f(&[2, 5])]]);
    let j = T::stack(&[v.clone(), v.clone()], 0).unwrap();
    check(&[&v], &j, &[vec![r.f(&[4])]]);
    let mv = T::make_vector(&[a.clone(), b.clone(), s.clone()], DType::Int64).unwrap();
    check(&[&a, &b, &s], &mv, &[vec![l(1), l(2), l(3)]]);
    // AllocEmpty (the BLAS rewrites' y) and DeepCopyOp (on outputs aliasing inputs)
    let loc = std::panic::Location::caller();
    let e = theano::ir::ApplyRef::create(
        Op::AllocEmpty {
            dtype: DType::Float32,
        },
        vec![a.clone(), T::constant(1i64), b.clone()],
        loc,
    )
    .unwrap()
    .output(0);
    check(&[&a, &b], &e, &[vec![l(4), l(3)], vec![l(0), l(2)]]);
    let x = T::dmatrix("x");
    let c = theano::ir::ApplyRef::create(Op::DeepCopy, vec![x.t()], loc)
        .unwrap()
        .output(0);
    check(&[&x], &c, &[vec![r.f(&[2, 3])], vec![r.f(&[0, 4])]]);
}

#[test]
fn subtensor_and_inc() {
    let mut r = Rng(6);
    let m = T::dmatrix("m");
    let (a, b, s) = (T::lscalar("a"), T::lscalar("b"), T::lscalar("s"));
    let y = m
        .get(&[
            Idx::slice(Some(a.clone()), Some(b.clone()), Some(s.clone())),
            Idx::all(),
        ])
        .unwrap();
    let mut sets = Vec::new();
    for (x, z, st) in [
        (0, 5, 1),
        (1, 7, 2),
        (-2, 100, 1),
        (-100, -1, 3),
        (5, 0, -1),
        (-1, -100, -2),
        (100, -100, -3),
        (3, 3, 1),
        (4, 1, 2),
        (0, 0, -1),
    ] {
        sets.push(vec![r.f(&[6, 2]), l(x), l(z), l(st)]);
    }
    sets.push(vec![r.f(&[0, 2]), l(0), l(3), l(1)]);
    check(&[&m, &a, &b, &s], &y, &sets);
    // absent bounds, constant steps, an index removing a dimension
    let y = m.get(&[Idx::start_at(&a), Idx::from(1i64)]).unwrap();
    check(
        &[&m, &a],
        &y,
        &[vec![r.f(&[5, 3]), l(2)], vec![r.f(&[5, 3]), l(-7)]],
    );
    let y = m.get(&[Idx::step(-2i64), Idx::to(&b)]).unwrap();
    check(
        &[&m, &b],
        &y,
        &[vec![r.f(&[5, 3]), l(2)], vec![r.f(&[4, 3]), l(-1)]],
    );
    let y = m
        .get(&[Idx::slice(None, Some(b.clone()), Some(s.clone()))])
        .unwrap();
    check(
        &[&m, &b, &s],
        &y,
        &[
            vec![r.f(&[5, 3]), l(1), l(-2)],
            vec![r.f(&[5, 3]), l(4), l(2)],
        ],
    );
    // inc/set subtensor: x's shape
    let sub = m.get(&[Idx::range(1i64, 3i64)]).unwrap();
    let y = T::set_subtensor(&sub, 1.5).unwrap();
    check(&[&m], &y, &[vec![r.f(&[4, 2])]]);
    // advanced indexing
    let i = T::lvector("i");
    let y = m.get(&[Idx::from(&i)]).unwrap();
    check(
        &[&m, &i],
        &y,
        &[
            vec![r.f(&[4, 3]), lv(&[0, 2, 2, 1, 3])],
            vec![r.f(&[4, 3]), lv(&[])],
        ],
    );
    let y = T::inc_subtensor(&y, 1.0).unwrap();
    check(&[&m, &i], &y, &[vec![r.f(&[4, 3]), lv(&[0, 2, 2])]]);
    let (t, j) = (T::dtensor3("t"), T::lmatrix("j"));
    for idx in [
        vec![Idx::all(), Idx::from(&i), Idx::from(&j)],
        vec![Idx::from(&i), Idx::all(), Idx::from(&j)],
        vec![Idx::from(&j)],
    ] {
        let y = t.get(&idx).unwrap();
        assert!(matches!(
            y.owner().unwrap().op(),
            Op::AdvancedSubtensor { .. } | Op::AdvancedSubtensor1
        ));
        let jv = Tensor::from_shape_vec(&[2, 1], vec![0i64, 1]).unwrap();
        let args = vec![r.f(&[2, 3, 4]), lv(&[0, 1, 1]), jv];
        let (ins, args): (Vec<&Variable>, Vec<Tensor>) = if idx.len() == 1 {
            (vec![&t, &j], vec![args[0].clone(), args[2].clone()])
        } else {
            (vec![&t, &i, &j], args)
        };
        check(&ins, &y, std::slice::from_ref(&args));
        let inc = T::inc_subtensor(&y, 1.0).unwrap();
        check(&ins, &inc, &[args]);
    }
}

#[test]
fn crossentropy_ops() {
    let mut r = Rng(11);
    let (m, bv, y) = (T::dmatrix("m"), T::dvector("bv"), T::lvector("y"));
    let (nll, sm, _) = T::crossentropy_softmax_argmax_1hot_with_bias(&m, &bv, &y).unwrap();
    let sets = [
        vec![r.f(&[2, 5]), r.f(&[5]), lv(&[4, 0])],
        vec![r.f(&[3, 4]), r.f(&[4]), lv(&[0, 1, 3])],
    ];
    check(&[&m, &bv, &y], &nll, &sets);
    // the zero-bias form: a broadcastable length-1 bias
    let (nll0, _) = T::crossentropy_softmax_1hot(&m, &y).unwrap();
    let sets0 = [
        vec![r.f(&[2, 5]), lv(&[4, 0])],
        vec![r.f(&[1, 3]), lv(&[2])],
    ];
    check(&[&m, &y], &nll0, &sets0);
    let dn = T::dvector("dn");
    let dx = T::crossentropy_softmax_1hot_with_bias_dx(&dn, &sm, &y).unwrap();
    check(
        &[&dn, &m, &bv, &y],
        &dx,
        &[vec![r.f(&[2]), r.f(&[2, 3]), r.f(&[3]), lv(&[2, 1])]],
    );
    // categorical_crossentropy's CrossentropyCategorical1Hot (of probabilities, not a softmax,
    // so the optimizer keeps it) and its gradient op
    let cc = T::categorical_crossentropy(&m, &y).unwrap();
    let csets = [
        vec![r.f(&[2, 5]), lv(&[4, 0])],
        vec![r.f(&[3, 4]), lv(&[0, 1, 3])],
    ];
    check(&[&m, &y], &cc, &csets);
    let g = T::crossentropy_categorical_1hot_grad(&dn, &m, &y).unwrap();
    check(
        &[&dn, &m, &y],
        &g,
        &[
            vec![r.f(&[2]), r.f(&[2, 3]), lv(&[2, 1])],
            vec![r.f(&[1]), r.f(&[3, 3]), lv(&[0, 1, 2])],
        ],
    );
}

/// The convolution ops: the output lengths from the border mode, stride and dilation, and
/// the gradient ops' from the lengths they are given; hints replace the inputs' lengths.
#[test]
fn conv2d_and_its_gradients() {
    use theano::tensor::nnet::{
        conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights, conv2d_with, Border, Conv2dArgs,
    };
    let mut r = Rng(13);
    let (x, w, g) = (T::dtensor4("x"), T::dtensor4("w"), T::dtensor4("g"));
    let cases = [
        Conv2dArgs::default(),
        Conv2dArgs {
            border_mode: Border::Full,
            subsample: [2, 3],
            ..Conv2dArgs::default()
        },
        Conv2dArgs {
            border_mode: Border::Half,
            filter_dilation: [2, 1],
            ..Conv2dArgs::default()
        },
        Conv2dArgs {
            border_mode: Border::pad((1, 0), (2, 2)),
            subsample: [2, 1],
            num_groups: 2,
            input_shape: Some([Some(2), None, None, Some(7)]),
            ..Conv2dArgs::default()
        },
    ];
    for args in cases {
        let kc = 4 / args.num_groups;
        let y = conv2d_with(&x, &w, &args).unwrap();
        let (xv, wv) = (r.f(&[2, 4, 6, 7]), r.f(&[4, kc, 3, 2]));
        check(&[&x, &w], &y, &[vec![xv.clone(), wv.clone()]]);
        // the gradients at the output's shape
        let fwd = compile(&[&x, &w], &y).build().unwrap();
        let gv = r.f(fwd.call(&[xv.clone(), wv.clone()]).unwrap()[0].shape());
        let n = T::lscalar("n");
        let gi = conv2d_grad_wrt_inputs(
            &g,
            &w,
            vec![
                T::constant(2i64),
                T::constant(4i64),
                n.clone(),
                T::constant(7i64),
            ],
            &args,
        )
        .unwrap();
        check(&[&g, &w, &n], &gi, &[vec![gv.clone(), wv.clone(), l(6)]]);
        let gw = conv2d_grad_wrt_weights(&x, &g, [4i64, kc as i64, 3, 2], &args).unwrap();
        check(&[&x, &g], &gw, &[vec![xv, gv]]);
    }
}

/// Pooling: the pooled lengths for each border rule, stride and pad (constant windows), the
/// gradient ops keep their input's shape.
#[test]
fn pool_and_its_gradients() {
    use theano::tensor::signal::pool::{pool_2d, pool_3d, PoolArgs, PoolMode};
    let mut r = Rng(14);
    let x = T::dtensor4("x");
    let x5 = T::input(
        theano::TensorType::with_ndim(DType::Float64, 5).unwrap(),
        "x5",
    );
    let sets = [
        vec![r.f(&[2, 3, 7, 6])],
        vec![r.f(&[1, 1, 1, 2])],
        vec![r.f(&[1, 2, 8, 9])],
    ];
    for (ws, ignore_border, stride, pad, mode) in [
        ([2, 2], true, None, None, PoolMode::Max),
        ([2, 2], false, None, None, PoolMode::Max),
        ([3, 2], true, Some(vec![2, 1]), None, PoolMode::Sum),
        (
            [3, 3],
            false,
            Some(vec![2, 2]),
            None,
            PoolMode::AverageExcPad,
        ),
        ([2, 3], false, Some(vec![3, 1]), None, PoolMode::Max),
        (
            [3, 3],
            true,
            Some(vec![1, 2]),
            Some(vec![2, 1]),
            PoolMode::AverageIncPad,
        ),
    ] {
        let args = PoolArgs {
            ignore_border,
            stride,
            pad,
            mode,
        };
        let y = pool_2d(&x, ws, &args).unwrap();
        // the keep-border rule needs a window per axis: skip the 1-row image there
        let sets: Vec<Vec<Tensor>> = sets
            .iter()
            .filter(|s| ignore_border || s[0].shape()[2] > 1)
            .cloned()
            .collect();
        check(&[&x], &y, &sets);
        let g = theano::grad(&T::sum(&y), std::slice::from_ref(&x))
            .unwrap()
            .remove(0);
        check(&[&x], &g, &sets);
    }
    let y = pool_3d(&x5, [2, 1, 2], &PoolArgs::default()).unwrap();
    check(&[&x5], &y, &[vec![r.f(&[1, 2, 3, 4, 5])]]);
}

/// `PermuteRowElements`: each length the larger of x's and y's (a length 1 broadcasts).
#[test]
fn permute_row_elements() {
    let mut r = Rng(12);
    let (m, y, ym, v) = (
        T::dmatrix("m"),
        T::lvector("y"),
        T::lmatrix("Y"),
        T::dvector("v"),
    );
    let perm = |rows: usize, n: usize| {
        let v: Vec<i64> = (0..rows).flat_map(|_| (0..n as i64).rev()).collect();
        Tensor::from_shape_vec(&[rows, n], v).unwrap()
    };
    let vecperm =
        |n: usize| Tensor::from_shape_vec(&[n], (0..n as i64).collect::<Vec<_>>()).unwrap();
    for inverse in [false, true] {
        check(
            &[&m, &y],
            &T::permute_row_elements(&m, &y, inverse).unwrap(),
            &[
                vec![r.f(&[2, 3]), vecperm(3)],
                vec![r.f(&[0, 4]), vecperm(4)],
            ],
        );
        check(
            &[&m, &ym],
            &T::permute_row_elements(&m, &ym, inverse).unwrap(),
            &[
                vec![r.f(&[2, 3]), perm(2, 3)],
                vec![r.f(&[1, 3]), perm(4, 3)],
                vec![r.f(&[3, 3]), perm(1, 3)],
            ],
        );
        check(
            &[&v, &ym],
            &T::permute_row_elements(&v, &ym, inverse).unwrap(),
            &[vec![r.f(&[3]), perm(2, 3)]],
        );
    }
    check(
        &[&ym],
        &T::inverse_permutation(&ym).unwrap(),
        &[vec![perm(2, 5)]],
    );
}

#[test]
fn cumop_sort_repeat_nonzero() {
    let mut r = Rng(9);
    let m = T::dmatrix("m");
    let t3 = T::dtensor3("t3");
    let sets = vec![vec![r.f(&[2, 3])], vec![r.f(&[0, 4])], vec![r.f(&[1, 1])]];
    for axis in [None, Some(0), Some(-1)] {
        check(&[&m], &T::cumsum(&m, axis).unwrap(), &sets);
        check(&[&m], &T::cumprod(&m, axis).unwrap(), &sets);
        check(&[&m], &T::sort(&m, axis).unwrap(), &sets);
        check(&[&m], &T::argsort(&m, axis).unwrap(), &sets);
    }
    check(
        &[&t3],
        &T::sort(&t3, Some(1)).unwrap(),
        &[vec![r.f(&[2, 3, 4])]],
    );
    // RepeatOp: a scalar count, symbolic or constant, and a constant vector of counts
    let n = T::lscalar("n");
    for axis in [None, Some(1), Some(-2)] {
        let y = T::apply_op(Op::Repeat { axis }, vec![m.clone(), n.clone()])
            .unwrap()
            .remove(0);
        check(
            &[&m, &n],
            &y,
            &[vec![r.f(&[2, 3]), l(3)], vec![r.f(&[2, 3]), l(0)]],
        );
    }
    let y = T::repeat(&m, T::constant(vec![1i64, 0, 2]), Some(1)).unwrap();
    check(&[&m], &y, &[vec![r.f(&[2, 3])]]);
    let y = T::repeat(&m, T::constant(vec![2i64, 1]), Some(0)).unwrap();
    check(&[&m], &y, &[vec![r.f(&[2, 3])]]);
    let y = T::repeat(&m, T::constant(vec![1i64, 2, 0, 0, 1, 3]), None).unwrap();
    check(&[&m], &y, &[vec![r.f(&[2, 3])]]);
    // tile and repeat by a scalar are reshapes of allocs: their shapes follow
    let y = T::tile(&m, &[T::constant(2i64), n.clone(), T::constant(3i64)], None).unwrap();
    check(&[&m, &n], &y, &[vec![r.f(&[2, 3]), l(2)]]);
    let y = T::repeat(&m, &n, Some(0)).unwrap();
    check(&[&m, &n], &y, &[vec![r.f(&[2, 3]), l(4)]]);

    // lengths known only when computed: a symbolic vector of counts, and Nonzero's count
    let iv = T::lvector("iv");
    let unknown = [
        T::repeat(&m, &iv, Some(1)).unwrap(),
        T::nonzero_matrix(&m).unwrap(),
    ];
    for y in &unknown {
        let mut fg =
            FunctionGraph::from_outputs(&[m.clone(), iv.clone()], std::slice::from_ref(y)).unwrap();
        let node = fg.owner(fg.outputs()[0]).unwrap();
        assert!(infer_shape(&mut fg, node).is_none(), "{y}");
    }
    // ... and `shape` reads them from the value, on both linkers
    for mode in ["optimizer=fast_run", "optimizer=None"] {
        for y in &unknown {
            let f = compile(&[&m, &iv], T::shape(y))
                .mode(Mode::parse_flags(mode).unwrap())
                .on_unused_input(OnUnused::Ignore)
                .build()
                .unwrap();
            let mv = Tensor::from_shape_vec(&[2, 3], vec![0., 1., 0., 2., 3., 0.]).unwrap();
            let got = f.call(&[mv, lv(&[1, 0, 3])]).unwrap().remove(0);
            // three non-zero elements; 1 + 0 + 3 columns
            let want = if matches!(y.owner().unwrap().op(), Op::Nonzero) {
                vec![2, 3]
            } else {
                vec![2, 4]
            };
            assert_eq!(got.to_i64_vec(), want, "{y} ({mode})");
        }
    }
}

/// Eye, Tri, ExtractDiag (every offset sign, axes in either order, 3-d), AllocDiag, BatchedDot
/// (every rank pair, zero-length batches) and SoftmaxWithBias.
#[test]
fn matrix_ops() {
    let mut r = Rng(9);
    let (n, m, k) = (T::lscalar("n"), T::lscalar("m"), T::lscalar("k"));
    let nmk: Vec<Vec<Tensor>> = [(3, 4, 1), (0, 2, 0), (2, 2, -5)]
        .iter()
        .map(|&(a, b, c)| vec![l(a), l(b), l(c)])
        .collect();
    check(
        &[&n, &m, &k],
        &T::eye(&n, Some(m.clone()), &k, None).unwrap(),
        &nmk,
    );
    check(
        &[&n, &m, &k],
        &T::tri(&n, Some(m.clone()), &k, None).unwrap(),
        &nmk,
    );
    let x = T::dmatrix("x");
    let mats = [
        vec![r.f(&[2, 3])],
        vec![r.f(&[4, 2])],
        vec![r.f(&[3, 3])],
        vec![r.f(&[0, 3])],
    ];
    for off in [-4, -1, 0, 1, 2, 5] {
        check(&[&x], &T::diag(&x, off).unwrap(), &mats);
        check(&[&x], &T::diagonal(&x, off, 1, 0).unwrap(), &mats);
    }
    check(&[&x], &T::identity_like(&x).unwrap(), &mats);
    check(&[&x], &T::triu(&x, 1).unwrap(), &mats);
    let t = T::dtensor3("t");
    let t3s = [vec![r.f(&[2, 3, 4])], vec![r.f(&[1, 0, 2])]];
    check(&[&t], &T::diagonal(&t, 1, 2, 0).unwrap(), &t3s);
    check(&[&t], &T::diagonal(&t, -1, -2, -1).unwrap(), &t3s);
    let v = T::dvector("v");
    for off in [-2, 0, 3] {
        check(
            &[&v],
            &T::diag(&v, off).unwrap(),
            &[vec![r.f(&[3])], vec![r.f(&[0])]],
        );
    }
    for (a1, a2) in [(0, 2), (2, 1), (1, 0)] {
        let y = T::apply_op(
            Op::AllocDiag {
                offset: -1,
                axis1: a1,
                axis2: a2,
            },
            vec![x.clone()],
        )
        .unwrap()
        .remove(0);
        check(&[&x], &y, &mats);
    }
    let (b3, c3) = (T::dtensor3("b3"), T::dtensor3("c3"));
    check(
        &[&b3, &c3],
        &T::batched_dot(&b3, &c3).unwrap(),
        &[
            vec![r.f(&[2, 3, 4]), r.f(&[2, 4, 5])],
            vec![r.f(&[0, 3, 4]), r.f(&[0, 4, 1])],
        ],
    );
    let (bm, cm) = (T::dmatrix("bm"), T::dmatrix("cm"));
    check(
        &[&b3, &cm],
        &T::batched_dot(&b3, &cm).unwrap(),
        &[vec![r.f(&[2, 3, 4]), r.f(&[2, 4])]],
    );
    check(
        &[&bm, &c3],
        &T::batched_dot(&bm, &c3).unwrap(),
        &[vec![r.f(&[2, 4]), r.f(&[2, 4, 3])]],
    );
    check(
        &[&bm, &cm],
        &T::batched_dot(&bm, &cm).unwrap(),
        &[vec![r.f(&[3, 4]), r.f(&[3, 4])]],
    );
    check(
        &[&b3, &cm],
        &T::tensordot(&b3, &cm, [[2, 0], [1, 0]]).unwrap(),
        &[vec![r.f(&[2, 3, 4]), r.f(&[2, 4])]],
    );
    check(
        &[&x, &v],
        &T::softmax_with_bias(&x, &v).unwrap(),
        &[vec![r.f(&[2, 3]), r.f(&[3])]],
    );
}

/// The ops the gradients and the optimizer put in graphs as Theano does: SoftmaxGrad, Argmax,
/// ProdWithoutZeros and the boolean-mask increment (the mask's selection itself has a length
/// known only when computed).
#[test]
fn softmax_grad_argmax_prod_without_zeros_bool_inc() {
    let mut r = Rng(5);
    let (dy, x) = (T::dmatrix("dy"), T::dmatrix("x"));
    let op1 = |op: Op, ins: Vec<Variable>| T::apply_op(op, ins).unwrap().remove(0);
    let sg = op1(Op::SoftmaxGrad, vec![dy.clone(), T::softmax(&x).unwrap()]);
    let sets = vec![
        vec![r.f(&[2, 3]), r.f(&[2, 3])],
        vec![r.f(&[0, 4]), r.f(&[0, 4])],
    ];
    check(&[&dy, &x], &sg, &sets);
    let xs = vec![vec![r.f(&[2, 3])], vec![r.f(&[4, 1])]];
    for axes in [vec![0], vec![1], vec![0, 1]] {
        check(
            &[&x],
            &op1(Op::Argmax { axes: axes.clone() }, vec![x.clone()]),
            &xs,
        );
        let pwz = op1(Op::ProdWithoutZeros { axes: Some(axes) }, vec![x.clone()]);
        check(&[&x], &pwz, &xs);
    }
    check(
        &[&x],
        &op1(Op::ProdWithoutZeros { axes: None }, vec![x.clone()]),
        &xs,
    );
    let picked = x.get(&[Idx::Array(T::gt(&x, 0.0))]).unwrap();
    check(
        &[&x],
        &T::inc_subtensor(&picked, T::constant(1.0)).unwrap(),
        &xs,
    );
}

/// The linear-algebra ops whose lengths are their inputs' (the QR and SVD shapes take
/// min(M, N) and are read from the values).
#[test]
fn linear_algebra() {
    use theano::tensor::{nlinalg, slinalg};
    let mut r = Rng(23);
    // a symmetric positive-definite n x n matrix (and so invertible)
    let mut spd = |n: usize| {
        let m = r.f(&[n, n]).to_f64_vec();
        let v = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                (0..n).map(|l| m[i * n + l] * m[j * n + l]).sum::<f64>()
                    + if i == j { n as f64 } else { 0.0 }
            })
            .collect();
        Tensor::from_shape_vec(&[n, n], v).unwrap()
    };
    let (a3, a4, b3, b4) = (spd(3), spd(4), spd(3), spd(4));
    let mut r = Rng(29);
    let (x, b, v) = (T::dmatrix("x"), T::dmatrix("b"), T::dvector("v"));
    let sq = [vec![a3.clone()], vec![a4.clone()]];
    check(&[&x], &nlinalg::matrix_inverse(&x).unwrap(), &sq);
    check(&[&x], &nlinalg::det(&x).unwrap(), &sq);
    check(&[&x], &nlinalg::eigh(&x, "L").unwrap().0, &sq);
    check(&[&x], &nlinalg::eig(&x).unwrap().0, &sq);
    check(&[&x], &slinalg::cholesky(&x).unwrap(), &sq);
    check(&[&x], &slinalg::expm(&x).unwrap(), &sq);
    check(
        &[&x],
        &nlinalg::pinv(&x).unwrap(),
        &[vec![r.f(&[2, 5])], vec![r.f(&[4, 3])]],
    );
    check(
        &[&x],
        &nlinalg::qr(&x, "complete").unwrap()[0],
        &[vec![r.f(&[5, 3])], vec![r.f(&[2, 4])]],
    );
    let pairs = [
        vec![a3.clone(), r.f(&[3, 2])],
        vec![a4.clone(), r.f(&[4, 1])],
    ];
    check(&[&x, &b], &slinalg::solve(&x, &b).unwrap(), &pairs);
    check(
        &[&x, &b],
        &slinalg::solve_lower_triangular(&x, &b).unwrap(),
        &pairs,
    );
    check(
        &[&x, &v],
        &slinalg::solve_upper_triangular(&x, &v).unwrap(),
        &[vec![a3.clone(), r.f(&[3])], vec![a4.clone(), r.f(&[4])]],
    );
    let ab = [vec![a3.clone(), b3.clone()], vec![a4.clone(), b4.clone()]];
    check(&[&x, &b], &slinalg::eigvalsh(&x, &b).unwrap(), &ab);
    // the gradient ops
    let w = nlinalg::eigh(&x, "L").unwrap();
    let g = theano_grad::grad(&(T::sum(&w.0) + T::sum(&w.1)), std::slice::from_ref(&x)).unwrap();
    check(&[&x], &g[0], &sq);
    let g = theano_grad::grad(
        &T::sum(slinalg::eigvalsh(&x, &b).unwrap()),
        &[x.clone(), b.clone()],
    )
    .unwrap();
    check(&[&x, &b], &g[1], &ab);
    let g = theano_grad::grad(
        &T::sum(slinalg::expm(&x).unwrap()),
        std::slice::from_ref(&x),
    )
    .unwrap();
    check(&[&x], &g[0], &sq);
}

/// extra_ops' ops whose lengths are their inputs' (diff, bartlett and unique are read from
/// the values).
#[test]
fn extra_ops() {
    use theano::tensor::extra_ops as E;
    let mut r = Rng(37);
    let (x, v, m) = (T::dvector("x"), T::dmatrix("v"), T::dmatrix("m"));
    let sorted = Tensor::from([1.0, 2.0, 4.0]);
    check(
        &[&x, &v],
        &E::searchsorted(&x, &v, "right", None).unwrap(),
        &[
            vec![sorted.clone(), r.f(&[2, 3])],
            vec![sorted, r.f(&[0, 4])],
        ],
    );
    let val = T::dscalar("val");
    check(
        &[&m, &val],
        &E::fill_diagonal(&m, &val).unwrap(),
        &[
            vec![r.f(&[3, 5]), Tensor::from(2.0)],
            vec![r.f(&[4, 2]), Tensor::from(0.5)],
        ],
    );
    let o = T::lscalar("o");
    check(
        &[&m, &val, &o],
        &E::fill_diagonal_offset(&m, &val, &o).unwrap(),
        &[vec![r.f(&[3, 5]), Tensor::from(2.0), Tensor::from(-1i64)]],
    );
    let (i, d) = (T::lmatrix("i"), T::lvector("d"));
    let idx = Tensor::from([[0i64, 5], [11, 3]]);
    let dims = Tensor::from([3i64, 4]);
    check(
        &[&i, &d],
        &E::unravel_index(&i, &d, "C", Some(2)).unwrap()[0],
        &[vec![idx.clone(), dims.clone()]],
    );
    check(
        &[&i, &d],
        &E::ravel_multi_index(&[i.clone(), i.clone()], &d, "wrap", "C").unwrap(),
        &[vec![idx, dims]],
    );
}

/// The batch-normalization ops: the output of the input's shape, the statistics (and the
/// gradients of the parameters) of the parameters'.
#[test]
fn batch_normalization() {
    use theano::tensor::nnet::bn::{self, Axes};
    let mut r = Rng(41);
    let (x, g, b) = (T::dtensor4("x"), T::dvector("g"), T::dvector("b"));
    let (rm, rv) = (T::dvector("rm"), T::dvector("rv"));
    let outs =
        bn::batch_normalization_train(&x, &g, &b, Axes::Spatial, 1e-4, 0.1, Some((&rm, &rv)))
            .unwrap();
    let pos = |r: &mut Rng, n: usize| {
        Tensor::from_shape_vec(
            &[n],
            r.f(&[n])
                .to_f64_vec()
                .iter()
                .map(|v| v.abs() + 0.5)
                .collect::<Vec<f64>>(),
        )
        .unwrap()
    };
    let args = vec![
        r.f(&[2, 3, 4, 2]),
        r.f(&[3]),
        r.f(&[3]),
        r.f(&[3]),
        pos(&mut r, 3),
    ];
    // the op's outputs (before the statistics' dimshuffles)
    let train_out = outs[0].clone();
    check(
        &[&x, &g, &b, &rm, &rv],
        &train_out,
        std::slice::from_ref(&args),
    );
    let gr = theano_grad::grad(&T::sum(&outs[0]), &[x.clone(), g.clone()]).unwrap();
    let gx = gr[0].clone();
    check(&[&x, &g, &b, &rm, &rv], &gx, std::slice::from_ref(&args));
    let y = bn::batch_normalization_test(&x, &g, &b, &rm, &rv, Axes::Spatial, 1e-4).unwrap();
    check(&[&x, &g, &b, &rm, &rv], &y, &[args]);
}
