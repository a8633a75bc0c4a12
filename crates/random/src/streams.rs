//! `MRG_RandomStreams`: Theano 1.0's `theano.sandbox.rng_mrg.MRG_RandomStreams`, node for node.
//!
//! Each draw makes a shared variable holding its stream states (one int32 row of six words
//! per stream; the generator's state jumps 2^134 steps on for the next draw, the streams of a
//! draw are 2^72 steps apart), a `mrg_uniform` node reading it, and sets the variable's
//! default update to the node's new states, so every call of a function that uses the draw
//! advances it, unless the function is built with `no_default_updates`.

use crate::mrg::{self, State, M1, M2};
use crate::multinomial::{choice_from_uniform_op, multinomial_from_uniform_op};
use crate::op::mrg_uniform_op;
use std::sync::Mutex;
use theano_grad::undefined_grad;
use theano_ir::tensor::{self as T, Idx, IntoVar};
use theano_ir::{config::float_x, GraphError, Op, Variable};
use theano_tensor::{DType, Tensor};

/// What a random stream refuses: the argument, what it must be, what it was.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum RandomError {
    /// A seed Theano refuses (its ValueError or TypeError).
    #[error("MRG_RandomStreams seed: {0}")]
    Seed(String),
    /// A size Theano refuses.
    #[error("{method}: size {size}: {reason}")]
    Size {
        method: &'static str,
        size: String,
        reason: String,
    },
    /// Another argument Theano refuses.
    #[error("{method}: {reason}")]
    Argument {
        method: &'static str,
        reason: String,
    },
    /// What Theano 1.0.5 does not implement either (its NotImplementedError).
    #[error("{0}")]
    NotImplemented(String),
    /// A `RandomStreams` seed NumPy refuses (outside `0..2**32`).
    #[error("RandomStreams seed: {0}")]
    StreamsSeed(String),
    /// A value that is not a `RandomState` (see [`crate::mt`]).
    #[error("RandomState: {0}")]
    State(String),
    /// A builder refused a node.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

type Result<T> = std::result::Result<T, RandomError>;

/// A seed: one integer in `1..M2` (replicated six times) or the six words of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    One(i64),
    Six([i64; 6]),
}

impl From<i64> for Seed {
    fn from(v: i64) -> Seed {
        Seed::One(v)
    }
}
impl From<i32> for Seed {
    fn from(v: i32) -> Seed {
        Seed::One(v.into())
    }
}
impl From<u32> for Seed {
    fn from(v: u32) -> Seed {
        Seed::One(v.into())
    }
}
impl From<[i64; 6]> for Seed {
    fn from(v: [i64; 6]) -> Seed {
        Seed::Six(v)
    }
}

/// Theano's `set_rstate` checks: the generator's state for a seed.
fn seed_state(seed: Seed) -> Result<State> {
    let bad = |m: String| Err(RandomError::Seed(m));
    match seed {
        Seed::One(s) => {
            if s == 0 {
                return bad("seed should not be 0".into());
            }
            if s >= i64::from(M2) {
                return bad(format!("seed should be less than {M2}, got {s}"));
            }
            if s < 0 {
                return bad(format!("seed should be positive, got {s}"));
            }
            Ok([s as i32; 6])
        }
        Seed::Six(w) => {
            if w[..3].iter().all(|&v| v == 0) {
                return bad(format!(
                    "The first 3 values of seed should not be all 0, got {w:?}"
                ));
            }
            if w[3..].iter().all(|&v| v == 0) {
                return bad(format!(
                    "The last 3 values of seed should not be all 0, got {w:?}"
                ));
            }
            if w[..3].iter().any(|&v| v >= i64::from(M1)) {
                return bad(format!(
                    "The first 3 values of seed should be less than {M1}, got {w:?}"
                ));
            }
            if w[3..].iter().any(|&v| v >= i64::from(M2)) {
                return bad(format!(
                    "The last 3 values of seed should be less than {M2}, got {w:?}"
                ));
            }
            if w.iter().any(|&v| v < 0) {
                return bad(format!(
                    "the values of seed should not be negative, got {w:?}"
                ));
            }
            Ok(w.map(|v| v as i32))
        }
    }
}

/// One dimension of a size tuple: a known length or an integer scalar variable.
#[derive(Clone, Debug)]
pub enum Dim {
    Int(i64),
    Var(Variable),
}

