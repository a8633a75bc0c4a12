//! The ops, their [`Kind`]s (Theano's `__props__`), type rules, names, text form,
//! gradients and shapes, and their builders.

use crate::perform;
use std::panic::Location;
use std::sync::Arc;
use theano_ir::params::Params;
use theano_ir::tensor::{self as T, IntoVar};
use theano_ir::{
    CustomOp, DType, GraphError, Op, OpTable, Result, ShapeDim, Tensor, TensorType, Variable,
};

/// `ravel_multi_index`'s handling of indices out of bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RavelMode {
    /// refuse them (`ValueError: invalid entry in coordinates array`)
    Raise,
    /// modulo the dimension
    Wrap,
    /// into `[0, dim - 1]`
    Clip,
}

impl RavelMode {
    fn name(self) -> &'static str {
        match self {
            RavelMode::Raise => "raise",
            RavelMode::Wrap => "wrap",
            RavelMode::Clip => "clip",
        }
    }
    fn parse(s: &str) -> Option<RavelMode> {
        [RavelMode::Raise, RavelMode::Wrap, RavelMode::Clip]
            .into_iter()
            .find(|m| m.name() == s)
    }
}

/// Which op, with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `SearchsortedOp{side}`: insertion indices of `v` into the sorted vector `x`.
    Searchsorted { right: bool },
    /// `DiffOp{n, axis}`: the `n`-th discrete difference along `axis`.
    Diff { n: usize, axis: i64 },
    /// `Bartlett`: the Bartlett window of `M` points.
    Bartlett,
    /// `FillDiagonal`: a copy with the main diagonal set.
    FillDiagonal,
    /// `FillDiagonalOffset`: a copy of a matrix with diagonal `offset` set.
    FillDiagonalOffset,
    /// `Unique{return_index, return_inverse, return_counts, axis}`.
    Unique {
        return_index: bool,
        return_inverse: bool,
        return_counts: bool,
        axis: Option<i64>,
    },
    /// `UnravelIndex{ndim, order}`: flat indices to `ndim` coordinate arrays.
    UnravelIndex { ndim: usize, fortran: bool },
    /// `RavelMultiIndex{mode, order}`: coordinate arrays to flat indices.
    RavelMultiIndex { mode: RavelMode, fortran: bool },
    /// `TopKOp{axis, sorted}` (theano.tensor.sort): the `kth` largest elements along `axis`
    /// (the `-kth` smallest for a negative `kth`) and their indices, of dtype `idx_dtype`.
    TopK {
        axis: i64,
        sorted: bool,
        idx_dtype: DType,
    },
    /// `RFFTOp` (theano.tensor.fft): the real n-d FFT over every axis but the first, of
    /// lengths `s`, real and imaginary parts on a last axis of 2.
    Rfft,
    /// `IRFFTOp`: its inverse, unnormalized (NumPy's `irfftn` times `prod(s)`).
    Irfft,
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn order(fortran: bool) -> &'static str {
    if fortran {
        "F"
    } else {
        "C"
    }
}

/// Every name [`Kind::name`] gives.
const NAMES: [&str; 11] = [
    "SearchsortedOp",
    "DiffOp",
    "Bartlett",
    "FillDiagonal",
    "FillDiagonalOffset",
    "Unique",
    "UnravelIndex",
    "RavelMultiIndex",
    "TopKOp",
    "RFFTOp",
    "IRFFTOp",
];

