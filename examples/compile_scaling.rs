//! Compile time against graph size: `function()` (default mode: FAST_RUN, JIT linker) on the
//! graphs of `benches/common/scaling_graphs.rs` (elementwise chains, random DAGs, an unrolled RNN),
//! as a table of seconds against nodes with the fitted growth exponent `k` (`t ~ nodes^k`,
//! least squares on log-log) per family. Each figure is the minimum over `--reps` builds.
//! `--phases` also times the import into the IR and the optimizer alone (no verifier, as
//! release builds run it); with `SCALING_REPORT=1` it prints each optimizer run's report
//! (rewrites applied, worklist visits) to stderr.
//!
//! `cargo run --release --example compile_scaling -- [--family chain,dag,rnn] [--reps 3]
//!  [--sizes 1000,4000,16000,64000] [--steps 100,300,1000] [--budget 60] [--phases]`
//!
//! PyTensor's side: `benches/compile_scaling_pytensor.py`. The criterion form:
//! `cargo bench --bench compile_scaling`.

use clap::Parser;
use std::time::Instant;
use theano::ir::fgraph::FunctionGraph;

#[path = "../benches/common/scaling_graphs.rs"]
mod scaling_graphs;
use scaling_graphs::{chain, dag, growth_exponent, n_nodes, rnn, Graph};

#[derive(Parser)]
struct Args {
    /// Families to time (chain, dag, rnn), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "chain,dag,rnn")]
    family: Vec<String>,
    /// Node counts of the chains and DAGs.
    #[arg(long, value_delimiter = ',', default_value = "1000,4000,16000,64000")]
    sizes: Vec<usize>,
    /// Unrolled steps of the RNN.
    #[arg(long, value_delimiter = ',', default_value = "100,300,1000")]
    steps: Vec<usize>,
    /// Builds per size (the minimum is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Skip the larger sizes of a family once one build took longer (seconds).
    #[arg(long, default_value_t = 60.0)]
    budget: f64,
    /// Also time the import and the optimizer alone.
    #[arg(long)]
    phases: bool,
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let r = f();
    (t.elapsed().as_secs_f64(), r)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!(
        "{:<6} {:>7} {:>8} {:>11} {:>11} {:>13}",
        "family", "size", "nodes", "import s", "optimize s", "function() s"
    );
    for fam in &args.family {
        let (sizes, build): (&[usize], fn(usize) -> Graph) = match fam.as_str() {
            "chain" => (&args.sizes, chain),
            "dag" => (&args.sizes, dag),
            "rnn" => (&args.steps, rnn),
            other => return Err(format!("unknown family {other}").into()),
        };
        let mut points = Vec::new();
        for &size in sizes {
            let g = build(size);
            let nodes = n_nodes(&g);
            let ins: Vec<&theano::Variable> = g.inputs.iter().collect();
            let (mut imp, mut opt, mut total) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
            for _ in 0..args.reps.max(1) {
                if args.phases {
                    let (t, fg) = time(|| {
                        FunctionGraph::from_outputs(&g.inputs, std::slice::from_ref(&g.output))
                    });
                    imp = imp.min(t);
                    let mut fg = fg?;
                    let cfg = theano_opt::Config {
                        verify: false,
                        ..theano_opt::Config::default()
                    };
                    let (t, r) = time(|| theano_opt::optimize(&mut fg, &cfg));
                    let r = r?;
                    if std::env::var_os("SCALING_REPORT").is_some() {
                        eprintln!("{fam} {size}: {} visits, {:?}", r.visits, r.applied);
                    }
                    opt = opt.min(t);
                    // dropping a big graph is not part of the timing
                    drop(fg);
                }
                let (t, f) = time(|| theano::function(&ins, &g.output));
                let f = f?;
                total = total.min(t);
                drop(f);
                if t > args.budget {
                    break;
                }
            }
            let show = |t: f64| {
                if t.is_finite() {
                    format!("{t:.4}")
                } else {
                    "-".into()
                }
            };
            println!(
                "{:<6} {:>7} {:>8} {:>11} {:>11} {:>13.4}",
                fam,
                size,
                nodes,
                show(imp),
                show(opt),
                total
            );
            points.push((nodes as f64, total));
            if total > args.budget {
                println!(
                    "{fam}: over the budget of {} s, larger sizes skipped",
                    args.budget
                );
                break;
            }
        }
        if points.len() >= 2 {
            println!(
                "{fam}: growth exponent k = {:.2} (least squares of log t on log nodes, {} sizes)",
                growth_exponent(&points),
                points.len()
            );
        }
    }
    Ok(())
}
