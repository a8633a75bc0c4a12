//! `Elemwise` to a grid-stride kernel.
//!
//! Four layouts, all grid-stride loops over the output's elements in row-major order (each
//! thread starts at its global index and steps by the grid's thread count):
//! - [`Layout::Strided`]: any rank, any (also negative or zero: broadcast) strides per
//!   operand, in elements. The row-major index is decomposed into coordinates (`rem`/`div`
//!   by each dimension, innermost first) and each operand's offset accumulated with `mad`,
//!   all in 64 bits.
//! - [`Layout::Strided32`]: as `Strided` with 32-bit index arithmetic: the loop counter,
//!   the element count, the dimensions and the decomposition are u32 (`div.u32`/`rem.u32`,
//!   where the 64-bit forms are emulated in software on NVIDIA GPUs), each operand's offset
//!   is accumulated with `mad.lo.s32`, then widened once (`cvt.s64.s32`) and scaled to a
//!   byte address. Exact only for launches that pass [`crate::launch::index32_fits`]
//!   (fewer than 2^31 elements, every operand's offset extent within i32); the launcher
//!   must check it (the planner does: it picks `Strided32` only then).
//! - [`Layout::Contiguous`]: every operand C-contiguous with the output's shape (no
//!   broadcasting): offset = index.
//! - [`Layout::Vector`]: as contiguous, with `ld.global.nc.v{W}` / `st.global.v{W}` over
//!   groups of W elements (W = 4 when the widest dtype has at most 4 bytes, else 2; one
//!   16-byte access for f32/f64), then a scalar tail. The launcher must check that every
//!   pointer is aligned to W times its element size ([`crate::launch::vector_aligned`]);
//!   otherwise it uses `Contiguous`.
//!
//! Parameters: `out`, `in0..`, `n` (u64 element count); for the strided layouts then
//! `shape[d]` (u64) for each dimension, the output's strides, then each input's strides
//! (s64). `Strided32` takes the same parameters (narrowed after loading), so one launcher
//! fills both.
//! Inputs are read through the non-coherent path (`ld.global.nc`), so the output must not
//! alias an input, except the one an in-place kernel ([`lower_elemwise_inplace`]) names,
//! which is read with `ld.global`.

use crate::ir::{BinOp, Builder, Cmp, Kernel, Space, Sreg, Ty, Val};
use crate::scalar::{self, MathOpts, TV};
use crate::PtxError;
use theano_ir::ScalarOp;
use theano_tensor::DType;

/// How the operands are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    Strided,
    /// `Strided` with 32-bit index arithmetic (see the module's notes for when it is exact)
    Strided32,
    Contiguous,
    Vector,
}

impl Layout {
    /// Whether the kernel takes shapes and strides (`Strided` or `Strided32`).
    pub fn is_strided(self) -> bool {
        matches!(self, Layout::Strided | Layout::Strided32)
    }
}

/// A lowered elementwise kernel and what its launcher needs to know.
#[derive(Clone, Debug)]
pub struct ElemwiseKernel {
    pub kernel: Kernel,
    pub layout: Layout,
    pub ndim: usize,
    pub in_dtypes: Vec<DType>,
    pub out_dtype: DType,
    /// elements per vector access (1 unless `Layout::Vector`)
    pub width: usize,
    /// the input whose storage the output overwrites
    pub inplace: Option<usize>,
}

/// The most bytes of kernel parameters PTX allows (4 KiB).
const PARAM_BYTES: usize = 4096;

/// The vector width for these dtypes.
pub fn vector_width(dtypes: &[DType]) -> usize {
    let widest = dtypes.iter().map(|d| d.itemsize()).max().unwrap_or(1);
    if widest > 4 {
        2
    } else {
        4
    }
}

/// Lower `Elemwise{op}` on inputs of `in_dtypes` to a kernel writing dtype `out`.
pub fn lower_elemwise(
    name: &str,
    op: &ScalarOp,
    in_dtypes: &[DType],
    out: DType,
    ndim: usize,
    layout: Layout,
    opts: MathOpts,
) -> Result<ElemwiseKernel, PtxError> {
    lower(name, op, in_dtypes, out, ndim, layout, opts, None)
}

