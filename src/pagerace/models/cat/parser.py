"""Parsing herd7's cat language: the syntax tree and a lark LALR(1) parser.

The grammar covers what ``linux-kernel.cat``, ``linux-kernel.bell`` and ``lock.cat`` use
(herdtools7's ``lib/modelParser.mly`` and ``lib/modelLexer.mll`` are the reference).
Operators, loosest first, as in herd's precedence table::

    |   union                    (right)
    ++  add an element to a set  (right)
    ;   sequence                 (right)
    \\   difference               (left)
    &   intersection             (right)
    *   cartesian product, and the postfix  * + ?  and the prefix  ~
    ^-1 inverse                  (tightest)

Function application (``f x``, ``f(x, y)``) binds tighter than every operator.  Names
may contain ``-`` and ``.`` (``po-loc``, ``rcu-rscs``); ``'x`` is a tag; ``0`` is the
empty relation and ``_`` the universe.  Comments: ``(* *)`` (nested), ``//`` and ``#``.

Limitations: no ``match``, ``procedure``/``call``, ``forall`` or ``let rec ... when``
(each is reported by name: herd's own library uses them, and pagerace provides those
library files natively, see :mod:`.stdlib`); ``if`` conditions are variant names only.
Every error is an :class:`~pagerace.core.errors.InputError` at ``file:line:col``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from pagerace.core.errors import InputError

# -- syntax tree -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loc:
    file: str
    line: int
    col: int

    def error(self, message: str, hint: str = "") -> InputError:
        return InputError(self.file, self.line, self.col, message, hint)


@dataclass(frozen=True, slots=True)
class Pattern:
    """What a binding or a function parameter binds: one name, or a tuple of names.
    ``None`` is ``_`` (bind nothing)."""

    names: tuple[str | None, ...]
    is_tuple: bool


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class TagLit:
    name: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Const:
    """``0`` (the empty relation), ``_`` (the universe) or ``{}`` (the empty set)."""

    what: str  # "zero" | "universe" | "emptyset"
    loc: Loc


@dataclass(frozen=True, slots=True)
class ExplicitSet:
    items: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Tuple:
    items: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class ToId:
    """``[S]``: the identity on a set."""

    arg: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Op1:
    op: str  # "comp" | "star" | "plus" | "opt" | "inv"
    arg: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Op:
    """An n-ary operator: ``union`` and ``seq`` are flattened; ``inter``, ``diff``,
    ``cartesian`` and ``add`` have two operands."""

    op: str
    args: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class App:
    fn: Expr
    arg: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Binding:
    pattern: Pattern
    expr: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Fun:
    param: Pattern
    body: Expr
    name: str
    free: frozenset[str]  # free names of the body, captured when the closure is made
    loc: Loc


@dataclass(frozen=True, slots=True)
class LetIn:
    bindings: tuple[Binding, ...]
    body: Expr
    rec: bool
    loc: Loc


@dataclass(frozen=True, slots=True)
class Try:
    body: Expr
    fallback: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class IfVariant:
    variant: str
    then: Expr
    orelse: Expr
    loc: Loc


Expr = (
    Var
    | TagLit
    | Const
    | ExplicitSet
    | Tuple
    | ToId
    | Op1
    | Op
    | App
    | Fun
    | LetIn
    | Try
    | IfVariant
)


@dataclass(frozen=True, slots=True)
class Let:
    bindings: tuple[Binding, ...]
    rec: bool
    loc: Loc


@dataclass(frozen=True, slots=True)
class Test:
    """``[flag] [~]acyclic|irreflexive|empty e [as name]``.  ``text`` is the test as
    written (herd names an unnamed check by it)."""

    kind: str  # "acyclic" | "irreflexive" | "empty"
    negated: bool
    mode: str  # "check" | "flag" | "undefined_unless"
    expr: Expr
    name: str | None
    text: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Include:
    file: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    tags: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class WithFrom:
    name: str
    expr: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class IfVariantIns:
    variant: str
    then: tuple[Instruction, ...]
    orelse: tuple[Instruction, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Ignored:
    """``show``, ``unshow``, ``instructions``, ``default``: no effect on a verdict."""

    what: str
    loc: Loc


Instruction = Let | Test | Include | Enum | WithFrom | IfVariantIns | Ignored


@dataclass(frozen=True, slots=True)
class Program:
    file: str
    title: str
    instructions: tuple[Instruction, ...]


# -- grammar -----------------------------------------------------------------------------

GRAMMAR = r"""
start: (NAME | STRING)* _ins*

