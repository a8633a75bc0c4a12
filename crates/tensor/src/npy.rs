//! numpy's `.npy` file format.
//!
//! Reading accepts format versions 1.0, 2.0 and 3.0, C or Fortran order, and the dtypes
//! `f8 f4 i8 i4 i2 i1 u1 b1` in little-endian (`<`), big-endian (`>`, byte-swapped on read),
//! native (`=`) or not-applicable (`|`) byte order. Anything else (complex, unicode, object,
//! structured dtypes, a bad magic string, a malformed header or truncated data) is a
//! [`TensorError::Npy`]. Writing produces what `numpy.save` writes: format 1.0 (2.0 when the
//! header does not fit), C order, little-endian, header padded to a multiple of 64 bytes.

use crate::{DType, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
const ALIGN: usize = 64;
/// The deepest nesting of tuples, lists and dicts a header may have (numpy writes 2: the
/// dict and the shape tuple). The header parser recurses once per level, so deeper text is
/// an error naming this limit rather than a stack overflow.
pub const MAX_HEADER_DEPTH: usize = 32;
/// The most dimensions a shape may have (numpy 2's `NPY_MAXDIMS`).
pub const MAX_NPY_NDIM: usize = 64;

fn npy_err(msg: impl Into<String>) -> TensorError {
    TensorError::Npy(msg.into())
}

fn io_err(context: &str, e: std::io::Error) -> TensorError {
    TensorError::Io(format!("{context}: {e}"))
}

/// numpy's `descr` for a dtype as written (little-endian).
fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::Float64 => "<f8",
        DType::Float32 => "<f4",
        DType::Int64 => "<i8",
        DType::Int32 => "<i4",
        DType::Int16 => "<i2",
        DType::Int8 => "|i1",
        DType::UInt8 => "|u1",
        DType::UInt16 => "<u2",
        DType::UInt32 => "<u4",
        DType::UInt64 => "<u8",
        DType::Bool => "|b1",
    }
}

/// Parse a `descr` string into a dtype and whether its data is big-endian.
fn parse_descr(s: &str) -> Result<(DType, bool), TensorError> {
    let (order, code) = match s.chars().next() {
        Some(c @ ('<' | '>' | '=' | '|')) => (c, &s[1..]),
        _ => ('=', s),
    };
    let dtype = match code {
        "f8" => DType::Float64,
        "f4" => DType::Float32,
        "i8" => DType::Int64,
        "i4" => DType::Int32,
        "i2" => DType::Int16,
        "i1" => DType::Int8,
        "u1" => DType::UInt8,
        "u2" => DType::UInt16,
        "u4" => DType::UInt32,
        "u8" => DType::UInt64,
        "b1" | "?" => DType::Bool,
        _ => {
            let what = match code.chars().next() {
                Some('O') => "object arrays are not supported",
                Some('c') => "complex dtypes are not supported",
                Some('U' | 'S' | 'a') => "string dtypes are not supported",
                Some('V') => "void/structured dtypes are not supported",
                _ => "unsupported dtype",
            };
            return Err(npy_err(format!(
                "{what}: descr {s:?} (supported: <f8 <f4 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1, any byte order)"
            )));
        }
    };
    let big = order == '>' || (order == '=' && cfg!(target_endian = "big"));
    Ok((dtype, big && dtype.itemsize() > 1))
}

/// A value of the Python literal subset used in `.npy` headers.
#[derive(Debug, Clone, PartialEq)]
enum PyValue {
    Str(String),
    Bool(bool),
    Int(i128),
    None,
    Tuple(Vec<PyValue>),
    List(Vec<PyValue>),
    Dict(Vec<(PyValue, PyValue)>),
}

