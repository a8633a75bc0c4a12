//! The GPU runtime (theano-cuda's `runtime.rs`, the code `linker=cuda` runs) on theano-ptx's
//! emulator, against the CPU backend: the same kernels, launch parameters, storage plan,
//! BLAS calls in cuBLAS's column-major terms (computed on the host), views, fallbacks and
//! update protocol as on a device; only cudarc and cuBLAS themselves are not exercised.

mod common;

use theano::tensor as T;
use theano::{compile, DType, FunctionBuilder, Tensor, Variable};
use theano_cuda::emulated::EmuLinker;

fn emu(b: FunctionBuilder) -> FunctionBuilder {
    b.linker(Box::new(EmuLinker::default()))
}

fn agree(a: &Tensor, b: &Tensor, rtol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    assert_eq!(a.dtype(), b.dtype(), "{what}");
    for (x, y) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
        assert!(
            (x - y).abs() <= rtol * (1.0 + x.abs().max(y.abs())) || (x.is_nan() && y.is_nan()),
            "{what}: {x} vs {y}"
        );
    }
}

/// Each function on the emulated GPU and on the CPU backend, same arguments.
fn both(ins: &[&Variable], outs: &[Variable], args: &[Tensor], rtol: f64) {
    let cpu = compile(ins, outs).build().unwrap();
    let gpu = emu(compile(ins, outs).mode(theano::Mode::parse_flags("profile=True").unwrap()))
        .build()
        .unwrap();
    let want = cpu.call(args).unwrap();
    let got = gpu.call(args).unwrap();
    for (k, (w, g)) in want.iter().zip(&got).enumerate() {
        agree(w, g, rtol, &format!("output {k}: {}", outs[k]));
    }
    // the steps the GPU backend lowers ran as kernels, BLAS or views, not interpreted
    for n in gpu.profile().unwrap().nodes {
        println!(
            "{:>12} {:>3} interpreted  {}",
            n.linker, n.interp_calls, n.node
        );
        if n.linker != "interpreter" {
            assert_eq!(n.interp_calls, 0, "{} fell back to the interpreter", n.node);
        }
    }
}

#[test]
fn elementwise_reductions_softmax_and_products() {
    for f32_ in [false, true] {
        let dt = if f32_ { DType::Float32 } else { DType::Float64 };
        let rtol = if f32_ { 1e-5 } else { 1e-12 };
        let m = |n: &str| if f32_ { T::fmatrix(n) } else { T::dmatrix(n) };
        let v = |n: &str| if f32_ { T::fvector(n) } else { T::dvector(n) };
        let (x, y, z) = (m("x"), m("y"), m("z"));
        let (u, w) = (v("u"), v("w"));
        let a = common::values(dt, &[7, 13], 1);
        let b = common::values(dt, &[7, 13], 2);
        let c = common::values(dt, &[13, 7], 3);
        let p = common::values(dt, &[13], 4);
        let q = common::values(dt, &[7], 5);
        // a fused composite with a transposed operand and a broadcast row
        let e = T::exp(&x) * &y + T::tanh(z.t()) - &w;
        both(
            &[&x, &y, &z, &w],
            &[e],
            &[a.clone(), b.clone(), c.clone(), p.clone()],
            rtol * 8.0,
        );
        // reductions (rows, columns, all), argmax, softmax, log-softmax
        let outs = vec![
            x.sum(),
            T::sum_axes(&x, Some(&[0]), false).unwrap(),
            T::max(&x, Some(&[1]), false).unwrap(),
            T::argmax(&x, Some(&[1]), false).unwrap(),
            T::softmax(&x).unwrap(),
            T::log_softmax(&x).unwrap(),
        ];
        both(&[&x], &outs, std::slice::from_ref(&a), rtol * 64.0);
        // products: matrix-matrix (both orders, transposed operands), matrix-vector both
        // ways, vector-vector, and the BLAS forms the optimizer makes of them
        let outs = vec![
            T::dot(&x, &z).unwrap(),
            T::dot(&z, &x).unwrap(),
            T::dot(x.t(), &y).unwrap(),
            T::dot(&x, &u).unwrap(),
            T::dot(&w, &x).unwrap(),
            T::dot(&u, &u).unwrap(),
            &w * 0.5 + T::dot(&x, &u).unwrap() * 2.0,
            &y + T::dot(
                w.dimshuffle(&[Some(0), None]).unwrap(),
                u.dimshuffle(&[None, Some(0)]).unwrap(),
            )
            .unwrap()
                * 0.1,
        ];
        both(
            &[&x, &y, &z, &u, &w],
            &outs,
            &[a.clone(), b.clone(), c.clone(), p.clone(), q.clone()],
            rtol * 64.0,
        );
    }
}

