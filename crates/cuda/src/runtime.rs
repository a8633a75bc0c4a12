//! The GPU runtime, over any device that can hold buffers, launch theano-ptx's kernels and
//! run the BLAS calls ([`DeviceOps`]): the CUDA device (`device.rs`, feature `device`) or
//! theano-ptx's emulator (`emulated.rs`), which runs this same code on the host, so the
//! tests exercise it without a GPU.
//!
//! A linked program gets the compile-only path's lowerings and storage plan
//! ([`crate::compile_program`]) plus, for elementwise steps, the contiguous kernel and the
//! strided kernels (64- and 32-bit indices) for every rank up to the output's (a launch
//! collapses dimensions first, theano-ptx's `plan_elemwise`, so the rank, and whether 32-bit
//! indices are exact, are known per call). A call copies the inputs in, runs the steps in the
//! plan's order (PTX launches, BLAS calls, views by exec's view algebra, shapes and index
//! arithmetic on the host, the interpreter on host copies for everything else), copies the
//! outputs back, and commits the updates, all or nothing.
//!
//! Shared variables stay on the device between calls ([`Executable::call_cells`]): a cell's
//! value is uploaded once and kept as the cell's [`Mirror`] ([`Resident`]); an update's new
//! value is left on the device as the cell's mirror, the host copy fetched only when the host
//! needs it (`get_value`, a CPU function). No step writes over an argument's storage (the
//! compiled plan never lets one, [`crate::compile_program`]), so a resident value is never
//! written after the call that made it, and a failed call leaves every cell as it was.

use crate::compile::{CompiledProgram, KernelKind, StepCode};
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use theano_exec::kernel::View;
use theano_exec::view::ViewOp;
use theano_exec::{
    Arg, CellArg, CodeDump, Executable, NodeError, OutSink, Program, RunError, Step, StepPath,
};
use theano_ir::{Mirror, Op};
use theano_ptx::elemwise::{lower_elemwise, lower_elemwise_inplace, vector_width, Layout};
use theano_ptx::launch::{c_strides, plan_elemwise, plan_elemwise_inplace, HostArray};
use theano_ptx::{Kernel, PtxError};
use theano_tensor::{DType, Tensor};

/// A device buffer, as its device keeps it (freed when the last value using it is dropped).
pub type Buf = Arc<dyn Any + Send + Sync>;

/// What a call holds while it runs (the device's lock).
pub trait Held {}
impl<T> Held for T {}

/// A BLAS call in cuBLAS's column-major terms (device addresses; `ta`/`trans` true for op T).
#[derive(Clone, Debug, PartialEq)]
pub enum BlasCall {
    /// `c = alpha op(a) op(b) + beta c`, op(a) m x k, op(b) k x n, c m x n.
    Gemm {
        f64: bool,
        ta: bool,
        tb: bool,
        m: i32,
        n: i32,
        k: i32,
        alpha: f64,
        a: u64,
        lda: i32,
        b: u64,
        ldb: i32,
        beta: f64,
        c: u64,
        ldc: i32,
    },
    /// `y = alpha op(a) x + beta y`, a m x n.
    Gemv {
        f64: bool,
        trans: bool,
        m: i32,
        n: i32,
        alpha: f64,
        a: u64,
        lda: i32,
        x: u64,
        incx: i32,
        beta: f64,
        y: u64,
        incy: i32,
    },
    /// `a += alpha x y^T`, a m x n.
    Ger {
        f64: bool,
        m: i32,
        n: i32,
        alpha: f64,
        x: u64,
        incx: i32,
        y: u64,
        incy: i32,
        a: u64,
        lda: i32,
    },
    /// The dot product (returned).
    Dot {
        f64: bool,
        n: i32,
        x: u64,
        incx: i32,
        y: u64,
        incy: i32,
    },
}

/// A device the runtime runs on.
pub trait DeviceOps: Send + Sync {
    /// Which memory its buffers live in (equal for every program linked onto one device):
    /// a runtime uses a shared variable's device copy only when it is in its own memory.
    fn memory(&self) -> u64;
    /// Exclusive use for one call (one stream, one BLAS handle).
    fn begin(&self) -> Result<Box<dyn Held + '_>, String>;
    /// A buffer of `bytes` (at least 1) and its address; its contents are undefined (every
    /// kernel output is written whole before it is read). Freed buffers are reused.
    fn alloc(&self, bytes: usize) -> Result<(Buf, u64), String>;
    /// As [`DeviceOps::alloc`], all bytes zero.
    fn alloc_zeros(&self, bytes: usize) -> Result<(Buf, u64), String>;
    /// A buffer holding `bytes` and its address.
    fn upload(&self, bytes: &[u8]) -> Result<(Buf, u64), String>;
    /// A buffer's bytes (after the work queued before).
    fn download(&self, buf: &Buf) -> Result<Vec<u8>, String>;
    /// Copy `bytes` from address `src` to `dst`.
    fn copy(&self, src: u64, dst: u64, bytes: usize) -> Result<(), String>;
    /// Launch kernel `name` of the program's module.
    fn launch(&self, name: &str, grid: usize, block: u32, params: &[u64]) -> Result<(), String>;
    /// A BLAS call; the value of a dot product, 0 otherwise.
    fn blas(&self, call: &BlasCall) -> Result<f64, String>;
    /// Wait for the work queued so far.
    fn sync(&self) -> Result<(), String>;
}

/// A value on the device: a strided array (elements) in a shared buffer.
#[derive(Clone)]
pub(crate) struct Dev {
    buf: Buf,
    base: u64,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
    /// The same value on the host, kept when it came from there (a constant, a small input,
    /// a shape, an interpreted step's output) and nothing wrote the buffer since: reading it
    /// on the host (a BLAS step's alpha, labels, `Alloc`'s shape, an interpreted step's
    /// input, an output, `get_value`) then costs no transfer and no synchronization. Dropped
    /// by a kernel writing in place; a view's is the step's value on the host copy.
    host: Option<Arc<Tensor>>,
}

/// Inputs of at most this many bytes keep a host copy ([`Dev::host`]) (a copy per call).
const SHADOW_BYTES: usize = 1 << 16;
/// Shared values of at most this many bytes keep a host copy when uploaded (once: then
/// they stay on the device), so e.g. a data set's labels are sliced on the host too.
const SHARED_SHADOW_BYTES: usize = 1 << 22;

impl Dev {
    fn ptr(&self) -> u64 {
        self.base + (self.offset * self.dtype.itemsize()) as u64
    }
    fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// The launch planner's description (no data).
    fn desc(&self) -> HostArray {
        HostArray {
            dtype: self.dtype,
            shape: self.shape.clone(),
            strides: self.strides.clone(),
            offset: self.offset,
            data: Vec::new(),
        }
    }
    fn is_c_contiguous(&self) -> bool {
        self.desc().is_c_contiguous()
    }
    /// The first and last element it addresses, relative to `base` (`None` when empty).
    fn extent(&self) -> Option<(isize, isize)> {
        if self.len() == 0 {
            return None;
        }
        let (mut lo, mut hi) = (self.offset as isize, self.offset as isize);
        for (&n, &s) in self.shape.iter().zip(&self.strides) {
            let e = (n as isize - 1) * s;
            if e < 0 {
                lo += e;
            } else {
                hi += e;
            }
        }
        Some((lo, hi))
    }
}

