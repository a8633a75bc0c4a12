//! Theano 1.0.5's `theano.tensor.nnet.blocksparse`: `SparseBlockGemv` (a sum of the products
//! of chosen input blocks with chosen weight blocks, added onto chosen output blocks) and its
//! gradient's `SparseBlockOuter`, the builder `sparse_block_dot`, and `nnet.h_softmax`, the
//! two-level hierarchical softmax built of them, node for node as Theano builds them.

use std::sync::Arc;
use theano_ir::tensor::{self as T, Idx, IntoVar};
use theano_ir::{
    CustomOp, GraphError, Op, OpTable, Result, ShapeDim, Tensor, TensorType, Variable,
};

/// Which op (Theano's `inplace=False` forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Block {
    /// `SparseBlockGemv{inplace=False}(o, W, h, inputIdx, outputIdx)`: `o[b, j] +=
    /// sum_i h[b, i] . W[inputIdx[b, i], outputIdx[b, j]]`.
    Gemv,
    /// `SparseBlockOuter{inplace=False}(o, x, y, xIdx, yIdx, alpha)`: `o[xIdx[b, i], yIdx[b,
    /// j]] += outer(x[b, i], y[b, j])` (Theano's `perform` ignores `alpha`, as here).
    Outer,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Block::Gemv => "SparseBlockGemv",
            Block::Outer => "SparseBlockOuter",
        }
    }
}

/// The op of one kind.
#[derive(Debug)]
pub struct BlockOp {
    pub kind: Block,
}

/// The shared op of `kind`.
pub fn op(kind: Block) -> Op {
    static OPS: OpTable<Block> = OpTable::new();
    register();
    OPS.get(kind, move || Arc::new(BlockOp { kind }))
}

fn parse_op(name: &str, params: &str) -> std::result::Result<Arc<dyn CustomOp>, String> {
    let kind = match name {
        "SparseBlockGemv" => Block::Gemv,
        "SparseBlockOuter" => Block::Outer,
        _ => return Err(format!("{name} is not a block-sparse op")),
    };
    if params.trim() != "inplace=False" {
        return Err(format!(
            "{name}: only inplace=False is offered (the op never overwrites its inputs), got \
             `{params}`"
        ));
    }
    match op(kind) {
        Op::Custom(c) => Ok(c.0),
        _ => unreachable!("op() gives a custom op"),
    }
}

pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for name in ["SparseBlockGemv", "SparseBlockOuter"] {
            theano_ir::register_custom_op(name, parse_op);
        }
    });
}

impl CustomOp for BlockOp {
    fn name(&self) -> String {
        self.kind.name().into()
    }
    fn params(&self) -> String {
        "inplace=False".into()
    }
    fn infer_types(&self, ins: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        let name = self.kind.name();
        let want: &[(usize, &str)] = match self.kind {
            Block::Gemv => &[(3, "output o"), (4, "weight matrix W"), (3, "input h")],
            Block::Outer => &[(4, "output o"), (3, "input x"), (3, "input y")],
        };
        let n = if self.kind == Block::Gemv { 5 } else { 6 };
        if ins.len() != n {
            return Err(format!("{name} takes {n} inputs, got {}", ins.len()));
        }
        for (k, &(nd, what)) in want.iter().enumerate() {
            if ins[k].ndim() != nd || !ins[k].dtype.is_float() {
                return Err(format!(
                    "The {what} must be a {nd}D float tensor, got {}",
                    ins[k]
                ));
            }
        }
        for (k, what) in [(3, "inputIdx"), (4, "outputIdx")] {
            if ins[k].ndim() != 2 || !ins[k].dtype.is_int() {
                return Err(format!(
                    "The indices {what} must be a 2D integer tensor, got {}",
                    ins[k]
                ));
            }
        }
        Ok(vec![ins[0]])
    }
    fn grad(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        if self.kind == Block::Outer {
            return None; // as Theano's: no gradient
        }
        let Some(go) = output_grads[0].clone() else {
            return Some(Ok(vec![None; 5]));
        };
        let r = || -> Result<Vec<Option<Variable>>> {
            let [_o, w, h, iidx, oidx] = inputs else {
                unreachable!("checked when the node was built")
            };
            let one = Variable::constant_bounded(Tensor::scalar(1.0f32));
            let wgrad = T::apply_op(
                op(Block::Outer),
                vec![
                    T::zeros_like(w),
                    h.clone(),
                    go.clone(),
                    iidx.clone(),
                    oidx.clone(),
                    one,
                ],
            )?
            .remove(0);
            let hgrad = T::apply_op(
                op(Block::Gemv),
                vec![
                    T::zeros_like(h),
                    w.dimshuffle(&[Some(1), Some(0), Some(3), Some(2)])?,
                    go.clone(),
                    oidx.clone(),
                    iidx.clone(),
                ],
            )?
            .remove(0);
            Ok(vec![Some(go), Some(wgrad), Some(hgrad), None, None])
        };
        Some(r().map_err(|e| e.to_string()))
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        Some(vec![ShapeDim::all_of(0, input_ndims[0])])
    }
    fn perform(&self, ins: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        Some(perform(self.kind, ins))
    }
}

