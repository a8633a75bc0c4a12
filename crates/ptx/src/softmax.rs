//! Row kernels: softmax, log-softmax, and the two crossentropy ops, one block per row
//! (grid-stride over rows), each pass a block fold (warp shuffles, then shared memory; see
//! `reduce::block_fold`).
//!
//! Semantics are the interpreter's:
//! - `Softmax`/`LogSoftmax` (float matrix or vector, over the last axis): m = the row's
//!   maximum (NaN propagates), e = exp(x - m) in the input's dtype, s = the sum of e in f64;
//!   softmax e / s (s rounded to the dtype first), log-softmax (x - m) - log(s) (log in f64,
//!   rounded to the dtype).
//! - `CrossentropySoftmaxArgmax1HotWithBias(x, b, y)`: in f64, z = x + b; the first maximum
//!   (or first NaN) of z is the argmax and m its value; s = sum exp(z - m); outputs the nll
//!   log(s) - (z\[y\] - m), the softmax exp(z - m) / s (both in the promoted float dtype) and the
//!   argmax (int64). A label outside `0..cols` gives a NaN nll (the launcher refuses such
//!   labels before launching, as the interpreter does).
//! - `CrossentropySoftmax1HotWithBiasDx(dnll, sm, y)`: `sm * dnll[i] - (j == y[i]) * dnll[i]`
//!   in f64, one thread per element.

use crate::elemwise::{addr, grid_index};
use crate::ir::{BinOp, Builder, Cmp, Kernel, Space, Sreg, Ty, Val};
use crate::math::{self, Fx};
use crate::reduce::{acc_of, block_fold, fold_smem, identity, Acc, Ctx, ReduceKind};
use crate::scalar::{self, reg_ty, MathOpts};
use crate::PtxError;
use theano_tensor::DType;

fn float_only(what: &str, d: DType) -> Result<(), PtxError> {
    if d.is_float() {
        Ok(())
    } else {
        Err(PtxError::unsupported(what, &[d], "needs a float input"))
    }
}

struct RowLoop {
    row: Val,
    end: crate::ir::Label,
    top: crate::ir::Label,
    step: Val,
}

fn row_loop(b: &mut Builder, rows: Val) -> RowLoop {
    let ctaid = b.sreg(Sreg::CtaidX);
    let nctaid = b.sreg(Sreg::NctaidX);
    let start = b.cvt(Ty::U64, Ty::U32, None, ctaid);
    let step = b.cvt(Ty::U64, Ty::U32, None, nctaid);
    let row = b.var(Ty::U64);
    b.mov(row, start);
    let (top, end) = (b.label(), b.label());
    b.place(top);
    let done = b.setp(Cmp::Ge, Ty::U64, row, rows);
    b.bra_if(done, true, end);
    RowLoop {
        row,
        end,
        top,
        step,
    }
}

fn close_row_loop(b: &mut Builder, l: RowLoop) {
    let r2 = b.bin(BinOp::Add, Ty::U64, l.row, l.step);
    b.mov(l.row, r2);
    b.bra(l.top);
    b.place(l.end);
}

/// A loop `j = tid; j < cols; j += ntid` around `body(j)`.
fn col_loop(
    b: &mut Builder,
    cols: Val,
    tid: Val,
    ntid: Val,
    mut body: impl FnMut(&mut Builder, Val) -> Result<(), PtxError>,
) -> Result<(), PtxError> {
    let j = b.var(Ty::U64);
    let t = b.cvt(Ty::U64, Ty::U32, None, tid);
    let n = b.cvt(Ty::U64, Ty::U32, None, ntid);
    b.mov(j, t);
    let (top, end) = (b.label(), b.label());
    b.place(top);
    let done = b.setp(Cmp::Ge, Ty::U64, j, cols);
    b.bra_if(done, true, end);
    body(b, j)?;
    let j2 = b.bin(BinOp::Add, Ty::U64, j, n);
    b.mov(j, j2);
    b.bra(top);
    b.place(end);
    Ok(())
}