struct HeaderParser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl HeaderParser<'_> {
    fn err(&self, what: &str) -> TensorError {
        // at most 200 bytes of the header: a header may be up to 4 GiB
        let shown = &self.s[..self.s.len().min(200)];
        let more = if self.s.len() > shown.len() {
            "..."
        } else {
            ""
        };
        npy_err(format!(
            "malformed header at byte {}: {what}: {:?}{more}",
            self.pos,
            String::from_utf8_lossy(shown)
        ))
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Comma-separated values up to `close`; returns the values and whether any comma was seen.
    fn seq(&mut self, close: u8) -> Result<(Vec<PyValue>, bool), TensorError> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            if self.eat(close) {
                return Ok((items, comma));
            }
            items.push(self.value()?);
            if self.eat(b',') {
                comma = true;
            } else if self.eat(close) {
                return Ok((items, comma));
            } else {
                return Err(self.err("expected ',' or closing bracket"));
            }
        }
    }

    /// One value; nested at most [`MAX_HEADER_DEPTH`] deep.
    fn value(&mut self) -> Result<PyValue, TensorError> {
        if matches!(self.peek(), Some(b'(' | b'[' | b'{')) {
            if self.depth >= MAX_HEADER_DEPTH {
                return Err(self.err(&format!(
                    "nested deeper than {MAX_HEADER_DEPTH} levels (the limit)"
                )));
            }
            self.depth += 1;
            let v = self.value_inner();
            self.depth -= 1;
            return v;
        }
        self.value_inner()
    }

    fn value_inner(&mut self) -> Result<PyValue, TensorError> {
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != q {
                    if self.s[self.pos] == b'\\' {
                        return Err(self.err("escapes in strings are not supported"));
                    }
                    self.pos += 1;
                }
                if self.pos >= self.s.len() {
                    return Err(self.err("unterminated string"));
                }
                let v = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                self.pos += 1;
                Ok(PyValue::Str(v))
            }
            Some(b'(') => {
                self.pos += 1;
                let (items, comma) = self.seq(b')')?;
                if items.len() == 1 && !comma {
                    // parenthesised expression, not a tuple
                    Ok(items.into_iter().next().expect("one item"))
                } else {
                    Ok(PyValue::Tuple(items))
                }
            }
            Some(b'[') => {
                self.pos += 1;
                Ok(PyValue::List(self.seq(b']')?.0))
            }
            Some(b'{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(b'}') {
                        return Ok(PyValue::Dict(items));
                    }
                    let k = self.value()?;
                    if !self.eat(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    let v = self.value()?;
                    items.push((k, v));
                    if !self.eat(b',') && self.peek() != Some(b'}') {
                        return Err(self.err("expected ',' or '}'"));
                    }
                }
            }
            Some(c) if c.is_ascii_digit() || c == b'-' || c == b'+' => {
                let start = self.pos;
                self.pos += 1;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.pos]).expect("ascii");
                let v = text.parse::<i128>().map_err(|_| self.err("bad integer"))?;
                // Python 2 long suffix, seen in old files
                if matches!(self.s.get(self.pos), Some(b'L' | b'l')) {
                    self.pos += 1;
                }
                Ok(PyValue::Int(v))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                match &self.s[start..self.pos] {
                    b"True" => Ok(PyValue::Bool(true)),
                    b"False" => Ok(PyValue::Bool(false)),
                    b"None" => Ok(PyValue::None),
                    _ => {
                        self.pos = start;
                        Err(self.err("unexpected identifier"))
                    }
                }
            }
            _ => Err(self.err("expected a value")),
        }
    }
}

/// The parsed contents of an `.npy` header.
struct Header {
    dtype: DType,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
}

