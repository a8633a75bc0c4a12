//! `PermuteRowElements` (`permute_row_elements`, `inverse_permutation`) and
//! `RandomStreams.shuffle_row_elements` end to end. The expected arrays and messages below
//! were printed by the real Theano 1.0.5 (NumPy 1.23), not by this crate; every case runs on
//! the interpreter, the JIT and the GPU runtime on the emulator.

use theano::tensor as T;
use theano::tensor::shared_randomstreams::RandomStreams;
use theano::{Mode, Tensor, Variable};
use theano_grad::{grad, rop, verify_grad, Rng, VerifyGradOptions};
use theano_ir::DType;

mod common;
use common::eval_compiled as eval;

fn f64t(shape: &[usize], v: &[f64]) -> Tensor {
    Tensor::from_f64_vec(DType::Float64, shape, v.to_vec()).unwrap()
}

fn i64t(shape: &[usize], v: &[i64]) -> Tensor {
    Tensor::from_shape_vec(shape, v.to_vec()).unwrap()
}

/// `np.arange(12.).reshape(3, 4) * 1.5 - 2`
fn xv() -> Tensor {
    f64t(
        &[3, 4],
        &(0..12).map(|i| i as f64 * 1.5 - 2.0).collect::<Vec<_>>(),
    )
}

fn check_all(what: &str, ins: &[&Variable], out: &Variable, args: &[Tensor], want: &Tensor) {
    for (k, got) in common::run_every_linker(ins, std::slice::from_ref(out), args)
        .into_iter()
        .enumerate()
    {
        let got = &got[0];
        assert_eq!(got.dtype(), want.dtype(), "{what} (linker {k})");
        assert_eq!(got.shape(), want.shape(), "{what} (linker {k})");
        assert_eq!(got.to_f64_vec(), want.to_f64_vec(), "{what} (linker {k})");
    }
}

