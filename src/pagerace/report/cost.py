"""The cost comparison as tables (rich), as JSON, and as a plot of cost against the
split rate (matplotlib, Agg: PNG and SVG).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pagerace.analyses.cost.claims import ClaimCheck
from pagerace.analyses.cost.classes import CostClass
from pagerace.analyses.cost.compare import Comparison
from pagerace.analyses.cost.measure import Coverage
from pagerace.analyses.cost.observer import OperationSummary, Spread
from pagerace.analyses.cost.pricing import UNIT_COSTS, Crossover, Figures, Totals
from pagerace.analyses.cost.workload import RATES, Workload

METRIC_NAMES = {
    "locked": "locked operations",
    "fences": "full fences",
    "transfers": "line transfers",
    "cycles": "cycles",
}
RATE_NAMES = {
    "odirect_ios": "4 KiB O_DIRECT I/Os",
    "splits": "splits",
    "kvm_faults_foll_get": "KVM faults with FOLL_GET",
    "kvm_faults": "KVM faults without FOLL_GET",
    "allocations": "THP allocations",
    "frees": "THP frees",
}


# -- text ------------------------------------------------------------------------------
def render_text(c: Comparison, plots: list[str], width: int | None = None) -> str:
    """Tables through rich (markup off: a bracket in a name is text); prose unwrapped."""
    from rich.console import Console

    def table(t: Any) -> str:
        buf = io.StringIO()
        Console(file=buf, width=width or 160, markup=False, highlight=False).print(t)
        return buf.getvalue().rstrip("\n")

    parts = [_workload_line(c.workload), table(_operations_table(c))]
    parts += [_claims_text(c.claims()), table(_rates_table(c))]
    parts += ["\n".join(_crossover_line(x, c.workload) for x in c.crossovers())]
    parts += [_coverage_text(c), _units_line(c)]
    if plots:
        parts.append("plot: " + ", ".join(plots))
    return "\n".join(p for p in parts if p)


def _workload_line(w: Workload) -> str:
    rates = ", ".join(f"{_big(w.rate(r))} {RATE_NAMES[r]}" for r in RATES if w.rate(r))
    gets = f"; {w.gets_per_page} get_page per I/O page" if w.gets_per_page else ""
    return f"workload {w.name}: {w.description}\n  per second: {rates or 'nothing'}{gets}"


def _operations_table(c: Comparison) -> Any:
    from rich.table import Table

    contended = f"at order {c.contended_order}" if c.contended_order else "not run"
    t = Table(
        title=f"Per kernel operation: uncontended = one CPU, serial run at order {c.order}; "
        f"contended = explored interleavings of two CPUs {contended} (min / median / max)",
        title_justify="left",
    )
    for col in ("operation", "variant", "locked RMW", "full fences", "irq off/on"):
        t.add_column(col, justify="left" if col in ("operation", "variant") else "right")
    for col in ("plain + acq/rel", "contended: locked", "contended: transfers", "cycles"):
        t.add_column(col, justify="right")
    for op in _operations(c):
        for v in c.variants:
            f = c.figures[v].get(op)
            if f is not None:
                t.add_row(op, v, *_figure_cells(f, c))
        t.add_section()
    return t


def _operations(c: Comparison) -> list[str]:
    seen: dict[str, None] = {}
    for per_op in c.figures.values():
        seen.update(dict.fromkeys(per_op))
    return list(seen)


def _figure_cells(f: Figures, c: Comparison) -> list[str]:
    u, h = f.uncontended, f.contended
    if u is None:
        cold = ["-"] * 4
    else:
        irq = u.classes[CostClass.IRQ_OFF].median + u.classes[CostClass.IRQ_ON].median
        plain = sum(
            u.classes[k].median
            for k in (CostClass.PLAIN_LOAD, CostClass.PLAIN_STORE, CostClass.ACQUIRE_RELEASE)
        )
        cold = [str(u.locked), str(u.fences), _big(irq), _big(plain)]
    hot = [str(h.locked), str(h.transfers)] if h is not None else ["-", "-"]
    return [*cold, *hot, _big(f.cycles(c.costs))]


def _claims_text(checks: list[ClaimCheck]) -> str:
    if not checks:
        return ""
    out = ["The 2013 counts against the model's (locked operations):"]
    for k in checks:
        mark = "agrees " if k.agrees else "differs"
        form = "{:+g}" if k.difference else "{:g}"
        parts = ", ".join(f"{p} {form.format(d)}" for p, d in k.breakdown.items())
        out.append(
            f"  [{mark}] {k.claim}: claimed {k.claimed} ({k.source}); measured {_big(k.measured)}"
            + (f" = {parts}" if parts else "")
        )
        if k.explanation and not k.agrees:
            out.append(f"            {k.explanation}.")
    return "\n".join(out)


def _rates_table(c: Comparison) -> Any:
    from rich.table import Table

    t = Table(
        title=f"Per second, workload {c.workload.name} (difference: against {c.baseline})",
        title_justify="left",
    )
    t.add_column("variant")
    for m in ("locked", "fences", "transfers", "cycles"):
        t.add_column(f"{METRIC_NAMES[m]}/s", justify="right")
    for m in c.metrics:
        t.add_column(f"difference: {METRIC_NAMES[m]}/s", justify="right")
    for v in c.variants:
        tot, diff = c.per_second(v), c.difference(v)
        cells = [
            _big(tot.metric(m)) if m in c.metrics or m == "fences" else "-"
            for m in ("locked", "fences", "transfers", "cycles")
        ]
        deltas = [_signed(diff.metric(m)) for m in c.metrics]
        t.add_row(v, *cells, *(deltas if v != c.baseline else ["-"] * len(deltas)))
    return t


def _crossover_line(x: Crossover, w: Workload) -> str:
    what = METRIC_NAMES[x.metric]
    if x.splits is None:
        if x.cheaper_below is None:
            return f"crossover in {what}: none, {x.other} and {x.baseline} cost the same"
        return f"crossover in {what}: none, {x.cheaper_below} is cheaper at every split rate"
    dearer = x.baseline if x.cheaper_below == x.other else x.other
    per_io = ""
    if x.splits_per_io:
        per_io = (
            f" = {x.splits_per_io:.3g} splits per O_DIRECT I/O "
            f"(one split per {_big(1 / x.splits_per_io)} 4 KiB I/Os)"
        )
    return (
        f"crossover in {what}: {x.cheaper_below} is cheaper than {dearer} below "
        f"{_big(x.splits)} splits/s{per_io}; dearer above (other rates of {w.name} fixed)"
    )


def _coverage_text(c: Comparison) -> str:
    out = []
    for v, covs in c.coverage.items():
        serial = [k for k in covs if k.mode == "serial"]
        hot = [k for k in covs if k.mode == "explored"]
        line = f"{v}: {len(serial)} serial runs at order {c.order}"
        if hot:
            line += "; explored: " + ", ".join(_coverage_item(k) for k in hot)
        out.append(line)
    bad = c.findings()
    for v, probes in bad.items():
        out.append(f"{v}: model findings in {'; '.join(probes)} (see `pagerace check`)")
    if c.contended_order is not None and c.contended_order != c.order:
        out.append(
            f"line transfers (and the cycles that price them) are from the probes at order "
            f"{c.contended_order}: the split's cover {(1 << c.contended_order) - 1} tails, "
            f"not {(1 << c.order) - 1}"
        )
    if c.order > 4:
        out.append(
            f"order {c.order} ({(1 << c.order) - 1} tails) is far beyond exhaustive "
            "exploration: its figures are one serial run per probe"
        )
    return "coverage:\n  " + "\n  ".join(out)


def _coverage_item(k: Coverage) -> str:
    name = k.program.split(":")[1]
    how = "all" if k.complete else f"BOUNDED: {k.bound}"
    return f"{name} {k.executions} executions ({how})"


def _units_line(c: Comparison) -> str:
    units = ", ".join(f"{key}={_big(v)}" for key, v in c.costs.items())
    return f"cycles per unit (override: --cost KEY=CYCLES; sources: `pagerace cost units`): {units}"


def render_units() -> str:
    return "\n".join(f"{u.key:<17} {_big(u.cycles):>5}  {u.source}" for u in UNIT_COSTS)


def _big(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:.3g}"


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + _big(x)


# -- JSON ------------------------------------------------------------------------------
def comparison_json(c: Comparison, plots: list[str]) -> dict[str, Any]:
    return {
        "command": "cost compare",
        "workload": _workload_json(c.workload),
        "order": c.order,
        "contended_order": c.contended_order,
        "baseline": c.baseline,
        "unit_costs": [
            {"key": u.key, "cycles": c.costs[u.key], "default": u.cycles, "source": u.source}
            for u in UNIT_COSTS
        ],
        "operations": {
            v: {op: _figures_json(f, c) for op, f in per_op.items()}
            for v, per_op in c.figures.items()
        },
        "claims": [_claim_json(k) for k in c.claims()],
        "per_second": {v: _totals_json(c.per_second(v)) for v in c.variants},
        "difference": {v: _totals_json(c.difference(v)) for v in c.variants[1:]},
        "crossovers": [_crossover_json(x) for x in c.crossovers()],
        "coverage": {
            v: [
                {
                    "probe": k.program,
                    "mode": k.mode,
                    "executions": k.executions,
                    "complete": k.complete,
                    "bound": k.bound or None,
                    "findings": list(k.findings),
                }
                for k in covs
            ]
            for v, covs in c.coverage.items()
        },
        "plot": plots,
    }


def _workload_json(w: Workload) -> dict[str, Any]:
    return {
        "name": w.name,
        "description": w.description,
        "rates": {r: w.rate(r) for r in RATES},
        "gets_per_page": w.gets_per_page,
    }


def _spread_json(s: Spread) -> dict[str, float]:
    return {"min": s.min, "median": s.median, "max": s.max}


def _summary_json(s: OperationSummary | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "samples": s.samples,
        "unfinished": s.unfinished,
        "locked": _spread_json(s.locked),
        "fences": _spread_json(s.fences),
        "transfers": _spread_json(s.transfers),
        "classes": {cls.value: _spread_json(sp) for cls, sp in s.classes.items()},
        "locked_by_primitive": {p: _spread_json(sp) for p, sp in s.locked_by_primitive.items()},
    }


def _figures_json(f: Figures, c: Comparison) -> dict[str, Any]:
    return {
        "uncontended": _summary_json(f.uncontended),
        "contended": _summary_json(f.contended),
        "cycles": f.cycles(c.costs),
    }


def _claim_json(k: ClaimCheck) -> dict[str, Any]:
    return {
        "claim": k.claim,
        "source": k.source,
        "claimed": k.claimed,
        "measured": k.measured,
        "agrees": k.agrees,
        "breakdown": k.breakdown,
        "explanation": k.explanation,
    }


def _totals_json(t: Totals) -> dict[str, float]:
    return {m: t.metric(m) for m in METRIC_NAMES}


def _crossover_json(x: Crossover) -> dict[str, Any]:
    return {
        "metric": x.metric,
        "baseline": x.baseline,
        "other": x.other,
        "splits_per_second": x.splits,
        "splits_per_io": x.splits_per_io,
        "ios_per_split": 1 / x.splits_per_io if x.splits_per_io else None,
        "cheaper_below": x.cheaper_below,
    }


# -- plot ------------------------------------------------------------------------------


def plot(c: Comparison, path: str) -> list[str]:
    """Cost per second against the split rate, one line per variant, one panel per
    metric; written as PNG and SVG (``path`` with either suffix, or none).  Returns
    the files written."""
    from matplotlib.figure import Figure

    stem = Path(path)
    if stem.suffix.lower() in (".png", ".svg"):
        stem = stem.with_suffix("")
    crossings = c.crossovers()
    x_max = 2 * max([c.workload.splits, *(x.splits or 0 for x in crossings)]) or 1.0
    fig = Figure(figsize=(8, 9), layout="constrained")
    plotted = c.metrics
    axes = fig.subplots(len(plotted), 1, sharex=True, squeeze=False)[:, 0]
    for ax, metric in zip(axes, plotted, strict=True):
        for v in c.variants:
            base, split = c.line(v)
            b, s = base.metric(metric), split.metric(metric)
            ax.plot([0, x_max], [b, b + s * x_max], label=v)
        for x in crossings:
            if x.metric == metric and x.splits is not None:
                base, split = c.line(x.baseline)
                y = base.metric(metric) + split.metric(metric) * x.splits
                ax.plot([x.splits], [y], "ko")
                ax.annotate(f" {_big(x.splits)}/s", (x.splits, y), va="top")
        if c.workload.splits:
            ax.axvline(c.workload.splits, color="grey", linestyle="--", linewidth=0.8)
        ax.set_ylabel(f"{METRIC_NAMES[metric]} / s")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    axes[0].legend()
    ios = c.workload.odirect_ios
    if ios:
        top = axes[0].secondary_xaxis("top", functions=(lambda s: s / ios, lambda r: r * ios))
        top.set_xlabel("splits per 4 KiB O_DIRECT I/O")
    fig.suptitle(
        f"workload {c.workload.name}, THP order {c.order}: cost vs split rate "
        f"(dashed: the workload's {_big(c.workload.splits)} splits/s)",
        fontsize=10,
    )
    axes[-1].set_xlabel("splits per second (other rates fixed)")
    written = []
    for suffix in (".png", ".svg"):
        out = stem.with_suffix(suffix)
        fig.savefig(out)
        written.append(str(out))
    return written
