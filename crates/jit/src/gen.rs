//! Native kernels whose loops are Cranelift functions generated per op at `function()` time
//! into the function's [`crate::KernelSet`] module (reductions, softmax, argmax, the
//! crossentropy ops), beside the elementwise kernels.
//!
//! A kernel is described by a [`GenSpec`]: [`GenSpec::define`] generates its functions for
//! the op's static facts (kind, axes, rank, dtypes) through a [`Gen`];
//! after the set is finalized, [`GenSpec::finish`] receives their addresses, in the order
//! defined, and returns the [`NativeKernel`] the runtime calls. Shapes and strides are
//! checked in Rust (`out_shape`) before any generated code runs, as for every native kernel.

use crate::lower::Calls;
use crate::JitError;
use cranelift_codegen::ir::{AbiParam, Type, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Linkage, Module};
use std::collections::HashMap;
use std::sync::Arc;
use theano_exec::kernel::NativeKernel;

/// Keeps a kernel set's code alive: a generated kernel holds one for as long as it may call
/// into the module.
#[derive(Clone)]
pub struct KeepAlive(#[allow(dead_code)] pub(crate) Arc<crate::CodeOwner>);

/// A native kernel with generated loops.
pub(crate) trait GenSpec: Send + Sync {
    /// Generate the kernel's functions with `g`.
    fn define(&self, g: &mut Gen<'_>) -> Result<(), JitError>;
    /// The kernel, given the addresses of the functions `define` generated (in its order)
    /// and the handle keeping them alive.
    fn finish(&self, fns: &[*const u8], code: KeepAlive) -> Box<dyn NativeKernel>;
}

/// Defines one generated kernel's functions in a module, keeping their text for dumps.
pub(crate) struct Gen<'a> {
    pub module: &'a mut JITModule,
    prefix: String,
    keep_text: bool,
    pub(crate) ids: Vec<FuncId>,
    pub(crate) clif: String,
    pub(crate) asm: String,
}

impl<'a> Gen<'a> {
    pub(crate) fn new(module: &'a mut JITModule, prefix: String, keep_text: bool) -> Gen<'a> {
        Gen {
            module,
            prefix,
            keep_text,
            ids: Vec::new(),
            clif: String::new(),
            asm: String::new(),
        }
    }

    /// Generate the function `{prefix}_{suffix}(params) -> returns` (system calling
    /// convention) whose body `body` emits from its entry block, given the parameter values
    /// and the helper-call table (the transcendental and wide helpers). Returns its index
    /// among the kernel's functions.
    pub(crate) fn func(
        &mut self,
        suffix: &str,
        params: &[Type],
        returns: &[Type],
        body: impl FnOnce(
            &mut FunctionBuilder,
            &mut Calls<'_, JITModule>,
            &[Value],
        ) -> Result<(), JitError>,
    ) -> Result<usize, JitError> {
        let name = format!("{}_{suffix}", self.prefix);
        let cg = |e: &dyn std::fmt::Display| JitError::Codegen(format!("{name}: {e}"));
        let frontend = self.module.isa().frontend_config();
        let mut ctx = self.module.make_context();
        ctx.func
            .signature
            .params
            .extend(params.iter().map(|&t| AbiParam::new(t)));
        ctx.func
            .signature
            .returns
            .extend(returns.iter().map(|&t| AbiParam::new(t)));
        let sig = ctx.func.signature.clone();
        let mut fctx = FunctionBuilderContext::new();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut calls = Calls {
                module: &mut *self.module,
                refs: HashMap::new(),
            };
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let ps: Vec<Value> = b.block_params(entry).to_vec();
            body(&mut b, &mut calls, &ps)?;
            b.seal_all_blocks();
            b.finalize(frontend);
        }
        if self.keep_text {
            self.clif += &format!("; {name}\n{}\n", ctx.func.display());
        }
        let id = self
            .module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(|e| cg(&e))?;
        ctx.set_disasm(self.keep_text);
        self.module
            .define_function(id, &mut ctx)
            .map_err(|e| match e {
                cranelift_module::ModuleError::Compilation(ce) => {
                    cg(&format!("{ce:?}\n{}", ctx.func.display()))
                }
                e => cg(&e),
            })?;
        if self.keep_text {
            let v = ctx
                .compiled_code()
                .and_then(|c| c.vcode.clone())
                .unwrap_or_default();
            self.asm += &format!("; {name}\n{v}\n");
        }
        self.module.clear_context(&mut ctx);
        self.ids.push(id);
        Ok(self.ids.len() - 1)
    }
}

/// The generated kernel for `op` on inputs of `in_types` giving `out_types`, or `None` where
/// no generator covers it (the caller then asks [`crate::native_kernel`]).
pub(crate) fn spec_for(
    op: &theano_ir::Op,
    in_types: &[theano_ir::TensorType],
    out_types: &[theano_ir::TensorType],
) -> Option<Box<dyn GenSpec>> {
    use crate::gen_softmax::{softmax_spec, xent_dx_spec, xent_spec};
    use theano_ir::Op;
    match op {
        Op::Reduce { .. } | Op::MaxAndArgmax { .. } => {
            crate::gen_reduce::spec(op, in_types, out_types)
        }
        Op::Softmax => softmax_spec(false, in_types, out_types),
        Op::LogSoftmax => softmax_spec(true, in_types, out_types),
        Op::CrossentropySoftmaxArgmax1HotWithBias => xent_spec(in_types, out_types),
        Op::CrossentropySoftmax1HotWithBiasDx => xent_dx_spec(in_types, out_types),
        _ => None,
    }
}
