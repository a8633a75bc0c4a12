//! Filetests: every `tests/filetests/**/*.thir` file is a graph in the IR's text form with
//! directives in `;` lines (DESIGN.md §7):
//!
//! ```text
//! ; test optimize                      (or `; test interpret`: no rewriting)
//! ; fired: log1p                       the rewrite fired at least once (optional, repeatable)
//! ; excluding: neg_neg                 optimizer_excluding for this file (optional)
//! function(%0: float64[?] "x") { ... } the graph
//! ; check: = Elemwise{log1p}(%0)       in order, each a substring of one line of the printed
//!                                      optimized graph (each line after the previous match)
//! ; run: [2] {0.5, 1.0} -> [2] {0.405, 0.693}
//! ```
//!
//! A `run` line gives one value per graph input, separated by `|` (a scalar `2.5`, or
//! `[shape] {values...}` as in the text form's constants; the input's dtype is used), and
//! optionally `->` the expected outputs. The unoptimized and the optimized graph are both
//! evaluated with the interpreter and must agree (DebugMode's tolerances); the optimized
//! outputs must equal the expected ones (float64 rtol 1e-12, float32 1e-5, others exact); and
//! the optimized graph is scheduled and run on every backend of `theano::backends::BACKENDS`
//! (those whose `available` says they can run here) and on the GPU runtime over theano-ptx's
//! emulator (`theano_cuda::emulated`), each agreeing with the interpreter's evaluation, so a
//! new backend gets every filetest.
//!
//! `BLESS=1 cargo test --test filetests` rewrites the `check` lines from the optimized graph
//! (one per line) and the expected outputs of `run` lines.

use std::fmt::Write;
use std::path::Path;

mod common;
use theano::debugmode::{values_agree, Evaluator};
use theano::ir::fgraph::FunctionGraph;
use theano::{DType, Tensor};
use theano_opt::{optimize, Config};

fn fmt_tensor(t: &Tensor) -> String {
    let vals: Vec<String> = match t.dtype() {
        DType::Float64 => t.to_f64_vec().iter().map(|x| format!("{x:?}")).collect(),
        DType::Float32 => t
            .to_f64_vec()
            .iter()
            .map(|&x| format!("{:?}", x as f32))
            .collect(),
        DType::Bool => t
            .to_i64_vec()
            .iter()
            .map(|&x| (if x != 0 { "true" } else { "false" }).to_string())
            .collect(),
        _ => t.to_i64_vec().iter().map(|x| x.to_string()).collect(),
    };
    if t.ndim() == 0 {
        return vals[0].clone();
    }
    let shape: Vec<String> = t.shape().iter().map(|n| n.to_string()).collect();
    format!("[{}] {{{}}}", shape.join(","), vals.join(", "))
}

fn parse_num(s: &str) -> f64 {
    match s.trim() {
        "true" => 1.0,
        "false" => 0.0,
        "nan" | "NaN" => f64::NAN,
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        v => v
            .parse()
            .unwrap_or_else(|e| panic!("bad number {v:?}: {e}")),
    }
}

