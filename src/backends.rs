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
}

/// Every backend built in, the reference interpreter first.
pub static BACKENDS: &[Backend] = &[
    Backend {
        kind: LinkerKind::Interp,
        name: "interp",
        make: |_| Box::new(InterpLinker),
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
    },
];

/// The linker `mode.linker` names, configured by the mode; a kind this build has no backend
/// for is refused (`Mode::check_effective` says so first, naming the setting).
pub fn linker_for(mode: &Mode) -> Result<Box<dyn Linker>, Error> {
    BACKENDS
        .iter()
        .find(|b| b.kind == mode.linker)
        .map(|b| (b.make)(mode))
        .ok_or_else(|| Error::NoCudaBackend {
            setting: format!("linker={:?}", mode.linker).to_lowercase(),
        })
}
