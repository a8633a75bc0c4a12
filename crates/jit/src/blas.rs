//! Native BLAS kernels: `Dot` (vector·vector, matrix·vector, vector·matrix, matrix·matrix),
//! `Dot22`, `Gemv`, `Gemm` and `Ger` for float32 and float64, on views of any strides.
//!
//! Matrix products go through the `gemm` crate (its microkernels are chosen at run time from
//! the CPU's features: AVX-512, AVX2+FMA, or portable code), in parallel on rayon's pool from
//! [`PAR_FLOPS`]. Matrix-vector products (`Gemv`, `Dot` with a vector operand, `Gemm` with one
//! row or column) split their rows over rayon's threads from [`PAR_GEMV`]; each part is an
//! m x 1 `gemm` call, or for a column-major matrix (a transposed view) a hand-written sum of
//! scaled columns compiled three times (AVX-512, AVX2+FMA, portable) and chosen by
//! `is_x86_feature_detected!`: each won at its layout at the seed's shapes (docs/JIT.md,
//! "Native kernels"). The vector dot product is a hand-written loop with the same dispatch.
//!
//! Aliasing: when the output overlaps an input other than exactly the in-place input (same
//! address and layout), the kernel computes into a scratch buffer and copies it out, so an
//! unexpected alias gives the right answer rather than a corrupted one.

use crate::JitError;
use theano_exec::kernel::{NativeKernel, Shape, View};
use theano_ir::Op;
use theano_tensor::DType;

/// Products of at least this many multiply-adds (m·n·k) run `gemm` on rayon's pool; smaller
/// ones on the calling thread. It is the crate's own threshold (`48 * 48 * 256`), below which
/// it stays on one thread anyway; measured: two threads win from 96^3 (docs/JIT.md).
pub const PAR_FLOPS: usize = 48 * 48 * 256;

/// The float types the BLAS kernels handle.
pub(crate) trait Float:
    Copy
    + Send
    + Sync
    + PartialEq
    + 'static
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    fn fma(a: Self, b: Self, c: Self) -> Self;
}

impl Float for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    #[inline(always)]
    fn fma(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
}

impl Float for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    #[inline(always)]
    fn fma(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// `a * b + c`, fused when the caller was compiled with FMA (`FMA = true` only inside
/// `#[target_feature(enable = "fma")]` functions, where `mul_add` is one instruction).
#[inline(always)]
fn madd<T: Float, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA {
        T::fma(a, b, c)
    } else {
        a * b + c
    }
}

// ---------------------------------------------------------------------------------------
// Hand-written level-1/2 loops, one generic body, three compilations.

/// Lanes of partial sums in [`dot_impl`]: four 512-bit registers of float64.
const DOT_LANES: usize = 32;

/// `sum a[i] * b[i]` with [`DOT_LANES`] independent partial sums (LLVM keeps them in vector
/// registers), then a pairwise combination.
#[inline(always)]
fn dot_impl<T: Float, const FMA: bool>(a: &[T], b: &[T]) -> T {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [T::ZERO; DOT_LANES];
    let mut ca = a.chunks_exact(DOT_LANES);
    let mut cb = b.chunks_exact(DOT_LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..DOT_LANES {
            acc[l] = madd::<T, FMA>(x[l], y[l], acc[l]);
        }
    }
    let mut tail = T::ZERO;
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        tail = madd::<T, FMA>(x, y, tail);
    }
    let mut w = DOT_LANES;
    while w > 1 {
        w /= 2;
        for l in 0..w {
            acc[l] = acc[l] + acc[l + w];
        }
    }
    acc[0] + tail
}

/// `out = beta * y + A · x` for a matrix with unit row stride (column-major, e.g. a
/// transposed C matrix), as a sum of scaled columns, four at a time.
///
/// # Safety
/// `a` is valid for reads of `x.len()` columns of `m` contiguous elements `a_cs` apart; `y`
/// (when `beta != 0`) for `m` reads `y_s` apart; `out` for `m` contiguous writes, overlapping
/// neither `a` nor `x`, and `y` only as exactly the same elements (`y == out`, `y_s == 1`).
#[inline(always)]
unsafe fn gemv_cols_impl<T: Float, const FMA: bool>(
    m: usize,
    a: *const T,
    a_cs: isize,
    x: &[T],
    beta: T,
    y: *const T,
    y_s: isize,
    out: *mut T,
) {
    for i in 0..m {
        let v = if beta == T::ZERO {
            T::ZERO
        } else {
            // SAFETY: element i of y, read before out[i] is written.
            beta * unsafe { *y.offset(i as isize * y_s) }
        };
        // SAFETY: out has m elements.
        unsafe { *out.add(i) = v };
    }
    // SAFETY: out has m elements and overlaps no column of A nor x (the contract), so this
    // is the only live reference to them.
    let out = unsafe { std::slice::from_raw_parts_mut(out, m) };
    // SAFETY: column j of A has m contiguous elements in A's extent.
    let col = |j: usize| unsafe { std::slice::from_raw_parts(a.offset(j as isize * a_cs), m) };
    let k = x.len();
    let mut j = 0;
    while j + 4 <= k {
        let (c0, c1, c2, c3) = (col(j), col(j + 1), col(j + 2), col(j + 3));
        let (x0, x1, x2, x3) = (x[j], x[j + 1], x[j + 2], x[j + 3]);
        for ((((o, &a0), &a1), &a2), &a3) in out.iter_mut().zip(c0).zip(c1).zip(c2).zip(c3) {
            let t = madd::<T, FMA>(a0, x0, *o);
            let t = madd::<T, FMA>(a1, x1, t);
            let t = madd::<T, FMA>(a2, x2, t);
            *o = madd::<T, FMA>(a3, x3, t);
        }
        j += 4;
    }
    while j < k {
        let (c0, x0) = (col(j), x[j]);
        for (o, &a0) in out.iter_mut().zip(c0) {
            *o = madd::<T, FMA>(a0, x0, *o);
        }
        j += 1;
    }
}

/// Which compilation of the hand-written loops this CPU runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2Fma,
    Portable,
}

/// The best [`Isa`] of this CPU, within the `THEANO_JIT_CPU` cap ([`crate::cpu::level`]).
pub fn isa() -> Isa {
    match crate::cpu::level() {
        crate::cpu::CpuLevel::Avx512 => Isa::Avx512,
        crate::cpu::CpuLevel::Avx2 => Isa::Avx2Fma,
        crate::cpu::CpuLevel::Baseline => Isa::Portable,
    }
}

