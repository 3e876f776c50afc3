"""Parsing C litmus files (herd7's C format, as the kernel's litmus tests use it).

The grammar is a lark LALR(1) grammar; the transformer builds :mod:`.syntax` nodes.
Every error is an :class:`~pagerace.core.errors.InputError` at ``file:line:col``.

Comments: ``(* ... *)`` anywhere (the doc block and notes such as
``(* Bad outcome. *)``), and C's ``//`` and ``/* */``.  A ``(*`` directly followed by a
name or ``(`` is C (``(*p)``), not a comment.

Limitations: no loops, ``switch``, ``return``, structs or arrays (each is reported by
name); casts only to the basic types of :data:`TYPES`.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.common import LexerConf
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import Lexer, TerminalDef

from pagerace.core.errors import InputError
from pagerace.litmus import syntax as s

TYPES = (
    *(r"struct\s+srcu_struct",),  # the one struct litmus tests use (SRCU's domain)
    *("int", "long", "short", "char", "unsigned", "signed", "void", "bool", "_Bool"),
    *("const", "volatile", "atomic_t", "atomic_long_t", "spinlock_t", "intptr_t"),
    *("uintptr_t", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "size_t"),
)
UNSUPPORTED = (
    *("while", "for", "do", "switch", "case", "goto", "return", "break", "continue"),
    *("struct", "union", "sizeof"),
)

GRAMMAR = r"""
start: "C" TEST_NAME init_block? proc+ locations? filter? condition?

init_block: "{" init_stmt* init_item? "}"
?init_stmt: init_item ";" | ";" -> empty
init_item: TYPE* STAR* target ("=" init_value)?
?init_value: value | "ATOMIC_INIT" "(" SIGNED_INT ")" -> number

proc: NAME "(" [param ("," param)*] ")" block
param: TYPE+ STAR* NAME

block: "{" stmt* "}"
?stmt: block
    | TYPE+ declarator ("," declarator)* ";" -> decl
    | expr ";" -> expr_stmt
    | expr "=" expr ";" -> assign
    | IF "(" expr ")" stmt ["else" stmt] -> if_stmt
    | ";" -> empty
    | UNSUPPORTED
declarator: STAR* NAME ["=" expr]

?expr: unary | unary (BINOP unary)+ -> binary
?unary: postfix
    | (STAR | AMP | BANG | MINUS | TILDE) unary -> unary
    | "(" TYPE+ STAR* ")" unary -> cast
?postfix: NAME "(" [expr ("," expr)*] ")" -> call
    | NAME -> var
    | INT -> num
    | "(" expr ")"

locations: "locations" "[" [target (";" target)* ";"?] "]"
filter: "filter" prop
condition: "exists" prop -> exists
    | "~" "exists" prop -> not_exists
    | "forall" prop -> forall

?prop: pconj | prop "\\/" pconj -> p_or
?pconj: pnot | pconj "/\\" pnot -> p_and
?pnot: "~" pnot -> p_not | "not" pnot -> p_not | patom
?patom: "(" prop ")"
    | TRUE -> p_const
    | FALSE -> p_const
    | target ("=" | "==") value -> p_eq
    | target ("!=" | "<>") value -> p_ne
target: NAME | "[" NAME "]" | PROC_REG
?value: SIGNED_INT -> number | NAME -> address | "&" NAME -> address

