//! `debugprint` in Theano 1.0's exact line format.

use expect_test::expect;
use theano_ir::printing::{debugprint, debugprint_with, DebugPrintOptions, IdStyle};
use theano_ir::tensor as T;

#[test]
fn sum_of_matrices_is_theanos_text() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    // Theano 1.0 leaves three spaces after the name slot (empty destroy/view/order fields).
    assert_eq!(
        debugprint(&[&x + &y]),
        "Elemwise{add,no_inplace} [id A] ''   \n |x [id B]\n |y [id C]\n"
    );
}

#[test]
fn shared_nodes_print_their_id_once_expanded() {
    let x = T::dmatrix("x");
    let s = T::exp(&x);
    let z = &s * &s;
    expect![[r#"
        Elemwise{mul,no_inplace} [id A] ''   
         |Elemwise{exp,no_inplace} [id B] ''   
         | |x [id C]
         |Elemwise{exp,no_inplace} [id B] ''   
    "#]]
    .assert_eq(&debugprint(&[z]));
}

#[test]
fn several_outputs_share_ids_and_multi_output_nodes_show_the_index() {
    let x = T::dmatrix("x");
    let (m, a) = T::max_and_argmax(&x, Some(&[0])).unwrap();
    let m = m.named("m");
    expect![[r#"
        MaxAndArgmax{axis=(0,)}.0 [id A] 'm'   
         |x [id B]
        MaxAndArgmax{axis=(0,)}.1 [id A] ''   
    "#]]
    .assert_eq(&debugprint(&[m, a]));
}

#[test]
fn print_type_depth_ids_and_stop_on_name() {
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let h = T::tanh(T::dot(&x, &y).unwrap()).named("h");
    let out = &h * 2.0;
    expect![[r#"
        Elemwise{mul,no_inplace} [id A] <TensorType(float64, vector)> ''   
         |Elemwise{tanh,no_inplace} [id B] <TensorType(float64, vector)> 'h'   
         | |dot [id C] <TensorType(float64, vector)> ''   
         |   |x [id D] <TensorType(float64, matrix)>
         |   |y [id E] <TensorType(float64, vector)>
         |InplaceDimShuffle{x} [id F] <TensorType(float32, (True,))> ''   
           |TensorConstant{2.0} [id G] <TensorType(float32, scalar)>
    "#]]
    .assert_eq(
        &DebugPrintOptions::new()
            .print_type(true)
            .print(std::slice::from_ref(&out)),
    );
    expect![[r#"
        Elemwise{mul,no_inplace} [id A] ''   
         |Elemwise{tanh,no_inplace} [id B] 'h'   
         |InplaceDimShuffle{x} [id C] ''   
    "#]]
    .assert_eq(
        &DebugPrintOptions::new()
            .depth(2)
            .print(std::slice::from_ref(&out)),
    );
    expect![[r#"
        Elemwise{mul,no_inplace} [id 0] ''   
         |Elemwise{tanh,no_inplace} [id 1] 'h'   
         |InplaceDimShuffle{x} [id 2] ''   
           |TensorConstant{2.0} [id 3]
    "#]]
    .assert_eq(&debugprint_with(
        std::slice::from_ref(&out),
        &DebugPrintOptions::new()
            .ids(IdStyle::Int)
            .stop_on_name(true),
    ));
    assert_eq!(DebugPrintOptions::new().depth(0).print(&[out]), "");
}

#[test]
fn leaves_print_alone_and_unnamed_inputs_print_their_type() {
    let x = T::dmatrix("x");
    assert_eq!(debugprint(&[x]), "x [id A]\n");
    let u = theano_ir::Variable::input(T::DVECTOR, None);
    expect![[r#"
        Elemwise{neg,no_inplace} [id A] ''   
         |<TensorType(float64, vector)> [id B]
    "#]]
    .assert_eq(&debugprint(&[-&u]));
}

#[test]
fn ids_past_z_continue_in_base_26() {
    let x = T::dscalar("x");
    let mut y = x.clone();
    for _ in 0..30 {
        y = T::exp(&y);
    }
    let s = debugprint(&[y]);
    let last = s.lines().last().unwrap();
    assert_eq!(last.trim_start_matches([' ', '|']), "x [id BE]");
}

#[test]
fn very_deep_graphs_do_not_overflow_the_stack() {
    let x = T::dscalar("x");
    let mut y = x.clone();
    for _ in 0..5_000 {
        y = T::exp(&y);
    }
    let y2 = y.clone();
    let n = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let n = debugprint(std::slice::from_ref(&y2)).lines().count();
            drop(y2);
            n
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(n, 5_001);
    // Dropping a 5000-deep graph recurses in Drop (see the report): keep it alive.
    drop(y);
}
