//! The CUDA runtime (feature `device`): cudarc, its libraries loaded at run time.
//!
//! **Untested on hardware**: no GPU was lent to the session that wrote it; it builds and its
//! no-device paths are tested (every entry point returns [`CudaError::NoDevice`] on a machine
//! without a driver), and scripts/gpu_check.sh runs its tests on a device.
//!
//! - The driver library is probed ([`probe`]: cudarc's `is_culib_present`, which only tries
//!   to open it) before the first cudarc call, since cudarc panics when a library is missing;
//!   cuBLAS likewise.
//! - A linked program gets the compile-only path's lowerings and storage plan
//!   ([`crate::compile_program`]) plus, for elementwise steps, the contiguous kernel and a
//!   strided kernel for every rank up to the output's (a launch collapses dimensions first,
//!   theano-ptx's `plan_elemwise`), all in one PTX module, loaded once per distinct text
//!   (a process-wide cache by hash).
//! - A call copies the arguments (shared values included) to the device, runs the steps in
//!   the plan's order on one stream (PTX launches, cuBLAS, views of DimShuffles, shapes on
//!   the host, the interpreter on host copies for everything else), copies the results back
//!   and commits the updates through exec's protocol (all or nothing, over fresh tensors).
//!   Shared variables are not resident on the device: they are copied in and out per call.

use crate::compile::{compile_program, CompileOptions, CompiledProgram, KernelKind, StepCode};
use crate::CudaError;
use cudarc::cublas::sys as cb;
use cudarc::cublas::CudaBlas;
use cudarc::driver::{
    CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, DevicePtr, LaunchConfig,
    PushKernelArg,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use theano_exec::{
    Arg, CodeDump, Executable, LinkError, Linker, NodeError, OutSink, Program, RunError, Step,
    StepPath,
};
use theano_ir::Op;
use theano_ptx::elemwise::{lower_elemwise, lower_elemwise_inplace, vector_width, Layout};
use theano_ptx::launch::{c_strides, plan_elemwise, plan_elemwise_inplace, HostArray};
use theano_ptx::{module, Kernel, Target};
use theano_tensor::{DType, Tensor};

/// The device every function runs on (device 0), opened once.
pub struct Device {
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    blas: CudaBlas,
    /// Loaded modules by the hash of their PTX text.
    modules: Mutex<HashMap<u64, Arc<CudaModule>>>,
    /// One call at a time on the stream and the cuBLAS handle.
    pub(crate) lock: Mutex<()>,
    pub description: String,
}

// SAFETY: cuBLAS handles may be used from any thread as long as calls are not concurrent;
// every use of `blas` is under `lock`.
unsafe impl Send for Device {}
unsafe impl Sync for Device {}

static DEVICE: OnceLock<Result<Arc<Device>, CudaError>> = OnceLock::new();

fn libraries_present() -> Result<(), CudaError> {
    // SAFETY: these only try to open the shared libraries (dlopen) and close them.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(CudaError::NoDevice(
            "the CUDA driver library (libcuda.so) was not found".into(),
        ));
    }
    if !unsafe { cb::is_culib_present() } {
        return Err(CudaError::NoDevice(
            "the cuBLAS library (libcublas.so.12) was not found".into(),
        ));
    }
    Ok(())
}

fn open() -> Result<Arc<Device>, CudaError> {
    libraries_present()?;
    let no = |what: &str, e: &dyn std::fmt::Display| CudaError::NoDevice(format!("{what}: {e}"));
    let n = CudaContext::device_count().map_err(|e| no("cuInit/cuDeviceGetCount", &e))?;
    if n < 1 {
        return Err(CudaError::NoDevice("no CUDA device is visible".into()));
    }
    let ctx = CudaContext::new(0).map_err(|e| no("opening device 0", &e))?;
    let name = ctx.name().map_err(|e| no("device name", &e))?;
    let (major, minor) = ctx
        .compute_capability()
        .map_err(|e| no("compute capability", &e))?;
    if major < 8 {
        return Err(CudaError::NoDevice(format!(
            "{name} is sm_{major}{minor}; the generated PTX targets sm_80 and later"
        )));
    }
    let stream = ctx.default_stream();
    let blas = CudaBlas::new(stream.clone()).map_err(|e| no("cublasCreate", &e))?;
    Ok(Arc::new(Device {
        ctx,
        stream,
        blas,
        modules: Mutex::new(HashMap::new()),
        lock: Mutex::new(()),
        description: format!("{name} (sm_{major}{minor})"),
    }))
}

