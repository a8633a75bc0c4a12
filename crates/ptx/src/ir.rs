//! The kernel IR: a flat list of typed instructions over numbered values, one to one with PTX.
//!
//! Values ([`Val`]) are indices into [`Kernel::vals`], which holds each value's [`Ty`]; the
//! type decides the register class the printer declares (`%p`, `%rs`, `%r`, `%rd`, `%f`,
//! `%fd`). Almost every value is defined once (SSA); the exceptions are the loop-carried
//! ones (induction variables, accumulators), which are re-assigned by [`Inst::Mov`] and
//! are created by [`Builder::var`]. Control flow is labels and (predicated) branches, as in
//! PTX. Instructions carry their own operation type (`add.s32`, `ld.global.nc.v4.f32`);
//! a register may be read at an instruction type of the same size (PTX's rule) or, for
//! `ld`/`st`/`cvt`, a narrower one.

/// A value: an index into [`Kernel::vals`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Val(pub u32);

/// A branch target.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Label(pub u32);

/// PTX fundamental types (f16/bf16 are not used).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Ty {
    Pred,
    B8,
    B16,
    B32,
    B64,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F32,
    F64,
}

impl Ty {
    /// Size in bytes (a predicate counts as 1).
    pub fn size(self) -> usize {
        use Ty::*;
        match self {
            Pred | B8 | U8 | S8 => 1,
            B16 | U16 | S16 => 2,
            B32 | U32 | S32 | F32 => 4,
            B64 | U64 | S64 | F64 => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }

    pub fn is_signed(self) -> bool {
        matches!(self, Ty::S8 | Ty::S16 | Ty::S32 | Ty::S64)
    }

    /// The PTX spelling without the dot: `f32`, `s64`, `pred`.
    pub fn name(self) -> &'static str {
        use Ty::*;
        match self {
            Pred => "pred",
            B8 => "b8",
            B16 => "b16",
            B32 => "b32",
            B64 => "b64",
            U8 => "u8",
            U16 => "u16",
            U32 => "u32",
            U64 => "u64",
            S8 => "s8",
            S16 => "s16",
            S32 => "s32",
            S64 => "s64",
            F32 => "f32",
            F64 => "f64",
        }
    }

    /// The register class that holds a value of this type: 8-bit values live in 16-bit
    /// registers (as NVCC does), so the class is one of pred, 16, 32, 64, f32, f64.
    pub fn class(self) -> RegClass {
        use Ty::*;
        match self {
            Pred => RegClass::Pred,
            B8 | U8 | S8 | B16 | U16 | S16 => RegClass::R16,
            B32 | U32 | S32 => RegClass::R32,
            B64 | U64 | S64 => RegClass::R64,
            F32 => RegClass::F32,
            F64 => RegClass::F64,
        }
    }

    /// The bit type of the same size (`b32` for `f32`).
    pub fn bits(self) -> Ty {
        use Ty::*;
        match self.size() {
            1 if self == Pred => Pred,
            1 => B8,
            2 => B16,
            4 => B32,
            _ => B64,
        }
    }
}

/// Register classes, one `.reg` declaration each.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum RegClass {
    Pred,
    R16,
    R32,
    R64,
    F32,
    F64,
}

impl RegClass {
    pub const ALL: [RegClass; 6] = [
        RegClass::Pred,
        RegClass::R16,
        RegClass::R32,
        RegClass::R64,
        RegClass::F32,
        RegClass::F64,
    ];

    /// (declared type, register prefix)
    pub fn decl(self) -> (&'static str, &'static str) {
        match self {
            RegClass::Pred => ("pred", "p"),
            RegClass::R16 => ("b16", "rs"),
            RegClass::R32 => ("b32", "r"),
            RegClass::R64 => ("b64", "rd"),
            RegClass::F32 => ("f32", "f"),
            RegClass::F64 => ("f64", "fd"),
        }
    }
}

/// Special registers (all `.u32`, `.x` only: kernels use 1-d grids).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Sreg {
    TidX,
    NtidX,
    CtaidX,
    NctaidX,
    LaneId,
}

