"""The C-litmus abstract syntax: what the parser builds and the interpreter runs.

Names follow herd7's C litmus format (herdtools7 ``litmus/`` and ``herd/`` docs): a
test has a name, an init block, one ``Pn(...)`` body per thread, optional
``locations [...]`` and ``filter (...)``, and a final condition quantified by
``exists``, ``~exists`` or ``forall``.  Every node carries its source position so that
every later error can say ``file:line:col``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    col: int


# -- C expressions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    value: int
    pos: Pos


@dataclass(frozen=True, slots=True)
class Var:
    """A register (a local of the thread) or a parameter (a pointer to a shared variable)."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Unary:
    """``op`` is one of ``*`` (deref), ``&`` (address of), ``!``, ``-``, ``~``."""

    op: str
    operand: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # the C operator: "+", "==", "&&", ...
    left: Expr
    right: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Cast:
    """``(void)e``, ``(int)e``, ...: the value of ``e`` (``void`` discards it)."""

    type: str
    operand: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Call:
    """A kernel macro: ``READ_ONCE(*x)``, ``smp_mb()``, ``atomic_inc(v)``, ..."""

    name: str
    args: tuple[Expr, ...]
    pos: Pos


Expr = Num | Var | Unary | Binary | Cast | Call


# -- statements ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decl:
    """``int r0;`` or ``int r0 = e;``: one per declarator."""

    name: str
    init: Expr | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Assign:
    """``r0 = e;`` (a register) or ``*p = e;`` (a plain store)."""

    target: Expr
    value: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class ExprStmt:
    expr: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    pos: Pos


Stmt = Decl | Assign | ExprStmt | If


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str  # "int *", "spinlock_t *", ...
    pos: Pos


@dataclass(frozen=True, slots=True)
class Proc:
    """One thread, ``P<index>(params) { body }``."""

    index: int
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    pos: Pos


# -- the init block and the final condition --------------------------------------------


@dataclass(frozen=True, slots=True)
class Shared:
    """A shared variable in the init block or a condition: ``x``, ``[x]``."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Reg:
    """A register of one thread: ``0:r0``."""

    proc: int
    name: str
    pos: Pos


Target = Shared | Reg


@dataclass(frozen=True, slots=True)
class Address:
    """The address of a shared variable as a value: ``&x``, or ``x`` in ``p=x``."""

    name: str
    pos: Pos


Value = int | Address


@dataclass(frozen=True, slots=True)
class InitItem:
    """``int x = 1;``, ``0:r1=0;``, ``int *p = &x;``, ``atomic_t v = ATOMIC_INIT(1);``."""

    target: Target
    value: Value | None
    type: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Atom:
    """``loc = value`` (``negated``: ``loc != value``)."""

    loc: Target
    value: Value
    negated: bool
    pos: Pos


@dataclass(frozen=True, slots=True)
class Const:
    value: bool
    pos: Pos


@dataclass(frozen=True, slots=True)
class Not:
    prop: Prop
    pos: Pos


@dataclass(frozen=True, slots=True)
class And:
    left: Prop
    right: Prop
    pos: Pos


@dataclass(frozen=True, slots=True)
class Or:
    left: Prop
    right: Prop
    pos: Pos


Prop = Atom | Const | Not | And | Or


@dataclass(frozen=True, slots=True)
class Condition:
    """``quantifier``: ``exists``, ``~exists`` or ``forall``.  A test without one gets
    ``forall (true)``, as herd7 does."""

    quantifier: str
    prop: Prop
    pos: Pos


@dataclass(frozen=True, slots=True)
class LitmusTest:
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
