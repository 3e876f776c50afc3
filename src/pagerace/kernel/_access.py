"""Turning primitive arguments into ops: locations, values and their dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pagerace.core.errors import ModelError
from pagerace.core.ops import NO_WRITE, Location, LockAction, Op, OpKind
from pagerace.explore.runtime import submit
from pagerace.explore.values import EMPTY, Val, unwrap

# Op(...) through tuple.__new__: the named tuple's generated __new__ is a Python-level
# call, and one op is built per step (the same fields, in Op's field order).
_op = tuple.__new__


def location(x: Any, primitive: str) -> tuple[Location, frozenset[int]]:
    """The location ``x`` names, and the reads its address came from (addr deps)."""
    if type(x) is Location:  # the common case, checked first: this is the hot path
        return x, EMPTY
    loc, deps = unwrap(x)
    if not isinstance(loc, Location):
        raise ModelError(
            f"{primitive}() needs a location made with world.location(...), got {loc!r}"
        )
    return loc, deps


def load(name: str, x: Any, annot: str, detail: str = "", mask: int | None = None) -> Any:
    """``mask``: the bits the caller's result depends on (None: the whole word)."""
    loc, addr = location(x, name)
    return submit(
        _op(
            Op,
            (
                OpKind.LOAD,
                name,
                annot,
                loc,
                None,
                None,
                None,
                None,
                None,
                addr,
                EMPTY,
                detail,
                mask,
            ),
        )
    )


def store(
    name: str, x: Any, value: Any, annot: str, lock: LockAction | None = None, detail: str = ""
) -> None:
    loc, addr = location(x, name)
    submit(
        _op(
            Op,
            (
                OpKind.STORE,
                name,
                annot,
                loc,
                value,
                None,
                None,
                None,
                lock,
                addr,
                EMPTY,
                detail,
                None,
            ),
        )
    )


def rmw(
    name: str,
    x: Any,
    fn: Callable[[Any], tuple[Any, Any]],
    annot: str,
    *,
    operands: tuple[Any, ...] = (),
    cond: Callable[[Any], bool] | None = None,
    check: Callable[[Any], str | None] | None = None,
    lock: LockAction | None = None,
    detail: str = "",
) -> Any:
    """One atomic read-modify-write; ``operands`` are the values ``fn`` closes over,
    whose dependencies become data dependencies of the write."""
    loc, addr = location(x, name)
    data = EMPTY
    for o in operands:
        if isinstance(o, Val):
            data |= o.deps
    return submit(
        _op(
            Op,
            (OpKind.RMW, name, annot, loc, None, fn, cond, check, lock, addr, data, detail, None),
        )
    )


def fence(name: str, annot: str) -> None:
    submit(Op(OpKind.FENCE, name, annot))


def local(name: str, detail: str) -> None:
    submit(Op(OpKind.LOCAL, name, "", detail=detail))


# Ghost section words: 2 x (sections completed) + (inside one).  RCU read-side critical
# sections and irq-off sections use them; grace periods and IPIs wait on them.
def section_enter(name: str, word: Any, detail: str) -> None:
    rmw(name, word, _inside, "ghost", detail=detail)


def section_exit(name: str, word: Any, detail: str) -> None:
    rmw(name, word, _completed, "ghost", detail=detail)


def wait_for_sections(name: str, own: Any, words: Any, detail: str) -> None:
    """For every other word found inside a section, wait until that section has ended
    (an await that writes nothing)."""
    for word in words:
        if word is own:
            continue
        seen = int(load(name, word, "ghost", f"{detail}?"))
        if seen & 1:
            rmw(name, word, _no_write, "ghost", cond=_past(seen), detail=f"{detail}: wait")


def _inside(v: Any) -> tuple[Any, Any]:
    return v | 1, None


def _completed(v: Any) -> tuple[Any, Any]:
    return v + 1, None


def _no_write(v: Any) -> tuple[Any, Any]:
    return NO_WRITE, None


def _past(seen: int) -> Callable[[Any], bool]:
    return lambda v: bool(v > seen)
