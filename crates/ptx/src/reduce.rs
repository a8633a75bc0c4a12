//! Reductions: sum, prod, max, min, all, any, mean and max-with-argmax over any axes.
//!
//! The launcher describes the input as its kept ("outer") dimensions followed by its
//! reduced dimensions, each with its stride in elements, so one kernel serves any set of
//! axes and any layout. Outputs are C-contiguous over the outer dimensions.
//!
//! - [`ReduceScheme::Row`]: one block per output element (grid-stride over outputs); the
//!   block's threads stride over the reduced elements, fold in registers, then fold across
//!   the warp with `shfl.sync.bfly` (xor distances 16..1; 64-bit values as two 32-bit
//!   halves) and across warps through shared memory (one slot per warp, then warp 0's lanes
//!   fold the slots the same way). Block size: a multiple of 32, at most 1024.
//! - [`ReduceScheme::Column`]: one thread per output element, a serial loop over the reduced
//!   elements: adjacent threads read adjacent columns when the reduced axes are not the
//!   innermost (a column sum of a C-contiguous matrix is coalesced).
//!
//! Accumulation follows the interpreter: sums, products and means of floats in f64 (f32
//! rounded back at the end), of integers and bools in wrapping int64; max/min propagate NaN;
//! argmax gives the first maximum, NaN counting as the largest (numpy). Bools are bytes 0/1
//! in 16-bit registers (max is or, min is and).
//!
//! Parameters: `out`, (`out_idx` for argmax), `in`, `n_out`, `m` (reduced count), then
//! the outer shape, outer strides, reduced shape and reduced strides.

use crate::elemwise::addr;
use crate::ir::{BinOp, Builder, Cmp, Kernel, Space, Sreg, Ty, UnOp, Val};
use crate::scalar::{self, reg_ty, MathOpts};
use crate::PtxError;
use theano_ir::ScalarOp;
use theano_tensor::DType;

/// What to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceKind {
    Sum,
    Prod,
    Max,
    Min,
    All,
    Any,
    Mean,
    /// max and the index of its first occurrence (two outputs)
    MaxAndArgmax,
}

impl From<theano_ir::ReduceKind> for ReduceKind {
    fn from(k: theano_ir::ReduceKind) -> ReduceKind {
        use theano_ir::ReduceKind as K;
        match k {
            K::Sum => ReduceKind::Sum,
            K::Prod => ReduceKind::Prod,
            K::Max => ReduceKind::Max,
            K::Min => ReduceKind::Min,
            K::All => ReduceKind::All,
            K::Any => ReduceKind::Any,
        }
    }
}

impl ReduceKind {
    pub const ALL: [ReduceKind; 8] = [
        ReduceKind::Sum,
        ReduceKind::Prod,
        ReduceKind::Max,
        ReduceKind::Min,
        ReduceKind::All,
        ReduceKind::Any,
        ReduceKind::Mean,
        ReduceKind::MaxAndArgmax,
    ];

    /// The graph's reduction this kernel computes (`None` for mean and max-and-argmax, which
    /// the graph spells otherwise).
    pub fn ir(self) -> Option<theano_ir::ReduceKind> {
        use theano_ir::ReduceKind as K;
        Some(match self {
            ReduceKind::Sum => K::Sum,
            ReduceKind::Prod => K::Prod,
            ReduceKind::Max => K::Max,
            ReduceKind::Min => K::Min,
            ReduceKind::All => K::All,
            ReduceKind::Any => K::Any,
            ReduceKind::Mean | ReduceKind::MaxAndArgmax => return None,
        })
    }

    /// The output dtype: the graph op's rule ([`theano_ir::ReduceKind::out_dtype`]); mean is
    /// float64 for discrete inputs, max-and-argmax keeps the dtype.
    pub fn out_dtype(self, d: DType) -> DType {
        match self.ir() {
            Some(k) => k.out_dtype(d),
            None if self == ReduceKind::Mean && !d.is_float() => DType::Float64,
            None => d,
        }
    }

    /// Whether an empty reduction is an error (no identity).
    pub fn needs_elements(self) -> bool {
        matches!(
            self,
            ReduceKind::Max | ReduceKind::Min | ReduceKind::MaxAndArgmax
        )
    }
}