impl From<i64> for Dim {
    fn from(v: i64) -> Dim {
        Dim::Int(v)
    }
}
impl From<usize> for Dim {
    fn from(v: usize) -> Dim {
        Dim::Int(v as i64)
    }
}
impl From<Variable> for Dim {
    fn from(v: Variable) -> Dim {
        Dim::Var(v)
    }
}
impl From<&Variable> for Dim {
    fn from(v: &Variable) -> Dim {
        Dim::Var(v.clone())
    }
}

/// A sample's size: a tuple of lengths (known integers or integer scalars), or an integer
/// vector variable (`x.shape`), as Theano's `size` argument, or `None`.
#[derive(Clone, Debug)]
pub enum Size {
    Tuple(Vec<Dim>),
    Vector(Variable),
    /// Theano's `size=None`: `RandomStreams` draws take the parameters' broadcast shape
    /// (`MRG_RandomStreams` refuses it, as Theano does).
    None,
}

impl Size {
    /// The lengths when every one is a known integer (what `guess_n_streams` can use).
    fn ints(&self) -> Option<Vec<i64>> {
        match self {
            Size::Tuple(d) => d
                .iter()
                .map(|d| match d {
                    Dim::Int(i) => Some(*i),
                    Dim::Var(_) => None,
                })
                .collect(),
            Size::Vector(_) | Size::None => None,
        }
    }
    pub(crate) fn describe(&self) -> String {
        match self {
            Size::Tuple(d) => {
                let parts: Vec<String> = d
                    .iter()
                    .map(|d| match d {
                        Dim::Int(i) => i.to_string(),
                        Dim::Var(v) => v.to_string(),
                    })
                    .collect();
                theano_tensor::py_tuple(&parts)
            }
            Size::Vector(v) => v.to_string(),
            Size::None => "None".into(),
        }
    }
}

impl From<&[i64]> for Size {
    fn from(v: &[i64]) -> Size {
        Size::Tuple(v.iter().map(|&i| Dim::Int(i)).collect())
    }
}
impl<const N: usize> From<[i64; N]> for Size {
    fn from(v: [i64; N]) -> Size {
        Size::Tuple(v.iter().map(|&i| Dim::Int(i)).collect())
    }
}
impl<const N: usize> From<&[i64; N]> for Size {
    fn from(v: &[i64; N]) -> Size {
        Size::Tuple(v.iter().map(|&i| Dim::Int(i)).collect())
    }
}
impl From<Vec<i64>> for Size {
    fn from(v: Vec<i64>) -> Size {
        Size::Tuple(v.into_iter().map(Dim::Int).collect())
    }
}
impl From<Vec<Dim>> for Size {
    fn from(v: Vec<Dim>) -> Size {
        Size::Tuple(v)
    }
}
impl From<Variable> for Size {
    fn from(v: Variable) -> Size {
        Size::Vector(v)
    }
}
impl From<&Variable> for Size {
    fn from(v: &Variable) -> Size {
        Size::Vector(v.clone())
    }
}

/// The keyword arguments every sampler takes besides its parameters: `dtype` (`None`: the
/// parameters' dtype upcast with floatX; the binomial's default is int64), `ndim` (needed
/// only when a size vector's length is not known from the graph) and `nstreams` (`None`:
/// Theano's guess from the size).
#[derive(Clone, Copy, Debug, Default)]
pub struct Draw {
    pub dtype: Option<DType>,
    pub ndim: Option<usize>,
    pub nstreams: Option<usize>,
}

/// A draw's stream states: the shared variable and the expression that updates it.
#[derive(Clone, Debug)]
pub struct StateUpdate {
    /// the shared int32 matrix of stream states
    pub rstate: Variable,
    /// the sampling node's output 0, the states after a call (the variable's default update)
    pub new_rstate: Variable,
    /// how many streams (rows) it has
    pub n_streams: usize,
}

struct Inner {
    rstate: State,
    updates: Vec<StateUpdate>,
}

/// Theano's `MRG_RandomStreams`: symbolic random variables drawn from MRG31k3p streams.
pub struct MrgRandomStreams {
    default_seed: Seed,
    inner: Mutex<Inner>,
}

/// Theano's spelling.
#[allow(non_camel_case_types)]
pub type MRG_RandomStreams = MrgRandomStreams;

