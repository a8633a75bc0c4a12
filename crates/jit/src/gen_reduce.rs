//! Generated reductions: `Reduce{Sum, Prod, Max, Min, All, Any}` over any axes for every
//! dtype, and `MaxAndArgmax{axes}`, with the interpreter's numpy semantics: sums and
//! products of ints and bools accumulate in int64 (wrapping), of floats in float64 (float32
//! is rounded back once); max/min propagate NaN and refuse empty reductions (checked in
//! `out_shape`); all/any test `!= 0` (NaN is true); argmax takes the first maximum, or the
//! first NaN, the reduced axes flattened in C order.
//!
//! The loops are Cranelift functions generated per op, at `function()` time, from its
//! static facts (kind, dtype), into the function's [`crate::KernelSet`] module:
//! - `fold(p, n, s, acc) -> acc`: fold `n` elements `s` bytes apart into the accumulator
//!   (passed as its bits in an i64). For contiguous elements, sums, integer products,
//!   max/min and all/any run 128-bit vectors (f64x2 or i64x2 with the inputs widened; the
//!   dtype's own lanes for max/min; lane masks of `x != 0` for all/any) with eight
//!   independent accumulators; float max/min then refold in sequence when the result is a
//!   zero or a NaN, so the sign of a zero and the NaN returned are the sequential fold's.
//!   Float products and strided lanes: a scalar loop (unrolled by four, in order).
//! - `rows(acc, p, n, s, m, rs)`: for `m` rows `rs` bytes apart, `acc[i] = comb(acc[i],
//!   x[i])` over a row, four rows per pass over the accumulators (vectorized when the row is
//!   contiguous; all/any accumulate lane masks of the input's width): the loop for a kept dimension with the smallest stride (e.g. summing a C
//!   matrix over axis 0), reading memory in order without reassociation.
//! - `comb(a, b) -> a`, to combine the partial folds of threads.
//! - for `MaxAndArgmax`, `lane(state, p, n, s)`: the running (max, argmax, index) over a
//!   lane, in two interleaved chains (vector chains with lane indices for contiguous float
//!   lanes) whose candidates are then joined by value, NaN first, then the lowest index.
//!
//! The outer loop order is planned in Rust per call from the strides: size-1 dimensions
//! are dropped, reduced dimensions sorted by stride (kept in index order for float max/min,
//! whose result on ties of signed zeros depends on the order) and merged where contiguous,
//! then either *rows* (a kept dimension has the smallest stride) or *lanes* (each output cell
//! folds its reduced sub-array with `fold` on the innermost dimension). A full contiguous
//! reduction of at least [`PAR_REDUCE`] elements is split over rayon's threads (for the
//! folds that may be reassociated: not float products, max or min). Shapes are validated
//! in `out_shape` before any generated code runs.

use crate::blas::{check_inputs, out_shape_of, via_aligned};
use crate::gen::{Gen, GenSpec, KeepAlive};
use crate::lower::{clif_ty, counted, little, mem};
use crate::JitError;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, BlockArg, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use theano_exec::kernel::{NativeKernel, Shape, View, MAX_NDIM};
use theano_ir::{Op, ReduceKind, TensorType};
use theano_tensor::DType;

/// A full reduction of at least this many contiguous elements is split over rayon's threads
/// (measured: docs/JIT.md).
pub const PAR_REDUCE: usize = 1 << 20;

const I64: Type = types::I64;

fn bargs(vs: &[Value]) -> Vec<BlockArg> {
    vs.iter().map(|&v| v.into()).collect()
}

/// One reduction: its kind and input dtype.
#[derive(Clone, Copy, Debug)]
struct Fold {
    kind: ReduceKind,
    dt: DType,
}

impl Fold {
    /// The accumulator's dtype (bool holds 0 or 1).
    fn acc(self) -> DType {
        match self.kind {
            ReduceKind::Sum | ReduceKind::Prod if self.dt.is_float() => DType::Float64,
            ReduceKind::Sum | ReduceKind::Prod => DType::Int64,
            ReduceKind::Max | ReduceKind::Min => self.dt,
            ReduceKind::All | ReduceKind::Any => DType::Bool,
        }
    }

    fn float_minmax(self) -> bool {
        matches!(self.kind, ReduceKind::Max | ReduceKind::Min) && self.dt.is_float()
    }

    /// Whether partial folds may be combined in any order with the same result (float
    /// sums: up to rounding); float max/min only with the rescan of `fold`.
    fn assoc(self) -> bool {
        !(self.float_minmax() || self.kind == ReduceKind::Prod && self.dt.is_float())
    }

    /// The identity's bits (the accumulator in the low bytes).
    fn init_bits(self) -> u64 {
        let max = self.kind == ReduceKind::Max;
        match self.kind {
            ReduceKind::Sum => 0,
            ReduceKind::Prod if self.dt.is_float() => 1f64.to_bits(),
            ReduceKind::Prod | ReduceKind::All => 1,
            ReduceKind::Any => 0,
            ReduceKind::Max | ReduceKind::Min => match self.dt {
                DType::Float64 => (if max {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })
                .to_bits(),
                DType::Float32 => (if max {
                    f32::NEG_INFINITY
                } else {
                    f32::INFINITY
                })
                .to_bits() as u64,
                DType::Int64 => (if max { i64::MIN } else { i64::MAX }) as u64,
                DType::Int32 => (if max { i32::MIN } else { i32::MAX }) as u32 as u64,
                DType::Int16 => (if max { i16::MIN } else { i16::MAX }) as u16 as u64,
                DType::Int8 => (if max { i8::MIN } else { i8::MAX }) as u8 as u64,
                DType::UInt8 => (if max { u8::MIN } else { u8::MAX }) as u64,
                DType::UInt16 => (if max { u16::MIN } else { u16::MAX }) as u64,
                DType::UInt32 => (if max { u32::MIN } else { u32::MAX }) as u64,
                DType::UInt64 => {
                    if max {
                        u64::MIN
                    } else {
                        u64::MAX
                    }
                }
                DType::Bool => u64::from(!max),
            },
        }
    }

    /// Write the accumulator `bits` as the output dtype at `o`.
    ///
    /// # Safety
    /// `o` is valid for a write of the output dtype (any alignment).
    unsafe fn write_out(self, bits: u64, o: *mut u8) {
        let out = self.kind.out_dtype(self.dt);
        if self.acc() == DType::Float64 && out == DType::Float32 {
            // SAFETY: o holds an f32 (the caller's contract).
            unsafe { (o as *mut f32).write_unaligned(f64::from_bits(bits) as f32) }
        } else if out == DType::Bool {
            // a bool, or a lane mask of the rows' accumulators
            // SAFETY: o holds a bool.
            unsafe { o.write(u8::from(bits != 0)) }
        } else {
            // the accumulator is the output dtype: its low bytes (little-endian)
            let b = bits.to_le_bytes();
            // SAFETY: o holds out.itemsize() <= 8 bytes.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), o, out.itemsize()) }
        }
    }

