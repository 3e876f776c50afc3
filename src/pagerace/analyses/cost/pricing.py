"""Pricing: per-operation figures and a workload's rates turned into locked operations,
line transfers and cycles per second, and the split rate where two designs cost the
same (the crossover).

Which figure feeds which total: locked operations, fences and every other cost class
come from the *uncontended* run (one CPU, serial, at the THP's real order: they are
properties of the code path); line transfers come from the *contended* exploration
(the median over explored executions; one CPU never transfers a line).  Cycles are
``sum(count(class) * cycles(class)) + transfers * cycles(line_transfer)`` with the unit
costs of :data:`UNIT_COSTS`, each overridable (``--cost locked_rmw=20``).

The unit costs are round figures for a 2013-era Intel server core, as published (not
measured here); they set the cycles column only -- locked operations and transfers
are counted, not estimated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pagerace.analyses.cost.classes import CLASSES
from pagerace.analyses.cost.observer import OperationSummary
from pagerace.analyses.cost.workload import OPERATIONS, RATES, Workload
from pagerace.core.errors import UsageError

LINE_TRANSFER = "line_transfer"


@dataclass(frozen=True, slots=True)
class UnitCost:
    key: str
    cycles: float
    source: str


_AGNER = "approximate, after Agner Fog, Instruction tables (Intel Sandy Bridge/Haswell)"
UNIT_COSTS: tuple[UnitCost, ...] = (
    UnitCost("plain_load", 1, f"{_AGNER}: MOV r,m, an L1 hit, 1-2 per cycle"),
    UnitCost("plain_store", 1, f"{_AGNER}: MOV m,r, 1 per cycle"),
    UnitCost("locked_rmw", 20, f"{_AGNER}: LOCK ADD/XADD/CMPXCHG/BTS m, about 18-20"),
    UnitCost("full_fence", 33, f"{_AGNER}: MFENCE, about 33"),
    UnitCost(
        "acquire_release",
        1,
        "a plain MOV on x86-TSO (v3.13 barrier.h: smp_load_acquire/smp_store_release; "
        "spin_unlock's unlocked add)",
    ),
    UnitCost("compiler_barrier", 0, "v3.13 x86-64 barrier.h:81-92: barrier() only"),
    UnitCost("irq_off", 3, f"{_AGNER}: PUSHF + CLI, a few cycles"),
    UnitCost("irq_on", 20, f"{_AGNER}: POPF, about 20"),
    UnitCost("grace_period", 0, "not priced: a grace period is milliseconds of waiting"),
    UnitCost(
        LINE_TRANSFER,
        110,
        "approximate, after David, Guerraoui, Trigonakis, SOSP 2013 (Intel Xeon): a load of a "
        "line Modified in another core of the same socket, about 110; across sockets "
        "about 290",
    ),
)
_CLASS_KEYS = {cls: cls.name.lower() for cls in CLASSES}


def unit_costs(overrides: Sequence[str] = ()) -> dict[str, float]:
    """The default unit costs with ``KEY=CYCLES`` overrides applied."""
    costs = {u.key: u.cycles for u in UNIT_COSTS}
    for item in overrides:
        key, eq, value = item.partition("=")
        try:
            cycles = float(value)
        except ValueError:
            cycles = -1.0
        if not eq or key not in costs or not cycles >= 0 or cycles == float("inf"):
            raise UsageError(
                "--cost", item, f"KEY=CYCLES, a number >= 0, with KEY one of {', '.join(costs)}"
            )
        costs[key] = cycles
    return costs


@dataclass(frozen=True, slots=True)
class Figures:
    """One operation of one variant: its uncontended and contended summaries (either
    may be missing: an operation no probe of that kind runs)."""

    operation: str
    uncontended: OperationSummary | None
    contended: OperationSummary | None

    @property
    def locked(self) -> float:
        return self.uncontended.locked.median if self.uncontended else 0.0

    @property
    def fences(self) -> float:
        return self.uncontended.fences.median if self.uncontended else 0.0

    @property
    def transfers(self) -> float:
        return self.contended.transfers.median if self.contended else 0.0

    def cycles(self, costs: Mapping[str, float]) -> float:
        total = self.transfers * costs[LINE_TRANSFER]
        if self.uncontended is not None:
            for cls, spread in self.uncontended.classes.items():
                total += spread.median * costs[_CLASS_KEYS[cls]]
        return total


@dataclass(frozen=True, slots=True)
class Totals:
    """Per second (or per event): locked operations, full fences, line transfers,
    cycles."""

    locked: float = 0.0
    fences: float = 0.0
    transfers: float = 0.0
    cycles: float = 0.0

    def metric(self, name: str) -> float:
        value: float = getattr(self, name)
        return value

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(a + b for a, b in zip(self._tuple(), other._tuple(), strict=True)))

    def scaled(self, k: float) -> Totals:
        return Totals(*(a * k for a in self._tuple()))

    def _tuple(self) -> tuple[float, float, float, float]:
        return (self.locked, self.fences, self.transfers, self.cycles)


METRICS = ("locked", "fences", "transfers", "cycles")


def per_event(
    figures: Mapping[str, Figures], workload: Workload, event: str, costs: Mapping[str, float]
) -> Totals:
    """What one ``event`` of ``workload`` costs (missing operations cost nothing)."""
    total = Totals()
    for op, times in workload.operations(event).items():
        f = figures.get(op)
        if f is not None:
            total += Totals(f.locked, f.fences, f.transfers, f.cycles(costs)).scaled(times)
    return total


def per_second(
    figures: Mapping[str, Figures], workload: Workload, costs: Mapping[str, float]
) -> Totals:
    total = Totals()
    for event in RATES:
        if workload.rate(event):
            total += per_event(figures, workload, event, costs).scaled(workload.rate(event))
    return total


@dataclass(frozen=True, slots=True)
class Crossover:
    """Where ``other`` and ``baseline`` cost the same in ``metric`` as the split rate
    varies (every other rate fixed): ``splits`` per second, None if the two lines never
    cross at a positive rate; ``cheaper_below`` names the design cheaper at lower split
    rates (the other one is cheaper above), or the cheaper one everywhere."""

    metric: str
    baseline: str
    other: str
    splits: float | None
    splits_per_io: float | None
    cheaper_below: str | None  # None: they cost the same at every split rate


def crossover(
    metric: str,
    baseline: tuple[str, Mapping[str, Figures]],
    other: tuple[str, Mapping[str, Figures]],
    workload: Workload,
    costs: Mapping[str, float],
) -> Crossover:
    (a_name, a), (b_name, b) = baseline, other
    no_splits = workload.with_splits(0)
    a0 = per_second(a, no_splits, costs).metric(metric)
    b0 = per_second(b, no_splits, costs).metric(metric)
    a1 = per_event(a, workload, "splits", costs).metric(metric)
    b1 = per_event(b, workload, "splits", costs).metric(metric)
    if a1 == b1:
        cheaper = None if a0 == b0 else (a_name if a0 < b0 else b_name)
        return Crossover(metric, a_name, b_name, None, None, cheaper)
    s = (b0 - a0) / (a1 - b1)
    if s <= 0:  # no crossing at a positive rate: one design is cheaper throughout
        cheaper = a_name if (a0 <= b0 and a1 <= b1) else b_name
        return Crossover(metric, a_name, b_name, None, None, cheaper)
    per_io = s / workload.odirect_ios if workload.odirect_ios else None
    return Crossover(metric, a_name, b_name, s, per_io, a_name if a0 < b0 else b_name)


def operation_names(figures: Mapping[str, Mapping[str, Figures]]) -> list[str]:
    """Every operation priced for any variant, in :data:`OPERATIONS` order."""
    seen = {op for per_op in figures.values() for op in per_op}
    return [op for op in OPERATIONS if op in seen] + sorted(seen - set(OPERATIONS))
