//! Fuzzing every parser of user input (issue 12, "no input may crash the process"): the IR
//! text form (`FunctionGraph::parse_with`, composites included), THEANO_FLAGS
//! (`Mode::parse_flags`) and the `.npy` reader (`Tensor::from_npy_bytes`).
//!
//! Each test feeds `FUZZ_CASES` inputs (default 10,000) to its parser: valid seeds mutated by
//! proptest-chosen edits (bit flips, byte writes, inserted bytes or parser tokens, deletions,
//! truncation, splices of another seed, repeated regions, and deep nesting of an opening
//! token), plus wholly random bytes. The parser may refuse an input but must not panic; a
//! stack overflow or an abort kills the test binary, which fails the run as well. An accepted
//! input must also survive its printer: the graph verifies and its text parses back equal,
//! the flags' `Mode` is what parsing them again gives, the tensor's `.npy` bytes read back to
//! the same bytes.
//!
//! Inputs that crashed a parser once are kept as files under `tests/fuzz_corpus/<parser>/`
//! and replayed first by each test; proptest's failure seeds go to
//! `proptest-regressions/fuzz_*.txt`. `FUZZ_CASES=1000000 cargo test --release --test
//! fuzz_parsers` runs a longer campaign.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use std::path::Path;
use theano::ir::fgraph::FunctionGraph;
use theano::{DType, Mode, Tensor, Variable};

/// One edit of an input. Positions and lengths are taken modulo the input's length, so every
/// edit applies to every input.
#[derive(Clone, Debug)]
enum Edit {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        byte: u8,
    },
    InsertBytes {
        at: usize,
        bytes: Vec<u8>,
    },
    InsertToken {
        at: usize,
        token: usize,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Truncate {
        at: usize,
    },
    Splice {
        at: usize,
        seed: usize,
        from: usize,
        len: usize,
    },
    Repeat {
        at: usize,
        len: usize,
        times: usize,
    },
    Nest {
        at: usize,
        token: usize,
        depth: usize,
    },
}

fn edit(n_seeds: usize, n_tokens: usize) -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        1 => (at, 0u8..8).prop_map(|(at, bit)| Edit::FlipBit { at, bit }),
        1 => (at, any::<u8>()).prop_map(|(at, byte)| Edit::SetByte { at, byte }),
        1 => (at, prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Edit::InsertBytes { at, bytes }),
        3 => (at, 0..n_tokens).prop_map(|(at, token)| Edit::InsertToken { at, token }),
        1 => (at, 1usize..16).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => at.prop_map(|at| Edit::Truncate { at }),
        1 => (at, 0..n_seeds, any::<usize>(), 1usize..64)
            .prop_map(|(at, seed, from, len)| Edit::Splice { at, seed, from, len }),
        1 => (at, 1usize..32, 2usize..64)
            .prop_map(|(at, len, times)| Edit::Repeat { at, len, times }),
        1 => (at, 0..n_tokens, prop_oneof![1usize..100, 100usize..3000, 3000usize..50_000])
            .prop_map(|(at, token, depth)| Edit::Nest { at, token, depth }),
    ]
}

/// A seed index and the edits to apply, or wholly random bytes.
#[derive(Clone, Debug)]
enum Case {
    Mutated(usize, Vec<Edit>),
    Random(Vec<u8>),
}

fn case(n_seeds: usize, n_tokens: usize) -> impl Strategy<Value = Case> {
    prop_oneof![
        9 => (0..n_seeds, prop::collection::vec(edit(n_seeds, n_tokens), 0..6))
            .prop_map(|(s, e)| Case::Mutated(s, e)),
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Case::Random),
    ]
}

