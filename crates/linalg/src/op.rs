//! The ops of Theano 1.0.5's `nlinalg` and `slinalg` as one [`CustomOp`]: [`Kind`] says which,
//! with its parameters; the op's name and parameters print as Theano's (`Cholesky{lower=True,
//! destructive=False, on_error='raise'}`) and parse back. Each kind is one shared op (interned),
//! so two nodes of the same kind over the same inputs merge, as Theano's equal ops do.

use crate::{grads, kernels};
use std::sync::Arc;
use theano_ir::params::Params;
use theano_ir::{CustomOp, Op, OpTable, ShapeDim, TensorType, Variable};
use theano_tensor::{DType, Tensor};

/// `Solve`'s `A_structure`: how the matrix is read (`general` and `symmetric` solve by LU,
/// as SciPy's `solve`; the triangular ones read one triangle only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Structure {
    General,
    Symmetric,
    LowerTriangular,
    UpperTriangular,
}

impl Structure {
    pub fn name(self) -> &'static str {
        match self {
            Structure::General => "general",
            Structure::Symmetric => "symmetric",
            Structure::LowerTriangular => "lower_triangular",
            Structure::UpperTriangular => "upper_triangular",
        }
    }
    fn parse(s: &str) -> Option<Structure> {
        [
            Structure::General,
            Structure::Symmetric,
            Structure::LowerTriangular,
            Structure::UpperTriangular,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// `qr`'s `mode` (NumPy's; `raw`, LAPACK's Householder reflectors, is not offered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QrMode {
    /// `q` (M, K) and `r` (K, N), K = min(M, N)
    Reduced,
    /// `q` (M, M) and `r` (M, N)
    Complete,
    /// `r` (K, N) only (Theano's `QRIncomplete`)
    R,
}

impl QrMode {
    pub fn name(self) -> &'static str {
        match self {
            QrMode::Reduced => "reduced",
            QrMode::Complete => "complete",
            QrMode::R => "r",
        }
    }
}

/// `TensorSolve`'s `axes`: up to 8 axes of `a` moved to the end (NumPy's `tensorsolve`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Axes {
    len: u8,
    v: [i8; 8],
}

impl Axes {
    /// The axes, or `None` for more than 8 or one outside `-128..128`.
    pub fn new(axes: &[i64]) -> Option<Axes> {
        if axes.len() > 8 {
            return None;
        }
        let mut v = [0i8; 8];
        for (d, &a) in v.iter_mut().zip(axes) {
            *d = i8::try_from(a).ok()?;
        }
        Some(Axes {
            len: axes.len() as u8,
            v,
        })
    }
    pub fn as_vec(&self) -> Vec<i64> {
        self.v[..self.len as usize]
            .iter()
            .map(|&a| a as i64)
            .collect()
    }
}