    /// The vectors a contiguous fold runs on: the accumulator's vector type and how many
    /// elements one [`Fold::load_chunk`] reads; `None` for a scalar loop.
    fn vec_plan(self) -> Option<(Type, usize)> {
        match self.kind {
            ReduceKind::Sum | ReduceKind::Prod => {
                let ty = if self.dt.is_float() {
                    types::F64X2
                } else {
                    types::I64X2
                };
                let e = match self.dt {
                    DType::Float64
                    | DType::Float32
                    | DType::Int64
                    | DType::Int32
                    | DType::UInt64
                    | DType::UInt32 => 2,
                    DType::Int16 | DType::UInt16 => 4,
                    DType::Int8 | DType::UInt8 | DType::Bool => 8,
                };
                Some((ty, e))
            }
            ReduceKind::Max | ReduceKind::Min => {
                let ty = clif_ty(self.dt).by(16 / self.dt.itemsize() as u32)?;
                Some((ty, 16 / self.dt.itemsize()))
            }
            ReduceKind::All | ReduceKind::Any => None,
        }
    }

    /// Load one chunk of contiguous elements at `a` as accumulator vectors, in order.
    fn load_chunk(self, b: &mut FunctionBuilder, a: Value) -> Vec<Value> {
        let Some((ty, _)) = self.vec_plan() else {
            return Vec::new();
        };
        if matches!(self.kind, ReduceKind::Max | ReduceKind::Min) {
            return vec![b.ins().load(ty, mem(), a, 0)];
        }
        let widen = |b: &mut FunctionBuilder, vs: Vec<Value>, signed: bool| -> Vec<Value> {
            vs.into_iter()
                .flat_map(|v| {
                    if signed {
                        [b.ins().swiden_low(v), b.ins().swiden_high(v)]
                    } else {
                        [b.ins().uwiden_low(v), b.ins().uwiden_high(v)]
                    }
                })
                .collect()
        };
        match self.dt {
            DType::Float64 | DType::Int64 | DType::UInt64 => vec![b.ins().load(ty, mem(), a, 0)],
            DType::Float32 => {
                let w = b.ins().load(I64, mem(), a, 0);
                let v = b.ins().scalar_to_vector(types::I64X2, w);
                let v = b.ins().bitcast(types::F32X4, little(), v);
                vec![b.ins().fvpromote_low(v)]
            }
            DType::Int32 => vec![b.ins().sload32x2(mem(), a, 0)],
            DType::UInt32 => vec![b.ins().uload32x2(mem(), a, 0)],
            DType::UInt16 => {
                let v = b.ins().uload16x4(mem(), a, 0);
                widen(b, vec![v], false)
            }
            DType::Int16 => {
                let v = b.ins().sload16x4(mem(), a, 0);
                widen(b, vec![v], true)
            }
            DType::Int8 => {
                let v = b.ins().sload8x8(mem(), a, 0);
                let v = widen(b, vec![v], true);
                widen(b, v, true)
            }
            DType::UInt8 | DType::Bool => {
                let v = b.ins().uload8x8(mem(), a, 0);
                let v = widen(b, vec![v], false);
                widen(b, v, false)
            }
        }
    }

    /// The element at `a` as the accumulator.
    fn load(self, b: &mut FunctionBuilder, a: Value) -> Value {
        let x = b.ins().load(clif_ty(self.dt), mem(), a, 0);
        match self.kind {
            ReduceKind::Sum | ReduceKind::Prod => match self.dt {
                DType::Float32 => b.ins().fpromote(types::F64, x),
                DType::Float64 | DType::Int64 | DType::UInt64 => x,
                DType::UInt8 | DType::UInt16 | DType::UInt32 | DType::Bool => {
                    b.ins().uextend(I64, x)
                }
                _ => b.ins().sextend(I64, x),
            },
            ReduceKind::Max | ReduceKind::Min => x,
            ReduceKind::All | ReduceKind::Any => {
                if self.dt.is_float() {
                    let z = if self.dt == DType::Float64 {
                        b.ins().f64const(0.0)
                    } else {
                        b.ins().f32const(0.0)
                    };
                    b.ins().fcmp(FloatCC::NotEqual, x, z)
                } else {
                    b.ins().icmp_imm_s(IntCC::NotEqual, x, 0)
                }
            }
        }
    }

    /// `comb(a, x)` of accumulators (scalars or vectors); `a` wins ties (numpy's
    /// maximum/minimum with `a` first).
    fn comb(self, b: &mut FunctionBuilder, a: Value, x: Value) -> Value {
        let float = self.acc().is_float();
        let vector = b.func.dfg.value_type(a).is_vector();
        match self.kind {
            ReduceKind::Sum if float => b.ins().fadd(a, x),
            ReduceKind::Sum => b.ins().iadd(a, x),
            ReduceKind::Prod if float => b.ins().fmul(a, x),
            ReduceKind::Prod => b.ins().imul(a, x),
            ReduceKind::All => b.ins().band(a, x),
            ReduceKind::Any => b.ins().bor(a, x),
            ReduceKind::Max | ReduceKind::Min => {
                let max = self.kind == ReduceKind::Max;
                if float {
                    let nan = b.ins().fcmp(FloatCC::Unordered, a, a);
                    let cc = if max {
                        FloatCC::GreaterThanOrEqual
                    } else {
                        FloatCC::LessThanOrEqual
                    };
                    let ge = b.ins().fcmp(cc, a, x);
                    if vector {
                        // two selects on the compare masks (each a blend instruction where
                        // the target has one) rather than one on their union
                        let ty = b.func.dfg.value_type(a);
                        let m = b.ins().bitcast(ty, little(), ge);
                        let t = b.ins().bitselect(m, a, x);
                        let m = b.ins().bitcast(ty, little(), nan);
                        b.ins().bitselect(m, a, t)
                    } else {
                        let c = b.ins().bor(nan, ge);
                        b.ins().select(c, a, x)
                    }
                } else if self.dt.is_bool() {
                    if max {
                        b.ins().bor(a, x)
                    } else {
                        b.ins().band(a, x)
                    }
                } else {
                    match (max, self.dt.is_signed()) {
                        (true, true) => b.ins().smax(a, x),
                        (true, false) => b.ins().umax(a, x),
                        (false, true) => b.ins().smin(a, x),
                        (false, false) => b.ins().umin(a, x),
                    }
                }
            }
        }
    }

    /// The accumulator from its bits in an i64.
    fn acc_of_bits(self, b: &mut FunctionBuilder, v: Value) -> Value {
        match clif_ty(self.acc()) {
            types::F64 => b.ins().bitcast(types::F64, MemFlagsData::new(), v),
            types::F32 => {
                let i = b.ins().ireduce(types::I32, v);
                b.ins().bitcast(types::F32, MemFlagsData::new(), i)
            }
            types::I64 => v,
            t => b.ins().ireduce(t, v),
        }
    }

    /// The accumulator's bits in an i64 (zero-extended).
    fn bits_of_acc(self, b: &mut FunctionBuilder, v: Value) -> Value {
        match clif_ty(self.acc()) {
            types::F64 => b.ins().bitcast(I64, MemFlagsData::new(), v),
            types::F32 => {
                let i = b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                b.ins().uextend(I64, i)
            }
            types::I64 => v,
            _ => b.ins().uextend(I64, v),
        }
    }

    /// A scalar loop folding elements `i..n` (at `p`, `s` bytes apart) into `acc`, in
    /// order (unrolled by four); returns the result, in a new current block.
    fn scalar_loop(
        self,
        b: &mut FunctionBuilder,
        i: Value,
        p: Value,
        n: Value,
        s: Value,
        acc: Value,
    ) -> Value {
        let mut r = (i, vec![p, acc]);
        for unroll in [4i64, 1] {
            r = counted(b, r.0, n, unroll, &r.1, |b, _, v| {
                let (mut p, mut acc) = (v[0], v[1]);
                for _ in 0..unroll {
                    let x = self.load(b, p);
                    acc = self.comb(b, acc, x);
                    p = b.ins().iadd(p, s);
                }
                vec![p, acc]
            });
        }
        r.1[1]
    }

