//! The deeplearning.net tutorial's LeNet (convolutional_mlp.py) on Fashion-MNIST: two
//! convolution + max-pooling + tanh layers (20 and 50 filters of 5x5), a tanh hidden layer of
//! 500 units and softmax regression, trained by minibatch SGD with `givens` and a symbolic
//! minibatch index; weights initialized as the tutorial does from NumPy's
//! `RandomState(23455)` (the same numbers as NumPy's).
//!
//! Data: Fashion-MNIST from /usr/share/datasets/fashion-mnist (`apt-get install
//! dataset-fashion-mnist`) or the directory in `MNIST_DIR` (the four IDX `.gz` files).
//!
//! `cargo run --release --example lenet [-- --epochs 1 --batch-size 500 --lr 0.1 --steps 0]`
//! (`THEANO_FLAGS=floatX=float32` for single precision; `--steps N` times N training steps and
//! stops, for `benches/lenet_jax.py`, its JAX twin).

use clap::Parser;
use theano::datasets::mnist;
use theano::tensor as T;
use theano::tensor::nnet::{conv2d_with, Conv2dArgs};
use theano::tensor::shared_randomstreams::RandomState;
use theano::tensor::signal::pool::{pool_2d, PoolArgs};
use theano::{compile, function, grad, try_shared, DType, Tensor, Variable};

#[derive(Parser)]
#[command(about = "LeNet (conv2d, pool_2d) on Fashion-MNIST")]
struct Args {
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    #[arg(long, default_value_t = 500)]
    batch_size: usize,
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Train on the first N training images (0 = all 60000).
    #[arg(long, default_value_t = 50_000)]
    limit: usize,
    /// Time this many training steps (after one warm-up step) and stop.
    #[arg(long, default_value_t = 0)]
    steps: usize,
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn uniform(rng: &mut RandomState, shape: &[usize], bound: f64, dt: DType) -> Res<Variable> {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.uniform(-bound, bound)).collect();
    Ok(try_shared(
        Tensor::from_f64_vec(DType::Float64, shape, v)?.cast(dt),
        Some("W"),
    )?)
}

/// The tutorial's LeNetConvPoolLayer: `tanh(pool_2d(conv2d(input, W)) + b)`.
fn conv_pool_layer(
    rng: &mut RandomState,
    input: &Variable,
    filter: [usize; 4],
    image: [usize; 4],
    dt: DType,
) -> Res<(Variable, Vec<Variable>)> {
    let fan_in = (filter[1] * filter[2] * filter[3]) as f64;
    let fan_out = (filter[0] * filter[2] * filter[3] / 4) as f64;
    let w = uniform(rng, &filter, (6.0 / (fan_in + fan_out)).sqrt(), dt)?;
    let b = try_shared(Tensor::zeros(dt, &[filter[0]]), Some("b"))?;
    let conv = conv2d_with(
        input,
        &w,
        &Conv2dArgs {
            input_shape: Some(image.map(Some)),
            filter_shape: Some(filter.map(Some)),
            ..Conv2dArgs::default()
        },
    )?;
    let pooled = pool_2d(
        &conv,
        [2, 2],
        &PoolArgs {
            ignore_border: true,
            ..PoolArgs::default()
        },
    )?;
    let out = T::tanh(&pooled + &b.dimshuffle(&[None, Some(0), None, None])?);
    Ok((out, vec![w, b]))
}