const TWO_PI: f64 = 2.0 * std::f64::consts::PI;

impl MrgRandomStreams {
    /// Streams seeded by `seed` (Theano's default is 12345): one integer in `1..M2`, or six
    /// words, the first three below `M1` and not all 0, the last three below `M2` and not
    /// all 0.
    pub fn new(seed: impl Into<Seed>) -> Result<MrgRandomStreams> {
        let seed = seed.into();
        Ok(MrgRandomStreams {
            default_seed: seed,
            inner: Mutex::new(Inner {
                rstate: seed_state(seed)?,
                updates: Vec::new(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The generator's state: where the next draw's first stream starts.
    pub fn rstate(&self) -> [i32; 6] {
        self.lock().rstate
    }

    /// Every draw's states and their update, in the order drawn (Theano's `state_updates`).
    pub fn state_updates(&self) -> Vec<StateUpdate> {
        self.lock().updates.clone()
    }

    /// The `(states, new states)` pairs (Theano's `updates()`).
    pub fn updates(&self) -> Vec<(Variable, Variable)> {
        self.lock()
            .updates
            .iter()
            .map(|u| (u.rstate.clone(), u.new_rstate.clone()))
            .collect()
    }

    /// Theano's `seed(seed)`: restarts the generator from `seed` (`None`: the seed it was made
    /// with) and gives every draw made so far fresh streams from it, in the order drawn, as
    /// if they had just been drawn.
    pub fn seed(&self, seed: Option<Seed>) -> Result<()> {
        let state = seed_state(seed.unwrap_or(self.default_seed))?;
        let mut inner = self.lock();
        inner.rstate = state;
        let updates = inner.updates.clone();
        for u in updates {
            let states = Self::substreams(&mut inner, u.n_streams);
            u.rstate
                .set_value(states)
                .map_err(|reason| RandomError::Argument {
                    method: "seed",
                    reason,
                })?;
        }
        Ok(())
    }

    /// `n` streams from the generator's state, which then jumps to the next draw's start.
    fn substreams(inner: &mut Inner, n: usize) -> Tensor {
        let rows = mrg::substreams(&inner.rstate, n);
        inner.rstate = mrg::jump_variable(&inner.rstate);
        let flat: Vec<i32> = rows.iter().flatten().copied().collect();
        Tensor::from_shape_vec(&[n, 6], flat).expect("n rows of 6 words")
    }

    /// Samples uniformly distributed between `low` and `high` (both excluded; cast to the
    /// dtype), of `size` (Theano's `uniform(size, low=0.0, high=1.0)`).
    #[track_caller]
    pub fn uniform(
        &self,
        size: impl Into<Size>,
        low: impl IntoVar,
        high: impl IntoVar,
    ) -> Result<Variable> {
        self.uniform_with(size, low, high, Draw::default())
    }

    /// [`MrgRandomStreams::uniform`] with Theano's keyword arguments.
    #[track_caller]
    pub fn uniform_with(
        &self,
        size: impl Into<Size>,
        low: impl IntoVar,
        high: impl IntoVar,
        draw: Draw,
    ) -> Result<Variable> {
        const M: &str = "uniform";
        let size = size.into();
        let (low, high) = (low.into_var(), high.into_var());
        let dtype = sample_dtype(M, draw.dtype, &low, &high)?;
        let low = undefined_grad(&T::cast(&low, dtype));
        let high = undefined_grad(&T::cast(&high, dtype));
        let size_var = match &size {
            Size::Tuple(dims) => {
                if dims.iter().any(|d| matches!(d, Dim::Int(i) if *i <= 0)) {
                    return Err(RandomError::Size {
                        method: M,
                        size: size.describe(),
                        reason: "The specified size contains a dimension with value <= 0".into(),
                    });
                }
                size_tuple(dims, M, &size)?
            }
            Size::None => {
                return Err(RandomError::Size {
                    method: M,
                    size: size.describe(),
                    reason: "size must be a tuple of int or a Theano Variable with 1 dimension, \
                             got None"
                        .into(),
                })
            }
            Size::Vector(v) => {
                if v.ndim() != 1 || !v.dtype().is_int() {
                    return Err(RandomError::Size {
                        method: M,
                        size: size.describe(),
                        reason: format!(
                            "size must be a tuple of int or an integer vector, got {}",
                            v.ty()
                        ),
                    });
                }
                v.clone()
            }
        };
        let known = theano_ir::known_ints(&size_var);
        let ndim = sample_ndim(M, &size.describe(), draw.ndim, known.clone())?;
        let broadcastable: Vec<bool> = (0..ndim)
            .map(|i| known.as_ref().is_some_and(|k| k[i] == Some(1)))
            .collect();
        let n_streams = match draw.nstreams {
            Some(0) => {
                return Err(RandomError::Argument {
                    method: M,
                    reason: "nstreams must be positive".into(),
                })
            }
            Some(n) => n,
            None => mrg::guess_n_streams(size.ints().as_deref()),
        }
        .max(1);
        let mut inner = self.lock();
        let states = Self::substreams(&mut inner, n_streams);
        let rstate = Variable::shared_bounded(states, None);
        let op = mrg_uniform_op(dtype, &broadcastable)
            .map_err(|reason| RandomError::Argument { method: M, reason })?;
        let outs = T::apply_op(op, vec![rstate.clone(), size_var])?;
        let (new_rstate, u) = (outs[0].clone(), outs[1].clone());
        rstate
            .set_default_update(Some(&new_rstate))
            .map_err(|reason| RandomError::Argument { method: M, reason })?;
        inner.updates.push(StateUpdate {
            rstate,
            new_rstate,
            n_streams,
        });
        drop(inner);
        let r = T::add(T::mul(&u, T::sub(&high, &low)), &low);
        if r.broadcastable() != u.broadcastable() {
            return Err(RandomError::NotImplemented(
                "Increase the size to match the broadcasting pattern of `low` and `high` arguments"
                    .into(),
            ));
        }
        Ok(r)
    }

    /// Samples of the binomial distribution with `n` trials of probability `p` (Theano
    /// implements `n = 1` only: `uniform < p`, cast to the dtype, int64 by default).
    #[track_caller]
    pub fn binomial(&self, size: impl Into<Size>, n: i64, p: impl IntoVar) -> Result<Variable> {
        self.binomial_with(size, n, p, Draw::default())
    }

    /// [`MrgRandomStreams::binomial`] with Theano's keyword arguments.
    #[track_caller]
    pub fn binomial_with(
        &self,
        size: impl Into<Size>,
        n: i64,
        p: impl IntoVar,
        draw: Draw,
    ) -> Result<Variable> {
        if n != 1 {
            return Err(RandomError::NotImplemented(
                "MRG_RandomStreams.binomial with n > 1".into(),
            ));
        }
        let p = undefined_grad(&p.into_var());
        let x = self.uniform_with(
            size,
            0.0,
            1.0,
            Draw {
                dtype: None,
                ..draw
            },
        )?;
        Ok(T::cast(T::lt(&x, &p), draw.dtype.unwrap_or(DType::Int64)))
    }

    /// `n` draws from the multinomial distribution of each row of `pvals` (Theano's
    /// `multinomial(pvals=.., n=1)`): a matrix of `pvals`' shape counting each row's
    /// outcomes, int64, from one uniform sample per row and draw
    /// ([`crate::multinomial`]). As in Theano the probabilities are not checked.
    #[track_caller]
    pub fn multinomial(&self, pvals: impl IntoVar, n: i64) -> Result<Variable> {
        self.multinomial_with(pvals, n, Draw::default())
    }

    /// [`MrgRandomStreams::multinomial`] with Theano's keyword arguments (`dtype` of the
    /// counts, `nstreams`; `ndim` is refused as Theano refuses it).
    #[track_caller]
    pub fn multinomial_with(&self, pvals: impl IntoVar, n: i64, draw: Draw) -> Result<Variable> {
        const M: &str = "multinomial";
        if draw.ndim.is_some() {
            return Err(RandomError::Argument {
                method: M,
                reason: "Provided an ndim argument to MRG_RandomStreams.multinomial, which does \
                         not use the ndim argument."
                    .into(),
            });
        }
        if n < 0 {
            return Err(RandomError::Argument {
                method: M,
                reason: format!("n is {n}; the draws per row must not be negative"),
            });
        }
        let pvals = undefined_grad(&pvals.into_var());
        if pvals.ndim() != 2 {
            return Err(RandomError::NotImplemented(
                "MRG_RandomStreams.multinomial only implemented for pvals.ndim = 2".into(),
            ));
        }
        if !pvals.dtype().is_float() {
            return Err(RandomError::Argument {
                method: M,
                reason: format!("pvals must be probabilities (floats), got {}", pvals.ty()),
            });
        }
        let op = multinomial_from_uniform_op(draw.dtype.unwrap_or(DType::Int64));
        self.draw_from_uniform(op, pvals, T::constant(n), draw.nstreams)
    }

    /// `size` indices drawn without replacement from the distribution of each row of `p`
    /// (Theano's `choice(size, replace=False, p=..)`): a `rows x size` int64 matrix of indices
    /// between 0 and `p.shape[1] - 1` ([`crate::multinomial`]).
    #[track_caller]
    pub fn choice(&self, size: impl IntoVar, p: impl IntoVar) -> Result<Variable> {
        self.choice_with(size, p, false, Draw::default())
    }

    /// [`MrgRandomStreams::choice`] with Theano's keyword arguments: `replace` (only `false`
    /// is implemented, as in Theano), `dtype`, `nstreams` (`ndim` is refused).
    #[track_caller]
    pub fn choice_with(
        &self,
        size: impl IntoVar,
        p: impl IntoVar,
        replace: bool,
        draw: Draw,
    ) -> Result<Variable> {
        if replace {
            return Err(RandomError::NotImplemented(
                "MRG_RandomStreams.choice only works without replacement for now.".into(),
            ));
        }
        let p = undefined_grad(&p.into_var());
        if draw.ndim.is_some() {
            return Err(RandomError::Argument {
                method: "choice",
                reason: "ndim argument to MRG_RandomStreams.choice is not used.".into(),
            });
        }
        if p.ndim() != 2 {
            return Err(RandomError::NotImplemented(
                "MRG_RandomStreams.choice is only implemented for p.ndim = 2".into(),
            ));
        }
        let size = size.into_var();
        if size.ndim() != 0 || !size.dtype().is_int() || !p.dtype().is_float() {
            return Err(RandomError::Argument {
                method: "choice",
                reason: format!(
                    "size must be an integer scalar and p probabilities (floats), got {} and {}",
                    size.ty(),
                    p.ty()
                ),
            });
        }
        let op = choice_from_uniform_op(draw.dtype.unwrap_or(DType::Int64));
        self.draw_from_uniform(op, p, size, draw.nstreams)
    }

    /// `op(p, unis, n)` with one uniform sample per row of `p` and draw: `unis` of length
    /// `p[:, 0].shape * n` (Theano's `multinomial` and `choice`).
    #[track_caller]
    fn draw_from_uniform(
        &self,
        op: Op,
        p: Variable,
        n: Variable,
        nstreams: Option<usize>,
    ) -> Result<Variable> {
        let col = p.get(&[
            Idx::Slice(None, None, None),
            Idx::Int(Variable::index_constant(0)),
        ])?;
        let size = T::mul(col.shape(), &n);
        let unis = self.uniform_with(
            Size::Vector(size),
            0.0,
            1.0,
            Draw {
                dtype: None,
                ndim: Some(1),
                nstreams,
            },
        )?;
        Ok(T::apply_op(op, vec![p, unis, n])?.remove(0))
    }

    /// Samples of the normal distribution of mean `avg` and standard deviation `std`, by the
    /// Box-Muller transform of an even number of uniform samples (Theano's `normal`).
    #[track_caller]
    pub fn normal(
        &self,
        size: impl Into<Size>,
        avg: impl IntoVar,
        std: impl IntoVar,
    ) -> Result<Variable> {
        self.normal_with(size, avg, std, Draw::default(), false)
    }

    /// The normal distribution truncated at two standard deviations, of mean `avg` and
    /// standard deviation `std` (Theano's `truncated_normal`: `std` is scaled by 1 / 0.8796…,
    /// the truncated distribution's own deviation, and the samples beyond two deviations are
    /// drawn again from the part of a second uniform draw that lands inside).
    #[track_caller]
    pub fn truncated_normal(
        &self,
        size: impl Into<Size>,
        avg: impl IntoVar,
        std: impl IntoVar,
    ) -> Result<Variable> {
        self.truncated_normal_with(size, avg, std, Draw::default())
    }

    /// [`MrgRandomStreams::truncated_normal`] with Theano's keyword arguments.
    #[track_caller]
    pub fn truncated_normal_with(
        &self,
        size: impl Into<Size>,
        avg: impl IntoVar,
        std: impl IntoVar,
        draw: Draw,
    ) -> Result<Variable> {
        // scipy.stats.truncnorm.std(a=-2, b=2, loc=0., scale=1.)
        let std = T::true_div(std.into_var(), T::constant(0.879_625_661_034_239_8_f64));
        self.normal_with(size, avg, std, draw, true)
    }

    /// [`MrgRandomStreams::normal`] with Theano's keyword arguments (`truncate`: cut at two
    /// standard deviations, as `truncated_normal` does without rescaling `std`).
    #[track_caller]
    pub fn normal_with(
        &self,
        size: impl Into<Size>,
        avg: impl IntoVar,
        std: impl IntoVar,
        draw: Draw,
        truncate: bool,
    ) -> Result<Variable> {
        const M: &str = "normal";
        let size = size.into();
        let size = check_size(&size, M)?;
        let avg = undefined_grad(&avg.into_var());
        let std = undefined_grad(&std.into_var());
        let dtype = sample_dtype(M, draw.dtype, &avg, &std)?;
        let avg = T::cast(&avg, dtype);
        let std = T::cast(&std, dtype);
        let ndim = sample_ndim(
            M,
            &size.to_string(),
            draw.ndim,
            theano_ir::known_ints(&size),
        )?;
        let n_odd = T::apply_op(
            theano_ir::Op::Reduce {
                kind: theano_ir::ReduceKind::Prod,
                axes: None,
                dtype: Some(DType::Int64),
            },
            vec![size.clone()],
        )?
        .remove(0);
        let n_even = T::add(&n_odd, T::modulo(&n_odd, 2i64));
        let half = T::int_div(&n_even, 2i64);
        let uniform = self.uniform_with(
            Size::Tuple(vec![Dim::Var(n_even.clone())]),
            0.0,
            1.0,
            Draw {
                dtype: Some(dtype),
                ndim: Some(1),
                nstreams: draw.nstreams,
            },
        )?;
        let u1 = uniform.get(&[Idx::Slice(None, Some(half.clone()), None)])?;
        let u2 = uniform.get(&[Idx::Slice(Some(half.clone()), None, None)])?;
        let r = T::sqrt(T::mul(-2.0, T::log(&u1)));
        let two_pi = Variable::constant_bounded(Tensor::scalar(TWO_PI).cast(dtype));
        let theta = T::mul(two_pi, &u2);
        let (cos_theta, sin_theta) = (T::cos(&theta), T::sin(&theta));
        let z0 = T::mul(&r, &cos_theta);
        let z1 = T::mul(&r, &sin_theta);
        let norm_samples = if truncate {
            let outside = |z: &Variable| T::or_(T::lt(z, -2.0), T::gt(z, 2.0));
            let to_fix0 = outside(&z0)?;
            let to_fix1 = outside(&z1)?;
            let valid = |z: &Variable, bad: &Variable| -> Result<Variable> {
                let keep = T::nonzero(T::invert(bad)?)?;
                Ok(z.get(&[Idx::Array(keep[0].clone())])?)
            };
            let z0_valid = valid(&z0, &to_fix0)?;
            let z1_valid = valid(&z1, &to_fix1)?;
            let fix0 = T::nonzero(&to_fix0)?.remove(0);
            let fix1 = T::nonzero(&to_fix1)?.remove(0);
            let n0 = T::shape_i(&fix0, 0)?;
            let n_fix = T::add(&n0, T::shape_i(&fix1, 0)?);
            let lower = Variable::constant_bounded(
                Tensor::scalar(1.0 / std::f64::consts::E.powi(2)).cast(dtype),
            );
            let u_fix = self.uniform_with(
                Size::Tuple(vec![Dim::Var(n_fix)]),
                lower,
                1.0,
                Draw {
                    dtype: Some(dtype),
                    ndim: Some(1),
                    nstreams: draw.nstreams,
                },
            )?;
            let r_fix = T::sqrt(T::mul(-2.0, T::log(&u_fix)));
            let z0_fixed = T::mul(
                r_fix.get(&[Idx::Slice(None, Some(n0.clone()), None)])?,
                cos_theta.get(&[Idx::Array(fix0)])?,
            );
            let z1_fixed = T::mul(
                r_fix.get(&[Idx::Slice(Some(n0.clone()), None, None)])?,
                sin_theta.get(&[Idx::Array(fix1)])?,
            );
            T::concatenate(&[z0_valid, z0_fixed, z1_valid, z1_fixed], 0)?
        } else {
            T::concatenate(&[z0, z1], 0)?
        };
        let samples = norm_samples.get(&[Idx::Slice(None, Some(n_odd.clone()), None)])?;
        let samples = T::reshape_ndim(&samples, &size, ndim)?;
        Ok(T::add(T::mul(&samples, &std), &avg))
    }
}

/// The samples' dtype: the one asked for, else the parameters' upcast with floatX (Theano's
/// `scal.upcast(config.floatX, low.dtype, high.dtype)`); a float.
fn sample_dtype(
    method: &'static str,
    asked: Option<DType>,
    a: &Variable,
    b: &Variable,
) -> Result<DType> {
    let dtype = asked
        .unwrap_or_else(|| DType::upcast(&[float_x(), a.dtype(), b.dtype()]).unwrap_or(float_x()));
    if !dtype.is_float() {
        return Err(RandomError::Argument {
            method,
            reason: format!("samples are float32 or float64, not {dtype}"),
        });
    }
    Ok(dtype)
}

/// The samples' rank: `ndim` when given (it must agree with a size of known length), else
/// the size's length, which must then be known from the graph.
fn sample_ndim(
    method: &'static str,
    size: &str,
    asked: Option<usize>,
    known: Option<Vec<Option<i64>>>,
) -> Result<usize> {
    let refuse = |reason: String| RandomError::Size {
        method,
        size: size.to_string(),
        reason,
    };
    match (asked, known) {
        (Some(n), Some(k)) if n != k.len() => Err(refuse(format!(
            "ndim is {n} but the size has {} lengths",
            k.len()
        ))),
        (Some(n), _) => Ok(n),
        (None, Some(k)) => Ok(k.len()),
        (None, None) => Err(refuse(
            "the size vector's length is not known from the graph: give ndim".into(),
        )),
    }
}

/// A tuple size as an int64 vector: a constant when every length is known, else a
/// `MakeVector` of the lengths.
fn size_tuple(dims: &[Dim], method: &'static str, size: &Size) -> Result<Variable> {
    if let Some(ints) = size.ints() {
        return Ok(Variable::constant_bounded(
            Tensor::from_shape_vec(&[ints.len()], ints).expect("a vector"),
        ));
    }
    let parts = dims
        .iter()
        .map(|d| match d {
            Dim::Int(i) => Ok(T::constant(*i)),
            Dim::Var(v) if v.ndim() == 0 && v.dtype().is_int() => Ok(v.clone()),
            Dim::Var(v) => Err(RandomError::Size {
                method,
                size: size.describe(),
                reason: format!(
                    "Non-scalar or non-integer Theano variable in size: {v} of type {}",
                    v.ty()
                ),
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(T::make_vector(&parts, DType::Int64)?)
}

/// Theano's `_check_size`: a size as an integer vector variable.
fn check_size(size: &Size, method: &'static str) -> Result<Variable> {
    match size {
        Size::Vector(v) if v.ndim() == 1 && v.dtype().is_int() => Ok(v.clone()),
        Size::Vector(v) if v.ndim() == 0 && v.dtype().is_int() => {
            Ok(T::make_vector(std::slice::from_ref(v), v.dtype())?)
        }
        Size::Vector(v) => Err(RandomError::Size {
            method,
            size: size.describe(),
            reason: format!(
                "Theano variable must have 1 dimension to be a valid size, got {}",
                v.ty()
            ),
        }),
        Size::None => Err(RandomError::Size {
            method,
            size: size.describe(),
            reason: "Size must be a int, tuple, list or Theano variable.".into(),
        }),
        Size::Tuple(dims) => {
            if dims.iter().any(|d| matches!(d, Dim::Int(i) if *i <= 0)) {
                return Err(RandomError::Size {
                    method,
                    size: size.describe(),
                    reason: "Non-positive dimensions not allowed in size.".into(),
                });
            }
            size_tuple(dims, method, size)
        }
    }
}
