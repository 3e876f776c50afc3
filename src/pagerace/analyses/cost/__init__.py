"""The cost model (issue 5): every event priced by class and cache line, per kernel
operation and per design variant.

:class:`CostObserver` is an observer: hand it to ``explore`` in
``Options(observers=...)``, or feed it a serial run (:func:`serial`); read
:meth:`CostObserver.summary`.  Programs mark the operations to price with
:func:`pagerace.kernel.operation.operation`.  :mod:`.workload` says how often each
operation runs; :mod:`.pricing` turns both into rates, cycles and crossovers.
"""

from typing import TYPE_CHECKING, Any

from pagerace.analyses.cost.cachelines import Mesi, line_of
from pagerace.analyses.cost.classes import CLASSES, CostClass, cost_class
from pagerace.analyses.cost.observer import (
    OPERATION_MARKER,
    CostObserver,
    OperationCost,
    OperationSummary,
    Spread,
)
from pagerace.analyses.cost.workload import OPERATIONS, WORKLOADS, Workload, load_workload

if TYPE_CHECKING:
    from pagerace.analyses.cost.measure import Coverage, explored, serial


def __getattr__(name: str) -> Any:
    """The measuring side (it runs the explorer) is imported on first use: the CLI
    builds ``pagerace cost``'s parser from :mod:`.workload` for every command."""
    if name in ("Coverage", "explored", "serial"):
        from pagerace.analyses.cost import measure

        return getattr(measure, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CLASSES",
    "OPERATIONS",
    "OPERATION_MARKER",
    "WORKLOADS",
    "CostClass",
    "CostObserver",
    "Coverage",
    "Mesi",
    "OperationCost",
    "OperationSummary",
    "Spread",
    "Workload",
    "cost_class",
    "explored",
    "line_of",
    "load_workload",
    "serial",
]
