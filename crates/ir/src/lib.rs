//! theano-ir