/// Which linear-algebra op, with its parameters (Theano's `__props__`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `nlinalg.MatrixInverse`: `inv(x)`.
    MatrixInverse,
    /// `nlinalg.MatrixPinv`: the Moore-Penrose pseudo-inverse (NumPy's cutoff, 1e-15 of the
    /// largest singular value).
    MatrixPinv,
    /// `nlinalg.Det`: the determinant.
    Det,
    /// `nlinalg.Eig`: eigenvalues and right eigenvectors, real parts (as Theano's `astype`).
    Eig,
    /// `nlinalg.Eigh{UPLO}`: a symmetric matrix's ascending eigenvalues and eigenvectors,
    /// read from its lower (`lower`) or upper triangle.
    Eigh { lower: bool },
    /// `nlinalg.EighGrad{UPLO}`: the gradient of `Eigh`.
    EighGrad { lower: bool },
    /// `nlinalg.QRFull{mode}` / `QRIncomplete{mode='r'}`.
    Qr { mode: QrMode },
    /// `nlinalg.SVD{full_matrices, compute_uv}`: `u, s, vt` (or `s`), `s` descending.
    Svd {
        full_matrices: bool,
        compute_uv: bool,
    },
    /// `slinalg.Cholesky{lower, destructive=False, on_error}`: the lower (or upper) factor of
    /// a positive-definite matrix; `nan_on_error` gives a matrix of NaN where it is not.
    Cholesky { lower: bool, nan_on_error: bool },
    /// `slinalg.Solve{A_structure, lower, overwrite_A=False, overwrite_b=False}`: `A x = b`.
    Solve { structure: Structure, lower: bool },
    /// `slinalg.Eigvalsh{lower}`: the ascending eigenvalues of `a x = w b x`.
    Eigvalsh { lower: bool },
    /// `slinalg.EigvalshGrad{lower}`: its gradient with respect to `a` and `b`.
    EigvalshGrad { lower: bool },
    /// `slinalg.Expm`: the matrix exponential.
    Expm,
    /// `slinalg.ExpmGrad`: its gradient.
    ExpmGrad,
    /// `nlinalg.lstsq`: NumPy's least squares `(x, residuals, rank, s)` of `(a, b, rcond)`.
    Lstsq,
    /// `nlinalg.TensorInv{ind}`: NumPy's `tensorinv`.
    TensorInv { ind: usize },
    /// `nlinalg.TensorSolve{axes}`: NumPy's `tensorsolve`.
    TensorSolve { axes: Option<Axes> },
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