    /// Combine the accumulators `v` pairwise into one.
    fn tree(self, b: &mut FunctionBuilder, mut v: Vec<Value>) -> Value {
        while v.len() > 1 {
            let h = v.len() / 2;
            for k in 0..h {
                v[k] = self.comb(b, v[k], v[k + h]);
            }
            if v.len() % 2 == 1 {
                v[h] = v[v.len() - 1];
                v.truncate(h + 1);
            } else {
                v.truncate(h);
            }
        }
        v[0]
    }

    /// Reduce the lanes of vector `v` (in order) into the scalar `acc`.
    fn hsum(self, b: &mut FunctionBuilder, acc: Value, v: Value) -> Value {
        let lanes = b.func.dfg.value_type(v).lane_count();
        let mut r = b.ins().extractlane(v, 0u8);
        for l in 1..lanes {
            let x = b.ins().extractlane(v, l as u8);
            r = self.comb(b, r, x);
        }
        self.comb(b, acc, r)
    }

    /// `fold(p, n, s, acc_bits) -> acc_bits`.
    fn emit_fold(self, b: &mut FunctionBuilder, ps: &[Value]) {
        let (p, n, s, acc_bits) = (ps[0], ps[1], ps[2], ps[3]);
        let acc0 = self.acc_of_bits(b, acc_bits);
        let zero = b.ins().iconst(I64, 0);
        let size = self.dt.itemsize() as i64;
        let vec = self.fold_vec();
        let Some((vty, e)) = vec else {
            let r = self.scalar_loop(b, zero, p, n, s, acc0);
            let r = self.bits_of_acc(b, r);
            b.ins().return_(&[r]);
            return;
        };
        let per_chunk = if self.is_mask() {
            1
        } else {
            self.load_chunk_count()
        };
        let chunks = (8 / per_chunk).max(1);
        let step = (chunks * e) as i64;
        let vblock = b.create_block();
        let sblock = b.create_block();
        let ret = b.create_block();
        b.append_block_param(ret, I64);
        // vectors when contiguous and at least two steps long
        let contig = b.ins().icmp_imm_s(IntCC::Equal, s, size);
        let long = b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, n, 2 * step);
        let c = b.ins().band(contig, long);
        b.ins().brif(c, vblock, &[], sblock, &[]);

        b.switch_to_block(sblock);
        let r = self.scalar_loop(b, zero, p, n, s, acc0);
        let r = self.bits_of_acc(b, r);
        b.ins().jump(ret, &bargs(&[r]));

