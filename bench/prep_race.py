"""Benchmark: prep-race under SC (issue 2).

For --cpus 2..5: the v3.13 time and executions to the first finding, and the prep-fix
full verification (executions, blocked runs, time, executions per second).  At small
sizes also the number of interleavings a brute-force search runs, to show what the
reduction saves.  Prints a Markdown table; paste it into docs/benchmarks.md with the
date, the machine and the command.

    python bench/prep_race.py [--cpus 2 3 4 5] [--brute-max 3]
"""

from __future__ import annotations

import argparse
import platform
import time

from pagerace.explore import Options, explore
from pagerace.explore.bruteforce import all_interleavings
from pagerace.scenarios.catalogue import scenario


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpus", type=int, nargs="+", default=[2, 3, 4, 5])
    ap.add_argument("--brute-max", type=int, default=2, help="largest --cpus for brute force")
    args = ap.parse_args()
    sc = scenario("prep-race")
    print(
        f"python {platform.python_version()}, {platform.machine()}, "
        f"{platform.processor() or 'cpu'}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print()
    print(
        "| --cpus | v3.13: verdict | executions to first finding | time | prep-fix: verdict "
        "| executions | blocked | time | executions/s | brute-force interleavings |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for cpus in args.cpus:
        t0 = time.perf_counter()
        bug = explore(sc.program("v3.13", {"cpus": cpus}), Options(shrink=False))
        t_bug = time.perf_counter() - t0
        t0 = time.perf_counter()
        fix = explore(sc.program("prep-fix", {"cpus": cpus}), Options())
        t_fix = time.perf_counter() - t0
        brute = "-"
        if cpus <= args.brute_max:
            b = all_interleavings(sc.program("prep-fix", {"cpus": cpus}), 100_000)
            more = "" if b.complete else "+ (stopped)"
            brute = f"{b.interleavings:,}{more} ({len(b.graph_keys):,} graphs)"
        rate = fix.stats.executions / t_fix if t_fix else 0.0
        print(
            f"| {cpus} | {bug.verdict} | {bug.stats.executions} | {t_bug:.2f} s "
            f"| {fix.verdict} | {fix.stats.executions:,} | {fix.stats.blocked} "
            f"| {t_fix:.2f} s | {rate:,.0f} | {brute} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
