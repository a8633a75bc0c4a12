//! theano-jit: elementwise kernels compiled to native code with Cranelift.
//!
//! A [`KernelSet`] owns one `JITModule` (one per compiled `Function`); [`KernelSet::add`]
//! lowers one `Elemwise` scalar op (a single [`ScalarOp`] or a fused `Composite`) for given
//! input dtypes into two native functions:
//!
//! - the **flat** loop `fn(n, ins: *const *const u8, out: *mut u8)`: every input is either
//!   C-contiguous with the output's shape or (by its type) a size-1 broadcast scalar; runs
//!   128-bit vectors (f64x2, f32x4) with a scalar tail when the body allows;
//! - the **strided row** `fn(n, ins, strides: *const i64, out, out_stride)`: one row of `n`
//!   elements with arbitrary byte strides (0 for broadcasting, negative for reversed); Rust
//!   walks the outer dimensions.
//!
//! [`KernelSet::run`] checks dtypes and shapes in Rust (numpy broadcasting), allocates the
//! C-contiguous output and only then calls generated code. Anything not lowered is
//! [`JitError::Unsupported`]: the caller runs the interpreter for that node instead.

mod alloc;
pub mod blas;
pub mod cpu;
mod gen;
mod gen_reduce;
mod gen_softmax;
mod helpers;
mod hoist;
pub mod hot;
mod linker;
mod lower;
mod math;
mod native;
mod runtime;
mod wide;

/// Whether this host has what the wide path's AVX-512 helpers need (`avx512f`, `avx512dq`,
/// `avx512vl`, `avx2`, `fma`, detected at run time); without it kernels keep the inline
/// 128-bit loop throughout.
pub fn wide_available() -> bool {
    wide::available()
}

pub use gen::KeepAlive;
pub use gen_reduce::PAR_REDUCE;
pub use linker::JitLinker;
pub use native::{native_kernel, standalone_kernel};
pub use theano_exec::kernel::{NativeKernel, Shape, View, MAX_NDIM, MAX_OUTPUTS};

use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};
use lower::{block_i64, clif_ty, mem, Calls, Emitter, Prog};
use std::collections::HashMap;
use std::sync::Arc;
use theano_ir::ScalarOp;
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{with_dtype, DType, Element, Tensor};

/// Why a kernel was not compiled or not run (the exec crate's kernel contract).
pub use theano_exec::kernel::KernelError as JitError;

type FlatFn = unsafe extern "C" fn(usize, *const *const u8, *mut u8);
type RowFn = unsafe extern "C" fn(usize, *const *const u8, *const isize, *mut u8, isize);

/// Most inputs an elementwise kernel takes through the [`NativeKernel`] interface (fusion
/// builds at most 32); the per-call pointer and stride tables live on the stack.
pub const MAX_KERNEL_INPUTS: usize = 64;

/// Loops over at least this many output elements are split across the threads of rayon's
/// global pool (one chunk per thread); smaller ones run on the calling thread and pay no
/// synchronisation (docs/JIT.md has the measurement behind the figure).
pub const PARALLEL_MIN_ELEMENTS: usize = 1 << 18;

/// A smaller flat loop whose estimated work (elements times [`Kernel::cost`]) reaches this
/// is split over the hot pool ([`hot`]): at the seed's 400 elements, the two-softplus and
/// the sigmoid/exp gradient composites (about 8 and 7 us on one thread); a plain `x - y` of
/// 400 elements stays on the calling thread.
pub const HOT_MIN_WORK: usize = 8000;

/// One compiled elementwise kernel.
pub struct Kernel {
    in_dtypes: Vec<DType>,
    scalar_inputs: Vec<bool>,
    out: DType,
    ids: (FuncId, FuncId),
    native: Option<ElemwiseKernel>,
    /// Whether the flat loop runs 128-bit vectors.
    pub vectorized: bool,
    /// Estimated work per element, in units of about one vector arithmetic instruction: a
    /// transcendental counts 24 (4 through a wide helper), a division or square root 4,
    /// anything else 1; doubled for the scalar (not vectorized) loop.
    pub cost: usize,
    /// Whether the flat loop runs in blocks calling the AVX-512 transcendental helpers
    /// (docs/JIT.md, "Wide transcendentals").
    pub wide: bool,
    /// The Cranelift IR of the flat and strided functions.
    pub clif: String,
    /// The machine code (Cranelift's VCode listing) when text was asked for.
    pub asm: String,
}

/// Owns a `JITModule`; frees its code when the last holder (the [`KernelSet`] and every
/// [`ElemwiseKernel`] handed out) is dropped.
pub(crate) struct CodeOwner(Option<JITModule>);

// SAFETY: the module is only mutated through `&mut` (`Arc::get_mut` in `KernelSet`, i.e.
// while nothing else shares it); finalized code is immutable and the kernels are pure
// functions of their arguments, so sharing the owner between threads is sound.
unsafe impl Send for CodeOwner {}
unsafe impl Sync for CodeOwner {}

