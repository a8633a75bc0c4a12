//! `Elemwise` to a grid-stride kernel.
//!
//! Three layouts, all grid-stride loops over the output's elements in row-major order (each
//! thread starts at its global index and steps by the grid's thread count):
//! - [`Layout::Strided`]: any rank, any (also negative or zero: broadcast) strides per
//!   operand, in elements. The row-major index is decomposed into coordinates (`rem`/`div`
//!   by each dimension, innermost first) and each operand's offset accumulated with `mad`.
//! - [`Layout::Contiguous`]: every operand C-contiguous with the output's shape (no
//!   broadcasting): offset = index.
//! - [`Layout::Vector`]: as contiguous, with `ld.global.nc.v{W}` / `st.global.v{W}` over
//!   groups of W elements (W = 4 when the widest dtype has at most 4 bytes, else 2; one
//!   16-byte access for f32/f64), then a scalar tail. The launcher must check that every
//!   pointer is aligned to W times its element size ([`crate::launch::vector_aligned`]);
//!   otherwise it uses `Contiguous`.
//!
//! Parameters: `out`, `in0..`, `n` (u64 element count); for `Strided` then `shape[d]` (u64)
//! for each dimension, the output's strides, then each input's strides (s64).
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
    Contiguous,
    Vector,
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
        + if layout == Layout::Strided {
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
    let (p_shape, p_strides) = if layout == Layout::Strided {
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
    let shape: Vec<Val> = p_shape.iter().map(|p| b.ld_param(*p)).collect();
    let strides: Vec<Vec<Val>> = p_strides
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
    let i = b.var(Ty::U64);
    match tail_start {
        Some(t) => {
            let s = b.bin(BinOp::Add, Ty::U64, t, gid);
            b.mov(i, s);
        }
        None => b.mov(i, gid),
    }
    let (top, end) = (b.label(), b.label());
    b.place(top);
    let done = b.setp(Cmp::Ge, Ty::U64, i, n);
    b.bra_if(done, true, end);
    // element offsets of every operand (output first)
    let offs: Vec<Val> = if layout == Layout::Strided {
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
    let i2 = b.bin(BinOp::Add, Ty::U64, i, gstride);
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

/// Each operand's element offset for row-major index `i`.
fn strided_offsets(b: &mut Builder, i: Val, shape: &[Val], strides: &[Vec<Val>]) -> Vec<Val> {
    let nd = shape.len();
    let z = b.int(Ty::S64, 0);
    let mut offs = vec![z; strides.len()];
    let mut rem = i;
    for d in (0..nd).rev() {
        let coord = if d == 0 {
            rem
        } else {
            let c = b.bin(BinOp::Rem, Ty::U64, rem, shape[d]);
            rem = b.bin(BinOp::Div, Ty::U64, rem, shape[d]);
            c
        };
        for (k, s) in strides.iter().enumerate() {
            offs[k] = b.fma(Ty::S64, coord, s[d], offs[k]);
        }
    }
    offs
}