impl Kind {
    /// Theano's class name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Searchsorted { .. } => "SearchsortedOp",
            Kind::Diff { .. } => "DiffOp",
            Kind::Bartlett => "Bartlett",
            Kind::FillDiagonal => "FillDiagonal",
            Kind::FillDiagonalOffset => "FillDiagonalOffset",
            Kind::Unique { .. } => "Unique",
            Kind::UnravelIndex { .. } => "UnravelIndex",
            Kind::RavelMultiIndex { .. } => "RavelMultiIndex",
            Kind::TopK { .. } => "TopKOp",
            Kind::Rfft => "RFFTOp",
            Kind::Irfft => "IRFFTOp",
        }
    }

    /// The parameters as Theano prints them.
    pub fn params(self) -> String {
        match self {
            Kind::Searchsorted { right } => {
                format!("side='{}'", if right { "right" } else { "left" })
            }
            Kind::Diff { n, axis } => format!("n={n}, axis={axis}"),
            Kind::Unique {
                return_index,
                return_inverse,
                return_counts,
                axis,
            } => format!(
                "return_index={}, return_inverse={}, return_counts={}, axis={}",
                py_bool(return_index),
                py_bool(return_inverse),
                py_bool(return_counts),
                axis.map_or("None".to_string(), |a| a.to_string())
            ),
            Kind::UnravelIndex { ndim, fortran } => {
                format!("ndim={ndim}, order='{}'", order(fortran))
            }
            Kind::RavelMultiIndex { mode, fortran } => {
                format!("mode='{}', order='{}'", mode.name(), order(fortran))
            }
            Kind::TopK { axis, sorted, .. } => format!("axis={axis}, sorted={}", py_bool(sorted)),
            _ => String::new(),
        }
    }

    /// The parameters the text form writes, where Theano's name leaves some out.
    pub fn text_params(self) -> Option<String> {
        match self {
            Kind::TopK { idx_dtype, .. } => {
                Some(format!("{}, idx_dtype='{idx_dtype}'", self.params()))
            }
            _ => None,
        }
    }

    /// The kind named `name` with parameters `params`.
    pub fn parse(name: &str, params: &str) -> std::result::Result<Kind, String> {
        let p = Params::parse(name, params)?;
        let fortran = || match p.string("order", "C")? {
            "C" => Ok(false),
            "F" => Ok(true),
            o => Err(format!("{name}: order must be 'C' or 'F', got {o}")),
        };
        let (kind, known): (Kind, &[&str]) = match name {
            "SearchsortedOp" => {
                let right = match p.string("side", "left")? {
                    "left" => false,
                    "right" => true,
                    s => return Err(format!("'{s}' is an invalid value for keyword 'side'")),
                };
                (Kind::Searchsorted { right }, &["side"])
            }
            "DiffOp" => {
                let n = p.int("n", Some(1))?.unwrap_or(1);
                let n =
                    usize::try_from(n).map_err(|_| format!("{name}: n must be >= 0, got {n}"))?;
                (
                    Kind::Diff {
                        n,
                        axis: p.int("axis", Some(-1))?.unwrap_or(-1),
                    },
                    &["n", "axis"],
                )
            }
            "Bartlett" => (Kind::Bartlett, &[]),
            "FillDiagonal" => (Kind::FillDiagonal, &[]),
            "FillDiagonalOffset" => (Kind::FillDiagonalOffset, &[]),
            "Unique" => (
                Kind::Unique {
                    return_index: p.flag("return_index", false)?,
                    return_inverse: p.flag("return_inverse", false)?,
                    return_counts: p.flag("return_counts", false)?,
                    axis: p.int("axis", None)?,
                },
                &["return_index", "return_inverse", "return_counts", "axis"],
            ),
            "UnravelIndex" => {
                let ndim = p.int("ndim", None)?.unwrap_or(0);
                if ndim < 1 {
                    return Err("ndim must be an integer greater than 0".into());
                }
                (
                    Kind::UnravelIndex {
                        ndim: ndim as usize,
                        fortran: fortran()?,
                    },
                    &["ndim", "order"],
                )
            }
            "RavelMultiIndex" => {
                let m = p.string("mode", "raise")?;
                let mode = RavelMode::parse(m).ok_or_else(|| {
                    format!("{name}: mode must be 'raise', 'wrap' or 'clip', got {m}")
                })?;
                (
                    Kind::RavelMultiIndex {
                        mode,
                        fortran: fortran()?,
                    },
                    &["mode", "order"],
                )
            }
            "TopKOp" => {
                let d = p.string("idx_dtype", "int64")?;
                let idx_dtype = DType::from_name(d).filter(|t| t.is_int()).ok_or_else(|| {
                    format!("\"idx_dtype\" parameter must be an integer dtype, got \"{d}\"")
                })?;
                (
                    Kind::TopK {
                        axis: p.int("axis", Some(-1))?.unwrap_or(-1),
                        sorted: p.flag("sorted", true)?,
                        idx_dtype,
                    },
                    &["axis", "sorted", "idx_dtype"],
                )
            }
            "RFFTOp" => (Kind::Rfft, &[]),
            "IRFFTOp" => (Kind::Irfft, &[]),
            _ => return Err(format!("{name} is not one of extra_ops' ops")),
        };
        p.only(known)?;
        Ok(kind)
    }

    fn n_outputs(self) -> usize {
        match self {
            Kind::Unique {
                return_index,
                return_inverse,
                return_counts,
                ..
            } => 1 + return_index as usize + return_inverse as usize + return_counts as usize,
            Kind::UnravelIndex { ndim, .. } => ndim,
            Kind::TopK { .. } => 2,
            _ => 1,
        }
    }
}

