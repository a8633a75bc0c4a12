//! `AbstractConv2d` and its two gradient ops (Theano 1.0's values: each output element a sum
//! over the filter window of the zero-padded, dilated, strided image; the gradient ops are
//! the exact adjoints of that sum). Float32 and float64 run as matrix products, as Theano's
//! `CorrMM` does: per image and group the windows are unrolled into the columns of a matrix
//! (`im2col`), multiplied by the filters (ndarray's `dot`), and the images' gradient is
//! rolled back (`col2im`); other dtypes sum directly in float64.

use crate::error::{PerformError, R};
use crate::linalg::MatMul;
use crate::util::{check_size, py_shape};
use ndarray::{Array2, ArrayView2};
use theano_ir::conv::{ConvKind, ConvParams};
use theano_tensor::{DType, Tensor};

/// The geometry of one convolution: images `(b, c, h, w)`, filters `(o, c / groups, kh, kw)`,
/// output `(b, o, oh, ow)`, and where each filter tap reads the image.
struct Geom {
    b: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    groups: usize,
    pad: [usize; 2],
    stride: [usize; 2],
    dil: [usize; 2],
    flip: bool,
}

impl Geom {
    fn new(p: &ConvParams, img: [usize; 4], kern: [usize; 4]) -> R<Geom> {
        let groups = p.num_groups;
        if !img[1].is_multiple_of(groups) {
            return Err(PerformError::value(
                "number of input channels must be divible by num_groups",
            ));
        }
        if !kern[0].is_multiple_of(groups) {
            return Err(PerformError::value(
                "number of filters must be divisible by num_groups",
            ));
        }
        if img[1] / groups != kern[1] {
            return Err(PerformError::value(format!(
                "the number of input channels in the kernel should specify the number of \
                 channels of 1 group (images {}, filters {}, num_groups={groups})",
                py_shape(&img),
                py_shape(&kern)
            )));
        }
        let k = [kern[2], kern[3]];
        if k.contains(&0) {
            return Err(PerformError::value(format!(
                "the filters must have at least one row and one column, got {}",
                py_shape(&kern)
            )));
        }
        let [oh, ow] = p.out_len([img[2], img[3]], k);
        let (Some(oh), Some(ow)) = (oh, ow) else {
            return Err(PerformError::value(format!(
                "negative dimensions are not allowed: filters {} dilated by {:?} do not fit \
                 images {} padded as {}",
                py_shape(&kern),
                p.dilation,
                py_shape(&img),
                p.border
            )));
        };
        let sides = p.border.sides(p.dilated(k));
        Ok(Geom {
            b: img[0],
            c: img[1],
            h: img[2],
            w: img[3],
            o: kern[0],
            kh: kern[2],
            kw: kern[3],
            oh,
            ow,
            groups,
            pad: [sides[0].0, sides[1].0],
            stride: p.subsample,
            dil: p.dilation,
            flip: p.filter_flip,
        })
    }

    fn out_shape(&self) -> [usize; 4] {
        [self.b, self.o, self.oh, self.ow]
    }

