//! Scalar ops to kernel IR, with the interpreter's (numpy's) semantics per dtype.
//!
//! Registers per dtype: float64 `f64`, float32 `f32`, int64 `s64`, int32 `s32`, int16 `s16`,
//! int8 `s16` holding the sign-extended value, uint8 `u16` holding the value, uint16/32/64
//! `u16`/`u32`/`u64`, bool a predicate. int8 and uint8 results are re-normalized after every operation that can leave
//! their range (wrapping, as numpy does). Integer division and remainder floor as numpy's
//! do and give 0 for a zero divisor; the cases PTX leaves unspecified (division by zero,
//! `MIN / -1`) never reach a `div`/`rem` instruction.

use crate::ir::{BinOp, Builder, Cmp, Inst, Rnd, Ty, UnOp, Val};
use crate::math::{self, Fx};
use crate::PtxError;
use theano_ir::{Composite, Operand, ScalarOp};
use theano_tensor::DType;

/// Options of the scalar lowering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MathOpts {
    /// f32 exp/log as bare `ex2.approx(x * log2e)` / `lg2.approx(x) * ln2` (fast, a few ulp
    /// near 0 and much worse for exp of large arguments); off by default.
    pub fast_math: bool,
}

/// The register type of a dtype.
pub fn reg_ty(d: DType) -> Ty {
    match d {
        DType::Float64 => Ty::F64,
        DType::Float32 => Ty::F32,
        DType::Int64 => Ty::S64,
        DType::Int32 => Ty::S32,
        DType::Int16 | DType::Int8 => Ty::S16,
        DType::UInt8 | DType::UInt16 => Ty::U16,
        DType::UInt32 => Ty::U32,
        DType::UInt64 => Ty::U64,
        DType::Bool => Ty::Pred,
    }
}

/// The memory type of a dtype (bool is a byte).
pub fn mem_ty(d: DType) -> Ty {
    match d {
        DType::Float64 => Ty::F64,
        DType::Float32 => Ty::F32,
        DType::Int64 => Ty::S64,
        DType::Int32 => Ty::S32,
        DType::Int16 => Ty::S16,
        DType::Int8 => Ty::S8,
        DType::UInt8 | DType::Bool => Ty::U8,
        DType::UInt16 => Ty::U16,
        DType::UInt32 => Ty::U32,
        DType::UInt64 => Ty::U64,
    }
}

/// A typed scalar: a value and the dtype it holds.
pub type TV = (Val, DType);

/// Load one element of dtype `d` at `addr + off` into its register type.
pub fn load(
    b: &mut Builder,
    space: crate::ir::Space,
    d: DType,
    n: usize,
    addr: Val,
    off: i32,
) -> Vec<Val> {
    if d == DType::Bool {
        let raw = b.ld(space, Ty::U8, Ty::U16, n, addr, off);
        let z = b.int(Ty::U16, 0);
        raw.into_iter()
            .map(|r| b.setp(Cmp::Ne, Ty::U16, r, z))
            .collect()
    } else {
        b.ld(space, mem_ty(d), reg_ty(d), n, addr, off)
    }
}

/// Store `vals` (registers of dtype `d`) at `addr + off`.
pub fn store(
    b: &mut Builder,
    space: crate::ir::Space,
    d: DType,
    addr: Val,
    off: i32,
    vals: &[Val],
) {
    let src: Vec<Val> = if d == DType::Bool {
        let (one, zero) = (b.int(Ty::U16, 1), b.int(Ty::U16, 0));
        vals.iter()
            .map(|p| b.selp(Ty::U16, *p, one, zero))
            .collect()
    } else {
        vals.to_vec()
    };
    b.st(space, mem_ty(d), addr, off, src);
}

/// Re-normalize an int8/uint8 register after an operation that may leave the range.
pub fn wrap(b: &mut Builder, v: Val, d: DType) -> Val {
    match d {
        DType::Int8 => b.cvt(Ty::S16, Ty::S8, None, v),
        DType::UInt8 => {
            let m = b.int(Ty::U16, 0xff);
            b.bin(BinOp::And, Ty::U16, v, m)
        }
        _ => v,
    }
}