        b.switch_to_block(vblock);
        let splat = if self.is_mask() {
            // lane masks: all ones (all) or zeros (any)
            let all = b.ins().iconst(vty.lane_type(), -(self.init_bits() as i64));
            b.ins().splat(vty, all)
        } else {
            let init = b.ins().iconst(I64, self.init_bits() as i64);
            let init = self.acc_of_bits(b, init);
            b.ins().splat(vty, init)
        };
        let nacc = chunks * per_chunk;
        let body = b.create_block();
        let done = b.create_block();
        for bl in [body, done] {
            b.append_block_param(bl, I64);
            for _ in 0..nacc {
                b.append_block_param(bl, vty);
            }
        }
        // the vector loop (tested at the bottom; n >= 2 * step here) runs while
        // i + step <= n
        let nv = b.ins().iadd_imm_s(n, -step);
        let mut a0 = vec![zero];
        a0.extend(std::iter::repeat_n(splat, nacc));
        b.ins().jump(body, &bargs(&a0));
        b.switch_to_block(body);
        let hp: Vec<Value> = b.block_params(body).to_vec();
        let off = b.ins().imul_imm_s(hp[0], size);
        let base = b.ins().iadd(p, off);
        let mut next = vec![b.ins().iadd_imm_s(hp[0], step)];
        for k in 0..chunks {
            let a = b.ins().iadd_imm_s(base, (k * e) as i64 * size);
            let xs = self.fold_chunk(b, a);
            for (j, x) in xs.into_iter().enumerate() {
                let acc = hp[1 + k * per_chunk + j];
                next.push(self.comb(b, acc, x));
            }
        }
        let c = b.ins().icmp(IntCC::SignedLessThanOrEqual, next[0], nv);
        b.ins().brif(c, body, &bargs(&next), done, &bargs(&next));
        b.switch_to_block(done);
        let dp: Vec<Value> = b.block_params(done).to_vec();
        // down to one accumulator per vector of a chunk, then whole chunks while they last
        let red: Vec<Value> = (0..per_chunk)
            .map(|j| {
                let v = (0..chunks).map(|k| dp[1 + k * per_chunk + j]).collect();
                self.tree(b, v)
            })
            .collect();
        let (i0, red) = counted(b, dp[0], n, e as i64, &red, |b, i, accs| {
            let off = b.ins().imul_imm_s(i, size);
            let a = b.ins().iadd(p, off);
            let xs = self.fold_chunk(b, a);
            xs.into_iter()
                .zip(accs)
                .map(|(x, &acc)| self.comb(b, acc, x))
                .collect()
        });
        let v = self.tree(b, red);
        let r = if self.is_mask() {
            let r = if self.kind == ReduceKind::All {
                b.ins().vall_true(v)
            } else {
                b.ins().vany_true(v)
            };
            self.comb(b, acc0, r)
        } else {
            self.hsum(b, acc0, v)
        };
        // the tail, from the first index the vector loops did not take
        let off = b.ins().imul_imm_s(i0, size);
        let pt = b.ins().iadd(p, off);
        let r = self.scalar_loop(b, i0, pt, n, s, r);
        if self.float_minmax() {
            // a zero or NaN result: redo it in order (which zero, which NaN)
            let z = if self.dt == DType::Float64 {
                b.ins().f64const(0.0)
            } else {
                b.ins().f32const(0.0)
            };
            let uno = b.ins().fcmp(FloatCC::Unordered, r, r);
            let isz = b.ins().fcmp(FloatCC::Equal, r, z);
            let c = b.ins().bor(uno, isz);
            let again = b.create_block();
            let ok = b.create_block();
            b.ins().brif(c, again, &[], ok, &[]);
            b.switch_to_block(ok);
            let rb = self.bits_of_acc(b, r);
            b.ins().jump(ret, &bargs(&[rb]));
            b.switch_to_block(again);
            let r = self.scalar_loop(b, zero, p, n, s, acc0);
            let rb = self.bits_of_acc(b, r);
            b.ins().jump(ret, &bargs(&[rb]));
        } else {
            let rb = self.bits_of_acc(b, r);
            b.ins().jump(ret, &bargs(&[rb]));
        }
        b.switch_to_block(ret);
        let r = b.block_params(ret)[0];
        b.ins().return_(&[r]);
    }

    /// The accumulators of `rows`: all/any keep lane masks of the input's width (0 or -1),
    /// the others [`Fold::acc`].
    fn rows_acc(self) -> DType {
        if !self.is_mask() {
            return self.acc();
        }
        match self.dt.itemsize() {
            8 => DType::Int64,
            4 => DType::Int32,
            2 => DType::Int16,
            _ => DType::Int8,
        }
    }

    /// The identity of `rows`' accumulators.
    fn rows_init_bits(self) -> u64 {
        match self.kind {
            ReduceKind::All => u64::MAX,
            _ => self.init_bits(),
        }
    }

    /// all/any: their vector folds keep lane masks (of the input's width) rather than bools.
    fn is_mask(self) -> bool {
        matches!(self.kind, ReduceKind::All | ReduceKind::Any)
    }

    /// The vectors of a contiguous `fold` (its accumulators' type and the elements one
    /// [`Fold::fold_chunk`] reads), or `None` for a scalar loop: float products fold in
    /// sequence.
    fn fold_vec(self) -> Option<(Type, usize)> {
        if self.is_mask() {
            let ty = clif_ty(self.dt).by(16 / self.dt.itemsize() as u32)?;
            return Some((ty.as_int(), ty.lane_count() as usize));
        }
        self.vec_plan()
            .filter(|_| self.assoc() || self.float_minmax())
    }

    /// One chunk of contiguous elements at `a` for `fold`: [`Fold::load_chunk`], or for
    /// all/any the lane mask of `x != 0` (NaN is true).
    fn fold_chunk(self, b: &mut FunctionBuilder, a: Value) -> Vec<Value> {
        if !self.is_mask() {
            return self.load_chunk(b, a);
        }
        let Some(ty) = clif_ty(self.dt).by(16 / self.dt.itemsize() as u32) else {
            return Vec::new();
        };
        let x = b.ins().load(ty, mem(), a, 0);
        let m = if self.dt.is_float() {
            let z = if self.dt == DType::Float64 {
                b.ins().f64const(0.0)
            } else {
                b.ins().f32const(0.0)
            };
            let z = b.ins().splat(ty, z);
            b.ins().fcmp(FloatCC::NotEqual, x, z)
        } else {
            let z = b.ins().iconst(ty.lane_type(), 0);
            let z = b.ins().splat(ty, z);
            b.ins().icmp(IntCC::NotEqual, x, z)
        };
        vec![m]
    }

    /// How many accumulator vectors one chunk loads.
    fn load_chunk_count(self) -> usize {
        match self.vec_plan() {
            Some((ty, e)) => e / ty.lane_count() as usize,
            None => 0,
        }
    }

    /// `rows(acc, p, n, s, m, rs)`: for each of `m` rows `rs` bytes apart, in order,
    /// `acc[i] = comb(acc[i], x[i])` for `i < n`, `x[i]` at `row + i*s`. Four rows are
    /// combined per pass over the accumulators (each cell still folds its rows in order).
    fn emit_rows(self, b: &mut FunctionBuilder, ps: &[Value]) {
        let (accp, p, n, s, m, rs) = (ps[0], ps[1], ps[2], ps[3], ps[4], ps[5]);
        let zero = b.ins().iconst(I64, 0);
        // groups of four rows
        let (j, pr) = counted(b, zero, m, 4, &[p], |b, _, v| {
            let mut rows = vec![v[0]];
            for k in 1..4 {
                rows.push(b.ins().iadd(rows[k - 1], rs));
            }
            self.rows_pass(b, accp, &rows, n, s);
            vec![b.ins().iadd(rows[3], rs)]
        });
        // the remaining rows one by one
        counted(b, j, m, 1, &pr, |b, _, v| {
            self.rows_pass(b, accp, &[v[0]], n, s);
            vec![b.ins().iadd(v[0], rs)]
        });
        b.ins().return_(&[]);
    }

    /// One pass over the accumulator row combining `rows` (in order) into each cell;
    /// continues in a new current block.
    fn rows_pass(self, b: &mut FunctionBuilder, accp: Value, rows: &[Value], n: Value, s: Value) {
        let size = self.dt.itemsize() as i64;
        let asz = self.rows_acc().itemsize() as i64;
        let aty = clif_ty(self.rows_acc());
        let zero = b.ins().iconst(I64, 0);
        let tail = b.create_block();
        b.append_block_param(tail, I64);
        let plan = if self.is_mask() {
            self.fold_vec()
        } else {
            self.vec_plan()
        };
        if let Some((vty, e)) = plan {
            let lanes = vty.lane_count() as usize;
            let vblock = b.create_block();
            let contig = b.ins().icmp_imm_s(IntCC::Equal, s, size);
            b.ins().brif(contig, vblock, &[], tail, &[zero.into()]);
            b.switch_to_block(vblock);
            // at least two vectors per iteration
            let per = e / lanes;
            let cn = (2 / per).max(1);
            let (i, _) = counted(b, zero, n, (cn * e) as i64, &[], |b, i, _| {
                let aoff = b.ins().imul_imm_s(i, asz);
                let aa = b.ins().iadd(accp, aoff);
                let off = b.ins().imul_imm_s(i, size);
                for ch in 0..cn {
                    let ao = |j: usize| ((ch * e + j * lanes) as i64 * asz) as i32;
                    let mut acc: Vec<Value> = (0..per)
                        .map(|j| b.ins().load(vty, mem(), aa, ao(j)))
                        .collect();
                    for &r in rows {
                        let xa = b.ins().iadd(r, off);
                        let xa = b.ins().iadd_imm_s(xa, (ch * e) as i64 * size);
                        let xs = self.fold_chunk(b, xa);
                        for (a, x) in acc.iter_mut().zip(xs) {
                            *a = self.comb(b, *a, x);
                        }
                    }
                    for (j, a) in acc.into_iter().enumerate() {
                        b.ins().store(mem(), a, aa, ao(j));
                    }
                }
                vec![]
            });
            b.ins().jump(tail, &[i.into()]);
        } else {
            b.ins().jump(tail, &[zero.into()]);
        }
        // scalar: from index i0
        b.switch_to_block(tail);
        let i0 = b.block_params(tail)[0];
        counted(b, i0, n, 1, &[], |b, i, _| {
            let off = b.ins().imul(i, s);
            let aoff = b.ins().imul_imm_s(i, asz);
            let aa = b.ins().iadd(accp, aoff);
            let mut a = b.ins().load(aty, mem(), aa, 0);
            for &r in rows {
                let xa = b.ins().iadd(r, off);
                let mut x = self.load(b, xa);
                if self.is_mask() {
                    // the bool as a lane mask of the accumulator's width
                    if aty != types::I8 {
                        x = b.ins().uextend(aty, x);
                    }
                    x = b.ins().ineg(x);
                }
                a = self.comb(b, a, x);
            }
            b.ins().store(mem(), a, aa, 0);
            vec![]
        });
    }

    /// `comb(a_bits, b_bits) -> bits`.
    fn emit_comb(self, b: &mut FunctionBuilder, ps: &[Value]) {
        let x = self.acc_of_bits(b, ps[0]);
        let y = self.acc_of_bits(b, ps[1]);
        let r = self.comb(b, x, y);
        let r = self.bits_of_acc(b, r);
        b.ins().return_(&[r]);
    }
}

type FoldFn = unsafe extern "C" fn(i64, i64, i64, i64) -> i64;
type RowsFn = unsafe extern "C" fn(i64, i64, i64, i64, i64, i64);
type CombFn = unsafe extern "C" fn(i64, i64) -> i64;

