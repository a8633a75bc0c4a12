//! The `T` namespace: typed symbol constructors and graph-building functions, with Theano's
//! names (`T::dmatrix("x")`, `T::dot(&x, &w)?`, `T::sum(&x)`...).
//!
//! Every builder is `#[track_caller]`: the node records the user's source line, and a refused
//! combination is a [`GraphError`] naming the op, both input types and that line.

use crate::config::float_x;
use crate::error::{GraphError, Result};
use crate::op::{AdvEntry, IdxEntry, Op, ReduceKind};
use crate::scalar::ScalarOp;
use crate::types::TensorType;
use crate::var::{ApplyRef, Variable};
use std::panic::Location;
use theano_tensor::{DType, Tensor};

type Loc = &'static Location<'static>;

mod compose;
mod conv;
mod cumsort;
mod pool;
pub use crate::assert_op::{assert_op, assert_with};
pub use crate::rebroadcast::{addbroadcast, patternbroadcast, unbroadcast};
pub use compose::*;
pub use conv::*;
pub use cumsort::*;
pub use pool::*;
#[path = "tensor_linalg.rs"]
mod linalg;
pub use linalg::{
    batched_dot, diag, diagonal, eye, identity_like, softmax_with_bias, tensordot, trace, tri,
    tril, triu, TensordotAxes,
};

// ---------------------------------------------------------------------------------------------
// Types and constructors

macro_rules! type_consts {
    ($($c:ident = $ctor:ident($dt:ident);)*) => {
        $(#[doc = concat!("`TensorType(", stringify!($dt), ", ", stringify!($ctor), ")`")]
        pub const $c: TensorType = TensorType::$ctor(DType::$dt);)*
    };
}
type_consts! {
    DSCALAR = scalar(Float64); FSCALAR = scalar(Float32); LSCALAR = scalar(Int64);
    ISCALAR = scalar(Int32); WSCALAR = scalar(Int16); BSCALAR = scalar(Int8);
    DVECTOR = vector(Float64); FVECTOR = vector(Float32); LVECTOR = vector(Int64);
    IVECTOR = vector(Int32); BVECTOR = vector(Int8);
    DMATRIX = matrix(Float64); FMATRIX = matrix(Float32); LMATRIX = matrix(Int64);
    IMATRIX = matrix(Int32); BMATRIX = matrix(Int8);
    DROW = row(Float64); FROW = row(Float32); DCOL = col(Float64); FCOL = col(Float32);
}
/// `TensorType(float64, 3D)`
pub const DTENSOR3: TensorType = TensorType::fixed_ndim::<3>(DType::Float64);
/// `TensorType(float64, 4D)`
pub const DTENSOR4: TensorType = TensorType::fixed_ndim::<4>(DType::Float64);
/// `TensorType(float32, 3D)`
pub const FTENSOR3: TensorType = TensorType::fixed_ndim::<3>(DType::Float32);
/// `TensorType(float32, 4D)`
pub const FTENSOR4: TensorType = TensorType::fixed_ndim::<4>(DType::Float32);

/// A symbolic input of type `ty` named `name` (empty for unnamed).
pub fn input(ty: TensorType, name: &str) -> Variable {
    Variable::input(ty, (!name.is_empty()).then_some(name))
}

/// Theano's `T.tensor(dtype, broadcastable, name)`: a symbolic input of the dtype named as
/// Theano names it (`"float32"`, `"int64"`, `"floatX"`) with this broadcastable pattern (its
/// length is the number of dimensions). An unknown dtype name, or more dimensions than a type
/// holds, is a [`GraphError`] naming it.
#[track_caller]
pub fn tensor(dtype: &str, broadcastable: &[bool], name: &str) -> Result<Variable> {
    let loc = Location::caller();
    let d = dtype_named(dtype)
        .ok_or_else(|| GraphError::new("tensor", vec![], unknown_dtype(dtype), loc))?;
    let ty = TensorType::new(d, broadcastable)
        .map_err(|e| GraphError::new("tensor", vec![], e.to_string(), loc))?;
    Ok(input(ty, name))
}

macro_rules! ctors {
    ($($f:ident, $fs:ident => $ty:expr;)*) => {
        $(#[doc = concat!("A symbolic `", stringify!($ty), "` (empty name for unnamed).")]
        pub fn $f(name: &str) -> Variable { input($ty, name) }
        #[doc = concat!("Several `", stringify!($f), "`s from space- or comma-separated names: `", stringify!($fs), "(\"a b\")`.")]
        pub fn $fs(names: &str) -> Vec<Variable> {
            names.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map($f).collect()
        })*
    };
}
ctors! {
    dscalar, dscalars => DSCALAR; fscalar, fscalars => FSCALAR; lscalar, lscalars => LSCALAR;
    iscalar, iscalars => ISCALAR; wscalar, wscalars => WSCALAR; bscalar, bscalars => BSCALAR;
    dvector, dvectors => DVECTOR; fvector, fvectors => FVECTOR; lvector, lvectors => LVECTOR;
    ivector, ivectors => IVECTOR; bvector, bvectors => BVECTOR;
    dmatrix, dmatrices => DMATRIX; fmatrix, fmatrices => FMATRIX; lmatrix, lmatrices => LMATRIX;
    imatrix, imatrices => IMATRIX; bmatrix, bmatrices => BMATRIX;
    drow, drows => DROW; frow, frows => FROW; dcol, dcols => DCOL; fcol, fcols => FCOL;
    dtensor3, dtensor3s => DTENSOR3; dtensor4, dtensor4s => DTENSOR4;
    ftensor3, ftensor3s => FTENSOR3; ftensor4, ftensor4s => FTENSOR4;
    scalar, scalars => TensorType::scalar(float_x()); vector, vectors => TensorType::vector(float_x());
    matrix, matrices => TensorType::matrix(float_x()); row, rows => TensorType::row(float_x());
    col, cols => TensorType::col(float_x()); tensor3, tensor3s => TensorType::fixed_ndim::<3>(float_x());
    tensor4, tensor4s => TensorType::fixed_ndim::<4>(float_x());
    ltensor3, ltensor3s => TensorType::fixed_ndim::<3>(DType::Int64);
    itensor3, itensor3s => TensorType::fixed_ndim::<3>(DType::Int32);
    wtensor3, wtensor3s => TensorType::fixed_ndim::<3>(DType::Int16);
    btensor3, btensor3s => TensorType::fixed_ndim::<3>(DType::Int8);
    ltensor4, ltensor4s => TensorType::fixed_ndim::<4>(DType::Int64);
    itensor4, itensor4s => TensorType::fixed_ndim::<4>(DType::Int32);
    wtensor4, wtensor4s => TensorType::fixed_ndim::<4>(DType::Int16);
    btensor4, btensor4s => TensorType::fixed_ndim::<4>(DType::Int8);
    dtensor5, dtensor5s => TensorType::fixed_ndim::<5>(DType::Float64);
    ftensor5, ftensor5s => TensorType::fixed_ndim::<5>(DType::Float32);
    ltensor5, ltensor5s => TensorType::fixed_ndim::<5>(DType::Int64);
    itensor5, itensor5s => TensorType::fixed_ndim::<5>(DType::Int32);
    wtensor5, wtensor5s => TensorType::fixed_ndim::<5>(DType::Int16);
    btensor5, btensor5s => TensorType::fixed_ndim::<5>(DType::Int8);
    dtensor6, dtensor6s => TensorType::fixed_ndim::<6>(DType::Float64);
    ftensor6, ftensor6s => TensorType::fixed_ndim::<6>(DType::Float32);
    ltensor6, ltensor6s => TensorType::fixed_ndim::<6>(DType::Int64);
    itensor6, itensor6s => TensorType::fixed_ndim::<6>(DType::Int32);
    wtensor6, wtensor6s => TensorType::fixed_ndim::<6>(DType::Int16);
    btensor6, btensor6s => TensorType::fixed_ndim::<6>(DType::Int8);
    dtensor7, dtensor7s => TensorType::fixed_ndim::<7>(DType::Float64);
    ftensor7, ftensor7s => TensorType::fixed_ndim::<7>(DType::Float32);
    ltensor7, ltensor7s => TensorType::fixed_ndim::<7>(DType::Int64);
    itensor7, itensor7s => TensorType::fixed_ndim::<7>(DType::Int32);
    wtensor7, wtensor7s => TensorType::fixed_ndim::<7>(DType::Int16);
    btensor7, btensor7s => TensorType::fixed_ndim::<7>(DType::Int8);
    tensor5, tensor5s => TensorType::fixed_ndim::<5>(float_x());
    tensor6, tensor6s => TensorType::fixed_ndim::<6>(float_x());
    tensor7, tensor7s => TensorType::fixed_ndim::<7>(float_x());
    wvector, wvectors => TensorType::vector(DType::Int16); wmatrix, wmatrices => TensorType::matrix(DType::Int16);
}

/// A constant from a value whose type bounds its rank (a number, a `Vec`, an array, an
/// ndarray `Array` of a fixed dimension: [`theano_tensor::StaticRank`]); a [`Tensor`] goes
/// through [`try_constant`].
pub fn constant(v: impl theano_tensor::StaticRank) -> Variable {
    Variable::constant(v.into()).expect("a value of at most 6 dimensions has a type")
}

/// A constant from any value convertible to a tensor; more than [`crate::MAX_NDIM`]
/// dimensions is an [`crate::NdimError`].
pub fn try_constant(v: impl Into<Tensor>) -> Result<Variable, crate::NdimError> {
    Variable::constant(v.into())
}

// ---------------------------------------------------------------------------------------------
// Operands

/// Anything usable as an operand: variables, and Rust numbers as Theano converts Python ones
/// (an integer takes the smallest int dtype holding it, so `2` is an int8 `TensorConstant{2}`;
/// an `f64` takes floatX; an `f32` is float32; a `bool` is bool).
pub trait IntoVar {
    fn into_var(self) -> Variable;
}
impl IntoVar for Variable {
    fn into_var(self) -> Variable {
        self
    }
}
impl IntoVar for &Variable {
    fn into_var(self) -> Variable {
        self.clone()
    }
}
impl IntoVar for f64 {
    /// Theano 1.0's `autocast_float` (cast_policy `custom`): with floatX float32 the value is
    /// float32; with floatX float64 it is float32 when float32 holds it exactly (`2.0`, `0.5`),
    /// else float64 (`0.1`). Fix: it used to be floatX always, so `fvector * 2.0` was float64
    /// where Theano gives float32.
    fn into_var(self) -> Variable {
        let exact_f32 = (self as f32) as f64 == self;
        let d = if float_x() == DType::Float32 || exact_f32 {
            DType::Float32
        } else {
            DType::Float64
        };
        Variable::constant_bounded(Tensor::scalar(self).cast(d))
    }
}
impl IntoVar for f32 {
    fn into_var(self) -> Variable {
        Variable::constant_bounded(Tensor::scalar(self))
    }
}
impl IntoVar for bool {
    fn into_var(self) -> Variable {
        Variable::constant_bounded(Tensor::scalar(self))
    }
}
macro_rules! int_as_var {
    ($($t:ty),*) => {$(
        impl IntoVar for $t {
            fn into_var(self) -> Variable {
                let v = self as i64;
                Variable::constant_bounded(Tensor::scalar(v).cast(DType::smallest_int_for(v)))
            }
        }
    )*};
}
int_as_var!(i64, i32, i16, i8, u8, u16, u32, isize, usize);

