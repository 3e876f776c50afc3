"""Values read from memory, carrying the set of read events they depend on.

Arithmetic, comparisons and attribute access propagate the dependency set, so the
engine can record LKMM's addr, data and ctrl dependencies (linux-kernel.cat: ``addr``,
``data``, ``ctrl``) for Python models exactly as herd does for C litmus tests:
a value used as a location gives an addr dependency, a value stored gives a data
dependency, and ``if v:`` adds v's reads to the thread's control dependencies.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import greenlet

EMPTY: frozenset[int] = frozenset()


def unwrap(x: Any) -> tuple[Any, frozenset[int]]:
    """The raw value and dependency set of ``x`` (a plain value has none)."""
    if isinstance(x, Val):
        return x.v, x.deps
    return x, EMPTY


def raw(x: Any) -> Any:
    return x.v if isinstance(x, Val) else x


class Val:
    """A value read from memory (or computed from one) and the reads it depends on."""

    __slots__ = ("deps", "v")
    __hash__ = None  # type: ignore[assignment]  # == returns a Val, so no hashing

    def __init__(self, v: Any, deps: frozenset[int] = EMPTY) -> None:
        self.v = v
        self.deps = deps

    def __repr__(self) -> str:
        return f"Val({self.v!r}, deps={sorted(self.deps)})"

    def _bin(self, other: Any, f: Callable[[Any, Any], Any]) -> Val:
        ov, od = unwrap(other)
        return Val(f(self.v, ov), self.deps | od)

    def _rbin(self, other: Any, f: Callable[[Any, Any], Any]) -> Val:
        ov, od = unwrap(other)
        return Val(f(ov, self.v), self.deps | od)

    def __add__(self, o: Any) -> Val:
        return self._bin(o, operator.add)

    def __radd__(self, o: Any) -> Val:
        return self._rbin(o, operator.add)

    def __sub__(self, o: Any) -> Val:
        return self._bin(o, operator.sub)

    def __rsub__(self, o: Any) -> Val:
        return self._rbin(o, operator.sub)

    def __mul__(self, o: Any) -> Val:
        return self._bin(o, operator.mul)

    def __rmul__(self, o: Any) -> Val:
        return self._rbin(o, operator.mul)

    def __floordiv__(self, o: Any) -> Val:
        return self._bin(o, operator.floordiv)

    def __mod__(self, o: Any) -> Val:
        return self._bin(o, operator.mod)

    def __and__(self, o: Any) -> Val:
        return self._bin(o, operator.and_)

    def __rand__(self, o: Any) -> Val:
        return self._rbin(o, operator.and_)

    def __or__(self, o: Any) -> Val:
        return self._bin(o, operator.or_)

    def __ror__(self, o: Any) -> Val:
        return self._rbin(o, operator.or_)

    def __xor__(self, o: Any) -> Val:
        return self._bin(o, operator.xor)

    def __rxor__(self, o: Any) -> Val:
        return self._rbin(o, operator.xor)

    def __lshift__(self, o: Any) -> Val:
        return self._bin(o, operator.lshift)

    def __rshift__(self, o: Any) -> Val:
        return self._bin(o, operator.rshift)

    def __invert__(self) -> Val:
        return Val(~self.v, self.deps)

    def __neg__(self) -> Val:
        return Val(-self.v, self.deps)

    def __eq__(self, o: object) -> Val:  # type: ignore[override]
        return self._bin(o, _same)

    def __ne__(self, o: object) -> Val:  # type: ignore[override]
        return self._bin(o, lambda a, b: not _same(a, b))

    def __lt__(self, o: Any) -> Val:
        return self._bin(o, operator.lt)

    def __le__(self, o: Any) -> Val:
        return self._bin(o, operator.le)

    def __gt__(self, o: Any) -> Val:
        return self._bin(o, operator.gt)

    def __ge__(self, o: Any) -> Val:
        return self._bin(o, operator.ge)

    def __bool__(self) -> bool:
        """Branching on a value: its reads become control dependencies of what follows."""
        if self.deps:
            thread = greenlet.getcurrent()
            sink = getattr(thread, "ctrl_deps", None)
            if sink is not None:
                thread.ctrl_deps = sink | self.deps
        return bool(self.v)

    def __int__(self) -> int:
        return int(self.v)

    def __index__(self) -> int:
        return int(self.v)

    def __getattr__(self, name: str) -> Val:
        """Pointer dereference: ``head.count`` for a head read from memory is a location
        reached through an address dependency."""
        if name.startswith("__"):
            raise AttributeError(name)
        return Val(getattr(self.v, name), self.deps)

    def __getitem__(self, key: Any) -> Val:
        kv, kd = unwrap(key)
        return Val(self.v[kv], self.deps | kd)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | str | bool | float) or a is None:
        return bool(a == b)
    return a is b
