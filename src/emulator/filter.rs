//! OData `$filter` over connections, as the service documents it: `userId`, `connectionId`,
//! `groups` (and `protocol`, which the official emulator adds); `eq ne gt ge lt le`, `and or
//! not`, `in`, literals and the string functions.
//!
//! A filter is parsed and type-checked once per request, then evaluated for every target
//! connection on the fan-out path, so evaluation borrows from the connection and allocates
//! only for functions that build new strings (`tolower`, `concat`, ...).

use std::borrow::Cow;

use std::collections::HashSet;

use crate::client::Protocol;

/// What a filter sees of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub connection_id: &'a str,
    pub user_id: Option<&'a str>,
    pub protocol: Protocol,
    pub groups: &'a HashSet<String>,
}

/// Nesting limit (parentheses, `not`, function calls), as in the official emulator.
const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone)]
pub struct Filter {
    root: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    UserId,
    ConnectionId,
    Protocol,
    Groups,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    ToLower,
    ToUpper,
    Trim,
    Substring,
    Concat,
    IndexOf,
    Length,
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Debug, Clone)]
enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Field(Field),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(Cmp, Box<Expr>, Box<Expr>),
    /// `x in groups`
    InGroups(Box<Expr>),
    /// `x in (a, b, ...)`
    InList(Box<Expr>, Vec<Expr>),
    Call(Func, Vec<Expr>),
}

/// Static types, checked at parse time so a malformed filter is a 400, not a silent no-match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Null,
    Bool,
    Int,
    Str,
    Groups,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Null => "null",
            Ty::Bool => "a boolean",
            Ty::Int => "an integer",
            Ty::Str => "a string",
            Ty::Groups => "a collection",
        }
    }
}

/// A value during evaluation; strings borrow from the connection or the filter when they can.
#[derive(Debug, PartialEq)]
enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    Groups(&'a HashSet<String>),
}

impl Filter {
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        let tokens = lex(input)?;
        let mut p = Parser {
            input,
            tokens,
            pos: 0,
            depth: 0,
            unknown: None,
        };
        let (root, ty) = p.parse_or()?;
        if let Some(t) = p.peek() {
            // Like the service's OData parser, the position is where the stray token ends.
            let end = p
                .tokens
                .get(p.pos + 1)
                .map_or(input.len(), |next| next.start);
            let end = input[..end].trim_end().len();
            return Err(p.err_at(end, format!("unexpected {}", t.kind.describe())));
        }
        // Syntax first, then names, as the service parses before it binds.
        if let Some(unknown) = p.unknown {
            return Err(unknown);
        }
        if ty != Ty::Bool {
            return Err(p.err_at(0, format!("the filter is {}, not a condition", ty.name())));
        }
        Ok(Filter { root })
    }

    pub fn matches(&self, conn: &Subject<'_>) -> bool {
        matches!(eval(&self.root, conn), Val::Bool(true))
    }

    /// A group every connection that passes the filter is in: the filter is `'G' in groups`
    /// or `and`s such a term with others. A send can then test that group's members alone
    /// (the Socket.IO extension's `'0~Lw~' in groups` picks a namespace's sockets out of the
    /// whole hub). None when no such term stands on its own (under `or` or `not` it proves
    /// nothing).
    pub fn required_group(&self) -> Option<&str> {
        required_group(&self.root)
    }

    /// The group, when the filter is `'G' in groups` and nothing else: it passes exactly the
    /// group's members.
    pub fn only_group(&self) -> Option<&str> {
        match &self.root {
            Expr::InGroups(_) => required_group(&self.root),
            _ => None,
        }
    }
}

