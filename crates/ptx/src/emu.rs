//! The emulator: an executable model of the kernel IR on host buffers.
//!
//! A launch runs its blocks one after another; inside a block every thread is its own
//! interpreter (a program counter and a register file of raw bits, one `u64` per value)
//! that runs until it reaches `bar.sync`, `shfl.sync` or `ret`. When no thread can run,
//! the scheduler releases a barrier (every thread of the block waiting at one) or performs a
//! shuffle (all 32 lanes of a warp waiting at the same `shfl.sync`); anything else is a
//! deadlock and an error, as are a barrier or full-mask shuffle that an exited thread can
//! never reach. The model is strict where the hardware is undefined: integer division by
//! zero, misaligned or out-of-bounds accesses, a buffer both written and read through the
//! non-coherent path (`ld.global.nc`) in one launch, and runaway loops are errors, so a
//! lowering that relies on unspecified behaviour fails its tests. Threads of a block run in
//! ascending order in one phase and descending in the next, so a missing barrier shows.
//!
//! The approximate instructions are modelled with an error at their documented bound:
//! `ex2.approx.ftz` returns the correctly rounded 2^x moved by up to 2 ulp, and
//! `lg2.approx.ftz` adds up to 2^-22 absolute, the direction chosen from the input's bits
//! (deterministic), so the ulp tests of the f32 functions that use them see the hardware's
//! worst case rather than an exact result.

use crate::ir::{BinOp, Cmp, Inst, Kernel, Rnd, Space, Sreg, Ty, UnOp, Val};
use std::collections::HashMap;

/// What went wrong in an emulated launch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmuError {
    #[error("kernel {kernel}: {what} (block {block}, thread {thread}, instruction {pc})")]
    Fault {
        kernel: String,
        what: String,
        block: u32,
        thread: u32,
        pc: usize,
    },
    #[error("kernel {kernel}: {what} (block {block})")]
    Sync {
        kernel: String,
        what: String,
        block: u32,
    },
    #[error("launch of {kernel}: {what}")]
    Launch { kernel: String, what: String },
}

/// Global memory: buffers at distinct 64-bit address ranges (buffer `i` starts at
/// `(i + 1) << 40`), so an address names its buffer and an overrun is caught.
#[derive(Default, Debug, Clone)]
pub struct Memory {
    pub bufs: Vec<Vec<u8>>,
    /// per buffer during a launch: bit 0 read through `.nc`, bit 1 written
    touched: Vec<u8>,
}

const BUF_SHIFT: u32 = 40;

impl Memory {
    /// Add a buffer; returns its index.
    pub fn alloc(&mut self, bytes: Vec<u8>) -> usize {
        self.bufs.push(bytes);
        self.bufs.len() - 1
    }
    /// The device address of byte `off` of buffer `buf`.
    pub fn addr(buf: usize, off: usize) -> u64 {
        (((buf as u64) + 1) << BUF_SHIFT) + off as u64
    }
}

/// Grid and block sizes (1-d).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    pub grid: u32,
    pub block: u32,
}

/// Instructions one thread may execute before the launch is declared runaway.
const MAX_STEPS: u64 = 50_000_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Run,
    Bar(usize),
    Shfl(usize),
    Done,
}

struct Thread {
    pc: usize,
    regs: Vec<u64>,
    state: State,
    steps: u64,
}

