//! The README's second code block (random numbers, ifelse, scan, convolution and pooling), as
//! written there, so that it keeps compiling and running.

use theano::tensor as T;
use theano::{compile, function};

#[test]
fn random_ifelse_and_scan_as_in_the_readme() -> Result<(), Box<dyn std::error::Error>> {
    use theano::sandbox::rng_mrg::MRG_RandomStreams;

    let srng = MRG_RandomStreams::new(234)?;
    let u = srng.uniform([2, 2], 0.0, 1.0)?; // also normal, truncated_normal, binomial, multinomial, choice
    let f = function(&[], &u)?; // each call draws new numbers (default updates)
    let g = compile(&[], &u).no_default_updates(true).build()?; // the same numbers every call

    let (a, b) = (T::dscalar("a"), T::dscalar("b"));
    let (x, y) = (T::dmatrix("x"), T::dmatrix("y"));
    let z = T::ifelse(
        T::lt(&a, &b),
        T::mean(&x, None, false)?,
        T::mean(&y, None, false)?,
    )?;

    // h_t = tanh(x_t W + h_{t-1} U): a sequence, a recurrent output, two non-sequences
    let (xs, h0, w, uu) = (
        T::dmatrix("xs"),
        T::dvector("h0"),
        T::dmatrix("W"),
        T::dmatrix("U"),
    );
    let (hs, _) = theano::scan(
        |s| Ok(vec![T::tanh(T::dot(&s[0], &s[2])? + T::dot(&s[1], &s[3])?)]),
        theano::Scan::new()
            .sequences([&xs])
            .outputs_info([Some(h0.clone())])
            .non_sequences([&w, &uu]),
    )?;
    let gr = theano::grad(&T::sum(&hs[0]), &[w.clone(), uu.clone()])?; // through the loop

    // also theano::map, reduce, foldl, foldr: the sum of xs's rows
    let (total, _) = theano::foldl(
        |s| Ok(vec![&s[0] + &s[1]]),
        theano::Scan::new()
            .sequences([&xs])
            .outputs_info([Some(h0.clone())]),
    )?;

    // a convolution and max-pooling layer (theano.tensor.nnet.conv2d, signal.pool.pool_2d)
    use theano::tensor::{
        nnet::conv2d,
        signal::pool::{pool_2d, PoolArgs},
    };
    let (imgs, filters) = (T::dtensor4("imgs"), T::dtensor4("filters"));
    let pooled = pool_2d(
        conv2d(&imgs, &filters)?,
        [2, 2],
        &PoolArgs {
            ignore_border: true,
            ..PoolArgs::default()
        },
    )?;

    // and they run
    assert_ne!(f.call(&[])?[0].to_f64_vec(), f.call(&[])?[0].to_f64_vec());
    assert_eq!(g.call(&[])?[0].to_f64_vec(), g.call(&[])?[0].to_f64_vec());
    let fz = function(&[&a, &b, &x, &y], &z)?;
    let m = theano::Tensor::full(theano::DType::Float64, &[2, 2], 3.0);
    let n = theano::Tensor::full(theano::DType::Float64, &[2, 2], 4.0);
    assert_eq!(
        fz.call(&[1.0.into(), 2.0.into(), m, n])?[0].to_f64_vec(),
        vec![3.0]
    );
    let fg = function(&[&xs, &h0, &w, &uu], gr)?;
    let e = theano::Tensor::full(theano::DType::Float64, &[2, 2], 0.1);
    let out = fg.call(&[
        theano::Tensor::full(theano::DType::Float64, &[3, 2], 0.5),
        theano::Tensor::full(theano::DType::Float64, &[2], 0.0),
        e.clone(),
        e,
    ])?;
    assert_eq!(out[0].shape(), &[2, 2]);
    let ft = function(&[&xs, &h0], &total[0])?;
    let rows = theano::Tensor::from_shape_vec(&[3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
    let sum = ft.call(&[rows, theano::Tensor::from(vec![0.5, 0.0])])?;
    assert_eq!(sum[0].to_f64_vec(), vec![9.5, 12.0]);
    let fp = function(&[&imgs, &filters], &pooled)?;
    let out = fp.call(&[
        theano::Tensor::full(theano::DType::Float64, &[2, 3, 9, 8], 1.0),
        theano::Tensor::full(theano::DType::Float64, &[4, 3, 2, 3], 0.5),
    ])?;
    assert_eq!(out[0].shape(), &[2, 4, 4, 3]);
    assert!(out[0].to_f64_vec().iter().all(|&v| v == 9.0));
    Ok(())
}

/// The README's linear-algebra block, as written there, then run.
#[test]
fn linear_algebra_as_in_the_readme() -> Result<(), Box<dyn std::error::Error>> {
    use theano::tensor::{nlinalg, slinalg};

    let (a, b) = (T::dmatrix("a"), T::dvector("b"));
    let x = slinalg::solve(&a, &b)?; // a x = b
    let logdet = T::log(nlinalg::det(&a)?);
    let g = theano::grad(&(T::sum(&x) + logdet), std::slice::from_ref(&a))?;

    let f = function(&[&a, &b], vec![x, g[0].clone()])?;
    let av = theano::Tensor::from([[2.0, 1.0], [1.0, 3.0]]);
    let bv = theano::Tensor::from([1.0, 2.0]);
    let out = f.call(&[av, bv])?;
    // x = (0.2, 0.6); d/da (sum(x) + log det a) = -outer(a^-T 1, x) + a^-T
    let x = out[0].to_f64_vec();
    assert!(
        (x[0] - 0.2).abs() < 1e-12 && (x[1] - 0.6).abs() < 1e-12,
        "{x:?}"
    );
    let (u, inv_t) = ([0.4, 0.2], [[0.6, -0.2], [-0.2, 0.4]]);
    for (k, got) in out[1].to_f64_vec().iter().enumerate() {
        let (i, j) = (k / 2, k % 2);
        let want = -u[i] * x[j] + inv_t[i][j];
        assert!((got - want).abs() < 1e-12, "[{i}, {j}]: {got} vs {want}");
    }
    Ok(())
}
