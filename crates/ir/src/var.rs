//! The user's graph: immutable [`Variable`]s and [`Apply`] nodes behind `Arc`s.
//!
//! Edges point only towards inputs: a variable produced by a node holds the node (`owner`), the
//! node holds its inputs and the *data* of its outputs, never `Variable`s that point back.
//! So there are no reference cycles and dropping the last handle frees the graph.

use crate::error::GraphError;
use crate::op::Op;
use crate::types::{NdimError, TensorType};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use theano_tensor::{DType, Tensor};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// What a variable is.
#[derive(Debug)]
pub enum VarKind {
    /// A symbolic input (`T::dscalar("x")`).
    Input,
    /// A constant value.
    Constant(Arc<Tensor>),
    /// A shared variable: symbolic, with a value that persists across calls.
    Shared(Arc<SharedCell>),
    /// Output `index` of its owner node.
    Output(usize),
}

/// The data of a variable; shared between every handle to it.
#[derive(Debug)]
pub struct VarNode {
    id: u64,
    ty: TensorType,
    name: RwLock<Option<Arc<str>>>,
    kind: VarKind,
}

/// A symbolic tensor: an input, a constant, a shared variable or an output of an [`Apply`].
/// Cheap to clone; equality and hashing are by identity.
#[derive(Clone)]
pub struct Variable {
    node: Arc<VarNode>,
    owner: Option<Arc<Apply>>,
}

/// The storage of a shared variable.
pub struct SharedCell {
    ty: TensorType,
    value: Mutex<CellValue>,
    /// Theano's `default_update`: the expression `function()` updates the variable with when
    /// the caller gives none. Held weakly: the expression usually reads the variable itself,
    /// and a strong handle would make a cycle that is never freed (see
    /// [`Variable::set_default_update`]).
    default_update: Mutex<Option<WeakVariable>>,
}

/// A [`Variable`] that does not keep its graph alive.
#[derive(Clone)]
struct WeakVariable {
    node: std::sync::Weak<VarNode>,
    owner: Option<std::sync::Weak<Apply>>,
}

impl WeakVariable {
    fn new(v: &Variable) -> WeakVariable {
        WeakVariable {
            node: Arc::downgrade(&v.node),
            owner: v.owner.as_ref().map(Arc::downgrade),
        }
    }
    fn upgrade(&self) -> Option<Variable> {
        let node = self.node.upgrade()?;
        let owner = match &self.owner {
            Some(o) => Some(o.upgrade()?),
            None => None,
        };
        Some(Variable { node, owner })
    }
}

