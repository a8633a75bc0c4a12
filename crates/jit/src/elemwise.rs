//! The elementwise kernel at run time: [`ElemwiseKernel`] checks shapes (numpy broadcasting),
//! picks the flat or the strided loop, splits big loops across threads, and implements the
//! `NativeKernel` contract.

use super::*;

/// An elementwise kernel of a [`KernelSet`] behind the [`NativeKernel`] interface: numpy
/// broadcasting, the flat loop when every input is C-contiguous with the output's shape (or
/// a scalar by its type), strided rows otherwise; loops over at least
/// [`PARALLEL_MIN_ELEMENTS`] elements are split across rayon's threads. Keeps the set's
/// code alive.
#[derive(Clone)]
pub struct ElemwiseKernel {
    pub(crate) name: String,
    pub(crate) flat: FlatFn,
    pub(crate) row: RowFn,
    pub(crate) in_dtypes: Vec<DType>,
    pub(crate) scalar_inputs: Vec<bool>,
    pub(crate) out: DType,
    pub(crate) inplace: Option<usize>,
    pub(crate) cost: usize,
    pub(crate) _code: Arc<CodeOwner>,
}

impl std::fmt::Debug for ElemwiseKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ElemwiseKernel({})", self.name)
    }
}

/// A raw pointer that may cross into rayon's threads.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(*mut u8);
// SAFETY: only used to hand disjoint output ranges to the chunks of one split loop, which
// all finish before the loop returns.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    fn get(self) -> *mut u8 {
        self.0
    }
}

/// The estimated work per element of a scalar program (see [`Kernel::cost`]); `wide`: the
/// output dtype of a kernel on the wide path, whose AVX-512 helpers (several times faster
/// than the 128-bit inline code) count 4.
pub(crate) fn prog_cost(p: &lower::Prog, wide: Option<DType>) -> usize {
    p.instrs
        .iter()
        .map(|(op, _)| {
            if wide.is_some_and(|d| wide::helper(op, d).is_some()) {
                4
            } else if lower::math_func(op).is_some()
                || crate::helpers::catalogue_helper(op, false).is_some()
                || *op == ScalarOp::ArcTan2
            {
                24
            } else if matches!(op, ScalarOp::TrueDiv | ScalarOp::Sqrt) {
                4
            } else {
                1
            }
        })
        .sum()
}

/// Run `f` over `[0, n)` in `chunks` contiguous pieces (inline when 1), each piece boundary
/// a multiple of `align`: on the hot pool when `hot` (a short loop), else on rayon's.
pub(crate) fn split(
    n: usize,
    chunks: usize,
    align: usize,
    hot: bool,
    f: &(dyn Fn(usize, usize) + Sync),
) {
    if hot && chunks > 1 {
        return crate::hot::run_ranges(n, chunks, align, f);
    }
    fn go(lo: usize, hi: usize, chunks: usize, align: usize, f: &(dyn Fn(usize, usize) + Sync)) {
        if chunks <= 1 || hi - lo < 2 * align {
            f(lo, hi);
            return;
        }
        let half = chunks / 2;
        let step = ((hi - lo) as u128 * half as u128 / chunks as u128) as usize;
        let mid = (lo + step / align * align).clamp(lo, hi);
        rayon::join(
            || go(lo, mid, half, align, f),
            || go(mid, hi, chunks - half, align, f),
        );
    }
    go(0, n, chunks, align.max(1), f)
}

impl ElemwiseKernel {
    /// The number of chunks a loop over `n` elements is split into.
    fn chunks_for(&self, n: usize) -> usize {
        if n >= PARALLEL_MIN_ELEMENTS {
            rayon::current_num_threads().max(1)
        } else if n.saturating_mul(self.cost) >= HOT_MIN_WORK {
            crate::hot::width()
        } else {
            1
        }
    }

