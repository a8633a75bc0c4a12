//! What the emulator tests share: input generators, the interpreter's side, comparison in
//! ulp with a rounding-sensitivity probe.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use theano_interp::perform;
use theano_ir::{Composite, Instr, Op, Operand, ScalarOp};
use theano_ptx::elemwise::{lower_elemwise, vector_width, Layout};
use theano_ptx::emu::Dims;
use theano_ptx::launch::{plan_elemwise, run_elemwise, HostArray};
use theano_ptx::scalar::MathOpts;
use theano_ptx::PtxError;
use theano_tensor::ndarray::IxDyn;
use theano_tensor::{DType, Tensor};

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Interesting float values: specials and boundaries.
pub const SPECIALS: [f64; 14] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    1e-310,
    700.0,
    -750.0,
    1e20,
];

/// `n` values of dtype `d` as f64 (ints in a range that keeps most ops meaningful).
pub fn values(r: &mut StdRng, d: DType, n: usize, specials: bool) -> Vec<f64> {
    (0..n)
        .map(|_| match d {
            DType::Bool => r.random_range(0..2) as f64,
            DType::UInt8 => r.random_range(0..256) as f64,
            DType::Int8 => r.random_range(-128..128) as f64,
            DType::Int16 => {
                if r.random_bool(0.5) {
                    r.random_range(-40..40) as f64
                } else {
                    r.random_range(-32768..32768) as f64
                }
            }
            DType::UInt16 => r.random_range(0..65536) as f64,
            // small values and ones near the top of the range (where wrapping shows), all
            // exact in f64
            DType::UInt32 | DType::UInt64 => {
                let top = if d == DType::UInt32 {
                    2f64.powi(32)
                } else {
                    2f64.powi(64)
                };
                match r.random_range(0..3) {
                    0 => r.random_range(0..40) as f64,
                    1 => {
                        top - 2f64.powi(if d == DType::UInt32 { 0 } else { 11 })
                            * r.random_range(1..40) as f64
                    }
                    _ => r.random_range(0..2_000_000_000i64) as f64,
                }
            }
            DType::Int32 | DType::Int64 => {
                if r.random_bool(0.6) {
                    r.random_range(-40..40) as f64
                } else {
                    r.random_range(-2_000_000_000i64..2_000_000_000) as f64
                }
            }
            _ => {
                if specials && r.random_bool(0.12) {
                    SPECIALS[r.random_range(0..SPECIALS.len())]
                } else {
                    let m: f64 = r.random_range(-4.0..4.0);
                    if r.random_bool(0.1) {
                        m * 100.0
                    } else {
                        m
                    }
                }
            }
        })
        .collect()
}

pub fn tensor(r: &mut StdRng, d: DType, shape: &[usize], specials: bool) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f64_vec(d, shape, values(r, d, n, specials)).expect("length matches")
}

/// A host array holding `t`'s values in one of several layouts: C order, transposed
/// storage, a reversed axis, or every other element of a larger buffer.
pub fn layout_variant(t: &Tensor, variant: usize) -> HostArray {
    let nd = t.ndim();
    match variant % 4 {
        1 if nd >= 2 => {
            // storage in reversed axis order, viewed back
            let perm: Vec<usize> = (0..nd).rev().collect();
            let tt = permute(t, &perm);
            HostArray::from_tensor(&tt).permuted(&perm)
        }
        2 if nd >= 1 => {
            let rev = reverse(t, 0);
            HostArray::from_tensor(&rev).reversed(0)
        }
        3 if nd >= 1 => {
            // doubled along the last axis, then stepped
            let a = t.to_array::<f64>();
            let mut shape = t.shape().to_vec();
            shape[nd - 1] *= 2;
            let mut v = Vec::new();
            for x in a.iter() {
                v.push(*x);
                v.push(-7.0);
            }
            let big = Tensor::from_f64_vec(t.dtype(), &shape, v).expect("length");
            // exact for every dtype: values went through f64 and back (the 64-bit integers
            // through int64, which holds uint64's bits)
            let big = if matches!(t.dtype(), DType::Int64 | DType::UInt64) {
                interleave_i64(t).cast(t.dtype())
            } else {
                big
            };
            HostArray::from_tensor(&big).stepped(nd - 1, 2)
        }
        _ => HostArray::from_tensor(t),
    }
}

