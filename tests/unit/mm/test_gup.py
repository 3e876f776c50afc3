"""gup_fast on a huge pmd and the split's side of their serialisation (mm/gup.py):
v3.13's splitting bit, and v4.5's invalidated pmd in front of a split refused while
the page is pinned (ref §6.1, §8.5).  Each test runs one model thread alone and looks
at the memory it leaves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pagerace.explore import Finding, Options, Program, World, explore
from pagerace.mm.gup import (
    PMD_HUGE,
    PMD_NOTPRESENT,
    gup_fast,
    pmdp_invalidate,
    show_pmd,
    split_huge_page,
)
from pagerace.mm.page import make_mem_map
from pagerace.mm.thp_v45 import EBUSY
from pagerace.mm.variants import V3_13, V4_5, Variant
from pagerace.scenarios.split_put import init_pmd_mapped_thp

Env = dict[str, Any]


def run_alone(
    variant: Variant, pins: int, body: Callable[[Env], object]
) -> tuple[dict[str, object], object, tuple[Finding, ...]]:
    """An order-2 THP mapped by one huge pmd, with ``pins`` references beyond its
    mapping's; ``body`` runs alone.  The final memory by location name, what ``body``
    returned, and the findings."""
    env: Env = {}
    out: list[object] = []
    runs: list[tuple[dict[str, object], tuple[Finding, ...]]] = []

    def build(w: World) -> None:
        mem_map = make_mem_map(w, 4, ["H", "H+1", "H+2", "H+3"])
        init_pmd_mapped_thp(w, mem_map, 2, variant)
        w.init(mem_map[0]._count, 1 + pins)
        env.update(
            head=mem_map[0],
            pmd=w.location("pmd", PMD_HUGE, fmt=show_pmd),
            lru_lock=w.location("zone.lru_lock"),
        )
        w.thread("CPU0")(lambda: out.append(body(env)))

    def keep(w: World, findings: tuple[Finding, ...]) -> None:
        runs.append(({loc.name: w.peek(loc) for loc in w.locations}, findings))

    explore(Program("gup", build), Options(shrink=False, on_execution=keep))
    ((memory, findings),) = runs
    return memory, out[0], findings


def test_v3_13_gup_fast_pins_each_tail_in_its_mapcount_and_all_in_the_head():
    memory, pages, findings = run_alone(V3_13, 0, lambda e: gup_fast(e["pmd"], e["head"], 1, 2))
    assert not findings and repr(pages) == "[H+1, H+2]"
    assert (memory["H+1._mapcount"], memory["H+2._mapcount"], memory["H._count"]) == (0, 0, 3)


def test_v4_5_gup_fast_pins_the_head_only():
    memory, _, findings = run_alone(V4_5, 0, lambda e: gup_fast(e["pmd"], e["head"], 1, 2))
    assert not findings
    assert (memory["H+1._mapcount"], memory["H+2._mapcount"], memory["H._count"]) == (-1, -1, 3)


def test_an_invalidated_pmd_sends_gup_fast_to_the_slow_path():
    def body(e: Env) -> object:
        pmdp_invalidate(e["pmd"])
        return gup_fast(e["pmd"], e["head"], 1, 1, V4_5)

    memory, pages, _ = run_alone(V4_5, 0, body)
    assert pages == [] and memory["pmd"] == PMD_NOTPRESENT
    assert memory["H._count"] == 1


def test_a_v4_5_split_with_a_pin_left_is_refused_and_restores_the_huge_pmd():
    def body(e: Env) -> object:
        return split_huge_page(e["head"], 4, e["pmd"], e["lru_lock"], V4_5)

    memory, ret, findings = run_alone(V4_5, 2, body)  # the caller's pin and a gup pin
    assert ret == -EBUSY and not findings
    assert memory["pmd"] == PMD_HUGE and memory["H._count"] == 3


def test_a_v4_5_split_of_a_page_pinned_only_by_its_caller_maps_the_subpages():
    def body(e: Env) -> object:
        return split_huge_page(e["head"], 4, e["pmd"], e["lru_lock"], V4_5)

    memory, ret, findings = run_alone(V4_5, 1, body)
    assert ret == 0 and not findings
    assert show_pmd(memory["pmd"]) == "table"
    assert [memory[f"H+{i}._count"] for i in (1, 2, 3)] == [1, 1, 1]  # each its pte's


def test_v3_13_split_leaves_the_pmd_pointing_to_a_page_table():
    def body(e: Env) -> object:
        return split_huge_page(e["head"], 4, e["pmd"], e["lru_lock"], V3_13)

    memory, ret, findings = run_alone(V3_13, 1, body)
    assert ret == 0 and not findings
    assert show_pmd(memory["pmd"]) == "table"  # no longer huge, nor splitting
