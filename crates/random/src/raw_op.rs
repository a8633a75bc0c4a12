//! `RandomFunction`, the op of Theano's `raw_random`: it draws from a NumPy legacy
//! `RandomState` (here a `uint32` state vector, see [`crate::mt`]) and has two outputs, the
//! state after drawing and the samples. Inputs: the state, the size (an integer vector;
//! empty: the parameters' broadcast shape) and the distribution's parameters, which
//! broadcast against the size as NumPy broadcasts them.
//!
//! It prints as `RandomFunction{uniform}` followed by its output type (Theano prints only
//! the function's name; the type is what lets the text form parse back), e.g.
//! `RandomFunction{uniform,TensorType(float64, matrix)}`.

use crate::mt::{RandomState, STATE_LEN};
use crate::op::sample_buffer;
use crate::type_text;
use std::sync::{Arc, Once};
use theano_ir::{register_custom_op, CustomOp, CustomRef, Op, TensorType, Variable};
use theano_tensor::{DType, Tensor};

/// The op's name, as Theano's class.
pub const NAME: &str = "RandomFunction";

/// The type of a state: a `uint32` vector.
pub fn state_type() -> TensorType {
    TensorType::with_ndim(DType::UInt32, 1).expect("a vector type")
}

/// What a `RandomFunction` draws (Theano's `fn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dist {
    /// `uniform(low, high)`
    Uniform,
    /// `normal(avg, std)`
    Normal,
    /// `binomial(n, p)`
    Binomial,
    /// `random_integers_helper(low, high)`: `randint(low, high + 1)`, one element at a time
    RandomIntegers,
    /// `permutation_helper(n)`: a permutation of `0..n` per element of the size
    Permutation,
}

impl Dist {
    /// Theano's name of the function (what the op prints).
    pub fn fn_name(self) -> &'static str {
        match self {
            Dist::Uniform => "uniform",
            Dist::Normal => "normal",
            Dist::Binomial => "binomial",
            Dist::RandomIntegers => "random_integers_helper",
            Dist::Permutation => "permutation_helper",
        }
    }
    fn from_name(s: &str) -> Option<Dist> {
        [
            Dist::Uniform,
            Dist::Normal,
            Dist::Binomial,
            Dist::RandomIntegers,
            Dist::Permutation,
        ]
        .into_iter()
        .find(|d| d.fn_name() == s)
    }
    fn n_params(self) -> usize {
        match self {
            Dist::Permutation => 1,
            _ => 2,
        }
    }
    /// Dimensions each draw adds after the size's (a permutation's length).
    fn ndim_added(self) -> usize {
        usize::from(self == Dist::Permutation)
    }
}

/// One `RandomFunction`: a distribution and the samples' type.
#[derive(Debug)]
pub struct RandomFunction {
    dist: Dist,
    dtype: DType,
    broadcastable: Vec<bool>,
}

static REGISTER: Once = Once::new();

/// Registers the IR text parser of `RandomFunction` (done by the first
/// [`random_function_op`]).
pub fn register_ops() {
    REGISTER.call_once(|| register_custom_op(NAME, parse));
}

/// A new `RandomFunction` drawing `dist` as `dtype` samples of the broadcastable pattern.
pub fn random_function_op(dist: Dist, dtype: DType, broadcastable: &[bool]) -> Result<Op, String> {
    register_ops();
    if dtype == DType::Bool {
        return Err(format!(
            "RandomFunction{{{}}}: cannot draw {dtype} samples",
            dist.fn_name()
        ));
    }
    if broadcastable.len() < dist.ndim_added() {
        return Err(format!(
            "RandomFunction{{{}}}: the samples have at least {} dimension(s)",
            dist.fn_name(),
            dist.ndim_added()
        ));
    }
    TensorType::new(dtype, broadcastable).map_err(|e| e.to_string())?;
    Ok(Op::Custom(CustomRef(Arc::new(RandomFunction {
        dist,
        dtype,
        broadcastable: broadcastable.to_vec(),
    }))))
}

/// Whether `op` is a `RandomFunction`.
pub fn is_random_function(op: &Op) -> bool {
    matches!(op, Op::Custom(c) if c.0.name() == NAME)
}