/// The op of one [`Kind`].
#[derive(Debug)]
pub struct ExtraOp {
    pub kind: Kind,
}

/// The shared op of `kind` (one per kind, so equal nodes merge).
pub fn op(kind: Kind) -> Op {
    static OPS: OpTable<Kind> = OpTable::new();
    register();
    OPS.get(kind, || Arc::new(ExtraOp { kind }))
}

fn parse_op(name: &str, params: &str) -> std::result::Result<Arc<dyn CustomOp>, String> {
    match op(Kind::parse(name, params)?) {
        Op::Custom(c) => Ok(c.0),
        _ => unreachable!("op() gives a custom op"),
    }
}

pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for name in NAMES {
            theano_ir::register_custom_op(name, parse_op);
        }
    });
}

fn int_vector_type() -> TensorType {
    TensorType::vector(DType::Int64)
}

fn int64_like(t: &TensorType) -> std::result::Result<TensorType, String> {
    TensorType::new(DType::Int64, &t.broadcastable()).map_err(|e| e.to_string())
}

/// Theano's `int_dtypes`: the signed integers.
fn signed(t: &TensorType) -> bool {
    t.dtype.is_int() && !t.dtype.is_unsigned()
}

fn not_index(t: &TensorType) -> String {
    format!("'{}' object cannot be interpreted as an index", t.dtype)
}

