//! The runtime of the CPU backend (Theano's VM): a linear schedule over storage slots, run
//! without allocating in the steady state. What runs where (the steps' `Lowering`s) and the
//! storage plan (roots, in place, the destructive tail, frees) are exec's, made at link time
//! ([`StoragePlan`]); the update protocol is exec's `commit_with` over this runtime's
//! buffers ([`Computed`]). This file owns the buffers, the slots and the run.
//!
//! Each slot holds, during one call, an argument, a constant, a persistent **buffer** (the
//! output of a [`NativeKernel`] step: kept in the executable's workspace across calls and
//! reused while the shape repeats), a **view** of another slot's storage (DimShuffle,
//! Reshape and Flatten of C-contiguous data: no copy), or an owned tensor (the result of an
//! interpreter step). See docs/ARCHITECTURE.md ("The runtime") for the invariants.
//!
//! In place: a kernel whose op overwrites input `i` (`Elemwise{..}[(0, i)]`, `Gemv{inplace}`)
//! writes into that input's buffer when the link-time check allows it. When the input is a
//! shared variable being updated, the new value is written straight into the shared
//! storage; those **destructive** steps and everything downstream of them run last (the
//! *tail*), and before the tail starts the runtime runs `out_shape` of every tail step and
//! checks every update value's type: after that nothing can fail (the [`NativeKernel`]
//! contract), so a call still applies all updates or none. When the check is not possible
//! (an interpreter step in the tail) or fails, the call writes the new values into buffers
//! and swaps them in at the end instead.

use crate::{JitError, NativeKernel, Shape, View, MAX_NDIM, MAX_OUTPUTS};
use smallvec::SmallVec;
use std::sync::Mutex;
use theano_exec::interp::{interp_step, step_error};
use theano_exec::linker::{commit_with, Results};
use theano_exec::{
    Arg, Lowering, NodeError, OutSink, Program, RunError, Step, StepPath, StoragePlan,
};
use theano_ir::{DType, Op, Tensor, TensorType};
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{with_array, with_dtype, Element};

/// The output shapes `kernel` computes for the input views `ins`, when it has the step's
/// `n_outputs` outputs (at most [`MAX_OUTPUTS`]) and accepts the inputs.
fn out_shapes_of(
    kernel: &dyn NativeKernel,
    n_outputs: usize,
    ins: &[View],
) -> Option<[Shape; MAX_OUTPUTS]> {
    let n = kernel.n_outputs();
    let mut shapes = [Shape::default(); MAX_OUTPUTS];
    (n == n_outputs && n <= MAX_OUTPUTS && kernel.out_shapes(ins, &mut shapes[..n]).is_ok())
        .then_some(shapes)
}

/// `Shape_i{i}` and `Shape` as native kernels (int64 outputs from the input's shape only).
pub(crate) struct ShapeKernel {
    /// `Some(i)`: `Shape_i{i}`; `None`: `Shape`.
    pub(crate) axis: Option<usize>,
}

impl NativeKernel for ShapeKernel {
    fn shape_only(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        "shape"
    }
    fn out_dtype(&self) -> DType {
        DType::Int64
    }
    fn out_shape(&self, ins: &[View]) -> Result<Shape, JitError> {
        let [x] = ins else {
            return Err(JitError::Args("shape takes one input".into()));
        };
        let s = match self.axis {
            Some(i) if i < x.ndim => Shape::new(&[]),
            Some(i) => return Err(JitError::Args(format!("axis {i} of a {}-d array", x.ndim))),
            None => Shape::new(&[x.ndim]),
        };
        s.ok_or_else(|| JitError::Args("rank".into()))
    }
    unsafe fn run(&self, ins: &[View], out: &View) {
        let x = &ins[0];
        let o = out.ptr as *mut i64;
        match self.axis {
            // SAFETY: `out` holds one int64 (`out_shape` gave a scalar); `i < ndim`.
            Some(i) => unsafe { *o = x.shape[i] as i64 },
            None => {
                for d in 0..x.ndim {
                    // SAFETY: `out` holds `ndim` int64 elements.
                    unsafe { *o.add(d) = x.shape[d] as i64 };
                }
            }
        }
    }
}

