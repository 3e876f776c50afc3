"""The scenario catalogue: named programs, their parameters, and the verdict expected
for each variant under each memory model, with the reason.

Expected verdicts are documentation and test oracles: ``pagerace check`` always prints
what exploration found, and says whether it matches the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pagerace.core.errors import UsageError
from pagerace.explore.runtime import Program, World
from pagerace.mm.mm_h import HPAGE_PMD_ORDER
from pagerace.mm.variants import VARIANTS, Variant

MODELS = ("sc", "tso", "lkmm")
EXHAUSTIVE_ORDER = 4  # the largest --order of the catalogue's range (docs/benchmarks.md)


@dataclass(frozen=True, slots=True)
class Param:
    """A scenario parameter.  ``minimum..maximum`` is the catalogue's range: the sizes
    exhaustive exploration covers in about a minute or less (docs/benchmarks.md), and
    the range ``pagerace lockdep`` explores in full.  ``ceiling``, when set, is the
    largest value accepted beyond it (``--order 9``: an x86 THP, 512 pages), for
    random or PCT runs with a stated number of runs; exhaustive search still runs
    there, but may not end in any useful time."""

    name: str
    default: int
    minimum: int
    maximum: int
    help: str
    ceiling: int | None = None

    @property
    def limit(self) -> int:
        """The largest value accepted."""
        return self.maximum if self.ceiling is None else max(self.ceiling, self.maximum)

    def check(self, value: int) -> None:
        if not self.minimum <= value <= self.limit:
            raise UsageError(
                f"--{self.name}",
                value,
                f"an integer from {self.minimum} to {self.limit} ({self.help})",
            )


def order_param(
    default: int,
    help: str,
    ceiling: int = HPAGE_PMD_ORDER,
    why: str = "9 is an x86 THP, 512 pages",
) -> Param:
    """``--order``: the catalogue's range is 1..4; orders up to ``ceiling`` (an x86 THP,
    unless the scenario's layout allows less: ``why`` says) are accepted for sampling."""
    more = f"{EXHAUSTIVE_ORDER + 1}..{ceiling} accepted ({why}) but too large to exhaust"
    return Param(
        "order",
        default,
        1,
        EXHAUSTIVE_ORDER,
        f"{help}; {more}: use --strategy random or pct",
        ceiling,
    )


@dataclass(frozen=True, slots=True)
class Expectation:
    verdict: str  # "verified" | "finding"
    reason: str
    kinds: tuple[str, ...] = ()  # finding kinds that may show it


Builder = Callable[[Variant, Mapping[str, int]], Callable[[World], None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    params: tuple[Param, ...]
    variants: tuple[str, ...]
    expected: Mapping[tuple[str, str], Expectation]
    builder: Builder

    def resolve(self, given: Mapping[str, int | None]) -> dict[str, int]:
        """Defaults filled in and every value checked against its range."""
        out: dict[str, int] = {}
        known = {p.name for p in self.params}
        for name, value in given.items():
            if value is not None and name not in known:
                raise UsageError(
                    f"--{name}",
                    value,
                    f"no such parameter for {self.name}; it takes: "
                    + ", ".join(f"--{p}" for p in sorted(known)),
                )
        for p in self.params:
            value = given.get(p.name)
            value = p.default if value is None else value
            p.check(value)
            out[p.name] = value
        return out

    def beyond_range(self, params: Mapping[str, int]) -> list[str]:
        """The parameters of ``params`` (resolved) above the catalogue's range, as
        ``--order 9 (catalogue: 1..4)``: accepted, but too large to exhaust."""
        return [
            f"--{p.name} {params[p.name]} (catalogue: {p.minimum}..{p.maximum})"
            for p in self.params
            if params.get(p.name, p.default) > p.maximum
        ]

    def variant(self, name: str | None) -> Variant:
        name = name or self.variants[0]
        if name not in self.variants:
            raise UsageError(
                "--variant", name, f"one of {', '.join(self.variants)} for {self.name}"
            )
        return VARIANTS[name]

    def program(self, variant: str | None, params: Mapping[str, int | None]) -> Program:
        v = self.variant(variant)
        resolved = self.resolve(params)
        return Program(
            f"{self.name}/{v.name}", self.builder(v, resolved), {"variant": v.name, **resolved}
        )

    def replay_prefix(self, variant: str | None, model: str, params: Mapping[str, int]) -> str:
        v = self.variant(variant)
        ps = ",".join(f"{k}={params[k]}" for k in sorted(params))
        return f"{self.name}:{v.name}:{model}:{ps}"


def catalogue() -> dict[str, Scenario]:
    from pagerace.scenarios.gup_split import GUP_VS_SPLIT
    from pagerace.scenarios.head_realloc import HEAD_REALLOC_SMALLER
    from pagerace.scenarios.odirect import ODIRECT
    from pagerace.scenarios.pagetail_race import PAGETAIL_RACE
    from pagerace.scenarios.prep_race import PREP_RACE
    from pagerace.scenarios.split_put import SPLIT_VS_TAIL_PUT
    from pagerace.scenarios.stale_head_free import STALE_HEAD_FREE

    return {
        s.name: s
        for s in (
            PREP_RACE,
            SPLIT_VS_TAIL_PUT,
            GUP_VS_SPLIT,
            STALE_HEAD_FREE,
            HEAD_REALLOC_SMALLER,
            PAGETAIL_RACE,
            ODIRECT,
        )
    }


def scenario(name: str) -> Scenario:
    cat = catalogue()
    if name not in cat:
        raise UsageError(
            "scenario", name, f"one of {', '.join(sorted(cat))} (see `pagerace scenarios`)"
        )
    return cat[name]
