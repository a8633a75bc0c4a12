//! The scan builder ([`scan`], options [`Scan`]) and its op ([`ScanOp`], `for{cpu,scan_fn}`).
//!
//! Node inputs: the step count (an int64 scalar), the sequences (one per tap), each one's
//! offset (an int64 scalar: step `t` reads row `offset + t` of it, or `offset - t` for a
//! sequence read backwards, see [`SeqRead`]), the initial value of each recurrent state (the recurrent outputs' windows, then the threaded shared
//! variables), the non-sequences (explicit, then implicit). Node outputs: each body output
//! of every step, stacked along a new first axis (a recurrent output without its initial
//! value, as Theano's), then the states the builder added (window shifts, threaded shared
//! variables), which `scan` does not return as outputs.

use std::collections::HashMap;
use std::sync::Arc;
use theano_exec::linker::ExecRunner;
use theano_exec::{Interface, InterpLinker, Linker};
use theano_grad::{lop_with, DisconnectedInputs, GradOptions};
use theano_ir::fgraph::FunctionGraph;
use theano_ir::graph::{clone_replace, graph_inputs};
use theano_ir::tensor::{self as T, Idx, IntoVar};
use theano_ir::{
    CustomOp, CustomRef, DType, GraphError, InnerGraph, InnerRunner, Op, Tensor, TensorType,
    Variable,
};

/// What `scan` refuses: a message naming the argument, what it must be and what it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScanError {
    #[error("scan: {0}")]
    Invalid(String),
    /// An `OpFromGraph` refused (its message as Theano's).
    #[error("{0}")]
    OpFromGraph(String),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

type Result<T> = std::result::Result<T, ScanError>;

/// A sequence as the loop reads it: step `t` reads row `offset + step * t` of `base`, where
/// `step` is 1 or -1. Taps, `go_backwards` and the gradient's reversed reads are folded into
/// the loop this way rather than sliced out of the tensor first (a slice would be a copy for
/// every backend that hands the op whole tensors).
#[derive(Clone, Debug)]
struct SeqRead {
    base: Variable,
    /// an int64 scalar
    offset: Variable,
    step: i64,
    /// the steps it has rows for (to count the steps when `n_steps` is not given)
    len: Variable,
    /// the value of row -1, read as the row before the first (the gradient reads a state's
    /// previous values as its stacked values with the initial value before them)
    head: Option<Variable>,
}

/// Theano's `scan` keyword arguments.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// each sequence with its taps
    sequences: Vec<(Variable, Vec<i64>)>,
    /// each recurrent output's initial value and taps
    outputs_info: Vec<Option<(Variable, Vec<i64>)>>,
    non_sequences: Vec<Variable>,
    n_steps: Option<Variable>,
    go_backwards: bool,
    until: bool,
    truncate_gradient: Option<usize>,
    name: Option<String>,
    strict: bool,
    /// sequences given as reads of a tensor's rows (the gradient's backward loop)
    reads: Vec<SeqRead>,
    /// outputs (indices into `outputs_info`) returned as their last value only, not stacked
    /// (the gradient's sums: Theano's `scan_save_mem` for what is read at `[-1]`)
    last_only: Vec<usize>,
}

impl Scan {
    pub fn new() -> Scan {
        Scan::default()
    }
    /// Tensors iterated over their first axis: step `t` reads `seq[t]`.
    pub fn sequences<V: Into<Variable>>(mut self, s: impl IntoIterator<Item = V>) -> Scan {
        self.sequences = s.into_iter().map(|v| (v.into(), vec![0])).collect();
        self
    }
    /// Adds a sequence read at several offsets (Theano's `dict(input=x, taps=[-1, 0])`): the
    /// body gets `x[t + tap]` for each tap, in the order given, and the loop runs over the
    /// steps where every tap is inside the sequence. As in Theano, the sequence is cut as if
    /// tap 0 were among the taps (`taps=[1]` on 6 rows runs 5 steps from row 1), and
    /// `go_backwards` reverses each tap's cut sequence.
    pub fn sequence_taps(mut self, x: impl Into<Variable>, taps: &[i64]) -> Scan {
        self.sequences.push((x.into(), taps.to_vec()));
        self
    }
    /// One entry per body output: the initial value of a recurrent output (the body reads
    /// its previous value), or `None` for an output not fed back. Missing trailing entries
    /// are `None`.
    pub fn outputs_info(mut self, o: impl IntoIterator<Item = Option<Variable>>) -> Scan {
        self.outputs_info = o.into_iter().map(|o| o.map(|v| (v, vec![-1]))).collect();
        self
    }
    /// Adds a recurrent output read at several past steps (Theano's
    /// `dict(initial=x0, taps=[-2, -1])`): the body gets the output `t + tap` steps back for
    /// each tap (all negative), in the order given; `x0` has one more dimension than the
    /// output, `x0[k]` being the value at step `k - w` for the deepest tap `-w`.
    pub fn output_taps(mut self, initial: impl Into<Variable>, taps: &[i64]) -> Scan {
        self.outputs_info
            .push(Some((initial.into(), taps.to_vec())));
        self
    }
    /// Adds an output that is not fed back (Theano's `None` in `outputs_info`).
    pub fn output_not_fed_back(mut self) -> Scan {
        self.outputs_info.push(None);
        self
    }
    /// Values every step reads whole.
    pub fn non_sequences<V: Into<Variable>>(mut self, n: impl IntoIterator<Item = V>) -> Scan {
        self.non_sequences = n.into_iter().map(Into::into).collect();
        self
    }
    /// The number of steps (an integer scalar); by default the shortest sequence's length.
    pub fn n_steps(mut self, n: impl IntoVar) -> Scan {
        self.n_steps = Some(n.into_var());
        self
    }
    /// Theano's `truncate_gradient`: backpropagation through the last `k` steps only (the
    /// outputs of earlier steps get no gradient through the loop); `-1` (the default) for
    /// all of them.
    pub fn truncate_gradient(mut self, k: i64) -> Scan {
        self.truncate_gradient = usize::try_from(k).ok();
        self
    }
    /// Theano's `until`: the body's last output is a scalar condition, not an output; the
    /// loop stops after the first step where it is true (that step's outputs included), or
    /// after `n_steps`, and the outputs hold the steps done.
    pub fn until(mut self, u: bool) -> Scan {
        self.until = u;
        self
    }
    /// Iterate over the sequences from their end.
    pub fn go_backwards(mut self, b: bool) -> Scan {
        self.go_backwards = b;
        self
    }
    /// Theano's `strict=True`: refuse a body that reads a variable from outside (a shared
    /// weight, an input of the outer graph) not given as a sequence or a non-sequence.
    pub fn strict(mut self, s: bool) -> Scan {
        self.strict = s;
        self
    }
    /// Whether any `outputs_info` entry was given (`map` takes none).
    pub(crate) fn has_outputs_info(&self) -> bool {
        !self.outputs_info.is_empty()
    }
    /// Add sequences given as row reads (after the ones `sequences` gives).
    fn reads(mut self, r: impl IntoIterator<Item = SeqRead>) -> Scan {
        self.reads.extend(r);
        self
    }

