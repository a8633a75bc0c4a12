//! The tutorial's lazy-evaluation example ("Conditions"): `ifelse` computes only the branch
//! its condition picks, `switch` both, so `ifelse(a < b, mean(x), mean(y))` takes about half
//! the time of the `switch` on two 10000 x 1000 matrices.
//!
//! `cargo run --release --example ifelse_vs_switch` (the Python twin, with the real Theano
//! 1.0.5 or PyTensor: `benches/ifelse_vs_switch.py`).

use std::time::Instant;
use theano::tensor as T;
use theano::{function, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (a, b) = (T::dscalar("a"), T::dscalar("b"));
    let (x, y) = (T::dmatrix("x"), T::dmatrix("y"));
    let (mx, my) = (T::mean(&x, None, false)?, T::mean(&y, None, false)?);
    let z_switch = T::switch(T::lt(&a, &b), &mx, &my);
    let z_lazy = T::ifelse(T::lt(&a, &b), &mx, &my)?;
    let f_switch = function(&[&a, &b, &x, &y], &z_switch)?;
    let f_lazy = function(&[&a, &b, &x, &y], &z_lazy)?;
    let big1 = Tensor::full(theano::DType::Float64, &[10000, 1000], 1.0);
    let big2 = Tensor::full(theano::DType::Float64, &[10000, 1000], 2.0);
    let args = [Tensor::scalar(1.0), Tensor::scalar(2.0), big1, big2];
    let n_times = 10;
    let mut best = [f64::INFINITY; 2];
    for _round in 0..5 {
        for (k, f) in [&f_switch, &f_lazy].into_iter().enumerate() {
            let t = Instant::now();
            for _ in 0..n_times {
                f.call(&args)?;
            }
            best[k] = best[k].min(t.elapsed().as_secs_f64());
        }
    }
    println!("time spent evaluating both values {:.4} sec", best[0]);
    println!("time spent evaluating one value {:.4} sec", best[1]);
    println!("ratio (switch / ifelse): {:.2}", best[0] / best[1]);
    Ok(())
}
