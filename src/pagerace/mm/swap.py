"""``put_page`` and the compound-page paths of mm/swap.c, v3.13 (ref §3).

``put_compound_page`` is modelled step by step as in ref §3.3, including both branches
of the tail path (the slab/hugetlbfs fast path and the THP path under the compound
lock) and the ``skip_lock``/``out_put_single`` exits.  ``put_compound_tail`` is the
body of its ``if (unlikely(PageTail(page)))`` branch after ``compound_trans_head()``
returned: scenarios whose CPU read a head pointer before a split enter it there.
"""

from __future__ import annotations

from typing import Any

from pagerace.kernel.atomic import atomic_dec
from pagerace.kernel.bug import VM_BUG_ON
from pagerace.kernel.once import plain_read
from pagerace.mm.mm_h import (
    compound_lock_irqsave,
    compound_trans_head,
    compound_unlock_irqrestore,
    get_page_unless_zero,
    put_page_testzero,
)
from pagerace.mm.page_alloc import FREE_COMPOUND_PAGE, free_compound_page, free_hot_cold_page
from pagerace.mm.page_flags import PageCompound, PageHead, PageSlab, PageTail

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


def put_page(page: Any) -> None:
    """swap.c:200."""
    if PageCompound(page):
        put_compound_page(page)
    elif put_page_testzero(page):
        __put_single_page(page)


def put_compound_page(page: Any) -> None:
    """swap.c:83 (ref §3.3)."""
    if PageTail(page):
        put_compound_tail(page, compound_trans_head(page))
        return
    if put_page_testzero(page):
        _free_head_or_single(page)


def put_compound_tail(page: Any, page_head: Any) -> None:
    """The tail path of ``put_compound_page`` once ``page_head`` is known (ref §3.3 T)."""
    if page != page_head and get_page_unless_zero(page_head):
        if PageSlab(page_head) or PageHeadHuge(page_head):
            if PageTail(page):
                atomic_dec(page._mapcount)  # drop the tail pin
                VM_BUG_ON(put_page_testzero(page_head), "slab/hugetlbfs head count hit 0")
                if put_page_testzero(page_head):
                    __put_compound_page(page_head)
                return
            _skip_lock(page_head)
        else:
            flags = compound_lock_irqsave(page_head)
            # page_head may not be a head any more, but it cannot be freed under us.
            if not PageTail(page):
                compound_unlock_irqrestore(page_head, flags)
                _skip_lock(page_head)
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


def _skip_lock(page_head: Any) -> None:
    """``skip_lock:``: drop the speculative head reference; the head may have been
    freed and reallocated as a smaller compound page meanwhile (ref §9.2 b4)."""
    if put_page_testzero(page_head):
        _free_head_or_single(page_head)


def _free_head_or_single(page: Any) -> None:
    if PageHead(page):
        __put_compound_page(page)
    else:
        __put_single_page(page)
