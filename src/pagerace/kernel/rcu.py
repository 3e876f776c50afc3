"""RCU and SRCU basics (Documentation/RCU/whatisRCU.rst; linux-kernel.def for the tags).

As linux-kernel.def defines them: ``rcu_read_lock``/``rcu_read_unlock`` are fences
tagged ``rcu-lock``/``rcu-unlock``, ``synchronize_rcu`` a fence tagged ``sync-rcu``;
``rcu_dereference`` is a ``once`` load and ``rcu_assign_pointer`` a ``release`` store.
SRCU: ``srcu_read_lock`` is a load tagged ``srcu-lock`` of the srcu_struct,
``srcu_read_unlock`` a store tagged ``srcu-unlock`` of the index it returned, and
``synchronize_srcu`` a fence tagged ``sync-srcu`` (its ``detail`` names the srcu_struct).

The grace-period guarantee (a read-side critical section cannot span a grace period)
is also enforced operationally, so that it holds under SC too: each thread has a
ghost word ``rcu_gp_state[CPU]`` = 2 x (critical sections completed) + (inside one);
the outermost ``rcu_read_lock``/``rcu_read_unlock`` update it with an atomic step, and
``synchronize_rcu`` reads every other thread's word and, for a thread inside a
critical section, waits until that section has ended.  Critical sections that begin
after the check need not be waited for, as in the kernel.

Limitations: SRCU grace periods are recorded (tagged events) but not waited for.
"""

from __future__ import annotations

from typing import Any

import greenlet

from pagerace.core.errors import ModelError
from pagerace.core.ops import Op, OpKind
from pagerace.explore.runtime import submit
from pagerace.kernel._access import (
    fence,
    load,
    location,
    section_enter,
    section_exit,
    store,
    wait_for_sections,
)


def _thread() -> Any:
    thread = greenlet.getcurrent()
    if getattr(thread, "rcu", None) is None:
        raise ModelError("RCU primitives must be called from a model thread")
    return thread


def rcu_read_lock() -> None:
    fence("rcu_read_lock", "rcu-lock")
    thread = _thread()
    thread.rcu_depth += 1
    if thread.rcu_depth == 1:
        section_enter("rcu_read_lock", thread.rcu, "grace-period state: reader inside")


def rcu_read_unlock() -> None:
    thread = _thread()
    if thread.rcu_depth == 0:
        raise ModelError("rcu_read_unlock() without a matching rcu_read_lock()")
    thread.rcu_depth -= 1
    if thread.rcu_depth == 0:
        section_exit("rcu_read_unlock", thread.rcu, "grace-period state: reader done")
    fence("rcu_read_unlock", "rcu-unlock")


def synchronize_rcu() -> None:
    """Wait for every read-side critical section in progress to end (grace period)."""
    fence("synchronize_rcu", "sync-rcu")
    thread = _thread()
    wait_for_sections("synchronize_rcu", thread.rcu, thread.rcu_all, "grace period: reader")


def rcu_dereference(p: Any) -> Any:
    """Load the RCU-protected pointer ``p`` (a location holding a location)."""
    return load("rcu_dereference", p, "once")


def rcu_assign_pointer(p: Any, v: Any) -> None:
    """Publish ``v`` through the RCU-protected pointer ``p``."""
    store("rcu_assign_pointer", p, v, "release")


def srcu_read_lock(ssp: Any) -> Any:
    return load("srcu_read_lock", ssp, "srcu-lock")


def srcu_read_unlock(ssp: Any, idx: Any) -> None:
    store("srcu_read_unlock", ssp, idx, "srcu-unlock")


def synchronize_srcu(ssp: Any) -> None:
    loc, _ = location(ssp, "synchronize_srcu")
    submit(Op(OpKind.FENCE, "synchronize_srcu", "sync-srcu", detail=loc.name))