impl Sreg {
    pub fn name(self) -> &'static str {
        match self {
            Sreg::TidX => "%tid.x",
            Sreg::NtidX => "%ntid.x",
            Sreg::CtaidX => "%ctaid.x",
            Sreg::NctaidX => "%nctaid.x",
            Sreg::LaneId => "%laneid",
        }
    }
}

/// Unary operations.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum UnOp {
    Neg,
    Abs,
    /// bitwise not (`not.b32`), logical on predicates
    Not,
    /// `sqrt.rn` (IEEE)
    Sqrt,
    /// `rcp.rn` (IEEE)
    Rcp,
    /// `ex2.approx.ftz.f32`
    Ex2Approx,
    /// `lg2.approx.ftz.f32`
    Lg2Approx,
}

/// Binary operations. Float add/sub/mul/div print with `.rn`, so ptxas never contracts a
/// multiply and an add into an fma behind the emulator's back; integer mul is `mul.lo`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// `mul.wide.{u,s}32`: 32 x 32 -> 64 bits (the destination is 64-bit)
    MulWide,
    Div,
    Rem,
    Min,
    Max,
    And,
    Or,
    Xor,
    Shl,
    Shr,
}

/// Comparisons of `setp`. The `U*` forms are the unordered float ones (true on NaN).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// float: not equal or unordered
    Neu,
    /// float: either operand NaN
    Nan,
}

impl Cmp {
    /// The `setp` comparison's name. Unsigned integers use the plain names too (PTX accepts
    /// `lt/le/gt/ge` with `.u` types, as aliases of `lo/ls/hi/hs`).
    pub fn name(self) -> &'static str {
        match self {
            Cmp::Eq => "eq",
            Cmp::Ne => "ne",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
            Cmp::Gt => "gt",
            Cmp::Ge => "ge",
            Cmp::Neu => "neu",
            Cmp::Nan => "nan",
        }
    }
}

/// Rounding of `cvt`: `.rn/.rz/.rm/.rp` for float results, `.rni/.rzi/.rmi/.rpi` for
/// rounding to an integral value (float to int, or float to float of the same type).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Rnd {
    Rn,
    Rz,
    Rni,
    Rzi,
    Rmi,
    Rpi,
}

impl Rnd {
    pub fn name(self) -> &'static str {
        match self {
            Rnd::Rn => "rn",
            Rnd::Rz => "rz",
            Rnd::Rni => "rni",
            Rnd::Rzi => "rzi",
            Rnd::Rmi => "rmi",
            Rnd::Rpi => "rpi",
        }
    }
}

/// State spaces of loads and stores.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Space {
    Global,
    /// `ld.global.nc`: the read-only (non-coherent) path; inputs only
    GlobalNc,
    Shared,
}

/// A kernel parameter (`.param .u64 name`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
}

/// A `.shared` array.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Shared {
    pub name: String,
    pub align: usize,
    pub bytes: usize,
}