impl ExtraOp {
    fn types(&self, ins: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        let name = self.kind.name();
        let arity = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("{name} takes {what}, got {} inputs", ins.len()))
            }
        };
        match self.kind {
            Kind::Searchsorted { .. } => {
                arity(matches!(ins.len(), 2 | 3), "x, v and an optional sorter")?;
                if ins[0].ndim() != 1 {
                    return Err(format!("x must be a vector, got {}", ins[0]));
                }
                if let Some(s) = ins.get(2) {
                    if s.ndim() != 1 || !s.dtype.is_int() {
                        return Err(format!("sorter must be an integer vector, got {s}"));
                    }
                }
                Ok(vec![int64_like(&ins[1])?])
            }
            Kind::Diff { axis, .. } => {
                arity(ins.len() == 1, "x")?;
                let nd = ins[0].ndim() as i64;
                if axis >= nd || axis < -nd {
                    return Err(format!(
                        "axis {axis} is out of bounds for array of dimension {nd}"
                    ));
                }
                Ok(vec![ins[0]])
            }
            Kind::Bartlett => {
                arity(ins.len() == 1, "M")?;
                if ins[0].ndim() != 0 {
                    return Err("Bartlett only works on scalar input".into());
                }
                if !ins[0].dtype.is_int() {
                    return Err("Bartlett only works on integer input".into());
                }
                Ok(vec![TensorType::vector(DType::Float64)])
            }
            Kind::FillDiagonal | Kind::FillDiagonalOffset => {
                let offset = self.kind == Kind::FillDiagonalOffset;
                arity(
                    ins.len() == 2 + offset as usize,
                    if offset { "a, val, offset" } else { "a, val" },
                )?;
                let (a, v) = (&ins[0], &ins[1]);
                if offset && a.ndim() != 2 {
                    return Err(format!(
                        "{name}: first parameter must have exactly two dimensions"
                    ));
                }
                if a.ndim() < 2 {
                    return Err(format!(
                        "{name}: first parameter must have at least two dimensions"
                    ));
                }
                if v.ndim() != 0 {
                    return Err(format!("{name}: second parameter must be a scalar"));
                }
                if v.dtype != a.dtype {
                    return Err(format!(
                        "{name}: type of second parameter must be the same as the first's"
                    ));
                }
                if offset {
                    let o = &ins[2];
                    if o.ndim() != 0 {
                        return Err(format!("{name}: third parameter must be a scalar"));
                    }
                    if !o.dtype.is_int() {
                        return Err(format!(
                            "{name}: type of third parameter must be as integer use \
                             theano.tensor.cast( input, 'int32/int64')"
                        ));
                    }
                }
                Ok(vec![*a])
            }
            Kind::Unique { axis, .. } => {
                arity(ins.len() == 1, "x")?;
                let x = &ins[0];
                let values = match axis {
                    None => TensorType::vector(x.dtype),
                    Some(ax) => {
                        let ax = resolve(ax, x.ndim()).ok_or_else(|| {
                            format!(
                                "Unique axis `{ax}` is outside of input ndim = {}.",
                                x.ndim()
                            )
                        })?;
                        let mut b = x.broadcastable();
                        b[ax] = false;
                        TensorType::new(x.dtype, &b).map_err(|e| e.to_string())?
                    }
                };
                let mut out = vec![values];
                out.extend(std::iter::repeat_n(
                    int_vector_type(),
                    self.kind.n_outputs() - 1,
                ));
                Ok(out)
            }
            Kind::UnravelIndex { ndim, .. } => {
                arity(ins.len() == 2, "indices, dims")?;
                let (i, d) = (&ins[0], &ins[1]);
                if !signed(i) {
                    return Err(not_index(i));
                }
                if !signed(d) {
                    return Err(not_index(d));
                }
                if d.ndim() != 1 {
                    return Err("dims must be a 1D array".into());
                }
                let t = TensorType::with_ndim(DType::Int64, i.ndim()).map_err(|e| e.to_string())?;
                Ok(vec![t; ndim])
            }
            Kind::RavelMultiIndex { .. } => {
                arity(ins.len() >= 2, "one or more index arrays and dims")?;
                let (idx, d) = ins.split_at(ins.len() - 1);
                if let Some(bad) = idx.iter().find(|t| !signed(t)) {
                    return Err(not_index(bad));
                }
                if !signed(&d[0]) {
                    return Err(not_index(&d[0]));
                }
                if d[0].ndim() != 1 {
                    return Err("dims must be a 1D array".into());
                }
                let t = TensorType::with_ndim(DType::Int64, idx[0].ndim())
                    .map_err(|e| e.to_string())?;
                Ok(vec![t])
            }
            Kind::TopK {
                axis, idx_dtype, ..
            } => {
                arity(ins.len() == 2, "x and kth")?;
                let (x, k) = (&ins[0], &ins[1]);
                let nd = x.ndim() as i64;
                if nd == 0 {
                    return Err("Cannot take scalar as input".into());
                }
                if !(-nd..nd).contains(&axis) {
                    return Err(format!(
                        "\"axis\" parameter out of range, expected integer within [{}, {}]",
                        -nd,
                        nd - 1
                    ));
                }
                if k.ndim() != 0 || !k.dtype.is_int() {
                    return Err(format!("kth must be an integer scalar, got {k}"));
                }
                let idx =
                    TensorType::new(idx_dtype, &x.broadcastable()).map_err(|e| e.to_string())?;
                Ok(vec![*x, idx])
            }
            Kind::Rfft | Kind::Irfft => crate::fft::types(self.kind, ins),
        }
    }
}

pub(crate) fn resolve(axis: i64, ndim: usize) -> Option<usize> {
    let n = ndim as i64;
    let a = if axis < 0 { axis + n } else { axis };
    (0..n).contains(&a).then_some(a as usize)
}

/// `x`'s zeros as a float (Theano's `_float_zeros_like`: floatX for an integer `x`).
fn float_zeros_like(x: &Variable) -> Variable {
    let z = T::zeros_like(x);
    if z.dtype().is_float() {
        z
    } else {
        T::cast(&z, theano_ir::config::float_x())
    }
}

fn e(err: GraphError) -> String {
    err.to_string()
}