/// A copy of a shared variable's value in a backend's own memory (a GPU's), which the cell
/// keeps between calls, so that a function running there neither copies the value in nor the
/// new value out on every call (Theano's shared variables on `device=cuda`). The backend that
/// made it reads it back ([`Mirror::fetch`]) when the host needs the value.
pub trait Mirror: Send + Sync {
    /// Which memory holds it: a backend uses only the mirrors of its own memory.
    fn memory(&self) -> u64;
    /// The value, copied to the host.
    fn fetch(&self) -> Result<Tensor, String>;
    /// The backend's own type (to downcast).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A shared variable's value: on the host, in a backend's memory ([`Mirror`]), or both and
/// equal. Invariant: the host value is current unless `stale`, and a stale cell has a mirror.
pub struct CellValue {
    host: Tensor,
    mirror: Option<Arc<dyn Mirror>>,
    /// The mirror holds a newer value than `host` (a backend updated it).
    stale: bool,
}

impl CellValue {
    fn new(host: Tensor) -> CellValue {
        CellValue {
            host,
            mirror: None,
            stale: false,
        }
    }
    /// The value on the host, copied back from the mirror first when the mirror is newer
    /// (the mirror is kept: both are then current).
    pub fn host(&mut self) -> Result<&Tensor, String> {
        self.refresh()?;
        Ok(&self.host)
    }
    /// The host value, to be written: current as for [`CellValue::host`], and the mirror
    /// dropped (it would no longer be the value).
    pub fn host_mut(&mut self) -> Result<&mut Tensor, String> {
        self.refresh()?;
        self.mirror = None;
        Ok(&mut self.host)
    }
    fn refresh(&mut self) -> Result<(), String> {
        if let (true, Some(m)) = (self.stale, &self.mirror) {
            self.host = m.fetch()?;
            self.stale = false;
        }
        Ok(())
    }
    /// Replace the value (on the host; any mirror is dropped).
    pub fn set(&mut self, v: Tensor) {
        self.host = v;
        self.mirror = None;
        self.stale = false;
    }
    /// The backend copy, if any (current: either equal to the host value or newer).
    pub fn mirror(&self) -> Option<&Arc<dyn Mirror>> {
        self.mirror.as_ref()
    }
    /// Keep `m`, a copy of the current host value, beside it.
    pub fn keep_mirror(&mut self, m: Arc<dyn Mirror>) {
        debug_assert!(!self.stale, "a copy of a stale host value");
        self.mirror = Some(m);
    }
    /// The new value is `m` (the host value is now stale, fetched when the host needs it).
    /// The caller has checked it against the cell's type.
    pub fn set_mirrored(&mut self, m: Arc<dyn Mirror>) {
        self.mirror = Some(m);
        self.stale = true;
    }
    /// Whether the value lives only in the mirror (the host copy is stale).
    pub fn is_stale(&self) -> bool {
        self.stale
    }
}

impl fmt::Debug for SharedCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedCell({})", self.ty)
    }
}

impl SharedCell {
    /// The cell's type (fixed for its lifetime).
    pub fn ty(&self) -> TensorType {
        self.ty
    }
    /// Lock the value (for a call that reads and updates it atomically).
    pub fn lock(&self) -> MutexGuard<'_, CellValue> {
        // A poisoned lock only means another thread panicked while holding it; the tensor itself
        // is always a complete value because updates are swapped in whole.
        self.value.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Check that `v` may be stored in this cell.
    pub fn check(&self, v: &Tensor) -> Result<(), String> {
        self.ty.check_value(v.dtype(), v.shape())
    }
}

/// A node: an op applied to input variables, producing typed outputs.
pub struct Apply {
    id: u64,
    op: Op,
    inputs: Vec<Variable>,
    outputs: Vec<Arc<VarNode>>,
    location: &'static Location<'static>,
    /// An elementwise node built as Theano's gradient code builds its nodes, `Elemwise(op)`
    /// without a name: printed `Elemwise{mul}`, not `Elemwise{mul,no_inplace}`. Only the
    /// printers read it (not equality, not merging).
    unnamed: bool,
}

impl fmt::Debug for Apply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.op)?;
        for (i, x) in self.inputs.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{x}")?;
        }
        write!(f, ")")
    }
}

/// Dropping a deep graph must not recurse once per node (a 100,000-node chain would overflow
/// the stack): inputs whose node this was the last owner of are unlinked in a loop.
impl Drop for Apply {
    fn drop(&mut self) {
        let mut stack: Vec<Variable> = std::mem::take(&mut self.inputs);
        while let Some(v) = stack.pop() {
            if let Some(owner) = v.owner {
                if let Ok(mut node) = Arc::try_unwrap(owner) {
                    stack.append(&mut node.inputs);
                }
            }
        }
    }
}

/// A handle to an [`Apply`] node (what `y.owner()` returns).
#[derive(Clone)]
pub struct ApplyRef(Arc<Apply>);

impl ApplyRef {
    pub fn id(&self) -> u64 {
        self.0.id
    }
    pub fn op(&self) -> &Op {
        &self.0.op
    }
    pub fn inputs(&self) -> &[Variable] {
        &self.0.inputs
    }
    pub fn n_outputs(&self) -> usize {
        self.0.outputs.len()
    }
    /// Output `i` as a variable.
    pub fn output(&self, i: usize) -> Variable {
        Variable {
            node: self.0.outputs[i].clone(),
            owner: Some(self.0.clone()),
        }
    }
    pub fn outputs(&self) -> Vec<Variable> {
        (0..self.n_outputs()).map(|i| self.output(i)).collect()
    }
    /// The user's source line that built this node.
    pub fn location(&self) -> &'static Location<'static> {
        self.0.location
    }

