//! Loaders for the data sets of the tutorial.

pub mod mnist;