impl Drop for CodeOwner {
    fn drop(&mut self) {
        if let Some(m) = self.0.take() {
            // SAFETY: every function pointer into the module is held by a `Kernel` of the
            // set or an `ElemwiseKernel`, each of which keeps this owner alive: we are the
            // last holder, so no pointer into the code can be called any more.
            unsafe { m.free_memory() };
        }
    }
}

/// The kernels of one function and the JIT module holding their code; the code is freed
/// when the set and every [`ElemwiseKernel`] taken from it are dropped.
pub struct KernelSet {
    module: Arc<CodeOwner>,
    kernels: Vec<Kernel>,
    /// The generated native kernels (crate::gen), in the order added.
    natives: Vec<Native>,
    /// Generated kernels attempted so far, failed ones included: each gets its own name
    /// prefix (`n{i}_`), so a failure half-way through one leaves no clash for the next.
    native_names: usize,
    keep_text: bool,
    finalized: bool,
    wide: bool,
}

/// A generated native kernel of a [`KernelSet`]: its description, its functions and (once
/// finalized) their addresses.
struct Native {
    spec: Box<dyn gen::GenSpec>,
    ids: Vec<FuncId>,
    addrs: Vec<usize>,
    clif: String,
    asm: String,
}

/// A placeholder view (no elements, never dereferenced).
fn empty_view() -> View {
    View {
        ptr: std::ptr::null_mut(),
        dtype: DType::Bool,
        ndim: 0,
        shape: [0; MAX_NDIM],
        strides: [0; MAX_NDIM],
    }
}

impl KernelSet {
    /// An empty set for the host CPU. `keep_text` keeps each kernel's IR and disassembly.
    pub fn new(keep_text: bool) -> Result<KernelSet, JitError> {
        let cg = |e: &dyn std::fmt::Display| JitError::Codegen(e.to_string());
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(|e| cg(&e))?;
        // Cranelift's IR verifier runs in debug and test builds (where a lowering bug should
        // stop at its cause); release builds skip it (a sixth of the compile time).
        flags
            .set(
                "enable_verifier",
                if cfg!(debug_assertions) {
                    "true"
                } else {
                    "false"
                },
            )
            .map_err(|e| cg(&e))?;
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(|e| cg(&e))?;
        flags.set("is_pic", "false").map_err(|e| cg(&e))?;
        // the host's features, capped by THEANO_JIT_CPU (crate::cpu): baseline is x86-64's
        // SSE2 (no FMA, so no inline transcendentals); avx2 turns AVX-512 off
        cpu::cap_from_env().map_err(JitError::Args)?;
        let level = cpu::level();
        let mut ib = cranelift_native::builder_with_options(level > cpu::CpuLevel::Baseline)
            .map_err(|e| cg(&e))?;
        if level < cpu::CpuLevel::Avx512 {
            for f in [
                "has_avx512bitalg",
                "has_avx512dq",
                "has_avx512vl",
                "has_avx512vbmi",
                "has_avx512f",
                "has_avx512vnni",
            ] {
                ib.set(f, "false").map_err(|e| cg(&e))?;
            }
        }
        let isa = ib.finish(settings::Flags::new(flags)).map_err(|e| cg(&e))?;
        let mut jb = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
        for (name, ptr) in helpers::unary_symbols()
            .into_iter()
            .chain(helpers::binary_symbols())
        {
            jb.symbol(name, ptr);
        }
        for (name, ptr) in wide::symbols() {
            jb.symbol(name, ptr);
        }
        Ok(KernelSet {
            module: Arc::new(CodeOwner(Some(JITModule::new(jb)))),
            kernels: Vec::new(),
            natives: Vec::new(),
            native_names: 0,
            keep_text,
            finalized: false,
            // THEANO_JIT_WIDE=0 turns the wide path off (for measuring it against the inline
            // code in one sitting)
            wide: wide::available() && std::env::var_os("THEANO_JIT_WIDE").is_none_or(|v| v != "0"),
        })
    }

    /// Whether kernels added from now on may use the wide path (blocks calling the AVX-512
    /// helpers for exp, tanh and sigmoid); on by default where the host has AVX-512, and
    /// never where it has not. Off, the flat loop runs the inline 128-bit code throughout.
    pub fn set_wide(&mut self, on: bool) {
        self.wide = on && wide::available();
    }

