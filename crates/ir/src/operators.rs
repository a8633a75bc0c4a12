//! `+ - * / %` and unary `-` on variables (owned or borrowed) and Rust numbers on either side.

use crate::scalar::ScalarOp;
use crate::tensor::{binary_at, IntoVar};
use crate::var::Variable;
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};
use std::panic::Location;

macro_rules! binop {
    ($tr:ident, $m:ident, $op:ident) => {
        impl<R: IntoVar> $tr<R> for Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: R) -> Variable {
                binary_at(ScalarOp::$op, self, r.into_var(), Location::caller())
            }
        }
        impl<R: IntoVar> $tr<R> for &Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: R) -> Variable {
                binary_at(ScalarOp::$op, self.clone(), r.into_var(), Location::caller())
            }
        }
        binop!(@lhs $tr, $m, $op, f64, f32, i64, i32, i16, i8, u8, usize, bool);
    };
    (@lhs $tr:ident, $m:ident, $op:ident, $($t:ty),*) => {$(
        impl $tr<Variable> for $t {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: Variable) -> Variable {
                binary_at(ScalarOp::$op, self.into_var(), r, Location::caller())
            }
        }
        impl $tr<&Variable> for $t {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: &Variable) -> Variable {
                binary_at(ScalarOp::$op, self.into_var(), r.clone(), Location::caller())
            }
        }
    )*};
}
binop!(Add, add, Add);
binop!(Sub, sub, Sub);
binop!(Mul, mul, Mul);
binop!(Div, div, TrueDiv);
binop!(Rem, rem, Mod);

impl Neg for Variable {
    type Output = Variable;
    #[track_caller]
    fn neg(self) -> Variable {
        crate::tensor::neg_unchecked(self, std::panic::Location::caller())
    }
}
impl Neg for &Variable {
    type Output = Variable;
    #[track_caller]
    fn neg(self) -> Variable {
        crate::tensor::neg_unchecked(self.clone(), std::panic::Location::caller())
    }
}
