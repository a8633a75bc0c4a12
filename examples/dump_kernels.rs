//! Print the optimized IR, the Cranelift IR and the machine code of a small fused function
//! (`exp(x) * y + tanh(z)` on float64 vectors): what `THEANO_FLAGS=dump=...` shows; then the
//! same for a row sum of a float64 matrix, whose loops are generated too (crate gen_reduce).
//!
//! `cargo run --release --example dump_kernels`

use theano::tensor as T;
use theano::{compile, Mode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (x, y, z) = (T::dvector("x"), T::dvector("y"), T::dvector("z"));
    let out = T::exp(&x) * &y + T::tanh(&z);
    // keep the kernel text (dump_dir receives the same text as files instead of stderr)
    let dir = std::env::temp_dir().join("theano-rs-dump");
    let flags = format!("linker=jit,dump=clif+asm,dump_dir={}", dir.display());
    let f = compile(&[&x, &y, &z], &out)
        .mode(Mode::parse_flags(&flags)?)
        .build()?;
    println!(
        "== optimized IR (f.fgraph().to_text())\n{}",
        f.fgraph().to_text()
    );
    println!("== Cranelift IR (f.dump_ir())\n{}", f.dump_ir());
    println!("== machine code (f.dump_asm())\n{}", f.dump_asm());
    let m = T::dmatrix("m");
    let rows = T::sum_axes(&m, Some(&[1]), false)?;
    let g = compile(&[&m], &rows)
        .mode(Mode::parse_flags(&flags)?)
        .build()?;
    println!("== sum over axis 1: optimized IR\n{}", g.fgraph().to_text());
    println!(
        "== sum over axis 1: Cranelift IR (g.dump_ir())\n{}",
        g.dump_ir()
    );
    println!(
        "== sum over axis 1: machine code (g.dump_asm())\n{}",
        g.dump_asm()
    );
    Ok(())
}
