//! Every error class, with its exact message.

mod common;

use common::*;
use expect_test::{expect, Expect};
use theano_interp::{perform, PerformError};
use theano_ir::{AdvEntry, CustomOp, CustomRef, IdxEntry, Op, ReduceKind, ScalarOp, TensorType};
use theano_tensor::{DType, Tensor};

#[track_caller]
fn err(op: &Op, ins: &[&Tensor], want: Expect) -> PerformError {
    err_typed(op, ins, &[], want)
}

#[track_caller]
fn err_typed(op: &Op, ins: &[&Tensor], types: &[TensorType], want: Expect) -> PerformError {
    let e = check_err_typed(op, ins, types, "");
    want.assert_eq(&e.to_string());
    e
}

fn slice_all() -> IdxEntry {
    IdxEntry::Slice {
        start: None,
        stop: None,
        step: None,
    }
}

#[test]
fn elemwise_broadcast_mismatch() {
    let x = af(DType::Float64, &[2, 3], &[0.0; 6]);
    let y = af(DType::Float64, &[4], &[0.0; 4]);
    let e = err(
        &Op::elemwise(ScalarOp::Add),
        &[&x, &y],
        expect![[
            r#"Elemwise{add,no_inplace}: shape mismatch: cannot broadcast (2, 3) with (4,) (input shapes (2, 3), (4,))"#
        ]],
    );
    assert!(matches!(e, PerformError::Shape { .. }));
    assert_eq!(e.op(), "Elemwise{add,no_inplace}");
}

#[test]
fn elemwise_broadcastable_dim_not_one() {
    // the type says row (1, n), the values give (3, n)
    let x = af(DType::Float64, &[3, 2], &[0.0; 6]);
    let y = af(DType::Float64, &[1, 2], &[0.0; 2]);
    err_typed(
        &Op::elemwise(ScalarOp::Mul),
        &[&x, &y],
        &[TensorType::row(DType::Float64)],
        expect![[
            r#"Elemwise{mul,no_inplace}: broadcastable dimension 0 has length 3 (result shape (3, 2), type TensorType(float64, row))"#
        ]],
    );
}

#[test]
fn elemwise_negative_integer_power() {
    let x = ai(DType::Int32, &[2], &[2, 3]);
    let y = ai(DType::Int32, &[2], &[1, -1]);
    let e = err(
        &Op::elemwise(ScalarOp::Pow),
        &[&x, &y],
        expect![[
            r#"Elemwise{pow,no_inplace}: Integers to negative integer powers are not allowed."#
        ]],
    );
    assert!(matches!(e, PerformError::Value { .. }));
}

#[test]
fn elemwise_bool_subtract() {
    let x = ab(&[1], &[true]);
    err(
        &Op::elemwise(ScalarOp::Sub),
        &[&x, &x],
        expect![[
            r#"Elemwise{sub,no_inplace}: numpy boolean subtract, the `-` operator, is not supported; use xor or invert"#
        ]],
    );
    err(
        &Op::elemwise(ScalarOp::Neg),
        &[&x],
        expect![[
            r#"Elemwise{neg,no_inplace}: numpy boolean negative, the `-` operator, is not supported; use xor or invert"#
        ]],
    );
}