    /// [`NativeKernel::run`] split into at most `chunks` pieces run on rayon's threads (1:
    /// on the calling thread). The results do not depend on `chunks`.
    ///
    /// # Safety
    /// As for [`NativeKernel::run`].
    pub unsafe fn run_chunks(&self, ins: &[View], out: &View, chunks: usize) {
        let n = out.len();
        if n == 0 {
            return;
        }
        // a short loop splits over the hot pool, a long one over rayon's
        let hot = n < PARALLEL_MIN_ELEMENTS;
        let k = ins.len();
        let flat_ok = ins
            .iter()
            .zip(&self.scalar_inputs)
            .all(|(v, &s)| s || (v.is_c_contiguous() && v.shape() == out.shape()));
        let optr = SendPtr(out.ptr);
        let out_es = self.out.itemsize();
        if flat_ok {
            let (flat, scal, dts) = (self.flat, &self.scalar_inputs, &self.in_dtypes);
            split(n, chunks, 16, hot, &|lo, hi| {
                let mut ptrs = [std::ptr::null::<u8>(); MAX_KERNEL_INPUTS];
                for j in 0..k {
                    ptrs[j] = if scal[j] {
                        ins[j].ptr
                    } else {
                        ins[j].ptr.wrapping_add(lo * dts[j].itemsize())
                    };
                }
                // SAFETY: (the caller's contract, checked by `out_shape`) every non-scalar
                // input holds `n` contiguous elements of its dtype and every scalar one
                // element; the output holds `n` elements; `[lo, hi)` lies within `[0, n)`
                // and the chunks write disjoint output ranges.
                unsafe { flat(hi - lo, ptrs.as_ptr(), optr.get().add(lo * out_es)) };
            });
            return;
        }
        // byte strides of each input over the output's dimensions (0 broadcasts)
        let nd = out.ndim;
        let mut strides = [[0isize; MAX_NDIM]; MAX_KERNEL_INPUTS];
        for (j, v) in ins.iter().enumerate() {
            let es = self.in_dtypes[j].itemsize() as isize;
            let pad = nd - v.ndim;
            for d in 0..v.ndim {
                if v.shape[d] != 1 {
                    strides[j][pad + d] = v.strides[d] * es;
                }
            }
        }
        // adjacent dimensions every input walks as one (contiguous across them, or
        // broadcast over both) collapse into one, so that rows are as long as they can be
        // (NumPy's and Theano's dimension collapsing): (64, 32, 16, 16) against (1, 32, 1,
        // 1) runs 2048 rows of 256, not 32768 of 16
        let mut cshape = [0usize; MAX_NDIM];
        let mut cst = [[0isize; MAX_NDIM]; MAX_KERNEL_INPUTS];
        let mut cnd = 0;
        for (d, &len) in out.shape[..nd].iter().enumerate() {
            if len == 1 {
                continue; // its only index is 0: it moves no pointer
            }
            let merges = cnd > 0 && (0..k).all(|j| cst[j][cnd - 1] == strides[j][d] * len as isize);
            if merges {
                cshape[cnd - 1] *= len;
                for j in 0..k {
                    cst[j][cnd - 1] = strides[j][d];
                }
            } else {
                cshape[cnd] = len;
                for j in 0..k {
                    cst[j][cnd] = strides[j][d];
                }
                cnd += 1;
            }
        }
        let (nd, strides) = (cnd, cst);
        let (inner, outer) = if nd == 0 {
            (1, &[][..])
        } else {
            (cshape[nd - 1], &cshape[..nd - 1])
        };
        let rows: usize = outer.iter().product();
        let row = self.row;
        let mut inner_st = [0isize; MAX_KERNEL_INPUTS];
        if nd > 0 {
            for j in 0..k {
                inner_st[j] = strides[j][nd - 1];
            }
        }
        let (strides, inner_st) = (&strides, &inner_st);
        if rows == 1 {
            // one long row: split it
            split(inner, chunks, 16, hot, &|lo, hi| {
                let mut ptrs = [std::ptr::null::<u8>(); MAX_KERNEL_INPUTS];
                for j in 0..k {
                    ptrs[j] = ins[j].ptr.wrapping_offset(lo as isize * inner_st[j]);
                }
                // SAFETY: the strides walk only elements of each (checked, broadcast)
                // input; `[lo, hi)` lies within the row and the chunks write disjoint
                // ranges of the C-contiguous output.
                unsafe {
                    row(
                        hi - lo,
                        ptrs.as_ptr(),
                        inner_st.as_ptr(),
                        optr.get().add(lo * out_es),
                        out_es as isize,
                    )
                };
            });
            return;
        }
        split(rows, chunks.min(rows), 1, hot, &|r0, r1| {
            // the multi-index of row r0 over the outer dimensions, and each input's offset
            let mut idx = [0usize; MAX_NDIM];
            let mut offs = [0isize; MAX_KERNEL_INPUTS];
            let mut r = r0;
            for d in (0..outer.len()).rev() {
                idx[d] = r % outer[d];
                r /= outer[d];
                for j in 0..k {
                    offs[j] += idx[d] as isize * strides[j][d];
                }
            }
            let mut ptrs = [std::ptr::null::<u8>(); MAX_KERNEL_INPUTS];
            for rr in r0..r1 {
                for j in 0..k {
                    ptrs[j] = ins[j].ptr.wrapping_offset(offs[j]);
                }
                // SAFETY: the strides walk only elements of each (checked, broadcast)
                // input; row `rr` of the C-contiguous output is the `inner` elements from
                // `rr * inner`, and the chunks own disjoint rows.
                unsafe {
                    row(
                        inner,
                        ptrs.as_ptr(),
                        inner_st.as_ptr(),
                        optr.get().add(rr * inner * out_es),
                        out_es as isize,
                    )
                };
                for d in (0..outer.len()).rev() {
                    idx[d] += 1;
                    for j in 0..k {
                        offs[j] += strides[j][d];
                    }
                    if idx[d] < outer[d] {
                        break;
                    }
                    for j in 0..k {
                        offs[j] -= strides[j][d] * outer[d] as isize;
                    }
                    idx[d] = 0;
                }
            }
        });
    }
}