fn parse_header(text: &[u8]) -> Result<Header, TensorError> {
    let mut p = HeaderParser {
        s: text,
        pos: 0,
        depth: 0,
    };
    let v = p.value()?;
    if p.peek().is_some() {
        return Err(p.err("trailing characters after the header dict"));
    }
    let PyValue::Dict(items) = v else {
        return Err(npy_err("header is not a dict"));
    };
    let get = |key: &str| {
        items
            .iter()
            .find(|(k, _)| *k == PyValue::Str(key.into()))
            .map(|(_, v)| v)
            .ok_or_else(|| npy_err(format!("header has no {key:?} key")))
    };
    let (dtype, big_endian) = match get("descr")? {
        PyValue::Str(s) => parse_descr(s)?,
        other => {
            return Err(npy_err(format!(
                "structured dtypes are not supported: descr {other:?}"
            )))
        }
    };
    let fortran_order = match get("fortran_order")? {
        PyValue::Bool(b) => *b,
        other => return Err(npy_err(format!("fortran_order is not a bool: {other:?}"))),
    };
    let shape = match get("shape")? {
        PyValue::Tuple(dims) | PyValue::List(dims) => dims
            .iter()
            .map(|d| match d {
                PyValue::Int(n) => {
                    usize::try_from(*n).map_err(|_| npy_err(format!("bad dimension {n}")))
                }
                other => Err(npy_err(format!("bad dimension {other:?}"))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        other => return Err(npy_err(format!("shape is not a tuple: {other:?}"))),
    };
    if shape.len() > MAX_NPY_NDIM {
        return Err(npy_err(format!(
            "shape has {} dimensions, at most {MAX_NPY_NDIM} are supported",
            shape.len()
        )));
    }
    Ok(Header {
        dtype,
        big_endian,
        fortran_order,
        shape,
    })
}

fn read_exact_or(r: &mut impl Read, buf: &mut [u8], what: &str) -> Result<(), TensorError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            npy_err(format!("truncated file: {what}"))
        } else {
            io_err("reading .npy", e)
        }
    })
}

macro_rules! decode {
    ($bytes:expr, $t:ty, $big:expr) => {{
        const N: usize = std::mem::size_of::<$t>();
        $bytes
            .chunks_exact(N)
            .map(|c| {
                let b: [u8; N] = c.try_into().expect("chunk size");
                if $big {
                    <$t>::from_be_bytes(b)
                } else {
                    <$t>::from_le_bytes(b)
                }
            })
            .collect::<Vec<$t>>()
    }};
}

fn build<T: crate::Element>(
    shape: &[usize],
    fortran: bool,
    data: Vec<T>,
) -> Result<Tensor, TensorError> {
    // The length was checked; ndarray still refuses a shape whose non-zero dimensions
    // multiply past isize::MAX (`(0, 2**62, 2**62)` has no elements).
    let bad = |e: ndarray::ShapeError| npy_err(format!("shape {shape:?}: {e}"));
    let a = if fortran {
        let f = ArrayD::from_shape_vec(IxDyn(shape).f(), data).map_err(bad)?;
        f.as_standard_layout().into_owned()
    } else {
        ArrayD::from_shape_vec(IxDyn(shape), data).map_err(bad)?
    };
    Ok(Tensor::from_array(a))
}

