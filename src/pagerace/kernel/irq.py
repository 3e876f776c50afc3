"""Local interrupt state and what an IPI sees of it (include/linux/irqflags.h).

``local_irq_save`` / ``local_irq_restore`` are recorded as thread-local events.  The
model does not deliver interrupts, but one consequence of "irqs off" matters to the
2013 THP scheme: an IPI (the TLB flush of ``pmdp_splitting_flush``) is not acknowledged
while the target CPU has interrupts off, which is what serialises ``gup_fast`` against
the split (ref §6.1).  So each CPU has a ghost word ``irq_state[CPU]`` = 2 x (irq-off
sections completed) + (inside one), updated atomically when interrupts go off and back
on, and :func:`flush_tlb_others` waits, for every other CPU found with interrupts off,
until that section has ended -- an IPI's acknowledgement.  A CPU that nobody sends an
IPI to pays one extra step per section and no extra executions (nobody reads its word).
"""

from __future__ import annotations

import greenlet

from pagerace.kernel._access import local, section_enter, section_exit, wait_for_sections
from pagerace.kernel.barriers import smp_mb


def local_irq_save() -> bool:
    """Disable interrupts; returns the previous state (True: they were enabled)."""
    thread = greenlet.getcurrent()
    was_on = not getattr(thread, "irqs_off", False)
    local("local_irq_save", "irqs off")
    if was_on and getattr(thread, "irq_word", None) is not None:
        section_enter("local_irq_save", thread.irq_word, "irq state: off")
    thread.irqs_off = True
    return was_on


def local_irq_restore(flags: bool) -> None:
    thread = greenlet.getcurrent()
    if flags and getattr(thread, "irqs_off", False) and getattr(thread, "irq_word", None):
        section_exit("local_irq_restore", thread.irq_word, "irq state: on")
    local("local_irq_restore", "irqs on" if flags else "irqs stay off")
    thread.irqs_off = not flags


def irqs_disabled() -> bool:
    return bool(getattr(greenlet.getcurrent(), "irqs_off", False))


def flush_tlb_others() -> None:
    """Send the TLB-flush IPI to every other CPU and wait for the acknowledgements: a
    CPU with interrupts off acknowledges only once it turns them back on.  Sending is a
    full barrier (``smp_call_function_many`` queues the request with ``llist_add``, a
    value-returning atomic, before the IPI): every earlier store, the pmd's above all,
    is visible before any CPU acknowledges, under every memory model."""
    smp_mb()
    thread = greenlet.getcurrent()
    wait_for_sections(
        "flush_tlb_others", thread.irq_word, getattr(thread, "irq_all", ()), "IPI: irqs off"
    )