    /// Whether this node prints as an unnamed Theano op (see [`ApplyRef::create_unnamed`]).
    pub fn is_unnamed(&self) -> bool {
        self.0.unnamed
    }

    /// [`ApplyRef::create`] of a node that prints as Theano's unnamed instances of its op:
    /// an `Elemwise` built by `Elemwise(scalar_op)` (the gradient code's) prints
    /// `Elemwise{mul}` where the tensor builders' named ones print `Elemwise{mul,no_inplace}`.
    pub fn create_unnamed(
        op: Op,
        inputs: Vec<Variable>,
        location: &'static Location<'static>,
    ) -> Result<ApplyRef, GraphError> {
        let mut a = ApplyRef::create(op, inputs, location)?;
        Arc::get_mut(&mut a.0)
            .expect("a node nothing else holds yet")
            .unnamed = true;
        Ok(a)
    }

    /// Apply `op` to `inputs`, inferring the output types; a refusal names the op, the input
    /// types and `location`.
    pub fn create(
        op: Op,
        inputs: Vec<Variable>,
        location: &'static Location<'static>,
    ) -> Result<ApplyRef, GraphError> {
        let tys: Vec<TensorType> = inputs.iter().map(|v| v.ty()).collect();
        let out_tys = op
            .infer_types_known(&tys, &|i| known_ints(&inputs[i]))
            .map_err(|m| GraphError::new(op.name(), tys.clone(), m, location))?;
        let outputs = out_tys
            .into_iter()
            .enumerate()
            .map(|(i, ty)| {
                Arc::new(VarNode {
                    id: fresh_id(),
                    ty,
                    name: RwLock::new(None),
                    kind: VarKind::Output(i),
                })
            })
            .collect();
        Ok(ApplyRef(Arc::new(Apply {
            id: fresh_id(),
            op,
            inputs,
            outputs,
            location,
            unnamed: false,
        })))
    }
}

impl PartialEq for ApplyRef {
    fn eq(&self, o: &ApplyRef) -> bool {
        self.0.id == o.0.id
    }
}
impl Eq for ApplyRef {}
impl Hash for ApplyRef {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.id.hash(h)
    }
}
impl fmt::Debug for ApplyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}
impl fmt::Display for ApplyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Variable {
    fn leaf(ty: TensorType, name: Option<&str>, kind: VarKind) -> Variable {
        Variable {
            node: Arc::new(VarNode {
                id: fresh_id(),
                ty,
                name: RwLock::new(name.map(Arc::from)),
                kind,
            }),
            owner: None,
        }
    }

    /// A symbolic input of type `ty`.
    pub fn input(ty: TensorType, name: Option<&str>) -> Variable {
        Variable::leaf(ty, name, VarKind::Input)
    }

    /// A constant; its type is non-broadcastable in every dimension, like Theano's constants,
    /// except that dimensions of length 1 are broadcastable. As Theano's `constant`, one
    /// element of an integer or float dtype between -10 and 10 is cached: the same value and
    /// type give the same variable (so graphs print with Theano's shared ids). A value of more than
    /// [`crate::MAX_NDIM`] dimensions is an [`NdimError`] (`T::constant` takes values whose
    /// Rust type bounds their rank, and cannot fail).
    pub fn constant(value: Tensor) -> Result<Variable, NdimError> {
        let b: Vec<bool> = value.shape().iter().map(|&n| n == 1).collect();
        let ty = TensorType::new(value.dtype(), &b).map_err(|e| NdimError {
            argument: "the constant's shape",
            ..e
        })?;
        Ok(cached_constant(value, ty))
    }

