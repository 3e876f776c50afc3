"""Allocating and freeing (compound) pages: mm/page_alloc.c, v3.13 (ref §4.2-§4.4).

The allocation path is ``alloc_pages`` -> ``buffered_rmqueue`` (``zone->lock``,
``__rmqueue_smallest``, then ``check_new_page`` on every page) -> ``prep_new_page`` (the
stores other CPUs may see); the free path is ``__free_pages`` / ``free_compound_page`` ->
``__free_pages_ok`` -> ``free_pages_prepare`` (``free_pages_check`` on every page: its
non-atomic clear of all flag bits) -> ``free_one_page`` (``zone->lock``,
``__free_one_page``).  The free lists themselves are :mod:`pagerace.mm.buddy`.

Limitations: one zone, passed explicitly (no zonelists, watermarks, reclaim or
statistics); no per-cpu lists: an order-0 allocation takes the zone lists as a larger
one does, and ``free_hot_cold_page`` frees to them at once (as if ``free_pcppages_bulk``
ran with a batch of one).  A page outside any modelled zone (``page_zone`` None) is
freed up to ``free_pages_prepare`` only.  ``mapping`` is not modelled, so neither its
checks nor ``free_pages_prepare``'s ``PageAnon`` reset are; ``__GFP_ZERO``'s clearing,
``arch_alloc_page`` and ``kernel_map_pages`` touch no modelled word.  A bad page is a
finding, so the kernel's retry after ``check_new_page`` never happens here.
"""

from __future__ import annotations

from typing import Any

from pagerace.explore.values import raw
from pagerace.kernel.atomic import atomic_read
from pagerace.kernel.barriers import smp_wmb
from pagerace.kernel.irq import local_irq_restore, local_irq_save
from pagerace.kernel.once import plain_read, plain_write
from pagerace.kernel.spinlock import spin_lock, spin_unlock
from pagerace.mm.buddy import Zone, __free_one_page, __rmqueue_smallest, bad_page, page_zone
from pagerace.mm.mm_h import (
    put_page_testzero,
    set_page_count,
    set_page_refcounted,
    set_page_refcounted_release,
)
from pagerace.mm.page import PAGE_FLAGS_CHECK_AT_FREE, PAGE_FLAGS_CHECK_AT_PREP
from pagerace.mm.page_flags import __SetPageHead, __SetPageTail
from pagerace.mm.variants import V3_13, Variant

__all__ = [
    "FREE_COMPOUND_PAGE",
    "__GFP_COMP",
    "__free_pages",
    "__free_pages_ok",
    "alloc_pages",
    "bad_page",
    "buffered_rmqueue",
    "check_new_page",
    "free_compound_page",
    "free_hot_cold_page",
    "free_one_page",
    "free_pages_check",
    "free_pages_prepare",
    "prep_compound_page",
    "prep_new_page",
]

__GFP_COMP = 0x4000  # gfp.h: allocate a compound page  # noqa: N816 - the kernel's name
FREE_COMPOUND_PAGE = "free_compound_page"  # the default compound destructor (ref §1.2)


# -- allocation --------------------------------------------------------------------------


def alloc_pages(zone: Zone, gfp_mask: int, order: int, variant: Variant = V3_13) -> Any:
    """gfp.h ``alloc_pages(gfp_mask, order)`` from one zone: ``buffered_rmqueue``;
    None (NULL) when no block of ``order`` or more is free."""
    return buffered_rmqueue(zone, order, gfp_mask, variant)


def buffered_rmqueue(zone: Zone, order: int, gfp_flags: int, variant: Variant) -> Any:
    """page_alloc.c:1496: ``spin_lock_irqsave(&zone->lock)``, ``__rmqueue``,
    ``spin_unlock``, ``local_irq_restore``, then, outside the lock, ``check_new_page``
    on every page of the block and ``prep_new_page``.  (The kernel's ``prep_new_page``
    begins with that check loop; here the caller runs it, so that :func:`prep_new_page`
    stays what scenarios that start from a block already taken call.)"""
    flags = local_irq_save()
    spin_lock(zone.lock)
    page = __rmqueue_smallest(zone, order)
    spin_unlock(zone.lock)
    local_irq_restore(flags)
    if page is None:
        return None
    for i in range(1 << order):
        check_new_page(page[i])
    prep_new_page(page, order, gfp_flags, variant)
    return page


def check_new_page(page: Any) -> None:
    """page_alloc.c, the first step of ``prep_new_page`` (857): ``page_mapcount`` and
    ``_count`` with ``atomic_read``, ``flags`` with a plain load; a mapcount, a count or
    any page flag left on a page just taken off the free lists is a bad page."""
    mapcount = atomic_read(page._mapcount)
    count = atomic_read(page._count)
    flags = plain_read(page.flags)
    if mapcount != -1 or count != 0 or flags & PAGE_FLAGS_CHECK_AT_PREP:
        bad_page(page, count, mapcount, flags, reason="check_new_page")


