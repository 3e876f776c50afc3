"""The cost class of an event: what the instruction(s) it stands for cost on x86-64 in
v3.13 (ref §1.4).

One total classification: every event kind, annotation and the few primitives whose
x86 code differs from their LKMM class get an arm, "costs nothing" included.

- ``locked RMW``: every atomic read-modify-write that writes (``atomic_*``, ``set_bit``,
  ``test_and_set_bit``, ``bit_spin_lock``, and ``bit_spin_unlock``, whose
  ``clear_bit_unlock`` is a ``lock andb``), and lock acquisitions (``spin_lock`` is a
  ``lock xadd`` on the ticket).  A failed RMW is locked too (a ``lock cmpxchg`` that
  does not match still owns the line), except the primitives of :data:`READ_FIRST`,
  whose x86 code reads the word first and returns with no locked instruction when it
  sees the failing value.
- ``plain load`` / ``plain store``: C accesses, ``READ_ONCE``/``WRITE_ONCE``, and the
  two halves of a non-atomic RMW (``__set_bit``: a load, then a store).
- ``acquire/release``: ``smp_load_acquire``, ``smp_store_release``, and the release
  stores of ``spin_unlock`` and ``__bit_spin_unlock``: plain ``mov`` on x86-TSO
  (barrier.h, v3.13), kept apart because they are not on weakly ordered CPUs.
- ``full fence``: ``smp_mb`` (``mfence``).  ``compiler barrier``: ``smp_rmb``,
  ``smp_wmb``, ``barrier``, ``smp_mb__{before,after}_atomic`` and the other
  conditional fences, which x86-64 compiles to nothing (barrier.h:81-92).
- ``irq off`` / ``irq on``: ``local_irq_save`` (``pushf; cli``) and
  ``local_irq_restore`` (``popf``, also when interrupts stay off).
- ``grace period``: ``synchronize_rcu`` and friends (not priced by default).
- ``None``: not an instruction of the kernel -- model bookkeeping (annotation
  ``ghost``), operation markers, thread ends.
"""

from __future__ import annotations

import enum

from pagerace.graph.events import Event, EventKind


class CostClass(enum.Enum):
    PLAIN_LOAD = "plain load"
    PLAIN_STORE = "plain store"
    LOCKED_RMW = "locked RMW"
    FULL_FENCE = "full fence"
    ACQUIRE_RELEASE = "acquire/release"
    COMPILER_BARRIER = "compiler barrier"
    IRQ_OFF = "irq off"
    IRQ_ON = "irq on"
    GRACE_PERIOD = "grace period"


CLASSES = tuple(CostClass)
INDEX = {c: i for i, c in enumerate(CLASSES)}

# Conditional RMWs whose v3.13 x86 code reads first and, on the failing value, returns
# without a locked instruction: a failed one is a plain load.
READ_FIRST = frozenset(
    {
        "atomic_inc_not_zero",  # atomic_add_unless: atomic_read, then cmpxchg (atomic.h:193)
        "atomic_add_unless",
        "spin_trylock",  # arch_spin_trylock: ACCESS_ONCE of head_tail, then cmpxchg
    }
)

_FENCES = {
    "mb": CostClass.FULL_FENCE,
    "sync-rcu": CostClass.GRACE_PERIOD,
    "sync-srcu": CostClass.GRACE_PERIOD,
}
_IRQ = {"local_irq_save": CostClass.IRQ_OFF, "local_irq_restore": CostClass.IRQ_ON}


def cost_class(e: Event) -> CostClass | None:
    """The cost class of ``e``; None when it stands for no instruction."""
    if e.annot == "ghost":
        return None
    k = e.kind
    if k is EventKind.RMW or k is EventKind.LOCK:
        return CostClass.LOCKED_RMW
    if k is EventKind.LOAD:
        return CostClass.ACQUIRE_RELEASE if e.annot == "acquire" else CostClass.PLAIN_LOAD
    if k is EventKind.STORE:
        return CostClass.ACQUIRE_RELEASE if e.annot == "release" else CostClass.PLAIN_STORE
    if k is EventKind.UNLOCK:  # bit_spin_unlock: an RMW; spin_unlock: a release store
        return CostClass.LOCKED_RMW if e.reads else CostClass.ACQUIRE_RELEASE
    if k is EventKind.RMW_FAIL:
        return CostClass.PLAIN_LOAD if e.name in READ_FIRST else CostClass.LOCKED_RMW
    if k is EventKind.FENCE:
        return _FENCES.get(e.annot, CostClass.COMPILER_BARRIER)
    if k is EventKind.LOCAL:
        return _IRQ.get(e.name)
    if k is EventKind.END:
        return None
    raise AssertionError(f"[pagerace internal bug] no cost class for event kind {k}")


def needs_ownership(e: Event, cls: CostClass) -> bool:
    """A write, or a locked instruction (which owns the line even when it fails):
    the line must be Modified in this CPU's cache."""
    return e.writes or cls is CostClass.LOCKED_RMW
