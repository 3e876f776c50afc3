"""``odirect``: O_DIRECT I/O into a THP, the hot path of the 2013 debate (ref §6.2,
§9.3): ``gup_fast`` pins tails, the I/O completions drop the pins with ``put_page``.

A THP of ``--order`` is mapped by one huge pmd.  Each I/O CPU pins its own run of
``--pages`` tails with one ``gup_fast`` (the buffer of one ``read(O_DIRECT)``), takes
``--gets`` more references on each page with ``get_page`` (fs/direct-io.c's
``page_cache_get`` for ``sdio->cur_page`` and for the bio: two in v3.13), and drops
them all, and its pin, with ``put_page``.  With ``--split 1`` CPU0 splits the THP
meanwhile, as in ``gup-vs-split`` (v4.5: a split refused while the I/O holds its pins).

It is the workload the cost comparison runs: per ``put_page`` of a tail, v3.13 takes 6
locked operations (ref §3.3), per-tail-lock 4 (lock, ``_mapcount``, unlock, head), v4.5
one (the head's count); per ``get_page`` of a tail 4, 4 and 1.

Checks: no counter below its floor, no lock bit lost or left set; at the end the THP
is intact with only its mapping's reference (no split, or v4.5's refused split), or
split as in ``split-vs-tail-put``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.core.errors import UsageError
from pagerace.explore.runtime import World
from pagerace.mm.gup import gup_fast, split_huge_page
from pagerace.mm.page import Page
from pagerace.mm.swap import get_page, put_page
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario, order_param
from pagerace.scenarios.split_put import balance_after, pmd_mapped_thp, thp_intact


def build(variant: Variant, params: Mapping[str, int]) -> Callable[[World], None]:
    cpus, order, split = params["cpus"], params["order"], params["split"]
    pages, gets = params["pages"], params["gets"]
    runs = tail_runs(cpus - split, pages, split, order)
    nr_pages = 1 << order

    def setup(w: World) -> None:
        mem_map, pmd = pmd_mapped_thp(w, order, variant, pins=int(split))  # splitter's pin
        head = mem_map[0]
        if split:
            lru_lock = w.location("zone.lru_lock")

            @w.thread("CPU0")
            def splitter() -> None:
                split_huge_page(head, nr_pages, pmd, lru_lock, variant)
                put_page(head, variant)

        for n, (first, nr) in enumerate(runs, start=split):
            w.thread(f"CPU{n}")(_direct_io(pmd, head, first, nr, gets, variant))

        @w.check_at_end("references balance")
        def balance(w: World) -> str | None:
            if split:
                return balance_after(w, head, mem_map[1:], variant)
            return thp_intact(w, head, mem_map[1:], variant)

    return setup


def tail_runs(io_cpus: int, pages: int, split: int, order: int) -> list[tuple[int, int]]:
    """One run ``(first, nr)`` of ``pages`` tails per I/O CPU, from tail 1 on."""
    if io_cpus < 1:
        raise UsageError("--cpus", io_cpus + split, "at least 2 with --split 1: CPU0 splits")
    tails = (1 << order) - 1
    if io_cpus * pages > tails:
        raise UsageError(
            "--cpus",
            io_cpus + split,
            f"at most {tails // pages + split} with --order {order} --pages {pages} "
            f"--split {split}: the runs of tails must fit in the {tails} tails",
        )
    return [(1 + k * pages, pages) for k in range(io_cpus)]


def _direct_io(
    pmd: object, head: Page, first: int, nr: int, gets: int, variant: Variant
) -> Callable[[], None]:
    def run() -> None:
        pages = gup_fast(pmd, head, first, nr, variant)  # dio_refill_pages
        for page in pages:
            for _ in range(gets):
                get_page(page, variant)  # page_cache_get: in the dio, in the bio
        for page in pages:
            for _ in range(gets + 1):
                put_page(page, variant)  # page_cache_release at completion

    return run


# The defaults are one I/O CPU and no split: the uncontended cost of each kernel
# operation, and a check of the accounting itself.  With --cpus 2 the puts contend on
# the head (v3.13: get_page_unless_zero, compound_lock and three RMWs of its _count per
# put, 184 executions under sc; per-tail-lock and v4.5: 10) -- minutes under tso/lkmm.
_ALONE = (
    "one CPU and no split: nothing runs concurrently, so the verdict is the same under every model"
)

ODIRECT = Scenario(
    name="odirect",
    summary="gup_fast pins of a THP's tails dropped by O_DIRECT completions (§6.2)",
    params=(
        Param("cpus", 1, 1, 8, "I/O CPUs, plus CPU0 with --split 1"),
        order_param(2, "order of the THP (2^order pages, 2^order-1 tails)"),
        Param("pages", 1, 1, 15, "tails each I/O CPU pins with one gup_fast"),
        Param("split", 0, 0, 1, "1: CPU0 splits the THP during the I/O"),
        Param("gets", 0, 0, 2, "get_page/put_page pairs per pinned page (dio: 2)"),
    ),
    variants=("v3.13", "per-tail-lock", "v4.5"),
    expected={
        ("v3.13", "sc"): Expectation(
            "verified",
            "§6.1, §3.3: gup_fast puts each pin in the tail's _mapcount and the head's "
            "_count; put_page pins the head, locks it, finds PG_tail and drops both; " + _ALONE,
        ),
        ("v3.13", "tso"): Expectation("verified", "as under sc; " + _ALONE),
        ("v3.13", "lkmm"): Expectation("verified", "as under sc; " + _ALONE),
        ("per-tail-lock", "sc"): Expectation(
            "verified",
            "§9.3: put_page locks the tail itself, finds PG_tail and drops the pin from "
            "its _mapcount and the head; " + _ALONE,
        ),
        ("per-tail-lock", "tso"): Expectation("verified", "as under sc; " + _ALONE),
        ("per-tail-lock", "lkmm"): Expectation("verified", "as under sc; " + _ALONE),
        ("v4.5", "sc"): Expectation(
            "verified",
            "§8.5: gup_fast and put_page both count on the head only; " + _ALONE,
        ),
        ("v4.5", "tso"): Expectation("verified", "as under sc; " + _ALONE),
        ("v4.5", "lkmm"): Expectation("verified", "as under sc; " + _ALONE),
    },
    builder=build,
)
