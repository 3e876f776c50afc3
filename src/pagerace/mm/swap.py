"""``put_page`` and the compound-page paths of mm/swap.c, v3.13 (ref §3).

``put_compound_page`` is modelled step by step as in ref §3.3, including both branches
of the tail path (the slab/hugetlbfs fast path and the THP path under the compound
lock) and the ``skip_lock``/``out_put_single`` exits.  ``put_compound_tail`` is the
body of its ``if (unlikely(PageTail(page)))`` branch after ``compound_trans_head()``
returned: scenarios whose CPU read a head pointer before a split enter it there.
"""

from __future__ import annotations

from typing import Any

from pagerace.kernel.atomic import atomic_dec, atomic_inc
from pagerace.kernel.bug import VM_BUG_ON
from pagerace.kernel.once import plain_read
from pagerace.mm import thp_v45
from pagerace.mm.mm_h import (
    compound_lock_irqsave,
    compound_trans_head,
    compound_unlock_irqrestore,
    get_page_unless_zero,
    put_page_testzero,
)
from pagerace.mm.page_alloc import FREE_COMPOUND_PAGE, free_compound_page, free_hot_cold_page
from pagerace.mm.page_flags import PageCompound, PageHead, PageSlab, PageTail
from pagerace.mm.variants import V3_13, Variant

FREE_HUGE_PAGE = "free_huge_page"  # hugetlb.c's destructor


def __put_single_page(page: Any) -> None:
    """swap.c:68 (``__page_cache_release`` has nothing to do: not on an LRU here)."""
    free_hot_cold_page(page, 0)


def __put_compound_page(page: Any) -> None:
    """swap.c:74: call the destructor stored in ``page[1].lru.next``."""
    dtor = plain_read(page[1].lru_next)
    if dtor == FREE_COMPOUND_PAGE:
        free_compound_page(page)


def PageHeadHuge(page_head: Any) -> Any:  # noqa: N802 - the kernel's name
    """hugetlb.c:709: a head whose destructor is ``free_huge_page``."""
    if not PageHead(page_head):
        return False
    return plain_read(page_head[1].lru_next) == FREE_HUGE_PAGE


def put_page(page: Any, variant: Variant = V3_13) -> None:
    """swap.c:200.  ``v4.5`` has no tail refcounts: :func:`thp_v45.put_page`."""
    if not variant.tail_refcounting:
        thp_v45.put_page(page)
        return
    if PageCompound(page):
        put_compound_page(page, variant)
    elif put_page_testzero(page):
        __put_single_page(page)


def put_compound_page(page: Any, variant: Variant = V3_13) -> None:
    """swap.c:83 (ref §3.3).  ``per-tail-lock``: :func:`put_compound_tail_own_lock`."""
    if PageTail(page):
        if variant.lock_tail:
            put_compound_tail_own_lock(page)
        else:
            put_compound_tail(page, compound_trans_head(page), variant)
        return
    if put_page_testzero(page):
        _free_head_or_single(page)


def put_compound_tail(page: Any, page_head: Any, variant: Variant = V3_13) -> None:
    """The tail path of ``put_compound_page`` once ``page_head`` is known (ref §3.3 T).
    Variants: ``unpinned-lock`` (:func:`put_compound_tail_unpinned`) and ``v3.12``
    (:func:`_skip_lock`)."""
    if not variant.pin_head_before_lock:
        put_compound_tail_unpinned(page, page_head)
        return
    if page != page_head and get_page_unless_zero(page_head):
        if PageSlab(page_head) or PageHeadHuge(page_head):
            if PageTail(page):
                atomic_dec(page._mapcount)  # drop the tail pin
                VM_BUG_ON(put_page_testzero(page_head), "slab/hugetlbfs head count hit 0")
                if put_page_testzero(page_head):
                    __put_compound_page(page_head)
                return
            _skip_lock(page_head, variant)
        else:
            flags = compound_lock_irqsave(page_head)
            # page_head may not be a head any more, but it cannot be freed under us.
            if not PageTail(page):
                compound_unlock_irqrestore(page_head, flags)
                _skip_lock(page_head, variant)
            else:
                VM_BUG_ON(put_page_testzero(page_head), "speculative head ref hit 0")
                atomic_dec(page._mapcount)  # drop the tail pin
                compound_unlock_irqrestore(page_head, flags)
                if put_page_testzero(page_head):
                    _free_head_or_single(page_head)
                return
    # out_put_single: the split moved the pin into the page's own count.
    if put_page_testzero(page):
        __put_single_page(page)


def _skip_lock(page_head: Any, variant: Variant = V3_13) -> None:
    """``skip_lock:``: drop the speculative head reference; the head may have been
    freed and reallocated as a smaller compound page meanwhile (ref §9.2 b4), so v3.13
    frees it by ``PageHead``.  v3.12 (``variant.skip_lock_put_single``) always used
    ``__put_single_page`` (ref §3.6)."""
    if put_page_testzero(page_head):
        if variant.skip_lock_put_single:
            __put_single_page(page_head)
        else:
            _free_head_or_single(page_head)


