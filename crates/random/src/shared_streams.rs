//! `RandomStreams`: Theano 1.0's `theano.tensor.shared_randomstreams.RandomStreams`.
//!
//! A seed generator (NumPy's `RandomState(seed)`) gives each draw a seed `randint(2**30)`;
//! the draw gets a shared variable holding `RandomState(that seed)` (as the `uint32` state
//! vector of [`crate::mt`]), a `RandomFunction` node reading it (outputs: the next state, the
//! samples), and the variable's default update is the next state, so every call of a
//! function using the draw advances it unless the function is built with
//! `no_default_updates`. The samples are NumPy's legacy ones, bit for bit.

use crate::mt::RandomState;
use crate::raw_op::{random_function_op, rng_of, Dist};
use crate::streams::{Dim, RandomError, Size};
use std::sync::Mutex;
use theano_ir::tensor::{self as T, IntoVar};
use theano_ir::{config::float_x, Variable};
use theano_tensor::{DType, Tensor};

type Result<T> = std::result::Result<T, RandomError>;

/// The keyword arguments of every draw besides its parameters: `dtype` (`None`: the
/// distribution's default) and `ndim` (needed only when a size vector's length is not known
/// from the graph).
#[derive(Clone, Copy, Debug, Default)]
pub struct DrawArgs {
    pub dtype: Option<DType>,
    pub ndim: Option<usize>,
}

impl DrawArgs {
    /// Only the dtype.
    pub fn dtype(dtype: DType) -> DrawArgs {
        DrawArgs {
            dtype: Some(dtype),
            ndim: None,
        }
    }
}

struct Inner {
    seedgen: RandomState,
    updates: Vec<(Variable, Variable)>,
}

/// Theano's `RandomStreams`: symbolic random variables drawn from NumPy `RandomState`s.
pub struct RandomStreams {
    default_seed: Option<u32>,
    inner: Mutex<Inner>,
}

/// A seed from the operating system's entropy (NumPy's `RandomState(None)`).
fn entropy_seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish() as u32
}

fn seed_of(seed: Option<i64>) -> Result<RandomState> {
    match seed {
        Some(s) => RandomState::from_seed(s).map_err(|e| RandomError::StreamsSeed(e.0)),
        None => Ok(RandomState::new(entropy_seed())),
    }
}

/// `randint(2**30)`, a stream's seed.
fn stream_seed(gen: &mut RandomState) -> u32 {
    gen.bounded((1 << 30) - 1) as u32
}