/// A shared variable's value kept on the device between calls: the cell's [`Mirror`].
/// Its buffer is never written again (no step writes over an argument).
pub(crate) struct Resident {
    dev: Arc<dyn DeviceOps>,
    value: Dev,
}

impl Mirror for Resident {
    fn memory(&self) -> u64 {
        self.dev.memory()
    }
    fn fetch(&self) -> Result<Tensor, String> {
        let _g = self.dev.begin()?;
        download(&*self.dev, &self.value)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A C-contiguous array of `dtype` and `shape` whose elements the caller writes, every one.
fn alloc(dev: &dyn DeviceOps, dtype: DType, shape: &[usize]) -> Result<Dev, String> {
    new_array(dev, dtype, shape, false)
}

fn new_array(
    dev: &dyn DeviceOps,
    dtype: DType,
    shape: &[usize],
    zero: bool,
) -> Result<Dev, String> {
    let n: usize = shape.iter().product();
    let bytes = (n * dtype.itemsize()).max(1);
    let (buf, base) = if zero {
        dev.alloc_zeros(bytes)?
    } else {
        dev.alloc(bytes)?
    };
    Ok(Dev {
        buf,
        base,
        dtype,
        shape: shape.to_vec(),
        strides: c_strides(shape),
        offset: 0,
        host: None,
    })
}

/// A tensor's elements in C order as little-endian bytes (bool as 0/1): its memory copied
/// when it is C-contiguous on a little-endian host, element by element otherwise.
fn c_bytes(t: &Tensor) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        let bytes = theano_tensor::with_array!(t, a => a.as_slice().map(|s| {
            // SAFETY: the elements are plain numbers (or bools, one byte each) without
            // padding, so their memory reads as initialized bytes.
            unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<u8>(), std::mem::size_of_val(s)) }
                .to_vec()
        }));
        if let Some(b) = bytes {
            return b;
        }
    }
    HostArray::from_tensor(t).data
}

/// A C-contiguous tensor of `dtype` and `shape` from the first bytes of `data` (not bool:
/// a byte other than 0/1 is no bool), or `None`.
fn from_c_bytes(data: &[u8], dtype: DType, shape: &[usize]) -> Option<Tensor> {
    if !cfg!(target_endian = "little") || dtype == DType::Bool {
        return None;
    }
    let n: usize = shape.iter().product();
    if data.len() < n * dtype.itemsize() {
        return None;
    }
    theano_tensor::with_dtype!(dtype, T => {
        let mut v: Vec<T> = Vec::with_capacity(n);
        // SAFETY: `data` holds at least n elements' bytes; every bit pattern is a valid
        // number of these dtypes (bool is excluded above); the length is set after the copy.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), v.as_mut_ptr().cast::<u8>(), n * std::mem::size_of::<T>());
            v.set_len(n);
        }
        theano_tensor::ndarray::ArrayD::from_shape_vec(theano_tensor::ndarray::IxDyn(shape), v)
            .ok()
            .map(Tensor::from_array)
    })
}

/// `t` on the device; a small one keeps a host copy.
fn upload(dev: &dyn DeviceOps, t: &Tensor) -> Result<Dev, String> {
    upload_small(dev, t, SHADOW_BYTES)
}

/// `t` on the device, keeping a host copy when it has at most `limit` bytes.
fn upload_small(dev: &dyn DeviceOps, t: &Tensor, limit: usize) -> Result<Dev, String> {
    let small = t.len() * t.dtype().itemsize() <= limit;
    upload_kept(dev, t, small.then(|| Arc::new(t.clone())))
}

/// `t` on the device, keeping `t` itself as its host copy.
fn upload_owned(dev: &dyn DeviceOps, t: Arc<Tensor>) -> Result<Dev, String> {
    upload_kept(dev, &t, Some(t.clone()))
}

fn upload_kept(dev: &dyn DeviceOps, t: &Tensor, host: Option<Arc<Tensor>>) -> Result<Dev, String> {
    let data = c_bytes(t);
    let data = if data.is_empty() { vec![0] } else { data };
    let (buf, base) = dev.upload(&data)?;
    Ok(Dev {
        buf,
        base,
        dtype: t.dtype(),
        shape: t.shape().to_vec(),
        strides: c_strides(t.shape()),
        offset: 0,
        host,
    })
}

/// `d`'s value on the host: its host copy, else copied back.
fn download(dev: &dyn DeviceOps, d: &Dev) -> Result<Tensor, String> {
    if let Some(h) = &d.host {
        return Ok(Tensor::clone(h));
    }
    let data = dev.download(&d.buf)?;
    if d.offset == 0 && d.strides == c_strides(&d.shape) {
        if let Some(t) = from_c_bytes(&data, d.dtype, &d.shape) {
            return Ok(t);
        }
    }
    let h = HostArray {
        dtype: d.dtype,
        shape: d.shape.clone(),
        strides: d.strides.clone(),
        offset: d.offset,
        data,
    };
    // a view's extent must lie in its buffer (the runtime only makes such views)
    if let Some((lo, hi)) = d.extent() {
        let sz = d.dtype.itemsize() as isize;
        if lo < 0 || (hi + 1) * sz > h.data.len() as isize {
            return Err(format!(
                "a device view ({:?}, strides {:?}, offset {}) outside its buffer of {} bytes",
                d.shape,
                d.strides,
                d.offset,
                h.data.len()
            ));
        }
    }
    Ok(h.to_tensor())
}

/// The elementwise kernels of one step, by layout.
pub(crate) struct EwSet {
    vector: String,
    contiguous: String,
    /// by collapsed rank - 1
    strided: Vec<String>,
    /// the 32-bit-index strided kernels (`Layout::Strided32`), by collapsed rank - 1
    strided32: Vec<String>,
    width: usize,
    in_place: Option<usize>,
}