/// The [`GenSpec`] of `Reduce` and `MaxAndArgmax`, or `None` where the types do not fit the
/// op (the interpreter reports it).
pub(crate) fn spec(
    op: &Op,
    in_types: &[TensorType],
    out_types: &[TensorType],
) -> Option<Box<dyn GenSpec>> {
    let [t] = in_types else { return None };
    let nd = t.ndim();
    if nd > MAX_NDIM {
        return None;
    }
    match op {
        Op::Reduce { kind, axes, .. } => {
            let [o] = out_types else { return None };
            if kind.out_dtype(t.dtype) != o.dtype {
                return None;
            }
            let mut mask = 0u32;
            match axes {
                None => mask = (1u32 << nd) - 1,
                Some(a) => {
                    for &i in a {
                        if i >= nd || mask & (1 << i) != 0 {
                            return None;
                        }
                        mask |= 1 << i;
                    }
                }
            }
            let ax: Vec<String> = (0..nd)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| i.to_string())
                .collect();
            Some(Box::new(ReduceSpec {
                f: Fold {
                    kind: *kind,
                    dt: t.dtype,
                },
                ndim: nd,
                mask,
                name: format!(
                    "{} axis=({}) {}",
                    kind.name().to_lowercase(),
                    ax.join(","),
                    t.dtype
                ),
            }))
        }
        Op::MaxAndArgmax { axes } => {
            let [m, i] = out_types else { return None };
            let mut ax = axes.clone();
            ax.sort_unstable();
            ax.dedup();
            if ax.len() != axes.len()
                || ax.iter().any(|&a| a >= nd)
                || m.dtype != t.dtype
                || i.dtype != DType::Int64
            {
                return None;
            }
            Some(Box::new(ArgmaxSpec {
                dtype: t.dtype,
                ndim: nd,
                name: format!("max_and_argmax axis={ax:?} {}", t.dtype),
                axes: ax,
            }))
        }
        _ => None,
    }
}

struct ReduceSpec {
    f: Fold,
    ndim: usize,
    mask: u32,
    name: String,
}

impl ReduceSpec {
    /// Whether some dimension is not reduced.
    fn keeps_a_dim(&self) -> bool {
        (0..self.ndim).any(|i| self.mask & (1 << i) == 0)
    }
}

impl GenSpec for ReduceSpec {
    fn define(&self, g: &mut Gen<'_>) -> Result<(), JitError> {
        let f = self.f;
        g.func("fold", &[I64; 4], &[I64], |b, _, ps| {
            f.emit_fold(b, ps);
            Ok(())
        })?;
        g.func("comb", &[I64; 2], &[I64], |b, _, ps| {
            f.emit_comb(b, ps);
            Ok(())
        })?;
        // the rows loop only where a dimension is kept (compile time: a reduction of every
        // axis, as the seed's sums, never runs it)
        if self.keeps_a_dim() {
            g.func("rows", &[I64; 6], &[], |b, _, ps| {
                f.emit_rows(b, ps);
                Ok(())
            })?;
        }
        Ok(())
    }

    fn finish(&self, fns: &[*const u8], code: KeepAlive) -> Box<dyn NativeKernel> {
        // SAFETY: the functions `define` generated, in its order, with these signatures
        // (system calling convention); `code` keeps them alive as long as the kernel.
        let (fold, comb, rows) = unsafe {
            (
                std::mem::transmute::<*const u8, FoldFn>(fns[0]),
                std::mem::transmute::<*const u8, CombFn>(fns[1]),
                fns.get(2)
                    .map(|&p| std::mem::transmute::<*const u8, RowsFn>(p)),
            )
        };
        Box::new(ReduceKernel {
            f: self.f,
            ndim: self.ndim,
            mask: self.mask,
            name: self.name.clone(),
            fold,
            rows,
            comb,
            _code: code,
        })
    }
}

/// One dimension of a loop nest: length, input stride, output stride (elements).
#[derive(Clone, Copy, Debug)]
struct Dim {
    len: usize,
    is: isize,
    os: isize,
}

const NO_DIM: Dim = Dim {
    len: 0,
    is: 0,
    os: 0,
};

/// A reduction's loop dimensions over `x`: the kept ones with the strides of a C-contiguous
/// output, and the `reduced` ones, both in C order, size-1 dimensions dropped (they change
/// neither an offset nor a flattened index).
fn split_dims(x: &View, reduced: impl Fn(usize) -> bool) -> (DimList, DimList) {
    let (mut kept, mut red) = (DimList::default(), DimList::default());
    let mut os = 1isize;
    for j in (0..x.ndim).rev() {
        let (len, is) = (x.shape[j], x.strides[j]);
        if reduced(j) {
            if len != 1 {
                red.push(Dim { len, is, os: 0 });
            }
        } else {
            if len != 1 {
                kept.push(Dim { len, is, os });
            }
            os *= len as isize;
        }
    }
    // filled innermost first: C order is the reverse
    kept.as_mut().reverse();
    red.as_mut().reverse();
    (kept, red)
}

/// At most [`MAX_NDIM`] loop dimensions, on the stack.
#[derive(Clone, Copy)]
struct DimList {
    dims: [Dim; MAX_NDIM],
    n: usize,
}

impl Default for DimList {
    fn default() -> DimList {
        DimList {
            dims: [NO_DIM; MAX_NDIM],
            n: 0,
        }
    }
}

impl DimList {
    fn push(&mut self, d: Dim) {
        self.dims[self.n] = d;
        self.n += 1;
    }
    fn as_mut(&mut self) -> &mut [Dim] {
        &mut self.dims[..self.n]
    }
    fn as_slice(&self) -> &[Dim] {
        &self.dims[..self.n]
    }
}

/// Call `f(in_offset, out_offset)` for every index of `dims` in C order.
#[inline(always)]
fn odometer(dims: &[Dim], mut f: impl FnMut(isize, isize)) {
    if dims.iter().any(|d| d.len == 0) {
        return;
    }
    let nd = dims.len();
    let mut idx = [0usize; MAX_NDIM];
    let (mut a, mut b) = (0isize, 0isize);
    loop {
        f(a, b);
        let mut k = nd;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            a += dims[k].is;
            b += dims[k].os;
            if idx[k] < dims[k].len {
                break;
            }
            a -= dims[k].is * dims[k].len as isize;
            b -= dims[k].os * dims[k].len as isize;
            idx[k] = 0;
        }
    }
}

/// `Reduce{kind, axes}` of one input dtype and rank, with generated loops.
struct ReduceKernel {
    f: Fold,
    ndim: usize,
    mask: u32,
    name: String,
    fold: FoldFn,
    /// `None` when the op reduces every axis (no kept dimension: the rows plan never runs).
    rows: Option<RowsFn>,
    comb: CombFn,
    _code: KeepAlive,
}