TEST_NAME: /[^\s]+/
TYPE.2: /\b(TYPES)\b/
UNSUPPORTED.2: /\b(UNSUPPORTED)\b/
IF: "if"
STAR: "*"
AMP: "&"
BANG: "!"
MINUS: "-"
TILDE: "~"
TRUE: "true"
FALSE: "false"
PROC_REG.2: /[0-9]+:[A-Za-z_][A-Za-z0-9_]*/
BINOP: /\|\||&&|==|!=|<=|>=|<<|>>|[|^&<>+\-*\/%]/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /0[xX][0-9a-fA-F]+|[0-9]+/
SIGNED_INT: /-?(0[xX][0-9a-fA-F]+|[0-9]+)/
HERD_COMMENT: /\(\*(?![A-Za-z_(])[\s\S]*?\*\)/
C_COMMENT: /\/\*[\s\S]*?\*\//
LINE_COMMENT: /\/\/[^\n]*/
%import common.WS
%ignore WS
%ignore HERD_COMMENT
%ignore C_COMMENT
%ignore LINE_COMMENT
""".replace("TYPES", "|".join(TYPES)).replace("UNSUPPORTED)", "|".join(UNSUPPORTED) + ")")

# Names for the terminals an error message lists as expected.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "INT": "a number",
    "SIGNED_INT": "a number",
    "TYPE": "a type",
    "PROC_REG": "a register (0:r0)",
    "TEST_NAME": "the test name",
    "$END": "end of file",
}
_RESULT = re.compile(r"^[ \t]*(?:\(\*|\*)?[ \t]*Result:[ \t]*([A-Za-z]+(?:[ \t]+DATARACE)?)", re.M)


class _Unsupported(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__(token.value)
        self.token = token


def _reject(token: Token) -> Token:
    raise _Unsupported(token)


def _token(
    kind: str, value: str, start: int, line: int, column: int, end_column: int, end: int
) -> Token:
    """``Token(kind, value, start, line, column, line, end_column, end)`` in a third of
    the time: lark's constructor first looks for a deprecated keyword argument."""
    tok: Token = str.__new__(Token, value)
    tok.type, tok.value, tok.start_pos, tok.end_pos = kind, value, start, end
    tok.line, tok.column, tok.end_line, tok.end_column = line, column, line, end_column
    return tok


class _Lexer(Lexer):
    """A contextual lexer, as lark's own, in fewer steps per token: ignored text (white
    space, comments) is skipped by one pattern, then one compiled pattern per parser
    state matches one of the terminals that state accepts (the skipping is not in every
    state's pattern: there it made compiling the 72 patterns 40% dearer); a
    match that spells a literal terminal the state accepts (a keyword) is that literal.
    No token spans lines (``TEST_NAME``, the one pattern that could, stops at white
    space)."""

    __future_interface__ = 1  # lex(lexer_state, parser_state)

    def __init__(self, conf: LexerConf) -> None:
        order = sorted(
            conf.terminals,
            key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
        )
        self.ignore = frozenset(conf.ignore)
        self.callbacks = dict(conf.callbacks)
        # A regex terminal's match that spells a literal terminal (``if`` by NAME, ``}``
        # by TEST_NAME, ``*`` by BINOP) is that literal where the state accepts it.
        self.literals = {t.pattern.value: t.name for t in order if t.pattern.type == "str"}
        self.regex_terminals = frozenset(t.name for t in order if t.pattern.type == "re")
        self.order: list[TerminalDef] = order
        self.by_state: dict[int, re.Pattern[str]] = {}
        self.by_accepts: dict[frozenset[str], re.Pattern[str]] = {}
        self.states: dict[int, Any] = {}
        skipped = "|".join(t.pattern.to_regexp() for t in order if t.name in self.ignore)
        # Possessive: what was skipped is never given back to a token (a comment's `(`).
        self.skipped = f"(?:{skipped})*+" if skipped else ""
        self.skip = re.compile(self.skipped)

    def prepare(self, states: dict[int, Any]) -> None:
        """Compile the pattern of every parser state now (lark would on first use)."""
        self.states = states
        for state in states:
            self._scanner(state)

    def _scanner(self, state: int) -> re.Pattern[str]:
        got = self.by_state.get(state)
        if got is not None:
            return got
        accepts = frozenset(self.states[state])
        got = self.by_accepts.get(accepts)
        if got is None:
            keep = [t for t in self.order if t.name in accepts]
            alternatives = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in keep)
            got = self.by_accepts[accepts] = re.compile(alternatives or "(?!)")
        self.by_state[state] = got
        return got

    def lex(self, lexer_state: Any, parser_state: Any) -> Any:
        text: str = getattr(lexer_state.text, "text", lexer_state.text)
        if not self.states:
            self.prepare(parser_state.parse_conf.parse_table.states)
        skip, scanners, states = self.skip.match, self.by_state, self.states
        literals, regex_terminals, callbacks = self.literals, self.regex_terminals, self.callbacks
        stack = parser_state.state_stack  # its top is the parser's state
        pos, line, line_start, end = 0, 1, 0, len(text)
        last: Token | None = None
        while True:
            state = stack[-1]
            start = skip(text, pos).end()  # type: ignore[union-attr]  # matches ""
            if start != pos:  # skipped white space and comments (no token spans lines)
                newlines = text.count("\n", pos, start)
                if newlines:
                    line += newlines
                    line_start = text.rindex("\n", pos, start) + 1
            m = (scanners.get(state) or self._scanner(state)).match(text, start)
            if m is None:  # the end, or what no terminal of this state takes
                if start >= end:
                    return
                raise self._error(text, start, line, start - line_start + 1, parser_state, last)
            kind = m.lastgroup or ""
            value = m.group()
            pos = m.end()
            column = start - line_start + 1
            if kind in regex_terminals and value in literals and literals[value] in states[state]:
                kind = literals[value]
            tok = _token(kind, value, start, line, column, column + pos - start, pos)
            if kind in callbacks:
                tok = callbacks[kind](tok)
            last = tok
            yield tok

    def _error(
        self, text: str, pos: int, line: int, column: int, parser_state: Any, last: Token | None
    ) -> UnexpectedInput:
        """What this state cannot take: a token of another state where one matches (as
        lark's contextual lexer reports it: the parser then says what it expected), else
        a character no terminal takes."""
        allowed = set(self.states[parser_state.position]) - {"$END"}
        history = [last] if last is not None else None
        m = self._root().match(text, pos)
        if m is None:
            return UnexpectedCharacters(  # type: ignore[no-untyped-call]
                text, pos, line, column, allowed=allowed, state=parser_state,
                token_history=history,
            )  # fmt: skip
        kind, value = m.lastgroup or "", m.group()
        kind = self.literals.get(value, kind) if kind in self.regex_terminals else kind
        tok = Token(kind, value, pos, line, column)
        return UnexpectedToken(  # type: ignore[no-untyped-call]
            tok, allowed, state=parser_state, token_history=history
        )

    def _root(self) -> re.Pattern[str]:
        """Every terminal, for error messages only."""
        return re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in self.order))


