"""``pagerace cost``: price design variants in locked operations, cache-line transfers and
cycles, per kernel operation and under a workload.

``pagerace cost compare VARIANT... --workload W`` measures every operation of each
variant on the model (uncontended: one CPU, one serial run at ``--order``; contended:
the explored interleavings of two CPUs at ``--contended-order``), prices the workload,
finds the split rate where each variant and the first cost the same, and plots cost
against the split rate.  ``pagerace cost units`` lists the cycle costs and their
sources; ``pagerace cost workloads`` the built-in workloads.

Exit codes: 0 the comparison is printed, 1 it is printed but some probe met a model
finding (the variant is wrong somewhere, and its figures include those executions),
2 bad input or usage.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pagerace.cli import print_json
from pagerace.core.errors import UsageError

if TYPE_CHECKING:
    from pagerace.analyses.cost.workload import Workload

# The cost model, its workloads, the probes and the plots are imported when `pagerace
# cost` runs: every other command builds this parser too and should not pay for them.

MAX_ORDER = 9  # HPAGE_PMD_ORDER on x86-64: a 2 MiB THP of 512 pages
MAX_CONTENDED_ORDER = 3
DEFAULT_MAX_EXECUTIONS = 5000


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "cost",
        help="price design variants: locked operations, line transfers, cycles",
        description=__doc__.split("\n\n")[0],
    )
    sub = p.add_subparsers(dest="cost_command", required=True, parser_class=type(p))
    c = sub.add_parser(
        "compare",
        help="compare variants under a workload; tables, crossover, plot",
        description=__doc__.split("\n\n")[1],
    )
    c.add_argument("variants", nargs="+", metavar="VARIANT", help="the first is the baseline")
    c.add_argument(
        "--workload",
        required=True,
        metavar="W",
        help="a built-in workload (`pagerace cost workloads` lists them) or a TOML file of rates",
    )
    c.add_argument("--order", type=int, default=MAX_ORDER, help="THP order (default 9)")
    c.add_argument(
        "--contended-order",
        type=int,
        default=2,
        help=f"THP order of the explored two-CPU probes, 1..{MAX_CONTENDED_ORDER} "
        "(default 2); 0: no contended figures",
    )
    c.add_argument(
        "--max-executions",
        type=int,
        default=DEFAULT_MAX_EXECUTIONS,
        help=f"per explored probe (default {DEFAULT_MAX_EXECUTIONS})",
    )
    c.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="KEY=CYCLES",
        help="override a unit cost, e.g. locked_rmw=40; repeatable",
    )
    c.add_argument(
        "--plot",
        metavar="PATH",
        help="write the plot to PATH.png and PATH.svg (default: cost-WORKLOAD)",
    )
    c.add_argument("--no-plot", action="store_true", help="write no plot")
    c.add_argument("--json", action="store_true")
    sub.add_parser("units", help="the cycle cost of each cost class, with its source")
    w = sub.add_parser("workloads", help="the built-in workloads and the TOML keys")
    w.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from pagerace.report.cost import render_units

    if args.cost_command == "units":
        print(render_units())
        return 0
    if args.cost_command == "workloads":
        return _workloads(args.json)
    return _compare(args)


def _compare(args: argparse.Namespace) -> int:
    from pagerace.analyses.cost.compare import Comparison
    from pagerace.analyses.cost.pricing import unit_costs
    from pagerace.mm.variants import VARIANTS
    from pagerace.report.cost import comparison_json, plot, render_text
    from pagerace.scenarios.cost_probes import measure

    variants = _variants(args.variants)
    from pagerace.analyses.cost.workload import load_workload

    workload = load_workload(args.workload)
    costs = unit_costs(args.cost)
    if not 1 <= args.order <= MAX_ORDER:
        raise UsageError("--order", args.order, f"an integer from 1 to {MAX_ORDER}")
    if not 0 <= args.contended_order <= MAX_CONTENDED_ORDER:
        raise UsageError(
            "--contended-order", args.contended_order, f"an integer from 0 to {MAX_CONTENDED_ORDER}"
        )
    if args.max_executions < 1:
        raise UsageError("--max-executions", args.max_executions, "a positive integer")
    hot = args.contended_order or None
    measured = [measure(VARIANTS[v], args.order, hot, args.max_executions) for v in variants]
    cmp = Comparison(
        workload,
        args.order,
        hot,
        costs,
        {m.variant: m.figures for m in measured},
        {m.variant: m.coverage for m in measured},
    )
    plots = [] if args.no_plot else plot(cmp, args.plot or f"cost-{workload.name}")
    if args.json:
        print_json(comparison_json(cmp, plots))
    else:
        print(render_text(cmp, plots))
    return 1 if cmp.findings() else 0


def _variants(names: list[str]) -> list[str]:
    from pagerace.mm.variants import VARIANTS

    for name in names:
        if name not in VARIANTS:
            raise UsageError("VARIANT", name, f"one of {', '.join(VARIANTS)}")
    if len(set(names)) != len(names):
        raise UsageError("VARIANT", " ".join(names), "each variant once")
    return names


def _workloads(as_json: bool) -> int:
    from pagerace.analyses.cost.workload import KEYS, WORKLOADS

    if as_json:
        out = {n: {"description": w.description, **_rates(w)} for n, w in WORKLOADS.items()}
        print_json({"workloads": out, "keys": KEYS})
        return 0
    for name, w in WORKLOADS.items():
        rates = ", ".join(f"{k} = {v:g}" for k, v in _rates(w).items() if v)
        print(f"{name}: {w.description}\n    {rates}")
    print("\nA TOML file (--workload FILE.toml) takes these keys, each optional:")
    print("\n".join(f"  {k:<20} {meaning}" for k, meaning in KEYS.items()))
    return 0


def _rates(w: Workload) -> dict[str, float]:
    from pagerace.analyses.cost.workload import RATES

    return {**{r: w.rate(r) for r in RATES}, "gets_per_page": w.gets_per_page}
