//! The CUDA runtime (feature `device`): cudarc, its libraries loaded at run time.
//!
//! **Untested on hardware**: no GPU was lent to the session that wrote it; it builds and its
//! no-device paths are tested (every entry point returns [`CudaError::NoDevice`] on a machine
//! without a driver), and scripts/gpu_check.sh runs its tests on a device.
//!
//! - The driver library is probed ([`probe`]: cudarc's `is_culib_present`, which only tries
//!   to open it) before the first cudarc call, since cudarc panics when a library is missing;
//!   cuBLAS likewise.
//! - A linked program's kernels (`runtime::device_kernels`) are one PTX module, loaded once
//!   per distinct text (a process-wide cache keyed by the text); the runtime (`runtime.rs`, the same
//!   code the emulated device runs in the tests) calls [`DeviceOps`] implemented here: one
//!   stream (cudarc's cross-stream event tracking off), buffers (`DevBuf`, which binds the
//!   context before it is freed on whatever thread drops it) from `alloc` (uninitialized:
//!   every kernel output is written whole),
//!   `alloc_zeros` (`Alloc` of 0) and `clone_htod`, all from the device's memory pool, which
//!   keeps freed memory for reuse ([`keep_freed_memory`]), launches with raw `u64` parameters,
//!   cuBLAS (column-major) for the BLAS calls.

use crate::runtime::{link_program, BlasCall, Buf, DeviceOps, Held, Runtime};
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
use theano_exec::{Executable, LinkError, Linker, Program};

/// The device every function runs on (device 0), opened once.
pub struct Device {
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    blas: CudaBlas,
    /// Loaded modules by their PTX text (hashed by the map).
    modules: Mutex<HashMap<String, Arc<CudaModule>>>,
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
    // SAFETY: every launch, copy and cuBLAS call of this process runs on this one stream
    // (calls take the device's lock), so no buffer needs cudarc's per-buffer events (two
    // created per allocation otherwise) to order uses across streams.
    unsafe { ctx.disable_event_tracking() };
    if ctx.has_async_alloc() {
        keep_freed_memory(ctx.cu_device()).map_err(|e| no("the device's memory pool", &e))?;
    }
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

/// Buffer reuse between calls: every buffer comes from the device's default memory pool
/// (cudarc allocates with `cuMemAllocAsync` on devices that have one) and goes back to it
/// when freed; with the release threshold at its maximum the pool keeps freed memory for the
/// next allocation instead of returning it to the driver at each synchronization, so a
/// call's buffers are the previous call's (the driver's stream-ordered allocator, as
/// PyTorch's and JAX's caching allocators, rather than one written here).
fn keep_freed_memory(
    dev: cudarc::driver::sys::CUdevice,
) -> Result<(), cudarc::driver::DriverError> {
    use cudarc::driver::{result, sys};
    let mut threshold: u64 = u64::MAX;
    // SAFETY: `dev` is an opened device; the attribute's value is a u64 (cuuint64_t), read
    // during the call.
    unsafe {
        let pool = result::device::get_default_mem_pool(dev)?;
        result::mem_pool::set_attribute(
            pool,
            sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
            (&mut threshold as *mut u64).cast(),
        )
    }
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
        if ptx.contains('\0') {
            // cudarc hands the text to the driver as a C string (and panics on a NUL)
            return Err(CudaError::Driver("the PTX text contains a NUL byte".into()));
        }
        let mut m = self
            .modules
            .lock()
            .map_err(|_| CudaError::Driver("module cache poisoned".into()))?;
        if let Some(x) = m.get(ptx) {
            return Ok(x.clone());
        }
        let module = self
            .ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(|e| CudaError::Driver(format!("loading the PTX module: {e}")))?;
        m.insert(ptx.to_string(), module.clone());
        Ok(module)
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
        self.ctx.bind_to_thread().map_err(e)?;
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

impl Linker for CudaLinker {
    fn name(&self) -> &'static str {
        "cuda"
    }
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, LinkError> {
        let dev = device().map_err(link_error)?;
        let linked = link_program(&program).map_err(link_error)?;
        let ptx = &linked.text;
        let module = dev.module(ptx).map_err(link_error)?;
        let mut funcs = HashMap::new();
        for k in &linked.kernels {
            let f = module
                .load_function(&k.name)
                .map_err(|e| link_error(format!("kernel {}: {e}", k.name)))?;
            funcs.insert(k.name.clone(), f);
        }
        if self.dump_ptx {
            let n = theano_exec::dump::next_id();
            theano_exec::dump::write(self.dump_dir.as_deref(), "cuda", n, "ptx", ptx)
                .map_err(link_error)?;
        }
        let ops = CudaOps { dev, funcs };
        let rt = Runtime::new(Arc::new(ops), program, linked).map_err(link_error)?;
        Ok(Box::new(rt))
    }
}

/// The runtime's device operations on the CUDA device, for one program's module.
struct CudaOps {
    dev: Arc<Device>,
    funcs: HashMap<String, CudaFunction>,
}

// SAFETY: the device handles are used under the device's lock only (`begin`).
unsafe impl Send for CudaOps {}
unsafe impl Sync for CudaOps {}

/// A device buffer. Dropping it frees it (`cuMemFreeAsync` on the stream), which may happen
/// on any thread: a shared variable's device copy dies with `set_value` or the variable. The
/// driver needs the context current for that, and cudarc records a failed free as an error
/// every later call then returns; so the context is made current first.
struct DevBuf {
    slice: CudaSlice<u8>,
    ctx: Arc<CudaContext>,
}

impl Drop for DevBuf {
    fn drop(&mut self) {
        // an error here was recorded by cudarc already and is reported by the next call
        let _ = self.ctx.bind_to_thread();
    }
}

fn buf(slice: CudaSlice<u8>, dev: &Device) -> (Buf, u64) {
    let base = slice.device_ptr(&dev.stream).0;
    let b = DevBuf {
        slice,
        ctx: dev.ctx.clone(),
    };
    (Arc::new(b), base)
}

fn slice_of(buf: &Buf) -> Result<&CudaSlice<u8>, String> {
    buf.downcast_ref::<DevBuf>()
        .map(|b| &b.slice)
        .ok_or_else(|| "a buffer of another device".to_string())
}

fn op(t: bool) -> cb::cublasOperation_t {
    if t {
        cb::cublasOperation_t::CUBLAS_OP_T
    } else {
        cb::cublasOperation_t::CUBLAS_OP_N
    }
}

fn status(s: cb::cublasStatus_t) -> Result<(), String> {
    if s == cb::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(format!("cuBLAS: {s:?}"))
    }
}