/// A copy of the elements `v` describes, as a C-contiguous tensor.
///
/// # Safety
/// `v` is valid for reads over its shape and strides, with elements of its dtype.
unsafe fn view_to_tensor(v: &View) -> Tensor {
    with_dtype!(v.dtype, T => {
        let p = v.ptr as *const T;
        let n = v.len();
        let nd = v.ndim;
        let mut out: Vec<T> = Vec::with_capacity(n);
        if n > 0 {
            let (inner, ist) = if nd == 0 { (1, 0) } else { (v.shape[nd - 1], v.strides[nd - 1]) };
            let mut idx = [0usize; MAX_NDIM];
            let mut off = 0isize;
            for _ in 0..n / inner {
                for i in 0..inner {
                    // SAFETY: the odometer keeps every index within the shape, so the
                    // offset addresses an element of `v`.
                    out.push(unsafe { *p.offset(off + i as isize * ist) });
                }
                for d in (0..nd.saturating_sub(1)).rev() {
                    idx[d] += 1;
                    off += v.strides[d];
                    if idx[d] < v.shape[d] {
                        break;
                    }
                    off -= v.strides[d] * v.shape[d] as isize;
                    idx[d] = 0;
                }
            }
        }
        let a = ArrayD::<T>::from_shape_vec(IxDyn(v.shape()), out)
            .expect("one element per index of the shape");
        T::into_tensor(a)
    })
}

/// A writable pointer to `t`'s first element (derived from the unique borrow).
fn mut_ptr(t: &mut Tensor) -> *mut u8 {
    with_array!(t, a => a.as_mut_ptr().cast::<u8>())
}

/// The storage of a slot's planned buffer for a `dt` output of `shape`: the buffer of the last
/// call when dtype and shape repeat (C-contiguous), else a new one; `None` where the
/// allocator cannot provide it (the step then runs in the interpreter, which reports it).
fn planned_buffer(buf: &mut Option<Tensor>, dt: DType, shape: &[usize]) -> Option<*mut u8> {
    let t = match buf {
        Some(t) if t.dtype() == dt && t.shape() == shape && standard_layout(t) => t,
        _ => buf.insert(new_buffer(dt, shape)?),
    };
    Some(mut_ptr(t))
}

/// A new zeroed buffer. One of at least [`HUGE_MIN`] bytes is advised to the kernel as
/// transparent-huge-page memory before its first write: its fresh pages then fault in 2 MiB
/// at a time instead of 4 KiB (512 times fewer faults on the first pass of a kernel over it;
/// measured on `exp(x)*y + tanh(z)` at 10^7, docs/JIT.md).
fn new_buffer(dt: DType, shape: &[usize]) -> Option<Tensor> {
    let mut t = Tensor::try_zeros(dt, shape)?;
    let bytes = t.len() * dt.itemsize();
    if bytes >= HUGE_MIN {
        advise_huge(mut_ptr(&mut t), bytes);
    }
    Some(t)
}

const HUGE_MIN: usize = 4 << 20;

