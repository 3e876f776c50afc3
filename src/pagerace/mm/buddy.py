"""The buddy allocator of mm/page_alloc.c, v3.13 (ref §4.1): ``PageBuddy``, taking a
block off the free lists and splitting it (``__rmqueue_smallest``, ``expand``), and
merging a freed block with its free buddies (``__free_one_page``).

Everything here runs under ``zone->lock`` (:mod:`pagerace.mm.mmzone`), so every access
is a plain one (``_mapcount`` through ``atomic_read``/``atomic_set``, as the kernel
does).  A free block's first page carries ``PageBuddy`` (``_mapcount ==
PAGE_BUDDY_MAPCOUNT_VALUE``) and its order in ``private``.

Use after free: struct page is never unmapped, so the kernel sees a stranger's write to
a free page only when it next looks (``check_new_page``).  The model looks wherever
the allocator takes a block off a list (``__rmqueue_smallest``, a buddy merged by
``__free_one_page``): :func:`check_free_block` loads every word a stranger could have
written (count, flags, mapcount) of every page of the block, and a changed one is a
``use-after-free`` finding; the words the free path left stay put in a correct program,
so these marked loads add steps but no executions.  A stale speculative
``get_page_unless_zero`` that finds the count 0 writes nothing and is correct (the
kernel relies on it); one that succeeds, a stale ``get_page`` or ``compound_lock``, or
a gup pin on a free page leave a trace, found at the next look or by the zone's end
check (``Zone.check_free_lists``).  A write undone before anyone looks (a lock taken and
released in between) is missed, as in the kernel.

Limitations: no fallback to other migrate types, no guard pages
(CONFIG_DEBUG_PAGEALLOC); ``page_idx`` is counted from the zone's start.
"""

from __future__ import annotations

from typing import Any

from pagerace.explore.runtime import fail
from pagerace.explore.values import raw
from pagerace.kernel.atomic import atomic_read, atomic_set
from pagerace.kernel.bitops import __clear_bit
from pagerace.kernel.once import READ_ONCE, plain_read, plain_write
from pagerace.mm.mmzone import (
    FreeArea,
    ListHead,
    Zone,
    init_free_block,
    list_add,
    list_add_tail,
    list_del,
    page_zone,
)
from pagerace.mm.page import PAGE_BUDDY_MAPCOUNT_VALUE, Page, PG_head, PG_tail, show_flags
from pagerace.mm.page_flags import PageCompound, PageHead, PageTail

__all__ = [  # the zone's names too, so that ``from pagerace.mm.buddy import Zone`` works
    "FreeArea",
    "ListHead",
    "PageBuddy",
    "Zone",
    "__free_one_page",
    "__rmqueue_smallest",
    "bad_page",
    "check_free_block",
    "destroy_compound_page",
    "dump_page",
    "expand",
    "init_free_block",
    "page_is_buddy",
    "page_order",
    "page_zone",
    "rmv_page_order",
    "set_page_order",
]


def _nr_free_add(area: FreeArea, delta: int) -> None:
    """``area->nr_free++`` / ``--``: a plain load and store, under ``zone->lock``."""
    plain_write(area.nr_free, plain_read(area.nr_free) + delta)


# -- PageBuddy and the order of a free block (mm.h:467, page_alloc.c:449) ----------------


def PageBuddy(page: Any) -> Any:  # noqa: N802 - the kernel's name
    """mm.h (after line 467): ``atomic_read(&page->_mapcount) == -128``."""
    return atomic_read(page._mapcount) == PAGE_BUDDY_MAPCOUNT_VALUE


def set_page_order(page: Any, order: int) -> None:
    """page_alloc.c:449: ``set_page_private(page, order)``, then ``__SetPageBuddy``
    (``atomic_set`` of the sentinel; its ``VM_BUG_ON`` load is left out)."""
    plain_write(page.private, order)
    atomic_set(page._mapcount, PAGE_BUDDY_MAPCOUNT_VALUE)


def rmv_page_order(page: Any) -> None:
    """page_alloc.c:449: ``__ClearPageBuddy`` (``atomic_set`` -1), then private 0.  Its
    ``VM_BUG_ON(!PageBuddy(page))`` is part of :func:`check_free_block`."""
    atomic_set(page._mapcount, -1)
    plain_write(page.private, 0)


def page_order(page: Any) -> Any:
    """internal.h: ``page_private(page)`` of a PageBuddy page (a plain load)."""
    return plain_read(page.private)


def page_is_buddy(page: Page, buddy: Page | None, order: int) -> bool:
    """page_alloc.c:499: ``buddy`` is in the zone, PageBuddy, and of order ``order``
    (its ``VM_BUG_ON(page_count(buddy) != 0)`` is part of :func:`check_free_block`)."""
    if buddy is None or buddy.zone is not page.zone:  # pfn_valid_within, page_zone_id
        return False
    return bool(PageBuddy(buddy) and page_order(buddy) == order)


def check_free_block(page: Any, order: int, where: str) -> None:
    """The model's use-after-free check, made under ``zone->lock`` as a block leaves the
    free lists: every page must be as the free path left it (count 0, no flags,
    ``_mapcount`` the sentinel on the first page and -1 on the others)."""
    for i in range(1 << order):
        p = page[i]
        count, flags = atomic_read(p._count), READ_ONCE(p.flags)
        mapcount = atomic_read(p._mapcount)
        expected = PAGE_BUDDY_MAPCOUNT_VALUE if i == 0 else -1
        if count != 0 or flags != 0 or mapcount != expected:
            fail(
                "use-after-free",
                f"{where}: {raw(p).name} is in the free order-{order} block at "
                f"{raw(page).name}, but has count:{int(count)} mapcount:{int(mapcount)} "
                f"flags:{show_flags(int(flags))}: a CPU wrote to a free page",
                check=f"use-after-free:{raw(p).name}",
            )


