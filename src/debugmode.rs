//! `mode=DebugMode`: every call also checks the optimizer.
//!
//! The optimized graph keeps its replacement log (`FunctionGraph::history`): one
//! `(reason, old, new)` entry per `replace`, and the arena keeps the replaced (dead) nodes with
//! the inputs they had when they were pruned. So at each call, after the compiled program has
//! run, DebugMode evaluates with the interpreter, on the call's own inputs and shared values,
//! (1) the value before and after every replacement, oldest first, and reports the first
//! rewrite whose two values differ ([`crate::Error::DebugMode`]); then (2) the unoptimized
//! graph's outputs against the compiled program's results.
//!
//! [`Evaluator`] (theano-interp's graph evaluator) computes any value of a `FunctionGraph`, live
//! or dead, memoising what it computed.

pub use theano_interp::eval::{first_bad_replacement, values_agree, EvalError, Evaluator};
