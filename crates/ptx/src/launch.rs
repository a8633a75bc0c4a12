//! The host side of a launch: kernel parameters from shapes and strides, the choice of
//! layout, and [`HostArray`], a strided array in a byte buffer that the emulator reads and
//! writes (the tests' stand-in for device memory).

use crate::elemwise::{ElemwiseKernel, Layout};
use crate::emu::{self, Dims, EmuError, Memory};
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{broadcast_shapes, with_dtype, DType, Element, Tensor};

/// A strided n-d array over a byte buffer: element (i0, i1, ..) is at element index
/// `offset + sum(ik * strides[k])` of `data` (strides in elements, any sign).
#[derive(Clone, Debug, PartialEq)]
pub struct HostArray {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    pub offset: usize,
    pub data: Vec<u8>,
}

/// Elements as little-endian bytes (bool as one byte 0/1).
pub trait Pod: Element {
    fn put(self, out: &mut Vec<u8>);
    fn get(b: &[u8]) -> Self;
}

macro_rules! pod {
    ($($t:ty),*) => {$(
        impl Pod for $t {
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
pod!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8);

impl Pod for bool {
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn get(b: &[u8]) -> Self {
        b[0] != 0
    }
}

/// C-contiguous strides of a shape, in elements.
pub fn c_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d].max(1) as isize;
    }
    s
}

impl HostArray {
    /// A C-contiguous copy of a tensor.
    pub fn from_tensor(t: &Tensor) -> HostArray {
        let mut data = Vec::new();
        with_dtype!(t.dtype(), T => {
            for v in t.to_array::<T>().iter() {
                v.put(&mut data);
            }
        });
        HostArray {
            dtype: t.dtype(),
            shape: t.shape().to_vec(),
            strides: c_strides(t.shape()),
            offset: 0,
            data,
        }
    }

