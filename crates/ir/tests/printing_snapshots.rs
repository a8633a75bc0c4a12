//! Snapshots of `pp` and `debugprint` for expressions covering every op.
//! Regenerate with `UPDATE_EXPECT=1 cargo test -p theano-ir --test printing_snapshots`, then
//! read every changed snapshot.

use expect_test::{expect, Expect};
use theano_ir::printing::{debugprint, pp};
use theano_ir::tensor::{self as T, Idx};
use theano_ir::{DType, Tensor, Variable};

/// `pp`, a `---` line, then `debugprint`.
fn check(v: &Variable, want: Expect) {
    want.assert_eq(&format!(
        "{}\n---\n{}",
        pp(v),
        debugprint(std::slice::from_ref(v))
    ));
}

fn xy() -> (Variable, Variable) {
    (T::dmatrix("x"), T::dmatrix("y"))
}

#[test]
fn s01_arithmetic_with_broadcast_constants() {
    let (x, y) = xy();
    check(
        &((&x + &y) * 2 - &x / 3.0),
        expect![[r#"
        (((x + y) * TensorConstant{2}) - (x / TensorConstant{3.0}))
        ---
        Elemwise{sub,no_inplace} [id A] ''   
         |Elemwise{mul,no_inplace} [id B] ''   
         | |Elemwise{add,no_inplace} [id C] ''   
         | | |x [id D]
         | | |y [id E]
         | |InplaceDimShuffle{x,x} [id F] ''   
         |   |TensorConstant{2} [id G]
         |Elemwise{true_div,no_inplace} [id H] ''   
           |x [id D]
           |InplaceDimShuffle{x,x} [id I] ''   
             |TensorConstant{3.0} [id J]
    "#]],
    );
}

#[test]
fn s02_int_div_mod_pow_neg() {
    let a = T::ivector("a");
    let b = T::ivector("b");
    check(
        &(-(T::int_div(&a, &b) + (&a % &b)).pow(2)),
        expect![[r#"
        (-(((a // b) + mod(a, b)) ** TensorConstant{2}))
        ---
        Elemwise{neg,no_inplace} [id A] ''   
         |Elemwise{pow,no_inplace} [id B] ''   
           |Elemwise{add,no_inplace} [id C] ''   
           | |Elemwise{int_div,no_inplace} [id D] ''   
           | | |a [id E]
           | | |b [id F]
           | |Elemwise{mod,no_inplace} [id G] ''   
           |   |a [id E]
           |   |b [id F]
           |InplaceDimShuffle{x} [id H] ''   
             |TensorConstant{2} [id I]
    "#]],
    );
}

#[test]
fn s03_unary_functions() {
    let x = T::dvector("x");
    check(
        &(T::log1p(T::exp(&x)) + T::sqrt(T::abs(&x)) + T::tanh(T::sqr(&x))),
        expect![[r#"
            ((log1p(exp(x)) + sqrt(|x|)) + tanh(sqr(x)))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Elemwise{add,no_inplace} [id B] ''   
             | |Elemwise{log1p,no_inplace} [id C] ''   
             | | |Elemwise{exp,no_inplace} [id D] ''   
             | |   |x [id E]
             | |Elemwise{sqrt,no_inplace} [id F] ''   
             |   |Elemwise{abs_,no_inplace} [id G] ''   
             |     |x [id E]
             |Elemwise{tanh,no_inplace} [id H] ''   
               |Elemwise{sqr,no_inplace} [id I] ''   
                 |x [id E]
        "#]],
    );
}

#[test]
fn s04_rounding_and_sign() {
    let x = T::dvector("x");
    check(
        &(T::floor(&x)
            + T::ceil(&x)
            + T::round(&x).unwrap()
            + T::round_half_away_from_zero(&x).unwrap()
            + T::sgn(&x).unwrap()),
        expect![[r#"
            ((((floor(x) + ceil(x)) + round_half_to_even(x)) + round_half_away_from_zero(x)) + sgn(x))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Elemwise{add,no_inplace} [id B] ''   
             | |Elemwise{add,no_inplace} [id C] ''   
             | | |Elemwise{add,no_inplace} [id D] ''   
             | | | |Elemwise{floor,no_inplace} [id E] ''   
             | | | | |x [id F]
             | | | |Elemwise{ceil,no_inplace} [id G] ''   
             | | |   |x [id F]
             | | |Elemwise{round_half_to_even,no_inplace} [id H] ''   
             | |   |x [id F]
             | |Elemwise{round_half_away_from_zero,no_inplace} [id I] ''   
             |   |x [id F]
             |Elemwise{sgn,no_inplace} [id J] ''   
               |x [id F]
        "#]],
    );
}

#[test]
fn s05_comparisons_and_logic() {
    let (x, y) = xy();
    let c = T::and_(T::gt(&x, &y), T::le(&x, 1.0)).unwrap();
    let d = T::or_(T::eq(&x, &y), T::invert(T::neq(&x, 0.0)).unwrap()).unwrap();
    check(
        &T::xor(c, d).unwrap(),
        expect![[r#"
        xor(and_(gt(x, y), le(x, TensorConstant{1.0})), or_(eq(x, y), invert(neq(x, TensorConstant{0.0}))))
        ---
        Elemwise{xor,no_inplace} [id A] ''   
         |Elemwise{and_,no_inplace} [id B] ''   
         | |Elemwise{gt,no_inplace} [id C] ''   
         | | |x [id D]
         | | |y [id E]
         | |Elemwise{le,no_inplace} [id F] ''   
         |   |x [id D]
         |   |InplaceDimShuffle{x,x} [id G] ''   
         |     |TensorConstant{1.0} [id H]
         |Elemwise{or_,no_inplace} [id I] ''   
           |Elemwise{eq,no_inplace} [id J] ''   
           | |x [id D]
           | |y [id E]
           |Elemwise{invert,no_inplace} [id K] ''   
             |Elemwise{neq,no_inplace} [id L] ''   
               |x [id D]
               |InplaceDimShuffle{x,x} [id M] ''   
                 |TensorConstant{0.0} [id N]
    "#]],
    );
}

#[test]
fn s06_switch_maximum_minimum() {
    let (x, y) = xy();
    check(
        &T::switch(T::lt(&x, 0.0), T::maximum(&x, &y), T::minimum(&x, &y)),
        expect![[r#"
        switch(lt(x, TensorConstant{0.0}), maximum(x, y), minimum(x, y))
        ---
        Elemwise{switch,no_inplace} [id A] ''   
         |Elemwise{lt,no_inplace} [id B] ''   
         | |x [id C]
         | |InplaceDimShuffle{x,x} [id D] ''   
         |   |TensorConstant{0.0} [id E]
         |Elemwise{maximum,no_inplace} [id F] ''   
         | |x [id C]
         | |y [id G]
         |Elemwise{minimum,no_inplace} [id H] ''   
           |x [id C]
           |y [id G]
    "#]],
    );
}

#[test]
fn s07_clip_and_cast() {
    let x = T::dvector("x");
    check(
        &T::cast(T::clip(&x, 0.0, 1.0), DType::Float32),
        expect![[r#"
        float32(clip(x, TensorConstant{0.0}, TensorConstant{1.0}))
        ---
        Elemwise{Cast{float32}} [id A] ''   
         |Elemwise{clip,no_inplace} [id B] ''   
           |x [id C]
           |InplaceDimShuffle{x} [id D] ''   
           | |TensorConstant{0.0} [id E]
           |InplaceDimShuffle{x} [id F] ''   
             |TensorConstant{1.0} [id G]
    "#]],
    );
}

#[test]
fn s08_sigmoid_softplus_expm1() {
    let x = T::dvector("x");
    check(
        &(T::sigmoid(&x) * T::softplus(&x) - T::expm1(&x)),
        expect![[r#"
            ((sigmoid(x) * softplus(x)) - expm1(x))
            ---
            Elemwise{sub,no_inplace} [id A] ''   
             |Elemwise{mul,no_inplace} [id B] ''   
             | |sigmoid [id C] ''   
             | | |x [id D]
             | |softplus [id E] ''   
             |   |x [id D]
             |Elemwise{expm1,no_inplace} [id F] ''   
               |x [id D]
        "#]],
    );
}

#[test]
fn s09_fill_zeros_like_ones_like() {
    let x = T::dmatrix("x");
    check(
        &(T::fill(&x, 3.0) + T::zeros_like(&x) + T::ones_like(&x)),
        expect![[r#"
        ((fill(x, TensorConstant{3.0}) + fill(x, TensorConstant{0.0})) + fill(x, TensorConstant{1.0}))
        ---
        Elemwise{add,no_inplace} [id A] ''   
         |Elemwise{add,no_inplace} [id B] ''   
         | |Elemwise{second,no_inplace} [id C] ''   
         | | |x [id D]
         | | |InplaceDimShuffle{x,x} [id E] ''   
         | |   |TensorConstant{3.0} [id F]
         | |Elemwise{second,no_inplace} [id G] ''   
         |   |x [id D]
         |   |InplaceDimShuffle{x,x} [id H] ''   
         |     |TensorConstant{0.0} [id I]
         |Elemwise{second,no_inplace} [id J] ''   
           |x [id D]
           |InplaceDimShuffle{x,x} [id K] ''   
             |TensorConstant{1.0} [id L]
    "#]],
    );
}

#[test]
fn s10_dot_matrix_matrix() {
    let (x, y) = xy();
    check(
        &T::dot(&x, &y).unwrap(),
        expect![[r#"
        (x \dot y)
        ---
        dot [id A] ''   
         |x [id B]
         |y [id C]
    "#]],
    );
}

#[test]
fn s11_dot_matrix_vector_vector_matrix_vector_vector() {
    let x = T::dmatrix("x");
    let v = T::dvector("v");
    let mv = T::dot(&x, &v).unwrap();
    let vm = T::dot(&v, &x).unwrap();
    check(
        &T::dot(&mv, &vm).unwrap(),
        expect![[r#"
        ((x \dot v) \dot (v \dot x))
        ---
        dot [id A] ''   
         |dot [id B] ''   
         | |x [id C]
         | |v [id D]
         |dot [id E] ''   
           |v [id D]
           |x [id C]
    "#]],
    );
}

#[test]
fn s12_dot_with_scalar_is_mul() {
    let x = T::dmatrix("x");
    let s = T::dscalar("s");
    check(
        &T::dot(&s, &x).unwrap(),
        expect![[r#"
        (s * x)
        ---
        Elemwise{mul,no_inplace} [id A] ''   
         |InplaceDimShuffle{x,x} [id B] ''   
         | |s [id C]
         |x [id D]
    "#]],
    );
}

#[test]
fn s13_sum_all_and_axes_keepdims() {
    let x = T::dtensor3("x");
    let a = T::sum(&x);
    let b = T::sum_axes(&x, Some(&[0, 2]), true).unwrap();
    check(
        &(a + b),
        expect![[r#"
            (Sum{acc_dtype=float64}(x) + DimShuffle{0, x}(Sum{axis=[0, 2], acc_dtype=float64}(x)))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |InplaceDimShuffle{x,x,x} [id B] ''   
             | |Sum{acc_dtype=float64} [id C] ''   
             |   |x [id D]
             |InplaceDimShuffle{x,0,x} [id E] ''   
               |Sum{axis=[0, 2], acc_dtype=float64} [id F] ''   
                 |x [id D]
        "#]],
    );
}

#[test]
fn s14_prod_all_any() {
    let x = T::dmatrix("x");
    let p = T::prod_axes(&x, Some(&[1]), false).unwrap();
    let b = T::all_axes(T::gt(&x, 0.0), Some(&[0]), false).unwrap();
    let c = T::any(T::lt(&x, 0.0));
    check(
        &T::switch(c, T::sum(&p), T::sum(b)),
        expect![[r#"
            switch(Any(lt(x, TensorConstant{0.0})), Sum{acc_dtype=float64}(Prod{axis=(1,), dtype='float64', acc_dtype='float64'}(x)), Sum{acc_dtype=int64}(All{0}(gt(x, TensorConstant{0.0}))))
            ---
            Elemwise{switch,no_inplace} [id A] ''   
             |Any [id B] ''   
             | |Elemwise{lt,no_inplace} [id C] ''   
             |   |x [id D]
             |   |InplaceDimShuffle{x,x} [id E] ''   
             |     |TensorConstant{0.0} [id F]
             |Sum{acc_dtype=float64} [id G] ''   
             | |Prod{axis=(1,), dtype='float64', acc_dtype='float64'} [id H] ''   
             |   |x [id D]
             |Sum{acc_dtype=int64} [id I] ''   
               |All{0} [id J] ''   
                 |Elemwise{gt,no_inplace} [id K] ''   
                   |x [id D]
                   |InplaceDimShuffle{x,x} [id L] ''   
                     |TensorConstant{0.0} [id F]
        "#]],
    );
}

#[test]
fn s15_mean_all() {
    let x = T::dmatrix("x");
    check(
        &T::mean(&x, None, false).unwrap(),
        expect![[r#"
            ((Sum{acc_dtype=float64}(x) / float64(Shape(x))[Constant{0}]) / float64(Shape(x))[Constant{1}])
            ---
            Elemwise{true_div,no_inplace} [id A] 'mean'   
             |Elemwise{true_div,no_inplace} [id B] ''   
             | |Sum{acc_dtype=float64} [id C] ''   
             | | |x [id D]
             | |Subtensor{int64} [id E] ''   
             |   |Elemwise{Cast{float64}} [id F] ''   
             |   | |Shape [id G] ''   
             |   |   |x [id D]
             |   |Constant{0} [id H]
             |Subtensor{int64} [id I] ''   
               |Elemwise{Cast{float64}} [id F] ''   
               |Constant{1} [id J]
        "#]],
    );
}

#[test]
fn s16_mean_axis_keepdims() {
    let x = T::dmatrix("x");
    check(
        &T::mean(&x, Some(&[1]), true).unwrap(),
        expect![[r#"
            (DimShuffle{0, x}(Sum{axis=[1], acc_dtype=float64}(x)) / float64(Shape(x))[Constant{1}])
            ---
            Elemwise{true_div,no_inplace} [id A] 'mean'   
             |InplaceDimShuffle{0,x} [id B] ''   
             | |Sum{axis=[1], acc_dtype=float64} [id C] ''   
             |   |x [id D]
             |InplaceDimShuffle{x,x} [id E] ''   
               |Subtensor{int64} [id F] ''   
                 |Elemwise{Cast{float64}} [id G] ''   
                 | |Shape [id H] ''   
                 |   |x [id D]
                 |Constant{1} [id I]
        "#]],
    );
}

#[test]
fn s17_max_argmax_min() {
    let x = T::dmatrix("x");
    let m = T::max(&x, Some(&[0]), false).unwrap();
    let a = T::argmax(&x, Some(&[0]), false).unwrap();
    let n = T::min(&x, Some(&[0]), true).unwrap();
    check(
        &T::stack(&[m, T::cast(a, DType::Float64), n.flatten(1).unwrap()], 0).unwrap(),
        expect![[r#"
            join(TensorConstant{0}, MaxAndArgmax{axis=(0,)}(x), float64(MaxAndArgmax{axis=(0,)}(x)), Reshape{1}((-MaxAndArgmax{axis=(0,)}((-x))), TensorConstant{(1,) of -1}))
            ---
            Join [id A] ''   
             |TensorConstant{0} [id B]
             |InplaceDimShuffle{x,0} [id C] ''   
             | |MaxAndArgmax{axis=(0,)}.0 [id D] 'max'   
             |   |x [id E]
             |InplaceDimShuffle{x,0} [id F] ''   
             | |Elemwise{Cast{float64}} [id G] ''   
             |   |MaxAndArgmax{axis=(0,)}.1 [id H] 'argmax'   
             |     |x [id E]
             |InplaceDimShuffle{x,0} [id I] ''   
               |Reshape{1} [id J] ''   
                 |Elemwise{neg,no_inplace} [id K] ''   
                 | |InplaceDimShuffle{x,0} [id L] ''   
                 |   |MaxAndArgmax{axis=(0,)}.0 [id M] 'max'   
                 |     |Elemwise{neg,no_inplace} [id N] ''   
                 |       |x [id E]
                 |TensorConstant{(1,) of -1} [id O]
        "#]],
    );
}

#[test]
fn s18_var_and_std() {
    let x = T::dmatrix("x");
    let v = T::var(&x, Some(&[0]), false).unwrap();
    let s = T::std(&x, None, false).unwrap();
    check(
        &(v + s),
        expect![[r#"
            ((Sum{axis=[0], acc_dtype=float64}(((x - (Sum{axis=[0], acc_dtype=float64}(x) / float64(Shape(x))[Constant{0}])) ** TensorConstant{2.0})) / float64(Shape(((x - (Sum{axis=[0], acc_dtype=float64}(x) / float64(Shape(x))[Constant{0}])) ** TensorConstant{2.0})))[Constant{0}]) + sqrt(((Sum{axis=[0, 1], acc_dtype=float64}(((x - ((Sum{axis=[0, 1], acc_dtype=float64}(x) / float64(Shape(x))[Constant{0}]) / float64(Shape(x))[Constant{1}])) ** TensorConstant{2.0})) / float64(Shape(((x - ((Sum{axis=[0, 1], acc_dtype=float64}(x) / float64(Shape(x))[Constant{0}]) / float64(Shape(x))[Constant{1}])) ** TensorConstant{2.0})))[Constant{0}]) / float64(Shape(((x - ((Sum{axis=[0, 1], acc_dtype=float64}(x) / float64(Shape(x))[Constant{0}]) / float64(Shape(x))[Constant{1}])) ** TensorConstant{2.0})))[Constant{1}])))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Elemwise{true_div,no_inplace} [id B] 'var'   
             | |Sum{axis=[0], acc_dtype=float64} [id C] ''   
             | | |Elemwise{pow,no_inplace} [id D] ''   
             | |   |Elemwise{sub,no_inplace} [id E] ''   
             | |   | |x [id F]
             | |   | |Elemwise{true_div,no_inplace} [id G] 'mean'   
             | |   |   |InplaceDimShuffle{x,0} [id H] ''   
             | |   |   | |Sum{axis=[0], acc_dtype=float64} [id I] ''   
             | |   |   |   |x [id F]
             | |   |   |InplaceDimShuffle{x,x} [id J] ''   
             | |   |     |Subtensor{int64} [id K] ''   
             | |   |       |Elemwise{Cast{float64}} [id L] ''   
             | |   |       | |Shape [id M] ''   
             | |   |       |   |x [id F]
             | |   |       |Constant{0} [id N]
             | |   |InplaceDimShuffle{x,x} [id O] ''   
             | |     |TensorConstant{2.0} [id P]
             | |InplaceDimShuffle{x} [id Q] ''   
             |   |Subtensor{int64} [id R] ''   
             |     |Elemwise{Cast{float64}} [id S] ''   
             |     | |Shape [id T] ''   
             |     |   |Elemwise{pow,no_inplace} [id D] ''   
             |     |Constant{0} [id U]
             |InplaceDimShuffle{x} [id V] ''   
               |Elemwise{sqrt,no_inplace} [id W] 'std'   
                 |Elemwise{true_div,no_inplace} [id X] 'var'   
                   |Elemwise{true_div,no_inplace} [id Y] ''   
                   | |Sum{axis=[0, 1], acc_dtype=float64} [id Z] ''   
                   | | |Elemwise{pow,no_inplace} [id BA] ''   
                   | |   |Elemwise{sub,no_inplace} [id BB] ''   
                   | |   | |x [id F]
                   | |   | |Elemwise{true_div,no_inplace} [id BC] 'mean'   
                   | |   |   |Elemwise{true_div,no_inplace} [id BD] ''   
                   | |   |   | |InplaceDimShuffle{x,x} [id BE] ''   
                   | |   |   | | |Sum{axis=[0, 1], acc_dtype=float64} [id BF] ''   
                   | |   |   | |   |x [id F]
                   | |   |   | |InplaceDimShuffle{x,x} [id BG] ''   
                   | |   |   |   |Subtensor{int64} [id BH] ''   
                   | |   |   |     |Elemwise{Cast{float64}} [id BI] ''   
                   | |   |   |     | |Shape [id BJ] ''   
                   | |   |   |     |   |x [id F]
                   | |   |   |     |Constant{0} [id BK]
                   | |   |   |InplaceDimShuffle{x,x} [id BL] ''   
                   | |   |     |Subtensor{int64} [id BM] ''   
                   | |   |       |Elemwise{Cast{float64}} [id BI] ''   
                   | |   |       |Constant{1} [id BN]
                   | |   |InplaceDimShuffle{x,x} [id BO] ''   
                   | |     |TensorConstant{2.0} [id P]
                   | |Subtensor{int64} [id BP] ''   
                   |   |Elemwise{Cast{float64}} [id BQ] ''   
                   |   | |Shape [id BR] ''   
                   |   |   |Elemwise{pow,no_inplace} [id BA] ''   
                   |   |Constant{0} [id BS]
                   |Subtensor{int64} [id BT] ''   
                     |Elemwise{Cast{float64}} [id BQ] ''   
                     |Constant{1} [id BU]
        "#]],
    );
}

#[test]
fn s19_dimshuffle_transpose_and_permutations() {
    let x = T::dtensor3("x");
    let a = x.dimshuffle(&[Some(2), Some(0), Some(1)]).unwrap();
    let b = T::transpose(&x, None)
        .unwrap()
        .dimshuffle(&[Some(2), Some(1), Some(0)])
        .unwrap();
    let c = T::dvector("v").dimshuffle(&[Some(0), None, None]).unwrap();
    check(
        &(a + b.dimshuffle(&[Some(2), Some(0), Some(1)]).unwrap() + c),
        expect![[r#"
            ((DimShuffle{2, 0, 1}(x) + DimShuffle{2, 0, 1}(x.T.T)) + DimShuffle{0, x, x}(v))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Elemwise{add,no_inplace} [id B] ''   
             | |InplaceDimShuffle{2,0,1} [id C] ''   
             | | |x [id D]
             | |InplaceDimShuffle{2,0,1} [id E] ''   
             |   |InplaceDimShuffle{2,1,0} [id F] ''   
             |     |InplaceDimShuffle{2,1,0} [id G] 'x.T'   
             |       |x [id D]
             |InplaceDimShuffle{0,x,x} [id H] ''   
               |v [id I]
        "#]],
    );
}

#[test]
fn s20_reshape_constant_and_symbolic() {
    let x = T::dmatrix("x");
    let n = T::lscalar("n");
    let r = x.reshape([-1i64, 2]).unwrap();
    let s = x.reshape(&[n.clone(), x.shape_i(1).unwrap()][..]).unwrap();
    check(
        &(r + s),
        expect![[r#"
            (Reshape{2}(x, TensorConstant{[-1  2]}) + Reshape{2}(x, [n, Shape_i{1}(x)]))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Reshape{2} [id B] ''   
             | |x [id C]
             | |TensorConstant{[-1  2]} [id D]
             |Reshape{2} [id E] ''   
               |x [id C]
               |MakeVector{dtype='int64'} [id F] ''   
                 |n [id G]
                 |Shape_i{1} [id H] ''   
                   |x [id C]
        "#]],
    );
}

#[test]
fn s21_flatten_shape_shape_i() {
    let x = T::dtensor3("x");
    let f = x.flatten(2).unwrap();
    check(
        &(T::sum(x.shape()) + f.shape_i(0).unwrap()),
        expect![[r#"
            (Sum{acc_dtype=int64}(Shape(x)) + Shape_i{0}(Reshape{2}(x, [Shape(x)[:int64][Constant{0}], int64(TensorConstant{-1})])))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Sum{acc_dtype=int64} [id B] ''   
             | |Shape [id C] ''   
             |   |x [id D]
             |Shape_i{0} [id E] ''   
               |Reshape{2} [id F] ''   
                 |x [id D]
                 |MakeVector{dtype='int64'} [id G] ''   
                   |Subtensor{int64} [id H] ''   
                   | |Subtensor{:int64:} [id I] ''   
                   | | |Shape [id J] ''   
                   | | | |x [id D]
                   | | |Constant{1} [id K]
                   | |Constant{0} [id L]
                   |Elemwise{Cast{int64}} [id M] ''   
                     |TensorConstant{-1} [id N]
        "#]],
    );
}

#[test]
fn s22_arange() {
    let n = T::lscalar("n");
    let a = T::arange(&n).unwrap();
    let b = T::arange_full(2i64, &n, 3i64).unwrap();
    check(
        &(a.get(&[Idx::to(3i64)]).unwrap() * b.get(&[Idx::to(3i64)]).unwrap()),
        expect![[r#"
            (ARange{dtype='int64'}(TensorConstant{0}, n, TensorConstant{1})[:int64] * ARange{dtype='int64'}(TensorConstant{2}, n, TensorConstant{3})[:int64])
            ---
            Elemwise{mul,no_inplace} [id A] ''   
             |Subtensor{:int64:} [id B] ''   
             | |ARange{dtype='int64'} [id C] ''   
             | | |TensorConstant{0} [id D]
             | | |n [id E]
             | | |TensorConstant{1} [id F]
             | |Constant{3} [id G]
             |Subtensor{:int64:} [id H] ''   
               |ARange{dtype='int64'} [id I] ''   
               | |TensorConstant{2} [id J]
               | |n [id E]
               | |TensorConstant{3} [id K]
               |Constant{3} [id L]
        "#]],
    );
}

#[test]
fn s23_alloc_zeros_ones() {
    let n = T::lscalar("n");
    let v = T::dvector("v");
    let a = T::alloc(&v, &[n.clone(), v.shape_i(0).unwrap()]).unwrap();
    let z = T::zeros(&[2, 3], None).unwrap();
    let o = T::ones(&[2, 3], None).unwrap();
    check(
        &(T::sum(a) + T::sum(z + o)),
        expect![[r#"
            (Sum{acc_dtype=float64}(alloc(v, n, Shape_i{0}(v))) + Sum{acc_dtype=float64}((alloc(TensorConstant{0.0}, TensorConstant{2}, TensorConstant{3}) + alloc(TensorConstant{1.0}, TensorConstant{2}, TensorConstant{3}))))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Sum{acc_dtype=float64} [id B] ''   
             | |Alloc [id C] ''   
             |   |v [id D]
             |   |n [id E]
             |   |Shape_i{0} [id F] ''   
             |     |v [id D]
             |Sum{acc_dtype=float64} [id G] ''   
               |Elemwise{add,no_inplace} [id H] ''   
                 |Alloc [id I] ''   
                 | |TensorConstant{0.0} [id J]
                 | |TensorConstant{2} [id K]
                 | |TensorConstant{3} [id L]
                 |Alloc [id M] ''   
                   |TensorConstant{1.0} [id N]
                   |TensorConstant{2} [id O]
                   |TensorConstant{3} [id P]
        "#]],
    );
}

#[test]
fn s24_concatenate_and_stack() {
    let (x, y) = xy();
    let j = T::concatenate(&[x.clone(), y.clone()], 1).unwrap();
    let s = T::stack(&[x, y], 0).unwrap();
    check(
        &(T::sum(j) + T::sum(s)),
        expect![[r#"
            (Sum{acc_dtype=float64}(join(TensorConstant{1}, x, y)) + Sum{acc_dtype=float64}(join(TensorConstant{0}, x, y)))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Sum{acc_dtype=float64} [id B] ''   
             | |Join [id C] ''   
             |   |TensorConstant{1} [id D]
             |   |x [id E]
             |   |y [id F]
             |Sum{acc_dtype=float64} [id G] ''   
               |Join [id H] ''   
                 |TensorConstant{0} [id I]
                 |InplaceDimShuffle{x,0,1} [id J] ''   
                 | |x [id E]
                 |InplaceDimShuffle{x,0,1} [id K] ''   
                   |y [id F]
        "#]],
    );
}

#[test]
fn s25_make_vector() {
    let a = T::lscalar("a");
    let b = T::lscalar("b");
    check(
        &T::make_vector(
            &[a, b, T::try_constant(Tensor::scalar(4i64)).unwrap()],
            DType::Int64,
        )
        .unwrap(),
        expect![[r#"
        [a, b, TensorConstant{4}]
        ---
        MakeVector{dtype='int64'} [id A] ''   
         |a [id B]
         |b [id C]
         |TensorConstant{4} [id D]
    "#]],
    );
}

#[test]
fn s26_subtensor_constant_indices_and_slices() {
    let x = T::dmatrix("x");
    let a = x.get(&[1i64.into(), Idx::all()]).unwrap();
    let b = x.get(&[Idx::range(0i64, 2i64), (-1i64).into()]).unwrap();
    let c = x
        .get(&[
            Idx::step(2i64),
            Idx::slice(
                Some(T::try_constant(Tensor::scalar(1i64)).unwrap()),
                None,
                Some(T::try_constant(Tensor::scalar(-1i64)).unwrap()),
            ),
        ])
        .unwrap();
    check(
        &(T::sum(a) + T::sum(b) + T::sum(c)),
        expect![[r#"
            ((Sum{acc_dtype=float64}(x[Constant{1}, :]) + Sum{acc_dtype=float64}(x[int64:int64, Constant{-1}])) + Sum{acc_dtype=float64}(x[::int64, int64::int64]))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Elemwise{add,no_inplace} [id B] ''   
             | |Sum{acc_dtype=float64} [id C] ''   
             | | |Subtensor{int64, ::} [id D] ''   
             | |   |x [id E]
             | |   |Constant{1} [id F]
             | |Sum{acc_dtype=float64} [id G] ''   
             |   |Subtensor{int64:int64:, int64} [id H] ''   
             |     |x [id E]
             |     |Constant{0} [id I]
             |     |Constant{2} [id J]
             |     |Constant{-1} [id K]
             |Sum{acc_dtype=float64} [id L] ''   
               |Subtensor{::int64, int64::int64} [id M] ''   
                 |x [id E]
                 |Constant{2} [id N]
                 |Constant{1} [id O]
                 |Constant{-1} [id P]
        "#]],
    );
}

#[test]
fn s27_subtensor_symbolic_bounds_and_steps() {
    let x = T::dmatrix("x");
    let i = T::lscalar("i");
    let s = T::lscalar("s");
    let bs = 20i64;
    let rows = x.slice_rows(&i * bs, (&i + 1) * bs).unwrap();
    let cols = rows
        .get(&[
            Idx::all(),
            Idx::slice(None, Some(x.shape_i(1).unwrap() - 1), Some(s)),
        ])
        .unwrap();
    check(
        &cols.at(&i).unwrap(),
        expect![[r#"
            x[int64:int64][:, :int64:int64][ScalarFromTensor(i)]
            ---
            Subtensor{int64} [id A] ''   
             |Subtensor{::, :int64:int64} [id B] ''   
             | |Subtensor{int64:int64:} [id C] ''   
             | | |x [id D]
             | | |ScalarFromTensor [id E] ''   
             | | | |Elemwise{mul,no_inplace} [id F] ''   
             | | |   |i [id G]
             | | |   |TensorConstant{20} [id H]
             | | |ScalarFromTensor [id I] ''   
             | |   |Elemwise{mul,no_inplace} [id J] ''   
             | |     |Elemwise{add,no_inplace} [id K] ''   
             | |     | |i [id G]
             | |     | |TensorConstant{1} [id L]
             | |     |TensorConstant{20} [id M]
             | |ScalarFromTensor [id N] ''   
             | | |Elemwise{sub,no_inplace} [id O] ''   
             | |   |Shape_i{1} [id P] ''   
             | |   | |x [id D]
             | |   |TensorConstant{1} [id L]
             | |ScalarFromTensor [id Q] ''   
             |   |s [id R]
             |ScalarFromTensor [id S] ''   
               |i [id G]
        "#]],
    );
}

#[test]
fn s28_advanced_indexing_log_likelihood() {
    let x = T::dmatrix("x");
    let y = T::lvector("y");
    let p = T::softmax(&x).unwrap();
    let rows = Idx::from(&T::arange(y.shape_i(0).unwrap()).unwrap());
    let nll = -T::mean(
        T::log(&p).get(&[rows, Idx::Array(y.clone())]).unwrap(),
        None,
        false,
    )
    .unwrap();
    check(
        &nll,
        expect![[r#"
            (-(Sum{acc_dtype=float64}(AdvancedSubtensor(log(Softmax(x)), ARange{dtype='int64'}(TensorConstant{0}, Shape_i{0}(y), TensorConstant{1}), y)) / float64(Shape(AdvancedSubtensor(log(Softmax(x)), ARange{dtype='int64'}(TensorConstant{0}, Shape_i{0}(y), TensorConstant{1}), y)))[Constant{0}]))
            ---
            Elemwise{neg,no_inplace} [id A] ''   
             |Elemwise{true_div,no_inplace} [id B] 'mean'   
               |Sum{acc_dtype=float64} [id C] ''   
               | |AdvancedSubtensor [id D] ''   
               |   |Elemwise{log,no_inplace} [id E] ''   
               |   | |Softmax [id F] ''   
               |   |   |x [id G]
               |   |ARange{dtype='int64'} [id H] ''   
               |   | |TensorConstant{0} [id I]
               |   | |Shape_i{0} [id J] ''   
               |   | | |y [id K]
               |   | |TensorConstant{1} [id L]
               |   |y [id K]
               |Subtensor{int64} [id M] ''   
                 |Elemwise{Cast{float64}} [id N] ''   
                 | |Shape [id O] ''   
                 |   |AdvancedSubtensor [id D] ''   
                 |Constant{0} [id P]
        "#]],
    );
}

#[test]
fn s29_advanced_subtensor1_and_set_inc() {
    let x = T::dmatrix("x");
    let idx = T::lvector("idx");
    let rows = x.get(&[Idx::Array(idx.clone())]).unwrap();
    let set = T::set_subtensor(&rows, 0.0).unwrap();
    let inc = T::inc_subtensor(&set.get(&[Idx::Array(idx)]).unwrap(), 1.0).unwrap();
    check(
        &inc,
        expect![[r#"
        AdvancedIncSubtensor1{no_inplace,inc}(AdvancedIncSubtensor1{no_inplace,set}(x, TensorConstant{0.0}, idx), TensorConstant{1.0}, idx)
        ---
        AdvancedIncSubtensor1{no_inplace,inc} [id A] ''   
         |AdvancedIncSubtensor1{no_inplace,set} [id B] ''   
         | |x [id C]
         | |TensorConstant{0.0} [id D]
         | |idx [id E]
         |TensorConstant{1.0} [id F]
         |idx [id E]
    "#]],
    );
}

#[test]
fn s30_set_and_inc_subtensor_basic() {
    let x = T::dmatrix("x");
    let i = T::lscalar("i");
    let s = T::set_subtensor(&x.at(&i).unwrap(), 5.0).unwrap();
    let t = T::inc_subtensor(
        &s.get(&[Idx::all(), Idx::range(1i64, 3i64)]).unwrap(),
        T::dvector("v")
            .dimshuffle(&[None, Some(0)])
            .unwrap()
            .get(&[Idx::all(), Idx::to(2i64)])
            .unwrap(),
    )
    .unwrap();
    check(
        &t,
        expect![[r#"
            IncSubtensor{Inc;::, int64:int64:}(IncSubtensor{Set;int64}(x, TensorConstant{5.0}, ScalarFromTensor(i)), v[:, :int64], Constant{1}, Constant{3})
            ---
            IncSubtensor{Inc;::, int64:int64:} [id A] ''   
             |IncSubtensor{Set;int64} [id B] ''   
             | |x [id C]
             | |TensorConstant{5.0} [id D]
             | |ScalarFromTensor [id E] ''   
             |   |i [id F]
             |Subtensor{::, :int64:} [id G] ''   
             | |InplaceDimShuffle{x,0} [id H] ''   
             | | |v [id I]
             | |Constant{2} [id J]
             |Constant{1} [id K]
             |Constant{3} [id L]
        "#]],
    );
}

#[test]
fn s31_advanced_inc_subtensor_two_arrays() {
    let x = T::dmatrix("x");
    let r = T::lvector("r");
    let c = T::lvector("c");
    let sub = x.get(&[Idx::Array(r), Idx::Array(c)]).unwrap();
    check(
        &T::inc_subtensor(&sub, 1.0).unwrap(),
        expect![[r#"
            AdvancedIncSubtensor{inplace=False,  set_instead_of_inc=False}(x, TensorConstant{1.0}, r, c)
            ---
            AdvancedIncSubtensor{inplace=False,  set_instead_of_inc=False} [id A] ''   
             |x [id B]
             |TensorConstant{1.0} [id C]
             |r [id D]
             |c [id E]
        "#]],
    );
}

#[test]
fn s32_softmax_and_log_softmax() {
    let x = T::dmatrix("x");
    let w = Variable::shared(Tensor::zeros(DType::Float64, &[3, 2]), Some("W")).unwrap();
    let b = Variable::shared(Tensor::zeros(DType::Float64, &[2]), Some("b")).unwrap();
    let z = T::dot(&x, &w).unwrap() + &b;
    check(
        &(T::softmax(&z).unwrap() - T::exp(T::log_softmax(&z).unwrap())),
        expect![[r#"
        (Softmax(((x \dot W) + b)) - exp(LogSoftmax(((x \dot W) + b))))
        ---
        Elemwise{sub,no_inplace} [id A] ''   
         |Softmax [id B] ''   
         | |Elemwise{add,no_inplace} [id C] ''   
         |   |dot [id D] ''   
         |   | |x [id E]
         |   | |W [id F]
         |   |InplaceDimShuffle{x,0} [id G] ''   
         |     |b [id H]
         |Elemwise{exp,no_inplace} [id I] ''   
           |LogSoftmax [id J] ''   
             |Elemwise{add,no_inplace} [id C] ''   
    "#]],
    );
}

#[test]
fn s33_notebook_logistic_regression_cost() {
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let w = Variable::shared(Tensor::zeros(DType::Float64, &[784]), Some("w")).unwrap();
    let b = Variable::shared(Tensor::scalar(0.0f64), Some("b")).unwrap();
    let p_1 = 1i64 / (1i64 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let xent = -&y * T::log(&p_1) - (1i64 - &y) * T::log(1i64 - &p_1);
    let cost = xent.mean() + 0.01 * w.pow(2i64).sum();
    check(
        &cost,
        expect![[r#"
            ((Sum{acc_dtype=float64}((((-y) * log((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \dot w)) - b)))))) - ((TensorConstant{1} - y) * log((TensorConstant{1} - (TensorConstant{1} / (TensorConstant{1} + exp(((-(x \dot w)) - b))))))))) / float64(Shape((((-y) * log((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \dot w)) - b)))))) - ((TensorConstant{1} - y) * log((TensorConstant{1} - (TensorConstant{1} / (TensorConstant{1} + exp(((-(x \dot w)) - b))))))))))[Constant{0}]) + (TensorConstant{0.01} * Sum{acc_dtype=float64}((w ** TensorConstant{2}))))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Elemwise{true_div,no_inplace} [id B] 'mean'   
             | |Sum{acc_dtype=float64} [id C] ''   
             | | |Elemwise{sub,no_inplace} [id D] ''   
             | |   |Elemwise{mul,no_inplace} [id E] ''   
             | |   | |Elemwise{neg,no_inplace} [id F] ''   
             | |   | | |y [id G]
             | |   | |Elemwise{log,no_inplace} [id H] ''   
             | |   |   |Elemwise{true_div,no_inplace} [id I] ''   
             | |   |     |InplaceDimShuffle{x} [id J] ''   
             | |   |     | |TensorConstant{1} [id K]
             | |   |     |Elemwise{add,no_inplace} [id L] ''   
             | |   |       |InplaceDimShuffle{x} [id M] ''   
             | |   |       | |TensorConstant{1} [id K]
             | |   |       |Elemwise{exp,no_inplace} [id N] ''   
             | |   |         |Elemwise{sub,no_inplace} [id O] ''   
             | |   |           |Elemwise{neg,no_inplace} [id P] ''   
             | |   |           | |dot [id Q] ''   
             | |   |           |   |x [id R]
             | |   |           |   |w [id S]
             | |   |           |InplaceDimShuffle{x} [id T] ''   
             | |   |             |b [id U]
             | |   |Elemwise{mul,no_inplace} [id V] ''   
             | |     |Elemwise{sub,no_inplace} [id W] ''   
             | |     | |InplaceDimShuffle{x} [id X] ''   
             | |     | | |TensorConstant{1} [id K]
             | |     | |y [id G]
             | |     |Elemwise{log,no_inplace} [id Y] ''   
             | |       |Elemwise{sub,no_inplace} [id Z] ''   
             | |         |InplaceDimShuffle{x} [id BA] ''   
             | |         | |TensorConstant{1} [id K]
             | |         |Elemwise{true_div,no_inplace} [id I] ''   
             | |Subtensor{int64} [id BB] ''   
             |   |Elemwise{Cast{float64}} [id BC] ''   
             |   | |Shape [id BD] ''   
             |   |   |Elemwise{sub,no_inplace} [id D] ''   
             |   |Constant{0} [id BE]
             |Elemwise{mul,no_inplace} [id BF] ''   
               |TensorConstant{0.01} [id BG]
               |Sum{acc_dtype=float64} [id BH] ''   
                 |Elemwise{pow,no_inplace} [id BI] ''   
                   |w [id S]
                   |InplaceDimShuffle{x} [id BJ] ''   
                     |TensorConstant{2} [id BK]
        "#]],
    );
}

#[test]
fn s34_notebook_prediction() {
    let x = T::dmatrix("x");
    let w = Variable::shared(Tensor::zeros(DType::Float64, &[784]), Some("w")).unwrap();
    let b = Variable::shared(Tensor::scalar(0.0f64), Some("b")).unwrap();
    let p_1 = 1i64 / (1i64 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    check(
        &T::gt(&p_1, 0.5),
        expect![[r#"
            gt((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \dot w)) - b)))), TensorConstant{0.5})
            ---
            Elemwise{gt,no_inplace} [id A] ''   
             |Elemwise{true_div,no_inplace} [id B] ''   
             | |InplaceDimShuffle{x} [id C] ''   
             | | |TensorConstant{1} [id D]
             | |Elemwise{add,no_inplace} [id E] ''   
             |   |InplaceDimShuffle{x} [id F] ''   
             |   | |TensorConstant{1} [id D]
             |   |Elemwise{exp,no_inplace} [id G] ''   
             |     |Elemwise{sub,no_inplace} [id H] ''   
             |       |Elemwise{neg,no_inplace} [id I] ''   
             |       | |dot [id J] ''   
             |       |   |x [id K]
             |       |   |w [id L]
             |       |InplaceDimShuffle{x} [id M] ''   
             |         |b [id N]
             |InplaceDimShuffle{x} [id O] ''   
               |TensorConstant{0.5} [id P]
        "#]],
    );
}

#[test]
fn s35_softmax_regression_prediction_and_errors() {
    let x = T::dmatrix("x");
    let y = T::ivector("y");
    let w = Variable::shared(Tensor::zeros(DType::Float64, &[784, 10]), Some("W")).unwrap();
    let b = Variable::shared(Tensor::zeros(DType::Float64, &[10]), Some("b")).unwrap();
    let p = T::softmax(T::dot(&x, &w).unwrap() + &b).unwrap();
    let y_pred = T::argmax(&p, Some(&[1]), false).unwrap();
    check(
        &T::mean(T::neq(&y_pred, &y), None, false).unwrap(),
        expect![[r#"
            (Sum{acc_dtype=int64}(neq(MaxAndArgmax{axis=(1,)}(Softmax(((x \dot W) + b))), y)) / float64(Shape(neq(MaxAndArgmax{axis=(1,)}(Softmax(((x \dot W) + b))), y)))[Constant{0}])
            ---
            Elemwise{true_div,no_inplace} [id A] 'mean'   
             |Sum{acc_dtype=int64} [id B] ''   
             | |Elemwise{neq,no_inplace} [id C] ''   
             |   |MaxAndArgmax{axis=(1,)}.1 [id D] 'argmax'   
             |   | |Softmax [id E] ''   
             |   |   |Elemwise{add,no_inplace} [id F] ''   
             |   |     |dot [id G] ''   
             |   |     | |x [id H]
             |   |     | |W [id I]
             |   |     |InplaceDimShuffle{x,0} [id J] ''   
             |   |       |b [id K]
             |   |y [id L]
             |Subtensor{int64} [id M] ''   
               |Elemwise{Cast{float64}} [id N] ''   
               | |Shape [id O] ''   
               |   |Elemwise{neq,no_inplace} [id C] ''   
               |Constant{0} [id P]
        "#]],
    );
}

#[test]
fn s36_unnamed_inputs_and_shared() {
    let u = Variable::input(T::DMATRIX, None);
    let s = Variable::shared(Tensor::zeros(DType::Float64, &[2]), None).unwrap();
    check(
        &(&u + &s),
        expect![[r#"
        (<TensorType(float64, matrix)> + <TensorType(float64, vector)>)
        ---
        Elemwise{add,no_inplace} [id A] ''   
         |<TensorType(float64, matrix)> [id B]
         |InplaceDimShuffle{x,0} [id C] ''   
           |<TensorType(float64, vector)> [id D]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s40_catalogue_trig_special() {
    let (x, y) = xy();
    check(
        &(T::sin(&x) * T::cos(&y) + T::arctan2(&x, &y) - T::erfinv(&x) / T::gammaln(&y)),
        expect![[r#"
        (((sin(x) * cos(y)) + arctan2(x, y)) - (erfinv(x) / gammaln(y)))
        ---
        Elemwise{sub,no_inplace} [id A] ''   
         |Elemwise{add,no_inplace} [id B] ''   
         | |Elemwise{mul,no_inplace} [id C] ''   
         | | |Elemwise{sin,no_inplace} [id D] ''   
         | | | |x [id E]
         | | |Elemwise{cos,no_inplace} [id F] ''   
         | |   |y [id G]
         | |Elemwise{arctan2,no_inplace} [id H] ''   
         |   |x [id E]
         |   |y [id G]
         |Elemwise{true_div,no_inplace} [id I] ''   
           |Elemwise{erfinv,no_inplace} [id J] ''   
           | |x [id E]
           |Elemwise{gammaln,no_inplace} [id K] ''   
             |y [id G]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s41_catalogue_isnan_inv_trunc() {
    let (x, y) = xy();
    check(
        &(T::switch(T::isnan(&x), T::log2(&y), T::exp2(&x)) + T::inv(&x) * T::deg2rad(&y)
            - T::trunc(T::psi(&x))),
        expect![[r#"
        ((switch(isnan(x), log2(y), exp2(x)) + (inv(x) * deg2rad(y))) - trunc(psi(x)))
        ---
        Elemwise{sub,no_inplace} [id A] ''   
         |Elemwise{add,no_inplace} [id B] ''   
         | |Elemwise{switch,no_inplace} [id C] ''   
         | | |Elemwise{isnan,no_inplace} [id D] ''   
         | | | |x [id E]
         | | |Elemwise{log2,no_inplace} [id F] ''   
         | | | |y [id G]
         | | |Elemwise{exp2,no_inplace} [id H] ''   
         | |   |x [id E]
         | |Elemwise{mul,no_inplace} [id I] ''   
         |   |Elemwise{inv,no_inplace} [id J] ''   
         |   | |x [id E]
         |   |Elemwise{deg2rad,no_inplace} [id K] ''   
         |     |y [id G]
         |Elemwise{trunc,no_inplace} [id L] ''   
           |Elemwise{psi,no_inplace} [id M] ''   
             |x [id E]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s42_catalogue_hyperbolic_erf_gamma() {
    let (x, y) = xy();
    check(
        &(T::sinh(&x) + T::cosh(&x) * T::arcsinh(&y) - T::arccosh(&x) / T::arctanh(&y)
            + T::tan(&x) * T::arcsin(&y)
            - T::arccos(&x) * T::arctan(&y)
            + T::log10(&x) * T::erf(&y)
            - T::erfc(&x) * T::erfcinv(&y)
            + T::gamma(&x) * T::rad2deg(&y)
            + T::isinf(&x)),
        expect![[r#"
        ((((((((sinh(x) + (cosh(x) * arcsinh(y))) - (arccosh(x) / arctanh(y))) + (tan(x) * arcsin(y))) - (arccos(x) * arctan(y))) + (log10(x) * erf(y))) - (erfc(x) * erfcinv(y))) + (gamma(x) * rad2deg(y))) + isinf(x))
        ---
        Elemwise{add,no_inplace} [id A] ''   
         |Elemwise{add,no_inplace} [id B] ''   
         | |Elemwise{sub,no_inplace} [id C] ''   
         | | |Elemwise{add,no_inplace} [id D] ''   
         | | | |Elemwise{sub,no_inplace} [id E] ''   
         | | | | |Elemwise{add,no_inplace} [id F] ''   
         | | | | | |Elemwise{sub,no_inplace} [id G] ''   
         | | | | | | |Elemwise{add,no_inplace} [id H] ''   
         | | | | | | | |Elemwise{sinh,no_inplace} [id I] ''   
         | | | | | | | | |x [id J]
         | | | | | | | |Elemwise{mul,no_inplace} [id K] ''   
         | | | | | | |   |Elemwise{cosh,no_inplace} [id L] ''   
         | | | | | | |   | |x [id J]
         | | | | | | |   |Elemwise{arcsinh,no_inplace} [id M] ''   
         | | | | | | |     |y [id N]
         | | | | | | |Elemwise{true_div,no_inplace} [id O] ''   
         | | | | | |   |Elemwise{arccosh,no_inplace} [id P] ''   
         | | | | | |   | |x [id J]
         | | | | | |   |Elemwise{arctanh,no_inplace} [id Q] ''   
         | | | | | |     |y [id N]
         | | | | | |Elemwise{mul,no_inplace} [id R] ''   
         | | | | |   |Elemwise{tan,no_inplace} [id S] ''   
         | | | | |   | |x [id J]
         | | | | |   |Elemwise{arcsin,no_inplace} [id T] ''   
         | | | | |     |y [id N]
         | | | | |Elemwise{mul,no_inplace} [id U] ''   
         | | | |   |Elemwise{arccos,no_inplace} [id V] ''   
         | | | |   | |x [id J]
         | | | |   |Elemwise{arctan,no_inplace} [id W] ''   
         | | | |     |y [id N]
         | | | |Elemwise{mul,no_inplace} [id X] ''   
         | | |   |Elemwise{log10,no_inplace} [id Y] ''   
         | | |   | |x [id J]
         | | |   |Elemwise{erf,no_inplace} [id Z] ''   
         | | |     |y [id N]
         | | |Elemwise{mul,no_inplace} [id BA] ''   
         | |   |Elemwise{erfc,no_inplace} [id BB] ''   
         | |   | |x [id J]
         | |   |Elemwise{erfcinv,no_inplace} [id BC] ''   
         | |     |y [id N]
         | |Elemwise{mul,no_inplace} [id BD] ''   
         |   |Elemwise{gamma,no_inplace} [id BE] ''   
         |   | |x [id J]
         |   |Elemwise{rad2deg,no_inplace} [id BF] ''   
         |     |y [id N]
         |Elemwise{isinf,no_inplace} [id BG] ''   
           |x [id J]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s43_nnet_relu_elu() {
    let (x, y) = xy();
    check(
        &(T::relu(&x) + T::elu(&y)),
        expect![[r#"
        ((TensorConstant{0.5} * (x + |x|)) + switch(gt(y, TensorConstant{0}), y, (TensorConstant{1} * expm1(y))))
        ---
        Elemwise{add,no_inplace} [id A] ''   
         |Elemwise{mul,no_inplace} [id B] ''   
         | |InplaceDimShuffle{x,x} [id C] ''   
         | | |TensorConstant{0.5} [id D]
         | |Elemwise{add,no_inplace} [id E] ''   
         |   |x [id F]
         |   |Elemwise{abs_,no_inplace} [id G] ''   
         |     |x [id F]
         |Elemwise{switch,no_inplace} [id H] ''   
           |Elemwise{gt,no_inplace} [id I] ''   
           | |y [id J]
           | |InplaceDimShuffle{x,x} [id K] ''   
           |   |TensorConstant{0} [id L]
           |y [id J]
           |Elemwise{mul,no_inplace} [id M] ''   
             |InplaceDimShuffle{x,x} [id N] ''   
             | |TensorConstant{1} [id O]
             |Elemwise{expm1,no_inplace} [id P] ''   
               |y [id J]
    "#]],
    );
}

/// `pp` as the real Theano 1.0.5 prints it. Its debugprint names nnet's `softsign` and
/// `ultra_fast_sigmoid` nodes `softsign [id O]` (Theano builds them as Elemwise ops with a
/// `name`); here they print as every scalar op does, `Elemwise{softsign,no_inplace}`, the same
/// known difference as `sigmoid` and `softplus` (s08).
#[test]
fn s43_nnet_hard_sigmoid() {
    let (x, y) = xy();
    check(
        &(T::hard_sigmoid(&x) * T::softsign(&y) + T::ultra_fast_sigmoid(&y)),
        expect![[r#"
            ((clip(((x * TensorConstant{0.2}) + TensorConstant{0.5}), TensorConstant{0}, TensorConstant{1}) * softsign(y)) + ultra_fast_sigmoid(y))
            ---
            Elemwise{add,no_inplace} [id A] ''   
             |Elemwise{mul,no_inplace} [id B] ''   
             | |Elemwise{clip,no_inplace} [id C] ''   
             | | |Elemwise{add,no_inplace} [id D] ''   
             | | | |Elemwise{mul,no_inplace} [id E] ''   
             | | | | |x [id F]
             | | | | |InplaceDimShuffle{x,x} [id G] ''   
             | | | |   |TensorConstant{0.2} [id H]
             | | | |InplaceDimShuffle{x,x} [id I] ''   
             | | |   |TensorConstant{0.5} [id J]
             | | |InplaceDimShuffle{x,x} [id K] ''   
             | | | |TensorConstant{0} [id L]
             | | |InplaceDimShuffle{x,x} [id M] ''   
             | |   |TensorConstant{1} [id N]
             | |softsign [id O] ''   
             |   |y [id P]
             |ultra_fast_sigmoid [id Q] ''   
               |y [id P]
        "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s44_nnet_binary_crossentropy() {
    let (x, y) = xy();
    check(
        &(T::binary_crossentropy(&x, &y)),
        expect![[r#"
        (-((y * log(x)) + ((TensorConstant{1.0} - y) * log((TensorConstant{1.0} - x)))))
        ---
        Elemwise{neg,no_inplace} [id A] ''   
         |Elemwise{add,no_inplace} [id B] ''   
           |Elemwise{mul,no_inplace} [id C] ''   
           | |y [id D]
           | |Elemwise{log,no_inplace} [id E] ''   
           |   |x [id F]
           |Elemwise{mul,no_inplace} [id G] ''   
             |Elemwise{sub,no_inplace} [id H] ''   
             | |InplaceDimShuffle{x,x} [id I] ''   
             | | |TensorConstant{1.0} [id J]
             | |y [id D]
             |Elemwise{log,no_inplace} [id K] ''   
               |Elemwise{sub,no_inplace} [id L] ''   
                 |InplaceDimShuffle{x,x} [id M] ''   
                 | |TensorConstant{1.0} [id J]
                 |x [id F]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s45_iround() {
    let (x, _) = xy();
    check(
        &(T::iround(&x).unwrap()),
        expect![[r#"
        int64(round_half_to_even(x))
        ---
        Elemwise{Cast{int64}} [id A] ''   
         |Elemwise{round_half_to_even,no_inplace} [id B] ''   
           |x [id C]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s46_nnet_sigmoid_binary_crossentropy() {
    let (x, y) = xy();
    check(
        &(T::sigmoid_binary_crossentropy(&x, &y).unwrap() * 2),
        expect![[r#"
        (sigmoid_binary_crossentropy{inline=True}(x, y) * TensorConstant{2})
        ---
        Elemwise{mul,no_inplace} [id A] ''   
         |sigmoid_binary_crossentropy{inline=True} [id B] ''   
         | |x [id C]
         | |y [id D]
         |InplaceDimShuffle{x,x} [id E] ''   
           |TensorConstant{2} [id F]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s47_nnet_relu_alpha() {
    let (x, _) = xy();
    check(
        &(T::relu_alpha(&x, 0.1)),
        expect![[r#"
        (((TensorConstant{0.5} * (TensorConstant{1} + TensorConstant{0.1})) * x) + ((TensorConstant{0.5} * (TensorConstant{1} - TensorConstant{0.1})) * |x|))
        ---
        Elemwise{add,no_inplace} [id A] ''   
         |Elemwise{mul,no_inplace} [id B] ''   
         | |InplaceDimShuffle{x,x} [id C] ''   
         | | |Elemwise{mul,no_inplace} [id D] ''   
         | |   |TensorConstant{0.5} [id E]
         | |   |Elemwise{add,no_inplace} [id F] ''   
         | |     |TensorConstant{1} [id G]
         | |     |TensorConstant{0.1} [id H]
         | |x [id I]
         |Elemwise{mul,no_inplace} [id J] ''   
           |InplaceDimShuffle{x,x} [id K] ''   
           | |Elemwise{mul,no_inplace} [id L] ''   
           |   |TensorConstant{0.5} [id E]
           |   |Elemwise{sub,no_inplace} [id M] ''   
           |     |TensorConstant{1} [id G]
           |     |TensorConstant{0.1} [id H]
           |Elemwise{abs_,no_inplace} [id N] ''   
             |x [id I]
    "#]],
    );
}

/// Expected text printed by the real Theano 1.0.5 (`theano.printing.pp` and `debugprint`).
#[test]
fn s48_nnet_elu_alpha() {
    let (_, y) = xy();
    check(
        &(T::elu_alpha(&y, 0.5)),
        expect![[r#"
        switch(gt(y, TensorConstant{0}), y, (TensorConstant{0.5} * expm1(y)))
        ---
        Elemwise{switch,no_inplace} [id A] ''   
         |Elemwise{gt,no_inplace} [id B] ''   
         | |y [id C]
         | |InplaceDimShuffle{x,x} [id D] ''   
         |   |TensorConstant{0} [id E]
         |y [id C]
         |Elemwise{mul,no_inplace} [id F] ''   
           |InplaceDimShuffle{x,x} [id G] ''   
           | |TensorConstant{0.5} [id H]
           |Elemwise{expm1,no_inplace} [id I] ''   
             |y [id C]
    "#]],
    );
}
