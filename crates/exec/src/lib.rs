//! The execution layer every backend shares: the [`Program`] a compiled function becomes
//! ([`schedule`] makes it from an optimized graph), the [`Linker`]/[`Executable`] seam a
//! backend implements, the errors it returns, the update protocol (checked, then committed
//! all or nothing), the writing of dumps, and the interpreter linker, which is also the
//! fallback of every step a backend does not lower.
//!
//! A backend crate depends on this one (and the crates below it), never on the facade or on
//! another backend. docs/ARCHITECTURE.md ("Adding a backend") lists what it implements.

pub mod dump;
mod error;
pub mod interp;
pub mod kernel;
pub mod linker;
pub mod plan;
pub mod profile;
pub mod program;
pub mod schedule;
pub mod view;

pub use error::NodeError;
pub use interp::InterpLinker;
pub use linker::{CodeDump, Executable, LinkError, Linker, Results, RunError};
pub use plan::{select_lowering, Lowerer, Lowering, StoragePlan};
pub use program::{
    Arg, Branches, CellArg, NanGuard, OutSink, Program, Step, StepPath, StepTimes, Watch,
};
pub use schedule::{schedule, Interface};
