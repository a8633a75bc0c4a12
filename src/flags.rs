//! `THEANO_FLAGS=key=value,key=value` and the same settings in code ([`Mode`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::RwLock;
use theano_exec::NanGuard;
use theano_ir::DType;

/// A THEANO_FLAGS entry that is not understood: the key, the value, and what is accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlagError {
    #[error("THEANO_FLAGS: unknown key '{key}' (known keys: {known})")]
    UnknownKey { key: String, known: String },
    #[error("THEANO_FLAGS: bad value '{value}' for '{key}' (expected {expected})")]
    BadValue {
        key: String,
        value: String,
        expected: String,
    },
    #[error("THEANO_FLAGS: entry '{entry}' is not of the form key=value")]
    Malformed { entry: String },
}

/// Which backend runs the compiled graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkerKind {
    /// The reference interpreter (theano-interp).
    Interp,
    /// The CPU backend (theano-jit): native code for what it lowers, the interpreter for
    /// the rest (default).
    Jit,
    /// PTX and cuBLAS through CUDA (theano-cuda; the facade's `cuda` feature).
    Cuda,
}

/// Rewrite level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptimizerLevel {
    None,
    FastCompile,
    FastRun,
}

/// Theano's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeKind {
    FastRun,
    FastCompile,
    DebugMode,
    NanGuardMode,
}

/// What the dump flag asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    Ir,
    Rewrites,
    Opt,
    Clif,
    Asm,
    Ptx,
}

/// Compilation settings: THEANO_FLAGS, or set in code.
#[derive(Debug, Clone, PartialEq)]
pub struct Mode {
    pub float_x: DType,
    pub device_cuda: bool,
    pub mode: ModeKind,
    pub optimizer: OptimizerLevel,
    pub optimizer_excluding: Vec<String>,
    pub optimizer_verbose: bool,
    pub exception_verbosity_high: bool,
    pub profile: bool,
    pub linker: LinkerKind,
    pub dump: Vec<DumpKind>,
    pub dump_dir: Option<PathBuf>,
    /// What `mode=NanGuardMode` refuses (`NanGuardMode.nan_is_error` and friends).
    pub nan_guard: NanGuard,
}

impl Default for Mode {
    /// The defaults, with the floatX graphs are being built with
    /// ([`theano_ir::config::float_x`]).
    fn default() -> Mode {
        Mode {
            float_x: theano_ir::config::float_x(),
            device_cuda: false,
            mode: ModeKind::FastRun,
            optimizer: OptimizerLevel::FastRun,
            optimizer_excluding: vec![],
            optimizer_verbose: false,
            exception_verbosity_high: false,
            profile: false,
            linker: LinkerKind::Jit,
            dump: vec![],
            dump_dir: None,
            nan_guard: NanGuard::default(),
        }
    }
}

const KEYS: &[&str] = &[
    "floatX",
    "device",
    "mode",
    "optimizer",
    "optimizer_excluding",
    "optimizer_verbose",
    "exception_verbosity",
    "profile",
    "linker",
    "dump",
    "dump_dir",
    "NanGuardMode.nan_is_error",
    "NanGuardMode.inf_is_error",
    "NanGuardMode.big_is_error",
];

fn bad(key: &str, value: &str, expected: &str) -> FlagError {
    FlagError::BadValue {
        key: key.into(),
        value: value.into(),
        expected: expected.into(),
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, FlagError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(bad(key, v, "True or False")),
    }
}

/// The mode [`Mode::install`] made the process default.
static INSTALLED: RwLock<Option<Mode>> = RwLock::new(None);

impl Mode {
    /// The mode `function()` uses when none is given: the one [`Mode::install`] set, else
    /// `THEANO_FLAGS` over the defaults.
    pub fn current() -> Result<Mode, FlagError> {
        if let Some(m) = INSTALLED.read().ok().and_then(|g| g.clone()) {
            return Ok(m);
        }
        Mode::from_env()
    }

    /// Make this mode the process default, as THEANO_FLAGS would: floatX for the graphs built
    /// from now on (Theano's `config.floatX = ...`), and every other setting for the functions
    /// compiled without an explicit mode.
    pub fn install(&self) -> Result<(), crate::Error> {
        self.check_effective()?;
        theano_ir::config::set_float_x(self.float_x).map_err(|reason| crate::Error::BadMode {
            setting: format!("floatX={}", self.float_x),
            reason,
        })?;
        if let Ok(mut g) = INSTALLED.write() {
            *g = Some(self.clone());
        }
        Ok(())
    }

