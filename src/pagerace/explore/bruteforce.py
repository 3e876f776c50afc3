"""The reference explorer: every interleaving, no reduction at all.

Exponential, for tests and for measuring what DPOR saves: it must reach exactly the
graphs the optimal explorer reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pagerace.explore.execution import Execution
from pagerace.explore.runtime import Program
from pagerace.graph.graph import ExecutionGraph


@dataclass(slots=True)
class Enumeration:
    interleavings: int = 0
    complete: bool = True
    graph_keys: set[object] = field(default_factory=set)
    final_states: set[tuple[tuple[str, str], ...]] = field(default_factory=set)
    findings: set[tuple[str, str]] = field(default_factory=set)


def all_interleavings(
    program: Program,
    max_interleavings: int = 200_000,
    key: Callable[[ExecutionGraph], object] | None = None,
) -> Enumeration:
    """Depth-first over every schedule; each maximal run is replayed from scratch.
    ``key`` names a graph in ``graph_keys`` (default: ``ExecutionGraph.key``)."""
    out = Enumeration()
    stack: list[tuple[int, ...]] = [()]
    while stack:
        if out.interleavings >= max_interleavings:
            out.complete = False
            break
        prefix = stack.pop()
        ex = Execution(program, stop_on_finding=False)
        for tid in prefix:
            ex.step(tid)
        enabled = ex.enabled()
        if enabled:
            ex.close()
            stack.extend((*prefix, t) for t in reversed(enabled))
            continue
        ex.finish()
        out.interleavings += 1
        g = ex.graph()
        out.graph_keys.add(g.key if key is None else key(g))
        if not ex.findings:
            out.final_states.add(ex.final_state())
        out.findings.update(f.signature for f in ex.findings)
    return out