    /// Return output `i` (a recurrent output of tap -1) as its last value, the initial
    /// value when no step ran, rather than stacked: a sum the loop carries.
    fn last_only(mut self, i: impl IntoIterator<Item = usize>) -> Scan {
        self.last_only.extend(i);
        self
    }

    /// The op's name (`for{cpu,<name>}`; default `scan_fn`).
    pub fn name(mut self, n: &str) -> Scan {
        self.name = Some(n.into());
        self
    }
}

fn invalid<T>(m: impl Into<String>) -> Result<T> {
    Err(ScanError::Invalid(m.into()))
}

/// A placeholder of the body: an input of `dtype` and rank `ndim`, no dimension
/// broadcastable (a loop carries values, not patterns).
fn placeholder(dtype: DType, ndim: usize) -> Result<Variable> {
    TensorType::with_ndim(dtype, ndim)
        .map(|t| Variable::input(t, None))
        .map_err(|e| ScanError::Invalid(e.to_string()))
}

/// The farthest tap a loop reads (a window of states holds one placeholder per step back).
const MAX_TAP: i64 = 1 << 16;

/// `[t]`, `[t+1]`, `[t-2]`: Theano's suffix of a tap's placeholder name.
fn tap_text(tap: i64) -> String {
    match tap {
        0 => "[t]".into(),
        k if k > 0 => format!("[t+{k}]"),
        k => format!("[t{k}]"),
    }
}

/// The body's placeholder of a value read whole each step (a non-sequence): of its type,
/// named `<name>_copy` as Theano's.
fn copy_of(v: &Variable) -> Variable {
    let name = v.name().map(|n| format!("{n}_copy"));
    Variable::input(v.ty(), name.as_deref())
}

/// `v` itself, or through an identity node when it is a leaf: the backward body's
/// L-operator takes the body's outputs' gradients as known gradients and the placeholders as
/// what it differentiates, and one variable cannot be both (Theano's `known_grads` override).
fn not_a_leaf(v: Variable) -> Result<Variable> {
    if v.owner().is_none() {
        Ok(T::elemwise(theano_ir::ScalarOp::Identity, vec![v])?)
    } else {
        Ok(v)
    }
}

/// `v` with a new first axis of length 1.
fn pad_left(v: &Variable) -> Result<Variable> {
    let mut order = vec![None];
    order.extend((0..v.ndim()).map(Some));
    Ok(T::dimshuffle(v, &order)?)
}

/// The last row of `rows` (a stacked loop output), or `initial` when there is none (a loop
/// of no step).
fn last_or(rows: &Variable, initial: &Variable) -> Result<Variable> {
    let all = T::concatenate(&[pad_left(initial)?, rows.clone()], 0)?;
    Ok(all.get(&[Idx::Int(Variable::index_constant(-1))])?)
}

/// `x[::-1]`
fn reversed(x: &Variable) -> Result<Variable> {
    Ok(x.get(&[Idx::Slice(None, None, Some(T::constant(-1i64)))])?)
}

/// What a loop's body returns: its outputs, and the updates of shared variables it makes
/// (Theano's body returning `outputs, {k: k + 1}`). A `Vec` of outputs converts to it.
#[derive(Clone, Debug, Default)]
pub struct ScanBody {
    pub outputs: Vec<Variable>,
    pub updates: Vec<(Variable, Variable)>,
}

impl From<Vec<Variable>> for ScanBody {
    fn from(outputs: Vec<Variable>) -> ScanBody {
        ScanBody {
            outputs,
            updates: vec![],
        }
    }
}

impl From<(Vec<Variable>, Vec<(Variable, Variable)>)> for ScanBody {
    fn from((outputs, updates): (Vec<Variable>, Vec<(Variable, Variable)>)) -> ScanBody {
        ScanBody { outputs, updates }
    }
}

/// What `scan` returns, as Theano's `outputs, updates = scan(...)`: one stacked output per
/// body output, and the updates of the shared variables with default updates that the body
/// reads (a random stream's state), to give to `function()`'s `updates`.
pub type ScanOutput = (Vec<Variable>, Vec<(Variable, Variable)>);

