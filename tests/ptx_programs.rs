//! Whole programs through the GPU backend's compile-only path (theano-cuda's
//! `compile_program`, what `dump=ptx` prints): every filetest graph (as parsed, and after the
//! full optimizer) and the seed models (the logistic regression of examples/, in float64 and
//! float32, and the softmax tutorial's model), each step lowered to PTX kernels, cuBLAS, a
//! view or the interpreter, and every emitted kernel assembled by ptxas for sm_80 and sm_90.
//! No device is needed; ptxas as in crates/ptx (`THEANO_PTXAS`, or scripts/setup.sh's
//! `target/ptxas/`; a missing ptxas fails when set-up ran or `CI` is set, and skips with a
//! printed reason otherwise).

mod common;

use std::path::PathBuf;
use theano::ir::fgraph::FunctionGraph;
use theano::tensor as T;
use theano::{compile, grad, Mode, Variable};
use theano_cuda::compile::{compile_program, CompiledProgram, StepCode, Target};
use theano_opt::{optimize, Config};

fn program_of(fg: &FunctionGraph) -> theano::linker::Program {
    theano::linker::schedule(fg, theano::linker::Interface::inputs_only(fg))
}

/// Every filetest graph, as parsed and optimized: (name, graph).
fn filetest_graphs() -> Vec<(String, FunctionGraph)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/filetests");
    let files = common::filetest_files(&root);
    assert!(files.len() > 40, "{} filetests", files.len());
    let mut out = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let ir: String = src
            .lines()
            .map(|l| {
                if l.trim_start().starts_with(';') {
                    ""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        let fg = FunctionGraph::parse(&ir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut opt = fg.clone();
        optimize(&mut opt, &Config::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((format!("{name} (parsed)"), fg));
        out.push((format!("{name} (optimized)"), opt));
    }
    out
}

/// The seed models' compiled functions' PTX (`dump=ptx` on the default CPU linker).
fn seed_dumps() -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("theano-ptx-dumps-{}", std::process::id()));
    let mut mode = Mode::parse_flags("dump=ptx").unwrap();
    mode.dump_dir = Some(dir.clone());
    let mut out = Vec::new();
    let m = common::seed_model(common::values(theano::DType::Float64, &[8], 1));
    let train = compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .mode(mode.clone())
        .build()
        .unwrap();
    out.push(("seed train float64".to_string(), train.dump_ptx()));
    let predict = compile(&[&m.x], &m.prediction)
        .mode(mode.clone())
        .build()
        .unwrap();
    out.push(("seed predict float64".to_string(), predict.dump_ptx()));
    // the seed at float32 (examples/logistic_regression --float32)
    let (x, y) = (T::fmatrix("x"), T::fvector("y"));
    let w = theano::try_shared(common::values(theano::DType::Float32, &[8], 2), Some("w")).unwrap();
    let b = theano::shared_named(0f32, "b");
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
    let cost = xent.mean() + 0.01f32 * w.pow(2).sum();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let (wu, bu): (Variable, Variable) = (&w - 0.1f32 * &g[0], &b - 0.1f32 * &g[1]);
    let train32 = compile(&[&x, &y], [&T::gt(&p_1, 0.5), &xent])
        .updates([(&w, &wu), (&b, &bu)])
        .mode(mode.clone())
        .build()
        .unwrap();
    out.push(("seed train float32".to_string(), train32.dump_ptx()));
    // the softmax tutorial's model (logistic_sgd.py)
    let s = common::softmax_model(20, 10);
    let train_sm = compile(&[&s.x, &s.y], &s.cost)
        .updates([(&s.w, &s.w_update), (&s.b, &s.b_update)])
        .mode(mode)
        .build()
        .unwrap();
    out.push(("softmax train".to_string(), train_sm.dump_ptx()));
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// One module of every kernel of `progs` (renamed apart) for `target`.
fn combined(progs: &[(String, CompiledProgram)], target: &Target) -> (String, usize) {
    let mut ks = Vec::new();
    for (j, (_, p)) in progs.iter().enumerate() {
        for k in &p.kernels {
            let mut k = k.clone();
            k.name = format!("p{j}_{}", k.name);
            ks.push(k);
        }
    }
    let refs: Vec<_> = ks.iter().collect();
    (theano_cuda::ptx::module(&refs, target), ks.len())
}

#[test]
fn filetests_and_seed_models_assemble_for_sm80_and_sm90() {
    let mut progs = Vec::new();
    for (name, fg) in filetest_graphs() {
        progs.push((name, compile_program(&program_of(&fg), &Default::default())));
    }
    let mut totals = [0usize; 6];
    for (_, p) in &progs {
        for (t, c) in totals.iter_mut().zip(p.counts()) {
            *t += c;
        }
        for (node, code) in &p.steps {
            // a step whose GPU lowering exists but refused these dtypes says why
            if let StepCode::Interp { reason } = code {
                assert!(!reason.is_empty(), "{node}");
                println!("interpreted: {node}: {reason}");
            }
        }
    }
    println!(
        "filetests: {} programs; steps: {} PTX, {} cuBLAS, {} alloc, {} shape, {} view, {} \
         interpreter",
        progs.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals[5]
    );
    assert!(totals[0] > 50, "PTX steps: {totals:?}");

    // the seed models through the facade's dump=ptx: every dump is a whole module
    let dumps = seed_dumps();
    for (name, text) in &dumps {
        assert!(text.contains(".visible .entry"), "{name}:\n{text}");
        assert!(text.contains("// step "), "{name}:\n{text}");
        println!("{name}: {}", text.lines().next().unwrap_or(""));
        for l in text.lines().filter(|l| l.contains("-> interpreter")) {
            println!("    {l}");
        }
    }
    // the softmax model's step goes through the fused crossentropy kernels
    let sm = &dumps[3].1;
    assert!(sm.contains("Crossentropy"), "{sm}");

    let Some(ptxas) = theano_cuda::ptx::ptxas::for_test().unwrap_or_else(|e| panic!("{e}")) else {
        println!("skipped: no ptxas (run scripts/setup.sh, or set THEANO_PTXAS)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("theano-ptx-programs-{}", std::process::id()));
    for sm in [80, 90] {
        let target = Target {
            version: (7, 8),
            sm,
        };
        let (text, n) = combined(&progs, &target);
        theano_cuda::ptx::ptxas::assemble(&ptxas, &text, sm, &dir, "filetests")
            .unwrap_or_else(|e| panic!("{n} kernels: {e}"));
        println!("ptxas sm_{sm}: {n} filetest kernels assembled");
        for (j, (name, text)) in dumps.iter().enumerate() {
            let text = text.replace(".target sm_80", &format!(".target sm_{sm}"));
            theano_cuda::ptx::ptxas::assemble(&ptxas, &text, sm, &dir, &format!("seed{j}"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        println!(
            "ptxas sm_{sm}: {} seed-model modules assembled",
            dumps.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dump=ptx` needs no device: on the default CPU linker it prints the GPU backend's PTX,
/// and the function still runs on the CPU.
#[test]
fn dump_ptx_without_a_device() {
    let (x, y, z) = (T::fvector("x"), T::fvector("y"), T::fvector("z"));
    let e = T::exp(&x) * &y + T::tanh(&z);
    let dir = std::env::temp_dir().join(format!("theano-ptx-dump1-{}", std::process::id()));
    let mut mode = Mode::parse_flags("dump=ptx").unwrap();
    mode.dump_dir = Some(dir.clone());
    let f = compile(&[&x, &y, &z], &e).mode(mode).build().unwrap();
    let text = f.dump_ptx();
    assert!(text.contains(".target sm_80"), "{text}");
    assert!(text.contains("ld.global.nc.v4.f32"), "{text}");
    assert!(text.contains("Composite"), "{text}");
    // written under dump_dir too
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(!files.is_empty());
    let out = f
        .call(&[
            theano::Tensor::from(vec![0f32, 1.0]),
            theano::Tensor::from(vec![1f32, 2.0]),
            theano::Tensor::from(vec![0f32, 0.5]),
        ])
        .unwrap();
    let v = out[0].to_f64_vec();
    assert!((v[0] - 1.0).abs() < 1e-6 && (v[1] - (2.0 * 1f64.exp() + 0.5f64.tanh())).abs() < 1e-5);
    // without dump=ptx there is nothing to print
    let g = compile(&[&x, &y, &z], &e).build().unwrap();
    assert_eq!(g.dump_ptx(), "");
    let _ = std::fs::remove_dir_all(&dir);
}
