"""Helpers of include/linux/mm.h, huge_mm.h and mm/internal.h (v3.13; ref §2, §3.5).

Configuration: CONFIG_TRANSPARENT_HUGEPAGE=y.  ``VM_BUG_ON`` checks whose condition needs
a load of its own (``VM_BUG_ON(atomic_read(&page->_count) == 0)`` in
``put_page_testzero``, ``VM_BUG_ON(PageSlab(page))`` in ``compound_lock``) are left out,
as with CONFIG_DEBUG_VM=n: each would add a load, and interleavings, to every call.
What they guard is checked by the engine instead: every counter has a floor (``_count``
0, ``_mapcount`` -1) checked atomically with each decrement.
"""

from __future__ import annotations

from typing import Any

from pagerace.explore.runtime import fail
from pagerace.explore.values import raw
from pagerace.kernel.atomic import (
    atomic_dec_and_test,
    atomic_inc,
    atomic_inc_not_zero,
    atomic_read,
    atomic_set,
    atomic_set_release,
)
from pagerace.kernel.barriers import smp_rmb
from pagerace.kernel.bit_spinlock import bit_lock_key, bit_spin_lock, bit_spin_unlock
from pagerace.kernel.irq import local_irq_restore, local_irq_save
from pagerace.kernel.once import plain_read
from pagerace.mm.page import PG_compound_lock
from pagerace.mm.page_flags import PageTail
from pagerace.mm.variants import V3_13, Variant

COMPOUND_LOCK_CLASS = "compound_lock of a page"
HPAGE_PMD_ORDER = 9  # huge_mm.h: PMD_SHIFT - PAGE_SHIFT on x86-64, a 2 MiB THP of 512 pages


def put_page_testzero(page: Any) -> Any:
    """mm.h:295: ``atomic_dec_and_test(&page->_count)``; true when it reached 0."""
    return atomic_dec_and_test(page._count)


def get_page_unless_zero(page: Any) -> Any:
    """mm.h:307: a speculative pin, for pages that may have been freed."""
    return atomic_inc_not_zero(page._count)


def compound_lock(page: Any, nest_lock: Any = None) -> None:
    """mm.h:355: ``bit_spin_lock(PG_compound_lock, &page->flags)``.  ``nest_lock``: a
    page whose compound lock is held and serialises this nesting, as a lockdep
    annotation that 2013's bit spinlocks cannot carry (``per-tail-lock-nested``)."""
    nest = None
    if nest_lock is not None:
        nest = bit_lock_key(PG_compound_lock, nest_lock.flags, "PG_compound_lock")
    bit_spin_lock(PG_compound_lock, page.flags, "PG_compound_lock", COMPOUND_LOCK_CLASS, nest)


def compound_unlock(page: Any) -> None:
    """mm.h:363: ``bit_spin_unlock(PG_compound_lock, &page->flags)``."""
    bit_spin_unlock(PG_compound_lock, page.flags, "PG_compound_lock", COMPOUND_LOCK_CLASS)


def compound_lock_irqsave(page: Any) -> bool:
    """mm.h:371: ``local_irq_save`` then ``compound_lock``; returns the saved flags."""
    flags = local_irq_save()
    compound_lock(page)
    return flags


def compound_unlock_irqrestore(page: Any, flags: bool) -> None:
    compound_unlock(page)
    local_irq_restore(flags)


def compound_head(page: Any, variant: Variant = V3_13) -> Any:
    """mm.h:390, v3.13: one PageTail test, then ``first_page``; no barrier, no recheck.
    With ``variant.compound_head_recheck`` ("mm: close PageTail race", v3.14 and
    v3.13.10; ref §8.3) it is :func:`compound_trans_head`."""
    if variant.compound_head_recheck:
        return compound_trans_head(page)
    if PageTail(page):
        return plain_read(page.first_page)
    return page


def compound_trans_head(page: Any) -> Any:
    """huge_mm.h:160, v3.13: LD PageTail, LD first_page, smp_rmb, LD PageTail again;
    pairs with the split clearing PG_tail before it overwrites first_page."""
    if PageTail(page):
        head = plain_read(page.first_page)
        smp_rmb()
        if PageTail(page):
            return head
    return page


def page_count(page: Any, variant: Variant = V3_13) -> Any:
    """mm.h:412: ``atomic_read(&compound_head(page)->_count)``.  A NULL head (a
    ``first_page`` not yet written) is the oops of ref §8.3: a ``null-deref`` finding."""
    head = compound_head(page, variant)
    if raw(head) is None:
        fail(
            "null-deref",
            f"BUG: unable to handle kernel NULL pointer dereference in page_count"
            f"({page.name}): PG_tail is set but first_page is NULL",
            check=f"null-deref:page_count:{page.name}",
        )
    return atomic_read(head._count)


def get_huge_page_tail(page: Any) -> None:
    """mm.h:417: a gup pin on a THP tail increments the tail's ``_mapcount``."""
    atomic_inc(page._mapcount)


def set_page_count(page: Any, v: int) -> None:
    """internal.h:19: ``atomic_set`` -- a plain store of the count (ref §1.4)."""
    atomic_set(page._count, v)


def set_page_refcounted(page: Any) -> None:
    """internal.h:28: ``set_page_count(page, 1)``."""
    set_page_count(page, 1)


def set_page_refcounted_release(page: Any) -> None:
    """Variant ``prep-fix-release``: the count published with a release store."""
    atomic_set_release(page._count, 1)
