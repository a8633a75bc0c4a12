//! Shared variables resident on the GPU (theano-cuda's runtime on theano-ptx's emulator):
//! a value is uploaded once and stays on the device between calls, an update leaves the new
//! value there, `get_value` copies it back, `set_value` and a CPU function's update replace
//! it, functions linked onto the same device share it, and a failed call leaves every
//! variable as it was. The byte counts come from the emulated device's transfer counters.

mod common;

use std::sync::Arc;
use theano::tensor as T;
use theano::{compile, Tensor};
use theano_cuda::emulated::{EmuDevice, EmuLinker};

fn agree(a: &Tensor, b: &Tensor, rtol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (x, y) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
        assert!(
            (x - y).abs() <= rtol * (1.0 + x.abs().max(y.abs())),
            "{what}: {x} vs {y}"
        );
    }
}

fn is_stale(v: &theano::Variable) -> bool {
    v.shared_cell().unwrap().lock().is_stale()
}

/// The softmax tutorial's training on one device: after the first call neither W nor b is
/// copied in or out (only the minibatch goes in and the cost comes out); the values agree
/// with the CPU backend's at every step; `get_value` copies W back once.
#[test]
fn training_keeps_the_weights_on_the_device() {
    let (feats, classes, n) = (12, 5, 16);
    let (x, y) = common::mnist_like(n, feats, classes, 5);
    let batch = (x.len() * 8 + y.len() * 4) as u64;
    let cpu_model = common::softmax_model(feats, classes);
    let gpu_model = common::softmax_model(feats, classes);
    let train = |m: &common::SoftmaxModel, dev: Option<&EmuDevice>| {
        let b = compile(&[&m.x, &m.y], &m.cost).updates([(&m.w, &m.w_update), (&m.b, &m.b_update)]);
        match dev {
            Some(d) => b.linker(Box::new(EmuLinker::on(d))),
            None => b,
        }
        .build()
        .unwrap()
    };
    let dev = EmuDevice::new();
    let cpu = train(&cpu_model, None);
    let gpu = train(&gpu_model, Some(&dev));
    let w_bytes = (feats * classes * 8) as u64;
    let b_bytes = (classes * 8) as u64;
    let mut last = dev.transfers();
    for step in 0..5 {
        let c = cpu.call(&[x.clone(), y.clone()]).unwrap();
        let g = gpu.call(&[x.clone(), y.clone()]).unwrap();
        agree(&c[0], &g[0], 1e-10, "cost");
        let now = dev.transfers();
        let (up, down) = (now.0 - last.0, now.1 - last.1);
        last = now;
        // up: the minibatch, a shape scalar or two computed on the host and, on the first
        // call only, W and b; down: the cost alone (the labels, the BLAS steps' alpha and
        // beta, the shapes are read from their host copies, not copied back)
        let resident = if step == 0 { w_bytes + b_bytes } else { 0 };
        assert!(
            up >= batch + resident && up <= batch + resident + 16,
            "step {step}: {up} bytes uploaded"
        );
        assert_eq!(down, 8, "step {step}: {down} bytes downloaded");
        assert!(is_stale(&gpu_model.w) && is_stale(&gpu_model.b));
    }
    let before = dev.transfers().1;
    agree(
        &cpu_model.w.get_value().unwrap(),
        &gpu_model.w.get_value().unwrap(),
        1e-10,
        "W",
    );
    assert_eq!(
        dev.transfers().1 - before,
        w_bytes,
        "get_value copies W back"
    );
    assert!(!is_stale(&gpu_model.w));
    // the host copy is current and the device copy kept: a second get_value copies nothing
    gpu_model.w.get_value().unwrap();
    assert_eq!(dev.transfers().1 - before, w_bytes);
    agree(
        &cpu_model.b.get_value().unwrap(),
        &gpu_model.b.get_value().unwrap(),
        1e-10,
        "b",
    );
}