fn required_group(e: &Expr) -> Option<&str> {
    match e {
        Expr::InGroups(item) => match item.as_ref() {
            Expr::Str(group) => Some(group),
            _ => None,
        },
        Expr::And(items) => items.iter().find_map(required_group),
        _ => None,
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word(String),
    Str(String),
    Int(i64),
    LParen,
    RParen,
    Comma,
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::Word(w) => format!("'{w}'"),
            Kind::Str(_) => "a string literal".into(),
            Kind::Int(n) => format!("'{n}'"),
            Kind::LParen => "'('".into(),
            Kind::RParen => "')'".into(),
            Kind::Comma => "','".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// Byte offset in the input.
    start: usize,
}

fn char_pos(input: &str, byte: usize) -> usize {
    input.get(..byte).map(|s| s.chars().count()).unwrap_or(byte)
}

fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let err = |at: usize, msg: &str| FilterError {
        position: char_pos(input, at),
        message: msg.to_string(),
    };
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                let kind = match c {
                    '(' => Kind::LParen,
                    ')' => Kind::RParen,
                    _ => Kind::Comma,
                };
                tokens.push(Token { kind, start });
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err(err(start, "unterminated string literal")),
                        Some((_, '\'')) => {
                            if chars.peek().map(|&(_, c)| c) == Some('\'') {
                                chars.next();
                                s.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, c)) => s.push(c),
                    }
                }
                tokens.push(Token {
                    kind: Kind::Str(s),
                    start,
                });
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                chars.next();
                let mut text = String::from(c);
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_digit() {
                        text.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if text == "-" || text == "+" {
                    return Err(err(start, "expected digits after the sign"));
                }
                if chars
                    .peek()
                    .is_some_and(|&(_, d)| d.is_alphanumeric() || d == '_' || d == '.')
                {
                    return Err(err(start, "malformed number"));
                }
                let n: i64 = text
                    .parse()
                    .map_err(|_| err(start, "integer out of range"))?;
                tokens.push(Token {
                    kind: Kind::Int(n),
                    start,
                });
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut w = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        w.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token {
                    kind: Kind::Word(w),
                    start,
                });
            }
            other => return Err(err(start, &format!("unexpected character '{other}'"))),
        }
    }
    Ok(tokens)
}

// ---------------------------------------------------------------- parser

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// The first unknown field name, reported only if the filter parses.
    unknown: Option<FilterError>,
}

/// Why a filter was refused, and where (a character position, from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at position {}: {}", self.position, self.message)
    }
}

fn cmp_op(word: &str) -> Option<Cmp> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => Cmp::Eq,
        "ne" => Cmp::Ne,
        "gt" => Cmp::Gt,
        "ge" => Cmp::Ge,
        "lt" => Cmp::Lt,
        "le" => Cmp::Le,
        _ => return None,
    })
}

fn func(word: &str) -> Option<Func> {
    Some(match word.to_ascii_lowercase().as_str() {
        "tolower" => Func::ToLower,
        "toupper" => Func::ToUpper,
        "trim" => Func::Trim,
        "substring" => Func::Substring,
        "concat" => Func::Concat,
        "indexof" => Func::IndexOf,
        "length" => Func::Length,
        "startswith" => Func::StartsWith,
        "endswith" => Func::EndsWith,
        "contains" => Func::Contains,
        _ => return None,
    })
}

fn field(word: &str) -> Option<Field> {
    Some(match word.to_ascii_lowercase().as_str() {
        "userid" => Field::UserId,
        "connectionid" => Field::ConnectionId,
        "protocol" => Field::Protocol,
        "groups" => Field::Groups,
        _ => return None,
    })
}