#[cfg(target_os = "linux")]
fn advise_huge(p: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    let start = (p as usize).next_multiple_of(HUGE);
    let end = (p as usize + bytes) & !(HUGE - 1);
    if end > start {
        // SAFETY: [start, end) lies inside the live allocation of `bytes` bytes at `p`;
        // MADV_HUGEPAGE changes how its pages are backed, never their contents, and a
        // refusal (no THP support) leaves everything as it was.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_: *mut u8, _: usize) {}

fn standard_layout(t: &Tensor) -> bool {
    with_array!(t, a => a.is_standard_layout())
}

/// What a slot holds during one call.
#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    /// `args[i]`
    Arg(usize),
    /// `program.constants[i]`
    Const(usize),
    /// the workspace buffer with this id (the slot index of the step that allocated it)
    Buf(usize),
    Owned(Tensor),
    /// a view into the storage of a slot that outlives it
    View(View),
}

/// The state of one call, kept across calls: buffers persist and vectors keep their
/// capacity, so a call whose shapes repeat allocates nothing here.
struct Workspace {
    slots: Vec<Slot>,
    bufs: Vec<Option<Tensor>>,
    views: Vec<View>,
    /// placeholder views of the tail's outputs during its check
    dry: Vec<Option<View>>,
}

impl Workspace {
    fn new(n: usize) -> Workspace {
        Workspace {
            slots: (0..n).map(|_| Slot::Empty).collect(),
            bufs: (0..n).map(|_| None).collect(),
            views: Vec::new(),
            dry: vec![None; n],
        }
    }
}

/// What an interpreted step runs that this backend compiled, for the profile: a lazy
/// IfElse's branches (JIT programs of their own), a loop's body; `None` for a plain
/// interpreter step.
fn compiled_host_code(st: &Step) -> Option<&'static str> {
    if st.branches.as_ref().is_some_and(|b| b.linked.is_some()) {
        return Some("jit branches");
    }
    match &st.op {
        Op::Custom(c) => {
            let linkers = c.0.inner_linkers();
            (!linkers.is_empty() && linkers.iter().all(|&l| l == "jit")).then_some("jit loop body")
        }
        _ => None,
    }
}

/// A linked program: its steps' lowerings and the storage plan exec made from them.
pub(crate) struct Runtime {
    program: Program,
    kinds: Vec<Lowering>,
    /// per interpreted step, the compiled code it runs (`compiled_host_code`), found once
    host_code: Vec<Option<&'static str>>,
    plan: StoragePlan,
    ws: Mutex<Workspace>,
}

impl Runtime {
    pub(crate) fn new(program: Program, kinds: Vec<Lowering>) -> Runtime {
        let plan = StoragePlan::new(&program, &kinds);
        let ws = Mutex::new(Workspace::new(program.n_slots));
        let host_code = program
            .steps
            .iter()
            .zip(&kinds)
            .map(|(st, k)| match k {
                Lowering::Interp => compiled_host_code(st),
                _ => None,
            })
            .collect();
        Runtime {
            program,
            kinds,
            host_code,
            plan,
            ws,
        }
    }

