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

pub mod blas;
mod helpers;
mod lower;
mod math;
mod native;
pub mod reduce;
mod view;

pub use native::native_kernel;
pub use view::{NativeKernel, Shape, View, MAX_NDIM};

use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};
use lower::{block_i64, clif_ty, mem, Calls, Emitter, Prog};
use std::collections::HashMap;
use theano_ir::ScalarOp;
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{broadcast_shapes, with_array, with_dtype, DType, Element, Tensor};

/// Why a kernel was not compiled or not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JitError {
    /// The op/dtype combination is not lowered: run the interpreter for this node.
    #[error("not lowered by the JIT: {0}")]
    Unsupported(String),
    /// The input dtypes are refused by the op's dtype rules.
    #[error("type error: {0}")]
    Type(String),
    /// Cranelift refused the function (a bug in the lowering).
    #[error("cranelift: {0}")]
    Codegen(String),
    /// The arguments do not fit the kernel (count, dtype, shape, size).
    #[error("{0}")]
    Args(String),
}

type FlatFn = unsafe extern "C" fn(usize, *const *const u8, *mut u8);
type RowFn = unsafe extern "C" fn(usize, *const *const u8, *const isize, *mut u8, isize);

/// One compiled elementwise kernel.
pub struct Kernel {
    in_dtypes: Vec<DType>,
    scalar_inputs: Vec<bool>,
    out: DType,
    ids: (FuncId, FuncId),
    flat: Option<FlatFn>,
    row: Option<RowFn>,
    /// Whether the flat loop runs 128-bit vectors.
    pub vectorized: bool,
    /// The Cranelift IR of the flat and strided functions.
    pub clif: String,
    /// The machine code (Cranelift's VCode listing) when text was asked for.
    pub asm: String,
}

/// The kernels of one function and the JIT module holding their code; the code is freed
/// when the set is dropped.
pub struct KernelSet {
    module: Option<JITModule>,
    kernels: Vec<Kernel>,
    keep_text: bool,
    finalized: bool,
}

// SAFETY: after `finalize` the module's code is immutable and only read through plain
// function pointers (the kernels are pure functions of their arguments); every mutation
// (`add`, `finalize`, drop) takes `&mut self`.
unsafe impl Send for KernelSet {}
unsafe impl Sync for KernelSet {}

impl Drop for KernelSet {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the function pointers live in `self.kernels`, dropped with us; no
            // pointer escapes a `KernelSet` method.
            unsafe { m.free_memory() };
        }
    }
}

