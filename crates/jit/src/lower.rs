//! Lowering a scalar DAG (one `ScalarOp` or a `Composite`) to Cranelift IR: the per-element
//! body, and the two loops around it (flat, and one strided row).

use crate::{math, JitError};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, AbiParam, FuncRef, InstBuilder, MemFlagsData, Type, Value};
use cranelift_codegen::ir::{Block, BlockArg, Signature};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::{Linkage, Module};
use std::collections::HashMap;
use theano_ir::{Operand, ScalarOp};
use theano_tensor::DType;

/// One instruction of the scalar program, with its operand sources and result dtype.
pub(crate) struct Prog {
    pub instrs: Vec<(ScalarOp, Vec<Operand>)>,
    pub dtypes: Vec<DType>,
}

impl Prog {
    pub fn new(op: &ScalarOp, in_dtypes: &[DType]) -> Result<Prog, JitError> {
        let (instrs, dtypes) = match op {
            ScalarOp::Composite(c) => (
                c.instrs()
                    .iter()
                    .map(|i| (i.op.clone(), i.args.clone()))
                    .collect(),
                c.dtypes(in_dtypes).map_err(JitError::Type)?,
            ),
            _ => (
                vec![(
                    op.clone(),
                    (0..in_dtypes.len()).map(Operand::Input).collect(),
                )],
                vec![op.out_dtype(in_dtypes).map_err(JitError::Type)?],
            ),
        };
        Ok(Prog { instrs, dtypes })
    }
}

/// The Cranelift type holding one element of `d` (bool is an i8 holding 0 or 1).
pub(crate) fn clif_ty(d: DType) -> Type {
    match d {
        DType::Float64 => types::F64,
        DType::Float32 => types::F32,
        DType::Int64 | DType::UInt64 => types::I64,
        DType::Int32 | DType::UInt32 => types::I32,
        DType::Int16 | DType::UInt16 => types::I16,
        DType::Int8 | DType::UInt8 | DType::Bool => types::I8,
    }
}

fn vec_ty(d: DType) -> Option<(Type, i64)> {
    match d {
        DType::Float64 => Some((types::F64X2, 2)),
        DType::Float32 => Some((types::F32X4, 4)),
        _ => None,
    }
}

fn unsupported(op: &ScalarOp, d: DType) -> JitError {
    JitError::Unsupported(format!("{} in {d}", op.name()))
}

/// Whether every instruction of `p` works in one float dtype without calls, so the flat loop
/// can run 128-bit vectors. `inline_math`: the transcendentals are inline (see
/// [`crate::math::inline_math`]), not libm calls.
pub(crate) fn vector_dtype(p: &Prog, in_dtypes: &[DType], inline_math: bool) -> Option<DType> {
    use ScalarOp::*;
    let d = *p.dtypes.last()?;
    vec_ty(d)?;
    // the inputs the program reads (an unread one is never loaded)
    let used = crate::hoist::used_inputs(p, in_dtypes.len());
    let all_same = in_dtypes
        .iter()
        .zip(&used)
        .filter(|(_, &u)| u)
        .map(|(x, _)| x)
        .chain(&p.dtypes)
        .all(|&x| x == d);
    let ok_ops = p.instrs.iter().all(|(op, _)| {
        matches!(
            op,
            Add | Sub
                | Mul
                | TrueDiv
                | Neg
                | Abs
                | Sqr
                | Sqrt
                | Maximum
                | Minimum
                | Clip
                | Floor
                | Ceil
                | RoundHalfToEven
                | Trunc
                | Inv
                | Deg2Rad
                | Rad2Deg
                | Softsign
                | Identity
                | Second
        ) || *op == Cast(d)
            || (inline_math && math_func(op).is_some())
    });
    (all_same && ok_ops).then_some(d)
}

/// Helper calls declared in the module, by symbol name.
pub(crate) struct Calls<'m, M: Module> {
    pub module: &'m mut M,
    pub refs: HashMap<&'static str, FuncRef>,
}

