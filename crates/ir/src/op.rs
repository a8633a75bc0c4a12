//! The closed set of tensor ops and their type inference.
//!
//! Every concern dispatches on [`Op`] in its own crate (gradients in theano-grad, `perform` in
//! theano-interp, lowering in the backends), so adding a variant makes the compiler list every
//! place that must learn it.

use crate::scalar::ScalarOp;
use crate::types::{TensorType, MAX_NDIM};
use std::fmt;
use std::sync::Arc;
use theano_tensor::DType;

/// Reductions of Theano's `CAReduce` family.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ReduceKind {
    Sum,
    Prod,
    Max,
    Min,
    All,
    Any,
}

impl ReduceKind {
    pub const ALL: [ReduceKind; 6] = [
        ReduceKind::Sum,
        ReduceKind::Prod,
        ReduceKind::Max,
        ReduceKind::Min,
        ReduceKind::All,
        ReduceKind::Any,
    ];
    pub fn name(&self) -> &'static str {
        match self {
            ReduceKind::Sum => "Sum",
            ReduceKind::Prod => "Prod",
            ReduceKind::Max => "Max",
            ReduceKind::Min => "Min",
            ReduceKind::All => "All",
            ReduceKind::Any => "Any",
        }
    }
    /// The default output dtype (Theano's): sums and products of unsigned ints are uint64, of
    /// signed ints and bools int64, floats stay; max and min keep the dtype; all and any give
    /// bool.
    pub fn out_dtype(&self, d: DType) -> DType {
        match self {
            ReduceKind::Sum | ReduceKind::Prod if d.is_unsigned() => DType::UInt64,
            ReduceKind::Sum | ReduceKind::Prod if d.is_discrete() => DType::Int64,
            ReduceKind::All | ReduceKind::Any => DType::Bool,
            _ => d,
        }
    }

    /// The dtype a sum or product of `d` accumulates in (Theano's default `acc_dtype`):
    /// float64 for floats, uint64 for unsigned ints, int64 for signed ints and bools. Other
    /// reductions accumulate in their output dtype.
    pub fn acc_dtype(&self, d: DType) -> DType {
        match self {
            ReduceKind::Sum | ReduceKind::Prod if d.is_float() => DType::Float64,
            _ => self.out_dtype(d),
        }
    }
}

/// Python's `slice(start, stop, step).indices(n)` over a dimension of length `n`, the meaning
/// of a `Subtensor` slice entry on every backend: (first index, length, step); `None` for a
/// zero step.
pub fn py_slice(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    n: usize,
) -> Option<(i128, i128, i128)> {
    let step = step.unwrap_or(1) as i128;
    if step == 0 {
        return None;
    }
    let n = n as i128;
    let (lower, upper) = if step < 0 { (-1, n - 1) } else { (0, n) };
    let clamp = |v: Option<i64>, default: i128| match v {
        None => default,
        Some(v) => {
            let v = v as i128;
            if v < 0 {
                (v + n).max(lower)
            } else {
                v.min(upper)
            }
        }
    };
    let start = clamp(start, if step < 0 { upper } else { lower });
    let stop = clamp(stop, if step < 0 { lower } else { upper });
    let len = if step > 0 {
        if stop > start {
            (stop - start + step - 1) / step
        } else {
            0
        }
    } else if start > stop {
        (start - stop - step - 1) / (-step)
    } else {
        0
    };
    Some((start, len, step))
}

/// One entry of a basic (`Subtensor`) index. Entries that carry a `DType` take their value
/// from the next scalar input of the node, in order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum IdxEntry {
    /// `x[i]`: removes the dimension.
    Index(DType),
    /// `x[start:stop:step]`: each bound present or absent.
    Slice {
        start: Option<DType>,
        stop: Option<DType>,
        step: Option<DType>,
    },
}

impl IdxEntry {
    /// How many scalar inputs the entry consumes.
    pub fn n_inputs(&self) -> usize {
        match self {
            IdxEntry::Index(_) => 1,
            IdxEntry::Slice { start, stop, step } => {
                start.is_some() as usize + stop.is_some() as usize + step.is_some() as usize
            }
        }
    }
}

impl fmt::Display for IdxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxEntry::Index(d) => write!(f, "{d}"),
            IdxEntry::Slice { start, stop, step } => {
                let s = |x: &Option<DType>| x.map(|d| d.name()).unwrap_or("");
                write!(f, "{}:{}:{}", s(start), s(stop), s(step))
            }
        }
    }
}

/// One entry of an advanced (`AdvancedSubtensor`) index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AdvEntry {
    /// `:` keeps the whole dimension.
    Full,
    /// an integer (or bool-free) index array taken from the next input.
    Array,
}

/// A user-defined op: its name, its output count and types, and optionally a reference
/// implementation (`perform`, which every backend runs it by) and a gradient.
pub trait CustomOp: Send + Sync + fmt::Debug {
    fn name(&self) -> String;
    /// How many outputs every node of the op has (1 unless overridden); `infer_types` must
    /// return that many types, or building the node is refused.
    fn n_outputs(&self) -> usize {
        1
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String>;
    /// The gradient (Theano's `L_op`): given the node's inputs and outputs and the gradient
    /// of the cost with respect to each output (`None`: that output does not reach the cost),
    /// the gradient with respect to each input (`None`: the input is disconnected), built
    /// with the tensor builders. `None` (the default): the op has no gradient, and `grad()`
    /// through it is an error naming the op.
    fn grad(
        &self,
        inputs: &[crate::Variable],
        outputs: &[crate::Variable],
        output_grads: &[Option<crate::Variable>],
    ) -> Option<Result<Vec<Option<crate::Variable>>, String>> {
        let _ = (inputs, outputs, output_grads);
        None
    }
    /// The R-operator (Theano's `R_op`): given the node's inputs and outputs and an
    /// evaluation point per input (`None`: that input does not vary), the directional
    /// derivative of each output (`None`: zero), built with the tensor builders. `None` (the
    /// default): the op has none, and `rop()` through it is an error naming the op.
    fn rop(
        &self,
        inputs: &[crate::Variable],
        outputs: &[crate::Variable],
        eval_points: &[Option<crate::Variable>],
    ) -> Option<Result<Vec<Option<crate::Variable>>, String>> {
        let _ = (inputs, outputs, eval_points);
        None
    }
    /// The output shapes (Theano's `infer_shape`) from the inputs' ranks: per output, per
    /// dimension, a constant length or an input's dimension. `None` (the default): unknown,
    /// so the optimizer reads the shape from the computed value (`Shape` stays a run-time
    /// op) and shape rewrites stop at the node.
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        let _ = input_ndims;
        None
    }
    /// The op's parameters in its text form: the op prints as `name{params}` (just `name`
    /// when empty), and the IR parser reads it back through the constructor registered for
    /// `name` with [`register_custom_op`].
    fn params(&self) -> String {
        String::new()
    }
    /// The parameters the IR text form writes when they hold more than [`CustomOp::params`]
    /// shows (a loop's body: `debugprint` and `pp` print `for{cpu,scan_fn}` as Theano, the
    /// text form the whole op); the registered constructor reads either. `None` (the
    /// default): `params`.
    fn text_params(&self) -> Option<String> {
        None
    }
    /// The inputs Theano's op takes as scalars (`as_scalar`): `debugprint` shows each
    /// through a `ScalarFromTensor` node, as Theano's graph holds it. None by default.
    fn scalar_inputs(&self) -> Vec<usize> {
        Vec::new()
    }
    /// The op's inner graphs (a loop's body), for a driver that compiles them with the
    /// function's own optimizer and linker ([`CustomOp::with_runners`]); none by default.
    fn inner_graphs(&self) -> Vec<InnerGraph> {
        Vec::new()
    }
    /// The same op running its inner graphs by `runners` (one per inner graph, in order), as
    /// a backend compiled them. `None` (the default): the op keeps its own.
    fn with_runners(&self, runners: Vec<Arc<dyn InnerRunner>>) -> Option<Arc<dyn CustomOp>> {
        let _ = runners;
        None
    }
    /// The op computing only the outputs `used` marks, for the optimizer's
    /// `prune_unused_outputs` (a loop's gradient whose sequence gradients nobody asked for):
    /// the new op, and for each output of this op its index among the new op's outputs (an
    /// unused one may have none, or keep one whose value is no longer meaningful). `None`
    /// (the default): nothing to drop.
    fn without_outputs(&self, used: &[bool]) -> Option<(Arc<dyn CustomOp>, Vec<Option<usize>>)> {
        let _ = used;
        None
    }
    /// Whether `debugprint` shows the inner graphs in its `Inner graphs of the scan ops:`
    /// section (a loop's, as Theano; Theano's `OpFromGraph` shows none). Default: when there
    /// are any.
    fn prints_inner_graphs(&self) -> bool {
        !self.inner_graphs().is_empty()
    }
    /// The graph theano-opt's rewrite named `rewrite` writes out in place of a node whose
    /// inputs have `input_types` (Theano's `inline_ofg_expansion` of an `OpFromGraph` built
    /// with `inline=True`; its `local_abstract_batch_norm_*` of the abstract batch-norm
    /// ops); the graph's inputs stand for the node's inputs, in order. An op answers only
    /// its own rewrite, before building anything. `None` (the default): the node stays.
    fn expansion(&self, rewrite: &str, input_types: &[TensorType]) -> Option<InnerGraph> {
        let _ = (rewrite, input_types);
        None
    }
    /// Which linker made each inner graph's runner (`interp`, `jit`, ...), for the profile.
    fn inner_linkers(&self) -> Vec<&'static str> {
        Vec::new()
    }
    /// The op's reference implementation, run by the interpreter (the oracle every backend is
    /// checked against). `None`: the op has none, and graphs using it cannot be evaluated.
    fn perform(
        &self,
        inputs: &[&theano_tensor::Tensor],
    ) -> Option<Result<Vec<theano_tensor::Tensor>, String>> {
        let _ = inputs;
        None
    }
}

