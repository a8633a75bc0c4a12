//! FunctionGraph: the arena IR (to be written).
