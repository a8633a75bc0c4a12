//! Graph-building errors: typed, naming the op, the input types and the user's source line.

use crate::TensorType;
use std::fmt;
use std::panic::Location;

/// An impossible graph: the op, every input type, what was wrong, and where the user built it.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphError {
    /// The op (or builder function) that refused its inputs, e.g. `dot`, `Elemwise{and_}`.
    pub op: String,
    /// The types of the inputs it was given.
    pub input_types: Vec<TensorType>,
    /// What was wrong.
    pub message: String,
    /// The line of user code that asked for the node.
    pub location: &'static Location<'static>,
}

impl GraphError {
    pub fn new(
        op: impl Into<String>,
        input_types: Vec<TensorType>,
        message: impl Into<String>,
        location: &'static Location<'static>,
    ) -> GraphError {
        GraphError {
            op: op.into(),
            input_types,
            message: message.into(),
            location,
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)?;
        if !self.input_types.is_empty() {
            let tys: Vec<String> = self.input_types.iter().map(|t| t.to_string()).collect();
            write!(f, "; input types: [{}]", tys.join(", "))?;
        }
        write!(
            f,
            " (node built at {}:{}:{})",
            self.location.file(),
            self.location.line(),
            self.location.column()
        )
    }
}

impl fmt::Debug for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for GraphError {}

pub type Result<T, E = GraphError> = std::result::Result<T, E>;
