//! theano-scan: Theano's `scan`, a loop as one node of the graph.
//!
//! `scan(fn, sequences, outputs_info, non_sequences, n_steps)` calls `fn` once, on symbolic
//! placeholders (a slice of each sequence, the previous value of each recurrent output, each
//! non-sequence), and makes the graph it returns the body of a `for{cpu,scan_fn}` node
//! ([`op::ScanOp`], an `Op::Custom`) whose outputs are the body's outputs of every step,
//! stacked along a new first axis. Variables the body reads from outside (shared variables,
//! inputs of the outer graph) become inputs of the node, as Theano's implicit
//! non-sequences, so gradients reach them; a shared variable with a default update (a
//! random stream's state) is threaded through the steps instead, and its last value is
//! returned as an update, as Theano's scan returns its updates. The gradient is a second scan running backwards
//! (backpropagation through time), built with the same builder from the body's L-operator.
//!
//! ```
//! use theano_ir::tensor as T;
//! use theano_scan::{scan, Scan};
//! let x = T::dvector("x");
//! // running sum: acc_t = acc_{t-1} + x_t
//! let (outs, updates) = scan(
//!     |a: &[theano_ir::Variable]| Ok(vec![&a[0] + &a[1]]),
//!     Scan::new().sequences([&x]).outputs_info([Some(T::constant(0.0f64))]),
//! )
//! .unwrap();
//! assert_eq!(outs[0].ty().to_string(), "TensorType(float64, vector)");
//! assert!(updates.is_empty());
//! ```

pub mod fold;
pub mod ofg;
pub mod op;
pub mod text;

pub use fold::{foldl, foldr, map, reduce};
pub use ofg::{OfgBuilder, OpFromGraph};
pub use op::{is_scan, scan, Scan, ScanBody, ScanError, ScanOutput};
pub use text::register_ops;