/// Whether a value of type `have` may stand where `want` is expected (null fits any scalar).
fn fits(have: Ty, want: Ty) -> bool {
    have == want || (have == Ty::Null && want != Ty::Groups)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn here(&self) -> usize {
        self.peek()
            .map(|t| t.start)
            .unwrap_or_else(|| self.input.len())
    }

    fn err_at(&self, byte: usize, message: String) -> FilterError {
        FilterError {
            position: char_pos(self.input, byte),
            message,
        }
    }

    fn expected(&self, what: &str) -> FilterError {
        let found = match self.peek() {
            Some(t) => t.kind.describe(),
            None => "the end of the filter".into(),
        };
        self.err_at(self.here(), format!("expected {what}, found {found}"))
    }

    fn peek_word(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: Kind::Word(w), .. }) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat(&mut self, kind: &Kind) -> bool {
        if self.peek().is_some_and(|t| &t.kind == kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: Kind, what: &str) -> Result<(), FilterError> {
        if self.eat(&kind) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.err_at(
                self.here(),
                format!("the filter nests deeper than {MAX_DEPTH} levels"),
            ))
        } else {
            Ok(())
        }
    }

    fn need_bool(&self, at: usize, ty: Ty, op: &str) -> Result<(), FilterError> {
        if ty == Ty::Bool {
            Ok(())
        } else {
            Err(self.err_at(
                at,
                format!("'{op}' needs a condition, but this is {}", ty.name()),
            ))
        }
    }

    fn parse_or(&mut self) -> Result<(Expr, Ty), FilterError> {
        let start = self.here();
        let (first, ty) = self.parse_and()?;
        if !self.peek_word("or") {
            return Ok((first, ty));
        }
        self.need_bool(start, ty, "or")?;
        let mut items = vec![first];
        while self.peek_word("or") {
            self.pos += 1;
            let at = self.here();
            let (e, ty) = self.parse_and()?;
            self.need_bool(at, ty, "or")?;
            items.push(e);
        }
        Ok((Expr::Or(items), Ty::Bool))
    }

    fn parse_and(&mut self) -> Result<(Expr, Ty), FilterError> {
        let start = self.here();
        let (first, ty) = self.parse_comparison()?;
        if !self.peek_word("and") {
            return Ok((first, ty));
        }
        self.need_bool(start, ty, "and")?;
        let mut items = vec![first];
        while self.peek_word("and") {
            self.pos += 1;
            let at = self.here();
            let (e, ty) = self.parse_comparison()?;
            self.need_bool(at, ty, "and")?;
            items.push(e);
        }
        Ok((Expr::And(items), Ty::Bool))
    }

    fn parse_comparison(&mut self) -> Result<(Expr, Ty), FilterError> {
        let (left, lty) = self.parse_unary()?;
        let op_at = self.here();
        let Some(Token {
            kind: Kind::Word(w),
            ..
        }) = self.peek()
        else {
            return Ok((left, lty));
        };
        if w.eq_ignore_ascii_case("in") {
            self.pos += 1;
            return self.parse_in(left, lty, op_at);
        }
        let Some(op) = cmp_op(w) else {
            return Ok((left, lty));
        };
        self.pos += 1;
        let right_at = self.here();
        let (right, rty) = self.parse_unary()?;
        if lty == Ty::Groups || rty == Ty::Groups {
            let at = if lty == Ty::Groups { op_at } else { right_at };
            return Err(self.err_at(
                at,
                "a collection cannot be compared; use 'in groups'".into(),
            ));
        }
        Ok((Expr::Compare(op, Box::new(left), Box::new(right)), Ty::Bool))
    }

    fn parse_in(&mut self, left: Expr, lty: Ty, op_at: usize) -> Result<(Expr, Ty), FilterError> {
        if lty == Ty::Groups {
            return Err(self.err_at(op_at, "the left side of 'in' must be a value".into()));
        }
        if self.eat(&Kind::LParen) {
            self.enter()?;
            let mut items = Vec::new();
            loop {
                let at = self.here();
                let (e, ty) = self.parse_or()?;
                if ty == Ty::Groups {
                    return Err(self.err_at(at, "a list item must be a value".into()));
                }
                items.push(e);
                if self.eat(&Kind::Comma) {
                    continue;
                }
                self.expect(Kind::RParen, "',' or ')'")?;
                break;
            }
            self.depth -= 1;
            return Ok((Expr::InList(Box::new(left), items), Ty::Bool));
        }
        let at = self.here();
        let (_groups, rty) = self.parse_unary()?;
        if rty != Ty::Groups {
            return Err(self.err_at(at, "expected 'groups' or a '(' list after 'in'".into()));
        }
        if !fits(lty, Ty::Str) {
            return Err(self.err_at(
                op_at,
                format!("'in groups' needs a string, not {}", lty.name()),
            ));
        }
        Ok((Expr::InGroups(Box::new(left)), Ty::Bool))
    }

    fn parse_unary(&mut self) -> Result<(Expr, Ty), FilterError> {
        if self.peek_word("not") {
            let at = self.here();
            self.pos += 1;
            self.enter()?;
            let operand_at = self.here();
            let (e, ty) = self.parse_unary()?;
            self.depth -= 1;
            if ty != Ty::Bool {
                return Err(self.err_at(
                    operand_at,
                    format!(
                        "'not' at position {} needs a condition, but this is {}; add parentheses",
                        char_pos(self.input, at),
                        ty.name()
                    ),
                ));
            }
            return Ok((Expr::Not(Box::new(e)), Ty::Bool));
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Result<(Expr, Ty), FilterError> {
        let Some(tok) = self.peek().cloned() else {
            return Err(self.expected("a value"));
        };
        match tok.kind {
            Kind::LParen => {
                self.pos += 1;
                self.enter()?;
                let r = self.parse_or()?;
                self.expect(Kind::RParen, "')'")?;
                self.depth -= 1;
                Ok(r)
            }
            Kind::Str(s) => {
                self.pos += 1;
                Ok((Expr::Str(s), Ty::Str))
            }
            Kind::Int(n) => {
                self.pos += 1;
                Ok((Expr::Int(n), Ty::Int))
            }
            Kind::Word(w) => {
                self.pos += 1;
                if self.peek().is_some_and(|t| t.kind == Kind::LParen) {
                    let Some(f) = func(&w) else {
                        return Err(self.err_at(tok.start, format!("unknown function '{w}'")));
                    };
                    return self.parse_call(f, &w, tok.start);
                }
                match w.to_ascii_lowercase().as_str() {
                    "true" => return Ok((Expr::Bool(true), Ty::Bool)),
                    "false" => return Ok((Expr::Bool(false), Ty::Bool)),
                    "null" => return Ok((Expr::Null, Ty::Null)),
                    _ => {}
                }
                match field(&w) {
                    Some(Field::Groups) => Ok((Expr::Field(Field::Groups), Ty::Groups)),
                    Some(f) => Ok((Expr::Field(f), Ty::Str)),
                    None => {
                        let e = self.err_at(
                            tok.start,
                            format!("unknown identifier '{w}' (use userId, connectionId, groups or protocol)"),
                        );
                        self.unknown.get_or_insert(e);
                        // Stands in for the field so the rest can still be checked for syntax.
                        Ok((Expr::Null, Ty::Str))
                    }
                }
            }
            _ => Err(self.expected("a value")),
        }
    }

    fn parse_call(&mut self, f: Func, name: &str, at: usize) -> Result<(Expr, Ty), FilterError> {
        self.pos += 1; // '('
        self.enter()?;
        let mut args = Vec::new();
        let mut types = Vec::new();
        let mut starts = Vec::new();
        if !self.eat(&Kind::RParen) {
            loop {
                starts.push(self.here());
                let (e, ty) = self.parse_or()?;
                args.push(e);
                types.push(ty);
                if self.eat(&Kind::Comma) {
                    continue;
                }
                self.expect(Kind::RParen, "',' or ')'")?;
                break;
            }
        }
        self.depth -= 1;
        use Ty::{Int, Str};
        let (params, ret): (&[Ty], Ty) = match f {
            Func::ToLower | Func::ToUpper | Func::Trim => (&[Str], Str),
            Func::Substring if args.len() == 3 => (&[Str, Int, Int], Str),
            Func::Substring => (&[Str, Int], Str),
            Func::Concat => (&[Str, Str], Str),
            Func::IndexOf => (&[Str, Str], Int),
            Func::Length if types.first() == Some(&Ty::Groups) => (&[Ty::Groups], Int),
            Func::Length => (&[Str], Int),
            Func::StartsWith | Func::EndsWith | Func::Contains => (&[Str, Str], Ty::Bool),
        };
        if args.len() != params.len() {
            let want = if f == Func::Substring {
                "2 or 3".to_string()
            } else {
                params.len().to_string()
            };
            return Err(self.err_at(
                at,
                format!("{name}() takes {want} arguments, not {}", args.len()),
            ));
        }
        for ((ty, want), start) in types.iter().zip(params).zip(&starts) {
            if !fits(*ty, *want) {
                return Err(self.err_at(
                    *start,
                    format!("{name}() expects {} here, not {}", want.name(), ty.name()),
                ));
            }
        }
        Ok((Expr::Call(f, args), ret))
    }
}

// ---------------------------------------------------------------- evaluation

fn opt_str(s: Option<&str>) -> Val<'_> {
    s.map_or(Val::Null, |s| Val::Str(Cow::Borrowed(s)))
}

