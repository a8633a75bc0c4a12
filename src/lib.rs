//! theano-rs: Theano in Rust.
//!
//! ```
//! use theano::tensor as T;
//! use theano::function;
//! let x = T::dscalar("x");
//! let y = T::dscalar("y");
//! let z = &x + &y;
//! assert_eq!(x.ty(), T::DSCALAR);
//! let f = function(&[&x, &y], &z).unwrap();
//! let out = f.call(&[2.0.into(), 3.0.into()]).unwrap();
//! assert_eq!(format!("{:?}", out[0]), "array(5.)");
//! ```

pub mod backends;
pub mod datasets;
pub mod debugmode;
mod error;
pub mod flags;
mod function;
/// The backend seam (theano-exec): programs, linkers, executables.
pub use theano_exec as linker;
pub use theano_exec::profile;

pub use error::{Error, NodeError};
pub use flags::{FlagError, LinkerKind, Mode, OptimizerLevel};
pub use function::{
    compile, function, shared, shared_named, try_shared, Function, FunctionBuilder, IntoOutputs,
    NoDefaultUpdates, OnUnused, SharedValue,
};
pub use theano_grad::{
    disconnected_grad, grad, grad1, grad_clip, grad_scale, grad_with, hessian, jacobian, lop, rop,
    undefined_grad, verify_grad, zero_grad, DisconnectedInputs, GradError, GradOptions,
    VerifyGradOptions,
};
pub use theano_ir as ir;
pub use theano_ir::config;
pub use theano_ir::printing::{debugprint, debugprint_with, pp, pydotprint, pydotprint_dot};

/// `theano.printing`: the printers (also at the crate root) and the `Print` op, which shows
/// a value as it passes through a compiled function.
pub mod printing {
    pub use theano_ir::printing::*;
}
/// Theano's `theano.tensor`: the tensor builders of theano-ir, `nnet`'s convolution,
/// `signal.pool`, and `shared_randomstreams` (crates/random).
pub mod tensor {
    /// `theano.tensor.sort`'s `TopKOp` (crates/extra); `sort` and `argsort` are theano-ir's.
    pub use theano_extra::{argtopk, topk, topk_and_argtopk};
    pub use theano_ir::tensor::*;

    /// `theano.tensor.nnet`: the 2-D convolution, `conv2d` (`AbstractConv2d`), its two
    /// gradients and the builders made of them (`conv2d_transpose`, `separable_conv2d`,
    /// `causal_conv1d`, `bilinear_upsampling`), `selu`, `confusion_matrix` (the other
    /// builders of `nnet` are in [`crate::tensor`] itself).
    pub mod nnet {
        pub use theano_extra::confusion_matrix;
        pub use theano_nnet::{h_softmax, sparse_block_dot};

        /// `theano.tensor.nnet.blocksparse`: `sparse_block_dot` (`SparseBlockGemv`,
        /// `SparseBlockOuter`; crates/nnet).
        pub mod blocksparse {
            pub use theano_nnet::blocksparse::*;
        }
        pub use theano_ir::conv::{Border, ConvKind, ConvParams};
        pub use theano_ir::tensor::{
            bilinear_kernel_1d, bilinear_kernel_2d, bilinear_upsampling, causal_conv1d, conv2d,
            conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights, conv2d_transpose, conv2d_with,
            frac_bilinear_upsampling, selu, separable_conv2d, Conv2dArgs,
        };

        /// `theano.tensor.nnet.bn`: batch normalization (crates/nnet).
        pub mod bn {
            pub use theano_nnet::bn::*;
            pub use theano_nnet::Kind;
        }

        /// `theano.tensor.nnet.neighbours`: `images2neibs` (`Images2Neibs{mode}`) and
        /// `neibs2images` (crates/nnet).
        pub mod neighbours {
            pub use theano_nnet::neighbours::*;
        }
        pub use theano_nnet::{images2neibs, neibs2images};
    }

