"""``gup-vs-split``: irq-off ``gup_fast`` against the split's TLB-flush IPI (ref §6.1,
§5.1, §9.2 b2).

A THP of ``--order`` is mapped by one huge pmd.  CPU0, holding a pin on the head,
splits it (``__split_huge_page``: mark the pmd splitting and flush the TLB, move the
reference counts, map ptes) and drops its pin.  Each CPU i pins subpage i with
``gup_fast`` and, if it got it, drops the pin with ``put_page`` (an O_DIRECT
completion).  The IPI cannot be acknowledged while a ``gup_fast`` runs with interrupts
off, so a pin taken on the huge pmd is in the tail's ``_mapcount`` before the split reads
it; a ``gup_fast`` that comes later sees the splitting bit and bails out.

Variants ``per-tail-lock`` and ``per-tail-lock-naive`` (ref §9.3) change only the put
side and the split's locking, not ``gup_fast``: the putter locks its tail, and the
split locks each tail (or, naive, does not).  Variant ``v4.5`` (ref §8.5) starts from
v4.5's state: ``gup_fast`` pins the head only, there is no splitting bit, and the split
is refused while a pin remains; before it freezes the count it invalidates the pmd and
flushes the TLB (``freeze_page``), so the IPI still waits for an irq-off ``gup_fast``.

Checks: no counter below its floor; at the end the head holds only its mapping's
reference and is no longer a head, every tail has its pte's reference and the head's
mapcount, and no lock bit is left set (v4.5: so, or the THP intact when the split was
refused, as in ``split-vs-tail-put``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pagerace.core.errors import UsageError
from pagerace.explore.runtime import World
from pagerace.mm.gup import PMD_HUGE, gup_fast, show_pmd, split_huge_page
from pagerace.mm.page import Page, make_mem_map
from pagerace.mm.swap import put_page
from pagerace.mm.variants import Variant
from pagerace.scenarios.catalogue import Expectation, Param, Scenario, order_param
from pagerace.scenarios.split_put import balance_after, init_pmd_mapped_thp


def build(variant: Variant, params: Mapping[str, int]) -> Callable[[World], None]:
    cpus, order = params["cpus"], params["order"]
    nr_pages = 1 << order
    if cpus - 1 > nr_pages - 1:
        raise UsageError(
            "--cpus", cpus, f"at most {nr_pages} with --order {order}: one tail per gup_fast CPU"
        )
    names = ["H", *(f"H+{i}" for i in range(1, nr_pages))]

    def setup(w: World) -> None:
        mem_map = make_mem_map(w, nr_pages, names)
        head = mem_map[0]
        init_pmd_mapped_thp(w, mem_map, order, variant)  # mapped by one huge pmd
        w.init(head._count, 1 + 1)  # the mapping, and the splitter's pin
        pmd = w.location("pmd", PMD_HUGE, fmt=show_pmd)
        lru_lock = w.location("zone.lru_lock")

        @w.thread("CPU0")
        def splitter() -> None:
            split_huge_page(head, nr_pages, pmd, lru_lock, variant)  # v4.5: may be -EBUSY
            put_page(head, variant)

        for n in range(1, cpus):
            w.thread(f"CPU{n}")(_direct_io(pmd, head, n, variant))

        @w.check_at_end("references balance")
        def balance(w: World) -> str | None:
            return balance_after(w, head, mem_map[1:], variant)

    return setup


def _direct_io(pmd: object, head: Page, index: int, variant: Variant) -> Callable[[], None]:
    def run() -> None:
        for page in gup_fast(pmd, head, index, 1, variant):
            put_page(page, variant)  # the I/O completes

    return run


_IPI = (
    "§6.1: the TLB-flush IPI waits for every irq-off gup_fast, so each pin is in a "
    "tail's _mapcount before the split moves it, or gup_fast sees the splitting pmd"
)
_PLAIN_PMD = (
    "gup_fast reads the pmd with a plain load (x86 gup.c, v3.13: pmd_t pmd = *pmdp) "
    "while the split sets its splitting bit with set_bit: plain against marked and "
    "unordered, a data race by the LKMM's definition (an aligned word on x86, where "
    "the IPI is what orders them)"
)
_TAIL_LOCK = (
    "§9.3: each put is ordered against its tail's step of the split by the tail's own "
    "compound lock, as in split-vs-tail-put"
)
_NO_IPI = (
    "without the IPI wait a gup_fast that read the pmd before the splitting bit "
    "pins a tail after the split has moved its pins: a pin is counted in the "
    "head, then dropped from the tail"
)

_NAIVE = (
    "§6.1 still puts each gup_fast pin in its tail's _mapcount before the split reads "
    "it, but the put that follows runs against the split: per-tail-lock's put side "
    "(§9.3) locks the tail, while v3.13's split, holding only the head's lock, rewrites "
    "that tail's flags with plain loads and stores (§5.2 4e-4g). A lock bit set between "
    "them is erased (the putter's unlock finds it clear: lock-lost), or loaded set and "
    "stored back after the unlock (lock-leaked). Nor is the putter kept out of the "
    "transfer: it can drop its pin from _mapcount and the head after the split counted "
    "it there, so the head loses the pin twice (freed while still mapped: bad-page; "
    "with two putters its _count goes below 0) and the tail's _count keeps it (invariant)"
)
_NAIVE_KINDS = ("lock-lost", "lock-leaked", "bad-page", "invariant", "refcount-underflow")

_V45 = (
    "§8.5: a gup pin is a reference on the head, and the split goes ahead only if the "
    "head's count is the caller's pin plus one per mapping (the racy check, then the "
    "cmpxchg freeze). Before the freeze, freeze_page invalidates the pmd and flushes the "
    "TLB, whose IPI waits for every irq-off gup_fast (§6.1, without the splitting bit): "
    "a gup_fast that saw the huge pmd has its pin in the head's count by then, so the "
    "freeze fails (-EBUSY, the THP stays whole), and one that comes later finds the pmd "
    "not present and pins nothing; put_page drops the pin from the head"
)
_V45_PLAIN_PMD = (
    "v4.5's x86 gup_fast still reads the pmd with a plain load and pmdp_invalidate "
    "writes it with plain stores (set_pmd_at): plain against plain and unordered, a "
    "data race. As for v3.13 under the LKMM, the racy read is not ordered by the IPI "
    "handshake, so gup_fast can see the huge pmd after the flush has passed and add its "
    "pin to the frozen count: the unfreeze overwrites it, and a page is freed while "
    "still mapped (bad-page) with the counts out of balance (invariant)"
)

GUP_VS_SPLIT = Scenario(
    name="gup-vs-split",
    summary="irq-off gup_fast against the split's TLB-flush IPI (§6.1)",
    params=(
        Param("cpus", 2, 2, 8, "CPU0 splits; CPU1..n-1 each gup_fast one tail, then put it"),
        order_param(1, "order of the THP (2^order pages)"),
    ),
    variants=("v3.13", "split-no-ipi", "per-tail-lock", "per-tail-lock-naive", "v4.5"),
    expected={
        ("v3.13", "sc"): Expectation("verified", _IPI),
        ("v3.13", "tso"): Expectation("verified", _IPI),
        ("split-no-ipi", "sc"): Expectation(
            "finding", _NO_IPI, ("refcount-underflow", "invariant", "bad-page")
        ),
        ("split-no-ipi", "tso"): Expectation(
            "finding", _NO_IPI, ("refcount-underflow", "invariant", "bad-page")
        ),
        ("v3.13", "lkmm"): Expectation(
            "finding",
            _PLAIN_PMD + ". A racy plain read is not ordered by the IPI handshake's "
            "barriers (linux-kernel.cat: pb and hb end at Marked accesses), so the LKMM lets "
            "gup_fast see the pmd from before the splitting bit and pin a tail the split "
            "already moved: a bad page, as without the IPI (later kernels read the pmd "
            "with READ_ONCE)",
            ("data-race", "bad-page", "invariant", "refcount-underflow"),
        ),
        ("split-no-ipi", "lkmm"): Expectation(
            "finding",
            _NO_IPI + "; " + _PLAIN_PMD,
            ("refcount-underflow", "invariant", "bad-page", "data-race"),
        ),
        ("per-tail-lock", "sc"): Expectation("verified", _IPI + "; " + _TAIL_LOCK),
        ("per-tail-lock", "tso"): Expectation("verified", _IPI + "; " + _TAIL_LOCK),
        ("per-tail-lock", "lkmm"): Expectation(
            "finding",
            "locking the tail leaves gup_fast as it is: " + _PLAIN_PMD + ", and the escaped "
            "pin is put after PG_tail is clear, from the tail's own _count: freed while it "
            "still counts the pin (bad-page), the head keeping it (invariant); also "
            "put_page's unlocked PageTail test races the split's plain flag rewrite",
            ("data-race", "bad-page", "invariant"),
        ),
        ("per-tail-lock-naive", "sc"): Expectation("finding", _NAIVE, _NAIVE_KINDS),
        ("per-tail-lock-naive", "tso"): Expectation(
            "finding",
            _NAIVE + "; x86-TSO has every SC interleaving, and a buffered plain store of the "
            "flags only delays the erase",
            _NAIVE_KINDS,
        ),
        ("per-tail-lock-naive", "lkmm"): Expectation(
            "finding",
            _NAIVE + "; and " + _PLAIN_PMD + "; the split's plain rewrite of the tail's flags "
            "races with put_page's PageTail test before the tail's lock",
            (*_NAIVE_KINDS, "data-race"),
        ),
        ("v4.5", "sc"): Expectation("verified", _V45),
        ("v4.5", "tso"): Expectation(
            "verified",
            _V45 + "; under x86-TSO the invalidating store is visible before the IPI is "
            "sent (smp_call_function_many queues it with a locked cmpxchg; without that "
            "barrier the store could wait in the store buffer while gup_fast reads the "
            "huge pmd, and the model finds the pin lost) and the freeze is a locked cmpxchg",
        ),
        ("v4.5", "lkmm"): Expectation(
            "finding", _V45_PLAIN_PMD, ("data-race", "bad-page", "invariant")
        ),
    },
    builder=build,
)