/// A block-wide fold of `f(j)` over the row, for `kind` in accumulator dtype `acc`.
fn fold_row(
    b: &mut Builder,
    kind: ReduceKind,
    acc_d: DType,
    sm: usize,
    cols: Val,
    (tid, ntid): (Val, Val),
    mut f: impl FnMut(&mut Builder, Val) -> Result<Val, PtxError>,
) -> Result<Acc, PtxError> {
    let (_, op) = acc_of(kind, acc_d);
    let cx = Ctx {
        kind,
        acc: acc_d,
        op,
    };
    let argmax = kind == ReduceKind::MaxAndArgmax;
    let av = b.var(reg_ty(acc_d));
    let id = identity(b, kind, acc_d);
    b.mov(av, id);
    let ai = argmax.then(|| {
        let v = b.var(Ty::U64);
        let mx = b.int(Ty::U64, -1);
        b.mov(v, mx);
        v
    });
    col_loop(b, cols, tid, ntid, |b, j| {
        let x = f(b, j)?;
        let n = cx.combine(
            b,
            Acc { v: av, i: ai },
            Acc {
                v: x,
                i: ai.map(|_| j),
            },
        )?;
        b.mov(av, n.v);
        if let (Some(ai), Some(ni)) = (ai, n.i) {
            b.mov(ai, ni);
        }
        Ok(())
    })?;
    block_fold(b, &cx, Acc { v: av, i: ai }, sm, tid, ntid)
}

/// Softmax (or log-softmax) over the last axis of a float matrix (a vector is one row).
/// Parameters: `out` (C-contiguous rows x cols), `in`, `rows`, `cols`, `row_stride`,
/// `col_stride` (elements).
pub fn lower_softmax(name: &str, dtype: DType, log: bool) -> Result<Kernel, PtxError> {
    float_only(if log { "LogSoftmax" } else { "Softmax" }, dtype)?;
    let t = reg_ty(dtype);
    let mut b = Builder::new(name);
    let ps: Vec<usize> = [
        ("out", Ty::U64),
        ("in", Ty::U64),
        ("rows", Ty::U64),
        ("cols", Ty::U64),
        ("row_stride", Ty::S64),
        ("col_stride", Ty::S64),
    ]
    .iter()
    .map(|(n, t)| b.param(n, *t))
    .collect();
    let v: Vec<Val> = ps.iter().map(|p| b.ld_param(*p)).collect();
    let (out, inp, rows, cols, rs, cs) = (v[0], v[1], v[2], v[3], v[4], v[5]);
    let tid = b.sreg(Sreg::TidX);
    let ntid = b.sreg(Sreg::NtidX);
    let sm = fold_smem(&mut b, name);
    let l = row_loop(&mut b, rows);
    let base = b.bin(BinOp::Mul, Ty::S64, l.row, rs);
    let load = |b: &mut Builder, j: Val| -> Val {
        let off = b.fma(Ty::S64, j, cs, base);
        let a = addr(b, inp, off, dtype.itemsize());
        scalar::load(b, Space::GlobalNc, dtype, 1, a, 0)[0]
    };
    let m = fold_row(
        &mut b,
        ReduceKind::Max,
        dtype,
        sm,
        cols,
        (tid, ntid),
        |b, j| Ok(load(b, j)),
    )?
    .v;
    let o = MathOpts::default();
    let s = fold_row(
        &mut b,
        ReduceKind::Sum,
        DType::Float64,
        sm,
        cols,
        (tid, ntid),
        |b, j| {
            let x = load(b, j);
            let d = b.bin(BinOp::Sub, t, x, m);
            let e = math::exp(&mut Fx { b, t }, d, o);
            Ok(scalar::cast(b, (e, dtype), DType::Float64))
        },
    )?
    .v;
    let k = if log {
        let ls = math::log(
            &mut Fx {
                b: &mut b,
                t: Ty::F64,
            },
            s,
            o,
        );
        scalar::cast(&mut b, (ls, DType::Float64), dtype)
    } else {
        scalar::cast(&mut b, (s, DType::Float64), dtype)
    };
    let orow = b.bin(BinOp::Mul, Ty::U64, l.row, cols);
    col_loop(&mut b, cols, tid, ntid, |b, j| {
        let x = load(b, j);
        let d = b.bin(BinOp::Sub, t, x, m);
        let r = if log {
            b.bin(BinOp::Sub, t, d, k)
        } else {
            let e = math::exp(&mut Fx { b, t }, d, o);
            b.bin(BinOp::Div, t, e, k)
        };
        let oi = b.bin(BinOp::Add, Ty::U64, orow, j);
        let a = addr(b, out, oi, dtype.itemsize());
        scalar::store(b, Space::Global, dtype, a, 0, &[r]);
        Ok(())
    })?;
    close_row_loop(&mut b, l);
    b.ret();
    Ok(b.finish())
}

