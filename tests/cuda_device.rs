//! The CUDA backend (`--features cuda`). Without a device every entry point is a typed
//! error (tested here on any machine); with one, functions on `linker=cuda` agree with the
//! CPU backend (these tests print why they skip when no device can be used; the filetests
//! also run every graph on `linker=cuda` when a device is present). With
//! `THEANO_CUDA_REQUIRED` set (scripts/gpu_check.sh) a missing device fails them instead.
#![cfg(feature = "cuda")]

mod common;

use theano::linker::Linker;
use theano::tensor as T;
use theano::{compile, Error, Mode, Tensor, Variable};

fn mode(flags: &str) -> Mode {
    Mode::parse_flags(flags).unwrap()
}

fn device() -> Option<String> {
    match theano_cuda::probe() {
        Ok(d) => Some(d),
        // scripts/gpu_check.sh sets THEANO_CUDA_REQUIRED: there a missing device fails
        Err(e) if std::env::var_os("THEANO_CUDA_REQUIRED").is_some() => {
            panic!("THEANO_CUDA_REQUIRED is set but {e}")
        }
        Err(e) => {
            println!("skipped: {e}");
            None
        }
    }
}

#[test]
fn without_a_device_every_entry_point_is_a_typed_error() {
    if let Ok(d) = theano_cuda::probe() {
        println!("skipped: a device is present ({d})");
        return;
    }
    // the probe, twice (the failure is remembered, not retried into a panic)
    for _ in 0..2 {
        match theano_cuda::probe() {
            Err(theano_cuda::CudaError::NoDevice(why)) => assert!(!why.is_empty()),
            other => panic!("{other:?}"),
        }
        assert!(theano_cuda::device::device().is_err());
    }
    // linking a program directly
    let x = T::dvector("x");
    let f = compile(&[&x], T::exp(&x)).build().unwrap();
    let _ = f;
    let fg = theano::ir::fgraph::FunctionGraph::parse(
        "function(%0: float64[?] \"x\") {\n  %1: float64[?] = Elemwise{exp}(%0)\n  return %1\n}\n",
    )
    .unwrap();
    let program = theano::linker::schedule(
        &fg,
        theano::linker::Interface {
            args: vec![0],
            arg_types: vec![fg.ty(fg.inputs()[0])],
            n_slots: fg.num_values(),
            n_outputs: 1,
            updates: vec![],
        },
    );
    let e = theano_cuda::device::CudaLinker::default()
        .link(program)
        .err()
        .expect("no device: link fails");
    assert_eq!(e.linker, "cuda");
    assert!(e.message.contains("no CUDA device"), "{e}");
    // through the facade: device=cuda and linker=cuda, with and without a dump
    for flags in [
        "device=cuda",
        "linker=cuda",
        "linker=cuda,dump=ptx",
        "device=cuda0",
    ] {
        match compile(&[&x], T::exp(&x)).mode(mode(flags)).build() {
            Err(Error::NoCudaDevice { reason, .. }) => {
                assert!(reason.contains("no CUDA device"), "{flags}: {reason}")
            }
            other => panic!("{flags}: {other:?}"),
        }
    }
    // the backend registry says it is unavailable, so the filetests skip it
    let b = theano::backends::BACKENDS
        .iter()
        .find(|b| b.name == "cuda")
        .expect("the cuda backend is registered");
    assert!((b.available)().is_err());
}

fn agree(a: &Tensor, b: &Tensor, rtol: f64) {
    assert_eq!(a.shape(), b.shape());
    for (x, y) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
        assert!(
            (x - y).abs() <= rtol * (1.0 + x.abs().max(y.abs())) || (x.is_nan() && y.is_nan()),
            "{x} vs {y}"
        );
    }
}

/// Each function on the GPU and on the CPU backend, same arguments.
fn both(ins: &[&Variable], outs: &[Variable], args: &[Tensor], rtol: f64) {
    let cpu = compile(ins, outs).build().unwrap();
    let gpu = compile(ins, outs)
        .mode(mode("linker=cuda"))
        .build()
        .unwrap();
    let want = cpu.call(args).unwrap();
    let got = gpu.call(args).unwrap();
    for (w, g) in want.iter().zip(&got) {
        agree(w, g, rtol);
    }
}

#[test]
fn gpu_functions_agree_with_the_cpu() {
    let Some(d) = device() else { return };
    println!("device: {d}");
    for f32_ in [false, true] {
        let dt = if f32_ {
            theano::DType::Float32
        } else {
            theano::DType::Float64
        };
        let rtol = if f32_ { 1e-5 } else { 1e-12 };
        let (x, y, z) = if f32_ {
            (T::fmatrix("x"), T::fmatrix("y"), T::fmatrix("z"))
        } else {
            (T::dmatrix("x"), T::dmatrix("y"), T::dmatrix("z"))
        };
        let a = common::values(dt, &[37, 53], 1);
        let b = common::values(dt, &[37, 53], 2);
        let c = common::values(dt, &[53, 37], 3);
        // fused elementwise, a transposed operand, reductions, softmax, a matrix product
        let e = T::exp(&x) * &y + T::tanh(z.t());
        both(
            &[&x, &y, &z],
            &[e],
            &[a.clone(), b.clone(), c.clone()],
            rtol * 4.0,
        );
        let s = vec![
            x.sum(),
            T::max(&x, Some(&[1]), false).unwrap(),
            T::softmax(&x).unwrap(),
            T::dot(&x, &z).unwrap(),
            T::dot(&z, &x).unwrap(),
        ];
        both(&[&x, &z], &s, &[a.clone(), c.clone()], rtol * 64.0);
    }
}

