//! Theano 1.0.5's `categorical_crossentropy` with integer labels (`CrossentropyCategorical1Hot`
//! and its gradient op `CrossentropyCategorical1HotGrad`) and `flatten` (a `Reshape`), end to
//! end: values and gradients on the JIT and interpreter linkers, run-time errors as typed
//! errors naming the argument, the GPU runtime's interpreter fallback, and flatten's view.

mod common;

use theano::tensor as T;
use theano::{compile, grad, LinkerKind, Mode, Tensor, Variable};

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

fn run(ins: &[&Variable], outs: &[Variable], linker: LinkerKind, args: &[Tensor]) -> Vec<Tensor> {
    compile(ins, outs.to_vec())
        .mode(mode(linker))
        .build()
        .unwrap()
        .call(args)
        .unwrap()
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

const P: [f64; 6] = [0.2, 0.3, 0.5, 0.6, 0.1, 0.3];

/// `-log(p[i, t[i]])` and its gradient `-1 / p[i, t[i]]` at the labels, on both linkers, for
/// a plain matrix of probabilities (the op the optimizer keeps) and for a softmax (the fused
/// op it becomes).
#[test]
fn values_and_gradients_on_both_linkers() {
    let (p, t) = (T::dmatrix("p"), T::lvector("t"));
    let cc = T::categorical_crossentropy(&p, &t).unwrap();
    let g = grad(&T::sum(&cc), std::slice::from_ref(&p)).unwrap();
    let pv = Tensor::from_shape_vec(&[2, 3], P.to_vec()).unwrap();
    let tv = Tensor::from(vec![2i64, 0]);
    for linker in [LinkerKind::Jit, LinkerKind::Interp] {
        let outs = run(
            &[&p, &t],
            &[cc.clone(), g[0].clone()],
            linker,
            &[pv.clone(), tv.clone()],
        );
        close(&outs[0].to_f64_vec(), &[-P[2].ln(), -P[3].ln()], 1e-15);
        let want = [0.0, 0.0, -1.0 / P[2], -1.0 / P[3], 0.0, 0.0];
        close(&outs[1].to_f64_vec(), &want, 1e-15);
    }
    // through a softmax: the fused op, the same values as the written-out formula
    let z = T::dmatrix("z");
    let sm = T::softmax(&z).unwrap();
    let cc = T::categorical_crossentropy(&sm, &t).unwrap();
    let g = grad(
        &T::mean(&cc, None, false).unwrap(),
        std::slice::from_ref(&z),
    )
    .unwrap();
    let zv = Tensor::from_shape_vec(&[2, 3], vec![1.0, -2.0, 0.5, 3.0, 0.0, -1.0]).unwrap();
    let zs = zv.to_f64_vec();
    let mut want_nll = vec![];
    let mut want_g = vec![];
    for (i, &label) in [2usize, 0].iter().enumerate() {
        let row = &zs[i * 3..i * 3 + 3];
        let s: f64 = row.iter().map(|v| v.exp()).sum();
        want_nll.push(s.ln() - row[label]);
        for (j, v) in row.iter().enumerate() {
            let onehot = if j == label { 1.0 } else { 0.0 };
            want_g.push((v.exp() / s - onehot) / 2.0);
        }
    }
    for linker in [LinkerKind::Jit, LinkerKind::Interp] {
        let outs = run(
            &[&z, &t],
            &[cc.clone(), g[0].clone()],
            linker,
            &[zv.clone(), tv.clone()],
        );
        close(&outs[0].to_f64_vec(), &want_nll, 1e-14);
        close(&outs[1].to_f64_vec(), &want_g, 1e-14);
    }
}

/// A label out of range (negative included) or one label too many is a typed error naming
/// the argument, on both linkers, never a panic.
#[test]
fn bad_labels_are_errors_naming_the_argument() {
    let (p, t) = (T::dmatrix("p"), T::lvector("t"));
    let cc = T::categorical_crossentropy(&p, &t).unwrap();
    let g = grad(&T::sum(&cc), std::slice::from_ref(&p)).unwrap();
    let pv = Tensor::from_shape_vec(&[2, 3], P.to_vec()).unwrap();
    for linker in [LinkerKind::Jit, LinkerKind::Interp] {
        for out in [&cc, &g[0]] {
            let f = compile(&[&p, &t], out).mode(mode(linker)).build().unwrap();
            for (tv, shown) in [
                (vec![0i64, 3], "true_one_of_n[1] = 3"),
                (vec![-1, 0], "true_one_of_n[0] = -1"),
                (
                    vec![0, 1, 2],
                    "true_one_of_n has 3 labels but there are 2 rows",
                ),
            ] {
                let e = f
                    .call(&[pv.clone(), Tensor::from(tv)])
                    .unwrap_err()
                    .to_string();
                assert!(e.contains(shown), "{linker:?}: {e}");
            }
        }
    }
}

/// The GPU backend has no kernels for these ops: on theano-cuda's runtime (on the emulator)
/// they run through its interpreter fallback and agree with the CPU backend.
#[test]
fn the_gpu_runtime_runs_them_through_the_interpreter() {
    let (p, t) = (T::dmatrix("p"), T::lvector("t"));
    let cc = T::categorical_crossentropy(&p, &t).unwrap();
    let g = grad(&T::sum(&cc), std::slice::from_ref(&p)).unwrap();
    let outs = vec![cc, g[0].clone()];
    let args = [
        Tensor::from_shape_vec(&[2, 3], P.to_vec()).unwrap(),
        Tensor::from(vec![1i64, 2]),
    ];
    let interpreted = common::gpu_agrees_and_interprets(&[&p, &t], &outs, &args);
    for name in [
        "CrossentropyCategorical1Hot(",
        "CrossentropyCategorical1HotGrad(",
    ] {
        assert!(
            interpreted.iter().any(|n| n.contains(name)),
            "{name} not interpreted: {interpreted:?}"
        );
    }
}

/// flatten is Theano 1.0.5's Reshape; on the JIT linker a reshape of a contiguous input is a
/// view (as the Flatten op was), and the values are numpy's on both linkers, for contiguous
/// and transposed inputs.
#[test]
fn flatten_is_a_view_of_a_contiguous_input() {
    let x = T::dtensor3("x");
    let outs = vec![
        x.flatten(1).unwrap(),
        T::flatten(&x, 2).unwrap(),
        T::flatten(&x, 3).unwrap(),
        T::flatten(x.dimshuffle(&[Some(2), Some(0), Some(1)]).unwrap(), 2).unwrap(),
    ];
    let xv = Tensor::from_shape_vec(&[2, 3, 4], (0..24).map(f64::from).collect()).unwrap();
    let jit = compile(&[&x], outs.clone())
        .mode(Mode::parse_flags("profile=True").unwrap())
        .build()
        .unwrap();
    let got = jit.call(std::slice::from_ref(&xv)).unwrap();
    let want = run(&[&x], &outs, LinkerKind::Interp, std::slice::from_ref(&xv));
    assert_eq!(got, want);
    assert_eq!(got[0].shape(), &[24]);
    assert_eq!(got[1].shape(), &[2, 12]);
    assert_eq!(got[2].shape(), &[2, 3, 4]);
    assert_eq!(got[3].shape(), &[4, 6]);
    assert_eq!(got[0].to_f64_vec(), xv.to_f64_vec());
    let prof = jit.profile().unwrap();
    let views: Vec<&String> = prof
        .nodes
        .iter()
        .filter(|n| n.node.contains("Reshape") && n.linker == "view")
        .map(|n| &n.node)
        .collect();
    assert!(views.len() >= 3, "{:?}", prof.nodes);
    // outdim out of bounds: a typed error naming the bound
    let e = T::flatten(&x, 4).unwrap_err().to_string();
    assert!(e.contains("outdim 4 out of bound [1, 4)"), "{e}");
    let e = x.flatten(0).unwrap_err().to_string();
    assert!(e.contains("outdim 0 out of bound"), "{e}");
    // broadcastable dimensions keep Theano's type
    let r = T::row("r");
    assert_eq!(T::flatten(&r, 2).unwrap().ty(), r.ty());
    assert!(!T::flatten(&r, 1).unwrap().ty().is_broadcastable(0));
    let c = T::col("c");
    assert!(!T::flatten(&c, 1).unwrap().ty().is_broadcastable(0));
    let s = T::dscalar("s");
    assert!(T::flatten(&s, 1).unwrap().ty().is_broadcastable(0));
}

/// sigmoid_binary_crossentropy is inlined by the optimizer, as Theano inlines its
/// OpFromGraph: the compiled function runs one fused elementwise kernel (no interpreted custom
/// op), with the values of the op's own reference implementation, at float64 and float32.
#[test]
fn sigmoid_binary_crossentropy_is_inlined_and_fused() {
    for dt in [theano::DType::Float64, theano::DType::Float32] {
        let ty = theano::TensorType::with_ndim(dt, 1).unwrap();
        let (x, t) = (
            Variable::input(ty, Some("x")),
            Variable::input(ty, Some("t")),
        );
        let out = T::sigmoid_binary_crossentropy(&x, &t).unwrap();
        let xs = [-800.0, -3.0, -0.5, 0.0, 0.7, 2.0, 40.0, 800.0];
        let ts = [0.25, 0.0, 1.0, 0.3, 0.5, 1.0, 0.0, 0.75];
        let args = [
            Tensor::from(xs.to_vec()).cast(dt),
            Tensor::from(ts.to_vec()).cast(dt),
        ];
        let f = compile(&[&x, &t], &out)
            .mode(Mode::parse_flags("profile=True").unwrap())
            .build()
            .unwrap();
        let got = f.call(&args).unwrap().remove(0);
        let prof = f.profile().unwrap();
        assert_eq!(prof.nodes.len(), 1, "{:?}", prof.nodes);
        assert!(
            prof.nodes[0].node.contains("Composite") && prof.nodes[0].linker != "interpreter",
            "{:?}",
            prof.nodes
        );
        // the unoptimized graph runs the custom op's perform (float64, rounded once)
        let reference = compile(&[&x, &t], &out)
            .mode(Mode::parse_flags("optimizer=None").unwrap())
            .build()
            .unwrap()
            .call(&args)
            .unwrap()
            .remove(0);
        let tol = if dt == theano::DType::Float64 {
            1e-15
        } else {
            1e-6
        };
        close(&got.to_f64_vec(), &reference.to_f64_vec(), tol);
        assert!(got.to_f64_vec().iter().all(|v| v.is_finite()), "{got:?}");
        // the gradient op too: inlined and fused, the values of its perform, which are
        // Theano's g * (sigmoid(x) - t) and g * -x; its R-op likewise
        let g = grad(&T::sum(&out), &[x.clone(), t.clone()]).unwrap();
        let v = Variable::input(ty, Some("v"));
        let r = theano::rop(
            std::slice::from_ref(&g[0]),
            std::slice::from_ref(&x),
            std::slice::from_ref(&v),
        )
        .unwrap()
        .remove(0);
        let vs = Tensor::from(vec![1.0, -1.0, 0.5, 2.0, 1.0, -2.0, 3.0, 0.25]).cast(dt);
        let args = [args[0].clone(), args[1].clone(), vs];
        let outs = vec![g[0].clone(), g[1].clone(), r];
        let f = compile(&[&x, &t, &v], outs.clone()).build().unwrap();
        let interp = compile(&[&x, &t, &v], outs.clone())
            .mode(Mode::parse_flags("optimizer=None").unwrap())
            .build()
            .unwrap();
        let text = interp.fgraph().to_text();
        assert!(
            text.contains("sigmoid_binary_crossentropy_grad{inline=True}"),
            "{text}"
        );
        let text = f.fgraph().to_text();
        assert!(!text.contains("sigmoid_binary_crossentropy"), "{text}");
        let (got, want) = (f.call(&args).unwrap(), interp.call(&args).unwrap());
        for (g, w) in got.iter().zip(&want) {
            close(&g.to_f64_vec(), &w.to_f64_vec(), tol);
        }
        let vv = args[2].to_f64_vec();
        let (xr, tr) = (args[0].to_f64_vec(), args[1].to_f64_vec());
        for i in 0..xs.len() {
            let s = 1.0 / (1.0 + (-xr[i]).exp());
            close(&[got[0].to_f64_vec()[i]], &[s - tr[i]], tol);
            close(&[got[1].to_f64_vec()[i]], &[-xr[i]], tol);
            close(&[got[2].to_f64_vec()[i]], &[s * (1.0 - s) * vv[i]], tol);
        }
    }
}

/// The R-op (forward derivative) of CrossentropyCategorical1Hot: `-v[i, t[i]] / p[i, t[i]]`
/// (Theano's op has none; here it comes through the gradient, as for the other nnet ops), and
/// of its gradient op, linear in `g`: `-dg[i] / p[i, t[i]]` at the labels.
#[test]
fn r_op_of_the_categorical_ops() {
    let (p, t, v) = (T::dmatrix("p"), T::lvector("t"), T::dmatrix("v"));
    let cc = T::categorical_crossentropy(&p, &t).unwrap();
    let r = theano::rop(
        std::slice::from_ref(&cc),
        std::slice::from_ref(&p),
        std::slice::from_ref(&v),
    )
    .unwrap()
    .remove(0);
    let pv = Tensor::from_shape_vec(&[2, 3], P.to_vec()).unwrap();
    let vv = Tensor::from_shape_vec(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let tv = Tensor::from(vec![2i64, 0]);
    for linker in [LinkerKind::Jit, LinkerKind::Interp] {
        let got = run(
            &[&p, &t, &v],
            std::slice::from_ref(&r),
            linker,
            &[pv.clone(), tv.clone(), vv.clone()],
        );
        close(&got[0].to_f64_vec(), &[-3.0 / P[2], -4.0 / P[3]], 1e-15);
    }
    let (g, dg) = (T::dvector("g"), T::dvector("dg"));
    let d = T::crossentropy_categorical_1hot_grad(&g, &p, &t).unwrap();
    let r = theano::rop(
        std::slice::from_ref(&d),
        std::slice::from_ref(&g),
        std::slice::from_ref(&dg),
    )
    .unwrap()
    .remove(0);
    let got = run(
        &[&p, &t, &g, &dg],
        &[r],
        LinkerKind::Jit,
        &[
            pv,
            tv,
            Tensor::from(vec![1.0, 1.0]),
            Tensor::from(vec![2.0, -1.0]),
        ],
    );
    close(
        &got[0].to_f64_vec(),
        &[0.0, 0.0, -2.0 / P[2], 1.0 / P[3], 0.0, 0.0],
        1e-15,
    );
}
