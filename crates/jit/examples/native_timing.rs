//! Interleaved min-of-N timings of the native kernels' variants, robust on a busy machine
//! (criterion's means are not, when other processes share the two cores): each round runs
//! every variant once; the minimum over rounds is reported.
//!
//! `cargo run --release -p theano-jit --example native_timing [rounds] [filter]` (only the
//! variants whose name contains `filter` are timed); NumPy's figures for the same shapes:
//! `python3 crates/jit/benches/native_numpy.py`.

use std::hint::black_box;
use std::time::{Duration, Instant};
use theano_ir::{Op, ReduceKind, TensorType};
use theano_jit::{standalone_kernel, NativeKernel, View};
use theano_tensor::DType;

#[path = "../tests/common/mod.rs"]
mod common;
use common::data;

/// Kernels and buffers live for the whole run (leaked), so the timed closures are 'static.
/// A generated kernel (`KernelSet::add_native`) where there is one, as the JIT linker does,
/// else `native_kernel`.
fn kernel(op: Op, ins: &[TensorType]) -> &'static dyn NativeKernel {
    let outs = op.infer_types(ins).unwrap();
    Box::leak(standalone_kernel(&op, ins, &outs).unwrap())
}

/// Call a two-output kernel.
fn call2(k: &dyn NativeKernel, ins: &[View], outs: &[View]) {
    let mut s = [theano_jit::Shape::default(); 2];
    k.out_shapes(ins, &mut s).unwrap();
    // SAFETY: out_shapes accepted the inputs; outs are distinct C-contiguous buffers of the
    // outputs' shapes and dtypes.
    unsafe { k.run_multi(black_box(ins), outs) }
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    v.leak()
}

/// An output buffer: a leaked allocation written only through this pointer.
fn out_buf<T: Clone>(v: T, n: usize) -> *mut T {
    vec![v; n].leak().as_mut_ptr()
}

/// A multi-output call, as the runtime makes it.
fn call_multi(k: &dyn NativeKernel, ins: &[View], outs: &[View]) {
    let mut shapes = [theano_jit::Shape::default(); theano_jit::MAX_OUTPUTS];
    k.out_shapes(ins, &mut shapes[..k.n_outputs()]).unwrap();
    // SAFETY: out_shapes accepted the inputs; the outputs are distinct C-contiguous buffers
    // of the announced shapes and dtypes.
    unsafe { k.run_multi(black_box(ins), outs) }
}

fn call(k: &dyn NativeKernel, ins: &[View], out: &View) {
    k.out_shape(ins).unwrap();
    // SAFETY: out_shape accepted the inputs; out is a distinct C-contiguous buffer of the
    // output's shape and dtype.
    unsafe { k.run(black_box(ins), out) }
}

/// gemm crate call on f64 raw parts: dst (m x n C-contiguous) = lhs · rhs.
#[allow(clippy::too_many_arguments)]
fn gemm_crate(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f64,
    lhs: &[f64],
    lhs_rs: isize,
    lhs_cs: isize,
    rhs: &[f64],
    rhs_rs: isize,
    rhs_cs: isize,
    par: gemm::Parallelism,
) {
    // SAFETY: the callers pass live, disjoint buffers whose extents cover the strides given.
    unsafe {
        gemm::gemm::<f64>(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            lhs_cs,
            lhs_rs,
            rhs.as_ptr(),
            rhs_cs,
            rhs_rs,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        )
    }
}