# -- allocation: take a block, split what is left over ------------------------------------


def __rmqueue_smallest(zone: Zone, order: int) -> Any:
    """page_alloc.c:887, under ``zone->lock``: the first block on the first non-empty
    list of order >= ``order``: unlink it, ``rmv_page_order``, ``nr_free--``, and
    ``expand`` the rest.  None (NULL) when every list is empty.  ``__rmqueue`` is this
    call alone: with one migrate type there is no fallback."""
    for current_order in range(order, zone.max_order):
        area = zone.free_area[current_order]
        ptr = plain_read(area.free_list.next)
        if ptr == area.free_list.next:  # list_empty
            continue
        page = zone.list_entry(ptr)
        check_free_block(page, current_order, "__rmqueue_smallest")
        list_del(zone, page)
        rmv_page_order(page)
        _nr_free_add(area, -1)
        expand(zone, page, order, current_order)
        return page
    return None


def expand(zone: Zone, page: Any, low: int, high: int) -> None:
    """page_alloc.c (v3.13, after ``__free_one_page``): split the order-``high`` block
    at ``page`` down to ``low``, putting each upper half on the list of its order:
    ``list_add``, ``nr_free++``, ``set_page_order``."""
    size = 1 << high
    while high > low:
        high -= 1
        size >>= 1
        area = zone.free_area[high]
        list_add(zone, page[size], area.free_list)
        _nr_free_add(area, 1)
        set_page_order(page[size], high)


# -- free: merge with free buddies -------------------------------------------------------


def __free_one_page(page: Page, zone: Zone, order: int) -> None:
    """page_alloc.c:545, under ``zone->lock``: ``destroy_compound_page`` if the page is
    still compound (after ``free_pages_check`` it is not: ref §4.4); then, while the
    buddy at ``page_idx ^ (1 << order)`` is a free block of the same order, unlink it,
    ``nr_free--``, ``rmv_page_order`` and merge; finally ``set_page_order`` and insert
    at the front, or at the back if the next-higher buddy is free too."""
    if PageCompound(page) and destroy_compound_page(page, order):
        return
    page_idx = page.pfn - zone.start_pfn
    buddy_idx = page_idx
    while order < zone.max_order - 1:
        buddy_idx = page_idx ^ (1 << order)
        buddy = zone.pfn_to_page(zone.start_pfn + buddy_idx)
        if buddy is None or not page_is_buddy(page, buddy, order):
            break
        check_free_block(buddy, order, "__free_one_page")
        list_del(zone, buddy)
        _nr_free_add(zone.free_area[order], -1)
        rmv_page_order(buddy)
        page_idx = buddy_idx & page_idx
        page = zone.mem_map[zone.start_pfn + page_idx]
        order += 1
    set_page_order(page, order)
    area = zone.free_area[order]
    if order < zone.max_order - 2:
        combined_idx = buddy_idx & page_idx
        higher_page = zone.mem_map[zone.start_pfn + combined_idx]
        higher_buddy = zone.pfn_to_page(zone.start_pfn + (combined_idx ^ (1 << (order + 1))))
        if page_is_buddy(higher_page, higher_buddy, order + 1):
            list_add_tail(zone, page, area.free_list)
            _nr_free_add(area, 1)
            return
    list_add(zone, page, area.free_list)
    _nr_free_add(area, 1)


def compound_order(page: Any) -> Any:
    """mm.h:510: 0 unless PageHead, else ``page[1].lru.prev``."""
    if not PageHead(page):
        return 0
    return plain_read(page[1].lru_prev)


def destroy_compound_page(page: Page, order: int) -> int:
    """page_alloc.c:379: check and clear PG_head and every tail's PG_tail (non-atomic
    clears).  Reached only if a flag was set again after ``free_pages_check`` cleared
    them all; what it finds wrong is a bad page."""
    if compound_order(page) != order:
        bad_page(page, *dump_page(page), reason="destroy_compound_page: compound order")
    __clear_bit(PG_head, page.flags)
    for i in range(1, 1 << order):
        p = page[i]
        if not PageTail(p) or getattr(raw(plain_read(p.first_page)), "pfn", -1) != page.pfn:
            bad_page(p, *dump_page(p), reason="destroy_compound_page: not its tail")
        __clear_bit(PG_tail, p.flags)
    return 0


def bad_page(page: Any, count: Any, mapcount: Any, flags: Any, reason: str = "") -> None:
    """page_alloc.c ``bad_page``: report the page's count, ``page_mapcount`` and flags
    (as loaded by the caller) and stop: the kernel taints itself and leaks the page."""
    fail(
        "bad-page",
        f"BUG: Bad page state: page:{raw(page).name} count:{int(count)} "
        f"mapcount:{int(mapcount) + 1} flags:{show_flags(int(flags))}"
        + (f" ({reason})" if reason else ""),
        check=f"bad-page:{raw(page).name}",
    )


def dump_page(page: Any) -> tuple[Any, Any, Any]:
    """The words ``bad_page`` prints, for a caller that has not loaded them."""
    return atomic_read(page._count), atomic_read(page._mapcount), READ_ONCE(page.flags)