fn int64_const(v: i64) -> Variable {
    Variable::index_constant(v)
}

// ---------------------------------------------------------------------------------------------
// Node construction

fn apply(op: Op, inputs: Vec<Variable>, loc: Loc) -> Result<ApplyRef> {
    ApplyRef::create(op, inputs, loc)
}

/// Apply any op (a [`crate::CustomOp`] as `Op::Custom(CustomRef(Arc::new(..)))` included) to
/// `inputs`: its outputs, typed by the op.
#[track_caller]
pub fn apply_op(op: Op, inputs: Vec<Variable>) -> Result<Vec<Variable>> {
    Ok(apply(op, inputs, Location::caller())?.outputs())
}

fn apply1(op: Op, inputs: Vec<Variable>, loc: Loc) -> Result<Variable> {
    Ok(apply(op, inputs, loc)?.output(0))
}

/// For builders whose inputs are made valid by construction (e.g. elemwise arithmetic after
/// broadcasting): a refusal here is a bug in this crate, reported with the op and types.
fn infallible(r: Result<Variable>) -> Variable {
    r.unwrap_or_else(|e| panic!("theano-ir internal error (please report): {e}"))
}

/// Insert broadcastable dimensions on the left so `x` has `ndim` dimensions.
fn pad_left(x: Variable, ndim: usize, loc: Loc) -> Variable {
    if x.ndim() >= ndim {
        return x;
    }
    let k = ndim - x.ndim();
    let order: Vec<Option<usize>> = (0..k)
        .map(|_| None)
        .chain((0..x.ndim()).map(Some))
        .collect();
    infallible(apply1(
        Op::DimShuffle {
            new_order: order,
            inplace: true,
        },
        vec![x],
        loc,
    ))
}

/// Apply a scalar op elementwise, broadcasting inputs of fewer dimensions (Theano's Elemwise).
pub(crate) fn elemwise_at(op: ScalarOp, inputs: Vec<Variable>, loc: Loc) -> Result<Variable> {
    let nd = inputs.iter().map(|v| v.ndim()).max().unwrap_or(0);
    let ins = inputs.into_iter().map(|v| pad_left(v, nd, loc)).collect();
    apply1(Op::elemwise(op), ins, loc)
}

/// Apply a scalar op elementwise (any arity the op takes).
#[track_caller]
pub fn elemwise(op: ScalarOp, inputs: Vec<Variable>) -> Result<Variable> {
    elemwise_at(op, inputs, Location::caller())
}

pub(crate) fn binary_at(op: ScalarOp, a: Variable, b: Variable, loc: Loc) -> Variable {
    infallible(elemwise_at(op, vec![a, b], loc))
}

macro_rules! unary_fns {
    ($($f:ident => $op:ident, $doc:literal;)*) => {$(
        #[doc = $doc]
        #[track_caller]
        pub fn $f(x: impl IntoVar) -> Variable {
            infallible(elemwise_at(ScalarOp::$op, vec![x.into_var()], Location::caller()))
        }
    )*};
}
/// Unary builders that Theano 1.0 refuses for some input dtypes (`TypeError` at build time):
/// `refuse(dtype)` gives Theano's message for a refused one.
macro_rules! checked_unary_fns {
    ($($f:ident => $op:ident, $refuse:expr, $doc:literal;)*) => {$(
        #[doc = $doc]
        #[track_caller]
        pub fn $f(x: impl IntoVar) -> Result<Variable> {
            let (x, loc) = (x.into_var(), Location::caller());
            let refuse: fn(DType) -> Option<&'static str> = $refuse;
            if let Some(m) = refuse(x.dtype()) {
                return Err(GraphError::new(stringify!($op), vec![x.ty()], m, loc));
            }
            elemwise_at(ScalarOp::$op, vec![x], loc)
        }
    )*};
}
checked_unary_fns! {
    neg => Neg, |d| d.is_bool().then_some("bool input not supported"),
        "`-x`; a bool `x` is refused, as in Theano (\"bool input not supported\"). The `-` \
         operator, which cannot return an error, builds the node anyway: a bool negation then \
         fails at the call, as numpy's does.";
    sgn => Sgn, |d| d.is_bool().then_some("bool"),
        "sign: -1, 0 or 1; a bool `x` is refused, as in Theano.";
    round => RoundHalfToEven, |d| (!d.is_float()).then_some("only float type are supported"),
        "round halves to even (numpy's `round`); floats only, as in Theano.";
    round_half_away_from_zero => RoundHalfAwayFromZero,
        |d| (!d.is_float()).then_some("only float type are supported"),
        "round halves away from zero; floats only, as in Theano.";
}

/// `-x` for the `-` operator: never refused (see [`neg`]).
pub(crate) fn neg_unchecked(x: Variable, loc: Loc) -> Variable {
    infallible(elemwise_at(ScalarOp::Neg, vec![x], loc))
}

unary_fns! {
    exp => Exp, "`e**x`";
    log => Log, "natural logarithm";
    log1p => Log1p, "`log(1 + x)`, accurate near 0";
    expm1 => Expm1, "`exp(x) - 1`, accurate near 0";
    tanh => Tanh, "hyperbolic tangent";
    sigmoid => Sigmoid, "`1 / (1 + exp(-x))`";
    softplus => Softplus, "`log(1 + exp(x))`";
    abs => Abs, "absolute value (Theano's `abs_`)";
    floor => Floor, "round down";
    ceil => Ceil, "round up";
    sqr => Sqr, "`x * x`";
    sqrt => Sqrt, "square root";
    sin => Sin, "sine";
    cos => Cos, "cosine";
    tan => Tan, "tangent";
    arcsin => ArcSin, "inverse sine";
    arccos => ArcCos, "inverse cosine";
    arctan => ArcTan, "inverse tangent";
    sinh => Sinh, "hyperbolic sine";
    cosh => Cosh, "hyperbolic cosine";
    arcsinh => ArcSinh, "inverse hyperbolic sine";
    arccosh => ArcCosh, "inverse hyperbolic cosine";
    arctanh => ArcTanh, "inverse hyperbolic tangent";
    exp2 => Exp2, "`2**x`";
    log2 => Log2, "base-2 logarithm";
    log10 => Log10, "base-10 logarithm";
    erf => Erf, "the error function";
    erfc => Erfc, "`1 - erf(x)`, accurate for large x";
    erfinv => Erfinv, "the inverse of erf on (-1, 1)";
    erfcinv => Erfcinv, "the inverse of erfc on (0, 2)";
    gamma => Gamma, "the gamma function";
    gammaln => GammaLn, "`log(|gamma(x)|)`";
    psi => Psi, "the digamma function, `d/dx gammaln(x)`";
    tri_gamma => TriGamma, "the trigamma function, `d/dx psi(x)`";
    inv => Inv, "`1 / x` (Theano's `inv`)";
    deg2rad => Deg2Rad, "degrees to radians";
    rad2deg => Rad2Deg, "radians to degrees";
    trunc => Trunc, "round towards zero";
    softsign => Softsign, "`x / (1 + |x|)` (Theano's `nnet.softsign`)";
    ultra_fast_sigmoid => UltraFastSigmoid,
        "Theano's `nnet.ultra_fast_sigmoid`: a piecewise approximation of the sigmoid (speed, \
         not accuracy; no gradient, as in Theano)";
}

/// Whether each element is NaN (bool). For an integer or bool `x`, Theano 1.0's graph:
/// `alloc(False, *x.shape)` (no elementwise node).
#[track_caller]
pub fn isnan(x: impl IntoVar) -> Variable {
    nan_inf_test(ScalarOp::IsNan, x.into_var(), Location::caller())
}

/// Whether each element is infinite (bool); `alloc(False, *x.shape)` for an integer or bool
/// `x`, as Theano 1.0 builds it.
#[track_caller]
pub fn isinf(x: impl IntoVar) -> Variable {
    nan_inf_test(ScalarOp::IsInf, x.into_var(), Location::caller())
}

fn nan_inf_test(op: ScalarOp, x: Variable, loc: Loc) -> Variable {
    if x.dtype().is_float() {
        return infallible(elemwise_at(op, vec![x], loc));
    }
    let shp = infallible(apply1(Op::Shape, vec![x.clone()], loc));
    let dims: Vec<Variable> = (0..x.ndim() as isize)
        .map(|i| infallible(index_const(&shp, i, loc)))
        .collect();
    let f = Variable::constant_bounded(Tensor::scalar(0i64).cast(DType::Bool));
    let mut ins = vec![f];
    ins.extend(dims);
    infallible(apply1(Op::Alloc, ins, loc))
}

/// `iround(x)`: `x` rounded half to even, as int64 (Theano's `cast(round(x), 'int64')`);
/// float inputs only, as in Theano ("only float type are supported").
#[track_caller]
pub fn iround(x: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    if !x.dtype().is_float() {
        return Err(GraphError::new(
            "iround",
            vec![x.ty()],
            "only float type are supported",
            loc,
        ));
    }
    let r = elemwise_at(ScalarOp::RoundHalfToEven, vec![x], loc)?;
    elemwise_at(ScalarOp::Cast(DType::Int64), vec![r], loc)
}

/// Theano's `nnet.relu(x)`: `0.5 * (x + abs(x))`, built as Theano 1.0 builds it.
#[track_caller]
pub fn relu(x: impl IntoVar) -> Variable {
    let loc = Location::caller();
    let x = x.into_var();
    let a = infallible(elemwise_at(ScalarOp::Abs, vec![x.clone()], loc));
    let s = binary_at(ScalarOp::Add, x, a, loc);
    binary_at(ScalarOp::Mul, 0.5.into_var(), s, loc)
}

/// Theano's `nnet.relu(x, alpha)` for a nonzero slope (leaky or parameterized rectifier):
/// `0.5 * (1 + alpha) * x + 0.5 * (1 - alpha) * abs(x)`.
#[track_caller]
pub fn relu_alpha(x: impl IntoVar, alpha: impl IntoVar) -> Variable {
    let loc = Location::caller();
    let (x, alpha) = (x.into_var(), alpha.into_var());
    // one constant for each repeated literal, as Theano's constant cache gives
    let (half, one) = (0.5.into_var(), 1i64.into_var());
    let f1 = binary_at(
        ScalarOp::Mul,
        half.clone(),
        binary_at(ScalarOp::Add, one.clone(), alpha.clone(), loc),
        loc,
    );
    let f2 = binary_at(
        ScalarOp::Mul,
        half,
        binary_at(ScalarOp::Sub, one, alpha, loc),
        loc,
    );
    let a = infallible(elemwise_at(ScalarOp::Abs, vec![x.clone()], loc));
    binary_at(
        ScalarOp::Add,
        binary_at(ScalarOp::Mul, f1, x, loc),
        binary_at(ScalarOp::Mul, f2, a, loc),
        loc,
    )
}

/// Theano's `nnet.elu(x)`: `switch(x > 0, x, 1 * expm1(x))`.
#[track_caller]
pub fn elu(x: impl IntoVar) -> Variable {
    elu_at(x.into_var(), 1i64.into_var(), Location::caller())
}

