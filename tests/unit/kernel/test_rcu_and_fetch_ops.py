"""The RCU/SRCU primitives, the extra barriers and the fetch/bitwise atomics: their
events, linux-kernel.bell tags and values (added for the C-litmus front end)."""

from __future__ import annotations

from typing import Any

from pagerace import kernel as k
from pagerace.core.ops import FENCE_ANNOTS, LOAD_ANNOTS, RMW_ANNOTS, STORE_ANNOTS
from pagerace.graph import EventKind
from tests.unit.kernel.test_primitives import final, memory_events, run


def test_rcu_primitives_are_tagged_as_in_linux_kernel_def():
    def body(m: dict[str, Any]) -> None:
        k.rcu_read_lock()
        m["r"] = k.rcu_dereference(m["p"])
        k.rcu_read_unlock()
        k.rcu_assign_pointer(m["p"], 0)
        k.synchronize_rcu()
        k.smp_mb__after_spinlock()
        k.smp_mb__after_unlock_lock()

    ex, env = run({"p": 5}, body)
    # Ghost events keep the grace-period state (see pagerace.kernel.rcu); the LKMM's
    # view is the tagged events.
    shown = [(e.kind, e.name, e.annot) for e in memory_events(ex) if e.annot != "ghost"]
    assert shown == [
        (EventKind.FENCE, "rcu_read_lock", "rcu-lock"),
        (EventKind.LOAD, "rcu_dereference", "once"),
        (EventKind.FENCE, "rcu_read_unlock", "rcu-unlock"),
        (EventKind.STORE, "rcu_assign_pointer", "release"),
        (EventKind.FENCE, "synchronize_rcu", "sync-rcu"),
        (EventKind.FENCE, "smp_mb__after_spinlock", "after-spinlock"),
        (EventKind.FENCE, "smp_mb__after_unlock_lock", "after-unlock-lock"),
    ]
    assert env["r"].v == 5


def test_the_outermost_rcu_read_side_section_updates_the_grace_period_state():
    def body(m: dict[str, Any]) -> None:
        k.rcu_read_lock()
        k.rcu_read_lock()
        k.rcu_read_unlock()
        k.rcu_read_unlock()

    ex, _ = run({}, body)
    ghost = [(e.name, e.read_value, e.written_value) for e in ex.events if e.annot == "ghost"]
    # 2 x completed + inside: 0 -> 1 on entry, 1 -> 2 on exit; nested calls add nothing.
    assert ghost == [("rcu_read_lock", 0, 1), ("rcu_read_unlock", 1, 2)]


def test_srcu_read_lock_and_unlock_access_the_srcu_struct():
    def body(m: dict[str, Any]) -> None:
        idx = k.srcu_read_lock(m["ss"])
        k.srcu_read_unlock(m["ss"], idx)
        k.synchronize_srcu(m["ss"])

    ex, _ = run({"ss": 0}, body)
    lock, unlock, sync = memory_events(ex)
    assert (lock.annot, lock.reads, unlock.annot, unlock.writes) == (
        "srcu-lock",
        True,
        "srcu-unlock",
        True,
    )
    assert unlock.data == {lock.eid}
    assert (sync.kind, sync.annot, sync.detail) == (EventKind.FENCE, "sync-srcu", "ss")


def test_fetch_ops_return_the_old_value_and_bitwise_ops_return_nothing():
    def body(m: dict[str, Any]) -> None:
        v = m["v"]
        m["old"] = k.atomic_fetch_xor_acquire(0b0110, v)  # 0b1100 -> 0b1010
        m["none"] = k.atomic_or(0b0001, v)  # -> 0b1011
        m["inc"] = k.atomic_fetch_inc_relaxed(v)  # -> 0b1100
        m["neg"] = k.atomic_add_negative_release(-13, v)  # -> -1

    ex, env = run({"v": 0b1100}, body)
    assert (env["old"].v, env["none"], env["inc"].v, env["neg"].v) == (0b1100, None, 0b1011, True)
    assert final(ex, env, "v") == -1
    annots = [e.annot for e in memory_events(ex)]
    assert annots == ["acquire", "noreturn", "relaxed", "release"]


def test_every_new_event_carries_a_tag_of_its_kind():
    def body(m: dict[str, Any]) -> None:
        k.srcu_read_unlock(m["ss"], k.srcu_read_lock(m["ss"]))
        k.smp_mb__after_srcu_read_unlock()
        k.synchronize_srcu(m["ss"])
        k.atomic_fetch_andnot(1, m["v"])
        k.atomic_and(1, m["v"])

    ex, _ = run({"ss": 0, "v": 3}, body)
    allowed = {
        EventKind.LOAD: LOAD_ANNOTS,
        EventKind.STORE: STORE_ANNOTS,
        EventKind.RMW: RMW_ANNOTS,
        EventKind.FENCE: FENCE_ANNOTS,
    }
    assert all(e.annot in allowed[e.kind] for e in memory_events(ex))
