"""``struct zone`` and its free lists (include/linux/mmzone.h, list.h, v3.13; ref §4.1).

A zone is a ``spinlock_t lock`` and, per order, a ``free_area``: a free list and
``nr_free``.  A ``list_head`` is two locations, ``next`` and ``prev``, and a pointer to
it is the location of its ``next`` word (its address): :meth:`Zone.list_entry` is
``container_of``, and it resolves a pointer by location id, so a pointer read from a
write made in an earlier build of the program (weak-memory exploration rebuilds the
world on every replay) still names this build's page.  A free block's first page is
linked through its own ``lru_next``/``lru_prev`` (``page->lru``); a list's head is a
:class:`ListHead`; an empty list points at itself, and ``list_del`` poisons the entry
(``LIST_POISON1/2``).  The buddy algorithm on these lists is :mod:`pagerace.mm.buddy`.

Limitations: one migrate type (``free_list[MIGRATE_MOVABLE]`` only); no per-cpu page
lists, watermarks or statistics; ``MAX_ORDER`` is the zone's own, so a small zone is
whole blocks of its largest order.
"""

from __future__ import annotations

from typing import Any

from pagerace.core.errors import UsageError
from pagerace.explore.runtime import World, fail
from pagerace.explore.values import Val, raw, unwrap
from pagerace.kernel.once import plain_read, plain_write
from pagerace.mm.page import PAGE_BUDDY_MAPCOUNT_VALUE, Page, show_flags, show_pointer

LIST_POISON1 = "LIST_POISON1"  # include/linux/poison.h
LIST_POISON2 = "LIST_POISON2"


class ListHead:
    """A ``struct list_head`` that is not in a page: a free list's head."""

    __slots__ = ("name", "next", "prev")

    def __init__(self, w: World, name: str) -> None:
        self.name = name
        self.next = w.location(f"{name}.next", None, fmt=show_pointer)
        self.prev = w.location(f"{name}.prev", None, fmt=show_pointer)
        w.init(self.next, self.next)  # INIT_LIST_HEAD: both point at the head itself
        w.init(self.prev, self.next)

    def __repr__(self) -> str:
        return self.name


class FreeArea:
    """``struct free_area`` with one migrate type: a free list and ``nr_free``."""

    __slots__ = ("free_list", "nr_free")

    def __init__(self, w: World, name: str) -> None:
        self.free_list = ListHead(w, f"{name}.free_list")
        self.nr_free = w.location(f"{name}.nr_free", 0)


