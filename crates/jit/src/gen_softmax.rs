//! Generated kernels for `Softmax` / `LogSoftmax` (float32, float64, rank 1 or 2, over the
//! last axis), `CrossentropySoftmaxArgmax1HotWithBias(x, b, y_idx) -> (nll, sm, argmax)` and
//! `CrossentropySoftmax1HotWithBiasDx(dnll, sm, y_idx) -> dx` (float32/float64 in any mix,
//! int64/int32/int16/int8/uint8 labels).
//!
//! Per op and dtypes, [`crate::gen`] generates two Cranelift functions into the function's
//! module, each computing a block of rows (`rows`, row strides in bytes):
//! - `_v`, for rows whose elements are contiguous: 128-bit vector loops (softmax in the
//!   dtype: f64x2 / f32x4; the crossentropy ops in float64: f64x2, float32 operands widened
//!   and narrowed two at a time) with a scalar tail;
//! - `_s`, for any element stride (transposed, negative, a broadcast bias or dnll): scalar
//!   loops.
//!
//! The row loops: (a) the row max (numpy's maximum, NaN propagates); (b) `exp(x - m)` written
//! to the output row and summed in float64 (log_softmax writes `x - m`); (c) the row scaled
//! by `1/s`, or (d) `log(s)` subtracted. The crossentropy op works on `z = x + b` in float64:
//! numpy's argmax of the row (first maximum, or first NaN) gives `m`, then (b) and (c) into
//! `sm`, and `nll = log(s) - (z[y] - m)`; its gradient is `dx = sm * dnll` with `dnll`
//! subtracted at the label. exp and log are the inline vectorizable forms of crate::math
//! (through [`crate::lower::Emitter`]); without an FMA (`THEANO_JIT_CPU=baseline`) they call
//! the libm helpers and the loops containing them are scalar.
//!
//! Rust only checks the inputs in `out_shape(s)` (the messages of the former Rust kernels:
//! shapes, label range, label count), picks the variant per call and walks blocks of rows,
//! split over rayon's threads when a call has at least [`PARALLEL_MIN_ELEMENTS`] elements.
//! Results are within rtol 1e-12 (float64) / 1e-5 (float32) of the interpreter, not bit for
//! bit (exp/log rounding, summation order, scaling by `1/s`).

use crate::blas::{check_inputs, out_shape_of};
use crate::gen::{Gen, GenSpec, KeepAlive};
use crate::lower::{clif_ty, little, mem, try_counted, Calls, Emitter};
use crate::{math, JitError, PARALLEL_MIN_ELEMENTS};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, InstBuilder, Type, Value};
use cranelift_frontend::FunctionBuilder;
use cranelift_jit::JITModule;
use cranelift_module::Module;
use theano_exec::kernel::{NativeKernel, Shape, View};
use theano_ir::{ScalarOp, TensorType};
use theano_tensor::DType;

type Res<T> = Result<T, JitError>;
type Cs<'c, 'm> = &'c mut Calls<'m, JITModule>;

fn args(s: String) -> JitError {
    JitError::Args(s)
}

fn is_float(d: DType) -> bool {
    matches!(d, DType::Float32 | DType::Float64)
}

// ---------------------------------------------------------------------------------------
// IR building blocks

/// `base + j * stride` (`stride` a value in bytes).
fn at(b: &mut FunctionBuilder, base: Value, j: Value, stride: Value) -> Value {
    let off = b.ins().imul(j, stride);
    b.ins().iadd(base, off)
}

/// `base + j * size` (`size` a constant in bytes).
fn at_imm(b: &mut FunctionBuilder, base: Value, j: Value, size: i64) -> Value {
    let off = b.ins().imul_imm_s(j, size);
    b.ins().iadd(base, off)
}

/// `op` on `vals` of dtype `d` (elements of `vals` when `vector`), through the elementwise
/// emitter: inline exp/log where the target has an FMA, the helpers otherwise.
fn op(
    b: &mut FunctionBuilder,
    calls: Cs<'_, '_>,
    op: ScalarOp,
    vals: &[Value],
    d: DType,
    vector: bool,
) -> Res<Value> {
    let ds = vec![d; vals.len()];
    Emitter { calls, vector }.instr(b, &op, vals, &ds, d)
}

fn fconst(b: &mut FunctionBuilder, d: DType, x: f64) -> Value {
    if d == DType::Float64 {
        b.ins().f64const(x)
    } else {
        b.ins().f32const(x as f32)
    }
}

/// The 128-bit vector type of `d` and its lane count.
fn vec_of(d: DType) -> (Type, i64) {
    if d == DType::Float64 {
        (types::F64X2, 2)
    } else {
        (types::F32X4, 4)
    }
}

fn lanes(b: &mut FunctionBuilder, v: Value) -> Vec<Value> {
    let n = b.func.dfg.value_type(v).lane_count();
    (0..n).map(|i| b.ins().extractlane(v, i as u8)).collect()
}

/// The float64 sum of a vector's lanes, in lane order.
fn hsum(b: &mut FunctionBuilder, v: Value) -> Value {
    let l = lanes(b, v);
    l[1..].iter().fold(l[0], |a, &x| b.ins().fadd(a, x))
}

/// The f32x4 `v` widened and added pairwise into an f64x2.
fn widen_pairs(b: &mut FunctionBuilder, v: Value) -> Value {
    let lo = b.ins().fvpromote_low(v);
    let i = b.ins().bitcast(types::I64X2, little(), v);
    let h = b.ins().extractlane(i, 1);
    let hv = b.ins().scalar_to_vector(types::I64X2, h);
    let hf = b.ins().bitcast(types::F32X4, little(), hv);
    let hi = b.ins().fvpromote_low(hf);
    b.ins().fadd(lo, hi)
}