impl RandomStreams {
    /// Streams whose seeds come from `RandomState(seed)` (`None`: from the system's
    /// entropy, as Theano's default); a seed must lie in `0..2**32`.
    pub fn new(seed: impl Into<Option<i64>>) -> Result<RandomStreams> {
        let seed = seed.into();
        let seedgen = seed_of(seed)?;
        Ok(RandomStreams {
            default_seed: seed.map(|s| s as u32),
            inner: Mutex::new(Inner {
                seedgen,
                updates: Vec::new(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `(state, next state)` pairs of every draw, in the order drawn (Theano's
    /// `updates()` and `state_updates`).
    pub fn updates(&self) -> Vec<(Variable, Variable)> {
        self.lock().updates.clone()
    }

    /// Theano's `seed(seed)`: gives every draw made so far the state
    /// `RandomState(randint(2**30))` drawn from a fresh `RandomState(seed)` (`None`: the seed
    /// the streams were made with), in the order drawn. Later draws keep taking their seeds
    /// from the first generator, as in Theano.
    pub fn seed(&self, seed: Option<i64>) -> Result<()> {
        let mut gen = seed_of(seed.or(self.default_seed.map(i64::from)))?;
        let updates = self.lock().updates.clone();
        for (rng, _) in updates {
            let state = RandomState::new(stream_seed(&mut gen));
            rng.set_value(state.to_tensor())
                .map_err(|reason| RandomError::Argument {
                    method: "seed",
                    reason,
                })?;
        }
        Ok(())
    }

    /// Theano's `srng[rv.rng]`: the state a draw's variable holds (`rv` may be the draw or
    /// its state variable).
    pub fn get(&self, rv: &Variable) -> Result<RandomState> {
        let rng = state_variable(rv)?;
        let value = rng.get_value().map_err(|reason| RandomError::Argument {
            method: "get",
            reason,
        })?;
        RandomState::from_tensor(&value).map_err(|e| RandomError::State(e.0))
    }

    /// Theano's `srng[rv.rng] = state`.
    pub fn set(&self, rv: &Variable, state: &RandomState) -> Result<()> {
        let rng = state_variable(rv)?;
        rng.set_value(state.to_tensor())
            .map_err(|reason| RandomError::Argument {
                method: "set",
                reason,
            })
    }

    /// Theano's `gen`: a new stream for a `dist` node of the given type.
    #[track_caller]
    fn gen(
        &self,
        method: &'static str,
        dist: Dist,
        dtype: DType,
        broadcastable: &[bool],
        size: Variable,
        params: Vec<Variable>,
    ) -> Result<Variable> {
        let op = random_function_op(dist, dtype, broadcastable)
            .map_err(|reason| RandomError::Argument { method, reason })?;
        let mut inner = self.lock();
        let seed = stream_seed(&mut inner.seedgen);
        let rng = Variable::shared_bounded(RandomState::new(seed).to_tensor(), None);
        let mut inputs = vec![rng.clone(), size];
        inputs.extend(params);
        let outs = T::apply_op(op, inputs)?;
        let (new_rng, out) = (outs[0].clone(), outs[1].clone());
        rng.set_default_update(Some(&new_rng))
            .map_err(|reason| RandomError::Argument { method, reason })?;
        inner.updates.push((rng, new_rng));
        Ok(out)
    }

    /// Samples uniform in `[low, high)` of `size` (Theano's `uniform(size, low=0.0,
    /// high=1.0)`; dtype: floatX upcast with the bounds').
    #[track_caller]
    pub fn uniform(
        &self,
        size: impl Into<Size>,
        low: impl IntoVar,
        high: impl IntoVar,
    ) -> Result<Variable> {
        self.uniform_with(size, low, high, DrawArgs::default())
    }

    /// [`RandomStreams::uniform`] with Theano's keyword arguments.
    #[track_caller]
    pub fn uniform_with(
        &self,
        size: impl Into<Size>,
        low: impl IntoVar,
        high: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        self.continuous("uniform", Dist::Uniform, size.into(), low, high, args)
    }

    /// Samples of the normal distribution of mean `avg` and standard deviation `std`
    /// (Theano's `normal(size, avg=0.0, std=1.0)`; NumPy's polar method).
    #[track_caller]
    pub fn normal(
        &self,
        size: impl Into<Size>,
        avg: impl IntoVar,
        std: impl IntoVar,
    ) -> Result<Variable> {
        self.normal_with(size, avg, std, DrawArgs::default())
    }

    /// [`RandomStreams::normal`] with Theano's keyword arguments.
    #[track_caller]
    pub fn normal_with(
        &self,
        size: impl Into<Size>,
        avg: impl IntoVar,
        std: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        self.continuous("normal", Dist::Normal, size.into(), avg, std, args)
    }

    #[track_caller]
    fn continuous(
        &self,
        method: &'static str,
        dist: Dist,
        size: Size,
        a: impl IntoVar,
        b: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        let (a, b) = (a.into_var(), b.into_var());
        let dtype = match args.dtype {
            Some(d) => d,
            None => DType::upcast(&[float_x(), a.dtype(), b.dtype()]).unwrap_or(float_x()),
        };
        if !dtype.is_float() {
            return Err(RandomError::Argument {
                method,
                reason: format!("dtype: samples are float32 or float64, not {dtype}"),
            });
        }
        check_param(method, "parameter", &a)?;
        check_param(method, "parameter", &b)?;
        let (ndim, size, bcast) = infer_ndim_bcast(method, args.ndim, &size, &[&a, &b])?;
        let _ = ndim;
        self.gen(method, dist, dtype, &bcast, size, vec![a, b])
    }

    /// The number of successes in `n` trials of probability `p` (Theano's `binomial(size,
    /// n=1, p=0.5)`, int64 by default; NumPy's inversion or BTPE sampler).
    #[track_caller]
    pub fn binomial(
        &self,
        size: impl Into<Size>,
        n: impl IntoVar,
        p: impl IntoVar,
    ) -> Result<Variable> {
        self.binomial_with(size, n, p, DrawArgs::default())
    }

    /// [`RandomStreams::binomial`] with Theano's keyword arguments.
    #[track_caller]
    pub fn binomial_with(
        &self,
        size: impl Into<Size>,
        n: impl IntoVar,
        p: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        const M: &str = "binomial";
        let (n, p) = (n.into_var(), p.into_var());
        check_int(M, "n", &n)?;
        check_param(M, "p", &p)?;
        let dtype = count_dtype(M, args.dtype)?;
        let (ndim, size, _) = infer_ndim_bcast(M, args.ndim, &size.into(), &[&n, &p])?;
        self.gen(
            M,
            Dist::Binomial,
            dtype,
            &vec![false; ndim],
            size,
            vec![n, p],
        )
    }

    /// Integers between `low` and `high`, both included (Theano's `random_integers(size,
    /// low=0, high=1)`, int64 by default; each element is NumPy's `randint(low, high + 1)`).
    #[track_caller]
    pub fn random_integers(
        &self,
        size: impl Into<Size>,
        low: impl IntoVar,
        high: impl IntoVar,
    ) -> Result<Variable> {
        self.random_integers_with(size, low, high, DrawArgs::default())
    }

    /// [`RandomStreams::random_integers`] with Theano's keyword arguments.
    #[track_caller]
    pub fn random_integers_with(
        &self,
        size: impl Into<Size>,
        low: impl IntoVar,
        high: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        const M: &str = "random_integers";
        let (low, high) = (low.into_var(), high.into_var());
        check_int(M, "low", &low)?;
        check_int(M, "high", &high)?;
        let dtype = count_dtype(M, args.dtype)?;
        let (_, size, bcast) = infer_ndim_bcast(M, args.ndim, &size.into(), &[&low, &high])?;
        self.gen(
            M,
            Dist::RandomIntegers,
            dtype,
            &bcast,
            size,
            vec![low, high],
        )
    }

    /// Permutations of `0..n`, one per element of `size` (Theano's `permutation(size,
    /// n=1)`): the samples have shape `size + (n,)`; an empty size draws one.
    #[track_caller]
    pub fn permutation(&self, size: impl Into<Size>, n: impl IntoVar) -> Result<Variable> {
        self.permutation_with(size, n, DrawArgs::default())
    }

    /// [`RandomStreams::permutation`] with Theano's keyword arguments (`ndim`: the size's
    /// length; the samples have one more dimension).
    #[track_caller]
    pub fn permutation_with(
        &self,
        size: impl Into<Size>,
        n: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        const M: &str = "permutation";
        let n = n.into_var();
        if !n.dtype().is_int() || n.ndim() != 0 {
            return Err(RandomError::Argument {
                method: M,
                reason: format!("n must be an integer scalar, got {}", n.ty()),
            });
        }
        let dtype = count_dtype(M, args.dtype)?;
        let size = size.into();
        let empty = matches!(&size, Size::None) || matches!(&size, Size::Tuple(d) if d.is_empty());
        let (size, mut bcast) = if empty {
            if !matches!(args.ndim, None | Some(1)) {
                return Err(RandomError::Argument {
                    method: M,
                    reason:
                        "You asked for just one permutation but asked for more then 1 dimensions."
                            .into(),
                });
            }
            (empty_size(), Vec::new())
        } else {
            let (_, s, b) = infer_ndim_bcast(M, args.ndim, &size, &[])?;
            (s, b)
        };
        bcast.push(false);
        self.gen(M, Dist::Permutation, dtype, &bcast, size, vec![n])
    }
}

impl RandomStreams {
    /// Counts of a Poisson distribution of mean `lam` (Theano's `poisson(size, lam)`, int64
    /// by default; NumPy's multiplication method below `lam = 10`, PTRS above). As in
    /// Theano the size is needed: `lam` broadcasts against it and does not give it.
    #[track_caller]
    pub fn poisson(&self, size: impl Into<Size>, lam: impl IntoVar) -> Result<Variable> {
        self.poisson_with(size, lam, DrawArgs::default())
    }

    /// [`RandomStreams::poisson`] with Theano's keyword arguments.
    #[track_caller]
    pub fn poisson_with(
        &self,
        size: impl Into<Size>,
        lam: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        const M: &str = "poisson";
        let lam = lam.into_var();
        check_param(M, "lam", &lam)?;
        let dtype = count_dtype(M, args.dtype)?;
        let (_, size, bcast) = infer_ndim_bcast(M, args.ndim, &size.into(), &[])?;
        self.gen(M, Dist::Poisson, dtype, &bcast, size, vec![lam])
    }

    /// Samples of `0..a` for an integer scalar `a`, or of the elements of a vector `a`, with
    /// replacement and uniform (Theano's `choice(size, a=2)`, int64 by default).
    #[track_caller]
    pub fn choice(&self, size: impl Into<Size>, a: impl IntoVar) -> Result<Variable> {
        self.choice_with(size, a, true, None, DrawArgs::default())
    }

    /// [`RandomStreams::choice`] with Theano's keyword arguments: `replace`, and `p` (the
    /// probabilities of the members; `None`: uniform). NumPy's legacy `choice` draws them.
    #[track_caller]
    pub fn choice_with(
        &self,
        size: impl Into<Size>,
        a: impl IntoVar,
        replace: bool,
        p: Option<Variable>,
        args: DrawArgs,
    ) -> Result<Variable> {
        const M: &str = "choice";
        let a = a.into_var();
        check_param(M, "a", &a)?;
        if a.ndim() > 1 {
            return Err(RandomError::Argument {
                method: M,
                reason: format!("a.ndim ({}) must be 0 or 1", a.ndim()),
            });
        }
        // Theano's encoding: replace as an int8 constant, p=None as an empty vector
        let replace = Variable::constant_bounded(Tensor::scalar(i8::from(replace)));
        let p = match p {
            Some(p) => {
                check_param(M, "p", &p)?;
                if p.ndim() != 1 {
                    return Err(RandomError::Argument {
                        method: M,
                        reason: format!("p.ndim ({}) must be 1", p.ndim()),
                    });
                }
                p
            }
            None => Variable::constant_bounded(
                Tensor::from_shape_vec(&[0], Vec::<f64>::new()).expect("a vector"),
            ),
        };
        let dtype = count_dtype(M, args.dtype)?;
        let (_, size, bcast) = infer_ndim_bcast(M, args.ndim, &size.into(), &[])?;
        self.gen(M, Dist::Choice, dtype, &bcast, size, vec![a, replace, p])
    }

    /// Counts of `n` trials over the categories of `pvals`'s last axis, one row per element
    /// of the size (Theano's `multinomial(size, n=1, pvals=[0.5, 0.5])`, int64 by default):
    /// the samples have shape `size + (pvals.shape[-1],)`; `n` and `pvals`'s other axes
    /// broadcast against the size, and give it under [`Size::None`].
    #[track_caller]
    pub fn multinomial(
        &self,
        size: impl Into<Size>,
        n: impl IntoVar,
        pvals: impl IntoVar,
    ) -> Result<Variable> {
        self.multinomial_with(size, n, pvals, DrawArgs::default())
    }

    /// [`RandomStreams::multinomial`] with Theano's keyword arguments (`ndim`: the size's
    /// length; the samples have one more dimension).
    #[track_caller]
    pub fn multinomial_with(
        &self,
        size: impl Into<Size>,
        n: impl IntoVar,
        pvals: impl IntoVar,
        args: DrawArgs,
    ) -> Result<Variable> {
        const M: &str = "multinomial";
        let (n, pvals) = (n.into_var(), pvals.into_var());
        check_int(M, "n", &n)?;
        check_param(M, "pvals", &pvals)?;
        if pvals.ndim() == 0 {
            return Err(RandomError::Argument {
                method: M,
                reason: "pvals must have at least one dimension (the categories), got a scalar"
                    .into(),
            });
        }
        let dtype = count_dtype(M, args.dtype)?;
        // Theano's `pvals.T[0].T`: pvals without its last axis, for the size's inference
        let head = T::transpose(&T::transpose(&pvals, None)?.at(0)?, None)?;
        let (_, size, mut bcast) = infer_ndim_bcast(M, args.ndim, &size.into(), &[&n, &head])?;
        bcast.push(pvals.broadcastable()[pvals.ndim() - 1]);
        self.gen(M, Dist::Multinomial, dtype, &bcast, size, vec![n, pvals])
    }
}

impl RandomStreams {
    /// `input` with every row (last axis) shuffled, each by its own permutation (Theano's
    /// `shuffle_row_elements`): a [`RandomStreams::permutation`] of `input.shape[-1]` per
    /// element of `input.shape[:-1]`, applied by [`T::permute_row_elements`]. The
    /// permutations are the node's input 1 (Theano's `.permutation` attribute).
    #[track_caller]
    pub fn shuffle_row_elements(&self, input: &Variable) -> Result<Variable> {
        const M: &str = "shuffle_row_elements";
        if input.ndim() == 0 {
            return Err(RandomError::Argument {
                method: M,
                reason: format!("input must have at least one dimension, got {}", input.ty()),
            });
        }
        let lead = input.shape().get(&[T::Idx::slice(
            None,
            Some(Variable::index_constant(-1)),
            None,
        )])?;
        let n = input.shape().at(-1i64)?;
        let args = DrawArgs {
            ndim: Some(input.ndim() - 1),
            ..DrawArgs::default()
        };
        let perm = self.permutation_with(lead, n, args)?;
        Ok(T::permute_row_elements(input, &perm, false)?)
    }
}

/// The state variable of a draw, or the variable itself when it is a state.
fn state_variable(rv: &Variable) -> Result<Variable> {
    if let Some(r) = rng_of(rv) {
        return Ok(r);
    }
    if rv.is_shared() && rv.ty() == crate::raw_op::state_type() {
        return Ok(rv.clone());
    }
    Err(RandomError::Argument {
        method: "rng",
        reason: format!("{rv} is neither a random draw nor a random state"),
    })
}

/// A count's dtype: int64 unless asked; an integer or a float.
fn count_dtype(method: &'static str, asked: Option<DType>) -> Result<DType> {
    let d = asked.unwrap_or(DType::Int64);
    if d == DType::Bool {
        return Err(RandomError::Argument {
            method,
            reason: format!("dtype: samples are integers or floats, not {d}"),
        });
    }
    Ok(d)
}

fn check_param(method: &'static str, what: &str, v: &Variable) -> Result<()> {
    if v.dtype() == DType::Bool {
        return Err(RandomError::Argument {
            method,
            reason: format!("{what} must be a real number, got {}", v.ty()),
        });
    }
    Ok(())
}

fn check_int(method: &'static str, what: &str, v: &Variable) -> Result<()> {
    if !v.dtype().is_int() {
        return Err(RandomError::Argument {
            method,
            reason: format!("{what} must be an integer, got {}", v.ty()),
        });
    }
    Ok(())
}

fn empty_size() -> Variable {
    Variable::constant_bounded(Tensor::from_shape_vec(&[0], Vec::<i64>::new()).expect("a vector"))
}

/// Theano's `_infer_ndim_bcast`: the samples' rank, the size as an int64 vector and the
/// samples' broadcastable pattern, from a size tuple (known lengths, integer scalars, -1 for
/// a parameter's length) or an integer vector.
fn infer_ndim_bcast(
    method: &'static str,
    ndim: Option<usize>,
    size: &Size,
    args: &[&Variable],
) -> Result<(usize, Variable, Vec<bool>)> {
    let refuse = |reason: String| RandomError::Size {
        method,
        size: size.describe(),
        reason,
    };
    let args_ndim = args.iter().map(|a| a.ndim()).max().unwrap_or(0);
    let (ndim, v_shape, bcast) = match size {
        Size::Tuple(dims) => {
            let nd = dims.len();
            if let Some(n) = ndim {
                if n != nd {
                    return Err(refuse(format!(
                        "ndim should be equal to len(shape), but ndim = {n}, len(shape) = {nd}"
                    )));
                }
            }
            let mut bcast = Vec::with_capacity(nd);
            let mut parts = Vec::with_capacity(nd);
            // Theano caches the constants of small integers: equal lengths are one constant
            let mut small: Vec<(i64, Variable)> = Vec::new();
            for (i, d) in dims.iter().enumerate() {
                match d {
                    Dim::Var(v) => {
                        if v.ndim() != 0 || !v.dtype().is_int() {
                            return Err(refuse(format!(
                                "a symbolic length must be an integer scalar, got {v} of type {}",
                                v.ty()
                            )));
                        }
                        bcast.push(false);
                        parts.push(v.clone());
                    }
                    Dim::Int(s) if *s >= 0 => {
                        bcast.push(*s == 1);
                        let c = match small.iter().find(|(v, _)| v == s) {
                            Some((_, c)) => c.clone(),
                            None => {
                                let c = s.into_var();
                                if *s <= 10 {
                                    small.push((*s, c.clone()));
                                }
                                c
                            }
                        };
                        parts.push(c);
                    }
                    Dim::Int(-1) => {
                        // the length of the first parameter not broadcastable there
                        let mut overlap = 0;
                        let mut found = None;
                        for a in args {
                            if i + a.ndim() >= nd {
                                overlap += 1;
                                let ai = i + a.ndim() - nd;
                                if !a.broadcastable()[ai] {
                                    found = Some(T::shape_i(*a, ai)?);
                                    break;
                                }
                            }
                        }
                        match found {
                            Some(len) => {
                                bcast.push(false);
                                parts.push(len);
                            }
                            None if overlap == 0 => {
                                return Err(refuse(
                                    "Auto-shape of -1 must overlap with the shape of one of the \
                                     broadcastable inputs"
                                        .into(),
                                ))
                            }
                            None => {
                                bcast.push(true);
                                parts.push(1i64.into_var());
                            }
                        }
                    }
                    Dim::Int(s) => return Err(refuse(format!("negative shape {s}"))),
                }
            }
            let v_shape = if parts.is_empty() {
                empty_size()
            } else {
                let dtypes: Vec<DType> = parts.iter().map(|p| p.dtype()).collect();
                let dt = DType::upcast(&dtypes).unwrap_or(DType::Int64);
                T::make_vector(&parts, dt)?
            };
            (nd, v_shape, bcast)
        }
        Size::None => {
            // the parameters' sum is the template of the samples: its shape, its pattern
            let Some((first, rest)) = args.split_first() else {
                return Err(refuse(
                    "_infer_ndim_bcast cannot infer shape without either shape or args".into(),
                ));
            };
            let template = rest
                .iter()
                .fold((*first).clone(), |acc, a| T::add(&acc, *a));
            let nd = template.ndim();
            (nd, template.shape(), template.broadcastable().to_vec())
        }
        Size::Vector(v) => {
            if v.ndim() != 1 || !v.dtype().is_int() {
                return Err(refuse(format!(
                    "shape must be an integer vector or list of scalar, got {}",
                    v.ty()
                )));
            }
            let nd = match (ndim, theano_ir::known_ints(v)) {
                (Some(n), Some(k)) if n != k.len() => {
                    return Err(refuse(format!(
                        "ndim is {n} but the size has {} lengths",
                        k.len()
                    )))
                }
                (Some(n), _) => n,
                (None, Some(k)) => k.len(),
                (None, None) => {
                    return Err(refuse(
                        "the size vector's length is not known from the graph: give ndim".into(),
                    ))
                }
            };
            (nd, v.clone(), vec![false; nd])
        }
    };
    if args_ndim > ndim {
        return Err(refuse(format!(
            "ndim should be at least as big as required by args value ({ndim} < {args_ndim})"
        )));
    }
    let v_shape = if v_shape.dtype() == DType::Int64 {
        v_shape
    } else {
        T::cast(&v_shape, DType::Int64)
    };
    Ok((ndim, v_shape, bcast))
}
