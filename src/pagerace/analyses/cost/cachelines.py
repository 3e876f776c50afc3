"""Cache lines and MESI ownership transfers between CPUs.

Which words share a line: a ``struct page`` is 64 bytes on x86-64 in v3.13 (ref §1.1),
one line, so every location ``NAME.field`` of a page is on line ``NAME``.  A
``struct zone`` spans many lines: its ``lock`` and its ``lru_lock`` are on lines of
their own (``ZONE_PADDING`` keeps the allocator's and the LRU's fields apart), and each
``free_area[k]`` is counted as one line.  Any other location is its own line (a pmd, a
variable of a litmus-style program).  Structures to split so are
:data:`SPLIT_STRUCTS`; for the rest the line is the text before the first ``.``.

Ownership (MESI, per CPU = per thread): a write, or any locked instruction, needs the
line Modified in its CPU's cache: one *transfer* if another CPU held it (Modified or
Shared: the others' copies are invalidated and ownership moves).  A read needs it at
least Shared: one transfer if another CPU held it Modified (that CPU's copy is
downgraded to Shared).  Lines start in no cache: a first touch is a miss from memory,
not a transfer, so a single CPU never transfers a line.

Limitations: no capacity or conflict misses (caches are infinite), no prefetching, no
false sharing inside a zone beyond the grouping above; spinning is waiting in the model
(DESIGN.md), so the line a waiter would pull back and forth while it spins is not
counted -- only the acquisition that succeeds.
"""

from __future__ import annotations

SPLIT_STRUCTS = frozenset({"zone"})

_NONE = -1  # no CPU holds the line Modified


def line_of(loc: str) -> str:
    """The cache line of location ``loc`` (see the module docstring)."""
    head, dot, rest = loc.partition(".")
    if dot and head in SPLIT_STRUCTS:
        return f"{head}.{rest.split('.', 1)[0]}"
    return head


class Mesi:
    """The holders of every line for one execution; :meth:`access` says whether an
    access moved the line from another CPU."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        # line -> (the CPU holding it Modified or _NONE, bit mask of CPUs holding it)
        self.lines: dict[str, tuple[int, int]] = {}

    def access(self, line: str, cpu: int, own: bool) -> bool:
        """CPU ``cpu`` reads (``own`` False) or writes/locks (``own`` True) ``line``;
        true when that is a transfer."""
        me = 1 << cpu
        state = self.lines.get(line)
        if state is None:
            self.lines[line] = (cpu if own else _NONE, me)
            return False
        modified, holders = state
        if own:
            self.lines[line] = (cpu, me)
            return bool(holders & ~me)
        if modified != _NONE and modified != cpu:
            self.lines[line] = (_NONE, holders | me)
            return True
        self.lines[line] = (modified, holders | me)
        return False
