"""The C-litmus grammar (lark), the parser that reports syntax errors, and the
generator of the LALR tables :mod:`.parser` runs.

:data:`GRAMMAR` is a lark LALR(1) grammar.  Valid tests are parsed without lark, by
:mod:`.parser` over the tables lark builds for this grammar, generated into
:mod:`._lalr` (``python -m pagerace.litmus.grammar`` rewrites it after a change of the
grammar; a test fails while it is stale): importing lark and building its parser took
a third of a ``pagerace litmus`` run over the kernel's corpus.  A text that parser
rejects is parsed again here, by lark with its contextual lexer, whose errors become
``file:line:col`` messages.

Comments: ``(* ... *)`` anywhere (the doc block and notes such as
``(* Bad outcome. *)``), and C's ``//`` and ``/* */``.  A ``(*`` directly followed by a
name or ``(`` is C (``(*p)``), not a comment.

Limitations: no loops, ``switch``, ``return``, structs or arrays (each is reported by
name); casts only to the basic types of :data:`TYPES`.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from pagerace.core.errors import InputError
from pagerace.litmus import syntax as s
from pagerace.litmus.build import Build

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


class _Unsupported(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__(token.value)
        self.token = token


def _reject(token: Token) -> Token:
    raise _Unsupported(token)


BUILD = Build()  # lark binds its rules' callbacks to it once: `parse` sets its file


@cache
def lark_parser() -> Lark:
    """lark's LALR parser of :data:`GRAMMAR`, with its contextual lexer, building
    syntax nodes as rules are reduced (no parse tree).  The grammar analysis is cached
    on disk (``cache=True``: about 0.02 s instead of 0.2 s after the first run)."""
    return Lark(
        GRAMMAR,
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=True,
        lexer_callbacks={"UNSUPPORTED": _reject},
        transformer=BUILD,
        cache=True,
    )


def parse(text: str, file: str, expected: str | None, parser: Lark | None = None) -> s.LitmusTest:
    """Parse with lark (``parser``: another Lark parser of :data:`GRAMMAR` with
    ``transformer=BUILD``); a syntax error is an :class:`InputError` at its place."""
    BUILD.file, BUILD.expected = file, expected
    try:
        test: s.LitmusTest = (parser or lark_parser()).parse(text)  # type: ignore[assignment]
    except _Unsupported as e:
        t = e.token
        ctx = e.__context__
        if isinstance(ctx, UnexpectedCharacters):
            # lark's contextual lexer, stuck, asked its root lexer for the token to name
            # in the error (its callback raised): where no statement may start, the
            # keyword is just unexpected.
            history = [x for x in ctx.token_history or () if x is not None]
            unexpected = UnexpectedToken(  # type: ignore[no-untyped-call]
                t, ctx.allowed, state=ctx.state, token_history=history or None
            )
            raise _syntax_error(unexpected, text, file) from None
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


def _syntax_error(e: UnexpectedInput, text: str, file: str) -> InputError:
    line, col = max(e.line, 1), max(e.column, 1)
    if isinstance(e, UnexpectedCharacters):
        return InputError(file, line, col, f"unexpected character {e.char!r}")
    if not isinstance(e, UnexpectedToken):
        return InputError(file, *_end_of(text), "unexpected end of file")
    tok = e.token
    history = [x for x in e.token_history or () if x is not None]
    if tok.type == "TEST_NAME" and history:  # what no other terminal takes
        return InputError(file, line, col, f"unexpected character {tok[0]!r}")
    expected = _accepts(e)
    if expected & {"C", "TEST_NAME"}:
        what = "end of file" if tok.type == "$END" else f"`{tok}`"
        if "C" in expected and tok.type == "$END":
            what = "end of file: the file has no test (it is empty, or only comments)"
        return InputError(
            file, line, col, f"unexpected {what}", "a C litmus test starts with `C NAME`"
        )
    prev = history[-1] if history else None
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
    except (UnexpectedInput, AttributeError):  # (AttributeError: raised by the lexer)
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


# -- the tables of :mod:`._lalr` -------------------------------------------------------


def grammar_digest() -> str:
    return hashlib.sha256(GRAMMAR.encode()).hexdigest()


def tables_source() -> str:
    """The text of :mod:`._lalr`: lark's LALR(1) table of :data:`GRAMMAR`, its
    terminals in lark's match order, and per rule what lark's tree builder does with
    the children before the rule's callback (which it keeps, which it inlines, where
    ``None`` stands for an absent ``[optional]`` part, whether a ``?rule`` with one
    child is that child)."""
    import lark

    parser: Any = Lark(GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=True)
    table = parser.parser.parser.parser.parse_table
    terminals = sorted(
        parser.terminals,
        key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
    )
    ignore = set(parser.lexer_conf.ignore)
    # lark numbers states as sets iterate (by string hashes, per process): renumbered
    # here in breadth-first order from the start state, symbols in sorted order.
    start = table.start_states["start"]
    number, queue = {start: 0}, [start]
    for state in queue:
        for _, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift" and arg not in number:
                number[arg] = len(number)
                queue.append(arg)
    rules: list[Any] = []
    index: dict[Any, int] = {}
    states: dict[int, dict[str, int]] = {}
    for state in queue:
        row: dict[str, int] = {}
        for symbol, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift":
                row[str(symbol)] = number[arg]
            else:
                if arg not in index:
                    index[arg] = len(rules)
                    rules.append(arg)
                row[str(symbol)] = ~index[arg]
        states[number[state]] = row
    assert len(states) == len(table.states), "every state is reached from the start"
    scanned = [t for t in terminals if t.name not in ignore]
    lines = [
        '"""Generated by ``python -m pagerace.litmus.grammar`` from '
        ":data:`pagerace.litmus.grammar.GRAMMAR`",
        f'with lark {lark.__version__}: its LALR(1) tables.  Do not edit."""',
        "",
        "from typing import Any",
        "",
        f"GRAMMAR_SHA256 = {grammar_digest()!r}",
        f"LARK_VERSION = {lark.__version__!r}",
        "# (name, regular expression), in the order lark's lexer tries them",
        "TERMINALS = (",
        *(f"    ({t.name!r}, {t.pattern.to_regexp()!r})," for t in scanned),
        ")",
        "# per terminal: the ASCII characters a match can start with (or more)",
        "FIRST = {",
        *(f"    {t.name!r}: {first_chars(t.pattern.to_regexp())!r}," for t in terminals),
        "}",
        "# skipped between tokens (white space, comments)",
        "IGNORE = (",
        *(f"    ({t.name!r}, {t.pattern.to_regexp()!r})," for t in terminals if t.name in ignore),
        ")",
        "# literal terminals by their text: a regex terminal's match that spells one",
        "LITERALS = {",
        *(f"    {t.pattern.value!r}: {t.name!r}," for t in scanned if t.pattern.type == "str"),
        "}",
        "# per literal: the regex terminals before it that match wherever it does (they",
        "# take no context: no look-around or boundary), so that it never matches first",
        "SHADOWED = {",
        *(f"    {n!r}: {s!r}," for n, s in _shadowed(scanned).items()),
        "}",
        "START = 0",
        f"END = {number[table.end_states['start']]!r}",
        "# (length, symbol, callback name, ?rule, kept children (index, inlined,",
        "#  Nones before), Nones after)",
        "RULES: tuple[tuple[Any, ...], ...] = (",
        *(f"    {_rule_entry(r)!r}," for r in rules),
        ")",
        "# per state: terminal -> the next state (>= 0) or ~rule (a reduction)",
        "STATES: tuple[dict[str, int], ...] = (",
        *(f"    {states[i]!r}," for i in range(len(states))),
        ")",
        "",
    ]
    return "\n".join(lines)