/// Every kernel a runtime needs: the compile-only path's, plus the elementwise variants
/// (contiguous, strided with 64- and 32-bit indices at every rank up to the output's),
/// named `e<n>`.
pub(crate) fn device_kernels(
    program: &Program,
    compiled: &CompiledProgram,
) -> Result<(Vec<Kernel>, Vec<Option<EwSet>>), PtxError> {
    let mut kernels: Vec<Kernel> = compiled.kernels.clone();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut ew: Vec<Option<EwSet>> = Vec::with_capacity(program.steps.len());
    for (step, (_, code)) in program.steps.iter().zip(&compiled.steps) {
        let (
            StepCode::Kernels {
                what: KernelKind::Elemwise,
                in_place,
                ..
            },
            Op::Elemwise { scalar, .. },
        ) = (code, &step.op)
        else {
            ew.push(None);
            continue;
        };
        let in_dts: Vec<DType> = step.input_types.iter().map(|t| t.dtype).collect();
        let out = step.out_types[0].dtype;
        let nd = step.out_types[0].ndim().max(1);
        let mut make = |layout: Layout, rank: usize| -> Result<String, PtxError> {
            let key = format!("{scalar}|{in_dts:?}|{out}|{layout:?}|{rank}|{in_place:?}");
            if let Some(n) = seen.get(&key) {
                return Ok(n.clone());
            }
            let name = format!("e{}", kernels.len());
            let o = Default::default();
            let k = match in_place {
                Some(ip) => {
                    lower_elemwise_inplace(&name, scalar, &in_dts, out, rank, layout, o, *ip)
                }
                None => lower_elemwise(&name, scalar, &in_dts, out, rank, layout, o),
            }?;
            kernels.push(k.kernel);
            seen.insert(key, name.clone());
            Ok(name)
        };
        let mut all = in_dts.clone();
        all.push(out);
        ew.push(Some(EwSet {
            vector: make(Layout::Vector, 1)?,
            contiguous: make(Layout::Contiguous, 1)?,
            strided: (1..=nd)
                .map(|r| make(Layout::Strided, r))
                .collect::<Result<_, _>>()?,
            strided32: (1..=nd)
                .map(|r| make(Layout::Strided32, r))
                .collect::<Result<_, _>>()?,
            width: vector_width(&all),
            in_place: *in_place,
        }));
    }
    Ok((kernels, ew))
}

/// `mode=NanGuardMode`'s screening kernels: by (float dtype, rank), the names of a max and a
/// min reduction over every axis.
pub(crate) type Guards = HashMap<(DType, usize), (String, String)>;

/// Outputs of at most this many elements are checked on a host copy (cheaper than two
/// reductions and two copies).
const GUARD_ON_HOST: usize = 256;

/// `mode=NanGuardMode`'s screening kernels for every float output of `program` with more
/// dimensions than zero (none without a guard), named `g<max|min>_<dtype>_<rank>`.
pub(crate) fn guard_kernels(program: &Program) -> (Vec<Kernel>, Guards) {
    use theano_ptx::reduce::{lower_reduce, ReduceKind, ReduceScheme};
    let mut kernels = Vec::new();
    let mut guards = Guards::new();
    if program.watch.guard.is_none() {
        return (kernels, guards);
    }
    for t in program.steps.iter().flat_map(|s| &s.out_types) {
        let key = (t.dtype, t.ndim());
        if !t.dtype.is_float() || t.ndim() == 0 || guards.contains_key(&key) {
            continue;
        }
        let name = |k: &str| format!("g{k}_{}_{}", t.dtype, t.ndim());
        let (mx, mn) = (name("max"), name("min"));
        let lower = |n: &str, kind| lower_reduce(n, kind, t.dtype, 0, t.ndim(), ReduceScheme::Row);
        // a rank the reductions cannot take is checked on a host copy
        if let (Ok(a), Ok(b)) = (lower(&mx, ReduceKind::Max), lower(&mn, ReduceKind::Min)) {
            kernels.extend([a.kernel, b.kernel]);
            guards.insert(key, (mx, mn));
        }
    }
    (kernels, guards)
}

/// What a device runtime links for a program: the compile-only path's lowerings and plan,
/// every kernel it may launch (the compile-only kernels, the elementwise variants, the
/// NanGuardMode screens) and their module's text (what `dump=ptx` prints).
pub struct Linked {
    pub(crate) compiled: CompiledProgram,
    pub(crate) kernels: Vec<Kernel>,
    pub(crate) ew: Vec<Option<EwSet>>,
    pub(crate) guards: Guards,
    /// The module: the compile-only summary (one comment line per step), then the PTX.
    pub text: String,
}

/// Link `program` for a device runtime (no device needed: the CUDA linker and the emulated
/// one load exactly this, and `dump=ptx` on a CPU linker prints its text).
pub fn link_program(program: &Program) -> Result<Linked, PtxError> {
    let compiled = crate::compile_program(program, &crate::CompileOptions::default());
    let (mut kernels, ew) = device_kernels(program, &compiled)?;
    let (guard, guards) = guard_kernels(program);
    kernels.extend(guard);
    let refs: Vec<&Kernel> = kernels.iter().collect();
    // the summary counts the steps' kernels; the module also holds the launch variants
    let text = format!(
        "{}// the module: {} kernels (the steps' kernels, each elementwise step's layout and \
         index-width variants, NanGuardMode's screens)\n{}",
        compiled.summary(),
        kernels.len(),
        theano_ptx::module(&refs, &theano_ptx::Target::default())
    );
    Ok(Linked {
        compiled,
        kernels,
        ew,
        guards,
        text,
    })
}

/// A linked program on a device.
pub struct Runtime {
    dev: Arc<dyn DeviceOps>,
    program: Program,
    compiled: CompiledProgram,
    ew: Vec<Option<EwSet>>,
    constants: Vec<(usize, Dev)>,
    /// `mode=NanGuardMode`'s screening kernels by (dtype, rank): max and min over every axis.
    guards: Guards,
    /// The module's text (what `dump=ptx` prints).
    ptx: String,
}

impl Runtime {
    /// A runtime for `program` on `dev`, whose module holds `device_kernels`' kernels; the
    /// constants are uploaded once, here.
    pub(crate) fn new(
        dev: Arc<dyn DeviceOps>,
        program: Program,
        linked: Linked,
    ) -> Result<Runtime, String> {
        let Linked {
            compiled,
            ew,
            guards,
            text: ptx,
            ..
        } = linked;
        let mut constants = Vec::new();
        {
            let _g = dev.begin()?;
            for (s, t) in &program.constants {
                constants.push((*s, upload_owned(&*dev, t.clone())?));
            }
            dev.sync()?;
        }
        Ok(Runtime {
            dev,
            program,
            compiled,
            ew,
            constants,
            guards,
            ptx,
        })
    }
}

const BLOCK: u32 = 256;

fn blocks(n: usize, per: usize) -> usize {
    n.div_ceil(per.max(1)).clamp(1, 65535)
}

impl Runtime {
    fn err(&self, i: usize, slots: &[Option<Dev>], message: String) -> NodeError {
        let step = &self.program.steps[i];
        NodeError {
            message,
            node: step.node.clone(),
            toposort_index: i,
            input_types: step.input_types.clone(),
            input_shapes: step
                .inputs
                .iter()
                .map(|&s| {
                    slots[s]
                        .as_ref()
                        .map(|d| d.shape.clone())
                        .unwrap_or_default()
                })
                .collect(),
            location: step.location,
        }
    }

    fn run_all(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        let p = &self.program;
        let dev = &self.dev;
        let _g = dev.begin().map_err(|m| whole("(device)", m))?;
        let mut slots: Vec<Option<Dev>> = vec![None; p.n_slots];
        for (k, &s) in p.args.iter().enumerate() {
            let t = args.get(k).ok_or_else(|| {
                whole(
                    "(transfer)",
                    format!("{} arguments for {}", args.len(), p.args.len()),
                )
            })?;
            slots[s] = Some(upload(&**dev, t).map_err(|m| whole("(transfer)", m))?);
        }
        self.run_steps(&mut slots)?;
        let mut out = Vec::with_capacity(p.results.len());
        for &r in &p.results {
            out.push(
                download(&**dev, self.result(&slots, r)?).map_err(|m| whole("(transfer)", m))?,
            );
        }
        dev.sync().map_err(|m| whole("(transfer)", m))?;
        Ok(out)
    }