macro_rules! multiversion {
    ($(#[$doc:meta])* $name:ident => $impl:ident ( $($arg:ident : $ty:ty),* ) $(-> $ret:ty)?) => {
        $(#[$doc])*
        /// # Safety
        /// The contract of the generic body; `isa` must be supported by this CPU.
        #[allow(clippy::missing_safety_doc)]
        pub(crate) unsafe fn $name<T: Float>(isa: Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn v4<T: Float>($($arg: $ty),*) $(-> $ret)? {
                    // SAFETY: forwarded contract.
                    #[allow(unused_unsafe)]
                    unsafe { $impl::<T, true>($($arg),*) }
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn v3<T: Float>($($arg: $ty),*) $(-> $ret)? {
                    // SAFETY: forwarded contract.
                    #[allow(unused_unsafe)]
                    unsafe { $impl::<T, true>($($arg),*) }
                }
                match isa {
                    // SAFETY: `isa` was detected on this CPU (the caller's contract).
                    Isa::Avx512 => return unsafe { v4::<T>($($arg),*) },
                    // SAFETY: as above.
                    Isa::Avx2Fma => return unsafe { v3::<T>($($arg),*) },
                    Isa::Portable => {}
                }
            }
            let _ = isa;
            // SAFETY: forwarded contract.
            #[allow(unused_unsafe)]
            unsafe { $impl::<T, false>($($arg),*) }
        }
    };
}

multiversion!(
    /// [`dot_impl`] for the given ISA.
    dot_mv => dot_impl(a: &[T], b: &[T]) -> T
);
multiversion!(
    /// [`gemv_cols_impl`] for the given ISA.
    gemv_cols_mv => gemv_cols_impl(m: usize, a: *const T, a_cs: isize, x: &[T], beta: T, y: *const T, y_s: isize, out: *mut T)
);

/// Rows of the output that a narrow product's inner loop computes at once.
const NARROW_ROWS: usize = 8;

/// Terms of the inner product a narrow product sums before adding them to the total.
const NARROW_K: usize = 256;

/// The longest inner dimension of a narrow product (its packed operand is `k x 16`
/// elements: at most 8 MiB of float64); longer ones go to the `gemm` crate.
const NARROW_MAX_K: usize = 1 << 16;

/// The widest output (columns, or rows when transposed) a narrow product handles: one
/// 512-bit register of float32, two of float64.
pub const NARROW: usize = 16;

/// A narrow product over rows `0..rows`: `out[i, j] = beta * out[i, j] + sum_kk x[i, kk] *
/// yp[kk * W + j]` for `j < n <= W` (`out` not read unless `read_out`), `yp` the packed
/// right operand (`alpha` applied, zero-padded to `W` columns). The accumulators of
/// [`NARROW_ROWS`] rows stay in vector registers through the whole `k` loop.
///
/// # Safety
/// `x` is valid for reads of `rows x (yp.len() / W)` elements at strides `(x_rs, x_cs)`;
/// `out` for reads and writes of `rows x n` at `(o_rs, o_cs)`, overlapping neither.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn narrow_w<T: Float, const FMA: bool, const W: usize>(
    rows: usize,
    x: *const T,
    (x_rs, x_cs): (isize, isize),
    yp: &[T],
    n: usize,
    beta: T,
    read_out: bool,
    out: *mut T,
    (o_rs, o_cs): (isize, isize),
) {
    let mut r = 0;
    while r < rows {
        let q = NARROW_ROWS.min(rows - r);
        // sums over blocks of NARROW_K terms, each added into `out` after its block: the
        // rounding error grows with the block length, not with all of k (as BLAS's blocking
        // over k does), and one set of accumulators stays in registers
        let x0 = x.wrapping_offset(r as isize * x_rs);
        let mut first = true;
        for (b, blk) in yp.chunks(W * NARROW_K).enumerate() {
            let mut acc = [[T::ZERO; W]; NARROW_ROWS];
            let xb = x0.wrapping_offset((b * NARROW_K) as isize * x_cs);
            for (kk, y) in blk.chunks_exact(W).enumerate() {
                let xk = xb.wrapping_offset(kk as isize * x_cs);
                // a whole block of rows through the array (a constant trip count that LLVM
                // unrolls into registers), the last partial block through a slice of it
                // SAFETY: rows r..r + q < rows, column b * NARROW_K + kk < k: in x.
                unsafe {
                    if q == NARROW_ROWS {
                        narrow_step::<T, FMA, W>(&mut acc, xk, x_rs, y)
                    } else {
                        narrow_step::<T, FMA, W>(&mut acc[..q], xk, x_rs, y)
                    }
                }
            }
            // SAFETY: rows r..r + q < rows and columns < n of out.
            unsafe { narrow_store(&acc[..q], n, out, (r, o_rs, o_cs), first, beta, read_out) };
            first = false;
        }
        if first {
            // k == 0: the product is zero
            let acc = [[T::ZERO; W]; NARROW_ROWS];
            // SAFETY: as above.
            unsafe { narrow_store(&acc[..q], n, out, (r, o_rs, o_cs), true, beta, read_out) };
        }
        r += q;
    }
}

/// `acc[i] += x[i, kk] * y` for the rows of a block, `xk` pointing at its element (0, kk).
///
/// # Safety
/// `xk` is valid for reads of `acc.len()` elements `x_rs` apart.
#[inline(always)]
unsafe fn narrow_step<T: Float, const FMA: bool, const W: usize>(
    acc: &mut [[T; W]],
    xk: *const T,
    x_rs: isize,
    y: &[T],
) {
    for (i, a) in acc.iter_mut().enumerate() {
        // SAFETY: row i of the block (the contract).
        let xv = unsafe { *xk.offset(i as isize * x_rs) };
        for j in 0..W {
            a[j] = madd::<T, FMA>(xv, y[j], a[j]);
        }
    }
}

/// Add the sums `acc` of a row block (rows from `r`) into `out`: on the `first` block, `out =
/// beta * out + acc` (`out = acc` unless `read_out`); then `out += acc`.
///
/// # Safety
/// `out` is valid for reads and writes of rows `r..r + acc.len()` and columns `0..n` at
/// strides `(o_rs, o_cs)`.
#[inline(always)]
unsafe fn narrow_store<T: Float, const W: usize>(
    acc: &[[T; W]],
    n: usize,
    out: *mut T,
    (r, o_rs, o_cs): (usize, isize, isize),
    first: bool,
    beta: T,
    read_out: bool,
) {
    for (i, a) in acc.iter().enumerate() {
        for (j, &v) in a.iter().enumerate().take(n) {
            let o = out.wrapping_offset((r + i) as isize * o_rs + j as isize * o_cs);
            // SAFETY: element (r + i, j) of out (the contract).
            unsafe {
                *o = match (first, read_out) {
                    (true, false) => v,
                    (true, true) => beta * *o + v,
                    (false, _) => *o + v,
                }
            };
        }
    }
}

/// [`narrow_w`] with the narrowest register width holding `n` columns.
///
/// # Safety
/// As [`narrow_w`], with `yp.len()` a multiple of 8 when `n <= 8`, of 16 otherwise.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn narrow_impl<T: Float, const FMA: bool>(
    rows: usize,
    x: *const T,
    xs: (isize, isize),
    yp: &[T],
    n: usize,
    beta: T,
    read_out: bool,
    out: *mut T,
    os: (isize, isize),
) {
    // SAFETY: forwarded contract.
    unsafe {
        if n <= 8 {
            narrow_w::<T, FMA, 8>(rows, x, xs, yp, n, beta, read_out, out, os)
        } else {
            narrow_w::<T, FMA, NARROW>(rows, x, xs, yp, n, beta, read_out, out, os)
        }
    }
}

