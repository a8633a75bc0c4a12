//! MNIST-format data (the four IDX `.gz` files): Fashion-MNIST from Debian's
//! `dataset-fashion-mnist` package in /usr/share/datasets/fashion-mnist, or the directory named
//! by `MNIST_DIR`. Nothing is ever downloaded.

use crate::Tensor;
use std::io::Read;
use std::path::{Path, PathBuf};
use theano_ir::DType;

/// Why the data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    #[error(
        "no MNIST-format data in {0}: install it with `apt-get install dataset-fashion-mnist` \
         (or `bash scripts/setup.sh`), or point MNIST_DIR at a directory holding \
         train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and \
         t10k-labels-idx1-ubyte.gz"
    )]
    Missing(PathBuf),
    #[error("{path}: {msg}")]
    Format { path: PathBuf, msg: String },
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
}

/// The data directory: `MNIST_DIR`, else /usr/share/datasets/fashion-mnist; an error saying how
/// to get the data when the files are absent.
pub fn data_dir() -> Result<PathBuf, MnistError> {
    let dir = std::env::var_os("MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    if dir.join("train-images-idx3-ubyte.gz").exists() {
        Ok(dir)
    } else {
        Err(MnistError::Missing(dir))
    }
}

/// Read a gzip-compressed unsigned-byte IDX file: its dimensions and bytes.
pub fn read_idx(path: &Path) -> Result<(Vec<usize>, Vec<u8>), MnistError> {
    let io = |err| MnistError::Io {
        path: path.to_path_buf(),
        err,
    };
    let bad = |msg: String| MnistError::Format {
        path: path.to_path_buf(),
        msg,
    };
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).map_err(io)?)
        .read_to_end(&mut raw)
        .map_err(|e| MnistError::Io {
            path: path.to_path_buf(),
            err: e,
        })?;
    if raw.len() < 4 || raw[0] != 0 || raw[1] != 0 || raw[2] != 0x08 {
        return Err(bad("not an unsigned-byte IDX file".into()));
    }
    let nd = raw[3] as usize;
    let mut dims = Vec::with_capacity(nd);
    for i in 0..nd {
        let b = raw
            .get(4 + 4 * i..8 + 4 * i)
            .ok_or_else(|| bad("truncated header".into()))?;
        dims.push(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    }
    let data = raw.split_off(4 + 4 * nd);
    if data.len() != dims.iter().product::<usize>() {
        return Err(bad(format!("{} bytes for dimensions {dims:?}", data.len())));
    }
    Ok((dims, data))
}

/// The first `limit` (0 = all) images of `split` ("train" or "t10k") scaled to [0, 1] as an
/// (n, rows*cols) matrix of `dtype`, and their labels as an int32 vector.
pub fn load(
    dir: &Path,
    split: &str,
    limit: usize,
    dtype: DType,
) -> Result<(Tensor, Tensor), MnistError> {
    let ipath = dir.join(format!("{split}-images-idx3-ubyte.gz"));
    let (dims, px) = read_idx(&ipath)?;
    let (_, lab) = read_idx(&dir.join(format!("{split}-labels-idx1-ubyte.gz")))?;
    if dims.len() != 3 || lab.len() != dims[0] {
        return Err(MnistError::Format {
            path: ipath,
            msg: format!("image dims {dims:?}, {} labels", lab.len()),
        });
    }
    let n = if limit > 0 {
        limit.min(dims[0])
    } else {
        dims[0]
    };
    let feats = dims[1] * dims[2];
    let x: Vec<f64> = px[..n * feats].iter().map(|&p| p as f64 / 255.0).collect();
    let y: Vec<f64> = lab[..n].iter().map(|&l| l as f64).collect();
    let x = Tensor::from_f64_vec(dtype, &[n, feats], x).expect("length matches");
    let y = Tensor::from_f64_vec(DType::Int32, &[n], y).expect("length matches");
    Ok((x, y))
}