impl CustomOp for ExtraOp {
    fn name(&self) -> String {
        self.kind.name().into()
    }
    fn params(&self) -> String {
        self.kind.params()
    }
    fn text_params(&self) -> Option<String> {
        self.kind.text_params()
    }
    fn n_outputs(&self) -> usize {
        self.kind.n_outputs()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        self.types(inputs)
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        let g0 = output_grads.first().cloned().flatten();
        let r = || -> std::result::Result<Vec<Option<Variable>>, String> {
            match self.kind {
                Kind::Searchsorted { .. } => {
                    let mut g = vec![
                        Some(float_zeros_like(&inputs[0])),
                        Some(float_zeros_like(&inputs[1])),
                    ];
                    if inputs.len() == 3 {
                        g.push(None);
                    }
                    Ok(g)
                }
                Kind::Diff { n, .. } => {
                    let Some(mut z) = g0 else {
                        return Ok(vec![None]);
                    };
                    if inputs[0].ndim() != 1 {
                        return Err(
                            "Grad is not implemented for inputs withnumber of dimension \
                                    other than 1."
                                .into(),
                        );
                    }
                    // Theano's: concatenate([[0.], z]) - concatenate([z, [0.]]), n times
                    for _ in 0..n {
                        let zero = || Variable::constant_bounded(Tensor::from([0.0f64]));
                        let pre = T::concatenate(&[zero(), z.clone()], 0).map_err(e)?;
                        let app = T::concatenate(&[z.clone(), zero()], 0).map_err(e)?;
                        z = pre - app;
                    }
                    Ok(vec![Some(z)])
                }
                // Theano's: the values' gradient set at the indices along the axis
                Kind::TopK { axis, .. } => {
                    let Some(gz) = g0 else {
                        return Ok(vec![None, None]);
                    };
                    let x = &inputs[0];
                    let nd = x.ndim();
                    let axis = resolve(axis, nd).expect("checked when the node was built");
                    let idx = (0..nd)
                        .map(|i| {
                            if i == axis {
                                return Ok(theano_ir::Idx::Array(outputs[1].clone()));
                            }
                            let mut pattern = vec![Some(0)];
                            pattern.extend(std::iter::repeat_n(None, nd - i - 1));
                            let r = T::arange(x.shape().at(i as i64)?)?.dimshuffle(&pattern)?;
                            Ok(theano_ir::Idx::Array(r))
                        })
                        .collect::<Result<Vec<_>>>()
                        .map_err(e)?;
                    let zeros = if gz.dtype() == x.dtype() {
                        T::zeros_like(x)
                    } else {
                        T::fill(
                            x,
                            Variable::constant_bounded(Tensor::zeros(gz.dtype(), &[])),
                        )
                    };
                    let g = T::set_subtensor(&zeros.get(&idx).map_err(e)?, &gz).map_err(e)?;
                    Ok(vec![Some(g), None])
                }
                Kind::Rfft | Kind::Irfft => crate::fft::grad(self.kind, inputs, g0),
                // integer outputs: no gradient reaches the inputs
                Kind::Bartlett
                | Kind::Unique { .. }
                | Kind::UnravelIndex { .. }
                | Kind::RavelMultiIndex { .. } => Ok(vec![None; inputs.len()]),
                Kind::FillDiagonal => {
                    let Some(g) = g0 else {
                        return Ok(vec![None, None]);
                    };
                    if inputs[0].ndim() > 2 {
                        return Err("FillDiagonal: gradient is currently implemented for \
                                    matrices only"
                            .into());
                    }
                    let wr_a = fill_diagonal(&g, 0i8).map_err(e)?;
                    let wr_val = T::sum(T::diag(&g, 0).map_err(e)?);
                    Ok(vec![Some(wr_a), Some(wr_val)])
                }
                Kind::FillDiagonalOffset => {
                    let Some(g) = g0 else {
                        return Ok(vec![None, None, None]);
                    };
                    let offset = &inputs[2];
                    let wr_a = fill_diagonal_offset(&g, 0i8, offset).map_err(e)?;
                    // grad.flatten()[start:end:step].sum(), the diagonal's elements
                    let shape = g.shape();
                    let height = shape.at(0i64).map_err(e)?;
                    let width = g.shape().at(1i64).map_err(e)?;
                    let offset_abs = T::abs(offset);
                    let pos = T::ge(offset, 0i8);
                    let neg = T::lt(offset, 0i8);
                    let min_wh = T::minimum(&width, &height);
                    let start = offset * &pos + &offset_abs * &width * &neg;
                    let num = T::minimum(&min_wh, &width * &pos + &height * &neg - &offset_abs);
                    let step = inputs[0].shape().at(1i64).map_err(e)? + 1i8;
                    let end = &start + &step * num;
                    let i32c = |v: &Variable| T::cast(v, DType::Int32);
                    let flat = g.flatten(1).map_err(e)?;
                    let picked = flat
                        .get(&[theano_ir::Idx::slice(
                            Some(i32c(&start)),
                            Some(i32c(&end)),
                            Some(i32c(&step)),
                        )])
                        .map_err(e)?;
                    Ok(vec![Some(wr_a), Some(T::sum(picked)), None])
                }
            }
        };
        Some(r())
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        let same = |input: usize| ShapeDim::all_of(input, input_ndims[input]);
        match self.kind {
            Kind::Searchsorted { .. } => Some(vec![same(1)]),
            Kind::FillDiagonal | Kind::FillDiagonalOffset => Some(vec![same(0)]),
            Kind::UnravelIndex { ndim, .. } => Some(vec![same(0); ndim]),
            Kind::RavelMultiIndex { .. } => Some(vec![same(0)]),
            Kind::Diff { n: 0, .. } => Some(vec![same(0)]),
            // lengths that are differences or depend on the values: read from the values
            _ => None,
        }
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        Some(perform::perform(self.kind, inputs))
    }
}

