//! NumPy's legacy `numpy.random.RandomState`: the MT19937 generator with the state NumPy
//! keeps (the 624-word key, the position in it, the cached second normal deviate) and the
//! legacy samplers Theano's `RandomStreams` calls, bit for bit as NumPy 1.x draws them.
//!
//! The state travels through graphs as a `uint32` vector of [`STATE_LEN`] words
//! ([`RandomState::to_tensor`], [`RandomState::from_tensor`]): the key, the position, the
//! has-gauss flag and the cached deviate's 64 bits (low word first).
//!
//! MT19937 is written here rather than taken from the `rand_mt` crate: `rand_mt` neither
//! shows its 624 words and position nor lets them be set mid-block (its `From<[u32; 624]>`
//! untempers past outputs and always restarts at position 624), and a state that is a
//! value of a shared variable must be read and written between calls. The tests check this
//! generator's words against `rand_mt`'s.

use std::fmt;
use theano_tensor::{DType, Tensor};

/// Words in MT19937's key.
pub const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER: u32 = 0x8000_0000;
const LOWER: u32 = 0x7fff_ffff;

/// Words of a state as a tensor: the key, the position, has-gauss, the deviate's two words.
pub const STATE_LEN: usize = N + 4;

/// What a state or a sampler refuses (NumPy's ValueError), with NumPy's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StateError(pub String);

/// NumPy's legacy `RandomState`: an MT19937 generator and its cached normal deviate.
#[derive(Clone, PartialEq)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
    has_gauss: bool,
    gauss: f64,
}

impl fmt::Debug for RandomState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RandomState(MT19937, key[0..3]={:?}, pos={}, has_gauss={}, gauss={})",
            &self.key[..3],
            self.pos,
            self.has_gauss,
            self.gauss
        )
    }
}