#[test]
fn values_are_theanos() {
    let (x, y, ym) = (T::dmatrix("x"), T::lvector("y"), T::lmatrix("Y"));
    let (v, x3) = (T::dvector("v"), T::dtensor3("x3"));
    let xi = T::imatrix("xi");
    let perm = i64t(&[4], &[3, 0, 2, 1]);
    let rows = i64t(&[2, 3], &[2, 0, 1, 1, 2, 0]);
    let x23 = f64t(&[2, 3], &[-2.0, -0.5, 1.0, 4.0, 5.5, 7.0]);
    let cases: Vec<(&str, Vec<&Variable>, Variable, Vec<Tensor>, Tensor)> = vec![
        (
            "a vector permutes every row",
            vec![&x, &y],
            T::permute_row_elements(&x, &y, false).unwrap(),
            vec![xv(), perm.clone()],
            f64t(
                &[3, 4],
                &[
                    2.5, -2.0, 1.0, -0.5, 8.5, 4.0, 7.0, 5.5, 14.5, 10.0, 13.0, 11.5,
                ],
            ),
        ),
        (
            "its inverse",
            vec![&x, &y],
            T::permute_row_elements(&x, &y, true).unwrap(),
            vec![xv(), perm.clone()],
            f64t(
                &[3, 4],
                &[
                    -0.5, 2.5, 1.0, -2.0, 5.5, 8.5, 7.0, 4.0, 11.5, 14.5, 13.0, 10.0,
                ],
            ),
        ),
        (
            "a permutation per row",
            vec![&x, &ym],
            T::permute_row_elements(&x, &ym, false).unwrap(),
            vec![x23.clone(), rows.clone()],
            f64t(&[2, 3], &[1.0, -2.0, -0.5, 5.5, 7.0, 4.0]),
        ),
        (
            "a permutation per row, inverse",
            vec![&x, &ym],
            T::permute_row_elements(&x, &ym, true).unwrap(),
            vec![x23, rows.clone()],
            f64t(&[2, 3], &[-0.5, 1.0, -2.0, 7.0, 4.0, 5.5]),
        ),
        (
            "a vector permuted by every row",
            vec![&v, &ym],
            T::permute_row_elements(&v, &ym, false).unwrap(),
            vec![f64t(&[3], &[1.0, 2.0, 3.0]), rows.clone()],
            f64t(&[2, 3], &[3.0, 1.0, 2.0, 2.0, 3.0, 1.0]),
        ),
        (
            "a 3-tensor, the permutations broadcast along axis 0",
            vec![&x3, &ym],
            T::permute_row_elements(&x3, &ym, false).unwrap(),
            vec![
                f64t(&[2, 3, 4], &(0..24).map(f64::from).collect::<Vec<_>>()),
                i64t(&[3, 4], &[3, 2, 1, 0, 0, 1, 2, 3, 1, 0, 3, 2]),
            ],
            f64t(
                &[2, 3, 4],
                &[
                    3.0, 2.0, 1.0, 0.0, 4.0, 5.0, 6.0, 7.0, 9.0, 8.0, 11.0, 10.0, 15.0, 14.0, 13.0,
                    12.0, 16.0, 17.0, 18.0, 19.0, 21.0, 20.0, 23.0, 22.0,
                ],
            ),
        ),
        (
            "negative indices count from the end",
            vec![&x, &y],
            T::permute_row_elements(&x, &y, false).unwrap(),
            vec![xv(), i64t(&[4], &[-1, 0, -3, 1])],
            f64t(
                &[3, 4],
                &[
                    2.5, -2.0, -0.5, -0.5, 8.5, 4.0, 5.5, 5.5, 14.5, 10.0, 11.5, 11.5,
                ],
            ),
        ),
        (
            "int32 rows keep their dtype",
            vec![&xi, &y],
            T::permute_row_elements(&xi, &y, false).unwrap(),
            vec![
                Tensor::from_shape_vec(&[2, 4], (0..8).collect::<Vec<i32>>()).unwrap(),
                i64t(&[4], &[1, 0, 3, 2]),
            ],
            Tensor::from_shape_vec(&[2, 4], vec![1i32, 0, 3, 2, 5, 4, 7, 6]).unwrap(),
        ),
        (
            "inverse_permutation of a vector",
            vec![&y],
            T::inverse_permutation(&y).unwrap(),
            vec![perm.clone()],
            i64t(&[4], &[1, 3, 2, 0]),
        ),
        (
            "inverse_permutation of each row",
            vec![&ym],
            T::inverse_permutation(&ym).unwrap(),
            vec![rows],
            i64t(&[2, 3], &[1, 2, 0, 2, 0, 1]),
        ),
    ];
    for (what, ins, out, args, want) in cases {
        check_all(what, &ins, &out, &args, &want);
    }
}

/// Theano's graphs: the lower rank padded by a DimShuffle, `inverse` an int8 constant, and
/// `inverse_permutation`'s `arange(perm.shape[-1])`.
#[test]
fn graphs_print_as_theanos() {
    let (x, y) = (T::dmatrix("x"), T::lvector("y"));
    assert_eq!(
        theano::debugprint(&[T::permute_row_elements(&x, &y, false).unwrap()]),
        "PermuteRowElements [id A] ''   \n |x [id B]\n |InplaceDimShuffle{x,0} [id C] ''   \n \
         | |y [id D]\n |TensorConstant{0} [id E]\n"
    );
    let ip = theano::debugprint(&[T::inverse_permutation(&y).unwrap()]);
    for line in [
        "PermuteRowElements [id A] ''",
        " |ARange{dtype='int64'} [id B] ''",
        " | |Subtensor{int64} [id D] ''",
        " | | |Shape [id E] ''",
        " | | |Constant{-1} [id G]",
    ] {
        assert!(ip.contains(line), "{ip}");
    }
    // the text form parses back to the same op
    let fg = theano_ir::fgraph::FunctionGraph::from_outputs(
        &[x.clone(), y.clone()],
        &[T::permute_row_elements(&x, &y, true).unwrap()],
    )
    .unwrap();
    let text = fg.to_text();
    assert!(text.contains("PermuteRowElements("), "{text}");
    let back = theano_ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
}

