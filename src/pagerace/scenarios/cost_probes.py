"""Cost probes: small programs that run the kernel operations a workload is made of,
each call marked with :func:`pagerace.kernel.operation.operation` so that the cost
observer (:mod:`pagerace.analyses.cost`) can price it (issue 5).

They are programs over ``mm/``, so they live in this layer; the observer below knows
only the markers.  Every probe starts from the state the catalogue's scenarios use: a
THP of ``order`` mapped by one huge pmd (:func:`.split_put.init_pmd_mapped_thp`), or a
zone holding free blocks of that order (:mod:`pagerace.mm.buddy`).

Uncontended probes (one CPU; run serially, so any order, 9 included):

- ``io``: a 4 KiB O_DIRECT I/O -- ``gup_fast`` of one tail, ``get_page`` of it, and a
  ``put_page`` for each of the two references (ref §6.2);
- ``kvm-walk``: ``gup_fast`` without FOLL_GET (ref §6.4): the irq-off walk that reads
  the pmd and takes no reference -- Andrea's plan (LKML 2013-12-17), not a v3.13
  function, so written here from ``__get_user_pages_fast`` (gup.c:257) minus its pins;
- ``split``: ``split_huge_page`` of the THP, holding a pin on its head (v4.5:
  ``split_huge_page_to_list``);
- ``alloc-free``: ``alloc_pages(__GFP_COMP, order)`` from a zone holding one free block
  of that order, then the free of that compound page (``put_page`` of its head).

Contended probes (explored at a small order):

- ``io-io``: two CPUs each do an I/O on their own tail of the same THP (at
  ``--order 1``, with its one tail, on the same tail);
- ``get-get``: two CPUs each ``get_page`` a tail they hold a pin on;
- ``split-io``: CPU0 splits the THP while CPU1 does an I/O on a tail (not for v4.5,
  whose model does not run its split against ``gup_fast``: :mod:`pagerace.mm.thp_v45`);
- ``alloc-free-2``: two CPUs each allocate a THP from the same zone and free it.

:func:`measure` runs them all for one variant: the uncontended figures of an operation
come from the serial runs, its contended ones from the exploration of its *home*
probe (:data:`HOME`: ``gup_fast`` and ``put_page(tail)`` from ``io-io``, the split
from ``split-io``, ...), so that each contended figure has one definite setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pagerace.analyses.cost import CostObserver, Coverage, OperationSummary, explored, serial
from pagerace.analyses.cost.pricing import Figures
from pagerace.analyses.cost.workload import (
    ALLOC,
    FREE,
    GET_PAGE_TAIL,
    GUP_FAST,
    GUP_FAST_NO_PIN,
    OPERATIONS,
    PUT_PAGE_TAIL,
    SPLIT,
)
from pagerace.explore.runtime import Program, World
from pagerace.kernel.irq import local_irq_restore, local_irq_save
from pagerace.kernel.once import plain_read
from pagerace.kernel.operation import operation
from pagerace.mm.buddy import Zone, init_free_block
from pagerace.mm.gup import gup_fast, split_huge_page
from pagerace.mm.page import Page, make_mem_map
from pagerace.mm.page_alloc import __GFP_COMP, alloc_pages
from pagerace.mm.swap import get_page, put_page
from pagerace.mm.thp_v45 import split_huge_page_to_list
from pagerace.mm.variants import Variant
from pagerace.scenarios.split_put import pmd_mapped_thp

Build = Callable[[World], None]
Build0 = Callable[[], None]  # a model thread


@dataclass(frozen=True, slots=True)
class Probe:
    name: str
    program: Program


HOME = {
    GUP_FAST: "io-io",
    PUT_PAGE_TAIL: "io-io",
    GET_PAGE_TAIL: "get-get",
    SPLIT: "split-io",
    ALLOC: "alloc-free-2",
    FREE: "alloc-free-2",
}


def uncontended(variant: Variant, order: int) -> tuple[Probe, ...]:
    """One-CPU probes of every operation, for a serial run at ``order``."""
    return (
        _probe("io", variant, order, _thp(variant, order, io_cpus=1, gets=1)),
        _probe("kvm-walk", variant, order, _thp(variant, order, walk=True)),
        _probe("split", variant, order, _thp(variant, order, split=True)),
        _probe("alloc-free", variant, order, _zone(variant, order, cpus=1)),
    )


def contended(variant: Variant, order: int) -> tuple[Probe, ...]:
    """Probes where operations of two CPUs meet, for exploration at a small ``order``."""
    probes = [
        _probe("io-io", variant, order, _thp(variant, order, io_cpus=2)),
        _probe("get-get", variant, order, _thp(variant, order, get_cpus=2)),
    ]
    if variant.tail_refcounting:
        probes.append(
            _probe("split-io", variant, order, _thp(variant, order, io_cpus=1, split=True))
        )
    probes.append(_probe("alloc-free-2", variant, order, _zone(variant, order, cpus=2)))
    return tuple(probes)


@dataclass(frozen=True, slots=True)
class Measured:
    """Every operation's figures for one variant, and what the runs covered."""

    variant: str
    figures: dict[str, Figures]
    coverage: tuple[Coverage, ...]