impl RandomState {
    /// `RandomState(seed)` for an integer seed: NumPy seeds it with MT19937's
    /// `init_genrand(seed)` (not `init_by_array`).
    pub fn new(seed: u32) -> RandomState {
        let mut key = [0u32; N];
        key[0] = seed;
        for i in 1..N {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        RandomState {
            key,
            pos: N,
            has_gauss: false,
            gauss: 0.0,
        }
    }

    /// `RandomState(seed)` for a Python integer: refused outside `0..2**32` as NumPy does.
    pub fn from_seed(seed: i64) -> Result<RandomState, StateError> {
        u32::try_from(seed)
            .map(RandomState::new)
            .map_err(|_| StateError("Seed must be between 0 and 2**32 - 1".into()))
    }

    /// `RandomState(array)`: MT19937's `init_by_array(key)`, as NumPy seeds from a sequence.
    pub fn from_key(init: &[u32]) -> Result<RandomState, StateError> {
        if init.is_empty() {
            return Err(StateError("Seed must be non-empty".into()));
        }
        let mut s = RandomState::new(19_650_218);
        let mt = &mut s.key;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(init.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(init[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= init.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        Ok(s)
    }

    /// `rng.seed(seed)`: the state `RandomState(seed)` starts in (the cached deviate dropped).
    pub fn seed(&mut self, seed: i64) -> Result<(), StateError> {
        *self = RandomState::from_seed(seed)?;
        Ok(())
    }

    /// NumPy's `get_state()` parts: the key, the position, has_gauss and the cached deviate.
    pub fn get_state(&self) -> (&[u32; N], usize, bool, f64) {
        (&self.key, self.pos, self.has_gauss, self.gauss)
    }

    /// NumPy's `set_state(('MT19937', key, pos, has_gauss, gauss))`.
    pub fn set_state(
        key: [u32; N],
        pos: usize,
        has_gauss: bool,
        gauss: f64,
    ) -> Result<RandomState, StateError> {
        if pos > N {
            return Err(StateError(format!(
                "state position must be at most {N}, got {pos}"
            )));
        }
        Ok(RandomState {
            key,
            pos,
            has_gauss,
            gauss: if has_gauss { gauss } else { 0.0 },
        })
    }

    /// The state as a `uint32` vector of [`STATE_LEN`] words.
    pub fn to_tensor(&self) -> Tensor {
        let mut w = Vec::with_capacity(STATE_LEN);
        w.extend_from_slice(&self.key);
        w.push(self.pos as u32);
        w.push(u32::from(self.has_gauss));
        let g = self.gauss.to_bits();
        w.push(g as u32);
        w.push((g >> 32) as u32);
        Tensor::from_shape_vec(&[STATE_LEN], w).expect("a vector")
    }

    /// The state a tensor of [`RandomState::to_tensor`]'s layout holds.
    pub fn from_tensor(t: &Tensor) -> Result<RandomState, StateError> {
        let bad = || {
            StateError(format!(
                "a RandomState is a uint32 vector of {STATE_LEN} words, got a {} array of shape {:?}",
                t.dtype(),
                t.shape()
            ))
        };
        if t.dtype() != DType::UInt32 || t.shape() != [STATE_LEN] {
            return Err(bad());
        }
        let w: Vec<u32> = t.to_i64_vec().into_iter().map(|v| v as u32).collect();
        let key: [u32; N] = w[..N].try_into().map_err(|_| bad())?;
        let has_gauss = match w[N + 1] {
            0 => false,
            1 => true,
            v => return Err(StateError(format!("has_gauss must be 0 or 1, got {v}"))),
        };
        let gauss = f64::from_bits(u64::from(w[N + 2]) | (u64::from(w[N + 3]) << 32));
        RandomState::set_state(key, w[N] as usize, has_gauss, gauss)
    }

    fn twist(&mut self) {
        let mt = &mut self.key;
        let mix = |a: u32, b: u32, c: u32| {
            let y = (a & UPPER) | (b & LOWER);
            c ^ (y >> 1) ^ if y & 1 == 1 { MATRIX_A } else { 0 }
        };
        for k in 0..N - M {
            mt[k] = mix(mt[k], mt[k + 1], mt[k + M]);
        }
        for k in N - M..N - 1 {
            mt[k] = mix(mt[k], mt[k + 1], mt[k + M - N]);
        }
        mt[N - 1] = mix(mt[N - 1], mt[0], mt[M - 1]);
        self.pos = 0;
    }

    /// The next 32-bit word.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.twist();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// The next 64-bit word: two 32-bit words, the first high.
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// `random_sample()`: 53 random bits (27 and 26 from two words) over 2**53, in [0, 1).
    pub fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A standard normal deviate by the polar method, two at a time: the second is cached in
    /// the state and returned by the next call (NumPy's legacy `gauss`).
    pub fn gauss(&mut self) -> f64 {
        if self.has_gauss {
            self.has_gauss = false;
            return std::mem::replace(&mut self.gauss, 0.0);
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = f * x1;
                self.has_gauss = true;
                return f * x2;
            }
        }
    }

    /// `uniform(low, high)`: `low + (high - low) * random_sample()`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random_sample()
    }

    /// `normal(loc, scale)`: `loc + scale * gauss()`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.gauss()
    }

    /// A uniform integer in `0..=range` by masked rejection: the words (32-bit while the range
    /// fits, else 64-bit) are cut to the smallest all-ones mask covering `range` and drawn
    /// again while above it (NumPy's legacy bounded integers).
    pub fn bounded(&mut self, range: u64) -> u64 {
        if range == 0 {
            return 0;
        }
        let mask = mask_of(range);
        if range <= u64::from(u32::MAX) {
            let mask = mask as u32;
            loop {
                let v = self.next_u32() & mask;
                if u64::from(v) <= range {
                    return u64::from(v);
                }
            }
        }
        loop {
            let v = self.next_u64() & mask;
            if v <= range {
                return v;
            }
        }
    }

    /// `randint(low, high)`: an integer in `low..high` (`high` excluded).
    pub fn randint(&mut self, low: i64, high: i64) -> Result<i64, StateError> {
        if low >= high {
            return Err(StateError("low >= high".into()));
        }
        let range = (high as i128 - 1 - low as i128) as u64;
        Ok((low as i128 + self.bounded(range) as i128) as i64)
    }

    /// `permutation(n)`: `0..n` shuffled by Fisher-Yates from the end, each index drawn by
    /// [`RandomState::bounded`] (NumPy's legacy `shuffle` of `arange(n)`).
    pub fn permutation(&mut self, n: usize) -> Vec<i64> {
        let mut v = Vec::with_capacity(n);
        self.permutation_into(&mut v, n);
        v
    }

    /// [`RandomState::permutation`] appended to `out` (whose capacity the caller reserved).
    pub fn permutation_into(&mut self, out: &mut Vec<i64>, n: usize) {
        let start = out.len();
        out.extend(0..n as i64);
        let v = &mut out[start..];
        for i in (1..n).rev() {
            let j = self.bounded(i as u64) as usize;
            v.swap(i, j);
        }
    }

    /// `binomial(n, p)`: NumPy's legacy sampler (inversion while `n * min(p, 1 - p)` is at
    /// most 30, else Kachitvichyanukul and Schmeiser's BTPE; for `p > 0.5` the count of
    /// failures of `1 - p`).
    pub fn binomial(&mut self, n: i64, p: f64) -> Result<i64, StateError> {
        if n < 0 {
            return Err(StateError("n < 0".into()));
        }
        if !(0.0..=1.0).contains(&p) {
            return Err(StateError("p < 0, p > 1 or p is NaN".into()));
        }
        Ok(self.binomial_unchecked(n, p))
    }

    /// NumPy's `random_binomial` without the argument checks (what `multinomial` calls with
    /// `p[j] / remaining`, which rounding may push a hair past 1).
    pub(crate) fn binomial_unchecked(&mut self, n: i64, p: f64) -> i64 {
        if n == 0 || p == 0.0 {
            return 0;
        }
        if p <= 0.5 {
            if p * n as f64 <= 30.0 {
                self.binomial_inversion(n, p)
            } else {
                self.binomial_btpe(n, p)
            }
        } else {
            let q = 1.0 - p;
            if q * n as f64 <= 30.0 {
                n - self.binomial_inversion(n, q)
            } else {
                n - self.binomial_btpe(n, q)
            }
        }
    }

    fn binomial_inversion(&mut self, n: i64, p: f64) -> i64 {
        let q = 1.0 - p;
        let qn = (n as f64 * q.ln()).exp();
        let np = n as f64 * p;
        let bound = (n as f64).min(np + 10.0 * (np * q + 1.0).sqrt()) as i64;
        let mut x = 0i64;
        let mut px = qn;
        let mut u = self.random_sample();
        while u > px {
            x += 1;
            if x > bound {
                x = 0;
                px = qn;
                u = self.random_sample();
            } else {
                u -= px;
                px = ((n - x + 1) as f64 * p * px) / (x as f64 * q);
            }
        }
        x
    }

    #[allow(clippy::many_single_char_names)]
    fn binomial_btpe(&mut self, n: i64, p: f64) -> i64 {
        let nf = n as f64;
        let r = p.min(1.0 - p);
        let q = 1.0 - r;
        let fm = nf * r + r;
        let m = fm.floor() as i64;
        let mf = m as f64;
        let p1 = (2.195 * (nf * r * q).sqrt() - 4.6 * q).floor() + 0.5;
        let xm = mf + 0.5;
        let xl = xm - p1;
        let xr = xm + p1;
        let c = 0.134 + 20.5 / (15.3 + mf);
        let a = (fm - xl) / (fm - xl * r);
        let laml = a * (1.0 + a / 2.0);
        let a = (xr - fm) / (xr * q);
        let lamr = a * (1.0 + a / 2.0);
        let p2 = p1 * (1.0 + 2.0 * c);
        let p3 = p2 + c / laml;
        let p4 = p3 + c / lamr;
        let nrq = nf * r * q;
        let y = 'draw: loop {
            let u = self.random_sample() * p4;
            let mut v = self.random_sample();
            let y;
            if u <= p1 {
                // the triangle: accepted at once
                break 'draw (xm - p1 * v + u).floor() as i64;
            } else if u <= p2 {
                // the parallelograms
                let x = xl + (u - p1) / c;
                v = v * c + 1.0 - (mf - x + 0.5).abs() / p1;
                if v > 1.0 {
                    continue;
                }
                y = x.floor() as i64;
            } else if u <= p3 {
                // the left tail
                y = (xl + v.ln() / laml).floor() as i64;
                if y < 0 || v == 0.0 {
                    continue;
                }
                v = v * (u - p2) * laml;
            } else {
                // the right tail
                y = (xr - v.ln() / lamr).floor() as i64;
                if y > n || v == 0.0 {
                    continue;
                }
                v = v * (u - p3) * lamr;
            }
            let k = (y - m).abs();
            if !(k > 20 && (k as f64) < nrq / 2.0 - 1.0) {
                // explicit evaluation of f(y) / f(m)
                let s = r / q;
                let a = s * (nf + 1.0);
                let mut f = 1.0;
                if m < y {
                    for i in m + 1..=y {
                        f *= a / i as f64 - s;
                    }
                } else if m > y {
                    for i in y + 1..=m {
                        f /= a / i as f64 - s;
                    }
                }
                if v > f {
                    continue;
                }
                break y;
            }
            // squeezing with Stirling's formula
            let kf = k as f64;
            let rho =
                (kf / nrq) * ((kf * (kf / 3.0 + 0.625) + 0.166_666_666_666_666_66) / nrq + 0.5);
            let t = (-k * k) as f64 / (2.0 * nrq);
            let big_a = v.ln();
            if big_a < t - rho {
                break y;
            }
            if big_a > t + rho {
                continue;
            }
            let x1 = (y + 1) as f64;
            let f1 = (m + 1) as f64;
            let z = (n + 1 - m) as f64;
            let w = (n - y + 1) as f64;
            let (x2, f2, z2, w2) = (x1 * x1, f1 * f1, z * z, w * w);
            let stirling = |d: f64, d2: f64| {
                (13680. - (462. - (132. - (99. - 140. / d2) / d2) / d2) / d2) / d / 166_320.
            };
            let bound = xm * (f1 / x1).ln()
                + (nf - mf + 0.5) * (z / w).ln()
                + ((y - m) as f64) * (w * r / (x1 * q)).ln()
                + stirling(f1, f2)
                + stirling(z, z2)
                + stirling(x1, x2)
                + stirling(w, w2);
            if big_a > bound {
                continue;
            }
            break y;
        };
        if p > 0.5 {
            n - y
        } else {
            y
        }
    }
}

