"""Allocation and freeing of (compound) pages: mm/page_alloc.c, v3.13 (ref §4).

Only the steps that touch words other CPUs may reach are modelled.  Limitations: no
zone, free lists or buddy merging yet (issue 4); ``check_new_page``'s loads and the
zeroing of the page are left out (no other CPU writes those words while the block is
on the free lists).
"""

from __future__ import annotations

from typing import Any

from pagerace.explore.runtime import fail
from pagerace.kernel.barriers import smp_wmb
from pagerace.kernel.once import plain_read, plain_write
from pagerace.mm.mm_h import set_page_count, set_page_refcounted, set_page_refcounted_release
from pagerace.mm.page import PAGE_FLAGS_CHECK_AT_FREE, show_flags
from pagerace.mm.page_flags import __SetPageHead, __SetPageTail
from pagerace.mm.variants import Variant

__GFP_COMP = 0x4000  # gfp.h: allocate a compound page  # noqa: N816 - the kernel's name
FREE_COMPOUND_PAGE = "free_compound_page"  # the default compound destructor (ref §1.2)


def prep_compound_page(page: Any, order: int) -> None:
    """page_alloc.c:367: destructor and order into ``page[1]`` (plain stores), then
    ``__SetPageHead`` and, per tail, ``__SetPageTail``, count 0 and ``first_page``
    (v3.13 order: PG_tail before first_page, no barrier; ref §10)."""
    plain_write(page[1].lru_next, FREE_COMPOUND_PAGE)  # set_compound_page_dtor
    plain_write(page[1].lru_prev, order)  # set_compound_order
    __SetPageHead(page)
    for i in range(1, 1 << order):
        p = page[i]
        __SetPageTail(p)
        set_page_count(p, 0)
        plain_write(p.first_page, page)


def prep_new_page(page: Any, order: int, gfp_flags: int, variant: Variant) -> None:
    """page_alloc.c:860 after ``check_new_page``: ``set_page_private(page, 0)``, then

    - v3.13: ``set_page_refcounted`` (plain store of 1), then ``prep_compound_page``:
      a CPU holding a stale pointer can pin the page before its flags are written;
    - the fixes: ``prep_compound_page`` first, then (``prep-fix``) ``smp_wmb()``, then
      the count: a plain store, or a release store (``prep-fix-release``).
    """
    plain_write(page.private, 0)
    compound = bool(gfp_flags & __GFP_COMP)
    if variant.refcount_first:
        set_page_refcounted(page)
        if compound:
            prep_compound_page(page, order)
        return
    if compound:
        prep_compound_page(page, order)
    if variant.wmb_before_refcount:
        smp_wmb()
    if variant.release_refcount:
        set_page_refcounted_release(page)
    else:
        set_page_refcounted(page)


def free_pages_check(page: Any) -> bool:
    """page_alloc.c:618: a page freed while mapped, referenced or carrying a flag of
    ``PAGE_FLAGS_CHECK_AT_FREE`` (the compound lock among them) is a bad page
    (``bad_page``: the kernel reports it and leaks the page).  Otherwise the flags are
    cleared with a non-atomic store."""
    mapcount = plain_read(page._mapcount)
    count = plain_read(page._count)
    flags = plain_read(page.flags)
    if mapcount != -1 or count != 0 or flags & PAGE_FLAGS_CHECK_AT_FREE:
        bad_page(page, count, mapcount, flags)
        return True
    if flags:
        plain_write(page.flags, 0)
    return False


def bad_page(page: Any, count: Any, mapcount: Any, flags: Any) -> None:
    fail(
        "bad-page",
        f"BUG: Bad page state: page:{page.name} count:{int(count)} "
        f"mapcount:{int(mapcount) + 1} flags:{show_flags(int(flags))}",
        check=f"bad-page:{page.name}",
    )


def free_hot_cold_page(page: Any, cold: int) -> None:
    """page_alloc.c:1364, reduced to ``free_pages_check``: the per-cpu lists and the
    buddy merge are left out (issue 4)."""
    free_pages_check(page)


def free_compound_page(page: Any) -> None:
    """page_alloc.c:357: ``__free_pages_ok(page, compound_order(page))``, reduced to
    ``free_pages_check`` of every page of the block, tails first losing PG_tail."""
    order = int(plain_read(page[1].lru_prev))
    for i in range(1 << order):
        free_pages_check(page[i])
