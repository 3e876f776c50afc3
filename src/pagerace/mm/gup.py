"""``gup_fast`` on a huge pmd (arch/x86/mm/gup.c, v3.13; ref §6.1) and the split's
side of their serialisation (``pmdp_splitting_flush``, arch/x86/mm/pgtable.c:426).

``gup_fast`` runs with interrupts off: it loads the pmd once, bails out (to the slow
path, not modelled: no pin) if the pmd is splitting or not huge, and otherwise pins
each 4 KiB subpage -- one ``atomic_inc`` of a tail's ``_mapcount`` per tail -- then adds
all the references to the head's ``_count`` and sets PG_referenced on it.  The split
sets the pmd's splitting bit and flushes the TLB: the IPI is acknowledged only by CPUs
with interrupts on (:func:`pagerace.kernel.irq.flush_tlb_others`), so a ``gup_fast``
that saw a huge, non-splitting pmd finishes its increments before the split reads the
pins.

``v4.5`` ("x86, thp: remove infrastructure for handling splitting PMDs", ref §8.5) has
no splitting bit: ``gup_fast`` pins the head only, and the split, refused while the
page is pinned, first unmaps the THP (``freeze_page``), whose ``pmdp_invalidate``
clears the pmd's present bit and flushes the TLB: the same IPI, so a ``gup_fast`` that
saw the huge pmd has its pin in the head's ``_count`` before the split checks it.

Limitations: the pmd is one word with a few modelled states (huge, splitting, not
present, a page table); the pmd lock, the page-table walk above the pmd and the slow
gup path are not modelled.  v4.5's ``freeze_page`` splits the pmd into migration
entries and a refused split restores them as ptes of the compound page; here the huge
pmd is restored, its mapping still counted in ``compound_mapcount``.
"""

from __future__ import annotations

from typing import Any

from pagerace.kernel.atomic import atomic_add
from pagerace.kernel.bitops import set_bit, test_and_set_bit
from pagerace.kernel.irq import flush_tlb_others, local_irq_restore, local_irq_save
from pagerace.kernel.once import plain_read, plain_write
from pagerace.mm import thp_v45
from pagerace.mm.huge_memory import split_huge_page_refcount
from pagerace.mm.mm_h import get_huge_page_tail
from pagerace.mm.page import PG_referenced
from pagerace.mm.page_flags import PageTail
from pagerace.mm.variants import V3_13, Variant

PMD_HUGE = 1 << 0  # present and PSE: maps a THP
_PAGE_BIT_SPLITTING = 1  # the pmd's splitting bit (its x86 position is not modelled)
PMD_SPLITTING = 1 << _PAGE_BIT_SPLITTING
PMD_TABLE = 1 << 2  # after the split: points to a page table (not walked here)
PMD_NOTPRESENT = 1 << 3  # v4.5 pmdp_invalidate: still PSE, no longer present
_PMD_BITS = (
    (PMD_HUGE, "huge"),
    (PMD_SPLITTING, "splitting"),
    (PMD_TABLE, "table"),
    (PMD_NOTPRESENT, "not-present"),
)


def show_pmd(value: Any) -> str:
    names = [n for bit, n in _PMD_BITS if value & bit]
    return "|".join(names) or "none"


def get_head_page_multiple(page: Any, nr: int) -> None:
    """gup.c:109: ``atomic_add(nr, &page->_count)`` and ``SetPageReferenced``."""
    atomic_add(nr, page._count)
    set_bit(PG_referenced, page.flags)


def gup_huge_pmd(head: Any, first: int, nr: int, variant: Variant = V3_13) -> list[Any]:
    """gup.c:117: pin subpages ``first .. first+nr-1`` of the THP at ``head``.  ``v4.5``
    ("mm: drop tail page refcounting", ref §8.5) pins the head only."""
    pages = []
    for i in range(first, first + nr):
        page = head[i]
        if variant.tail_refcounting and PageTail(page):
            get_huge_page_tail(page)
        pages.append(page)
    get_head_page_multiple(head, nr)
    return pages


def gup_fast(pmd: Any, head: Any, first: int, nr: int, variant: Variant = V3_13) -> list[Any]:
    """``__get_user_pages_fast`` (gup.c:257) over one huge pmd; returns the pinned
    pages (none when it bails out to the slow path)."""
    flags = local_irq_save()
    pmd_val = plain_read(pmd)  # gup_pmd_range: the pmd is read once
    pages: list[Any] = []
    if pmd_val & PMD_HUGE and not pmd_val & PMD_SPLITTING:
        pages = gup_huge_pmd(head, first, nr, variant)
    local_irq_restore(flags)
    return pages


def pmdp_splitting_flush(pmd: Any, variant: Variant) -> None:
    """pgtable.c:426: set the splitting bit, then flush the TLB, whose IPI waits for
    every CPU inside an irq-off ``gup_fast`` (``split-no-ipi`` leaves the wait out)."""
    if not test_and_set_bit(_PAGE_BIT_SPLITTING, pmd) and not variant.split_skips_ipi:
        flush_tlb_others()


def split_huge_page(head: Any, nr_pages: int, pmd: Any, lru_lock: Any, variant: Variant) -> int:
    """``__split_huge_page`` (huge_memory.c:1873) for a THP mapped by one pmd: mark the
    pmd splitting, move the reference counts, then map the subpages with ptes; 0.
    ``v4.5``: :func:`thp_v45.split_huge_page_to_list` with the pmd invalidated before
    the count is frozen; 0, or ``-EBUSY`` when the page is pinned."""
    if not variant.tail_refcounting:
        return thp_v45.split_huge_page_to_list(
            head,
            nr_pages,
            lru_lock,
            freeze_page=lambda: pmdp_invalidate(pmd),
            unfreeze_page=lambda split: plain_write(pmd, PMD_TABLE if split else PMD_HUGE),
        )
    pmdp_splitting_flush(pmd, variant)
    split_huge_page_refcount(head, nr_pages, lru_lock, variant)
    plain_write(pmd, PMD_TABLE)  # __split_huge_page_map: pmd_populate
    return 0


def pmdp_invalidate(pmd: Any) -> None:
    """pgtable.c (v4.5): ``set_pmd_at(pmdp, pmd_mknotpresent(*pmdp))``, a plain load and
    a plain store of the pmd, then ``flush_pmd_tlb_range``, whose IPI waits for every
    CPU inside an irq-off ``gup_fast`` (in ``__split_huge_pmd_locked``, reached from
    ``freeze_page``)."""
    old = plain_read(pmd)
    plain_write(pmd, old & ~PMD_HUGE | PMD_NOTPRESENT)
    flush_tlb_others()  # a full barrier first: the store above is seen by every CPU