/// Theano's `nnet.elu(x, alpha)`: `switch(x > 0, x, alpha * expm1(x))`.
#[track_caller]
pub fn elu_alpha(x: impl IntoVar, alpha: impl IntoVar) -> Variable {
    elu_at(x.into_var(), alpha.into_var(), Location::caller())
}

fn elu_at(x: Variable, alpha: Variable, loc: Loc) -> Variable {
    let c = binary_at(ScalarOp::Gt, x.clone(), 0i64.into_var(), loc);
    let e = infallible(elemwise_at(ScalarOp::Expm1, vec![x.clone()], loc));
    let neg = binary_at(ScalarOp::Mul, alpha, e, loc);
    infallible(elemwise_at(ScalarOp::Switch, vec![c, x, neg], loc))
}

/// Theano's `nnet.hard_sigmoid(x)`: `clip(x * 0.2 + 0.5, 0, 1)`, the constants in the
/// dtype `upgrade_to_float` gives `x`.
#[track_caller]
pub fn hard_sigmoid(x: impl IntoVar) -> Variable {
    let loc = Location::caller();
    let x = x.into_var();
    let d = crate::scalar::upgrade_to_float(x.dtype());
    let c = |v: f64| Variable::constant_bounded(Tensor::full(d, &[], v));
    let y = binary_at(ScalarOp::Mul, x, c(0.2), loc);
    let y = binary_at(ScalarOp::Add, y, c(0.5), loc);
    infallible(elemwise_at(
        ScalarOp::Clip,
        vec![y, 0i64.into_var(), 1i64.into_var()],
        loc,
    ))
}

/// Theano 1.0.5's `nnet.sigmoid_binary_crossentropy(output, target)`: the crossentropy of
/// `sigmoid(output)` against `target`, `softplus(-abs(output)) + output * ((output > 0) -
/// target)`, stable for any finite `output`, with Theano's gradient `sigmoid(output) - target`.
/// Theano builds it as an inlined `OpFromGraph` (`sigmoid_binary_crossentropy{inline=True}`);
/// here it is an op of that name (see `sigmoid_xent.rs`), which the optimizer inlines as
/// Theano's does. A bool `target` is refused, as in Theano.
#[track_caller]
pub fn sigmoid_binary_crossentropy(output: impl IntoVar, target: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let (o, t) = (output.into_var(), target.into_var());
    let nd = o.ndim().max(t.ndim());
    let (o, t) = (pad_left(o, nd, loc), pad_left(t, nd, loc));
    apply1(crate::sigmoid_xent::op(), vec![o, t], loc)
}

/// Theano's `nnet.binary_crossentropy(output, target)`:
/// `-(target * log(output) + (1.0 - target) * log(1.0 - output))`, elementwise.
#[track_caller]
pub fn binary_crossentropy(output: impl IntoVar, target: impl IntoVar) -> Variable {
    let loc = Location::caller();
    let (o, t) = (output.into_var(), target.into_var());
    let log = |v: Variable| infallible(elemwise_at(ScalarOp::Log, vec![v], loc));
    // one constant for both `1.0`s, as Theano's constant cache gives
    let one = 1.0.into_var();
    let a = binary_at(ScalarOp::Mul, t.clone(), log(o.clone()), loc);
    let one_t = binary_at(ScalarOp::Sub, one.clone(), t, loc);
    let one_o = binary_at(ScalarOp::Sub, one, o, loc);
    let b = binary_at(ScalarOp::Mul, one_t, log(one_o), loc);
    binary_neg(binary_at(ScalarOp::Add, a, b, loc), loc)
}

/// `sgn` under its numpy name.
#[track_caller]
pub fn sign(x: impl IntoVar) -> Variable {
    infallible(elemwise_at(
        ScalarOp::Sgn,
        vec![x.into_var()],
        Location::caller(),
    ))
}

macro_rules! binary_fns {
    ($($f:ident => $op:ident, $doc:literal;)*) => {$(
        #[doc = $doc]
        #[track_caller]
        pub fn $f(a: impl IntoVar, b: impl IntoVar) -> Variable {
            binary_at(ScalarOp::$op, a.into_var(), b.into_var(), Location::caller())
        }
    )*};
}
binary_fns! {
    add => Add, "`a + b`";
    sub => Sub, "`a - b`";
    mul => Mul, "`a * b`";
    arctan2 => ArcTan2, "`arctan(a / b)` in the quadrant of `(b, a)` (numpy's `arctan2(y, x)`)";
    true_div => TrueDiv, "`a / b`; integer inputs give float64";
    int_div => IntDiv, "`a // b` (floor division)";
    modulo => Mod, "`a % b` (sign of the divisor, as numpy)";
    pow => Pow, "`a ** b`";
    maximum => Maximum, "elementwise maximum";
    minimum => Minimum, "elementwise minimum";
    gt => Gt, "`a > b` (bool)";
    lt => Lt, "`a < b` (bool)";
    ge => Ge, "`a >= b` (bool)";
    le => Le, "`a <= b` (bool)";
    eq => Eq, "`a == b` (bool)";
    neq => Neq, "`a != b` (bool)";
}

macro_rules! logic_fns {
    ($($f:ident => $op:ident, $doc:literal;)*) => {$(
        #[doc = $doc]
        #[track_caller]
        pub fn $f(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
            elemwise_at(ScalarOp::$op, vec![a.into_var(), b.into_var()], Location::caller())
        }
    )*};
}
logic_fns! {
    and_ => And, "bitwise/logical and of integer or bool tensors";
    or_ => Or, "bitwise/logical or of integer or bool tensors";
    xor => Xor, "bitwise/logical xor of integer or bool tensors";
}

/// Bitwise/logical not of an integer or bool tensor.
#[track_caller]
pub fn invert(x: impl IntoVar) -> Result<Variable> {
    elemwise_at(ScalarOp::Invert, vec![x.into_var()], Location::caller())
}

/// [`invert`] under the name `not_`.
#[track_caller]
pub fn not_(x: impl IntoVar) -> Result<Variable> {
    elemwise_at(ScalarOp::Invert, vec![x.into_var()], Location::caller())
}

/// `clip(x, lo, hi)`.
#[track_caller]
pub fn clip(x: impl IntoVar, lo: impl IntoVar, hi: impl IntoVar) -> Variable {
    infallible(elemwise_at(
        ScalarOp::Clip,
        vec![x.into_var(), lo.into_var(), hi.into_var()],
        Location::caller(),
    ))
}

/// `switch(cond, a, b)`: `a` where `cond` is nonzero, else `b`.
#[track_caller]
pub fn switch(cond: impl IntoVar, a: impl IntoVar, b: impl IntoVar) -> Variable {
    infallible(elemwise_at(
        ScalarOp::Switch,
        vec![cond.into_var(), a.into_var(), b.into_var()],
        Location::caller(),
    ))
}

/// numpy's `where(cond, a, b)`: [`switch`] under Theano's name (`T.where`; `where` is a
/// Rust keyword).
#[track_caller]
pub fn where_(cond: impl IntoVar, a: impl IntoVar, b: impl IntoVar) -> Variable {
    infallible(elemwise_at(
        ScalarOp::Switch,
        vec![cond.into_var(), a.into_var(), b.into_var()],
        Location::caller(),
    ))
}

/// The outer product of two vectors, as Theano builds it: `dot(a[:, None], b[None, :])`.
#[track_caller]
pub fn outer(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let (a, b) = (a.into_var(), b.into_var());
    let col = |x: &Variable, order: Vec<Option<usize>>| {
        apply1(
            Op::DimShuffle {
                new_order: order,
                inplace: true,
            },
            vec![x.clone()],
            loc,
        )
    };
    // Theano flattens an input that is not a vector (`x.flatten()`, a `Reshape{1}`)
    let flat = |v: Variable| -> Result<Variable> {
        if v.ndim() == 1 {
            Ok(v)
        } else {
            flatten_at(v, 1, loc)
        }
    };
    let (a, b) = (flat(a)?, flat(b)?);
    let ac = col(&a, vec![Some(0), None])?;
    let br = col(&b, vec![None, Some(0)])?;
    apply1(Op::Dot, vec![ac, br], loc)
}

/// numpy's `roll`: the elements shifted by `shift` along `axis` (`None`: over the flattened
/// tensor, reshaped back), those that fall off one end coming back at the other; built as
/// Theano builds it, a join of two slices whose bounds are `shift % length`.
#[track_caller]
pub fn roll(x: impl IntoVar, shift: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    let loc = Location::caller();
    let (x, shift) = (x.into_var(), shift.into_var());
    let Some(axis) = axis else {
        if x.ndim() <= 1 {
            return roll_at(&x, shift, 0, loc);
        }
        // Theano's `x.flatten()` here is `Reshape{1}(x, [-1])`
        let (minus1, _) = shape_vector(ShapeArg::Const(vec![-1]), loc)?;
        let flat = apply1(Op::Reshape { ndim: 1 }, vec![x.clone(), minus1], loc)?;
        let r = roll_at(&flat, shift, 0, loc)?;
        let shape = apply1(Op::Shape, vec![x.clone()], loc)?;
        return apply1(Op::Reshape { ndim: x.ndim() }, vec![r, shape], loc);
    };
    let axis = py_axis("roll", &x, axis, x.ndim(), loc)?;
    roll_at(&x, shift, axis, loc)
}

fn roll_at(x: &Variable, shift: Variable, axis: usize, loc: Loc) -> Result<Variable> {
    if axis >= x.ndim() {
        return Err(GraphError::new(
            "roll",
            vec![x.ty()],
            format!("axis {axis} out of range for a {}-d tensor", x.ndim()),
            loc,
        ));
    }
    // Theano: `x.shape[axis]`
    let shp = apply1(Op::Shape, vec![x.clone()], loc)?;
    let n = index_const(&shp, axis as isize, loc)?;
    let s = binary_at(ScalarOp::Mod, shift, n, loc);
    // `-shift` once per slice, as Theano writes `slice(-shift, None)` and `slice(0, -shift)`
    let neg = || elemwise_at(ScalarOp::Neg, vec![s.clone()], loc);
    let mut front = vec![Idx::all(); x.ndim()];
    front[axis] = Idx::Slice(Some(neg()?), None, None);
    let mut end = vec![Idx::all(); x.ndim()];
    end[axis] = Idx::Slice(Some(int64_const(0)), Some(neg()?), None);
    let a = index_at(x, &front, loc)?;
    let b = index_at(x, &end, loc)?;
    apply1(Op::Join { axis }, vec![a, b], loc)
}

/// Cast to `dtype` (Theano's `T.cast`): a [`DType`] (the cast cannot fail, so the result is
/// the `Variable`) or its name as Theano spells it, `"float32"`, `"int64"`, `"floatX"` (the
/// result is then a `Result`: an unknown name is a [`GraphError`] naming it). Casting to the
/// dtype `x` has already is `x` itself.
#[track_caller]
pub fn cast<D: DTypeArg>(x: impl IntoVar, dtype: D) -> D::Output {
    dtype.cast(x.into_var(), Location::caller())
}

/// A dtype as [`cast`] and [`Variable::astype`] take it: a [`DType`], or its name.
pub trait DTypeArg {
    /// `Variable` for a [`DType`], `Result<Variable>` for a name.
    type Output;
    /// `x` cast to this dtype (the node records `loc`).
    fn cast(self, x: Variable, loc: Loc) -> Self::Output;
}