/// The two kernel shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceScheme {
    Row,
    Column,
}

#[derive(Clone, Debug)]
pub struct ReduceKernel {
    pub kernel: Kernel,
    pub kind: ReduceKind,
    pub dtype: DType,
    pub out_dtype: DType,
    pub outer_ndim: usize,
    pub red_ndim: usize,
    pub scheme: ReduceScheme,
}

/// The accumulator's dtype and the scalar op that folds it.
pub(crate) fn acc_of(kind: ReduceKind, d: DType) -> (DType, ScalarOp) {
    let wide = if d.is_float() {
        DType::Float64
    } else if d.is_unsigned() {
        DType::UInt64
    } else {
        DType::Int64
    };
    let small = if d == DType::Bool { DType::UInt8 } else { d };
    match kind {
        ReduceKind::Sum => (wide, ScalarOp::Add),
        // numpy's mean accumulates integers in float64 (an int64 sum would wrap)
        ReduceKind::Mean => (DType::Float64, ScalarOp::Add),
        ReduceKind::Prod => (wide, ScalarOp::Mul),
        ReduceKind::Max | ReduceKind::MaxAndArgmax => (small, ScalarOp::Maximum),
        ReduceKind::Min => (small, ScalarOp::Minimum),
        ReduceKind::All => (DType::UInt8, ScalarOp::Minimum),
        ReduceKind::Any => (DType::UInt8, ScalarOp::Maximum),
    }
}

/// The identity of the fold, as an immediate of the accumulator's register type.
pub(crate) fn identity(b: &mut Builder, kind: ReduceKind, acc: DType) -> Val {
    let t = reg_ty(acc);
    let lowest = |b: &mut Builder| match acc {
        DType::Float64 | DType::Float32 => b.f(t, f64::NEG_INFINITY),
        DType::Int64 => b.int(t, i64::MIN),
        DType::Int32 => b.int(t, i32::MIN as i64),
        DType::Int16 => b.int(t, i16::MIN as i64),
        DType::Int8 => b.int(t, i8::MIN as i64),
        _ => b.int(t, 0),
    };
    match kind {
        ReduceKind::Sum | ReduceKind::Mean | ReduceKind::Any => {
            if acc.is_float() {
                b.f(t, 0.0)
            } else {
                b.int(t, 0)
            }
        }
        ReduceKind::Prod | ReduceKind::All => {
            if acc.is_float() {
                b.f(t, 1.0)
            } else {
                b.int(t, 1)
            }
        }
        ReduceKind::Max | ReduceKind::MaxAndArgmax => lowest(b),
        ReduceKind::Min => match acc {
            DType::Float64 | DType::Float32 => b.f(t, f64::INFINITY),
            DType::Int64 => b.int(t, i64::MAX),
            DType::Int32 => b.int(t, i32::MAX as i64),
            DType::Int16 => b.int(t, i16::MAX as i64),
            DType::Int8 => b.int(t, i8::MAX as i64),
            DType::UInt16 => b.int(t, u16::MAX as i64),
            DType::UInt32 => b.int(t, u32::MAX as i64),
            // all ones
            DType::UInt64 => b.int(t, -1),
            _ => b.int(t, 255),
        },
    }
}

/// An accumulator: the value, and for argmax the index (u64).
#[derive(Clone, Copy)]
pub(crate) struct Acc {
    pub(crate) v: Val,
    pub(crate) i: Option<Val>,
}

pub(crate) struct Ctx {
    pub(crate) kind: ReduceKind,
    pub(crate) acc: DType,
    pub(crate) op: ScalarOp,
}