#[track_caller]
fn build(kind: Kind, inputs: Vec<Variable>) -> Result<Vec<Variable>> {
    T::apply_op(op(kind), inputs)
}

fn refuse(op: &str, ins: &[&Variable], msg: impl Into<String>) -> GraphError {
    GraphError::new(
        op,
        ins.iter().map(|v| v.ty()).collect(),
        msg,
        Location::caller(),
    )
}

/// `searchsorted(x, v, side, sorter)`: for each element of `v`, the index in the sorted
/// vector `x` (or `x[sorter]`) where it would be inserted to keep the order: the first such
/// (`side = "left"`) or the last (`"right"`); int64, of `v`'s shape.
#[track_caller]
pub fn searchsorted(
    x: impl IntoVar,
    v: impl IntoVar,
    side: &str,
    sorter: Option<&Variable>,
) -> Result<Variable> {
    let (x, v) = (x.into_var(), v.into_var());
    let right = match side {
        "left" => false,
        "right" => true,
        _ => {
            return Err(refuse(
                "SearchsortedOp",
                &[&x, &v],
                format!("'{side}' is an invalid value for keyword 'side'"),
            ))
        }
    };
    let mut ins = vec![x, v];
    ins.extend(sorter.cloned());
    Ok(build(Kind::Searchsorted { right }, ins)?.remove(0))
}

/// `diff(x, n, axis)`: the `n`-th discrete difference along `axis` (negative from the
/// end), NumPy's `diff`; its gradient exists for vectors, as Theano's.
#[track_caller]
pub fn diff(x: impl IntoVar, n: usize, axis: isize) -> Result<Variable> {
    Ok(build(
        Kind::Diff {
            n,
            axis: axis as i64,
        },
        vec![x.into_var()],
    )?
    .remove(0))
}

/// `bartlett(M)`: the Bartlett window of `M` points (an integer scalar), float64; empty for
/// `M <= 0`.
#[track_caller]
pub fn bartlett(m: impl IntoVar) -> Result<Variable> {
    Ok(build(Kind::Bartlett, vec![m.into_var()])?.remove(0))
}

/// `val` as `a`'s dtype, as Theano's `make_node` casts it: refused when that would be a
/// downcast (its upcast with `a` is not `a`'s dtype).
fn val_as(
    op: &str,
    a: &Variable,
    val: Variable,
    loc: &'static Location<'static>,
) -> Result<Variable> {
    if val.ndim() != 0 {
        return Err(GraphError::new(
            op,
            vec![a.ty(), val.ty()],
            format!("{op}: second parameter must be a scalar"),
            loc,
        ));
    }
    if DType::promote(a.dtype(), val.dtype()) != a.dtype() {
        return Err(GraphError::new(
            op,
            vec![a.ty(), val.ty()],
            format!("{op}: type of second parameter must be the same as the first's"),
            loc,
        ));
    }
    Ok(if val.dtype() == a.dtype() {
        val
    } else {
        T::cast(&val, a.dtype())
    })
}