def measure(
    variant: Variant, order: int, contended_order: int | None, max_executions: int
) -> Measured:
    """Serial runs of the uncontended probes at ``order``; explorations (up to
    ``max_executions`` each) of the contended ones at ``contended_order`` (None: none)."""
    un = CostObserver()
    coverage = [serial(p.program, un) for p in uncontended(variant, order)]
    hot: dict[str, OperationSummary] = {}
    for p in contended(variant, contended_order) if contended_order is not None else ():
        obs = CostObserver()
        coverage.append(explored(p.program, obs, max_executions))
        hot.update({op: s for op, s in obs.summary().items() if HOME.get(op) == p.name})
    cold = un.summary()
    ops = [op for op in OPERATIONS if op in cold or op in hot]
    figures = {op: Figures(op, cold.get(op), hot.get(op)) for op in ops}
    return Measured(variant.name, figures, tuple(coverage))


def _probe(name: str, variant: Variant, order: int, build: Build) -> Probe:
    params = {"variant": variant.name, "order": order}
    return Probe(name, Program(f"cost:{name}:{variant.name}:order={order}", build, params))


def _thp(
    variant: Variant,
    order: int,
    *,
    io_cpus: int = 0,
    gets: int = 0,
    get_cpus: int = 0,
    split: bool = False,
    walk: bool = False,
) -> Build:
    nr_pages = 1 << order

    def setup(w: World) -> None:
        mem_map, pmd = pmd_mapped_thp(w, order, variant, pins=int(split))  # splitter's pin
        head = mem_map[0]
        if split:
            lru_lock = w.location("zone.lru_lock")
            w.thread("CPU0")(_splitter(head, nr_pages, pmd, lru_lock, variant))
        for n in range(io_cpus):
            tail = 1 + n % (nr_pages - 1)
            w.thread(f"CPU{n + split}")(_direct_io(pmd, head, tail, gets, variant))
        for n in range(get_cpus):
            pinned = head[1 + n % (nr_pages - 1)]
            _pin(w, head, pinned, variant)
            w.thread(f"CPU{n}")(_get_page(pinned, variant))
        if walk:
            w.thread("CPU0")(_kvm_walk(pmd))

    return setup


def _splitter(head: Page, nr_pages: int, pmd: Any, lru_lock: Any, variant: Variant) -> Build0:
    def run() -> None:
        with operation(SPLIT):
            if variant.tail_refcounting:
                split_huge_page(head, nr_pages, pmd, lru_lock, variant)
            else:
                split_huge_page_to_list(head, nr_pages, lru_lock)
        put_page(head, variant)  # __split_huge_page_pmd drops its pin

    return run


def _direct_io(pmd: Any, head: Page, index: int, gets: int, variant: Variant) -> Build0:
    """dio_refill_pages' ``gup_fast``, ``page_cache_get``s, then the completion's
    ``page_cache_release`` of every reference (ref §6.2)."""

    def run() -> None:
        with operation(GUP_FAST):
            pages = gup_fast(pmd, head, index, 1, variant)
        for page in pages:
            for _ in range(gets):
                with operation(GET_PAGE_TAIL):
                    get_page(page, variant)
            for _ in range(gets + 1):
                with operation(PUT_PAGE_TAIL):
                    put_page(page, variant)

    return run


def _pin(w: World, head: Page, tail: Page, variant: Variant) -> None:
    """Setup: a ``gup_fast`` pin on ``tail``, as ``get_huge_page_tail`` and
    ``get_head_page_multiple`` leave it (v4.5: on the head's count only)."""
    w.init(head._count, w.peek(head._count) + 1)
    if variant.tail_refcounting:
        w.init(tail._mapcount, w.peek(tail._mapcount) + 1)


def _get_page(tail: Page, variant: Variant) -> Build0:
    def run() -> None:
        with operation(GET_PAGE_TAIL):
            get_page(tail, variant)

    return run


def _kvm_walk(pmd: Any) -> Build0:
    def run() -> None:
        with operation(GUP_FAST_NO_PIN):
            flags = local_irq_save()
            plain_read(pmd)  # gup_pmd_range: the pmd is read once
            local_irq_restore(flags)

    return run


def _zone(variant: Variant, order: int, cpus: int) -> Build:
    """A zone of ``cpus`` blocks of ``order``, all free; each CPU allocates one
    compound page of ``order`` and frees it."""

    def setup(w: World) -> None:
        mem_map = make_mem_map(w, cpus << order)
        zone = Zone(w, mem_map, max_order=order + 1, nr_blocks=cpus)
        for n in range(cpus):
            init_free_block(w, mem_map[n << order], order)
        for n in range(cpus):
            w.thread(f"CPU{n}")(_alloc_free(zone, order, variant))

    return setup


def _alloc_free(zone: Zone, order: int, variant: Variant) -> Build0:
    def run() -> None:
        with operation(ALLOC):
            page = alloc_pages(zone, __GFP_COMP, order, variant)
        if page is not None:
            with operation(FREE):
                put_page(page, variant)

    return run
