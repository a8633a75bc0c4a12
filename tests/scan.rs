//! Theano's `scan`: the tutorial's loops (A^k, a polynomial, a tanh RNN) against the same
//! loops written in Rust, on the interpreter, the JIT and the emulated GPU; gradients through
//! the loop (verify_grad, and a training step on a shared weight the body reads without
//! being told); going backwards, fewer steps than the sequence; refusals.

mod common;

use common::{eval_compiled as eval, run_every_linker};
use theano::tensor as T;
use theano::{compile, debugprint, grad, scan, LinkerKind, Mode, Scan, Tensor, Variable};
use theano_grad::{verify_grad, VerifyGradOptions};
use theano_ir::Idx;

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

/// The tutorial's first loop: `A ** k` elementwise by `k` multiplications.
#[test]
fn power_by_repeated_multiplication() {
    let k = T::iscalar("k");
    let a = T::dvector("A");
    let (result, _) = scan(
        |s| Ok(vec![&s[0] * &s[1]]),
        Scan::new()
            .outputs_info([Some(T::ones_like(&a))])
            .non_sequences([&a])
            .n_steps(&k),
    )
    .unwrap();
    let final_result = result[0].get(&[Idx::Int(T::constant(-1i64))]).unwrap();
    let av = Tensor::from(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    for outs in run_every_linker(
        &[&a, &k],
        &[final_result.clone(), result[0].clone()],
        &[av.clone(), Tensor::scalar(2i32)],
    ) {
        assert_eq!(
            outs[0].to_f64_vec(),
            av.to_f64_vec().iter().map(|v| v * v).collect::<Vec<_>>()
        );
        assert_eq!(outs[1].shape(), &[2, 10]);
    }
}

/// The tutorial's polynomial: a sequence of coefficients and `arange` of powers, the free
/// variable a non-sequence, no recurrent output.
#[test]
fn polynomial_from_two_sequences() {
    let coefficients = T::dvector("coefficients");
    let x = T::dscalar("x");
    let powers = T::arange(10i64).unwrap();
    let (components, _) = scan(
        |s| Ok(vec![&s[0] * &T::pow(&s[2], &s[1])]),
        Scan::new()
            .sequences([coefficients.clone(), powers])
            .non_sequences([&x]),
    )
    .unwrap();
    let polynomial = T::sum(&components[0]);
    let c = Tensor::from(vec![1.0, 0.0, 2.0]);
    for outs in run_every_linker(
        &[&coefficients, &x],
        std::slice::from_ref(&polynomial),
        &[c.clone(), Tensor::scalar(3.0)],
    ) {
        assert_eq!(outs[0].to_f64_vec(), vec![19.0]);
    }
}

/// A tanh RNN, `h_t = tanh(x_t W + h_{t-1} U + b)`, with a second output not fed back, each
/// step checked against the loop in Rust.
#[test]
fn tanh_rnn_matches_the_loop() {
    let x = T::dmatrix("x");
    let h0 = T::dvector("h0");
    let w = T::dmatrix("W");
    let u = T::dmatrix("U");
    let b = T::dvector("b");
    let (outs, _) = scan(
        |s| {
            let h = T::tanh(T::dot(&s[0], &s[2])? + T::dot(&s[1], &s[3])? + &s[4]);
            let y = T::sum(&h);
            Ok(vec![h, y])
        },
        Scan::new()
            .sequences([&x])
            .outputs_info([Some(h0.clone()), None])
            .non_sequences([&w, &u, &b]),
    )
    .unwrap();
    let (nt, ni, nh) = (5, 3, 4);
    let xv: Vec<f64> = (0..nt * ni)
        .map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.1)
        .collect();
    let wv: Vec<f64> = (0..ni * nh)
        .map(|i| ((i * 5 % 7) as f64 - 3.0) * 0.2)
        .collect();
    let uv: Vec<f64> = (0..nh * nh)
        .map(|i| ((i * 3 % 5) as f64 - 2.0) * 0.15)
        .collect();
    let bv = vec![0.1, -0.2, 0.05, 0.0];
    let h0v = vec![0.5, -0.5, 0.25, 0.0];
    // the loop in Rust
    let mut h = h0v.clone();
    let mut hs = Vec::new();
    let mut ys = Vec::new();
    for t in 0..nt {
        let mut nh_v = vec![0.0; nh];
        for j in 0..nh {
            let mut acc = bv[j];
            for i in 0..ni {
                acc += xv[t * ni + i] * wv[i * nh + j];
            }
            for i in 0..nh {
                acc += h[i] * uv[i * nh + j];
            }
            nh_v[j] = acc.tanh();
        }
        h = nh_v;
        ys.push(h.iter().sum::<f64>());
        hs.extend_from_slice(&h);
    }
    let args = [
        Tensor::from_shape_vec(&[nt, ni], xv).unwrap(),
        Tensor::from(h0v),
        Tensor::from_shape_vec(&[ni, nh], wv).unwrap(),
        Tensor::from_shape_vec(&[nh, nh], uv).unwrap(),
        Tensor::from(bv),
    ];
    for r in run_every_linker(&[&x, &h0, &w, &u, &b], &outs, &args) {
        assert_eq!(r[0].shape(), &[nt, nh]);
        close(&r[0].to_f64_vec(), &hs, 1e-14);
        close(&r[1].to_f64_vec(), &ys, 1e-14);
    }
}

