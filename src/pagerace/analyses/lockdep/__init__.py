"""lockdep over every explored execution (issue 5; kernel/locking/lockdep.c, v3.13).

:class:`Lockdep` is an observer: hand it to ``explore`` in ``Options(observers=...)``,
then read :meth:`Lockdep.reports`; :func:`attach_sources` replays the executions a
report names to fill in model source lines.  The rules are in ``validator``.
"""

from pagerace.analyses.lockdep.graph import LockGraph
from pagerace.analyses.lockdep.reports import (
    HEADLINES,
    MAX_LOCK_DEPTH,
    MAX_LOCKDEP_SUBCLASSES,
    Dependency,
    Held,
    Report,
    Site,
    Usage,
)
from pagerace.analyses.lockdep.sources import attach_sources
from pagerace.analyses.lockdep.validator import IRQ_SAFE, IRQ_UNSAFE, Lockdep

__all__ = [
    "HEADLINES",
    "IRQ_SAFE",
    "IRQ_UNSAFE",
    "MAX_LOCKDEP_SUBCLASSES",
    "MAX_LOCK_DEPTH",
    "Dependency",
    "Held",
    "LockGraph",
    "Lockdep",
    "Report",
    "Site",
    "Usage",
    "attach_sources",
]