impl Ctx {
    /// Fold `x` into `a`.
    pub(crate) fn combine(&self, b: &mut Builder, a: Acc, x: Acc) -> Result<Acc, PtxError> {
        let t = reg_ty(self.acc);
        if let (Some(ai), Some(xi)) = (a.i, x.i) {
            // x wins when: NaN over non-NaN, larger, or equal (both NaN or same value) with a
            // smaller index
            let gt = b.setp(Cmp::Gt, t, x.v, a.v);
            let eq = b.setp(Cmp::Eq, t, x.v, a.v);
            let lt_i = b.setp(Cmp::Lt, Ty::U64, xi, ai);
            let (gt, eq) = if self.acc.is_float() {
                let xn = b.setp(Cmp::Nan, t, x.v, x.v);
                let an = b.setp(Cmp::Nan, t, a.v, a.v);
                let nan_an = b.un(UnOp::Not, Ty::Pred, an);
                let x_nan_only = b.bin(BinOp::And, Ty::Pred, xn, nan_an);
                let gt = b.bin(BinOp::Or, Ty::Pred, gt, x_nan_only);
                let both = b.bin(BinOp::And, Ty::Pred, xn, an);
                let eq = b.bin(BinOp::Or, Ty::Pred, eq, both);
                (gt, eq)
            } else {
                (gt, eq)
            };
            let tie = b.bin(BinOp::And, Ty::Pred, eq, lt_i);
            let take = b.bin(BinOp::Or, Ty::Pred, gt, tie);
            let v = b.selp(t, take, x.v, a.v);
            let i = b.selp(Ty::U64, take, xi, ai);
            return Ok(Acc { v, i: Some(i) });
        }
        let v = scalar::lower_op(
            b,
            &self.op,
            &[(a.v, self.acc), (x.v, self.acc)],
            self.acc,
            MathOpts::default(),
        )?;
        Ok(Acc { v, i: None })
    }

    /// `acc` folded with lane `lane ^ s` for s = 16, 8, 4, 2, 1: every lane ends with the
    /// warp's total.
    fn warp_fold(&self, b: &mut Builder, a: Acc) -> Result<Acc, PtxError> {
        let mut a = a;
        for s in [16, 8, 4, 2, 1] {
            let m = b.int(Ty::U32, s);
            let v = shfl(b, a.v, m);
            let i = a.i.map(|i| shfl(b, i, m));
            a = self.combine(b, a, Acc { v, i })?;
        }
        Ok(a)
    }
}

/// `shfl.sync.bfly` of a value of any register type (64-bit ones as two halves).
fn shfl(b: &mut Builder, v: Val, m: Val) -> Val {
    let t = b.ty(v);
    match t.size() {
        8 => {
            let u = if t == Ty::U64 {
                v
            } else {
                b.bitcast(Ty::U64, v)
            };
            let lo = b.cvt(Ty::U32, Ty::U64, None, u);
            let sh = b.int(Ty::U32, 32);
            let hi64 = b.bin(BinOp::Shr, Ty::U64, u, sh);
            let hi = b.cvt(Ty::U32, Ty::U64, None, hi64);
            let lo2 = b.shfl_bfly(lo, m);
            let hi2 = b.shfl_bfly(hi, m);
            let lo64 = b.cvt(Ty::U64, Ty::U32, None, lo2);
            let hi64 = b.cvt(Ty::U64, Ty::U32, None, hi2);
            let hs = b.bin(BinOp::Shl, Ty::B64, hi64, sh);
            let r = b.bin(BinOp::Or, Ty::B64, hs, lo64);
            if t == Ty::U64 {
                r
            } else {
                b.bitcast(t, r)
            }
        }
        4 => {
            let u = b.bitcast(Ty::U32, v);
            let r = b.shfl_bfly(u, m);
            b.bitcast(t, r)
        }
        _ => {
            let wide = if t.is_signed() { Ty::S32 } else { Ty::U32 };
            let u = b.cvt(wide, t, None, v);
            let r = b.shfl_bfly(u, m);
            b.cvt(t, wide, None, r)
        }
    }
}

/// Offset (elements) of the row-major index `i` over `shape` with `strides`.
pub(crate) fn offset(b: &mut Builder, i: Val, shape: &[Val], strides: &[Val]) -> Val {
    let mut off = b.int(Ty::S64, 0);
    let mut rem = i;
    for d in (0..shape.len()).rev() {
        let c = if d == 0 {
            rem
        } else {
            let c = b.bin(BinOp::Rem, Ty::U64, rem, shape[d]);
            rem = b.bin(BinOp::Div, Ty::U64, rem, shape[d]);
            c
        };
        off = b.fma(Ty::S64, c, strides[d], off);
    }
    off
}

