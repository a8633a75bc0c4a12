//! theano-random: Theano's random streams.
//!
//! - [`mrg`]: the MRG31k3p generator, its stream jumps and Theano's stream-count guess;
//! - [`op`]: `mrg_uniform`, the sampling op (an [`theano_ir::Op::Custom`] with its reference
//!   implementation; backends run it through their interpreter fallback);
//! - [`streams`]: [`MrgRandomStreams`] (`MRG_RandomStreams`), which builds the draws of
//!   `uniform`, `normal`, `truncated_normal` and `binomial` node for node as Theano 1.0.5
//!   does, so the samples are Theano's for the same seed;
//! - [`mt`]: NumPy's legacy `RandomState` (MT19937, its state as a `uint32` vector, the
//!   legacy samplers), bit for bit;
//! - [`discrete`]: NumPy's legacy `poisson`, `multinomial` and `choice`, bit for bit;
//! - [`raw_op`]: `RandomFunction`, `raw_random`'s op drawing from such a state;
//! - [`shared_streams`]: [`RandomStreams`] (`shared_randomstreams.RandomStreams`): a
//!   `RandomState` per draw in a shared variable, seeded as Theano seeds it.
//!
//! ```
//! use theano_random::MrgRandomStreams;
//! let srng = MrgRandomStreams::new(234).unwrap();
//! let u = srng.uniform([2, 3], 0.0, 1.0).unwrap();
//! assert_eq!(u.ty().to_string(), "TensorType(float64, matrix)");
//! assert_eq!(srng.state_updates()[0].n_streams, 6);
//! ```
//!
//! The tutorial's `RandomStreams`, and reseeding one draw's state by hand
//! (`rng_val = rv_u.rng.get_value(); rng_val.seed(89234); rv_u.rng.set_value(rng_val)`):
//!
//! ```
//! use theano_random::{rng_of, RandomState, RandomStreams};
//! let srng = RandomStreams::new(234).unwrap();
//! let rv_u = srng.uniform([2, 2], 0.0, 1.0).unwrap();
//! assert_eq!(rv_u.ty().to_string(), "TensorType(float64, matrix)");
//! let rng = rng_of(&rv_u).unwrap();
//! let mut rng_val = RandomState::from_tensor(&rng.get_value().unwrap()).unwrap();
//! assert_eq!(rng_val.get_state().0[0], 133003720); // RandomState(234).randint(2**30)
//! rng_val.seed(89234).unwrap();
//! rng.set_value(rng_val.to_tensor()).unwrap();
//! assert_eq!(srng.get(&rv_u).unwrap(), RandomState::new(89234));
//! ```

pub mod discrete;
pub mod mrg;
pub mod mt;
pub mod multinomial;
pub mod op;
pub mod raw_op;
pub mod shared_streams;
pub mod streams;
mod type_text;

pub use mt::{RandomState, StateError};
pub use multinomial::{choice_from_uniform_op, multinomial_from_uniform_op};
pub use op::{is_mrg_uniform, mrg_uniform_op, register_ops};
pub use raw_op::{is_random_function, random_function_op, rng_of, Dist};
pub use shared_streams::{DrawArgs, RandomStreams};
pub use streams::{
    Dim, Draw, MRG_RandomStreams, MrgRandomStreams, RandomError, Seed, Size, StateUpdate,
};