    /// An int64 scalar constant that is never shared: an index or a length as Theano's graphs
    /// hold them (its `Subtensor` indices are scalar `Constant`s, which Theano does not cache,
    /// unlike [`Variable::constant`]'s).
    pub fn index_constant(v: i64) -> Variable {
        let ty = TensorType::scalar(theano_tensor::DType::Int64);
        Variable::leaf(ty, None, VarKind::Constant(Arc::new(Tensor::scalar(v))))
    }

    /// A constant of an explicit type (e.g. a folded value keeping its node's broadcastable
    /// pattern); refused when the value is not an instance of the type.
    pub fn constant_typed(value: Tensor, ty: TensorType) -> Result<Variable, String> {
        if value.dtype() != ty.dtype || !ty.accepts_shape(value.shape()) {
            return Err(format!(
                "a {} value of shape {:?} is not an instance of {ty}",
                value.dtype(),
                value.shape()
            ));
        }
        Ok(Variable::leaf(ty, None, VarKind::Constant(Arc::new(value))))
    }

    /// [`Variable::constant`] of a value whose rank the caller bounds: the library's own 0-d
    /// and 1-d constants, a value shaped as a typed variable's value.
    ///
    /// # Panics
    ///
    /// When `value` has more than [`crate::MAX_NDIM`] dimensions, which is a bug in the
    /// caller: user values go through [`Variable::constant`] or `T::constant`.
    #[track_caller]
    pub fn constant_bounded(value: Tensor) -> Variable {
        Variable::constant(value)
            .unwrap_or_else(|e| panic!("a constant the library built has no type: {e}"))
    }

    /// [`Variable::shared`] of a value whose rank the caller bounds (its Rust type, say).
    ///
    /// # Panics
    ///
    /// When `value` has more than [`crate::MAX_NDIM`] dimensions, a bug in the caller.
    #[track_caller]
    pub fn shared_bounded(value: Tensor, name: Option<&str>) -> Variable {
        Variable::shared(value, name)
            .unwrap_or_else(|e| panic!("a shared value the library built has no type: {e}"))
    }

    /// A shared variable holding `value`; its type is non-broadcastable in every dimension.
    /// A value of more than [`crate::MAX_NDIM`] dimensions is an [`NdimError`].
    pub fn shared(value: Tensor, name: Option<&str>) -> Result<Variable, NdimError> {
        let ty = TensorType::with_ndim(value.dtype(), value.ndim()).map_err(|e| NdimError {
            argument: "the shared value's shape",
            ..e
        })?;
        Ok(Variable::leaf(
            ty,
            name,
            VarKind::Shared(Arc::new(SharedCell {
                ty,
                value: Mutex::new(CellValue::new(value)),
                default_update: Mutex::new(None),
            })),
        ))
    }

    /// A shared variable with an explicit type (e.g. broadcastable dimensions).
    pub fn shared_with_type(
        value: Tensor,
        ty: TensorType,
        name: Option<&str>,
    ) -> Result<Variable, String> {
        let cell = SharedCell {
            ty,
            value: Mutex::new(CellValue::new(Tensor::zeros(ty.dtype, &[]))),
            default_update: Mutex::new(None),
        };
        cell.check(&value)?;
        cell.lock().set(value);
        Ok(Variable::leaf(ty, name, VarKind::Shared(Arc::new(cell))))
    }