/// The device, opened on first use; the same error every time when there is none.
pub fn device() -> Result<Arc<Device>, CudaError> {
    DEVICE.get_or_init(open).clone()
}

/// The device's description, or why no device can be used. Never panics.
pub fn probe() -> Result<String, CudaError> {
    device().map(|d| d.description.clone())
}

fn drv(e: impl std::fmt::Display) -> String {
    format!("CUDA: {e}")
}

impl Device {
    /// The module of `ptx`, loaded once per distinct text.
    fn module(&self, ptx: &str) -> Result<Arc<CudaModule>, CudaError> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        ptx.hash(&mut h);
        let key = h.finish();
        let mut m = self
            .modules
            .lock()
            .map_err(|_| CudaError::Driver("module cache poisoned".into()))?;
        if let Some(x) = m.get(&key) {
            return Ok(x.clone());
        }
        let module = self
            .ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(|e| CudaError::Driver(format!("loading the PTX module: {e}")))?;
        m.insert(key, module.clone());
        Ok(module)
    }

    fn alloc(&self, dtype: DType, shape: &[usize]) -> Result<Dev, String> {
        let n: usize = shape.iter().product();
        let bytes = (n * dtype.itemsize()).max(1);
        let buf = self.stream.alloc_zeros::<u8>(bytes).map_err(drv)?;
        Ok(Dev::new(buf, &self.stream, dtype, shape))
    }

    fn upload(&self, t: &Tensor) -> Result<Dev, String> {
        let h = HostArray::from_tensor(t);
        let data = if h.data.is_empty() { vec![0] } else { h.data };
        let buf = self.stream.clone_htod(&data).map_err(drv)?;
        Ok(Dev::new(buf, &self.stream, t.dtype(), t.shape()))
    }

    fn download(&self, d: &Dev) -> Result<Tensor, String> {
        let data = self.stream.clone_dtoh(&*d.buf).map_err(drv)?;
        Ok(HostArray {
            dtype: d.dtype,
            shape: d.shape.clone(),
            strides: d.strides.clone(),
            offset: d.offset,
            data,
        }
        .to_tensor())
    }

    fn launch(
        &self,
        f: &CudaFunction,
        grid: usize,
        block: u32,
        params: &[u64],
    ) -> Result<(), String> {
        let mut b = self.stream.launch_builder(f);
        for p in params {
            b.arg(p);
        }
        let cfg = LaunchConfig {
            grid_dim: (grid.clamp(1, 65535) as u32, 1, 1),
            block_dim: (block, 1, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: the parameters are the kernel's, in its order, built from live device
        // buffers whose shapes and strides the kernel indexes within.
        unsafe { b.launch(cfg) }.map(|_| ()).map_err(drv)
    }

    /// Device-to-device copy bandwidth in GB/s (read plus write bytes per second) over
    /// `bytes`-byte buffers, the best of `reps` copies: the reference the bandwidth bench
    /// compares kernels with.
    pub fn copy_bandwidth(&self, bytes: usize, reps: usize) -> Result<f64, CudaError> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| CudaError::Driver("poisoned".into()))?;
        let e = |e: cudarc::driver::DriverError| CudaError::Driver(e.to_string());
        let a = self.stream.alloc_zeros::<u8>(bytes).map_err(e)?;
        let mut b = self.stream.alloc_zeros::<u8>(bytes).map_err(e)?;
        let mut best = f64::INFINITY;
        for _ in 0..reps.max(1) {
            self.stream.synchronize().map_err(e)?;
            let t = Instant::now();
            self.stream.memcpy_dtod(&a, &mut b).map_err(e)?;
            self.stream.synchronize().map_err(e)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        Ok(2.0 * bytes as f64 / best / 1e9)
    }
}

/// A value on the device: a strided array (elements) in a shared buffer.
#[derive(Clone)]
struct Dev {
    buf: Arc<CudaSlice<u8>>,
    base: u64,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
}

