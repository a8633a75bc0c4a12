//! A small graph builder used by the gradient rules.
//!
//! Every node it creates records one source location: the user's call of `grad`, `rop`, ...
//! (the public entry points are `#[track_caller]`). The helpers reproduce the structure Theano
//! 1.0 builds: lower-ndim elemwise operands are padded on the left with an *in-place*
//! `DimShuffle`, and the constants of a scalar gradient formula become
//! `InplaceDimShuffle{x,..,x}(TensorConstant{..})` with one `x` per output dimension
//! (Theano's `Elemwise._bgrad` transform; `DimShuffle{}` for 0-d outputs).

use crate::GradError;
use std::panic::Location;
use theano_ir::config::float_x;
use theano_ir::{ApplyRef, DType, IdxEntry, Op, ReduceKind, ScalarOp, Tensor, Variable};

pub(crate) type R<T> = Result<T, GradError>;

/// Graph builder: every node records `loc`; with `unnamed`, its elementwise nodes print as
/// Theano's unnamed `Elemwise(scalar_op)` instances (`Elemwise{mul}`), which Theano's
/// `Elemwise._bgrad` and `Sum.L_op` build.
#[derive(Clone, Copy)]
pub(crate) struct B {
    pub loc: &'static Location<'static>,
    pub unnamed: bool,
}

impl B {
    pub fn new(loc: &'static Location<'static>) -> B {
        B {
            loc,
            unnamed: false,
        }
    }

    /// This builder making unnamed elementwise nodes.
    pub fn unnamed(self) -> B {
        B {
            unnamed: true,
            ..self
        }
    }

    pub fn apply(&self, op: Op, ins: Vec<Variable>) -> R<ApplyRef> {
        if self.unnamed && matches!(op, Op::Elemwise { .. }) {
            Ok(ApplyRef::create_unnamed(op, ins, self.loc)?)
        } else {
            Ok(ApplyRef::create(op, ins, self.loc)?)
        }
    }

    pub fn apply1(&self, op: Op, ins: Vec<Variable>) -> R<Variable> {
        Ok(self.apply(op, ins)?.output(0))
    }

    /// `InplaceDimShuffle{order}(x)`.
    pub fn ds(&self, x: &Variable, order: Vec<Option<usize>>) -> R<Variable> {
        self.apply1(
            Op::DimShuffle {
                new_order: order,
                inplace: true,
            },
            vec![x.clone()],
        )
    }

    fn pad_left(&self, x: Variable, nd: usize) -> R<Variable> {
        if x.ndim() >= nd {
            return Ok(x);
        }
        let k = nd - x.ndim();
        let order = (0..k)
            .map(|_| None)
            .chain((0..x.ndim()).map(Some))
            .collect();
        self.ds(&x, order)
    }

    /// `Elemwise{s}` of `ins`, padding lower-ndim inputs as Theano's `Elemwise.make_node`.
    pub fn ew(&self, s: ScalarOp, ins: Vec<Variable>) -> R<Variable> {
        let nd = ins.iter().map(|v| v.ndim()).max().unwrap_or(0);
        let ins = ins
            .into_iter()
            .map(|v| self.pad_left(v, nd))
            .collect::<R<Vec<_>>>()?;
        self.apply1(Op::elemwise(s), ins)
    }

    pub fn add(&self, a: &Variable, b: &Variable) -> R<Variable> {
        self.ew(ScalarOp::Add, vec![a.clone(), b.clone()])
    }
    pub fn sub(&self, a: &Variable, b: &Variable) -> R<Variable> {
        self.ew(ScalarOp::Sub, vec![a.clone(), b.clone()])
    }
    pub fn mul(&self, a: &Variable, b: &Variable) -> R<Variable> {
        self.ew(ScalarOp::Mul, vec![a.clone(), b.clone()])
    }
    pub fn div(&self, a: &Variable, b: &Variable) -> R<Variable> {
        self.ew(ScalarOp::TrueDiv, vec![a.clone(), b.clone()])
    }
    pub fn un(&self, s: ScalarOp, a: &Variable) -> R<Variable> {
        self.ew(s, vec![a.clone()])
    }
    pub fn bin(&self, s: ScalarOp, a: &Variable, b: &Variable) -> R<Variable> {
        self.ew(s, vec![a.clone(), b.clone()])
    }
    pub fn neg(&self, a: &Variable) -> R<Variable> {
        self.un(ScalarOp::Neg, a)
    }