/// Gradients through the loop (backpropagation through time) agree with finite
/// differences, for the sequence, the initial state and the non-sequences.
#[test]
fn gradients_through_the_loop() {
    let opts = VerifyGradOptions::default();
    let rnn = |i: &[Variable]| {
        let (outs, _) = scan(
            |s| Ok(vec![T::tanh(&s[0] * &s[2] + &s[1] * &s[3])]),
            Scan::new()
                .sequences([&i[0]])
                .outputs_info([Some(i[1].clone())])
                .non_sequences([&i[2], &i[3]]),
        )
        .unwrap();
        T::sum(&outs[0] * &outs[0])
    };
    let pts = [
        Tensor::from_shape_vec(&[4, 3], (0..12).map(|i| (i as f64 - 6.0) * 0.1).collect()).unwrap(),
        Tensor::from(vec![0.2, -0.3, 0.4]),
        Tensor::from(vec![0.5, 0.7, -0.6]),
        Tensor::from(vec![0.9, -0.8, 0.3]),
    ];
    verify_grad(rnn, &pts, eval, &opts).unwrap_or_else(|e| panic!("{e}"));
    // an output not fed back, and fewer steps than the sequence (the rest has zero gradient)
    let partial = |i: &[Variable]| {
        let (outs, _) = scan(
            |s| Ok(vec![T::sin(&s[0]) * &s[1]]),
            Scan::new()
                .sequences([&i[0]])
                .non_sequences([&i[1]])
                .n_steps(2i64),
        )
        .unwrap();
        T::sum(&outs[0])
    };
    let pts = [Tensor::from(vec![0.1, 0.2, 0.3, 0.4]), Tensor::scalar(1.5)];
    verify_grad(partial, &pts, eval, &opts).unwrap_or_else(|e| panic!("{e}"));
    let (xs, c) = (T::dvector("xs"), T::dscalar("c"));
    let g = grad(
        &partial(&[xs.clone(), c.clone()]),
        std::slice::from_ref(&xs),
    )
    .unwrap();
    let f = compile(&[&xs, &c], g).build().unwrap();
    let out = f
        .call(&[Tensor::from(vec![0.1, 0.2, 0.3, 0.4]), Tensor::scalar(1.5)])
        .unwrap();
    let want = [0.1f64.cos() * 1.5, 0.2f64.cos() * 1.5, 0.0, 0.0];
    close(&out[0].to_f64_vec(), &want, 1e-14);
}

/// The classic training loop: the body reads a shared weight it was not given (an
/// implicit non-sequence), and a gradient step on it trains the RNN.
#[test]
fn training_a_shared_weight_the_body_reads() {
    let w = theano::shared_named(vec![0.1f64, -0.2], "w");
    let x = T::dmatrix("x");
    let target = T::dscalar("target");
    let h0 = T::constant(0.0f64);
    let (outs, _) = scan(
        |s| Ok(vec![T::tanh(T::sum(&s[0] * &w) + &s[1] * 0.5)]),
        Scan::new().sequences([&x]).outputs_info([Some(h0)]),
    )
    .unwrap();
    let last = outs[0].get(&[Idx::Int(T::constant(-1i64))]).unwrap();
    let cost = T::sqr(&last - &target);
    let g = grad(&cost, std::slice::from_ref(&w)).unwrap();
    let xv = Tensor::from_shape_vec(&[3, 2], vec![1.0, 0.5, -0.5, 1.0, 0.3, 0.2]).unwrap();
    for linker in [LinkerKind::Interp, LinkerKind::Jit] {
        w.set_value(vec![0.1f64, -0.2]).unwrap();
        let train = compile(&[&x, &target], &cost)
            .updates([(w.clone(), &w - &(&g[0] * 0.5))])
            .mode(mode(linker))
            .build()
            .unwrap();
        let costs: Vec<f64> = (0..30)
            .map(|_| train.call(&[xv.clone(), Tensor::scalar(0.8)]).unwrap()[0].to_f64_vec()[0])
            .collect();
        assert!(costs[29] < costs[0] * 0.01, "{linker:?}: {costs:?}");
    }
}

