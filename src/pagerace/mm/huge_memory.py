"""Splitting a THP's reference counts: mm/huge_memory.c, v3.13 (ref §5.2).

``split_huge_page_refcount`` models ``__split_huge_page_refcount`` step by step, in the
reference's order: ``zone->lru_lock`` (irqs off), ``compound_lock(head)``, then for each
tail from the last down: read its gup pins (``page_mapcount``), move them into the
tail's own ``_count`` with ``atomic_add``, ``smp_mb``, clear the tail's flags with a
non-atomic RMW (this clears PG_tail), ``smp_wmb``, copy ``_mapcount`` with a plain
store; then ``atomic_sub`` the pins from the head, ``ClearPageHead``, unlock, and drop
the temporary reference of each tail with ``put_page``.

Oleg Nesterov's alternative (LKML 2013-12-17, ref §9.3; variant ``per-tail-lock``)
also takes each tail's compound lock in the loop and holds them all until the head is
cleared (ref §9.3: "take all 511 tail locks", Andrea's 512 nested locks at order 9), so
that get/put of a tail can lock the tail instead of pinning the head.  The lock bit lives in
the very flags word the loop rewrites with plain stores ("we should change
page_tail->flags carefully"), so the rewrite keeps PG_compound_lock out and the lock is
released explicitly.  (``per-tail-lock-naive`` leaves this function as in v3.13.)

Limitations: steps 4f and 4g of ref §5.2 (copying flags from the head, setting
PG_dirty: two non-atomic RMWs of the tail's flags, back to back) are one non-atomic RMW
here; a concurrent reader can only tell them apart by PG_dirty.  ``mapping``/``index``,
memcg and the LRU insertion are not modelled.
"""

from __future__ import annotations

from typing import Any

from pagerace.kernel.atomic import atomic_add, atomic_read, atomic_sub
from pagerace.kernel.barriers import smp_mb, smp_wmb
from pagerace.kernel.bug import BUG_ON
from pagerace.kernel.irq import local_irq_restore, local_irq_save
from pagerace.kernel.once import plain_read, plain_write
from pagerace.kernel.spinlock import spin_lock, spin_unlock
from pagerace.mm.mm_h import compound_lock, compound_unlock
from pagerace.mm.page import PAGE_FLAGS_CHECK_AT_PREP, PG_compound_lock, PG_dirty, PG_referenced
from pagerace.mm.page_flags import ClearPageHead
from pagerace.mm.swap import put_page
from pagerace.mm.variants import V3_13, Variant

# Flags the split copies from the head to each tail (ref §5.2 4f), among those modelled.
COPIED_FLAGS = 1 << PG_referenced


def page_mapcount(page: Any) -> Any:
    """mm.h:407: ``atomic_read(&page->_mapcount) + 1``."""
    return atomic_read(page._mapcount) + 1


def tail_flags_cleared(variant: Variant) -> int:
    """The bits step 4e clears in a tail's flags: every page flag but PG_hwpoison
    (not modelled); ``per-tail-lock`` keeps the tail's lock, which it holds, out."""
    if variant.split_locks_tails:
        return PAGE_FLAGS_CHECK_AT_PREP & ~(1 << PG_compound_lock)
    return PAGE_FLAGS_CHECK_AT_PREP


def split_huge_page_refcount(
    head: Any, nr_pages: int, lru_lock: Any, variant: Variant = V3_13
) -> None:
    """``__split_huge_page_refcount`` (huge_memory.c:1679, v3.13).  With
    ``variant.split_count_late`` the ``atomic_add`` to the tail's ``_count`` comes after
    the PG_tail clear: what a CPU without ``smp_mb`` could let other CPUs see.  With
    ``variant.split_locks_tails`` each tail's compound lock is taken in the loop and
    all are released once the head is no longer a head (ref §9.3)."""
    flags = local_irq_save()  # spin_lock_irq(&zone->lru_lock)
    spin_lock(lru_lock)
    compound_lock(head)
    tail_count = 0
    for i in range(nr_pages - 1, 0, -1):
        tail = head[i]
        if variant.split_locks_tails:
            compound_lock(tail, head if variant.split_nest_lock else None)
        pins = page_mapcount(tail)
        BUG_ON(pins < 0, "split: negative tail mapcount")
        tail_count += int(pins)
        if not variant.split_count_late:
            atomic_add(page_mapcount(head) + pins + 1, tail._count)
            smp_mb()  # the tail's _count must be set before PG_tail is seen clear
        old = plain_read(tail.flags)  # clear every page flag: this clears PG_tail
        plain_write(tail.flags, old & ~tail_flags_cleared(variant))
        if variant.split_count_late:
            atomic_add(page_mapcount(head) + pins + 1, tail._count)
        old = plain_read(tail.flags)  # 4f and 4g: copy flags from the head, set dirty
        plain_write(tail.flags, old | plain_read(head.flags) & COPIED_FLAGS | 1 << PG_dirty)
        smp_wmb()  # clear PageTail before overwriting first_page (compound_trans_head)
        plain_write(tail._mapcount, plain_read(head._mapcount))
    atomic_sub(tail_count, head._count)
    ClearPageHead(head)
    if variant.split_locks_tails:
        # Every tail's lock is held until the whole page is split (ref §9.3: 511 tail
        # locks nested under the head's, "512 nested spinlocks instead of 1").
        for i in range(1, nr_pages):
            compound_unlock(head[i])
    compound_unlock(head)
    spin_unlock(lru_lock)
    local_irq_restore(flags)
    for i in range(1, nr_pages):
        put_page(head[i], variant)  # drop the temporary "+1" of step 4c
