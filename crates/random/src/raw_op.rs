//! `RandomFunction`, the op of Theano's `raw_random`: it draws from a NumPy legacy
//! `RandomState` (here a `uint32` state vector, see [`crate::mt`]) and has two outputs, the
//! state after drawing and the samples. Inputs: the state, the size (an integer vector;
//! empty: the parameters' broadcast shape) and the distribution's parameters, which
//! broadcast against the size as NumPy broadcasts them.
//!
//! It prints as `RandomFunction{uniform}` followed by its output type (Theano prints only
//! the function's name; the type is what lets the text form parse back), e.g.
//! `RandomFunction{uniform,TensorType(float64, matrix)}`.

use crate::discrete::{check_poisson_lams, ChoiceProbs};
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
    /// `poisson(lam)`
    Poisson,
    /// `choice_helper(a, replace, p)`: NumPy's `choice`; an empty `p` is `None`
    Choice,
    /// `multinomial_helper(n, pvals)`: a row of counts per element of the size
    Multinomial,
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
            Dist::Poisson => "poisson",
            Dist::Choice => "choice_helper",
            Dist::Multinomial => "multinomial_helper",
        }
    }
    fn from_name(s: &str) -> Option<Dist> {
        [
            Dist::Uniform,
            Dist::Normal,
            Dist::Binomial,
            Dist::RandomIntegers,
            Dist::Permutation,
            Dist::Poisson,
            Dist::Choice,
            Dist::Multinomial,
        ]
        .into_iter()
        .find(|d| d.fn_name() == s)
    }
    fn n_params(self) -> usize {
        match self {
            Dist::Permutation | Dist::Poisson => 1,
            Dist::Choice => 3,
            _ => 2,
        }
    }
    /// Dimensions each draw adds after the size's (a permutation's length, a multinomial's
    /// categories).
    fn ndim_added(self) -> usize {
        usize::from(matches!(self, Dist::Permutation | Dist::Multinomial))
    }
    /// The parameters' names, as Theano's helpers call them.
    fn param_names(self) -> &'static [&'static str] {
        match self {
            Dist::Uniform | Dist::RandomIntegers => &["low", "high"],
            Dist::Normal => &["avg", "std"],
            Dist::Binomial => &["n", "p"],
            Dist::Permutation => &["n"],
            Dist::Poisson => &["lam"],
            Dist::Choice => &["a", "replace", "p"],
            Dist::Multinomial => &["n", "pvals"],
        }
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
    REGISTER.call_once(|| register_custom_op(NAME, |_, p| parse(p)));
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
        // an empty size is NumPy's size=None
        let sized = !shape.is_empty();
        if sized && out_ndim != shape.len() + added {
            return Err(err(format!(
                "Shape mismatch: self.outtype.ndim ({out_ndim}) != len(shape) ({}) + self.ndim_added ({added})",
                shape.len()
            )));
        }
        let samples = match self.dist {
            Dist::Choice => draw_choice(&mut rng, params, sized.then_some(&shape[..])),
            Dist::Multinomial => draw_multinomial(&mut rng, params, sized.then_some(&shape[..])),
            Dist::Permutation => draw_permutations(&mut rng, params[0], &shape),
            _ => {
                if !sized {
                    let shapes: Vec<&[usize]> = params.iter().map(|p| p.shape()).collect();
                    shape = broadcast_shapes(&shapes).map_err(err)?;
                }
                self.draw_elementwise(&mut rng, params, &shape)
            }
        }
        .map_err(err)?;
        // NumPy returns a scalar for a size-less draw; Theano gives it the output's rank
        let samples = if !sized && samples.ndim() == 0 && out_ndim > 0 {
            samples
                .reshape(&vec![1; out_ndim])
                .map_err(|e| err(e.to_string()))?
        } else {
            samples
        };
        if samples.ndim() != out_ndim {
            return Err(err(format!(
                "Shape mismatch: \"out\" should have dimension {out_ndim}, but the value produced by \"perform\" has dimension {}",
                samples.ndim()
            )));
        }
        let state = rng.to_tensor();
        debug_assert_eq!(state.shape(), [STATE_LEN]);
        Ok(vec![state, samples.cast(self.dtype)])
    }

    /// A sample per element of `shape`, each reading its parameters NumPy-broadcast.
    fn draw_elementwise(
        &self,
        rng: &mut RandomState,
        params: &[&Tensor],
        shape: &[usize],
    ) -> Result<Tensor, String> {
        let ps: Vec<Param> = params
            .iter()
            .zip(self.dist.param_names())
            .map(|(t, n)| Param::new(t, shape, n))
            .collect::<Result<_, _>>()?;
        let count = element_count(shape)?;
        let mut index = vec![0usize; shape.len()];
        let mut each = |draw: &mut dyn FnMut(&[usize]) -> Result<f64, String>| {
            let mut out = sample_buffer(count)?;
            for _ in 0..count {
                out.push(draw(&index)?);
                next_index(&mut index, shape);
            }
            Ok::<_, String>(out)
        };
        let real = |k: usize, index: &[usize]| ps[k].values[ps[k].offset(index)];
        let int = |k: usize, index: &[usize]| ps[k].ints[ps[k].offset(index)];
        let counts = |out: Vec<i64>| Tensor::from_shape_vec(shape, out);
        let t = match self.dist {
            Dist::Uniform | Dist::Normal => {
                if self.dist == Dist::Normal
                    && ps[1]
                        .values
                        .iter()
                        .any(|s| s.is_sign_negative() && !s.is_nan())
                {
                    return Err("scale < 0".into());
                }
                if self.dist == Dist::Uniform
                    && ps[0]
                        .values
                        .iter()
                        .zip(&ps[1].values)
                        .any(|(l, h)| !(h - l).is_finite())
                {
                    return Err("Range exceeds valid bounds".into());
                }
                let uniform = self.dist == Dist::Uniform;
                let out = each(&mut |i| {
                    let (a, b) = (real(0, i), real(1, i));
                    Ok(if uniform {
                        rng.uniform(a, b)
                    } else {
                        rng.normal(a, b)
                    })
                })?;
                Tensor::from_shape_vec(shape, out)
            }
            Dist::Binomial => {
                if ps[0].values.iter().any(|&n| n < 0.0) {
                    return Err("n < 0".into());
                }
                if ps[1].values.iter().any(|p| !(0.0..=1.0).contains(p)) {
                    return Err("p < 0, p > 1 or p is NaN".into());
                }
                let mut out = sample_buffer(count)?;
                for _ in 0..count {
                    out.push(
                        rng.binomial(int(0, &index), real(1, &index))
                            .map_err(|e| e.0)?,
                    );
                    next_index(&mut index, shape);
                }
                counts(out)
            }
            Dist::RandomIntegers => {
                // Theano's helper fills a float64 array, then casts it
                let out = each(&mut |i| {
                    let (low, high) = (int(0, i), int(1, i));
                    rng.randint(low, high.saturating_add(1))
                        .map(|v| v as f64)
                        .map_err(|e| e.0)
                })?;
                Tensor::from_shape_vec(shape, out)
            }
            Dist::Poisson => {
                if params[0].ndim() > 0 {
                    check_poisson_lams(&ps[0].values).map_err(|e| e.0)?;
                }
                let mut out = sample_buffer(count)?;
                for _ in 0..count {
                    out.push(rng.poisson(real(0, &index)).map_err(|e| e.0)?);
                    next_index(&mut index, shape);
                }
                counts(out)
            }
            Dist::Permutation | Dist::Choice | Dist::Multinomial => {
                unreachable!("drawn by their own helpers")
            }
        };
        t.map_err(|e| e.to_string())
    }
}