fn main() -> Res<()> {
    let args = Args::parse();
    let dir = match mnist::data_dir() {
        Ok(d) => d,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let fx = theano::config::float_x();
    let (train_x, train_y) = mnist::load(&dir, "train", args.limit, fx)?;
    let (test_x, test_y) = mnist::load(&dir, "t10k", 0, fx)?;
    let (bs, n_train) = (args.batch_size, train_x.shape()[0]);
    let n_batches = n_train / bs;
    println!(
        "{n_train} training images, {} test images, {n_batches} minibatches of {bs}, {fx}",
        test_x.shape()[0]
    );
    let train_set_x = try_shared(train_x, Some("train_set_x"))?;
    let train_set_y = try_shared(train_y, Some("train_set_y"))?;

    let mut rng = RandomState::new(23455);
    let (index, x, y) = (T::lscalar("index"), T::matrix("x"), T::ivector("y"));
    let input = x.reshape([bs as i64, 1, 28, 28])?;
    let (l0, p0) = conv_pool_layer(&mut rng, &input, [20, 1, 5, 5], [bs, 1, 28, 28], fx)?;
    let (l1, p1) = conv_pool_layer(&mut rng, &l0, [50, 20, 5, 5], [bs, 20, 12, 12], fx)?;
    let n_in = 50 * 4 * 4;
    let w2 = uniform(
        &mut rng,
        &[n_in, 500],
        (6.0 / (n_in + 500) as f64).sqrt(),
        fx,
    )?;
    let b2 = try_shared(Tensor::zeros(fx, &[500]), Some("b"))?;
    let hidden = T::tanh(T::dot(l1.flatten(2)?, &w2)? + &b2);
    let w3 = try_shared(Tensor::zeros(fx, &[500, 10]), Some("W"))?;
    let b3 = try_shared(Tensor::zeros(fx, &[10]), Some("b"))?;
    let p_y = T::softmax(T::dot(&hidden, &w3)? + &b3)?;
    let picked = T::log(&p_y).get(&[(&T::arange(y.shape_i(0)?)?).into(), (&y).into()])?;
    let cost = -T::mean(&picked, None, false)?;
    let errors = T::mean(T::neq(T::argmax(&p_y, Some(&[1]), false)?, &y), None, false)?;
    let mut params = vec![w3, b3, w2, b2];
    params.extend(p1);
    params.extend(p0);
    let grads = grad(&cost, &params)?;
    let lr = args.lr;
    let updates: Vec<(Variable, Variable)> = params
        .iter()
        .zip(&grads)
        .map(|(p, g)| (p.clone(), p - lr * g))
        .collect();
    let (i0, i1) = (&index * bs as i64, (&index + 1) * bs as i64);
    let train_model = compile(&[&index], &cost)
        .updates(updates)
        .givens([
            (&x, train_set_x.slice_rows(&i0, &i1)?),
            (&y, train_set_y.slice_rows(&i0, &i1)?),
        ])
        .build()?;
    let test_model = function(&[&x, &y], &errors)?;

    if args.steps > 0 {
        let c0 = train_model.call(&[Tensor::from(0i64)])?[0].to_f64_vec()[0];
        let start = std::time::Instant::now();
        let mut last = 0.0;
        for i in 0..args.steps {
            let k = (1 + i) % n_batches;
            last = train_model.call(&[Tensor::from(k as i64)])?[0].to_f64_vec()[0];
        }
        let per = start.elapsed().as_secs_f64() / args.steps as f64;
        println!(
            "first cost {c0:.6}, cost after {} more steps {last:.6}; {:.1} ms per training step",
            args.steps,
            per * 1e3
        );
        return Ok(());
    }
    let n_test = test_x.shape()[0] / bs;
    let rows = |t: &Tensor, a: usize, b: usize| -> Res<Tensor> {
        let rest: usize = t.shape()[1..].iter().product();
        let mut shape = t.shape().to_vec();
        shape[0] = b - a;
        Ok(Tensor::from_f64_vec(
            t.dtype(),
            &shape,
            t.to_f64_vec()[a * rest..b * rest].to_vec(),
        )?)
    };
    for epoch in 1..=args.epochs {
        let start = std::time::Instant::now();
        let mut total = 0.0;
        for i in 0..n_batches {
            total += train_model.call(&[Tensor::from(i as i64)])?[0].to_f64_vec()[0];
        }
        let secs = start.elapsed().as_secs_f64();
        let mut err = 0.0;
        for i in 0..n_test {
            let (bx, by) = (
                rows(&test_x, i * bs, (i + 1) * bs)?,
                rows(&test_y, i * bs, (i + 1) * bs)?,
            );
            err += test_model.call_refs(&[&bx, &by])?[0].to_f64_vec()[0];
        }
        println!(
            "epoch {epoch}: mean minibatch cost {:.5}, test error {:.2} %, {:.1} s training",
            total / n_batches as f64,
            100.0 * err / n_test as f64,
            secs
        );
    }
    Ok(())
}
