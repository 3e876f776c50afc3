"""Barriers (Documentation/memory-barriers.txt; linux-kernel.bell fence tags).

Under SC every barrier is a no-op that is still recorded as a fence event, so the same
program runs unchanged under TSO and the LKMM.  On x86-64 (v3.13, barrier.h:81-92)
``smp_rmb``/``smp_wmb`` are compiler barriers only; ``smp_mb`` is ``mfence``.
"""

from __future__ import annotations

from pagerace.kernel._access import fence


def smp_mb() -> None:
    fence("smp_mb", "mb")


def smp_rmb() -> None:
    fence("smp_rmb", "rmb")


def smp_wmb() -> None:
    fence("smp_wmb", "wmb")


def smp_mb__before_atomic() -> None:
    fence("smp_mb__before_atomic", "before-atomic")


def smp_mb__after_atomic() -> None:
    fence("smp_mb__after_atomic", "after-atomic")


def barrier() -> None:
    """Compiler barrier: orders nothing between CPUs (LKMM tag ``barrier``)."""
    fence("barrier", "barrier")


def smp_mb__after_spinlock() -> None:
    """Upgrade the preceding ``spin_lock`` to a full barrier (LKMM tag ``after-spinlock``)."""
    fence("smp_mb__after_spinlock", "after-spinlock")


def smp_mb__after_unlock_lock() -> None:
    """Make a preceding unlock+lock pair a full barrier (tag ``after-unlock-lock``)."""
    fence("smp_mb__after_unlock_lock", "after-unlock-lock")


def smp_mb__after_srcu_read_unlock() -> None:
    fence("smp_mb__after_srcu_read_unlock", "after-srcu-read-unlock")
