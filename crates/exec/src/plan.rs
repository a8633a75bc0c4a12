//! How a backend runs each step ([`Lowering`], chosen by one cascade, [`select_lowering`]) and
//! the storage plan every runtime follows ([`StoragePlan`]: which slots share storage, which
//! kernels may overwrite an input, the destructive tail and its run order, when each slot
//! dies). Both are computed once, at link time, from the [`Program`] and the lowerings alone,
//! so a backend's runtime only carries them out.

use crate::kernel::{NativeKernel, MAX_OUTPUTS};
use crate::linker::slot_frees;
use crate::program::{Program, Step};
use crate::view::ViewOp;

/// How a step runs.
pub enum Lowering {
    /// A native kernel (generated code, BLAS, a hand-written kernel) into a buffer, or over
    /// its in-place input when the plan allows it ([`StoragePlan::destroy_ok`]).
    Kernel(Box<dyn NativeKernel>),
    /// A view of input 0's storage (no computation).
    View(ViewOp),
    /// The reference interpreter (`theano_exec::interp::interp_step`) into an owned tensor.
    Interp,
}

impl Lowering {
    /// Whether its output is a view of input 0's storage.
    pub fn is_view(&self) -> bool {
        matches!(self, Lowering::View(_))
    }
}

/// A backend's way of lowering one step: a kernel for it, or `None` when it does not lower
/// the step's op or dtypes.
pub type Lowerer<'a> = &'a dyn Fn(usize, &Step) -> Option<Box<dyn NativeKernel>>;

