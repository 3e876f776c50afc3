"""``struct page`` and its flag bits (include/linux/mm_types.h, page-flags.h, v3.13).

Bit numbers are those of a typical x86_64 distro configuration (ref §1.3):
PG_head 14, PG_tail 15, PG_compound_lock 24.  A page is a handful of words, each a
location of the model: ``flags``, ``_count``, ``_mapcount``, ``first_page`` (shares
storage with ``private`` in the kernel; two locations here), and ``lru_next``/``lru_prev``
(in ``page[1]`` of a compound page: destructor and order, ref §1.2).

Limitations: ``mapping``/``index``, the zone/node bits in the high end of ``flags`` and
the LRU list links are not modelled.  ``lru_next``/``lru_prev`` also link a free block's
first page into its zone's free list (:mod:`pagerace.mm.buddy`), and ``zone`` (a Python
attribute, never written by model code) stands for the zone bits of ``flags``.
"""

from __future__ import annotations

from typing import Any

from pagerace.core.ops import Location
from pagerace.explore.runtime import World

PG_locked = 0
PG_referenced = 2
PG_dirty = 4
PG_lru = 5
PG_slab = 7
PG_head = 14
PG_tail = 15
PG_compound_lock = 24

FLAG_NAMES = {
    PG_locked: "PG_locked",
    PG_referenced: "PG_referenced",
    PG_dirty: "PG_dirty",
    PG_lru: "PG_lru",
    PG_slab: "PG_slab",
    PG_head: "PG_head",
    PG_tail: "PG_tail",
    PG_compound_lock: "PG_compound_lock",
}

# page-flags.h:492-507: flags a page must not carry when it is freed.  PG_head and
# PG_tail are not among them: free_pages_check clears them with the rest (ref §4.4).
PAGE_FLAGS_CHECK_AT_FREE = 1 << PG_locked | 1 << PG_lru | 1 << PG_slab | 1 << PG_compound_lock
# page-flags.h: every page-flag bit (__NR_PAGEFLAGS = 25 with THP, ref §1.3).
PAGE_FLAGS_CHECK_AT_PREP = (1 << 25) - 1
PAGE_BUDDY_MAPCOUNT_VALUE = -128  # mm.h:467


class _MapcountFloor(int):
    """The floor of ``_mapcount``: -1, except PageBuddy's sentinel.

    The engine reports a write of a value below a location's floor (``new < floor``);
    the buddy allocator stores ``PAGE_BUDDY_MAPCOUNT_VALUE`` in the first page of a free
    block (mm.h:467), so that one value is not below this floor, while a gup pin dropped
    twice (-1 to -2) or a decrement of the sentinel (-128 to -129) still is.
    """

    def __gt__(self, value: object) -> bool:  # ``value < floor`` asks the floor first
        if value == PAGE_BUDDY_MAPCOUNT_VALUE:
            return False
        return isinstance(value, int) and int(self) > value


MAPCOUNT_FLOOR = _MapcountFloor(-1)


def show_flags(value: Any) -> str:
    if not isinstance(value, int):
        return repr(value)
    names = [n for bit, n in sorted(FLAG_NAMES.items()) if value >> bit & 1]
    rest = value & ~sum(1 << b for b in FLAG_NAMES)
    if rest:
        names.append(hex(rest))
    return "|".join(names) if names else "0"


def show_pointer(value: Any) -> str:
    """A pointer: NULL, a page's name, or a function's name (a destructor)."""
    if value is None:
        return "NULL"
    if isinstance(value, Location):  # a list_head pointer: the address of its next word
        return "&" + value.name.removesuffix(".next")
    return value if isinstance(value, str) else str(getattr(value, "name", value))


class Page:
    """One ``struct page``.  ``page[k]`` is ``page + k`` in the same ``mem_map``."""

    __slots__ = (
        "_count",
        "_mapcount",
        "first_page",
        "flags",
        "lru_next",
        "lru_prev",
        "mem_map",
        "name",
        "pfn",
        "private",
        "zone",
    )

    def __init__(
        self,
        w: World,
        mem_map: list[Page],
        pfn: int,
        name: str,
        *,
        flags: int = 0,
        count: int = 0,
        mapcount: int = -1,
    ) -> None:
        self.pfn, self.name, self.mem_map = pfn, name, mem_map
        self.flags = w.location(f"{name}.flags", flags, fmt=show_flags)
        self._count = w.location(f"{name}._count", count, floor=0)
        self._mapcount = w.location(f"{name}._mapcount", mapcount, floor=MAPCOUNT_FLOOR)
        self.first_page = w.location(f"{name}.first_page", None, fmt=show_pointer)
        self.private = w.location(f"{name}.private", 0)
        self.lru_next = w.location(f"{name}.lru.next", None, fmt=show_pointer)
        self.lru_prev = w.location(f"{name}.lru.prev", 0, fmt=show_pointer)
        self.zone: Any = None  # page_zone(page): a pagerace.mm.buddy.Zone, or outside any
        w.register(self)  # first_page and list pointers hold pages: one per build

    def __getitem__(self, k: int) -> Page:
        return self.mem_map[self.pfn + k]

    def __repr__(self) -> str:
        return self.name


def make_mem_map(w: World, npages: int, names: list[str] | None = None) -> list[Page]:
    """``npages`` pages with pfns 0..npages-1 (free: count 0, no flags)."""
    mem_map: list[Page] = []
    for pfn in range(npages):
        name = names[pfn] if names else f"page{pfn}"
        mem_map.append(Page(w, mem_map, pfn, name))
    return mem_map
