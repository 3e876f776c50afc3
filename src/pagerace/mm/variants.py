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

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (V3_13, PREP_FIX, PREP_FIX_NOWMB, PREP_FIX_RELEASE, SPLIT_MB_REORDERED, SPLIT_NO_IPI)
}