/// One instruction. Destinations come first, as in PTX.
#[derive(Clone, PartialEq, Debug)]
pub enum Inst {
    /// `ld.param.<ty> dst, [name]`
    LdParam {
        dst: Val,
        param: usize,
    },
    /// `mov.u32 dst, %tid.x`
    Sreg {
        dst: Val,
        reg: Sreg,
    },
    /// `mov.u32 dst, smem` (the 32-bit shared-window address of a shared array)
    SharedAddr {
        dst: Val,
        shared: usize,
    },
    /// `mov.<ty> dst, imm` (the value's type; bits of floats as `0dXXXXXXXXXXXXXXXX`)
    Imm {
        dst: Val,
        bits: u64,
    },
    /// `mov.<ty> dst, src`; also re-assigns a loop-carried value
    Mov {
        dst: Val,
        src: Val,
    },
    /// `mov.b64 fd, rd` and friends: reinterpret the bits (same size)
    BitCast {
        dst: Val,
        src: Val,
    },
    Un {
        op: UnOp,
        ty: Ty,
        dst: Val,
        a: Val,
    },
    Bin {
        op: BinOp,
        ty: Ty,
        dst: Val,
        a: Val,
        b: Val,
    },
    /// `fma.rn.f` / `mad.lo.s`: `a * b + c`
    Fma {
        ty: Ty,
        dst: Val,
        a: Val,
        b: Val,
        c: Val,
    },
    Setp {
        cmp: Cmp,
        ty: Ty,
        dst: Val,
        a: Val,
        b: Val,
    },
    /// `selp.<ty> dst, a, b, p`: `p ? a : b`
    Selp {
        ty: Ty,
        dst: Val,
        a: Val,
        b: Val,
        p: Val,
    },
    /// `cvt[.rnd][.sat?].<dty>.<sty> dst, a`
    Cvt {
        dty: Ty,
        sty: Ty,
        rnd: Option<Rnd>,
        dst: Val,
        a: Val,
    },
    /// `ld.<space>[.v2|.v4].<ty> {dst..}, [addr+off]`
    Ld {
        space: Space,
        ty: Ty,
        dst: Vec<Val>,
        addr: Val,
        off: i32,
    },
    /// `st.<space>[.v2|.v4].<ty> [addr+off], {src..}`
    St {
        space: Space,
        ty: Ty,
        addr: Val,
        off: i32,
        src: Vec<Val>,
    },
    /// `bar.sync 0`
    Bar,
    /// `shfl.sync.bfly.b32 dst, a, lane_mask, 31, 0xffffffff`
    ShflBfly {
        dst: Val,
        a: Val,
        lane_mask: Val,
    },
    Label(Label),
    /// `[@p|@!p] bra target`
    Bra {
        target: Label,
        pred: Option<(Val, bool)>,
    },
    Ret,
}

impl Inst {
    /// Every value the instruction names (destinations first).
    pub fn vals(&self) -> Vec<Val> {
        match self {
            Inst::LdParam { dst, .. }
            | Inst::Sreg { dst, .. }
            | Inst::SharedAddr { dst, .. }
            | Inst::Imm { dst, .. } => vec![*dst],
            Inst::Mov { dst, src } | Inst::BitCast { dst, src } => vec![*dst, *src],
            Inst::Un { dst, a, .. } | Inst::Cvt { dst, a, .. } => vec![*dst, *a],
            Inst::Bin { dst, a, b, .. } | Inst::Setp { dst, a, b, .. } => vec![*dst, *a, *b],
            Inst::Fma { dst, a, b, c, .. } => vec![*dst, *a, *b, *c],
            Inst::Selp { dst, a, b, p, .. } => vec![*dst, *a, *b, *p],
            Inst::Ld { dst, addr, .. } => dst.iter().copied().chain([*addr]).collect(),
            Inst::St { addr, src, .. } => {
                std::iter::once(*addr).chain(src.iter().copied()).collect()
            }
            Inst::ShflBfly { dst, a, lane_mask } => vec![*dst, *a, *lane_mask],
            Inst::Bra { pred, .. } => pred.iter().map(|p| p.0).collect(),
            Inst::Bar | Inst::Label(_) | Inst::Ret => Vec::new(),
        }
    }
}

/// A kernel: `.visible .entry name(params) { body }`.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub name: String,
    pub params: Vec<Param>,
    pub shared: Vec<Shared>,
    /// the type of each value
    pub vals: Vec<Ty>,
    pub body: Vec<Inst>,
    pub n_labels: u32,
}

