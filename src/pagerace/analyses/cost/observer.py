"""The cost observer: every event priced by class and cache line, and attributed to the
kernel operation it belongs to.

Attribution: a program marks the operations it wants priced with
:func:`pagerace.kernel.operation.operation`, which records a thread-local event named
:data:`OPERATION_MARKER` with detail ``"begin NAME"`` / ``"end NAME"``.  Every event
a thread runs between the two belongs to that operation instance; a marked operation
inside another belongs to the outer one (a split's own ``put_page`` calls are the
split's).  Events outside any operation are tallied apart (``unmarked``); an operation
left open when its thread ends (a ``BUG_ON``, a deadlock) is kept, marked unfinished.

Per execution (one ``observe``), lines start cold (no CPU holds any), so a transfer is
a move between two CPUs of that execution (:mod:`.cachelines`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from pagerace.analyses.cost.cachelines import Mesi, line_of
from pagerace.analyses.cost.classes import CLASSES, INDEX, CostClass, cost_class
from pagerace.explore.observer import ObservedRun
from pagerace.graph.events import Event, EventKind

OPERATION_MARKER = "operation"  # pagerace.kernel.operation emits these
BEGIN, END = "begin ", "end "

_LOCAL = EventKind.LOCAL
_LOCKED = CostClass.LOCKED_RMW


@dataclass(frozen=True, slots=True)
class OperationCost:
    """One operation instance, as it ran in one execution."""

    operation: str
    thread: str
    counts: tuple[int, ...]  # per cost class, in CLASSES order
    transfers: int
    locked_by_primitive: tuple[tuple[str, int], ...]  # sorted by primitive
    finished: bool

    def count(self, cls: CostClass) -> int:
        return self.counts[INDEX[cls]]

    @property
    def locked(self) -> int:
        return self.count(CostClass.LOCKED_RMW)

    @property
    def fences(self) -> int:
        return self.count(CostClass.FULL_FENCE)


@dataclass(frozen=True, slots=True)
class Spread:
    """Minimum, median and maximum of a figure over samples."""

    min: float
    median: float
    max: float

    @staticmethod
    def of(values: Iterable[float]) -> Spread:
        vs = sorted(values)
        if not vs:
            return Spread(0, 0, 0)
        return Spread(vs[0], statistics.median(vs), vs[-1])

    def __str__(self) -> str:
        if self.min == self.max:
            return _num(self.min)
        return f"{_num(self.min)} / {_num(self.median)} / {_num(self.max)}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


@dataclass(frozen=True, slots=True)
class OperationSummary:
    """An operation over every sample seen: its locked operations, full fences and line
    transfers as min / median / max, and each cost class and locked primitive (median)."""

    operation: str
    samples: int
    unfinished: int
    locked: Spread
    fences: Spread
    transfers: Spread
    classes: dict[CostClass, Spread]
    locked_by_primitive: dict[str, Spread]

    @staticmethod
    def of(operation: str, costs: list[OperationCost]) -> OperationSummary:
        primitives = sorted({p for c in costs for p, _ in c.locked_by_primitive})
        by_prim = [dict(c.locked_by_primitive) for c in costs]
        return OperationSummary(
            operation,
            len(costs),
            sum(not c.finished for c in costs),
            Spread.of(c.locked for c in costs),
            Spread.of(c.fences for c in costs),
            Spread.of(c.transfers for c in costs),
            {cls: Spread.of(c.count(cls) for c in costs) for cls in CLASSES},
            {p: Spread.of(d.get(p, 0) for d in by_prim) for p in primitives},
        )


class _Open:
    """An operation instance being tallied."""

    __slots__ = ("counts", "depth", "locked_by", "name", "transfers")

    def __init__(self, name: str) -> None:
        self.name, self.depth, self.transfers = name, 1, 0
        self.counts = [0] * len(CLASSES)
        self.locked_by: dict[str, int] = {}

    def close(self, thread: str, finished: bool) -> OperationCost:
        prims = tuple(sorted(self.locked_by.items()))
        return OperationCost(self.name, thread, tuple(self.counts), self.transfers, prims, finished)


class CostObserver:
    """An :class:`~pagerace.explore.observer.Observer`: hand it to ``explore`` in
    ``Options(observers=...)`` (or feed it one serial run, :func:`.measure.serial`),
    then read :meth:`summary`."""

    def __init__(self) -> None:
        self.executions = 0
        self.samples: dict[str, list[OperationCost]] = {}
        self.unmarked = [0] * len(CLASSES)  # events outside any operation, per class
        self._lines: dict[str, str] = {}

    def observe(self, run: ObservedRun) -> None:
        self.executions += 1
        lines, unmarked = self._lines, self.unmarked
        access = Mesi().access  # bound once: the loop below runs per event
        open_: dict[int, _Open] = {}
        for e in run.events:
            if e.kind is _LOCAL and e.name == OPERATION_MARKER:
                self._marker(e, open_, run.threads)
                continue
            cls = cost_class(e)
            if cls is None:
                continue
            transfer = False
            loc = e.loc
            if loc is not None:
                line = lines.get(loc)
                if line is None:
                    line = lines[loc] = line_of(loc)
                # needs_ownership(e, cls), inlined
                transfer = access(line, e.tid, e.writes or cls is _LOCKED)
            cur = open_.get(e.tid)
            if cur is None:
                unmarked[INDEX[cls]] += 1
                continue
            cur.counts[INDEX[cls]] += 1
            cur.transfers += transfer
            if cls is _LOCKED:
                cur.locked_by[e.name] = cur.locked_by.get(e.name, 0) + 1
        for tid, cur in open_.items():
            self._keep(cur.close(run.threads[tid], finished=False))

    def _marker(self, e: Event, open_: dict[int, _Open], threads: tuple[str, ...]) -> None:
        cur = open_.get(e.tid)
        if e.detail.startswith(BEGIN):
            if cur is None:
                open_[e.tid] = _Open(e.detail[len(BEGIN) :])
            else:
                cur.depth += 1
            return
        if cur is None or not e.detail.startswith(END):
            raise AssertionError(f"[pagerace internal bug] unmatched operation marker {e}")
        cur.depth -= 1
        if cur.depth == 0:
            del open_[e.tid]
            self._keep(cur.close(threads[e.tid], finished=True))

    def _keep(self, cost: OperationCost) -> None:
        self.samples.setdefault(cost.operation, []).append(cost)

    def summary(self) -> dict[str, OperationSummary]:
        """Per operation, in the order first seen."""
        return {op: OperationSummary.of(op, costs) for op, costs in self.samples.items()}
