"""Observers: analyses fed every complete execution the explorer builds (lockdep, the
cost model), without changing the exploration (issue 5).

An observer sees each execution once, as the events of its run in the order they ran
(SC) or were added (weak models), with the thread names and the run's findings.  What
it accumulates across executions (a lock-order graph, cost samples) is its own state;
it reports at the end.  Observers must not raise on the model's behalf: whatever they
raise ends the exploration (as ``Options.on_execution`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pagerace.explore.finding import Finding
from pagerace.graph.events import Event


@dataclass(frozen=True, slots=True)
class ObservedRun:
    threads: tuple[str, ...]
    events: tuple[Event, ...]
    findings: tuple[Finding, ...]


class Observer(Protocol):
    def observe(self, run: ObservedRun) -> None: ...
