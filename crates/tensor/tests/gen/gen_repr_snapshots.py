"""Generate the body of tests/repr_snapshots.rs from numpy: python3 tests/gen/gen_repr_snapshots.py"""
import numpy as np
# (name, rust expr producing a Tensor, numpy array, mode)
F = "f64"
def ar(n, f):
    return f
cases = [
 ("f64_0d", "Tensor::from(5.0f64)", np.array(5.)),
 ("i64_0d_zero", "Tensor::from(0i64)", np.array(0)),
 ("i64_0d_neg", "Tensor::from(-1i64)", np.array(-1)),
 ("f32_0d", "Tensor::from(0.1f32)", np.array(0.1, dtype=np.float32)),
 ("i8_0d", "Tensor::from(-7i8)", np.array(-7, dtype=np.int8)),
 ("u8_0d", "Tensor::from(200u8)", np.array(200, dtype=np.uint8)),
 ("i16_0d", "Tensor::from(300i16)", np.array(300, dtype=np.int16)),
 ("i32_0d", "Tensor::from(-70000i32)", np.array(-70000, dtype=np.int32)),
 ("bool_0d", "Tensor::from(true)", np.array(True)),
 ("nan_0d", "Tensor::from(f64::NAN)", np.array(np.nan)),
 ("neginf_0d", "Tensor::from(f64::NEG_INFINITY)", np.array(-np.inf)),
 ("small_0d", "Tensor::from(1e-5f64)", np.array(1e-5)),
 ("f64_2x2", "Tensor::from([[11.0, 22.0], [33.0, 44.0]])", np.array([[11., 22.], [33., 44.]])),
 ("bool_1d", "Tensor::from([true, false])", np.array([True, False])),
 ("i8_1d", "Tensor::from([1i8, 2, 3])", np.array([1, 2, 3], dtype=np.int8)),
 ("u8_1d", "Tensor::from([0u8, 7, 255])", np.array([0, 7, 255], dtype=np.uint8)),
 ("i16_1d", "Tensor::from([-300i16, 2, 30000])", np.array([-300, 2, 30000], dtype=np.int16)),
 ("i32_1d", "Tensor::from([1i32, -2, 3])", np.array([1, -2, 3], dtype=np.int32)),
 ("i64_1d", "Tensor::from([i64::MIN, 0, i64::MAX])", np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max])),
 ("f32_1d", "Tensor::from([1.0f32, 2.0])", np.array([1., 2.], dtype=np.float32)),
 ("f32_tenth", "Tensor::from([0.1f32, 0.25, 3.0])", np.array([0.1, 0.25, 3.0], dtype=np.float32)),
 ("empty_1d_f64", "Tensor::zeros(DType::Float64, &[0])", np.zeros(0)),
 ("empty_1d_bool", "Tensor::zeros(DType::Bool, &[0])", np.zeros(0, dtype=bool)),
 ("empty_2d_f64", "Tensor::zeros(DType::Float64, &[0, 3])", np.zeros((0, 3))),
 ("empty_3d_i32", "Tensor::zeros(DType::Int32, &[2, 0, 3])", np.zeros((2, 0, 3), dtype=np.int32)),
 ("nan_inf", "Tensor::from([f64::NAN, 1.0, f64::NEG_INFINITY])", np.array([np.nan, 1., -np.inf])),
 ("nan_inf_only", "Tensor::from([f64::NAN, f64::INFINITY])", np.array([np.nan, np.inf])),
 ("nan_inf_sci", "Tensor::from([f64::NAN, 1e-7, f64::INFINITY, 2.5])", np.array([np.nan, 1e-7, np.inf, 2.5])),
 ("frac_pad", "Tensor::from([1.0, 0.25])", np.array([1., 0.25])),
 ("tenths", "Tensor::from([0.1, 1.5, -2.0])", np.array([0.1, 1.5, -2.0])),
 ("neg_zero", "Tensor::from([-0.0, 1.5])", np.array([-0.0, 1.5])),
 ("precision_cut", "Tensor::from([0.123456789123, 2.0 / 3.0])", np.array([0.123456789123, 2.0/3.0])),
 ("sci_small", "Tensor::from([1e-5, 1.5, 100.0])", np.array([1e-5, 1.5, 100.])),
 ("sci_unit", "Tensor::from([1e-5, 1e-6])", np.array([1e-5, 1e-6])),
 ("sci_big", "Tensor::from([1e8, 1.0])", np.array([1e8, 1.])),
 ("sci_exp3", "Tensor::from([1e100, 1e-5])", np.array([1e100, 1e-5])),
 ("sci_ratio", "Tensor::from([0.001, 5.0])", np.array([0.001, 5.0])),
 ("sci_f32", "Tensor::from([0.1f32, 1.2345e-5])", np.array([0.1, 1.2345e-5], dtype=np.float32)),
 ("f32_big", "Tensor::from([2e6f32, 3.0])", np.array([2e6, 3.], dtype=np.float32)),
 ("negatives", "Tensor::from([[-1.5, 2.25], [-3.0, 4.0]])", np.array([[-1.5, 2.25], [-3., 4.]])),
 ("wrap_f64", "Tensor::from((0..30).map(|i| i as f64 * 1.1).collect::<Vec<_>>())", np.arange(30) * 1.1),
 ("wrap_i8_dtype", "Tensor::from((0..30i8).map(|i| i.wrapping_mul(4)).collect::<Vec<_>>())", (np.arange(30, dtype=np.int8) * 4).astype(np.int8)),
 ("wrap_dtype_newline", "Tensor::from((0..21i32).map(|i| i * 100).collect::<Vec<_>>())", np.arange(21, dtype=np.int32) * 100),
 ("wrap_2d", "Tensor::from_shape_vec(&[2, 12], (0..24).map(|i| i as f64 / 7.0).collect::<Vec<_>>()).unwrap()", (np.arange(24) / 7.0).reshape(2, 12)),
 ("bool_2d", "Tensor::from([[true, false, true], [false, false, true]])", np.array([[True, False, True], [False, False, True]])),
 ("i64_3d", "Tensor::from_shape_vec(&[2, 3, 4], (0..24i64).collect::<Vec<_>>()).unwrap()", np.arange(24).reshape(2, 3, 4)),
 ("i16_3d", "Tensor::from_shape_vec(&[2, 2, 2], (0..8i16).map(|i| i * 1000 - 3000).collect::<Vec<_>>()).unwrap()", (np.arange(8, dtype=np.int16) * 1000 - 3000).reshape(2, 2, 2)),
 ("u8_3d", "Tensor::from([[[1u8, 2]], [[3, 4]]])", np.array([[[1, 2]], [[3, 4]]], dtype=np.uint8)),
 ("i32_3d", "Tensor::from([[[1i32], [-2]], [[3], [4]]])", np.array([[[1], [-2]], [[3], [4]]], dtype=np.int32)),
 ("i8_2d", "Tensor::from([[1i8, -2], [3, 4]])", np.array([[1, -2], [3, 4]], dtype=np.int8)),
 ("f32_3d", "Tensor::from([[[1.5f32, -2.0], [0.0, 8.25]]])", np.array([[[1.5, -2.], [0., 8.25]]], dtype=np.float32)),
 ("f64_3d", "Tensor::from([[[1e-3, 2.0]], [[3.0, 4.0]]])", np.array([[[1e-3, 2.]], [[3., 4.]]])),
 ("bool_3d", "Tensor::from([[[true], [false]]])", np.array([[[True], [False]]])),
 ("summ_f64", "Tensor::from((0..2000).map(|i| i as f64 * 0.5).collect::<Vec<_>>())", np.arange(2000) * 0.5),
 ("summ_i32_2d", "Tensor::from_shape_vec(&[30, 50], (0..1500i32).collect::<Vec<_>>()).unwrap()", np.arange(1500, dtype=np.int32).reshape(30, 50)),
 ("summ_u8_3d", "Tensor::from_shape_vec(&[11, 10, 10], (0..1100u32).map(|i| (i % 256) as u8).collect::<Vec<_>>()).unwrap()", (np.arange(1100) % 256).astype(np.uint8).reshape(11, 10, 10)),
 ("summ_bool", "Tensor::from((0..1001).map(|i| i % 3 == 0).collect::<Vec<_>>())", np.arange(1001) % 3 == 0),
]
def lit(s):
    h = "#"
    while '"' + h in s: h += "#"
    body = "\n".join(("                " + l) if l else "" for l in s.split("\n"))
    return f'r{h}"\n{body}\n            "{h}'
out = []
for name, rs, a in cases:
    out.append(f"""    #[test]
    fn {name}() {{
        check(
            &{rs},
            expect![[{lit(repr(a))}]],
            expect![[{lit(str(a))}]],
        );
    }}
""")
print("\n".join(out))
