//! theano-random: Theano's random streams.
//!
//! - [`mrg`]: the MRG31k3p generator, its stream jumps and Theano's stream-count guess;
//! - [`op`]: `mrg_uniform`, the sampling op (an [`theano_ir::Op::Custom`] with its reference
//!   implementation; backends run it through their interpreter fallback);
//! - [`streams`]: [`MrgRandomStreams`] (`MRG_RandomStreams`), which builds the draws of
//!   `uniform`, `normal`, `truncated_normal` and `binomial` node for node as Theano 1.0.5
//!   does, so the samples are Theano's for the same seed.
//!
//! ```
//! use theano_random::MrgRandomStreams;
//! let srng = MrgRandomStreams::new(234).unwrap();
//! let u = srng.uniform([2, 3], 0.0, 1.0).unwrap();
//! assert_eq!(u.ty().to_string(), "TensorType(float64, matrix)");
//! assert_eq!(srng.state_updates()[0].n_streams, 6);
//! ```

pub mod mrg;
pub mod op;
pub mod streams;

pub use op::{is_mrg_uniform, mrg_uniform_op, register_ops};
pub use streams::{
    Dim, Draw, MRG_RandomStreams, MrgRandomStreams, RandomError, Seed, Size, StateUpdate,
};