/// Theano's `scan`: the body `f` applied step after step; one stacked output per body
/// output, and the updates (see the module documentation).
#[track_caller]
pub fn scan<B: Into<ScanBody>>(
    f: impl Fn(&[Variable]) -> Result<B>,
    opts: Scan,
) -> Result<ScanOutput> {
    // each tap of a sequence is a sequence of its own, shifted: step t reads row
    // t + (tap - min) of x, or of x reversed (row len - 1 - (tap - min) - t), for the
    // len - (max - min) steps every tap has a row for
    let mut seqs = Vec::new();
    // Theano's names of the body's placeholders: `x[t]`, `x[t-1]`, `h0[t-1]`, `w_copy`
    let mut seq_names = Vec::new();
    for (i, (s, taps)) in opts.sequences.iter().enumerate() {
        if s.ndim() == 0 {
            return invalid(format!(
                "sequence {i} ({s}, {}) has no axis to iterate over",
                s.ty()
            ));
        }
        let (Some(&lo), Some(&hi)) = (taps.iter().min(), taps.iter().max()) else {
            return invalid(format!("sequence {i} ({s}) has no taps"));
        };
        if lo < -MAX_TAP || hi > MAX_TAP {
            return invalid(format!(
                "the taps of sequence {i} are {taps:?}; a tap must lie within +-{MAX_TAP}"
            ));
        }
        // Theano cuts the sequence as if tap 0 were used: x[tap - lo : len - (hi - tap)]
        let (lo, hi) = (lo.min(0), hi.max(0));
        let len = T::shape_i(s, 0)?;
        for &tap in taps {
            // going backwards reads each cut sequence from its end
            let (offset, step) = if opts.go_backwards {
                (T::sub(&len, 1 + hi - tap), -1)
            } else {
                (T::constant(tap - lo), 1)
            };
            seqs.push(SeqRead {
                base: s.clone(),
                offset,
                step,
                len: if hi == lo {
                    len.clone()
                } else {
                    T::sub(&len, hi - lo)
                },
                head: None,
            });
            seq_names.push(s.name().map(|n| format!("{n}{}", tap_text(tap))));
        }
    }
    seqs.extend(opts.reads.iter().cloned());
    let n_steps = match &opts.n_steps {
        Some(n) if n.ndim() == 0 && n.dtype().is_int() => T::cast(n, DType::Int64),
        Some(n) => {
            return invalid(format!(
                "n_steps must be an integer scalar, got {n} of type {}",
                n.ty()
            ))
        }
        None => {
            let Some(first) = seqs.first() else {
                return invalid(
                    "No information about the number of steps provided. Either provide a \
                     value for n_steps argument of scan or provide an input sequence",
                );
            };
            let mut n = first.len.clone();
            for s in &seqs[1..] {
                n = T::minimum(&n, &s.len);
            }
            n
        }
    };
    let seq_ph: Vec<Variable> = seqs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let b = s.base.broadcastable();
            let name = seq_names.get(i).cloned().flatten();
            TensorType::new(s.base.dtype(), &b[1..]).map(|t| Variable::input(t, name.as_deref()))
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| ScanError::Invalid(e.to_string()))?;
    // Each recurrent output reads a window of its last `w` values: `w` recurrent states
    // s_1..s_w (s_w the previous value), shifted by one each step; the taps pick from them.
    struct Rec {
        out: usize,
        init: Variable,
        taps: Vec<i64>,
        /// s_1..s_w
        states: Vec<Variable>,
        /// the initial value holds the window (one more dimension than the output)
        windowed: bool,
    }
    let mut recs = Vec::new();
    for (i, o) in opts.outputs_info.iter().enumerate() {
        let Some((init, taps)) = o else { continue };
        let Some(&lo) = taps.iter().min() else {
            return invalid(format!("output {i} has no taps"));
        };
        if lo < -MAX_TAP {
            return invalid(format!(
                "the taps of output {i} are {taps:?}; a tap must lie within +-{MAX_TAP}"
            ));
        }
        if taps.iter().any(|&t| t >= 0) {
            return invalid(format!(
                "the taps of output {i} are {taps:?}; an output's taps must be negative"
            ));
        }
        let windowed = taps.as_slice() != [-1];
        let nd = if windowed {
            init.ndim().checked_sub(1).ok_or_else(|| {
                ScanError::Invalid(format!(
                    "the initial value of output {i} ({init}) must have one more dimension than \
                     the output for the taps {taps:?}"
                ))
            })?
        } else {
            init.ndim()
        };
        let w = (-lo) as usize;
        // state s_j holds the value of tap j - w
        let states = (0..w)
            .map(|j| {
                let ph = placeholder(init.dtype(), nd)?;
                if let Some(n) = init.name() {
                    ph.set_name(&format!("{n}{}", tap_text(j as i64 - w as i64)));
                }
                Ok(ph)
            })
            .collect::<Result<Vec<_>>>()?;
        recs.push(Rec {
            out: i,
            init: init.clone(),
            taps: taps.clone(),
            states,
            windowed,
        });
    }
    let ns_ph: Vec<Variable> = opts.non_sequences.iter().map(copy_of).collect();
    // the body's arguments: sequence taps, output taps, non-sequences
    let mut args = seq_ph.clone();
    for r in &recs {
        let w = r.states.len() as i64;
        args.extend(r.taps.iter().map(|&t| r.states[(w + t) as usize].clone()));
    }
    args.extend(ns_ph.iter().cloned());
    let ScanBody {
        outputs: mut user,
        updates: body_updates,
    } = f(&args)?.into();
    for (k, e) in &body_updates {
        if !k.is_shared() {
            return invalid(format!(
                "the body updates {k}: only shared variables can be updated"
            ));
        }
        if !k.ty().accepts_update(e.ty()) {
            return invalid(format!(
                "the body updates the shared variable {k} of type {} with {e} of type {}; an \
                 update must have the variable's type (cast it explicitly)",
                k.ty(),
                e.ty()
            ));
        }
    }
    let cond = if opts.until {
        let Some(c) = user.pop() else {
            return invalid("until: the body must return its stop condition last");
        };
        if c.ndim() != 0 {
            return invalid(format!(
                "until: the stop condition (the body's last output) must be a scalar, got {c} of \
                 type {}",
                c.ty()
            ));
        }
        Some(c)
    } else {
        None
    };
    // a leaf output (a placeholder, a constant, an outer variable) through an identity node
    let user = user
        .into_iter()
        .map(not_a_leaf)
        .collect::<Result<Vec<_>>>()?;
    let n_user = user.len();
    if user.is_empty() && body_updates.is_empty() {
        return invalid("the body returned no output and no update");
    }
    if opts.outputs_info.len() > n_user {
        return invalid(format!(
            "outputs_info has {} entries but the body returned {n_user} outputs",
            opts.outputs_info.len()
        ));
    }
    for r in &recs {
        let o = &user[r.out];
        let want = r.states[0].ndim();
        if o.dtype() != r.init.dtype() || o.ndim() != want {
            return invalid(format!(
                "the initial state (outputs_info in scan nomenclature) of output {} ({}) has \
                 type {}, while the result of the inner function (fn) has type {}; they must \
                 have one dtype, and the output {want} dimensions (cast one)",
                r.out,
                r.init,
                r.init.ty(),
                o.ty()
            ));
        }
    }
    // the op's outputs: the body's, then each window's shifted states (s_2..s_w as the next
    // s_1..s_{w-1}); its recurrent states, in order, each window's s_1..s_w
    let mut outs = user;
    let mut rec_of: Vec<Option<usize>> = vec![None; n_user];
    let mut inits = Vec::new();
    let mut k = 0;
    for r in &recs {
        let w = r.states.len();
        for i in 0..w {
            inits.push(if r.windowed {
                r.init
                    .get(&[Idx::Int(Variable::index_constant(i as i64))])?
            } else {
                r.init.clone()
            });
            if i + 1 < w {
                outs.push(not_a_leaf(r.states[i + 1].clone())?);
                rec_of.push(Some(k + i));
            } else {
                rec_of[r.out] = Some(k + i);
            }
        }
        k += w;
    }
    // Shared variables threaded through the steps as recurrent states, each one's last value
    // the loop's update of it (Theano's scan returns them in its updates): first those the
    // body updates itself, then those with a default update that the body (or an update's
    // own graph) reads, such as a random stream's state.
    let mut threaded: Vec<(Variable, Variable, usize)> = Vec::new();
    let mut pending = body_updates;
    loop {
        if pending.is_empty() {
            pending = graph_inputs(&outs)
                .into_iter()
                .filter(|v| !threaded.iter().any(|(s, _, _)| s == v))
                .filter_map(|v| v.default_update().map(|u| (v, u)))
                .collect();
            if pending.is_empty() {
                break;
            }
        }
        for (v, e) in pending.drain(..) {
            let ph = placeholder(v.dtype(), v.ndim())?;
            if let Some(n) = v.name() {
                ph.set_name(&format!("{n}_copy"));
            }
            threaded.push((v.clone(), ph, outs.len()));
            outs.push(not_a_leaf(e)?);
            rec_of.push(Some(k));
            inits.push(v);
            k += 1;
        }
        let map: HashMap<Variable, Variable> = threaded
            .iter()
            .map(|(v, ph, _)| (v.clone(), ph.clone()))
            .collect();
        outs = clone_replace(&outs, &map)?;
    }
    let mut placeholders = seq_ph;
    placeholders.extend(recs.iter().flat_map(|r| r.states.iter().cloned()));
    placeholders.extend(threaded.iter().map(|(_, ph, _)| ph.clone()));
    placeholders.extend(ns_ph.iter().cloned());
    // what else the body reads from outside becomes an implicit non-sequence
    let known: std::collections::HashSet<u64> = placeholders.iter().map(Variable::id).collect();
    let mut implicit = Vec::new();
    // an explicit non-sequence the body reads directly rather than through its argument is
    // that argument
    let mut replace: HashMap<Variable, Variable> = opts
        .non_sequences
        .iter()
        .cloned()
        .zip(ns_ph.iter().cloned())
        .collect();
    for v in graph_inputs(&outs) {
        if known.contains(&v.id()) || v.is_constant() || replace.contains_key(&v) {
            continue;
        }
        if opts.strict {
            return invalid(format!(
                "strict: the body reads {v} ({}), which is not given as a sequence or a \
                 non-sequence; pass it in non_sequences",
                v.ty()
            ));
        }
        let p = copy_of(&v);
        replace.insert(v.clone(), p.clone());
        implicit.push((v, p));
    }
    outs = clone_replace(&outs, &replace)?;
    let mut inner_inputs = placeholders;
    inner_inputs.extend(implicit.iter().map(|(_, p)| p.clone()));
    let n_out = outs.len();
    let mut inner_outputs = outs;
    if let Some(c) = cond {
        // the condition reads the same placeholders; what it reads from outside is an
        // implicit non-sequence too
        let c = clone_replace(&[c], &replace)?.remove(0);
        let known: std::collections::HashSet<u64> = inner_inputs.iter().map(Variable::id).collect();
        if let Some(v) = graph_inputs(std::slice::from_ref(&c))
            .into_iter()
            .find(|v| !known.contains(&v.id()) && !v.is_constant())
        {
            return invalid(format!(
                "until: the stop condition reads {v}, which no output of the body reads; \
                 pass it as a non-sequence"
            ));
        }
        inner_outputs.push(c);
    }
    let mut last = vec![false; n_out];
    for &i in &opts.last_only {
        match recs.iter().find(|r| r.out == i) {
            Some(r) if !r.windowed && !opts.until => last[i] = true,
            _ => {
                return invalid(format!(
                    "output {i} cannot be kept at its last value only: it must be a recurrent \
                     output of tap -1 in a loop without a stop condition"
                ))
            }
        }
    }
    let op = ScanOp::from_parts(Parts {
        name: opts.name.clone().unwrap_or_else(|| "scan_fn".into()),
        seq_steps: seqs.iter().map(|s| s.step).collect(),
        seq_heads: seqs.iter().map(|s| s.head.is_some()).collect(),
        rec_of,
        last,
        n_rec: inits.len(),
        n_nonseqs: ns_ph.len() + implicit.len(),
        inner_inputs,
        inner_outputs,
        until: opts.until,
        truncate_gradient: opts.truncate_gradient,
    })
    .map_err(ScanError::Invalid)?;
    let mut ins = vec![n_steps];
    ins.extend(seqs.iter().map(|s| s.base.clone()));
    ins.extend(seqs.iter().map(|s| T::cast(&s.offset, DType::Int64)));
    ins.extend(seqs.iter().filter_map(|s| s.head.clone()));
    ins.extend(inits);
    ins.extend(opts.non_sequences.iter().cloned());
    ins.extend(implicit.into_iter().map(|(v, _)| v));
    let mut all = T::apply_op(Op::Custom(CustomRef(Arc::new(op))), ins)?;
    let mut updates = Vec::with_capacity(threaded.len());
    for (v, _, j) in threaded {
        let last = last_or(&all[j], &v)?;
        updates.push((v, last));
    }
    all.truncate(n_user);
    Ok((all, updates))
}

