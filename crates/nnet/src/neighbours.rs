//! Theano 1.0.5's `theano.tensor.nnet.neighbours`: `Images2Neibs{mode}`, the sliding window
//! that lays each `neib_shape` patch of a stack of images out as a row of a matrix, and
//! `neibs2images`, its inverse, built of it as Theano builds it. Values, messages, names and
//! gradients are Theano's; the patches are gathered by one index map, so every dtype keeps
//! its values exactly.

use std::sync::Arc;
use theano_ir::tensor::{self as T, Idx, IntoVar};
use theano_ir::{CustomOp, GraphError, Op, OpTable, Result, Tensor, TensorType, Variable};

/// How the windows meet the borders (Theano's `Images2Neibs.BORDER_MODE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NeibMode {
    /// the windows tile the image exactly (refused when they do not)
    Valid,
    /// as `Valid` over the image padded by `neib_shape // 2` zeros on each side
    Half,
    /// as `Valid` over the image padded by `neib_shape - 1` zeros on each side
    Full,
    /// windows centred on the steps, wrapping around the borders
    WrapCentered,
    /// as `Valid`, leaving out the rows and columns the last window does not reach
    IgnoreBorders,
}

const MODES: [NeibMode; 5] = [
    NeibMode::Full,
    NeibMode::Half,
    NeibMode::IgnoreBorders,
    NeibMode::Valid,
    NeibMode::WrapCentered,
];

impl NeibMode {
    /// Theano's name of the mode.
    pub fn name(self) -> &'static str {
        match self {
            NeibMode::Valid => "valid",
            NeibMode::Half => "half",
            NeibMode::Full => "full",
            NeibMode::WrapCentered => "wrap_centered",
            NeibMode::IgnoreBorders => "ignore_borders",
        }
    }

    /// The mode named `s`, or Theano's refusal.
    pub fn parse(s: &str) -> std::result::Result<NeibMode, String> {
        MODES.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<&str> = MODES.iter().map(|m| m.name()).collect();
            format!(
                "Only modes {} have been implemented for Images2Neibs (got '{s}')",
                names.join(", ")
            )
        })
    }
}

/// The op `Images2Neibs{mode}`: `(ten4, neib_shape, neib_step)` to the matrix of patches.
#[derive(Debug)]
pub struct Images2Neibs {
    pub mode: NeibMode,
}

/// The shared op of `mode`.
pub fn op(mode: NeibMode) -> Op {
    static OPS: OpTable<NeibMode> = OpTable::new();
    register();
    OPS.get(mode, move || Arc::new(Images2Neibs { mode }))
}

fn parse_op(_name: &str, params: &str) -> std::result::Result<Arc<dyn CustomOp>, String> {
    match op(NeibMode::parse(params.trim())?) {
        Op::Custom(c) => Ok(c.0),
        _ => unreachable!("op() gives a custom op"),
    }
}

pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| theano_ir::register_custom_op("Images2Neibs", parse_op));
}

fn refuse<T>(what: &str, types: Vec<TensorType>, why: String) -> Result<T> {
    Err(GraphError::new(
        what,
        types,
        why,
        std::panic::Location::caller(),
    ))
}

/// Theano's `images2neibs(ten4, neib_shape, neib_step=None, mode)`: the `neib_shape` patches
/// of the images `ten4` (batch, channels, rows, columns) as the rows of a matrix, windows
/// `neib_step` apart (`None`: `neib_shape`, disjoint patches; the node then reads
/// `neib_shape` twice, as Theano's). `neib_shape` and `neib_step` are integer vectors of two
/// entries (constants such as `[2i64, 2]`, or symbolic).
#[track_caller]
pub fn images2neibs(
    ten4: impl IntoVar,
    neib_shape: impl IntoVar,
    neib_step: Option<Variable>,
    mode: &str,
) -> Result<Variable> {
    let (x, shape) = (ten4.into_var(), neib_shape.into_var());
    let mode = match NeibMode::parse(mode) {
        Ok(m) => m,
        Err(why) => return refuse("images2neibs", vec![x.ty()], why),
    };
    let step = neib_step.unwrap_or_else(|| shape.clone());
    T::apply_op(op(mode), vec![x, shape, step]).map(|mut v| v.remove(0))
}

