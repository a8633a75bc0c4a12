//! Constants of the special functions that more than one backend computes the same way (the
//! interpreter's `theano_interp::special` and theano-ptx's kernels), kept once so the two
//! agree to the bit.

/// psi's positive root as a double-double (mpmath).
pub const PSI_ROOT: (f64, f64) = (1.4616321449683622, 9.549995429965697e-17);

/// psi's Taylor coefficients at its positive root, `polygamma(k, x0) / k!` for k = 1..24
/// (mpmath at 50 digits): 24 terms reach float64 precision within 0.25 of the root.
#[allow(clippy::excessive_precision)]
pub const PSI_ROOT_SERIES: [f64; 24] = [
    0.9676722454476212,
    -0.4427631689835921,
    0.258499760955651,
    -0.16394270544240652,
    0.10782405069126237,
    -0.07219956125645471,
    0.04880428816414311,
    -0.03316112647484736,
    0.022597648232218104,
    -0.01542476590494896,
    0.010538791616612175,
    -0.007204534386356869,
    0.004926781395729853,
    -0.003369801655439328,
    0.002305126326734928,
    -0.0015769367714301972,
    0.0010788252019162967,
    -0.0007380709389960052,
    0.000504953265834602,
    -0.0003454680251063077,
    0.00023635601564027053,
    -0.00016170622091974803,
    0.0001106337276874741,
    -7.569179582195066e-05,
];

/// M. Giles' single-precision erfinv polynomials in `w = -log((1 - t)(1 + t))` (`w - 2.5`
/// below 5, `sqrt(w) - 3` above), times `t`: the Newton steps' starting point in the
/// interpreter and the PTX kernels; highest degree first.
pub const ERFINV_GILES_LO: [f64; 9] = [
    2.810_226_36e-08,
    3.432_739_39e-07,
    -3.523_387_7e-06,
    -4.391_506_54e-06,
    0.000_218_580_87,
    -0.001_253_725_03,
    -0.004_177_681_64,
    0.246_640_727,
    1.501_409_41,
];
pub const ERFINV_GILES_HI: [f64; 9] = [
    -0.000_200_214_257,
    0.000_100_950_558,
    0.001_349_343_22,
    -0.003_673_428_44,
    0.005_739_507_73,
    -0.007_622_461_3,
    0.009_438_870_47,
    1.001_674_06,
    2.832_976_82,
];