/// The body as an interpreted program (a function's linker may compile it again:
/// [`CustomOp::with_runners`]).
pub(crate) fn compile(inputs: &[Variable], outputs: &[Variable]) -> Result<Arc<dyn InnerRunner>> {
    let fg = FunctionGraph::from_outputs(inputs, outputs)
        .map_err(|e| ScanError::Invalid(format!("the body's graph: {e}")))?;
    let program = theano_exec::schedule(&fg, Interface::inputs_only(&fg));
    let exe = InterpLinker
        .link(program)
        .map_err(|e| ScanError::Invalid(e.to_string()))?;
    Ok(Arc::new(ExecRunner {
        exe,
        linker: "interp",
    }))
}

/// Theano's `Scan` op: the loop of one `scan` call.
#[derive(Clone)]
pub struct ScanOp {
    name: String,
    n_seqs: usize,
    /// per sequence: 1, or -1 for a read backwards (see [`SeqRead`])
    seq_steps: Vec<i64>,
    /// per sequence: whether a node input gives its row -1 (see [`SeqRead`])
    seq_heads: Vec<bool>,
    /// per output, its index among the recurrent outputs
    rec_of: Vec<Option<usize>>,
    /// per output: its last value only (a recurrent output), not stacked
    last: Vec<bool>,
    n_rec: usize,
    n_nonseqs: usize,
    /// the body's placeholders: sequence slices, recurrent states, non-sequences
    inner_inputs: Vec<Variable>,
    inner_outputs: Vec<Variable>,
    out_types: Vec<TensorType>,
    /// the body's last inner output is a stop condition (Theano's `until`)
    until: bool,
    /// backpropagate through the last this many steps only
    truncate_gradient: Option<usize>,
    /// runs the body: interpreted, or as the function's linker compiled it
    exe: Arc<dyn InnerRunner>,
}

/// What a [`ScanOp`] is made of (its text form writes these, [`crate::text`]).
#[derive(Clone)]
pub(crate) struct Parts {
    pub name: String,
    pub seq_steps: Vec<i64>,
    pub seq_heads: Vec<bool>,
    pub rec_of: Vec<Option<usize>>,
    pub last: Vec<bool>,
    pub n_rec: usize,
    pub n_nonseqs: usize,
    pub inner_inputs: Vec<Variable>,
    pub inner_outputs: Vec<Variable>,
    pub until: bool,
    pub truncate_gradient: Option<usize>,
}