/// Theano's `neibs2images(neibs, neib_shape, original_shape, mode)`: the images
/// `images2neibs(images, neib_shape, mode=mode)` took its disjoint patches from, of shape
/// `original_shape` (a vector of four integers); built as Theano builds it (an
/// `Images2Neibs` of the patches, reshaped; `ignore_borders` pads the borders the patches
/// left out with zeros). Only `valid` and `ignore_borders`, as Theano's.
#[track_caller]
pub fn neibs2images(
    neibs: impl IntoVar,
    neib_shape: impl IntoVar,
    original_shape: impl IntoVar,
    mode: &str,
) -> Result<Variable> {
    let (neibs, shape, original) = (
        neibs.into_var(),
        neib_shape.into_var(),
        original_shape.into_var(),
    );
    let m = match NeibMode::parse(mode) {
        Ok(m @ (NeibMode::Valid | NeibMode::IgnoreBorders)) => m,
        Ok(_) => {
            return refuse(
                "neibs2images",
                vec![neibs.ty()],
                format!("neibs2images do not support mode={mode}"),
            )
        }
        Err(why) => return refuse("neibs2images", vec![neibs.ty()], why),
    };
    if original.ndim() != 1 || !original.dtype().is_int() {
        return refuse(
            "neibs2images",
            vec![original.ty()],
            format!(
                "original_shape must be an integer vector, got {}",
                original.ty()
            ),
        );
    }
    let new_shape = T::stack(
        &[
            T::int_div(original.at(-1i64)?, shape.at(1i64)?),
            shape.at(1i64)?,
        ],
        0,
    )?;
    let flat = neibs.dimshuffle(&[None, None, Some(0), Some(1)])?;
    let out_2d = images2neibs(flat, &new_shape, None, m.name())?;
    if m == NeibMode::Valid {
        return T::reshape_ndim(&out_2d, &original, 4);
    }
    // set_subtensor keeps original_shape's entries the patches cover, so a shape Theano
    // cannot infer still fails when it does not fit
    let mut valid = original.clone();
    for (d, s) in [(2i64, 0i64), (3, 1)] {
        let cover = T::int_div(valid.at(d)?, shape.at(s)?) * shape.at(s)?;
        valid = T::set_subtensor(&valid.at(d)?, cover)?;
    }
    let mut out = T::reshape_ndim(&out_2d, &valid, 4)?;
    for d in [2i64, 3] {
        let now = out.shape();
        let pad: Vec<Variable> = (0..4i64)
            .map(|k| {
                if k == d {
                    Ok(original.at(d)? - valid.at(d)?)
                } else {
                    now.at(k)
                }
            })
            .collect::<Result<_>>()?;
        let zeros = T::alloc(T::constant(0.0f64), &pad)?;
        out = T::concatenate(&[out, zeros], d as isize)?;
    }
    Ok(out)
}

/// Whether the step is the shape: the same variable, or constants of equal values (Theano's
/// `neib_shape is neib_step or neib_shape.equals(neib_step)`).
fn same_step(shape: &Variable, step: &Variable) -> bool {
    if shape == step {
        return true;
    }
    match (shape.constant_value(), step.constant_value()) {
        (Some(a), Some(b)) => a.to_i64_vec() == b.to_i64_vec() && a.shape() == b.shape(),
        _ => false,
    }
}

