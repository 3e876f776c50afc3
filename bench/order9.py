"""Random and PCT runs at THP size: every catalogue scenario and variant at ``--order 9``
(or the largest order the scenario accepts, when its layout allows less), under SC.

For each scenario, variant and strategy (``random``, ``pct``): ``--runs`` runs drawn
from ``--seed`` (the same seed for every row), each run complete (steps unbounded in
practice: ``max_steps`` 1,000,000), every finding kept (``all_findings``), nothing
shrunk.  Prints a Markdown table: the order used, runs made, the kinds found, the run
that first found something (1-based; "-" if none), the time, and seconds per run.  The
catalogue's expected verdict at default parameters is shown beside it: a sample that
finds nothing is no proof, so "verified" rows can only show "none".

odirect runs with ``--cpus 2 --split 1`` (see ``PARAMS``).

    python bench/order9.py [--runs 30] [--seed 1] [--orders 9 ...] [--cpus N]
                           [--scenarios a b ...] [--variants v ...]
                           [--strategies random pct] [--json]

Several ``--orders`` show how the runs a sample needs grow with the THP's size; an order
above a scenario's ceiling runs at the ceiling (once).  ``--strategies exhaustive``
times the first ``--runs`` executions of the exhaustive (optimal DPOR) search instead:
its cost per execution at that size.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass

from pagerace.explore import Options, World, explore
from pagerace.explore.explorer import STRATEGIES
from pagerace.explore.result import Finding
from pagerace.scenarios.catalogue import Scenario, catalogue

MAX_STEPS = 1_000_000  # an order-9 split is about 6,200 shared steps; nothing loops
# Parameters other than the defaults: odirect's default is one CPU and no split (the
# uncontended cost probe), where nothing runs concurrently; here it races a split.
PARAMS = {"odirect": {"cpus": 2, "split": 1}}


@dataclass(frozen=True)
class Row:
    scenario: str
    variant: str
    strategy: str
    seed: int
    cpus: int
    order: int
    runs: int
    kinds: list[str]
    first_finding_run: int | None
    seconds: float
    expected_sc: str


def order_for(sc: Scenario, wanted: int) -> int:
    """``wanted``, or the largest order the scenario accepts if that is less."""
    (param,) = [p for p in sc.params if p.name == "order"]
    return min(wanted, param.limit)


def sample(sc: Scenario, variant: str, strategy: str, order: int, args: argparse.Namespace) -> Row:
    given: dict[str, int | None] = {**PARAMS.get(sc.name, {}), "order": order}
    if args.cpus is not None:
        given["cpus"] = args.cpus
    params = sc.resolve(given)
    first: list[int] = []
    count = [0]

    def on_execution(w: World, findings: tuple[Finding, ...]) -> None:
        count[0] += 1
        if findings and not first:
            first.append(count[0])

    opts = Options(
        strategy=strategy,
        seed=args.seed,
        max_executions=args.runs,
        max_steps=MAX_STEPS,
        all_findings=True,
        shrink=False,
        on_execution=on_execution,
    )
    start = time.perf_counter()
    res = explore(sc.program(variant, params), opts)
    elapsed = time.perf_counter() - start
    st = res.stats
    expected = sc.expected.get((variant, "sc"))
    return Row(
        sc.name,
        variant,
        strategy,
        args.seed,
        params["cpus"],
        order,
        st.executions + st.bounded + st.blocked,
        sorted({cx.finding.kind for cx in res.counterexamples}),
        first[0] if first else None,
        elapsed,
        expected.verdict if expected else "-",
    )


def markdown(row: Row) -> str:
    kinds = ", ".join(row.kinds) or "none"
    first = str(row.first_finding_run) if row.first_finding_run else "-"
    per_run = row.seconds / row.runs if row.runs else 0.0
    return (
        f"| {row.scenario} | {row.variant} | {row.expected_sc} | {row.cpus} | {row.order} | "
        f"{row.strategy} | {row.runs} | {kinds} | {first} | {row.seconds:.1f} s | "
        f"{per_run:.2f} s |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="runs per scenario x variant x strategy")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orders", type=int, nargs="+", default=[9])
    ap.add_argument("--cpus", type=int, help="default: each scenario's default")
    ap.add_argument("--scenarios", nargs="*", default=list(catalogue()))
    ap.add_argument("--variants", nargs="*", help="default: every variant of each scenario")
    ap.add_argument("--strategies", nargs="*", default=["random", "pct"], choices=STRATEGIES)
    ap.add_argument("--json", action="store_true", help="one JSON object per row")
    args = ap.parse_args()
    cat = catalogue()
    if not args.json:
        print(
            "| scenario | variant | catalogue (sc) | --cpus | --order | strategy | runs | "
            "findings (kinds) | first finding in run | time | per run |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.scenarios:
        sc = cat[name]
        orders = sorted({order_for(sc, o) for o in args.orders})
        for variant in sc.variants:
            if args.variants and variant not in args.variants:
                continue
            for order in orders:
                for strategy in args.strategies:
                    row = sample(sc, variant, strategy, order, args)
                    print(json.dumps(asdict(row)) if args.json else markdown(row), flush=True)


if __name__ == "__main__":
    main()