/// Run `k` over `dims` with parameter values `params` (raw bits, one per kernel parameter).
pub fn launch(k: &Kernel, dims: Dims, params: &[u64], mem: &mut Memory) -> Result<(), EmuError> {
    k.verify().map_err(|what| EmuError::Launch {
        kernel: k.name.clone(),
        what: format!("malformed kernel: {what}"),
    })?;
    if params.len() != k.params.len() {
        return Err(EmuError::Launch {
            kernel: k.name.clone(),
            what: format!(
                "{} parameters given, {} declared",
                params.len(),
                k.params.len()
            ),
        });
    }
    if dims.block == 0 || dims.block > 1024 {
        return Err(EmuError::Launch {
            kernel: k.name.clone(),
            what: format!("block size {} outside 1..=1024", dims.block),
        });
    }
    let labels: HashMap<u32, usize> = k
        .body
        .iter()
        .enumerate()
        .filter_map(|(i, ins)| match ins {
            Inst::Label(l) => Some((l.0, i)),
            _ => None,
        })
        .collect();
    // shared arrays laid out from 256, each aligned
    let mut shared_base = Vec::new();
    let mut top = 256usize;
    for s in &k.shared {
        top = top.div_ceil(s.align.max(1)) * s.align.max(1);
        shared_base.push(top);
        top += s.bytes;
    }
    mem.touched = vec![0; mem.bufs.len()];
    let ctx = Ctx {
        k,
        labels,
        shared_base,
        params,
        dims,
    };
    for block in 0..dims.grid {
        let mut smem = vec![0xCDu8; top];
        let mut threads: Vec<Thread> = (0..dims.block)
            .map(|_| Thread {
                pc: 0,
                regs: vec![0; k.vals.len()],
                state: State::Run,
                steps: 0,
            })
            .collect();
        // threads run in ascending order in even phases and descending in odd ones, so a
        // missing barrier shows whichever thread the missing order favours
        let mut phase = 0usize;
        loop {
            let n = threads.len();
            for i in 0..n {
                let t = if phase.is_multiple_of(2) {
                    i
                } else {
                    n - 1 - i
                };
                let th = &mut threads[t];
                if th.state == State::Run {
                    ctx.run(th, block, t as u32, mem, &mut smem)?;
                }
            }
            phase += 1;
            let sync_err = |what: String| EmuError::Sync {
                kernel: k.name.clone(),
                what,
                block,
            };
            if threads.iter().all(|t| t.state == State::Done) {
                break;
            }
            if threads.iter().any(|t| matches!(t.state, State::Shfl(_))) {
                let mut progress = false;
                for w0 in (0..threads.len()).step_by(32) {
                    let w1 = (w0 + 32).min(threads.len());
                    let State::Shfl(pc) = threads[w0].state else {
                        continue;
                    };
                    if !threads[w0..w1].iter().all(|t| t.state == State::Shfl(pc)) {
                        continue;
                    }
                    if w1 - w0 != 32 {
                        return Err(sync_err(format!(
                            "shfl.sync with a full mask in a warp of {} threads",
                            w1 - w0
                        )));
                    }
                    let Inst::ShflBfly { dst, a, lane_mask } = &k.body[pc] else {
                        unreachable!("a thread waits at a shuffle");
                    };
                    let vals: Vec<u64> = threads[w0..w1]
                        .iter()
                        .map(|t| t.regs[a.0 as usize] & 0xffff_ffff)
                        .collect();
                    for (lane, th) in threads[w0..w1].iter_mut().enumerate() {
                        let m = (th.regs[lane_mask.0 as usize] & 31) as usize;
                        th.regs[dst.0 as usize] = vals[lane ^ m];
                        th.pc = pc + 1;
                        th.state = State::Run;
                    }
                    progress = true;
                }
                if !progress {
                    return Err(sync_err(
                        "deadlock: a warp's lanes wait at different instructions".into(),
                    ));
                }
                continue;
            }
            let done = threads.iter().filter(|t| t.state == State::Done).count();
            if done > 0 {
                return Err(sync_err(format!(
                    "bar.sync reached by {} threads while {done} have exited",
                    threads.len() - done
                )));
            }
            for th in threads.iter_mut() {
                if let State::Bar(pc) = th.state {
                    th.pc = pc + 1;
                    th.state = State::Run;
                }
            }
        }
    }
    Ok(())
}

struct Ctx<'a> {
    k: &'a Kernel,
    labels: HashMap<u32, usize>,
    shared_base: Vec<usize>,
    params: &'a [u64],
    dims: Dims,
}

fn sext(bits: u64, w: u32) -> i64 {
    if w >= 64 {
        bits as i64
    } else {
        ((bits << (64 - w)) as i64) >> (64 - w)
    }
}

fn mask(w: u32) -> u64 {
    if w >= 64 {
        u64::MAX
    } else {
        (1u64 << w) - 1
    }
}

/// The bits of `v` as an integer of type `t` (sign- or zero-extended from its width).
fn int_of(v: u64, t: Ty) -> i128 {
    let w = (t.size() * 8) as u32;
    if t.is_signed() {
        sext(v, w) as i128
    } else {
        (v & mask(w)) as i128
    }
}

/// An integer result of type `t` written to a register of class width `rw`: truncated to
/// the type's width, then sign- or zero-extended to the register.
fn put_int(v: i128, t: Ty, rw: u32) -> u64 {
    let w = (t.size() * 8) as u32;
    let b = (v as u64) & mask(w);
    if t.is_signed() {
        (sext(b, w) as u64) & mask(rw)
    } else {
        b & mask(rw)
    }
}