def _rule_entry(rule: Any) -> tuple[Any, ...]:
    """What lark's ``ParseTreeBuilder`` does for ``rule`` with ``maybe_placeholders``:
    anonymous tokens (punctuation) dropped, ``_helper`` rules inlined, a ``None`` per
    absent ``[optional]`` part (``empty_indices``), and a ``?rule`` with one child
    replaced by it (unless aliased)."""
    options = rule.options
    empty = list(options.empty_indices)
    expansion = rule.expansion
    if empty:
        runs = [len(ones) for ones in "".join(str(int(b)) for b in empty).split("0")]
    else:
        runs = [0] * (len(expansion) + 1)
    keep, nones = [], 0
    for i, sym in enumerate(expansion):
        nones += runs[i]
        if options.keep_all_tokens or not (sym.is_term and sym.filter_out):
            keep.append((i, not sym.is_term and sym.name.startswith("_"), nones))
            nones = 0
    nones += runs[len(expansion)]
    name = rule.alias or options.template_source or rule.origin.name
    expand1 = bool(options.expand1 and not rule.alias)
    return (len(expansion), str(rule.origin.name), str(name), expand1, tuple(keep), nones)


def _shadowed(order: list[Any]) -> dict[str, tuple[str, ...]]:
    """Per literal terminal, the regex terminals earlier in ``order`` that match a
    prefix of its text and look at nothing but what they match: wherever the literal
    matches, one of them matches first (lark then makes a match that spells the
    literal that literal, where the state accepts it)."""
    import re

    out: dict[str, tuple[str, ...]] = {}
    for i, lit in enumerate(order):
        if lit.pattern.type != "str":
            continue
        by = tuple(
            t.name
            for t in order[:i]
            if t.pattern.type == "re"
            and not _asserts(t.pattern.to_regexp())
            and re.match(t.pattern.to_regexp(), lit.pattern.value)
        )
        if by:
            out[lit.name] = by
    return out