/// The one op -> lowering cascade: the first of `lowerers` (a backend's, in its order of
/// preference) whose kernel keeps the step's contract (its output count, at most
/// [`MAX_OUTPUTS`], and its output dtypes), else a view for the view ops of one output, else
/// the interpreter. Step `i` is `step`.
pub fn select_lowering(i: usize, step: &Step, lowerers: &[Lowerer<'_>]) -> Lowering {
    let fits = |k: &dyn NativeKernel| {
        k.n_outputs() == step.outputs.len()
            && k.n_outputs() <= MAX_OUTPUTS
            && step
                .out_types
                .iter()
                .enumerate()
                .all(|(o, t)| k.out_dtype_of(o) == t.dtype)
    };
    for l in lowerers {
        if let Some(k) = l(i, step).filter(|k| fits(&**k)) {
            return Lowering::Kernel(k);
        }
    }
    match ViewOp::of(&step.op) {
        Some(v) if step.outputs.len() == 1 => Lowering::View(v),
        _ => Lowering::Interp,
    }
}

/// The storage plan of a program under given lowerings (see docs/ARCHITECTURE.md, "The
/// runtime"): computed once at link time.
///
/// - **Roots**: a view's output lives in its input's storage; `root[s]` is the slot whose
///   storage slot `s` lives in.
/// - **In place**: a kernel may overwrite its in-place input when that input is a value's own
///   storage (no view), computed by a step or an update target, holds no result, and no other
///   step (or other input of the same step) reads it later: `destroy_ok`.
/// - **The destructive tail**: steps that overwrite an update target in place, and everything
///   downstream of them, run last (`order[tail..]`); before it starts a runtime checks it
///   (every kernel's output shapes, every update value's type) when `tail_checkable`, so that
///   nothing can fail after shared storage was written. Otherwise the tail runs into fresh
///   storage and the updates are committed at the end, all or nothing.
/// - **Frees**: by position in `order`, the slots nothing reads afterwards (a view's inputs
///   live as long as the view; results for the whole call).
#[derive(Clone, Debug)]
pub struct StoragePlan {
    /// Step indices in run order: the destructive tail last.
    pub order: Vec<usize>,
    /// Position in `order` where the tail starts (`order.len()` when there is none).
    pub tail: usize,
    /// Whether the tail can be checked before it runs.
    pub tail_checkable: bool,
    /// By step: its kernel may write over its in-place input.
    pub destroy_ok: Vec<bool>,
    /// By position in `order`: the slots to empty after that step.
    pub frees: Vec<Vec<usize>>,
    /// By slot: produced by a tail step.
    pub in_tail: Vec<bool>,
    /// By argument index: an update target.
    pub is_target: Vec<bool>,
    /// By slot: the step computing it.
    pub producer: Vec<Option<usize>>,
    /// By slot: the slot whose storage it lives in.
    pub root: Vec<usize>,
    /// By result index: no later result names the same slot (the value may be moved out).
    pub last_mention: Vec<bool>,
}

impl StoragePlan {
    /// The plan of `p` when step `i` runs as `lowerings[i]`.
    pub fn new(p: &Program, lowerings: &[Lowering]) -> StoragePlan {
        StoragePlan::build(p, lowerings, true)
    }

    /// As [`StoragePlan::new`], for a runtime whose argument storage no step may overwrite
    /// (the GPU's: a shared variable's argument is its device copy, kept between calls and
    /// read by other functions): no update target is destroyed in place, so there is no
    /// destructive tail.
    pub fn keeping_args(p: &Program, lowerings: &[Lowering]) -> StoragePlan {
        StoragePlan::build(p, lowerings, false)
    }

    fn build(p: &Program, lowerings: &[Lowering], args_writable: bool) -> StoragePlan {
        let n = p.n_slots;
        let mut producer = vec![None; n];
        for (i, s) in p.steps.iter().enumerate() {
            for &o in &s.outputs {
                producer[o] = Some(i);
            }
        }
        let mut is_target = vec![false; p.args.len()];
        for &a in &p.updates {
            is_target[a] = true;
        }
        // by slot: the argument it holds (the first, as a search of `args` would find)
        let mut arg_index = vec![None; n];
        for (a, &s) in p.args.iter().enumerate().rev() {
            arg_index[s] = Some(a);
        }
        let mut root: Vec<usize> = (0..n).collect();
        for (i, st) in p.steps.iter().enumerate() {
            if lowerings[i].is_view() {
                root[st.outputs[0]] = root[st.inputs[0]];
            }
        }
        let inplace_slot = |i: usize| -> Option<usize> {
            match &lowerings[i] {
                Lowering::Kernel(k) => k
                    .inplace_input()
                    .and_then(|j| p.steps[i].inputs.get(j).copied()),
                _ => None,
            }
        };
        let destructive = |i: usize| {
            args_writable
                && inplace_slot(i)
                    .and_then(|s| arg_index[root[s]])
                    .is_some_and(|a| is_target[a])
        };
        // the tail: destructive steps and everything downstream, kept in order
        let mut in_tail = vec![false; n];
        let mut tail_steps = vec![false; p.steps.len()];
        for (i, st) in p.steps.iter().enumerate() {
            if destructive(i) || st.inputs.iter().any(|&s| in_tail[s]) {
                tail_steps[i] = true;
                for &o in &st.outputs {
                    in_tail[o] = true;
                }
            }
        }
        let mut order: Vec<usize> = (0..p.steps.len()).filter(|&i| !tail_steps[i]).collect();
        let tail = order.len();
        order.extend((0..p.steps.len()).filter(|&i| tail_steps[i]));
        // checkable: kernels and views whose checks read no element of a value the tail
        // computes (never under NanGuardMode: a check after a destructive step could not
        // undo it)
        let tail_checkable = p.watch.guard.is_none()
            && order[tail..].iter().all(|&i| {
                let reads_tail = p.steps[i].inputs.iter().any(|&s| in_tail[s]);
                match &lowerings[i] {
                    Lowering::Kernel(k) => k.shape_only() || !reads_tail,
                    Lowering::View(v) => !(v.reads_values() && reads_tail),
                    Lowering::Interp => false,
                }
            });
        let mut pos_of = vec![0; p.steps.len()];
        for (k, &i) in order.iter().enumerate() {
            pos_of[i] = k;
        }
        // last position reading each storage root
        let mut last_read = vec![None::<usize>; n];
        for (k, &i) in order.iter().enumerate() {
            for &s in &p.steps[i].inputs {
                let r = root[s];
                last_read[r] = Some(last_read[r].map_or(k, |x: usize| x.max(k)));
            }
        }
        let mut is_result_root = vec![false; n];
        for &r in &p.results {
            is_result_root[root[r]] = true;
        }
        let destroy_ok = (0..p.steps.len())
            .map(|i| {
                let Some(s) = inplace_slot(i) else {
                    return false;
                };
                if root[s] != s {
                    return false;
                }
                let leaf_ok = match arg_index[s] {
                    Some(a) => args_writable && is_target[a],
                    None => producer[s].is_some(),
                };
                // step i reads s at position k, so every other reader of s runs before it
                // exactly when no reader runs after k
                let others_before = last_read[s] == Some(pos_of[i]);
                let once = p.steps[i].inputs.iter().filter(|&&x| root[x] == s).count() == 1;
                leaf_ok && !is_result_root[s] && others_before && once
            })
            .collect();
        let frees = slot_frees(p, &order, |i| lowerings[i].is_view());
        let mut last_mention = vec![false; p.results.len()];
        let mut mentioned = vec![false; n];
        for (k, &r) in p.results.iter().enumerate().rev() {
            last_mention[k] = !mentioned[r];
            mentioned[r] = true;
        }
        StoragePlan {
            order,
            tail,
            tail_checkable,
            destroy_ok,
            frees,
            in_tail,
            is_target,
            producer,
            root,
            last_mention,
        }
    }
}
