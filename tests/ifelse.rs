//! Theano's `ifelse` (`IfElse`, printed `if{}`): values on every linker (interpreter, JIT,
//! the emulated GPU), laziness (the branch the condition does not pick is not computed:
//! an index out of bounds there is no error, where `switch` computes both), nested and
//! multi-value forms, gradients (verify_grad on each branch), R-ops, shapes, printing as
//! Theano 1.0.5 prints it, and the errors of its builder.

mod common;

use common::{eval_compiled as eval, run_every_linker};
use theano::tensor as T;
use theano::{compile, debugprint, grad, pp, DType, LinkerKind, Mode, Tensor, Variable};
use theano_grad::{rop, verify_grad, VerifyGradOptions};
use theano_ir::Idx;

fn mode(linker: LinkerKind) -> Mode {
    Mode {
        linker,
        ..Mode::default()
    }
}

fn mat(rows: usize, cols: usize, start: f64) -> Tensor {
    Tensor::from_shape_vec(
        &[rows, cols],
        (0..rows * cols).map(|i| start + i as f64 * 0.5).collect(),
    )
    .unwrap()
}

fn mean(t: &Tensor) -> f64 {
    let v = t.to_f64_vec();
    v.iter().sum::<f64>() / v.len() as f64
}

/// The tutorial's example: `ifelse(a < b, mean(x), mean(y))`, either way, on every linker.
#[test]
fn picks_the_branch_on_every_linker() {
    let (a, b) = (T::dscalar("a"), T::dscalar("b"));
    let (x, y) = (T::dmatrix("x"), T::dmatrix("y"));
    let z = T::ifelse(
        T::lt(&a, &b),
        T::mean(&x, None, false).unwrap(),
        T::mean(&y, None, false).unwrap(),
    )
    .unwrap();
    let (xv, yv) = (mat(3, 4, 1.0), mat(5, 2, -7.0));
    for (av, bv, want) in [(1.0, 2.0, mean(&xv)), (2.0, 1.0, mean(&yv))] {
        let args = [
            Tensor::scalar(av),
            Tensor::scalar(bv),
            xv.clone(),
            yv.clone(),
        ];
        for outs in run_every_linker(&[&a, &b, &x, &y], std::slice::from_ref(&z), &args) {
            assert_eq!(outs[0].to_f64_vec(), vec![want]);
        }
    }
}

