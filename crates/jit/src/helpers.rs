//! Rust `extern "C"` helpers the generated code calls for the ops Cranelift has no
//! instruction for: round_half_away_from_zero, int_div and mod, the transcendentals on a
//! host without fma (elsewhere they are inline polynomial code, `math.rs`), and the
//! catalogue's functions (sin, erf, gamma...: `theano_interp::special`'s table, one helper
//! per row and float dtype). Each calls the interpreter's own scalar function, so JIT and
//! interpreter agree bit for bit.

use theano_interp::special::{arctan2, UNARY_FNS, UNARY_OPS};
use theano_interp::Num;
use theano_ir::ScalarOp;

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
    theano_arctan2_f64: f64 => arctan2;
    theano_arctan2_f32: f32 => |y: f32, x: f32| arctan2(y as f64, x as f64) as f32;
}

/// Row `K` of the catalogue table in float64.
extern "C" fn cat_f64<const K: usize>(a: f64) -> f64 {
    UNARY_FNS[K](a)
}

/// Row `K` of the catalogue table for float32: computed in float64, rounded once (as the
/// interpreter does).
extern "C" fn cat_f32<const K: usize>(a: f32) -> f32 {
    UNARY_FNS[K](a as f64) as f32
}

macro_rules! catalogue {
    ($($k:literal)*) => {
        const _: () = assert!(UNARY_OPS.len() == [$($k),*].len());
        /// The helper symbols of the catalogue's rows: (float64 name, float32 name).
        const CAT_NAMES: [(&str, &str); UNARY_OPS.len()] = [$((
            concat!("theano_cat", stringify!($k), "_f64"),
            concat!("theano_cat", stringify!($k), "_f32"),
        )),*];
        /// (symbol name, address) of every catalogue helper.
        pub(crate) fn catalogue_symbols() -> Vec<(&'static str, *const u8)> {
            vec![$(
                (CAT_NAMES[$k].0, cat_f64::<$k> as extern "C" fn(f64) -> f64 as *const u8),
                (CAT_NAMES[$k].1, cat_f32::<$k> as extern "C" fn(f32) -> f32 as *const u8),
            )*]
        }
    };
}
catalogue!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22);

/// The helper symbol computing `op` in float64 (`f32 == false`) or float32, for the
/// catalogue's table ops.
pub(crate) fn catalogue_helper(op: &ScalarOp, f32: bool) -> Option<&'static str> {
    let k = theano_interp::special::unary_index(op)?;
    Some(if f32 { CAT_NAMES[k].1 } else { CAT_NAMES[k].0 })
}
