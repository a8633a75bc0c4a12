//! Snapshot tests of numpy's `repr` and `str`; every expectation was produced by numpy 2.4
//! (`tests/gen/gen_repr_snapshots.py` prints the test bodies below).

use expect_test::{expect, Expect};
use theano_tensor::{DType, Tensor};

fn check(t: &Tensor, repr: Expect, str: Expect) {
    repr.assert_eq(&format!("{t:?}\n"));
    str.assert_eq(&format!("{}\n", t.to_numpy_str()));
}

#[test]
fn f64_0d() {
    check(
        &Tensor::from(5.0f64),
        expect![[r#"
            array(5.)
        "#]],
        expect![[r#"
            5.0
        "#]],
    );
}

#[test]
fn i64_0d_zero() {
    check(
        &Tensor::from(0i64),
        expect![[r#"
            array(0)
        "#]],
        expect![[r#"
            0
        "#]],
    );
}

#[test]
fn i64_0d_neg() {
    check(
        &Tensor::from(-1i64),
        expect![[r#"
            array(-1)
        "#]],
        expect![[r#"
            -1
        "#]],
    );
}

#[test]
fn f32_0d() {
    check(
        &Tensor::from(0.1f32),
        expect![[r#"
            array(0.1, dtype=float32)
        "#]],
        expect![[r#"
            0.1
        "#]],
    );
}

#[test]
fn i8_0d() {
    check(
        &Tensor::from(-7i8),
        expect![[r#"
            array(-7, dtype=int8)
        "#]],
        expect![[r#"
            -7
        "#]],
    );
}

#[test]
fn u8_0d() {
    check(
        &Tensor::from(200u8),
        expect![[r#"
            array(200, dtype=uint8)
        "#]],
        expect![[r#"
            200
        "#]],
    );
}

#[test]
fn i16_0d() {
    check(
        &Tensor::from(300i16),
        expect![[r#"
            array(300, dtype=int16)
        "#]],
        expect![[r#"
            300
        "#]],
    );
}

#[test]
fn i32_0d() {
    check(
        &Tensor::from(-70000i32),
        expect![[r#"
            array(-70000, dtype=int32)
        "#]],
        expect![[r#"
            -70000
        "#]],
    );
}

#[test]
fn bool_0d() {
    check(
        &Tensor::from(true),
        expect![[r#"
            array(True)
        "#]],
        expect![[r#"
            True
        "#]],
    );
}

#[test]
fn nan_0d() {
    check(
        &Tensor::from(f64::NAN),
        expect![[r#"
            array(nan)
        "#]],
        expect![[r#"
            nan
        "#]],
    );
}

#[test]
fn neginf_0d() {
    check(
        &Tensor::from(f64::NEG_INFINITY),
        expect![[r#"
            array(-inf)
        "#]],
        expect![[r#"
            -inf
        "#]],
    );
}

#[test]
fn small_0d() {
    check(
        &Tensor::from(1e-5f64),
        expect![[r#"
            array(1.e-05)
        "#]],
        expect![[r#"
            1e-05
        "#]],
    );
}

#[test]
fn f64_2x2() {
    check(
        &Tensor::from([[11.0, 22.0], [33.0, 44.0]]),
        expect![[r#"
            array([[11., 22.],
                   [33., 44.]])
        "#]],
        expect![[r#"
            [[11. 22.]
             [33. 44.]]
        "#]],
    );
}

#[test]
fn bool_1d() {
    check(
        &Tensor::from([true, false]),
        expect![[r#"
            array([ True, False])
        "#]],
        expect![[r#"
            [ True False]
        "#]],
    );
}

#[test]
fn i8_1d() {
    check(
        &Tensor::from([1i8, 2, 3]),
        expect![[r#"
            array([1, 2, 3], dtype=int8)
        "#]],
        expect![[r#"
            [1 2 3]
        "#]],
    );
}

#[test]
fn u8_1d() {
    check(
        &Tensor::from([0u8, 7, 255]),
        expect![[r#"
            array([  0,   7, 255], dtype=uint8)
        "#]],
        expect![[r#"
            [  0   7 255]
        "#]],
    );
}

#[test]
fn i16_1d() {
    check(
        &Tensor::from([-300i16, 2, 30000]),
        expect![[r#"
            array([ -300,     2, 30000], dtype=int16)
        "#]],
        expect![[r#"
            [ -300     2 30000]
        "#]],
    );
}

#[test]
fn i32_1d() {
    check(
        &Tensor::from([1i32, -2, 3]),
        expect![[r#"
            array([ 1, -2,  3], dtype=int32)
        "#]],
        expect![[r#"
            [ 1 -2  3]
        "#]],
    );
}

#[test]
fn i64_1d() {
    check(
        &Tensor::from([i64::MIN, 0, i64::MAX]),
        expect![[r#"
            array([-9223372036854775808,                    0,  9223372036854775807])
        "#]],
        expect![[r#"
            [-9223372036854775808                    0  9223372036854775807]
        "#]],
    );
}

#[test]
fn f32_1d() {
    check(
        &Tensor::from([1.0f32, 2.0]),
        expect![[r#"
            array([1., 2.], dtype=float32)
        "#]],
        expect![[r#"
            [1. 2.]
        "#]],
    );
}

#[test]
fn f32_tenth() {
    check(
        &Tensor::from([0.1f32, 0.25, 3.0]),
        expect![[r#"
            array([0.1 , 0.25, 3.  ], dtype=float32)
        "#]],
        expect![[r#"
            [0.1  0.25 3.  ]
        "#]],
    );
}

#[test]
fn empty_1d_f64() {
    check(
        &Tensor::zeros(DType::Float64, &[0]),
        expect![[r#"
            array([], dtype=float64)
        "#]],
        expect![[r#"
            []
        "#]],
    );
}

#[test]
fn empty_1d_bool() {
    check(
        &Tensor::zeros(DType::Bool, &[0]),
        expect![[r#"
            array([], dtype=bool)
        "#]],
        expect![[r#"
            []
        "#]],
    );
}

#[test]
fn empty_2d_f64() {
    check(
        &Tensor::zeros(DType::Float64, &[0, 3]),
        expect![[r#"
            array([], shape=(0, 3), dtype=float64)
        "#]],
        expect![[r#"
            []
        "#]],
    );
}

#[test]
fn empty_3d_i32() {
    check(
        &Tensor::zeros(DType::Int32, &[2, 0, 3]),
        expect![[r#"
            array([], shape=(2, 0, 3), dtype=int32)
        "#]],
        expect![[r#"
            []
        "#]],
    );
}

#[test]
fn nan_inf() {
    check(
        &Tensor::from([f64::NAN, 1.0, f64::NEG_INFINITY]),
        expect![[r#"
            array([ nan,   1., -inf])
        "#]],
        expect![[r#"
            [ nan   1. -inf]
        "#]],
    );
}

#[test]
fn nan_inf_only() {
    check(
        &Tensor::from([f64::NAN, f64::INFINITY]),
        expect![[r#"
            array([nan, inf])
        "#]],
        expect![[r#"
            [nan inf]
        "#]],
    );
}

#[test]
fn nan_inf_sci() {
    check(
        &Tensor::from([f64::NAN, 1e-7, f64::INFINITY, 2.5]),
        expect![[r#"
            array([    nan, 1.0e-07,     inf, 2.5e+00])
        "#]],
        expect![[r#"
            [    nan 1.0e-07     inf 2.5e+00]
        "#]],
    );
}

#[test]
fn frac_pad() {
    check(
        &Tensor::from([1.0, 0.25]),
        expect![[r#"
            array([1.  , 0.25])
        "#]],
        expect![[r#"
            [1.   0.25]
        "#]],
    );
}

#[test]
fn tenths() {
    check(
        &Tensor::from([0.1, 1.5, -2.0]),
        expect![[r#"
            array([ 0.1,  1.5, -2. ])
        "#]],
        expect![[r#"
            [ 0.1  1.5 -2. ]
        "#]],
    );
}

#[test]
fn neg_zero() {
    check(
        &Tensor::from([-0.0, 1.5]),
        expect![[r#"
            array([-0. ,  1.5])
        "#]],
        expect![[r#"
            [-0.   1.5]
        "#]],
    );
}

#[test]
fn precision_cut() {
    check(
        &Tensor::from([0.123456789123, 2.0 / 3.0]),
        expect![[r#"
            array([0.12345679, 0.66666667])
        "#]],
        expect![[r#"
            [0.12345679 0.66666667]
        "#]],
    );
}

#[test]
fn sci_small() {
    check(
        &Tensor::from([1e-5, 1.5, 100.0]),
        expect![[r#"
            array([1.0e-05, 1.5e+00, 1.0e+02])
        "#]],
        expect![[r#"
            [1.0e-05 1.5e+00 1.0e+02]
        "#]],
    );
}

#[test]
fn sci_unit() {
    check(
        &Tensor::from([1e-5, 1e-6]),
        expect![[r#"
            array([1.e-05, 1.e-06])
        "#]],
        expect![[r#"
            [1.e-05 1.e-06]
        "#]],
    );
}

#[test]
fn sci_big() {
    check(
        &Tensor::from([1e8, 1.0]),
        expect![[r#"
            array([1.e+08, 1.e+00])
        "#]],
        expect![[r#"
            [1.e+08 1.e+00]
        "#]],
    );
}

#[test]
fn sci_exp3() {
    check(
        &Tensor::from([1e100, 1e-5]),
        expect![[r#"
            array([1.e+100, 1.e-005])
        "#]],
        expect![[r#"
            [1.e+100 1.e-005]
        "#]],
    );
}

#[test]
fn sci_ratio() {
    check(
        &Tensor::from([0.001, 5.0]),
        expect![[r#"
            array([1.e-03, 5.e+00])
        "#]],
        expect![[r#"
            [1.e-03 5.e+00]
        "#]],
    );
}

#[test]
fn sci_f32() {
    check(
        &Tensor::from([0.1f32, 1.2345e-5]),
        expect![[r#"
            array([1.0000e-01, 1.2345e-05], dtype=float32)
        "#]],
        expect![[r#"
            [1.0000e-01 1.2345e-05]
        "#]],
    );
}

#[test]
fn f32_big() {
    check(
        &Tensor::from([2e6f32, 3.0]),
        expect![[r#"
            array([2.e+06, 3.e+00], dtype=float32)
        "#]],
        expect![[r#"
            [2.e+06 3.e+00]
        "#]],
    );
}

#[test]
fn negatives() {
    check(
        &Tensor::from([[-1.5, 2.25], [-3.0, 4.0]]),
        expect![[r#"
            array([[-1.5 ,  2.25],
                   [-3.  ,  4.  ]])
        "#]],
        expect![[r#"
            [[-1.5   2.25]
             [-3.    4.  ]]
        "#]],
    );
}

#[test]
fn wrap_f64() {
    check(
        &Tensor::from((0..30).map(|i| i as f64 * 1.1).collect::<Vec<_>>()),
        expect![[r#"
            array([ 0. ,  1.1,  2.2,  3.3,  4.4,  5.5,  6.6,  7.7,  8.8,  9.9, 11. ,
                   12.1, 13.2, 14.3, 15.4, 16.5, 17.6, 18.7, 19.8, 20.9, 22. , 23.1,
                   24.2, 25.3, 26.4, 27.5, 28.6, 29.7, 30.8, 31.9])
        "#]],
        expect![[r#"
            [ 0.   1.1  2.2  3.3  4.4  5.5  6.6  7.7  8.8  9.9 11.  12.1 13.2 14.3
             15.4 16.5 17.6 18.7 19.8 20.9 22.  23.1 24.2 25.3 26.4 27.5 28.6 29.7
             30.8 31.9]
        "#]],
    );
}

#[test]
fn wrap_i8_dtype() {
    check(
        &Tensor::from((0..30i8).map(|i| i.wrapping_mul(4)).collect::<Vec<_>>()),
        expect![[r#"
            array([  0,   4,   8,  12,  16,  20,  24,  28,  32,  36,  40,  44,  48,
                    52,  56,  60,  64,  68,  72,  76,  80,  84,  88,  92,  96, 100,
                   104, 108, 112, 116], dtype=int8)
        "#]],
        expect![[r#"
            [  0   4   8  12  16  20  24  28  32  36  40  44  48  52  56  60  64  68
              72  76  80  84  88  92  96 100 104 108 112 116]
        "#]],
    );
}

#[test]
fn wrap_dtype_newline() {
    check(
        &Tensor::from((0..21i32).map(|i| i * 100).collect::<Vec<_>>()),
        expect![[r#"
            array([   0,  100,  200,  300,  400,  500,  600,  700,  800,  900, 1000,
                   1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000],
                  dtype=int32)
        "#]],
        expect![[r#"
            [   0  100  200  300  400  500  600  700  800  900 1000 1100 1200 1300
             1400 1500 1600 1700 1800 1900 2000]
        "#]],
    );
}

#[test]
fn wrap_2d() {
    check(
        &Tensor::from_shape_vec(
            &[2, 12],
            (0..24).map(|i| i as f64 / 7.0).collect::<Vec<_>>(),
        )
        .unwrap(),
        expect![[r#"
            array([[0.        , 0.14285714, 0.28571429, 0.42857143, 0.57142857,
                    0.71428571, 0.85714286, 1.        , 1.14285714, 1.28571429,
                    1.42857143, 1.57142857],
                   [1.71428571, 1.85714286, 2.        , 2.14285714, 2.28571429,
                    2.42857143, 2.57142857, 2.71428571, 2.85714286, 3.        ,
                    3.14285714, 3.28571429]])
        "#]],
        expect![[r#"
            [[0.         0.14285714 0.28571429 0.42857143 0.57142857 0.71428571
              0.85714286 1.         1.14285714 1.28571429 1.42857143 1.57142857]
             [1.71428571 1.85714286 2.         2.14285714 2.28571429 2.42857143
              2.57142857 2.71428571 2.85714286 3.         3.14285714 3.28571429]]
        "#]],
    );
}

#[test]
fn bool_2d() {
    check(
        &Tensor::from([[true, false, true], [false, false, true]]),
        expect![[r#"
            array([[ True, False,  True],
                   [False, False,  True]])
        "#]],
        expect![[r#"
            [[ True False  True]
             [False False  True]]
        "#]],
    );
}

#[test]
fn i64_3d() {
    check(
        &Tensor::from_shape_vec(&[2, 3, 4], (0..24i64).collect::<Vec<_>>()).unwrap(),
        expect![[r#"
            array([[[ 0,  1,  2,  3],
                    [ 4,  5,  6,  7],
                    [ 8,  9, 10, 11]],

                   [[12, 13, 14, 15],
                    [16, 17, 18, 19],
                    [20, 21, 22, 23]]])
        "#]],
        expect![[r#"
            [[[ 0  1  2  3]
              [ 4  5  6  7]
              [ 8  9 10 11]]

             [[12 13 14 15]
              [16 17 18 19]
              [20 21 22 23]]]
        "#]],
    );
}

#[test]
fn i16_3d() {
    check(
        &Tensor::from_shape_vec(
            &[2, 2, 2],
            (0..8i16).map(|i| i * 1000 - 3000).collect::<Vec<_>>(),
        )
        .unwrap(),
        expect![[r#"
            array([[[-3000, -2000],
                    [-1000,     0]],

                   [[ 1000,  2000],
                    [ 3000,  4000]]], dtype=int16)
        "#]],
        expect![[r#"
            [[[-3000 -2000]
              [-1000     0]]

             [[ 1000  2000]
              [ 3000  4000]]]
        "#]],
    );
}

#[test]
fn u8_3d() {
    check(
        &Tensor::from([[[1u8, 2]], [[3, 4]]]),
        expect![[r#"
            array([[[1, 2]],

                   [[3, 4]]], dtype=uint8)
        "#]],
        expect![[r#"
            [[[1 2]]

             [[3 4]]]
        "#]],
    );
}

#[test]
fn i32_3d() {
    check(
        &Tensor::from([[[1i32], [-2]], [[3], [4]]]),
        expect![[r#"
            array([[[ 1],
                    [-2]],

                   [[ 3],
                    [ 4]]], dtype=int32)
        "#]],
        expect![[r#"
            [[[ 1]
              [-2]]

             [[ 3]
              [ 4]]]
        "#]],
    );
}

#[test]
fn i8_2d() {
    check(
        &Tensor::from([[1i8, -2], [3, 4]]),
        expect![[r#"
            array([[ 1, -2],
                   [ 3,  4]], dtype=int8)
        "#]],
        expect![[r#"
            [[ 1 -2]
             [ 3  4]]
        "#]],
    );
}

#[test]
fn f32_3d() {
    check(
        &Tensor::from([[[1.5f32, -2.0], [0.0, 8.25]]]),
        expect![[r#"
            array([[[ 1.5 , -2.  ],
                    [ 0.  ,  8.25]]], dtype=float32)
        "#]],
        expect![[r#"
            [[[ 1.5  -2.  ]
              [ 0.    8.25]]]
        "#]],
    );
}

#[test]
fn f64_3d() {
    check(
        &Tensor::from([[[1e-3, 2.0]], [[3.0, 4.0]]]),
        expect![[r#"
            array([[[1.e-03, 2.e+00]],

                   [[3.e+00, 4.e+00]]])
        "#]],
        expect![[r#"
            [[[1.e-03 2.e+00]]

             [[3.e+00 4.e+00]]]
        "#]],
    );
}

#[test]
fn bool_3d() {
    check(
        &Tensor::from([[[true], [false]]]),
        expect![[r#"
            array([[[ True],
                    [False]]])
        "#]],
        expect![[r#"
            [[[ True]
              [False]]]
        "#]],
    );
}

#[test]
fn summ_f64() {
    check(
        &Tensor::from((0..2000).map(|i| i as f64 * 0.5).collect::<Vec<_>>()),
        expect![[r#"
            array([0.000e+00, 5.000e-01, 1.000e+00, ..., 9.985e+02, 9.990e+02,
                   9.995e+02], shape=(2000,))
        "#]],
        expect![[r#"
            [0.000e+00 5.000e-01 1.000e+00 ... 9.985e+02 9.990e+02 9.995e+02]
        "#]],
    );
}

#[test]
fn summ_i32_2d() {
    check(
        &Tensor::from_shape_vec(&[30, 50], (0..1500i32).collect::<Vec<_>>()).unwrap(),
        expect![[r#"
            array([[   0,    1,    2, ...,   47,   48,   49],
                   [  50,   51,   52, ...,   97,   98,   99],
                   [ 100,  101,  102, ...,  147,  148,  149],
                   ...,
                   [1350, 1351, 1352, ..., 1397, 1398, 1399],
                   [1400, 1401, 1402, ..., 1447, 1448, 1449],
                   [1450, 1451, 1452, ..., 1497, 1498, 1499]],
                  shape=(30, 50), dtype=int32)
        "#]],
        expect![[r#"
            [[   0    1    2 ...   47   48   49]
             [  50   51   52 ...   97   98   99]
             [ 100  101  102 ...  147  148  149]
             ...
             [1350 1351 1352 ... 1397 1398 1399]
             [1400 1401 1402 ... 1447 1448 1449]
             [1450 1451 1452 ... 1497 1498 1499]]
        "#]],
    );
}

#[test]
fn summ_u8_3d() {
    check(
        &Tensor::from_shape_vec(
            &[11, 10, 10],
            (0..1100u32).map(|i| (i % 256) as u8).collect::<Vec<_>>(),
        )
        .unwrap(),
        expect![[r#"
            array([[[  0,   1,   2, ...,   7,   8,   9],
                    [ 10,  11,  12, ...,  17,  18,  19],
                    [ 20,  21,  22, ...,  27,  28,  29],
                    ...,
                    [ 70,  71,  72, ...,  77,  78,  79],
                    [ 80,  81,  82, ...,  87,  88,  89],
                    [ 90,  91,  92, ...,  97,  98,  99]],

                   [[100, 101, 102, ..., 107, 108, 109],
                    [110, 111, 112, ..., 117, 118, 119],
                    [120, 121, 122, ..., 127, 128, 129],
                    ...,
                    [170, 171, 172, ..., 177, 178, 179],
                    [180, 181, 182, ..., 187, 188, 189],
                    [190, 191, 192, ..., 197, 198, 199]],

                   [[200, 201, 202, ..., 207, 208, 209],
                    [210, 211, 212, ..., 217, 218, 219],
                    [220, 221, 222, ..., 227, 228, 229],
                    ...,
                    [ 14,  15,  16, ...,  21,  22,  23],
                    [ 24,  25,  26, ...,  31,  32,  33],
                    [ 34,  35,  36, ...,  41,  42,  43]],

                   ...,

                   [[ 32,  33,  34, ...,  39,  40,  41],
                    [ 42,  43,  44, ...,  49,  50,  51],
                    [ 52,  53,  54, ...,  59,  60,  61],
                    ...,
                    [102, 103, 104, ..., 109, 110, 111],
                    [112, 113, 114, ..., 119, 120, 121],
                    [122, 123, 124, ..., 129, 130, 131]],

                   [[132, 133, 134, ..., 139, 140, 141],
                    [142, 143, 144, ..., 149, 150, 151],
                    [152, 153, 154, ..., 159, 160, 161],
                    ...,
                    [202, 203, 204, ..., 209, 210, 211],
                    [212, 213, 214, ..., 219, 220, 221],
                    [222, 223, 224, ..., 229, 230, 231]],

                   [[232, 233, 234, ..., 239, 240, 241],
                    [242, 243, 244, ..., 249, 250, 251],
                    [252, 253, 254, ...,   3,   4,   5],
                    ...,
                    [ 46,  47,  48, ...,  53,  54,  55],
                    [ 56,  57,  58, ...,  63,  64,  65],
                    [ 66,  67,  68, ...,  73,  74,  75]]],
                  shape=(11, 10, 10), dtype=uint8)
        "#]],
        expect![[r#"
            [[[  0   1   2 ...   7   8   9]
              [ 10  11  12 ...  17  18  19]
              [ 20  21  22 ...  27  28  29]
              ...
              [ 70  71  72 ...  77  78  79]
              [ 80  81  82 ...  87  88  89]
              [ 90  91  92 ...  97  98  99]]

             [[100 101 102 ... 107 108 109]
              [110 111 112 ... 117 118 119]
              [120 121 122 ... 127 128 129]
              ...
              [170 171 172 ... 177 178 179]
              [180 181 182 ... 187 188 189]
              [190 191 192 ... 197 198 199]]

             [[200 201 202 ... 207 208 209]
              [210 211 212 ... 217 218 219]
              [220 221 222 ... 227 228 229]
              ...
              [ 14  15  16 ...  21  22  23]
              [ 24  25  26 ...  31  32  33]
              [ 34  35  36 ...  41  42  43]]

             ...

             [[ 32  33  34 ...  39  40  41]
              [ 42  43  44 ...  49  50  51]
              [ 52  53  54 ...  59  60  61]
              ...
              [102 103 104 ... 109 110 111]
              [112 113 114 ... 119 120 121]
              [122 123 124 ... 129 130 131]]

             [[132 133 134 ... 139 140 141]
              [142 143 144 ... 149 150 151]
              [152 153 154 ... 159 160 161]
              ...
              [202 203 204 ... 209 210 211]
              [212 213 214 ... 219 220 221]
              [222 223 224 ... 229 230 231]]

             [[232 233 234 ... 239 240 241]
              [242 243 244 ... 249 250 251]
              [252 253 254 ...   3   4   5]
              ...
              [ 46  47  48 ...  53  54  55]
              [ 56  57  58 ...  63  64  65]
              [ 66  67  68 ...  73  74  75]]]
        "#]],
    );
}

#[test]
fn summ_bool() {
    check(
        &Tensor::from((0..1001).map(|i| i % 3 == 0).collect::<Vec<_>>()),
        expect![[r#"
            array([ True, False, False, ..., False,  True, False], shape=(1001,))
        "#]],
        expect![[r#"
            [ True False False ... False  True False]
        "#]],
    );
}
