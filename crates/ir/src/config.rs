//! Process-wide graph-building settings (Theano's `config.floatX`).

use std::sync::atomic::{AtomicU8, Ordering};
use theano_tensor::DType;

static FLOAT_X: AtomicU8 = AtomicU8::new(0); // 0 = float64, 1 = float32

/// The dtype of float constants and of the floatX constructors (`T::scalar`, `T::matrix`...).
pub fn float_x() -> DType {
    if FLOAT_X.load(Ordering::Relaxed) == 1 {
        DType::Float32
    } else {
        DType::Float64
    }
}

/// Set floatX; only float64 and float32 are accepted.
pub fn set_float_x(d: DType) -> Result<(), String> {
    match d {
        DType::Float64 => FLOAT_X.store(0, Ordering::Relaxed),
        DType::Float32 => FLOAT_X.store(1, Ordering::Relaxed),
        other => return Err(format!("floatX must be float64 or float32, got {other}")),
    }
    Ok(())
}