fn interleave_i64(t: &Tensor) -> Tensor {
    let a = t.to_array::<i64>();
    let mut shape = t.shape().to_vec();
    let nd = shape.len();
    shape[nd - 1] *= 2;
    let mut v = Vec::new();
    for x in a.iter() {
        v.push(*x);
        v.push(-7);
    }
    Tensor::from_array(
        theano_tensor::ndarray::ArrayD::from_shape_vec(IxDyn(&shape), v).expect("len"),
    )
}

pub fn permute(t: &Tensor, perm: &[usize]) -> Tensor {
    theano_tensor::with_dtype!(t.dtype(), T => {
        let a = t.to_array::<T>().permuted_axes(IxDyn(perm));
        Tensor::from_array(a.as_standard_layout().to_owned())
    })
}

pub fn reverse(t: &Tensor, axis: usize) -> Tensor {
    theano_tensor::with_dtype!(t.dtype(), T => {
        let mut a = t.to_array::<T>();
        a.invert_axis(theano_tensor::ndarray::Axis(axis));
        Tensor::from_array(a.as_standard_layout().to_owned())
    })
}

/// The spacing of floats at |x| in dtype `d`.
pub fn ulp(x: f64, d: DType) -> f64 {
    let x = x.abs();
    if d == DType::Float32 {
        let f = (x as f32).max(f32::MIN_POSITIVE);
        let n = f32::from_bits(f.to_bits() + 1);
        (n - f) as f64
    } else {
        let f = x.max(f64::MIN_POSITIVE);
        f64::from_bits(f.to_bits() + 1) - f
    }
}