def put_compound_tail_unpinned(page: Any, page_head: Any) -> None:
    """Variant ``unpinned-lock`` (ref §8.1, §9.2 b1): the tail path without the
    speculative pin, i.e. v3.13's minus ``get_page_unless_zero(page_head)`` and the put
    that matches it.  Andrea's ``put_compound_tail`` sketch took ``compound_lock`` so;
    Oleg objected that after a split nothing keeps ``page_head`` from being freed, and
    the lock bit then races with ``free_pages_check``'s non-atomic clear of the flags."""
    if page != page_head:
        flags = compound_lock_irqsave(page_head)
        if PageTail(page):
            atomic_dec(page._mapcount)  # drop the tail pin
            compound_unlock_irqrestore(page_head, flags)
            if put_page_testzero(page_head):  # and the pin's share of the head
                _free_head_or_single(page_head)
            return
        compound_unlock_irqrestore(page_head, flags)
    # The split moved the pin into the page's own count.
    if put_page_testzero(page):
        __put_single_page(page)


def _free_head_or_single(page: Any) -> None:
    if PageHead(page):
        __put_compound_page(page)
    else:
        __put_single_page(page)


def put_compound_tail_own_lock(page: Any) -> None:
    """Variant ``per-tail-lock`` (Oleg Nesterov, LKML 2013-12-17; ref §9.3): the tail
    path of ``put_compound_page`` when the split takes every tail's compound lock.  The
    caller's pin keeps the tail allocated, so the tail's own lock is taken with no
    speculative pin of the head (neither ref §9.1 nor §9.2 b1 can arise).  Under it
    PG_tail is stable: set, the split has not reached this tail, so the pin is in its
    ``_mapcount`` and the head's ``_count``; clear, the split moved it into the tail's
    own ``_count``.  4 locked operations where v3.13's path has 6 (ref §3.3)."""
    flags = compound_lock_irqsave(page)
    if PageTail(page):
        page_head = plain_read(page.first_page)
        atomic_dec(page._mapcount)  # drop the tail pin
        compound_unlock_irqrestore(page, flags)
        if put_page_testzero(page_head):  # and the pin's share of the head
            _free_head_or_single(page_head)
        return
    compound_unlock_irqrestore(page, flags)
    if put_page_testzero(page):
        __put_single_page(page)


def get_page(page: Any, variant: Variant = V3_13) -> None:
    """mm.h:430 (here beside ``__get_page_tail``): a tail goes through
    ``__get_page_tail``; a page that is no tail, or was split meanwhile, gets an
    ``atomic_inc`` of its own ``_count``.  ``v4.5``: :func:`thp_v45.get_page`."""
    if not variant.tail_refcounting:
        thp_v45.get_page(page)
        return
    if PageTail(page) and __get_page_tail(page, variant):
        return
    atomic_inc(page._count)


def __get_page_tail(page: Any, variant: Variant = V3_13) -> bool:
    """swap.c:213 (ref §3.4): pin the head speculatively, then under the head's
    compound lock, if the page is still a tail, add a tail pin and keep the head
    reference as its share; otherwise drop the head reference.  ``per-tail-lock``:
    :func:`__get_page_tail_own_lock`."""
    if variant.lock_tail:
        return __get_page_tail_own_lock(page)
    page_head = compound_trans_head(page)
    got = False
    if page != page_head and get_page_unless_zero(page_head):
        if PageSlab(page_head) or PageHeadHuge(page_head):
            if PageTail(page):
                __get_page_tail_foll(page, False)
                return True
            put_page(page_head, variant)
            return False
        flags = compound_lock_irqsave(page_head)
        if PageTail(page):
            __get_page_tail_foll(page, False)
            got = True
        compound_unlock_irqrestore(page_head, flags)
        if not got:
            put_page(page_head, variant)
    return got


def __get_page_tail_own_lock(page: Any) -> bool:
    """Variant ``per-tail-lock``: under the tail's own compound lock, a page still a
    tail gets a pin on its head, then on its ``_mapcount``; 4 locked operations, as
    v3.13's path (whose speculative head pin becomes the pin's share)."""
    flags = compound_lock_irqsave(page)
    got = False
    if PageTail(page):
        __get_page_tail_foll(page, True)
        got = True
    compound_unlock_irqrestore(page, flags)
    return got


def __get_page_tail_foll(page: Any, get_page_head: bool) -> None:
    """internal.h:35 (ref §3.5): the head's count first, then the tail's
    ``_mapcount``."""
    if get_page_head:
        atomic_inc(plain_read(page.first_page)._count)
    atomic_inc(page._mapcount)
