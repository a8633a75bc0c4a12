//! NumPy's summation order, for results that must equal NumPy's to the last bit.

/// NumPy's `np.sum` of a contiguous vector: pairwise in blocks of 128, eight accumulators
/// inside a block, in the vector's own precision (what Theano's multinomial helper compares
/// with 1, and what `Print`'s `sum`, `mean` and `std` show).
pub fn numpy_sum<T: Copy + Default + std::ops::Add<Output = T>>(a: &[T]) -> T {
    let n = a.len();
    if n < 8 {
        a.iter().fold(T::default(), |r, &x| r + x)
    } else if n <= 128 {
        let mut r = [T::default(); 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        for chunk in a[8..whole].chunks_exact(8) {
            for (r, &x) in r.iter_mut().zip(chunk) {
                *r = *r + x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[whole..] {
            res = res + x;
        }
        res
    } else {
        let half = n / 2;
        let half = half - half % 8;
        numpy_sum(&a[..half]) + numpy_sum(&a[half..])
    }
}
