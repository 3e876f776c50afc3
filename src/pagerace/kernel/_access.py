"""Turning primitive arguments into ops: locations, values and their dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pagerace.core.errors import ModelError
from pagerace.core.ops import Location, LockAction, Op, OpKind
from pagerace.explore.runtime import submit
from pagerace.explore.values import unwrap


def location(x: Any, primitive: str) -> tuple[Location, frozenset[int]]:
    """The location ``x`` names, and the reads its address came from (addr deps)."""
    loc, deps = unwrap(x)
    if not isinstance(loc, Location):
        raise ModelError(
            f"{primitive}() needs a location made with world.location(...), got {loc!r}"
        )
    return loc, deps


def load(name: str, x: Any, annot: str, detail: str = "") -> Any:
    loc, addr = location(x, name)
    return submit(Op(OpKind.LOAD, name, annot, loc, addr=addr, detail=detail))


def store(
    name: str, x: Any, value: Any, annot: str, lock: LockAction | None = None, detail: str = ""
) -> None:
    loc, addr = location(x, name)
    submit(Op(OpKind.STORE, name, annot, loc, value=value, addr=addr, lock=lock, detail=detail))


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
    data: frozenset[int] = frozenset()
    for o in operands:
        data |= unwrap(o)[1]
    return submit(
        Op(
            OpKind.RMW,
            name,
            annot,
            loc,
            fn=fn,
            cond=cond,
            check=check,
            lock=lock,
            addr=addr,
            data=data,
            detail=detail,
        )
    )


def fence(name: str, annot: str) -> None:
    submit(Op(OpKind.FENCE, name, annot))


def local(name: str, detail: str) -> None:
    submit(Op(OpKind.LOCAL, name, "", detail=detail))
