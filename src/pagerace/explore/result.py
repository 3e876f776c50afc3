"""What an exploration returns: findings (data, never exceptions, :class:`Finding`) and a
verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pagerace.explore.finding import Finding as Finding  # (also where it was defined first)
from pagerace.graph.events import Event


@dataclass(frozen=True, slots=True)
class Trace:
    """A complete run: thread names, events in run order, the schedule that replays it."""

    threads: tuple[str, ...]
    events: tuple[Event, ...]
    schedule: tuple[int, ...]
    findings: tuple[Finding, ...]
    final: tuple[tuple[str, str], ...] = ()  # (location, rendered final value)
    shown: tuple[tuple[str, str], ...] = ()  # per event: (read, written) rendered by the
    # location's formatter ("PG_head|PG_compound_lock"), "" where there is none


@dataclass(frozen=True, slots=True)
class Counterexample:
    finding: Finding
    trace: Trace
    replay: str  # the token `pagerace replay` takes


@dataclass(slots=True)
class Stats:
    executions: int = 0  # complete executions explored
    blocked: int = 0  # runs cut short without completing (sleep-set blocked; 0 if optimal)
    bounded: int = 0  # runs cut by max_steps
    deadlocks: int = 0
    steps: int = 0  # shared events executed, replays included
    elapsed_s: float = 0.0
    distinct_graphs: int | None = None  # counted only when asked (tests)
    duplicate_graphs: int | None = None
    # The graph explorer (weak models) only: re-runs of the threads (one per graph taken
    # off its work list), and graphs the model rejected (most before any re-run).
    reruns: int | None = None
    rejected: int | None = None


@dataclass(slots=True)
class Result:
    """``verdict``: ``verified`` (every execution explored, no finding), ``finding``, or
    ``bounded`` (a bound or an interrupt stopped the search before it was complete)."""

    verdict: str
    stats: Stats
    counterexamples: list[Counterexample] = field(default_factory=list)
    bound_reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    final_states: dict[tuple[tuple[str, str], ...], int] = field(default_factory=dict)
    graph_keys: set[object] = field(default_factory=set)  # filled when count_graphs
