//! NumPy's legacy discrete samplers beyond the binomial, bit for bit as NumPy 1.x's
//! `RandomState` draws them: `poisson` (multiplication of uniforms below `lam = 10`,
//! Hörmann's PTRS transformed rejection above), `multinomial` (a chain of binomials) and
//! `choice` (with or without replacement, uniform or by probabilities), with NumPy's
//! argument checks and messages.

use crate::mt::{RandomState, StateError};

/// NumPy's `POISSON_LAM_MAX`: the int64 maximum less ten times its square root.
pub fn poisson_lam_max() -> f64 {
    let m = i64::MAX as f64;
    m - m.sqrt() * 10.0
}

/// `log(Gamma(x))` as NumPy's samplers compute it (Stirling's series, shifted up to 7).
fn loggam(x: f64) -> f64 {
    const A: [f64; 10] = [
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.41025641025641e-03,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e+00,
    ];
    if x == 1.0 || x == 2.0 {
        return 0.0;
    }
    let n = if x < 7.0 { (7.0 - x) as i64 } else { 0 };
    let mut x0 = x + n as f64;
    let x2 = (1.0 / x0) * (1.0 / x0);
    let mut gl0 = A[9];
    for a in A[..9].iter().rev() {
        gl0 *= x2;
        gl0 += a;
    }
    let mut gl = gl0 / x0 + 0.5 * (2.0 * std::f64::consts::PI).ln() + (x0 - 0.5) * x0.ln() - x0;
    if x < 7.0 {
        for _ in 0..n {
            gl -= (x0 - 1.0).ln();
            x0 -= 1.0;
        }
    }
    gl
}

/// NumPy's Kahan sum of `a[..n]` (it reads `a[0]` even when `n` is 0).
fn kahan_sum(a: &[f64], n: usize) -> f64 {
    let mut sum = a[0];
    let mut c = 0.0;
    for &x in &a[1..n.max(1)] {
        let y = x - c;
        let t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    sum
}

/// The index of the first `cdf` entry above `x` (`searchsorted(x, side='right')`).
fn search_right(cdf: &[f64], x: f64) -> usize {
    cdf.partition_point(|&c| c <= x)
}

/// `cumsum(p) / cumsum(p)[-1]`, NumPy's cumulative distribution in `choice`.
fn normalized_cdf(p: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = p
        .iter()
        .map(|&v| {
            acc += v;
            acc
        })
        .collect();
    let last = *cdf.last().unwrap_or(&1.0);
    for c in &mut cdf {
        *c /= last;
    }
    cdf
}

/// NumPy's checks of an array of Poisson means, made before any draw: all at most
/// [`poisson_lam_max`] (which a NaN fails), then none negative.
pub fn check_poisson_lams(lams: &[f64]) -> Result<(), StateError> {
    if lams.iter().any(|l| l.is_nan() || *l > poisson_lam_max()) {
        return Err(StateError("lam value too large".into()));
    }
    if lams.iter().any(|l| *l < 0.0) {
        return Err(StateError("lam < 0 or lam contains NaNs".into()));
    }
    Ok(())
}

/// How [`RandomState::choice`] weights the population.
#[derive(Clone, Copy, Debug)]
pub struct ChoiceProbs<'a> {
    /// The probabilities, one per member.
    pub p: &'a [f64],
    /// How far their sum may be from 1: `sqrt(eps)` of float64, or of float32 for float32
    /// probabilities (NumPy takes the larger).
    pub atol: f64,
}

impl RandomState {
    /// `poisson(lam)` for a scalar `lam` (NumPy's scalar checks; an array of `lam` is
    /// checked whole first by [`check_poisson_lams`]).
    pub fn poisson(&mut self, lam: f64) -> Result<i64, StateError> {
        if lam.is_nan() || lam < 0.0 {
            return Err(StateError("lam < 0 or lam is NaN".into()));
        }
        if lam > poisson_lam_max() {
            return Err(StateError("lam value too large".into()));
        }
        Ok(if lam >= 10.0 {
            self.poisson_ptrs(lam)
        } else if lam == 0.0 {
            0
        } else {
            self.poisson_mult(lam)
        })
    }

