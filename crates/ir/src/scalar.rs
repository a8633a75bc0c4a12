//! Scalar operations: the per-element bodies of `Elemwise` (Theano's `theano.scalar`).

use crate::composite::Composite;
use crate::config::float_x;
use std::fmt;
use std::sync::Arc;
use theano_tensor::DType;

/// One scalar operation. `Elemwise(op)` maps it over broadcast tensors.
///
/// `Clone` but not `Copy`: [`ScalarOp::Composite`] holds a shared scalar DAG.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum ScalarOp {
    Add,
    Sub,
    Mul,
    TrueDiv,
    IntDiv,
    Mod,
    Pow,
    Neg,
    Exp,
    Log,
    Log1p,
    Expm1,
    Tanh,
    Sigmoid,
    Softplus,
    Abs,
    Sgn,
    Floor,
    Ceil,
    /// numpy's `round`: halves to even.
    RoundHalfToEven,
    /// C's `round`: halves away from zero.
    RoundHalfAwayFromZero,
    Sqr,
    Sqrt,
    Maximum,
    Minimum,
    /// clip(x, lo, hi)
    Clip,
    /// switch(cond, a, b)
    Switch,
    Gt,
    Lt,
    Ge,
    Le,
    Eq,
    Neq,
    And,
    Or,
    Xor,
    /// bitwise/logical not
    Invert,
    /// second(a, b) = b broadcast to a's shape: Theano's `fill`.
    Second,
    Identity,
    /// Theano 1.0's elementwise catalogue (theano.scalar.basic, basic_scipy, nnet.sigm):
    /// unary float functions (`upgrade_to_float`).
    Sin,
    Cos,
    Tan,
    ArcSin,
    ArcCos,
    ArcTan,
    /// arctan2(y, x), two inputs.
    ArcTan2,
    Sinh,
    Cosh,
    ArcSinh,
    ArcCosh,
    ArcTanh,
    Exp2,
    Log2,
    Log10,
    Erf,
    Erfc,
    Erfinv,
    Erfcinv,
    Gamma,
    GammaLn,
    /// digamma
    Psi,
    /// trigamma (Theano's `tri_gamma`, the gradient of psi)
    TriGamma,
    /// `1 / x` (Theano's `inv`)
    Inv,
    Deg2Rad,
    Rad2Deg,
    Trunc,
    /// `x / (1 + |x|)` (Theano's nnet `softsign`)
    Softsign,
    /// Theano's piecewise approximation of the sigmoid (nnet `ultra_fast_sigmoid`)
    UltraFastSigmoid,
    /// isnan / isinf: bool results for any input dtype.
    IsNan,
    IsInf,
    Cast(DType),
    /// A fused scalar DAG (elementwise fusion's output); never built before optimization.
    Composite(Arc<Composite>),
}

/// How the output dtype follows from the input dtypes.
enum OutRule {
    /// numpy promotion of all inputs
    Upcast,
    /// promotion, then ints go to float (Theano's `upgrade_to_float`)
    Float,
    /// true division: promotion, discrete results become float64
    TrueDiv,
    Bool,
    /// the dtype of input i
    Input(usize),
    Fixed(DType),
}

impl ScalarOp {
    /// Every scalar op except the parameterised `Cast`.
    pub const ALL: [ScalarOp; 72] = {
        use ScalarOp::*;
        [
            Add,
            Sub,
            Mul,
            TrueDiv,
            IntDiv,
            Mod,
            Pow,
            Neg,
            Exp,
            Log,
            Log1p,
            Expm1,
            Tanh,
            Sigmoid,
            Softplus,
            Abs,
            Sgn,
            Floor,
            Ceil,
            RoundHalfToEven,
            RoundHalfAwayFromZero,
            Sqr,
            Sqrt,
            Maximum,
            Minimum,
            Clip,
            Switch,
            Gt,
            Lt,
            Ge,
            Le,
            Eq,
            Neq,
            And,
            Or,
            Xor,
            Invert,
            Second,
            Identity,
            Sin,
            Cos,
            Tan,
            ArcSin,
            ArcCos,
            ArcTan,
            ArcTan2,
            Sinh,
            Cosh,
            ArcSinh,
            ArcCosh,
            ArcTanh,
            Exp2,
            Log2,
            Log10,
            Erf,
            Erfc,
            Erfinv,
            Erfcinv,
            Gamma,
            GammaLn,
            Psi,
            TriGamma,
            Inv,
            Deg2Rad,
            Rad2Deg,
            Trunc,
            Softsign,
            UltraFastSigmoid,
            IsNan,
            IsInf,
            Cast(DType::Float64),
            Cast(DType::Int8),
        ]
    };