#[test]
fn refusals_are_typed() {
    let (x, ym) = (T::dmatrix("x"), T::lmatrix("Y"));
    // the permutations must be integers
    let e = T::permute_row_elements(&x, T::dvector("f"), false).unwrap_err();
    assert!(e.to_string().contains("must be integers"), "{e}");
    let e = T::inverse_permutation(T::dvector("f")).unwrap_err();
    assert!(e.to_string().contains("inverse_permutation"), "{e}");
    // at run time, Theano's and NumPy's errors, on every backend
    let cases = [
        (
            T::permute_row_elements(&x, &ym, false).unwrap(),
            i64t(&[2, 4], &[0, 1, 2, 3, 0, 1, 2, 3]),
            "Dimension mismatch: 3, 2",
        ),
        (
            T::permute_row_elements(&x, &ym, false).unwrap(),
            i64t(&[3, 4], &[0, 1, 2, 9, 0, 1, 2, 9, 0, 1, 2, 9]),
            "index 9 is out of bounds for axis 0 with size 4",
        ),
        (
            T::permute_row_elements(&x, &ym, true).unwrap(),
            i64t(&[3, 4], &[0, 1, 2, 9, 0, 1, 2, 9, 0, 1, 2, 9]),
            "index 9 is out of bounds for axis 0 with size 4",
        ),
    ];
    for (out, perm, want) in cases {
        for mode in [Mode::interp(), Mode::default()] {
            let f = theano::compile(&[&x, &ym], &out)
                .mode(mode)
                .build()
                .unwrap();
            let e = f.call(&[xv(), perm.clone()]).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("PermuteRowElements"), "{e}");
        }
    }
}

/// The gradient goes back through the inverse permutation, summed where x broadcast. For
/// `inverse=True` Theano 1.0.5 builds the same graph as for `inverse=False` (its `grad`
/// tests a symbolic flag for truth), which is wrong; here verify_grad holds for both.
#[test]
fn gradients() {
    let y = i64t(&[4], &[3, 0, 2, 1]);
    let rows = i64t(&[3, 4], &[3, 0, 2, 1, 0, 1, 2, 3, 1, 3, 0, 2]);
    let mut rng = Rng::new(4);
    let opts = VerifyGradOptions {
        seed: 7,
        ..Default::default()
    };
    for dt in [DType::Float64, DType::Float32] {
        for inverse in [false, true] {
            for p in [&y, &rows] {
                let x0 = rng.tensor(dt, &[3, 4], -1.0, 1.0);
                verify_grad(
                    |i| {
                        T::permute_row_elements(
                            &i[0],
                            Variable::constant_bounded(p.clone()),
                            inverse,
                        )
                        .unwrap()
                    },
                    &[x0],
                    eval,
                    &opts,
                )
                .unwrap_or_else(|e| panic!("inverse={inverse}: {e}"));
            }
            // a vector x broadcast against a permutation per row
            let v0 = rng.tensor(dt, &[4], -1.0, 1.0);
            verify_grad(
                |i| {
                    T::permute_row_elements(
                        &i[0],
                        Variable::constant_bounded(rows.clone()),
                        inverse,
                    )
                    .unwrap()
                },
                &[v0],
                eval,
                &opts,
            )
            .unwrap_or_else(|e| panic!("broadcast, inverse={inverse}: {e}"));
        }
    }
    // Theano's numbers where its graph is right
    let (x, yv) = (T::dmatrix("x"), T::lvector("y"));
    let c = f64t(&[3, 4], &(0..12).map(f64::from).collect::<Vec<_>>());
    let cost =
        T::sum(&(T::permute_row_elements(&x, &yv, false).unwrap() * Variable::constant_bounded(c)));
    let g = grad(&cost, std::slice::from_ref(&x)).unwrap().remove(0);
    check_all(
        "gradient",
        &[&x, &yv],
        &g,
        &[xv(), y.clone()],
        &f64t(
            &[3, 4],
            &[1.0, 3.0, 2.0, 0.0, 5.0, 7.0, 6.0, 4.0, 9.0, 11.0, 10.0, 8.0],
        ),
    );
    let (v, ym) = (T::dvector("v"), T::lmatrix("Y"));
    let c = f64t(&[2, 3], &(0..6).map(f64::from).collect::<Vec<_>>());
    let cost =
        T::sum(&(T::permute_row_elements(&v, &ym, false).unwrap() * Variable::constant_bounded(c)));
    let g = grad(&cost, std::slice::from_ref(&v)).unwrap().remove(0);
    assert_eq!(g.ty(), v.ty());
    check_all(
        "broadcast gradient",
        &[&v, &ym],
        &g,
        &[
            f64t(&[3], &[0.0, 1.0, 2.0]),
            i64t(&[2, 3], &[2, 0, 1, 1, 2, 0]),
        ],
        &f64t(&[3], &[6.0, 5.0, 4.0]),
    );
    // an integer x gets zeros
    let xi = T::imatrix("xi");
    let cost = T::sum(T::cast(
        T::permute_row_elements(&xi, &yv, false).unwrap(),
        DType::Float64,
    ));
    let g = grad(&cost, std::slice::from_ref(&xi)).unwrap().remove(0);
    let f = theano::compile(&[&xi, &yv], &g)
        .on_unused_input(theano::OnUnused::Ignore)
        .build()
        .unwrap();
    let gv = f
        .call(&[
            Tensor::from_shape_vec(&[1, 4], vec![1i32, 2, 3, 4]).unwrap(),
            y.clone(),
        ])
        .unwrap();
    assert_eq!(gv[0].to_f64_vec(), vec![0.0; 4]);
    // the R-operator is the same permutation of the evaluation point
    let ev = T::dmatrix("ev");
    let out = T::permute_row_elements(&x, &yv, true).unwrap();
    let r = rop(
        std::slice::from_ref(&out),
        std::slice::from_ref(&x),
        std::slice::from_ref(&ev),
    )
    .unwrap()
    .remove(0);
    let f = theano::compile(&[&x, &yv, &ev], vec![r, out.clone()])
        .on_unused_input(theano::OnUnused::Ignore)
        .build()
        .unwrap();
    let o = f.call(&[xv(), y.clone(), xv()]).unwrap();
    assert_eq!(o[0].to_f64_vec(), o[1].to_f64_vec());
}

