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

/// 10,000 functions, each with its own JITModule (one kernel) and runtime workspace, called
/// once and dropped: the code and buffers are freed.
#[test]
fn compiling_and_dropping_functions_does_not_grow_memory() {
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let out = &T::exp(&x) + &y;
    let (a, b) = (
        theano::Tensor::from(vec![1.0, 2.0]),
        theano::Tensor::from(vec![3.0, 4.0]),
    );
    let go = |n: usize| {
        for _ in 0..n {
            let f = compile(&[&x, &y], &out)
                .mode(mode(LinkerKind::Jit))
                .build()
                .unwrap();
            f.call_refs(&[&a, &b]).unwrap();
            drop(f);
        }
    };
    go(200);
    let before = resident_pages();
    go(10_000);
    let after = resident_pages();
    let grown_kib = after.saturating_sub(before) * 4;
    assert!(
        grown_kib < 8 * 1024,
        "resident memory grew by {grown_kib} KiB"
    );
}