/// The state variable a draw reads (Theano's `rv.rng`): input 0 of the `RandomFunction`
/// node computing `rv`; `None` for a variable no `RandomFunction` computes.
pub fn rng_of(rv: &Variable) -> Option<Variable> {
    let node = rv.owner()?;
    if !is_random_function(node.op()) || rv.index() != Some(1) {
        return None;
    }
    node.inputs().first().cloned()
}

fn parse(params: &str) -> Result<Arc<dyn CustomOp>, String> {
    let bad = || {
        format!(
            "RandomFunction takes `<fn>,TensorType(<dtype>, <pattern>)` with an optional \
             `,broadcastable=(..)`, got {params:?}"
        )
    };
    let (f, rest) = params.split_once(',').ok_or_else(bad)?;
    let dist = Dist::from_name(f).ok_or_else(bad)?;
    let (dtype, ndim, suffix) = type_text::parse_plain(rest).ok_or_else(bad)?;
    let broadcastable = type_text::parse_broadcastable(suffix, ndim).ok_or_else(bad)?;
    match random_function_op(dist, dtype, &broadcastable)? {
        Op::Custom(c) => Ok(c.0),
        _ => Err(bad()),
    }
}

impl CustomOp for RandomFunction {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        format!(
            "{},{}{}",
            self.dist.fn_name(),
            type_text::plain(self.dtype, self.broadcastable.len()),
            type_text::broadcastable_suffix(&self.broadcastable)
        )
    }
    fn n_outputs(&self) -> usize {
        2
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let f = self.dist.fn_name();
        if inputs.len() != 2 + self.dist.n_params() {
            return Err(format!(
                "RandomFunction{{{f}}} takes {} inputs (state, size, parameters), got {}",
                2 + self.dist.n_params(),
                inputs.len()
            ));
        }
        if inputs[0] != state_type() {
            return Err(format!(
                "RandomFunction{{{f}}}: the state must be a uint32 vector, got {}",
                inputs[0]
            ));
        }
        if !inputs[1].dtype.is_int() || inputs[1].ndim() != 1 {
            return Err(format!(
                "RandomFunction{{{f}}}: size must be an integer vector, got {}",
                inputs[1]
            ));
        }
        let out = TensorType::new(self.dtype, &self.broadcastable).map_err(|e| e.to_string())?;
        Ok(vec![inputs[0], out])
    }
    /// Theano's `grad_undefined`: no gradient flows through sampling.
    fn grad(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        _output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Err(
            "No gradient defined through raw random numbers op".into()
        ))
    }
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        _eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![None, None]))
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(self.draw(inputs))
    }
}

/// A parameter read along the output's elements, NumPy-broadcast to `shape`.
struct Param {
    values: Vec<f64>,
    ints: Vec<i64>,
    strides: Vec<usize>,
}

impl Param {
    fn new(t: &Tensor, shape: &[usize], what: &str) -> Result<Param, String> {
        let ps = t.shape();
        if ps.len() > shape.len() {
            return Err(format!(
                "{what} has {} dimensions, more than the samples' {}",
                ps.len(),
                shape.len()
            ));
        }
        let lead = shape.len() - ps.len();
        let mut strides = vec![0; shape.len()];
        let mut acc = 1;
        for k in (0..ps.len()).rev() {
            let (p, o) = (ps[k], shape[lead + k]);
            if p != o && p != 1 {
                return Err(format!(
                    "shape mismatch: {what} of shape {ps:?} cannot be broadcast to the size {shape:?}"
                ));
            }
            strides[lead + k] = if p == 1 { 0 } else { acc };
            acc *= p;
        }
        Ok(Param {
            values: t.to_f64_vec(),
            ints: t.to_i64_vec(),
            strides,
        })
    }
    fn offset(&self, index: &[usize]) -> usize {
        index.iter().zip(&self.strides).map(|(i, s)| i * s).sum()
    }
}

