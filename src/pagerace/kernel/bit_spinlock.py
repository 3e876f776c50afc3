"""Bit spinlocks (include/linux/bit_spinlock.h, v3.13).

``bit_spin_lock(nr, addr)``: preempt_disable, then ``test_and_set_bit_lock`` until it
finds the bit clear; modelled as one atomic step that waits until the bit is clear and
sets it (acquire).  A failed ``lock bts`` writes back the value already there, so the
waiting attempts have no effect on memory, even against a concurrent non-atomic RMW.
``bit_spin_unlock``: ``clear_bit_unlock`` (release); with CONFIG_DEBUG_SPINLOCK the
kernel first does ``BUG_ON(!test_bit(nr, addr))``: here that check is made on the value
the clearing RMW itself reads, and a clear bit is a ``lock-lost`` finding (the owner's
lock was erased under it).  Bit spinlocks carry no lockdep annotation in 2013.
"""

from __future__ import annotations

from typing import Any

from pagerace.core.ops import LockAction, with_annotation
from pagerace.explore.values import raw
from pagerace.kernel._access import location, rmw


def _lock(nr: Any, addr: Any, action: str, name: str, cls: str) -> LockAction:
    loc, _ = location(addr, name)
    return LockAction(action, f"{loc.name}:{name}", cls, bit=int(raw(nr)))


def bit_lock_key(nr: Any, addr: Any, name: str = "") -> str:
    """The instance name of the bit lock ``nr`` in ``addr`` (``H.flags:PG_compound_lock``),
    as its lock events carry it: what a ``nest_lock`` annotation names."""
    loc, _ = location(addr, "bit_lock_key")
    return f"{loc.name}:{name or f'bit {int(raw(nr))}'}"


def bit_spin_lock(
    nr: Any, addr: Any, name: str = "", cls: str = "bit_spin_lock", nest_lock: str | None = None
) -> None:
    """``name`` names the bit in traces and reports (e.g. ``PG_compound_lock``).

    ``nest_lock`` (the key of a held lock, see :func:`bit_lock_key`) is a hypothetical
    annotation: 2013's bit spinlocks have no lockdep map, so no kernel API takes one.  It
    says what a design would annotate if they were tracked (``pagerace lockdep
    --track-bit-locks``), and changes no execution."""
    bit = int(raw(nr))
    m = 1 << bit
    label = name or f"bit {bit}"
    action = _lock(nr, addr, "acquire", label, cls)
    if nest_lock is not None:
        action = LockAction("acquire", action.key, cls, bit, nest_lock=nest_lock)
    rmw(
        "bit_spin_lock",
        addr,
        lambda w: (w | m, None),
        "acquire",
        cond=lambda w: not w & m,
        lock=action,
        detail=with_annotation(label, action),
    )


def bit_spin_unlock(nr: Any, addr: Any, name: str = "", cls: str = "bit_spin_lock") -> None:
    bit = int(raw(nr))
    m = 1 << bit
    label = name or f"bit {bit}"
    loc, _ = location(addr, "bit_spin_unlock")

    def owner_check(w: int) -> str | None:
        if w & m:
            return None
        return (
            f"bit_spin_unlock: {label} in {loc.name} is already clear when its owner "
            "releases it: the lock was erased while held (lost acquire)"
        )

    rmw(
        "bit_spin_unlock",
        addr,
        lambda w: (w & ~m, None),
        "release",
        check=owner_check,
        lock=_lock(nr, addr, "release", label, cls),
        detail=label,
    )
