//! [`PerformError`]: why an op could not compute its outputs from these input values.

use std::fmt;

/// What went wrong, by class. The message names the shapes and values involved; the op name
/// is filled in by [`crate::perform`], the node and source line by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PerformError {
    /// Shapes that do not fit together: broadcasting, dot, join, reshape, a broadcastable
    /// dimension that is not 1, a value that does not fit the indexed region.
    #[error("{}{msg}", Prefix(op))]
    Shape { op: String, msg: String },
    /// An index or axis outside its dimension.
    #[error("{}{msg}", Prefix(op))]
    Index { op: String, msg: String },
    /// A value the op refuses: a negative integer power, a zero step, an empty reduction
    /// without identity, a negative dimension length.
    #[error("{}{msg}", Prefix(op))]
    Value { op: String, msg: String },
    /// Inputs of the wrong number, dtype or dimensionality for the op.
    #[error("{}{msg}", Prefix(op))]
    Input { op: String, msg: String },
    /// The interpreter has no implementation of the op (`Op::Custom`).
    #[error("{}no implementation in the interpreter", Prefix(op))]
    NotImplemented { op: String },
}

struct Prefix<'a>(&'a str);
impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}

impl PerformError {
    pub(crate) fn shape(msg: impl Into<String>) -> PerformError {
        PerformError::Shape {
            op: String::new(),
            msg: msg.into(),
        }
    }
    pub(crate) fn index(msg: impl Into<String>) -> PerformError {
        PerformError::Index {
            op: String::new(),
            msg: msg.into(),
        }
    }
    pub(crate) fn value(msg: impl Into<String>) -> PerformError {
        PerformError::Value {
            op: String::new(),
            msg: msg.into(),
        }
    }
    pub(crate) fn input(msg: impl Into<String>) -> PerformError {
        PerformError::Input {
            op: String::new(),
            msg: msg.into(),
        }
    }

    /// The op's name (`Elemwise{add,no_inplace}`, `Reshape{2}`...).
    pub fn op(&self) -> &str {
        match self {
            PerformError::Shape { op, .. }
            | PerformError::Index { op, .. }
            | PerformError::Value { op, .. }
            | PerformError::Input { op, .. }
            | PerformError::NotImplemented { op } => op,
        }
    }

    /// The message without the op name.
    pub fn message(&self) -> &str {
        match self {
            PerformError::Shape { msg, .. }
            | PerformError::Index { msg, .. }
            | PerformError::Value { msg, .. }
            | PerformError::Input { msg, .. } => msg,
            PerformError::NotImplemented { .. } => "no implementation in the interpreter",
        }
    }

    /// Set the op name.
    pub fn with_op(mut self, name: impl Into<String>) -> PerformError {
        let name = name.into();
        match &mut self {
            PerformError::Shape { op, .. }
            | PerformError::Index { op, .. }
            | PerformError::Value { op, .. }
            | PerformError::Input { op, .. }
            | PerformError::NotImplemented { op } => *op = name,
        }
        self
    }
}

pub(crate) type R<T> = Result<T, PerformError>;