/// Time one call of `f`.
fn timed_once(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// A variant timed on the calling thread.
fn timed(mut f: impl FnMut() + 'static) -> Box<dyn FnMut() -> Duration> {
    Box::new(move || timed_once(&mut f))
}

struct Bench {
    name: String,
    flops: f64,
    /// one call, returning the time it took
    f: Box<dyn FnMut() -> Duration>,
    best: Duration,
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let filter = std::env::args().nth(2).unwrap_or_default();
    let d = DType::Float64;
    let one: &'static rayon::ThreadPool = Box::leak(Box::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap(),
    ));
    let mut benches: Vec<Bench> = Vec::new();
    let mut add = |name: String, flops: f64, f: Box<dyn FnMut() -> Duration>| {
        if !name.contains(&filter) {
            return;
        }
        benches.push(Bench {
            name,
            flops,
            f,
            best: Duration::MAX,
        })
    };

    // dot 1024^3
    let n = 1024;
    let a64 = leak(data(n * n, 1));
    let b64 = leak(data(n * n, 2));
    let o64 = out_buf(0.0f64, n * n);
    let a32 = leak(a64.iter().map(|&v| v as f32).collect());
    let b32 = leak(b64.iter().map(|&v| v as f32).collect());
    let o32 = out_buf(0.0f32, n * n);
    let t2 = |d| TensorType::with_ndim(d, 2).unwrap();
    let k64 = kernel(Op::Dot, &[t2(d), t2(d)]);
    let k32 = kernel(Op::Dot, &[t2(DType::Float32), t2(DType::Float32)]);
    let v = |p: *const u8, d, sh: &[usize]| View::contiguous(p as *mut u8, d, sh).unwrap();
    let fl = 2.0 * (n * n * n) as f64;
    {
        let ins = [
            v(a64.as_ptr() as _, d, &[n, n]),
            v(b64.as_ptr() as _, d, &[n, n]),
        ];
        let out = v(o64 as _, d, &[n, n]);
        let k = k64;
        add(
            "dot 1024^3 f64".into(),
            fl,
            timed(move || call(k, &ins, &out)),
        );
        let f32d = DType::Float32;
        let ins = [
            v(a32.as_ptr() as _, f32d, &[n, n]),
            v(b32.as_ptr() as _, f32d, &[n, n]),
        ];
        let out = v(o32 as _, f32d, &[n, n]);
        let k = k32;
        add(
            "dot 1024^3 f32".into(),
            fl,
            timed(move || call(k, &ins, &out)),
        );
    }

    // gemv at the seed's shapes
    let (rows, cols) = (400, 784);
    let a = leak(data(rows * cols, 3));
    let x784 = leak(data(cols, 4));
    let x400 = leak(data(rows, 5));
    let o = out_buf(0.0f64, cols);
    let kmv = kernel(Op::Dot, &[t2(d), TensorType::with_ndim(d, 1).unwrap()]);
    for (name, shape, st, x) in [
        ("400x784 . 784", [rows, cols], [cols as isize, 1], x784),
        ("784x400(T) . 400", [cols, rows], [1, cols as isize], x400),
    ] {
        let av = View::raw(a.as_ptr() as *mut u8, d, &shape, &st).unwrap();
        let xv = v(x.as_ptr() as _, d, &[shape[1]]);
        let out = v(o as _, d, &[shape[0]]);
        let fl = 2.0 * (rows * cols) as f64;
        let k = kmv;
        add(
            format!("gemv {name} kernel"),
            fl,
            timed(move || call(k, &[av, xv], &out)),
        );
        let pool = one;
        add(
            format!("gemv {name} kernel 1 thread"),
            fl,
            Box::new(move || pool.install(|| timed_once(|| call(k, &[av, xv], &out)))),
        );

        for (pn, par) in [
            ("1 thread", gemm::Parallelism::None),
            ("rayon", gemm::Parallelism::Rayon(0)),
        ] {
            add(
                format!("gemv {name} gemm crate {pn}"),
                fl,
                timed(move || gemm_crate(shape[0], 1, shape[1], o, a, st[0], st[1], x, 1, 1, par)),
            );
        }
    }

    // gemm threading threshold
    for n in [48usize, 64, 80, 96, 128, 192] {
        let (a, b, o) = (
            leak(data(n * n, 6)),
            leak(data(n * n, 7)),
            out_buf(0.0, n * n),
        );
        for (pn, par) in [
            ("1 thread", gemm::Parallelism::None),
            ("rayon", gemm::Parallelism::Rayon(0)),
        ] {
            add(
                format!("gemm {n}^3 {pn}"),
                2.0 * (n * n * n) as f64,
                timed(move || gemm_crate(n, n, n, o, a, n as isize, 1, b, n as isize, 1, par)),
            );
        }
    }

    // sum 1e7, softmax 600x10
    let big = leak(data(10_000_000, 8));
    let o1 = out_buf(0.0f64, 1);
    let ksum = kernel(
        Op::Reduce {
            kind: ReduceKind::Sum,
            axes: None,
            dtype: None,
        },
        &[TensorType::with_ndim(d, 1).unwrap()],
    );
    {
        let ins = [v(big.as_ptr() as _, d, &[big.len()])];
        let out = v(o1 as _, d, &[]);
        let k = ksum;
        add(
            "sum 1e7 f64".into(),
            big.len() as f64,
            timed(move || call(k, &ins, &out)),
        );
        let pool = one;
        add(
            "sum 1e7 f64 1 thread".into(),
            big.len() as f64,
            Box::new(move || pool.install(|| timed_once(|| call(k, &ins, &out)))),
        );
    }

    // reductions of a 1000x1000 matrix, C order
    let m = 1000;
    let mat = leak(data(m * m, 10));
    let mat32: &'static [f32] = leak(mat.iter().map(|&v| v as f32).collect());
    let small: &'static [f64] = leak(mat.iter().map(|&v| 1.0 + v * 1e-3).collect());
    let orow = out_buf(0.0f64, m);
    let orow32 = out_buf(0.0f32, m);
    let oidx = out_buf(0i64, m);
    let red = |kind, axes: Option<Vec<usize>>, d| {
        kernel(
            Op::Reduce {
                kind,
                axes,
                dtype: None,
            },
            &[TensorType::with_ndim(d, 2).unwrap()],
        )
    };
    let f32d = DType::Float32;
    let cases: [(&str, &'static dyn NativeKernel, *const u8, DType, *mut u8); 6] = [
        (
            "sum axis=0 1000x1000 f64",
            red(ReduceKind::Sum, Some(vec![0]), d),
            mat.as_ptr() as _,
            d,
            orow as _,
        ),
        (
            "sum axis=1 1000x1000 f64",
            red(ReduceKind::Sum, Some(vec![1]), d),
            mat.as_ptr() as _,
            d,
            orow as _,
        ),
        (
            "max axis=1 1000x1000 f32",
            red(ReduceKind::Max, Some(vec![1]), f32d),
            mat32.as_ptr() as _,
            f32d,
            orow32 as _,
        ),
        (
            "max axis=0 1000x1000 f32",
            red(ReduceKind::Max, Some(vec![0]), f32d),
            mat32.as_ptr() as _,
            f32d,
            orow32 as _,
        ),
        (
            "prod axis=1 1000x1000 f64",
            red(ReduceKind::Prod, Some(vec![1]), d),
            small.as_ptr() as _,
            d,
            orow as _,
        ),
        (
            "prod axis=0 1000x1000 f64",
            red(ReduceKind::Prod, Some(vec![0]), d),
            small.as_ptr() as _,
            d,
            orow as _,
        ),
    ];
    for (name, k, p, dt, o) in cases {
        let ins = [v(p, dt, &[m, m])];
        let out = v(o, dt, &[m]);
        add(
            name.into(),
            (m * m) as f64,
            timed(move || call(k, &ins, &out)),
        );
    }
    // integer and boolean folds (outputs: int64 sums, int32 max, bool all/any)
    {
        let i32s: &'static [i32] = leak(mat.iter().map(|&v| (v * 1000.0) as i32).collect());
        let i8s: &'static [i8] = leak(mat.iter().map(|&v| (v * 100.0) as i8).collect());
        let o = out_buf(0i64, m) as *mut u8;
        let (i32d, i8d) = (DType::Int32, DType::Int8);
        let cases: [(&str, ReduceKind, usize, *const u8, DType); 6] = [
            (
                "sum axis=1 1000x1000 i32",
                ReduceKind::Sum,
                1,
                i32s.as_ptr() as _,
                i32d,
            ),
            (
                "sum axis=0 1000x1000 i8",
                ReduceKind::Sum,
                0,
                i8s.as_ptr() as _,
                i8d,
            ),
            (
                "max axis=1 1000x1000 i32",
                ReduceKind::Max,
                1,
                i32s.as_ptr() as _,
                i32d,
            ),
            (
                "any axis=1 1000x1000 f64",
                ReduceKind::Any,
                1,
                small.as_ptr() as _,
                d,
            ),
            (
                "all axis=1 1000x1000 f64",
                ReduceKind::All,
                1,
                small.as_ptr() as _,
                d,
            ),
            (
                "all axis=0 1000x1000 f64",
                ReduceKind::All,
                0,
                small.as_ptr() as _,
                d,
            ),
        ];
        for (name, kind, axis, p, dt) in cases {
            let k = red(kind, Some(vec![axis]), dt);
            let ins = [v(p, dt, &[m, m])];
            let out = v(o, k.out_dtype(), &[m]);
            add(
                name.into(),
                (m * m) as f64,
                timed(move || call(k, &ins, &out)),
            );
        }
    }
    // sum over axis 0 of the transposed matrix (a strided lane per output)
    {
        let k = red(ReduceKind::Sum, Some(vec![0]), d);
        let ins = [View::raw(mat.as_ptr() as *mut u8, d, &[m, m], &[1, m as isize]).unwrap()];
        let out = v(orow as _, d, &[m]);
        add(
            "sum axis=0 1000x1000(T) f64".into(),
            (m * m) as f64,
            timed(move || call(k, &ins, &out)),
        );
    }
    for (axis, name) in [
        (1usize, "argmax axis=1 1000x1000 f64"),
        (0, "argmax axis=0 1000x1000 f64"),
    ] {
        let k = kernel(Op::MaxAndArgmax { axes: vec![axis] }, &[t2(d)]);
        let ins = [v(mat.as_ptr() as _, d, &[m, m])];
        let outs = [v(orow as _, d, &[m]), v(oidx as _, DType::Int64, &[m])];
        add(
            name.into(),
            (m * m) as f64,
            timed(move || call2(k, &ins, &outs)),
        );
    }
    let sm = leak(data(6000, 9));
    let osm = out_buf(0.0f64, 6000);
    let ksm = kernel(Op::Softmax, &[t2(d)]);
    {
        let ins = [v(sm.as_ptr() as _, d, &[600, 10])];
        let out = v(osm as _, d, &[600, 10]);
        let k = ksm;
        add(
            "softmax 600x10 f64".into(),
            0.0,
            timed(move || call(k, &ins, &out)),
        );
    }
    // softmax float32, log_softmax, a large softmax
    let f32d = DType::Float32;
    let sm32 = leak(sm.iter().map(|&v| v as f32).collect());
    let osm32 = out_buf(0.0f32, 6000);
    let ksm32 = kernel(Op::Softmax, &[t2(f32d)]);
    {
        let ins = [v(sm32.as_ptr() as _, f32d, &[600, 10])];
        let out = v(osm32 as _, f32d, &[600, 10]);
        let k = ksm32;
        add(
            "softmax 600x10 f32".into(),
            0.0,
            timed(move || call(k, &ins, &out)),
        );
    }
    let klsm = kernel(Op::LogSoftmax, &[t2(d)]);
    {
        let ins = [v(sm.as_ptr() as _, d, &[600, 10])];
        let out = v(osm as _, d, &[600, 10]);
        let k = klsm;
        add(
            "log_softmax 600x10 f64".into(),
            0.0,
            timed(move || call(k, &ins, &out)),
        );
    }
    {
        let big_sm = &big[..1_000_000];
        let obig = out_buf(0.0f64, 1_000_000);
        let ins = [v(big_sm.as_ptr() as _, d, &[1000, 1000])];
        let out = v(obig as _, d, &[1000, 1000]);
        let k = ksm;
        add(
            "softmax 1000x1000 f64".into(),
            0.0,
            timed(move || call(k, &ins, &out)),
        );
        let pool = one;
        add(
            "softmax 1000x1000 f64 1 thread".into(),
            0.0,
            Box::new(move || pool.install(|| timed_once(|| call(k, &ins, &out)))),
        );
    }
    // the crossentropy op and its gradient on the MNIST minibatch shape (600x10)
    let labels: &'static [i64] = leak((0..600).map(|i| (i * 7 % 10) as i64).collect());
    let bias = leak(data(10, 10));
    let it = |d, nd| TensorType::with_ndim(d, nd).unwrap();
    let kx = kernel(
        Op::CrossentropySoftmaxArgmax1HotWithBias,
        &[t2(d), it(d, 1), it(DType::Int64, 1)],
    );
    {
        let (onll, osmx, oam) = (
            out_buf(0.0f64, 600),
            out_buf(0.0f64, 6000),
            out_buf(0i64, 600),
        );
        let ins = [
            v(sm.as_ptr() as _, d, &[600, 10]),
            v(bias.as_ptr() as _, d, &[10]),
            v(labels.as_ptr() as _, DType::Int64, &[600]),
        ];
        let outs = [
            v(onll as _, d, &[600]),
            v(osmx as _, d, &[600, 10]),
            v(oam as _, DType::Int64, &[600]),
        ];
        let k = kx;
        add(
            "crossentropy 600x10 f64".into(),
            0.0,
            timed(move || call_multi(k, &ins, &outs)),
        );
    }
    let kdx = kernel(
        Op::CrossentropySoftmax1HotWithBiasDx,
        &[it(d, 1), t2(d), it(DType::Int64, 1)],
    );
    {
        let dnll = leak(data(600, 11));
        let odx = out_buf(0.0f64, 6000);
        let ins = [
            v(dnll.as_ptr() as _, d, &[600]),
            v(sm.as_ptr() as _, d, &[600, 10]),
            v(labels.as_ptr() as _, DType::Int64, &[600]),
        ];
        let out = v(odx as _, d, &[600, 10]);
        let k = kdx;
        add(
            "crossentropy_dx 600x10 f64".into(),
            0.0,
            timed(move || call(k, &ins, &out)),
        );
    }
    benches.retain(|b| b.name.contains(&filter));

    // calls per round: about 2 ms of work for each variant (one call for the large ones)
    let reps: Vec<usize> = benches
        .iter_mut()
        .map(|b| {
            let t = (b.f)();
            (2e-3 / t.as_secs_f64().max(1e-7)).clamp(1.0, 1000.0) as usize
        })
        .collect();
    for _ in 0..rounds {
        for (b, &r) in benches.iter_mut().zip(&reps) {
            for _ in 0..r {
                b.best = b.best.min((b.f)());
            }
        }
    }
    for b in &benches {
        let us = b.best.as_secs_f64() * 1e6;
        if b.flops > 0.0 {
            println!(
                "{:<44} {:>10.2} us  {:>7.1} G/s",
                b.name,
                us,
                b.flops / us / 1e3
            );
        } else {
            println!("{:<44} {:>10.2} us", b.name, us);
        }
    }
}