    /// A computed result slot's value.
    fn result<'a>(&self, slots: &'a [Option<Dev>], r: usize) -> Result<&'a Dev, NodeError> {
        slots[r]
            .as_ref()
            .ok_or_else(|| whole("(transfer)", format!("result slot {r} was not computed")))
    }

    /// A call with the shared variables resident on the device (see the module
    /// documentation): the arguments bound (inputs uploaded; each cell's device copy, or its
    /// host value uploaded), the steps run, every update value checked against its variable's
    /// type, the outputs copied back, and only then the cells changed: the new values left
    /// on the device as the updated cells' mirrors, the uploaded values kept as mirrors of
    /// the others.
    fn call_resident(
        &self,
        inputs: &[&Tensor],
        cells: &mut [CellArg<'_>],
        mut out: OutSink<'_>,
    ) -> Result<(), RunError> {
        let p = &self.program;
        let dev = &self.dev;
        let node = |m: String| RunError::Node(whole("(transfer)", m));
        let n_in = inputs.len();
        if n_in + cells.len() != p.args.len() {
            return Err(node(format!(
                "{} arguments for {}",
                n_in + cells.len(),
                p.args.len()
            )));
        }
        // each cell's device copy when it is in this device's memory; the others' values
        // come to the host (fetched from another device when that one holds the newer value)
        // before this device is taken (two calls fetching from each other's device would
        // otherwise wait for each other)
        let mut resident: Vec<Option<Dev>> = Vec::with_capacity(cells.len());
        for (k, c) in cells.iter_mut().enumerate() {
            let r = (c.value.mirror())
                .filter(|m| m.memory() == dev.memory())
                .and_then(|m| m.as_any().downcast_ref::<Resident>())
                .map(|r| r.value.clone());
            if r.is_none() {
                (c.value.host()).map_err(|message| RunError::Transfer { cell: k, message })?;
            }
            resident.push(r);
        }
        let _g = dev.begin().map_err(node)?;
        let mut slots: Vec<Option<Dev>> = vec![None; p.n_slots];
        for (t, &s) in inputs.iter().zip(&p.args) {
            slots[s] = Some(upload(&**dev, t).map_err(node)?);
        }
        let mut uploaded: Vec<(usize, Dev)> = Vec::new();
        for (k, (c, r)) in cells.iter_mut().zip(resident).enumerate() {
            let d = match r {
                Some(d) => d,
                None => {
                    let t = c
                        .value
                        .host()
                        .map_err(|message| RunError::Transfer { cell: k, message })?;
                    let d = upload_small(&**dev, t, SHARED_SHADOW_BYTES).map_err(node)?;
                    uploaded.push((k, d.clone()));
                    d
                }
            };
            slots[p.args[n_in + k]] = Some(d);
        }
        self.run_steps(&mut slots).map_err(RunError::Node)?;
        let results: Vec<Dev> = (p.results.iter())
            .map(|&r| self.result(&slots, r).cloned())
            .collect::<Result<_, _>>()
            .map_err(RunError::Node)?;
        drop(slots);
        let (outs, news) = results.split_at(p.n_outputs);
        for (j, (&a, d)) in p.updates.iter().zip(news).enumerate() {
            p.arg_types[a]
                .check_value(d.dtype, &d.shape)
                .map_err(|message| RunError::Update { update: j, message })?;
        }
        let outs: Vec<Tensor> = (outs.iter())
            .map(|d| download(&**dev, d))
            .collect::<Result<_, _>>()
            .map_err(node)?;
        // every queued kernel finished without an error before anything is committed
        dev.sync().map_err(node)?;
        for (k, t) in outs.into_iter().enumerate() {
            out.put(k, t);
        }
        let mirror = |value: &Dev| -> Arc<dyn Mirror> {
            Arc::new(Resident {
                dev: dev.clone(),
                value: value.clone(),
            })
        };
        for (k, d) in &uploaded {
            cells[*k].value.keep_mirror(mirror(d));
        }
        for (&a, d) in p.updates.iter().zip(news) {
            cells[a - n_in].value.set_mirrored(mirror(d));
        }
        Ok(())
    }

    /// Run the steps in the plan's order over `slots` (arguments bound; the constants are
    /// bound here).
    fn run_steps(&self, slots: &mut [Option<Dev>]) -> Result<(), NodeError> {
        let p = &self.program;
        let dev = &self.dev;
        for (s, d) in &self.constants {
            slots[*s] = Some(d.clone());
        }
        let plan = &self.compiled.plan;
        for (pos, &i) in plan.order.iter().enumerate() {
            let t0 = Instant::now();
            let path = self.run_step(i, slots)?;
            if let Some(times) = &p.watch.times {
                dev.sync().map_err(|e| self.err(i, slots, e))?;
                times.record(i, t0.elapsed(), path);
            }
            if let Some(g) = &p.watch.guard {
                self.guard_step(g, i, slots)?;
            }
            for &s in &plan.frees[pos] {
                slots[s] = None;
            }
        }
        Ok(())
    }

    fn ins<'a>(&self, step: &Step, slots: &'a [Option<Dev>]) -> Result<Vec<&'a Dev>, String> {
        step.inputs
            .iter()
            .map(|&s| {
                slots[s]
                    .as_ref()
                    .ok_or_else(|| format!("input slot {s} is empty"))
            })
            .collect()
    }

    fn run_step(&self, i: usize, slots: &mut [Option<Dev>]) -> Result<StepPath, NodeError> {
        let step = &self.program.steps[i];
        let r = match &self.compiled.steps[i].1 {
            StepCode::View => self.view(i, step, slots),
            StepCode::Shape => self.shape(step, slots).map(|_| true),
            StepCode::Alloc => self.alloc_zeros(step, slots),
            StepCode::Blas { .. } => self.blas(i, step, slots),
            // index arithmetic on host values stays on the host (the interpreter)
            StepCode::Kernels {
                what: KernelKind::Elemwise,
                ..
            } if self.index_math(step, slots) => Ok(false),
            StepCode::Kernels { what, kernels, .. } => self.kernel(i, step, *what, kernels, slots),
            StepCode::Interp { .. } => Ok(false),
        };
        let path = match r {
            Ok(true) => match self.compiled.steps[i].1 {
                StepCode::View => StepPath::View,
                _ => StepPath::Kernel,
            },
            Ok(false) => {
                self.interp(i, step, slots)?;
                StepPath::Interp
            }
            Err(m) => return Err(self.err(i, slots, m)),
        };
        Ok(path)
    }

    /// Whether elementwise step `step` is index arithmetic on values the host has: an
    /// integer scalar computed from scalars with host copies (a slice bound from the
    /// minibatch index, a length from shapes). As on Theano's GPU backend such scalars are
    /// computed on the host: the result keeps its host copy, so the view or allocation that
    /// reads it needs no copy back and no synchronization, where a kernel's result would.
    fn index_math(&self, step: &Step, slots: &[Option<Dev>]) -> bool {
        let out = &step.out_types;
        out.len() == 1
            && out[0].ndim() == 0
            && out[0].dtype.is_int()
            && step.inputs.iter().all(|&s| {
                slots[s]
                    .as_ref()
                    .is_some_and(|d| d.shape.is_empty() && d.host.is_some())
            })
    }

    /// The interpreter on host copies of the inputs; the outputs uploaded.
    fn interp(&self, i: usize, step: &Step, slots: &mut [Option<Dev>]) -> Result<(), NodeError> {
        let ins = self.ins(step, slots).map_err(|m| self.err(i, slots, m))?;
        let host: Vec<Tensor> = ins
            .iter()
            .map(|d| download(&*self.dev, d))
            .collect::<Result<_, _>>()
            .map_err(|m| self.err(i, slots, m))?;
        let refs: Vec<&Tensor> = host.iter().collect();
        let outs = theano_exec::interp::interp_step(i, step, &refs)?;
        for (&s, t) in step.outputs.iter().zip(outs) {
            let d = upload_owned(&*self.dev, Arc::new(t)).map_err(|m| self.err(i, slots, m))?;
            slots[s] = Some(d);
        }
        Ok(())
    }

    /// A view op, by exec's view algebra ([`ViewOp::apply`]): the output describes input 0's
    /// buffer (DimShuffle, Subtensor with any bounds, Reshape, Flatten, SpecifyShape). The
    /// bounds and shape vectors are read on the host (their host copies, else copied back);
    /// input 0's device address is only offset, never read. When input 0 has a host copy,
    /// the output gets the interpreter's value of the step as its own. `Ok(false)` where
    /// exec says it is no view (the interpreter then computes the step or reports its
    /// error).
    fn view(&self, i: usize, step: &Step, slots: &mut [Option<Dev>]) -> Result<bool, String> {
        let Some(vop) = ViewOp::of(&step.op) else {
            return Ok(false);
        };
        let ins = self.ins(step, slots)?;
        let x = ins[0].clone();
        let host: Vec<Tensor> = (ins[1..].iter())
            .map(|d| download(&*self.dev, d))
            .collect::<Result<_, _>>()?;
        let base = x.ptr() as usize as *mut u8;
        let Some(xv) = View::raw(base, x.dtype, &x.shape, &x.strides) else {
            return Ok(false);
        };
        let mut views = vec![xv];
        for t in &host {
            let Some(v) = View::of(t) else {
                return Ok(false);
            };
            views.push(v);
        }
        // SAFETY: views 1.. describe the live host tensors `host`; view 0's address is a
        // device address, which `apply` only offsets (it reads elements of inputs 1.. only).
        let Some(v) = (unsafe { vop.apply(&views) }) else {
            return Ok(false);
        };
        let size = x.dtype.itemsize() as i128;
        let delta = (v.ptr as usize as i128) - (base as usize as i128);
        let offset = if v.is_empty() {
            x.offset as i128
        } else {
            x.offset as i128 + delta / size
        };
        if v.dtype != x.dtype || delta % size != 0 || offset < 0 {
            return Ok(false);
        }
        let host = x.host.as_ref().and_then(|h| {
            let refs: Vec<&Tensor> = std::iter::once(&**h).chain(&host).collect();
            let out = theano_exec::interp::interp_step(i, step, &refs).ok()?;
            out.into_iter().next().map(Arc::new)
        });
        slots[step.outputs[0]] = Some(Dev {
            shape: v.shape().to_vec(),
            strides: v.strides().to_vec(),
            offset: offset as usize,
            host,
            ..x
        });
        Ok(true)
    }

    /// `Alloc(0, *shape)` and `AllocEmpty(*shape)`: a zeroed buffer (the value and the
    /// shape read on the host, from their host copies when they have one); `Ok(false)` for
    /// any other value or a shape the interpreter refuses.
    fn alloc_zeros(&self, step: &Step, slots: &mut [Option<Dev>]) -> Result<bool, String> {
        let ins = self.ins(step, slots)?;
        let out = &step.out_types[0];
        let dims = match step.op {
            Op::AllocEmpty { .. } => &ins[..],
            _ => {
                let Some((v, dims)) = ins.split_first() else {
                    return Ok(false);
                };
                if !v.shape.is_empty() || v.dtype != out.dtype {
                    return Ok(false);
                }
                // zero bits: 0 (and not -0.0, whose bits are not)
                let val = download(&*self.dev, v)?;
                let zero = match val.to_f64_vec().first() {
                    Some(&x) => x == 0.0 && x.is_sign_positive(),
                    None => false,
                };
                if !zero {
                    return Ok(false);
                }
                dims
            }
        };
        if dims.len() != out.ndim() {
            return Ok(false);
        }
        let mut shape = Vec::with_capacity(dims.len());
        for d in dims {
            if !d.shape.is_empty() || !d.dtype.is_int() {
                return Ok(false);
            }
            match download(&*self.dev, d)?.to_i64_vec().first() {
                Some(&n) if n >= 0 => shape.push(n as usize),
                _ => return Ok(false),
            }
        }
        // a length 1 where the type says broadcastable, as the interpreter checks
        if (0..out.ndim()).any(|k| out.is_broadcastable(k) && shape[k] != 1) {
            return Ok(false);
        }
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if n.and_then(|n| n.checked_mul(out.dtype.itemsize()))
            .is_none()
        {
            return Ok(false);
        }
        slots[step.outputs[0]] = Some(new_array(&*self.dev, out.dtype, &shape, true)?);
        Ok(true)
    }

    fn shape(&self, step: &Step, slots: &mut [Option<Dev>]) -> Result<(), String> {
        let x = self.ins(step, slots)?[0];
        let t = match step.op {
            Op::ShapeI(k) => Tensor::from(*x.shape.get(k).ok_or("Shape_i past the rank")? as i64),
            _ => Tensor::from(x.shape.iter().map(|&d| d as i64).collect::<Vec<i64>>()),
        };
        slots[step.outputs[0]] = Some(upload_owned(&*self.dev, Arc::new(t))?);
        Ok(())
    }

    fn kernel(
        &self,
        i: usize,
        step: &Step,
        what: KernelKind,
        kernels: &[usize],
        slots: &mut [Option<Dev>],
    ) -> Result<bool, String> {
        let dev = &self.dev;
        let ins: Vec<Dev> = self.ins(step, slots)?.into_iter().cloned().collect();
        match what {
            KernelKind::Elemwise => {
                let Some(set) = &self.ew[i] else {
                    return Ok(false);
                };
                let descs: Vec<HostArray> = ins.iter().map(Dev::desc).collect();
                let refs: Vec<&HostArray> = descs.iter().collect();
                let plan = match set.in_place {
                    Some(ip) => plan_elemwise_inplace(&refs, set.width, ip),
                    None => plan_elemwise(&refs, set.width),
                };
                let Ok(plan) = plan else {
                    return Ok(false); // the interpreter reports the shape error
                };
                let mut shape: Vec<usize> = Vec::new();
                for d in &ins {
                    shape = theano_tensor::broadcast_shapes(&shape, &d.shape).unwrap_or_default();
                }
                let out = match set.in_place {
                    Some(ip) => Dev {
                        host: None,
                        ..ins[ip].clone()
                    },
                    None => alloc(&**dev, step.out_types[0].dtype, &shape)?,
                };
                let n: usize = shape.iter().product();
                if n > 0 {
                    let mut params = vec![out.ptr()];
                    params.extend(ins.iter().map(Dev::ptr));
                    params.push(n as u64);
                    let (name, per) = match plan.layout {
                        Layout::Vector => (&set.vector, set.width),
                        Layout::Contiguous => (&set.contiguous, 1),
                        // the planner picks Strided32 only where 32-bit indices are exact
                        Layout::Strided | Layout::Strided32 => {
                            let r = plan.shape.len();
                            let by_rank = if plan.layout == Layout::Strided32 {
                                &set.strided32
                            } else {
                                &set.strided
                            };
                            let Some(name) = by_rank.get(r.wrapping_sub(1)) else {
                                return Ok(false);
                            };
                            params.extend(plan.shape.iter().map(|&d| d as u64));
                            for s in &plan.strides {
                                params.extend(s.iter().map(|&x| x as i64 as u64));
                            }
                            (name, 1)
                        }
                    };
                    dev.launch(name, blocks(n, BLOCK as usize * per * 4), BLOCK, &params)?;
                }
                slots[step.outputs[0]] = Some(out);
                Ok(true)
            }
            KernelKind::Reduce { kind, scheme } => {
                let x = &ins[0];
                let nd = x.shape.len();
                let mut axes: Vec<usize> = match &step.op {
                    Op::Reduce { axes: Some(a), .. } | Op::MaxAndArgmax { axes: a } => a.clone(),
                    _ => (0..nd).collect(),
                };
                axes.sort_unstable();
                axes.dedup();
                let m: usize = axes.iter().map(|&d| x.shape[d]).product();
                if m == 0 && kind.needs_elements() {
                    return Ok(false); // the interpreter's answer (numpy's error)
                }
                let k = &self.compiled.kernels[kernels[0]].name;
                let types: Vec<DType> = step.out_types.iter().map(|t| t.dtype).collect();
                let outs = self.reduce(k, scheme, x, &axes, &types)?;
                for (&s, d) in step.outputs.iter().zip(outs) {
                    slots[s] = Some(d);
                }
                Ok(true)
            }
            KernelKind::Softmax { .. } => {
                let x = &ins[0];
                let (rows, cols, rs, cs) = match x.shape.len() {
                    1 => (1, x.shape[0], 0, x.strides[0]),
                    2 => (x.shape[0], x.shape[1], x.strides[0], x.strides[1]),
                    _ => return Ok(false),
                };
                let out = alloc(&**dev, step.out_types[0].dtype, &x.shape)?;
                if rows * cols > 0 {
                    let params = [
                        out.ptr(),
                        x.ptr(),
                        rows as u64,
                        cols as u64,
                        rs as i64 as u64,
                        cs as i64 as u64,
                    ];
                    let k = &self.compiled.kernels[kernels[0]].name;
                    dev.launch(k, rows.min(65535), BLOCK, &params)?;
                }
                slots[step.outputs[0]] = Some(out);
                Ok(true)
            }
            KernelKind::Crossentropy => {
                let (x, b, y) = (&ins[0], &ins[1], &ins[2]);
                if x.shape.len() != 2 || b.shape.len() != 1 || y.shape.len() != 1 {
                    return Ok(false);
                }
                let (rows, cols) = (x.shape[0], x.shape[1]);
                if (b.shape[0] != cols && b.shape[0] != 1) || !self.labels_ok(y, rows, cols)? {
                    return Ok(false); // the interpreter's error
                }
                let nll = alloc(&**dev, step.out_types[0].dtype, &[rows])?;
                let sm = alloc(&**dev, step.out_types[1].dtype, &[rows, cols])?;
                let am = alloc(&**dev, step.out_types[2].dtype, &[rows])?;
                let bs = if b.shape[0] == 1 { 0 } else { b.strides[0] };
                let params = [
                    nll.ptr(),
                    sm.ptr(),
                    am.ptr(),
                    x.ptr(),
                    b.ptr(),
                    y.ptr(),
                    rows as u64,
                    cols as u64,
                    x.strides[0] as i64 as u64,
                    x.strides[1] as i64 as u64,
                    bs as i64 as u64,
                    y.strides[0] as i64 as u64,
                ];
                if rows > 0 {
                    let k = &self.compiled.kernels[kernels[0]].name;
                    dev.launch(k, rows.min(65535), BLOCK, &params)?;
                }
                for (&s, d) in step.outputs.iter().zip([nll, sm, am]) {
                    slots[s] = Some(d);
                }
                Ok(true)
            }
            KernelKind::CrossentropyDx => {
                let (dnll, sm, y) = (&ins[0], &ins[1], &ins[2]);
                if sm.shape.len() != 2 || dnll.shape.len() != 1 || y.shape.len() != 1 {
                    return Ok(false);
                }
                let (rows, cols) = (sm.shape[0], sm.shape[1]);
                if (dnll.shape[0] != rows && dnll.shape[0] != 1)
                    || !self.labels_ok(y, rows, cols)?
                {
                    return Ok(false);
                }
                let dx = alloc(&**dev, step.out_types[0].dtype, &[rows, cols])?;
                let ds = if dnll.shape[0] == 1 {
                    0
                } else {
                    dnll.strides[0]
                };
                let params = [
                    dx.ptr(),
                    dnll.ptr(),
                    sm.ptr(),
                    y.ptr(),
                    rows as u64,
                    cols as u64,
                    ds as i64 as u64,
                    sm.strides[0] as i64 as u64,
                    sm.strides[1] as i64 as u64,
                    y.strides[0] as i64 as u64,
                ];
                if rows * cols > 0 {
                    let k = &self.compiled.kernels[kernels[0]].name;
                    dev.launch(k, blocks(rows * cols, BLOCK as usize), BLOCK, &params)?;
                }
                slots[step.outputs[0]] = Some(dx);
                Ok(true)
            }
        }
    }

    /// Launch reduction kernel `k` of `scheme` over `axes` (sorted, distinct) of `x`: the
    /// outputs of dtypes `types` (the value; argmax's index second) over the kept
    /// dimensions.
    fn reduce(
        &self,
        k: &str,
        scheme: theano_ptx::reduce::ReduceScheme,
        x: &Dev,
        axes: &[usize],
        types: &[DType],
    ) -> Result<Vec<Dev>, String> {
        let dev = &*self.dev;
        let kept: Vec<usize> = (0..x.shape.len()).filter(|d| !axes.contains(d)).collect();
        let out_shape: Vec<usize> = kept.iter().map(|&d| x.shape[d]).collect();
        let n_out: usize = out_shape.iter().product();
        let outs: Vec<Dev> = (types.iter())
            .map(|&t| alloc(dev, t, &out_shape))
            .collect::<Result<_, _>>()?;
        let ptrs: Vec<u64> = outs.iter().map(Dev::ptr).collect();
        let params = theano_ptx::reduce::reduce_params(&ptrs, x.ptr(), &x.shape, &x.strides, axes);
        if n_out > 0 {
            let grid = match scheme {
                theano_ptx::reduce::ReduceScheme::Row => n_out.min(65535),
                theano_ptx::reduce::ReduceScheme::Column => blocks(n_out, BLOCK as usize),
            };
            dev.launch(k, grid, BLOCK, &params)?;
        }
        Ok(outs)
    }

    /// `mode=NanGuardMode` after step `i`: each float output screened on the device (its
    /// max and min over every axis, two scalars copied back: NaN propagates through both,
    /// and an infinite or big value shows as one beyond 1e10), or copied whole when it is
    /// small or has no screening kernel; a suspect output is copied back and judged by exec's
    /// [`theano_exec::NanGuard::check`], so the verdict and the message are the CPU's.
    fn guard_step(
        &self,
        g: &theano_exec::NanGuard,
        i: usize,
        slots: &[Option<Dev>],
    ) -> Result<(), NodeError> {
        let step = &self.program.steps[i];
        let dev = &*self.dev;
        for (k, &o) in step.outputs.iter().enumerate() {
            let Some(d) = slots[o]
                .as_ref()
                .filter(|d| d.dtype.is_float() && d.len() > 0)
            else {
                continue;
            };
            let suspect = match self.guards.get(&(d.dtype, d.shape.len())) {
                Some((mx, mn)) if d.len() > GUARD_ON_HOST => {
                    let axes: Vec<usize> = (0..d.shape.len()).collect();
                    let row = theano_ptx::reduce::ReduceScheme::Row;
                    let ext = |name: &str| -> Result<f64, String> {
                        let r = self.reduce(name, row, d, &axes, &[d.dtype])?;
                        let v = download(dev, &r[0])?.to_f64_vec();
                        Ok(v.first().copied().unwrap_or(f64::NAN))
                    };
                    let (hi, lo) = (ext(mx), ext(mn));
                    let (hi, lo) = (
                        hi.map_err(|m| self.err(i, slots, m))?,
                        lo.map_err(|m| self.err(i, slots, m))?,
                    );
                    hi.is_nan() || lo.is_nan() || hi > 1e10 || lo < -1e10
                }
                _ => true,
            };
            if suspect {
                let t = download(dev, d).map_err(|m| self.err(i, slots, m))?;
                g.check(k, &t).map_err(|m| self.err(i, slots, m))?;
            }
        }
        Ok(())
    }

    /// One label per row, each in `0..cols` (the interpreter's check, on a host copy).
    fn labels_ok(&self, y: &Dev, rows: usize, cols: usize) -> Result<bool, String> {
        if y.shape != [rows] {
            return Ok(false);
        }
        let labels = download(&*self.dev, y)?.to_i64_vec();
        Ok(labels.iter().all(|&l| l >= 0 && (l as u64) < cols as u64))
    }

    /// A 0-d float argument's value (alpha, beta).
    fn scalar(&self, d: &Dev) -> Result<f64, String> {
        let v = download(&*self.dev, d)?.to_f64_vec();
        v.first().copied().ok_or_else(|| "an empty scalar".into())
    }

    /// cuBLAS for Dot, Dot22, Gemm, Gemv and Ger; `Ok(false)` when the operands' layout
    /// is not one cuBLAS takes (the interpreter runs the step, and reports shape errors).
    fn blas(&self, i: usize, step: &Step, slots: &mut [Option<Dev>]) -> Result<bool, String> {
        let ins: Vec<Dev> = self.ins(step, slots)?.into_iter().cloned().collect();
        let d = step.out_types[0].dtype;
        let f64_ = d == DType::Float64;
        let dev = &*self.dev;
        let nd: Vec<usize> = ins.iter().map(|x| x.shape.len()).collect();
        let out = match (&step.op, nd.as_slice()) {
            (Op::Dot, [1, 1]) => {
                let (x, y) = (&ins[0], &ins[1]);
                let n = x.shape[0];
                if y.shape[0] != n {
                    return Ok(false);
                }
                let (Some(incx), Some(incy)) = (inc(x), inc(y)) else {
                    return Ok(false);
                };
                let r = if n == 0 {
                    0.0
                } else {
                    dev.blas(&BlasCall::Dot {
                        f64: f64_,
                        n: int(n)?,
                        x: x.ptr(),
                        incx,
                        y: y.ptr(),
                        incy,
                    })?
                };
                let t = if f64_ {
                    Tensor::from(r)
                } else {
                    Tensor::from(r as f32)
                };
                upload(dev, &t)?
            }
            (Op::Dot, [2, 1]) => {
                let (a, x) = (&ins[0], &ins[1]);
                let y = alloc(dev, d, &[a.shape[0]])?;
                if !self.gemv(f64_, a, x, &y, 1.0, 0.0, false)? {
                    return Ok(false);
                }
                y
            }
            (Op::Dot, [1, 2]) => {
                let (x, b) = (&ins[0], &ins[1]);
                let y = alloc(dev, d, &[b.shape[1]])?;
                if !self.gemv(f64_, b, x, &y, 1.0, 0.0, true)? {
                    return Ok(false);
                }
                y
            }
            (Op::Dot, [2, 2]) | (Op::Dot22, _) => {
                let (a, b) = (&ins[0], &ins[1]);
                let c = alloc(dev, d, &[a.shape[0], b.shape[1]])?;
                if !self.gemm(f64_, a, b, &c, 1.0, 0.0)? {
                    return Ok(false);
                }
                c
            }
            (Op::Gemm { .. }, [2, 0, 2, 2, 0]) => {
                let (alpha, beta) = (self.scalar(&ins[1])?, self.scalar(&ins[4])?);
                let Some(c) = self.target(&ins[0], i)? else {
                    return Ok(false);
                };
                if !self.gemm(f64_, &ins[2], &ins[3], &c, alpha, beta)? {
                    return Ok(false);
                }
                c
            }
            (Op::Gemv { .. }, [1, 0, 2, 1, 0]) => {
                let (alpha, beta) = (self.scalar(&ins[1])?, self.scalar(&ins[4])?);
                let Some(y) = self.target(&ins[0], i)? else {
                    return Ok(false);
                };
                if !self.gemv(f64_, &ins[2], &ins[3], &y, alpha, beta, false)? {
                    return Ok(false);
                }
                y
            }
            (Op::Ger { .. }, [2, 0, 1, 1]) => {
                let alpha = self.scalar(&ins[1])?;
                let Some(a) = self.target(&ins[0], i)? else {
                    return Ok(false);
                };
                let (x, y) = (&ins[2], &ins[3]);
                let (m, n) = (a.shape[0], a.shape[1]);
                if x.shape != [m] || y.shape != [n] {
                    return Ok(false);
                }
                if m * n > 0 {
                    let (Some(incx), Some(incy), Some(lda)) = (inc(x), inc(y), ld_row(&a)) else {
                        return Ok(false);
                    };
                    // A row-major is A^T column-major (n x m): A^T += alpha y x^T
                    dev.blas(&BlasCall::Ger {
                        f64: f64_,
                        m: int(n)?,
                        n: int(m)?,
                        alpha,
                        x: y.ptr(),
                        incx: incy,
                        y: x.ptr(),
                        incy: incx,
                        a: a.ptr(),
                        lda,
                    })?;
                }
                a
            }
            _ => return Ok(false),
        };
        slots[step.outputs[0]] = Some(out);
        Ok(true)
    }

    /// The output of an accumulating BLAS op (Gemm's z, Gemv's y, Ger's A): the input itself
    /// when the plan let the step overwrite it, else a C-contiguous device copy. `None`
    /// when the input is not C-contiguous (the interpreter runs the step).
    fn target(&self, z: &Dev, i: usize) -> Result<Option<Dev>, String> {
        if !z.is_c_contiguous() {
            return Ok(None);
        }
        if self.compiled.plan.destroy_ok[i] {
            return Ok(Some(Dev {
                host: None,
                ..z.clone()
            }));
        }
        let c = alloc(&*self.dev, z.dtype, &z.shape)?;
        let bytes = z.len() * z.dtype.itemsize();
        if bytes > 0 {
            self.dev.copy(z.ptr(), c.ptr(), bytes)?;
        }
        Ok(Some(c))
    }

    /// `c = alpha a b + beta c` for row-major C-contiguous `c` (m x n): column-major cuBLAS
    /// computes C^T (n x m) = B^T A^T, a row-major operand's memory being its transpose.
    fn gemm(
        &self,
        f64_: bool,
        a: &Dev,
        b: &Dev,
        c: &Dev,
        alpha: f64,
        beta: f64,
    ) -> Result<bool, String> {
        if a.shape.len() != 2 || b.shape.len() != 2 || c.shape.len() != 2 {
            return Ok(false);
        }
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1]);
        if b.shape[0] != k || c.shape != [m, n] || !c.is_c_contiguous() {
            return Ok(false);
        }
        if m * n == 0 {
            return Ok(true);
        }
        let (Some((ta, lda)), Some((tb, ldb))) = (blas_layout(a), blas_layout(b)) else {
            return Ok(false);
        };
        self.dev.blas(&BlasCall::Gemm {
            f64: f64_,
            ta: tb,
            tb: ta,
            m: int(n)?,
            n: int(m)?,
            k: int(k)?,
            alpha,
            a: b.ptr(),
            lda: ldb,
            b: a.ptr(),
            ldb: lda,
            beta,
            c: c.ptr(),
            ldc: int(n)?,
        })?;
        Ok(true)
    }

    /// `y = alpha op(a) x + beta y`, op(a) = a (m x n), or a^T when `transposed`.
    fn gemv(
        &self,
        f64_: bool,
        a: &Dev,
        x: &Dev,
        y: &Dev,
        alpha: f64,
        beta: f64,
        transposed: bool,
    ) -> Result<bool, String> {
        if a.shape.len() != 2 || x.shape.len() != 1 || y.shape.len() != 1 {
            return Ok(false);
        }
        let (m, n) = (a.shape[0], a.shape[1]);
        let (rows, cols) = if transposed { (n, m) } else { (m, n) };
        if x.shape[0] != cols || y.shape[0] != rows {
            return Ok(false);
        }
        if rows == 0 {
            return Ok(true);
        }
        let (Some(incx), Some(incy), Some((t, lda))) = (inc(x), inc(y), blas_layout(a)) else {
            return Ok(false);
        };
        // the memory of a, column-major: a^T (n x m) when row-major (t false), a (m x n)
        // when column-major (t true)
        let (trans, sm, sn) = match (t, transposed) {
            (false, false) => (true, n, m),
            (false, true) => (false, n, m),
            (true, false) => (false, m, n),
            (true, true) => (true, m, n),
        };
        if cols == 0 {
            // an empty sum: y = beta y (cuBLAS would leave y alone for n = 0)
            return Ok(false);
        }
        self.dev.blas(&BlasCall::Gemv {
            f64: f64_,
            trans,
            m: int(sm)?,
            n: int(sn)?,
            alpha,
            a: a.ptr(),
            lda,
            x: x.ptr(),
            incx,
            beta,
            y: y.ptr(),
            incy,
        })?;
        Ok(true)
    }
}