#[test]
fn seed_training_on_the_emulated_gpu_agrees_with_the_cpu() {
    let run = |gpu: bool| {
        let m = common::seed_model(common::values(DType::Float64, &[20], 1));
        let b = compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
            .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)]);
        let train = if gpu { emu(b) } else { b }.build().unwrap();
        let x = common::values(DType::Float64, &[30, 20], 2);
        let y = Tensor::from((0..30).map(|i| (i % 2) as f64).collect::<Vec<f64>>());
        let mut outs = vec![];
        for _ in 0..5 {
            outs.push(train.call(&[x.clone(), y.clone()]).unwrap());
        }
        (outs, m.w.get_value().unwrap(), m.b.get_value().unwrap())
    };
    let (o_cpu, w_cpu, b_cpu) = run(false);
    let (o_gpu, w_gpu, b_gpu) = run(true);
    for (a, b) in o_cpu.iter().flatten().zip(o_gpu.iter().flatten()) {
        agree(a, b, 1e-10, "outputs");
    }
    agree(&w_cpu, &w_gpu, 1e-10, "w");
    agree(&b_cpu, &b_gpu, 1e-10, "b");
}

#[test]
fn softmax_training_on_the_emulated_gpu_agrees_with_the_cpu() {
    let run = |gpu: bool| {
        let s = common::softmax_model(12, 5);
        let b = compile(&[&s.x, &s.y], &s.cost).updates([(&s.w, &s.w_update), (&s.b, &s.b_update)]);
        let train = if gpu { emu(b) } else { b }.build().unwrap();
        let (x, y) = common::mnist_like(16, 12, 5, 5);
        let costs: Vec<f64> = (0..5)
            .map(|_| train.call(&[x.clone(), y.clone()]).unwrap()[0].to_f64_vec()[0])
            .collect();
        (costs, s.w.get_value().unwrap(), s.b.get_value().unwrap())
    };
    let (c_cpu, w_cpu, b_cpu) = run(false);
    let (c_gpu, w_gpu, b_gpu) = run(true);
    for (a, b) in c_cpu.iter().zip(&c_gpu) {
        assert!((a - b).abs() < 1e-10 * (1.0 + a.abs()), "{a} vs {b}");
    }
    agree(&w_cpu, &w_gpu, 1e-10, "W");
    agree(&b_cpu, &b_gpu, 1e-10, "b");
    // a label out of range is the interpreter's error, and nothing is updated
    let s = common::softmax_model(12, 5);
    let train =
        emu(compile(&[&s.x, &s.y], &s.cost).updates([(&s.w, &s.w_update), (&s.b, &s.b_update)]))
            .build()
            .unwrap();
    let (x, _) = common::mnist_like(4, 12, 5, 6);
    let bad = Tensor::from(vec![0i32, 1, 9, 2]);
    assert!(train.call(&[x, bad]).is_err());
    assert!(s
        .w
        .get_value()
        .unwrap()
        .to_f64_vec()
        .iter()
        .all(|&v| v == 0.0));
}

/// A failed call leaves every shared variable as it was (exec's commit protocol).
#[test]
fn emulated_gpu_updates_are_all_or_nothing() {
    let a = theano::shared_named(vec![1.0f64, 2.0], "a");
    let b = theano::shared_named(vec![1.0f64, 2.0], "b");
    let x = T::dvector("x");
    let f = emu(compile(&[&x], &x).updates([(&a, &a + 1.0), (&b, &b + &x)]))
        .build()
        .unwrap();
    assert!(f.call(&[Tensor::from(vec![1.0f64, 2.0, 3.0])]).is_err());
    assert_eq!(a.get_value().unwrap().to_f64_vec(), [1.0, 2.0]);
    assert_eq!(b.get_value().unwrap().to_f64_vec(), [1.0, 2.0]);
    f.call(&[Tensor::from(vec![5.0f64, 6.0])]).unwrap();
    assert_eq!(a.get_value().unwrap().to_f64_vec(), [2.0, 3.0]);
    assert_eq!(b.get_value().unwrap().to_f64_vec(), [6.0, 8.0]);
}