    /// Theano's name: `add`, `true_div`, `abs_`, `Cast{float64}`...
    pub fn name(&self) -> String {
        use ScalarOp::*;
        let s = match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            TrueDiv => "true_div",
            IntDiv => "int_div",
            Mod => "mod",
            Pow => "pow",
            Neg => "neg",
            Exp => "exp",
            Log => "log",
            Log1p => "log1p",
            Expm1 => "expm1",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Softplus => "softplus",
            Abs => "abs_",
            Sgn => "sgn",
            Floor => "floor",
            Ceil => "ceil",
            RoundHalfToEven => "round_half_to_even",
            RoundHalfAwayFromZero => "round_half_away_from_zero",
            Sqr => "sqr",
            Sqrt => "sqrt",
            Maximum => "maximum",
            Minimum => "minimum",
            Clip => "clip",
            Switch => "switch",
            Gt => "gt",
            Lt => "lt",
            Ge => "ge",
            Le => "le",
            Eq => "eq",
            Neq => "neq",
            And => "and_",
            Or => "or_",
            Xor => "xor",
            Invert => "invert",
            Second => "second",
            Identity => "identity",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            ArcSin => "arcsin",
            ArcCos => "arccos",
            ArcTan => "arctan",
            ArcTan2 => "arctan2",
            Sinh => "sinh",
            Cosh => "cosh",
            ArcSinh => "arcsinh",
            ArcCosh => "arccosh",
            ArcTanh => "arctanh",
            Exp2 => "exp2",
            Log2 => "log2",
            Log10 => "log10",
            Erf => "erf",
            Erfc => "erfc",
            Erfinv => "erfinv",
            Erfcinv => "erfcinv",
            Gamma => "gamma",
            GammaLn => "gammaln",
            Psi => "psi",
            TriGamma => "tri_gamma",
            Inv => "inv",
            Deg2Rad => "deg2rad",
            Rad2Deg => "rad2deg",
            Trunc => "trunc",
            Softsign => "softsign",
            UltraFastSigmoid => "ultra_fast_sigmoid",
            IsNan => "isnan",
            IsInf => "isinf",
            Cast(d) => return format!("Cast{{{d}}}"),
            Composite(c) => return c.to_string(),
        };
        s.to_string()
    }

    /// Theano 1.0's class of the scalar op (`Mul`, `TrueDiv`, `LT`, `ScalarSigmoid`,
    /// `Cast{float64}`): how Theano prints an instance made without a name, such as the ops of
    /// Elemwise nodes the optimizer puts in place (`Elemwise{Mul}[(0, 1)]`).
    pub fn class_name(&self) -> String {
        use ScalarOp::*;
        let s = match self {
            Add => "Add",
            Sub => "Sub",
            Mul => "Mul",
            TrueDiv => "TrueDiv",
            IntDiv => "IntDiv",
            Mod => "Mod",
            Pow => "Pow",
            Neg => "Neg",
            Exp => "Exp",
            Log => "Log",
            Log1p => "Log1p",
            Expm1 => "Expm1",
            Tanh => "Tanh",
            Sigmoid => "ScalarSigmoid",
            Softplus => "ScalarSoftplus",
            Abs => "Abs",
            Sgn => "Sgn",
            Floor => "Floor",
            Ceil => "Ceil",
            RoundHalfToEven => "RoundHalfToEven",
            RoundHalfAwayFromZero => "RoundHalfAwayFromZero",
            Sqr => "Sqr",
            Sqrt => "Sqrt",
            Maximum => "Maximum",
            Minimum => "Minimum",
            Clip => "Clip",
            Switch => "Switch",
            Gt => "GT",
            Lt => "LT",
            Ge => "GE",
            Le => "LE",
            Eq => "EQ",
            Neq => "NEQ",
            And => "AND",
            Or => "OR",
            Xor => "XOR",
            Invert => "Invert",
            Second => "Second",
            Identity => "Identity",
            Sin => "Sin",
            Cos => "Cos",
            Tan => "Tan",
            ArcSin => "ArcSin",
            ArcCos => "ArcCos",
            ArcTan => "ArcTan",
            ArcTan2 => "ArcTan2",
            Sinh => "Sinh",
            Cosh => "Cosh",
            ArcSinh => "ArcSinh",
            ArcCosh => "ArcCosh",
            ArcTanh => "ArcTanh",
            Exp2 => "Exp2",
            Log2 => "Log2",
            Log10 => "Log10",
            Erf => "Erf",
            Erfc => "Erfc",
            Erfinv => "Erfinv",
            Erfcinv => "Erfcinv",
            Gamma => "Gamma",
            GammaLn => "GammaLn",
            Psi => "Psi",
            TriGamma => "TriGamma",
            Inv => "Inv",
            Deg2Rad => "Deg2Rad",
            Rad2Deg => "Rad2Deg",
            Trunc => "Trunc",
            Softsign => "ScalarSoftsign",
            UltraFastSigmoid => "UltraFastScalarSigmoid",
            IsNan => "IsNan",
            IsInf => "IsInf",
            Cast(d) => return format!("Cast{{{d}}}"),
            Composite(c) => return c.to_string(),
        };
        s.to_string()
    }

    /// The name Theano 1.0's Composite printer gives the op: the scalar instance's name where
    /// Theano gives it one (`exp`, `sqr`, `scalar_sigmoid`), else its class (`LT`, `Switch`,
    /// `Abs`, `Cast{float64}`), e.g. `Composite{Switch(LT(i0, i1), sqr(i0), i1)}`.
    pub fn composite_name(&self) -> String {
        use ScalarOp::*;
        match self {
            Gt
            | Lt
            | Ge
            | Le
            | Eq
            | Neq
            | IsNan
            | IsInf
            | Switch
            | Or
            | Xor
            | And
            | Invert
            | Abs
            | RoundHalfToEven
            | RoundHalfAwayFromZero
            | Cast(_) => self.class_name(),
            Sigmoid => "scalar_sigmoid".into(),
            Softplus => "scalar_softplus".into(),
            Softsign => "scalar_softsign".into(),
            UltraFastSigmoid => "ultra_fast_scalar_sigmoid".into(),
            other => other.name(),
        }
    }

    /// Parse [`ScalarOp::name`] back.
    pub fn from_name(s: &str) -> Option<ScalarOp> {
        if let Some(d) = s.strip_prefix("Cast{").and_then(|r| r.strip_suffix('}')) {
            return DType::from_name(d).map(ScalarOp::Cast);
        }
        if s.starts_with("Composite{") {
            return Composite::parse(s).ok().map(ScalarOp::composite);
        }
        ScalarOp::ALL
            .into_iter()
            .find(|op| !matches!(op, ScalarOp::Cast(_)) && op.name() == s)
            .or_else(|| ScalarOp::from_theano_name(s))
    }

    /// Parse a [`ScalarOp::class_name`] or a [`ScalarOp::composite_name`] back.
    pub fn from_theano_name(s: &str) -> Option<ScalarOp> {
        if let Some(d) = s.strip_prefix("Cast{").and_then(|r| r.strip_suffix('}')) {
            return DType::from_name(d).map(ScalarOp::Cast);
        }
        ScalarOp::ALL.into_iter().find(|op| {
            !matches!(op, ScalarOp::Cast(_) | ScalarOp::Composite(_))
                && (op.class_name() == s || op.composite_name() == s)
        })
    }

    /// Number of inputs.
    pub fn arity(&self) -> usize {
        use ScalarOp::*;
        match self {
            Add | Sub | Mul | TrueDiv | IntDiv | Mod | Pow | Maximum | Minimum | Gt | Lt | Ge
            | Le | Eq | Neq | And | Or | Xor | Second | ArcTan2 => 2,
            Clip | Switch => 3,
            Composite(c) => c.n_inputs(),
            _ => 1,
        }
    }

    /// Whether `self` accepts any number (>= 2) of inputs, as Theano's add and mul do.
    pub fn is_variadic(&self) -> bool {
        matches!(self, ScalarOp::Add | ScalarOp::Mul)
    }

    fn rule(&self) -> OutRule {
        use ScalarOp::*;
        match self {
            Add | Sub | Mul | IntDiv | Mod | Pow | Maximum | Minimum | Neg | Abs | Sqr | Sgn
            | Identity | And | Or | Xor | Invert => OutRule::Upcast,
            TrueDiv => OutRule::TrueDiv,
            Exp
            | Log
            | Log1p
            | Expm1
            | Tanh
            | Sigmoid
            | Softplus
            | Sqrt
            | Floor
            | Ceil
            | RoundHalfToEven
            | RoundHalfAwayFromZero => OutRule::Float,
            Sin | Cos | Tan | ArcSin | ArcCos | ArcTan | ArcTan2 | Sinh | Cosh | ArcSinh
            | ArcCosh | ArcTanh | Exp2 | Log2 | Log10 | Erf | Erfc | Erfinv | Erfcinv | Gamma
            | GammaLn | Psi | TriGamma | Inv | Deg2Rad | Rad2Deg | Trunc | Softsign
            | UltraFastSigmoid => OutRule::Float,
            IsNan | IsInf => OutRule::Bool,
            Gt | Lt | Ge | Le | Eq | Neq => OutRule::Bool,
            Second => OutRule::Input(1),
            Clip => OutRule::Upcast,
            Switch => OutRule::Input(usize::MAX),
            Cast(d) => OutRule::Fixed(*d),
            Composite(_) => unreachable!("out_dtype handles composites first"),
        }
    }

    /// The output dtype for these input dtypes, or why they are refused.
    pub fn out_dtype(&self, ins: &[DType]) -> Result<DType, String> {
        use ScalarOp::*;
        if let Composite(c) = self {
            return c.out_dtype(ins);
        }
        let arity_ok = if self.is_variadic() {
            !ins.is_empty()
        } else {
            ins.len() == self.arity()
        };
        if !arity_ok {
            return Err(format!(
                "{} takes {} inputs, got {}",
                self.name(),
                self.arity(),
                ins.len()
            ));
        }
        if matches!(self, And | Or | Xor | Invert) {
            if let Some(d) = ins.iter().find(|d| d.is_float()) {
                return Err(format!(
                    "{} needs integer or bool inputs, got {d}",
                    self.name()
                ));
            }
        }
        let listed = || {
            ins.iter()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(" and ")
        };
        // Theano 1.0's BinaryBitOp: either all inputs are bool or all are integers; mixing a
        // bool with an integer is refused ("be all bools").
        if matches!(self, And | Or | Xor)
            && ins.iter().any(|d| d.is_bool())
            && !ins.iter().all(|d| d.is_bool())
        {
            return Err(format!(
                "{} needs all-integer or all-bool inputs, got {}",
                self.name(),
                listed()
            ));
        }
        let up = |xs: &[DType]| DType::upcast(xs).unwrap_or(DType::Float64);
        // uint64 with a signed int promotes to float64, which has no bitwise form
        if matches!(self, And | Or | Xor) && up(ins).is_float() {
            return Err(format!(
                "{} of {} promotes to {}, which has no bitwise form",
                self.name(),
                listed(),
                up(ins)
            ));
        }
        Ok(match self.rule() {
            OutRule::Upcast => up(ins),
            OutRule::Float => upgrade_to_float(up(ins)),
            // Theano 1.0's TrueDiv.output_types: when every input is discrete (int or bool)
            // the result is floatX (float64 by default), not always float64.
            OutRule::TrueDiv => {
                let d = up(ins);
                if d.is_float() {
                    d
                } else {
                    float_x()
                }
            }
            OutRule::Bool => DType::Bool,
            OutRule::Input(usize::MAX) => up(&ins[1..]),
            OutRule::Input(i) => ins[i],
            OutRule::Fixed(d) => d,
        })
    }

    /// Whether the op's output is differentiable with respect to a float input at all.
    pub fn is_comparison_or_logic(&self) -> bool {
        use ScalarOp::*;
        matches!(
            self,
            Gt | Lt | Ge | Le | Eq | Neq | And | Or | Xor | Invert | IsNan | IsInf
        )
    }

    /// The infix operator that `pp` prints, with Theano's precedence and associativity.
    pub fn infix(&self) -> Option<(&'static str, i32, Assoc)> {
        use ScalarOp::*;
        Some(match self {
            Add => ("+", -2, Assoc::Either),
            Sub => ("-", -2, Assoc::Left),
            Mul => ("*", -1, Assoc::Either),
            TrueDiv => ("/", -1, Assoc::Left),
            IntDiv => ("//", -1, Assoc::Left),
            Mod => ("%", -1, Assoc::Left),
            Pow => ("**", 1, Assoc::Right),
            Neg => ("-", 0, Assoc::Either),
            Invert => ("~", 0, Assoc::Either),
            Gt => (">", -5, Assoc::Left),
            Lt => ("<", -5, Assoc::Left),
            Ge => (">=", -5, Assoc::Left),
            Le => ("<=", -5, Assoc::Left),
            Eq => ("==", -5, Assoc::Left),
            Neq => ("!=", -5, Assoc::Left),
            And => ("&", -6, Assoc::Either),
            Xor => ("^", -7, Assoc::Either),
            Or => ("|", -8, Assoc::Either),
            _ => return None,
        })
    }

    /// The function name `pp` prints for non-infix ops: `fill` for second, `exp`, `abs_`...
    pub fn pp_name(&self) -> String {
        match self {
            ScalarOp::Second => "fill".into(),
            other => other.name(),
        }
    }
}