/// Theano's `shuffle_row_elements`: the graph node for node, each row shuffled by its own
/// NumPy permutation from the draw's seed, the same values on every backend.
#[test]
fn shuffle_row_elements_is_theanos() {
    let x = T::dmatrix("x");
    let s = RandomStreams::new(234).unwrap();
    let sh = s.shuffle_row_elements(&x).unwrap();
    let want = "PermuteRowElements [id A] ''   \n |x [id B]\n \
                |RandomFunction{permutation_helper,TensorType(int64, matrix)}.1 [id C] ''   \n \
                | |<TensorType(uint32, vector)> [id D]\n | |Subtensor{:int64:} [id E] ''   \n \
                | | |Shape [id F] ''   \n | | | |x [id B]\n | | |Constant{-1} [id G]\n \
                | |Subtensor{int64} [id H] ''   \n |   |Shape [id I] ''   \n \
                |   | |x [id B]\n |   |Constant{-1} [id J]\n |TensorConstant{0} [id K]\n";
    assert_eq!(theano::debugprint(std::slice::from_ref(&sh)), want);
    // the rows are permutations of themselves; the interpreter's call and the JIT's are
    // Theano's first two calls (the three functions share the state and advance it)
    let xv = f64t(&[3, 4], &(0..12).map(f64::from).collect::<Vec<_>>());
    let outs =
        common::run_every_linker(&[&x], std::slice::from_ref(&sh), std::slice::from_ref(&xv));
    for o in &outs {
        for (r, row) in o[0].to_f64_vec().chunks(4).enumerate() {
            let mut sorted = row.to_vec();
            sorted.sort_by(f64::total_cmp);
            assert_eq!(
                sorted,
                (0..4).map(|k| (4 * r + k) as f64).collect::<Vec<_>>()
            );
        }
    }
    // Theano 1.0.5, RandomStreams(seed=234), np.arange(12.).reshape(3, 4), two calls
    assert_eq!(
        outs[0][0].to_f64_vec(),
        vec![3.0, 1.0, 2.0, 0.0, 5.0, 7.0, 6.0, 4.0, 8.0, 10.0, 11.0, 9.0]
    );
    assert_eq!(
        outs[1][0].to_f64_vec(),
        vec![0.0, 3.0, 2.0, 1.0, 7.0, 4.0, 5.0, 6.0, 9.0, 8.0, 10.0, 11.0]
    );
    let e = s.shuffle_row_elements(&T::dscalar("c")).unwrap_err();
    assert!(e.to_string().contains("at least one dimension"), "{e}");
}
