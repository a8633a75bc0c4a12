//! The optimizer's pipeline and rewrite table: each pass in order, and for each rewrite pass
//! its rules as the driver tries them (phase, name, tags, the one-line pattern or
//! `(function)`, doc), then how many of the table's rewrites are one-line patterns.
//!
//! `cargo run --example rewrites`

use theano_opt::{Level, Pass, Rewrite, FUSION_REWRITES, PIPELINE, REWRITES};

fn row(phase: &str, r: &Rewrite) {
    let tags = r
        .tags
        .iter()
        .filter(|t| !matches!(**t, "fast_run"))
        .copied()
        .collect::<Vec<_>>()
        .join(",");
    println!(
        "{phase:<13} {:<28} {:<40} {:<58} {}",
        r.name,
        tags,
        r.pattern().unwrap_or("(function)"),
        r.doc
    );
}

fn main() {
    println!("pipeline (FAST_RUN; FAST_COMPILE runs the steps marked *, with fast_compile rules):");
    for s in PIPELINE {
        let star = if s.fast_compile { "*" } else { " " };
        match s.pass {
            Pass::Merge => println!("  {star} merge"),
            Pass::Rewrites { phase, also } => {
                let n = theano_opt::phase_rules(phase, also, Level::FastRun).len();
                println!("  {star} {} ({n} rules), then merge", phase.name());
            }
            Pass::Inplace => println!("  {star} inplace"),
            Pass::DeepCopy => println!("  {star} insert_deepcopy"),
        }
    }
    println!();
    println!(
        "{:<13} {:<28} {:<40} {:<58} doc",
        "phase", "name", "tags (besides fast_run)", "pattern"
    );
    for s in PIPELINE {
        if let Pass::Rewrites { phase, also } = s.pass {
            for r in theano_opt::phase_rules(phase, also, Level::FastRun) {
                row(phase.name(), r);
            }
        }
    }
    let patterns = REWRITES.iter().filter(|r| r.pattern().is_some()).count();
    println!();
    println!(
        "{patterns} of {} rewrites in REWRITES are one-line patterns ({:.0}%); {} fusion rewrite(s) in code",
        REWRITES.len(),
        100.0 * patterns as f64 / REWRITES.len() as f64,
        FUSION_REWRITES.len()
    );
}