    /// Refuse what this build cannot honour, rather than ignore it: a GPU (`device=cuda`,
    /// `linker=cuda`: without the `cuda` feature, or with it where no device can be used), a
    /// dump the linker cannot produce, a floatX other than the one graphs are built with
    /// (floatX types graphs when they are built; a mode given to `function()` comes too late
    /// to change it). `dump=ptx` needs no device: on another linker it prints what the GPU
    /// backend would generate (theano-cuda's compile-only path).
    pub fn check_effective(&self) -> Result<(), crate::Error> {
        for (on, setting) in [
            (self.device_cuda, "device=cuda"),
            (self.linker == LinkerKind::Cuda, "linker=cuda"),
        ] {
            if !on {
                continue;
            }
            #[cfg(not(feature = "cuda"))]
            return Err(crate::Error::NoCudaBackend {
                setting: setting.into(),
            });
            #[cfg(feature = "cuda")]
            if let Err(e) = theano_cuda::probe() {
                return Err(crate::Error::NoCudaDevice {
                    setting: setting.into(),
                    reason: e.to_string(),
                });
            }
        }
        for (d, name) in [(DumpKind::Clif, "clif"), (DumpKind::Asm, "asm")] {
            if self.dump.contains(&d) && (self.linker != LinkerKind::Jit || self.device_cuda) {
                return Err(crate::Error::BadMode {
                    setting: format!("dump={name}"),
                    reason: format!(
                        "linker={} generates no machine code to dump (dump={name} needs linker=jit)",
                        match self.linker {
                            LinkerKind::Interp if !self.device_cuda => "interp",
                            _ => "cuda",
                        }
                    ),
                });
            }
        }
        let known = theano_opt::excludable_names();
        if let Some(bad) = self
            .optimizer_excluding
            .iter()
            .find(|e| !known.contains(&e.as_str()))
        {
            return Err(crate::Error::BadMode {
                setting: format!("optimizer_excluding={bad}"),
                reason: format!(
                    "no rewrite or tag is named '{bad}', so it would exclude nothing (known: {})",
                    known.join(", ")
                ),
            });
        }
        let fx = theano_ir::config::float_x();
        if self.float_x != fx {
            return Err(crate::Error::BadMode {
                setting: format!("floatX={}", self.float_x),
                reason: format!(
                    "graphs are being built with floatX={fx}; floatX takes effect when a graph \
                     is built, so set it before building (Mode::install, \
                     theano::config::set_float_x or THEANO_FLAGS=floatX=...)"
                ),
            });
        }
        Ok(())
    }

    /// The settings of `THEANO_FLAGS` over the defaults (an unset variable gives the defaults).
    pub fn from_env() -> Result<Mode, FlagError> {
        match std::env::var("THEANO_FLAGS") {
            Ok(s) => Mode::parse_flags(&s),
            Err(_) => Ok(Mode::default()),
        }
    }

