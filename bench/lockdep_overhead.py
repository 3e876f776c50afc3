"""Benchmark: what lockdep adds to an exploration (issue 5, item 6; target under 30%).

For each configuration, the same exploration (exhaustive; at ``--order 9`` the one
random execution ``pagerace lockdep`` runs) runs bare and with the lockdep
observer (bit locks untracked, then tracked), alternating, ``--repeat`` times; the
table gives the best CPU time of each (process time: the machine is shared, and wall
time counts the other tenants too) and the overhead against bare.  Attaching source
lines to the reports (one replay per execution a report names) happens after the
exploration and is timed separately.  "in the observer" is the CPU time spent inside
``Lockdep.observe`` (tracked), against the bare exploration: the overhead without
the noise of two separate runs.  Prints a Markdown table; paste it into
docs/benchmarks.md with the date, the machine and the command.

    python bench/lockdep_overhead.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from dataclasses import replace

from pagerace.analyses.lockdep import Lockdep, attach_sources
from pagerace.explore import Options, explore
from pagerace.explore.observer import ObservedRun
from pagerace.explore.runtime import Program
from pagerace.mm.variants import VARIANTS
from pagerace.scenarios.catalogue import scenario

EXHAUSTIVE = Options(all_findings=True, shrink=False)
# `pagerace lockdep ... --order 9`: one random execution of 511 tails (7,000+ steps).
ONE_RUN = Options(
    strategy="random", max_executions=1, max_steps=1_000_000, all_findings=True, shrink=False
)
CONFIGS = (
    ("split-vs-tail-put", "v3.13", {"cpus": 3, "order": 2}, EXHAUSTIVE),
    ("split-vs-tail-put", "per-tail-lock", {"cpus": 3, "order": 2}, EXHAUSTIVE),
    ("prep-race", "prep-fix", {"cpus": 3}, EXHAUSTIVE),
    ("prep-race", "v3.13", {"cpus": 3}, EXHAUSTIVE),
    ("split-vs-tail-put", "per-tail-lock", {"cpus": 2, "order": 9}, ONE_RUN),
)


def program(name: str, variant: str, params: dict[str, int]) -> Program:
    """The scenario's program, with ``params`` as given (``--order 9`` is beyond the
    catalogue's exhaustive range, as ``pagerace lockdep`` allows)."""
    sc = scenario(name)
    resolved = {p.name: params.get(p.name, p.default) for p in sc.params}
    return Program(f"{name}/{variant}", sc.builder(VARIANTS[variant], resolved), resolved)


def timed(fn: Callable[..., object], *args: object) -> float:
    t0 = time.process_time()
    fn(*args)
    return time.process_time() - t0


class TimedObserver:
    """Wraps an observer and adds up the CPU time spent in it (shuttle's way: metrics
    come from wrapping, not from editing what is measured)."""

    def __init__(self, inner: Lockdep) -> None:
        self.inner, self.seconds = inner, 0.0

    def observe(self, run: ObservedRun) -> None:
        t0 = time.process_time()
        self.inner.observe(run)
        self.seconds += time.process_time() - t0


def measure(prog: Program, base: Options, repeat: int) -> tuple[dict[str, float], Lockdep]:
    """Best CPU time of the bare and the observed explorations, the least time spent
    inside the tracked observer, and the last tracked observer (counts, reports)."""
    best = {"bare": 1e9, "lockdep": 1e9, "tracked": 1e9, "inside": 1e9}
    tracked = Lockdep()
    for _ in range(repeat):
        best["bare"] = min(best["bare"], timed(explore, prog, base))
        for key, track in (("lockdep", False), ("tracked", True)):
            ld = TimedObserver(Lockdep(track_bit_locks=track))
            opts = replace(base, observers=(ld,))
            best[key] = min(best[key], timed(explore, prog, opts))
            tracked = ld.inner
        best["inside"] = min(best["inside"], ld.seconds)
    return best, tracked


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
        "| scenario | variant | params | executions | thread lock sequences | bare | "
        "lockdep | overhead | lockdep, bit locks tracked | overhead | in the observer "
        "| reports (tracked) | source lines |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, variant, params, base in CONFIGS:
        prog = program(name, variant, params)
        best, tracked = measure(prog, base, args.repeat)
        reports = tracked.reports()
        t_src = timed(attach_sources, reports, prog, tracked.witnesses)
        kinds = ", ".join(r.kind for r in reports) or "none"
        shown = " ".join(f"--{k} {v}" for k, v in params.items())
        over = {k: 100 * (best[k] / best["bare"] - 1) for k in ("lockdep", "tracked")}
        inside = 100 * best["inside"] / best["bare"]
        print(
            f"| {name} | {variant} | {shown} | {tracked.executions:,} | {tracked.paths} "
            f"| {best['bare']:.2f} s | {best['lockdep']:.2f} s | {over['lockdep']:+.1f}% "
            f"| {best['tracked']:.2f} s | {over['tracked']:+.1f}% "
            f"| {best['inside']:.2f} s ({inside:.1f}%) | {kinds} | {t_src:.2f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
