"""The counts of the 2013 debate, set against the model's: Andrea Arcangeli's reply to
Oleg Nesterov (LKML, 2013-12-17; ``reference/lkml-2013-12-17-andrea-get_compound_page.txt``)
and the reference's counts for v3.13 (``kernel-thp-refcount-2013.md`` §3.3, §3.4, §6.1).

Each check states the claim and its source, the number claimed, the number measured,
the measured difference primitive by primitive, and -- where they differ -- why, in
words that hold only if the breakdown is the one expected (otherwise the check says
it differs and shows the breakdown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pagerace.analyses.cost.pricing import Figures
from pagerace.analyses.cost.workload import GET_PAGE_TAIL, GUP_FAST, PUT_PAGE_TAIL, SPLIT

ANDREA = "Andrea Arcangeli, LKML 2013-12-17"
BASELINE, PER_TAIL_LOCK = "v3.13", "per-tail-lock"


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    claim: str
    source: str
    claimed: int
    measured: float
    breakdown: dict[str, float]  # primitive -> locked operations (or their difference)
    explanation: str
    difference: bool = False  # the claim is a difference between two variants

    @property
    def agrees(self) -> bool:
        return self.claimed == self.measured


def checks(figures: Mapping[str, Mapping[str, Figures]], order: int) -> list[ClaimCheck]:
    """Every check whose variants were measured."""
    out = []
    v313 = figures.get(BASELINE)
    if v313 is not None:
        out += [c for c in (_reference(v313, op, n, s) for op, n, s in _REFERENCE) if c]
    ptl = figures.get(PER_TAIL_LOCK)
    if v313 is not None and ptl is not None:
        out += [c for c in (_split(v313, ptl, order), _put(v313, ptl)) if c]
    return out


# (operation, locked RMWs in v3.13, source): counted from the code in the reference.
_REFERENCE = (
    (PUT_PAGE_TAIL, 6, "ref §3.3: pin, lock, put, _mapcount dec, unlock, put"),
    (GET_PAGE_TAIL, 4, "ref §3.4: pin, lock, _mapcount inc, unlock"),
    (GUP_FAST, 3, "ref §6.1: tail _mapcount inc, head add, SetPageReferenced (one page)"),
)


def _reference(
    figs: Mapping[str, Figures], op: str, claimed: int, source: str
) -> ClaimCheck | None:
    f = figs.get(op)
    if f is None or f.uncontended is None:
        return None
    prims = {p: s.median for p, s in f.uncontended.locked_by_primitive.items()}
    why = "" if f.locked == claimed else "the model's path differs from the reference's count"
    return ClaimCheck(f"locked RMWs of one v3.13 {op}", source, claimed, f.locked, prims, why)


def _delta(a: Figures, b: Figures) -> dict[str, float]:
    """Locked operations of ``b`` minus ``a``, per primitive (zeros left out)."""
    assert a.uncontended is not None and b.uncontended is not None
    pa = {p: s.median for p, s in a.uncontended.locked_by_primitive.items()}
    pb = {p: s.median for p, s in b.uncontended.locked_by_primitive.items()}
    out = {p: pb.get(p, 0) - pa.get(p, 0) for p in sorted(pa.keys() | pb.keys())}
    return {p: d for p, d in out.items() if d}


def _pair(
    a: Mapping[str, Figures], b: Mapping[str, Figures], op: str
) -> tuple[Figures, Figures] | None:
    fa, fb = a.get(op), b.get(op)
    if fa is None or fb is None or fa.uncontended is None or fb.uncontended is None:
        return None
    return fa, fb


def _split(
    v313: Mapping[str, Figures], ptl: Mapping[str, Figures], order: int
) -> ClaimCheck | None:
    pair = _pair(v313, ptl, SPLIT)
    if pair is None:
        return None
    tails = (1 << order) - 1
    delta = _delta(*pair)
    measured = pair[1].locked - pair[0].locked
    if measured == tails:
        why = "agrees: one locked operation per tail"
    elif delta == {"bit_spin_lock": tails, "bit_spin_unlock": tails}:
        why = (
            f"Andrea counted the {tails} tail-lock acquisitions; each has its release, and "
            "on x86 bit_spin_unlock is clear_bit_unlock, a lock-prefixed andb (ref §1.4), "
            f"so the model counts {tails} + {tails} (the split holds them all, nested under "
            "the head's, until the head is cleared)"
        )
    else:
        why = "differs from one per tail; see the breakdown"
    claim = f"extra locked operations per split at order {order} under per-tail-lock"
    source = ANDREA + (" (511 at order 9: one per tail)" if order != 9 else "")
    return ClaimCheck(claim, source, tails, measured, delta, why, difference=True)


def _put(v313: Mapping[str, Figures], ptl: Mapping[str, Figures]) -> ClaimCheck | None:
    pair = _pair(ptl, v313, PUT_PAGE_TAIL)  # v3.13 minus per-tail-lock: what it saves
    if pair is None:
        return None
    delta = _delta(*pair)
    measured = pair[1].locked - pair[0].locked
    if measured == 1:
        why = "agrees"
    elif delta == {"atomic_inc_not_zero": 1, "atomic_dec_and_test": 1}:
        why = (
            "Andrea counted the speculative pin of the head (get_page_unless_zero) that "
            "locking the tail makes unnecessary; v3.13 also drops that pin, with a second "
            "put_page_testzero(head) (ref §3.3: 6 = pin, lock, put, dec, unlock, put), so "
            "two locked operations go.  The compound lock moves from the head to the "
            "tail: the same count"
        )
    else:
        why = "differs from one; see the breakdown"
    claim = "locked operations saved per 4 KiB put_page(tail) after gup_fast"
    return ClaimCheck(claim, ANDREA, 1, measured, delta, why, difference=True)
