//! The error of a node that failed at run time, shared by every backend.

use std::fmt;
use std::panic::Location;
use theano_ir::TensorType;
use theano_tensor::py_tuple;

/// A node that failed at run time: the Apply node, every input's type and shape, the message of
/// the op, and the line of user code that built the node.
#[derive(Clone, PartialEq)]
pub struct NodeError {
    /// What went wrong, as the op reported it.
    pub message: String,
    /// The node, as `Elemwise{add,no_inplace}(x, y)`.
    pub node: String,
    /// The node's index in the schedule.
    pub toposort_index: usize,
    /// Each input's type.
    pub input_types: Vec<TensorType>,
    /// Each input's shape.
    pub input_shapes: Vec<Vec<usize>>,
    /// Where the node was built.
    pub location: &'static Location<'static>,
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.message)?;
        writeln!(f, "Apply node that caused the error: {}", self.node)?;
        writeln!(f, "Toposort index: {}", self.toposort_index)?;
        let tys: Vec<String> = self.input_types.iter().map(|t| t.to_string()).collect();
        writeln!(f, "Inputs types: [{}]", tys.join(", "))?;
        let shapes: Vec<String> = self.input_shapes.iter().map(|s| py_tuple(s)).collect();
        writeln!(f, "Inputs shapes: [{}]", shapes.join(", "))?;
        write!(
            f,
            "Node built at: {}:{}:{}",
            self.location.file(),
            self.location.line(),
            self.location.column()
        )
    }
}

impl fmt::Debug for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for NodeError {}