fn reg_width(t: Ty) -> u32 {
    match t {
        Ty::Pred => 1,
        t if t.size() <= 2 => 16,
        t => (t.size() * 8) as u32,
    }
}

fn f32_of(v: u64) -> f32 {
    f32::from_bits(v as u32)
}
fn f64_of(v: u64) -> f64 {
    f64::from_bits(v)
}

/// Flush a subnormal f32 to a zero of the same sign (`.ftz`).
fn ftz(x: f32) -> f32 {
    if x.is_subnormal() {
        0.0f32.copysign(x)
    } else {
        x
    }
}

/// The modelled `ex2.approx.ftz.f32`: the correctly rounded result moved by up to 2 ulp
/// (the documented bound is taken as 2 ulp; which way is chosen from the input's bits).
pub fn ex2_approx(x: f32) -> f32 {
    let x = ftz(x);
    if x.is_nan() {
        return f32::NAN;
    }
    let r = ftz((x as f64).exp2() as f32);
    if r == 0.0 || r.is_infinite() {
        return r;
    }
    let e = ((x.to_bits() >> 3) % 5) as i32 - 2; // -2..=2 ulp
    ftz(f32::from_bits((r.to_bits() as i32 + e) as u32))
}

/// The modelled `lg2.approx.ftz.f32`.
pub fn lg2_approx(x: f32) -> f32 {
    let x = ftz(x);
    if x.is_nan() || x < 0.0 {
        return f32::NAN;
    }
    if x == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x.is_infinite() {
        return f32::INFINITY;
    }
    let e = ((x.to_bits() >> 3) % 3) as f64 - 1.0;
    ((x as f64).log2() + e * 2f64.powi(-22)) as f32
}

fn fcmp<T: PartialOrd + Copy>(cmp: Cmp, a: T, b: T, nan: bool) -> bool {
    match cmp {
        Cmp::Eq => !nan && a == b,
        Cmp::Ne => !nan && a != b,
        Cmp::Lt => !nan && a < b,
        Cmp::Le => !nan && a <= b,
        Cmp::Gt => !nan && a > b,
        Cmp::Ge => !nan && a >= b,
        Cmp::Neu => nan || a != b,
        Cmp::Nan => nan,
    }
}