/// Two functions linked onto one device share the resident value; a function on another
/// device, or on the CPU, reads it through the host (copied back first); `set_value` and a
/// CPU function's update replace it, and the next GPU call uploads the new value.
#[test]
fn functions_share_the_resident_value_and_see_host_writes() {
    let w = theano::shared_named(vec![1.0f64, 2.0, 3.0], "w");
    let x = T::dvector("x");
    let dev = EmuDevice::new();
    let step = compile(&[&x], (&w * &x).sum())
        .updates([(&w, &w * 2.0)])
        .linker(Box::new(EmuLinker::on(&dev)))
        .build()
        .unwrap();
    let read = compile(&[&x], &w + &x)
        .linker(Box::new(EmuLinker::on(&dev)))
        .build()
        .unwrap();
    let other = EmuDevice::new();
    let read_other = compile(&[&x], &w + &x)
        .linker(Box::new(EmuLinker::on(&other)))
        .build()
        .unwrap();
    let cpu_read = compile(&[&x], &w - &x).build().unwrap();
    let cpu_step = compile(&[], &w).updates([(&w, &w + 10.0)]).build().unwrap();
    let ones = || Tensor::from(vec![1.0f64, 1.0, 1.0]);

    assert_eq!(step.call(&[ones()]).unwrap()[0].to_f64_vec(), [6.0]);
    assert!(is_stale(&w));
    // the same device: w is read where it is, nothing uploaded but x
    let up = dev.transfers().0;
    assert_eq!(
        read.call(&[ones()]).unwrap()[0].to_f64_vec(),
        [3.0, 5.0, 7.0]
    );
    assert_eq!(dev.transfers().0 - up, 24, "only x is uploaded");
    assert!(is_stale(&w));
    // another device: copied back to the host, then up to that device
    assert_eq!(
        read_other.call(&[ones()]).unwrap()[0].to_f64_vec(),
        [3.0, 5.0, 7.0]
    );
    assert!(!is_stale(&w));
    assert_eq!(
        cpu_read.call(&[ones()]).unwrap()[0].to_f64_vec(),
        [1.0, 3.0, 5.0]
    );
    // a CPU update: the device copy is dropped, the next GPU call uploads the new value
    assert_eq!(cpu_step.call(&[]).unwrap()[0].to_f64_vec(), [2.0, 4.0, 6.0]);
    assert_eq!(w.get_value().unwrap().to_f64_vec(), [12.0, 14.0, 16.0]);
    assert!(w.shared_cell().unwrap().lock().mirror().is_none());
    assert_eq!(step.call(&[ones()]).unwrap()[0].to_f64_vec(), [42.0]);
    assert_eq!(w.get_value().unwrap().to_f64_vec(), [24.0, 28.0, 32.0]);
    // mode=DebugMode (on the GPU) and profile=True read the device's newer value too, and a
    // DebugMode update goes through the host (the device copy dropped)
    assert_eq!(step.call(&[ones()]).unwrap()[0].to_f64_vec(), [84.0]);
    assert!(is_stale(&w));
    let mode = |flags: &str| theano::Mode::parse_flags(flags).unwrap();
    let debug = compile(&[&x], (&w * &x).sum())
        .updates([(&w, &w * 2.0)])
        .mode(mode("mode=DebugMode"))
        .linker(Box::new(EmuLinker::on(&dev)))
        .build()
        .unwrap();
    assert_eq!(debug.call(&[ones()]).unwrap()[0].to_f64_vec(), [168.0]);
    assert!(w.shared_cell().unwrap().lock().mirror().is_none());
    let profiled = compile(&[&x], (&w * &x).sum())
        .updates([(&w, &w * 2.0)])
        .mode(mode("profile=True"))
        .linker(Box::new(EmuLinker::on(&dev)))
        .build()
        .unwrap();
    assert_eq!(profiled.call(&[ones()]).unwrap()[0].to_f64_vec(), [336.0]);
    assert!(is_stale(&w));
    assert!(profiled
        .profile()
        .unwrap()
        .nodes
        .iter()
        .all(|n| n.calls == 1));
    assert_eq!(w.get_value().unwrap().to_f64_vec(), [192.0, 224.0, 256.0]);
    // set_value replaces the device copy
    step.call(&[ones()]).unwrap();
    w.set_value(Tensor::from(vec![0.5f64, 0.5, 0.5])).unwrap();
    assert_eq!(step.call(&[ones()]).unwrap()[0].to_f64_vec(), [1.5]);
    assert_eq!(
        read.call(&[ones()]).unwrap()[0].to_f64_vec(),
        [2.0, 2.0, 2.0]
    );
    // a shape the variable's type allows (another length) stays resident too
    w.set_value(Tensor::from(vec![1.0f64, 1.0])).unwrap();
    let two = Tensor::from(vec![3.0f64, 4.0]);
    assert_eq!(
        step.call(std::slice::from_ref(&two)).unwrap()[0].to_f64_vec(),
        [7.0]
    );
    assert_eq!(read.call(&[two]).unwrap()[0].to_f64_vec(), [5.0, 6.0]);
}

/// An update the CPU computes in place over w (exec's plan lets the elementwise kernel
/// overwrite it) writes a fresh buffer on the GPU (its compiled plan takes that back): when a
/// later step fails, w is still the old value, on the device and on the host.
#[test]
fn a_failed_call_leaves_the_resident_value_unchanged() {
    let w = theano::shared_named(vec![1.0f64, 2.0, 3.0], "w");
    let x = T::dvector("x");
    let dev = EmuDevice::new();
    let w2 = &w * 2.0;
    let f = compile(&[&x], T::dot(&w2, &x).unwrap())
        .updates([(&w, &w2)])
        .linker(Box::new(EmuLinker::on(&dev)))
        .build()
        .unwrap();
    assert_eq!(
        f.call(&[Tensor::from(vec![1.0f64, 1.0, 1.0])]).unwrap()[0].to_f64_vec(),
        [12.0]
    );
    assert!(is_stale(&w));
    // w is [2, 4, 6] on the device only; the dot product of a wrong length fails after the
    // doubling ran
    let err = f.call(&[Tensor::from(vec![1.0f64, 1.0])]).unwrap_err();
    assert!(err.to_string().contains("shape"), "{err}");
    assert!(is_stale(&w), "still the device's value");
    assert_eq!(
        f.call(&[Tensor::from(vec![1.0f64, 0.0, 0.0])]).unwrap()[0].to_f64_vec(),
        [4.0]
    );
    assert_eq!(w.get_value().unwrap().to_f64_vec(), [4.0, 8.0, 12.0]);
}