/// The interpreter's evaluation of `op` over `ins`, with every rounding-sensitive
/// instruction's output multiplied by `1 + nudge` (in its own dtype's epsilons; with
/// `alternate`, the sign of the nudge alternates from one such instruction to the next, so
/// nudges of chained instructions cannot cancel), and per element the largest finite
/// magnitude any instruction produced (the scale of the rounding). A float32 instruction in
/// a float64 result counts with its magnitude times 2^29 (the ratio of the epsilons), so the
/// bound in float64 ulp of the scale covers that instruction's own float32 roundings (`exp`
/// of a float32 near 1 is a few float32 ulp, which an f64 addition then carries).
pub fn interp_probe(
    op: &ScalarOp,
    ins: &[Tensor],
    nudge: f64,
    alternate: bool,
) -> Result<(Tensor, Vec<f64>), String> {
    let mut nudge = nudge;
    let c = match op {
        ScalarOp::Composite(c) => (**c).clone(),
        op => Composite::of_op(op.clone(), ins.len()).map_err(|e| e.to_string())?,
    };
    let refs: Vec<&Tensor> = ins.iter().collect();
    let full = perform(&Op::elemwise(op.clone()), &refs, &[]).map_err(|e| e.to_string())?;
    let out = &full[0];
    let shape = out.shape().to_vec();
    let n: usize = shape.iter().product();
    let mut scale = vec![0.0f64; n];
    let mut temps: Vec<Tensor> = Vec::new();
    let out_dtype = out.dtype();
    let fold = |t: &Tensor, scale: &mut Vec<f64>, computed: bool| {
        if !t.dtype().is_float() {
            return;
        }
        let k = if computed && t.dtype() == DType::Float32 && out_dtype == DType::Float64 {
            2f64.powi(29)
        } else {
            1.0
        };
        let a = t.to_array::<f64>();
        if let Some(b) = a.broadcast(IxDyn(&shape)) {
            for (s, v) in scale.iter_mut().zip(b.iter()) {
                if v.is_finite() && (v.abs() * k) > *s {
                    *s = v.abs() * k;
                }
            }
        }
    };
    for t in ins {
        fold(t, &mut scale, false);
    }
    for ins_k in c.instrs() {
        let args: Vec<&Tensor> = ins_k
            .args
            .iter()
            .map(|a| match *a {
                Operand::Input(i) => &ins[i],
                Operand::Temp(t) => &temps[t],
            })
            .collect();
        let mut r = perform(&Op::elemwise(ins_k.op.clone()), &args, &[])
            .map_err(|e| e.to_string())?
            .remove(0);
        use ScalarOp::*;
        // an exact (in)equality of floats within 4 ulp of each other is rounding-sensitive
        // too, and no nudge makes unequal values equal: the probes flip it
        if nudge != 0.0 && matches!(ins_k.op, Eq | Neq) {
            let cd = DType::promote(args[0].dtype(), args[1].dtype());
            if cd.is_float() {
                let rs = IxDyn(r.shape());
                let a = args[0].to_array::<f64>();
                let b = args[1].to_array::<f64>();
                if let (Some(a), Some(b)) = (a.broadcast(rs.clone()), b.broadcast(rs.clone())) {
                    let v = r.to_array::<bool>();
                    let flipped: Vec<bool> = v
                        .iter()
                        .zip(a.iter().zip(b.iter()))
                        .map(|(x, (p, q))| {
                            let near = p.is_finite()
                                && q.is_finite()
                                && (p - q).abs() <= 4.0 * ulp(p.abs().max(q.abs()), cd);
                            *x != near
                        })
                        .collect();
                    r = Tensor::from_array(
                        theano_tensor::ndarray::ArrayD::from_shape_vec(rs, flipped)
                            .map_err(|e| e.to_string())?,
                    );
                }
            }
        }
        if nudge != 0.0
            && r.dtype().is_float()
            && matches!(
                ins_k.op,
                Exp | Log
                    | Log1p
                    | Expm1
                    | Tanh
                    | Sigmoid
                    | Softplus
                    | Pow
                    | TrueDiv
                    | Sqrt
                    | Inv
                    | Softsign
                    | Exp2
                    | Log2
                    | Log10
                    | Sin
                    | Cos
                    | Tan
                    | Sinh
                    | Cosh
                    | ArcTan
                    | ArcTan2
                    | ArcSin
                    | ArcCos
                    | ArcSinh
                    | ArcCosh
                    | ArcTanh
                    | Erf
                    | Erfc
                    | Erfinv
                    | Erfcinv
                    | TriGamma
                    | Psi
                    | GammaLn
            )
        {
            let eps = if r.dtype() == DType::Float32 {
                f32::EPSILON as f64
            } else {
                f64::EPSILON
            };
            let f = 1.0 + nudge * eps;
            if alternate {
                nudge = -nudge;
            }
            r = theano_tensor::with_dtype!(r.dtype(), T => {
                let a = r.to_array::<f64>().mapv(|v| v * f);
                Tensor::from_array(a.mapv(<T as theano_tensor::Element>::from_f64))
            });
        }
        fold(&r, &mut scale, true);
        temps.push(r);
    }
    if nudge == 0.0 {
        return Ok((full[0].clone(), scale));
    }
    // the nudged result: the last temporary, in the output's dtype and shape
    let last = temps.pop().ok_or("empty composite")?.cast(out.dtype());
    let v = last.to_array::<f64>();
    let b = v
        .broadcast(IxDyn(&shape))
        .ok_or("temporary does not broadcast")?
        .to_owned();
    let t = Tensor::from_f64_vec(out.dtype(), &shape, b.iter().copied().collect())
        .map_err(|e| e.to_string())?;
    Ok((t, scale))
}

/// Outcome of comparing one kernel.
#[derive(Default, Debug)]
pub struct Cmp {
    pub elements: usize,
    /// elements skipped because a few-ulp nudge of the reference moves them past the bound
    pub sensitive: usize,
    pub worst_ulp: f64,
}