/// numpy's `astype` of one value.
pub fn cast(b: &mut Builder, (v, from): TV, to: DType) -> Val {
    if from == to {
        return v;
    }
    let (rf, rt) = (reg_ty(from), reg_ty(to));
    if from == DType::Bool {
        let (one, zero) = if to.is_float() {
            (b.f(rt, 1.0), b.f(rt, 0.0))
        } else {
            (b.int(rt, 1), b.int(rt, 0))
        };
        return b.selp(rt, v, one, zero);
    }
    if to == DType::Bool {
        let z = if from.is_float() {
            b.f(rf, 0.0)
        } else {
            b.int(rf, 0)
        };
        // NaN != 0 is true, as numpy's astype(bool)
        let cmp = if from.is_float() { Cmp::Neu } else { Cmp::Ne };
        return b.setp(cmp, rf, v, z);
    }
    match (from.is_float(), to.is_float()) {
        (true, true) => {
            let rnd = if rt == Ty::F32 { Some(Rnd::Rn) } else { None };
            b.cvt(rt, rf, rnd, v)
        }
        (false, true) => b.cvt(rt, rf, Some(Rnd::Rn), v),
        (true, false) => {
            // (v as i64) as T: truncate toward zero saturating to int64 (NaN to 0), then wrap
            let i = b.cvt(Ty::S64, rf, Some(Rnd::Rzi), v);
            if to == DType::UInt64 {
                // uint64 values at or above 2^63 convert directly (as the interpreter's cast)
                let u = b.cvt(Ty::U64, rf, Some(Rnd::Rzi), v);
                let w = int_to_int(b, (i, DType::Int64), to);
                let lim = b.f(rf, (1u64 << 63) as f64);
                let big = b.setp(Cmp::Ge, rf, v, lim);
                return b.selp(Ty::U64, big, u, w);
            }
            int_to_int(b, (i, DType::Int64), to)
        }
        (false, false) => int_to_int(b, (v, from), to),
    }
}

fn int_to_int(b: &mut Builder, (v, from): TV, to: DType) -> Val {
    let (rf, rt) = (reg_ty(from), reg_ty(to));
    let moved = if rf.size() == rt.size() {
        if rf == rt {
            v
        } else {
            let d = b.var(rt);
            b.push(Inst::Mov { dst: d, src: v });
            d
        }
    } else {
        b.cvt(rt, rf, None, v)
    };
    wrap(b, moved, to)
}

/// The dtype an op computes in, given its operands' dtypes and its output dtype (the
/// interpreter's rule: comparisons in the promotion of their operands, everything else in
/// the output dtype).
fn compute_dtype(op: &ScalarOp, ins: &[DType], out: DType) -> DType {
    use ScalarOp::*;
    match op {
        Gt | Lt | Ge | Le | Eq | Neq => DType::promote(ins[0], ins[1]),
        _ => out,
    }
}

/// Lower `op` applied to `args`, producing dtype `out`. Composites are lowered instruction
/// by instruction in the dtypes their ops give.
pub fn lower_op(
    b: &mut Builder,
    op: &ScalarOp,
    args: &[TV],
    out: DType,
    o: MathOpts,
) -> Result<Val, PtxError> {
    if let ScalarOp::Composite(c) = op {
        let r = lower_composite(b, c, args, o)?;
        return Ok(cast(b, r, out));
    }
    let dts: Vec<DType> = args.iter().map(|a| a.1).collect();
    let arity_ok = if op.is_variadic() {
        !args.is_empty()
    } else {
        args.len() == op.arity()
    };
    if !arity_ok {
        return Err(PtxError::Invalid(format!(
            "{} takes {} inputs, got {}",
            op.name(),
            op.arity(),
            args.len()
        )));
    }
    // the type rules refuse what numpy/Theano refuse (bitwise ops on floats, a bool mixed
    // with integers in and/or/xor): the lowering refuses the same, naming the op
    op.out_dtype(&dts)
        .map_err(|why| PtxError::unsupported(op.name(), &dts, &why))?;
    apply(b, op, args, out, o)
}