impl Ctx<'_> {
    fn fault(&self, what: String, block: u32, thread: u32, pc: usize) -> EmuError {
        EmuError::Fault {
            kernel: self.k.name.clone(),
            what,
            block,
            thread,
            pc,
        }
    }

    fn ty(&self, v: Val) -> Ty {
        self.k.vals[v.0 as usize]
    }

    /// Run one thread until it blocks or exits.
    fn run(
        &self,
        th: &mut Thread,
        block: u32,
        tid: u32,
        mem: &mut Memory,
        smem: &mut [u8],
    ) -> Result<(), EmuError> {
        loop {
            let pc = th.pc;
            th.steps += 1;
            if th.steps > MAX_STEPS {
                return Err(self.fault("runaway: step limit reached".into(), block, tid, pc));
            }
            let Some(ins) = self.k.body.get(pc) else {
                return Err(self.fault("fell off the end of the kernel".into(), block, tid, pc));
            };
            let r = |v: Val| th.regs[v.0 as usize];
            let mut next = pc + 1;
            let (dst, val): (Option<Val>, u64) = match ins {
                Inst::LdParam { dst, param } => (Some(*dst), self.params[*param]),
                Inst::Sreg { dst, reg } => {
                    let v = match reg {
                        Sreg::TidX => tid,
                        Sreg::NtidX => self.dims.block,
                        Sreg::CtaidX => block,
                        Sreg::NctaidX => self.dims.grid,
                        Sreg::LaneId => tid % 32,
                    };
                    (Some(*dst), v as u64)
                }
                Inst::SharedAddr { dst, shared } => (Some(*dst), self.shared_base[*shared] as u64),
                Inst::Imm { dst, bits } => (Some(*dst), *bits),
                Inst::Mov { dst, src } | Inst::BitCast { dst, src } => (Some(*dst), r(*src)),
                Inst::Un { op, ty, dst, a } => {
                    let a = r(*a);
                    let v = match (op, ty) {
                        (UnOp::Not, Ty::Pred) => (a & 1) ^ 1,
                        (UnOp::Not, t) => !a & mask((t.size() * 8) as u32),
                        (UnOp::Neg, Ty::F32) => (a ^ 0x8000_0000) & 0xffff_ffff,
                        (UnOp::Neg, Ty::F64) => a ^ (1 << 63),
                        (UnOp::Abs, Ty::F32) => a & 0x7fff_ffff,
                        (UnOp::Abs, Ty::F64) => a & !(1 << 63),
                        (UnOp::Neg, t) => put_int(-int_of(a, *t), *t, reg_width(*t)),
                        (UnOp::Abs, t) => put_int(int_of(a, *t).abs(), *t, reg_width(*t)),
                        (UnOp::Sqrt, Ty::F32) => f32_of(a).sqrt().to_bits() as u64,
                        (UnOp::Sqrt, Ty::F64) => f64_of(a).sqrt().to_bits(),
                        (UnOp::Rcp, Ty::F32) => (1.0 / f32_of(a)).to_bits() as u64,
                        (UnOp::Rcp, Ty::F64) => (1.0 / f64_of(a)).to_bits(),
                        (UnOp::Ex2Approx, Ty::F32) => ex2_approx(f32_of(a)).to_bits() as u64,
                        (UnOp::Lg2Approx, Ty::F32) => lg2_approx(f32_of(a)).to_bits() as u64,
                        (op, t) => {
                            return Err(self.fault(
                                format!("{op:?} has no {} form", t.name()),
                                block,
                                tid,
                                pc,
                            ))
                        }
                    };
                    (Some(*dst), v)
                }
                Inst::Bin { op, ty, dst, a, b } => {
                    let (a, b) = (r(*a), r(*b));
                    let v = match ty {
                        Ty::F32 => {
                            let (x, y) = (f32_of(a), f32_of(b));
                            let z = match op {
                                BinOp::Add => x + y,
                                BinOp::Sub => x - y,
                                BinOp::Mul => x * y,
                                BinOp::Div => x / y,
                                BinOp::Min => x.min(y),
                                BinOp::Max => x.max(y),
                                _ => {
                                    return Err(self.fault(
                                        format!("{op:?} has no f32 form"),
                                        block,
                                        tid,
                                        pc,
                                    ))
                                }
                            };
                            z.to_bits() as u64
                        }
                        Ty::F64 => {
                            let (x, y) = (f64_of(a), f64_of(b));
                            let z = match op {
                                BinOp::Add => x + y,
                                BinOp::Sub => x - y,
                                BinOp::Mul => x * y,
                                BinOp::Div => x / y,
                                BinOp::Min => x.min(y),
                                BinOp::Max => x.max(y),
                                _ => {
                                    return Err(self.fault(
                                        format!("{op:?} has no f64 form"),
                                        block,
                                        tid,
                                        pc,
                                    ))
                                }
                            };
                            z.to_bits()
                        }
                        Ty::Pred => match op {
                            BinOp::And => a & b & 1,
                            BinOp::Or => (a | b) & 1,
                            BinOp::Xor => (a ^ b) & 1,
                            _ => {
                                return Err(self.fault(
                                    format!("{op:?} has no pred form"),
                                    block,
                                    tid,
                                    pc,
                                ))
                            }
                        },
                        t => {
                            let w = (t.size() * 8) as u32;
                            let rw = reg_width(self.ty(*dst));
                            let (x, y) = (int_of(a, *t), int_of(b, *t));
                            let v: i128 = match op {
                                BinOp::Add => x + y,
                                BinOp::Sub => x - y,
                                BinOp::Mul => x.wrapping_mul(y),
                                BinOp::MulWide => {
                                    let wt = if t.is_signed() { Ty::S64 } else { Ty::U64 };
                                    th.regs[dst.0 as usize] = put_int(x * y, wt, 64);
                                    th.pc = next;
                                    continue;
                                }
                                BinOp::Div | BinOp::Rem => {
                                    if y == 0 {
                                        return Err(self.fault(
                                            "integer division by zero (unspecified in PTX)".into(),
                                            block,
                                            tid,
                                            pc,
                                        ));
                                    }
                                    if t.is_signed() && y == -1 && x == -(1i128 << (w - 1)) {
                                        return Err(self.fault(
                                            "signed division overflow (unspecified in PTX)".into(),
                                            block,
                                            tid,
                                            pc,
                                        ));
                                    }
                                    if *op == BinOp::Div {
                                        x / y
                                    } else {
                                        x % y
                                    }
                                }
                                BinOp::Min => x.min(y),
                                BinOp::Max => x.max(y),
                                BinOp::And => x & y,
                                BinOp::Or => x | y,
                                BinOp::Xor => x ^ y,
                                BinOp::Shl | BinOp::Shr => {
                                    let n = (b & 0xffff_ffff).min(w as u64) as u32;
                                    if *op == BinOp::Shl {
                                        if n >= w {
                                            0
                                        } else {
                                            x << n
                                        }
                                    } else if n >= w {
                                        if x < 0 {
                                            -1
                                        } else {
                                            0
                                        }
                                    } else {
                                        x >> n
                                    }
                                }
                            };
                            put_int(v, *t, rw)
                        }
                    };
                    (Some(*dst), v)
                }
                Inst::Fma { ty, dst, a, b, c } => {
                    let (a, b, c) = (r(*a), r(*b), r(*c));
                    let v = match ty {
                        Ty::F32 => f32_of(a).mul_add(f32_of(b), f32_of(c)).to_bits() as u64,
                        Ty::F64 => f64_of(a).mul_add(f64_of(b), f64_of(c)).to_bits(),
                        t => put_int(
                            int_of(a, *t)
                                .wrapping_mul(int_of(b, *t))
                                .wrapping_add(int_of(c, *t)),
                            *t,
                            reg_width(*t),
                        ),
                    };
                    (Some(*dst), v)
                }
                Inst::Setp { cmp, ty, dst, a, b } => {
                    let (a, b) = (r(*a), r(*b));
                    let p = match ty {
                        Ty::F32 => {
                            let (x, y) = (f32_of(a), f32_of(b));
                            fcmp(*cmp, x, y, x.is_nan() || y.is_nan())
                        }
                        Ty::F64 => {
                            let (x, y) = (f64_of(a), f64_of(b));
                            fcmp(*cmp, x, y, x.is_nan() || y.is_nan())
                        }
                        t => fcmp(*cmp, int_of(a, *t), int_of(b, *t), false),
                    };
                    (Some(*dst), p as u64)
                }
                Inst::Selp { dst, a, b, p, .. } => {
                    (Some(*dst), if r(*p) & 1 == 1 { r(*a) } else { r(*b) })
                }
                Inst::Cvt {
                    dty,
                    sty,
                    rnd,
                    dst,
                    a,
                } => {
                    let v = self
                        .cvt(*dty, *sty, *rnd, r(*a), reg_width(self.ty(*dst)))
                        .map_err(|w| self.fault(w, block, tid, pc))?;
                    (Some(*dst), v)
                }
                Inst::Ld {
                    space,
                    ty,
                    dst,
                    addr,
                    off,
                } => {
                    let n = dst.len();
                    let sz = ty.size();
                    let a = r(*addr).wrapping_add(*off as i64 as u64);
                    let bytes = self
                        .access(*space, a, sz * n, mem, smem, false, &[])
                        .map_err(|w| self.fault(w, block, tid, pc))?;
                    for (i, d) in dst.iter().enumerate() {
                        let mut raw = 0u64;
                        for j in 0..sz {
                            raw |= (bytes[i * sz + j] as u64) << (8 * j);
                        }
                        let v = if ty.is_float() {
                            raw
                        } else {
                            put_int(int_of(raw, *ty), *ty, reg_width(self.ty(*d)))
                        };
                        th.regs[d.0 as usize] = v;
                    }
                    (None, 0)
                }
                Inst::St {
                    space,
                    ty,
                    addr,
                    off,
                    src,
                } => {
                    let sz = ty.size();
                    let a = r(*addr).wrapping_add(*off as i64 as u64);
                    let mut bytes = Vec::with_capacity(sz * src.len());
                    for s in src {
                        let v = r(*s);
                        for j in 0..sz {
                            bytes.push((v >> (8 * j)) as u8);
                        }
                    }
                    self.access(*space, a, bytes.len(), mem, smem, true, &bytes)
                        .map_err(|w| self.fault(w, block, tid, pc))?;
                    (None, 0)
                }
                Inst::Bar => {
                    th.state = State::Bar(pc);
                    return Ok(());
                }
                Inst::ShflBfly { .. } => {
                    th.state = State::Shfl(pc);
                    return Ok(());
                }
                Inst::Label(_) => (None, 0),
                Inst::Bra { target, pred } => {
                    let take = match pred {
                        None => true,
                        Some((p, neg)) => (r(*p) & 1 == 1) != *neg,
                    };
                    if take {
                        next = self.labels[&target.0];
                    }
                    (None, 0)
                }
                Inst::Ret => {
                    th.state = State::Done;
                    return Ok(());
                }
            };
            if let Some(d) = dst {
                let w = reg_width(self.ty(d));
                th.regs[d.0 as usize] = val & mask(w);
            }
            th.pc = next;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn access(
        &self,
        space: Space,
        a: u64,
        len: usize,
        mem: &mut Memory,
        smem: &mut [u8],
        write: bool,
        data: &[u8],
    ) -> Result<Vec<u8>, String> {
        if !a.is_multiple_of(len as u64) && len.is_power_of_two() {
            return Err(format!("misaligned {len}-byte access at {a:#x}"));
        }
        let slice: &mut [u8] = match space {
            Space::Global | Space::GlobalNc => {
                if write && space == Space::GlobalNc {
                    return Err("store through the non-coherent path".into());
                }
                let buf = (a >> BUF_SHIFT) as usize;
                let off = (a & mask(BUF_SHIFT)) as usize;
                let Some(b) = buf.checked_sub(1).and_then(|i| mem.bufs.get_mut(i)) else {
                    return Err(format!("global access at {a:#x} outside every buffer"));
                };
                // the non-coherent path may serve stale data for memory the kernel writes
                if let Some(t) = mem.touched.get_mut(buf - 1) {
                    *t |= if write { 2 } else { 0 } | u8::from(space == Space::GlobalNc);
                    if *t == 3 {
                        return Err(format!(
                            "buffer {} is read through ld.global.nc and written by the same kernel",
                            buf - 1
                        ));
                    }
                }
                if off + len > b.len() {
                    return Err(format!(
                        "global access of {len} bytes at offset {off} of a {}-byte buffer",
                        b.len()
                    ));
                }
                &mut b[off..off + len]
            }
            Space::Shared => {
                let off = a as usize;
                if a > u32::MAX as u64 || off < 256 || off + len > smem.len() {
                    return Err(format!(
                        "shared access of {len} bytes at {a:#x} out of range"
                    ));
                }
                &mut smem[off..off + len]
            }
        };
        if write {
            slice.copy_from_slice(data);
            Ok(Vec::new())
        } else {
            Ok(slice.to_vec())
        }
    }

    fn cvt(&self, dty: Ty, sty: Ty, rnd: Option<Rnd>, a: u64, rw: u32) -> Result<u64, String> {
        let round = |x: f64, r: Option<Rnd>| -> f64 {
            match r {
                Some(Rnd::Rni) => x.round_ties_even(),
                Some(Rnd::Rzi) => x.trunc(),
                Some(Rnd::Rmi) => x.floor(),
                Some(Rnd::Rpi) => x.ceil(),
                _ => x,
            }
        };
        Ok(match (sty.is_float(), dty.is_float()) {
            (true, true) => match (sty, dty) {
                (Ty::F64, Ty::F32) => (f64_of(a) as f32).to_bits() as u64,
                (Ty::F32, Ty::F64) => (f32_of(a) as f64).to_bits(),
                (Ty::F64, Ty::F64) => round(f64_of(a), rnd).to_bits(),
                (Ty::F32, Ty::F32) => (round(f32_of(a) as f64, rnd) as f32).to_bits() as u64,
                _ => return Err("bad float cvt".into()),
            },
            (true, false) => {
                let x = if sty == Ty::F32 {
                    f32_of(a) as f64
                } else {
                    f64_of(a)
                };
                if !matches!(rnd, Some(Rnd::Rni | Rnd::Rzi | Rnd::Rmi | Rnd::Rpi)) {
                    return Err("float-to-integer cvt needs an integer rounding".into());
                }
                let x = round(x, rnd);
                // saturating, NaN to 0 (PTX's rule for float to integer conversions)
                let v: i128 = match dty {
                    Ty::S64 => x as i64 as i128,
                    Ty::U64 => x as u64 as i128,
                    Ty::S32 => x as i32 as i128,
                    Ty::U32 => x as u32 as i128,
                    Ty::S16 => x as i16 as i128,
                    Ty::U16 => x as u16 as i128,
                    Ty::S8 => x as i8 as i128,
                    _ => x as u8 as i128,
                };
                put_int(v, dty, rw)
            }
            (false, true) => {
                let v = int_of(a, sty);
                if dty == Ty::F32 {
                    (v as f32).to_bits() as u64
                } else {
                    (v as f64).to_bits()
                }
            }
            (false, false) => put_int(int_of(a, sty), dty, rw),
        })
    }
}