impl Images2Neibs {
    /// Theano's gradient of the `valid` mode with overlapping or gapped windows: for each
    /// position within the window, a loop adds the patches' gradients onto the strided view
    /// of the image that position reads.
    fn scan_grad(
        &self,
        x: &Variable,
        gz: &Variable,
        shape: &Variable,
        step: &Variable,
    ) -> Result<Variable> {
        let n = shape.at(0i64)? * shape.at(1i64)?;
        let indices = T::arange(n)?;
        let pgzs = gz.dimshuffle(&[Some(1), Some(0)])?;
        let init = T::zeros_like(x);
        let body = |a: &[Variable]| -> std::result::Result<Vec<Variable>, theano_scan::ScanError> {
            let (pidx, pgz, prior, nshape, nstep) = (&a[0], &a[1], &a[2], &a[3], &a[4]);
            let (nrows, ncols) = (nshape.at(0i64)?, nshape.at(1i64)?);
            let (rstep, cstep) = (nstep.at(0i64)?, nstep.at(1i64)?);
            let ps = prior.shape();
            let (b, c, rows, cols) = (ps.at(0i64)?, ps.at(1i64)?, ps.at(2i64)?, ps.at(3i64)?);
            let i = T::int_div(pidx, &ncols);
            let j = pidx - &i * &ncols;
            let view = prior.get(&[
                Idx::all(),
                Idx::all(),
                Idx::slice(
                    Some(i.clone()),
                    Some(&rows - &nrows + &i + 1i64),
                    Some(rstep.clone()),
                ),
                Idx::slice(
                    Some(j.clone()),
                    Some(&cols - &ncols + &j + 1i64),
                    Some(cstep.clone()),
                ),
            ])?;
            let new_shape = T::stack(
                &[
                    b,
                    c,
                    T::int_div(&rows - &nrows, &rstep) + 1i64,
                    T::int_div(&cols - &ncols, &cstep) + 1i64,
                ],
                0,
            )?;
            Ok(vec![T::inc_subtensor(&view, pgz.reshape(&new_shape)?)?])
        };
        let opts = theano_scan::Scan::new()
            .sequences([indices, pgzs])
            .outputs_info([Some(init)])
            .non_sequences([shape.clone(), step.clone()]);
        let (outs, _) = theano_scan::scan(body, opts).map_err(|e| {
            GraphError::new(
                "Images2Neibs",
                vec![x.ty()],
                format!("its gradient's loop: {e}"),
                std::panic::Location::caller(),
            )
        })?;
        outs[0].at(-1i64)
    }
}

