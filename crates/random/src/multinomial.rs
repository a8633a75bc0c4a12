//! `MultinomialFromUniform{<dtype>}` (Theano's `theano.sandbox.multinomial`): turns one
//! uniform sample per row and draw into multinomial counts. Inputs: `pvals` (a matrix, one
//! distribution per row), `unis` (a vector of `rows * n` uniform samples), `n` (an integer
//! scalar, the draws per row); output: a matrix of `pvals`' shape and pattern counting, per
//! row, the outcomes drawn. Draw `c` of row `r` reads `unis[c * rows + r]` and counts the first
//! outcome whose running sum of probabilities (in float64) exceeds it, as Theano's C code
//! does; no outcome is counted when none does (pvals are not checked, as in Theano).

use crate::op::sample_buffer;
use std::sync::{Arc, Once};
use theano_ir::tensor as T;
use theano_ir::{register_custom_op, CustomOp, CustomRef, Op, TensorType, Variable};
use theano_tensor::{DType, Tensor};

/// The op's name, as Theano's class.
pub const NAME: &str = "MultinomialFromUniform";

/// The op of one output dtype.
#[derive(Debug)]
pub struct MultinomialFromUniform {
    dtype: DType,
}

static REGISTER: Once = Once::new();

/// Registers the IR text parser of `MultinomialFromUniform` (done by the first op built).
pub fn register_ops() {
    REGISTER.call_once(|| register_custom_op(NAME, parse));
}

/// The op counting in `dtype`.
pub fn multinomial_from_uniform_op(dtype: DType) -> Op {
    register_ops();
    Op::Custom(CustomRef(Arc::new(MultinomialFromUniform { dtype })))
}

fn parse(params: &str) -> Result<Arc<dyn CustomOp>, String> {
    let dtype = DType::from_name(params)
        .ok_or_else(|| format!("{NAME} takes a dtype (`{NAME}{{int64}}`), got {params:?}"))?;
    Ok(Arc::new(MultinomialFromUniform { dtype }))
}

impl CustomOp for MultinomialFromUniform {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        self.dtype.to_string()
    }
    fn n_outputs(&self) -> usize {
        1
    }
    /// Theano's `as_scalar(n)`.
    fn scalar_inputs(&self) -> Vec<usize> {
        vec![2]
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let [pvals, unis, n] = inputs else {
            return Err(format!(
                "{NAME} takes three inputs (pvals, unis, n), got {}",
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
            [pvals, unis, n] => count(self.dtype, pvals, unis, n),
            _ => Err(format!(
                "{NAME} takes three inputs (pvals, unis, n), got {}",
                inputs.len()
            )),
        })
    }
}

/// The reference implementation (Theano's C code).
fn count(dtype: DType, pvals: &Tensor, unis: &Tensor, n: &Tensor) -> Result<Vec<Tensor>, String> {
    let n = n
        .scalar_i64()
        .ok_or_else(|| format!("{NAME}: n must be an integer scalar"))?;
    let &[rows, outcomes] = pvals.shape() else {
        return Err(format!("{NAME}: pvals ndim should be 2"));
    };
    let n = usize::try_from(n).map_err(|_| format!("{NAME}: n is {n}; it must not be negative"))?;
    if Some(unis.shape()[0]) != rows.checked_mul(n) {
        return Err(format!(
            "{NAME}: unis.shape[0] != pvals.shape[0] * n ({} != {rows} * {n})",
            unis.shape()[0]
        ));
    }
    let total = rows
        .checked_mul(outcomes)
        .ok_or_else(|| format!("{NAME}: pvals of shape {:?} is too large", pvals.shape()))?;
    let mut z: Vec<f64> = sample_buffer(total).map_err(|e| format!("{NAME}: {e}"))?;
    z.resize(total, 0.0);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_parses_back_and_counts_as_theanos_c_code() {
        let Op::Custom(c) = multinomial_from_uniform_op(DType::Int64) else {
            panic!("a custom op")
        };
        assert_eq!(parse(&c.0.params()).unwrap().params(), "int64");
        assert!(parse("int65").is_err());
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
    }
}