impl NativeKernel for ElemwiseKernel {
    fn shape_only(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        &self.name
    }

    fn out_dtype(&self) -> DType {
        self.out
    }

    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        if ins.len() != self.in_dtypes.len() {
            return Err(JitError::Args(format!(
                "the kernel takes {} inputs, got {}",
                self.in_dtypes.len(),
                ins.len()
            )));
        }
        let nd = ins.iter().map(|v| v.ndim).max().unwrap_or(0);
        if nd > MAX_NDIM {
            return Err(JitError::Args(format!("more than {MAX_NDIM} dimensions")));
        }
        let mut shape = Shape {
            ndim: nd,
            dims: [1; MAX_NDIM],
        };
        for (i, (v, &d)) in ins.iter().zip(&self.in_dtypes).enumerate() {
            if v.dtype != d {
                return Err(JitError::Args(format!(
                    "input {i}: expected {d}, got {}",
                    v.dtype
                )));
            }
            if self.scalar_inputs[i] && v.len() != 1 {
                return Err(JitError::Args(format!("input {i}: expected one element")));
            }
            let pad = nd - v.ndim;
            for (j, &dim) in v.shape().iter().enumerate() {
                let o = &mut shape.dims[pad + j];
                if *o == 1 {
                    *o = dim;
                } else if dim != 1 && dim != *o {
                    return Err(JitError::Args(format!(
                        "input {i}: shape {:?} does not broadcast",
                        v.shape()
                    )));
                }
            }
        }
        shape
            .as_slice()
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|n| {
                n.checked_mul(self.out.itemsize())
                    .is_some_and(|b| b <= isize::MAX as usize)
            })
            .ok_or_else(|| JitError::Args("output too big".into()))?;
        Ok(shape)
    }

    fn inplace_input(&self) -> Option<usize> {
        self.inplace
    }

    unsafe fn run(&self, ins: &[View], out: &View) {
        // SAFETY: the caller's contract is ours.
        unsafe { self.run_chunks(ins, out, self.chunks_for(out.len())) }
    }
}
