//! `AbstractConv2d` and its two gradient ops (Theano 1.0's values, computed directly: each
//! output element a sum over the filter window of the zero-padded, dilated, strided image;
//! the gradient ops are the exact adjoints of that sum, accumulated in float64 and stored
//! in the output's dtype).

use crate::error::{PerformError, R};
use crate::util::{check_size, py_shape};
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
    if t.ndim() != 1 || v.len() != 2 || v.iter().any(|&d| d < 0) {
        return Err(PerformError::input(format!(
            "the {what} must be two non-negative lengths, got {v:?}"
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
            let n = check_size(&g.out_shape(), ins[0].dtype())?;
            let (x, k) = (ins[0].to_f64_vec(), ins[1].to_f64_vec());
            let mut out = vec![0.0; n];
            g.each_tap(|im, kn, o| out[o] += x[im] * k[kn]);
            finish(g.out_shape(), out, ins[0].dtype())
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
            if g.out_shape() != top {
                return Err(PerformError::shape(format!(
                    "invalid filter shape for gradWeights: images {} and filters {} give an \
                     output of shape {}, but the given topgrad has shape {}",
                    py_shape(&img),
                    py_shape(&kern),
                    py_shape(&g.out_shape()),
                    py_shape(&top)
                )));
            }
            let n = check_size(&kern, ins[0].dtype())?;
            let (x, t) = (ins[0].to_f64_vec(), ins[1].to_f64_vec());
            let mut out = vec![0.0; n];
            g.each_tap(|im, kn, o| out[kn] += t[o] * x[im]);
            finish(kern, out, ins[0].dtype())
        }
        ConvKind::GradInputs => {
            let (kern, top) = (dims4(ins[0], "kern")?, dims4(ins[1], "topgrad")?);
            let [h, w] = lengths(ins[2], "images' rows and columns")?;
            check_hint(&p.kshp, kern, "filters", "kshp")?;
            let img = [top[0], kern[1] * p.num_groups, h, w];
            check_hint(&p.imshp, img, "image", "imshp")?;
            let g = Geom::new(p, img, kern)?;
            if g.out_shape() != top {
                return Err(PerformError::shape(format!(
                    "invalid input_shape for gradInputs: the given input_shape would produce \
                     an output of shape {}, but the given topgrad has shape {}",
                    py_shape(&g.out_shape()),
                    py_shape(&top)
                )));
            }
            let n = check_size(&img, ins[0].dtype())?;
            let (k, t) = (ins[0].to_f64_vec(), ins[1].to_f64_vec());
            let mut out = vec![0.0; n];
            g.each_tap(|im, kn, o| out[im] += t[o] * k[kn]);
            finish(img, out, ins[0].dtype())
        }
    }
}