/// One element of dtype `d` at `a`, as float64.
fn load1(b: &mut FunctionBuilder, d: DType, a: Value) -> Value {
    let v = b.ins().load(clif_ty(d), mem(), a, 0);
    if d == DType::Float32 {
        b.ins().fpromote(types::F64, v)
    } else {
        v
    }
}

/// The float64 `v` stored at `a` in dtype `d`.
fn store1(b: &mut FunctionBuilder, d: DType, v: Value, a: Value) {
    let v = if d == DType::Float32 {
        b.ins().fdemote(types::F32, v)
    } else {
        v
    };
    b.ins().store(mem(), v, a, 0);
}

/// Two contiguous elements of dtype `d` at `a`, as an f64x2.
fn load2(b: &mut FunctionBuilder, d: DType, a: Value) -> Value {
    if d == DType::Float64 {
        return b.ins().load(types::F64X2, mem(), a, 0);
    }
    let i = b.ins().load(types::I64, mem(), a, 0);
    let v = b.ins().scalar_to_vector(types::I64X2, i);
    let f = b.ins().bitcast(types::F32X4, little(), v);
    b.ins().fvpromote_low(f)
}

/// The f64x2 `v` stored as two contiguous elements of dtype `d` at `a`.
fn store2(b: &mut FunctionBuilder, d: DType, v: Value, a: Value) {
    if d == DType::Float64 {
        b.ins().store(mem(), v, a, 0);
        return;
    }
    let f = b.ins().fvdemote(v);
    let i = b.ins().bitcast(types::I64X2, little(), f);
    let l = b.ins().extractlane(i, 0);
    b.ins().store(mem(), l, a, 0);
}

/// The label at `a` (integer dtype `d`) as i64.
fn load_label(b: &mut FunctionBuilder, d: DType, a: Value) -> Value {
    match d {
        DType::Int32 => b.ins().sload32(mem(), a, 0),
        DType::Int16 => b.ins().sload16(types::I64, mem(), a, 0),
        DType::Int8 => b.ins().sload8(types::I64, mem(), a, 0),
        DType::UInt8 => b.ins().uload8(types::I64, mem(), a, 0),
        _ => b.ins().load(types::I64, mem(), a, 0),
    }
}

/// The label dtypes the generated code reads.
fn label_dtype(d: DType) -> bool {
    matches!(
        d,
        DType::Int64 | DType::Int32 | DType::Int16 | DType::Int8 | DType::UInt8
    )
}

/// Whether the function is the vector variant, and whether its loops calling exp/log may be
/// vectors too (inline math).
#[derive(Clone, Copy)]
struct Variant {
    vector: bool,
    inline: bool,
}

/// Rows per block of [`row_blocks`].
const BLK: i64 = 16;