def prep_compound_page(page: Any, order: int, variant: Variant = V3_13) -> None:
    """page_alloc.c:362: destructor and order into ``page[1]`` (plain stores), then
    ``__SetPageHead`` and, per tail, ``__SetPageTail``, count 0 and ``first_page``
    (v3.13 order: PG_tail before first_page, no barrier; ref §4.2).  With
    ``variant.first_page_before_tail`` (v3.13.10 / v3.14, "mm: close PageTail race"):
    count 0, ``first_page``, ``smp_wmb()``, then ``__SetPageTail``."""
    plain_write(page[1].lru_next, FREE_COMPOUND_PAGE)  # set_compound_page_dtor
    plain_write(page[1].lru_prev, order)  # set_compound_order
    __SetPageHead(page)
    for i in range(1, 1 << order):
        p = page[i]
        if variant.first_page_before_tail:
            set_page_count(p, 0)
            plain_write(p.first_page, page)
            smp_wmb()
            __SetPageTail(p)
            continue
        __SetPageTail(p)
        set_page_count(p, 0)
        plain_write(p.first_page, page)


def prep_new_page(page: Any, order: int, gfp_flags: int, variant: Variant) -> None:
    """page_alloc.c:857 after its ``check_new_page`` loop (see ``buffered_rmqueue``):
    ``set_page_private(page, 0)``, then

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
            prep_compound_page(page, order, variant)
        return
    if compound:
        prep_compound_page(page, order, variant)
    if variant.wmb_before_refcount:
        smp_wmb()
    if variant.release_refcount:
        set_page_refcounted_release(page)
    else:
        set_page_refcounted(page)


# -- free --------------------------------------------------------------------------------


def __free_pages(page: Any, order: int) -> None:
    """page_alloc.c:2773: drop a reference; the last one frees the block."""
    if put_page_testzero(page):
        if order == 0:
            free_hot_cold_page(page, 0)
        else:
            __free_pages_ok(page, order)


def free_compound_page(page: Any) -> None:
    """page_alloc.c:357: ``__free_pages_ok(page, compound_order(page))``, the order
    read from ``page[1].lru.prev`` (``compound_order``'s PageHead test is left out: the
    caller has just seen PageHead)."""
    __free_pages_ok(page, int(plain_read(page[1].lru_prev)))


def free_hot_cold_page(page: Any, cold: int) -> None:
    """page_alloc.c:1336: ``free_pages_prepare(page, 0)``, then (per-cpu list left out)
    straight to the zone's free lists under ``local_irq_save``."""
    if not free_pages_prepare(page, 0):
        return
    zone = page_zone(page)
    if zone is not None:
        flags = local_irq_save()
        free_one_page(zone, page, 0)
        local_irq_restore(flags)


def __free_pages_ok(page: Any, order: int) -> None:
    """page_alloc.c:737: ``free_pages_prepare``, then ``local_irq_save``,
    ``free_one_page``, ``local_irq_restore``."""
    if not free_pages_prepare(page, order):
        return
    zone = page_zone(page)
    if zone is not None:
        flags = local_irq_save()
        free_one_page(zone, page, order)
        local_irq_restore(flags)


def free_pages_prepare(page: Any, order: int) -> bool:
    """page_alloc.c:710: ``free_pages_check`` on every page of the block; true when it
    may be freed (a bad page is a finding, so the pages after it are not checked)."""
    bad = 0
    for i in range(1 << order):
        bad += free_pages_check(page[i])
    return not bad


def free_pages_check(page: Any) -> bool:
    """page_alloc.c:619: a page freed while mapped, referenced or carrying a flag of
    ``PAGE_FLAGS_CHECK_AT_FREE`` (the compound lock among them) is a bad page
    (``bad_page``: the kernel reports it and leaks the page).  Otherwise the flags are
    cleared with a non-atomic store (ref §4.3)."""
    mapcount = plain_read(page._mapcount)
    count = plain_read(page._count)
    flags = plain_read(page.flags)
    if mapcount != -1 or count != 0 or flags & PAGE_FLAGS_CHECK_AT_FREE:
        bad_page(page, count, mapcount, flags)
        return True
    if flags:
        plain_write(page.flags, 0)
    return False


def free_one_page(zone: Zone, page: Any, order: int) -> None:
    """page_alloc.c (``free_one_page``): ``spin_lock(&zone->lock)``,
    ``__free_one_page``, ``spin_unlock``."""
    spin_lock(zone.lock)
    __free_one_page(raw(page), zone, order)
    spin_unlock(zone.lock)
