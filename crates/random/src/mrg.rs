//! The MRG31k3p generator (L'Ecuyer and Touzin, 2000) as Theano 1.0's `rng_mrg` computes it:
//! a stream is six int32 words, two multiple recursive components modulo `M1` and `M2`;
//! streams are spaced 2^72 steps apart and the generator's next start 2^134 steps on
//! (L'Ecuyer, Simard, Chen and Kelton, 2002), by the jump matrices below.
//!
//! Everything here is integer arithmetic with int32 wrap-around, as Theano's C and NumPy
//! code, so the states and the integer outputs are Theano's bit for bit.

/// The first component's modulus, 2^31 - 1.
pub const M1: i32 = 2_147_483_647;
/// The second component's modulus, 2^31 - 21069.
pub const M2: i32 = 2_147_462_579;
const MASK12: i32 = 511;
const MASK13: i32 = 16_777_215;
const MASK2: i32 = 65_535;
const MULT2: i32 = 21_069;

/// 2^-31 (Theano writes `4.656612873077392578125e-10`): an integer output `k` in `1..=M1`
/// becomes the float64 sample `k * NORM_F64`.
pub const NORM_F64: f64 = 1.0 / (1u64 << 31) as f64;
/// The float32 constant of Theano's C and GPU code, `4.6566126e-10f`.
pub const NORM_F32: f32 = 4.656_612_6e-10;

/// One stream's state: `x11, x12, x13` (modulo `M1`) then `x21, x22, x23` (modulo `M2`).
pub type State = [i32; 6];

/// Advances one stream by a step; returns its output, an integer in `1..=M1` (never 0).
#[inline]
pub fn next(s: &mut State) -> i32 {
    let [x11, x12, x13, x21, x22, x23] = *s;
    let reduce = |y: i32, m: i32| {
        if !(0..m).contains(&y) {
            y.wrapping_sub(m)
        } else {
            y
        }
    };
    // first component: x1 = (2^22 x12 + 2^7 x13 + x13) mod M1, where 2^31 = 1 (mod M1)
    let mut y1 = ((x12 & MASK12) << 22)
        .wrapping_add(x12 >> 9)
        .wrapping_add((x13 & MASK13) << 7)
        .wrapping_add(x13 >> 24);
    y1 = reduce(y1, M1);
    y1 = reduce(y1.wrapping_add(x13), M1);
    // second component: x2 = (2^15 x21 + 2^15 x23 + x23) mod M2, where 2^31 = 21069 (mod M2)
    let z1 = reduce(
        ((x21 & MASK2) << 15).wrapping_add(MULT2.wrapping_mul(x21 >> 16)),
        M2,
    );
    let mut y2 = reduce(
        ((x23 & MASK2) << 15).wrapping_add(MULT2.wrapping_mul(x23 >> 16)),
        M2,
    );
    y2 = reduce(y2.wrapping_add(x23), M2);
    y2 = reduce(y2.wrapping_add(z1), M2);
    *s = [y1, x11, x12, y2, x21, x22];
    if y1 <= y2 {
        y1.wrapping_sub(y2).wrapping_add(M1)
    } else {
        y1.wrapping_sub(y2)
    }
}

/// The float64 sample of an output: `k * 2^-31`, in `(0, 1)` (Theano's C and Python code
/// agree here).
#[inline]
pub fn to_f64(k: i32) -> f64 {
    k as f64 * NORM_F64
}

/// The float32 sample of an output as Theano's C and GPU kernels compute it: `k` rounded to
/// float32, times `4.6566126e-10f` in float32. (Theano's Python `perform` multiplies in
/// float64 and rounds once; the two differ in the last bit for some `k`. Both can give 1.0
/// for `k` near `M1`: the float32 bound is not excluded.)
#[inline]
pub fn to_f32(k: i32) -> f32 {
    k as f32 * NORM_F32
}

type Jump = [[i64; 3]; 3];

/// 2^72 steps of the first and the second component.
const A1P72: Jump = [
    [1516919229, 758510237, 499121365],
    [1884998244, 1516919229, 335398200],
    [601897748, 1884998244, 358115744],
];
const A2P72: Jump = [
    [1228857673, 1496414766, 954677935],
    [1133297478, 1407477216, 1496414766],
    [2002613992, 1639496704, 1407477216],
];
/// 2^134 steps.
const A1P134: Jump = [
    [1702500920, 1849582496, 1656874625],
    [828554832, 1702500920, 1512419905],
    [1143731069, 828554832, 102237247],
];
const A2P134: Jump = [
    [796789021, 1464208080, 607337906],
    [1241679051, 1431130166, 1464208080],
    [1401213391, 1178684362, 1431130166],
];