/// Walk `rows` rows in blocks of [`BLK`], carrying the row pointers `start`: `first` runs
/// each row of a block (given its pointers and its two float64 slots, `s` at the address
/// given and `t` [`BLK`] slots after it; it returns the next row's pointers), then `logs`
/// replaces every `s` slot of the block by its log, then `last` runs each row of the block
/// again from the block's pointers. A row's log is thus computed two at a time (f64x2)
/// beside other rows' work instead of as one long dependency chain per row.
#[allow(clippy::type_complexity)]
fn row_blocks(
    b: &mut FunctionBuilder,
    calls: Cs<'_, '_>,
    rows: Value,
    start: &[Value],
    var: Variant,
    logs: bool,
    mut first: impl FnMut(&mut FunctionBuilder, Cs<'_, '_>, &[Value], Value) -> Res<Vec<Value>>,
    mut last: impl FnMut(&mut FunctionBuilder, Cs<'_, '_>, &[Value], Value) -> Res<Vec<Value>>,
) -> Res<()> {
    use cranelift_codegen::ir::{StackSlotData, StackSlotKind};
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        (2 * BLK * 8) as u32,
        4,
    ));
    let zero = b.ins().iconst(types::I64, 0);
    let end = b.ins().iadd_imm_s(rows, BLK - 1);
    try_counted(b, zero, end, BLK, start, |b, r0, ptrs| {
        let rem = b.ins().isub(rows, r0);
        let blk = b.ins().iconst(types::I64, BLK);
        let short = b.ins().icmp(IntCC::SignedLessThan, rem, blk);
        let cnt = b.ins().select(short, rem, blk);
        let base = b.ins().stack_addr(types::I64, slot, 0);
        let (_, next) = try_counted(b, zero, cnt, 1, ptrs, |b, i, p| {
            let sa = at_imm(b, base, i, 8);
            first(b, calls, p, sa)
        })?;
        if logs {
            // the lanes past cnt hold stale values: their logs are never read
            let (step, ty) = if var.vector && var.inline {
                (2, types::F64X2)
            } else {
                (1, types::F64)
            };
            let e = b.ins().iadd_imm_s(cnt, step - 1);
            try_counted(b, zero, e, step, &[], |b, i, _| {
                let sa = at_imm(b, base, i, 8);
                let v = b.ins().load(ty, mem(), sa, 0);
                let l = op(b, calls, ScalarOp::Log, &[v], DType::Float64, step == 2)?;
                b.ins().store(mem(), l, sa, 0);
                Ok(vec![])
            })?;
        }
        try_counted(b, zero, cnt, 1, ptrs, |b, i, p| {
            let sa = at_imm(b, base, i, 8);
            last(b, calls, p, sa)
        })?;
        Ok(next)
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Softmax / LogSoftmax: fn(x, rs, cs, out, rows, n)

fn softmax_body(
    b: &mut FunctionBuilder,
    calls: Cs<'_, '_>,
    p: &[Value],
    d: DType,
    log: bool,
    var: Variant,
) -> Res<()> {
    let &[x, rs, cs, o, rows, n] = p else {
        return Err(JitError::Codegen("softmax: 6 parameters".into()));
    };
    let isz = d.itemsize() as i64;
    let ty = clif_ty(d);
    let (vt, w) = vec_of(d);
    let ostride = b.ins().imul_imm_s(n, isz);
    let zero = b.ins().iconst(types::I64, 0);
    // per row: (a) and (b), the sum into its slot
    let first = |b: &mut FunctionBuilder, calls: Cs<'_, '_>, ptrs: &[Value], sa: Value| {
        let (xp, op_) = (ptrs[0], ptrs[1]);
        // (a) the row max
        let ninf = fconst(b, d, f64::NEG_INFINITY);
        let (j0, m) = if var.vector {
            let init = b.ins().splat(vt, ninf);
            let (j, acc) = try_counted(b, zero, n, w, &[init], |b, j, a| {
                let ad = at_imm(b, xp, j, isz);
                let v = b.ins().load(vt, mem(), ad, 0);
                Ok(vec![op(b, calls, ScalarOp::Maximum, &[a[0], v], d, true)?])
            })?;
            let l = lanes(b, acc[0]);
            let mut m = l[0];
            for &v in &l[1..] {
                m = op(b, calls, ScalarOp::Maximum, &[m, v], d, false)?;
            }
            (j, m)
        } else {
            (zero, ninf)
        };
        let (_, m) = try_counted(b, j0, n, 1, &[m], |b, j, a| {
            let ad = at(b, xp, j, cs);
            let v = b.ins().load(ty, mem(), ad, 0);
            Ok(vec![op(b, calls, ScalarOp::Maximum, &[a[0], v], d, false)?])
        })?;
        let m = m[0];
        // (b) exp(x - m) (log_softmax: x - m) into the output row, summed in float64
        let fz = b.ins().f64const(0.0);
        let (j0, s) = if var.vector && var.inline {
            let mv = b.ins().splat(vt, m);
            let init = b.ins().splat(types::F64X2, fz);
            let (j, acc) = try_counted(b, zero, n, w, &[init], |b, j, a| {
                let ad = at_imm(b, xp, j, isz);
                let v = b.ins().load(vt, mem(), ad, 0);
                let dv = b.ins().fsub(v, mv);
                let e = op(b, calls, ScalarOp::Exp, &[dv], d, true)?;
                let oa = at_imm(b, op_, j, isz);
                b.ins().store(mem(), if log { dv } else { e }, oa, 0);
                let e2 = if d == DType::Float32 {
                    widen_pairs(b, e)
                } else {
                    e
                };
                Ok(vec![b.ins().fadd(a[0], e2)])
            })?;
            (j, hsum(b, acc[0]))
        } else {
            (zero, fz)
        };
        let (_, s) = try_counted(b, j0, n, 1, &[s], |b, j, a| {
            let ad = at(b, xp, j, cs);
            let v = b.ins().load(ty, mem(), ad, 0);
            let dv = b.ins().fsub(v, m);
            let e = op(b, calls, ScalarOp::Exp, &[dv], d, false)?;
            let oa = at_imm(b, op_, j, isz);
            b.ins().store(mem(), if log { dv } else { e }, oa, 0);
            let e64 = if d == DType::Float32 {
                b.ins().fpromote(types::F64, e)
            } else {
                e
            };
            Ok(vec![b.ins().fadd(a[0], e64)])
        })?;
        b.ins().store(mem(), s[0], sa, 0);
        let nx = b.ins().iadd(xp, rs);
        let no = b.ins().iadd(op_, ostride);
        Ok(vec![nx, no])
    };
    // per row: (c) scale by 1/s, or (d) subtract log(s)
    let last = |b: &mut FunctionBuilder, _: Cs<'_, '_>, ptrs: &[Value], sa: Value| {
        let op_ = ptrs[1];
        let k = b.ins().load(types::F64, mem(), sa, 0);
        let k = if d == DType::Float32 {
            b.ins().fdemote(types::F32, k)
        } else {
            k
        };
        let k = if log {
            k
        } else {
            let one = fconst(b, d, 1.0);
            b.ins().fdiv(one, k)
        };
        let fin = |b: &mut FunctionBuilder, v: Value, k: Value| {
            if log {
                b.ins().fsub(v, k)
            } else {
                b.ins().fmul(v, k)
            }
        };
        let j0 = if var.vector {
            let kv = b.ins().splat(vt, k);
            try_counted(b, zero, n, w, &[], |b, j, _| {
                let oa = at_imm(b, op_, j, isz);
                let v = b.ins().load(vt, mem(), oa, 0);
                let r = fin(b, v, kv);
                b.ins().store(mem(), r, oa, 0);
                Ok(vec![])
            })?
            .0
        } else {
            zero
        };
        try_counted(b, j0, n, 1, &[], |b, j, _| {
            let oa = at_imm(b, op_, j, isz);
            let v = b.ins().load(ty, mem(), oa, 0);
            let r = fin(b, v, k);
            b.ins().store(mem(), r, oa, 0);
            Ok(vec![])
        })?;
        let no = b.ins().iadd(op_, ostride);
        Ok(vec![ptrs[0], no])
    };
    row_blocks(b, calls, rows, &[x, o], var, log, first, last)?;
    b.ins().return_(&[]);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// CrossentropySoftmaxArgmax1HotWithBias:
// fn(x, xrs, xcs, b, bs, y, ys, nll, sm, am, rows, n)

/// The dtypes of the crossentropy op: logits, bias, labels, float outputs.
#[derive(Clone, Copy)]
struct XentTypes {
    x: DType,
    b: DType,
    y: DType,
    out: DType,
}

fn xent_body(
    b: &mut FunctionBuilder,
    calls: Cs<'_, '_>,
    p: &[Value],
    t: XentTypes,
    var: Variant,
) -> Res<()> {
    let &[x, xrs, xcs, bp, bs, y, ys, nll, sm, am, rows, n] = p else {
        return Err(JitError::Codegen("crossentropy: 12 parameters".into()));
    };
    let (xsz, bsz, osz) = (
        t.x.itemsize() as i64,
        t.b.itemsize() as i64,
        t.out.itemsize() as i64,
    );
    let f64d = DType::Float64;
    let ostride = b.ins().imul_imm_s(n, osz);
    let zero = b.ins().iconst(types::I64, 0);
    // z[j] = x[j] + b[j] in float64
    let z = move |b: &mut FunctionBuilder, xp: Value, j: Value| {
        let xa = at(b, xp, j, xcs);
        let ba = at(b, bp, j, bs);
        let xv = load1(b, t.x, xa);
        let bv = load1(b, t.b, ba);
        b.ins().fadd(xv, bv)
    };
    let z2 = move |b: &mut FunctionBuilder, xp: Value, j: Value| {
        let xa = at_imm(b, xp, j, xsz);
        let ba = at_imm(b, bp, j, bsz);
        let xv = load2(b, t.x, xa);
        let bv = load2(b, t.b, ba);
        b.ins().fadd(xv, bv)
    };
    // per row: argmax, sm, and the slots s = sum, t = z[y] - m
    let first = |b: &mut FunctionBuilder, calls: Cs<'_, '_>, ptrs: &[Value], sa: Value| {
        let (xp, yp, np, sp, ap) = (ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4]);
        // numpy's argmax of z: the first maximum, or the first NaN; m = z[best] (carried as
        // bits, so the selects are conditional moves rather than branches)
        let (j1, best0, m0) = if var.vector {
            // two lanes (even, odd columns; the vector variant has n >= 2), then the lane
            // that comes first in numpy's order
            let mv0 = z2(b, xp, zero);
            let i0 = b.ins().iconst(types::I64, 0);
            let i1 = b.ins().iconst(types::I64, 1);
            let iv0 = b.ins().scalar_to_vector(types::I64X2, i0);
            let iv0 = b.ins().insertlane(iv0, i1, 1);
            let two = b.ins().iconst(types::I64, 2);
            let twos = b.ins().splat(types::I64X2, two);
            let jv0 = b.ins().iadd(iv0, twos);
            let (j, acc) = try_counted(b, two, n, 2, &[iv0, mv0, jv0], |b, j, a| {
                let (iv, mv, jv) = (a[0], a[1], a[2]);
                let v = z2(b, xp, j);
                let m_ok = b.ins().fcmp(FloatCC::Ordered, mv, mv);
                let gt = b.ins().fcmp(FloatCC::GreaterThan, v, mv);
                let v_nan = b.ins().fcmp(FloatCC::Unordered, v, v);
                let up = b.ins().bor(gt, v_nan);
                let take = b.ins().band(m_ok, up);
                let iv = b.ins().bitselect(take, jv, iv);
                let tf = b.ins().bitcast(types::F64X2, little(), take);
                let mv = b.ins().bitselect(tf, v, mv);
                let jv = b.ins().iadd(jv, twos);
                Ok(vec![iv, mv, jv])
            })?;
            let (ia, ib) = (
                b.ins().extractlane(acc[0], 0),
                b.ins().extractlane(acc[0], 1),
            );
            let (ma, mb) = (
                b.ins().extractlane(acc[1], 0),
                b.ins().extractlane(acc[1], 1),
            );
            let a_ok = b.ins().fcmp(FloatCC::Ordered, ma, ma);
            let b_nan = b.ins().fcmp(FloatCC::Unordered, mb, mb);
            let lt = b.ins().icmp(IntCC::SignedLessThan, ib, ia);
            let gt = b.ins().fcmp(FloatCC::GreaterThan, mb, ma);
            let eq = b.ins().fcmp(FloatCC::Equal, mb, ma);
            let tie = b.ins().band(eq, lt);
            let ordered = b.ins().bor(gt, tie);
            let nan_first = b.ins().bor(a_ok, lt);
            let nan_b = b.ins().band(b_nan, nan_first);
            let pick_b = b.ins().bor(nan_b, ordered);
            let best = b.ins().select(pick_b, ib, ia);
            let (ba, bb) = (
                b.ins().bitcast(types::I64, little(), ma),
                b.ins().bitcast(types::I64, little(), mb),
            );
            (j, best, b.ins().select(pick_b, bb, ba))
        } else {
            let z0 = z(b, xp, zero);
            let one = b.ins().iconst(types::I64, 1);
            (one, zero, b.ins().bitcast(types::I64, little(), z0))
        };
        let (_, bm) = try_counted(b, j1, n, 1, &[best0, m0], |b, j, a| {
            let (best, mb) = (a[0], a[1]);
            let m = b.ins().bitcast(types::F64, little(), mb);
            let v = z(b, xp, j);
            let m_ok = b.ins().fcmp(FloatCC::Ordered, m, m);
            let gt = b.ins().fcmp(FloatCC::GreaterThan, v, m);
            let v_nan = b.ins().fcmp(FloatCC::Unordered, v, v);
            let up = b.ins().bor(gt, v_nan);
            let take = b.ins().band(m_ok, up);
            let best = b.ins().select(take, j, best);
            let vb = b.ins().bitcast(types::I64, little(), v);
            let mb = b.ins().select(take, vb, mb);
            Ok(vec![best, mb])
        })?;
        let best = bm[0];
        let m = b.ins().bitcast(types::F64, little(), bm[1]);
        // exp(z - m) into sm, summed
        let fz = b.ins().f64const(0.0);
        let (j0, s) = if var.vector && var.inline {
            let mv = b.ins().splat(types::F64X2, m);
            let init = b.ins().splat(types::F64X2, fz);
            let (j, acc) = try_counted(b, zero, n, 2, &[init], |b, j, a| {
                let zv = z2(b, xp, j);
                let dv = b.ins().fsub(zv, mv);
                let e = op(b, calls, ScalarOp::Exp, &[dv], f64d, true)?;
                let oa = at_imm(b, sp, j, osz);
                store2(b, t.out, e, oa);
                Ok(vec![b.ins().fadd(a[0], e)])
            })?;
            (j, hsum(b, acc[0]))
        } else {
            (zero, fz)
        };
        let (_, s) = try_counted(b, j0, n, 1, &[s], |b, j, a| {
            let zv = z(b, xp, j);
            let dv = b.ins().fsub(zv, m);
            let e = op(b, calls, ScalarOp::Exp, &[dv], f64d, false)?;
            let oa = at_imm(b, sp, j, osz);
            store1(b, t.out, e, oa);
            Ok(vec![b.ins().fadd(a[0], e)])
        })?;
        let s = s[0];
        // sm *= 1/s
        let onef = b.ins().f64const(1.0);
        let inv = b.ins().fdiv(onef, s);
        let j0 = if var.vector {
            let iv = b.ins().splat(types::F64X2, inv);
            try_counted(b, zero, n, 2, &[], |b, j, _| {
                let oa = at_imm(b, sp, j, osz);
                let v = load2(b, t.out, oa);
                let r = b.ins().fmul(v, iv);
                store2(b, t.out, r, oa);
                Ok(vec![])
            })?
            .0
        } else {
            zero
        };
        try_counted(b, j0, n, 1, &[], |b, j, _| {
            let oa = at_imm(b, sp, j, osz);
            let v = load1(b, t.out, oa);
            let r = b.ins().fmul(v, inv);
            store1(b, t.out, r, oa);
            Ok(vec![])
        })?;
        // the slots for nll = log(s) - (z[y] - m); argmax
        let l = load_label(b, t.y, yp);
        let zl = z(b, xp, l);
        let dz = b.ins().fsub(zl, m);
        b.ins().store(mem(), s, sa, 0);
        b.ins().store(mem(), dz, sa, (BLK * 8) as i32);
        b.ins().store(mem(), best, ap, 0);
        let nx = b.ins().iadd(xp, xrs);
        let ny = b.ins().iadd(yp, ys);
        let nn = b.ins().iadd_imm_s(np, osz);
        let ns = b.ins().iadd(sp, ostride);
        let na = b.ins().iadd_imm_s(ap, 8);
        Ok(vec![nx, ny, nn, ns, na])
    };
    // per row: nll from its slots
    let last = |b: &mut FunctionBuilder, _: Cs<'_, '_>, ptrs: &[Value], sa: Value| {
        let ls = b.ins().load(types::F64, mem(), sa, 0);
        let dz = b.ins().load(types::F64, mem(), sa, (BLK * 8) as i32);
        let v = b.ins().fsub(ls, dz);
        store1(b, t.out, v, ptrs[2]);
        let mut next = ptrs.to_vec();
        next[2] = b.ins().iadd_imm_s(ptrs[2], osz);
        Ok(next)
    };
    row_blocks(b, calls, rows, &[x, y, nll, sm, am], var, true, first, last)?;
    b.ins().return_(&[]);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// CrossentropySoftmax1HotWithBiasDx: fn(d, ds, sm, srs, scs, y, ys, dx, rows, n)

/// The dtypes of the gradient op: dnll, sm, labels, output.
#[derive(Clone, Copy)]
struct DxTypes {
    d: DType,
    sm: DType,
    y: DType,
    out: DType,
}

fn dx_body(b: &mut FunctionBuilder, p: &[Value], t: DxTypes, vector: bool) -> Res<()> {
    let &[d, ds, sm, srs, scs, y, ys, dx, rows, n] = p else {
        return Err(JitError::Codegen("crossentropy dx: 10 parameters".into()));
    };
    let (ssz, osz) = (t.sm.itemsize() as i64, t.out.itemsize() as i64);
    let ostride = b.ins().imul_imm_s(n, osz);
    let zero = b.ins().iconst(types::I64, 0);
    try_counted(b, zero, rows, 1, &[d, sm, y, dx], |b, _, ptrs| {
        let (dp, sp, yp, op_) = (ptrs[0], ptrs[1], ptrs[2], ptrs[3]);
        let di = load1(b, t.d, dp);
        let j0 = if vector {
            let dv = b.ins().splat(types::F64X2, di);
            try_counted(b, zero, n, 2, &[], |b, j, _| {
                let sa = at_imm(b, sp, j, ssz);
                let v = load2(b, t.sm, sa);
                let r = b.ins().fmul(v, dv);
                let oa = at_imm(b, op_, j, osz);
                store2(b, t.out, r, oa);
                Ok(vec![])
            })?
            .0
        } else {
            zero
        };
        try_counted(b, j0, n, 1, &[], |b, j, _| {
            let sa = at(b, sp, j, scs);
            let v = load1(b, t.sm, sa);
            let r = b.ins().fmul(v, di);
            let oa = at_imm(b, op_, j, osz);
            store1(b, t.out, r, oa);
            Ok(vec![])
        })?;
        // the label's column: sm * dnll - dnll
        let l = load_label(b, t.y, yp);
        let sa = at(b, sp, l, scs);
        let v = load1(b, t.sm, sa);
        let r = b.ins().fmul(v, di);
        let r = b.ins().fsub(r, di);
        let oa = at_imm(b, op_, l, osz);
        store1(b, t.out, r, oa);
        let nd = b.ins().iadd(dp, ds);
        let ns = b.ins().iadd(sp, srs);
        let ny = b.ins().iadd(yp, ys);
        let no = b.ins().iadd(op_, ostride);
        Ok(vec![nd, ns, ny, no])
    })?;
    b.ins().return_(&[]);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Specs and kernels

/// Run `f(r0, r1)` over `rows` in blocks: all at once on the calling thread, or one block per
/// thread of rayon's pool when the call has at least [`PARALLEL_MIN_ELEMENTS`] elements.
fn for_rows(rows: usize, cols: usize, f: impl Fn(usize, usize) + Sync) {
    let threads = rayon::current_num_threads();
    if rows < 2 || threads < 2 || rows.saturating_mul(cols) < PARALLEL_MIN_ELEMENTS {
        return f(0, rows);
    }
    use rayon::prelude::*;
    let chunk = rows.div_ceil(threads);
    (0..rows.div_ceil(chunk))
        .into_par_iter()
        .for_each(|c| f(c * chunk, ((c + 1) * chunk).min(rows)));
}

/// Generate the `_v` and `_s` variants of a kernel, in that order.
fn define_variants(
    g: &mut Gen<'_>,
    name: &str,
    n_params: usize,
    mut body: impl FnMut(&mut FunctionBuilder, Cs<'_, '_>, &[Value], Variant) -> Res<()>,
) -> Res<()> {
    let inline = math::inline_math(g.module.isa());
    let params = vec![types::I64; n_params];
    for vector in [true, false] {
        let suffix = format!("{name}_{}", if vector { "v" } else { "s" });
        g.func(&suffix, &params, &[], |b, calls, p| {
            body(b, calls, p, Variant { vector, inline })
        })?;
    }
    Ok(())
}

/// The two function addresses as `F`.
///
/// # Safety
/// `fns` holds (at least) two functions generated with `F`'s signature.
unsafe fn two<F: Copy>(fns: &[*const u8]) -> [F; 2] {
    assert!(fns.len() >= 2 && std::mem::size_of::<F>() == std::mem::size_of::<*const u8>());
    // SAFETY: the caller's contract: both are functions of type F.
    unsafe {
        [
            std::mem::transmute_copy::<*const u8, F>(&fns[0]),
            std::mem::transmute_copy::<*const u8, F>(&fns[1]),
        ]
    }
}

type SoftmaxFn = unsafe extern "C" fn(usize, isize, isize, usize, usize, usize);

struct SoftmaxSpec {
    log: bool,
    dtype: DType,
    ndim: usize,
}

/// The generated `Softmax` / `LogSoftmax` for these types, or `None`.
pub(crate) fn softmax_spec(
    log: bool,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn GenSpec>> {
    let ([t], [o]) = (in_types, out_types) else {
        return None;
    };
    (t.dtype == o.dtype && is_float(t.dtype) && (1..=2).contains(&t.ndim())).then(|| {
        Box::new(SoftmaxSpec {
            log,
            dtype: t.dtype,
            ndim: t.ndim(),
        }) as Box<dyn GenSpec>
    })
}

impl GenSpec for SoftmaxSpec {
    fn define(&self, g: &mut Gen<'_>) -> Res<()> {
        let name = format!(
            "{}_{}",
            if self.log { "log_softmax" } else { "softmax" },
            self.dtype
        );
        let (d, log) = (self.dtype, self.log);
        define_variants(g, &name, 6, |b, calls, p, var| {
            softmax_body(b, calls, p, d, log, var)
        })
    }

    fn finish(&self, fns: &[*const u8], code: KeepAlive) -> Box<dyn NativeKernel> {
        Box::new(SoftmaxKernel {
            // SAFETY: define generated both variants with SoftmaxFn's signature.
            fns: unsafe { two::<SoftmaxFn>(fns) },
            _code: code,
            dtype: self.dtype,
            ndim: self.ndim,
            name: format!(
                "{} {}",
                if self.log { "log_softmax" } else { "softmax" },
                self.dtype
            ),
        })
    }
}

/// Row-wise `Softmax` / `LogSoftmax` over the last axis of a 1-d or 2-d float input.
struct SoftmaxKernel {
    fns: [SoftmaxFn; 2],
    _code: KeepAlive,
    dtype: DType,
    ndim: usize,
    name: String,
}

impl NativeKernel for SoftmaxKernel {
    fn shape_only(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        &self.name
    }

    fn out_dtype(&self) -> DType {
        self.dtype
    }

    fn out_shape(&self, ins: &[View]) -> Res<Shape> {
        check_inputs(&self.name, ins, self.dtype, &[self.ndim])?;
        out_shape_of(&self.name, ins[0].shape(), self.dtype)
    }

    unsafe fn run(&self, ins: &[View], out: &View) {
        let x = &ins[0];
        if out.is_empty() {
            return;
        }
        let (rows, rs) = if x.ndim == 2 {
            (x.shape[0], x.strides[0])
        } else {
            (1, 0)
        };
        let (n, cs) = (x.shape[x.ndim - 1], x.strides[x.ndim - 1]);
        let f = self.fns[usize::from(cs != 1)];
        let isz = self.dtype.itemsize();
        let (xp, op) = (x.ptr as usize, out.ptr as usize);
        let (rs, cs) = (rs * isz as isize, cs * isz as isize);
        for_rows(rows, n, |r0, r1| {
            // SAFETY: rows r0..r1 of the validated input and of the C-contiguous output
            // (rows x n), disjoint by the caller's contract; the vector variant only for
            // contiguous rows.
            unsafe {
                f(
                    xp.wrapping_add_signed(r0 as isize * rs),
                    rs,
                    cs,
                    op + r0 * n * isz,
                    r1 - r0,
                    n,
                )
            }
        });
    }
}

// ---------------------------------------------------------------------------------------
// The crossentropy ops: checks (the former Rust kernels' messages)

/// Check `y` is an integer vector of `rows` labels of dtype `yd`, each in `0..cols` (reads
/// every label).
fn check_labels(what: &str, y: &View, yd: DType, rows: usize, cols: usize) -> Res<()> {
    if y.ndim != 1 || !y.dtype.is_int() {
        return Err(args(format!(
            "{what}: y_idx must be an integer vector, got {} of rank {}",
            y.dtype, y.ndim
        )));
    }
    if y.dtype != yd {
        return Err(args(format!("{what}: y_idx must be {yd}, got {}", y.dtype)));
    }
    if y.shape[0] != rows {
        return Err(args(format!(
            "{what}: y_idx has {} labels but there are {rows} rows",
            y.shape[0]
        )));
    }
    for i in 0..rows {
        // SAFETY: a live integer vector (checked above) and `i < rows = len`; an integer
        // dtype always reads as Some.
        let l = unsafe { y.int_at(i as isize * y.strides[0]) }.unwrap_or(0);
        if l < 0 || l as u64 >= cols as u64 {
            return Err(args(format!(
                "{what}: label y_idx[{i}] = {l} is out of range for {cols} classes"
            )));
        }
    }
    Ok(())
}

fn check_float(what: &str, name: &str, v: &View, dtype: DType, ndim: usize) -> Res<()> {
    if v.dtype != dtype || v.ndim != ndim {
        return Err(args(format!(
            "{what}: {name} must be a {dtype} array of rank {ndim}, got {} of rank {}",
            v.dtype, v.ndim
        )));
    }
    Ok(())
}

const XENT: &str = "CrossentropySoftmaxArgmax1HotWithBias";
const XENT_DX: &str = "CrossentropySoftmax1HotWithBiasDx";

// ---------------------------------------------------------------------------------------
// CrossentropySoftmaxArgmax1HotWithBias

type XentFn = unsafe extern "C" fn(
    usize,
    isize,
    isize,
    usize,
    isize,
    usize,
    isize,
    usize,
    usize,
    usize,
    usize,
    usize,
);

/// The generated `CrossentropySoftmaxArgmax1HotWithBias` for these types, or `None`.
pub(crate) fn xent_spec(
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn GenSpec>> {
    let ([x, b, y], [nll, sm, am]) = (in_types, out_types) else {
        return None;
    };
    let out = DType::promote(x.dtype, b.dtype);
    (is_float(x.dtype)
        && is_float(b.dtype)
        && x.ndim() == 2
        && b.ndim() == 1
        && y.ndim() == 1
        && label_dtype(y.dtype)
        && nll.dtype == out
        && sm.dtype == out
        && am.dtype == DType::Int64)
        .then(|| {
            Box::new(XentTypes {
                x: x.dtype,
                b: b.dtype,
                y: y.dtype,
                out,
            }) as Box<dyn GenSpec>
        })
}

impl GenSpec for XentTypes {
    fn define(&self, g: &mut Gen<'_>) -> Res<()> {
        let t = *self;
        let name = format!("xent_{}_{}_{}", t.x, t.b, t.y);
        define_variants(g, &name, 12, |b, calls, p, var| {
            xent_body(b, calls, p, t, var)
        })
    }

    fn finish(&self, fns: &[*const u8], code: KeepAlive) -> Box<dyn NativeKernel> {
        Box::new(XentKernel {
            // SAFETY: define generated both variants with XentFn's signature.
            fns: unsafe { two::<XentFn>(fns) },
            _code: code,
            t: *self,
        })
    }
}

/// `(nll, sm, argmax)` of `x + b` with labels `y_idx`.
struct XentKernel {
    fns: [XentFn; 2],
    _code: KeepAlive,
    t: XentTypes,
}

impl NativeKernel for XentKernel {
    fn name(&self) -> &str {
        XENT
    }
    fn out_dtype(&self) -> DType {
        self.t.out
    }
    fn n_outputs(&self) -> usize {
        3
    }
    fn out_dtype_of(&self, i: usize) -> DType {
        if i == 2 {
            DType::Int64
        } else {
            self.t.out
        }
    }
    fn out_shape(&self, ins: &[View]) -> Res<Shape> {
        let mut s = [Shape::default(); 3];
        self.out_shapes(ins, &mut s)?;
        Ok(s[0])
    }
    fn out_shapes(&self, ins: &[View], outs: &mut [Shape]) -> Res<()> {
        let [x, b, y] = ins else {
            return Err(args(format!("{XENT}: expects 3 inputs, got {}", ins.len())));
        };
        check_float(XENT, "x", x, self.t.x, 2)?;
        check_float(XENT, "b", b, self.t.b, 1)?;
        let (rows, cols) = (x.shape[0], x.shape[1]);
        if b.shape[0] != cols && b.shape[0] != 1 {
            return Err(args(format!(
                "{XENT}: the bias has {} entries but x has {cols} columns",
                b.shape[0]
            )));
        }
        check_labels(XENT, y, self.t.y, rows, cols)?;
        let [o0, o1, o2] = outs else {
            return Err(args(format!("{XENT}: 3 outputs")));
        };
        *o0 = out_shape_of(XENT, &[rows], self.t.out)?;
        *o1 = out_shape_of(XENT, &[rows, cols], self.t.out)?;
        *o2 = out_shape_of(XENT, &[rows], DType::Int64)?;
        Ok(())
    }
    unsafe fn run(&self, _ins: &[View], _out: &View) {
        // three outputs: the runtime calls run_multi (n_outputs() == 3); nothing to do here
    }
    unsafe fn run_multi(&self, ins: &[View], outs: &[View]) {
        let ([x, b, y], [nll, sm, am]) = (ins, outs) else {
            return;
        };
        let (rows, cols) = (x.shape[0], x.shape[1]);
        let (xsz, bsz, ysz, osz) = (
            self.t.x.itemsize() as isize,
            self.t.b.itemsize() as isize,
            self.t.y.itemsize() as isize,
            self.t.out.itemsize(),
        );
        let bs = if b.shape[0] == 1 { 0 } else { b.strides[0] };
        // the vector variant: contiguous rows and bias, at least two columns
        let f = self.fns[usize::from(x.strides[1] != 1 || bs != 1 || cols < 2)];
        let (xrs, xcs, bs, ys) = (
            x.strides[0] * xsz,
            x.strides[1] * xsz,
            bs * bsz,
            y.strides[0] * ysz,
        );
        let (xp, bp, yp) = (x.ptr as usize, b.ptr as usize, y.ptr as usize);
        let (np, sp, ap) = (nll.ptr as usize, sm.ptr as usize, am.ptr as usize);
        for_rows(rows, cols, |r0, r1| {
            // SAFETY: out_shapes accepted the views (labels in range); rows r0..r1 of the
            // inputs and of the C-contiguous outputs (disjoint: the caller's contract); the
            // vector variant only for contiguous x rows and bias.
            unsafe {
                f(
                    xp.wrapping_add_signed(r0 as isize * xrs),
                    xrs,
                    xcs,
                    bp,
                    bs,
                    yp.wrapping_add_signed(r0 as isize * ys),
                    ys,
                    np + r0 * osz,
                    sp + r0 * cols * osz,
                    ap + r0 * 8,
                    r1 - r0,
                    cols,
                )
            }
        });
    }
}

// ---------------------------------------------------------------------------------------
// CrossentropySoftmax1HotWithBiasDx

type DxFn =
    unsafe extern "C" fn(usize, isize, usize, isize, isize, usize, isize, usize, usize, usize);

/// The generated `CrossentropySoftmax1HotWithBiasDx` for these types, or `None`.
pub(crate) fn xent_dx_spec(
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn GenSpec>> {
    let ([d, sm, y], [o]) = (in_types, out_types) else {
        return None;
    };
    let out = DType::promote(d.dtype, sm.dtype);
    (is_float(d.dtype)
        && is_float(sm.dtype)
        && d.ndim() == 1
        && sm.ndim() == 2
        && y.ndim() == 1
        && label_dtype(y.dtype)
        && o.dtype == out)
        .then(|| {
            Box::new(DxTypes {
                d: d.dtype,
                sm: sm.dtype,
                y: y.dtype,
                out,
            }) as Box<dyn GenSpec>
        })
}

impl GenSpec for DxTypes {
    fn define(&self, g: &mut Gen<'_>) -> Res<()> {
        let t = *self;
        let name = format!("xent_dx_{}_{}_{}", t.d, t.sm, t.y);
        define_variants(g, &name, 10, |b, _, p, var| dx_body(b, p, t, var.vector))
    }

    fn finish(&self, fns: &[*const u8], code: KeepAlive) -> Box<dyn NativeKernel> {
        Box::new(XentDxKernel {
            // SAFETY: define generated both variants with DxFn's signature.
            fns: unsafe { two::<DxFn>(fns) },
            _code: code,
            t: *self,
        })
    }
}

/// `dx = (sm - onehot(y_idx)) * dnll[:, None]`.
struct XentDxKernel {
    fns: [DxFn; 2],
    _code: KeepAlive,
    t: DxTypes,
}

impl NativeKernel for XentDxKernel {
    fn name(&self) -> &str {
        XENT_DX
    }
    fn out_dtype(&self) -> DType {
        self.t.out
    }
    fn out_shape(&self, ins: &[View]) -> Res<Shape> {
        let [d, sm, y] = ins else {
            return Err(args(format!(
                "{XENT_DX}: expects 3 inputs, got {}",
                ins.len()
            )));
        };
        check_float(XENT_DX, "dnll", d, self.t.d, 1)?;
        check_float(XENT_DX, "sm", sm, self.t.sm, 2)?;
        let (rows, cols) = (sm.shape[0], sm.shape[1]);
        if d.shape[0] != rows && d.shape[0] != 1 {
            return Err(args(format!(
                "{XENT_DX}: dnll has {} entries but sm has {rows} rows",
                d.shape[0]
            )));
        }
        check_labels(XENT_DX, y, self.t.y, rows, cols)?;
        out_shape_of(XENT_DX, &[rows, cols], self.t.out)
    }
    unsafe fn run(&self, ins: &[View], out: &View) {
        let [d, sm, y] = ins else { return };
        let (rows, cols) = (sm.shape[0], sm.shape[1]);
        let (dsz, ssz, ysz, osz) = (
            self.t.d.itemsize() as isize,
            self.t.sm.itemsize() as isize,
            self.t.y.itemsize() as isize,
            self.t.out.itemsize(),
        );
        let ds = if d.shape[0] == 1 { 0 } else { d.strides[0] };
        let f = self.fns[usize::from(sm.strides[1] != 1)];
        let (ds, srs, scs, ys) = (
            ds * dsz,
            sm.strides[0] * ssz,
            sm.strides[1] * ssz,
            y.strides[0] * ysz,
        );
        let (dp, sp, yp, op) = (
            d.ptr as usize,
            sm.ptr as usize,
            y.ptr as usize,
            out.ptr as usize,
        );
        for_rows(rows, cols, |r0, r1| {
            // SAFETY: out_shape accepted the views (labels in range); rows r0..r1 of the
            // inputs and of the C-contiguous output (disjoint: the caller's contract); the
            // vector variant only for contiguous sm rows.
            unsafe {
                f(
                    dp.wrapping_add_signed(r0 as isize * ds),
                    ds,
                    sp.wrapping_add_signed(r0 as isize * srs),
                    srs,
                    scs,
                    yp.wrapping_add_signed(r0 as isize * ys),
                    ys,
                    op + r0 * cols * osz,
                    r1 - r0,
                    cols,
                )
            }
        });
    }
}
