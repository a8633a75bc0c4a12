//! Theano's `theano.printing.Print`: an op whose output is its input and which, each time it
//! runs, shows attributes of the value passing through, one line each, as Theano's
//! `_print_fn` does (`print(message, attr, '=', value)`): `hello __str__ = [1.  2.  3.5]`.
//! The line goes to standard output, or to the function given as `global_fn`.
//!
//! A `Print` node stays in the graph as long as something reads its output (as in Theano:
//! print an intermediate value by using the printed variable in its place); the optimizer
//! never folds it, and every backend runs it through the interpreter.

use crate::op::{register_custom_op, CustomOp, CustomRef, Op, ShapeDim};
use crate::tensor::IntoVar;
use crate::types::TensorType;
use crate::var::Variable;
use crate::{GraphError, Result};
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use theano_tensor::{numpy_sum, py_tuple, DType, Tensor};

pub(crate) const NAME: &str = "Print";

/// The attributes of the value `Print` can show (NumPy's `ndarray` attributes and methods
/// Theano's `_print_fn` reads with `getattr`).
pub const ATTRS: [&str; 13] = [
    "__str__", "__repr__", "shape", "dtype", "ndim", "size", "min", "max", "argmin", "argmax",
    "sum", "mean", "std",
];

/// Where the lines go: a name (printed in the op's parameters) and the function.
#[derive(Clone)]
struct Sink {
    name: String,
    f: Arc<dyn Fn(&str) + Send + Sync>,
}

/// `theano.printing.Print(message, attrs, global_fn)`: `Print::new("hello").apply(&x)?` is
/// Theano's `Print('hello')(x)`.
#[derive(Clone)]
pub struct Print {
    message: String,
    attrs: Vec<&'static str>,
    sink: Option<Sink>,
}

impl fmt::Debug for Print {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.params())
    }
}

/// Python's `repr` of a string (single quotes unless the text holds one and no double one).
fn py_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// The Python string literal at the start of `s` and the rest of `s`.
fn parse_py_str(s: &str) -> std::result::Result<(String, &str), String> {
    let mut chars = s.char_indices();
    let q = match chars.next() {
        Some((_, c @ ('\'' | '"'))) => c,
        _ => return Err(format!("expected a quoted string at `{s}`")),
    };
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            out.push(match c {
                'n' => '\n',
                't' => '\t',
                c => c,
            });
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == q {
            return Ok((out, &s[i + 1..]));
        } else {
            out.push(c);
        }
    }
    Err(format!("unterminated string in `{s}`"))
}

impl Print {
    /// `Print(message)`: shows `__str__` (NumPy's `str` of the value) on standard output.
    pub fn new(message: &str) -> Print {
        Print {
            message: message.into(),
            attrs: vec!["__str__"],
            sink: None,
        }
    }

    /// The attributes to show, in order (each one of [`ATTRS`]; others are refused, naming
    /// them).
    #[track_caller]
    pub fn attrs(mut self, attrs: &[&str]) -> Result<Print> {
        let mut v = Vec::with_capacity(attrs.len());
        for a in attrs {
            match ATTRS.iter().find(|k| *k == a) {
                Some(k) => v.push(*k),
                None => {
                    return Err(GraphError::new(
                        NAME,
                        vec![],
                        format!(
                            "attrs: '{a}' is not an attribute Print can show (one of {})",
                            ATTRS.join(", ")
                        ),
                        Location::caller(),
                    ))
                }
            }
        }
        self.attrs = v;
        Ok(self)
    }

    /// Theano's `global_fn`: each line goes to `f` instead of standard output; `name` is
    /// how the op's parameters name it (`global_fn=<function name>`).
    pub fn global_fn(mut self, name: &str, f: impl Fn(&str) + Send + Sync + 'static) -> Print {
        self.sink = Some(Sink {
            name: name.into(),
            f: Arc::new(f),
        });
        self
    }

    /// The op applied to `x`: a variable of `x`'s type, equal to `x`.
    #[track_caller]
    pub fn apply(&self, x: impl IntoVar) -> Result<Variable> {
        let op = Op::Custom(CustomRef(Arc::new(self.clone())));
        Ok(crate::tensor::apply_op(op, vec![x.into_var()])?.remove(0))
    }

    /// The lines this op shows for `x`.
    pub fn lines(&self, x: &Tensor) -> std::result::Result<Vec<String>, String> {
        self.attrs
            .iter()
            .map(|a| Ok(format!("{} {a} = {}", self.message, attr(x, a)?)))
            .collect()
    }
}

/// A NumPy scalar's `str`, for an element of `dtype`.
fn scalar_str(v: f64, dtype: DType) -> String {
    Tensor::scalar(v).cast(dtype).to_numpy_str()
}