impl Kind {
    /// Theano's class name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::MatrixInverse => "MatrixInverse",
            Kind::MatrixPinv => "MatrixPinv",
            Kind::Det => "Det",
            Kind::Eig => "Eig",
            Kind::Eigh { .. } => "Eigh",
            Kind::EighGrad { .. } => "EighGrad",
            Kind::Qr { mode: QrMode::R } => "QRIncomplete",
            Kind::Qr { .. } => "QRFull",
            Kind::Svd { .. } => "SVD",
            Kind::Cholesky { .. } => "Cholesky",
            Kind::Solve { .. } => "Solve",
            Kind::Eigvalsh { .. } => "Eigvalsh",
            Kind::EigvalshGrad { .. } => "EigvalshGrad",
            Kind::Expm => "Expm",
            Kind::ExpmGrad => "ExpmGrad",
            Kind::Lstsq => "lstsq",
            Kind::TensorInv { .. } => "TensorInv",
            Kind::TensorSolve { .. } => "TensorSolve",
        }
    }

    /// The parameters as Theano prints them (`%r` of each of `__props__`).
    pub fn params(self) -> String {
        match self {
            Kind::Eigh { lower } | Kind::EighGrad { lower } => {
                format!("UPLO='{}'", if lower { "L" } else { "U" })
            }
            Kind::Qr { mode } => format!("mode='{}'", mode.name()),
            // nlinalg.svd passes 1 and 0, which Theano prints as such
            Kind::Svd {
                full_matrices,
                compute_uv,
            } => format!(
                "full_matrices={}, compute_uv={}",
                full_matrices as u8, compute_uv as u8
            ),
            Kind::Cholesky {
                lower,
                nan_on_error,
            } => format!(
                "lower={}, destructive=False, on_error='{}'",
                py_bool(lower),
                if nan_on_error { "nan" } else { "raise" }
            ),
            Kind::Solve { structure, lower } => format!(
                "A_structure='{}', lower={}, overwrite_A=False, overwrite_b=False",
                structure.name(),
                py_bool(lower)
            ),
            Kind::Eigvalsh { lower } | Kind::EigvalshGrad { lower } => {
                format!("lower={}", py_bool(lower))
            }
            Kind::TensorInv { ind } => format!("ind={ind}"),
            Kind::TensorSolve { axes: None } => "axes=None".into(),
            Kind::TensorSolve { axes: Some(a) } => {
                let v: Vec<String> = a.as_vec().iter().map(|x| x.to_string()).collect();
                if v.len() == 1 {
                    format!("axes=({},)", v[0])
                } else {
                    format!("axes=({})", v.join(", "))
                }
            }
            _ => String::new(),
        }
    }

    /// The kind named `name` with parameters `params` (the text form [`Kind::params`] writes).
    pub fn parse(name: &str, params: &str) -> Result<Kind, String> {
        if name == "TensorSolve" {
            // `axes=(0, 1)`: the tuple holds commas, so it is read before the key=value list
            return parse_tensorsolve(name, params);
        }
        let p = Params::parse(name, params)?;
        let uplo = || match p.string("UPLO", "L")? {
            "L" => Ok(true),
            "U" => Ok(false),
            v => Err(format!("{name}: UPLO must be 'L' or 'U', got {v}")),
        };
        let (kind, known): (Kind, &[&str]) = match name {
            "MatrixInverse" => (Kind::MatrixInverse, &[]),
            "MatrixPinv" => (Kind::MatrixPinv, &[]),
            "Det" => (Kind::Det, &[]),
            "Eig" => (Kind::Eig, &[]),
            "Eigh" => (Kind::Eigh { lower: uplo()? }, &["UPLO"]),
            "EighGrad" => (Kind::EighGrad { lower: uplo()? }, &["UPLO"]),
            "QRFull" | "QRIncomplete" => {
                let mode = match p.string("mode", "reduced")? {
                    "reduced" => QrMode::Reduced,
                    "complete" => QrMode::Complete,
                    "r" => QrMode::R,
                    m => {
                        return Err(format!(
                            "{name}: mode must be reduced, complete or r, got {m}"
                        ))
                    }
                };
                if (mode == QrMode::R) != (name == "QRIncomplete") {
                    return Err(format!("{name} cannot have mode '{}'", mode.name()));
                }
                (Kind::Qr { mode }, &["mode"])
            }
            "SVD" => (
                Kind::Svd {
                    full_matrices: p.flag("full_matrices", true)?,
                    compute_uv: p.flag("compute_uv", true)?,
                },
                &["full_matrices", "compute_uv"],
            ),
            "Cholesky" => (
                Kind::Cholesky {
                    lower: p.flag("lower", true)?,
                    nan_on_error: match p.string("on_error", "raise")? {
                        "raise" => false,
                        "nan" => true,
                        v => {
                            return Err(format!(
                                "{name}: on_error must be 'raise' or 'nan', got {v}"
                            ))
                        }
                    },
                },
                &["lower", "destructive", "on_error"],
            ),
            "Solve" => {
                let s = p.string("A_structure", "general")?;
                let structure = Structure::parse(s)
                    .ok_or_else(|| format!("{name}: unknown A_structure {s}"))?;
                (
                    Kind::Solve {
                        structure,
                        lower: p.flag("lower", false)?,
                    },
                    &["A_structure", "lower", "overwrite_A", "overwrite_b"],
                )
            }
            "Eigvalsh" => (
                Kind::Eigvalsh {
                    lower: p.flag("lower", true)?,
                },
                &["lower"],
            ),
            "EigvalshGrad" => (
                Kind::EigvalshGrad {
                    lower: p.flag("lower", true)?,
                },
                &["lower"],
            ),
            "Expm" => (Kind::Expm, &[]),
            "ExpmGrad" => (Kind::ExpmGrad, &[]),
            "lstsq" => (Kind::Lstsq, &[]),
            "TensorInv" => {
                let ind = p.int("ind", Some(2))?.unwrap_or(2);
                let ind = usize::try_from(ind)
                    .map_err(|_| format!("{name}: ind must be >= 0, got {ind}"))?;
                (Kind::TensorInv { ind }, &["ind"])
            }
            _ => return Err(format!("{name} is not a linear-algebra op")),
        };
        p.only(known)?;
        for k in ["destructive", "overwrite_A", "overwrite_b"] {
            if p.flag(k, false)? {
                return Err(format!(
                    "{name}: {k}=True is not offered (the op never overwrites its inputs)"
                ));
            }
        }
        Ok(kind)
    }

    fn n_outputs(self) -> usize {
        match self {
            Kind::Eig | Kind::Eigh { .. } | Kind::EigvalshGrad { .. } => 2,
            Kind::Qr { mode: QrMode::R } => 1,
            Kind::Qr { .. } => 2,
            Kind::Svd {
                compute_uv: true, ..
            } => 3,
            Kind::Lstsq => 4,
            _ => 1,
        }
    }
}