fn lower_composite(
    b: &mut Builder,
    c: &Composite,
    args: &[TV],
    o: MathOpts,
) -> Result<TV, PtxError> {
    if args.len() != c.n_inputs() {
        return Err(PtxError::Invalid(format!(
            "composite takes {} inputs, got {}",
            c.n_inputs(),
            args.len()
        )));
    }
    let dts: Vec<DType> = args.iter().map(|a| a.1).collect();
    let c = if c.is_nested() {
        c.flattened().map_err(PtxError::Invalid)?
    } else {
        c.clone()
    };
    let outs = c.dtypes(&dts).map_err(PtxError::Invalid)?;
    let mut temps: Vec<TV> = Vec::with_capacity(c.instrs().len());
    for (k, ins) in c.instrs().iter().enumerate() {
        let a: Vec<TV> = ins
            .args
            .iter()
            .map(|x| match *x {
                Operand::Input(i) => args[i],
                Operand::Temp(t) => temps[t],
            })
            .collect();
        let v = lower_op(b, &ins.op, &a, outs[k], o)?;
        temps.push((v, outs[k]));
    }
    temps
        .pop()
        .ok_or_else(|| PtxError::Invalid("empty composite".into()))
}

fn unsupported(op: &ScalarOp, args: &[TV], why: &str) -> PtxError {
    let d: Vec<DType> = args.iter().map(|a| a.1).collect();
    PtxError::unsupported(op.name(), &d, why)
}

fn apply(
    b: &mut Builder,
    op: &ScalarOp,
    args: &[TV],
    out: DType,
    o: MathOpts,
) -> Result<Val, PtxError> {
    use ScalarOp::*;
    let dts: Vec<DType> = args.iter().map(|a| a.1).collect();
    match op {
        Cast(_) | Identity => return Ok(cast(b, args[0], out)),
        Second => return Ok(cast(b, args[1], out)),
        Switch => {
            let c = cast(b, args[0], DType::Bool);
            let x = cast(b, args[1], out);
            let y = cast(b, args[2], out);
            return Ok(if out == DType::Bool {
                let t = b.bin(BinOp::And, Ty::Pred, c, x);
                let nc = b.un(UnOp::Not, Ty::Pred, c);
                let f = b.bin(BinOp::And, Ty::Pred, nc, y);
                b.bin(BinOp::Or, Ty::Pred, t, f)
            } else {
                b.selp(reg_ty(out), c, x, y)
            });
        }
        IsNan | IsInf => {
            // in the input's own dtype: always false for integers and bools (numpy)
            let (x, d) = args[0];
            let p = if d.is_float() {
                let t = reg_ty(d);
                if *op == IsNan {
                    b.setp(Cmp::Nan, t, x, x)
                } else {
                    let a = b.un(UnOp::Abs, t, x);
                    let inf = b.f(t, f64::INFINITY);
                    b.setp(Cmp::Eq, t, a, inf)
                }
            } else {
                let z = b.int(Ty::U16, 0);
                b.setp(Cmp::Ne, Ty::U16, z, z)
            };
            return Ok(cast(b, (p, DType::Bool), out));
        }
        _ => {}
    }
    let cd = compute_dtype(op, &dts, out);
    let v: Vec<Val> = args.iter().map(|a| cast(b, *a, cd)).collect();
    let t = reg_ty(cd);
    if matches!(op, Gt | Lt | Ge | Le | Eq | Neq) {
        let cmp = match op {
            Gt => Cmp::Gt,
            Lt => Cmp::Lt,
            Ge => Cmp::Ge,
            Le => Cmp::Le,
            Eq => Cmp::Eq,
            _ if cd.is_float() => Cmp::Neu,
            _ => Cmp::Ne,
        };
        let (x, y, ct) = if cd == DType::Bool {
            let x = cast(b, (v[0], cd), DType::UInt8);
            let y = cast(b, (v[1], cd), DType::UInt8);
            (x, y, Ty::U16)
        } else {
            (v[0], v[1], t)
        };
        let p = b.setp(cmp, ct, x, y);
        return Ok(cast(b, (p, DType::Bool), out));
    }
    let r = if cd == DType::Bool {
        bool_op(b, op, &v, args)?
    } else if cd.is_float() {
        float_op(b, op, &v, t, args, o)?
    } else {
        int_op(b, op, &v, cd, args)?
    };
    Ok(cast(b, (r, cd), out))
}

