"""``prep-race``: ``compound_lock()`` against ``prep_new_page()`` (ref §9.1).

A THP was split and its head page H freed; CPUs that read ``H`` as the head of a tail
they pinned before the split (the tail's pin now lives in the tail's own ``_count``)
are about to run the tail path of ``put_compound_page``.  Meanwhile CPU0 reallocates
the block at H as a compound page of ``--order``: ``alloc_pages`` takes ``zone->lock``,
``__rmqueue_smallest`` finds the free block of order ``--order`` + 1 at H and
``expand`` puts its upper half back on the free lists, and ``prep_new_page`` (after
``check_new_page``) makes the lower half a compound page.

In v3.13 ``prep_new_page`` stores ``_count = 1`` first, so a stale putter's
``get_page_unless_zero(H)`` can succeed, and its ``compound_lock`` (an atomic bit set
on ``H.flags``) can land between the plain load and the plain store of
``__SetPageHead``: the lock bit is erased while held (lost acquire), or an unlock is
undone and the bit stays set with no owner (lost release).

Layout: a zone (:mod:`pagerace.mm.mmzone`) of 2^(order+1) pages H.., free at the start
as one block (put on its list at setup as the free path leaves it; one order larger
than the allocation, so that ``expand`` splits it); the stale tails
T1..Tn lie beyond it, outside the modelled zone (a block containing a pinned tail
cannot be free, and their order-0 frees end after ``free_pages_check``).  Being tails
of the old THP at H, they lie within its 512 pages, so that block is at most order 8
and ``--order`` at most 7.  Checks: the
owner of the compound-lock bit still sees it set when it unlocks; no lock bit is left
set with no owner; no counter goes below its floor; the allocator's checks (a free
page written while on the lists is ``use-after-free``, ``check_new_page``); at the end
H holds only CPU0's reference, every stale tail has dropped its pin, and the zone's
free lists hold the upper half, untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.explore.runtime import World
from pagerace.mm.mmzone import Zone, init_free_block
from pagerace.mm.page import Page, make_mem_map
from pagerace.mm.page_alloc import __GFP_COMP, alloc_pages
from pagerace.mm.swap import put_compound_tail
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario, order_param


def build(variant: Variant, params: Mapping[str, int]) -> Callable[[World], None]:
    cpus, order = params["cpus"], params["order"]
    zone_pages = 2 << order
    putters = cpus - 1
    names = ["H", *(f"H+{i}" for i in range(1, zone_pages)), *(f"T{i}" for i in range(1, cpus))]

    def setup(w: World) -> None:
        mem_map = make_mem_map(w, zone_pages + putters, names)
        head = mem_map[0]
        zone = Zone(w, mem_map, max_order=order + 2)
        init_free_block(w, head, order + 1)
        tails = mem_map[zone_pages:]
        for t in tails:  # split: the pin moved into the tail's own count (ref §5.2)
            w.init(t._count, 1)
            w.init(t.first_page, head)
        w.thread("CPU0")(lambda: alloc_pages(zone, __GFP_COMP, order, variant))
        for n, t in enumerate(tails, start=1):
            w.thread(f"CPU{n}")(_putter(t, head))

        @w.check_at_end("references balance")
        def balance(w: World) -> str | None:
            return _balance(w, head, tails)

    return setup


def _putter(tail: Page, stale_head: Page) -> Callable[[], None]:
    def run() -> None:
        put_compound_tail(tail, stale_head)

    return run


def _balance(w: World, head: Page, tails: list[Page]) -> str | None:
    problems = []
    if w.peek(head._count) != 1:
        problems.append(f"H._count is {w.peek(head._count)}, expected 1 (CPU0's reference)")
    for t in tails:
        if w.peek(t._count) != 0:
            problems.append(f"{t.name}._count is {w.peek(t._count)}, expected 0 (pin dropped)")
    return "; ".join(problems) or None


_RACE = (
    "§9.1: _count = 1 is published before the non-atomic __SetPageHead, so a stale "
    "get_page_unless_zero succeeds and compound_lock races with the NA-RMW of H.flags"
)
_FIXED = (
    "the count is published only after every flag is written, so a stale pin "
    "fails (count 0) or finds the flags final"
)

_FIXED_TSO = "as under sc: x86-TSO keeps stores in program order, smp_wmb or not"

_PLAIN_FLAGS = (
    "__SetPageHead is a plain load and store of flags, unordered against the putter's "
    "compound_lock RMW: a data race by the LKMM's definition"
)

PREP_RACE = Scenario(
    name="prep-race",
    summary="compound_lock() of a stale head vs prep_new_page() reallocating it (§9.1)",
    params=(
        Param("cpus", 2, 2, 8, "CPU0 reallocates; CPU1..n-1 each put a stale tail"),
        order_param(
            1,
            "order of the compound page CPU0 allocates",
            ceiling=7,
            why="8 and 9 would put the stale tails, pages of the old THP at H, inside the "
            "free block of order+1 at H: ref §9.1",
        ),
    ),
    variants=("v3.13", "prep-fix", "prep-fix-nowmb", "prep-fix-release"),
    expected={
        ("v3.13", "sc"): Expectation("finding", _RACE, ("lock-lost", "lock-leaked", "deadlock")),
        ("v3.13", "tso"): Expectation("finding", _RACE, ("lock-lost", "lock-leaked")),
        ("v3.13", "lkmm"): Expectation(
            "finding", _RACE + "; " + _PLAIN_FLAGS, ("lock-lost", "lock-leaked", "data-race")
        ),
        ("prep-fix", "sc"): Expectation("verified", _FIXED),
        ("prep-fix", "tso"): Expectation("verified", _FIXED_TSO),
        ("prep-fix", "lkmm"): Expectation(
            "finding",
            "no lock bit is lost, but smp_wmb orders stores only: the plain "
            "load of flags races with the count store (data race)",
            ("data-race",),
        ),
        ("prep-fix-nowmb", "sc"): Expectation("verified", _FIXED),
        ("prep-fix-nowmb", "tso"): Expectation("verified", _FIXED_TSO),
        ("prep-fix-nowmb", "lkmm"): Expectation(
            "finding",
            "without smp_wmb the count store may become visible before the flag stores; "
            + _PLAIN_FLAGS,
            ("lock-lost", "lock-leaked", "data-race"),
        ),
        ("prep-fix-release", "sc"): Expectation("verified", _FIXED),
        ("prep-fix-release", "tso"): Expectation("verified", _FIXED),
        ("prep-fix-release", "lkmm"): Expectation(
            "verified", "the release store orders every earlier access before the count"
        ),
    },
    builder=build,
)