@cache
def lark_parser() -> Lark:
    """The LALR parser, built once per process with its lexer's patterns compiled: lark's
    grammar analysis is cached on disk (``cache=True``: about 0.02 s instead of 0.2 s
    after the first run).  The parse tree is never built: :class:`_Build` runs as each
    rule is reduced."""
    parser = Lark(
        GRAMMAR,
        parser="lalr",
        lexer=_Lexer,
        maybe_placeholders=True,
        lexer_callbacks={"UNSUPPORTED": _reject},
        transformer=_BUILD,
        cache=True,
    )
    frontend: Any = parser.parser
    lexer = getattr(frontend.lexer, "lexer", frontend.lexer)
    table = getattr(getattr(getattr(frontend, "parser", None), "parser", None), "parse_table", None)
    if isinstance(lexer, _Lexer) and table is not None:
        lexer.prepare(table.states)
    return parser


class _Driver:
    """What :class:`_Lexer` reads of a parser: the state stack (its top picks the
    terminals the next token may be)."""

    __slots__ = ("state_stack",)

    def __init__(self, start: int) -> None:
        self.state_stack = [start]


_END = Token("$END", "")


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


@cache
def _tables() -> tuple[dict[int, dict[str, Any]], int, int, dict[str, Any], _Lexer]:
    """lark's LALR table with each reduction resolved once: a shift is the next state
    (an int), a reduction ``(size, callback, rule's symbol)``."""
    parser: Any = lark_parser()
    frontend = parser.parser
    lalr = frontend.parser.parser
    table, callbacks = lalr.parse_table, lalr.callbacks
    rows: dict[int, dict[str, Any]] = {}
    for state, actions in table.states.items():
        row: dict[str, Any] = {}
        for terminal, (action, arg) in actions.items():
            if action.name == "Shift":
                row[terminal] = arg
            else:
                row[terminal] = (len(arg.expansion), callbacks[arg], arg.origin.name)
        rows[state] = row
    on_token = {k: v for k, v in callbacks.items() if isinstance(k, str)}
    lexer = getattr(frontend.lexer, "lexer", frontend.lexer)
    assert isinstance(lexer, _Lexer)
    return rows, table.start_states["start"], table.end_states["start"], on_token, lexer


def _fast_parse(text: str) -> Any:
    """The LALR loop of lark's parser over the same table, lexer and transformer, with
    the per-token bookkeeping taken out (about half of lark's parsing time).  Any error
    raises, and :func:`parse_text` parses again with lark, which reports it."""
    rows, start, end, on_token, lexer = _tables()
    driver = _Driver(start)
    stack = driver.state_stack
    values: list[Any] = []
    for tok in chain(lexer.lex(_Text(text), driver), (_END,)):
        kind = tok.type
        while True:
            act = rows[stack[-1]][kind]
            if type(act) is int:
                stack.append(act)
                values.append(on_token[kind](tok) if kind in on_token else tok)
                break
            size, callback, origin = act
            if size:
                children = values[-size:]
                del stack[-size:], values[-size:]
            else:
                children = []
            values.append(callback(children))
            stack.append(rows[stack[-1]][origin])
            if stack[-1] == end and tok is _END:
                return values[-1]
    raise AssertionError("unreachable: $END is reduced to the start symbol or raises")


