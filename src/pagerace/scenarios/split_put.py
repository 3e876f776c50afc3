"""``split-vs-tail-put``: ``__split_huge_page_refcount`` against ``put_page`` of tails
pinned by ``gup_fast`` (ref §9.2 b2, §5.2, §3.3).

A THP of ``--order`` is mapped by one huge pmd; ``gup_fast`` has pinned one tail for each
of CPU1..n-1 (the pin is in the tail's ``_mapcount`` and in the head's ``_count``,
ref §6.1), and CPU0, holding its own pin on the head (``__split_huge_page_pmd``), splits
the page.  Each CPU i then drops its pin as an O_DIRECT completion would:
``put_page(tail)``.

The designed-in serialisation: a putter that takes the compound lock first drops the
pin from the tail's ``_mapcount`` and the head; one that comes after finds PG_tail clear
and drops it from the tail's own ``_count``, where the split moved it (``smp_mb`` before
the PG_tail clear).  Checks: counters never go below their floor; at the end the head
holds only its mapping's reference and is no longer a head, each tail's ``_count`` is
its pte mapping (1) with its ``_mapcount`` copied from the head, and no lock bit is set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.core.errors import UsageError
from pagerace.explore.runtime import World
from pagerace.mm.huge_memory import split_huge_page_refcount
from pagerace.mm.page import Page, PG_head, PG_tail, make_mem_map
from pagerace.mm.page_alloc import FREE_COMPOUND_PAGE
from pagerace.mm.swap import put_page
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario


def build(variant: Variant, params: Mapping[str, int]) -> Callable[[World], None]:
    cpus, order = params["cpus"], params["order"]
    nr_pages = 1 << order
    if cpus - 1 > nr_pages - 1:
        raise UsageError(
            "--cpus",
            cpus,
            f"at most {nr_pages} with --order {order}: one pinned tail per CPU after CPU0",
        )
    names = ["H", *(f"H+{i}" for i in range(1, nr_pages))]

    def setup(w: World) -> None:
        mem_map = make_mem_map(w, nr_pages, names)
        head = mem_map[0]
        pinned = mem_map[1:cpus]
        # Mapped by one huge pmd (mapcount 1, one reference), pinned by the splitter
        # and by one gup_fast pin per putter (ref §6.1).
        w.init(head.flags, 1 << PG_head)
        w.init(head._mapcount, 0)
        w.init(head._count, 1 + 1 + len(pinned))
        w.init(head[1].lru_next, FREE_COMPOUND_PAGE)
        w.init(head[1].lru_prev, order)
        for t in mem_map[1:]:
            w.init(t.flags, 1 << PG_tail)
            w.init(t.first_page, head)
        for t in pinned:
            w.init(t._mapcount, 0)  # get_huge_page_tail: the pin lives in _mapcount
        lru_lock = w.location("zone.lru_lock")

        @w.thread("CPU0")
        def splitter() -> None:
            split_huge_page_refcount(head, nr_pages, lru_lock, variant)
            put_page(head)  # __split_huge_page_pmd drops its pin

        for n, t in enumerate(pinned, start=1):
            w.thread(f"CPU{n}")(_putter(t))

        @w.check_at_end("references balance")
        def balance(w: World) -> str | None:
            return balance_after_split(w, head, mem_map[1:])

    return setup


def _putter(tail: Page) -> Callable[[], None]:
    def run() -> None:
        put_page(tail)  # O_DIRECT completion drops the gup pin

    return run


def balance_after_split(w: World, head: Page, tails: list[Page]) -> str | None:
    """Every pin dropped once: the head keeps its mapping's reference and is no longer
    a head; each tail keeps its pte's reference and the head's mapcount."""
    problems = []
    if w.peek(head._count) != 1:
        problems.append(f"H._count is {w.peek(head._count)}, expected 1 (its mapping)")
    if w.peek(head.flags) & (1 << PG_head):
        problems.append("H is still PG_head")
    for t in tails:
        if w.peek(t._count) != 1:
            problems.append(f"{t.name}._count is {w.peek(t._count)}, expected 1 (its pte)")
        if w.peek(t._mapcount) != w.peek(head._mapcount):
            problems.append(f"{t.name}._mapcount is {w.peek(t._mapcount)}, expected H's")
        if w.peek(t.flags) & (1 << PG_tail):
            problems.append(f"{t.name} is still PG_tail")
    return "; ".join(problems) or None


_SERIALISED = (
    "§9.2 b2: the compound lock orders each put against the transfer of its "
    "tail's pins; smp_mb makes the tail's _count hold the pin before PG_tail "
    "is seen clear, so every pin is dropped exactly once"
)

_REORDERED = (
    "a putter that sees PG_tail clear before the pins reach the tail's _count "
    "takes the non-compound path: put_page_testzero on a _count of 0 underflows"
)

_PLAIN_TAIL_FLAGS = (
    "the split rewrites each tail's flags with plain stores (ref §5.2: the non-atomic "
    "clear and copy) while put_page tests PageTail before taking compound_lock: plain "
    "against marked and unordered, a data race by the LKMM's definition (2013 code "
    "relies on the recheck under the lock); the counts themselves stay balanced"
)

SPLIT_VS_TAIL_PUT = Scenario(
    name="split-vs-tail-put",
    summary="__split_huge_page_refcount vs put_page of gup-pinned tails (§9.2 b2)",
    params=(
        Param("cpus", 2, 2, 8, "CPU0 splits; CPU1..n-1 each put a pinned tail"),
        Param("order", 1, 1, 4, "order of the THP (2^order pages)"),
    ),
    variants=("v3.13", "split-mb-reordered"),
    expected={
        ("v3.13", "sc"): Expectation("verified", _SERIALISED),
        ("v3.13", "tso"): Expectation("verified", _SERIALISED),
        ("split-mb-reordered", "sc"): Expectation("finding", _REORDERED, ("refcount-underflow",)),
        ("split-mb-reordered", "tso"): Expectation("finding", _REORDERED, ("refcount-underflow",)),
        ("v3.13", "lkmm"): Expectation("finding", _PLAIN_TAIL_FLAGS, ("data-race",)),
        ("split-mb-reordered", "lkmm"): Expectation(
            "finding", _REORDERED + "; " + _PLAIN_TAIL_FLAGS, ("refcount-underflow", "data-race")
        ),
    },
    builder=build,
)
