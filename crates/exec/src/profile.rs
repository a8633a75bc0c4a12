//! `profile=True` (or `Mode::profile`): Theano's ProfileStats for one function. The compile
//! time split by phase, the calls and their time, and a table per op type and per Apply node
//! with the linker that ran each node (a JIT kernel, BLAS, a view, or the interpreter, with
//! the calls that fell back to it). `Function::profile` returns it
//! as a value; functions compiled with profiling print theirs to stderr when the process
//! exits, as Theano does.

use crate::{Program, StepTimes};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

/// The profile of one function, as of the moment it was taken.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The function's name.
    pub name: String,
    /// Calls of the function that ran its program.
    pub calls: u64,
    /// Time inside the executable over all calls (arguments already converted, shared
    /// variables locked): the time the node rows share.
    pub call_time: Duration,
    /// Compile time by phase, in order: `import` (the graph into the IR), each rewrite phase,
    /// `schedule`, `link` (code generation: Cranelift kernels and their module).
    pub compile: Vec<(String, Duration)>,
    /// One row per Apply node, in execution order.
    pub nodes: Vec<NodeProfile>,
}

/// One Apply node's row.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeProfile {
    /// Its index in the schedule (Theano's toposort index).
    pub index: usize,
    /// The node, as `Elemwise{add,no_inplace}(x, y)`.
    pub node: String,
    /// The op's type (Theano's op class): `Elemwise`, `Gemv`, `Sum`...
    pub op_type: String,
    /// How the backend linked it: `jit kernel`, `BLAS`, `view`, `interpreter`, or for a lazy
    /// `IfElse` whose branches the JIT compiled, `jit branches`.
    pub linker: &'static str,
    /// Total time in the node.
    pub time: Duration,
    /// How many times it ran.
    pub calls: u64,
    /// How many of those ran in the interpreter (a kernel that refused its inputs falls back).
    pub interp_calls: u64,
}

/// The rows of one op type.
#[derive(Clone, Debug, PartialEq)]
pub struct OpTypeProfile {
    pub op_type: String,
    pub time: Duration,
    pub calls: u64,
    /// Apply nodes of this type.
    pub applies: usize,
    /// The linkers of its nodes, joined by `+` when they differ.
    pub linker: String,
}

impl Profile {
    /// The sum of the node rows.
    pub fn node_time(&self) -> Duration {
        self.nodes.iter().map(|n| n.time).sum()
    }
    /// The total compile time.
    pub fn compile_time(&self) -> Duration {
        self.compile.iter().map(|(_, t)| *t).sum()
    }
    /// The node rows grouped by op type, the most expensive first.
    pub fn by_op_type(&self) -> Vec<OpTypeProfile> {
        let mut out: Vec<OpTypeProfile> = Vec::new();
        for n in &self.nodes {
            match out.iter_mut().find(|o| o.op_type == n.op_type) {
                Some(o) => {
                    o.time += n.time;
                    o.calls += n.calls;
                    o.applies += 1;
                    if !o.linker.split('+').any(|l| l == n.linker) {
                        o.linker = format!("{}+{}", o.linker, n.linker);
                    }
                }
                None => out.push(OpTypeProfile {
                    op_type: n.op_type.clone(),
                    time: n.time,
                    calls: n.calls,
                    applies: 1,
                    linker: n.linker.to_string(),
                }),
            }
        }
        out.sort_by_key(|o| std::cmp::Reverse(o.time));
        out
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3e}s", d.as_secs_f64())
}

fn per_call(t: Duration, calls: u64) -> Duration {
    Duration::from_nanos((t.as_nanos() / calls.max(1) as u128) as u64)
}

fn pct(part: Duration, whole: Duration) -> f64 {
    if whole.is_zero() {
        0.0
    } else {
        100.0 * part.as_secs_f64() / whole.as_secs_f64()
    }
}

