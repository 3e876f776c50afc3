"""pagerace's load-buffering routes against every route, on the catalogue's scenarios.

TruSt leaves a speculative revisit to another route to the same graphs where that route
is known to exist (``pagerace.explore.trust._another_route``), and drops a revisit
result built a second way before re-running it (``Trust._built_before``).  This
explores each scenario and variant under the LKMM twice: as pagerace does, and with
every route taken and re-run (the copies dropped on completion only), and compares the
graphs of the executions: the rules and the check must lose none and add none.  Prints,
per variant, the executions, the graphs re-run a second way (``duplicates``),
pagerace's revisit results dropped before a re-run (``rebuilt``), the re-runs of each,
and the graphs lost or added.

    python bench/lb_routes.py [--only gup-vs-split,prep-race]

Exit status 1 when a variant loses or adds a graph.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.unit.explore.test_trust import outcomes

from pagerace.explore import trust
from pagerace.models.lkmm import LKMM
from pagerace.scenarios.catalogue import catalogue


def _graphs(program: Any) -> tuple[set[object], trust.TrustStats, int]:
    keys: set[object] = set()
    complete = trust.Trust._complete

    def kept(self: trust.Trust, live: Any) -> bool:
        keys.add(live.graph.key())
        return complete(self, live)

    trust.Trust._complete = kept  # type: ignore[method-assign]
    try:
        found, explorer = outcomes(program, LKMM())
    finally:
        trust.Trust._complete = complete  # type: ignore[method-assign]
    return keys, explorer.stats, len(found)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    args = ap.parse_args()
    scenarios = catalogue()
    names = [n for n in args.only.split(",") if n] or list(scenarios)
    unknown = [n for n in names if n not in scenarios]
    if unknown:
        print(f"unknown scenario {unknown[0]!r}; known: {', '.join(scenarios)}", file=sys.stderr)
        return 2
    rule, check = trust._another_route, trust.Trust._built_before
    differing = 0
    print(
        f"{'scenario:variant':40} {'executions':>10} {'copies':>14} {'rebuilt':>7} "
        f"{'re-runs':>16}  lost added"
    )
    for name in names:
        for variant in scenarios[name].variants:
            program = scenarios[name].program(variant, {})
            one, one_stats, n = _graphs(program)
            trust._another_route = lambda *_: False  # type: ignore[assignment]
            trust.Trust._built_before = lambda *_: False  # type: ignore[method-assign]
            try:
                every, every_stats, _ = _graphs(program)
            finally:
                trust._another_route = rule
                trust.Trust._built_before = check  # type: ignore[method-assign]
            lost, added = len(every - one), len(one - every)
            differing += bool(lost or added)
            print(
                f"{name + ':' + variant:40} {n:>10} "
                f"{every_stats.duplicates:>6} -> {one_stats.duplicates:<5} {one_stats.rebuilt:>7} "
                f"{every_stats.replays:>7} -> {one_stats.replays:<6} {lost:>5} {added:>5}",
                flush=True,
            )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
