"""``head-realloc-smaller``: the old THP head freed and reallocated as a smaller
compound page before a stale putter's last put (ref §9.2 b4, §3.3 ``skip_lock``, §3.6).

Each of CPU1..n-1 held a gup pin on a tail T of a THP H and began ``put_page(T)``:
``compound_trans_head(T)`` returned H, then the CPU was delayed.  Meanwhile H was split
(T's pin moved into T's own ``_count``), freed, and reallocated as a compound page of
``--order`` whose first page is H; T lies beyond that block (a block containing a pinned
page cannot be free), so the block is smaller than the THP: ``--order`` 1..8.  CPU0 owns
the new compound page and frees it with ``put_page(H)``.

A putter whose ``get_page_unless_zero(H)`` succeeds (H is allocated: its count is
CPU0's 1) takes the compound lock, finds PG_tail clear on T, unlocks, and at
``skip_lock`` drops its speculative reference; if CPU0 put first, that is H's last
reference, and H is now the head of a compound page.  Andrea's comment (v3.13): it
"cannot have become: a THP page, a compound page of higher order, a tail page", but it
can be a smaller compound page, so the put must dispatch on ``PageHead``:

- ``v3.12``: ``__put_single_page(H)`` frees H alone as an order-0 page; the destructor
  (``free_compound_page``) never runs and H+1..H+2^order-1 keep PG_tail and are never
  freed (a leak; PG_head and PG_tail are not flags ``free_pages_check`` rejects, ref §4.4).
- ``v3.13``: ``PageHead(H)`` → ``__put_compound_page`` → the destructor frees the block.

The reallocation itself is done before the scenario starts: its race with the
speculative pin is ``prep-race`` (§9.1).  Checks: counters above their floors,
``free_pages_check``, lock ownership; at the end every page of the block and every stale
tail has ``_count`` 0 and has been freed (flags cleared).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.explore.runtime import World
from pagerace.mm.page import Page, PG_head, PG_tail, make_mem_map
from pagerace.mm.page_alloc import FREE_COMPOUND_PAGE
from pagerace.mm.swap import put_compound_tail, put_page
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario, order_param
from pagerace.scenarios.stale_head_free import all_freed


def build(variant: Variant, params: Mapping[str, int]) -> Callable[[World], None]:
    cpus, order = params["cpus"], params["order"]
    block = 1 << order
    names = ["H", *(f"H+{i}" for i in range(1, block)), *(f"T{i}" for i in range(1, cpus))]

    def setup(w: World) -> None:
        mem_map = make_mem_map(w, block + cpus - 1, names)
        head = mem_map[0]
        stale_tails = mem_map[block:]
        _init_compound(w, mem_map[:block], order)
        for t in stale_tails:  # split: the pin moved into the tail's own count
            w.init(t._count, 1)
            w.init(t.first_page, head)

        @w.thread("CPU0")
        def new_owner() -> None:
            put_page(head)

        for n, t in enumerate(stale_tails, start=1):
            w.thread(f"CPU{n}")(_putter(t, head, variant))

        @w.check_at_end("references balance")
        def balance(w: World) -> str | None:
            return all_freed(w, mem_map)

    return setup


def _init_compound(w: World, pages: list[Page], order: int) -> None:
    """The block as ``prep_new_page`` left it (ref §4.2): CPU0's reference on the head,
    the destructor and order in ``page[1]``, PG_head, and per tail PG_tail, count 0 and
    ``first_page``."""
    head = pages[0]
    w.init(head._count, 1)
    w.init(head.flags, 1 << PG_head)
    w.init(head[1].lru_next, FREE_COMPOUND_PAGE)
    w.init(head[1].lru_prev, order)
    for t in pages[1:]:
        w.init(t.flags, 1 << PG_tail)
        w.init(t.first_page, head)


def _putter(tail: Page, stale_head: Page, variant: Variant) -> Callable[[], None]:
    def run() -> None:
        put_compound_tail(tail, stale_head, variant)

    return run


_DISPATCH = (
    '§9.2 b4, fixed in v3.13 (Andrea, "mm: hugetlbfs: fix hugetlbfs optimization"): '
    "whichever put is last frees H by PageHead, so a smaller compound page goes to its "
    "destructor and the whole block is freed"
)
_SINGLE = (
    "§9.2 b4, v3.12: when the stale putter's skip_lock put is H's last reference it frees "
    "H with __put_single_page: only H is freed, free_compound_page never runs and the "
    "block's tails stay PG_tail, never freed (a leak, caught by the end check; no bad "
    "page: free_pages_check clears PG_head rather than rejecting it)"
)
_ORDERED = (
    ". Under the LKMM the plain accesses of the free come after a put_page_testzero that "
    "read from the other CPU's last one (full barriers), so none races"
)

HEAD_REALLOC_SMALLER = Scenario(
    name="head-realloc-smaller",
    summary="stale putter's skip_lock put vs the old head reallocated smaller (§9.2 b4)",
    params=(
        Param("cpus", 2, 2, 8, "CPU0 frees the new compound page; CPU1..n-1 each put a stale tail"),
        order_param(
            1,
            "order of the compound page reallocated at H",
            ceiling=8,
            why="smaller than the THP H was, whose stale tails an order-9 block would "
            "take in: ref §9.2 b4, orders 1..8",
        ),
    ),
    variants=("v3.13", "v3.12"),
    expected={
        ("v3.13", "sc"): Expectation("verified", _DISPATCH),
        ("v3.13", "tso"): Expectation("verified", _DISPATCH),
        ("v3.13", "lkmm"): Expectation("verified", _DISPATCH + _ORDERED),
        ("v3.12", "sc"): Expectation("finding", _SINGLE, ("invariant",)),
        ("v3.12", "tso"): Expectation("finding", _SINGLE, ("invariant",)),
        ("v3.12", "lkmm"): Expectation("finding", _SINGLE + _ORDERED, ("invariant",)),
    },
    builder=build,
)