impl Kernel {
    /// Structural checks: every value, parameter and shared array an instruction names
    /// exists, every branch target is placed exactly once, loads and stores move 1, 2 or 4
    /// elements, the last instruction is `ret`. The emulator runs only verified kernels.
    pub fn verify(&self) -> Result<(), String> {
        let n = self.vals.len() as u32;
        let mut placed = vec![0u32; self.n_labels as usize];
        for (pc, i) in self.body.iter().enumerate() {
            if let Some(v) = i.vals().into_iter().find(|v| v.0 >= n) {
                return Err(format!("instruction {pc} names value {} of {n}", v.0));
            }
            match i {
                Inst::LdParam { param, .. } if *param >= self.params.len() => {
                    return Err(format!("instruction {pc} loads parameter {param}"));
                }
                Inst::SharedAddr { shared, .. } if *shared >= self.shared.len() => {
                    return Err(format!("instruction {pc} names shared array {shared}"));
                }
                Inst::Ld { dst: v, .. } | Inst::St { src: v, .. }
                    if ![1, 2, 4].contains(&v.len()) =>
                {
                    return Err(format!("instruction {pc} moves {} elements", v.len()));
                }
                Inst::Label(l) => match placed.get_mut(l.0 as usize) {
                    Some(c) => *c += 1,
                    None => return Err(format!("label {} was never allocated", l.0)),
                },
                Inst::Bra { target, .. } if target.0 >= self.n_labels => {
                    return Err(format!(
                        "instruction {pc} branches to unknown label {}",
                        target.0
                    ));
                }
                _ => {}
            }
        }
        if let Some(l) = placed.iter().position(|&c| c != 1) {
            return Err(format!("label {l} is placed {} times", placed[l]));
        }
        if self.body.last() != Some(&Inst::Ret) {
            return Err("the kernel does not end with ret".into());
        }
        Ok(())
    }
}

/// Builds a [`Kernel`]; every helper appends one instruction and returns its result.
/// Immediates are interned: one `mov` per (type, bits) in a prologue at the kernel's entry,
/// which dominates every use.
pub struct Builder {
    k: Kernel,
    consts: std::collections::HashMap<(Ty, u64), Val>,
    prologue: Vec<Inst>,
}

impl Builder {
    pub fn new(name: &str) -> Builder {
        Builder {
            k: Kernel {
                name: name.to_string(),
                params: Vec::new(),
                shared: Vec::new(),
                vals: Vec::new(),
                body: Vec::new(),
                n_labels: 0,
            },
            consts: std::collections::HashMap::new(),
            prologue: Vec::new(),
        }
    }

    pub fn finish(mut self) -> Kernel {
        if self.k.body.last() != Some(&Inst::Ret) {
            self.k.body.push(Inst::Ret);
        }
        // parameters first (as NVCC orders them), then the constants, then the code
        let n_params = self
            .k
            .body
            .iter()
            .take_while(|i| matches!(i, Inst::LdParam { .. }))
            .count();
        let rest = self.k.body.split_off(n_params);
        self.k.body.append(&mut self.prologue);
        self.k.body.extend(rest);
        self.k
    }

    pub fn ty(&self, v: Val) -> Ty {
        self.k.vals[v.0 as usize]
    }

    /// A fresh value of type `ty` (no instruction): the destination of a later `Mov`, a
    /// loop-carried variable.
    pub fn var(&mut self, ty: Ty) -> Val {
        self.k.vals.push(ty);
        Val(self.k.vals.len() as u32 - 1)
    }

    pub fn push(&mut self, i: Inst) {
        self.k.body.push(i);
    }

    pub fn param(&mut self, name: &str, ty: Ty) -> usize {
        self.k.params.push(Param {
            name: format!("{}_{}", self.k.name, name),
            ty,
        });
        self.k.params.len() - 1
    }

    pub fn ld_param(&mut self, param: usize) -> Val {
        let ty = self.k.params[param].ty;
        let dst = self.var(ty);
        self.push(Inst::LdParam { dst, param });
        dst
    }

    pub fn shared(&mut self, name: &str, align: usize, bytes: usize) -> usize {
        self.k.shared.push(Shared {
            name: name.to_string(),
            align,
            bytes,
        });
        self.k.shared.len() - 1
    }

    pub fn shared_addr(&mut self, shared: usize) -> Val {
        let dst = self.var(Ty::U32);
        self.push(Inst::SharedAddr { dst, shared });
        dst
    }

    pub fn sreg(&mut self, reg: Sreg) -> Val {
        let dst = self.var(Ty::U32);
        self.push(Inst::Sreg { dst, reg });
        dst
    }

    /// The constant `bits` of type `ty` (interned).
    pub fn imm(&mut self, ty: Ty, bits: u64) -> Val {
        if let Some(v) = self.consts.get(&(ty, bits)) {
            return *v;
        }
        let dst = self.var(ty);
        self.prologue.push(Inst::Imm { dst, bits });
        self.consts.insert((ty, bits), dst);
        dst
    }

