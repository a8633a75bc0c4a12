//! Helpers shared by the integration tests.

/// A deterministic stand-in for numpy's randn (Box-Muller over splitmix64).
#[allow(dead_code)] // each test binary and bench uses the helpers it needs
pub fn randn(seed: &mut u64, n: usize) -> Vec<f64> {
    let mut next = || {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (next().max(1e-300), next());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        })
        .collect()
}

use theano::tensor as T;
use theano::{grad, shared_named, DType, Tensor, Variable};

/// Reproducible values uniform in [-1, 1) of `dtype` and `shape` (theano-jit's test data
/// generator: the benches' and timing examples' data).
#[allow(dead_code)]
pub fn values(dtype: DType, shape: &[usize], seed: u64) -> Tensor {
    Tensor::from_f64_vec(dtype, shape, jit_common::data(shape.iter().product(), seed)).unwrap()
}

#[path = "../../crates/jit/tests/common/mod.rs"]
mod jit_common;

/// The notebook's logistic-regression model (cell 41), its formula verbatim.
#[allow(dead_code)] // each test binary uses the fields it needs
pub struct SeedModel {
    pub x: Variable,
    pub y: Variable,
    pub w: Variable,
    pub b: Variable,
    pub prediction: Variable,
    pub xent: Variable,
    pub cost: Variable,
    /// `w - 0.1 * gw`
    pub w_update: Variable,
    /// `b - 0.1 * gb`
    pub b_update: Variable,
}

#[allow(dead_code)]
pub fn seed_model(w_init: Tensor) -> SeedModel {
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let w = theano::try_shared(w_init, Some("w")).unwrap();
    let b = shared_named(0., "b");
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let prediction = T::gt(&p_1, 0.5);
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
    let cost = xent.mean() + 0.01 * w.pow(2).sum();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let w_update = &w - 0.1 * &g[0];
    let b_update = &b - 0.1 * &g[1];
    SeedModel {
        x,
        y,
        w,
        b,
        prediction,
        xent,
        cost,
        w_update,
        b_update,
    }
}

/// The tutorial's negative log-likelihood of integer labels `y` under the class
/// probabilities `p` (rows): `-mean(log(p)[arange(y.shape[0]), y])`.
#[allow(dead_code)]
pub fn nll(p: &Variable, y: &Variable) -> Variable {
    let rows = T::arange(y.shape_i(0).unwrap()).unwrap();
    -T::mean(
        T::log(p).get(&[(&rows).into(), y.into()]).unwrap(),
        None,
        false,
    )
    .unwrap()
}

/// The tutorial's softmax regression (logistic_sgd.py) on `x` (n x feats) and int32 labels
/// `y`: W (feats x classes) and b (classes) shared, zeros; cost = mean nll; SGD lr 0.13.
#[allow(dead_code)]
pub struct SoftmaxModel {
    pub x: Variable,
    pub y: Variable,
    pub w: Variable,
    pub b: Variable,
    pub cost: Variable,
    pub w_update: Variable,
    pub b_update: Variable,
}

#[allow(dead_code)]
pub fn softmax_model(feats: usize, classes: usize) -> SoftmaxModel {
    let (x, y) = (T::dmatrix("x"), T::ivector("y"));
    let w = theano::try_shared(
        Tensor::zeros(theano::DType::Float64, &[feats, classes]),
        Some("W"),
    )
    .unwrap();
    let b =
        theano::try_shared(Tensor::zeros(theano::DType::Float64, &[classes]), Some("b")).unwrap();
    let p_y_given_x = T::softmax(T::dot(&x, &w).unwrap() + &b).unwrap();
    let cost = nll(&p_y_given_x, &y);
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let w_update = &w - 0.13 * &g[0];
    let b_update = &b - 0.13 * &g[1];
    SoftmaxModel {
        x,
        y,
        w,
        b,
        cost,
        w_update,
        b_update,
    }
}

/// A minibatch like MNIST's: pixels in [0, 1) (n x feats) and int32 labels in 0..classes.
#[allow(dead_code)]
pub fn mnist_like(n: usize, feats: usize, classes: usize, seed: u64) -> (Tensor, Tensor) {
    let mut s = seed;
    let x: Vec<f64> = randn(&mut s, n * feats)
        .into_iter()
        .map(|v| (v.abs() / 3.0).min(0.999))
        .collect();
    let y: Vec<i32> = (0..n)
        .map(|i| ((i * 7 + seed as usize) % classes) as i32)
        .collect();
    (
        Tensor::from_shape_vec(&[n, feats], x).unwrap(),
        Tensor::from(y),
    )
}