impl DTypeArg for DType {
    type Output = Variable;
    fn cast(self, x: Variable, loc: Loc) -> Variable {
        cast_at(x, self, loc)
    }
}

impl DTypeArg for &str {
    type Output = Result<Variable>;
    fn cast(self, x: Variable, loc: Loc) -> Result<Variable> {
        let d = dtype_named(self)
            .ok_or_else(|| GraphError::new("Cast", vec![x.ty()], unknown_dtype(self), loc))?;
        Ok(cast_at(x, d, loc))
    }
}

/// A dtype argument a builder may do without (Theano's `dtype=None`): `None` for the
/// builder's default, a [`DType`], or its name (`"float32"`, `"floatX"`).
pub trait OptDType {
    /// The dtype meant, `Ok(None)` for the default, `Err(name)` for an unknown name.
    fn opt_dtype(self) -> std::result::Result<Option<DType>, String>;
}

impl OptDType for Option<DType> {
    fn opt_dtype(self) -> std::result::Result<Option<DType>, String> {
        Ok(self)
    }
}

impl OptDType for DType {
    fn opt_dtype(self) -> std::result::Result<Option<DType>, String> {
        Ok(Some(self))
    }
}

impl OptDType for &str {
    fn opt_dtype(self) -> std::result::Result<Option<DType>, String> {
        dtype_named(self).map(Some).ok_or_else(|| self.to_string())
    }
}

/// `dtype` as builder `op` (applied to `ins`) takes it: an unknown name is a `GraphError`
/// naming the op, its input types and the dtypes there are.
pub(crate) fn opt_dtype_at(
    dtype: impl OptDType,
    op: &str,
    ins: &[&Variable],
    loc: Loc,
) -> Result<Option<DType>> {
    dtype.opt_dtype().map_err(|name| {
        GraphError::new(
            op,
            ins.iter().map(|v| v.ty()).collect(),
            unknown_dtype(&name),
            loc,
        )
    })
}

/// The message for an unknown dtype name.
pub(crate) fn unknown_dtype(name: &str) -> String {
    format!(
        "unknown dtype {name:?} (expected one of {}, or \"floatX\")",
        DType::ALL.map(|d| d.name()).join(", ")
    )
}

/// The dtype Theano names `name` (`"floatX"`: the configured float dtype).
fn dtype_named(name: &str) -> Option<DType> {
    if name == "floatX" {
        Some(float_x())
    } else {
        DType::from_name(name)
    }
}

/// `fill(model, value)`: `value` broadcast to `model`'s shape (Theano's `second`).
#[track_caller]
pub fn fill(model: impl IntoVar, value: impl IntoVar) -> Variable {
    binary_at(
        ScalarOp::Second,
        model.into_var(),
        value.into_var(),
        Location::caller(),
    )
}

/// Zeros of `x`'s shape and dtype.
#[track_caller]
pub fn zeros_like(x: impl IntoVar) -> Variable {
    let x = x.into_var();
    let z = Variable::constant_bounded(Tensor::zeros(x.dtype(), &[]));
    binary_at(ScalarOp::Second, x, z, Location::caller())
}

/// Ones of `x`'s shape and dtype.
#[track_caller]
pub fn ones_like(x: impl IntoVar) -> Variable {
    let x = x.into_var();
    let o = Variable::constant_bounded(Tensor::full(x.dtype(), &[], 1.0));
    binary_at(ScalarOp::Second, x, o, Location::caller())
}

// ---------------------------------------------------------------------------------------------
// Shapes and layout

/// Permute, drop (broadcastable) and insert (`None`, Theano's `'x'`) dimensions.
#[track_caller]
pub fn dimshuffle(x: impl IntoVar, new_order: &[Option<usize>]) -> Result<Variable> {
    apply1(
        Op::DimShuffle {
            new_order: new_order.to_vec(),
            inplace: true,
        },
        vec![x.into_var()],
        Location::caller(),
    )
}

/// `DimShuffle` (Theano's default, in place) at `loc`.
fn dimshuffle_at(x: &Variable, new_order: Vec<Option<usize>>, loc: Loc) -> Result<Variable> {
    apply1(
        Op::DimShuffle {
            new_order,
            inplace: true,
        },
        vec![x.clone()],
        loc,
    )
}

/// Reverse the dimensions (`x.T`), or permute them by `axes`.
#[track_caller]
pub fn transpose(x: impl IntoVar, axes: Option<&[usize]>) -> Result<Variable> {
    let x = x.into_var();
    let order: Vec<Option<usize>> = match axes {
        Some(a) => a.iter().map(|&i| Some(i)).collect(),
        None => (0..x.ndim()).rev().map(Some).collect(),
    };
    if order.len() != x.ndim() {
        return Err(GraphError::new(
            "transpose",
            vec![x.ty()],
            format!(
                "axes {:?} must list all {} dimensions",
                axes.unwrap_or(&[]),
                x.ndim()
            ),
            Location::caller(),
        ));
    }
    let reversed = order.iter().rev().copied().eq((0..x.ndim()).map(Some));
    let name = x.name().filter(|_| reversed);
    let r = apply1(
        Op::DimShuffle {
            new_order: order,
            inplace: true,
        },
        vec![x],
        Location::caller(),
    )?;
    // Theano's transpose names its result after a named input
    if let Some(n) = name {
        r.set_name(&format!("{n}.T"));
    }
    Ok(r)
}

/// The shape of `x` as an int64 vector.
#[track_caller]
pub fn shape(x: impl IntoVar) -> Variable {
    infallible(apply1(Op::Shape, vec![x.into_var()], Location::caller()))
}

/// The length of dimension `i` of `x` as an int64 scalar.
#[track_caller]
pub fn shape_i(x: impl IntoVar, i: usize) -> Result<Variable> {
    apply1(Op::ShapeI(i), vec![x.into_var()], Location::caller())
}

/// A shape argument: constant lengths (`-1` infers one), symbolic scalars, or a symbolic vector.
pub enum ShapeArg {
    Const(Vec<i64>),
    Scalars(Vec<Variable>),
    Vector(Variable),
}
impl From<&[i64]> for ShapeArg {
    fn from(v: &[i64]) -> Self {
        ShapeArg::Const(v.to_vec())
    }
}
impl<const N: usize> From<[i64; N]> for ShapeArg {
    fn from(v: [i64; N]) -> Self {
        ShapeArg::Const(v.to_vec())
    }
}
impl From<Vec<i64>> for ShapeArg {
    fn from(v: Vec<i64>) -> Self {
        ShapeArg::Const(v)
    }
}
impl From<&[Variable]> for ShapeArg {
    fn from(v: &[Variable]) -> Self {
        ShapeArg::Scalars(v.to_vec())
    }
}
impl From<Vec<Variable>> for ShapeArg {
    fn from(v: Vec<Variable>) -> Self {
        ShapeArg::Scalars(v)
    }
}
impl From<&Variable> for ShapeArg {
    fn from(v: &Variable) -> Self {
        ShapeArg::Vector(v.clone())
    }
}

fn shape_vector(s: ShapeArg, loc: Loc) -> Result<(Variable, usize)> {
    match s {
        ShapeArg::Const(v) => {
            let n = v.len();
            let t = Tensor::from_f64_vec(DType::Int64, &[n], v.iter().map(|&x| x as f64).collect())
                .expect("length matches");
            Ok((Variable::constant_bounded(t), n))
        }
        ShapeArg::Scalars(v) => {
            // Theano refuses a non-integer shape ("Shape must be integers"); fix: float
            // scalars used to be cast to int64 silently.
            if let Some(bad) = v.iter().find(|x| x.ndim() != 0 || !x.dtype().is_int()) {
                return Err(GraphError::new(
                    "reshape",
                    v.iter().map(|x| x.ty()).collect(),
                    format!("shape entries must be integer scalars, got {}", bad.ty()),
                    loc,
                ));
            }
            let n = v.len();
            Ok((make_vector_at(v, DType::Int64, loc)?, n))
        }
        ShapeArg::Vector(v) => {
            if v.ndim() != 1 || !v.dtype().is_int() {
                return Err(GraphError::new(
                    "reshape",
                    vec![v.ty()],
                    format!("the shape must be an integer vector, got {}", v.ty()),
                    loc,
                ));
            }
            // Theano's get_vector_length: the length of a constant, of `y.shape` and of a
            // MakeVector is known statically (fix: `x.reshape(&y.shape())` used to be refused).
            let known = if let Some(t) = v.constant_value() {
                Some(t.len())
            } else {
                v.owner().and_then(|n| match n.op() {
                    Op::Shape => Some(n.inputs()[0].ndim()),
                    Op::MakeVector { .. } => Some(n.inputs().len()),
                    _ => None,
                })
            };
            if let Some(n) = known {
                return Ok((v, n));
            }
            Err(GraphError::new(
                "reshape",
                vec![v.ty()],
                "a symbolic shape vector has no static length; pass its entries as scalars",
                loc,
            ))
        }
    }
}

fn make_vector_at(v: Vec<Variable>, dtype: DType, loc: Loc) -> Result<Variable> {
    let v = v
        .into_iter()
        .map(|x| {
            if x.dtype() == dtype || x.ndim() != 0 {
                x
            } else {
                cast_at(x, dtype, loc)
            }
        })
        .collect();
    apply1(Op::MakeVector { dtype }, v, loc)
}

fn cast_at(x: Variable, dtype: DType, loc: Loc) -> Variable {
    if x.dtype() == dtype {
        x
    } else {
        infallible(elemwise_at(ScalarOp::Cast(dtype), vec![x], loc))
    }
}

/// Stack scalars into a vector of `dtype` (Theano's MakeVector).
#[track_caller]
pub fn make_vector(v: &[Variable], dtype: DType) -> Result<Variable> {
    make_vector_at(v.to_vec(), dtype, Location::caller())
}

/// Reshape (row-major). `-1` in a constant shape is inferred from the size.
#[track_caller]
pub fn reshape(x: impl IntoVar, shape: impl Into<ShapeArg>) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    let (s, n) = shape_vector(shape.into(), loc)?;
    apply1(Op::Reshape { ndim: n }, vec![x, s], loc)
}

/// Theano's `reshape(x, newshape, ndim)`: reshape to a symbolic integer vector whose length
/// is given as `ndim` (needed when it is not known statically; a known length that differs
/// from `ndim` is refused).
#[track_caller]
pub fn reshape_ndim(x: impl IntoVar, shape: &Variable, ndim: usize) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    if shape.ndim() != 1 || !shape.dtype().is_int() {
        return Err(GraphError::new(
            "reshape",
            vec![shape.ty()],
            format!("the shape must be an integer vector, got {}", shape.ty()),
            loc,
        ));
    }
    if let Ok((_, n)) = shape_vector(ShapeArg::Vector(shape.clone()), loc) {
        if n != ndim {
            return Err(GraphError::new(
                "reshape",
                vec![shape.ty()],
                format!("ndim is {ndim} but the shape vector has length {n}"),
                loc,
            ));
        }
    }
    apply1(Op::Reshape { ndim }, vec![x, shape.clone()], loc)
}

/// Theano's `specify_shape(x, shape)`: x, with a check at each call that its shape is
/// `shape` (an integer vector of length x.ndim: a constant, or symbolic).
#[track_caller]
pub fn specify_shape(x: impl IntoVar, shape: impl Into<ShapeArg>) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    let (s, _) = shape_vector(shape.into(), loc)?;
    apply1(Op::SpecifyShape, vec![x, s], loc)
}