def parse_file(path: str | Path) -> s.LitmusTest:
    """Read and parse one ``.litmus`` file."""
    name = str(path)
    try:
        with open(path, "rb") as f:  # (a third of the time of Path.read_text)
            text = f.read().decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(name, 1, 1, f"not a UTF-8 text file ({e.reason})") from None
    except OSError as e:
        raise InputError(name, 1, 1, f"cannot read the file: {e.strerror}") from None
    if "\r" in text:  # universal newlines, as text mode reads them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return parse_text(text, name)


def parse_text(text: str, file: str = "<litmus>", parser: Lark | None = None) -> s.LitmusTest:
    """Parse the text of one C litmus test; ``file`` names it in error messages.
    ``parser``: another Lark parser of :data:`GRAMMAR` with ``transformer=TRANSFORMER``
    (tests compare lark's own lexer with :class:`_Lexer`).  One parse at a time per
    process: the transformer holds the file being parsed."""
    _BUILD.file, _BUILD.expected = file, _expected(text)
    if parser is None:
        try:
            return _fast_parse(text)  # type: ignore[no-any-return]
        except Exception:
            pass
    try:
        test: s.LitmusTest = (parser or lark_parser()).parse(text)  # type: ignore[assignment]
    except _Unsupported as e:
        t = e.token
        raise InputError(
            file,
            t.line or 1,
            t.column or 1,
            f"unsupported C: `{t.value}`",
            "litmus bodies may use declarations, assignments, if/else and kernel macros",
        ) from None
    except UnexpectedInput as e:
        raise _syntax_error(e, text, file) from None
    except VisitError as e:
        if isinstance(e.orig_exc, InputError):
            raise e.orig_exc from None
        raise
    return test


def _expected(text: str) -> str | None:
    m = _RESULT.search(text)
    return " ".join(m.group(1).split()) if m else None


def _syntax_error(e: UnexpectedInput, text: str, file: str) -> InputError:
    line, col = max(e.line, 1), max(e.column, 1)
    if isinstance(e, UnexpectedCharacters):
        return InputError(file, line, col, f"unexpected character {e.char!r}")
    if not isinstance(e, UnexpectedToken):
        return InputError(file, *_end_of(text), "unexpected end of file")
    tok = e.token
    if tok.type == "TEST_NAME" and e.token_history:  # what no other terminal takes
        return InputError(file, line, col, f"unexpected character {tok[0]!r}")
    expected = _accepts(e)
    if expected & {"C", "TEST_NAME"}:
        return InputError(
            file, line, col, f"unexpected `{tok}`", "a C litmus test starts with `C NAME`"
        )
    prev = e.token_history[-1] if e.token_history else None
    if (
        "SEMICOLON" in expected
        and prev is not None
        and (tok.type == "$END" or prev.end_line != tok.line)
    ):
        # The usual slip: a statement's `;` left out at the end of a line.
        return InputError(
            file, prev.end_line or 1, prev.end_column or 1, f"missing `;` after `{prev}`"
        )
    if tok.type == "$END" and "RBRACE" in expected:
        return InputError(file, *_end_of(text), "unexpected end of file: a `}` is missing")
    if tok.type == "$END":
        return InputError(
            file, *_end_of(text), f"unexpected end of file; expected {_describe(expected)}"
        )
    return InputError(file, line, col, f"unexpected `{tok}`; expected {_describe(expected)}")


def _accepts(e: UnexpectedToken) -> set[str]:
    """The terminals the parser could take here (lark's ``expected`` over-approximates)."""
    try:
        accepted: set[str] = e.interactive_parser.accepts()  # type: ignore[no-untyped-call]
    except UnexpectedInput:  # accepts() feeds each terminal to a copy of the parser
        return set(e.expected)
    return accepted or set(e.expected)


def _end_of(text: str) -> tuple[int, int]:
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1


def _describe(expected: set[str]) -> str:
    names = []
    for t in sorted(expected):
        if t in _TERMINAL_NAMES:
            names.append(_TERMINAL_NAMES[t])
            continue
        pattern = lark_parser().get_terminal(t).pattern
        names.append(f"`{pattern.value}`" if pattern.type == "str" else t.lower())
    names = sorted(set(names))
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"one of {shown}" if len(names) > 1 else shown


