"""Bit operations on a word (Documentation/atomic_bitops.txt; v3.13 x86 bitops.h).

Atomic: ``set_bit``/``clear_bit`` (one locked RMW, unordered: ``noreturn``),
``test_and_set_bit``/``test_and_clear_bit`` (locked RMW, fully ordered: ``mb``),
``test_and_set_bit_lock`` (``acquire``), ``clear_bit_unlock`` (``release``).
Non-atomic: ``__set_bit``, ``__clear_bit``, ``__test_and_set_bit`` and
``__clear_bit_unlock`` are a plain load of the whole word followed by a plain store of
the whole word (x86 ``bts``/``btr`` without ``lock``): an atomic update landing between
the two is silently overwritten (the reference's NA-RMW).
"""

from __future__ import annotations

from typing import Any

from pagerace.explore.values import raw
from pagerace.kernel._access import load, rmw, store


def _mask(nr: Any) -> int:
    return 1 << int(raw(nr))


def test_bit(nr: Any, addr: Any) -> Any:
    bit = int(raw(nr))
    return (load("test_bit", addr, "once", mask=1 << bit) >> bit) & 1


def set_bit(nr: Any, addr: Any) -> None:
    m = _mask(nr)
    rmw("set_bit", addr, lambda w: (w | m, None), "noreturn", detail=f"bit {raw(nr)}")


def clear_bit(nr: Any, addr: Any) -> None:
    m = _mask(nr)
    rmw("clear_bit", addr, lambda w: (w & ~m, None), "noreturn", detail=f"bit {raw(nr)}")


def test_and_set_bit(nr: Any, addr: Any) -> Any:
    m = _mask(nr)
    return rmw(
        "test_and_set_bit", addr, lambda w: (w | m, int(bool(w & m))), "mb", detail=f"bit {raw(nr)}"
    )


def test_and_clear_bit(nr: Any, addr: Any) -> Any:
    m = _mask(nr)
    return rmw(
        "test_and_clear_bit",
        addr,
        lambda w: (w & ~m, int(bool(w & m))),
        "mb",
        detail=f"bit {raw(nr)}",
    )


def test_and_set_bit_lock(nr: Any, addr: Any) -> Any:
    m = _mask(nr)
    return rmw(
        "test_and_set_bit_lock",
        addr,
        lambda w: (w | m, int(bool(w & m))),
        "acquire",
        detail=f"bit {raw(nr)}",
    )


def clear_bit_unlock(nr: Any, addr: Any) -> None:
    m = _mask(nr)
    rmw("clear_bit_unlock", addr, lambda w: (w & ~m, None), "release", detail=f"bit {raw(nr)}")


def __set_bit(nr: Any, addr: Any) -> None:
    """Non-atomic: plain load, then plain store of the whole word."""
    word = load("__set_bit", addr, "plain", "NA-RMW load")
    store("__set_bit", addr, word | _mask(nr), "plain", detail="NA-RMW store")


def __clear_bit(nr: Any, addr: Any) -> None:
    word = load("__clear_bit", addr, "plain", "NA-RMW load")
    store("__clear_bit", addr, word & ~_mask(nr), "plain", detail="NA-RMW store")


def __test_and_set_bit(nr: Any, addr: Any) -> Any:
    m = _mask(nr)
    word = load("__test_and_set_bit", addr, "plain", "NA-RMW load")
    store("__test_and_set_bit", addr, word | m, "plain", detail="NA-RMW store")
    return (word & m) != 0


def __clear_bit_unlock(nr: Any, addr: Any) -> None:
    """Non-atomic release of a bit lock (SLUB's ``slab_unlock``): a compiler barrier,
    then the same plain load and store as ``__clear_bit``."""
    word = load("__clear_bit_unlock", addr, "plain", "NA-RMW load")
    store("__clear_bit_unlock", addr, word & ~_mask(nr), "release", detail="NA-RMW store")
