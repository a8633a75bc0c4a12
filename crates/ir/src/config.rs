//! Process-wide graph-building settings (Theano's `config.floatX`).
//!
//! floatX is read once from `THEANO_FLAGS` (its `floatX=` entry) at first use, and can be set
//! from code with [`set_float_x`] before graphs are built. The other THEANO_FLAGS keys belong
//! to compilation and are parsed (and validated) by the facade's `Mode`.

use std::sync::atomic::{AtomicU8, Ordering};
use theano_tensor::DType;

/// 0 = not read yet, 1 = float64, 2 = float32
static FLOAT_X: AtomicU8 = AtomicU8::new(0);

fn from_env() -> u8 {
    let flags = std::env::var("THEANO_FLAGS").unwrap_or_default();
    let v = flags
        .split(',')
        .filter_map(|e| e.split_once('='))
        .filter(|(k, _)| k.trim() == "floatX")
        .map(|(_, v)| v.trim())
        .next_back();
    // A bad value is reported by the facade's flag parser; graphs then default to float64.
    if v == Some("float32") {
        2
    } else {
        1
    }
}

/// The dtype of the floatX constructors (`T::scalar`, `T::matrix`...) and of float constants
/// that need float64 precision under floatX=float32.
pub fn float_x() -> DType {
    let mut v = FLOAT_X.load(Ordering::Relaxed);
    if v == 0 {
        v = from_env();
        FLOAT_X.store(v, Ordering::Relaxed);
    }
    if v == 2 {
        DType::Float32
    } else {
        DType::Float64
    }
}

/// Set floatX; only float64 and float32 are accepted.
pub fn set_float_x(d: DType) -> Result<(), String> {
    match d {
        DType::Float64 => FLOAT_X.store(1, Ordering::Relaxed),
        DType::Float32 => FLOAT_X.store(2, Ordering::Relaxed),
        other => return Err(format!("floatX must be float64 or float32, got {other}")),
    }
    Ok(())
}