fn bool_op(b: &mut Builder, op: &ScalarOp, v: &[Val], args: &[TV]) -> Result<Val, PtxError> {
    use ScalarOp::*;
    let p = Ty::Pred;
    Ok(match op {
        Add | Maximum | Or => fold(b, BinOp::Or, p, v),
        Mul | Minimum | And | IntDiv => fold(b, BinOp::And, p, v),
        Xor => b.bin(BinOp::Xor, p, v[0], v[1]),
        // x % y is always false on bools
        Mod => b.bin(BinOp::Xor, p, v[0], v[0]),
        Pow => {
            let nb = b.un(UnOp::Not, p, v[1]);
            b.bin(BinOp::Or, p, v[0], nb)
        }
        Abs | Sgn | Sqr | Identity => v[0],
        Invert => b.un(UnOp::Not, p, v[0]),
        Clip => {
            let m = b.bin(BinOp::Or, p, v[0], v[1]);
            b.bin(BinOp::And, p, m, v[2])
        }
        Sub | Neg => {
            return Err(unsupported(
                op,
                args,
                "numpy refuses boolean subtract/negative (use xor or invert)",
            ))
        }
        _ => return Err(unsupported(op, args, "no boolean form")),
    })
}

fn fold(b: &mut Builder, op: BinOp, t: Ty, v: &[Val]) -> Val {
    let mut acc = v[0];
    for x in &v[1..] {
        acc = b.bin(op, t, acc, *x);
    }
    acc
}

fn int_op(
    b: &mut Builder,
    op: &ScalarOp,
    v: &[Val],
    d: DType,
    args: &[TV],
) -> Result<Val, PtxError> {
    use ScalarOp::*;
    let t = reg_ty(d);
    let r = match op {
        Add => fold(b, BinOp::Add, t, v),
        Mul => fold(b, BinOp::Mul, t, v),
        Sub => b.bin(BinOp::Sub, t, v[0], v[1]),
        Maximum => b.bin(BinOp::Max, t, v[0], v[1]),
        Minimum => b.bin(BinOp::Min, t, v[0], v[1]),
        Clip => {
            let m = b.bin(BinOp::Max, t, v[0], v[1]);
            b.bin(BinOp::Min, t, m, v[2])
        }
        And => b.bin(BinOp::And, t, v[0], v[1]),
        Or => b.bin(BinOp::Or, t, v[0], v[1]),
        Xor => b.bin(BinOp::Xor, t, v[0], v[1]),
        Invert => b.un(UnOp::Not, t, v[0]),
        Neg if d.is_unsigned() => {
            let z = b.int(t, 0);
            b.bin(BinOp::Sub, t, z, v[0])
        }
        Neg => b.un(UnOp::Neg, t, v[0]),
        Abs if d.is_unsigned() => v[0],
        Abs => b.un(UnOp::Abs, t, v[0]),
        Sgn => {
            let z = b.int(t, 0);
            let one = b.int(t, 1);
            let pos = b.setp(Cmp::Gt, t, v[0], z);
            let p = b.selp(t, pos, one, z);
            if d.is_unsigned() {
                p
            } else {
                let m1 = b.int(t, -1);
                let neg = b.setp(Cmp::Lt, t, v[0], z);
                b.selp(t, neg, m1, p)
            }
        }
        Sqr => b.bin(BinOp::Mul, t, v[0], v[0]),
        IntDiv | Mod => int_divmod(b, op == &IntDiv, v[0], v[1], t),
        Pow => int_pow(b, v[0], v[1], t),
        _ => return Err(unsupported(op, args, "no integer form")),
    };
    Ok(wrap(b, r, d))
}

/// numpy's floor division / remainder of integers (0 for a zero divisor).
fn int_divmod(b: &mut Builder, div: bool, x: Val, y: Val, t: Ty) -> Val {
    let z = b.int(t, 0);
    let one = b.int(t, 1);
    let yz = b.setp(Cmp::Eq, t, y, z);
    let signed = t.is_signed();
    // a safe divisor: 1 where y is 0, and where y is -1 (x / -1 is -x, MIN / -1 wraps)
    let (safe, ym1) = if signed {
        let m1 = b.int(t, -1);
        let ym1 = b.setp(Cmp::Eq, t, y, m1);
        let bad = b.bin(BinOp::Or, Ty::Pred, yz, ym1);
        (b.selp(t, bad, one, y), Some(ym1))
    } else {
        (b.selp(t, yz, one, y), None)
    };
    let q0 = b.bin(BinOp::Div, t, x, safe);
    let r0 = b.bin(BinOp::Rem, t, x, safe);
    let (q, r) = if let Some(ym1) = ym1 {
        let nx = b.un(UnOp::Neg, t, x);
        let q = b.selp(t, ym1, nx, q0);
        let r = b.selp(t, ym1, z, r0);
        // floor: when r != 0 and sign(r) != sign(y), q -= 1 and r += y
        let rnz = b.setp(Cmp::Ne, t, r, z);
        let rneg = b.setp(Cmp::Lt, t, r, z);
        let yneg = b.setp(Cmp::Lt, t, y, z);
        let diff = b.bin(BinOp::Xor, Ty::Pred, rneg, yneg);
        let adj = b.bin(BinOp::And, Ty::Pred, rnz, diff);
        let q1 = b.bin(BinOp::Sub, t, q, one);
        let r1 = b.bin(BinOp::Add, t, r, y);
        (b.selp(t, adj, q1, q), b.selp(t, adj, r1, r))
    } else {
        (q0, r0)
    };
    let res = if div { q } else { r };
    b.selp(t, yz, z, res)
}

