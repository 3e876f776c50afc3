"""The largest --cpus x --order each scenario explores exhaustively within a time limit.

For each scenario (its first variant, every finding: ``--all-findings`` makes the search
exhaustive even when it finds something), under SC: for --cpus 2, 3, 4,
--order from 1 up to the largest the scenario accepts (9, an x86 THP, for most), each
run in a subprocess killed at --limit seconds; an order that times out ends that row.
Prints a Markdown table: executions and seconds per size, "-" where the limit was hit,
"n/a" for a size the scenario refuses.

    python bench/largest_exhaustive.py [--limit 60] [--scenarios a b ...]
        [--cpus 2 3 4] [--orders 1 2 ... 9]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from pagerace.scenarios.catalogue import catalogue


def run(name: str, cpus: int, order: int, limit: float) -> str:
    cmd = [sys.executable, "-m", "pagerace", "check", name, "--cpus", str(cpus),
           "--order", str(order), "--json", "--no-shrink", "--all-findings"]  # fmt: skip
    start = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return "-"
    if out.returncode == 2:
        return "n/a"
    doc = json.loads(out.stdout)
    return f"{doc['verdict']} {doc['executions']} in {time.perf_counter() - start:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--scenarios", nargs="*", default=list(catalogue()))
    ap.add_argument("--cpus", nargs="*", type=int, default=[2, 3, 4])
    ap.add_argument("--orders", nargs="*", type=int, default=list(range(1, 10)))
    args = ap.parse_args()
    print("| scenario | --cpus | " + " | ".join(f"order {k}" for k in args.orders) + " |")
    print("|---|---|" + "---|" * len(args.orders))
    for name in args.scenarios:
        limit = next(p.limit for p in catalogue()[name].params if p.name == "order")
        for cpus in args.cpus:
            cells: list[str] = []
            for order in args.orders:
                stop = "-" in cells or order > limit
                cells.append(
                    "n/a" if order > limit else "" if stop else run(name, cpus, order, args.limit)
                )
            print(f"| {name} | {cpus} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