/// An inner graph of a [`CustomOp`]: its placeholder inputs (plain inputs) and outputs.
#[derive(Clone, Debug)]
pub struct InnerGraph {
    pub inputs: Vec<crate::Variable>,
    pub outputs: Vec<crate::Variable>,
    /// For each input, the node input whose values it takes (a sequence's rows, a state's
    /// initial value, a non-sequence), when there is one: `debugprint` writes
    /// `<inner> -> [id <outer>]` as Theano does for a scan's body.
    pub outer: Vec<Option<usize>>,
}

/// A compiled inner graph: values of its inputs in, values of its outputs out.
pub trait InnerRunner: Send + Sync {
    fn run(&self, args: &[&theano_tensor::Tensor]) -> Result<Vec<theano_tensor::Tensor>, String>;
    /// The linker that compiled it (`interp`, `jit`, ...).
    fn linker(&self) -> &'static str;
}

/// Interned custom ops: one shared op per key (an op's parameters), so that two nodes of the
/// same op over the same inputs merge ([`CustomRef`]s compare by identity).
pub struct OpTable<K> {
    ops: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<K, CustomRef>>>,
}

impl<K: std::hash::Hash + Eq> OpTable<K> {
    pub const fn new() -> Self {
        OpTable {
            ops: std::sync::OnceLock::new(),
        }
    }

    /// The op of `key`, made by `make` the first time.
    pub fn get(&self, key: K, make: impl FnOnce() -> Arc<dyn CustomOp>) -> Op {
        let mut ops = self
            .ops
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Op::Custom(ops.entry(key).or_insert_with(|| CustomRef(make())).clone())
    }
}

impl<K: std::hash::Hash + Eq> Default for OpTable<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// One output dimension as [`CustomOp::infer_shape`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeDim {
    /// A known length.
    Const(usize),
    /// Dimension `axis` of input `input`.
    Of { input: usize, axis: usize },
}

impl ShapeDim {
    /// Every dimension of input `input`, which has `ndim` of them: an output of its shape.
    pub fn all_of(input: usize, ndim: usize) -> Vec<ShapeDim> {
        (0..ndim).map(|axis| ShapeDim::Of { input, axis }).collect()
    }
}

/// Makes a [`CustomOp`] from its name and the parameters of its text form (what
/// [`CustomOp::params`] printed), for the IR parser: one function may read several names.
pub type CustomOpParser = fn(&str, &str) -> Result<Arc<dyn CustomOp>, String>;