impl Dev {
    fn new(buf: CudaSlice<u8>, stream: &Arc<CudaStream>, dtype: DType, shape: &[usize]) -> Dev {
        let base = {
            let (p, _sync) = buf.device_ptr(stream);
            p
        };
        Dev {
            buf: Arc::new(buf),
            base,
            dtype,
            shape: shape.to_vec(),
            strides: c_strides(shape),
            offset: 0,
        }
    }
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
}

/// Links programs for the GPU (`linker=cuda`, `device=cuda`).
#[derive(Clone, Debug, Default)]
pub struct CudaLinker {
    /// Print (or write under `dump_dir`) the PTX module.
    pub dump_ptx: bool,
    pub dump_dir: Option<PathBuf>,
}

fn link_error(e: impl std::fmt::Display) -> LinkError {
    LinkError {
        linker: "cuda",
        message: e.to_string(),
    }
}

/// The elementwise kernels of one step, by layout.
struct EwSet {
    vector: String,
    contiguous: String,
    /// by collapsed rank - 1
    strided: Vec<String>,
    width: usize,
    in_place: Option<usize>,
}

impl Linker for CudaLinker {
    fn name(&self) -> &'static str {
        "cuda"
    }
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, LinkError> {
        let dev = device().map_err(link_error)?;
        if program.watch.guard.is_some() {
            return Err(link_error(
                "mode=NanGuardMode is not supported on the GPU backend (use linker=jit)",
            ));
        }
        let compiled = compile_program(&program, &CompileOptions::default());
        let mut kernels: Vec<Kernel> = compiled.kernels.clone();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut ew: Vec<Option<EwSet>> = Vec::with_capacity(program.steps.len());
        for (step, (_, code)) in program.steps.iter().zip(&compiled.steps) {
            let StepCode::Kernels {
                what: KernelKind::Elemwise,
                in_place,
                ..
            } = code
            else {
                ew.push(None);
                continue;
            };
            let Op::Elemwise { scalar, .. } = &step.op else {
                ew.push(None);
                continue;
            };
            let in_dts: Vec<DType> = step.input_types.iter().map(|t| t.dtype).collect();
            let out = step.out_types[0].dtype;
            let nd = step.out_types[0].ndim().max(1);
            let mut make = |layout: Layout, rank: usize| -> Result<String, LinkError> {
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
                }
                .map_err(link_error)?;
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
                width: vector_width(&all),
                in_place: *in_place,
            }));
        }
        let refs: Vec<&Kernel> = kernels.iter().collect();
        let ptx = format!(
            "{}{}",
            compiled.summary(),
            module(&refs, &Target::default())
        );
        let module = dev.module(&ptx).map_err(link_error)?;
        let mut funcs = HashMap::new();
        for k in &kernels {
            let f = module
                .load_function(&k.name)
                .map_err(|e| link_error(format!("kernel {}: {e}", k.name)))?;
            funcs.insert(k.name.clone(), f);
        }
        let mut constants = Vec::new();
        {
            let _g = dev
                .lock
                .lock()
                .map_err(|_| link_error("device lock poisoned"))?;
            dev.ctx.bind_to_thread().map_err(link_error)?;
            for (s, t) in &program.constants {
                constants.push((*s, dev.upload(t).map_err(link_error)?));
            }
        }
        if self.dump_ptx {
            let n = theano_exec::dump::next_id();
            theano_exec::dump::write(self.dump_dir.as_deref(), "cuda", n, "ptx", &ptx)
                .map_err(link_error)?;
        }
        Ok(Box::new(CudaProgram {
            dev,
            program,
            compiled,
            ew,
            funcs,
            constants,
            ptx,
        }))
    }
}

struct CudaProgram {
    dev: Arc<Device>,
    program: Program,
    compiled: CompiledProgram,
    ew: Vec<Option<EwSet>>,
    funcs: HashMap<String, CudaFunction>,
    constants: Vec<(usize, Dev)>,
    ptx: String,
}

// SAFETY: the device handles are used under the device's lock only.
unsafe impl Send for CudaProgram {}
unsafe impl Sync for CudaProgram {}

const BLOCK: u32 = 256;