/// Collapse the trailing dimensions so that the result has `outdim` dimensions, as Theano
/// 1.0.5 builds it: `Reshape{1}(x, [-1])` for `outdim` 1, else `Reshape{outdim}(x,
/// [Shape(x)[:outdim-1][0], .., int64(-1)])`. `outdim` must be in `1..=max(x.ndim, 1)`.
#[track_caller]
pub fn flatten(x: impl IntoVar, outdim: usize) -> Result<Variable> {
    flatten_at(x.into_var(), outdim, Location::caller())
}

fn flatten_at(x: Variable, outdim: usize, loc: Loc) -> Result<Variable> {
    let nd = x.ndim();
    if outdim < 1 || (outdim > 1 && outdim > nd) {
        return Err(GraphError::new(
            "flatten",
            vec![x.ty()],
            format!("outdim {outdim} out of bound [1, {})", nd + 1),
            loc,
        ));
    }
    // Theano's type: x's leading broadcastable dimensions, and the last one broadcastable
    // when every dimension it collapses is. Theano re-asserts them with a Rebroadcast after
    // the reshape; here a broadcastable dimension's entry is the constant 1, which gives the
    // reshape that type.
    let bcast_last = (outdim - 1..nd).all(|i| x.ty().is_broadcastable(i));
    let shape = if outdim == 1 {
        shape_vector(ShapeArg::Const(vec![if bcast_last { 1 } else { -1 }]), loc)?.0
    } else {
        let sh = apply1(Op::Shape, vec![x.clone()], loc)?;
        let head = index_at(&sh, &[Idx::to((outdim - 1) as i64)], loc)?;
        let mut entries = Vec::with_capacity(outdim);
        for i in 0..outdim - 1 {
            entries.push(if x.ty().is_broadcastable(i) {
                int64_const(1)
            } else {
                index_at(&head, &[Idx::from(i as i64)], loc)?
            });
        }
        entries.push(if bcast_last {
            int64_const(1)
        } else {
            (-1i64).into_var()
        });
        make_vector_at(entries, DType::Int64, loc)?
    };
    apply1(Op::Reshape { ndim: outdim }, vec![x, shape], loc)
}

/// `arange(start, stop, step)`: int64 for integer bounds, else the promoted float dtype.
#[track_caller]
pub fn arange_full(
    start: impl IntoVar,
    stop: impl IntoVar,
    step: impl IntoVar,
) -> Result<Variable> {
    let (a, b, c) = (start.into_var(), stop.into_var(), step.into_var());
    let d = DType::upcast(&[a.dtype(), b.dtype(), c.dtype()]).unwrap_or(DType::Int64);
    let dtype = if d.is_float() { d } else { DType::Int64 };
    apply1(Op::ARange { dtype }, vec![a, b, c], Location::caller())
}

/// `arange(start, stop, step, dtype=...)`: the values in `dtype` (Theano's `ARange{dtype}`
/// of the bounds as given).
#[track_caller]
pub fn arange_dtype(
    start: impl IntoVar,
    stop: impl IntoVar,
    step: impl IntoVar,
    dtype: DType,
) -> Result<Variable> {
    let ins = vec![start.into_var(), stop.into_var(), step.into_var()];
    apply1(Op::ARange { dtype }, ins, Location::caller())
}

/// `arange(stop)`: 0, 1, ..., stop-1.
#[track_caller]
pub fn arange(stop: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let stop = stop.into_var();
    // Theano 1.0's arange(stop) uses the Python ints 0 and 1 (int8 constants) whatever the
    // dtype of stop (fix: float stops used to get floatX bounds, so arange(fscalar) was
    // float64 where Theano gives float32).
    let (a, c) = (0i64.into_var(), 1i64.into_var());
    let d = DType::upcast(&[a.dtype(), stop.dtype(), c.dtype()]).unwrap_or(DType::Int64);
    let dtype = if d.is_float() { d } else { DType::Int64 };
    apply1(Op::ARange { dtype }, vec![a, stop, c], loc)
}

/// A new array of `shape` filled with `value` (broadcast).
#[track_caller]
pub fn alloc(value: impl IntoVar, shape: &[Variable]) -> Result<Variable> {
    let mut ins = vec![value.into_var()];
    ins.extend(shape.iter().cloned());
    apply1(Op::Alloc, ins, Location::caller())
}

/// A new array of constant `shape` filled with `value`.
#[track_caller]
pub fn alloc_const(value: impl IntoVar, shape: &[i64]) -> Result<Variable> {
    let mut ins = vec![value.into_var()];
    ins.extend(shape.iter().map(|&n| int64_const(n)));
    apply1(Op::Alloc, ins, Location::caller())
}

/// Zeros of a constant shape (Theano's `zeros(shape, dtype=None)`): `dtype` a [`DType`], its
/// name, or `None` for floatX.
#[track_caller]
pub fn zeros(shape: &[i64], dtype: impl OptDType) -> Result<Variable> {
    filled_at(shape, dtype, 0.0, Location::caller())
}

/// Ones of a constant shape (Theano's `ones(shape, dtype=None)`): `dtype` a [`DType`], its
/// name, or `None` for floatX.
#[track_caller]
pub fn ones(shape: &[i64], dtype: impl OptDType) -> Result<Variable> {
    filled_at(shape, dtype, 1.0, Location::caller())
}

fn filled_at(shape: &[i64], dtype: impl OptDType, v: f64, loc: Loc) -> Result<Variable> {
    let d = opt_dtype_at(dtype, "Alloc", &[], loc)?.unwrap_or_else(float_x);
    let mut ins = vec![Variable::constant_bounded(Tensor::full(d, &[], v))];
    ins.extend(shape.iter().map(|&n| int64_const(n)));
    apply1(Op::Alloc, ins, loc)
}

/// Join tensors along an existing axis.
#[track_caller]
pub fn concatenate(xs: &[Variable], axis: isize) -> Result<Variable> {
    let loc = Location::caller();
    let axis = match xs.first() {
        Some(x) => py_axis("join", x, axis, x.ndim(), loc)?,
        None => axis.max(0) as usize,
    };
    apply1(Op::Join { axis }, xs.to_vec(), loc)
}

/// Stack tensors of equal type along a new axis.
#[track_caller]
pub fn stack(xs: &[Variable], axis: isize) -> Result<Variable> {
    let loc = Location::caller();
    // Theano 1.0: scalars (of any dtypes) stack into a MakeVector of their upcast dtype
    if !xs.is_empty() && xs.iter().all(|x| x.ndim() == 0) {
        let dts: Vec<DType> = xs.iter().map(Variable::dtype).collect();
        if let Some(d) = DType::upcast(&dts) {
            return make_vector_at(xs.to_vec(), d, loc);
        }
    }
    let mut expanded = Vec::with_capacity(xs.len());
    // the axis of the result, one dimension more than each input
    let axis = match xs.first() {
        Some(x) => py_axis("stack", x, axis, x.ndim() + 1, loc)?,
        None => axis.max(0) as usize,
    };
    for x in xs {
        if axis > x.ndim() {
            return Err(GraphError::new(
                "stack",
                vec![x.ty()],
                format!("axis {axis} out of range"),
                loc,
            ));
        }
        let mut order: Vec<Option<usize>> = (0..x.ndim()).map(Some).collect();
        order.insert(axis, None);
        expanded.push(apply1(
            Op::DimShuffle {
                new_order: order,
                inplace: true,
            },
            vec![x.clone()],
            loc,
        )?);
    }
    apply1(Op::Join { axis }, expanded, loc)
}

// ---------------------------------------------------------------------------------------------
// Linear algebra and nnet

/// `dot(a, b)`: vector and matrix products in every combination; a scalar operand multiplies;
/// an operand of more than 2 dimensions makes it Theano's `tensordot(a, b, [[a.ndim - 1],
/// [max(0, b.ndim - 2)]])`.
#[track_caller]
pub fn dot(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let (a, b) = (a.into_var(), b.into_var());
    if a.ndim() == 0 || b.ndim() == 0 {
        return Ok(binary_at(ScalarOp::Mul, a, b, loc));
    }
    if a.ndim() > 2 || b.ndim() > 2 {
        // Theano 1.0: tensordot over a's last axis and b's second-to-last (its only one for
        // a vector)
        let axes = TensordotAxes::Pairs(
            vec![a.ndim() as isize - 1],
            vec![b.ndim().saturating_sub(2) as isize],
        );
        return linalg::tensordot_at(a, b, axes, loc);
    }
    apply1(Op::Dot, vec![a, b], loc)
}

/// Theano 1.0's Softmax/LogSoftmax.make_node pads a float vector to a row
/// (`shape_padleft`), so the result is a row; other inputs pass through unchanged.
fn softmax_input(x: Variable, loc: Loc) -> Variable {
    if x.ndim() == 1 && x.dtype().is_float() {
        pad_left(x, 2, loc)
    } else {
        x
    }
}

/// softmax over the last axis; a vector is padded to a row as in Theano 1.0.
#[track_caller]
pub fn softmax(x: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    apply1(Op::Softmax, vec![softmax_input(x.into_var(), loc)], loc)
}

/// log(softmax(x)) over the last axis, computed stably; a vector is padded to a row.
#[track_caller]
pub fn log_softmax(x: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    apply1(Op::LogSoftmax, vec![softmax_input(x.into_var(), loc)], loc)
}

/// Theano's `crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx)`: one node computing
/// `(nll, sm, argmax)` where `sm = softmax(x + b)`, `nll[i] = -log(sm[i, y_idx[i]])` (by
/// log-sum-exp, finite for any finite logits) and `argmax[i]` the int64 argmax of row `i` of
/// `x + b`. `x` is a float matrix, `b` a float vector (of length 1 or `x.shape[1]`), `y_idx` an
/// integer vector with one label per row.
#[track_caller]
pub fn crossentropy_softmax_argmax_1hot_with_bias(
    x: impl IntoVar,
    b: impl IntoVar,
    y_idx: impl IntoVar,
) -> Result<(Variable, Variable, Variable)> {
    let node = apply(
        Op::CrossentropySoftmaxArgmax1HotWithBias,
        vec![x.into_var(), b.into_var(), y_idx.into_var()],
        Location::caller(),
    )?;
    Ok((node.output(0), node.output(1), node.output(2)))
}

/// Theano's `crossentropy_softmax_1hot_with_bias(x, b, y_idx)`: `(nll, sm)` of
/// [`crossentropy_softmax_argmax_1hot_with_bias`].
#[track_caller]
pub fn crossentropy_softmax_1hot_with_bias(
    x: impl IntoVar,
    b: impl IntoVar,
    y_idx: impl IntoVar,
) -> Result<(Variable, Variable)> {
    let node = apply(
        Op::CrossentropySoftmaxArgmax1HotWithBias,
        vec![x.into_var(), b.into_var(), y_idx.into_var()],
        Location::caller(),
    )?;
    Ok((node.output(0), node.output(1)))
}

/// The zero bias of `crossentropy_softmax_1hot`: a broadcastable one-element vector of `x`'s
/// dtype (float64 for a non-float `x`, which the op then refuses by naming `x`).
pub fn zero_bias(x: &Variable) -> Variable {
    let d = if x.dtype().is_float() {
        x.dtype()
    } else {
        DType::Float64
    };
    Variable::constant_bounded(Tensor::zeros(d, &[1]))
}