impl ReduceKernel {
    /// Reduce `x` over the masked dimensions into the C-contiguous `out` (elements of the
    /// output dtype).
    ///
    /// # Safety
    /// `x` passed `out_shape`, is valid for reads; `out` for writes over the kept shape.
    unsafe fn reduce_view(&self, x: &View, out: *mut u8) {
        let f = self.f;
        let (kept, mut red) = split_dims(x, |j| self.mask & (1 << j) != 0);
        // reduced dims: largest |stride| first (ties innermost first), except for float
        // max/min, which fold in index (C) order like the interpreter (the sign of a zero
        // result, which NaN); merge contiguous neighbours
        let nr = red.n;
        let red = red.as_mut();
        if !f.float_minmax() {
            red.reverse();
            red.sort_by_key(|d| std::cmp::Reverse(d.is.unsigned_abs()));
        }
        let mut m = 0;
        for r in 0..nr {
            let d = red[r];
            if m > 0 && red[m - 1].is == d.is * d.len as isize && d.len != 0 && red[m - 1].len != 0
            {
                red[m - 1] = Dim {
                    len: red[m - 1].len * d.len,
                    is: d.is,
                    os: 0,
                };
            } else {
                red[m] = d;
                m += 1;
            }
        }
        let (kept, red) = (kept.as_slice(), &red[..m]);
        let size = f.dt.itemsize() as isize;
        let osize = f.kind.out_dtype(f.dt).itemsize() as isize;
        // the address as an integer (the closures below run on rayon's threads)
        let p = x.ptr as i64;
        let at = |off: isize| p.wrapping_add((off * size) as i64);
        let init = f.init_bits();
        let min_red = red.iter().map(|d| d.is.unsigned_abs()).min();
        let inner_kept = kept
            .iter()
            .enumerate()
            .min_by_key(|(_, d)| d.is.unsigned_abs())
            .map(|(i, d)| (i, *d));
        match (min_red, inner_kept, self.rows) {
            (Some(mr), Some((ik, kd)), Some(rows_fn)) if kd.is.unsigned_abs() < mr => {
                // rows: accumulate a row of kd.len cells for each reduced index
                let mut outer = [NO_DIM; MAX_NDIM];
                let mut no = 0;
                for (i, d) in kept.iter().enumerate() {
                    if i != ik {
                        outer[no] = *d;
                        no += 1;
                    }
                }
                let asz = f.rows_acc().itemsize();
                let init_b = f.rows_init_bits().to_le_bytes();
                // the accumulator row lives in the thread's scratch: no allocation per call
                crate::blas::with_words((kd.len * asz).div_ceil(8), |acc| {
                    let ap = acc.as_mut_ptr() as *mut u8;
                    odometer(&outer[..no], |ib, ob| {
                        for t in 0..kd.len {
                            // SAFETY: cell t of the accumulator row.
                            unsafe {
                                std::ptr::copy_nonoverlapping(init_b.as_ptr(), ap.add(t * asz), asz)
                            }
                        }
                        // the innermost (smallest-stride) reduced dimension is walked by `rows`
                        let (last, rest) = red.split_last().unwrap_or((&NO_DIM, red));
                        odometer(rest, |r, _| {
                            // SAFETY: last.len rows last.is apart, of kd.len elements kd.is apart,
                            // from a valid index of x (out_shape checked the shape), and the
                            // kd.len accumulators.
                            unsafe {
                                rows_fn(
                                    ap as i64,
                                    at(ib + r),
                                    kd.len as i64,
                                    (kd.is * size) as i64,
                                    last.len as i64,
                                    (last.is * size) as i64,
                                )
                            }
                        });
                        for t in 0..kd.len {
                            let mut bits = [0u8; 8];
                            // SAFETY: cell t of the accumulator row; a valid index of the output.
                            unsafe {
                                std::ptr::copy_nonoverlapping(
                                    ap.add(t * asz),
                                    bits.as_mut_ptr(),
                                    asz,
                                );
                                f.write_out(
                                    u64::from_le_bytes(bits),
                                    out.offset((ob + t as isize * kd.os) * osize),
                                )
                            }
                        }
                    });
                });
            }
            _ => {
                // lanes: each output cell folds the reduced sub-array, innermost dim last
                let (lane, rest) = match red.split_last() {
                    Some((l, rest)) => (*l, rest),
                    None => (
                        Dim {
                            len: 1,
                            is: 0,
                            os: 0,
                        },
                        red,
                    ),
                };
                let fold = |off: isize, len: usize, acc: u64| -> u64 {
                    // SAFETY: a lane of len elements lane.is apart from a valid index of x.
                    unsafe {
                        (self.fold)(at(off), len as i64, (lane.is * size) as i64, acc as i64) as u64
                    }
                };
                if kept.is_empty()
                    && rest.is_empty()
                    && f.assoc()
                    && lane.is == 1
                    && lane.len >= PAR_REDUCE
                {
                    // one long contiguous lane: fold parts of it on rayon's threads
                    use rayon::prelude::*;
                    let parts = rayon::current_num_threads().max(1);
                    let chunk = lane.len.div_ceil(parts);
                    let comb = self.comb;
                    let acc = (0..lane.len.div_ceil(chunk))
                        .into_par_iter()
                        .map(|c| {
                            let lo = c * chunk;
                            fold(lo as isize, chunk.min(lane.len - lo), init)
                        })
                        // SAFETY: the generated combination of two accumulators.
                        .reduce(|| init, |a, b| unsafe { comb(a as i64, b as i64) as u64 });
                    // SAFETY: a 0-d output has one element.
                    unsafe { f.write_out(acc, out) };
                    return;
                }
                odometer(kept, |ib, ob| {
                    let mut acc = init;
                    odometer(rest, |r, _| acc = fold(ib + r, lane.len, acc));
                    // SAFETY: a valid index of the output.
                    unsafe { f.write_out(acc, out.offset(ob * osize)) };
                });
            }
        }
    }
}

impl NativeKernel for ReduceKernel {
    fn shape_only(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        &self.name
    }

    fn out_dtype(&self) -> DType {
        self.f.kind.out_dtype(self.f.dt)
    }

    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        check_inputs(&self.name, ins, self.f.dt, &[self.ndim])?;
        let x = &ins[0];
        let kind = self.f.kind;
        let mut dims = [0usize; MAX_NDIM];
        let mut n = 0;
        for j in 0..x.ndim {
            if self.mask & (1 << j) == 0 {
                dims[n] = x.shape[j];
                n += 1;
            } else if x.shape[j] == 0 && matches!(kind, ReduceKind::Max | ReduceKind::Min) {
                return Err(JitError::Args(format!(
                    "zero-size array to reduction operation {} which has no identity (shape {:?})",
                    if kind == ReduceKind::Max {
                        "maximum"
                    } else {
                        "minimum"
                    },
                    x.shape()
                )));
            }
        }
        out_shape_of(&self.name, &dims[..n], self.out_dtype())
    }

    unsafe fn run(&self, ins: &[View], out: &View) {
        if out.is_empty() {
            return;
        }
        // SAFETY: out_shape checked the dtype, rank and shapes; the caller's contract gives
        // valid, disjoint views; reduce_view writes all of the (aligned) output.
        unsafe { via_aligned(out, |o| self.reduce_view(&ins[0], o.ptr)) }
    }
}

// ---------------------------------------------------------------------------------------
// MaxAndArgmax

struct ArgmaxSpec {
    dtype: DType,
    ndim: usize,
    /// sorted, unique, `< ndim`
    axes: Vec<usize>,
    name: String,
}

type LaneFn = unsafe extern "C" fn(i64, i64, i64, i64);