fn blocks(n: usize, per: usize) -> usize {
    n.div_ceil(per.max(1)).clamp(1, 65535)
}

impl CudaProgram {
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

    fn func(&self, name: &str) -> Result<&CudaFunction, String> {
        self.funcs
            .get(name)
            .ok_or_else(|| format!("kernel {name} was not loaded"))
    }

    fn run_all(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        let p = &self.program;
        let dev = &self.dev;
        let _g = dev.lock.lock().unwrap_or_else(|e| e.into_inner());
        let whole = |message: String| NodeError {
            message,
            node: "(transfer)".into(),
            toposort_index: 0,
            input_types: vec![],
            input_shapes: vec![],
            location: std::panic::Location::caller(),
        };
        dev.ctx.bind_to_thread().map_err(|e| whole(drv(e)))?;
        let mut slots: Vec<Option<Dev>> = vec![None; p.n_slots];
        for (k, &s) in p.args.iter().enumerate() {
            let t = args
                .get(k)
                .ok_or_else(|| whole(format!("{} arguments for {}", args.len(), p.args.len())))?;
            slots[s] = Some(dev.upload(t).map_err(whole)?);
        }
        for (s, d) in &self.constants {
            slots[*s] = Some(d.clone());
        }
        let plan = &self.compiled.plan;
        for (pos, &i) in plan.order.iter().enumerate() {
            let t0 = Instant::now();
            let path = self.run_step(i, &mut slots)?;
            if let Some(times) = &p.watch.times {
                dev.stream
                    .synchronize()
                    .map_err(|e| self.err(i, &slots, drv(e)))?;
                times.record(i, t0.elapsed(), path);
            }
            for &s in &plan.frees[pos] {
                slots[s] = None;
            }
        }
        let mut out = Vec::with_capacity(p.results.len());
        for &r in &p.results {
            let d = slots[r]
                .as_ref()
                .ok_or_else(|| whole(format!("result slot {r} was not computed")))?;
            out.push(dev.download(d).map_err(whole)?);
        }
        dev.stream.synchronize().map_err(|e| whole(drv(e)))?;
        Ok(out)
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
            StepCode::View => match &step.op {
                Op::DimShuffle { new_order, .. } => self.dimshuffle(step, new_order, slots),
                _ => Ok(false),
            },
            StepCode::Shape => self.shape(step, slots).map(|_| true),
            StepCode::Blas { .. } => self.blas(i, step, slots),
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

    /// The interpreter on host copies of the inputs; the outputs uploaded.
    fn interp(&self, i: usize, step: &Step, slots: &mut [Option<Dev>]) -> Result<(), NodeError> {
        let ins = self.ins(step, slots).map_err(|m| self.err(i, slots, m))?;
        let host: Vec<Tensor> = ins
            .iter()
            .map(|d| self.dev.download(d))
            .collect::<Result<_, _>>()
            .map_err(|m| self.err(i, slots, m))?;
        let refs: Vec<&Tensor> = host.iter().collect();
        let outs = theano_exec::interp::interp_step(i, step, &refs)?;
        for (&s, t) in step.outputs.iter().zip(&outs) {
            let d = self.dev.upload(t).map_err(|m| self.err(i, slots, m))?;
            slots[s] = Some(d);
        }
        Ok(())
    }

    fn dimshuffle(
        &self,
        step: &Step,
        order: &[Option<usize>],
        slots: &mut [Option<Dev>],
    ) -> Result<bool, String> {
        let x = self.ins(step, slots)?[0].clone();
        for d in 0..x.shape.len() {
            if !order.contains(&Some(d)) && x.shape[d] != 1 {
                return Ok(false); // the interpreter reports it
            }
        }
        let mut v = Dev {
            shape: vec![],
            strides: vec![],
            ..x.clone()
        };
        for o in order {
            match *o {
                Some(d) if d < x.shape.len() => {
                    v.shape.push(x.shape[d]);
                    v.strides.push(x.strides[d]);
                }
                Some(_) => return Ok(false),
                None => {
                    v.shape.push(1);
                    v.strides.push(0);
                }
            }
        }
        slots[step.outputs[0]] = Some(v);
        Ok(true)
    }

    fn shape(&self, step: &Step, slots: &mut [Option<Dev>]) -> Result<(), String> {
        let x = self.ins(step, slots)?[0];
        let t = match step.op {
            Op::ShapeI(k) => Tensor::from(*x.shape.get(k).ok_or("Shape_i past the rank")? as i64),
            _ => Tensor::from(x.shape.iter().map(|&d| d as i64).collect::<Vec<i64>>()),
        };
        slots[step.outputs[0]] = Some(self.dev.upload(&t)?);
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
                    Some(ip) => ins[ip].clone(),
                    None => dev.alloc(step.out_types[0].dtype, &shape)?,
                };
                let n: usize = shape.iter().product();
                if n > 0 {
                    let mut params = vec![out.ptr()];
                    params.extend(ins.iter().map(Dev::ptr));
                    params.push(n as u64);
                    let (name, per) = match plan.layout {
                        Layout::Vector => (&set.vector, set.width),
                        Layout::Contiguous => (&set.contiguous, 1),
                        Layout::Strided => {
                            let r = plan.shape.len();
                            let Some(name) = set.strided.get(r.wrapping_sub(1)) else {
                                return Ok(false);
                            };
                            params.extend(plan.shape.iter().map(|&d| d as u64));
                            for s in &plan.strides {
                                params.extend(s.iter().map(|&x| x as i64 as u64));
                            }
                            (name, 1)
                        }
                    };
                    dev.launch(
                        self.func(name)?,
                        blocks(n, BLOCK as usize * per * 4),
                        BLOCK,
                        &params,
                    )?;
                }
                slots[step.outputs[0]] = Some(out);
                Ok(true)
            }
            KernelKind::Reduce { kind, .. } => {
                let x = &ins[0];
                let nd = x.shape.len();
                let mut axes: Vec<usize> = match &step.op {
                    Op::Reduce { axes: Some(a), .. } | Op::MaxAndArgmax { axes: a } => a.clone(),
                    _ => (0..nd).collect(),
                };
                axes.sort_unstable();
                axes.dedup();
                let kept: Vec<usize> = (0..nd).filter(|d| !axes.contains(d)).collect();
                let out_shape: Vec<usize> = kept.iter().map(|&d| x.shape[d]).collect();
                let n_out: usize = out_shape.iter().product();
                let m: usize = axes.iter().map(|&d| x.shape[d]).product();
                if m == 0 && kind.needs_elements() && n_out > 0 {
                    return Ok(false); // the interpreter's error
                }
                let out = dev.alloc(step.out_types[0].dtype, &out_shape)?;
                let idx = match step.out_types.get(1) {
                    Some(t) => Some(dev.alloc(t.dtype, &out_shape)?),
                    None => None,
                };
                let mut params = vec![out.ptr()];
                if let Some(ix) = &idx {
                    params.push(ix.ptr());
                }
                params.push(x.ptr());
                params.push(n_out as u64);
                params.push(m as u64);
                params.extend(kept.iter().map(|&d| x.shape[d] as u64));
                params.extend(kept.iter().map(|&d| x.strides[d] as i64 as u64));
                params.extend(axes.iter().map(|&d| x.shape[d] as u64));
                params.extend(axes.iter().map(|&d| x.strides[d] as i64 as u64));
                if n_out > 0 {
                    let k = &self.compiled.kernels[kernels[0]].name;
                    let grid = match what {
                        KernelKind::Reduce {
                            scheme: theano_ptx::reduce::ReduceScheme::Row,
                            ..
                        } => n_out.min(65535),
                        _ => blocks(n_out, BLOCK as usize),
                    };
                    dev.launch(self.func(k)?, grid, BLOCK, &params)?;
                }
                slots[step.outputs[0]] = Some(out);
                if let (Some(ix), Some(&s)) = (idx, step.outputs.get(1)) {
                    slots[s] = Some(ix);
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
                let out = dev.alloc(step.out_types[0].dtype, &x.shape)?;
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
                    dev.launch(self.func(k)?, rows.min(65535), BLOCK, &params)?;
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
                let nll = dev.alloc(step.out_types[0].dtype, &[rows])?;
                let sm = dev.alloc(step.out_types[1].dtype, &[rows, cols])?;
                let am = dev.alloc(step.out_types[2].dtype, &[rows])?;
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
                    dev.launch(self.func(k)?, rows.min(65535), BLOCK, &params)?;
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
                let dx = dev.alloc(step.out_types[0].dtype, &[rows, cols])?;
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
                    dev.launch(
                        self.func(k)?,
                        blocks(rows * cols, BLOCK as usize),
                        BLOCK,
                        &params,
                    )?;
                }
                slots[step.outputs[0]] = Some(dx);
                Ok(true)
            }
        }
    }

    /// One label per row, each in `0..cols` (the interpreter's check, on a host copy).
    fn labels_ok(&self, y: &Dev, rows: usize, cols: usize) -> Result<bool, String> {
        if y.shape != [rows] {
            return Ok(false);
        }
        let labels = self.dev.download(y)?.to_i64_vec();
        Ok(labels.iter().all(|&l| l >= 0 && (l as u64) < cols as u64))
    }

    /// A 0-d float argument's value (alpha, beta).
    fn scalar(&self, d: &Dev) -> Result<f64, String> {
        let v = self.dev.download(d)?.to_f64_vec();
        v.first().copied().ok_or_else(|| "an empty scalar".into())
    }

    /// cuBLAS for Dot, Dot22, Gemm, Gemv and Ger; `Ok(false)` when the operands' layout
    /// is not one cuBLAS takes (the interpreter runs the step).
    fn blas(&self, i: usize, step: &Step, slots: &mut [Option<Dev>]) -> Result<bool, String> {
        let ins: Vec<Dev> = self.ins(step, slots)?.into_iter().cloned().collect();
        let d = step.out_types[0].dtype;
        let f64_ = d == DType::Float64;
        let dev = &self.dev;
        let h = *dev.blas.handle();
        let nd: Vec<usize> = ins.iter().map(|x| x.shape.len()).collect();
        let out = match (&step.op, nd.as_slice()) {
            (Op::Dot, [1, 1]) => {
                let (x, y) = (&ins[0], &ins[1]);
                let n = x.shape[0];
                if y.shape[0] != n {
                    return Ok(false);
                }
                let (Some(ix), Some(iy)) = (inc(x), inc(y)) else {
                    return Ok(false);
                };
                let mut r = [0f64];
                let mut r32 = [0f32];
                // SAFETY: x and y hold n elements at their increments; the result is a host
                // pointer (cuBLAS's default pointer mode), written before the call returns.
                let st = unsafe {
                    if f64_ {
                        cb::cublasDdot_v2(
                            h,
                            int(n)?,
                            x.ptr() as _,
                            ix,
                            y.ptr() as _,
                            iy,
                            r.as_mut_ptr(),
                        )
                    } else {
                        cb::cublasSdot_v2(
                            h,
                            int(n)?,
                            x.ptr() as _,
                            ix,
                            y.ptr() as _,
                            iy,
                            r32.as_mut_ptr(),
                        )
                    }
                };
                status(st)?;
                let t = if f64_ {
                    Tensor::from(r[0])
                } else {
                    Tensor::from(r32[0])
                };
                dev.upload(&t)?
            }
            (Op::Dot, [2, 1]) => {
                let (a, x) = (&ins[0], &ins[1]);
                let y = dev.alloc(d, &[a.shape[0]])?;
                if !self.gemv(f64_, a, x, &y, 1.0, 0.0, false)? {
                    return Ok(false);
                }
                y
            }
            (Op::Dot, [1, 2]) => {
                let (x, b) = (&ins[0], &ins[1]);
                let y = dev.alloc(d, &[b.shape[1]])?;
                if !self.gemv(f64_, b, x, &y, 1.0, 0.0, true)? {
                    return Ok(false);
                }
                y
            }
            (Op::Dot, [2, 2]) | (Op::Dot22, _) => {
                let (a, b) = (&ins[0], &ins[1]);
                let c = dev.alloc(d, &[a.shape[0], b.shape[1]])?;
                if !self.gemm(f64_, a, b, &c, 1.0, 0.0)? {
                    return Ok(false);
                }
                c
            }
            (Op::Gemm { .. }, _) => {
                let (alpha, beta) = (self.scalar(&ins[1])?, self.scalar(&ins[4])?);
                let c = self.target(&ins[0], i)?;
                let Some(c) = c else { return Ok(false) };
                if !self.gemm(f64_, &ins[2], &ins[3], &c, alpha, beta)? {
                    return Ok(false);
                }
                c
            }
            (Op::Gemv { .. }, _) => {
                let (alpha, beta) = (self.scalar(&ins[1])?, self.scalar(&ins[4])?);
                let Some(y) = self.target(&ins[0], i)? else {
                    return Ok(false);
                };
                if !self.gemv(f64_, &ins[2], &ins[3], &y, alpha, beta, false)? {
                    return Ok(false);
                }
                y
            }
            (Op::Ger { .. }, _) => {
                let alpha = self.scalar(&ins[1])?;
                let Some(a) = self.target(&ins[0], i)? else {
                    return Ok(false);
                };
                let (x, y) = (&ins[2], &ins[3]);
                let (m, n) = (a.shape[0], a.shape[1]);
                if x.shape != [m] || y.shape != [n] {
                    return Ok(false);
                }
                let (Some(ix), Some(iy)) = (inc(x), inc(y)) else {
                    return Ok(false);
                };
                if m * n == 0 {
                    slots[step.outputs[0]] = Some(a);
                    return Ok(true);
                }
                // A row-major (ld = its row stride) is A^T column-major: A^T += alpha y x^T
                let Some(lda) = ld_row(&a) else {
                    return Ok(false);
                };
                // SAFETY: a, x and y are device arrays of the checked shapes and increments.
                let st = unsafe {
                    if f64_ {
                        cb::cublasDger_v2(
                            h,
                            int(n)?,
                            int(m)?,
                            &alpha,
                            y.ptr() as _,
                            iy,
                            x.ptr() as _,
                            ix,
                            a.ptr() as _,
                            lda,
                        )
                    } else {
                        let al = alpha as f32;
                        cb::cublasSger_v2(
                            h,
                            int(n)?,
                            int(m)?,
                            &al,
                            y.ptr() as _,
                            iy,
                            x.ptr() as _,
                            ix,
                            a.ptr() as _,
                            lda,
                        )
                    }
                };
                status(st)?;
                a
            }
            _ => return Ok(false),
        };
        slots[step.outputs[0]] = Some(out);
        Ok(true)
    }

    /// The output of an accumulating BLAS op (Gemm's z, Gemv's y, Ger's A): the input itself
    /// when the plan let the step overwrite it, else a C-contiguous device copy. `None`
    /// when the input's layout needs the interpreter.
    fn target(&self, z: &Dev, i: usize) -> Result<Option<Dev>, String> {
        let in_place = self.compiled.plan.destroy_ok[i];
        if in_place && z.is_c_contiguous() {
            return Ok(Some(z.clone()));
        }
        if !z.is_c_contiguous() {
            return Ok(None);
        }
        let mut c = self.dev.alloc(z.dtype, &z.shape)?;
        let bytes = z.len() * z.dtype.itemsize();
        if bytes > 0 {
            let src = z
                .buf
                .slice(z.offset * z.dtype.itemsize()..z.offset * z.dtype.itemsize() + bytes);
            let dst = Arc::get_mut(&mut c.buf).ok_or("a fresh buffer is shared")?;
            self.dev.stream.memcpy_dtod(&src, dst).map_err(drv)?;
        }
        Ok(Some(c))
    }

    /// `c = alpha a b + beta c` for row-major C-contiguous `c` (m x n): column-major cuBLAS
    /// computes C^T = B^T A^T.
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
        let (Some((opa, lda)), Some((opb, ldb))) = (blas_layout(a), blas_layout(b)) else {
            return Ok(false);
        };
        let h = *self.dev.blas.handle();
        // SAFETY: a (m x k), b (k x n) and c (m x n) are device arrays of these shapes
        // whose layouts blas_layout described.
        let st = unsafe {
            if f64_ {
                cb::cublasDgemm_v2(
                    h,
                    opb,
                    opa,
                    int(n)?,
                    int(m)?,
                    int(k)?,
                    &alpha,
                    b.ptr() as _,
                    ldb,
                    a.ptr() as _,
                    lda,
                    &beta,
                    c.ptr() as _,
                    int(n.max(1))?,
                )
            } else {
                let (al, be) = (alpha as f32, beta as f32);
                cb::cublasSgemm_v2(
                    h,
                    opb,
                    opa,
                    int(n)?,
                    int(m)?,
                    int(k)?,
                    &al,
                    b.ptr() as _,
                    ldb,
                    a.ptr() as _,
                    lda,
                    &be,
                    c.ptr() as _,
                    int(n.max(1))?,
                )
            }
        };
        status(st)?;
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
        let (Some(ix), Some(iy), Some((op, lda))) = (inc(x), inc(y), blas_layout(a)) else {
            return Ok(false);
        };
        // In column-major terms the memory of a is a^T (op N, ld = its row stride) or a
        // (op T, ld = its column stride); blas_layout gives the op that reads a^T as a.
        // a x = (a^T)^T x: with the memory as a^T (n x m), that is op T over (n x m).
        let (t_op, mm, nn) = match (op, transposed) {
            // memory is a^T, column-major n x m
            (cb::cublasOperation_t::CUBLAS_OP_N, false) => {
                (cb::cublasOperation_t::CUBLAS_OP_T, n, m)
            }
            (cb::cublasOperation_t::CUBLAS_OP_N, true) => {
                (cb::cublasOperation_t::CUBLAS_OP_N, n, m)
            }
            // memory is a, column-major m x n
            (_, false) => (cb::cublasOperation_t::CUBLAS_OP_N, m, n),
            (_, true) => (cb::cublasOperation_t::CUBLAS_OP_T, m, n),
        };
        let h = *self.dev.blas.handle();
        // SAFETY: a, x and y are device arrays of the checked shapes and increments.
        let st = unsafe {
            if f64_ {
                cb::cublasDgemv_v2(
                    h,
                    t_op,
                    int(mm)?,
                    int(nn)?,
                    &alpha,
                    a.ptr() as _,
                    lda,
                    x.ptr() as _,
                    ix,
                    &beta,
                    y.ptr() as _,
                    iy,
                )
            } else {
                let (al, be) = (alpha as f32, beta as f32);
                cb::cublasSgemv_v2(
                    h,
                    t_op,
                    int(mm)?,
                    int(nn)?,
                    &al,
                    a.ptr() as _,
                    lda,
                    x.ptr() as _,
                    ix,
                    &be,
                    y.ptr() as _,
                    iy,
                )
            }
        };
        status(st)?;
        Ok(true)
    }
}

