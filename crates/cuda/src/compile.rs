//! The compile-only GPU linker: what the CUDA backend would run for each step of a
//! [`Program`], with no device and no CUDA installed. Each step gets one of
//!
//! - PTX kernels (theano-ptx's lowerings: elementwise ops and fused composites, reductions,
//!   max-and-argmax, softmax, log-softmax and the two crossentropy ops);
//! - a cuBLAS call (Dot, Dot22, Gemm, Gemv, Ger on float32/float64);
//! - shape metadata (`Shape`, `Shape_i`: read from the host-side description of a buffer);
//! - `Alloc`: a zeroed buffer when its value is 0 (else the interpreter); `AllocEmpty`: a
//!   zeroed buffer (as on the CPU: a NanGuardMode check of it sees zeros, never stale bits);
//! - a view of its input (exec's view ops);
//! - the interpreter (every other op, or a lowering that refused these dtypes, with why).
//!
//! The choice goes through exec's cascade ([`select_lowering`]) with a marker kernel per
//! lowered step, so the in-place and destructive-tail decisions are exec's
//! [`StoragePlan`]'s, the same ones the CPU runtime and the device runtime follow. This is
//! what `dump=ptx` and `Function::dump_ptx` print on a machine without a GPU.

use std::collections::HashMap;
use std::fmt::Write;
use theano_exec::kernel::{KernelError, NativeKernel, Shape, View};
use theano_exec::{select_lowering, Lowerer, Lowering, Program, Step, StoragePlan};
use theano_ir::{Op, ScalarOp};
use theano_ptx::elemwise::{lower_elemwise, lower_elemwise_inplace, Layout};
use theano_ptx::reduce::{lower_reduce, ReduceKind, ReduceScheme};
use theano_ptx::scalar::MathOpts;
pub use theano_ptx::Target;
use theano_ptx::{module, Kernel, PtxError};
use theano_tensor::DType;

/// What the GPU backend does for one step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepCode {
    /// Launches of generated PTX kernels (indices into [`CompiledProgram::kernels`]).
    Kernels {
        what: KernelKind,
        /// The kernels a launch chooses from (for elementwise steps: the vector kernel for
        /// aligned contiguous operands, the strided kernel at the output's rank otherwise).
        kernels: Vec<usize>,
        /// The kernel overwrites this input (the storage plan allowed it).
        in_place: Option<usize>,
    },
    /// A cuBLAS routine.
    Blas { routine: &'static str },
    /// `Shape`/`Shape_i`: from the buffer's shape, on the host.
    Shape,
    /// `Alloc`: a zeroed device buffer when the fill value is 0 (the shape scalars read on
    /// the host), else the interpreter; `AllocEmpty`: a zeroed device buffer.
    Alloc,
    /// A view of input 0's storage.
    View,
    /// The reference interpreter, on host copies of the inputs.
    Interp { reason: String },
}

/// The kind of a PTX step (how its launch is planned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    Elemwise,
    Reduce {
        kind: ReduceKind,
        scheme: ReduceScheme,
    },
    Softmax {
        log: bool,
    },
    Crossentropy,
    CrossentropyDx,
}

impl StepCode {
    /// The profile's label for the step.
    pub fn label(&self) -> &'static str {
        match self {
            StepCode::Kernels { .. } => "ptx kernel",
            StepCode::Blas { .. } => "BLAS",
            StepCode::Shape => "shape",
            StepCode::Alloc => "alloc",
            StepCode::View => "view",
            StepCode::Interp { .. } => "interpreter",
        }
    }
}

/// Options of the compile-only path.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    pub math: MathOpts,
}

/// A program as the GPU backend would run it.
#[derive(Clone, Debug)]
pub struct CompiledProgram {
    /// By step: the node and what runs it.
    pub steps: Vec<(String, StepCode)>,
    /// Every distinct kernel (equal lowerings are shared between steps).
    pub kernels: Vec<Kernel>,
    /// The storage plan (run order, in place, the destructive tail, frees).
    pub plan: StoragePlan,
}

/// The marker kernel the cascade selects for a lowered step: it carries the step's output
/// dtypes, its in-place input and whether its check reads values (the crossentropy ops read
/// their labels), which is all [`select_lowering`] and [`StoragePlan`] ask. It computes
/// nothing on the host: `out_shape` is an error and `run` writes nothing, and neither the
/// compile-only path nor the device runtime calls them (the device runtime launches the
/// step's PTX or cuBLAS call on device buffers).
struct Marker {
    name: String,
    out_dtypes: Vec<DType>,
    inplace: Option<usize>,
    shape_only: bool,
}