_ins: let_ins | test | show | include | enum | with_from | ignored | if_ins
let_ins: "let" [REC] binds ["in"]
test: [FLAG | UNDEFINED_UNLESS] [NEG] (ACYCLIC | IRREFLEXIVE | EMPTY) exp ["as" NAME]
show: ("show" | "unshow") NAME ("," NAME)*
    | "show" exp "as" NAME
include: "include" STRING
enum: "enum" NAME "=" ["||"] TAG ("||" TAG)*
with_from: "with" NAME "from" exp
ignored: ("instructions" | "default") NAME "[" [args] "]"
if_ins: "if" STRING then_block ["else" else_block] "end"
then_block: _ins*
else_block: _ins*

binds: bind ("and" bind)*
bind: NAME "=" exp -> bind_var
    | NAME pat0 "=" exp -> bind_fun1
    | NAME "(" [formals] ")" "=" exp -> bind_funn
    | "(" [formals] ")" "=" exp -> bind_tuple
    | pat0 "," formals "=" exp -> bind_tuple
pat0: NAME | WILD
formals: pat0 ("," pat0)*

?exp: "let" [REC] binds "in" exp -> let_in
    | "fun" pat0 "->" exp -> fun1
    | "fun" "(" [formals] ")" "->" exp -> funn
    | "try" exp "with" exp -> try_with
    | "if" STRING "then" exp "else" exp -> if_variant
    | union
    | union ("," union)+ -> tuple_exp

?union: plusplus | union "|" plusplus -> union
?plusplus: seq | seq "++" plusplus -> add
?seq: diff | seq ";" diff -> seq
?diff: inter | diff "\\" inter -> diff
?inter: cart | cart "&" inter -> inter
?cart: postfix | postfix "*" prefix -> cartesian
?postfix: prefix
    | postfix "*" -> star
    | postfix "+" -> plus
    | postfix "?" -> opt
?prefix: hat | "~" prefix -> comp
?hat: atom | hat "^" "-1" -> inv
?atom: simple | app
?app: var | app arg -> apply
?arg: var | simple
var: NAME
?simple: "0" -> zero
    | TAG -> tag
    | "{" [args] "}" -> explicit_set
    | WILD -> universe
    | "(" ")" -> unit
    | "(" exp ")"
    | "begin" exp "end"
    | "[" exp "]" -> to_id
args: union ("," union)*