    /// `cast(x, d)`; `x` itself when it already has dtype `d` (Theano's `astype`).
    pub fn cast(&self, x: &Variable, d: DType) -> R<Variable> {
        if x.dtype() == d {
            Ok(x.clone())
        } else {
            self.un(ScalarOp::Cast(d), x)
        }
    }

    /// `fill(model, value)` = `Elemwise{second}(model, value)`.
    pub fn fill(&self, model: &Variable, value: &Variable) -> R<Variable> {
        self.bin(ScalarOp::Second, model, value)
    }

    /// Theano's `tensor.zeros_like(x, dtype)`: `fill(x, TensorConstant{0})` of `dtype`
    /// (x's dtype when `None`).
    pub fn zeros_like(&self, x: &Variable, dtype: Option<DType>) -> R<Variable> {
        let d = dtype.unwrap_or(x.dtype());
        self.fill(x, &Variable::constant_bounded(Tensor::zeros(d, &[])))
    }

    /// Theano's `tensor.ones_like(x, dtype)`.
    pub fn ones_like(&self, x: &Variable, dtype: Option<DType>) -> R<Variable> {
        let d = dtype.unwrap_or(x.dtype());
        self.fill(x, &Variable::constant_bounded(Tensor::full(d, &[], 1.0)))
    }

    /// `x.zeros_like().astype(floatX)`, or without the cast when x is a float: Theano's
    /// `_float_zeros_like` and the zero gradient of a discrete input.
    pub fn float_zeros_like(&self, x: &Variable) -> R<Variable> {
        let z = self.zeros_like(x, None)?;
        if z.dtype().is_float() {
            Ok(z)
        } else {
            self.cast(&z, float_x())
        }
    }

    /// A constant of the given dtype broadcast to `nd` dimensions as `_bgrad` does:
    /// `InplaceDimShuffle{x,..}(TensorConstant{v})` (a `DimShuffle{}` node when `nd == 0`).
    pub fn bconst(&self, v: f64, d: DType, nd: usize) -> R<Variable> {
        let c = Variable::constant_bounded(Tensor::full(d, &[], v));
        self.ds(&c, vec![None; nd])
    }

    /// A Python int literal in a scalar gradient formula (Theano's `autocast_int`).
    pub fn int_lit(&self, v: i64, nd: usize) -> R<Variable> {
        self.bconst(v as f64, DType::smallest_int_for(v), nd)
    }

    /// A Python float literal in a scalar gradient formula (Theano's `autocast_float`:
    /// float32 when floatX is float32 or when the value is exact in float32, else float64).
    pub fn float_lit(&self, v: f64, nd: usize) -> R<Variable> {
        self.bconst(v, autocast_float(v), nd)
    }

    /// Sum over `axes` (`None` = all), keeping them as broadcastable dimensions when asked.
    pub fn sum(&self, x: &Variable, axes: Option<Vec<usize>>, keepdims: bool) -> R<Variable> {
        let all: Vec<usize> = axes.clone().unwrap_or_else(|| (0..x.ndim()).collect());
        let r = self.apply1(
            Op::Reduce {
                kind: ReduceKind::Sum,
                axes,
                dtype: None,
            },
            vec![x.clone()],
        )?;
        if keepdims {
            let mut k = 0;
            let order = (0..x.ndim())
                .map(|i| {
                    if all.contains(&i) {
                        None
                    } else {
                        k += 1;
                        Some(k - 1)
                    }
                })
                .collect();
            self.ds(&r, order)
        } else {
            Ok(r)
        }
    }

    pub fn reduce(&self, kind: ReduceKind, x: &Variable, axes: Option<Vec<usize>>) -> R<Variable> {
        self.apply1(
            Op::Reduce {
                kind,
                axes,
                dtype: None,
            },
            vec![x.clone()],
        )
    }

    pub fn shape(&self, x: &Variable) -> R<Variable> {
        self.apply1(Op::Shape, vec![x.clone()])
    }