impl ScanOp {
    /// The op of `p`, checked (counts, steps, each state fed by one output of its type),
    /// its body an interpreted program.
    pub(crate) fn from_parts(p: Parts) -> std::result::Result<ScanOp, String> {
        let ns = p.seq_steps.len();
        let n_out = p.inner_outputs.len().checked_sub(usize::from(p.until));
        let bad = |m: String| Err(format!("scan: {m}"));
        let Some(n_out) = n_out else {
            return bad("a loop with a stop condition needs it as its last body output".into());
        };
        if p.seq_heads.len() != ns || p.inner_inputs.len() != ns + p.n_rec + p.n_nonseqs {
            return bad(format!(
                "{} body inputs for {ns} sequences, {} states and {} non-sequences",
                p.inner_inputs.len(),
                p.n_rec,
                p.n_nonseqs
            ));
        }
        if p.seq_steps.iter().any(|&s| s != 1 && s != -1) {
            return bad(format!(
                "sequence steps must be 1 or -1, got {:?}",
                p.seq_steps
            ));
        }
        if p.rec_of.len() != n_out || p.last.len() != n_out {
            return bad(format!(
                "{n_out} body outputs, but {} output kinds",
                p.rec_of.len()
            ));
        }
        let mut fed = vec![0; p.n_rec];
        for (j, (r, &last)) in p.rec_of.iter().zip(&p.last).enumerate() {
            match *r {
                Some(k) if k < p.n_rec => {
                    fed[k] += 1;
                    let (o, s) = (&p.inner_outputs[j], &p.inner_inputs[ns + k]);
                    if o.dtype() != s.dtype() || o.ndim() != s.ndim() {
                        return bad(format!(
                            "output {j} ({}) feeds state {k} ({})",
                            o.ty(),
                            s.ty()
                        ));
                    }
                }
                None if !last => {}
                _ => return bad(format!("output {j} names no state of the {}", p.n_rec)),
            }
        }
        if fed.iter().any(|&c| c != 1) {
            return bad("each state must be fed by exactly one output".into());
        }
        let out_types = p.inner_outputs[..n_out]
            .iter()
            .zip(&p.last)
            .map(|(o, &last)| {
                let mut b = if last { vec![] } else { vec![false] };
                b.extend(o.broadcastable());
                TensorType::new(o.dtype(), &b).map_err(|e| e.to_string())
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let exe = compile(&p.inner_inputs, &p.inner_outputs).map_err(|e| e.to_string())?;
        crate::text::register_ops();
        Ok(ScanOp {
            name: p.name,
            n_seqs: ns,
            seq_steps: p.seq_steps,
            seq_heads: p.seq_heads,
            rec_of: p.rec_of,
            last: p.last,
            n_rec: p.n_rec,
            n_nonseqs: p.n_nonseqs,
            inner_inputs: p.inner_inputs,
            inner_outputs: p.inner_outputs,
            out_types,
            until: p.until,
            truncate_gradient: p.truncate_gradient,
            exe,
        })
    }

    /// The parts it was made of.
    pub(crate) fn parts(&self) -> Parts {
        Parts {
            name: self.name.clone(),
            seq_steps: self.seq_steps.clone(),
            seq_heads: self.seq_heads.clone(),
            rec_of: self.rec_of.clone(),
            last: self.last.clone(),
            n_rec: self.n_rec,
            n_nonseqs: self.n_nonseqs,
            inner_inputs: self.inner_inputs.clone(),
            inner_outputs: self.inner_outputs.clone(),
            until: self.until,
            truncate_gradient: self.truncate_gradient,
        }
    }
}

impl std::fmt::Debug for ScanOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "for{{cpu,{}}}", self.name)
    }
}

/// Writes `row` into row `t` of `dst` (one more dimension, the same dtype).
fn set_row(dst: &mut Tensor, t: usize, row: &Tensor) -> std::result::Result<(), String> {
    macro_rules! rows {
        ($($v:ident),*) => {
            match (dst, row) {
                $((Tensor::$v(d), Tensor::$v(r)) => d.index_axis_mut(ndarray::Axis(0), t).assign(r),)*
                (d, r) => {
                    return Err(format!(
                        "scan: the body gave a {} value for a {} output",
                        r.dtype(),
                        d.dtype()
                    ))
                }
            }
        };
    }
    rows!(F64, F32, I64, I32, I16, I8, U8, U16, U32, U64, Bool);
    Ok(())
}

/// Whether `op` is a scan.
pub fn is_scan(op: &Op) -> bool {
    matches!(op, Op::Custom(c) if c.0.name() == crate::text::NAME)
}

impl ScanOp {
    fn n_inputs(&self) -> usize {
        self.states_at() + self.n_rec + self.n_nonseqs
    }

    /// The index of the first initial state among the node's inputs (after the step count,
    /// the sequences, their offsets and their heads).
    fn states_at(&self) -> usize {
        1 + 2 * self.n_seqs + self.seq_heads.iter().filter(|&&h| h).count()
    }

    /// The node input giving row -1 of sequence `i`, if any.
    fn head_input(&self, i: usize) -> Option<usize> {
        self.seq_heads[i]
            .then(|| 1 + 2 * self.n_seqs + self.seq_heads[..i].iter().filter(|&&h| h).count())
    }

