//! Rust `extern "C"` helpers the generated code calls for the ops Cranelift has no
//! instruction for: round_half_away_from_zero, int_div and mod, and the transcendentals on a
//! host without fma (elsewhere they are inline polynomial code, `math.rs`). Each calls the
//! interpreter's own scalar function, so JIT and interpreter agree bit for bit.

use theano_interp::Num;

macro_rules! unary {
    ($($name:ident: $t:ty => $f:expr;)*) => {
        $(extern "C" fn $name(a: $t) -> $t { ($f)(a) })*
        /// (symbol name, address) of every unary helper.
        pub(crate) fn unary_symbols() -> Vec<(&'static str, *const u8)> {
            vec![$((stringify!($name), $name as extern "C" fn($t) -> $t as *const u8)),*]
        }
    };
}

macro_rules! binary {
    ($($name:ident: $t:ty => $f:expr;)*) => {
        $(extern "C" fn $name(a: $t, b: $t) -> $t { ($f)(a, b) })*
        pub(crate) fn binary_symbols() -> Vec<(&'static str, *const u8)> {
            vec![$((stringify!($name), $name as extern "C" fn($t, $t) -> $t as *const u8)),*]
        }
    };
}

unary! {
    theano_exp_f64: f64 => <f64 as Num>::exp;
    theano_log_f64: f64 => <f64 as Num>::log;
    theano_log1p_f64: f64 => <f64 as Num>::log1p;
    theano_expm1_f64: f64 => <f64 as Num>::expm1;
    theano_tanh_f64: f64 => <f64 as Num>::tanh;
    theano_sigmoid_f64: f64 => <f64 as Num>::sigmoid;
    theano_softplus_f64: f64 => <f64 as Num>::softplus;
    theano_round_half_away_f64: f64 => <f64 as Num>::round_half_away;
    theano_exp_f32: f32 => <f32 as Num>::exp;
    theano_log_f32: f32 => <f32 as Num>::log;
    theano_log1p_f32: f32 => <f32 as Num>::log1p;
    theano_expm1_f32: f32 => <f32 as Num>::expm1;
    theano_tanh_f32: f32 => <f32 as Num>::tanh;
    theano_sigmoid_f32: f32 => <f32 as Num>::sigmoid;
    theano_softplus_f32: f32 => <f32 as Num>::softplus;
    theano_round_half_away_f32: f32 => <f32 as Num>::round_half_away;
}

binary! {
    theano_pow_f64: f64 => <f64 as Num>::pow;
    theano_int_div_f64: f64 => <f64 as Num>::int_div;
    theano_mod_f64: f64 => <f64 as Num>::modulo;
    theano_pow_f32: f32 => <f32 as Num>::pow;
    theano_int_div_f32: f32 => <f32 as Num>::int_div;
    theano_mod_f32: f32 => <f32 as Num>::modulo;
}
