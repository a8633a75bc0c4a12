//! Native reductions (`Reduce{Sum, Prod, Max, Min, All, Any}` over any axes, every dtype),
//! with the interpreter's numpy semantics: sums and products of ints and bools accumulate in int64 (wrapping), of floats
//! in float64 (float32 is rounded back once); max/min propagate NaN and refuse empty
//! reductions (checked in `out_shape`); all/any test `!= 0` (NaN is true).
//!
//! The loop nest is planned per call from the view's layout: size-1 dimensions are dropped,
//! reduced dimensions sorted by stride and merged where contiguous, then either
//! - *lanes*: the innermost (smallest-stride) dimension is reduced: each output cell folds
//!   its lanes; a unit-stride lane of an associative fold (float sums, every integer and
//!   boolean fold) runs 16 independent accumulators that LLVM keeps in vector registers;
//! - *rows*: a kept dimension has the smallest stride (e.g. summing a C matrix over axis 0):
//!   a row of accumulators is updated for each reduced index, lane-wise over that dimension,
//!   so memory is read in order and the updates vectorize without reassociation.
//!
//! These are monomorphized Rust loops rather than Cranelift code: the plan depends only on
//! the strides known at call time, and LLVM's vectorizer gives the same loops that a
//! generated nest would, without a compile per layout (docs/JIT.md, "Native kernels").

use crate::blas::{check_inputs, out_shape_of, via_aligned};
use crate::view::{NativeKernel, Shape, View, MAX_NDIM};
use crate::JitError;
use theano_interp::{conv, Num};
use theano_ir::{ReduceKind, TensorType};
use theano_tensor::{with_dtype, DType, Element};

/// One dimension of a loop nest: length, input stride, output stride (elements).
#[derive(Clone, Copy, Debug)]
struct Dim {
    len: usize,
    is: isize,
    os: isize,
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

/// A full reduction of at least this many contiguous elements is split over rayon's threads
/// (measured: docs/JIT.md).
pub const PAR_REDUCE: usize = 1 << 20;

/// Lanes of independent accumulators in a unit-stride associative fold.
const LANES: usize = 16;

/// A fold: the accumulator type `A` of inputs `T`, giving outputs `O`.
trait Fold<T, A, O>: Copy {
    const INIT: A;
    /// Whether the fold may be reassociated (partial accumulators).
    const ASSOC: bool;
    fn load(x: T) -> A;
    fn comb(a: A, b: A) -> A;
    fn fin(a: A) -> O;
}

macro_rules! fold {
    ($name:ident, $T:ident, $A:ty, $O:ty, $init:expr, $assoc:expr, |$x:ident| $load:expr, |$a:ident, $b:ident| $comb:expr, |$f:ident| $fin:expr) => {
        #[derive(Clone, Copy)]
        struct $name;
        impl<$T: Num> Fold<$T, $A, $O> for $name {
            const INIT: $A = $init;
            const ASSOC: bool = $assoc;
            #[inline(always)]
            fn load($x: $T) -> $A {
                $load
            }
            #[inline(always)]
            fn comb($a: $A, $b: $A) -> $A {
                $comb
            }
            #[inline(always)]
            fn fin($f: $A) -> $O {
                $fin
            }
        }
    };
}

fold!(
    SumF,
    T,
    f64,
    T,
    0.0,
    true,
    |x| x.to_f64(),
    |a, b| a + b,
    |a| T::from_f64(a)
);
fold!(
    ProdF,
    T,
    f64,
    T,
    1.0,
    false,
    |x| x.to_f64(),
    |a, b| a * b,
    |a| T::from_f64(a)
);
fold!(
    SumI,
    T,
    i64,
    i64,
    0,
    true,
    |x| conv::<T, i64>(x),
    |a, b| a.wrapping_add(b),
    |a| a
);
fold!(
    ProdI,
    T,
    i64,
    i64,
    1,
    true,
    |x| conv::<T, i64>(x),
    |a, b| a.wrapping_mul(b),
    |a| a
);
fold!(
    All,
    T,
    bool,
    bool,
    true,
    true,
    |x| x.is_nonzero(),
    |a, b| a & b,
    |a| a
);
fold!(
    Any,
    T,
    bool,
    bool,
    false,
    true,
    |x| x.is_nonzero(),
    |a, b| a | b,
    |a| a
);

/// max/min keep the dtype; reassociation is exact for integers and bools, not for floats
/// (the sign of a zero result depends on the order), which fold sequentially.
#[derive(Clone, Copy)]
struct MaxF<const MAX: bool>;
impl<T: Num, const MAX: bool> Fold<T, T, T> for MaxF<MAX> {
    const INIT: T = if MAX { T::LOWEST } else { T::HIGHEST };
    const ASSOC: bool = !T::DTYPE.is_float();
    #[inline(always)]
    fn load(x: T) -> T {
        x
    }
    #[inline(always)]
    fn comb(a: T, b: T) -> T {
        if MAX {
            T::maximum(a, b)
        } else {
            T::minimum(a, b)
        }
    }
    #[inline(always)]
    fn fin(a: T) -> T {
        a
    }
}

/// Fold a contiguous slice with [`LANES`] partial accumulators.
#[inline(always)]
fn fold_contig<T: Copy, A: Copy, O, F: Fold<T, A, O>>(acc: A, xs: &[T]) -> A {
    let mut part = [F::INIT; LANES];
    let mut ch = xs.chunks_exact(LANES);
    for c in &mut ch {
        for l in 0..LANES {
            part[l] = F::comb(part[l], F::load(c[l]));
        }
    }
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for l in 0..w {
            part[l] = F::comb(part[l], part[l + w]);
        }
    }
    let mut acc = F::comb(acc, part[0]);
    for &x in ch.remainder() {
        acc = F::comb(acc, F::load(x));
    }
    acc
}