/// The number of elements of `shape`, refused when it overflows.
fn element_count(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("size {shape:?} has too many elements"))
}

/// Theano's `permutation_helper`: a permutation of `0..n` per element of `shape`.
fn draw_permutations(
    rng: &mut RandomState,
    nt: &Tensor,
    shape: &[usize],
) -> Result<Tensor, String> {
    if nt.ndim() != 0 {
        return Err(format!("n must be a scalar, got shape {:?}", nt.shape()));
    }
    let n =
        usize::try_from(nt.to_i64_vec()[0]).map_err(|_| "n must not be negative".to_string())?;
    let count = element_count(shape)?;
    let total = count
        .checked_mul(n)
        .ok_or_else(|| format!("{count} permutations of {n} are too many"))?;
    let mut out = sample_buffer(total)?;
    for _ in 0..count {
        rng.permutation_into(&mut out, n);
    }
    let mut full = shape.to_vec();
    full.push(n);
    Tensor::from_shape_vec(&full, out).map_err(|e| e.to_string())
}

/// Theano's `choice_helper`: NumPy's `choice(a, size, bool(replace), p or None)`.
fn draw_choice(
    rng: &mut RandomState,
    params: &[&Tensor],
    sized: Option<&[usize]>,
) -> Result<Tensor, String> {
    let (a, replace, p) = (params[0], params[1], params[2]);
    if a.ndim() > 1 {
        return Err(format!("a.ndim ({}) must be 0 or 1", a.ndim()));
    }
    if p.ndim() != 1 {
        return Err(format!("p.ndim ({}) must be 1", p.ndim()));
    }
    if replace.len() != 1 {
        return Err(
            "The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()"
                .into(),
        );
    }
    let replace = replace.to_f64_vec()[0] != 0.0;
    let shape = sized.unwrap_or(&[]);
    let count = element_count(shape)?;
    let pop = if a.ndim() == 0 {
        if !a.dtype().is_int() {
            return Err("a must be 1-dimensional or an integer".into());
        }
        a.to_i64_vec()[0]
    } else {
        let n = a.shape()[0];
        if n == 0 && !(sized.is_some() && count == 0) {
            return Err("'a' cannot be empty unless no samples are taken".into());
        }
        n as i64
    };
    let p_values = p.to_f64_vec();
    // NumPy's tolerance on the sum: sqrt(eps) of float64, or of the probabilities' float32
    let atol = if p.dtype() == DType::Float32 {
        f64::from(f32::EPSILON.sqrt()).max(f64::EPSILON.sqrt())
    } else {
        f64::EPSILON.sqrt()
    };
    let probs = (!p_values.is_empty()).then_some(ChoiceProbs { p: &p_values, atol });
    let idx = rng
        .choice(pop, count, sized.is_some(), replace, probs)
        .map_err(|e| e.0)?;
    let t = if a.ndim() == 0 {
        Tensor::from_shape_vec(shape, idx)
    } else if a.dtype().is_int() {
        let v = a.to_i64_vec();
        Tensor::from_shape_vec(
            shape,
            idx.iter().map(|&i| v[i as usize]).collect::<Vec<_>>(),
        )
    } else {
        let v = a.to_f64_vec();
        Tensor::from_shape_vec(
            shape,
            idx.iter().map(|&i| v[i as usize]).collect::<Vec<_>>(),
        )
    };
    t.map(|t| if a.ndim() == 0 { t } else { t.cast(a.dtype()) })
        .map_err(|e| e.to_string())
}