def _asserts(regex: str) -> bool:
    """Whether ``regex`` has a look-around, a boundary or an anchor (its match then
    depends on the text around it)."""
    import importlib

    sre: Any = importlib.import_module("re._parser")

    def walk(items: Any) -> bool:
        for op, arg in items:
            name = str(op)
            if name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS"):
                return True
            if name in ("SUBPATTERN",) and walk(arg[-1]):
                return True
            if name == "ATOMIC_GROUP" and walk(arg):
                return True
            if name == "BRANCH" and any(walk(alt) for alt in arg[1]):
                return True
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and walk(arg[2]):
                return True
        return False

    return walk(sre.parse(regex))


_ASCII = [chr(i) for i in range(128)]


def first_chars(regex: str) -> str:
    """The ASCII characters a match of ``regex`` can start with: every one, and maybe
    more (what this walk of the parsed pattern does not know it takes as any)."""
    import importlib

    sre: Any = importlib.import_module("re._parser")  # (private; only to generate tables)
    return "".join(c for c in _ASCII if c in _first(sre.parse(regex))[0])


def _first(items: Any) -> tuple[set[str], bool]:
    """The first characters of a sequence of parsed items, and whether it can match
    the empty string."""
    out: set[str] = set()
    for op, arg in items:
        chars, empty = _first_item(str(op), arg)
        out |= chars
        if not empty:
            return out, False
    return out, True


def _first_item(op: str, arg: Any) -> tuple[set[str], bool]:
    import re

    if op == "LITERAL":
        return {chr(arg)}, False
    if op == "NOT_LITERAL":
        return set(_ASCII) - {chr(arg)}, False
    if op == "IN":
        negate = any(str(o) == "NEGATE" for o, _ in arg)
        chars: set[str] = set()
        for o, a in arg:
            if str(o) == "LITERAL":
                chars.add(chr(a))
            elif str(o) == "RANGE":
                chars |= {chr(i) for i in range(a[0], min(a[1], 127) + 1)}
            elif str(o) == "CATEGORY":
                cls = {"DIGIT": r"\d", "SPACE": r"\s", "WORD": r"\w"}
                name = str(a).removeprefix("CATEGORY_")
                base = name.removeprefix("NOT_")
                hits = {c for c in _ASCII if re.match(cls.get(base, r"[\s\S]"), c)}
                chars |= set(_ASCII) - hits if name != base and base in cls else hits
            elif str(o) != "NEGATE":
                chars |= set(_ASCII)
        return (set(_ASCII) - chars if negate else chars), False
    if op in ("AT", "ASSERT", "ASSERT_NOT"):  # zero width
        return set(), True
    if op == "SUBPATTERN":
        return _first(arg[-1])
    if op == "ATOMIC_GROUP":
        return _first(arg)
    if op == "BRANCH":
        alternatives = [_first(alt) for alt in arg[1]]
        return set().union(*(c for c, _ in alternatives)), any(e for _, e in alternatives)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        chars, empty = _first(arg[2])
        return chars, empty or arg[0] == 0
    return set(_ASCII), True  # ANY, or what this walk does not know


def write_tables(path: Path | None = None) -> Path:
    path = path or Path(__file__).with_name("_lalr.py")
    path.write_text(tables_source())
    return path


if __name__ == "__main__":
    print(f"wrote {write_tables()}", file=sys.stderr)
