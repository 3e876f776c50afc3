"""The C-litmus abstract syntax: what the parser builds and the interpreter runs.

Names follow herd7's C litmus format (herdtools7 ``litmus/`` and ``herd/`` docs): a
test has a name, an init block, one ``Pn(...)`` body per thread, optional
``locations [...]`` and ``filter (...)``, and a final condition quantified by
``exists``, ``~exists`` or ``forall``.  Every node carries its source position so that
every later error can say ``file:line:col``.

Nodes are named tuples equal only within their class (:mod:`pagerace.core.records`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pagerace.core.records import distinct


class Pos(NamedTuple):
    line: int
    col: int


# -- C expressions -------------------------------------------------------------------


class Num(NamedTuple):
    value: int
    pos: Pos


class Var(NamedTuple):
    """A register (a local of the thread) or a parameter (a pointer to a shared variable)."""

    name: str
    pos: Pos


class Unary(NamedTuple):
    """``op`` is one of ``*`` (deref), ``&`` (address of), ``!``, ``-``, ``~``."""

    op: str
    operand: Expr
    pos: Pos


class Binary(NamedTuple):
    op: str  # the C operator: "+", "==", "&&", ...
    left: Expr
    right: Expr
    pos: Pos


class Cast(NamedTuple):
    """``(void)e``, ``(int)e``, ...: the value of ``e`` (``void`` discards it)."""

    type: str
    operand: Expr
    pos: Pos


class Call(NamedTuple):
    """A kernel macro: ``READ_ONCE(*x)``, ``smp_mb()``, ``atomic_inc(v)``, ..."""

    name: str
    args: tuple[Expr, ...]
    pos: Pos


Expr = Num | Var | Unary | Binary | Cast | Call


# -- statements ----------------------------------------------------------------------


class Decl(NamedTuple):
    """``int r0;`` or ``int r0 = e;``: one per declarator."""

    name: str
    init: Expr | None
    pos: Pos


class Assign(NamedTuple):
    """``r0 = e;`` (a register) or ``*p = e;`` (a plain store)."""

    target: Expr
    value: Expr
    pos: Pos


class ExprStmt(NamedTuple):
    expr: Expr
    pos: Pos


class If(NamedTuple):
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    pos: Pos


Stmt = Decl | Assign | ExprStmt | If


class Param(NamedTuple):
    name: str
    type: str  # "int *", "spinlock_t *", ...
    pos: Pos


class Proc(NamedTuple):
    """One thread, ``P<index>(params) { body }``."""

    index: int  # type: ignore[assignment]  # (the field hides tuple.index)
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    pos: Pos


# -- the init block and the final condition --------------------------------------------


class Shared(NamedTuple):
    """A shared variable in the init block or a condition: ``x``, ``[x]``."""

    name: str
    pos: Pos


class Reg(NamedTuple):
    """A register of one thread: ``0:r0``."""

    proc: int
    name: str
    pos: Pos


Target = Shared | Reg


class Address(NamedTuple):
    """The address of a shared variable as a value: ``&x``, or ``x`` in ``p=x``."""

    name: str
    pos: Pos


Value = int | Address


class InitItem(NamedTuple):
    """``int x = 1;``, ``0:r1=0;``, ``int *p = &x;``, ``atomic_t v = ATOMIC_INIT(1);``."""

    target: Target
    value: Value | None
    type: str
    pos: Pos


class Atom(NamedTuple):
    """``loc = value`` (``negated``: ``loc != value``)."""

    loc: Target
    value: Value
    negated: bool
    pos: Pos


class Const(NamedTuple):
    value: bool
    pos: Pos


class Not(NamedTuple):
    prop: Prop
    pos: Pos


class And(NamedTuple):
    left: Prop
    right: Prop
    pos: Pos


class Or(NamedTuple):
    left: Prop
    right: Prop
    pos: Pos


Prop = Atom | Const | Not | And | Or


class Condition(NamedTuple):
    """``quantifier``: ``exists``, ``~exists`` or ``forall``.  A test without one gets
    ``forall (true)``, as herd7 does."""

    quantifier: str
    prop: Prop
    pos: Pos


class LitmusTest(NamedTuple):
    name: str
    file: str
    init: tuple[InitItem, ...]
    procs: tuple[Proc, ...]
    locations: tuple[Target, ...]
    filter: Prop | None
    condition: Condition
    expected: str | None = None  # the "Result:" line of the doc comment (an LKMM verdict)


distinct(
    *(Pos, Num, Var, Unary, Binary, Cast, Call, Decl, Assign, ExprStmt, If, Param, Proc),
    *(Shared, Reg, Address, InitItem, Atom, Const, Not, And, Or, Condition, LitmusTest),
)


# -- traversals ----------------------------------------------------------------------


def statements(body: tuple[Stmt, ...]) -> Iterator[Stmt]:
    """Every statement of ``body``, those inside ``if``/``else`` included, in order."""
    for st in body:
        yield st
        if isinstance(st, If):
            yield from statements(st.then)
            yield from statements(st.orelse)


def calls(body: tuple[Stmt, ...]) -> Iterator[Call]:
    """Every macro call in ``body``."""
    for st in statements(body):
        if isinstance(st, Decl):
            exprs: tuple[Expr | None, ...] = (st.init,)
        elif isinstance(st, Assign):
            exprs = (st.target, st.value)
        elif isinstance(st, ExprStmt):
            exprs = (st.expr,)
        else:
            exprs = (st.cond,)
        for e in exprs:
            if e is not None:
                yield from _calls(e)


def _calls(e: Expr) -> Iterator[Call]:
    if isinstance(e, Call):
        yield e
        for a in e.args:
            yield from _calls(a)
    elif isinstance(e, Unary | Cast):
        yield from _calls(e.operand)
    elif isinstance(e, Binary):
        yield from _calls(e.left)
        yield from _calls(e.right)