/// Theano's `multinomial_helper`: `n` and the rows of `pvals` broadcast to the size (or,
/// without one, to each other), a NumPy `multinomial(n, row)` per element, after Theano's
/// nudge of rows whose sum rounding put just above 1 or whose last probability is tiny.
fn draw_multinomial(
    rng: &mut RandomState,
    params: &[&Tensor],
    sized: Option<&[usize]>,
) -> Result<Tensor, String> {
    let (n, pvals) = (params[0], params[1]);
    if pvals.ndim() == 0 {
        return Err("pvals must have at least one dimension (the categories)".into());
    }
    let ndim = match sized {
        Some(s) => s.len(),
        None => n.ndim().max(pvals.ndim() - 1),
    };
    if n.ndim() > ndim {
        return Err(format!(
            "n.ndim ({}) should not be larger than len(size) ({ndim})",
            n.ndim()
        ));
    }
    if pvals.ndim() - 1 > ndim {
        return Err(format!(
            "pvals.ndim-1 ({}) should not be larger than len(size) ({ndim})",
            pvals.ndim() - 1
        ));
    }
    let pad = |s: &[usize], to: usize| [vec![1; to - s.len()], s.to_vec()].concat();
    let n_shape = pad(n.shape(), ndim);
    let p_shape = pad(pvals.shape(), ndim + 1);
    let cats = p_shape[ndim];
    let size: Vec<usize> = match sized {
        Some(s) => s.to_vec(),
        None => (0..ndim).map(|d| n_shape[d].max(p_shape[d])).collect(),
    };
    for d in 0..ndim {
        for s in [&n_shape, &p_shape] {
            if s[d] != size[d] && s[d] != 1 {
                return Err(format!(
                    "shape[{d}] ({}) should be equal to out_shape[{d}] ({}) or to 1",
                    s[d], size[d]
                ));
            }
        }
    }
    let p64 = pvals.to_f64_vec();
    if p64.is_empty() {
        return Err("zero-size array to reduction operation minimum which has no identity".into());
    }
    if p64.iter().any(|p| p.is_nan() || *p < 0.0) {
        return Err("AssertionError: pvals.min() >= 0".into());
    }
    let f32_rows = pvals.dtype() == DType::Float32;
    let ns = n.to_i64_vec();
    // row-major strides of the padded shapes, 0 where a length broadcasts
    let strides = |s: &[usize]| {
        let mut st = vec![0; ndim];
        let mut acc = 1;
        for d in (0..ndim).rev() {
            st[d] = if s[d] == 1 { 0 } else { acc };
            acc *= s[d];
        }
        st
    };
    let (n_st, p_st) = (strides(&n_shape), strides(&p_shape[..ndim]));
    let count = element_count(&size)?;
    let total = count
        .checked_mul(cats)
        .ok_or_else(|| format!("size {size:?} has too many elements"))?;
    let mut out: Vec<i64> = sample_buffer(total)?;
    out.resize(total, 0);
    let mut index = vec![0usize; ndim];
    const NUDGE: f64 = 1.0 - 5e-5;
    for k in 0..count {
        let at = |st: &[usize]| index.iter().zip(st).map(|(i, s)| i * s).sum::<usize>();
        let row = &p64[at(&p_st) * cats..(at(&p_st) + 1) * cats];
        // NumPy sums, and scales, a float32 row in float32
        let (row, pisum): (Vec<f64>, f64) = if f32_rows {
            let r32: Vec<f32> = row.iter().map(|&v| v as f32).collect();
            let sum = f64::from(theano_tensor::numpy_sum(&r32));
            if (1.0 < sum && sum < 1.0 + 1e-5) || f64::from(r32[cats - 1]) < 5e-5 {
                let r32: Vec<f32> = r32.iter().map(|&v| v * NUDGE as f32).collect();
                let sum = f64::from(theano_tensor::numpy_sum(&r32));
                (r32.into_iter().map(f64::from).collect(), sum)
            } else {
                (row.to_vec(), sum)
            }
        } else {
            let sum = theano_tensor::numpy_sum(row);
            if (1.0 < sum && sum < 1.0 + 1e-5) || row[cats - 1] < 5e-5 {
                let r: Vec<f64> = row.iter().map(|&v| v * NUDGE).collect();
                let sum = theano_tensor::numpy_sum(&r);
                (r, sum)
            } else {
                (row.to_vec(), sum)
            }
        };
        if pisum.is_nan() || pisum > 1.0 {
            return Err(format!("AssertionError: {pisum}"));
        }
        rng.multinomial_into(ns[at(&n_st)], &row, &mut out[k * cats..(k + 1) * cats])
            .map_err(|e| e.0)?;
        next_index(&mut index, &size);
    }
    let mut full = size;
    full.push(cats);
    Tensor::from_shape_vec(&full, out).map_err(|e| e.to_string())
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
