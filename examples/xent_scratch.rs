use theano::tensor as T;
use theano::{compile, debugprint, grad, shared_named, DType, Tensor};
fn main() {
    let train_set_x = shared_named(Tensor::zeros(DType::Float64, &[1200, 784]), "train_set_x");
    let train_set_y = shared_named(Tensor::from(vec![0i32; 1200]), "train_set_y");
    let (index, x, y) = (T::lscalar("index"), T::dmatrix("x"), T::ivector("y"));
    let w = shared_named(Tensor::zeros(DType::Float64, &[784, 10]), "W");
    let b = shared_named(Tensor::zeros(DType::Float64, &[10]), "b");
    let p = T::softmax(T::dot(&x, &w).unwrap() + &b).unwrap();
    let rows = T::arange(y.shape_i(0).unwrap()).unwrap();
    let cost = -T::mean(T::log(&p).get(&[(&rows).into(), (&y).into()]).unwrap(), None, false).unwrap();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let bs = 600i64;
    let f = compile(&[&index], &cost)
        .updates([(&w, &w - 0.13 * &g[0]), (&b, &b - 0.13 * &g[1])])
        .givens([
            (&x, train_set_x.slice_rows(&index * bs, (&index + 1) * bs).unwrap()),
            (&y, train_set_y.slice_rows(&index * bs, (&index + 1) * bs).unwrap()),
        ])
        .build()
        .unwrap();
    println!("{}", debugprint(&f.fgraph_outputs().unwrap()));
}