fn int(n: usize) -> Result<i32, String> {
    i32::try_from(n).map_err(|_| format!("dimension {n} exceeds cuBLAS's 32-bit sizes"))
}

fn status(s: cb::cublasStatus_t) -> Result<(), String> {
    if s == cb::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(format!("cuBLAS: {s:?}"))
    }
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

/// How cuBLAS (column-major) reads a 2-d array so that the operation gives the array's
/// transpose as row-major code expects: a row-major array (unit column stride) is its
/// transpose in column-major terms (op N, ld = row stride); a column-major one (unit row
/// stride) is itself (op T, ld = column stride). Anything else is no BLAS layout.
fn blas_layout(a: &Dev) -> Option<(cb::cublasOperation_t, i32)> {
    if let Some(ld) = ld_row(a) {
        return Some((cb::cublasOperation_t::CUBLAS_OP_N, ld));
    }
    let (r, c) = (a.shape[0], a.shape[1]);
    if r <= 1 || a.strides[0] == 1 {
        let ld = if c <= 1 {
            r.max(1) as isize
        } else {
            a.strides[1]
        };
        if ld >= r.max(1) as isize {
            return i32::try_from(ld)
                .ok()
                .map(|ld| (cb::cublasOperation_t::CUBLAS_OP_T, ld));
        }
    }
    None
}

impl Executable for CudaProgram {
    fn run(&self, args: &[&Tensor]) -> Result<Vec<Tensor>, NodeError> {
        self.run_all(args)
    }
    fn call(&self, args: &mut [Arg<'_>], out: OutSink<'_>) -> Result<(), RunError> {
        theano_exec::linker::call_by_run(self, &self.program, args, out)
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
