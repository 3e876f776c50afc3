"""C-litmus rules to syntax nodes: what each grammar rule of :mod:`.grammar` builds.

Both parsers call it: the table-driven one of :mod:`.parser` (every valid test) and
lark's (which reports errors).  Tokens have a ``type``, ``value``, ``line`` and
``column``: lark's ``Token`` (a string), or :class:`Token` (a named tuple, made in a
tenth of the time).
"""

from __future__ import annotations

import re
from typing import Any

from pagerace.core.errors import InputError
from pagerace.core.records import Record
from pagerace.litmus import syntax as s


class Token(Record):
    """A token of :mod:`.parser`."""

    type: str
    value: str
    line: int
    column: int

    def __str__(self) -> str:
        return self.value


TOKENS = (str, Token)  # a rule's child that is a token (lark's tokens are strings)


def _tpos(tok: Any) -> s.Pos:
    return s.Pos(tok.line or 1, tok.column or 1)


def _type(tokens: list[Any]) -> str:
    tokens = [t for t in tokens if isinstance(t, TOKENS)]
    return " ".join(t.value for t in tokens)


# C's binary operators by precedence, loosest first (C11 6.5.5-6.5.14).
_PRECEDENCE = {
    op: level
    for level, ops in enumerate(
        ("||", "&&", "|", "^", "&", "== !=", "< <= > >=", "<< >>", "+ -", "* / %")
    )
    for op in ops.split()
}


class Build:
    """Reduced rules -> :mod:`.syntax` nodes: a method per rule (or alias), given the
    rule's children (tokens, nodes, ``None`` for an absent optional part), as a lark
    ``Transformer`` is.  Positions come from tokens."""

    def __init__(self, file: str = "<litmus>", expected: str | None = None) -> None:
        self.file = file
        self.expected = expected

    def __default__(self, data: Any, children: list[Any], meta: Any) -> Any:
        if str(data).startswith("_"):  # helper rules (``x*``): inlined into their parent
            return Inline(children)
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
            name.value, self.file, init, procs, tuple(locs), filt, cond, expected=self.expected
        )

    def init_block(self, ch: list[Any]) -> _Init:
        return _Init(tuple(c for c in ch if isinstance(c, s.InitItem)))

    def empty(self, ch: list[Any]) -> None:
        return None

    def init_item(self, ch: list[Any]) -> s.InitItem:
        target = next(c for c in ch if isinstance(c, s.Shared | s.Reg))
        value = ch[-1] if isinstance(ch[-1], int | s.Address) else None
        pos = _tpos(ch[0]) if isinstance(ch[0], TOKENS) else target.pos
        return s.InitItem(target, value, _type(ch), pos)

    def target(self, ch: list[Any]) -> s.Target:
        tok: Any = ch[0]
        if tok.type == "PROC_REG":
            proc, reg = tok.value.split(":")
            return s.Reg(int(proc), reg, _tpos(tok))
        return s.Shared(tok.value, _tpos(tok))

    def number(self, ch: list[Any]) -> int:
        return int(ch[0].value, 0)

    def address(self, ch: list[Any]) -> s.Address:
        return s.Address(ch[0].value, _tpos(ch[0]))

    # -- threads -----------------------------------------------------------------------
    def proc(self, ch: list[Any]) -> s.Proc:
        tok: Any = ch[0]
        m = re.fullmatch(r"P([0-9]+)", tok.value)
        if m is None:
            raise self.error(_tpos(tok), f"`{tok}` is not a thread name; expected P0, P1, ...")
        params = tuple(c for c in ch[1:-1] if c is not None)
        return s.Proc(int(m.group(1)), params, ch[-1], _tpos(tok))

    def param(self, ch: list[Any]) -> s.Param:
        name: Any = ch[-1]
        return s.Param(name.value, _type(ch[:-1]), _tpos(name))

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
        name = next(c for c in ch if getattr(c, "type", None) == "NAME")
        return s.Decl(name.value, ch[-1], _tpos(name))

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
        pending: list[Any] = []

        def reduce() -> None:
            op, right = pending.pop(), operands.pop()
            operands.append(s.Binary(op.value, operands.pop(), right, _tpos(op)))

        for op, operand in zip(ch[1::2], ch[2::2], strict=True):
            while pending and _PRECEDENCE[pending[-1].value] >= _PRECEDENCE[op.value]:
                reduce()
            pending.append(op)
            operands.append(operand)
        while pending:
            reduce()
        return operands[0]

    def unary(self, ch: list[Any]) -> s.Unary:
        return s.Unary(ch[0].value, ch[1], _tpos(ch[0]))

    def cast(self, ch: list[Any]) -> s.Cast:
        return s.Cast(_type(ch[:-1]), ch[-1], _tpos(ch[0]))

    def call(self, ch: list[Any]) -> s.Call:
        name: Any = ch[0]
        return s.Call(name.value, tuple(c for c in ch[1:] if c is not None), _tpos(name))

    def var(self, ch: list[Any]) -> s.Var:
        return s.Var(ch[0].value, _tpos(ch[0]))

    def num(self, ch: list[Any]) -> s.Num:
        return s.Num(int(ch[0].value, 0), _tpos(ch[0]))

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
        return s.Const(ch[0].value == "true", _tpos(ch[0]))

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


class _Init:
    __slots__ = ("items",)

    def __init__(self, items: tuple[s.InitItem, ...]) -> None:
        self.items = items


class _Filter:
    __slots__ = ("prop",)

    def __init__(self, prop: s.Prop) -> None:
        self.prop = prop


class Inline:
    """A helper rule's children, which its parent takes as its own (lark inlines rules
    whose names start with ``_``, such as those it makes for ``x*``)."""

    __slots__ = ("children",)

    def __init__(self, children: list[Any]) -> None:
        self.children = children