/// The branch not taken is not computed: its index out of bounds is no error (it is with
/// `switch`, which computes both); the taken one's error is reported, naming the node.
#[test]
fn the_other_branch_is_not_computed() {
    let (c, i) = (T::lscalar("c"), T::lscalar("i"));
    let x = T::dvector("x");
    let picked = x.get(&[Idx::Int(i.clone())]).unwrap();
    let heavy = T::sum(T::exp(&x) * 2.0);
    let z = T::ifelse(&c, T::exp(&picked) + 1.0, heavy).unwrap();
    let xv = Tensor::from(vec![0.5, 1.0, 2.0]);
    for linker in [LinkerKind::Interp, LinkerKind::Jit] {
        let f = compile(&[&c, &i, &x], &z)
            .mode(mode(linker))
            .build()
            .unwrap();
        // c = 0: x[7] is never read
        let out = f
            .call(&[Tensor::scalar(0i64), Tensor::scalar(7i64), xv.clone()])
            .unwrap();
        let want: f64 = xv.to_f64_vec().iter().map(|v| v.exp() * 2.0).sum();
        assert!((out[0].to_f64_vec()[0] - want).abs() < 1e-12);
        let out = f
            .call(&[Tensor::scalar(1i64), Tensor::scalar(2i64), xv.clone()])
            .unwrap();
        assert!((out[0].to_f64_vec()[0] - (2.0f64.exp() + 1.0)).abs() < 1e-12);
        let e = f
            .call(&[Tensor::scalar(1i64), Tensor::scalar(7i64), xv.clone()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("out of bounds"), "{linker:?}: {e}");
        // switch computes both sides: the same index fails whatever the condition
        let s = T::switch(&c, T::exp(&picked) + 1.0, T::sum(T::exp(&x) * 2.0));
        let g = compile(&[&c, &i, &x], &s)
            .mode(mode(linker))
            .build()
            .unwrap();
        assert!(g
            .call(&[Tensor::scalar(0i64), Tensor::scalar(7i64), xv.clone()])
            .is_err());
    }
    // the emulated GPU too
    let f = compile(&[&c, &i, &x], &z)
        .linker(Box::new(theano_cuda::emulated::EmuLinker::default()))
        .build()
        .unwrap();
    f.call(&[Tensor::scalar(0i64), Tensor::scalar(7i64), xv])
        .unwrap();
}

/// The program's own steps are what both branches do not need: the branches' nodes are
/// steps of the branch programs, nested ones in the innermost branch.
#[test]
fn branch_nodes_are_scheduled_in_their_branch() {
    let (c, d) = (T::bscalar("c"), T::bscalar("d"));
    let x = T::dvector("x");
    let shared = T::exp(&x);
    let inner = T::ifelse(&d, T::sin(&shared), T::cos(&x)).unwrap();
    let z = T::ifelse(&c, T::sum(&inner), T::sum(&shared)).unwrap();
    let f = compile(&[&c, &d, &x], &z)
        .mode(Mode::parse_flags("optimizer=None").unwrap())
        .build()
        .unwrap();
    let fg = f.fgraph();
    let p = theano::linker::schedule(fg, theano::linker::Interface::inputs_only(fg));
    let names = |p: &theano::linker::Program| -> Vec<String> {
        p.steps.iter().map(|s| s.op.to_string()).collect()
    };
    // exp(x) is read by both branches: it stays outside
    assert_eq!(names(&p), ["Elemwise{exp,no_inplace}", "if{}"]);
    let outer = p.steps[1].branches.as_ref().unwrap();
    let then_names = names(&outer.programs[0]);
    assert_eq!(then_names, ["if{}", "Sum"]);
    assert_eq!(names(&outer.programs[1]), ["Sum"]);
    let inner_b = outer.programs[0].steps[0].branches.as_ref().unwrap();
    assert_eq!(names(&inner_b.programs[0]), ["Elemwise{sin,no_inplace}"]);
    assert_eq!(names(&inner_b.programs[1]), ["Elemwise{cos,no_inplace}"]);
    // and the values
    let xv = Tensor::from(vec![0.1, 0.2]);
    for (cv, dv, want) in [
        (
            1i8,
            1i8,
            xv.to_f64_vec().iter().map(|v| v.exp().sin()).sum::<f64>(),
        ),
        (1, 0, xv.to_f64_vec().iter().map(|v| v.cos()).sum()),
        (0, 1, xv.to_f64_vec().iter().map(|v| v.exp()).sum()),
    ] {
        let args = [Tensor::scalar(cv), Tensor::scalar(dv), xv.clone()];
        for outs in run_every_linker(&[&c, &d, &x], std::slice::from_ref(&z), &args) {
            assert!((outs[0].to_f64_vec()[0] - want).abs() < 1e-12);
        }
    }
}

/// Several values at once, of different types; conditions of any dtype (non-zero is true,
/// NaN included).
#[test]
fn several_values_and_any_condition_dtype() {
    let (x, y) = (T::dmatrix("x"), T::dmatrix("y"));
    let (n, m) = (T::lscalar("n"), T::lscalar("m"));
    for (ct, truthy, falsy) in [
        (
            DType::Float64,
            Tensor::scalar(f64::NAN),
            Tensor::scalar(0.0f64),
        ),
        (DType::Bool, Tensor::scalar(true), Tensor::scalar(false)),
        (DType::UInt8, Tensor::scalar(3u8), Tensor::scalar(0u8)),
        (
            DType::Float32,
            Tensor::scalar(-0.5f32),
            Tensor::scalar(-0.0f32),
        ),
    ] {
        let c = T::tensor(ct.name(), &[], "c").unwrap();
        let outs = T::ifelse_many(&c, &[x.clone(), n.clone()], &[y.clone(), m.clone()]).unwrap();
        assert_eq!(outs.len(), 2);
        assert_eq!(outs[1].ty(), n.ty());
        let (xv, yv) = (mat(2, 2, 0.0), mat(3, 1, 9.0));
        for (cv, want) in [(truthy.clone(), (&xv, 4i64)), (falsy.clone(), (&yv, 5))] {
            let args = [
                cv,
                xv.clone(),
                yv.clone(),
                Tensor::scalar(4i64),
                Tensor::scalar(5i64),
            ];
            for r in run_every_linker(&[&c, &x, &y, &n, &m], &outs, &args) {
                assert_eq!(r[0].shape(), want.0.shape(), "{ct}");
                assert_eq!(r[0].to_f64_vec(), want.0.to_f64_vec());
                assert_eq!(r[1].to_i64_vec(), vec![want.1]);
            }
        }
    }
}

/// The shape of an `if{}` output is the picked branch's (read from the value).
#[test]
fn shapes_follow_the_picked_branch() {
    let c = T::iscalar("c");
    let (x, y) = (T::dmatrix("x"), T::dmatrix("y"));
    let z = T::ifelse(&c, &x, &y).unwrap();
    let s = T::shape(&z);
    let (xv, yv) = (mat(2, 3, 0.0), mat(4, 5, 0.0));
    for (cv, want) in [(1i32, [2i64, 3]), (0, [4, 5])] {
        let args = [Tensor::scalar(cv), xv.clone(), yv.clone()];
        for r in run_every_linker(&[&c, &x, &y], std::slice::from_ref(&s), &args) {
            assert_eq!(r[0].to_i64_vec(), want);
        }
    }
}

/// Gradients: each branch's values get the output's gradient when picked, zeros otherwise;
/// verify_grad at both conditions; the condition has a zero gradient.
#[test]
fn gradients_flow_into_the_picked_branch() {
    let opts = VerifyGradOptions::default();
    for cv in [1.0, 0.0] {
        let f = move |i: &[Variable]| {
            let z = T::ifelse(
                T::constant(cv),
                T::sum(&i[0] * &i[0] * &i[1]),
                T::sum(T::sin(&i[0]) + &i[1]),
            )
            .unwrap();
            z * 1.5
        };
        let pts = [
            Tensor::from(vec![0.3, -0.7, 1.1]),
            Tensor::from(vec![0.5, 2.0, -1.0]),
        ];
        verify_grad(f, &pts, eval, &opts).unwrap_or_else(|e| panic!("cond {cv}: {e}"));
    }
    // symbolic condition: the gradients at both values, against the formulas
    let c = T::dscalar("c");
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let z = T::ifelse(T::gt(&c, 0.0), T::sum(&x * &y), T::sum(&x * 3.0)).unwrap();
    let g = grad(&z, &[c.clone(), x.clone(), y.clone()]).unwrap();
    let f = compile(&[&c, &x, &y], g).build().unwrap();
    let (xv, yv) = (Tensor::from(vec![1.0, 2.0]), Tensor::from(vec![-3.0, 4.0]));
    let on = f
        .call(&[Tensor::scalar(1.0), xv.clone(), yv.clone()])
        .unwrap();
    assert_eq!(on[0].to_f64_vec(), vec![0.0]);
    assert_eq!(on[1].to_f64_vec(), yv.to_f64_vec());
    assert_eq!(on[2].to_f64_vec(), xv.to_f64_vec());
    let off = f.call(&[Tensor::scalar(-1.0), xv, yv]).unwrap();
    assert_eq!(off[1].to_f64_vec(), vec![3.0, 3.0]);
    assert_eq!(off[2].to_f64_vec(), vec![0.0, 0.0]);
}

/// The R-operator picks between the branches' directional derivatives.
#[test]
fn r_op_picks_the_branch_derivative() {
    let c = T::bscalar("c");
    let x = T::dvector("x");
    let v = T::dvector("v");
    let z = T::ifelse(&c, &x * &x, T::sin(&x)).unwrap();
    let r = rop(
        std::slice::from_ref(&z),
        std::slice::from_ref(&x),
        std::slice::from_ref(&v),
    )
    .unwrap();
    let f = compile(&[&c, &x, &v], r).build().unwrap();
    let (xv, vv): (Vec<f64>, Vec<f64>) = (vec![0.5, -1.5], vec![2.0, 3.0]);
    let on = f
        .call(&[
            Tensor::scalar(1i8),
            Tensor::from(xv.clone()),
            Tensor::from(vv.clone()),
        ])
        .unwrap();
    assert_eq!(on[0].to_f64_vec(), vec![2.0 * 0.5 * 2.0, 2.0 * -1.5 * 3.0]);
    let off = f
        .call(&[
            Tensor::scalar(0i8),
            Tensor::from(xv.clone()),
            Tensor::from(vv.clone()),
        ])
        .unwrap();
    let want: Vec<f64> = xv.iter().zip(&vv).map(|(x, v)| x.cos() * v).collect();
    for (a, b) in off[0].to_f64_vec().iter().zip(&want) {
        assert!((a - b).abs() < 1e-14);
    }
}

/// Printed as Theano 1.0.5 prints it.
#[test]
fn prints_as_theano() {
    let (a, b) = (T::dscalar("a"), T::dscalar("b"));
    let z = T::ifelse(T::lt(&a, &b), &a, &b).unwrap();
    assert_eq!(pp(&z), "if{}(lt(a, b), a, b)");
    let (x, y) = (T::dmatrix("x"), T::dmatrix("y"));
    let z2 = T::ifelse_many(
        T::lt(&a, &b),
        &[x.clone(), a.clone()],
        &[y.clone(), b.clone()],
    )
    .unwrap();
    assert_eq!(
        debugprint(&z2),
        "if{}.0 [id A] ''   \n |Elemwise{lt,no_inplace} [id B] ''   \n | |a [id C]\n | |b [id D]\n \
         |x [id E]\n |a [id C]\n |y [id F]\n |b [id D]\nif{}.1 [id A] ''   \n"
    );
    assert_eq!(z2[1].to_string(), "if{}.1");
}

/// What Theano refuses.
#[test]
fn refusals_name_the_types() {
    let a = T::dscalar("a");
    let (x, v) = (T::dmatrix("x"), T::dvector("v"));
    let e = T::ifelse(&a, &x, &v).unwrap_err().to_string();
    assert!(
        e.contains("The two branches should have identical types, but they are TensorType(float64, matrix) and TensorType(float64, vector)"),
        "{e}"
    );
    let e = T::ifelse(&x, &a, &a).unwrap_err().to_string();
    assert!(
        e.contains("Condition given to the op has to be a scalar"),
        "{e}"
    );
    let e = T::ifelse(&a, T::fscalar("f"), &a).unwrap_err().to_string();
    assert!(
        e.contains("TensorType(float32, scalar) and TensorType(float64, scalar)"),
        "{e}"
    );
    let e = T::ifelse_many(&a, std::slice::from_ref(&a), &[a.clone(), a.clone()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("variables on `then` 1, variables on `else` 2"),
        "{e}"
    );
}

/// On the JIT the branches are JIT programs of their own (the profile's linker column says
/// so); on the interpreter linker they are interpreted.
#[test]
fn the_jit_compiles_the_branches() {
    let c = T::bscalar("c");
    let x = T::dvector("x");
    let z = T::ifelse(&c, T::sum(T::exp(&x)), T::sum(T::sin(&x))).unwrap();
    for (linker, want) in [
        (LinkerKind::Jit, "jit branches"),
        (LinkerKind::Interp, "interpreter"),
    ] {
        let m = Mode {
            linker,
            profile: true,
            ..Mode::default()
        };
        let f = compile(&[&c, &x], &z).mode(m).build().unwrap();
        f.call(&[Tensor::scalar(1i8), Tensor::from(vec![0.0, 1.0])])
            .unwrap();
        let p = f.profile().unwrap();
        let row = p.nodes.iter().find(|n| n.node.starts_with("if{}")).unwrap();
        assert_eq!(row.linker, want);
        // the branches running as compiled are no fallback to the interpreter
        if linker == LinkerKind::Jit {
            assert_eq!(row.interp_calls, 0);
        }
    }
}
