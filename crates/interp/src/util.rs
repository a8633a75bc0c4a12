//! Helpers shared by the op implementations: typed views with casting, shape formatting and
//! size checks.

use crate::error::{PerformError, R};
use crate::num::conv;
use ndarray::{ArrayD, ArrayViewD, CowArray, IxDyn};
use theano_tensor::{with_array, DType, Element, Tensor};

/// The tensor's array as element type `T`: borrowed when the dtype matches, else cast (numpy
/// `astype`).
pub fn cow<T: Element>(t: &Tensor) -> CowArray<'_, T, IxDyn> {
    match T::array_of(t) {
        Some(a) => CowArray::from(a.view()),
        None => CowArray::from(with_array!(t, a => a.mapv(|v| conv::<_, T>(v)))),
    }
}

/// A typed view of a tensor known to hold `T`.
pub fn view<T: Element>(t: &Tensor) -> R<ArrayViewD<'_, T>> {
    T::array_of(t).map(|a| a.view()).ok_or_else(|| {
        PerformError::input(format!("expected a {} tensor, got {}", T::DTYPE, t.dtype()))
    })
}

/// A shape as Python prints a tuple: `()`, `(4,)`, `(2, 3)`.
pub use theano_tensor::py_tuple as py_shape;

/// Outputs of at least this many bytes are probed with the allocator by [`check_size`].
const PROBE_BYTES: usize = 64 << 20;

/// Refuse shapes whose element count or byte size cannot exist (ndarray would panic), or that
/// the allocator cannot provide (ndarray's allocation would abort the process): an output of
/// [`PROBE_BYTES`] or more is first reserved and released (untouched memory, so the probe
/// costs an `mmap` and a `munmap`, not a pass over the pages). Below that, a failed
/// allocation is the process running out of memory, as anywhere else.
/// An op's input count: `n` inputs, else a typed error saying how many came.
pub fn n_inputs(ins: &[&Tensor], n: usize) -> R<()> {
    if ins.len() == n {
        Ok(())
    } else {
        Err(PerformError::input(format!(
            "expects {n} inputs, got {}",
            ins.len()
        )))
    }
}

pub fn check_size(shape: &[usize], dtype: DType) -> R<usize> {
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|n| {
            n.checked_mul(dtype.itemsize())
                .is_some_and(|b| b <= isize::MAX as usize)
        });
    // ndarray also needs the product of the non-zero lengths to fit in isize
    let nz = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize);
    let n = match (n, nz) {
        (Some(n), Some(_)) => n,
        _ => {
            return Err(PerformError::value(format!(
                "array of shape {} and dtype {dtype} is too big",
                py_shape(shape)
            )))
        }
    };
    let bytes = n * dtype.itemsize();
    if bytes >= PROBE_BYTES && Vec::<u8>::new().try_reserve_exact(bytes).is_err() {
        return Err(PerformError::value(format!(
            "cannot allocate {bytes} bytes for an array of shape {} and dtype {dtype}",
            py_shape(shape)
        )));
    }
    Ok(n)
}

/// A `Vec` of `n` copies of `v`, refusing sizes the allocator cannot give instead of aborting.
pub fn try_filled<T: Clone>(n: usize, v: T) -> R<Vec<T>> {
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|_| PerformError::value(format!("cannot allocate an array of {n} elements")))?;
    out.resize(n, v);
    Ok(out)
}

/// A new array of `shape` filled with `v`, with size checks.
pub fn try_full<T: Element>(shape: &[usize], v: T) -> R<ArrayD<T>> {
    let n = check_size(shape, T::DTYPE)?;
    let data = try_filled(n, v)?;
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|e| PerformError::shape(e.to_string()))
}

/// The single value of an integer scalar input.
pub fn scalar_int(t: &Tensor, what: &str) -> R<i64> {
    if t.ndim() != 0 || !t.dtype().is_discrete() {
        return Err(PerformError::input(format!(
            "{what} must be an integer scalar, got a {} array of shape {}",
            t.dtype(),
            py_shape(t.shape())
        )));
    }
    with_array!(t, a => Ok(a.iter().next().map(|v| v.to_i64()).unwrap_or(0)))
}

/// numpy's normalisation of an integer index into a dimension of length `n`.
pub fn wrap_index(i: i64, n: usize, axis: usize) -> R<usize> {
    let ni = n as i64;
    let j = if i < 0 { i + ni } else { i };
    if j < 0 || j >= ni {
        Err(PerformError::index(format!(
            "index {i} is out of bounds for axis {axis} with size {n}"
        )))
    } else {
        Ok(j as usize)
    }
}
