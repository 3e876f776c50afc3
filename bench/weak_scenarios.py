"""The catalogue's scenarios under the weak models, explored by TruSt: what it costs.

For each scenario, variant and model (``tso``, ``lkmm``), at the default parameters,
every execution is explored (TruSt, ``pagerace.explore.trust``) and one line printed:
executions, graphs the model rejected, re-runs of the threads (``replays``: one per
graph taken off the work list), load-buffering revisit results built a second way
and dropped before a re-run (``rebuilt``), graphs re-run a second way
(``duplicates``), graphs dropped for a dependency the model's code hides
(``misspeculated``), revisit results with a thread re-run down another branch
(``rerouted``), such revisits whose re-runs outnumbered their budget (``cut``),
partial graphs accepted only as though an RMW that may yet fail were relaxed
(``provisional``) and complete ones the model then rejected (``unconfirmed``),
complete graphs where an await read a stale value (``blocked``),
and the wall time.  ``--skip`` leaves out ``scenario:variant`` pairs (the default
skips ``gup-vs-split:v3.13`` under the LKMM, about 100 s).

    python bench/weak_scenarios.py [--models tso,lkmm] [--only prep-race] [--skip ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pagerace.core.errors import UsageError
from pagerace.explore.trust import Outcome, Trust
from pagerace.models.base import model_by_name
from pagerace.scenarios.catalogue import catalogue

COLUMNS = (
    "executions",
    "inconsistent",
    "replays",
    "rebuilt",
    "duplicates",
    "misspeculated",
    "rerouted",
    "cut",
    "provisional",
    "unconfirmed",
    "blocked",
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="tso,lkmm")
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--skip", default="gup-vs-split:v3.13:lkmm", help="scenario:variant:model,...")
    args = ap.parse_args()
    try:
        models = {m: model_by_name(m) for m in args.models.split(",")}
    except UsageError as e:
        print(f"weak_scenarios.py: {e}", file=sys.stderr)
        return 2
    skip = set(filter(None, args.skip.split(",")))
    only = set(filter(None, args.only.split(",")))
    print(
        f"{'scenario:variant':40} {'model':5} " + " ".join(f"{c:>13}" for c in COLUMNS) + "  wall"
    )
    for name, sc in catalogue().items():
        if only and name not in only:
            continue
        for variant in sc.variants:
            for model, mm in models.items():
                if f"{name}:{variant}:{model}" in skip:
                    continue
                program = sc.program(variant, {})

                def keep(_: Outcome) -> bool:
                    return False

                trust = Trust(program, mm, keep)
                start = time.perf_counter()
                complete = trust.run()
                wall = time.perf_counter() - start
                st = trust.stats
                row = " ".join(f"{getattr(st, c):>13}" for c in COLUMNS)
                mark = "" if complete else "  (bounded)"
                print(f"{name + ':' + variant:40} {model:5} {row}  {wall:.2f} s{mark}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
