"""The buddy allocator (mm/buddy.py, mm/mmzone.py) and the allocation and free paths of
mm/page_alloc.py, v3.13 (ref §4): splitting on allocation, merging on free, PageBuddy
and order bookkeeping, the bad-page and use-after-free checks, and two CPUs serialised
by ``zone->lock``.

Sequential tests run one model thread and look at the memory it leaves; pages outside
a free block start in use (count 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pagerace import kernel as k
from pagerace.core.errors import UsageError
from pagerace.explore import Finding, Options, Program, Result, World, explore
from pagerace.explore.values import raw
from pagerace.mm.buddy import PageBuddy, Zone, init_free_block
from pagerace.mm.mm_h import compound_lock, compound_unlock, get_page_unless_zero
from pagerace.mm.page import (
    PAGE_BUDDY_MAPCOUNT_VALUE,
    PG_compound_lock,
    PG_head,
    PG_tail,
    make_mem_map,
)
from pagerace.mm.page_alloc import (
    __GFP_COMP,
    __free_pages,
    alloc_pages,
    check_new_page,
    free_compound_page,
)
from pagerace.mm.variants import PREP_FIX
from pagerace.models.base import model_by_name

Env = dict[str, Any]


def zone_world(w: World, npages: int, max_order: int, free: dict[int, int]) -> Env:
    """A zone of ``npages`` pages P0.. with the blocks ``{pfn: order}`` free; every
    other page is in use (count 1)."""
    mem_map = make_mem_map(w, npages, [f"P{i}" for i in range(npages)])
    zone = Zone(w, mem_map, max_order, nr_blocks=npages >> (max_order - 1))
    in_free = {pfn + i for pfn, order in free.items() for i in range(1 << order)}
    for page in mem_map:
        if page.pfn not in in_free:
            w.init(page._count, 1)
    for pfn, order in free.items():
        init_free_block(w, mem_map[pfn], order)
    return {"zone": zone, "mem_map": mem_map}


def run_alone(
    npages: int, max_order: int, free: dict[int, int], body: Callable[[Env], None]
) -> tuple[World, Env, tuple[Finding, ...]]:
    """Run ``body`` as the only thread; the final world, the env and the findings."""
    env: Env = {}
    runs: list[tuple[World, tuple[Finding, ...]]] = []

    def build(w: World) -> None:
        env.clear()
        env.update(zone_world(w, npages, max_order, free))
        w.thread("CPU0")(lambda: body(env))

    explore(
        Program("buddy", build),
        Options(shrink=False, all_findings=True, on_execution=lambda w, f: runs.append((w, f))),
    )
    ((world, findings),) = runs
    return world, env, findings


def free_lists(w: World, zone: Zone) -> dict[int, list[str]]:
    """The non-empty free lists, front to back, as page names."""
    return {o: [p.name for p in blocks] for o, blocks in enumerate(zone.free_blocks(w)) if blocks}


def kinds(findings: tuple[Finding, ...] | Result) -> set[str]:
    if isinstance(findings, Result):
        return {cx.finding.kind for cx in findings.counterexamples}
    return {f.kind for f in findings}


# -- sequential: split, merge, bookkeeping ---------------------------------------------


def test_an_order_0_allocation_from_an_order_2_block_splits_off_an_order_1_and_an_order_0():
    def body(env: Env) -> None:
        env["page"] = raw(alloc_pages(env["zone"], 0, 0))

    w, env, findings = run_alone(4, 3, {0: 2}, body)
    p = env["mem_map"]
    assert findings == ()
    assert env["page"] is p[0]
    assert free_lists(w, env["zone"]) == {0: ["P1"], 1: ["P2"]}
    assert [w.peek(env["zone"].free_area[o].nr_free) for o in range(3)] == [1, 1, 0]
    assert (w.peek(p[0]._count), w.peek(p[0]._mapcount), w.peek(p[0].private)) == (1, -1, 0)


def test_page_buddy_and_the_order_mark_only_the_first_page_of_each_free_block():
    def body(env: Env) -> None:
        alloc_pages(env["zone"], 0, 0)

    w, env, _ = run_alone(4, 3, {0: 2}, body)
    p = env["mem_map"]
    assert [w.peek(q._mapcount) for q in p] == [-1, -128, -128, -1]
    assert [w.peek(q.private) for q in p] == [0, 0, 1, 0]


def test_page_buddy_reads_the_sentinel_in_mapcount():
    def body(env: Env) -> None:
        p = env["mem_map"]
        env["buddy"] = [bool(PageBuddy(p[0])), bool(PageBuddy(p[1]))]

    _, env, _ = run_alone(2, 2, {0: 1}, body)
    assert env["buddy"] == [True, False]


def test_a_freed_page_merges_with_its_free_buddy_into_an_order_1_block():
    def body(env: Env) -> None:
        __free_pages(env["mem_map"][0], 0)

    w, env, findings = run_alone(4, 3, {1: 0}, body)
    p = env["mem_map"]
    assert findings == ()
    assert free_lists(w, env["zone"]) == {1: ["P0"]}
    assert (w.peek(p[0]._mapcount), w.peek(p[0].private)) == (PAGE_BUDDY_MAPCOUNT_VALUE, 1)
    assert (w.peek(p[1]._mapcount), w.peek(p[1].private)) == (-1, 0)


def test_merging_goes_on_up_the_orders_while_the_buddy_is_free():
    def body(env: Env) -> None:
        __free_pages(env["mem_map"][0], 0)

    # P1 free at order 0, P2..P3 at order 1: freeing P0 makes one order-2 block.
    w, env, findings = run_alone(4, 3, {1: 0, 2: 1}, body)
    assert findings == ()
    assert free_lists(w, env["zone"]) == {2: ["P0"]}
    assert [w.peek(env["zone"].free_area[o].nr_free) for o in range(3)] == [0, 0, 1]


def test_a_block_whose_next_higher_buddy_is_free_goes_to_the_back_of_its_list():
    # P5 is already on the order-0 list.  P0 cannot merge (P1 is in use) but its
    # order-1 block's buddy P2..P3 is free: __free_one_page adds P0 at the tail.
    def body(env: Env) -> None:
        __free_pages(env["mem_map"][0], 0)

    w, env, _ = run_alone(8, 4, {5: 0, 2: 1}, body)
    assert free_lists(w, env["zone"])[0] == ["P5", "P0"]


def test_alloc_then_free_of_a_compound_page_gives_back_the_zone_it_started_with():
    def body(env: Env) -> None:
        page = alloc_pages(env["zone"], __GFP_COMP, 1)
        env["flags"] = [k.plain_read(page.flags), k.plain_read(page[1].flags)]
        k.atomic_set(page._count, 0)  # the last put_page, done by hand
        free_compound_page(page)

    w, env, findings = run_alone(4, 3, {0: 2}, body)
    assert findings == ()
    assert [int(f) for f in env["flags"]] == [1 << PG_head, 1 << PG_tail]
    assert free_lists(w, env["zone"]) == {2: ["P0"]}
    assert all(w.peek(p.flags) == 0 for p in env["mem_map"])


def test_alloc_pages_returns_null_when_no_block_is_large_enough():
    def body(env: Env) -> None:
        env["page"] = alloc_pages(env["zone"], 0, 2)

    w, env, findings = run_alone(4, 3, {0: 1, 3: 0}, body)
    assert (env["page"], findings) == (None, ())
    assert free_lists(w, env["zone"]) == {0: ["P3"], 1: ["P0"]}


def test_a_block_with_a_free_buddy_cannot_be_put_on_the_lists_at_setup():
    with pytest.raises(UsageError, match="merge them first"):
        run_alone(4, 3, {0: 0, 1: 0}, lambda env: None)


def test_the_buddy_sentinel_is_no_mapcount_underflow_but_a_pin_dropped_twice_is():
    def body(env: Env) -> None:
        p = env["mem_map"]
        k.atomic_set(p[0]._mapcount, PAGE_BUDDY_MAPCOUNT_VALUE)
        k.atomic_set(p[0]._mapcount, -1)
        k.atomic_dec(p[1]._mapcount)

    _, _, findings = run_alone(2, 2, {}, body)
    assert [(f.kind, f.check) for f in findings] == [
        ("refcount-underflow", "underflow:P1._mapcount")
    ]


# -- the checks -------------------------------------------------------------------------


def test_freeing_a_page_with_pg_compound_lock_set_is_a_bad_page_and_leaks_it():
    def body(env: Env) -> None:
        p = env["mem_map"]
        k.set_bit(PG_compound_lock, p[0].flags)
        __free_pages(p[0], 0)

    w, env, findings = run_alone(4, 3, {1: 0}, body)
    (f,) = findings
    assert f.kind == "bad-page"
    assert "page:P0" in f.message and "PG_compound_lock" in f.message
    assert free_lists(w, env["zone"]) == {0: ["P1"]}  # P0 never reached the lists


def test_check_new_page_reports_a_referenced_page_as_a_bad_page():
    def body(env: Env) -> None:
        check_new_page(env["mem_map"][1])  # in use: count 1

    _, _, findings = run_alone(2, 2, {}, body)
    (f,) = findings
    assert (f.kind, f.check) == ("bad-page", "bad-page:P1")
    assert "count:1" in f.message and "check_new_page" in f.message


def test_a_free_page_written_by_a_stranger_is_a_use_after_free_when_allocated():
    def body(env: Env) -> None:
        p = env["mem_map"]
        k.atomic_inc(p[1]._count)  # a stale get_page on a page of a free block
        alloc_pages(env["zone"], 0, 1)

    _, _, findings = run_alone(2, 2, {0: 1}, body)
    # CPU0 stops there, as at a BUG, holding zone->lock, the block still on its list.
    assert [f.kind for f in findings] == ["use-after-free", "lock-held", "invariant"]
    assert findings[0].check == "use-after-free:P1"


def test_a_free_page_left_written_at_the_end_fails_the_zone_check():
    def body(env: Env) -> None:
        k.set_bit(PG_compound_lock, env["mem_map"][0].flags)

    _, _, findings = run_alone(2, 2, {0: 1}, body)
    (f,) = findings
    assert f.kind == "invariant"
    assert f.message.startswith("zone: free lists: use-after-free: P0")


# -- two CPUs ---------------------------------------------------------------------------


def two_cpus(cpu0: Callable[[Env], None], cpu1: Callable[[Env], None], free: dict[int, int]):
    def build(w: World) -> None:
        env = zone_world(w, 4, 3, free)
        w.thread("CPU0")(lambda: cpu0(env))
        w.thread("CPU1")(lambda: cpu1(env))

    return Program("buddy-2cpu", build)


def alloc_and_free(order: int) -> Callable[[Env], None]:
    def run(env: Env) -> None:
        page = alloc_pages(env["zone"], 0, order)
        if page is not None:
            __free_pages(page, order)

    return run


def test_two_cpus_allocating_and_freeing_under_sc_find_nothing():
    # zone->lock serialises the lists: the executions are the orders of the four
    # critical sections (alloc, free on each CPU), C(4, 2) = 6, and every block is
    # untouched whenever a CPU takes it off a list.
    program = two_cpus(alloc_and_free(0), alloc_and_free(1), {0: 2})
    res = explore(program, Options(all_findings=True, count_graphs=True, shrink=False))
    assert res.verdict == "verified"
    assert res.stats.executions == res.stats.distinct_graphs == 6
    assert res.stats.duplicate_graphs == 0 and res.stats.blocked == 0


@pytest.mark.parametrize("model", ["tso", "lkmm"])
def test_an_allocation_and_a_free_on_two_cpus_under_a_weak_model_find_nothing(model):
    # Also: list pointers written in one build of the world resolve in the next one.
    def alloc(env: Env) -> None:
        alloc_pages(env["zone"], 0, 0)

    def free(env: Env) -> None:
        __free_pages(env["mem_map"][3], 0)

    program = two_cpus(alloc, free, {0: 0})
    res = explore(program, Options(all_findings=True, shrink=False, model=model_by_name(model)))
    assert (res.verdict, res.stats.executions) == ("verified", 2)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["tso", "lkmm"])
def test_two_cpus_allocating_and_freeing_under_a_weak_model_find_nothing(model):
    program = two_cpus(alloc_and_free(0), alloc_and_free(0), {0: 1})
    res = explore(program, Options(all_findings=True, shrink=False, model=model_by_name(model)))
    assert res.verdict == "verified"


def test_a_stale_get_page_unless_zero_on_a_free_page_fails_and_is_no_finding():
    def stale(env: Env) -> None:
        head = env["mem_map"][0]
        if get_page_unless_zero(head):
            __free_pages(head, 0)

    res = explore(two_cpus(alloc_and_free(0), stale, {0: 2}), Options(all_findings=True))
    assert res.verdict == "verified"


def test_a_stale_compound_lock_on_a_free_page_is_a_use_after_free():
    # §9.2 b1 on a block still on the free lists: CPU1 locks the old head with no pin.
    def stale(env: Env) -> None:
        head = env["mem_map"][0]
        compound_lock(head)
        compound_unlock(head)

    alloc = alloc_and_free(1)
    res = explore(two_cpus(alloc, stale, {0: 2}), Options(all_findings=True, shrink=False))
    assert "use-after-free" in kinds(res)
    # Besides: a CPU stopped by a finding holds its locks (lock-held), and a free page
    # can be left with the lock bit (the zone's end check: invariant).
    expected = {"use-after-free", "bad-page", "lock-lost", "lock-leaked", "lock-held", "invariant"}
    assert kinds(res) <= expected


def test_a_stale_write_after_the_lists_are_left_is_a_bad_page_at_check_new_page():
    def stale(env: Env) -> None:
        k.atomic_inc(env["mem_map"][1]._count)

    def alloc(env: Env) -> None:
        alloc_pages(env["zone"], __GFP_COMP, 1, PREP_FIX)

    res = explore(two_cpus(alloc, stale, {0: 1}), Options(all_findings=True, shrink=False))
    assert {"use-after-free", "bad-page"} <= kinds(res)
