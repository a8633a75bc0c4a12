//! The tutorial's logistic regression (notebook cells 40-41), verbatim: N=400 samples of 784
//! random features, random 0/1 targets, shared w and b, the cross-entropy cost with L2
//! regularisation, gradient descent by updates.
//!
//! `cargo run --release --example logistic_regression [-- --steps 10000 --seed 42]`
//! `--float32` builds the graph with floatX=float32 (float32 inputs, weights and data);
//! `--scale K` multiplies the input data by K. The cost of every step is checked: the run
//! fails when a cost (or a final weight) is NaN or infinite.

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use theano::tensor as T;
use theano::{compile, function, grad, try_shared, DType, Tensor};

#[derive(Parser)]
#[command(about = "Theano's tutorial logistic regression, in theano-rs")]
struct Args {
    /// Training steps (the notebook's training_steps).
    #[arg(long, default_value_t = 10_000)]
    steps: usize,
    /// Seed of the random data set and initial weights.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Build the graph with floatX=float32 and float32 data (the default is float64).
    #[arg(long)]
    float32: bool,
    /// Multiply the input data by this factor (large values push |x.w| far past the range
    /// where exp overflows).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dtype = if args.float32 {
        DType::Float32
    } else {
        DType::Float64
    };
    theano::config::set_float_x(dtype)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let n = 400; // training sample size
    let feats = 784; // number of input variables

    // generate a dataset: D = (input_values, target_class)
    let d0 = Tensor::from_shape_vec(
        &[n, feats],
        (0..n * feats)
            .map(|_| args.scale * rng.sample::<f64, _>(StandardNormal))
            .collect(),
    )?
    .cast(dtype);
    let d1 = Tensor::from_shape_vec(&[n], (0..n).map(|_| rng.random_range(0..2i64)).collect())?;
    let d1f = d1.cast(dtype);

    // Declare symbolic variables
    let (x, y) = if args.float32 {
        (T::fmatrix("x"), T::fvector("y"))
    } else {
        (T::dmatrix("x"), T::dvector("y"))
    };

    // Initialize the weight vector w randomly, and the bias b; shared so they keep their values
    let w = try_shared(
        Tensor::from_shape_vec(
            &[feats],
            (0..feats)
                .map(|_| rng.sample::<f64, _>(StandardNormal))
                .collect(),
        )?
        .cast(dtype),
        Some("w"),
    )?;
    let b = try_shared(Tensor::full(dtype, &[], 0.0), Some("b"))?;

    println!("Initial model:");
    println!("{}", w.get_value().expect("w is shared"));
    println!("{}", b.get_value().expect("b is shared"));

    // ------- Construct the expression graph ---------
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w)? - &b)); // Probability that target = 1
    let prediction = T::gt(&p_1, 0.5); // The prediction thresholded
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1); // Cross-entropy loss
    let cost = xent.mean() + 0.01 * w.pow(2).sum(); // The cost to minimize
    let g = grad(&cost, &[w.clone(), b.clone()])?; // Gradient of the cost w.r.t. w and b
    let (gw, gb) = (&g[0], &g[1]);

    // Compile
    let train = compile(&[&x, &y], [&prediction, &xent, &cost])
        .updates([(&w, &w - 0.1 * gw), (&b, &b - 0.1 * gb)])
        .build()?;
    let predict = function(&[&x], &prediction)?;

    // Train
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(args.steps as u64)
    };
    bar.set_style(ProgressStyle::with_template(
        "training {bar:40} {pos}/{len} steps, {per_sec}, eta {eta}",
    )?);
    let (mut max_cost, mut non_finite) = (f64::NEG_INFINITY, 0usize);
    for _ in 0..args.steps {
        let out = train.call_refs(&[&d0, &d1f])?;
        let c = out[2].scalar_f64().expect("the cost is a scalar");
        if c.is_finite() {
            max_cost = max_cost.max(c);
        } else {
            non_finite += 1;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    println!("Final model:");
    println!("{}", w.get_value().expect("w is shared"));
    println!("{}", b.get_value().expect("b is shared"));
    println!("target values for D:");
    println!("{}", d1);
    println!("prediction on D:");
    let pred = predict.call_refs(&[&d0])?.remove(0);
    println!("{}", pred);
    let correct = pred
        .to_i64_vec()
        .iter()
        .zip(d1.to_i64_vec())
        .filter(|(p, t)| **p == *t)
        .count();
    println!(
        "training accuracy: {:.1}% ({correct}/{n})",
        100.0 * correct as f64 / n as f64
    );
    let w_finite = w
        .get_value()
        .expect("w is shared")
        .to_f64_vec()
        .iter()
        .all(|v| v.is_finite());
    println!(
        "{dtype}, data scale {}: non-finite costs: {non_finite} of {} steps; max finite cost: \
         {max_cost:.6}; final weights finite: {w_finite}",
        args.scale, args.steps
    );
    if non_finite > 0 || !w_finite {
        return Err("a cost or a weight was NaN or infinite".into());
    }
    Ok(())
}