/// `fill_diagonal(a, val)`: a copy of `a` (at least two dimensions; all of equal length past
/// two) with its main diagonal set to the scalar `val`, which must not need a downcast.
#[track_caller]
pub fn fill_diagonal(a: impl IntoVar, val: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let a = a.into_var();
    let val = val_as("FillDiagonal", &a, val.into_var(), loc)?;
    Ok(build(Kind::FillDiagonal, vec![a, val])?.remove(0))
}

/// `fill_diagonal_offset(a, val, offset)`: a copy of the matrix `a` with diagonal `offset`
/// (positive above the main one) set to `val`; not wrapped for a tall matrix.
#[track_caller]
pub fn fill_diagonal_offset(
    a: impl IntoVar,
    val: impl IntoVar,
    offset: impl IntoVar,
) -> Result<Variable> {
    let loc = Location::caller();
    let a = a.into_var();
    let val = val_as("FillDiagonalOffset", &a, val.into_var(), loc)?;
    Ok(build(Kind::FillDiagonalOffset, vec![a, val, offset.into_var()])?.remove(0))
}

/// `Unique(return_index, return_inverse, return_counts, axis)(x)`: NumPy's `unique`: the
/// sorted distinct values (or slices along `axis`), then as asked the first index of each,
/// the index of each element's value, and the counts.
#[track_caller]
pub fn unique(
    x: impl IntoVar,
    return_index: bool,
    return_inverse: bool,
    return_counts: bool,
    axis: Option<isize>,
) -> Result<Vec<Variable>> {
    build(
        Kind::Unique {
            return_index,
            return_inverse,
            return_counts,
            axis: axis.map(|a| a as i64),
        },
        vec![x.into_var()],
    )
}

fn order_of(op: &str, ins: &[&Variable], order: &str) -> Result<bool> {
    match order {
        "C" => Ok(false),
        "F" => Ok(true),
        _ => Err(refuse(
            op,
            ins,
            format!("order must be 'C' or 'F', got '{order}'"),
        )),
    }
}

/// `unravel_index(indices, dims, order, ndim)`: the coordinates (one int64 array per
/// dimension, of `indices`' shape) of flat indices into an array of shape `dims`; `ndim` is
/// `dims`' length, read from `dims` when it is known there.
#[track_caller]
pub fn unravel_index(
    indices: impl IntoVar,
    dims: impl IntoVar,
    order: &str,
    ndim: Option<usize>,
) -> Result<Vec<Variable>> {
    let (i, d) = (indices.into_var(), dims.into_var());
    let fortran = order_of("UnravelIndex", &[&i, &d], order)?;
    let ndim = match ndim.or_else(|| theano_ir::known_ints(&d).map(|v| v.len())) {
        Some(0) => {
            return Err(refuse(
                "UnravelIndex",
                &[&i, &d],
                "ndim must be an integer greater than 0",
            ))
        }
        Some(n) => n,
        None => {
            return Err(refuse(
                "UnravelIndex",
                &[&i, &d],
                "The length of the provided dimension list cannot be automatically \
                 determined, so Theano is not able to know what the number of dimensions of \
                 the unraveled index will be. You can provide the 'ndim' keyword argument to \
                 'unravel_index' to avoid this problem.",
            ))
        }
    };
    build(Kind::UnravelIndex { ndim, fortran }, vec![i, d])
}

/// `ravel_multi_index(multi_index, dims, mode, order)`: the flat indices of the coordinates
/// `multi_index` (one integer array per dimension) into an array of shape `dims`; `mode`
/// `"raise"`, `"wrap"` or `"clip"` for coordinates out of bounds.
#[track_caller]
pub fn ravel_multi_index(
    multi_index: &[Variable],
    dims: impl IntoVar,
    mode: &str,
    order: &str,
) -> Result<Variable> {
    let d = dims.into_var();
    let mut refs: Vec<&Variable> = multi_index.iter().collect();
    refs.push(&d);
    let mode = RavelMode::parse(mode).ok_or_else(|| {
        refuse(
            "RavelMultiIndex",
            &refs,
            format!("mode must be 'raise', 'wrap' or 'clip', got '{mode}'"),
        )
    })?;
    let fortran = order_of("RavelMultiIndex", &refs, order)?;
    if multi_index.is_empty() {
        return Err(refuse(
            "RavelMultiIndex",
            &refs,
            "multi_index must be a tuple or a list.",
        ));
    }
    let mut ins = multi_index.to_vec();
    ins.push(d);
    Ok(build(Kind::RavelMultiIndex { mode, fortran }, ins)?.remove(0))
}