/// A device copy that cannot be copied back is a typed error naming the variable, from
/// `get_value` and from a function that needs the value on the host; nothing panics.
#[test]
fn a_device_copy_that_cannot_be_read_back_is_an_error() {
    struct Lost;
    impl theano::ir::Mirror for Lost {
        fn memory(&self) -> u64 {
            u64::MAX
        }
        fn fetch(&self) -> Result<Tensor, String> {
            Err("the device was lost".into())
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
    let w = theano::shared_named(vec![1.0f64, 2.0], "w");
    w.shared_cell().unwrap().lock().set_mirrored(Arc::new(Lost));
    let e = w.get_value().unwrap_err();
    assert!(
        e.contains("shared variable w") && e.contains("the device was lost"),
        "{e}"
    );
    let f = compile(&[], &w + 1.0).build().unwrap();
    let e = f.call(&[]).unwrap_err().to_string();
    assert!(
        e.contains("shared variable w") && e.contains("the device was lost"),
        "{e}"
    );
    let g = compile(&[], &w + 1.0)
        .linker(Box::new(EmuLinker::default()))
        .build()
        .unwrap();
    let e = g.call(&[]).unwrap_err().to_string();
    assert!(
        e.contains("shared variable w") && e.contains("the device was lost"),
        "{e}"
    );
    // set_value replaces it
    w.set_value(Tensor::from(vec![3.0f64, 4.0])).unwrap();
    assert_eq!(f.call(&[]).unwrap()[0].to_f64_vec(), [4.0, 5.0]);
}

/// The tutorial's minibatch pattern (`givens` slicing a shared data set by a symbolic
/// index): the data set is uploaded once and each call slices it on the device (a view:
/// exec's view algebra over the device address), so a call uploads the index and a few
/// shape scalars and downloads the cost; values as the CPU backend's.
#[test]
fn minibatches_slice_the_resident_data_set_on_the_device() {
    let (feats, classes, n, bs) = (12usize, 5usize, 64usize, 16i64);
    let (data_x, data_y) = common::mnist_like(n, feats, classes, 9);
    let data_bytes = (data_x.len() * 8 + data_y.len() * 4) as u64;
    let run = |dev: Option<&EmuDevice>| {
        let s = common::softmax_model(feats, classes);
        let set_x = theano::try_shared(data_x.clone(), Some("set_x")).unwrap();
        let set_y = theano::try_shared(data_y.clone(), Some("set_y")).unwrap();
        let index = T::lscalar("index");
        let b = compile(&[&index], &s.cost)
            .updates([(&s.w, &s.w_update), (&s.b, &s.b_update)])
            .givens([
                (
                    &s.x,
                    set_x.slice_rows(&index * bs, (&index + 1) * bs).unwrap(),
                ),
                (
                    &s.y,
                    set_y.slice_rows(&index * bs, (&index + 1) * bs).unwrap(),
                ),
            ]);
        let f = match dev {
            Some(d) => b
                .mode(theano::Mode::parse_flags("profile=True").unwrap())
                .linker(Box::new(EmuLinker::on(d))),
            None => b,
        }
        .build()
        .unwrap();
        let mut costs = vec![];
        let mut traffic = vec![];
        for i in 0..(n as i64 / bs) * 2 {
            let before = dev.map(EmuDevice::transfers);
            costs.push(f.call(&[Tensor::from(i % (n as i64 / bs))]).unwrap()[0].to_f64_vec()[0]);
            if let (Some(d), Some(b)) = (dev, before) {
                let now = d.transfers();
                traffic.push((now.0 - b.0, now.1 - b.1));
            }
        }
        if dev.is_some() {
            for node in f.profile().unwrap().nodes {
                assert_ne!(node.linker, "interpreter", "{}", node.node);
            }
        }
        (costs, traffic, s.w.get_value().unwrap())
    };
    let (c_cpu, _, w_cpu) = run(None);
    let dev = EmuDevice::new();
    let (c_gpu, traffic, w_gpu) = run(Some(&dev));
    for (a, b) in c_cpu.iter().zip(&c_gpu) {
        assert!((a - b).abs() <= 1e-10 * (1.0 + a.abs()), "{a} vs {b}");
    }
    agree(&w_cpu, &w_gpu, 1e-10, "W");
    for (k, &(up, down)) in traffic.iter().enumerate() {
        let first = if k == 0 { data_bytes } else { 0 };
        assert!(
            up >= first + 8 && up <= first + 8 + (feats * classes * 8 + classes * 8) as u64 + 64,
            "call {k}: {up} bytes uploaded"
        );
        if k > 0 {
            assert!(up <= 64, "call {k}: {up} bytes uploaded");
        }
        assert_eq!(down, 8, "call {k}: {down} bytes downloaded");
    }
}