/// As [`lower_elemwise`], for a launch whose output is input `inplace`'s storage (Theano's
/// `Elemwise{..}[(0, i)]`): that input is read with `ld.global` (coherent), the others with
/// `ld.global.nc`. Each element (each vector group) is read before it is written by the
/// same thread, so the overwrite is safe; the launcher must pass the same pointer and
/// strides for the output and that input, which needs the output's dtype and shape.
pub fn lower_elemwise_inplace(
    name: &str,
    op: &ScalarOp,
    in_dtypes: &[DType],
    out: DType,
    ndim: usize,
    layout: Layout,
    opts: MathOpts,
    inplace: usize,
) -> Result<ElemwiseKernel, PtxError> {
    match in_dtypes.get(inplace) {
        Some(d) if *d == out => {}
        Some(d) => {
            return Err(PtxError::Invalid(format!(
                "in place over input {inplace}: its dtype {d} is not the output's {out}"
            )))
        }
        None => {
            return Err(PtxError::Invalid(format!(
                "in place over input {inplace} of {}",
                in_dtypes.len()
            )))
        }
    }
    lower(name, op, in_dtypes, out, ndim, layout, opts, Some(inplace))
}

fn lower(
    name: &str,
    op: &ScalarOp,
    in_dtypes: &[DType],
    out: DType,
    ndim: usize,
    layout: Layout,
    opts: MathOpts,
    inplace: Option<usize>,
) -> Result<ElemwiseKernel, PtxError> {
    let space = |k: usize| {
        if inplace == Some(k) {
            Space::Global
        } else {
            Space::GlobalNc
        }
    };
    let n_ops = in_dtypes.len() + 1;
    let param_bytes = 8 * (n_ops + 1)
        + if layout.is_strided() {
            8 * ndim * (n_ops + 1)
        } else {
            0
        };
    if param_bytes > PARAM_BYTES {
        return Err(PtxError::Invalid(format!(
            "{} operands of rank {ndim} need {param_bytes} bytes of parameters (PTX allows {PARAM_BYTES}); collapse dimensions first",
            n_ops
        )));
    }
    let mut b = Builder::new(name);
    let p_out = b.param("out", Ty::U64);
    let p_in: Vec<usize> = (0..in_dtypes.len())
        .map(|i| b.param(&format!("in{i}"), Ty::U64))
        .collect();
    let p_n = b.param("n", Ty::U64);
    let (p_shape, p_strides) = if layout.is_strided() {
        let s: Vec<usize> = (0..ndim)
            .map(|d| b.param(&format!("shape{d}"), Ty::U64))
            .collect();
        let st: Vec<Vec<usize>> = (0..n_ops)
            .map(|k| {
                (0..ndim)
                    .map(|d| {
                        let nm = if k == 0 {
                            format!("out_stride{d}")
                        } else {
                            format!("in{}_stride{d}", k - 1)
                        };
                        b.param(&nm, Ty::S64)
                    })
                    .collect()
            })
            .collect();
        (s, st)
    } else {
        (Vec::new(), Vec::new())
    };
    let out_ptr = b.ld_param(p_out);
    let in_ptrs: Vec<Val> = p_in.iter().map(|p| b.ld_param(*p)).collect();
    let n = b.ld_param(p_n);
    let mut shape: Vec<Val> = p_shape.iter().map(|p| b.ld_param(*p)).collect();
    let mut strides: Vec<Vec<Val>> = p_strides
        .iter()
        .map(|s| s.iter().map(|p| b.ld_param(*p)).collect())
        .collect();
    let (gid, gstride) = grid_index(&mut b);

    let mut all = in_dtypes.to_vec();
    all.push(out);
    let width = if layout == Layout::Vector {
        vector_width(&all)
    } else {
        1
    };

    // the body on one element: loads done by the caller
    let body = |b: &mut Builder, vals: &[Val]| -> Result<Val, PtxError> {
        let args: Vec<TV> = vals
            .iter()
            .copied()
            .zip(in_dtypes.iter().copied())
            .collect();
        scalar::lower_op(b, op, &args, out, opts)
    };

    let mut tail_start = None;
    if layout == Layout::Vector {
        // groups of `width` elements
        let sh = b.int(Ty::U32, width.trailing_zeros() as i64);
        let nvec = b.bin(BinOp::Shr, Ty::U64, n, sh);
        let i = b.var(Ty::U64);
        b.mov(i, gid);
        let (top, end) = (b.label(), b.label());
        b.place(top);
        let done = b.setp(Cmp::Ge, Ty::U64, i, nvec);
        b.bra_if(done, true, end);
        let mut lanes: Vec<Vec<Val>> = vec![Vec::new(); width];
        for (k, d) in in_dtypes.iter().enumerate() {
            let a = addr(&mut b, in_ptrs[k], i, d.itemsize() * width);
            let v = scalar::load(&mut b, space(k), *d, width, a, 0);
            for (l, x) in v.into_iter().enumerate() {
                lanes[l].push(x);
            }
        }
        let mut res = Vec::with_capacity(width);
        for lane in &lanes {
            res.push(body(&mut b, lane)?);
        }
        let a = addr(&mut b, out_ptr, i, out.itemsize() * width);
        scalar::store(&mut b, Space::Global, out, a, 0, &res);
        let i2 = b.bin(BinOp::Add, Ty::U64, i, gstride);
        b.mov(i, i2);
        b.bra(top);
        b.place(end);
        let shl = b.bin(BinOp::Shl, Ty::B64, nvec, sh);
        tail_start = Some(shl);
    }

    // the scalar loop (the whole range, or the vector loop's tail)
    let (i, n, gstride) = if layout == Layout::Strided32 {
        // A u32 counter. The launcher guarantees n < 2^31. The thread's start (gid) and
        // the grid's thread count are u64 (the count can pass 2^32), so both are clamped
        // to n (u64 `min`) before they are narrowed: a thread whose gid is past n starts at
        // n and exits at once, and a count of n or more ends the loop after one element
        // either way, as the unclamped one would. In the body i < n and the step is at
        // most n, so i + step < 2n < 2^32: the add at the bottom cannot wrap, and the plain
        // test-then-add loop is exact without a 64-bit counter (nor a test before the add).
        let g = b.bin(BinOp::Min, Ty::U64, gid, n);
        let s = b.bin(BinOp::Min, Ty::U64, gstride, n);
        let i = b.var(Ty::U32);
        let g32 = b.cvt(Ty::U32, Ty::U64, None, g);
        b.mov(i, g32);
        let n32 = b.cvt(Ty::U32, Ty::U64, None, n);
        let s32 = b.cvt(Ty::U32, Ty::U64, None, s);
        (shape, strides) = narrow(&mut b, &shape, &strides);
        (i, n32, s32)
    } else {
        let i = b.var(Ty::U64);
        match tail_start {
            Some(t) => {
                let s = b.bin(BinOp::Add, Ty::U64, t, gid);
                b.mov(i, s);
            }
            None => b.mov(i, gid),
        }
        (i, n, gstride)
    };
    let ity = b.ty(i);
    let (top, end) = (b.label(), b.label());
    b.place(top);
    let done = b.setp(Cmp::Ge, ity, i, n);
    b.bra_if(done, true, end);
    // element offsets of every operand (output first)
    let offs: Vec<Val> = if layout.is_strided() {
        strided_offsets(&mut b, i, &shape, &strides)
    } else {
        vec![i; n_ops]
    };
    let mut vals = Vec::with_capacity(in_dtypes.len());
    for (k, d) in in_dtypes.iter().enumerate() {
        let a = addr(&mut b, in_ptrs[k], offs[k + 1], d.itemsize());
        vals.push(scalar::load(&mut b, space(k), *d, 1, a, 0)[0]);
    }
    let r = body(&mut b, &vals)?;
    let a = addr(&mut b, out_ptr, offs[0], out.itemsize());
    scalar::store(&mut b, Space::Global, out, a, 0, &[r]);
    let i2 = b.bin(BinOp::Add, ity, i, gstride);
    b.mov(i, i2);
    b.bra(top);
    b.place(end);
    b.ret();
    Ok(ElemwiseKernel {
        kernel: b.finish(),
        inplace,
        layout,
        ndim,
        in_dtypes: in_dtypes.to_vec(),
        out_dtype: out,
        width,
    })
}

