//! Table-driven check of the output type of every builder of the `T` namespace.
//!
//! Every expected string was derived by hand from Theano 1.0.5's rules (rel-1.0.5 sources:
//! scalar/basic.py output_types_preference, tensor/basic.py, elemwise.py, subtensor.py,
//! nnet/nnet.py) and numpy's promote_types, never copied from this crate's output.

use std::sync::Mutex;
use theano_ir::config::{float_x, set_float_x};
use theano_ir::tensor::{self as T, Idx};
use theano_ir::{DType, IntoVar, Tensor, TensorType, Variable};

/// floatX is process-wide: every test in this file holds this lock.
static FLOATX: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    FLOATX.lock().unwrap_or_else(|p| p.into_inner())
}

fn ty(t: &[bool], d: DType) -> TensorType {
    TensorType::new(d, t).unwrap()
}

fn input(d: DType, b: &[bool]) -> Variable {
    T::input(ty(b, d), "")
}

fn int64_vec_const(v: &[i64]) -> Variable {
    T::try_constant(
        Tensor::from_f64_vec(
            DType::Int64,
            &[v.len()],
            v.iter().map(|&x| x as f64).collect(),
        )
        .unwrap(),
    )
    .unwrap()
}

fn check(table: Vec<(&str, Variable, &str)>) {
    let mut bad = Vec::new();
    for (desc, v, want) in &table {
        let got = v.ty().to_string();
        if got != *want {
            bad.push(format!("{desc}: got {got}, want {want}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn constructors_and_constants() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    use DType::*;
    let table: Vec<(&str, Variable, &str)> = vec![
        ("dscalar", T::dscalar("x"), "TensorType(float64, scalar)"),
        ("fscalar", T::fscalar("x"), "TensorType(float32, scalar)"),
        ("lscalar", T::lscalar("x"), "TensorType(int64, scalar)"),
        ("iscalar", T::iscalar("x"), "TensorType(int32, scalar)"),
        ("wscalar", T::wscalar("x"), "TensorType(int16, scalar)"),
        ("bscalar", T::bscalar("x"), "TensorType(int8, scalar)"),
        ("dvector", T::dvector("x"), "TensorType(float64, vector)"),
        ("fvector", T::fvector("x"), "TensorType(float32, vector)"),
        ("lvector", T::lvector("x"), "TensorType(int64, vector)"),
        ("ivector", T::ivector("x"), "TensorType(int32, vector)"),
        ("bvector", T::bvector("x"), "TensorType(int8, vector)"),
        ("dmatrix", T::dmatrix("x"), "TensorType(float64, matrix)"),
        ("fmatrix", T::fmatrix("x"), "TensorType(float32, matrix)"),
        ("lmatrix", T::lmatrix("x"), "TensorType(int64, matrix)"),
        ("imatrix", T::imatrix("x"), "TensorType(int32, matrix)"),
        ("bmatrix", T::bmatrix("x"), "TensorType(int8, matrix)"),
        ("drow", T::drow("x"), "TensorType(float64, row)"),
        ("frow", T::frow("x"), "TensorType(float32, row)"),
        ("dcol", T::dcol("x"), "TensorType(float64, col)"),
        ("fcol", T::fcol("x"), "TensorType(float32, col)"),
        ("dtensor3", T::dtensor3("x"), "TensorType(float64, 3D)"),
        ("dtensor4", T::dtensor4("x"), "TensorType(float64, 4D)"),
        ("ftensor3", T::ftensor3("x"), "TensorType(float32, 3D)"),
        ("ftensor4", T::ftensor4("x"), "TensorType(float32, 4D)"),
        (
            "scalar (floatX=float64)",
            T::scalar("x"),
            "TensorType(float64, scalar)",
        ),
        (
            "vector (floatX=float64)",
            T::vector("x"),
            "TensorType(float64, vector)",
        ),
        (
            "matrix (floatX=float64)",
            T::matrix("x"),
            "TensorType(float64, matrix)",
        ),
        (
            "row (floatX=float64)",
            T::row("x"),
            "TensorType(float64, row)",
        ),
        (
            "col (floatX=float64)",
            T::col("x"),
            "TensorType(float64, col)",
        ),
        (
            "tensor3 (floatX=float64)",
            T::tensor3("x"),
            "TensorType(float64, 3D)",
        ),
        (
            "tensor4 (floatX=float64)",
            T::tensor4("x"),
            "TensorType(float64, 4D)",
        ),
        (
            "explicit pattern",
            input(Float64, &[false, true, false]),
            "TensorType(float64, (False, True, False))",
        ),
        (
            "bool (True,)",
            input(Bool, &[true]),
            "TensorType(bool, (True,))",
        ),
        // Python ints: autocast_int picks the smallest of int8..int64 holding the value.
        ("int 2", 2.into_var(), "TensorType(int8, scalar)"),
        ("int -128", (-128).into_var(), "TensorType(int8, scalar)"),
        ("int 300", 300.into_var(), "TensorType(int16, scalar)"),
        ("int -129", (-129).into_var(), "TensorType(int16, scalar)"),
        ("int 70000", 70000.into_var(), "TensorType(int32, scalar)"),
        (
            "int 2**40",
            (1i64 << 40).into_var(),
            "TensorType(int64, scalar)",
        ),
        // Python floats: autocast_float (custom cast policy) keeps float32 when exact.
        (
            "float 0.1 (floatX=float64)",
            0.1f64.into_var(),
            "TensorType(float64, scalar)",
        ),
        (
            "float 2.0 (floatX=float64)",
            2.0f64.into_var(),
            "TensorType(float32, scalar)",
        ),
        ("f32 1.5", 1.5f32.into_var(), "TensorType(float32, scalar)"),
        ("bool true", true.into_var(), "TensorType(bool, scalar)"),
        (
            "constant matrix",
            T::try_constant(Tensor::zeros(Float64, &[2, 3])).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "constant (1, 3): length-1 dims broadcastable",
            T::try_constant(Tensor::zeros(Float64, &[1, 3])).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "constant int64 [5]",
            int64_vec_const(&[5]),
            "TensorType(int64, (True,))",
        ),
    ];
    check(table);

    // Type constants are the constructors' types.
    let consts = [
        (T::DSCALAR, "TensorType(float64, scalar)"),
        (T::FSCALAR, "TensorType(float32, scalar)"),
        (T::LSCALAR, "TensorType(int64, scalar)"),
        (T::ISCALAR, "TensorType(int32, scalar)"),
        (T::WSCALAR, "TensorType(int16, scalar)"),
        (T::BSCALAR, "TensorType(int8, scalar)"),
        (T::DVECTOR, "TensorType(float64, vector)"),
        (T::IVECTOR, "TensorType(int32, vector)"),
        (T::DMATRIX, "TensorType(float64, matrix)"),
        (T::IMATRIX, "TensorType(int32, matrix)"),
        (T::DROW, "TensorType(float64, row)"),
        (T::FCOL, "TensorType(float32, col)"),
        (T::DTENSOR3, "TensorType(float64, 3D)"),
        (T::FTENSOR4, "TensorType(float32, 4D)"),
    ];
    for (t, want) in consts {
        assert_eq!(t.to_string(), want);
    }
    assert!(T::dscalar("x").ty() == T::DSCALAR);
    assert!(T::drow("x").ty() == T::DROW);
    assert!(T::imatrix("x").ty() != T::DMATRIX);

    // Plurals.
    let v = T::dscalars("a b");
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0].to_string(), v[1].to_string()),
        ("a".into(), "b".into())
    );
    assert!(v.iter().all(|x| x.ty() == T::DSCALAR));
    let m = T::imatrices("p, q,r");
    assert_eq!(
        m.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        ["p", "q", "r"]
    );
    assert!(m.iter().all(|x| x.ty() == T::IMATRIX));
    assert_eq!(T::fvectors("u").len(), 1);

    // Constants display as Theano's str.
    assert_eq!(2.into_var().to_string(), "TensorConstant{2}");
    assert_eq!(300.into_var().to_string(), "TensorConstant{300}");
    assert_eq!(2.0f64.into_var().to_string(), "TensorConstant{2.0}");

    // `x * 2` on a dmatrix: the int8 constant is padded by InplaceDimShuffle{x,x}.
    let x = T::dmatrix("x");
    let y = &x * 2;
    assert_eq!(y.ty().to_string(), "TensorType(float64, matrix)");
    let ins = y.owner().unwrap().inputs().to_vec();
    assert_eq!(ins[1].to_string(), "InplaceDimShuffle{x,x}.0");
    assert_eq!(ins[1].ty().to_string(), "TensorType(int8, (True, True))");
    let c = ins[1].owner().unwrap().inputs()[0].clone();
    assert_eq!(c.to_string(), "TensorConstant{2}");
    assert_eq!(c.ty().to_string(), "TensorType(int8, scalar)");
}

#[test]
fn float_x_float32() {
    let _g = lock();
    set_float_x(DType::Float32).unwrap();
    let table: Vec<(&str, Variable, &str)> = vec![
        ("scalar", T::scalar("x"), "TensorType(float32, scalar)"),
        ("vector", T::vector("x"), "TensorType(float32, vector)"),
        ("matrix", T::matrix("x"), "TensorType(float32, matrix)"),
        ("row", T::row("x"), "TensorType(float32, row)"),
        ("col", T::col("x"), "TensorType(float32, col)"),
        ("tensor3", T::tensor3("x"), "TensorType(float32, 3D)"),
        ("tensor4", T::tensor4("x"), "TensorType(float32, 4D)"),
        (
            "matrices",
            T::matrices("a b")[1].clone(),
            "TensorType(float32, matrix)",
        ),
        // autocast_float under floatX=float32: always float32, even for 0.1.
        (
            "float 0.1",
            0.1f64.into_var(),
            "TensorType(float32, scalar)",
        ),
        (
            "matrix * 0.1",
            T::matrix("x") * 0.1,
            "TensorType(float32, matrix)",
        ),
        // TrueDiv of discrete inputs is floatX.
        (
            "ivector / ivector",
            T::ivector("a") / T::ivector("b"),
            "TensorType(float32, vector)",
        ),
        // upcast (cast_policy custom) is plain numpy: int32 + float32 is still float64.
        (
            "ivector * fscalar",
            T::ivector("a") * T::fscalar("b"),
            "TensorType(float64, vector)",
        ),
        (
            "mean(ivector)",
            T::mean(T::ivector("a"), None, false).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "zeros",
            T::zeros(&[2, 3], None).unwrap(),
            "TensorType(float32, matrix)",
        ),
    ];
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(table)));
    set_float_x(DType::Float64).unwrap();
    assert_eq!(float_x(), DType::Float64);
    if let Err(e) = r {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn elemwise_table() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    use DType::*;
    let (dm, fm, im, bm) = (
        T::dmatrix("dm"),
        T::fmatrix("fm"),
        T::imatrix("im"),
        T::bmatrix("bm"),
    );
    let (dv, fv, iv, lv, bv) = (
        T::dvector("dv"),
        T::fvector("fv"),
        T::ivector("iv"),
        T::lvector("lv"),
        T::bvector("bv"),
    );
    let (ds, fs, is, ls, ws, bs) = (
        T::dscalar("ds"),
        T::fscalar("fs"),
        T::iscalar("is"),
        T::lscalar("ls"),
        T::wscalar("ws"),
        T::bscalar("bs"),
    );
    let (dr, dc, fr, fc) = (T::drow("dr"), T::dcol("dc"), T::frow("fr"), T::fcol("fc"));
    let d3 = T::dtensor3("d3");
    let bool_m = T::gt(&dm, 0);
    let table: Vec<(&str, Variable, &str)> = vec![
        // + - * / % and promotion
        ("int64 + int32", &ls + &is, "TensorType(int64, scalar)"),
        ("ivector + lvector", &iv + &lv, "TensorType(int64, vector)"),
        ("int8 + int16", &bs + &ws, "TensorType(int16, scalar)"),
        (
            "dmatrix * int8 constant",
            &dm * 2,
            "TensorType(float64, matrix)",
        ),
        (
            "int8 constant * dmatrix",
            2 * &dm,
            "TensorType(float64, matrix)",
        ),
        (
            "bvector * fvector",
            &bv * &fv,
            "TensorType(float32, vector)",
        ),
        (
            "ivector * fvector",
            &iv * &fv,
            "TensorType(float64, vector)",
        ),
        ("int16 * float32", &ws * &fs, "TensorType(float32, scalar)"),
        (
            "imatrix * 300 (int16)",
            &im * 300,
            "TensorType(int32, matrix)",
        ),
        (
            "bmatrix * 300 (int16)",
            &bm * 300,
            "TensorType(int16, matrix)",
        ),
        (
            "fvector * 2.0 (float32 constant)",
            &fv * 2.0,
            "TensorType(float32, vector)",
        ),
        (
            "fvector * 0.1 (float64 constant)",
            &fv * 0.1,
            "TensorType(float64, vector)",
        ),
        ("bvector * 1.5", &bv * 1.5, "TensorType(float32, vector)"),
        ("ivector * 1.5", &iv * 1.5, "TensorType(float64, vector)"),
        ("row + col", &dr + &dc, "TensorType(float64, matrix)"),
        ("row + row", &dr + &dr, "TensorType(float64, row)"),
        ("row * 2", &dr * 2, "TensorType(float64, row)"),
        ("col - scalar", &dc - &ds, "TensorType(float64, col)"),
        ("frow + fcol", &fr + &fc, "TensorType(float32, matrix)"),
        ("dtensor3 + row", &d3 + &dr, "TensorType(float64, 3D)"),
        (
            "row + col + scalar pad",
            2 + (&dr - &fc),
            "TensorType(float64, matrix)",
        ),
        (
            "ivector / ivector",
            &iv / &iv,
            "TensorType(float64, vector)",
        ),
        ("int8 / int8", &bs / &bs, "TensorType(float64, scalar)"),
        ("fvector / 2", &fv / 2, "TensorType(float32, vector)"),
        (
            "ivector / fscalar",
            &iv / &fs,
            "TensorType(float64, vector)",
        ),
        ("drow / dcol", &dr / &dc, "TensorType(float64, matrix)"),
        ("dmatrix % 3", &dm % 3, "TensorType(float64, matrix)"),
        ("imatrix % 3", &im % 3, "TensorType(int32, matrix)"),
        (
            "int_div ivector bvector",
            T::int_div(&iv, &bv),
            "TensorType(int32, vector)",
        ),
        ("-ivector", -&iv, "TensorType(int32, vector)"),
        ("-dcol", -&dc, "TensorType(float64, col)"),
        (
            "neg fscalar",
            T::neg(&fs).unwrap(),
            "TensorType(float32, scalar)",
        ),
        ("add fn", T::add(&dr, 1), "TensorType(float64, row)"),
        ("sub fn", T::sub(&bv, &iv), "TensorType(int32, vector)"),
        ("mul fn", T::mul(&fc, &fr), "TensorType(float32, matrix)"),
        (
            "true_div fn",
            T::true_div(&lv, 2),
            "TensorType(float64, vector)",
        ),
        (
            "modulo fn",
            T::modulo(&lv, &iv),
            "TensorType(int64, vector)",
        ),
        // pow and unary
        ("dvector ** 2", dv.pow(2), "TensorType(float64, vector)"),
        ("ivector ** 2", iv.pow(2), "TensorType(int32, vector)"),
        (
            "int8 ** float32",
            bs.pow(&fs),
            "TensorType(float32, scalar)",
        ),
        (
            "pow fn row col",
            T::pow(&dr, &dc),
            "TensorType(float64, matrix)",
        ),
        (
            "sqr ivector (same_out)",
            T::sqr(&iv),
            "TensorType(int32, vector)",
        ),
        ("sqr drow", T::sqr(&dr), "TensorType(float64, row)"),
        ("sqrt ivector", T::sqrt(&iv), "TensorType(float64, vector)"),
        ("sqrt bvector", T::sqrt(&bv), "TensorType(float32, vector)"),
        (
            "exp int8 (upgrade_to_float)",
            T::exp(&bs),
            "TensorType(float32, scalar)",
        ),
        ("exp int32", T::exp(&is), "TensorType(float64, scalar)"),
        ("exp int16", T::exp(&ws), "TensorType(float32, scalar)"),
        ("exp int64", T::exp(&ls), "TensorType(float64, scalar)"),
        ("exp fmatrix", T::exp(&fm), "TensorType(float32, matrix)"),
        ("exp drow", T::exp(&dr), "TensorType(float64, row)"),
        ("exp bool", T::exp(&bool_m), "TensorType(float32, matrix)"),
        ("log lvector", T::log(&lv), "TensorType(float64, vector)"),
        ("log fcol", T::log(&fc), "TensorType(float32, col)"),
        ("log1p int16", T::log1p(&ws), "TensorType(float32, scalar)"),
        ("expm1 fcol", T::expm1(&fc), "TensorType(float32, col)"),
        (
            "expm1 ivector",
            T::expm1(&iv),
            "TensorType(float64, vector)",
        ),
        ("tanh imatrix", T::tanh(&im), "TensorType(float64, matrix)"),
        ("tanh frow", T::tanh(&fr), "TensorType(float32, row)"),
        (
            "sigmoid bvector",
            T::sigmoid(&bv),
            "TensorType(float32, vector)",
        ),
        (
            "sigmoid dmatrix",
            T::sigmoid(&dm),
            "TensorType(float64, matrix)",
        ),
        (
            "softplus dtensor3",
            T::softplus(&d3),
            "TensorType(float64, 3D)",
        ),
        (
            "softplus ivector",
            T::softplus(&iv),
            "TensorType(float64, vector)",
        ),
        ("abs ivector", T::abs(&iv), "TensorType(int32, vector)"),
        ("abs fscalar", T::abs(&fs), "TensorType(float32, scalar)"),
        ("sign bmatrix", T::sign(&bm), "TensorType(int8, matrix)"),
        ("sign drow", T::sign(&dr), "TensorType(float64, row)"),
        (
            "sgn fvector",
            T::sgn(&fv).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "floor ivector",
            T::floor(&iv),
            "TensorType(float64, vector)",
        ),
        ("floor int8", T::floor(&bs), "TensorType(float32, scalar)"),
        ("floor dcol", T::floor(&dc), "TensorType(float64, col)"),
        ("ceil fvector", T::ceil(&fv), "TensorType(float32, vector)"),
        ("ceil int16", T::ceil(&ws), "TensorType(float32, scalar)"),
        (
            "round dmatrix",
            T::round(&dm).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "round frow",
            T::round(&fr).unwrap(),
            "TensorType(float32, row)",
        ),
        (
            "round_half_away_from_zero fvector",
            T::round_half_away_from_zero(&fv).unwrap(),
            "TensorType(float32, vector)",
        ),
        // maximum, minimum, clip, switch
        (
            "maximum ivector fscalar",
            T::maximum(&iv, &fs),
            "TensorType(float64, vector)",
        ),
        (
            "maximum row col",
            T::maximum(&dr, &dc),
            "TensorType(float64, matrix)",
        ),
        (
            "minimum bvector 3",
            T::minimum(&bv, 3),
            "TensorType(int8, vector)",
        ),
        (
            "minimum fcol dscalar",
            T::minimum(&fc, &ds),
            "TensorType(float64, col)",
        ),
        (
            "clip imatrix 0 10",
            T::clip(&im, 0, 10),
            "TensorType(int32, matrix)",
        ),
        (
            "clip dvector 0 1",
            T::clip(&dv, 0, 1),
            "TensorType(float64, vector)",
        ),
        (
            "clip fvector 0.0 1.0",
            T::clip(&fv, 0.0, 1.0),
            "TensorType(float32, vector)",
        ),
        (
            "clip drow",
            T::clip(&dr, 0, &dc),
            "TensorType(float64, matrix)",
        ),
        (
            "switch ivector fvector",
            T::switch(T::gt(&iv, 0), &iv, &fv),
            "TensorType(float64, vector)",
        ),
        (
            "switch bvector int8 const",
            T::switch(T::gt(&bv, 0), &bv, 0),
            "TensorType(int8, vector)",
        ),
        (
            "switch col row scalar",
            T::switch(T::gt(&dc, 0), &dr, &ds),
            "TensorType(float64, matrix)",
        ),
        (
            "switch row cond row scalars",
            T::switch(T::gt(&dr, 0), 1.5f32, &fs),
            "TensorType(float32, row)",
        ),
        // cast
        (
            "cast ivector float32",
            T::cast(&iv, Float32),
            "TensorType(float32, vector)",
        ),
        (
            "cast drow int8",
            T::cast(&dr, Int8),
            "TensorType(int8, row)",
        ),
        (
            "cast bool matrix int64",
            T::cast(&bool_m, Int64),
            "TensorType(int64, matrix)",
        ),
        (
            "astype fcol float64",
            fc.astype(Float64),
            "TensorType(float64, col)",
        ),
        // comparisons are bool
        ("gt dmatrix 0", T::gt(&dm, 0), "TensorType(bool, matrix)"),
        (
            "lt ivector fvector",
            T::lt(&iv, &fv),
            "TensorType(bool, vector)",
        ),
        ("ge row col", T::ge(&dr, &dc), "TensorType(bool, matrix)"),
        (
            "le fscalar 1.0",
            T::le(&fs, 1.0),
            "TensorType(bool, scalar)",
        ),
        (
            "eq ivector ivector",
            T::eq(&iv, &iv),
            "TensorType(bool, vector)",
        ),
        ("neq row 2", T::neq(&dr, 2), "TensorType(bool, row)"),
        // bit ops
        (
            "and_ ivector bvector",
            T::and_(&iv, &bv).unwrap(),
            "TensorType(int32, vector)",
        ),
        (
            "and_ bool bool",
            T::and_(T::gt(&dr, 0), T::lt(&dc, 1)).unwrap(),
            "TensorType(bool, matrix)",
        ),
        (
            "or_ int64 int32",
            T::or_(&ls, &is).unwrap(),
            "TensorType(int64, scalar)",
        ),
        (
            "or_ bool row",
            T::or_(T::gt(&dr, 0), T::gt(&dr, 1)).unwrap(),
            "TensorType(bool, row)",
        ),
        (
            "xor imatrix 1",
            T::xor(&im, 1).unwrap(),
            "TensorType(int32, matrix)",
        ),
        (
            "invert ivector",
            T::invert(&iv).unwrap(),
            "TensorType(int32, vector)",
        ),
        (
            "not_ bool",
            T::not_(&bool_m).unwrap(),
            "TensorType(bool, matrix)",
        ),
        // fill, zeros_like, ones_like: fill takes the value's dtype (transfer_type(1))
        (
            "zeros_like ivector",
            T::zeros_like(&iv),
            "TensorType(int32, vector)",
        ),
        (
            "ones_like drow",
            T::ones_like(&dr),
            "TensorType(float64, row)",
        ),
        (
            "ones_like bool",
            T::ones_like(&bool_m),
            "TensorType(bool, matrix)",
        ),
        (
            "fill dmatrix 1.5",
            T::fill(&dm, 1.5),
            "TensorType(float32, matrix)",
        ),
        (
            "fill fmatrix 2 (int8 value)",
            T::fill(&fm, 2),
            "TensorType(int8, matrix)",
        ),
        (
            "fill row col",
            T::fill(&dr, &dc),
            "TensorType(float64, matrix)",
        ),
        (
            "fill col scalar",
            T::fill(&dc, &ls),
            "TensorType(int64, col)",
        ),
    ];
    check(table);
    // cast to the same dtype is the variable itself
    assert!(T::cast(&iv, Int32) == iv);
}