    /// Calls `f(image index, filter index, output index)` for every tap that reads inside
    /// the image, in a fixed order.
    fn each_tap(&self, mut f: impl FnMut(usize, usize, usize)) {
        let (cg, og) = (self.c / self.groups, self.o / self.groups);
        let tap = |k: usize, n: usize| if self.flip { n - 1 - k } else { k };
        for b in 0..self.b {
            for oc in 0..self.o {
                let g = oc / og;
                for i in 0..self.oh {
                    for j in 0..self.ow {
                        let out = ((b * self.o + oc) * self.oh + i) * self.ow + j;
                        for c in 0..cg {
                            let ic = g * cg + c;
                            for ki in 0..self.kh {
                                let y = (i * self.stride[0] + ki * self.dil[0]) as isize
                                    - self.pad[0] as isize;
                                if y < 0 || y >= self.h as isize {
                                    continue;
                                }
                                for kj in 0..self.kw {
                                    let x = (j * self.stride[1] + kj * self.dil[1]) as isize
                                        - self.pad[1] as isize;
                                    if x < 0 || x >= self.w as isize {
                                        continue;
                                    }
                                    let im = ((b * self.c + ic) * self.h + y as usize) * self.w
                                        + x as usize;
                                    let kn = ((oc * cg + c) * self.kh + tap(ki, self.kh)) * self.kw
                                        + tap(kj, self.kw);
                                    f(im, kn, out);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Float32 and float64 convolutions as matrix products, the images split over rayon's
/// threads.
mod gemm {
    use super::*;
    use rayon::prelude::*;

    impl Geom {
        fn cg(&self) -> usize {
            self.c / self.groups
        }
        fn og(&self) -> usize {
            self.o / self.groups
        }
        pub(super) fn taps(&self) -> usize {
            self.cg() * self.kh * self.kw
        }
        pub(super) fn plane(&self) -> usize {
            self.oh * self.ow
        }
        /// The output columns `j` whose tap `kj` reads inside a row: `lo..hi`, and the
        /// image column of `j = 0` (which may be before the row).
        fn cols_inside(&self, kj: usize) -> (usize, usize, isize) {
            let x0 = (kj * self.dil[1]) as isize - self.pad[1] as isize;
            let s = self.stride[1] as isize;
            // x0 + j * s in 0..w
            let lo = if x0 >= 0 {
                0
            } else {
                ((-x0 + s - 1) / s) as usize
            };
            let hi = if x0 >= self.w as isize {
                0
            } else {
                (((self.w as isize - 1 - x0) / s) as usize + 1).min(self.ow)
            };
            (lo.min(hi), hi, x0)
        }
        /// The column matrix `(cg * kh * kw, oh * ow)` of image `b`, group `g`.
        pub(super) fn im2col<T: MatMul>(&self, img: &[T], b: usize, g: usize) -> Array2<T> {
            let mut cols = Array2::from_elem((self.taps(), self.plane()), T::ZERO);
            let hw = self.h * self.w;
            let out = cols.as_slice_mut().expect("a new standard-layout matrix");
            let plane = self.plane();
            for c in 0..self.cg() {
                let base = (b * self.c + g * self.cg() + c) * hw;
                for ki in 0..self.kh {
                    for kj in 0..self.kw {
                        let row = (c * self.kh + ki) * self.kw + kj;
                        let r = &mut out[row * plane..(row + 1) * plane];
                        let (lo, hi, x0) = self.cols_inside(kj);
                        for i in 0..self.oh {
                            let y = (i * self.stride[0] + ki * self.dil[0]) as isize
                                - self.pad[0] as isize;
                            if y < 0 || y >= self.h as isize {
                                continue;
                            }
                            let src = base + y as usize * self.w;
                            let dst = &mut r[i * self.ow..(i + 1) * self.ow];
                            for (j, d) in dst.iter_mut().enumerate().take(hi).skip(lo) {
                                *d = img[src + (x0 + (j * self.stride[1]) as isize) as usize];
                            }
                        }
                    }
                }
            }
            cols
        }
        /// Adds the columns back onto image `b`, group `g` (the adjoint of `im2col`).
        pub(super) fn col2im<T: MatMul>(
            &self,
            cols: &Array2<T>,
            img: &mut [T],
            b: usize,
            g: usize,
        ) {
            let hw = self.h * self.w;
            let plane = self.plane();
            let std = cols.as_standard_layout();
            let src_all = std.as_slice().expect("standard layout");
            for c in 0..self.cg() {
                let base = (b * self.c + g * self.cg() + c) * hw;
                for ki in 0..self.kh {
                    for kj in 0..self.kw {
                        let row = (c * self.kh + ki) * self.kw + kj;
                        let r = &src_all[row * plane..(row + 1) * plane];
                        let (lo, hi, x0) = self.cols_inside(kj);
                        for i in 0..self.oh {
                            let y = (i * self.stride[0] + ki * self.dil[0]) as isize
                                - self.pad[0] as isize;
                            if y < 0 || y >= self.h as isize {
                                continue;
                            }
                            let dst = base + y as usize * self.w;
                            let src = &r[i * self.ow..(i + 1) * self.ow];
                            for (j, &v) in src.iter().enumerate().take(hi).skip(lo) {
                                let at = dst + (x0 + (j * self.stride[1]) as isize) as usize;
                                img[at] = T::add(img[at], v);
                            }
                        }
                    }
                }
            }
        }
        /// The filters of group `g` as `(og, cg * kh * kw)`, flipped when convolving.
        pub(super) fn filters<T: MatMul>(&self, k: &[T], g: usize) -> Array2<T> {
            let taps = self.taps();
            let kk = self.kh * self.kw;
            Array2::from_shape_fn((self.og(), taps), |(o, t)| {
                let (c, ki, kj) = (t / kk, (t % kk) / self.kw, t % self.kw);
                let (ki, kj) = if self.flip {
                    (self.kh - 1 - ki, self.kw - 1 - kj)
                } else {
                    (ki, kj)
                };
                k[(((g * self.og() + o) * self.cg() + c) * self.kh + ki) * self.kw + kj]
            })
        }
        /// The gradient of the filters of group `g` from `(og, cg * kh * kw)` into `out`.
        pub(super) fn add_filters<T: MatMul>(&self, m: &Array2<T>, out: &mut [T], g: usize) {
            let kk = self.kh * self.kw;
            for ((o, t), &v) in m.indexed_iter() {
                let (c, ki, kj) = (t / kk, (t % kk) / self.kw, t % self.kw);
                let (ki, kj) = if self.flip {
                    (self.kh - 1 - ki, self.kw - 1 - kj)
                } else {
                    (ki, kj)
                };
                let at = (((g * self.og() + o) * self.cg() + c) * self.kh + ki) * self.kw + kj;
                out[at] = T::add(out[at], v);
            }
        }
        /// Rows `g * og .. (g + 1) * og` of output image `b`, as `(og, oh * ow)`.
        pub(super) fn out_block<'a, T: MatMul>(
            &self,
            top: &'a [T],
            b: usize,
            g: usize,
        ) -> ArrayView2<'a, T> {
            let plane = self.plane();
            let start = (b * self.o + g * self.og()) * plane;
            ArrayView2::from_shape((self.og(), plane), &top[start..start + self.og() * plane])
                .expect("the block's length")
        }
    }

    /// The images split into one contiguous range per worker thread (a fixed split, so
    /// sums over the images add in the same order on every run).
    fn ranges(n: usize) -> Vec<std::ops::Range<usize>> {
        let parts = rayon::current_num_threads().clamp(1, n.max(1));
        (0..parts)
            .map(|p| p * n / parts..(p + 1) * n / parts)
            .collect()
    }

    /// The op `kind` on its two tensor inputs.
    pub(super) fn run<T: MatMul + Send + Sync>(
        g: &Geom,
        kind: ConvKind,
        a: &[T],
        b: &[T],
    ) -> Vec<T> {
        match kind {
            ConvKind::Forward => forward(g, a, b),
            ConvKind::GradWeights => grad_weights(g, a, b),
            ConvKind::GradInputs => grad_inputs(g, a, b),
        }
    }

    fn forward<T: MatMul + Send + Sync>(g: &Geom, x: &[T], k: &[T]) -> Vec<T> {
        let plane = g.plane();
        let per = g.o * plane;
        let mut out = vec![T::ZERO; g.b * per];
        let ws: Vec<Array2<T>> = (0..g.groups).map(|gr| g.filters(k, gr)).collect();
        if per == 0 {
            return out;
        }
        out.par_chunks_mut(per)
            .enumerate()
            .for_each(|(b, img_out)| {
                for (gr, w) in ws.iter().enumerate() {
                    let y = T::matmul(w.view(), g.im2col(x, b, gr).view());
                    let start = gr * g.og() * plane;
                    for (o, v) in img_out[start..start + g.og() * plane]
                        .iter_mut()
                        .zip(y.iter())
                    {
                        *o = *v;
                    }
                }
            });
        out
    }

    fn grad_weights<T: MatMul + Send + Sync>(g: &Geom, x: &[T], top: &[T]) -> Vec<T> {
        let mut out = vec![T::ZERO; g.o * g.taps()];
        // per group, the sum over the images of `top (og, oh * ow) . cols^T`: a partial sum
        // per range of images, the partials added in order, scattered once
        let zero = || -> Vec<Array2<T>> {
            (0..g.groups)
                .map(|_| Array2::from_elem((g.og(), g.taps()), T::ZERO))
                .collect()
        };
        let partials: Vec<Vec<Array2<T>>> = ranges(g.b)
            .into_par_iter()
            .map(|r| {
                let mut acc = zero();
                for b in r {
                    for (gr, a) in acc.iter_mut().enumerate() {
                        let cols = g.im2col(x, b, gr);
                        let m = T::matmul(g.out_block(top, b, gr), cols.t());
                        ndarray::Zip::from(a)
                            .and(&m)
                            .for_each(|a, &v| *a = T::add(*a, v));
                    }
                }
                acc
            })
            .collect();
        let mut acc = zero();
        for p in &partials {
            for (a, m) in acc.iter_mut().zip(p) {
                ndarray::Zip::from(a)
                    .and(m)
                    .for_each(|a, &v| *a = T::add(*a, v));
            }
        }
        for (gr, a) in acc.iter().enumerate() {
            g.add_filters(a, &mut out, gr);
        }
        out
    }

    fn grad_inputs<T: MatMul + Send + Sync>(g: &Geom, k: &[T], top: &[T]) -> Vec<T> {
        let per = g.c * g.h * g.w;
        let mut out = vec![T::ZERO; g.b * per];
        let ws: Vec<Array2<T>> = (0..g.groups).map(|gr| g.filters(k, gr)).collect();
        if per == 0 {
            return out;
        }
        out.par_chunks_mut(per).enumerate().for_each(|(b, img)| {
            for (gr, w) in ws.iter().enumerate() {
                let cols = T::matmul(w.t(), g.out_block(top, b, gr));
                g.col2im(&cols, img, 0, gr);
            }
        });
        out
    }
}

/// Two operands of one float dtype, their elements in row-major order.
enum Floats {
    F32(Vec<f32>, Vec<f32>),
    F64(Vec<f64>, Vec<f64>),
}

/// The most memory the matrix products' column matrices (one per thread) may take.
const COLUMNS_BYTES: usize = 1 << 30;

/// The two operands as floats for the matrix products, or `None` (the direct sums) for
/// other dtypes, or when the column matrices would take more than [`COLUMNS_BYTES`] (the
/// direct sums need no memory beyond the output).
fn float_pair(g: &Geom, a: &Tensor, b: &Tensor) -> Option<Floats> {
    let bytes = [
        g.taps(),
        g.plane(),
        rayon::current_num_threads(),
        a.dtype().itemsize(),
    ]
    .iter()
    .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if bytes.is_none_or(|b| b > COLUMNS_BYTES) {
        return None;
    }
    match (a.dtype(), b.dtype()) {
        (DType::Float32, DType::Float32) => Some(Floats::F32(floats(a), floats(b))),
        (DType::Float64, DType::Float64) => Some(Floats::F64(floats(a), floats(b))),
        _ => None,
    }
}

fn shaped<T: theano_tensor::Element>(shape: [usize; 4], v: Vec<T>) -> R<Tensor> {
    Tensor::from_shape_vec(&shape, v).map_err(|e| PerformError::value(e.to_string()))
}

/// A float tensor's elements in row-major order, in its own dtype (a copy of its buffer when
/// it is in standard layout).
fn floats<T: theano_tensor::Element>(t: &Tensor) -> Vec<T> {
    let c = t.to_contiguous();
    theano_tensor::with_array!(&c, a => match a.as_slice() {
        Some(s) => s.iter().map(|&v| T::from_f64(theano_tensor::Element::to_f64(v))).collect(),
        None => a.iter().map(|&v| T::from_f64(theano_tensor::Element::to_f64(v))).collect(),
    })
}

fn dims4(t: &Tensor, what: &str) -> R<[usize; 4]> {
    <[usize; 4]>::try_from(t.shape()).map_err(|_| {
        PerformError::input(format!(
            "{what} must be 4-d, got shape {}",
            py_shape(t.shape())
        ))
    })
}

/// The two lengths a gradient op is given (the filters' or the images' rows and columns).
fn lengths(t: &Tensor, what: &str) -> R<[usize; 2]> {
    let v = t.to_i64_vec();
    if t.ndim() != 1 || v.len() != 2 || v.iter().any(|&d| d < 0 || d > i32::MAX as i64) {
        return Err(PerformError::input(format!(
            "the {what} must be two lengths in 0..2**31, got {v:?}"
        )));
    }
    Ok([v[0] as usize, v[1] as usize])
}

/// Each known length of a hint must be the value's.
fn check_hint(hint: &[Option<usize>; 4], got: [usize; 4], what: &str, given: &str) -> R<()> {
    if hint.iter().zip(got).any(|(h, g)| h.is_some_and(|h| h != g)) {
        return Err(PerformError::shape(format!(
            "AbstractConv shape mismatch: shape of {what} {} does not match given {given} {:?}",
            py_shape(&got),
            hint
        )));
    }
    Ok(())
}

fn finish(shape: [usize; 4], data: Vec<f64>, dtype: DType) -> R<Tensor> {
    Tensor::from_f64_vec(dtype, &shape, data).map_err(|e| PerformError::value(e.to_string()))
}

/// A gradient op's output gradient must have the shape of the forward output its lengths
/// give: `what` says whose lengths.
fn check_top(g: &Geom, top: [usize; 4], what: &str) -> R<()> {
    if g.out_shape() != top {
        return Err(PerformError::shape(format!(
            "{what} an output of shape {}, but the given topgrad has shape {}",
            py_shape(&g.out_shape()),
            py_shape(&top)
        )));
    }
    Ok(())
}

/// One op's output of `shape` from its two tensor inputs (images and filters, images and
/// output gradient, or filters and output gradient): matrix products for float32/float64,
/// else the direct sums over every tap, in float64.
fn compute(g: &Geom, kind: ConvKind, a: &Tensor, b: &Tensor, shape: [usize; 4]) -> R<Tensor> {
    let dtype = a.dtype();
    let n = check_size(&shape, dtype)?;
    match float_pair(g, a, b) {
        Some(Floats::F32(a, b)) => return shaped(shape, gemm::run(g, kind, &a, &b)),
        Some(Floats::F64(a, b)) => return shaped(shape, gemm::run(g, kind, &a, &b)),
        None => {}
    }
    let (a, b) = (a.to_f64_vec(), b.to_f64_vec());
    let mut out = vec![0.0; n];
    match kind {
        ConvKind::Forward => g.each_tap(|im, kn, o| out[o] += a[im] * b[kn]),
        ConvKind::GradWeights => g.each_tap(|im, kn, o| out[kn] += b[o] * a[im]),
        ConvKind::GradInputs => g.each_tap(|im, kn, o| out[im] += b[o] * a[kn]),
    }
    finish(shape, out, dtype)
}

/// The output of one of the three ops.
pub fn perform(kind: ConvKind, p: &ConvParams, ins: &[&Tensor]) -> R<Tensor> {
    let want = if kind == ConvKind::Forward { 2 } else { 3 };
    crate::util::n_inputs(ins, want)?;
    match kind {
        ConvKind::Forward => {
            let (img, kern) = (dims4(ins[0], "img")?, dims4(ins[1], "kern")?);
            check_hint(&p.imshp, img, "image", "imshp")?;
            check_hint(&p.kshp, kern, "filters", "kshp")?;
            let g = Geom::new(p, img, kern)?;
            compute(&g, kind, ins[0], ins[1], g.out_shape())
        }
        ConvKind::GradWeights => {
            let (img, top) = (dims4(ins[0], "img")?, dims4(ins[1], "topgrad")?);
            let [kh, kw] = lengths(ins[2], "filters' rows and columns")?;
            check_hint(&p.imshp, img, "image", "imshp")?;
            if p.num_groups == 0 || !img[1].is_multiple_of(p.num_groups) {
                return Err(PerformError::value(
                    "number of input channels must be divible by num_groups",
                ));
            }
            let kern = [top[1], img[1] / p.num_groups, kh, kw];
            check_hint(&p.kshp, kern, "filters", "kshp")?;
            let g = Geom::new(p, img, kern)?;
            check_top(
                &g,
                top,
                &format!(
                    "invalid filter shape for gradWeights: images {} and filters {} give",
                    py_shape(&img),
                    py_shape(&kern)
                ),
            )?;
            compute(&g, kind, ins[0], ins[1], kern)
        }
        ConvKind::GradInputs => {
            let (kern, top) = (dims4(ins[0], "kern")?, dims4(ins[1], "topgrad")?);
            let [h, w] = lengths(ins[2], "images' rows and columns")?;
            check_hint(&p.kshp, kern, "filters", "kshp")?;
            let channels = kern[1].checked_mul(p.num_groups).ok_or_else(|| {
                PerformError::value(format!(
                    "{} channels per group times num_groups={} overflows",
                    kern[1], p.num_groups
                ))
            })?;
            let img = [top[0], channels, h, w];
            check_hint(&p.imshp, img, "image", "imshp")?;
            let g = Geom::new(p, img, kern)?;
            check_top(
                &g,
                top,
                "invalid input_shape for gradInputs: the given input_shape would produce",
            )?;
            compute(&g, kind, ins[0], ins[1], img)
        }
    }
}