class Zone:
    """``struct zone``: ``lock``, ``free_area[max_order]``, the pages it spans.

    ``max_order`` is the zone's ``MAX_ORDER``: blocks have orders 0..max_order-1, and
    the zone spans ``nr_blocks`` blocks of the largest order from ``start_pfn``.  Making
    a zone claims its pages (``page_zone``) and adds the end check of its free lists.
    """

    __slots__ = (
        "_entries",
        "free_area",
        "lock",
        "max_order",
        "mem_map",
        "name",
        "nr_pages",
        "start_pfn",
    )

    def __init__(
        self,
        w: World,
        mem_map: list[Page],
        max_order: int,
        *,
        start_pfn: int = 0,
        nr_blocks: int = 1,
        name: str = "zone",
    ) -> None:
        block = 1 << (max_order - 1) if max_order >= 1 else 0
        if max_order < 1 or start_pfn % block or start_pfn + nr_blocks * block > len(mem_map):
            raise UsageError(
                "zone",
                (max_order, start_pfn, nr_blocks),
                f"max_order >= 1 and whole blocks of 2^(max_order-1) pages inside the "
                f"{len(mem_map)}-page mem_map, from a start_pfn aligned to a block",
            )
        self.name, self.mem_map, self.max_order = name, mem_map, max_order
        self.start_pfn, self.nr_pages = start_pfn, nr_blocks * block
        self.lock = w.location(f"{name}.lock", 0)  # spinlock_t, unlocked
        self.free_area = [FreeArea(w, f"{name}.free_area[{o}]") for o in range(max_order)]
        # container_of: a list_head pointer (the location of its next word) -> its owner.
        self._entries: dict[int, Page | ListHead] = {
            a.free_list.next.lid: a.free_list for a in self.free_area
        }
        for page in self.pages():
            page.zone = self
            self._entries[page.lru_next.lid] = page
        w.check_at_end(f"{name}: free lists")(self.check_free_lists)

    def pages(self) -> list[Page]:
        return self.mem_map[self.start_pfn : self.start_pfn + self.nr_pages]

    def pfn_to_page(self, pfn: int) -> Page | None:
        """The page at ``pfn`` if this zone spans it (``pfn_valid`` and same zone)."""
        if self.start_pfn <= pfn < self.start_pfn + self.nr_pages:
            return self.mem_map[pfn]
        return None

    def list_entry(self, ptr: Any) -> Any:
        """``list_entry``/``container_of``: the page or list head a pointer read from a
        list link points at (by location id, so a pointer written in an earlier build
        of the program resolves in this one); the read stays an address dependency."""
        loc, deps = unwrap(ptr)
        entry = self._entries.get(getattr(loc, "lid", -1))
        if entry is None:  # a poisoned or foreign pointer: the kernel would oops
            fail("list-corrupt", f"{show_pointer(loc)} is not a list_head of {self.name}")
        return Val(entry, deps) if deps else entry

    def free_blocks(self, w: World) -> list[list[Page]]:
        """Per order, the first pages of the blocks on its free list, front to back, as
        memory holds them now (no events: for end checks and tests)."""
        return [self._walk(w, area.free_list)[0] for area in self.free_area]

    def check_free_lists(self, w: World) -> str | None:
        """End check: every list is well linked, ``nr_free`` is its length, and every
        block on it is as the free path left it (else a stranger wrote a free page)."""
        for order, area in enumerate(self.free_area):
            blocks, problem = self._walk(w, area.free_list)
            for block in blocks:
                problem = problem or _free_block_problem(w, block, order)
            nr_free = w.peek(area.nr_free)
            if not problem and nr_free != len(blocks):
                problem = f"{area.free_list.name} holds {len(blocks)} blocks, nr_free {nr_free}"
            if problem:
                return problem
        return None

    def _walk(self, w: World, head: ListHead) -> tuple[list[Page], str | None]:
        """The blocks on a list, and what is wrong with its links, if anything."""
        blocks: list[Page] = []
        prev, ptr = head.next, w.peek(head.next)
        while getattr(ptr, "lid", None) != head.next.lid:
            entry = self._entries.get(getattr(ptr, "lid", -1))
            if not isinstance(entry, Page) or len(blocks) > self.nr_pages:
                return blocks, f"{head.name} is corrupt at {show_pointer(ptr)}"
            if getattr(w.peek(entry.lru_prev), "lid", None) != prev.lid:
                return blocks, f"{entry.name}.lru.prev does not point back on {head.name}"
            blocks.append(entry)
            prev, ptr = entry.lru_next, w.peek(entry.lru_next)
        if getattr(w.peek(head.prev), "lid", None) != prev.lid:
            return blocks, f"{head.name}.prev does not point at its last entry"
        return blocks, None


def page_zone(page: Any) -> Zone | None:
    """mm.h: the zone of a page, from the zone bits of ``flags``, which never change;
    here a Python attribute.  None: a page outside any modelled zone."""
    zone: Zone | None = raw(page).zone
    return zone


