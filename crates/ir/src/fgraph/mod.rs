//! [`FunctionGraph`]: the arena IR that the compiler rewrites.
//!
//! The user's graph ([`Variable`]s behind `Arc`s, edges towards inputs only) is imported into an
//! arena: values ([`Value`]) and apply nodes ([`Node`]) are `u32` ids into dense tables, and a
//! side table lists, for every value, the `(node, input index)` pairs that read it (its
//! *clients*) and how many graph outputs it is. Rewrites go through [`FunctionGraph::replace`],
//! which redirects every client of a value in time proportional to its client count, records
//! the reason in a history log, and prunes the nodes it leaves without clients (as Theano's
//! `FunctionGraph.replace` does). Nodes are never moved or renumbered: a pruned node stays in
//! the arena, marked dead ([`FunctionGraph::is_alive`]), so ids held by a pass stay valid.
//!
//! The graph prints to a line-oriented text form and parses back ([`FunctionGraph::to_text`],
//! [`FunctionGraph::parse`]; the syntax is documented in [`text`]), and
//! [`FunctionGraph::verify`] checks every invariant of the arena.
//!
//! Entity ids are plain newtypes indexing `Vec`s (the `cranelift-entity` pattern; a
//! [`SecondaryMap`] gives passes their own side tables) rather than the `cranelift-entity` crate
//! itself, to keep theano-ir free of dependencies.

pub mod describe;
pub mod text;
mod verify;

pub use describe::{node_str, value_str, MAX_SHOWN};
pub use text::{parse_op, ParseError};
pub use verify::VerifyError;

use crate::error::GraphError;
use crate::op::Op;
use crate::types::TensorType;
use crate::var::{ApplyRef, SharedCell, VarKind, Variable};
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;
use std::sync::Arc;
use theano_tensor::Tensor;

/// A user source location (where a node was built).
pub type Loc = &'static Location<'static>;