/// Theano's `crossentropy_softmax_1hot(x, y_idx)`: `(nll, sm)` with a zero bias.
#[track_caller]
pub fn crossentropy_softmax_1hot(
    x: impl IntoVar,
    y_idx: impl IntoVar,
) -> Result<(Variable, Variable)> {
    let x = x.into_var();
    let b = zero_bias(&x);
    let node = apply(
        Op::CrossentropySoftmaxArgmax1HotWithBias,
        vec![x, b, y_idx.into_var()],
        Location::caller(),
    )?;
    Ok((node.output(0), node.output(1)))
}

/// Theano's `crossentropy_softmax_1hot_with_bias_dx(dnll, sm, y_idx)`:
/// `(sm - onehot(y_idx)) * dnll[:, None]`.
#[track_caller]
pub fn crossentropy_softmax_1hot_with_bias_dx(
    dnll: impl IntoVar,
    sm: impl IntoVar,
    y_idx: impl IntoVar,
) -> Result<Variable> {
    apply1(
        Op::CrossentropySoftmax1HotWithBiasDx,
        vec![dnll.into_var(), sm.into_var(), y_idx.into_var()],
        Location::caller(),
    )
}

/// Theano's `crossentropy_categorical_1hot(coding_dist, true_one_of_n)`:
/// `CrossentropyCategorical1Hot`, `-log(coding_dist[i, true_one_of_n[i]])` for each row `i`
/// (`coding_dist` a float matrix, `true_one_of_n` an int64 or int32 vector).
#[track_caller]
pub fn crossentropy_categorical_1hot(
    coding_dist: impl IntoVar,
    true_one_of_n: impl IntoVar,
) -> Result<Variable> {
    apply1(
        Op::CrossentropyCategorical1Hot,
        vec![coding_dist.into_var(), true_one_of_n.into_var()],
        Location::caller(),
    )
}

/// Theano's `crossentropy_categorical_1hot_grad(g_y, coding_dist, true_one_of_n)`:
/// `CrossentropyCategorical1HotGrad`, zeros like `coding_dist` except
/// `-g_y[i] / coding_dist[i, true_one_of_n[i]]` at each row's label.
#[track_caller]
pub fn crossentropy_categorical_1hot_grad(
    g_y: impl IntoVar,
    coding_dist: impl IntoVar,
    true_one_of_n: impl IntoVar,
) -> Result<Variable> {
    apply1(
        Op::CrossentropyCategorical1HotGrad,
        vec![
            g_y.into_var(),
            coding_dist.into_var(),
            true_one_of_n.into_var(),
        ],
        Location::caller(),
    )
}

