//! A small LeNet (the deeplearning.net tutorial's convolutional_mlp.py: conv2d, max pooling,
//! tanh, twice; a tanh hidden layer; softmax regression) trained three SGD steps from the
//! tutorial's `RandomState(23455)` initialization: the costs and the trained parameters are
//! the real Theano 1.0.5's (tests/conv/lenet.json, written by tests/conv/gen_lenet.py), on
//! the interpreter, the JIT (optimized graph) and the GPU runtime on the emulator.

use serde_json::Value as Json;
use theano::tensor as T;
use theano::tensor::nnet::{conv2d_with, Conv2dArgs};
use theano::tensor::shared_randomstreams::RandomState;
use theano::tensor::signal::pool::{pool_2d, PoolArgs};
use theano::{compile, grad, DType, LinkerKind, Mode, Tensor, Variable};

fn nums(j: &Json) -> Vec<f64> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

struct Net {
    train: theano::Function,
    params: Vec<Variable>,
}

fn shared(shape: &[usize], v: Vec<f64>, name: &str) -> Variable {
    Variable::shared(
        Tensor::from_f64_vec(DType::Float64, shape, v).unwrap(),
        Some(name),
    )
    .unwrap()
}

fn uniform(rng: &mut RandomState, shape: &[usize], bound: f64, name: &str) -> Variable {
    let n: usize = shape.iter().product();
    shared(
        shape,
        (0..n).map(|_| rng.uniform(-bound, bound)).collect(),
        name,
    )
}

fn build(j: &Json, linker: Option<LinkerKind>) -> Net {
    let n = |k: &str| j[k].as_u64().unwrap() as usize;
    let (batch, side, hidden, classes) = (n("batch"), n("side"), n("hidden"), n("classes"));
    let nk = j["nkerns"].as_array().unwrap();
    let (k0, k1) = (
        nk[0].as_u64().unwrap() as usize,
        nk[1].as_u64().unwrap() as usize,
    );
    let lr = j["lr"].as_f64().unwrap();
    let mut rng = RandomState::new(23455);
    let x = T::dmatrix("x");
    let y = T::lvector("y");
    let layer = |rng: &mut RandomState,
                 input: &Variable,
                 filter: [usize; 4],
                 image: [usize; 4]|
     -> (Variable, Vec<Variable>) {
        let fan_in = (filter[1] * filter[2] * filter[3]) as f64;
        let fan_out = (filter[0] * filter[2] * filter[3] / 4) as f64;
        let w = uniform(rng, &filter, (6.0 / (fan_in + fan_out)).sqrt(), "W");
        let b = shared(&[filter[0]], vec![0.0; filter[0]], "b");
        let args = Conv2dArgs {
            input_shape: Some(image.map(Some)),
            filter_shape: Some(filter.map(Some)),
            ..Conv2dArgs::default()
        };
        let conv = conv2d_with(input, &w, &args).unwrap();
        let pooled = pool_2d(
            &conv,
            [2, 2],
            &PoolArgs {
                ignore_border: true,
                ..PoolArgs::default()
            },
        )
        .unwrap();
        let bias = b.dimshuffle(&[None, Some(0), None, None]).unwrap();
        (T::tanh(&pooled + &bias), vec![w, b])
    };
    let input = x
        .reshape([batch as i64, 1, side as i64, side as i64])
        .unwrap();
    let (l0, p0) = layer(&mut rng, &input, [k0, 1, 3, 3], [batch, 1, side, side]);
    let (l1, p1) = layer(&mut rng, &l0, [k1, k0, 2, 2], [batch, k0, 5, 5]);
    let n_in = k1 * 2 * 2;
    let w2 = uniform(
        &mut rng,
        &[n_in, hidden],
        (6.0 / (n_in + hidden) as f64).sqrt(),
        "W",
    );
    let b2 = shared(&[hidden], vec![0.0; hidden], "b");
    let h = T::tanh(T::dot(l1.flatten(2).unwrap(), &w2).unwrap() + &b2);
    let w3 = shared(&[hidden, classes], vec![0.0; hidden * classes], "W");
    let b3 = shared(&[classes], vec![0.0; classes], "b");
    let p_y = T::softmax(T::dot(&h, &w3).unwrap() + &b3).unwrap();
    let picked = T::log(&p_y)
        .get(&[
            (&T::arange(y.shape_i(0).unwrap()).unwrap()).into(),
            (&y).into(),
        ])
        .unwrap();
    let cost = -T::mean(&picked, None, false).unwrap();
    let mut params = vec![w3, b3, w2, b2];
    params.extend(p1);
    params.extend(p0);
    let g = grad(&cost, &params).unwrap();
    let updates: Vec<(Variable, Variable)> = params
        .iter()
        .zip(&g)
        .map(|(p, g)| (p.clone(), p - lr * g))
        .collect();
    let mut b = compile(&[&x, &y], &cost).updates(updates);
    b = match linker {
        Some(l) => b.mode(Mode {
            linker: l,
            ..Mode::default()
        }),
        None => b.linker(Box::new(theano_cuda::emulated::EmuLinker::default())),
    };
    Net {
        train: b.build().unwrap(),
        params,
    }
}

#[test]
fn three_steps_train_to_theanos_parameters() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conv/lenet.json"
    ))
    .unwrap();
    let j: Json = serde_json::from_str(&text).unwrap();
    let (batch, side) = (
        j["batch"].as_u64().unwrap() as usize,
        j["side"].as_u64().unwrap() as usize,
    );
    let xv = Tensor::from_f64_vec(DType::Float64, &[batch, side * side], nums(&j["x"])).unwrap();
    let yv = Tensor::from_shape_vec(
        &[batch],
        j["y"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let want_costs = nums(&j["costs"]);
    for linker in [Some(LinkerKind::Interp), Some(LinkerKind::Jit), None] {
        let net = build(&j, linker);
        for (k, want) in want_costs.iter().enumerate() {
            let got = net.train.call(&[xv.clone(), yv.clone()]).unwrap()[0].to_f64_vec()[0];
            assert!(
                (got - want).abs() <= 1e-12,
                "{linker:?} step {k}: cost {got}, Theano {want}"
            );
        }
        for (p, want) in net.params.iter().zip(j["params"].as_array().unwrap()) {
            let got = p.get_value().unwrap().to_f64_vec();
            for (g, w) in got.iter().zip(nums(want)) {
                assert!(
                    (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                    "{linker:?} {p}: {g} vs Theano {w}"
                );
            }
        }
    }
}
