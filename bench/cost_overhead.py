"""Benchmark: what the cost observer adds to an exploration (issue 5, item 6: the cost
model's part; target under 30%).

For each configuration the same exploration runs bare and with the cost observer,
alternating, ``--repeat`` times; the table gives the best CPU time of each (process
time: the machine is shared) and the overhead against bare, and "in the observer", the
CPU time spent inside ``CostObserver.observe`` against the bare exploration (the
overhead without the noise of two separate runs).  Catalogue scenarios have no
operation markers: the observer does all its work (classes, lines, MESI) and files
every event as unmarked.  The cost probes are marked; ``serial`` is the one-run
serial schedule ``pagerace cost compare`` uses at ``--order 9``.  Prints a Markdown
table; paste it into docs/benchmarks.md with the date, the machine and the command.

    python bench/cost_overhead.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

from pagerace.analyses.cost import CostObserver, serial
from pagerace.explore import Options, explore
from pagerace.explore.observer import ObservedRun
from pagerace.explore.runtime import Program
from pagerace.mm.variants import VARIANTS
from pagerace.scenarios.catalogue import scenario
from pagerace.scenarios.cost_probes import contended, uncontended

BOUND = 5000


def catalogue(name: str, variant: str, params: dict[str, int]) -> Program:
    sc = scenario(name)
    resolved = {p.name: params.get(p.name, p.default) for p in sc.params}
    return Program(f"{name}/{variant}", sc.builder(VARIANTS[variant], resolved), resolved)


def probe(kind: str, name: str, variant: str, order: int) -> Program:
    probes = uncontended if kind == "serial" else contended
    (p,) = [p for p in probes(VARIANTS[variant], order) if p.name == name]
    return p.program


CONFIGS: tuple[tuple[str, str, Program], ...] = (
    ("odirect --cpus 2 --order 2", "explored", catalogue("odirect", "v3.13", {"cpus": 2})),
    (
        "odirect --cpus 2 --order 2 --gets 1",
        f"explored, first {BOUND:,}",
        catalogue("odirect", "v3.13", {"cpus": 2, "gets": 1}),
    ),
    (
        "split-vs-tail-put --cpus 3 --order 2",
        f"explored, first {BOUND:,}",
        catalogue("split-vs-tail-put", "v3.13", {"cpus": 3, "order": 2}),
    ),
    (
        "gup-vs-split --cpus 2 --order 1",
        "explored",
        catalogue("gup-vs-split", "v3.13", {"cpus": 2, "order": 1}),
    ),
    ("probe io-io, order 2", "explored", probe("explored", "io-io", "v3.13", 2)),
    ("probe split-io, order 2", "explored", probe("explored", "split-io", "v3.13", 2)),
    ("probe split, order 9", "serial", probe("serial", "split", "v3.13", 9)),
)


class TimedObserver:
    """Wraps the observer and adds up the CPU time spent in it."""

    def __init__(self) -> None:
        self.inner, self.seconds = CostObserver(), 0.0

    def observe(self, run: ObservedRun) -> None:
        t0 = time.process_time()
        self.inner.observe(run)
        self.seconds += time.process_time() - t0


def timed(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


class Bare:
    """No observer (a serial run needs one to hand its run to: this one drops it)."""

    def observe(self, run: ObservedRun) -> None:
        pass


def once(prog: Program, mode: str, observer: TimedObserver | None) -> Callable[[], object]:
    if mode.startswith("serial"):
        return lambda: serial(prog, observer or Bare())  # type: ignore[arg-type]
    observers = () if observer is None else (observer,)
    opts = Options(max_executions=BOUND, all_findings=True, shrink=False, observers=observers)
    return lambda: explore(prog, opts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(
        f"python {platform.python_version()}, {platform.machine()}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; best of {args.repeat}"
    )
    print()
    print(
        "| program (v3.13) | run | executions | bare | cost observer | overhead | in the observer |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, mode, prog in CONFIGS:
        best = {"bare": 1e9, "cost": 1e9, "inside": 1e9}
        executions = 0
        for _ in range(args.repeat):
            best["bare"] = min(best["bare"], timed(once(prog, mode, None)))
            obs = TimedObserver()
            best["cost"] = min(best["cost"], timed(once(prog, mode, obs)))
            best["inside"] = min(best["inside"], obs.seconds)
            executions = obs.inner.executions
        over = 100 * (best["cost"] / best["bare"] - 1)
        inside = 100 * best["inside"] / best["bare"]
        print(
            f"| {label} | {mode} | {executions:,} | {best['bare']:.2f} s | {best['cost']:.2f} s "
            f"| {over:+.1f}% | {best['inside']:.2f} s ({inside:.1f}%) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
