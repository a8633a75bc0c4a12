//! theano-linalg: Theano 1.0.5's `theano.tensor.nlinalg` and `theano.tensor.slinalg` for
//! theano-rs. The decompositions and solves are graph ops (one [`CustomOp`](theano_ir::CustomOp),
//! [`op::LinalgOp`], whose [`Kind`] says which), printed, typed, differentiated and shaped as
//! Theano's, and computed by faer when the interpreter runs them (every backend runs them
//! through the interpreter: they are host-side LAPACK-style routines, as Theano's Python
//! `perform`s were). The builders of existing ops (`matrix_dot`, `matrix_power`, `norm`,
//! `kron`) build Theano's graphs node for node.

mod grads;
mod kernels;
pub mod nlinalg;
pub mod op;
pub mod slinalg;

pub use op::{Kind, QrMode, Structure};

/// Registers the IR text parsers of these ops (`Cholesky{lower=True, ...}(x)` and the
/// others), so that text holding them parses before the process has built any. Idempotent.
pub fn register_ops() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for name in op::NAMES {
            theano_ir::register_custom_op(name, op::parse_op);
        }
    });
}
