//! Writing dumps (`THEANO_FLAGS=dump=...`): to stderr, or to a file under `dump_dir`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh number for this process's next dump file set.
pub fn next_id() -> usize {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// Print `text` to stderr, or write it to `DIR/<stem>-<pid>-<n>.<ext>` when `dir` is set; the
/// error says which file could not be written.
pub fn write(
    dir: Option<&Path>,
    stem: &str,
    n: usize,
    ext: &str,
    text: &str,
) -> Result<(), String> {
    match dir {
        Some(dir) => {
            let path = dir.join(format!("{stem}-{}-{n}.{ext}", std::process::id()));
            std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(&path, text))
                .map_err(|e| format!("dump_dir: cannot write {}: {e}", path.display()))
        }
        None => {
            eprintln!("{text}");
            Ok(())
        }
    }
}
