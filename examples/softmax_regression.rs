//! The tutorial's multi-class logistic regression (softmax regression) on MNIST-format data,
//! trained by minibatch SGD with `givens` and a symbolic minibatch index, as in the notebook's
//! LogisticRegression class.
//!
//! Data: Fashion-MNIST from /usr/share/datasets/fashion-mnist (`apt-get install
//! dataset-fashion-mnist`) or the directory in `MNIST_DIR` (the four IDX `.gz` files).
//!
//! `cargo run --release --example softmax_regression [-- --epochs 5 --batch-size 600 --lr 0.13]`

use clap::Parser;
use std::io::Read;
use std::path::{Path, PathBuf};
use theano::tensor as T;
use theano::{compile, function, grad, shared_named, Tensor, Variable};

#[derive(Parser)]
#[command(about = "Softmax regression on Fashion-MNIST with givens and a minibatch index")]
struct Args {
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    #[arg(long, default_value_t = 600)]
    batch_size: usize,
    #[arg(long, default_value_t = 0.13)]
    lr: f64,
    /// Use only the first N training images (0 = all).
    #[arg(long, default_value_t = 0)]
    limit: usize,
}

fn data_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os("MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    if dir.join("train-images-idx3-ubyte.gz").exists() {
        Ok(dir)
    } else {
        Err(format!(
            "no MNIST-format data in {}: install it with `apt-get install dataset-fashion-mnist` \
             (or `bash scripts/setup.sh`), or point MNIST_DIR at a directory holding \
             train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz \
             and t10k-labels-idx1-ubyte.gz",
            dir.display()
        ))
    }
}

/// Read an IDX file (gzip-compressed): returns the dimensions and the bytes.
fn read_idx(path: &Path) -> Result<(Vec<usize>, Vec<u8>), Box<dyn std::error::Error>> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_end(&mut raw)?;
    if raw.len() < 4 || raw[0] != 0 || raw[1] != 0 || raw[2] != 0x08 {
        return Err(format!("{}: not an unsigned-byte IDX file", path.display()).into());
    }
    let nd = raw[3] as usize;
    let mut dims = Vec::with_capacity(nd);
    for i in 0..nd {
        let b = raw
            .get(4 + 4 * i..8 + 4 * i)
            .ok_or("truncated IDX header")?;
        dims.push(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    }
    let data = raw.split_off(4 + 4 * nd);
    if data.len() != dims.iter().product::<usize>() {
        return Err(format!("{}: {} bytes for dims {dims:?}", path.display(), data.len()).into());
    }
    Ok((dims, data))
}

/// Images scaled to [0, 1] as an (n, 784) float matrix, labels as an int32 vector.
fn load(
    dir: &Path,
    split: &str,
    limit: usize,
) -> Result<(Tensor, Tensor), Box<dyn std::error::Error>> {
    let (dims, px) = read_idx(&dir.join(format!("{split}-images-idx3-ubyte.gz")))?;
    let (_, lab) = read_idx(&dir.join(format!("{split}-labels-idx1-ubyte.gz")))?;
    let n = if limit > 0 {
        limit.min(dims[0])
    } else {
        dims[0]
    };
    let feats = dims[1] * dims[2];
    let x: Vec<f64> = px[..n * feats].iter().map(|&p| p as f64 / 255.0).collect();
    let y: Vec<i32> = lab[..n].iter().map(|&l| l as i32).collect();
    Ok((
        Tensor::from_shape_vec(&[n, feats], x)?.cast(theano::ir::config::float_x()),
        Tensor::from_shape_vec(&[n], y)?,
    ))
}

/// The notebook's LogisticRegression class.
struct LogisticRegression {
    w: Variable,
    b: Variable,
    p_y_given_x: Variable,
    y_pred: Variable,
}

impl LogisticRegression {
    fn new(input: &Variable, n_in: usize, n_out: usize) -> Result<Self, theano::GraphError> {
        let fx = theano::ir::config::float_x();
        let w = shared_named(Tensor::zeros(fx, &[n_in, n_out]), "W");
        let b = shared_named(Tensor::zeros(fx, &[n_out]), "b");
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
    let dir = match data_dir() {
        Ok(d) => d,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let (train_x, train_y) = load(&dir, "train", args.limit)?;
    let (test_x, test_y) = load(&dir, "t10k", 0)?;
    let n_train = train_x.shape()[0];
    let bs = args.batch_size as i64;
    let n_batches = n_train / args.batch_size;
    println!(
        "{n_train} training images, {} test images, {n_batches} minibatches of {bs}",
        test_x.shape()[0]
    );

    let train_set_x = shared_named(train_x, "train_set_x");
    let train_set_y = shared_named(train_y, "train_set_y");

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
        let err = test_model.call_refs(&[&test_x, &test_y])?[0].to_f64_vec()[0];
        println!(
            "epoch {epoch}: mean minibatch cost {:.5}, test error {:.2} %, {:.2} s",
            total / n_batches as f64,
            100.0 * err,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