/// Theano's `topk`/`argtopk`/`topk_and_argtopk`: the node `TopKOp{axis, sorted}(x, kth)`
/// (over the flattened `x` when `axis` is `None`).
fn topk_node(
    x: Variable,
    kth: Variable,
    axis: Option<isize>,
    sorted: bool,
    idx_dtype: DType,
) -> Result<Vec<Variable>> {
    let loc = Location::caller();
    if !idx_dtype.is_int() {
        return Err(GraphError::new(
            "TopKOp",
            vec![x.ty()],
            format!("\"idx_dtype\" parameter must be an integer dtype, got \"{idx_dtype}\""),
            loc,
        ));
    }
    let (x, axis) = match axis {
        None => (x.flatten(1)?, 0),
        Some(a) => (x, a as i64),
    };
    build(
        Kind::TopK {
            axis,
            sorted,
            idx_dtype,
        },
        vec![x, kth],
    )
}

/// `topk(x, kth, axis, sorted, idx_dtype)`: the `kth` largest elements of `x` along `axis`
/// (the `-kth` smallest for a negative `kth`; `axis` `None`: of the flattened `x`).
/// `sorted`: largest first (smallest first for a negative `kth`); Theano 1.0.5 refuses it
/// (not implemented there). Unsorted, the order along the axis is unspecified (here: the
/// sorted one, but for `|kth|` the axis' length, which keeps `x`'s order, as Theano's).
#[track_caller]
pub fn topk(
    x: impl IntoVar,
    kth: impl IntoVar,
    axis: Option<isize>,
    sorted: bool,
    idx_dtype: DType,
) -> Result<Variable> {
    Ok(topk_node(x.into_var(), kth.into_var(), axis, sorted, idx_dtype)?.remove(0))
}

/// `argtopk(x, kth, axis, sorted, idx_dtype)`: the indices along `axis` of [`topk`]'s
/// elements, of dtype `idx_dtype`.
#[track_caller]
pub fn argtopk(
    x: impl IntoVar,
    kth: impl IntoVar,
    axis: Option<isize>,
    sorted: bool,
    idx_dtype: DType,
) -> Result<Variable> {
    Ok(topk_node(x.into_var(), kth.into_var(), axis, sorted, idx_dtype)?.remove(1))
}

/// `topk_and_argtopk(...)`: [`topk`] and [`argtopk`] of one node.
#[track_caller]
pub fn topk_and_argtopk(
    x: impl IntoVar,
    kth: impl IntoVar,
    axis: Option<isize>,
    sorted: bool,
    idx_dtype: DType,
) -> Result<(Variable, Variable)> {
    let mut v = topk_node(x.into_var(), kth.into_var(), axis, sorted, idx_dtype)?;
    let i = v.remove(1);
    Ok((v.remove(0), i))
}

/// Theano's `nnet.confusion_matrix(actual, pred)`: the counts of each (actual, predicted)
/// pair of labels, rows the actual ones, and the sorted labels both vectors hold.
#[track_caller]
pub fn confusion_matrix(actual: impl IntoVar, pred: impl IntoVar) -> Result<(Variable, Variable)> {
    let (a, p) = (actual.into_var(), pred.into_var());
    if a.ndim() != 1 {
        return Err(refuse(
            "confusion_matrix",
            &[&a, &p],
            "actual must be 1-d tensor variable",
        ));
    }
    if p.ndim() != 1 {
        return Err(refuse(
            "confusion_matrix",
            &[&a, &p],
            "pred must be 1-d tensor variable",
        ));
    }
    let order = unique(
        T::concatenate(&[a.clone(), p.clone()], 0)?,
        false,
        false,
        false,
        None,
    )?
    .remove(0);
    let one_hot = |v: &Variable| -> Result<Variable> {
        let col = v.dimshuffle(&[Some(0), None])?;
        Ok(T::cast(T::eq(col, &order), DType::Int64))
    };
    let conf = T::dot(one_hot(&a)?.t(), one_hot(&p)?)?;
    Ok((conf, order))
}