impl KernelSet {
    /// An empty set for the host CPU. `keep_text` keeps each kernel's IR and disassembly.
    pub fn new(keep_text: bool) -> Result<KernelSet, JitError> {
        let cg = |e: &dyn std::fmt::Display| JitError::Codegen(e.to_string());
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(|e| cg(&e))?;
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(|e| cg(&e))?;
        flags.set("is_pic", "false").map_err(|e| cg(&e))?;
        let isa = cranelift_native::builder()
            .map_err(|e| cg(&e))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| cg(&e))?;
        let mut jb = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
        for (name, ptr) in helpers::unary_symbols()
            .into_iter()
            .chain(helpers::binary_symbols())
        {
            jb.symbol(name, ptr);
        }
        Ok(KernelSet {
            module: Some(JITModule::new(jb)),
            kernels: Vec::new(),
            keep_text,
            finalized: false,
        })
    }

    /// The compiled kernels, in the order added.
    pub fn kernels(&self) -> &[Kernel] {
        &self.kernels
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
        let prog = Prog::new(op, in_dtypes)?;
        let k = self.kernels.len();
        let module = self.module.as_mut().expect("module lives until drop");
        let inline_math = math::inline_math(module.isa());
        let vdt = lower::vector_dtype(&prog, in_dtypes, inline_math).filter(|&d| d == out);
        let (flat_id, clif_f, asm_f) = build(
            module,
            &format!("k{k}_flat"),
            &prog,
            in_dtypes,
            scalar_inputs,
            out,
            Loop::Flat {
                vector: vdt.is_some(),
            },
            self.keep_text,
        )?;
        let (row_id, clif_r, asm_r) = build(
            module,
            &format!("k{k}_strided"),
            &prog,
            in_dtypes,
            scalar_inputs,
            out,
            Loop::Row,
            self.keep_text,
        )?;
        self.finalized = false;
        self.kernels.push(Kernel {
            in_dtypes: in_dtypes.to_vec(),
            scalar_inputs: scalar_inputs.to_vec(),
            out,
            ids: (flat_id, row_id),
            flat: None,
            row: None,
            vectorized: vdt.is_some(),
            clif: clif_f + &clif_r,
            asm: asm_f + &asm_r,
        });
        Ok(k)
    }

    /// Make every added kernel callable.
    pub fn finalize(&mut self) -> Result<(), JitError> {
        let module = self.module.as_mut().expect("module lives until drop");
        module
            .finalize_definitions()
            .map_err(|e| JitError::Codegen(e.to_string()))?;
        for k in &mut self.kernels {
            // SAFETY: the functions were built with exactly these signatures.
            unsafe {
                k.flat = Some(std::mem::transmute::<*const u8, FlatFn>(
                    module.get_finalized_function(k.ids.0),
                ));
                k.row = Some(std::mem::transmute::<*const u8, RowFn>(
                    module.get_finalized_function(k.ids.1),
                ));
            }
        }
        self.finalized = true;
        Ok(())
    }

    /// Run kernel `k` on `ins`: numpy broadcasting, a fresh C-contiguous output.
    pub fn run(&self, k: usize, ins: &[&Tensor]) -> Result<Tensor, JitError> {
        let kern = self
            .kernels
            .get(k)
            .ok_or_else(|| JitError::Args(format!("no kernel {k}")))?;
        let (Some(flat), Some(row)) = (kern.flat, kern.row) else {
            return Err(JitError::Args("the kernel set is not finalized".into()));
        };
        if !self.finalized {
            return Err(JitError::Args("the kernel set is not finalized".into()));
        }
        if ins.len() != kern.in_dtypes.len() {
            return Err(JitError::Args(format!(
                "the kernel takes {} inputs, got {}",
                kern.in_dtypes.len(),
                ins.len()
            )));
        }
        let mut shape: Vec<usize> = Vec::new();
        for (i, (t, &d)) in ins.iter().zip(&kern.in_dtypes).enumerate() {
            if t.dtype() != d {
                return Err(JitError::Args(format!(
                    "input {i}: expected {d}, got {}",
                    t.dtype()
                )));
            }
            if kern.scalar_inputs[i] && t.len() != 1 {
                return Err(JitError::Args(format!("input {i}: expected one element")));
            }
            shape = broadcast_shapes(&shape, t.shape()).ok_or_else(|| {
                JitError::Args(format!(
                    "input {i}: shape {:?} does not broadcast",
                    t.shape()
                ))
            })?;
        }
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|n| {
                n.checked_mul(kern.out.itemsize())
                    .is_some_and(|b| b <= isize::MAX as usize)
            })
            .ok_or_else(|| JitError::Args("output too big".into()))?;
        // (base pointer, element strides, element size) of each input
        let views: Vec<(*const u8, Vec<isize>, Vec<usize>, bool)> = ins
            .iter()
            .map(|t| {
                with_array!(t, a => (
                    a.as_ptr().cast::<u8>(),
                    a.strides().to_vec(),
                    a.shape().to_vec(),
                    a.is_standard_layout(),
                ))
            })
            .collect();
        let flat_ok = views
            .iter()
            .zip(&kern.scalar_inputs)
            .all(|(v, &s)| s || (v.3 && v.2 == shape));
        let out_es = kern.out.itemsize();
        let t = with_dtype!(kern.out, T => {
            let mut a = ArrayD::<T>::uninit(IxDyn(&shape));
            let optr = a.as_mut_ptr() as *mut u8;
            if n > 0 {
                if flat_ok {
                    let ptrs: Vec<*const u8> = views.iter().map(|v| v.0).collect();
                    // SAFETY: every non-scalar input holds `n` contiguous elements of its
                    // dtype, every scalar one element; the output holds `n` elements.
                    unsafe { flat(n, ptrs.as_ptr(), optr) };
                } else {
                    let nd = shape.len();
                    // byte strides of each input over the output's dimensions
                    let strides: Vec<Vec<isize>> = views
                        .iter()
                        .zip(&kern.in_dtypes)
                        .map(|(v, d)| {
                            let es = d.itemsize() as isize;
                            let pad = nd - v.2.len();
                            (0..nd)
                                .map(|j| {
                                    if j < pad || v.2[j - pad] == 1 {
                                        0
                                    } else {
                                        v.1[j - pad] * es
                                    }
                                })
                                .collect()
                        })
                        .collect();
                    // SAFETY: the strides walk only the elements of each (checked,
                    // broadcast) input, and the output holds `n` elements.
                    unsafe { run_rows(row, &shape, &views, &strides, optr, out_es) };
                }
            }
            // SAFETY: the kernel wrote every element (or there are none).
            T::into_tensor(unsafe { a.assume_init() })
        });
        Ok(t)
    }
}

