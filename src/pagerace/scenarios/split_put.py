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

Variants ``per-tail-lock`` and ``per-tail-lock-naive`` (ref §9.3) change who locks
what: the putter locks the tail itself, and the split locks each tail (or, naive, does
not).  Variant ``v4.5`` (ref §8.5) starts from v4.5's state instead: the pins are in the head's
``_count`` only, the pmd mapping in ``compound_mapcount``; its split is refused while a
pin remains, so at the end the THP is either split as above or intact (head still a
head with its mapping's reference, tails with no reference of their own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.core.errors import UsageError
from pagerace.core.ops import Location
from pagerace.explore.runtime import World
from pagerace.mm.gup import PMD_HUGE, show_pmd
from pagerace.mm.huge_memory import split_huge_page_refcount
from pagerace.mm.page import Page, PG_head, PG_tail, make_mem_map
from pagerace.mm.page_alloc import FREE_COMPOUND_PAGE
from pagerace.mm.swap import put_page
from pagerace.mm.thp_v45 import compound_mapcount_ptr, split_huge_page_to_list
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario, order_param


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
        init_pmd_mapped_thp(w, mem_map, order, variant)
        # Pinned by the splitter and by one gup_fast pin per putter (ref §6.1).
        w.init(head._count, 1 + 1 + len(pinned))
        for t in pinned if variant.tail_refcounting else ():
            w.init(t._mapcount, 0)  # get_huge_page_tail: the pin lives in _mapcount
        lru_lock = w.location("zone.lru_lock")

        @w.thread("CPU0")
        def splitter() -> None:
            if variant.tail_refcounting:
                split_huge_page_refcount(head, nr_pages, lru_lock, variant)
            else:
                split_huge_page_to_list(head, nr_pages, lru_lock)  # -EBUSY while pinned
            put_page(head, variant)  # __split_huge_page_pmd drops its pin

        for n, t in enumerate(pinned, start=1):
            w.thread(f"CPU{n}")(_putter(t, variant))

        @w.check_at_end("references balance")
        def balance(w: World) -> str | None:
            return balance_after(w, head, mem_map[1:], variant)

    return setup


def _putter(tail: Page, variant: Variant) -> Callable[[], None]:
    def run() -> None:
        put_page(tail, variant)  # O_DIRECT completion drops the gup pin

    return run


def pmd_mapped_thp(
    w: World, order: int, variant: Variant, pins: int = 0
) -> tuple[list[Page], Location]:
    """A THP of ``order`` (pages H, H+1, ...) mapped by one huge pmd: its pages, and the
    pmd.  The head holds the mapping's reference plus ``pins`` (a splitter's)."""
    nr_pages = 1 << order
    mem_map = make_mem_map(w, nr_pages, ["H", *(f"H+{i}" for i in range(1, nr_pages))])
    init_pmd_mapped_thp(w, mem_map, order, variant)
    w.init(mem_map[0]._count, 1 + pins)
    return mem_map, w.location("pmd", PMD_HUGE, fmt=show_pmd)


def init_pmd_mapped_thp(w: World, mem_map: list[Page], order: int, variant: Variant) -> None:
    """A THP mapped by one huge pmd, holding that mapping's reference.  v3.13: the pmd
    mapping is the head's ``_mapcount``, tails are PG_tail with ``first_page``.  v4.5:
    it is ``compound_mapcount``, and a tail's ``compound_head`` points to the head."""
    head = mem_map[0]
    w.init(head.flags, 1 << PG_head)
    w.init(head._count, 1)
    w.init(head[1].lru_next, FREE_COMPOUND_PAGE)
    w.init(head[1].lru_prev, order)
    if variant.tail_refcounting:
        w.init(head._mapcount, 0)
    else:
        w.init(compound_mapcount_ptr(head), 0)
    for t in mem_map[1:]:
        if variant.tail_refcounting:
            w.init(t.flags, 1 << PG_tail)
        w.init(t.first_page, head)


def balance_after(w: World, head: Page, tails: list[Page], variant: Variant) -> str | None:
    """v3.13: :func:`balance_after_split`.  v4.5: split as well, or (refused) intact."""
    if variant.tail_refcounting:
        return balance_after_split(w, head, tails)
    if w.peek(head.flags) & (1 << PG_head):
        return thp_intact(w, head, tails, variant)
    problems = [f"{t.name} still points to its head" for t in tails if w.peek(t.first_page)]
    return "; ".join(filter(None, [*problems, balance_after_split(w, head, tails)])) or None


def thp_intact(w: World, head: Page, tails: list[Page], variant: Variant) -> str | None:
    """Every pin dropped and no split: the head keeps its mapping's reference, each
    tail is still a tail with no pin (v3.13: ``_mapcount`` -1; both: ``_count`` 0)."""
    problems = []
    if w.peek(head._count) != 1:
        problems.append(f"H._count is {w.peek(head._count)}, expected 1 (its mapping)")
    for t in tails:
        if w.peek(t._count) != 0:
            problems.append(f"{t.name}._count is {w.peek(t._count)}, expected 0")
        if w.peek(t._mapcount) != -1:
            problems.append(f"{t.name}._mapcount is {w.peek(t._mapcount)}, expected -1")
        tail = w.peek(t.flags) & (1 << PG_tail) if variant.tail_refcounting else True
        if not tail or w.peek(t.first_page) is not head:
            problems.append(f"{t.name} is no longer a tail of H")
    return "; ".join(problems) or None


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

_TAIL_FLAGS_RACE = (
    "the split rewrites each tail's flags with plain stores (ref §5.2: the non-atomic "
    "clear and copy) while put_page tests PageTail before taking compound_lock: plain "
    "against marked and unordered, a data race by the LKMM's definition (2013 code "
    "relies on the recheck under the lock)"
)
_PLAIN_TAIL_FLAGS = _TAIL_FLAGS_RACE + "; the counts themselves stay balanced"

_TAIL_LOCKED = (
    "§9.3: each tail's step of the split runs under that tail's compound lock, which "
    "the putter takes (with no head pin: its own pin keeps the tail allocated) before it "
    "rechecks PG_tail: it drops the pin from _mapcount and the head before the split "
    "reads them, or finds PG_tail clear and drops it from the tail's _count, filled "
    "before the unlock; the split keeps PG_compound_lock out of its plain rewrites of "
    "the tail's flags, so no lock bit is lost"
)

_TAIL_LOCKED_LKMM = (
    "put_page still tests PageCompound and PageTail before it takes the tail's lock, "
    "against the split's plain rewrite of the tail's flags: a data race, as in v3.13 "
    "(the accesses under the lock are ordered by unlock->lock). The counts stay "
    "balanced: for a putter to read the plain clear and then decrement the tail's "
    "_count before the split's atomic_add, the add would read from the decrement, and "
    "with smp_mb on one side and the fully ordered put_page_testzero on the other the "
    "putter's load would execute before the store it reads: linux-kernel.cat's "
    "plain-coherence (wr-incoh) forbids that"
)

_NAIVE = (
    "per-tail-lock's put side on v3.13's split: the putter holds the tail's lock while "
    "the split, holding only the head's, rewrites the tail's flags with plain loads and "
    "stores (§5.2 4e-4g). A lock taken between the split's load and store is erased "
    "(the putter's unlock finds it clear: lock-lost); a load that sees it held and a "
    "store after the unlock resurrect it (lock-leaked). Nor does anything exclude the "
    "putter from the transfer: it can drop the pin from _mapcount and the head after "
    "the split counted it there, so the head loses the pin twice (freed while still "
    "mapped: bad-page; with two putters its _count goes below 0) and the tail's _count "
    "keeps it (invariant)"
)
_NAIVE_KINDS = ("lock-lost", "lock-leaked", "bad-page", "invariant", "refcount-underflow")

_REFUSED = (
    "§8.5: a pin on a tail is a reference on the head; the split goes ahead only if the "
    "head's count is the caller's pin plus one per mapping (v4.5's racy check, then the "
    "cmpxchg freeze to 0), so it is refused while a putter holds its pin and splits "
    "only after the last put; put_page never touches a tail's count or flags"
)

SPLIT_VS_TAIL_PUT = Scenario(
    name="split-vs-tail-put",
    summary="__split_huge_page_refcount vs put_page of gup-pinned tails (§9.2 b2)",
    params=(
        Param("cpus", 2, 2, 8, "CPU0 splits; CPU1..n-1 each put a pinned tail"),
        order_param(1, "order of the THP (2^order pages)"),
    ),
    variants=("v3.13", "split-mb-reordered", "per-tail-lock", "per-tail-lock-naive", "v4.5"),
    expected={
        ("v3.13", "sc"): Expectation("verified", _SERIALISED),
        ("v3.13", "tso"): Expectation("verified", _SERIALISED),
        ("split-mb-reordered", "sc"): Expectation("finding", _REORDERED, ("refcount-underflow",)),
        ("split-mb-reordered", "tso"): Expectation("finding", _REORDERED, ("refcount-underflow",)),
        ("v3.13", "lkmm"): Expectation("finding", _PLAIN_TAIL_FLAGS, ("data-race",)),
        ("split-mb-reordered", "lkmm"): Expectation(
            "finding", _REORDERED + "; " + _PLAIN_TAIL_FLAGS, ("refcount-underflow", "data-race")
        ),
        ("per-tail-lock", "sc"): Expectation("verified", _TAIL_LOCKED),
        ("per-tail-lock", "tso"): Expectation(
            "verified",
            _TAIL_LOCKED + "; x86-TSO keeps stores in order and the unlock is a locked op, "
            "so the putter that gets the lock sees all of the split's stores",
        ),
        ("per-tail-lock", "lkmm"): Expectation("finding", _TAIL_LOCKED_LKMM, ("data-race",)),
        ("per-tail-lock-naive", "sc"): Expectation("finding", _NAIVE, _NAIVE_KINDS),
        ("per-tail-lock-naive", "tso"): Expectation(
            "finding",
            _NAIVE + "; x86-TSO keeps each CPU's stores in order, so the same interleavings "
            "exist (a buffered plain store only delays the erase)",
            _NAIVE_KINDS,
        ),
        ("per-tail-lock-naive", "lkmm"): Expectation(
            "finding",
            _NAIVE + "; " + _TAIL_FLAGS_RACE,
            (*_NAIVE_KINDS, "data-race"),
        ),
        ("v4.5", "sc"): Expectation("verified", _REFUSED),
        ("v4.5", "tso"): Expectation("verified", _REFUSED + "; the freeze is a locked cmpxchg"),
        ("v4.5", "lkmm"): Expectation(
            "verified",
            _REFUSED + "; the putters' accesses are all marked (READ_ONCE of compound_head, "
            "atomic RMWs of the head's _count) and the split's plain accesses (tail and "
            "head flags) meet no concurrent access",
        ),
    },
    builder=build,
)
