"""Spinlocks (include/linux/spinlock.h; lock.cat for their LKMM semantics).

A ``spinlock_t`` is a location holding 0 (free) or 1 (held).  ``spin_lock`` waits until
the lock is free and takes it in one step (spinning is waiting, DESIGN.md); it is a
lock-acquire event (``LKW`` in lock.cat), ``spin_unlock`` a lock-release (``UL``).
``spin_trylock`` takes the lock if free and otherwise fails without waiting.
"""

from __future__ import annotations

from typing import Any

from pagerace.core.ops import NO_WRITE, LockAction
from pagerace.kernel._access import load, location, rmw, store


def _action(lock: Any, action: str, primitive: str) -> LockAction:
    loc, _ = location(lock, primitive)
    return LockAction(action, loc.name, loc.name)


def spin_lock(lock: Any) -> None:
    rmw(
        "spin_lock",
        lock,
        lambda v: (1, None),
        "acquire",
        cond=lambda v: v == 0,
        lock=_action(lock, "acquire", "spin_lock"),
    )


def spin_unlock(lock: Any) -> None:
    store("spin_unlock", lock, 0, "release", lock=_action(lock, "release", "spin_unlock"))


def spin_trylock(lock: Any) -> Any:
    return rmw(
        "spin_trylock",
        lock,
        lambda v: (1, 1) if v == 0 else (NO_WRITE, 0),
        "acquire",
        lock=_action(lock, "acquire", "spin_trylock"),
    )


def spin_is_locked(lock: Any) -> Any:
    return load("spin_is_locked", lock, "once") != 0