/// Integer power by squaring, wrapping; a negative exponent gives 0 (the interpreter
/// refuses it before computing).
fn int_pow(b: &mut Builder, x: Val, y: Val, t: Ty) -> Val {
    let acc = b.var(t);
    let base = b.var(t);
    let e = b.var(t);
    let one = b.int(t, 1);
    let z = b.int(t, 0);
    b.mov(acc, one);
    b.mov(base, x);
    b.mov(e, y);
    let neg = b.setp(Cmp::Lt, t, y, z);
    let (top, end) = (b.label(), b.label());
    b.place(top);
    let done = b.setp(Cmp::Le, t, e, z);
    b.bra_if(done, true, end);
    let bit = b.bin(BinOp::And, t, e, one);
    let odd = b.setp(Cmp::Ne, t, bit, z);
    let m = b.bin(BinOp::Mul, t, acc, base);
    let a2 = b.selp(t, odd, m, acc);
    b.mov(acc, a2);
    let sq = b.bin(BinOp::Mul, t, base, base);
    b.mov(base, sq);
    let sh = b.int(Ty::U32, 1);
    let e2 = b.bin(BinOp::Shr, t, e, sh);
    b.mov(e, e2);
    b.bra(top);
    b.place(end);
    b.selp(t, neg, z, acc)
}

/// `g` computed in f64 (f32 converted exactly, the result rounded once), as the interpreter
/// computes the catalogue's float64 functions.
fn through_f64(f: &mut Fx, x: Val, g: fn(&mut Fx, Val) -> Val) -> Val {
    if f.t == Ty::F64 {
        return g(f, x);
    }
    let xd = f.b.cvt(Ty::F64, Ty::F32, None, x);
    let mut h = Fx { b: f.b, t: Ty::F64 };
    let r = g(&mut h, xd);
    f.b.cvt(Ty::F32, Ty::F64, Some(Rnd::Rn), r)
}

