//! Loop-invariant hoisting for the flat loop: the instructions of a scalar program that read
//! only broadcast scalars ("uniform": the same value at every element) are evaluated once,
//! before the loop, and the loop body computes only the rest.
//!
//! Besides saving work, this is what lets a mixed-dtype program run 128-bit vectors: Theano's
//! graphs are full of small constants of other dtypes (`TensorConstant{(1,) of 1}` is int8,
//! `1 - y` on a float64 `y` subtracts from it) and of shape arithmetic on integers
//! (`i0 / Cast{float64}(Switch(EQ(i1, i2), i3, i1))` in the seed's gradient). Every
//! instruction that the emitter computes in its output dtype (all but comparisons and
//! `switch`, whose operands are cast to the instruction's dtype first, `lower::Emitter::instr`)
//! gets its uniform operands cast to that dtype before the loop too, which is the same
//! conversion, done once; the body then sees one float dtype throughout.
//!
//! The result: a `pre` program over the kernel's inputs, and a `main` program whose inputs are
//! the kernel's inputs followed by one extra broadcast scalar per hoisted value.

use crate::lower::Prog;
use theano_ir::{Operand, ScalarOp};
use theano_tensor::DType;

pub(crate) struct Hoisted {
    /// The uniform instructions (and the casts of uniform operands), over the kernel's inputs.
    pub pre: Prog,
    /// For each extra input of `main`, the `pre` temp holding it.
    pub extra: Vec<usize>,
    /// The per-element instructions; inputs `0..k` are the kernel's, `k..` the extras.
    pub main: Prog,
    pub in_dtypes: Vec<DType>,
    pub scalar_inputs: Vec<bool>,
}

/// Whether `op` computes in its output dtype after casting every operand to it.
fn casts_operands(op: &ScalarOp) -> bool {
    use ScalarOp::*;
    !matches!(op, Switch | Gt | Lt | Ge | Le | Eq | Neq | IsNan | IsInf)
}

/// The split of `p`, or `None` when there is nothing to hoist (no uniform instruction and no
/// uniform operand to convert) or nothing left per element (the result is uniform).
pub(crate) fn hoist(p: &Prog, in_dtypes: &[DType], scalar_inputs: &[bool]) -> Option<Hoisted> {
    let n = p.instrs.len();
    let k_in = in_dtypes.len();
    let mut uni = vec![false; n];
    let is_uni = |a: &Operand, uni: &[bool]| match *a {
        Operand::Input(i) => scalar_inputs.get(i).copied().unwrap_or(false),
        Operand::Temp(t) => uni[t],
    };
    for k in 0..n {
        uni[k] = p.instrs[k].1.iter().all(|a| is_uni(a, &uni));
    }
    if n == 0 || uni[n - 1] {
        return None;
    }
    let dtype_of = |a: &Operand| match *a {
        Operand::Input(i) => in_dtypes[i],
        Operand::Temp(t) => p.dtypes[t],
    };
    // the pre program: uniform instructions in order
    let mut pre = Prog {
        instrs: Vec::new(),
        dtypes: Vec::new(),
    };
    let mut pre_of = vec![usize::MAX; n];
    let remap_pre = |a: &Operand, pre_of: &[usize]| match *a {
        Operand::Input(i) => Operand::Input(i),
        Operand::Temp(t) => Operand::Temp(pre_of[t]),
    };
    for k in (0..n).filter(|&k| uni[k]) {
        let (op, args) = &p.instrs[k];
        let args = args.iter().map(|a| remap_pre(a, &pre_of)).collect();
        pre_of[k] = pre.instrs.len();
        pre.instrs.push((op.clone(), args));
        pre.dtypes.push(p.dtypes[k]);
    }
    // the main program; a uniform operand becomes an extra input (cast to the consumer's
    // dtype when the consumer casts its operands), or stays a kernel input when it is one
    // and needs no cast
    let mut extra: Vec<usize> = Vec::new();
    let mut extra_dtypes: Vec<DType> = Vec::new();
    let mut extra_key: Vec<(Operand, DType)> = Vec::new();
    let mut main = Prog {
        instrs: Vec::new(),
        dtypes: Vec::new(),
    };
    let mut main_of = vec![usize::MAX; n];
    let mut changed = !pre.instrs.is_empty();
    for k in (0..n).filter(|&k| !uni[k]) {
        let (op, args) = &p.instrs[k];
        let mut margs = Vec::with_capacity(args.len());
        for a in args {
            let m = if is_uni(a, &uni) {
                let from = dtype_of(a);
                let to = if casts_operands(op) {
                    p.dtypes[k]
                } else {
                    from
                };
                match *a {
                    Operand::Input(i) if from == to => Operand::Input(i),
                    _ => {
                        changed = true;
                        let key = (*a, to);
                        let j = match extra_key.iter().position(|x| *x == key) {
                            Some(j) => j,
                            None => {
                                let src = remap_pre(a, &pre_of);
                                let t = if from == to {
                                    match src {
                                        Operand::Temp(t) => t,
                                        Operand::Input(_) => unreachable!("inputs kept above"),
                                    }
                                } else {
                                    pre.instrs.push((ScalarOp::Cast(to), vec![src]));
                                    pre.dtypes.push(to);
                                    pre.instrs.len() - 1
                                };
                                extra.push(t);
                                extra_dtypes.push(to);
                                extra_key.push(key);
                                extra.len() - 1
                            }
                        };
                        Operand::Input(k_in + j)
                    }
                }
            } else {
                match *a {
                    Operand::Input(i) => Operand::Input(i),
                    Operand::Temp(t) => Operand::Temp(main_of[t]),
                }
            };
            margs.push(m);
        }
        main_of[k] = main.instrs.len();
        main.instrs.push((op.clone(), margs));
        main.dtypes.push(p.dtypes[k]);
    }
    if !changed {
        return None;
    }
    let mut all_dtypes = in_dtypes.to_vec();
    all_dtypes.extend(&extra_dtypes);
    let mut scal = scalar_inputs.to_vec();
    scal.extend(std::iter::repeat_n(true, extra.len()));
    Some(Hoisted {
        pre,
        extra,
        main,
        in_dtypes: all_dtypes,
        scalar_inputs: scal,
    })
}

