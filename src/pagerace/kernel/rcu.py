"""RCU and SRCU basics (Documentation/RCU/whatisRCU.rst; linux-kernel.def for the tags).

As linux-kernel.def defines them: ``rcu_read_lock``/``rcu_read_unlock`` are fences
tagged ``rcu-lock``/``rcu-unlock``, ``synchronize_rcu`` a fence tagged ``sync-rcu``;
``rcu_dereference`` is a ``once`` load and ``rcu_assign_pointer`` a ``release`` store.
SRCU: ``srcu_read_lock`` is a load tagged ``srcu-lock`` of the srcu_struct,
``srcu_read_unlock`` a store tagged ``srcu-unlock`` of the index it returned, and
``synchronize_srcu`` a fence tagged ``sync-srcu`` (its ``detail`` names the srcu_struct).

Limitations: the grace-period guarantee (a read-side critical section cannot span a
grace period) belongs to the memory model (linux-kernel.cat's ``rcu-order`` and
``rcu-fence``).  Under SC these events are recorded but order nothing beyond SC, so
``synchronize_rcu`` does not wait for readers there.
"""

from __future__ import annotations

from typing import Any

from pagerace.core.ops import Op, OpKind
from pagerace.explore.runtime import submit
from pagerace.kernel._access import fence, load, location, store


def rcu_read_lock() -> None:
    fence("rcu_read_lock", "rcu-lock")


def rcu_read_unlock() -> None:
    fence("rcu_read_unlock", "rcu-unlock")


def synchronize_rcu() -> None:
    fence("synchronize_rcu", "sync-rcu")


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