/// `A s mod m`, each product reduced before the sum as Theano's `DotModulo`.
fn mat_vec_mod(a: &Jump, s: &[i32], m: i32) -> [i32; 3] {
    let m = i64::from(m);
    let mut out = [0i32; 3];
    for (o, row) in out.iter_mut().zip(a) {
        let r: i64 = row
            .iter()
            .zip(s)
            .map(|(&aij, &sj)| (aij * i64::from(sj)).rem_euclid(m))
            .sum();
        // r < 3m < 2^33 and the result is below m < 2^31
        *o = r.rem_euclid(m) as i32;
    }
    out
}

fn jump(s: &State, a1: &Jump, a2: &Jump) -> State {
    let lo = mat_vec_mod(a1, &s[..3], M1);
    let hi = mat_vec_mod(a2, &s[3..], M2);
    [lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]]
}

/// The state 2^72 steps on: the next stream of a state matrix.
pub fn jump_stream(s: &State) -> State {
    jump(s, &A1P72, &A2P72)
}

/// The state 2^134 steps on: where the random streams object starts its next variable.
pub fn jump_variable(s: &State) -> State {
    jump(s, &A1P134, &A2P134)
}

/// `n` streams from `start`, each 2^72 steps after the one before (Theano's
/// `get_substream_rstates`), as the rows of a state matrix.
pub fn substreams(start: &State, n: usize) -> Vec<State> {
    let mut rows = Vec::with_capacity(n);
    let mut s = *start;
    for _ in 0..n {
        rows.push(s);
        s = jump_stream(&s);
    }
    rows
}

/// Theano's `guess_n_streams`: for a size of known integers, a sixth of the element count
/// (all of it up to 6), at most 60 * 256; 60 * 256 when the size is symbolic.
pub fn guess_n_streams(size: Option<&[i64]>) -> usize {
    const MAX: usize = 60 * 256;
    match size {
        Some(dims) => {
            let r = dims.iter().fold(1i128, |a, &d| a * i128::from(d));
            let r = if r > 6 { r / 6 } else { r };
            r.clamp(0, MAX as i128) as usize
        }
        None => MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MRG31k3p recurrences written out with 64-bit arithmetic: the shifts and masks of
    /// `next` must compute the same thing.
    fn reference(s: &mut State) -> i32 {
        let m1 = i64::from(M1);
        let m2 = i64::from(M2);
        let x: Vec<i64> = s.iter().map(|&v| i64::from(v)).collect();
        let y1 = ((1 << 22) * x[1] + ((1 << 7) + 1) * x[2]).rem_euclid(m1);
        let y2 = ((1 << 15) * x[3] + ((1 << 15) + 1) * x[5]).rem_euclid(m2);
        *s = [y1 as i32, s[0], s[1], y2 as i32, s[3], s[4]];
        let k = if y1 <= y2 { y1 - y2 + m1 } else { y1 - y2 };
        k as i32
    }

    #[test]
    fn shifts_and_masks_compute_the_recurrence() {
        let mut a: State = [12345, 12345, 12345, 12345, 12345, 12345];
        let mut b = a;
        for _ in 0..100_000 {
            assert_eq!(next(&mut a), reference(&mut b));
            assert_eq!(a, b);
        }
        // states near the moduli
        let mut a: State = [M1 - 1, M1 - 2, M1 - 3, M2 - 1, M2 - 2, M2 - 3];
        let mut b = a;
        for _ in 0..1000 {
            assert_eq!(next(&mut a), reference(&mut b));
        }
    }

    /// The jumps are powers of the step's matrices, so they commute with a step (a wrong
    /// table would not). That they are the 2^72 and 2^134 powers is checked against the
    /// stream states the real Theano recorded (`tests/random_mrg.rs`).
    #[test]
    fn jumps_commute_with_a_step() {
        let s: State = [7, 8, 9, 10, 11, 12];
        let mut stepped = jump_stream(&s);
        next(&mut stepped);
        let mut t = s;
        next(&mut t);
        assert_eq!(stepped, jump_stream(&t));
        let mut stepped = jump_variable(&s);
        next(&mut stepped);
        assert_eq!(stepped, jump_variable(&t));
    }

    #[test]
    fn guesses_streams_as_theano() {
        assert_eq!(guess_n_streams(Some(&[2, 3])), 6);
        assert_eq!(guess_n_streams(Some(&[4, 5])), 3);
        assert_eq!(guess_n_streams(Some(&[1000, 1000])), 15360);
        assert_eq!(guess_n_streams(None), 15360);
    }
}