    pub fn f(&mut self, ty: Ty, v: f64) -> Val {
        match ty {
            Ty::F32 => self.imm(ty, (v as f32).to_bits() as u64),
            _ => self.imm(Ty::F64, v.to_bits()),
        }
    }

    pub fn int(&mut self, ty: Ty, v: i64) -> Val {
        let bits = match ty.size() {
            1 | 2 => v as u64 & 0xffff,
            4 => v as u64 & 0xffff_ffff,
            _ => v as u64,
        };
        self.imm(ty, bits)
    }

    pub fn mov(&mut self, dst: Val, src: Val) {
        self.push(Inst::Mov { dst, src });
    }

    pub fn bitcast(&mut self, ty: Ty, src: Val) -> Val {
        let dst = self.var(ty);
        self.push(Inst::BitCast { dst, src });
        dst
    }

    pub fn un(&mut self, op: UnOp, ty: Ty, a: Val) -> Val {
        let dst = self.var(ty);
        self.push(Inst::Un { op, ty, dst, a });
        dst
    }

    pub fn bin(&mut self, op: BinOp, ty: Ty, a: Val, b: Val) -> Val {
        let dty = if op == BinOp::MulWide {
            if ty.is_signed() {
                Ty::S64
            } else {
                Ty::U64
            }
        } else {
            ty
        };
        let dst = self.var(dty);
        self.push(Inst::Bin { op, ty, dst, a, b });
        dst
    }

    pub fn fma(&mut self, ty: Ty, a: Val, b: Val, c: Val) -> Val {
        let dst = self.var(ty);
        self.push(Inst::Fma { ty, dst, a, b, c });
        dst
    }

    pub fn setp(&mut self, cmp: Cmp, ty: Ty, a: Val, b: Val) -> Val {
        let dst = self.var(Ty::Pred);
        self.push(Inst::Setp { cmp, ty, dst, a, b });
        dst
    }

    pub fn selp(&mut self, ty: Ty, p: Val, a: Val, b: Val) -> Val {
        let dst = self.var(ty);
        self.push(Inst::Selp { ty, dst, a, b, p });
        dst
    }

    pub fn cvt(&mut self, dty: Ty, sty: Ty, rnd: Option<Rnd>, a: Val) -> Val {
        let dst = self.var(dty);
        self.push(Inst::Cvt {
            dty,
            sty,
            rnd,
            dst,
            a,
        });
        dst
    }

    /// A load of `n` (1, 2 or 4) elements of memory type `ty` into registers of `reg_ty`.
    pub fn ld(
        &mut self,
        space: Space,
        ty: Ty,
        reg_ty: Ty,
        n: usize,
        addr: Val,
        off: i32,
    ) -> Vec<Val> {
        let dst: Vec<Val> = (0..n).map(|_| self.var(reg_ty)).collect();
        self.push(Inst::Ld {
            space,
            ty,
            dst: dst.clone(),
            addr,
            off,
        });
        dst
    }

    pub fn st(&mut self, space: Space, ty: Ty, addr: Val, off: i32, src: Vec<Val>) {
        self.push(Inst::St {
            space,
            ty,
            addr,
            off,
            src,
        });
    }

    pub fn shfl_bfly(&mut self, a: Val, lane_mask: Val) -> Val {
        let dst = self.var(self.ty(a));
        self.push(Inst::ShflBfly { dst, a, lane_mask });
        dst
    }

    pub fn bar(&mut self) {
        self.push(Inst::Bar);
    }

    pub fn label(&mut self) -> Label {
        self.k.n_labels += 1;
        Label(self.k.n_labels - 1)
    }

    pub fn place(&mut self, l: Label) {
        self.push(Inst::Label(l));
    }

    pub fn bra(&mut self, target: Label) {
        self.push(Inst::Bra { target, pred: None });
    }

    /// Branch when `p` is `when`.
    pub fn bra_if(&mut self, p: Val, when: bool, target: Label) {
        self.push(Inst::Bra {
            target,
            pred: Some((p, !when)),
        });
    }

    pub fn ret(&mut self) {
        self.push(Inst::Ret);
    }
}