impl DeviceOps for CudaOps {
    fn memory(&self) -> u64 {
        // the one device every function runs on
        Arc::as_ptr(&self.dev) as u64
    }
    fn begin(&self) -> Result<Box<dyn Held + '_>, String> {
        let g = self.dev.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.dev.ctx.bind_to_thread().map_err(drv)?;
        Ok(Box::new(g))
    }
    fn alloc(&self, bytes: usize) -> Result<(Buf, u64), String> {
        let s = &self.dev.stream;
        // SAFETY: the runtime writes every element of a buffer from `alloc` before reading
        // it (kernel outputs, cuBLAS outputs with beta = 0, device copies); bytes are plain
        // data, so undefined contents are no undefined behaviour on the host side.
        let slice = unsafe { s.alloc::<u8>(bytes.max(1)) }.map_err(drv)?;
        Ok(buf(slice, &self.dev))
    }
    fn alloc_zeros(&self, bytes: usize) -> Result<(Buf, u64), String> {
        let s = &self.dev.stream;
        let slice = s.alloc_zeros::<u8>(bytes.max(1)).map_err(drv)?;
        Ok(buf(slice, &self.dev))
    }
    fn upload(&self, bytes: &[u8]) -> Result<(Buf, u64), String> {
        let s = &self.dev.stream;
        let slice = s.clone_htod(bytes).map_err(drv)?;
        Ok(buf(slice, &self.dev))
    }
    fn download(&self, buf: &Buf) -> Result<Vec<u8>, String> {
        let v = self.dev.stream.clone_dtoh(slice_of(buf)?).map_err(drv)?;
        self.dev.stream.synchronize().map_err(drv)?;
        Ok(v)
    }
    fn copy(&self, src: u64, dst: u64, bytes: usize) -> Result<(), String> {
        // SAFETY: both ranges lie in live buffers of this device (the runtime's views).
        unsafe {
            cudarc::driver::result::memcpy_dtod_async(dst, src, bytes, self.dev.stream.cu_stream())
        }
        .map_err(drv)
    }
    fn launch(&self, name: &str, grid: usize, block: u32, params: &[u64]) -> Result<(), String> {
        let f = self
            .funcs
            .get(name)
            .ok_or_else(|| format!("kernel {name} was not loaded"))?;
        let mut b = self.dev.stream.launch_builder(f);
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
    fn blas(&self, call: &BlasCall) -> Result<f64, String> {
        let h = *self.dev.blas.handle();
        // SAFETY: the runtime built the call from live device arrays of these shapes,
        // increments and leading dimensions; scalars are host pointers (cuBLAS's default
        // pointer mode), read (or, for the dot product, written) before the call returns.
        unsafe {
            match *call {
                BlasCall::Gemm {
                    f64: true,
                    ta,
                    tb,
                    m,
                    n,
                    k,
                    alpha,
                    a,
                    lda,
                    b,
                    ldb,
                    beta,
                    c,
                    ldc,
                } => status(cb::cublasDgemm_v2(
                    h,
                    op(ta),
                    op(tb),
                    m,
                    n,
                    k,
                    &alpha,
                    a as _,
                    lda,
                    b as _,
                    ldb,
                    &beta,
                    c as _,
                    ldc,
                ))?,
                BlasCall::Gemm {
                    f64: false,
                    ta,
                    tb,
                    m,
                    n,
                    k,
                    alpha,
                    a,
                    lda,
                    b,
                    ldb,
                    beta,
                    c,
                    ldc,
                } => {
                    let (al, be) = (alpha as f32, beta as f32);
                    status(cb::cublasSgemm_v2(
                        h,
                        op(ta),
                        op(tb),
                        m,
                        n,
                        k,
                        &al,
                        a as _,
                        lda,
                        b as _,
                        ldb,
                        &be,
                        c as _,
                        ldc,
                    ))?
                }
                BlasCall::Gemv {
                    f64: true,
                    trans,
                    m,
                    n,
                    alpha,
                    a,
                    lda,
                    x,
                    incx,
                    beta,
                    y,
                    incy,
                } => status(cb::cublasDgemv_v2(
                    h,
                    op(trans),
                    m,
                    n,
                    &alpha,
                    a as _,
                    lda,
                    x as _,
                    incx,
                    &beta,
                    y as _,
                    incy,
                ))?,
                BlasCall::Gemv {
                    f64: false,
                    trans,
                    m,
                    n,
                    alpha,
                    a,
                    lda,
                    x,
                    incx,
                    beta,
                    y,
                    incy,
                } => {
                    let (al, be) = (alpha as f32, beta as f32);
                    status(cb::cublasSgemv_v2(
                        h,
                        op(trans),
                        m,
                        n,
                        &al,
                        a as _,
                        lda,
                        x as _,
                        incx,
                        &be,
                        y as _,
                        incy,
                    ))?
                }
                BlasCall::Ger {
                    f64: true,
                    m,
                    n,
                    alpha,
                    x,
                    incx,
                    y,
                    incy,
                    a,
                    lda,
                } => status(cb::cublasDger_v2(
                    h, m, n, &alpha, x as _, incx, y as _, incy, a as _, lda,
                ))?,
                BlasCall::Ger {
                    f64: false,
                    m,
                    n,
                    alpha,
                    x,
                    incx,
                    y,
                    incy,
                    a,
                    lda,
                } => {
                    let al = alpha as f32;
                    status(cb::cublasSger_v2(
                        h, m, n, &al, x as _, incx, y as _, incy, a as _, lda,
                    ))?
                }
                BlasCall::Dot {
                    f64: true,
                    n,
                    x,
                    incx,
                    y,
                    incy,
                } => {
                    let mut r = 0f64;
                    status(cb::cublasDdot_v2(h, n, x as _, incx, y as _, incy, &mut r))?;
                    return Ok(r);
                }
                BlasCall::Dot {
                    f64: false,
                    n,
                    x,
                    incx,
                    y,
                    incy,
                } => {
                    let mut r = 0f32;
                    status(cb::cublasSdot_v2(h, n, x as _, incx, y as _, incy, &mut r))?;
                    return Ok(r as f64);
                }
            }
        }
        Ok(0.0)
    }
    fn sync(&self) -> Result<(), String> {
        self.dev.stream.synchronize().map_err(drv)
    }
}
