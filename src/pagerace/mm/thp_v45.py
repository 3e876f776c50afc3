"""The v4.5 THP refcounting scheme (Kirill A. Shutemov's rework; ref §8.5), reduced to
what the 2013 scenarios touch: variant ``v4.5``.

- "mm: drop tail page refcounting" (ddc58f27f9ee): ``get_page``/``put_page`` on a tail
  act on the head's ``_count`` only; a tail's ``_mapcount`` counts pte mappings again,
  and gup_fast no longer touches it.
- "mm: make compound_head() robust" (1d798ca3f164): a tail's head pointer and its
  PageTail bit are one word, ``compound_head`` (bit 0 set on a tail), read with
  ``READ_ONCE`` and cleared by the split with ``WRITE_ONCE``; no PG_tail flag.
- "mm: rework mapcount accounting" (53f9263baba6): pmd mappings are counted in
  ``compound_mapcount`` (first tail page); ``total_mapcount`` adds the subpages'.
- "thp: reintroduce split_huge_page()" (e9b61f19858a): the split may fail with
  ``-EBUSY``; it goes ahead only if every reference but the caller's is a mapping.
  The count is frozen as v4.8's ``page_ref_freeze`` does (baa355fd3314): a cmpxchg of
  the head's ``_count`` from that expected value to 0, which fails if a pin remains or
  arrives.  With no ``compound_lock`` (removed by "mm, thp: remove compound_lock()").

Limitations: the ``compound_head`` word is the model's ``first_page`` location (the
head's page for a tail, NULL otherwise: bit 0 is implied), and ``compound_mapcount``
(in page[1]'s ``mapping`` union) is page[1]'s ``private`` location; neither is touched
by anything else here.  ``freeze_page``/``unfreeze_page`` (the pmd replaced by
migration entries and restored) are folded: the pmd mappings' references are frozen
with the caller's, and each subpage gets its pte mapping (``_mapcount`` and one
reference) from the split itself; so no anon_vma lock, page lock, deferred split queue
or PG_double_map is modelled.  The caller may pass ``freeze_page``/``unfreeze_page``
for what they do to a pmd (:func:`pagerace.mm.gup.split_huge_page`: invalidate it, with
the TLB-flush IPI ``gup_fast`` waits for, then point it to a page table, or restore it
when the split is refused, where v4.5 restores the mapping as ptes of the compound
page).  Freeing reuses the v3.13 free path of :mod:`pagerace.mm.page_alloc`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pagerace.kernel.atomic import (
    atomic_add,
    atomic_cmpxchg,
    atomic_inc,
    atomic_read,
    atomic_set,
    atomic_set_release,
)
from pagerace.kernel.barriers import smp_wmb
from pagerace.kernel.irq import local_irq_restore, local_irq_save
from pagerace.kernel.once import READ_ONCE, WRITE_ONCE, plain_read, plain_write
from pagerace.kernel.spinlock import spin_lock, spin_unlock
from pagerace.mm.mm_h import put_page_testzero
from pagerace.mm.page import PAGE_FLAGS_CHECK_AT_PREP, PG_dirty, PG_referenced
from pagerace.mm.page_alloc import free_compound_page, free_hot_cold_page
from pagerace.mm.page_flags import ClearPageHead, PageHead

EBUSY = 16
# Flags __split_huge_page_tail copies from the head (v4.5), among those modelled; v4.5
# copies PG_dirty where v3.13 set it unconditionally.
COPIED_FLAGS = 1 << PG_referenced | 1 << PG_dirty


def compound_head(page: Any) -> Any:
    """page-flags.h (v4.5): one ``READ_ONCE`` of ``page->compound_head``; a tail gets
    its head, any other page itself."""
    head = READ_ONCE(page.first_page)
    if head:
        return head
    return page


def PageCompound(page: Any) -> Any:  # noqa: N802 - the kernel's name
    """page-flags.h (v4.5): ``PageHead(page) || PageTail(page)``."""
    return PageHead(page) or READ_ONCE(page.first_page)


def compound_mapcount_ptr(page: Any) -> Any:
    """mm.h (v4.5): ``&page[1].compound_mapcount`` (here page[1]'s ``private``)."""
    return page[1].private


def total_mapcount(page: Any, nr_pages: int) -> Any:
    """huge_memory.c (v4.5): the pmd mappings plus every subpage's pte mappings."""
    ret = atomic_read(compound_mapcount_ptr(page)) + 1
    for i in range(nr_pages):
        ret = ret + atomic_read(page[i]._mapcount) + 1
    return ret


def get_page(page: Any) -> None:
    """mm.h (v4.5): ``page = compound_head(page); page_ref_inc(page)``."""
    atomic_inc(compound_head(page)._count)


def put_page(page: Any) -> None:
    """mm.h (v4.5): ``page = compound_head(page)``; ``put_page_testzero``; at 0,
    ``__put_page``: the compound destructor or ``__put_single_page``."""
    page = compound_head(page)
    if put_page_testzero(page):
        if PageCompound(page):
            free_compound_page(page)
        else:
            free_hot_cold_page(page, 0)


def page_ref_freeze(page: Any, count: Any) -> Any:
    """page_ref.h (v4.6+): ``atomic_cmpxchg(&page->_count, count, 0) == count``; fully
    ordered when it succeeds."""
    return atomic_cmpxchg(page._count, count, 0) == count


def page_ref_unfreeze(page: Any, count: Any) -> None:
    """page_ref.h: ``atomic_set_release(&page->_count, count)``."""
    atomic_set_release(page._count, count)


def split_huge_page_to_list(
    head: Any,
    nr_pages: int,
    lru_lock: Any,
    freeze_page: Callable[[], None] | None = None,
    unfreeze_page: Callable[[bool], None] | None = None,
) -> int:
    """huge_memory.c (v4.5), with v4.8's count freeze: 0 when split, ``-EBUSY`` when a
    reference other than the caller's and the mappings' exists.  ``freeze_page`` runs
    after the racy check, before the count is frozen; ``unfreeze_page(split)`` after
    the split, or when it is refused after ``freeze_page``."""
    mapcount = total_mapcount(head, nr_pages)
    # "Racy check if we can split the page, before freeze_page() will split PMDs".
    if mapcount != atomic_read(head._count) - 1:
        return -EBUSY
    pmd_maps = atomic_read(compound_mapcount_ptr(head)) + 1
    if freeze_page is not None:
        freeze_page()
    if not page_ref_freeze(head, 1 + mapcount):
        if unfreeze_page is not None:
            unfreeze_page(False)
        return -EBUSY  # a pin came or went since the check: unfreeze_page, give up
    __split_huge_page(head, nr_pages, lru_lock, pmd_maps, unfreeze_page)
    return 0


def __split_huge_page(
    head: Any,
    nr_pages: int,
    lru_lock: Any,
    pmd_maps: Any,
    unfreeze_page: Callable[[bool], None] | None = None,
) -> None:
    """huge_memory.c (v4.5): under ``zone->lru_lock`` split every tail from the last,
    ``ClearPageCompound``, give the head back its count (frozen at 0 until now), then
    ``unfreeze_page`` (the mappings become ptes of the subpages) and drop the reference
    each tail was given."""
    flags = local_irq_save()  # spin_lock_irq(&zone->lru_lock)
    spin_lock(lru_lock)
    for i in range(nr_pages - 1, 0, -1):
        __split_huge_page_tail(head, i, pmd_maps)
    ClearPageHead(head)
    atomic_set(compound_mapcount_ptr(head), -1)  # the pmd mappings became ptes
    atomic_add(pmd_maps, head._mapcount)
    page_ref_unfreeze(head, 1 + pmd_maps)  # the caller's pin and the ptes' references
    spin_unlock(lru_lock)
    local_irq_restore(flags)
    if unfreeze_page is not None:
        unfreeze_page(True)
    for i in range(1, nr_pages):
        put_page(head[i])


def __split_huge_page_tail(head: Any, i: int, pmd_maps: Any) -> None:
    """huge_memory.c (v4.5): an atomic increment of the tail's ``_count`` (its comment:
    ``get_page_unless_zero`` may run on the tail), the flags rewritten with plain
    stores, ``smp_wmb``, then ``clear_compound_head``; here also the tail's pte
    mappings (``remove_migration_ptes``, folded)."""
    tail = head[i]
    atomic_add(1 + pmd_maps, tail._count)  # page_ref_inc, and one per pte mapping
    old = plain_read(tail.flags)
    plain_write(tail.flags, old & ~PAGE_FLAGS_CHECK_AT_PREP)
    old = plain_read(tail.flags)
    plain_write(tail.flags, old | plain_read(head.flags) & COPIED_FLAGS)
    smp_wmb()  # "Page flags must be visible before we make the page non-compound."
    WRITE_ONCE(tail.first_page, None)  # clear_compound_head
    atomic_add(pmd_maps, tail._mapcount)