/// Walk the outer dimensions in Rust, one generated row call per innermost row.
unsafe fn run_rows(
    row: RowFn,
    shape: &[usize],
    views: &[(*const u8, Vec<isize>, Vec<usize>, bool)],
    strides: &[Vec<isize>],
    out: *mut u8,
    out_es: usize,
) {
    let nd = shape.len();
    let (inner, outer) = if nd == 0 {
        (1, &[][..])
    } else {
        (shape[nd - 1], &shape[..nd - 1])
    };
    let inner_st: Vec<isize> = strides
        .iter()
        .map(|s| if nd == 0 { 0 } else { s[nd - 1] })
        .collect();
    let rows: usize = outer.iter().product();
    let mut idx = vec![0usize; outer.len()];
    let mut offs = vec![0isize; views.len()];
    let mut ptrs: Vec<*const u8> = vec![std::ptr::null(); views.len()];
    for r in 0..rows {
        for (i, v) in views.iter().enumerate() {
            ptrs[i] = v.0.wrapping_offset(offs[i]);
        }
        let o = out.wrapping_add(r * inner * out_es);
        // SAFETY: see the caller.
        unsafe { row(inner, ptrs.as_ptr(), inner_st.as_ptr(), o, out_es as isize) };
        for d in (0..outer.len()).rev() {
            idx[d] += 1;
            for (i, s) in strides.iter().enumerate() {
                offs[i] += s[d];
            }
            if idx[d] < outer[d] {
                break;
            }
            for (i, s) in strides.iter().enumerate() {
                offs[i] -= s[d] * outer[d] as isize;
            }
            idx[d] = 0;
        }
    }
}

#[derive(Clone, Copy)]
enum Loop {
    Flat { vector: bool },
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
        let k = in_dtypes.len();
        let ptrs: Vec<Value> = (0..k)
            .map(|i| b.ins().load(ptr, mem(), ins_p, (8 * i) as i32))
            .collect();
        let exit = b.create_block();
        match kind {
            Loop::Flat { vector } => {
                // broadcast scalars are loaded once
                let scal: Vec<Option<Value>> = (0..k)
                    .map(|i| {
                        scalar_inputs[i]
                            .then(|| b.ins().load(clif_ty(in_dtypes[i]), mem(), ptrs[i], 0))
                    })
                    .collect();
                let tail = block_i64(&mut b, 1);
                if vector {
                    let (vt, lanes) = match out {
                        DType::Float64 => (types::F64X2, 2i64),
                        _ => (types::F32X4, 4i64),
                    };
                    let splats: Vec<Option<Value>> = scal
                        .iter()
                        .map(|s| s.map(|s| b.ins().splat(vt, s)))
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
                    let es = b.ins().iconst(types::I64, out.itemsize() as i64);
                    let off = b.ins().imul(i, es);
                    let vals: Vec<Value> = (0..k)
                        .map(|j| match splats[j] {
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