fn eval<'a>(e: &'a Expr, c: &'a Subject<'a>) -> Val<'a> {
    match e {
        Expr::Null => Val::Null,
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Int(n) => Val::Int(*n),
        Expr::Str(s) => Val::Str(Cow::Borrowed(s)),
        Expr::Field(Field::UserId) => opt_str(c.user_id),
        Expr::Field(Field::ConnectionId) => Val::Str(Cow::Borrowed(c.connection_id)),
        Expr::Field(Field::Protocol) => opt_str(c.protocol.name()),
        Expr::Field(Field::Groups) => Val::Groups(c.groups),
        Expr::Not(inner) => Val::Bool(!truthy(inner, c)),
        Expr::And(items) => Val::Bool(items.iter().all(|i| truthy(i, c))),
        Expr::Or(items) => Val::Bool(items.iter().any(|i| truthy(i, c))),
        Expr::Compare(op, l, r) => Val::Bool(compare(*op, &eval(l, c), &eval(r, c))),
        Expr::InGroups(item) => Val::Bool(match eval(item, c) {
            Val::Str(s) => c.groups.contains(s.as_ref()),
            _ => false,
        }),
        Expr::InList(item, list) => {
            let v = eval(item, c);
            Val::Bool(list.iter().any(|i| compare(Cmp::Eq, &v, &eval(i, c))))
        }
        Expr::Call(f, args) => call(*f, args, c),
    }
}

