"""``pagetail-race``: ``compound_head()`` against ``prep_compound_page()`` setting
PG_tail (ref §9.2 b3, §8.3, §4.2).

CPU0 has taken the block H..H+2^order-1 off the free lists and makes it a compound page
(``prep_new_page``).
Each of CPU1..n-1 is compaction scanning pfns (``isolate_migratepages_block``): it calls
``page_count(H+i)`` = ``atomic_read(&compound_head(H+i)->_count)`` on a page it holds no
reference to.  The tails' ``first_page`` starts NULL (the word is ``private``, which the
buddy allocator zeroes), as in the oops that "mm: close PageTail race" fixed.

- ``v3.13``: ``prep_compound_page`` does ``__SetPageTail`` before it stores
  ``first_page``, with no barrier, and ``compound_head`` tests PG_tail once: a reader
  that sees PG_tail between the two loads ``first_page`` = NULL and dereferences it.
- ``close-pagetail-race`` (v3.14, v3.13.10): per tail ``_count`` = 0, ``first_page``,
  ``smp_wmb``, then ``__SetPageTail``; ``compound_head`` is ``compound_trans_head``
  (load PG_tail, load ``first_page``, ``smp_rmb``, load PG_tail again).  Under SC and
  x86-TSO (stores and loads each stay in order) PG_tail seen set means ``first_page``
  is written.  Under the LKMM the first PG_tail load and the ``first_page`` load are
  ordered only by a control dependency, which orders later stores, not loads; the
  ``smp_rmb`` comes after the ``first_page`` load (it pairs with the split clearing
  PG_tail before ``first_page`` is reused, ref §2), so it does not help here.

Limitations: the freeing and reallocation of a block whose tails were tails before (a
stale rather than NULL ``first_page``, the ABA Kirill's 2015 "mm: make compound_head()
robust" describes, ref §8.5) is not modelled: a stale head is a valid ``struct page``,
so that read is wrong, not an oops.  Checks: the NULL dereference; at the end the block
is a compound page with only CPU0's reference (the readers take none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.core.errors import UsageError
from pagerace.explore.runtime import World
from pagerace.mm.mm_h import page_count
from pagerace.mm.page import Page, PG_head, PG_tail, make_mem_map
from pagerace.mm.page_alloc import __GFP_COMP, prep_new_page
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario, order_param


def build(variant: Variant, params: Mapping[str, int]) -> Callable[[World], None]:
    cpus, order = params["cpus"], params["order"]
    nr_pages = 1 << order
    if cpus - 1 > nr_pages - 1:
        raise UsageError(
            "--cpus", cpus, f"at most {nr_pages} with --order {order}: one tail per reader"
        )
    names = ["H", *(f"H+{i}" for i in range(1, nr_pages))]

    def setup(w: World) -> None:
        mem_map = make_mem_map(w, nr_pages, names)
        head = mem_map[0]

        @w.thread("CPU0")
        def allocate() -> None:
            prep_new_page(head, order, __GFP_COMP, variant)

        for n in range(1, cpus):
            w.thread(f"CPU{n}")(_compaction(mem_map[n], variant))

        @w.check_at_end("compound page set up")
        def set_up(w: World) -> str | None:
            return _compound(w, mem_map)

    return setup


def _compaction(page: Page, variant: Variant) -> Callable[[], None]:
    def run() -> None:
        page_count(page, variant)  # isolate_migratepages_block on a pfn it does not own

    return run


def _compound(w: World, pages: list[Page]) -> str | None:
    head, problems = pages[0], []
    if w.peek(head._count) != 1:
        problems.append(f"H._count is {w.peek(head._count)}, expected 1 (CPU0's reference)")
    if not w.peek(head.flags) & 1 << PG_head:
        problems.append("H is not PG_head")
    for t in pages[1:]:
        if w.peek(t._count) != 0 or not w.peek(t.flags) & 1 << PG_tail:
            problems.append(f"{t.name} is not a tail with _count 0")
        # By pfn: under TSO and the LKMM a stored pointer can be the same page of an
        # earlier run's World (the explorer keeps events across runs).
        if getattr(w.peek(t.first_page), "pfn", None) != head.pfn:
            problems.append(f"{t.name}.first_page is not H")
    return "; ".join(problems) or None


_NULL = (
    "§9.2 b3 / §8.3: v3.13 prep_compound_page sets PG_tail before first_page, and "
    "compound_head tests PG_tail once, so page_count can load first_page = NULL and "
    'dereference it (the compaction oops "mm: close PageTail race" fixed)'
)
_CLOSED = (
    "§8.3: first_page is stored before PG_tail (smp_wmb), so a PG_tail seen set "
    "means first_page is written: SC and x86-TSO keep stores, and loads, in order"
)
_PLAIN_TAIL = (
    "__SetPageTail is a plain load and store of flags and first_page a plain store, "
    "both read locklessly by compound_head: data races by the LKMM's definition"
)

PAGETAIL_RACE = Scenario(
    name="pagetail-race",
    summary="compound_head() without recheck vs prep_compound_page setting PG_tail (§9.2 b3)",
    params=(
        Param("cpus", 2, 2, 8, "CPU0 allocates; CPU1..n-1 each page_count() one tail pfn"),
        order_param(1, "order of the compound page CPU0 allocates"),
    ),
    variants=("v3.13", "close-pagetail-race"),
    expected={
        ("v3.13", "sc"): Expectation("finding", _NULL, ("null-deref",)),
        ("v3.13", "tso"): Expectation("finding", _NULL, ("null-deref",)),
        ("v3.13", "lkmm"): Expectation(
            "finding", _NULL + "; " + _PLAIN_TAIL, ("null-deref", "data-race")
        ),
        ("close-pagetail-race", "sc"): Expectation("verified", _CLOSED),
        ("close-pagetail-race", "tso"): Expectation("verified", _CLOSED),
        ("close-pagetail-race", "lkmm"): Expectation(
            "finding",
            _PLAIN_TAIL + ". And the fix relies on load order the LKMM does not give: the "
            "first PageTail load and the first_page load are ordered only by a control "
            "dependency (which orders later stores, not loads), and the smp_rmb comes after "
            "the first_page load, so PG_tail can be seen set with first_page still NULL on a "
            "weakly ordered CPU (Hugh's objection, ref §8.5, led to \"mm: make "
            'compound_head() robust": one word for both)',
            ("data-race", "null-deref"),
        ),
    },
    builder=build,
)
