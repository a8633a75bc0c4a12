//! Property tests: the interpreter against naive element-by-element references, on random
//! shapes, broadcast patterns, strides and indices.

mod common;

use common::*;
use proptest::prelude::*;
use theano_interp::perform;
use theano_ir::{IdxEntry, Op, ScalarOp};
use theano_tensor::{DType, Tensor};

/// A random (r, c) float64 matrix given as a possibly transposed or flipped view.
fn matrix(r: usize, c: usize, view: u8, seed: i64) -> (Tensor, Vec<f64>) {
    let logical: Vec<f64> = (0..r * c)
        .map(|k| ((k as i64 * 7 + seed) % 13) as f64 - 6.0)
        .collect();
    let t = match view {
        // stored as the transpose, viewed back
        1 => {
            let mut st = vec![0.0; r * c];
            for i in 0..r {
                for j in 0..c {
                    st[j * r + i] = logical[i * c + j];
                }
            }
            tr(af(DType::Float64, &[c, r], &st))
        }
        // stored reversed along axis 0, viewed flipped
        2 => {
            let mut st = vec![0.0; r * c];
            for i in 0..r {
                for j in 0..c {
                    st[(r - 1 - i) * c + j] = logical[i * c + j];
                }
            }
            flip(af(DType::Float64, &[r, c], &st), 0)
        }
        _ => af(DType::Float64, &[r, c], &logical),
    };
    (t, logical)
}

fn py_slice_ref(n: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<i64> {
    // Python's slice semantics, written out plainly
    let norm = |v: i64| if v < 0 { v + n } else { v };
    let mut out = vec![];
    if step > 0 {
        let s = start.map(norm).unwrap_or(0).clamp(0, n);
        let e = stop.map(norm).unwrap_or(n).clamp(0, n);
        let mut i = s;
        while i < e {
            out.push(i);
            i += step;
        }
    } else {
        let s = start.map(norm).unwrap_or(n - 1).clamp(-1, n - 1);
        let e = stop.map(norm).unwrap_or(-1).clamp(-1, n - 1);
        let mut i = s;
        while i > e {
            out.push(i);
            i += step;
        }
    }
    out
}

proptest! {
    #[test]
    fn binary_broadcast_matches_reference(
        r in 0usize..4, c in 0usize..4, br in any::<bool>(), bc in any::<bool>(),
        va in 0u8..3, vb in 0u8..3, op in 0usize..4,
    ) {
        let (rb, cb) = (if br { 1 } else { r }, if bc { 1 } else { c });
        let (a, la) = matrix(r, c, va, 1);
        let (b, lb) = matrix(rb, cb, vb, 5);
        let (sop, f): (ScalarOp, fn(f64, f64) -> f64) = match op {
            0 => (ScalarOp::Add, |x, y| x + y),
            1 => (ScalarOp::Sub, |x, y| x - y),
            2 => (ScalarOp::Mul, |x, y| x * y),
            _ => (ScalarOp::Maximum, f64::max),
        };
        let got = perform(&Op::elemwise(sop), &[&a, &b], &[]).unwrap();
        let mut want = vec![];
        for i in 0..r {
            for j in 0..c {
                let y = lb[(if br { 0 } else { i }) * cb + if bc { 0 } else { j }];
                want.push(f(la[i * c + j], y));
            }
        }
        prop_assert_eq!(got[0].shape(), &[r, c]);
        prop_assert_eq!(got[0].to_f64_vec(), want);
    }

    #[test]
    fn slicing_matches_python(
        n in 0i64..7, start in proptest::option::of(-9i64..9), stop in proptest::option::of(-9i64..9),
        step in prop_oneof![-4i64..0, 1i64..5], view in 0u8..3,
    ) {
        let (x, lx) = matrix(n as usize, 2, view, 3);
        let idx = vec![IdxEntry::Slice {
            start: start.map(|_| DType::Int64),
            stop: stop.map(|_| DType::Int64),
            step: Some(DType::Int64),
        }];
        let mut ins = vec![x];
        ins.extend(start.map(l));
        ins.extend(stop.map(l));
        ins.push(l(step));
        let refs: Vec<&Tensor> = ins.iter().collect();
        let got = perform(&Op::Subtensor { idx }, &refs, &[]).unwrap();
        let rows = py_slice_ref(n, start, stop, step);
        let want: Vec<f64> = rows.iter().flat_map(|&i| [lx[i as usize * 2], lx[i as usize * 2 + 1]]).collect();
        prop_assert_eq!(got[0].shape(), &[rows.len(), 2]);
        prop_assert_eq!(got[0].to_f64_vec(), want);
    }

    #[test]
    fn adv_inc_accumulates_like_add_at(
        n in 1usize..5, idx in proptest::collection::vec(-5i64..5, 0..8), set in any::<bool>(), view in 0u8..3,
    ) {
        let (x, lx) = matrix(n, 3, view, 2);
        let k = idx.len();
        let y = af(DType::Float64, &[k, 3], &(0..k * 3).map(|v| v as f64 + 0.5).collect::<Vec<_>>());
        let iv = ai(DType::Int64, &[k], &idx);
        let res = perform(&Op::AdvancedIncSubtensor1 { set, inplace: false }, &[&x, &y, &iv], &[]);
        let in_bounds = idx.iter().all(|&i| i >= -(n as i64) && i < n as i64);
        prop_assert_eq!(res.is_ok(), in_bounds);
        if let Ok(got) = res {
            let mut want = lx.clone();
            for (p, &i) in idx.iter().enumerate() {
                let row = if i < 0 { i + n as i64 } else { i } as usize;
                for j in 0..3 {
                    let v = (p * 3 + j) as f64 + 0.5;
                    if set { want[row * 3 + j] = v } else { want[row * 3 + j] += v }
                }
            }
            prop_assert_eq!(got[0].to_f64_vec(), want);
        }
    }
}
