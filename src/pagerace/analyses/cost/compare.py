"""A comparison of design variants under one workload: what ``pagerace cost compare``
computes and the report renders.

The first variant is the baseline: differences and crossovers are against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pagerace.analyses.cost.claims import ClaimCheck, checks
from pagerace.analyses.cost.measure import Coverage
from pagerace.analyses.cost.pricing import (
    METRICS,
    Crossover,
    Figures,
    Totals,
    crossover,
    per_event,
    per_second,
)
from pagerace.analyses.cost.workload import Workload


@dataclass(frozen=True)
class Comparison:
    workload: Workload
    order: int
    contended_order: int | None
    costs: Mapping[str, float]
    figures: Mapping[str, Mapping[str, Figures]]  # variant -> operation -> figures
    coverage: Mapping[str, tuple[Coverage, ...]] = field(default_factory=dict)

    @property
    def variants(self) -> list[str]:
        return list(self.figures)

    @property
    def baseline(self) -> str:
        return self.variants[0]

    def per_second(self, variant: str) -> Totals:
        return per_second(self.figures[variant], self.workload, self.costs)

    def difference(self, variant: str) -> Totals:
        """``variant`` minus the baseline, per second."""
        return self.per_second(variant) + self.per_second(self.baseline).scaled(-1)

    def line(self, variant: str) -> tuple[Totals, Totals]:
        """Cost per second with no split, and per split per second: the variant's
        cost is ``first + splits * second`` as the split rate varies."""
        no_splits = per_second(self.figures[variant], self.workload.with_splits(0), self.costs)
        split = per_event(self.figures[variant], self.workload, "splits", self.costs)
        return no_splits, split

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics compared: line transfers only when contended figures exist."""
        skip = {"fences"} | ({"transfers"} if self.contended_order is None else set())
        return tuple(m for m in METRICS if m not in skip)

    def crossovers(self) -> list[Crossover]:
        base = (self.baseline, self.figures[self.baseline])
        return [
            crossover(m, base, (v, self.figures[v]), self.workload, self.costs)
            for v in self.variants[1:]
            for m in self.metrics
        ]

    def claims(self) -> list[ClaimCheck]:
        return checks(self.figures, self.order)

    def findings(self) -> dict[str, list[str]]:
        """Per variant, the probes whose runs met a model finding, with its kinds."""
        out: dict[str, list[str]] = {}
        for v, covs in self.coverage.items():
            bad = [f"{c.program} ({', '.join(c.findings)})" for c in covs if c.findings]
            if bad:
                out[v] = bad
        return out