/// An entity id usable as a key of a [`SecondaryMap`].
pub trait EntityRef: Copy + Eq {
    fn new(index: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! entity {
    ($(#[$m:meta])* $name:ident, $prefix:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);
        impl $name {
            /// The id with this index. An id that did not come from the graph it is used with
            /// makes that graph's accessors panic.
            pub fn from_index(i: usize) -> $name {
                $name(u32::try_from(i).expect("more than 2^32 entities"))
            }
            /// The dense index of the id.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
        impl EntityRef for $name {
            fn new(i: usize) -> $name {
                $name::from_index(i)
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

entity!(
    /// A value (Theano's variable) of a [`FunctionGraph`]: an input, a constant, a shared
    /// variable or an output of a node.
    Value,
    "v"
);
entity!(
    /// An apply node of a [`FunctionGraph`].
    Node,
    "n"
);

/// A dense side table keyed by an entity, with a default for keys never written (cranelift's
/// `SecondaryMap`).
#[derive(Clone, Debug)]
pub struct SecondaryMap<K: EntityRef, V: Clone> {
    data: Vec<V>,
    default: V,
    _k: PhantomData<K>,
}

impl<K: EntityRef, V: Clone + Default> SecondaryMap<K, V> {
    pub fn new() -> Self {
        Self::with_default(V::default())
    }
}

impl<K: EntityRef, V: Clone + Default> Default for SecondaryMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: EntityRef, V: Clone> SecondaryMap<K, V> {
    pub fn with_default(default: V) -> Self {
        SecondaryMap {
            data: Vec::new(),
            default,
            _k: PhantomData,
        }
    }
    /// A map with room for `n` keys.
    pub fn with_capacity(n: usize, default: V) -> Self {
        SecondaryMap {
            data: vec![default.clone(); n],
            default,
            _k: PhantomData,
        }
    }
    pub fn get(&self, k: K) -> Option<&V> {
        self.data.get(k.index())
    }
    pub fn clear(&mut self) {
        self.data.clear()
    }
}

impl<K: EntityRef, V: Clone> std::ops::Index<K> for SecondaryMap<K, V> {
    type Output = V;
    fn index(&self, k: K) -> &V {
        self.data.get(k.index()).unwrap_or(&self.default)
    }
}

impl<K: EntityRef, V: Clone> std::ops::IndexMut<K> for SecondaryMap<K, V> {
    fn index_mut(&mut self, k: K) -> &mut V {
        let i = k.index();
        if i >= self.data.len() {
            self.data.resize(i + 1, self.default.clone());
        }
        &mut self.data[i]
    }
}

/// Where a value comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ValueDef {
    /// A graph input (listed in [`FunctionGraph::inputs`] when the graph is valid).
    Input,
    /// A constant; its value is [`FunctionGraph::constant_value`].
    Constant,
    /// A shared variable; its cell is [`FunctionGraph::shared_cell`].
    Shared,
    /// Output `index` of `node`.
    Output { node: Node, index: u32 },
}

/// One reader of a value: input `input` of `node`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Client {
    pub node: Node,
    pub input: u32,
}

/// One entry of the replacement log: `old` was replaced by `new` because of `reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub reason: Arc<str>,
    pub old: Value,
    pub new: Value,
}

/// Why a graph operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FgraphError {
    /// Theano's MissingInputError: an ownerless variable that is neither a constant nor a
    /// shared variable, needed by the outputs, is not among the inputs.
    #[error("missing input: {name} ({ty}){}", needed_by.as_ref().map(|n| format!(", needed by {n}")).unwrap_or_default())]
    MissingInput {
        /// The variable as Theano prints it (its name, or `<TensorType(..)>`).
        name: String,
        ty: TensorType,
        /// The op that reads it and where that node was built.
        needed_by: Option<String>,
    },
    #[error("input {name} is listed twice")]
    DuplicateInput { name: String },
    #[error(
        "cannot replace {old} ({old_ty}) by {new} ({new_ty}): the types differ (reason: {reason})"
    )]
    TypeMismatch {
        old: Value,
        new: Value,
        old_ty: TensorType,
        new_ty: TensorType,
        reason: String,
    },
    #[error("cannot replace {old} by {new}: {new} is computed from {old} (reason: {reason})")]
    Cycle {
        old: Value,
        new: Value,
        reason: String,
    },
    #[error("{0} is not a value of this graph")]
    NoSuchValue(Value),
    #[error("{0} is not a node of this graph")]
    NoSuchNode(Node),
    #[error("{0} was pruned from the graph")]
    DeadValue(Value),
    #[error("{0} was pruned from the graph")]
    DeadNode(Node),
    #[error("index {index} out of range ({len} entries)")]
    Index { index: usize, len: usize },
    /// Type inference refused a node.
    #[error("{0}")]
    Graph(#[from] GraphError),
}

#[derive(Clone)]
struct ValueData {
    ty: TensorType,
    name: Option<Arc<str>>,
    def: ValueDef,
    /// The user's variable for leaves (inputs, constants, shared variables).
    leaf: Option<Variable>,
}

#[derive(Clone)]
struct NodeData {
    op: Op,
    inputs: Vec<Value>,
    /// per input: where this node's entry sits in that input's clients list, so removing a
    /// reader costs O(1), not a search of a list that may hold thousands of readers
    client_pos: Vec<u32>,
    outputs: Vec<Value>,
    location: Loc,
    alive: bool,
    /// The user's node this one was imported from (reused by `to_variables` while unchanged).
    origin: Option<ApplyRef>,
}

/// The arena IR: see the [module documentation](self).
#[derive(Clone)]
pub struct FunctionGraph {
    values: Vec<ValueData>,
    nodes: Vec<NodeData>,
    /// per value: the node inputs that read it
    clients: Vec<Vec<Client>>,
    /// per value: how many entries of `outputs` it is
    output_uses: Vec<u32>,
    inputs: Vec<Value>,
    outputs: Vec<Value>,
    n_alive: usize,
    history: Vec<Replacement>,
    reasons: HashMap<Arc<str>, ()>,
    /// user variable id -> value (imports are memoised)
    var_map: HashMap<u64, Value>,
    features: Features,
}

/// Analyses attached to a graph (Theano's fgraph features, such as its shape feature): one
/// side table per type, which an analysis keeps between calls. Values and nodes are never
/// renumbered, so a table keyed by them stays meaningful; what a replacement makes stale is
/// for the analysis to check. A clone of the graph starts with none.
#[derive(Default)]
struct Features(std::sync::Mutex<HashMap<std::any::TypeId, Box<dyn std::any::Any + Send>>>);

impl Clone for Features {
    fn clone(&self) -> Features {
        Features::default()
    }
}

impl Default for FunctionGraph {
    fn default() -> Self {
        Self::new()
    }
}

impl FunctionGraph {
    /// An empty graph.
    pub fn new() -> FunctionGraph {
        FunctionGraph {
            values: Vec::new(),
            nodes: Vec::new(),
            clients: Vec::new(),
            output_uses: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            n_alive: 0,
            history: Vec::new(),
            reasons: HashMap::new(),
            var_map: HashMap::new(),
            features: Features::default(),
        }
    }

    /// Run `f` on this graph's side table of type `T` (made empty on first use). The table is
    /// locked while `f` runs: `f` must not call `with_feature` again.
    pub fn with_feature<T: std::any::Any + Send + Default, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let mut map = self
            .features
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = map
            .entry(std::any::TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()));
        f(entry.downcast_mut::<T>().expect("keyed by its type"))
    }

    /// Import everything `outputs` depend on. The `inputs` become the graph's inputs (a listed
    /// variable that has an owner is cut there: its owner is not imported, as Theano does for
    /// `givens`). Constants and shared variables are imported as leaves; any other ownerless
    /// variable not listed is a [`FgraphError::MissingInput`].
    pub fn from_outputs(
        inputs: &[Variable],
        outputs: &[Variable],
    ) -> Result<FunctionGraph, FgraphError> {
        let mut fg = FunctionGraph::new();
        for v in inputs {
            fg.add_input_var(v.clone())?;
        }
        for o in outputs {
            let v = fg.import(o)?;
            fg.add_output(v);
        }
        Ok(fg)
    }

    // -----------------------------------------------------------------------------------------
    // Accessors

    /// The graph inputs, in order.
    pub fn inputs(&self) -> &[Value] {
        &self.inputs
    }
    /// The graph outputs, in order.
    pub fn outputs(&self) -> &[Value] {
        &self.outputs
    }
    /// How many values the arena holds (dead ones included): the bound of `Value` indices.
    pub fn num_values(&self) -> usize {
        self.values.len()
    }
    /// How many nodes the arena holds (dead ones included): the bound of `Node` indices.
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }
    /// How many nodes are alive.
    pub fn num_alive_nodes(&self) -> usize {
        self.n_alive
    }
    /// Every live node, in id order (not a topological order, see [`Self::toposort`]).
    pub fn nodes(&self) -> impl Iterator<Item = Node> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.alive)
            .map(|(i, _)| Node::from_index(i))
    }
    pub fn ty(&self, v: Value) -> TensorType {
        self.values[v.index()].ty
    }
    pub fn name(&self, v: Value) -> Option<&str> {
        self.values[v.index()].name.as_deref()
    }
    /// Name a value (only the graph's record; a leaf's user variable is not renamed).
    pub fn set_name(&mut self, v: Value, name: Option<&str>) {
        self.values[v.index()].name = name.map(Arc::from);
    }
    pub fn def(&self, v: Value) -> ValueDef {
        self.values[v.index()].def
    }
    /// The node computing `v`, `None` for leaves.
    pub fn owner(&self, v: Value) -> Option<Node> {
        match self.values[v.index()].def {
            ValueDef::Output { node, .. } => Some(node),
            _ => None,
        }
    }
    /// Whether `v` is an input, a constant or a shared variable.
    pub fn is_leaf(&self, v: Value) -> bool {
        self.owner(v).is_none()
    }
    /// The value of a constant.
    /// The integer entries of `v` known in the graph, as [`crate::var::known_ints`] reads
    /// them of variables (constants, constant casts, MakeVectors of those); see
    /// [`Op::infer_types_known`].
    pub fn known_ints(&self, v: Value) -> Option<Vec<Option<i64>>> {
        let ty = self.ty(v);
        if !ty.dtype.is_int() || ty.ndim() > 1 {
            return None;
        }
        let scalar = |mut v: Value| -> Option<i64> {
            loop {
                if let Some(t) = self.constant_value(v) {
                    return (t.ndim() == 0 && t.dtype().is_int()).then(|| t.to_i64_vec()[0]);
                }
                let n = self.owner(v)?;
                match self.op(n) {
                    Op::Elemwise {
                        scalar: crate::ScalarOp::Cast(d),
                        ..
                    } if d.is_int() => v = self.node_inputs(n)[0],
                    _ => return None,
                }
            }
        };
        if let Some(t) = self.constant_value(v) {
            return Some(t.to_i64_vec().into_iter().map(Some).collect());
        }
        if ty.ndim() == 0 {
            return scalar(v).map(|x| vec![Some(x)]);
        }
        let n = self.owner(v)?;
        match self.op(n) {
            Op::MakeVector { .. } => Some(self.node_inputs(n).iter().map(|&x| scalar(x)).collect()),
            // a broadcastable dimension's length is 1
            Op::Shape => {
                let x = self.ty(self.node_inputs(n)[0]);
                Some(
                    (0..x.ndim())
                        .map(|d| x.is_broadcastable(d).then_some(1))
                        .collect(),
                )
            }
            _ => None,
        }
    }

    pub fn constant_value(&self, v: Value) -> Option<&Tensor> {
        match self.values[v.index()].def {
            ValueDef::Constant => self.values[v.index()].leaf.as_ref()?.constant_value(),
            _ => None,
        }
    }
    /// The cell of a shared variable.
    pub fn shared_cell(&self, v: Value) -> Option<&Arc<SharedCell>> {
        match self.values[v.index()].def {
            ValueDef::Shared => self.values[v.index()].leaf.as_ref()?.shared_cell(),
            _ => None,
        }
    }
    /// The user variable of a leaf.
    pub fn leaf_variable(&self, v: Value) -> Option<&Variable> {
        self.values[v.index()].leaf.as_ref()
    }
    /// Whether `v` is defined: a leaf, or an output of a live node.
    pub fn is_value_alive(&self, v: Value) -> bool {
        match self.values[v.index()].def {
            ValueDef::Output { node, .. } => self.nodes[node.index()].alive,
            _ => true,
        }
    }
    /// The node inputs that read `v` (graph outputs are not listed: see [`Self::is_output`]).
    pub fn clients(&self, v: Value) -> &[Client] {
        &self.clients[v.index()]
    }
    /// Whether `v` is one of the graph outputs.
    pub fn is_output(&self, v: Value) -> bool {
        self.output_uses[v.index()] > 0
    }
    /// Readers of `v`: its clients plus one per graph output it is (Theano's `len(clients)`).
    pub fn n_uses(&self, v: Value) -> usize {
        self.clients[v.index()].len() + self.output_uses[v.index()] as usize
    }
    pub fn op(&self, n: Node) -> &Op {
        &self.nodes[n.index()].op
    }
    pub fn node_inputs(&self, n: Node) -> &[Value] {
        &self.nodes[n.index()].inputs
    }
    pub fn node_outputs(&self, n: Node) -> &[Value] {
        &self.nodes[n.index()].outputs
    }
    /// Where the node was built (the user's line, or the rewrite that made it).
    pub fn location(&self, n: Node) -> Loc {
        self.nodes[n.index()].location
    }
    pub fn is_alive(&self, n: Node) -> bool {
        self.nodes[n.index()].alive
    }
    /// The replacement log, oldest first.
    pub fn history(&self) -> &[Replacement] {
        &self.history
    }
    pub fn clear_history(&mut self) {
        self.history.clear()
    }

    fn check_value(&self, v: Value) -> Result<(), FgraphError> {
        if v.index() >= self.values.len() {
            return Err(FgraphError::NoSuchValue(v));
        }
        if !self.is_value_alive(v) {
            return Err(FgraphError::DeadValue(v));
        }
        Ok(())
    }

    fn check_node(&self, n: Node) -> Result<(), FgraphError> {
        if n.index() >= self.nodes.len() {
            return Err(FgraphError::NoSuchNode(n));
        }
        if !self.nodes[n.index()].alive {
            return Err(FgraphError::DeadNode(n));
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Building

    fn push_value(
        &mut self,
        ty: TensorType,
        name: Option<Arc<str>>,
        def: ValueDef,
        leaf: Option<Variable>,
    ) -> Value {
        let v = Value::from_index(self.values.len());
        self.values.push(ValueData {
            ty,
            name,
            def,
            leaf,
        });
        self.clients.push(Vec::new());
        self.output_uses.push(0);
        v
    }

    fn add_input_var(&mut self, var: Variable) -> Result<Value, FgraphError> {
        if self.var_map.contains_key(&var.id()) {
            return Err(FgraphError::DuplicateInput {
                name: var.to_string(),
            });
        }
        let v = self.push_value(var.ty(), var.name(), ValueDef::Input, Some(var.clone()));
        self.var_map.insert(var.id(), v);
        self.inputs.push(v);
        Ok(v)
    }

    /// A new graph input of type `ty`.
    pub fn add_input(&mut self, ty: TensorType, name: Option<&str>) -> Value {
        self.add_input_var(Variable::input(ty, name))
            .expect("a fresh variable is not yet an input")
    }

    /// A new constant (typed as [`Variable::constant`] types it).
    pub fn add_constant(&mut self, value: Tensor) -> Value {
        let var = Variable::constant_bounded(value);
        self.import_leaf(&var, None).expect("constants import")
    }

    /// A constant of an explicit type; refused when the value is not an instance of it.
    pub fn add_constant_typed(&mut self, value: Tensor, ty: TensorType) -> Result<Value, String> {
        let var = Variable::constant_typed(value, ty)?;
        self.import_leaf(&var, None).map_err(|e| e.to_string())
    }

    fn lookup(&self, var: &Variable) -> Option<Value> {
        let v = *self.var_map.get(&var.id())?;
        self.is_value_alive(v).then_some(v)
    }

    fn import_leaf(
        &mut self,
        var: &Variable,
        needed_by: Option<&ApplyRef>,
    ) -> Result<Value, FgraphError> {
        let def = match var.kind() {
            VarKind::Constant(_) => ValueDef::Constant,
            VarKind::Shared(_) => ValueDef::Shared,
            VarKind::Input | VarKind::Output(_) => {
                return Err(FgraphError::MissingInput {
                    name: var.to_string(),
                    ty: var.ty(),
                    needed_by: needed_by.map(|n| {
                        let l = n.location();
                        format!(
                            "{} built at {}:{}:{}",
                            n.op(),
                            l.file(),
                            l.line(),
                            l.column()
                        )
                    }),
                })
            }
        };
        let v = self.push_value(var.ty(), var.name(), def, Some(var.clone()));
        self.var_map.insert(var.id(), v);
        Ok(v)
    }

    /// Import a user variable and everything it depends on (memoised: a variable already
    /// imported, and still alive, maps to the same value). Ownerless variables that are
    /// neither constants, shared variables nor graph inputs are a
    /// [`FgraphError::MissingInput`].
    pub fn import(&mut self, var: &Variable) -> Result<Value, FgraphError> {
        if let Some(v) = self.lookup(var) {
            return Ok(v);
        }
        // Iterative post-order walk: (variable, inputs pushed?, the node that reads it).
        let mut stack: Vec<(Variable, bool, Option<ApplyRef>)> = vec![(var.clone(), false, None)];
        while let Some((v, expanded, parent)) = stack.pop() {
            if self.lookup(&v).is_some() {
                continue;
            }
            match v.owner() {
                None => {
                    self.import_leaf(&v, parent.as_ref())?;
                }
                Some(node) if expanded => self.import_apply(&node),
                Some(node) => {
                    stack.push((v.clone(), true, parent));
                    for i in node.inputs().iter().rev() {
                        if self.lookup(i).is_none() {
                            stack.push((i.clone(), false, Some(node.clone())));
                        }
                    }
                }
            }
        }
        Ok(self.lookup(var).expect("imported above"))
    }

    /// Import a node whose inputs are all imported.
    fn import_apply(&mut self, a: &ApplyRef) {
        let inputs: Vec<Value> = a
            .inputs()
            .iter()
            .map(|i| self.lookup(i).expect("inputs are imported first"))
            .collect();
        let n = Node::from_index(self.nodes.len());
        let mut outputs = Vec::with_capacity(a.n_outputs());
        for k in 0..a.n_outputs() {
            let o = a.output(k);
            let v = self.push_value(
                o.ty(),
                o.name(),
                ValueDef::Output {
                    node: n,
                    index: k as u32,
                },
                None,
            );
            self.var_map.insert(o.id(), v);
            outputs.push(v);
        }
        self.push_node(
            a.op().clone(),
            inputs,
            outputs,
            a.location(),
            Some(a.clone()),
        );
    }

    fn push_node(
        &mut self,
        op: Op,
        inputs: Vec<Value>,
        outputs: Vec<Value>,
        location: Loc,
        origin: Option<ApplyRef>,
    ) -> Node {
        let n = Node::from_index(self.nodes.len());
        let mut client_pos = Vec::with_capacity(inputs.len());
        for (k, &i) in inputs.iter().enumerate() {
            let list = &mut self.clients[i.index()];
            client_pos.push(list.len() as u32);
            list.push(Client {
                node: n,
                input: k as u32,
            });
        }
        self.nodes.push(NodeData {
            op,
            inputs,
            client_pos,
            outputs,
            location,
            alive: true,
            origin,
        });
        self.n_alive += 1;
        n
    }

    /// Apply `op` to `inputs`, inferring the output types (`Op::infer_types`); a refusal is a
    /// [`GraphError`] naming the op, the input types and `location`. The new node has no
    /// clients until something reads it (see [`Self::replace`]).
    pub fn add_node(
        &mut self,
        op: Op,
        inputs: &[Value],
        location: Loc,
    ) -> Result<Node, FgraphError> {
        for &i in inputs {
            self.check_value(i)?;
        }
        let tys: Vec<TensorType> = inputs.iter().map(|&i| self.ty(i)).collect();
        let out_tys = match op.infer_types_known(&tys, &|i| self.known_ints(inputs[i])) {
            Ok(t) => t,
            Err(m) => return Err(GraphError::new(op.name(), tys, m, location).into()),
        };
        let n = Node::from_index(self.nodes.len());
        let outputs = out_tys
            .into_iter()
            .enumerate()
            .map(|(k, ty)| {
                self.push_value(
                    ty,
                    None,
                    ValueDef::Output {
                        node: n,
                        index: k as u32,
                    },
                    None,
                )
            })
            .collect();
        Ok(self.push_node(op, inputs.to_vec(), outputs, location, None))
    }

    /// [`Self::add_node`] for a single-output op: its output.
    pub fn add_node1(
        &mut self,
        op: Op,
        inputs: &[Value],
        location: Loc,
    ) -> Result<Value, FgraphError> {
        let n = self.add_node(op, inputs, location)?;
        Ok(self.nodes[n.index()].outputs[0])
    }

    /// Append a graph output.
    pub fn add_output(&mut self, v: Value) {
        self.output_uses[v.index()] += 1;
        self.outputs.push(v);
    }

    /// Make output `i` be `v`; the old output's nodes are pruned if nothing else reads them.
    pub fn set_output(&mut self, i: usize, v: Value) -> Result<(), FgraphError> {
        self.check_value(v)?;
        let len = self.outputs.len();
        let old = *self
            .outputs
            .get(i)
            .ok_or(FgraphError::Index { index: i, len })?;
        self.outputs[i] = v;
        self.output_uses[v.index()] += 1;
        self.output_uses[old.index()] -= 1;
        self.prune(old);
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Rewriting

    fn intern(&mut self, reason: &str) -> Arc<str> {
        if let Some((k, _)) = self.reasons.get_key_value(reason) {
            return k.clone();
        }
        let k: Arc<str> = Arc::from(reason);
        self.reasons.insert(k.clone(), ());
        k
    }

    /// Replace `old` by `new` everywhere: every client of `old` reads `new`, and graph outputs
    /// that were `old` become `new`. The types must be equal. The replacement is logged with
    /// `reason`, and nodes left without readers are pruned. Cost: the clients of `old` plus
    /// the pruned nodes.
    ///
    /// A `new` computed from `old` would make a cycle; the direct case (a node reading `old`
    /// computes `new`) is refused here, deeper ones are caught by [`Self::verify`].
    pub fn replace(&mut self, old: Value, new: Value, reason: &str) -> Result<(), FgraphError> {
        self.check_value(old)?;
        self.check_value(new)?;
        if old == new {
            return Ok(());
        }
        let (old_ty, new_ty) = (self.ty(old), self.ty(new));
        if old_ty != new_ty {
            return Err(FgraphError::TypeMismatch {
                old,
                new,
                old_ty,
                new_ty,
                reason: reason.to_string(),
            });
        }
        if let Some(owner) = self.owner(new) {
            if self.clients[old.index()].iter().any(|c| c.node == owner) {
                return Err(FgraphError::Cycle {
                    old,
                    new,
                    reason: reason.to_string(),
                });
            }
        }
        let uses = std::mem::take(&mut self.clients[old.index()]);
        for c in &uses {
            self.nodes[c.node.index()].inputs[c.input as usize] = new;
        }
        let new_clients = &mut self.clients[new.index()];
        if new_clients.is_empty() {
            // the same positions, in another value's list
            *new_clients = uses;
        } else {
            let base = new_clients.len();
            new_clients.extend_from_slice(&uses);
            for (j, c) in uses.iter().enumerate() {
                self.nodes[c.node.index()].client_pos[c.input as usize] = (base + j) as u32;
            }
            // hand the (now empty) allocation back to `old`'s list
            let mut uses = uses;
            uses.clear();
            self.clients[old.index()] = uses;
        }
        let k = self.output_uses[old.index()];
        if k > 0 {
            for o in self.outputs.iter_mut() {
                if *o == old {
                    *o = new;
                }
            }
            self.output_uses[new.index()] += k;
            self.output_uses[old.index()] = 0;
        }
        let reason = self.intern(reason);
        self.history.push(Replacement { reason, old, new });
        self.prune(old);
        Ok(())
    }

    /// [`Self::replace`] for each pair in order; stops at the first refusal.
    pub fn replace_all(
        &mut self,
        pairs: &[(Value, Value)],
        reason: &str,
    ) -> Result<(), FgraphError> {
        for &(old, new) in pairs {
            self.replace(old, new, reason)?;
        }
        Ok(())
    }

    /// Make input `i` of `node` read `new` (same type as the current input); the old input's
    /// nodes are pruned if nothing else reads them.
    pub fn change_input(
        &mut self,
        node: Node,
        i: usize,
        new: Value,
        reason: &str,
    ) -> Result<(), FgraphError> {
        self.check_node(node)?;
        self.check_value(new)?;
        let len = self.nodes[node.index()].inputs.len();
        let old = *self.nodes[node.index()]
            .inputs
            .get(i)
            .ok_or(FgraphError::Index { index: i, len })?;
        if old == new {
            return Ok(());
        }
        let (old_ty, new_ty) = (self.ty(old), self.ty(new));
        if old_ty != new_ty {
            return Err(FgraphError::TypeMismatch {
                old,
                new,
                old_ty,
                new_ty,
                reason: reason.to_string(),
            });
        }
        if self.owner(new) == Some(node) {
            return Err(FgraphError::Cycle {
                old,
                new,
                reason: reason.to_string(),
            });
        }
        let c = Client {
            node,
            input: i as u32,
        };
        self.unlink(old, c);
        let list = &mut self.clients[new.index()];
        self.nodes[node.index()].client_pos[i] = list.len() as u32;
        list.push(c);
        self.nodes[node.index()].inputs[i] = new;
        let reason = self.intern(reason);
        self.history.push(Replacement { reason, old, new });
        self.prune(old);
        Ok(())
    }

    /// Change the op of a node (e.g. to its in-place variant); the new op must infer the same
    /// output types from the node's inputs.
    pub fn set_op(&mut self, node: Node, op: Op) -> Result<(), FgraphError> {
        self.check_node(node)?;
        let nd = &self.nodes[node.index()];
        let tys: Vec<TensorType> = nd.inputs.iter().map(|&i| self.ty(i)).collect();
        let out = op
            .infer_types(&tys)
            .map_err(|m| GraphError::new(op.name(), tys.clone(), m, nd.location))?;
        let have: Vec<TensorType> = nd.outputs.iter().map(|&o| self.ty(o)).collect();
        if !op.accepts_output_types(&out, &have) {
            let m = format!(
                "the new op gives output types {out:?}, the node has {have:?} (was {})",
                nd.op
            );
            return Err(GraphError::new(op.name(), tys, m, nd.location).into());
        }
        self.nodes[node.index()].op = op;
        Ok(())
    }

    fn kill(&mut self, n: Node, work: &mut Vec<Value>) {
        let nd = &mut self.nodes[n.index()];
        debug_assert!(nd.alive);
        nd.alive = false;
        nd.origin = None;
        self.n_alive -= 1;
        for k in 0..self.nodes[n.index()].inputs.len() {
            let i = self.nodes[n.index()].inputs[k];
            self.unlink(
                i,
                Client {
                    node: n,
                    input: k as u32,
                },
            );
            work.push(i);
        }
    }

    /// Remove reader `c` from the clients of `v`, in O(1) (its recorded position; the entry
    /// moved into its place gets its new position).
    fn unlink(&mut self, v: Value, c: Client) {
        let list = &mut self.clients[v.index()];
        let recorded = self.nodes[c.node.index()].client_pos[c.input as usize] as usize;
        let p = if list.get(recorded) == Some(&c) {
            recorded
        } else {
            // only a corrupted graph (the verifier's tests) gets here
            match list.iter().position(|x| *x == c) {
                Some(p) => p,
                None => return,
            }
        };
        list.swap_remove(p);
        if let Some(&moved) = list.get(p) {
            self.nodes[moved.node.index()].client_pos[moved.input as usize] = p as u32;
        }
    }

    /// Prune the owner of `v` (and, transitively, of its inputs) when no output of it is read.
    fn prune(&mut self, v: Value) {
        let mut work = vec![v];
        while let Some(v) = work.pop() {
            let Some(n) = self.owner(v) else { continue };
            if !self.nodes[n.index()].alive {
                continue;
            }
            let unused = self.nodes[n.index()]
                .outputs
                .iter()
                .all(|&o| self.n_uses(o) == 0);
            if unused {
                self.kill(n, &mut work);
            }
        }
    }

    /// Drop every live node the outputs do not depend on (e.g. nodes added and never used).
    /// Returns how many were dropped.
    pub fn remove_unused(&mut self) -> usize {
        let mut reach = vec![false; self.nodes.len()];
        for n in self.toposort() {
            reach[n.index()] = true;
        }
        let mut work = Vec::new();
        let mut removed = 0;
        for (i, &reached) in reach.iter().enumerate() {
            if self.nodes[i].alive && !reached {
                self.kill(Node::from_index(i), &mut work);
                removed += 1;
            }
        }
        removed
    }

    /// The live nodes the outputs depend on, each after the nodes it reads. Deterministic: a
    /// depth-first walk from the outputs in order, visiting inputs in order. Iterative.
    pub fn toposort(&self) -> Vec<Node> {
        // 0 = unvisited, 1 = on the stack, 2 = done
        let mut state = vec![0u8; self.nodes.len()];
        let mut order = Vec::with_capacity(self.n_alive);
        let mut stack: Vec<(Node, usize)> = Vec::new();
        for &o in &self.outputs {
            let Some(root) = self.owner(o) else { continue };
            if state[root.index()] != 0 || !self.nodes[root.index()].alive {
                continue;
            }
            state[root.index()] = 1;
            stack.push((root, 0));
            while let Some(top) = stack.last_mut() {
                let (n, k) = *top;
                let ins = &self.nodes[n.index()].inputs;
                if k < ins.len() {
                    top.1 += 1;
                    if let Some(m) = self.owner(ins[k]) {
                        if state[m.index()] == 0 && self.nodes[m.index()].alive {
                            state[m.index()] = 1;
                            stack.push((m, 0));
                        }
                    }
                } else {
                    stack.pop();
                    state[n.index()] = 2;
                    order.push(n);
                }
            }
        }
        order
    }

    // -----------------------------------------------------------------------------------------
    // Export

    /// The outputs as user [`Variable`]s, so that `pp`/`debugprint` work on a rewritten graph.
    /// Leaves are the original user variables (inputs, constants, shared variables); a node
    /// imported from the user graph and left unchanged gives back the user's own variables;
    /// other nodes are built anew with [`ApplyRef::create`] at their recorded location.
    pub fn to_variables(&self) -> Result<Vec<Variable>, GraphError> {
        let mut vars: Vec<Option<Variable>> = vec![None; self.values.len()];
        let get = |vars: &Vec<Option<Variable>>, v: Value| -> Variable {
            vars[v.index()]
                .clone()
                .or_else(|| self.values[v.index()].leaf.clone())
                .expect("toposort defines every value before its use")
        };
        for n in self.toposort() {
            let nd = &self.nodes[n.index()];
            let ins: Vec<Variable> = nd.inputs.iter().map(|&i| get(&vars, i)).collect();
            let reuse = nd.origin.as_ref().filter(|a| {
                a.op() == &nd.op
                    && a.inputs() == ins.as_slice()
                    && nd.outputs.iter().enumerate().all(|(k, &o)| {
                        a.output(k).name().as_deref() == self.values[o.index()].name.as_deref()
                    })
            });
            let a = match reuse {
                Some(a) => a.clone(),
                None => {
                    let a = ApplyRef::create(nd.op.clone(), ins, nd.location)?;
                    for (k, &o) in nd.outputs.iter().enumerate() {
                        if let Some(name) = &self.values[o.index()].name {
                            a.output(k).set_name(name);
                        }
                    }
                    a
                }
            };
            for (k, &o) in nd.outputs.iter().enumerate() {
                vars[o.index()] = Some(a.output(k));
            }
        }
        Ok(self.outputs.iter().map(|&o| get(&vars, o)).collect())
    }

    // -----------------------------------------------------------------------------------------
    // Test-only corruption, for the verifier's tests.

    #[cfg(test)]
    pub(crate) fn corrupt_node_input(&mut self, n: Node, i: usize, v: Value) {
        self.nodes[n.index()].inputs[i] = v;
    }
    #[cfg(test)]
    pub(crate) fn corrupt_clients(&mut self, v: Value) -> &mut Vec<Client> {
        &mut self.clients[v.index()]
    }
    #[cfg(test)]
    pub(crate) fn corrupt_output_type(&mut self, v: Value, ty: TensorType) {
        self.values[v.index()].ty = ty;
    }
    #[cfg(test)]
    pub(crate) fn corrupt_outputs(&mut self) -> &mut Vec<Value> {
        &mut self.outputs
    }
}

/// Drop the user nodes held for `to_variables` newest first: each then frees at most itself, as
/// the nodes it reads are still held by older entries, so deep graphs do not recurse.
impl Drop for FunctionGraph {
    fn drop(&mut self) {
        while let Some(n) = self.nodes.pop() {
            drop(n);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Structural equality

/// Whether two graphs compute the same thing the same way: inputs of equal types and names,
/// nodes in the same topological order with equal ops, wiring and output types and names,
/// constants of equal dtype, shape and bits, the same shared cells, and equal outputs. Node ids,
/// dead nodes and locations do not matter. `parse(g.to_text())` is structurally equal to `g`.
pub fn structurally_equal(a: &FunctionGraph, b: &FunctionGraph) -> bool {
    struct M {
        ab: Vec<u32>,
        ba: Vec<u32>,
    }
    const NONE: u32 = u32::MAX;
    let mut m = M {
        ab: vec![NONE; a.values.len()],
        ba: vec![NONE; b.values.len()],
    };
    fn same_data(a: &FunctionGraph, x: Value, b: &FunctionGraph, y: Value) -> bool {
        a.ty(x) == b.ty(y) && a.name(x) == b.name(y)
    }
    // Map x to y (or check an existing mapping); new leaves must be equal leaves.
    fn pair(m: &mut M, a: &FunctionGraph, x: Value, b: &FunctionGraph, y: Value) -> bool {
        let (mx, my) = (m.ab[x.index()], m.ba[y.index()]);
        if mx != NONE || my != NONE {
            return mx == y.0 && my == x.0;
        }
        if !same_data(a, x, b, y) {
            return false;
        }
        let ok = match (a.def(x), b.def(y)) {
            (ValueDef::Constant, ValueDef::Constant) => {
                match (a.constant_value(x), b.constant_value(y)) {
                    (Some(p), Some(q)) => tensors_bit_equal(p, q),
                    _ => false,
                }
            }
            (ValueDef::Shared, ValueDef::Shared) => match (a.shared_cell(x), b.shared_cell(y)) {
                (Some(p), Some(q)) => Arc::ptr_eq(p, q),
                _ => false,
            },
            (ValueDef::Input, ValueDef::Input) => true,
            // node outputs are paired when their nodes are
            _ => false,
        };
        if ok {
            m.ab[x.index()] = y.0;
            m.ba[y.index()] = x.0;
        }
        ok
    }
    if a.inputs.len() != b.inputs.len() || a.outputs.len() != b.outputs.len() {
        return false;
    }
    for (&x, &y) in a.inputs.iter().zip(&b.inputs) {
        if !pair(&mut m, a, x, b, y) {
            return false;
        }
    }
    let (ta, tb) = (a.toposort(), b.toposort());
    if ta.len() != tb.len() {
        return false;
    }
    for (&na, &nb) in ta.iter().zip(&tb) {
        let (da, db) = (&a.nodes[na.index()], &b.nodes[nb.index()]);
        if da.op != db.op
            || da.inputs.len() != db.inputs.len()
            || da.outputs.len() != db.outputs.len()
        {
            return false;
        }
        for (&x, &y) in da.inputs.iter().zip(&db.inputs) {
            if !pair(&mut m, a, x, b, y) {
                return false;
            }
        }
        for (&x, &y) in da.outputs.iter().zip(&db.outputs) {
            if m.ab[x.index()] != NONE || m.ba[y.index()] != NONE || !same_data(a, x, b, y) {
                return false;
            }
            m.ab[x.index()] = y.0;
            m.ba[y.index()] = x.0;
        }
    }
    a.outputs
        .iter()
        .zip(&b.outputs)
        .all(|(&x, &y)| pair(&mut m, a, x, b, y))
}

/// Equal dtype, shape and elements, floats compared by bits (so NaN equals the same NaN).
pub fn tensors_bit_equal(a: &Tensor, b: &Tensor) -> bool {
    if a.shape() != b.shape() {
        return false;
    }
    match (a, b) {
        (Tensor::F64(p), Tensor::F64(q)) => {
            p.iter().zip(q).all(|(x, y)| x.to_bits() == y.to_bits())
        }
        (Tensor::F32(p), Tensor::F32(q)) => {
            p.iter().zip(q).all(|(x, y)| x.to_bits() == y.to_bits())
        }
        (Tensor::I64(p), Tensor::I64(q)) => p == q,
        (Tensor::I32(p), Tensor::I32(q)) => p == q,
        (Tensor::I16(p), Tensor::I16(q)) => p == q,
        (Tensor::I8(p), Tensor::I8(q)) => p == q,
        (Tensor::U8(p), Tensor::U8(q)) => p == q,
        (Tensor::Bool(p), Tensor::Bool(q)) => p == q,
        _ => false,
    }
}

/// Structural equality ([`structurally_equal`]).
impl PartialEq for FunctionGraph {
    fn eq(&self, other: &FunctionGraph) -> bool {
        structurally_equal(self, other)
    }
}

/// The text form ([`FunctionGraph::to_text`]).
impl fmt::Display for FunctionGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for FunctionGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}
