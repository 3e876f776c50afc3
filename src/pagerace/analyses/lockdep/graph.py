"""The lock-order graph: one node per lock class, an edge ``A -> B`` once any thread
of any explored execution took B while holding A (lockdep-design.rst, "Lock-class"
and "Multi-lock dependency rules").  Each edge keeps the first dependency that showed
it, which is what a splat prints.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from pagerace.analyses.lockdep.reports import Dependency


class LockGraph:
    def __init__(self) -> None:
        self.edges: dict[str, dict[str, Dependency]] = {}

    def __contains__(self, edge: tuple[str, str]) -> bool:
        return edge[1] in self.edges.get(edge[0], {})

    def add(self, dep: Dependency) -> None:
        self.edges.setdefault(dep.before.cls, {})[dep.after.cls] = dep
        self.edges.setdefault(dep.after.cls, {})

    def path(self, start: str, goal: str) -> list[Dependency] | None:
        """The shortest chain of dependencies from ``start`` to ``goal`` (breadth first,
        in insertion order: deterministic), or None."""
        return next(self.paths(start, {goal}), None)

    def paths(self, start: str, goals: set[str]) -> Iterator[list[Dependency]]:
        """For each class of ``goals`` reachable from ``start`` (nearest first), the
        shortest chain to it."""
        parent: dict[str, Dependency | None] = {start: None}
        queue = deque([start])
        while queue:
            cls = queue.popleft()
            for nxt, dep in self.edges.get(cls, {}).items():
                if nxt in parent:
                    continue
                parent[nxt] = dep
                if nxt in goals:
                    yield _chain(parent, nxt)
                queue.append(nxt)


def _chain(parent: dict[str, Dependency | None], end: str) -> list[Dependency]:
    out: list[Dependency] = []
    dep = parent[end]
    while dep is not None:
        out.append(dep)
        dep = parent[dep.before.cls]
    return out[::-1]
