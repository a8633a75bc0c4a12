//! Theano's loops built on `scan`: `map`, `reduce`, `foldl`, `foldr`
//! (`theano.scan_module.scan_views`), with `scan`'s options ([`Scan`]).

use crate::op::{scan, Scan, ScanBody, ScanError, ScanOutput};
use theano_ir::tensor::Idx;
use theano_ir::Variable;

type Result<T> = std::result::Result<T, ScanError>;

/// Theano's `map`: the body applied to each step's slices of the sequences, its outputs
/// stacked; no output is fed back (`outputs_info` is refused: that loop is a `scan`).
#[track_caller]
pub fn map<B: Into<ScanBody>>(
    f: impl Fn(&[Variable]) -> Result<B>,
    opts: Scan,
) -> Result<ScanOutput> {
    if opts.has_outputs_info() {
        return Err(ScanError::Invalid(
            "map takes no outputs_info: a loop that feeds its outputs back is a scan".into(),
        ));
    }
    scan(f, opts)
}

/// Theano's `reduce`: `scan`, then each output's last step (`outputs[i][-1]`), with the
/// loop's updates. As Theano's, it backpropagates through every step (a `truncate_gradient`
/// in `opts` is dropped).
#[track_caller]
pub fn reduce<B: Into<ScanBody>>(
    f: impl Fn(&[Variable]) -> Result<B>,
    opts: Scan,
) -> Result<ScanOutput> {
    let (outs, updates) = scan(f, opts.truncate_gradient(-1))?;
    let last = outs
        .iter()
        .map(|o| o.get(&[Idx::Int(Variable::index_constant(-1))]))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((last, updates))
}

/// Theano's `foldl`: [`reduce`] over the sequences from their first row.
#[track_caller]
pub fn foldl<B: Into<ScanBody>>(
    f: impl Fn(&[Variable]) -> Result<B>,
    opts: Scan,
) -> Result<ScanOutput> {
    reduce(f, opts.go_backwards(false))
}

/// Theano's `foldr`: [`reduce`] over the sequences from their last row.
#[track_caller]
pub fn foldr<B: Into<ScanBody>>(
    f: impl Fn(&[Variable]) -> Result<B>,
    opts: Scan,
) -> Result<ScanOutput> {
    reduce(f, opts.go_backwards(true))
}
