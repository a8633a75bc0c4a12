//! The native `Alloc` kernel against the interpreter: scalar, row, column and full values,
//! zero-size shapes, a transposed value, every shape-entry integer dtype; and its refusals.

use theano_ir::{Op, TensorType};
use theano_jit::{native_kernel, JitError, View};
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{DType, Tensor};

fn run(value: &Tensor, dims: &[Tensor], out_bc: &[bool]) -> Result<Tensor, JitError> {
    let mut types = vec![TensorType::new(value.dtype(), &vec![false; value.ndim()]).unwrap()];
    types.extend(
        dims.iter()
            .map(|d| TensorType::new(d.dtype(), &[]).unwrap()),
    );
    let out_t = TensorType::new(value.dtype(), out_bc).unwrap();
    let k = native_kernel(&Op::Alloc, &types, &[out_t]).expect("Alloc is lowered");
    let mut views = vec![View::of(value).unwrap()];
    views.extend(dims.iter().map(|d| View::of(d).unwrap()));
    let shape = k.out_shape(&views)?;
    let out = Tensor::zeros(value.dtype(), shape.as_slice());
    let ov = View::of(&out).unwrap();
    assert!(out.is_empty() || ov.is_c_contiguous());
    // SAFETY: out_shape accepted the inputs; `out` is a fresh C-contiguous array of that shape.
    unsafe { k.run(&views, &ov) };
    Ok(out)
}

fn interp(value: &Tensor, dims: &[Tensor], out_bc: &[bool]) -> Result<Tensor, String> {
    let mut ins = vec![value];
    ins.extend(dims.iter());
    theano_interp::perform(
        &Op::Alloc,
        &ins,
        &[TensorType::new(value.dtype(), out_bc).unwrap()],
    )
    .map(|mut v| v.remove(0))
    .map_err(|e| e.to_string())
}

fn dims(d: &[i64], dt: DType) -> Vec<Tensor> {
    d.iter().map(|&n| Tensor::from(n).cast(dt)).collect()
}

#[test]
fn alloc_matches_the_interpreter() {
    let m = Tensor::from_shape_vec(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    // a Fortran-ordered (transposed) value
    let mt = Tensor::from(
        ArrayD::from_shape_vec(IxDyn(&[3, 2]), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
            .unwrap()
            .reversed_axes(),
    );
    assert!(!View::of(&mt).unwrap().is_c_contiguous());
    let cases: Vec<(Tensor, Vec<i64>)> = vec![
        (Tensor::from(0.5), vec![4, 3]),
        (Tensor::from(7i32), vec![5]),
        (Tensor::from(vec![1.0f32, 2.0, 3.0]), vec![2, 3]),
        (
            Tensor::from_shape_vec(&[2, 1], vec![1i64, 2]).unwrap(),
            vec![3, 2, 4],
        ),
        (m.clone(), vec![2, 3]),
        (m.clone(), vec![4, 2, 3]),
        (mt, vec![2, 2, 3]),
        (Tensor::from(1.5), vec![0, 3]),
        (Tensor::from(true), vec![3]),
    ];
    for (value, shape) in &cases {
        for dt in [DType::Int64, DType::Int32, DType::Int8, DType::UInt8] {
            let ds = dims(shape, dt);
            let bc = vec![false; shape.len()];
            let got = run(value, &ds, &bc).unwrap();
            let want = interp(value, &ds, &bc).unwrap();
            assert_eq!(got, want, "value {value:?} shape {shape:?} ({dt} entries)");
        }
    }
}

#[test]
fn alloc_refusals_are_typed() {
    let v = Tensor::from(vec![1.0, 2.0, 3.0]);
    // does not broadcast
    let e = run(&v, &dims(&[2, 4], DType::Int64), &[false, false]).unwrap_err();
    assert!(
        matches!(e, JitError::Args(ref m) if m.contains("broadcast")),
        "{e}"
    );
    assert!(interp(&v, &dims(&[2, 4], DType::Int64), &[false, false]).is_err());
    // negative dimension
    let e = run(&v, &dims(&[-1, 3], DType::Int64), &[false, false]).unwrap_err();
    assert!(
        matches!(e, JitError::Args(ref m) if m.contains("negative")),
        "{e}"
    );
    // too large
    let e = run(&v, &dims(&[1 << 40, 1 << 40, 3], DType::Int64), &[false; 3]).unwrap_err();
    assert!(
        matches!(e, JitError::Args(ref m) if m.contains("too large")),
        "{e}"
    );
}