/// Float operations in one precision (NumPy's for a float32 array's `mean` and `std`).
trait Flt: Copy + Default + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> {
    fn of(v: f64) -> Self;
    fn f64(self) -> f64;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
}
macro_rules! flt {
    ($t:ty) => {
        impl Flt for $t {
            fn of(v: f64) -> Self {
                v as $t
            }
            fn f64(self) -> f64 {
                self as f64
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            fn div(self, o: Self) -> Self {
                self / o
            }
        }
    };
}
flt!(f32);
flt!(f64);

/// NumPy's `mean` and `std` (pairwise sums, the deviations squared and summed again).
fn mean_std<T: Flt>(v: &[T]) -> (T, T) {
    let n = T::of(v.len() as f64);
    let mean = numpy_sum(v).div(n);
    let sq: Vec<T> = v
        .iter()
        .map(|&x| {
            let d = x - mean;
            d.mul(d)
        })
        .collect();
    let var = numpy_sum(&sq).div(n);
    (mean, T::of(var.f64().sqrt()))
}

/// The value of attribute `a` of `x`, as Python's `print` shows it.
fn attr(x: &Tensor, a: &str) -> std::result::Result<String, String> {
    let d = x.dtype();
    let n = x.len();
    let empty = |what: &str| {
        if n == 0 {
            Err(format!(
                "ValueError: zero-size array to reduction operation {what} which has no identity"
            ))
        } else {
            Ok(())
        }
    };
    let vals = || x.to_f64_vec();
    // the first index of the extreme (NaN first, as NumPy's), and the extreme
    let pick = |max: bool| -> (usize, f64) {
        let v = vals();
        if let Some(i) = v.iter().position(|x| x.is_nan()) {
            return (i, f64::NAN);
        }
        let mut best = 0;
        for (i, &x) in v.iter().enumerate() {
            if (max && x > v[best]) || (!max && x < v[best]) {
                best = i;
            }
        }
        (best, v[best])
    };
    Ok(match a {
        "__str__" => x.to_numpy_str(),
        "__repr__" => x.to_numpy_repr(),
        "shape" => py_tuple(x.shape()),
        "dtype" => d.to_string(),
        "ndim" => x.ndim().to_string(),
        "size" => n.to_string(),
        "min" | "max" => {
            empty(if a == "min" { "minimum" } else { "maximum" })?;
            scalar_str(pick(a == "max").1, d)
        }
        "argmin" | "argmax" => {
            if n == 0 {
                return Err(format!(
                    "ValueError: attempt to get {a} of an empty sequence"
                ));
            }
            pick(a == "argmax").0.to_string()
        }
        "sum" => match d {
            DType::Float32 => {
                let v: Vec<f32> = vals().iter().map(|&x| x as f32).collect();
                scalar_str(f64::from(numpy_sum(&v)), d)
            }
            DType::Float64 => scalar_str(numpy_sum(&vals()), d),
            // integers and bools sum as NumPy's default integer (wrapping)
            _ if d.is_unsigned() => x
                .to_i64_vec()
                .iter()
                .fold(0u64, |s, &v| s.wrapping_add(v as u64))
                .to_string(),
            _ => x
                .to_i64_vec()
                .iter()
                .fold(0i64, |s, &v| s.wrapping_add(v))
                .to_string(),
        },
        "mean" | "std" => {
            if n == 0 {
                return Ok("nan".into());
            }
            let (m, s) = if d == DType::Float32 {
                let v: Vec<f32> = vals().iter().map(|&x| x as f32).collect();
                let (m, s) = mean_std(&v);
                (f64::from(m), f64::from(s))
            } else {
                mean_std(&vals())
            };
            let out = if d == DType::Float32 {
                d
            } else {
                DType::Float64
            };
            scalar_str(if a == "mean" { m } else { s }, out)
        }
        _ => return Err(format!("Print cannot show attribute {a}")),
    })
}

impl CustomOp for Print {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        let attrs: Vec<String> = self.attrs.iter().map(|a| py_repr(a)).collect();
        let tuple = if attrs.len() == 1 {
            format!("({},)", attrs[0])
        } else {
            format!("({})", attrs.join(", "))
        };
        let f = self.sink.as_ref().map_or("_print_fn", |s| &s.name);
        format!(
            "message={}, attrs={tuple}, global_fn=<function {f}>",
            py_repr(&self.message)
        )
    }
    fn infer_types(&self, inputs: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        match inputs {
            [x] => Ok(vec![*x]),
            _ => Err(format!("{NAME} takes 1 input, got {}", inputs.len())),
        }
    }
    fn grad(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![output_grads[0].clone()]))
    }
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![eval_points[0].clone()]))
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<ShapeDim>>> {
        Some(vec![ShapeDim::all_of(0, input_ndims[0])])
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        let x = inputs[0];
        Some(self.lines(x).map(|lines| {
            for l in lines {
                match &self.sink {
                    Some(s) => (s.f)(&l),
                    None => println!("{l}"),
                }
            }
            vec![x.clone()]
        }))
    }
}

/// Reads `message=..., attrs=(...), global_fn=<function _print_fn>` back (a `global_fn` of
/// the user's cannot be: its function is not in the text).
fn parse(params: &str) -> std::result::Result<Arc<dyn CustomOp>, String> {
    let rest = params
        .trim()
        .strip_prefix("message=")
        .ok_or("Print's parameters start with message=")?;
    let (message, rest) = parse_py_str(rest)?;
    let rest = rest
        .strip_prefix(", attrs=(")
        .ok_or("Print's second parameter is attrs=(...)")?;
    let close = rest.find(')').ok_or("unterminated attrs")?;
    let mut names = Vec::new();
    let mut list = rest[..close].trim();
    while !list.is_empty() {
        let (a, r) = parse_py_str(list)?;
        names.push(a);
        list = r.trim_start_matches(',').trim();
    }
    let f = rest[close + 1..]
        .strip_prefix(", global_fn=<function ")
        .and_then(|r| r.strip_suffix('>'))
        .ok_or("Print's third parameter is global_fn=<function name>")?;
    if f != "_print_fn" {
        return Err(format!(
            "Print's global_fn {f} cannot be read back from text (only the default _print_fn)"
        ));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let p = Print::new(&message)
        .attrs(&refs)
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(p))
}

/// Registers `Print`'s text-form parser.
pub fn register() {
    register_custom_op(NAME, |_, params| parse(params));
}