    /// Runs the loop.
    fn run(&self, ins: &[&Tensor]) -> std::result::Result<Vec<Tensor>, String> {
        if ins.len() != self.n_inputs() {
            return Err(format!(
                "scan takes {} inputs, got {}",
                self.n_inputs(),
                ins.len()
            ));
        }
        let n = ins[0]
            .scalar_i64()
            .ok_or("scan: n_steps must be an integer scalar")?;
        let n = usize::try_from(n)
            .map_err(|_| format!("scan: n_steps is {n}; it must not be negative"))?;
        let ns = self.n_seqs;
        let seqs = &ins[1..1 + ns];
        // per sequence, the row step 0 reads; every row the steps read must exist
        let mut first_rows = Vec::with_capacity(ns);
        // each sequence's row -1, if it has one (read by the steps below)
        let heads: Vec<Option<&Tensor>> = (0..ns)
            .map(|i| self.head_input(i).map(|h| ins[h]))
            .collect();
        for (i, s) in seqs.iter().enumerate() {
            let off = ins[1 + ns + i]
                .scalar_i64()
                .ok_or("scan: a sequence's offset must be an integer scalar")?;
            let step = self.seq_steps[i];
            // the row the last step reads (n_steps beyond any row is refused below)
            let last = i64::try_from(n)
                .ok()
                .and_then(|n| step.checked_mul(n - 1)?.checked_add(off))
                .unwrap_or(i64::MAX);
            let rows = s.shape()[0] as i64;
            let lowest = match heads[i] {
                Some(h) => {
                    if h.shape() != &s.shape()[1..] {
                        return Err(format!(
                            "scan: sequence {i} has rows of shape {:?} but its row -1 has shape \
                             {:?}",
                            &s.shape()[1..],
                            h.shape()
                        ));
                    }
                    -1
                }
                None => 0,
            };
            if n > 0 && (off.min(last) < lowest || off.max(last) >= rows) {
                return Err(format!(
                    "scan: sequence {i} has {rows} elements along axis 0, fewer than the {n} \
                     steps"
                ));
            }
            first_rows.push(off);
        }
        let at = self.states_at();
        let inits = &ins[at..at + self.n_rec];
        let nonseqs = &ins[at + self.n_rec..];
        let mut states: Vec<Tensor> = inits.iter().map(|t| (*t).clone()).collect();
        let n_out = self.out_types.len();
        // each output's stacked value, allocated at step 0 (when its shape is known) and
        // written row by row
        let mut stacked: Vec<Option<Tensor>> = (0..n_out).map(|_| None).collect();
        let mut done = 0;
        for t in 0..n {
            let slices: Vec<Tensor> = seqs
                .iter()
                .zip(first_rows.iter().zip(&self.seq_steps))
                .zip(&heads)
                .map(|((s, (&off, &step)), head)| {
                    let row = off + step * t as i64;
                    match head {
                        Some(h) if row < 0 => (*h).clone(),
                        _ => theano_tensor::map_array!(s, a => a
                            .index_axis(ndarray::Axis(0), row as usize)
                            .to_owned()),
                    }
                })
                .collect();
            let mut args: Vec<&Tensor> = slices.iter().collect();
            args.extend(states.iter());
            args.extend(nonseqs.iter().copied());
            let outs = self
                .exe
                .run(&args)
                .map_err(|e| format!("scan: step {t}: {e}"))?;
            if outs.len() != n_out + usize::from(self.until) {
                return Err(format!(
                    "scan: step {t}: the body gave {} outputs, not {n_out}",
                    outs.len()
                ));
            }
            let mut outs = outs;
            let stop = match self.until.then(|| outs.pop()).flatten() {
                Some(c) => c.to_f64_vec().first().is_some_and(|&v| v != 0.0),
                None => false,
            };
            for (j, o) in outs.into_iter().enumerate() {
                if !self.last[j] {
                    if stacked[j].is_none() {
                        let mut shape = vec![n];
                        shape.extend_from_slice(o.shape());
                        let dtype = self.out_types[j].dtype;
                        stacked[j] = Some(Tensor::try_zeros(dtype, &shape).ok_or_else(|| {
                            format!(
                                "scan: cannot allocate output {j} of {n} steps of shape {:?} \
                                 ({dtype})",
                                o.shape()
                            )
                        })?);
                    }
                    let dst = stacked[j].as_mut().expect("allocated above");
                    if dst.shape()[1..] != *o.shape() {
                        return Err(format!(
                            "scan: output {j} has shape {:?} at step {t} but {:?} at step 0; \
                             every step must give one shape",
                            o.shape(),
                            &dst.shape()[1..]
                        ));
                    }
                    set_row(dst, t, &o)?;
                }
                if let Some(k) = self.rec_of[j] {
                    if states[k].shape() != o.shape() {
                        return Err(format!(
                            "scan: the recurrent output {j} has shape {:?} at step {t}, but its \
                             initial value has shape {:?}",
                            o.shape(),
                            states[k].shape()
                        ));
                    }
                    states[k] = o;
                }
            }
            done = t + 1;
            if stop {
                break;
            }
        }
        let mut result = Vec::with_capacity(n_out);
        let mut states: Vec<Option<Tensor>> = states.into_iter().map(Some).collect();
        for (j, v) in stacked.into_iter().enumerate() {
            let ty = self.out_types[j];
            if self.last[j] {
                let k = self.rec_of[j].ok_or("scan: a last-value output is recurrent")?;
                result.push(states[k].take().ok_or("scan: one last value per state")?);
                continue;
            }
            result.push(match v {
                // stopped early (until): the steps done
                Some(v) if done < n => theano_tensor::map_array!(&v, a => a
                    .slice_axis(ndarray::Axis(0), ndarray::Slice::from(0..done))
                    .to_owned()),
                Some(v) => v,
                None => {
                    // no step: an empty stack, of the initial value's shape when it has one
                    let mut shape = vec![0];
                    match self.rec_of[j] {
                        Some(k) => shape.extend_from_slice(inits[k].shape()),
                        None => shape.extend(std::iter::repeat_n(0, ty.ndim() - 1)),
                    }
                    Tensor::zeros(ty.dtype, &shape)
                }
            });
        }
        Ok(result)
    }

