//! Printers of the user's graph, as Theano 1.0 prints them.
//!
//! - [`pp`]: Theano's `pprint`, a math-like one-line expression: `((x + y) * TensorConstant{2})`.
//! - [`debugprint`] / [`debugprint_with`]: Theano's `theano.printing.debugprint`, one line per
//!   variable, indented by depth, with `[id A]` identifiers shared by nodes seen twice.
//! - [`pydotprint_dot`] / [`pydotprint`]: Theano's `pydotprint`, as graphviz DOT text, and
//!   rendered to SVG/PNG/PDF by the `dot` program when it is installed.
//!
//! - [`Print`]: Theano's `theano.printing.Print` op, which shows a value as it passes.
//!
//! All three walk the graph with explicit stacks, so very deep graphs do not overflow the
//! stack.

mod debug;
mod dot;
mod pretty;
mod print_op;

pub use debug::{debugprint, debugprint_with, DebugPrintOptions, IdStyle};
pub use dot::{
    pydotprint, pydotprint_dot, pydotprint_dot_with, pydotprint_with, DotOptions, PrintError,
};
pub use pretty::pp;
pub(crate) use print_op::register as register_print;
pub use print_op::{Print, ATTRS as PRINT_ATTRS};
