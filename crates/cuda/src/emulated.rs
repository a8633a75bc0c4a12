//! The GPU runtime on theano-ptx's emulator: [`EmuLinker`] links a program exactly as the
//! CUDA linker does (the same kernels, launches, parameters, storage plan and fallbacks, the
//! runtime of `runtime.rs`), with device memory and launches on the host (`theano_ptx::emu`)
//! and the BLAS calls computed on the host in cuBLAS's column-major terms. It is slow (every
//! GPU thread is interpreted) and meant for tests: it checks everything but cudarc and
//! cuBLAS themselves on machines without a GPU.

use crate::runtime::{link_program, BlasCall, Buf, DeviceOps, Held, Runtime};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use theano_exec::{Executable, LinkError, Linker, Program};
use theano_ptx::emu::{self, Dims, Memory};
use theano_ptx::Kernel;

/// Links programs onto an emulated device: a fresh one per program (`EmuLinker::default()`),
/// or, as every function on CUDA shares device 0, one [`EmuDevice`] shared by every program
/// linked with [`EmuLinker::on`] (so a shared variable's device copy outlives one function).
#[derive(Clone, Debug, Default)]
pub struct EmuLinker {
    device: Option<EmuDevice>,
}

impl EmuLinker {
    /// A linker onto `device`.
    pub fn on(device: &EmuDevice) -> EmuLinker {
        EmuLinker {
            device: Some(device.clone()),
        }
    }
}

/// An emulated device: one memory, used by one call at a time; cheap to clone (a handle).
#[derive(Clone, Debug)]
pub struct EmuDevice(Arc<DeviceState>);

#[derive(Debug)]
struct DeviceState {
    id: u64,
    mem: Arc<Mutex<Memory>>,
    lock: Mutex<()>,
    uploaded: AtomicU64,
    downloaded: AtomicU64,
}

impl Default for EmuDevice {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        EmuDevice(Arc::new(DeviceState {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            mem: Arc::new(Mutex::new(Memory::default())),
            lock: Mutex::new(()),
            uploaded: AtomicU64::new(0),
            downloaded: AtomicU64::new(0),
        }))
    }
}

impl EmuDevice {
    /// A new device with an empty memory.
    pub fn new() -> EmuDevice {
        EmuDevice::default()
    }
    /// Bytes copied host to device and device to host so far.
    pub fn transfers(&self) -> (u64, u64) {
        (
            self.0.uploaded.load(Ordering::Relaxed),
            self.0.downloaded.load(Ordering::Relaxed),
        )
    }
}

fn link_error(e: impl std::fmt::Display) -> LinkError {
    LinkError {
        linker: "cuda-emu",
        message: e.to_string(),
    }
}

impl Linker for EmuLinker {
    fn name(&self) -> &'static str {
        "cuda-emu"
    }
    fn link(&self, program: Program) -> Result<Box<dyn Executable>, LinkError> {
        let mut linked = link_program(&program).map_err(link_error)?;
        let ops = EmuOps {
            kernels: (linked.kernels.drain(..))
                .map(|k| (k.name.clone(), k))
                .collect(),
            device: self.device.clone().unwrap_or_default(),
        };
        let rt = Runtime::new(Arc::new(ops), program, linked).map_err(link_error)?;
        Ok(Box::new(rt))
    }
}

struct EmuOps {
    kernels: HashMap<String, Kernel>,
    device: EmuDevice,
}

impl EmuOps {
    fn mem(&self) -> Result<std::sync::MutexGuard<'_, Memory>, String> {
        self.device
            .0
            .mem
            .lock()
            .map_err(|_| "emulated memory poisoned".into())
    }
}

/// A buffer of the emulated memory; emptied when dropped (a later access faults).
struct EmuBuf {
    idx: usize,
    mem: Arc<Mutex<Memory>>,
}

impl Drop for EmuBuf {
    fn drop(&mut self) {
        if let Ok(mut m) = self.mem.lock() {
            if let Some(b) = m.bufs.get_mut(self.idx) {
                *b = Vec::new();
            }
        }
    }
}

const SHIFT: u32 = 40;

/// (buffer, byte offset) of an address.
fn decode(addr: u64) -> (usize, usize) {
    (
        ((addr >> SHIFT) as usize).wrapping_sub(1),
        (addr & ((1 << SHIFT) - 1)) as usize,
    )
}

fn rd(m: &Memory, addr: u64, f64_: bool) -> Result<f64, String> {
    let (b, off) = decode(addr);
    let sz = if f64_ { 8 } else { 4 };
    let bytes = m
        .bufs
        .get(b)
        .and_then(|v| v.get(off..off + sz))
        .ok_or_else(|| format!("BLAS read out of bounds at {addr:#x}"))?;
    Ok(if f64_ {
        f64::from_le_bytes(bytes.try_into().expect("8 bytes"))
    } else {
        f32::from_le_bytes(bytes.try_into().expect("4 bytes")) as f64
    })
}

fn wr(m: &mut Memory, addr: u64, f64_: bool, v: f64) -> Result<(), String> {
    let (b, off) = decode(addr);
    let sz = if f64_ { 8 } else { 4 };
    let bytes = m
        .bufs
        .get_mut(b)
        .and_then(|v| v.get_mut(off..off + sz))
        .ok_or_else(|| format!("BLAS write out of bounds at {addr:#x}"))?;
    if f64_ {
        bytes.copy_from_slice(&v.to_le_bytes());
    } else {
        bytes.copy_from_slice(&(v as f32).to_le_bytes());
    }
    Ok(())
}

/// Element `k` of a strided array at `base` (`step` elements apart).
fn at(base: u64, k: i64, step: i64, f64_: bool) -> u64 {
    let sz = if f64_ { 8 } else { 4 };
    (base as i64 + k * step * sz) as u64
}