/// Theano's `categorical_crossentropy(coding_dist, true_dist)`, one value per row:
/// with integer labels (`true_dist` an int64 or int32 vector) Theano 1.0.5's
/// `CrossentropyCategorical1Hot(coding_dist, true_dist)`, `-log(coding_dist[i, true_dist[i]])`;
/// with a distribution (a float matrix like `coding_dist`) `-sum(true_dist * log(coding_dist),
/// axis=1)`. `coding_dist` is a float matrix of probabilities (a softmax, usually: the
/// optimizer turns `categorical_crossentropy(softmax(x + b), y)` into one stable
/// `CrossentropySoftmaxArgmax1HotWithBias`).
#[track_caller]
pub fn categorical_crossentropy(
    coding_dist: impl IntoVar,
    true_dist: impl IntoVar,
) -> Result<Variable> {
    let loc = Location::caller();
    let (p, t) = (coding_dist.into_var(), true_dist.into_var());
    let refuse = |msg: String| {
        Err(GraphError::new(
            "categorical_crossentropy",
            vec![p.ty(), t.ty()],
            msg,
            loc,
        ))
    };
    if p.ndim() != 2 || !p.dtype().is_float() {
        return refuse(format!(
            "coding_dist must be a float matrix, got {}",
            p.ty()
        ));
    }
    if t.ndim() == 1 && t.dtype().is_int() {
        apply1(Op::CrossentropyCategorical1Hot, vec![p, t], loc)
    } else if t.ndim() == 2 && t.dtype().is_float() {
        let lp = infallible(elemwise_at(ScalarOp::Log, vec![p.clone()], loc));
        let prod = infallible(elemwise_at(ScalarOp::Mul, vec![t.clone(), lp], loc));
        let s = reduce_at(ReduceKind::Sum, prod, Some(&[1]), false, loc)?;
        Ok(binary_neg(s, loc))
    } else {
        refuse(format!(
            "true_dist must be an integer vector of labels or a float matrix, got {}",
            t.ty()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Reductions

/// Python's axes: a negative axis counts from the end (`-1` is the last); one below `-ndim`
/// is a [`GraphError`] naming the op, the axis and the rank (one at or above `ndim` is
/// refused by the op's own check).
fn py_axes(op: &str, x: &Variable, axes: Option<&[isize]>, loc: Loc) -> Result<Option<Vec<usize>>> {
    let Some(axes) = axes else {
        return Ok(None);
    };
    axes.iter()
        .map(|&a| py_axis(op, x, a, x.ndim(), loc))
        .collect::<Result<Vec<usize>>>()
        .map(Some)
}

/// One axis of a rank-`ndim` result, Python's way (see [`py_axes`]).
fn py_axis(op: &str, x: &Variable, a: isize, ndim: usize, loc: Loc) -> Result<usize> {
    let n = ndim as isize;
    if a >= 0 {
        // a positive axis is the op's to check (its error names the op with the axis)
        Ok(a as usize)
    } else if a >= -n {
        Ok((n + a) as usize)
    } else {
        Err(GraphError::new(
            op,
            vec![x.ty()],
            format!("axis {a} is out of bounds for a tensor of {ndim} dimensions (expected -{ndim} <= axis < {ndim})"),
            loc,
        ))
    }
}

fn norm_axes(x: &Variable, axes: Option<&[usize]>) -> Vec<usize> {
    match axes {
        None => (0..x.ndim()).collect(),
        Some(a) => a.to_vec(),
    }
}

fn keep_dims(r: Variable, ndim: usize, axes: &[usize], loc: Loc) -> Result<Variable> {
    let mut k = 0;
    let order: Vec<Option<usize>> = (0..ndim)
        .map(|i| {
            if axes.contains(&i) {
                None
            } else {
                k += 1;
                Some(k - 1)
            }
        })
        .collect();
    apply1(
        Op::DimShuffle {
            new_order: order,
            inplace: true,
        },
        vec![r],
        loc,
    )
}

fn reduce_at(
    kind: ReduceKind,
    x: Variable,
    axes: Option<&[usize]>,
    keepdims: bool,
    loc: Loc,
) -> Result<Variable> {
    reduce_dtype_at(kind, x, axes, keepdims, None, loc)
}

fn reduce_dtype_at(
    kind: ReduceKind,
    x: Variable,
    axes: Option<&[usize]>,
    keepdims: bool,
    dtype: Option<DType>,
    loc: Loc,
) -> Result<Variable> {
    let nd = x.ndim();
    // Theano's All/Any.make_node: a non-bool input is compared with 0 first
    let x = if matches!(kind, ReduceKind::All | ReduceKind::Any) && x.dtype() != DType::Bool {
        binary_at(ScalarOp::Neq, x, 0i64.into_var(), loc)
    } else {
        x
    };
    let op_axes = axes.map(|a| a.to_vec());
    let r = apply1(
        Op::Reduce {
            kind,
            axes: op_axes,
            dtype,
        },
        vec![x.clone()],
        loc,
    )?;
    if keepdims {
        keep_dims(r, nd, &norm_axes(&x, axes), loc)
    } else {
        Ok(r)
    }
}

macro_rules! reductions {
    ($($all:ident, $ax:ident => $kind:ident, $doc:literal;)*) => {$(
        #[doc = concat!($doc, " of all elements.")]
        #[track_caller]
        pub fn $all(x: impl IntoVar) -> Variable {
            infallible(reduce_at(ReduceKind::$kind, x.into_var(), None, false, Location::caller()))
        }
        #[doc = concat!($doc, " over `axes` (`None` = all; a negative axis counts from the end), keeping reduced dimensions as length 1 when `keepdims`.")]
        #[track_caller]
        pub fn $ax(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
            let (x, loc) = (x.into_var(), Location::caller());
            let axes = py_axes(stringify!($kind), &x, axes, loc)?;
            reduce_at(ReduceKind::$kind, x, axes.as_deref(), keepdims, loc)
        }
    )*};
}
macro_rules! dtype_reductions {
    ($($f:ident => $kind:ident, $doc:literal;)*) => {$(
        #[doc = concat!($doc, " over `axes` (as `", stringify!($kind), "`'s axes builder) with Theano's `dtype=`: the result has `dtype` (a [`DType`], its name, or `None` for the default); it still accumulates in the input's default accumulator (float64 for floats, int64 or uint64 for ints) and casts once at the end, as Theano's `CAReduceDtype`.")]
        #[track_caller]
        pub fn $f(
            x: impl IntoVar,
            axes: Option<&[isize]>,
            keepdims: bool,
            dtype: impl OptDType,
        ) -> Result<Variable> {
            let (x, loc) = (x.into_var(), Location::caller());
            let d = opt_dtype_at(dtype, stringify!($kind), &[&x], loc)?;
            let axes = py_axes(stringify!($kind), &x, axes, loc)?;
            reduce_dtype_at(ReduceKind::$kind, x, axes.as_deref(), keepdims, d, loc)
        }
    )*};
}
dtype_reductions! {
    sum_dtype => Sum, "Sum";
    prod_dtype => Prod, "Product";
}

reductions! {
    sum, sum_axes => Sum, "Sum (unsigned ints sum as uint64, other ints and bools as int64)";
    prod, prod_axes => Prod, "Product (unsigned ints as uint64, other ints and bools as int64)";
    all, all_axes => All, "Logical and";
    any, any_axes => Any, "Logical or";
}

/// max and argmax over `axes` (`None` = all).
#[track_caller]
pub fn max_and_argmax(x: impl IntoVar, axes: Option<&[isize]>) -> Result<(Variable, Variable)> {
    let (x, loc) = (x.into_var(), Location::caller());
    let axes = py_axes("MaxAndArgmax", &x, axes, loc)?;
    let node = apply(
        Op::MaxAndArgmax {
            axes: norm_axes(&x, axes.as_deref()),
        },
        vec![x],
        loc,
    )?;
    Ok((node.output(0), node.output(1)))
}

/// Output `which` (0 = max, 1 = argmax) of `MaxAndArgmax` over `axes`, reduced dimensions
/// kept as length 1 when `keepdims`. The outputs are named `max` and `argmax`, as Theano 1.0's
/// `MaxAndArgmax.make_node` names them.
fn max_and_argmax_at(
    x: Variable,
    axes: Option<&[usize]>,
    keepdims: bool,
    which: usize,
    loc: Loc,
) -> Result<Variable> {
    let all = norm_axes(&x, axes);
    let node = apply(Op::MaxAndArgmax { axes: all.clone() }, vec![x.clone()], loc)?;
    node.output(0).set_name("max");
    node.output(1).set_name("argmax");
    let r = node.output(which);
    if keepdims {
        keep_dims(r, x.ndim(), &all, loc)
    } else {
        Ok(r)
    }
}

/// Maximum over `axes` (`None` = all).
#[track_caller]
pub fn max(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    let axes = py_axes("max", &x, axes, loc)?;
    max_and_argmax_at(x, axes.as_deref(), keepdims, 0, loc)
}

/// Index of the maximum over `axes` (`None` = all, flattened), int64; ties go to the first.
#[track_caller]
pub fn argmax(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    let axes = py_axes("argmax", &x, axes, loc)?;
    max_and_argmax_at(x, axes.as_deref(), keepdims, 1, loc)
}

/// Minimum over `axes`, built as Theano 1.0 builds it: `-max(-x)` for floats and signed ints,
/// `M - max(M - x)` for an unsigned dtype whose largest value is `M`, `~max(~x)` for bools.
#[track_caller]
pub fn min(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    let axes = py_axes("min", &x, axes, loc)?;
    let axes = axes.as_deref();
    let (flip, unflip): (fn(Variable, Loc) -> Variable, fn(Variable, Loc) -> Variable) =
        match x.dtype() {
            DType::Bool => (invert_at, invert_at),
            d if d.is_signed() => (binary_neg, binary_neg),
            _ => (uint_flip, uint_flip),
        };
    let m = max_and_argmax_at(flip(x, loc), axes, keepdims, 0, loc)?;
    Ok(unflip(m, loc))
}

/// Index of the minimum, Theano 1.0's way: `argmax(-x)` (floats, signed ints), `argmax(M - x)`
/// with the Python int `M` (unsigned), `argmax(~x)` (bools).
#[track_caller]
pub fn argmin(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    let axes = py_axes("argmin", &x, axes, loc)?;
    let axes = axes.as_deref();
    let nx = match x.dtype() {
        DType::Bool => invert_at(x, loc),
        d if d.is_signed() => binary_neg(x, loc),
        // `itype.max - x`: the Python int takes the smallest signed dtype that holds it
        _ => {
            let m = uint_max(x.dtype());
            let m = match i64::try_from(m) {
                Ok(m) => m.into_var(),
                // 2**64 - 1 is a uint64 constant (numpy's dtype for that Python int)
                Err(_) => Variable::constant_bounded(Tensor::scalar(m)),
            };
            binary_at(ScalarOp::Sub, m, x, loc)
        }
    };
    max_and_argmax_at(nx, axes, keepdims, 1, loc)
}

fn binary_neg(x: Variable, loc: Loc) -> Variable {
    infallible(elemwise_at(ScalarOp::Neg, vec![x], loc))
}

fn invert_at(x: Variable, loc: Loc) -> Variable {
    infallible(elemwise_at(ScalarOp::Invert, vec![x], loc))
}

/// The largest value of an unsigned dtype.
fn uint_max(d: DType) -> u64 {
    match d {
        DType::UInt8 => u8::MAX.into(),
        DType::UInt16 => u16::MAX.into(),
        DType::UInt32 => u32::MAX.into(),
        _ => u64::MAX,
    }
}

/// `M - x` with `M` the largest value of x's unsigned dtype, as a constant of that dtype
/// (Theano's `np.array(itype.max, dtype=itype.dtype) - x`).
fn uint_flip(x: Variable, loc: Loc) -> Variable {
    let m = Tensor::scalar(uint_max(x.dtype())).cast(x.dtype());
    binary_at(ScalarOp::Sub, Variable::constant_bounded(m), x, loc)
}

/// Mean over `axes` (`None` = all), built as Theano 1.0 builds it: the sum divided by each
/// reduced length in turn, `sum / float64(Shape(x))[Constant{i}]` (float32 lengths for a
/// float32 sum), with `i` the axis as given (so `-1` stays `-1`); named `mean`.
#[track_caller]
pub fn mean(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    mean_at(x, axes, keepdims, loc)
}

/// Theano's `axis` list: every axis for `None`, else the axes as given.
fn given_axes(x: &Variable, axes: Option<&[isize]>) -> Vec<isize> {
    match axes {
        None => (0..x.ndim() as isize).collect(),
        Some(a) => a.to_vec(),
    }
}

/// `v[i]` for a Python int `i` (Theano's `Subtensor{int64}` with a `Constant{i}` index).
fn index_const(v: &Variable, i: isize, loc: Loc) -> Result<Variable> {
    index_at(v, &[Idx::Int(int64_const(i as i64))], loc)
}

fn mean_at(x: Variable, axes: Option<&[isize]>, keepdims: bool, loc: Loc) -> Result<Variable> {
    let norm = py_axes("mean", &x, axes, loc)?;
    let s = reduce_at(ReduceKind::Sum, x.clone(), norm.as_deref(), keepdims, loc)?;
    let count_dtype = if s.dtype() == DType::Float32 {
        DType::Float32
    } else {
        DType::Float64
    };
    let shp = cast_at(apply1(Op::Shape, vec![x.clone()], loc)?, count_dtype, loc);
    let mut out = s;
    for i in given_axes(&x, axes) {
        out = binary_at(ScalarOp::TrueDiv, out, index_const(&shp, i, loc)?, loc);
    }
    Ok(out.named("mean"))
}

/// Variance over `axes` (population, `ddof = 0`), built as Theano 1.0 builds it; named `var`.
#[track_caller]
pub fn var(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    var_at(x, axes, keepdims, 0, false, loc)
}

/// Theano's `var(x, axis, ddof, keepdims, corrected)`: the sum of squared deviations divided
/// by `n - ddof` per reduced axis; `corrected` subtracts the two-pass correction term
/// (`sum(x - mean)^2 / (n (n - ddof))`).
#[track_caller]
pub fn var_ddof(
    x: impl IntoVar,
    axes: Option<&[isize]>,
    ddof: i64,
    keepdims: bool,
    corrected: bool,
) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    var_at(x, axes, keepdims, ddof, corrected, loc)
}

fn var_at(
    x: Variable,
    axes: Option<&[isize]>,
    keepdims: bool,
    ddof: i64,
    corrected: bool,
    loc: Loc,
) -> Result<Variable> {
    let given = given_axes(&x, axes);
    let norm = py_axes("var", &x, Some(&given), loc)?;
    let m = mean_at(x.clone(), Some(&given), true, loc)?;
    let centered = binary_at(ScalarOp::Sub, x.clone(), m, loc);
    let two = Variable::constant_bounded(Tensor::scalar(2.0).cast(centered.dtype()));
    let sq = binary_at(ScalarOp::Pow, centered.clone(), two, loc);
    // Theano divides by `shape(input) - ddof` taken per axis
    let shape_minus_ddof = |loc| -> Result<Variable> {
        let shp = apply1(Op::Shape, vec![x.clone()], loc)?;
        Ok(binary_at(ScalarOp::Sub, shp, ddof.into_var(), loc))
    };
    let mut v = if ddof == 0 {
        mean_at(sq, Some(&given), keepdims, loc)?
    } else {
        let shp = shape_minus_ddof(loc)?;
        let mut v = reduce_at(ReduceKind::Sum, sq, norm.as_deref(), keepdims, loc)?;
        for &i in &given {
            v = binary_at(ScalarOp::TrueDiv, v, index_const(&shp, i, loc)?, loc);
        }
        v
    };
    if corrected {
        let error = if ddof == 0 {
            let mc = mean_at(centered, Some(&given), keepdims, loc)?;
            binary_at(ScalarOp::Pow, mc, 2i64.into_var(), loc)
        } else {
            let shp = shape_minus_ddof(loc)?;
            let shp_inp = apply1(Op::Shape, vec![x.clone()], loc)?;
            let sc = reduce_at(ReduceKind::Sum, centered, norm.as_deref(), keepdims, loc)?;
            let mut err = binary_at(ScalarOp::Pow, sc, 2i64.into_var(), loc);
            for &i in &given {
                let n = binary_at(
                    ScalarOp::Mul,
                    index_const(&shp, i, loc)?,
                    index_const(&shp_inp, i, loc)?,
                    loc,
                );
                err = binary_at(ScalarOp::TrueDiv, err, n, loc);
            }
            err
        };
        v = binary_at(ScalarOp::Sub, v, error, loc);
    }
    Ok(v.named("var"))
}

/// Standard deviation over `axes`: `sqrt(var)`, named `std`.
#[track_caller]
pub fn std(x: impl IntoVar, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    let v = var_at(x, axes, keepdims, 0, false, loc)?;
    Ok(elemwise_at(ScalarOp::Sqrt, vec![v], loc)?.named("std"))
}

/// Theano's `std(x, axis, ddof, keepdims, corrected)`: `sqrt(var_ddof(..))`, named `std`.
#[track_caller]
pub fn std_ddof(
    x: impl IntoVar,
    axes: Option<&[isize]>,
    ddof: i64,
    keepdims: bool,
    corrected: bool,
) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    let v = var_at(x, axes, keepdims, ddof, corrected, loc)?;
    Ok(elemwise_at(ScalarOp::Sqrt, vec![v], loc)?.named("std"))
}

// ---------------------------------------------------------------------------------------------
// Indexing

/// One index entry for [`Variable::get`]: an integer, a slice, or an integer array.
#[derive(Clone)]
pub enum Idx {
    /// `x[i]`
    Int(Variable),
    /// `x[start:stop:step]`
    Slice(Option<Variable>, Option<Variable>, Option<Variable>),
    /// `x[ivector]` (advanced indexing)
    Array(Variable),
}

impl Idx {
    /// `:`
    pub fn all() -> Idx {
        Idx::Slice(None, None, None)
    }
    /// `start:stop`
    pub fn range(start: impl IdxBound, stop: impl IdxBound) -> Idx {
        Idx::Slice(Some(start.bound()), Some(stop.bound()), None)
    }
    /// `start:`
    pub fn start_at(start: impl IdxBound) -> Idx {
        Idx::Slice(Some(start.bound()), None, None)
    }
    /// `:stop`
    pub fn to(stop: impl IdxBound) -> Idx {
        Idx::Slice(None, Some(stop.bound()), None)
    }
    /// `start:stop:step`, each optional.
    pub fn slice(start: Option<Variable>, stop: Option<Variable>, step: Option<Variable>) -> Idx {
        Idx::Slice(start, stop, step)
    }
    /// `::step`
    pub fn step(step: impl IdxBound) -> Idx {
        Idx::Slice(None, None, Some(step.bound()))
    }
}

/// A slice bound or integer index: a symbolic integer scalar or a Rust integer (int64 constant).
pub trait IdxBound {
    fn bound(self) -> Variable;
}
impl IdxBound for Variable {
    fn bound(self) -> Variable {
        self
    }
}
impl IdxBound for &Variable {
    fn bound(self) -> Variable {
        self.clone()
    }
}
impl IdxBound for i64 {
    fn bound(self) -> Variable {
        int64_const(self)
    }
}
impl IdxBound for i32 {
    fn bound(self) -> Variable {
        int64_const(self as i64)
    }
}
impl IdxBound for usize {
    fn bound(self) -> Variable {
        int64_const(self as i64)
    }
}

impl From<i64> for Idx {
    fn from(i: i64) -> Idx {
        Idx::Int(int64_const(i))
    }
}
impl From<i32> for Idx {
    fn from(i: i32) -> Idx {
        Idx::Int(int64_const(i as i64))
    }
}
impl From<usize> for Idx {
    fn from(i: usize) -> Idx {
        Idx::Int(int64_const(i as i64))
    }
}
/// A 0-d variable is an integer index; a variable with dimensions is an index array.
impl From<&Variable> for Idx {
    fn from(v: &Variable) -> Idx {
        if v.ndim() == 0 {
            Idx::Int(v.clone())
        } else {
            Idx::Array(v.clone())
        }
    }
}
impl From<Variable> for Idx {
    fn from(v: Variable) -> Idx {
        Idx::from(&v)
    }
}
impl From<std::ops::RangeFull> for Idx {
    fn from(_: std::ops::RangeFull) -> Idx {
        Idx::all()
    }
}
impl From<std::ops::Range<i64>> for Idx {
    fn from(r: std::ops::Range<i64>) -> Idx {
        Idx::range(r.start, r.end)
    }
}
impl From<std::ops::RangeFrom<i64>> for Idx {
    fn from(r: std::ops::RangeFrom<i64>) -> Idx {
        Idx::start_at(r.start)
    }
}
impl From<std::ops::RangeTo<i64>> for Idx {
    fn from(r: std::ops::RangeTo<i64>) -> Idx {
        Idx::to(r.end)
    }
}

fn bound_dtype(v: &Variable, what: &str, x: &Variable, loc: Loc) -> Result<DType> {
    if v.ndim() != 0 || !v.dtype().is_int() {
        return Err(GraphError::new(
            "Subtensor",
            vec![x.ty(), v.ty()],
            format!("{what} must be an integer scalar, got {}", v.ty()),
            loc,
        ));
    }
    Ok(v.dtype())
}

/// Index `x` as numpy does: integers and slices give a `Subtensor` (a view); any integer array
/// gives advanced indexing (a copy).
pub(crate) fn index_at(x: &Variable, idx: &[Idx], loc: Loc) -> Result<Variable> {
    // a boolean mask alone: Theano 1.0.5's AdvancedBooleanSubtensor (`x[x > 0]`)
    if let [Idx::Array(m)] = idx {
        if m.dtype() == DType::Bool {
            return apply1(
                Op::AdvancedBooleanSubtensor,
                vec![x.clone(), m.clone()],
                loc,
            );
        }
    }
    if idx.iter().any(|i| matches!(i, Idx::Array(_))) {
        let n_arrays = idx
            .iter()
            .filter(|i| matches!(i, Idx::Array(_) | Idx::Int(_)))
            .count();
        if idx.len() == 1 && x.ndim() >= 1 {
            if let Idx::Array(a) = &idx[0] {
                if a.ndim() == 1 {
                    return apply1(Op::AdvancedSubtensor1, vec![x.clone(), a.clone()], loc);
                }
            }
        }
        let mut entries = Vec::new();
        let mut ins = vec![x.clone()];
        for i in idx {
            match i {
                Idx::Array(a) | Idx::Int(a) => {
                    entries.push(AdvEntry::Array);
                    ins.push(a.clone());
                }
                Idx::Slice(None, None, None) => entries.push(AdvEntry::Full),
                Idx::Slice(..) => {
                    return Err(GraphError::new(
                        "AdvancedSubtensor",
                        ins.iter().map(|v| v.ty()).collect(),
                        "only full slices (`:`) may be mixed with index arrays",
                        loc,
                    ))
                }
            }
        }
        debug_assert_eq!(n_arrays, ins.len() - 1);
        return apply1(Op::AdvancedSubtensor { idx: entries }, ins, loc);
    }
    let (entries, ins) = basic_idx(x, idx, loc)?;
    apply1(Op::Subtensor { idx: entries }, ins, loc)
}

fn basic_idx(x: &Variable, idx: &[Idx], loc: Loc) -> Result<(Vec<IdxEntry>, Vec<Variable>)> {
    let mut entries = Vec::new();
    let mut ins = vec![x.clone()];
    for i in idx {
        match i {
            Idx::Int(v) => {
                entries.push(IdxEntry::Index(bound_dtype(v, "an index", x, loc)?));
                ins.push(v.clone());
            }
            Idx::Slice(a, b, c) => {
                let mut d = [None, None, None];
                for (k, (v, what)) in [
                    (a, "a slice start"),
                    (b, "a slice stop"),
                    (c, "a slice step"),
                ]
                .into_iter()
                .enumerate()
                {
                    if let Some(v) = v {
                        d[k] = Some(bound_dtype(v, what, x, loc)?);
                        ins.push(v.clone());
                    }
                }
                entries.push(IdxEntry::Slice {
                    start: d[0],
                    stop: d[1],
                    step: d[2],
                });
            }
            Idx::Array(_) => unreachable!("handled by the caller"),
        }
    }
    Ok((entries, ins))
}

fn inc_at(sub: &Variable, y: Variable, set: bool, loc: Loc) -> Result<Variable> {
    let what = if set {
        "set_subtensor"
    } else {
        "inc_subtensor"
    };
    let node = sub.owner().ok_or_else(|| {
        GraphError::new(
            what,
            vec![sub.ty(), y.ty()],
            "the first argument must be an indexing result such as x[i]",
            loc,
        )
    })?;
    let Some(op) = node.op().inc_counterpart(set) else {
        return Err(GraphError::new(
            what,
            vec![sub.ty(), y.ty()],
            format!(
                "the first argument must be an indexing result such as x[i], got an output of {}",
                node.op()
            ),
            loc,
        ));
    };
    let ins = node.inputs();
    let mut v = vec![ins[0].clone(), y];
    v.extend(ins[1..].iter().cloned());
    apply1(op, v, loc)
}

/// `x[idx] = y`, returning the new `x`; `sub` is the indexing expression `x[idx]`.
#[track_caller]
pub fn set_subtensor(sub: &Variable, y: impl IntoVar) -> Result<Variable> {
    inc_at(sub, y.into_var(), true, Location::caller())
}

/// `x[idx] += y`, returning the new `x`; repeated advanced indices accumulate.
#[track_caller]
pub fn inc_subtensor(sub: &Variable, y: impl IntoVar) -> Result<Variable> {
    inc_at(sub, y.into_var(), false, Location::caller())
}

// ---------------------------------------------------------------------------------------------
// Methods

impl Variable {
    /// `self ** e`
    #[track_caller]
    pub fn pow(&self, e: impl IntoVar) -> Variable {
        binary_at(
            ScalarOp::Pow,
            self.clone(),
            e.into_var(),
            Location::caller(),
        )
    }
    /// Sum of all elements.
    #[track_caller]
    pub fn sum(&self) -> Variable {
        infallible(reduce_at(
            ReduceKind::Sum,
            self.clone(),
            None,
            false,
            Location::caller(),
        ))
    }
    /// Mean of all elements.
    #[track_caller]
    pub fn mean(&self) -> Variable {
        infallible(mean_at(self.clone(), None, false, Location::caller()))
    }
    /// `x.T`: the dimensions reversed.
    #[track_caller]
    pub fn t(&self) -> Variable {
        let order: Vec<Option<usize>> = (0..self.ndim()).rev().map(Some).collect();
        let r = infallible(apply1(
            Op::DimShuffle {
                new_order: order,
                inplace: true,
            },
            vec![self.clone()],
            Location::caller(),
        ));
        if let Some(n) = self.name() {
            r.set_name(&format!("{n}.T"));
        }
        r
    }
    /// Permute/insert dimensions, see [`dimshuffle`].
    #[track_caller]
    pub fn dimshuffle(&self, new_order: &[Option<usize>]) -> Result<Variable> {
        apply1(
            Op::DimShuffle {
                new_order: new_order.to_vec(),
                inplace: true,
            },
            vec![self.clone()],
            Location::caller(),
        )
    }
    /// The shape as a symbolic int64 vector (`x.shape`).
    #[track_caller]
    pub fn shape(&self) -> Variable {
        infallible(apply1(Op::Shape, vec![self.clone()], Location::caller()))
    }
    /// The length of dimension `i` (`x.shape[i]`).
    #[track_caller]
    pub fn shape_i(&self, i: usize) -> Result<Variable> {
        apply1(Op::ShapeI(i), vec![self.clone()], Location::caller())
    }
    /// Reshape, see [`reshape`].
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<ShapeArg>) -> Result<Variable> {
        let loc = Location::caller();
        let (s, n) = shape_vector(shape.into(), loc)?;
        apply1(Op::Reshape { ndim: n }, vec![self.clone(), s], loc)
    }
    /// Flatten to `outdim` dimensions, see [`flatten`].
    #[track_caller]
    pub fn flatten(&self, outdim: usize) -> Result<Variable> {
        flatten_at(self.clone(), outdim, Location::caller())
    }
    /// numpy indexing: `x.get(&[Idx::from(1), Idx::all()])` is `x[1, :]`.
    #[track_caller]
    pub fn get(&self, idx: &[Idx]) -> Result<Variable> {
        index_at(self, idx, Location::caller())
    }
    /// `x[i]`
    #[track_caller]
    pub fn at(&self, i: impl Into<Idx>) -> Result<Variable> {
        index_at(self, &[i.into()], Location::caller())
    }
    /// `x[start:stop]` on the first axis (the minibatch pattern of `givens`).
    #[track_caller]
    pub fn slice_rows(&self, start: impl IdxBound, stop: impl IdxBound) -> Result<Variable> {
        index_at(self, &[Idx::range(start, stop)], Location::caller())
    }
    /// Cast to `dtype`: a [`DType`], or its name (then a `Result`), as [`cast`].
    #[track_caller]
    pub fn astype<D: DTypeArg>(&self, dtype: D) -> D::Output {
        dtype.cast(self.clone(), Location::caller())
    }
}

/// Theano's `ifelse(condition, then_branch, else_branch)` for one value: `then` when the
/// scalar `cond` is non-zero, else `other`. Lazy, unlike [`switch`]: a call computes only
/// the branch the condition picks (the nodes only the other branch needs do not run). The
/// two values must have one type.
#[track_caller]
pub fn ifelse(cond: impl IntoVar, then: impl IntoVar, other: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    apply1(
        Op::IfElse { n_outs: 1 },
        vec![cond.into_var(), then.into_var(), other.into_var()],
        loc,
    )
}

/// Theano's `ifelse(condition, [t1, ..], [e1, ..])`: one `if{}` node choosing between two
/// lists of values of pairwise equal types; its outputs in order.
#[track_caller]
pub fn ifelse_many(
    cond: impl IntoVar,
    then: &[Variable],
    other: &[Variable],
) -> Result<Vec<Variable>> {
    let loc = Location::caller();
    let cond = cond.into_var();
    if then.len() != other.len() {
        let mut types = vec![cond.ty()];
        types.extend(then.iter().chain(other).map(Variable::ty));
        return Err(GraphError::new(
            "ifelse",
            types,
            format!(
                "The number of values on the `then` branch should have the same number of \
                 variables as the `else` branch : (variables on `then` {}, variables on `else` {})",
                then.len(),
                other.len()
            ),
            loc,
        ));
    }
    let mut ins = vec![cond];
    ins.extend(then.iter().cloned());
    ins.extend(other.iter().cloned());
    Ok(apply(Op::IfElse { n_outs: then.len() }, ins, loc)?.outputs())
}
