use theano::tensor as T;
use theano::{compile, debugprint, grad, shared_named, DType, Mode, Tensor, OptimizerLevel};
fn main() {
    let (x, y) = (T::dmatrix("x"), T::ivector("y"));
    let w = shared_named(Tensor::zeros(DType::Float64, &[784, 10]), "W");
    let b = shared_named(Tensor::zeros(DType::Float64, &[10]), "b");
    let p = T::softmax(T::dot(&x, &w).unwrap() + &b).unwrap();
    let rows = T::arange(y.shape_i(0).unwrap()).unwrap();
    let cost = -T::mean(T::log(&p).get(&[(&rows).into(), (&y).into()]).unwrap(), None, false).unwrap();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    println!("{}", debugprint(&[cost.clone(), g[0].clone(), g[1].clone()]));
    for lvl in [OptimizerLevel::FastRun] {
        let mut m = Mode::default(); m.optimizer = lvl;
        let f = compile(&[&x, &y], &cost).updates([(&w, &w - 0.13 * &g[0]), (&b, &b - 0.13 * &g[1])]).mode(m).build().unwrap();
        println!("{}", debugprint(&f.fgraph_outputs().unwrap()));
    }
}