    fn poisson_mult(&mut self, lam: f64) -> i64 {
        let enlam = (-lam).exp();
        let mut x = 0;
        let mut prod = 1.0;
        loop {
            prod *= self.random_sample();
            if prod > enlam {
                x += 1;
            } else {
                return x;
            }
        }
    }

    fn poisson_ptrs(&mut self, lam: f64) -> i64 {
        let slam = lam.sqrt();
        let loglam = lam.ln();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.random_sample() - 0.5;
            let v = self.random_sample();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lam + 0.43).floor() as i64;
            if us >= 0.07 && v <= vr {
                return k;
            }
            if k < 0 || (us < 0.013 && v > us) {
                continue;
            }
            if v.ln() + invalpha.ln() - (a / (us * us) + b).ln()
                <= -lam + k as f64 * loglam - loggam(k as f64 + 1.0)
            {
                return k;
            }
        }
    }

    /// `multinomial(n, pvals)` into `out` (one count per probability): a binomial draw per
    /// category of what is left, the last one taking the rest.
    pub fn multinomial_into(
        &mut self,
        n: i64,
        pvals: &[f64],
        out: &mut [i64],
    ) -> Result<(), StateError> {
        let d = pvals.len();
        debug_assert_eq!(out.len(), d);
        if pvals.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(StateError(
                "pvals < 0, pvals > 1 or pvals contains NaNs".into(),
            ));
        }
        if d > 0 && kahan_sum(pvals, d - 1) > 1.0 + 1e-12 {
            return Err(StateError("sum(pvals[:-1]) > 1.0".into()));
        }
        if n < 0 {
            return Err(StateError("n < 0".into()));
        }
        out.fill(0);
        if d == 0 {
            return Ok(());
        }
        let mut remaining = 1.0;
        let mut dn = n;
        for j in 0..d - 1 {
            out[j] = self.binomial_unchecked(dn, pvals[j] / remaining);
            dn -= out[j];
            if dn <= 0 {
                break;
            }
            remaining -= pvals[j];
        }
        if dn > 0 {
            out[d - 1] = dn;
        }
        Ok(())
    }

    /// `choice(pop, size, replace, p)`: `count` indices into a population of `pop`, the
    /// indices NumPy's legacy `choice` draws (`count` is the size's product; `sized` is
    /// whether a size was given, which decides NumPy's first check).
    pub fn choice(
        &mut self,
        pop: i64,
        count: usize,
        sized: bool,
        replace: bool,
        probs: Option<ChoiceProbs<'_>>,
    ) -> Result<Vec<i64>, StateError> {
        let err = |m: &str| Err(StateError(m.into()));
        if pop <= 0 && !(sized && count == 0) {
            return err("a must be greater than 0 unless no samples are taken");
        }
        let pop_len = usize::try_from(pop).unwrap_or(0);
        if let Some(ChoiceProbs { p, atol }) = probs {
            if p.len() != pop_len {
                return err("'a' and 'p' must have same size");
            }
            let sum = if p.is_empty() {
                0.0
            } else {
                kahan_sum(p, p.len())
            };
            if sum.is_nan() {
                return err("probabilities contain NaN");
            }
            if p.iter().any(|&v| v < 0.0) {
                return err("probabilities are not non-negative");
            }
            if (sum - 1.0).abs() > atol {
                return err("probabilities do not sum to 1");
            }
        }
        if replace {
            return Ok(match probs {
                Some(ChoiceProbs { p, .. }) => {
                    let cdf = normalized_cdf(p);
                    (0..count)
                        .map(|_| search_right(&cdf, self.random_sample()) as i64)
                        .collect()
                }
                None => {
                    let range = (pop - 1) as u64;
                    (0..count).map(|_| self.bounded(range) as i64).collect()
                }
            });
        }
        // NumPy compares with the population as given (a negative one refuses any sample)
        if count as i128 > i128::from(pop) {
            return err("Cannot take a larger sample than population when 'replace=False'");
        }
        match probs {
            None => {
                let mut idx = self.permutation(pop_len);
                idx.truncate(count);
                Ok(idx)
            }
            Some(ChoiceProbs { p, .. }) => {
                if p.iter().filter(|&&v| v > 0.0).count() < count {
                    return err("Fewer non-zero entries in p than size");
                }
                let mut p = p.to_vec();
                let mut found: Vec<i64> = Vec::with_capacity(count);
                while found.len() < count {
                    let x: Vec<f64> = (0..count - found.len())
                        .map(|_| self.random_sample())
                        .collect();
                    for &f in &found {
                        p[f as usize] = 0.0;
                    }
                    let cdf = normalized_cdf(&p);
                    // the distinct picks, in the order they first appear
                    let mut new: Vec<i64> = Vec::with_capacity(x.len());
                    for v in x {
                        let i = search_right(&cdf, v) as i64;
                        if !new.contains(&i) {
                            new.push(i);
                        }
                    }
                    found.extend(new);
                }
                Ok(found)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use theano_tensor::numpy_sum;

    /// `np.sum(RandomState(5).rand(11))` is 5.167799435597546; a running sum gives ...545.
    #[test]
    fn numpy_sum_is_pairwise() {
        let mut s = RandomState::new(5);
        let a: Vec<f64> = (0..11).map(|_| s.random_sample()).collect();
        assert_eq!(numpy_sum(&a), 5.167799435597546);
        assert_eq!(a.iter().sum::<f64>(), 5.167799435597545);
        assert_eq!(numpy_sum(&a[..5]), a[..5].iter().fold(0.0, |r, x| r + x));
        assert_eq!(numpy_sum::<f64>(&[]), 0.0);
        let long: Vec<f64> = (0..300).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        assert!((numpy_sum(&long) - long.iter().sum::<f64>()).abs() < 1e-12);
    }

    #[test]
    fn loggam_matches_log_factorials() {
        let mut lf = 0.0f64;
        for k in 1..40 {
            // loggam(k + 1) = log(k!)
            lf += (k as f64).ln();
            let got = loggam(k as f64 + 1.0);
            assert!(
                (got - lf).abs() <= 1e-12 * lf.max(1.0),
                "{k}: {got} vs {lf}"
            );
        }
    }

    #[test]
    fn samplers_check_their_arguments() {
        let mut s = RandomState::new(3);
        assert!(s.poisson(-1.0).is_err());
        assert!(s.poisson(f64::NAN).is_err());
        assert!(s.poisson(1e19).is_err());
        assert_eq!(
            check_poisson_lams(&[-1.0, f64::NAN]).unwrap_err().0,
            "lam value too large"
        );
        assert_eq!(
            check_poisson_lams(&[1.0, -1.0]).unwrap_err().0,
            "lam < 0 or lam contains NaNs"
        );
        let mut out = [0; 3];
        assert!(s.multinomial_into(3, &[0.7, 0.7, 0.0], &mut out).is_err());
        assert!(s.multinomial_into(-1, &[0.5, 0.5, 0.0], &mut out).is_err());
        s.multinomial_into(10, &[0.2, 0.3, 0.5], &mut out).unwrap();
        assert_eq!(out.iter().sum::<i64>(), 10);
        assert!(s.choice(0, 3, true, true, None).is_err());
        assert!(s.choice(0, 0, true, true, None).unwrap().is_empty());
        assert!(s.choice(2, 3, true, false, None).is_err());
        assert!(s.choice(-3, 0, true, false, None).is_err());
        let mut picks = s.choice(10, 10, true, false, None).unwrap();
        picks.sort_unstable();
        assert_eq!(picks, (0..10).collect::<Vec<_>>());
    }
}