fn truthy(e: &Expr, c: &Subject<'_>) -> bool {
    matches!(eval(e, c), Val::Bool(true))
}

/// Equality is exact and null equals only null; ordering compares integers only, and any
/// other pair (or a null) makes the comparison false.
fn compare(op: Cmp, l: &Val, r: &Val) -> bool {
    match op {
        Cmp::Eq => l == r,
        Cmp::Ne => l != r,
        _ => match (l, r) {
            (Val::Int(a), Val::Int(b)) => match op {
                Cmp::Gt => a > b,
                Cmp::Ge => a >= b,
                Cmp::Lt => a < b,
                _ => a <= b,
            },
            _ => false,
        },
    }
}

fn call<'a>(f: Func, args: &'a [Expr], c: &'a Subject<'a>) -> Val<'a> {
    let arg = |i: usize| args.get(i).map_or(Val::Null, |a| eval(a, c));
    let int = |i: usize| match arg(i) {
        Val::Int(n) => Some(n),
        _ => None,
    };
    let first = arg(0);
    if let (Func::Length, Val::Groups(g)) = (f, &first) {
        return Val::Int(i64::try_from(g.len()).unwrap_or(i64::MAX));
    }
    let Val::Str(s) = first else {
        // String functions on null give null; predicates are false and indexof is -1.
        return match f {
            Func::StartsWith | Func::EndsWith | Func::Contains => Val::Bool(false),
            Func::IndexOf => Val::Int(-1),
            _ => Val::Null,
        };
    };
    let second = || match arg(1) {
        Val::Str(t) => Some(t),
        _ => None,
    };
    match f {
        Func::ToLower => Val::Str(Cow::Owned(s.to_lowercase())),
        Func::ToUpper => Val::Str(Cow::Owned(s.to_uppercase())),
        Func::Trim => Val::Str(match s {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
            Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
        }),
        Func::Length => Val::Int(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)),
        Func::Substring => {
            let (Some(start), len) = (int(1), int(2)) else {
                return Val::Null;
            };
            if args.len() == 3 && len.is_none() {
                return Val::Null;
            }
            let start = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
            let len = len.map(|n| usize::try_from(n.max(0)).unwrap_or(usize::MAX));
            let iter = s.chars().skip(start);
            Val::Str(Cow::Owned(match len {
                Some(n) => iter.take(n).collect(),
                None => iter.collect(),
            }))
        }
        Func::Concat => match second() {
            Some(t) => Val::Str(Cow::Owned(format!("{s}{t}"))),
            None => Val::Null,
        },
        Func::IndexOf => Val::Int(second().and_then(|t| s.find(t.as_ref())).map_or(-1, |b| {
            i64::try_from(s[..b].chars().count()).unwrap_or(i64::MAX)
        })),
        Func::StartsWith => Val::Bool(second().is_some_and(|t| s.starts_with(t.as_ref()))),
        Func::EndsWith => Val::Bool(second().is_some_and(|t| s.ends_with(t.as_ref()))),
        Func::Contains => Val::Bool(second().is_some_and(|t| s.contains(t.as_ref()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection as the tests describe it; `subject()` is what the filter sees.
    struct Conn {
        id: String,
        user: Option<String>,
        protocol: Protocol,
        groups: HashSet<String>,
    }

    impl Conn {
        fn subject(&self) -> Subject<'_> {
            Subject {
                connection_id: &self.id,
                user_id: self.user.as_deref(),
                protocol: self.protocol,
                groups: &self.groups,
            }
        }
    }

    fn entry(id: &str, user: Option<&str>, groups: &[&str], protocol: Protocol) -> Conn {
        Conn {
            id: id.into(),
            user: user.map(str::to_string),
            protocol,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn alice() -> Conn {
        entry("c1", Some("alice"), &["g1", "g2"], Protocol::Json)
    }

    fn anon() -> Conn {
        entry("c2", None, &[], Protocol::Raw)
    }

    fn yes(f: &str, c: &Conn) -> bool {
        Filter::parse(f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .matches(&c.subject())
    }

    fn parse_err(f: &str) -> String {
        Filter::parse(f).expect_err(f).to_string()
    }

    #[test]
    fn comparisons_on_identifiers_case_insensitive_names_exact_values() {
        let a = alice();
        assert!(yes("userId eq 'alice'", &a));
        assert!(yes("USERID eq 'alice'", &a));
        assert!(!yes("userId eq 'Alice'", &a));
        assert!(yes("userId ne 'bob'", &a));
        assert!(yes("connectionId eq 'c1'", &a));
        assert!(yes("ConnectionID ne 'c2'", &a));
        assert!(yes("protocol eq 'json.webpubsub.azure.v1'", &a));
        assert!(yes("protocol eq null", &anon()));
    }

    #[test]
    fn null_semantics() {
        let n = anon();
        assert!(yes("userId eq null", &n));
        assert!(!yes("userId ne null", &n));
        assert!(!yes("userId eq 'x'", &n));
        assert!(yes("userId ne 'x'", &n));
        assert!(yes("userId ne null", &alice()));
        assert!(!yes("length(userId) gt 0", &n));
        assert!(!yes("length(userId) le 0", &n));
        assert!(yes("indexof(userId, 'a') eq -1", &n));
        assert!(!yes("startswith(userId, 'a')", &n));
        assert!(!yes("contains(userId, '')", &n));
        assert!(yes("tolower(userId) eq null", &n));
        assert!(yes("concat(userId, 'x') eq null", &n));
    }

    #[test]
    fn ordering_compares_integers_only() {
        let a = alice();
        assert!(yes("length(userId) gt 4", &a));
        assert!(yes("length(userId) ge 5", &a));
        assert!(!yes("length(userId) lt 5", &a));
        assert!(yes("length(userId) le 5", &a));
        assert!(yes("-1 lt +1", &a));
        assert!(!yes("userId gt 'a'", &a));
    }

    #[test]
    fn groups_membership_and_lists() {
        let a = alice();
        assert!(yes("'g1' in groups", &a));
        assert!(yes("'g1' in GROUPS", &a));
        assert!(!yes("'g3' in groups", &a));
        assert!(yes("userId in ('bob', 'alice')", &a));
        assert!(!yes("userId in ('bob')", &a));
        assert!(yes("length(groups) eq 2", &a));
        assert!(yes("length(groups) eq 0", &anon()));
        assert!(yes("userId in (null, 'x')", &anon()));
        assert!(yes("concat('g', '2') in groups", &a));
    }

    #[test]
    fn logic_and_precedence() {
        let a = alice();
        assert!(yes("userId eq 'alice' and 'g1' in groups", &a));
        assert!(!yes("userId eq 'alice' and 'g9' in groups", &a));
        assert!(yes("userId eq 'bob' or connectionId eq 'c1'", &a));
        // and binds tighter than or
        assert!(yes("true or false and false", &a));
        assert!(!yes("(true or false) and false", &a));
        assert!(yes("not ('g9' in groups)", &a));
        assert!(yes("not false and true", &a));
        assert!(yes("not not true", &a));
        assert!(yes("userId eq 'alice' and (not ('group1' in groups))", &a));
        assert!(yes("TRUE", &a));
    }

    #[test]
    fn string_functions() {
        let a = alice();
        assert!(yes("tolower('AbC') eq 'abc'", &a));
        assert!(yes("toupper(userId) eq 'ALICE'", &a));
        assert!(yes("trim('  x ') eq 'x'", &a));
        assert!(yes("substring(userId, 1) eq 'lice'", &a));
        assert!(yes("substring(userId, 1, 2) eq 'li'", &a));
        assert!(yes("substring(userId, 10) eq ''", &a));
        assert!(yes("substring('héllo', 1, 1) eq 'é'", &a));
        assert!(yes("concat(userId, '-1') eq 'alice-1'", &a));
        assert!(yes("indexof(userId, 'ice') eq 2", &a));
        assert!(yes("indexof(userId, 'zz') eq -1", &a));
        assert!(yes("length('héllo') eq 5", &a));
        assert!(yes("startswith(userId, 'al')", &a));
        assert!(yes("endswith(userId, 'ce')", &a));
        assert!(yes("contains(userId, 'lic')", &a));
        assert!(yes("StartsWith(userId, 'al')", &a));
    }

    #[test]
    fn string_literals_escape_quotes_by_doubling() {
        let c = entry("c", Some("o'brien"), &[], Protocol::Raw);
        assert!(yes("userId eq 'o''brien'", &c));
        assert!(yes("'' eq ''", &c));
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(
            parse_err("userId eq"),
            "at position 9: expected a value, found the end of the filter"
        );
        assert_eq!(
            parse_err("userId eq 'a' and"),
            "at position 17: expected a value, found the end of the filter"
        );
        assert!(parse_err("userId eq 'a").starts_with("at position 10: unterminated"));
        assert!(parse_err("userId eq 'a' xx").starts_with("at position 16: unexpected 'xx'"));
        assert!(parse_err("invalid filter").starts_with("at position 14: unexpected 'filter'"));
        assert!(parse_err("(userId eq 'a'").starts_with("at position 14: expected ')'"));
        assert!(parse_err("nope eq 'a'").starts_with("at position 0: unknown identifier"));
        assert!(
            parse_err("userId eq 'a' & true").starts_with("at position 14: unexpected character")
        );
        assert!(parse_err("not length(userId) gt 5").starts_with("at position 4:"));
        assert!(parse_err("userId").contains("not a condition"));
        assert!(parse_err("length(1) eq 1").contains("expects a string"));
        assert!(parse_err("substring(userId) eq 'a'").contains("2 or 3 arguments"));
        assert!(parse_err("frob(userId)").contains("unknown function"));
        assert!(parse_err("groups eq 'a'").contains("collection"));
        assert!(parse_err("'a' in userId").contains("expected 'groups'"));
        assert!(parse_err("99999999999999999999 eq 1").contains("out of range"));
        assert!(parse_err("").contains("expected a value"));
        assert!(parse_err("userId eq 'a' and 1").contains("needs a condition"));
        // positions count characters, not bytes
        assert!(parse_err("'é' eq 'é' xx").starts_with("at position 13:"));
    }

    #[test]
    fn depth_is_limited() {
        let ok = format!("{}true{}", "(".repeat(99), ")".repeat(99));
        assert!(Filter::parse(&ok).is_ok());
        let deep = format!("{}true{}", "(".repeat(101), ")".repeat(101));
        assert!(parse_err(&deep).contains("deeper than 100"));
        let nots = format!("{}true", "not ".repeat(500));
        assert!(parse_err(&nots).contains("deeper than 100"));
        // long flat chains are not nesting
        let wide = vec!["userId eq 'x'"; 5000].join(" or ");
        assert!(!yes(&wide, &alice()));
    }

    /// Random token soup and mutated valid filters must never panic, in parse or evaluation.
    #[test]
    fn random_inputs_never_panic() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "userId",
            "connectionId",
            "groups",
            "protocol",
            "eq",
            "ne",
            "gt",
            "ge",
            "lt",
            "le",
            "and",
            "or",
            "not",
            "in",
            "(",
            ")",
            ",",
            "'g1'",
            "'a''b'",
            "'",
            "-5",
            "+",
            "7",
            "99999999999999999999",
            "true",
            "false",
            "null",
            "tolower",
            "toupper",
            "trim",
            "substring",
            "concat",
            "indexof",
            "length",
            "startswith",
            "endswith",
            "contains",
            "é",
            "\u{0}",
            " ",
            "-",
            "x",
            "$",
            "''",
            "-9223372036854775808",
        ];
        let conns = [alice(), anon()];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut parsed = 0;
        for _ in 0..50_000 {
            let n = rng.random_range(0..14);
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(pieces[rng.random_range(0..pieces.len())]);
                if rng.random_bool(0.8) {
                    s.push(' ');
                }
            }
            if let Ok(f) = Filter::parse(&s) {
                parsed += 1;
                for c in &conns {
                    f.matches(&c.subject());
                }
            }
            let bytes: Vec<u8> = (0..rng.random_range(0..20)).map(|_| rng.random()).collect();
            let _ = Filter::parse(&String::from_utf8_lossy(&bytes));
        }
        assert!(
            parsed > 100,
            "the generator should produce some valid filters ({parsed})"
        );
    }
}
