//! `MultinomialFromUniform{<dtype>}` and `ChoiceFromUniform{<dtype>}` (Theano's
//! `theano.sandbox.multinomial`): turn one uniform sample per row and draw into multinomial
//! counts, or into the indices drawn without replacement. Inputs: `pvals` (a matrix, one
//! distribution per row), `unis` (a vector of `rows * n` uniform samples), `n` (an integer
//! scalar, the draws per row); output: a matrix of `pvals`' shape and pattern counting, per
//! row, the outcomes drawn. Draw `c` of row `r` reads `unis[c * rows + r]` and counts the first
//! outcome whose running sum of probabilities (in float64) exceeds it, as Theano's C code
//! does; no outcome is counted when none does (pvals are not checked, as in Theano).
//!
//! `ChoiceFromUniform` has the same inputs; its output is a matrix of `rows x n` indices: draw
//! `c` of row `r` is the first outcome whose running sum exceeds `unis[c * rows + r]`, whose
//! probability is then set to zero and the row renormalised (Theano's C code: the sum is the
//! running sum before it plus the rest of the row), so no index is drawn twice; `-1` where no
//! outcome is drawn.

use crate::op::sample_buffer;
use std::sync::{Arc, Once};
use theano_ir::tensor as T;
use theano_ir::{register_custom_op, CustomOp, CustomRef, Op, TensorType, Variable};
use theano_tensor::{DType, Tensor};

/// The ops' names, as Theano's classes.
pub const NAME: &str = "MultinomialFromUniform";
pub const CHOICE: &str = "ChoiceFromUniform";

/// One of the two ops, of one output dtype.
#[derive(Debug)]
pub struct MultinomialFromUniform {
    dtype: DType,
    /// `ChoiceFromUniform`: indices without replacement, not counts
    choice: bool,
}

static REGISTER: Once = Once::new();

/// Registers the IR text parsers of both ops (done by the first op built).
pub fn register_ops() {
    REGISTER.call_once(|| {
        register_custom_op(NAME, |_, p| parse(p, false));
        register_custom_op(CHOICE, |_, p| parse(p, true));
    });
}

/// The op counting in `dtype`.
pub fn multinomial_from_uniform_op(dtype: DType) -> Op {
    register_ops();
    Op::Custom(CustomRef(Arc::new(MultinomialFromUniform {
        dtype,
        choice: false,
    })))
}

/// The op drawing indices without replacement, as `dtype`.
pub fn choice_from_uniform_op(dtype: DType) -> Op {
    register_ops();
    Op::Custom(CustomRef(Arc::new(MultinomialFromUniform {
        dtype,
        choice: true,
    })))
}

/// Theano prints `MultinomialFromUniform{int64}` and `ChoiceFromUniform{odtype='int64',
/// replace=False}`.
fn parse(params: &str, choice: bool) -> Result<Arc<dyn CustomOp>, String> {
    let (name, dt) = if choice {
        let dt = params
            .strip_prefix("odtype='")
            .and_then(|p| p.strip_suffix("', replace=False"));
        (CHOICE, dt)
    } else {
        (NAME, Some(params))
    };
    let dtype = dt.and_then(DType::from_name).ok_or_else(|| {
        let want = if choice {
            "odtype='int64', replace=False"
        } else {
            "int64"
        };
        format!("{name} takes `{name}{{{want}}}`, got {params:?}")
    })?;
    Ok(Arc::new(MultinomialFromUniform { dtype, choice }))
}