impl<M: Module> Calls<'_, M> {
    /// The function `name` with `n` parameters of `param` (and one result of that type when
    /// `returns`), declared in the module and in `b`'s function on first use.
    fn func(
        &mut self,
        b: &mut FunctionBuilder,
        name: &'static str,
        param: Type,
        n: usize,
        returns: bool,
    ) -> Result<FuncRef, JitError> {
        if let Some(f) = self.refs.get(name) {
            return Ok(*f);
        }
        let mut sig = Signature::new(self.module.isa().default_call_conv());
        sig.params.extend((0..n).map(|_| AbiParam::new(param)));
        if returns {
            sig.returns.push(AbiParam::new(param));
        }
        let id = self
            .module
            .declare_function(name, Linkage::Import, &sig)
            .map_err(|e| JitError::Codegen(e.to_string()))?;
        let f = self.module.declare_func_in_func(id, b.func);
        self.refs.insert(name, f);
        Ok(f)
    }

    /// A call to the scalar helper `name(args: ty...) -> ty`.
    fn call(
        &mut self,
        b: &mut FunctionBuilder,
        name: &'static str,
        ty: Type,
        args: &[Value],
    ) -> Result<Value, JitError> {
        let f = self.func(b, name, ty, args.len(), true)?;
        let inst = b.ins().call(f, args);
        Ok(b.inst_results(inst)[0])
    }

    /// A call to `name(a: i64, b: i64, c: i64)` with no result (the wide loop's block
    /// helpers: source pointer, destination pointer, count).
    pub fn call_void(
        &mut self,
        b: &mut FunctionBuilder,
        name: &'static str,
        args: &[Value],
    ) -> Result<(), JitError> {
        let f = self.func(b, name, types::I64, args.len(), false)?;
        b.ins().call(f, args);
        Ok(())
    }
}

/// Emits the element computation: scalar (`lanes == 1`) or vector.
pub(crate) struct Emitter<'a, 'm, M: Module> {
    pub calls: &'a mut Calls<'m, M>,
    pub vector: bool,
}

impl<M: Module> Emitter<'_, '_, M> {
    /// numpy's astype of one value from `s` to `t`.
    pub fn cast(&self, b: &mut FunctionBuilder, v: Value, s: DType, t: DType) -> Value {
        if s == t {
            return v;
        }
        let (st, tt) = (clif_ty(s), clif_ty(t));
        if s.is_float() {
            if t.is_float() {
                return if t == DType::Float64 {
                    b.ins().fpromote(tt, v)
                } else {
                    b.ins().fdemote(tt, v)
                };
            }
            if t.is_bool() {
                let z = self.fconst(b, s, 0.0);
                return b.ins().fcmp(FloatCC::NotEqual, v, z);
            }
            let i = b.ins().fcvt_to_sint_sat(types::I64, v);
            if t == DType::UInt64 {
                // values at or above 2^63 convert directly (the interpreter's cast)
                let u = b.ins().fcvt_to_uint_sat(types::I64, v);
                let lim = self.fconst(b, s, (1u64 << 63) as f64);
                let big = b.ins().fcmp(FloatCC::GreaterThanOrEqual, v, lim);
                return b.ins().select(big, u, i);
            }
            return if tt == types::I64 {
                i
            } else {
                b.ins().ireduce(tt, i)
            };
        }
        // integer or bool source
        if t.is_float() {
            let w = self.widen(b, v, s);
            return if s == DType::UInt64 {
                b.ins().fcvt_from_uint(tt, w)
            } else {
                b.ins().fcvt_from_sint(tt, w)
            };
        }
        if t.is_bool() {
            let z = b.ins().iconst(st, 0);
            return b.ins().icmp(IntCC::NotEqual, v, z);
        }
        if st == tt {
            return v;
        }
        if st.bits() < tt.bits() {
            if s.is_signed() {
                b.ins().sextend(tt, v)
            } else {
                b.ins().uextend(tt, v)
            }
        } else {
            b.ins().ireduce(tt, v)
        }
    }