/// verify_grad's evaluator: `out` compiled from `inputs` (FAST_RUN, JIT; unused inputs
/// ignored) and called on `vals`.
#[allow(dead_code)]
pub fn eval_compiled(
    inputs: &[Variable],
    out: &Variable,
    vals: &[Tensor],
) -> Result<Tensor, String> {
    let ins: Vec<&Variable> = inputs.iter().collect();
    let f = theano::compile(&ins, out)
        .on_unused_input(theano::OnUnused::Ignore)
        .build()
        .map_err(|e| e.to_string())?;
    f.call(vals)
        .map(|mut o| o.remove(0))
        .map_err(|e| e.to_string())
}

/// Every `.thir` file under `dir`, in sorted order (the filetests, and the PTX check that
/// compiles their graphs).
#[allow(dead_code)]
pub fn filetest_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "thir") {
                out.push(p);
            }
        }
    }
    // their graphs may hold the library's own custom ops (a loop), parsed by name
    theano::register_builtin_ops();
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// The function on the CPU backend and on the emulated GPU runtime (profiled), same
/// arguments: asserts the outputs agree exactly and returns the nodes the GPU runtime ran
/// in the interpreter (ops it has no kernel for).
#[allow(dead_code)]
pub fn gpu_agrees_and_interprets(
    ins: &[&Variable],
    outs: &[Variable],
    args: &[Tensor],
) -> Vec<String> {
    let cpu = theano::compile(ins, outs.to_vec()).build().unwrap();
    let gpu = theano::compile(ins, outs.to_vec())
        .mode(theano::Mode::parse_flags("profile=True").unwrap())
        .linker(Box::new(theano_cuda::emulated::EmuLinker::default()))
        .build()
        .unwrap();
    let want = cpu.call(args).unwrap();
    let got = gpu.call(args).unwrap();
    for ((w, g), o) in want.iter().zip(&got).zip(outs) {
        assert!(w.same_as(g), "{o}: {w:?} vs {g:?}");
    }
    gpu.profile()
        .unwrap()
        .nodes
        .iter()
        .filter(|n| n.linker == "interpreter")
        .map(|n| n.node.clone())
        .collect()
}

/// `mode=NanGuardMode` on a GPU runtime (`gpu` sets the linker on a builder): the first
/// forbidden value of each kind is found with the CPU's message, on small outputs (checked
/// on a host copy) and large ones of every rank (screened on the device by max and min
/// reductions), wherever it sits; a failed call updates nothing; switched-off checks let
/// their values through; the profile shows the steps still ran as kernels.
#[allow(dead_code)]
pub fn nan_guard_on_a_gpu(gpu: &dyn Fn(theano::FunctionBuilder) -> theano::FunctionBuilder) {
    use theano::tensor as T;
    let guard = || theano::Mode::parse_flags("mode=NanGuardMode,profile=True").unwrap();
    for dt in [DType::Float32, DType::Float64] {
        for shape in [vec![3usize], vec![40, 30], vec![6, 7, 8]] {
            let x = T::tensor(&dt.to_string(), &vec![false; shape.len()], "x").unwrap();
            let n: usize = shape.iter().product();
            let w = theano::try_shared(Tensor::zeros(dt, &shape), Some("w")).unwrap();
            let out = T::log(&x) * 2.0;
            let f = gpu(theano::compile(&[&x], &out)
                .updates([(&w, &w + &x)])
                .mode(guard()))
            .build()
            .unwrap();
            let at = |k: usize, v: f64| {
                let mut d = vec![1.0f64; n];
                d[k] = v;
                Tensor::from_shape_vec(&shape, d).unwrap().cast(dt)
            };
            f.call(&[at(0, 1.0)]).unwrap();
            assert_eq!(w.get_value().unwrap().to_f64_vec(), vec![1.0; n]);
            for (k, v, what) in [
                (n - 1, 0.0, "-inf detected in output 0"),
                (n / 2, -1.0, "NaN detected in output 0"),
                (1, f64::INFINITY, "inf detected"),
                (n - 2, 1e30, "big value"),
            ] {
                let e = f.call(&[at(k, v)]).unwrap_err().to_string();
                assert!(e.contains(what), "{dt} {shape:?}: {e}");
                assert!(
                    e.contains(&format!("flat index {k}")),
                    "{dt} {shape:?}: {e}"
                );
                assert_eq!(w.get_value().unwrap().to_f64_vec(), vec![1.0; n], "{e}");
            }
            // the checks that are off let their values through
            let mut lax = guard();
            lax.nan_guard.inf_is_error = false;
            lax.nan_guard.big_is_error = false;
            let g = gpu(theano::compile(&[&x], T::log(&x)).mode(lax))
                .build()
                .unwrap();
            let r = g.call(&[at(n - 1, 0.0)]).unwrap();
            assert_eq!(r[0].to_f64_vec()[n - 1], f64::NEG_INFINITY);
            assert!(g
                .call(&[at(0, -1.0)])
                .unwrap_err()
                .to_string()
                .contains("NaN"));
            for node in f.profile().unwrap().nodes {
                assert_ne!(node.linker, "interpreter", "{}", node.node);
            }
        }
    }
}

