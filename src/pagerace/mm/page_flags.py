"""Page-flag accessors (include/linux/page-flags.h, v3.13; ref §1.3).

``PageXxx`` test a bit with a single load of ``flags`` (``test_bit``, a volatile read);
``__SetPageXxx``/``__ClearPageXxx`` are ``__set_bit``/``__clear_bit``: a plain load and a
plain store of the whole word (NA-RMW); ``SetPageXxx``/``ClearPageXxx`` are atomic.
"""

from __future__ import annotations

from typing import Any

from pagerace.kernel._access import load
from pagerace.kernel.bitops import __clear_bit, __set_bit, clear_bit, set_bit, test_bit
from pagerace.mm.page import PG_head, PG_lru, PG_slab, PG_tail


def PageHead(page: Any) -> Any:  # noqa: N802 - the kernel's names
    return test_bit(PG_head, page.flags)


def PageTail(page: Any) -> Any:  # noqa: N802
    return test_bit(PG_tail, page.flags)


def PageSlab(page: Any) -> Any:  # noqa: N802
    return test_bit(PG_slab, page.flags)


def PageLRU(page: Any) -> Any:  # noqa: N802
    return test_bit(PG_lru, page.flags)


def __SetPageHead(page: Any) -> None:  # noqa: N802
    __set_bit(PG_head, page.flags)


def __SetPageTail(page: Any) -> None:  # noqa: N802
    __set_bit(PG_tail, page.flags)


def __ClearPageTail(page: Any) -> None:  # noqa: N802
    __clear_bit(PG_tail, page.flags)


def ClearPageHead(page: Any) -> None:  # noqa: N802
    clear_bit(PG_head, page.flags)


def SetPageLRU(page: Any) -> None:  # noqa: N802
    set_bit(PG_lru, page.flags)


def PageCompound(page: Any) -> Any:  # noqa: N802
    """One load of ``flags`` tested against PG_head|PG_tail."""
    mask = 1 << PG_head | 1 << PG_tail
    return load("READ_ONCE", page.flags, "once", mask=mask) & mask