fn parse_tensorsolve(name: &str, params: &str) -> Result<Kind, String> {
    let text = params.trim();
    let axes = match text.strip_prefix("axes=") {
        None if text.is_empty() => None,
        Some("None") => None,
        Some(t) => {
            let inner = t
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .ok_or_else(|| format!("{name}: axes must be None or a tuple"))?;
            let v: Vec<i64> = inner
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| a.parse().map_err(|_| format!("{name}: bad axis `{a}`")))
                .collect::<Result<_, _>>()?;
            Some(Axes::new(&v).ok_or_else(|| format!("{name}: at most 8 small axes"))?)
        }
        None => return Err(format!("{name}'s parameter is axes=..., got `{text}`")),
    };
    Ok(Kind::TensorSolve { axes })
}

/// All the names [`Kind::name`] gives (the text parser's registrations).
pub(crate) const NAMES: [&str; 18] = [
    "MatrixInverse",
    "MatrixPinv",
    "Det",
    "Eig",
    "Eigh",
    "EighGrad",
    "QRFull",
    "QRIncomplete",
    "SVD",
    "Cholesky",
    "Solve",
    "Eigvalsh",
    "EigvalshGrad",
    "Expm",
    "ExpmGrad",
    "lstsq",
    "TensorInv",
    "TensorSolve",
];

/// The op of one [`Kind`].
#[derive(Debug)]
pub struct LinalgOp {
    pub kind: Kind,
}

/// The shared op of `kind` (one per kind, so equal ops merge).
pub fn op(kind: Kind) -> Op {
    static OPS: OpTable<Kind> = OpTable::new();
    crate::register_ops();
    OPS.get(kind, || Arc::new(LinalgOp { kind }))
}

/// The text form's parser of every name in [`NAMES`].
pub(crate) fn parse_op(name: &str, params: &str) -> Result<Arc<dyn CustomOp>, String> {
    match op(Kind::parse(name, params)?) {
        Op::Custom(c) => Ok(c.0),
        _ => unreachable!("op() gives a custom op"),
    }
}

fn is_float(t: &TensorType) -> bool {
    matches!(t.dtype, DType::Float32 | DType::Float64)
}

/// The type check every input of these ops passes: a float32 or float64 tensor of `ndim`
/// dimensions (integers are refused: Theano's results for them are truncations or type
/// errors).
fn float_of(op: &str, what: &str, t: &TensorType, ndims: &[usize]) -> Result<(), String> {
    let rank = match ndims {
        [1] => "vector",
        [2] => "matrix",
        _ => "vector or matrix",
    };
    if !ndims.contains(&t.ndim()) || !is_float(t) {
        return Err(format!(
            "{op} expects {what} to be a float32 or float64 {rank}, got {t}"
        ));
    }
    Ok(())
}

fn upcast(ts: &[&TensorType]) -> DType {
    if ts.iter().all(|t| t.dtype == DType::Float32) {
        DType::Float32
    } else {
        DType::Float64
    }
}

fn vector(d: DType) -> TensorType {
    TensorType::vector(d)
}
fn matrix(d: DType) -> TensorType {
    TensorType::matrix(d)
}

