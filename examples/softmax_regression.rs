//! The tutorial's multi-class logistic regression (softmax regression) on MNIST-format data,
//! trained by minibatch SGD with `givens` and a symbolic minibatch index, as in the notebook's
//! LogisticRegression class.
//!
//! Data: Fashion-MNIST from /usr/share/datasets/fashion-mnist (`apt-get install
//! dataset-fashion-mnist`) or the directory in `MNIST_DIR` (the four IDX `.gz` files).
//!
//! `cargo run --release --example softmax_regression [-- --epochs 5 --batch-size 600 --lr 0.13]`

use clap::Parser;
use theano::datasets::mnist;
use theano::tensor as T;
use theano::{compile, function, grad, try_shared, Tensor, Variable};

#[derive(Parser)]
#[command(about = "Softmax regression on Fashion-MNIST with givens and a minibatch index")]
struct Args {
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    #[arg(long, default_value_t = 600)]
    batch_size: usize,
    #[arg(long, default_value_t = 0.13)]
    lr: f64,
    /// Train on the first N training images (the tutorial's split: 50000 train, the rest
    /// validation; 0 = all 60000).
    #[arg(long, default_value_t = 50_000)]
    limit: usize,
}

/// Rows `a..b` of a tensor (a copy).
fn slice_rows(t: &Tensor, a: usize, b: usize) -> Result<Tensor, Box<dyn std::error::Error>> {
    let rest: usize = t.shape()[1..].iter().product();
    let mut shape = t.shape().to_vec();
    shape[0] = b - a;
    let v = t.to_f64_vec()[a * rest..b * rest].to_vec();
    Ok(Tensor::from_f64_vec(t.dtype(), &shape, v)?)
}

/// The notebook's LogisticRegression class.
struct LogisticRegression {
    w: Variable,
    b: Variable,
    p_y_given_x: Variable,
    y_pred: Variable,
}

impl LogisticRegression {
    fn new(
        input: &Variable,
        n_in: usize,
        n_out: usize,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let fx = theano::ir::config::float_x();
        let w = try_shared(Tensor::zeros(fx, &[n_in, n_out]), Some("W"))?;
        let b = try_shared(Tensor::zeros(fx, &[n_out]), Some("b"))?;
        let p_y_given_x = T::softmax(T::dot(input, &w)? + &b)?;
        let y_pred = T::argmax(&p_y_given_x, Some(&[1]), false)?;
        Ok(LogisticRegression {
            w,
            b,
            p_y_given_x,
            y_pred,
        })
    }

    fn negative_log_likelihood(&self, y: &Variable) -> Result<Variable, theano::GraphError> {
        let lp = T::log(&self.p_y_given_x);
        let picked = lp.get(&[(&T::arange(y.shape_i(0)?)?).into(), y.into()])?;
        Ok(-T::mean(&picked, None, false)?)
    }

    fn errors(&self, y: &Variable) -> Result<Variable, theano::GraphError> {
        T::mean(T::neq(&self.y_pred, y), None, false)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    let n_train = train_x.shape()[0];
    let bs = args.batch_size as i64;
    let n_batches = n_train / args.batch_size;
    println!(
        "{n_train} training images, {} test images, {n_batches} minibatches of {bs}",
        test_x.shape()[0]
    );

    let train_set_x = try_shared(train_x, Some("train_set_x"))?;
    let train_set_y = try_shared(train_y, Some("train_set_y"))?;

    let index = T::lscalar("index");
    let x = T::matrix("x");
    let y = T::ivector("y");
    let classifier = LogisticRegression::new(&x, 28 * 28, 10)?;
    let cost = classifier.negative_log_likelihood(&y)?;
    let g = grad(&cost, &[classifier.w.clone(), classifier.b.clone()])?;
    let lr = args.lr;
    let (w, b) = (&classifier.w, &classifier.b);
    let train_model = compile(&[&index], &cost)
        .updates([(w, w - lr * &g[0]), (b, b - lr * &g[1])])
        .givens([
            (&x, train_set_x.slice_rows(&index * bs, (&index + 1) * bs)?),
            (&y, train_set_y.slice_rows(&index * bs, (&index + 1) * bs)?),
        ])
        .build()?;
    let test_model = function(&[&x, &y], &classifier.errors(&y)?)?;

    for epoch in 1..=args.epochs {
        let start = std::time::Instant::now();
        let mut total = 0.0;
        for i in 0..n_batches {
            total += train_model.call(&[Tensor::from(i as i64)])?[0].to_f64_vec()[0];
        }
        let secs = start.elapsed().as_secs_f64();
        let err = test_model.call_refs(&[&test_x, &test_y])?[0].to_f64_vec()[0];
        // the tutorial's figure: the mean error over whole test minibatches (16 x 600 images)
        let n_test_batches = test_x.shape()[0] / args.batch_size;
        let mut tut = 0.0;
        for i in 0..n_test_batches {
            let (a, b) = (i * args.batch_size, (i + 1) * args.batch_size);
            let bx = slice_rows(&test_x, a, b)?;
            let by = slice_rows(&test_y, a, b)?;
            tut += test_model.call_refs(&[&bx, &by])?[0].to_f64_vec()[0];
        }
        println!(
            "epoch {epoch}: mean minibatch cost {:.5}, test error {:.2} % (tutorial-style {:.2} %), {:.2} s training",
            total / n_batches as f64,
            100.0 * err,
            100.0 * tut / n_test_batches as f64,
            secs
        );
    }
    Ok(())
}