    /// A unique id (stable for the variable's lifetime).
    pub fn id(&self) -> u64 {
        self.node.id
    }
    pub fn ty(&self) -> TensorType {
        self.node.ty
    }
    pub fn dtype(&self) -> DType {
        self.node.ty.dtype
    }
    pub fn ndim(&self) -> usize {
        self.node.ty.ndim()
    }
    pub fn broadcastable(&self) -> Vec<bool> {
        self.node.ty.broadcastable()
    }
    pub fn kind(&self) -> &VarKind {
        &self.node.kind
    }
    pub fn name(&self) -> Option<Arc<str>> {
        self.node
            .name
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    /// Set the name (Theano's `v.name = ...`); every handle sees it.
    pub fn set_name(&self, name: &str) {
        *self.node.name.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::from(name));
    }
    /// Builder form of [`Variable::set_name`].
    pub fn named(self, name: &str) -> Variable {
        self.set_name(name);
        self
    }
    /// The node that computes this variable, `None` for inputs, constants and shared variables.
    pub fn owner(&self) -> Option<ApplyRef> {
        self.owner.clone().map(ApplyRef)
    }
    /// The output index in the owner, `None` for leaves.
    pub fn index(&self) -> Option<usize> {
        match self.node.kind {
            VarKind::Output(i) => Some(i),
            _ => None,
        }
    }
    pub fn is_constant(&self) -> bool {
        matches!(self.node.kind, VarKind::Constant(_))
    }
    pub fn constant_value(&self) -> Option<&Tensor> {
        match &self.node.kind {
            VarKind::Constant(t) => Some(t),
            _ => None,
        }
    }
    pub fn shared_cell(&self) -> Option<&Arc<SharedCell>> {
        match &self.node.kind {
            VarKind::Shared(c) => Some(c),
            _ => None,
        }
    }
    pub fn is_shared(&self) -> bool {
        self.shared_cell().is_some()
    }
    /// A copy of a shared variable's value (copied back from a device when a function
    /// running there updated it). Refused for a variable that is not shared, and when the
    /// device cannot copy it back.
    pub fn get_value(&self) -> Result<Tensor, String> {
        let cell = self
            .shared_cell()
            .ok_or_else(|| format!("get_value: {self} is not a shared variable"))?;
        let mut v = cell.lock();
        v.host()
            .cloned()
            .map_err(|m| format!("get_value of shared variable {self}: {m}"))
    }
    /// Replace a shared variable's value; refused (naming the variable) for another dtype or
    /// ndim, and for a variable that is not shared.
    pub fn set_value(&self, v: impl Into<Tensor>) -> Result<(), String> {
        let v = v.into();
        let cell = self
            .shared_cell()
            .ok_or_else(|| format!("set_value: {self} is not a shared variable"))?;
        cell.check(&v)
            .map_err(|m| format!("set_value of shared variable {self}: {m}"))?;
        cell.lock().set(v);
        Ok(())
    }
    /// Theano's `v.default_update = expr`: `function()` updates this shared variable with
    /// `expr` whenever the variable is part of the function's graph and the caller neither
    /// gives an update for it nor excludes it (`no_default_updates`); the random streams set
    /// it on their states. `None` removes it. Refused (naming the variable) for a variable
    /// that is not shared, and for an expression of another type than an update may have.
    ///
    /// The cell holds the expression weakly (the expression usually reads the variable, so a
    /// strong handle would be a cycle that is never freed): the default update lasts while
    /// some other handle keeps the expression alive. The random streams keep theirs, and a
    /// sample keeps the node that computes its stream's next state.
    pub fn set_default_update(&self, expr: Option<&Variable>) -> Result<(), String> {
        let cell = self
            .shared_cell()
            .ok_or_else(|| format!("set_default_update: {self} is not a shared variable"))?;
        if let Some(e) = expr {
            let (kt, vt) = (self.ty(), e.ty());
            if !kt.accepts_update(vt) {
                return Err(format!(
                    "set_default_update of shared variable {self}: the expression {e} has type \
                     {vt}, but the variable has type {kt}"
                ));
            }
        }
        *cell
            .default_update
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = expr.map(WeakVariable::new);
        Ok(())
    }
    /// The default update set by [`Variable::set_default_update`], while its expression is
    /// alive; `None` for other variables.
    pub fn default_update(&self) -> Option<Variable> {
        self.shared_cell()?
            .default_update
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()?
            .upgrade()
    }
}

impl PartialEq for Variable {
    fn eq(&self, o: &Variable) -> bool {
        self.node.id == o.node.id
    }
}
impl Eq for Variable {}
impl Hash for Variable {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.node.id.hash(h)
    }
}