/// `CrossentropySoftmaxArgmax1HotWithBias`. Parameters: `nll`, `sm` (C-contiguous), `am`,
/// `x`, `b`, `y`, `rows`, `cols`, `x_row_stride`, `x_col_stride`, `b_stride` (0 for a bias
/// of length 1), `y_stride`.
pub fn lower_crossentropy(
    name: &str,
    x_d: DType,
    b_d: DType,
    y_d: DType,
) -> Result<Kernel, PtxError> {
    float_only("CrossentropySoftmaxArgmax1HotWithBias", x_d)?;
    float_only("CrossentropySoftmaxArgmax1HotWithBias", b_d)?;
    if !y_d.is_int() {
        return Err(PtxError::unsupported(
            "CrossentropySoftmaxArgmax1HotWithBias",
            &[x_d, b_d, y_d],
            "labels must be integers",
        ));
    }
    let out_d = DType::promote(x_d, b_d);
    let f = Ty::F64;
    let mut bl = Builder::new(name);
    let b = &mut bl;
    let names = [
        ("nll", Ty::U64),
        ("sm", Ty::U64),
        ("am", Ty::U64),
        ("x", Ty::U64),
        ("b", Ty::U64),
        ("y", Ty::U64),
        ("rows", Ty::U64),
        ("cols", Ty::U64),
        ("x_row_stride", Ty::S64),
        ("x_col_stride", Ty::S64),
        ("b_stride", Ty::S64),
        ("y_stride", Ty::S64),
    ];
    let ps: Vec<usize> = names.iter().map(|(n, t)| b.param(n, *t)).collect();
    let v: Vec<Val> = ps.iter().map(|p| b.ld_param(*p)).collect();
    let (nll, smo, am, x, bias, y, rows, cols, xrs, xcs, bs, ys) = (
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11],
    );
    let tid = b.sreg(Sreg::TidX);
    let ntid = b.sreg(Sreg::NtidX);
    let sm = fold_smem(b, name);
    let l = row_loop(b, rows);
    let base = b.bin(BinOp::Mul, Ty::S64, l.row, xrs);
    let z_at = |b: &mut Builder, j: Val| -> Val {
        let off = b.fma(Ty::S64, j, xcs, base);
        let a = addr(b, x, off, x_d.itemsize());
        let xv = scalar::load(b, Space::GlobalNc, x_d, 1, a, 0)[0];
        let xv = scalar::cast(b, (xv, x_d), DType::Float64);
        let boff = b.bin(BinOp::Mul, Ty::S64, j, bs);
        let ba = addr(b, bias, boff, b_d.itemsize());
        let bv = scalar::load(b, Space::GlobalNc, b_d, 1, ba, 0)[0];
        let bv = scalar::cast(b, (bv, b_d), DType::Float64);
        b.bin(BinOp::Add, f, xv, bv)
    };
    let best = fold_row(
        b,
        ReduceKind::MaxAndArgmax,
        DType::Float64,
        sm,
        cols,
        (tid, ntid),
        |b, j| Ok(z_at(b, j)),
    )?;
    let m = best.v;
    let o = MathOpts::default();
    let s = fold_row(
        b,
        ReduceKind::Sum,
        DType::Float64,
        sm,
        cols,
        (tid, ntid),
        |b, j| {
            let z = z_at(b, j);
            let d = b.bin(BinOp::Sub, f, z, m);
            Ok(math::exp(&mut Fx { b, t: f }, d, o))
        },
    )?
    .v;
    let orow = b.bin(BinOp::Mul, Ty::U64, l.row, cols);
    col_loop(b, cols, tid, ntid, |b, j| {
        let z = z_at(b, j);
        let d = b.bin(BinOp::Sub, f, z, m);
        let e = math::exp(&mut Fx { b, t: f }, d, o);
        let r = b.bin(BinOp::Div, f, e, s);
        let r = scalar::cast(b, (r, DType::Float64), out_d);
        let oi = b.bin(BinOp::Add, Ty::U64, orow, j);
        let a = addr(b, smo, oi, out_d.itemsize());
        scalar::store(b, Space::Global, out_d, a, 0, &[r]);
        Ok(())
    })?;
    // thread 0: the nll and the argmax
    let z32 = b.int(Ty::U32, 0);
    let t0 = b.setp(Cmp::Eq, Ty::U32, tid, z32);
    let skip = b.label();
    b.bra_if(t0, false, skip);
    let yoff = b.bin(BinOp::Mul, Ty::S64, l.row, ys);
    let ya = addr(b, y, yoff, y_d.itemsize());
    let label = scalar::load(b, Space::GlobalNc, y_d, 1, ya, 0)[0];
    let label = scalar::cast(b, (label, y_d), DType::Int64);
    let z64 = b.int(Ty::S64, 0);
    let neg = b.setp(Cmp::Lt, Ty::S64, label, z64);
    let big = b.setp(Cmp::Ge, Ty::U64, label, cols);
    let bad = b.bin(BinOp::Or, Ty::Pred, neg, big);
    let safe = b.selp(Ty::S64, bad, z64, label);
    let zl = z_at(b, safe);
    let ls = math::log(&mut Fx { b, t: f }, s, o);
    let d = b.bin(BinOp::Sub, f, zl, m);
    let r = b.bin(BinOp::Sub, f, ls, d);
    let nan = b.f(f, f64::NAN);
    let r = b.selp(f, bad, nan, r);
    let r = scalar::cast(b, (r, DType::Float64), out_d);
    let na = addr(b, nll, l.row, out_d.itemsize());
    scalar::store(b, Space::Global, out_d, na, 0, &[r]);
    let aa = addr(b, am, l.row, 8);
    let idx = best
        .i
        .ok_or_else(|| PtxError::Invalid("argmax fold without index".into()))?;
    b.st(Space::Global, Ty::U64, aa, 0, vec![idx]);
    b.place(skip);
    close_row_loop(b, l);
    b.ret();
    Ok(bl.finish())
}

