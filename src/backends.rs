//! The backends this build has: the registry the driver picks a linker from (`linker=`), and
//! the list the filetests run every graph on. A new backend is one entry here.

use crate::flags::{DumpKind, LinkerKind, Mode};
use crate::Error;
use theano_exec::{InterpLinker, Linker};

/// One backend: the `linker=` value that selects it and how a mode configures it.
pub struct Backend {
    pub kind: LinkerKind,
    pub name: &'static str,
    pub make: fn(&Mode) -> Box<dyn Linker>,
    /// Whether it can run on this machine: `Err` says why not (the CUDA backend without a
    /// device); the filetests skip such a backend, saying so.
    pub available: fn() -> Result<(), String>,
}

/// Every backend built in, the reference interpreter first.
pub static BACKENDS: &[Backend] = &[
    Backend {
        kind: LinkerKind::Interp,
        name: "interp",
        make: |_| Box::new(InterpLinker),
        available: || Ok(()),
    },
    Backend {
        kind: LinkerKind::Jit,
        name: "jit",
        make: |mode| {
            Box::new(theano_jit::JitLinker {
                dump_clif: mode.dump.contains(&DumpKind::Clif),
                dump_asm: mode.dump.contains(&DumpKind::Asm),
                dump_dir: mode.dump_dir.clone(),
            })
        },
        available: || Ok(()),
    },
    #[cfg(feature = "cuda")]
    Backend {
        kind: LinkerKind::Cuda,
        name: "cuda",
        make: |mode| {
            Box::new(theano_cuda::device::CudaLinker {
                dump_ptx: mode.dump.contains(&DumpKind::Ptx),
                dump_dir: mode.dump_dir.clone(),
            })
        },
        available: || theano_cuda::probe().map(|_| ()).map_err(|e| e.to_string()),
    },
];

/// The linker `mode.linker` names, configured by the mode; a kind this build has no backend
/// for is refused (`Mode::check_effective` says so first, naming the setting).
/// `device=cuda` selects the CUDA backend whatever `linker=` says.
pub fn linker_for(mode: &Mode) -> Result<Box<dyn Linker>, Error> {
    let kind = if mode.device_cuda {
        LinkerKind::Cuda
    } else {
        mode.linker
    };
    BACKENDS
        .iter()
        .find(|b| b.kind == kind)
        .map(|b| (b.make)(mode))
        .ok_or_else(|| Error::NoCudaBackend {
            setting: format!("linker={kind:?}").to_lowercase(),
        })
}