impl LinalgOp {
    fn types(&self, ins: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let name = self.kind.name();
        let arity = |n: usize, names: &str| {
            if ins.len() == n {
                Ok(())
            } else {
                Err(format!(
                    "{name} takes {n} inputs ({names}), got {}",
                    ins.len()
                ))
            }
        };
        let m = |i: usize, what: &str| float_of(name, what, &ins[i], &[2]);
        let v = |i: usize, what: &str| float_of(name, what, &ins[i], &[1]);
        Ok(match self.kind {
            Kind::MatrixInverse | Kind::MatrixPinv | Kind::Cholesky { .. } | Kind::Expm => {
                arity(1, "x")?;
                m(0, "x")?;
                vec![ins[0]]
            }
            Kind::Det => {
                arity(1, "x")?;
                m(0, "x")?;
                vec![TensorType::scalar(ins[0].dtype)]
            }
            Kind::Eig | Kind::Eigh { .. } => {
                arity(1, "x")?;
                m(0, "x")?;
                vec![vector(ins[0].dtype), matrix(ins[0].dtype)]
            }
            Kind::EighGrad { .. } => {
                arity(5, "x, w, v, gw, gv")?;
                m(0, "x")?;
                v(1, "w")?;
                m(2, "v")?;
                v(3, "gw")?;
                m(4, "gv")?;
                vec![matrix(upcast(&ins.iter().collect::<Vec<_>>()))]
            }
            Kind::Qr { mode } => {
                arity(1, "x")?;
                m(0, "x")?;
                let d = matrix(ins[0].dtype);
                if mode == QrMode::R {
                    vec![d]
                } else {
                    vec![d, d]
                }
            }
            Kind::Svd { compute_uv, .. } => {
                arity(1, "x")?;
                m(0, "x")?;
                let d = ins[0].dtype;
                if compute_uv {
                    vec![matrix(d), vector(d), matrix(d)]
                } else {
                    vec![vector(d)]
                }
            }
            Kind::Solve { .. } => {
                arity(2, "A, b")?;
                let (a, b) = (&ins[0], &ins[1]);
                if a.ndim() != 2 || !(a.dtype.is_float() || a.dtype.is_int()) {
                    return Err(format!("{name} expects A to be a numeric matrix, got {a}"));
                }
                if !matches!(b.ndim(), 1 | 2) || !(b.dtype.is_float() || b.dtype.is_int()) {
                    return Err(format!(
                        "{name} expects b to be a numeric vector or matrix, got {b}"
                    ));
                }
                // SciPy's `solve` of two (1, 1) matrices of these dtypes (Theano's probe)
                let d = if a.dtype == DType::Float32 && b.dtype == DType::Float32 {
                    DType::Float32
                } else {
                    DType::Float64
                };
                vec![TensorType::new(d, &b.broadcastable()).map_err(|e| e.to_string())?]
            }
            Kind::Eigvalsh { .. } => {
                arity(2, "a, b")?;
                m(0, "a")?;
                m(1, "b")?;
                vec![vector(upcast(&[&ins[0], &ins[1]]))]
            }
            Kind::EigvalshGrad { .. } => {
                arity(3, "a, b, gw")?;
                m(0, "a")?;
                m(1, "b")?;
                v(2, "gw")?;
                let d = matrix(upcast(&[&ins[0], &ins[1], &ins[2]]));
                vec![d, d]
            }
            Kind::ExpmGrad => {
                arity(2, "A, gA")?;
                m(0, "A")?;
                m(1, "gA")?;
                vec![matrix(ins[0].dtype)]
            }
            Kind::Lstsq => {
                arity(3, "a, b, rcond")?;
                m(0, "a")?;
                float_of(name, "b", &ins[1], &[1, 2])?;
                if ins[2].ndim() != 0 || !(ins[2].dtype.is_float() || ins[2].dtype.is_int()) {
                    return Err(format!(
                        "{name} expects rcond to be a number, got {}",
                        ins[2]
                    ));
                }
                // Theano declares a floatX matrix, a dvector, an lscalar and a dvector; x
                // here has b's rank (a vector b gives a vector x, which Theano's type
                // refuses)
                let x = TensorType::with_ndim(upcast(&[&ins[0], &ins[1]]), ins[1].ndim())
                    .map_err(|e| e.to_string())?;
                vec![
                    x,
                    vector(DType::Float64),
                    TensorType::scalar(DType::Int64),
                    vector(DType::Float64),
                ]
            }
            Kind::TensorInv { .. } => {
                arity(1, "a")?;
                if !is_float(&ins[0]) {
                    return Err(format!(
                        "{name} expects a float32 or float64 tensor, got {}",
                        ins[0]
                    ));
                }
                vec![TensorType::with_ndim(ins[0].dtype, ins[0].ndim())
                    .map_err(|e| e.to_string())?]
            }
            Kind::TensorSolve { axes } => {
                arity(2, "a, b")?;
                let (a, b) = (&ins[0], &ins[1]);
                if !is_float(a) || !is_float(b) || a.ndim() < b.ndim() {
                    return Err(format!(
                        "{name} expects float tensors a and b with a of at least b's \
                         dimensions, got {a} and {b}"
                    ));
                }
                if let Some(ax) = axes {
                    if ax
                        .as_vec()
                        .iter()
                        .any(|&x| x < -(a.ndim() as i64) || x >= a.ndim() as i64)
                    {
                        return Err(format!(
                            "{name}: axes {:?} out of range for {a}",
                            ax.as_vec()
                        ));
                    }
                }
                // the solution has a's trailing axes (Theano declares a matrix whatever
                // their number)
                vec![TensorType::with_ndim(upcast(&[a, b]), a.ndim() - b.ndim())
                    .map_err(|e| e.to_string())?]
            }
        })
    }
}

