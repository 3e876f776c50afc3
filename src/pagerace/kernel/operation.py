"""Operation markers: where one kernel operation (``put_page`` of a tail, a split, an
allocation, ...) begins and ends in a model thread, for analyses that price operations
(:mod:`pagerace.analyses.cost`).

A marker is a thread-local event -- kind ``LOCAL``, name ``"operation"``, detail
``"begin NAME"`` or ``"end NAME"`` (the vocabulary the observer defines, which this
layer imports from below it) -- like ``local_irq_save``'s: not a memory
access and not a scheduling point, so marking a call changes neither the executions
explored nor their number.  Model code in ``mm/`` does not mark itself: a program marks
the calls it wants priced, and everything they run (a split's own ``put_page`` calls
included) belongs to the outermost marked operation::

    with operation("put_page(tail)"):
        put_page(tail, variant)

A thread stopped inside an operation (a ``BUG_ON``, a deadlock) leaves it without an
end marker; the analysis counts it as unfinished.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pagerace.analyses.cost.observer import BEGIN, END, OPERATION_MARKER
from pagerace.kernel._access import local


@contextmanager
def operation(name: str) -> Iterator[None]:
    """Mark the calls in the ``with`` body as one operation called ``name``.  No end
    marker is emitted when the body raises (the thread stops with a finding)."""
    local(OPERATION_MARKER, BEGIN + name)
    yield
    local(OPERATION_MARKER, END + name)