    /// The module, mutably: only while no [`ElemwiseKernel`] handle shares it (the set's
    /// own handles are dropped here and re-made by the next `finalize`).
    fn module_mut<'a>(
        module: &'a mut Arc<CodeOwner>,
        kernels: &mut [Kernel],
    ) -> Result<&'a mut JITModule, JitError> {
        for k in kernels {
            k.native = None;
        }
        Arc::get_mut(module)
            .and_then(|o| o.0.as_mut())
            .ok_or_else(|| {
                JitError::Args(
                    "kernels of this set are in use: add every kernel before taking any".into(),
                )
            })
    }

    /// The compiled elementwise kernels, in the order added.
    pub fn kernels(&self) -> &[Kernel] {
        &self.kernels
    }

    /// The Cranelift IR of every kernel of the set (elementwise, then generated native ones);
    /// empty unless the set keeps text.
    pub fn clif_text(&self) -> String {
        let e = self.kernels.iter().map(|k| k.clif.as_str());
        e.chain(self.natives.iter().map(|n| n.clif.as_str()))
            .collect()
    }

    /// The machine code of every kernel of the set, as [`KernelSet::clif_text`].
    pub fn asm_text(&self) -> String {
        let e = self.kernels.iter().map(|k| k.asm.as_str());
        e.chain(self.natives.iter().map(|n| n.asm.as_str()))
            .collect()
    }

    /// Generate the loops of a native kernel for `op` (reductions, softmax, argmax, the
    /// crossentropy ops: crate::gen) on inputs of `in_types` giving `out_types`. Returns its
    /// index for [`KernelSet::native`]; [`JitError::Unsupported`] where no generator covers
    /// the op and its dtypes. Call [`KernelSet::finalize`] before taking it.
    pub fn add_native(
        &mut self,
        op: &theano_ir::Op,
        in_types: &[theano_ir::TensorType],
        out_types: &[theano_ir::TensorType],
    ) -> Result<usize, JitError> {
        let spec = gen::spec_for(op, in_types, out_types)
            .ok_or_else(|| JitError::Unsupported(format!("no generated kernel for {op:?}")))?;
        let k = self.natives.len();
        let name = format!("n{}", self.native_names);
        self.native_names += 1;
        let keep_text = self.keep_text;
        let module = Self::module_mut(&mut self.module, &mut self.kernels)?;
        let mut g = gen::Gen::new(module, name, keep_text);
        spec.define(&mut g)?;
        let (ids, clif, asm) = (g.ids, g.clif, g.asm);
        self.finalized = false;
        self.natives.push(Native {
            spec,
            ids,
            addrs: Vec::new(),
            clif,
            asm,
        });
        Ok(k)
    }

    /// The generated native kernel for `op` in a module of its own (tests, benchmarks, a
    /// kernel used outside a Function): [`KernelSet::add_native`] on a fresh set, finalized.
    /// The kernel keeps its code alive.
    pub fn generated(
        op: &theano_ir::Op,
        in_types: &[theano_ir::TensorType],
        out_types: &[theano_ir::TensorType],
    ) -> Result<Box<dyn NativeKernel>, JitError> {
        let mut ks = KernelSet::new(false)?;
        let k = ks.add_native(op, in_types, out_types)?;
        ks.finalize()?;
        ks.native(k)
    }

    /// Generated native kernel `k` (from [`KernelSet::add_native`]), keeping the set's code
    /// alive.
    pub fn native(&self, k: usize) -> Result<Box<dyn NativeKernel>, JitError> {
        let n = self
            .natives
            .get(k)
            .ok_or_else(|| JitError::Args(format!("no native kernel {k}")))?;
        if !self.finalized {
            return Err(JitError::Args("the kernel set is not finalized".into()));
        }
        let fns: Vec<*const u8> = n.addrs.iter().map(|&a| a as *const u8).collect();
        Ok(n.spec.finish(&fns, KeepAlive(self.module.clone())))
    }

    /// Lower `Elemwise{op}` for inputs of `in_dtypes` giving `out`; `scalar_inputs[i]` says
    /// input `i` is by its type a size-1 broadcast scalar (every dimension broadcastable).
    /// Returns the kernel's index. Call [`KernelSet::finalize`] before running it.
    pub fn add(
        &mut self,
        op: &ScalarOp,
        in_dtypes: &[DType],
        scalar_inputs: &[bool],
        out: DType,
    ) -> Result<usize, JitError> {
        if scalar_inputs.len() != in_dtypes.len() {
            return Err(JitError::Args("one scalar flag per input".into()));
        }
        if in_dtypes.len() > MAX_KERNEL_INPUTS {
            return Err(JitError::Unsupported(format!(
                "more than {MAX_KERNEL_INPUTS} inputs"
            )));
        }
        let prog = Prog::new(op, in_dtypes)?;
        let k = self.kernels.len();
        let keep_text = self.keep_text;
        let module = Self::module_mut(&mut self.module, &mut self.kernels)?;
        let inline_math = math::inline_math(module.isa());
        // the flat loop computes what is the same at every element once, before the loop
        let hoisted = hoist::hoist(&prog, in_dtypes, scalar_inputs);
        let (fprog, fdts, fscal) = match &hoisted {
            Some(h) => (&h.main, &h.in_dtypes[..], &h.scalar_inputs[..]),
            None => (&prog, in_dtypes, scalar_inputs),
        };
        let vdt = lower::vector_dtype(fprog, fdts, inline_math).filter(|&d| d == out);
        let use_wide = self.wide && vdt.is_some() && wide_plan(fprog, fscal, out).is_some();
        let (flat_id, clif_f, asm_f) = build(
            module,
            &format!("k{k}_flat"),
            &prog,
            in_dtypes,
            scalar_inputs,
            out,
            Loop::Flat {
                vector: vdt.is_some(),
                wide: use_wide,
            },
            hoisted.as_ref(),
            keep_text,
        )?;
        let (row_id, clif_r, asm_r) = build(
            module,
            &format!("k{k}_strided"),
            &prog,
            in_dtypes,
            scalar_inputs,
            out,
            Loop::Row,
            None,
            keep_text,
        )?;
        self.finalized = false;
        self.kernels.push(Kernel {
            in_dtypes: in_dtypes.to_vec(),
            scalar_inputs: scalar_inputs.to_vec(),
            out,
            ids: (flat_id, row_id),
            native: None,
            vectorized: vdt.is_some(),
            cost: prog_cost(fprog, use_wide.then_some(out)) * if vdt.is_some() { 1 } else { 2 },
            wide: use_wide,
            clif: clif_f + &clif_r,
            asm: asm_f + &asm_r,
        });
        Ok(k)
    }

    /// Make every added kernel callable.
    pub fn finalize(&mut self) -> Result<(), JitError> {
        let module = Self::module_mut(&mut self.module, &mut self.kernels)?;
        module
            .finalize_definitions()
            .map_err(|e| JitError::Codegen(e.to_string()))?;
        let ptrs: Vec<(*const u8, *const u8)> = self
            .kernels
            .iter()
            .map(|k| {
                (
                    module.get_finalized_function(k.ids.0),
                    module.get_finalized_function(k.ids.1),
                )
            })
            .collect();
        for n in &mut self.natives {
            n.addrs = n
                .ids
                .iter()
                .map(|&id| module.get_finalized_function(id) as usize)
                .collect();
        }
        for (i, (k, (f, r))) in self.kernels.iter_mut().zip(ptrs).enumerate() {
            // SAFETY: the functions were built with exactly these signatures.
            let (flat, row) = unsafe {
                (
                    std::mem::transmute::<*const u8, FlatFn>(f),
                    std::mem::transmute::<*const u8, RowFn>(r),
                )
            };
            k.native = Some(ElemwiseKernel {
                name: format!("elemwise k{i}"),
                flat,
                row,
                in_dtypes: k.in_dtypes.clone(),
                scalar_inputs: k.scalar_inputs.clone(),
                out: k.out,
                inplace: None,
                cost: k.cost,
                _code: self.module.clone(),
            });
        }
        self.finalized = true;
        Ok(())
    }

    /// Kernel `k` as a [`NativeKernel`] that may write its output over input `inplace` (the
    /// op's `Elemwise{..}[(0, i)]` pattern). The handle keeps the set's code alive.
    pub fn elemwise(&self, k: usize, inplace: Option<usize>) -> Result<ElemwiseKernel, JitError> {
        let kern = self
            .kernels
            .get(k)
            .ok_or_else(|| JitError::Args(format!("no kernel {k}")))?;
        match (&kern.native, self.finalized) {
            (Some(n), true) => Ok(ElemwiseKernel {
                inplace: inplace.filter(|&i| i < n.in_dtypes.len()),
                ..n.clone()
            }),
            _ => Err(JitError::Args("the kernel set is not finalized".into())),
        }
    }

    /// Run kernel `k` on `ins`: numpy broadcasting, a fresh C-contiguous output.
    pub fn run(&self, k: usize, ins: &[&Tensor]) -> Result<Tensor, JitError> {
        let kern = self.elemwise(k, None)?;
        if ins.len() > MAX_KERNEL_INPUTS {
            return Err(JitError::Args(format!(
                "more than {MAX_KERNEL_INPUTS} inputs"
            )));
        }
        let mut views = [empty_view(); MAX_KERNEL_INPUTS];
        for (v, t) in views.iter_mut().zip(ins) {
            *v = View::of(t)
                .ok_or_else(|| JitError::Args(format!("more than {MAX_NDIM} dimensions")))?;
        }
        let views = &views[..ins.len()];
        let shape = kern.out_shape(views)?;
        let t = with_dtype!(kern.out, T => {
            let mut a = ArrayD::<T>::uninit(IxDyn(shape.as_slice()));
            let out = View::contiguous(a.as_mut_ptr().cast::<u8>(), kern.out, shape.as_slice())
                .ok_or_else(|| JitError::Args(format!("more than {MAX_NDIM} dimensions")))?;
            // SAFETY: `out_shape` accepted the views (taken from live tensors, so valid for
            // reads); `out` is a fresh C-contiguous array of that shape and the output dtype,
            // overlapping no input.
            unsafe { kern.run(views, &out) };
            // SAFETY: the kernel wrote every element (or there are none).
            T::into_tensor(unsafe { a.assume_init() })
        });
        Ok(t)
    }
}