fn float_op(
    b: &mut Builder,
    op: &ScalarOp,
    v: &[Val],
    t: Ty,
    args: &[TV],
    o: MathOpts,
) -> Result<Val, PtxError> {
    use ScalarOp::*;
    let mut f = Fx { b, t };
    Ok(match op {
        Add => fold(f.b, BinOp::Add, t, v),
        Mul => fold(f.b, BinOp::Mul, t, v),
        Sub => f.sub(v[0], v[1]),
        TrueDiv => f.div(v[0], v[1]),
        Neg => f.b.un(UnOp::Neg, t, v[0]),
        Abs => f.abs(v[0]),
        Sqr => f.mul(v[0], v[0]),
        Sqrt => f.b.un(UnOp::Sqrt, t, v[0]),
        Sgn => {
            let (z, one, m1) = (f.c(0.0), f.c(1.0), f.c(-1.0));
            let pos = f.b.setp(Cmp::Gt, t, v[0], z);
            let neg = f.b.setp(Cmp::Lt, t, v[0], z);
            let r = f.sel(pos, one, v[0]);
            f.sel(neg, m1, r)
        }
        Maximum => f.maximum(v[0], v[1]),
        Minimum => f.minimum(v[0], v[1]),
        Clip => {
            let m = f.maximum(v[0], v[1]);
            f.minimum(m, v[2])
        }
        Floor => f.b.cvt(t, t, Some(Rnd::Rmi), v[0]),
        Ceil => f.b.cvt(t, t, Some(Rnd::Rpi), v[0]),
        RoundHalfToEven => f.b.cvt(t, t, Some(Rnd::Rni), v[0]),
        RoundHalfAwayFromZero => {
            let tr = f.b.cvt(t, t, Some(Rnd::Rzi), v[0]);
            let d = f.sub(v[0], tr);
            let ad = f.abs(d);
            let half = f.c(0.5);
            let big = f.b.setp(Cmp::Ge, t, ad, half);
            let one = f.c(1.0);
            let s = f.copysign(one, v[0]);
            let up = f.add(tr, s);
            f.sel(big, up, tr)
        }
        IntDiv => math::float_floordiv(&mut f, v[0], v[1]),
        Mod => math::float_mod(&mut f, v[0], v[1]),
        Pow => math::pow(&mut f, v[0], v[1]),
        Exp => math::exp(&mut f, v[0], o),
        Log => math::log(&mut f, v[0], o),
        Log1p => math::log1p(&mut f, v[0]),
        Expm1 => math::expm1(&mut f, v[0]),
        Tanh => math::tanh(&mut f, v[0]),
        Sigmoid => math::sigmoid(&mut f, v[0]),
        Softplus => math::softplus(&mut f, v[0]),
        Exp2 => math::exp2(&mut f, v[0]),
        Log2 => through_f64(&mut f, v[0], |g, x| {
            math::log_base(g, x, std::f64::consts::LOG2_E)
        }),
        Log10 => through_f64(&mut f, v[0], |g, x| {
            math::log_base(g, x, std::f64::consts::LOG10_E)
        }),
        Sinh => through_f64(&mut f, v[0], math::sinh),
        Cosh => through_f64(&mut f, v[0], math::cosh),
        Sin => through_f64(&mut f, v[0], |g, x| math::trig(g, x, math::Trig::Sin)),
        Cos => through_f64(&mut f, v[0], |g, x| math::trig(g, x, math::Trig::Cos)),
        Tan => through_f64(&mut f, v[0], |g, x| math::trig(g, x, math::Trig::Tan)),
        ArcTan => through_f64(&mut f, v[0], math::atan),
        ArcSin => through_f64(&mut f, v[0], math::asin),
        ArcCos => through_f64(&mut f, v[0], math::acos),
        ArcSinh => through_f64(&mut f, v[0], math::asinh),
        ArcCosh => through_f64(&mut f, v[0], math::acosh),
        ArcTanh => through_f64(&mut f, v[0], math::atanh),
        ArcTan2 => {
            if t == Ty::F64 {
                math::atan2(&mut f, v[0], v[1])
            } else {
                let y = f.b.cvt(Ty::F64, Ty::F32, None, v[0]);
                let x = f.b.cvt(Ty::F64, Ty::F32, None, v[1]);
                let mut h = Fx { b: f.b, t: Ty::F64 };
                let r = math::atan2(&mut h, y, x);
                f.b.cvt(Ty::F32, Ty::F64, Some(Rnd::Rn), r)
            }
        }
        Erf => through_f64(&mut f, v[0], math::erf),
        Erfc => through_f64(&mut f, v[0], math::erfc),
        Erfinv => through_f64(&mut f, v[0], math::erfinv),
        Erfcinv => through_f64(&mut f, v[0], math::erfcinv),
        TriGamma => through_f64(&mut f, v[0], math::tri_gamma),
        Gamma => through_f64(&mut f, v[0], math::gamma),
        Psi => through_f64(&mut f, v[0], math::psi),
        GammaLn => through_f64(&mut f, v[0], math::gammaln),
        Trunc => f.b.cvt(t, t, Some(Rnd::Rzi), v[0]),
        // numpy computes these in the dtype: 1 / x, x * (pi / 180), x * (180 / pi) with the
        // constant's quotient rounded in the dtype too
        Inv => {
            let one = f.c(1.0);
            f.div(one, v[0])
        }
        Deg2Rad | Rad2Deg => {
            let (n, d) = if *op == Deg2Rad {
                (std::f64::consts::PI, 180.0)
            } else {
                (180.0, std::f64::consts::PI)
            };
            let k = if t == Ty::F32 {
                (n as f32 / d as f32) as f64
            } else {
                n / d
            };
            let k = f.c(k);
            f.mul(v[0], k)
        }
        Softsign => {
            let one = f.c(1.0);
            let a = f.abs(v[0]);
            let den = f.add(one, a);
            f.div(v[0], den)
        }
        UltraFastSigmoid => through_f64(&mut f, v[0], math::ultra_fast_sigmoid),
        And | Or | Xor | Invert => {
            return Err(unsupported(
                op,
                args,
                "bitwise ops need integer or bool inputs",
            ))
        }
        _ => return Err(unsupported(op, args, "no float form")),
    })
}
