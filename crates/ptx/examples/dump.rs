//! Prints the PTX of `exp(x) * y + tanh(z)` on float32 (the contiguous vector kernel), as
//! docs/GPU.md shows it. `cargo run -p theano-ptx --example dump [-- float64] [strided|strided32|contiguous]`.

use theano_ir::{Composite, ScalarOp};
use theano_ptx::elemwise::{lower_elemwise, Layout};
use theano_ptx::scalar::MathOpts;
use theano_ptx::{module, Target};
use theano_tensor::DType;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dt = if args.iter().any(|a| a == "float64") {
        DType::Float64
    } else {
        DType::Float32
    };
    let layout = if args.iter().any(|a| a == "strided32") {
        Layout::Strided32
    } else if args.iter().any(|a| a == "strided") {
        Layout::Strided
    } else if args.iter().any(|a| a == "contiguous") {
        Layout::Contiguous
    } else {
        Layout::Vector
    };
    // exp(x) * y + tanh(z), read from its display form
    let c = Composite::parse("((exp(i0) * i1) + tanh(i2))").expect("a valid composite");
    let op = ScalarOp::composite(c);
    let k = lower_elemwise(
        "exp_mul_add_tanh",
        &op,
        &[dt; 3],
        dt,
        1,
        layout,
        MathOpts::default(),
    )
    .expect("lowers");
    print!("{}", module(&[&k.kernel], &Target::default()));
}