/// An error of the call as a whole (a transfer, the device), not of one step.
fn whole(node: &str, message: String) -> NodeError {
    NodeError {
        message,
        node: node.into(),
        toposort_index: 0,
        input_types: vec![],
        input_shapes: vec![],
        location: std::panic::Location::caller(),
    }
}

fn int(n: usize) -> Result<i32, String> {
    i32::try_from(n).map_err(|_| format!("dimension {n} exceeds cuBLAS's 32-bit sizes"))
}

/// A vector's increment for cuBLAS (positive; a length-1 vector's is 1).
fn inc(x: &Dev) -> Option<i32> {
    match x.shape[0] {
        0 | 1 => Some(1),
        _ if x.strides[0] > 0 => i32::try_from(x.strides[0]).ok(),
        _ => None,
    }
}

/// The leading dimension of a row-major matrix (unit column stride), when it is one.
fn ld_row(a: &Dev) -> Option<i32> {
    let (r, c) = (a.shape[0], a.shape[1]);
    if c <= 1 || a.strides[1] == 1 {
        let ld = if r <= 1 {
            c.max(1) as isize
        } else {
            a.strides[0]
        };
        (ld >= c.max(1) as isize)
            .then(|| i32::try_from(ld).ok())
            .flatten()
    } else {
        None
    }
}

