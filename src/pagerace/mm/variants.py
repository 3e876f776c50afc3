"""Design variants: each a small, reviewable difference from v3.13 as shipped.

A variant is a value handed to the model functions whose behaviour it changes; the
functions read its fields at the one place each difference lives.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    summary: str
    refcount_first: bool = True  # prep_new_page: set_page_refcounted before prep_compound_page
    wmb_before_refcount: bool = False  # smp_wmb() between prep_compound_page and the count
    release_refcount: bool = False  # publish the count with atomic_set_release
    split_count_late: bool = False  # split: the tail's _count seen after PG_tail's clear
    split_skips_ipi: bool = False  # split: no TLB-flush IPI wait after marking the pmd
    pin_head_before_lock: bool = True  # tail put: get_page_unless_zero(head) before its lock
    skip_lock_put_single: bool = False  # skip_lock: __put_single_page whatever the head became
    first_page_before_tail: bool = False  # prep_compound_page: first_page, smp_wmb, PG_tail
    compound_head_recheck: bool = False  # compound_head: smp_rmb, then PageTail again
    lock_tail: bool = False  # get/put on a tail: compound_lock the tail, no head pin (§9.3)
    split_locks_tails: bool = False  # split: lock each tail in its loop, keep the bit (§9.3)
    split_nest_lock: bool = False  # ...each tail's lock annotated nest_lock = the head's (§7)
    tail_refcounting: bool = True  # False: v4.5, a pin on a tail is a pin on the head (§8.5)


V3_13 = Variant(
    "v3.13",
    "as shipped: prep_new_page stores _count = 1, then prep_compound_page's non-atomic "
    "__SetPageHead/__SetPageTail",
)
PREP_FIX = Variant(
    "prep-fix",
    "Andrea's fix (LKML 2013-12-17): prep_compound_page, smp_wmb(), then set_page_refcounted last",
    refcount_first=False,
    wmb_before_refcount=True,
)
PREP_FIX_NOWMB = Variant(
    "prep-fix-nowmb",
    "the reordering alone: prep_compound_page, then set_page_refcounted, no barrier",
    refcount_first=False,
)
PREP_FIX_RELEASE = Variant(
    "prep-fix-release",
    "prep_compound_page, then the count published with atomic_set_release",
    refcount_first=False,
    release_refcount=True,
)

SPLIT_MB_REORDERED = Variant(
    "split-mb-reordered",
    "the reordering __split_huge_page_refcount's smp_mb forbids, made by hand: the "
    "tail's pins reach its _count only after PG_tail is cleared",
    split_count_late=True,
)

SPLIT_NO_IPI = Variant(
    "split-no-ipi",
    "the split marks the pmd splitting but does not wait for the TLB-flush IPI, so an "
    "irq-off gup_fast can still be pinning tails while the split reads their pins",
    split_skips_ipi=True,
)

V3_12 = Variant(
    "v3.12",
    'before Andrea\'s "mm: hugetlbfs: fix hugetlbfs optimization" (ref §3.6): the skip_lock '
    "path of put_compound_page always frees the old head with __put_single_page (modelled "
    "here; v3.12's PageHuge prelude and slab-branch order are not)",
    skip_lock_put_single=True,
)

UNPINNED_LOCK = Variant(
    "unpinned-lock",
    "the tail put takes compound_lock on the head without get_page_unless_zero first, as in "
    "Andrea's put_compound_tail sketch that Oleg objected to (LKML, Dec 2013; ref §8.1, §9.2 b1)",
    pin_head_before_lock=False,
)

CLOSE_PAGETAIL_RACE = Variant(
    "close-pagetail-race",
    '"mm: close PageTail race" (v3.14, v3.13.10; ref §8.3): prep_compound_page stores '
    "first_page, smp_wmb, then __SetPageTail; compound_head rechecks PageTail after smp_rmb",
    first_page_before_tail=True,
    compound_head_recheck=True,
)

PER_TAIL_LOCK = Variant(
    "per-tail-lock",
    "Oleg's alternative (LKML 2013-12-17, ref §9.3): get/put on a tail take compound_lock "
    "on the tail itself, with no speculative pin of the head; the split takes every tail's "
    "lock in its loop (all held until the head is cleared: 512 nested locks at order 9) "
    "and keeps that bit out of its non-atomic rewrites of the tail's flags",
    lock_tail=True,
    split_locks_tails=True,
)

PER_TAIL_LOCK_NAIVE = Variant(
    "per-tail-lock-naive",
    "per-tail-lock's get/put side on v3.13's split as is: a putter holds the tail's lock "
    "while the split, holding only the head's, clears and copies the tail's flags word "
    "with plain stores that can erase or resurrect that lock bit",
    lock_tail=True,
)

PER_TAIL_LOCK_NESTED = Variant(
    "per-tail-lock-nested",
    "per-tail-lock with each tail's compound_lock annotated for lockdep with the head's "
    "as its nest_lock (the mm_take_all_locks pattern, ref §7): a what-if, since 2013's bit "
    "spinlocks carry no lockdep annotation; executions are per-tail-lock's",
    lock_tail=True,
    split_locks_tails=True,
    split_nest_lock=True,
)

V4_5 = Variant(
    "v4.5",
    "Kirill Shutemov's v4.5 rework (ref §8.5): no tail refcounts (get/put on a tail go to "
    "the head's _count), a compound mapcount, and a split refused while the page is "
    "pinned beyond its mappings (the head's count frozen to 0 by cmpxchg)",
    tail_refcounting=False,
)

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        V3_13,
        PREP_FIX,
        PREP_FIX_NOWMB,
        PREP_FIX_RELEASE,
        SPLIT_MB_REORDERED,
        SPLIT_NO_IPI,
        V3_12,
        UNPINNED_LOCK,
        CLOSE_PAGETAIL_RACE,
        PER_TAIL_LOCK,
        PER_TAIL_LOCK_NAIVE,
        PER_TAIL_LOCK_NESTED,
        V4_5,
    )
}