/// An elementwise kernel of a [`KernelSet`] behind the [`NativeKernel`] interface: numpy
/// broadcasting, the flat loop when every input is C-contiguous with the output's shape (or
/// a scalar by its type), strided rows otherwise; loops over at least
/// [`PARALLEL_MIN_ELEMENTS`] elements are split across rayon's threads. Keeps the set's
/// code alive.
#[derive(Clone)]
pub struct ElemwiseKernel {
    name: String,
    flat: FlatFn,
    row: RowFn,
    in_dtypes: Vec<DType>,
    scalar_inputs: Vec<bool>,
    out: DType,
    inplace: Option<usize>,
    cost: usize,
    _code: Arc<CodeOwner>,
}

impl std::fmt::Debug for ElemwiseKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ElemwiseKernel({})", self.name)
    }
}

/// A raw pointer that may cross into rayon's threads.
#[derive(Clone, Copy)]
struct SendPtr(*mut u8);
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
fn prog_cost(p: &lower::Prog, wide: Option<DType>) -> usize {
    p.instrs
        .iter()
        .map(|(op, _)| {
            if wide.is_some_and(|d| wide::helper(op, d).is_some()) {
                4
            } else if lower::math_func(op).is_some() {
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
fn split(n: usize, chunks: usize, align: usize, hot: bool, f: &(dyn Fn(usize, usize) + Sync)) {
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
        let (inner, outer) = if nd == 0 {
            (1, &[][..])
        } else {
            (out.shape[nd - 1], &out.shape[..nd - 1])
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

#[derive(Clone, Copy)]
enum Loop {
    Flat { vector: bool, wide: bool },
    Row,
}

/// Build, verify and define one function; returns its id, IR text and VCode text.
fn build(
    module: &mut JITModule,
    name: &str,
    prog: &Prog,
    in_dtypes: &[DType],
    scalar_inputs: &[bool],
    out: DType,
    kind: Loop,
    hoisted: Option<&hoist::Hoisted>,
    keep_text: bool,
) -> Result<(FuncId, String, String), JitError> {
    let cg = |e: &dyn std::fmt::Display| JitError::Codegen(format!("{name}: {e}"));
    let ptr = module.target_config().pointer_type();
    let frontend = module.isa().frontend_config();
    let mut ctx = module.make_context();
    let n_params = match kind {
        Loop::Flat { .. } => 3,
        Loop::Row => 5,
    };
    for _ in 0..n_params {
        ctx.func.signature.params.push(AbiParam::new(ptr));
    }
    let sig = ctx.func.signature.clone();
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let mut calls = Calls {
            module,
            refs: HashMap::new(),
        };
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params: Vec<Value> = b.block_params(entry).to_vec();
        let (n, ins_p, out_p) = match kind {
            Loop::Flat { .. } => (params[0], params[1], params[2]),
            Loop::Row => (params[0], params[1], params[3]),
        };
        let k_ptr = in_dtypes.len();
        let mut ptrs: Vec<Value> = (0..k_ptr)
            .map(|i| b.ins().load(ptr, mem(), ins_p, (8 * i) as i32))
            .collect();
        let exit = b.create_block();
        match kind {
            Loop::Flat { vector, wide } => {
                // broadcast scalars are loaded once, and the hoisted instructions computed
                // from them (crate::hoist): the loops run `prog` on the kernel's inputs
                // followed by the hoisted values
                let mut scal: Vec<Option<Value>> = (0..k_ptr)
                    .map(|i| {
                        scalar_inputs[i]
                            .then(|| b.ins().load(clif_ty(in_dtypes[i]), mem(), ptrs[i], 0))
                    })
                    .collect();
                let (prog, in_dtypes, scalar_inputs) = match hoisted {
                    Some(h) => {
                        let dummy = b.ins().iconst(types::I64, 0);
                        let vals: Vec<Value> = scal.iter().map(|s| s.unwrap_or(dummy)).collect();
                        let mut em = Emitter {
                            calls: &mut calls,
                            vector: false,
                        };
                        let temps = em.program_temps(&mut b, &h.pre, &vals, in_dtypes)?;
                        scal.extend(h.extra.iter().map(|&t| Some(temps[t])));
                        ptrs.extend(h.extra.iter().map(|_| dummy));
                        (&h.main, &h.in_dtypes[..], &h.scalar_inputs[..])
                    }
                    None => (prog, in_dtypes, scalar_inputs),
                };
                let k = in_dtypes.len();
                // an input the loop body never reads is neither loaded nor splat
                let used = hoist::used_inputs(prog, k);
                let unused = b.ins().iconst(types::I64, 0);
                let tail = block_i64(&mut b, 1);
                if vector {
                    let (vt, lanes) = match out {
                        DType::Float64 => (types::F64X2, 2i64),
                        _ => (types::F32X4, 4i64),
                    };
                    let splats: Vec<Option<Value>> = scal
                        .iter()
                        .zip(&used)
                        .map(|(s, &u)| s.filter(|_| u).map(|s| b.ins().splat(vt, s)))
                        .collect();
                    let mask = b.ins().iconst(types::I64, -lanes);
                    let nvec = b.ins().band(n, mask);
                    let hdr = block_i64(&mut b, 1);
                    let body = b.create_block();
                    let zero = b.ins().iconst(types::I64, 0);
                    b.ins().jump(hdr, &[zero.into()]);
                    b.switch_to_block(hdr);
                    let i = b.block_params(hdr)[0];
                    let c = b.ins().icmp(
                        cranelift_codegen::ir::condcodes::IntCC::UnsignedLessThan,
                        i,
                        nvec,
                    );
                    b.ins().brif(c, body, &[], tail, &[i.into()]);
                    b.switch_to_block(body);
                    if wide {
                        let plan = wide_plan(prog, scalar_inputs, out)
                            .ok_or_else(|| cg(&"no wide plan"))?;
                        emit_wide(
                            &mut b,
                            &mut calls,
                            prog,
                            in_dtypes,
                            out,
                            &plan,
                            WideCtx {
                                blk: i,
                                nvec,
                                hdr,
                                ptrs: &ptrs,
                                splats: &splats,
                                out_p,
                                vt,
                                lanes,
                            },
                        )?;
                    } else {
                        let es = b.ins().iconst(types::I64, out.itemsize() as i64);
                        let off = b.ins().imul(i, es);
                        let vals: Vec<Value> = (0..k)
                            .map(|j| match splats[j] {
                                _ if !used[j] => unused,
                                Some(s) => s,
                                None => {
                                    let a = b.ins().iadd(ptrs[j], off);
                                    b.ins().load(vt, mem(), a, 0)
                                }
                            })
                            .collect();
                        let mut em = Emitter {
                            calls: &mut calls,
                            vector: true,
                        };
                        let r = em.program(&mut b, prog, &vals, in_dtypes, out)?;
                        let oa = b.ins().iadd(out_p, off);
                        b.ins().store(mem(), r, oa, 0);
                        let l = b.ins().iconst(types::I64, lanes);
                        let i2 = b.ins().iadd(i, l);
                        b.ins().jump(hdr, &[i2.into()]);
                    }
                } else {
                    let zero = b.ins().iconst(types::I64, 0);
                    b.ins().jump(tail, &[zero.into()]);
                }
                // scalar loop (the whole loop, or the vector loop's tail)
                b.switch_to_block(tail);
                let i = b.block_params(tail)[0];
                let body = b.create_block();
                let c = b.ins().icmp(
                    cranelift_codegen::ir::condcodes::IntCC::UnsignedLessThan,
                    i,
                    n,
                );
                b.ins().brif(c, body, &[], exit, &[]);
                b.switch_to_block(body);
                let vals: Vec<Value> = (0..k)
                    .map(|j| match scal[j] {
                        _ if !used[j] => unused,
                        Some(s) => s,
                        None => {
                            let es = b.ins().iconst(types::I64, in_dtypes[j].itemsize() as i64);
                            let off = b.ins().imul(i, es);
                            let a = b.ins().iadd(ptrs[j], off);
                            b.ins().load(clif_ty(in_dtypes[j]), mem(), a, 0)
                        }
                    })
                    .collect();
                let mut em = Emitter {
                    calls: &mut calls,
                    vector: false,
                };
                let r = em.program(&mut b, prog, &vals, in_dtypes, out)?;
                let es = b.ins().iconst(types::I64, out.itemsize() as i64);
                let off = b.ins().imul(i, es);
                let oa = b.ins().iadd(out_p, off);
                b.ins().store(mem(), r, oa, 0);
                let one = b.ins().iconst(types::I64, 1);
                let i2 = b.ins().iadd(i, one);
                b.ins().jump(tail, &[i2.into()]);
            }
            Loop::Row => {
                let k = k_ptr;
                let st_p = params[2];
                let out_st = params[4];
                let strides: Vec<Value> = (0..k)
                    .map(|i| b.ins().load(types::I64, mem(), st_p, (8 * i) as i32))
                    .collect();
                let hdr = block_i64(&mut b, 1);
                let body = b.create_block();
                let zero = b.ins().iconst(types::I64, 0);
                b.ins().jump(hdr, &[zero.into()]);
                b.switch_to_block(hdr);
                let i = b.block_params(hdr)[0];
                let c = b.ins().icmp(
                    cranelift_codegen::ir::condcodes::IntCC::UnsignedLessThan,
                    i,
                    n,
                );
                b.ins().brif(c, body, &[], exit, &[]);
                b.switch_to_block(body);
                let vals: Vec<Value> = (0..k)
                    .map(|j| {
                        let off = b.ins().imul(i, strides[j]);
                        let a = b.ins().iadd(ptrs[j], off);
                        b.ins().load(clif_ty(in_dtypes[j]), mem(), a, 0)
                    })
                    .collect();
                let mut em = Emitter {
                    calls: &mut calls,
                    vector: false,
                };
                let r = em.program(&mut b, prog, &vals, in_dtypes, out)?;
                let off = b.ins().imul(i, out_st);
                let oa = b.ins().iadd(out_p, off);
                b.ins().store(mem(), r, oa, 0);
                let one = b.ins().iconst(types::I64, 1);
                let i2 = b.ins().iadd(i, one);
                b.ins().jump(hdr, &[i2.into()]);
            }
        }
        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(frontend);
    }
    let clif = if keep_text {
        format!("; {name}\n{}\n", ctx.func.display())
    } else {
        String::new()
    };
    let id = module
        .declare_function(name, Linkage::Local, &sig)
        .map_err(|e| cg(&e))?;
    ctx.set_disasm(keep_text);
    module.define_function(id, &mut ctx).map_err(|e| match e {
        cranelift_module::ModuleError::Compilation(ce) => {
            cg(&format!("{ce:?}\n{}", ctx.func.display()))
        }
        e => cg(&e),
    })?;
    let asm = if keep_text {
        let v = ctx
            .compiled_code()
            .and_then(|c| c.vcode.clone())
            .unwrap_or_default();
        format!("; {name}\n{v}\n")
    } else {
        String::new()
    };
    module.clear_context(&mut ctx);
    Ok((id, clif, asm))
}

/// One step of the wide loop's block: a run of instructions inline over the block, or one
/// instruction as a call to its block helper.
enum Group {
    /// Instruction indices evaluated in one inner vector loop; `Some(t)`: that loop also
    /// stores temp `t` (the program's result) to the output.
    Run(Vec<usize>, Option<usize>),
    /// Instruction `k` through its helper `name`.
    Call(usize, &'static str),
}

/// How the wide loop evaluates a program: its groups in order, and the scratch buffer of
/// every temp that crosses a group boundary (helper results included).
struct WidePlan {
    groups: Vec<Group>,
    slot: Vec<Option<usize>>,
    nslots: usize,
}

/// The wide plan of `prog`, if it has a helper instruction (exp, tanh or sigmoid of a
/// non-scalar operand in float64/float32) and needs at most `wide::MAX_SLOTS` buffers.
fn wide_plan(prog: &Prog, scalar_inputs: &[bool], out: DType) -> Option<WidePlan> {
    use theano_ir::Operand;
    let n = prog.instrs.len();
    let helper: Vec<Option<&'static str>> = prog
        .instrs
        .iter()
        .map(|(op, args)| {
            let ok = args.len() == 1
                && match args[0] {
                    Operand::Input(i) => !scalar_inputs.get(i).copied().unwrap_or(true),
                    Operand::Temp(_) => true,
                };
            wide::helper(op, out).filter(|_| ok)
        })
        .collect();
    if helper.iter().all(Option::is_none) {
        return None;
    }
    let mut groups = Vec::new();
    let mut group_of = vec![0usize; n];
    let mut run: Vec<usize> = Vec::new();
    for k in 0..n {
        match helper[k] {
            Some(name) => {
                if !run.is_empty() {
                    groups.push(Group::Run(std::mem::take(&mut run), None));
                }
                group_of[k] = groups.len();
                groups.push(Group::Call(k, name));
            }
            None => {
                group_of[k] = groups.len();
                run.push(k);
            }
        }
    }
    let last = n - 1;
    if helper[last].is_some() {
        // the last helper's buffer copied to the output
        groups.push(Group::Run(Vec::new(), Some(last)));
    } else {
        groups.push(Group::Run(run, Some(last)));
    }
    let mut need = vec![false; n];
    for k in 0..n {
        need[k] |= helper[k].is_some();
        for a in &prog.instrs[k].1 {
            if let Operand::Temp(t) = *a {
                if group_of[t] != group_of[k] {
                    need[t] = true;
                }
            }
        }
    }
    let mut nslots = 0;
    let slot = need
        .iter()
        .map(|&x| {
            x.then(|| {
                nslots += 1;
                nslots - 1
            })
        })
        .collect();
    (nslots <= wide::MAX_SLOTS).then_some(WidePlan {
        groups,
        slot,
        nslots,
    })
}

/// The values the wide block body works with (from the flat vector loop around it).
struct WideCtx<'a> {
    /// The block's first element index (the vector loop header's parameter).
    blk: Value,
    /// Elements the vector part covers (a multiple of `lanes`).
    nvec: Value,
    /// The loop header to jump back to with the next block's index.
    hdr: cranelift_codegen::ir::Block,
    ptrs: &'a [Value],
    splats: &'a [Option<Value>],
    out_p: Value,
    vt: cranelift_codegen::ir::Type,
    lanes: i64,
}

/// The body of one block of the wide loop: `m = min(BLOCK, nvec - blk)` elements (a multiple
/// of `lanes`); each group in order, then a jump to the header with `blk + m`.
fn emit_wide(
    b: &mut FunctionBuilder,
    calls: &mut Calls<'_, JITModule>,
    prog: &Prog,
    in_dtypes: &[DType],
    out: DType,
    plan: &WidePlan,
    c: WideCtx<'_>,
) -> Result<(), JitError> {
    use cranelift_codegen::ir::condcodes::IntCC;
    use cranelift_codegen::ir::{StackSlotData, StackSlotKind};
    use theano_ir::Operand;
    let es = out.itemsize() as i64;
    let buf_bytes = wide::BLOCK * es;
    let size = u32::try_from(plan.nslots as i64 * buf_bytes)
        .map_err(|_| JitError::Codegen("wide scratch too large".into()))?;
    let ss = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, 4));
    let base = b.ins().stack_addr(types::I64, ss, 0);
    let rem = b.ins().isub(c.nvec, c.blk);
    let bl = b.ins().iconst(types::I64, wide::BLOCK);
    let m = b.ins().umin(rem, bl);
    let esv = b.ins().iconst(types::I64, es);
    let boff = b.ins().imul(c.blk, esv);
    let slot_addr = |b: &mut FunctionBuilder, t: usize| -> Result<Value, JitError> {
        let s =
            plan.slot[t].ok_or_else(|| JitError::Codegen("wide: temp without a buffer".into()))?;
        Ok(b.ins().iadd_imm_s(base, s as i64 * buf_bytes))
    };
    for g in &plan.groups {
        match g {
            Group::Call(k, name) => {
                let src = match prog.instrs[*k].1[0] {
                    Operand::Input(i) => b.ins().iadd(c.ptrs[i], boff),
                    Operand::Temp(t) => slot_addr(b, t)?,
                };
                let dst = slot_addr(b, *k)?;
                calls.call_void(b, name, &[src, dst, m])?;
            }
            Group::Run(ks, store) => {
                let ihdr = block_i64(b, 1);
                let ibody = b.create_block();
                let inext = b.create_block();
                let zero = b.ins().iconst(types::I64, 0);
                b.ins().jump(ihdr, &[zero.into()]);
                b.switch_to_block(ihdr);
                let j = b.block_params(ihdr)[0];
                let cond = b.ins().icmp(IntCC::UnsignedLessThan, j, m);
                b.ins().brif(cond, ibody, &[], inext, &[]);
                b.switch_to_block(ibody);
                let joff = b.ins().imul(j, esv);
                let ioff = b.ins().iadd(boff, joff);
                let mut ins: HashMap<usize, Value> = HashMap::new();
                let mut regs: HashMap<usize, Value> = HashMap::new();
                let mut operand = |b: &mut FunctionBuilder,
                                   regs: &HashMap<usize, Value>,
                                   a: Operand|
                 -> Result<Value, JitError> {
                    Ok(match a {
                        Operand::Input(i) => match c.splats[i] {
                            Some(s) => s,
                            None => match ins.get(&i) {
                                Some(&v) => v,
                                None => {
                                    let ad = b.ins().iadd(c.ptrs[i], ioff);
                                    let v = b.ins().load(c.vt, mem(), ad, 0);
                                    ins.insert(i, v);
                                    v
                                }
                            },
                        },
                        Operand::Temp(t) => match regs.get(&t) {
                            Some(&v) => v,
                            None => {
                                let ad = slot_addr(b, t)?;
                                let ad = b.ins().iadd(ad, joff);
                                b.ins().load(c.vt, mem(), ad, 0)
                            }
                        },
                    })
                };
                for &k in ks {
                    let (op, args) = &prog.instrs[k];
                    let mut vals = Vec::with_capacity(args.len());
                    let mut ds = Vec::with_capacity(args.len());
                    for &a in args {
                        vals.push(operand(b, &regs, a)?);
                        ds.push(match a {
                            Operand::Input(i) => in_dtypes[i],
                            Operand::Temp(t) => prog.dtypes[t],
                        });
                    }
                    let mut em = Emitter {
                        calls: &mut *calls,
                        vector: true,
                    };
                    let r = em.instr(b, op, &vals, &ds, prog.dtypes[k])?;
                    regs.insert(k, r);
                    if plan.slot[k].is_some() {
                        let ad = slot_addr(b, k)?;
                        let ad = b.ins().iadd(ad, joff);
                        b.ins().store(mem(), r, ad, 0);
                    }
                }
                if let Some(t) = *store {
                    let v = operand(b, &regs, Operand::Temp(t))?;
                    let ad = b.ins().iadd(c.out_p, ioff);
                    b.ins().store(mem(), v, ad, 0);
                }
                let j2 = b.ins().iadd_imm_s(j, c.lanes);
                b.ins().jump(ihdr, &[j2.into()]);
                b.switch_to_block(inext);
            }
        }
    }
    let next = b.ins().iadd(c.blk, m);
    b.ins().jump(c.hdr, &[next.into()]);
    Ok(())
}
