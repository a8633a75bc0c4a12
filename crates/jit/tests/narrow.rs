//! Narrow matrix products (at most `blas::NARROW` output columns or rows: the MNIST step's
//! `x · W` and `x.T · g`), run by the hand-written kernel with the packed operand in the
//! thread's scratch, against an exact float64 reference. The bound is relative to the
//! computation's magnitude, `sum |x| |y|` (plus `|beta z|`): a float32 sum of 784 terms
//! that cancels to a small result is only that accurate in any summation order (the gemm
//! crate and ndarray's matrixmultiply differ from each other by as much).

use theano_ir::{Op, TensorType};
use theano_jit::blas::NARROW;
use theano_jit::{native_kernel, NativeKernel, View};
use theano_tensor::DType;

mod common;
use common::data;

/// A `rows x cols` operand stored C-order (`t == false`) or Fortran-order, as raw bytes of
/// dtype `d`, with its element strides; `get(i, j)` reads the value back as f64.
struct Operand {
    bytes: Vec<u8>,
    rows: usize,
    cols: usize,
    strides: [isize; 2],
    d: DType,
}

impl Operand {
    fn new(d: DType, rows: usize, cols: usize, t: bool, seed: u64) -> Operand {
        let vals = data(rows * cols, seed);
        let bytes = match d {
            DType::Float32 => vals
                .iter()
                .flat_map(|&v| (v as f32).to_ne_bytes())
                .collect(),
            _ => vals.iter().flat_map(|&v| v.to_ne_bytes()).collect(),
        };
        let strides = if t {
            [1, rows as isize]
        } else {
            [cols as isize, 1]
        };
        Operand {
            bytes,
            rows,
            cols,
            strides,
            d,
        }
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        let e = i as isize * self.strides[0] + j as isize * self.strides[1];
        let e = e as usize;
        match self.d {
            DType::Float32 => {
                f32::from_ne_bytes(self.bytes[4 * e..4 * e + 4].try_into().unwrap()) as f64
            }
            _ => f64::from_ne_bytes(self.bytes[8 * e..8 * e + 8].try_into().unwrap()),
        }
    }
    fn view(&mut self) -> View {
        View::raw(
            self.bytes.as_mut_ptr(),
            self.d,
            &[self.rows, self.cols],
            &self.strides,
        )
        .unwrap()
    }
}

fn scalar(d: DType, v: f64) -> Vec<u8> {
    match d {
        DType::Float32 => (v as f32).to_ne_bytes().to_vec(),
        _ => v.to_ne_bytes().to_vec(),
    }
}

/// `Gemm(z, alpha, x, y, beta)` (or `Dot22(x, y)` when `alpha` is None) on the kernel,
/// against the float64 reference.
fn check(d: DType, (m, k, n): (usize, usize, usize), tx: bool, ty: bool, ab: Option<(f64, f64)>) {
    let what = format!("{d} {m}x{k}x{n} x^T={tx} y^T={ty} {ab:?}");
    let mut x = Operand::new(d, m, k, tx, 1 + m as u64);
    let mut y = Operand::new(d, k, n, ty, 2 + n as u64);
    let mut z = Operand::new(d, m, n, false, 3);
    let t2 = TensorType::with_ndim(d, 2).unwrap();
    let t0 = TensorType::with_ndim(d, 0).unwrap();
    let (op, tys) = match ab {
        None => (Op::Dot22, vec![t2, t2]),
        Some(_) => (Op::Gemm { inplace: false }, vec![t2, t0, t2, t2, t0]),
    };
    let outs = op.infer_types(&tys).unwrap();
    let kern: Box<dyn NativeKernel> = native_kernel(&op, &tys, &outs).unwrap();
    let (alpha, beta) = ab.unwrap_or((1.0, 0.0));
    let (mut a, mut b) = (scalar(d, alpha), scalar(d, beta));
    let views = match ab {
        None => vec![x.view(), y.view()],
        Some(_) => vec![
            z.view(),
            View::contiguous(a.as_mut_ptr(), d, &[]).unwrap(),
            x.view(),
            y.view(),
            View::contiguous(b.as_mut_ptr(), d, &[]).unwrap(),
        ],
    };
    let shape = kern.out_shape(&views).unwrap();
    assert_eq!(shape.as_slice(), &[m, n], "{what}");
    let mut out = vec![0u8; m * n * d.itemsize()];
    let ov = View::contiguous(out.as_mut_ptr(), d, &[m, n]).unwrap();
    // SAFETY: out_shape accepted the views, which point into live buffers; `out` is a
    // distinct C-contiguous buffer of the output's shape and dtype.
    unsafe { kern.run(&views, &ov) };
    let got = Operand {
        bytes: out,
        rows: m,
        cols: n,
        strides: [n as isize, 1],
        d,
    };
    let rtol = if d == DType::Float32 { 1e-5 } else { 1e-13 };
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut mag) = (0.0, 0.0);
            for kk in 0..k {
                exact += x.get(i, kk) * y.get(kk, j);
                mag += (x.get(i, kk) * y.get(kk, j)).abs();
            }
            let zij = if ab.is_some() { z.get(i, j) } else { 0.0 };
            let want = alpha * exact + beta * zij;
            let mag = (alpha * mag).abs() + (beta * zij).abs();
            let g = got.get(i, j);
            assert!(
                (g - want).abs() <= rtol * mag.max(1e-30),
                "{what}: ({i}, {j}): got {g}, want {want} (magnitude {mag})"
            );
        }
    }
}

#[test]
fn narrow_products_match_an_exact_reference() {
    let shapes = [
        // the MNIST step: 600x784 . 784x10 and (784x600 = x.T) . 600x10
        (600, 784, 10),
        (784, 600, 10),
        // widths on either side of the 8- and 16-column kernels, and the transposed case
        (37, 29, 8),
        (37, 29, 9),
        (17, 300, NARROW),
        (NARROW, 70, 45),
        (5, 33, 200),
        (9, 1, 3),
        (3, 5, 2),
        (8, 0, 4),
    ];
    for d in [DType::Float64, DType::Float32] {
        for &s in &shapes {
            for (tx, ty) in [(false, false), (true, false), (false, true), (true, true)] {
                check(d, s, tx, ty, None);
                check(d, s, tx, ty, Some((-0.25, 1.5)));
                check(d, s, tx, ty, Some((2.0, 0.0)));
            }
        }
    }
}