fn custom_registry() -> &'static std::sync::RwLock<std::collections::HashMap<String, CustomOpParser>>
{
    static REGISTRY: std::sync::OnceLock<
        std::sync::RwLock<std::collections::HashMap<String, CustomOpParser>>,
    > = std::sync::OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Register the constructor the IR parser uses for custom ops named `name` (replacing any
/// earlier one): `name{params}` in the text form becomes `parse(name, params)`.
pub fn register_custom_op(name: &str, parse: CustomOpParser) {
    custom_registry()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(name.to_string(), parse);
}

/// The constructor registered for custom ops named `name`, if any.
pub fn custom_op_parser(name: &str) -> Option<CustomOpParser> {
    // the custom ops ir itself defines register on first use; a text naming one may come first
    if name == crate::sigmoid_xent::NAME {
        let _ = crate::sigmoid_xent::op();
    }
    if name == crate::sigmoid_xent::GRAD_NAME {
        let _ = crate::sigmoid_xent::grad_op();
    }
    if name == "Print" {
        crate::printing::register_print();
    }
    if name == crate::assert_op::NAME {
        crate::assert_op::register();
    }
    if name == crate::rebroadcast::NAME {
        crate::rebroadcast::register();
    }
    custom_registry()
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(name)
        .copied()
}

/// A shared handle to a [`CustomOp`], compared by identity.
#[derive(Clone, Debug)]
pub struct CustomRef(pub Arc<dyn CustomOp>);

impl PartialEq for CustomRef {
    fn eq(&self, other: &CustomRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for CustomRef {}
impl std::hash::Hash for CustomRef {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (Arc::as_ptr(&self.0) as *const () as usize).hash(h)
    }
}

/// The ops of theano-rs. Display gives Theano 1.0's op names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// A scalar op mapped over inputs of equal ndim (the builders insert DimShuffles).
    /// `inplace` lists (output, input) pairs whose buffer the output overwrites.
    Elemwise {
        scalar: ScalarOp,
        inplace: Option<usize>,
    },
    /// Permute, drop broadcastable and insert (`None` = `'x'`) dimensions.
    DimShuffle {
        new_order: Vec<Option<usize>>,
        inplace: bool,
    },
    /// Reduce over `axes` (`None` = all). `dtype` is Theano's `dtype=` of `sum`/`prod`: the
    /// output dtype when given (the sum still accumulates in [`ReduceKind::acc_dtype`] of the
    /// input, then casts, as Theano's `CAReduceDtype`); `None` for the default
    /// ([`ReduceKind::out_dtype`]) and always `None` for max, min, all and any.
    Reduce {
        kind: ReduceKind,
        axes: Option<Vec<usize>>,
        dtype: Option<DType>,
    },
    /// max and argmax over `axes` (two outputs).
    MaxAndArgmax { axes: Vec<usize> },
    /// Theano's `ProdWithoutZeros`: the product over `axes` (`None` = all) of the non-zero
    /// elements, as `Prod` types it; the product's gradient uses it. The optimizer writes it
    /// as `Prod(switch(eq(x, 0), 1, x))` (`prod_without_zeros_expand`).
    ProdWithoutZeros { axes: Option<Vec<usize>> },
    /// Theano's `Argmax`: the argmax of `MaxAndArgmax` alone (int64), which the optimizer
    /// puts where a graph reads only the argmax (`argmax_only`).
    Argmax { axes: Vec<usize> },
    /// Matrix and vector product (ndim 1 or 2 on both sides).
    Dot,
    /// softmax over the last axis
    Softmax,
    /// log_softmax over the last axis
    LogSoftmax,
    /// Theano's `SoftmaxGrad`: inputs (dy, sm) of one float type, ndim 1 or 2, `sm` a
    /// softmax; `dx = dy * sm - sum(dy * sm, last axis) * sm`, the gradient of the softmax's
    /// input. The optimizer writes it out elementwise (`softmax_grad_expand`) so it fuses.
    SoftmaxGrad,
    /// Theano's `CrossentropySoftmaxArgmax1HotWithBias`: inputs (x: float matrix of logits,
    /// b: float vector bias, y_idx: integer vector of labels); three outputs: the negative log
    /// likelihood `nll[i] = -log(softmax(x + b)[i, y_idx[i]])` (a vector, computed by
    /// log-sum-exp), `sm = softmax(x + b)` and the int64 argmax of each row of `x + b`.
    CrossentropySoftmaxArgmax1HotWithBias,
    /// Theano's `CrossentropySoftmax1HotWithBiasDx`: inputs (dnll: float vector, sm: float
    /// matrix, y_idx: integer vector); `dx = (sm - onehot(y_idx)) * dnll[:, None]`, the
    /// gradient of the nll output above with respect to `x` (and, summed over rows, `b`).
    CrossentropySoftmax1HotWithBiasDx,
    /// Theano's `CrossentropyCategorical1Hot` (`categorical_crossentropy` with integer
    /// labels): inputs (coding_dist: float matrix of probabilities, true_one_of_n: integer
    /// vector with one label per row); `y[i] = -log(coding_dist[i, true_one_of_n[i]])`, a
    /// vector of coding_dist's dtype. The optimizer turns it into
    /// `CrossentropySoftmaxArgmax1HotWithBias` when coding_dist is a softmax.
    CrossentropyCategorical1Hot,
    /// Theano's `CrossentropyCategorical1HotGrad`: inputs (g_y: float vector, coding_dist:
    /// float matrix, true_one_of_n: integer vector); zeros of coding_dist's type except
    /// `g[i, t[i]] = -g_y[i] / coding_dist[i, t[i]]`, the gradient of the op above.
    CrossentropyCategorical1HotGrad,
    /// the shape vector (int64)
    Shape,
    /// one dimension's length (int64 scalar)
    ShapeI(usize),
    /// reshape to a shape vector input of length `ndim`
    Reshape { ndim: usize },
    /// collapse trailing dimensions so the result has `outdim` dimensions
    Flatten { outdim: usize },
    /// Theano's `SpecifyShape`: inputs (x, shape: an integer vector of length x.ndim); the
    /// output is x, and a call where x's shape is not `shape` is an error naming both.
    SpecifyShape,
    /// arange(start, stop, step)
    ARange { dtype: DType },
    /// alloc(value, *shape): broadcast value to a new array of the given shape
    Alloc,
    /// concatenate inputs along `axis`
    Join { axis: usize },
    /// stack scalars into a vector
    MakeVector { dtype: DType },
    /// basic indexing
    Subtensor { idx: Vec<IdxEntry> },
    /// x[idx] = y (set) or x[idx] += y (inc), returning the new x
    IncSubtensor {
        idx: Vec<IdxEntry>,
        set: bool,
        inplace: bool,
    },
    /// x[ivector] on the first axis
    AdvancedSubtensor1,
    /// numpy advanced indexing with integer arrays and full slices
    AdvancedSubtensor { idx: Vec<AdvEntry> },
    /// Theano's `AdvancedBooleanSubtensor`: inputs (x, mask: a bool tensor of x's leading
    /// shape); numpy's `x[mask]`, the selected elements (or sub-arrays) in row-major order.
    /// Its first length depends on the values.
    AdvancedBooleanSubtensor,
    /// Theano's `AdvancedBooleanIncSubtensor`: inputs (x, y, mask); `x[mask] = y` (set) or
    /// `x[mask] += y`, returning the new x.
    AdvancedBooleanIncSubtensor { set: bool, inplace: bool },
    /// x[ivector] = / += y; repeated indices accumulate when incrementing
    AdvancedIncSubtensor1 { set: bool, inplace: bool },
    /// advanced set / increment
    AdvancedIncSubtensor {
        idx: Vec<AdvEntry>,
        set: bool,
        inplace: bool,
    },
    /// BLAS gemv, Theano's `Gemv` (`CGemv` with a linked BLAS): inputs (y, alpha, A, x,
    /// beta) give `beta * y + alpha * dot(A, x)`; `inplace` overwrites y (input 0).
    Gemv { inplace: bool },
    /// BLAS gemm: inputs (z, alpha, x, y, beta) give `beta * z + alpha * dot(x, y)`;
    /// `inplace` overwrites z (input 0).
    Gemm { inplace: bool },
    /// BLAS ger, Theano's `CGer`: inputs (A, alpha, x, y) give `A + alpha * outer(x, y)`;
    /// `destructive` overwrites A (input 0).
    Ger { destructive: bool },
    /// matrix-matrix product of two float matrices of one dtype
    Dot22,
    /// Theano's `CumOp` (`cumsum`, `cumprod`): the running sum or product along `axis`, kept
    /// as given (negative counts from the end); `None`: over the flattened input, a vector.
    CumOp {
        axis: Option<i64>,
        mode: crate::cumsort::CumMode,
    },
    /// Theano's `SortOp`: inputs (x, axis: an integer scalar); x sorted along the axis.
    Sort { kind: crate::cumsort::SortKind },
    /// Theano's `ArgSortOp`: inputs (x, axis); the int64 indices that sort x along the axis.
    ArgSort { kind: crate::cumsort::SortKind },
    /// Theano's `RepeatOp`: inputs (x, repeats: an integer scalar or vector); numpy's `repeat`
    /// along `axis` (as given; `None`: over the flattened input).
    Repeat { axis: Option<i64> },
    /// Theano's `Nonzero`: the int64 matrix `(x.ndim, count)` of the indices of x's non-zero
    /// elements, in row-major order; its second length depends on the values.
    Nonzero,
    /// Theano's `PermuteRowElements`: inputs (x, y: integers of x's rank, inverse: an integer
    /// scalar); each row (last axis) of x reordered by the matching row of y (`x[y]`; with
    /// `inverse` non-zero the inverse, `out[y] = x`), either side broadcasting where its
    /// length is 1.
    PermuteRowElements,
    /// Theano's `AbstractConv2d` (inputs: images `(b, c, h, w)`, filters `(o, c / groups,
    /// kh, kw)`) and its two gradient ops `AbstractConv2d_gradWeights` (images, the output's
    /// gradient, the filters' `(kh, kw)`) and `AbstractConv2d_gradInputs` (filters, the
    /// output's gradient, the images' `(h, w)`); see `crate::conv`.
    AbstractConv2d {
        kind: crate::conv::ConvKind,
        params: Box<crate::conv::ConvParams>,
    },
    /// Theano's `Pool` over the last `ndim` axes and its gradient ops `MaxPoolGrad`,
    /// `AveragePoolGrad` and `DownsampleFactorMaxGradGrad` (inputs end with the integer
    /// vectors ws, stride, pad); see `crate::pool`.
    Pool {
        kind: crate::pool::PoolKind,
        ignore_border: bool,
        mode: crate::pool::PoolMode,
        ndim: usize,
    },
    /// Theano's `Eye{dtype}`: inputs (n, m, k), integer scalars; the `n x m` matrix with ones
    /// on diagonal `k` (numpy's `eye`).
    Eye { dtype: DType },
    /// Theano's `Tri{dtype}`: inputs (n, m, k), integer scalars; the `n x m` matrix with ones
    /// at and below diagonal `k` (numpy's `tri`), which `tril`/`triu` multiply by.
    Tri { dtype: DType },
    /// Theano's `ExtractDiag{offset, axis1, axis2, view=False}`: numpy's
    /// `x.diagonal(offset, axis1, axis2)` (a copy), the diagonal last.
    ExtractDiag {
        offset: i64,
        axis1: usize,
        axis2: usize,
    },
    /// Theano's `AllocDiag{offset, axis1, axis2}`: zeros with the input's last axis laid on
    /// diagonal `offset` of the new dimensions `axis1`, `axis2` (each `n + |offset|` long).
    AllocDiag {
        offset: i64,
        axis1: usize,
        axis2: usize,
    },
    /// Theano's `BatchedDot` (tensor.blas): inputs x, y of 2 or 3 dimensions and one dtype;
    /// `out[i] = dot(x[i], y[i])`.
    BatchedDot,
    /// nnet's `SoftmaxWithBias`: inputs (x: float matrix, b: float vector of x.shape[1]);
    /// `softmax(x + b)` row by row, of x's type.
    SoftmaxWithBias,
    /// Theano's `DeepCopyOp`: a copy of its input (the compiler puts it on a function's
    /// outputs that would otherwise alias a graph input, a constant or another output).
    DeepCopy,
    /// Theano's `AllocEmpty{dtype}`: inputs the integer scalars of a shape; an array of that
    /// shape whose values are unspecified (the BLAS rewrites' `y` when beta is 0: every
    /// reader must overwrite it without reading it).
    AllocEmpty { dtype: DType },
    /// Theano's `IfElse` (`if{}`): inputs a scalar condition, `n_outs` values of the true
    /// branch, `n_outs` of the false branch; outputs the picked branch's values (lazy: see
    /// `ifelse.rs`).
    IfElse { n_outs: usize },
    /// an op defined outside the crate
    Custom(CustomRef),
}

impl Op {
    /// Elemwise of a scalar op, not in place.
    pub fn elemwise(scalar: ScalarOp) -> Op {
        Op::Elemwise {
            scalar,
            inplace: None,
        }
    }

    /// For an indexing op (`Subtensor`, `AdvancedSubtensor1`, `AdvancedSubtensor`), the op that
    /// sets (`set`) or increments the region it reads, not in place. Its inputs are `x`, the
    /// value, then the indexing node's own index inputs.
    pub fn inc_counterpart(&self, set: bool) -> Option<Op> {
        Some(match self {
            Op::Subtensor { idx } => Op::IncSubtensor {
                idx: idx.clone(),
                set,
                inplace: false,
            },
            Op::AdvancedSubtensor1 => Op::AdvancedIncSubtensor1 {
                set,
                inplace: false,
            },
            Op::AdvancedSubtensor { idx } => Op::AdvancedIncSubtensor {
                idx: idx.clone(),
                set,
                inplace: false,
            },
            Op::AdvancedBooleanSubtensor => Op::AdvancedBooleanIncSubtensor {
                set,
                inplace: false,
            },
            _ => return None,
        })
    }

    /// For a set/increment op, the indexing op that reads the region it writes (the inverse of
    /// [`Op::inc_counterpart`]); its inputs are `x` then the inc node's index inputs.
    pub fn indexing_counterpart(&self) -> Option<Op> {
        Some(match self {
            Op::IncSubtensor { idx, .. } => Op::Subtensor { idx: idx.clone() },
            Op::AdvancedIncSubtensor1 { .. } => Op::AdvancedSubtensor1,
            Op::AdvancedIncSubtensor { idx, .. } => Op::AdvancedSubtensor { idx: idx.clone() },
            Op::AdvancedBooleanIncSubtensor { .. } => Op::AdvancedBooleanSubtensor,
            _ => return None,
        })
    }

    /// Theano's class name of the op (`Elemwise`, `Gemv`, `Sum`...): the graphviz printer's
    /// colour key and the profile's op type.
    pub fn class_name(&self) -> String {
        match self {
            Op::Elemwise { .. } => "Elemwise".into(),
            Op::DimShuffle { .. } => "DimShuffle".into(),
            Op::Reduce { kind, .. } => kind.name().into(),
            Op::MaxAndArgmax { .. } => "MaxAndArgmax".into(),
            Op::Argmax { .. } => "Argmax".into(),
            Op::ProdWithoutZeros { .. } => "ProdWithoutZeros".into(),
            Op::Dot => "Dot".into(),
            Op::Softmax => "Softmax".into(),
            Op::LogSoftmax => "LogSoftmax".into(),
            Op::SoftmaxGrad => "SoftmaxGrad".into(),
            Op::CrossentropySoftmaxArgmax1HotWithBias => {
                "CrossentropySoftmaxArgmax1HotWithBias".into()
            }
            Op::CrossentropySoftmax1HotWithBiasDx => "CrossentropySoftmax1HotWithBiasDx".into(),
            Op::CrossentropyCategorical1Hot => "CrossentropyCategorical1Hot".into(),
            Op::CrossentropyCategorical1HotGrad => "CrossentropyCategorical1HotGrad".into(),
            Op::Shape => "Shape".into(),
            Op::ShapeI(_) => "Shape_i".into(),
            Op::Reshape { .. } => "Reshape".into(),
            Op::Flatten { .. } => "Flatten".into(),
            Op::SpecifyShape => "SpecifyShape".into(),
            Op::ARange { .. } => "ARange".into(),
            Op::Alloc => "Alloc".into(),
            Op::Join { .. } => "Join".into(),
            Op::MakeVector { .. } => "MakeVector".into(),
            Op::Subtensor { .. } => "Subtensor".into(),
            Op::IncSubtensor { .. } => "IncSubtensor".into(),
            Op::AdvancedSubtensor1 => "AdvancedSubtensor1".into(),
            Op::AdvancedSubtensor { .. } => "AdvancedSubtensor".into(),
            Op::AdvancedIncSubtensor1 { .. } => "AdvancedIncSubtensor1".into(),
            Op::AdvancedBooleanSubtensor => "AdvancedBooleanSubtensor".into(),
            Op::AdvancedBooleanIncSubtensor { .. } => "AdvancedBooleanIncSubtensor".into(),
            Op::AdvancedIncSubtensor { .. } => "AdvancedIncSubtensor".into(),
            Op::Gemv { .. } => "Gemv".into(),
            Op::Gemm { .. } => "Gemm".into(),
            Op::Ger { .. } => "CGer".into(),
            Op::Dot22 => "Dot22".into(),
            Op::CumOp { .. } => "CumOp".into(),
            Op::Sort { .. } => "SortOp".into(),
            Op::ArgSort { .. } => "ArgSortOp".into(),
            Op::Repeat { .. } => "RepeatOp".into(),
            Op::Nonzero => "Nonzero".into(),
            Op::PermuteRowElements => "PermuteRowElements".into(),
            Op::AbstractConv2d { kind, .. } => kind.name().into(),
            Op::Pool { kind, .. } => kind.name().into(),
            Op::Eye { .. } => "Eye".into(),
            Op::Tri { .. } => "Tri".into(),
            Op::ExtractDiag { .. } => "ExtractDiag".into(),
            Op::AllocDiag { .. } => "AllocDiag".into(),
            Op::BatchedDot => "BatchedDot".into(),
            Op::SoftmaxWithBias => "SoftmaxWithBias".into(),
            Op::DeepCopy => "DeepCopyOp".into(),
            Op::AllocEmpty { .. } => "AllocEmpty".into(),
            Op::IfElse { .. } => "IfElse".into(),
            Op::Custom(c) => c.0.name(),
        }
    }

    /// Theano's `op.name`, the same as Display.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// The op as Theano 1.0.5 prints it in `pp`, `debugprint` and messages, for inputs of
    /// types `ins`: Display, except for the advanced indexing ops (`AdvancedSubtensor`, whose
    /// index kinds Theano does not print) and the reductions, whose Theano names carry what the
    /// input type decides (`Sum{axis=[0], acc_dtype=float64}`, `Prod{axis=(0,),
    /// dtype='float32', acc_dtype='float64'}`, `Reduce{maximum}{0, 1}`, `Any{0}`), and the
    /// advanced indexing ops with index arrays only (`AdvancedSubtensor`,
    /// `AdvancedIncSubtensor{inplace=False,  set_instead_of_inc=False}`). The IR text keeps
    /// Display (`Sum{axis=[0]}`), which needs no input type to read back.
    /// The name of Theano's unnamed instance of this op (`Elemwise(scalar_op)`, as its
    /// gradient code builds them): `Elemwise{mul}`; other ops print as [`Op::theano_name`].
    pub fn unnamed_name(&self, ins: &[TensorType]) -> String {
        match self {
            Op::Elemwise {
                scalar,
                inplace: None,
            } => format!("Elemwise{{{scalar}}}"),
            _ => self.theano_name(ins),
        }
    }

    pub fn theano_name(&self, ins: &[TensorType]) -> String {
        match self {
            // Theano's nnet Elemwise instances carry names (`sigmoid = Elemwise(scalar_sigmoid,
            // name='sigmoid')`), which they print by
            Op::Elemwise {
                scalar:
                    s @ (ScalarOp::Sigmoid
                    | ScalarOp::Softplus
                    | ScalarOp::Softsign
                    | ScalarOp::UltraFastSigmoid),
                inplace: None,
            } => return s.name(),
            // the axis is an input of Theano's Join (debugprint shows it as one)
            Op::Join { .. } => return "Join".into(),
            // Theano without a C BLAS (the corpus's `blas.ldflags=`, as for `Gemv`) runs ger
            // through scipy
            Op::Ger { destructive } => {
                let d = if *destructive {
                    "destructive"
                } else {
                    "non-destructive"
                };
                return format!("ScipyGer{{{d}}}");
            }
            // Theano's advanced indexing ops take every index as an input (a `:` as a
            // MakeSlice), so their names carry no index list
            Op::AdvancedSubtensor { idx } if idx.iter().all(|e| *e == AdvEntry::Array) => {
                return "AdvancedSubtensor".into()
            }
            Op::AdvancedBooleanIncSubtensor { set, inplace } => {
                let py = |b: bool| if b { "True" } else { "False" };
                return format!(
                    "AdvancedBooleanIncSubtensor{{inplace={},  set_instead_of_inc={}}}",
                    py(*inplace),
                    py(*set)
                );
            }
            Op::AdvancedIncSubtensor { idx, set, inplace }
                if idx.iter().all(|e| *e == AdvEntry::Array) =>
            {
                let py = |b: bool| if b { "True" } else { "False" };
                return format!(
                    "AdvancedIncSubtensor{{inplace={},  set_instead_of_inc={}}}",
                    py(*inplace),
                    py(*set)
                );
            }
            _ => {}
        }
        if let Op::ProdWithoutZeros { axes } = self {
            let prod = Op::Reduce {
                kind: ReduceKind::Prod,
                axes: axes.clone(),
                dtype: None,
            };
            return prod
                .theano_name(ins)
                .replacen("Prod", "ProdWithoutZeros", 1);
        }
        let Op::Reduce { kind, axes, dtype } = self else {
            return self.to_string();
        };
        let Some(t) = ins.first() else {
            return self.to_string();
        };
        // Theano prints the accumulator (float64 for floats, int64 for signed ints and bools,
        // uint64 for unsigned ints); Prod also its output dtype
        let acc = |d: DType| -> &'static str { ReduceKind::Sum.acc_dtype(d).name() };
        let out = dtype.unwrap_or_else(|| kind.out_dtype(t.dtype));
        let list = |a: &[usize]| join_usize(a);
        let all: Vec<usize> = (0..t.ndim()).collect();
        match kind {
            ReduceKind::Sum => match axes {
                None => format!("Sum{{acc_dtype={}}}", acc(t.dtype)),
                Some(a) => format!("Sum{{axis=[{}], acc_dtype={}}}", list(a), acc(t.dtype)),
            },
            ReduceKind::Prod => {
                let ax = match axes.as_deref() {
                    None => "None".to_string(),
                    Some([a]) => format!("({a},)"),
                    Some(a) => format!("({})", list(a)),
                };
                format!(
                    "Prod{{axis={ax}, dtype='{}', acc_dtype='{}'}}",
                    out.name(),
                    acc(t.dtype)
                )
            }
            ReduceKind::Max | ReduceKind::Min => {
                let f = if *kind == ReduceKind::Max {
                    "maximum"
                } else {
                    "minimum"
                };
                format!("Reduce{{{f}}}{{{}}}", list(axes.as_deref().unwrap_or(&all)))
            }
            ReduceKind::All | ReduceKind::Any => match axes {
                None => kind.name().to_string(),
                Some(a) => format!("{}{{{}}}", kind.name(), list(a)),
            },
        }
    }

    /// The number of outputs of a node of this op.
    pub fn n_outputs(&self) -> usize {
        match self {
            Op::MaxAndArgmax { .. } => 2,
            Op::CrossentropySoftmaxArgmax1HotWithBias => 3,
            Op::IfElse { n_outs } => *n_outs,
            Op::Custom(c) => c.0.n_outputs(),
            _ => 1,
        }
    }

    /// The output types of this op applied to inputs of these types, where `known(i)` gives
    /// the entries of integer input `i` that are constants when the node is built (a constant,
    /// or a MakeVector of some constants; a scalar is one entry). Theano 1.0 reads them to type
    /// `Alloc` and `Reshape`: a dimension whose length is the constant 1 is broadcastable
    /// (`zeros((1, n))` is a row), and the rewrites rely on that type.
    pub fn infer_types_known(
        &self,
        ins: &[TensorType],
        known: &dyn Fn(usize) -> Option<Vec<Option<i64>>>,
    ) -> Result<Vec<TensorType>, String> {
        let mut out = self.infer_types(ins)?;
        let ones: Vec<bool> = match self {
            Op::Alloc => (1..ins.len())
                .map(|i| known(i).is_some_and(|e| e == [Some(1)]))
                .collect(),
            Op::AllocEmpty { .. } => (0..ins.len())
                .map(|i| known(i).is_some_and(|e| e == [Some(1)]))
                .collect(),
            Op::Reshape { ndim } => match known(1) {
                Some(e) if e.len() == *ndim => e.iter().map(|&d| d == Some(1)).collect(),
                _ => return Ok(out),
            },
            _ => return Ok(out),
        };
        if ones.iter().any(|&b| b) {
            let t = out[0];
            let b: Vec<bool> = (0..t.ndim())
                .map(|d| t.is_broadcastable(d) || ones[d])
                .collect();
            out[0] = TensorType::new(t.dtype, &b)?;
        }
        Ok(out)
    }

    /// Whether a node of this op may have the output types `have` where its input types give
    /// `plain` ([`Op::infer_types`], no constant known): equal, or, for `Alloc` and `Reshape`,
    /// the same but for dimensions a constant 1 made broadcastable when the node was built (a
    /// rewrite may since have folded another entry into a 1, or the reverse; the interpreter
    /// checks at run time that a broadcastable dimension has length 1).
    pub fn accepts_output_types(&self, plain: &[TensorType], have: &[TensorType]) -> bool {
        if plain == have {
            return true;
        }
        let (Op::Alloc | Op::AllocEmpty { .. } | Op::Reshape { .. }, [p], [h]) =
            (self, plain, have)
        else {
            return false;
        };
        p.dtype == h.dtype
            && p.ndim() == h.ndim()
            && (0..p.ndim()).all(|d| !p.is_broadcastable(d) || h.is_broadcastable(d))
    }

    /// The output types of this op applied to inputs of these types, or why they are refused.
    pub fn infer_types(&self, ins: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let n_in = |n: usize| -> Result<(), String> {
            if ins.len() == n {
                Ok(())
            } else {
                Err(format!("expects {n} inputs, got {}", ins.len()))
            }
        };
        let scalar_int = |i: usize, what: &str| -> Result<(), String> {
            let t = ins[i];
            if t.ndim() != 0 || !t.dtype.is_int() {
                Err(format!("{what} must be an integer scalar, got {t}"))
            } else {
                Ok(())
            }
        };
        let one = |t: TensorType| Ok(vec![t]);
        match self {
            Op::Elemwise { scalar, .. } => {
                let dtypes: Vec<DType> = ins.iter().map(|t| t.dtype).collect();
                let d = scalar.out_dtype(&dtypes)?;
                let nd = ins.first().map(|t| t.ndim()).unwrap_or(0);
                if let Some(t) = ins.iter().find(|t| t.ndim() != nd) {
                    return Err(format!("inputs must have equal ndim ({nd}), got {t}"));
                }
                let b: Vec<bool> = (0..nd)
                    .map(|i| ins.iter().all(|t| t.is_broadcastable(i)))
                    .collect();
                one(TensorType::new(d, &b)?)
            }
            Op::DimShuffle { new_order, .. } => {
                n_in(1)?;
                check_ndim(new_order.len())?;
                let t = ins[0];
                let mut seen = vec![false; t.ndim()];
                let mut b = Vec::with_capacity(new_order.len());
                for e in new_order {
                    match *e {
                        None => b.push(true),
                        Some(i) if i < t.ndim() && !seen[i] => {
                            seen[i] = true;
                            b.push(t.is_broadcastable(i));
                        }
                        Some(i) => return Err(format!("bad dimension {i} in new order for {t}")),
                    }
                }
                if let Some(i) = (0..t.ndim()).find(|&i| !seen[i] && !t.is_broadcastable(i)) {
                    return Err(format!(
                        "cannot drop non-broadcastable dimension {i} of {t}"
                    ));
                }
                one(TensorType::new(t.dtype, &b)?)
            }
            Op::ProdWithoutZeros { axes } => Op::Reduce {
                kind: ReduceKind::Prod,
                axes: axes.clone(),
                dtype: None,
            }
            .infer_types(ins),
            Op::Reduce { kind, axes, dtype } => {
                n_in(1)?;
                let t = ins[0];
                let axes = check_axes(axes.as_deref(), t)?;
                let b: Vec<bool> = (0..t.ndim())
                    .filter(|i| !axes.contains(i))
                    .map(|i| t.is_broadcastable(i))
                    .collect();
                let out = match (kind, dtype) {
                    (_, None) => kind.out_dtype(t.dtype),
                    (ReduceKind::Sum | ReduceKind::Prod, Some(d)) => *d,
                    (_, Some(d)) => {
                        return Err(format!("{} takes no dtype (got dtype={d})", kind.name()))
                    }
                };
                one(TensorType::new(out, &b)?)
            }
            Op::MaxAndArgmax { axes } => {
                n_in(1)?;
                let t = ins[0];
                let axes = check_axes(Some(axes), t)?;
                let b: Vec<bool> = (0..t.ndim())
                    .filter(|i| !axes.contains(i))
                    .map(|i| t.is_broadcastable(i))
                    .collect();
                Ok(vec![
                    TensorType::new(t.dtype, &b)?,
                    TensorType::new(DType::Int64, &b)?,
                ])
            }
            Op::Argmax { axes } => {
                let ts = Op::MaxAndArgmax { axes: axes.clone() }.infer_types(ins)?;
                Ok(vec![ts[1]])
            }
            Op::Dot => {
                n_in(2)?;
                let (a, b) = (ins[0], ins[1]);
                let d = DType::promote(a.dtype, b.dtype);
                let out: Vec<bool> = match (a.ndim(), b.ndim()) {
                    (1, 1) => vec![],
                    (2, 1) => vec![a.is_broadcastable(0)],
                    (1, 2) => vec![b.is_broadcastable(1)],
                    (2, 2) => vec![a.is_broadcastable(0), b.is_broadcastable(1)],
                    // The input types are listed by GraphError's Display; say only what is wrong.
                    (na, nb) => {
                        return Err(format!(
                            "needs vectors or matrices (ndim 1 or 2), got ndim {na} and {nb}"
                        ))
                    }
                };
                one(TensorType::new(d, &out)?)
            }
            Op::Softmax | Op::LogSoftmax => {
                n_in(1)?;
                let t = ins[0];
                // Theano 1.0's Softmax/LogSoftmax.make_node: "x must be 1-d or 2-d tensor of
                // floats" (fix: 3-d and larger inputs used to be accepted).
                if !(1..=2).contains(&t.ndim()) || !t.dtype.is_float() {
                    return Err(format!("x must be a 1-d or 2-d tensor of floats, got {t}"));
                }
                one(t)
            }
            Op::SoftmaxGrad => {
                n_in(2)?;
                let (dy, sm) = (ins[0], ins[1]);
                if !(1..=2).contains(&sm.ndim()) || !sm.dtype.is_float() {
                    return Err(format!(
                        "sm must be a 1-d or 2-d tensor of floats, got {sm}"
                    ));
                }
                if dy.ndim() != sm.ndim() || dy.dtype != sm.dtype {
                    return Err(format!(
                        "dy must have sm's dtype and number of dimensions ({sm}), got {dy}"
                    ));
                }
                one(sm)
            }
            Op::CrossentropySoftmaxArgmax1HotWithBias => {
                n_in(3)?;
                let (x, b, y) = (ins[0], ins[1], ins[2]);
                float_of_ndim(x, "x (the logits)", 2)?;
                float_of_ndim(b, "b (the bias)", 1)?;
                int_vector(y, "y_idx (the labels)")?;
                let d = DType::promote(x.dtype, b.dtype);
                let sm = [
                    x.is_broadcastable(0),
                    x.is_broadcastable(1) && b.is_broadcastable(0),
                ];
                Ok(vec![
                    TensorType::new(d, &[y.is_broadcastable(0)])?,
                    TensorType::new(d, &sm)?,
                    TensorType::new(DType::Int64, &[y.is_broadcastable(0)])?,
                ])
            }
            Op::CrossentropySoftmax1HotWithBiasDx => {
                n_in(3)?;
                let (dnll, sm, y) = (ins[0], ins[1], ins[2]);
                float_of_ndim(dnll, "dnll (the gradient of the nll)", 1)?;
                float_of_ndim(sm, "sm (the softmax)", 2)?;
                int_vector(y, "y_idx (the labels)")?;
                one(TensorType::new(
                    DType::promote(dnll.dtype, sm.dtype),
                    &sm.broadcastable(),
                )?)
            }
            Op::CrossentropyCategorical1Hot => {
                // Theano's make_node: a matrix and an int64 or int32 vector; the output is a
                // (never broadcastable) vector of the matrix's dtype
                n_in(2)?;
                let (p, t) = (ins[0], ins[1]);
                float_of_ndim(p, "coding_dist (the probabilities)", 2)?;
                if t.ndim() != 1 || !matches!(t.dtype, DType::Int64 | DType::Int32) {
                    return Err(format!(
                        "true_one_of_n (the labels) must be an int64 or int32 vector, got {t}"
                    ));
                }
                one(TensorType::new(p.dtype, &[false])?)
            }
            Op::CrossentropyCategorical1HotGrad => {
                n_in(3)?;
                let (g, p, t) = (ins[0], ins[1], ins[2]);
                float_of_ndim(g, "g_y (the gradient of the crossentropy)", 1)?;
                float_of_ndim(p, "coding_dist (the probabilities)", 2)?;
                int_vector(t, "true_one_of_n (the labels)")?;
                one(p)
            }
            Op::Shape => {
                n_in(1)?;
                one(TensorType::vector(DType::Int64))
            }
            Op::ShapeI(i) => {
                n_in(1)?;
                if *i >= ins[0].ndim() {
                    return Err(format!("dimension {i} out of range for {}", ins[0]));
                }
                one(TensorType::scalar(DType::Int64))
            }
            Op::Reshape { ndim } => {
                n_in(2)?;
                let s = ins[1];
                if s.ndim() != 1 || !s.dtype.is_int() {
                    return Err(format!("the shape must be an integer vector, got {s}"));
                }
                check_ndim(*ndim)?;
                one(TensorType::with_ndim(ins[0].dtype, *ndim)?)
            }
            Op::SpecifyShape => {
                n_in(2)?;
                let (t, s) = (ins[0], ins[1]);
                if s.ndim() != 1 || !s.dtype.is_int() {
                    return Err(format!("the shape must be an integer vector, got {s}"));
                }
                one(t)
            }
            Op::Flatten { outdim } => {
                n_in(1)?;
                let t = ins[0];
                if *outdim == 0 || *outdim > t.ndim().max(1) {
                    return Err(format!("outdim {outdim} out of range for {t}"));
                }
                let mut b: Vec<bool> = (0..outdim - 1).map(|i| t.is_broadcastable(i)).collect();
                b.push((outdim - 1..t.ndim()).all(|i| t.is_broadcastable(i)));
                one(TensorType::new(t.dtype, &b)?)
            }
            Op::ARange { dtype } => {
                n_in(3)?;
                for (i, what) in ["start", "stop", "step"].iter().enumerate() {
                    if ins[i].ndim() != 0 {
                        return Err(format!("{what} must be a scalar, got {}", ins[i]));
                    }
                }
                one(TensorType::vector(*dtype))
            }
            Op::Alloc => {
                if ins.is_empty() {
                    return Err("needs a value and a shape".into());
                }
                let nd = ins.len() - 1;
                check_ndim(nd)?;
                if ins[0].ndim() > nd {
                    return Err(format!(
                        "value {} has more dimensions than the shape ({nd})",
                        ins[0]
                    ));
                }
                for i in 1..ins.len() {
                    scalar_int(i, "each shape entry")?;
                }
                one(TensorType::with_ndim(ins[0].dtype, nd)?)
            }
            Op::AllocEmpty { dtype } => {
                check_ndim(ins.len())?;
                for i in 0..ins.len() {
                    scalar_int(i, "each shape entry")?;
                }
                one(TensorType::with_ndim(*dtype, ins.len())?)
            }
            Op::DeepCopy => {
                n_in(1)?;
                one(ins[0])
            }
            Op::Join { axis } => {
                let first = *ins.first().ok_or("needs at least one tensor")?;
                if *axis >= first.ndim() {
                    return Err(format!("axis {axis} out of range for {first}"));
                }
                // Theano 1.0's Join: a single-tensor join keeps the input's pattern, the join
                // axis included (fix: it used to make that axis non-broadcastable).
                if ins.len() == 1 {
                    return one(first);
                }
                let mut b = vec![false; first.ndim()];
                for t in ins {
                    if t.ndim() != first.ndim() {
                        return Err(format!(
                            "all inputs must have the same ndim, got {first} and {t}"
                        ));
                    }
                    for (i, bi) in b.iter_mut().enumerate() {
                        *bi |= i != *axis && t.is_broadcastable(i);
                    }
                }
                let dtypes: Vec<DType> = ins.iter().map(|t| t.dtype).collect();
                one(TensorType::new(
                    DType::upcast(&dtypes).unwrap_or(first.dtype),
                    &b,
                )?)
            }
            Op::MakeVector { dtype } => {
                if let Some(t) = ins.iter().find(|t| t.ndim() != 0) {
                    return Err(format!("inputs must be scalars, got {t}"));
                }
                one(TensorType::vector(*dtype))
            }
            Op::Subtensor { idx } => {
                check_idx_inputs(idx, ins)?;
                one(subtensor_type(idx, ins[0])?)
            }
            Op::IncSubtensor { idx, .. } => {
                if ins.len() < 2 {
                    return Err("needs x, y and the indices".into());
                }
                let mut rest = vec![ins[0]];
                rest.extend_from_slice(&ins[2..]);
                check_idx_inputs(idx, &rest)?;
                let sub = subtensor_type(idx, ins[0])?;
                check_inc_value(sub, ins[1])?;
                one(ins[0])
            }
            Op::AdvancedSubtensor1 => {
                n_in(2)?;
                check_int_index(ins[1], 1)?;
                if ins[0].ndim() == 0 {
                    return Err("cannot index a scalar".into());
                }
                // Theano 1.0: `(ilist.broadcastable[0],) + x.broadcastable[1:]` (fix: the first
                // dimension used to be non-broadcastable even for a length-1 constant index).
                let mut b = vec![ins[1].is_broadcastable(0)];
                b.extend((1..ins[0].ndim()).map(|i| ins[0].is_broadcastable(i)));
                one(TensorType::new(ins[0].dtype, &b)?)
            }
            Op::AdvancedSubtensor { idx } => {
                if ins.is_empty() {
                    return Err("needs x and the index arrays".into());
                }
                one(adv_subtensor_type(idx, ins[0], &ins[1..])?)
            }
            Op::AdvancedBooleanSubtensor => {
                n_in(2)?;
                let (x, m) = (ins[0], ins[1]);
                check_bool_mask(&x, &m)?;
                let b = vec![false; x.ndim() - m.ndim() + 1];
                one(TensorType::new(x.dtype, &b)?)
            }
            Op::AdvancedBooleanIncSubtensor { .. } => {
                n_in(3)?;
                let (x, y, m) = (ins[0], ins[1], ins[2]);
                check_bool_mask(&x, &m)?;
                let b = vec![false; x.ndim() - m.ndim() + 1];
                check_inc_value(TensorType::new(x.dtype, &b)?, y)?;
                one(x)
            }
            Op::AdvancedIncSubtensor1 { .. } => {
                n_in(3)?;
                check_int_index(ins[2], 1)?;
                if ins[0].ndim() == 0 {
                    return Err("cannot index a scalar".into());
                }
                let mut b = vec![ins[2].is_broadcastable(0)];
                b.extend((1..ins[0].ndim()).map(|i| ins[0].is_broadcastable(i)));
                check_inc_value(TensorType::new(ins[0].dtype, &b)?, ins[1])?;
                one(ins[0])
            }
            Op::AdvancedIncSubtensor { idx, .. } => {
                if ins.len() < 2 {
                    return Err("needs x, y and the indices".into());
                }
                let sub = adv_subtensor_type(idx, ins[0], &ins[2..])?;
                check_inc_value(sub, ins[1])?;
                one(ins[0])
            }
            Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. } | Op::Dot22 => {
                crate::blas::infer_types(self, ins)
            }
            Op::CumOp { .. }
            | Op::Sort { .. }
            | Op::ArgSort { .. }
            | Op::Repeat { .. }
            | Op::Nonzero
            | Op::PermuteRowElements => crate::cumsort::infer_types(self, ins),
            Op::AbstractConv2d { kind, params } => crate::conv::infer_types(*kind, params, ins),
            Op::Pool {
                kind, mode, ndim, ..
            } => crate::pool::infer_types(*kind, *mode, *ndim, ins),
            Op::Eye { .. }
            | Op::Tri { .. }
            | Op::ExtractDiag { .. }
            | Op::AllocDiag { .. }
            | Op::BatchedDot
            | Op::SoftmaxWithBias => crate::matrix::infer_types(self, ins),
            Op::IfElse { n_outs } => crate::ifelse::infer_types(*n_outs, ins),
            Op::Custom(c) => {
                let out = c.0.infer_types(ins)?;
                if out.len() != c.0.n_outputs() {
                    return Err(format!(
                        "infer_types gave {} output types, but the op declares {} outputs \
                         (CustomOp::n_outputs)",
                        out.len(),
                        c.0.n_outputs()
                    ));
                }
                Ok(out)
            }
        }
    }

    /// The input the op overwrites (Theano's `destroy_map`, output 0), when it works in place.
    pub fn destroyed_input(&self) -> Option<usize> {
        match self {
            Op::Elemwise { inplace, .. } => *inplace,
            Op::Gemv { inplace: true }
            | Op::Gemm { inplace: true }
            | Op::Ger { destructive: true }
            | Op::IncSubtensor { inplace: true, .. }
            | Op::AdvancedIncSubtensor1 { inplace: true, .. }
            | Op::AdvancedIncSubtensor { inplace: true, .. }
            | Op::AdvancedBooleanIncSubtensor { inplace: true, .. } => Some(0),
            _ => None,
        }
    }
}

/// Refuse results with more than [`MAX_NDIM`] dimensions instead of letting
/// `TensorType::new` error (fix: a 33-entry dimshuffle, reshape or alloc used to panic).
fn check_ndim(n: usize) -> Result<(), String> {
    if n > MAX_NDIM {
        return Err(format!(
            "the result would have {n} dimensions; at most {MAX_NDIM} are supported"
        ));
    }
    Ok(())
}

fn check_axes(axes: Option<&[usize]>, t: TensorType) -> Result<Vec<usize>, String> {
    match axes {
        None => Ok((0..t.ndim()).collect()),
        Some(a) => {
            let mut out = a.to_vec();
            out.sort_unstable();
            out.dedup();
            if out.len() != a.len() {
                return Err(format!("repeated axis in {a:?}"));
            }
            if let Some(&bad) = out.iter().find(|&&i| i >= t.ndim()) {
                return Err(format!("axis {bad} out of range for {t}"));
            }
            Ok(out)
        }
    }
}

/// `t` is a float tensor of `ndim` dimensions; the error names the argument.
fn float_of_ndim(t: TensorType, what: &str, ndim: usize) -> Result<(), String> {
    if t.ndim() != ndim || !t.dtype.is_float() {
        let kind = if ndim == 1 { "vector" } else { "matrix" };
        return Err(format!("{what} must be a float {kind}, got {t}"));
    }
    Ok(())
}

/// `t` is an integer vector; the error names the argument.
fn int_vector(t: TensorType, what: &str) -> Result<(), String> {
    if t.ndim() != 1 || !t.dtype.is_int() {
        return Err(format!("{what} must be an integer vector, got {t}"));
    }
    Ok(())
}

fn check_int_index(t: TensorType, ndim: usize) -> Result<(), String> {
    if !t.dtype.is_int() {
        return Err(format!("index must be an integer tensor, got {t}"));
    }
    if t.ndim() != ndim {
        return Err(format!("index must have {ndim} dimension(s), got {t}"));
    }
    Ok(())
}

fn check_idx_inputs(idx: &[IdxEntry], ins: &[TensorType]) -> Result<(), String> {
    let want: usize = idx.iter().map(|e| e.n_inputs()).sum();
    if ins.len() != want + 1 {
        return Err(format!(
            "expects {} index inputs, got {}",
            want,
            ins.len().saturating_sub(1)
        ));
    }
    let mut k = 1;
    for e in idx {
        let slots: Vec<DType> = match *e {
            IdxEntry::Index(d) => vec![d],
            IdxEntry::Slice { start, stop, step } => {
                [start, stop, step].into_iter().flatten().collect()
            }
        };
        for d in slots {
            let t = ins[k];
            if t.ndim() != 0 || !t.dtype.is_int() {
                return Err(format!("indices must be integer scalars, got {t}"));
            }
            if t.dtype != d {
                return Err(format!("index entry declares {d} but the input is {t}"));
            }
            k += 1;
        }
    }
    Ok(())
}

fn subtensor_type(idx: &[IdxEntry], x: TensorType) -> Result<TensorType, String> {
    if idx.len() > x.ndim() {
        return Err(format!("too many indices ({}) for {x}", idx.len()));
    }
    let mut b = Vec::new();
    for (i, e) in idx.iter().enumerate() {
        match e {
            IdxEntry::Index(_) => {}
            // Theano 1.0's Subtensor.make_node keeps a broadcastable dimension under a slice
            // whose start is absent (or constant 0) and whose stop is absent, whatever the
            // step (fix: `x[::2]` on a broadcastable dimension used to lose the flag). A
            // constant-0 start cannot be seen from types alone and stays non-broadcastable.
            IdxEntry::Slice {
                start: None,
                stop: None,
                ..
            } => b.push(x.is_broadcastable(i)),
            IdxEntry::Slice { .. } => b.push(false),
        }
    }
    b.extend((idx.len()..x.ndim()).map(|i| x.is_broadcastable(i)));
    TensorType::new(x.dtype, &b).map_err(String::from)
}

fn adv_subtensor_type(
    idx: &[AdvEntry],
    x: TensorType,
    arrays: &[TensorType],
) -> Result<TensorType, String> {
    if idx.len() > x.ndim() {
        return Err(format!("too many indices ({}) for {x}", idx.len()));
    }
    let n_arr = idx.iter().filter(|e| **e == AdvEntry::Array).count();
    if arrays.len() != n_arr {
        return Err(format!(
            "expects {n_arr} index arrays, got {}",
            arrays.len()
        ));
    }
    if n_arr == 0 {
        return Err("advanced indexing needs at least one index array".into());
    }
    for a in arrays {
        if !a.dtype.is_int() {
            return Err(format!("index arrays must be integer tensors, got {a}"));
        }
    }
    let bnd = arrays.iter().map(|a| a.ndim()).max().unwrap_or(0);
    // Theano 1.0's adv_index_broadcastable_pattern indexes a fake array with index arrays of
    // shape (2,)*ndim, so the dimensions the index arrays contribute are never broadcastable
    // (fix: they used to follow the index arrays' own flags).
    let adv_b = vec![false; bnd];
    let positions: Vec<usize> = idx
        .iter()
        .enumerate()
        .filter(|(_, e)| **e == AdvEntry::Array)
        .map(|(i, _)| i)
        .collect();
    let contiguous = positions.windows(2).all(|w| w[1] == w[0] + 1);
    let mut b = Vec::new();
    if !contiguous {
        b.extend(&adv_b);
    }
    for (i, e) in idx.iter().enumerate() {
        match e {
            AdvEntry::Full => b.push(x.is_broadcastable(i)),
            AdvEntry::Array if contiguous && i == positions[0] => b.extend(&adv_b),
            AdvEntry::Array => {}
        }
    }
    b.extend((idx.len()..x.ndim()).map(|i| x.is_broadcastable(i)));
    check_ndim(b.len())?;
    TensorType::new(x.dtype, &b).map_err(String::from)
}

/// Theano's boolean index: a bool tensor of at least one and at most x.ndim dimensions.
fn check_bool_mask(x: &TensorType, m: &TensorType) -> Result<(), String> {
    if m.dtype != DType::Bool {
        return Err(format!("the mask must be a bool tensor, got {m}"));
    }
    if m.ndim() == 0 || m.ndim() > x.ndim() {
        return Err(format!(
            "the mask must have 1 to {} dimensions (x has {}), got {m}",
            x.ndim(),
            x.ndim()
        ));
    }
    Ok(())
}

fn check_inc_value(sub: TensorType, y: TensorType) -> Result<(), String> {
    if y.ndim() > sub.ndim() {
        return Err(format!(
            "the value {y} has more dimensions than the indexed region {sub}"
        ));
    }
    // A non-broadcastable dimension of y where the region is broadcastable is accepted, as
    // Theano 1.0's inc_subtensor does (it inserts a Rebroadcast that checks the length is 1
    // at run time); the run-time shape check is left to the backends.
    if !y.dtype.can_cast_safely(sub.dtype) {
        return Err(format!(
            "the value's dtype {} cannot be stored into {} without loss",
            y.dtype, sub.dtype
        ));
    }
    Ok(())
}

fn join_usize(v: &[usize]) -> String {
    v.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Theano gives casts and fused composites no `,no_inplace` name.
            Op::Elemwise {
                scalar: s @ (ScalarOp::Cast(_) | ScalarOp::Composite(_)),
                inplace: None,
            } => write!(f, "Elemwise{{{s}}}"),
            Op::Elemwise {
                scalar,
                inplace: None,
            } => write!(f, "Elemwise{{{scalar},no_inplace}}"),
            // an in-place op is a new scalar instance, printed by its Theano class
            Op::Elemwise {
                scalar,
                inplace: Some(i),
            } => write!(f, "Elemwise{{{}}}[(0, {i})]", scalar.class_name()),
            Op::DimShuffle { new_order, inplace } => {
                let items: Vec<String> = new_order
                    .iter()
                    .map(|e| e.map(|i| i.to_string()).unwrap_or_else(|| "x".into()))
                    .collect();
                let pre = if *inplace { "Inplace" } else { "" };
                write!(f, "{pre}DimShuffle{{{}}}", items.join(","))
            }
            Op::ProdWithoutZeros { axes } => match axes {
                None => write!(f, "ProdWithoutZeros"),
                Some(a) => write!(f, "ProdWithoutZeros{{axis=[{}]}}", join_usize(a)),
            },
            Op::Reduce { kind, axes, dtype } => {
                let name = kind.name();
                match (axes, dtype) {
                    (None, None) => write!(f, "{name}"),
                    (Some(a), None) => write!(f, "{name}{{axis=[{}]}}", join_usize(a)),
                    (None, Some(d)) => write!(f, "{name}{{dtype={d}}}"),
                    (Some(a), Some(d)) => {
                        write!(f, "{name}{{axis=[{}], dtype={d}}}", join_usize(a))
                    }
                }
            }
            Op::MaxAndArgmax { axes } | Op::Argmax { axes } => {
                let name = if matches!(self, Op::Argmax { .. }) {
                    "Argmax"
                } else {
                    "MaxAndArgmax"
                };
                if axes.len() == 1 {
                    write!(f, "{name}{{axis=({},)}}", axes[0])
                } else {
                    write!(f, "{name}{{axis=({})}}", join_usize(axes))
                }
            }
            Op::Dot => f.write_str("dot"),
            Op::Softmax => f.write_str("Softmax"),
            Op::LogSoftmax => f.write_str("LogSoftmax"),
            Op::SoftmaxGrad => f.write_str("SoftmaxGrad"),
            Op::CrossentropySoftmaxArgmax1HotWithBias => {
                f.write_str("CrossentropySoftmaxArgmax1HotWithBias")
            }
            Op::CrossentropySoftmax1HotWithBiasDx => {
                f.write_str("CrossentropySoftmax1HotWithBiasDx")
            }
            Op::CrossentropyCategorical1Hot => f.write_str("CrossentropyCategorical1Hot"),
            Op::CrossentropyCategorical1HotGrad => f.write_str("CrossentropyCategorical1HotGrad"),
            Op::Shape => f.write_str("Shape"),
            Op::ShapeI(i) => write!(f, "Shape_i{{{i}}}"),
            Op::Reshape { ndim } => write!(f, "Reshape{{{ndim}}}"),
            Op::Flatten { outdim } => write!(f, "Flatten{{{outdim}}}"),
            Op::SpecifyShape => f.write_str("SpecifyShape"),
            Op::ARange { dtype } => write!(f, "ARange{{dtype='{dtype}'}}"),
            Op::Alloc => f.write_str("Alloc"),
            Op::Join { axis } => write!(f, "Join{{axis={axis}}}"),
            Op::MakeVector { dtype } => write!(f, "MakeVector{{dtype='{dtype}'}}"),
            Op::Subtensor { idx } => write!(f, "Subtensor{{{}}}", join_idx(idx)),
            Op::IncSubtensor { idx, set, inplace } => {
                let pre = if *inplace { "Inplace" } else { "" };
                let what = if *set { "Set" } else { "Inc" };
                write!(f, "IncSubtensor{{{pre}{what};{}}}", join_idx(idx))
            }
            Op::AdvancedSubtensor1 => f.write_str("AdvancedSubtensor1"),
            Op::AdvancedSubtensor { idx } => write!(f, "AdvancedSubtensor{{{}}}", join_adv(idx)),
            Op::AdvancedIncSubtensor1 { set, inplace } => {
                let ip = if *inplace { "inplace" } else { "no_inplace" };
                let what = if *set { "set" } else { "inc" };
                write!(f, "AdvancedIncSubtensor1{{{ip},{what}}}")
            }
            Op::AdvancedBooleanSubtensor => f.write_str("AdvancedBooleanSubtensor"),
            Op::AdvancedBooleanIncSubtensor { set, inplace } => {
                let ip = if *inplace { "inplace" } else { "no_inplace" };
                let what = if *set { "set" } else { "inc" };
                write!(f, "AdvancedBooleanIncSubtensor{{{ip},{what}}}")
            }
            Op::AdvancedIncSubtensor { idx, set, inplace } => {
                let ip = if *inplace { "inplace" } else { "no_inplace" };
                let what = if *set { "set" } else { "inc" };
                write!(f, "AdvancedIncSubtensor{{{ip},{what};{}}}", join_adv(idx))
            }
            Op::Gemv { inplace } => write!(f, "Gemv{{{}}}", crate::blas::ip(*inplace)),
            Op::Gemm { inplace } => write!(f, "Gemm{{{}}}", crate::blas::ip(*inplace)),
            Op::Ger { destructive: true } => f.write_str("CGer{destructive}"),
            Op::Ger { destructive: false } => f.write_str("CGer{non-destructive}"),
            Op::Dot22 => f.write_str("Dot22"),
            Op::CumOp { .. }
            | Op::Sort { .. }
            | Op::ArgSort { .. }
            | Op::Repeat { .. }
            | Op::Nonzero
            | Op::PermuteRowElements => crate::cumsort::fmt(self, f),
            Op::AbstractConv2d { kind, params } => crate::conv::fmt(*kind, params, f),
            Op::Pool {
                kind,
                ignore_border,
                mode,
                ndim,
            } => crate::pool::fmt(*kind, *ignore_border, *mode, *ndim, f),
            Op::Eye { .. }
            | Op::Tri { .. }
            | Op::ExtractDiag { .. }
            | Op::AllocDiag { .. }
            | Op::BatchedDot
            | Op::SoftmaxWithBias => f.write_str(&crate::matrix::name(self)),
            Op::DeepCopy => f.write_str("DeepCopyOp"),
            Op::AllocEmpty { dtype } => write!(f, "AllocEmpty{{dtype='{dtype}'}}"),
            Op::IfElse { .. } => f.write_str(crate::ifelse::NAME),
            Op::Custom(c) => {
                let params = c.0.params();
                if params.is_empty() {
                    f.write_str(&c.0.name())
                } else {
                    write!(f, "{}{{{params}}}", c.0.name())
                }
            }
        }
    }
}

fn join_idx(idx: &[IdxEntry]) -> String {
    idx.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_adv(idx: &[AdvEntry]) -> String {
    idx.iter()
        .map(|e| if *e == AdvEntry::Full { "::" } else { "int" })
        .collect::<Vec<_>>()
        .join(", ")
}