impl Tensor {
    /// Read one array in `.npy` format (versions 1.0-3.0, C or Fortran order; the result is
    /// always C-contiguous).
    pub fn read_npy<R: Read>(mut r: R) -> Result<Tensor, TensorError> {
        let mut pre = [0u8; 8];
        read_exact_or(&mut r, &mut pre, "no .npy preamble")?;
        if &pre[..6] != MAGIC {
            return Err(npy_err(format!(
                "bad magic string {:?} (not an .npy file)",
                String::from_utf8_lossy(&pre[..6])
            )));
        }
        let (major, minor) = (pre[6], pre[7]);
        let header_len = match major {
            1 => {
                let mut b = [0u8; 2];
                read_exact_or(&mut r, &mut b, "header length")?;
                u16::from_le_bytes(b) as usize
            }
            2 | 3 => {
                let mut b = [0u8; 4];
                read_exact_or(&mut r, &mut b, "header length")?;
                u32::from_le_bytes(b) as usize
            }
            _ => {
                return Err(npy_err(format!(
                    "unsupported format version {major}.{minor}"
                )))
            }
        };
        // Read what is there rather than allocate the declared length up front: a truncated
        // file may declare a 4 GiB header.
        let mut header = Vec::new();
        (&mut r)
            .take(header_len as u64)
            .read_to_end(&mut header)
            .map_err(|e| io_err("reading the .npy header", e))?;
        if header.len() != header_len {
            return Err(npy_err(format!(
                "truncated file: header of {header_len} bytes, file has {}",
                header.len()
            )));
        }
        let h = parse_header(&header)?;
        let count = h
            .shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| npy_err(format!("shape {:?} is too large", h.shape)))?;
        let nbytes = count
            .checked_mul(h.dtype.itemsize())
            .ok_or_else(|| npy_err(format!("shape {:?} is too large", h.shape)))?;
        let mut bytes = Vec::new();
        r.take(nbytes as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| io_err("reading .npy data", e))?;
        if bytes.len() != nbytes {
            return Err(npy_err(format!(
                "truncated data: shape {:?} of {} needs {nbytes} bytes, file has {}",
                h.shape,
                h.dtype,
                bytes.len()
            )));
        }
        let (s, f, big) = (&h.shape[..], h.fortran_order, h.big_endian);
        match h.dtype {
            DType::Float64 => build(s, f, decode!(bytes, f64, big)),
            DType::Float32 => build(s, f, decode!(bytes, f32, big)),
            DType::Int64 => build(s, f, decode!(bytes, i64, big)),
            DType::Int32 => build(s, f, decode!(bytes, i32, big)),
            DType::Int16 => build(s, f, decode!(bytes, i16, big)),
            DType::Int8 => build(s, f, decode!(bytes, i8, big)),
            DType::UInt8 => build(s, f, bytes),
            DType::UInt16 => build(s, f, decode!(bytes, u16, big)),
            DType::UInt32 => build(s, f, decode!(bytes, u32, big)),
            DType::UInt64 => build(s, f, decode!(bytes, u64, big)),
            DType::Bool => build(s, f, bytes.into_iter().map(|b| b != 0).collect()),
        }
    }

    /// Write this tensor in `.npy` format, byte-for-byte as `numpy.save` does: version 1.0
    /// (2.0 only if the header exceeds 65535 bytes), C order, little-endian.
    pub fn write_npy<W: Write>(&self, mut w: W) -> Result<(), TensorError> {
        let dict = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
            descr(self.dtype()),
            crate::py_tuple(self.shape())
        );
        // magic + version + length field + dict + padding + '\n' is a multiple of ALIGN
        let (version, len_field) = if 10 + dict.len() < u16::MAX as usize {
            (1u8, 2usize)
        } else {
            (2, 4)
        };
        let unpadded = 8 + len_field + dict.len() + 1;
        let total = unpadded.div_ceil(ALIGN) * ALIGN;
        let header_len = total - 8 - len_field;
        let mut out = Vec::with_capacity(total + self.len() * self.dtype().itemsize());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(header_len as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header_len as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        match self {
            Tensor::F64(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::F32(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::I64(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::I32(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::I16(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::I8(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::U8(a) => out.extend(a.iter()),
            Tensor::U16(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::U32(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::U64(a) => a.iter().for_each(|v| out.extend(v.to_le_bytes())),
            Tensor::Bool(a) => out.extend(a.iter().map(|&b| b as u8)),
        }
        w.write_all(&out).map_err(|e| io_err("writing .npy", e))
    }

    /// The `.npy` encoding of this tensor (see [`Tensor::write_npy`]).
    pub fn to_npy_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_npy(&mut v)
            .expect("writing to a Vec cannot fail");
        v
    }

    /// Decode an in-memory `.npy` file (see [`Tensor::read_npy`]).
    pub fn from_npy_bytes(bytes: &[u8]) -> Result<Tensor, TensorError> {
        Tensor::read_npy(bytes)
    }

    /// `numpy.save(path, a)`: write the tensor to a `.npy` file.
    pub fn save_npy<P: AsRef<Path>>(&self, path: P) -> Result<(), TensorError> {
        let path = path.as_ref();
        let f = std::fs::File::create(path).map_err(|e| io_err(&path.display().to_string(), e))?;
        let mut w = BufWriter::new(f);
        self.write_npy(&mut w)?;
        w.flush()
            .map_err(|e| io_err(&path.display().to_string(), e))
    }

    /// `numpy.load(path)` for a `.npy` file.
    pub fn load_npy<P: AsRef<Path>>(path: P) -> Result<Tensor, TensorError> {
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|e| io_err(&path.display().to_string(), e))?;
        Tensor::read_npy(BufReader::new(f)).map_err(|e| match e {
            TensorError::Npy(m) => TensorError::Npy(format!("{}: {m}", path.display())),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dtype: DType, shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_f64_vec(dtype, shape, (0..n).map(|i| i as f64 * 1.5 - 4.0).collect()).unwrap()
    }

    #[test]
    fn round_trip_every_dtype_and_rank() {
        for dt in DType::ALL {
            for shape in [
                &[][..],
                &[0],
                &[5],
                &[2, 3],
                &[2, 0, 3],
                &[2, 3, 4],
                &[1, 2, 1, 2],
            ] {
                let t = sample(dt, shape);
                let bytes = t.to_npy_bytes();
                assert_eq!(bytes.len() % ALIGN, (t.len() * dt.itemsize()) % ALIGN);
                let back = Tensor::from_npy_bytes(&bytes).unwrap();
                assert_eq!(back, t, "{dt} {shape:?}");
            }
        }
    }

    #[test]
    fn writes_non_contiguous_in_logical_order() {
        let t = sample(DType::Int32, &[2, 3]);
        let tt = Tensor::from(t.as_array::<i32>().unwrap().t().to_owned());
        let back = Tensor::from_npy_bytes(&tt.to_npy_bytes()).unwrap();
        assert_eq!(back.shape(), &[3, 2]);
        assert_eq!(back.to_vec::<i32>(), tt.to_vec::<i32>());
    }

    #[test]
    fn nan_and_special_floats_survive() {
        let t = Tensor::from(vec![f64::NAN, -0.0, f64::INFINITY, f64::MIN_POSITIVE]);
        let back = Tensor::from_npy_bytes(&t.to_npy_bytes()).unwrap();
        let (a, b) = (t.to_vec::<f64>(), back.to_vec::<f64>());
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn header_parser() {
        let h = parse_header(b"{'descr': '>i2', 'fortran_order': True, 'shape': (3L, 4), }  \n")
            .unwrap();
        assert_eq!(
            (h.dtype, h.big_endian, h.fortran_order, h.shape),
            (DType::Int16, true, true, vec![3, 4])
        );
        let h =
            parse_header(b"{\"shape\": (), \"fortran_order\": False, \"descr\": \"|b1\"}").unwrap();
        assert_eq!((h.dtype, h.shape), (DType::Bool, vec![]));
        let h = parse_header(b"{'descr': '<f4', 'fortran_order': False, 'shape': (7,)}").unwrap();
        assert_eq!(h.shape, vec![7]);
        for bad in [
            &b"{'descr': '<f4', 'fortran_order': False}"[..],
            b"{'descr': '<f4', 'fortran_order': 0, 'shape': ()}",
            b"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            b"{'descr': '<f4' 'fortran_order': False, 'shape': ()}",
            b"['descr']",
            b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x",
        ] {
            let e = parse_header(bad)
                .err()
                .unwrap_or_else(|| panic!("accepted {:?}", String::from_utf8_lossy(bad)));
            assert!(matches!(e, TensorError::Npy(_)), "{e}");
        }
    }

    #[test]
    fn errors() {
        let e = Tensor::from_npy_bytes(b"PK\x03\x04zipfile").unwrap_err();
        assert!(e.to_string().contains("bad magic"), "{e}");
        let e = Tensor::from_npy_bytes(b"\x93NUM").unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = Tensor::from_npy_bytes(b"\x93NUMPY\x09\x00").unwrap_err();
        assert!(e.to_string().contains("version 9.0"), "{e}");
        let mut b = sample(DType::Float64, &[4]).to_npy_bytes();
        b.truncate(b.len() - 3);
        let e = Tensor::from_npy_bytes(&b).unwrap_err();
        assert_eq!(
            e,
            TensorError::Npy(
                "truncated data: shape [4] of float64 needs 32 bytes, file has 29".into()
            )
        );
        let mut b = sample(DType::Float64, &[4]).to_npy_bytes();
        b.truncate(20);
        let e = Tensor::from_npy_bytes(&b).unwrap_err();
        assert!(e.to_string().contains("truncated file: header"), "{e}");
        for d in ["<c16", "<f2", "|O", "<U3", "<c8", "|V8", "<M8[s]"] {
            let e = parse_descr(d).unwrap_err();
            assert!(e.to_string().contains(d), "{e}");
        }
    }

    fn with_header(major: u8, header: &str, data: &[u8]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend([major, 0]);
        if major == 1 {
            b.extend((header.len() as u16).to_le_bytes());
        } else {
            b.extend((header.len() as u32).to_le_bytes());
        }
        b.extend(header.as_bytes());
        b.extend(data);
        b
    }

    #[test]
    fn deep_headers_are_an_error_naming_the_limit() {
        // a shape nested 20,000 deep overflowed the recursive header parser's stack
        let n = 20_000;
        let h = format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': {}1,{}, }}",
            "(".repeat(n),
            ")".repeat(n)
        );
        let e = Tensor::from_npy_bytes(&with_header(2, &h, &[])).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("nested deeper than 32 levels (the limit)"),
            "{m}"
        );
        assert!(m.len() < 400, "the message quotes at most 200 bytes: {m}");
        // nesting within the limit parses: `((...(1,)...))` is the tuple `(1,)`
        let h = format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': {}1,{}, }}",
            "(".repeat(30),
            ")".repeat(30)
        );
        let t = Tensor::from_npy_bytes(&with_header(1, &h, &[0; 8])).unwrap();
        assert_eq!(t.shape(), &[1]);
    }

    #[test]
    fn shapes_beyond_the_address_space_are_errors() {
        // no elements, but ndarray refuses the non-zero dimensions' product (it was expect()ed)
        for (order, shape) in [
            ("False", "(0, 4611686018427387904, 4611686018427387904)"),
            ("True", "(4611686018427387904, 4611686018427387904, 0)"),
        ] {
            let h = format!("{{'descr': '<f8', 'fortran_order': {order}, 'shape': {shape}, }}");
            let e = Tensor::from_npy_bytes(&with_header(1, &h, &[])).unwrap_err();
            assert!(e.to_string().contains("shape ["), "{e}");
        }
        // more dimensions than numpy allows
        let h = format!(
            "{{'descr': '|u1', 'fortran_order': False, 'shape': ({}), }}",
            "1, ".repeat(65)
        );
        let e = Tensor::from_npy_bytes(&with_header(1, &h, &[7])).unwrap_err();
        assert!(e.to_string().contains("65 dimensions, at most 64"), "{e}");
        // a 4 GiB header length in a 13-byte file: an error, not a 4 GiB allocation
        let e = Tensor::from_npy_bytes(b"\x93NUMPY\x02\x00\xff\xff\xff\xff{").unwrap_err();
        assert!(
            e.to_string()
                .contains("truncated file: header of 4294967295 bytes, file has 1"),
            "{e}"
        );
    }
}
