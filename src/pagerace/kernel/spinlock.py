"""Spinlocks (include/linux/spinlock.h; lock.cat for their LKMM semantics).

A ``spinlock_t`` is a location holding 0 (free) or 1 (held).  ``spin_lock`` waits until
the lock is free and takes it in one step (spinning is waiting, DESIGN.md); it is a
lock-acquire event (``LKW`` in lock.cat), ``spin_unlock`` a lock-release (``UL``).
``spin_trylock`` takes the lock if free and otherwise fails without waiting.

``cls`` (keyword, optional): the lock's lockdep class, when several spinlocks share one.
The kernel's class is the lock's initialisation site, so every zone's ``zone->lock`` is
one class; here a lock is its own class unless given one.
"""

from __future__ import annotations

from typing import Any

from pagerace.core.errors import ModelError
from pagerace.core.ops import NO_WRITE, LockAction, with_annotation
from pagerace.kernel._access import load, location, rmw, store
from pagerace.kernel.irq import local_irq_restore, local_irq_save


def _action(lock: Any, action: str, primitive: str, cls: str | None = None) -> LockAction:
    loc, _ = location(lock, primitive)
    return LockAction(action, loc.name, cls or loc.name)


def spin_lock(lock: Any, *, cls: str | None = None) -> None:
    rmw(
        "spin_lock",
        lock,
        lambda v: (1, None),
        "acquire",
        cond=lambda v: v == 0,
        lock=_action(lock, "acquire", "spin_lock", cls),
    )


def spin_unlock(lock: Any, *, cls: str | None = None) -> None:
    store("spin_unlock", lock, 0, "release", lock=_action(lock, "release", "spin_unlock", cls))


def spin_trylock(lock: Any, *, cls: str | None = None) -> Any:
    return rmw(
        "spin_trylock",
        lock,
        lambda v: (1, 1) if v == 0 else (NO_WRITE, 0),
        "acquire",
        lock=_action(lock, "acquire", "spin_trylock", cls),
    )


def spin_is_locked(lock: Any) -> Any:
    return load("spin_is_locked", lock, "once") != 0


# Lockdep annotations (include/linux/spinlock.h, v3.13; ref §7).  They take the lock
# exactly as spin_lock does; only what lockdep is told differs, carried in the event's
# detail (core.ops.with_annotation).
def spin_lock_nested(lock: Any, subclass: int, *, cls: str | None = None) -> None:
    """``spin_lock_nested(lock, subclass)``: lockdep treats this acquisition as class
    ``<class>/<subclass>``; only subclasses 0..7 exist (MAX_LOCKDEP_SUBCLASSES, ref §7)."""
    loc, _ = location(lock, "spin_lock_nested")
    if subclass < 0:
        raise ModelError(f"spin_lock_nested({loc.name}, {subclass}): a subclass is unsigned")
    action = LockAction("acquire", loc.name, cls or loc.name, subclass=subclass)
    _annotated_lock("spin_lock_nested", lock, action)


def spin_lock_nest_lock(lock: Any, nest_lock: Any, *, cls: str | None = None) -> None:
    """``spin_lock_nest_lock(lock, nest_lock)``: many locks of one class may be held
    together because ``nest_lock`` (held) serialises every task that takes more than
    one of them (the ``mm_take_all_locks`` pattern, ref §7)."""
    loc, _ = location(lock, "spin_lock_nest_lock")
    nest, _ = location(nest_lock, "spin_lock_nest_lock")
    action = LockAction("acquire", loc.name, cls or loc.name, nest_lock=nest.name)
    _annotated_lock("spin_lock_nest_lock", lock, action)


def _annotated_lock(name: str, lock: Any, action: LockAction) -> None:
    rmw(
        name,
        lock,
        lambda v: (1, None),
        "acquire",
        cond=lambda v: v == 0,
        lock=action,
        detail=with_annotation("", action),
    )


def spin_lock_irqsave(lock: Any, *, cls: str | None = None) -> bool:
    """``local_irq_save`` then ``spin_lock``; returns the saved flags (for
    :func:`spin_unlock_irqrestore`)."""
    flags = local_irq_save()
    spin_lock(lock, cls=cls)
    return flags


def spin_unlock_irqrestore(lock: Any, flags: bool, *, cls: str | None = None) -> None:
    spin_unlock(lock, cls=cls)
    local_irq_restore(flags)
