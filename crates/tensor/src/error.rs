//! Errors of the tensor crate.

/// A value-level error: conversion, shape or file format.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TensorError {
    #[error("{what}: shape mismatch: expected {expected}, got {actual}")]
    ShapeMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{what}: cannot convert: {detail}")]
    Conversion { what: String, detail: String },
    #[error("npy: {0}")]
    Npy(String),
    #[error("io: {0}")]
    Io(String),
}