/// `lane(state, p, n, s)`: state is `[best (bits), best index, next index]` (i64s); fold
/// `n` elements `s` bytes apart: a NaN best stays, else `v` replaces it when `v > best` or
/// `v` is NaN. Two chains (even and odd elements) run interleaved, then the better wins:
/// the larger, a NaN, or on a tie (or two NaNs) the lower index, which is the sequential
/// fold's answer.
fn emit_argmax_lane(b: &mut FunctionBuilder, d: DType, ps: &[Value]) {
    let (st, p, n, s) = (ps[0], ps[1], ps[2], ps[3]);
    let ty = clif_ty(d);
    let f = Fold {
        kind: ReduceKind::Max,
        dt: d,
    };
    let float = d.is_float();
    // whether `v` (at index `at`) replaces the chain's (best, bi)
    let step = |b: &mut FunctionBuilder, v: Value, at: Value, best: Value, bi: Value| {
        let take = if float {
            let gt = b.ins().fcmp(FloatCC::GreaterThan, v, best);
            let vnan = b.ins().fcmp(FloatCC::Unordered, v, v);
            let bord = b.ins().fcmp(FloatCC::Ordered, best, best);
            let nan = b.ins().band(vnan, bord);
            b.ins().bor(gt, nan)
        } else if d.is_signed() {
            b.ins().icmp(IntCC::SignedGreaterThan, v, best)
        } else {
            b.ins().icmp(IntCC::UnsignedGreaterThan, v, best)
        };
        (b.ins().select(take, v, best), b.ins().select(take, at, bi))
    };
    // the better of two candidates (value, index): a NaN, else the larger, a tie (or two
    // NaNs) to the lower index
    let better = |b: &mut FunctionBuilder, ba: Value, ia: Value, bb: Value, ib: Value| {
        let lower = b.ins().icmp(IntCC::SignedLessThan, ib, ia);
        let take_b = if float {
            let gt = b.ins().fcmp(FloatCC::GreaterThan, bb, ba);
            let eq = b.ins().fcmp(FloatCC::Equal, bb, ba);
            let bnan = b.ins().fcmp(FloatCC::Unordered, bb, bb);
            let anan = b.ins().fcmp(FloatCC::Unordered, ba, ba);
            let aord = b.ins().fcmp(FloatCC::Ordered, ba, ba);
            let only_b = b.ins().band(bnan, aord);
            let both = b.ins().band(bnan, anan);
            let tie = b.ins().bor(eq, both);
            let tie_b = b.ins().band(tie, lower);
            let t = b.ins().bor(gt, only_b);
            b.ins().bor(t, tie_b)
        } else {
            let gt = if d.is_signed() {
                IntCC::SignedGreaterThan
            } else {
                IntCC::UnsignedGreaterThan
            };
            let gt = b.ins().icmp(gt, bb, ba);
            let eq = b.ins().icmp(IntCC::Equal, bb, ba);
            let tie_b = b.ins().band(eq, lower);
            b.ins().bor(gt, tie_b)
        };
        (
            b.ins().select(take_b, bb, ba),
            b.ins().select(take_b, ib, ia),
        )
    };
    let bits = b.ins().load(I64, mem(), st, 0);
    let best0 = f.acc_of_bits(b, bits);
    let bi0 = b.ins().load(I64, mem(), st, 8);
    let idx = b.ins().load(I64, mem(), st, 16);
    let zero = b.ins().iconst(I64, 0);
    let init = b.ins().iconst(I64, f.init_bits() as i64);
    let init = f.acc_of_bits(b, init);
    let never = b.ins().iconst(I64, i64::MAX);
    // pairs: chain a (even) from the state, chain b (odd) from the identity
    let hdr = b.create_block();
    for t in [I64, I64, ty, I64, ty, I64] {
        b.append_block_param(hdr, t);
    }
    let body = b.create_block();
    let rest = b.create_block();
    for t in [I64, I64, ty, I64, ty, I64] {
        b.append_block_param(rest, t);
    }
    let s2 = b.ins().ishl_imm_s(s, 1);
    match (float, clif_ty(d).by(16 / d.itemsize() as u32)) {
        (true, Some(vty)) => {
            // contiguous and long enough: vector chains first (lane-local i32/i64 indices)
            let lanes = vty.lane_count() as i64;
            let ity = vty.as_int();
            let ilane = ity.lane_type();
            let size = d.itemsize() as i64;
            let vblock = b.create_block();
            let contig = b.ins().icmp_imm_s(IntCC::Equal, s, size);
            let long = b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, n, 4 * lanes);
            let fits = b
                .ins()
                .icmp_imm_s(IntCC::SignedLessThan, n, i32::MAX as i64 - 8);
            let c = b.ins().band(contig, long);
            let c = b.ins().band(c, fits);
            b.ins().brif(
                c,
                vblock,
                &[],
                hdr,
                &bargs(&[zero, p, best0, bi0, init, never]),
            );
            b.switch_to_block(vblock);
            let vinit = b.ins().splat(vty, init);
            let nev = b.ins().iconst(ilane, i64::from(i32::MAX));
            let vnever = b.ins().splat(ity, nev);
            let mut cur0 = b.ins().iconst(ilane, 0);
            cur0 = b.ins().splat(ity, cur0);
            for l in 1..lanes {
                let x = b.ins().iconst(ilane, l);
                cur0 = b.ins().insertlane(cur0, x, l as u8);
            }
            let vl = b.ins().iconst(ilane, lanes);
            let vl = b.ins().splat(ity, vl);
            let v2l = b.ins().iadd(vl, vl);
            let cur1 = b.ins().iadd(cur0, vl);
            let vh = b.create_block();
            for t in [I64, vty, ity, vty, ity, ity, ity] {
                b.append_block_param(vh, t);
            }
            let vb = b.create_block();
            let vd = b.create_block();
            for t in [vty, ity, vty, ity] {
                b.append_block_param(vd, t);
            }
            let nv = b.ins().iadd_imm_s(n, -2 * lanes);
            b.ins().jump(
                vh,
                &bargs(&[zero, vinit, vnever, vinit, vnever, cur0, cur1]),
            );
            b.switch_to_block(vh);
            let h: Vec<Value> = b.block_params(vh).to_vec();
            let c = b.ins().icmp(IntCC::SignedLessThanOrEqual, h[0], nv);
            b.ins()
                .brif(c, vb, &[], vd, &bargs(&[h[1], h[2], h[3], h[4]]));
            b.switch_to_block(vb);
            let off = b.ins().imul_imm_s(h[0], size);
            let a = b.ins().iadd(p, off);
            let mut next = vec![b.ins().iadd_imm_s(h[0], 2 * lanes)];
            for k in 0..2 {
                let (best, bi, cur) = (h[1 + 2 * k], h[2 + 2 * k], h[5 + k]);
                let v = b
                    .ins()
                    .load(vty, mem(), a, (k as i64 * lanes * size) as i32);
                let gt = b.ins().fcmp(FloatCC::GreaterThan, v, best);
                let vnan = b.ins().fcmp(FloatCC::Unordered, v, v);
                let bord = b.ins().fcmp(FloatCC::Ordered, best, best);
                let nan = b.ins().band(vnan, bord);
                let take = b.ins().bor(gt, nan);
                let tf = b.ins().bitcast(vty, little(), take);
                next.push(b.ins().bitselect(tf, v, best));
                next.push(b.ins().bitselect(take, cur, bi));
            }
            let c0 = b.ins().iadd(h[5], v2l);
            let c1 = b.ins().iadd(h[6], v2l);
            next.extend([c0, c1]);
            b.ins().jump(vh, &bargs(&next));
            // the lanes' candidates into chain b, then the rest in scalars
            b.switch_to_block(vd);
            let r: Vec<Value> = b.block_params(vd).to_vec();
            let (mut bb, mut ib) = (init, never);
            for k in 0..2 {
                for l in 0..lanes as u8 {
                    let v = b.ins().extractlane(r[2 * k], l);
                    let i = b.ins().extractlane(r[2 * k + 1], l);
                    let i = if ilane == I64 {
                        i
                    } else {
                        b.ins().sextend(I64, i)
                    };
                    let i = b.ins().iadd(idx, i);
                    (bb, ib) = better(b, bb, ib, v, i);
                }
            }
            let m = b.ins().udiv_imm_s(n, 2 * lanes);
            let i0 = b.ins().imul_imm_s(m, 2 * lanes);
            let off = b.ins().imul_imm_s(i0, size);
            let p0 = b.ins().iadd(p, off);
            b.ins().jump(hdr, &bargs(&[i0, p0, best0, bi0, bb, ib]));
        }
        _ => {
            b.ins()
                .jump(hdr, &bargs(&[zero, p, best0, bi0, init, never]));
        }
    }
    b.switch_to_block(hdr);
    let h: Vec<Value> = b.block_params(hdr).to_vec();
    let i1 = b.ins().iadd_imm_s(h[0], 1);
    let c = b.ins().icmp(IntCC::SignedLessThan, i1, n);
    b.ins().brif(c, body, &[], rest, &bargs(&h));
    b.switch_to_block(body);
    let va = b.ins().load(ty, mem(), h[1], 0);
    let pb = b.ins().iadd(h[1], s);
    let vb = b.ins().load(ty, mem(), pb, 0);
    let at = b.ins().iadd(idx, h[0]);
    let (ba, ia) = step(b, va, at, h[2], h[3]);
    let at1 = b.ins().iadd_imm_s(at, 1);
    let (bb, ib) = step(b, vb, at1, h[4], h[5]);
    let i2 = b.ins().iadd_imm_s(h[0], 2);
    let p2 = b.ins().iadd(h[1], s2);
    b.ins().jump(hdr, &bargs(&[i2, p2, ba, ia, bb, ib]));
    // the last element (n odd) on chain a, then the two chains' better
    b.switch_to_block(rest);
    let r: Vec<Value> = b.block_params(rest).to_vec();
    let last = b.create_block();
    let join = b.create_block();
    for t in [ty, I64] {
        b.append_block_param(join, t);
    }
    let c = b.ins().icmp(IntCC::SignedLessThan, r[0], n);
    b.ins().brif(c, last, &[], join, &bargs(&[r[2], r[3]]));
    b.switch_to_block(last);
    let v = b.ins().load(ty, mem(), r[1], 0);
    let at = b.ins().iadd(idx, r[0]);
    let (ba, ia) = step(b, v, at, r[2], r[3]);
    b.ins().jump(join, &bargs(&[ba, ia]));
    b.switch_to_block(join);
    let (ba, ia) = (b.block_params(join)[0], b.block_params(join)[1]);
    let (bb, ib) = (r[4], r[5]);
    let (best, bi) = better(b, ba, ia, bb, ib);
    let bits = f.bits_of_acc(b, best);
    b.ins().store(mem(), bits, st, 0);
    b.ins().store(mem(), bi, st, 8);
    let idx = b.ins().iadd(idx, n);
    b.ins().store(mem(), idx, st, 16);
    b.ins().return_(&[]);
}

