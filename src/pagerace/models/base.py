"""The :class:`MemoryModel` protocol: SC, TSO and the LKMM plug in here."""

from __future__ import annotations

from functools import cache
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
    ``porf_cycles`` is True when some consistent graph has a ``po | rf`` cycle (load
    buffering: the LKMM), so the explorer must let a read read from a write that
    (without dependencies) comes after it.  An optional ``coherent`` attribute, True,
    promises that every graph the model accepts is coherent per location (acyclic
    ``po-loc | rf | co | fr``, as SC, x86-TSO and the LKMM require): the graph explorer
    then rejects a step that breaks it without asking the model.  An optional
    ``sinks`` attribute, True, promises that a consistent graph stays consistent when an
    event with no edge out of it is added: its thread's newest event, an access (not a
    lock.cat or SRCU one) that reads the co-latest write of its location and is written
    co-last, or a fence whose relations all go through ``po`` after it (not RCU's).
    Every axiom of SC, x86-TSO and the LKMM is the acyclicity or irreflexivity of a
    relation built from ``po``, ``rf``, ``co``, ``fr`` and such fences, so a cycle through
    that event would need an edge out of it; the graph explorer then adds it unasked.
    """

    name: str
    interleaving: bool
    porf_cycles: bool

    def violation(self, g: ExecutionGraph) -> str | None: ...


NAMES = ("sc", "tso", "lkmm", "cat:DIR")


@cache
def model_by_name(name: str) -> MemoryModel:
    """``sc``, ``tso``, ``lkmm`` (native), or ``cat:DIR`` (linux-kernel.cat read from DIR
    and interpreted).  Built once per process and name (models are pure predicates)."""
    if name == "sc":
        from pagerace.models.sc import SequentialConsistency

        return SequentialConsistency()
    if name == "tso":
        from pagerace.models.tso import X86TSO

        return X86TSO()
    if name == "lkmm":
        from pagerace.models.lkmm import LKMM

        return LKMM()
    if name.startswith("cat:") and len(name) > 4:
        from pagerace.models.catmodel import CatMemoryModel

        return CatMemoryModel.from_directory(name[4:])
    raise UsageError("--model", name, " | ".join(NAMES))
