"""The :class:`MemoryModel` protocol: SC, TSO and the LKMM plug in here."""

from __future__ import annotations

from typing import Protocol

from pagerace.core.errors import UsageError
from pagerace.graph.graph import ExecutionGraph


class MemoryModel(Protocol):
    """A memory model answers one question: is this execution graph consistent?

    Contract: ``violation(g)`` returns None for a consistent graph, else the name of the
    violated axiom (as in the model's cat file, e.g. ``"sc"``, ``"atomic"``).  It must be
    a pure function of the graph.  ``interleaving`` is True when every consistent graph
    is produced by some interleaving of the events at their program positions (SC), so
    the explorer may run threads step by step instead of choosing reads-from edges.
    """

    name: str
    interleaving: bool

    def violation(self, g: ExecutionGraph) -> str | None: ...


def model_by_name(name: str) -> MemoryModel:
    from pagerace.models.sc import SequentialConsistency

    models: dict[str, MemoryModel] = {"sc": SequentialConsistency()}
    if name not in models:
        raise UsageError(
            "--model",
            name,
            f"one of {', '.join(sorted(models))} (x86-TSO and the LKMM are not available yet)",
        )
    return models[name]