/// The outputs of one function on every linker: the interpreter, the JIT, and the GPU
/// runtime on the emulator (in that order), for tests that compare them with one expected
/// value.
#[allow(dead_code)]
pub fn run_every_linker(ins: &[&Variable], outs: &[Variable], args: &[Tensor]) -> Vec<Vec<Tensor>> {
    let mut r = Vec::new();
    for linker in [theano::LinkerKind::Interp, theano::LinkerKind::Jit] {
        let mode = theano::Mode {
            linker,
            ..theano::Mode::default()
        };
        let f = theano::compile(ins, outs.to_vec())
            .mode(mode)
            .build()
            .unwrap();
        r.push(f.call(args).unwrap());
    }
    let f = theano::compile(ins, outs.to_vec())
        .linker(Box::new(theano_cuda::emulated::EmuLinker::default()))
        .build()
        .unwrap();
    r.push(f.call(args).unwrap());
    r
}

/// A JSON file of the repository, by its path from the root (the recordings of the real
/// Theano 1.0.5 that the conformance tests compare with).
#[allow(dead_code)]
pub fn json_file(rel: &str) -> serde_json::Value {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JSON array of lengths.
#[allow(dead_code)]
pub fn usizes(j: &serde_json::Value) -> Vec<usize> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

/// `got` has the recorded array's shape and dtype, and each element is within `rtol` of the
/// recording's largest magnitude (at least 1) of the recorded one.
#[allow(dead_code)]
pub fn close_to_json(got: &Tensor, want: &serde_json::Value, rtol: f64, what: &str) {
    assert_eq!(got.shape(), &usizes(&want["shape"])[..], "{what}: shape");
    assert_eq!(
        got.dtype().to_string(),
        want["dtype"].as_str().unwrap(),
        "{what}"
    );
    let w: Vec<f64> = want["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(json_num)
        .collect();
    let scale = w
        .iter()
        .filter(|v| v.is_finite())
        .fold(1.0f64, |m, v| m.max(v.abs()));
    for (k, (g, w)) in got.to_f64_vec().iter().zip(&w).enumerate() {
        let same_special = (g.is_nan() && w.is_nan()) || (g.is_infinite() && g == w);
        assert!(
            same_special || (g - w).abs() <= rtol * scale,
            "{what}[{k}]: got {g}, Theano {w}"
        );
    }
}

/// One recorded number: a JSON number, a bool, `null` (NaN) or the strings `"nan"`, `"inf"`,
/// `"-inf"`.
fn json_num(v: &serde_json::Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_bool().map(|b| b as u8 as f64))
        .or_else(|| match v.as_str() {
            Some("inf") => Some(f64::INFINITY),
            Some("-inf") => Some(f64::NEG_INFINITY),
            _ => None,
        })
        .unwrap_or(f64::NAN)
}

/// A recorded array (`{"dtype", "shape", "data"}`; NaN written as null or `"nan"`, the
/// infinities as `"inf"`/`"-inf"`, bools as booleans) as a tensor of its dtype.
#[allow(dead_code)]
pub fn tensor_of_json(j: &serde_json::Value) -> Tensor {
    let data: Vec<f64> = j["data"].as_array().unwrap().iter().map(json_num).collect();
    let dtype = DType::from_name(j["dtype"].as_str().unwrap()).unwrap();
    Tensor::from_f64_vec(DType::Float64, &usizes(&j["shape"]), data)
        .unwrap()
        .cast(dtype)
}

/// A recorded case's inputs (`case["inputs"]`) and input variables of their types, named
/// `i0`, `i1`, ... as the generators name them.
#[allow(dead_code)]
pub fn recorded_inputs(case: &serde_json::Value) -> (Vec<Variable>, Vec<Tensor>) {
    let n = case["inputs"].as_array().unwrap().len();
    let names: Vec<String> = (0..n).map(|k| format!("i{k}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    recorded_inputs_named(case, &names)
}

/// [`recorded_inputs`] with the generator's own names for the inputs.
#[allow(dead_code)]
pub fn recorded_inputs_named(
    case: &serde_json::Value,
    names: &[&str],
) -> (Vec<Variable>, Vec<Tensor>) {
    let vals: Vec<Tensor> = case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor_of_json)
        .collect();
    let vars = vals
        .iter()
        .zip(names)
        .map(|(v, name)| {
            theano::tensor::input(
                theano::TensorType::with_ndim(v.dtype(), v.ndim()).unwrap(),
                name,
            )
        })
        .collect();
    (vars, vals)
}
