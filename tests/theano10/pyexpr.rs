//! The Python expressions of the corpus (`records[].source`), parsed: a small subset of
//! Python's expression grammar (names, numbers, strings, `None`/`True`/`False`, tuples and
//! lists, attribute access, calls with keyword arguments, subscripts with slices, unary
//! `- + ~`, binary `** * / // % + - & ^ |` and comparisons), with Python's precedence.

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    NoneLit,
    Bool(bool),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    Attr(Box<Expr>, String),
    Call(Box<Expr>, Vec<Expr>, Vec<(String, Expr)>),
    /// `x[a, b:c, ...]`
    Index(Box<Expr>, Vec<Expr>),
    /// `a:b:c` inside a subscript
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    Op(&'static str),
}

const OPS: [&str; 26] = [
    "**", "//", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "(",
    ")", "[", "]", ",", ":", ".", "=", "@",
];

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let st = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(s[st..i].to_string()));
        } else if c.is_ascii_digit() || (c == '.' && i + 1 < b.len() && b[i + 1].is_ascii_digit()) {
            let st = i;
            let mut float = false;
            while i < b.len() {
                let d = b[i] as char;
                if d.is_ascii_digit() {
                    i += 1;
                } else if d == '.' {
                    float = true;
                    i += 1;
                } else if (d == 'e' || d == 'E') && i + 1 < b.len() {
                    float = true;
                    i += 1;
                    if b[i] == b'-' || b[i] == b'+' {
                        i += 1;
                    }
                } else {
                    break;
                }
            }
            let t = &s[st..i];
            out.push(if float {
                Tok::Float(t.parse().map_err(|_| format!("number {t}"))?)
            } else {
                Tok::Int(t.parse().map_err(|_| format!("number {t}"))?)
            });
        } else if c == '\'' || c == '"' {
            let st = i + 1;
            i += 1;
            while i < b.len() && b[i] as char != c {
                i += 1;
            }
            out.push(Tok::Str(s[st..i].to_string()));
            i += 1;
        } else {
            let op = OPS
                .iter()
                .find(|o| s[i..].starts_with(**o))
                .ok_or_else(|| format!("unexpected {c:?} in {s:?}"))?;
            out.push(Tok::Op(op));
            i += op.len();
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn is_op(&self, o: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(x)) if *x == o)
    }
    fn eat(&mut self, o: &str) -> bool {
        if self.is_op(o) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, o: &str) -> Result<(), String> {
        if self.eat(o) {
            Ok(())
        } else {
            Err(format!("expected {o:?} at token {}", self.at))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, String> {
        let mut a = self.bitor()?;
        while let Some(Tok::Op(o)) = self.peek() {
            let o: &'static str = match *o {
                "<" => "<",
                ">" => ">",
                "<=" => "<=",
                ">=" => ">=",
                "==" => "==",
                "!=" => "!=",
                _ => break,
            };
            self.at += 1;
            let b = self.bitor()?;
            a = Expr::Binary(o, Box::new(a), Box::new(b));
        }
        Ok(a)
    }

    fn level(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Parser) -> Result<Expr, String>,
    ) -> Result<Expr, String> {
        let mut a = next(self)?;
        'outer: loop {
            for &o in ops {
                if self.eat(o) {
                    let b = next(self)?;
                    a = Expr::Binary(o, Box::new(a), Box::new(b));
                    continue 'outer;
                }
            }
            return Ok(a);
        }
    }
    fn bitor(&mut self) -> Result<Expr, String> {
        self.level(&["|"], Parser::bitxor)
    }
    fn bitxor(&mut self) -> Result<Expr, String> {
        self.level(&["^"], Parser::bitand)
    }
    fn bitand(&mut self) -> Result<Expr, String> {
        self.level(&["&"], Parser::arith)
    }
    fn arith(&mut self) -> Result<Expr, String> {
        self.level(&["+", "-"], Parser::term)
    }
    fn term(&mut self) -> Result<Expr, String> {
        self.level(&["*", "//", "/", "%", "@"], Parser::unary)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        for o in ["-", "+", "~"] {
            if self.eat(o) {
                let x = self.unary()?;
                return Ok(match (o, x) {
                    ("-", Expr::Int(i)) => Expr::Int(-i),
                    ("-", Expr::Float(f)) => Expr::Float(-f),
                    (o, x) => Expr::Unary(o, Box::new(x)),
                });
            }
        }
        self.power()
    }
    fn power(&mut self) -> Result<Expr, String> {
        let a = self.postfix()?;
        if self.eat("**") {
            let b = self.unary()?;
            return Ok(Expr::Binary("**", Box::new(a), Box::new(b)));
        }
        Ok(a)
    }
    fn postfix(&mut self) -> Result<Expr, String> {
        let mut a = self.atom()?;
        loop {
            if self.eat(".") {
                match self.peek().cloned() {
                    Some(Tok::Name(n)) => {
                        self.at += 1;
                        a = Expr::Attr(Box::new(a), n);
                    }
                    t => return Err(format!("attribute name expected, got {t:?}")),
                }
            } else if self.eat("(") {
                let mut args = Vec::new();
                let mut kw = Vec::new();
                while !self.eat(")") {
                    if let (Some(Tok::Name(n)), Some(Tok::Op("="))) =
                        (self.peek().cloned(), self.toks.get(self.at + 1).cloned())
                    {
                        self.at += 2;
                        kw.push((n, self.expr()?));
                    } else {
                        args.push(self.expr()?);
                    }
                    if !self.eat(",") {
                        self.expect(")")?;
                        break;
                    }
                }
                a = Expr::Call(Box::new(a), args, kw);
            } else if self.eat("[") {
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.subscript()?);
                    if !self.eat(",") {
                        self.expect("]")?;
                        break;
                    }
                }
                a = Expr::Index(Box::new(a), items);
            } else {
                return Ok(a);
            }
        }
    }
    fn subscript(&mut self) -> Result<Expr, String> {
        let bound = |p: &mut Parser| -> Result<Option<Box<Expr>>, String> {
            if p.is_op(":") || p.is_op(",") || p.is_op("]") {
                Ok(None)
            } else {
                Ok(Some(Box::new(p.expr()?)))
            }
        };
        let start = bound(self)?;
        if !self.eat(":") {
            return start
                .map(|b| *b)
                .ok_or_else(|| "empty subscript".to_string());
        }
        let stop = bound(self)?;
        let step = if self.eat(":") { bound(self)? } else { None };
        Ok(Expr::Slice(start, stop, step))
    }
    fn atom(&mut self) -> Result<Expr, String> {
        let t = self.peek().cloned().ok_or("unexpected end")?;
        self.at += 1;
        Ok(match t {
            Tok::Int(i) => Expr::Int(i),
            Tok::Float(f) => Expr::Float(f),
            Tok::Str(s) => Expr::Str(s),
            Tok::Name(n) => match n.as_str() {
                "None" => Expr::NoneLit,
                "True" => Expr::Bool(true),
                "False" => Expr::Bool(false),
                _ => Expr::Name(n),
            },
            Tok::Op("(") => {
                let mut items = Vec::new();
                let mut tuple = false;
                while !self.eat(")") {
                    items.push(self.expr()?);
                    if self.eat(",") {
                        tuple = true;
                    } else {
                        self.expect(")")?;
                        break;
                    }
                }
                if tuple || items.is_empty() {
                    Expr::Tuple(items)
                } else {
                    items.pop().expect("one item")
                }
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.expr()?);
                    if !self.eat(",") {
                        self.expect("]")?;
                        break;
                    }
                }
                Expr::List(items)
            }
            t => return Err(format!("unexpected {t:?}")),
        })
    }
}

/// Parse one expression.
pub fn parse(s: &str) -> Result<Expr, String> {
    let mut p = Parser {
        toks: lex(s)?,
        at: 0,
    };
    let e = p.expr()?;
    if p.at != p.toks.len() {
        return Err(format!("trailing input in {s:?}"));
    }
    Ok(e)
}

#[test]
fn parses_python_precedence() {
    assert_eq!(
        parse("-x ** 2").unwrap(),
        Expr::Unary(
            "-",
            Box::new(Expr::Binary(
                "**",
                Box::new(Expr::Name("x".into())),
                Box::new(Expr::Int(2))
            ))
        )
    );
    assert!(matches!(
        parse("T.sum(x, axis=0)[1:, ::-1]").unwrap(),
        Expr::Index(_, ref v) if v.len() == 2
    ));
    assert!(matches!(
        parse("a + b * c").unwrap(),
        Expr::Binary("+", _, _)
    ));
}
