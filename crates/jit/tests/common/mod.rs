//! Shared by theano-jit's tests, benches and examples (the latter two include it with
//! `#[path = "../tests/common/mod.rs"]`).

/// `n` reproducible values uniform in [-1, 1): a 64-bit LCG from `seed`, the top 53 bits.
#[allow(dead_code)]
pub fn data(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

use theano_jit::{JitError, NativeKernel, Shape, View, MAX_OUTPUTS};
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{with_dtype, DType, Element, Tensor};

/// The bound on a generated kernel's float difference from the interpreter, relative to
/// `max(|want|, 1)`: 1e-5 for float32, 1e-12 for float64.
#[allow(dead_code)]
pub fn tol(d: DType) -> f64 {
    if d == DType::Float32 {
        1e-5
    } else {
        1e-12
    }
}

/// Equal dtype and shape; integers exact; floats bit for bit (NaN equals NaN, and the sign
/// of a zero counts) when `rtol` is 0, else within `rtol` of `max(|want|, 1)`.
#[allow(dead_code)]
pub fn assert_close(got: &Tensor, want: &Tensor, rtol: f64, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    if got.dtype().is_float() {
        for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
            let ok = (a.is_nan() && b.is_nan())
                || a.to_bits() == b.to_bits()
                || (rtol > 0.0 && (a - b).abs() <= rtol * b.abs().max(1.0));
            assert!(ok, "{what}: element {i}: got {a:?}, want {b:?}");
        }
    } else {
        assert_eq!(got.to_i64_vec(), want.to_i64_vec(), "{what}");
    }
}

/// Run `k` on `ins` into fresh C-contiguous outputs, poisoned (NaN, or 77 for integers) so
/// that a kernel leaving a cell unwritten, or reading one before writing it, fails.
#[allow(dead_code)]
pub fn run_kernel(k: &dyn NativeKernel, ins: &[View]) -> Result<Vec<Tensor>, JitError> {
    let n = k.n_outputs();
    assert!(n <= MAX_OUTPUTS);
    let mut shapes = [Shape::default(); MAX_OUTPUTS];
    k.out_shapes(ins, &mut shapes[..n])?;
    let mut outs: Vec<Tensor> = (0..n)
        .map(|i| {
            let s = shapes[i].as_slice();
            let d = k.out_dtype_of(i);
            let poison = if d.is_float() { f64::NAN } else { 77.0 };
            with_dtype!(d, T => Tensor::from_array(
                ArrayD::from_shape_vec(IxDyn(s), vec![T::from_f64(poison); s.iter().product()])
                    .unwrap()
            ))
        })
        .collect();
    let ov: Vec<View> = outs
        .iter_mut()
        .map(|t| {
            let v = View::of(t).unwrap();
            View::contiguous(v.ptr, v.dtype, v.shape()).unwrap()
        })
        .collect();
    // SAFETY: out_shapes accepted the views (the caller's, of live tensors); the outputs are
    // fresh, distinct, C-contiguous tensors of the announced shapes and dtypes.
    unsafe { k.run_multi(ins, &ov) };
    Ok(outs)
}