fn apply(case: &Case, seeds: &[Vec<u8>], tokens: &[&[u8]]) -> Vec<u8> {
    let (seed, edits) = match case {
        Case::Random(b) => return b.clone(),
        Case::Mutated(s, e) => (*s, e),
    };
    let mut v = seeds[seed].clone();
    for e in edits {
        let pos = |at: usize, v: &Vec<u8>| at % (v.len() + 1);
        match *e {
            Edit::FlipBit { at, bit } => {
                if !v.is_empty() {
                    let i = at % v.len();
                    v[i] ^= 1 << bit;
                }
            }
            Edit::SetByte { at, byte } => {
                if !v.is_empty() {
                    let i = at % v.len();
                    v[i] = byte;
                }
            }
            Edit::InsertBytes { at, ref bytes } => {
                let i = pos(at, &v);
                v.splice(i..i, bytes.iter().copied());
            }
            Edit::InsertToken { at, token } => {
                let i = pos(at, &v);
                v.splice(i..i, tokens[token].iter().copied());
            }
            Edit::Delete { at, len } => {
                let i = pos(at, &v);
                let j = (i + len).min(v.len());
                v.drain(i..j);
            }
            Edit::Truncate { at } => {
                let i = pos(at, &v);
                v.truncate(i);
            }
            Edit::Splice {
                at,
                seed,
                from,
                len,
            } => {
                let other = &seeds[seed];
                let f = from % (other.len() + 1);
                let part = other[f..(f + len).min(other.len())].to_vec();
                let i = pos(at, &v);
                v.splice(i..i, part);
            }
            Edit::Repeat { at, len, times } => {
                let i = pos(at, &v);
                let part = v[i..(i + len).min(v.len())].to_vec();
                for _ in 0..times {
                    v.splice(i..i, part.iter().copied());
                }
            }
            Edit::Nest { at, token, depth } => {
                let i = pos(at, &v);
                let t = tokens[token];
                let nested: Vec<u8> = t.iter().copied().cycle().take(t.len() * depth).collect();
                v.splice(i..i, nested);
            }
        }
    }
    v
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

/// Replay the corpus, then run `cases()` generated inputs through `check`.
fn fuzz(name: &str, seeds: &[Vec<u8>], tokens: &[&[u8]], check: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(name);
    let mut replayed = 0;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).unwrap();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
            assert!(r.is_ok(), "corpus file {} panicked", p.display());
            replayed += 1;
        }
    }
    for s in seeds {
        check(s);
    }
    let t = std::time::Instant::now();
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(Box::leak(
            format!("proptest-regressions/fuzz_{name}.txt").into_boxed_str(),
        )))),
        ..Config::default()
    });
    let result = runner.run(&case(seeds.len(), tokens.len()), |c| {
        let input = apply(&c, seeds, tokens);
        check(&input);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!(
        "{name}: {replayed} corpus files, {} seeds, {n} generated inputs in {:?}",
        seeds.len(),
        t.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// The IR text form

const IR_SEEDS: &[&str] = &[
    "function(%0: float64[?,?] \"x\", %1: float64[?] \"y\") {
  %2: float64[?,?] \"W\" = shared
  %3: int8[] = const 2
  %4: float64[?] = const [3] {0.5, -1.0, 1e-7}
  %5: float64[?,?] = dot(%0, %2)
  %6: float64[1,?] = InplaceDimShuffle{x,0}(%1)
  %7: float64[?,?] = Elemwise{add,no_inplace}(%5, %6)
  %8: float64[?,?] \"h\" = Elemwise{tanh,no_inplace}(%7)
  %9: float64[?], %10: int64[?] = MaxAndArgmax{axis=(1,)}(%8)
  %11: int8[1] = InplaceDimShuffle{x}(%3)
  %12: float64[?] \"z\" = Elemwise{mul,no_inplace}(%9, %11)
  return %12, %10, %4
}
",
    "# a hand-written graph
function(%x: float64[?] \"x\", %n: int64[]) {   # header comment
  %two: int8[] = const 2
  %b: int8[1] = InplaceDimShuffle{x}(%two)
  %y: float64[?] \"y \\\"quoted\\\" \\u{e9}\" = Elemwise{pow,no_inplace}(%x, %b)
  %s: float64[] = Sum(%y)
  return %s, %n
}
",
    "function(%0: float64[?], %1: float64[?]) {
  %2: float64[?] = Elemwise{Composite{((i0 * i1) + exp((-i0)))}}(%0, %1)
  %3: float32[?] = Elemwise{Composite{Cast{float32}(tanh((i0 / i1)))}}[(0, 0)](%2, %1)
  return %3
}
",
    "function(%0: float32[?,?], %1: int64[?], %2: float32[?]) {
  %3: float32[?], %4: float32[?,?], %5: int64[?] = CrossentropySoftmaxArgmax1HotWithBias(%0, %2, %1)
  %6: float32[?,?] = Softmax(%0)
  %7: float32[?,?] = LogSoftmax(%6)
  %8: int64[?] = Shape(%7)
  %9: int64[] = Shape_i{0}(%7)
  %10: float32[?] = Reshape{1}(%7, %8)
  %11: float32[?] = Flatten{1}(%7)
  return %3, %10, %11, %9
}
",
    "function(%0: float64[?,?], %1: int64[], %2: int64[?]) {
  %3: float64[] = const 0.0
  %4: float64[?] = Subtensor{int64, int64::}(%0, %1, %1)
  %5: float64[?,?] = IncSubtensor{Set;int64:int64:}(%0, %4, %1, %1)
  %6: float64[?,?] = AdvancedSubtensor1(%5, %2)
  %7: float64[?,?] = AdvancedIncSubtensor1{no_inplace,inc}(%6, %6, %2)
  %8: float64[?] = AdvancedSubtensor{int, int}(%7, %2, %2)
  %9: float64[?,?] = Alloc(%3, %1, %1)
  %10: int64[?] = ARange{dtype='int64'}(%1, %1, %1)
  %11: int64[?] = MakeVector{dtype='int64'}(%1, %1)
  %12: float64[?,?] = Join{axis=0}(%9, %7)
  %13: float64[] = Max{axis=[0, 1]}(%12)
  return %13, %8, %10, %11
}
",
    "function(%0: float64[?,?], %1: float64[?], %2: float64[], %3: float64[?,?]) {
  %4: float64[?] = CGemv{no_inplace}(%1, %2, %0, %1, %2)
  %5: float64[?,?] = Gemm{inplace}(%3, %2, %0, %0, %2)
  %6: float64[?,?] = CGer{destructive}(%5, %2, %4, %4)
  %7: float64[?,?] = Dot22(%6, %0)
  %8: bool[?,?] = Elemwise{gt,no_inplace}(%7, %7)
  %9: uint8[] = const 255
  %10: int16[?,1] = const [2,1] {-3, 7}
  %11: bool[] = const true
  %12: float32[] = const nan(0x7fc00001)
  %13: float64[] = const -inf
  return %8, %9, %10, %11, %12, %13
}
",
    "function(%0: float64[?,?], %1: int64[], %2: int64[?]) {
  %3: float64[?] = CumOp{None, add}(%0)
  %4: float64[?,?] = CumOp{-1, mul}(%0)
  %5: int8[] = const -1
  %6: float64[?,?] = SortOp{quicksort, None}(%0, %5)
  %7: int64[?,?] = ArgSortOp{mergesort, None}(%6, %1)
  %8: float64[?,?] = RepeatOp{axis=1}(%4, %2)
  %9: float64[?] = RepeatOp{axis=None}(%0, %1)
  %10: int64[?,?] = Nonzero(%8)
  return %3, %7, %9, %10
}
",
    // a loop and its gradient's loop (tests/filetests/rewrites/prune_unused_outputs.thir)
    "function(%0: float64[?] \"x\", %1: float64[] \"s\") {
  %2: int64[] = const 0
  %3: float64[] = const 0.5
  %4: float64[] = const 1.0
  %5: int8[] = const 1
  %6: int8[] = const 1
  %7: int8[] = const 2
  %8: int8[] = const 1
  %9: int8[] = const 1
  %10: float64[] = const 0.0
  %11: float64[] = const 0.0
  %12: int64[] = Shape_i{0}(%0)
  %13: float64[?] = for{cpu,scan_fn|steps=1|heads=0|outs=0|states=1|nonseqs=1|until=0|truncate=_|body=function(%0: float64[] \"x[t]\", %1: float64[], %2: float64[] \"s_copy\") \\<\\n  %3: float64[] = Elemwise\\<mul,no_inplace\\>(%0, %1)\\n  %4: float64[] = Elemwise\\<add,no_inplace\\>(%3, %2)\\n  %5: float64[] = Elemwise\\<tanh,no_inplace\\>(%4)\\n  return %5\\n\\>\\n}(%12, %0, %2, %3, %1)
  %14: float64[] = Sum(%13)
  %15: float64[] = Elemwise{second,no_inplace}(%14, %4)
  %16: float64[1] = InplaceDimShuffle{x}(%15)
  %17: float64[?] = Elemwise{second,no_inplace}(%13, %16)
  %18: int64[] = Elemwise{sub,no_inplace}(%12, %5)
  %19: int64[] = Elemwise{mul,no_inplace}(%18, %6)
  %20: int64[] = Elemwise{add,no_inplace}(%2, %19)
  %21: int64[] = Elemwise{sub,no_inplace}(%12, %7)
  %22: int64[] = Elemwise{sub,no_inplace}(%12, %8)
  %23: int64[] = Elemwise{sub,no_inplace}(%12, %9)
  %24: float64[] = Elemwise{second,no_inplace}(%3, %10)
  %25: float64[] = Elemwise{second,no_inplace}(%1, %11)
  %26: float64[?], %27: float64[], %28: float64[?] = for{cpu,grad_of_scan_fn|steps=-1,-1,-1,-1|heads=0,1,0,0|outs=0,1L,_|states=2|nonseqs=1|until=0|truncate=_|body=function(%0: float64[], %1: float64[], %2: float64[], %3: float64[], %4: float64[], %5: float64[], %6: float64[] \"s_copy\") \\<\\n  %7: int8[] = const 1\\n  %8: float64[] = Elemwise\\<add,no_inplace\\>(%3, %4)\\n  %9: int8[] = InplaceDimShuffle\\<\\>(%7)\\n  %10: float64[] = Elemwise\\<sqr,no_inplace\\>(%2)\\n  %11: float64[] = Elemwise\\<sub,no_inplace\\>(%9, %10)\\n  %12: float64[] = Elemwise\\<mul,no_inplace\\>(%8, %11)\\n  %13: float64[] = Elemwise\\<mul,no_inplace\\>(%12, %0)\\n  %14: float64[] = Elemwise\\<add,no_inplace\\>(%5, %12)\\n  %15: float64[] = Elemwise\\<mul,no_inplace\\>(%12, %1)\\n  return %13, %14, %15\\n\\>\\n}(%12, %0, %13, %13, %17, %20, %21, %22, %23, %3, %24, %25, %1)
  return %27
}
",
];

const IR_TOKENS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    "=",
    ": ",
    "\n",
    "\"",
    "\\u{",
    "#",
    "%0",
    "%99",
    "const ",
    "shared",
    "return ",
    "function(",
    "[1] {",
    "[0, 4611686018427387904, 4611686018427387904] {}",
    "[4294967296, 4294967296, 4294967296] {}",
    "nan(0x",
    "1e400",
    "-0",
    "?,",
    "1,",
    "float64",
    "int8",
    "bool",
    "Composite{",
    "exp(",
    "(-",
    "(i0 + ",
    " ** ",
    "i99999999999999",
    "i18446744073709551615",
    "convert_to_int8(",
    "Elemwise{",
    ",no_inplace}",
    "[(0, 9)]",
    "Sum{axis=[",
    "MaxAndArgmax{axis=(",
    "InplaceDimShuffle{x,",
    "Reshape{33}",
    "Flatten{0}",
    "Shape_i{18446744073709551615}",
    "Join{axis=",
    "Subtensor{int64:",
    "IncSubtensor{InplaceInc;",
    "AdvancedSubtensor{int,",
    "Alloc",
    "ARange{dtype='",
    "18446744073709551616",
    "é",
    "\u{E000}",
    "\0",
    "\r\n",
    "for{cpu,",
    "|body=function(",
    "|outs=0L,",
    "|steps=-1,",
    "|heads=1",
    "\\n",
    "\\<",
    "\\>",
];

#[test]
fn fuzz_ir_text() {
    // the library's own custom ops parse (a loop)
    theano::register_builtin_ops();
    let w = theano::try_shared(Tensor::zeros(DType::Float64, &[2, 2]), None)
        .unwrap()
        .named("W");
    let resolve = |k: &str| (k == "W").then(|| w.clone());
    let seeds: Vec<Vec<u8>> = IR_SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect();
    for s in IR_SEEDS {
        FunctionGraph::parse_with(s, &resolve).unwrap_or_else(|e| panic!("seed: {e}\n{s}"));
    }
    let tokens: Vec<&[u8]> = IR_TOKENS.iter().map(|t| t.as_bytes()).collect();
    fuzz("ir_text", &seeds, &tokens, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        if let Ok(fg) = FunctionGraph::parse_with(&text, &resolve) {
            if let Err(e) = fg.verify() {
                panic!("parsed graph does not verify: {e}\n{text}");
            }
            let printed = fg.to_text();
            match FunctionGraph::parse_with(&printed, &resolve) {
                // custom ops (a loop) are equal by identity: their text, which holds the
                // whole op, must print again the same
                Ok(back) => assert!(
                    back == fg || back.to_text() == printed,
                    "reparse differs:\n{text}\n{printed}"
                ),
                Err(e) => panic!("printed graph does not parse: {e}\n{printed}"),
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// THEANO_FLAGS

const FLAG_SEEDS: &[&str] = &[
    "floatX=float32,linker=interp,optimizer=None,dump=ir+asm,dump_dir=/tmp/d",
    "device=cuda0, mode=DebugMode, optimizer_excluding=unsafe_math:fusion",
    "mode=FAST_COMPILE,optimizer=fast_compile,optimizer_verbose=True,exception_verbosity=high",
    "profile=1,linker=cvm,device=cpu,floatX=float64,dump=rewrites:opt:clif:ptx",
    "",
];

const FLAG_TOKENS: &[&str] = &[
    ",",
    "=",
    ":",
    "+",
    " ",
    "floatX=",
    "float16",
    "device=",
    "cuda",
    "cuda9",
    "cudax",
    "mode=",
    "NanGuardMode",
    "optimizer=",
    "linker=",
    "jit",
    "dump=",
    "ir",
    "dump_dir=",
    "profile=",
    "yes",
    "TRUE",
    "optimizer_excluding=",
    "exception_verbosity=",
    "é",
    "\u{0}",
    "\u{E000}",
];

#[test]
fn fuzz_theano_flags() {
    let seeds: Vec<Vec<u8>> = FLAG_SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect();
    for s in FLAG_SEEDS {
        Mode::parse_flags(s).unwrap_or_else(|e| panic!("seed {s}: {e}"));
    }
    let tokens: Vec<&[u8]> = FLAG_TOKENS.iter().map(|t| t.as_bytes()).collect();
    fuzz("theano_flags", &seeds, &tokens, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        match Mode::parse_flags(&text) {
            Ok(m) => {
                // parsing is deterministic and the Mode prints
                assert_eq!(Mode::parse_flags(&text), Ok(m.clone()));
                let _ = m.to_string();
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// .npy

/// Valid files: every dtype, ranks 0 to 3, empty arrays, Fortran order, big-endian data, and
/// format versions 2.0 and 3.0.
fn npy_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (i, d) in DType::ALL.into_iter().enumerate() {
        let shape: &[usize] = [&[][..], &[0], &[3], &[2, 3], &[1, 2, 2]][i % 5];
        let n: usize = shape.iter().product();
        let t = Tensor::from_f64_vec(d, shape, (0..n).map(|k| k as f64 - 1.5).collect()).unwrap();
        seeds.push(t.to_npy_bytes());
    }
    let base = Tensor::from_f64_vec(DType::Float64, &[2, 3], (0..6).map(f64::from).collect())
        .unwrap()
        .to_npy_bytes();
    // Fortran order: "True" is one byte shorter than "False", padded with a space
    let mut f = base.clone();
    let key = b"'fortran_order': False";
    let at = f.windows(key.len()).position(|w| w == key).unwrap();
    f[at..at + key.len()].copy_from_slice(b"'fortran_order': True ");
    seeds.push(f);
    // big-endian
    let mut big = base.clone();
    let at = big.windows(3).position(|w| w == b"<f8").unwrap();
    big[at] = b'>';
    let n = big.len();
    for c in big[n - 48..].chunks_mut(8) {
        c.reverse();
    }
    seeds.push(big);
    // versions 2.0 and 3.0: a 4-byte header length
    for v in [2u8, 3] {
        let hl = u16::from_le_bytes([base[8], base[9]]) as u32;
        let mut b = base[..6].to_vec();
        b.extend([v, 0]);
        b.extend(hl.to_le_bytes());
        b.extend(&base[10..]);
        seeds.push(b);
    }
    seeds
}

const NPY_TOKENS: &[&[u8]] = &[
    b"(",
    b"[",
    b"{",
    b")",
    b"'shape': (",
    b"'descr': '>f8', ",
    b"'descr': [('a', '<f8')], ",
    b"'fortran_order': True, ",
    b"None",
    b"1L",
    b"-1",
    b"18446744073709551616",
    b"4611686018427387904, ",
    b"0, ",
    b"'",
    b"\"",
    b"\\",
    b"\x93NUMPY",
    b"\x01\x00",
    b"\x02\x00",
    b"\xff\xff\xff\xff",
    b"\xff\xff",
    b"<c16",
    b"|O",
];

#[test]
fn fuzz_npy() {
    let seeds = npy_seeds();
    for (i, s) in seeds.iter().enumerate() {
        Tensor::from_npy_bytes(s).unwrap_or_else(|e| panic!("seed {i}: {e}"));
    }
    fuzz("npy", &seeds, NPY_TOKENS, |bytes| {
        if let Ok(t) = Tensor::from_npy_bytes(bytes) {
            let out = t.to_npy_bytes();
            let back = Tensor::from_npy_bytes(&out).expect("a written file reads back");
            assert_eq!(back.to_npy_bytes(), out);
            // a value read from a file becomes a shared variable or a typed error
            let _ = Variable::shared(t, None);
        }
    });
}