impl NativeKernel for Marker {
    fn name(&self) -> &str {
        &self.name
    }
    fn out_dtype(&self) -> DType {
        self.out_dtypes[0]
    }
    fn out_dtype_of(&self, i: usize) -> DType {
        self.out_dtypes
            .get(i)
            .copied()
            .unwrap_or(self.out_dtypes[0])
    }
    fn n_outputs(&self) -> usize {
        self.out_dtypes.len()
    }
    fn inplace_input(&self) -> Option<usize> {
        self.inplace
    }
    fn shape_only(&self) -> bool {
        self.shape_only
    }
    fn out_shape(&self, _: &[View]) -> Result<Shape, KernelError> {
        Err(KernelError::Unsupported(format!(
            "{}: a GPU step has no host kernel",
            self.name
        )))
    }
    unsafe fn run(&self, _: &[View], _: &View) {}
}

/// How a step lowers before the storage plan is known (in place is decided after).
enum Planned {
    Elemwise(ScalarOp),
    Reduce {
        kind: ReduceKind,
        dtype: DType,
        outer: usize,
        red: usize,
        scheme: ReduceScheme,
    },
    Softmax {
        dtype: DType,
        log: bool,
    },
    Crossentropy(DType, DType, DType),
    CrossentropyDx(DType, DType, DType),
    Blas(&'static str),
    Shape,
    Alloc,
}

/// The cuBLAS routine of a BLAS step, when its dtypes are float32 or float64 throughout.
pub fn blas_routine(step: &Step) -> Option<&'static str> {
    let d = step.out_types.first()?.dtype;
    let float = |x: DType| x == DType::Float32 || x == DType::Float64;
    if !float(d) {
        return None;
    }
    // every float operand of the product has the output's dtype (scalars alpha/beta included)
    if !step.input_types.iter().all(|t| t.dtype == d) {
        return None;
    }
    let s = d == DType::Float32;
    let nd: Vec<usize> = step.input_types.iter().map(|t| t.ndim()).collect();
    Some(match (&step.op, nd.as_slice()) {
        (Op::Dot, [1, 1]) => {
            if s {
                "cublasSdot"
            } else {
                "cublasDdot"
            }
        }
        (Op::Dot, [2, 1]) | (Op::Dot, [1, 2]) | (Op::Gemv { .. }, _) => {
            if s {
                "cublasSgemv"
            } else {
                "cublasDgemv"
            }
        }
        (Op::Dot, [2, 2]) | (Op::Dot22, _) | (Op::Gemm { .. }, _) => {
            if s {
                "cublasSgemm"
            } else {
                "cublasDgemm"
            }
        }
        (Op::Ger { .. }, _) => {
            if s {
                "cublasSger"
            } else {
                "cublasDger"
            }
        }
        _ => return None,
    })
}

