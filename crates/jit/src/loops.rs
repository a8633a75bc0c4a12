//! The loop generator: the flat and strided-row Cranelift functions of an elementwise
//! program, and the wide (two-lane) plan.

use super::*;

#[derive(Clone, Copy)]
pub(crate) enum Loop {
    Flat { vector: bool, wide: bool },
    Row,
}

/// Build, verify and define one function; returns its id, IR text and VCode text.
pub(crate) fn build(
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
pub(crate) enum Group {
    /// Instruction indices evaluated in one inner vector loop; `Some(t)`: that loop also
    /// stores temp `t` (the program's result) to the output.
    Run(Vec<usize>, Option<usize>),
    /// Instruction `k` through its helper `name`.
    Call(usize, &'static str),
}

/// How the wide loop evaluates a program: its groups in order, and the scratch buffer of
/// every temp that crosses a group boundary (helper results included).
pub(crate) struct WidePlan {
    pub(crate) groups: Vec<Group>,
    pub(crate) slot: Vec<Option<usize>>,
    pub(crate) nslots: usize,
}

/// The wide plan of `prog`, if it has a helper instruction (exp, tanh or sigmoid of a
/// non-scalar operand in float64/float32) and needs at most `wide::MAX_SLOTS` buffers.
pub(crate) fn wide_plan(prog: &Prog, scalar_inputs: &[bool], out: DType) -> Option<WidePlan> {
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
pub(crate) struct WideCtx<'a> {
    /// The block's first element index (the vector loop header's parameter).
    pub(crate) blk: Value,
    /// Elements the vector part covers (a multiple of `lanes`).
    pub(crate) nvec: Value,
    /// The loop header to jump back to with the next block's index.
    pub(crate) hdr: cranelift_codegen::ir::Block,
    pub(crate) ptrs: &'a [Value],
    pub(crate) splats: &'a [Option<Value>],
    pub(crate) out_p: Value,
    pub(crate) vt: cranelift_codegen::ir::Type,
    pub(crate) lanes: i64,
}

/// The body of one block of the wide loop: `m = min(BLOCK, nvec - blk)` elements (a multiple
/// of `lanes`); each group in order, then a jump to the header with `blk + m`.
pub(crate) fn emit_wide(
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
