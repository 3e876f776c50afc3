"""Running a program under the cost observer: one serial run (uncontended figures), or
the explored interleavings (contended figures).

A *serial* run is the schedule in which each thread runs to its end before the next
starts (thread 0 first): no interleaving, so a one-thread program is "a single CPU",
and a program of several threads shows only the transfers of lines handed from one
CPU to the next.  It is one execution of any size (``--order 9``: 511 tails), where an
exhaustive exploration of the same program would not end.

The *explored* figures come from the optimal DPOR exploration under SC (every
interleaving up to ``max_executions``), with every finding kept (``all_findings``):
the costs of executions that go wrong count as well, and the caller reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pagerace.analyses.cost.observer import CostObserver
from pagerace.explore.explorer import Options, explore
from pagerace.explore.finding import Finding
from pagerace.explore.observer import ObservedRun
from pagerace.explore.replay import replay
from pagerace.explore.runtime import Program


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of a program's behaviour the figures cover."""

    program: str
    mode: str  # "serial" | "explored"
    executions: int
    complete: bool  # every execution explored (always true of the serial run's claim)
    bound: str  # why not complete, or ""
    findings: tuple[str, ...]  # distinct finding kinds met


def serial(program: Program, observer: CostObserver) -> Coverage:
    """Feed ``observer`` the serial run of ``program``."""
    ex = replay(program, (), stop_on_finding=False)
    names = tuple(t.name for t in ex.threads)
    findings: tuple[Finding, ...] = tuple(ex.findings)
    observer.observe(ObservedRun(names, tuple(ex.events), findings))
    kinds = tuple(sorted({f.kind for f in findings}))
    return Coverage(program.name, "serial", 1, True, "", kinds)


def explored(program: Program, observer: CostObserver, max_executions: int) -> Coverage:
    """Feed ``observer`` every execution of ``program`` (up to ``max_executions``)."""
    opts = Options(
        max_executions=max_executions,
        all_findings=True,
        shrink=False,
        observers=(observer,),
    )
    res = explore(program, opts)
    complete = not res.bound_reason and not res.stats.bounded and not res.stats.blocked
    kinds = tuple(sorted({cx.finding.kind for cx in res.counterexamples}))
    bound = "" if complete else res.bound_reason or "the search did not cover every execution"
    return Coverage(program.name, "explored", res.stats.executions, complete, bound, kinds)