    /// The gradient: a scan running backwards over the steps (see the crate documentation).
    /// The body's L-operator is built once, on the body's own placeholders; what it reads of
    /// the forward step (a sequence slice, a previous state, an output such as the `tanh` a
    /// `tanh`'s gradient reads) is fed to the backward loop as a sequence, so a step's
    /// outputs are read from the forward's stacked values, never computed again.
    fn backward(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Result<Vec<Option<Variable>>> {
        let (ns, nr, nn) = (self.n_seqs, self.n_rec, self.n_nonseqs);
        let n_out = self.out_types.len();
        // the steps done: with a stop condition, a stacked output's length
        let n_done;
        let n = if self.until {
            let Some(j) = self.last.iter().position(|&l| !l) else {
                return invalid(format!(
                    "{} stops on a condition and keeps no output stacked: the steps it ran are \
                     unknown, so it cannot be differentiated",
                    self.name
                ));
            };
            n_done = T::shape_i(&outputs[j], 0)?;
            &n_done
        } else {
            &inputs[0]
        };
        let xs = &inputs[1..1 + ns];
        let offs = &inputs[1 + ns..1 + 2 * ns];
        let at = self.states_at();
        let y0 = &inputs[at..at + nr];
        let nsq = &inputs[at + nr..];
        let head = |i: usize| self.head_input(i).map(|h| inputs[h].clone());
        let float = |v: &Variable| v.dtype().is_float();
        // the recurrent outputs, by recurrent index
        let rec_out: Vec<usize> = (0..nr)
            .map(|k| {
                self.rec_of
                    .iter()
                    .position(|r| *r == Some(k))
                    .expect("each recurrent state has an output")
            })
            .collect();
        let g_of = |j: usize| -> Result<Variable> {
            Ok(match &output_grads[j] {
                Some(g) => g.clone(),
                None => T::zeros_like(&outputs[j]),
            })
        };
        // the steps the backward loop runs over: all `n`, or the last `truncate_gradient`
        let n_bw = match self.truncate_gradient {
            Some(k) => T::minimum(n, k as i64),
            None => n.clone(),
        };
        // a stacked value of the forward's `n` steps, read from its last row backwards
        let back = |v: Variable| SeqRead {
            base: v,
            offset: T::sub(n, 1i64),
            step: -1,
            len: n_bw.clone(),
            head: None,
        };
        let f_rec: Vec<usize> = (0..nr)
            .filter(|&k| float(&y0[k]) && float(&outputs[rec_out[k]]))
            .collect();
        let f_free: Vec<usize> = (0..n_out)
            .filter(|&j| self.rec_of[j].is_none() && float(&outputs[j]))
            .collect();
        let f_x: Vec<usize> = (0..ns).filter(|&i| float(&xs[i])).collect();
        let f_ns: Vec<usize> = (0..nn).filter(|&m| float(&nsq[m])).collect();
        if f_x.is_empty() && f_rec.is_empty() && f_ns.is_empty() {
            return Ok(vec![None; inputs.len()]);
        }
        // the body's L-operator on its placeholders: one evaluation point per differentiated
        // output (the gradient reaching it: from outside, plus the carry from the next step)
        let (ph_x, rest) = self.inner_inputs.split_at(ns);
        let (ph_y, ph_ns) = rest.split_at(nr);
        let diff_out: Vec<usize> = f_rec
            .iter()
            .map(|&k| rec_out[k])
            .chain(f_free.iter().copied())
            .collect();
        let f: Vec<Variable> = diff_out
            .iter()
            .map(|&j| self.inner_outputs[j].clone())
            .collect();
        let ev_ph: Vec<Variable> = f.iter().map(|o| Variable::input(o.ty(), None)).collect();
        let mut wrt: Vec<Variable> = f_rec.iter().map(|&k| ph_y[k].clone()).collect();
        wrt.extend(f_ns.iter().map(|&m| ph_ns[m].clone()));
        wrt.extend(f_x.iter().map(|&i| ph_x[i].clone()));
        let opts = GradOptions {
            disconnected_inputs: DisconnectedInputs::Ignore,
            add_names: false,
            ..GradOptions::default()
        };
        let g = lop_with(&f, &wrt, &ev_ph, &opts)
            .map_err(|e| ScanError::Invalid(format!("the body's gradient: {e}")))?;
        // the values the forward step computed (a `tanh` that `tanh`'s gradient computes
        // again) are the forward's; the body's outputs it reads are placeholders fed from the
        // stacked outputs
        let g = theano_ir::graph::merge_onto(&g, &self.inner_outputs)?;
        let ph_out: Vec<Variable> = self.inner_outputs[..n_out]
            .iter()
            .map(|o| Variable::input(o.ty(), None))
            .collect();
        let as_read: HashMap<Variable, Variable> = self.inner_outputs[..n_out]
            .iter()
            .cloned()
            .zip(ph_out.iter().cloned())
            .collect();
        let g = clone_replace(&g, &as_read)?;
        let read: std::collections::HashSet<u64> = theano_ir::graph::ancestors(&g)
            .iter()
            .map(Variable::id)
            .collect();
        let x_read: Vec<usize> = (0..ns).filter(|&i| read.contains(&ph_x[i].id())).collect();
        let y_read: Vec<usize> = (0..nr).filter(|&k| read.contains(&ph_y[k].id())).collect();
        let out_read: Vec<usize> = (0..n_out)
            .filter(|&j| read.contains(&ph_out[j].id()))
            .collect();
        if let Some(j) = out_read
            .iter()
            .copied()
            .chain(y_read.iter().map(|&k| rec_out[k]))
            .find(|&j| self.last[j])
        {
            return invalid(format!(
                "the gradient of {} reads the values of output {j} at each step, which the loop \
                 keeps at its last value only",
                self.name
            ));
        }
        // the backward loop's sequences, each reversed: the forward sequences, previous states
        // and outputs that the L-operator reads, then the output gradients (a last-value
        // output's gradient is the initial carry instead)
        let mut bseqs = Vec::new();
        for &i in &x_read {
            // the rows the forward read, the other way round
            let step = self.seq_steps[i];
            bseqs.push(SeqRead {
                base: xs[i].clone(),
                offset: T::add(&offs[i], T::mul(T::sub(n, 1i64), step)),
                step: -step,
                len: n_bw.clone(),
                head: head(i),
            });
        }
        // a state's previous values: its stacked values from the next to last backwards,
        // then (row -1) its initial value
        for &k in &y_read {
            bseqs.push(SeqRead {
                base: outputs[rec_out[k]].clone(),
                offset: T::sub(n, 2i64),
                step: -1,
                len: n_bw.clone(),
                head: Some(y0[k].clone()),
            });
        }
        for &j in &out_read {
            bseqs.push(back(outputs[j].clone()));
        }
        let stacked_rec: Vec<bool> = f_rec.iter().map(|&k| !self.last[rec_out[k]]).collect();
        for (&k, _) in f_rec.iter().zip(&stacked_rec).filter(|(_, &s)| s) {
            bseqs.push(back(g_of(rec_out[k])?));
        }
        for &j in &f_free {
            bseqs.push(back(g_of(j)?));
        }
        let mut binfo: Vec<Option<Variable>> = Vec::new();
        for (&k, &s) in f_rec.iter().zip(&stacked_rec) {
            binfo.push(Some(if s {
                T::zeros_like(&y0[k])
            } else {
                g_of(rec_out[k])?
            }));
        }
        for &m in &f_ns {
            binfo.push(Some(T::zeros_like(&nsq[m])));
        }
        let n_gy = stacked_rec.iter().filter(|&&s| s).count();
        let (n_frec, n_free, n_fns) = (f_rec.len(), f_free.len(), f_ns.len());
        let (ph_x, ph_y, ph_ns) = (ph_x.to_vec(), ph_y.to_vec(), ph_ns.to_vec());
        let (x_read2, y_read2, out_read2) = (x_read.clone(), y_read.clone(), out_read.clone());
        let body = move |a: &[Variable]| -> Result<Vec<Variable>> {
            let mut it = a.iter().cloned();
            let mut take = |k: usize| -> Vec<Variable> { (&mut it).take(k).collect() };
            let x_t = take(x_read2.len());
            let yprev = take(y_read2.len());
            let y_t = take(out_read2.len());
            let gy = take(n_gy);
            let go = take(n_free);
            let carry = take(n_frec);
            let acc = take(n_fns);
            let nsv = take(nn);
            let mut map = HashMap::new();
            map.extend(x_read2.iter().map(|&i| ph_x[i].clone()).zip(x_t));
            map.extend(y_read2.iter().map(|&k| ph_y[k].clone()).zip(yprev));
            map.extend(out_read2.iter().map(|&j| ph_out[j].clone()).zip(y_t));
            map.extend(ph_ns.iter().cloned().zip(nsv));
            let mut gy = gy.into_iter();
            for (i, &s) in stacked_rec.iter().enumerate() {
                let e = if s {
                    T::add(gy.next().expect("one per stacked output"), &carry[i])
                } else {
                    carry[i].clone()
                };
                map.insert(ev_ph[i].clone(), e);
            }
            map.extend(ev_ph[n_frec..].iter().cloned().zip(go));
            let g = clone_replace(&g, &map)?;
            let (g_prev, rest) = g.split_at(n_frec);
            let (g_ns, g_x) = rest.split_at(n_fns);
            let mut out: Vec<Variable> = g_prev.to_vec();
            out.extend(acc.iter().zip(g_ns).map(|(a, g)| T::add(a, g)));
            out.extend(g_x.iter().cloned());
            Ok(out)
        };
        // the sums over the steps (the non-sequences' gradients) are kept at their last value
        let (bw, _) = scan(
            body,
            Scan::new()
                .reads(bseqs)
                .outputs_info(binfo)
                .non_sequences(nsq)
                .n_steps(&n_bw)
                .last_only(n_frec..n_frec + n_fns)
                .name(&format!("grad_of_{}", self.name)),
        )?;
        let (carries, rest) = bw.split_at(n_frec);
        let (accs, gxs) = rest.split_at(n_fns);
        let mut grads: Vec<Option<Variable>> = vec![None; inputs.len()];
        // the last carry, zeros when there was no step
        for (c, &k) in carries.iter().zip(&f_rec) {
            grads[at + k] = Some(last_or(c, &T::zeros_like(&y0[k]))?);
        }
        for (a, &m) in accs.iter().zip(&f_ns) {
            grads[at + nr + m] = Some(a.clone());
        }
        // a sequence's gradient: the backward step's values in the rows the forward read
        // (the last `n_bw` steps' rows), zeros elsewhere
        for (g, &i) in gxs.iter().zip(&f_x) {
            let z = T::zeros_like(&xs[i]);
            let (start, value) = if self.seq_steps[i] == 1 {
                (T::sub(T::add(&offs[i], n), &n_bw), reversed(g)?)
            } else {
                (T::sub(&offs[i], T::sub(n, 1i64)), g.clone())
            };
            let Some(h) = self.head_input(i) else {
                let stop = T::add(&start, &n_bw);
                let rows = z.get(&[Idx::Slice(Some(start), Some(stop), None)])?;
                grads[1 + i] = Some(T::set_subtensor(&rows, value)?);
                continue;
            };
            // the lowest row read may be -1, the head's: its value's first row is the head's
            // gradient (a sum over none or one row), the rest the base's
            let skip = T::cast(T::lt(&start, 0i64), DType::Int64);
            let from = T::add(&start, &skip);
            let stop = T::maximum(T::add(&start, &n_bw), &from);
            let rows = z.get(&[Idx::Slice(Some(from), Some(stop), None)])?;
            let rest = value.get(&[Idx::Slice(Some(skip.clone()), None, None)])?;
            grads[1 + i] = Some(T::set_subtensor(&rows, rest)?);
            let first = value.get(&[Idx::Slice(None, Some(skip), None)])?;
            grads[h] = Some(T::sum_axes(&first, Some(&[0]), false)?);
        }
        Ok(grads)
    }
}

impl CustomOp for ScanOp {
    fn name(&self) -> String {
        "for".into()
    }
    fn params(&self) -> String {
        format!("cpu,{}", self.name)
    }
    fn n_outputs(&self) -> usize {
        self.out_types.len()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        if inputs.len() != self.n_inputs() {
            return Err(format!(
                "scan takes {} inputs, got {}",
                self.n_inputs(),
                inputs.len()
            ));
        }
        if inputs[0].ndim() != 0 || !inputs[0].dtype.is_int() {
            return Err(format!(
                "scan: n_steps must be an integer scalar, got {}",
                inputs[0]
            ));
        }
        let ns = self.n_seqs;
        for (i, t) in inputs[1 + ns..1 + 2 * ns].iter().enumerate() {
            if t.ndim() != 0 || !t.dtype.is_int() {
                return Err(format!(
                    "scan: the offset of sequence {i} must be an integer scalar, got {t}"
                ));
            }
        }
        let ph: Vec<TensorType> = self.inner_inputs.iter().map(Variable::ty).collect();
        for (i, &p) in ph[..ns].iter().enumerate() {
            if let Some(h) = self.head_input(i) {
                let t = inputs[h];
                if t.dtype != p.dtype || t.ndim() != p.ndim() {
                    return Err(format!(
                        "scan: row -1 of sequence {i} has type {t}, which the body cannot take \
                         (its placeholder is {p})"
                    ));
                }
            }
        }
        let at = self.states_at();
        let others = inputs[1..1 + ns].iter().chain(&inputs[at..]);
        for (i, t) in others.enumerate() {
            let p = ph[i];
            // a sequence has one more dimension than its slice; the rest are read whole
            let extra = usize::from(i < ns);
            let fits = t.dtype == p.dtype && t.ndim() == p.ndim() + extra;
            if !fits {
                // the node's input index (the offsets sit between sequences and states)
                let input = if i < ns { i + 1 } else { i - ns + at };
                return Err(format!(
                    "scan: input {input} has type {t}, which the body cannot take (its \
                     placeholder is {p})"
                ));
            }
        }
        Ok(self.out_types.clone())
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        Some(
            self.backward(inputs, outputs, output_grads)
                .map_err(|e| e.to_string()),
        )
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        Some(self.run(inputs))
    }
    fn inner_graphs(&self) -> Vec<InnerGraph> {
        // the body's inputs: a sequence's slices (its tensor), the states (their initial
        // values), the non-sequences
        let (ns, at) = (self.n_seqs, self.states_at());
        let outer = (0..self.inner_inputs.len())
            .map(|i| Some(if i < ns { 1 + i } else { at + i - ns }))
            .collect();
        vec![InnerGraph {
            inputs: self.inner_inputs.clone(),
            outputs: self.inner_outputs.clone(),
            outer,
        }]
    }
    fn with_runners(&self, runners: Vec<Arc<dyn InnerRunner>>) -> Option<Arc<dyn CustomOp>> {
        let [exe] = <[_; 1]>::try_from(runners).ok()?;
        Some(Arc::new(ScanOp {
            exe,
            ..self.clone()
        }))
    }
    /// Drops the body's outputs nobody reads that no step reads back either, and keeps an
    /// unread recurrent output at its last value only (its steps still run: the next step
    /// reads it), as Theano's `scan_save_mem`.
    fn without_outputs(&self, used: &[bool]) -> Option<(Arc<dyn CustomOp>, Vec<Option<usize>>)> {
        let n_out = self.out_types.len();
        let keep: Vec<bool> = (0..n_out)
            .map(|j| used[j] || self.rec_of[j].is_some())
            .collect();
        let last: Vec<bool> = (0..n_out).map(|j| self.last[j] || !used[j]).collect();
        if keep.iter().all(|&k| k) && last == self.last {
            return None;
        }
        let kept: Vec<usize> = (0..n_out).filter(|&j| keep[j]).collect();
        let mut p = self.parts();
        p.inner_outputs = kept
            .iter()
            .map(|&j| self.inner_outputs[j].clone())
            .collect();
        p.inner_outputs
            .extend(self.inner_outputs[n_out..].iter().cloned());
        p.rec_of = kept.iter().map(|&j| self.rec_of[j]).collect();
        p.last = kept.iter().map(|&j| last[j]).collect();
        let op = ScanOp::from_parts(p).ok()?;
        let mut map = vec![None; n_out];
        for (i, &j) in kept.iter().enumerate() {
            map[j] = Some(i);
        }
        Some((Arc::new(op), map))
    }
    fn text_params(&self) -> Option<String> {
        Some(crate::text::write(self))
    }
    fn inner_linkers(&self) -> Vec<&'static str> {
        vec![self.exe.linker()]
    }
}