impl CustomOp for Images2Neibs {
    fn name(&self) -> String {
        "Images2Neibs".into()
    }
    fn params(&self) -> String {
        self.mode.name().into()
    }
    fn infer_types(&self, ins: &[TensorType]) -> std::result::Result<Vec<TensorType>, String> {
        let [x, shape, step] = ins else {
            return Err(format!(
                "Images2Neibs takes (ten4, neib_shape, neib_step), got {} inputs",
                ins.len()
            ));
        };
        if x.ndim() != 4 {
            return Err(format!(
                "ten4 must be a 4-d tensor (batch, channels, rows, columns), got {x}"
            ));
        }
        for (what, t) in [("neib_shape", shape), ("neib_step", step)] {
            if t.ndim() != 1 || !t.dtype.is_int() {
                return Err(format!("{what} must be an integer vector, got {t}"));
            }
        }
        Ok(vec![
            TensorType::new(x.dtype, &[false, false]).expect("a matrix type")
        ])
    }
    fn grad(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<std::result::Result<Vec<Option<Variable>>, String>> {
        let [x, shape, step] = inputs else {
            return Some(Err("Images2Neibs takes 3 inputs".into()));
        };
        let Some(gz) = output_grads[0].clone() else {
            return Some(Ok(vec![None; 3]));
        };
        let g = match self.mode {
            NeibMode::Valid | NeibMode::IgnoreBorders if same_step(shape, step) => {
                neibs2images(&gz, shape, x.shape(), self.mode.name())
            }
            NeibMode::Valid => self.scan_grad(x, &gz, shape, step),
            _ => {
                return Some(Err(format!(
                    "the grad method for input 0 ({x}) of the Images2Neibs{{{}}} op is not \
                     implemented{}",
                    self.mode.name(),
                    if self.mode == NeibMode::IgnoreBorders {
                        " (for a neib_step other than neib_shape)"
                    } else {
                        ""
                    }
                )))
            }
        };
        Some(
            g.map(|g| vec![Some(g), None, None])
                .map_err(|e| e.to_string()),
        )
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<std::result::Result<Vec<Tensor>, String>> {
        Some(perform(self.mode, inputs).map(|t| vec![t]))
    }
}

/// Theano's `Images2Neibs.perform`: the checks and messages of its modes, then each output
/// element read from the image element its window position meets (or 0 outside the image).
fn perform(mode: NeibMode, ins: &[&Tensor]) -> std::result::Result<Tensor, String> {
    let (x, shape, step) = (ins[0], ins[1].to_i64_vec(), ins[2].to_i64_vec());
    if shape.len() != 2 || step.len() != 2 {
        return Err(format!(
            "neib_shape and neib_step hold two entries each, got {shape:?} and {step:?}"
        ));
    }
    let np_vec = |v: &[i64]| format!("[{} {}]", v[0], v[1]);
    if step[0] <= 0 || step[1] <= 0 {
        return Err(format!(
            "ValueError: neib_step wrong step ; values <= 0. Got {}",
            np_vec(&step)
        ));
    }
    if shape[0] <= 0 || shape[1] <= 0 {
        return Err(format!(
            "ValueError: neib_shape values <=0. Got {}",
            np_vec(&shape)
        ));
    }
    let (c, d) = (shape[0] as usize, shape[1] as usize);
    let (sx, sy) = (step[0] as usize, step[1] as usize);
    let s = x.shape();
    let (batch, stack, height, width) = (s[0], s[1], s[2], s[3]);
    let inconsistent = |k: usize, n: usize, st: usize, len: usize| {
        format!(
            "TypeError: neib_shape[{k}]={n}, neib_step[{k}]={st} and ten4.shape[{}]={len} not \
             consistent",
            k + 2
        )
    };
    // the patches per column and per row, checked as Theano's modes check them
    let grid = |k: usize, n: usize, st: usize, len: usize| -> std::result::Result<usize, String> {
        let span = match mode {
            NeibMode::WrapCentered => return Ok(len.div_ceil(st)),
            NeibMode::IgnoreBorders => {
                return Ok(if len < n { 0 } else { 1 + (len - n) / st });
            }
            NeibMode::Valid => len.checked_sub(n),
            NeibMode::Half => (len >= n).then(|| len - n % 2),
            NeibMode::Full => (len >= n).then(|| len + n - 2),
        };
        match span {
            Some(span) if span % st == 0 => Ok(1 + span / st),
            _ => Err(inconsistent(k, n, st, len)),
        }
    };
    if mode == NeibMode::WrapCentered {
        if c % 2 != 1 || d % 2 != 1 {
            return Err(
                "TypeError: Images2Neibs: in mode wrap_centered need patch with odd shapes".into(),
            );
        }
        if height < c || width < d {
            return Err(format!(
                "TypeError: Images2Neibs: in wrap_centered mode, don't support image shapes \
                 smaller then the patch shapes: neib_shape=({c},{d}), ten4[2:]=[{height},{width}]"
            ));
        }
    }
    let (gc, gd) = (grid(0, c, sx, height)?, grid(1, d, sy, width)?);
    // where a window position lands in the image (None: in the zero padding)
    let at = |pos: usize, n: usize, len: usize| -> Option<usize> {
        let p = pos as i64;
        let (n, len) = (n as i64, len as i64);
        let p = match mode {
            NeibMode::WrapCentered => (p - n / 2).rem_euclid(len),
            NeibMode::Half => p - n / 2,
            NeibMode::Full => p - (n - 1),
            NeibMode::Valid | NeibMode::IgnoreBorders => p,
        };
        (0..len).contains(&p).then_some(p as usize)
    };
    let rows = gc * gd * stack * batch;
    let mut src: Vec<Option<usize>> = Vec::with_capacity(rows * c * d);
    for n in 0..batch {
        for ch in 0..stack {
            let base = (n * stack + ch) * height * width;
            for a in 0..gc {
                for b in 0..gd {
                    for i in 0..c {
                        let r = at(i + a * sx, c, height);
                        for j in 0..d {
                            let col = at(j + b * sy, d, width);
                            src.push(r.zip(col).map(|(r, col)| base + r * width + col));
                        }
                    }
                }
            }
        }
    }
    Ok(x.gather_flat(&[rows, c * d], src))
}