impl CustomOp for LinalgOp {
    fn name(&self) -> String {
        self.kind.name().into()
    }
    fn params(&self) -> String {
        self.kind.params()
    }
    fn n_outputs(&self) -> usize {
        self.kind.n_outputs()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        self.types(inputs)
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        grads::grad(self.kind, inputs, outputs, output_grads)
    }
    fn rop(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        grads::rop(self.kind, inputs, outputs, eval_points)
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        let of = |input, axis| ShapeDim::Of { input, axis };
        let same = |i| ShapeDim::all_of(i, 2);
        Some(match self.kind {
            Kind::MatrixInverse
            | Kind::Cholesky { .. }
            | Kind::Expm
            | Kind::ExpmGrad
            | Kind::EighGrad { .. } => vec![same(0)],
            Kind::MatrixPinv => vec![vec![of(0, 1), of(0, 0)]],
            Kind::Det => vec![vec![]],
            Kind::Eig | Kind::Eigh { .. } => vec![vec![of(0, 0)], same(0)],
            Kind::Qr {
                mode: QrMode::Complete,
            } => vec![vec![of(0, 0), of(0, 0)], same(0)],
            // the other QR and SVD shapes take min(M, N), which a ShapeDim cannot say: read
            // from the values
            Kind::Qr { .. } | Kind::Svd { .. } => return None,
            // Theano's: the rows of x are A's columns
            Kind::Solve { .. } => {
                if input_ndims.get(1) == Some(&1) {
                    vec![vec![of(0, 1)]]
                } else {
                    vec![vec![of(0, 1), of(1, 1)]]
                }
            }
            Kind::Eigvalsh { .. } => vec![vec![of(0, 0)]],
            Kind::EigvalshGrad { .. } => vec![same(0), same(1)],
            // Theano's: the trailing axes, then the leading ones
            Kind::TensorInv { ind } => {
                let n = input_ndims[0];
                if ind > n {
                    return None;
                }
                vec![(ind..n).chain(0..ind).map(|a| of(0, a)).collect()]
            }
            // rank and residuals depend on the values
            Kind::Lstsq | Kind::TensorSolve { .. } => return None,
        })
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(kernels::perform(self.kind, inputs))
    }
}