    fn widen(&self, b: &mut FunctionBuilder, v: Value, s: DType) -> Value {
        if clif_ty(s) == types::I64 {
            v
        } else if s.is_signed() {
            b.ins().sextend(types::I64, v)
        } else {
            b.ins().uextend(types::I64, v)
        }
    }

    fn fconst(&self, b: &mut FunctionBuilder, d: DType, x: f64) -> Value {
        if d == DType::Float64 {
            b.ins().f64const(x)
        } else {
            b.ins().f32const(x as f32)
        }
    }

    /// The float constant `x` in dtype `d`, splatted to `like`'s vector type in a vector body.
    fn fconst_like(&self, b: &mut FunctionBuilder, like: Value, d: DType, x: f64) -> Value {
        let c = self.fconst(b, d, x);
        if self.vector {
            let ty = b.func.dfg.value_type(like);
            b.ins().splat(ty, c)
        } else {
            c
        }
    }

    /// `c ? x : y` where `c` is a comparison result (an i8 for scalars, a lane mask for
    /// vectors).
    fn sel(&self, b: &mut FunctionBuilder, c: Value, x: Value, y: Value) -> Value {
        if self.vector {
            let ty = b.func.dfg.value_type(x);
            let m = b.ins().bitcast(ty, little(), c);
            b.ins().bitselect(m, x, y)
        } else {
            b.ins().select(c, x, y)
        }
    }

    /// numpy's maximum (`max == true`) or minimum of floats: NaN in `a` wins, then `a` when
    /// `a >= b` (`<=`), else `b`.
    fn fminmax(&self, b: &mut FunctionBuilder, x: Value, y: Value, max: bool) -> Value {
        let nan = b.ins().fcmp(FloatCC::Unordered, x, x);
        let cc = if max {
            FloatCC::GreaterThanOrEqual
        } else {
            FloatCC::LessThanOrEqual
        };
        let ge = b.ins().fcmp(cc, x, y);
        let c = b.ins().bor(nan, ge);
        self.sel(b, c, x, y)
    }

    fn iminmax(&self, b: &mut FunctionBuilder, x: Value, y: Value, d: DType, max: bool) -> Value {
        if d.is_bool() {
            return if max {
                b.ins().bor(x, y)
            } else {
                b.ins().band(x, y)
            };
        }
        let cc = match (max, d.is_signed()) {
            (true, true) => IntCC::SignedGreaterThanOrEqual,
            (true, false) => IntCC::UnsignedGreaterThanOrEqual,
            (false, true) => IntCC::SignedLessThanOrEqual,
            (false, false) => IntCC::UnsignedLessThanOrEqual,
        };
        let c = b.ins().icmp(cc, x, y);
        b.ins().select(c, x, y)
    }

    /// Whether the transcendentals are emitted inline (the target has an fma).
    fn inline_math(&self) -> bool {
        math::inline_math(self.calls.module.isa())
    }

    fn call1(
        &mut self,
        b: &mut FunctionBuilder,
        base: &str,
        d: DType,
        args: &[Value],
    ) -> Result<Value, JitError> {
        let name: &'static str =
            helper_name(base, d).ok_or_else(|| JitError::Unsupported(format!("{base} in {d}")))?;
        self.calls.call(b, name, clif_ty(d), args)
    }

