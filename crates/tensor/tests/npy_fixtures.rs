//! `.npy` interop with numpy: fixtures in `tests/fixtures/npy/` were written by numpy 2.4
//! (`tests/gen/gen_npy_fixtures.py`).

use std::path::PathBuf;
use theano_tensor::{DType, Tensor, TensorError};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/npy")
        .join(name)
}

/// The values the generator script stores (same formulas).
fn expected(dtype: DType, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    match dtype {
        DType::Float64 | DType::Float32 => {
            Tensor::from_f64_vec(dtype, shape, (0..n).map(|i| i as f64 * 0.5 - 3.0).collect())
                .unwrap()
        }
        DType::Bool => Tensor::from_shape_vec(shape, (0..n).map(|i| i % 3 == 0).collect()).unwrap(),
        _ => Tensor::from_shape_vec(shape, (0..n as i64).map(|i| i * 3 - 10).collect())
            .unwrap()
            .cast(dtype),
    }
}

const SHAPES: [&[usize]; 4] = [&[], &[5], &[2, 3], &[2, 3, 4]];

#[test]
fn reads_numpy_files_of_every_dtype_and_rank() {
    for dt in DType::ALL {
        for (rank, shape) in SHAPES.iter().enumerate() {
            let t = Tensor::load_npy(fixture(&format!("{dt}_{rank}d.npy"))).unwrap();
            assert_eq!(t, expected(dt, shape), "{dt} rank {rank}");
        }
    }
}

#[test]
fn writes_byte_identical_to_numpy_save() {
    for dt in DType::ALL {
        for (rank, shape) in SHAPES.iter().enumerate() {
            let want = std::fs::read(fixture(&format!("{dt}_{rank}d.npy"))).unwrap();
            assert_eq!(expected(dt, shape).to_npy_bytes(), want, "{dt} rank {rank}");
        }
    }
}

#[test]
fn fortran_order_big_endian_and_v2() {
    let t = Tensor::load_npy(fixture("fortran_f64_2d.npy")).unwrap();
    assert_eq!(t, expected(DType::Float64, &[2, 3]));
    assert!(t.as_array::<f64>().unwrap().is_standard_layout());
    let t = Tensor::load_npy(fixture("fortran_i16_3d.npy")).unwrap();
    assert_eq!(t, expected(DType::Int16, &[2, 3, 4]));
    let t = Tensor::load_npy(fixture("big_f8_2d.npy")).unwrap();
    assert_eq!(t, expected(DType::Float64, &[2, 3]));
    let t = Tensor::load_npy(fixture("big_i4_1d.npy")).unwrap();
    assert_eq!(t, expected(DType::Int32, &[5]));
    let t = Tensor::load_npy(fixture("big_u8_1d.npy")).unwrap();
    assert_eq!(t, expected(DType::UInt64, &[5]));
    let t = Tensor::load_npy(fixture("big_f4_fortran_2d.npy")).unwrap();
    assert_eq!(t, expected(DType::Float32, &[2, 3]));
    let t = Tensor::load_npy(fixture("v2_i64_2d.npy")).unwrap();
    assert_eq!(t, expected(DType::Int64, &[2, 3]));
}

#[test]
fn unsupported_files_are_clear_errors() {
    for (name, needle) in [
        (
            "complex128.npy",
            "complex dtypes are not supported: descr \"<c16\"",
        ),
        (
            "unicode.npy",
            "string dtypes are not supported: descr \"<U2\"",
        ),
        (
            "object.npy",
            "object arrays are not supported: descr \"|O\"",
        ),
        ("structured.npy", "structured dtypes are not supported"),
    ] {
        match Tensor::load_npy(fixture(name)) {
            Err(TensorError::Npy(m)) => {
                assert!(m.contains(needle), "{name}: {m}");
                assert!(m.contains(name), "{name}: error names the file: {m}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    let e = Tensor::load_npy(fixture("does_not_exist.npy")).unwrap_err();
    assert!(matches!(e, TensorError::Io(_)), "{e}");
}

#[test]
fn save_and_load_files() {
    let dir = std::env::temp_dir().join(format!("theano-tensor-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for dt in DType::ALL {
        let t = expected(dt, &[3, 1, 2]);
        let p = dir.join(format!("{dt}.npy"));
        t.save_npy(&p).unwrap();
        assert_eq!(Tensor::load_npy(&p).unwrap(), t);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