/// Theano's `str(variable)`: the name, else `Op.index` for outputs, `TensorConstant{..}` for
/// constants, `<TensorType(..)>` for unnamed leaves.
impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.name() {
            return f.write_str(&n);
        }
        match &self.node.kind {
            VarKind::Output(i) => {
                let op = &self.owner.as_ref().expect("outputs have owners").op;
                write!(f, "{op}.{i}")
            }
            VarKind::Constant(t) => write!(f, "TensorConstant{{{}}}", constant_str(t)),
            VarKind::Input | VarKind::Shared(_) => write!(f, "<{}>", self.ty()),
        }
    }
}

impl fmt::Debug for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The text inside `TensorConstant{..}`: numpy's str of the value; `(3,) of 1` when every
/// element of a non-scalar is equal; shortened to `first10..last10` beyond 20 characters.
pub fn constant_str(t: &Tensor) -> String {
    let s = if t.ndim() > 0 && !t.is_empty() && {
        let v = t.to_f64_vec();
        v.iter().all(|x| x.to_bits() == v[0].to_bits())
    } {
        let shape = theano_tensor::py_tuple(t.shape());
        let first = t
            .reshape(&[t.len()])
            .map(|r| scalar_str(&first_elem(&r)))
            .unwrap_or_default();
        format!("{shape} of {first}")
    } else if t.ndim() == 0 {
        scalar_str(t)
    } else {
        t.to_numpy_str()
    };
    if s.chars().count() > 20 {
        let c: Vec<char> = s.chars().collect();
        let head: String = c[..10].iter().collect();
        let tail: String = c[c.len() - 10..].iter().collect();
        format!("{head}..{tail}")
    } else {
        s
    }
}

fn first_elem(t: &Tensor) -> Tensor {
    theano_tensor::map_array!(t, a => ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), a.iter().next().copied().unwrap_or_default()))
}

/// numpy's str of a 0-d value: `2`, `1.0`, `True`, `1e-05`.
pub fn scalar_str(t: &Tensor) -> String {
    t.to_numpy_str()
}

impl From<&Variable> for Variable {
    fn from(v: &Variable) -> Variable {
        v.clone()
    }
}

