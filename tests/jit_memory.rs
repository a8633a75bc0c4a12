//! Compiling and dropping JIT functions frees their code (its own process: other tests'
//! allocations would blur the measurement).

use theano::{compile, LinkerKind, Mode};
use theano_ir::tensor as T;

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

fn resident_pages() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    s.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn compiling_and_dropping_functions_does_not_grow_memory() {
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let out = &T::exp(&x) + &y;
    let go = |n: usize| {
        for _ in 0..n {
            let f = compile(&[&x, &y], &out)
                .mode(mode(LinkerKind::Jit))
                .build()
                .unwrap();
            drop(f);
        }
    };
    go(50);
    let before = resident_pages();
    go(1000);
    let after = resident_pages();
    let grown_kib = after.saturating_sub(before) * 4;
    assert!(
        grown_kib < 8 * 1024,
        "resident memory grew by {grown_kib} KiB"
    );
}
