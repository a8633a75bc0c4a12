//! Finding NVIDIA's ptxas and assembling PTX with it: the check every PTX test suite uses
//! (this crate's op suite, theano-cuda's programs). ptxas is `THEANO_PTXAS`, or
//! `target/ptxas/bin/ptxas`, where scripts/setup.sh installs it; set-up leaves
//! `target/ptxas/EXPECTED`, and with it (or `CI` set) a missing ptxas is a failure rather
//! than a skip ([`expected`]).

use std::path::PathBuf;
use std::process::Command;

/// The workspace's `target/` directory.
pub fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

/// ptxas, when present.
pub fn find() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("THEANO_PTXAS") {
        let p = PathBuf::from(p);
        return p.exists().then_some(p);
    }
    let p = target_dir().join("ptxas/bin/ptxas");
    p.exists().then_some(p)
}

/// Whether ptxas must be there: set-up ran (`target/ptxas/EXPECTED`) or `CI` is set.
pub fn expected() -> bool {
    target_dir().join("ptxas/EXPECTED").exists() || std::env::var_os("CI").is_some()
}

/// ptxas for a test: `Ok(Some)` when found, `Ok(None)` (the caller skips, saying why) when
/// it is missing and not expected, `Err` when it is missing but expected.
pub fn for_test() -> Result<Option<PathBuf>, String> {
    match find() {
        Some(p) => Ok(Some(p)),
        None if expected() => Err(
            "ptxas was expected (scripts/setup.sh ran or CI is set) but \
                                   is missing: run scripts/setup.sh or set THEANO_PTXAS"
                .into(),
        ),
        None => Ok(None),
    }
}

/// Assemble PTX module `text` for `sm_{sm}` with `ptxas` (`-O1`, into a scratch file under
/// `dir`, which is created); `Err` holds ptxas's messages and the source's path.
pub fn assemble(
    ptxas: &std::path::Path,
    text: &str,
    sm: u32,
    dir: &std::path::Path,
    stem: &str,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let src = dir.join(format!("{stem}_sm{sm}.ptx"));
    std::fs::write(&src, text).map_err(|e| format!("{}: {e}", src.display()))?;
    let out = Command::new(ptxas)
        .arg(format!("-arch=sm_{sm}"))
        .arg("-O1")
        .arg(&src)
        .arg("-o")
        .arg(dir.join(format!("{stem}_sm{sm}.cubin")))
        .output()
        .map_err(|e| format!("{}: {e}", ptxas.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ptxas sm_{sm} refused {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