/// (global thread index, total threads) as u64.
pub fn grid_index(b: &mut Builder) -> (Val, Val) {
    let tid = b.sreg(Sreg::TidX);
    let ntid = b.sreg(Sreg::NtidX);
    let ctaid = b.sreg(Sreg::CtaidX);
    let nctaid = b.sreg(Sreg::NctaidX);
    let base = b.bin(BinOp::MulWide, Ty::U32, ctaid, ntid);
    let t64 = b.cvt(Ty::U64, Ty::U32, None, tid);
    let gid = b.bin(BinOp::Add, Ty::U64, base, t64);
    let stride = b.bin(BinOp::MulWide, Ty::U32, nctaid, ntid);
    (gid, stride)
}

/// `ptr + idx * size` (idx an element or group index, u64 or s64).
pub fn addr(b: &mut Builder, ptr: Val, idx: Val, size: usize) -> Val {
    let sz = b.int(Ty::S64, size as i64);
    b.fma(Ty::S64, idx, sz, ptr)
}

/// Each operand's element offset (s64) for row-major index `i`, whose type (u64 or u32)
/// is the width of the index arithmetic: the coordinates come from `rem`/`div` of that
/// width, the offsets from `mad.lo` of the signed one, and 32-bit offsets are widened once
/// at the end (`cvt.s64.s32`). For u32 the caller passes `shape` and `strides` already
/// narrowed ([`narrow`]); that is exact when [`crate::launch::index32_fits`] holds: every
/// partial sum is bounded by the operand's extent (the sum of |stride| * (dim - 1)), which
/// fits in i32, and a stride whose narrowing is lossy belongs to a dimension of length 1 or
/// 0, whose coordinate is always 0.
fn strided_offsets(b: &mut Builder, i: Val, shape: &[Val], strides: &[Vec<Val>]) -> Vec<Val> {
    let (uty, sty) = if b.ty(i) == Ty::U32 {
        (Ty::U32, Ty::S32)
    } else {
        (Ty::U64, Ty::S64)
    };
    let nd = shape.len();
    let z = b.int(sty, 0);
    let mut offs = vec![z; strides.len()];
    let mut rem = i;
    for d in (0..nd).rev() {
        let coord = if d == 0 {
            rem
        } else {
            let c = b.bin(BinOp::Rem, uty, rem, shape[d]);
            rem = b.bin(BinOp::Div, uty, rem, shape[d]);
            c
        };
        for (k, s) in strides.iter().enumerate() {
            offs[k] = b.fma(sty, coord, s[d], offs[k]);
        }
    }
    if sty == Ty::S32 {
        for o in &mut offs {
            *o = b.cvt(Ty::S64, Ty::S32, None, *o);
        }
    }
    offs
}

/// The dimensions (u64) and strides (s64) of a `Strided32` kernel narrowed to u32 / s32,
/// once, before the loop (the first dimension is never divided by, so it is left out).
fn narrow(b: &mut Builder, shape: &[Val], strides: &[Vec<Val>]) -> (Vec<Val>, Vec<Vec<Val>>) {
    let sh = shape
        .iter()
        .enumerate()
        .map(|(d, v)| {
            if d == 0 {
                *v
            } else {
                b.cvt(Ty::U32, Ty::U64, None, *v)
            }
        })
        .collect();
    let st = strides
        .iter()
        .map(|s| {
            s.iter()
                .map(|v| b.cvt(Ty::S32, Ty::S64, None, *v))
                .collect()
        })
        .collect();
    (sh, st)
}
