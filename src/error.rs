//! The errors of compiling and calling functions.

use theano_ir::{GraphError, TensorType};

/// Everything `function()`, `Function::call` and `shared` can refuse. Each variant names the
/// argument or node, the expected and the actual type or shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An impossible graph (from a builder or from `givens`).
    #[error(transparent)]
    Graph(#[from] GraphError),

    /// Compile time: the graph could not be imported into the IR.
    #[error(transparent)]
    Fgraph(#[from] theano_ir::fgraph::FgraphError),

    /// Compile time: the outputs need a symbolic input that is not among the inputs.
    #[error(
        "MissingInputError: the graph needs input {name} ({ty}), which is neither among the \
         function's inputs nor given a value through givens"
    )]
    MissingInput { name: String, ty: TensorType },

    /// Compile time: an input the outputs do not depend on (`on_unused_input=raise`).
    #[error(
        "UnusedInputError: function() was asked to compute outputs from certain inputs, but the \
         input at index {index} is not part of the graph needed to compute the outputs: {name}.\n\
         To make this error into a warning, use on_unused_input(OnUnused::Warn); to disable it, \
         OnUnused::Ignore."
    )]
    UnusedInput { index: usize, name: String },

    /// Compile time: the same variable listed twice among the inputs.
    #[error("the input {name} is listed twice (at indices {first} and {second})")]
    DuplicateInput {
        name: String,
        first: usize,
        second: usize,
    },

    /// Compile time: an input that is a constant, a shared variable or a computed variable.
    #[error("input {index} ({name}) must be a symbolic input variable, not {what}")]
    BadInputVariable {
        index: usize,
        name: String,
        what: &'static str,
    },

    /// Compile time: an update whose target is not a shared variable, or whose type differs.
    #[error("bad update for {target}: {reason}")]
    BadUpdate { target: String, reason: String },

    /// Compile time: a `givens` pair that cannot replace.
    #[error("bad givens for {target}: {reason}")]
    BadGivens { target: String, reason: String },

    /// Call time: too few or too many arguments.
    #[error("{0}")]
    ArgumentCount(String),

    /// Call time: an argument that does not fit its input.
    #[error(
        "Bad input argument to function {function} at index {index} (0-based), input {name} of type \
         {expected}: {reason}"
    )]
    BadArgument {
        function: String,
        index: usize,
        name: String,
        expected: TensorType,
        reason: String,
    },

    /// Call time: a node failed on the values it was given.
    #[error(transparent)]
    Runtime(#[from] NodeError),

    /// A bad THEANO_FLAGS entry or Mode setting.
    #[error(transparent)]
    Config(#[from] crate::flags::FlagError),

    /// `shared` values: `set_value` of another dtype or ndim.
    #[error("{0}")]
    SharedValue(String),

    /// `mode=DebugMode`: a rewrite changed a value. `rewrite` is the replacement's reason (the
    /// rewrite's name), or `optimizer` when only the final outputs differ.
    #[error(
        "DebugMode: rewrite {rewrite} changed a value on this call's inputs: it replaced\n  \
         {old}\nby\n  {new}\nvalue before: {old_value}\nvalue after:  {new_value}"
    )]
    DebugMode {
        rewrite: String,
        old: String,
        new: String,
        old_value: String,
        new_value: String,
    },

    /// A feature selected in the mode that this build does not have.
    #[error("{0}")]
    Unsupported(String),

    /// `device=cuda` or `linker=cuda` in a build without the CUDA runtime (the facade's
    /// `cuda` feature): refused, never run on the CPU instead. (`dump=ptx` needs no device: it
    /// prints what the GPU backend would generate.)
    #[error(
        "{setting}: this build of theano-rs has no CUDA runtime (build with --features cuda), \
         so nothing can run on the GPU (use device=cpu and linker=jit or interp; dump=ptx \
         prints the PTX the GPU backend would run)"
    )]
    NoCudaBackend { setting: String },

    /// `device=cuda` or `linker=cuda` in a build with the CUDA runtime, on a machine where
    /// no device can be used (no driver library, no device, a driver error): refused.
    #[error("{setting}: {reason}")]
    NoCudaDevice { setting: String, reason: String },

    /// A mode setting that cannot take effect as given (a floatX other than the one graphs are
    /// built with, a dump the selected linker cannot produce).
    #[error("mode setting {setting}: {reason}")]
    BadMode { setting: String, reason: String },
}

pub use theano_exec::NodeError;

impl From<theano_exec::LinkError> for Error {
    fn from(e: theano_exec::LinkError) -> Error {
        Error::Unsupported(e.to_string())
    }
}