multiversion!(
    /// [`narrow_impl`] for the given ISA.
    narrow_mv => narrow_impl(rows: usize, x: *const T, xs: (isize, isize), yp: &[T], n: usize, beta: T, read_out: bool, out: *mut T, os: (isize, isize))
);

/// `out = beta * out + alpha * (x · y)` for a product with at most [`NARROW`] output
/// columns (`m x n`, `out` at strides `os`): `y` is packed into the thread's scratch and
/// the rows split over the hot pool. No allocation after the first call of a shape.
///
/// # Safety
/// Operands valid over their extents; `out` overlaps neither `x` nor `y`; `y.cols <= NARROW`.
unsafe fn narrow<T: Float>(
    alpha: T,
    x: Mat<T>,
    y: Mat<T>,
    beta: T,
    read_out: bool,
    out: *mut T,
    os: (isize, isize),
) {
    let (m, k, n) = (x.rows, x.cols, y.cols);
    let w = if n <= 8 { 8 } else { NARROW };
    let fill = |p: &mut [T]| {
        for (kk, row) in p.chunks_exact_mut(w).enumerate() {
            for (j, o) in row.iter_mut().enumerate() {
                *o = if j < n {
                    // SAFETY: element (kk, j) of y, kk < k and j < n.
                    alpha * unsafe { *y.ptr.offset(kk as isize * y.rs + j as isize * y.cs) }
                } else {
                    T::ZERO
                };
            }
        }
    };
    let isa = isa();
    with_scratch(k * w, fill, |yp| {
        let job = Shared(NarrowJob {
            x,
            yp,
            n,
            beta,
            read_out,
            out,
            os,
            isa,
        });
        let width = crate::hot::width();
        if m.saturating_mul(k).saturating_mul(n) >= PAR_FLOPS && width > 1 && m >= 2 * NARROW_ROWS {
            // SAFETY: each part is a band of rows within the product; bands are disjoint
            crate::hot::run_ranges(m, width, NARROW_ROWS, &|lo, hi| unsafe {
                job.get().rows(lo, hi - lo)
            });
        } else {
            // SAFETY: the whole product.
            unsafe { job.get().rows(0, m) }
        }
    })
}

/// A narrow product whose row bands the hot pool's threads compute.
struct NarrowJob<'a, T> {
    x: Mat<T>,
    yp: &'a [T],
    n: usize,
    beta: T,
    read_out: bool,
    out: *mut T,
    os: (isize, isize),
    isa: Isa,
}

