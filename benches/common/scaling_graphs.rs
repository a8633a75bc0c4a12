//! The graphs of the compile-scaling measurements (`benches/compile_scaling.rs`,
//! `examples/compile_scaling.rs`), built the same way, node for node, by
//! `benches/compile_scaling_pytensor.py` (same operations, same splitmix64 picks).
//!
//! - `chain(n)`: `n` elementwise nodes, each reading the previous one: `tanh(h)`, `h * y`,
//!   `exp(h)`, `h + x` in turn, over float64 vectors `x`, `y`;
//! - `dag(n)`: `n` elementwise nodes, node `i` reading node `i - 1` and (binary ops) a value
//!   picked among the 64 before it (splitmix64, seed 1): a random DAG where most values have
//!   several readers, over float64 vectors `x`, `y`, `z`;
//! - `rnn(steps)`: an unrolled RNN `h = tanh(dot(h, W) + X[t])` (`h0` a float64 vector, `W`
//!   and `X` float64 matrices).

use theano::tensor as T;
use theano::Variable;

/// A graph to compile: its inputs and its single output.
#[allow(dead_code)] // the bench and the example each use the parts they need
pub struct Graph {
    pub inputs: Vec<Variable>,
    pub output: Variable,
}

/// splitmix64, as `compile_scaling_pytensor.py` computes it.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `n` elementwise nodes in one chain.
pub fn chain(n: usize) -> Graph {
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let mut h = x.clone();
    for i in 0..n {
        h = match i % 4 {
            0 => T::tanh(&h),
            1 => &h * &y,
            2 => T::exp(&h),
            _ => &h + &x,
        };
    }
    Graph {
        inputs: vec![x, y],
        output: h,
    }
}

/// `n` elementwise nodes in a random DAG (see the module documentation).
pub fn dag(n: usize) -> Graph {
    let ins = vec![T::dvector("x"), T::dvector("y"), T::dvector("z")];
    let mut pool: Vec<Variable> = ins.clone();
    let mut rng = SplitMix(1);
    for _ in 0..n {
        let op = rng.next() % 6;
        let back = (rng.next() % (pool.len().min(64) as u64)) as usize;
        let prev = pool.last().expect("inputs").clone();
        let other = pool[pool.len() - 1 - back].clone();
        let v = match op {
            0 => &prev + &other,
            1 => &prev * &other,
            2 => &prev - &other,
            3 => T::maximum(&prev, &other),
            4 => T::tanh(&prev),
            _ => T::exp(&prev),
        };
        pool.push(v);
    }
    Graph {
        inputs: ins,
        output: pool.pop().expect("nodes"),
    }
}

/// The RNN `h = tanh(dot(h, W) + X[t])` unrolled over `steps` steps.
pub fn rnn(steps: usize) -> Graph {
    let (h0, w, x) = (T::dvector("h0"), T::dmatrix("W"), T::dmatrix("X"));
    let mut h = h0.clone();
    for t in 0..steps {
        let xt = x.at(t as i64).expect("a row of X");
        h = T::tanh(&(T::dot(&h, &w).expect("dot(h, W)") + &xt));
    }
    Graph {
        inputs: vec![h0, w, x],
        output: h,
    }
}

/// The nodes of the graph `function()` receives (before any rewrite).
#[allow(dead_code)]
pub fn n_nodes(g: &Graph) -> usize {
    theano::ir::graph::toposort(std::slice::from_ref(&g.output)).len()
}

/// Least-squares slope of `log(t)` against `log(n)`: the growth exponent `k` of `t ~ n^k`.
#[allow(dead_code)]
pub fn growth_exponent(points: &[(f64, f64)]) -> f64 {
    let m = points.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|&(n, t)| (n.ln(), t.ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / m, ly.iter().sum::<f64>() / m);
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}
