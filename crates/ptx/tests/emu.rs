//! The emulator's own semantics: warp shuffles, barriers, and the errors it raises where
//! the hardware's behaviour is unspecified.

use theano_ptx::emu::{launch, Dims, Memory};
use theano_ptx::ir::{BinOp, Builder, Cmp, Space, Sreg, Ty};

/// out[tid] = sum over the warp of tid, by a butterfly of shuffles.
fn warp_sum_kernel() -> theano_ptx::Kernel {
    let mut b = Builder::new("warp_sum");
    let p = b.param("out", Ty::U64);
    let out = b.ld_param(p);
    let tid = b.sreg(Sreg::TidX);
    let mut acc = tid;
    for s in [16, 8, 4, 2, 1] {
        let m = b.int(Ty::U32, s);
        let o = b.shfl_bfly(acc, m);
        acc = b.bin(BinOp::Add, Ty::U32, acc, o);
    }
    let t64 = b.cvt(Ty::U64, Ty::U32, None, tid);
    let four = b.int(Ty::U64, 4);
    let a = b.fma(Ty::U64, t64, four, out);
    b.st(Space::Global, Ty::U32, a, 0, vec![acc]);
    b.finish()
}

#[test]
fn butterfly_shuffles_sum_each_warp() {
    let k = warp_sum_kernel();
    let mut mem = Memory::default();
    let buf = mem.alloc(vec![0; 64 * 4]);
    launch(
        &k,
        Dims { grid: 1, block: 64 },
        &[Memory::addr(buf, 0)],
        &mut mem,
    )
    .unwrap();
    let got: Vec<u32> = mem.bufs[buf]
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let w0: u32 = (0..32).sum();
    let w1: u32 = (32..64).sum();
    assert!(got[..32].iter().all(|&v| v == w0), "{got:?}");
    assert!(got[32..].iter().all(|&v| v == w1), "{got:?}");
    // a partial warp cannot take part in a full-mask shuffle
    let e = launch(
        &k,
        Dims { grid: 1, block: 48 },
        &[Memory::addr(buf, 0)],
        &mut mem,
    )
    .unwrap_err();
    assert!(e.to_string().contains("warp of 16"), "{e}");
}

#[test]
fn barrier_after_an_exit_is_an_error() {
    // threads with tid >= 16 return before the barrier the others wait at
    let mut b = Builder::new("bad_bar");
    let tid = b.sreg(Sreg::TidX);
    let c = b.int(Ty::U32, 16);
    let p = b.setp(Cmp::Ge, Ty::U32, tid, c);
    let l = b.label();
    b.bra_if(p, false, l);
    b.ret();
    b.place(l);
    b.bar();
    let k = b.finish();
    let e = launch(&k, Dims { grid: 1, block: 32 }, &[], &mut Memory::default()).unwrap_err();
    assert!(e.to_string().contains("exited"), "{e}");
}

#[test]
fn unspecified_behaviour_is_an_error() {
    // integer division by zero and an out-of-bounds store
    let mut b = Builder::new("div0");
    let x = b.int(Ty::S32, 7);
    let z = b.int(Ty::S32, 0);
    b.bin(BinOp::Div, Ty::S32, x, z);
    let k = b.finish();
    let e = launch(&k, Dims { grid: 1, block: 1 }, &[], &mut Memory::default()).unwrap_err();
    assert!(e.to_string().contains("division by zero"), "{e}");

    let mut b = Builder::new("oob");
    let p = b.param("out", Ty::U64);
    let out = b.ld_param(p);
    let v = b.int(Ty::U32, 1);
    b.st(Space::Global, Ty::U32, out, 4, vec![v]);
    let k = b.finish();
    let mut mem = Memory::default();
    let buf = mem.alloc(vec![0; 4]);
    let e = launch(
        &k,
        Dims { grid: 1, block: 1 },
        &[Memory::addr(buf, 0)],
        &mut mem,
    )
    .unwrap_err();
    assert!(e.to_string().contains("4-byte buffer"), "{e}");
}

#[test]
fn shared_memory_and_barriers_exchange_values() {
    // each thread writes its tid to smem[tid], barrier, reads smem[tid ^ 1]
    let mut b = Builder::new("swap");
    let p = b.param("out", Ty::U64);
    let out = b.ld_param(p);
    let sh = b.shared("swap_smem", 4, 4 * 64);
    let base = b.shared_addr(sh);
    let tid = b.sreg(Sreg::TidX);
    let four = b.int(Ty::U32, 4);
    let a = b.fma(Ty::U32, tid, four, base);
    b.st(Space::Shared, Ty::U32, a, 0, vec![tid]);
    b.bar();
    let one = b.int(Ty::U32, 1);
    let peer = b.bin(BinOp::Xor, Ty::B32, tid, one);
    let pa = b.fma(Ty::U32, peer, four, base);
    let v = b.ld(Space::Shared, Ty::U32, Ty::U32, 1, pa, 0)[0];
    let t64 = b.cvt(Ty::U64, Ty::U32, None, tid);
    let f64 = b.int(Ty::U64, 4);
    let ga = b.fma(Ty::U64, t64, f64, out);
    b.st(Space::Global, Ty::U32, ga, 0, vec![v]);
    let k = b.finish();
    let mut mem = Memory::default();
    let buf = mem.alloc(vec![0; 64 * 4]);
    launch(
        &k,
        Dims { grid: 1, block: 64 },
        &[Memory::addr(buf, 0)],
        &mut mem,
    )
    .unwrap();
    let got: Vec<u32> = mem.bufs[buf]
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let want: Vec<u32> = (0..64u32).map(|t| t ^ 1).collect();
    assert_eq!(got, want);
}

#[test]
fn malformed_kernels_are_refused() {
    // a branch to a label that is never placed
    let mut b = Builder::new("dangling");
    let l = b.label();
    b.bra(l);
    let k = b.finish();
    assert!(k.verify().is_err());
    let e = launch(&k, Dims { grid: 1, block: 1 }, &[], &mut Memory::default()).unwrap_err();
    assert!(e.to_string().contains("label 0"), "{e}");
}

#[test]
fn in_place_through_the_non_coherent_path_is_an_error() {
    // an elementwise kernel reads its inputs with ld.global.nc: run in place (the output is
    // the input's buffer), the emulator refuses, as the hardware may serve stale data
    use theano_ptx::elemwise::{lower_elemwise, Layout};
    use theano_tensor::DType;
    let k = lower_elemwise(
        "neg",
        &theano_ir::ScalarOp::Neg,
        &[DType::Float32],
        DType::Float32,
        1,
        Layout::Contiguous,
        Default::default(),
    )
    .unwrap()
    .kernel;
    let mut mem = Memory::default();
    let buf = mem.alloc(vec![0; 16 * 4]);
    let a = Memory::addr(buf, 0);
    let e = launch(&k, Dims { grid: 1, block: 32 }, &[a, a, 16], &mut mem).unwrap_err();
    assert!(e.to_string().contains("ld.global.nc"), "{e}");
    // separate buffers are fine
    let out = mem.alloc(vec![0; 16 * 4]);
    launch(
        &k,
        Dims { grid: 1, block: 32 },
        &[Memory::addr(out, 0), a, 16],
        &mut mem,
    )
    .unwrap();
}
