//! A tanh RNN trained through `scan` (backpropagation through time): the time of one
//! training step on the JIT (the loop's body compiled) and on the interpreter, best of
//! several rounds. Sizes: 50 steps, a minibatch of 16, 32 inputs, 64 hidden units.
//!
//! `cargo run --release --example scan_rnn` (the Python twin, PyTensor's C backend:
//! `benches/scan_rnn.py`).

use std::time::Instant;
use theano::tensor as T;
use theano::{compile, grad, scan, LinkerKind, Mode, Scan, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (steps, batch, n_in, n_h) = (50usize, 16usize, 32usize, 64usize);
    let fill = |shape: &[usize], k: usize| {
        let n: usize = shape.iter().product();
        Tensor::from_shape_vec(
            shape,
            (0..n)
                .map(|i| (((i * 7919 + k) % 1000) as f64 / 1000.0 - 0.5) * 0.2)
                .collect(),
        )
    };
    let mut results = Vec::new();
    let linkers = if std::env::var("SCAN_RNN_JIT_ONLY").is_ok() {
        vec![LinkerKind::Jit]
    } else {
        vec![LinkerKind::Jit, LinkerKind::Interp]
    };
    for linker in linkers {
        let w = theano::try_shared(fill(&[n_in, n_h], 1)?, Some("W"))?;
        let u = theano::try_shared(fill(&[n_h, n_h], 2)?, Some("U"))?;
        let x = T::tensor3("x");
        let target = T::dmatrix("target");
        let h0 = T::zeros(&[batch as i64, n_h as i64], None::<theano::DType>)?;
        let (hs, _) = scan(
            |s| Ok(vec![T::tanh(T::dot(&s[0], &w)? + T::dot(&s[1], &u)?)]),
            Scan::new().sequences([&x]).outputs_info([Some(h0.clone())]),
        )?;
        let last = hs[0].get(&[theano::ir::Idx::Int(T::constant(-1i64))])?;
        let cost = T::mean(T::sqr(&last - &target), None, false)?;
        let g = grad(&cost, &[w.clone(), u.clone()])?;
        let train = compile(&[&x, &target], &cost)
            .updates([
                (w.clone(), &w - &(&g[0] * 0.1)),
                (u.clone(), &u - &(&g[1] * 0.1)),
            ])
            .mode(Mode {
                linker,
                ..Mode::current()?
            })
            .build()?;
        let xv = fill(&[steps, batch, n_in], 3)?;
        let tv = fill(&[batch, n_h], 4)?;
        let mut best = f64::INFINITY;
        let mut c = 0.0;
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..5 {
                c = train.call(&[xv.clone(), tv.clone()])?[0].to_f64_vec()[0];
            }
            best = best.min(t.elapsed().as_secs_f64() / 5.0);
        }
        println!(
            "{linker:?}: {:.3} ms per training step (cost {c:.6})",
            best * 1e3
        );
        results.push(best);
    }
    if let [jit, interp] = results[..] {
        println!("interpreter / JIT: {:.2}", interp / jit);
    }
    Ok(())
}