    /// Parse a THEANO_FLAGS string such as `floatX=float32,linker=interp,dump=ir+asm`.
    pub fn parse_flags(s: &str) -> Result<Mode, FlagError> {
        let mut m = Mode::default();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (k, v) = entry.split_once('=').ok_or_else(|| FlagError::Malformed {
                entry: entry.into(),
            })?;
            m.set(k.trim(), v.trim())?;
        }
        Ok(m)
    }

    /// Set one key as THEANO_FLAGS would.
    pub fn set(&mut self, k: &str, v: &str) -> Result<(), FlagError> {
        match k {
            "floatX" => {
                self.float_x = match v {
                    "float64" => DType::Float64,
                    "float32" => DType::Float32,
                    _ => return Err(bad(k, v, "float64 or float32")),
                }
            }
            "device" => {
                self.device_cuda = match v {
                    "cpu" => false,
                    _ if v == "cuda"
                        || v.starts_with("cuda") && v[4..].chars().all(|c| c.is_ascii_digit()) =>
                    {
                        true
                    }
                    _ => return Err(bad(k, v, "cpu or cuda")),
                }
            }
            "mode" => {
                self.mode = match v {
                    "FAST_RUN" => ModeKind::FastRun,
                    "FAST_COMPILE" => {
                        // Theano's FAST_COMPILE: the fast_compile rewrites and the Python
                        // linker (here the interpreter); later keys may override either
                        self.optimizer = OptimizerLevel::FastCompile;
                        self.linker = LinkerKind::Interp;
                        ModeKind::FastCompile
                    }
                    "DebugMode" | "DEBUG_MODE" => ModeKind::DebugMode,
                    "NanGuardMode" => ModeKind::NanGuardMode,
                    _ => {
                        return Err(bad(
                            k,
                            v,
                            "FAST_RUN, FAST_COMPILE, DebugMode or NanGuardMode",
                        ))
                    }
                }
            }
            "optimizer" => {
                self.optimizer = match v {
                    "fast_run" => OptimizerLevel::FastRun,
                    "fast_compile" => OptimizerLevel::FastCompile,
                    "None" | "none" => OptimizerLevel::None,
                    _ => return Err(bad(k, v, "fast_run, fast_compile or None")),
                }
            }
            "optimizer_excluding" => {
                self.optimizer_excluding = v
                    .split(':')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "optimizer_verbose" => self.optimizer_verbose = parse_bool(k, v)?,
            "exception_verbosity" => {
                self.exception_verbosity_high = match v {
                    "low" => false,
                    "high" => true,
                    _ => return Err(bad(k, v, "low or high")),
                }
            }
            "profile" => self.profile = parse_bool(k, v)?,
            "linker" => {
                self.linker = match v {
                    "interp" | "py" => LinkerKind::Interp,
                    "jit" | "cvm" | "c" => LinkerKind::Jit,
                    "cuda" => LinkerKind::Cuda,
                    _ => return Err(bad(k, v, "jit, interp or cuda")),
                }
            }
            "dump" => {
                self.dump = v
                    .split(['+', ':'])
                    .filter(|s| !s.is_empty())
                    .map(|d| match d {
                        "ir" => Ok(DumpKind::Ir),
                        "rewrites" => Ok(DumpKind::Rewrites),
                        "opt" => Ok(DumpKind::Opt),
                        "clif" => Ok(DumpKind::Clif),
                        "asm" => Ok(DumpKind::Asm),
                        "ptx" => Ok(DumpKind::Ptx),
                        _ => Err(bad(
                            k,
                            d,
                            "any of ir, rewrites, opt, clif, asm, ptx joined by +",
                        )),
                    })
                    .collect::<Result<_, _>>()?
            }
            "dump_dir" => self.dump_dir = Some(PathBuf::from(v)),
            "NanGuardMode.nan_is_error" => self.nan_guard.nan_is_error = parse_bool(k, v)?,
            "NanGuardMode.inf_is_error" => self.nan_guard.inf_is_error = parse_bool(k, v)?,
            "NanGuardMode.big_is_error" => self.nan_guard.big_is_error = parse_bool(k, v)?,
            _ => {
                return Err(FlagError::UnknownKey {
                    key: k.into(),
                    known: KEYS.join(", "),
                })
            }
        }
        Ok(())
    }

    /// The interpreter linker, everything else default.
    pub fn interp() -> Mode {
        Mode {
            linker: LinkerKind::Interp,
            ..Mode::default()
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Mode(linker={:?}, optimizer={:?}, mode={:?})",
            self.linker, self.optimizer, self.mode
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_keys() {
        let m = Mode::parse_flags(
            "floatX=float32, linker=interp,optimizer=None,dump=ir+asm,dump_dir=/tmp/d",
        )
        .unwrap();
        assert_eq!(m.float_x, DType::Float32);
        assert_eq!(m.linker, LinkerKind::Interp);
        assert_eq!(m.optimizer, OptimizerLevel::None);
        assert_eq!(m.dump, vec![DumpKind::Ir, DumpKind::Asm]);
        assert_eq!(m.dump_dir, Some(PathBuf::from("/tmp/d")));
    }

    #[test]
    fn names_bad_keys_and_values() {
        let e = Mode::parse_flags("floatX=float16").unwrap_err();
        assert_eq!(
            e.to_string(),
            "THEANO_FLAGS: bad value 'float16' for 'floatX' (expected float64 or float32)"
        );
        let e = Mode::parse_flags("flaotX=float32").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("THEANO_FLAGS: unknown key 'flaotX'"),
            "{e}"
        );
        let e = Mode::parse_flags("linker").unwrap_err();
        assert!(matches!(e, FlagError::Malformed { .. }));
        let e = Mode::parse_flags("dump=ir+bogus").unwrap_err();
        assert!(e.to_string().contains("'bogus' for 'dump'"), "{e}");
    }
}