/// Compare `got` with the interpreter on `op`/`ins`: integers and bools exactly, floats
/// within `tol_ulp` ulp of the element's scale. An element that differs is skipped as
/// rounding-sensitive (and counted) only when one of six nudged references (every
/// rounding-sensitive instruction's output moved by 4 epsilons: all up, all down, alternating
/// both ways; and by 3 epsilons up and down) moves past twice the bound (for integers and bools: changes at all): the
/// reference itself is then as uncertain as the difference.
pub fn compare(op: &ScalarOp, ins: &[Tensor], got: &Tensor, tol_ulp: f64) -> Result<Cmp, String> {
    let (want, scale) = interp_probe(op, ins, 0.0, false)?;
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return Err(format!(
            "dtype/shape: got {} {:?}, want {} {:?}",
            got.dtype(),
            got.shape(),
            want.dtype(),
            want.shape()
        ));
    }
    let mut c = Cmp {
        elements: want.len(),
        ..Cmp::default()
    };
    let float = want.dtype().is_float();
    let (g, w) = if float {
        (got.to_f64_vec(), want.to_f64_vec())
    } else {
        let f = |t: &Tensor| {
            t.to_i64_vec()
                .into_iter()
                .map(|v| v as f64)
                .collect::<Vec<f64>>()
        };
        (f(got), f(&want))
    };
    let mut probes: Option<Vec<Vec<f64>>> = None;
    for i in 0..w.len() {
        let (a, b) = (g[i], w[i]);
        if (a.is_nan() && b.is_nan()) || a == b {
            continue;
        }
        let bound = if float {
            tol_ulp * ulp(scale[i].max(b.abs()), want.dtype())
        } else {
            0.0
        };
        let err = (a - b).abs();
        if err <= bound {
            c.worst_ulp = c.worst_ulp.max(err / ulp(b, want.dtype()));
            continue;
        }
        if probes.is_none() {
            let mut ps = Vec::new();
            // 4 epsilons, and 3: a 4-epsilon nudge of a large value can move it by an exact
            // multiple of 256 (4 ulp of 2^30 in f32), which a following int8 cast cannot see
            for (n, alt) in [
                (4.0, false),
                (-4.0, false),
                (4.0, true),
                (-4.0, true),
                (3.0, false),
                (-3.0, false),
            ] {
                let t = interp_probe(op, ins, n, alt)?.0;
                ps.push(if float {
                    t.to_f64_vec()
                } else {
                    t.to_i64_vec().into_iter().map(|v| v as f64).collect()
                });
            }
            probes = Some(ps);
        }
        let ps = probes.as_ref().expect("set above");
        let moved = |p: f64| !((p.is_nan() && b.is_nan()) || (p - b).abs() <= 2.0 * bound);
        if ps.iter().any(|p| moved(p[i])) {
            c.sensitive += 1;
            continue;
        }
        return Err(format!(
            "element {i}: got {a:e}, want {b:e} (error {:.1} ulp of the scale {:e}, bound {tol_ulp}; nudged references {:?})\n ins {:?}",
            err / ulp(scale[i].max(b.abs()), want.dtype()),
            scale[i],
            ps.iter().map(|p| p[i]).collect::<Vec<_>>(),
            ins
        ));
    }
    Ok(c)
}