#[test]
fn seed_training_on_the_gpu_agrees_with_the_cpu() {
    let Some(_) = device() else { return };
    let run = |flags: &str| {
        let m = common::seed_model(common::values(theano::DType::Float64, &[50], 1));
        let train = compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
            .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
            .mode(mode(flags))
            .build()
            .unwrap();
        let x = common::values(theano::DType::Float64, &[100, 50], 2);
        let y = Tensor::from((0..100).map(|i| (i % 2) as f64).collect::<Vec<f64>>());
        for _ in 0..20 {
            train.call(&[x.clone(), y.clone()]).unwrap();
        }
        (m.w.get_value().unwrap(), m.b.get_value().unwrap())
    };
    let (w_cpu, b_cpu) = run("linker=jit");
    let (w_gpu, b_gpu) = run("linker=cuda");
    agree(&w_cpu, &w_gpu, 1e-10);
    agree(&b_cpu, &b_gpu, 1e-10);
}

#[test]
fn softmax_training_on_the_gpu_agrees_with_the_cpu() {
    let Some(_) = device() else { return };
    let run = |flags: &str| {
        let s = common::softmax_model(30, 10);
        let train = compile(&[&s.x, &s.y], &s.cost)
            .updates([(&s.w, &s.w_update), (&s.b, &s.b_update)])
            .mode(mode(flags))
            .build()
            .unwrap();
        let (x, y) = common::mnist_like(64, 30, 10, 5);
        let mut costs = vec![];
        for _ in 0..10 {
            costs.push(train.call(&[x.clone(), y.clone()]).unwrap()[0].to_f64_vec()[0]);
        }
        (costs, s.w.get_value().unwrap())
    };
    let (c_cpu, w_cpu) = run("linker=jit");
    let (c_gpu, w_gpu) = run("linker=cuda");
    for (a, b) in c_cpu.iter().zip(&c_gpu) {
        assert!((a - b).abs() < 1e-10 * (1.0 + a.abs()), "{a} vs {b}");
    }
    agree(&w_cpu, &w_gpu, 1e-10);
}

/// A failed call leaves every shared variable as it was (exec's commit protocol).
#[test]
fn gpu_updates_are_all_or_nothing() {
    let Some(_) = device() else { return };
    let a = theano::shared_named(vec![1.0f64, 2.0], "a");
    let b = theano::shared_named(vec![1.0f64, 2.0], "b");
    let x = T::dvector("x");
    // b's update adds x: a call with another length fails in that step, after a's update
    // value was computed
    let f = compile(&[&x], &x)
        .updates([(&a, &a + 1.0), (&b, &b + &x)])
        .mode(mode("linker=cuda"))
        .build()
        .unwrap();
    assert!(f.call(&[Tensor::from(vec![1.0f64, 2.0, 3.0])]).is_err());
    assert_eq!(a.get_value().unwrap().to_f64_vec(), [1.0, 2.0]);
    assert_eq!(b.get_value().unwrap().to_f64_vec(), [1.0, 2.0]);
    f.call(&[Tensor::from(vec![5.0f64, 6.0])]).unwrap();
    assert_eq!(a.get_value().unwrap().to_f64_vec(), [2.0, 3.0]);
    assert_eq!(b.get_value().unwrap().to_f64_vec(), [6.0, 8.0]);
}

/// Shared variables stay on the device between calls (tests/cuda_resident.rs checks the
/// same on the emulator, with byte counts): an update leaves the new value there, a second
/// GPU function reads it there, a CPU function and `get_value` copy it back, and an update
/// the CPU would compute in place over it writes a fresh buffer, so a failed call changes
/// nothing.
#[test]
fn shared_values_stay_on_the_gpu() {
    let Some(_) = device() else { return };
    let stale = |v: &Variable| v.shared_cell().unwrap().lock().is_stale();
    let w = theano::shared_named(vec![1.0f64, 2.0, 3.0], "w");
    let x = T::dvector("x");
    let w2 = &w * 2.0;
    let step = compile(&[&x], T::dot(&w2, &x).unwrap())
        .updates([(&w, &w2)])
        .mode(mode("linker=cuda"))
        .build()
        .unwrap();
    let read = compile(&[&x], &w + &x)
        .mode(mode("linker=cuda"))
        .build()
        .unwrap();
    let cpu = compile(&[&x], &w - &x).build().unwrap();
    let ones = || Tensor::from(vec![1.0f64, 1.0, 1.0]);
    assert_eq!(step.call(&[ones()]).unwrap()[0].to_f64_vec(), [12.0]);
    assert!(stale(&w), "the new value is on the device only");
    assert_eq!(
        read.call(&[ones()]).unwrap()[0].to_f64_vec(),
        [3.0, 5.0, 7.0]
    );
    assert!(stale(&w));
    assert!(step.call(&[Tensor::from(vec![1.0f64, 1.0])]).is_err());
    assert_eq!(
        cpu.call(&[ones()]).unwrap()[0].to_f64_vec(),
        [1.0, 3.0, 5.0]
    );
    assert!(!stale(&w));
    assert_eq!(step.call(&[ones()]).unwrap()[0].to_f64_vec(), [24.0]);
    assert_eq!(w.get_value().unwrap().to_f64_vec(), [4.0, 8.0, 12.0]);
}

/// `mode=NanGuardMode` on the GPU (tests/cuda_emulated.rs runs the same on the emulator).
#[test]
fn nan_guard_on_the_gpu() {
    let Some(_) = device() else { return };
    common::nan_guard_on_a_gpu(&|b| {
        b.linker(
            (theano::backends::BACKENDS.iter())
                .find(|l| l.name == "cuda")
                .map(|l| (l.make)(&Mode::default()))
                .unwrap(),
        )
    });
}
