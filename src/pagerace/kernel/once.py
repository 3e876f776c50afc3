"""Marked and plain accesses (Documentation/memory-barriers.txt, linux-kernel.bell).

``READ_ONCE``/``WRITE_ONCE`` are ``once``; ``smp_load_acquire`` is ``acquire``;
``smp_store_release`` is ``release``.  ``plain_read``/``plain_write`` are C accesses with
no marking (``x = *p``), which the LKMM may report as data races.
"""

from __future__ import annotations

from typing import Any

from pagerace.kernel._access import load, store


def READ_ONCE(x: Any) -> Any:  # noqa: N802 - the kernel's name
    return load("READ_ONCE", x, "once")


def WRITE_ONCE(x: Any, value: Any) -> None:  # noqa: N802
    store("WRITE_ONCE", x, value, "once")


def smp_load_acquire(x: Any) -> Any:
    return load("smp_load_acquire", x, "acquire")


def smp_store_release(x: Any, value: Any) -> None:
    store("smp_store_release", x, value, "release")


def plain_read(x: Any) -> Any:
    """A plain C load of the whole word (no ``READ_ONCE``)."""
    return load("plain load", x, "plain")


def plain_write(x: Any, value: Any) -> None:
    """A plain C store of the whole word (no ``WRITE_ONCE``)."""
    store("plain store", x, value, "plain")