    /// How each step is linked (the profile's `linker` column).
    pub(crate) fn step_linkers(&self) -> Vec<&'static str> {
        self.program
            .steps
            .iter()
            .zip(&self.kinds)
            .map(|(st, k)| match k {
                Lowering::Kernel(_)
                    if matches!(
                        st.op,
                        Op::Dot | Op::Dot22 | Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. }
                    ) =>
                {
                    "BLAS"
                }
                Lowering::Kernel(_) => "jit kernel",
                Lowering::View(_) => "view",
                Lowering::Interp => compiled_host_code(st).unwrap_or("interpreter"),
            })
            .collect()
    }

    /// Every result into fresh tensors, no update applied.
    pub(crate) fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        let mut a: SmallVec<[Arg<'_>; 12]> = args.iter().map(|t| Arg::Read(t)).collect();
        let mut out = Vec::with_capacity(self.program.results.len());
        self.execute(&mut a, OutSink::Push(&mut out), false)
            .map_err(|e| match e {
                RunError::Node(n) => n,
                RunError::Update { .. } | RunError::Transfer { .. } => {
                    unreachable!("no update is checked, no cell is given")
                }
            })?;
        Ok(out)
    }

    /// Run and apply the updates (see the module documentation).
    pub(crate) fn call(&self, args: &mut [Arg<'_>], out: OutSink<'_>) -> Result<(), RunError> {
        self.execute(args, out, true)
    }

    fn execute(
        &self,
        args: &mut [Arg<'_>],
        out: OutSink<'_>,
        commit: bool,
    ) -> Result<(), RunError> {
        // a concurrent call of the same function gets a workspace of its own
        let mut guard = self.ws.try_lock().ok();
        let mut fresh;
        let ws: &mut Workspace = match guard.as_deref_mut() {
            Some(w) => w,
            None => {
                fresh = Workspace::new(self.program.n_slots);
                &mut fresh
            }
        };
        let r = self.execute_in(ws, args, out, commit);
        for s in ws.slots.iter_mut() {
            *s = Slot::Empty;
        }
        r
    }

    fn execute_in(
        &self,
        ws: &mut Workspace,
        args: &mut [Arg<'_>],
        out: OutSink<'_>,
        commit: bool,
    ) -> Result<(), RunError> {
        let p = &self.program;
        for (i, &s) in p.args.iter().enumerate() {
            ws.slots[s] = Slot::Arg(i);
        }
        for (i, (s, _)) in p.constants.iter().enumerate() {
            ws.slots[*s] = Slot::Const(i);
        }
        let mut destructive = false;
        for (k, &i) in self.plan.order.iter().enumerate() {
            if k == self.plan.tail && commit && self.plan.tail_checkable {
                destructive = self.check_tail(ws, args);
            }
            if p.watch.is_on() {
                self.watched_step(ws, args, i, destructive)
                    .map_err(RunError::Node)?;
            } else {
                self.step(ws, args, i, destructive)
                    .map_err(RunError::Node)?;
            }
            for &s in &self.plan.frees[k] {
                ws.slots[s] = Slot::Empty;
            }
        }
        let (n_out, updates) = if commit {
            (p.n_outputs, &p.updates[..])
        } else {
            (p.results.len(), &[][..])
        };
        let mut r = Computed {
            rt: self,
            ws,
            n_out,
        };
        // after a checked destructive tail the update values passed already
        commit_with(&mut r, destructive, updates, &p.arg_types, args, n_out, out)
    }

    /// A view of slot `s` (None when empty or over [`MAX_NDIM`] dimensions).
    fn slot_view(&self, ws: &Workspace, args: &[Arg<'_>], s: usize) -> Option<View> {
        match &ws.slots[s] {
            Slot::Empty => None,
            Slot::Arg(i) => View::of(args[*i].get()),
            Slot::Const(i) => View::of(&self.program.constants[*i].1),
            Slot::Buf(b) => ws.bufs[*b].as_ref().and_then(View::of),
            Slot::Owned(t) => View::of(t),
            Slot::View(v) => Some(*v),
        }
    }

    /// The tensor slot `s` holds (not a view).
    fn tensor_of<'t>(&'t self, ws: &'t Workspace, args: &'t [Arg<'_>], s: usize) -> &'t Tensor {
        match &ws.slots[s] {
            Slot::Arg(a) => args[*a].get(),
            Slot::Const(c) => &self.program.constants[*c].1,
            Slot::Buf(b) => ws.bufs[*b].as_ref().expect("computed buffer"),
            Slot::Owned(t) => t,
            Slot::View(_) | Slot::Empty => {
                unreachable!("the schedule computes inputs before use")
            }
        }
    }

    /// An owned copy of slot `s`'s value.
    fn copy_of(&self, ws: &Workspace, args: &[Arg<'_>], s: usize) -> Tensor {
        match &ws.slots[s] {
            Slot::Arg(i) => args[*i].get().clone(),
            Slot::Const(i) => (*self.program.constants[*i].1).clone(),
            Slot::Buf(b) => ws.bufs[*b].clone().expect("computed buffer"),
            Slot::Owned(t) => t.clone(),
            // SAFETY: a view slot's storage outlives it (frees follow the storage root)
            Slot::View(v) => unsafe { view_to_tensor(v) },
            Slot::Empty => unreachable!("results are computed"),
        }
    }

    /// Make slot `s` hold a tensor: a view is computed by the interpreter from its
    /// input(s), as `linker=interp` would (a cheap copy the interpreted consumer expects).
    fn ensure_tensor(
        &self,
        ws: &mut Workspace,
        args: &[Arg<'_>],
        s: usize,
    ) -> Result<(), NodeError> {
        // Iterative (a view of a view of ... is as deep as the user's graph): a slot is
        // computed after its inputs, which are pushed above it in order.
        let mut stack = vec![(s, false)];
        while let Some((s, inputs_ready)) = stack.pop() {
            if !matches!(ws.slots[s], Slot::View(_)) {
                continue;
            }
            let i = self.plan.producer[s].expect("views are step outputs");
            let st = &self.program.steps[i];
            if !inputs_ready {
                stack.push((s, true));
                stack.extend(st.inputs.iter().rev().map(|&x| (x, false)));
                continue;
            }
            let mut outs = {
                let ins: SmallVec<[&Tensor; 8]> = st
                    .inputs
                    .iter()
                    .map(|&x| self.tensor_of(ws, args, x))
                    .collect();
                interp_step(i, st, &ins)?
            };
            ws.slots[s] = Slot::Owned(outs.swap_remove(0));
        }
        Ok(())
    }

    /// Whether kernel step `i` of the tail, on the views in `ws.views` (its dry inputs), will
    /// write over its in-place input in a destructive run, as `kernel_step` decides: a
    /// single-output kernel whose input has the output's dtype and `shape`, C-contiguous, in
    /// a slot it may overwrite (a buffer, an owned tensor, an update target, or a value a
    /// tail kernel computes, which is one of those).
    fn writes_in_place(
        &self,
        ws: &Workspace,
        i: usize,
        kernel: &dyn NativeKernel,
        shape: &[usize],
    ) -> bool {
        let Some(j) = kernel.inplace_input().filter(|_| self.plan.destroy_ok[i]) else {
            return false;
        };
        let (Some(&s), Some(v)) = (self.program.steps[i].inputs.get(j), ws.views.get(j)) else {
            return false;
        };
        if kernel.n_outputs() != 1
            || v.dtype != kernel.out_dtype()
            || v.shape() != shape
            || !v.is_c_contiguous()
        {
            return false;
        }
        if self.plan.in_tail[s] {
            return self.plan.producer[s]
                .is_some_and(|p| matches!(self.kinds[p], Lowering::Kernel(_)));
        }
        match &ws.slots[s] {
            Slot::Buf(b) => ws.bufs[*b].is_some(),
            Slot::Owned(_) => true,
            Slot::Arg(a) => self.plan.is_target[*a],
            _ => false,
        }
    }

    /// Check the tail on placeholder views: every kernel's `out_shape`, every view, every
    /// update value's type. `true`: it cannot fail, run it destructively.
    fn check_tail(&self, ws: &mut Workspace, args: &[Arg<'_>]) -> bool {
        let p = &self.program;
        for &i in &self.plan.order[self.plan.tail..] {
            let st = &p.steps[i];
            ws.views.clear();
            for &s in &st.inputs {
                let v = if self.plan.in_tail[s] {
                    ws.dry[s]
                } else {
                    self.slot_view(ws, args, s)
                };
                match v {
                    Some(v) => ws.views.push(v),
                    None => return false,
                }
            }
            let o = st.outputs[0];
            ws.dry[o] = match &self.kinds[i] {
                Lowering::Kernel(kernel) => {
                    let Some(shapes) = out_shapes_of(&**kernel, st.outputs.len(), &ws.views) else {
                        return false;
                    };
                    // the output buffers now, so that the destructive run cannot fail to
                    // allocate one after it wrote shared storage (a step that will run in
                    // place writes its input instead)
                    if !self.writes_in_place(ws, i, &**kernel, shapes[0].as_slice()) {
                        for (k, &ok) in st.outputs.iter().enumerate() {
                            let (dt, sh) = (kernel.out_dtype_of(k), shapes[k].as_slice());
                            if planned_buffer(&mut ws.bufs[ok], dt, sh).is_none() {
                                return false;
                            }
                        }
                    }
                    for (k, &ok) in st.outputs.iter().enumerate().skip(1) {
                        ws.dry[ok] = View::contiguous(
                            std::ptr::NonNull::<u64>::dangling().as_ptr() as *mut u8,
                            kernel.out_dtype_of(k),
                            shapes[k].as_slice(),
                        );
                        if ws.dry[ok].is_none() {
                            return false;
                        }
                    }
                    View::contiguous(
                        std::ptr::NonNull::<u64>::dangling().as_ptr() as *mut u8,
                        kernel.out_dtype_of(0),
                        shapes[0].as_slice(),
                    )
                }
                // SAFETY: the views of values before the tail are live slots; a tail output's
                // is a placeholder, read by no view here (`tail_checkable` excludes a view
                // that reads values of a tail output, `ViewOp::reads_values`)
                Lowering::View(v) => unsafe { v.apply(&ws.views) },
                Lowering::Interp => return false,
            };
            if ws.dry[o].is_none() {
                return false;
            }
        }
        for (j, &a) in p.updates.iter().enumerate() {
            let s = p.results[p.n_outputs + j];
            let v = if self.plan.in_tail[s] {
                ws.dry[s]
            } else {
                self.slot_view(ws, args, s)
            };
            match v {
                Some(v) if p.arg_types[a].check_value(v.dtype, v.shape()).is_ok() => {}
                _ => return false,
            }
        }
        true
    }

    /// Run step `i` as `step` does, timed (`profile`) and its outputs checked (`NanGuardMode`).
    fn watched_step(
        &self,
        ws: &mut Workspace,
        args: &mut [Arg<'_>],
        i: usize,
        destructive: bool,
    ) -> Result<(), NodeError> {
        let w = &self.program.watch;
        let t0 = std::time::Instant::now();
        let path = self.step(ws, args, i, destructive)?;
        if let Some(tm) = &w.times {
            tm.record(i, t0.elapsed(), path);
        }
        if let Some(g) = &w.guard {
            let st = &self.program.steps[i];
            for (k, &o) in st.outputs.iter().enumerate() {
                let t = self.copy_of(ws, args, o);
                if let Err(m) = g.check(k, &t) {
                    let shapes = st
                        .inputs
                        .iter()
                        .map(|&s| {
                            self.slot_view(ws, args, s)
                                .map(|v| v.shape().to_vec())
                                .unwrap_or_default()
                        })
                        .collect();
                    return Err(step_error(i, st, m, shapes));
                }
            }
        }
        Ok(())
    }

    /// Run step `i`; how it ran.
    fn step(
        &self,
        ws: &mut Workspace,
        args: &mut [Arg<'_>],
        i: usize,
        destructive: bool,
    ) -> Result<StepPath, NodeError> {
        let st = &self.program.steps[i];
        match &self.kinds[i] {
            Lowering::Kernel(kernel) => {
                if self.kernel_step(ws, args, i, &**kernel, destructive) {
                    return Ok(StepPath::Kernel);
                }
            }
            Lowering::View(v) => {
                ws.views.clear();
                for &s in &st.inputs {
                    match self.slot_view(ws, args, s) {
                        Some(x) => ws.views.push(x),
                        None => break,
                    }
                }
                if ws.views.len() == st.inputs.len() {
                    // SAFETY: every view describes a live slot's storage (`slot_view`)
                    if let Some(v) = unsafe { v.apply(&ws.views) } {
                        ws.slots[st.outputs[0]] = Slot::View(v);
                        return Ok(StepPath::View);
                    }
                }
            }
            Lowering::Interp => {}
        }
        // the interpreter: computes the value or reports the error in its words
        for &s in &st.inputs {
            self.ensure_tensor(ws, args, s)?;
        }
        let outs = {
            let ins: SmallVec<[&Tensor; 8]> = st
                .inputs
                .iter()
                .map(|&s| self.tensor_of(ws, args, s))
                .collect();
            interp_step(i, st, &ins)?
        };
        for (&o, t) in st.outputs.iter().zip(outs) {
            ws.slots[o] = Slot::Owned(t);
        }
        // a loop or lazy branches running what this backend compiled ran as planned
        Ok(if self.host_code[i].is_some() {
            StepPath::Host
        } else {
            StepPath::Interp
        })
    }

    /// Run kernel step `i` natively; `false` when the kernel refuses its inputs.
    fn kernel_step(
        &self,
        ws: &mut Workspace,
        args: &mut [Arg<'_>],
        i: usize,
        kernel: &dyn NativeKernel,
        destructive: bool,
    ) -> bool {
        let st = &self.program.steps[i];
        ws.views.clear();
        for &s in &st.inputs {
            match self.slot_view(ws, args, s) {
                Some(v) => ws.views.push(v),
                None => return false,
            }
        }
        let n = kernel.n_outputs();
        if n != 1 {
            return self.multi_kernel_step(ws, i, kernel);
        }
        let Ok(shape) = kernel.out_shape(&ws.views) else {
            return false;
        };
        let dt = kernel.out_dtype();
        let o = st.outputs[0];
        // in place over input j's storage, when it is ours to overwrite
        let mut target: Option<*mut u8> = None;
        if let Some(j) = kernel.inplace_input().filter(|_| self.plan.destroy_ok[i]) {
            let s = st.inputs[j];
            let v = ws.views[j];
            if v.dtype == dt && v.shape() == shape.as_slice() && v.is_c_contiguous() {
                match std::mem::take(&mut ws.slots[s]) {
                    Slot::Buf(b) => {
                        if let Some(t) = ws.bufs[b].as_mut() {
                            target = Some(mut_ptr(t));
                        }
                        ws.slots[o] = Slot::Buf(b);
                    }
                    Slot::Owned(mut t) => {
                        target = Some(mut_ptr(&mut t));
                        ws.slots[o] = Slot::Owned(t);
                    }
                    Slot::Arg(a) if destructive && self.plan.is_target[a] => {
                        if let Arg::Update(t) = &mut args[a] {
                            target = Some(mut_ptr(t));
                        }
                        ws.slots[o] = Slot::Arg(a);
                    }
                    other => ws.slots[s] = other,
                }
            }
            if let Some(p) = target {
                ws.views[j].ptr = p;
            }
        }
        let ptr = match target {
            Some(p) => p,
            None => {
                ws.slots[o] = Slot::Buf(o);
                let Some(p) = planned_buffer(&mut ws.bufs[o], dt, shape.as_slice()) else {
                    return false;
                };
                p
            }
        };
        let Some(out) = View::contiguous(ptr, dt, shape.as_slice()) else {
            return false;
        };
        // SAFETY: `out_shape` accepted these views, taken from live tensors of this call
        // (arguments, constants, buffers, owned values, or views whose storage outlives
        // them); `out` is a C-contiguous array of that shape and dtype, either the buffer of
        // slot `o` (which no other live slot uses) or, for the in-place input `j`, exactly
        // that input's storage (`destroy_ok`: nothing reads it after this step; for an
        // update target only in a checked tail, through the call's unique borrow).
        unsafe { kernel.run(&ws.views, &out) };
        true
    }

    /// Run multi-output kernel step `i` on the input views in `ws.views`: every output into
    /// its slot's persistent buffer (reused while dtype and shape repeat; never in place).
    /// `false` when the kernel refuses its inputs.
    fn multi_kernel_step(&self, ws: &mut Workspace, i: usize, kernel: &dyn NativeKernel) -> bool {
        let st = &self.program.steps[i];
        let Some(shapes) = out_shapes_of(kernel, st.outputs.len(), &ws.views) else {
            return false;
        };
        let mut outs: SmallVec<[View; MAX_OUTPUTS]> = SmallVec::new();
        for (k, &o) in st.outputs.iter().enumerate() {
            let dt = kernel.out_dtype_of(k);
            let shape = shapes[k].as_slice();
            ws.slots[o] = Slot::Buf(o);
            let Some(ptr) = planned_buffer(&mut ws.bufs[o], dt, shape) else {
                return false;
            };
            match View::contiguous(ptr, dt, shape) {
                Some(v) => outs.push(v),
                None => return false,
            }
        }
        // SAFETY: `out_shapes` accepted these views, taken from live tensors of this call;
        // each `outs[k]` is the C-contiguous buffer of output slot `k` with the announced
        // shape and dtype, owned by that slot alone (distinct slots have distinct buffers,
        // and no input slot is an output slot of its own step), so the outputs overlap
        // neither each other nor the inputs.
        unsafe { kernel.run_multi(&ws.views, &outs) };
        true
    }
}

/// A call's results in the workspace, for the update protocol ([`commit_with`]): outputs
/// move out of their buffers (or swap with the caller's tensors), update values swap with
/// their shared variables (the old value becomes the next call's buffer: double buffering).
struct Computed<'a> {
    rt: &'a Runtime,
    ws: &'a mut Workspace,
    /// How many results are outputs (all of them when no update is applied).
    n_out: usize,
}

impl Results for Computed<'_> {
    fn check_update(&self, args: &[Arg<'_>], j: usize, ty: &TensorType) -> Result<(), String> {
        let s = self.rt.program.results[self.n_out + j];
        match &self.ws.slots[s] {
            Slot::View(v) => ty.check_value(v.dtype, v.shape()),
            _ => {
                let t = self.rt.tensor_of(self.ws, args, s);
                ty.check_value(t.dtype(), t.shape())
            }
        }
    }

    fn put_output(&mut self, args: &[Arg<'_>], k: usize, out: &mut OutSink<'_>) {
        let (rt, ws) = (self.rt, &mut *self.ws);
        let s = rt.program.results[k];
        let last = rt.plan.last_mention[k];
        let t = match std::mem::take(&mut ws.slots[s]) {
            Slot::Owned(t) if last => t,
            Slot::Buf(b) if last => {
                let mut t = ws.bufs[b].take().expect("computed buffer");
                if let OutSink::Into(d) = out {
                    if d[k].dtype() == t.dtype()
                        && d[k].shape() == t.shape()
                        && standard_layout(&d[k])
                    {
                        // the caller's tensor becomes the next call's buffer
                        std::mem::swap(&mut d[k], &mut t);
                        ws.bufs[b] = Some(t);
                        return;
                    }
                }
                t
            }
            other => {
                ws.slots[s] = other;
                rt.copy_of(ws, args, s)
            }
        };
        out.put(k, t);
    }

    /// A value in another argument, a constant or a view is copied.
    fn detach_update(&mut self, args: &[Arg<'_>], j: usize, a: usize) {
        let s = self.rt.program.results[self.n_out + j];
        let keep = match self.ws.slots[s] {
            Slot::Arg(x) => x == a,
            Slot::Buf(_) | Slot::Owned(_) => true,
            _ => false,
        };
        if !keep {
            let t = self.rt.copy_of(self.ws, args, s);
            self.ws.slots[s] = Slot::Owned(t);
        }
    }

    fn apply_update(&mut self, j: usize, dst: &mut Tensor) {
        let ws = &mut *self.ws;
        let s = self.rt.program.results[self.n_out + j];
        let last = self.rt.plan.last_mention[self.n_out + j];
        match &mut ws.slots[s] {
            Slot::Arg(_) => {} // written in place (or the identity update)
            Slot::Buf(b) => {
                let b = *b;
                if let Some(bt) = ws.bufs[b].as_mut() {
                    if last {
                        std::mem::swap(dst, bt);
                    } else {
                        *dst = bt.clone();
                    }
                }
            }
            Slot::Owned(t) => {
                if last {
                    std::mem::swap(dst, t);
                } else {
                    *dst = t.clone();
                }
            }
            _ => unreachable!("detached before"),
        }
    }
}
