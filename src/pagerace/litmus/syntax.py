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

from pagerace.core.records import Record


class Pos(Record):
    line: int
    col: int


# -- C expressions -------------------------------------------------------------------


class Num(Record):
    value: int
    pos: Pos


class Var(Record):
    """A register (a local of the thread) or a parameter (a pointer to a shared variable)."""

    name: str
    pos: Pos


class Unary(Record):
    """``op`` is one of ``*`` (deref), ``&`` (address of), ``!``, ``-``, ``~``."""

    op: str
    operand: Expr
    pos: Pos


class Binary(Record):
    op: str  # the C operator: "+", "==", "&&", ...
    left: Expr
    right: Expr
    pos: Pos


class Cast(Record):
    """``(void)e``, ``(int)e``, ...: the value of ``e`` (``void`` discards it)."""

    type: str
    operand: Expr
    pos: Pos


class Call(Record):
    """A kernel macro: ``READ_ONCE(*x)``, ``smp_mb()``, ``atomic_inc(v)``, ..."""

    name: str
    args: tuple[Expr, ...]
    pos: Pos


Expr = Num | Var | Unary | Binary | Cast | Call


# -- statements ----------------------------------------------------------------------


class Decl(Record):
    """``int r0;`` or ``int r0 = e;``: one per declarator."""

    name: str
    init: Expr | None
    pos: Pos


class Assign(Record):
    """``r0 = e;`` (a register) or ``*p = e;`` (a plain store)."""

    target: Expr
    value: Expr
    pos: Pos


class ExprStmt(Record):
    expr: Expr
    pos: Pos


class If(Record):
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    pos: Pos


Stmt = Decl | Assign | ExprStmt | If


class Param(Record):
    name: str
    type: str  # "int *", "spinlock_t *", ...
    pos: Pos


class Proc(Record):
    """One thread, ``P<index>(params) { body }``."""

    index: int  # type: ignore[assignment]  # (the field hides tuple.index)
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    pos: Pos


# -- the init block and the final condition --------------------------------------------


class Shared(Record):
    """A shared variable in the init block or a condition: ``x``, ``[x]``."""

    name: str
    pos: Pos


class Reg(Record):
    """A register of one thread: ``0:r0``."""

    proc: int
    name: str
    pos: Pos


Target = Shared | Reg


class Address(Record):
    """The address of a shared variable as a value: ``&x``, or ``x`` in ``p=x``."""

    name: str
    pos: Pos


Value = int | Address


class InitItem(Record):
    """``int x = 1;``, ``0:r1=0;``, ``int *p = &x;``, ``atomic_t v = ATOMIC_INIT(1);``."""

    target: Target
    value: Value | None
    type: str
    pos: Pos


class Atom(Record):
    """``loc = value`` (``negated``: ``loc != value``)."""

    loc: Target
    value: Value
    negated: bool
    pos: Pos


class Const(Record):
    value: bool
    pos: Pos


class Not(Record):
    prop: Prop
    pos: Pos


class And(Record):
    left: Prop
    right: Prop
    pos: Pos


class Or(Record):
    left: Prop
    right: Prop
    pos: Pos


Prop = Atom | Const | Not | And | Or


class Condition(Record):
    """``quantifier``: ``exists``, ``~exists`` or ``forall``.  A test without one gets
    ``forall (true)``, as herd7 does."""

    quantifier: str
    prop: Prop
    pos: Pos


class LitmusTest(Record):
    name: str
    file: str
    init: tuple[InitItem, ...]
    procs: tuple[Proc, ...]
    locations: tuple[Target, ...]
    filter: Prop | None
    condition: Condition
    expected: str | None = None  # the "Result:" line of the doc comment (an LKMM verdict)


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