/// The lowering a step would get, with the marker the cascade is offered, or why none.
fn plan_step(step: &Step) -> Result<(Planned, Marker), String> {
    let marker = |out_dtypes: Vec<DType>, inplace: Option<usize>, shape_only: bool| Marker {
        name: step.node.clone(),
        out_dtypes,
        inplace,
        shape_only,
    };
    let out_dts: Vec<DType> = step.out_types.iter().map(|t| t.dtype).collect();
    let in_dts: Vec<DType> = step.input_types.iter().map(|t| t.dtype).collect();
    let all = |s: &Step| s.out_types.first().map(|t| t.ndim());
    match &step.op {
        Op::Elemwise { scalar, inplace } if step.outputs.len() == 1 => {
            let out = scalar.out_dtype(&in_dts).map_err(|e| e.to_string())?;
            if integer_pow(scalar, &in_dts) {
                // numpy (and the interpreter) refuse a negative integer exponent, a check
                // of values a kernel cannot report
                return Err("an integer ** checks its exponents' signs (the interpreter)".into());
            }
            Ok((
                Planned::Elemwise(scalar.clone()),
                marker(vec![out], *inplace, true),
            ))
        }
        Op::Reduce { kind, axes, dtype } => {
            let nd = step.input_types[0].ndim();
            if dtype.is_some_and(|d| d != kind.out_dtype(in_dts[0])) {
                return Err(format!(
                    "no kernel for {} with dtype={:?}",
                    kind.name(),
                    dtype
                ));
            }
            let axes: Vec<usize> = match axes {
                Some(a) => a.clone(),
                None => (0..nd).collect(),
            };
            reduce_plan((*kind).into(), in_dts[0], nd, &axes, &marker)
        }
        Op::MaxAndArgmax { axes } => {
            let nd = step.input_types[0].ndim();
            reduce_plan(ReduceKind::MaxAndArgmax, in_dts[0], nd, axes, &marker)
        }
        Op::Softmax | Op::LogSoftmax => {
            if step.input_types[0].ndim() > 2 {
                return Err("softmax kernels take vectors and matrices".into());
            }
            Ok((
                Planned::Softmax {
                    dtype: in_dts[0],
                    log: matches!(step.op, Op::LogSoftmax),
                },
                marker(out_dts, None, true),
            ))
        }
        Op::CrossentropySoftmaxArgmax1HotWithBias => {
            if step.input_types[0].ndim() != 2 {
                return Err("the crossentropy kernel takes a matrix of logits".into());
            }
            Ok((
                Planned::Crossentropy(in_dts[0], in_dts[1], in_dts[2]),
                // the launch checks the labels first (values, not shapes)
                marker(out_dts, None, false),
            ))
        }
        Op::CrossentropySoftmax1HotWithBiasDx => Ok((
            Planned::CrossentropyDx(in_dts[0], in_dts[1], in_dts[2]),
            marker(out_dts, None, false),
        )),
        Op::Dot | Op::Dot22 | Op::Gemm { .. } | Op::Gemv { .. } | Op::Ger { .. } => {
            let r = blas_routine(step).ok_or_else(|| {
                format!(
                    "cuBLAS takes float32 or float64 operands of one dtype ({})",
                    in_dts
                        .iter()
                        .map(|d| d.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            Ok((
                Planned::Blas(r),
                marker(out_dts, step.op.destroyed_input(), true),
            ))
        }
        Op::Shape | Op::ShapeI(_) if all(step).is_some() => {
            Ok((Planned::Shape, marker(out_dts, None, true)))
        }
        // the shape scalars are values the step reads
        Op::Alloc | Op::AllocEmpty { .. } if out_dts.len() == 1 => {
            Ok((Planned::Alloc, marker(out_dts, None, false)))
        }
        op => Err(format!("no GPU lowering for {}", op.class_name())),
    }
}

/// Whether the scalar program computes a `**` in an integer dtype.
fn integer_pow(op: &ScalarOp, ins: &[DType]) -> bool {
    match op {
        ScalarOp::Pow => !matches!(op.out_dtype(ins), Ok(d) if d.is_float()),
        ScalarOp::Composite(c) => {
            let Ok(flat) = c.flattened() else {
                return true;
            };
            let Ok(dts) = flat.dtypes(ins) else {
                return true;
            };
            flat.instrs()
                .iter()
                .zip(&dts)
                .any(|(i, d)| i.op == ScalarOp::Pow && !d.is_float())
        }
        _ => false,
    }
}

fn reduce_plan(
    kind: ReduceKind,
    dtype: DType,
    nd: usize,
    axes: &[usize],
    marker: &dyn Fn(Vec<DType>, Option<usize>, bool) -> Marker,
) -> Result<(Planned, Marker), String> {
    if axes.iter().any(|&a| a >= nd) {
        return Err(format!("axes {axes:?} of a rank-{nd} input"));
    }
    let red = axes.len();
    // row kernels when the reduced axes are the innermost ones (one block per output reads
    // a contiguous run), column kernels otherwise (one thread per output, coalesced across
    // outputs)
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    let innermost = sorted.iter().enumerate().all(|(k, &a)| a == nd - red + k);
    let scheme = if innermost || red == nd {
        ReduceScheme::Row
    } else {
        ReduceScheme::Column
    };
    let mut outs = vec![kind.out_dtype(dtype)];
    if kind == ReduceKind::MaxAndArgmax {
        outs.push(DType::Int64);
    }
    Ok((
        Planned::Reduce {
            kind,
            dtype,
            outer: nd - red,
            red,
            scheme,
        },
        marker(outs, None, true),
    ))
}

/// Kernels shared between steps: one per distinct lowering.
#[derive(Default)]
struct Module {
    kernels: Vec<Kernel>,
    by_key: HashMap<String, usize>,
}

impl Module {
    fn add(
        &mut self,
        key: String,
        make: impl FnOnce(&str) -> Result<Kernel, PtxError>,
    ) -> Result<usize, PtxError> {
        if let Some(&k) = self.by_key.get(&key) {
            return Ok(k);
        }
        let name = format!("k{}", self.kernels.len());
        let k = make(&name)?;
        self.kernels.push(k);
        self.by_key.insert(key, self.kernels.len() - 1);
        Ok(self.kernels.len() - 1)
    }
}

/// Lower every step of `program` as the GPU backend would, with no device.
pub fn compile_program(program: &Program, opts: &CompileOptions) -> CompiledProgram {
    let planned: Vec<Result<(Planned, Marker), String>> =
        program.steps.iter().map(plan_step).collect();
    let offered = std::cell::RefCell::new(
        planned
            .iter()
            .map(|p| p.as_ref().ok().map(|(_, m)| m))
            .map(|m| {
                m.map(|m| Marker {
                    name: m.name.clone(),
                    out_dtypes: m.out_dtypes.clone(),
                    inplace: m.inplace,
                    shape_only: m.shape_only,
                })
            })
            .collect::<Vec<_>>(),
    );
    let offer = |i: usize, _: &Step| -> Option<Box<dyn NativeKernel>> {
        offered.borrow_mut()[i]
            .take()
            .map(|m| Box::new(m) as Box<dyn NativeKernel>)
    };
    let lowerers: [Lowerer<'_>; 1] = [&offer];
    let lowerings: Vec<Lowering> = program
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| select_lowering(i, s, &lowerers))
        .collect();
    // On the GPU a shared variable's argument is its device copy, resident between calls and
    // possibly held by other functions: no step overwrites it (a failed call must leave it
    // as it was). A step that would write over an update target writes a fresh buffer
    // instead (from the memory pool; an accumulating BLAS step into a copy of its input).
    let plan = StoragePlan::keeping_args(program, &lowerings);
    let mut m = Module::default();
    let mut steps = Vec::with_capacity(program.steps.len());
    for (i, (step, low)) in program.steps.iter().zip(&lowerings).enumerate() {
        let code = match low {
            Lowering::View(_) => StepCode::View,
            Lowering::Interp => StepCode::Interp {
                reason: match &planned[i] {
                    Err(e) => e.clone(),
                    Ok(_) => {
                        "the GPU kernel's output dtypes differ from the node's (interpreter)".into()
                    }
                },
            },
            Lowering::Kernel(_) => {
                let (p, _) = planned[i].as_ref().expect("a kernel was offered");
                let in_place = plan.destroy_ok[i]
                    .then(|| step.op.destroyed_input())
                    .flatten();
                match lower_step(&mut m, step, p, in_place, opts) {
                    Ok(code) => code,
                    Err(e) => StepCode::Interp {
                        reason: e.to_string(),
                    },
                }
            }
        };
        steps.push((step.node.clone(), code));
    }
    CompiledProgram {
        steps,
        kernels: m.kernels,
        plan,
    }
}

fn dts_key(d: &[DType]) -> String {
    d.iter().map(|d| d.name()).collect::<Vec<_>>().join(",")
}

fn lower_step(
    m: &mut Module,
    step: &Step,
    p: &Planned,
    in_place: Option<usize>,
    opts: &CompileOptions,
) -> Result<StepCode, PtxError> {
    let in_dts: Vec<DType> = step.input_types.iter().map(|t| t.dtype).collect();
    Ok(match p {
        Planned::Elemwise(scalar) => {
            let out = step.out_types[0].dtype;
            let nd = step.out_types[0].ndim();
            let fm = opts.math.fast_math;
            let mut ks = Vec::new();
            for (layout, rank) in [(Layout::Vector, 1), (Layout::Strided, nd)] {
                let key = format!(
                    "ew|{scalar}|{}|{out}|{layout:?}|{rank}|{in_place:?}|{fm}",
                    dts_key(&in_dts)
                );
                ks.push(m.add(key, |name| {
                    Ok(match in_place {
                        Some(ip) => lower_elemwise_inplace(
                            name, scalar, &in_dts, out, rank, layout, opts.math, ip,
                        )?,
                        None => {
                            lower_elemwise(name, scalar, &in_dts, out, rank, layout, opts.math)?
                        }
                    }
                    .kernel)
                })?);
            }
            StepCode::Kernels {
                what: KernelKind::Elemwise,
                kernels: ks,
                in_place,
            }
        }
        Planned::Reduce {
            kind,
            dtype,
            outer,
            red,
            scheme,
        } => {
            let key = format!("red|{kind:?}|{dtype}|{outer}|{red}|{scheme:?}");
            let k = m.add(key, |name| {
                Ok(lower_reduce(name, *kind, *dtype, *outer, *red, *scheme)?.kernel)
            })?;
            StepCode::Kernels {
                what: KernelKind::Reduce {
                    kind: *kind,
                    scheme: *scheme,
                },
                kernels: vec![k],
                in_place: None,
            }
        }
        Planned::Softmax { dtype, log } => {
            let k = m.add(format!("sm|{dtype}|{log}"), |name| {
                theano_ptx::softmax::lower_softmax(name, *dtype, *log)
            })?;
            StepCode::Kernels {
                what: KernelKind::Softmax { log: *log },
                kernels: vec![k],
                in_place: None,
            }
        }
        Planned::Crossentropy(x, b, y) => {
            let k = m.add(format!("xent|{x}|{b}|{y}"), |name| {
                theano_ptx::softmax::lower_crossentropy(name, *x, *b, *y)
            })?;
            StepCode::Kernels {
                what: KernelKind::Crossentropy,
                kernels: vec![k],
                in_place: None,
            }
        }
        Planned::CrossentropyDx(d, s, y) => {
            let k = m.add(format!("xentdx|{d}|{s}|{y}"), |name| {
                theano_ptx::softmax::lower_crossentropy_dx(name, *d, *s, *y)
            })?;
            StepCode::Kernels {
                what: KernelKind::CrossentropyDx,
                kernels: vec![k],
                in_place: None,
            }
        }
        Planned::Blas(r) => StepCode::Blas { routine: r },
        Planned::Shape => StepCode::Shape,
        Planned::Alloc => StepCode::Alloc,
    })
}

impl CompiledProgram {
    /// The profile's label of each step.
    pub fn labels(&self) -> Vec<&'static str> {
        self.steps.iter().map(|(_, c)| c.label()).collect()
    }

    /// How many steps run each way: (PTX kernels, cuBLAS, alloc, shape, view, interpreter).
    pub fn counts(&self) -> [usize; 6] {
        let mut c = [0; 6];
        for (_, s) in &self.steps {
            c[match s {
                StepCode::Kernels { .. } => 0,
                StepCode::Blas { .. } => 1,
                StepCode::Alloc => 2,
                StepCode::Shape => 3,
                StepCode::View => 4,
                StepCode::Interp { .. } => 5,
            }] += 1;
        }
        c
    }

    /// One line per step in run order: the node and what runs it (PTX comments).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let [k, b, a, sh, v, i] = self.counts();
        let _ = writeln!(
            s,
            "// {} steps: {k} PTX, {b} cuBLAS, {a} alloc, {sh} shape, {v} view, {i} interpreter; \
             {} kernels",
            self.steps.len(),
            self.kernels.len()
        );
        for (pos, &i) in self.plan.order.iter().enumerate() {
            let (node, code) = &self.steps[i];
            let tail = if pos >= self.plan.tail { " (tail)" } else { "" };
            let what = match code {
                StepCode::Kernels {
                    kernels, in_place, ..
                } => {
                    let names: Vec<&str> = kernels
                        .iter()
                        .map(|&k| self.kernels[k].name.as_str())
                        .collect();
                    let ip = in_place
                        .map(|j| format!(", in place over input {j}"))
                        .unwrap_or_default();
                    format!("ptx {}{ip}", names.join(" | "))
                }
                StepCode::Blas { routine } => (*routine).to_string(),
                StepCode::Shape => "shape (host)".into(),
                StepCode::Alloc => "alloc (zeroed when the value is 0)".into(),
                StepCode::View => "view".into(),
                StepCode::Interp { reason } => format!("interpreter: {reason}"),
            };
            // one comment line each, whatever the user named things
            let line = format!("step {i}{tail}: {node} -> {what}").replace(['\n', '\r', '\0'], " ");
            let _ = writeln!(s, "// {line}");
        }
        s
    }

    /// The PTX module (every kernel) for `target`, after the summary as comments.
    pub fn ptx(&self, target: &Target) -> String {
        let refs: Vec<&Kernel> = self.kernels.iter().collect();
        let mut s = self.summary();
        s.push_str(&module(&refs, target));
        s
    }
}