    /// A C-contiguous array of `shape` filled with the byte `fill`.
    pub fn filled(dtype: DType, shape: &[usize], fill: u8) -> HostArray {
        let n: usize = shape.iter().product();
        HostArray {
            dtype,
            shape: shape.to_vec(),
            strides: c_strides(shape),
            offset: 0,
            data: vec![fill; n * dtype.itemsize()],
        }
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element index in `data` of every element, row-major.
    fn positions(&self) -> Vec<usize> {
        let n = self.len();
        let mut out = Vec::with_capacity(n);
        let mut idx = vec![0usize; self.shape.len()];
        for _ in 0..n {
            let mut p = self.offset as isize;
            for (i, s) in idx.iter().zip(&self.strides) {
                p += *i as isize * s;
            }
            out.push(p as usize);
            for d in (0..idx.len()).rev() {
                idx[d] += 1;
                if idx[d] < self.shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        out
    }

    /// The logical values as a tensor.
    pub fn to_tensor(&self) -> Tensor {
        let sz = self.dtype.itemsize();
        let pos = self.positions();
        with_dtype!(self.dtype, T => {
            let v: Vec<T> = pos.iter().map(|p| T::get(&self.data[p * sz..])).collect();
            Tensor::from_array(
                ArrayD::from_shape_vec(IxDyn(&self.shape), v).expect("shape and length agree"),
            )
        })
    }

    /// A view with permuted axes (no copy).
    pub fn permuted(&self, perm: &[usize]) -> HostArray {
        HostArray {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            ..self.clone()
        }
    }

    /// A view with axis `d` reversed (negative stride).
    pub fn reversed(&self, d: usize) -> HostArray {
        let mut a = self.clone();
        if a.shape[d] > 0 {
            a.offset = (a.offset as isize + (a.shape[d] as isize - 1) * a.strides[d]) as usize;
        }
        a.strides[d] = -a.strides[d];
        a
    }

    /// A view of every `step`-th element along axis `d` (the array keeps its storage).
    pub fn stepped(&self, d: usize, step: usize) -> HostArray {
        let mut a = self.clone();
        a.shape[d] = self.shape[d].div_ceil(step);
        a.strides[d] *= step as isize;
        a
    }

    pub fn is_c_contiguous(&self) -> bool {
        let c = c_strides(&self.shape);
        self.shape
            .iter()
            .zip(self.strides.iter().zip(&c))
            .all(|(n, (s, cs))| *n <= 1 || s == cs)
    }
}

/// Why a launch on the emulator failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Emu(#[from] EmuError),
    #[error("launch: {0}")]
    Shape(String),
}

/// The geometry of an elementwise launch: the layout it can use, and the shape and the
/// strides (in elements; the output first, then each input) after collapsing. Dimensions of
/// length 1 are dropped and neighbours merged where every operand steps through them as one
/// (`stride[d-1] == stride[d] * shape[d]`), as numpy's iterator does, so a C-contiguous or
/// uniformly strided operand set costs one division per element, not one per dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElemwisePlan {
    pub layout: Layout,
    pub shape: Vec<usize>,
    pub strides: Vec<Vec<isize>>,
}

/// Plan an elementwise launch over `ins` (numpy broadcasting; the output is C-contiguous):
/// `Vector` when the collapsed operands are one contiguous run and every input is aligned
/// for `width`-element accesses, `Contiguous` when only the alignment fails, otherwise
/// `Strided32` when the collapsed geometry passes [`index32_fits`] and `Strided` (64-bit
/// index arithmetic, always exact) when it does not.
pub fn plan_elemwise(ins: &[&HostArray], width: usize) -> Result<ElemwisePlan, LaunchError> {
    plan(ins, width, None)
}

/// [`plan_elemwise`] for an in-place launch: the output is input `inplace`'s storage, with
/// its strides (it must have the broadcast shape and the output's place in memory).
pub fn plan_elemwise_inplace(
    ins: &[&HostArray],
    width: usize,
    inplace: usize,
) -> Result<ElemwisePlan, LaunchError> {
    plan(ins, width, Some(inplace))
}

fn plan(
    ins: &[&HostArray],
    width: usize,
    inplace: Option<usize>,
) -> Result<ElemwisePlan, LaunchError> {
    let mut shape: Vec<usize> = Vec::new();
    for a in ins {
        shape = broadcast_shapes(&shape, &a.shape).ok_or_else(|| {
            LaunchError::Shape(format!("cannot broadcast {shape:?} with {:?}", a.shape))
        })?;
    }
    let nd = shape.len();
    let out_strides = match inplace {
        None => c_strides(&shape),
        Some(i) => {
            let a = ins.get(i).ok_or_else(|| {
                LaunchError::Shape(format!("in place over input {i} of {}", ins.len()))
            })?;
            if a.shape != shape {
                return Err(LaunchError::Shape(format!(
                    "in place over input {i} of shape {:?}, the output's is {shape:?}",
                    a.shape
                )));
            }
            a.strides.clone()
        }
    };
    let mut strides: Vec<Vec<isize>> = vec![out_strides];
    for a in ins {
        let pad = nd - a.shape.len();
        strides.push(
            (0..nd)
                .map(|d| {
                    if d < pad || a.shape[d - pad] == 1 {
                        0
                    } else {
                        a.strides[d - pad]
                    }
                })
                .collect(),
        );
    }
    // drop length-1 dimensions, then merge neighbours
    let keep: Vec<usize> = (0..nd).filter(|&d| shape[d] != 1).collect();
    let mut cs: Vec<usize> = Vec::new();
    let mut cst: Vec<Vec<isize>> = vec![Vec::new(); strides.len()];
    for &d in &keep {
        let merge = !cs.is_empty()
            && strides
                .iter()
                .zip(&cst)
                .all(|(s, c)| c[c.len() - 1] == s[d] * shape[d] as isize);
        if merge {
            let last = cs.len() - 1;
            cs[last] *= shape[d];
            for (c, s) in cst.iter_mut().zip(&strides) {
                let l = c.len() - 1;
                c[l] = s[d];
            }
        } else {
            cs.push(shape[d]);
            for (c, s) in cst.iter_mut().zip(&strides) {
                c.push(s[d]);
            }
        }
    }
    let contiguous = cs.len() <= 1 && cst.iter().all(|s| s.iter().all(|&x| x == 1));
    let layout = if !contiguous {
        if index32_fits(&cs, &cst) {
            Layout::Strided32
        } else {
            Layout::Strided
        }
    } else if vector_aligned(ins, width) {
        Layout::Vector
    } else {
        Layout::Contiguous
    };
    Ok(ElemwisePlan {
        layout,
        shape: cs,
        strides: cst,
    })
}

/// Whether a strided launch over `shape` with each operand's `strides` (in elements) is
/// exact in a [`Layout::Strided32`] kernel's 32-bit index arithmetic: fewer than 2^31
/// elements (so the u32 grid-stride loop cannot wrap), and for every operand the sum over
/// dimensions of |stride| * (dim - 1) at most `i32::MAX` (every partial offset the kernel
/// accumulates, and every stride it multiplies by a non-zero coordinate, then fits in
/// i32). Computed in u128 with saturation, so no geometry overflows the check.
pub fn index32_fits(shape: &[usize], strides: &[Vec<isize>]) -> bool {
    let n = shape
        .iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
    if n >= 1 << 31 {
        return false;
    }
    strides.iter().all(|s| {
        let extent = s.iter().zip(shape).fold(0u128, |acc, (&st, &d)| {
            acc.saturating_add((st.unsigned_abs() as u128) * (d.saturating_sub(1) as u128))
        });
        extent <= i32::MAX as u128
    })
}

/// Whether each input's first element is aligned to `width` elements (the emulator's
/// buffers start aligned, as device allocations do; the output is fresh and aligned).
pub fn vector_aligned(ins: &[&HostArray], width: usize) -> bool {
    ins.iter()
        .all(|a| (a.offset * a.dtype.itemsize()).is_multiple_of(width * a.dtype.itemsize()))
}

/// Run an elementwise kernel on the emulator: inputs broadcast (numpy) to a fresh
/// C-contiguous output. The kernel must fit [`plan_elemwise`]'s plan: a strided kernel of
/// the collapsed rank (a `Strided` one always, a `Strided32` one only when the plan passes
/// [`index32_fits`]), or a contiguous or vector kernel when the plan is contiguous (the vector
/// kernel's alignment is the caller's business: the emulator faults on a misaligned
/// access).
pub fn run_elemwise(
    ek: &ElemwiseKernel,
    ins: &[&HostArray],
    dims: Dims,
) -> Result<HostArray, LaunchError> {
    if ins.len() != ek.in_dtypes.len() {
        return Err(LaunchError::Shape(format!(
            "{} inputs for a kernel of {}",
            ins.len(),
            ek.in_dtypes.len()
        )));
    }
    if let Some(k) = (0..ins.len()).find(|&k| ins[k].dtype != ek.in_dtypes[k]) {
        return Err(LaunchError::Shape(format!(
            "input {k} is {}, the kernel reads {}",
            ins[k].dtype, ek.in_dtypes[k]
        )));
    }
    let plan = plan(ins, ek.width.max(1), ek.inplace)?;
    match ek.layout {
        Layout::Strided | Layout::Strided32 if ek.ndim != plan.shape.len() => {
            return Err(LaunchError::Shape(format!(
                "collapsed rank {} for a strided kernel of rank {}",
                plan.shape.len(),
                ek.ndim
            )))
        }
        Layout::Strided32 if !index32_fits(&plan.shape, &plan.strides) => {
            return Err(LaunchError::Shape(format!(
                "a 32-bit-index kernel for shape {:?} (2^31 elements or more, or offsets past i32)",
                plan.shape
            )))
        }
        Layout::Contiguous | Layout::Vector if plan.layout.is_strided() => {
            return Err(LaunchError::Shape(
                "a contiguous kernel needs C-contiguous inputs of the output's shape".into(),
            ))
        }
        _ => {}
    }
    let mut shape: Vec<usize> = Vec::new();
    for a in ins {
        shape = broadcast_shapes(&shape, &a.shape).unwrap_or_default();
    }
    let out = HostArray::filled(ek.out_dtype, &shape, 0xEE);
    let mut mem = Memory::default();
    let ob = mem.alloc(out.data.clone());
    let mut params = vec![Memory::addr(ob, 0)];
    let mut in_bufs = Vec::new();
    for a in ins {
        let b = mem.alloc(a.data.clone());
        in_bufs.push(b);
        params.push(Memory::addr(b, a.offset * a.dtype.itemsize()));
    }
    if let Some(i) = ek.inplace {
        params[0] = params[i + 1];
    }
    params.push(out.len() as u64);
    if ek.layout.is_strided() {
        params.extend(plan.shape.iter().map(|&d| d as u64));
        for s in &plan.strides {
            params.extend(s.iter().map(|&x| x as i64 as u64));
        }
    }
    emu::launch(&ek.kernel, dims, &params, &mut mem)?;
    if let Some(i) = ek.inplace {
        return Ok(HostArray {
            data: mem.bufs[in_bufs[i]].clone(),
            ..ins[i].clone()
        });
    }
    Ok(HostArray {
        data: mem.bufs[ob].clone(),
        ..out
    })
}

/// Run a reduction kernel on the emulator over `axes` of `x` (sorted, unique). Returns the
/// output (and the argmax indices, int64).
pub fn run_reduce(
    rk: &crate::reduce::ReduceKernel,
    x: &HostArray,
    axes: &[usize],
    dims: Dims,
) -> Result<(HostArray, Option<HostArray>), LaunchError> {
    let nd = x.shape.len();
    if axes.iter().any(|&a| a >= nd) || axes.windows(2).any(|w| w[0] >= w[1]) {
        return Err(LaunchError::Shape(format!("axes {axes:?} for rank {nd}")));
    }
    let kept: Vec<usize> = (0..nd).filter(|d| !axes.contains(d)).collect();
    if kept.len() != rk.outer_ndim || axes.len() != rk.red_ndim || x.dtype != rk.dtype {
        return Err(LaunchError::Shape(
            "the kernel was built for another rank or dtype".into(),
        ));
    }
    let out_shape: Vec<usize> = kept.iter().map(|&d| x.shape[d]).collect();
    let n_out: usize = out_shape.iter().product();
    let m: usize = axes.iter().map(|&d| x.shape[d]).product();
    if m == 0 && rk.kind.needs_elements() && n_out > 0 {
        return Err(LaunchError::Shape(format!(
            "zero-size reduction {:?} has no identity",
            rk.kind
        )));
    }
    let out = HostArray::filled(rk.out_dtype, &out_shape, 0xEE);
    let idx = HostArray::filled(DType::Int64, &out_shape, 0xEE);
    let argmax = rk.kind == crate::reduce::ReduceKind::MaxAndArgmax;
    let mut mem = Memory::default();
    let ob = mem.alloc(out.data.clone());
    let ib = mem.alloc(idx.data.clone());
    let xb = mem.alloc(x.data.clone());
    let outs = if argmax {
        vec![Memory::addr(ob, 0), Memory::addr(ib, 0)]
    } else {
        vec![Memory::addr(ob, 0)]
    };
    let xa = Memory::addr(xb, x.offset * x.dtype.itemsize());
    let params = crate::reduce::reduce_params(&outs, xa, &x.shape, &x.strides, axes);
    emu::launch(&rk.kernel, dims, &params, &mut mem)?;
    let o = HostArray {
        data: mem.bufs[ob].clone(),
        ..out
    };
    let i = argmax.then(|| HostArray {
        data: mem.bufs[ib].clone(),
        ..idx
    });
    Ok((o, i))
}

/// Upload `arrays` into fresh buffers: (memory, the address of each array's first element).
fn upload(arrays: &[&HostArray]) -> (Memory, Vec<u64>) {
    let mut mem = Memory::default();
    let addrs = arrays
        .iter()
        .map(|a| {
            let b = mem.alloc(a.data.clone());
            Memory::addr(b, a.offset * a.dtype.itemsize())
        })
        .collect();
    (mem, addrs)
}

fn matrix_of(x: &HostArray, what: &str) -> Result<(usize, usize, isize, isize), LaunchError> {
    match x.shape.len() {
        1 => Ok((1, x.shape[0], 0, x.strides[0])),
        2 => Ok((x.shape[0], x.shape[1], x.strides[0], x.strides[1])),
        n => Err(LaunchError::Shape(format!(
            "{what} must be 1-d or 2-d, got {n}-d"
        ))),
    }
}

/// Run a softmax / log-softmax kernel (`softmax::lower_softmax`) on a vector or matrix.
pub fn run_softmax(k: &crate::Kernel, x: &HostArray, dims: Dims) -> Result<HostArray, LaunchError> {
    let (rows, cols, rs, cs) = matrix_of(x, "softmax's input")?;
    let out = HostArray::filled(x.dtype, &x.shape, 0xEE);
    let (mut mem, addrs) = upload(&[&out, x]);
    let params = [
        addrs[0],
        addrs[1],
        rows as u64,
        cols as u64,
        rs as i64 as u64,
        cs as i64 as u64,
    ];
    emu::launch(k, dims, &params, &mut mem)?;
    Ok(HostArray {
        data: mem.bufs[0].clone(),
        ..out
    })
}

/// Labels as the interpreter checks them: one per row, each in `0..cols`.
fn check_labels(y: &HostArray, rows: usize, cols: usize) -> Result<(), LaunchError> {
    if y.shape.len() != 1 || y.shape[0] != rows {
        return Err(LaunchError::Shape(format!(
            "{:?} labels for {rows} rows",
            y.shape
        )));
    }
    for (i, l) in y.to_tensor().to_i64_vec().into_iter().enumerate() {
        if l < 0 || l as u64 >= cols as u64 {
            return Err(LaunchError::Shape(format!(
                "label y_idx[{i}] = {l} is out of range for {cols} classes"
            )));
        }
    }
    Ok(())
}

/// Run `CrossentropySoftmaxArgmax1HotWithBias` (`softmax::lower_crossentropy`): (nll, sm,
/// argmax).
pub fn run_crossentropy(
    k: &crate::Kernel,
    x: &HostArray,
    b: &HostArray,
    y: &HostArray,
    dims: Dims,
) -> Result<(HostArray, HostArray, HostArray), LaunchError> {
    if x.shape.len() != 2 || b.shape.len() != 1 {
        return Err(LaunchError::Shape(
            "x must be a matrix and b a vector".into(),
        ));
    }
    let (rows, cols) = (x.shape[0], x.shape[1]);
    if b.shape[0] != cols && b.shape[0] != 1 {
        return Err(LaunchError::Shape(format!(
            "bias {:?} for {cols} columns",
            b.shape
        )));
    }
    check_labels(y, rows, cols)?;
    let d = DType::promote(x.dtype, b.dtype);
    let nll = HostArray::filled(d, &[rows], 0xEE);
    let sm = HostArray::filled(d, &[rows, cols], 0xEE);
    let am = HostArray::filled(DType::Int64, &[rows], 0xEE);
    let (mut mem, a) = upload(&[&nll, &sm, &am, x, b, y]);
    let bs = if b.shape[0] == 1 { 0 } else { b.strides[0] };
    let params = [
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
        rows as u64,
        cols as u64,
        x.strides[0] as i64 as u64,
        x.strides[1] as i64 as u64,
        bs as i64 as u64,
        y.strides[0] as i64 as u64,
    ];
    emu::launch(k, dims, &params, &mut mem)?;
    let take = |i: usize, h: HostArray| HostArray {
        data: mem.bufs[i].clone(),
        ..h
    };
    Ok((take(0, nll), take(1, sm), take(2, am)))
}

/// Run `CrossentropySoftmax1HotWithBiasDx` (`softmax::lower_crossentropy_dx`).
pub fn run_crossentropy_dx(
    k: &crate::Kernel,
    dnll: &HostArray,
    sm: &HostArray,
    y: &HostArray,
    dims: Dims,
) -> Result<HostArray, LaunchError> {
    if sm.shape.len() != 2 || dnll.shape.len() != 1 {
        return Err(LaunchError::Shape(
            "sm must be a matrix and dnll a vector".into(),
        ));
    }
    let (rows, cols) = (sm.shape[0], sm.shape[1]);
    if dnll.shape[0] != rows && dnll.shape[0] != 1 {
        return Err(LaunchError::Shape(format!(
            "dnll {:?} for {rows} rows",
            dnll.shape
        )));
    }
    check_labels(y, rows, cols)?;
    let d = DType::promote(dnll.dtype, sm.dtype);
    let dx = HostArray::filled(d, &[rows, cols], 0xEE);
    let (mut mem, a) = upload(&[&dx, dnll, sm, y]);
    let ds = if dnll.shape[0] == 1 {
        0
    } else {
        dnll.strides[0]
    };
    let params = [
        a[0],
        a[1],
        a[2],
        a[3],
        rows as u64,
        cols as u64,
        ds as i64 as u64,
        sm.strides[0] as i64 as u64,
        sm.strides[1] as i64 as u64,
        y.strides[0] as i64 as u64,
    ];
    emu::launch(k, dims, &params, &mut mem)?;
    Ok(HostArray {
        data: mem.bufs[0].clone(),
        ..dx
    })
}