impl CustomOp for MultinomialFromUniform {
    fn name(&self) -> String {
        if self.choice { CHOICE } else { NAME }.into()
    }
    fn params(&self) -> String {
        if self.choice {
            format!("odtype='{}', replace=False", self.dtype)
        } else {
            self.dtype.to_string()
        }
    }
    fn n_outputs(&self) -> usize {
        1
    }
    /// Theano's `as_scalar(n)`.
    fn scalar_inputs(&self) -> Vec<usize> {
        vec![2]
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let name = self.name();
        let [pvals, unis, n] = inputs else {
            return Err(format!(
                "{name} takes three inputs (pvals, unis, n), got {}",
                inputs.len()
            ));
        };
        if pvals.ndim() != 2 || !pvals.dtype.is_float() {
            return Err(format!(
                "pvals ndim should be 2 (a float matrix), got {pvals}"
            ));
        }
        if unis.ndim() != 1 || !unis.dtype.is_float() {
            return Err(format!(
                "unis ndim should be 1 (a float vector), got {unis}"
            ));
        }
        if n.ndim() != 0 || !n.dtype.is_int() {
            return Err(format!("n must be an integer scalar, got {n}"));
        }
        let b = pvals.broadcastable();
        Ok(vec![
            TensorType::new(self.dtype, &b).map_err(|e| e.to_string())?
        ])
    }
    /// Theano's: zeros for every input (floatX zeros for the integer `n`).
    fn grad(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        _output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Ok(inputs
            .iter()
            .map(|x| {
                Some(if x.dtype().is_float() {
                    T::zeros_like(x)
                } else {
                    T::cast(T::zeros_like(x), theano_ir::config::float_x())
                })
            })
            .collect()))
    }
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        _eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![None]))
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(match inputs {
            [pvals, unis, n] if self.choice => choose(self.dtype, pvals, unis, n),
            [pvals, unis, n] => count(self.dtype, pvals, unis, n),
            _ => Err(format!(
                "{} takes three inputs (pvals, unis, n), got {}",
                self.name(),
                inputs.len()
            )),
        })
    }
}

/// The rows, outcomes and draws per row.
fn dims(name: &str, pvals: &Tensor, n: &Tensor) -> Result<(usize, usize, usize), String> {
    let n = n
        .scalar_i64()
        .ok_or_else(|| format!("{name}: n must be an integer scalar"))?;
    let &[rows, outcomes] = pvals.shape() else {
        return Err(format!("{name}: pvals ndim should be 2"));
    };
    let n = usize::try_from(n).map_err(|_| format!("{name}: n is {n}; it must not be negative"))?;
    Ok((rows, outcomes, n))
}

/// One uniform sample per row and draw.
fn check_unis(name: &str, unis: &Tensor, rows: usize, n: usize) -> Result<(), String> {
    if Some(unis.shape()[0]) != rows.checked_mul(n) {
        return Err(format!(
            "{name}: unis.shape[0] != pvals.shape[0] * n ({} != {rows} * {n})",
            unis.shape()[0]
        ));
    }
    Ok(())
}

/// A zero-filled buffer of `rows * cols` values.
fn buffer(name: &str, rows: usize, cols: usize, fill: f64) -> Result<Vec<f64>, String> {
    let total = rows
        .checked_mul(cols)
        .ok_or_else(|| format!("{name}: {rows} x {cols} values are too many"))?;
    let mut z: Vec<f64> = sample_buffer(total).map_err(|e| format!("{name}: {e}"))?;
    z.resize(total, fill);
    Ok(z)
}

/// `MultinomialFromUniform`'s reference implementation (Theano's C code).
fn count(dtype: DType, pvals: &Tensor, unis: &Tensor, n: &Tensor) -> Result<Vec<Tensor>, String> {
    let (rows, outcomes, n) = dims(NAME, pvals, n)?;
    check_unis(NAME, unis, rows, n)?;
    let mut z = buffer(NAME, rows, outcomes, 0.0)?;
    let p = pvals.to_f64_vec();
    let u = unis.to_f64_vec();
    for c in 0..n {
        for r in 0..rows {
            let target = u[c * rows + r];
            let mut cumul = 0.0f64;
            for m in 0..outcomes {
                cumul += p[r * outcomes + m];
                if cumul > target {
                    z[r * outcomes + m] += 1.0;
                    break;
                }
            }
        }
    }
    Tensor::from_shape_vec(&[rows, outcomes], z)
        .map(|t| vec![t.cast(dtype)])
        .map_err(|e| e.to_string())
}

