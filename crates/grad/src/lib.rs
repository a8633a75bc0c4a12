//! theano-grad: automatic differentiation (to be written).