/// The profile labels each step as the GPU backend runs it.
#[test]
fn dump_and_profile_on_the_emulated_gpu() {
    let x = T::fvector("x");
    let mut mode = theano::Mode::parse_flags("profile=True,dump=ptx").unwrap();
    mode.dump_dir = Some(std::env::temp_dir().join(format!("theano-emu-{}", std::process::id())));
    let f = emu(compile(&[&x], T::exp(&x) + 1.0f32).mode(mode.clone()))
        .build()
        .unwrap();
    f.call(&[Tensor::from(vec![0f32, 1.0, 2.0])]).unwrap();
    let p = f.profile().unwrap();
    assert!(p.nodes.iter().any(|n| n.linker == "ptx kernel"), "{p:?}");
    assert!(
        f.dump_ptx().contains(".visible .entry e"),
        "the runtime's module"
    );
    let _ = std::fs::remove_dir_all(mode.dump_dir.unwrap());
}

/// `mode=NanGuardMode` on the GPU runtime: the CPU's verdicts and messages.
#[test]
fn nan_guard_on_the_emulated_gpu() {
    common::nan_guard_on_a_gpu(&emu);
}

/// The runtime's module holds both index widths of the strided kernels (the 32-bit ones
/// decompose the index with `div.u32`/`rem.u32`, the 64-bit ones with `.u64`), a small
/// transposed launch runs (on the 32-bit kernel: the planner picks it for every launch
/// under 2^31 elements with i32 offsets, theano-ptx's tests check that choice), and ptxas
/// assembles the whole module for sm_80 and sm_90 when it is there.
#[test]
fn strided_kernels_of_both_index_widths_in_the_runtime_module() {
    let (x, y) = (T::fmatrix("x"), T::fmatrix("y"));
    let mut mode = theano::Mode::parse_flags("dump=ptx").unwrap();
    let dir = std::env::temp_dir().join(format!("theano-emu-idx-{}", std::process::id()));
    mode.dump_dir = Some(dir.clone());
    let e = T::exp(&x) * y.t();
    let a = common::values(DType::Float32, &[5, 3], 1);
    let b = common::values(DType::Float32, &[3, 5], 2);
    both(
        &[&x, &y],
        std::slice::from_ref(&e),
        &[a.clone(), b.clone()],
        1e-5,
    );
    let f = emu(compile(&[&x, &y], e).mode(mode)).build().unwrap();
    f.call(&[a, b]).unwrap();
    let text = f.dump_ptx();
    assert!(text.contains(".target sm_80"), "{text}");
    assert!(
        text.contains("div.u32") && text.contains("rem.u32"),
        "{text}"
    );
    assert!(
        text.contains("div.u64") && text.contains("rem.u64"),
        "{text}"
    );
    assert!(text.contains("cvt.s64.s32"), "{text}");
    let Some(ptxas) = theano_cuda::ptx::ptxas::for_test().unwrap_or_else(|e| panic!("{e}")) else {
        println!("skipped ptxas: run scripts/setup.sh, or set THEANO_PTXAS");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    for sm in [80, 90] {
        let text = text.replace(".target sm_80", &format!(".target sm_{sm}"));
        theano_cuda::ptx::ptxas::assemble(&ptxas, &text, sm, &dir, "runtime")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every step of both seed models' training graphs runs on the device (kernels, BLAS,
/// views, shapes, allocations): none falls back to the interpreter, whose host round trips
/// would stall a GPU.
#[test]
fn seed_training_graphs_run_wholly_on_the_gpu() {
    let profiled = || theano::Mode::parse_flags("profile=True").unwrap();
    let m = common::seed_model(common::values(DType::Float64, &[20], 1));
    let seed = emu(compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .mode(profiled()))
    .build()
    .unwrap();
    let x = common::values(DType::Float64, &[30, 20], 2);
    let y = Tensor::from((0..30).map(|i| (i % 2) as f64).collect::<Vec<f64>>());
    seed.call(&[x, y]).unwrap();
    let s = common::softmax_model(12, 5);
    let softmax = emu(compile(&[&s.x, &s.y], &s.cost)
        .updates([(&s.w, &s.w_update), (&s.b, &s.b_update)])
        .mode(profiled()))
    .build()
    .unwrap();
    let (x, y) = common::mnist_like(16, 12, 5, 5);
    softmax.call(&[x, y]).unwrap();
    let seed_nodes = seed.profile().unwrap().nodes;
    assert!(
        seed_nodes.iter().any(|n| n.linker == "alloc"),
        "the Gemv's AllocEmpty"
    );
    for nodes in [seed_nodes, softmax.profile().unwrap().nodes] {
        for n in nodes {
            assert_ne!(n.linker, "interpreter", "{}", n.node);
            assert_eq!(n.interp_calls, 0, "{}", n.node);
        }
    }
}