#[test]
fn elemwise_arity_and_dtype() {
    let x = af(DType::Float64, &[1], &[0.0]);
    err(
        &Op::elemwise(ScalarOp::Sub),
        &[&x],
        expect![[r#"Elemwise{sub,no_inplace}: sub takes 2 inputs, got 1"#]],
    );
    err(
        &Op::elemwise(ScalarOp::And),
        &[&x, &x],
        expect![[r#"Elemwise{and_,no_inplace}: and_ needs integer or bool inputs, got float64"#]],
    );
}

#[test]
fn reduce_errors() {
    let x = af(DType::Float64, &[0, 3], &[]);
    let e = err(
        &Op::Reduce {
            kind: ReduceKind::Max,
            axes: Some(vec![0]),
            dtype: None,
        },
        &[&x],
        expect![[
            r#"Max{axis=[0]}: zero-size array to reduction operation maximum which has no identity (shape (0, 3), axes [0])"#
        ]],
    );
    assert!(matches!(e, PerformError::Value { .. }));
    err(
        &Op::Reduce {
            kind: ReduceKind::Min,
            axes: None,
            dtype: None,
        },
        &[&x],
        expect![[
            r#"Min: zero-size array to reduction operation minimum which has no identity (shape (0, 3), axes [0, 1])"#
        ]],
    );
    err_typed(
        &Op::Reduce {
            kind: ReduceKind::Sum,
            axes: Some(vec![2]),
            dtype: None,
        },
        &[&x],
        &[TensorType::vector(DType::Float64)],
        expect![[r#"Sum{axis=[2]}: axis 2 is out of bounds for array of dimension 2"#]],
    );
    err(
        &Op::MaxAndArgmax { axes: vec![0] },
        &[&x],
        expect![[
            r#"MaxAndArgmax{axis=(0,)}: attempt to get argmax of an empty sequence (shape (0, 3), axes [0])"#
        ]],
    );
}

#[test]
fn dot_not_aligned() {
    let a = af(DType::Float64, &[2, 3], &[0.0; 6]);
    let b = af(DType::Float64, &[4], &[0.0; 4]);
    let e = err(
        &Op::Dot,
        &[&a, &b],
        expect![[r#"dot: shapes (2, 3) and (4,) not aligned: 3 (dim 1) != 4 (dim 0)"#]],
    );
    assert!(matches!(e, PerformError::Shape { .. }));
    let c = af(DType::Float64, &[3], &[0.0; 3]);
    err(
        &Op::Dot,
        &[&b, &c],
        expect![[r#"dot: shapes (4,) and (3,) not aligned: 4 (dim 0) != 3 (dim 0)"#]],
    );
}

#[test]
fn reshape_errors() {
    let x = af(DType::Float64, &[2, 3], &[0.0; 6]);
    let e = err(
        &Op::Reshape { ndim: 1 },
        &[&x, &ai(DType::Int64, &[1], &[4])],
        expect![[r#"Reshape{1}: cannot reshape 6 elements (shape (2, 3)) into (4,)"#]],
    );
    assert!(matches!(e, PerformError::Shape { .. }));
    err(
        &Op::Reshape { ndim: 2 },
        &[&x, &ai(DType::Int64, &[2], &[-1, -1])],
        expect![[r#"Reshape{2}: can only specify one unknown dimension (-1), got (-1, -1)"#]],
    );
    err(
        &Op::Reshape { ndim: 2 },
        &[&x, &ai(DType::Int64, &[2], &[-1, 4])],
        expect![[r#"Reshape{2}: cannot reshape 6 elements (shape (2, 3)) into (-1, 4)"#]],
    );
    err(
        &Op::Reshape { ndim: 2 },
        &[&x, &ai(DType::Int64, &[2], &[-2, -3])],
        expect![[r#"Reshape{2}: negative dimension -2 in the shape (-2, -3)"#]],
    );
    let z = af(DType::Float64, &[0, 4], &[]);
    err(
        &Op::Reshape { ndim: 3 },
        &[&z, &ai(DType::Int64, &[3], &[2, 0, -1])],
        expect![[r#"Reshape{3}: cannot reshape 0 elements (shape (0, 4)) into (2, 0, -1)"#]],
    );
}

#[test]
fn dimshuffle_drop_non_broadcastable() {
    let x = af(DType::Float64, &[3, 1], &[0.0; 3]);
    err_typed(
        &Op::DimShuffle {
            new_order: vec![Some(1)],
            inplace: false,
        },
        &[&x],
        &[TensorType::vector(DType::Float64)],
        expect![[
            r#"DimShuffle{1}: cannot drop dimension 0 of an array of shape (3, 1): a broadcastable dimension has length 3"#
        ]],
    );
}

#[test]
fn arange_alloc_join_errors() {
    err(
        &Op::ARange {
            dtype: DType::Int64,
        },
        &[&l(0), &l(5), &l(0)],
        expect![[r#"ARange{dtype='int64'}: arange: step must not be zero"#]],
    );
    err(
        &Op::ARange {
            dtype: DType::Float64,
        },
        &[
            &Tensor::scalar(0.0),
            &Tensor::scalar(f64::INFINITY),
            &Tensor::scalar(1.0),
        ],
        expect![[r#"ARange{dtype='float64'}: arange: cannot compute length of arange(0, inf, 1)"#]],
    );
    err(
        &Op::ARange {
            dtype: DType::Int64,
        },
        &[&l(0), &l(i64::MAX), &l(1)],
        expect![[
            r#"ARange{dtype='int64'}: array of shape (9223372036854775807,) and dtype int64 is too big"#
        ]],
    );
    let v = af(DType::Float64, &[3], &[1.0, 2.0, 3.0]);
    err(
        &Op::Alloc,
        &[&v, &l(2), &l(4)],
        expect![[r#"Alloc: shape mismatch: cannot broadcast a value of shape (3,) to (2, 4)"#]],
    );
    err(
        &Op::Alloc,
        &[&v, &l(-1), &l(3)],
        expect![[r#"Alloc: negative dimensions are not allowed: dimension 0 is -1"#]],
    );
    err(
        &Op::Alloc,
        &[&v, &l(1 << 40), &l(1 << 40), &l(3)],
        expect![[
            r#"Alloc: array of shape (1099511627776, 1099511627776, 3) and dtype float64 is too big"#
        ]],
    );
    let a = af(DType::Float64, &[2, 3], &[0.0; 6]);
    let b = af(DType::Float64, &[2, 2], &[0.0; 4]);
    err(
        &Op::Join { axis: 0 },
        &[&a, &b],
        expect![[
            r#"Join{axis=0}: all the input array dimensions except for the concatenation axis must match exactly, but along dimension 1, the array at index 0 has size 3 and the array at index 1 has size 2"#
        ]],
    );
}

#[test]
fn subtensor_errors() {
    let x = af(DType::Float64, &[3, 2], &[0.0; 6]);
    let op = Op::Subtensor {
        idx: vec![IdxEntry::Index(DType::Int64)],
    };
    let e = err(
        &op,
        &[&x, &l(5)],
        expect![[r#"Subtensor{int64}: index 5 is out of bounds for axis 0 with size 3"#]],
    );
    assert!(matches!(e, PerformError::Index { .. }));
    err(
        &op,
        &[&x, &l(-4)],
        expect![[r#"Subtensor{int64}: index -4 is out of bounds for axis 0 with size 3"#]],
    );
    let op = Op::Subtensor {
        idx: vec![
            slice_all(),
            IdxEntry::Slice {
                start: None,
                stop: None,
                step: Some(DType::Int64),
            },
        ],
    };
    err(
        &op,
        &[&x, &l(0)],
        expect![[r#"Subtensor{::, ::int64}: slice step cannot be zero"#]],
    );
    let op = Op::IncSubtensor {
        idx: vec![IdxEntry::Slice {
            start: Some(DType::Int64),
            stop: None,
            step: None,
        }],
        set: true,
        inplace: false,
    };
    let y = af(DType::Float64, &[3], &[0.0; 3]);
    err(
        &op,
        &[&x, &y, &l(1)],
        expect![[
            r#"IncSubtensor{Set;int64::}: shape mismatch: value array of shape (3,) could not be broadcast to indexing result of shape (2, 2)"#
        ]],
    );
}

#[test]
fn advanced_index_errors() {
    let x = af(DType::Float64, &[3, 2], &[0.0; 6]);
    let e = err(
        &Op::AdvancedSubtensor1,
        &[&x, &ai(DType::Int64, &[2], &[0, 3])],
        expect![[r#"AdvancedSubtensor1: index 3 is out of bounds for axis 0 with size 3"#]],
    );
    assert!(matches!(e, PerformError::Index { .. }));
    let op = Op::AdvancedSubtensor {
        idx: vec![AdvEntry::Array, AdvEntry::Array],
    };
    err(
        &op,
        &[
            &x,
            &ai(DType::Int64, &[2], &[0, 1]),
            &ai(DType::Int64, &[3], &[0, 1, 1]),
        ],
        expect![[
            r#"AdvancedSubtensor{int, int}: shape mismatch: indexing arrays could not be broadcast together with shapes (2,) (3,)"#
        ]],
    );
    err(
        &op,
        &[
            &x,
            &ai(DType::Int64, &[1], &[0]),
            &ai(DType::Int64, &[1], &[-3]),
        ],
        expect![[
            r#"AdvancedSubtensor{int, int}: index -3 is out of bounds for axis 1 with size 2"#
        ]],
    );
    err(
        &Op::AdvancedIncSubtensor1 {
            set: false,
            inplace: false,
        },
        &[
            &x,
            &af(DType::Float64, &[3], &[0.0; 3]),
            &ai(DType::Int64, &[2], &[0, 1]),
        ],
        expect![[
            r#"AdvancedIncSubtensor1{no_inplace,inc}: shape mismatch: value array of shape (3,) could not be broadcast to indexing result of shape (2, 2)"#
        ]],
    );
}

#[derive(Debug)]
struct MyOp;
impl CustomOp for MyOp {
    fn name(&self) -> String {
        "MyOp".into()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        Ok(inputs.to_vec())
    }
}

#[test]
fn custom_op_has_no_implementation() {
    let x = af(DType::Float64, &[1], &[0.0]);
    let e = err(
        &Op::Custom(CustomRef(std::sync::Arc::new(MyOp))),
        &[&x],
        expect![[r#"MyOp: no implementation in the interpreter"#]],
    );
    assert!(matches!(e, PerformError::NotImplemented { .. }));
}

#[test]
fn wrong_number_of_inputs_and_types() {
    let x = af(DType::Float64, &[2], &[0.0; 2]);
    err_typed(
        &Op::Dot,
        &[&x],
        &[TensorType::scalar(DType::Float64)],
        expect![[r#"dot: expects 2 inputs, got 1"#]],
    );
    err(
        &Op::Dot,
        &[&x],
        expect![[r#"dot: expects 2 inputs, got 1"#]],
    );
    err_typed(
        &Op::Shape,
        &[&x],
        &[TensorType::vector(DType::Int64); 2],
        expect![[r#"Shape: 2 output types given, the op has 1 outputs"#]],
    );
}

#[test]
fn no_input_panics() {
    // every op on a few odd inputs: errors are fine, panics are not
    let vals = [
        af(DType::Float64, &[0], &[]),
        af(DType::Float32, &[2, 0, 3], &[]),
        ai(DType::Int8, &[], &[-1]),
        ab(&[2], &[true, false]),
        tr(af(DType::Float64, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])),
        flip(ai(DType::UInt8, &[3], &[1, 2, 3]), 0),
        l(i64::MIN),
    ];
    let mut ops: Vec<Op> = ScalarOp::ALL
        .iter()
        .map(|s| Op::elemwise(s.clone()))
        .collect();
    ops.extend([
        Op::Dot,
        Op::Softmax,
        Op::LogSoftmax,
        Op::CrossentropySoftmaxArgmax1HotWithBias,
        Op::CrossentropySoftmax1HotWithBiasDx,
        Op::Shape,
        Op::ShapeI(3),
        Op::Reshape { ndim: 1 },
        Op::Flatten { outdim: 2 },
        Op::ARange { dtype: DType::Int8 },
        Op::Alloc,
        Op::Join { axis: 0 },
        Op::MakeVector { dtype: DType::Bool },
        Op::AdvancedSubtensor1,
        Op::MaxAndArgmax { axes: vec![0] },
        Op::Reduce {
            kind: ReduceKind::Prod,
            axes: Some(vec![1]),
            dtype: None,
        },
        Op::DimShuffle {
            new_order: vec![None, Some(0)],
            inplace: false,
        },
        Op::Subtensor {
            idx: vec![IdxEntry::Index(DType::Int64)],
        },
        Op::AdvancedSubtensor {
            idx: vec![AdvEntry::Full, AdvEntry::Array],
        },
        Op::AdvancedIncSubtensor1 {
            set: false,
            inplace: false,
        },
    ]);
    for op in &ops {
        for a in &vals {
            for b in &vals {
                let _ = perform(op, &[a], &[]);
                let _ = perform(op, &[a, b], &[]);
                for c in &vals {
                    let _ = perform(op, &[a, b, c], &[]);
                }
            }
        }
    }
}

#[test]
fn cumop_sort_repeat_nonzero_errors() {
    use theano_ir::{CumMode, SortKind};
    let x = af(DType::Float64, &[2, 3], &[0.0; 6]);
    let s = af(DType::Float64, &[], &[1.0]);
    let e = err(
        &Op::CumOp {
            axis: Some(2),
            mode: CumMode::Add,
        },
        &[&x],
        expect![[
            r#"CumOp{2, add}: axis(=2) out of bounds: x is TensorType(float64, matrix), whose axes are -2..2"#
        ]],
    );
    assert!(matches!(e, PerformError::Input { .. }));
    let sort = Op::Sort {
        kind: SortKind::Quicksort,
    };
    let e = err_typed(
        &sort,
        &[&x, &l(-3)],
        &[TensorType::matrix(DType::Float64)],
        expect![[r#"SortOp{quicksort, None}: axis -3 is out of bounds for array of dimension 2"#]],
    );
    assert!(matches!(e, PerformError::Index { .. }));
    err_typed(
        &sort,
        &[&x, &s],
        &[TensorType::matrix(DType::Float64)],
        expect![[
            r#"SortOp{quicksort, None}: the sort axis must be an integer scalar, got a float64 array of shape ()"#
        ]],
    );
    let rep = Op::Repeat { axis: Some(1) };
    let counts = ai(DType::Int64, &[2], &[1, 2]);
    let e = err_typed(
        &rep,
        &[&x, &counts],
        &[TensorType::matrix(DType::Float64)],
        expect![[
            r#"RepeatOp{axis=1}: repeats has 2 entries but the axis has length 3 (operands could not be broadcast together with shape (3,) (2,))"#
        ]],
    );
    assert!(matches!(e, PerformError::Shape { .. }));
    let e = err_typed(
        &rep,
        &[&x, &l(-1)],
        &[TensorType::matrix(DType::Float64)],
        expect![[r#"RepeatOp{axis=1}: repeats may not contain negative values, got -1"#]],
    );
    assert!(matches!(e, PerformError::Value { .. }));
    err_typed(
        &rep,
        &[&x, &s],
        &[TensorType::matrix(DType::Float64)],
        expect![[
            r#"RepeatOp{axis=1}: repeats must be an integer scalar or vector, got a float64 array of shape ()"#
        ]],
    );
    err_typed(
        &Op::Nonzero,
        &[&s],
        &[TensorType::matrix(DType::Int64)],
        expect![[r#"Nonzero: Nonzero only supports non-scalar arrays, got a 0-d array"#]],
    );
    err(
        &Op::Nonzero,
        &[&x, &x],
        expect![[r#"Nonzero: expects 1 inputs, got 2"#]],
    );
}

/// The matrix constructions and batched products refuse bad run-time values with typed
/// errors naming the argument (never a panic).
#[test]
fn matrix_op_errors() {
    let eye = Op::Eye {
        dtype: DType::Float64,
    };
    err(
        &eye,
        &[&l(-1), &l(2), &l(0)],
        expect![[r#"Eye{dtype='float64'}: negative dimensions are not allowed: n (rows) is -1"#]],
    );
    err(
        &Op::Tri { dtype: DType::Int8 },
        &[&l(2), &l(-3), &l(0)],
        expect![[r#"Tri{dtype='int8'}: negative dimensions are not allowed: m (columns) is -3"#]],
    );
    err(
        &eye,
        &[&l(1 << 40), &l(1 << 40), &l(0)],
        expect![[
            r#"Eye{dtype='float64'}: array of shape (1099511627776, 1099511627776) and dtype float64 is too big"#
        ]],
    );
    let v = af(DType::Float64, &[2], &[1.0, 2.0]);
    err(
        &eye,
        &[&v, &l(2), &l(0)],
        expect!["Eye{dtype='float64'}: n (rows) must be an integer scalar, got TensorType(float64, vector)"],
    );
    let m = af(DType::Float64, &[2, 3], &[0.0; 6]);
    err(
        &Op::ExtractDiag {
            offset: 0,
            axis1: 0,
            axis2: 2,
        },
        &[&m],
        expect!["ExtractDiag{offset=0, axis1=0, axis2=2, view=False}: axis2=2 is out of range for 2 dimensions (expected 0..2)"],
    );
    err(
        &Op::AllocDiag {
            offset: i64::MAX,
            axis1: 0,
            axis2: 1,
        },
        &[&v],
        expect!["AllocDiag{offset=9223372036854775807, axis1=0, axis2=1}: array of shape (9223372036854775809, 9223372036854775809) and dtype float64 is too big"],
    );
    let b3 = af(DType::Float64, &[2, 3, 4], &[0.0; 24]);
    let c3 = af(DType::Float64, &[3, 4, 2], &[0.0; 24]);
    err(&Op::BatchedDot, &[&b3, &c3], expect!["BatchedDot: the inputs must have the same size in axis 0 (the batch), got shapes (2, 3, 4) and (3, 4, 2)"]);
    let c3 = af(DType::Float64, &[2, 3, 2], &[0.0; 12]);
    err(&Op::BatchedDot, &[&b3, &c3], expect!["BatchedDot: shapes (2, 3, 4) and (2, 3, 2) not aligned for a batched dot: 4 (dim 2) != 3 (dim 1)"]);
    err(
        &Op::SoftmaxWithBias,
        &[&m, &v],
        expect!["SoftmaxWithBias: b must have same number of columns as x: b has shape (2,), x has shape (2, 3)"],
    );
}
