//! The module of one compiled function's kernels: [`KernelSet`] owns the `JITModule`,
//! compiles elementwise and generated native kernels into it, and hands out kernels that keep
//! its code alive.

use super::*;

/// One compiled elementwise kernel.
pub struct Kernel {
    pub(crate) in_dtypes: Vec<DType>,
    pub(crate) scalar_inputs: Vec<bool>,
    pub(crate) out: DType,
    pub(crate) ids: (FuncId, FuncId),
    pub(crate) native: Option<ElemwiseKernel>,
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
    pub(crate) module: Arc<CodeOwner>,
    pub(crate) kernels: Vec<Kernel>,
    /// The generated native kernels (crate::gen), in the order added.
    pub(crate) natives: Vec<Native>,
    /// Generated kernels attempted so far, failed ones included: each gets its own name
    /// prefix (`n{i}_`), so a failure half-way through one leaves no clash for the next.
    pub(crate) native_names: usize,
    pub(crate) keep_text: bool,
    pub(crate) finalized: bool,
    pub(crate) wide: bool,
}

/// A generated native kernel of a [`KernelSet`]: its description, its functions and (once
/// finalized) their addresses.
pub(crate) struct Native {
    pub(crate) spec: Box<dyn gen::GenSpec>,
    pub(crate) ids: Vec<FuncId>,
    pub(crate) addrs: Vec<usize>,
    pub(crate) clif: String,
    pub(crate) asm: String,
}

/// A placeholder view (no elements, never dereferenced).
pub(crate) fn empty_view() -> View {
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
            .chain(helpers::catalogue_symbols())
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