/// How column-major cuBLAS reads a 2-d array: a row-major one (unit column stride) is its
/// transpose in column-major terms (`(false, row stride)`: op N gives the transpose); a
/// column-major one (unit row stride) is itself (`(true, column stride)`: op T gives the
/// transpose). Anything else is no BLAS layout.
fn blas_layout(a: &Dev) -> Option<(bool, i32)> {
    if let Some(ld) = ld_row(a) {
        return Some((false, ld));
    }
    let (r, c) = (a.shape[0], a.shape[1]);
    if r <= 1 || a.strides[0] == 1 {
        let ld = if c <= 1 {
            r.max(1) as isize
        } else {
            a.strides[1]
        };
        if ld >= r.max(1) as isize {
            return i32::try_from(ld).ok().map(|ld| (true, ld));
        }
    }
    None
}

impl Executable for Runtime {
    fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        self.run_all(args)
    }
    fn call(&self, args: &mut [Arg<'_>], out: OutSink<'_>) -> Result<(), RunError> {
        theano_exec::linker::call_by_run(self, &self.program, args, out)
    }
    fn call_cells(
        &self,
        inputs: &[&Tensor],
        cells: &mut [CellArg<'_>],
        out: OutSink<'_>,
    ) -> Result<(), RunError> {
        self.call_resident(inputs, cells, out)
    }
    fn dump(&self, what: CodeDump) -> String {
        match what {
            CodeDump::Ir => self.ptx.clone(),
            CodeDump::Asm => String::new(),
        }
    }
    fn step_linkers(&self) -> Vec<&'static str> {
        self.compiled.labels()
    }
}