/// A reduction kernel's parameters, in its order: the outputs' addresses (the value, then
/// argmax's index), the input's address `x`, the output count, the reduced count, then the
/// kept dimensions' lengths and strides and the reduced ones' (`axes`, sorted), strides in
/// elements.
pub fn reduce_params(
    outs: &[u64],
    x: u64,
    shape: &[usize],
    strides: &[isize],
    axes: &[usize],
) -> Vec<u64> {
    let kept: Vec<usize> = (0..shape.len()).filter(|d| !axes.contains(d)).collect();
    let n_out: usize = kept.iter().map(|&d| shape[d]).product();
    let m: usize = axes.iter().map(|&d| shape[d]).product();
    let mut params = outs.to_vec();
    params.extend([x, n_out as u64, m as u64]);
    for dims in [&kept[..], axes] {
        params.extend(dims.iter().map(|&d| shape[d] as u64));
        params.extend(dims.iter().map(|&d| strides[d] as i64 as u64));
    }
    params
}

/// Lower a reduction of `dtype` input with `outer_ndim` kept and `red_ndim` reduced
/// dimensions.
pub fn lower_reduce(
    name: &str,
    kind: ReduceKind,
    dtype: DType,
    outer_ndim: usize,
    red_ndim: usize,
    scheme: ReduceScheme,
) -> Result<ReduceKernel, PtxError> {
    if (outer_ndim + red_ndim) * 16 + 48 > 4096 {
        return Err(PtxError::Invalid(format!(
            "rank {} needs too many kernel parameters",
            outer_ndim + red_ndim
        )));
    }
    let out_dtype = kind.out_dtype(dtype);
    let (acc_d, op) = acc_of(kind, dtype);
    let cx = Ctx {
        kind,
        acc: acc_d,
        op,
    };
    let argmax = kind == ReduceKind::MaxAndArgmax;
    let mut b = Builder::new(name);
    let p_out = b.param("out", Ty::U64);
    let p_idx = argmax.then(|| b.param("out_idx", Ty::U64));
    let p_in = b.param("in", Ty::U64);
    let p_nout = b.param("n_out", Ty::U64);
    let p_m = b.param("m", Ty::U64);
    let p_os: Vec<usize> = (0..outer_ndim)
        .map(|d| b.param(&format!("outer_shape{d}"), Ty::U64))
        .collect();
    let p_ot: Vec<usize> = (0..outer_ndim)
        .map(|d| b.param(&format!("outer_stride{d}"), Ty::S64))
        .collect();
    let p_rs: Vec<usize> = (0..red_ndim)
        .map(|d| b.param(&format!("red_shape{d}"), Ty::U64))
        .collect();
    let p_rt: Vec<usize> = (0..red_ndim)
        .map(|d| b.param(&format!("red_stride{d}"), Ty::S64))
        .collect();
    let out = b.ld_param(p_out);
    let out_idx = p_idx.map(|p| b.ld_param(p));
    let inp = b.ld_param(p_in);
    let n_out = b.ld_param(p_nout);
    let m = b.ld_param(p_m);
    let os: Vec<Val> = p_os.iter().map(|p| b.ld_param(*p)).collect();
    let ot: Vec<Val> = p_ot.iter().map(|p| b.ld_param(*p)).collect();
    let rs: Vec<Val> = p_rs.iter().map(|p| b.ld_param(*p)).collect();
    let rt: Vec<Val> = p_rt.iter().map(|p| b.ld_param(*p)).collect();
    let tid = b.sreg(Sreg::TidX);
    let ntid = b.sreg(Sreg::NtidX);
    let ctaid = b.sreg(Sreg::CtaidX);
    let nctaid = b.sreg(Sreg::NctaidX);
    let load_d = if dtype == DType::Bool {
        DType::UInt8
    } else {
        dtype
    };

    // the outer loop: over outputs, by block (Row) or by global thread (Column)
    let (o_start, o_step) = match scheme {
        ReduceScheme::Row => (
            b.cvt(Ty::U64, Ty::U32, None, ctaid),
            b.cvt(Ty::U64, Ty::U32, None, nctaid),
        ),
        ReduceScheme::Column => crate::elemwise::grid_index(&mut b),
    };
    let (j_start, j_step) = match scheme {
        ReduceScheme::Row => (
            b.cvt(Ty::U64, Ty::U32, None, tid),
            b.cvt(Ty::U64, Ty::U32, None, ntid),
        ),
        ReduceScheme::Column => (b.int(Ty::U64, 0), b.int(Ty::U64, 1)),
    };
    let smem = (scheme == ReduceScheme::Row).then(|| fold_smem(&mut b, name));

    let o = b.var(Ty::U64);
    b.mov(o, o_start);
    let (otop, oend) = (b.label(), b.label());
    b.place(otop);
    let odone = b.setp(Cmp::Ge, Ty::U64, o, n_out);
    b.bra_if(odone, true, oend);
    let base = offset(&mut b, o, &os, &ot);

    // the thread's fold over its share of the reduced elements
    let t_acc = reg_ty(acc_d);
    let av = b.var(t_acc);
    let id = identity(&mut b, kind, acc_d);
    b.mov(av, id);
    let ai = argmax.then(|| {
        let v = b.var(Ty::U64);
        let mx = b.int(Ty::U64, -1);
        b.mov(v, mx);
        v
    });
    let j = b.var(Ty::U64);
    b.mov(j, j_start);
    let (jtop, jend) = (b.label(), b.label());
    b.place(jtop);
    let jdone = b.setp(Cmp::Ge, Ty::U64, j, m);
    b.bra_if(jdone, true, jend);
    let roff = offset(&mut b, j, &rs, &rt);
    let off = b.bin(BinOp::Add, Ty::S64, base, roff);
    let a = addr(&mut b, inp, off, dtype.itemsize());
    let x = scalar::load(&mut b, Space::GlobalNc, load_d, 1, a, 0)[0];
    let x = if matches!(kind, ReduceKind::All | ReduceKind::Any) {
        // truth values first (numpy's all/any), then bytes 0/1
        let p = scalar::cast(&mut b, (x, load_d), DType::Bool);
        scalar::cast(&mut b, (p, DType::Bool), acc_d)
    } else {
        scalar::cast(&mut b, (x, load_d), acc_d)
    };
    let next = cx.combine(
        &mut b,
        Acc { v: av, i: ai },
        Acc {
            v: x,
            i: ai.map(|_| j),
        },
    )?;
    b.mov(av, next.v);
    if let (Some(ai), Some(ni)) = (ai, next.i) {
        b.mov(ai, ni);
    }
    let j2 = b.bin(BinOp::Add, Ty::U64, j, j_step);
    b.mov(j, j2);
    b.bra(jtop);
    b.place(jend);
    let mut acc = Acc { v: av, i: ai };

    let is_writer = if let Some(sm) = smem {
        acc = block_fold(&mut b, &cx, acc, sm, tid, ntid)?;
        let z32 = b.int(Ty::U32, 0);
        b.setp(Cmp::Eq, Ty::U32, tid, z32)
    } else {
        let t = b.int(Ty::U32, 0);
        b.setp(Cmp::Eq, Ty::U32, t, t)
    };

    // the result
    let skip = b.label();
    b.bra_if(is_writer, false, skip);
    let r = match kind {
        ReduceKind::Mean => {
            let mf = b.cvt(Ty::F64, Ty::U64, Some(crate::ir::Rnd::Rn), m);
            let s = scalar::cast(&mut b, (acc.v, acc_d), DType::Float64);
            let q = b.bin(BinOp::Div, Ty::F64, s, mf);
            scalar::cast(&mut b, (q, DType::Float64), out_dtype)
        }
        ReduceKind::All | ReduceKind::Any => scalar::cast(&mut b, (acc.v, acc_d), DType::Bool),
        _ if dtype == DType::Bool && out_dtype == DType::Bool => {
            scalar::cast(&mut b, (acc.v, acc_d), DType::Bool)
        }
        _ => scalar::cast(&mut b, (acc.v, acc_d), out_dtype),
    };
    let oa = addr(&mut b, out, o, out_dtype.itemsize());
    scalar::store(&mut b, Space::Global, out_dtype, oa, 0, &[r]);
    if let (Some(oi), Some(i)) = (out_idx, acc.i) {
        let ia = addr(&mut b, oi, o, 8);
        b.st(Space::Global, Ty::U64, ia, 0, vec![i]);
    }
    b.place(skip);
    let o2 = b.bin(BinOp::Add, Ty::U64, o, o_step);
    b.mov(o, o2);
    b.bra(otop);
    b.place(oend);
    b.ret();
    Ok(ReduceKernel {
        kernel: b.finish(),
        kind,
        dtype,
        out_dtype,
        outer_ndim,
        red_ndim,
        scheme,
    })
}

