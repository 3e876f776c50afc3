"""Operations a model thread hands to the engine, and the locations they touch.

A kernel primitive (``pagerace.kernel``) builds one :class:`Op` and switches to the
engine; the engine turns it into one event of the execution graph.  The LKMM annotation
of every primitive is the ``annot`` field, named as in linux-kernel.bell
(``once``, ``acquire``, ``release``, ``mb``, ``rmb``, ``wmb``, ``before-atomic``,
``after-atomic``, ``noreturn``) plus ``plain`` for C accesses without ``*_ONCE``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, NamedTuple

from pagerace.core.records import Record


class OpKind(enum.Enum):
    LOAD = "load"
    STORE = "store"
    RMW = "rmw"  # may fail: ``fn`` returns NO_WRITE for a failed cmpxchg / inc_not_zero
    FENCE = "fence"
    LOCAL = "local"  # thread-local effect (irq save/restore): no memory access


class _NoWrite:
    """Sentinel returned by an RMW function that leaves memory unchanged (a failed RMW)."""

    def __repr__(self) -> str:
        return "NO_WRITE"


NO_WRITE: Any = _NoWrite()


class Conditional:
    """An RMW's function that fails (returns ``NO_WRITE``) on some values:
    ``cmpxchg``, ``atomic_add_unless``, ``atomic_inc_not_zero``.  Under the LKMM a
    failed RMW orders nothing, so the weak-memory explorer keeps graphs whose
    successful conditional RMW a later revisit may still make fail
    (``pagerace.explore.trust``, ``provisional``)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], tuple[Any, Any]]) -> None:
        self.fn = fn

    def __call__(self, old: Any) -> tuple[Any, Any]:
        return self.fn(old)


# The LKMM tags (linux-kernel.bell): accesses and fences.
LOAD_ANNOTS = frozenset({"plain", "once", "acquire", "srcu-lock"})
STORE_ANNOTS = frozenset({"plain", "once", "release", "srcu-unlock"})
RMW_ANNOTS = frozenset({"noreturn", "relaxed", "acquire", "release", "mb"})
FENCE_ANNOTS = frozenset(
    {
        "mb",
        "rmb",
        "wmb",
        "before-atomic",
        "after-atomic",
        "after-spinlock",
        "after-unlock-lock",
        "after-srcu-read-unlock",
        "barrier",
        "rcu-lock",
        "rcu-unlock",
        "sync-rcu",
        "sync-srcu",
    }
)


class Location:
    """One memory word of the model (a field of a ``struct page``, a lock, a variable).

    Identity is the object; ``lid`` is its creation index within one run, so the same
    program built twice gives the same ids.  ``floor`` is the least value a counter may
    hold (``_count`` 0, ``_mapcount`` -1); ``fmt`` renders a value for traces (a flags
    word shows its bit names).
    """

    __slots__ = ("floor", "fmt", "init", "lid", "name")

    def __init__(
        self,
        lid: int,
        name: str,
        init: Any = 0,
        floor: int | None = None,
        fmt: Callable[[Any], str] | None = None,
    ) -> None:
        self.lid, self.name, self.init, self.floor, self.fmt = lid, name, init, floor, fmt

    def show(self, value: Any) -> str:
        if self.fmt is not None:
            return self.fmt(value)
        return getattr(value, "name", None) or repr(value)

    def __repr__(self) -> str:
        return f"<{self.name}>"


class LockAction(Record):
    """Ghost information for lock primitives: which lock, acquired or released.

    ``key`` names the lock instance (``H.flags:PG_compound_lock``); ``cls`` is the lockdep
    class ("compound_lock of a page").  ``bit`` is set for bit spinlocks.  ``subclass``
    (``spin_lock_nested``) and ``nest_lock`` (the key of the lock that serialises
    nesting, ``spin_lock_nest_lock``) are lockdep annotations: they change no
    execution.  An event carries its op's ``detail``, not this value, so the primitives
    append :attr:`annotation` to the detail and analyses read it back with
    :func:`lockdep_annotation`.
    """

    action: str  # "acquire" | "release"
    key: str
    cls: str
    bit: int | None = None
    subclass: int = 0
    nest_lock: str | None = None

    @property
    def annotation(self) -> str:
        """The trace text of the annotations: ``subclass 1``, ``nest_lock zone.lock``."""
        parts = [f"subclass {self.subclass}"] if self.subclass else []
        if self.nest_lock is not None:
            parts.append(f"nest_lock {self.nest_lock}")
        return "; ".join(parts)


def with_annotation(detail: str, lock: LockAction) -> str:
    """An op's trace text followed by its lock's lockdep annotations, if any."""
    return "; ".join(filter(None, (detail, lock.annotation)))


def lockdep_annotation(detail: str) -> tuple[int, str | None]:
    """The ``(subclass, nest_lock)`` that :func:`with_annotation` wrote into a detail."""
    if "subclass " not in detail and "nest_lock " not in detail:
        return 0, None
    subclass, nest = 0, None
    for part in detail.split("; "):
        if part.startswith("subclass ") and part[9:].isdigit():
            subclass = int(part[9:])
        elif part.startswith("nest_lock "):
            nest = part[10:]
    return subclass, nest


class Op(NamedTuple):
    """One request from a model thread to the engine (a named tuple: one per step).

    ``fn`` (RMW only) maps the old value to ``(new value or NO_WRITE, result)``.
    ``cond`` (RMW only) makes the op an *await*: the thread is not enabled until
    ``cond(current value)`` holds; spinning is modelled as waiting (DESIGN.md).
    ``check`` (RMW only) maps the old value to a finding message or None, evaluated
    atomically with the access (used for the unlock-owner check of bit spinlocks).
    """

    kind: OpKind
    name: str  # the kernel primitive, e.g. "atomic_inc_not_zero"
    annot: str
    loc: Location | None = None
    value: Any = None  # STORE: value written
    fn: Callable[[Any], tuple[Any, Any]] | None = None
    cond: Callable[[Any], bool] | None = None
    check: Callable[[Any], str | None] | None = None
    lock: LockAction | None = None
    addr: frozenset[int] = frozenset()
    data: frozenset[int] = frozenset()
    detail: str = ""  # free text for traces, e.g. "bit 24" or "irqs off"
    # The bits of the word a load's result depends on (``test_bit``: one bit), or None
    # for all of them: a write that changes none of these bits commutes with the load.
    mask: int | None = None

    @property
    def shared(self) -> bool:
        """Whether the op touches shared memory (a scheduling point under SC): exactly
        the ops with a location (loads, stores, RMWs)."""
        return self.loc is not None
