"""Local interrupt state (include/linux/irqflags.h).

``local_irq_save`` / ``local_irq_restore`` touch only the running CPU, so they are
thread-local events: recorded in the trace, never scheduling points.  The model does
not deliver interrupts; the state is kept so analyses (lockdep's irq-safety rules, the
split's IPI wait) can read it from the trace.
"""

from __future__ import annotations

import greenlet

from pagerace.kernel._access import local


def local_irq_save() -> bool:
    """Disable interrupts; returns the previous state (True: they were enabled)."""
    thread = greenlet.getcurrent()
    was_on = not getattr(thread, "irqs_off", False)
    local("local_irq_save", "irqs off")
    thread.irqs_off = True
    return was_on


def local_irq_restore(flags: bool) -> None:
    thread = greenlet.getcurrent()
    local("local_irq_restore", "irqs on" if flags else "irqs stay off")
    thread.irqs_off = not flags


def irqs_disabled() -> bool:
    return bool(getattr(greenlet.getcurrent(), "irqs_off", False))
