//! numpy's `repr` for tensors (the `Debug` impl).
//! PLACEHOLDER: to be replaced by the exact numpy formatter.

use crate::{with_array, Tensor};
use std::fmt;

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_array!(self, a => write!(f, "array({a:?})"))
    }
}

impl Tensor {
    /// numpy's `str()` of the value. PLACEHOLDER until the exact formatter lands.
    pub fn to_numpy_str(&self) -> String {
        with_array!(self, a => format!("{a}"))
    }
}
