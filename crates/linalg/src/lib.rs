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

pub use op::{kind_of, Kind, QrMode, Structure};

macro_rules! parsers {
    ($($name:literal),*) => {
        [$((
            $name,
            {
                fn parse(params: &str) -> Result<std::sync::Arc<dyn theano_ir::CustomOp>, String> {
                    op::parse_op($name)(params)
                }
                parse as theano_ir::CustomOpParser
            },
        )),*]
    };
}

/// Registers the IR text parsers of these ops (`Cholesky{lower=True, ...}(x)` and the
/// others), so that text holding them parses before the process has built any. Idempotent.
pub fn register_ops() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let all = parsers!(
            "MatrixInverse",
            "MatrixPinv",
            "Det",
            "Eig",
            "Eigh",
            "EighGrad",
            "QRFull",
            "QRIncomplete",
            "SVD",
            "Cholesky",
            "Solve",
            "Eigvalsh",
            "EigvalshGrad",
            "Expm",
            "ExpmGrad"
        );
        debug_assert_eq!(all.len(), op::NAMES.len());
        for (name, parse) in all {
            theano_ir::register_custom_op(name, parse);
        }
    });
}