def init_free_block(w: World, page: Page, order: int) -> None:
    """Setup only (no thread runs yet): put the block of ``2^order`` pages at ``page``
    on its zone's free list as the free path would (``__free_pages_bootmem`` at boot:
    ``set_page_order``, ``list_add``, ``nr_free++``).  The block must be free (count 0,
    no flags) and have no free buddy of its order: free the pair as one larger block."""
    zone = page.zone
    idx = page.pfn - zone.start_pfn if isinstance(zone, Zone) else -1
    if not isinstance(zone, Zone) or order >= zone.max_order or idx % (1 << order):
        raise UsageError("free block", (page.name, order), "an aligned block inside a zone")
    buddy = zone.pfn_to_page(zone.start_pfn + (idx ^ (1 << order)))
    if order < zone.max_order - 1 and buddy is not None and _is_free_block(w, buddy, order):
        raise UsageError("free block", (page.name, order), "no free buddy: merge them first")
    for p in page.mem_map[page.pfn : page.pfn + (1 << order)]:
        if (w.peek(p._count), w.peek(p._mapcount), w.peek(p.flags)) != (0, -1, 0):
            raise UsageError(
                "free block", (page.name, order), f"unused pages, but {p.name} is in use"
            )
    head = zone.free_area[order].free_list
    first = zone.list_entry(w.peek(head.next))
    w.init(page.private, order)
    w.init(page._mapcount, PAGE_BUDDY_MAPCOUNT_VALUE)
    w.init(page.lru_next, _lru(first)[0])
    w.init(page.lru_prev, head.next)
    w.init(_lru(first)[1], page.lru_next)
    w.init(head.next, page.lru_next)
    nr_free = zone.free_area[order].nr_free
    w.init(nr_free, w.peek(nr_free) + 1)


# -- include/linux/list.h: pointers are the locations of the list_heads' next words ------


def _lru(entry: Any) -> tuple[Any, Any]:
    """``(next, prev)`` of an entry's list_head: a page's ``lru`` or a list head; the
    first is also the pointer to that list_head."""
    if isinstance(raw(entry), ListHead):
        return entry.next, entry.prev
    return entry.lru_next, entry.lru_prev


def __list_add(new: Any, prev: Any, next: Any) -> None:
    plain_write(_lru(next)[1], _lru(new)[0])
    plain_write(_lru(new)[0], _lru(next)[0])
    plain_write(_lru(new)[1], _lru(prev)[0])
    plain_write(_lru(prev)[0], _lru(new)[0])


def list_add(zone: Zone, new: Any, head: ListHead) -> None:
    """include/linux/list.h: insert after ``head`` (at the front).  ``zone`` resolves
    the pointers read (``container_of``)."""
    __list_add(new, head, zone.list_entry(plain_read(head.next)))


def list_add_tail(zone: Zone, new: Any, head: ListHead) -> None:
    """include/linux/list.h: insert before ``head`` (at the back)."""
    __list_add(new, zone.list_entry(plain_read(head.prev)), head)


def list_del(zone: Zone, entry: Any) -> None:
    """include/linux/list.h: unlink (``__list_del``), then poison the entry's links."""
    next_, prev = _lru(entry)
    nxt, prv = zone.list_entry(plain_read(next_)), zone.list_entry(plain_read(prev))
    plain_write(_lru(nxt)[1], _lru(prv)[0])
    plain_write(_lru(prv)[0], _lru(nxt)[0])
    plain_write(next_, LIST_POISON1)
    plain_write(prev, LIST_POISON2)


def _free_block_problem(w: World, page: Page, order: int) -> str | None:
    for i in range(1 << order):
        p = page.mem_map[page.pfn + i] if page.pfn + i < len(page.mem_map) else None
        if p is None or p.zone is not page.zone:
            return f"the free order-{order} block at {page.name} runs out of its zone"
        mapcount = w.peek(p._mapcount)
        expected = PAGE_BUDDY_MAPCOUNT_VALUE if i == 0 else -1
        if w.peek(p._count) != 0 or w.peek(p.flags) != 0 or mapcount != expected:
            return (
                f"use-after-free: {p.name} is in the free order-{order} block at "
                f"{page.name}, but has count:{w.peek(p._count)} mapcount:{mapcount} "
                f"flags:{show_flags(w.peek(p.flags))}"
            )
    if w.peek(page.private) != order:
        return f"{page.name} is on the order-{order} list with order {w.peek(page.private)}"
    return None


def _is_free_block(w: World, page: Page, order: int) -> bool:
    return bool(
        w.peek(page._mapcount) == PAGE_BUDDY_MAPCOUNT_VALUE and w.peek(page.private) == order
    )