/// `go_backwards` reads the sequences from their end; with `n_steps` below the length, the
/// loop stops early; a zero-step loop gives empty outputs.
#[test]
fn backwards_and_short_loops() {
    let x = T::dvector("x");
    let n = T::lscalar("n");
    let cum = |backwards: bool| {
        scan(
            |s| Ok(vec![&s[0] + &s[1]]),
            Scan::new()
                .sequences([&x])
                .outputs_info([Some(T::constant(0.0f64))])
                .n_steps(&n)
                .go_backwards(backwards),
        )
        .unwrap()
        .0
        .remove(0)
    };
    let (fw, bw) = (cum(false), cum(true));
    let xv = Tensor::from(vec![1.0, 2.0, 3.0, 4.0]);
    for r in run_every_linker(
        &[&x, &n],
        &[fw.clone(), bw.clone()],
        &[xv.clone(), Tensor::scalar(3i64)],
    ) {
        assert_eq!(r[0].to_f64_vec(), vec![1.0, 3.0, 6.0]);
        assert_eq!(r[1].to_f64_vec(), vec![4.0, 7.0, 9.0]);
    }
    let f = compile(&[&x, &n], vec![fw.clone()]).build().unwrap();
    assert_eq!(
        f.call(&[xv.clone(), Tensor::scalar(0i64)]).unwrap()[0].shape(),
        &[0]
    );
    let e = f
        .call(&[xv.clone(), Tensor::scalar(9i64)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("fewer than the 9 steps"), "{e}");
    let e = f
        .call(&[xv, Tensor::scalar(-1i64)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("must not be negative"), "{e}");
}

/// What scan refuses, and how it prints.
#[test]
fn refusals_and_printing() {
    let a = T::dvector("a");
    let e = scan(
        |s| Ok(vec![s[0].clone()]),
        Scan::new().outputs_info([Some(a.clone())]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("No information about the number of steps"),
        "{e}"
    );
    let e = scan(
        |s| Ok(vec![T::cast(&s[0], theano::DType::Float32)]),
        Scan::new().outputs_info([Some(a.clone())]).n_steps(3i64),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("has type TensorType(float64, vector), while the result of the inner function"),
        "{e}"
    );
    let s = T::dscalar("s");
    let e = scan(|v| Ok(vec![v[0].clone()]), Scan::new().sequences([s]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no axis to iterate over"), "{e}");
    let (outs, _) = scan(|v| Ok(vec![&v[0] * 2.0]), Scan::new().sequences([&a])).unwrap();
    assert!(
        debugprint(&outs).starts_with("for{cpu,scan_fn} [id A] ''"),
        "{}",
        debugprint(&outs)
    );
}

/// Second derivatives: the gradient of the backward loop is itself a loop.
#[test]
fn second_derivatives_through_the_loop() {
    // y = prod_t (x * c_t) over 3 steps: d2y/dx2 = 6 x c0 c1 c2
    let x = T::dscalar("x");
    let c = T::dvector("c");
    let (outs, _) = scan(
        |s| Ok(vec![&s[1] * &s[0] * &s[2]]),
        Scan::new()
            .sequences([&c])
            .outputs_info([Some(T::constant(1.0f64))])
            .non_sequences([&x]),
    )
    .unwrap();
    let y = outs[0].get(&[Idx::Int(T::constant(-1i64))]).unwrap();
    let g = grad(&y, std::slice::from_ref(&x)).unwrap().remove(0);
    let h = grad(&g, std::slice::from_ref(&x)).unwrap().remove(0);
    let f = compile(&[&x, &c], vec![y, g, h]).build().unwrap();
    let out = f
        .call(&[Tensor::scalar(1.5), Tensor::from(vec![2.0, -1.0, 0.5])])
        .unwrap();
    let p: f64 = [2.0, -1.0, 0.5].iter().product();
    close(&out[0].to_f64_vec(), &[1.5f64.powi(3) * p], 1e-14);
    close(&out[1].to_f64_vec(), &[3.0 * 1.5f64.powi(2) * p], 1e-14);
    close(&out[2].to_f64_vec(), &[6.0 * 1.5 * p], 1e-14);
}

/// The tutorial's Jacobian by scan: the body takes a gradient of its own.
#[test]
fn a_gradient_inside_the_body() {
    let v = T::dvector("v");
    let a = T::dmatrix("A");
    let y = T::tanh(T::dot(&v, &a).unwrap());
    let n = T::shape_i(&y, 0).unwrap();
    let (rows, _) = scan(
        |s| {
            let yi = y.get(&[Idx::Int(s[0].clone())])?;
            Ok(vec![grad(&yi, std::slice::from_ref(&v)).unwrap().remove(0)])
        },
        Scan::new().sequences([T::arange(&n).unwrap()]),
    )
    .unwrap();
    let f = compile(&[&v, &a], rows).build().unwrap();
    let av = Tensor::from_shape_vec(&[2, 2], vec![1.0, 0.5, -0.5, 2.0]).unwrap();
    let out = f.call(&[Tensor::from(vec![0.3, 0.2]), av]).unwrap();
    // J[i][j] = (1 - tanh(z_i)^2) * A[j][i], z = v.A
    let z: [f64; 2] = [0.3 * 1.0 + 0.2 * -0.5, 0.3 * 0.5 + 0.2 * 2.0];
    let am: [[f64; 2]; 2] = [[1.0, 0.5], [-0.5, 2.0]];
    let mut want = vec![];
    for (i, zi) in z.iter().enumerate() {
        for row in &am {
            want.push((1.0 - zi.tanh().powi(2)) * row[i]);
        }
    }
    close(&out[0].to_f64_vec(), &want, 1e-14);
}

/// Taps: Fibonacci by an output read two steps back (integer values), and a moving sum by
/// a sequence read at three offsets.
#[test]
fn taps_on_outputs_and_sequences() {
    let x0 = T::lvector("x0");
    let (fib, _) = scan(
        |s| Ok(vec![&s[0] + &s[1]]),
        Scan::new().output_taps(&x0, &[-2, -1]).n_steps(8i64),
    )
    .unwrap();
    for r in run_every_linker(&[&x0], &fib, &[Tensor::from(vec![0i64, 1])]) {
        assert_eq!(r[0].to_i64_vec(), vec![1, 2, 3, 5, 8, 13, 21, 34]);
    }
    let x = T::dvector("x");
    let (moving, _) = scan(
        |s| Ok(vec![&s[0] + &s[1] * 10.0 + &s[2] * 100.0]),
        Scan::new().sequence_taps(&x, &[-1, 0, 1]),
    )
    .unwrap();
    let (back, _) = scan(
        |s| Ok(vec![&s[0] - &s[1]]),
        Scan::new().sequence_taps(&x, &[0, 2]).go_backwards(true),
    )
    .unwrap();
    let xv = Tensor::from(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // Theano cuts as if tap 0 were used: taps [1] run 5 steps from x[1], taps [-2, -1] run
    // 4 steps; going backwards reverses each tap's cut sequence (values from Theano 1.0.5)
    let (ahead, _) = scan(
        |s| Ok(vec![s[0].clone()]),
        Scan::new().sequence_taps(&x, &[1]),
    )
    .unwrap();
    let (behind, _) = scan(
        |s| Ok(vec![&s[1] - &s[0]]),
        Scan::new().sequence_taps(&x, &[-2, -1]),
    )
    .unwrap();
    let (around, _) = scan(
        |s| Ok(vec![&s[1] - &s[0]]),
        Scan::new().sequence_taps(&x, &[-1, 1]).go_backwards(true),
    )
    .unwrap();
    let outs = [
        moving[0].clone(),
        back[0].clone(),
        ahead[0].clone(),
        behind[0].clone(),
        around[0].clone(),
    ];
    for r in run_every_linker(&[&x], &outs, std::slice::from_ref(&xv)) {
        assert_eq!(r[0].to_f64_vec(), vec![321.0, 432.0, 543.0, 654.0]);
        // x[0:4] and x[2:6], each reversed: (4 3 2 1) - (6 5 4 3)
        assert_eq!(r[1].to_f64_vec(), vec![-2.0, -2.0, -2.0, -2.0]);
        assert_eq!(r[2].to_f64_vec(), vec![2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(r[3].to_f64_vec(), vec![1.0, 1.0, 1.0, 1.0]);
        assert_eq!(r[4].to_f64_vec(), vec![2.0, 2.0, 2.0, 2.0]);
    }
    let e = scan(
        |s| Ok(vec![s[0].clone()]),
        Scan::new().output_taps(&x0, &[i64::MIN]).n_steps(2i64),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("a tap must lie within"), "{e}");
    let e = scan(
        |s| Ok(vec![s[0].clone()]),
        Scan::new().output_taps(&x0, &[-1, 1]).n_steps(2i64),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("must be negative"), "{e}");
}

/// The tutorial's `x(t) = x(t - 2) U + x(t - 1) V + tanh(x(t - 1) W + b)`, against the loop
/// in Rust, and its gradients by finite differences.
#[test]
fn two_step_recurrence_and_its_gradient() {
    let x0 = T::dmatrix("x0");
    let (u, v, w) = (T::dmatrix("U"), T::dmatrix("V"), T::dmatrix("W"));
    let b = T::dvector("b");
    let n = 4;
    let step = |s: &[Variable]| -> Result<Vec<Variable>, theano::ScanError> {
        let lin = T::dot(&s[0], &s[2])? + T::dot(&s[1], &s[3])?;
        Ok(vec![lin + T::tanh(T::dot(&s[1], &s[4])? + &s[5])])
    };
    let (outs, _) = scan(
        step,
        Scan::new()
            .output_taps(&x0, &[-2, -1])
            .non_sequences([&u, &v, &w, &b])
            .n_steps(n as i64),
    )
    .unwrap();
    let m = |vals: Vec<f64>| Tensor::from_shape_vec(&[2, 2], vals).unwrap();
    let (x0v, uv, vv, wv) = (
        m(vec![0.1, -0.2, 0.3, 0.05]),
        m(vec![0.5, 0.1, -0.2, 0.4]),
        m(vec![0.3, -0.1, 0.2, 0.6]),
        m(vec![-0.4, 0.2, 0.1, 0.3]),
    );
    let bv = vec![0.05, -0.05];
    let mul = |a: &[f64], mm: &Tensor| -> Vec<f64> {
        let mm = mm.to_f64_vec();
        (0..2).map(|j| a[0] * mm[j] + a[1] * mm[2 + j]).collect()
    };
    let x0f = x0v.to_f64_vec();
    let (mut p2, mut p1) = (x0f[0..2].to_vec(), x0f[2..4].to_vec());
    let mut want = Vec::new();
    for _ in 0..n {
        let (a, c, d) = (mul(&p2, &uv), mul(&p1, &vv), mul(&p1, &wv));
        let x: Vec<f64> = (0..2)
            .map(|j| a[j] + c[j] + (d[j] + bv[j]).tanh())
            .collect();
        want.extend_from_slice(&x);
        p2 = std::mem::replace(&mut p1, x);
    }
    let args = [x0v, uv, vv, wv, Tensor::from(bv)];
    for r in run_every_linker(&[&x0, &u, &v, &w, &b], &outs, &args) {
        close(&r[0].to_f64_vec(), &want, 1e-14);
    }
    let cost = |i: &[Variable]| {
        let (o, _) = scan(
            step,
            Scan::new()
                .output_taps(&i[0], &[-2, -1])
                .non_sequences([&i[1], &i[2], &i[3], &i[4]])
                .n_steps(3i64),
        )
        .unwrap();
        T::sum(T::sqr(&o[0]))
    };
    verify_grad(cost, &args, eval, &VerifyGradOptions::default()).unwrap_or_else(|e| panic!("{e}"));
}

/// Gradients through sequence taps.
#[test]
fn gradients_through_sequence_taps() {
    let f = |i: &[Variable]| {
        let (o, _) = scan(
            |s| Ok(vec![&s[0] * &s[1] + T::sin(&s[2])]),
            Scan::new().sequence_taps(&i[0], &[-2, 0, 1]),
        )
        .unwrap();
        T::sum(&o[0] * &o[0])
    };
    let pts = [Tensor::from(vec![0.3, -0.1, 0.8, 0.5, -0.6, 0.2])];
    verify_grad(f, &pts, eval, &VerifyGradOptions::default()).unwrap_or_else(|e| panic!("{e}"));
}

/// A body may return one of its own arguments: the loop stacks it, and gradients flow
/// through it as through any output.
#[test]
fn an_output_that_is_an_argument() {
    let f = |i: &[Variable]| {
        let (o, _) = scan(
            |s| Ok(vec![&s[1] + &s[0], s[0].clone(), s[2].clone()]),
            Scan::new()
                .sequences([&i[0]])
                .outputs_info([Some(T::constant(0.0f64)), None, None])
                .non_sequences([&i[1]]),
        )
        .unwrap();
        T::sum(&o[0] * &o[1]) + T::sum(&o[2] * &o[2])
    };
    let pts = [Tensor::from(vec![0.3, -0.1, 0.8]), Tensor::scalar(0.7)];
    verify_grad(f, &pts, eval, &VerifyGradOptions::default()).unwrap_or_else(|e| panic!("{e}"));
}

/// On the JIT a loop's body is optimized and compiled as the function is (the profile's
/// linker column says so); on the interpreter linker it is interpreted.
#[test]
fn the_jit_compiles_the_loop_body() {
    let x = T::dmatrix("x");
    let w = T::dmatrix("w");
    let (outs, _) = scan(
        |s| Ok(vec![T::tanh(T::dot(&s[0], &s[1])?) * 2.0 + 1.0]),
        Scan::new().sequences([&x]).non_sequences([&w]),
    )
    .unwrap();
    let s = T::sum(&outs[0]);
    for (linker, want) in [
        (LinkerKind::Jit, "jit loop body"),
        (LinkerKind::Interp, "interpreter"),
    ] {
        let m = Mode {
            linker,
            profile: true,
            ..Mode::default()
        };
        let f = compile(&[&x, &w], &s).mode(m).build().unwrap();
        f.call(&[
            Tensor::full(theano::DType::Float64, &[3, 2], 0.5),
            Tensor::full(theano::DType::Float64, &[2, 2], 0.25),
        ])
        .unwrap();
        let p = f.profile().unwrap();
        let row = p.nodes.iter().find(|n| n.node.starts_with("for{")).unwrap();
        assert_eq!(row.linker, want);
        // the loop running its compiled body is no fallback to the interpreter
        if linker == LinkerKind::Jit {
            assert_eq!(row.interp_calls, 0);
            assert!(!p.to_string().contains("fell back"), "{p}");
        }
    }
}

/// Random numbers inside the loop: the stream's state is threaded through the steps, each
/// step draws the next numbers (the same as drawing step after step outside a loop), and the
/// loop's update, given to `function()`, advances the stream past them.
#[test]
fn random_numbers_inside_the_loop() {
    use theano::sandbox::rng_mrg::MRG_RandomStreams;
    let x = T::dmatrix("x");
    let srng = MRG_RandomStreams::new(11).unwrap();
    let u = srng.uniform([3], 0.0, 1.0).unwrap();
    let (outs, updates) = scan(|v| Ok(vec![&v[0] * &u]), Scan::new().sequences([&x])).unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].0, srng.state_updates()[0].rstate);
    let f = compile(&[&x], outs.clone())
        .updates(updates.clone())
        .build()
        .unwrap();
    // the same draws, one call per step, without a loop
    let plain_srng = MRG_RandomStreams::new(11).unwrap();
    let pu = plain_srng.uniform([3], 0.0, 1.0).unwrap();
    let g = compile(&[], &pu).build().unwrap();
    let ones = Tensor::full(theano::DType::Float64, &[4, 3], 1.0);
    for call in 0..2 {
        let got = f.call(std::slice::from_ref(&ones)).unwrap()[0].to_f64_vec();
        let want: Vec<f64> = (0..4)
            .flat_map(|_| g.call(&[]).unwrap()[0].to_f64_vec())
            .collect();
        assert_eq!(got, want, "call {call}");
    }
    // gradients through a loop that draws: the draws are the forward's
    let w = T::dvector("w");
    let (o, ups) = scan(
        |v| Ok(vec![T::sum(&v[0] * &v[1] * &u)]),
        Scan::new().sequences([&x]).non_sequences([&w]),
    )
    .unwrap();
    let gw = grad(&T::sum(&o[0]), std::slice::from_ref(&w)).unwrap();
    let h = compile(&[&x, &w], vec![o[0].clone(), gw[0].clone()])
        .updates(ups)
        .build()
        .unwrap();
    let r = h
        .call(&[ones.clone(), Tensor::from(vec![1.0, 1.0, 1.0])])
        .unwrap();
    assert_eq!(r[0].shape(), &[4]);
    assert_eq!(r[1].shape(), &[3]);
    // d/dw sum_t sum(x_t * w * u_t) = sum_t u_t: the loop's values divided back out
    let total: f64 = r[0].to_f64_vec().iter().sum();
    let gsum: f64 = r[1].to_f64_vec().iter().sum();
    assert!((total - gsum).abs() < 1e-12, "{total} vs {gsum}");
}

/// `until`: a while loop. Doubling until past 100 (the step that passes it included);
/// a running sum over a sequence until it passes a threshold, with its gradient (only the
/// steps done are differentiated); the condition must be a scalar.
#[test]
fn until_stops_the_loop() {
    let x0 = T::dscalar("x0");
    let (outs, _) = scan(
        |s| {
            let x = &s[0] * 2.0;
            let stop = T::gt(&x, 100.0);
            Ok(vec![x, stop])
        },
        Scan::new()
            .outputs_info([Some(x0.clone())])
            .n_steps(20i64)
            .until(true),
    )
    .unwrap();
    assert_eq!(outs.len(), 1);
    for r in run_every_linker(&[&x0], &outs, &[Tensor::scalar(1.0)]) {
        assert_eq!(
            r[0].to_f64_vec(),
            vec![2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
        );
    }
    // the step limit still holds
    for r in run_every_linker(&[&x0], &outs, &[Tensor::scalar(-1.0)]) {
        assert_eq!(r[0].shape(), &[20]);
    }
    let sum_until = |i: &[Variable]| {
        let (o, _) = scan(
            |s| {
                let acc = &s[1] + &s[0] * &s[0];
                Ok(vec![acc.clone(), T::gt(&acc, 1.0)])
            },
            Scan::new()
                .sequences([&i[0]])
                .outputs_info([Some(T::constant(0.0f64))])
                .until(true),
        )
        .unwrap();
        T::sum(&o[0])
    };
    let xs = T::dvector("xs");
    let total = sum_until(std::slice::from_ref(&xs));
    let g = grad(&total, std::slice::from_ref(&xs)).unwrap();
    let f = compile(&[&xs], vec![total, g[0].clone()]).build().unwrap();
    // squares 0.25, 0.36, 0.64 (acc 1.25 > 1: stop after three steps)
    let out = f
        .call(&[Tensor::from(vec![0.5, 0.6, 0.8, 0.9, 0.3])])
        .unwrap();
    close(&out[0].to_f64_vec(), &[0.25 + 0.61 + 1.25], 1e-14);
    // d/dx_i of sum_t acc_t = 2 x_i * (steps from i on)
    close(
        &out[1].to_f64_vec(),
        &[2.0 * 0.5 * 3.0, 2.0 * 0.6 * 2.0, 2.0 * 0.8, 0.0, 0.0],
        1e-14,
    );
    let pts = [Tensor::from(vec![0.5, 0.6, 0.8, 0.9, 0.3])];
    verify_grad(sum_until, &pts, eval, &VerifyGradOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let e = scan(
        |s| Ok(vec![s[0].clone(), s[0].clone()]),
        Scan::new().sequences([T::dmatrix("m")]).until(true),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("must be a scalar"), "{e}");
}

/// A body's own updates (the tutorial's "accumulate the number of loops": a body that only
/// updates a shared counter), threaded through the steps and returned as the loop's updates;
/// with outputs, each step sees the counter's value so far.
#[test]
fn a_body_that_updates_a_shared_variable() {
    let k = theano::shared_named(0i64, "k");
    let n = T::iscalar("n_sym");
    let (outs, updates) = scan(
        |_| Ok((vec![], vec![(k.clone(), &k + 1)])),
        Scan::new().n_steps(&n),
    )
    .unwrap();
    assert!(outs.is_empty());
    let acc = compile(&[&n], Vec::<Variable>::new())
        .updates(updates)
        .build()
        .unwrap();
    acc.call(&[Tensor::scalar(5i32)]).unwrap();
    assert_eq!(k.get_value().unwrap().to_i64_vec(), vec![5]);
    acc.call(&[Tensor::scalar(3i32)]).unwrap();
    assert_eq!(k.get_value().unwrap().to_i64_vec(), vec![8]);
    // outputs read the counter as it was at each step
    let x = T::dvector("x");
    let (outs, updates) = scan(
        |s| {
            Ok((
                vec![&s[0] * T::cast(&k, theano::DType::Float64)],
                vec![(k.clone(), &k + 2)],
            ))
        },
        Scan::new().sequences([&x]),
    )
    .unwrap();
    let f = compile(&[&x], outs).updates(updates).build().unwrap();
    let r = f.call(&[Tensor::from(vec![1.0, 1.0, 1.0])]).unwrap();
    assert_eq!(r[0].to_f64_vec(), vec![8.0, 10.0, 12.0]);
    assert_eq!(k.get_value().unwrap().to_i64_vec(), vec![14]);
    let y = T::dscalar("y");
    let e = scan(
        |_| Ok((vec![], vec![(y.clone(), &y + 1.0)])),
        Scan::new().n_steps(2i64),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("only shared variables can be updated"), "{e}");
}

/// `truncate_gradient`: backpropagation through the last `k` steps only. For
/// `h_t = a h_{t-1} + x_t` and the cost `sum_t h_t`, the gradients are the full ones' last
/// `k` steps.
#[test]
fn truncated_backpropagation() {
    let x = T::dvector("x");
    let a = T::dscalar("a");
    let grads = |k: i64| {
        let (o, _) = scan(
            |s| Ok(vec![&s[1] * &s[2] + &s[0]]),
            Scan::new()
                .sequences([&x])
                .outputs_info([Some(T::constant(0.0f64))])
                .non_sequences([&a])
                .truncate_gradient(k),
        )
        .unwrap();
        let cost = T::sum(&o[0]);
        let g = grad(&cost, &[x.clone(), a.clone()]).unwrap();
        let f = compile(&[&x, &a], vec![o[0].clone(), g[0].clone(), g[1].clone()])
            .build()
            .unwrap();
        f.call(&[Tensor::from(vec![1.0, 2.0, 3.0, 4.0]), Tensor::scalar(0.5)])
            .unwrap()
    };
    let full = grads(-1);
    let h = full[0].to_f64_vec();
    let av: f64 = 0.5;
    // full: dcost/dx_t = sum_{s >= t} a^(s - t)
    let want: Vec<f64> = (0..4)
        .map(|t| (0..4 - t).map(|e| av.powi(e)).sum())
        .collect();
    close(&full[1].to_f64_vec(), &want, 1e-14);
    let one = grads(1);
    close(&one[1].to_f64_vec(), &[0.0, 0.0, 0.0, 1.0], 1e-14);
    close(&one[2].to_f64_vec(), &[h[2]], 1e-14);
    let two = grads(2);
    close(&two[1].to_f64_vec(), &[0.0, 0.0, 1.0 + av, 1.0], 1e-14);
    close(&two[2].to_f64_vec(), &[h[2] + h[1] * (1.0 + av)], 1e-14);
    // more steps than the loop has: the full gradient
    close(&grads(10)[1].to_f64_vec(), &want, 1e-14);
}

/// The optimizer drops what nobody reads of a loop (`prune_unused_outputs`): a gradient with
/// respect to the weights only never reads the backward loop's gradient of the sequence, and
/// reads its carry (the initial state's gradient) at its last value only. The loop then
/// computes less, and gives the same values.
#[test]
fn unread_loop_outputs_are_pruned() {
    let x = T::dmatrix("x");
    let w = T::dmatrix("w");
    let h0 = T::dvector("h0");
    let (hs, _) = scan(
        |s| Ok(vec![T::tanh(T::dot(&s[1], &s[2])? + &s[0])]),
        Scan::new()
            .sequences([&x])
            .outputs_info([Some(h0.clone())])
            .non_sequences([&w]),
    )
    .unwrap();
    let cost = T::sum(T::sqr(&hs[0]));
    let g = grad(&cost, std::slice::from_ref(&w)).unwrap();
    let xv = Tensor::from_shape_vec(&[4, 3], (0..12).map(|i| (i as f64 * 0.37).sin()).collect())
        .unwrap();
    let wv = Tensor::from_shape_vec(
        &[3, 3],
        (0..9).map(|i| (i as f64 * 0.71).cos() * 0.5).collect(),
    )
    .unwrap();
    let h0v = Tensor::from_shape_vec(&[3], vec![0.1, -0.2, 0.3]).unwrap();
    let mut results = Vec::new();
    for excluding in [vec![], vec!["prune_unused_outputs".to_string()]] {
        for linker in [LinkerKind::Interp, LinkerKind::Jit] {
            let m = Mode {
                linker,
                optimizer_excluding: excluding.clone(),
                ..Mode::default()
            };
            let f = compile(&[&x, &w, &h0], &g[0]).mode(m).build().unwrap();
            // the backward loop's outputs in the optimized graph: its stacked ones have a
            // step axis (3 dimensions for a matrix's rows, 2 for a vector's)
            let text = f.fgraph().to_text();
            let line = text
                .lines()
                .find(|l| l.contains("for{cpu,grad_of_scan_fn|"))
                .unwrap_or_else(|| panic!("no backward loop in\n{text}"));
            let defs = line.split(" = ").next().unwrap();
            let n_outs = defs.matches('%').count();
            if excluding.is_empty() {
                // the carry (kept at its last value) and the weights' sum; the sequence's
                // gradient dropped
                assert_eq!(n_outs, 2, "{line}");
                assert!(!defs.contains("float64[?,?,?]"), "{line}");
            } else {
                assert_eq!(n_outs, 3, "{line}");
            }
            let v = f.call(&[xv.clone(), wv.clone(), h0v.clone()]).unwrap();
            results.push(v[0].to_f64_vec());
        }
    }
    for r in &results[1..] {
        close(r, &results[0], 1e-13);
    }
}

/// Theano's `map`, `reduce`, `foldl` and `foldr` (scan_views): against the same loops in
/// Rust, on the interpreter and the JIT; a gradient through `foldr`; `map` refuses
/// `outputs_info`.
#[test]
fn map_reduce_and_folds() {
    use theano::{foldl, foldr, map, reduce};
    let v = T::dvector("v");
    let w = T::dvector("w");
    let vals = [
        Tensor::from(vec![1.5, -2.0, 0.25, 3.0]),
        Tensor::from(vec![0.5, 1.0, -1.0, 2.0]),
    ];
    let (a, b) = (vals[0].to_f64_vec(), vals[1].to_f64_vec());
    let (sq, _) = map(|s| Ok(vec![&s[0] * &s[1]]), Scan::new().sequences([&v, &w])).unwrap();
    // Horner's rule both ways: acc * 2 + x, a non-commutative fold
    let horner = |s: &[Variable]| Ok(vec![&s[1] * 2.0 + &s[0]]);
    let zero = || {
        Scan::new()
            .sequences([&v])
            .outputs_info([Some(T::constant(0.0f64))])
    };
    let (left, _) = foldl(horner, zero()).unwrap();
    let (right, _) = foldr(horner, zero()).unwrap();
    let (total, _) = reduce(|s| Ok(vec![&s[0] + &s[1]]), zero()).unwrap();
    assert_eq!(left[0].ndim(), 0);
    let want_left = a.iter().fold(0.0, |acc, x| acc * 2.0 + x);
    let want_right = a.iter().rev().fold(0.0, |acc, x| acc * 2.0 + x);
    let outs = vec![
        sq[0].clone(),
        left[0].clone(),
        right[0].clone(),
        total[0].clone(),
    ];
    for r in run_every_linker(&[&v, &w], &outs, &vals) {
        let prod: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
        close(&r[0].to_f64_vec(), &prod, 1e-15);
        close(&r[1].to_f64_vec(), &[want_left], 1e-15);
        close(&r[2].to_f64_vec(), &[want_right], 1e-15);
        close(&r[3].to_f64_vec(), &[a.iter().sum::<f64>()], 1e-15);
    }
    // d/dv of a foldr through tanh, against finite differences
    let fold_tanh = |i: &[Variable]| {
        let (o, _) = foldr(
            |s| Ok(vec![T::tanh(&s[1] * &s[2] + &s[0])]),
            Scan::new()
                .sequences([&i[0]])
                .outputs_info([Some(T::constant(0.1f64))])
                .non_sequences([&i[1]]),
        )
        .unwrap();
        o[0].clone()
    };
    verify_grad(
        fold_tanh,
        &[vals[0].clone(), Tensor::scalar(0.7)],
        eval,
        &VerifyGradOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = map(
        |s| Ok(vec![s[0].clone()]),
        Scan::new()
            .sequences([&v])
            .outputs_info([Some(T::constant(0.0f64))]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("map takes no outputs_info"),
        "{err}"
    );
}

/// `strict`: a body that reads a shared weight without it being given as a non-sequence is
/// refused; given, it is read through the body's argument even when the body reads the
/// variable itself (one input of the loop, not two).
#[test]
fn strict_and_explicit_non_sequences() {
    let x = T::dvector("x");
    let w = theano::try_shared(Tensor::scalar(3.0), Some("w")).unwrap();
    let body = |s: &[Variable]| Ok(vec![&s[0] * &w]);
    let err = scan(body, Scan::new().sequences([&x]).strict(true)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("strict") && msg.contains("w"), "{msg}");
    let (outs, _) = scan(
        body,
        Scan::new().sequences([&x]).non_sequences([&w]).strict(true),
    )
    .unwrap();
    let node = outs[0].owner().unwrap();
    // the step count, the sequence, its offset, the non-sequence
    assert_eq!(node.inputs().len(), 4, "{:?}", node.inputs());
    let f = compile(&[&x], &outs[0]).build().unwrap();
    let r = f.call(&[Tensor::from(vec![1.0, 2.0])]).unwrap();
    close(&r[0].to_f64_vec(), &[3.0, 6.0], 0.0);
}

/// `debugprint` of a loop ends with Theano's `Inner graphs of the scan ops:` section: the
/// loop's line again, then its body under ` >`, each body input that takes an outer
/// input's values written `-> [id ..]` (that input's id), named as Theano names them
/// (`x[t]`, `w_copy`; an unnamed state as its type). The lines are Theano 1.0.5's for the
/// same loop (the ids differ: Theano's outer graph holds more nodes).
#[test]
fn debugprint_shows_the_loop_body() {
    let x = T::dmatrix("x");
    let w = T::dmatrix("w");
    let (hs, _) = scan(
        |s| Ok(vec![T::tanh(T::dot(&s[1], &s[2])? + &s[0])]),
        Scan::new()
            .sequences([&x])
            .outputs_info([Some(T::zeros_like(
                x.get(&[Idx::Int(T::constant(0i64))]).unwrap(),
            ))])
            .non_sequences([&w]),
    )
    .unwrap();
    let text = debugprint(&hs);
    let (_, inner) = text
        .split_once("\nInner graphs of the scan ops:\n\n")
        .unwrap_or_else(|| panic!("no inner graph section in\n{text}"));
    // every `[id X]` as `[id _]`
    let strip = |s: &str| {
        let mut out = String::new();
        for (i, part) in s.split("[id ").enumerate() {
            match part.split_once(']') {
                Some((_, rest)) if i > 0 => {
                    out.push_str("[id _]");
                    out.push_str(rest);
                }
                _ => out.push_str(part),
            }
        }
        out
    };
    let theano = "for{cpu,scan_fn} [id B] ''   
 >Elemwise{tanh,no_inplace} [id BD] ''   
 > |Elemwise{add,no_inplace} [id BE] ''   
 >   |dot [id BF] ''   
 >   | |<TensorType(float64, vector)> [id BG] -> [id K]
 >   | |w_copy [id BH] -> [id BB]
 >   |x[t] [id BI] -> [id I]
";
    assert_eq!(strip(inner), strip(theano), "{inner}");
    // the arrows point at the outer inputs: the sequence x, the initial state, w
    let id_of = |line_start: &str| {
        let line = text.lines().find(|l| l.starts_with(line_start)).unwrap();
        line.split("[id ")
            .nth(1)
            .unwrap()
            .split(']')
            .next()
            .unwrap()
            .to_string()
    };
    let w_id = id_of(" |w ");
    assert!(
        inner
            .lines()
            .any(|l| l.contains("w_copy") && l.ends_with(&format!("-> [id {w_id}]"))),
        "{inner}"
    );
}

/// A loop's run-time error names the node built on the user's line (scan, map and the folds
/// pass their caller on).
#[test]
fn loop_errors_name_the_users_line() {
    let x = T::dvector("x");
    let n = T::lscalar("n");
    let (o, _) = theano::map(
        |s| Ok(vec![&s[0] * 2.0]),
        Scan::new().sequences([&x]).n_steps(&n),
    )
    .unwrap();
    let f = compile(&[&x, &n], &o[0]).build().unwrap();
    let e = f
        .call(&[
            Tensor::from(vec![1.0, 2.0]),
            Tensor::scalar(5.0).cast(theano::DType::Int64),
        ])
        .unwrap_err()
        .to_string();
    assert!(e.contains("fewer than the 5 steps"), "{e}");
    assert!(e.contains("Node built at: tests/scan.rs"), "{e}");
}

/// The IR text form holds a loop whole (`for{cpu,<name>|layout|body=..}`): a graph with
/// loops (taps, going backwards, a stop condition, truncation, the gradient's reversed reads
/// and heads, last-value sums) prints, parses back to a graph printing the same text, and
/// computes the same values; a malformed loop text is refused with a message.
#[test]
fn loops_print_and_parse() {
    theano::register_builtin_ops();
    let x = T::dvector("x");
    let c = T::dscalar("c");
    let (taps, _) = scan(
        |s| Ok(vec![T::tanh(&s[0] * &s[2] + &s[1] * &s[3])]),
        Scan::new()
            .sequence_taps(&x, &[0, 1])
            .outputs_info([Some(T::constant(0.3f64))])
            .non_sequences([&c])
            .go_backwards(true)
            .truncate_gradient(2),
    )
    .unwrap();
    let (until, _) = scan(
        |s| {
            let y = &s[0] * 2.0;
            Ok(vec![y.clone(), T::gt(&y, 5.0)])
        },
        Scan::new()
            .outputs_info([Some(c.clone())])
            .n_steps(10i64)
            .until(true),
    )
    .unwrap();
    let cost = T::sum(&taps[0]) + T::sum(&until[0]);
    let g = grad(&cost, &[x.clone(), c.clone()]).unwrap();
    let outs = vec![cost, g[0].clone(), g[1].clone()];
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(&[x.clone(), c.clone()], &outs).unwrap();
    let text = fg.to_text();
    // the backwards loop's gradient reads x forwards; the state's previous values with a head
    assert!(
        text.contains("for{cpu,grad_of_scan_fn|steps=1,1,-1,-1,-1|heads=0,0,1,0,0|"),
        "{text}"
    );
    let back =
        theano::ir::fgraph::FunctionGraph::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.to_text(), text);
    let args = [
        Tensor::from(vec![0.5, -1.0, 0.25, 2.0]),
        Tensor::scalar(0.75),
    ];
    let want = run_every_linker(&[&x, &c], &outs, &args);
    let parsed = back.to_variables().unwrap();
    let ins: Vec<Variable> = back
        .inputs()
        .iter()
        .map(|&v| back.leaf_variable(v).unwrap().clone())
        .collect();
    let got = run_every_linker(&[&ins[0], &ins[1]], &parsed, &args);
    for (w, g) in want.iter().zip(&got) {
        for (a, b) in w.iter().zip(g) {
            close(&b.to_f64_vec(), &a.to_f64_vec(), 1e-15);
        }
    }
    // names with unpaired brackets, braces, bars and quotes inside the body
    let odd = T::dvector("x]|{\"");
    let k = T::dscalar("a[");
    let (o, _) = scan(
        |s| Ok(vec![&s[0] * &s[1]]),
        Scan::new().sequences([&odd]).non_sequences([&k]),
    )
    .unwrap();
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(&[odd.clone(), k.clone()], &o).unwrap();
    let text = fg.to_text();
    assert!(text.contains(r#""x\)\!\<\\"\(t\)""#), "{text}");
    let back =
        theano::ir::fgraph::FunctionGraph::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.to_text(), text);
    // a malformed loop: a bad layout, a body that does not parse
    for bad in [
        "for{cpu,f|steps=2|heads=0|outs=0|states=1|nonseqs=0|until=0|truncate=_|body=x}",
        "for{cpu,f|steps=|heads=|outs=0|states=1|nonseqs=0|until=0|truncate=_|body=nonsense}",
    ] {
        let e = theano::ir::fgraph::parse_op(bad).unwrap_err();
        assert!(e.contains("for"), "{e}");
    }
}