/// Shared slots hold 16-bit values as 32-bit (so every slot access is aligned and plain).
fn widen_ty(t: Ty) -> Ty {
    match t {
        Ty::S16 => Ty::S32,
        Ty::U16 => Ty::U32,
        t => t,
    }
}

fn widen(b: &mut Builder, v: Val) -> Val {
    let t = b.ty(v);
    let w = widen_ty(t);
    if w == t {
        v
    } else {
        b.cvt(w, t, None, v)
    }
}

fn narrow(b: &mut Builder, v: Val, t: Ty) -> Val {
    let w = b.ty(v);
    if w == t {
        v
    } else {
        b.cvt(t, w, None, v)
    }
}

/// Fold every thread's `acc` across the block: the warp by shuffles, one shared slot per
/// warp (16 bytes: value, argmax index), a barrier, then every warp folds the slots, so every
/// thread returns the block's total; a closing barrier lets the caller reuse the slots.
/// Every thread of the block must call it (it holds two `bar.sync`).
pub(crate) fn block_fold(
    b: &mut Builder,
    cx: &Ctx,
    acc: Acc,
    sm: usize,
    tid: Val,
    ntid: Val,
) -> Result<Acc, PtxError> {
    let t_acc = reg_ty(cx.acc);
    let acc = cx.warp_fold(b, acc)?;
    let sbase = b.shared_addr(sm);
    let c31 = b.int(Ty::U32, 31);
    let lane = b.bin(BinOp::And, Ty::B32, tid, c31);
    let c5 = b.int(Ty::U32, 5);
    let warp = b.bin(BinOp::Shr, Ty::U32, tid, c5);
    let slot_c = b.int(Ty::U32, SLOT as i64);
    let z32 = b.int(Ty::U32, 0);
    let lane0 = b.setp(Cmp::Eq, Ty::U32, lane, z32);
    let waddr = b.fma(Ty::U32, warp, slot_c, sbase);
    let skip = b.label();
    b.bra_if(lane0, false, skip);
    let wv = widen(b, acc.v);
    let wvt = b.ty(wv);
    b.st(Space::Shared, wvt, waddr, 0, vec![wv]);
    if let Some(i) = acc.i {
        b.st(Space::Shared, Ty::U64, waddr, 8, vec![i]);
    }
    b.place(skip);
    b.bar();
    let nw = {
        let t = b.bin(BinOp::Add, Ty::U32, ntid, c31);
        b.bin(BinOp::Shr, Ty::U32, t, c5)
    };
    let have = b.setp(Cmp::Lt, Ty::U32, lane, nw);
    let raddr = b.fma(Ty::U32, lane, slot_c, sbase);
    let sv = b.var(t_acc);
    let id = identity(b, cx.kind, cx.acc);
    b.mov(sv, id);
    let si = acc.i.map(|_| {
        let v = b.var(Ty::U64);
        let mx = b.int(Ty::U64, -1);
        b.mov(v, mx);
        v
    });
    let skip2 = b.label();
    b.bra_if(have, false, skip2);
    let wt = widen_ty(t_acc);
    let ld = b.ld(Space::Shared, wt, wt, 1, raddr, 0)[0];
    let nv = narrow(b, ld, t_acc);
    b.mov(sv, nv);
    if let Some(si) = si {
        let li = b.ld(Space::Shared, Ty::U64, Ty::U64, 1, raddr, 8)[0];
        b.mov(si, li);
    }
    b.place(skip2);
    let r = cx.warp_fold(b, Acc { v: sv, i: si })?;
    // the slots are free again once every thread has read them
    b.bar();
    Ok(r)
}

/// Bytes of one warp's shared slot: the value (8) and the argmax index (8).
pub(crate) const SLOT: usize = 16;

/// The shared array `block_fold` needs (32 warps at most).
pub(crate) fn fold_smem(b: &mut Builder, name: &str) -> usize {
    b.shared(&format!("{name}_smem"), 8, 32 * SLOT)
}