    /// One instruction: `op` on `args` (of dtypes `ads`), giving dtype `out`.
    pub fn instr(
        &mut self,
        b: &mut FunctionBuilder,
        op: &ScalarOp,
        args: &[Value],
        ads: &[DType],
        out: DType,
    ) -> Result<Value, JitError> {
        use ScalarOp::*;
        match op {
            Identity | Cast(_) => return Ok(self.cast(b, args[0], ads[0], out)),
            Second => return Ok(self.cast(b, args[1], ads[1], out)),
            Switch => {
                let c = self.cast(b, args[0], ads[0], DType::Bool);
                let x = self.cast(b, args[1], ads[1], out);
                let y = self.cast(b, args[2], ads[2], out);
                return Ok(b.ins().select(c, x, y));
            }
            Gt | Lt | Ge | Le | Eq | Neq => {
                let cd = DType::promote(ads[0], ads[1]);
                let x = self.cast(b, args[0], ads[0], cd);
                let y = self.cast(b, args[1], ads[1], cd);
                return Ok(if cd.is_float() {
                    let cc = match op {
                        Gt => FloatCC::GreaterThan,
                        Lt => FloatCC::LessThan,
                        Ge => FloatCC::GreaterThanOrEqual,
                        Le => FloatCC::LessThanOrEqual,
                        Eq => FloatCC::Equal,
                        _ => FloatCC::NotEqual,
                    };
                    b.ins().fcmp(cc, x, y)
                } else {
                    let s = cd.is_signed();
                    let cc = match (op, s) {
                        (Gt, true) => IntCC::SignedGreaterThan,
                        (Gt, false) => IntCC::UnsignedGreaterThan,
                        (Lt, true) => IntCC::SignedLessThan,
                        (Lt, false) => IntCC::UnsignedLessThan,
                        (Ge, true) => IntCC::SignedGreaterThanOrEqual,
                        (Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
                        (Le, true) => IntCC::SignedLessThanOrEqual,
                        (Le, false) => IntCC::UnsignedLessThanOrEqual,
                        (Eq, _) => IntCC::Equal,
                        _ => IntCC::NotEqual,
                    };
                    b.ins().icmp(cc, x, y)
                });
            }
            IsNan | IsInf => {
                // in the input's own dtype: false for integers and bools (numpy)
                let (x, d) = (args[0], ads[0]);
                if !d.is_float() {
                    return Ok(b.ins().iconst(types::I8, 0));
                }
                return Ok(if *op == IsNan {
                    b.ins().fcmp(FloatCC::Unordered, x, x)
                } else {
                    let a = b.ins().fabs(x);
                    let inf = self.fconst(b, d, f64::INFINITY);
                    b.ins().fcmp(FloatCC::Equal, a, inf)
                });
            }
            _ => {}
        }
        // everything else computes in the output dtype
        let v: Vec<Value> = args
            .iter()
            .zip(ads)
            .map(|(&a, &d)| self.cast(b, a, d, out))
            .collect();
        let d = out;
        if d.is_float() {
            let r = match op {
                Add => fold(b, &v, |b, x, y| b.ins().fadd(x, y)),
                Mul => fold(b, &v, |b, x, y| b.ins().fmul(x, y)),
                Sub => b.ins().fsub(v[0], v[1]),
                TrueDiv => b.ins().fdiv(v[0], v[1]),
                Neg => b.ins().fneg(v[0]),
                Abs => b.ins().fabs(v[0]),
                Sqr => b.ins().fmul(v[0], v[0]),
                Sqrt => b.ins().sqrt(v[0]),
                Floor => b.ins().floor(v[0]),
                Ceil => b.ins().ceil(v[0]),
                RoundHalfToEven => b.ins().nearest(v[0]),
                Trunc => b.ins().trunc(v[0]),
                Inv => {
                    let one = self.fconst_like(b, v[0], d, 1.0);
                    b.ins().fdiv(one, v[0])
                }
                // numpy's constants, the quotient taken in the dtype (as the interpreter)
                Deg2Rad | Rad2Deg => {
                    let (p, q) = if *op == Deg2Rad {
                        (std::f64::consts::PI, 180.0)
                    } else {
                        (180.0, std::f64::consts::PI)
                    };
                    let k = if d == DType::Float32 {
                        (p as f32 / q as f32) as f64
                    } else {
                        p / q
                    };
                    let c = self.fconst_like(b, v[0], d, k);
                    b.ins().fmul(v[0], c)
                }
                Softsign => {
                    let one = self.fconst_like(b, v[0], d, 1.0);
                    let a = b.ins().fabs(v[0]);
                    let den = b.ins().fadd(one, a);
                    b.ins().fdiv(v[0], den)
                }
                Maximum => self.fminmax(b, v[0], v[1], true),
                Minimum => self.fminmax(b, v[0], v[1], false),
                Clip => {
                    let m = self.fminmax(b, v[0], v[1], true);
                    self.fminmax(b, m, v[2], false)
                }
                Sgn => {
                    let z = self.fconst(b, d, 0.0);
                    let one = self.fconst(b, d, 1.0);
                    let mone = self.fconst(b, d, -1.0);
                    let gt = b.ins().fcmp(FloatCC::GreaterThan, v[0], z);
                    let lt = b.ins().fcmp(FloatCC::LessThan, v[0], z);
                    let r = b.ins().select(lt, mone, v[0]);
                    b.ins().select(gt, one, r)
                }
                _ if self.inline_math() && math_func(op).is_some() => {
                    let f = math_func(op).expect("checked");
                    math::emit(b, f, &v).ok_or_else(|| unsupported(op, d))?
                }
                Exp => self.call1(b, "exp", d, &v)?,
                Log => self.call1(b, "log", d, &v)?,
                Log1p => self.call1(b, "log1p", d, &v)?,
                Expm1 => self.call1(b, "expm1", d, &v)?,
                Tanh => self.call1(b, "tanh", d, &v)?,
                Sigmoid => self.call1(b, "sigmoid", d, &v)?,
                Softplus => self.call1(b, "softplus", d, &v)?,
                RoundHalfAwayFromZero => self.call1(b, "round_half_away", d, &v)?,
                Pow => self.call1(b, "pow", d, &v)?,
                IntDiv => self.call1(b, "int_div", d, &v)?,
                Mod => self.call1(b, "mod", d, &v)?,
                ArcTan2 => self.call1(b, "arctan2", d, &v)?,
                _ => match crate::helpers::catalogue_helper(op, d == DType::Float32) {
                    Some(name) if d.is_float() => self.calls.call(b, name, clif_ty(d), &v)?,
                    _ => return Err(unsupported(op, d)),
                },
            };
            return Ok(r);
        }
        if d.is_bool() {
            let r = match op {
                Add | Or | Maximum => fold(b, &v, |b, x, y| b.ins().bor(x, y)),
                Mul | And | Minimum => fold(b, &v, |b, x, y| b.ins().band(x, y)),
                Xor => b.ins().bxor(v[0], v[1]),
                Invert => {
                    let one = b.ins().iconst(types::I8, 1);
                    b.ins().bxor(v[0], one)
                }
                Clip => {
                    let m = b.ins().bor(v[0], v[1]);
                    b.ins().band(m, v[2])
                }
                _ => return Err(unsupported(op, d)),
            };
            return Ok(r);
        }
        // integers: wrapping
        let r = match op {
            Add => fold(b, &v, |b, x, y| b.ins().iadd(x, y)),
            Mul => fold(b, &v, |b, x, y| b.ins().imul(x, y)),
            Sub => b.ins().isub(v[0], v[1]),
            Neg => b.ins().ineg(v[0]),
            Sqr => b.ins().imul(v[0], v[0]),
            Abs if d.is_signed() => {
                let n = b.ins().ineg(v[0]);
                let z = b.ins().iconst(clif_ty(d), 0);
                let c = b.ins().icmp(IntCC::SignedLessThan, v[0], z);
                b.ins().select(c, n, v[0])
            }
            Abs => v[0],
            Sgn => {
                let ty = clif_ty(d);
                let one = b.ins().iconst(ty, 1);
                let z = b.ins().iconst(ty, 0);
                if d.is_signed() {
                    let mone = b.ins().iconst(ty, -1);
                    let gt = b.ins().icmp(IntCC::SignedGreaterThan, v[0], z);
                    let lt = b.ins().icmp(IntCC::SignedLessThan, v[0], z);
                    let r = b.ins().select(lt, mone, z);
                    b.ins().select(gt, one, r)
                } else {
                    let ne = b.ins().icmp(IntCC::NotEqual, v[0], z);
                    b.ins().select(ne, one, z)
                }
            }
            Maximum => self.iminmax(b, v[0], v[1], d, true),
            Minimum => self.iminmax(b, v[0], v[1], d, false),
            Clip => {
                let m = self.iminmax(b, v[0], v[1], d, true);
                self.iminmax(b, m, v[2], d, false)
            }
            And => b.ins().band(v[0], v[1]),
            Or => b.ins().bor(v[0], v[1]),
            Xor => b.ins().bxor(v[0], v[1]),
            Invert => b.ins().bnot(v[0]),
            Floor | Ceil | RoundHalfToEven | RoundHalfAwayFromZero => v[0],
            _ => return Err(unsupported(op, d)),
        };
        Ok(r)
    }

    /// The whole program on input values `ins` (of dtypes `in_dtypes`), cast to `out`.
    pub fn program(
        &mut self,
        b: &mut FunctionBuilder,
        p: &Prog,
        ins: &[Value],
        in_dtypes: &[DType],
        out: DType,
    ) -> Result<Value, JitError> {
        let temps = self.program_temps(b, p, ins, in_dtypes)?;
        let last = *p.dtypes.last().expect("non-empty");
        let r = *temps.last().expect("non-empty");
        Ok(self.cast(b, r, last, out))
    }

    /// Every instruction's value of the scalar program `p` on `ins`, in order.
    pub fn program_temps(
        &mut self,
        b: &mut FunctionBuilder,
        p: &Prog,
        ins: &[Value],
        in_dtypes: &[DType],
    ) -> Result<Vec<Value>, JitError> {
        let mut temps: Vec<Value> = Vec::with_capacity(p.instrs.len());
        for (k, (op, args)) in p.instrs.iter().enumerate() {
            let (vals, ds): (Vec<Value>, Vec<DType>) = args
                .iter()
                .map(|a| match *a {
                    Operand::Input(i) => (ins[i], in_dtypes[i]),
                    Operand::Temp(t) => (temps[t], p.dtypes[t]),
                })
                .unzip();
            let r = self.instr(b, op, &vals, &ds, p.dtypes[k])?;
            temps.push(r);
        }
        Ok(temps)
    }
}

/// The inline math function of `op`, if it has one.
pub(crate) fn math_func(op: &ScalarOp) -> Option<math::Func> {
    use math::Func as F;
    Some(match op {
        ScalarOp::Exp => F::Exp,
        ScalarOp::Log => F::Log,
        ScalarOp::Log1p => F::Log1p,
        ScalarOp::Expm1 => F::Expm1,
        ScalarOp::Tanh => F::Tanh,
        ScalarOp::Sigmoid => F::Sigmoid,
        ScalarOp::Softplus => F::Softplus,
        ScalarOp::Pow => F::Pow,
        _ => return None,
    })
}

fn fold(
    b: &mut FunctionBuilder,
    v: &[Value],
    f: impl Fn(&mut FunctionBuilder, Value, Value) -> Value,
) -> Value {
    let mut acc = v[0];
    for &x in &v[1..] {
        acc = f(b, acc, x);
    }
    acc
}

fn helper_name(base: &str, d: DType) -> Option<&'static str> {
    let f32 = match d {
        DType::Float64 => false,
        DType::Float32 => true,
        _ => return None,
    };
    Some(match (base, f32) {
        ("exp", false) => "theano_exp_f64",
        ("log", false) => "theano_log_f64",
        ("log1p", false) => "theano_log1p_f64",
        ("expm1", false) => "theano_expm1_f64",
        ("tanh", false) => "theano_tanh_f64",
        ("sigmoid", false) => "theano_sigmoid_f64",
        ("softplus", false) => "theano_softplus_f64",
        ("round_half_away", false) => "theano_round_half_away_f64",
        ("pow", false) => "theano_pow_f64",
        ("int_div", false) => "theano_int_div_f64",
        ("mod", false) => "theano_mod_f64",
        ("arctan2", false) => "theano_arctan2_f64",
        ("exp", true) => "theano_exp_f32",
        ("log", true) => "theano_log_f32",
        ("log1p", true) => "theano_log1p_f32",
        ("expm1", true) => "theano_expm1_f32",
        ("tanh", true) => "theano_tanh_f32",
        ("sigmoid", true) => "theano_sigmoid_f32",
        ("softplus", true) => "theano_softplus_f32",
        ("round_half_away", true) => "theano_round_half_away_f32",
        ("pow", true) => "theano_pow_f32",
        ("int_div", true) => "theano_int_div_f32",
        ("mod", true) => "theano_mod_f32",
        ("arctan2", true) => "theano_arctan2_f32",
        _ => return None,
    })
}

