//! The compile-only path on hand-written programs (no device, no facade), and the probe.

use theano_cuda::compile::{compile_program, KernelKind, StepCode, Target};
use theano_exec::{schedule, Interface};
use theano_ir::fgraph::FunctionGraph;

fn compiled(text: &str) -> theano_cuda::CompiledProgram {
    let fg = FunctionGraph::parse(text).unwrap();
    let p = schedule(&fg, Interface::inputs_only(&fg));
    compile_program(&p, &Default::default())
}

#[test]
fn each_step_gets_kernels_blas_a_view_or_the_interpreter() {
    let c = compiled(
        "function(%0: float32[?,?] \"x\", %1: float32[?,?] \"y\", %2: int64[] \"n\") {
  %3: float32[?,?] = Elemwise{Composite{(exp(i0) * i1)}}(%0, %1)
  %4: float32[?] = Sum{axis=[1]}(%3)
  %5: float32[?,?] = Softmax(%3)
  %6: float32[?,?] = Dot22(%5, %1)
  %7: float32[?,?] = InplaceDimShuffle{1,0}(%6)
  %8: int64[?] = ARange{dtype='int64'}(%2, %2, %2)
  return %4, %7, %8
}
",
    );
    let kinds: Vec<&StepCode> = c.steps.iter().map(|(_, s)| s).collect();
    assert!(
        matches!(kinds[0], StepCode::Kernels { what: KernelKind::Elemwise, kernels, in_place: None } if kernels.len() == 2),
        "{kinds:?}"
    );
    assert!(matches!(
        kinds[1],
        StepCode::Kernels {
            what: KernelKind::Reduce { .. },
            ..
        }
    ));
    assert!(matches!(
        kinds[2],
        StepCode::Kernels {
            what: KernelKind::Softmax { log: false },
            ..
        }
    ));
    assert_eq!(
        kinds[3],
        &StepCode::Blas {
            routine: "cublasSgemm"
        }
    );
    assert_eq!(kinds[4], &StepCode::View);
    assert!(matches!(kinds[5], StepCode::Interp { reason } if reason.contains("ARange")));
    assert_eq!(c.counts(), [3, 1, 0, 0, 1, 1]);
    let text = c.ptx(&Target::default());
    assert!(
        text.starts_with("// 6 steps: 3 PTX, 1 cuBLAS, 0 alloc"),
        "{text}"
    );
    assert!(text.contains(".target sm_80") && text.contains("ld.global.nc.v4.f32"));
    for k in &c.kernels {
        k.verify().unwrap();
    }
}

#[test]
fn the_probe_is_a_typed_error_without_a_device() {
    match theano_cuda::probe() {
        Ok(d) => println!("a device is present: {d}"),
        Err(theano_cuda::CudaError::NoDevice(why)) => {
            assert!(!why.is_empty());
            println!("no device: {why}");
        }
        Err(e) => panic!("{e:?}"),
    }
}