/// The integer entries of `v` known while graphs are built (see [`Op::infer_types_known`]):
/// those of an integer constant of rank 0 or 1, or, for a MakeVector, each scalar Theano's
/// `get_scalar_constant_value` reads as a constant: a constant (possibly cast), the length of
/// a broadcastable dimension (`Shape_i`, or `Shape(x)[i]` with a constant `i`: 1), and the
/// sum, difference or product of such scalars; for `Shape(x)`, 1 where x is broadcastable;
/// `None` when nothing is known.
pub fn known_ints(v: &Variable) -> Option<Vec<Option<i64>>> {
    if !v.dtype().is_int() || v.ndim() > 1 {
        return None;
    }
    /// Nested at most this deep (a bound on the recursion, which user graphs could deepen).
    const MAX_DEPTH: usize = 8;
    fn scalar(v: &Variable, depth: usize) -> Option<i64> {
        let mut v = v.clone();
        loop {
            if let Some(t) = v.constant_value() {
                return (t.ndim() == 0 && t.dtype().is_int()).then(|| t.to_i64_vec()[0]);
            }
            let n = v.owner()?;
            let ins = n.inputs();
            match n.op() {
                Op::Elemwise {
                    scalar: crate::ScalarOp::Cast(d),
                    ..
                } if d.is_int() => v = ins[0].clone(),
                Op::ShapeI(i) => return ins[0].ty().is_broadcastable(*i).then_some(1),
                Op::Subtensor { idx } if idx.len() == 1 && ins.len() == 2 => {
                    let s = ins[0].owner()?;
                    let i = ins[1].constant_value()?.scalar_i64()?;
                    let x = s.inputs().first()?.clone();
                    // a negative index counts from the end, as Python's
                    let k = usize::try_from(if i < 0 { i + x.ndim() as i64 } else { i }).ok()?;
                    return (matches!(s.op(), Op::Shape)
                        && matches!(idx[0], crate::IdxEntry::Index(_))
                        && k < x.ndim()
                        && x.ty().is_broadcastable(k))
                    .then_some(1);
                }
                Op::Elemwise {
                    scalar: s @ (crate::ScalarOp::Add | crate::ScalarOp::Sub | crate::ScalarOp::Mul),
                    ..
                } if depth < MAX_DEPTH && v.ndim() == 0 && v.dtype().is_int() => {
                    let vals = ins
                        .iter()
                        .map(|x| scalar(x, depth + 1))
                        .collect::<Option<Vec<i64>>>()?;
                    let (first, rest) = vals.split_first()?;
                    let r = rest.iter().try_fold(*first, |a, &b| match s {
                        crate::ScalarOp::Add => a.checked_add(b),
                        crate::ScalarOp::Sub => a.checked_sub(b),
                        _ => a.checked_mul(b),
                    })?;
                    // a result that wraps in the node's dtype is not read
                    let fits = Tensor::scalar(r).cast(v.dtype()).scalar_i64() == Some(r);
                    return fits.then_some(r);
                }
                _ => return None,
            }
        }
    }
    if let Some(t) = v.constant_value() {
        return Some(t.to_i64_vec().into_iter().map(Some).collect());
    }
    if v.ndim() == 0 {
        return scalar(v, 0).map(|x| vec![Some(x)]);
    }
    let n = v.owner()?;
    match n.op() {
        Op::MakeVector { .. } => Some(n.inputs().iter().map(|x| scalar(x, 0)).collect()),
        // `Shape(x)`: its broadcastable dimensions have length 1
        Op::Shape => {
            let t = n.inputs()[0].ty();
            Some(
                (0..t.ndim())
                    .map(|k| t.is_broadcastable(k).then_some(1))
                    .collect(),
            )
        }
        // the vectors joined, each of a known length (`concatenate([idx.shape,
        // a.shape[1:]])`, as `take` builds its result's shape)
        Op::Join { axis: 0 } => {
            let mut all = Vec::new();
            for x in n.inputs() {
                all.extend(known_ints(x)?);
            }
            Some(all)
        }
        // a slice of constant bounds of a vector of known length (`a.shape[1:]`)
        Op::Subtensor { idx } if idx.len() == 1 => {
            let crate::IdxEntry::Slice { start, stop, step } = &idx[0] else {
                return None;
            };
            let inner = known_ints(&n.inputs()[0])?;
            let mut bounds = n.inputs()[1..].iter();
            let mut bound = |present: &Option<theano_tensor::DType>| match present {
                None => Some(None),
                Some(_) => bounds
                    .next()
                    .and_then(|b| b.constant_value())
                    .and_then(|t| t.scalar_i64())
                    .map(Some),
            };
            let (a, b, c) = (bound(start)?, bound(stop)?, bound(step)?);
            let (first, len, step) = crate::op::py_slice(a, b, c, inner.len())?;
            Some(
                (0..len)
                    .map(|k| inner[(first + k * step) as usize])
                    .collect(),
            )
        }
        _ => None,
    }
}

/// Theano's `constant_cache`: a value of one element, of an integer or float dtype, between
/// -10 and 10, is one shared variable per (type, value); floats are cached while the cache
/// holds fewer than 10000 entries, as Theano's.
fn cached_constant(value: Tensor, ty: TensorType) -> Variable {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Key = (TensorType, u64);
    static CACHE: OnceLock<Mutex<HashMap<Key, Variable>>> = OnceLock::new();
    let d = value.dtype();
    let x = if value.len() == 1 && !d.is_bool() {
        value.to_f64_vec()[0]
    } else {
        f64::NAN
    };
    if !(-10.0..=10.0).contains(&x) {
        return Variable::leaf(ty, None, VarKind::Constant(Arc::new(value)));
    }
    let key = (ty, x.to_bits());
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(v) = cache.get(&key) {
        return v.clone();
    }
    let v = Variable::leaf(ty, None, VarKind::Constant(Arc::new(value)));
    if !d.is_float() || cache.len() < 10_000 {
        cache.insert(key, v.clone());
    }
    v
}
