//! `Elemwise{Composite{...}}`: a fused scalar DAG.
//!
//! The interpreter is the oracle every backend is checked against, so it evaluates a composite
//! exactly as the unfused graph would: one instruction at a time over whole (broadcast)
//! arrays, each with the existing `Elemwise` kernel and in the dtype that instruction's scalar
//! op gives for its operands (the dtype the unfused node had), so fused and unfused results
//! are bit-identical, errors included. A temporary is dropped after its last use. Fusing the
//! loops themselves is the compiled backends' job.

use crate::elemwise::{broadcast_all, bview, elemwise};
use crate::error::{PerformError, R};
use crate::util::{check_size, cow};
use theano_ir::{Composite, Operand};
use theano_tensor::{with_dtype, DType, Element, Tensor};

/// Evaluate `c` on `ins`, giving a tensor of dtype `out` with the inputs' broadcast shape.
pub fn composite(c: &Composite, ins: &[&Tensor], out: DType) -> R<Tensor> {
    let in_dtypes: Vec<DType> = ins.iter().map(|t| t.dtype()).collect();
    let dtypes = c.dtypes(&in_dtypes).map_err(PerformError::input)?;
    let shape = broadcast_all(ins)?;
    check_size(&shape, out)?;
    let instrs = c.instrs();
    // the last instruction reading each temporary
    let mut last_use = vec![usize::MAX; instrs.len()];
    for (k, ins_k) in instrs.iter().enumerate() {
        for a in &ins_k.args {
            if let Operand::Temp(t) = *a {
                last_use[t] = k;
            }
        }
    }
    let mut temps: Vec<Option<Tensor>> = vec![None; instrs.len()];
    for (k, ins_k) in instrs.iter().enumerate() {
        let r = {
            let args: Vec<&Tensor> = ins_k
                .args
                .iter()
                .map(|a| match *a {
                    Operand::Input(i) => Ok(ins[i]),
                    Operand::Temp(t) => temps[t].as_ref().ok_or_else(|| {
                        PerformError::input(format!(
                            "composite temporary t{t} used after its last use"
                        ))
                    }),
                })
                .collect::<R<_>>()?;
            elemwise(&ins_k.op, &args, dtypes[k])?
        };
        for a in &ins_k.args {
            if let Operand::Temp(t) = *a {
                if last_use[t] == k {
                    temps[t] = None;
                }
            }
        }
        temps[k] = Some(r);
    }
    let mut r = temps.pop().flatten().expect("a composite has an output");
    if r.shape() != shape.as_slice() {
        // every input reaches the output, so this only happens for zero-size or degenerate
        // cases; give the result the broadcast shape the node promises
        r = with_dtype!(r.dtype(), T => {
            let c = cow::<T>(&r);
            T::into_tensor(bview(&c, &shape)?.to_owned())
        });
    }
    Ok(if r.dtype() == out { r } else { r.cast(out) })
}