fn perform(kind: Block, ins: &[&Tensor]) -> std::result::Result<Vec<Tensor>, String> {
    let out_dtype = ins[0].dtype();
    let mut o = ins[0].to_f64_vec();
    let os = ins[0].shape().to_vec();
    let (a, b) = (ins[1], ins[2]);
    let (av, bv) = (a.to_f64_vec(), b.to_f64_vec());
    let (ai, bi) = (ins[3].to_i64_vec(), ins[4].to_i64_vec());
    let (asz, bsz) = (ins[3].shape().to_vec(), ins[4].shape().to_vec());
    let oob = |what: &str, v: i64, n: usize| {
        format!("IndexError: index {v} is out of bounds for axis 0 with size {n} ({what})")
    };
    let index = |v: i64, n: usize, what: &str| -> std::result::Result<usize, String> {
        let k = if v < 0 { v + n as i64 } else { v };
        usize::try_from(k)
            .ok()
            .filter(|&k| k < n)
            .ok_or_else(|| oob(what, v, n))
    };
    match kind {
        Block::Gemv => {
            // o (B, J, O), W (I', J', In, O), h (B, I, In)
            let (w, h) = (a.shape(), b.shape());
            let (nb, nj, no) = (os[0], os[1], os[2]);
            let (ni, nin) = (h[1], h[2]);
            if h[0] != nb || asz != [nb, ni] || bsz != [nb, nj] || w[2] != nin || w[3] != no {
                return Err(format!(
                    "ValueError: SparseBlockGemv: shapes o {:?}, W {:?}, h {:?}, inputIdx {:?}, \
                     outputIdx {:?} do not fit",
                    os, w, h, asz, bsz
                ));
            }
            for bb in 0..nb {
                for j in 0..nj {
                    let oj = index(bi[bb * nj + j], w[1], "outputIdx")?;
                    for i in 0..ni {
                        let ii = index(ai[bb * ni + i], w[0], "inputIdx")?;
                        let wb = ((ii * w[1] + oj) * nin) * no;
                        let hb = (bb * ni + i) * nin;
                        let ob = (bb * nj + j) * no;
                        for k in 0..nin {
                            let hk = bv[hb + k];
                            for c in 0..no {
                                o[ob + c] += hk * av[wb + k * no + c];
                            }
                        }
                    }
                }
            }
        }
        Block::Outer => {
            // o (I', J', X, Y), x (B, I, X), y (B, J, Y)
            let (x, y) = (a.shape(), b.shape());
            let (nb, ni, nx) = (x[0], x[1], x[2]);
            let (nj, ny) = (y[1], y[2]);
            if y[0] != nb || asz != [nb, ni] || bsz != [nb, nj] || os[2] != nx || os[3] != ny {
                return Err(format!(
                    "ValueError: SparseBlockOuter: shapes o {:?}, x {:?}, y {:?}, xIdx {:?}, \
                     yIdx {:?} do not fit",
                    os, x, y, asz, bsz
                ));
            }
            for bb in 0..nb {
                for i in 0..ni {
                    let oi = index(ai[bb * ni + i], os[0], "xIdx")?;
                    for j in 0..nj {
                        let oj = index(bi[bb * nj + j], os[1], "yIdx")?;
                        let ob = ((oi * os[1] + oj) * nx) * ny;
                        for p in 0..nx {
                            let xp = av[(bb * ni + i) * nx + p];
                            for q in 0..ny {
                                o[ob + p * ny + q] += xp * bv[(bb * nj + j) * ny + q];
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(vec![Tensor::from_f64_vec(
        theano_ir::DType::Float64,
        &os,
        o,
    )
    .expect("a value of its own shape")
    .cast(out_dtype)])
}

/// Theano's `sparse_block_dot(W, h, inputIdx, b, outputIdx)`: for each example `b`, output
/// block `j` is `b[outputIdx[b, j]] + sum_i h[b, i] . W[inputIdx[b, i], outputIdx[b, j]]`
/// (`h` 3-d, or 2-d for one example).
#[track_caller]
pub fn sparse_block_dot(
    w: impl IntoVar,
    h: impl IntoVar,
    input_idx: impl IntoVar,
    b: impl IntoVar,
    output_idx: impl IntoVar,
) -> Result<Variable> {
    let (w, mut h, mut ii, b, mut oi) = (
        w.into_var(),
        h.into_var(),
        input_idx.into_var(),
        b.into_var(),
        output_idx.into_var(),
    );
    if ii.ndim() + 1 != h.ndim() || oi.ndim() != ii.ndim() {
        return Err(GraphError::new(
            "sparse_block_dot",
            vec![h.ty(), ii.ty(), oi.ty()],
            "inputIdx must have one dimension less than h, and outputIdx as many as inputIdx",
            std::panic::Location::caller(),
        ));
    }
    if h.ndim() == 2 {
        h = h.dimshuffle(&[None, Some(0), Some(1)])?;
        ii = ii.dimshuffle(&[None, Some(0)])?;
        oi = oi.dimshuffle(&[None, Some(0)])?;
    }
    let o = T::take(&b, &oi, Some(0))?;
    Ok(T::apply_op(op(Block::Gemv), vec![o, w, h, ii, oi])?.remove(0))
}

/// A length as `h_softmax` takes it: a Python int (a known length) or a symbolic integer
/// scalar, which Theano's graphs hold differently (a constant shape vector, or a
/// `MakeVector`).
#[derive(Clone, Debug)]
pub enum Size {
    Known(i64),
    Sym(Variable),
}

impl From<i64> for Size {
    fn from(n: i64) -> Size {
        Size::Known(n)
    }
}
impl From<usize> for Size {
    fn from(n: usize) -> Size {
        Size::Known(n as i64)
    }
}
impl From<Variable> for Size {
    fn from(v: Variable) -> Size {
        Size::Sym(v)
    }
}
impl From<&Variable> for Size {
    fn from(v: &Variable) -> Size {
        Size::Sym(v.clone())
    }
}

impl Size {
    /// As a graph operand: Python's int as Theano's `as_tensor_variable` makes it.
    fn var(&self) -> Variable {
        match self {
            Size::Known(n) => n.into_var(),
            Size::Sym(v) => v.clone(),
        }
    }
}

/// A shape of sizes: a constant vector when every entry is known (Theano's tuple of ints),
/// else their scalars.
fn shape_of(sizes: &[Size]) -> T::ShapeArg {
    let known: Option<Vec<i64>> = sizes
        .iter()
        .map(|s| match s {
            Size::Known(n) => Some(*n),
            Size::Sym(_) => None,
        })
        .collect();
    match known {
        Some(v) => T::ShapeArg::Const(v),
        None => T::ShapeArg::Scalars(sizes.iter().map(Size::var).collect()),
    }
}

/// Theano's `h_softmax(x, batch_size, n_outputs, n_classes, n_outputs_per_class, W1, b1,
/// W2, b2, target)`: the two-level hierarchical softmax: the probability of each class
/// (`softmax(x W1 + b1)`) times the probability of each output within its class; all the
/// outputs' probabilities (`target` `None`), or only the targets' (by `sparse_block_dot`).
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn h_softmax(
    x: impl IntoVar,
    batch_size: impl Into<Size>,
    n_outputs: impl Into<Size>,
    n_classes: impl Into<Size>,
    n_outputs_per_class: impl Into<Size>,
    w1: impl IntoVar,
    b1: impl IntoVar,
    w2: impl IntoVar,
    b2: impl IntoVar,
    target: Option<&Variable>,
) -> Result<Variable> {
    let x = x.into_var();
    let (batch_size, n_outputs, n_classes, per_class) = (
        batch_size.into(),
        n_outputs.into(),
        n_classes.into(),
        n_outputs_per_class.into(),
    );
    let (w1, b1, w2, b2) = (w1.into_var(), b1.into_var(), w2.into_var(), b2.into_var());
    let class_probs = T::softmax(T::dot(&x, &w1)? + &b1)?;
    let Some(target) = target else {
        let activations = T::tensordot(&x, &w2, T::TensordotAxes::Pairs(vec![1], vec![1]))? + &b2;
        let flat = activations.reshape(shape_of(&[Size::Known(-1), per_class.clone()]))?;
        let output_probs = T::softmax(flat)?;
        let output_probs =
            output_probs.reshape(shape_of(&[batch_size.clone(), n_classes, Size::Known(-1)]))?;
        let output_probs = class_probs.dimshuffle(&[Some(0), Some(1), None])? * output_probs;
        let output_probs = output_probs.reshape(shape_of(&[batch_size, Size::Known(-1)]))?;
        // a Python int slice bound is an int64 constant
        let stop = match n_outputs {
            Size::Known(n) => Variable::index_constant(n),
            Size::Sym(v) => v,
        };
        return output_probs.get(&[Idx::all(), Idx::Slice(None, Some(stop), None)]);
    };
    let target = target.flatten(1)?;
    let target_classes = T::int_div(&target, per_class.var());
    let target_outputs_in_class = T::modulo(&target, per_class.var());
    let zeros = T::alloc(
        Variable::constant_bounded(Tensor::scalar(0i32)),
        &[batch_size.var(), 1i8.into_var()],
    )?;
    let activations = sparse_block_dot(
        w2.dimshuffle(&[None, Some(0), Some(1), Some(2)])?,
        x.dimshuffle(&[Some(0), None, Some(1)])?,
        zeros,
        &b2,
        target_classes.dimshuffle(&[Some(0), None])?,
    )?;
    let output_probs = T::softmax(activations.dimshuffle(&[Some(0), Some(2)])?)?;
    // an `arange(batch_size)` per indexing, as Theano's
    let rows = T::arange(batch_size.var())?;
    let target_class_probs = class_probs.get(&[Idx::Array(rows), Idx::Array(target_classes)])?;
    let rows = T::arange(batch_size.var())?;
    let output_probs =
        output_probs.get(&[Idx::Array(rows), Idx::Array(target_outputs_in_class)])?;
    Ok(target_class_probs * output_probs)
}