impl fmt::Display for Profile {
    /// Theano's layout: a summary, then the op types, then the Apply nodes, each sorted by time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes = self.node_time();
        writeln!(f, "Function profiling")?;
        writeln!(f, "==================")?;
        writeln!(f, "  Message: {}", self.name)?;
        writeln!(
            f,
            "  Time in {} calls to Function.__call__: {}",
            self.calls,
            secs(self.call_time)
        )?;
        writeln!(
            f,
            "  Time in thunks: {} ({:.1}%)",
            secs(nodes),
            pct(nodes, self.call_time)
        )?;
        writeln!(f, "  Total compile time: {}", secs(self.compile_time()))?;
        for (phase, t) in &self.compile {
            writeln!(f, "    {phase:<14} {}", secs(*t))?;
        }
        writeln!(f)?;
        writeln!(f, "Class")?;
        writeln!(f, "---")?;
        writeln!(
            f,
            "<% time> <sum %> <apply time> <time per call> <#call> <#apply> <linker> <Class name>"
        )?;
        let mut sum = 0.0;
        for o in self.by_op_type() {
            let p = pct(o.time, nodes);
            sum += p;
            let per = per_call(o.time, o.calls);
            writeln!(
                f,
                "  {p:5.1}%   {sum:5.1}%   {}   {}   {}   {}   {}   {}",
                secs(o.time),
                secs(per),
                o.calls,
                o.applies,
                o.linker,
                o.op_type
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Apply")?;
        writeln!(f, "------")?;
        writeln!(
            f,
            "<% time> <sum %> <apply time> <time per call> <#call> <id> <linker> <Apply name>"
        )?;
        let mut rows: Vec<&NodeProfile> = self.nodes.iter().collect();
        rows.sort_by_key(|n| std::cmp::Reverse(n.time));
        let mut sum = 0.0;
        for n in rows {
            let p = pct(n.time, nodes);
            sum += p;
            let per = per_call(n.time, n.calls);
            let fallback = if n.interp_calls > 0 && n.linker != "interpreter" {
                format!(" ({} calls fell back to the interpreter)", n.interp_calls)
            } else {
                String::new()
            };
            writeln!(
                f,
                "  {p:5.1}%   {sum:5.1}%   {}   {}   {}   {}   {}{fallback}   {}",
                secs(n.time),
                secs(per),
                n.calls,
                n.index,
                n.linker,
                n.node
            )?;
        }
        Ok(())
    }
}

/// The compile phases' wall times, lap by lap.
pub struct Stopwatch {
    clock: std::time::Instant,
    pub laps: Vec<(String, Duration)>,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch {
            clock: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }
    /// The time since the last lap, as `phase`.
    pub fn lap(&mut self, phase: &str) {
        let now = std::time::Instant::now();
        self.laps.push((phase.to_string(), now - self.clock));
        self.clock = now;
    }
    /// Laps timed elsewhere (the optimizer's phases), which end now.
    pub fn add_laps(&mut self, laps: &[(&'static str, Duration)]) {
        self.laps
            .extend(laps.iter().map(|(p, t)| (p.to_string(), *t)));
        self.clock = std::time::Instant::now();
    }
}

/// What a profiled function records: fixed at compile time but for the counters.
pub struct Recorder {
    name: String,
    compile: Vec<(String, Duration)>,
    nodes: Vec<(String, String, &'static str)>,
    times: Arc<StepTimes>,
    calls: AtomicU64,
    call_nanos: AtomicU64,
}

impl Recorder {
    pub fn new(
        name: &str,
        compile: Vec<(String, Duration)>,
        program: &Program,
        linkers: Vec<&'static str>,
        times: Arc<StepTimes>,
    ) -> Arc<Recorder> {
        let nodes = program
            .steps
            .iter()
            .zip(linkers)
            .map(|(s, l)| (s.node.clone(), s.op.class_name(), l))
            .collect();
        Arc::new(Recorder {
            name: name.to_string(),
            compile,
            nodes,
            times,
            calls: AtomicU64::new(0),
            call_nanos: AtomicU64::new(0),
        })
    }

    /// One call that ran the program in `t`.
    pub fn record_call(&self, t: Duration) {
        self.calls.fetch_add(1, Relaxed);
        self.call_nanos
            .fetch_add(t.as_nanos().min(u64::MAX as u128) as u64, Relaxed);
    }

    pub fn snapshot(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            calls: self.calls.load(Relaxed),
            call_time: Duration::from_nanos(self.call_nanos.load(Relaxed)),
            compile: self.compile.clone(),
            nodes: self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, (node, op_type, linker))| {
                    let (time, calls, interp_calls) = self.times.get(i);
                    NodeProfile {
                        index: i,
                        node: node.clone(),
                        op_type: op_type.clone(),
                        linker,
                        time,
                        calls,
                        interp_calls,
                    }
                })
                .collect(),
        }
    }
}

static AT_EXIT: Mutex<Vec<Arc<Recorder>>> = Mutex::new(Vec::new());
static REGISTER: Once = Once::new();

extern "C" fn print_profiles() {
    let recs = match AT_EXIT.lock() {
        Ok(mut g) => std::mem::take(&mut *g),
        Err(_) => return,
    };
    let mut err = std::io::stderr().lock();
    for r in recs {
        // an unwritable stderr is not a reason to fail at exit
        let _ = std::io::Write::write_fmt(&mut err, format_args!("{}\n", r.snapshot()));
    }
}

/// Print `r`'s profile to stderr when the process exits (Theano prints profiles at exit).
pub fn print_at_exit(r: &Arc<Recorder>) {
    REGISTER.call_once(|| {
        // SAFETY: `print_profiles` is an `extern "C" fn()` that does not unwind (it takes
        // a lock and prints; a poisoned lock is skipped).
        unsafe {
            libc::atexit(print_profiles);
        }
    });
    if let Ok(mut g) = AT_EXIT.lock() {
        g.push(r.clone());
    }
}