impl GenSpec for ArgmaxSpec {
    fn define(&self, g: &mut Gen<'_>) -> Result<(), JitError> {
        let d = self.dtype;
        g.func("lane", &[I64; 4], &[], |b, _, ps| {
            emit_argmax_lane(b, d, ps);
            Ok(())
        })?;
        Ok(())
    }

    fn finish(&self, fns: &[*const u8], code: KeepAlive) -> Box<dyn NativeKernel> {
        Box::new(ArgmaxKernel {
            dtype: self.dtype,
            ndim: self.ndim,
            axes: self.axes.clone(),
            name: self.name.clone(),
            // SAFETY: the function `define` generated, with this signature; `code` keeps it
            // alive as long as the kernel.
            lane: unsafe { std::mem::transmute::<*const u8, LaneFn>(fns[0]) },
            _code: code,
        })
    }
}

/// `MaxAndArgmax{axes}`: the max over `axes` (NaN counts as the max) and the index of its
/// first occurrence, the reduced axes flattened in C order.
struct ArgmaxKernel {
    dtype: DType,
    ndim: usize,
    axes: Vec<usize>,
    name: String,
    lane: LaneFn,
    _code: KeepAlive,
}

impl NativeKernel for ArgmaxKernel {
    fn shape_only(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn out_dtype(&self) -> DType {
        self.dtype
    }
    fn n_outputs(&self) -> usize {
        2
    }
    fn out_dtype_of(&self, i: usize) -> DType {
        if i == 1 {
            DType::Int64
        } else {
            self.dtype
        }
    }
    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let mut s = [Shape::default(); 2];
        self.out_shapes(ins, &mut s)?;
        Ok(s[0])
    }
    fn out_shapes(&self, ins: &[View], outs: &mut [Shape]) -> Result<(), JitError> {
        let args = JitError::Args;
        check_inputs(&self.name, ins, self.dtype, &[self.ndim])?;
        let x = &ins[0];
        if self.axes.iter().any(|&a| x.shape[a] == 0) {
            return Err(args(format!(
                "{}: argmax of an empty sequence (shape {:?})",
                self.name,
                x.shape()
            )));
        }
        let mut dims = [0usize; MAX_NDIM];
        let mut k = 0;
        for d in (0..x.ndim).filter(|d| !self.axes.contains(d)) {
            dims[k] = x.shape[d];
            k += 1;
        }
        let [o0, o1] = outs else {
            return Err(args(format!("{}: 2 outputs", self.name)));
        };
        *o0 = out_shape_of(&self.name, &dims[..k], self.dtype)?;
        *o1 = out_shape_of(&self.name, &dims[..k], DType::Int64)?;
        Ok(())
    }
    unsafe fn run(&self, _ins: &[View], _out: &View) {
        // two outputs: the runtime calls run_multi
    }
    unsafe fn run_multi(&self, ins: &[View], outs: &[View]) {
        let ([x], [m, am]) = (ins, outs) else { return };
        // kept dims (outer, C order; C-contiguous outputs) and reduced dims (C order)
        let (kept, red) = split_dims(x, |d| self.axes.contains(&d));
        let (kept, red) = (kept.as_slice(), red.as_slice());
        if kept.iter().chain(red).any(|d| d.len == 0) {
            return;
        }
        let (lane, rest) = match red.split_last() {
            Some((l, rest)) => (*l, rest),
            None => (
                Dim {
                    len: 1,
                    is: 0,
                    os: 0,
                },
                &red[..0],
            ),
        };
        let size = self.dtype.itemsize() as isize;
        let init = Fold {
            kind: ReduceKind::Max,
            dt: self.dtype,
        }
        .init_bits();
        let (xp, mp, ip) = (x.ptr as *const u8, m.ptr, am.ptr as *mut i64);
        odometer(kept, |ib, ob| {
            let mut state = [init as i64, 0, 0];
            odometer(rest, |r, _| {
                // SAFETY: a lane of lane.len elements lane.is apart from a valid index of x
                // (out_shapes checked the shape); the state is three i64s.
                unsafe {
                    (self.lane)(
                        state.as_mut_ptr() as i64,
                        xp.wrapping_offset((ib + r) * size) as i64,
                        lane.len as i64,
                        (lane.is * size) as i64,
                    )
                }
            });
            let b = (state[0] as u64).to_le_bytes();
            // SAFETY: element ob of both C-contiguous outputs (the caller's contract); both are
            // written bytewise or unaligned, so a misaligned output buffer is fine.
            unsafe {
                std::ptr::copy_nonoverlapping(b.as_ptr(), mp.offset(ob * size), size as usize);
                ip.offset(ob).write_unaligned(state[1]);
            }
        });
    }
}
