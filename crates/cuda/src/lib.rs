//! theano-cuda: the GPU backend of theano-rs.
//!
//! - [`compile`]: the compile-only linker, always built: for each step of a
//!   [`theano_exec::Program`], the PTX kernels theano-ptx lowers, the cuBLAS call, a view, or
//!   the interpreter, through exec's cascade and storage plan. No device or CUDA is needed;
//!   `dump=ptx` prints it.
//! - [`runtime`]: the GPU runtime over a [`runtime::DeviceOps`]: `device` (feature
//!   `device`), the CUDA device through cudarc, loaded at run time (its entry points first
//!   probe for the driver library, so a machine without one gets [`CudaError::NoDevice`],
//!   never a panic); [`emulated`], theano-ptx's emulator, which runs the same runtime on the
//!   host for the tests.
//!
//! A backend crate: it depends on theano-exec and the crates below it (and theano-ptx),
//! never on the facade or another backend. See docs/GPU.md.

pub mod compile;
#[cfg(feature = "device")]
pub mod device;
pub mod emulated;
pub mod runtime;

pub use theano_ptx as ptx;

pub use compile::{compile_program, CompileOptions, CompiledProgram, KernelKind, StepCode};
pub use runtime::{link_program, Linked};

/// Why the CUDA backend cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CudaError {
    /// No usable device: the driver library is missing, no device is visible, or this build
    /// has no CUDA runtime (the `device` feature).
    #[error("no CUDA device: {0}")]
    NoDevice(String),
    /// The driver, NVRTC/module loader or cuBLAS reported an error.
    #[error("CUDA: {0}")]
    Driver(String),
}

/// Whether a CUDA device can be used: `Ok` with its description, or why not. Never panics:
/// without the `device` feature it says so; with it, the driver library is looked for before
/// any driver call.
pub fn probe() -> Result<String, CudaError> {
    #[cfg(feature = "device")]
    {
        device::probe()
    }
    #[cfg(not(feature = "device"))]
    {
        Err(CudaError::NoDevice(
            "theano-cuda was built without its `device` feature (the facade's `cuda` feature)"
                .into(),
        ))
    }
}