def _tpos(tok: Token) -> s.Pos:
    return s.Pos(tok.line or 1, tok.column or 1)


def _type(tokens: list[Any]) -> str:
    return " ".join(str(t) for t in tokens if isinstance(t, Token))


# C's binary operators by precedence, loosest first (C11 6.5.5-6.5.14).
_PRECEDENCE = {
    op: level
    for level, ops in enumerate(
        ("||", "&&", "|", "^", "&", "== !=", "< <= > >=", "<< >>", "+ -", "* / %")
    )
    for op in ops.split()
}


class _Build(Transformer[Token, Any]):
    """Parse tree -> :mod:`.syntax` nodes.  Positions come from tokens (lark's
    ``propagate_positions`` would double the parsing time)."""

    def __init__(self) -> None:
        super().__init__()
        self.file: str = "<litmus>"
        self.expected: str | None = None

    def __default__(self, data: Any, children: list[Any], meta: Any) -> Any:
        if str(data).startswith("_"):  # lark's helper rules (``x*``), inlined by lark
            return super().__default__(data, children, meta)  # type: ignore[no-untyped-call]
        raise AssertionError(f"[pagerace internal bug] no rule for {data}")

    def error(self, pos: s.Pos, message: str, hint: str = "") -> InputError:
        return InputError(self.file, pos.line, pos.col, message, hint)

    # -- test, init block --------------------------------------------------------------
    def start(self, ch: list[Any]) -> s.LitmusTest:
        name, rest = ch[0], ch[1:]
        init: tuple[s.InitItem, ...] = ()
        if rest and isinstance(rest[0], _Init):
            init, rest = rest[0].items, rest[1:]
        procs = tuple(p for p in rest if isinstance(p, s.Proc))
        for i, p in enumerate(procs):
            if p.index != i:
                raise self.error(p.pos, f"thread P{p.index} where P{i} was expected")
        locs = next((r for r in rest if isinstance(r, list)), [])
        filt = next((r.prop for r in rest if isinstance(r, _Filter)), None)
        cond = next((r for r in rest if isinstance(r, s.Condition)), None)
        if cond is None:  # herd7's default
            cond = s.Condition("forall", s.Const(True, _tpos(name)), _tpos(name))
        return s.LitmusTest(
            str(name), self.file, init, procs, tuple(locs), filt, cond, expected=self.expected
        )

    def init_block(self, ch: list[Any]) -> _Init:
        return _Init(tuple(c for c in ch if isinstance(c, s.InitItem)))

    def empty(self, ch: list[Any]) -> None:
        return None

    def init_item(self, ch: list[Any]) -> s.InitItem:
        target = next(c for c in ch if isinstance(c, s.Shared | s.Reg))
        value = ch[-1] if isinstance(ch[-1], int | s.Address) else None
        pos = _tpos(ch[0]) if isinstance(ch[0], Token) else target.pos
        return s.InitItem(target, value, _type(ch), pos)

    def target(self, ch: list[Any]) -> s.Target:
        tok: Token = ch[0]
        if tok.type == "PROC_REG":
            proc, reg = str(tok).split(":")
            return s.Reg(int(proc), reg, _tpos(tok))
        return s.Shared(str(tok), _tpos(tok))

    def number(self, ch: list[Any]) -> int:
        return int(str(ch[0]), 0)

    def address(self, ch: list[Any]) -> s.Address:
        return s.Address(str(ch[0]), _tpos(ch[0]))

    # -- threads -----------------------------------------------------------------------
    def proc(self, ch: list[Any]) -> s.Proc:
        tok: Token = ch[0]
        m = re.fullmatch(r"P([0-9]+)", str(tok))
        if m is None:
            raise self.error(_tpos(tok), f"`{tok}` is not a thread name; expected P0, P1, ...")
        params = tuple(c for c in ch[1:-1] if c is not None)
        return s.Proc(int(m.group(1)), params, ch[-1], _tpos(tok))

    def param(self, ch: list[Any]) -> s.Param:
        name: Token = ch[-1]
        return s.Param(str(name), _type(ch[:-1]), _tpos(name))

    def block(self, ch: list[Any]) -> tuple[s.Stmt, ...]:
        out: list[s.Stmt] = []
        for c in ch:
            if type(c) is tuple or type(c) is list:  # a block, or a declaration's list
                out.extend(c)
            elif c is not None:
                out.append(c)
        return tuple(out)

    def decl(self, ch: list[Any]) -> list[s.Decl]:
        return [c for c in ch if isinstance(c, s.Decl)]

    def declarator(self, ch: list[Any]) -> s.Decl:
        name = next(c for c in ch if isinstance(c, Token) and c.type == "NAME")
        return s.Decl(str(name), ch[-1], _tpos(name))

    def expr_stmt(self, ch: list[Any]) -> s.ExprStmt:
        return s.ExprStmt(ch[0], ch[0].pos)

    def assign(self, ch: list[Any]) -> s.Assign:
        return s.Assign(ch[0], ch[1], ch[0].pos)

    def if_stmt(self, ch: list[Any]) -> s.If:
        return s.If(ch[1], _body(ch[2]), _body(ch[3]), _tpos(ch[0]))

    # -- expressions -------------------------------------------------------------------
    def binary(self, ch: list[Any]) -> s.Expr:
        """``a op b op c ...`` grouped by C precedence, left to right within a level
        (the grammar leaves precedence here: one rule instead of ten parses faster)."""
        operands: list[s.Expr] = [ch[0]]
        pending: list[Token] = []

        def reduce() -> None:
            op, right = pending.pop(), operands.pop()
            operands.append(s.Binary(str(op), operands.pop(), right, _tpos(op)))

        for op, operand in zip(ch[1::2], ch[2::2], strict=True):
            while pending and _PRECEDENCE[pending[-1]] >= _PRECEDENCE[op]:
                reduce()
            pending.append(op)
            operands.append(operand)
        while pending:
            reduce()
        return operands[0]

    def unary(self, ch: list[Any]) -> s.Unary:
        return s.Unary(str(ch[0]), ch[1], _tpos(ch[0]))

    def cast(self, ch: list[Any]) -> s.Cast:
        return s.Cast(_type(ch[:-1]), ch[-1], _tpos(ch[0]))

    def call(self, ch: list[Any]) -> s.Call:
        name: Token = ch[0]
        return s.Call(str(name), tuple(c for c in ch[1:] if c is not None), _tpos(name))

    def var(self, ch: list[Any]) -> s.Var:
        return s.Var(str(ch[0]), _tpos(ch[0]))

    def num(self, ch: list[Any]) -> s.Num:
        return s.Num(int(str(ch[0]), 0), _tpos(ch[0]))

    # -- locations, filter, condition --------------------------------------------------
    def locations(self, ch: list[Any]) -> list[s.Target]:
        return [c for c in ch if c is not None]

    def filter(self, ch: list[Any]) -> _Filter:
        return _Filter(ch[0])

    def exists(self, ch: list[Any]) -> s.Condition:
        return s.Condition("exists", ch[0], ch[0].pos)

    def not_exists(self, ch: list[Any]) -> s.Condition:
        return s.Condition("~exists", ch[0], ch[0].pos)

    def forall(self, ch: list[Any]) -> s.Condition:
        return s.Condition("forall", ch[0], ch[0].pos)

    def p_or(self, ch: list[Any]) -> s.Or:
        return s.Or(ch[0], ch[1], ch[0].pos)

    def p_and(self, ch: list[Any]) -> s.And:
        return s.And(ch[0], ch[1], ch[0].pos)

    def p_not(self, ch: list[Any]) -> s.Not:
        return s.Not(ch[0], ch[0].pos)

    def p_const(self, ch: list[Any]) -> s.Const:
        return s.Const(ch[0] == "true", _tpos(ch[0]))

    def p_eq(self, ch: list[Any]) -> s.Atom:
        return s.Atom(ch[0], ch[1], False, ch[0].pos)

    def p_ne(self, ch: list[Any]) -> s.Atom:
        return s.Atom(ch[0], ch[1], True, ch[0].pos)


def _body(stmt: Any) -> tuple[s.Stmt, ...]:
    if stmt is None:
        return ()
    if type(stmt) is tuple or type(stmt) is list:  # (nodes are named tuples)
        return tuple(stmt)
    return (stmt,)


_BUILD = _Build()
TRANSFORMER: Transformer[Token, Any] = _BUILD


class _Init:
    __slots__ = ("items",)

    def __init__(self, items: tuple[s.InitItem, ...]) -> None:
        self.items = items


class _Filter:
    __slots__ = ("prop",)

    def __init__(self, prop: s.Prop) -> None:
        self.prop = prop