    /// `theano.tensor.nlinalg`: NumPy's linear algebra as graph ops (`matrix_inverse`, `pinv`,
    /// `det`, `eig`, `eigh`, `qr`, `svd`) and `matrix_dot`, `matrix_power`, `norm`, `trace`.
    pub mod nlinalg {
        pub use theano_linalg::nlinalg::*;
        pub use theano_linalg::QrMode;
    }

    /// `theano.tensor.slinalg`: SciPy's linear algebra as graph ops (`cholesky`, `solve` and
    /// its triangular and symmetric forms, `eigvalsh`, `expm`) and `kron`.
    pub mod slinalg {
        pub use theano_linalg::slinalg::*;
        pub use theano_linalg::Structure;
    }

    /// `theano.tensor.extra_ops`: the ops of crates/extra (`searchsorted`, `diff`, `bartlett`,
    /// `fill_diagonal`, `fill_diagonal_offset`, `unique`, `unravel_index`,
    /// `ravel_multi_index`) and those built of other ops (also in [`crate::tensor`]).
    pub mod extra_ops {
        pub use theano_extra::*;
        pub use theano_ir::tensor::{
            bincount, compress, cumprod, cumsum, repeat, squeeze, to_one_hot,
        };
    }

    /// `theano.tensor.fft`: `rfft` and `irfft` (`RFFTOp`, `IRFFTOp`; crates/extra).
    pub mod fft {
        pub use theano_extra::fft::{irfft, rfft};
    }

    /// `theano.tensor.signal`: pooling.
    pub mod signal {
        /// `theano.tensor.signal.pool`: `pool_2d`, `pool_3d` (`Pool`) and their gradient ops.
        pub mod pool {
            pub use theano_ir::pool::{PoolKind, PoolMode};
            pub use theano_ir::tensor::{
                max_pool_2d_same_size, pool_2d, pool_3d, pool_nd, PoolArgs,
            };
        }
    }

    /// `theano.tensor.shared_randomstreams`: `RandomStreams`, whose draws are NumPy's legacy
    /// `RandomState` samples, and the `RandomState` a draw's shared state holds.
    pub mod shared_randomstreams {
        pub use theano_random::mt::{StateError, STATE_LEN};
        pub use theano_random::raw_op::state_type;
        pub use theano_random::{
            is_random_function, random_function_op, rng_of, Dim, Dist, DrawArgs, RandomError,
            RandomState, RandomStreams, Size,
        };
    }
}
pub use theano_ir::{DType, GraphError, Op, TensorType, Variable};
pub use theano_scan::{
    foldl, foldr, map, reduce, scan, OfgBuilder, OpFromGraph, Scan, ScanBody, ScanError, ScanOutput,
};

/// Registers the IR text parsers of the custom ops this library defines (`mrg_uniform`,
/// `MultinomialFromUniform`, `ChoiceFromUniform`, `RandomFunction`, the loop `for`, the
/// linear-algebra ops), so that
/// text holding them parses before the process has built any (each registers itself when
/// first built).
pub fn register_builtin_ops() {
    theano_random::register_ops();
    theano_random::raw_op::register_ops();
    theano_random::multinomial::register_ops();
    theano_scan::register_ops();
    theano_scan::ofg::register_ops();
    theano_linalg::register_ops();
    theano_extra::register_ops();
    theano_nnet::register_ops();
    theano_grad::markers::register_ops();
}
pub use theano_tensor::Tensor;

/// Theano's `theano.sandbox`: `rng_mrg`, the MRG31k3p random streams (crates/random).
pub mod sandbox {
    /// `theano.sandbox.rng_mrg`: `MRG_RandomStreams` and its sampling op.
    pub mod rng_mrg {
        pub use theano_random::mrg::guess_n_streams;
        pub use theano_random::{
            choice_from_uniform_op, is_mrg_uniform, mrg_uniform_op, multinomial_from_uniform_op,
            register_ops, Dim, Draw, MRG_RandomStreams, MrgRandomStreams, RandomError, Seed, Size,
            StateUpdate,
        };
    }
}
