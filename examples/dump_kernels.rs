//! Print the optimized IR, the Cranelift IR and the machine code of a small fused function
//! (`exp(x) * y + tanh(z)` on float64 vectors): what `THEANO_FLAGS=dump=...` shows.
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
    Ok(())
}