/// The broadcast shape of the parameters (NumPy's, for a draw without a size).
fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>, String> {
    let nd = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1; nd];
    for s in shapes {
        for (k, &d) in s.iter().enumerate() {
            let o = &mut out[nd - s.len() + k];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return Err(format!(
                    "shape mismatch: the parameters' shapes {shapes:?} do not broadcast"
                ));
            }
        }
    }
    Ok(out)
}

/// Steps a row-major multi-index.
fn next_index(index: &mut [usize], shape: &[usize]) {
    for k in (0..shape.len()).rev() {
        index[k] += 1;
        if index[k] < shape[k] {
            return;
        }
        index[k] = 0;
    }
}

impl RandomFunction {
    fn draw(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        let f = self.dist.fn_name();
        let err = |m: String| format!("RandomFunction{{{f}}}: {m}");
        if inputs.len() != 2 + self.dist.n_params() {
            return Err(err(format!("{} inputs", inputs.len())));
        }
        let mut rng = RandomState::from_tensor(inputs[0]).map_err(|e| err(e.0))?;
        let size = inputs[1];
        if !size.dtype().is_int() || size.ndim() != 1 {
            return Err(err(format!(
                "size must be an integer vector, got a {} array of shape {:?}",
                size.dtype(),
                size.shape()
            )));
        }
        let dims = size.to_i64_vec();
        let mut shape = Vec::with_capacity(dims.len());
        for (i, &d) in dims.iter().enumerate() {
            shape
                .push(usize::try_from(d).map_err(|_| {
                    err(format!("size[{i}] is {d}; a length must not be negative"))
                })?);
        }
        let params = &inputs[2..];
        let out_ndim = self.broadcastable.len();
        let added = self.dist.ndim_added();
        let shape = if shape.is_empty() {
            // NumPy's size=None: the parameters' shape (a permutation's: none)
            let mut s = if self.dist == Dist::Permutation {
                Vec::new()
            } else {
                let shapes: Vec<&[usize]> = params.iter().map(|p| p.shape()).collect();
                broadcast_shapes(&shapes).map_err(err)?
            };
            if s.is_empty() && out_ndim > added {
                s = vec![1; out_ndim - added];
            }
            s
        } else {
            if out_ndim != shape.len() + added {
                return Err(err(format!(
                    "Shape mismatch: self.outtype.ndim ({out_ndim}) != len(shape) ({}) + self.ndim_added ({added})",
                    shape.len()
                )));
            }
            shape
        };
        if shape.len() + added != out_ndim {
            return Err(err(format!(
                "Shape mismatch: \"out\" should have dimension {out_ndim}, but the value produced has dimension {}",
                shape.len() + added
            )));
        }
        let names: &[&str] = match self.dist {
            Dist::Uniform | Dist::RandomIntegers => &["low", "high"],
            Dist::Normal => &["avg", "std"],
            Dist::Binomial => &["n", "p"],
            Dist::Permutation => &["n"],
        };
        let ps: Vec<Param> = params
            .iter()
            .zip(names)
            .map(|(t, n)| Param::new(t, &shape, n))
            .collect::<Result<_, _>>()
            .map_err(err)?;
        let count = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| err(format!("size {shape:?} has too many elements")))?;
        let mut index = vec![0usize; shape.len()];
        let at = |p: &Param, index: &[usize]| p.offset(index);
        let samples = match self.dist {
            Dist::Uniform | Dist::Normal => {
                if self.dist == Dist::Normal
                    && ps[1]
                        .values
                        .iter()
                        .any(|s| s.is_sign_negative() && !s.is_nan())
                {
                    return Err(err("scale < 0".into()));
                }
                if self.dist == Dist::Uniform
                    && ps[0]
                        .values
                        .iter()
                        .zip(&ps[1].values)
                        .any(|(l, h)| !(h - l).is_finite())
                {
                    return Err(err("Range exceeds valid bounds".into()));
                }
                let mut out = sample_buffer(count).map_err(err)?;
                for _ in 0..count {
                    let (a, b) = (
                        ps[0].values[at(&ps[0], &index)],
                        ps[1].values[at(&ps[1], &index)],
                    );
                    out.push(if self.dist == Dist::Uniform {
                        rng.uniform(a, b)
                    } else {
                        rng.normal(a, b)
                    });
                    next_index(&mut index, &shape);
                }
                Tensor::from_shape_vec(&shape, out)
            }
            Dist::Binomial => {
                if ps[0].values.iter().any(|&n| n < 0.0) {
                    return Err(err("n < 0".into()));
                }
                if ps[1].values.iter().any(|p| !(0.0..=1.0).contains(p)) {
                    return Err(err("p < 0, p > 1 or p is NaN".into()));
                }
                let mut out = sample_buffer(count).map_err(err)?;
                for _ in 0..count {
                    let n = ps[0].ints[at(&ps[0], &index)];
                    let p = ps[1].values[at(&ps[1], &index)];
                    out.push(rng.binomial(n, p).map_err(|e| err(e.0))?);
                    next_index(&mut index, &shape);
                }
                Tensor::from_shape_vec(&shape, out)
            }
            Dist::RandomIntegers => {
                let mut out = sample_buffer(count).map_err(err)?;
                for _ in 0..count {
                    let low = ps[0].ints[at(&ps[0], &index)];
                    let high = ps[1].ints[at(&ps[1], &index)];
                    let v = rng
                        .randint(low, high.saturating_add(1))
                        .map_err(|e| err(e.0))?;
                    out.push(v);
                    next_index(&mut index, &shape);
                }
                // Theano's helper fills a float64 array, then casts it
                Tensor::from_shape_vec(
                    &shape,
                    out.into_iter().map(|v| v as f64).collect::<Vec<f64>>(),
                )
            }
            Dist::Permutation => {
                let nt = params[0];
                if nt.ndim() != 0 {
                    return Err(err(format!(
                        "n must be a scalar, got shape {:?}",
                        nt.shape()
                    )));
                }
                let n = usize::try_from(nt.to_i64_vec()[0])
                    .map_err(|_| err("n must not be negative".into()))?;
                let total = count
                    .checked_mul(n)
                    .ok_or_else(|| err(format!("{count} permutations of {n} are too many")))?;
                let mut out = sample_buffer(total).map_err(err)?;
                for _ in 0..count {
                    rng.permutation_into(&mut out, n);
                }
                let mut full = shape.clone();
                full.push(n);
                Tensor::from_shape_vec(&full, out)
            }
        }
        .map_err(|e| err(e.to_string()))?;
        let state = rng.to_tensor();
        debug_assert_eq!(state.shape(), [STATE_LEN]);
        Ok(vec![state, samples.cast(self.dtype)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text form parses back to the same op; a malformed one is refused.
    #[test]
    fn the_text_form_parses_back() {
        for (dist, dtype, b) in [
            (Dist::Uniform, DType::Float64, vec![false, false]),
            (Dist::Normal, DType::Float32, vec![true, false]),
            (Dist::Binomial, DType::Int64, vec![false]),
            (Dist::RandomIntegers, DType::Int32, vec![]),
            (Dist::Permutation, DType::Int64, vec![false, false]),
        ] {
            let Op::Custom(c) = random_function_op(dist, dtype, &b).unwrap() else {
                panic!("a custom op")
            };
            let text = c.0.params();
            let back = parse(&text).unwrap();
            assert_eq!(back.params(), text);
            assert_eq!(
                back.infer_types(
                    &[
                        state_type(),
                        TensorType::with_ndim(DType::Int64, 1).unwrap(),
                        TensorType::with_ndim(DType::Float64, 0).unwrap(),
                        TensorType::with_ndim(DType::Float64, 0).unwrap()
                    ][..2 + dist.n_params()]
                )
                .unwrap()[1],
                TensorType::new(dtype, &b).unwrap()
            );
        }
        assert_eq!(
            random_function_op(Dist::Uniform, DType::Float64, &[false, true])
                .unwrap()
                .to_string(),
            "RandomFunction{uniform,TensorType(float64, matrix),broadcastable=(False, True)}"
        );
        for bad in [
            "uniform",
            "gamma,TensorType(float64, matrix)",
            "uniform,TensorType(float64, matrix),x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(random_function_op(Dist::Permutation, DType::Int64, &[]).is_err());
        assert!(random_function_op(Dist::Uniform, DType::Bool, &[]).is_err());
    }
}