/// `2.5` or `[2,3] {1, 2, 3, 4, 5, 6}`, as `dtype`.
fn parse_tensor(s: &str, dtype: DType) -> Tensor {
    let s = s.trim();
    let (shape, vals): (Vec<usize>, Vec<f64>) = if let Some(rest) = s.strip_prefix('[') {
        let (dims, body) = rest.split_once(']').expect("`[shape] {values}`");
        let shape = dims
            .split(',')
            .filter(|d| !d.trim().is_empty())
            .map(|d| d.trim().parse().expect("a dimension"))
            .collect();
        let body = body.trim();
        let body = body
            .strip_prefix('{')
            .and_then(|b| b.strip_suffix('}'))
            .expect("`{values}`");
        let vals = body
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .map(parse_num)
            .collect();
        (shape, vals)
    } else {
        (vec![], vec![parse_num(s)])
    };
    Tensor::from_f64_vec(dtype, &shape, vals).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn close(a: &Tensor, b: &Tensor) -> bool {
    if a.dtype() != b.dtype() || a.shape() != b.shape() {
        return false;
    }
    let rtol = match a.dtype() {
        DType::Float64 => 1e-12,
        DType::Float32 => 1e-5,
        _ => return a.to_i64_vec() == b.to_i64_vec(),
    };
    a.to_f64_vec()
        .iter()
        .zip(b.to_f64_vec())
        .all(|(&x, y)| (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= rtol * y.abs())
}

fn eval_all(fg: &FunctionGraph, args: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let refs: Vec<&Tensor> = args.iter().collect();
    let mut ev = Evaluator::new(fg, &refs);
    fg.outputs()
        .iter()
        .map(|&o| ev.eval(o).cloned().map_err(|e| e.to_string()))
        .collect()
}

/// The optimized graph scheduled, linked by `linker` and run on `args`.
fn run_on(
    linker: &dyn theano::linker::Linker,
    fg: &FunctionGraph,
    args: &[Tensor],
) -> Result<Vec<Tensor>, String> {
    let program = theano::linker::schedule(fg, theano::linker::Interface::inputs_only(fg));
    let exe = linker.link(program).map_err(|e| e.to_string())?;
    let refs: Vec<&Tensor> = args.iter().collect();
    exe.run(&refs).map_err(|e| e.to_string())
}

/// Run one file; returns the blessed text when `bless`, or the failures.
fn run_file(path: &Path, bless: bool) -> Result<Option<String>, String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut mode = None;
    let mut fired = Vec::new();
    // A rewrite's own file shows that rewrite's before and after: the passes that run last
    // (fusion, in-place) are off there; pipeline files see everything.
    let mut excluding: Vec<String> = if path.components().any(|c| c.as_os_str() == "rewrites") {
        vec!["elemwise_fusion".into(), "inplace".into()]
    } else {
        Vec::new()
    };
    let mut checks = Vec::new();
    let mut runs = Vec::new();
    let mut head = Vec::new();
    let mut ir = String::new();
    for line in src.lines() {
        let t = line.trim_start();
        if let Some(d) = t.strip_prefix(';') {
            let d = d.trim();
            if let Some(m) = d.strip_prefix("test ") {
                mode = Some(m.trim().to_string());
                head.push(line.to_string());
            } else if let Some(c) = d.strip_prefix("check:") {
                checks.push(c.trim().to_string());
            } else if let Some(r) = d.strip_prefix("run:") {
                runs.push(r.trim().to_string());
            } else {
                if let Some(f) = d.strip_prefix("fired:") {
                    fired.push(f.trim().to_string());
                } else if let Some(x) = d.strip_prefix("excluding:") {
                    excluding.extend(x.split(',').map(|s| s.trim().to_string()));
                }
                head.push(line.to_string());
            }
            ir.push('\n'); // keep line numbers of parse errors
        } else {
            ir.push_str(line);
            ir.push('\n');
        }
    }
    let mode = mode.ok_or("missing `; test optimize|interpret` header")?;
    let original = FunctionGraph::parse(&ir).map_err(|e| format!("parse: {e}"))?;
    original.verify().map_err(|e| format!("verify: {e}"))?;
    let mut fg = original.clone();
    let mut errors = Vec::new();
    match mode.as_str() {
        "optimize" => {
            let cfg = Config {
                excluding,
                verify: true,
                ..Config::default()
            };
            let report = optimize(&mut fg, &cfg).map_err(|e| e.to_string())?;
            for f in &fired {
                if report.count(f) == 0 {
                    errors.push(format!("rewrite {f} did not fire: {:?}", report.applied));
                }
            }
        }
        "interpret" => {}
        m => return Err(format!("unknown test kind {m:?}")),
    }
    let text = fg.to_text();
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    for c in &checks {
        match lines[at..].iter().position(|l| l.contains(c.as_str())) {
            Some(i) => at += i + 1,
            None => {
                errors.push(format!("check not found (in order): {c}"));
                break;
            }
        }
    }
    let mut new_runs = Vec::new();
    for r in &runs {
        let (args, want) = match r.split_once("->") {
            Some((a, w)) => (a, Some(w)),
            None => (r.as_str(), None),
        };
        let args: Vec<Tensor> = if args.trim().is_empty() {
            vec![]
        } else {
            args.split('|')
                .zip(fg.inputs())
                .map(|(a, &v)| parse_tensor(a, fg.ty(v).dtype))
                .collect()
        };
        if args.len() != fg.inputs().len() {
            errors.push(format!(
                "run: {} argument(s) for {} inputs",
                args.len(),
                fg.inputs().len()
            ));
            continue;
        }
        let before = eval_all(&original, &args);
        let after = eval_all(&fg, &args);
        // every backend runs the optimized graph and must agree with the interpreter
        if let Ok(want) = &after {
            // every backend of this build, and the GPU runtime on theano-ptx's emulator
            let emulated = theano_cuda::emulated::EmuLinker::default();
            let mut linkers: Vec<(&str, Box<dyn theano::linker::Linker>)> =
                vec![("cuda-emu", Box::new(emulated))];
            for b in theano::backends::BACKENDS {
                if let Err(why) = (b.available)() {
                    eprintln!("linker={} skipped: {why}", b.name);
                    continue;
                }
                linkers.push((b.name, (b.make)(&theano::Mode::default())));
            }
            for (name, linker) in &linkers {
                match run_on(&**linker, &fg, &args) {
                    Ok(got) => {
                        for (k, (x, y)) in want.iter().zip(&got).enumerate() {
                            if !values_agree(x, y) {
                                errors.push(format!(
                                    "run {r}: linker={}: output {k} is {} where the interpreter's \
                                     evaluation is {}",
                                    name,
                                    fmt_tensor(y),
                                    fmt_tensor(x)
                                ));
                            }
                        }
                    }
                    Err(e) => errors.push(format!("run {r}: linker={name}: {e}")),
                }
            }
        }
        match (&before, &after) {
            (Ok(b), Ok(a)) => {
                for (k, (x, y)) in b.iter().zip(a).enumerate() {
                    if !values_agree(x, y) {
                        errors.push(format!(
                            "run {r}: output {k}: unoptimized {} but optimized {}",
                            fmt_tensor(x),
                            fmt_tensor(y)
                        ));
                    }
                }
                let got: Vec<String> = a.iter().map(fmt_tensor).collect();
                if let Some(w) = want {
                    let wanted: Vec<&str> = w.split('|').collect();
                    let ok = wanted.len() == a.len()
                        && wanted
                            .iter()
                            .zip(a)
                            .all(|(w, t)| close(&parse_tensor(w, t.dtype()), t));
                    if !ok && !bless {
                        errors.push(format!("run {r}: got {}", got.join(" | ")));
                    }
                }
                let args_s: Vec<String> = args.iter().map(fmt_tensor).collect();
                new_runs.push(format!("{} -> {}", args_s.join(" | "), got.join(" | ")));
            }
            (Err(e), _) => errors.push(format!("run {r}: unoptimized graph failed: {e}")),
            (_, Err(e)) => errors.push(format!("run {r}: optimized graph failed: {e}")),
        }
    }
    if bless {
        let mut out = String::new();
        for h in &head {
            writeln!(out, "{h}").unwrap();
        }
        for line in src.lines() {
            if !line.trim_start().starts_with(';') {
                writeln!(out, "{line}").unwrap();
            }
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        for l in &lines {
            writeln!(out, "; check: {}", l.trim()).unwrap();
        }
        for r in &new_runs {
            writeln!(out, "; run: {r}").unwrap();
        }
        let errors: Vec<_> = errors
            .into_iter()
            .filter(|e| !e.starts_with("check not found"))
            .collect();
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        return Ok(Some(out));
    }
    if errors.is_empty() {
        Ok(None)
    } else {
        Err(format!("{}\noptimized graph:\n{text}", errors.join("\n")))
    }
}

#[test]
fn filetests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/filetests");
    let files = common::filetest_files(&root);
    assert!(!files.is_empty(), "no .thir files under {}", root.display());
    let bless = std::env::var("BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for f in &files {
        match run_file(f, bless) {
            Ok(Some(text)) => std::fs::write(f, text).unwrap(),
            Ok(None) => {}
            Err(e) => failures.push(format!("{}:\n{e}", f.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} filetests failed (BLESS=1 rewrites the expectations):\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// The harness itself fails a wrong check, a rewrite that did not fire, and a wrong output.
#[test]
fn the_harness_rejects_wrong_expectations() {
    let dir = std::env::temp_dir().join(format!("thir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let graph = "function(%0: float64[?] \"x\") {\n  %1: float64[?] = Elemwise{neg,no_inplace}(%0)\n  %2: float64[?] = Elemwise{neg,no_inplace}(%1)\n  return %2\n}\n";
    let cases = [
        ("; check: Elemwise{neg", "check not found"),
        ("; fired: log1p", "did not fire"),
        ("; run: [1] {2.0} -> [1] {3.0}", "got [1] {2.0}"),
    ];
    for (directive, want) in cases {
        let p = dir.join("t.thir");
        std::fs::write(&p, format!("; test optimize\n{graph}{directive}\n")).unwrap();
        let e = run_file(&p, false).unwrap_err();
        assert!(e.contains(want), "{directive}: {e}");
    }
    let p = dir.join("t.thir");
    std::fs::write(
        &p,
        format!(
            "; test optimize\n{graph}; check: DeepCopyOp(%0)\n; check: return %1\n; run: [1] {{2.0}} -> [1] {{2.0}}\n"
        ),
    )
    .unwrap();
    assert_eq!(run_file(&p, false), Ok(None));
    std::fs::remove_dir_all(&dir).ok();
}

/// Every rewrite of the table has a filetest named after it that shows it firing.
#[test]
fn every_rewrite_has_a_filetest() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/filetests/rewrites");
    let mut missing = Vec::new();
    for rw in theano_opt::REWRITES.iter().map(|r| r.name).chain(["merge"]) {
        let p = dir.join(format!("{rw}.thir"));
        match std::fs::read_to_string(&p) {
            Ok(s) if s.contains(&format!("; fired: {rw}")) => {}
            _ => missing.push(rw),
        }
    }
    assert!(
        missing.is_empty(),
        "rewrites without a filetest: {missing:?}"
    );
}
