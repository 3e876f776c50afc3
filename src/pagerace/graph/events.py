"""Events of an execution graph (GenMC / herd vocabulary)."""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from pagerace.core.records import Record


class EventKind(enum.Enum):
    LOAD = "R"
    STORE = "W"
    RMW = "RMW"
    RMW_FAIL = "RMW-fail"  # a failed cmpxchg / inc_not_zero: a read only
    FENCE = "F"
    LOCK = "LKW"  # lock acquisition (an RMW on the lock word), as in lock.cat
    UNLOCK = "UL"  # lock release
    LOCAL = "local"  # irq save/restore and other thread-local steps (not memory events)
    END = "end"  # thread end


READ_KINDS = frozenset({EventKind.LOAD, EventKind.RMW, EventKind.RMW_FAIL, EventKind.LOCK})
WRITE_KINDS = frozenset({EventKind.STORE, EventKind.RMW, EventKind.LOCK})


class SourceRef(Record):
    """Where in the model's Python source an event came from."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file.rsplit('/', 1)[-1]}:{self.line}"


class Event(NamedTuple):
    """One event (a named tuple: one is built per step, so construction must be cheap).

    ``eid`` is its position in the order events were added (the run order).

    ``reads``/``writes`` say what the event did in this execution (an UNLOCK of a bit
    spinlock is an RMW on the flags word; a spin_unlock is a store).  ``rf`` is the eid of
    the write read from, or None for the initial value.  Dependencies are eids of the
    reads a value came from.
    """

    eid: int
    tid: int
    po_index: int  # position in its thread (po)
    kind: EventKind
    name: str  # kernel primitive
    annot: str
    loc: str | None = None
    lid: int | None = None
    reads: bool = False
    writes: bool = False
    read_value: Any = None
    written_value: Any = None
    rf: int | None = None
    addr: frozenset[int] = frozenset()
    data: frozenset[int] = frozenset()
    ctrl: frozenset[int] = frozenset()
    lock_key: str | None = None
    detail: str = ""
    src: SourceRef | None = None
    mask: int | None = None  # a load that observed only these bits (Op.mask)
    lock_class: str | None = None  # the lockdep class of a lock event (LockAction.cls)

    @property
    def is_memory(self) -> bool:
        return self.reads or self.writes