    pub fn shape_i(&self, x: &Variable, i: usize) -> R<Variable> {
        self.apply1(Op::ShapeI(i), vec![x.clone()])
    }

    /// `Reshape{ndim}(x, shape)` with a symbolic shape vector.
    pub fn reshape(&self, x: &Variable, shape: &Variable, ndim: usize) -> R<Variable> {
        self.apply1(Op::Reshape { ndim }, vec![x.clone(), shape.clone()])
    }

    pub fn dot(&self, a: &Variable, b: &Variable) -> R<Variable> {
        if a.ndim() == 0 || b.ndim() == 0 {
            return self.mul(a, b);
        }
        self.apply1(Op::Dot, vec![a.clone(), b.clone()])
    }

    /// `x.T`: the dimensions reversed.
    pub fn t(&self, x: &Variable) -> R<Variable> {
        self.ds(x, (0..x.ndim()).rev().map(Some).collect())
    }

    /// Theano's `outer(a, b)` = `dot(a.dimshuffle(0, 'x'), b.dimshuffle('x', 0))`.
    pub fn outer(&self, a: &Variable, b: &Variable) -> R<Variable> {
        let a2 = self.ds(a, vec![Some(0), None])?;
        let b2 = self.ds(b, vec![None, Some(0)])?;
        self.dot(&a2, &b2)
    }

    /// `x[i]` on axis `axis` with a constant int64 index: removes the dimension.
    pub fn index_const(&self, x: &Variable, axis: usize, i: i64) -> R<Variable> {
        let mut idx = vec![
            IdxEntry::Slice {
                start: None,
                stop: None,
                step: None
            };
            axis
        ];
        idx.push(IdxEntry::Index(DType::Int64));
        self.apply1(
            Op::Subtensor { idx },
            vec![x.clone(), Variable::constant_bounded(Tensor::scalar(i))],
        )
    }

    /// Give `g` the broadcastable pattern of `like` (same ndim): Theano's `patternbroadcast`,
    /// which has no op of its own here. A dimension that must become broadcastable is indexed
    /// at 0 and re-inserted with `'x'`; one that must stop being broadcastable is broadcast
    /// against `like` with `fill(like, g)` (`g` has `like`'s shape wherever this is used).
    pub fn patternbroadcast(&self, g: &Variable, like: &Variable) -> R<Variable> {
        if g.ndim() != like.ndim() || g.broadcastable() == like.broadcastable() {
            return Ok(g.clone());
        }
        let mut g = g.clone();
        let want = like.broadcastable();
        // dimensions to make broadcastable, from the last so earlier axes keep their numbers
        let make_true: Vec<usize> = (0..want.len())
            .filter(|&i| want[i] && !g.ty().is_broadcastable(i))
            .collect();
        if !make_true.is_empty() {
            for &i in make_true.iter().rev() {
                g = self.index_const(&g, i, 0)?;
            }
            let mut k = 0;
            let order = (0..want.len())
                .map(|i| {
                    if make_true.contains(&i) {
                        None
                    } else {
                        k += 1;
                        Some(k - 1)
                    }
                })
                .collect();
            g = self.ds(&g, order)?;
        }
        if (0..want.len()).any(|i| !want[i] && g.ty().is_broadcastable(i)) {
            // Elemwise{second}: output broadcastable only where both are; dtype of g.
            g = self.fill(like, &g)?;
        }
        Ok(g)
    }

    /// Give `g` the full type of `like`: its broadcastable pattern and, for a float `like`,
    /// its dtype.
    pub fn coerce(&self, g: &Variable, like: &Variable) -> R<Variable> {
        let mut g = self.patternbroadcast(g, like)?;
        if like.dtype().is_float() && g.dtype() != like.dtype() {
            g = self.cast(&g, like.dtype())?;
        }
        Ok(g)
    }
}

/// Theano's `autocast_float` for a Python float literal (cast_policy `custom`).
pub(crate) fn autocast_float(v: f64) -> DType {
    if float_x() == DType::Float32 || (v as f32) as f64 == v || v.is_nan() {
        DType::Float32
    } else {
        DType::Float64
    }
}