impl<T: Float> NarrowJob<'_, T> {
    /// Rows `start..start + len` of the product.
    ///
    /// # Safety
    /// `narrow`'s contract; `start + len <= m`.
    unsafe fn rows(&self, start: usize, len: usize) {
        let s = start as isize;
        // SAFETY: the sub-product of those rows.
        unsafe {
            narrow_mv(
                self.isa,
                len,
                self.x.ptr.wrapping_offset(s * self.x.rs),
                (self.x.rs, self.x.cs),
                self.yp,
                self.n,
                self.beta,
                self.read_out,
                self.out.wrapping_offset(s * self.os.0),
                self.os,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// Strided operands.

/// A strided matrix operand (element strides).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat<T> {
    pub ptr: *const T,
    pub rows: usize,
    pub cols: usize,
    pub rs: isize,
    pub cs: isize,
}

impl<T> Mat<T> {
    fn of(v: &View) -> Mat<T> {
        Mat {
            ptr: v.ptr as *const T,
            rows: v.shape[0],
            cols: v.shape[1],
            rs: v.strides[0],
            cs: v.strides[1],
        }
    }
    fn t(self) -> Mat<T> {
        Mat {
            ptr: self.ptr,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// A strided vector operand.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Vector<T> {
    pub ptr: *const T,
    pub len: usize,
    pub s: isize,
}

impl<T: Float> Vector<T> {
    fn of(v: &View) -> Vector<T> {
        Vector {
            ptr: v.ptr as *const T,
            len: v.shape[0],
            s: v.strides[0],
        }
    }
    /// `scale * self` as a contiguous Vec.
    ///
    /// # Safety
    /// The vector is valid for reads.
    unsafe fn scaled(self, scale: T) -> Vec<T> {
        (0..self.len)
            // SAFETY: index i < len lies in the vector's extent.
            .map(|i| scale * unsafe { *self.ptr.offset(i as isize * self.s) })
            .collect()
    }
}

thread_local! {
    /// The calling thread's scratch for a packed operand (gemv's scaled `x`, a narrow
    /// product's packed `y`), in 8-byte words (aligned for f32 and f64), kept between calls:
    /// a product allocates only for a larger operand than any before on its thread.
    static SCRATCH: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The calling thread's buffer for the partial sums of a split transposed gemv (taken
    /// while SCRATCH holds its scaled `x`).
    static PARTIAL: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `f(w)` where `w` is `words` 8-byte words of the thread's scratch (or, should the scratch be
/// in use further up this thread's stack, of a fresh buffer), left as the last user wrote them.
pub(crate) fn with_words<R>(words: usize, f: impl FnOnce(&mut [u64]) -> R) -> R {
    with_words_in(&SCRATCH, words, f)
}

/// [`with_words`] on the thread-local buffer `key`.
fn with_words_in<R>(
    key: &'static std::thread::LocalKey<std::cell::RefCell<Vec<u64>>>,
    words: usize,
    f: impl FnOnce(&mut [u64]) -> R,
) -> R {
    let mut f = Some(f);
    let done = key
        .try_with(|cell| {
            let mut buf = cell.try_borrow_mut().ok()?;
            if buf.len() < words {
                buf.resize(words, 0);
            }
            let r = (f.take()?)(&mut buf[..words]);
            // keep at most KEEP_SCRATCH words between calls (a larger operand belongs to a
            // large product, where an allocation per call does not show)
            if buf.len() > KEEP_SCRATCH {
                *buf = Vec::new();
            }
            Some(r)
        })
        .ok()
        .flatten();
    match (done, f) {
        (Some(r), _) => r,
        // in use further up this thread's stack, or the thread-locals are being torn down
        (None, Some(f)) => f(&mut vec![0; words]),
        (None, None) => unreachable!("f is taken only when the scratch path returns"),
    }
}

/// `f(p)` where `p` is `len` elements that `fill` wrote, in the thread's scratch
/// ([`with_words`]).
fn with_scratch<T: Float, R>(
    len: usize,
    fill: impl FnOnce(&mut [T]),
    f: impl FnOnce(&[T]) -> R,
) -> R {
    let words = (len * std::mem::size_of::<T>()).div_ceil(8);
    with_words(words, |w| {
        // SAFETY: the words hold at least `len` elements of T (f32 or f64: 8-byte alignment
        // covers both, and any bit pattern is a valid value); nothing else borrows them.
        let p = unsafe { std::slice::from_raw_parts_mut(w.as_mut_ptr().cast::<T>(), len) };
        fill(&mut *p);
        f(&*p)
    })
}

/// `f(scale * v)`, the scaled vector contiguous in the thread's scratch.
///
/// # Safety
/// The vector is valid for reads.
unsafe fn with_scaled<T: Float, R>(v: Vector<T>, scale: T, f: impl FnOnce(&[T]) -> R) -> R {
    let fill = |p: &mut [T]| {
        for (i, o) in p.iter_mut().enumerate() {
            // SAFETY: i < len lies in the vector's extent.
            *o = scale * unsafe { *v.ptr.offset(i as isize * v.s) };
        }
    };
    with_scratch(v.len, fill, f)
}

/// The most 8-byte words of scratch a thread keeps between calls (512 KiB).
const KEEP_SCRATCH: usize = 1 << 16;

/// `out[i] = beta * y[i] + alpha * (A · x)[i]`, `out` contiguous (length A.rows); `y` is
/// read only when `beta != 0`.
///
/// # Safety
/// Every operand is valid over its extent; `out` overlaps no input, except `y` when `y` is
/// exactly `out` (same address, unit stride).
pub(crate) unsafe fn gemv<T: Float>(
    alpha: T,
    a: Mat<T>,
    x: Vector<T>,
    beta: T,
    y: Option<Vector<T>>,
    out: *mut T,
) {
    let m = a.rows;
    if m == 0 {
        return;
    }
    let (yp, ys) = match y {
        Some(y) if beta != T::ZERO => (y.ptr, y.s),
        _ => (std::ptr::null(), 0),
    };
    let beta = if y.is_some() { beta } else { T::ZERO };
    // SAFETY: x is valid for reads; the rest is the caller's contract.
    unsafe { with_scaled(x, alpha, |xs| gemv_scaled(a, xs, beta, yp, ys, out)) }
}

/// [`gemv`] after `alpha * x` was copied to the contiguous `xs`.
///
/// # Safety
/// As [`gemv`].
unsafe fn gemv_scaled<T: Float>(
    a: Mat<T>,
    xs: &[T],
    beta: T,
    yp: *const T,
    ys: isize,
    out: *mut T,
) {
    let m = a.rows;
    let isa = isa();
    let width = crate::hot::width();
    let k = a.cols;
    let parallel = m.saturating_mul(k) >= PAR_GEMV && width > 1;
    // what the parts of either split share
    let job = Shared(Job {
        a,
        xs,
        beta,
        yp,
        ys,
        out,
        isa,
    });
    if parallel && a.rs == 1 && a.cs != 1 && k >= 128 {
        // A column-major matrix (a transposed C matrix: the gradient's x.T · g) splits its
        // columns, the sum's terms: part p reads columns p*chunk.. of A, i.e. the same rows
        // of the C matrix as part p of the row-major product x · w, so each thread keeps
        // reading the half of x its cache already holds (a split of the outputs had the
        // threads swap halves between the two products of a step). Part 0 writes out, the
        // others partial sums that the caller adds.
        let chunk = crate::hot::range_len(k, width.min(k.div_ceil(64)), 8);
        let parts = k.div_ceil(chunk);
        let words = ((parts - 1) * m * std::mem::size_of::<T>()).div_ceil(8);
        return with_words_in(&PARTIAL, words, |w| {
            let partial = Shared(w.as_mut_ptr().cast::<T>());
            crate::hot::run(parts, &|p| {
                let lo = p * chunk;
                let dst = (p > 0).then(|| partial.get().wrapping_add((p - 1) * m));
                // SAFETY: columns lo..min(k, lo + chunk) of A with p < parts; part p > 0
                // writes its own m partial sums of the buffer.
                unsafe { job.get().cols(lo, k.min(lo + chunk), dst) }
            });
            for p in 1..parts {
                // SAFETY: out has m elements; part p's partial sums are m elements of the
                // buffer, written above.
                unsafe {
                    let src = partial.get().add((p - 1) * m);
                    for i in 0..m {
                        *out.add(i) = *out.add(i) + *src.add(i);
                    }
                }
            }
        });
    }
    if parallel {
        // Split the output rows among the hot pool's threads (crate::hot: a region this
        // short would spend as long waking rayon's threads as computing): each part is a
        // smaller gemv on disjoint rows of A, y and out.
        crate::hot::run_ranges(m, width.min(m.div_ceil(64)), 8, &|lo, hi| {
            // SAFETY: rows lo..hi of A, y and out: in their extents, and the parts write
            // disjoint rows of out.
            unsafe { job.get().rows(lo, hi - lo) }
        });
        return;
    }
    // SAFETY: the caller's contract.
    unsafe { gemv_serial(isa, a, xs, beta, yp, ys, out) }
}

/// Matrix-vector products of at least this many multiply-adds use all of rayon's threads
/// (at the seed's 400x784, two threads took 24.5 us against 47.8 on one: docs/JIT.md; the
/// threshold itself is not tuned).
pub const PAR_GEMV: usize = 1 << 16;

/// What the parts of one parallel region share (a job record of operand pointers and
/// scalars, or a buffer): every use in this file only reads through it, except that each part
/// writes its own disjoint rows, columns or piece of an output, and the region
/// ([`crate::hot::run`]) ends before anything it points to is released.
#[derive(Clone, Copy)]
struct Shared<J>(J);
// SAFETY: see the type's doc: shared read-only, disjoint writes, within the region.
unsafe impl<J> Send for Shared<J> {}
// SAFETY: as for Send.
unsafe impl<J> Sync for Shared<J> {}

impl<J> Shared<J> {
    fn get(&self) -> &J {
        &self.0
    }
}

/// A part of a parallel gemv, sent to a rayon thread.
#[derive(Clone, Copy)]
struct Job<'a, T> {
    a: Mat<T>,
    xs: &'a [T],
    beta: T,
    yp: *const T,
    ys: isize,
    out: *mut T,
    isa: Isa,
}

impl<T: Float> Job<'_, T> {
    /// The sum over columns `lo..hi` of a column-major A: into `out` (with `beta * y`) when
    /// `partial` is None, else into the m elements at `partial` (no y).
    ///
    /// # Safety
    /// `lo < hi <= a.cols`, `a.rs == 1`; the gemv contract; `partial` (when Some) is valid
    /// for m writes and overlaps nothing else.
    unsafe fn cols(&self, lo: usize, hi: usize, partial: Option<*mut T>) {
        let col = self.a.ptr.wrapping_offset(lo as isize * self.a.cs);
        let (m, cs, xs) = (self.a.rows, self.a.cs, &self.xs[lo..hi]);
        // SAFETY: columns lo..hi of A (m contiguous elements each) and their terms of xs.
        unsafe {
            match partial {
                None => gemv_cols_mv(
                    self.isa, m, col, cs, xs, self.beta, self.yp, self.ys, self.out,
                ),
                Some(d) => gemv_cols_mv(self.isa, m, col, cs, xs, T::ZERO, std::ptr::null(), 0, d),
            }
        }
    }

    /// # Safety
    /// `start + len <= a.rows`; the gemv contract.
    unsafe fn rows(self, start: usize, len: usize) {
        let s = start as isize;
        let a = Mat {
            ptr: self.a.ptr.wrapping_offset(s * self.a.rs),
            rows: len,
            ..self.a
        };
        // SAFETY: the sub-problem of rows start..start+len.
        unsafe {
            gemv_serial(
                self.isa,
                a,
                self.xs,
                self.beta,
                self.yp.wrapping_offset(s * self.ys),
                self.ys,
                self.out.add(start),
            )
        }
    }
}

/// `out = beta * y + A · xs` on the calling thread (`y` read only when `beta != 0`).
///
/// # Safety
/// As [`gemv`], with `xs` already scaled by alpha.
unsafe fn gemv_serial<T: Float>(
    isa: Isa,
    a: Mat<T>,
    xs: &[T],
    beta: T,
    yp: *const T,
    ys: isize,
    out: *mut T,
) {
    let m = a.rows;
    if a.rs == 1 && a.cs != 1 {
        // column-major (a transposed C matrix): the hand-written sum of scaled columns
        // SAFETY: columns of `rows` contiguous elements; the aliasing contract is ours.
        return unsafe { gemv_cols_mv(isa, m, a.ptr, a.cs, xs, beta, yp, ys, out) };
    }
    // Any other layout (row-major above all): the gemm crate as an m x 1 product, which
    // beats the hand-written row loop at the seed's shapes (docs/JIT.md).
    let read = beta != T::ZERO;
    if read && !(std::ptr::eq(yp, out) && ys == 1) {
        for i in 0..m {
            // SAFETY: y and out are disjoint here (they are identical or disjoint, and not
            // identical); both have m elements.
            unsafe { *out.add(i) = *yp.offset(i as isize * ys) };
        }
    }
    // SAFETY: T is f32 or f64 (gemm's types); dst is out (m x 1, unit strides) holding y when
    // read; lhs is A over its extent, rhs the contiguous scaled x; dst overlaps neither.
    unsafe {
        gemm::gemm::<T>(
            m,
            1,
            a.cols,
            out,
            1,
            1,
            read,
            a.ptr,
            a.cs,
            a.rs,
            xs.as_ptr(),
            1,
            1,
            if read { beta } else { T::ZERO },
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// `out = beta * out + alpha * (x · y)` (`read_out = false`: `out = alpha * x · y`, out not
/// read), `out` C-contiguous `x.rows × y.cols`, through the `gemm` crate.
///
/// # Safety
/// Operands valid over their extents; `out` overlaps neither `x` nor `y`.
pub(crate) unsafe fn gemm_into<T: Float>(
    alpha: T,
    x: Mat<T>,
    y: Mat<T>,
    beta: T,
    read_out: bool,
    out: *mut T,
) {
    let (m, k, n) = (x.rows, x.cols, y.cols);
    if m == 0 || n == 0 {
        return;
    }
    if n == 1 || m == 1 {
        // a matrix-vector product through the hand-written gemv, out being its own y: a
        // column `x · y[:, 0]`, or a row `out[0, :] = y^T · x[0, :]`
        let (a, v) = if n == 1 {
            (
                x,
                Vector {
                    ptr: y.ptr,
                    len: k,
                    s: y.rs,
                },
            )
        } else {
            (
                y.t(),
                Vector {
                    ptr: x.ptr,
                    len: k,
                    s: x.cs,
                },
            )
        };
        let yo = Vector {
            ptr: out as *const T,
            len: a.rows,
            s: 1,
        };
        // SAFETY: out is exactly the y operand; contracts forwarded.
        return unsafe { gemv(alpha, a, v, beta, read_out.then_some(yo), out) };
    }
    // a narrow product packs its k x 16 operand whole: up to NARROW_MAX_K terms
    if n <= NARROW && k <= NARROW_MAX_K {
        // SAFETY: our contract; out is C-contiguous m x n.
        return unsafe { narrow(alpha, x, y, beta, read_out, out, (n as isize, 1)) };
    }
    if m <= NARROW && k <= NARROW_MAX_K {
        // out^T = y^T · x^T: n rows of at most NARROW columns, written transposed
        // SAFETY: as above.
        return unsafe { narrow(alpha, y.t(), x.t(), beta, read_out, out, (1, n as isize)) };
    }
    let work = m.saturating_mul(n).saturating_mul(k);
    let w = crate::hot::width();
    if work >= PAR_FLOPS && (2..=HOT_GEMM_MAX_WIDTH).contains(&w) {
        // one single-threaded gemm call per hot thread, on a band of the output's columns
        // (or rows, when there are more rows): no rayon wake-ups and no shared packing
        // (docs/JIT.md, "Native kernels": 2-4% over the crate's own threading at 1024^3)
        let cols = n >= m;
        let len = if cols { n } else { m };
        let job = Shared(Band {
            alpha,
            x,
            y,
            beta,
            read_out,
            out,
        });
        // SAFETY: our contract, with the band of each part inside the product
        crate::hot::run_ranges(len, w, 16, &|lo, hi| unsafe {
            job.get().part(lo, hi, cols, n)
        });
        return;
    }
    let par = if work >= PAR_FLOPS {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: our contract; `out` is C-contiguous with row stride n.
    unsafe { gemm_band(alpha, x, y, beta, read_out, out, n, par) }
}

/// A matrix product whose output bands the hot pool's threads compute.
struct Band<T> {
    alpha: T,
    x: Mat<T>,
    y: Mat<T>,
    beta: T,
    read_out: bool,
    out: *mut T,
}

impl<T: Float> Band<T> {
    /// Output columns `lo..hi` (`cols`) or rows `lo..hi` of the product, `n` its columns.
    ///
    /// # Safety
    /// `gemm_into`'s contract for the whole product; `lo < hi` within its columns or rows.
    unsafe fn part(&self, lo: usize, hi: usize, cols: bool, n: usize) {
        let (mut x, mut y, mut o) = (self.x, self.y, self.out);
        if cols {
            y.ptr = y.ptr.wrapping_offset(lo as isize * y.cs);
            y.cols = hi - lo;
            o = o.wrapping_add(lo);
        } else {
            x.ptr = x.ptr.wrapping_offset(lo as isize * x.rs);
            x.rows = hi - lo;
            o = o.wrapping_add(lo * n);
        }
        // SAFETY: the band lies within the operands and the output; bands write disjoint
        // parts of `out`; the rest is the caller's contract.
        unsafe {
            gemm_band(
                self.alpha,
                x,
                y,
                self.beta,
                self.read_out,
                o,
                n,
                gemm::Parallelism::None,
            )
        }
    }
}

/// The hot pool splits a matrix product itself (one single-threaded `gemm` call per thread)
/// on machines with at most this many cores; wider machines use the crate's rayon threading,
/// which shares packed blocks between threads instead of packing them once per band.
pub const HOT_GEMM_MAX_WIDTH: usize = 8;

/// `out = beta * out + alpha * (x · y)` through one `gemm` crate call, `out` having unit
/// column stride and row stride `out_rs`.
///
/// # Safety
/// Operands valid over their extents; `out` (x.rows x y.cols) overlaps neither `x` nor `y`.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_band<T: Float>(
    alpha: T,
    x: Mat<T>,
    y: Mat<T>,
    beta: T,
    read_out: bool,
    out: *mut T,
    out_rs: usize,
    par: gemm::Parallelism,
) {
    // SAFETY: T is f32 or f64 (the only Float impls), which gemm supports (it panics only
    // for other types); the operands' extents are valid (our contract); dst is x.rows x
    // y.cols with row stride out_rs, column stride 1, and does not overlap lhs or rhs.
    unsafe {
        gemm::gemm::<T>(
            x.rows,
            y.cols,
            x.cols,
            out,
            1,
            out_rs as isize,
            read_out,
            x.ptr,
            x.cs,
            x.rs,
            y.ptr,
            y.cs,
            y.rs,
            if read_out { beta } else { T::ZERO },
            alpha,
            false,
            false,
            false,
            par,
        )
    }
}

// ---------------------------------------------------------------------------------------
// The kernels.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `Dot` with the given input ranks.
    Dot(usize, usize),
    Dot22,
    Gemv {
        inplace: bool,
    },
    Gemm {
        inplace: bool,
    },
    Ger {
        destructive: bool,
    },
}

/// One BLAS op for one float dtype.
pub struct BlasKernel {
    kind: Kind,
    dtype: DType,
    name: String,
}

/// The kernel for `op` with these input types and output dtype, `None` when not lowered.
pub fn blas_kernel(op: &Op, in_types: &[theano_ir::TensorType], out: DType) -> Option<BlasKernel> {
    if !matches!(out, DType::Float32 | DType::Float64) || in_types.iter().any(|t| t.dtype != out) {
        return None;
    }
    let nd: Vec<usize> = in_types.iter().map(|t| t.ndim()).collect();
    let (kind, name) = match op {
        Op::Dot if nd.len() == 2 && (1..=2).contains(&nd[0]) && (1..=2).contains(&nd[1]) => (
            Kind::Dot(nd[0], nd[1]),
            format!("dot {}d.{}d", nd[0], nd[1]),
        ),
        Op::Dot22 if nd == [2, 2] => (Kind::Dot22, "dot22".to_string()),
        Op::Gemv { inplace } if nd == [1, 0, 2, 1, 0] => (
            Kind::Gemv { inplace: *inplace },
            format!("gemv{}", if *inplace { " inplace" } else { "" }),
        ),
        Op::Gemm { inplace } if nd == [2, 0, 2, 2, 0] => (
            Kind::Gemm { inplace: *inplace },
            format!("gemm{}", if *inplace { " inplace" } else { "" }),
        ),
        Op::Ger { destructive } if nd == [2, 0, 1, 1] => (
            Kind::Ger {
                destructive: *destructive,
            },
            format!("ger{}", if *destructive { " destructive" } else { "" }),
        ),
        _ => return None,
    };
    Some(BlasKernel {
        kind,
        dtype: out,
        name: format!("{name} {out}"),
    })
}

fn args(msg: String) -> JitError {
    JitError::Args(msg)
}

/// Common input checks: count, dtype, rank, alignment.
pub(crate) fn check_inputs(
    what: &str,
    ins: &[View],
    dtype: DType,
    ranks: &[usize],
) -> Result<(), JitError> {
    if ins.len() != ranks.len() {
        return Err(args(format!(
            "{what}: expects {} inputs, got {}",
            ranks.len(),
            ins.len()
        )));
    }
    for (i, (v, &r)) in ins.iter().zip(ranks).enumerate() {
        if v.dtype != dtype {
            return Err(args(format!(
                "{what}: input {i} has dtype {}, expected {dtype}",
                v.dtype
            )));
        }
        if v.ndim != r {
            return Err(args(format!(
                "{what}: input {i} has {} dimensions, expected {r}",
                v.ndim
            )));
        }
        if !v.is_empty() && !(v.ptr as usize).is_multiple_of(dtype.itemsize()) {
            return Err(args(format!("{what}: input {i} is not aligned")));
        }
    }
    Ok(())
}

/// The shape `dims` if its byte size fits in `isize`.
pub(crate) fn out_shape_of(what: &str, dims: &[usize], dtype: DType) -> Result<Shape, JitError> {
    let n = dims
        .iter()
        .try_fold(dtype.itemsize(), |a, &d| a.checked_mul(d))
        .filter(|&b| b <= isize::MAX as usize);
    match (n, Shape::new(dims)) {
        (Some(_), Some(s)) => Ok(s),
        _ => Err(args(format!("{what}: output shape {dims:?} is too large"))),
    }
}

/// `[lo, hi)` byte range that a view touches (empty views touch nothing).
pub(crate) fn extent(v: &View) -> (usize, usize) {
    if v.is_empty() {
        return (0, 0);
    }
    let isz = v.dtype.itemsize() as isize;
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&d, &s) in v.shape().iter().zip(v.strides()) {
        let span = (d as isize - 1).wrapping_mul(s).wrapping_mul(isz);
        if span < 0 {
            lo = lo.wrapping_add(span);
        } else {
            hi = hi.wrapping_add(span);
        }
    }
    let base = v.ptr as usize;
    (
        base.wrapping_add_signed(lo),
        base.wrapping_add_signed(hi).wrapping_add(isz as usize),
    )
}

pub(crate) fn overlaps(a: &View, b: &View) -> bool {
    let (a0, a1) = extent(a);
    let (b0, b1) = extent(b);
    a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1
}

/// Whether `v`'s address suits its dtype (always true of buffers the runtime allocates).
pub(crate) fn is_aligned(v: &View) -> bool {
    (v.ptr as usize).is_multiple_of(v.dtype.itemsize())
}

/// Run `f` on `out`, or, when `out` is misaligned for its dtype, on an aligned scratch copy
/// of its shape whose bytes are then copied into `out`: kernels write through typed pointers.
///
/// # Safety
/// `out` is valid for writes of its `len() * itemsize` bytes; `f` writes its whole view.
pub(crate) unsafe fn via_aligned(out: &View, f: impl FnOnce(&View)) {
    if is_aligned(out) {
        return f(out);
    }
    let bytes = out.len() * out.dtype.itemsize();
    let mut tmp = vec![0u64; bytes.div_ceil(8)];
    let Some(tv) = View::contiguous(tmp.as_mut_ptr().cast::<u8>(), out.dtype, out.shape()) else {
        return;
    };
    f(&tv);
    // SAFETY: tmp holds `bytes` initialized bytes; out is valid for as many writes; distinct
    // allocations.
    unsafe { std::ptr::copy_nonoverlapping(tmp.as_ptr().cast::<u8>(), out.ptr, bytes) };
}

/// Whether `v` is exactly the C-contiguous `out` (same address and layout).
fn same_as(v: &View, out: &View) -> bool {
    v.ptr == out.ptr && v.shape() == out.shape() && v.is_c_contiguous()
}

fn scalar_of<T: Float>(v: &View) -> T {
    // SAFETY: out_shape checked a 0-d, aligned view of dtype T (T::DTYPE == dtype), which
    // the caller guarantees valid for reads.
    unsafe { *(v.ptr as *const T) }
}

impl NativeKernel for BlasKernel {
    fn shape_only(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        &self.name
    }

    fn out_dtype(&self) -> DType {
        self.dtype
    }

    fn inplace_input(&self) -> Option<usize> {
        match self.kind {
            Kind::Gemv { inplace: true }
            | Kind::Gemm { inplace: true }
            | Kind::Ger { destructive: true } => Some(0),
            _ => None,
        }
    }

    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let what = self.name.as_str();
        let d = self.dtype;
        let bad = |desc: &str| -> JitError {
            let shapes: Vec<String> = ins.iter().map(|v| format!("{:?}", v.shape())).collect();
            args(format!(
                "{what}: incompatible shapes for {desc}: {}",
                shapes.join(", ")
            ))
        };
        match self.kind {
            Kind::Dot(na, nb) => {
                check_inputs(what, ins, d, &[na, nb])?;
                let (a, b) = (ins[0].shape(), ins[1].shape());
                let ka = a[na - 1];
                if ka != b[0] {
                    return Err(bad("dot"));
                }
                let mut dims = [0usize; 2];
                let mut nd = 0;
                if na == 2 {
                    dims[nd] = a[0];
                    nd += 1;
                }
                if nb == 2 {
                    dims[nd] = b[1];
                    nd += 1;
                }
                out_shape_of(what, &dims[..nd], d)
            }
            Kind::Dot22 => {
                check_inputs(what, ins, d, &[2, 2])?;
                let (a, b) = (ins[0].shape(), ins[1].shape());
                if a[1] != b[0] {
                    return Err(bad("dot22"));
                }
                out_shape_of(what, &[a[0], b[1]], d)
            }
            Kind::Gemv { .. } => {
                check_inputs(what, ins, d, &[1, 0, 2, 1, 0])?;
                let (y, a, x) = (ins[0].shape(), ins[2].shape(), ins[3].shape());
                if a[0] != y[0] || a[1] != x[0] {
                    return Err(bad("gemv (beta * y + alpha * dot(A, x))"));
                }
                out_shape_of(what, y, d)
            }
            Kind::Gemm { .. } => {
                check_inputs(what, ins, d, &[2, 0, 2, 2, 0])?;
                let (z, x, y) = (ins[0].shape(), ins[2].shape(), ins[3].shape());
                if x[1] != y[0] || z != [x[0], y[1]] {
                    return Err(bad("gemm (beta * z + alpha * dot(x, y))"));
                }
                out_shape_of(what, z, d)
            }
            Kind::Ger { .. } => {
                check_inputs(what, ins, d, &[2, 0, 1, 1])?;
                let (a, x, y) = (ins[0].shape(), ins[2].shape(), ins[3].shape());
                if a != [x[0], y[0]] {
                    return Err(bad("ger (A + alpha * outer(x, y))"));
                }
                out_shape_of(what, a, d)
            }
        }
    }

    unsafe fn run(&self, ins: &[View], out: &View) {
        // SAFETY: forwarded contract.
        unsafe {
            match self.dtype {
                DType::Float64 => self.run_t::<f64>(ins, out),
                DType::Float32 => self.run_t::<f32>(ins, out),
                _ => {}
            }
        }
    }
}

impl BlasKernel {
    /// # Safety
    /// The contract of [`NativeKernel::run`], with `T::DTYPE == self.dtype`.
    unsafe fn run_t<T: Float>(&self, ins: &[View], out: &View) {
        if out.is_empty() {
            return;
        }
        // The input that may legitimately be `out` itself.
        let own = self.inplace_input();
        let aliased = !is_aligned(out)
            || ins
                .iter()
                .enumerate()
                .any(|(i, v)| overlaps(v, out) && !(Some(i) == own && same_as(v, out)));
        if aliased {
            // Compute into scratch, then copy: correct whatever the overlap.
            let mut tmp = vec![T::ZERO; out.len()];
            let Some(tv) = View::contiguous(tmp.as_mut_ptr() as *mut u8, out.dtype, out.shape())
            else {
                return;
            };
            // SAFETY: tv is a fresh buffer of out's shape overlapping nothing.
            unsafe { self.compute::<T>(ins, &tv) };
            // SAFETY: out is valid for out.len() * size_of::<T>() byte writes (perhaps
            // misaligned: bytes are copied); tmp is a distinct allocation.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    tmp.as_ptr().cast::<u8>(),
                    out.ptr,
                    out.len() * std::mem::size_of::<T>(),
                )
            };
        } else {
            // SAFETY: out overlaps no input, or is exactly the in-place input.
            unsafe { self.compute::<T>(ins, out) };
        }
    }

    /// # Safety
    /// As [`Self::run_t`], and `out` overlaps no input other than exactly the in-place one.
    unsafe fn compute<T: Float>(&self, ins: &[View], out: &View) {
        let o = out.ptr as *mut T;
        match self.kind {
            Kind::Dot(1, 1) => {
                let (a, b) = (Vector::<T>::of(&ins[0]), Vector::<T>::of(&ins[1]));
                let v = if a.s == 1 && b.s == 1 {
                    // SAFETY: both contiguous over len elements.
                    let (sa, sb) = unsafe {
                        (
                            std::slice::from_raw_parts(a.ptr, a.len),
                            std::slice::from_raw_parts(b.ptr, b.len),
                        )
                    };
                    // SAFETY: isa() was detected on this CPU.
                    unsafe { dot_mv(isa(), sa, sb) }
                } else {
                    // SAFETY: valid strided vectors.
                    let (sa, sb) = unsafe { (a.scaled(T::ONE), b.scaled(T::ONE)) };
                    // SAFETY: as above.
                    unsafe { dot_mv(isa(), &sa, &sb) }
                };
                // SAFETY: a 0-d output holds one element.
                unsafe { *o = v };
            }
            Kind::Dot(2, 1) => {
                // SAFETY: contracts forwarded; out overlaps nothing.
                unsafe {
                    gemv(
                        T::ONE,
                        Mat::of(&ins[0]),
                        Vector::of(&ins[1]),
                        T::ZERO,
                        None,
                        o,
                    )
                }
            }
            Kind::Dot(1, 2) => {
                // a · B = B^T · a
                // SAFETY: as above.
                unsafe {
                    gemv(
                        T::ONE,
                        Mat::<T>::of(&ins[1]).t(),
                        Vector::of(&ins[0]),
                        T::ZERO,
                        None,
                        o,
                    )
                }
            }
            Kind::Dot(..) | Kind::Dot22 => {
                // SAFETY: as above.
                unsafe {
                    gemm_into(
                        T::ONE,
                        Mat::of(&ins[0]),
                        Mat::of(&ins[1]),
                        T::ZERO,
                        false,
                        o,
                    )
                }
            }
            Kind::Gemv { .. } => {
                let (alpha, beta) = (scalar_of::<T>(&ins[1]), scalar_of::<T>(&ins[4]));
                let y = Vector::<T>::of(&ins[0]);
                // SAFETY: y is either exactly out or disjoint from it.
                unsafe {
                    gemv(
                        alpha,
                        Mat::of(&ins[2]),
                        Vector::of(&ins[3]),
                        beta,
                        Some(y),
                        o,
                    )
                }
            }
            Kind::Gemm { .. } => {
                let (alpha, beta) = (scalar_of::<T>(&ins[1]), scalar_of::<T>(&ins[4]));
                let read = beta != T::ZERO;
                if read && !same_as(&ins[0], out) {
                    // SAFETY: z and out are valid and disjoint.
                    unsafe { copy_to_contiguous::<T>(&ins[0], o) };
                }
                // SAFETY: out holds z (when read) and overlaps neither x nor y.
                unsafe { gemm_into(alpha, Mat::of(&ins[2]), Mat::of(&ins[3]), beta, read, o) }
            }
            Kind::Ger { .. } => {
                let alpha = scalar_of::<T>(&ins[1]);
                if !same_as(&ins[0], out) {
                    // SAFETY: A and out are valid and disjoint.
                    unsafe { copy_to_contiguous::<T>(&ins[0], o) };
                }
                let (x, y) = (Vector::<T>::of(&ins[2]), Vector::<T>::of(&ins[3]));
                // SAFETY: y is a valid vector.
                let yc = unsafe { y.scaled(T::ONE) };
                let n = y.len;
                for i in 0..x.len {
                    // SAFETY: x[i] is in x's extent.
                    let ax = alpha * unsafe { *x.ptr.offset(i as isize * x.s) };
                    // SAFETY: row i of the C-contiguous m x n output.
                    let row = unsafe { std::slice::from_raw_parts_mut(o.add(i * n), n) };
                    for (r, &yj) in row.iter_mut().zip(&yc) {
                        // Theano/the interpreter: A + alpha * x[i] * y[j], unfused.
                        *r = *r + ax * yj;
                    }
                }
            }
        }
    }
}

/// Copy a strided 2-d view into C-contiguous `out`.
///
/// # Safety
/// `v` valid for reads, `out` for `v.len()` writes, disjoint.
unsafe fn copy_to_contiguous<T: Float>(v: &View, out: *mut T) {
    let m = Mat::<T>::of(v);
    for i in 0..m.rows {
        for j in 0..m.cols {
            // SAFETY: (i, j) in v's extent; i * cols + j < len.
            unsafe {
                *out.add(i * m.cols + j) = *m.ptr.offset(i as isize * m.rs + j as isize * m.cs)
            };
        }
    }
}