REC: "rec"
WILD: "_"
FLAG: "flag"
UNDEFINED_UNLESS: "undefined_unless"
ACYCLIC: "acyclic"
IRREFLEXIVE: "irreflexive"
EMPTY: "empty"
NEG.2: /~(?=[ \t\r\n]*(acyclic|irreflexive|empty)(?![A-Za-z0-9_.'\-]))/
NAME: /_?[A-Za-z][A-Za-z0-9_.\-]*'?/
TAG: /'_?[A-Za-z][A-Za-z0-9_.\-]*'?/
STRING: /"[^"]*"/
%ignore /[ \t\r\n\f]+/
"""

# herd keywords this interpreter does not implement, and what each is.
UNSUPPORTED = {
    "match": "pattern matching is not supported",
    "procedure": "procedures are not supported",
    "call": "procedures are not supported",
    "forall": "`forall` is not supported",
    "when": "`let rec ... when` is not supported",
    "debug": "`debug` is not supported",
}
_UNSUPPORTED_RE = re.compile(r"(?<![A-Za-z0-9_.'\-])(" + "|".join(UNSUPPORTED) + r")(?![\w.'\-])")
_TERMINAL_NAMES = {
    "NAME": "a name",
    "TAG": "a tag ('x)",
    "STRING": 'a string ("...")',
    "NEG": "`~`",
    "WILD": "`_`",
    "REC": "`rec`",
    "$END": "end of file",
}


@cache
def lark_parser() -> Lark:
    """The LALR parser (built once per process)."""
    return Lark(
        GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False
    )


def parse_file(path: str | Path, name: str | None = None) -> Program:
    """Read and parse one cat (or bell) file; ``name`` is used in error messages."""
    shown = name if name is not None else str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(shown, 1, 1, f"not a UTF-8 text file ({e.reason})") from None
    except OSError as e:
        raise InputError(shown, 1, 1, f"cannot read the file: {e.strerror}") from None
    return parse_text(text, shown)


def parse_text(text: str, file: str = "<cat>") -> Program:
    """Parse the text of one cat file; ``file`` names it in error messages."""
    code = strip_comments(text, file)
    _reject_unsupported(code, file)
    try:
        tree = lark_parser().parse(code)
    except UnexpectedInput as e:
        raise _syntax_error(e, code, file) from None
    try:
        program: Program = _Build(file, code).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, InputError):
            raise e.orig_exc from None
        raise
    return program


_COMMENT_OR_STRING = re.compile(r'"|\(\*|//|#')
_COMMENT_NEST = re.compile(r"\(\*|\*\)")


def strip_comments(text: str, file: str) -> str:
    """``text`` with every comment blanked out (newlines kept, so positions hold)."""
    out: list[str] = []
    pos = 0
    while (m := _COMMENT_OR_STRING.search(text, pos)) is not None:
        start = m.start()
        out.append(text[pos:start])
        if m.group() == '"':
            end = text.find('"', start + 1)
            if end < 0:
                raise _at(text, start, file, "unterminated string")
            out.append(text[start : end + 1])
            pos = end + 1
            continue
        if m.group() == "(*":
            end = _comment_end(text, start, file)
        else:  # // or # to the end of the line
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
        out.append(re.sub(r"[^\n]", " ", text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _comment_end(text: str, start: int, file: str) -> int:
    depth, pos = 0, start
    while (m := _COMMENT_NEST.search(text, pos)) is not None:
        depth += 1 if m.group() == "(*" else -1
        pos = m.end()
        if depth == 0:
            return pos
    raise _at(text, start, file, "unterminated comment", "a `(*` has no matching `*)`")


def _at(text: str, offset: int, file: str, message: str, hint: str = "") -> InputError:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return InputError(file, line, col, message, hint)


def _reject_unsupported(code: str, file: str) -> None:
    blanked = re.sub(r'"[^"]*"', lambda m: " " * len(m.group()), code)
    m = _UNSUPPORTED_RE.search(blanked)
    if m is not None:
        raise _at(
            code,
            m.start(),
            file,
            f"unsupported cat construct `{m.group()}`: {UNSUPPORTED[m.group()]}",
            "pagerace interprets the subset of cat the Linux-kernel model uses",
        )


def _syntax_error(e: UnexpectedInput, text: str, file: str) -> InputError:
    line, col = max(e.line, 1), max(e.column, 1)
    if isinstance(e, UnexpectedCharacters):
        return InputError(file, line, col, f"unexpected character {e.char!r}")
    if not isinstance(e, UnexpectedToken) or e.token.type == "$END":
        lines = text.rstrip().split("\n")
        expected = _describe(set(e.expected)) if isinstance(e, UnexpectedToken) else ""
        return InputError(
            file,
            len(lines),
            len(lines[-1]) + 1,
            "unexpected end of file" + (f"; expected {expected}" if expected else ""),
        )
    return InputError(
        file, line, col, f"unexpected `{e.token}`; expected {_describe(set(e.expected))}"
    )


def _describe(expected: set[str]) -> str:
    names = set()
    for t in expected:
        if t in _TERMINAL_NAMES:
            names.add(_TERMINAL_NAMES[t])
            continue
        pattern = lark_parser().get_terminal(t).pattern
        names.add(f"`{pattern.value}`" if pattern.type == "str" else t.lower())
    shown = sorted(names)
    text = ", ".join(shown[:10]) + (", ..." if len(shown) > 10 else "")
    return f"one of {text}" if len(shown) > 1 else text


# -- tree -> syntax ----------------------------------------------------------------------


_TEST_KINDS = ("ACYCLIC", "IRREFLEXIVE", "EMPTY")


def _tokens(children: list[Any], kind: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type == kind]


@v_args(meta=True)
class _Build(Transformer[Token, Any]):
    """Parse tree -> syntax nodes (positions from lark's propagated ``meta``)."""

    def __init__(self, file: str, code: str) -> None:
        super().__init__()
        self.file, self.code = file, code

    def __default__(self, data: Any, children: list[Any], meta: Any) -> Any:
        raise AssertionError(f"[pagerace internal bug] no rule for {data}")

    def _loc(self, meta: Any) -> Loc:
        return Loc(self.file, getattr(meta, "line", 1), getattr(meta, "column", 1))

    def _tloc(self, tok: Token) -> Loc:
        return Loc(self.file, tok.line or 1, tok.column or 1)

    # -- instructions --------------------------------------------------------------------
    def start(self, meta: Any, ch: list[Any]) -> Program:
        ident = [c for c in ch if isinstance(c, Token)]
        strings = [str(t)[1:-1] for t in ident if t.type == "STRING"]
        title = strings[0] if strings else (str(ident[0]) if ident else "")
        instructions = tuple(c for c in ch if not isinstance(c, Token))
        return Program(self.file, title, instructions)

    def let_ins(self, meta: Any, ch: list[Any]) -> Let:
        return Let(ch[-1], bool(_tokens(ch, "REC")), self._loc(meta))

    def test(self, meta: Any, ch: list[Any]) -> Test:
        mode = _tokens(ch, "FLAG") + _tokens(ch, "UNDEFINED_UNLESS")
        kind = next(str(c) for c in ch if isinstance(c, Token) and c.type in _TEST_KINDS)
        names = _tokens(ch, "NAME")
        expr = next(c for c in ch if not isinstance(c, Token))
        text = " ".join(self.code[meta.start_pos : meta.end_pos].split())
        if names:  # herd names a check by its text without the `as name` part
            text = text[: text.rfind(" as ")]
        if mode:
            text = text[len(mode[0]) :].lstrip()
        return Test(
            kind=kind,
            negated=bool(_tokens(ch, "NEG")),
            mode=str(mode[0]) if mode else "check",
            expr=expr,
            name=str(names[0]) if names else None,
            text=text,
            loc=self._loc(meta),
        )

    def show(self, meta: Any, ch: list[Any]) -> Ignored:
        return Ignored("show", self._loc(meta))

    def ignored(self, meta: Any, ch: list[Any]) -> Ignored:
        return Ignored("instructions", self._loc(meta))

    def include(self, meta: Any, ch: list[Any]) -> Include:
        return Include(str(ch[0])[1:-1], self._loc(meta))

    def enum(self, meta: Any, ch: list[Any]) -> Enum:
        tags = tuple(str(t)[1:] for t in _tokens(ch, "TAG"))
        return Enum(str(ch[0]), tags, self._loc(meta))

    def with_from(self, meta: Any, ch: list[Any]) -> WithFrom:
        return WithFrom(str(ch[0]), ch[1], self._loc(meta))

    def if_ins(self, meta: Any, ch: list[Any]) -> IfVariantIns:
        orelse = ch[2] if len(ch) > 2 else ()
        return IfVariantIns(str(ch[0])[1:-1], ch[1], orelse, self._loc(meta))

    def then_block(self, meta: Any, ch: list[Any]) -> tuple[Instruction, ...]:
        return tuple(ch)

    else_block = then_block

    # -- bindings ------------------------------------------------------------------------
    def binds(self, meta: Any, ch: list[Any]) -> tuple[Binding, ...]:
        return tuple(ch)

    def pat0(self, meta: Any, ch: list[Any]) -> str | None:
        return None if ch[0].type == "WILD" else str(ch[0])

    def formals(self, meta: Any, ch: list[Any]) -> list[str | None]:
        return list(ch)

    def bind_var(self, meta: Any, ch: list[Any]) -> Binding:
        return Binding(Pattern((str(ch[0]),), False), ch[1], self._loc(meta))

    def bind_fun1(self, meta: Any, ch: list[Any]) -> Binding:
        name, param, body = str(ch[0]), ch[1], ch[2]
        fun = _fun(Pattern((param,), False), body, name, self._loc(meta))
        return Binding(Pattern((name,), False), fun, self._loc(meta))

    def bind_funn(self, meta: Any, ch: list[Any]) -> Binding:
        name, formals, body = str(ch[0]), (ch[1] if len(ch) > 2 else []), ch[-1]
        fun = _fun(_pattern(formals), body, name, self._loc(meta))
        return Binding(Pattern((name,), False), fun, self._loc(meta))

    def bind_tuple(self, meta: Any, ch: list[Any]) -> Binding:
        names: list[str | None] = []
        for c in ch[:-1]:
            names.extend(c if isinstance(c, list) else [c])
        return Binding(_pattern(names), ch[-1], self._loc(meta))

    # -- expressions ---------------------------------------------------------------------
    def let_in(self, meta: Any, ch: list[Any]) -> LetIn:
        rec = bool(_tokens(ch, "REC"))
        return LetIn(ch[-2], ch[-1], rec, self._loc(meta))

    def fun1(self, meta: Any, ch: list[Any]) -> Fun:
        return _fun(Pattern((ch[0],), False), ch[1], "*fun*", self._loc(meta))

    def funn(self, meta: Any, ch: list[Any]) -> Fun:
        formals = ch[0] if len(ch) > 1 else []
        return _fun(_pattern(formals), ch[-1], "*fun*", self._loc(meta))

    def try_with(self, meta: Any, ch: list[Any]) -> Try:
        return Try(ch[0], ch[1], self._loc(meta))

    def if_variant(self, meta: Any, ch: list[Any]) -> IfVariant:
        return IfVariant(str(ch[0])[1:-1], ch[1], ch[2], self._loc(meta))

    def tuple_exp(self, meta: Any, ch: list[Any]) -> Tuple:
        return Tuple(tuple(ch), self._loc(meta))

    def unit(self, meta: Any, ch: list[Any]) -> Tuple:
        return Tuple((), self._loc(meta))

    def _flat(self, op: str, meta: Any, ch: list[Any]) -> Op:
        args: list[Expr] = []
        for c in ch:
            args.extend(c.args if isinstance(c, Op) and c.op == op else (c,))
        return Op(op, tuple(args), self._loc(meta))

    def union(self, meta: Any, ch: list[Any]) -> Op:
        return self._flat("union", meta, ch)

    def seq(self, meta: Any, ch: list[Any]) -> Op:
        return self._flat("seq", meta, ch)

    def add(self, meta: Any, ch: list[Any]) -> Op:
        return Op("add", tuple(ch), self._loc(meta))

    def diff(self, meta: Any, ch: list[Any]) -> Op:
        return Op("diff", tuple(ch), self._loc(meta))

    def inter(self, meta: Any, ch: list[Any]) -> Op:
        return Op("inter", tuple(ch), self._loc(meta))

    def cartesian(self, meta: Any, ch: list[Any]) -> Op:
        return Op("cartesian", tuple(ch), self._loc(meta))

    def star(self, meta: Any, ch: list[Any]) -> Op1:
        return Op1("star", ch[0], self._loc(meta))

    def plus(self, meta: Any, ch: list[Any]) -> Op1:
        return Op1("plus", ch[0], self._loc(meta))

    def opt(self, meta: Any, ch: list[Any]) -> Op1:
        return Op1("opt", ch[0], self._loc(meta))

    def comp(self, meta: Any, ch: list[Any]) -> Op1:
        return Op1("comp", ch[0], self._loc(meta))

    def inv(self, meta: Any, ch: list[Any]) -> Op1:
        return Op1("inv", ch[0], self._loc(meta))

    def apply(self, meta: Any, ch: list[Any]) -> App:
        return App(ch[0], ch[1], self._loc(meta))

    def var(self, meta: Any, ch: list[Any]) -> Var:
        return Var(str(ch[0]), self._tloc(ch[0]))

    def zero(self, meta: Any, ch: list[Any]) -> Const:
        return Const("zero", self._loc(meta))

    def universe(self, meta: Any, ch: list[Any]) -> Const:
        return Const("universe", self._loc(meta))

    def tag(self, meta: Any, ch: list[Any]) -> TagLit:
        return TagLit(str(ch[0])[1:], self._tloc(ch[0]))

    def explicit_set(self, meta: Any, ch: list[Any]) -> ExplicitSet | Const:
        items = tuple(ch[0]) if ch else ()
        return ExplicitSet(items, self._loc(meta)) if items else Const("emptyset", self._loc(meta))

    def to_id(self, meta: Any, ch: list[Any]) -> ToId:
        return ToId(ch[0], self._loc(meta))

    def args(self, meta: Any, ch: list[Any]) -> list[Expr]:
        return list(ch)


def _pattern(names: list[str | None]) -> Pattern:
    return Pattern(tuple(names), len(names) != 1)


def _fun(param: Pattern, body: Expr, name: str, loc: Loc) -> Fun:
    bound = {n for n in param.names if n is not None}
    return Fun(param, body, name, free_names(body) - bound, loc)


def free_names(e: Expr) -> frozenset[str]:
    """The names ``e`` reads from its environment (what a closure must capture)."""
    if isinstance(e, Var):
        return frozenset((e.name,))
    if isinstance(e, TagLit | Const):
        return frozenset()
    if isinstance(e, ExplicitSet | Tuple | Op):
        parts = e.items if isinstance(e, ExplicitSet | Tuple) else e.args
        return frozenset().union(*(free_names(p) for p in parts))
    if isinstance(e, ToId | Op1):
        return free_names(e.arg)
    if isinstance(e, App):
        return free_names(e.fn) | free_names(e.arg)
    if isinstance(e, Fun):
        return e.free
    if isinstance(e, Try):
        return free_names(e.body) | free_names(e.fallback)
    if isinstance(e, IfVariant):
        return free_names(e.then) | free_names(e.orelse)
    bound = {n for b in e.bindings for n in b.pattern.names if n is not None}
    inner = frozenset().union(*(free_names(b.expr) for b in e.bindings))
    return (inner - bound if e.rec else inner) | (free_names(e.body) - bound)