/// Operator associativity for the pretty printer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Assoc {
    Left,
    Right,
    Either,
}

/// Theano's `upgrade_to_float`: bool and the 8- and 16-bit ints go to float32, wider ints
/// to float64, floats stay.
pub fn upgrade_to_float(d: DType) -> DType {
    match d {
        DType::Bool | DType::UInt8 | DType::Int8 | DType::UInt16 | DType::Int16 => DType::Float32,
        DType::Int32 | DType::UInt32 | DType::Int64 | DType::UInt64 => DType::Float64,
        f => f,
    }
}

/// The dtype of a Python-float-like constant.
pub fn float_constant_dtype() -> DType {
    float_x()
}

impl fmt::Display for ScalarOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // streamed, so a writer that stops early stops the composite's printing too
            ScalarOp::Composite(c) => c.fmt(f),
            op => f.write_str(&op.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn names_round_trip() {
        for op in ScalarOp::ALL {
            assert_eq!(ScalarOp::from_name(&op.name()), Some(op.clone()), "{op}");
            assert_eq!(
                ScalarOp::from_name(&op.class_name()),
                Some(op.clone()),
                "{op}"
            );
            assert_eq!(
                ScalarOp::from_theano_name(&op.composite_name()),
                Some(op.clone()),
                "{op}"
            );
        }
    }

    #[test]
    fn dtype_rules() {
        assert_eq!(ScalarOp::Mul.out_dtype(&[Float64, Int8]), Ok(Float64));
        assert_eq!(ScalarOp::Add.out_dtype(&[Int64, Int32]), Ok(Int64));
        assert_eq!(ScalarOp::Exp.out_dtype(&[Int8]), Ok(Float32));
        assert_eq!(ScalarOp::Exp.out_dtype(&[Int32]), Ok(Float64));
        assert_eq!(ScalarOp::TrueDiv.out_dtype(&[Int32, Int32]), Ok(Float64));
        assert_eq!(ScalarOp::TrueDiv.out_dtype(&[Float32, Int8]), Ok(Float32));
        assert_eq!(ScalarOp::Gt.out_dtype(&[Float64, Float64]), Ok(Bool));
        assert_eq!(
            ScalarOp::Switch.out_dtype(&[Bool, Int8, Float32]),
            Ok(Float32)
        );
        assert_eq!(ScalarOp::Second.out_dtype(&[Float64, Float32]), Ok(Float32));
        assert!(ScalarOp::And.out_dtype(&[Float64, Bool]).is_err());
        assert!(ScalarOp::Exp.out_dtype(&[Float64, Bool]).is_err());
    }
}