/// Lower `op` for these inputs with the launcher's plan (collapsed rank, layout; `force`
/// asks for another layout where the plan allows it: `Strided` always, the contiguous
/// layouts only for contiguous operands), run it on the emulator, return the output.
pub fn run_op(
    op: &ScalarOp,
    arrays: &[HostArray],
    force: Option<Layout>,
    dims: Dims,
) -> Result<Tensor, PtxError> {
    let dts: Vec<DType> = arrays.iter().map(|a| a.dtype).collect();
    let out = op
        .out_dtype(&dts)
        .map_err(|e| PtxError::Invalid(e.to_string()))?;
    let refs: Vec<&HostArray> = arrays.iter().collect();
    let mut all = dts.clone();
    all.push(out);
    let plan =
        plan_elemwise(&refs, vector_width(&all)).unwrap_or_else(|e| panic!("{op}: plan: {e}"));
    let layout = match force {
        Some(l) if l.is_strided() => l,
        Some(l) if !plan.layout.is_strided() => l,
        _ => plan.layout,
    };
    let run = |layout: Layout| -> Result<HostArray, PtxError> {
        let k = lower_elemwise(
            "k",
            op,
            &dts,
            out,
            plan.shape.len(),
            layout,
            MathOpts::default(),
        )?;
        Ok(run_elemwise(&k, &refs, dims).unwrap_or_else(|e| panic!("{op}: emulator: {e}")))
    };
    let r = run(layout)?;
    // where the plan chose 32-bit indices, the 64-bit kernel runs too and must write the
    // same bits (both index widths are exact here)
    if layout == Layout::Strided32 && force.is_none() {
        let wide = run(Layout::Strided)?;
        assert_eq!(
            r.data, wide.data,
            "{op}: the 32- and 64-bit-index strided kernels disagree"
        );
    }
    Ok(r.to_tensor())
}

/// The float tolerance of fused kernels: ulp of the element's scale (f32 and f64 alike;
/// docs/GPU.md's per-function bounds are at most 3 ulp).
pub const TOL_ULP: f64 = 4.0;

pub fn random_shape(r: &mut StdRng, ndim: usize) -> Vec<usize> {
    (0..ndim).map(|_| r.random_range(1..6)).collect()
}

/// `shape` with some dimensions set to 1 (numpy broadcasting), or leading ones dropped.
pub fn broadcast_of(r: &mut StdRng, shape: &[usize]) -> Vec<usize> {
    let mut s: Vec<usize> = shape
        .iter()
        .map(|&d| if r.random_bool(0.3) { 1 } else { d })
        .collect();
    if !s.is_empty() && r.random_bool(0.3) {
        s.remove(0);
    }
    s
}

/// A random composite over `n_in` inputs of the given dtypes.
pub fn random_composite(r: &mut rand::rngs::StdRng, dts: &[DType]) -> Option<ScalarOp> {
    let n_in = dts.len();
    let n_instr = r.random_range(1..9);
    let mut instrs: Vec<Instr> = Vec::new();
    let mut types: Vec<DType> = Vec::new();
    let pool: Vec<ScalarOp> = ScalarOp::ALL.into_iter().collect();
    for k in 0..n_instr {
        let op = pool[r.random_range(0..pool.len())].clone();
        let arity = if op.is_variadic() {
            r.random_range(2..4)
        } else {
            op.arity()
        };
        let mut args = Vec::new();
        let mut adts = Vec::new();
        for j in 0..arity {
            // the last instruction's operands favour earlier temporaries so every input is used
            let a = if k > 0 && (j == 0 || r.random_bool(0.5)) {
                Operand::Temp(r.random_range(0..k))
            } else {
                Operand::Input(r.random_range(0..n_in))
            };
            adts.push(match a {
                Operand::Input(i) => dts[i],
                Operand::Temp(t) => types[t],
            });
            args.push(a);
        }
        let out = op.out_dtype(&adts).ok()?;
        types.push(out);
        instrs.push(Instr { op, args });
    }
    // make every input reach the output: add them in at the end
    let mut last = Operand::Temp(instrs.len() - 1);
    let mut last_t = *types.last()?;
    for (i, di) in dts.iter().enumerate() {
        let op = if last_t == DType::Bool || *di == DType::Bool {
            ScalarOp::Maximum
        } else {
            ScalarOp::Add
        };
        let t = op.out_dtype(&[last_t, *di]).ok()?;
        instrs.push(Instr {
            op,
            args: vec![last, Operand::Input(i)],
        });
        last = Operand::Temp(instrs.len() - 1);
        last_t = t;
    }
    Composite::new(n_in, instrs).ok().map(ScalarOp::composite)
}