/// `CrossentropySoftmax1HotWithBiasDx`. Parameters: `dx` (C-contiguous), `dnll`, `sm`, `y`,
/// `rows`, `cols`, `dnll_stride` (0 for one value for all rows), `sm_row_stride`,
/// `sm_col_stride`, `y_stride`.
pub fn lower_crossentropy_dx(
    name: &str,
    dnll_d: DType,
    sm_d: DType,
    y_d: DType,
) -> Result<Kernel, PtxError> {
    float_only("CrossentropySoftmax1HotWithBiasDx", dnll_d)?;
    float_only("CrossentropySoftmax1HotWithBiasDx", sm_d)?;
    if !y_d.is_int() {
        return Err(PtxError::unsupported(
            "CrossentropySoftmax1HotWithBiasDx",
            &[dnll_d, sm_d, y_d],
            "labels must be integers",
        ));
    }
    let out_d = DType::promote(dnll_d, sm_d);
    let f = Ty::F64;
    let mut bl = Builder::new(name);
    let b = &mut bl;
    let names = [
        ("dx", Ty::U64),
        ("dnll", Ty::U64),
        ("sm", Ty::U64),
        ("y", Ty::U64),
        ("rows", Ty::U64),
        ("cols", Ty::U64),
        ("dnll_stride", Ty::S64),
        ("sm_row_stride", Ty::S64),
        ("sm_col_stride", Ty::S64),
        ("y_stride", Ty::S64),
    ];
    let ps: Vec<usize> = names.iter().map(|(n, t)| b.param(n, *t)).collect();
    let v: Vec<Val> = ps.iter().map(|p| b.ld_param(*p)).collect();
    let (dx, dnll, smv, y, rows, cols, ds, srs, scs, ys) =
        (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
    let n = b.bin(BinOp::Mul, Ty::U64, rows, cols);
    let (gid, stride) = grid_index(b);
    let k = b.var(Ty::U64);
    b.mov(k, gid);
    let (top, end) = (b.label(), b.label());
    b.place(top);
    let done = b.setp(Cmp::Ge, Ty::U64, k, n);
    b.bra_if(done, true, end);
    let i = b.bin(BinOp::Div, Ty::U64, k, cols);
    let j = b.bin(BinOp::Rem, Ty::U64, k, cols);
    let doff = b.bin(BinOp::Mul, Ty::S64, i, ds);
    let da = addr(b, dnll, doff, dnll_d.itemsize());
    let d = scalar::load(b, Space::GlobalNc, dnll_d, 1, da, 0)[0];
    let d = scalar::cast(b, (d, dnll_d), DType::Float64);
    let so = b.bin(BinOp::Mul, Ty::S64, i, srs);
    let so = b.fma(Ty::S64, j, scs, so);
    let sa = addr(b, smv, so, sm_d.itemsize());
    let s = scalar::load(b, Space::GlobalNc, sm_d, 1, sa, 0)[0];
    let s = scalar::cast(b, (s, sm_d), DType::Float64);
    let yo = b.bin(BinOp::Mul, Ty::S64, i, ys);
    let ya = addr(b, y, yo, y_d.itemsize());
    let label = scalar::load(b, Space::GlobalNc, y_d, 1, ya, 0)[0];
    let label = scalar::cast(b, (label, y_d), DType::Int64);
    let r = b.bin(BinOp::Mul, f, s, d);
    let hit = b.setp(Cmp::Eq, Ty::S64, label, j);
    let rd = b.bin(BinOp::Sub, f, r, d);
    let r = b.selp(f, hit, rd, r);
    let r = scalar::cast(b, (r, DType::Float64), out_d);
    let a = addr(b, dx, k, out_d.itemsize());
    scalar::store(b, Space::Global, out_d, a, 0, &[r]);
    let k2 = b.bin(BinOp::Add, Ty::U64, k, stride);
    b.mov(k, k2);
    b.bra(top);
    b.place(end);
    b.ret();
    Ok(bl.finish())
}