impl EmuOps {
    fn new_buf(&self, bytes: Vec<u8>) -> Result<(Buf, u64), String> {
        let idx = self.mem()?.alloc(bytes);
        let buf = EmuBuf {
            idx,
            mem: self.device.0.mem.clone(),
        };
        Ok((Arc::new(buf), Memory::addr(idx, 0)))
    }
}

impl DeviceOps for EmuOps {
    fn memory(&self) -> u64 {
        self.device.0.id
    }
    fn begin(&self) -> Result<Box<dyn Held + '_>, String> {
        Ok(Box::new(
            self.device.0.lock.lock().unwrap_or_else(|e| e.into_inner()),
        ))
    }
    /// Filled with 0xff bytes (NaN floats, -1 integers, an invalid bool), so that a kernel
    /// leaving an element of its output unwritten shows in the tests.
    fn alloc(&self, bytes: usize) -> Result<(Buf, u64), String> {
        self.new_buf(vec![0xff; bytes.max(1)])
    }
    fn alloc_zeros(&self, bytes: usize) -> Result<(Buf, u64), String> {
        self.new_buf(vec![0; bytes.max(1)])
    }
    fn upload(&self, bytes: &[u8]) -> Result<(Buf, u64), String> {
        (self.device.0.uploaded).fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.new_buf(bytes.to_vec())
    }
    fn download(&self, buf: &Buf) -> Result<Vec<u8>, String> {
        let b = buf
            .downcast_ref::<EmuBuf>()
            .ok_or("a buffer of another device")?;
        let data = self.mem()?.bufs[b.idx].clone();
        (self.device.0.downloaded).fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(data)
    }
    fn copy(&self, src: u64, dst: u64, bytes: usize) -> Result<(), String> {
        let mut m = self.mem()?;
        let ((sb, so), (db, dof)) = (decode(src), decode(dst));
        let data = m
            .bufs
            .get(sb)
            .and_then(|v| v.get(so..so + bytes))
            .ok_or("copy from outside a buffer")?
            .to_vec();
        m.bufs
            .get_mut(db)
            .and_then(|v| v.get_mut(dof..dof + bytes))
            .ok_or("copy to outside a buffer")?
            .copy_from_slice(&data);
        Ok(())
    }
    fn launch(&self, name: &str, grid: usize, block: u32, params: &[u64]) -> Result<(), String> {
        let k = self
            .kernels
            .get(name)
            .ok_or_else(|| format!("kernel {name} is not in the module"))?;
        let mut m = self.mem()?;
        let dims = Dims {
            grid: grid.clamp(1, 65535) as u32,
            block,
        };
        emu::launch(k, dims, params, &mut m).map_err(|e| e.to_string())
    }
    fn blas(&self, call: &BlasCall) -> Result<f64, String> {
        let mut m = self.mem()?;
        let m = &mut *m;
        match *call {
            BlasCall::Gemm {
                f64: f,
                ta,
                tb,
                m: rows,
                n: cols,
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
                let (lda, ldb, ldc) = (lda as i64, ldb as i64, ldc as i64);
                for j in 0..cols as i64 {
                    for i in 0..rows as i64 {
                        let mut s = 0.0;
                        for l in 0..k as i64 {
                            let ea = if ta { l + i * lda } else { i + l * lda };
                            let eb = if tb { j + l * ldb } else { l + j * ldb };
                            s += rd(m, at(a, ea, 1, f), f)? * rd(m, at(b, eb, 1, f), f)?;
                        }
                        let pc = at(c, i + j * ldc, 1, f);
                        let old = if beta == 0.0 {
                            0.0
                        } else {
                            beta * rd(m, pc, f)?
                        };
                        wr(m, pc, f, alpha * s + old)?;
                    }
                }
                Ok(0.0)
            }
            BlasCall::Gemv {
                f64: f,
                trans,
                m: rows,
                n: cols,
                alpha,
                a,
                lda,
                x,
                incx,
                beta,
                y,
                incy,
            } => {
                let lda = lda as i64;
                let (outs, ins) = if trans { (cols, rows) } else { (rows, cols) };
                for o in 0..outs as i64 {
                    let mut s = 0.0;
                    for q in 0..ins as i64 {
                        let e = if trans { q + o * lda } else { o + q * lda };
                        s += rd(m, at(a, e, 1, f), f)? * rd(m, at(x, q, incx as i64, f), f)?;
                    }
                    let py = at(y, o, incy as i64, f);
                    let old = if beta == 0.0 {
                        0.0
                    } else {
                        beta * rd(m, py, f)?
                    };
                    wr(m, py, f, alpha * s + old)?;
                }
                Ok(0.0)
            }
            BlasCall::Ger {
                f64: f,
                m: rows,
                n: cols,
                alpha,
                x,
                incx,
                y,
                incy,
                a,
                lda,
            } => {
                for j in 0..cols as i64 {
                    for i in 0..rows as i64 {
                        let pa = at(a, i + j * lda as i64, 1, f);
                        let v = rd(m, pa, f)?
                            + alpha
                                * rd(m, at(x, i, incx as i64, f), f)?
                                * rd(m, at(y, j, incy as i64, f), f)?;
                        wr(m, pa, f, v)?;
                    }
                }
                Ok(0.0)
            }
            BlasCall::Dot {
                f64: f,
                n,
                x,
                incx,
                y,
                incy,
            } => {
                let mut s = 0.0;
                for k in 0..n as i64 {
                    s += rd(m, at(x, k, incx as i64, f), f)? * rd(m, at(y, k, incy as i64, f), f)?;
                }
                Ok(s)
            }
        }
    }
    fn sync(&self) -> Result<(), String> {
        Ok(())
    }
}