/// `ChoiceFromUniform`'s reference implementation (Theano's C code, `-1` where nothing is
/// drawn as in its Python code).
fn choose(dtype: DType, pvals: &Tensor, unis: &Tensor, n: &Tensor) -> Result<Vec<Tensor>, String> {
    let (rows, outcomes, n) = dims(CHOICE, pvals, n)?;
    if n > outcomes {
        return Err(format!(
            "{CHOICE}: Cannot sample without replacement n samples bigger than the size of the \
             distribution ({n} > {outcomes})."
        ));
    }
    check_unis(CHOICE, unis, rows, n)?;
    let mut z = buffer(CHOICE, rows, n, -1.0)?;
    // the renormalised probabilities and their sum are kept in the pvals' dtype (the running
    // sum in float64), as Theano's C code keeps them
    let in_dtype = |v: f64| {
        if pvals.dtype() == DType::Float32 {
            v as f32 as f64
        } else {
            v
        }
    };
    let mut p = pvals.to_f64_vec();
    let u = unis.to_f64_vec();
    for c in 0..n {
        for r in 0..rows {
            let target = u[c * rows + r];
            let row = &mut p[r * outcomes..(r + 1) * outcomes];
            let mut cumul = 0.0f64;
            for m in 0..outcomes {
                cumul += row[m];
                if cumul > target {
                    z[r * n + c] = m as f64;
                    if c + 1 < n {
                        // renormalise without outcome m
                        let mut sum = in_dtype(cumul - row[m]);
                        row[m] = 0.0;
                        for v in &row[m..] {
                            sum = in_dtype(sum + v);
                        }
                        for v in row.iter_mut() {
                            *v = in_dtype(*v / sum);
                        }
                    }
                    break;
                }
            }
        }
    }
    Tensor::from_shape_vec(&[rows, n], z)
        .map(|t| vec![t.cast(dtype)])
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_parses_back_and_counts_as_theanos_c_code() {
        let Op::Custom(c) = multinomial_from_uniform_op(DType::Int64) else {
            panic!("a custom op")
        };
        assert_eq!(parse(&c.0.params(), false).unwrap().params(), "int64");
        assert!(parse("int65", false).is_err());
        let Op::Custom(c) = choice_from_uniform_op(DType::Int32) else {
            panic!("a custom op")
        };
        assert_eq!(c.0.params(), "odtype='int32', replace=False");
        assert_eq!(parse(&c.0.params(), true).unwrap().params(), c.0.params());
        assert!(parse("odtype='int32', replace=True", true).is_err());
        let pvals = Tensor::from_shape_vec(&[2, 3], vec![0.2, 0.3, 0.5, 0.0, 1.0, 0.0]).unwrap();
        // two draws per row: row 0 reads 0.1 then 0.55, row 1 reads 0.9 then 0.0
        let unis = Tensor::from(vec![0.1, 0.9, 0.55, 0.0]);
        let z = count(
            DType::Int64,
            &pvals,
            &unis,
            &Tensor::scalar(2.0).cast(DType::Int64),
        )
        .unwrap()
        .remove(0);
        assert_eq!(z.to_f64_vec(), vec![1.0, 0.0, 1.0, 0.0, 2.0, 0.0]);
        // no outcome exceeds a sample above the row's total
        let z = count(
            DType::Int64,
            &Tensor::from_shape_vec(&[1, 2], vec![0.25, 0.25]).unwrap(),
            &Tensor::from(vec![0.75]),
            &Tensor::scalar(1.0).cast(DType::Int64),
        )
        .unwrap()
        .remove(0);
        assert_eq!(z.to_f64_vec(), vec![0.0, 0.0]);
        let e = count(
            DType::Int64,
            &pvals,
            &unis,
            &Tensor::scalar(1.0).cast(DType::Int64),
        )
        .unwrap_err();
        assert!(e.contains("unis.shape[0] != pvals.shape[0] * n"), "{e}");
        // without replacement: row 0 draws 0 (0.1 < 0.2), then among the rest renormalised
        // (0.375, 0.625) 0.55 picks 2; row 1 draws 1, then nothing is left above 0.0 but
        // outcomes of probability 0: -1
        let two = Tensor::scalar(2.0).cast(DType::Int64);
        let z = choose(DType::Int64, &pvals, &unis, &two).unwrap().remove(0);
        assert_eq!(z.shape(), &[2, 2]);
        assert_eq!(z.to_f64_vec(), vec![0.0, 2.0, 1.0, -1.0]);
        let four = Tensor::scalar(4.0).cast(DType::Int64);
        let e = choose(DType::Int64, &pvals, &unis, &four).unwrap_err();
        assert!(e.contains("Cannot sample without replacement"), "{e}");
    }
}