/// [`fold_contig`] compiled for AVX-512 and AVX2 too, chosen at run time.
fn fold_contig_mv<T: Copy, A: Copy, O, F: Fold<T, A, O>>(acc: A, xs: &[T]) -> A {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2")]
        fn v4<T: Copy, A: Copy, O, F: Fold<T, A, O>>(acc: A, xs: &[T]) -> A {
            fold_contig::<T, A, O, F>(acc, xs)
        }
        #[target_feature(enable = "avx2")]
        fn v3<T: Copy, A: Copy, O, F: Fold<T, A, O>>(acc: A, xs: &[T]) -> A {
            fold_contig::<T, A, O, F>(acc, xs)
        }
        // the level within the THEANO_JIT_CPU cap (crate::cpu)
        match crate::cpu::level() {
            // SAFETY: the CPU supports AVX-512F (and so AVX2).
            crate::cpu::CpuLevel::Avx512 => return unsafe { v4::<T, A, O, F>(acc, xs) },
            // SAFETY: the CPU supports AVX2.
            crate::cpu::CpuLevel::Avx2 => return unsafe { v3::<T, A, O, F>(acc, xs) },
            crate::cpu::CpuLevel::Baseline => {}
        }
    }
    fold_contig::<T, A, O, F>(acc, xs)
}

/// Fold one lane of `n` elements `s` apart into `acc`.
///
/// # Safety
/// The lane is valid for reads.
#[inline(always)]
unsafe fn fold_lane<T: Copy, A: Copy, O, F: Fold<T, A, O>>(
    acc: A,
    p: *const T,
    n: usize,
    s: isize,
) -> A {
    if F::ASSOC && s == 1 && n >= 2 * LANES {
        // SAFETY: a contiguous lane of n elements.
        let xs = unsafe { std::slice::from_raw_parts(p, n) };
        fold_contig_mv::<T, A, O, F>(acc, xs)
    } else {
        let mut acc = acc;
        for i in 0..n {
            // SAFETY: index i < n of the lane.
            acc = F::comb(acc, F::load(unsafe { *p.offset(i as isize * s) }));
        }
        acc
    }
}