/// The smallest all-ones mask covering `v`.
fn mask_of(v: u64) -> u64 {
    let mut m = v;
    m |= m >> 1;
    m |= m >> 2;
    m |= m >> 4;
    m |= m >> 8;
    m |= m >> 16;
    m |= m >> 32;
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MT19937's reference outputs (mt19937ar.c's `init_genrand(5489)`, the C++ standard's
    /// 10000th output) and the words of `rand_mt`, seeded both ways.
    #[test]
    fn words_are_mt19937s() {
        let mut s = RandomState::new(5489);
        let first = s.next_u32();
        assert_eq!(first, 3_499_211_612);
        for _ in 1..9999 {
            s.next_u32();
        }
        assert_eq!(s.next_u32(), 4_123_659_995);
        for seed in [0u32, 1, 234, 902_340, u32::MAX] {
            let mut ours = RandomState::new(seed);
            let mut theirs = rand_mt::Mt::new(seed);
            for i in 0..2000 {
                assert_eq!(ours.next_u32(), theirs.next_u32(), "seed {seed} word {i}");
            }
        }
        let key = [0x123u32, 0x234, 0x345, 0x456];
        let mut ours = RandomState::from_key(&key).unwrap();
        let mut theirs = rand_mt::Mt::new_with_key(key.iter().copied());
        for _ in 0..1300 {
            assert_eq!(ours.next_u32(), theirs.next_u32());
        }
        // mt19937ar.c's published first output for init_by_array({0x123, 0x234, 0x345, 0x456})
        assert_eq!(
            RandomState::from_key(&key).unwrap().next_u32(),
            1_067_595_299
        );
    }

    /// The tensor form keeps everything, mid-block and with a cached deviate.
    #[test]
    fn the_tensor_form_round_trips() {
        let mut s = RandomState::new(42);
        s.gauss();
        s.next_u32();
        assert!(s.has_gauss);
        let t = s.to_tensor();
        assert_eq!(t.dtype(), DType::UInt32);
        let mut back = RandomState::from_tensor(&t).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.gauss(), s.gauss());
        assert_eq!(back.next_u32(), s.next_u32());
        let bad = Tensor::from(vec![1.0f64, 2.0]);
        assert!(RandomState::from_tensor(&bad)
            .unwrap_err()
            .0
            .contains("uint32 vector of 628 words"));
        assert!(RandomState::from_seed(-1).is_err());
        assert!(RandomState::from_seed(1 << 32).is_err());
    }

    #[test]
    fn bounded_integers_stay_in_range() {
        let mut s = RandomState::new(7);
        for r in [0u64, 1, 2, 5, 1 << 30, u64::from(u32::MAX), 1 << 40] {
            for _ in 0..200 {
                assert!(s.bounded(r) <= r);
            }
        }
        let mut p = s.permutation(10);
        p.sort_unstable();
        assert_eq!(p, (0..10).collect::<Vec<_>>());
        assert!(s.randint(3, 3).is_err());
        for (n, pr) in [(10, 0.3), (1000, 0.4), (1000, 0.9), (5, 1.0)] {
            for _ in 0..100 {
                let b = s.binomial(n, pr).unwrap();
                assert!((0..=n).contains(&b));
            }
        }
    }
}