/// Which of a program's `k` inputs it reads.
pub(crate) fn used_inputs(p: &Prog, k: usize) -> Vec<bool> {
    let mut used = vec![false; k];
    for (_, args) in &p.instrs {
        for a in args {
            if let Operand::Input(i) = *a {
                if i < k {
                    used[i] = true;
                }
            }
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;
    use Operand::{Input as I, Temp as T};
    use ScalarOp as S;

    fn prog(instrs: Vec<(ScalarOp, Vec<Operand>)>, dtypes: Vec<DType>) -> Prog {
        Prog { instrs, dtypes }
    }

    #[test]
    fn uniform_chain_and_cast_are_hoisted() {
        // (i0 / f64(switch(eq(i1, i2), i3, i1))) * i4, i0..i3 scalars
        let p = prog(
            vec![
                (S::Eq, vec![I(1), I(2)]),
                (S::Switch, vec![T(0), I(3), I(1)]),
                (S::Cast(DType::Float64), vec![T(1)]),
                (S::TrueDiv, vec![I(0), T(2)]),
                (S::Mul, vec![T(3), I(4)]),
            ],
            vec![
                DType::Bool,
                DType::Int64,
                DType::Float64,
                DType::Float64,
                DType::Float64,
            ],
        );
        let d = [
            DType::Float64,
            DType::Int64,
            DType::Int8,
            DType::Int8,
            DType::Float64,
        ];
        let h = hoist(&p, &d, &[true, true, true, true, false]).unwrap();
        assert_eq!(h.pre.instrs.len(), 4);
        assert_eq!(h.main.instrs.len(), 1);
        assert_eq!(h.main.instrs[0].1, vec![I(5), I(4)]);
        assert_eq!(h.extra, vec![3]);
        assert_eq!(h.in_dtypes[5], DType::Float64);
        assert!(h.scalar_inputs[5]);
        assert_eq!(
            used_inputs(&h.main, 5),
            vec![false, false, false, false, true]
        );
    }

    #[test]
    fn a_scalar_of_another_dtype_is_cast_once() {
        // x (f64 vector) * i1 (int8 scalar)
        let p = prog(vec![(S::Mul, vec![I(0), I(1)])], vec![DType::Float64]);
        let h = hoist(&p, &[DType::Float64, DType::Int8], &[false, true]).unwrap();
        assert_eq!(h.pre.instrs, vec![(S::Cast(DType::Float64), vec![I(1)])]);
        assert_eq!(h.main.instrs[0].1, vec![I(0), I(2)]);
        // a comparison keeps its operand's dtype (it promotes, not casts to its bool result)
        let p = prog(vec![(S::Gt, vec![I(0), I(1)])], vec![DType::Bool]);
        assert!(hoist(&p, &[DType::Float64, DType::Int8], &[false, true]).is_none());
    }

    #[test]
    fn nothing_to_hoist() {
        let p = prog(vec![(S::Add, vec![I(0), I(1)])], vec![DType::Float64]);
        assert!(hoist(&p, &[DType::Float64; 2], &[false, true]).is_none());
        // every input a scalar: the result itself is uniform
        assert!(hoist(&p, &[DType::Float64; 2], &[true, true]).is_none());
    }
}
