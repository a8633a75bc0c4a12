//! theano-interp: the reference interpreter (to be written).