/// Reduce `x` over the dimensions flagged in `red_mask` into the C-contiguous `out`.
///
/// # Safety
/// `x` is valid for reads of `T`, `out` for writes of `O` over the kept dimensions, disjoint.
unsafe fn reduce_view<T: Copy + Sync, A: Copy + Send, O, F: Fold<T, A, O> + Sync>(
    x: &View,
    red_mask: u32,
    out: *mut O,
) {
    // plan: kept dims with C-contiguous output strides, reduced dims
    let mut kept = [Dim {
        len: 0,
        is: 0,
        os: 0,
    }; MAX_NDIM];
    let mut red = [Dim {
        len: 0,
        is: 0,
        os: 0,
    }; MAX_NDIM];
    let (mut nk, mut nr) = (0, 0);
    let mut os = 1isize;
    for j in (0..x.ndim).rev() {
        let (len, is) = (x.shape[j], x.strides[j]);
        if red_mask & (1 << j) != 0 {
            if len != 1 {
                red[nr] = Dim { len, is, os: 0 };
                nr += 1;
            }
        } else {
            if len != 1 {
                kept[nk] = Dim { len, is, os };
                nk += 1;
            }
            os *= len as isize;
        }
    }
    // kept was filled innermost first: C order is the reverse
    kept[..nk].reverse();
    // reduced dims: largest |stride| first; merge contiguous neighbours
    red[..nr].sort_by_key(|d| std::cmp::Reverse(d.is.unsigned_abs()));
    let mut m = 0;
    for r in 0..nr {
        let d = red[r];
        if m > 0 && red[m - 1].is == d.is * d.len as isize && d.len != 0 && red[m - 1].len != 0 {
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
    let nr = m;
    let (kept, red) = (&kept[..nk], &red[..nr]);
    let p = x.ptr as *const T;
    let min_red = red.iter().map(|d| d.is.unsigned_abs()).min();
    let inner_kept = kept
        .iter()
        .enumerate()
        .min_by_key(|(_, d)| d.is.unsigned_abs())
        .map(|(i, d)| (i, *d));
    match (min_red, inner_kept) {
        (Some(mr), Some((ik, kd))) if kd.is.unsigned_abs() < mr => {
            // rows: accumulate a row of kd.len cells for each reduced index
            let mut outer = [Dim {
                len: 0,
                is: 0,
                os: 0,
            }; MAX_NDIM];
            let mut no = 0;
            for (i, d) in kept.iter().enumerate() {
                if i != ik {
                    outer[no] = *d;
                    no += 1;
                }
            }
            let mut acc = vec![F::INIT; kd.len];
            odometer(&outer[..no], |ib, ob| {
                acc.fill(F::INIT);
                odometer(red, |r, _| {
                    let base = p.wrapping_offset(ib + r);
                    if kd.is == 1 {
                        // SAFETY: kd.len contiguous elements from a valid index.
                        let xs = unsafe { std::slice::from_raw_parts(base, kd.len) };
                        for (a, &v) in acc.iter_mut().zip(xs) {
                            *a = F::comb(*a, F::load(v));
                        }
                    } else {
                        for (t, a) in acc.iter_mut().enumerate() {
                            // SAFETY: a valid index of x.
                            let v = unsafe { *base.offset(t as isize * kd.is) };
                            *a = F::comb(*a, F::load(v));
                        }
                    }
                });
                for (t, &a) in acc.iter().enumerate() {
                    // SAFETY: a valid index of the output.
                    unsafe { out.offset(ob + t as isize * kd.os).write(F::fin(a)) };
                }
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
            if kept.is_empty()
                && rest.is_empty()
                && F::ASSOC
                && lane.is == 1
                && lane.len >= PAR_REDUCE
            {
                // one long contiguous lane: fold parts of it on rayon's threads
                use rayon::prelude::*;
                // SAFETY: the lane is lane.len contiguous elements of x.
                let xs = unsafe { std::slice::from_raw_parts(p, lane.len) };
                let parts = rayon::current_num_threads().max(1);
                let acc = xs
                    .par_chunks(lane.len.div_ceil(parts))
                    // SAFETY: each chunk is a contiguous part of the lane.
                    .map(|c| unsafe { fold_lane::<T, A, O, F>(F::INIT, c.as_ptr(), c.len(), 1) })
                    .reduce(|| F::INIT, F::comb);
                // SAFETY: a 0-d output has one element.
                unsafe { out.write(F::fin(acc)) };
                return;
            }
            odometer(kept, |ib, ob| {
                let mut acc = F::INIT;
                odometer(rest, |r, _| {
                    // SAFETY: the lane starts at a valid index of x and has lane.len
                    // elements lane.is apart.
                    acc = unsafe {
                        fold_lane::<T, A, O, F>(acc, p.wrapping_offset(ib + r), lane.len, lane.is)
                    };
                });
                // SAFETY: a valid index of the output.
                unsafe { out.offset(ob).write(F::fin(acc)) };
            });
        }
    }
}

/// `Reduce{kind, axes}` of one input dtype and rank.
pub struct ReduceKernel {
    kind: ReduceKind,
    in_dtype: DType,
    ndim: usize,
    mask: u32,
    name: String,
}

/// The kernel for `Reduce{kind, axes}` on `in_types` giving `out`; `None` when the types do
/// not fit the op (the interpreter reports it).
pub fn reduce_kernel(
    kind: ReduceKind,
    axes: Option<&[usize]>,
    in_types: &[TensorType],
    out: DType,
) -> Option<ReduceKernel> {
    let [t] = in_types else { return None };
    let nd = t.ndim();
    if nd > MAX_NDIM || kind.out_dtype(t.dtype) != out {
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
    Some(ReduceKernel {
        kind,
        in_dtype: t.dtype,
        ndim: nd,
        mask,
        name: format!(
            "{} axis=({}) {}",
            kind.name().to_lowercase(),
            ax.join(","),
            t.dtype
        ),
    })
}

impl NativeKernel for ReduceKernel {
    fn name(&self) -> &str {
        &self.name
    }

    fn out_dtype(&self) -> DType {
        self.kind.out_dtype(self.in_dtype)
    }

    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let ranks = [self.ndim];
        check_inputs(&self.name, ins, self.in_dtype, &ranks)?;
        let x = &ins[0];
        let mut dims = [0usize; MAX_NDIM];
        let mut n = 0;
        for j in 0..x.ndim {
            if self.mask & (1 << j) == 0 {
                dims[n] = x.shape[j];
                n += 1;
            } else if x.shape[j] == 0 && matches!(self.kind, ReduceKind::Max | ReduceKind::Min) {
                return Err(JitError::Args(format!(
                    "zero-size array to reduction operation {} which has no identity (shape {:?})",
                    if self.kind == ReduceKind::Max {
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
        let x = &ins[0];
        if out.is_empty() {
            return;
        }
        let m = self.mask;
        macro_rules! go {
            ($T:ty, $A:ty, $O:ty, $F:ty) => {
                // SAFETY: out_shape checked the dtype, rank and shapes; the caller's contract
                // gives valid, disjoint views; the view given to the closure is aligned, has
                // the kept shape in dtype $O, and reduce_view writes all of it.
                unsafe {
                    via_aligned(out, |o| {
                        reduce_view::<$T, $A, $O, $F>(x, m, o.ptr as *mut $O)
                    })
                }
            };
        }
        with_dtype!(self.in_dtype, T => {
            let float = <T as Element>::DTYPE.is_float();
            match (self.kind, float) {
                (ReduceKind::Sum, true) => go!(T, f64, T, SumF),
                (ReduceKind::Prod, true) => go!(T, f64, T, ProdF),
                (ReduceKind::Sum, false) => go!(T, i64, i64, SumI),
                (ReduceKind::Prod, false) => go!(T, i64, i64, ProdI),
                (ReduceKind::Max, _) => go!(T, T, T, MaxF<true>),
                (ReduceKind::Min, _) => go!(T, T, T, MaxF<false>),
                (ReduceKind::All, _) => go!(T, bool, bool, All),
                (ReduceKind::Any, _) => go!(T, bool, bool, Any),
            }
        })
    }
}