/// Memory flags for element loads and stores: the caller guarantees the addresses are valid
/// (shapes checked in Rust); vectors are not assumed 16-byte aligned.
pub(crate) fn mem() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// Memory flags for the bitcasts between vectors of different lane types, which must name
/// their lane order.
pub(crate) fn little() -> MemFlagsData {
    MemFlagsData::new().with_endianness(cranelift_codegen::ir::Endianness::Little)
}

/// `for (j = start; j + step <= end; j += step)` carrying `init` through the body (which
/// returns the next values, and may leave any block current); returns the final `j` and the
/// carried values, in the loop's exit block.
pub(crate) fn try_counted<E>(
    b: &mut FunctionBuilder,
    start: Value,
    end: Value,
    step: i64,
    init: &[Value],
    mut body: impl FnMut(&mut FunctionBuilder, Value, &[Value]) -> Result<Vec<Value>, E>,
) -> Result<(Value, Vec<Value>), E> {
    let tys: Vec<Type> = init.iter().map(|&v| b.func.dfg.value_type(v)).collect();
    let head = b.create_block();
    let body_bl = b.create_block();
    let exit = b.create_block();
    for bl in [head, exit] {
        b.append_block_param(bl, types::I64);
        for &t in &tys {
            b.append_block_param(bl, t);
        }
    }
    let ba = |j: Value, vs: &[Value]| -> Vec<BlockArg> {
        std::iter::once(j)
            .chain(vs.iter().copied())
            .map(BlockArg::from)
            .collect()
    };
    b.ins().jump(head, &ba(start, init));
    b.switch_to_block(head);
    let ps = b.block_params(head).to_vec();
    let next = b.ins().iadd_imm_s(ps[0], step);
    let c = b.ins().icmp(IntCC::SignedLessThanOrEqual, next, end);
    b.ins().brif(c, body_bl, &[], exit, &ba(ps[0], &ps[1..]));
    b.switch_to_block(body_bl);
    let out = body(b, ps[0], &ps[1..])?;
    b.ins().jump(head, &ba(next, &out));
    b.switch_to_block(exit);
    let ps = b.block_params(exit).to_vec();
    Ok((ps[0], ps[1..].to_vec()))
}

/// [`try_counted`] with a body that cannot fail.
pub(crate) fn counted(
    b: &mut FunctionBuilder,
    start: Value,
    end: Value,
    step: i64,
    init: &[Value],
    mut body: impl FnMut(&mut FunctionBuilder, Value, &[Value]) -> Vec<Value>,
) -> (Value, Vec<Value>) {
    let Ok(r) = try_counted::<std::convert::Infallible>(b, start, end, step, init, |b, j, v| {
        Ok(body(b, j, v))
    });
    r
}

/// A block with `n` i64 parameters.
pub(crate) fn block_i64(b: &mut FunctionBuilder, n: usize) -> Block {
    let bl = b.create_block();
    for _ in 0..n {
        b.append_block_param(bl, types::I64);
    }
    bl
}
