"""``stale-head-free``: ``compound_lock`` on an unpinned head against the free path
(ref §9.2 b1, §8.1, §4.3).

Each of CPU1..n-1 held a gup pin on a tail T of a THP H and began ``put_page(T)``:
``compound_trans_head(T)`` read ``T->first_page = H``, the ``smp_rmb`` and PG_tail still
set, and then the CPU was delayed.  Meanwhile H was split (the pin moved into T's own
``_count``, PG_tail cleared, ``first_page`` left pointing at H; ref §5.2), and CPU0 now
drops the last reference to H: ``put_page(H)`` reaches 0 and ``free_pages_check(H)``
loads H's flags and clears them with a plain store (ref §4.3).  The scenario starts
there, with the putters about to take the compound lock of the stale head.

- ``unpinned-lock`` (Andrea's ``put_compound_tail`` sketch; Oleg's objection, ref §8.1):
  ``compound_lock(H)`` with nothing pinning H.  Its atomic bit set can land between the
  free path's load and store of ``H.flags`` (the store erases the held bit: the owner
  finds it clear at unlock), or before the load (the page is freed with
  PG_compound_lock set: a bad page).
- ``v3.13``: ``get_page_unless_zero(H)`` first.  Either it finds ``_count`` 0 (the free
  is decided; the putter never touches H and drops its pin from T's count), or its
  reference makes CPU0's put not the last, so the free runs only after the putter's
  unlock, from whichever ``put_page_testzero`` reaches 0.  What v3.13 guarantees is only
  that a pinned head is not freed; it may still be reallocated before the pin is taken
  (ref §9.1: ``prep-race``), which this scenario leaves out: nothing allocates here.

Layout: the former THP is H..H+2^order-1; CPU i puts H+i.  Checks: lock-bit ownership at
unlock, counters above their floors, ``free_pages_check``; at the end H and every pinned
tail have ``_count`` 0 and have been freed (flags cleared).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.core.errors import UsageError
from pagerace.explore.runtime import World
from pagerace.mm.page import Page, PG_dirty, PG_referenced, make_mem_map
from pagerace.mm.swap import put_compound_tail, put_page
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario, order_param

# Flags the pages still carry when they are freed: PG_referenced set by gup_fast on the
# head (ref §6.1), copied to each tail by the split with PG_dirty (ref §5.2 4f, 4g).
_HEAD_FLAGS = 1 << PG_referenced
_TAIL_FLAGS = 1 << PG_referenced | 1 << PG_dirty


def build(variant: Variant, params: Mapping[str, int]) -> Callable[[World], None]:
    cpus, order = params["cpus"], params["order"]
    nr_pages = 1 << order
    if cpus - 1 > nr_pages - 1:
        raise UsageError(
            "--cpus", cpus, f"at most {nr_pages} with --order {order}: one stale tail per putter"
        )
    names = ["H", *(f"H+{i}" for i in range(1, nr_pages))]

    def setup(w: World) -> None:
        mem_map = make_mem_map(w, nr_pages, names)
        head = mem_map[0]
        pinned = mem_map[1:cpus]
        w.init(head.flags, _HEAD_FLAGS)
        w.init(head._count, 1)  # the last reference, CPU0's
        for t in pinned:  # after the split: the pin is in the tail's own count
            w.init(t.flags, _TAIL_FLAGS)
            w.init(t._count, 1)
            w.init(t.first_page, head)

        @w.thread("CPU0")
        def last_put() -> None:
            put_page(head)

        for n, t in enumerate(pinned, start=1):
            w.thread(f"CPU{n}")(_putter(t, head, variant))

        @w.check_at_end("references balance")
        def balance(w: World) -> str | None:
            return all_freed(w, [head, *pinned])

    return setup


def _putter(tail: Page, stale_head: Page, variant: Variant) -> Callable[[], None]:
    def run() -> None:
        put_compound_tail(tail, stale_head, variant)

    return run


def all_freed(w: World, pages: list[Page]) -> str | None:
    """Every page of ``pages`` was freed once: ``_count`` 0 and its flags cleared by
    ``free_pages_check`` (a page left with flags was never freed)."""
    problems = []
    for p in pages:
        if w.peek(p._count) != 0:
            problems.append(f"{p.name}._count is {w.peek(p._count)}, expected 0 (freed)")
        elif w.peek(p.flags) != 0:
            problems.append(
                f"{p.name} still has flags {p.flags.show(w.peek(p.flags))}: never freed"
            )
    return "; ".join(problems) or None


_PINNED = (
    "§9.2 b1 resolution: get_page_unless_zero is one atomic step on H._count, so it "
    "either finds 0 (the free is decided and the putter leaves H alone) or makes CPU0's "
    "put not the last; the free then runs after the putter's unlock"
)
_UNPINNED = (
    "§9.2 b1 (Oleg, LKML Dec 2013): nothing pins H, so compound_lock's atomic bit set "
    "races with free_pages_check's plain load and store of H.flags: the held bit is "
    "erased (lock-lost), or H is freed with PG_compound_lock set (bad-page; bad_page "
    "leaves the page unfreed, ref §4.3, so the end check reports it too: invariant)"
)
_PLAIN_FREE = (
    "free_pages_check reads and clears H.flags with plain accesses while the putter's "
    "compound_lock RMW on the same word is unordered with them: a data race by the "
    "LKMM's definition"
)

STALE_HEAD_FREE = Scenario(
    name="stale-head-free",
    summary="compound_lock on an unpinned stale head vs the free path (§9.2 b1)",
    params=(
        Param("cpus", 2, 2, 8, "CPU0 drops H's last reference; CPU1..n-1 each put a stale tail"),
        order_param(1, "order of the THP that was split (2^order pages, 2^order-1 tails)"),
    ),
    variants=("v3.13", "unpinned-lock"),
    expected={
        ("v3.13", "sc"): Expectation("verified", _PINNED),
        ("v3.13", "tso"): Expectation("verified", _PINNED),
        ("v3.13", "lkmm"): Expectation(
            "verified",
            _PINNED + ". A putter whose get_page_unless_zero fails makes no other access "
            "to H; otherwise the free path's plain accesses follow a put_page_testzero that "
            "read from the putter's last one (value-returning atomics are full barriers), "
            "so every access the putter made to H is ordered before them",
        ),
        ("unpinned-lock", "sc"): Expectation(
            "finding", _UNPINNED, ("lock-lost", "bad-page", "invariant")
        ),
        ("unpinned-lock", "tso"): Expectation(
            "finding", _UNPINNED, ("lock-lost", "bad-page", "invariant")
        ),
        ("unpinned-lock", "lkmm"): Expectation(
            "finding",
            _UNPINNED + "; " + _PLAIN_FREE,
            ("lock-lost", "bad-page", "invariant", "data-race"),
        ),
    },
    builder=build,
)