#[test]
fn dot_reduce_shape_table() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    use DType::*;
    let (dm, fm, im) = (T::dmatrix("dm"), T::fmatrix("fm"), T::imatrix("im"));
    let (dv, fv, iv, bv) = (
        T::dvector("dv"),
        T::fvector("fv"),
        T::ivector("iv"),
        T::bvector("bv"),
    );
    let (ds, fs, is, ls) = (
        T::dscalar("ds"),
        T::fscalar("fs"),
        T::iscalar("is"),
        T::lscalar("ls"),
    );
    let (dr, dc) = (T::drow("dr"), T::dcol("dc"));
    let (d3, f3) = (T::dtensor3("d3"), T::ftensor3("f3"));
    let bool_m = T::gt(&dm, 0);
    let ttf = input(Float64, &[true, true, false]);
    let ftf = input(Float64, &[false, true, false]);
    let mm = |a: &[isize]| -> Vec<isize> { a.to_vec() };
    let (mx, amx) = T::max_and_argmax(&im, Some(&mm(&[1]))).unwrap();
    let (mx3, amx3) = T::max_and_argmax(&ftf, None).unwrap();
    let table: Vec<(&str, Variable, &str)> = vec![
        // dot
        (
            "dot matrix matrix",
            T::dot(&dm, &dm).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "dot row col",
            T::dot(&dr, &dc).unwrap(),
            "TensorType(float64, (True, True))",
        ),
        (
            "dot col row",
            T::dot(&dc, &dr).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "dot vector vector",
            T::dot(&dv, &dv).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "dot fmatrix fvector",
            T::dot(&fm, &fv).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "dot imatrix fmatrix",
            T::dot(&im, &fm).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "dot bvector fmatrix",
            T::dot(&bv, &fm).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "dot vector col",
            T::dot(&dv, &dc).unwrap(),
            "TensorType(float64, (True,))",
        ),
        (
            "dot row vector",
            T::dot(&dr, &dv).unwrap(),
            "TensorType(float64, (True,))",
        ),
        (
            "dot imatrix ivector",
            T::dot(&im, &iv).unwrap(),
            "TensorType(int32, vector)",
        ),
        (
            "dot scalar matrix (mul)",
            T::dot(&ds, &fm).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "dot fscalar 2",
            T::dot(&fs, 2).unwrap(),
            "TensorType(float32, scalar)",
        ),
        // sum / prod
        ("sum imatrix", T::sum(&im), "TensorType(int64, scalar)"),
        ("sum bvector", T::sum(&bv), "TensorType(int64, scalar)"),
        ("sum bool", T::sum(&bool_m), "TensorType(int64, scalar)"),
        ("sum fmatrix", T::sum(&fm), "TensorType(float32, scalar)"),
        ("x.sum()", dm.sum(), "TensorType(float64, scalar)"),
        (
            "sum d3 axis 1",
            T::sum_axes(&d3, Some(&mm(&[1])), false).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "sum row axis 1",
            T::sum_axes(&dr, Some(&mm(&[1])), false).unwrap(),
            "TensorType(float64, (True,))",
        ),
        (
            "sum row axis 0",
            T::sum_axes(&dr, Some(&mm(&[0])), false).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "sum matrix axis 0 keepdims",
            T::sum_axes(&dm, Some(&mm(&[0])), true).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "sum imatrix axis 1 keepdims",
            T::sum_axes(&im, Some(&mm(&[1])), true).unwrap(),
            "TensorType(int64, col)",
        ),
        (
            "sum d3 axes 0,2 keepdims",
            T::sum_axes(&d3, Some(&mm(&[0, 2])), true).unwrap(),
            "TensorType(float64, (True, False, True))",
        ),
        (
            "sum all keepdims",
            T::sum_axes(&dm, None, true).unwrap(),
            "TensorType(float64, (True, True))",
        ),
        (
            "sum (T,T,F) axis 2",
            T::sum_axes(&ttf, Some(&mm(&[2])), false).unwrap(),
            "TensorType(float64, (True, True))",
        ),
        ("prod imatrix", T::prod(&im), "TensorType(int64, scalar)"),
        (
            "prod fmatrix axis 0",
            T::prod_axes(&fm, Some(&mm(&[0])), false).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "prod ivector keepdims",
            T::prod_axes(&iv, None, true).unwrap(),
            "TensorType(int64, (True,))",
        ),
        // mean
        (
            "mean imatrix",
            T::mean(&im, None, false).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "mean bvector",
            T::mean(&bv, None, false).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "mean fmatrix axis 1",
            T::mean(&fm, Some(&mm(&[1])), false).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "mean dmatrix axis 0 keepdims",
            T::mean(&dm, Some(&mm(&[0])), true).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "mean ivector keepdims",
            T::mean(&iv, None, true).unwrap(),
            "TensorType(float64, (True,))",
        ),
        ("x.mean()", fm.mean(), "TensorType(float32, scalar)"),
        // max / min / argmax
        (
            "max imatrix axis 0",
            T::max(&im, Some(&mm(&[0])), false).unwrap(),
            "TensorType(int32, vector)",
        ),
        (
            "max d3 all",
            T::max(&d3, None, false).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "max row axis 1 keepdims",
            T::max(&dr, Some(&mm(&[1])), true).unwrap(),
            "TensorType(float64, (True, True))",
        ),
        (
            "max (F,T,F) axis 0",
            T::max(&ftf, Some(&mm(&[0])), false).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "min ivector",
            T::min(&iv, None, false).unwrap(),
            "TensorType(int32, scalar)",
        ),
        (
            "min fmatrix axis 1 keepdims",
            T::min(&fm, Some(&mm(&[1])), true).unwrap(),
            "TensorType(float32, col)",
        ),
        (
            "min bool",
            T::min(&bool_m, None, false).unwrap(),
            "TensorType(bool, scalar)",
        ),
        (
            "argmax matrix axis 1",
            T::argmax(&dm, Some(&mm(&[1])), false).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "argmax fvector",
            T::argmax(&fv, None, false).unwrap(),
            "TensorType(int64, scalar)",
        ),
        (
            "argmax matrix axis 0 keepdims",
            T::argmax(&dm, Some(&mm(&[0])), true).unwrap(),
            "TensorType(int64, row)",
        ),
        (
            "argmin imatrix axis 0",
            T::argmin(&im, Some(&mm(&[0])), false).unwrap(),
            "TensorType(int64, vector)",
        ),
        ("max_and_argmax max", mx, "TensorType(int32, vector)"),
        ("max_and_argmax argmax", amx, "TensorType(int64, vector)"),
        ("max_and_argmax all max", mx3, "TensorType(float64, scalar)"),
        (
            "max_and_argmax all argmax",
            amx3,
            "TensorType(int64, scalar)",
        ),
        // var / std
        (
            "var imatrix",
            T::var(&im, None, false).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "var fmatrix axis 0",
            T::var(&fm, Some(&mm(&[0])), false).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "var dmatrix axis 1 keepdims",
            T::var(&dm, Some(&mm(&[1])), true).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "std dmatrix axis 1 keepdims",
            T::std(&dm, Some(&mm(&[1])), true).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "std ivector",
            T::std(&iv, None, false).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "std f3 axis 2",
            T::std(&f3, Some(&mm(&[2])), false).unwrap(),
            "TensorType(float32, matrix)",
        ),
        // dimshuffle / transpose
        (
            "dimshuffle matrix 1,0",
            T::dimshuffle(&dm, &[Some(1), Some(0)]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "dimshuffle vector x,0",
            T::dimshuffle(&dv, &[None, Some(0)]).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "dimshuffle vector 0,x",
            dv.dimshuffle(&[Some(0), None]).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "dimshuffle row drop 0",
            dr.dimshuffle(&[Some(1)]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "dimshuffle col x,0,x",
            dc.dimshuffle(&[None, Some(0), None]).unwrap(),
            "TensorType(float64, (True, False, True))",
        ),
        (
            "dimshuffle ftensor3 2,0,1",
            f3.dimshuffle(&[Some(2), Some(0), Some(1)]).unwrap(),
            "TensorType(float32, 3D)",
        ),
        (
            "dimshuffle (T,T,F) 2,x,1",
            ttf.dimshuffle(&[Some(2), None, Some(1)]).unwrap(),
            "TensorType(float64, (False, True, True))",
        ),
        (
            "dimshuffle scalar x",
            is.dimshuffle(&[None]).unwrap(),
            "TensorType(int32, (True,))",
        ),
        (
            "transpose row",
            T::transpose(&dr, None).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "transpose d3 1,0,2",
            T::transpose(&d3, Some(&[1, 0, 2])).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "transpose (T,T,F) 2,0,1",
            T::transpose(&ttf, Some(&[2, 0, 1])).unwrap(),
            "TensorType(float64, (False, True, True))",
        ),
        ("x.t() col", dc.t(), "TensorType(float64, row)"),
        ("x.t() imatrix", im.t(), "TensorType(int32, matrix)"),
        // reshape / flatten
        (
            "reshape matrix [6]",
            dm.reshape([6]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "reshape ivector [2,3]",
            T::reshape(&iv, [2, 3]).unwrap(),
            "TensorType(int32, matrix)",
        ),
        (
            "reshape d3 scalars",
            T::reshape(&d3, vec![is.clone(), ls.clone()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "reshape by shape of d3",
            dv.reshape(&d3.shape()).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "flatten d3 1",
            T::flatten(&d3, 1).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "flatten d3 2",
            d3.flatten(2).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "flatten row 1",
            dr.flatten(1).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "flatten col 2",
            dc.flatten(2).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "flatten (T,T,F) 2",
            ttf.flatten(2).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "flatten (F,T,F) 2",
            ftf.flatten(2).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "flatten scalar 1",
            ds.flatten(1).unwrap(),
            "TensorType(float64, (True,))",
        ),
        (
            "flatten imatrix 1",
            im.flatten(1).unwrap(),
            "TensorType(int32, vector)",
        ),
        // shape
        ("shape matrix", T::shape(&dm), "TensorType(int64, vector)"),
        ("shape scalar", ds.shape(), "TensorType(int64, vector)"),
        (
            "shape_i matrix 1",
            T::shape_i(&dm, 1).unwrap(),
            "TensorType(int64, scalar)",
        ),
        (
            "x.shape_i(0)",
            iv.shape_i(0).unwrap(),
            "TensorType(int64, scalar)",
        ),
        // arange
        (
            "arange 10",
            T::arange(10).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "arange iscalar",
            T::arange(&is).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "arange fscalar",
            T::arange(&fs).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "arange dscalar",
            T::arange(&ds).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "arange_full 1 10 2",
            T::arange_full(1, 10, 2).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "arange_full 0 ds 1",
            T::arange_full(0, &ds, 1).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "arange_full bscalar iscalar 1",
            T::arange_full(T::bscalar("b"), &is, 1).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "arange_full 0 fs 0.5",
            T::arange_full(0, &fs, 0.5).unwrap(),
            "TensorType(float32, vector)",
        ),
        // alloc
        (
            "alloc dscalar iscalar lscalar",
            T::alloc(&ds, &[is.clone(), ls.clone()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "alloc dvector",
            T::alloc(&dv, &[is.clone(), ls.clone()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "alloc_const f32",
            T::alloc_const(1.5f32, &[2, 3]).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "alloc int8",
            T::alloc_const(7, &[4]).unwrap(),
            "TensorType(int8, vector)",
        ),
        (
            "zeros",
            T::zeros(&[2, 3], None).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "ones",
            T::ones(&[2, 3, 4], None).unwrap(),
            "TensorType(float64, 3D)",
        ),
        // concatenate / stack (Join: broadcastable where any input is, except on the axis)
        (
            "concatenate matrices 0",
            T::concatenate(&[dm.clone(), dm.clone()], 0).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "concatenate rows 0",
            T::concatenate(&[dr.clone(), dr.clone()], 0).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "concatenate rows 1",
            T::concatenate(&[dr.clone(), dr.clone()], 1).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "concatenate col matrix 1",
            T::concatenate(&[dc.clone(), dm.clone()], 1).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "concatenate row matrix 1",
            T::concatenate(&[dr.clone(), dm.clone()], 1).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "concatenate ivector fvector",
            T::concatenate(&[iv.clone(), fv.clone()], 0).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "concatenate bvector fvector",
            T::concatenate(&[bv.clone(), fv.clone()], 0).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "concatenate single row 0",
            T::concatenate(std::slice::from_ref(&dr), 0).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "stack scalars",
            T::stack(&[ds.clone(), ds.clone()], 0).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "stack iscalar lscalar",
            T::stack(&[is.clone(), ls.clone()], 0).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "stack vectors 0",
            T::stack(&[dv.clone(), dv.clone()], 0).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "stack vectors 1",
            T::stack(&[dv.clone(), dv.clone()], 1).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "stack rows 0",
            T::stack(&[dr.clone(), dr.clone()], 0).unwrap(),
            "TensorType(float64, (False, True, False))",
        ),
        (
            "stack rows 2",
            T::stack(&[dr.clone(), dr.clone()], 2).unwrap(),
            "TensorType(float64, (True, False, False))",
        ),
        (
            "stack single vector",
            T::stack(std::slice::from_ref(&dv), 0).unwrap(),
            "TensorType(float64, row)",
        ),
        // softmax: Theano 1.0 pads a vector to a row
        (
            "softmax matrix",
            T::softmax(&dm).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "softmax fvector (padded)",
            T::softmax(&fv).unwrap(),
            "TensorType(float32, row)",
        ),
        (
            "softmax row",
            T::softmax(&dr).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "log_softmax fmatrix",
            T::log_softmax(&fm).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "log_softmax dvector (padded)",
            T::log_softmax(&dv).unwrap(),
            "TensorType(float64, row)",
        ),
    ];
    check(table);
}

#[test]
fn indexing_table() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    use DType::*;
    let (dm, fm, im) = (T::dmatrix("dm"), T::fmatrix("fm"), T::imatrix("im"));
    let (dv, iv, lv) = (T::dvector("dv"), T::ivector("iv"), T::lvector("lv"));
    let (ds, is, ls, bs) = (
        T::dscalar("ds"),
        T::iscalar("is"),
        T::lscalar("ls"),
        T::bscalar("bs"),
    );
    let (dr, dc) = (T::drow("dr"), T::dcol("dc"));
    let d3 = T::dtensor3("d3");
    let tff = input(Float64, &[true, false, false]);
    let ftf = input(Float64, &[false, true, false]);
    let one = int64_vec_const(&[1]);
    let idx2 = int64_vec_const(&[0, 1]);
    let table: Vec<(&str, Variable, &str)> = vec![
        // basic Subtensor
        (
            "matrix[0]",
            dm.at(0).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "matrix[iscalar]",
            dm.at(&is).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "ivector[lscalar]",
            iv.at(&ls).unwrap(),
            "TensorType(int32, scalar)",
        ),
        (
            "d3[1, :, 2]",
            d3.get(&[1.into(), Idx::all(), 2.into()]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "matrix[0:2]",
            dm.slice_rows(0, 2).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "row[a:b] loses broadcast",
            dr.slice_rows(&ls, &ls).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "row[:, 1]",
            dr.get(&[Idx::all(), 1.into()]).unwrap(),
            "TensorType(float64, (True,))",
        ),
        (
            "row[::2] keeps broadcast",
            dr.get(&[Idx::step(2)]).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "row[:, ::2]",
            dr.get(&[Idx::all(), Idx::step(&bs)]).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "col[:, :]",
            dc.get(&[Idx::all(), Idx::all()]).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "col[1:]",
            dc.get(&[Idx::start_at(1i64)]).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "col[:, 0:1] loses broadcast",
            dc.get(&[Idx::all(), Idx::range(0, 1)]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "vector[a:b:c] symbolic",
            dv.get(&[Idx::slice(
                Some(is.clone()),
                Some(ls.clone()),
                Some(bs.clone()),
            )])
            .unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "vector[:b]",
            dv.get(&[Idx::to(&is)]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "imatrix[ls, 0:3]",
            im.get(&[(&ls).into(), (0..3).into()]).unwrap(),
            "TensorType(int32, vector)",
        ),
        (
            "(T,F,F)[:, 0]",
            tff.get(&[Idx::all(), 0.into()]).unwrap(),
            "TensorType(float64, row)",
        ),
        // AdvancedSubtensor1: (ilist.broadcastable[0],) + x.broadcastable[1:]
        (
            "matrix[ivector]",
            dm.at(&iv).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "row[lvector]",
            dr.at(&lv).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "col[ivector]",
            dc.at(&iv).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "vector[ivector]",
            dv.at(&iv).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "matrix[[1]] (broadcastable index)",
            dm.at(&one).unwrap(),
            "TensorType(float64, row)",
        ),
        // AdvancedSubtensor: numpy placement, index-array dims never broadcastable
        (
            "matrix[ivector, ivector]",
            dm.get(&[(&iv).into(), (&iv).into()]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "matrix[[1], [1]]",
            dm.get(&[(&one).into(), (&one).into()]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "matrix[imatrix, ivector]",
            dm.get(&[(&im).into(), (&iv).into()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "vector[imatrix]",
            dv.at(&im).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "fmatrix[imatrix]",
            fm.at(&im).unwrap(),
            "TensorType(float32, 3D)",
        ),
        (
            "(T,F,F)[:, iv, iv] adjacent stays in place",
            tff.get(&[Idx::all(), (&iv).into(), (&iv).into()]).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "(F,T,F)[iv, :, iv] non-adjacent goes first",
            ftf.get(&[(&iv).into(), Idx::all(), (&iv).into()]).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "(F,T,F)[iv, iv] adjacent",
            ftf.get(&[(&iv).into(), (&iv).into()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "(F,T,F)[1, :, iv] scalar counts as advanced",
            ftf.get(&[1.into(), Idx::all(), (&iv).into()]).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "matrix[1, ivector]",
            dm.get(&[1.into(), (&iv).into()]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "col[:, ivector]",
            dc.get(&[Idx::all(), (&iv).into()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "matrix[[0,1], :]",
            dm.get(&[(&idx2).into(), Idx::all()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        // set_subtensor / inc_subtensor return x's type
        (
            "set matrix[0] = vector",
            T::set_subtensor(&dm.at(0).unwrap(), &dv).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "inc imatrix[0:1] += 1",
            T::inc_subtensor(&im.slice_rows(0, 1).unwrap(), 1).unwrap(),
            "TensorType(int32, matrix)",
        ),
        (
            "set vector[ivector] = 0.0",
            T::set_subtensor(&dv.at(&iv).unwrap(), 0.0).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "inc matrix[iv, iv] += ds",
            T::inc_subtensor(&dm.get(&[(&iv).into(), (&iv).into()]).unwrap(), &ds).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "inc fmatrix[0] += int8",
            T::inc_subtensor(&fm.at(0).unwrap(), &bs).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "set row[:, 1] = dscalar",
            T::set_subtensor(&dr.get(&[Idx::all(), 1.into()]).unwrap(), &ds).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "set row[0] = vector (Rebroadcast-free accept)",
            T::set_subtensor(&dr.at(0).unwrap(), &dv).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "inc col[:, 0] += vector",
            T::inc_subtensor(&dc.get(&[Idx::all(), 0.into()]).unwrap(), &dv).unwrap(),
            "TensorType(float64, col)",
        ),
    ];
    check(table);
}

/// Theano 1.0's elementwise catalogue, family by family: every builder on a scalar of each of
/// the 8 dtypes. The expected dtypes were printed by the real Theano 1.0.5 (`T.sin(x).dtype`
/// for `x = T.scalar(dtype=d)`, and likewise for each function, nnet's included).
#[test]
fn catalogue_families() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    use DType::*;
    const DTS: [DType; 8] = [Bool, UInt8, Int8, Int16, Int32, Int64, Float32, Float64];
    // upgrade_to_float: bool, uint8, int8, int16 -> float32; int32, int64 -> float64
    const TO_FLOAT: [DType; 8] = [
        Float32, Float32, Float32, Float32, Float64, Float64, Float32, Float64,
    ];
    type Unary = fn(&Variable) -> Variable;
    let float_family: Vec<(&str, Unary)> = vec![
        ("sin", |x| T::sin(x)),
        ("cos", |x| T::cos(x)),
        ("tan", |x| T::tan(x)),
        ("arcsin", |x| T::arcsin(x)),
        ("arccos", |x| T::arccos(x)),
        ("arctan", |x| T::arctan(x)),
        ("arctan2", |x| T::arctan2(x, x)),
        ("sinh", |x| T::sinh(x)),
        ("cosh", |x| T::cosh(x)),
        ("arcsinh", |x| T::arcsinh(x)),
        ("arccosh", |x| T::arccosh(x)),
        ("arctanh", |x| T::arctanh(x)),
        ("exp2", |x| T::exp2(x)),
        ("log2", |x| T::log2(x)),
        ("log10", |x| T::log10(x)),
        ("erf", |x| T::erf(x)),
        ("erfc", |x| T::erfc(x)),
        ("erfinv", |x| T::erfinv(x)),
        ("erfcinv", |x| T::erfcinv(x)),
        ("gamma", |x| T::gamma(x)),
        ("gammaln", |x| T::gammaln(x)),
        ("psi", |x| T::psi(x)),
        ("tri_gamma", |x| T::tri_gamma(x)),
        ("inv", |x| T::inv(x)),
        ("deg2rad", |x| T::deg2rad(x)),
        ("rad2deg", |x| T::rad2deg(x)),
        ("trunc", |x| T::trunc(x)),
        // nnet
        ("softsign", |x| T::softsign(x)),
        ("ultra_fast_sigmoid", |x| T::ultra_fast_sigmoid(x)),
        ("relu", |x| T::relu(x)),
        ("elu", |x| T::elu(x)),
        ("hard_sigmoid", |x| T::hard_sigmoid(x)),
        ("binary_crossentropy", |x| T::binary_crossentropy(x, x)),
    ];
    let bool_family: Vec<(&str, Unary)> =
        vec![("isnan", |x| T::isnan(x)), ("isinf", |x| T::isinf(x))];
    let mut table: Vec<(String, Variable, String)> = Vec::new();
    for (k, &d) in DTS.iter().enumerate() {
        let x = input(d, &[]);
        for (name, f) in &float_family {
            let want = TensorType::new(TO_FLOAT[k], &[]).unwrap().to_string();
            table.push((format!("{name} {d}"), f(&x), want));
        }
        for (name, f) in &bool_family {
            table.push((
                format!("{name} {d}"),
                f(&x),
                "TensorType(bool, scalar)".into(),
            ));
        }
        // sigmoid_binary_crossentropy: a bool target is refused (numpy's boolean subtract)
        match (T::sigmoid_binary_crossentropy(&x, &x), d.is_bool()) {
            (Ok(v), false) => {
                let want = TensorType::new(TO_FLOAT[k], &[]).unwrap().to_string();
                table.push((format!("sigmoid_binary_crossentropy {d}"), v, want))
            }
            (Err(e), true) => assert!(e.to_string().contains("boolean subtract"), "{e}"),
            (r, _) => panic!("sigmoid_binary_crossentropy {d}: {r:?}"),
        }
        // iround: int64 for floats, refused for discrete inputs ("only float type are supported")
        match (T::iround(&x), d.is_float()) {
            (Ok(v), true) => {
                table.push((format!("iround {d}"), v, "TensorType(int64, scalar)".into()))
            }
            (Err(e), false) => assert!(
                e.to_string().contains("only float type are supported"),
                "{e}"
            ),
            (r, _) => panic!("iround {d}: {r:?}"),
        }
    }
    // broadcast patterns follow the inputs, as for every elemwise op
    let fr = input(Float32, &[true, false]);
    let dm = input(Float64, &[false, false]);
    table.push((
        "arctan2 frow dmatrix".into(),
        T::arctan2(&fr, &dm),
        "TensorType(float64, matrix)".into(),
    ));
    table.push((
        "erf frow".into(),
        T::erf(&fr),
        "TensorType(float32, row)".into(),
    ));
    table.push((
        "isnan frow".into(),
        T::isnan(&fr),
        "TensorType(bool, row)".into(),
    ));
    check(
        table
            .iter()
            .map(|(a, v, w)| (a.as_str(), v.clone(), w.as_str()))
            .collect(),
    );
}

/// Python's negative axes: `-1` is the last axis, in every builder that takes an axis; an axis
/// outside `-ndim..ndim` is a typed error naming it and the rank.
#[test]
fn negative_axes_count_from_the_end() {
    let x = T::tensor3("x");
    let same = |a: Variable, b: Variable| {
        assert_eq!(a.ty(), b.ty());
        assert_eq!(
            a.owner().map(|n| n.op().clone()),
            b.owner().map(|n| n.op().clone())
        );
    };
    same(
        T::sum_axes(&x, Some(&[-1]), false).unwrap(),
        T::sum_axes(&x, Some(&[2]), false).unwrap(),
    );
    same(
        T::prod_axes(&x, Some(&[0, -2]), true).unwrap(),
        T::prod_axes(&x, Some(&[0, 1]), true).unwrap(),
    );
    same(
        T::max(&x, Some(&[-3]), false).unwrap(),
        T::max(&x, Some(&[0]), false).unwrap(),
    );
    same(
        T::argmin(&x, Some(&[-1]), false).unwrap(),
        T::argmin(&x, Some(&[2]), false).unwrap(),
    );
    assert_eq!(
        T::mean(&x, Some(&[-1]), false).unwrap().ty(),
        T::mean(&x, Some(&[2]), false).unwrap().ty()
    );
    same(
        T::concatenate(&[x.clone(), x.clone()], -1).unwrap(),
        T::concatenate(&[x.clone(), x.clone()], 2).unwrap(),
    );
    // stack's axis counts in the result, one dimension more
    assert_eq!(T::stack(&[x.clone(), x.clone()], -1).unwrap().ndim(), 4);
    let e = T::sum_axes(&x, Some(&[-4]), false).unwrap_err().to_string();
    assert!(e.contains("axis -4") && e.contains("3 dimensions"), "{e}");
    let e = T::var(&x, Some(&[3]), false).unwrap_err().to_string();
    assert!(e.contains("axis 3"), "{e}");
    let e = T::concatenate(&[x.clone(), x.clone()], -4)
        .unwrap_err()
        .to_string();
    assert!(e.contains("axis -4"), "{e}");
}

/// Dtype names as strings, as Theano takes them: `cast(x, "float32")`, `x.astype("int8")`,
/// `"floatX"`; an unknown name is a typed error naming it.
#[test]
fn dtype_names_as_strings() {
    let x = T::dvector("x");
    let f = T::cast(&x, "float32").unwrap();
    assert_eq!(f.ty(), T::cast(&x, DType::Float32).ty());
    assert_eq!(f.owner().unwrap().op().name(), "Elemwise{Cast{float32}}");
    assert_eq!(x.astype("int8").unwrap().dtype(), DType::Int8);
    assert_eq!(T::cast(&x, "floatX").unwrap().dtype(), float_x());
    // the same dtype is the variable itself, as with a DType
    assert_eq!(T::cast(&x, "float64").unwrap(), x);
    let e = T::cast(&x, "float31").unwrap_err().to_string();
    assert!(e.contains("\"float31\"") && e.contains("float32"), "{e}");
    let e = x.astype("double").unwrap_err().to_string();
    assert!(e.contains("\"double\""), "{e}");
}

/// Every builder that takes a dtype takes its name too (`eye`, `tri`, `zeros`, `ones`,
/// `sum_dtype`, `prod_dtype`, `cast`, `tensor`), and refuses an unknown one with a typed
/// error.
#[test]
fn dtype_names_in_every_dtype_builder() {
    let _g = lock();
    let n = T::lscalar("n");
    assert_eq!(
        T::eye(&n, None, 0i64, "int32").unwrap().dtype(),
        DType::Int32
    );
    assert_eq!(T::eye(&n, None, 0i64, None).unwrap().dtype(), float_x());
    assert_eq!(
        T::tri(&n, None, 0i64, "uint16").unwrap().dtype(),
        DType::UInt16
    );
    assert_eq!(
        T::tri(&n, None, 0i64, DType::Bool).unwrap().dtype(),
        DType::Bool
    );
    let x = T::dmatrix("x");
    assert_eq!(
        T::sum_dtype(&x, Some(&[-1]), false, "float32")
            .unwrap()
            .dtype(),
        DType::Float32
    );
    assert_eq!(
        T::prod_dtype(&x, None, false, None).unwrap().dtype(),
        DType::Float64
    );
    let z = T::zeros(&[2, 3], "int8").unwrap();
    assert_eq!(z.ty().to_string(), "TensorType(int8, matrix)");
    assert_eq!(T::ones(&[4], DType::UInt32).unwrap().dtype(), DType::UInt32);
    assert_eq!(T::ones(&[4], None).unwrap().dtype(), float_x());
    for e in [
        T::eye(&n, None, 0i64, "float8").unwrap_err(),
        T::tri(&n, None, 0i64, "float8").unwrap_err(),
        T::sum_dtype(&x, None, false, "float8").unwrap_err(),
        T::zeros(&[2], "float8").unwrap_err(),
    ] {
        let m = e.to_string();
        assert!(
            m.contains("unknown dtype \"float8\"") && m.contains("uint64"),
            "{m}"
        );
    }
}

/// The unary builds Theano 1.0.5 refuses (TypeError at build time): `neg`/`sgn` of a bool,
/// `round` of an integer. The `-` operator builds the negation anyway (Rust's `Neg` cannot
/// return an error); it fails at the call, as numpy's boolean negative does.
#[test]
fn theanos_refused_unary_builds() {
    let b = T::tensor("bool", &[false], "b").unwrap();
    let i = T::lvector("i");
    let msg = |r: theano_ir::Result<Variable>| r.unwrap_err().to_string();
    assert!(msg(T::neg(&b)).contains("bool input not supported"));
    assert!(msg(T::sgn(&b)).contains("bool"));
    for r in [T::round(&i), T::round_half_away_from_zero(&i)] {
        let m = msg(r);
        assert!(
            m.contains("only float type are supported") && m.contains("int64"),
            "{m}"
        );
    }
    // what Theano accepts still builds
    assert_eq!(T::neg(&i).unwrap().dtype(), DType::Int64);
    assert_eq!(T::sgn(&i).unwrap().dtype(), DType::Int64);
    assert_eq!(T::round(T::dvector("d")).unwrap().dtype(), DType::Float64);
    assert_eq!((-&b).dtype(), DType::Bool);
}

/// `cumsum`/`cumprod`, `sort`/`argsort`, `repeat`, `tile` and the nonzero family: types as
/// Theano 1.0.5 gives them (extra_ops.py's CumOp/RepeatOp make_node, sort.py, basic.py's
/// tile/Nonzero; checked against Theano 1.0.5), and the builds it refuses.
#[test]
fn extra_ops_and_sort_table() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    use DType::*;
    let dm = input(Float64, &[false, false]);
    let dr = input(Float64, &[true, false]);
    let dc = input(Float64, &[false, true]);
    let dv = input(Float64, &[false]);
    let fv = input(Float32, &[false]);
    let bm = input(Int8, &[false, false]);
    let lv = input(Int64, &[false]);
    let d3 = input(Float64, &[false, true, false]);
    let c = |v: i64| v.into_var();
    let table: Vec<(&str, Variable, &str)> = vec![
        (
            "cumsum row",
            T::cumsum(&dr, None).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "cumsum row 0",
            T::cumsum(&dr, Some(0)).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "cumprod col -1",
            T::cumprod(&dc, Some(-1)).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "cumsum int8 1",
            T::cumsum(&bm, Some(1)).unwrap(),
            "TensorType(int8, matrix)",
        ),
        (
            "cumprod float32",
            T::cumprod(&fv, None).unwrap(),
            "TensorType(float32, vector)",
        ),
        (
            "sort row",
            T::sort(&dr, Some(-1)).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "sort row None",
            T::sort(&dr, None).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "sort 3D 1",
            T::sort(&d3, Some(1)).unwrap(),
            "TensorType(float64, (False, True, False))",
        ),
        (
            "sort int64",
            T::sort(&lv, Some(0)).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "argsort col 0",
            T::argsort(&dc, Some(0)).unwrap(),
            "TensorType(int64, col)",
        ),
        (
            "argsort float32",
            T::argsort(&fv, None).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "tile row (1, 3)",
            T::tile(&dr, &[c(1), c(3)], None).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "tile row (2, 3)",
            T::tile(&dr, &[c(2), c(3)], None).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "tile col (1, 3)",
            T::tile(&dc, &[c(1), c(3)], None).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "tile vector (1, 3)",
            T::tile(&dv, &[c(1), c(3)], None).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "tile vector (3,)",
            T::tile(&dv, &[c(3)], None).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "tile 3D (1, 2, 1)",
            T::tile(&d3, &[c(1), c(2), c(1)], None).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "tile int8 ndim 3",
            T::tile(&bm, &[c(2)], Some(3)).unwrap(),
            "TensorType(int8, (True, False, False))",
        ),
        (
            "repeat row 2 0",
            T::repeat(&dr, 2i64, Some(0)).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "repeat row 1 0",
            T::repeat(&dr, 1i64, Some(0)).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "repeat row 2 1",
            T::repeat(&dr, 2i64, Some(1)).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "repeat row 2 None",
            T::repeat(&dr, 2i64, None).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "repeat matrix [2] 1",
            T::repeat(&dm, int64_vec_const(&[2]), Some(1)).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "repeat row [1 2 3] 1",
            T::repeat(&dr, int64_vec_const(&[1, 2, 3]), Some(1)).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "repeat col [1 2 3] 0",
            T::repeat(&dc, int64_vec_const(&[1, 2, 3]), Some(0)).unwrap(),
            "TensorType(float64, col)",
        ),
        (
            "repeat 3D 2 1",
            T::repeat(&d3, 2i64, Some(1)).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "repeat int8 lvector None",
            T::repeat(&bm, &lv, None).unwrap(),
            "TensorType(int8, vector)",
        ),
        (
            "nonzero row [0]",
            T::nonzero(&dr).unwrap().remove(0),
            "TensorType(int64, vector)",
        ),
        (
            "nonzero matrix",
            T::nonzero_matrix(&dr).unwrap(),
            "TensorType(int64, matrix)",
        ),
        (
            "flatnonzero col",
            T::flatnonzero(&dc).unwrap(),
            "TensorType(int64, vector)",
        ),
        (
            "nonzero_values row",
            T::nonzero_values(&dr).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "nonzero_values int8",
            T::nonzero_values(&bm).unwrap(),
            "TensorType(int8, vector)",
        ),
    ];
    check(table);

    // refused builds: a typed error naming the argument, what was expected and what was given
    let ds = input(Float64, &[]);
    let refused: Vec<(&str, theano_ir::Result<Variable>, &[&str])> = vec![
        (
            "cumsum axis 2",
            T::cumsum(&dm, Some(2)),
            &["CumOp", "axis(=2) out of bounds", "matrix"],
        ),
        (
            "cumprod axis -3",
            T::cumprod(&dm, Some(-3)),
            &["axis(=-3)", "-2..2"],
        ),
        (
            "sort axis 2",
            T::sort(&dm, Some(2)),
            &["sort", "axis 2", "2 dimensions"],
        ),
        (
            "argsort axis -3",
            T::argsort(&dm, Some(-3)),
            &["argsort", "axis -3"],
        ),
        (
            "sort scalar",
            T::sort(&ds, Some(0)),
            &["sort", "axis 0", "0 dimensions"],
        ),
        (
            "repeat float repeats",
            T::repeat(&dm, 2.0f64, Some(0)),
            &["repeat", "repeats must be integers", "float32"],
        ),
        (
            "repeat matrix repeats",
            T::repeat(&dm, &bm, Some(0)),
            &["repeat", "should not exceed 1", "int8, matrix"],
        ),
        (
            "repeat axis 2",
            T::repeat(&dm, 2i64, Some(2)),
            &["repeat", "axis 2"],
        ),
        (
            "RepeatOp axis 2",
            T::repeat(&dm, &lv, Some(2)),
            &["RepeatOp", "axis(=2) out of bounds"],
        ),
        (
            "tile float reps",
            T::tile(&dm, std::slice::from_ref(&ds), None),
            &["tile", "integer dtype", "float64, scalar"],
        ),
        (
            "tile ndim below x.ndim",
            T::tile(&dm, &[c(2)], Some(1)),
            &["tile", "ndim (1)", "x.ndim (2)"],
        ),
        (
            "tile reps longer than ndim",
            T::tile(&dv, &[c(2), c(2), c(2)], Some(2)),
            &["tile", "len(reps) (3)", "ndim (2)"],
        ),
        (
            "tile ndim 17",
            T::tile(&dv, &[c(2)], Some(17)),
            &["tile", "17 dimensions", "at most 32"],
        ),
        (
            "tile 17 reps",
            T::tile(&dv, &vec![c(2); 17], None),
            &["tile", "17 dimensions"],
        ),
        (
            "nonzero scalar",
            T::nonzero_matrix(&ds),
            &["Nonzero", "non-scalar", "scalar"],
        ),
        (
            "flatnonzero scalar",
            T::flatnonzero(&ds),
            &["flatnonzero", "non-scalar"],
        ),
        (
            "nonzero_values scalar",
            T::nonzero_values(&ds),
            &["flatnonzero", "non-scalar"],
        ),
    ];
    let mut bad = Vec::new();
    for (desc, r, want) in refused {
        match r {
            Ok(v) => bad.push(format!("{desc}: built {}", v.ty())),
            Err(e) => {
                let msg = e.to_string();
                for w in want {
                    if !msg.contains(w) {
                        bad.push(format!("{desc}: `{msg}` lacks `{w}`"));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // a symbolic sort axis must be an integer scalar
    let op = theano_ir::Op::Sort {
        kind: theano_ir::SortKind::Quicksort,
    };
    let e = T::apply_op(op, vec![dm.clone(), ds.clone()]).unwrap_err();
    assert!(
        e.to_string().contains("the axis must be an integer scalar"),
        "{e}"
    );
}

/// Theano's `get_scalar_constant_value` reads a broadcastable dimension's length as the
/// constant 1, through `Shape_i`, `Shape(x)[i]` (negative `i` too) and integer arithmetic, so
/// an `alloc` or `reshape` to such a length is broadcastable there (checked against Theano
/// 1.0.5: `T.alloc(v, r.shape[0], 3)` of a row `r` is a row).
#[test]
fn broadcastable_lengths_are_known_constants() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    let r = input(DType::Float64, &[true, false]);
    let v = input(DType::Float64, &[false]);
    let s = r.shape();
    let n3 = T::constant(3i64);
    let at = |i: i64| s.at(i).unwrap();
    let table: Vec<(&str, Variable, &str)> = vec![
        (
            "alloc to Shape(r)[0]",
            T::alloc(&v, &[at(0), n3.clone()]).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "alloc to Shape(r)[-2]",
            T::alloc(&v, &[at(-2), n3.clone()]).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "alloc to Shape(r)[1]",
            T::alloc(&v, &[at(1), n3.clone()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "alloc to Shape_i{0}(r) * 1",
            T::alloc(&v, &[&T::shape_i(&r, 0).unwrap() * 1i64, n3.clone()]).unwrap(),
            "TensorType(float64, row)",
        ),
        (
            "alloc to Shape_i{0}(r) * 2",
            T::alloc(&v, &[&T::shape_i(&r, 0).unwrap() * 2i64, n3.clone()]).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "reshape to Shape(r)",
            T::reshape(T::flatten(&r, 1).unwrap(), &s).unwrap(),
            "TensorType(float64, row)",
        ),
    ];
    check(table);
}

/// Theano 1.0.5's matrix constructions and generalized products (tensor/basic.py `Eye`,
/// `Tri`, `tril`, `triu`, `identity_like`, `ExtractDiag`, `AllocDiag`, `tensordot`;
/// tensor/blas.py `BatchedDot`; nnet.py `SoftmaxWithBias`): the output types, and the
/// refusals as typed errors naming the argument.
#[test]
fn matrix_ops_table() {
    let _g = lock();
    set_float_x(DType::Float64).unwrap();
    use DType::*;
    let (dm, fm, lm, im) = (
        T::dmatrix("dm"),
        T::fmatrix("fm"),
        T::lmatrix("lm"),
        T::imatrix("im"),
    );
    let (dv, fv, dr) = (T::dvector("dv"), T::fvector("fv"), T::drow("dr"));
    let (d3, f3) = (T::dtensor3("d3"), T::ftensor3("f3"));
    let ls = T::lscalar("ls");
    let btf = input(Float64, &[true, false, false]);
    let ftt = input(Float64, &[false, true, true]);
    let u8m = input(UInt8, &[false, false]);
    let table: Vec<(&str, Variable, &str)> = vec![
        // Eye{dtype}: (False, False) of the dtype, floatX by default
        (
            "eye 3",
            T::eye(3, None, 0, None).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "eye symbolic int32",
            T::eye(&ls, Some(ls.clone()), 1, Some(Int32)).unwrap(),
            "TensorType(int32, matrix)",
        ),
        (
            "eye of 1 is not broadcastable",
            T::eye(1, None, 0, Some(Float32)).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "tri bool",
            T::tri(2, None, 0, Some(Bool)).unwrap(),
            "TensorType(bool, matrix)",
        ),
        (
            "identity_like fmatrix",
            T::identity_like(&fm).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "identity_like row",
            T::identity_like(&dr).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "identity_like tensor3",
            T::identity_like(&d3).unwrap(),
            "TensorType(float64, matrix)",
        ),
        // tril = m * tri(dtype=m.dtype); triu = m * (int8 1 - tri): the upcast of int8 and m
        (
            "tril dmatrix",
            T::tril(&dm, 0).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "tril int32",
            T::tril(&im, -1).unwrap(),
            "TensorType(int32, matrix)",
        ),
        (
            "tril row",
            T::tril(&dr, 1).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "triu int64",
            T::triu(&lm, 2).unwrap(),
            "TensorType(int64, matrix)",
        ),
        (
            "triu uint8",
            T::triu(&u8m, 0).unwrap(),
            "TensorType(int16, matrix)",
        ),
        (
            "triu fmatrix",
            T::triu(&fm, 0).unwrap(),
            "TensorType(float32, matrix)",
        ),
        // ExtractDiag: ndim - 1, never broadcastable; AllocDiag: ndim + 1, never broadcastable
        (
            "diag vector",
            T::diag(&dv, 0).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "diag fvector k",
            T::diag(&fv, -2).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "diag matrix",
            T::diag(&dm, 1).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "diag row",
            T::diag(&dr, 0).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "diag int matrix",
            T::diag(&im, 0).unwrap(),
            "TensorType(int32, vector)",
        ),
        (
            "diag tensor3",
            T::diag(&d3, 0).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "diagonal tensor3 (True, False, False) axes 1, 2",
            T::diagonal(&btf, 0, 1, 2).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "diagonal negative axes",
            T::diagonal(&ftt, 0, -1, -2).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "trace",
            T::trace(&dm).unwrap(),
            "TensorType(float64, scalar)",
        ),
        (
            "trace int",
            T::trace(&im).unwrap(),
            "TensorType(int64, scalar)",
        ),
        (
            "x.trace() float32",
            fm.trace().unwrap(),
            "TensorType(float32, scalar)",
        ),
        // BatchedDot: (x.b[0] or y.b[0],) + x.b[1:-1] + y.b[2:], the upcast dtype
        (
            "batched_dot t3 t3",
            T::batched_dot(&d3, &d3).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "batched_dot m m",
            T::batched_dot(&dm, &dm).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "batched_dot t3 m",
            T::batched_dot(&d3, &dm).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "batched_dot m t3",
            T::batched_dot(&fm, &f3).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "batched_dot f3 d3 upcast",
            T::batched_dot(&f3, &d3).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "batched_dot broadcastable batch and rows",
            T::batched_dot(&btf, &ftt).unwrap(),
            "TensorType(float64, (True, False, True))",
        ),
        (
            "batched_dot int",
            T::batched_dot(&im, &lm).unwrap(),
            "TensorType(int64, vector)",
        ),
        // a vector operand: an elementwise product
        (
            "batched_dot v m",
            T::batched_dot(&dv, &dm).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "batched_dot v v",
            T::batched_dot(&fv, &fv).unwrap(),
            "TensorType(float32, vector)",
        ),
        // tensordot: a.shape[:-n] + b.shape[n:], broadcastable as the kept dimensions
        (
            "tensordot m m 1",
            T::tensordot(&dm, &dm, 1).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "tensordot t3 m 2",
            T::tensordot(&d3, &dm, 2).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "tensordot v v 0",
            T::tensordot(&dv, &fv, 0).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "tensordot pairs",
            T::tensordot(&d3, &dm, [[0, 2], [1, 0]]).unwrap(),
            "TensorType(float64, vector)",
        ),
        (
            "tensordot keeps a broadcastable kept dimension",
            T::tensordot(&btf, &dm, 1).unwrap(),
            "TensorType(float64, (True, False, False))",
        ),
        (
            "tensordot f32 f32",
            T::tensordot(&f3, &f3, 3).unwrap(),
            "TensorType(float32, scalar)",
        ),
        // dot of more than 2 dimensions: tensordot over a[-1] and b[-2]
        (
            "dot t3 m",
            T::dot(&d3, &dm).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "dot m t3",
            T::dot(&dm, &d3).unwrap(),
            "TensorType(float64, 3D)",
        ),
        (
            "dot t3 v",
            T::dot(&d3, &dv).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "dot t3 t3",
            T::dot(&d3, &f3).unwrap(),
            "TensorType(float64, 4D)",
        ),
        // SoftmaxWithBias: x's type
        (
            "softmax_with_bias",
            T::softmax_with_bias(&dm, &dv).unwrap(),
            "TensorType(float64, matrix)",
        ),
        (
            "softmax_with_bias float32 x, float64 b",
            T::softmax_with_bias(&fm, &dv).unwrap(),
            "TensorType(float32, matrix)",
        ),
        (
            "softmax_with_bias row",
            T::softmax_with_bias(&dr, &dv).unwrap(),
            "TensorType(float64, row)",
        ),
    ];
    check(table);

    // refusals: typed errors naming the argument, what was expected and what was given
    let msg = |r: theano_ir::Result<Variable>| r.unwrap_err().to_string();
    let e = msg(T::eye(2.5, None, 0, None));
    assert!(
        e.contains("n (rows) must be an integer scalar") && e.contains("float"),
        "{e}"
    );
    let e = msg(T::eye(2, Some(dv.clone()), 0, None));
    assert!(e.contains("m (columns) must be an integer scalar"), "{e}");
    let e = msg(T::tri(2, None, 0.5, None));
    assert!(
        e.contains("k (the diagonal) must be an integer scalar"),
        "{e}"
    );
    let e = msg(T::identity_like(&dv));
    assert!(
        e.contains("at least 2 dimensions") && e.contains("ndim 1"),
        "{e}"
    );
    let e = msg(T::tril(&dv, 0));
    assert!(e.contains("tril") && e.contains("ndim 1"), "{e}");
    let e = msg(T::triu(&dv, 0));
    assert!(e.contains("triu") && e.contains("ndim 1"), "{e}");
    let e = msg(T::diag(&ls, 0));
    assert!(
        e.contains("1 or more dimensions") && e.contains("ndim 0"),
        "{e}"
    );
    let e = msg(T::diagonal(&dv, 0, 0, 1));
    assert!(
        e.contains("2 or more dimensions") && e.contains("ndim 1"),
        "{e}"
    );
    let e = msg(T::diagonal(&dm, 0, 1, 1));
    assert!(e.contains("axis1 and axis2 must differ"), "{e}");
    let e = msg(T::diagonal(&dm, 0, 0, 2));
    assert!(e.contains("axis2=2 is out of range"), "{e}");
    let e = msg(T::diagonal(&dm, 0, -3, 1));
    assert!(e.contains("axis -3") && e.contains("2 dimensions"), "{e}");
    let e = msg(T::trace(&dv));
    assert!(
        e.contains("ExtractDiag") && e.contains("2 or more dimensions"),
        "{e}"
    );
    let e = msg(T::batched_dot(&ls, &dm));
    assert!(e.contains("a must have at least one (batch) axis"), "{e}");
    let e = msg(T::batched_dot(&dm, &ls));
    assert!(e.contains("b must have at least one (batch) axis"), "{e}");
    let d4 = T::dtensor4("d4");
    let e = msg(T::batched_dot(&d4, &dm));
    assert!(
        e.contains("more than 3 dimensions") && e.contains("ndim 4 and 2"),
        "{e}"
    );
    let e = msg(T::tensordot(&dm, &dv, 3));
    assert!(
        e.contains("axes can not be larger than the dimension of a (a.ndim=2, axes=3)"),
        "{e}"
    );
    let e = msg(T::tensordot(&dm, &dv, 2));
    assert!(e.contains("dimension of b (b.ndim=1, axes=2)"), "{e}");
    let e = msg(T::tensordot(
        &dm,
        &dm,
        T::TensordotAxes::Pairs(vec![0, 1], vec![0]),
    ));
    assert!(e.contains("same length"), "{e}");
    let e = msg(T::tensordot(&dm, &dm, [[2], [0]]));
    assert!(
        e.contains("axis 2 of a is out of range for a.ndim=2"),
        "{e}"
    );
    let e = msg(T::tensordot(&dm, &dm, [[0, -2], [0, 1]]));
    assert!(e.contains("axis 0 of a is repeated"), "{e}");
    let e = msg(T::softmax_with_bias(&dv, &dv));
    assert!(
        e.contains("x must be a 2-d tensor of floats") && e.contains("vector"),
        "{e}"
    );
    let e = msg(T::softmax_with_bias(&dm, &dm));
    assert!(e.contains("b must be a 1-d tensor of floats"), "{e}");
    let e = msg(T::softmax_with_bias(&lm, &dv));
    assert!(
        e.contains("x must be a 2-d tensor of floats") && e.contains("int64"),
        "{e}"
    );
    // the ops themselves, applied directly
    let e = T::apply_op(theano_ir::Op::BatchedDot, vec![d4.clone(), d3.clone()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("x (input 0) must have 2 or 3 dimensions"), "{e}");
    let e = T::apply_op(theano_ir::Op::BatchedDot, vec![f3.clone(), d3.clone()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("one dtype"), "{e}");
    let e = T::apply_op(
        theano_ir::Op::AllocDiag {
            offset: 0,
            axis1: 0,
            axis2: 2,
        },
        vec![dv.clone()],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("axis2=2 is out of range for 2 dimensions"),
        "{e}"
    );
    let _ = IntoVar::into_var(0i64);
}
